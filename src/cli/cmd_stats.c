/* cmd_stats — `mcmsim stats`: per task, moments and histograms of the projections of MCM samples
 * x0 and of their forward-process images x_t on m, u, v and a random direction r orthogonal to
 * them, next to the exact values of mcm-model.md §1.4 and §2.2. Tasks are distributed over ranks;
 * each task runs on one rank in sample order, so every number is independent of the rank count. */
#include "cli/cmd.h"

#include "io/h5out.h"
#include "base/log.h"
#include "core/mcm_moments.h"
#include "core/projstat.h"
#include "parallel/par.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { RUN_NT = 2, RUN_ND = MCM_MOM_NDIR, RUN_NM = 7, RUN_NSUM = 9 };
enum { DIR_M = MCM_MOM_M, DIR_U = MCM_MOM_U, DIR_V = MCM_MOM_V, DIR_R = MCM_MOM_R };
static const char *const run_dir_names = "m,u,v,r";

/* Everything one rank computes, [owned task][time][direction][...], ready to write as rows. */
typedef struct {
    int nown, bins;
    double *mom;      /* [nown][2][4][7] mean var skew kurt mean_se var_se kurt_se */
    double *theory;   /* [nown][2][4][3] mean var excess kurtosis (NaN where not exact) */
    double *cov;      /* [nown][2][2] measured, theory */
    int64_t *hist;    /* [nown][2][4][bins] */
    int64_t *outside; /* [nown][2][4] */
    double *edges;    /* [nown][2][4][bins + 1] */
} run_result;

/* The exact values (mcm_moments) are published only where they are exact; NaN elsewhere. */
static void run_store(const projstat_acc *acc, int k, int ti, int exact, const mcm_moments *th,
                      run_result *r)
{
    size_t row = (size_t)k * RUN_NT + (size_t)ti, bins = (size_t)r->bins;
    for (int j = 0; j < RUN_ND; j++) {
        projstat_moments mo;
        projstat_result(acc, j, &mo);
        double v[RUN_NM] = {mo.mean,    mo.variance,    mo.skewness,          mo.excess_kurtosis,
                            mo.mean_se, mo.variance_se, mo.excess_kurtosis_se};
        memcpy(&r->mom[(row * RUN_ND + (size_t)j) * RUN_NM], v, sizeof v);
        double e[3] = {th->mean[j], th->variance[j], th->excess_kurtosis[j]};
        for (int q = 0; q < 3; q++)
            r->theory[(row * RUN_ND + (size_t)j) * 3 + (size_t)q] = exact ? e[q] : NAN;
        memcpy(&r->hist[(row * RUN_ND + (size_t)j) * bins], &acc->hist[(size_t)j * bins],
               bins * sizeof(int64_t));
        r->outside[row * RUN_ND + (size_t)j] = acc->outside[j];
        projstat_edges(acc, j, &r->edges[(row * RUN_ND + (size_t)j) * (bins + 1)]);
    }
    r->cov[row * 2] = projstat_cross_cov(acc);
    r->cov[row * 2 + 1] = exact ? th->cov_uv : NAN;
}

/* One task: n samples in blocks, projections of x0 and x_t accumulated in sample order. */
static void run_task(const cfg_t *c, const task_t *t, int k, run_result *r)
{
    mcm_params p = spec_mcm(c, t->d);
    double al[RUN_NT] = {1.0, 0.0}, sg[RUN_NT] = {0.0, 0.0};
    mcm_moments th[RUN_NT];
    spec_coeffs(c, &al[1], &sg[1]);
    uint32_t seed = (uint32_t)c->run.seed;
    mcm_model mod;
    mcm_init(&mod, &p, seed, t->id);
    size_t d = (size_t)t->d, nb = (size_t)c->stats.block;
    double *dir[RUN_ND] = {mod.m, mod.u, mod.v, LOG_CALLOC(d, sizeof(double))};
    mcm_probe(&mod, seed, t->id, dir[DIR_R]);
    projstat_acc acc[RUN_NT];
    int exact = 0;
    for (int ti = 0; ti < RUN_NT; ti++) {
        exact = mcm_moments_compute(&p, al[ti], sg[ti], &th[ti]);
        double cen[RUN_ND], sc[RUN_ND];
        for (int j = 0; j < RUN_ND; j++)
            cen[j] = th[ti].mean[j], sc[j] = sqrt(th[ti].variance[j]);
        projstat_init(&acc[ti], RUN_ND, c->stats.bins, c->stats.range, cen, sc, DIR_U, DIR_V);
    }
    double *X = LOG_CALLOC(nb * d, sizeof(double)), *xt = LOG_CALLOC(d, sizeof(double));
    for (int64_t i0 = 0; i0 < c->stats.n_samples; i0 += (int64_t)nb) {
        size_t n = (size_t)(c->stats.n_samples - i0) < nb ? (size_t)(c->stats.n_samples - i0) : nb;
        mcm_sample_block(&mod, seed, t->id, (uint64_t)i0, n, X, NULL, NULL, NULL);
        for (size_t s = 0; s < n; s++) {
            const double *x0 = &X[s * d];
            diff_forward(al[1], sg[1], seed, t->id, (uint64_t)i0 + s, d, x0, xt);
            double h0[RUN_ND], h1[RUN_ND];
            for (int j = 0; j < RUN_ND; j++)
                h0[j] = mcm_dot(dir[j], x0, (int)d);
            for (int j = 0; j < RUN_ND; j++)
                h1[j] = mcm_dot(dir[j], xt, (int)d);
            projstat_add(&acc[0], h0);
            projstat_add(&acc[1], h1);
        }
    }
    for (int ti = 0; ti < RUN_NT; ti++) {
        run_store(&acc[ti], k, ti, exact, &th[ti], r);
        projstat_free(&acc[ti]);
    }
    free(X);
    free(xt);
    free(dir[DIR_R]);
    mcm_free(&mod);
}

