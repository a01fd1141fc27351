/* cmd_run — `mcmsim run`: trains the configured denoiser on every task (d x sweep x replica),
 * tasks taken dynamically by the ranks, and writes the observers' series and final summaries.
 * Each rank keeps the records of the tasks it ran and writes exactly those rows. */
#include "cli/cmd.h"

#include "io/analysis.h"
#include "io/ckpt.h"
#include "parallel/dataset.h"
#include "engine/engine.h"
#include "base/log.h"
#include "engine/observe.h"
#include "cli/run_data.h"
#include "parallel/par.h"
#include "parallel/task_sched.h"

#include <math.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

enum { SUM_NSCALAR = OBS_NSCALAR, SUM_EXTRA = 3 }; /* extra: mmse, steps, wall seconds */

typedef ckpt_record run_record;

static int run_record_cmp(const void *a, const void *b)
{
    return ((const run_record *)a)->k - ((const run_record *)b)->k;
}

typedef struct {
    task_sched *sched;
    double last, every, t0;
    long total_steps;
    int ntask;
} run_status;

/* Rank 0, every status_every seconds: tasks done, steps/s, ETA. */
static void run_status_line(run_status *st, long local_steps)
{
    double now = MPI_Wtime();
    if (log_rank() != 0 || st->every <= 0 || now - st->last < st->every) return;
    long tasks, steps;
    task_sched_progress(st->sched, &tasks, &steps);
    steps += local_steps; /* rank 0's current task is not reported yet */
    double el = now - st->t0, rate = el > 0 ? (double)steps / el : 0;
    double eta = rate > 0 ? (double)(st->total_steps - steps) / rate : NAN;
    log_info("status: %ld/%d tasks done, %.3g steps/s, ETA %.0f s\n", tasks, st->ntask, rate, eta);
    st->last = now;
}

/* The state every rank carries through the run, for checkpoints. */
typedef struct {
    const cfg_resolved *cr;
    const engine_data *ud; /* user data set, NULL: MCM data */
    task_sched *sched;
    run_status *st;
    ckpt_ctl *ctl;
    run_record *rec; /* finished records of this rank */
    int nrec;
    int signalled; /* this rank already raised its signal */
    double last_poll;
} run_ctx;

/* Rank 0 decides when to checkpoint: the interval, a signal, a STOP file, the time limit. */
static void run_decide(run_ctx *x)
{
    ckpt_ctl *ctl = x->ctl;
    double now = MPI_Wtime();
    int stop = 0, due = (ctl->every > 0 && now - ctl->last >= ctl->every) ||
                        (ctl->every_steps > 0 && ctl->steps_since >= ctl->every_steps);
    /* Signals reach every rank of an mpirun/srun job; rank 0 acts on them. */
    if (log_rank() != 0) return;
    if (ckpt_signalled() && !x->signalled) {
        stop = 1, x->signalled = 1;
        log_info("signal received: checkpoint and exit\n");
    }
    if (access("STOP", F_OK) == 0) {
        stop = 1;
        remove("STOP");
        log_info("STOP file found: checkpoint and exit\n");
    }
    /* Stop one checkpoint (and a margin) before the limit. */
    if (ctl->limit > 0 && now - ctl->t0 + 2 * ctl->cost + 1.0 >= ctl->limit) stop = 1;
    if (stop || due) {
        task_sched_request(x->sched, stop);
        ctl->last = now;
        ctl->steps_since = 0;
    }
}

/* Collective checkpoint of everything this rank holds: finished records and the task in
 * progress (a, e; NULL between tasks). Returns 1 when the run must stop. */
