/* dataset — a user's N x d data set in an HDF5 file; see include/dataset.h. */
#include "parallel/dataset.h"

#include "base/limits.h"
#include "base/log.h"
#include "parallel/par.h"
#include "parallel/h5chk.h"

#include <errno.h>
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DATASET_MSG 1024

static const char *dataset_class_name(H5T_class_t k)
{
    switch (k) {
    case H5T_INTEGER:
        return "integer";
    case H5T_FLOAT:
        return "floating-point";
    case H5T_STRING:
        return "string";
    case H5T_COMPOUND:
        return "compound";
    case H5T_ENUM:
        return "enum";
    case H5T_ARRAY:
        return "array";
    default:
        return "non-numeric";
    }
}

/* Shape and type of an open dataset: a message when they are not an N x d float array. */
static void dataset_check_shape(hid_t ds, const char *where, const char *name, const char *fn,
                                char *msg, long *n, int *d, int *stored32)
{
    hid_t sp = H5Dget_space(ds), ty = H5Dget_type(ds);
    int rank = H5Sget_simple_extent_ndims(sp);
    hsize_t dims[H5S_MAX_RANK] = {0, 0};
    if (rank > 0) H5Sget_simple_extent_dims(sp, dims, NULL);
    H5T_class_t k = H5Tget_class(ty);
    size_t sz = H5Tget_size(ty);
    if (rank != 2)
        log_key_msg(msg, DATASET_MSG, where, "data", "dataset",
                    "'%s' in '%s' has %d dimension(s), expected a 2-D N x d array (one sample "
                    "per row)",
                    name, fn, rank);
    else if (k != H5T_FLOAT || sz > 8)
        log_key_msg(msg, DATASET_MSG, where, "data", "dataset",
                    "'%s' in '%s' is not a float or double array (%s, %zu bytes), expected 32- "
                    "or 64-bit floating point",
                    name, fn, dataset_class_name(k), sz);
    else if (dims[0] < 2 || dims[1] < LIMITS_MIN_D || dims[1] > LIMITS_MAX_D)
        log_key_msg(msg, DATASET_MSG, where, "data", "dataset",
                    "'%s' in '%s' is %llu x %llu, expected at least 2 rows (samples) and %d to "
                    "%d columns (dimension)",
                    name, fn, (unsigned long long)dims[0], (unsigned long long)dims[1],
                    LIMITS_MIN_D, LIMITS_MAX_D);
    *n = (long)dims[0];
    *d = (int)dims[1];
    *stored32 = sz == 4;
    H5Tclose(ty);
    H5Sclose(sp);
}

/* Rank 0 inspects the file serially so that every problem gets its own message; the verdict
 * (empty message: fine) and the shape travel to every rank. */
static void dataset_probe(const dataset_src *src, char *msg, long *n, int *d, int *stored32)
{
    const char *fn = src->file, *name = src->dataset;
    const char *wf = src->where_file, *wd = src->where_dataset;
    msg[0] = 0;
    if (access(fn, R_OK) != 0) {
        log_key_msg(msg, DATASET_MSG, wf, "data", "file",
                    "cannot read '%s' (%s), expected an HDF5 file holding the N x d data set", fn,
                    strerror(errno));
        return;
    }
    if (H5Fis_hdf5(fn) <= 0) {
        log_key_msg(msg, DATASET_MSG, wf, "data", "file",
                    "'%s' is not an HDF5 file, expected an HDF5 file holding the N x d data set",
                    fn);
        return;
    }
    hid_t f = H5Fopen(fn, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t ds = f >= 0 ? H5Dopen2(f, name, H5P_DEFAULT) : -1;
    if (ds < 0)
        log_key_msg(msg, DATASET_MSG, wd, "data", "dataset",
                    "no dataset '%s' in '%s', expected the path of an N x d array (e.g. "
                    "/samples/x0)",
                    name, fn);
    else
        dataset_check_shape(ds, wd, name, fn, msg, n, d, stored32);
    if (ds >= 0) H5Dclose(ds);
    if (f >= 0) H5Fclose(f);
}

void dataset_read_rows(const dataset_t *ds, long r0, long nr, double *buf)
{
    if (nr <= 0) return;
    if (r0 < 0 || r0 + nr > ds->n)
        LOG_DIE("rows %ld..%ld outside the %ld rows", r0, r0 + nr, ds->n);
    hsize_t start[2] = {(hsize_t)r0, 0}, count[2] = {(hsize_t)nr, (hsize_t)ds->d};
    hid_t fs = H5Dget_space(ds->dset);
    H5CHK(fs);
    H5CHK(H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL));
    hid_t ms = H5Screate_simple(2, count, NULL);
    H5CHK(ms);
    H5CHK(H5Dread(ds->dset, H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, buf));
    H5Sclose(ms);
    H5Sclose(fs);
}

