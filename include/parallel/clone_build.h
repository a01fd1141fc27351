/* clone_build — the Gaussian clone's factor from a distributed covariance (ScaLAPACK), replicated
 * on every rank of the grid (src/parallel/clone_build.c); the clone's types and sampling are in
 * core/clone.h. */
#ifndef MCMSIM_CLONE_BUILD_H
#define MCMSIM_CLONE_BUILD_H

#include "core/clone.h"
#include "parallel/dmat.h"

/* Collective over cov's grid. cov (full symmetric d x d) is overwritten. jitter is relative to
 * sbar. */
void clone_build(clone_t *cl, dmat *cov, const double *mu, clone_method method, double jitter);
#endif
