/* gbasis — a random orthogonal basis by distributed QR; see include/parallel/gbasis.h. */
#include "parallel/gbasis.h"

#include "core/rng.h"
#include "parallel/dmat.h"

#include <mpi.h>
#include <stddef.h>

static double gbasis_entry(int i, int j, void *ctx)
{
    const rng_stream *s = ctx;
    double z[2];
    rng_normal(s, (uint64_t)j, (uint32_t)(i / 2), 2, z);
    return z[i % 2];
}

void gbasis_random(int d, uint32_t seed, int nb, double *U)
{
    int size, pr, pc;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    char err[128];
    /* One rank per column block at most: a grid wider than the matrix would idle. */
    if (!dmat_grid_shape(size, 0, 0, &pr, &pc, err, sizeof err)) pr = 1, pc = size;
    dmat_grid g;
    dmat_grid_init(&g, MPI_COMM_WORLD, pr, pc);
    dmat A;
    dmat_init(&A, &g, d, d, nb, nb);
    rng_stream s = rng_stream_make(seed, 0, RNG_GBASIS);
    dmat_fill(&A, gbasis_entry, &s);
    dmat_qr_q(&A);
    dmat_gather(&A, U);
    dmat_free(&A);
    dmat_grid_free(&g);
}
