/* clone — the Gaussian and mean clones of any data set (mcm-model.md §5, the DIC "gp" and
 * "gpiso"): GAUSS ~ N(mu, Sigma) through a factor F with F F^T = Sigma, MEAN ~ N(mu, sbar I) with
 * sbar = tr(Sigma) / d. F is the Cholesky factor of Sigma + jitter sbar I (PDPOTRF), or, when
 * Sigma is singular or asked for, U max(Lambda, 0)^(1/2) from its eigendecomposition. Built
 * collectively from a distributed covariance, then replicated on every rank of the grid, so any
 * task's observers draw clone samples locally, O(d^2) each, keyed like every other stream. */
#ifndef MCMSIM_CLONE_H
#define MCMSIM_CLONE_H

#include "core/bayes.h"

#include <stdint.h>

typedef enum { CLONE_AUTO, CLONE_CHOLESKY, CLONE_EIGEN } clone_method; /* clone.method order */

typedef struct {
    int d;
    double *mu;        /* [d] */
    double *F;         /* [d][d] column-major factor, F F^T = Sigma (+ jitter) */
    double sbar;       /* tr(Sigma) / d */
    clone_method used; /* CLONE_CHOLESKY or CLONE_EIGEN */
    double jitter_abs; /* jitter added to the diagonal (Cholesky), absolute */
    int n_clipped;     /* eigen: negative eigenvalues set to 0 */
} clone_t;

void clone_free(clone_t *cl);
/* Sample `index` of a clone (kind CLONE_GAUSS or CLONE_MEAN of bayes.h) from stream
 * (seed, task, purpose): z = rng_normal at (index, block 0), d values; GAUSS: x = mu + F z,
 * MEAN: x = mu + sqrt(sbar) z. Local. */
void clone_sample(const clone_t *cl, bayes_clone kind, uint32_t seed, uint64_t task, int purpose,
                  uint64_t index, double *x);

#endif
