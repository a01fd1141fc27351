/* theory — single-neuron learning theory (mcm-model.md §6); see include/theory.h.
 *
 * Everything is reduced to one-dimensional Gaussian expectations. With p = w.x0, q = w.xi,
 * h = alpha p + sigma q and y = w.r = (1 - alpha^2) p - alpha sigma q the per-sample loss of
 * model (A) is |r|^2 - 2 sigma(h) y + sigma(h)^2 (|w| = 1), so
 *   L(w) = const - 2 E[sigma(h) y] + E[sigma(h)^2]                               (§6.2 Origin)
 * and only the law of p depends on the overlap m. That law is a mixture of at most two
 * Gaussians (u: one Gaussian; v: one per value of nu), and for each Gaussian component (h, y)
 * is jointly Gaussian, so Stein's lemma turns E[sigma(h) y] into 1-D integrals over h.
 *
 * Small-overlap series (derived here, exact): with Phi(p) = E_q[loss | p] and p = m X +
 * sqrt(1 - m^2) g (X = s.x0 of unit or larger variance, g Gaussian), the Hermite addition
 * theorem gives E[He_k(p)] = m^k E[He_k(X)], hence
 *   L(m) - L(0) = sum_k m^k E[He_k(X)] l_k,   l_k = E[Phi(g) He_k(g)] / k!,
 * and for a VP pair (alpha^2 + sigma^2 = 1), rotating (p, q) to (h, e),
 *   l_k = [alpha^k E_k - 2 k alpha^(k-1) sigma^2 mu_(k-1)] / k!
 * (l_2 = B, l_4 = the bracket of c_v4 in §6.2). For a general pair, with omega^2 = alpha^2 +
 * sigma^2, a = alpha / omega, s = sigma / omega and hatted coefficients of sigma(omega g):
 *   l_k = [a^k E^_k - 2 a^(k+1) (1 - omega^2)(mu^_(k+1) + k mu^_(k-1))
 *          - 2 k a^(k-1) s^2 mu^_(k-1)] / k!.
 * E[He_k(u.x0)] = (k-1)!! beta_u^(k/2) (Gaussian), E[He_k(v.x0)] = b^k E[He_k(nu)].
 *
 * Quadrature: composite Gauss-Legendre (GL_N nodes per panel of width <= 2 on [-14, 14], a
 * break inserted at the point where h = 0). That is the "split at the kink" variant of the
 * Gauss-Hermite rule: ReLU is integrated exactly piecewise, and the smooth activations converge
 * geometrically (tanh's poles lie >= pi/2 from the real axis; panel half-width 1). Measured
 * against adaptive quadrature: |error| < 1e-13 for tanh, erf, relu, He_k, matched (tests). */
#include "core/theory.h"

#include "base/log.h"

#include <gsl/gsl_chebyshev.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_odeiv2.h>
#include <math.h>
#include <string.h>

enum { GL_N = 20, HMAX = 24, NPANEL_MAX = 16 };
#define GL_EDGE 14.0      /* phi(14) ~ 1e-43: beyond any polynomial growth up to degree ~40 */
#define BLIND_TOL 1e-10   /* coefficient counts as zero below this times its natural scale */
#define ODE_CHEB_ORDER 48 /* Chebyshev order of L(m) for the ODE (tail checked) */
#define FD_H 1e-3         /* step of the 4-point derivative of L(m) (error ~ h^4 L^(5)) */
#define INV_SQRT_2PI 0.39894228040143267794

/* ---------------------------------------------------------------------------------------------
 * Gaussian expectations by composite Gauss-Legendre
 * ------------------------------------------------------------------------------------------- */

static struct {
    int ready;
    double x[GL_N], w[GL_N];
} gl;

static void gl_init(void)
{
    if (gl.ready) return;
    gsl_integration_glfixed_table *t = gsl_integration_glfixed_table_alloc(GL_N);
    if (!t) LOG_DIE("Gauss-Legendre table of %d nodes", GL_N);
    for (int i = 0; i < GL_N; i++)
        gsl_integration_glfixed_point(-1.0, 1.0, (size_t)i, &gl.x[i], &gl.w[i], t);
    gsl_integration_glfixed_table_free(t);
    gl.ready = 1;
}

