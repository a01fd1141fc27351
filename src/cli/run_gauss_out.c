/* run_gauss_out — /gaussian/sgd of `mcmsim run` on Gaussian data, next to /gaussian/theory;
 * see include/cli/run_gauss.h.
 *
 * Every task (level l = its sigma, replica r) recorded the eigenbasis view of its denoiser at
 * the log-spaced observation steps (observer.gobs). The rows of all tasks are summed over the
 * ranks (each row has one owner), then, per replica and time, the weights psi_k(sigma_l) of
 * the levels give the generated variance of every mode (gdata_gen_var_levels: psi linear in
 * ln sigma between the trained levels, the gradient flow of the same tau below and above them,
 * PF-ODE from sigma_max to sigma_min) and the KL. The gradient flow of the same levels, read out
 * the same way, is written as /gaussian/sgd/gf: SGD and gf differ only by SGD noise and discrete
 * steps, while /gaussian/theory is the continuum of levels. */
#include "cli/run_gauss.h"

#include "base/log.h"
#include "core/gpfode.h"
#include "engine/observe.h"
#include "parallel/par.h"
#include "spec/spec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { RG_NFIT = GT_NFIT * GS_NFITCOL };

typedef struct {
    int d, L, R, nt, ng, nslot;
    double *sigma;  /* [L] ascending levels */
    int *tk;        /* [L][R] task index */
    double *tau;    /* [nt] steps x eta */
    double *step;   /* [nt] */
    double *gobs;   /* [ntask][nslot][ng] every task's rows */
    double *ltrain; /* [ntask][nslot] training loss */
    int wl;         /* level of /gaussian/sgd/weight: closest to gaussian.sigma_weight */
    double s0, sT;  /* sigma_min, sigma_max */
    int shared;     /* gaussian.precond = edm: one V for all levels, psi = c_skip + k v */
    int full;       /* not aligned or finite data: rows carry U^T W U, the readout is the PF-ODE */
} rg_in;

typedef struct {
    double *weight, *weight_se, *loss, *variance, *kl; /* [nt][d] ([nt][2]) replica means */
    double *var_rep;                                   /* [R][nt][d] */
    double *var_diag; /* full: [nt][d] the diagonal readout (off-diagonal parts dropped) */
    double *gf_weight, *gf_loss, *gf_variance, *gf_kl; /* gradient flow, same levels */
    double *levels;                                    /* [d][3] initial, final, target */
    double *emerge, *gf_emerge, *branch;               /* [d] */
    double alpha[RG_NFIT], gf_alpha[RG_NFIT];
} rg_res;

/* Knots of the generated-variance readout: the trained levels, and outside them (down to
 * sigma_min, up to sigma_max) RG_PER_DECADE per decade where the gradient flow of the same tau
 * stands in for the untrained levels, so that the readout spans the whole PF-ODE. */
#define RG_PER_DECADE 16
typedef struct {
    int n, lo, hi; /* knots in all; outer knots below and above the trained levels */
    double *sigma; /* [n] ascending */
    double *psi;   /* [n] */
} rg_knots;

/* Knots of the shared map's readout (psi = c_skip + k v, smooth in ln sigma): per decade. */
#define RG_SHARED_PER_DECADE 64

static void rg_knots_init(rg_knots *kn, const rg_in *in)
{
    if (in->shared) {
        kn->n = (int)ceil(RG_SHARED_PER_DECADE * log10(in->sT / in->s0)) + 1;
        kn->lo = kn->hi = 0;
        kn->sigma = LOG_CALLOC((size_t)kn->n, sizeof(double));
        kn->psi = LOG_CALLOC((size_t)kn->n, sizeof(double));
        for (int j = 0; j < kn->n; j++)
            kn->sigma[j] = in->s0 * pow(in->sT / in->s0, (double)j / (kn->n - 1));
        return;
    }
    double a = in->sigma[0], b = in->sigma[in->L - 1];
    kn->lo = a > in->s0 ? (int)ceil(RG_PER_DECADE * log10(a / in->s0)) : 0;
    kn->hi = in->sT > b ? (int)ceil(RG_PER_DECADE * log10(in->sT / b)) : 0;
    kn->n = kn->lo + in->L + kn->hi;
    kn->sigma = LOG_CALLOC((size_t)kn->n, sizeof(double));
    kn->psi = LOG_CALLOC((size_t)kn->n, sizeof(double));
    for (int j = 0; j < kn->lo; j++)
        kn->sigma[j] = in->s0 * pow(a / in->s0, (double)j / kn->lo);
    for (int l = 0; l < in->L; l++)
        kn->sigma[kn->lo + l] = in->sigma[l];
    for (int j = 1; j <= kn->hi; j++)
        kn->sigma[kn->lo + in->L - 1 + j] = b * pow(in->sT / b, (double)j / kn->hi);
}

