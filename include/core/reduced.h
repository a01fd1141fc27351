/* reduced — the exact reduced engine: online SGD on the MCM at a cost per step independent of d
 * (issue 11; the derivation is src/core/reduced.md).
 *
 * Every vector of the problem (the spikes m, u, v and the parameter vectors: neuron rows w_k,
 * for the two-layer model also the second-layer columns V_k and the bias b) lies in a subspace of
 * dimension r = 3 + P. The engine keeps their coordinates in an orthonormal frame of that subspace
 * (the frame itself is never formed): the spikes in the first 3 coordinates (the identity for
 * qr/axes spikes, upper triangular for random ones), the parameters in the next P with a lower
 * triangular block of non-negative diagonal (the Cholesky factor of the Gram matrix of their
 * components orthogonal to the spikes). A step draws the in-frame coordinates of z and xi of every
 * sample (normals), the Bartlett factor of their 2B components orthogonal to the frame (chi^2 and
 * normals) and the latents; runs forward, loss, backward and the optimiser in the extended frame
 * of dimension r + 2B, exactly as the direct engine does in R^d; and re-compresses the parameters
 * by a Householder LQ factorisation. Because the law of a step is invariant under rotations that
 * fix the frame, the coordinates form a Markov chain with exactly the law of the direct engine's
 * overlaps, norms and losses at every d: no d -> infinity limit is taken.
 *
 * Supported: model families neuron (A, B) and twolayer (C, with or without bias); skip fixed,
 * per-sample alpha_t (fixed_skip), trainable or none; amplitudes fixed or trainable; optimisers
 * sgd and spherical with weight decay and every schedule; online data with batches of up to
 * REDUCED_MAX_BATCH; every MCM option, diffusion schedule, time sampling and loss.
 * reduced_supported names the configuration key of anything else.
 *
 * Random streams (keyed (seed, task, purpose), counters as in the direct engine): latents from
 * RNG_LATENT and times from RNG_TIME at the sample index g, exactly the direct engine's numbers;
 * the in-frame coordinates from RNG_REDUCED_BULK at g; the Bartlett factor of a step from
 * RNG_REDUCED_GRAM at the step index; the initial state from RNG_REDUCED_INIT. A step's numbers
 * depend only on (seed, task, step): restarts and rank counts give bitwise the same chain. */
#ifndef MCMSIM_REDUCED_H
#define MCMSIM_REDUCED_H

#include "core/diffusion.h"
#include "core/loss.h"
#include "core/mcm.h"
#include "core/model.h"
#include "core/optim.h"
#include "core/rng.h"

#include <stddef.h>
#include <stdint.h>

/* Largest batch: the Bartlett factor has (2B)^2 entries per step, so the cost per sample grows
 * like B; beyond this the direct engine is cheaper for any d where the reduced one makes sense. */
#define REDUCED_MAX_BATCH 1024

/* What a task computes, in core types (the engine layer fills it from spec_train). */
typedef struct {
    uint32_t seed;
    uint64_t task;
    int d;
    mcm_params mcm;
    diff_schedule sch;
    diff_times times;
    loss_kind loss;
    model_spec model; /* model.skip == SKIP_FIXED: c = model.c0 for every sample */
    int fixed_skip;   /* model.skip == SKIP_NONE and c = alpha_t of each sample's time */
    int batch;
    optim_spec optim;
    uint64_t n_train; /* finite training set: not supported (must be 0) */
    int user_data;    /* a user data set: not supported (must be 0) */
} reduced_spec;

/* The randomness of one step, explicit (reduced_step draws it from the streams; tests build it
 * from a d-dimensional realisation). Sample b < B: */
typedef struct {
    double *lambda, *nu; /* [B] latents (any value for label -1) */
    int *label;          /* [B] +1, or -1 for the isotropic mixture component */
    double *t;           /* [B] diffusion times */
    double *alpha;       /* [B] alpha_t and sigma_t of those times, or NULL: from t */
    double *sigma;
    double *ab; /* [B][2r]: z . e_j (j < r), then xi . e_j, e_j the frame */
    double *R;  /* [2B][2B] row-major, upper triangular: column 2b holds the coordinates
                   of z_b's component orthogonal to the frame, 2b + 1 those of xi_b's, in
                   an orthonormal basis of their span (R_ii >= 0) */
} reduced_draw;

/* Index of a vector of the problem for reduced_inner: spikes, then parameters. */
enum { REDUCED_M = 0, REDUCED_U = 1, REDUCED_V = 2, REDUCED_P0 = 3 };

typedef struct reduced_cache reduced_cache; /* drawn randomness of a window of steps */

