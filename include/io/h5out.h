/* h5out — the HDF5 output files of mcmsim, schema v1, written with parallel HDF5.
 *
 * A file is created as OUTPUT.partial with root attribute complete = 0, filled collectively
 * (ranks with nothing to write still take part), stamped complete = 1 as the last write, closed,
 * and only then renamed to OUTPUT by rank 0. A file without complete = 1, or with the .partial
 * suffix, is never a finished run. Every dataset carries `description` and `units`. */
#ifndef MCMSIM_H5OUT_H
#define MCMSIM_H5OUT_H

#include "base/cfg.h"

#include <hdf5.h>
#include <mpi.h>

#define H5OUT_SCHEMA_VERSION 1
#define H5OUT_PATH_MAX 4096

typedef struct {
    hid_t file;
    hid_t dxpl; /* collective transfer */
    char path[H5OUT_PATH_MAX];
    char partial[H5OUT_PATH_MAX];
} h5out_file;

/* Collective. Creates OUTPUT.partial with the provenance attributes and /config. A file that
 * cannot be created is a usage error (exit 2) on all ranks, before anything is computed. */
void h5out_create(h5out_file *f, const char *path, const cfg_resolved *cfg, const char *command);
/* Collective. Copies the finished file src to OUTPUT.partial (rank 0) and opens the copy for
 * writing, marked complete = 0 until h5out_finish; src is untouched (it may equal path). */
void h5out_reopen(h5out_file *f, const char *src, const char *path);
/* Collective. Removes the object at path if it exists. */
void h5out_remove(h5out_file *f, const char *path);
/* Collective. Closes without stamping and removes OUTPUT.partial (a run stopped to continue). */
void h5out_abandon(h5out_file *f);
/* Collective. Stamps end time and complete = 1, closes, renames to the final name. */
void h5out_finish(h5out_file *f);

/* Collective. Creates a group with a description attribute. */
void h5out_group(h5out_file *f, const char *path, const char *description);

/* Collective. Creates dataset `path` of `rank` dims and element type `type`; this rank writes
 * nrows rows (along dim 0) at rows row0, row0 + stride, ... from buf (contiguous rows). */
void h5out_write_rows(h5out_file *f, const char *path, hid_t type, int rank, const hsize_t *dims,
                      hsize_t row0, hsize_t stride, hsize_t nrows, const void *buf,
                      const char *description, const char *units);
/* The same in two steps, for datasets written in several rounds: every rank calls
 * h5out_write_slab the same number of times (nrows may be 0). */
hid_t h5out_create_dataset(h5out_file *f, const char *path, hid_t type, int rank,
                           const hsize_t *dims, const char *description, const char *units);
void h5out_write_slab(h5out_file *f, hid_t ds, hid_t type, hsize_t row0, hsize_t stride,
                      hsize_t nrows, const void *buf);
/* Collective. Like h5out_write_rows for an arbitrary ascending list of rows. */
void h5out_write_rowlist(h5out_file *f, const char *path, hid_t type, int rank, const hsize_t *dims,
                         const hsize_t *rows, hsize_t nrows, const void *buf,
                         const char *description, const char *units);
/* Collective. Whole dataset given identically on every rank; rank 0 writes it. */
void h5out_write_all(h5out_file *f, const char *path, hid_t type, int rank, const hsize_t *dims,
                     const void *buf, const char *description, const char *units);

/* Attributes on object `obj` (a path relative to loc, "." for loc itself). Collective: every
 * rank passes the same value. */
void h5out_attr_str(hid_t loc, const char *obj, const char *name, const char *value);
void h5out_attr_double(hid_t loc, const char *obj, const char *name, double value);
void h5out_attr_long(hid_t loc, const char *obj, const char *name, long value);

#endif
