/* MPI test of the random eigenbasis of Gaussian data (parallel/gbasis.h):
 *  - U^T U = I to 1e-12 entrywise (the Q factor of the distributed QR);
 *  - the replicated U is bitwise the same on every rank;
 *  - another seed gives another basis (|U1 - U2|_max > 0.1), the same seed the same one.
 * Usage: mpi_gbasis D NB [DUMP]: rank 0 writes U (raw doubles) to DUMP so that the shell test
 * compares rank counts (another grid: equal to rounding, 1e-12). Prints "ok ..." on rank 0 and
 * exits 0 when every check holds. */
#include "base/log.h"
#include "parallel/gbasis.h"
#include "parallel/h5chk.h"
#include "parallel/par.h"

#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double orth_error(int d, const double *U)
{
    double worst = 0;
    for (int i = 0; i < d; i++)
        for (int j = 0; j <= i; j++) {
            double s = 0;
            for (int k = 0; k < d; k++)
                s += U[(size_t)i * d + k] * U[(size_t)j * d + k];
            worst = fmax(worst, fabs(s - (i == j)));
        }
    return worst;
}

int main(int argc, char **argv)
{
    par_init(&argc, &argv);
    h5chk_init();
    int d = argc > 1 ? atoi(argv[1]) : 100, nb = argc > 2 ? atoi(argv[2]) : 16, bad = 0;
    size_t n = (size_t)d * (size_t)d;
    double *U = LOG_CALLOC(n, sizeof(double)), *V = LOG_CALLOC(n, sizeof(double));
    double *W = LOG_CALLOC(n, sizeof(double)), *R0 = LOG_CALLOC(n, sizeof(double));
    gbasis_random(d, 7, nb, U);
    gbasis_random(d, 8, nb, V);
    gbasis_random(d, 7, nb, W);
    double e = orth_error(d, U), diff = 0;
    for (size_t i = 0; i < n; i++)
        diff = fmax(diff, fabs(U[i] - V[i]));
    if (e > 1e-12) bad++, fprintf(stderr, "U^T U - I: %g > 1e-12\n", e);
    if (!(diff > 0.1)) bad++, fprintf(stderr, "seeds 7 and 8 give nearly the same basis\n");
    if (memcmp(U, W, n * sizeof(double))) bad++, fprintf(stderr, "seed 7 twice differs\n");
    memcpy(R0, U, n * sizeof(double));
    MPI_Bcast(R0, (int)n, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    int same = !memcmp(R0, U, n * sizeof(double)), all;
    MPI_Allreduce(&same, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (!all) bad++, fprintf(stderr, "ranks hold different bases\n");
    int any;
    MPI_Allreduce(&bad, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (argc > 3 && log_rank() == 0) {
        FILE *f = fopen(argv[3], "wb");
        if (!f || fwrite(U, sizeof(double), n, f) != n) any = 1;
        if (f) fclose(f);
    }
    if (!any && log_rank() == 0) printf("ok gbasis d = %d nb = %d: |U^T U - I| = %.2g\n", d, nb, e);
    free(U), free(V), free(W), free(R0);
    MPI_Finalize();
    return any ? 1 : 0;
}
