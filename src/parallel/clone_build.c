/* clone_build — the Gaussian clone's factor; see include/parallel/clone_build.h.
 *
 * The factor is computed once, collectively, by ScaLAPACK on the covariance's grid and then
 * replicated, because every rank's observers draw clone samples independently (O(d^2) each):
 * a replicated d x d factor is what makes clone samples local and rank-layout independent up
 * to the rounding of the factorisation itself. */
#include "parallel/clone_build.h"

#include "base/log.h"
#include "parallel/par.h"

#include <cblas.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* tr(A) / d from the locally held diagonal entries, summed over the grid. */
static double clone_mean_diag(const dmat *A)
{
    double s = 0;
    for (int lj = 0; lj < A->lcols; lj++) {
        int li = dmat_lrow(A, dmat_gcol(A, lj));
        if (li >= 0) s += A->a[(size_t)lj * (size_t)A->lld + (size_t)li];
    }
    PAR_MPI(MPI_Allreduce(MPI_IN_PLACE, &s, 1, MPI_DOUBLE, MPI_SUM, A->g->comm));
    return s / A->m;
}

/* An explicit method = cholesky that fails is the user's choice to revisit, not a crash: end
 * every rank of the grid with a message. On the world grid that is a collective exit; on a
 * sub-grid (task groups) the grid's rank 0 aborts the job with the message, since the other
 * groups cannot join a collective exit. */
static void clone_die_not_pd(const dmat *A, int info, double jitter)
{
    char msg[512];
    snprintf(msg, sizeof msg,
             "clone: covariance (d = %d) is not positive definite even with clone.jitter = %g "
             "(leading minor %d, Cholesky failed); set clone.method = auto or eigen, or a larger "
             "clone.jitter",
             A->m, jitter, info);
    int cmp = MPI_UNEQUAL, rank = 0;
    PAR_MPI(MPI_Comm_compare(A->g->comm, MPI_COMM_WORLD, &cmp));
    if (cmp == MPI_IDENT || cmp == MPI_CONGRUENT) LOG_DIE_COLL(LOG_EXIT_RUNTIME, "%s", msg);
    PAR_MPI(MPI_Comm_rank(A->g->comm, &rank));
    if (rank != 0) PAR_MPI(MPI_Barrier(A->g->comm)); /* never returns: rank 0 aborts the job */
    LOG_DIE("%s", msg);
}

/* Cholesky of A + jitter sbar I into cl->F (lower, strict upper part zero). Returns the info of
 * PDPOTRF (0: done). */
static int clone_cholesky(clone_t *cl, dmat *A, double jitter)
{
    int d = cl->d;
    cl->jitter_abs = jitter * cl->sbar;
    if (cl->jitter_abs > 0) dmat_add_diag(A, cl->jitter_abs);
    int info = dmat_potrf(A);
    if (info != 0) return info;
    dmat_gather(A, cl->F);
    /* dmat_potrf zeroes the upper part already; doing it here too keeps dtrmv's contract
     * independent of that detail (the sampler reads only the lower triangle anyway). */
    for (int j = 1; j < d; j++)
        memset(&cl->F[(size_t)j * (size_t)d], 0, (size_t)j * sizeof(double));
    cl->used = CLONE_CHOLESKY;
    return 0;
}

/* F = U max(Lambda, 0)^(1/2). Eigenvalues within d eps |lambda|_max of 0 are rounding noise of a
 * singular covariance (their sign varies with the grid and the BLAS) and are set to exactly 0, so
 * directions outside the range get no variance. Eigenvalues below -d eps |lambda|_max mean the
 * matrix was not positive semi-definite: they are clipped to 0 too and counted in n_clipped,
 * which is therefore 0 for any covariance of real data, whatever its rank. A is destroyed. */
static void clone_eigen(clone_t *cl, dmat *A)
{
    int d = cl->d;
    double *w = LOG_CALLOC((size_t)d, sizeof(double));
    dmat Z;
    dmat_init(&Z, A->g, d, d, A->mb, A->nb);
    int info = dmat_syev(A, w, &Z, d, DMAT_PDSYEVD);
    if (info != 0)
        LOG_DIE_COLL(LOG_EXIT_RUNTIME,
                     "clone: eigendecomposition of the covariance (d = %d) did not converge "
                     "(ScaLAPACK info %d)",
                     d, info);
    dmat_gather(&Z, cl->F);
    dmat_free(&Z);
    double big = fmax(fabs(w[0]), fabs(w[d - 1])), tol = (double)d * DBL_EPSILON * big;
    cl->n_clipped = 0;
    for (int j = 0; j < d; j++) {
        if (w[j] < -tol) cl->n_clipped++;
        double s = w[j] > tol ? sqrt(w[j]) : 0.0;
        cblas_dscal(d, s, &cl->F[(size_t)j * (size_t)d], 1);
    }
    cl->used = CLONE_EIGEN;
    cl->jitter_abs = 0;
    free(w);
}

void clone_build(clone_t *cl, dmat *cov, const double *mu, clone_method method, double jitter)
{
    int d = cov->m;
    if (cov->n != d) LOG_DIE("clone: covariance is %d x %d, expected square", cov->m, cov->n);
    memset(cl, 0, sizeof *cl);
    cl->d = d;
    cl->mu = LOG_CALLOC((size_t)d, sizeof(double));
    memcpy(cl->mu, mu, (size_t)d * sizeof(double));
    cl->F = LOG_CALLOC((size_t)d * (size_t)d, sizeof(double));
    cl->sbar = clone_mean_diag(cov);
    if (!(cl->sbar > 0)) {
        /* A constant data set: both clones are the point mass at mu (F = 0). */
        cl->used = CLONE_EIGEN;
        return;
    }
    if (method == CLONE_EIGEN) {
        clone_eigen(cl, cov);
        return;
    }
    dmat keep; /* PDPOTRF overwrites cov: AUTO keeps a copy for the eigen fallback */
    if (method == CLONE_AUTO) dmat_clone(&keep, cov);
    int info = clone_cholesky(cl, cov, jitter);
    if (info != 0 && method == CLONE_CHOLESKY) clone_die_not_pd(cov, info, jitter);
    if (info != 0) {
        memset(cl->F, 0, (size_t)d * (size_t)d * sizeof(double));
        clone_eigen(cl, &keep);
    }
    if (method == CLONE_AUTO) dmat_free(&keep);
}
