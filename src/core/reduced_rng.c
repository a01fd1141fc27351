/* reduced_rng — the random draws of the reduced engine: chi^2 variates, Bartlett factors, and
 * the per-step randomness of reduced_step drawn in batches over a window of steps. See
 * include/core/reduced.h and src/core/reduced.md ("Random streams"). */
#include "reduced_internal.h"

#include "base/log.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------------------------
 * chi^2 and Bartlett. */

/* Marsaglia & Tsang (2000): for shape a >= 1, with dd = a - 1/3, cc = 1/sqrt(9 dd), x ~ N(0, 1)
 * and u ~ U(0, 1), v = (1 + cc x)^3 is accepted when v > 0 and log u < x^2/2 + dd (1 - v + log v)
 * (the cheap squeeze u < 1 - 0.0331 x^4 first); dd v is then Gamma(a) exactly. chi^2_k =
 * 2 Gamma(k/2). The acceptance probability is > 0.95 at a = 1 and tends to 1 as a grows. */
int reduced_chisq_try(double k, double dd, double cc, double x, double u, double *out)
{
    if (k == 1.0) { /* Gamma(1/2) is outside Marsaglia-Tsang's range; chi^2_1 = x^2 */
        *out = x * x;
        return 1;
    }
    double v = 1.0 + cc * x;
    if (!(v > 0.0)) return 0;
    v = v * v * v;
    double x2 = x * x;
    if (u < 1.0 - 0.0331 * x2 * x2 || log(u) < 0.5 * x2 + dd * (1.0 - v + log(v))) {
        *out = 2.0 * dd * v;
        return 1;
    }
    return 0;
}

void reduced_mt_consts(long k, double *dd, double *cc)
{
    *dd = 0.5 * (double)k - 1.0 / 3.0;
    *cc = k > 1 ? 1.0 / sqrt(9.0 * *dd) : 0.0;
}

/* chi^2_k for diagonal entry i of the factor at `counter`: the first pair (x0, u0) and then the
 * retry pairs of the layout, until one is accepted. */
static double chisq_seq(const rng_stream *s, uint64_t counter, int i, long k, double dd, double cc,
                        double x0, double u0)
{
    double kk = (double)k, out;
    if (reduced_chisq_try(kk, dd, cc, x0, u0, &out)) return out;
    for (uint32_t j = 1; j < REDUCED_MAX_TRIES; j++) {
        uint32_t blk = REDUCED_RBLOCK + 2u * ((uint32_t)i * REDUCED_MAX_TRIES + j);
        double x = rng_normal1(s, counter, blk), u = rng_uniform1(s, counter, blk + 1);
        if (reduced_chisq_try(kk, dd, cc, x, u, &out)) return out;
    }
    /* Probability below 0.05^1024: a broken generator, not bad luck. */
    LOG_DIE("chi^2_%ld: %d rejections in a row", k, REDUCED_MAX_TRIES);
}

void reduced_bartlett_from(const rng_stream *s, uint64_t counter, int p, long n, const double *g,
                           const double *u, const double *mt, double *R)
{
    if (n < p) LOG_DIE("Bartlett factor of %d columns needs n >= %d, got %ld", p, p, n);
    memset(R, 0, (size_t)p * (size_t)p * sizeof *R);
    size_t k = 0;
    for (int j = 1; j < p; j++)
        for (int i = 0; i < j; i++)
            R[(size_t)i * (size_t)p + (size_t)j] = g[k++];
    for (int i = 0; i < p; i++) {
        double dd, cc;
        if (mt)
            dd = mt[2 * i], cc = mt[2 * i + 1];
        else
            reduced_mt_consts(n - i, &dd, &cc);
        double x = chisq_seq(s, counter, i, n - i, dd, cc, g[k + i], u[i]);
        R[(size_t)i * (size_t)p + (size_t)i] = sqrt(x);
    }
}

