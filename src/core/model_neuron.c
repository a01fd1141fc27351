/* model_neuron — families (A) spiked single neuron and (B) K-neuron tied autoencoder
 * (mcm-model.md §3):  D(x) = c x + sum_k a_k w_k sigma(w_k . x).  See include/model.h.
 *
 * theta = [ w_0 (d) | w_1 (d) | ... | w_{K-1} (d) | a_0 .. a_{K-1} (if train_a) | c (if trainable)
 * ] All K rows are sphere rows (spherical SGD keeps |w_k| = 1); a_k = s.a0 when not trainable.
 *
 * Per sample, with h_k = w_k . x, g = dL/dD:
 *   dL/dw_k = a_k [sigma(h_k) g + sigma'(h_k) (w_k . g) x],  dL/da_k = sigma(h_k) (w_k . g),
 *   dL/dc = g . x.
 *
 * Speed: the online step (B = 1, d ~ 1000, K <= 8) must cost well under 1 us, so the sample
 * path makes few fused passes over memory (the dots of up to 4 rows in one pass; c x +
 * sum a_k f_k w_k in one pass; the backward dots w_k . g and g . x in one pass; the gradient rows
 * of up to 4 neurons in one pass over g and x) with explicit vectors and 8 partial sums per dot.
 * -O2 alone would not vectorise the dot reductions (no reassociation without -ffast-math) and
 * would leave them latency-bound. The arithmetic is the same on every instruction set (the same
 * 8 lanes, no FMA: -std=c11 keeps -ffp-contract=off), so results are bitwise identical on SSE2,
 * AVX2 and AVX-512 machines. Batches of NRN_BLAS_MIN_B or more use BLAS-3 when K >= 2 (other
 * rounding, same values to ~1e-15). */
#include "core/model.h"

#include "base/log.h"
#include "core/rng.h"
#include "model_neuron_kern.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { NRN_BLAS_MIN_B = 8 };

typedef struct {
    double *h, *f, *df;  /* [bmax][K] pre-activations, sigma, sigma' of the last forward */
    double *coef;        /* [K] per-row coefficients of a combine pass */
    double *dots;        /* [K + 2] w_k . g and g . x of one sample (and |x0 - D|^2) */
    int dots_ready;      /* nrn_resid1 left the dots of its sample for the backward pass */
    const double **rows; /* [K + 1] row pointers handed to the kernels */
    double *p, *wg;      /* [bmax][K] BLAS path: scaled activations, G W^T */
} nrn_ws;

/* ---------------------------------------------------------------------------------------------
 * Parameters. */

static double *nrn_a(const model *m)
{
    return m->s.train_a ? m->theta + (size_t)m->s.K * (size_t)m->s.d : NULL;
}

static double nrn_ak(const model *m, const double *a, int k)
{
    return a ? a[k] : m->s.a0;
}

void model_neuron_layout(model *m)
{
    int d = m->s.d, K = m->s.K;
    if (d < 1 || K < 1) LOG_DIE("neuron model needs d >= 1 and K >= 1 (d = %d, K = %d)", d, K);
    m->np = (size_t)K * (size_t)d + (m->s.train_a ? (size_t)K : 0) +
            (m->s.skip == SKIP_TRAINABLE ? 1u : 0u);
    m->n_rows = K;
    m->rows_off = 0;
    m->rows_stride = (size_t)d;
    m->n_sphere = K;
}

static void nrn_init(model *m, uint32_t seed, uint32_t task)
{
    int d = m->s.d, K = m->s.K;
    rng_stream s = rng_stream_make(seed, task, RNG_INIT);
    /* Rows w_k = g/|g|: every overlap ~ N(0, 1/d). */
    model_init_rows(m->theta, K, d, &s, 1.0, MODEL_ROWS_UNIT_SUMSQ);
    double *a = nrn_a(m);
    /* a_k from step K (after the rows): a = 0 makes D start as the skip alone. */
    if (a && m->s.init2 == INIT2_SMALL) {
        rng_normal(&s, (uint64_t)K, 0, (size_t)K, a);
        for (int k = 0; k < K; k++)
            a[k] *= m->s.init2_scale;
    }
    if (m->s.skip == SKIP_TRAINABLE) m->theta[m->np - 1] = m->s.c0;

    nrn_ws *w = LOG_CALLOC(1, sizeof *w);
    size_t bk = (size_t)m->bmax * (size_t)K;
    w->h = LOG_CALLOC(5 * bk, sizeof(double));
    w->f = w->h + bk;
    w->df = w->f + bk;
    w->p = w->df + bk;
    w->wg = w->p + bk;
    w->coef = LOG_CALLOC(2 * (size_t)K + 2, sizeof(double));
    w->dots = w->coef + K;
    w->rows = LOG_CALLOC((size_t)K + 1, sizeof *w->rows);
    m->ws = w;
}

static void nrn_free_ws(model *m)
{
    nrn_ws *w = m->ws;
    if (!w) return;
    free(w->h);
    free(w->coef);
    free(w->rows);
    free(w);
    m->ws = NULL;
}

