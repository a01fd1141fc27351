/* engine — the training step loop of one task; see include/engine.h. */
#include "engine/engine.h"

#include "base/log.h"

#include <cblas.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The reduced engine of task s: the chain runs in e->red, e keeps the task's facts. */
static void engine_init_reduced(engine *e, const spec_train *s, const engine_data *ud)
{
    reduced_spec r;
    spec_reduced_of(s, ud != NULL, &r);
    const char *key = NULL, *why = reduced_supported(&r, &key);
    if (why) LOG_DIE("train.engine = reduced cannot run this task (%s): %s", key, why);
    e->red = LOG_CALLOC(1, sizeof *e->red);
    reduced_init(e->red, &r);
}

/* Gaussian data: batch buffers, and the aligned initialisation of the linear families
 * (gaussian.sgd_init = aligned), which replaces the model's own. */
static void engine_init_gauss(engine *e, const gdata *g, int full_batch)
{
    e->z = LOG_CALLOC((size_t)e->B * (size_t)e->d, sizeof(double));
    e->gindex = LOG_CALLOC((size_t)e->B, sizeof(uint64_t));
    if (full_batch) {
        size_t dd = (size_t)e->d * (size_t)e->d;
        e->gS = LOG_CALLOC(dd, sizeof(double));
        e->gGW = LOG_CALLOC(dd, sizeof(double));
        e->gW = LOG_CALLOC(dd, sizeof(double));
        e->gm = LOG_CALLOC((size_t)e->d, sizeof(double));
        e->gGb = LOG_CALLOC((size_t)e->d, sizeof(double));
        double a;
        diff_coeffs(&e->sch, e->times.t, &a, &e->gsigma);
        if (e->n_train)
            gdata_moments(g, e->seed, e->data_task, RNG_GAUSS, e->n_train, e->gS, e->gm);
        else
            gdata_moments_population(g, e->gS, e->gm);
    }
    if (!g->aligned) return;
    if (e->net.s.family == MODEL_LINEAR) {
        gdata_init_linear(g, e->net.theta);
        if (e->net.s.bias)
            memset(e->net.theta + (size_t)e->d * (size_t)e->d, 0, (size_t)e->d * sizeof(double));
    } else if (e->net.s.family == MODEL_SYMLINEAR) {
        gdata_init_sym(g, e->net.s.K, e->net.theta);
    }
}

void engine_init(engine *e, const spec_train *s, int eval_batch, const engine_data *ud)
{
    int d = s->d;
    memset(e, 0, sizeof *e);
    e->seed = s->seed;
    e->task = s->task;
    e->d = d;
    e->B = s->batch;
    e->sch = s->sch;
    e->times = s->times;
    e->loss = s->loss;
    e->steps = s->steps;
    e->n_train = s->n_train;
    e->frozen_noise = s->frozen_noise;
    e->data_task = s->data_task;
    e->ud = ud;
    if (s->engine == SPEC_ENGINE_REDUCED) {
        e->fixed_skip = s->fixed_skip;
        engine_init_reduced(e, s, ud);
        return;
    }
    if (ud) {
        if (ud->d != d) LOG_DIE("user data set has d = %d, task has d = %d", ud->d, d);
        e->spk[0] = ud->m, e->spk[1] = ud->u, e->spk[2] = ud->v;
    } else {
        mcm_init(&e->data, &s->mcm, e->seed, e->task);
        e->spk[0] = e->data.m, e->spk[1] = e->data.u, e->spk[2] = e->data.v;
    }
    int bmax = e->B > eval_batch ? e->B : eval_batch;
    e->fixed_skip = s->fixed_skip;
    model_init(&e->net, &s->model, e->seed, e->task, bmax);
    optim_init(&e->opt, &s->optim, e->net.np);
    e->sph = (optim_sphere){e->net.n_sphere, e->net.rows_off, e->net.rows_stride, (size_t)d};
    size_t bd = (size_t)e->B * (size_t)d;
    e->x0 = LOG_CALLOC(bd, sizeof(double));
    e->xt = LOG_CALLOC(bd, sizeof(double));
    e->out = LOG_CALLOC((size_t)bmax * (size_t)d, sizeof(double));
    e->gout = LOG_CALLOC(bd, sizeof(double));
    e->grad = LOG_CALLOC(e->net.np, sizeof(double));
    e->w = LOG_CALLOC((size_t)e->B, sizeof(double));
    e->alpha = LOG_CALLOC((size_t)e->B, sizeof(double));
    e->sigma = LOG_CALLOC((size_t)e->B, sizeof(double));
    if (e->net.n_sphere > 0) e->sums = LOG_CALLOC(3 * (size_t)e->net.n_sphere, sizeof(double));
    if (ud && ud->gauss) engine_init_gauss(e, ud->gauss, s->full_batch);
    e->precond = s->precond;
    e->sigma_data = s->sigma_data;
    if (e->precond) {
        e->xin = LOG_CALLOC((size_t)bmax * (size_t)d, sizeof(double));
        e->cskip = LOG_CALLOC((size_t)e->B, sizeof(double));
        e->cout = LOG_CALLOC((size_t)e->B, sizeof(double));
        e->cin = LOG_CALLOC((size_t)e->B, sizeof(double));
    }
}

