/* bayes — exact score, Bayes denoiser, MMSE and clones of the MCM; see include/bayes.h and
 * shared/science/mcm-model.md §2.1–2.7 and §5. Equation numbers refer to that file.
 *
 * Reduction used throughout (§2.1): with omega^2 = alpha^2 + sigma^2, x~ = x_t / omega is a VP
 * state with (at, st) = (alpha, sigma) / omega. In VP units, with h_u = u.x~ and h_v = v.x~,
 *   h_u = c lambda + e_u,   e_u ~ N(0, 1),        c = at sqrt(beta_u),
 *   h_v = a nu + e_v,       e_v ~ N(0, 1 - a^2),  a = at b,
 * where x0_u = sqrt(beta_u) lambda + g and x0_v = b nu + sqrt(1 - b^2) g' (§1.4), and every
 * other direction is an independent N(mean, 1) prior observed with signal at and noise st.
 * Given the latents, everything is Gaussian, so the posterior means and variances of
 * (lambda, nu) given (h_u, h_v) carry all the non-Gaussian information (q = 1 - a^2):
 *   score (Fisher's identity):  s_u = -h_u + c E[lambda|h],   s_v = -(h_v - a E[nu|h]) / q,
 *   posterior mean of x0:       D_u = at h_u + sqrt(beta_u) st^2 E[lambda|h],
 *                               D_v = at (1 - b^2) h_v / q + b st^2 E[nu|h] / q,
 *   posterior variance of x0:   V_u = st^2 + beta_u st^4 Var(lambda|h),
 *                               V_v = (1 - b^2) st^2 / q + (b st^2 / q)^2 Var(nu|h).
 * For Rademacher nu, E[nu|h] = tanh(a h_v / q) and these are eq. (4) and (5); the identity
 * D = (x + sigma^2 s) / alpha (Tweedie) holds term by term (checked in the tests). */
#include "core/bayes.h"

#include "base/log.h"

#include <gsl/gsl_sf_erf.h>
#include <math.h>

/* ---------------------------------------------------------------------------------------------
 * Set-up
 * ------------------------------------------------------------------------------------------- */

/* The closed forms need exactly orthonormal spikes, one component, the v-only whitening (or the
 * full one when it coincides with it: independent latents) and a latent law with a known
 * posterior: two-point or Gaussian nu, or nu = sign(lambda). */
static int has_closed_form(const mcm_params *p)
{
    if (p->spikes == MCM_SPIKES_RANDOM || p->mixture != MCM_MIX_NONE) return 0;
    if (p->coupling == MCM_COUPLE_SIGN) return p->whitening == MCM_WHITEN_SPIKE;
    return p->coupling == MCM_COUPLE_INDEPENDENT;
}

/* The two values of a two-point nu and the weight of the high one (§1.1). A coupling makes nu
 * +-1 whatever nu_law says. */
static void nu_two_point(const mcm_params *p, bayes_t *b)
{
    b->nu_hi = 1.0, b->nu_lo = -1.0, b->nu_q = 0.5;
    if (p->coupling == MCM_COUPLE_INDEPENDENT && p->nu_law == MCM_NU_SKEWED) {
        double q = p->skew_q, s = sqrt(q - q * q);
        b->nu_hi = (1.0 - q) / s, b->nu_lo = -q / s, b->nu_q = q;
    }
}

int bayes_init(bayes_t *b, const mcm_params *p, double alpha, double sigma)
{
    double omega = sqrt(alpha * alpha + sigma * sigma);
    if (!(alpha >= 0.0 && sigma >= 0.0 && omega > 0.0 && isfinite(omega)))
        LOG_DIE("bayes: need alpha >= 0, sigma >= 0, not both 0 (alpha %g, sigma %g)", alpha,
                sigma);
    *b = (bayes_t){.p = *p, .alpha = alpha, .sigma = sigma, .omega = omega};
    b->exact = has_closed_form(p);
    b->at = alpha / omega;
    b->st = sigma / omega;
    b->s2 = b->st * b->st;
    b->b = sqrt(mcm_b2(p));
    b->a = b->at * b->b;
    b->gamma_u = b->at * p->beta_u * b->s2 / (1.0 + p->beta_u * b->at * b->at); /* eq. (5) */
    b->c = b->at * sqrt(p->beta_u);
    b->kappa = b->c / sqrt(1.0 + b->c * b->c);
    b->coupled = p->coupling == MCM_COUPLE_SIGN;
    b->nu_gauss = p->coupling == MCM_COUPLE_INDEPENDENT && p->nu_law == MCM_NU_GAUSSIAN;
    nu_two_point(p, b);
    return b->exact;
}

