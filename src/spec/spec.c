/* spec — the configuration translated into the narrow structs of the computation; see
 * include/spec/spec.h. */
#include "spec/spec.h"

#include "base/log.h"
#include "core/act.h"
#include "core/diffusion.h"
#include "core/loss.h"
#include "core/mcm.h"
#include "core/model.h"
#include "core/optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The enum strings above are stored as these C enums; keep their order and length in step. */
_Static_assert(MCM_NU_GAUSSIAN == 2 && MCM_COUPLE_THRESHOLD == 2 && MCM_WHITEN_FULL == 1 &&
                   MCM_SPIKES_RANDOM == 2 && MCM_MIX_LABELLED == 1 && MCM_MEAN_LABEL == 1 &&
                   DIFF_DDPM == 2,
               "enum order of mcm.h/diffusion.h must match the schema enum strings");
_Static_assert(ACT_MATCHED_V == 6 && MODEL_SYMLINEAR == 4 && SKIP_NONE == 2 && INIT2_SMALL == 1 &&
                   LOSS_SCORE == 2 && OPT_ADAM == 2 && LR_COSINE == 2,
               "enum order of act.h/model.h/loss.h/optim.h must match the schema enum strings");
_Static_assert(SPEC_TIME_RANGE == 2, "spec_time_kind must match train.times = fixed|list|range");
_Static_assert(SPEC_LIST_MAX == CFG_LIST_MAX, "a spec list holds every configured list");

mcm_params spec_mcm(const cfg_t *c, int d)
{
    mcm_params p = {
        .d = d,
        .beta_m = c->mcm.beta_m,
        .beta_u = c->mcm.beta_u,
        .beta_v = c->mcm.beta_v,
        .nu_law = (mcm_nu_law)c->mcm.nu_law,
        .skew_q = c->mcm.skew_q,
        .coupling = (mcm_coupling)c->mcm.coupling,
        .whitening = (mcm_whitening)c->mcm.whitening,
        .spikes = (mcm_spikes)c->mcm.spikes,
        .mixture = (mcm_mixture)c->mcm.mixture,
        .mean_term = (mcm_mean_term)c->mcm.mean_term,
    };
    return p;
}

diff_schedule spec_schedule(const cfg_t *c)
{
    diff_schedule s = {(diff_kind)c->diffusion.schedule, c->diffusion.beta_min,
                       c->diffusion.beta_max};
    return s;
}

void spec_coeffs(const cfg_t *c, double *alpha, double *sigma)
{
    diff_schedule s = spec_schedule(c);
    diff_coeffs(&s, c->diffusion.t, alpha, sigma);
}

model_spec spec_model(const cfg_t *c, int d)
{
    double al, sg;
    spec_coeffs(c, &al, &sg);
    model_spec s = {
        .family = (model_family)c->model.family,
        .d = d,
        .K = (int)c->model.K,
        .L = (int)c->model.L,
        .act = act_make((act_kind)c->model.activation, c->model.act_scale, (int)c->model.hermite_k,
                        al, sg, c->mcm.beta_u, c->mcm.beta_v),
        .skip = (model_skip)c->model.skip,
        .c0 = al,
        .train_a = c->model.train_a,
        .a0 = c->model.a0,
        .init2 = (model_init2)c->model.init2,
        .init2_scale = c->model.init2_scale,
        .bias = c->model.bias,
    };
    /* A fixed skip follows each sample's alpha_t: with several training times the engine
     * applies it per sample; with one time the model applies c = alpha_t in its own pass. */
    if (s.skip == SKIP_FIXED && c->train.times != SPEC_TIME_FIXED) s.skip = SKIP_NONE;
    return s;
}

int spec_fixed_skip(const cfg_t *c, int d)
{
    model_spec s = spec_model(c, d);
    int has_skip = s.family != MODEL_LINEAR && s.family != MODEL_SYMLINEAR; /* (E): no skip */
    return s.skip == SKIP_NONE && c->model.skip == SKIP_FIXED && has_skip;
}

