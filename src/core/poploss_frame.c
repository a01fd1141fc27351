/* poploss_frame — the frame description of a denoiser given by d-dimensional vectors (the
 * direct engine's models); see include/core/poploss.h. */
#include "core/poploss.h"

#include "base/log.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A vector closer than this (relative) to the span so far adds no direction: dropping it moves
 * the represented vector by at most that much. */
static const double PL_DROP = 1e-13;

static double pf_dot(const double *a, const double *b, int d)
{
    double s = 0.0;
    for (int i = 0; i < d; i++)
        s += a[i] * b[i];
    return s;
}

/* Adds the direction of x not in span(E[0..R-1]) as E[R]; returns the new R. Modified
 * Gram-Schmidt, repeated while a pass still removes more than half of the residual norm
 * ("twice is enough" unless x is nearly dependent; at most 5 passes). */
static int pf_add(double *E, int R, int Rmax, int d, const double *x, double *r)
{
    double nx = sqrt(pf_dot(x, x, d));
    if (R >= Rmax || !(nx > 0.0)) return R;
    memcpy(r, x, (size_t)d * sizeof *r);
    double prev = nx, nr = nx;
    for (int pass = 0; pass < 5; pass++) {
        for (int j = 0; j < R; j++) {
            const double *e = E + (size_t)j * d;
            double c = pf_dot(e, r, d);
            for (int i = 0; i < d; i++)
                r[i] -= c * e[i];
        }
        nr = sqrt(pf_dot(r, r, d));
        if (nr <= PL_DROP * nx) return R;
        if (pass >= 1 && nr > 0.5 * prev) break;
        prev = nr;
    }
    double *e = E + (size_t)R * d;
    for (int i = 0; i < d; i++)
        e[i] = r[i] / nr;
    return R + 1;
}

static void pf_coords(const double *E, int R, int d, const double *x, double *c)
{
    for (int j = 0; j < R; j++)
        c[j] = pf_dot(E + (size_t)j * d, x, d);
}

int poploss_net_build(poploss_net *n, const poploss_vectors *in)
{
    int d = in->d, K = in->K, tied = in->O == NULL;
    int nv = 3 + K + (tied ? 0 : K) + (in->b ? 1 : 0), Rmax = nv < d ? nv : d;
    if (d < 1 || K < 0) LOG_DIE("poploss: d = %d, K = %d", d, K);
    const double **vec = LOG_CALLOC((size_t)nv, sizeof *vec);
    int k = 0;
    vec[k++] = in->m, vec[k++] = in->u, vec[k++] = in->v;
    for (int j = 0; j < K; j++)
        vec[k++] = in->W + (size_t)j * in->w_stride;
    for (int j = 0; j < K && !tied; j++)
        vec[k++] = in->O + (size_t)j * in->o_stride;
    if (in->b) vec[k++] = in->b;
    double *E = LOG_CALLOC((size_t)Rmax * (size_t)d + (size_t)d, sizeof *E), *r = E + Rmax * d;
    int R = 0;
    for (int j = 0; j < nv; j++)
        R = pf_add(E, R, Rmax, d, vec[j], r);

    size_t RR = (size_t)R;
    double *own = LOG_CALLOC(RR * (4 + 2 * (size_t)K), sizeof *own);
    *n = (poploss_net){.d = d, .R = R, .K = K, .c = in->c, .act = in->act, .own = own};
    double *m = own, *u = m + RR, *v = u + RR, *w = v + RR, *o = w + RR * K, *b = o + RR * K;
    pf_coords(E, R, d, in->m, m);
    pf_coords(E, R, d, in->u, u);
    pf_coords(E, R, d, in->v, v);
    for (int j = 0; j < K; j++) {
        pf_coords(E, R, d, vec[3 + j], w + RR * j);
        if (tied)
            for (int i = 0; i < R; i++)
                o[RR * j + i] = in->a[j] * w[RR * j + i];
        else
            pf_coords(E, R, d, vec[3 + K + j], o + RR * j);
    }
    if (in->b) pf_coords(E, R, d, in->b, b);
    n->m = m, n->u = u, n->v = v, n->w = w, n->o = o, n->b = in->b ? b : NULL;
    free(E);
    free(vec);
    return R;
}

/* Parameter layouts of model_neuron.c (rows, then a_k if trainable) and model_twolayer.c (W
 * rows, V columns, b if present); the trainable skip is read by model_skip_value. */
int poploss_net_from_model(poploss_net *n, const model *net, double c_extra, const double *m,
                           const double *u, const double *v)
{
    const model_spec *s = &net->s;
    int d = s->d, K = s->K;
    size_t kd = (size_t)K * (size_t)d;
    poploss_vectors in = {.d = d,
                          .K = K,
                          .m = m,
                          .u = u,
                          .v = v,
                          .W = model_row(net, 0),
                          .w_stride = net->rows_stride,
                          .c = model_skip_value(net) + c_extra,
                          .act = s->act};
    double *a = NULL;
    if (s->family == MODEL_NEURON) {
        a = LOG_CALLOC((size_t)K, sizeof *a);
        for (int k = 0; k < K; k++)
            a[k] = s->train_a ? net->theta[kd + (size_t)k] : s->a0;
        in.a = a;
    } else if (s->family == MODEL_TWOLAYER) {
        in.O = net->theta + kd, in.o_stride = (size_t)d;
        in.b = s->bias ? net->theta + 2 * kd : NULL;
    } else {
        return -1;
    }
    poploss_net_build(n, &in);
    free(a);
    return 0;
}

void poploss_net_free(poploss_net *n)
{
    free(n->own);
    n->own = NULL;
}
