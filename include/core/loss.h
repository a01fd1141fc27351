/* loss — denoising score-matching losses at one diffusion time (mcm-model.md §2.6).
 *
 * Every model is a denoiser D(x_t) (x0 prediction). The epsilon and score parameterisations
 * eps = (x_t - alpha D)/sigma, s = -(x_t - alpha D)/sigma^2 give per-sample losses
 *   x0:    |x0 - D|^2,  eps: (alpha/sigma)^2 |x0 - D|^2,  score: alpha^2/sigma^4 |x0 - D|^2,
 * exactly; all are reported per dimension (divided by d). */
#ifndef MCMSIM_LOSS_H
#define MCMSIM_LOSS_H

typedef enum { LOSS_X0, LOSS_EPS, LOSS_SCORE } loss_kind; /* order = config enum */

/* The weight w(alpha, sigma) of |x0 - D|^2 / d for the parameterisation. */
double loss_weight(loss_kind k, double alpha, double sigma);

/* Mean over the batch of w_b |x0_b - D_b|^2 / d, and gout = d(loss)/dD ([B][d]). w[b] is the
 * weight of sample b (per-sample times); gout may be NULL. */
double loss_eval(int B, int d, const double *w, const double *x0, const double *D, double *gout);

#endif
