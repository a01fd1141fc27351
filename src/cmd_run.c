/* cmd_run — `mcmsim run`: trains the configured denoiser on every task (d x sweep x replica),
 * tasks taken dynamically by the ranks, and writes the observers' series and final summaries.
 * Each rank keeps the records of the tasks it ran and writes exactly those rows. */
#include "cmd.h"

#include "analysis.h"
#include "engine.h"
#include "log.h"
#include "observe.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { SUM_NSCALAR = OBS_NSCALAR, SUM_EXTRA = 3 }; /* extra: mmse, steps, wall seconds */

/* What one finished task leaves behind: its observer and run facts. */
typedef struct {
    int k;
    observer obs;
    double mmse, wall;
    long steps; /* steps run: the budget, or fewer after an early stop */
    int batch;
} run_record;

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

static void run_task(const cfg_t *base, const task_t *t, run_status *st, run_record *rec)
{
    cfg_t c = *base;
    task_apply(t, &c);
    double t0 = MPI_Wtime();
    engine e;
    engine_init(&e, &c, t->d, t->id, OBS_EVAL_CHUNK);
    observe_init(&rec->obs, &e, (int)c.observe.n_obs, (int)c.observe.n_eval);
    observe_maybe(&rec->obs, &e);
    int left = observe_crossing(&rec->obs, &e, 1);
    while (e.step < e.steps && !(c.scaling.early_stop && left == 0)) {
        engine_step(&e);
        int seen = observe_maybe(&rec->obs, &e);
        left = observe_crossing(&rec->obs, &e, 0);
        if (left == 0 && c.scaling.early_stop && !seen && e.step < e.steps)
            observe_now(&rec->obs, &e); /* the last observation of a task stopped early */
        if ((e.step & 1023) == 0) run_status_line(st, e.step);
    }
    rec->k = t->index;
    rec->mmse = rec->obs.mmse;
    rec->steps = e.step;
    rec->batch = e.B;
    rec->wall = MPI_Wtime() - t0;
    engine_free(&e);
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
    LOG_MPI(MPI_Allreduce(mine, all, ntask * (int)w, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD));
    free(mine);
    return all;
}

/* The crossings of every task on every rank (sum of disjoint rows), and /crossing. */
static void run_crossings(h5out_file *f, const run_record *r, int nrec, int ntask,
                          analysis_input *in)
{
    const obs_crossing *cr0 = nrec ? &r[0].obs.cr : NULL;
    int meta[2] = {cr0 ? cr0->n : 0, cr0 ? cr0->nthr : 0};
    LOG_MPI(MPI_Allreduce(MPI_IN_PLACE, meta, 2, MPI_INT, MPI_MAX, MPI_COMM_WORLD));
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
    LOG_MPI(
        MPI_Allreduce(MPI_IN_PLACE, in->n_cross, (int)cells, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD));
    LOG_MPI(MPI_Allreduce(MPI_IN_PLACE, in->n_stop, ntask, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD));
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
    LOG_MPI(MPI_Allreduce(MPI_IN_PLACE, flag, (int)cells, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD));
    LOG_MPI(MPI_Allreduce(MPI_IN_PLACE, in->which, ANALYSIS_MAX_WATCH, MPI_INT, MPI_MAX,
                          MPI_COMM_WORLD));
    LOG_MPI(
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

static void run_dry(const cfg_resolved *cr, const task_list *tl)
{
    const cfg_t *c = &cr->v;
    double steps = 0, np = 0, mem = 0;
    for (int k = 0; k < tl->n; k++) {
        model_spec s = engine_model_spec(c, tl->t[k].d, 1);
        double p = (double)model_count(&s), d = tl->t[k].d;
        steps += (double)engine_steps(c, tl->t[k].d);
        np = fmax(np, p);
        mem = fmax(mem, 8.0 * (4 * p + 6.0 * d * (double)c->observe.n_eval + 8 * d * 64));
    }
    double out = (double)tl->n * (double)c->observe.n_obs * (OBS_NSCALAR + 4 * c->model.K) * 8;
    char what[160];
    snprintf(what, sizeof what, "training, %d tasks, %.3g steps in all, up to %.3g parameters",
             tl->n, steps, np);
    cmd_dry_run_report(cr, what, mem, steps * c->train.batch * 2.0 * tl->t[tl->n - 1].d,
                       out + 65536);
}

int cmd_run(const cmd_opts *o, const cfg_resolved *cr)
{
    const cfg_t *c = &cr->v;
    task_list tl;
    task_list_from_cfg(&tl, c);
    if (o->dry_run) {
        run_dry(cr, &tl);
        task_list_free(&tl);
        return LOG_EXIT_OK;
    }
    h5out_file f;
    h5out_create(&f, cmd_output_path(o, cr), cr, "run");
    double *cost = LOG_CALLOC((size_t)tl.n, sizeof(double));
    run_status st = {.every = c->observe.status_every, .ntask = tl.n, .t0 = MPI_Wtime()};
    for (int k = 0; k < tl.n; k++) {
        cost[k] = (double)engine_steps(c, tl.t[k].d) * tl.t[k].d;
        st.total_steps += engine_steps(c, tl.t[k].d);
    }
    task_sched sch;
    task_sched_init(&sch, tl.n, cost);
    st.sched = &sch;
    st.last = st.t0;
    run_record *rec = LOG_CALLOC((size_t)tl.n, sizeof(run_record));
    int nrec = 0;
    for (int k; (k = task_sched_next(&sch)) >= 0; nrec++) {
        run_task(c, &tl.t[k], &st, &rec[nrec]);
        task_sched_done(&sch, rec[nrec].steps);
    }
    task_sched_free(&sch);
    qsort(rec, (size_t)nrec, sizeof *rec, run_record_cmp); /* rows ascending for the writes */
    cmd_write_tasks(&f, &tl);
    int rows = rec && nrec ? rec[0].obs.n_rows : 0;
    LOG_MPI(MPI_Allreduce(MPI_IN_PLACE, &rows, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD));
    run_write_series(&f, c, tl.n, rows, rec, nrec);
    analysis_input ain;
    run_crossings(&f, rec, nrec, tl.n, &ain);
    analysis_write(&f, c, &tl, &ain);
    free(ain.n_cross);
    free(ain.n_stop);
    double *fin = run_finals(rec, nrec, tl.n);
    run_write_summary(&f, fin, tl.n);
    if (log_rank() == 0) run_print_summary(&tl, fin);
    h5out_finish(&f);
    log_info("wrote %s\n", cmd_output_path(o, cr));
    for (int i = 0; i < nrec; i++)
        observe_free(&rec[i].obs);
    free(rec);
    free(fin);
    free(cost);
    task_list_free(&tl);
    return LOG_EXIT_OK;
}
