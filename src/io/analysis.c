/* analysis — /scaling and /theory of a run; see include/analysis.h. */
#include "io/analysis.h"

#include "base/log.h"
#include "engine/observe.h"
#include "core/scaling.h"
#include "core/theory.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { AN_NQ = 6 }; /* crossed fraction, median, q25, q75, ci_lo, ci_hi */
enum { FIT_N = 6 }; /* k, k_se, k_lo, k_hi, logC, points */

typedef struct {
    int ncombo, nd, nw, nthr;
    double *q;     /* [combo][d][w][thr][AN_NQ] */
    int *ntask;    /* [combo][d] */
    double *fit;   /* [combo][w][thr][FIT_N] */
    double *resid; /* [combo][w][thr][d] */
} an_table;

static size_t an_qi(const an_table *t, int g, int i, int w, int k)
{
    return ((((size_t)g * t->nd + i) * t->nw + w) * t->nthr + k) * AN_NQ;
}

/* The crossing times of the tasks of (combo g, dimension d) for quantity w, threshold k. */
static int an_collect(const task_list *tl, const analysis_input *in, int g, int d, int w, int k,
                      double *t, int *ev)
{
    int n = 0;
    for (int j = 0; j < tl->n; j++) {
        if (tl->t[j].combo != g || tl->t[j].d != d) continue;
        double x = in->n_cross[((size_t)j * in->nw + w) * in->nthr + k];
        ev[n] = isfinite(x);
        t[n] = ev[n] ? x : in->n_stop[j];
        n++;
    }
    return n;
}

static void an_quantiles(const spec_analysis *a, const double *t, const int *ev, int n,
                         uint64_t key, double *q)
{
    int crossed = 0;
    for (int i = 0; i < n; i++)
        crossed += ev[i];
    q[0] = n ? (double)crossed / n : NAN;
    q[1] = scaling_km_quantile(t, ev, n, 0.5);
    q[2] = scaling_km_quantile(t, ev, n, 0.25);
    q[3] = scaling_km_quantile(t, ev, n, 0.75);
    scaling_km_bootstrap(t, ev, n, 0.5, a->bootstrap, a->seed, key, a->level, &q[4], &q[5]);
}

/* Weighted fit of log median vs log d; weights from the bootstrap interval of each median
 * (its half-width in log space over the normal quantile), unweighted when fewer than two points
 * have a finite interval. */
static void an_fit(const spec_analysis *a, an_table *t, int g, int w, int k)
{
    double x[SPEC_LIST_MAX], y[SPEC_LIST_MAX], wt[SPEC_LIST_MAX];
    double z = gsl_cdf_ugaussian_Pinv(0.5 + a->level / 2);
    int nwt = 0;
    for (int i = 0; i < t->nd; i++) {
        const double *q = &t->q[an_qi(t, g, i, w, k)];
        x[i] = (double)a->d[i];
        y[i] = q[1];
        double s = (log(q[5]) - log(q[4])) / (2 * z);
        wt[i] = isfinite(s) && s > 0 ? 1.0 / (s * s) : 0.0;
        nwt += wt[i] > 0;
    }
    scaling_fit fit;
    double *res = &t->resid[(((size_t)g * t->nw + w) * t->nthr + k) * t->nd];
    scaling_fit_power(x, y, nwt >= 3 ? wt : NULL, t->nd, a->fit_log_power, a->level, &fit, res);
    double v[FIT_N] = {fit.k, fit.k_se, fit.k_lo, fit.k_hi, fit.logC, fit.n};
    memcpy(&t->fit[(((size_t)g * t->nw + w) * t->nthr + k) * FIT_N], v, sizeof v);
}

static void an_compute(const spec_analysis *a, const task_list *tl, const analysis_input *in,
                       an_table *t)
{
    double *tt = LOG_CALLOC((size_t)tl->n + 1, sizeof(double));
    int *ev = LOG_CALLOC((size_t)tl->n + 1, sizeof(int));
    for (int g = 0; g < t->ncombo; g++)
        for (int i = 0; i < t->nd; i++)
            for (int w = 0; w < t->nw; w++)
                for (int k = 0; k < t->nthr; k++) {
                    int d = (int)a->d[i];
                    int n = an_collect(tl, in, g, d, w, k, tt, ev);
                    t->ntask[g * t->nd + i] = n;
                    uint64_t key = ((uint64_t)g << 40) ^ ((uint64_t)d << 16) ^ ((uint64_t)w << 8) ^
                                   (uint64_t)k;
                    an_quantiles(a, tt, ev, n, key, &t->q[an_qi(t, g, i, w, k)]);
                }
    for (int g = 0; g < t->ncombo; g++)
        for (int w = 0; w < t->nw; w++)
            for (int k = 0; k < t->nthr; k++)
                an_fit(a, t, g, w, k);
    free(tt);
    free(ev);
}

