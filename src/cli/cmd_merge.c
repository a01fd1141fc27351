/* cmd_merge — `mcmsim merge OUT.h5 IN1.h5 IN2.h5 ...`: joins the outputs of the slices of one
 * run (run.slice = i/n, e.g. the tasks of a SLURM array job) into the file one run of every task
 * would have written. The inputs must be complete run outputs of the same FIXED configuration
 * apart from run.slice; together they must hold every task of the whole list exactly once.
 * /tasks is rewritten from the configuration, the per-task rows are copied (io/h5merge.h), and
 * /scaling and /theory are recomputed over all tasks, as `run` and `analyze` compute them. */
#include "cli/cmd.h"

#include "base/log.h"
#include "io/analysis.h"
#include "io/h5merge.h"
#include "parallel/par.h"
#include "parallel/h5chk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MG_WHY 1024

typedef struct {
    uint64_t id;
    int k;
} mg_slot;

static int mg_cmp(const void *a, const void *b)
{
    uint64_t x = ((const mg_slot *)a)->id, y = ((const mg_slot *)b)->id;
    return x < y ? -1 : x > y;
}

/* Keys that never change a result: the slice itself, where the output and checkpoints went, and
 * how often progress is printed. */
static int mg_free_key(const char *name)
{
    return !strcmp(name, "run.slice") || !strcmp(name, "run.output") ||
           !strncmp(name, "checkpoint.", 11) || !strcmp(name, "observe.status_every");
}

/* Every other key must agree with the first input's: the FIXED ones by definition of one run,
 * the CHANGEABLE ones (budgets, thresholds, analysis settings) because a restart may have
 * changed them in one slice only, and the merged file must be one run's. Every difference is
 * listed before the merge is refused. */
static void mg_check_config(const h5merge_in *in, int nin)
{
    static char a[CFG_LIST_MAX * 32], b[CFG_LIST_MAX * 32];
    int bad = 0;
    for (int j = 1; j < nin; j++)
        for (int i = 0; i < cfg_schema_n; i++) {
            const cfg_entry *e = &cfg_schema[i];
            char name[128];
            snprintf(name, sizeof name, "%s.%s", e->section, e->key);
            if (mg_free_key(name)) continue;
            int ea = h5merge_attr_text(in[0].fid, "/config", name, a, sizeof a);
            int eb = h5merge_attr_text(in[j].fid, "/config", name, b, sizeof b);
            if (ea == eb && !strcmp(a, b)) continue;
            log_error("'%s': key '%s' = %s differs from '%s' (%s), expected the "
                      "same %s configuration apart from run.slice",
                      in[j].path, name, eb ? "(absent)" : b, in[0].path, ea ? "(absent)" : a,
                      e->restart == CFG_FIXED ? "FIXED" : "(CHANGEABLE keys too)");
            bad++;
        }
    if (bad)
        LOG_DIE_COLL(LOG_EXIT_USAGE,
                     "merge: %d key difference(s) between the inputs: not "
                     "slices of one run",
                     bad);
}

/* The whole configuration: the first input's with run.slice = 1/1, and its file name and raw
 * text, so /config is the one a run of every task writes. */
static void mg_config(const h5merge_in *in0, cfg_resolved *cr)
{
    char tmp[512];
    if (cmd_config_text(in0->fid, tmp, sizeof tmp))
        LOG_DIE_COLL(LOG_EXIT_USAGE, "'%s' has no readable /config", in0->path);
    const char *sets[1] = {"run.slice=1/1"};
    par_cfg_load(tmp, sets, 1, cr);
    remove(tmp);
    h5merge_attr_text(in0->fid, "/config", "config_file", cr->file, sizeof cr->file);
    if (h5merge_text(in0->fid, "/config/raw", cr->raw, sizeof cr->raw))
        LOG_DIE_COLL(LOG_EXIT_USAGE, "'%s' has no readable /config/raw", in0->path);
}

static void mg_task_name(const task_t *t, char *buf, size_t len)
{
    snprintf(buf, len, "task %d (d = %d, replica %d, sweep combination %d)", t->index, t->d,
             t->replica, t->combo);
}

