/* bayes — closed-form diffusion quantities of the MCM (mcm-model.md §2.3–2.5, §2.7, §5):
 * the exact score, the Bayes-optimal denoiser D*(x_t) = E[x0 | x_t] (Tweedie), the MMSE, and the
 * Gaussian and mean clones of the data.
 *
 * Exact forms exist for orthonormal spikes (qr, axes), no mixture, spike whitening, and
 *  - independent latents with nu Rademacher (eq. 4, 5) or Gaussian (then linear along v),
 *    and also the skewed two-point law (same posterior algebra, unequal weights),
 *  - nu = sign(lambda) (§2.5).
 * Full whitening with independent latents is the spike whitening (mcm.h), so it is exact too.
 * bayes_init reports whether the configuration has a closed form; callers publish NaN else:
 * every function below then returns / writes NaN.
 * General schedules reduce to VP through omega = sqrt(alpha^2 + sigma^2) (§2.1).
 * Everything is computed from the posterior means and variances of the latents (lambda, nu)
 * given (u.x_t, v.x_t): the score by Fisher's identity, D* by the posterior mean of x0, the
 * MMSE by the posterior variance, so no formula divides by alpha (alpha = 0 is allowed). */
#ifndef MCMSIM_BAYES_H
#define MCMSIM_BAYES_H

#include "core/mcm.h"

typedef struct {
    mcm_params p;
    double alpha, sigma; /* schedule coefficients at t */
    int exact;           /* 1 when a closed form applies */
    double omega;        /* sqrt(alpha^2 + sigma^2); VP state is x/omega */
    double a, s2;        /* VP a_t = (alpha/omega) b and sigma^2/omega^2 */
    double b, gamma_u;   /* b = sqrt(beta_v/(1+beta_v)), gamma_u of eq. (5) (VP) */
    /* Additions: VP-reduced pair, coupling constants of §2.5 and the law of nu. */
    double at, st;             /* alpha/omega, sigma/omega (at^2 + st^2 = 1) */
    double c, kappa;           /* c = at sqrt(beta_u), kappa = c / sqrt(1 + c^2) */
    int coupled;               /* 1 for nu = sign(lambda) */
    int nu_gauss;              /* 1 for Gaussian nu (independent latents) */
    double nu_hi, nu_lo, nu_q; /* two-point nu: nu_hi with probability nu_q, else nu_lo */
} bayes_t;

/* Returns b->exact. */
int bayes_init(bayes_t *b, const mcm_params *p, double alpha, double sigma);

/* Score components along u and v at projections h_u = u.x_t, h_v = v.x_t (the score along
 * every direction orthogonal to m, u, v is -x_perp / (alpha^2 + sigma^2)). */
void bayes_score_uv(const bayes_t *b, double hu, double hv, double *su, double *sv);
/* Components of D*(x_t) along u and v (u.D*, v.D*) at the same projections. */
void bayes_denoise_uv(const bayes_t *b, double hu, double hv, double *du, double *dv);
/* Full score s_t(x_t), length d. O(d); s may alias xt (as may out in bayes_denoise). */
void bayes_score(const bayes_t *b, const mcm_model *mod, const double *xt, double *s);
/* Bayes denoiser D*(x_t) = (x_t + sigma^2 s) / alpha for VP, general via Tweedie. */
void bayes_denoise(const bayes_t *b, const mcm_model *mod, const double *xt, double *out);
/* Total MMSE E|x0 - D*(x_t)|^2 (sum over the d coordinates), eq. of §2.7 by quadrature; and its
 * part along v alone. Cost: microseconds with independent latents; with nu = sign(lambda) a 2-D
 * quadrature of ~10 ms per call (compute once per diffusion time, not per step). */
double bayes_mmse(const bayes_t *b);
double bayes_mmse_v(const bayes_t *b);
/* Part along u alone (Gaussian closed form with independent latents, quadrature if coupled), and
 * the part along any one direction orthogonal to u and v (m included): sigma^2 / omega^2. */
double bayes_mmse_u(const bayes_t *b);
double bayes_mmse_perp(const bayes_t *b);

typedef enum { CLONE_GAUSS, CLONE_MEAN } bayes_clone;
/* Sample `index` of a clone of the data (§5): GAUSS ~ N(beta_m m, Cov(x)), MEAN ~
 * N(beta_m m, (1 + beta_u/d) I). Drawn from stream (seed, task, purpose), O(d):
 * z = rng_normal(step index, block 0, d), then GAUSS maps the (m, u, v) coordinates of z by the
 * exact covariance square roots; MEAN is mean + sqrt(tr Cov / d) z. A labelled mixture is cloned
 * by its overall mean and covariance (mean and variance along m change). Exact moments need
 * orthonormal spikes (qr, axes); with random spikes they hold to O(d^-1/2). */
void bayes_clone_sample(const mcm_model *mod, bayes_clone kind, uint32_t seed, uint32_t task,
                        int purpose, uint64_t index, double *x);

#endif