static void rg_knots_free(rg_knots *kn)
{
    free(kn->sigma), free(kn->psi);
}

/* The readout of mode (lambda, q) at time tau: psi[l] at the trained levels (NULL: the
 * gradient flow there too), the gradient flow outside them. */
static double rg_readout(rg_knots *kn, const rg_in *in, const gt_setup *s, double lam, double q,
                         double tau, const double *psi)
{
    for (int j = 0; j < kn->n; j++) {
        int l = j - kn->lo;
        kn->psi[j] = psi && l >= 0 && l < in->L ? psi[l] : gt_psi(s, lam, q, kn->sigma[j], tau);
    }
    return gdata_gen_var_levels(kn->n, kn->sigma, kn->psi, in->s0, in->sT);
}

/* The shared map's readout: v = u_k^T V u_k gives psi(sigma) = c_skip + k v at every knot. */
static double rg_readout_shared(rg_knots *kn, const rg_in *in, const gt_setup *s, double v)
{
    for (int j = 0; j < kn->n; j++)
        kn->psi[j] = gt_shared_psi(s, v, kn->sigma[j]);
    return gdata_gen_var_levels(kn->n, kn->sigma, kn->psi, in->s0, in->sT);
}

/* v of the shared map from psi observed at the weight level. */
static double rg_shared_v(const rg_in *in, const gt_setup *s, double psi)
{
    double cs, k, ci, w;
    gt_edm_coeffs(s->sigma_data, in->sigma[in->wl], &cs, &k, &ci, &w);
    return (psi - cs) / k;
}

static const double *rg_row(const rg_in *in, int l, int r, int i)
{
    size_t t = (size_t)in->tk[l * in->R + r];
    return &in->gobs[(t * (size_t)in->nslot + (size_t)i) * (size_t)in->ng];
}

static int rg_cmp_level(const void *a, const void *b)
{
    const double *x = a, *y = b;
    return (x[0] > y[0]) - (x[0] < y[0]);
}

/* Levels from the tasks (sorted), the task of every (level, replica), the observation grid. */
static void rg_levels(rg_in *in, const cfg_resolved *cr, const task_list *tl, double eta)
{
    const cfg_t *c = &cr->v;
    in->R = (int)c->run.n_seeds;
    in->L = tl->n / in->R;
    double *pair = LOG_CALLOC((size_t)in->L * 2, sizeof(double));
    for (int l = 0; l < in->L; l++) {
        cfg_t tc = *c;
        task_apply(&tl->t[l * in->R], &tc);
        double a, s;
        spec_coeffs(&tc, &a, &s);
        pair[2 * l] = s, pair[2 * l + 1] = tl->t[l * in->R].combo;
    }
    qsort(pair, (size_t)in->L, 2 * sizeof(double), rg_cmp_level);
    in->sigma = LOG_CALLOC((size_t)in->L, sizeof(double));
    in->tk = LOG_CALLOC((size_t)in->L * (size_t)in->R, sizeof(int));
    double best = INFINITY;
    for (int l = 0; l < in->L; l++) {
        in->sigma[l] = pair[2 * l];
        for (int k = 0; k < tl->n; k++)
            if (tl->t[k].combo == (int)pair[2 * l + 1]) in->tk[l * in->R + tl->t[k].replica] = k;
        double dist = fabs(log(in->sigma[l] / c->gaussian.sigma_weight));
        if (dist < best) best = dist, in->wl = l;
    }
    free(pair);
    long steps = spec_steps(c, in->d);
    long *at = LOG_CALLOC((size_t)c->observe.n_obs + 1, sizeof(long));
    in->nt = observe_schedule(steps, (int)c->observe.n_obs, at);
    in->tau = LOG_CALLOC((size_t)in->nt, sizeof(double));
    in->step = LOG_CALLOC((size_t)in->nt, sizeof(double));
    for (int i = 0; i < in->nt; i++)
        in->step[i] = (double)at[i], in->tau[i] = (double)at[i] * eta;
    free(at);
}

