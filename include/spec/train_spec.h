/* train_spec — what one training task computes, in the narrow types of the computation: the
 * MCM, the diffusion schedule and time sampling, the model, the loss, the data mode, the
 * optimiser, the run length, the observers and the crossings watched.
 *
 * The spec layer has two kinds of headers. This one (and spec/task.h's task list) hold the specs
 * themselves and include only core headers, never the configuration, so the engine and the
 * observers (which sit above spec) include it and never see cfg_t. spec/spec.h holds the
 * builders that translate the resolved configuration into these specs (it includes base/cfg.h)
 * and the aggregates of the io/cli consumers; only the io layer and the commands include it.
 * Every spec is filled by spec.h's builders, in one place (src/spec/spec.c). */
#ifndef MCMSIM_TRAIN_SPEC_H
#define MCMSIM_TRAIN_SPEC_H

#include "core/diffusion.h"
#include "core/loss.h"
#include "core/mcm.h"
#include "core/model.h"
#include "core/optim.h"
#include "core/reduced.h"

#include <stdint.h>

/* Longest list a spec carries (the configuration's list length, checked in spec.c). */
#define SPEC_LIST_MAX 64

/* Diffusion time of each training sample; order = train.times. The type lives in core (both
 * engines draw the times with core/diffusion.h's diff_time); these are its spec-layer names. */
typedef diff_time_kind spec_time_kind;
#define SPEC_TIME_FIXED DIFF_TIME_FIXED
#define SPEC_TIME_LIST DIFF_TIME_LIST
#define SPEC_TIME_RANGE DIFF_TIME_RANGE
typedef diff_times spec_times;
_Static_assert(DIFF_TIMES_MAX >= SPEC_LIST_MAX, "a time list holds every configured time");

/* The overlaps a crossing may watch, in the order the observers record them. */
typedef enum {
    SPEC_WATCH_M,
    SPEC_WATCH_U,
    SPEC_WATCH_V,
    SPEC_WATCH_SUBSPACE,
    SPEC_NWATCH
} spec_watch;
typedef struct {
    int n; /* watched quantities, which[0 .. n) ascending */
    spec_watch which[SPEC_NWATCH];
    int nthr; /* thresholds, in the configured order */
    double thr[SPEC_LIST_MAX];
    long every;     /* steps between checks (scaling.check_every, or its default ceil(d / 16)) */
    int early_stop; /* end the task once every (quantity, threshold) pair is crossed */
} spec_crossing;

typedef struct {
    int n_obs;      /* log-spaced observations of a task */
    int n_eval;     /* evaluation samples per test loss */
    int exact_loss; /* exact population test losses (core/poploss.h), no evaluation set */
    int snapshots;  /* keep the parameters at every observation (direct engine) */
    spec_crossing crossing;
} spec_observe;

/* Which engine runs a task; order = train.engine. */
typedef enum { SPEC_ENGINE_DIRECT, SPEC_ENGINE_REDUCED } spec_engine;

typedef struct {
    spec_engine engine;
    uint32_t seed;
    uint64_t task; /* stream key of the task (task_id) */
    int d;
    mcm_params mcm;
    diff_schedule sch;
    spec_times times;
    loss_kind loss;
    model_spec model; /* the fixed-skip choice already made (see fixed_skip) */
    int fixed_skip;   /* the engine adds alpha_t x_t per sample (several training times) */
    int batch;
    uint64_t n_train; /* finite training set size, 0: online data */
    int frozen_noise; /* finite data: sample g reuses the noise of its training sample */
    /* Gaussian data: stream key of the training samples; with finite data the task id without
     * its sweep combination (spec/task.h), so every level of a replica trains on one set */
    uint64_t data_task;
    int full_batch; /* Gaussian data, gaussian.sgd_batch = full: exact expected gradient */
    /* Gaussian data, gaussian.precond = edm: one shared V, D = c_skip x + c_out V (c_in x), loss
     * weight w(sigma), levels ln sigma ~ N(p_mean, p_std^2) (times.kind = LOGNORMAL) */
    int precond;
    double sigma_data;
    optim_spec optim;
    long steps; /* run length */
    spec_observe observe;
} spec_train;

/* The reduced engine's spec of a task (core/reduced.h): the same fields, in its own struct. */
void spec_reduced_of(const spec_train *s, int user_data, reduced_spec *r);

#endif