/* ---------------------------------------------------------------------------------------------
 * One sample at a time (online SGD, small batches). */

static void nrn_set_rows(const model *m, nrn_ws *w)
{
    for (int k = 0; k < m->s.K; k++)
        w->rows[k] = m->theta + (size_t)k * (size_t)m->s.d;
}

/* One sample's pre-activations h_k = w_k . x, sigma and sigma', and the combine coefficients
 * a_k sigma(h_k) (w->coef). */
static void nrn_pre_one(const model *m, nrn_ws *w, const double *x, double *h, double *f,
                        double *df)
{
    int K = m->s.K;
    const double *a = nrn_a(m);
    nrn_dots_all(K, w->rows, x, m->s.d, h);
    act_eval(&m->s.act, K, h, f, df);
    for (int k = 0; k < K; k++)
        w->coef[k] = nrn_ak(m, a, k) * f[k];
}

static void nrn_forward_one(const model *m, nrn_ws *w, const double *x, double *out, double *h,
                            double *f, double *df)
{
    int d = m->s.d, K = m->s.K;
    nrn_pre_one(m, w, x, h, f, df);
    /* The first chunk starts from c x, later ones add onto out. Without a skip (the engine
     * adds a fixed skip itself) it starts from a_0 f_0 w_0 instead: x is not read at all. */
    for (int k0 = 0; k0 < K; k0 += NRN_CHUNK) {
        int n = K - k0 < NRN_CHUNK ? K - k0 : NRN_CHUNK;
        if (k0 > 0)
            nrn_comb(n, w->rows + k0, w->coef + k0, 1.0, out, d, out);
        else if (m->s.skip == SKIP_NONE)
            nrn_comb(n - 1, w->rows + 1, w->coef + 1, w->coef[0], w->rows[0], d, out);
        else
            nrn_comb(n, w->rows, w->coef, model_skip_value(m), x, d, out);
    }
}

/* set: the gradient is written, not added to (the first sample of model_backward_set). */
/* sums (NULL, or with set): the sphere sums of every row, nrn_sums_rows() rows per pass. */
static void nrn_backward_one(const model *m, nrn_ws *w, const double *x, const double *g,
                             const double *f, const double *df, double *grad, int set, double *sums)
{
    int d = m->s.d, K = m->s.K, train_c = m->s.skip == SKIP_TRAINABLE;
    const double *a = nrn_a(m);
    /* w_k . g for every row and g . x (only for a trainable c) in the same passes over g. */
    w->rows[K] = x;
    if (!w->dots_ready) nrn_dots_all(K + train_c, w->rows, g, d, w->dots);
    w->dots_ready = 0;
    /* row k of the gradient gets al_k g + be_k x, NRN_CHUNK rows per pass over g and x */
    double al[NRN_CHUNK], be[NRN_CHUNK], *gr[NRN_CHUNK];
    int chunk = sums ? nrn_sums_rows() : NRN_CHUNK;
    for (int k0 = 0; k0 < K; k0 += chunk) {
        int n = K - k0 < chunk ? K - k0 : chunk;
        for (int j = 0; j < n; j++) {
            int k = k0 + j;
            double ak = nrn_ak(m, a, k);
            al[j] = ak * f[k];
            be[j] = ak * df[k] * w->dots[k];
            gr[j] = grad + (size_t)k * (size_t)d;
            if (a) {
                double *ga = &grad[(size_t)K * (size_t)d + (size_t)k];
                *ga = (set ? 0.0 : *ga) + f[k] * w->dots[k];
            }
        }
        if (sums)
            nrn_rank2s(n, gr, w->rows + k0, al, be, g, x, d, sums + 3 * k0);
        else
            nrn_rank2(n, gr, al, be, g, x, d, set);
    }
    if (train_c) grad[m->np - 1] = (set ? 0.0 : grad[m->np - 1]) + w->dots[K];
}

/* ---------------------------------------------------------------------------------------------
 * Batches of NRN_BLAS_MIN_B or more (K >= 2): H = X W^T, out = c X + (F o a) W; backward with
 * WG = G W^T: dW = (a o F)^T G + (a o F' o WG)^T X, da_k = sum_b F_bk WG_bk. */

static void nrn_forward_blas(const model *m, nrn_ws *w, int B, const double *x, double *out)
{
    int d = m->s.d, K = m->s.K;
    const double *a = nrn_a(m);
    double c = model_skip_value(m);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, K, d, 1.0, x, d, m->theta, d, 0.0, w->h,
                K);
    act_eval(&m->s.act, B * K, w->h, w->f, w->df);
    for (int b = 0; b < B; b++)
        for (int k = 0; k < K; k++)
            w->p[b * K + k] = nrn_ak(m, a, k) * w->f[b * K + k];
    int skip = m->s.skip != SKIP_NONE;
    if (skip)
        for (size_t i = 0; i < (size_t)B * (size_t)d; i++)
            out[i] = c * x[i];
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, d, K, 1.0, w->p, K, m->theta, d,
                skip ? 1.0 : 0.0, out, d);
}

