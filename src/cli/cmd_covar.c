/* cmd_covar — `mcmsim covar`: covariance spectra, PCA spike recovery against BBP, and clones of
 * MCM data or of a user data set, on ScaLAPACK grids.
 *
 * Tasks are the run's base tasks (d x sweep combinations x replicas) times the sample sizes
 * covar.alpha (alpha fastest). Sample i of a base task is the same for every alpha, so the
 * sample sets of one base task are nested: the alpha scan follows PCA as data arrive. The ranks
 * form covar.groups groups of equal size, each with its own process grid; task k runs on group
 * k mod groups (static, so which group computes a task never changes its samples). Results are
 * collected on the group leaders and written collectively at the end. */
#include "core/clone.h"
#include "cli/cmd.h"
#include "parallel/covar.h"
#include "io/h5out.h"
#include "base/limits.h"
#include "base/log.h"
#include "parallel/spectrum.h"
#include "core/theory_bbp.h"
#include "parallel/par.h"
#include "parallel/clone_build.h"
#include "io/dmat_h5.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int base; /* index into the base task list */
    int d;
    double alpha; /* n / d */
    long n;
} cov_task;

typedef struct {
    spectrum_t sp;
    double *mean;   /* [d] */
    double *clones; /* [2][n_clone][d]: Gaussian clone, then mean clone */
    double *spikes; /* [3][d] m, u, v, or NULL when unknown */
    double sum[10]; /* see COV_SUM_* */
} cov_result;

enum {
    COV_LMAX,
    COV_OV2,
    COV_BBP_L,
    COV_BBP_OV2,
    COV_EDGE,
    COV_INFO,
    COV_T_COV,
    COV_T_EIG,
    COV_GFLOPS,
    COV_CLIP,
    COV_NSUM
};
static const char *const cov_sum_names[COV_NSUM] = {
    "lambda_max",  "overlap2_u",  "bbp_lambda",  "bbp_overlap2", "mp_edge",
    "solver_info", "seconds_cov", "seconds_eig", "gflops_cov",   "clone_clipped"};
static const char *const cov_sum_units[COV_NSUM] = {
    "x units^2", "1", "x units^2", "1", "x units^2", "1", "s", "s", "GFLOP/s", "1"};
static const char *const cov_sum_desc[COV_NSUM] = {
    "largest eigenvalue of the sample covariance",
    "squared overlap (v_1 . u)^2 of the top eigenvector with the spike u (NaN without spikes)",
    "BBP prediction of the top eigenvalue (d -> infinity) for the population spike beta = l - 1, "
    "l the top eigenvalue of the exact (u, v) covariance block (beta_u with independent latents)",
    "BBP prediction of (v_1 . u)^2: (1 - 1/(alpha beta^2)) / (1 + 1/(alpha beta)) above "
    "alpha = 1/beta^2, else 0, times (e.u)^2 for the block's top eigenvector e",
    "Marchenko-Pastur upper bulk edge (1 + alpha^-1/2)^2",
    "eigensolver info (0: converged)",
    "wall time of the streamed covariance accumulation (timing, not reproducible)",
    "wall time of the eigendecomposition (timing, not reproducible)",
    "covariance accumulation rate, n d^2 flops over seconds_cov (timing)",
    "negative eigenvalues clipped to 0 in the Gaussian-clone factor (-1: no clone)"};

typedef struct {
    const cfg_resolved *cr;
    task_list tl;
    cov_task *t;
    int nt, n_alpha, groups, gsize, nprow, npcol;
    int have_data, have_spikes;
    dataset_t ds;
    double *spikes[3]; /* user spikes m, u, v, or NULL */
} cov_plan;

/* Grid and groups: every problem is a usage error found identically on every rank. */
static void cov_plan_grid(cov_plan *pl)
{
    const cfg_t *c = &pl->cr->v;
    char why[256];
    int size = log_size();
    pl->groups = (int)c->covar.groups;
    if (size % pl->groups != 0) {
        snprintf(why, sizeof why, "%d groups do not divide %d ranks", pl->groups, size);
        cfg_die_key(pl->cr, cfg_find("covar", "groups"),
                    "%s, expected a divisor of the number of ranks", why);
    }
    pl->gsize = size / pl->groups;
    cmd_grid_shape(pl->cr, pl->gsize, &pl->nprow, &pl->npcol);
}