/* ---------------------------------------------------------------------------------------------
 * Latent posteriors (VP units)
 * ------------------------------------------------------------------------------------------- */

typedef struct {
    double el, en; /* E[lambda | h], E[nu | h] */
    double vl, vn; /* Var(lambda | h), Var(nu | h) */
} latent_post;

/* log Phi(x) without underflow: Phi(x) = erfc(-x / sqrt 2) / 2. */
static double log_Phi(double x)
{
    return gsl_sf_log_erfc(-x * M_SQRT1_2) - M_LN2;
}

/* Two-point nu from h_v alone: log-odds of nu_hi are the prior log-odds plus the Gaussian
 * likelihood ratio of N(h; a nu_hi, 1 - a^2) to N(h; a nu_lo, 1 - a^2). Rademacher: L = 2 a h /
 * (1 - a^2), E[nu|h] = tanh(L / 2), the tanh of eq. (4). pi (1 - pi) = 1 / (4 cosh^2(L / 2)) keeps
 * the variance accurate in the tails. */
static void post_nu_two_point(const bayes_t *b, double hv, latent_post *lp)
{
    double q1 = 1.0 - b->a * b->a, dn = b->nu_hi - b->nu_lo;
    double L = log(b->nu_q / (1.0 - b->nu_q)) +
               b->a * dn * (2.0 * hv - b->a * (b->nu_hi + b->nu_lo)) / (2.0 * q1);
    double ch = cosh(0.5 * L);
    lp->en = b->nu_lo + dn / (1.0 + exp(-L));
    lp->vn = dn * dn / (4.0 * ch * ch);
}

/* Independent latents: lambda | h_u is Gaussian with mean c h_u / (1 + c^2) and variance
 * 1 / (1 + c^2); nu | h_v two-point or (Gaussian nu) N(a h_v, 1 - a^2). */
static void post_independent(const bayes_t *b, double hu, double hv, latent_post *lp)
{
    double c2 = 1.0 + b->c * b->c;
    lp->el = b->c * hu / c2;
    lp->vl = 1.0 / c2;
    if (b->nu_gauss) {
        lp->en = b->a * hv;
        lp->vn = 1.0 - b->a * b->a;
    } else {
        post_nu_two_point(b, hv, lp);
    }
}

/* nu = sign(lambda) (§2.5). Given h_u, lambda ~ N(mu, s^2) with mu = c h_u / (1 + c^2) and
 * s^2 = 1 / (1 + c^2), so P(nu = +1 | h_u) = Phi(be), be = mu / s = kappa h_u; the log-odds of
 * nu = +1 given both projections add the h_v likelihood ratio 2 a h_v / (1 - a^2).
 * Given nu, lambda is that normal truncated to one side. With the Mills ratios
 * rp = phi(be) / Phi(be) and rm = phi(be) / Phi(-be):
 *   E[lambda | nu = +1] = mu + s rp,   Var = s^2 (1 - be rp - rp^2),
 *   E[lambda | nu = -1] = mu - s rm,   Var = s^2 (1 + be rm - rm^2),
 * and the law of total variance adds pi+ pi- (E+ - E-)^2. Logs throughout: no underflow. */
static void post_sign(const bayes_t *b, double hu, double hv, latent_post *lp)
{
    double c2 = 1.0 + b->c * b->c, s = 1.0 / sqrt(c2), mu = b->c * hu / c2, be = b->kappa * hu;
    double lPp = log_Phi(be), lPm = log_Phi(-be), lphi = -0.5 * be * be - 0.5 * log(2.0 * M_PI);
    double rp = exp(lphi - lPp), rm = exp(lphi - lPm);
    double L = lPp - lPm + 2.0 * b->a * hv / (1.0 - b->a * b->a);
    double pp = 1.0 / (1.0 + exp(-L)), pm = 1.0 / (1.0 + exp(L)), ch = cosh(0.5 * L);
    double vp = fmax(0.0, s * s * (1.0 - be * rp - rp * rp));
    double vm = fmax(0.0, s * s * (1.0 + be * rm - rm * rm));
    double dE = s * (rp + rm);
    lp->el = mu + s * (pp * rp - pm * rm);
    lp->vl = pp * vp + pm * vm + pp * pm * dE * dE;
    lp->en = pp - pm; /* = tanh(L / 2) = 2 pi+ - 1 */
    lp->vn = 1.0 / (ch * ch);
}

