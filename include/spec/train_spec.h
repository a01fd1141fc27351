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

#include <stdint.h>

/* Longest list a spec carries (the configuration's list length, checked in spec.c). */
#define SPEC_LIST_MAX 64

/* Diffusion time of each training sample; order = train.times. */
typedef enum { SPEC_TIME_FIXED, SPEC_TIME_LIST, SPEC_TIME_RANGE } spec_time_kind;
typedef struct {
    spec_time_kind kind;
    double t; /* the task's time: every sample's with FIXED, the observers' evaluation time */
    int n;    /* LIST: samples take one of list[0 .. n) uniformly */
    double list[SPEC_LIST_MAX];
    double t_min, t_max; /* RANGE: uniform on [t_min, t_max) */
    int weight_sigma2;   /* weight each sample's loss by sigma_t^2 (train.t_weight = sigma2) */
} spec_times;

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
    int n_obs;  /* log-spaced observations of a task */
    int n_eval; /* evaluation samples per test loss */
    spec_crossing crossing;
} spec_observe;

typedef struct {
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
    optim_spec optim;
    long steps; /* run length */
    spec_observe observe;
} spec_train;

#endif
