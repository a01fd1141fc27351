/* gtheory — spectra, per-mode weight laws, losses and weight emergence of linear denoisers on
 * Gaussian data; see include/core/gtheory.h. Section numbers: gaussian-theory.md. */
#include "core/gtheory.h"

#include <gsl/gsl_cdf.h>
#include <math.h>

void gt_spectrum_law(gt_spectrum kind, int d, double exponent, double scale, double log_std,
                     double *lambda)
{
    for (int k = 1; k <= d; k++) {
        double x = scale;
        if (kind == GT_SPEC_POWER)
            x = scale * pow((double)k, -exponent);
        else if (kind == GT_SPEC_EXPONENTIAL)
            x = scale * exp(-exponent * (k - 1));
        else if (kind == GT_SPEC_LOGNORMAL) /* upper quantiles first: descending in k */
            x = scale * exp(log_std * gsl_cdf_ugaussian_Qinv((k - 0.5) / d));
        lambda[k - 1] = x;
    }
}

int gt_spectrum_bad(int n, const double *lambda)
{
    for (int k = 0; k < n; k++)
        if (!(isfinite(lambda[k]) && lambda[k] > 0)) return k;
    return -1;
}

/* Density of ln sigma ~ N(p_mean, p_std^2): the EDM recipe's sampling of levels (§1.2),
 * taken as a density in ln sigma (the convention chosen here). */
static double gt_p_ln_sigma(const gt_setup *s, double sigma)
{
    double z = (log(sigma) - s->p_mean) / s->p_std;
    return exp(-0.5 * z * z) / (s->p_std * sqrt(2 * M_PI));
}

/* Moments of a diffusion mode at sigma~ = x (§1.3, §2.8): VP in its own variables, with
 * alpha = 1/sqrt(1 + x^2) and sigma_t = x alpha, so that the EDM-equivalent weight is
 * alpha w (x0) or 1 - sigma_t w (eps). */
static void gt_diffusion_moments(const gt_setup *s, double lambda, double x, gt_law *l)
{
    double al = 1.0, sg = x;
    if (s->process == GT_VP) al = 1.0 / sqrt(1.0 + x * x), sg = x * al;
    l->a = al * al * lambda + sg * sg;
    if (s->objective == GT_X0) {
        l->b = al * lambda, l->c0 = 0.0, l->c1 = al;
    } else {
        l->b = sg, l->c0 = 1.0, l->c1 = -sg;
    }
}

void gt_edm_coeffs(double sigma_data, double sigma, double *c_skip, double *k, double *c_in,
                   double *w)
{
    double sd2 = sigma_data * sigma_data, x2 = sigma * sigma;
    *c_skip = sd2 / (x2 + sd2);
    *k = sigma * sigma_data / (x2 + sd2);
    *c_in = 1 / sqrt(x2 + sd2);
    *w = (x2 + sd2) / (x2 * sd2);
}

/* EDM preconditioning (§2.3): the trained V enters as psi = c_skip + c_out c_in V, and its loss
 * carries p(sigma) w(sigma). The regression of y - c_skip x on c_out c_in x gives V's moments. */
static void gt_precondition(const gt_setup *s, double x, gt_law *l)
{
    double c_skip, k, c_in, w;
    gt_edm_coeffs(s->sigma_data, x, &c_skip, &k, &c_in, &w);
    double pw = gt_p_ln_sigma(s, x) * w; /* p w */
    double a = l->a, b = l->b;
    l->a = pw * k * k * a;
    l->b = pw * k * (b - c_skip * a);
    l->c0 = c_skip;
    l->c1 = k;
}

