/* optim — SGD, spherical SGD and Adam on a flat parameter vector (mcm-model.md §4).
 *
 * Conventions shared by every kind:
 *  - eta = optim_lr(spec, t) with t the number of steps already taken; t is incremented after.
 *  - Decoupled weight decay (AdamW style) acts on the OLD value of theta, before the gradient
 *    step, in the same pass: theta <- (1 - eta wd) theta - eta update. This is the PyTorch
 *    SGD-with-decoupled-decay / AdamW order. Sphere rows never decay: their norm is fixed.
 *  - The parameter vector is walked as segments: the plain entries (before the first sphere row,
 *    between rows, after the last) and the sphere rows. Each segment is one tight loop over
 *    restrict pointers; nothing is allocated per step (the online case calls this every sample
 *    with np ~ K d). */
#include "core/optim.h"

#include "base/log.h"

#include <math.h>
#include <string.h>
#include <stdlib.h>

/* What a segment callback needs: one struct so the walker stays kind-agnostic. */
typedef struct {
    double *restrict theta;
    const double *restrict grad;
    double *restrict m1, *restrict m2;
    double eta, decay;     /* decay = 1 - eta wd, applied to plain entries only */
    double b1, b2, c1, c2; /* Adam betas and bias corrections 1 - beta^t */
    double eps;
    const double *sums; /* [row][3] sphere sums given by the caller, or NULL */
    size_t soff, sstride;
} step_ctx;

typedef void (*seg_fn)(const step_ctx *c, size_t lo, size_t hi);

double optim_lr(const optim_spec *s, long step)
{
    if (step < 0) step = 0;
    switch (s->schedule) {
    case LR_STEP:
        /* A non-positive period means "never decay" (optim_init rejects it; this stays total). */
        if (s->step_every <= 0) return s->lr;
        return s->lr * pow(s->step_factor, (double)(step / s->step_every));
    case LR_COSINE: {
        if (s->total_steps <= 0) return s->lr;
        long k = step < s->total_steps ? step : s->total_steps;
        return s->lr * 0.5 * (1.0 + cos(M_PI * (double)k / (double)s->total_steps));
    }
    case LR_CONSTANT:
    default:
        return s->lr;
    }
}

/* The spec errors are programming errors here (the config layer validates user input). */
static void check_spec(const optim_spec *s)
{
    if (s->kind != OPT_SGD && s->kind != OPT_SPHERICAL && s->kind != OPT_ADAM)
        LOG_DIE("unknown optimiser kind %d", (int)s->kind);
    if (s->schedule == LR_STEP && s->step_every <= 0)
        LOG_DIE("step schedule needs step_every > 0, got %ld", s->step_every);
    if (s->schedule == LR_COSINE && s->total_steps <= 0)
        LOG_DIE("cosine schedule needs total_steps > 0, got %ld", s->total_steps);
    if (s->kind == OPT_ADAM && !(s->beta1 >= 0 && s->beta1 < 1 && s->beta2 >= 0 && s->beta2 < 1))
        LOG_DIE("Adam betas must lie in [0, 1), got %g, %g", s->beta1, s->beta2);
}

void optim_init(optim *o, const optim_spec *s, size_t np)
{
    check_spec(s);
    o->s = *s;
    o->np = np;
    o->t = 0;
    o->m1 = o->m2 = NULL;
    if (s->kind == OPT_ADAM) {
        o->m1 = LOG_CALLOC(np, sizeof *o->m1);
        o->m2 = LOG_CALLOC(np, sizeof *o->m2);
    }
}

void optim_free(optim *o)
{
    free(o->m1);
    free(o->m2);
    o->m1 = o->m2 = NULL;
}

/* Rows must be disjoint, in order, and inside theta; a bad layout would silently corrupt. */
static void check_sphere(const optim_sphere *sph, size_t np)
{
    if (sph->n < 0) LOG_DIE("sphere row count %d < 0", sph->n);
    if (sph->n == 0) return;
    if (sph->len == 0) LOG_DIE("sphere rows of length 0");
    if (sph->n > 1 && sph->stride < sph->len)
        LOG_DIE("sphere rows overlap: stride %zu < len %zu", sph->stride, sph->len);
    size_t last = sph->off + (size_t)(sph->n - 1) * sph->stride;
    if (last < sph->off || last + sph->len > np || last + sph->len < last)
        LOG_DIE("sphere rows end past the %zu parameters", np);
}