/* Every task's rows on every rank (sum of disjoint rows). */
static void rg_gather(rg_in *in, int ntask, const ckpt_record *rec, int nrec)
{
    size_t per = (size_t)in->nslot * (size_t)in->ng;
    in->gobs = LOG_CALLOC((size_t)ntask * per, sizeof(double));
    in->ltrain = LOG_CALLOC((size_t)ntask * (size_t)in->nslot, sizeof(double));
    for (int j = 0; j < nrec; j++) {
        const observer *o = &rec[j].obs;
        if (o->n_gobs != in->ng) LOG_DIE("task %d has no Gaussian observations", rec[j].k);
        memcpy(&in->gobs[(size_t)rec[j].k * per], o->gobs, per * sizeof(double));
        for (int i = 0; i < in->nslot; i++)
            in->ltrain[(size_t)rec[j].k * (size_t)in->nslot + (size_t)i] =
                o->scalar[(size_t)i * OBS_NSCALAR + OBS_LOSS_TRAIN];
    }
    size_t n = (size_t)ntask * per, m = (size_t)ntask * (size_t)in->nslot;
    PAR_MPI(MPI_Allreduce(MPI_IN_PLACE, in->gobs, (int)n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD));
    PAR_MPI(MPI_Allreduce(MPI_IN_PLACE, in->ltrain, (int)m, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD));
}

static void rg_alloc(rg_res *r, const rg_in *in)
{
    size_t td = (size_t)in->nt * (size_t)in->d, d = (size_t)in->d;
    double **a[] = {&r->weight,    &r->weight_se, &r->loss,       &r->variance,
                    &r->gf_weight, &r->gf_loss,   &r->gf_variance};
    for (size_t j = 0; j < sizeof a / sizeof a[0]; j++)
        *a[j] = LOG_CALLOC(td, sizeof(double));
    r->kl = LOG_CALLOC((size_t)in->nt * 2, sizeof(double));
    r->gf_kl = LOG_CALLOC((size_t)in->nt * 2, sizeof(double));
    r->var_rep = LOG_CALLOC(td * (size_t)in->R, sizeof(double));
    r->var_diag = LOG_CALLOC(td, sizeof(double));
    r->levels = LOG_CALLOC(d * 3, sizeof(double));
    r->emerge = LOG_CALLOC(d, sizeof(double));
    r->gf_emerge = LOG_CALLOC(d, sizeof(double));
    r->branch = LOG_CALLOC(d, sizeof(double));
}

static void rg_res_free(rg_res *r)
{
    free(r->weight), free(r->weight_se), free(r->loss), free(r->variance), free(r->kl);
    free(r->var_rep), free(r->var_diag), free(r->gf_weight), free(r->gf_loss), free(r->gf_variance);
    free(r->gf_kl), free(r->levels), free(r->emerge), free(r->gf_emerge), free(r->branch);
}

/* RK4 steps per interval of the time-ordered PF-ODE (relative error ~1e-8 at these knots) */
#define RG_ODE_NSUB 16

/* Not aligned: every replica's generated covariance by the time-ordered PF-ODE through U^T W U
 * of the trained levels (the gradient flow's diagonal outside them), its diagonal as var_rep
 * and its KL (both directions, non-aligned form) as klr; (replica, time) pairs dealt over the
 * ranks and summed. The diagonal readout moves to var_diag. */
