/* gen_model — a trained model (core/model.h) as a PF-ODE denoiser; see include/core/gen.h. */
#include "core/gen.h"

#include "base/log.h"

#include <math.h>

/* The net trained at level s: the level lists come from the run's configuration and the
 * sampler's grid is built from the same numbers, so they match to rounding. */
static model *gen_model_at(const gen_model *g, double s)
{
    if (!g->level) return &g->net[0];
    for (int j = 0; j < g->n_net; j++)
        if (fabs(s - g->level[j]) <= 1e-9 * g->level[j]) return &g->net[j];
    LOG_DIE("gen_model: no net trained at level %.17g", s);
}

static void gen_model_fn(const gen_denoiser *dn, double alpha, double sigma, const double *x,
                         double *out)
{
    const gen_model *g = dn->ctx;
    model_forward(gen_model_at(g, sigma / alpha), 1, x, out);
    if (!g->skip) return;
    for (int i = 0; i < dn->d; i++)
        out[i] += alpha * x[i];
}

gen_denoiser gen_model_denoiser(const gen_model *g)
{
    return (gen_denoiser){.fn = gen_model_fn, .ctx = g, .d = g->net[0].s.d};
}
