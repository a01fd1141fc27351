/* run_data — `mcmsim run` on a user data set (data.file != none): the configuration rules of
 * that mode, loading the rows and building the clones before any output exists, and the /data
 * group of the output file (src/cmd_run_data.c).
 *
 * Every rank holds all N x d rows (read once, independent I/O) and the replicated d x d clone
 * factor; the covariance of the training rows is accumulated and factorised by ScaLAPACK on a
 * grid over MPI_COMM_WORLD (covar.grid_rows x covar.grid_cols, covar.block, covar.block_size). */
#ifndef MCMSIM_RUN_DATA_H
#define MCMSIM_RUN_DATA_H

#include "base/cfg.h"
#include "core/clone.h"
#include "engine/engine.h"
#include "io/h5out.h"

typedef struct {
    engine_data ed;   /* what the engines and observers see (points into the fields below) */
    double *rows;     /* [n_rows][d] */
    double *spikes;   /* [3][d] m, u, v, or NULL when data.spikes = none */
    clone_t clone;    /* clones of the training rows */
    int stored32;     /* 1: the file holds single precision */
    int method_asked; /* clone.method as configured (CLONE_AUTO, ...) */
} run_data;

/* Collective (exit 2 on every rank with the key and what is expected): the rules of a run on a
 * user data set that need no file access: train.data = online, no [sweep] over beta_m, beta_u,
 * beta_v, a single mcm.d. */
void run_data_check_cfg(const cfg_resolved *cr);
/* Collective, for --dry-run: opens and validates data.file / data.dataset, checks mcm.d against
 * its columns and the train/test split (exit 2), and closes it again. Returns the row count, or
 * 0 with a warning when data.file cannot be read (yet). */
long run_data_validate(const cfg_resolved *cr);
/* Collective: everything of run_data_validate, then reads the rows and the spikes and builds the
 * clones of the training rows (covariance on the world grid, clone_build). */
void run_data_load(run_data *rd, const cfg_resolved *cr);
/* Collective: the /data group (provenance of the data set, split, clone facts) and /data/mean. */
void run_data_write(h5out_file *f, const run_data *rd, const cfg_resolved *cr);
void run_data_free(run_data *rd);

#endif