/* f writes nout values at the standard-normal point g. */
typedef void (*gfun)(const void *ctx, double g, double *out);

/* res[j] = E[f_j(g)], g ~ N(0,1), with a panel break at g0 (the kink of the integrand). */
static void gexpect(gfun f, const void *ctx, double g0, int nout, double *res)
{
    double brk[NPANEL_MAX + 2], out[3 * HMAX + 8];
    int nb = 0;
    gl_init();
    for (double x = -GL_EDGE; x <= GL_EDGE + 1e-9; x += 2.0) {
        if (g0 > -GL_EDGE && g0 < GL_EDGE && nb > 0 && brk[nb - 1] < g0 && g0 < x) brk[nb++] = g0;
        brk[nb++] = x;
    }
    memset(res, 0, (size_t)nout * sizeof *res);
    for (int p = 0; p + 1 < nb; p++) {
        double c = 0.5 * (brk[p + 1] + brk[p]), hw = 0.5 * (brk[p + 1] - brk[p]);
        for (int i = 0; i < GL_N; i++) {
            double g = c + hw * gl.x[i], wt = hw * gl.w[i] * INV_SQRT_2PI * exp(-0.5 * g * g);
            f(ctx, g, out);
            for (int j = 0; j < nout; j++)
                res[j] += wt * out[j];
        }
    }
}

/* ---------------------------------------------------------------------------------------------
 * Hermite coefficients
 * ------------------------------------------------------------------------------------------- */

/* Probabilists' Hermite polynomials He_0..He_n at x: He_{k+1} = x He_k - k He_{k-1}. */
static void he_all(int n, double x, double *he)
{
    he[0] = 1.0;
    if (n >= 1) he[1] = x;
    for (int k = 1; k < n; k++)
        he[k + 1] = x * he[k] - k * he[k - 1];
}

typedef struct {
    const act_fn *a;
    double om; /* sigma is evaluated at om g */
    int n;
} hctx;

/* out = [sigma He_0..n, sigma^2 He_0..n, sigma^4]. */
static void hfun(const void *vc, double g, double *out)
{
    const hctx *c = vc;
    double he[HMAX + 1], s = act_f(c->a, c->om * g);
    he_all(c->n, g, he);
    for (int k = 0; k <= c->n; k++) {
        out[k] = s * he[k];
        out[c->n + 1 + k] = s * s * he[k];
    }
    out[2 * c->n + 2] = s * s * s * s;
}

/* Coefficients of sigma(om g): mu[0..n], E[0..n] and E[sigma^4]. */
static void hermite_scaled(const act_fn *a, double om, int n, double *mu, double *E, double *s4)
{
    if (n < 0 || n > HMAX) LOG_DIE("Hermite order %d not in [0, %d]", n, HMAX);
    hctx c = {a, om, n};
    double res[2 * HMAX + 3];
    gexpect(hfun, &c, 0.0, 2 * n + 3, res);
    memcpy(mu, res, (size_t)(n + 1) * sizeof *mu);
    memcpy(E, res + n + 1, (size_t)(n + 1) * sizeof *E);
    if (s4) *s4 = res[2 * n + 2];
}

void theory_hermite(const act_fn *a, int kmax, double *mu, double *E)
{
    hermite_scaled(a, 1.0, kmax, mu, E, NULL);
}

typedef struct {
    const act_fn *a;
    int k, pow;
} actx;

/* (F(x) + F(-x)) phi(x) on [0, inf), F = sigma^pow He_k: the kink of ReLU sits at the end. */
static double adapt_integrand(double x, void *vc)
{
    const actx *c = vc;
    double he_p[HMAX + 1], he_m[HMAX + 1];
    he_all(c->k, x, he_p);
    he_all(c->k, -x, he_m);
    double fp = act_f(c->a, x), fm = act_f(c->a, -x);
    if (c->pow == 2) fp *= fp, fm *= fm;
    return (fp * he_p[c->k] + fm * he_m[c->k]) * INV_SQRT_2PI * exp(-0.5 * x * x);
}

