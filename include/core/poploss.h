/* poploss — exact population test losses of the spiked denoisers on the MCM and its clones
 * (mcm-model.md §2.6, §5; issue 11). For x_t = alpha x0 + sigma xi and r = x0 - D(x_t):
 *   loss = E|r|^2 / d,   err_u = E[(u.r)^2],   err_v = E[(v.r)^2],
 * the quantities observe.c estimates on an evaluation set, here to quadrature precision
 * (measured <= 2e-15 relative against 3x denser rules; src/core/poploss.md §5).
 *
 * Denoisers D(x) = c x + sum_k o_k sigma(w_k . x) + b, with any act_fn of core/act.h:
 *   (A), (B) tied: o_k = a_k w_k (any |w_k|);   (C) untied two-layer: o_k = V's column k, bias b.
 * (model_twolayer.c has no hidden biases, so W x enters sigma alone.)
 * Data laws, exactly as the samplers draw them (every mcm_params option, random spikes literal):
 *   POPLOSS_DATA   mcm_sample;
 *   POPLOSS_GAUSS  bayes_clone_sample(CLONE_GAUSS): N(mean m, Cov) through the (m, u, v) map;
 *   POPLOSS_MEAN   bayes_clone_sample(CLONE_MEAN): N(mean m, tau^2 I), tau^2 = tr Cov / d.
 *
 * Method (derivation: src/core/poploss.md). Every vector the loss depends on lies in
 * V = span(m, u, v, w_k, o_k, b), of dimension R; with an orthonormal basis E of V, x0 = E q +
 * z_perp with q in R^R Gaussian given the latents and z_perp isotropic in V-perp. The bulk gives (d
 * - R)((1 - c alpha)^2 s_b^2 + c^2 sigma^2) in closed form (s_b^2 = 1, or tau^2 for the mean
 * clone); the rest is a finite mixture over the discrete latents (nu's values, the label, and
 * for coupled latents the intervals of lambda on which nu is constant) of Gaussian expectations:
 * quadratic terms in closed form, E[Z sigma(h)] by Stein's lemma (1-D), E[sigma(h_k) sigma(h_l)]
 * by a 2-D rule after a Cholesky factor of their covariance; a restriction of lambda to an
 * interval enters as the closed-form factor Pr(lambda in I | h). The cost does not depend on d
 * (apart from building the frame, O(d R^2)). */
#ifndef MCMSIM_POPLOSS_H
#define MCMSIM_POPLOSS_H

#include "core/act.h"
#include "core/mcm.h"
#include "core/model.h"

#include <stddef.h>

typedef enum { POPLOSS_DATA, POPLOSS_GAUSS, POPLOSS_MEAN, POPLOSS_NLAW } poploss_law;

/* A denoiser in frame coordinates. Coordinates are in an orthonormal basis of a subspace that
 * contains m, u, v and every parameter vector (the caller's frame: any orthonormal basis; the
 * spikes need not be orthogonal to each other). */
typedef struct {
    int d;                   /* ambient dimension (the bulk has dimension d - R) */
    int R;                   /* frame dimension, R <= d */
    int K;                   /* neurons */
    const double *m, *u, *v; /* [R] spike coordinates */
    const double *w;         /* [K][R] first-layer rows w_k */
    const double *o;         /* [K][R] output vectors (a_k w_k, or V's columns) */
    const double *b;         /* [R] output bias, NULL: none */
    double c;                /* skip coefficient */
    act_fn act;
    double *own; /* storage owned by poploss_net_build / _from_model (NULL otherwise) */
} poploss_net;

/* The same denoiser given by d-dimensional vectors (row k of W at W + k w_stride). */
typedef struct {
    int d, K;
    const double *m, *u, *v;
    const double *W;
    size_t w_stride;
    const double *O; /* output vector k at O + k o_stride; NULL: tied, o_k = a[k] w_k */
    size_t o_stride;
    const double *a; /* [K] tied amplitudes (O == NULL) */
    const double *b; /* [d] output bias or NULL */
    double c;
    act_fn act;
} poploss_vectors;

/* Frame by modified Gram-Schmidt over m, u, v, the rows w_k, the untied o_k, then b, each
 * re-orthogonalised until its norm settles (twice, or more for nearly dependent vectors);
 * vectors within 1e-13 relative of the span so far are dropped. O(d R^2). Returns R. */
int poploss_net_build(poploss_net *n, const poploss_vectors *in);
/* Families (A)/(B) (MODEL_NEURON) and (C) (MODEL_TWOLAYER) of core/model.h: c = the model's skip
 * (model_skip_value) + c_extra (the engine's fixed skip alpha_t, or 0). Returns 0, or -1 for the
 * other families (nothing allocated). */
int poploss_net_from_model(poploss_net *n, const model *net, double c_extra, const double *m,
                           const double *u, const double *v);
void poploss_net_free(poploss_net *n);

typedef struct {
    double loss;  /* E|x0 - D(x_t)|^2 / d */
    double err_u; /* E[(u.(x0 - D(x_t)))^2] */
    double err_v; /* E[(v.(x0 - D(x_t)))^2] */
    int degraded; /* 1: a quadrature hit its node cap (huge |w|): accuracy not guaranteed */
} poploss_val;

typedef struct poploss poploss;

/* The data law of p (its d is not used: the net's d is), its components precomputed.
 * refine > 0 multiplies every quadrature's node density (1 is the default; 0 means 1). */
poploss *poploss_new(const mcm_params *p, double refine);
void poploss_free(poploss *pl);
/* The population quantities of net under law at (alpha, sigma). */
void poploss_eval(poploss *pl, const poploss_net *net, poploss_law law, double alpha, double sigma,
                  poploss_val *out);
/* The same for an isotropic Gaussian x0 ~ N(mean_m m, tau2 I) (the mean clone is one). */
void poploss_eval_iso(poploss *pl, const poploss_net *net, double mean_m, double tau2, double alpha,
                      double sigma, poploss_val *out);
/* Integrand evaluations so far (diagnostics and benchmarks). */
long poploss_evals(const poploss *pl);

#endif
