/* dmat — BLACS grids, block-cyclic matrices and the PBLAS calls on them; see include/dmat.h.
 * The eigen/factorisation drivers are in dmat_solve.c, the HDF5 form in dmat_h5.c. */
#include "parallel/dmat.h"

#include "dmat_sl.h"
#include "base/log.h"
#include "parallel/par.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const int dmat_one_ = 1;

noreturn void dmat_die_(MPI_Comm comm, const char *file, int line, const char *func,
                        const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    int cmp = MPI_UNEQUAL, rank = 0;
    MPI_Comm_compare(comm, MPI_COMM_WORLD, &cmp);
    if (cmp == MPI_IDENT || cmp == MPI_CONGRUENT)
        log_die_collective_(LOG_EXIT_RUNTIME, file, line, func, "%s", msg);
    MPI_Comm_rank(comm, &rank);
    /* Rank 0 of comm never enters this barrier: it aborts the job instead. */
    if (rank != 0) MPI_Barrier(comm);
    log_die_local_(file, line, func, "%s (on a grid over a sub-communicator)", msg);
}

void dmat_check_info_(MPI_Comm comm, int info, const char *routine, const char *positive,
                      const char *file, int line, const char *func)
{
    if (info == 0) return;
    /* Descriptor entries are local (lld) and may differ between ranks: abort locally. */
    if (info <= -100)
        log_die_local_(file, line, func, "%s: entry %d of argument %d is illegal (info = %d)",
                       routine, -info % 100, -info / 100, info);
    if (info < 0)
        log_die_local_(file, line, func, "%s: argument %d is illegal (info = %d)", routine, -info,
                       info);
    dmat_die_(comm, file, line, func, "%s failed: %s (info = %d)", routine, positive, info);
}

double *dmat_ptr_(const dmat *A)
{
    static double dummy[1];
    return A->a ? A->a : dummy;
}

int dmat_lwork_(double query, int nb)
{
    double l = ceil(1.2 * query) + 2.0 * nb * nb + 4096;
    if (!(l < (double)INT_MAX)) LOG_DIE("ScaLAPACK work array of %.0f elements exceeds int", l);
    return (int)l;
}

void dmat_same_grid_(const dmat *A, const dmat *B, const char *what)
{
    if (A->g->ctxt != B->g->ctxt)
        DMAT_DIE(A->g->comm, "%s: the matrices live on different grids", what);
}

/* ---- grids ---- */

int dmat_grid_shape(int size, int rows, int cols, int *nprow, int *npcol, char *err, size_t nerr)
{
    if (size < 1 || rows < 0 || cols < 0) {
        snprintf(err, nerr, "invalid grid %d x %d for %d ranks", rows, cols, size);
        return 0;
    }
    if (rows == 0 && cols == 0) {
        for (rows = 1; (rows + 1) * (rows + 1) <= size; rows++)
            ;
        while (size % rows)
            rows--;
    }
    if (rows == 0 && size % cols == 0) rows = size / cols;
    if (cols == 0 && size % rows == 0) cols = size / rows;
    if (rows < 1 || cols < 1 || (long)rows * cols != size) {
        snprintf(err, nerr, "process grid %d x %d does not match %d ranks", rows, cols, size);
        return 0;
    }
    *nprow = rows;
    *npcol = cols;
    return 1;
}

