/* mcm — mixed cumulant model sampler and its exact statistics; see include/mcm.h and
 * shared/science/mcm-model.md §1. Equation numbers (1), (2) refer to that file. */
#include "core/mcm.h"

#include "base/limits.h"
#include "base/log.h"
#include "core/rngv.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------------------------
 * Spikes
 * ------------------------------------------------------------------------------------------- */

double mcm_dot(const double *a, const double *b, int d)
{
    double s = 0.0;
    for (int i = 0; i < d; i++)
        s += a[i] * b[i];
    return s;
}

static void normalise(double *a, int d)
{
    double n = sqrt(mcm_dot(a, a, d));
    if (!(n > 0.0)) LOG_DIE("spike vector of zero norm (d = %d)", d);
    for (int i = 0; i < d; i++)
        a[i] /= n;
}

/* Modified Gram-Schmidt in the order m, u, v. One pass leaves O(eps * cond) residual overlaps;
 * the second pass ("twice is enough") brings them to rounding level, far below 1e-12. */
static void gram_schmidt_twice(double *w[3], int d)
{
    for (int pass = 0; pass < 2; pass++) {
        for (int k = 0; k < 3; k++) {
            for (int j = 0; j < k; j++) {
                double c = mcm_dot(w[j], w[k], d);
                for (int i = 0; i < d; i++)
                    w[k][i] -= c * w[j][i];
            }
            normalise(w[k], d);
        }
    }
}

/* QR and RANDOM share the raw draws: Gaussian vector k (m, u, v) is step k of RNG_SPIKES, so
 * the RANDOM m equals the QR m. */
static void make_spikes(mcm_model *mod, uint32_t seed, uint64_t task)
{
    int d = mod->p.d;
    double *w[3] = {mod->m, mod->u, mod->v};
    if (mod->p.spikes == MCM_SPIKES_AXES) {
        for (int k = 0; k < 3; k++)
            w[k][k] = 1.0; /* calloc'd: the rest is exactly 0 */
        return;
    }
    rng_stream s = rng_stream_make(seed, task, RNG_SPIKES);
    for (int k = 0; k < 3; k++)
        rng_normal(&s, (uint64_t)k, 0, (size_t)d, w[k]);
    if (mod->p.spikes == MCM_SPIKES_QR) {
        gram_schmidt_twice(w, d);
    } else {
        for (int k = 0; k < 3; k++)
            normalise(w[k], d);
    }
}

/* ---------------------------------------------------------------------------------------------
 * Latent laws (§1.1, §1.5)
 * ------------------------------------------------------------------------------------------- */

/* Orthonormal basis of span(m, u, v) first, so r is orthogonal to all three spikes also when
 * they are not orthogonal to each other (RANDOM); two projection passes for rounding level. */
void mcm_probe(const mcm_model *mod, uint32_t seed, uint64_t task, double *r)
{
    int d = mod->p.d;
    double *q = LOG_CALLOC(3 * (size_t)d, sizeof(double));
    double *w[3] = {q, q + d, q + 2 * d};
    memcpy(w[0], mod->m, (size_t)d * sizeof(double));
    memcpy(w[1], mod->u, (size_t)d * sizeof(double));
    memcpy(w[2], mod->v, (size_t)d * sizeof(double));
    gram_schmidt_twice(w, d);
    rng_stream s = rng_stream_make(seed, task, RNG_PROBE);
    rng_normal(&s, 0, 0, (size_t)d, r);
    for (int pass = 0; pass < 2; pass++) {
        for (int k = 0; k < 3; k++) {
            double c = mcm_dot(w[k], r, d);
            for (int i = 0; i < d; i++)
                r[i] -= c * w[k][i];
        }
    }
    normalise(r, d);
    free(q);
}

double mcm_threshold_c(void)
{
    /* c = median of lambda^2 ~ chi^2_1 makes nu = sign(lambda^2 - c) centred (§1.5). */
    return gsl_cdf_chisq_Pinv(0.5, 1.0);
}

/* nu is +-1 for Rademacher and for both couplings (a coupling overrides nu_law). */
static int nu_is_pm1(const mcm_params *p)
{
    return p->coupling != MCM_COUPLE_INDEPENDENT || p->nu_law == MCM_NU_RADEMACHER;
}

double mcm_b2(const mcm_params *p)
{
    return p->beta_v / (1.0 + p->beta_v);
}

