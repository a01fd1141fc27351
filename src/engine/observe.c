/* observe — overlaps and test losses at log-spaced steps; see include/observe.h. */
#include "engine/observe.h"

#include "core/bayes.h"
#include "base/log.h"
#include "core/rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const observe_scalar_names[OBS_NSCALAR] = {
    "step",          "samples",       "tau",           "loss_train", "loss_data",
    "loss_gauss",    "loss_mean",     "excess",        "err_u",      "err_v",
    "max_overlap_m", "max_overlap_u", "max_overlap_v", "subspace",   "gram_min_eig"};
const char *const observe_scalar_units[OBS_NSCALAR] = {
    "steps",     "samples",   "steps/d",   "loss",      "x units^2",
    "x units^2", "x units^2", "x units^2", "x units^2", "x units^2",
    "1",         "1",         "1",         "1",         "parameter units^2"};
const char *const observe_scalar_desc[OBS_NSCALAR] = {
    "optimisation steps taken",
    "training samples drawn (steps x batch)",
    "d-scaled time steps / d",
    "mean training loss (the configured parameterisation, per dimension) since the previous "
    "observation",
    "test x0 MSE per dimension at the task's diffusion time: on the evaluation set of data "
    "(observe.test_loss = sampled, a Monte Carlo estimate), or the exact population value "
    "(test_loss = exact, and always with train.engine = reduced)",
    "the same on the Gaussian clone N(beta_m m, Cov(x))",
    "the same on the mean clone N(beta_m m, (1 + beta_u/d) I)",
    "loss_data minus the exact MMSE per dimension (NaN without closed form)",
    "mean squared error along u, E[(u.(x0 - D(x_t)))^2]",
    "mean squared error along v, E[(v.(x0 - D(x_t)))^2]",
    "max over rows of |w_k.m| / |w_k|",
    "max over rows of |w_k.u| / |w_k|",
    "max over rows of |w_k.v| / |w_k|",
    "subspace overlap sum_k |P_span(u,v) w_k|^2 / |w_k|^2 / K",
    "smallest eigenvalue of the Gram matrix of the parameter vectors (rows, second-layer "
    "columns, bias) that the reduced engine evolves; >= 0 up to rounding (NaN with the direct "
    "engine)"};

static void observe_crossing_init(obs_crossing *cr, const engine *e, const spec_crossing *s);

_Static_assert(OBS_MAX_U == OBS_MAX_M + SPEC_WATCH_U && OBS_MAX_V == OBS_MAX_M + SPEC_WATCH_V &&
                   OBS_SUBSPACE == OBS_MAX_M + SPEC_WATCH_SUBSPACE,
               "the watchable scalars follow the order of spec_watch");

int observe_schedule(long steps, int n_obs, long *at)
{
    int n = 0;
    at[n++] = 0;
    for (int j = 0; j < n_obs - 1 && steps > 0; j++) {
        double f = n_obs > 2 ? (double)j / (n_obs - 2) : 1.0;
        long s = lround(pow((double)steps, f));
        if (s > steps) s = steps;
        if (s > at[n - 1]) at[n++] = s;
    }
    if (at[n - 1] != steps) at[n++] = steps; /* n_obs >= 2 leaves room: the last j gives steps */
    return n;
}

/* Clean evaluation samples i of the data, Gaussian clone and mean clone: MCM sample
 * OBS_EVAL_BASE + i and the MCM's analytic clones, or, with a user data set, held-out row
 * i mod n_test and the clones of the training rows. Clones come from RNG_EVAL at index i. */
static void observe_eval_x0(const engine *e, int i, double *x_data, double *x_gauss, double *x_mean)
{
    const engine_data *ud = e->ud;
    if (!ud) {
        mcm_sample(&e->data, e->seed, e->task, OBS_EVAL_BASE + (uint64_t)i, x_data, NULL, NULL,
                   NULL);
        bayes_clone_sample(&e->data, CLONE_GAUSS, e->seed, e->task, RNG_EVAL, (uint64_t)i, x_gauss);
        bayes_clone_sample(&e->data, CLONE_MEAN, e->seed, e->task, RNG_EVAL, (uint64_t)i, x_mean);
        return;
    }
    size_t d = (size_t)e->d;
    if (ud->gauss) {
        const gdata *g = ud->gauss;
        uint64_t at = OBS_EVAL_BASE + (uint64_t)i, ix = (uint64_t)i;
        double *z = LOG_CALLOC(d, sizeof(double));
        gdata_sample(g, e->seed, e->task, RNG_GAUSS, 1, &at, x_data, z);
        gdata_sample(g, e->seed, e->task, RNG_EVAL, 1, &ix, x_gauss, z);
        rng_stream s = rng_stream_make(e->seed, e->task, RNG_EVAL);
        rng_normal(&s, ix, 0, d, x_mean);
        for (size_t k = 0; k < d; k++)
            x_mean[k] = g->mu[k] + sqrt(g->sbar) * x_mean[k];
        free(z);
        return;
    }
    memcpy(x_data, &ud->test[(size_t)(i % ud->n_test) * d], d * sizeof(double));
    clone_sample(ud->clone, CLONE_GAUSS, e->seed, e->task, RNG_EVAL, (uint64_t)i, x_gauss);
    clone_sample(ud->clone, CLONE_MEAN, e->seed, e->task, RNG_EVAL, (uint64_t)i, x_mean);
}