/* Calls plain() on every non-sphere range and row() on every sphere row, in index order. */
static void walk(const optim_sphere *sph, size_t np, const step_ctx *c, seg_fn plain, seg_fn row)
{
    if (!sph || sph->n == 0) {
        plain(c, 0, np);
        return;
    }
    check_sphere(sph, np);
    size_t lo = 0;
    for (int k = 0; k < sph->n; k++) {
        size_t r = sph->off + (size_t)k * sph->stride;
        if (r > lo) plain(c, lo, r);
        row(c, r, r + sph->len);
        lo = r + sph->len;
    }
    if (np > lo) plain(c, lo, np);
}

/* --- SGD ------------------------------------------------------------------------------------ */

static void sgd_plain(const step_ctx *c, size_t lo, size_t hi)
{
    double *restrict th = c->theta;
    const double *restrict g = c->grad;
    const double eta = c->eta, dec = c->decay;
    for (size_t i = lo; i < hi; i++)
        th[i] = dec * th[i] - eta * g[i];
}

/* OPT_SGD on a sphere row: the plain step without decay (the row is only exempt from wd). */
static void sgd_row(const step_ctx *c, size_t lo, size_t hi)
{
    double *restrict th = c->theta;
    const double *restrict g = c->grad;
    const double eta = c->eta;
    for (size_t i = lo; i < hi; i++)
        th[i] -= eta * g[i];
}

/* Spherical step on one row, in two passes. With P = I - w w^T / |w|^2 (the tangent projector;
 * it equals I - w w^T on the unit sphere but stays a projector if |w| drifted by rounding),
 * u = w - eta P g has |u|^2 = |w|^2 + eta^2 (|g|^2 - (w.g)^2 / |w|^2) exactly, because
 * w . P g = 0. So one reduction pass gives the new norm and the second writes u / |u|: no third
 * pass. The norm is recomputed from the current w each step, so rounding does not accumulate;
 * the cancellation in |g|^2 - (w.g)^2/|w|^2 costs ~1e-16 eta^2 |g|^2 in |w|, negligible unless
 * eta |g| >> 1 with g nearly radial. */
/* The two passes on one row. Explicit 4-double vectors with a fixed summation order: the
 * reductions vectorise without -ffast-math and give the same bits under every target clone. */
typedef double opt_v4 __attribute__((vector_size(32)));
#define OPT_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))

/* 8 lane sums per quantity (two 4-vectors, blocks of 8 from 0, the tail added after the
 * reduction): one accumulator per quantity was latency-bound (measured 7 % of an online step at
 * d = 1000, K = 2). */
OPT_CLONES static void sphere_sums(const double *restrict w, const double *restrict g, size_t n,
                                   double *ww, double *wg, double *gg)
{
    opt_v4 a[2] = {{0}}, b[2] = {{0}}, c[2] = {{0}};
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int h = 0; h < 2; h++) {
            opt_v4 x, y;
            memcpy(&x, w + i + 4 * h, sizeof x);
            memcpy(&y, g + i + 4 * h, sizeof y);
            a[h] += x * x;
            b[h] += x * y;
            c[h] += y * y;
        }
    opt_v4 *acc[3] = {a, b, c};
    double s[3];
    for (int q = 0; q < 3; q++) {
        opt_v4 lo = acc[q][0], hi = acc[q][1];
        s[q] = ((lo[0] + hi[0]) + (lo[1] + hi[1])) + ((lo[2] + hi[2]) + (lo[3] + hi[3]));
    }
    for (; i < n; i++)
        s[0] += w[i] * w[i], s[1] += w[i] * g[i], s[2] += g[i] * g[i];
    *ww = s[0], *wg = s[1], *gg = s[2];
}

OPT_CLONES static void sphere_move(double *restrict w, const double *restrict g, size_t n,
                                   double eta, double a, double inv)
{
    for (size_t i = 0; i < n; i++)
        w[i] = (w[i] - eta * (g[i] - a * w[i])) * inv;
}