static double adaptive(const act_fn *a, int k, int pow)
{
    if (k < 0 || k > HMAX) LOG_DIE("Hermite order %d not in [0, %d]", k, HMAX);
    actx c = {a, k, pow};
    gsl_function F = {adapt_integrand, &c};
    gsl_integration_workspace *ws = gsl_integration_workspace_alloc(2000);
    double r = NAN, err;
    gsl_error_handler_t *old = gsl_set_error_handler_off(); /* status is inspected below */
    int st = gsl_integration_qagiu(&F, 0.0, 1e-15, 1e-13, 2000, ws, &r, &err);
    gsl_set_error_handler(old);
    gsl_integration_workspace_free(ws);
    return (st == GSL_SUCCESS || st == GSL_EROUND) ? r : NAN;
}

double theory_hermite_mu_adaptive(const act_fn *a, int k)
{
    return adaptive(a, k, 1);
}

double theory_hermite_E_adaptive(const act_fn *a, int k)
{
    return adaptive(a, k, 2);
}

/* ---------------------------------------------------------------------------------------------
 * Exact loss along one spike
 * ------------------------------------------------------------------------------------------- */

typedef struct {
    double w, mu, var; /* weight, mean and variance of one Gaussian component of p = w.x0 */
} pcomp;

static double mix_factor(const mcm_params *p)
{
    /* The isotropic half of a labelled mixture has a loss independent of w. */
    return p->mixture == MCM_MIX_LABELLED ? 0.5 : 1.0;
}

/* Closed forms need the law of s.x0 alone: Gaussian along u, b nu + sqrt(1-b^2) g along v.
 * Full whitening with coupled latents mixes lambda into both (not covered). */
static int law_known(const mcm_params *p)
{
    return p->whitening == MCM_WHITEN_SPIKE || p->coupling == MCM_COUPLE_INDEPENDENT;
}

/* Law of p = m s.x0 + sqrt(1 - m^2) g as Gaussian components; returns their number. */
static int p_law(const mcm_params *p, int spike, double m, pcomp c[2])
{
    if (spike == 1) {
        c[0] = (pcomp){1.0, 0.0, 1.0 + m * m * p->beta_u};
        return 1;
    }
    double b = sqrt(mcm_b2(p)), var = 1.0 - m * m * b * b;
    if (p->coupling == MCM_COUPLE_INDEPENDENT && p->nu_law == MCM_NU_GAUSSIAN) {
        c[0] = (pcomp){1.0, 0.0, 1.0}; /* p ~ N(0, 1) for every m: exactly blind */
        return 1;
    }
    if (p->coupling == MCM_COUPLE_INDEPENDENT && p->nu_law == MCM_NU_SKEWED) {
        double q = p->skew_q, s = sqrt(q - q * q); /* the standardised two-point law of mcm.c */
        c[0] = (pcomp){q, m * b * (1.0 - q) / s, var};
        c[1] = (pcomp){1.0 - q, -m * b * q / s, var};
        return 2;
    }
    c[0] = (pcomp){0.5, m * b, var}; /* nu = +-1 with probability 1/2 (also both couplings) */
    c[1] = (pcomp){0.5, -m * b, var};
    return 2;
}

typedef struct {
    const act_fn *a;
    double mh, sh; /* h = mh + sh g */
} lctx;

static void lfun(const void *vc, double g, double *out)
{
    const lctx *c = vc;
    double s = act_f(c->a, c->mh + c->sh * g);
    out[0] = s;
    out[1] = s * g;
    out[2] = s * s;
}

/* -2 E[sigma(h) y] + E[sigma(h)^2] for p ~ N(mu, var): E[y] = (1 - al^2) mu and, by Stein,
 * E[sigma(h)(y - E y)] = Cov(h, y) E[sigma(h) g] / sd(h) with Cov(h, y) = al (1 - al^2) var -
 * al sg^2. */
