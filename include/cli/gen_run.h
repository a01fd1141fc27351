/* gen_run — `mcmsim generate` with score = model (src/cli/gen_run.c): the trained model of a run
 * output (generate.run_file, written with observe.snapshots = true) at each of its snapshots, as
 * the denoiser of the probability-flow ODE.
 *
 * Rank 0 reads the run file (its resolved /config, /tasks and /snapshots), every rank receives
 * the same numbers, so the refusals and the job list are identical everywhere. A job is one
 * generate task: (run task, snapshot), or, for linear denoisers on Gaussian data (one W per
 * level, data.source = gaussian with a [sweep] t list), (replica, snapshot) with the nets of
 * every level of the replica; the sampler's grid is then the run's levels.
 *
 * Which runs define a denoiser at every level (refused otherwise, exit 2, no output):
 *  - neuron, twolayer or mlp trained with train.times = range or list, model.skip = fixed (the
 *    engine's alpha_t x_t) and an activation that does not depend on t: D(x; alpha, sigma) =
 *    alpha x + F_theta(x), on the run's process (ou, ddpm: VP, sampler ddim; ve: euler, heun);
 *  - linear or symlinear on Gaussian data (identity basis, zero mean): one W per trained level,
 *    generated on those levels only (sampler euler or heun). */
#ifndef MCMSIM_GEN_RUN_H
#define MCMSIM_GEN_RUN_H

#include "base/cfg.h"
#include "core/gen.h"
#include "spec/spec_gen.h"
#include "spec/task.h"

typedef struct {
    int task;    /* run task (levels: the replica's task at the highest level) */
    int obs;     /* snapshot index */
    double step; /* optimisation steps at the snapshot */
} gen_run_job;

typedef struct {
    cfg_resolved *cr; /* the run's resolved configuration */
    task_list tl;     /* the run's tasks */
    int nobs;         /* snapshots per task (observe.n_obs of the run) */
    size_t np;        /* width of a snapshot row */
    double *theta;    /* [task][obs][np] */
    double *step;     /* [task][obs], NaN: no snapshot */
    double *npar;     /* [task] */
    int levels;       /* 1: a net per level (linear families on Gaussian data) */
    int nlev;         /* levels per replica */
    int *lev_task;    /* [replica][nlev] run tasks, levels descending */
    double *lev;      /* [nlev] levels descending (the sampler's grid) */
    double eta;       /* Gaussian data: SGD step, the theory's clock tau = step x eta */
    int njob;
    gen_run_job *job;
    task_list jobs; /* one task row per job: its run task (d, replica, id) */
} gen_run;

/* Collective: reads and checks generate.run_file (exit 2 on every rank, naming the keys, when it
 * is unreadable, has no snapshots or its model defines no denoiser at the levels generated). */
void gen_run_load(gen_run *g, const cfg_resolved *gcr, const spec_gen *sg);
void gen_run_free(gen_run *g);
/* The configuration of job j's run task (the task's sweep values applied). */
void gen_run_task_cfg(const gen_run *g, int j, cfg_t *c);
/* The nets of job j with their snapshot parameters, as a denoiser's model (free with
 * gen_run_model_free). */
void gen_run_model(const gen_run *g, int j, gen_model *gm);
void gen_run_model_free(gen_model *gm);

#endif
