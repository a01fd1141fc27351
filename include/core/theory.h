/* theory — the learning theory next to the simulation (mcm-model.md §6), for the spiked single
 * neuron (A) D(x) = alpha_t x + w sigma(w.x_t), |w| = 1, at one diffusion time:
 *  - Hermite coefficients mu_k = E[sigma(g) He_k(g)], E_k = E[sigma(g)^2 He_k(g)], g ~ N(0,1);
 *  - small-overlap coefficients of the population loss L(w) (per sample, summed over the d
 *    coordinates, the convention under which eta = delta/d): c_u2 = beta_u B, c_v4, c_uv = 2 rho B,
 *    the diffusion information exponents they imply, and blindness;
 *  - the contraction constant C = E|grad_perp l|^2 / d at zero overlap;
 *  - the exact population loss along u or v as a function of the overlap m, and the d -> infinity
 *    overlap ODE dm/dtau = -delta L'(m) (1 - m^2) - (delta^2 C / 2) m (eq. 6) integrated with GSL;
 *  - predicted learning-rate bounds and escape times.
 * (PCA's BBP transition, the covariance learner's theory, is core/theory_bbp.h.)
 * Formulas are for variance-preserving schedules (alpha^2 + sigma^2 = 1); other schedules are
 * reduced to VP by omega = sqrt(alpha^2 + sigma^2) as in §2.1 where the theory allows. */
#ifndef MCMSIM_THEORY_H
#define MCMSIM_THEORY_H

#include "core/act.h"
#include "core/mcm.h"

#define THEORY_KMAX 8

typedef struct {
    double mu[THEORY_KMAX + 1], E[THEORY_KMAX + 1]; /* Hermite coefficients, k = 0..KMAX */
    double B;     /* B(sigma, t) = alpha^2/2 E_2 - 2 alpha sigma_t^2 mu_1 */
    double c_u2;  /* beta_u B: L(m_u, 0) - L(0, 0) = c_u2 m_u^2 + O(m_u^4) */
    double c_v4;  /* b^4 kappa_4(nu) [alpha^4/24 E_4 - alpha^3 sigma^2 mu_3 / 3] */
    double c_uv;  /* 2 rho B: the u-v cross term with correlated latents (0 otherwise) */
    int k_u, k_v; /* diffusion information exponents; 0 = blind (coefficient zero) */
    int blind_u, blind_v;
    double C; /* contraction constant E|grad_perp l|^2 / d at zero overlap */
    double alpha, sigma;
    /* Additions. l_k = E[Phi(g) He_k(g)] / k!, Phi(p) the noise-averaged loss at p = w.x0 (l_2 = B,
     * l_4 = the c_v4 bracket); the exact series L(m) - L(0) = sum_k c_k m^k along u (cu) and v
     * (cv) with c_k = E[He_k(s.x0)] l_k (cu[2] = c_u2, cv[3] = the cubic term of a skewed nu,
     * cv[4] = c_v4; NaN where the law of s.x0 is not covered); rho = Cov(u.x0, v.x0).
     * k_u, k_v = first k with a nonzero c_k (zero: |l_k| < 1e-10 times the Cauchy-Schwarz bound
     * of its terms, or E[He_k(s.x0)] exactly 0), so k_u = 4 where B = 0 but l_4 != 0, k_v = 3
     * for a skewed nu, k_v = 2 with c_uv != 0; 0 (blind) if no k <= THEORY_KMAX has one.
     * Non-VP pairs are handled exactly rather than by the omega reduction: mu, E stay those of
     * sigma(g), while l_k (hence B and every c) use those of sigma(omega g) (src/theory.c). */
    double lk[THEORY_KMAX + 1], cu[THEORY_KMAX + 1], cv[THEORY_KMAX + 1];
    double rho;
} theory_coeffs;

/* mu_k and E_k for k = 0..kmax by Gauss-Hermite quadrature. (Implementation: composite
 * Gauss-Legendre on [-14, 14], panels of width 2 split at the kink h = 0, so ReLU is as accurate
 * as the smooth activations, ~1e-14; kmax <= 24.) */
