/* spectrum — what the eigendecomposition of a covariance tells (mcm-model.md V1, §6 PCA): every
 * eigenvalue, the top-k eigenvectors (replicated), their overlaps with the spikes m, u, v, and a
 * histogram of the spectrum. The PCA estimate of u is the top eigenvector; its squared overlap
 * with u is what BBP predicts (theory_bbp). Collective over the covariance's grid. */
#ifndef MCMSIM_SPECTRUM_H
#define MCMSIM_SPECTRUM_H

#include "parallel/dmat.h"

typedef struct {
    int d, k, bins;
    double *eval;    /* [d] ascending */
    double *vec;     /* [k][d] top eigenvectors, largest first, sign: first nonzero entry > 0 */
    double *overlap; /* [k][3] signed overlaps with m, u, v (NaN without spikes) */
    double *hist;    /* [bins] eigenvalue counts over [0, hist_hi] */
    double hist_hi;
    int info; /* eigensolver info (0: converged) */
} spectrum_t;

/* cov (d x d, full symmetric) is destroyed. spikes: m, u, v (length d each) or NULL. hist_hi:
 * upper end of the histogram, or 0 for 1.05 x max(top eigenvalue, edge_hint). */
void spectrum_compute(spectrum_t *sp, dmat *cov, int k, dmat_solver solver, int bins,
                      double edge_hint, double *const spikes[3]);
/* Zeroed arrays for d, k, bins (what spectrum_compute fills; also a receive buffer). Local. */
void spectrum_alloc(spectrum_t *sp, int d, int k, int bins);
void spectrum_free(spectrum_t *sp);

#endif