void engine_free(engine *e)
{
    if (e->red) {
        reduced_free(e->red);
        free(e->red);
        e->red = NULL;
        return;
    }
    free(e->gindex);
    double *bufs[] = {e->x0,    e->xt,    e->out,  e->gout, e->grad, e->w,   e->alpha,
                      e->sigma, e->z,     e->gS,   e->gm,   e->gGW,  e->gGb, e->gW,
                      e->xin,   e->cskip, e->cout, e->cin,  e->sums};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        free(bufs[i]);
    optim_free(&e->opt);
    model_free(&e->net);
    mcm_free(&e->data);
}

long engine_row(uint32_t seed, uint64_t task, long n_train, uint64_t g)
{
    uint32_t w[4];
    rng_stream s = rng_stream_make(seed, task, RNG_ROWS);
    rng_raw4(&s, g, 0, w);
    /* u in (0, 1) on a 2^-53 grid: the bias of floor(u n) is below n 2^-53, nil for any data
     * set that fits in memory. */
    long r = (long)(rng_u53(w[0], w[1]) * (double)n_train);
    return r < n_train ? r : n_train - 1;
}

/* x0 of sample g: a training row of the user data set, or MCM sample ix. */
static void engine_x0(const engine *e, uint64_t g, uint64_t ix, double *x0)
{
    if (!e->ud) {
        mcm_sample(&e->data, e->seed, e->task, ix, x0, NULL, NULL, NULL);
        return;
    }
    long r = engine_row(e->seed, e->task, e->ud->n_train, g);
    memcpy(x0, &e->ud->rows[(size_t)r * (size_t)e->d], (size_t)e->d * sizeof(double));
}

/* EDM preconditioning of sample b (gaussian-theory.md §1.2): its coefficients, the loss weight
 * w(sigma) and the model's input c_in x_t. */
static void engine_precond_sample(engine *e, int b)
{
    double k, w;
    size_t d = (size_t)e->d;
    gt_edm_coeffs(e->sigma_data, e->sigma[b], &e->cskip[b], &k, &e->cin[b], &w);
    e->cout[b] = k / e->cin[b];
    e->w[b] *= w;
    for (size_t i = 0; i < d; i++)
        e->xin[(size_t)b * d + i] = e->cin[b] * e->xt[(size_t)b * d + i];
}

/* out = c_skip x_t + c_out out, per sample (n samples, coefficients cs, co). */
static void engine_precond_out(int n, int d, const double *cs, const double *co, const double *xt,
                               double *out)
{
    for (size_t b = 0; b < (size_t)n; b++)
        for (size_t i = 0; i < (size_t)d; i++)
            out[b * (size_t)d + i] = cs[b] * xt[b * (size_t)d + i] + co[b] * out[b * (size_t)d + i];
}

