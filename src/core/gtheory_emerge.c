/* gtheory_emerge — emergence times of the generated variances and the spectral-bias exponent
 * alpha (gaussian-theory.md §3.4); see include/core/gtheory.h. */
#include "core/gtheory.h"

#include "base/log.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_roots.h>
#include <math.h>
#include <stdlib.h>

typedef struct {
    const gt_setup *s;
    double lambda, q, ln_target;
    int in_log; /* the unknown is ln tau (wide brackets away from 0) or tau itself */
} gt_cross_ctx;

static double gt_cross_f(double x, void *p)
{
    const gt_cross_ctx *c = p;
    double tau = c->in_log ? exp(x) : x;
    return log(gt_gen_var(c->s, c->lambda, c->q, tau)) - c->ln_target;
}

/* Brent's method on a bracket [lo, hi] of tau with a sign change. */
static double gt_cross_refine(gt_cross_ctx *c, double lo, double hi)
{
    c->in_log = lo > 0;
    gsl_function f = {gt_cross_f, c};
    double a = c->in_log ? log(lo) : lo, b = c->in_log ? log(hi) : hi, x = 0.5 * (a + b);
    gsl_root_fsolver *r = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    int st = gsl_root_fsolver_set(r, &f, a, b);
    for (int it = 0; st == GSL_SUCCESS && it < 200; it++) {
        st = gsl_root_fsolver_iterate(r);
        x = gsl_root_fsolver_root(r);
        a = gsl_root_fsolver_x_lower(r), b = gsl_root_fsolver_x_upper(r);
        if (gsl_root_test_interval(a, b, c->in_log ? 1e-14 : 1e-14 * hi, 1e-14) == GSL_SUCCESS)
            break;
    }
    gsl_set_error_handler(old);
    gsl_root_fsolver_free(r);
    if (st != GSL_SUCCESS) return NAN;
    return c->in_log ? exp(x) : x;
}

void gt_emerge(const gt_setup *s, double lambda, double q, gt_criterion c, double tau_min,
               double tau_max, int n_scan, gt_emergence *out)
{
    out->initial = gt_gen_var(s, lambda, q, 0.0);
    out->final = gt_gen_var(s, lambda, q, INFINITY);
    out->target = gt_criterion_mean(c, out->initial, out->final);
    out->tau = NAN;
    double rel = (out->final - out->initial) / out->initial;
    out->branch = rel > 1e-12 ? 1 : rel < -1e-12 ? -1 : 0;
    if (out->branch == 0 || !(out->target > 0)) return;
    gt_cross_ctx cx = {s, lambda, q, log(out->target), 0};
    /* Sign of f = ln var - ln target at tau = 0: the initial level's side of the target. */
    double prev_tau = 0.0, prev_f = log(out->initial) - cx.ln_target;
    for (int j = 0; j < n_scan; j++) {
        double tau = tau_min * pow(tau_max / tau_min, n_scan > 1 ? (double)j / (n_scan - 1) : 0);
        cx.in_log = 0;
        double f = gt_cross_f(tau, &cx);
        if (!isfinite(f)) return; /* a diverging discrete GD: no emergence */
        if (f == 0) {
            out->tau = tau;
            return;
        }
        if ((f > 0) != (prev_f > 0)) {
            out->tau = gt_cross_refine(&cx, prev_tau, tau);
            return;
        }
        prev_tau = tau, prev_f = f;
    }
}

void gt_fit_alpha(int n, const double *lambda, const double *tau, const int *use, double level,
                  gt_fit *out)
{
    double sx = 0, sy = 0;
    int m = 0;
    for (int k = 0; k < n; k++)
        if (use[k] && isfinite(tau[k]) && tau[k] > 0 && lambda[k] > 0)
            sx += log(lambda[k]), sy += log(tau[k]), m++;
    out->n = m;
    out->alpha = out->lo = out->hi = NAN;
    if (m < 2) return;
    double mx = sx / m, my = sy / m, sxx = 0, sxy = 0;
    for (int k = 0; k < n; k++)
        if (use[k] && isfinite(tau[k]) && tau[k] > 0 && lambda[k] > 0) {
            double dx = log(lambda[k]) - mx;
            sxx += dx * dx, sxy += dx * (log(tau[k]) - my);
        }
    if (!(sxx > 0)) return;
    double slope = sxy / sxx;
    out->alpha = -slope;
    if (m < 3) return;
    double rss = 0;
    for (int k = 0; k < n; k++)
        if (use[k] && isfinite(tau[k]) && tau[k] > 0 && lambda[k] > 0) {
            double r = log(tau[k]) - my - slope * (log(lambda[k]) - mx);
            rss += r * r;
        }
    double se = sqrt(rss / (m - 2) / sxx), t = gsl_cdf_tdist_Pinv(0.5 * (1 + level), m - 2);
    out->lo = out->alpha - t * se;
    out->hi = out->alpha + t * se;
}

void gt_fit_branches(int n, const double *lambda, const gt_emergence *e, double lambda_min,
                     double level, gt_fit out[GT_NFIT])
{
    int *use = LOG_CALLOC((size_t)(n > 0 ? n : 1), sizeof(int));
    double *tau = LOG_CALLOC((size_t)(n > 0 ? n : 1), sizeof(double));
    const int want[GT_NFIT] = {0, 1, -1}; /* all, increasing, decreasing */
    for (int k = 0; k < n; k++)
        tau[k] = e[k].tau;
    for (int b = 0; b < GT_NFIT; b++) {
        for (int k = 0; k < n; k++)
            use[k] = lambda[k] >= lambda_min && (want[b] == 0 || e[k].branch == want[b]);
        gt_fit_alpha(n, lambda, tau, use, level, &out[b]);
    }
    free(use);
    free(tau);
}