static void rg_sgd_ode(rg_res *r, const rg_in *in, const spec_gauss *g, rg_knots *kn, double *klr)
{
    int d = in->d, R = in->R, nt = in->nt, rank = log_rank(), size = log_size();
    size_t td = (size_t)nt * (size_t)d, n = (size_t)kn->n;
    memcpy(r->var_diag, r->variance, td * sizeof(double));
    memset(r->var_rep, 0, (size_t)R * td * sizeof(double));
    memset(klr, 0, (size_t)R * (size_t)nt * 2 * sizeof(double));
    const double **Wk = LOG_CALLOC(n, sizeof(double *));
    double *psi = LOG_CALLOC(n * (size_t)d, sizeof(double));
    for (int q = 0; q < R; q++)
        for (int i = 0; i < nt; i++) {
            size_t at = (size_t)q * (size_t)nt + (size_t)i;
            if ((int)(at % (size_t)size) != rank) continue;
            for (size_t j = 0; j < n; j++) {
                int l = (int)j - kn->lo;
                Wk[j] = l >= 0 && l < in->L ? rg_row(in, l, q, i) + GDATA_NOBS(d) : NULL;
                for (int k = 0; k < d && !Wk[j]; k++)
                    psi[j * (size_t)d + (size_t)k] =
                        gt_psi(&g->setup, g->lambda[k], g->q[k], kn->sigma[j], in->tau[i]);
            }
            if (gpfode_gen_cov(d, kn->n, kn->sigma, Wk, psi, in->s0, in->sT, RG_ODE_NSUB, g->lambda,
                               &r->var_rep[at * (size_t)d], &klr[2 * at]) != 0)
                LOG_DIE("the PF-ODE knots do not span [sigma_min, sigma_max]");
        }
    PAR_MPI(MPI_Allreduce(MPI_IN_PLACE, r->var_rep, (int)((size_t)R * td), MPI_DOUBLE, MPI_SUM,
                          MPI_COMM_WORLD));
    PAR_MPI(MPI_Allreduce(MPI_IN_PLACE, klr, R * nt * 2, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD));
    memset(r->variance, 0, td * sizeof(double));
    for (int q = 0; q < R; q++)
        for (size_t j = 0; j < td; j++)
            r->variance[j] += r->var_rep[(size_t)q * td + j] / R;
    free(Wk), free(psi);
}

/* Replica means (and the standard error of the weight) at the weight level; generated
 * variances per replica from every level; the KL of each replica, averaged. */
static void rg_sgd(rg_res *r, const rg_in *in, const spec_gauss *g)
{
    int d = in->d, R = in->R;
    const double *lambda = g->lambda;
    double *psi = LOG_CALLOC((size_t)in->L, sizeof(double));
    rg_knots kn;
    rg_knots_init(&kn, in);
    for (int i = 0; i < in->nt; i++)
        for (int k = 0; k < d; k++) {
            size_t at = (size_t)i * (size_t)d + (size_t)k;
            double s = 0, s2 = 0, sl = 0, sv = 0;
            for (int q = 0; q < R; q++) {
                double w = rg_row(in, in->wl, q, i)[k];
                s += w, s2 += w * w, sl += rg_row(in, in->wl, q, i)[d + k];
                for (int l = 0; l < in->L; l++)
                    psi[l] = rg_row(in, l, q, i)[k];
                double v = in->shared ? rg_readout_shared(&kn, in, &g->setup,
                                                          rg_shared_v(in, &g->setup, psi[in->wl]))
                                      : rg_readout(&kn, in, &g->setup, lambda[k], g->q[k],
                                                   in->tau[i], psi);
                r->var_rep[(size_t)q * (size_t)in->nt * (size_t)d + at] = v;
                sv += v;
            }
            r->weight[at] = s / R, r->loss[at] = sl / R, r->variance[at] = sv / R;
            r->weight_se[at] = R > 1 ? sqrt(fmax(0, (s2 - s * s / R) / (R - 1)) / R) : NAN;
        }
    double *klr = LOG_CALLOC((size_t)R * (size_t)in->nt * 2, sizeof(double));
    for (int i = 0; i < in->nt; i++)
        for (int q = 0; q < R; q++) {
            size_t at = (size_t)q * (size_t)in->nt + (size_t)i;
            gt_kl(d, lambda, &r->var_rep[at * (size_t)d], &klr[2 * at], &klr[2 * at + 1]);
        }
    if (in->full) rg_sgd_ode(r, in, g, &kn, klr);
    for (int i = 0; i < in->nt; i++)
        for (int q = 0; q < R; q++) {
            size_t at = (size_t)q * (size_t)in->nt + (size_t)i;
            r->kl[2 * i] += klr[2 * at] / R, r->kl[2 * i + 1] += klr[2 * at + 1] / R;
        }
    free(klr);
    free(psi);
    rg_knots_free(&kn);
}

/* The gradient flow of the same levels and readout at the SGD times, and the emergence levels
 * (tau = 0 and tau -> inf of that readout). */
