/* cmd_generate — `mcmsim generate`: per task, samples from the probability-flow ODE (core/gen.h)
 * with the exact MCM score or the moment-matched Gaussian score, optionally teleported with the
 * Gaussian closed form (gaussian-theory.md §4.4), streamed into projection statistics (projstat)
 * next to the data's exact values. Tasks are distributed cyclically over ranks; each task runs
 * on one rank in sample order, and every start x_T comes from (seed, task, RNG_GENERATE, index),
 * so every number is independent of the rank count. Nothing of size n x d is held. */
#include "cli/cmd.h"

#include "cli/gen_out.h"
#include "cli/gen_run.h"
#include "io/h5out.h"
#include "base/log.h"
#include "core/gen.h"
#include "core/mcm_moments.h"
#include "core/projstat.h"
#include "parallel/par.h"
#include "spec/spec_gen.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* One task's law, directions and denoiser. */
typedef struct {
    int d;
    mcm_model mod;
    double *dir[GD_ND];
    double *mu, *U, *lam, *q, *cache; /* buffers borrowed by law and lin */
    gen_linear lin;                   /* score = linear */
    gen_gauss law; /* Gaussian law of the data (clone for the MCM): jump and Gaussian score */
    gen_denoiser den;
    double th_mean[GD_ND], th_var[GD_ND], th_kurt[GD_ND], th_cov;
    double *ref; /* [d] score = model, linear nets: the theory's variance per axis, or NULL */
} gd_task;

/* What a row takes besides its configuration: the start's seed, the sampler's grid and, for
 * score = model, the trained denoiser and (linear nets) the theory that predicts it. */
typedef struct {
    uint32_t seed;           /* gen_start: run.seed of the generate configuration */
    const double *grid;      /* [n_steps + 1] levels */
    const gen_denoiser *den; /* NULL: the configured closed-form score */
    const gt_setup *setup;   /* linear nets: the run's theory (eta = 1 on tau = steps eta) */
    double tau;              /* its training time at the snapshot */
    int rank;                /* modes 0 .. rank-1 start at q, the others at 0 (symlinear) */
} gd_job;

/* Axis k as a direction. */
static double *gd_axis(int d, int k)
{
    double *e = LOG_CALLOC((size_t)d, sizeof(double));
    e[k] = 1.0;
    return e;
}

/* A random unit direction from (seed, task, RNG_PROBE) for the Gaussian data. */
static void gd_random_dir(uint32_t seed, uint64_t task, int d, double *r)
{
    rng_stream s = rng_stream_make(seed, task, RNG_PROBE);
    rng_normal(&s, 0, 0, (size_t)d, r);
    double n = sqrt(mcm_dot(r, r, d));
    for (int i = 0; i < d; i++)
        r[i] /= n;
}

static void gd_task_mcm(const cfg_t *tc, const spec_gen *sg, const task_t *t, gd_task *k)
{
    uint32_t seed = (uint32_t)tc->run.seed;
    mcm_params p = spec_mcm(tc, t->d);
    mcm_init(&k->mod, &p, seed, t->id);
    k->dir[0] = k->mod.m, k->dir[1] = k->mod.u, k->dir[2] = k->mod.v;
    k->dir[DIR_R] = LOG_CALLOC((size_t)t->d, sizeof(double));
    mcm_probe(&k->mod, seed, t->id, k->dir[DIR_R]);
    k->mu = LOG_CALLOC((size_t)t->d, sizeof(double));
    k->U = LOG_CALLOC(2 * (size_t)t->d, sizeof(double));
    gen_mcm_clone(&k->mod, k->mu, k->U, &k->law);
    k->den = sg->score == GEN_SCORE_EXACT ? gen_mcm_denoiser(&k->mod) : gen_gauss_denoiser(&k->law);
    mcm_moments th;
    mcm_moments_compute(&p, 1.0, 0.0, &th);
    for (int j = 0; j < GD_ND; j++)
        k->th_mean[j] = th.mean[j], k->th_var[j] = th.variance[j],
        k->th_kurt[j] = th.excess_kurtosis[j];
    k->th_cov = th.cov_uv;
}