static int run_checkpoint(run_ctx *x, long seen, const run_record *a, const engine *e)
{
    long v[2] = {TASK_CTL_SEQ(seen), (seen & TASK_CTL_STOP) != 0};
    PAR_MPI(MPI_Allreduce(MPI_IN_PLACE, v, 2, MPI_LONG, MPI_MAX, MPI_COMM_WORLD));
    int n = x->nrec + (a != NULL);
    double **blobs = LOG_CALLOC((size_t)n + 1, sizeof(double *));
    size_t *lens = LOG_CALLOC((size_t)n + 1, sizeof(size_t));
    for (int i = 0; i < x->nrec; i++)
        lens[i] = ckpt_pack(&x->rec[i], NULL, &blobs[i]);
    if (a) lens[n - 1] = ckpt_pack(a, e, &blobs[n - 1]);
    ckpt_write(x->ctl, x->cr, blobs, lens, n);
    for (int i = 0; i < n; i++)
        free(blobs[i]);
    free(blobs);
    free(lens);
    x->ctl->handled = v[0];
    return (int)v[1];
}

/* Checks for checkpoint requests at most every 20 ms; returns 1 when the run must stop. */
static int run_poll(run_ctx *x, const run_record *a, const engine *e, int force)
{
    double now = MPI_Wtime();
    if (!force && now - x->last_poll < 0.02) return 0;
    x->last_poll = now;
    run_decide(x);
    long v = task_sched_control(x->sched);
    if (TASK_CTL_SEQ(v) > x->ctl->handled) return run_checkpoint(x, v, a, e);
    return 0;
}

/* Runs (or resumes, blob != NULL) task t; returns 1 when the run must stop mid-task. */
static int run_task(run_ctx *x, const task_t *t, const double *blob, run_record *rec)
{
    cfg_t c = x->cr->v;
    task_apply(t, &c);
    double t0 = MPI_Wtime();
    engine e;
    engine_init(&e, &c, t->d, t->id, OBS_EVAL_CHUNK, x->ud);
    observe_init(&rec->obs, &e, (int)c.observe.n_obs, (int)c.observe.n_eval);
    rec->k = t->index;
    rec->batch = e.B;
    rec->mmse = rec->obs.mmse;
    int left;
    if (blob) {
        ckpt_unpack_active(rec, &e, blob);
        left = rec->obs.cr.remaining;
    } else {
        rec->wall = 0;
        observe_maybe(&rec->obs, &e);
        left = observe_crossing(&rec->obs, &e, 1);
    }
    int stop = 0;
    /* With nothing to watch (a linear model has no rows) there is nothing to stop early on. */
    int early = c.scaling.early_stop && rec->obs.cr.n > 0 && rec->obs.cr.nthr > 0;
    while (!stop && e.step < e.steps && !(early && left == 0)) {
        engine_step(&e);
        int seen = observe_maybe(&rec->obs, &e);
        left = observe_crossing(&rec->obs, &e, 0);
        if (left == 0 && early && !seen && e.step < e.steps)
            observe_now(&rec->obs, &e); /* the last observation of a task stopped early */
        if ((e.step & 1023) == 0) run_status_line(x->st, e.step);
        if ((e.step & 63) == 0) {
            x->ctl->steps_since += 64;
            rec->steps = e.step;
            double w = rec->wall;
            rec->wall = w + MPI_Wtime() - t0;
            stop = run_poll(x, rec, &e, 0);
            rec->wall = w;
        }
    }
    rec->steps = e.step;
    rec->wall += MPI_Wtime() - t0;
    engine_free(&e);
    return stop;
}

