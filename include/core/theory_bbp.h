/* theory_bbp — PCA of n = alpha d samples with a spiked population covariance, d -> infinity:
 * the BBP phase transition of the top eigenpair (Baik, Ben Arous and Peche 2005; Paul 2007) and
 * the Marchenko-Pastur bulk edge, for the classic spike I + beta u u^T and for the population
 * spike of the MCM. Cov(x) of the MCM is the identity outside span(u, v); on span(u, v) it is the
 * exact 2x2 block of (u.x, v.x) (mcm_cov_uv), diagonal for independent latents and tilted toward
 * v by coupled latents (mcm-model.md §1.5, V5). */
#ifndef MCMSIM_THEORY_BBP_H
#define MCMSIM_THEORY_BBP_H

#include "core/mcm.h"

/* Classic spike I + beta u u^T, gamma = 1 / alpha. Above the transition alpha > 1 / beta^2:
 * top eigenvalue (1 + beta)(1 + gamma / beta), squared overlap of the top eigenvector with u
 * (1 - gamma / beta^2) / (1 + gamma / beta). At and below it: the bulk edge (1 + sqrt gamma)^2
 * and overlap 0. *edge is the Marchenko-Pastur upper edge (1 + sqrt gamma)^2 in both cases. */
void theory_bbp(double alpha, double beta, double *lambda_top, double *overlap2, double *edge);

/* Top eigenpair of the exact (u, v) block of Cov(x) of the MCM p: the eigenvalue l (so the
 * population spike is beta = l - 1) and the squared u component (e.u)^2 of the unit eigenvector e.
 * Independent latents (or FULL whitening): l = 1 + beta_u, (e.u)^2 = 1. Closed form of the 2x2
 * symmetric eigenproblem; a degenerate block (zero off-diagonal) takes e = u when its u entry is
 * the larger. Exact for QR/AXES spikes (u.v = 0); for RANDOM spikes only as d -> infinity. */
void theory_bbp_block_top(const mcm_params *p, double *l, double *eu2);

/* BBP for the population spike of the MCM p at alpha = n / d: theory_bbp at beta = l - 1, the
 * overlap (v_1.u)^2 -> BBP overlap x (e.u)^2 for the block's top eigenpair (l, e). Returns 1 where
 * this applies; 0 for a labelled mixture, which also changes the variance along m (not modelled),
 * and then *lambda_top = *overlap2 = NaN. *edge is the Marchenko-Pastur edge in every case. */
int theory_bbp_mcm(const mcm_params *p, double alpha, double *lambda_top, double *overlap2,
                   double *edge);

#endif
