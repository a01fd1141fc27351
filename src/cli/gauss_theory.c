/* gauss_theory — the [gaussian] spectrum and the exact theory written as /gaussian; see
 * include/cli/gauss_theory.h. Modes are dealt cyclically over the ranks and summed back (every
 * element has one owner, so the sum is exact and the file is the same on any rank count). */
#include "cli/gauss_theory.h"

#include "base/limits.h"
#include "base/log.h"
#include "cli/cmd.h"
#include "io/h5vec.h"
#include "parallel/covar.h"
#include "parallel/dataset.h"
#include "parallel/gbasis.h"
#include "parallel/par.h"
#include "spec/spec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One [mcm] d, and a spectrum of d positive finite variances (a file is read here). */
/* spectrum = empirical: the sample covariance of a data set or of MCM samples and its
 * eigenpairs (issue 12: the Gaussian equivalent of any data set). */
static void gs_empirical(const cfg_resolved *cr, spec_gauss *g, double **U)
{
    const cfg_t *c = &cr->v;
    int d = (int)c->mcm.d.v[0], pr, pc, ine = cfg_find("gaussian", "n_empirical");
    long n = c->gaussian.n_empirical;
    cmd_grid_shape(cr, log_size(), &pr, &pc);
    dmat_grid grid;
    dmat_grid_init(&grid, MPI_COMM_WORLD, pr, pc);
    covar_t cv;
    if (strcmp(c->data.file, "none") != 0) {
        dataset_src src;
        cmd_data_source(cr, &src);
        dataset_t ds;
        dataset_open(&ds, &src);
        if (ds.d != d)
            cfg_die_key(cr, cfg_find("mcm", "d"),
                        "%d, but dataset '%s' in '%s' has %d columns, expected mcm.d = %d", d,
                        ds.name, ds.file_name, ds.d, ds.d);
        if (n == 0) n = ds.n;
        if (n > ds.n)
            cfg_die_key(cr, ine, "%ld rows asked, '%s' holds %ld, expected at most %ld", n, ds.name,
                        ds.n, ds.n);
        covar_from_dataset(&cv, &grid, &ds, 0, n, c->covar.block, (int)c->covar.block_size);
        dataset_close(&ds);
    } else {
        mcm_params p = spec_mcm(c, d);
        mcm_model mod;
        uint64_t task = task_id(d, 0, 0);
        mcm_init(&mod, &p, (uint32_t)c->run.seed, task);
        if (n == 0) n = 10L * d;
        covar_from_mcm(&cv, &grid, &mod, (uint32_t)c->run.seed, task, n, c->covar.block,
                       (int)c->covar.block_size);
        mcm_free(&mod);
    }
    if (n <= d) /* rank <= n - 1 < d: zero modes, which no Gaussian law of the theory has */
        cfg_die_key(cr, ine,
                    "%ld samples for d = %d leave the sample covariance singular, expected more "
                    "samples than dimensions",
                    n, d);
    double *lam = LOG_CALLOC((size_t)d, sizeof(double));
    double *V = LOG_CALLOC((size_t)d * (size_t)d, sizeof(double));
    int info = gbasis_eigen(&cv.cov, lam, V);
    covar_free(&cv);
    dmat_grid_free(&grid);
    if (info != 0) LOG_DIE_COLL(LOG_EXIT_RUNTIME, "PDSYEVD did not converge (info %d)", info);
    if (spec_gauss_set_lambda(g, c, d, lam) != 0)
        cfg_die_key(cr, cfg_find("gaussian", "init_q"),
                    "%d values for %d modes, expected one value or one per mode",
                    c->gaussian.init_q.n, d);
    int bad = gt_spectrum_bad(d, lam);
    if (bad >= 0)
        cfg_die_key(cr, ine,
                    "the sample covariance of %ld samples has eigenvalue %g at mode %d (fewer "
                    "samples than dimensions leave it singular), expected positive variances: "
                    "more samples",
                    n, lam[bad], bad + 1);
    free(lam);
    if (U)
        *U = V;
    else
        free(V);
}