/* Base tasks times sample sizes; n from alpha (or every row of the user's data). */
static void cov_plan_tasks(cov_plan *pl)
{
    const cfg_t *c = &pl->cr->v;
    task_list_from_cfg(&pl->tl, c);
    pl->n_alpha = c->covar.alpha.n > 0 ? c->covar.alpha.n : 1;
    if (c->covar.alpha.n == 0 && !pl->have_data)
        cfg_die_key(pl->cr, cfg_find("covar", "alpha"),
                    "MCM data need sample sizes, got none, expected covar.alpha = a1, a2, ... "
                    "(n = ceil(alpha d))");
    /* The configuration bounds the base tasks; the sample sizes multiply them once more. */
    if ((long)pl->tl.n * pl->n_alpha > LIMITS_MAX_TASKS)
        cfg_die_key(pl->cr, cfg_find("covar", "alpha"),
                    "%d base task(s) (mcm.d x [sweep] x run.n_seeds) x %d sample size(s) = %ld "
                    "covariance tasks, expected at most %ld",
                    pl->tl.n, pl->n_alpha, (long)pl->tl.n * pl->n_alpha, LIMITS_MAX_TASKS);
    pl->nt = pl->tl.n * pl->n_alpha;
    pl->t = LOG_CALLOC((size_t)pl->nt, sizeof(cov_task));
    char why[256];
    for (int b = 0; b < pl->tl.n; b++)
        for (int a = 0; a < pl->n_alpha; a++) {
            cov_task *t = &pl->t[b * pl->n_alpha + a];
            t->base = b;
            t->d = pl->tl.t[b].d;
            t->n = c->covar.alpha.n ? (long)ceil(c->covar.alpha.v[a] * t->d) : pl->ds.n;
            t->alpha = (double)t->n / t->d;
            if (t->n < 2 || (pl->have_data && t->n > pl->ds.n)) {
                snprintf(why, sizeof why, "n = %ld samples at d = %d (the data hold %ld rows)",
                         t->n, t->d, pl->have_data ? pl->ds.n : -1L);
                cfg_die_key(pl->cr, cfg_find("covar", "alpha"),
                            "%s, expected 2 <= ceil(alpha d) <= the rows of the data", why);
            }
            if (c->covar.k > t->d) {
                snprintf(why, sizeof why, "%ld vectors at d = %d", c->covar.k, t->d);
                cfg_die_key(pl->cr, cfg_find("covar", "k"), "%s, expected k <= d", why);
            }
        }
}

static void cov_plan_data(cov_plan *pl)
{
    const cfg_t *c = &pl->cr->v;
    pl->have_data = spec_user_data(c);
    if (!pl->have_data) return;
    dataset_src src;
    cmd_data_source(pl->cr, &src);
    dataset_open(&pl->ds, &src);
    if (c->mcm.d.n != 1 || c->mcm.d.v[0] != pl->ds.d) {
        char why[256];
        snprintf(why, sizeof why, "%d dimension(s) (first %ld) but the data set has d = %d columns",
                 c->mcm.d.n, c->mcm.d.v[0], pl->ds.d);
        cfg_die_key(pl->cr, cfg_find("mcm", "d"),
                    "%s, expected one value, the column count of the data set", why);
    }
    for (int k = 0; k < 3; k++)
        pl->spikes[k] = LOG_CALLOC((size_t)pl->ds.d, sizeof(double));
    pl->have_spikes = dataset_read_spikes(&pl->ds, pl->spikes[0], pl->spikes[1], pl->spikes[2]);
}

/* Largest per-rank footprint over the tasks: covariance, eigenvectors (and pdsyevr's copy), the
 * eigensolver's workspace (about two local matrices), the sample block and the clone factor. */
static double cov_bytes_per_rank(const cov_plan *pl)
{
    const cfg_t *c = &pl->cr->v;
    int bs = (int)c->covar.block_size;
    double worst = 0;
    for (int k = 0; k < pl->nt; k++) {
        int d = pl->t[k].d;
        double mat = (double)dmat_bytes_max(pl->nprow, pl->npcol, d, d, bs, bs);
        double nmat = 4 + (c->covar.solver == DMAT_PDSYEVR) + (c->clone.n_samples > 0);
        double blk = (double)(c->covar.block < pl->t[k].n ? c->covar.block : pl->t[k].n);
        double rows = ceil(blk / pl->nprow) * d * 8.0;
        double b = nmat * mat + rows * (1 + 1.0 / pl->npcol) +
                   (c->clone.n_samples > 0 ? 8.0 * d * d : 0) + 8.0 * d * (c->covar.k + 4);
        if (b > worst) worst = b;
    }
    return worst;
}

