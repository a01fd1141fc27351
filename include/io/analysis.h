/* analysis — sample complexity across d from the per-task first crossings (mcm-model.md §6.3),
 * next to the theory (§6.2, §6.4): the /scaling and /theory groups of a run's output.
 *
 * For every sweep combination, dimension, watched quantity and threshold: number of tasks,
 * crossed fraction, Kaplan-Meier median and quartiles of n* (samples; tasks that reached the
 * budget are censored, never counted as crossings) with a bootstrap interval of the median; and
 * per combination, quantity and threshold the weighted fit of log n* against log d. The theory
 * block holds the single-neuron coefficients, exponents, learning-rate bounds and the overlap ODE
 * m(tau) per dimension. Everything is deterministic, so every rank computes the same numbers. */
#ifndef MCMSIM_ANALYSIS_H
#define MCMSIM_ANALYSIS_H

#include "engine/observe.h"
#include "io/h5out.h"
#include "spec/spec.h"
#include "spec/task.h"

typedef struct {
    int ntask, nw, nthr;
    int which[OBS_MAX_WATCH]; /* OBS_MAX_M, OBS_MAX_U, OBS_MAX_V, OBS_SUBSPACE */
    double thr[SPEC_LIST_MAX];
    double *n_cross; /* [ntask][nw][nthr] samples at the first crossing, NaN when censored */
    double *n_stop;  /* [ntask] samples drawn when the task ended (the censoring time) */
} analysis_input;

/* Collective (all ranks pass the same input): writes /scaling and /theory of the run of task
 * list tl, with a built by spec_analysis_build from the run's configuration. */
void analysis_write(h5out_file *f, const spec_analysis *a, const task_list *tl,
                    const analysis_input *in);

#endif