static void run_alloc(run_result *r, int nown, int bins)
{
    size_t rows = (size_t)(nown > 0 ? nown : 1) * RUN_NT * RUN_ND, b = (size_t)bins;
    r->nown = nown;
    r->bins = bins;
    r->mom = LOG_CALLOC(rows * RUN_NM, sizeof(double));
    r->theory = LOG_CALLOC(rows * 3, sizeof(double));
    r->cov = LOG_CALLOC((size_t)(nown > 0 ? nown : 1) * RUN_NT * 2, sizeof(double));
    r->hist = LOG_CALLOC(rows * b, sizeof(int64_t));
    r->outside = LOG_CALLOC(rows, sizeof(int64_t));
    r->edges = LOG_CALLOC(rows * (b + 1), sizeof(double));
}

static void run_release(run_result *r)
{
    free(r->mom);
    free(r->theory);
    free(r->cov);
    free(r->hist);
    free(r->outside);
    free(r->edges);
}

/* The task table and per-task results of schema v1; rows are tasks, cyclic over ranks. */
static void run_write(h5out_file *f, const cfg_t *c, const task_list *tl, const run_result *r)
{
    int rank = log_rank(), size = log_size();
    hsize_t nt = (hsize_t)tl->n, b = (hsize_t)r->bins, own = (hsize_t)r->nown;
    cmd_write_tasks(f, tl);
    h5out_group(f, "/stats",
                "projections h = w.x of x0 (time index 0) and x_t (time index 1) "
                "on w = m, u, v, r (r random, orthogonal to m, u, v)");
    h5out_attr_str(f->file, "/stats", "directions", run_dir_names);
    h5out_attr_long(f->file, "/stats", "n_samples", c->stats.n_samples);
    double al, sg;
    spec_coeffs(c, &al, &sg);
    h5out_attr_double(f->file, "/stats", "t", c->diffusion.t);
    h5out_attr_double(f->file, "/stats", "alpha_t", al);
    h5out_attr_double(f->file, "/stats", "sigma_t", sg);
    hsize_t dm[4] = {nt, RUN_NT, RUN_ND, RUN_NM}, d3[4] = {nt, RUN_NT, RUN_ND, 3};
    hsize_t dc[3] = {nt, RUN_NT, 2}, dh[4] = {nt, RUN_NT, RUN_ND, b};
    hsize_t de[4] = {nt, RUN_NT, RUN_ND, b + 1}, dout[3] = {nt, RUN_NT, RUN_ND};
    hsize_t r0 = (hsize_t)rank, st = (hsize_t)size;
    h5out_write_rows(f, "/stats/moments", H5T_NATIVE_DOUBLE, 4, dm, r0, st, own, r->mom,
                     "[task][time][direction][mean, variance, skewness, excess kurtosis, SE of "
                     "mean, SE of variance, SE of excess kurtosis]; SEs by the delta method",
                     "x units (mean), x units^2 (variance), 1 (shape)");
    h5out_write_rows(f, "/stats/theory", H5T_NATIVE_DOUBLE, 4, d3, r0, st, own, r->theory,
                     "[task][time][direction][mean, variance, excess kurtosis], exact from the "
                     "model; NaN where no closed form is implemented",
                     "as /stats/moments");
    h5out_write_rows(f, "/stats/cov_uv", H5T_NATIVE_DOUBLE, 3, dc, r0, st, own, r->cov,
                     "[task][time][measured, exact] covariance of u.x and v.x", "x units^2");
    h5out_write_rows(f, "/stats/hist", H5T_NATIVE_INT64, 4, dh, r0, st, own, r->hist,
                     "[task][time][direction][bin] sample counts, half-open bins", "samples");
    h5out_write_rows(f, "/stats/hist_edges", H5T_NATIVE_DOUBLE, 4, de, r0, st, own, r->edges,
                     "[task][time][direction][edge] bin edges, mean +- range x exact std",
                     "x units");
    h5out_write_rows(f, "/stats/hist_outside", H5T_NATIVE_INT64, 3, dout, r0, st, own, r->outside,
                     "[task][time][direction] samples outside the histogram range", "samples");
}