/* Collective: the rows of every dataset that this rank's records hold. */
static void run_write_series(h5out_file *f, const cfg_t *c, int ntask, int rows_per, run_record *r,
                             int nrec)
{
    hsize_t *rows = LOG_CALLOC((size_t)nrec + 1, sizeof(hsize_t));
    size_t nobs = (size_t)c->observe.n_obs, nr = (size_t)rows_per;
    for (int i = 0; i < nrec; i++)
        rows[i] = (hsize_t)r[i].k;
    double *buf = LOG_CALLOC(((size_t)nrec + 1) * nobs * (nr > 0 ? nr * 3 : 1), sizeof(double));
    h5out_group(f, "/series",
                "observations at log-spaced steps, [task][observation]; padded "
                "with NaN after the last observation of a task");
    char path[96];
    hsize_t d2[2] = {(hsize_t)ntask, nobs};
    for (int s = 0; s < OBS_NSCALAR; s++) {
        for (int i = 0; i < nrec; i++)
            for (size_t j = 0; j < nobs; j++)
                buf[(size_t)i * nobs + j] = r[i].obs.scalar[j * OBS_NSCALAR + (size_t)s];
        snprintf(path, sizeof path, "/series/%s", observe_scalar_names[s]);
        h5out_write_rowlist(f, path, H5T_NATIVE_DOUBLE, 2, d2, rows, (hsize_t)nrec, buf,
                            observe_scalar_desc[s], observe_scalar_units[s]);
    }
    if (nr > 0) {
        hsize_t d4[4] = {(hsize_t)ntask, nobs, nr, 3}, d3[3] = {(hsize_t)ntask, nobs, nr};
        for (int i = 0; i < nrec; i++)
            memcpy(&buf[(size_t)i * nobs * nr * 3], r[i].obs.overlap,
                   nobs * nr * 3 * sizeof(double));
        h5out_write_rowlist(f, "/series/overlap", H5T_NATIVE_DOUBLE, 4, d4, rows, (hsize_t)nrec,
                            buf,
                            "[task][observation][row][m, u, v] signed overlap w_k.s / |w_k| "
                            "of first-layer row k with each spike",
                            "1");
        for (int i = 0; i < nrec; i++)
            memcpy(&buf[(size_t)i * nobs * nr], r[i].obs.norm, nobs * nr * sizeof(double));
        h5out_write_rowlist(f, "/series/norm", H5T_NATIVE_DOUBLE, 3, d3, rows, (hsize_t)nrec, buf,
                            "[task][observation][row] norm |w_k| of first-layer row k", "1");
    }
    free(buf);
    free(rows);
}

/* The final observation of every task, everywhere (sum of disjoint rows), for the summary. */
static double *run_finals(const run_record *r, int nrec, int ntask)
{
    size_t w = SUM_NSCALAR + SUM_EXTRA;
    double *mine = LOG_CALLOC((size_t)ntask * w, sizeof(double));
    double *all = LOG_CALLOC((size_t)ntask * w, sizeof(double));
    for (int i = 0; i < nrec; i++) {
        const observer *o = &r[i].obs;
        double *row = &mine[(size_t)r[i].k * w];
        memcpy(row, &o->scalar[(size_t)(o->n_points - 1) * OBS_NSCALAR],
               OBS_NSCALAR * sizeof(double));
        row[SUM_NSCALAR] = r[i].mmse;
        row[SUM_NSCALAR + 1] = (double)r[i].steps;
        row[SUM_NSCALAR + 2] = r[i].wall;
    }
    PAR_MPI(MPI_Allreduce(mine, all, ntask * (int)w, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD));
    free(mine);
    return all;
}

