/* dmat_h5 — the layout-independent HDF5 form of a distributed matrix (src/io/dmat_h5.c). */
#ifndef MCMSIM_DMAT_H5_H
#define MCMSIM_DMAT_H5_H

#include "io/h5out.h"
#include "parallel/dmat.h"

/* Write A as a plain m x n dataset at path of f's file, element (i, j) at [i][j], whatever the
 * grid; f must be open on the grid's communicator. Parallel: A is redistributed to row blocks of
 * ceil(m / P) rows and each rank writes its rows as one hyperslab (extra memory per rank: two
 * copies of m n / P doubles). The dataset gets the attributes description and units. */
void dmat_h5_write(const dmat *A, h5out_file *f, const char *path, const char *description,
                   const char *units);
/* Read an m x n double (or float) dataset written by any grid into A (already initialised with
 * the expected size and any blocking); file is open on the grid's communicator with MPI-IO.
 * Returns 0, or -1 when the dataset (or a group on its path) is missing, is not a 2-d floating-
 * point dataset, or its shape differs (same on every rank). */
int dmat_h5_read(dmat *A, hid_t file, const char *path);

#endif