static void an_write_scaling(h5out_file *f, const spec_analysis *a, const an_table *t,
                             const analysis_input *in)
{
    hsize_t dq[5] = {(hsize_t)t->ncombo, (hsize_t)t->nd, (hsize_t)t->nw, (hsize_t)t->nthr, AN_NQ};
    hsize_t dn[2] = {(hsize_t)t->ncombo, (hsize_t)t->nd}, nd = (hsize_t)t->nd;
    hsize_t df[4] = {(hsize_t)t->ncombo, (hsize_t)t->nw, (hsize_t)t->nthr, FIT_N};
    hsize_t dr[4] = {(hsize_t)t->ncombo, (hsize_t)t->nw, (hsize_t)t->nthr, (hsize_t)t->nd};
    h5out_group(f, "/scaling", "sample complexity n* (samples to the first crossing) across d");
    char names[128] = "";
    for (int w = 0; w < in->nw; w++)
        strcat(strcat(names, w ? "," : ""), observe_watch_name(in->which[w]));
    h5out_attr_str(f->file, "/scaling", "watched", names);
    h5out_attr_str(f->file, "/scaling", "thresholds", a->thresholds);
    h5out_attr_double(f->file, "/scaling", "level", a->level);
    h5out_attr_double(f->file, "/scaling", "fit_log_power", a->fit_log_power);
    double dv[SPEC_LIST_MAX];
    for (int i = 0; i < t->nd; i++)
        dv[i] = (double)a->d[i];
    h5out_write_all(f, "/scaling/d", H5T_NATIVE_DOUBLE, 1, &nd, dv, "the dimensions", "1");
    h5out_write_all(f, "/scaling/n_tasks", H5T_NATIVE_INT, 2, dn, t->ntask,
                    "[combo][d] tasks (replicas) per dimension and sweep combination", "tasks");
    h5out_write_all(f, "/scaling/nstar", H5T_NATIVE_DOUBLE, 5, dq, t->q,
                    "[combo][d][watched][threshold][crossed fraction, Kaplan-Meier median, "
                    "quartile 0.25, quartile 0.75, bootstrap CI low, CI high of the median]; "
                    "NaN where too few tasks crossed",
                    "samples (fraction: 1)");
    h5out_write_all(f, "/scaling/fit", H5T_NATIVE_DOUBLE, 4, df, t->fit,
                    "[combo][watched][threshold][exponent k, SE, CI low, CI high, log C, points] "
                    "of the weighted fit log n* = log C + k log d + p log log d",
                    "1");
    h5out_write_all(f, "/scaling/residuals", H5T_NATIVE_DOUBLE, 4, dr, t->resid,
                    "[combo][watched][threshold][d] log n* minus the fit", "1");
}

static void an_theory_combo(const spec_theory *st, double *row)
{
    theory_coeffs tc;
    theory_coeffs_compute(&tc, &st->act, &st->mcm, st->alpha, st->sigma);
    theory_row(&tc, row);
}

/* Predicted exponent of n* in d for a watched quantity (mcm-model.md §6.3): u and m linear
 * (up to logs), v cubic with independent latents and linear with correlated ones. */
static double an_predicted(int which, const spec_theory *st, const double *th)
{
    if (which == OBS_MAX_U || which == OBS_MAX_M) return 1.0;
    if (which != OBS_MAX_V || th[THEORY_K_V] == 0) return NAN; /* subspace, or blind to v */
    return st->mcm.coupling == MCM_COUPLE_SIGN ? 1.0 : 3.0;
}