/* The crossings of every task on every rank (sum of disjoint rows), and /crossing. */
static void run_crossings(h5out_file *f, const run_record *r, int nrec, int ntask,
                          analysis_input *in)
{
    const obs_crossing *cr0 = nrec ? &r[0].obs.cr : NULL;
    int meta[2] = {cr0 ? cr0->n : 0, cr0 ? cr0->nthr : 0};
    PAR_MPI(MPI_Allreduce(MPI_IN_PLACE, meta, 2, MPI_INT, MPI_MAX, MPI_COMM_WORLD));
    memset(in, 0, sizeof *in);
    in->ntask = ntask, in->nw = meta[0], in->nthr = meta[1];
    size_t cells = (size_t)ntask * (size_t)in->nw * (size_t)in->nthr;
    in->n_cross = LOG_CALLOC(cells + 1, sizeof(double));
    in->n_stop = LOG_CALLOC((size_t)ntask + 1, sizeof(double));
    for (int i = 0; i < nrec; i++) {
        const obs_crossing *cr = &r[i].obs.cr;
        for (int j = 0; j < cr->n * cr->nthr; j++)
            in->n_cross[(size_t)r[i].k * (size_t)(cr->n * cr->nthr) + (size_t)j] =
                cr->first[j] >= 0 ? (double)cr->first[j] * r[i].batch : 0.0;
        in->n_stop[r[i].k] = (double)r[i].steps * r[i].batch;
    }
    PAR_MPI(
        MPI_Allreduce(MPI_IN_PLACE, in->n_cross, (int)cells, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD));
    PAR_MPI(MPI_Allreduce(MPI_IN_PLACE, in->n_stop, ntask, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD));
    /* Uncrossed pairs travel as 0 (a crossing at sample 0 is only possible for a threshold
     * already met at initialisation, which then also has first == 0): mark them from the
     * owners' flags, summed the same way. */
    double *flag = LOG_CALLOC(cells + 1, sizeof(double));
    for (int i = 0; i < nrec; i++) {
        const obs_crossing *cr = &r[i].obs.cr;
        for (int j = 0; j < cr->n * cr->nthr; j++)
            flag[(size_t)r[i].k * (size_t)(cr->n * cr->nthr) + (size_t)j] = cr->first[j] >= 0;
        for (int j = 0; j < cr->n; j++)
            in->which[j] = cr->which[j];
        for (int j = 0; j < cr->nthr; j++)
            in->thr[j] = cr->thr[j];
    }
    PAR_MPI(MPI_Allreduce(MPI_IN_PLACE, flag, (int)cells, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD));
    PAR_MPI(
        MPI_Allreduce(MPI_IN_PLACE, in->which, OBS_MAX_WATCH, MPI_INT, MPI_MAX, MPI_COMM_WORLD));
    PAR_MPI(
        MPI_Allreduce(MPI_IN_PLACE, in->thr, CFG_LIST_MAX, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD));
    for (size_t j = 0; j < cells; j++)
        if (flag[j] == 0) in->n_cross[j] = NAN;
    free(flag);
    if (in->nw == 0) return;
    hsize_t dc[3] = {(hsize_t)ntask, (hsize_t)in->nw, (hsize_t)in->nthr}, dn = (hsize_t)ntask;
    h5out_group(f, "/crossing", "first threshold crossings of the watched overlaps per task");
    h5out_write_all(f, "/crossing/samples", H5T_NATIVE_DOUBLE, 3, dc, in->n_cross,
                    "[task][watched][threshold] samples drawn (steps x batch) at the first "
                    "checked step with the overlap at or above the threshold; NaN: censored "
                    "(not crossed within the budget); resolution: scaling.check_every steps",
                    "samples");
    h5out_write_all(f, "/crossing/stop", H5T_NATIVE_DOUBLE, 1, &dn, in->n_stop,
                    "[task] samples drawn when the task ended: the budget, or earlier after an "
                    "early stop; the censoring time of uncrossed pairs",
                    "samples");
}

