/* spec — the resolved configuration translated into the narrow structs of the computation.
 *
 * This is the one module that reads cfg_t on behalf of the computation: the MCM, the diffusion
 * schedule (spec_schedule is the only place one is built), the model with the engine's
 * fixed-skip choice, the optimiser with eta = delta / d^lr_power, the run length
 * steps_alpha d^steps_power, the time sampling, the observers and crossings of a training task
 * (spec_train, spec/train_spec.h), the theory inputs of a sweep combination (spec_theory) and
 * what the analysis of a run needs (spec_analysis).
 *
 * Who includes what: the specs the engine and observers take live in spec/train_spec.h, which
 * includes only core headers; this header adds the builders (taking const cfg_t *, so it
 * includes base/cfg.h) and the aggregates used only by the io layer and the commands
 * (spec_theory, spec_analysis). The engine, observers and parallel layer never include it.
 * A builder is given the configuration of one task (task_apply done: sweeps applied) unless it
 * says otherwise. */
#ifndef MCMSIM_SPEC_H
#define MCMSIM_SPEC_H

#include "base/cfg.h"
#include "core/act.h"
#include "spec/task.h"
#include "spec/train_spec.h"

#include <stdint.h>

/* The MCM of a configuration at dimension d. */
mcm_params spec_mcm(const cfg_t *c, int d);
/* The noise schedule (diffusion.schedule, beta_min, beta_max). */
diff_schedule spec_schedule(const cfg_t *c);
/* alpha_t and sigma_t of the schedule at the task's time diffusion.t. */
void spec_coeffs(const cfg_t *c, double *alpha, double *sigma);
/* The model at dimension d. A fixed skip c = alpha_t stays in the model with one training time;
 * with several (train.times != fixed) the model gets none and the engine adds alpha_t x_t per
 * sample (spec_fixed_skip). */
model_spec spec_model(const cfg_t *c, int d);
/* 1 when the engine applies the fixed skip outside the model of spec_model(c, d). */
int spec_fixed_skip(const cfg_t *c, int d);
/* The optimiser at dimension d for a run of `steps` steps (eta = delta / d^lr_power). */
optim_spec spec_optim(const cfg_t *c, int d, long steps);
/* Run length ceil(steps_alpha d^steps_power) and finite training-set size
 * max(1, ceil(n_train_alpha d^n_train_power)) (0: online data) at dimension d. */
long spec_steps(const cfg_t *c, int d);
uint64_t spec_n_train(const cfg_t *c, int d);
/* Time sampling of the training samples and the task's time. */
spec_times spec_time_sampling(const cfg_t *c);
/* The watched overlaps in observer order (m, u, v, subspace among those switched on); returns
 * how many. */
int spec_watch_list(const cfg_t *c, spec_watch which[SPEC_NWATCH]);
/* Watched overlaps, thresholds, check cadence at dimension d, early stop. */
spec_crossing spec_crossing_at(const cfg_t *c, int d);
/* Everything one training task needs: task_cfg is the task's configuration (task_apply done). */
void spec_train_build(spec_train *s, const cfg_t *task_cfg, int d, uint64_t task);
/* data.source, in the order of the schema's enum strings. */
enum { SPEC_SOURCE_MCM, SPEC_SOURCE_GAUSSIAN, SPEC_SOURCE_FILE };
/* 1 when the data are a user data set: data.source = file, or mcm with a data.file. */
int spec_user_data(const cfg_t *c);
/* 1 when the data are Gaussian, N(mean, U Lambda U^T) of [gaussian] (data.source = gaussian). */
int spec_gauss_data(const cfg_t *c);
/* NULL when the task's engine can run it; otherwise why not, with *key the configuration key
 * (train.engine = reduced: core/reduced.h's reduced_supported on the task's spec). */
const char *spec_engine_refusal(const cfg_t *task_cfg, int d, const char **key);
/* Normal variates of one step of the task's engine: its cost measure (dry runs, scheduling). */
double spec_step_variates(const cfg_t *task_cfg, int d);

/* The single-neuron theory inputs of one sweep combination (mcm-model.md §6). */
typedef struct {
    act_fn act;     /* the model's activation at the task's time */
    mcm_params mcm; /* the MCM at the dimension given to spec_theory_build */
    double t, alpha, sigma;
    double delta, lr_power; /* eta = delta / d^lr_power */
    long batch;
} spec_theory;
void spec_theory_build(spec_theory *s, const cfg_t *task_cfg, int d);

/* What /scaling and /theory of a run need, built from the run's base configuration and its
 * task list (every sweep combination takes the values of its first task). */
typedef struct {
    uint32_t seed;
    int nd;
    long d[SPEC_LIST_MAX]; /* the dimensions, in the configured order */
    int bootstrap;
    double level, fit_log_power;
    int ode_points;
    char thresholds[CFG_LIST_MAX * 24]; /* scaling.thresholds as the configuration prints it */
    int theory;                         /* 1: MCM data, the theory applies */
    int ncombo;                         /* sweep combinations */
    spec_theory *combo;                 /* [ncombo] at d[0] */
    long *steps;                        /* [ncombo][nd] run length */
} spec_analysis;
void spec_analysis_build(spec_analysis *a, const cfg_t *c, const task_list *tl);
void spec_analysis_free(spec_analysis *a);

#endif