typedef struct {
    reduced_spec s;
    mcm_model mcm;     /* scalars only (mcm_init_scalars); uu, uv, vv from the spike coordinates */
    int K, P, r, B, N; /* neurons, parameter vectors, frame dimension 3 + P, batch, r + 2B */
    int iv, ib;        /* first V column and the bias among the parameters (-1: none) */
    double S[3][3];    /* spike coordinates: S[0] = m, S[1] = u, S[2] = v (S[i][j] = 0, j > i) */
    double *X;         /* [P][r] parameter coordinates; rows 0..K-1 are the rows w_k */
    double *amp;       /* [K] neuron amplitudes a_k (trainable or fixed a0) */
    double c;          /* the skip: trainable value, or model.c0 */
    long step;         /* steps taken */
    long opt_t;        /* optimiser steps (the learning-rate schedule's counter) */
    double inv_b, inv_bd; /* 1 / B, 1 / (B d) */
    double loss_sum;      /* training loss per dimension summed since reduced_take_loss */
    long loss_n;
    /* Precomputed per time of a FIXED or LIST sampling: alpha, sigma, loss weight. */
    int n_tabs;
    double *tab_alpha, *tab_sigma, *tab_w;
    reduced_draw dr; /* the current step's randomness */
    double *ws;      /* step workspace */
    reduced_cache *cache;
} reduced;

/* NULL when the engine represents s exactly; otherwise a reason and *key the configuration key
 * ("optim.kind", "train.data", "model.family", "data.file", "train.batch", "mcm.d"). */
const char *reduced_supported(const reduced_spec *s, const char **key);
/* Frame dimension r = 3 + P of a spec (P: parameter vectors); the step costs O(B (r + 2B) P +
 * P^2 (P + 2B) + B^2) operations and 2 B r + B (2B + 1) + 2B normals. */
int reduced_frame_dim(const reduced_spec *s, int *P);

/* The exact initial state of task s (dies if reduced_supported(s) fails). */
void reduced_init(reduced *r, const reduced_spec *s);
void reduced_free(reduced *r);
/* One step with the randomness of step r->step from the streams. */
void reduced_step(reduced *r);
/* One step with given randomness. */
void reduced_step_with(reduced *r, const reduced_draw *dr);
/* Draws the randomness of step `step` into r->dr (what reduced_step uses). */
void reduced_draw_step(reduced *r, long step);
/* Mean training loss per dimension since the previous call (NaN when no step was taken). */
double reduced_take_loss(reduced *r);

/* Observables, from the coordinates. ov[k][3]: signed overlaps w_k . (m, u, v) / |w_k| (0 for a
 * zero row); norm[k] = |w_k|. Either may be NULL. */
void reduced_overlaps(const reduced *r, double *ov, double *norm);
/* Inner product of two vectors by index: REDUCED_M/U/V or REDUCED_P0 + p for parameter p
 * (rows w_k at p = k; twolayer: V_k at p = r->iv + k, the bias at p = r->ib). */
double reduced_inner(const reduced *r, int i, int j);
/* The skip coefficient (trainable value or the fixed c0; NaN with a per-sample alpha_t skip). */
double reduced_skip(const reduced *r);
/* G[P][P] = Gram matrix of the parameter vectors and its smallest eigenvalue. */
void reduced_gram(const reduced *r, double *G);
double reduced_gram_min_eig(const reduced *r);

/* Checkpoint state: X, the amplitudes and the skip (step, opt_t, loss_sum and loss_n are fields,
 * saved like the direct engine's). */
size_t reduced_state_size(const reduced *r);
void reduced_pack(const reduced *r, double *buf);
void reduced_unpack(reduced *r, const double *buf);

/* Sets the state from d-dimensional vectors: the spikes (each length d) and the P parameter
 * vectors par[p] (the layout of reduced_inner), amplitudes a (K values or NULL: unchanged) and
 * skip c. Builds the frame by Gram-Schmidt (twice) in the order m, u, v, par[0..P); a parameter in
 * the span of the previous vectors gets a fixed complement direction. E (r x d row-major, may be
 * NULL) receives the frame: the coordinates of z are then E z. For tests and for starting from a
 * direct engine's exact state; O(d r^2). */
void reduced_load_vectors(reduced *r, int d, const double *m, const double *u, const double *v,
                          const double *const *par, const double *a, double c, double *E);

/* tanh for the step's tanh and matched_v activations: libm's tanh goes through expm1 and costs
 * about 35 ns of latency, a third of a K = 1 step. Here |x| < 0.55: x P(x^2) / Q(x^2), the [7/8]
 * Pade approximant from Lambert's continued fraction tanh x = x / (1 + x^2 / (3 + x^2 / (5 + ...)))
 * truncated at 15 (truncation error < 1e-18 relative); otherwise 1 - 2 / (e^{2|x|} + 1) with the
 * sign of x (no cancellation: the result is above 1/2). Measured max relative error 3.7e-16
 * (libm: 3.1e-16) against long double tanhl over 2 10^7 points in 10^-8 < |x| < 10^1.5. */
double reduced_tanh(double x);

/* Bartlett factor of a d x p matrix of i.i.d. N(0, 1) entries: R[p][p] upper triangular,
 * R_ii^2 ~ chi^2_{n - i}, R_ij ~ N(0, 1) (i < j), from stream s at counter `counter` (layout in
 * reduced.md); then R^T R ~ Wishart_p(n, I). Needs n >= p. */
void reduced_bartlett(const rng_stream *s, uint64_t counter, int p, long n, double *R);
/* chi^2_k from a normal x and a uniform u (Marsaglia-Tsang for k >= 2, x^2 for k = 1): returns 0
 * when the pair is rejected (the caller takes the next pair of its sequence). dd = k/2 - 1/3 and
 * cc = 1 / sqrt(9 dd) precomputed. */
int reduced_chisq_try(double k, double dd, double cc, double x, double u, double *out);

#endif
