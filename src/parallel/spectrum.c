/* spectrum — eigenvalues, top eigenvectors, spike overlaps, histogram; see include/spectrum.h. */
#include "parallel/spectrum.h"

#include "base/log.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Eigenvectors have no sign; fix one so that files compare across grids and runs. */
static void spectrum_fix_sign(double *v, int d)
{
    for (int i = 0; i < d; i++)
        if (v[i] != 0) {
            if (v[i] < 0)
                for (int j = 0; j < d; j++)
                    v[j] = -v[j];
            return;
        }
}

static void spectrum_histogram(spectrum_t *sp, double edge_hint)
{
    double top = sp->eval[sp->d - 1];
    sp->hist_hi = 1.05 * (top > edge_hint ? top : edge_hint);
    if (!(sp->hist_hi > 0)) sp->hist_hi = 1;
    for (int i = 0; i < sp->d; i++) {
        int b = (int)(sp->eval[i] / sp->hist_hi * sp->bins);
        if (b < 0) b = 0; /* round-off negatives of a rank-deficient covariance */
        if (b >= sp->bins) b = sp->bins - 1;
        sp->hist[b] += 1;
    }
}

void spectrum_compute(spectrum_t *sp, dmat *cov, int k, dmat_solver solver, int bins,
                      double edge_hint, double *const spikes[3])
{
    int d = cov->m;
    spectrum_alloc(sp, d, k, bins);
    dmat Z;
    dmat_init(&Z, cov->g, d, d, cov->mb, cov->nb);
    sp->info = dmat_syev(cov, sp->eval, &Z, k, solver);
    double *cols = LOG_CALLOC((size_t)k * (size_t)d, sizeof(double));
    dmat_gather_cols(&Z, d - k, k, cols);
    dmat_free(&Z);
    for (int j = 0; j < k; j++) { /* column d-1 is the largest */
        double *v = sp->vec + (size_t)j * (size_t)d;
        memcpy(v, cols + (size_t)(k - 1 - j) * (size_t)d, (size_t)d * sizeof(double));
        spectrum_fix_sign(v, d);
        for (int s = 0; s < 3; s++) {
            double o = NAN;
            if (spikes) {
                o = 0;
                for (int i = 0; i < d; i++)
                    o += v[i] * spikes[s][i];
            }
            sp->overlap[j * 3 + s] = o;
        }
    }
    free(cols);
    spectrum_histogram(sp, edge_hint);
}

void spectrum_alloc(spectrum_t *sp, int d, int k, int bins)
{
    memset(sp, 0, sizeof *sp);
    sp->d = d, sp->k = k, sp->bins = bins;
    sp->eval = LOG_CALLOC((size_t)d, sizeof(double));
    sp->vec = LOG_CALLOC((size_t)k * (size_t)d, sizeof(double));
    sp->overlap = LOG_CALLOC((size_t)k * 3, sizeof(double));
    sp->hist = LOG_CALLOC((size_t)bins, sizeof(double));
}

void spectrum_free(spectrum_t *sp)
{
    free(sp->eval);
    free(sp->vec);
    free(sp->overlap);
    free(sp->hist);
    memset(sp, 0, sizeof *sp);
}