static void cov_plan_free(cov_plan *pl)
{
    if (pl->have_data) dataset_close(&pl->ds);
    for (int k = 0; k < 3; k++)
        free(pl->spikes[k]);
    free(pl->t);
    task_list_free(&pl->tl);
}

/* The MCM of a base task, or NULL with user data; the task's configuration lands in tc. */
static void cov_model(const cov_plan *pl, const cov_task *t, cfg_t *tc, mcm_model *mod)
{
    *tc = pl->cr->v;
    task_apply(&pl->tl.t[t->base], tc);
    mcm_params p = spec_mcm(tc, t->d);
    mcm_init(mod, &p, (uint32_t)tc->run.seed, pl->tl.t[t->base].id);
}

/* Clone samples of task k (indices 0 .. n-1 of RNG_EVAL, Gaussian then mean clone). */
static void cov_clones(const cov_plan *pl, const covar_t *cv, uint64_t id, cov_result *r,
                       int leader)
{
    const cfg_t *c = &pl->cr->v;
    long ns = c->clone.n_samples;
    r->sum[COV_CLIP] = -1;
    if (ns == 0) return;
    dmat tmp;
    dmat_clone(&tmp, &cv->cov);
    clone_t cl;
    clone_build(&cl, &tmp, cv->mean, (clone_method)c->clone.method, c->clone.jitter);
    dmat_free(&tmp);
    r->sum[COV_CLIP] = cl.n_clipped;
    if (leader) {
        size_t d = (size_t)cv->d;
        r->clones = LOG_CALLOC(2 * (size_t)ns * d, sizeof(double));
        for (long i = 0; i < ns; i++) {
            clone_sample(&cl, CLONE_GAUSS, (uint32_t)c->run.seed, id, RNG_EVAL, (uint64_t)i,
                         r->clones + (size_t)i * d);
            clone_sample(&cl, CLONE_MEAN, (uint32_t)c->run.seed, id, RNG_EVAL, (uint64_t)i,
                         r->clones + ((size_t)ns + (size_t)i) * d);
        }
    }
    clone_free(&cl);
}

/* The predictions of a task (the edge also bounds its spectrum histogram). */
static void cov_theory(const cov_plan *pl, const mcm_model *mod, const cov_task *t, cov_result *r)
{
    double lt, o2, edge;
    theory_bbp_mcm(&mod->p, t->alpha, &lt, &o2, &edge); /* NaN for a labelled mixture */
    if (pl->have_data) lt = o2 = NAN; /* no spike strength is known for user data */
    r->sum[COV_BBP_L] = lt;
    r->sum[COV_BBP_OV2] = o2;
    r->sum[COV_EDGE] = edge;
}

