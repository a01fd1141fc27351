/* h5vec — a whole 1-D floating-point dataset of an HDF5 file (e.g. the spectrum of
 * [gaussian] spectrum = file). Collective over MPI_COMM_WORLD: rank 0 inspects the file and
 * reads it serially, every rank receives the verdict and the values. A file that cannot be read
 * or is not HDF5, a missing dataset, a dataset that is not 1-D floating point, and an empty one
 * or one longer than max_n are usage errors (exit 2) in the "WHERE: key 'SECTION.KEY': ..."
 * form, naming the key the file or the dataset came from. The values themselves are the
 * caller's to check. */
#ifndef MCMSIM_H5VEC_H
#define MCMSIM_H5VEC_H

typedef struct {
    const char *file, *dataset;             /* path of the file, path of the dataset in it */
    const char *where_file, *where_dataset; /* "FILE:LINE" (or the like) of each key */
    const char *section, *key_file, *key_dataset;
} h5vec_src;

/* The values as doubles (free with free) and their number in *n. */
double *h5vec_read(const h5vec_src *src, long max_n, long *n);

#endif
