/* engine — the training step loop of one task (engine_direct): draw a batch of (x0, t, xi),
 * form x_t, evaluate the denoiser, the DSM loss and its gradient, and take an optimiser step.
 *
 * Sample g = step B + b of a task draws x0 from the MCM at index g (online) or g mod n (finite
 * training set), xi at index g (or g mod n with frozen noise) and its time at the same index as
 * xi, all from the task's counter-based streams: a step's numbers depend only on (seed, task,
 * step), never on the rank or on what ran before. A fixed skip c = alpha_t is applied here,
 * per sample, since samples of one batch may have different times.
 *
 * Gaussian data (engine_data.gauss): x0 of sample g is sample g (finite: g mod n) of stream
 * (seed, data_task, RNG_GAUSS); with finite data data_task is shared by every level of a
 * replica. Full batch (gaussian.sgd_batch = full): no samples at all, each step is one step of
 * GD on the exact loss averaged over the noise and over the training set (or the population),
 * computed from its moments S, m (core/gdata.h), loss and gradient in O(d^3). EDM
 * preconditioning (gaussian.precond = edm): one shared map V trained over levels drawn from
 * ln sigma ~ N(p_mean, p_std^2) with loss weight w(sigma), D = c_skip x + c_out V (c_in x)
 * (gaussian-theory.md §1.2, §2.3).
 *
 * With a user data set (engine_data, `data.file`), sample g takes x0 = training row r, r drawn
 * uniformly with replacement from stream (seed, task, RNG_ROWS) at index g; xi and the time are
 * drawn exactly as for MCM data. Sampling with replacement keeps a step's numbers a function of
 * (seed, task, step) alone, like the online MCM stream, so checkpoints need no epoch state.
 *
 * The engine takes a task's spec_train (spec/train_spec.h, filled from the configuration by the
 * spec layer); it never sees the configuration itself. */
#ifndef MCMSIM_ENGINE_H
#define MCMSIM_ENGINE_H

#include "core/clone.h"
#include "core/diffusion.h"
#include "core/gdata.h"
#include "core/gtheory.h"
#include "core/loss.h"
#include "core/mcm.h"
#include "core/model.h"
#include "core/optim.h"
#include "core/poploss.h"
#include "core/reduced.h"
#include "spec/train_spec.h"

#include <stdint.h>

/* A user data set for training and evaluation, shared read-only by every task of a rank. */
typedef struct {
    int d;
    const double *rows;      /* [n_rows][d] row-major, every row of the data set */
    long n_rows;             /* rows in the data set */
    long n_train;            /* training rows: rows 0 .. n_train-1 */
    const double *test;      /* [n_test][d] evaluation rows: the held-out tail, or the training
                                rows when data.test_fraction = 0 */
    long n_test;             /* evaluation rows */
    const clone_t *clone;    /* Gaussian and mean clones of the training rows */
    const double *m, *u, *v; /* unit spikes for the overlaps, NULL when not given */
    /* Gaussian data (data.source = gaussian; rows, test and clone are then NULL): sample g is
     * sample g (finite data: g mod n) of stream (seed, task, RNG_GAUSS) of core/gdata.h. */
    const gdata *gauss;
} engine_data;

