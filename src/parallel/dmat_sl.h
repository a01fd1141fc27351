/* dmat_sl — private to the dmat sources: the BLACS, PBLAS and ScaLAPACK prototypes (the
 * libraries ship no C header) and the helpers the dmat files share. Nothing outside src/dmat*.c
 * includes this. */
#ifndef MCMSIM_DMAT_SL_H
#define MCMSIM_DMAT_SL_H

#include "parallel/dmat.h"

#include <mpi.h>
#include <stddef.h>
#include <stdnoreturn.h>

/* BLACS C interface (Debian's BLACS takes a C MPI_Comm). */
int Csys2blacs_handle(MPI_Comm comm);
void Cfree_blacs_system_handle(int handle);
void Cblacs_get(int ctxt, int what, int *val);
void Cblacs_gridinit(int *ctxt, const char *order, int nprow, int npcol);
void Cblacs_gridinfo(int ctxt, int *nprow, int *npcol, int *myrow, int *mycol);
void Cblacs_gridexit(int ctxt);

/* ScaLAPACK tools (Fortran, no character arguments). */
int numroc_(const int *n, const int *nb, const int *iproc, const int *isrcproc, const int *nprocs);
void descinit_(int *desc, const int *m, const int *n, const int *mb, const int *nb,
               const int *irsrc, const int *icsrc, const int *ictxt, const int *lld, int *info);

/* PBLAS and the redistribution routine are written in C: no hidden string lengths. */
void pdsyrk_(const char *uplo, const char *trans, const int *n, const int *k, const double *alpha,
             const double *a, const int *ia, const int *ja, const int *desca, const double *beta,
             double *c, const int *ic, const int *jc, const int *descc);
void pdgemm_(const char *ta, const char *tb, const int *m, const int *n, const int *k,
             const double *alpha, const double *a, const int *ia, const int *ja, const int *desca,
             const double *b, const int *ib, const int *jb, const int *descb, const double *beta,
             double *c, const int *ic, const int *jc, const int *descc);
void pdtran_(const int *m, const int *n, const double *alpha, const double *a, const int *ia,
             const int *ja, const int *desca, const double *beta, double *c, const int *ic,
             const int *jc, const int *descc);
void pdgemr2d_(const int *m, const int *n, const double *a, const int *ia, const int *ja,
               const int *desca, double *b, const int *ib, const int *jb, const int *descb,
               const int *ictxt);

/* ScaLAPACK drivers are Fortran: every CHARACTER argument has a hidden length appended (size_t
 * with gfortran >= 8). Passing them keeps tail calls inside the library from reading garbage. */
double pdlange_(const char *norm, const int *m, const int *n, const double *a, const int *ia,
                const int *ja, const int *desca, double *work, size_t lnorm);
void pdsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *ia,
              const int *ja, const int *desca, double *w, double *z, const int *iz, const int *jz,
              const int *descz, double *work, const int *lwork, int *iwork, const int *liwork,
              int *info, size_t ljobz, size_t luplo);
void pdsyevr_(const char *jobz, const char *range, const char *uplo, const int *n, double *a,
              const int *ia, const int *ja, const int *desca, const double *vl, const double *vu,
              const int *il, const int *iu, int *m, int *nz, double *w, double *z, const int *iz,
              const int *jz, const int *descz, double *work, const int *lwork, int *iwork,
              const int *liwork, int *info, size_t ljobz, size_t lrange, size_t luplo);
void pdpotrf_(const char *uplo, const int *n, double *a, const int *ia, const int *ja,
              const int *desca, int *info, size_t luplo);
void pdgeqrf_(const int *m, const int *n, double *a, const int *ia, const int *ja, const int *desca,
              double *tau, double *work, const int *lwork, int *info);
void pdorgqr_(const int *m, const int *n, const int *k, double *a, const int *ia, const int *ja,
              const int *desca, const double *tau, double *work, const int *lwork, int *info);

/* One-based global index of the whole matrix, for the ia/ja arguments. */
extern const int dmat_one_;

/* A failure every rank of comm sees. comm congruent to MPI_COMM_WORLD: LOG_DIE_COLL (rank 0
 * prints, all finalize). A sub-communicator: the other world ranks never reach this point, so a
 * collective exit would hang them; rank 0 of comm aborts the job with the message (printed once)
 * while the others wait for that abort. */
noreturn void dmat_die_(MPI_Comm comm, const char *file, int line, const char *func,
                        const char *fmt, ...) __attribute__((format(printf, 5, 6)));
#define DMAT_DIE(comm, ...) dmat_die_((comm), __FILE__, __LINE__, __func__, __VA_ARGS__)

/* Die unless info == 0: info < 0 names the illegal argument, info > 0 the routine's meaning. */
void dmat_check_info_(MPI_Comm comm, int info, const char *routine, const char *positive,
                      const char *file, int line, const char *func);
#define DMAT_INFO(comm, info, routine, positive)                                                   \
    dmat_check_info_((comm), (info), (routine), (positive), __FILE__, __LINE__, __func__)

/* A's local array, or a valid dummy address when A holds nothing here (ScaLAPACK never touches
 * it then, but some builds check the pointer). */
double *dmat_ptr_(const dmat *A);
/* Work array length from a workspace query: pdsyevd/pdsyevr under-report on some grids, so
 * every query gets a margin. Dies (local) when it exceeds the int range. */
int dmat_lwork_(double query, int nb);
/* Both matrices on the same grid (same BLACS context), or die. */
void dmat_same_grid_(const dmat *A, const dmat *B, const char *what);

#endif