enum { SUM_K = 12 };

/* The summary line values of owned task k. */
static void run_summary_row(const run_result *r, int k, double *o)
{
    const double *m0 = &r->mom[(size_t)k * RUN_NT * RUN_ND * RUN_NM];
    const double *m1 = m0 + RUN_ND * RUN_NM;
    const double *t0 = &r->theory[(size_t)k * RUN_NT * RUN_ND * 3], *t1 = t0 + RUN_ND * 3;
    double v[SUM_K] = {m0[DIR_U * RUN_NM + 1], t0[DIR_U * 3 + 1],      m0[DIR_V * RUN_NM + 1],
                       m0[DIR_V * RUN_NM + 3], m0[DIR_V * RUN_NM + 6], t0[DIR_V * 3 + 2],
                       m0[DIR_U * RUN_NM + 3], m0[DIR_R * RUN_NM + 3], m1[DIR_V * RUN_NM + 3],
                       t1[DIR_V * 3 + 2],      r->cov[(size_t)k * 4],  r->cov[(size_t)k * 4 + 1]};
    memcpy(o, v, sizeof v);
}

static void run_summary(const task_list *tl, const run_result *r, const cfg_t *c)
{
    int rank = log_rank();
    double *mine = LOG_CALLOC((size_t)(r->nown > 0 ? r->nown : 1) * SUM_K, sizeof(double));
    for (int k = 0; k < r->nown; k++)
        run_summary_row(r, k, &mine[k * SUM_K]);
    double *all = cmd_gather_task_rows(tl, mine, r->nown, SUM_K);
    if (rank == 0 && !log_quiet()) {
        log_info("\n%6s %3s | %7s %7s | %6s | %8s %6s %8s | %7s %7s | %8s %8s | %7s %7s\n", "d",
                 "rep", "var(u)", "exact", "var(v)", "kurt(v)", "+-SE", "exact", "kurt(u)",
                 "kurt(r)", "kurt_t(v)", "exact", "cov(uv)", "exact");
        for (int k = 0; k < tl->n; k++) {
            const double *v = &all[(size_t)k * SUM_K];
            log_info("%6d %3d | %7.4f %7.4f | %6.4f | %8.4f %6.4f %8.4f | %7.4f %7.4f | %8.4f "
                     "%8.4f | %7.4f %7.4f\n",
                     tl->t[k].d, tl->t[k].replica, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7],
                     v[8], v[9], v[10], v[11]);
        }
        log_info("(%ld samples per task; kurt = excess kurtosis; _t: after the forward process "
                 "at t = %g)\n",
                 c->stats.n_samples, c->diffusion.t);
    }
    free(mine), free(all);
}

int cmd_stats(const cmd_opts *o, const cfg_resolved *cr)
{
    const cfg_t *c = &cr->v;
    task_list tl;
    task_list_make(&tl, c->mcm.d.v, c->mcm.d.n, (int)c->run.n_seeds);
    int rank = log_rank(), size = log_size(), dmax = 0;
    for (int k = 0; k < tl.n; k++)
        dmax = tl.t[k].d > dmax ? tl.t[k].d : dmax;
    if (o->dry_run) {
        double per_task = (double)c->stats.n_samples * 2.0 * (dmax + 2);
        double out = (double)tl.n * RUN_NT * RUN_ND * (2.0 * c->stats.bins + RUN_NM + 8) * 8;
        cmd_dry_run_report(cr, "projection statistics", 8.0 * (double)dmax * (c->stats.block + 8),
                           per_task * tl.n, out + 65536);
        task_list_free(&tl);
        return LOG_EXIT_OK;
    }
    h5out_file f;
    h5out_create(&f, cmd_output_path(o, cr), cr, "stats");
    run_result r;
    run_alloc(&r, task_count_owned(tl.n, rank, size), c->stats.bins);
    for (int i = 0; i < r.nown; i++)
        run_task(c, &tl.t[rank + i * size], i, &r);
    run_write(&f, c, &tl, &r);
    run_summary(&tl, &r, c);
    h5out_finish(&f);
    log_info("wrote %s\n", cmd_output_path(o, cr));
    run_release(&r);
    task_list_free(&tl);
    return LOG_EXIT_OK;
}
