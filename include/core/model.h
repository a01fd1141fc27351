/* model — the denoisers (mcm-model.md §3) behind one interface: forward, backward, a flat
 * parameter vector, and initialisation from (seed, task). One source per family:
 *   model_neuron.c    (A) spiked single neuron and (B) K-neuron tied autoencoder
 *                     D(x) = c x + sum_k a_k w_k sigma(w_k . x),  w_k on the unit sphere
 *   model_twolayer.c  (C) untied two-layer D(x) = c x + V sigma(W x) + b
 *   model_mlp.c       (D) MLP of depth L, width H: D(x) = c x + W_L s(... s(W_1 x + b_1) ...) + b_L
 *   model_linear.c    (E) linear D(x) = W x + b (dense d x d) and symmetric D(x) = P P^T x
 * Parameters live in one flat vector theta, so optimisers and gradient checks are generic.
 * The skip coefficient c is fixed (set by the engine, e.g. alpha_t), trainable, or absent. */
#ifndef MCMSIM_MODEL_H
#define MCMSIM_MODEL_H

#include "core/act.h"
#include "core/rng.h"

#include <stddef.h>
#include <stdint.h>

/* Orders match the config enums. */
typedef enum {
    MODEL_NEURON,
    MODEL_TWOLAYER,
    MODEL_MLP,
    MODEL_LINEAR,
    MODEL_SYMLINEAR
} model_family;
typedef enum { SKIP_FIXED, SKIP_TRAINABLE, SKIP_NONE } model_skip;
typedef enum { INIT2_ZERO, INIT2_SMALL } model_init2;

typedef struct {
    model_family family;
    int d;
    int K; /* neurons (A: 1, B, C), hidden width H (D), rank h (symlinear) */
    int L; /* MLP depth: number of weight layers (>= 2) */
    act_fn act;
    model_skip skip;
    double c0;          /* fixed skip value, or the initial value when trainable */
    int train_a;        /* neuron family: second-layer amplitudes a_k trainable */
    double a0;          /* neuron family: a_k when not trainable */
    model_init2 init2;  /* second layer (a_k, V, last MLP layer) zero or small */
    double init2_scale; /* std of the small second-layer init */
    int bias;           /* twolayer / MLP / linear: biases present */
} model_spec;

typedef struct model model;

typedef struct {
    void (*init)(model *m, uint32_t seed, uint32_t task);
    /* out[B][d] = D(x[B][d]); keeps what backward needs in the workspace. */
    void (*forward)(model *m, int B, const double *x, double *out);
    /* grad[np] += dL/dtheta for gout = dL/dD ([B][d]), after forward on the same x. */
    void (*backward)(model *m, int B, const double *x, const double *gout, double *grad);
    /* Optional: grad[np] = dL/dtheta (written, so the caller need not zero it first). */
    void (*backward_set)(model *m, int B, const double *x, const double *gout, double *grad);
    void (*free_ws)(model *m);
    /* Optional fused sample path, see model_resid1; returns -1 (nothing done) when the family
     * or its shape has none. */
    int (*resid1)(model *m, const double *x, const double *x0, int add, double sa, double sc,
                  double *gout, double *sumsq);
    /* Optional, see model_backward1_sums. */
    int (*backward1_sums)(model *m, const double *x, const double *gout, double *grad,
                          double *sums);
} model_ops;

struct model {
    model_spec s;
    const model_ops *ops;
    size_t np;     /* number of parameters */
    double *theta; /* all parameters */
    double c;      /* the skip value used when s.skip == SKIP_FIXED */
    /* First-layer weight rows (w_k, rows of W, rows of W_1, columns of P) for overlaps:
     * row k is theta[rows_off + k * rows_stride ...] with unit element stride, length d. */
    int n_rows;
    size_t rows_off, rows_stride;
    /* Rows constrained to the unit sphere (neuron family): the first n_sphere rows above. */
    int n_sphere;
    int bmax; /* largest batch the workspace holds */
    void *ws; /* family workspace */
};

/* Allocates and initialises: first-layer rows w = g/|g| (overlaps ~ N(0, 1/d)) from stream
 * (seed, task, RNG_INIT), second layer per s->init2. Workspace for batches up to bmax. */
void model_init(model *m, const model_spec *s, uint32_t seed, uint32_t task, int bmax);
void model_free(model *m);
void model_forward(model *m, int B, const double *x, double *out);
void model_backward(model *m, int B, const double *x, const double *gout, double *grad);
/* grad[np] = dL/dtheta, whatever grad held (families without backward_set: zero, then add). */
void model_backward_set(model *m, int B, const double *x, const double *gout, double *grad);
/* One sample's forward pass and x0 residual fused into the fewest passes over memory: with
 * D' = D(x) (+ sa x if add: the engine's fixed skip), gout = sc (x0 - D') and *sumsq =
 * |x0 - D'|^2, bitwise what model_forward, adding sa x and loss_eval give. The next
 * model_backward_set on the same sample reuses its dots. Returns -1, having done nothing, where
 * the family has no fused path: the caller takes the unfused one. */
int model_resid1(model *m, const double *x, const double *x0, int add, double sa, double sc,
                 double *gout, double *sumsq);
/* One sample (B = 1) after forward or model_resid1 on it: grad = dL/dtheta (written) and, in the
 * same pass, sums[3 k ..] = (|w|^2, w . g, |g|^2) of sphere row k and its gradient g, bitwise
 * what optim_step's own reduction would form (optim_step_sums takes them). -1, nothing done,
 * where the family has no such pass. */
int model_backward1_sums(model *m, const double *x, const double *gout, double *grad, double *sums);
static inline const double *model_row(const model *m, int k)
{
    return m->theta + m->rows_off + (size_t)k * m->rows_stride;
}
/* The skip coefficient c in use: m->c (fixed), the trainable entry (the last of theta), or 0. */
double model_skip_value(const model *m);
/* Parameter count of a spec (for memory estimates). */
size_t model_count(const model_spec *s);

/* How model_init_rows finishes a drawn row g ~ N(0, I_d). The two unit norms differ in the last
 * bit (BLAS dnrm2 scales and accumulates otherwise than a plain sum of squares); each family
 * keeps the one it was written with, so a seed draws the same numbers as before. */
typedef enum {
    MODEL_ROWS_SCALE,      /* scale g */
    MODEL_ROWS_UNIT_SUMSQ, /* scale g / sqrt(sum_i g_i^2): neuron, twolayer */
    MODEL_ROWS_UNIT_NRM2,  /* scale g / cblas_dnrm2(g): mlp, symlinear */
} model_rows_norm;
/* The first-layer rows of every family: row k of w[rows][d] from stream s at step k, blocks from
 * 0, finished per `norm`. The steps are the same in every family, so a first layer starts from
 * the same directions whatever the family (the layers after it use other steps). */
void model_init_rows(double *w, int rows, int d, const rng_stream *s, double scale,
                     model_rows_norm norm);

/* Family tables, defined in their sources. */
extern const model_ops model_neuron_ops, model_twolayer_ops, model_mlp_ops, model_linear_ops,
    model_symlinear_ops;
/* layout: sets m->np, the rows and the sphere rows from m->s, allocates nothing. init (in the
 * ops table) fills the zeroed m->theta and allocates m->ws for batches up to m->bmax. */
void model_neuron_layout(model *m);
void model_twolayer_layout(model *m);
void model_mlp_layout(model *m);
void model_linear_layout(model *m);
void model_symlinear_layout(model *m);

#endif