void theory_hermite(const act_fn *a, int kmax, double *mu, double *E);
/* The same coefficient by adaptive quadrature (GSL qagi), for accuracy checks. */
double theory_hermite_mu_adaptive(const act_fn *a, int k);
double theory_hermite_E_adaptive(const act_fn *a, int k);

/* All coefficients of model (A) with activation a on the MCM p at (alpha, sigma). */
void theory_coeffs_compute(theory_coeffs *tc, const act_fn *a, const mcm_params *p, double alpha,
                           double sigma);

/* Exact population loss difference L(m) - L(0) of model (A) with w = m s + sqrt(1 - m^2) r,
 * s = u or v (spike 1 = u, 2 = v), r a bulk direction, independent latents; by quadrature. */
double theory_loss_overlap(const act_fn *a, const mcm_params *p, double alpha, double sigma,
                           int spike, double m);

/* The columns of the theory row of one sweep combination (/theory/coeffs of a run), filled by
 * theory_row from the coefficients; k_u, k_v as numbers (0: blind). */
enum theory_col {
    THEORY_B,
    THEORY_C_U2,
    THEORY_C_V4,
    THEORY_C_UV,
    THEORY_K_U,
    THEORY_K_V,
    THEORY_C, /* contraction constant */
    THEORY_DELTA_MAX_U,
    THEORY_ALPHA,
    THEORY_SIGMA,
    THEORY_NCOL
};
void theory_row(const theory_coeffs *tc, double row[THEORY_NCOL]);

/* Learning-rate bound delta < 4 |c_u2| / C for the u phase (k* = 2), and the escape time in
 * d-steps tau = ln(sqrt(d) m_target) / r, r = 2 delta |c_u2| - delta^2 C / 2 (NaN if r <= 0). */
double theory_delta_max_u(const theory_coeffs *tc);
double theory_tau_u(const theory_coeffs *tc, double delta, int d, double m_target);
/* v phase with independent latents (k* = 4): delta bound 8 |c_v4| / (C d) for eta = delta / d,
 * and the escape time tau = d / (8 delta |c_v4|) for eta = delta / d^2 (tau in steps / d). */
double theory_delta_max_v(const theory_coeffs *tc, int d);
double theory_tau_v(const theory_coeffs *tc, double delta, int d);
/* (Note on the two v functions: with eta = delta / d^2 the ODE's rate is delta_eff = delta / d,
 * so the contraction-free escape time is d / (8 delta_eff |c_v4|) = d^2 / (8 delta |c_v4|)
 * d-steps (n = tau d ~ d^3); theory_tau_v returns that, corrected for the contraction
 * Lambda = delta_eff^2 C / 2 (exact for the quartic ODE: ln(Y / (Y - d)) / (2 Lambda),
 * Y = 4 delta_eff |c_v4| / Lambda), NaN if the contraction wins. Both use k = k_v (3 for a
 * skewed nu: bound 6 |c_v3| / (C sqrt d)); delta_max_v is 0 if v repels or is blind, NaN if
 * k_v = 2 (correlated latents: the u phase drives v). delta_max_u is 0 unless k_u = 2 and
 * c_u2 < 0; theory_tau_u uses r = -2 delta c_u2 - delta^2 C / 2.) */

/* Exact E|grad_perp l|^2 at zero overlap for w orthogonal to m, u, v at the finite d of p
 * (C (d - 1) plus the spike and mean directions); C is its d -> infinity per-coordinate value.
 * Valid for any (alpha, sigma), as is theory_loss_overlap. */
double theory_grad2_perp(const act_fn *a, const mcm_params *p, double alpha, double sigma);

/* Integrates eq. (6) for spike s (1 = u, 2 = v) from m(0) = m0 with learning rate
 * eta = delta / d^lr_power expressed in d-steps, using the exact L(m) of theory_loss_overlap and
 * the constant C; writes m at the n times tau[0..n) (ascending). Returns 0 on success. */
int theory_ode(const act_fn *a, const mcm_params *p, double alpha, double sigma, int spike,
               double delta, double lr_power, int d, double m0, int n, const double *tau,
               double *m);

#endif
