/* model_mlp — family (D), the MLP of depth L (weight layers) and width H (mcm-model.md §3):
 *   a_0 = x,  a_l = s(W_l a_{l-1} + b_l) for l = 1 .. L-1,  D(x) = W_L a_{L-1} + b_L + c x,
 * W_1: H x d, W_2 .. W_{L-1}: H x H, W_L: d x H; s = m->s.act; biases only if s.bias.
 *
 * theta layout (row-major matrices, one after the other):
 *   W_1 (H*d)  at 0 — these H rows are the overlap rows (rows_off 0, stride d);
 *   W_2 .. W_{L-1} (H*H each), then W_L (d*H);
 *   if s.bias: b_1 .. b_{L-1} (H each), then b_L (d);
 *   if s.skip == SKIP_TRAINABLE: c, the last entry.
 *
 * Initialisation from stream (seed, task, RNG_INIT):
 *   W_1 row k (k < H):       step k, blocks from 0, d normals, normalised to unit length
 *                            (the neuron families' w_k use the same steps, so a first layer
 *                            starts from the same directions in every family);
 *   W_l, l = 2 .. L (1-based): step MLP_STEP_LAYER + l, blocks from 0, the whole matrix
 *                            row-major in one request. Hidden layers: N(0, 1/H) (LeCun,
 *                            variance 1/fan-in, so pre-activations stay O(1) for tanh-like s);
 *                            W_L: zero (INIT2_ZERO, so D(x) = c x at start) or
 *                            init2_scale N(0, 1) / sqrt(H) (INIT2_SMALL).
 *   Biases 0, trainable c = c0.
 * The layer steps start at 2^32 so that they never meet a row step, whatever H is.
 *
 * Batches: samples are rows, x[B][d]. Every layer is one cblas_dgemm for B > 1 and one
 * dgemv / dger for B = 1 (gemm with one row is slower, the result is the same). */
#include "core/model.h"

#include "base/log.h"
#include "core/model_blas.h"
#include "core/rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MLP_STEP_LAYER ((uint64_t)1 << 32)

typedef struct {
    int L, H, d;
    size_t *ow;   /* offset of W_l in theta, l = 0 .. L-1 (0-based layers) */
    size_t *ob;   /* offset of b_l (meaningful only with biases) */
    size_t oc;    /* offset of the trainable skip */
    double *a;    /* a_l, l = 1 .. L-1: [L-1][bmax][H]; the pre-activation is overwritten */
    double *df;   /* s'(pre-activation) of the same entries, kept for backward */
    double *g[2]; /* back-propagated deltas, [bmax][H], used alternately */
} mlp_ws;

/* Sizes of weight layer l (0-based): rows (outputs) and columns (inputs). */
static int mlp_nout(const model_spec *s, int l)
{
    return l == s->L - 1 ? s->d : s->K;
}
static int mlp_nin(const model_spec *s, int l)
{
    return l == 0 ? s->d : s->K;
}

/* Offsets of every block of theta, in the order of the layout above; returns np. */
static size_t mlp_offsets(const model_spec *s, size_t *ow, size_t *ob, size_t *oc)
{
    size_t off = 0;
    for (int l = 0; l < s->L; l++) {
        if (ow) ow[l] = off;
        off += (size_t)mlp_nout(s, l) * (size_t)mlp_nin(s, l);
    }
    for (int l = 0; l < s->L; l++) {
        if (ob) ob[l] = off;
        if (s->bias) off += (size_t)mlp_nout(s, l);
    }
    if (oc) *oc = off;
    if (s->skip == SKIP_TRAINABLE) off++;
    return off;
}

void model_mlp_layout(model *m)
{
    const model_spec *s = &m->s;
    if (s->L < 2 || s->K < 1 || s->d < 1)
        LOG_DIE("MLP needs depth L >= 2, width H >= 1, d >= 1 (L=%d H=%d d=%d)", s->L, s->K, s->d);
    m->np = mlp_offsets(s, NULL, NULL, NULL);
    m->n_rows = s->K;
    m->rows_off = 0;
    m->rows_stride = (size_t)s->d;
    m->n_sphere = 0;
}

/* Y[b][j] += v[j] for every row b. */
static void mlp_add_rows(int B, int n, const double *v, double *Y)
{
    for (int b = 0; b < B; b++)
        for (int j = 0; j < n; j++)
            Y[(size_t)b * n + j] += v[j];
}

/* v[j] += sum_b G[b][j]: the bias gradient. */
static void mlp_sum_rows(int B, int n, const double *G, double *v)
{
    for (int b = 0; b < B; b++)
        for (int j = 0; j < n; j++)
            v[j] += G[(size_t)b * n + j];
}

/* ---- init ---- */

/* Layer l (0-based, l >= 1) with entries std * N(0, 1). */
static void mlp_draw_layer(model *m, const rng_stream *rs, const mlp_ws *w, int l, double std)
{
    size_t n = (size_t)mlp_nout(&m->s, l) * (size_t)mlp_nin(&m->s, l);
    double *W = m->theta + w->ow[l];
    rng_normal(rs, MLP_STEP_LAYER + (uint64_t)(l + 1), 0, n, W);
    for (size_t i = 0; i < n; i++)
        W[i] *= std;
}

