/* dmat_solve — the ScaLAPACK drivers on dmat matrices: symmetric eigenproblems (PDSYEVD,
 * PDSYEVR), Cholesky (PDPOTRF), the Q factor of QR (PDGEQRF + PDORGQR); see include/dmat.h. */
#include "parallel/dmat.h"

#include "dmat_sl.h"
#include "base/log.h"
#include "parallel/par.h"

#include <stdlib.h>
#include <string.h>

/* ScaLAPACK's info is global for these drivers; agreeing on the extreme values makes "the same
 * on every rank" hold even if a build reports it on some ranks only. */
static int dmat_agree_info(MPI_Comm comm, int info)
{
    int lo = 0, hi = 0;
    PAR_MPI(MPI_Allreduce(&info, &lo, 1, MPI_INT, MPI_MIN, comm));
    PAR_MPI(MPI_Allreduce(&info, &hi, 1, MPI_INT, MPI_MAX, comm));
    return lo < 0 ? lo : hi;
}

static void dmat_need_square_blocks(const dmat *A, const char *routine)
{
    if (A->m != A->n)
        DMAT_DIE(A->g->comm, "%s needs a square matrix, got %d x %d", routine, A->m, A->n);
    if (A->mb != A->nb)
        DMAT_DIE(A->g->comm, "%s needs square blocks (mb == nb), got %d x %d blocks", routine,
                 A->mb, A->nb);
}

static void dmat_syev_check(const dmat *A, const dmat *Z, int k, const char *routine)
{
    dmat_need_square_blocks(A, routine);
    if (!Z) return;
    dmat_same_grid_(A, Z, "dmat_syev");
    if (Z->m != A->n || Z->n != A->n || Z->mb != A->mb || Z->nb != A->nb)
        DMAT_DIE(A->g->comm, "dmat_syev: Z (%d x %d, blocks %d x %d) must be %d x %d like A", Z->m,
                 Z->n, Z->mb, Z->nb, A->n, A->n);
    if (k < 0 || k > A->n)
        DMAT_DIE(A->g->comm, "dmat_syev: k = %d eigenvectors of a %d x %d matrix", k, A->n, A->n);
}

/* PDSYEVD computes every eigenvector; without Z it writes them to a scratch matrix. */
static int dmat_syevd(dmat *A, double *w, dmat *Z)
{
    dmat scratch;
    if (!Z) dmat_init(Z = &scratch, A->g, A->n, A->n, A->mb, A->nb);
    int info = 0, lwork = -1, liwork = -1, iq = 0;
    double q = 0;
    pdsyevd_("V", "L", &A->n, dmat_ptr_(A), &dmat_one_, &dmat_one_, A->desc, w, dmat_ptr_(Z),
             &dmat_one_, &dmat_one_, Z->desc, &q, &lwork, &iq, &liwork, &info, 1, 1);
    DMAT_INFO(A->g->comm, info, "PDSYEVD (workspace query)", "unexpected");
    lwork = dmat_lwork_(q, A->nb);
    liwork = dmat_lwork_(iq, 1);
    double *work = LOG_CALLOC((size_t)lwork, sizeof(double));
    int *iwork = LOG_CALLOC((size_t)liwork, sizeof(int));
    pdsyevd_("V", "L", &A->n, dmat_ptr_(A), &dmat_one_, &dmat_one_, A->desc, w, dmat_ptr_(Z),
             &dmat_one_, &dmat_one_, Z->desc, work, &lwork, iwork, &liwork, &info, 1, 1);
    free(work);
    free(iwork);
    if (Z == &scratch) dmat_free(&scratch);
    return info;
}

typedef struct {
    char jobz, range;
    int il, iu; /* one-based, for range 'I' */
} dmat_evr_job;

/* One PDSYEVR call with its workspace query; eigenvectors (jobz 'V') go to Z's first columns.
 * Returns info; *found is the number of eigenvalues found. */
