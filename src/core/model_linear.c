/* model_linear — family (E), the linear denoisers of gaussian-theory.md §2:
 *
 * MODEL_LINEAR     D(x) = W x + b, W in R^{d x d} dense.
 *   theta: W row-major (d*d), then b (d) if s.bias.
 *   s.skip and s.c0 are ignored: W already contains any multiple of the identity.
 *   No overlap rows (n_rows = 0): W is a full matrix, not a set of directions.
 *   init: W = 0 (INIT2_ZERO) or W_ij = init2_scale N(0, 1) / sqrt(d) (INIT2_SMALL), row i from
 *   stream (seed, task, RNG_INIT) at step i, blocks from 0; b = 0.
 *
 * MODEL_SYMLINEAR  D(x) = P P^T x, P in R^{d x h}, h = s.K.
 *   theta: Q = P^T row-major (h*d), so column k of P is the contiguous row k of theta: these
 *   are the overlap rows (rows_off 0, stride d, n_rows = h).
 *   s.skip, s.bias and s.init2 are ignored. P = 0 is a stationary point (zero gradient, never
 *   learned, §2.5), so P always starts random: column k = init2_scale g / |g| with g from step
 *   k, blocks from 0 (as the first-layer rows of the other families; the theory's initial mode
 *   strength is Q_k = init2_scale^2 along each column).
 *
 * Batches are rows x[B][d]: cblas_dgemm for B > 1, dgemv / dger for B = 1. */
#include "core/model.h"

#include "base/log.h"
#include "core/model_blas.h"
#include "core/rng.h"

#include <math.h>
#include <stdlib.h>

static void lin_check(const model *m)
{
    if (m->s.d < 1) LOG_DIE("linear model needs d >= 1 (d=%d)", m->s.d);
}

/* ---- MODEL_LINEAR ---- */

void model_linear_layout(model *m)
{
    lin_check(m);
    size_t d = (size_t)m->s.d;
    m->np = d * d + (m->s.bias ? d : 0);
    m->n_rows = 0;
    m->rows_off = 0;
    m->rows_stride = d;
    m->n_sphere = 0;
}

static void linear_init(model *m, uint32_t seed, uint32_t task)
{
    /* theta arrives zeroed: W = 0 under INIT2_ZERO, b = 0. No workspace. */
    if (m->s.init2 == INIT2_SMALL) {
        rng_stream rs = rng_stream_make(seed, task, RNG_INIT);
        model_init_rows(m->theta, m->s.d, m->s.d, &rs, m->s.init2_scale / sqrt((double)m->s.d),
                        MODEL_ROWS_SCALE);
    }
    m->ws = NULL;
}

static void linear_forward(model *m, int B, const double *x, double *out)
{
    int d = m->s.d;
    model_blas_xwt(B, d, d, m->theta, x, out);
    if (!m->s.bias) return;
    const double *b = m->theta + (size_t)d * (size_t)d;
    for (int s = 0; s < B; s++)
        cblas_daxpy(d, 1.0, b, 1, out + (size_t)s * (size_t)d, 1);
}

/* dW += sum_b g_b x_b^T, db += sum_b g_b. Needs no state from forward. */
static void linear_backward(model *m, int B, const double *x, const double *gout, double *grad)
{
    int d = m->s.d;
    model_blas_gtx(B, d, d, gout, x, grad);
    if (!m->s.bias) return;
    double *db = grad + (size_t)d * (size_t)d;
    for (int s = 0; s < B; s++)
        cblas_daxpy(d, 1.0, gout + (size_t)s * (size_t)d, 1, db, 1);
}

static void linear_free(model *m)
{
    m->ws = NULL;
}

const model_ops model_linear_ops = {
    .init = linear_init,
    .forward = linear_forward,
    .backward = linear_backward,
    .free_ws = linear_free,
};

/* ---- MODEL_SYMLINEAR ---- */

typedef struct {
    double *hx; /* [bmax][h]: P^T x_b, kept from forward */
    double *hg; /* [bmax][h]: P^T g_b */
} symlin_ws;

void model_symlinear_layout(model *m)
{
    lin_check(m);
    if (m->s.K < 1) LOG_DIE("symmetric linear model needs rank h >= 1 (h=%d)", m->s.K);
    m->np = (size_t)m->s.K * (size_t)m->s.d;
    m->n_rows = m->s.K;
    m->rows_off = 0;
    m->rows_stride = (size_t)m->s.d;
    m->n_sphere = 0;
}

static void symlin_init(model *m, uint32_t seed, uint32_t task)
{
    rng_stream rs = rng_stream_make(seed, task, RNG_INIT);
    model_init_rows(m->theta, m->s.K, m->s.d, &rs, m->s.init2_scale, MODEL_ROWS_UNIT_NRM2);
    symlin_ws *w = LOG_CALLOC(1, sizeof *w);
    size_t n = (size_t)m->bmax * (size_t)m->s.K;
    w->hx = LOG_CALLOC(n, sizeof(double));
    w->hg = LOG_CALLOC(n, sizeof(double));
    m->ws = w;
}

/* out = (x P) P^T row by row, i.e. hx = x Q^T, out = hx Q with Q = P^T = theta. */
static void symlin_forward(model *m, int B, const double *x, double *out)
{
    symlin_ws *w = m->ws;
    int d = m->s.d, h = m->s.K;
    model_blas_xwt(B, h, d, m->theta, x, w->hx);
    model_blas_gw(B, h, d, m->theta, w->hx, out);
}

/* dP = sum_b g_b (P^T x_b)^T + x_b (P^T g_b)^T, i.e. dQ += hx^T G + hg^T X. */
static void symlin_backward(model *m, int B, const double *x, const double *gout, double *grad)
{
    symlin_ws *w = m->ws;
    int d = m->s.d, h = m->s.K;
    model_blas_xwt(B, h, d, m->theta, gout, w->hg);
    model_blas_gtx(B, h, d, w->hx, gout, grad);
    model_blas_gtx(B, h, d, w->hg, x, grad);
}

static void symlin_free(model *m)
{
    symlin_ws *w = m->ws;
    if (!w) return;
    free(w->hx);
    free(w->hg);
    free(w);
    m->ws = NULL;
}

const model_ops model_symlinear_ops = {
    .init = symlin_init,
    .forward = symlin_forward,
    .backward = symlin_backward,
    .free_ws = symlin_free,
};
