/* cmd_analyze — `mcmsim analyze OUTPUT.h5 [-o NEW.h5]`: recomputes /scaling and /theory of a
 * finished run from its task table and crossings, with the configuration stored in the file
 * (CHANGEABLE keys may be overridden with --set, e.g. the bootstrap size or the fit's log
 * power). The input is never modified in place: the result is written to a copy that replaces
 * the output name only when complete. */
#include "cli/cmd.h"

#include "io/analysis.h"
#include "base/log.h"
#include "engine/observe.h"
#include "parallel/par.h"
#include "parallel/h5chk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Rank 0: reads dataset `path` of file `fid` as doubles into a new buffer; n gets the element
 * count; NULL when absent. */
static double *an_read(hid_t fid, const char *path, size_t *n)
{
    *n = 0;
    if (H5Lexists(fid, path, H5P_DEFAULT) <= 0) return NULL;
    hid_t ds = H5Dopen2(fid, path, H5P_DEFAULT);
    H5CHK(ds);
    hid_t sp = H5Dget_space(ds);
    H5CHK(sp);
    hssize_t np = H5Sget_simple_extent_npoints(sp);
    H5CHK(np);
    double *buf = LOG_CALLOC((size_t)np + 1, sizeof(double));
    H5CHK(H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf));
    H5CHK(H5Sclose(sp));
    H5CHK(H5Dclose(ds));
    *n = (size_t)np;
    return buf;
}