static int dmat_syevr_run(dmat *A, dmat_evr_job j, double *w, dmat *Z, int *found)
{
    const dmat *z = Z ? Z : A; /* not referenced for jobz 'N', but its descriptor is checked */
    double vl = 0, vu = 0, q = 0;
    int info = 0, nz = 0, lwork = -1, liwork = -1, iq = 0;
    pdsyevr_(&j.jobz, &j.range, "L", &A->n, dmat_ptr_(A), &dmat_one_, &dmat_one_, A->desc, &vl, &vu,
             &j.il, &j.iu, found, &nz, w, dmat_ptr_(z), &dmat_one_, &dmat_one_, z->desc, &q, &lwork,
             &iq, &liwork, &info, 1, 1, 1);
    DMAT_INFO(A->g->comm, info, "PDSYEVR (workspace query)", "unexpected");
    lwork = dmat_lwork_(q, A->nb);
    liwork = dmat_lwork_(iq, 1);
    double *work = LOG_CALLOC((size_t)lwork, sizeof(double));
    int *iwork = LOG_CALLOC((size_t)liwork, sizeof(int));
    pdsyevr_(&j.jobz, &j.range, "L", &A->n, dmat_ptr_(A), &dmat_one_, &dmat_one_, A->desc, &vl, &vu,
             &j.il, &j.iu, found, &nz, w, dmat_ptr_(z), &dmat_one_, &dmat_one_, z->desc, work,
             &lwork, iwork, &liwork, &info, 1, 1, 1);
    free(work);
    free(iwork);
    return info;
}

/* Z's columns j0 .. j0+k-1 (zero-based) move to its last k, through a scratch n x k since the
 * two ranges may overlap. */
static void dmat_cols_to_end(dmat *Z, int j0, int k)
{
    dmat T;
    dmat_init(&T, Z->g, Z->m, k, Z->mb, Z->nb);
    int js = j0 + 1, jz = Z->n - k + 1;
    pdgemr2d_(&Z->m, &k, dmat_ptr_(Z), &dmat_one_, &js, Z->desc, dmat_ptr_(&T), &dmat_one_,
              &dmat_one_, T.desc, &Z->g->ctxt);
    pdgemr2d_(&Z->m, &k, dmat_ptr_(&T), &dmat_one_, &dmat_one_, T.desc, dmat_ptr_(Z), &dmat_one_,
              &jz, Z->desc, &Z->g->ctxt);
    dmat_free(&T);
}

static void dmat_found(const dmat *A, int found, int want)
{
    if (found != want)
        DMAT_DIE(A->g->comm, "PDSYEVR found %d eigenvalues of %d asked", found, want);
}

/* All eigenvalues (jobz 'N'), then only the top vectors (range 'I'): the vectors of the rest of
 * the spectrum are never computed. A copy of A is needed since each call destroys it.
 * ScaLAPACK 2.2's PDSYEVR gives PDORMTR a work size computed from the number of vectors wanted,
 * whatever LWORK is; below min(n, nb) vectors that is too small (PDORMTR: "parameter number 16
 * had an illegal value"), so at least min(n, nb) are computed and the top k kept. */
static int dmat_syevr(dmat *A, double *w, dmat *Z, int k)
{
    int n = A->n, found = 0, info, kk = k > 0 && k < A->nb ? (n < A->nb ? n : A->nb) : k;
    if (!Z || k == 0 || kk == n) {
        dmat_evr_job all = {Z && k ? 'V' : 'N', 'A', 1, n};
        info = dmat_syevr_run(A, all, w, Z && k ? Z : NULL, &found);
        if (info == 0) dmat_found(A, found, n);
        return info;
    }
    dmat C;
    dmat_clone(&C, A);
    dmat_evr_job values = {'N', 'A', 1, n}, top = {'V', 'I', n - kk + 1, n};
    info = dmat_syevr_run(&C, values, w, NULL, &found);
    dmat_free(&C);
    if (info != 0) return info;
    dmat_found(A, found, n);
    /* The top call's own eigenvalues agree with w to rounding; w keeps the all-values set so
     * that it stays sorted. */
    double *wk = LOG_CALLOC((size_t)n, sizeof(double));
    info = dmat_syevr_run(A, top, wk, Z, &found);
    free(wk);
    if (info != 0) return info;
    dmat_found(A, found, kk);
    dmat_cols_to_end(Z, kk - k, k);
    return 0;
}

