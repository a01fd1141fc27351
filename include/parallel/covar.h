/* covar — mean and covariance of n samples streamed in blocks, never holding an n x d matrix:
 * each block of samples is a distributed block x d matrix (a contiguous range of rows per
 * process row), centred on its own mean; PDSYRK adds its scatter to the accumulator, and the
 * shift between the block mean and the running mean enters as one rank-one term (Chan, Golub
 * and LeVeque's pairwise update), so no large mean is ever subtracted from a large sum.
 *
 * Samples come from the MCM sampler (sample i of a task is mcm_sample index i: the first n
 * samples of a task are the same for every n, grid and block size) or from rows of a user data
 * set. Collective over the grid. */
#ifndef MCMSIM_COVAR_H
#define MCMSIM_COVAR_H

#include "parallel/dataset.h"
#include "parallel/dmat.h"
#include "core/mcm.h"

#include <stdint.h>

typedef struct {
    int d;
    long n;       /* samples accumulated */
    double *mean; /* [d] sample mean, on every rank */
    dmat cov;     /* d x d sample covariance (divisor n - 1), full symmetric */
} covar_t;

/* Fill rows [r0, r0 + nr) of the sample stream into buf (nr x d row-major). */
typedef void (*covar_rows_fn)(long r0, long nr, double *buf, void *ctx);

/* Mean and covariance of samples 0 .. n-1 of `rows`, block samples at a time, on grid g with
 * ScaLAPACK blocks of block_size. */
void covar_compute(covar_t *cv, const dmat_grid *g, int d, long n, long block, int block_size,
                   covar_rows_fn rows, void *ctx);
/* The same for MCM samples 0 .. n-1 of task (seed, task). */
void covar_from_mcm(covar_t *cv, const dmat_grid *g, const mcm_model *mod, uint32_t seed,
                    uint64_t task, long n, long block, int block_size);
/* The same for rows r0 .. r0+n-1 of a user data set. */
void covar_from_dataset(covar_t *cv, const dmat_grid *g, const dataset_t *ds, long r0, long n,
                        long block, int block_size);
/* The same for rows 0 .. n-1 of a row-major n x d array every rank holds. */
void covar_from_rows(covar_t *cv, const dmat_grid *g, const double *rows, int d, long n, long block,
                     int block_size);
void covar_free(covar_t *cv);

#endif