/* The /config attributes hold --set overrides of the run too, so the text is what ran. */
int cmd_config_text(hid_t fid, char *tmp, size_t len)
{
    hid_t g = H5Gopen2(fid, "/config", H5P_DEFAULT);
    if (g < 0) return -1;
    snprintf(tmp, len, "%s/mcmsim-analyze-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    int fd = mkstemp(tmp), bad = fd < 0;
    FILE *out = bad ? NULL : fdopen(fd, "w");
    bad |= !out;
    const char *section = "";
    for (int i = 0; !bad && i < cfg_schema_n; i++) {
        char name[128], value[CFG_LIST_MAX * 32] = "";
        snprintf(name, sizeof name, "%s.%s", cfg_schema[i].section, cfg_schema[i].key);
        if (H5Aexists(g, name) <= 0) continue; /* a key newer than the file: its default */
        hid_t at = H5Aopen(g, name, H5P_DEFAULT), t = H5Aget_type(at);
        if (H5Tget_size(t) < sizeof value) H5CHK(H5Aread(at, t, value));
        H5CHK(H5Tclose(t));
        H5CHK(H5Aclose(at));
        if (strcmp(section, cfg_schema[i].section) != 0)
            fprintf(out, "[%s]\n", section = cfg_schema[i].section);
        fprintf(out, "%s = %s\n", cfg_schema[i].key, value);
    }
    if (out) bad |= fclose(out) != 0;
    H5CHK(H5Gclose(g));
    return bad ? -1 : 0;
}

typedef struct {
    char tmp[512];
    size_t n_cross, n_stop, n_id;
    double *cross, *stop, *id;
    int ok;
} an_file;

/* Rank 0: everything analyze needs from the input file. */
static void an_load(const char *path, an_file *a)
{
    memset(a, 0, sizeof *a);
    hid_t fid = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (fid < 0) return;
    hid_t at = H5Aexists(fid, "complete") > 0 ? H5Aopen(fid, "complete", H5P_DEFAULT) : -1;
    long complete = 0;
    if (at >= 0) {
        H5CHK(H5Aread(at, H5T_NATIVE_LONG, &complete));
        H5CHK(H5Aclose(at));
    }
    if (complete == 1 && cmd_config_text(fid, a->tmp, sizeof a->tmp) == 0) {
        a->cross = an_read(fid, "/crossing/samples", &a->n_cross);
        a->stop = an_read(fid, "/crossing/stop", &a->n_stop);
        a->id = an_read(fid, "/tasks/id", &a->n_id);
        a->ok = a->stop && a->id ? 1 : 2;
    }
    H5CHK(H5Fclose(fid));
}

static void an_bcast_array(double **a, size_t *n)
{
    unsigned long long nn = *n;
    PAR_MPI(MPI_Bcast(&nn, 1, MPI_UNSIGNED_LONG_LONG, 0, MPI_COMM_WORLD));
    if (log_rank() != 0) *a = LOG_CALLOC((size_t)nn + 1, sizeof(double)), *n = (size_t)nn;
    PAR_MPI(MPI_Bcast(*a, (int)nn, MPI_DOUBLE, 0, MPI_COMM_WORLD));
}

int cmd_analysis_input(const cfg_t *c, const task_list *tl, double *cross, size_t n_cross,
                       double *stop, analysis_input *in)
{
    /* The watched quantities and thresholds as the run's observers recorded them. */
    spec_crossing cs = spec_crossing_at(c, tl->t[0].d);
    memset(in, 0, sizeof *in);
    in->ntask = tl->n, in->nthr = cs.nthr, in->nw = n_cross ? cs.n : 0;
    for (int j = 0; j < in->nw; j++)
        in->which[j] = observe_watch_index(cs.which[j]);
    for (int j = 0; j < in->nthr; j++)
        in->thr[j] = cs.thr[j];
    in->n_cross = cross;
    in->n_stop = stop;
    return (size_t)tl->n * (size_t)in->nw * (size_t)in->nthr == n_cross;
}

int cmd_analyze(const cmd_opts *o)
{
    an_file a;
    memset(&a, 0, sizeof a);
    if (log_rank() == 0) an_load(o->config, &a);
    PAR_MPI(MPI_Bcast(&a.ok, 1, MPI_INT, 0, MPI_COMM_WORLD));
    if (a.ok == 0)
        LOG_DIE_COLL(LOG_EXIT_USAGE, "'%s' is not a complete mcmsim output file", o->config);
    if (a.ok == 2)
        LOG_DIE_COLL(LOG_EXIT_USAGE, "'%s' has no task crossings (not written by 'mcmsim run')",
                     o->config);
    PAR_MPI(MPI_Bcast(a.tmp, sizeof a.tmp, MPI_CHAR, 0, MPI_COMM_WORLD));
    static cfg_resolved cr;
    par_cfg_load(a.tmp, o->sets, o->n_set, &cr);
    if (log_rank() == 0) remove(a.tmp);
    an_bcast_array(&a.id, &a.n_id);
    an_bcast_array(&a.stop, &a.n_stop);
    an_bcast_array(&a.cross, &a.n_cross);
    task_list tl;
    task_list_from_run(&tl, &cr.v);
    int match = (size_t)tl.n == a.n_id && a.n_stop == a.n_id;
    for (int k = 0; match && k < tl.n; k++)
        match = (double)tl.t[k].id == a.id[k];
    if (!match)
        LOG_DIE_COLL(LOG_EXIT_USAGE, "the task table of '%s' does not match its configuration",
                     o->config);
    analysis_input in;
    if (!cmd_analysis_input(&cr.v, &tl, a.cross, a.n_cross, a.stop, &in))
        LOG_DIE_COLL(LOG_EXIT_USAGE,
                     "'%s': the watched overlaps or thresholds differ from those "
                     "of the run; re-run to change them",
                     o->config);
    h5out_file f;
    const char *out = o->output ? o->output : o->config;
    h5out_reopen(&f, o->config, out);
    h5out_remove(&f, "/scaling");
    h5out_remove(&f, "/theory");
    spec_analysis sa;
    spec_analysis_build(&sa, &cr.v, &tl);
    analysis_write(&f, &sa, &tl, &in);
    spec_analysis_free(&sa);
    h5out_finish(&f);
    log_info("wrote /scaling and /theory of %s to %s\n", o->config, out);
    free(a.cross), free(a.stop), free(a.id);
    task_list_free(&tl);
    return LOG_EXIT_OK;
}