static void rg_gf(rg_res *r, const rg_in *in, const spec_gauss *g, gt_criterion crit)
{
    int d = in->d;
    rg_knots kn;
    rg_knots_init(&kn, in);
    for (int k = 0; k < d; k++) {
        double lam = g->lambda[k], q = g->q[k], lv[2];
        double ends[2] = {0, INFINITY};
        gt_law sl = gt_shared_law(&g->setup, lam, q);
        for (int e = 0; e < 2; e++)
            lv[e] = in->shared ? rg_readout_shared(&kn, in, &g->setup, gt_law_value(&sl, ends[e]))
                               : rg_readout(&kn, in, &g->setup, lam, q, ends[e], NULL);
        double *row = &r->levels[(size_t)k * 3];
        row[0] = lv[0], row[1] = lv[1], row[2] = gt_criterion_mean(crit, lv[0], lv[1]);
        r->branch[k] = lv[1] > lv[0] ? 1 : lv[1] < lv[0] ? -1 : 0;
        for (int i = 0; i < in->nt; i++) {
            size_t at = (size_t)i * (size_t)d + (size_t)k;
            double sw = in->sigma[in->wl];
            if (in->shared) {
                double v = gt_law_value(&sl, in->tau[i]), a = lam + sw * sw;
                double p = gt_shared_psi(&g->setup, v, sw) - lam / a;
                r->gf_weight[at] = p + lam / a;
                r->gf_loss[at] = a * p * p + sw * sw * lam / a;
                r->gf_variance[at] = rg_readout_shared(&kn, in, &g->setup, v);
                continue;
            }
            r->gf_weight[at] = gt_psi(&g->setup, lam, q, sw, in->tau[i]);
            r->gf_loss[at] = gt_mode_loss(&g->setup, lam, q, sw, in->tau[i]);
            r->gf_variance[at] = rg_readout(&kn, in, &g->setup, lam, q, in->tau[i], NULL);
        }
    }
    for (int i = 0; i < in->nt; i++)
        gt_kl(d, g->lambda, &r->gf_variance[(size_t)i * (size_t)d], &r->gf_kl[2 * i],
              &r->gf_kl[2 * i + 1]);
    rg_knots_free(&kn);
}

/* Emergence of each mode's variance curve (replica mean) and the fitted exponents. */
static void rg_emerge(const rg_in *in, const double *var, const rg_res *r, const spec_gauss *g,
                      double *tau_out, double *alpha)
{
    int d = in->d;
    double *col = LOG_CALLOC((size_t)in->nt, sizeof(double));
    gt_emergence *e = LOG_CALLOC((size_t)d, sizeof(gt_emergence));
    for (int k = 0; k < d; k++) {
        for (int i = 0; i < in->nt; i++)
            col[i] = var[(size_t)i * (size_t)d + (size_t)k];
        tau_out[k] = gdata_crossing(in->nt, in->tau, col, r->levels[(size_t)k * 3 + 2]);
        e[k].tau = tau_out[k], e[k].branch = (int)r->branch[k];
    }
    gt_fit fit[GT_NFIT];
    gt_fit_branches(d, g->lambda, e, g->fit_lambda_min, g->level, fit);
    for (int b = 0; b < GT_NFIT; b++) {
        double row[GS_NFITCOL] = {fit[b].alpha, fit[b].lo, fit[b].hi, fit[b].n};
        memcpy(&alpha[b * GS_NFITCOL], row, sizeof row);
    }
    free(e);
    free(col);
}

/* [level][replica][time][n] of the gobs columns off .. off + n - 1. */
static double *rg_levels_block(const rg_in *in, int off, int n)
{
    size_t per = (size_t)in->nt * (size_t)n, at = 0;
    double *b = LOG_CALLOC((size_t)in->L * (size_t)in->R * per, sizeof(double));
    for (int l = 0; l < in->L; l++)
        for (int q = 0; q < in->R; q++)
            for (int i = 0; i < in->nt; i++, at += (size_t)n)
                memcpy(&b[at], rg_row(in, l, q, i) + off, (size_t)n * sizeof(double));
    return b;
}