void dmat_grid_init(dmat_grid *g, MPI_Comm comm, int nprow, int npcol)
{
    int size = 0, rank = 0;
    PAR_MPI(MPI_Comm_size(comm, &size));
    PAR_MPI(MPI_Comm_rank(comm, &rank));
    if (nprow < 1 || npcol < 1 || (long)nprow * npcol != size)
        DMAT_DIE(comm, "process grid %d x %d does not match the %d ranks of its communicator",
                 nprow, npcol, size);
    memset(g, 0, sizeof *g);
    g->comm = comm;
    /* The system handle is only needed to build the context (BLACS duplicates the communicator);
     * it is shared by every grid on the same communicator, so it is released at once. */
    int handle = Csys2blacs_handle(comm);
    g->ctxt = handle;
    Cblacs_gridinit(&g->ctxt, "Row", nprow, npcol);
    Cfree_blacs_system_handle(handle);
    Cblacs_gridinfo(g->ctxt, &g->nprow, &g->npcol, &g->myrow, &g->mycol);
    /* dmat_gather addresses ranks of comm by grid position: "Row" order must map them so. */
    if (g->nprow != nprow || g->npcol != npcol || g->myrow * npcol + g->mycol != rank)
        LOG_DIE("BLACS placed rank %d at (%d, %d) of a %d x %d grid; expected row-major order",
                rank, g->myrow, g->mycol, g->nprow, g->npcol);
}

void dmat_grid_free(dmat_grid *g)
{
    Cblacs_gridexit(g->ctxt);
    memset(g, 0, sizeof *g);
    g->comm = MPI_COMM_NULL;
    g->ctxt = -1;
}

/* ---- layout ---- */

static int dmat_numroc(int n, int nb, int p, int np)
{
    static const int zero = 0;
    return numroc_(&n, &nb, &p, &zero, &np);
}

/* Global index of local index l on process p of np (source process 0). */
static int dmat_l2g(int l, int nb, int p, int np)
{
    return (l / nb * np + p) * nb + l % nb;
}

static int dmat_g2l(int i, int nb, int p, int np)
{
    int blk = i / nb;
    return blk % np == p ? blk / np * nb + i % nb : -1;
}

void dmat_local_size(const dmat_grid *g, int m, int n, int mb, int nb, int *lrows, int *lcols)
{
    *lrows = dmat_numroc(m, mb, g->myrow, g->nprow);
    *lcols = dmat_numroc(n, nb, g->mycol, g->npcol);
}

void dmat_init(dmat *A, const dmat_grid *g, int m, int n, int mb, int nb)
{
    if (m < 0 || n < 0 || mb < 1 || nb < 1)
        DMAT_DIE(g->comm, "invalid distributed matrix %d x %d with %d x %d blocks", m, n, mb, nb);
    memset(A, 0, sizeof *A);
    A->g = g;
    A->m = m;
    A->n = n;
    A->mb = mb;
    A->nb = nb;
    dmat_local_size(g, m, n, mb, nb, &A->lrows, &A->lcols);
    A->lld = A->lrows > 1 ? A->lrows : 1;
    int info = 0;
    static const int zero = 0;
    descinit_(A->desc, &m, &n, &mb, &nb, &zero, &zero, &g->ctxt, &A->lld, &info);
    DMAT_INFO(g->comm, info, "DESCINIT", "invalid descriptor");
    size_t len = (size_t)A->lld * (size_t)A->lcols;
    A->a = A->lrows > 0 && A->lcols > 0 ? LOG_CALLOC(len, sizeof(double)) : NULL;
}

void dmat_free(dmat *A)
{
    free(A->a);
    memset(A, 0, sizeof *A);
}

int dmat_grow(const dmat *A, int li)
{
    return dmat_l2g(li, A->mb, A->g->myrow, A->g->nprow);
}

int dmat_gcol(const dmat *A, int lj)
{
    return dmat_l2g(lj, A->nb, A->g->mycol, A->g->npcol);
}

int dmat_lrow(const dmat *A, int i)
{
    return i < 0 || i >= A->m ? -1 : dmat_g2l(i, A->mb, A->g->myrow, A->g->nprow);
}

int dmat_lcol(const dmat *A, int j)
{
    return j < 0 || j >= A->n ? -1 : dmat_g2l(j, A->nb, A->g->mycol, A->g->npcol);
}