/* Skewed law = standardised Bernoulli(q): (B - q) / sqrt(q(1-q)). Its cumulants are those of
 * Bernoulli(q) over powers of its standard deviation: skewness (1-2q)/sqrt(q(1-q)) and excess
 * kurtosis (1 - 6q(1-q)) / (q(1-q)); q = 1/2 gives back the Rademacher 0 and -2. */
double mcm_nu_kappa3(const mcm_params *p)
{
    if (nu_is_pm1(p) || p->nu_law == MCM_NU_GAUSSIAN) return 0.0;
    double q = p->skew_q;
    return (1.0 - 2.0 * q) / sqrt(q * (1.0 - q));
}

double mcm_nu_kappa4(const mcm_params *p)
{
    if (nu_is_pm1(p)) return -2.0;
    if (p->nu_law == MCM_NU_GAUSSIAN) return 0.0;
    double pq = p->skew_q * (1.0 - p->skew_q);
    return (1.0 - 6.0 * pq) / pq;
}

double mcm_lambda_nu(const mcm_params *p)
{
    /* SIGN: E[lambda sign(lambda)] = E|lambda| = sqrt(2/pi); THRESHOLD is even in lambda. */
    return p->coupling == MCM_COUPLE_SIGN ? sqrt(2.0 / M_PI) : 0.0;
}

/* Joint fourth cumulants c_k = cum(lambda x (4-k), nu x k), k = 1..4 (c_0 = 0: lambda is
 * Gaussian). SIGN values from §1.5; THRESHOLD: every mixed one vanishes, because odd powers of
 * lambda average to 0 against an even nu and nu^2 = 1. */
static void latent_cum4(const mcm_params *p, double c[5])
{
    memset(c, 0, 5 * sizeof c[0]);
    c[4] = mcm_nu_kappa4(p);
    if (p->coupling == MCM_COUPLE_SIGN) {
        double r = sqrt(2.0 / M_PI);
        c[1] = -r;
        c[2] = -4.0 / M_PI;
        c[3] = -2.0 * r;
    }
}

/* ---------------------------------------------------------------------------------------------
 * Whitening (eq. 2 and §1.5)
 * ------------------------------------------------------------------------------------------- */

/* Symmetric C^{1/2} (inverse = 0) or C^{-1/2} (inverse = 1) of a 2x2 SPD matrix by its
 * eigendecomposition C = R diag(l) R^T. */
static double mcm_root(double l, int inverse)
{
    return inverse ? 1.0 / sqrt(l) : sqrt(fmax(l, 0.0));
}

void mcm_sym2_sqrt(double C[2][2], int inverse, double out[2][2])
{
    if (C[0][1] == 0.0) { /* exactly diagonal: no rotation, so FULL matches SPIKE to rounding */
        out[0][0] = mcm_root(C[0][0], inverse);
        out[1][1] = mcm_root(C[1][1], inverse);
        out[0][1] = out[1][0] = 0.0;
        return;
    }
    double th = 0.5 * atan2(2.0 * C[0][1], C[0][0] - C[1][1]);
    double c = cos(th), s = sin(th);
    double l1 = C[0][0] * c * c + 2.0 * C[0][1] * s * c + C[1][1] * s * s;
    double l2 = C[0][0] * s * s - 2.0 * C[0][1] * s * c + C[1][1] * c * c;
    double r1 = mcm_root(l1, inverse), r2 = mcm_root(l2, inverse);
    out[0][0] = r1 * c * c + r2 * s * s;
    out[1][1] = r1 * s * s + r2 * c * c;
    out[0][1] = out[1][0] = (r1 - r2) * s * c;
}

/* SPIKE: A = diag(1, 1 - c_S), i.e. S = I - c_S v v^T of eq. (2).
 * FULL: A = T^{1/2} C2^{-1/2} on the (u, v) coordinates of the whole latent part
 * sqrt(bu) lambda u + sqrt(bv) nu v + z, whose covariance there is
 * C2 = [[1+bu, sqrt(bu bv) E[lambda nu]], [., 1+bv]] and T = diag(1+bu, 1). Then
 * A C2 A^T = T, so Cov(x) = I + bu u u^T exactly. Any R orthogonal in T^{1/2} R C2^{-1/2} would
 * do as well; R = I (symmetric whitening, then rescaling to T) is the convention fixed here.
 * With E[lambda nu] = 0 it is diag(1, (1+bv)^{-1/2}), the SPIKE map. */
