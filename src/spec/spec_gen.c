/* spec_gen — [generate] for core/gen.h; see include/spec/spec_gen.h. */
#include "spec/spec_gen.h"

#include "core/gtheory.h"
#include "spec/spec_gauss.h"

#include "base/log.h"

#include <stdlib.h>
#include <string.h>

/* The parsed enum index is stored as the gen enum: the schema strings list them in order. */
_Static_assert(GEN_HEUN == 1 && GEN_DDIM == 2 && GEN_SCORE_LINEAR == 2 && GEN_SCORE_MODEL == 3 &&
                   GEN_DATA_GAUSSIAN == 1,
               "enum order of core/gen.h must match the [generate] schema enum strings");

void spec_gen_build(spec_gen *g, const cfg_t *c)
{
    memset(g, 0, sizeof *g);
    g->plan = (gen_plan){
        .kind = (gen_sampler)c->generate.sampler,
        .n_steps = (int)c->generate.n_steps,
        .sigma_max = c->generate.sigma_max,
        .sigma_min = c->generate.sigma_min,
        .rho = c->generate.rho,
        .sigma_skip = c->generate.sigma_skip,
    };
    g->data = (gen_data)c->generate.data;
    g->score = (gen_score)c->generate.score;
    g->n_samples = c->generate.n_samples;
    g->n_write = c->generate.n_write;
    g->tau = c->generate.tau;
    g->kick = c->generate.kick;
    g->run_file = c->generate.run_file;
    if (c->generate.skip_steps > 0) { /* the level itself, so the grid points match exactly */
        double *lev = LOG_CALLOC((size_t)g->plan.n_steps + 1, sizeof(double));
        gen_grid(&g->plan, lev);
        g->plan.sigma_skip = lev[c->generate.skip_steps];
        free(lev);
    }
    spec_gauss sg; /* only its setup: the theory's switches */
    cfg_t one = *c;
    one.gaussian.spectrum = GT_SPEC_POWER, one.mcm.d.n = 1, one.mcm.d.v[0] = 3;
    spec_gauss_build(&sg, &one);
    g->setup = sg.setup;
    spec_gauss_free(&sg);
    g->setup.sigma_min = c->generate.sigma_min;
    g->setup.sigma_max = c->generate.sigma_max;
}

int spec_gen_lambda(const cfg_t *c, int d, double *lam)
{
    const struct cfg_gaussian *s = &c->gaussian;
    gt_spectrum kind = (gt_spectrum)s->spectrum;
    if (kind == GT_SPEC_FILE) return -1;
    if (kind == GT_SPEC_LIST) {
        if (s->lambdas.n != d) return -1;
        memcpy(lam, s->lambdas.v, (size_t)d * sizeof(double));
        return 0;
    }
    gt_spectrum_law(kind, d, s->exponent, s->scale, s->log_std, lam);
    return 0;
}

int spec_gen_q(const cfg_t *c, int d, double *q)
{
    const cfg_double_list *l = &c->gaussian.init_q;
    if (l->n != 1 && l->n != d) return -1;
    for (int k = 0; k < d; k++)
        q[k] = l->n == 1 ? l->v[0] : l->v[k];
    return 0;
}