size_t dmat_bytes_max(int nprow, int npcol, int m, int n, int mb, int nb)
{
    /* Process (0, 0) holds the first block of each cycle: never fewer elements than others. */
    size_t r = (size_t)dmat_numroc(m, mb, 0, nprow), c = (size_t)dmat_numroc(n, nb, 0, npcol);
    return (r > 1 ? r : 1) * c * sizeof(double);
}

/* ---- local element work ---- */

static double *dmat_at(const dmat *A, int li, int lj)
{
    return A->a + (size_t)lj * (size_t)A->lld + (size_t)li;
}

void dmat_fill(dmat *A, double (*f)(int i, int j, void *ctx), void *ctx)
{
    if (!A->a) return; /* nothing held here */
    for (int lj = 0; lj < A->lcols; lj++) {
        int j = dmat_gcol(A, lj);
        double *col = dmat_at(A, 0, lj);
        for (int li = 0; li < A->lrows; li++)
            col[li] = f(dmat_grow(A, li), j, ctx);
    }
}

void dmat_from_full(dmat *A, const double *full)
{
    if (!A->a) return; /* nothing held here */
    for (int lj = 0; lj < A->lcols; lj++) {
        const double *src = full + (size_t)dmat_gcol(A, lj) * (size_t)A->m;
        double *col = dmat_at(A, 0, lj);
        for (int li = 0; li < A->lrows; li++)
            col[li] = src[dmat_grow(A, li)];
    }
}

void dmat_clone(dmat *B, const dmat *A)
{
    dmat_init(B, A->g, A->m, A->n, A->mb, A->nb);
    if (A->a) memcpy(B->a, A->a, (size_t)A->lld * (size_t)A->lcols * sizeof(double));
}

static void dmat_same_layout(const dmat *A, const dmat *B, const char *what)
{
    dmat_same_grid_(A, B, what);
    if (A->m != B->m || A->n != B->n || A->mb != B->mb || A->nb != B->nb)
        DMAT_DIE(A->g->comm, "%s: %d x %d (blocks %d x %d) and %d x %d (blocks %d x %d) differ",
                 what, A->m, A->n, A->mb, A->nb, B->m, B->n, B->mb, B->nb);
}

void dmat_axpy(dmat *B, double alpha, const dmat *A)
{
    dmat_same_layout(A, B, "dmat_axpy");
    if (!A->a) return;
    for (int lj = 0; lj < A->lcols; lj++) {
        const double *x = dmat_at(A, 0, lj);
        double *y = dmat_at(B, 0, lj);
        for (int li = 0; li < A->lrows; li++)
            y[li] += alpha * x[li];
    }
}

void dmat_scale_cols(dmat *A, const double *s)
{
    if (!A->a) return; /* nothing held here */
    for (int lj = 0; lj < A->lcols; lj++) {
        double f = s[dmat_gcol(A, lj)], *col = dmat_at(A, 0, lj);
        for (int li = 0; li < A->lrows; li++)
            col[li] *= f;
    }
}

void dmat_add_diag(dmat *A, double alpha)
{
    if (!A->a) return; /* nothing held here */
    for (int lj = 0; lj < A->lcols; lj++) {
        int li = dmat_lrow(A, dmat_gcol(A, lj));
        if (li >= 0) *dmat_at(A, li, lj) += alpha;
    }
}

/* Local rows come in runs of up to mb consecutive global rows: each run of column j is updated
 * from its first row on or below the diagonal, a contiguous loop the compiler vectorises. */
void dmat_syr_lower(dmat *C, double alpha, const double *x)
{
    if (!C->a) return; /* nothing held here */
    for (int lj = 0; lj < C->lcols; lj++) {
        int j = dmat_gcol(C, lj);
        double axj = alpha * x[j], *col = dmat_at(C, 0, lj);
        for (int l0 = 0; l0 < C->lrows; l0 += C->mb) {
            int i0 = dmat_grow(C, l0), len = C->lrows - l0 < C->mb ? C->lrows - l0 : C->mb;
            for (int r = j > i0 ? j - i0 : 0; r < len; r++)
                col[l0 + r] += axj * x[i0 + r];
        }
    }
}

