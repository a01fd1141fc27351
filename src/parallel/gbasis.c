/* gbasis — a random orthogonal basis by distributed QR; see include/parallel/gbasis.h. */
#include "parallel/gbasis.h"

#include "core/rng.h"
#include "parallel/dmat.h"

#include "base/log.h"

#include <mpi.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

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

int gbasis_eigen(dmat *cov, double *lambda, double *U)
{
    int d = cov->n;
    size_t n = (size_t)d;
    dmat Z;
    dmat_init(&Z, cov->g, d, d, cov->mb, cov->nb);
    double *w = LOG_CALLOC(n, sizeof(double)), *full = LOG_CALLOC(n * n, sizeof(double));
    int info = dmat_syev(cov, w, &Z, d, DMAT_PDSYEVD);
    if (info == 0) dmat_gather(&Z, full);
    /* PDSYEVD's w is not complete on a rank that holds no part of the matrix (seen at d = 8
     * with 64-blocks on 2 ranks: garbage on rank 1), so rank 0 of the grid's values count. */
    MPI_Bcast(w, d, MPI_DOUBLE, 0, cov->g->comm);
    for (size_t k = 0; k < n; k++) { /* ascending from the solver: reverse */
        const double *src = &full[(n - 1 - k) * n];
        double *dst = &U[k * n], s = 1;
        for (size_t i = 0; i < n; i++)
            if (src[i] != 0) {
                s = src[i] > 0 ? 1 : -1;
                break;
            }
        for (size_t i = 0; i < n; i++)
            dst[i] = s * src[i];
        lambda[k] = w[n - 1 - k];
    }
    free(w), free(full);
    dmat_free(&Z);
    return info;
}
