/* dmat_h5 — the layout-independent HDF5 form of a distributed matrix; see include/io/dmat_h5.h.
 *
 * The matrix is redistributed (PDGEMR2D) to a P x 1 grid with row blocks of ceil(m / P): rank r
 * of the communicator then owns the contiguous rows r ceil(m / P) .. and writes (reads) them as
 * one hyperslab of the row-major m x n dataset, so every rank does its part of the I/O in one
 * contiguous piece and any grid reads what any grid wrote. */
#include "io/dmat_h5.h"

#include "base/log.h"
#include "parallel/par.h"
#include "parallel/h5chk.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    dmat_grid g; /* P x 1 over the matrix's communicator */
    dmat B;      /* the matrix in row blocks (local part lrows x n, column-major) */
    hsize_t row0;
} dmat_rows;

static void dmat_rows_init(dmat_rows *r, const dmat *A)
{
    int size = 0;
    PAR_MPI(MPI_Comm_size(A->g->comm, &size));
    dmat_grid_init(&r->g, A->g->comm, size, 1);
    int rb = (A->m + size - 1) / size;
    rb = rb > 0 ? rb : 1;
    dmat_init(&r->B, &r->g, A->m, A->n, rb, A->n > 0 ? A->n : 1);
    r->row0 = (hsize_t)r->g.myrow * (hsize_t)rb;
}

static void dmat_rows_free(dmat_rows *r)
{
    dmat_free(&r->B);
    dmat_grid_free(&r->g);
}

/* Between the column-major local block (lld x n) and a row-major buffer (lrows x n). */
static void dmat_rows_transpose(dmat_rows *r, double *rowmajor, int to_rowmajor)
{
    const dmat *B = &r->B;
    for (int j = 0; j < B->lcols; j++)
        for (int i = 0; i < B->lrows; i++) {
            double *c = B->a + (size_t)j * (size_t)B->lld + (size_t)i;
            double *x = rowmajor + (size_t)i * (size_t)B->n + (size_t)j;
            if (to_rowmajor)
                *x = *c;
            else
                *c = *x;
        }
}

void dmat_h5_write(const dmat *A, h5out_file *f, const char *path, const char *description,
                   const char *units)
{
    dmat_rows r;
    dmat_rows_init(&r, A);
    dmat_redist(A, &r.B);
    size_t len = (size_t)r.B.lrows * (size_t)A->n;
    double *buf = LOG_CALLOC(len > 0 ? len : 1, sizeof(double));
    if (r.B.a) dmat_rows_transpose(&r, buf, 1);
    hsize_t dims[2] = {(hsize_t)A->m, (hsize_t)A->n};
    h5out_write_rows(f, path, H5T_NATIVE_DOUBLE, 2, dims, r.row0, 1, r.B.a ? (hsize_t)r.B.lrows : 0,
                     buf, description, units);
    free(buf);
    dmat_rows_free(&r);
}

/* 1 when every group on the way to path and path itself exist (H5Lexists fails, rather than
 * answering 0, on a missing intermediate group). */
static int dmat_h5_exists(hid_t file, const char *path)
{
    char part[H5OUT_PATH_MAX];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof part) return 0;
    for (size_t i = 1; i <= n; i++) {
        if (path[i] != '/' && path[i] != '\0') continue;
        memcpy(part, path, i);
        part[i] = '\0';
        if (H5Lexists(file, part, H5P_DEFAULT) <= 0) return 0;
    }
    return 1;
}

/* The open dataset when path is a floating-point m x n dataset, or -1. */
static hid_t dmat_h5_open(hid_t file, const char *path, int m, int n)
{
    if (!dmat_h5_exists(file, path)) return -1;
    hid_t ds = H5Dopen2(file, path, H5P_DEFAULT);
    if (ds < 0) return -1;
    hid_t space = H5Dget_space(ds), type = H5Dget_type(ds);
    H5CHK(space);
    H5CHK(type);
    hsize_t dims[2] = {0, 0};
    int ok = H5Sget_simple_extent_ndims(space) == 2 && H5Tget_class(type) == H5T_FLOAT;
    ok = ok && H5Sget_simple_extent_dims(space, dims, NULL) == 2;
    ok = ok && dims[0] == (hsize_t)m && dims[1] == (hsize_t)n;
    H5CHK(H5Tclose(type));
    H5CHK(H5Sclose(space));
    if (!ok) H5CHK(H5Dclose(ds));
    return ok ? ds : -1;
}

/* Collective read of rows row0 .. row0 + nrows - 1 (nrows may be 0) as doubles. */
static void dmat_h5_read_rows(hid_t ds, hsize_t row0, hsize_t nrows, hsize_t n, double *buf)
{
    hid_t fs = H5Dget_space(ds);
    H5CHK(fs);
    hsize_t start[2] = {row0, 0}, cnt[2] = {nrows, n}, mdims[2] = {nrows > 0 ? nrows : 1, n};
    hid_t ms = H5Screate_simple(2, mdims, NULL);
    H5CHK(ms);
    if (nrows > 0 && n > 0) {
        H5CHK(H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, cnt, NULL));
    } else {
        H5CHK(H5Sselect_none(fs));
        H5CHK(H5Sselect_none(ms));
    }
    hid_t dxpl = H5Pcreate(H5P_DATASET_XFER);
    H5CHK(dxpl);
    H5CHK(H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE));
    H5CHK(H5Dread(ds, H5T_NATIVE_DOUBLE, ms, fs, dxpl, buf));
    H5CHK(H5Pclose(dxpl));
    H5CHK(H5Sclose(ms));
    H5CHK(H5Sclose(fs));
}

int dmat_h5_read(dmat *A, hid_t file, const char *path)
{
    hid_t ds = dmat_h5_open(file, path, A->m, A->n);
    int ok = ds >= 0, all = 0;
    /* Every rank read the same metadata; agreeing anyway keeps the -1 collective. */
    PAR_MPI(MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, A->g->comm));
    if (!all) {
        if (ok) H5CHK(H5Dclose(ds));
        return -1;
    }
    dmat_rows r;
    dmat_rows_init(&r, A);
    size_t len = (size_t)r.B.lrows * (size_t)A->n;
    double *buf = LOG_CALLOC(len > 0 ? len : 1, sizeof(double));
    hsize_t nrows = r.B.a ? (hsize_t)r.B.lrows : 0;
    dmat_h5_read_rows(ds, r.row0, nrows, (hsize_t)A->n, buf);
    H5CHK(H5Dclose(ds));
    if (r.B.a) dmat_rows_transpose(&r, buf, 0);
    free(buf);
    dmat_redist(&r.B, A);
    dmat_rows_free(&r);
    return 0;
}
