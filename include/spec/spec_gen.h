/* spec_gen — the [generate] configuration as the inputs of the samplers (core/gen.h), and the
 * [gaussian] spectrum of the Gaussian data at one task's dimension. */
#ifndef MCMSIM_SPEC_GEN_H
#define MCMSIM_SPEC_GEN_H

#include "base/cfg.h"
#include "core/gen.h"

typedef struct {
    gen_plan plan;
    gen_data data;
    gen_score score;
    long n_samples, n_write;
    int kick;             /* kick responses of the written samples */
    double tau;           /* score = linear: training time of the theory's weights */
    gt_setup setup;       /* the [gaussian] theory, PF-ODE range of [generate] */
    const char *run_file; /* score = model: generate.run_file (borrowed from the config) */
} spec_gen;

void spec_gen_build(spec_gen *g, const cfg_t *c);
/* The d variances of the [gaussian] spectrum law (power, exponential, lognormal) or list (of
 * length d) into lam[d]; -1 for a file spectrum or a list of another length. */
int spec_gen_lambda(const cfg_t *c, int d, double *lam);
/* The initial weights Q_k of gaussian.init_q (one value or d) into q[d]; -1 for another length. */
int spec_gen_q(const cfg_t *c, int d, double *q);

#endif