void gauss_spectrum(const cfg_resolved *cr, spec_gauss *g, double **U)
{
    const cfg_t *c = &cr->v;
    int id = cfg_find("mcm", "d"), ids = cfg_find("gaussian", "dataset");
    if (c->mcm.d.n != 1)
        cfg_die_key(cr, id,
                    "'mcmsim gaussian' takes one dimension (got %d), expected one "
                    "value, the number of modes",
                    c->mcm.d.n);
    spec_gauss_build(g, c);
    if (U) *U = NULL;
    if (g->spectrum == GT_SPEC_EMPIRICAL) gs_empirical(cr, g, U);
    if (g->spectrum == GT_SPEC_FILE) {
        int ifi = cfg_find("gaussian", "file");
        h5vec_src src = {c->gaussian.file,   c->gaussian.dataset, cfg_where(cr, ifi),
                         cfg_where(cr, ids), "gaussian",          "file",
                         "dataset"};
        long n = 0;
        double *v = h5vec_read(&src, LIMITS_MAX_D, &n);
        if (n != c->mcm.d.v[0])
            cfg_die_key(cr, ids,
                        "'%s' in '%s' holds %ld variances for mcm.d = %ld (from %s), "
                        "expected one per dimension",
                        c->gaussian.dataset, c->gaussian.file, n, c->mcm.d.v[0], cr->origin[id]);
        if (spec_gauss_set_lambda(g, c, (int)n, v) != 0)
            cfg_die_key(cr, cfg_find("gaussian", "init_q"),
                        "%d values for %ld modes, expected one value or one per mode",
                        c->gaussian.init_q.n, n);
        free(v);
    }
    int bad = gt_spectrum_bad(g->d, g->lambda);
    if (bad < 0) return;
    if (g->spectrum == GT_SPEC_FILE)
        cfg_die_key(cr, ids,
                    "'%s' in '%s' holds %g at index %d, expected positive finite "
                    "variances",
                    c->gaussian.dataset, c->gaussian.file, g->lambda[bad], bad);
    cfg_die_key(cr, cfg_find("gaussian", "spectrum"),
                "mode %d has variance %g (underflow of the "
                "law?), expected positive finite variances",
                bad + 1, g->lambda[bad]);
}

void gauss_theory_alloc(gs_result *r, int d, int nt)
{
    memset(r, 0, sizeof *r);
    r->d = d, r->nt = nt;
    size_t td = (size_t)nt * (size_t)d;
    r->tau = LOG_CALLOC((size_t)nt, sizeof(double));
    r->weight = LOG_CALLOC(td, sizeof(double));
    r->variance = LOG_CALLOC(td, sizeof(double));
    r->loss = LOG_CALLOC(td, sizeof(double));
    r->loss_min = LOG_CALLOC((size_t)d, sizeof(double));
    r->kl = LOG_CALLOC((size_t)nt * 2, sizeof(double));
    r->levels = LOG_CALLOC((size_t)d * GS_NLEV, sizeof(double));
    r->emergence = LOG_CALLOC((size_t)d, sizeof(double));
    r->wemerge = LOG_CALLOC((size_t)d, sizeof(double));
    r->branch = LOG_CALLOC((size_t)d, sizeof(double));
}

void gauss_theory_free(gs_result *r)
{
    free(r->tau), free(r->weight), free(r->variance), free(r->loss), free(r->loss_min);
    free(r->kl);
    free(r->levels), free(r->emergence), free(r->wemerge), free(r->branch);
}

/* Mode k on its owner: every time of the grid, the limits and the emergence. */
static void gs_mode(const spec_gauss *g, int k, gs_result *r)
{
    const gt_setup *s = &g->setup;
    double lam = g->lambda[k], q = g->q[k], x = g->weight_level;
    for (int i = 0; i < r->nt; i++) {
        size_t at = (size_t)i * (size_t)r->d + (size_t)k;
        r->weight[at] = gt_psi(s, lam, q, x, r->tau[i]);
        r->variance[at] = gt_gen_var(s, lam, q, r->tau[i]);
        r->loss[at] = gt_mode_loss(s, lam, q, x, r->tau[i]);
    }
    r->loss_min[k] = gt_mode_loss_min(s, lam, x);
    gt_emergence e;
    gt_emerge(s, lam, q, g->criterion, g->tau_min, g->tau_max, spec_gauss_n_scan(g), &e);
    double lev[GS_NLEV] = {e.initial, e.final, e.target};
    memcpy(&r->levels[(size_t)k * GS_NLEV], lev, sizeof lev);
    r->emergence[k] = e.tau;
    r->branch[k] = e.branch;
    r->wemerge[k] = gt_weight_emergence(s, lam, q, x, g->criterion);
}

static void gs_sum(double *x, size_t n)
{
    PAR_MPI(MPI_Allreduce(MPI_IN_PLACE, x, (int)n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD));
}

