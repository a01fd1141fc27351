/* spec_gauss — the [gaussian] configuration translated for core/gtheory.h; see
 * include/spec/spec_gauss.h. */
#include "spec/spec_gauss.h"

#include "base/log.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The parsed enum index is stored as the gtheory enum: the schema strings list them in order. */
_Static_assert(GT_FLOWMATCH == 3 && GT_VP == 1 && GT_EPS == 1 && GT_PRECOND_EDM == 1 &&
                   GT_GD == 1 && GT_ARITHMETIC == 2 && GT_SPEC_FILE == 4 && GT_SPEC_EMPIRICAL == 5,
               "enum order of gtheory.h must match the [gaussian] schema enum strings");

static void spec_gauss_set_q(spec_gauss *g, const cfg_t *c)
{
    const cfg_double_list *q = &c->gaussian.init_q;
    for (int k = 0; k < g->d; k++)
        g->q[k] = q->n == 1 ? q->v[0] : q->v[k];
}

void spec_gauss_build(spec_gauss *g, const cfg_t *c)
{
    memset(g, 0, sizeof *g);
    const struct cfg_gaussian *s = &c->gaussian;
    g->setup = (gt_setup){
        .model = (gt_model)s->model,
        .process = (gt_process)s->process,
        .objective = (gt_objective)s->objective,
        .precond = (gt_precond)s->precond,
        .dynamics = (gt_dynamics)s->dynamics,
        .eta = s->eta,
        .sigma_min = s->sigma_min,
        .sigma_max = s->sigma_max,
        .sigma_data = s->sigma_data,
        .p_mean = s->p_mean,
        .p_std = s->p_std,
    };
    g->criterion = (gt_criterion)s->criterion;
    g->spectrum = (gt_spectrum)s->spectrum;
    g->tau_min = s->tau_min, g->tau_max = s->tau_max, g->n_tau = (int)s->n_tau;
    /* flow matching runs from noise at t = 0 to data at t = 1; sigma = (1 - t)/t */
    g->weight_level =
        g->setup.model == GT_FLOWMATCH ? 1.0 / (1.0 + s->sigma_weight) : s->sigma_weight;
    g->level = s->level, g->fit_lambda_min = s->fit_lambda_min;
    if (g->spectrum == GT_SPEC_FILE || g->spectrum == GT_SPEC_EMPIRICAL) return;
    g->d = g->spectrum == GT_SPEC_LIST ? s->lambdas.n : (int)c->mcm.d.v[0];
    g->lambda = LOG_CALLOC((size_t)g->d, sizeof(double));
    g->q = LOG_CALLOC((size_t)g->d, sizeof(double));
    if (g->spectrum == GT_SPEC_LIST)
        memcpy(g->lambda, s->lambdas.v, (size_t)g->d * sizeof(double));
    else
        gt_spectrum_law(g->spectrum, g->d, s->exponent, s->scale, s->log_std, g->lambda);
    spec_gauss_set_q(g, c);
}

int spec_gauss_set_lambda(spec_gauss *g, const cfg_t *c, int n, const double *lambda)
{
    if (c->gaussian.init_q.n != 1 && c->gaussian.init_q.n != n) return -1;
    free(g->lambda);
    free(g->q);
    g->d = n;
    g->lambda = LOG_CALLOC((size_t)n, sizeof(double));
    g->q = LOG_CALLOC((size_t)n, sizeof(double));
    memcpy(g->lambda, lambda, (size_t)n * sizeof(double));
    spec_gauss_set_q(g, c);
    return 0;
}

double spec_gauss_tau(const spec_gauss *g, int i)
{
    return g->tau_min * pow(g->tau_max / g->tau_min, (double)i / (g->n_tau - 1));
}

int spec_gauss_n_scan(const spec_gauss *g)
{
    double per = 16 * log10(g->tau_max / g->tau_min) + 1;
    return g->n_tau > per ? g->n_tau : (int)ceil(per);
}

void spec_gauss_free(spec_gauss *g)
{
    free(g->lambda);
    free(g->q);
    g->lambda = g->q = NULL;
}