void mcm_whitening_matrix(const mcm_params *p, double A[2][2])
{
    double cS = 1.0 - 1.0 / sqrt(1.0 + p->beta_v);
    if (p->whitening == MCM_WHITEN_SPIKE) {
        A[0][0] = 1.0;
        A[0][1] = A[1][0] = 0.0;
        A[1][1] = 1.0 - cS;
        return;
    }
    double C2[2][2] = {{1.0 + p->beta_u, sqrt(p->beta_u * p->beta_v) * mcm_lambda_nu(p)},
                       {0.0, 1.0 + p->beta_v}};
    C2[1][0] = C2[0][1];
    double Ci[2][2];
    mcm_sym2_sqrt(C2, 1, Ci);
    double t0 = sqrt(1.0 + p->beta_u);
    A[0][0] = t0 * Ci[0][0];
    A[0][1] = t0 * Ci[0][1];
    A[1][0] = Ci[1][0];
    A[1][1] = Ci[1][1];
}

/* Covariance of (u.x, v.x) for one eq.-(1) sample: A C2' A^T where C2' is the covariance of
 * the latent part that A acts on (SPIKE acts on y without the lambda u term: A[1][0] = 0, so
 * only the v row sees C2', and the u row keeps lambda and the bulk). */
static void model_cov_uv(const mcm_params *p, double cov[2][2])
{
    double A[2][2];
    mcm_whitening_matrix(p, A);
    double r = sqrt(p->beta_u * p->beta_v) * mcm_lambda_nu(p);
    double C2[2][2] = {{1.0 + p->beta_u, r}, {r, 1.0 + p->beta_v}};
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) {
            double s = 0.0;
            for (int k = 0; k < 2; k++)
                for (int l = 0; l < 2; l++)
                    s += A[i][k] * C2[k][l] * A[j][l];
            cov[i][j] = s;
        }
}

/* The mixture's means differ only along m, orthogonal to u and v, so the (u, v) block is the
 * average of the component blocks: the model's and the identity. */
void mcm_cov_uv(const mcm_params *p, double cov[2][2])
{
    model_cov_uv(p, cov);
    if (p->mixture != MCM_MIX_LABELLED) return;
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++)
            cov[i][j] = 0.5 * cov[i][j] + 0.5 * (i == j);
}

/* v.x = a_l lambda + a_n nu + Gaussian, with (a_l, a_n) = A[1] (sqrt(bu), sqrt(bv)) for FULL
 * and (0, b) for SPIKE. kappa4 of a linear form is the binomial sum of joint cumulants. */
double mcm_kurtosis_v(const mcm_params *p)
{
    double A[2][2], cov[2][2], c[5];
    mcm_whitening_matrix(p, A);
    model_cov_uv(p, cov);
    latent_cum4(p, c);
    double al = A[1][0] * sqrt(p->beta_u), an = A[1][1] * sqrt(p->beta_v);
    static const double binom[5] = {1.0, 4.0, 6.0, 4.0, 1.0};
    double k4 = 0.0;
    for (int k = 1; k <= 4; k++)
        k4 += binom[k] * pow(al, 4 - k) * pow(an, k) * c[k];
    double kurt = k4 / (cov[1][1] * cov[1][1]);
    /* Mixture with N(0, 1) along v at equal variance: fourth moment (3 + K)/2 + 3/2. */
    return p->mixture == MCM_MIX_LABELLED ? 0.5 * kurt : kurt;
}

/* ---------------------------------------------------------------------------------------------
 * Model set-up
 * ------------------------------------------------------------------------------------------- */

static void check_params(const mcm_params *p)
{
    if (p->d < LIMITS_MIN_D)
        LOG_DIE("mcm: d = %d, need d >= %d for three spikes", p->d, LIMITS_MIN_D);
    if (!(p->beta_m >= 0.0 && p->beta_u >= 0.0 && p->beta_v >= 0.0))
        LOG_DIE("mcm: signal strengths must be >= 0 (beta_m %g, beta_u %g, beta_v %g)", p->beta_m,
                p->beta_u, p->beta_v);
    if (p->nu_law == MCM_NU_SKEWED && !(p->skew_q > 0.0 && p->skew_q < 1.0))
        LOG_DIE("mcm: skew_q = %g outside (0, 1)", p->skew_q);
    if ((unsigned)p->nu_law > MCM_NU_GAUSSIAN || (unsigned)p->coupling > MCM_COUPLE_THRESHOLD ||
        (unsigned)p->whitening > MCM_WHITEN_FULL || (unsigned)p->spikes > MCM_SPIKES_RANDOM ||
        (unsigned)p->mixture > MCM_MIX_LABELLED || (unsigned)p->mean_term > MCM_MEAN_LABEL)
        LOG_DIE("mcm: enumeration value out of range");
}