static void run_write_summary(h5out_file *f, const double *fin, int ntask)
{
    size_t w = SUM_NSCALAR + SUM_EXTRA;
    hsize_t d2[2] = {(hsize_t)ntask, SUM_NSCALAR}, d1 = (hsize_t)ntask;
    double *a = LOG_CALLOC((size_t)ntask * w, sizeof(double));
    for (int k = 0; k < ntask; k++)
        memcpy(&a[(size_t)k * SUM_NSCALAR], &fin[(size_t)k * w], SUM_NSCALAR * sizeof(double));
    h5out_group(f, "/summary", "per-task final values");
    h5out_write_all(f, "/summary/final", H5T_NATIVE_DOUBLE, 2, d2, a,
                    "[task][quantity] the last observation; quantities as /series, in the order "
                    "of the attribute 'columns'",
                    "as /series");
    char cols[512] = "";
    for (int s = 0; s < OBS_NSCALAR; s++)
        strcat(strcat(cols, s ? "," : ""), observe_scalar_names[s]);
    h5out_attr_str(f->file, "/summary/final", "columns", cols);
    const char *names[SUM_EXTRA] = {"mmse", "steps", "wall_seconds"};
    const char *desc[SUM_EXTRA] = {
        "exact MMSE per dimension at the task's diffusion time (NaN without closed form)",
        "optimisation steps of the task",
        "wall-clock seconds of the task (timing: differs between runs)"};
    const char *units[SUM_EXTRA] = {"x units^2", "steps", "s"};
    char path[64];
    for (int j = 0; j < SUM_EXTRA; j++) {
        for (int k = 0; k < ntask; k++)
            a[k] = fin[(size_t)k * w + SUM_NSCALAR + (size_t)j];
        snprintf(path, sizeof path, "/summary/%s", names[j]);
        h5out_write_all(f, path, H5T_NATIVE_DOUBLE, 1, &d1, a, desc[j], units[j]);
    }
    free(a);
}

static void run_print_summary(const task_list *tl, const double *fin)
{
    size_t w = SUM_NSCALAR + SUM_EXTRA;
    log_info("\n%6s %3s %5s %8s %6s | %8s %8s %8s | %9s %9s %9s\n", "d", "rep", "combo", "steps",
             "tau", "|m_u|", "|m_v|", "|m_m|", "loss", "excess", "gauss-gap");
    for (int k = 0; k < tl->n; k++) {
        const double *r = &fin[(size_t)k * w];
        log_info("%6d %3d %5d %8.0f %6.1f | %8.4f %8.4f %8.4f | %9.5f %9.2e %9.2e\n", tl->t[k].d,
                 tl->t[k].replica, tl->t[k].combo, r[OBS_STEP], r[OBS_TAU], r[OBS_MAX_U],
                 r[OBS_MAX_V], r[OBS_MAX_M], r[OBS_LOSS_DATA], r[OBS_EXCESS],
                 r[OBS_LOSS_GAUSS] - r[OBS_LOSS_DATA]);
    }
    log_info("(final observation per task: largest |overlap| of any row with u, v, m; test x0 MSE "
             "per dimension; excess over the MMSE; Gaussian-clone loss minus data loss)\n");
}

static void run_dry(const cfg_resolved *cr, const task_list *tl, long n_rows)
{
    const cfg_t *c = &cr->v;
    double steps = 0, np = 0, mem = 0;
    /* A user data set: every row and the clone factor (and its ScaLAPACK work) on every rank. */
    double dd = c->mcm.d.v[0], data = n_rows ? 8.0 * ((double)n_rows * dd + 3 * dd * dd) : 0;
    for (int k = 0; k < tl->n; k++) {
        model_spec s = engine_model_spec(c, tl->t[k].d, 1);
        double p = (double)model_count(&s), d = tl->t[k].d;
        steps += (double)engine_steps(c, tl->t[k].d);
        np = fmax(np, p);
        mem = fmax(mem, 8.0 * (4 * p + 6.0 * d * (double)c->observe.n_eval + 8 * d * 64));
    }
    mem += data;
    double out = (double)tl->n * (double)c->observe.n_obs * (OBS_NSCALAR + 4 * c->model.K) * 8;
    char what[160];
    snprintf(what, sizeof what, "training, %d tasks, %.3g steps in all, up to %.3g parameters",
             tl->n, steps, np);
    cmd_dry_run_report(cr, what, mem, steps * c->train.batch * 2.0 * tl->t[tl->n - 1].d,
                       out + 65536);
}