static void rg_write_levels(h5out_file *f, const rg_in *in)
{
    const hid_t D = H5T_NATIVE_DOUBLE;
    hsize_t d4[4] = {(hsize_t)in->L, (hsize_t)in->R, (hsize_t)in->nt, (hsize_t)in->d};
    hsize_t d3[3] = {(hsize_t)in->L, (hsize_t)in->R, (hsize_t)in->nt};
    double *b = rg_levels_block(in, 0, in->d);
    h5out_write_all(f, "/gaussian/sgd/weight_levels", D, 4, d4, b,
                    "[level][replica][time][mode] u_k^T W u_k of the task at each level", "1");
    free(b);
    b = rg_levels_block(in, in->d, in->d);
    h5out_write_all(f, "/gaussian/sgd/loss_levels", D, 4, d4, b,
                    "[level][replica][time][mode] population x0 loss of mode k, lambda_k |W u_k - "
                    "u_k|^2 + sigma^2 |W u_k|^2 (aligned: as /gaussian/theory/loss)",
                    "x units^2");
    free(b);
    static const char *const names[GDATA_NSCALAR] = {"offdiag", "mean_term", "loss_total"};
    static const char *const desc[GDATA_NSCALAR] = {
        "[level][replica][time] off-diagonal norm (|U^T W U|_F^2 - sum_k w_k^2)^1/2",
        "[level][replica][time] mean term |(W - I) mu + b|^2 of the population loss",
        "[level][replica][time] population loss E|W x_sigma + b - x0|^2 (summed over "
        "coordinates)"};
    static const char *const units[GDATA_NSCALAR] = {"1", "x units^2", "x units^2"};
    char path[96];
    for (int s = 0; s < GDATA_NSCALAR; s++) {
        b = rg_levels_block(in, 2 * in->d + s, 1);
        snprintf(path, sizeof path, "/gaussian/sgd/%s", names[s]);
        h5out_write_all(f, path, D, 3, d3, b, desc[s], units[s]);
        free(b);
    }
    b = LOG_CALLOC((size_t)in->L * (size_t)in->R * (size_t)in->nt, sizeof(double));
    for (int l = 0, at = 0; l < in->L; l++)
        for (int q = 0; q < in->R; q++)
            for (int i = 0; i < in->nt; i++, at++)
                b[at] = in->ltrain[(size_t)in->tk[l * in->R + q] * (size_t)in->nslot + (size_t)i];
    h5out_write_all(f, "/gaussian/sgd/loss_train", D, 3, d3, b,
                    "[level][replica][time] mean SGD training loss per dimension since the "
                    "previous observation (as /series/loss_train)",
                    "x units^2");
    free(b);
}