static double comp_loss(const act_fn *a, double al, double sg, pcomp c)
{
    double sh = sqrt(al * al * c.var + sg * sg), mh = al * c.mu, res[3];
    lctx lc = {a, mh, sh};
    gexpect(lfun, &lc, -mh / sh, 3, res);
    double cov = al * (1.0 - al * al) * c.var - al * sg * sg;
    double ey = (1.0 - al * al) * c.mu * res[0] + cov * res[1] / sh;
    return -2.0 * ey + res[2];
}

double theory_loss_overlap(const act_fn *a, const mcm_params *p, double alpha, double sigma,
                           int spike, double m)
{
    if (spike != 1 && spike != 2) LOG_DIE("spike %d is neither 1 (u) nor 2 (v)", spike);
    if (!(fabs(m) <= 1.0) || !law_known(p)) return NAN;
    pcomp c[2], c0 = {1.0, 0.0, 1.0};
    int n = p_law(p, spike, m, c);
    double L = 0.0;
    for (int j = 0; j < n; j++)
        L += c[j].w * comp_loss(a, alpha, sigma, c[j]);
    return mix_factor(p) * (L - comp_loss(a, alpha, sigma, c0));
}

/* ---------------------------------------------------------------------------------------------
 * Small-overlap coefficients and contraction
 * ------------------------------------------------------------------------------------------- */

static double factorial(int k)
{
    double f = 1.0;
    for (int i = 2; i <= k; i++)
        f *= i;
    return f;
}

/* l_k (file comment) and the Cauchy-Schwarz bound of its terms, |mu_k| <= sqrt(k! E sigma^2),
 * |E_k| <= sqrt(k! E sigma^4): the scale against which "exactly zero" is judged. */
static void loss_hermite(const act_fn *a, double al, double sg, double *lk, double *sc)
{
    double om = sqrt(al * al + sg * sg), at = al / om, st = sg / om, x = 1.0 - om * om;
    double mu[THEORY_KMAX + 2], E[THEORY_KMAX + 2], s4;
    hermite_scaled(a, om, THEORY_KMAX + 1, mu, E, &s4);
    double r2 = sqrt(E[0]), r4 = sqrt(s4);
    lk[0] = sc[0] = 0.0;
    for (int k = 1; k <= THEORY_KMAX; k++) {
        double f = factorial(k), fm = factorial(k - 1), fp = factorial(k + 1);
        double ak = pow(at, k), ak1 = pow(at, k - 1);
        lk[k] = (ak * E[k] - 2.0 * ak * at * x * (mu[k + 1] + k * mu[k - 1]) -
                 2.0 * k * ak1 * st * st * mu[k - 1]) /
                f;
        sc[k] = (ak * sqrt(f) * r4 + 2.0 * ak * at * fabs(x) * (sqrt(fp) + k * sqrt(fm)) * r2 +
                 2.0 * k * ak1 * st * st * sqrt(fm) * r2) /
                f;
    }
}

/* The whitening leaves Var(v.x0) = 1 and, with independent latents, Cov(u.x0, v.x0) = 0 only
 * to rounding: such O(1)-scale entries count as exact zeros below 1e-12. */
static double snap(double x)
{
    return fabs(x) < 1e-12 ? 0.0 : x;
}