static void observe_eval_set(observer *o, engine *e, int n_eval)
{
    size_t nd = (size_t)n_eval * (size_t)o->d;
    for (int s = 0; s < 3; s++) {
        o->x0[s] = LOG_CALLOC(nd, sizeof(double));
        o->xt[s] = LOG_CALLOC(nd, sizeof(double));
    }
    for (int i = 0; i < n_eval; i++) {
        size_t off = (size_t)i * (size_t)o->d;
        observe_eval_x0(e, i, o->x0[0] + off, o->x0[1] + off, o->x0[2] + off);
        for (int s = 0; s < 3; s++)
            diff_forward(o->alpha, o->sigma, e->seed, e->task, OBS_EVAL_BASE + (uint64_t)i,
                         (size_t)o->d, o->x0[s] + off, o->xt[s] + off);
    }
}

static void observe_init_gauss(observer *o, const engine *e, int n_obs)
{
    size_t dd = (size_t)o->d * (size_t)o->d;
    o->mmse = gdata_mmse(e->ud->gauss, o->sigma);
    /* not aligned or finite data: U^T W U too, for the time-ordered PF-ODE of the output */
    o->n_gobs = (int)GDATA_NOBS(o->d) + (e->ud->gauss->full_view ? (int)dd : 0);
    o->gobs = LOG_CALLOC((size_t)n_obs * (size_t)o->n_gobs, sizeof(double));
    for (size_t i = 0; i < (size_t)n_obs * (size_t)o->n_gobs; i++)
        o->gobs[i] = NAN;
    o->gW = LOG_CALLOC(dd, sizeof(double));
    o->gwork = LOG_CALLOC(2 * dd, sizeof(double));
}

/* The reduced engine evolves Gram coordinates, not the d-dimensional parameters. */
static void observe_init_snap(observer *o, const engine *e, int n_obs)
{
    if (e->red) LOG_DIE("observe.snapshots needs train.engine = direct");
    o->n_snap = e->net.np;
    o->snap = LOG_CALLOC((size_t)n_obs * o->n_snap, sizeof(double));
    for (size_t i = 0; i < (size_t)n_obs * o->n_snap; i++)
        o->snap[i] = NAN;
}

void observe_init(observer *o, engine *e, const spec_observe *s)
{
    int n_obs = s->n_obs, n_eval = s->n_eval;
    memset(o, 0, sizeof *o);
    o->d = e->d;
    /* Exact population test losses (always with the reduced engine, which has no d-dimensional
     * vectors to evaluate) need no evaluation set. */
    const mcm_params *mp = e->red ? &e->red->s.mcm : &e->data.p;
    if (s->exact_loss) o->pl = poploss_new(mp, 1.0);
    o->n_eval = n_eval = o->pl ? 0 : n_eval;
    o->n_rows = engine_rows(e);
    o->at = LOG_CALLOC((size_t)n_obs + 1, sizeof(long));
    o->n_obs = observe_schedule(e->steps, n_obs, o->at);
    o->n_slots = n_obs;
    o->scalar = LOG_CALLOC((size_t)n_obs * OBS_NSCALAR, sizeof(double));
    for (size_t i = 0; i < (size_t)n_obs * OBS_NSCALAR; i++)
        o->scalar[i] = NAN;
    size_t nr = (size_t)(o->n_rows > 0 ? o->n_rows : 1);
    o->overlap = LOG_CALLOC((size_t)n_obs * nr * 3, sizeof(double));
    o->norm = LOG_CALLOC((size_t)n_obs * nr, sizeof(double));
    o->scratch = LOG_CALLOC(nr * 4, sizeof(double));
    for (size_t i = 0; i < (size_t)n_obs * nr; i++)
        o->norm[i] = NAN;
    for (size_t i = 0; i < (size_t)n_obs * nr * 3; i++)
        o->overlap[i] = NAN;
    diff_coeffs(&e->sch, e->times.t, &o->alpha, &o->sigma);
    bayes_t b; /* a user data set has no closed-form MMSE */
    o->mmse = !e->ud && bayes_init(&b, mp, o->alpha, o->sigma) ? bayes_mmse(&b) / o->d : NAN;
    if (e->ud && e->ud->gauss) observe_init_gauss(o, e, n_obs);
    if (s->snapshots) observe_init_snap(o, e, n_obs);
    if (!o->pl) {
        o->out = LOG_CALLOC((size_t)OBS_EVAL_CHUNK * (size_t)o->d, sizeof(double));
        o->zero = LOG_CALLOC((size_t)o->d, sizeof(double));
        observe_eval_set(o, e, n_eval);
    }
    observe_crossing_init(&o->cr, e, &s->crossing);
}