/* Gaussian data: directions e_0, e_1, e_{d-1} (largest, second, last mode) and a random one. */
static void gd_task_gauss(const cfg_t *tc, const spec_gen *sg, const task_t *t, gd_task *k)
{
    int d = t->d;
    k->lam = LOG_CALLOC((size_t)d, sizeof(double));
    k->q = LOG_CALLOC((size_t)d, sizeof(double));
    spec_gen_lambda(tc, d, k->lam); /* both checked by gd_refuse */
    spec_gen_q(tc, d, k->q);
    k->law = (gen_gauss){.d = d, .lam = k->lam};
    k->cache = LOG_CALLOC(2 * ((size_t)d + 1), sizeof(double));
    k->cache[0] = k->cache[d + 1] = -1.0; /* no level yet */
    k->lin = (gen_linear){
        .setup = &sg->setup, .d = d, .lam = k->lam, .q = k->q, .tau = sg->tau, .cache = k->cache};
    k->den =
        sg->score == GEN_SCORE_LINEAR ? gen_linear_denoiser(&k->lin) : gen_gauss_denoiser(&k->law);
    k->dir[0] = gd_axis(d, 0), k->dir[1] = gd_axis(d, 1), k->dir[2] = gd_axis(d, d - 1);
    k->dir[DIR_R] = LOG_CALLOC((size_t)d, sizeof(double));
    gd_random_dir((uint32_t)tc->run.seed, t->id, d, k->dir[DIR_R]);
    for (int j = 0; j < GD_ND; j++) {
        double v = 0;
        for (int i = 0; i < d; i++)
            v += k->dir[j][i] * k->dir[j][i] * k->lam[i];
        k->th_mean[j] = 0, k->th_var[j] = v, k->th_kurt[j] = 0;
    }
    k->th_cov = 0;
}

static void gd_task_free(gen_data data, gd_task *k)
{
    if (data == GEN_DATA_MCM) {
        free(k->dir[DIR_R]);
        free(k->mu);
        free(k->U);
        mcm_free(&k->mod);
        return;
    }
    for (int j = 0; j < GD_ND; j++)
        free(k->dir[j]);
    free(k->lam);
    free(k->q);
    free(k->cache);
    free(k->ref);
}

/* The reference of linear nets: the theory's weights psi_k(s, tau) at the snapshot's tau,
 * integrated by the same sampler on the same levels (per axis: a ones vector carries every
 * mode's factor A_kk at once), so the sampler's own discretisation cancels in the comparison. */
static void gd_task_ref(const spec_gen *sg, const gd_job *jb, gd_task *k)
{
    double *q = LOG_CALLOC((size_t)k->d, sizeof(double)), *x = LOG_CALLOC((size_t)k->d, 8),
           *w = LOG_CALLOC(3 * (size_t)k->d, sizeof(double));
    for (int i = 0; i < k->d; i++)
        q[i] = i < jb->rank ? k->q[i] : 0.0, x[i] = 1.0;
    gen_linear th = {.setup = jb->setup, .d = k->d, .lam = k->lam, .q = q, .tau = jb->tau};
    gen_denoiser den = gen_linear_denoiser(&th);
    gen_integrate(&sg->plan, jb->grid, &den, &k->law, x, w, NULL);
    k->ref = LOG_CALLOC((size_t)k->d, sizeof(double));
    double smax = sg->plan.sigma_max;
    for (int i = 0; i < k->d; i++)
        k->ref[i] = smax * smax * x[i] * x[i];
    free(q), free(x), free(w);
}

/* Closed-form generated variances at the schedule's end points: the exact flow of the Gaussian
 * score, or (score = linear) the theory's lambda~_k(tau) of gaussian-theory.md §3 per axis, in
 * the output's units (DDIM: x = alpha_0 x~). */
