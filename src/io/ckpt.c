/* ckpt — run-control signals and checkpoint records (pack, unpack); the file protocol is in
 * ckpt_file.c. See include/ckpt.h. */
#include "io/ckpt.h"

#include "base/log.h"

#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t ckpt_flag_ = 0;

static void ckpt_on_signal(int sig)
{
    (void)sig;
    ckpt_flag_ = 1;
}

void ckpt_install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = ckpt_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    signal(SIGXFSZ, SIG_IGN);
}

int ckpt_signalled(void)
{
    return ckpt_flag_ != 0;
}

/* ---- records ------------------------------------------------------------------------------ */

/* Header of a blob, in doubles (exact for every integer below 2^53). */
enum {
    B_TASK,
    B_ACTIVE,
    B_NOBS,
    B_NROWS,
    B_NW,
    B_NTHR,
    B_NPOINTS,
    B_REMAINING,
    B_MMSE,
    B_WALL,
    B_STEPS,
    B_BATCH,
    B_NP,
    B_OPT_T,
    B_LOSS_SUM,
    B_LOSS_N,
    B_MOMENTS,
    B_NGOBS,
    B_NSNAP,
    B_HEADER
};

typedef struct {
    size_t nobs, nrows, ncr;
} blob_shape;

static blob_shape shape_of(const double *b)
{
    blob_shape s = {(size_t)b[B_NOBS], (size_t)b[B_NROWS], (size_t)(b[B_NW] * b[B_NTHR])};
    return s;
}

/* Appends n doubles to the buffer at *pos. */
static void put(double *buf, size_t *pos, const double *v, size_t n)
{
    if (buf && n) memcpy(buf + *pos, v, n * sizeof(double)); /* v may be NULL when n = 0 */
    *pos += n;
}

/* Takes n doubles from the blob at *pos (dst may be NULL when n = 0: no rows, no Gaussian data). */
static void get(double *dst, const double *b, size_t *pos, size_t n)
{
    if (n) memcpy(dst, b + *pos, n * sizeof(double));
    *pos += n;
}

static void put_longs(double *buf, size_t *pos, const long *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (buf) buf[*pos] = (double)v[i];
        (*pos)++;
    }
}

static void put_ints(double *buf, size_t *pos, const int *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (buf) buf[*pos] = (double)v[i];
        (*pos)++;
    }
}

/* Writes (buf != NULL) or measures the blob of r and e. */
static size_t pack_into(const ckpt_record *r, const engine *e, double *buf)
{
    const observer *o = &r->obs;
    size_t nobs = (size_t)o->n_slots, nr = (size_t)o->n_rows;
    size_t ncr = (size_t)(o->cr.n * o->cr.nthr), np = e ? engine_state_size(e) : 0, pos = B_HEADER;
    int moments = e && e->opt.m1;
    double h[B_HEADER] = {r->k,
                          e != NULL,
                          (double)nobs,
                          (double)nr,
                          o->cr.n,
                          o->cr.nthr,
                          o->n_points,
                          o->cr.remaining,
                          r->mmse,
                          r->wall,
                          (double)(e ? e->step : r->steps),
                          r->batch,
                          (double)np,
                          e ? (double)e->opt.t : 0,
                          e ? e->loss_sum : 0,
                          e ? (double)e->loss_n : 0,
                          moments,
                          o->n_gobs,
                          (double)o->n_snap};
    if (buf) memcpy(buf, h, sizeof h);
    put(buf, &pos, o->scalar, nobs * OBS_NSCALAR);
    put(buf, &pos, o->overlap, nobs * nr * 3);
    put(buf, &pos, o->norm, nobs * nr);
    put_longs(buf, &pos, o->cr.first, ncr);
    put_ints(buf, &pos, o->cr.which, (size_t)o->cr.n);
    put(buf, &pos, o->cr.thr, (size_t)o->cr.nthr);
    put(buf, &pos, o->gobs, nobs * (size_t)o->n_gobs);
    put(buf, &pos, o->snap, nobs * o->n_snap);
    if (e) {
        if (buf) engine_state_pack(e, buf + pos);
        pos += np;
        if (moments) put(buf, &pos, e->opt.m1, np), put(buf, &pos, e->opt.m2, np);
    }
    return pos;
}

