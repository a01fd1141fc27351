/* Shared by the dmat MPI tests (mpi_dmat.c, mpi_dmat_h5.c): the grids every run exercises and
 * the PASS/FAIL reporting. A "level" is one grid per rank; at some levels different ranks sit on
 * different grids over sub-communicators, all at once:
 *   1 rank : 1x1 over the world
 *   2 ranks: 2x1 and 1x2 over the world (two grids on one communicator), 1x1 over each rank
 *   4 ranks: 2x2 over the world, 2x1 | 1x2 over the two halves, 1x1 over each rank
 *   other  : the near-square grid over the world, 1x1 over each rank */
#ifndef MCMSIM_DMAT_TGRID_H
#define MCMSIM_DMAT_TGRID_H

#include "parallel/dmat.h"
#include "base/log.h"
#include "parallel/par.h"

#include <math.h>
#include <mpi.h>
#include <stdio.h>

enum { TG_MAX = 4 };

typedef struct {
    char name[32]; /* the same on every rank of the level, e.g. "2x1|1x2" */
    MPI_Comm comm;
    int nprow, npcol;
} tgrid;

static int tg_failures = 0;

static inline void tg_set(tgrid *t, const char *name, MPI_Comm comm, int r, int c)
{
    snprintf(t->name, sizeof t->name, "%s", name);
    t->comm = comm;
    t->nprow = r;
    t->npcol = c;
}

/* The levels of this run; every rank gets the same count and names. */
static inline int tg_levels(tgrid *t)
{
    int np = log_size(), r = 0, c = 0, n = 0;
    char err[128];
    if (np == 2) {
        tg_set(&t[n++], "2x1", MPI_COMM_WORLD, 2, 1);
        tg_set(&t[n++], "1x2", MPI_COMM_WORLD, 1, 2);
    } else if (np == 4) {
        static MPI_Comm half = MPI_COMM_NULL;
        int h = log_rank() / 2;
        if (half == MPI_COMM_NULL) PAR_MPI(MPI_Comm_split(MPI_COMM_WORLD, h, 0, &half));
        tg_set(&t[n++], "2x2", MPI_COMM_WORLD, 2, 2);
        tg_set(&t[n++], "2x1|1x2", half, h == 0 ? 2 : 1, h == 0 ? 1 : 2);
    } else {
        if (!dmat_grid_shape(np, 0, 0, &r, &c, err, sizeof err)) LOG_DIE("%s", err);
        char name[32];
        snprintf(name, sizeof name, "%dx%d", r, c);
        tg_set(&t[n++], name, MPI_COMM_WORLD, r, c);
    }
    if (np > 1) tg_set(&t[n++], "1x1 per rank", MPI_COMM_SELF, 1, 1);
    return n;
}

/* The worst value over all ranks (each a scale-free error) against tol; need_nonzero: an error
 * of exactly 0 on any rank means a thing was compared with itself, and fails. */
static inline int tg_report(const char *what, const char *level, double err, double tol,
                            int need_nonzero)
{
    double hi = 0, lo = 0;
    err = err == err ? err : INFINITY; /* a NaN fails, whatever MPI_MAX makes of it */
    PAR_MPI(MPI_Allreduce(&err, &hi, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD));
    PAR_MPI(MPI_Allreduce(&err, &lo, 1, MPI_DOUBLE, MPI_MIN, MPI_COMM_WORLD));
    int ok = hi <= tol && !(need_nonzero && lo == 0);
    if (log_rank() == 0)
        printf("%s %s [%s]: %.3g (tolerance %.3g%s)%s\n", ok ? "PASS" : "FAIL", what, level, hi,
               tol, need_nonzero ? ", must be > 0" : "",
               ok ? "" : (lo == 0 && need_nonzero ? " exactly 0: compared with itself?" : ""));
    tg_failures += !ok;
    return ok;
}

/* A yes/no check: passes when it holds on every rank. */
static inline int tg_check(const char *what, const char *level, int ok_here)
{
    int ok = 0;
    PAR_MPI(MPI_Allreduce(&ok_here, &ok, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD));
    if (log_rank() == 0) printf("%s %s [%s]\n", ok ? "PASS" : "FAIL", what, level);
    tg_failures += !ok;
    return ok;
}

#endif