static void engine_batch(engine *e)
{
    size_t d = (size_t)e->d;
    const gdata *gd = e->ud ? e->ud->gauss : NULL;
    if (gd) { /* the whole batch of x0 at once: one dgemm with a random basis */
        for (int b = 0; b < e->B; b++) {
            uint64_t g = (uint64_t)e->step * (uint64_t)e->B + (uint64_t)b;
            e->gindex[b] = e->n_train ? g % e->n_train : g;
        }
        gdata_sample(gd, e->seed, e->data_task, RNG_GAUSS, e->B, e->gindex, e->x0, e->z);
    }
    for (int b = 0; b < e->B; b++) {
        uint64_t g = (uint64_t)e->step * (uint64_t)e->B + (uint64_t)b;
        uint64_t ix = e->n_train ? g % e->n_train : g;
        uint64_t in = (e->n_train && e->frozen_noise) ? ix : g;
        double t = diff_time(&e->times, e->seed, e->task, in);
        diff_coeffs(&e->sch, t, &e->alpha[b], &e->sigma[b]);
        /* Times d: SGD descends the per-sample loss summed over coordinates, |x0 - D|^2, the
         * convention under which eta = delta/d is the theory's step (mcm-model.md §4); the
         * loss is reported per dimension (engine_step divides by d). */
        e->w[b] = loss_weight(e->loss, e->alpha[b], e->sigma[b]) *
                  (e->times.weight_sigma2 ? e->sigma[b] * e->sigma[b] : 1.0) * (double)d;
        if (!gd) engine_x0(e, g, ix, &e->x0[b * d]);
        diff_forward(e->alpha[b], e->sigma[b], e->seed, e->task, in, d, &e->x0[b * d],
                     &e->xt[b * d]);
        if (e->precond) engine_precond_sample(e, b);
    }
}

static void engine_add_skip(const engine *e, int n, const double *xt, const double *alpha,
                            double *out)
{
    size_t d = (size_t)e->d;
    for (int b = 0; b < n; b++) {
        double a = alpha[b];
        const double *x = &xt[(size_t)b * d];
        double *o = &out[(size_t)b * d];
        for (size_t i = 0; i < d; i++)
            o[i] += a * x[i];
    }
}

/* D, the loss and its gradient gout: one fused pass for an online step where the model has one
 * (bitwise the same numbers), else forward, skip and loss_eval. */
static void engine_forward_loss(engine *e)
{
    double s2, inv = 1.0 / (double)e->d; /* loss_eval's 1 / (d B) at B = 1 */
    if (e->B == 1 && !e->unfused &&
        model_resid1(&e->net, e->xt, e->x0, e->fixed_skip, e->alpha[0], -2.0 * e->w[0] * inv,
                     e->gout, &s2) == 0) {
        e->loss_sum += e->w[0] * s2 * inv / e->d;
        return;
    }
    model_forward(&e->net, e->B, e->xt, e->out);
    if (e->fixed_skip) engine_add_skip(e, e->B, e->xt, e->alpha, e->out);
    e->loss_sum += loss_eval(e->B, e->d, e->w, e->x0, e->out, e->gout) / e->d;
}

/* The gradient and the optimiser step: for an online spherical step the gradient pass also
 * forms the sphere sums (bitwise the optimiser's own), saving the optimiser's reduction pass. */
static void engine_update(engine *e)
{
    if (e->B == 1 && !e->unfused && e->sums && e->opt.s.kind == OPT_SPHERICAL &&
        model_backward1_sums(&e->net, e->xt, e->gout, e->grad, e->sums) == 0) {
        optim_step_sums(&e->opt, e->net.theta, e->grad, &e->sph, e->sums);
        return;
    }
    model_backward_set(&e->net, e->B, e->xt, e->gout, e->grad);
    optim_step(&e->opt, e->net.theta, e->grad, &e->sph);
}

/* gaussian.precond = edm: D = c_skip x + c_out V (c_in x), the model fed c_in x and its output
 * gradient scaled by c_out (no fused path). */
static void engine_step_precond(engine *e)
{
    model_forward(&e->net, e->B, e->xin, e->out);
    if (e->fixed_skip) engine_add_skip(e, e->B, e->xt, e->alpha, e->out);
    engine_precond_out(e->B, e->d, e->cskip, e->cout, e->xt, e->out);
    e->loss_sum += loss_eval(e->B, e->d, e->w, e->x0, e->out, e->gout) / e->d;
    e->loss_n++;
    for (size_t b = 0; b < (size_t)e->B; b++) /* dL/dF = c_out dL/dD */
        cblas_dscal(e->d, e->cout[b], &e->gout[b * (size_t)e->d], 1);
    model_backward_set(&e->net, e->B, e->xin, e->gout, e->grad);
    optim_step(&e->opt, e->net.theta, e->grad, &e->sph);
}