static double gd_flow_var(const spec_gen *sg, const gd_task *k, const double *w)
{
    double a0, s0, a1, s1, smax = sg->plan.sigma_max;
    double v_start = sg->plan.kind == GEN_DDIM ? 1.0 : smax * smax; /* gen_start's law */
    gen_level(&sg->plan, smax, &a0, &s0);
    gen_level(&sg->plan, sg->plan.sigma_min, &a1, &s1);
    if (k->ref) {
        double v = 0.0;
        for (int i = 0; i < k->d; i++)
            v += w[i] * w[i] * k->ref[i];
        return v;
    }
    if (sg->score != GEN_SCORE_LINEAR)
        return gen_gauss_dir_var(&k->law, w, v_start, a0, s0, a1, s1);
    double v = 0.0;
    for (int i = 0; i < k->d; i++)
        if (w[i] != 0.0) v += w[i] * w[i] * gt_gen_var(&sg->setup, k->lam[i], k->q[i], sg->tau);
    return v * a1 * a1;
}

static void gd_store(const projstat_acc *acc, const gd_task *k, int row, gd_result *r)
{
    size_t b = (size_t)r->bins, q = (size_t)row;
    for (int j = 0; j < GD_ND; j++) {
        projstat_moments mo;
        projstat_result(acc, j, &mo);
        double v[GD_NM] = {mo.mean,    mo.variance,    mo.skewness,          mo.excess_kurtosis,
                           mo.mean_se, mo.variance_se, mo.excess_kurtosis_se};
        memcpy(&r->mom[(q * GD_ND + (size_t)j) * GD_NM], v, sizeof v);
        double e[3] = {k->th_mean[j], k->th_var[j], k->th_kurt[j]};
        memcpy(&r->theory[(q * GD_ND + (size_t)j) * 3], e, sizeof e);
        memcpy(&r->hist[(q * GD_ND + (size_t)j) * b], &acc->hist[(size_t)j * b],
               b * sizeof(int64_t));
        r->outside[q * GD_ND + (size_t)j] = acc->outside[j];
        projstat_edges(acc, j, &r->edges[(q * GD_ND + (size_t)j) * (b + 1)]);
    }
    r->cov[q * 2] = projstat_cross_cov(acc);
    r->cov[q * 2 + 1] = k->th_cov;
}

/* Per-mode variances of the Gaussian data (generated mean 0 exactly, so raw moments). */
static void gd_modes(const spec_gen *sg, const gd_task *k, const double *s2, const double *s4,
                     int row, gd_result *r)
{
    double n = (double)sg->n_samples;
    for (int i = 0; i < r->nmode; i++) {
        double *o = &r->mode[((size_t)row * (size_t)r->nmode + (size_t)i) * GD_MV];
        double *e = gd_axis(k->d, i), v = s2[i] / n;
        o[0] = v;
        o[1] = sqrt(fmax(s4[i] / n - v * v, 0.0) / n);
        o[2] = gd_flow_var(sg, k, e);
        o[3] = k->lam[i];
        free(e);
    }
}

/* Trajectory observer of one written sample: the projections of x and of the denoiser's x0
 * estimate D(x; sigma) (one extra evaluation per level, not counted in the NFE) at every level. */
typedef struct {
    const gd_task *k;
    const gen_plan *plan;
    const double *grid;
    double *row;  /* [nlev][8] */
    double *kick; /* [nlev][4] or NULL */
    double *D;    /* d doubles */
    double *xk;   /* 4 d doubles: kicked state and its work space */
} gd_traj;

/* The response of w.x_final to a kick eps w at this level, by a central difference of two
 * continuations with the same sampler (teleportation included above sigma_skip): exact for a
 * linear flow, O(eps^2) otherwise. */
