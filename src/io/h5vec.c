/* h5vec — a whole 1-D floating-point HDF5 dataset; see include/io/h5vec.h. */
#include "io/h5vec.h"

#include "base/log.h"
#include "parallel/h5chk.h"
#include "parallel/par.h"

#include <errno.h>
#include <hdf5.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define H5VEC_MSG 1024

/* Shape and type of an open dataset; a message when it is not a usable vector. */
static void h5vec_check(hid_t ds, const h5vec_src *s, long max_n, char *msg, long *n)
{
    hid_t sp = H5Dget_space(ds), ty = H5Dget_type(ds);
    int rank = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
    hsize_t dims[H5S_MAX_RANK] = {0};
    if (rank > 0) H5Sget_simple_extent_dims(sp, dims, NULL);
    H5T_class_t k = H5Tget_class(ty);
    size_t sz = H5Tget_size(ty);
    if (rank != 1)
        log_key_msg(msg, H5VEC_MSG, s->where_dataset, s->section, s->key_dataset,
                    "'%s' in '%s' has %d dimension(s), expected a 1-D array", s->dataset, s->file,
                    rank);
    else if (k != H5T_FLOAT || sz > 8)
        log_key_msg(msg, H5VEC_MSG, s->where_dataset, s->section, s->key_dataset,
                    "'%s' in '%s' is not a float or double array, expected 32- or 64-bit "
                    "floating point",
                    s->dataset, s->file);
    else if (dims[0] < 1 || dims[0] > (hsize_t)max_n)
        log_key_msg(msg, H5VEC_MSG, s->where_dataset, s->section, s->key_dataset,
                    "'%s' in '%s' holds %llu values, expected 1 to %ld", s->dataset, s->file,
                    (unsigned long long)dims[0], max_n);
    *n = (long)dims[0];
    if (ty >= 0) H5Tclose(ty);
    if (sp >= 0) H5Sclose(sp);
}

/* Rank 0: every problem gets its own message; on success the values are read into *out. */
static void h5vec_probe(const h5vec_src *s, long max_n, char *msg, long *n, double **out)
{
    msg[0] = 0;
    if (access(s->file, R_OK) != 0) {
        log_key_msg(msg, H5VEC_MSG, s->where_file, s->section, s->key_file,
                    "cannot read '%s' (%s), expected an HDF5 file", s->file, strerror(errno));
        return;
    }
    if (H5Fis_hdf5(s->file) <= 0) {
        log_key_msg(msg, H5VEC_MSG, s->where_file, s->section, s->key_file,
                    "'%s' is not an HDF5 file, expected an HDF5 file", s->file);
        return;
    }
    hid_t f = H5Fopen(s->file, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t ds = f >= 0 ? H5Dopen2(f, s->dataset, H5P_DEFAULT) : -1;
    if (ds < 0)
        log_key_msg(msg, H5VEC_MSG, s->where_dataset, s->section, s->key_dataset,
                    "no dataset '%s' in '%s', expected the path of a 1-D array", s->dataset,
                    s->file);
    else
        h5vec_check(ds, s, max_n, msg, n);
    if (!msg[0]) {
        *out = LOG_CALLOC((size_t)*n, sizeof(double));
        H5CHK(H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, *out));
    }
    if (ds >= 0) H5Dclose(ds);
    if (f >= 0) H5Fclose(f);
}

double *h5vec_read(const h5vec_src *src, long max_n, long *n)
{
    char msg[H5VEC_MSG] = "";
    double *v = NULL;
    long len = 0;
    if (log_rank() == 0) h5vec_probe(src, max_n, msg, &len, &v);
    PAR_MPI(MPI_Bcast(msg, H5VEC_MSG, MPI_CHAR, 0, MPI_COMM_WORLD));
    if (msg[0]) LOG_DIE_COLL(LOG_EXIT_USAGE, "%s", msg);
    PAR_MPI(MPI_Bcast(&len, 1, MPI_LONG, 0, MPI_COMM_WORLD));
    if (!v) v = LOG_CALLOC((size_t)len, sizeof(double));
    PAR_MPI(MPI_Bcast(v, (int)len, MPI_DOUBLE, 0, MPI_COMM_WORLD));
    *n = len;
    return v;
}