optim_spec spec_optim(const cfg_t *c, int d, long steps)
{
    optim_spec o = {
        .kind = (optim_kind)c->optim.kind,
        .lr = c->optim.delta / pow((double)d, c->optim.lr_power),
        .weight_decay = c->optim.weight_decay,
        .beta1 = c->optim.beta1,
        .beta2 = c->optim.beta2,
        .eps = c->optim.eps,
        .schedule = (optim_schedule)c->optim.schedule,
        .step_every = c->optim.step_every,
        .step_factor = c->optim.step_factor,
        .total_steps = steps,
    };
    return o;
}

long spec_steps(const cfg_t *c, int d)
{
    return (long)ceil(c->train.steps_alpha * pow((double)d, (double)c->train.steps_power));
}

uint64_t spec_n_train(const cfg_t *c, int d)
{
    if (c->train.data == 0) return 0;
    double n = ceil(c->train.n_train_alpha * pow((double)d, (double)c->train.n_train_power));
    return n < 1 ? 1 : (uint64_t)n;
}

spec_times spec_time_sampling(const cfg_t *c)
{
    spec_times s = {
        .kind = (spec_time_kind)c->train.times,
        .t = c->diffusion.t,
        .n = c->train.t_list.n,
        .t_min = c->train.t_min,
        .t_max = c->train.t_max,
        .weight_sigma2 = c->train.t_weight == 1,
    };
    for (int i = 0; i < s.n; i++)
        s.list[i] = c->train.t_list.v[i];
    return s;
}

int spec_watch_list(const cfg_t *c, spec_watch which[SPEC_NWATCH])
{
    int on[SPEC_NWATCH] = {c->scaling.watch_m, c->scaling.watch_u, c->scaling.watch_v,
                           c->scaling.watch_subspace};
    int n = 0;
    for (int j = 0; j < SPEC_NWATCH; j++)
        if (on[j]) which[n++] = (spec_watch)j;
    return n;
}

spec_crossing spec_crossing_at(const cfg_t *c, int d)
{
    spec_crossing s;
    memset(&s, 0, sizeof s);
    s.n = spec_watch_list(c, s.which);
    s.nthr = c->scaling.thresholds.n;
    for (int j = 0; j < s.nthr; j++)
        s.thr[j] = c->scaling.thresholds.v[j];
    s.every = c->scaling.check_every > 0 ? c->scaling.check_every : (d + 15) / 16;
    s.early_stop = c->scaling.early_stop;
    return s;
}

void spec_train_build(spec_train *s, const cfg_t *task_cfg, int d, uint64_t task)
{
    const cfg_t *c = task_cfg;
    memset(s, 0, sizeof *s);
    s->engine = (spec_engine)c->train.engine;
    s->seed = (uint32_t)c->run.seed;
    s->task = task;
    s->d = d;
    s->mcm = spec_mcm(c, d);
    s->sch = spec_schedule(c);
    s->times = spec_time_sampling(c);
    s->loss = (loss_kind)c->train.loss;
    s->model = spec_model(c, d);
    s->fixed_skip = spec_fixed_skip(c, d);
    s->batch = (int)c->train.batch;
    s->n_train = spec_n_train(c, d);
    s->frozen_noise = c->train.noise == 1;
    s->data_task = task;
    s->full_batch = c->gaussian.sgd_batch == 1;
    s->precond = c->data.source == SPEC_SOURCE_GAUSSIAN && c->gaussian.precond == 1;
    s->sigma_data = c->gaussian.sigma_data;
    if (s->precond) {
        s->times.kind = DIFF_TIME_LOGNORMAL;
        s->times.ln_mean = c->gaussian.p_mean;
        s->times.ln_std = c->gaussian.p_std;
    }
    s->steps = spec_steps(c, d);
    s->optim = spec_optim(c, d, s->steps);
    s->observe.n_obs = (int)c->observe.n_obs;
    s->observe.n_eval = (int)c->observe.n_eval;
    s->observe.exact_loss = c->observe.test_loss == 1 || s->engine == SPEC_ENGINE_REDUCED;
    s->observe.snapshots = c->observe.snapshots;
    s->observe.crossing = spec_crossing_at(c, d);
}

void spec_reduced_of(const spec_train *s, int user_data, reduced_spec *r)
{
    memset(r, 0, sizeof *r);
    r->seed = s->seed;
    r->task = s->task;
    r->d = s->d;
    r->mcm = s->mcm;
    r->sch = s->sch;
    r->times = s->times;
    r->loss = s->loss;
    r->model = s->model;
    r->fixed_skip = s->fixed_skip;
    r->batch = s->batch;
    r->optim = s->optim;
    r->n_train = s->n_train;
    r->user_data = user_data;
}