/* Checkpoint control of this invocation; the sequence continues after the index's last. */
static void run_ctl_init(ckpt_ctl *ctl, const cmd_opts *o, const cfg_resolved *cr)
{
    memset(ctl, 0, sizeof *ctl);
    const char *out = cmd_output_path(o, cr), *base = strrchr(out, '/');
    snprintf(ctl->dir, sizeof ctl->dir, "%s", cr->v.checkpoint.dir);
    snprintf(ctl->stem, sizeof ctl->stem, "%s", base ? base + 1 : out);
    char *dot = strrchr(ctl->stem, '.');
    if (dot && dot != ctl->stem) *dot = 0;
    ctl->keep = (int)cr->v.checkpoint.keep;
    ctl->every = cr->v.checkpoint.every_seconds;
    ctl->every_steps = cr->v.checkpoint.every_steps;
    ctl->limit = o->time_limit;
    ctl->t0 = ctl->last = MPI_Wtime();
}

/* Restart: finished records go to rank 0, tasks in progress are handed out first. */
static int run_restore(const ckpt_set *set, const task_list *tl, unsigned char *skip,
                       const double **active, double *cost, run_record *rec)
{
    int nrec = 0;
    for (int i = 0; i < set->n; i++) {
        int k = ckpt_blob_task(set->blob[i]);
        if (k < 0 || k >= tl->n) LOG_DIE("checkpoint names task %d of %d", k, tl->n);
        if (ckpt_blob_active(set->blob[i])) {
            active[k] = set->blob[i];
            cost[k] = HUGE_VAL;
        } else {
            skip[k] = 1;
            if (log_rank() == 0) ckpt_unpack_finished(&rec[nrec++], set->blob[i]);
        }
    }
    return nrec;
}

/* Every rank takes tasks until none is left, then serves checkpoint requests until every task
 * is done. Returns 1 when a stop request ended the run early. */
static int run_loop(run_ctx *x, const task_list *tl, const double **active)
{
    run_record cur;
    for (int k; (k = task_sched_next(x->sched)) >= 0;) {
        memset(&cur, 0, sizeof cur);
        int stop = run_task(x, &tl->t[k], active[k], &cur);
        if (stop) {
            observe_free(&cur.obs);
            return 1;
        }
        x->rec[x->nrec++] = cur;
        task_sched_done(x->sched, cur.steps);
        if (run_poll(x, NULL, NULL, 1)) return 1;
    }
    for (;;) {
        run_decide(x);
        long v = task_sched_control(x->sched);
        if (TASK_CTL_SEQ(v) > x->ctl->handled) {
            if (run_checkpoint(x, v, NULL, NULL)) return 1;
        } else if (v & TASK_CTL_FINISH) {
            return 0;
        } else if (log_rank() == 0 && v / TASK_CTL_DONE >= x->sched->ntask) {
            task_sched_finish(x->sched); /* no request pending: only rank 0 raises them */
        } else {
            usleep(2000);
        }
    }
}

/* Collective: every dataset of a finished run. */
static void run_finish(h5out_file *f, const cfg_t *c, const task_list *tl, run_record *rec,
                       int nrec)
{
    qsort(rec, (size_t)nrec, sizeof *rec, run_record_cmp); /* rows ascending for the writes */
    cmd_write_tasks(f, tl);
    int rows = nrec ? rec[0].obs.n_rows : 0;
    PAR_MPI(MPI_Allreduce(MPI_IN_PLACE, &rows, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD));
    run_write_series(f, c, tl->n, rows, rec, nrec);
    analysis_input ain;
    run_crossings(f, rec, nrec, tl->n, &ain);
    analysis_write(f, c, tl, &ain);
    free(ain.n_cross);
    free(ain.n_stop);
    double *fin = run_finals(rec, nrec, tl->n);
    run_write_summary(f, fin, tl->n);
    if (log_rank() == 0) run_print_summary(tl, fin);
    free(fin);
}