size_t ckpt_pack(const ckpt_record *r, const engine *e, double **out)
{
    size_t n = pack_into(r, e, NULL);
    *out = LOG_CALLOC(n, sizeof(double));
    pack_into(r, e, *out);
    return n;
}

int ckpt_blob_task(const double *blob)
{
    return (int)blob[B_TASK];
}
int ckpt_blob_active(const double *blob)
{
    return blob[B_ACTIVE] != 0;
}

/* Observer arrays and crossings from the blob; returns the position after them. */
static size_t unpack_observer(observer *o, const double *b)
{
    blob_shape s = shape_of(b);
    size_t pos = B_HEADER;
    get(o->scalar, b, &pos, s.nobs * OBS_NSCALAR);
    get(o->overlap, b, &pos, s.nobs * s.nrows * 3);
    get(o->norm, b, &pos, s.nobs * s.nrows);
    for (size_t i = 0; i < s.ncr; i++)
        o->cr.first[i] = (long)b[pos++];
    o->cr.n = (int)b[B_NW];
    o->cr.nthr = (int)b[B_NTHR];
    for (int i = 0; i < o->cr.n; i++)
        o->cr.which[i] = (int)b[pos++];
    for (int i = 0; i < o->cr.nthr; i++)
        o->cr.thr[i] = b[pos++];
    get(o->gobs, b, &pos, s.nobs * (size_t)b[B_NGOBS]);
    get(o->snap, b, &pos, s.nobs * (size_t)b[B_NSNAP]);
    o->n_points = (int)b[B_NPOINTS];
    o->cr.remaining = (int)b[B_REMAINING];
    return pos;
}

static void unpack_facts(ckpt_record *r, const double *b)
{
    r->k = (int)b[B_TASK];
    r->mmse = b[B_MMSE];
    r->wall = b[B_WALL];
    r->steps = (long)b[B_STEPS];
    r->batch = (int)b[B_BATCH];
}

void ckpt_unpack_finished(ckpt_record *r, const double *blob)
{
    blob_shape s = shape_of(blob);
    memset(r, 0, sizeof *r);
    observer *o = &r->obs;
    o->n_slots = (int)s.nobs;
    o->n_rows = (int)s.nrows;
    o->scalar = LOG_CALLOC(s.nobs * OBS_NSCALAR + 1, sizeof(double));
    o->overlap = LOG_CALLOC(s.nobs * s.nrows * 3 + 1, sizeof(double));
    o->norm = LOG_CALLOC(s.nobs * s.nrows + 1, sizeof(double));
    o->cr.first = LOG_CALLOC(s.ncr + 1, sizeof(long));
    o->n_gobs = (int)blob[B_NGOBS];
    o->gobs = LOG_CALLOC(s.nobs * (size_t)o->n_gobs + 1, sizeof(double));
    o->n_snap = (size_t)blob[B_NSNAP];
    o->snap = o->n_snap ? LOG_CALLOC(s.nobs * o->n_snap, sizeof(double)) : NULL;
    unpack_observer(o, blob);
    o->mmse = blob[B_MMSE];
    unpack_facts(r, blob);
}

void ckpt_unpack_active(ckpt_record *r, engine *e, const double *blob)
{
    size_t np = (size_t)blob[B_NP];
    if (np != engine_state_size(e) || (size_t)blob[B_NOBS] != (size_t)r->obs.n_slots ||
        (int)blob[B_NGOBS] != r->obs.n_gobs || (size_t)blob[B_NSNAP] != r->obs.n_snap)
        LOG_DIE("checkpoint record of task %d does not fit its model (%zu vs %zu parameters)",
                (int)blob[B_TASK], np, engine_state_size(e));
    size_t pos = unpack_observer(&r->obs, blob);
    const double *state = blob + pos;
    pos += np;
    if (blob[B_MOMENTS] != 0) {
        memcpy(e->opt.m1, blob + pos, np * sizeof(double));
        memcpy(e->opt.m2, blob + pos + np, np * sizeof(double));
    }
    e->step = (long)blob[B_STEPS];
    e->opt.t = (long)blob[B_OPT_T];
    e->loss_sum = blob[B_LOSS_SUM];
    e->loss_n = (long)blob[B_LOSS_N];
    engine_state_unpack(e, state);
    unpack_facts(r, blob);
}