/* E[He_k(u.x0)] and E[He_k(v.x0)], k = 0..KMAX (mixture included); NaN where not covered. */
static void spike_moments(const mcm_params *p, double *mu_u, double *mu_v)
{
    double cov[2][2], mix = mix_factor(p), b = sqrt(mcm_b2(p)), he[THEORY_KMAX + 1];
    mcm_cov_uv(p, cov);
    for (int k = 0; k <= THEORY_KMAX; k++)
        mu_u[k] = mu_v[k] = k == 0 ? 1.0 : k <= 2 ? 0.0 : NAN;
    mu_u[2] = snap(cov[0][0] - 1.0); /* E[He_2(X)] = Var X - 1 */
    mu_v[2] = snap(cov[1][1] - 1.0);
    if (!law_known(p)) {
        mu_v[3] = 0.0; /* third cumulants vanish for nu = +-1 functions of lambda (§1.5) */
        mu_v[4] = mcm_kurtosis_v(p);
        return;
    }
    /* u.x0 ~ N(0, 1 + beta_u): E[He_2j] = (2j-1)!! beta_u^j (the mixture scales every k >= 1) */
    double dfact = 1.0;
    for (int k = 3; k <= THEORY_KMAX; k++) {
        if (k % 2 == 0) dfact *= k - 1;
        mu_u[k] = k % 2 ? 0.0 : mix * dfact * pow(p->beta_u, k / 2);
    }
    int indep = p->coupling == MCM_COUPLE_INDEPENDENT;
    for (int k = 3; k <= THEORY_KMAX; k++) {
        double e;
        if (indep && p->nu_law == MCM_NU_GAUSSIAN) {
            e = 0.0;
        } else if (indep && p->nu_law == MCM_NU_SKEWED) {
            double q = p->skew_q, s = sqrt(q - q * q), hl[THEORY_KMAX + 1];
            he_all(k, (1.0 - q) / s, he);
            he_all(k, -q / s, hl);
            e = q * he[k] + (1.0 - q) * hl[k];
        } else { /* symmetric +-1 */
            he_all(k, 1.0, he);
            e = k % 2 ? 0.0 : he[k];
        }
        mu_v[k] = mix * pow(b, k) * e;
    }
}

/* At zero overlap (w in the bulk) p, q are iid N(0,1), so h = omega h^ with h^ ~ N(0,1) and
 * w.r = c h^ + s e (c = a (1 - omega^2), e independent of h^). For a coordinate k orthogonal to
 * w, grad_k l = A x_t,k - 2 sigma(h) r_k with A = 2 sigma'(h) (sigma(h) - w.r) (§4), and
 * (x_t,k, r_k) is independent of (A, h); their second moments are linear in M = E[x0,k^2]:
 *   E x_t^2 = al^2 M + sg^2,  E r^2 = (1 - al^2)^2 M + al^2 sg^2,  E x_t r = al (1 - al^2) M - al
 * sg^2, E g_k^2 = E[A^2] E x_t^2 - 4 E[A sigma] E x_t r + 4 E[sigma^2] E r^2, E[A^2] = 4 E[sigma'^2
 * ((sigma - c h^)^2 + s^2)],  E[A sigma] = 2 E[sigma' sigma (sigma - c h^)]. VP: the bulk value (M
 * = 1) is C = 4 sg^2 E[sigma^2] + 4 E[sigma'^2 sigma^2] + 4 sg^2 E[sigma'^2]. g2[0] = E g_k^2 at M
 * = 1, g2[1] = its slope in M. */
typedef struct {
    const act_fn *a;
    double om, c;
} cctx;

static void cfun(const void *vc, double g, double *out)
{
    const cctx *c = vc;
    double s = act_f(c->a, c->om * g), ds = act_df(c->a, c->om * g), r = s - c->c * g;
    out[0] = s * s;
    out[1] = ds * ds * r * r;
    out[2] = ds * ds;
    out[3] = ds * s * r;
}

static void grad2_coord(const act_fn *a, double al, double sg, double g2[2])
{
    double om = sqrt(al * al + sg * sg), st = sg / om, res[4];
    cctx c = {a, om, al / om * (1.0 - om * om)};
    gexpect(cfun, &c, 0.0, 4, res);
    double eA2 = 4.0 * (res[1] + st * st * res[2]), eAs = 2.0 * res[3], x = 1.0 - al * al;
    g2[0] = eA2 * (al * al + sg * sg) - 4.0 * eAs * (al * x - al * sg * sg) +
            4.0 * res[0] * (x * x + al * al * sg * sg);
    g2[1] = eA2 * al * al - 4.0 * eAs * al * x + 4.0 * res[0] * x * x;
}

