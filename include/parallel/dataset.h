/* dataset — a user's data set: an N x d float or double array in an HDF5 file ([data] file,
 * dataset), one sample per row. Opened and checked collectively before anything is computed or
 * written (the file exists, the dataset exists, it is 2-D, floating point, N >= 2 rows,
 * d >= 3 columns, every value finite); a failure ends every rank with exit 2 and names the config
 * line, the key, the file, the dataset and what was expected. Rows are then read by ranges with
 * independent MPI-IO, converted to double. */
#ifndef MCMSIM_DATASET_H
#define MCMSIM_DATASET_H

#include "base/cfg.h"

#include <hdf5.h>

typedef struct {
    hid_t file, dset;
    long n;       /* rows (samples) */
    int d;        /* columns (dimension) */
    int stored32; /* 1 when the file holds single precision */
    char file_name[CFG_STR_MAX], name[CFG_STR_MAX];
} dataset_t;

/* 1 when the configuration names a data file (data.file != none). */
int dataset_configured(const cfg_t *c);
/* Collective over MPI_COMM_WORLD: opens data.file / data.dataset of c and validates it, the
 * finiteness scan included (each rank reads a share). */
void dataset_open(dataset_t *ds, const cfg_resolved *c);
/* Rows [r0, r0 + nr) into buf (nr x d, row-major doubles). Local (independent I/O). */
void dataset_read_rows(const dataset_t *ds, long r0, long nr, double *buf);
/* The unit vectors m, u, v (length d each) of group data.spikes, when configured: returns 1 and
 * fills them; 0 when data.spikes = none. Collective; a missing or ill-shaped vector is exit 2. */
int dataset_read_spikes(const dataset_t *ds, const cfg_resolved *c, double *m, double *u,
                        double *v);
void dataset_close(dataset_t *ds);

#endif
