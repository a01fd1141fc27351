/* gbasis — a random orthogonal d x d basis for Gaussian data (gaussian-theory.md §7, item 2):
 * the Q factor of a Gaussian matrix, by the distributed QR of parallel/dmat.h (PDGEQRF +
 * PDORGQR) on a near-square grid over MPI_COMM_WORLD, then replicated on every rank. Entry
 * (i, j) of the Gaussian matrix is normal i of stream (seed, task 0, RNG_GBASIS) at step j, so
 * the basis depends only on the seed (not on the grid, up to the rounding of the QR). */
#ifndef MCMSIM_GBASIS_H
#define MCMSIM_GBASIS_H

#include "parallel/dmat.h"

#include <stdint.h>

/* Collective: U (d x d column-major, every rank) with orthonormal columns; nb is the block
 * size of the distributed QR. */
void gbasis_random(int d, uint32_t seed, int nb, double *U);

/* Collective over cov's grid: every eigenpair of the symmetric d x d cov (destroyed, PDSYEVD),
 * largest first: lambda[k] and column k of U (d x d column-major, every rank), each vector's
 * sign fixed (first nonzero entry positive). Returns the ScaLAPACK info (0: converged). */
int gbasis_eigen(dmat *cov, double *lambda, double *U);

#endif