void gauss_theory_compute(const spec_gauss *g, gs_result *r)
{
    int rank = log_rank(), size = log_size();
    size_t d = (size_t)r->d, nt = (size_t)r->nt;
    for (int i = 0; i < r->nt; i++)
        r->tau[i] = spec_gauss_tau(g, i);
    for (int k = rank; k < r->d; k += size)
        gs_mode(g, k, r);
    gs_sum(r->weight, nt * d), gs_sum(r->variance, nt * d), gs_sum(r->loss, nt * d);
    gs_sum(r->levels, d * GS_NLEV), gs_sum(r->emergence, d), gs_sum(r->wemerge, d);
    gs_sum(r->branch, d), gs_sum(r->loss_min, d);
    for (size_t i = 0; i < nt; i++)
        gt_kl(r->d, g->lambda, &r->variance[i * d], &r->kl[2 * i], &r->kl[2 * i + 1]);
    gt_emergence *e = LOG_CALLOC(d, sizeof(gt_emergence));
    for (size_t k = 0; k < d; k++)
        e[k].tau = r->emergence[k], e[k].branch = (int)r->branch[k];
    gt_fit fit[GT_NFIT];
    gt_fit_branches(r->d, g->lambda, e, g->fit_lambda_min, g->level, fit);
    for (int b = 0; b < GT_NFIT; b++) {
        double row[GS_NFITCOL] = {fit[b].alpha, fit[b].lo, fit[b].hi, fit[b].n};
        memcpy(&r->alpha[b * GS_NFITCOL], row, sizeof row);
    }
    free(e);
}

/* The [gaussian] keys that define the theory, as attributes of /gaussian. */
static void gs_attrs(h5out_file *f, const cfg_resolved *cr, const spec_gauss *g)
{
    static const char *const keys[] = {"spectrum",  "model",    "process",       "objective",
                                       "precond",   "dynamics", "criterion",     "sigma_min",
                                       "sigma_max", "level",    "fit_lambda_min"};
    char v[CFG_LIST_MAX * 24];
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        cfg_format_value(&cr->v, cfg_find("gaussian", keys[i]), v, sizeof v);
        h5out_attr_str(f->file, "/gaussian", keys[i], v);
    }
    double lmax = 0;
    for (int k = 0; k < g->d; k++)
        lmax = fmax(lmax, g->lambda[k]);
    h5out_attr_long(f->file, "/gaussian", "d", g->d);
    h5out_attr_long(f->file, "/gaussian", "closed_form", gt_has_closed_form(&g->setup));
    h5out_attr_double(f->file, "/gaussian", "weight_level", g->weight_level);
    /* the learning rate of the theory: gaussian.eta, or the SGD step in `mcmsim run` */
    h5out_attr_double(f->file, "/gaussian", "eta", g->setup.eta);
    h5out_attr_double(f->file, "/gaussian", "gd_eta_max", gt_gd_eta_max(&g->setup, lmax));
    h5out_attr_double(f->file, "/gaussian", "start_variance", gt_start_var(&g->setup));
}