double theory_grad2_perp(const act_fn *a, const mcm_params *p, double alpha, double sigma)
{
    double g2[2], cov[2][2];
    grad2_coord(a, alpha, sigma, g2);
    mcm_cov_uv(p, cov);
    /* E|x0|^2 - E(w.x0)^2 over the d - 1 directions orthogonal to w; the mean term sits along
     * m (halved in a plain labelled mixture, whose isotropic half has mean 0). */
    double bm2 = p->beta_m * p->beta_m;
    if (p->mixture == MCM_MIX_LABELLED && p->mean_term == MCM_MEAN_PLAIN) bm2 *= 0.5;
    double excess = bm2 + (cov[0][0] - 1.0) + (cov[1][1] - 1.0);
    return (p->d - 1) * g2[0] + excess * g2[1];
}

/* lk has been set to exactly 0 where it vanishes to rounding; NaN moments are not covered. */
static int coeff_nonzero(double mom, double lk)
{
    return isfinite(mom) && mom != 0.0 && lk != 0.0;
}

/* First k in [k0, KMAX] with a nonzero series coefficient; 0 (blind) if none. */
static int first_order(const double *mom, const double *lk, int k0)
{
    for (int k = k0; k <= THEORY_KMAX; k++)
        if (coeff_nonzero(mom[k], lk[k])) return k;
    return 0;
}

void theory_coeffs_compute(theory_coeffs *tc, const act_fn *a, const mcm_params *p, double alpha,
                           double sigma)
{
    memset(tc, 0, sizeof *tc);
    tc->alpha = alpha;
    tc->sigma = sigma;
    theory_hermite(a, THEORY_KMAX, tc->mu, tc->E);
    double sc[THEORY_KMAX + 1], mu_u[THEORY_KMAX + 1], mu_v[THEORY_KMAX + 1], cov[2][2], g2[2];
    loss_hermite(a, alpha, sigma, tc->lk, sc);
    spike_moments(p, mu_u, mu_v);
    for (int k = 0; k <= THEORY_KMAX; k++) {
        if (fabs(tc->lk[k]) <= BLIND_TOL * sc[k]) tc->lk[k] = 0.0; /* zero up to rounding */
        tc->cu[k] = mu_u[k] * tc->lk[k] + 0.0; /* + 0.0: an exact zero prints as 0, not -0 */
        tc->cv[k] = mu_v[k] * tc->lk[k] + 0.0;
    }
    mcm_cov_uv(p, cov);
    double sd = sqrt(cov[0][0] * cov[1][1]);
    tc->rho = snap(cov[0][1] / sd) * sd; /* a correlation zero to rounding is zero */
    tc->B = tc->lk[2];
    tc->c_u2 = tc->cu[2];
    tc->c_v4 = tc->cv[4];
    tc->c_uv = 2.0 * tc->rho * tc->B + 0.0; /* Var p gains 2 m_u m_v rho: the k = 2 term */
    tc->k_u = first_order(mu_u, tc->lk, 2);
    /* Correlated latents: once m_u = O(1) the cross term is linear in m_v, and from a random
     * start it is of the same order m^2 as the u term, so v enters at order 2 (§6.2). */
    tc->k_v = coeff_nonzero(tc->rho, tc->B) ? 2 : first_order(mu_v, tc->lk, 2);
    tc->blind_u = tc->k_u == 0;
    tc->blind_v = tc->k_v == 0;
    grad2_coord(a, alpha, sigma, g2);
    tc->C = g2[0];
}

/* ---------------------------------------------------------------------------------------------
 * Learning-rate bounds and escape times (§6.4)
 * ------------------------------------------------------------------------------------------- */

double theory_delta_max_u(const theory_coeffs *tc)
{
    /* r = -2 delta c_u2 - delta^2 C / 2 > 0; no delta works if u repels (c_u2 >= 0). */
    if (tc->k_u != 2 || !(tc->c_u2 < 0.0)) return 0.0;
    return 4.0 * fabs(tc->c_u2) / tc->C;
}

void theory_row(const theory_coeffs *tc, double row[THEORY_NCOL])
{
    row[THEORY_B] = tc->B;
    row[THEORY_C_U2] = tc->c_u2;
    row[THEORY_C_V4] = tc->c_v4;
    row[THEORY_C_UV] = tc->c_uv;
    row[THEORY_K_U] = tc->k_u;
    row[THEORY_K_V] = tc->k_v;
    row[THEORY_C] = tc->C;
    row[THEORY_DELTA_MAX_U] = theory_delta_max_u(tc);
    row[THEORY_ALPHA] = tc->alpha;
    row[THEORY_SIGMA] = tc->sigma;
}

