/* gpfode — the generated Gaussian of a linear denoiser that need not be aligned with the data
 * eigenbasis: the time-ordered PF-ODE (gaussian-theory.md §3.1, §7 item 3). With t = ln sigma
 * the PF-ODE dx/dsigma = (x - W_sigma x)/sigma is dx/dt = (I - W(t)) x, integrated from
 * t_T = ln sigma_max down to t_0 = ln sigma_min: x(t_0) = X x(t_T), generated covariance
 * Sigma~ = sigma_T^2 X X^T. Everything is in the eigenbasis of the data (W is U^T W U), so the
 * generated variance of mode k is Sigma~_kk and the KL needs only X and X^-1 (integrated alongside:
 * dY/dt = -Y (I - W)) and ln det X = -int tr(I - W) dt (Liouville, exact for the interpolant).
 *
 * W(t) is given at knots sigma[j] (ascending) and linear in ln sigma between them, each knot a
 * full d x d matrix or, where the pointer is NULL, the diagonal psi[j][.]; an interval between
 * two diagonal knots is integrated exactly (a product of per-mode exponentials), any other by
 * classical RK4 with nsub steps (error O((dt/nsub)^4) per interval). Pure C + BLAS. */
#ifndef MCMSIM_GPFODE_H
#define MCMSIM_GPFODE_H

/* n >= 2 knots with sigma[0] <= s0 < sT <= sigma[n-1]; Wk[j] row-major d x d or NULL (then
 * psi[j * d + k] is its diagonal; psi may be NULL when no pointer is NULL). Writes var[d] =
 * Sigma~_kk and, when lambda is not NULL, kl[0] = KL(gen || data), kl[1] = KL(data || gen) of
 * N(0, Sigma~) against N(0, diag lambda) (§3.6, non-aligned form). Returns 0, or -1 when the
 * knots do not span [s0, sT]. */
int gpfode_gen_cov(int d, int n, const double *sigma, const double *const *Wk, const double *psi,
                   double s0, double sT, int nsub, const double *lambda, double *var, double *kl);

#endif