void reduced_bartlett(const rng_stream *s, uint64_t counter, int p, long n, double *R)
{
    size_t nn = reduced_bartlett_normals(p);
    double *g = LOG_CALLOC(nn + 1, sizeof *g), *u = LOG_CALLOC((size_t)p + 1, sizeof *u);
    rng_normal(s, counter, 0, nn, g);
    rng_uniform(s, counter, REDUCED_UBLOCK, (size_t)p, u);
    reduced_bartlett_from(s, counter, p, n, g, u, NULL, R);
    free(g);
    free(u);
}

/* ---------------------------------------------------------------------------------------------
 * The window cache. */

/* Windows of 32 samples (one batch of the streams) when B <= 32, else one step. The Bartlett
 * draws are batched over the steps of a window only when the window has at least 8 steps (B <= 4):
 * with fewer, most of each 32-lane batch would be thrown away, and per-step requests of
 * B (2B + 1) >= 55 normals fill a batch by themselves. Both ways give the same numbers. */
reduced_cache *reduced_cache_new(const reduced *r)
{
    reduced_cache *c = LOG_CALLOC(1, sizeof *c);
    int B = r->B, two_b = 2 * B;
    c->s0 = -1;
    c->W = B <= 32 ? 32 / B : 1;
    c->ns = c->W * B;
    c->nn = reduced_bartlett_normals(two_b);
    c->gram_steps = c->W >= 8;
    size_t ns = (size_t)c->ns, W = (size_t)c->W;
    c->lat_g = LOG_CALLOC(2 * ns, sizeof(double));
    c->lat_w = LOG_CALLOC(2 * ns, sizeof(double));
    c->tu = LOG_CALLOC(2 * ns, sizeof(double));
    c->bulk = LOG_CALLOC(2 * ns * (size_t)r->r, sizeof(double));
    c->gn = LOG_CALLOC(W * c->nn + 1, sizeof(double));
    c->gu = LOG_CALLOC(W * (size_t)two_b + 1, sizeof(double));
    c->tmp = LOG_CALLOC(2 * (ns > W ? ns : W), sizeof(double));
    c->lam = LOG_CALLOC(5 * (size_t)B, sizeof(double));
    c->nu = c->lam + B;
    c->t = c->nu + B;
    c->alpha = c->t + B;
    c->sigma = c->alpha + B;
    c->R = LOG_CALLOC((size_t)two_b * (size_t)two_b, sizeof(double));
    c->label = LOG_CALLOC((size_t)B, sizeof(int));
    const reduced_spec *sp = &r->s;
    c->lat = rng_stream_make(sp->seed, sp->task, RNG_LATENT);
    c->tim = rng_stream_make(sp->seed, sp->task, RNG_TIME);
    c->blk = rng_stream_make(sp->seed, sp->task, RNG_REDUCED_BULK);
    c->gra = rng_stream_make(sp->seed, sp->task, RNG_REDUCED_GRAM);
    c->mt = LOG_CALLOC(2 * (size_t)two_b, sizeof(double));
    for (int i = 0; i < two_b; i++)
        reduced_mt_consts((long)(sp->d - r->r) - i, &c->mt[2 * i], &c->mt[2 * i + 1]);
    return c;
}

void reduced_cache_free(reduced_cache *c)
{
    if (!c) return;
    double *bufs[] = {c->lat_g, c->lat_w, c->tu,  c->bulk, c->gn,
                      c->gu,    c->tmp,   c->lam, c->R,    c->mt};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        free(bufs[i]);
    free(c->label);
    free(c);
}

/* Block j of stream s at the ns counters from g0, scattered to out[i * stride + 2 j + {0, 1}]
 * (kept below `len` values per counter). */
static void scatter_steps(const rng_stream *s, uint64_t g0, uint32_t block, int ns, int normal,
                          double *tmp, double *out, size_t stride, size_t pos, size_t len)
{
    if (normal)
        rng_normal_steps(s, g0, block, (size_t)ns, tmp);
    else
        rng_uniform_steps(s, g0, block, (size_t)ns, tmp);
    for (int i = 0; i < ns; i++) {
        out[(size_t)i * stride + pos] = tmp[2 * i];
        if (pos + 1 < len) out[(size_t)i * stride + pos + 1] = tmp[2 * i + 1];
    }
}