void observe_free(observer *o)
{
    for (int s = 0; s < 3; s++)
        free(o->x0[s]), free(o->xt[s]);
    free(o->at);
    free(o->scalar);
    free(o->overlap);
    free(o->norm);
    free(o->out);
    free(o->zero);
    free(o->scratch);
    free(o->gobs), free(o->gW), free(o->gwork), free(o->snap);
    if (o->pl) poploss_free(o->pl);
    free(o->cr.first);
}

/* Test loss of evaluation set s; along u and v too for the data set. */
static double observe_loss(observer *o, engine *e, int s, double *eu, double *ev)
{
    size_t d = (size_t)o->d;
    double sum = 0, su = 0, sv = 0;
    /* Without spikes (user data) the errors along u and v are NaN; projecting on a zero vector
     * keeps one loop, so the MCM path computes exactly what it always did. */
    const double *u = e->spk[OBS_U] ? e->spk[OBS_U] : o->zero;
    const double *v = e->spk[OBS_V] ? e->spk[OBS_V] : o->zero;
    for (int i0 = 0; i0 < o->n_eval; i0 += OBS_EVAL_CHUNK) {
        int n = o->n_eval - i0 < OBS_EVAL_CHUNK ? o->n_eval - i0 : OBS_EVAL_CHUNK;
        engine_denoise(e, n, o->xt[s] + (size_t)i0 * d, o->alpha, o->out);
        for (int b = 0; b < n; b++) {
            const double *x = o->x0[s] + (size_t)(i0 + b) * d, *y = o->out + (size_t)b * d;
            double pu = 0, pv = 0;
            for (size_t k = 0; k < d; k++) {
                double r = x[k] - y[k];
                sum += r * r;
                pu += r * u[k];
                pv += r * v[k];
            }
            su += pu * pu, sv += pv * pv;
        }
    }
    if (eu) *eu = e->spk[OBS_U] ? su / o->n_eval : NAN;
    if (ev) *ev = e->spk[OBS_V] ? sv / o->n_eval : NAN;
    return sum / ((double)o->n_eval * (double)d);
}

/* Overlaps of every row (into ov[row][3] and norm[row] when given) and their maxima and the
 * subspace overlap into sc[OBS_MAX_M .. OBS_SUBSPACE]. Without spikes (user data without
 * data.spikes) only the norms are measured; every overlap is NaN. */
static void observe_overlaps(const observer *ob, const engine *e, double *ov_rows, double *norms,
                             double *sc)
{
    int have = engine_has_spikes(e), n_rows = ob->n_rows;
    double sub = 0, *ov = ov_rows ? ov_rows : ob->scratch, *nr = norms ? norms : ob->scratch;
    if (!ov_rows && !norms) nr = ob->scratch + (size_t)n_rows * 3;
    engine_overlaps(e, have ? ov : NULL, nr);
    sc[OBS_MAX_M] = sc[OBS_MAX_U] = sc[OBS_MAX_V] = n_rows && have ? 0.0 : NAN;
    for (int k = 0; k < n_rows && have; k++) {
        const double *o = &ov[(size_t)k * 3];
        for (int j = 0; j < 3; j++)
            sc[OBS_MAX_M + j] = fmax(sc[OBS_MAX_M + j], fabs(o[j]));
        sub += o[OBS_U] * o[OBS_U] + o[OBS_V] * o[OBS_V];
    }
    sc[OBS_SUBSPACE] = n_rows && have ? sub / n_rows : NAN;
}

const char *observe_watch_name(int which)
{
    switch (which) {
    case OBS_MAX_M:
        return "m";
    case OBS_MAX_U:
        return "u";
    case OBS_MAX_V:
        return "v";
    case OBS_SUBSPACE:
        return "subspace";
    default:
        return "?";
    }
}

