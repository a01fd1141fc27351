/* mcm — the mixed cumulant model (shared/science/mcm-model.md §1).
 *
 *   x = beta_m m + sqrt(beta_u) lambda u + W (sqrt(beta_v) nu v + z),   z ~ N(0, I_d)
 *
 * with unit spikes m, u, v, Gaussian latent lambda, non-Gaussian latent nu (unit variance) and
 * whitening W that hides v from the covariance. W acts on span(u, v) only, so sampling is O(d)
 * and no d x d matrix is ever formed. */
#ifndef MCMSIM_MCM_H
#define MCMSIM_MCM_H

#include "core/rng.h"

#include <stddef.h>
#include <stdint.h>

/* Enumerations: the order matches the enum strings of the config schema (cfg_schema.c). */
typedef enum { MCM_NU_RADEMACHER, MCM_NU_SKEWED, MCM_NU_GAUSSIAN } mcm_nu_law;
typedef enum { MCM_COUPLE_INDEPENDENT, MCM_COUPLE_SIGN, MCM_COUPLE_THRESHOLD } mcm_coupling;
/* SPIKE: S = I - c_S v v^T of eq. (2). FULL: re-whiten the (u, v) block so that
 * Cov(x) = I + beta_u u u^T exactly, also with correlated latents (equals SPIKE when
 * latents are independent): x = L + (A - I) acting on (u.L, v.L), L the latent part
 * sqrt(beta_u) lambda u + sqrt(beta_v) nu v + z, A = T^{1/2} C2^{-1/2} (see mcm.c). Exact for
 * QR/AXES spikes; with RANDOM spikes (u.v != 0) it is applied literally and is exact only as
 * d -> infinity, while SPIKE applies S literally and never touches the u term. */
typedef enum { MCM_WHITEN_SPIKE, MCM_WHITEN_FULL } mcm_whitening;
/* QR: Gram-Schmidt of Gaussian vectors (exactly orthonormal). AXES: m = e_0, u = e_1, v = e_2.
 * RANDOM: independent random unit vectors (orthogonal only as d -> infinity). */
typedef enum { MCM_SPIKES_QR, MCM_SPIKES_AXES, MCM_SPIKES_RANDOM } mcm_spikes;
/* NONE: every sample from eq. (1). LABELLED: y = +-1 with p = 1/2, y = -1 draws N(0, I). */
typedef enum { MCM_MIX_NONE, MCM_MIX_LABELLED } mcm_mixture;
/* Mean term beta_m m (PLAIN) or beta_m y m (LABEL) in the labelled mixture. */
typedef enum { MCM_MEAN_PLAIN, MCM_MEAN_LABEL } mcm_mean_term;

typedef struct {
    int d;
    double beta_m, beta_u, beta_v;
    mcm_nu_law nu_law;
    double skew_q; /* q_T of the skewed two-point law, in (0, 1) */
    mcm_coupling coupling;
    mcm_whitening whitening;
    mcm_spikes spikes;
    mcm_mixture mixture;
    mcm_mean_term mean_term;
} mcm_params;

typedef struct {
    mcm_params p;
    double *m, *u, *v; /* unit spikes, length d each */
    /* Whitening on span(u, v): (x_u, x_v) <- A (x_u, x_v) with x_u = u.y, x_v = v.y,
     * applied as y + (A - I) acting on those coordinates. For SPIKE, A = diag(1, 1 - c_S). */
    double A[2][2];
    double c_S;
    /* Derived once by mcm_init so that a draw is pure arithmetic. */
    double sqrt_bu, sqrt_bv; /* sqrt(beta_u), sqrt(beta_v) */
    double nu_hi, nu_lo;     /* two values of the skewed law (standardised) */
    double thr_c;            /* median of chi^2_1, THRESHOLD coupling */
    double uu, uv, vv;       /* Gram entries of (u, v): exact 1, 0, 1 only for QR/AXES */
} mcm_model;

/* Builds spikes from stream (seed, task, RNG_SPIKES) and the whitening. d >= 3. */
void mcm_init(mcm_model *mod, const mcm_params *p, uint32_t seed, uint64_t task);
void mcm_free(mcm_model *mod);
/* Everything of mcm_init but the d-dimensional spikes (m, u, v stay NULL; uu = vv = 1, uv = 0):
 * the derived constants a draw needs, for engines that work in spike coordinates
 * (core/reduced.h). A caller with non-orthogonal spikes sets uu, uv, vv itself. */
