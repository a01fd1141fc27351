/* dmat — the one owner of BLACS and ScaLAPACK: process grids, block-cyclic descriptors,
 * distributed dense matrices, the ScaLAPACK/PBLAS calls on them, and their layout-independent
 * HDF5 form. No other module sees a descriptor or a BLACS context.
 *
 * A grid spans every rank of a communicator (world, or a sub-communicator for task groups),
 * row-major ("Row" order), near-square by default. Matrices are column-major locally (lld >= 1),
 * blocks mb x nb. Every `info` is checked; a failure that every rank of the grid sees ends the job
 * collectively when the grid spans MPI_COMM_WORLD (exit 1, message printed once); on a grid over a
 * sub-communicator the other world ranks cannot take part, so grid rank 0 aborts the job with the
 * message instead. Anything local aborts with the rank. All functions below are collective over
 * the grid unless they say "local"; all matrices of one call must live on the same grid. */
#ifndef MCMSIM_DMAT_H
#define MCMSIM_DMAT_H

#include <mpi.h>
#include <stddef.h>

typedef struct {
    MPI_Comm comm; /* the communicator the grid spans (not owned) */
    int ctxt;      /* BLACS context */
    int nprow, npcol, myrow, mycol;
} dmat_grid;

typedef struct {
    const dmat_grid *g;
    int m, n;         /* global size */
    int mb, nb;       /* block size */
    int lrows, lcols; /* local size */
    int lld;          /* local leading dimension, max(1, lrows) */
    int desc[9];      /* ScaLAPACK descriptor */
    double *a;        /* local part, lld x lcols column-major (NULL when empty) */
} dmat;

typedef enum { DMAT_PDSYEVD, DMAT_PDSYEVR } dmat_solver;

/* Grid shape for `size` ranks: rows x cols as asked (0, 0: the near-square factorisation with
 * rows <= cols; one of them 0: the other from size). Returns 1, or 0 with a reason in err when
 * rows * cols != size. Local. */
int dmat_grid_shape(int size, int rows, int cols, int *nprow, int *npcol, char *err, size_t nerr);
/* Creates the BLACS grid over comm (nprow * npcol must equal its size); rank r of comm sits at
 * (r / npcol, r % npcol). Several grids may share one communicator. */
void dmat_grid_init(dmat_grid *g, MPI_Comm comm, int nprow, int npcol);
void dmat_grid_free(dmat_grid *g);

/* A zeroed m x n matrix with mb x nb blocks (both >= 1). */
void dmat_init(dmat *A, const dmat_grid *g, int m, int n, int mb, int nb);
void dmat_free(dmat *A);
/* Local sizes of an m x n matrix on this grid position, without allocating (numroc). Local. */
void dmat_local_size(const dmat_grid *g, int m, int n, int mb, int nb, int *lrows, int *lcols);
/* Global index of local row li / local column lj. Local. */
int dmat_grow(const dmat *A, int li);
int dmat_gcol(const dmat *A, int lj);
/* Local index of global row i / column j, or -1 when another grid row/column owns it. Local. */
int dmat_lrow(const dmat *A, int i);
int dmat_lcol(const dmat *A, int j);

/* B: a new matrix on A's grid with A's size and blocking, holding a copy of A (local). */
void dmat_clone(dmat *B, const dmat *A);
/* B = A for an initialised B of the same global size with any blocking, on any grid over the
 * same communicator as A's (PDGEMR2D). */
void dmat_redist(const dmat *A, dmat *B);
/* B += alpha A, both with the same size, blocking and grid (local). */
void dmat_axpy(dmat *B, double alpha, const dmat *A);
/* Column j multiplied by s[j] (s of length n on every rank; local work). */
void dmat_scale_cols(dmat *A, const double *s);

/* Set every element from a function of its global indices (local work only, no communication). */
void dmat_fill(dmat *A, double (*f)(int i, int j, void *ctx), void *ctx);
/* A from a column-major m x n array that every rank holds (local copy). */
void dmat_from_full(dmat *A, const double *full);
/* The whole matrix, column-major m x n, on every rank of the grid (bitwise: each rank's part is
 * broadcast in turn, no arithmetic). Each local part must hold < 2^31 elements. */
void dmat_gather(const dmat *A, double *full);
/* Columns j0 .. j0+k-1, column-major m x k, on every rank of the grid. */
void dmat_gather_cols(const dmat *A, int j0, int k, double *out);

/* C = alpha X^T X + beta C on the lower triangle (PDSYRK); X is n x m, C is m x m. */
void dmat_syrk_t(dmat *C, double alpha, const dmat *X, double beta);
/* C += alpha x x^T on the lower triangle, x (length m) given on every rank (local work). */
void dmat_syr_lower(dmat *C, double alpha, const double *x);
/* Copy the lower triangle into the upper one (C becomes a full symmetric matrix). */
void dmat_symmetrize_lower(dmat *C);
/* C = alpha op(A) op(B) + beta C (PDGEMM); ta, tb are 'N' or 'T'. */
void dmat_gemm(char ta, char tb, double alpha, const dmat *A, const dmat *B, double beta, dmat *C);
/* Frobenius ('F'), max-abs ('M'), one ('1') or infinity ('I') norm (PDLANGE). */
double dmat_norm(const dmat *A, char norm);
/* A = A + alpha I. */
void dmat_add_diag(dmat *A, double alpha);

/* Eigenvalues of the symmetric A (lower triangle used; A is destroyed): all n eigenvalues,
 * ascending, in w on every rank. When Z (n x n, same blocking as A) is given, the eigenvectors of
 * the k largest eigenvalues land in Z's last k columns (pdsyevd computes all of them and Z holds
 * every eigenvector in ascending order; pdsyevr computes only max(k, min(n, nb)) of them, Z's other
 * columns are then scratch). Needs mb == nb (dies collectively otherwise). Without Z, pdsyevd
 * still computes vectors into a scratch n x n (it has no values-only mode); pdsyevr does not.
 * Returns 0, or the ScaLAPACK info (> 0: no convergence), the same on every rank. */
int dmat_syev(dmat *A, double *w, dmat *Z, int k, dmat_solver solver);
/* Cholesky factor L (lower; the strict upper part is zeroed). Needs mb == nb. Returns 0, or
 * info > 0 when the leading minor of that order is not positive definite (same on every rank). */
int dmat_potrf(dmat *A);
/* Replace A (m x n, m >= n) by the Q factor of its QR decomposition (PDGEQRF + PDORGQR). */
void dmat_qr_q(dmat *A);

/* Bytes per rank for an m x n matrix on this grid with mb x nb blocks (the largest local part,
 * for --dry-run and README). Local. */
size_t dmat_bytes_max(int nprow, int npcol, int m, int n, int mb, int nb);

#endif
