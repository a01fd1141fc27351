/* gauss_theory — the [gaussian] spectrum of a configuration (a file read collectively, bad
 * variances exit 2) and the exact theory of core/gtheory.h on the training-time grid, computed
 * with the modes dealt cyclically over the ranks and written as /gaussian (lambda, tau) and
 * /gaussian/theory. Shared by `mcmsim gaussian` (src/cli/cmd_gaussian.c) and `mcmsim run` on
 * Gaussian data (src/cli/run_gauss.c). */
#ifndef MCMSIM_GAUSS_THEORY_H
#define MCMSIM_GAUSS_THEORY_H

#include "base/cfg.h"
#include "core/gtheory.h"
#include "io/h5out.h"
#include "spec/spec_gauss.h"

enum { GS_NLEV = 3, GS_NFITCOL = 4 };

typedef struct {
    int d, nt;
    double *tau;                          /* [nt] */
    double *weight, *variance;            /* [nt][d] */
    double *loss;                         /* [nt][d] */
    double *kl;                           /* [nt][2] gen||data, data||gen */
    double *levels;                       /* [d][3] initial, final, target */
    double *emergence, *wemerge, *branch; /* [d] */
    double *loss_min;                     /* [d] */
    double alpha[GT_NFIT * GS_NFITCOL];   /* [branch][alpha, lo, hi, modes] */
} gs_result;

/* Collective: one [mcm] d and a spectrum of d positive finite variances (exit 2 otherwise).
 * spectrum = empirical: the sample covariance of gaussian.n_empirical rows of data.file or MCM
 * samples (task 0 streams) on a world grid, its eigenvalues by PDSYEVD; U (when not NULL) gets
 * the eigenvectors (d x d column-major, free with free), and stays NULL for other spectra. */
void gauss_spectrum(const cfg_resolved *cr, spec_gauss *g, double **U);
void gauss_theory_alloc(gs_result *r, int d, int nt);
void gauss_theory_free(gs_result *r);
/* Collective: every mode on the grid of g, emergence and the alpha fits (same on every rank). */
void gauss_theory_compute(const spec_gauss *g, gs_result *r);
/* Collective: the /gaussian group with its attributes, lambda, init_q, tau, /gaussian/theory. */
void gauss_theory_write(h5out_file *f, const cfg_resolved *cr, const spec_gauss *g,
                        const gs_result *r);
/* Rank 0 prints a short table (10 modes, the fits, the final KL). */
void gauss_theory_table(const spec_gauss *g, const gs_result *r);

#endif