/* ---- gathering: each rank in turn broadcasts its packed part (no arithmetic: bitwise) ---- */

enum dmat_pack_mode { DMAT_COUNT, DMAT_PACK, DMAT_UNPACK };

/* Process (pr, pc)'s columns in [j0, j0 + k): counted, packed from this process's A into buf
 * (then (pr, pc) must be this process), or unpacked from buf into out (m x k, column-major).
 * Returns the element count. */
static size_t dmat_pack(const dmat *A, int pr, int pc, int j0, int k, double *buf, double *out,
                        enum dmat_pack_mode mode)
{
    const dmat_grid *g = A->g;
    int lr = dmat_numroc(A->m, A->mb, pr, g->nprow), lc = dmat_numroc(A->n, A->nb, pc, g->npcol);
    size_t cnt = 0;
    if (lr == 0) return 0;
    for (int lj = 0; lj < lc; lj++) {
        int j = dmat_l2g(lj, A->nb, pc, g->npcol);
        if (j < j0 || j >= j0 + k) continue;
        if (mode == DMAT_PACK) {
            memcpy(buf + cnt, dmat_at(A, 0, lj), (size_t)lr * sizeof(double));
        } else if (mode == DMAT_UNPACK) {
            double *dst = out + (size_t)(j - j0) * (size_t)A->m;
            for (int li = 0; li < lr; li++)
                dst[dmat_l2g(li, A->mb, pr, g->nprow)] = buf[cnt + (size_t)li];
        }
        cnt += (size_t)lr;
    }
    return cnt;
}

void dmat_gather_cols(const dmat *A, int j0, int k, double *out)
{
    const dmat_grid *g = A->g;
    if (j0 < 0 || k < 0 || j0 + k > A->n)
        DMAT_DIE(g->comm, "dmat_gather_cols: columns %d..%d outside 0..%d", j0, j0 + k - 1,
                 A->n - 1);
    size_t most = (size_t)dmat_numroc(A->m, A->mb, 0, g->nprow) *
                  (size_t)dmat_numroc(A->n, A->nb, 0, g->npcol);
    if (most > INT_MAX) DMAT_DIE(g->comm, "dmat_gather_cols: local part too large for MPI_Bcast");
    double *buf = LOG_CALLOC(most > 0 ? most : 1, sizeof(double));
    for (int pr = 0; pr < g->nprow; pr++)
        for (int pc = 0; pc < g->npcol; pc++) {
            int mine = pr == g->myrow && pc == g->mycol;
            size_t cnt = dmat_pack(A, pr, pc, j0, k, buf, NULL, mine ? DMAT_PACK : DMAT_COUNT);
            if (cnt == 0) continue;
            PAR_MPI(MPI_Bcast(buf, (int)cnt, MPI_DOUBLE, pr * g->npcol + pc, g->comm));
            dmat_pack(A, pr, pc, j0, k, buf, out, DMAT_UNPACK);
        }
    free(buf);
}

void dmat_gather(const dmat *A, double *full)
{
    dmat_gather_cols(A, 0, A->n, full);
}

/* ---- PBLAS ---- */

void dmat_redist(const dmat *A, dmat *B)
{
    int cmp = MPI_UNEQUAL;
    PAR_MPI(MPI_Comm_compare(A->g->comm, B->g->comm, &cmp));
    if (cmp != MPI_IDENT && cmp != MPI_CONGRUENT)
        DMAT_DIE(A->g->comm, "dmat_redist: the grids must span the same communicator");
    if (A->m != B->m || A->n != B->n)
        DMAT_DIE(A->g->comm, "dmat_redist: %d x %d into %d x %d", A->m, A->n, B->m, B->n);
    if (A->m == 0 || A->n == 0) return;
    pdgemr2d_(&A->m, &A->n, dmat_ptr_(A), &dmat_one_, &dmat_one_, A->desc, dmat_ptr_(B), &dmat_one_,
              &dmat_one_, B->desc, &A->g->ctxt);
}