static void gd_kick(gd_traj *t, int level, const double *x)
{
    int d = t->k->d;
    double eps = 1e-5 * (1.0 + t->grid[level]), *y = t->xk, *w = t->xk + d;
    for (int j = 0; j < GD_ND; j++) {
        const double *dir = t->k->dir[j];
        double h[2];
        for (int sgn = 0; sgn < 2; sgn++) {
            for (int i = 0; i < d; i++)
                y[i] = x[i] + (sgn ? -eps : eps) * dir[i];
            gen_integrate_from(t->plan, t->grid, level, &t->k->den, &t->k->law, y, w, NULL);
            h[sgn] = mcm_dot(dir, y, d);
        }
        t->kick[level * GD_ND + j] = (h[0] - h[1]) / (2.0 * eps);
    }
}

static void gd_traj_fn(gen_observer *o, int level, double s, const double *x)
{
    gd_traj *t = o->ctx;
    double al, sg;
    gen_level(t->plan, s, &al, &sg);
    t->k->den.fn(&t->k->den, al, sg, x, t->D);
    for (int j = 0; j < GD_ND; j++) {
        t->row[level * 2 * GD_ND + j] = mcm_dot(t->k->dir[j], x, t->k->d);
        t->row[level * 2 * GD_ND + GD_ND + j] = mcm_dot(t->k->dir[j], t->D, t->k->d);
    }
    if (t->kick) gd_kick(t, level, x);
}

/* Commitment levels of one written sample's x0 estimate per direction (§4.3). */
static void gd_commit(const gd_task *k, const double *grid, int nlev, const double *row, double *o)
{
    for (int j = 0; j < GD_ND; j++)
        o[j] = gen_commit_level(grid, nlev, row + GD_ND + j, 2 * GD_ND, k->th_mean[j]);
}

/* The Gaussian-score kick response at every level along every direction (gen_out.h). */
static void gd_kick_theory(const spec_gen *sg, const gd_task *k, const double *grid, int nlev,
                           double *o)
{
    double s0 = sg->plan.sigma_min;
    for (int i = 0; i < nlev; i++)
        for (int j = 0; j < GD_ND; j++) {
            double s = grid[i], lam = k->th_var[j], f = sqrt((lam + s0 * s0) / (lam + s * s));
            if (sg->plan.kind == GEN_DDIM) f *= sqrt((1 + s * s) / (1 + s0 * s0));
            o[i * GD_ND + j] = f;
        }
}

