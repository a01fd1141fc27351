/* par — the MPI side of the process: start-up and shut-down, the exits of log's collective and
 * local errors, checked MPI calls, and the collective configuration load.
 *
 * log (base) knows nothing of MPI; par_init hands it the rank, the size, MPI_Finalize-and-exit
 * for collective errors and MPI_Abort for local ones. */
#ifndef MCMSIM_PAR_H
#define MCMSIM_PAR_H

#include "base/cfg.h"
#include "base/log.h"

#include <mpi.h>

/* MPI_Init, log_init, and the MPI exits for log. */
void par_init(int *argc, char ***argv);
/* MPI_Finalize (checked). */
void par_finalize(void);

/* An MPI call that failed is a local error on this rank (the MPI error string in the message). */
#define PAR_MPI(call)                                                                              \
    do {                                                                                           \
        int par_rc_ = (call);                                                                      \
        if (par_rc_ != MPI_SUCCESS) {                                                              \
            char par_msg_[MPI_MAX_ERROR_STRING];                                                   \
            int par_len_ = 0;                                                                      \
            MPI_Error_string(par_rc_, par_msg_, &par_len_);                                        \
            LOG_DIE("MPI call failed: %s: %s", #call, par_msg_);                                   \
        }                                                                                          \
    } while (0)

/* Collective: rank 0 loads (cfg_load), errors end collectively with exit code 2, the resolved
 * config is broadcast. `out` must be allocated on every rank. */
void par_cfg_load(const char *path, const char *const *sets, int n_set, cfg_resolved *out);

#endif
