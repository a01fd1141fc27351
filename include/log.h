/* log — the one error and logging idiom of mcmsim.
 *
 * Two kinds of error:
 *  - collective: every rank reaches the same call with the same condition (e.g. a config error
 *    that rank 0 found and broadcast). Rank 0 prints once, all ranks finalize and exit(code).
 *  - local: only this rank knows. It prints "[rank] file:line function: message" and calls
 *    MPI_Abort so no peer waits forever in a collective.
 * Every MPI, HDF5 and GSL call is checked through LOG_MPI / LOG_H5 / the GSL handler. */
#ifndef MCMSIM_LOG_H
#define MCMSIM_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdnoreturn.h>

enum log_exit {
    LOG_EXIT_OK = 0,
    LOG_EXIT_RUNTIME = 1,
    LOG_EXIT_USAGE = 2,
    LOG_EXIT_CHECKPOINT = 3,
};

#define LOG_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* Call once after MPI_Init: records rank and size, installs the GSL and HDF5 error handlers. */
void log_init(void);
int log_rank(void);
int log_size(void);
void log_set_quiet(int quiet);
int log_quiet(void);

/* Informational output on rank 0 (stdout); suppressed by --quiet. */
void log_info(const char *fmt, ...) LOG_PRINTF(1, 2);
/* Warning on rank 0 (stderr); never suppressed. */
void log_warn(const char *fmt, ...) LOG_PRINTF(1, 2);

noreturn void log_die_collective_(int code, const char *file, int line, const char *func,
                                  const char *fmt, ...) LOG_PRINTF(5, 6);
noreturn void log_die_local_(const char *file, int line, const char *func, const char *fmt, ...)
    LOG_PRINTF(4, 5);

/* All ranks call with the same condition: rank 0 prints, everyone finalizes and exits. */
#define LOG_DIE_COLL(code, ...)                                                                    \
    log_die_collective_((code), __FILE__, __LINE__, __func__, __VA_ARGS__)
/* One rank alone: prints with the rank and aborts the whole job. */
#define LOG_DIE(...) log_die_local_(__FILE__, __LINE__, __func__, __VA_ARGS__)

#define LOG_MPI(call)                                                                              \
    do {                                                                                           \
        int log_rc_ = (call);                                                                      \
        if (log_rc_ != MPI_SUCCESS) {                                                              \
            char log_msg_[MPI_MAX_ERROR_STRING];                                                   \
            int log_len_ = 0;                                                                      \
            MPI_Error_string(log_rc_, log_msg_, &log_len_);                                        \
            LOG_DIE("MPI call failed: %s: %s", #call, log_msg_);                                   \
        }                                                                                          \
    } while (0)

/* HDF5 calls return a negative herr_t/hid_t on failure; the HDF5 stack is printed first. */
#define LOG_H5(call)                                                                               \
    do {                                                                                           \
        if ((long long)(call) < 0) {                                                               \
            log_h5_stack_();                                                                       \
            LOG_DIE("HDF5 call failed: %s", #call);                                                \
        }                                                                                          \
    } while (0)
void log_h5_stack_(void);

/* Zeroed, 64-byte aligned allocation (free with free) that aborts with the rank on failure;
 * n * size is overflow-checked. */
void *log_xcalloc_(size_t n, size_t size, const char *file, int line, const char *func);
#define LOG_CALLOC(n, size) log_xcalloc_((n), (size), __FILE__, __LINE__, __func__)

#endif