static void posterior(const bayes_t *b, double hu, double hv, latent_post *lp)
{
    if (b->coupled)
        post_sign(b, hu, hv, lp);
    else
        post_independent(b, hu, hv, lp);
}

/* ---------------------------------------------------------------------------------------------
 * Score and denoiser
 * ------------------------------------------------------------------------------------------- */

/* VP score along u and v (header comment): -h + E[signal | h] / Var(noise), per direction. */
static void vp_score_uv(const bayes_t *b, double hu, double hv, double *su, double *sv)
{
    latent_post lp;
    posterior(b, hu, hv, &lp);
    *su = -hu + b->c * lp.el;
    *sv = -(hv - b->a * lp.en) / (1.0 - b->a * b->a);
}

/* E[x0_u | h], E[x0_v | h]: E[g | h, lambda] = at (h_u - c lambda) and E[g' | h, nu] =
 * at sqrt(1 - b^2) (h_v - a nu) / (1 - a^2), then averaged over the latent posterior. */
static void vp_denoise_uv(const bayes_t *b, double hu, double hv, double *du, double *dv)
{
    latent_post lp;
    posterior(b, hu, hv, &lp);
    double q1 = 1.0 - b->a * b->a;
    *du = b->at * hu + sqrt(b->p.beta_u) * b->s2 * lp.el;
    *dv = b->at * (1.0 - b->b * b->b) * hv / q1 + b->b * b->s2 * lp.en / q1;
}

void bayes_score_uv(const bayes_t *b, double hu, double hv, double *su, double *sv)
{
    if (!b->exact) {
        *su = *sv = NAN;
        return;
    }
    /* s(x) = omega^-1 s~(x / omega) (§2.1). */
    vp_score_uv(b, hu / b->omega, hv / b->omega, su, sv);
    *su /= b->omega;
    *sv /= b->omega;
}

void bayes_denoise_uv(const bayes_t *b, double hu, double hv, double *du, double *dv)
{
    if (!b->exact) {
        *du = *dv = NAN;
        return;
    }
    /* E[x0 | x_t] = E[x0 | x_t / omega]: no rescaling of the output. */
    vp_denoise_uv(b, hu / b->omega, hv / b->omega, du, dv);
}

static void fill_nan(double *out, int d)
{
    for (int i = 0; i < d; i++)
        out[i] = NAN;
}

/* s(x) = omega^-1 [-(x~ - at beta_m m) + (s_u + h_u) u + (s_v + h_v) v], x~ = x / omega: the
 * isotropic part is the score of N(at beta_m m, I), the two rank-one terms replace it along u and
 * v by the exact one. O(d). */
void bayes_score(const bayes_t *b, const mcm_model *mod, const double *xt, double *s)
{
    int d = mod->p.d;
    if (!b->exact) {
        fill_nan(s, d);
        return;
    }
    double w = b->omega, hu = mcm_dot(mod->u, xt, d) / w, hv = mcm_dot(mod->v, xt, d) / w;
    double su, sv, mean = b->at * b->p.beta_m;
    vp_score_uv(b, hu, hv, &su, &sv);
    double cu = (su + hu) / w, cv = (sv + hv) / w;
    for (int i = 0; i < d; i++)
        s[i] = (mean * mod->m[i] - xt[i] / w) / w + cu * mod->u[i] + cv * mod->v[i];
}

/* D*(x) = at x~ + beta_m st^2 m + (D_u - at h_u) u + (D_v - at h_v) v: eq. (5) in VP units, the
 * posterior mean of an N(beta_m m, I) prior off u and v. O(d). */
