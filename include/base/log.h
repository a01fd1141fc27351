/* log — the one error and logging idiom of mcmsim.
 *
 * Two kinds of error:
 *  - collective: every rank reaches the same call with the same condition (e.g. a config error
 *    that rank 0 found and broadcast). Rank 0 prints once, all ranks finalize and exit(code).
 *  - local: only this rank knows. It prints "[rank] file:line function: message" and aborts
 *    the whole job so no peer waits forever in a collective.
 * log itself knows nothing of MPI: the parallel layer (parallel/par.h) installs the rank, the
 * size and the two ways out (finalize-and-exit, abort-the-job) with log_set_process. Without
 * them (unit tests, the fuzzer) a collective error exits and a local one exits with code 1.
 * MPI calls are checked by PAR_MPI (parallel/par.h), HDF5 calls by H5CHK (parallel/h5chk.h),
 * GSL calls by the handler installed here. */
#ifndef MCMSIM_LOG_H
#define MCMSIM_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdnoreturn.h>

enum log_exit {
    LOG_EXIT_OK = 0,
    LOG_EXIT_RUNTIME = 1,
    LOG_EXIT_USAGE = 2,
    LOG_EXIT_CHECKPOINT = 3,
};

#define LOG_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* Installs the GSL error handler (a local error). */
void log_init(void);
/* The process set-up of the parallel layer: this rank, the number of ranks, and the exits.
 * finalize_exit ends a collective error (every rank calls it); abort_job ends a local one. */
typedef struct {
    int rank, size;
    void (*finalize_exit)(int code); /* must not return */
    void (*abort_job)(int code);     /* must not return */
} log_process;
void log_set_process(const log_process *p);
int log_rank(void);
int log_size(void);
void log_set_quiet(int quiet);
/* Rank 0's messages (log_info, warnings, collective errors) are also appended to f (NULL:
 * none), whether quiet or not: `--log FILE`. */
void log_set_file(FILE *f);
/* Rank 0: "mcmsim: error: MESSAGE" on stderr (and the log file) without exiting, for the
 * messages listed before one collective exit. */
void log_error(const char *fmt, ...) LOG_PRINTF(1, 2);
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

/* A usage error about one configuration key reads "WHERE: key 'SECTION.KEY': WHAT", WHERE being
 * "FILE:LINE", "command line: --set ..." or the config file, WHAT (from fmt) saying what is wrong
 * and what was expected. Formatted here only, into buf (truncated to len), so every layer spells
 * it the same way; cfg_key_error and cfg_die_key (base/cfg.h) add WHERE from a resolved config. */
void log_key_msg(char *buf, size_t len, const char *where, const char *section, const char *key,
                 const char *fmt, ...) LOG_PRINTF(6, 7);
void log_key_vmsg(char *buf, size_t len, const char *where, const char *section, const char *key,
                  const char *fmt, va_list ap) LOG_PRINTF(6, 0);

/* Zeroed, 64-byte aligned allocation (free with free) that aborts with the rank on failure;
 * n * size is overflow-checked. */
void *log_xcalloc_(size_t n, size_t size, const char *file, int line, const char *func);
#define LOG_CALLOC(n, size) log_xcalloc_((n), (size), __FILE__, __LINE__, __func__)

#endif