void mcm_init(mcm_model *mod, const mcm_params *p, uint32_t seed, uint64_t task)
{
    mcm_init_scalars(mod, p);
    size_t d = (size_t)p->d;
    mod->m = LOG_CALLOC(3 * d, sizeof(double));
    mod->u = mod->m + d;
    mod->v = mod->m + 2 * d;
    make_spikes(mod, seed, task);
    mod->uu = mcm_dot(mod->u, mod->u, p->d);
    mod->uv = mcm_dot(mod->u, mod->v, p->d);
    mod->vv = mcm_dot(mod->v, mod->v, p->d);
}

void mcm_init_scalars(mcm_model *mod, const mcm_params *p)
{
    check_params(p);
    memset(mod, 0, sizeof *mod);
    mod->p = *p;
    mod->uu = mod->vv = 1.0; /* orthonormal until the caller sets a RANDOM geometry */
    mod->c_S = 1.0 - 1.0 / sqrt(1.0 + p->beta_v); /* eq. (2) */
    mcm_whitening_matrix(p, mod->A);
    mod->sqrt_bu = sqrt(p->beta_u);
    mod->sqrt_bv = sqrt(p->beta_v);
    if (p->nu_law == MCM_NU_SKEWED) {
        double q = p->skew_q, s = sqrt(q - q * q);
        mod->nu_hi = (1.0 - q) / s;
        mod->nu_lo = -q / s;
    }
    mod->thr_c = mcm_threshold_c();
}

void mcm_free(mcm_model *mod)
{
    free(mod->m); /* u and v live in the same allocation */
    mod->m = mod->u = mod->v = NULL;
}

/* ---------------------------------------------------------------------------------------------
 * Sampling
 * ------------------------------------------------------------------------------------------- */

/* Four partial sums break the add-latency chain of a plain loop (the sampler's only
 * reductions); the summation order is fixed, so results stay reproducible. */
static double dot4(const double *restrict a, const double *restrict x, int d)
{
    double s[4] = {0.0, 0.0, 0.0, 0.0};
    int i = 0;
    for (; i + 4 <= d; i += 4)
        for (int k = 0; k < 4; k++)
            s[k] += a[i + k] * x[i + k];
    for (; i < d; i++)
        s[0] += a[i] * x[i];
    return (s[0] + s[1]) + (s[2] + s[3]);
}

static void axpy3(double *restrict x, double a, const double *restrict m, double b,
                  const double *restrict u, double c, const double *restrict v, int d)
{
    for (int i = 0; i < d; i++)
        x[i] += a * m[i] + b * u[i] + c * v[i];
}

int mcm_latents_from(const mcm_model *mod, const double g[2], const double w[2], double *lam,
                     double *nu)
{
    const mcm_params *p = &mod->p;
    *lam = g[0];
    if (p->coupling == MCM_COUPLE_SIGN) {
        *nu = g[0] >= 0.0 ? 1.0 : -1.0;
    } else if (p->coupling == MCM_COUPLE_THRESHOLD) {
        *nu = g[0] * g[0] > mod->thr_c ? 1.0 : -1.0;
    } else if (p->nu_law == MCM_NU_RADEMACHER) {
        *nu = w[0] >= 0.5 ? 1.0 : -1.0;
    } else if (p->nu_law == MCM_NU_SKEWED) {
        *nu = w[0] < p->skew_q ? mod->nu_hi : mod->nu_lo;
    } else {
        *nu = g[1];
    }
    if (p->mixture != MCM_MIX_LABELLED) return 1;
    return w[1] >= 0.5 ? 1 : -1;
}