/* Every rank scans a contiguous share of the rows, in chunks; the first bad value wins. */
static void dataset_check_finite(const dataset_t *ds)
{
    int rank = log_rank(), size = log_size();
    long per = (ds->n + size - 1) / size, lo = rank * per, hi = lo + per > ds->n ? ds->n : lo + per;
    long chunk = 1 + (1L << 20) / ds->d;
    double *buf = LOG_CALLOC((size_t)chunk * (size_t)ds->d, sizeof(double));
    long bad = ds->n * (long)ds->d; /* flat index of the first non-finite value */
    for (long r = lo; r < hi && bad == ds->n * (long)ds->d; r += chunk) {
        long nr = hi - r < chunk ? hi - r : chunk;
        dataset_read_rows(ds, r, nr, buf);
        for (long i = 0; i < nr * ds->d; i++)
            if (!isfinite(buf[i])) {
                bad = r * ds->d + i;
                break;
            }
    }
    free(buf);
    long first;
    PAR_MPI(MPI_Allreduce(&bad, &first, 1, MPI_LONG, MPI_MIN, MPI_COMM_WORLD));
    if (first < ds->n * (long)ds->d)
        LOG_DIE_COLL(LOG_EXIT_USAGE,
                     "%s: key 'data.dataset': '%s' in '%s' holds a non-finite value at row %ld, "
                     "column %ld, expected finite values only",
                     ds->src.where_dataset, ds->name, ds->file_name, first / ds->d, first % ds->d);
}

void dataset_open(dataset_t *ds, const dataset_src *src)
{
    memset(ds, 0, sizeof *ds);
    ds->src = *src;
    char msg[DATASET_MSG] = "";
    long n = 0;
    int d = 0, s32 = 0;
    if (log_rank() == 0) dataset_probe(src, msg, &n, &d, &s32);
    PAR_MPI(MPI_Bcast(msg, DATASET_MSG, MPI_CHAR, 0, MPI_COMM_WORLD));
    if (msg[0]) LOG_DIE_COLL(LOG_EXIT_USAGE, "%s", msg);
    long shape[3] = {n, d, s32};
    PAR_MPI(MPI_Bcast(shape, 3, MPI_LONG, 0, MPI_COMM_WORLD));
    ds->n = shape[0], ds->d = (int)shape[1], ds->stored32 = (int)shape[2];
    snprintf(ds->file_name, sizeof ds->file_name, "%s", src->file);
    snprintf(ds->name, sizeof ds->name, "%s", src->dataset);
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5CHK(fapl);
    H5CHK(H5Pset_fapl_mpio(fapl, MPI_COMM_WORLD, MPI_INFO_NULL));
    ds->file = H5Fopen(ds->file_name, H5F_ACC_RDONLY, fapl);
    H5CHK(ds->file);
    H5Pclose(fapl);
    ds->dset = H5Dopen2(ds->file, ds->name, H5P_DEFAULT);
    H5CHK(ds->dset);
    dataset_check_finite(ds);
}

/* Vector `name` (length d) of the spikes group into x; returns a message when it is unusable. */
static void dataset_vector(const dataset_t *ds, const char *group, const char *name, double *x,
                           char *msg, size_t len)
{
    char path[2 * DATASET_STR_MAX + 8];
    snprintf(path, sizeof path, "%s/%s", group, name);
    hid_t v = H5Dopen2(ds->file, path, H5P_DEFAULT);
    hid_t sp = v >= 0 ? H5Dget_space(v) : -1;
    hsize_t dims[2] = {0, 0};
    int rank = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
    if (rank == 1) H5Sget_simple_extent_dims(sp, dims, NULL);
    if (v < 0)
        snprintf(msg, len, "no dataset '%s' in '%s'", path, ds->file_name);
    else if (rank != 1 || dims[0] != (hsize_t)ds->d)
        snprintf(msg, len, "'%s' is not a vector of length d = %d", path, ds->d);
    else
        H5CHK(H5Dread(v, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, x));
    if (sp >= 0) H5Sclose(sp);
    if (v >= 0) H5Dclose(v);
}

int dataset_read_spikes(const dataset_t *ds, double *m, double *u, double *v)
{
    const char *group = ds->src.spikes;
    if (strcmp(group, "none") == 0) return 0;
    char msg[DATASET_MSG] = "";
    double *x[3] = {m, u, v};
    const char *names[3] = {"m", "u", "v"};
    for (int k = 0; k < 3 && !msg[0]; k++) /* every rank reads (independent, tiny) */
        dataset_vector(ds, group, names[k], x[k], msg, sizeof msg);
    int bad = msg[0] != 0, any;
    PAR_MPI(MPI_Allreduce(&bad, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD));
    if (any)
        LOG_DIE_COLL(LOG_EXIT_USAGE,
                     "%s: key 'data.spikes': %s, expected a group with vectors m, u and v of "
                     "length d",
                     ds->src.where_spikes, msg[0] ? msg : "a spike vector is unusable");
    return 1;
}

void dataset_close(dataset_t *ds)
{
    if (ds->dset > 0) H5Dclose(ds->dset);
    if (ds->file > 0) H5Fclose(ds->file);
    ds->dset = ds->file = 0;
}