const char *spec_engine_refusal(const cfg_t *task_cfg, int d, const char **key)
{
    if (task_cfg->train.engine != SPEC_ENGINE_REDUCED) return NULL;
    spec_train s;
    reduced_spec r;
    spec_train_build(&s, task_cfg, d, 0);
    spec_reduced_of(&s, spec_user_data(task_cfg), &r);
    return reduced_supported(&r, key);
}

double spec_step_variates(const cfg_t *task_cfg, int d)
{
    double B = (double)task_cfg->train.batch;
    if (task_cfg->train.engine != SPEC_ENGINE_REDUCED) return 2.0 * B * d;
    spec_train s;
    reduced_spec r;
    spec_train_build(&s, task_cfg, d, 0);
    spec_reduced_of(&s, 0, &r);
    double fr = reduced_frame_dim(&r, NULL);
    return 2.0 * B * fr + B * (2.0 * B + 1) + 2.0 * B; /* core/reduced.h's count */
}

int spec_user_data(const cfg_t *c)
{
    return c->data.source == SPEC_SOURCE_FILE ||
           (c->data.source == SPEC_SOURCE_MCM && strcmp(c->data.file, "none") != 0);
}

int spec_gauss_data(const cfg_t *c)
{
    return c->data.source == SPEC_SOURCE_GAUSSIAN;
}

void spec_theory_build(spec_theory *s, const cfg_t *task_cfg, int d)
{
    const cfg_t *c = task_cfg;
    memset(s, 0, sizeof *s);
    s->act = spec_model(c, d).act;
    s->mcm = spec_mcm(c, d);
    s->t = c->diffusion.t;
    spec_coeffs(c, &s->alpha, &s->sigma);
    s->delta = c->optim.delta;
    s->lr_power = c->optim.lr_power;
    s->batch = c->train.batch;
}

void spec_analysis_build(spec_analysis *a, const cfg_t *c, const task_list *tl)
{
    memset(a, 0, sizeof *a);
    a->seed = (uint32_t)c->run.seed;
    a->nd = c->mcm.d.n;
    for (int i = 0; i < a->nd; i++)
        a->d[i] = c->mcm.d.v[i];
    a->bootstrap = (int)c->scaling.bootstrap;
    a->level = c->scaling.level;
    a->fit_log_power = c->scaling.fit_log_power;
    a->ode_points = (int)c->scaling.ode_points;
    cfg_format_value(c, cfg_find("scaling", "thresholds"), a->thresholds, sizeof a->thresholds);
    a->theory = !spec_user_data(c) && !spec_gauss_data(c);
    for (int j = 0; j < tl->n; j++)
        a->ncombo = tl->t[j].combo + 1 > a->ncombo ? tl->t[j].combo + 1 : a->ncombo;
    a->combo = LOG_CALLOC((size_t)a->ncombo + 1, sizeof *a->combo);
    a->steps = LOG_CALLOC((size_t)a->ncombo * (size_t)a->nd + 1, sizeof *a->steps);
    /* The first task of each combination, in one pass (a search per combination would take
     * combinations x tasks steps: hours for a large sweep). */
    int *first = LOG_CALLOC((size_t)a->ncombo + 1, sizeof *first);
    for (int j = tl->n - 1; j >= 0; j--)
        first[tl->t[j].combo] = j + 1; /* 0: no task */
    cfg_t cc = *c; /* task_apply sets all swept keys: one copy serves every combination */
    for (int g = 0; g < a->ncombo; g++) {
        /* Combination g: the base values with the sweep of its first task. */
        if (first[g])
            task_apply(&tl->t[first[g] - 1], &cc);
        else
            cc = *c;
        spec_theory_build(&a->combo[g], &cc, (int)a->d[0]);
        for (int i = 0; i < a->nd; i++)
            a->steps[(size_t)g * (size_t)a->nd + (size_t)i] = spec_steps(&cc, (int)a->d[i]);
    }
    free(first);
}

void spec_analysis_free(spec_analysis *a)
{
    free(a->combo);
    free(a->steps);
    a->combo = NULL;
    a->steps = NULL;
}