/* map[j][r]: the row in the whole list of row r of input j; every task exactly once. */
static int **mg_map(const h5merge_in *in, int nin, const task_list *tl)
{
    mg_slot *s = LOG_CALLOC((size_t)tl->n, sizeof *s);
    for (int k = 0; k < tl->n; k++)
        s[k].id = tl->t[k].id, s[k].k = k;
    qsort(s, (size_t)tl->n, sizeof *s, mg_cmp);
    int *owner = LOG_CALLOC((size_t)tl->n, sizeof(int)),
        **map = LOG_CALLOC((size_t)nin, sizeof *map);
    char name[160];
    for (int j = 0; j < nin; j++) {
        map[j] = LOG_CALLOC((size_t)in[j].ntask + 1, sizeof(int));
        for (int r = 0; r < in[j].ntask; r++) {
            mg_slot key = {.id = in[j].id[r]},
                    *hit = bsearch(&key, s, (size_t)tl->n, sizeof *s, mg_cmp);
            if (!hit)
                LOG_DIE_COLL(LOG_EXIT_USAGE,
                             "'%s': task id %llu (row %d) is not in the task list of the "
                             "configuration",
                             in[j].path, (unsigned long long)in[j].id[r], r);
            mg_task_name(&tl->t[hit->k], name, sizeof name);
            if (owner[hit->k])
                LOG_DIE_COLL(LOG_EXIT_USAGE,
                             "merge: %s is in '%s' and in '%s', expected each "
                             "task in one input",
                             name, in[owner[hit->k] - 1].path, in[j].path);
            owner[hit->k] = j + 1;
            map[j][r] = hit->k;
        }
    }
    int missing = 0;
    for (int k = 0; k < tl->n; k++)
        if (!owner[k] && missing++ < 8) {
            mg_task_name(&tl->t[k], name, sizeof name);
            log_error("merge: %s is in no input", name);
        }
    if (missing)
        LOG_DIE_COLL(LOG_EXIT_USAGE,
                     "merge: %d of %d tasks missing (a slice not given or not "
                     "finished?)",
                     missing, tl->n);
    free(owner), free(s);
    return map;
}

/* /scaling and /theory over every task, from the assembled crossings. */
static void mg_analysis(h5out_file *f, const cfg_t *c, const task_list *tl, const h5merge_in *in,
                        int nin, int *const *map)
{
    char why[MG_WHY];
    hid_t t1, t2;
    int r1, r2;
    hsize_t d1[H5S_MAX_RANK], d2[H5S_MAX_RANK];
    double *cross = NULL, *stop = NULL;
    size_t n_cross = 0;
    if (H5Lexists(in[0].fid, "/crossing", H5P_DEFAULT) > 0) {
        cross = h5merge_assemble(in, nin, map, tl->n, "/crossing/samples", &t1, &r1, d1, why,
                                 sizeof why);
        stop = cross ? h5merge_assemble(in, nin, map, tl->n, "/crossing/stop", &t2, &r2, d2, why,
                                        sizeof why)
                     : NULL;
        if (!stop) LOG_DIE_COLL(LOG_EXIT_USAGE, "merge: %s", why);
        int dbl = H5Tequal(t1, H5T_NATIVE_DOUBLE) > 0 && H5Tequal(t2, H5T_NATIVE_DOUBLE) > 0;
        H5CHK(H5Tclose(t1));
        H5CHK(H5Tclose(t2));
        if (!dbl) LOG_DIE_COLL(LOG_EXIT_USAGE, "merge: /crossing holds no doubles");
        n_cross = (size_t)d1[0] * (r1 > 1 ? d1[1] : 1) * (r1 > 2 ? d1[2] : 1);
    } else
        stop = LOG_CALLOC((size_t)tl->n, sizeof(double));
    analysis_input ain;
    if (!cmd_analysis_input(c, tl, cross, n_cross, stop, &ain))
        LOG_DIE_COLL(LOG_EXIT_USAGE, "merge: /crossing does not fit the watched overlaps and "
                                     "thresholds of the configuration");
    spec_analysis sa;
    spec_analysis_build(&sa, c, tl);
    analysis_write(f, &sa, tl, &ain);
    spec_analysis_free(&sa);
    free(cross), free(stop);
}