static void fill_window(const reduced *r, reduced_cache *c, long s0)
{
    const reduced_spec *sp = &r->s;
    uint64_t g0 = (uint64_t)s0 * (uint64_t)r->B;
    const rng_stream *lat = &c->lat, *tim = &c->tim, *blk = &c->blk, *gra = &c->gra;
    rng_normal_steps(lat, g0, 0, (size_t)c->ns, c->lat_g);
    rng_uniform_steps(lat, g0, 1, (size_t)c->ns, c->lat_w);
    if (sp->times.kind != DIFF_TIME_FIXED) rng_uniform_steps(tim, g0, 0, (size_t)c->ns, c->tu);
    size_t two_r = 2 * (size_t)r->r;
    for (int j = 0; j < r->r; j++)
        scatter_steps(blk, g0, (uint32_t)j, c->ns, 1, c->tmp, c->bulk, two_r, 2 * (size_t)j, two_r);
    size_t two_b = 2 * (size_t)r->B;
    if (c->gram_steps) {
        for (size_t j = 0; 2 * j < c->nn; j++)
            scatter_steps(gra, (uint64_t)s0, (uint32_t)j, c->W, 1, c->tmp, c->gn, c->nn, 2 * j,
                          c->nn);
        for (size_t j = 0; 2 * j < two_b; j++)
            scatter_steps(gra, (uint64_t)s0, REDUCED_UBLOCK + (uint32_t)j, c->W, 0, c->tmp, c->gu,
                          two_b, 2 * j, two_b);
    } else {
        for (int w = 0; w < c->W; w++) {
            rng_normal(gra, (uint64_t)(s0 + w), 0, c->nn, c->gn + (size_t)w * c->nn);
            rng_uniform(gra, (uint64_t)(s0 + w), REDUCED_UBLOCK, two_b, c->gu + (size_t)w * two_b);
        }
    }
    c->s0 = s0;
}

/* Time, alpha and sigma of a sample from its RNG_TIME uniform; LIST and FIXED use the tables. */
static void sample_time(const reduced *r, double u, double *t, double *al, double *sg)
{
    const diff_times *ts = &r->s.times;
    int ix = 0;
    switch (ts->kind) {
    case DIFF_TIME_RANGE:
    case DIFF_TIME_LOGNORMAL: /* Gaussian data only, which the reduced engine does not run */
        *t = diff_time_from(ts, u);
        diff_coeffs(&r->s.sch, *t, al, sg);
        return;
    case DIFF_TIME_LIST:
        ix = (int)(u * ts->n); /* the index diff_time_from takes */
        break;
    case DIFF_TIME_FIXED:
        break;
    }
    *t = diff_time_from(ts, u);
    *al = r->tab_alpha[ix];
    *sg = r->tab_sigma[ix];
}

void reduced_draw_step(reduced *r, long step)
{
    reduced_cache *c = r->cache;
    if (c->s0 < 0 || step < c->s0 || step >= c->s0 + c->W) fill_window(r, c, step - step % c->W);
    int w = (int)(step - c->s0), B = r->B;
    for (int b = 0; b < B; b++) {
        int i = w * B + b;
        c->label[b] =
            mcm_latents_from(&r->mcm, c->lat_g + 2 * i, c->lat_w + 2 * i, &c->lam[b], &c->nu[b]);
        sample_time(r, c->tu[2 * i], &c->t[b], &c->alpha[b], &c->sigma[b]);
    }
    reduced_bartlett_from(&c->gra, (uint64_t)step, 2 * B, (long)(r->s.d - r->r),
                          c->gn + (size_t)w * c->nn, c->gu + (size_t)w * 2 * (size_t)B, c->mt,
                          c->R);
    r->dr = (reduced_draw){.lambda = c->lam,
                           .nu = c->nu,
                           .label = c->label,
                           .t = c->t,
                           .alpha = c->alpha,
                           .sigma = c->sigma,
                           .ab = c->bulk + (size_t)w * (size_t)B * 2 * (size_t)r->r,
                           .R = c->R};
}
