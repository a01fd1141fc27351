/* mcm_moments — exact moments of the projections h = w.x of MCM samples x0 and of their
 * forward-process images x_t = alpha x0 + sigma xi (mcm-model.md §1.4, §1.5, §2.2) along the
 * directions w = m, u, v and a bulk direction r orthogonal to them, and Cov(u.x_t, v.x_t).
 *
 * These are properties of the model and the forward process, so they sit with the model (core/mcm
 * holds the block mcm_cov_uv and the kurtosis mcm_kurtosis_v they are built from), not with the
 * streaming estimator core/projstat, which knows no model. A module of their own rather than
 * mcm.c because mcm.c is compiled with reassociating hot-loop flags (Makefile HOT): these few
 * closed forms are evaluated with the default ones, as the statistics command always did. */
#ifndef MCMSIM_MCM_MOMENTS_H
#define MCMSIM_MCM_MOMENTS_H

#include "core/mcm.h"

/* The directions, in the order of the stats output ("m,u,v,r"). */
enum { MCM_MOM_M, MCM_MOM_U, MCM_MOM_V, MCM_MOM_R, MCM_MOM_NDIR };

typedef struct {
    double mean[MCM_MOM_NDIR], variance[MCM_MOM_NDIR], excess_kurtosis[MCM_MOM_NDIR];
    double cov_uv; /* Cov(u.x_t, v.x_t) */
} mcm_moments;

/* The moments of x_t at the schedule pair (alpha, sigma); x0 is alpha = 1, sigma = 0.
 * mean = alpha beta_m along m, 0 elsewhere; variance alpha^2 C + sigma^2 with C = 1 along m and r
 * and the exact (u, v) block along u, v; excess kurtosis alpha^4 kurt(v.x0) / var(v.x_t)^2 along
 * v, 0 elsewhere; cov_uv = alpha^2 C_uv. Returns mcm_moments_exact(p): the values are always
 * filled (callers may centre and scale on them) but are exact only where that returns 1. */
int mcm_moments_compute(const mcm_params *p, double alpha, double sigma, mcm_moments *out);

/* 1 where the closed forms above are exact, 0 where they are not: RANDOM spikes (u, v, m only
 * orthogonal as d -> infinity), a labelled mixture (it changes the mean and variance along m and
 * makes u.x a scale mixture of Gaussians, whose excess kurtosis is not 0), and FULL whitening with
 * coupled latents (it mixes nu into u.x, so u.x is no longer Gaussian). */
int mcm_moments_exact(const mcm_params *p);

#endif