/* Latents of sample `index`; word layout documented in mcm.h. Returns the label. */
static int draw_latents(const mcm_model *mod, uint32_t seed, uint64_t task, uint64_t index,
                        double *lam, double *nu)
{
    rng_stream s = rng_stream_make(seed, task, RNG_LATENT);
    double g[2], w[2];
    rng_normal(&s, index, 0, 2, g);
    rng_uniform(&s, index, 1, 2, w);
    return mcm_latents_from(mod, g, w, lam, nu);
}

/* Coefficients (cu, cv) such that x = z + mean m + cu u + cv v, from zu = u.z, zv = v.z.
 * Gram entries keep the formulas literal also for non-orthogonal RANDOM spikes. */
static void latent_coeffs(const mcm_model *mod, double lam, double nu, double zu, double zv,
                          double *cu, double *cv)
{
    double su = mod->sqrt_bu * lam, sv = mod->sqrt_bv * nu;
    if (mod->p.whitening == MCM_WHITEN_SPIKE) {
        /* y = sv v + z; S y = y - c_S (v.y) v (eq. 2); the u term is added after S. */
        double yv = sv * mod->vv + zv;
        *cu = su;
        *cv = sv - mod->c_S * yv;
        return;
    }
    /* FULL: A acts on the (u, v) coordinates of L = su u + sv v + z: L + (A - I)(a_u, a_v). */
    double au = su * mod->uu + sv * mod->uv + zu;
    double av = su * mod->uv + sv * mod->vv + zv;
    *cu = su + (mod->A[0][0] - 1.0) * au + mod->A[0][1] * av;
    *cv = sv + mod->A[1][0] * au + (mod->A[1][1] - 1.0) * av;
}

void mcm_x0_coeffs(const mcm_model *mod, int label, double lam, double nu, double zu, double zv,
                   double *mu, double *cu, double *cv)
{
    if (label > 0) {
        *mu = mod->p.beta_m * (mod->p.mean_term == MCM_MEAN_LABEL ? (double)label : 1.0);
        latent_coeffs(mod, lam, nu, zu, zv, cu, cv);
        return;
    }
    /* Isotropic component: N(0, I), shifted only by a labelled mean term. */
    *mu = mod->p.mean_term == MCM_MEAN_LABEL ? -mod->p.beta_m : 0.0;
    *cu = *cv = 0.0;
}

void mcm_sample(const mcm_model *mod, uint32_t seed, uint64_t task, uint64_t index, double *x,
                double *lambda, double *nu, int *label)
{
    const int d = mod->p.d;
    double lam, n;
    int y = draw_latents(mod, seed, task, index, &lam, &n);
    rng_stream sb = rng_stream_make(seed, task, RNG_BULK);
    rngv_normal_at(&sb, index, (size_t)d, x); /* x holds z from here on */

    /* The same numbers as mcm_x0_coeffs; kept inline, as written first, because this file is
     * compiled with reassociation (HOT in the Makefile) and a restructured call rounds the FULL
     * coefficients differently in the last bit, which would change every existing result. */
    double mu = mod->p.beta_m * (mod->p.mean_term == MCM_MEAN_LABEL ? (double)y : 1.0);
    double cu = 0.0, cv = 0.0;
    if (y > 0) {
        double zv = dot4(mod->v, x, d);
        double zu = mod->p.whitening == MCM_WHITEN_FULL ? dot4(mod->u, x, d) : 0.0;
        latent_coeffs(mod, lam, n, zu, zv, &cu, &cv);
    } else {
        /* Isotropic component: N(0, I), shifted only by a labelled mean term. */
        mu = mod->p.mean_term == MCM_MEAN_LABEL ? -mod->p.beta_m : 0.0;
        lam = n = 0.0;
    }
    axpy3(x, mu, mod->m, cu, mod->u, cv, mod->v, d);
    if (lambda) *lambda = lam;
    if (nu) *nu = n;
    if (label) *label = y;
}

/* A loop: each draw is addressed by its own counter, so batching changes no number. */
void mcm_sample_block(const mcm_model *mod, uint32_t seed, uint64_t task, uint64_t index0, size_t n,
                      double *X, double *lambda, double *nu, int *label)
{
    const size_t d = (size_t)mod->p.d;
    for (size_t k = 0; k < n; k++)
        mcm_sample(mod, seed, task, index0 + k, X + k * d, lambda ? lambda + k : NULL,
                   nu ? nu + k : NULL, label ? label + k : NULL);
}
