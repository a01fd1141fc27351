/* run_out — the datasets and the printed summary of a finished run. See include/io/run_out.h. */
#include "io/run_out.h"

#include "base/log.h"
#include "engine/observe.h"
#include "io/analysis.h"
#include "parallel/par.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SUM_NSCALAR = OBS_NSCALAR, SUM_EXTRA = 3 }; /* extra: mmse, steps, wall seconds */

static int run_out_cmp(const void *a, const void *b)
{
    return ((const ckpt_record *)a)->k - ((const ckpt_record *)b)->k;
}

/* Collective: the rows of every dataset that this rank's records hold. */
static void run_out_series(h5out_file *f, const cfg_t *c, int ntask, int rows_per, ckpt_record *r,
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

/* Collective: /snapshots (observe.snapshots), the parameters at every observation. The width is
 * the largest parameter count of the configuration's tasks (not of this rank's records), so
 * every rank and every slice of a run write the same shape. */
static void run_out_snapshots(h5out_file *f, const cfg_t *c, const task_list *tl,
                              const ckpt_record *r, int nrec)
{
    size_t nobs = (size_t)c->observe.n_obs, np = 1;
    for (int k = 0; k < tl->n; k++) {
        cfg_t tc = *c;
        task_apply(&tl->t[k], &tc);
        model_spec ms = spec_model(&tc, tl->t[k].d);
        size_t n = model_count(&ms);
        np = n > np ? n : np;
    }
    hsize_t *rows = LOG_CALLOC((size_t)nrec + 1, sizeof(hsize_t));
    double *th = LOG_CALLOC(((size_t)nrec + 1) * nobs * np, sizeof(double));
    double *st = LOG_CALLOC(((size_t)nrec + 1) * nobs, sizeof(double));
    double *npar = LOG_CALLOC((size_t)nrec + 1, sizeof(double));
    for (size_t i = 0; i < ((size_t)nrec + 1) * nobs * np; i++)
        th[i] = NAN;
    for (int i = 0; i < nrec; i++) {
        const observer *o = &r[i].obs;
        rows[i] = (hsize_t)r[i].k;
        npar[i] = (double)o->n_snap;
        for (size_t j = 0; j < nobs; j++) {
            st[(size_t)i * nobs + j] = o->scalar[j * OBS_NSCALAR + OBS_STEP];
            if (o->snap)
                memcpy(&th[((size_t)i * nobs + j) * np], &o->snap[j * o->n_snap],
                       o->n_snap * sizeof(double));
        }
    }
    h5out_group(f, "/snapshots",
                "the model parameters theta at every observation (observe.snapshots), in the "
                "flat layout of core/model.h for the family and spec of /config; mcmsim generate "
                "(score = model) rebuilds the denoiser from them");
    hsize_t d3[3] = {(hsize_t)tl->n, nobs, np}, d2[2] = {(hsize_t)tl->n, nobs}, d1 = tl->n;
    h5out_write_rowlist(f, "/snapshots/theta", H5T_NATIVE_DOUBLE, 3, d3, rows, (hsize_t)nrec, th,
                        "[task][observation][parameter] theta at each observation of /series; "
                        "NaN beyond the task's /snapshots/n_param and after its last observation",
                        "parameter units");
    h5out_write_rowlist(f, "/snapshots/step", H5T_NATIVE_DOUBLE, 2, d2, rows, (hsize_t)nrec, st,
                        "[task][observation] optimisation steps taken at each snapshot (as "
                        "/series/step); NaN after the last observation",
                        "steps");
    h5out_write_rowlist(f, "/snapshots/n_param", H5T_NATIVE_DOUBLE, 1, &d1, rows, (hsize_t)nrec,
                        npar, "[task] parameters of the task's model (the used width of theta)",
                        "parameters");
    free(rows), free(th), free(st), free(npar);
}

/* The final observation of every task, everywhere (sum of disjoint rows), for the summary. */
static double *run_out_finals(const ckpt_record *r, int nrec, int ntask)
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
static void run_out_crossings(h5out_file *f, const ckpt_record *r, int nrec, int ntask,
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
        MPI_Allreduce(MPI_IN_PLACE, in->thr, SPEC_LIST_MAX, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD));
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

static void run_out_summary(h5out_file *f, const double *fin, int ntask)
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

static void run_out_print(const task_list *tl, const double *fin)
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

/* The smallest Gram eigenvalue over every observation of every task (reduced engine), printed
 * so a user sees the chain's numerical health without opening the file. */
static void run_out_gram_report(const ckpt_record *rec, int nrec)
{
    double mn = INFINITY;
    for (int i = 0; i < nrec; i++)
        for (int j = 0; j < rec[i].obs.n_points; j++) {
            double g = rec[i].obs.scalar[(size_t)j * OBS_NSCALAR + OBS_GRAM_MIN];
            if (!isnan(g)) mn = fmin(mn, g);
        }
    PAR_MPI(MPI_Allreduce(MPI_IN_PLACE, &mn, 1, MPI_DOUBLE, MPI_MIN, MPI_COMM_WORLD));
    if (isfinite(mn))
        log_info("smallest eigenvalue of the parameter Gram matrix over all observations: %.3e "
                 "(series gram_min_eig)\n",
                 mn);
}

void run_out_write(h5out_file *f, const cfg_t *c, const task_list *tl, ckpt_record *rec, int nrec)
{
    qsort(rec, (size_t)nrec, sizeof *rec, run_out_cmp); /* rows ascending for the writes */
    int rows = nrec ? rec[0].obs.n_rows : 0;
    PAR_MPI(MPI_Allreduce(MPI_IN_PLACE, &rows, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD));
    run_out_series(f, c, tl->n, rows, rec, nrec);
    if (c->observe.snapshots) run_out_snapshots(f, c, tl, rec, nrec);
    analysis_input ain;
    run_out_crossings(f, rec, nrec, tl->n, &ain);
    spec_analysis sa;
    spec_analysis_build(&sa, c, tl);
    analysis_write(f, &sa, tl, &ain);
    spec_analysis_free(&sa);
    free(ain.n_cross);
    free(ain.n_stop);
    double *fin = run_out_finals(rec, nrec, tl->n);
    run_out_summary(f, fin, tl->n);
    if (log_rank() == 0) run_out_print(tl, fin);
    run_out_gram_report(rec, nrec);
    free(fin);
}

void run_out_timing(h5out_file *f, const ckpt_ctl *ctl, double seconds)
{
    double v[4] = {seconds, ctl->count, ctl->total_seconds, (double)ctl->bytes};
    hsize_t n = 4;
    h5out_group(f, "/timing", "wall-clock facts of this invocation (differ between runs)");
    h5out_write_all(f, "/timing/run", H5T_NATIVE_DOUBLE, 1, &n, v,
                    "[seconds of the run, checkpoints written, seconds spent writing them, bytes "
                    "of the last checkpoint]",
                    "s, 1, s, bytes");
}