static void nrn_backward_blas(const model *m, nrn_ws *w, int B, const double *x, const double *g,
                              double *grad, int set)
{
    int d = m->s.d, K = m->s.K;
    const double *a = nrn_a(m);
    double *ga = grad + (size_t)K * (size_t)d;
    if (set) memset(ga, 0, (m->np - (size_t)K * (size_t)d) * sizeof *ga); /* a and c */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, K, d, 1.0, g, d, m->theta, d, 0.0,
                w->wg, K);
    for (int b = 0; b < B; b++)
        for (int k = 0; k < K; k++) {
            int i = b * K + k;
            if (a) ga[k] += w->f[i] * w->wg[i];
            w->p[i] = nrn_ak(m, a, k) * w->f[i];
            w->wg[i] *= nrn_ak(m, a, k) * w->df[i];
        }
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, d, B, 1.0, w->p, K, g, d,
                set ? 0.0 : 1.0, grad, d);
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, d, B, 1.0, w->wg, K, x, d, 1.0, grad,
                d);
    if (m->s.skip == SKIP_TRAINABLE) {
        double gx;
        w->rows[0] = x; /* g . x over the whole batch as one long dot */
        nrn_dots(1, w->rows, g, B * d, &gx);
        grad[m->np - 1] += gx;
    }
}

/* ---------------------------------------------------------------------------------------------
 * The ops table. */

/* Measured (bench-style, d = 100 and 1000): BLAS-3 wins from B = 8 on for K >= 2 (up to 2x at
 * K = 8, 32); for K = 1 the sample kernels are as fast or faster (up to 1.5x at d = 1000). */
static int nrn_use_blas(const model *m, int B)
{
    return B >= NRN_BLAS_MIN_B && m->s.K >= 2;
}

static void nrn_forward(model *m, int B, const double *x, double *out)
{
    nrn_ws *w = m->ws;
    int d = m->s.d, K = m->s.K;
    if (nrn_use_blas(m, B)) {
        nrn_forward_blas(m, w, B, x, out);
        return;
    }
    nrn_set_rows(m, w);
    for (int b = 0; b < B; b++) {
        size_t o = (size_t)b * (size_t)K;
        nrn_forward_one(m, w, x + (size_t)b * (size_t)d, out + (size_t)b * (size_t)d, w->h + o,
                        w->f + o, w->df + o);
    }
}

static void nrn_backward_with(model *m, int B, const double *x, const double *gout, double *grad,
                              int set)
{
    nrn_ws *w = m->ws;
    int d = m->s.d, K = m->s.K;
    if (nrn_use_blas(m, B)) {
        nrn_backward_blas(m, w, B, x, gout, grad, set);
        return;
    }
    nrn_set_rows(m, w);
    for (int b = 0; b < B; b++) {
        size_t o = (size_t)b * (size_t)K, od = (size_t)b * (size_t)d;
        nrn_backward_one(m, w, x + od, gout + od, w->f + o, w->df + o, grad, set && b == 0, NULL);
    }
}

static void nrn_backward(model *m, int B, const double *x, const double *gout, double *grad)
{
    nrn_backward_with(m, B, x, gout, grad, 0);
}

/* Every entry of grad is written by the first sample: no memset before a step. */
static void nrn_backward_set(model *m, int B, const double *x, const double *gout, double *grad)
{
    nrn_backward_with(m, B, x, gout, grad, 1);
}

/* The fused online step (B = 1, K <= NRN_CHUNK): the forward pass's dots and activations, then
 * one pass for D, the residual, gout and the backward dots (kept for backward_set). */
static int nrn_resid1(model *m, const double *x, const double *x0, int add, double sa, double sc,
                      double *gout, double *sumsq)
{
    nrn_ws *w = m->ws;
    int d = m->s.d, K = m->s.K;
    if (K > NRN_CHUNK) return -1;
    nrn_set_rows(m, w);
    nrn_pre_one(m, w, x, w->h, w->f, w->df);
    int fx = m->s.skip != SKIP_NONE;
    nrn_resid(K, w->rows, w->coef, fx, fx ? model_skip_value(m) : 0.0, add, sa, x, x0, sc, d, gout,
              w->dots);
    *sumsq = w->dots[K + 1];
    w->dots_ready = 1;
    return 0;
}

/* One sample's gradient (written) and the sphere sums of its rows, the K rows w_k. */
static int nrn_backward1_sums(model *m, const double *x, const double *gout, double *grad,
                              double *sums)
{
    nrn_ws *w = m->ws;
    if (nrn_sums_rows() == 0) return -1;
    nrn_set_rows(m, w);
    nrn_backward_one(m, w, x, gout, w->f, w->df, grad, 1, sums);
    return 0;
}

const model_ops model_neuron_ops = {.resid1 = nrn_resid1,
                                    .backward1_sums = nrn_backward1_sums,
                                    .init = nrn_init,
                                    .forward = nrn_forward,
                                    .backward = nrn_backward,
                                    .backward_set = nrn_backward_set,
                                    .free_ws = nrn_free_ws};