int observe_watch_index(spec_watch w)
{
    return OBS_MAX_M + (int)w;
}

static void observe_crossing_init(obs_crossing *cr, const engine *e, const spec_crossing *s)
{
    memset(cr, 0, sizeof *cr);
    for (int j = 0; j < s->n; j++)
        if (engine_rows(e) > 0) cr->which[cr->n++] = observe_watch_index(s->which[j]);
    cr->nthr = s->nthr;
    for (int j = 0; j < cr->nthr; j++)
        cr->thr[j] = s->thr[j];
    cr->every = s->every;
    size_t n = (size_t)(cr->n * cr->nthr > 0 ? cr->n * cr->nthr : 1);
    cr->first = LOG_CALLOC(n, sizeof(long));
    for (size_t i = 0; i < n; i++)
        cr->first[i] = -1;
    cr->remaining = cr->n * cr->nthr;
}

int observe_crossing(observer *o, const engine *e, int force)
{
    obs_crossing *cr = &o->cr;
    if (cr->remaining == 0 || (!force && e->step % cr->every != 0)) return cr->remaining;
    double sc[OBS_NSCALAR];
    observe_overlaps(o, e, NULL, NULL, sc);
    for (int j = 0; j < cr->n; j++)
        for (int k = 0; k < cr->nthr; k++) {
            long *f = &cr->first[j * cr->nthr + k];
            if (*f < 0 && sc[cr->which[j]] >= cr->thr[k]) *f = e->step, cr->remaining--;
        }
    return cr->remaining;
}

/* The exact population test losses of the current denoiser (data, Gaussian and mean clone). */
static void observe_exact(const observer *o, const engine *e, double *sc)
{
    poploss_net n;
    if (engine_poploss_net(e, o->alpha, &n) != 0)
        LOG_DIE("exact test losses need a neuron or twolayer model on MCM data");
    poploss_val v[POPLOSS_NLAW];
    for (int l = 0; l < POPLOSS_NLAW; l++)
        poploss_eval(o->pl, &n, (poploss_law)l, o->alpha, o->sigma, &v[l]);
    poploss_net_free(&n);
    sc[OBS_LOSS_DATA] = v[POPLOSS_DATA].loss;
    sc[OBS_ERR_U] = v[POPLOSS_DATA].err_u;
    sc[OBS_ERR_V] = v[POPLOSS_DATA].err_v;
    sc[OBS_LOSS_GAUSS] = v[POPLOSS_GAUSS].loss;
    sc[OBS_LOSS_MEAN] = v[POPLOSS_MEAN].loss;
}

void observe_now(observer *o, engine *e)
{
    double *sc = &o->scalar[(size_t)o->n_points * OBS_NSCALAR];
    sc[OBS_STEP] = (double)e->step;
    sc[OBS_SAMPLES] = (double)e->step * e->B;
    sc[OBS_TAU] = (double)e->step / e->d;
    sc[OBS_LOSS_TRAIN] = engine_take_loss(e);
    if (o->pl) {
        observe_exact(o, e, sc);
    } else {
        sc[OBS_LOSS_DATA] = observe_loss(o, e, 0, &sc[OBS_ERR_U], &sc[OBS_ERR_V]);
        sc[OBS_LOSS_GAUSS] = observe_loss(o, e, 1, NULL, NULL);
        sc[OBS_LOSS_MEAN] = observe_loss(o, e, 2, NULL, NULL);
    }
    sc[OBS_EXCESS] = sc[OBS_LOSS_DATA] - o->mmse;
    size_t nr = (size_t)o->n_rows, p = (size_t)o->n_points;
    observe_overlaps(o, e, &o->overlap[p * nr * 3], &o->norm[p * nr], sc);
    sc[OBS_GRAM_MIN] = engine_gram_min_eig(e);
    const double *b;
    if (o->gobs && engine_denoiser_weights(e, o->gW, &b) == 0) {
        double *row = &o->gobs[p * (size_t)o->n_gobs];
        gdata_observe(e->ud->gauss, o->gW, b, o->sigma, row, o->gwork);
        if (o->n_gobs > (int)GDATA_NOBS(o->d))
            gdata_eigen_view(e->ud->gauss, o->gW, row + GDATA_NOBS(o->d), o->gwork);
    }
    if (o->snap) memcpy(&o->snap[p * o->n_snap], e->net.theta, o->n_snap * sizeof(double));
    o->n_points++;
}

int observe_maybe(observer *o, engine *e)
{
    if (o->n_points >= o->n_obs || e->step != o->at[o->n_points]) return 0;
    observe_now(o, e);
    return 1;
}