void gauss_theory_write(h5out_file *f, const cfg_resolved *cr, const spec_gauss *g,
                        const gs_result *r)
{
    hsize_t d = (hsize_t)r->d, nt = (hsize_t)r->nt, td[2] = {nt, d}, t2[2] = {nt, 2};
    hsize_t lv[2] = {d, GS_NLEV}, al[2] = {GT_NFIT, GS_NFITCOL};
    const hid_t D = H5T_NATIVE_DOUBLE;
    h5out_group(f, "/gaussian",
                "zero-mean Gaussian data N(0, sum_k lambda_k u_k u_k^T) and the "
                "exact gradient-flow theory of linear denoisers trained on it "
                "(gaussian-theory.md); the defining keys as attributes");
    gs_attrs(f, cr, g);
    h5out_write_all(f, "/gaussian/lambda", D, 1, &d, g->lambda, "[mode] data variance lambda_k",
                    "x units^2");
    h5out_write_all(f, "/gaussian/init_q", D, 1, &d, g->q,
                    "[mode] aligned initial weight Q_k = u_k^T W(0) u_k", "1");
    h5out_write_all(f, "/gaussian/tau", D, 1, &nt, r->tau,
                    "[time] training time tau of the gradient flow dW/dtau = -eta grad L_sigma "
                    "(gd: steps x eta), log-spaced",
                    "time");
    h5out_group(f, "/gaussian/theory",
                "closed forms (§2, §3.2, §3.3, §3.5) or the §3.1 "
                "quadrature in ln sigma, per mode; attribute closed_form of /gaussian says which");
    h5out_write_all(f, "/gaussian/theory/weight", D, 2, td, r->weight,
                    "[time][mode] denoiser weight psi_k = u_k^T W u_k at sigma = weight_level "
                    "(EDM-equivalent; flowmatch: velocity weight at t = weight_level)",
                    "1");
    h5out_write_all(f, "/gaussian/theory/loss", D, 2, td, r->loss,
                    "[time][mode] x0-prediction MSE of the mode at sigma = weight_level "
                    "(EDM-equivalent; flowmatch: velocity MSE at t = weight_level)",
                    "x units^2");
    h5out_write_all(f, "/gaussian/theory/loss_min", D, 1, &d, r->loss_min,
                    "[mode] the optimum of /gaussian/theory/loss (sigma^2 lambda/(sigma^2 + "
                    "lambda) for the denoiser)",
                    "x units^2");
    h5out_write_all(f, "/gaussian/theory/variance", D, 2, td, r->variance,
                    "[time][mode] generated variance lambda~_k of the PF-ODE from sigma_max to "
                    "sigma_min (flowmatch: t from 0 to 1)",
                    "x units^2");
    h5out_write_all(f, "/gaussian/theory/variance_levels", D, 2, lv, r->levels,
                    "[mode][tau = 0, tau -> inf, emergence target] generated variance levels; "
                    "the target is the criterion's mean of the first two",
                    "x units^2");
    h5out_write_all(f, "/gaussian/theory/kl", D, 2, t2, r->kl,
                    "[time][KL(gen || data), KL(data || gen)] of the aligned Gaussians (§3.6)",
                    "nats");
    h5out_write_all(f, "/gaussian/theory/emergence", D, 1, &d, r->emergence,
                    "[mode] first tau at which lambda~_k crosses its target (§3.4); NaN: not in "
                    "[0, tau_max] or the level does not move",
                    "time");
    h5out_write_all(f, "/gaussian/theory/branch", D, 1, &d, r->branch,
                    "[mode] +1 increasing (final level above initial), -1 decreasing, 0 flat", "1");
    h5out_write_all(f, "/gaussian/theory/weight_emergence", D, 1, &d, r->wemerge,
                    "[mode] first tau at which the weight at weight_level crosses the "
                    "criterion's mean of Q_k and its limit (harmonic, P P^T: ln 2/(8 eta "
                    "lambda))",
                    "time");
    h5out_write_all(f, "/gaussian/theory/alpha", D, 2, al, r->alpha,
                    "[all modes >= fit_lambda_min, increasing, decreasing][alpha, interval low, "
                    "interval high, modes] fit of ln tau* = c - alpha ln lambda, Student-t "
                    "interval at gaussian.level; NaN: under 2 (alpha) or 3 (interval) modes",
                    "1");
}

void gauss_theory_table(const spec_gauss *g, const gs_result *r)
{
    static const char *const names[GT_NFIT] = {"all", "increasing", "decreasing"};
    int rows = r->d < 10 ? r->d : 10;
    log_info("\n%6s %12s %8s %12s %12s %12s %12s\n", "mode", "lambda", "Q", "var(tau=0)",
             "var(inf)", "tau*", "tau*_weight");
    for (int j = 0; j < rows; j++) {
        int k = rows > 1 ? (int)lround((double)j * (r->d - 1) / (rows - 1)) : 0;
        const double *lv = &r->levels[(size_t)k * GS_NLEV];
        log_info("%6d %12.5g %8.3g %12.5g %12.5g %12.5g %12.5g\n", k + 1, g->lambda[k], g->q[k],
                 lv[0], lv[1], r->emergence[k], r->wemerge[k]);
    }
    for (int b = 0; b < GT_NFIT; b++) {
        const double *a = &r->alpha[b * GS_NFITCOL];
        log_info("alpha (%s, %d modes) = %.4f  [%.4f, %.4f] at level %g\n", names[b], (int)a[3],
                 a[0], a[1], a[2], g->level);
    }
    log_info("(%s; tau* = emergence of the generated variance, tau*_weight of the weight at "
             "%g; KL at tau_max: %.4g gen||data, %.4g data||gen nats)\n",
             gt_has_closed_form(&g->setup) ? "closed forms" : "quadrature of §3.1", g->weight_level,
             r->kl[2 * (r->nt - 1)], r->kl[2 * (r->nt - 1) + 1]);
}