void mcm_init_scalars(mcm_model *mod, const mcm_params *p);

/* Latent stream layout (RNG_LATENT, step = sample index), part of the results' format:
 *   block 0: rng_normal pair (g0, g1): lambda = g0; nu = g1 for the Gaussian law;
 *   block 1: rng_uniform pair (w0, w1): w0 picks nu for the Rademacher (w0 >= 1/2 -> +1) and
 *            skewed laws (w0 < q -> high value), w1 the label (w1 >= 1/2 -> y = +1).
 * A coupling (SIGN, THRESHOLD) makes nu a +-1 function of lambda and overrides nu_law.
 * Bulk z: rng_normal(RNG_BULK, step = index, block 0, d) written straight into x.
 * A label -1 sample contains no latent; lambda and nu are then reported as 0. */

/* One draw: sample `index` of stream (seed, task) fills x[d] and the latents. Pointers for
 * lambda, nu and label may be NULL. Label is +1 (model) or -1 (isotropic) with a mixture,
 * always +1 otherwise. Costs O(d). */
void mcm_sample(const mcm_model *mod, uint32_t seed, uint64_t task, uint64_t index, double *x,
                double *lambda, double *nu, int *label);

/* The pieces of mcm_sample, for engines that draw z otherwise (core/reduced.h):
 * mcm_latents_from: lambda, nu and the label (returned) from the two normals g of block 0 and
 * the two uniforms w of block 1 of RNG_LATENT at the sample's index (layout above);
 * mcm_x0_coeffs: x0 = mu m + cu u + cv v + z for a sample of that label and latents, given
 * zu = u.z and zv = v.z (zu is read by FULL whitening only; label -1: cu = cv = 0). */
int mcm_latents_from(const mcm_model *mod, const double g[2], const double w[2], double *lam,
                     double *nu);
void mcm_x0_coeffs(const mcm_model *mod, int label, double lam, double nu, double zu, double zv,
                   double *mu, double *cu, double *cv);

/* n consecutive draws starting at index0, row-major X[n][d]; same numbers as n mcm_sample calls. */
void mcm_sample_block(const mcm_model *mod, uint32_t seed, uint64_t task, uint64_t index0, size_t n,
                      double *X, double *lambda, double *nu, int *label);

/* A random unit direction orthogonal to m, u and v, from stream (seed, task, RNG_PROBE): the
 * "random direction" of the statistics, exactly N(0, 1) along it. */
void mcm_probe(const mcm_model *mod, uint32_t seed, uint64_t task, double *r);
/* Symmetric square root (inverse = 0) or inverse square root (inverse = 1) of a 2x2 SPD matrix. */
void mcm_sym2_sqrt(double C[2][2], int inverse, double out[2][2]);
/* Dot product of two d-vectors (the projection h = w.x of every observer). */
double mcm_dot(const double *a, const double *b, int d);

/* Exact statistics of the model (independent of sampling), for tests and summaries. */
double mcm_b2(const mcm_params *p);        /* b^2 = beta_v / (1 + beta_v) */
double mcm_nu_kappa3(const mcm_params *p); /* third cumulant of nu */
double mcm_nu_kappa4(const mcm_params *p); /* fourth cumulant of nu */
double mcm_lambda_nu(const mcm_params *p); /* E[lambda nu] */
/* Exact 2x2 covariance of (u.x, v.x) (labelled mixture included). */
void mcm_cov_uv(const mcm_params *p, double cov[2][2]);
/* Exact excess kurtosis of v.x (QR/AXES spikes). Independent latents: b^4 k4(nu); coupled
 * latents with FULL whitening mix lambda into v.x and the joint cumulants of §1.5 enter.
 * A labelled mixture halves it (both components have mean 0 and variance 1 along v). */
double mcm_kurtosis_v(const mcm_params *p);
/* Median of chi^2_1, the threshold c of the THRESHOLD coupling (0.454936423119572...). */
double mcm_threshold_c(void);
/* The 2x2 whitening A of the model (see mcm_model) computed from the parameters alone. */
void mcm_whitening_matrix(const mcm_params *p, double A[2][2]);

#endif