/* Root attributes that describe the computation rather than this process: the run's. */
static void mg_provenance(h5out_file *f, const h5merge_in *in0)
{
    const char *keep[] = {"hostname", "command", "n_ranks", "start_time_utc"};
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
        if (H5Aexists(in0->fid, keep[i]) > 0)
            h5merge_copy_attr(in0->fid, ".", f->file, ".", keep[i]);
}

static void mg_write(const char *out, const cfg_resolved *cr, const task_list *tl,
                     const h5merge_in *in, int nin, int *const *map)
{
    h5out_file f;
    char why[MG_WHY];
    h5out_create(&f, out, cr, "run");
    mg_provenance(&f, &in[0]);
    cmd_write_tasks(&f, tl);
    const char *rows[] = {"/series", "/crossing", "/summary", "/snapshots"};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (H5Lexists(in[0].fid, rows[i], H5P_DEFAULT) > 0 &&
            h5merge_group(&f, rows[i], in, nin, map, tl->n, why, sizeof why)) {
            h5out_abandon(&f);
            LOG_DIE_COLL(LOG_EXIT_USAGE, "merge: %s", why);
        }
    mg_analysis(&f, &cr->v, tl, in, nin, map);
    /* What is neither per task nor recomputed (/data of a user data set, /timing) is the same
     * in every slice: the first input's. */
    const char *whole[] = {"/data", "/timing"};
    for (size_t i = 0; i < sizeof whole / sizeof whole[0]; i++)
        if (H5Lexists(in[0].fid, whole[i], H5P_DEFAULT) > 0) h5merge_copy(&f, in[0].fid, whole[i]);
    h5out_finish(&f);
}

int cmd_merge(const cmd_opts *o)
{
    if (log_size() != 1)
        LOG_DIE_COLL(LOG_EXIT_USAGE,
                     "mcmsim merge runs as one process (got %d ranks), expected "
                     "no mpirun/srun or one task",
                     log_size());
    if (o->n_set || o->output || o->dry_run || o->restart || o->time_limit > 0)
        LOG_DIE_COLL(LOG_EXIT_USAGE,
                     "merge takes only OUT.h5, the inputs, --quiet and --log (analysis "
                     "keys change afterwards: mcmsim analyze OUT.h5 --set ...)\n%s",
                     cmd_help("merge"));
    if (o->n_inputs < 1)
        LOG_DIE_COLL(LOG_EXIT_USAGE, "merge needs at least one input after OUT.h5\n%s",
                     cmd_help("merge"));
    h5merge_in *in = LOG_CALLOC((size_t)o->n_inputs, sizeof *in);
    char why[MG_WHY];
    for (int j = 0; j < o->n_inputs; j++) {
        if (!strcmp(o->inputs[j], o->config))
            LOG_DIE_COLL(LOG_EXIT_USAGE, "merge: the output '%s' is also an input", o->config);
        if (h5merge_open(&in[j], o->inputs[j], why, sizeof why))
            LOG_DIE_COLL(LOG_EXIT_USAGE, "merge: %s", why);
        /* Only what merge knows how to join: a group computed across tasks (a future output)
         * would otherwise be silently taken from one slice. */
        static const char *const known[] = {"config",  "tasks",  "series", "crossing", "summary",
                                            "scaling", "theory", "data",   "timing",   "snapshots"};
        char extra[256];
        if (h5merge_unknown_member(in[j].fid, known, 10, extra, sizeof extra))
            LOG_DIE_COLL(LOG_EXIT_USAGE,
                         "merge: '%s' holds %s, which merge cannot join from slices; run these "
                         "tasks as one job",
                         in[j].path, extra);
    }
    mg_check_config(in, o->n_inputs);
    static cfg_resolved cr; /* > 1 MiB: not on the stack */
    mg_config(&in[0], &cr);
    task_list tl;
    task_list_from_cfg(&tl, &cr.v);
    int **map = mg_map(in, o->n_inputs, &tl);
    mg_write(o->config, &cr, &tl, in, o->n_inputs, map);
    log_info("merged %d tasks from %d file(s) into %s (/scaling and /theory recomputed)\n", tl.n,
             o->n_inputs, o->config);
    for (int j = 0; j < o->n_inputs; j++)
        h5merge_close(&in[j]), free(map[j]);
    free(map), free(in);
    task_list_free(&tl);
    return LOG_EXIT_OK;
}
