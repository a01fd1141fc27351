/* dataset — a user's data set: an N x d float or double array in an HDF5 file ([data] file,
 * dataset), one sample per row. Opened and checked collectively before anything is computed or
 * written (the file exists, the dataset exists, it is 2-D, floating point, N >= 2 rows,
 * d >= 3 columns, every value finite); a failure ends every rank with exit 2 and names the config
 * line, the key, the file, the dataset and what was expected. Rows are then read by ranges with
 * independent MPI-IO, converted to double. */
#ifndef MCMSIM_DATASET_H
#define MCMSIM_DATASET_H

#include <hdf5.h>

#define DATASET_STR_MAX 256   /* a path or name (the configuration's string length) */
#define DATASET_WHERE_MAX 320 /* a "file:line" origin of a key */

/* Where the data set is and where each of its keys was set, for the messages (the command
 * fills it from the configuration: cmd_data_source). */
typedef struct {
    char file[DATASET_STR_MAX];    /* data.file */
    char dataset[DATASET_STR_MAX]; /* data.dataset: path of the N x d array in the file */
    char spikes[DATASET_STR_MAX];  /* data.spikes: group of the vectors m, u, v, "none": none */
    char where_file[DATASET_WHERE_MAX], where_dataset[DATASET_WHERE_MAX],
        where_spikes[DATASET_WHERE_MAX]; /* "file:line" of each key */
} dataset_src;

typedef struct {
    hid_t file, dset;
    long n;       /* rows (samples) */
    int d;        /* columns (dimension) */
    int stored32; /* 1 when the file holds single precision */
    char file_name[DATASET_STR_MAX], name[DATASET_STR_MAX];
    dataset_src src; /* what it was opened from */
} dataset_t;

/* Collective over MPI_COMM_WORLD: opens src->file / src->dataset and validates it, the
 * finiteness scan included (each rank reads a share). */
void dataset_open(dataset_t *ds, const dataset_src *src);
/* Rows [r0, r0 + nr) into buf (nr x d, row-major doubles). Local (independent I/O). */
void dataset_read_rows(const dataset_t *ds, long r0, long nr, double *buf);
/* The unit vectors m, u, v (length d each) of the spikes group of the source, when given:
 * returns 1 and fills them; 0 when it is "none". Collective; a missing or ill-shaped vector is
 * exit 2. */
int dataset_read_spikes(const dataset_t *ds, double *m, double *u, double *v);
void dataset_close(dataset_t *ds);

#endif