double theory_tau_u(const theory_coeffs *tc, double delta, int d, double m_target)
{
    double r = -2.0 * delta * tc->c_u2 - 0.5 * delta * delta * tc->C;
    if (tc->k_u != 2 || !(r > 0.0)) return NAN;
    return log(sqrt((double)d) * m_target) / r;
}

/* Order k = k_v >= 3 and |c_vk| of an attracting v term: even k needs c < 0 (L decreases),
 * odd k attracts from the side of sign(-c). Returns 0 if there is none. */
static int v_escape(const theory_coeffs *tc, double *c)
{
    int k = tc->k_v;
    if (k < 3) return 0;
    *c = fabs(tc->cv[k]);
    return (k % 2 || tc->cv[k] < 0.0) ? k : 0;
}

/* dm/dtau = k delta |c| m^(k-1) - Lambda m at m = d^-1/2: growth needs delta < 2 k |c| /
 * (C d^((k-2)/2)), eta = delta / d (8 |c_v4| / (C d) for k = 4, §6.4). */
double theory_delta_max_v(const theory_coeffs *tc, int d)
{
    double c;
    if (tc->k_v == 2) return NAN;
    int k = v_escape(tc, &c);
    if (!k) return 0.0;
    return 2.0 * k * c / (tc->C * pow((double)d, 0.5 * (k - 2)));
}

/* eta = delta / d^2, so delta_eff = delta / d and Lambda = delta_eff^2 C / 2. With y = m^-(k-2)
 * the ODE dm/dtau = k de |c| m^(k-1) - Lambda m is linear: y' = -(k-2)(k de |c| - Lambda y), so
 * y reaches 0 (escape) at tau = ln(Y/(Y - y0)) / ((k-2) Lambda), Y = k de |c| / Lambda,
 * y0 = d^((k-2)/2); without contraction tau = y0 / (k (k-2) de |c|), i.e. d^2 / (8 delta |c_v4|)
 * for k = 4: n = tau d ~ d^3. NaN if the contraction wins (Y <= y0). */
double theory_tau_v(const theory_coeffs *tc, double delta, int d)
{
    double c;
    int k = v_escape(tc, &c);
    if (!k || !(delta > 0.0)) return NAN;
    double de = delta / d, lam = 0.5 * de * de * tc->C, y0 = pow((double)d, 0.5 * (k - 2));
    double kc = k * de * c;
    if (lam == 0.0) return y0 / ((k - 2) * kc);
    if (!(kc / lam > y0)) return NAN;
    return -log1p(-y0 * lam / kc) / ((k - 2) * lam);
}

/* ---------------------------------------------------------------------------------------------
 * Overlap ODE (6)
 * ------------------------------------------------------------------------------------------- */

typedef struct {
    const act_fn *a;
    const mcm_params *p;
    double al, sg, de, lam;
    int spike;
    gsl_cheb_series *dl; /* L'(m) on [-1, 1] (Chebyshev series), or NULL: the stencil */
} octx;

/* L'(m) by the 4-point stencil; the centre is kept 2h inside [-1, 1], where the error it makes
 * is multiplied by (1 - m^2) = O(h) in eq. (6). */
static double dloss(const octx *o, double m)
{
    double h = FD_H, c = fmin(fmax(m, -1.0 + 2.0 * h), 1.0 - 2.0 * h), L[4];
    static const double off[4] = {-2.0, -1.0, 1.0, 2.0};
    for (int i = 0; i < 4; i++)
        L[i] = theory_loss_overlap(o->a, o->p, o->al, o->sg, o->spike, c + off[i] * h);
    return (8.0 * (L[2] - L[1]) - (L[3] - L[0])) / (12.0 * h);
}