/* The reduced chain's step; e mirrors its counters, which checkpoints and observers read. */
static void engine_step_reduced(engine *e)
{
    reduced_step(e->red);
    e->step = e->red->step;
    e->opt.t = e->red->opt_t;
    e->loss_sum = e->red->loss_sum;
    e->loss_n = e->red->loss_n;
}

/* Full-batch GD on the exact loss at the task's level: GW of W (= theta, or P P^T with
 * theta = P^T: dL/dtheta = theta (GW + GW^T)), the loss per dimension as SGD reports it. */
static void engine_step_full(engine *e)
{
    int d = e->d;
    size_t dd = (size_t)d * (size_t)d;
    const double *b;
    engine_linear_weights(e, e->gW, &b);
    double loss = gdata_exact_grad(d, e->gS, e->gm, e->gsigma, e->gW, b, e->gGW, e->gGb);
    if (e->net.s.family == MODEL_LINEAR) {
        memcpy(e->grad, e->gGW, dd * sizeof(double));
        if (b) memcpy(e->grad + dd, e->gGb, (size_t)d * sizeof(double));
    } else {
        for (size_t i = 0; i < (size_t)d; i++)
            for (size_t j = i; j < (size_t)d; j++)
                e->gW[i * (size_t)d + j] = e->gW[j * (size_t)d + i] =
                    e->gGW[i * (size_t)d + j] + e->gGW[j * (size_t)d + i];
        cblas_dsymm(CblasRowMajor, CblasRight, CblasUpper, (int)e->net.s.K, d, 1.0, e->gW, d,
                    e->net.theta, d, 0.0, e->grad, d);
    }
    e->loss_sum += loss / d;
    e->loss_n++;
    optim_step(&e->opt, e->net.theta, e->grad, &e->sph);
    e->step++;
}

void engine_step(engine *e)
{
    if (e->red) {
        engine_step_reduced(e);
        return;
    }
    if (e->gS) {
        engine_step_full(e);
        return;
    }
    engine_batch(e);
    if (e->precond)
        engine_step_precond(e);
    else {
        engine_forward_loss(e);
        e->loss_n++;
        engine_update(e);
    }
    e->step++;
}

/* The EDM coefficients at the task's time (c_skip, c_out, c_in). */
static void engine_precond_at_t(const engine *e, double *cs, double *co, double *ci)
{
    double al, sg, k, w;
    diff_coeffs(&e->sch, e->times.t, &al, &sg);
    gt_edm_coeffs(e->sigma_data, sg, cs, &k, ci, &w);
    *co = k / *ci;
}

void engine_denoise(engine *e, int n, const double *xt, double alpha, double *out)
{
    if (e->precond) {
        double cs, co, ci;
        engine_precond_at_t(e, &cs, &co, &ci);
        for (size_t j = 0; j < (size_t)n * (size_t)e->d; j++)
            e->xin[j] = ci * xt[j];
        model_forward(&e->net, n, e->xin, out);
        for (int b = 0; b < n; b++)
            engine_precond_out(1, e->d, &cs, &co, &xt[(size_t)b * (size_t)e->d],
                               &out[(size_t)b * (size_t)e->d]);
        return;
    }
    model_forward(&e->net, n, xt, out);
    if (!e->fixed_skip) return;
    double al[1] = {alpha};
    size_t d = (size_t)e->d;
    for (int b = 0; b < n; b++)
        engine_add_skip(e, 1, &xt[(size_t)b * d], al, &out[(size_t)b * d]);
}

double engine_take_loss(engine *e)
{
    double l = e->loss_n ? e->loss_sum / (double)e->loss_n : NAN;
    e->loss_sum = 0;
    e->loss_n = 0;
    if (e->red) e->red->loss_sum = 0, e->red->loss_n = 0;
    return l;
}