/* One task on this rank's group grid. The leader keeps the results. */
static void cov_task_run(cov_plan *pl, int k, const dmat_grid *g, h5out_file *f, cov_result *r)
{
    const cfg_t *c = &pl->cr->v;
    const cov_task *t = &pl->t[k];
    cfg_t tc;
    mcm_model mod;
    cov_model(pl, t, &tc, &mod);
    uint64_t id = pl->tl.t[t->base].id;
    covar_t cv;
    double t0 = MPI_Wtime();
    if (pl->have_data)
        covar_from_dataset(&cv, g, &pl->ds, 0, t->n, c->covar.block, (int)c->covar.block_size);
    else
        covar_from_mcm(&cv, g, &mod, (uint32_t)c->run.seed, id, t->n, c->covar.block,
                       (int)c->covar.block_size);
    double t1 = MPI_Wtime();
    if (c->covar.save_matrix) {
        char path[64];
        snprintf(path, sizeof path, "/covar/cov_%d", k);
        dmat_h5_write(&cv.cov, f, path, "sample covariance (divisor n - 1) of the task",
                      "x units^2");
    }
    cov_clones(pl, &cv, id, r, g->myrow == 0 && g->mycol == 0);
    double *sp_mcm[3] = {mod.m, mod.u, mod.v};
    cov_theory(pl, &mod, t, r);
    double *const *src = pl->have_data ? (pl->have_spikes ? pl->spikes : NULL) : sp_mcm;
    double t2 = MPI_Wtime();
    spectrum_compute(&r->sp, &cv.cov, (int)c->covar.k, (dmat_solver)c->covar.solver,
                     (int)c->covar.bins, r->sum[COV_EDGE], src);
    r->sum[COV_T_EIG] = MPI_Wtime() - t2;
    r->sum[COV_LMAX] = r->sp.eval[t->d - 1];
    r->sum[COV_OV2] = r->sp.overlap[1] * r->sp.overlap[1];
    r->sum[COV_INFO] = r->sp.info;
    r->sum[COV_T_COV] = t1 - t0;
    r->sum[COV_GFLOPS] = (double)t->n * t->d * (double)t->d / (t1 - t0) / 1e9;
    r->mean = cv.mean;
    cv.mean = NULL;
    if (src) {
        r->spikes = LOG_CALLOC(3 * (size_t)t->d, sizeof(double));
        for (int s = 0; s < 3; s++)
            memcpy(r->spikes + (size_t)s * (size_t)t->d, src[s], (size_t)t->d * sizeof(double));
    }
    covar_free(&cv);
    mcm_free(&mod);
}

static void cov_result_free(cov_result *r)
{
    spectrum_free(&r->sp);
    free(r->mean);
    free(r->clones);
    free(r->spikes);
    memset(r, 0, sizeof *r);
}

/* Moves task k's result from its group leader to every rank (they all take part in the write). */
static void cov_result_bcast(const cov_plan *pl, int k, cov_result *r)
{
    int root = (k % pl->groups) * pl->gsize, d = pl->t[k].d, kv = (int)pl->cr->v.covar.k;
    int bins = (int)pl->cr->v.covar.bins;
    long ns = pl->cr->v.clone.n_samples;
    if (log_rank() != root) {
        cov_result_free(r); /* a group member's own copy: the leader's is the one written */
        spectrum_alloc(&r->sp, d, kv, bins);
        r->mean = LOG_CALLOC((size_t)d, sizeof(double));
        if (ns) r->clones = LOG_CALLOC(2 * (size_t)ns * (size_t)d, sizeof(double));
        if (pl->have_spikes || !pl->have_data)
            r->spikes = LOG_CALLOC(3 * (size_t)d, sizeof(double));
    }
    if (r->spikes) PAR_MPI(MPI_Bcast(r->spikes, 3 * d, MPI_DOUBLE, root, MPI_COMM_WORLD));
    PAR_MPI(MPI_Bcast(r->sp.eval, d, MPI_DOUBLE, root, MPI_COMM_WORLD));
    PAR_MPI(MPI_Bcast(r->sp.vec, kv * d, MPI_DOUBLE, root, MPI_COMM_WORLD));
    PAR_MPI(MPI_Bcast(r->sp.overlap, kv * 3, MPI_DOUBLE, root, MPI_COMM_WORLD));
    PAR_MPI(MPI_Bcast(r->sp.hist, bins, MPI_DOUBLE, root, MPI_COMM_WORLD));
    PAR_MPI(MPI_Bcast(&r->sp.hist_hi, 1, MPI_DOUBLE, root, MPI_COMM_WORLD));
    PAR_MPI(MPI_Bcast(r->mean, d, MPI_DOUBLE, root, MPI_COMM_WORLD));
    PAR_MPI(MPI_Bcast(r->sum, COV_NSUM, MPI_DOUBLE, root, MPI_COMM_WORLD));
    for (long i = 0; ns && i < 2 * ns; i += 1 << 16) { /* int counts: bounded chunks */
        long m = 2 * ns - i < (1 << 16) ? 2 * ns - i : (1 << 16);
        PAR_MPI(MPI_Bcast(r->clones + (size_t)i * (size_t)d, (int)(m * d), MPI_DOUBLE, root,
                          MPI_COMM_WORLD));
    }
}

