/* h5chk — checked HDF5 calls: a failed call prints the HDF5 error stack and is a local error on
 * this rank. HDF5 prints its stack only then; probing calls (H5Lexists, H5Fis_hdf5) stay quiet
 * once h5chk_init has run. */
#ifndef MCMSIM_H5CHK_H
#define MCMSIM_H5CHK_H

#include "base/log.h"

#include <hdf5.h>

/* Turns HDF5's automatic error printing off (call once at start-up). */
void h5chk_init(void);
/* Prints the current HDF5 error stack to stderr. */
void h5chk_stack(void);

/* HDF5 calls return a negative herr_t/hid_t on failure. */
#define H5CHK(call)                                                                                \
    do {                                                                                           \
        if ((long long)(call) < 0) {                                                               \
            h5chk_stack();                                                                         \
            LOG_DIE("HDF5 call failed: %s", #call);                                                \
        }                                                                                          \
    } while (0)

#endif
