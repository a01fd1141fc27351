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

/* alpha_t and sigma_t of the schedule at time t >= 0 (t < 0 or NaN aborts). */
void diff_coeffs(const diff_schedule *s, double t, double *alpha, double *sigma);

/* x_t = alpha x_0 + sigma xi, xi from stream (seed, task, RNG_DIFFUSE) at step `index`
 * (rng_normal from block 0, d variates). xt may alias x0 (in-place update). */
void diff_forward(double alpha, double sigma, uint32_t seed, uint64_t task, uint64_t index,
                  size_t d, const double *x0, double *xt);

#endif