static void mlp_alloc(model *m)
{
    mlp_ws *w = LOG_CALLOC(1, sizeof *w);
    const model_spec *s = &m->s;
    w->L = s->L;
    w->H = s->K;
    w->d = s->d;
    w->ow = LOG_CALLOC((size_t)s->L, sizeof *w->ow);
    w->ob = LOG_CALLOC((size_t)s->L, sizeof *w->ob);
    mlp_offsets(s, w->ow, w->ob, &w->oc);
    size_t nh = (size_t)m->bmax * (size_t)s->K;
    w->a = LOG_CALLOC((size_t)(s->L - 1) * nh, sizeof(double));
    w->df = LOG_CALLOC((size_t)(s->L - 1) * nh, sizeof(double));
    w->g[0] = LOG_CALLOC(nh, sizeof(double));
    w->g[1] = LOG_CALLOC(nh, sizeof(double));
    m->ws = w;
}

static void mlp_init(model *m, uint32_t seed, uint32_t task)
{
    mlp_alloc(m);
    mlp_ws *w = m->ws;
    rng_stream rs = rng_stream_make(seed, task, RNG_INIT);
    model_init_rows(m->theta, m->s.K, m->s.d, &rs, 1.0, MODEL_ROWS_UNIT_NRM2);
    for (int l = 1; l < w->L - 1; l++)
        mlp_draw_layer(m, &rs, w, l, 1.0 / sqrt((double)w->H));
    if (m->s.init2 == INIT2_SMALL)
        mlp_draw_layer(m, &rs, w, w->L - 1, m->s.init2_scale / sqrt((double)w->H));
    /* theta arrives zeroed: biases and, under INIT2_ZERO, W_L stay 0. */
    if (m->s.skip == SKIP_TRAINABLE) m->theta[w->oc] = m->s.c0;
}

static void mlp_free(model *m)
{
    mlp_ws *w = m->ws;
    if (!w) return;
    free(w->ow);
    free(w->ob);
    free(w->a);
    free(w->df);
    free(w->g[0]);
    free(w->g[1]);
    free(w);
    m->ws = NULL;
}

/* ---- forward / backward ---- */

static double *mlp_act(const model *m, const mlp_ws *w, int l) /* a_l, l = 1 .. L-1 */
{
    return w->a + (size_t)(l - 1) * (size_t)m->bmax * (size_t)w->H;
}

static double *mlp_dact(const model *m, const mlp_ws *w, int l)
{
    return w->df + (size_t)(l - 1) * (size_t)m->bmax * (size_t)w->H;
}

static void mlp_forward(model *m, int B, const double *x, double *out)
{
    mlp_ws *w = m->ws;
    const double *in = x;
    for (int l = 0; l < w->L - 1; l++) {
        int nin = mlp_nin(&m->s, l);
        double *a = mlp_act(m, w, l + 1);
        model_blas_xwt(B, w->H, nin, m->theta + w->ow[l], in, a);
        if (m->s.bias) mlp_add_rows(B, w->H, m->theta + w->ob[l], a);
        /* In place: act_eval reads h[i] before writing f[i]. */
        act_eval(&m->s.act, B * w->H, a, a, mlp_dact(m, w, l + 1));
        in = a;
    }
    int last = w->L - 1;
    model_blas_xwt(B, w->d, w->H, m->theta + w->ow[last], in, out);
    if (m->s.bias) mlp_add_rows(B, w->d, m->theta + w->ob[last], out);
    double c = model_skip_value(m);
    if (c != 0.0) cblas_daxpy(B * w->d, c, x, 1, out, 1);
}

/* delta[i] *= s'(pre-activation)[i]. */
static void mlp_mul(int n, const double *df, double *delta)
{
    for (int i = 0; i < n; i++)
        delta[i] *= df[i];
}

/* Output layer: gradients of W_L, b_L and c, and the delta of a_{L-1} into g. */
static void mlp_back_out(model *m, int B, const double *x, const double *gout, double *grad,
                         double *g)
{
    mlp_ws *w = m->ws;
    int last = w->L - 1;
    model_blas_gtx(B, w->d, w->H, gout, mlp_act(m, w, last), grad + w->ow[last]);
    if (m->s.bias) mlp_sum_rows(B, w->d, gout, grad + w->ob[last]);
    if (m->s.skip == SKIP_TRAINABLE) grad[w->oc] += cblas_ddot(B * w->d, gout, 1, x, 1);
    model_blas_gw(B, w->d, w->H, m->theta + w->ow[last], gout, g);
    mlp_mul(B * w->H, mlp_dact(m, w, last), g);
}

static void mlp_backward(model *m, int B, const double *x, const double *gout, double *grad)
{
    mlp_ws *w = m->ws;
    int cur = 0;
    mlp_back_out(m, B, x, gout, grad, w->g[cur]);
    /* w->g[cur] holds dL/d(pre-activation of layer l) for l = L-2 down to 0. */
    for (int l = w->L - 2; l >= 0; l--) {
        int nin = mlp_nin(&m->s, l);
        const double *in = l == 0 ? x : mlp_act(m, w, l);
        model_blas_gtx(B, w->H, nin, w->g[cur], in, grad + w->ow[l]);
        if (m->s.bias) mlp_sum_rows(B, w->H, w->g[cur], grad + w->ob[l]);
        if (l == 0) break; /* no delta for the input x */
        model_blas_gw(B, w->H, w->H, m->theta + w->ow[l], w->g[cur], w->g[1 - cur]);
        mlp_mul(B * w->H, mlp_dact(m, w, l), w->g[1 - cur]);
        cur = 1 - cur;
    }
}

const model_ops model_mlp_ops = {
    .init = mlp_init,
    .forward = mlp_forward,
    .backward = mlp_backward,
    .free_ws = mlp_free,
};