typedef struct {
    uint32_t seed;
    uint64_t task;
    int d, B;
    mcm_model data;        /* the MCM (unused, zeroed, with a user data set) */
    const engine_data *ud; /* user data set, NULL: MCM data */
    const double *spk[3];  /* m, u, v for the observers (NULL: none, overlaps are NaN) */
    model net;
    optim opt;
    optim_sphere sph;
    diff_schedule sch;
    spec_times times; /* time of each sample; times.t: the task's (evaluation) time */
    loss_kind loss;
    int fixed_skip;   /* add alpha_t x_t outside the model */
    int unfused;      /* tests: take the unfused forward and loss passes (the same numbers) */
    int frozen_noise; /* finite data: the noise of sample g is that of its training sample */
    long steps;       /* total steps of the run */
    long step;        /* steps taken */
    uint64_t n_train; /* finite data: training set size, 0 online */
    double *x0, *xt, *out, *gout, *grad, *w, *alpha, *sigma;
    double *z;          /* Gaussian data: [B][d] normals of the batch */
    double *sums;       /* [n_sphere][3] sphere sums of the fused online step */
    uint64_t *gindex;   /* Gaussian data: [B] sample indices of the batch */
    uint64_t data_task; /* Gaussian data: stream key of x0 (finite: shared by the levels) */
    /* Gaussian data, full batch (spec_train.full_batch): the moments S [d][d], m [d] of the
     * training set (finite) or the population (online), the exact gradient GW [d][d], Gb [d]
     * and W [d][d] (symlinear: P P^T); NULL otherwise */
    double *gS, *gm, *gGW, *gGb, *gW;
    double gsigma; /* full batch: the level sigma of diffusion.t (train.times = fixed) */
    /* gaussian.precond = edm (spec_train.precond): the model is V of D = c_skip x + c_out V (c_in
     * x), each sample's level from times (LOGNORMAL) and its loss weighted by w(sigma);
     * xin [bmax][d] holds c_in x, cskip, cout, cin [B] the sample's coefficients */
    int precond;
    double sigma_data;
    double *xin, *cskip, *cout, *cin;
    double loss_sum; /* training loss summed since the last engine_take_loss */
    long loss_n;
    /* train.engine = reduced: the exact Gram-state chain (core/reduced.h) runs the task and
     * net, opt, data and the buffers above stay empty; NULL: the direct engine. */
    reduced *red;
} engine;

/* The engine of task s (s->d, s->task, ...); the denoiser's workspace holds batches of up to
 * max(s->batch, eval_batch); ud: a user data set of dimension s->d, or NULL for MCM data. */
void engine_init(engine *e, const spec_train *s, int eval_batch, const engine_data *ud);
/* Training row of sample g (user data): uniform on 0 .. n_train-1 from (seed, task, RNG_ROWS). */
long engine_row(uint32_t seed, uint64_t task, long n_train, uint64_t g);
void engine_free(engine *e);
/* One optimisation step. */
void engine_step(engine *e);
/* Denoiser output D(x_t) for n inputs with coefficient alpha (the fixed skip included; with
 * precond the EDM form at the task's time, times.t). */
void engine_denoise(engine *e, int n, const double *xt, double alpha, double *out);
/* Mean training loss since the previous call (NaN when no step was taken). */
double engine_take_loss(engine *e);

/* The linear denoiser as W (d x d row-major; symlinear: P P^T) and b (NULL: none); -1 when
 * the model is not linear or symlinear. */
int engine_linear_weights(const engine *e, double *W, const double **b);
/* The denoiser's own linear map at the task's time: engine_linear_weights, with precond
 * c_skip I + c_out c_in V at sigma of times.t (b must be NULL then). */
int engine_denoiser_weights(const engine *e, double *W, const double **b);
/* First-layer rows of the model (0 for the linear families). */
int engine_rows(const engine *e);
/* The spikes m, u, v are known (MCM data, or a user data set with data.spikes). */
int engine_has_spikes(const engine *e);
/* Smallest eigenvalue of the reduced engine's Gram matrix of parameter vectors (NaN: direct). */
double engine_gram_min_eig(const engine *e);
/* Signed overlaps ov[k][3] = w_k . (m, u, v) / |w_k| and norm[k] = |w_k| of every row (either may
 * be NULL); with spikes missing (user data without data.spikes) only the norms. */
void engine_overlaps(const engine *e, double *ov, double *norm);
/* The denoiser as core/poploss.h describes it, evaluated at alpha (the fixed skip's value):
 * from the reduced engine's coordinates, or the direct engine's vectors (a frame built in
 * O(d K^2)). Returns -1 when the model has no such description (mlp, linear, user data). */
int engine_poploss_net(const engine *e, double alpha, poploss_net *n);
/* The state a checkpoint keeps besides the counters (step, opt.t, loss_sum, loss_n): the direct
 * engine's parameters, or the reduced engine's coordinates. unpack takes the counters already
 * restored into e. */
size_t engine_state_size(const engine *e);
void engine_state_pack(const engine *e, double *buf);
void engine_state_unpack(engine *e, const double *buf);

#endif