int dmat_syev(dmat *A, double *w, dmat *Z, int k, dmat_solver solver)
{
    const char *name = solver == DMAT_PDSYEVD ? "PDSYEVD" : "PDSYEVR";
    dmat_syev_check(A, Z, k, name);
    if (A->n == 0) return 0;
    int info = solver == DMAT_PDSYEVD ? dmat_syevd(A, w, Z) : dmat_syevr(A, w, Z, k);
    info = dmat_agree_info(A->g->comm, info);
    if (info < 0) DMAT_INFO(A->g->comm, info, name, "");
    /* PDSYEVD leaves w unset on ranks that own no block of A (n < nb * nprow * npcol); comm
     * rank 0 sits at grid (0, 0), owns block (0, 0) and so always has the values. */
    PAR_MPI(MPI_Bcast(w, A->n, MPI_DOUBLE, 0, A->g->comm));
    return info;
}

int dmat_potrf(dmat *A)
{
    dmat_need_square_blocks(A, "PDPOTRF");
    if (A->n == 0) return 0;
    int info = 0;
    pdpotrf_("L", &A->n, dmat_ptr_(A), &dmat_one_, &dmat_one_, A->desc, &info, 1);
    info = dmat_agree_info(A->g->comm, info);
    if (info < 0) DMAT_INFO(A->g->comm, info, "PDPOTRF", "");
    for (int lj = 0; A->a && lj < A->lcols; lj++) {
        int j = dmat_gcol(A, lj);
        for (int li = 0; li < A->lrows && dmat_grow(A, li) < j; li++)
            A->a[(size_t)lj * (size_t)A->lld + (size_t)li] = 0;
    }
    return info;
}

void dmat_qr_q(dmat *A)
{
    if (A->m < A->n) DMAT_DIE(A->g->comm, "dmat_qr_q needs m >= n, got %d x %d", A->m, A->n);
    if (A->n == 0) return;
    int info = 0, lwork = -1;
    double q = 0, *tau = LOG_CALLOC((size_t)A->lcols + 1, sizeof(double));
    pdgeqrf_(&A->m, &A->n, dmat_ptr_(A), &dmat_one_, &dmat_one_, A->desc, tau, &q, &lwork, &info);
    DMAT_INFO(A->g->comm, info, "PDGEQRF (workspace query)", "unexpected");
    lwork = dmat_lwork_(q, A->nb);
    double *work = LOG_CALLOC((size_t)lwork, sizeof(double));
    pdgeqrf_(&A->m, &A->n, dmat_ptr_(A), &dmat_one_, &dmat_one_, A->desc, tau, work, &lwork, &info);
    DMAT_INFO(A->g->comm, info, "PDGEQRF", "unexpected");
    free(work);
    lwork = -1;
    pdorgqr_(&A->m, &A->n, &A->n, dmat_ptr_(A), &dmat_one_, &dmat_one_, A->desc, tau, &q, &lwork,
             &info);
    DMAT_INFO(A->g->comm, info, "PDORGQR (workspace query)", "unexpected");
    lwork = dmat_lwork_(q, A->nb);
    work = LOG_CALLOC((size_t)lwork, sizeof(double));
    pdorgqr_(&A->m, &A->n, &A->n, dmat_ptr_(A), &dmat_one_, &dmat_one_, A->desc, tau, work, &lwork,
             &info);
    DMAT_INFO(A->g->comm, info, "PDORGQR", "unexpected");
    free(work);
    free(tau);
}
