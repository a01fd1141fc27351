/* gbasis — a random orthogonal d x d basis for Gaussian data (gaussian-theory.md §7, item 2):
 * the Q factor of a Gaussian matrix, by the distributed QR of parallel/dmat.h (PDGEQRF +
 * PDORGQR) on a near-square grid over MPI_COMM_WORLD, then replicated on every rank. Entry
 * (i, j) of the Gaussian matrix is normal i of stream (seed, task 0, RNG_GBASIS) at step j, so
 * the basis depends only on the seed (not on the grid, up to the rounding of the QR). */
#ifndef MCMSIM_GBASIS_H
#define MCMSIM_GBASIS_H

#include <stdint.h>

/* Collective: U (d x d column-major, every rank) with orthonormal columns; nb is the block
 * size of the distributed QR. */
void gbasis_random(int d, uint32_t seed, int nb, double *U);

#endif