/* Row `row` of this rank: task t with its configuration tc (the task's values applied). */
static void gd_run_task(const cfg_t *tc, const spec_gen *sg, const task_t *t, const gd_job *jb,
                        int row, gd_result *r)
{
    gd_task k = {.d = t->d};
    if (sg->data == GEN_DATA_MCM)
        gd_task_mcm(tc, sg, t, &k);
    else
        gd_task_gauss(tc, sg, t, &k);
    if (jb->den) k.den = *jb->den;
    if (jb->setup) gd_task_ref(sg, jb, &k);
    if (r->kick_th)
        gd_kick_theory(sg, &k, jb->grid, r->nlev,
                       &r->kick_th[(size_t)row * (size_t)r->nlev * GD_ND]);
    const double *grid = jb->grid;
    int d = t->d;
    double cen[GD_ND], sc[GD_ND];
    for (int j = 0; j < GD_ND; j++) {
        cen[j] = k.th_mean[j], sc[j] = sqrt(k.th_var[j]);
        r->gvar[(size_t)row * GD_ND + (size_t)j] = gd_flow_var(sg, &k, k.dir[j]);
    }
    projstat_acc acc;
    projstat_init(&acc, GD_ND, r->bins, r->range, cen, sc, DIR_U, DIR_V);
    double *x = LOG_CALLOC((size_t)d, sizeof(double)),
           *w = LOG_CALLOC(3 * (size_t)d, sizeof(double));
    double *s2 = LOG_CALLOC(GD_NMODE_MAX, sizeof(double)),
           *s4 = LOG_CALLOC(GD_NMODE_MAX, sizeof(double));
    long nfe = 0;
    gd_traj tr = {.k = &k,
                  .plan = &sg->plan,
                  .grid = grid,
                  .D = LOG_CALLOC((size_t)d, sizeof(double)),
                  .xk = LOG_CALLOC(4 * (size_t)d, sizeof(double))};
    gen_observer obs = {.fn = gd_traj_fn, .ctx = &tr};
    for (int64_t i = 0; i < sg->n_samples; i++) {
        gen_start(&sg->plan, jb->seed, t->id, (uint64_t)i, d, x);
        tr.row = i < r->nwrite ? &r->traj[((size_t)row * (size_t)r->nwrite + (size_t)i) *
                                          (size_t)r->nlev * 2 * GD_ND]
                               : NULL;
        tr.kick =
            tr.row && r->kick
                ? &r->kick[((size_t)row * (size_t)r->nwrite + (size_t)i) * (size_t)r->nlev * GD_ND]
                : NULL;
        nfe = gen_integrate(&sg->plan, grid, &k.den, &k.law, x, w, tr.row ? &obs : NULL);
        if (tr.row)
            gd_commit(&k, grid, r->nlev, tr.row, &r->commit[(tr.row - r->traj) / 2 / r->nlev]);
        double h[GD_ND];
        for (int j = 0; j < GD_ND; j++)
            h[j] = mcm_dot(k.dir[j], x, d);
        projstat_add(&acc, h);
        for (int m = 0; m < r->nmode; m++)
            s2[m] += x[m] * x[m], s4[m] += x[m] * x[m] * x[m] * x[m];
        if (i < r->nwrite)
            memcpy(&r->samples[((size_t)row * (size_t)r->nwrite + (size_t)i) * (size_t)r->dmax], x,
                   (size_t)d * sizeof(double));
    }
    gd_store(&acc, &k, row, r);
    double *cth = &r->commit[((size_t)r->nown * (size_t)r->nwrite + (size_t)row) * GD_ND];
    for (int j = 0; j < GD_ND; j++)
        cth[j] = gen_commit_gauss(k.th_var[j], sg->plan.sigma_min);
    if (r->nmode) gd_modes(sg, &k, s2, s4, row, r);
    int64_t *nf = &r->nfe[(size_t)row * 3];
    nf[0] = nfe, nf[1] = gen_nfe_full(&sg->plan), nf[2] = nf[1] - nf[0];
    projstat_free(&acc);
    free(x), free(w), free(s2), free(s4), free(tr.D), free(tr.xk);
    gd_task_free(sg->data, &k);
}

/* score = linear: the theory's denoiser of Gaussian data, for a model with one at every level
 * and the process the sampler integrates. */
static void gd_refuse_linear(const cfg_resolved *cr, const spec_gen *sg)
{
    if (sg->data != GEN_DATA_GAUSSIAN)
        cfg_die_key(cr, cfg_find("generate", "score"),
                    "linear is the trained denoiser of the [gaussian] theory (Gaussian data), "
                    "expected generate.data = gaussian with it (trained run files: not yet)");
    if (sg->setup.model == GT_FLOWMATCH)
        cfg_die_key(cr, cfg_find("gaussian", "model"),
                    "flowmatch trains a velocity on its own path, not a denoiser at every noise "
                    "level, expected onelayer, twolayer or balanced with generate.score = linear");
    int vp = sg->setup.process == GT_VP, ddim = sg->plan.kind == GEN_DDIM;
    if (vp != ddim)
        cfg_die_key(
            cr, cfg_find("gaussian", "process"),
            "the linear denoisers were trained on the %s process but generate.sampler "
            "integrates the %s one, expected process = vp with ddim, edm with euler or heun",
            vp ? "vp" : "edm", ddim ? "vp" : "edm");
}