void dmat_syrk_t(dmat *C, double alpha, const dmat *X, double beta)
{
    dmat_same_grid_(C, X, "dmat_syrk_t");
    if (C->m != C->n || X->n != C->n)
        DMAT_DIE(C->g->comm, "dmat_syrk_t: C %d x %d does not match X^T X of X %d x %d", C->m, C->n,
                 X->m, X->n);
    if (C->n == 0) return;
    pdsyrk_("L", "T", &C->n, &X->m, &alpha, dmat_ptr_(X), &dmat_one_, &dmat_one_, X->desc, &beta,
            dmat_ptr_(C), &dmat_one_, &dmat_one_, C->desc);
}

void dmat_symmetrize_lower(dmat *C)
{
    if (C->m != C->n) DMAT_DIE(C->g->comm, "dmat_symmetrize_lower: C is %d x %d", C->m, C->n);
    if (C->n == 0) return;
    dmat T;
    dmat_init(&T, C->g, C->m, C->n, C->mb, C->nb);
    static const double one = 1, zero = 0;
    pdtran_(&C->m, &C->n, &one, dmat_ptr_(C), &dmat_one_, &dmat_one_, C->desc, &zero, dmat_ptr_(&T),
            &dmat_one_, &dmat_one_, T.desc);
    /* T = C^T has C's descriptor, so T(i, j) sits where C(i, j) does. */
    for (int lj = 0; C->a && lj < C->lcols; lj++) {
        int j = dmat_gcol(C, lj);
        for (int li = 0; li < C->lrows && dmat_grow(C, li) < j; li++)
            *dmat_at(C, li, lj) = *dmat_at(&T, li, lj);
    }
    dmat_free(&T);
}

void dmat_gemm(char ta, char tb, double alpha, const dmat *A, const dmat *B, double beta, dmat *C)
{
    dmat_same_grid_(A, C, "dmat_gemm");
    dmat_same_grid_(B, C, "dmat_gemm");
    if ((ta != 'N' && ta != 'T') || (tb != 'N' && tb != 'T'))
        DMAT_DIE(C->g->comm, "dmat_gemm: transposition flags '%c', '%c' (want N or T)", ta, tb);
    int m = ta == 'N' ? A->m : A->n, k = ta == 'N' ? A->n : A->m;
    int kb = tb == 'N' ? B->m : B->n, n = tb == 'N' ? B->n : B->m;
    if (k != kb || C->m != m || C->n != n)
        DMAT_DIE(C->g->comm, "dmat_gemm: %c(%d x %d) %c(%d x %d) does not fit C %d x %d", ta, A->m,
                 A->n, tb, B->m, B->n, C->m, C->n);
    if (m == 0 || n == 0) return;
    pdgemm_(&ta, &tb, &m, &n, &k, &alpha, dmat_ptr_(A), &dmat_one_, &dmat_one_, A->desc,
            dmat_ptr_(B), &dmat_one_, &dmat_one_, B->desc, &beta, dmat_ptr_(C), &dmat_one_,
            &dmat_one_, C->desc);
}

double dmat_norm(const dmat *A, char norm)
{
    if (norm != 'F' && norm != 'M' && norm != '1' && norm != 'I')
        DMAT_DIE(A->g->comm, "dmat_norm: unknown norm '%c' (want F, M, 1 or I)", norm);
    if (A->m == 0 || A->n == 0) return 0;
    /* '1' needs LOCc(n) and 'I' LOCr(m) of work. */
    double *work = LOG_CALLOC((size_t)A->lrows + (size_t)A->lcols + 1, sizeof(double));
    double r =
        pdlange_(&norm, &A->m, &A->n, dmat_ptr_(A), &dmat_one_, &dmat_one_, A->desc, work, 1);
    free(work);
    return r;
}