void bayes_denoise(const bayes_t *b, const mcm_model *mod, const double *xt, double *out)
{
    int d = mod->p.d;
    if (!b->exact) {
        fill_nan(out, d);
        return;
    }
    double w = b->omega, hu = mcm_dot(mod->u, xt, d) / w, hv = mcm_dot(mod->v, xt, d) / w;
    double du, dv, at = b->at, mean = b->p.beta_m * b->s2;
    vp_denoise_uv(b, hu, hv, &du, &dv);
    double cu = du - at * hu, cv = dv - at * hv;
    for (int i = 0; i < d; i++)
        out[i] = at * xt[i] / w + mean * mod->m[i] + cu * mod->u[i] + cv * mod->v[i];
}

/* ---------------------------------------------------------------------------------------------
 * Bayes error (§2.7)
 * ------------------------------------------------------------------------------------------- */

/* Trapezoid rule on zeta in [-ZMAX, ZMAX] against the standard normal density: for integrands
 * analytic in a strip it converges geometrically, error ~ exp(-2 pi delta / step) with delta the
 * strip half-width. The posteriors have poles at distance ~ pi / (2 k), k the slope of their
 * log-odds in zeta, so step = 0.5 / k bounds the error by ~ exp(-pi^2 / 0.5) ~ 3e-9; measured
 * against steps 5x finer: <= 3e-12 relative for beta_u, beta_v in [0.5, 100], t in [1e-3, 3]. */
enum { ZMAX = 12 };

static double quad_step(double k)
{
    double h = 0.5 / fmax(k, 1e-300);
    return h < 0.1 ? h : 0.1;
}

static double std_normal(double z)
{
    return exp(-0.5 * z * z) / sqrt(2.0 * M_PI);
}

/* E_h[Var(nu | h_v)] for independent latents: one 1-D integral per value of nu, with
 * h_v = a nu + sqrt(1 - a^2) zeta. */
static double mean_var_nu_indep(const bayes_t *b)
{
    double q1 = 1.0 - b->a * b->a;
    if (b->nu_gauss) return q1;
    double sq = sqrt(q1), k = b->a * fabs(b->nu_hi - b->nu_lo) / (2.0 * sq);
    double h = quad_step(k), vals[2] = {b->nu_hi, b->nu_lo}, wts[2] = {b->nu_q, 1.0 - b->nu_q};
    int n = (int)ceil(ZMAX / h);
    double acc = 0.0;
    for (int j = 0; j < 2; j++)
        for (int i = -n; i <= n; i++) {
            double z = i * h;
            latent_post lp;
            post_nu_two_point(b, b->a * vals[j] + sq * z, &lp);
            acc += wts[j] * h * std_normal(z) * lp.vn;
        }
    return acc;
}

/* E_h[Var(lambda | h)] and E_h[Var(nu | h)] for nu = sign(lambda), a 2-D trapezoid over the
 * nu = +1 half: p(h_u, nu = +1) = N(h_u; 0, 1 + c^2) Phi(kappa h_u) with h_u = sqrt(1 + c^2)
 * zeta_u (so kappa h_u = c zeta_u), h_v = a + sqrt(1 - a^2) zeta_v. The map
 * (lambda, noise) -> -(lambda, noise) swaps nu and flips h, leaving both variances unchanged:
 * the nu = -1 half is equal, hence the factor 2. */
static void mean_var_sign(const bayes_t *b, double *evl, double *evn)
{
    double sc = sqrt(1.0 + b->c * b->c), sq = sqrt(1.0 - b->a * b->a);
    double hu_step = quad_step(b->c), hv_step = quad_step(b->a / sq);
    int nu = (int)ceil(ZMAX / hu_step), nv = (int)ceil(ZMAX / hv_step);
    double al = 0.0, an = 0.0;
    for (int i = -nu; i <= nu; i++) {
        double zu = i * hu_step;
        double wu = 2.0 * hu_step * std_normal(zu) * exp(log_Phi(b->c * zu));
        for (int j = -nv; j <= nv; j++) {
            double zv = j * hv_step, w = wu * hv_step * std_normal(zv);
            latent_post lp;
            post_sign(b, sc * zu, b->a + sq * zv, &lp);
            al += w * lp.vl;
            an += w * lp.vn;
        }
    }
    *evl = al;
    *evn = an;
}

