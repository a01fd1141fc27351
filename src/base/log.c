/* log — error and logging idiom; see include/base/log.h. */
#include "base/log.h"

#include <gsl/gsl_errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_LINE_MAX 4096 /* longest error message kept whole */

static noreturn void log_plain_exit(int code)
{
    exit(code);
}

static log_process log_proc_ = {0, 1, log_plain_exit, log_plain_exit};
static int log_quiet_ = 0;

/* GSL errors are programming or numerical failures on this rank: abort with the rank. */
static void log_gsl_handler(const char *reason, const char *file, int line, int gsl_errno)
{
    log_die_local_(file, line, "gsl", "GSL error %d (%s): %s", gsl_errno, gsl_strerror(gsl_errno),
                   reason);
}

void log_init(void)
{
    gsl_set_error_handler(log_gsl_handler);
}

void log_set_process(const log_process *p)
{
    log_proc_ = *p;
}

int log_rank(void)
{
    return log_proc_.rank;
}
int log_size(void)
{
    return log_proc_.size;
}
void log_set_quiet(int quiet)
{
    log_quiet_ = quiet;
}
int log_quiet(void)
{
    return log_quiet_;
}

/* --log FILE: rank 0's messages also go there, quiet or not (a batch job's record). */
static FILE *log_file_;

void log_set_file(FILE *f)
{
    log_file_ = f;
}

static void log_to_file(const char *prefix, const char *fmt, va_list ap) LOG_PRINTF(2, 0);
static void log_to_file(const char *prefix, const char *fmt, va_list ap)
{
    if (!log_file_) return;
    fputs(prefix, log_file_);
    vfprintf(log_file_, fmt, ap);
    fflush(log_file_);
}

void log_info(const char *fmt, ...)
{
    if (log_proc_.rank != 0) return;
    va_list ap;
    va_start(ap, fmt);
    log_to_file("", fmt, ap);
    va_end(ap);
    if (log_quiet_) return;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fflush(stdout);
}

void log_error(const char *fmt, ...)
{
    if (log_proc_.rank != 0) return;
    char msg[LOG_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "mcmsim: error: %s\n", msg);
    fflush(stderr);
    if (log_file_) fprintf(log_file_, "mcmsim: error: %s\n", msg), fflush(log_file_);
}

void log_warn(const char *fmt, ...)
{
    if (log_proc_.rank != 0) return;
    va_list ap;
    va_start(ap, fmt);
    log_to_file("mcmsim: warning: ", fmt, ap);
    va_end(ap);
    va_start(ap, fmt);
    fputs("mcmsim: warning: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fflush(stderr);
}

void log_die_collective_(int code, const char *file, int line, const char *func, const char *fmt,
                         ...)
{
    if (log_proc_.rank == 0) {
        char msg[LOG_LINE_MAX], where[512] = "";
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        if (code == LOG_EXIT_RUNTIME)
            snprintf(where, sizeof where, " (at %s:%d %s)", file, line, func);
        fprintf(stderr, "mcmsim: error: %s%s\n", msg, where); /* one write: no interleaving */
        fflush(stderr);
        if (log_file_) fprintf(log_file_, "mcmsim: error: %s%s\n", msg, where), fflush(log_file_);
    }
    log_proc_.finalize_exit(code);
    exit(code); /* the hook does not return; this keeps the noreturn promise checkable */
}

void log_die_local_(const char *file, int line, const char *func, const char *fmt, ...)
{
    /* One write per line: stderr is unbuffered, and the pieces of separate writes interleave with
     * the other ranks' output and Open MPI's abort banner. */
    char msg[LOG_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "[%d] %s:%d %s: %s\n", log_proc_.rank, file, line, func, msg);
    fflush(stderr);
    log_proc_.abort_job(LOG_EXIT_RUNTIME);
    exit(LOG_EXIT_RUNTIME);
}

void log_key_vmsg(char *buf, size_t len, const char *where, const char *section, const char *key,
                  const char *fmt, va_list ap)
{
    int n = snprintf(buf, len, "%s: key '%s.%s': ", where, section, key);
    if (n >= 0 && (size_t)n < len) vsnprintf(buf + n, len - (size_t)n, fmt, ap);
}

void log_key_msg(char *buf, size_t len, const char *where, const char *section, const char *key,
                 const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_key_vmsg(buf, len, where, section, key, fmt, ap);
    va_end(ap);
}

void *log_xcalloc_(size_t n, size_t size, const char *file, int line, const char *func)
{
    if (size != 0 && n > SIZE_MAX / size)
        log_die_local_(file, line, func, "allocation of %zu x %zu bytes overflows", n, size);
    /* 64-byte aligned (a cache line, an AVX-512 vector): the vector kernels run measurably
     * faster on aligned rows. */
    size_t bytes = (n ? n : 1) * (size ? size : 1), padded = (bytes + 63) / 64 * 64;
    if (padded < bytes)
        log_die_local_(file, line, func, "allocation of %zu x %zu bytes overflows", n, size);
    void *p = aligned_alloc(64, padded);
    if (!p) log_die_local_(file, line, func, "out of memory allocating %zu x %zu bytes", n, size);
    memset(p, 0, padded);
    return p;
}