static void an_write_theory(h5out_file *f, const spec_analysis *a, const analysis_input *in)
{
    int ncombo = a->ncombo, nd = a->nd, P = a->ode_points;
    double *th = LOG_CALLOC((size_t)ncombo * THEORY_NCOL, sizeof(double));
    double *ex = LOG_CALLOC((size_t)ncombo * (size_t)(in->nw + 1), sizeof(double));
    double *tau = LOG_CALLOC((size_t)ncombo * (size_t)nd * (size_t)P, sizeof(double));
    double *m = LOG_CALLOC((size_t)ncombo * (size_t)nd * 2 * (size_t)P, sizeof(double));
    for (int g = 0; g < ncombo; g++) {
        const spec_theory *st = &a->combo[g];
        an_theory_combo(st, &th[(size_t)g * THEORY_NCOL]);
        for (int w = 0; w < in->nw; w++)
            ex[(size_t)g * (size_t)in->nw + (size_t)w] =
                an_predicted(in->which[w], st, &th[(size_t)g * THEORY_NCOL]);
        mcm_params p = st->mcm;
        for (int i = 0; i < nd; i++) {
            int d = (int)a->d[i];
            double *ti = &tau[((size_t)g * nd + i) * (size_t)P];
            double tend = (double)a->steps[(size_t)g * (size_t)nd + (size_t)i] / d;
            for (int j = 0; j < P; j++)
                ti[j] = tend * pow(1e-3, 1.0 - (double)j / (P - 1));
            p.d = d;
            for (int s = 1; s <= 2; s++) {
                double *mi = &m[(((size_t)g * nd + i) * 2 + (size_t)(s - 1)) * (size_t)P];
                if (theory_ode(&st->act, &p, th[g * THEORY_NCOL + THEORY_ALPHA],
                               th[g * THEORY_NCOL + THEORY_SIGMA], s, st->delta, st->lr_power, d,
                               1.0 / sqrt((double)d), P, ti, mi) != 0)
                    for (int j = 0; j < P; j++)
                        mi[j] = NAN;
            }
        }
    }
    hsize_t dt[2] = {(hsize_t)ncombo, THEORY_NCOL}, de[2] = {(hsize_t)ncombo, (hsize_t)in->nw};
    hsize_t dtau[3] = {(hsize_t)ncombo, (hsize_t)nd, (hsize_t)P};
    hsize_t dm[4] = {(hsize_t)ncombo, (hsize_t)nd, 2, (hsize_t)P};
    h5out_group(f, "/theory",
                "single-neuron (A) theory at the training time (mcm-model.md §6), "
                "per sweep combination");
    h5out_write_all(f, "/theory/coeffs", H5T_NATIVE_DOUBLE, 2, dt, th,
                    "[combo][B, c_u2, c_v4, c_uv, k_u, k_v (0: blind), C, delta_max_u, alpha_t, "
                    "sigma_t] small-overlap coefficients of the population loss (per sample, "
                    "summed over coordinates), information exponents, contraction constant, "
                    "largest delta for the u phase",
                    "loss units / 1");
    if (in->nw > 0)
        h5out_write_all(f, "/theory/exponent", H5T_NATIVE_DOUBLE, 2, de, ex,
                        "[combo][watched] predicted exponent k of n* ~ d^k (up to logs)", "1");
    h5out_write_all(f, "/theory/ode_tau", H5T_NATIVE_DOUBLE, 3, dtau, tau,
                    "[combo][d][point] d-scaled times of the overlap ODE", "steps/d");
    h5out_write_all(f, "/theory/ode_m", H5T_NATIVE_DOUBLE, 4, dm, m,
                    "[combo][d][spike: u, v][point] overlap m(tau) of the d -> infinity ODE (6) "
                    "from m0 = d^-1/2 with the exact population loss; NaN where it does not apply",
                    "1");
    free(th);
    free(ex);
    free(tau);
    free(m);
}

void analysis_write(h5out_file *f, const spec_analysis *a, const task_list *tl,
                    const analysis_input *in)
{
    an_table t = {.ncombo = a->ncombo, .nd = a->nd, .nw = in->nw, .nthr = in->nthr};
    size_t cells = (size_t)t.ncombo * t.nd * (size_t)(t.nw > 0 ? t.nw : 1) * (size_t)t.nthr;
    t.q = LOG_CALLOC(cells * AN_NQ + 1, sizeof(double));
    t.ntask = LOG_CALLOC((size_t)t.ncombo * t.nd + 1, sizeof(int));
    t.fit = LOG_CALLOC(cells * FIT_N + 1, sizeof(double));
    t.resid = LOG_CALLOC(cells + 1, sizeof(double));
    if (t.nw > 0) {
        an_compute(a, tl, in, &t);
        an_write_scaling(f, a, &t, in);
    }
    /* The theory is that of the MCM: a user data set has no beta_u, beta_v, no latents. */
    if (a->theory) an_write_theory(f, a, in);
    free(t.q);
    free(t.ntask);
    free(t.fit);
    free(t.resid);
}
