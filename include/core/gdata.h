/* gdata — Gaussian data N(mu, U Lambda U^T) for training linear denoisers next to their exact
 * theory (gaussian-theory.md §1.3, §2; core/gtheory.h), and what a run measures in the
 * eigenbasis (§2.2, §3.1, §3.4). Pure C + BLAS: the basis U is given (identity, or a random
 * orthogonal matrix from parallel/gbasis.h), the spectrum by spec/spec_gauss.h.
 *
 * Sample `index` of stream (seed, task, purpose) is x = mu + U (lambda^1/2 . z) with z the d
 * normals rng_normal(index, block 0): a sample depends only on its address, like every draw.
 * Mode k is the column u_k of U with variance lambda_k, in the order of the spectrum. */
#ifndef MCMSIM_GDATA_H
#define MCMSIM_GDATA_H

#include <stdint.h>

typedef struct {
    int d;
    double *lambda; /* [d] mode variances */
    double *sq;     /* [d] lambda^1/2 */
    double *q;      /* [d] aligned initial weights Q_k */
    double *mu;     /* [d] mean */
    double *U;      /* [d][d] column-major, column k = u_k; NULL: the identity */
    double sbar;    /* tr Sigma / d: the variance of the mean clone */
    int aligned;    /* initialise denoisers aligned (gdata_init_linear, gdata_init_sym) */
    int full_view;  /* observers keep U^T W U too (not aligned, or a finite training set) */
} gdata;

/* Scalars of one observation in the eigenbasis, after the 2 d per-mode values. */
enum { GDATA_OFFDIAG, GDATA_BIAS, GDATA_LOSS, GDATA_NSCALAR };
#define GDATA_NOBS(d) (2 * (size_t)(d) + GDATA_NSCALAR)

/* Copies lambda, q (may be NULL: 0) and U (NULL: identity); every mean coordinate is `mean`. */
void gdata_init(gdata *g, int d, const double *lambda, const double *q, double mean,
                const double *U);
void gdata_free(gdata *g);
/* Samples index[0..n) of stream (seed, task, purpose) into x[n][d] (rows); z is [n][d] scratch.
 * A random basis takes one dgemm for the batch. */
void gdata_sample(const gdata *g, uint32_t seed, uint64_t task, int purpose, int n,
                  const uint64_t *index, double *x, double *z);
/* MMSE of the optimal denoiser at noise sigma, per dimension: sum_k sigma^2 lambda_k /
 * (sigma^2 + lambda_k) / d (§1.3). */
double gdata_mmse(const gdata *g, double sigma);
/* Aligned initial weights: W(0) = U diag(Q) U^T (row-major, b untouched), and P(0) with
 * column k = Q_k^1/2 u_k for k < min(h, d), zero beyond (theta = P^T, h x d row-major). */
void gdata_init_linear(const gdata *g, double *W);
void gdata_init_sym(const gdata *g, int h, double *Pt);
/* The eigenbasis view of a denoiser D(x) = W x + b (W row-major, b NULL: none) at noise
 * sigma, into out[GDATA_NOBS(d)]: w_k = u_k^T W u_k [d], the population x0 loss of mode k,
 * l_k = lambda_k |W u_k - u_k|^2 + sigma^2 |W u_k|^2 [d] (aligned: the theory's
 * (lambda + sigma^2) w^2 - 2 lambda w + lambda), then the off-diagonal norm
 * |U^T W U - diag(w)|_F, the mean term |(W - I) mu + b|^2 and the whole population loss
 * E|W x_sigma + b - x0|^2 = sum_k l_k + the mean term. work: 2 d x d scratch (random basis). */
void gdata_observe(const gdata *g, const double *W, const double *b, double sigma, double *out,
                   double *work);

/* Moments of the finite training set, samples 0 .. n-1 of stream (seed, task, purpose): the
 * second moment S = (1/n) sum_i x_i x_i^T (uncentred, d x d row-major, full) and the mean m.
 * A bias-free linear denoiser trained on the set learns S(S + sigma^2 I)^-1 (gaussian-theory.md
 * §2.1: the empirical Gaussian). O(n d^2), dsyrk over chunks of 256 samples. */
void gdata_moments(const gdata *g, uint32_t seed, uint64_t task, int purpose, uint64_t n, double *S,
                   double *m);
/* The population moments: S = U Lambda U^T + mu mu^T, m = mu. */
void gdata_moments_population(const gdata *g, double *S, double *m);
/* The exact loss E|W x_sigma + b - x0|^2 (x_sigma = x0 + sigma z, x0 of moments S, m; summed
 * over coordinates, averaged over z exactly) and its gradient: GW = 2[W (S + sigma^2 I) + b m^T
 * - S], Gb = 2[(W - I) m + b] (gaussian-theory.md §2.1). b NULL: no bias (Gb is then scratch,
 * still d long). Full-batch GD is W -= eta GW. */
double gdata_exact_grad(int d, const double *S, const double *m, double sigma, const double *W,
                        const double *b, double *GW, double *Gb);

/* The stationary variance of u_k^T W u_k for every mode under online mini-batch SGD of W x
 * (no bias, zero mean) at level sigma, batch B, step eta, Gaussian data of variances lambda:
 * exact in discrete time, eta c_k rho_k / (1 - eta T) with c_l = 1 / (B [1 - eta a_l (1 + 1/B)]),
 * T = sum_l a_l c_l, a = lambda + sigma^2, rho = sigma^2 lambda / a (small eta: eta rho_k / B,
 * gaussian-theory.md §5.3); INFINITY where SGD has no stationary state. */
void gdata_sgd_stationary_var(int d, const double *lambda, double sigma, double eta, double B,
                              double *var);
/* U^T W U (row-major d x d) of W (row-major); work: d x d. */
void gdata_eigen_view(const gdata *g, const double *W, double *out, double *work);
/* The generated variance of a mode (§3.1) when the denoiser weight along it is psi[j] at the
 * levels sigma[j] (ascending, n >= 1), linear in ln sigma between them and constant beyond:
 * sT^2 exp(-2 int_{ln s0}^{ln sT} (1 - psi) d ln s), exact for that interpolation. */
double gdata_gen_var_levels(int n, const double *sigma, const double *psi, double s0, double sT);
/* First crossing of `target` by the curve v(tau) (tau[0] = 0 allowed), starting from v[0]'s
 * side, interpolated linearly in ln tau (in tau on the first interval when tau[0] = 0); NaN
 * when it never crosses. */
double gdata_crossing(int n, const double *tau, const double *v, double target);

#endif
