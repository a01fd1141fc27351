/* spec_gauss — the [gaussian] configuration as the inputs of the Gaussian linear-denoiser
 * theory (core/gtheory.h), so that the theory never sees cfg_t.
 *
 * The spectrum has d = mcm.d modes (the command requires one d): lambda_k from the law or the
 * list, or, for spectrum = file, given afterwards by spec_gauss_set_lambda once the io layer
 * has read it. init_q holds one Q for every mode or one per mode. */
#ifndef MCMSIM_SPEC_GAUSS_H
#define MCMSIM_SPEC_GAUSS_H

#include "base/cfg.h"
#include "core/gtheory.h"

typedef struct {
    gt_setup setup;
    gt_criterion criterion;
    gt_spectrum spectrum;
    int d;                   /* modes; 0 until a file spectrum is set */
    double *lambda, *q;      /* [d] variances and initial weights Q_k */
    double tau_min, tau_max; /* the log-spaced output grid of n_tau times */
    int n_tau;
    double weight_level; /* level x of the reported weights: sigma, or t for flow matching */
    double level, fit_lambda_min;
} spec_gauss;

/* Everything but a file spectrum (d = c->mcm.d.v[0] modes). */
void spec_gauss_build(spec_gauss *g, const cfg_t *c);
/* The n variances of a file spectrum; returns 0, or -1 when init_q holds neither one value nor
 * n (nothing is set then). */
int spec_gauss_set_lambda(spec_gauss *g, const cfg_t *c, int n, const double *lambda);
/* Time i of the output grid, tau_min (tau_max/tau_min)^(i/(n_tau-1)). */
double spec_gauss_tau(const spec_gauss *g, int i);
/* Points of the emergence scan: n_tau, at least 16 per decade of the grid. */
int spec_gauss_n_scan(const spec_gauss *g);
void spec_gauss_free(spec_gauss *g);

#endif
