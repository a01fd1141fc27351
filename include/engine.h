/* engine — the training step loop of one task (engine_direct): draw a batch of (x0, t, xi),
 * form x_t, evaluate the denoiser, the DSM loss and its gradient, and take an optimiser step.
 *
 * Sample g = step B + b of a task draws x0 from the MCM at index g (online) or g mod n (finite
 * training set), xi at index g (or g mod n with frozen noise) and its time at the same index as
 * xi, all from the task's counter-based streams: a step's numbers depend only on (seed, task,
 * step), never on the rank or on what ran before. A fixed skip c = alpha_t is applied here,
 * per sample, since samples of one batch may have different times. */
#ifndef MCMSIM_ENGINE_H
#define MCMSIM_ENGINE_H

#include "cfg.h"
#include "diffusion.h"
#include "loss.h"
#include "mcm.h"
#include "model.h"
#include "optim.h"

#include <stdint.h>

typedef struct {
    const cfg_t *c; /* the task's configuration (sweeps applied) */
    uint32_t seed;
    uint64_t task;
    int d, B;
    mcm_model data;
    model net;
    optim opt;
    optim_sphere sph;
    diff_schedule sch;
    loss_kind loss;
    int fixed_skip;   /* add alpha_t x_t outside the model */
    long steps;       /* total steps of the run */
    long step;        /* steps taken */
    uint64_t n_train; /* finite data: training set size, 0 online */
    double *x0, *xt, *out, *gout, *grad, *w, *alpha, *sigma;
    double loss_sum; /* training loss summed since the last engine_take_loss */
    long loss_n;
} engine;

/* Model spec of a configuration (the engine's choices applied: fixed skip outside the model). */
model_spec engine_model_spec(const cfg_t *c, int d, int bmax);
/* The MCM of a configuration at dimension d. */
mcm_params engine_mcm_params(const cfg_t *c, int d);
/* Run length and training-set size of a configuration at dimension d. */
long engine_steps(const cfg_t *c, int d);
uint64_t engine_n_train(const cfg_t *c, int d);

void engine_init(engine *e, const cfg_t *c, int d, uint64_t task, int eval_batch);
void engine_free(engine *e);
/* One optimisation step. */
void engine_step(engine *e);
/* Denoiser output D(x_t) for n inputs with coefficient alpha (the fixed skip included). */
void engine_denoise(engine *e, int n, const double *xt, double alpha, double *out);
/* Mean training loss since the previous call (NaN when no step was taken). */
double engine_take_loss(engine *e);

#endif
