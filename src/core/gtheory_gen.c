/* gtheory_gen — generated variances (closed forms and the §3.1 quadrature) and KL divergences;
 * see include/core/gtheory.h. Section numbers: gaussian-theory.md. Everything is accumulated
 * as ln(variance) (§7, numerics): the ratios Phi(sigma_0)/Phi(sigma_T) span many decades. */
#include "core/gtheory.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_sf_erf.h>
#include <gsl/gsl_sf_expint.h>
#include <math.h>

double gt_ei_neg(double x)
{
    if (x == 0) return -INFINITY;
    /* |Ei(-x)| < e^-x / x: below 1e-300 past 690, where GSL would report an underflow. */
    if (x > 690) return 0.0;
    return -gsl_sf_expint_E1(x);
}

int gt_has_closed_form(const gt_setup *s)
{
    if (s->dynamics != GT_FLOW) return 0;
    return s->model == GT_FLOWMATCH ||
           (s->process == GT_EDM && s->objective == GT_X0 && s->precond == GT_PRECOND_NONE);
}

double gt_start_var(const gt_setup *s)
{
    if (s->model == GT_FLOWMATCH) return 1.0;
    double t2 = s->sigma_max * s->sigma_max;
    return s->process == GT_VP ? 1.0 + t2 : t2;
}

/* §3.2: ln Phi(sigma) of the one-layer law, a = 2 eta tau. */
static double gt_ln_phi_one(double lambda, double q, double a, double sigma)
{
    double s2 = sigma * sigma;
    double ei_s = gt_ei_neg(a * s2), ei_sl = gt_ei_neg(a * (s2 + lambda));
    double damp = exp(-a * lambda);
    /* ei_s is -inf only at a = 0, which the caller handles; damp = 0 with ei_s = 0 is fine */
    return 0.5 * log(lambda + s2) + 0.5 * (1 - q) * ei_s * damp - 0.5 * ei_sl;
}

/* §3.3: ln Phi(sigma) of the logistic law with E = e^{-k eta lambda tau}, om = 1 - E. */
static double gt_ln_phi_two(double lambda, double q, double e, double om, double sigma)
{
    double den = q + (1 - q) * e;
    double br = lambda * e + q * om * (lambda + sigma * sigma);
    return (1 - q) * e / den * log(sigma) + q / (2 * den) * log(br);
}

/* §3.5: ln of the flow-matching variance, 2 I_k(tau). */
static double gt_ln_fm(double lambda, double q, double tau, double eta)
{
    double a = 2 * eta * tau;
    if (tau == 0) return 2 * q;
    double l1 = lambda + 1, r = sqrt(a / l1);
    double qterm = 0.0;
    if (isfinite(a))
        qterm = 0.5 * sqrt(M_PI / (a * l1)) * q * exp(-a * lambda / l1) *
                (gsl_sf_erf(r) + gsl_sf_erf(lambda * r));
    double ii = 0.5 * log(lambda) + 0.5 * (gt_ei_neg(a) - gt_ei_neg(a * lambda)) + qterm;
    return 2 * ii;
}

double gt_gen_var_closed(const gt_setup *s, double lambda, double q, double tau)
{
    if (!gt_has_closed_form(s)) return NAN;
    if (s->model == GT_FLOWMATCH) return exp(gt_ln_fm(lambda, q, tau, s->eta));
    double s0 = s->sigma_min, st = s->sigma_max, lst = 2 * log(st);
    if (tau == 0) /* W = Q I at every level: the same level for every mode (§3.2) */
        return exp(lst + 2 * (1 - q) * log(s0 / st));
    double lphi0, lphit;
    if (s->model == GT_ONELAYER) {
        double a = 2 * s->eta * tau;
        lphi0 = gt_ln_phi_one(lambda, q, a, s0);
        lphit = gt_ln_phi_one(lambda, q, a, st);
    } else {
        if (q == 0) return s0 * s0; /* W stays 0: x(sigma_0) = (sigma_0/sigma_T) x_T */
        double k = s->model == GT_TWOLAYER ? 8.0 : 4.0, z = k * s->eta * lambda * tau;
        double e = exp(-z), om = -expm1(-z);
        lphi0 = gt_ln_phi_two(lambda, q, e, om, s0);
        lphit = gt_ln_phi_two(lambda, q, e, om, st);
    }
    return exp(lst + 2 * (lphi0 - lphit));
}

typedef struct {
    const gt_setup *s;
    double lambda, q, tau;
} gt_quad_ctx;

/* 1 - psi at sigma = e^u: the integrand of §3.1 in ln sigma. */
static double gt_quad_diffusion(double u, void *p)
{
    const gt_quad_ctx *c = p;
    return 1.0 - gt_psi(c->s, c->lambda, c->q, exp(u), c->tau);
}

/* v(t, tau) of flow matching: d ln Var/dt = 2 v along the path from t = 0 to 1. */
static double gt_quad_fm(double t, void *p)
{
    const gt_quad_ctx *c = p;
    return gt_psi(c->s, c->lambda, c->q, t, c->tau);
}

/* Adaptive Gauss-Kronrod; tolerances far below what any output needs. A status of round-off
 * or subdivision limit still returns the best estimate, so the handler is off around it (an
 * installed handler would end the run over a last digit). */
static double gt_integrate(gsl_function *f, double lo, double hi)
{
    enum { LIMIT = 1000 };
    gsl_integration_workspace *w = gsl_integration_workspace_alloc(LIMIT);
    double r = NAN, err = 0;
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    int st = gsl_integration_qag(f, lo, hi, 1e-13, 1e-12, LIMIT, GSL_INTEG_GAUSS31, w, &r, &err);
    gsl_set_error_handler(old);
    gsl_integration_workspace_free(w);
    if (st != GSL_SUCCESS && st != GSL_EROUND && st != GSL_EMAXITER) return NAN;
    return r;
}

double gt_gen_var_quad(const gt_setup *s, double lambda, double q, double tau)
{
    gt_quad_ctx c = {s, lambda, q, tau};
    gsl_function f = {gt_quad_diffusion, &c};
    if (s->model == GT_FLOWMATCH) {
        f.function = gt_quad_fm;
        return exp(2 * gt_integrate(&f, 0.0, 1.0));
    }
    double i = gt_integrate(&f, log(s->sigma_min), log(s->sigma_max));
    return exp(log(gt_start_var(s)) - 2 * i);
}

double gt_gen_var(const gt_setup *s, double lambda, double q, double tau)
{
    return gt_has_closed_form(s) ? gt_gen_var_closed(s, lambda, q, tau)
                                 : gt_gen_var_quad(s, lambda, q, tau);
}

void gt_kl(int n, const double *lambda, const double *gen, double *kl_gen_data, double *kl_data_gen)
{
    double gd = 0, dg = 0;
    for (int k = 0; k < n; k++) {
        double x = log(gen[k] / lambda[k]); /* ln r_k; expm1 keeps r - 1 - ln r exact near 1 */
        gd += expm1(x) - x;
        dg += expm1(-x) + x;
    }
    *kl_gen_data = 0.5 * gd;
    *kl_data_gen = 0.5 * dg;
}