static void rg_write_main(h5out_file *f, const rg_in *in, const rg_res *r)
{
    const hid_t D = H5T_NATIVE_DOUBLE;
    hsize_t d = (hsize_t)in->d, nt = (hsize_t)in->nt, L = (hsize_t)in->L;
    hsize_t td[2] = {nt, d}, t2[2] = {nt, 2}, lv[2] = {d, 3}, al[2] = {GT_NFIT, GS_NFITCOL};
    hsize_t rtd[3] = {(hsize_t)in->R, nt, d};
    h5out_write_all(f, "/gaussian/sgd/sigma", D, 1, &L, in->sigma,
                    "[level] noise levels of the tasks (diffusion.t and [sweep] t), ascending",
                    "x units");
    h5out_write_all(f, "/gaussian/sgd/step", D, 1, &nt, in->step,
                    "[time] SGD steps at the observations", "steps");
    h5out_write_all(f, "/gaussian/sgd/tau", D, 1, &nt, in->tau,
                    "[time] training time tau = steps x eta of the observations", "time");
    h5out_write_all(f, "/gaussian/sgd/weight", D, 2, td, r->weight,
                    "[time][mode] u_k^T W u_k at the level closest to gaussian.sigma_weight "
                    "(attribute weight_sigma), mean over replicas",
                    "1");
    h5out_write_all(f, "/gaussian/sgd/weight_se", D, 2, td, r->weight_se,
                    "[time][mode] standard error of /gaussian/sgd/weight over the replicas (NaN: "
                    "one replica)",
                    "1");
    h5out_write_all(f, "/gaussian/sgd/loss", D, 2, td, r->loss,
                    "[time][mode] population x0 loss of mode k at that level, mean over replicas",
                    "x units^2");
    h5out_write_all(f, "/gaussian/sgd/variance", D, 2, td, r->variance,
                    "[time][mode] generated variance lambda~_k (§3.1, PF-ODE from sigma_max to "
                    "sigma_min) with psi_k the current SGD weights at the trained levels, linear "
                    "in ln sigma between them, and the gradient flow of the same tau outside "
                    "them (16 knots per decade; not aligned or finite data, attribute readout: the "
                    "time-ordered PF-ODE of U^T W U, core/gpfode.h); mean over replicas",
                    "x units^2");
    h5out_write_all(f, "/gaussian/sgd/variance_replicas", D, 3, rtd, r->var_rep,
                    "[replica][time][mode] the same per replica", "x units^2");
    if (in->full)
        h5out_write_all(
            f, "/gaussian/sgd/variance_diag", D, 2, td, r->var_diag,
            "[time][mode] (not aligned or finite data) the diagonal readout: the same PF-ODE with "
            "the off-diagonal parts of U^T W U dropped, mean over replicas",
            "x units^2");
    h5out_write_all(
        f, "/gaussian/sgd/kl", D, 2, t2, r->kl,
        "[time][KL(gen || data), KL(data || gen)] of each replica's generated "
        "Gaussian against the data (§3.6; not aligned or finite data: the full form), mean over "
        "replicas",
        "nats");
    h5out_write_all(f, "/gaussian/sgd/variance_levels", D, 2, lv, r->levels,
                    "[mode][tau = 0, tau -> inf, target] of the gradient flow with the same "
                    "levels and readout; target: the criterion's mean",
                    "x units^2");
    h5out_write_all(f, "/gaussian/sgd/emergence", D, 1, &d, r->emerge,
                    "[mode] first tau at which /gaussian/sgd/variance crosses its target "
                    "(linear in ln tau between observations); NaN: never",
                    "time");
    h5out_write_all(f, "/gaussian/sgd/branch", D, 1, &d, r->branch,
                    "[mode] +1 increasing, -1 decreasing, 0 flat (gradient-flow levels)", "1");
    h5out_write_all(f, "/gaussian/sgd/alpha", D, 2, al, r->alpha,
                    "[all modes >= fit_lambda_min, increasing, decreasing][alpha, interval low, "
                    "interval high, modes] fit of ln tau* = c - alpha ln lambda of the SGD "
                    "emergence times",
                    "1");
}

static void rg_write_gf(h5out_file *f, const rg_in *in, const rg_res *r)
{
    const hid_t D = H5T_NATIVE_DOUBLE;
    hsize_t d = (hsize_t)in->d, nt = (hsize_t)in->nt;
    hsize_t td[2] = {nt, d}, t2[2] = {nt, 2}, al[2] = {GT_NFIT, GS_NFITCOL};
    h5out_group(f, "/gaussian/sgd/gf",
                "the exact gradient flow (closed forms of gtheory) of the same levels at the SGD "
                "observation times, read out as /gaussian/sgd: SGD minus gf is SGD noise and "
                "discrete-step error only");
    h5out_write_all(f, "/gaussian/sgd/gf/weight", D, 2, td, r->gf_weight,
                    "[time][mode] psi_k at the weight level (§2.2, §2.5)", "1");
    h5out_write_all(f, "/gaussian/sgd/gf/loss", D, 2, td, r->gf_loss,
                    "[time][mode] mode loss at the weight level", "x units^2");
    h5out_write_all(f, "/gaussian/sgd/gf/variance", D, 2, td, r->gf_variance,
                    "[time][mode] generated variance of the same readout", "x units^2");
    h5out_write_all(f, "/gaussian/sgd/gf/kl", D, 2, t2, r->gf_kl,
                    "[time][KL(gen || data), KL(data || gen)]", "nats");
    h5out_write_all(f, "/gaussian/sgd/gf/emergence", D, 1, &d, r->gf_emerge,
                    "[mode] emergence on the SGD time grid, as /gaussian/sgd/emergence", "time");
    h5out_write_all(f, "/gaussian/sgd/gf/alpha", D, 2, al, r->gf_alpha,
                    "[fit][alpha, low, high, modes] as /gaussian/sgd/alpha", "1");
}