/* Posterior variances of x0_u and x0_v (header of this file) averaged over h. */
static void mmse_uv(const bayes_t *b, double *mu, double *mv)
{
    double evl, evn, q1 = 1.0 - b->a * b->a;
    if (b->coupled) {
        mean_var_sign(b, &evl, &evn);
    } else {
        evl = 1.0 / (1.0 + b->c * b->c);
        evn = mean_var_nu_indep(b);
    }
    double gv = b->b * b->s2 / q1;
    *mu = b->s2 + b->p.beta_u * b->s2 * b->s2 * evl;
    *mv = (1.0 - b->b * b->b) * b->s2 / q1 + gv * gv * evn;
}

double bayes_mmse_perp(const bayes_t *b)
{
    return b->exact ? b->s2 : NAN;
}

double bayes_mmse_u(const bayes_t *b)
{
    if (!b->exact) return NAN;
    if (!b->coupled) /* (1 + beta_u) st^2 / (1 + beta_u at^2) of §2.7, without quadrature */
        return (1.0 + b->p.beta_u) * b->s2 / (1.0 + b->p.beta_u * b->at * b->at);
    double mu, mv;
    mmse_uv(b, &mu, &mv);
    return mu;
}

double bayes_mmse_v(const bayes_t *b)
{
    if (!b->exact) return NAN;
    double mu, mv;
    mmse_uv(b, &mu, &mv);
    return mv;
}

/* §2.7: (d - 3) directions off m, u, v and the m direction each have error st^2 (a Gaussian
 * prior of unit variance observed at signal-to-noise at / st), hence (d - 2) st^2. */
double bayes_mmse(const bayes_t *b)
{
    if (!b->exact) return NAN;
    double mu, mv;
    mmse_uv(b, &mu, &mv);
    return (b->p.d - 2) * b->s2 + mu + mv;
}

/* ---------------------------------------------------------------------------------------------
 * Clones (§5)
 * ------------------------------------------------------------------------------------------- */

/* Mean and variance of m.x. The labelled mixture's components have means mu_+ = beta_m and
 * mu_- = 0 (plain) or -beta_m (label term), unit variance along m: mixture mean (mu_+ + mu_-)/2,
 * variance 1 + (mu_+ - mu_-)^2 / 4. */
static void moments_m(const mcm_params *p, double *mean, double *var)
{
    *mean = p->beta_m, *var = 1.0;
    if (p->mixture != MCM_MIX_LABELLED) return;
    double lo = p->mean_term == MCM_MEAN_LABEL ? -p->beta_m : 0.0;
    *mean = 0.5 * (p->beta_m + lo);
    *var = 1.0 + 0.25 * (p->beta_m - lo) * (p->beta_m - lo);
}

void bayes_clone_sample(const mcm_model *mod, bayes_clone kind, uint32_t seed, uint32_t task,
                        int purpose, uint64_t index, double *x)
{
    const mcm_params *p = &mod->p;
    int d = p->d;
    rng_stream s = rng_stream_make(seed, task, (rng_purpose)purpose);
    rng_normal(&s, index, 0, (size_t)d, x);
    double mean, var_m, C[2][2];
    moments_m(p, &mean, &var_m);
    mcm_cov_uv(p, C);
    if (kind == CLONE_MEAN) { /* DIC "gpiso": average diagonal variance tr Cov / d */
        double tau = sqrt((d - 3 + var_m + C[0][0] + C[1][1]) / d);
        for (int i = 0; i < d; i++)
            x[i] = mean * mod->m[i] + tau * x[i];
        return;
    }
    /* z + (R - I) on the (m, u, v) coordinates of z: their covariance becomes
     * diag(var_m, C) while the orthogonal complement stays N(0, I). */
    double R[2][2], zm = mcm_dot(mod->m, x, d), zu = mcm_dot(mod->u, x, d);
    double zv = mcm_dot(mod->v, x, d);
    mcm_sym2_sqrt(C, 0, R);
    double cm = mean + (sqrt(var_m) - 1.0) * zm;
    double cu = (R[0][0] - 1.0) * zu + R[0][1] * zv, cv = R[1][0] * zu + (R[1][1] - 1.0) * zv;
    for (int i = 0; i < d; i++)
        x[i] += cm * mod->m[i] + cu * mod->u[i] + cv * mod->v[i];
}
