/* diffusion — noise schedules and the forward process x_t = alpha_t x_0 + sigma_t xi
 * (shared/science/mcm-model.md §2.1). */
#ifndef MCMSIM_DIFFUSION_H
#define MCMSIM_DIFFUSION_H

#include "core/rng.h"

#include <stddef.h>
#include <stdint.h>

/* Order matches the enum strings of the config schema. */
typedef enum {
    DIFF_OU,   /* variance preserving: alpha = e^-t, sigma^2 = 1 - e^-2t */
    DIFF_VE,   /* variance exploding (EDM): alpha = 1, sigma = t */
    DIFF_DDPM, /* linear beta(t) = beta_min + t (beta_max - beta_min) on t in [0, 1] (VP) */
} diff_kind;

typedef struct {
    diff_kind kind;
    double beta_min, beta_max; /* DDPM only */
} diff_schedule;

/* Diffusion time of each training sample (the config's train.times, same order). */
#define DIFF_TIMES_MAX 64
/* LOGNORMAL (not a train.times value: Gaussian data with gaussian.precond = edm, the EDM
 * recipe's levels) samples ln t ~ N(ln_mean, ln_std^2). */
typedef enum {
    DIFF_TIME_FIXED,
    DIFF_TIME_LIST,
    DIFF_TIME_RANGE,
    DIFF_TIME_LOGNORMAL
} diff_time_kind;
typedef struct {
    diff_time_kind kind;
    double t; /* the task's time: every sample's with FIXED, the observers' evaluation time */
    int n;    /* LIST: samples take one of list[0 .. n) uniformly */
    double list[DIFF_TIMES_MAX];
    double t_min, t_max;    /* RANGE: uniform on [t_min, t_max) */
    int weight_sigma2;      /* weight each sample's loss by sigma_t^2 (train.t_weight = sigma2) */
    double ln_mean, ln_std; /* LOGNORMAL */
} diff_times;

/* Time of the sample with noise index i: ts->t (FIXED), or from the uniform u (LOGNORMAL:
 * exp(ln_mean + ln_std Phi^-1(u))) = rng_u53 of words
 * 0, 1 of block 0 of stream (seed, task, RNG_TIME) at step i: list[floor(u n)] or
 * t_min + u (t_max - t_min). Every engine draws its times here. */
double diff_time(const diff_times *ts, uint32_t seed, uint64_t task, uint64_t i);
/* The same time from that uniform u (engines that draw the uniforms in batches). */
double diff_time_from(const diff_times *ts, double u);

/* alpha_t and sigma_t of the schedule at time t >= 0 (t < 0 or NaN aborts). */
void diff_coeffs(const diff_schedule *s, double t, double *alpha, double *sigma);

/* x_t = alpha x_0 + sigma xi, xi from stream (seed, task, RNG_DIFFUSE) at step `index`
 * (rng_normal from block 0, d variates). xt may alias x0 (in-place update). */
void diff_forward(double alpha, double sigma, uint32_t seed, uint64_t task, uint64_t index,
                  size_t d, const double *x0, double *xt);

#endif