static void cov_write_task(const cov_plan *pl, h5out_file *f, int k, const cov_result *r)
{
    char g[64], p[96];
    int d = pl->t[k].d, kv = r->sp.k;
    snprintf(g, sizeof g, "/covar/task_%d", k);
    h5out_group(f, g, "one covariance task: spectrum, top eigenvectors, mean, clone samples");
    h5out_attr_long(f->file, g, "d", d);
    h5out_attr_long(f->file, g, "n", pl->t[k].n);
    h5out_attr_double(f->file, g, "alpha", pl->t[k].alpha);
    h5out_attr_long(f->file, g, "base_task", pl->t[k].base);
    hsize_t dd = (hsize_t)d, dv[2] = {(hsize_t)kv, dd}, dov[2] = {(hsize_t)kv, 3};
    hsize_t db = (hsize_t)r->sp.bins;
    snprintf(p, sizeof p, "%s/eigenvalues", g);
    h5out_write_all(f, p, H5T_NATIVE_DOUBLE, 1, &dd, r->sp.eval,
                    "every eigenvalue of the sample covariance, ascending", "x units^2");
    snprintf(p, sizeof p, "%s/vectors", g);
    h5out_write_all(f, p, H5T_NATIVE_DOUBLE, 2, dv, r->sp.vec,
                    "[j][i] top eigenvectors, largest eigenvalue first, first nonzero entry > 0",
                    "1");
    snprintf(p, sizeof p, "%s/overlaps", g);
    h5out_write_all(f, p, H5T_NATIVE_DOUBLE, 2, dov, r->sp.overlap,
                    "[j][s] signed overlaps of top eigenvector j with the spikes m, u, v (NaN: "
                    "no spikes)",
                    "1");
    snprintf(p, sizeof p, "%s/mean", g);
    h5out_write_all(f, p, H5T_NATIVE_DOUBLE, 1, &dd, r->mean, "sample mean", "x units");
    snprintf(p, sizeof p, "%s/hist", g);
    h5out_write_all(f, p, H5T_NATIVE_DOUBLE, 1, &db, r->sp.hist,
                    "eigenvalue counts in bins of equal width over [0, hist_hi] (attribute)",
                    "eigenvalues");
    h5out_attr_double(f->file, p, "hist_hi", r->sp.hist_hi);
    if (r->spikes) {
        hsize_t ds3[2] = {3, dd};
        snprintf(p, sizeof p, "%s/spikes", g);
        h5out_write_all(f, p, H5T_NATIVE_DOUBLE, 2, ds3, r->spikes,
                        "[s][i] the unit spikes m, u, v of the task's data", "1");
    }
    long ns = pl->cr->v.clone.n_samples;
    if (ns == 0) return;
    hsize_t dc[2] = {(hsize_t)ns, dd};
    snprintf(p, sizeof p, "%s/clone_gauss", g);
    h5out_write_all(f, p, H5T_NATIVE_DOUBLE, 2, dc, r->clones,
                    "samples of the Gaussian clone N(mean, Cov), row i from RNG_EVAL index i",
                    "x units");
    snprintf(p, sizeof p, "%s/clone_mean", g);
    h5out_write_all(f, p, H5T_NATIVE_DOUBLE, 2, dc, r->clones + (size_t)ns * (size_t)d,
                    "samples of the mean clone N(mean, tr(Cov)/d I), row i from RNG_EVAL index i",
                    "x units");
}

static void cov_write_summary(const cov_plan *pl, h5out_file *f, double *sums)
{
    hsize_t nt = (hsize_t)pl->nt;
    double *col = LOG_CALLOC((size_t)pl->nt, sizeof(double));
    long *il = LOG_CALLOC((size_t)pl->nt * 3, sizeof(long));
    for (int k = 0; k < pl->nt; k++) {
        il[k] = pl->t[k].d, il[pl->nt + k] = pl->t[k].n, il[2 * pl->nt + k] = pl->t[k].base;
        col[k] = pl->t[k].alpha;
    }
    h5out_write_all(f, "/covar/d", H5T_NATIVE_LONG, 1, &nt, il, "dimension of the task", "1");
    h5out_write_all(f, "/covar/n", H5T_NATIVE_LONG, 1, &nt, il + pl->nt, "samples of the task",
                    "samples");
    h5out_write_all(f, "/covar/base_task", H5T_NATIVE_LONG, 1, &nt, il + 2 * pl->nt,
                    "row of /tasks (d, sweep combination, replica) the samples come from", "1");
    h5out_write_all(f, "/covar/alpha", H5T_NATIVE_DOUBLE, 1, &nt, col, "alpha = n / d",
                    "samples/d");
    char p[64];
    for (int s = 0; s < COV_NSUM; s++) {
        for (int k = 0; k < pl->nt; k++)
            col[k] = sums[(size_t)k * COV_NSUM + (size_t)s];
        snprintf(p, sizeof p, "/covar/%s", cov_sum_names[s]);
        h5out_write_all(f, p, H5T_NATIVE_DOUBLE, 1, &nt, col, cov_sum_desc[s], cov_sum_units[s]);
    }
    free(col);
    free(il);
}