/* Usage errors that need the model, on every rank before anything is written (exit 2). */
static void gd_refuse(const cfg_resolved *cr, const spec_gen *sg, const task_list *tl)
{
    const cfg_t *c = &cr->v;
    if (sg->score == GEN_SCORE_LINEAR) gd_refuse_linear(cr, sg);
    for (int k = 0; k < tl->n; k++) {
        cfg_t tc = *c;
        task_apply(&tl->t[k], &tc);
        int d = tl->t[k].d;
        if (sg->data == GEN_DATA_GAUSSIAN) {
            double *lam = LOG_CALLOC((size_t)d, sizeof(double));
            int bad = spec_gen_lambda(&tc, d, lam), badq = spec_gen_q(&tc, d, lam);
            free(lam);
            if (badq && sg->score == GEN_SCORE_LINEAR)
                cfg_die_key(cr, cfg_find("gaussian", "init_q"),
                            "%d values for d = %d modes, expected one value or %d",
                            c->gaussian.init_q.n, d, d);
            if (bad)
                cfg_die_key(cr, cfg_find("gaussian", "spectrum"),
                            "generate needs the spectrum at d = %d: a law (power, exponential, "
                            "lognormal) or a list of %d variances, expected no file spectrum",
                            d, d);
            continue;
        }
        mcm_params p = spec_mcm(&tc, d);
        if (!mcm_moments_exact(&p))
            cfg_die_key(cr, cfg_find("generate", "data"),
                        "the MCM's Gaussian clone and exact moments need orthonormal spikes (qr, "
                        "axes), no mixture and no full whitening of coupled latents, expected "
                        "such an MCM or data = gaussian");
        if (sg->score == GEN_SCORE_EXACT && !gen_mcm_exact(&p))
            cfg_die_key(cr, cfg_find("generate", "score"),
                        "no exact score for this MCM (threshold coupling or full whitening with "
                        "nu = sign(lambda)), expected score = gaussian or a closed-form MCM");
    }
}

/* Row i of this rank under score = model: job (rank + i size) of the run file. */
static void gd_run_model_row(const gen_run *gr, const spec_gen *sg, gd_job jb, int job, int row,
                             gd_result *r)
{
    cfg_t tc;
    gen_run_task_cfg(gr, job, &tc);
    gen_model gm;
    gen_run_model(gr, job, &gm);
    gen_denoiser den = gen_model_denoiser(&gm);
    jb.den = &den;
    spec_gen rsg; /* the run's [gaussian] theory: the reference of linear nets */
    if (gr->levels) {
        spec_gen_build(&rsg, &tc);
        /* The mean of SGD on a linear W follows discrete GD exactly (the gradient is linear in
         * W): the one-layer reference is GD with the run's eta after `step` steps; the P P^T law
         * has no GD form, its reference is the flow at tau = steps x eta (cli/run_gauss.h). */
        int gd = tc.model.family == MODEL_LINEAR;
        rsg.setup.dynamics = gd ? GT_GD : GT_FLOW;
        rsg.setup.eta = gd ? gr->eta : 1.0;
        jb.setup = &rsg.setup;
        jb.tau = gd ? gr->job[job].step : gr->job[job].step * gr->eta;
        jb.rank = tc.model.family == MODEL_SYMLINEAR ? (int)tc.model.K : gr->jobs.t[job].d;
    }
    r->step[row] = gr->job[job].step;
    gd_run_task(&tc, sg, &gr->jobs.t[job], &jb, row, r);
    gen_run_model_free(&gm);
}

/* score = model: the data and the rows come from the run file; linear nets generate on the
 * run's levels. */