static void sphere_row(const step_ctx *c, size_t lo, size_t hi)
{
    double ww, wg, gg;
    if (c->sums) {
        const double *q = c->sums + 3 * ((lo - c->soff) / c->sstride);
        ww = q[0], wg = q[1], gg = q[2];
    } else {
        sphere_sums(c->theta + lo, c->grad + lo, hi - lo, &ww, &wg, &gg);
    }
    if (!(ww > 0)) LOG_DIE("sphere row at %zu has norm %g", lo, sqrt(ww));
    double a = wg / ww, gperp2 = gg - wg * a;
    if (gperp2 < 0) gperp2 = 0; /* cancellation when g is parallel to w */
    const double eta = c->eta, inv = 1.0 / sqrt(ww + eta * eta * gperp2);
    sphere_move(c->theta + lo, c->grad + lo, hi - lo, eta, a, inv);
}

/* --- Adam ----------------------------------------------------------------------------------- */

/* Adam moments and step on [lo, hi) with theta first scaled by `decay`. */
static inline void adam_range(const step_ctx *c, size_t lo, size_t hi, double decay)
{
    double *restrict th = c->theta, *restrict m = c->m1, *restrict v = c->m2;
    const double *restrict g = c->grad;
    const double b1 = c->b1, b2 = c->b2, eps = c->eps;
    const double s1 = c->eta / c->c1, r2 = 1.0 / c->c2; /* eta m/c1 / (sqrt(v/c2) + eps) */
    for (size_t i = lo; i < hi; i++) {
        m[i] = b1 * m[i] + (1 - b1) * g[i];
        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
        th[i] = decay * th[i] - s1 * m[i] / (sqrt(v[i] * r2) + eps);
    }
}

static void adam_plain(const step_ctx *c, size_t lo, size_t hi)
{
    adam_range(c, lo, hi, c->decay);
}

/* Sphere rows take the unconstrained Adam step (raw gradient, no decay), then are pulled back
 * to the sphere by renormalisation: Adam's per-coordinate scaling does not commute with the
 * tangent projection, so retraction by normalising is the simple consistent choice. */
static void adam_row(const step_ctx *c, size_t lo, size_t hi)
{
    adam_range(c, lo, hi, 1.0);
    double *restrict w = c->theta;
    double ww = 0;
    for (size_t i = lo; i < hi; i++)
        ww += w[i] * w[i];
    if (!(ww > 0)) LOG_DIE("sphere row at %zu has norm %g after the Adam step", lo, sqrt(ww));
    const double inv = 1.0 / sqrt(ww);
    for (size_t i = lo; i < hi; i++)
        w[i] *= inv;
}

/* --- step ----------------------------------------------------------------------------------- */

void optim_step(optim *o, double *theta, const double *grad, const optim_sphere *sph)
{
    optim_step_sums(o, theta, grad, sph, NULL);
}

void optim_step_sums(optim *o, double *theta, const double *grad, const optim_sphere *sph,
                     const double *sums)
{
    const optim_spec *s = &o->s;
    step_ctx c = {.theta = theta, .grad = grad, .m1 = o->m1, .m2 = o->m2};
    if (sums && sph && sph->n > 0)
        c.sums = sums, c.soff = sph->off, c.sstride = sph->n > 1 ? sph->stride : 1;
    c.eta = optim_lr(s, o->t);
    c.decay = 1.0 - c.eta * s->weight_decay;
    o->t++;
    switch (s->kind) {
    case OPT_SGD:
        walk(sph, o->np, &c, sgd_plain, sgd_row);
        break;
    case OPT_SPHERICAL:
        walk(sph, o->np, &c, sgd_plain, sphere_row);
        break;
    case OPT_ADAM:
        c.b1 = s->beta1;
        c.b2 = s->beta2;
        c.eps = s->eps;
        /* Bias corrections with t = steps including this one (Kingma & Ba, Alg. 1). */
        c.c1 = 1.0 - pow(s->beta1, (double)o->t);
        c.c2 = 1.0 - pow(s->beta2, (double)o->t);
        walk(sph, o->np, &c, adam_plain, adam_row);
        break;
    }
}
