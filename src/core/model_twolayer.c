/* model_twolayer — family (C), the untied two-layer denoiser (mcm-model.md §3):
 *   D(x) = c x + V sigma(W x) + b,  W in R^{K x d}, V in R^{d x K}.  See include/model.h.
 *
 * theta = [ W rows w_0 .. w_{K-1} (K x d) | V columns V_0 .. V_{K-1} (K x d) | b (d, if bias)
 *           | c (if trainable) ]
 * V is stored by columns so that V_k is contiguous: out = sum_k sigma(h_k) V_k, and the stored
 * block is the row-major K x d matrix V^T, which BLAS takes directly. No sphere rows: W is free.
 *
 * Init: rows of W = g/|g| from (seed, task, RNG_INIT) at steps 0..K-1 (as the neuron family, so
 * overlaps ~ N(0, 1/d)); V = 0 (INIT2_ZERO) or init2_scale N(0,1)/sqrt(K) entries drawn at step
 * K (INIT2_SMALL; the 1/sqrt(K) keeps the initial output sum_k sigma(h_k) V_k of variance
 * init2_scale^2 E[sigma^2] per entry whatever the width); b = 0; a trainable c starts at c0.
 *
 * Per batch (X: B x d, G = dL/dD: B x d), with H = X W^T, F = sigma(H), F' = sigma'(H):
 *   out = c X + 1 b^T + F V^T;  dV^T += F^T G;  dW += (F' o (G V))^T X;  db += G^T 1;
 *   dc += sum_b g_b . x_b.
 * Every product is one BLAS-3 call (also at B = 1: one code path, tested by finite differences;
 * OpenBLAS handles the degenerate shapes). */
#include "core/model.h"

#include "base/log.h"
#include "core/rng.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>

typedef struct {
    double *h, *f, *df; /* [bmax][K] of the last forward */
    double *p;          /* [bmax][K] F' o (G V) */
} tl_ws;

static size_t tl_kd(const model *m)
{
    return (size_t)m->s.K * (size_t)m->s.d;
}

static double *tl_v(const model *m)
{
    return m->theta + tl_kd(m);
}

static double *tl_b(const model *m)
{
    return m->s.bias ? m->theta + 2 * tl_kd(m) : NULL;
}

void model_twolayer_layout(model *m)
{
    int d = m->s.d, K = m->s.K;
    if (d < 1 || K < 1) LOG_DIE("two-layer model needs d >= 1 and K >= 1 (d = %d, K = %d)", d, K);
    m->np = 2 * (size_t)K * (size_t)d + (m->s.bias ? (size_t)d : 0) +
            (m->s.skip == SKIP_TRAINABLE ? 1u : 0u);
    m->n_rows = K;
    m->rows_off = 0;
    m->rows_stride = (size_t)d;
    m->n_sphere = 0;
}

static void tl_init(model *m, uint32_t seed, uint32_t task)
{
    int d = m->s.d, K = m->s.K;
    rng_stream s = rng_stream_make(seed, task, RNG_INIT);
    model_init_rows(m->theta, K, d, &s, 1.0, MODEL_ROWS_UNIT_SUMSQ); /* as the neuron family */
    if (m->s.init2 == INIT2_SMALL) {
        double *v = tl_v(m), sc = m->s.init2_scale / sqrt((double)K);
        rng_normal(&s, (uint64_t)K, 0, tl_kd(m), v);
        for (size_t i = 0; i < tl_kd(m); i++)
            v[i] *= sc;
    }
    if (m->s.skip == SKIP_TRAINABLE) m->theta[m->np - 1] = m->s.c0;

    tl_ws *w = LOG_CALLOC(1, sizeof *w);
    size_t bk = (size_t)m->bmax * (size_t)K;
    w->h = LOG_CALLOC(4 * bk, sizeof(double));
    w->f = w->h + bk;
    w->df = w->f + bk;
    w->p = w->df + bk;
    m->ws = w;
}

static void tl_free_ws(model *m)
{
    tl_ws *w = m->ws;
    if (!w) return;
    free(w->h);
    free(w);
    m->ws = NULL;
}

static void tl_forward(model *m, int B, const double *x, double *out)
{
    tl_ws *w = m->ws;
    int d = m->s.d, K = m->s.K;
    const double *b = tl_b(m);
    double c = model_skip_value(m);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, K, d, 1.0, x, d, m->theta, d, 0.0, w->h,
                K);
    act_eval(&m->s.act, B * K, w->h, w->f, w->df);
    for (int r = 0; r < B; r++) {
        const double *xr = x + (size_t)r * (size_t)d;
        double *o = out + (size_t)r * (size_t)d;
        for (int i = 0; i < d; i++)
            o[i] = c * xr[i] + (b ? b[i] : 0.0);
    }
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, d, K, 1.0, w->f, K, tl_v(m), d, 1.0,
                out, d);
}

static void tl_backward(model *m, int B, const double *x, const double *g, double *grad)
{
    tl_ws *w = m->ws;
    int d = m->s.d, K = m->s.K;
    size_t kd = tl_kd(m);
    /* dV^T += F^T G */
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, d, B, 1.0, w->f, K, g, d, 1.0,
                grad + kd, d);
    /* P = F' o (G V), then dW += P^T X */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, K, d, 1.0, g, d, tl_v(m), d, 0.0, w->p,
                K);
    for (size_t i = 0; i < (size_t)B * (size_t)K; i++)
        w->p[i] *= w->df[i];
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, d, B, 1.0, w->p, K, x, d, 1.0, grad, d);
    if (m->s.bias)
        for (int r = 0; r < B; r++)
            cblas_daxpy(d, 1.0, g + (size_t)r * (size_t)d, 1, grad + 2 * kd, 1);
    if (m->s.skip == SKIP_TRAINABLE)
        for (int r = 0; r < B; r++)
            grad[m->np - 1] +=
                cblas_ddot(d, g + (size_t)r * (size_t)d, 1, x + (size_t)r * (size_t)d, 1);
}

const model_ops model_twolayer_ops = {
    .init = tl_init, .forward = tl_forward, .backward = tl_backward, .free_ws = tl_free_ws};