static void gd_model_setup(const cfg_resolved *cr, gen_run *gr, spec_gen *sg, double **grid)
{
    gen_run_load(gr, cr, sg);
    sg->data = spec_gauss_data(&gr->cr->v) ? GEN_DATA_GAUSSIAN : GEN_DATA_MCM;
    if (!gr->levels) return;
    if (sg->plan.sigma_skip > 0)
        cfg_die_key(cr, cfg_find("generate", "sigma_skip"),
                    "teleportation with linear nets on the run's levels, expected 0 (and "
                    "generate.skip_steps = 0)");
    sg->plan.n_steps = gr->nlev - 1;
    sg->plan.sigma_max = gr->lev[0], sg->plan.sigma_min = gr->lev[gr->nlev - 1];
    *grid = LOG_CALLOC((size_t)gr->nlev, sizeof(double));
    memcpy(*grid, gr->lev, (size_t)gr->nlev * sizeof(double));
}

int cmd_generate(const cmd_opts *o, const cfg_resolved *cr)
{
    const cfg_t *c = &cr->v;
    spec_gen sg;
    spec_gen_build(&sg, c);
    task_list tl = {0};
    gen_run gr = {0};
    double *grid = NULL;
    if (sg.score == GEN_SCORE_MODEL) {
        gd_model_setup(cr, &gr, &sg, &grid);
    } else {
        task_list_from_cfg(&tl, c);
        gd_refuse(cr, &sg, &tl);
    }
    const task_list *rows = sg.score == GEN_SCORE_MODEL ? &gr.jobs : &tl;
    if (!grid) {
        grid = LOG_CALLOC((size_t)sg.plan.n_steps + 1, sizeof(double));
        gen_grid(&sg.plan, grid);
    }
    int rank = log_rank(), size = log_size(), dmax = 0, dmin = 1 << 30;
    for (int k = 0; k < rows->n; k++) {
        dmax = rows->t[k].d > dmax ? rows->t[k].d : dmax;
        dmin = rows->t[k].d < dmin ? rows->t[k].d : dmin;
    }
    int nmode = sg.data == GEN_DATA_GAUSSIAN ? (dmin < GD_NMODE_MAX ? dmin : GD_NMODE_MAX) : 0;
    int nwrite = (int)(sg.n_write < sg.n_samples ? sg.n_write : sg.n_samples);
    if (o->dry_run) {
        double nfe = (double)gen_nfe_full(&sg.plan);
        double out =
            (double)rows->n *
            (GD_ND * (2.0 * c->stats.bins + GD_NM + 8) + 8.0 * nmode + (double)nwrite * dmax) * 8;
        cmd_dry_run_report(cr, "generated-sample statistics", 8.0 * dmax * (8 + nwrite),
                           (double)sg.n_samples * rows->n * dmax * (1 + 6 * nfe), out + 65536);
    } else {
        h5out_file f;
        h5out_create(&f, cmd_output_path(o, cr), cr, "generate");
        gd_result r;
        gd_alloc(&r, task_count_owned(rows->n, rank, size), c->stats.bins, nmode, nwrite, dmax,
                 sg.plan.n_steps + 1, sg.kick);
        r.range = c->stats.range;
        gd_job jb = {.seed = (uint32_t)c->run.seed, .grid = grid};
        if (sg.score == GEN_SCORE_MODEL) r.step = LOG_CALLOC((size_t)r.nown + 1, sizeof(double));
        for (int i = 0; i < r.nown; i++) {
            int k = rank + i * size;
            if (sg.score == GEN_SCORE_MODEL) {
                gd_run_model_row(&gr, &sg, jb, k, i, &r);
            } else {
                cfg_t tc = *c;
                task_apply(&tl.t[k], &tc);
                gd_run_task(&tc, &sg, &tl.t[k], &jb, i, &r);
            }
        }
        gd_write(&f, &sg, rows, grid, &r);
        gd_summary(rows, &r, &sg);
        h5out_finish(&f);
        log_info("wrote %s\n", cmd_output_path(o, cr));
        gd_release(&r);
    }
    free(grid);
    if (sg.score == GEN_SCORE_MODEL)
        gen_run_free(&gr);
    else
        task_list_free(&tl);
    return LOG_EXIT_OK;
}