static int ode_rhs(double t, const double y[], double f[], void *vo)
{
    (void)t;
    const octx *o = vo;
    double m = fmin(fmax(y[0], -1.0), 1.0), dl = o->dl ? gsl_cheb_eval(o->dl, m) : dloss(o, m);
    f[0] = -o->de * dl * (1.0 - m * m) - o->lam * m;
    return isfinite(f[0]) ? GSL_SUCCESS : GSL_EBADFUNC;
}

static double ode_loss_at(double m, void *vo)
{
    const octx *o = vo;
    return theory_loss_overlap(o->a, o->p, o->al, o->sg, o->spike, m);
}

/* L(m) is analytic on [-1, 1] (a Gaussian expectation of smooth functions of m), so its
 * Chebyshev series converges geometrically: ODE_CHEB_ORDER + 1 quadratures of L replace the four
 * per right-hand side evaluation of the stencil (thousands per trajectory, most of the start-up
 * of a short run). The derivative series is used if the tail coefficients of L have decayed below
 * 1e-12 of the largest, otherwise the stencil (returns NULL). */
static gsl_cheb_series *ode_dloss_series(octx *o)
{
    gsl_cheb_series *L = gsl_cheb_alloc(ODE_CHEB_ORDER), *dL = gsl_cheb_alloc(ODE_CHEB_ORDER);
    gsl_function F = {ode_loss_at, o};
    int ok = gsl_cheb_init(L, &F, -1.0, 1.0) == GSL_SUCCESS;
    const double *c = gsl_cheb_coeffs(L);
    double big = 0, tail = 0;
    for (size_t k = 0; ok && k <= ODE_CHEB_ORDER; k++) {
        big = fmax(big, fabs(c[k]));
        if (k + 4 > ODE_CHEB_ORDER) tail = fmax(tail, fabs(c[k]));
        ok = isfinite(c[k]);
    }
    ok = ok && tail <= 1e-12 * big && gsl_cheb_calc_deriv(dL, L) == GSL_SUCCESS;
    gsl_cheb_free(L);
    if (!ok) gsl_cheb_free(dL);
    return ok ? dL : NULL;
}

/* Per step, w' = (w - eta g) / |w - eta g| with g orthogonal to w moves the overlap by
 * -eta (1 - m^2) L'(m) (the projected population gradient) and shrinks it by the factor
 * (1 + eta^2 |g|^2)^(-1/2), i.e. by eta^2 C d m / 2 on average. A unit of tau is d steps, so
 *   dm/dtau = -delta_eff L'(m)(1 - m^2) - (delta_eff^2 C / 2) m,   delta_eff = eta d = delta
 * d^(1-a) for eta = delta / d^a: eq. (6) as written for a = 1, delta / d for a = 2. */
int theory_ode(const act_fn *a, const mcm_params *p, double alpha, double sigma, int spike,
               double delta, double lr_power, int d, double m0, int n, const double *tau, double *m)
{
    double g2[2];
    grad2_coord(a, alpha, sigma, g2);
    double de = delta * pow((double)d, 1.0 - lr_power);
    octx o = {a, p, alpha, sigma, de, 0.5 * de * de * g2[0], spike, NULL};
    if (!law_known(p) || !isfinite(o.lam)) return GSL_EINVAL;
    gsl_error_handler_t *old = gsl_set_error_handler_off(); /* failures are returned */
    o.dl = ode_dloss_series(&o);
    gsl_odeiv2_system sys = {ode_rhs, NULL, 1, &o};
    gsl_odeiv2_driver *drv =
        gsl_odeiv2_driver_alloc_y_new(&sys, gsl_odeiv2_step_rk8pd, 1e-3, 1e-12, 1e-10);
    double t = 0.0, y[1] = {m0};
    int st = GSL_SUCCESS;
    for (int i = 0; i < n && st == GSL_SUCCESS; i++) {
        if (tau[i] < t) st = GSL_EINVAL;
        if (tau[i] > t && st == GSL_SUCCESS) st = gsl_odeiv2_driver_apply(drv, &t, tau[i], y);
        m[i] = fmin(fmax(y[0], -1.0), 1.0);
    }
    gsl_set_error_handler(old);
    gsl_odeiv2_driver_free(drv);
    if (o.dl) gsl_cheb_free(o.dl);
    return st;
}
