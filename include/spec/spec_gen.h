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
} spec_gen;

void spec_gen_build(spec_gen *g, const cfg_t *c);
/* The d variances of the [gaussian] spectrum law (power, exponential, lognormal) or list (of
 * length d) into lam[d]; -1 for a file spectrum or a list of another length. */
int spec_gen_lambda(const cfg_t *c, int d, double *lam);

#endif