gt_law gt_law_at(const gt_setup *s, double lambda, double q, double x)
{
    gt_law l = {.kind = GT_LAW_LINEAR, .k = 2.0, .c0 = 0.0, .c1 = 1.0, .q = q, .eta = s->eta};
    l.gd = s->dynamics == GT_GD;
    if (s->model == GT_TWOLAYER) l.kind = GT_LAW_LOGISTIC, l.k = 8.0;
    if (s->model == GT_BALANCED) l.kind = GT_LAW_LOGISTIC, l.k = 4.0;
    if (s->model == GT_FLOWMATCH) { /* x_t = (1 - t) z + t x1, target x1 - z (§2.8) */
        l.a = x * x * lambda + (1 - x) * (1 - x);
        l.b = x * lambda - (1 - x);
        return l;
    }
    gt_diffusion_moments(s, lambda, x, &l);
    if (s->precond == GT_PRECOND_EDM) gt_precondition(s, x, &l);
    return l;
}

/* Linear law: v* + (q - v*) e^{-k eta a tau}; discrete GD: factor (1 - k eta a)^n with n = tau
 * rounded. The formulas of §2.2 carry eta explicitly, so tau counts steps there: n = tau makes GD
 * tend to the flow as eta -> 0 (n = tau/eta, used before, did not). */
static double gt_linear_value(const gt_law *l, double tau)
{
    double vs = l->b / l->a, r = l->k * l->eta * l->a;
    if (tau == 0) return l->q;
    if (l->gd) {
        double base = 1.0 - r;
        if (isinf(tau)) return fabs(base) < 1 ? vs : NAN;
        return vs + (l->q - vs) * pow(base, nearbyint(tau));
    }
    return vs + (l->q - vs) * exp(-r * tau);
}

/* Logistic law dv/dtau = k eta v (b - a v), written q / (E + a q (1 - E)/b), E = e^{-k eta b tau},
 * which stays finite for b -> 0 and for b < 0 (V = P P^T >= 0 then decays to 0). */
static double gt_logistic_value(const gt_law *l, double tau)
{
    if (l->q == 0 || tau == 0) return l->q;
    double kt = l->k * l->eta;
    if (isinf(tau)) return l->b > 0 ? l->b / l->a : 0.0;
    double e = exp(-kt * l->b * tau);
    double h = l->b != 0 ? -expm1(-kt * l->b * tau) / l->b : kt * tau;
    return l->q / (e + l->a * l->q * h);
}

double gt_law_value(const gt_law *l, double tau)
{
    return l->kind == GT_LAW_LINEAR ? gt_linear_value(l, tau) : gt_logistic_value(l, tau);
}

double gt_law_rhs(const gt_law *l, double v)
{
    double g = l->kind == GT_LAW_LINEAR ? 1.0 : v;
    return -l->k * l->eta * g * (l->a * v - l->b);
}

double gt_psi(const gt_setup *s, double lambda, double q, double x, double tau)
{
    gt_law l = gt_law_at(s, lambda, q, x);
    return l.c0 + l.c1 * gt_law_value(&l, tau);
}

double gt_mode_loss(const gt_setup *s, double lambda, double q, double x, double tau)
{
    if (s->model == GT_FLOWMATCH) {
        gt_law l = gt_law_at(s, lambda, q, x);
        double dv = gt_law_value(&l, tau) - l.b / l.a;
        return l.a * dv * dv + gt_mode_loss_min(s, lambda, x);
    }
    double a = lambda + x * x, dp = gt_psi(s, lambda, q, x, tau) - lambda / a;
    return a * dp * dp + gt_mode_loss_min(s, lambda, x);
}

double gt_mode_loss_min(const gt_setup *s, double lambda, double x)
{
    if (s->model == GT_FLOWMATCH) {
        gt_law l = gt_law_at(s, lambda, 0.0, x);
        return lambda + 1 - l.b * l.b / l.a;
    }
    return x * x * lambda /
           (lambda + x * x); /* the Bayes error sigma^2 lambda/(sigma^2 + lambda) */
}

