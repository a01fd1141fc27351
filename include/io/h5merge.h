/* h5merge — the HDF5 side of `mcmsim merge` (src/io/h5merge.c): reading finished run outputs
 * and assembling their per-task rows into one file.
 *
 * A merge runs as one process: the inputs are read with serial HDF5 and the output, an h5out
 * file (complete/rename protocol), is written by the only rank. Per-task datasets ([task][...]
 * under /series, /crossing, /summary) are copied row by row to the row of the task in the whole
 * task list; their types, shapes and attributes are those of the inputs, so the result holds the
 * bytes one run of every task would have written. */
#ifndef MCMSIM_H5MERGE_H
#define MCMSIM_H5MERGE_H

#include "io/h5out.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *path;
    hid_t fid;
    int ntask;    /* rows of /tasks/id */
    uint64_t *id; /* the stable ids of the input's tasks */
} h5merge_in;

/* Opens a finished run output read-only: complete = 1 and a task table. 0 on success, else the
 * reason in why (nothing to close). */
int h5merge_open(h5merge_in *in, const char *path, char *why, size_t len);
void h5merge_close(h5merge_in *in);
/* Text attribute `name` of object `obj` into buf; 0 when it exists and is text. */
int h5merge_attr_text(hid_t loc, const char *obj, const char *name, char *buf, size_t len);
/* The fixed-length text dataset at path (e.g. /config/raw) into buf; 0 on success. */
int h5merge_text(hid_t fid, const char *path, char *buf, size_t len);
/* Copies attribute `name` of src object sobj to dst object dobj (replacing it). */
void h5merge_copy_attr(hid_t src, const char *sobj, hid_t dst, const char *dobj, const char *name);
/* Dataset `path` [task][...] of every input as one array of ntask rows in the native type of
 * in[0]'s: row r of input j lands on row map[j][r]. NULL on a mismatch (reason in why); *type
 * (to close), *rank and dims (H5S_MAX_RANK) describe the result. */
void *h5merge_assemble(const h5merge_in *in, int nin, int *const *map, int ntask, const char *path,
                       hid_t *type, int *rank, hsize_t *dims, char *why, size_t len);
/* Group grp of the inputs (every member a per-task dataset) into f, assembled, with the
 * group's and the datasets' attributes. 0 on success, else the reason in why. */
int h5merge_group(h5out_file *f, const char *grp, const h5merge_in *in, int nin, int *const *map,
                  int ntask, char *why, size_t len);
/* The first root member of fid not named in known[0..nk) into name; 0 when there is none. */
int h5merge_unknown_member(hid_t fid, const char *const *known, int nk, char *name, size_t len);
/* Object path of src (a group, with everything in it) copied whole into f. */
void h5merge_copy(h5out_file *f, hid_t src, const char *path);

#endif