static void run_write_timing(h5out_file *f, const ckpt_ctl *ctl, double seconds)
{
    double v[4] = {seconds, ctl->count, ctl->total_seconds, (double)ctl->bytes};
    hsize_t n = 4;
    h5out_group(f, "/timing", "wall-clock facts of this invocation (differ between runs)");
    h5out_write_all(f, "/timing/run", H5T_NATIVE_DOUBLE, 1, &n, v,
                    "[seconds of the run, checkpoints written, seconds spent writing them, bytes "
                    "of the last checkpoint]",
                    "s, 1, s, bytes");
}

int cmd_run(const cmd_opts *o, const cfg_resolved *cr)
{
    const cfg_t *c = &cr->v;
    task_list tl;
    int user = dataset_configured(c);
    if (user) run_data_check_cfg(cr);
    task_list_from_cfg(&tl, c);
    if (o->dry_run) {
        run_dry(cr, &tl, user ? run_data_validate(cr) : 0);
        task_list_free(&tl);
        return LOG_EXIT_OK;
    }
    /* A user data set is validated, read and cloned before the output exists (no partial
     * file on a bad data set); a restart reads it again, like the configuration. */
    run_data rd;
    if (user) run_data_load(&rd, cr);
    ckpt_install_signals();
    ckpt_ctl ctl;
    run_ctl_init(&ctl, o, cr);
    if (user)
        ctl.data_fp =
            ckpt_fingerprint(rd.rows, (size_t)rd.ed.n_rows * (size_t)rd.ed.d * sizeof(double));
    ckpt_set set = {0};
    if (o->restart) ckpt_load(&ctl, cr, o->restart_path, &set);
    h5out_file f;
    h5out_create(&f, cmd_output_path(o, cr), cr, "run");
    double *cost = LOG_CALLOC((size_t)tl.n, sizeof(double));
    run_status st = {.every = c->observe.status_every, .ntask = tl.n, .t0 = MPI_Wtime()};
    for (int k = 0; k < tl.n; k++) {
        cost[k] = (double)engine_steps(c, tl.t[k].d) * tl.t[k].d;
        st.total_steps += engine_steps(c, tl.t[k].d);
    }
    unsigned char *skip = LOG_CALLOC((size_t)tl.n, 1);
    const double **active = LOG_CALLOC((size_t)tl.n, sizeof(double *));
    run_record *rec = LOG_CALLOC((size_t)tl.n, sizeof(run_record));
    run_ctx x = {.cr = cr, .ud = user ? &rd.ed : NULL, .st = &st, .ctl = &ctl, .rec = rec};
    x.nrec = run_restore(&set, &tl, skip, active, cost, rec);
    task_sched sch;
    task_sched_init(&sch, tl.n, cost, skip);
    st.sched = x.sched = &sch;
    st.last = st.t0;
    int stopped = run_loop(&x, &tl, active);
    task_sched_free(&sch);
    int nrec = x.nrec;
    if (stopped) {
        h5out_abandon(&f);
        if (log_rank() == 0) {
            FILE *m = fopen("CONTINUE", "w");
            if (m) fprintf(m, "%s/%s-%06ld.h5\n", ctl.dir, ctl.stem, ctl.seq), fclose(m);
        }
        log_info("stopped with checkpoint %ld; continue with --restart (exit 3)\n", ctl.seq);
    } else {
        run_finish(&f, c, &tl, rec, nrec);
        if (user) run_data_write(&f, &rd, cr);
        run_write_timing(&f, &ctl, MPI_Wtime() - ctl.t0);
        h5out_finish(&f);
        if (log_rank() == 0) remove("CONTINUE");
        log_info("wrote %s\n", cmd_output_path(o, cr));
    }
    for (int i = 0; i < nrec; i++)
        observe_free(&rec[i].obs);
    free(rec), free(cost), free(skip), free(active);
    ckpt_set_free(&set);
    task_list_free(&tl);
    if (user) run_data_free(&rd);
    return stopped ? LOG_EXIT_CHECKPOINT : LOG_EXIT_OK;
}