double gt_gd_eta_max(const gt_setup *s, double lambda_max)
{
    enum { N = 401 };
    gt_setup one = *s;
    if (one.model != GT_FLOWMATCH) one.model = GT_ONELAYER;
    double amax = 0;
    for (int i = 0; i < N; i++) {
        double u = (double)i / (N - 1), x = u;
        if (s->model != GT_FLOWMATCH) /* log-spaced levels, both ends included */
            x = exp(log(s->sigma_min) + u * (log(s->sigma_max) - log(s->sigma_min)));
        gt_law l = gt_law_at(&one, lambda_max, 0.0, x);
        amax = fmax(amax, l.a);
    }
    return 2.0 / (2.0 * amax); /* |1 - k eta a| < 1 with k = 2 */
}

double gt_criterion_mean(gt_criterion c, double initial, double final)
{
    if (c == GT_ARITHMETIC) return 0.5 * (initial + final);
    if (c == GT_HARMONIC) return 2 * initial * final / (initial + final);
    return initial * final >= 0 ? copysign(sqrt(initial * final), initial) : NAN;
}

/* Time at which the logistic law reaches m: solves q/m = E + a q (1 - E)/b for E. */
static double gt_logistic_inverse(const gt_law *l, double m)
{
    double kt = l->k * l->eta;
    if (l->b == 0) return (l->q / m - 1) / (kt * l->a * l->q);
    double aqb = l->a * l->q / l->b, e = (l->q / m - aqb) / (1 - aqb);
    return -log(e) / (kt * l->b);
}

double gt_weight_emergence(const gt_setup *s, double lambda, double q, double x, gt_criterion c)
{
    gt_law l = gt_law_at(s, lambda, q, x);
    double vinf = gt_law_value(&l, INFINITY), m = gt_criterion_mean(c, q, vinf);
    if (!(fabs(vinf - q) > 1e-15 * fmax(fabs(q), fabs(vinf))) || !isfinite(m)) return NAN;
    double tau;
    if (l.kind == GT_LAW_LOGISTIC) {
        tau = gt_logistic_inverse(&l, m);
    } else {
        double e = (m - vinf) / (q - vinf), r = l.k * l.eta * l.a;
        /* discrete GD: the (continuous) step count at which (1 - r)^n reaches e */
        tau = l.gd ? log(e) / log(fabs(1 - r)) : -log(e) / r;
    }
    return isfinite(tau) && tau >= 0 ? tau : NAN;
}

/* Nodes of the expectation over ln sigma ~ N(p_mean, p_std^2): the trapezoid rule in z on
 * [-12, 12], spectrally accurate for these smooth bounded integrands times the Gaussian. */
#define GT_SHARED_N 2401
#define GT_SHARED_Z 12.0

gt_law gt_shared_law(const gt_setup *s, double lambda, double q)
{
    gt_law l = gt_law_at(s, lambda, q, 1.0); /* kind, k, q, eta, gd of the model */
    double A = 0, B = 0, h = 2 * GT_SHARED_Z / (GT_SHARED_N - 1);
    for (int i = 0; i < GT_SHARED_N; i++) {
        double z = -GT_SHARED_Z + i * h, sg = exp(s->p_mean + s->p_std * z);
        double f =
            exp(-0.5 * z * z) / sqrt(2 * M_PI) * h * (i == 0 || i == GT_SHARED_N - 1 ? 0.5 : 1);
        double c_skip, k, c_in, w, a = lambda + sg * sg;
        gt_edm_coeffs(s->sigma_data, sg, &c_skip, &k, &c_in, &w);
        A += f * w * k * k * a;
        B += f * w * k * (lambda - c_skip * a);
    }
    l.a = A, l.b = B, l.c0 = 0, l.c1 = 1;
    return l;
}

double gt_shared_psi(const gt_setup *s, double v, double sigma)
{
    double c_skip, k, c_in, w;
    gt_edm_coeffs(s->sigma_data, sigma, &c_skip, &k, &c_in, &w);
    return c_skip + k * v;
}