int engine_linear_weights(const engine *e, double *W, const double **b)
{
    int d = e->d;
    *b = NULL;
    if (e->red) return -1;
    if (e->net.s.family == MODEL_LINEAR) {
        memcpy(W, e->net.theta, (size_t)d * (size_t)d * sizeof(double));
        if (e->net.s.bias) *b = e->net.theta + (size_t)d * (size_t)d;
        return 0;
    }
    if (e->net.s.family != MODEL_SYMLINEAR) return -1;
    /* theta = P^T (h x d): W = P P^T = theta^T theta */
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, d, d, (int)e->net.s.K, 1.0, e->net.theta,
                d, e->net.theta, d, 0.0, W, d);
    return 0;
}

int engine_denoiser_weights(const engine *e, double *W, const double **b)
{
    int r = engine_linear_weights(e, W, b);
    if (r != 0 || !e->precond) return r;
    if (*b) LOG_DIE("gaussian.precond = edm with a bias: not supported");
    double cs, co, ci;
    engine_precond_at_t(e, &cs, &co, &ci);
    size_t d = (size_t)e->d;
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++)
            W[i * d + j] = co * ci * W[i * d + j] + (i == j ? cs : 0);
    return 0;
}

int engine_rows(const engine *e)
{
    return e->red ? e->red->K : e->net.n_rows;
}

int engine_has_spikes(const engine *e)
{
    return e->red || (e->spk[0] && e->spk[1] && e->spk[2]);
}

double engine_gram_min_eig(const engine *e)
{
    return e->red ? reduced_gram_min_eig(e->red) : NAN;
}

void engine_overlaps(const engine *e, double *ov, double *norm)
{
    int have = engine_has_spikes(e);
    if (e->red) {
        reduced_overlaps(e->red, ov, norm);
        return;
    }
    for (int k = 0; k < e->net.n_rows; k++) {
        const double *w = model_row(&e->net, k);
        double nrm = sqrt(mcm_dot(w, w, e->d));
        if (norm) norm[k] = nrm;
        if (!have || !ov) continue;
        for (int j = 0; j < 3; j++)
            ov[(size_t)k * 3 + (size_t)j] = nrm > 0 ? mcm_dot(w, e->spk[j], e->d) / nrm : 0.0;
    }
}

/* The reduced coordinates as a poploss_net: frame dimension r, spikes S padded with zeros. */
static void engine_poploss_reduced(const reduced *r, double alpha, poploss_net *n)
{
    size_t R = (size_t)r->r, K = (size_t)r->K;
    double *buf = LOG_CALLOC(3 * R + K * R, sizeof(double));
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            buf[(size_t)i * R + (size_t)j] = r->S[i][j];
    double *o = buf + 3 * R;
    int tied = r->iv < 0;
    for (size_t k = 0; k < K; k++)
        for (size_t j = 0; j < R; j++)
            o[k * R + j] = tied ? r->amp[k] * r->X[k * R + j] : r->X[((size_t)r->iv + k) * R + j];
    *n = (poploss_net){.d = r->s.d,
                       .R = r->r,
                       .K = r->K,
                       .m = buf,
                       .u = buf + R,
                       .v = buf + 2 * R,
                       .w = r->X,
                       .o = o,
                       .b = r->ib >= 0 ? r->X + (size_t)r->ib * R : NULL,
                       .c = r->s.fixed_skip ? alpha : reduced_skip(r),
                       .act = r->s.model.act,
                       .own = buf};
}

int engine_poploss_net(const engine *e, double alpha, poploss_net *n)
{
    if (e->red) {
        engine_poploss_reduced(e->red, alpha, n);
        return 0;
    }
    if (e->ud) return -1;
    return poploss_net_from_model(n, &e->net, e->fixed_skip ? alpha : 0, e->spk[0], e->spk[1],
                                  e->spk[2]);
}

size_t engine_state_size(const engine *e)
{
    return e->red ? reduced_state_size(e->red) : e->net.np;
}

void engine_state_pack(const engine *e, double *buf)
{
    if (e->red)
        reduced_pack(e->red, buf);
    else
        memcpy(buf, e->net.theta, e->net.np * sizeof(double));
}

void engine_state_unpack(engine *e, const double *buf)
{
    if (!e->red) {
        memcpy(e->net.theta, buf, e->net.np * sizeof(double));
        return;
    }
    reduced_unpack(e->red, buf);
    e->red->step = e->step;
    e->red->opt_t = e->opt.t;
    e->red->loss_sum = e->loss_sum;
    e->red->loss_n = e->loss_n;
}