static void cov_write_data_info(const cov_plan *pl, h5out_file *f)
{
    if (!pl->have_data) return;
    h5out_group(f, "/data", "the user data set the covariances were computed from");
    h5out_attr_str(f->file, "/data", "file", pl->ds.file_name);
    h5out_attr_str(f->file, "/data", "dataset", pl->ds.name);
    h5out_attr_long(f->file, "/data", "rows", pl->ds.n);
    h5out_attr_long(f->file, "/data", "d", pl->ds.d);
    h5out_attr_str(f->file, "/data", "stored_precision", pl->ds.stored32 ? "float32" : "float64");
}

/* Runs this group's tasks, then writes every task collectively. */
static void cov_execute(cov_plan *pl, h5out_file *f)
{
    MPI_Comm gc;
    int color = log_rank() / pl->gsize;
    PAR_MPI(MPI_Comm_split(MPI_COMM_WORLD, color, log_rank(), &gc));
    dmat_grid g;
    dmat_grid_init(&g, gc, pl->nprow, pl->npcol);
    cov_result *res = LOG_CALLOC((size_t)pl->nt, sizeof(cov_result));
    h5out_group(f, "/covar", "covariance spectra and PCA spike recovery, one row per task");
    for (int k = color; k < pl->nt; k += pl->groups) {
        cov_task_run(pl, k, &g, f, &res[k]);
        log_info("covar: task %d/%d (d = %d, n = %ld) done\n", k + 1, pl->nt, pl->t[k].d,
                 pl->t[k].n);
    }
    dmat_grid_free(&g);
    PAR_MPI(MPI_Comm_free(&gc));
    double *sums = LOG_CALLOC((size_t)pl->nt * COV_NSUM, sizeof(double));
    for (int k = 0; k < pl->nt; k++) {
        cov_result_bcast(pl, k, &res[k]);
        memcpy(sums + (size_t)k * COV_NSUM, res[k].sum, sizeof res[k].sum);
        cov_write_task(pl, f, k, &res[k]);
        cov_result_free(&res[k]);
    }
    cov_write_summary(pl, f, sums);
    cov_write_data_info(pl, f);
    free(sums);
    free(res);
}

int cmd_covar(const cmd_opts *o, const cfg_resolved *cr)
{
    cov_plan pl;
    memset(&pl, 0, sizeof pl);
    pl.cr = cr;
    cov_plan_grid(&pl);
    cov_plan_data(&pl);
    cov_plan_tasks(&pl);
    if (o->dry_run) {
        char what[160];
        snprintf(what, sizeof what, "covariance spectra, %d task(s) on %d group(s) of %d x %d",
                 pl.nt, pl.groups, pl.nprow, pl.npcol);
        double var = 0, out = 0;
        for (int k = 0; k < pl.nt; k++) {
            var += pl.have_data ? 0 : 2.0 * (double)pl.t[k].n * pl.t[k].d;
            out += 8.0 * pl.t[k].d *
                   (cr->v.covar.k + 2 + 2.0 * cr->v.clone.n_samples +
                    (cr->v.covar.save_matrix ? pl.t[k].d : 0));
        }
        cmd_dry_run_report(cr, what, cov_bytes_per_rank(&pl), var, out);
        cov_plan_free(&pl);
        return LOG_EXIT_OK;
    }
    h5out_file f;
    h5out_create(&f, cmd_output_path(o, cr), cr, "covar");
    cmd_write_tasks(&f, &pl.tl);
    cov_execute(&pl, &f);
    h5out_finish(&f);
    log_info("covar: wrote %s\n", cmd_output_path(o, cr));
    cov_plan_free(&pl);
    return LOG_EXIT_OK;
}