/* Rank 0: the exponents side by side and the largest weight discrepancy. */
static void rg_print(const rg_in *in, const rg_res *r, const gs_result *th)
{
    double worst = 0, worst_v = 0;
    for (size_t j = 0; j < (size_t)in->nt * (size_t)in->d; j++) {
        worst = fmax(worst, fabs(r->weight[j] - r->gf_weight[j]));
        worst_v = fmax(worst_v, fabs(log(r->variance[j] / r->gf_variance[j])));
    }
    log_info("Gaussian SGD: %d level(s) in [%g, %g], %d replica(s), %d observations to tau = %g\n",
             in->L, in->sigma[0], in->sigma[in->L - 1], in->R, in->nt, in->tau[in->nt - 1]);
    log_info("alpha (all modes): SGD %.4f [%.4f, %.4f] (%d modes), gradient flow of the same "
             "levels %.4f, continuum theory %.4f\n",
             r->alpha[0], r->alpha[1], r->alpha[2], (int)r->alpha[3], r->gf_alpha[0], th->alpha[0]);
    log_info("largest |w_sgd - w_gf| at sigma = %g: %.3g; largest |ln(var_sgd / var_gf)|: "
             "%.3g\n",
             in->sigma[in->wl], worst, worst_v);
}

void run_gauss_write(h5out_file *f, const run_gauss *rg, const cfg_resolved *cr,
                     const task_list *tl, const ckpt_record *rec, int nrec)
{
    const cfg_t *c = &cr->v;
    const spec_gauss *g = &rg->sg;
    gs_result th;
    gauss_theory_alloc(&th, g->d, g->n_tau);
    gauss_theory_compute(g, &th);
    gauss_theory_write(f, cr, g, &th);
    rg_in in = {.d = g->d, .ng = (int)GDATA_NOBS(g->d), .nslot = (int)c->observe.n_obs};
    in.full = rg->g.full_view;
    if (in.full) in.ng += g->d * g->d;
    in.s0 = g->setup.sigma_min, in.sT = g->setup.sigma_max;
    in.shared = g->setup.precond == GT_PRECOND_EDM;
    rg_levels(&in, cr, tl, rg->eta);
    rg_gather(&in, tl->n, rec, nrec);
    rg_res r;
    memset(&r, 0, sizeof r);
    rg_alloc(&r, &in);
    rg_sgd(&r, &in, g);
    rg_gf(&r, &in, g, g->criterion);
    rg_emerge(&in, r.variance, &r, g, r.emerge, r.alpha);
    rg_emerge(&in, r.gf_variance, &r, g, r.gf_emerge, r.gf_alpha);
    h5out_group(f, "/gaussian/sgd",
                "SGD of the linear denoiser of every task (one per level and replica) in the "
                "eigenbasis of the data covariance, [time][mode] like /gaussian/theory");
    h5out_attr_double(f->file, "/gaussian/sgd", "eta", rg->eta);
    h5out_attr_double(f->file, "/gaussian/sgd", "weight_sigma", in.sigma[in.wl]);
    h5out_attr_long(f->file, "/gaussian/sgd", "n_levels", in.L);
    h5out_attr_long(f->file, "/gaussian/sgd", "n_replicas", in.R);
    h5out_attr_double(f->file, "/gaussian/sgd", "sigma_min", in.s0);
    h5out_attr_double(f->file, "/gaussian/sgd", "sigma_max", in.sT);
    h5out_attr_str(f->file, "/gaussian/sgd", "basis", rg->g.U ? "random orthogonal" : "identity");
    h5out_attr_str(f->file, "/gaussian/sgd", "readout",
                   in.full ? "time-ordered PF-ODE of U^T W U (RK4, 16 steps per interval)"
                           : "per mode, exact for the aligned weights");
    h5out_attr_str(f->file, "/gaussian/sgd", "levels",
                   in.shared ? "sampled: one shared V, ln sigma ~ N(p_mean, p_std^2), EDM weight "
                               "and preconditioning; weight: c_skip + c_out c_in u_k^T V u_k at "
                               "weight_sigma; gf: the shared map's law (gt_shared_law)"
                             : "fixed: one independent W per level");
    rg_write_main(f, &in, &r);
    rg_write_levels(f, &in);
    rg_write_gf(f, &in, &r);
    run_gauss_write_data(f, rg, cr, in.L, in.sigma, in.nt, in.step);
    if (log_rank() == 0) rg_print(&in, &r, &th);
    rg_res_free(&r);
    free(in.sigma), free(in.tk), free(in.tau), free(in.step), free(in.gobs), free(in.ltrain);
    gauss_theory_free(&th);
}
