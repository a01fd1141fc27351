/* reduced — set-up, exact initial state, observables and checkpoint state of the reduced engine;
 * see include/core/reduced.h and src/core/reduced.md. The step is reduced_step.c, the random
 * draws reduced_rng.c. */
#include "reduced_internal.h"

#include "base/log.h"

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_matrix.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int reduced_frame_dim(const reduced_spec *s, int *P)
{
    int K = s->model.K;
    int p = s->model.family == MODEL_TWOLAYER ? 2 * K + (s->model.bias ? 1 : 0) : K;
    if (P) *P = p;
    return 3 + p;
}

const char *reduced_supported(const reduced_spec *s, const char **key)
{
    static const char *const bad_family = "the reduced engine represents the neuron (A, B) and "
                                          "twolayer (C) families exactly; expected neuron or "
                                          "twolayer";
    if (s->user_data)
        return *key = "data.file",
               "a user data set has no rotation-invariant bulk to reduce; expected none (MCM data)";
    if (s->n_train)
        return *key = "train.data",
               "a finite training set cycled in epochs reuses its samples, which the fresh "
               "draws of the reduced chain cannot; expected online";
    if (s->model.family != MODEL_NEURON && s->model.family != MODEL_TWOLAYER)
        return *key = "model.family", bad_family;
    if (s->optim.kind == OPT_ADAM)
        return *key = "optim.kind", "Adam's per-coordinate scaling is not rotation invariant; "
                                    "expected sgd or spherical";
    if (s->batch < 1 || s->batch > REDUCED_MAX_BATCH)
        return *key = "train.batch", "the reduced engine takes batches of 1 to 1024 samples";
    if (s->model.K < 1 || s->model.K > REDUCED_MAX_K)
        return *key = "model.K", "the reduced engine takes 1 to 256 neurons";
    int r = reduced_frame_dim(s, NULL);
    if (s->d < r + 2 * s->batch)
        return *key = "mcm.d", "the reduced engine needs d >= 3 + (parameter vectors) + 2 batch";
    return NULL;
}

/* ---------------------------------------------------------------------------------------------
 * Initial state. */

/* alpha, sigma of every time a FIXED or LIST sampling can take. */
static void time_tables(reduced *r)
{
    const diff_times *ts = &r->s.times;
    r->n_tabs = ts->kind == DIFF_TIME_LIST ? ts->n : 1;
    r->tab_alpha = LOG_CALLOC(3 * (size_t)r->n_tabs, sizeof(double));
    r->tab_sigma = r->tab_alpha + r->n_tabs;
    r->tab_w = r->tab_sigma + r->n_tabs;
    if (ts->kind == DIFF_TIME_RANGE) return;
    for (int i = 0; i < r->n_tabs; i++) {
        double t = ts->kind == DIFF_TIME_LIST ? ts->list[i] : ts->t;
        diff_coeffs(&r->s.sch, t, &r->tab_alpha[i], &r->tab_sigma[i]);
    }
}

/* The MCM's Gram entries of (u, v), as mcm_init computes them from the vectors. */
static void spike_gram(reduced *r)
{
    double g[3][3];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            g[i][j] = r->S[i][0] * r->S[j][0] + r->S[i][1] * r->S[j][1] + r->S[i][2] * r->S[j][2];
    r->mcm.uu = g[1][1];
    r->mcm.uv = g[1][2];
    r->mcm.vv = g[2][2];
}

/* Column j of the p x p upper triangular R (rows 0..j). */
static double col_norm(const double *R, int p, int j)
{
    double s = 0.0;
    for (int i = 0; i <= j; i++)
        s += R[(size_t)i * (size_t)p + (size_t)j] * R[(size_t)i * (size_t)p + (size_t)j];
    return sqrt(s);
}

/* The direct engine's initial vectors are the spikes (QR: orthonormalised Gaussians; RANDOM:
 * normalised ones; AXES: e_0, e_1, e_2, equal in law to QR given the isotropic rest), rows
 * w_k = g_k / |g_k|, small V columns sc g'_k: functions of independent N(0, I_d) vectors, whose
 * coordinates in the frame QR builds from them are the Bartlett factor (reduced.md, "Initial
 * state"). Small amplitudes a_k are the direct engine's own numbers (RNG_INIT, step K). */
static void init_state(reduced *r)
{
    const reduced_spec *s = &r->s;
    const model_spec *ms = &s->model;
    int K = r->K, rr = r->r, tl = ms->family == MODEL_TWOLAYER;
    int nvg = tl && ms->init2 == INIT2_SMALL ? K : 0, p = 3 + K + nvg;
    double *R = LOG_CALLOC((size_t)p * (size_t)p, sizeof *R);
    rng_stream si = rng_stream_make(s->seed, s->task, RNG_REDUCED_INIT);
    reduced_bartlett(&si, 0, p, s->d, R);
    memset(r->S, 0, sizeof r->S);
    for (int i = 0; i < 3; i++) {
        if (s->mcm.spikes != MCM_SPIKES_RANDOM) {
            r->S[i][i] = 1.0;
            continue;
        }
        double n = col_norm(R, p, i);
        for (int j = 0; j <= i; j++)
            r->S[i][j] = R[(size_t)j * (size_t)p + (size_t)i] / n;
    }
    spike_gram(r);
    for (int k = 0; k < K; k++) {
        int col = 3 + k;
        double n = col_norm(R, p, col);
        for (int j = 0; j <= col; j++)
            r->X[(size_t)k * (size_t)rr + (size_t)j] = R[(size_t)j * (size_t)p + (size_t)col] / n;
    }
    double sc = ms->init2_scale / sqrt((double)K); /* model_twolayer.c's scale */
    for (int k = 0; k < nvg; k++) {
        int col = 3 + K + k;
        for (int j = 0; j <= col; j++)
            r->X[(size_t)(r->iv + k) * (size_t)rr + (size_t)j] =
                sc * R[(size_t)j * (size_t)p + (size_t)col];
    }
    free(R);
    for (int k = 0; k < K; k++)
        r->amp[k] = ms->train_a ? 0.0 : ms->a0;
    if (!tl && ms->train_a && ms->init2 == INIT2_SMALL) {
        rng_stream s0 = rng_stream_make(s->seed, s->task, RNG_INIT);
        rng_normal(&s0, (uint64_t)K, 0, (size_t)K, r->amp);
        for (int k = 0; k < K; k++)
            r->amp[k] *= ms->init2_scale;
    }
    r->c = ms->c0;
}

void reduced_init(reduced *r, const reduced_spec *s)
{
    const char *key = "";
    const char *why = reduced_supported(s, &key);
    if (why) LOG_DIE("reduced engine: key '%s': %s", key, why);
    memset(r, 0, sizeof *r);
    r->s = *s;
    mcm_init_scalars(&r->mcm, &s->mcm);
    r->K = s->model.K;
    r->B = s->batch;
    r->r = reduced_frame_dim(s, &r->P);
    r->N = r->r + 2 * r->B;
    r->inv_b = 1.0 / (double)r->B;
    r->inv_bd = 1.0 / ((double)r->B * (double)s->d);
    int tl = s->model.family == MODEL_TWOLAYER;
    r->iv = tl ? r->K : -1;
    r->ib = tl && s->model.bias ? 2 * r->K : -1;
    r->X = LOG_CALLOC((size_t)r->P * (size_t)r->r, sizeof(double));
    r->amp = LOG_CALLOC((size_t)r->K, sizeof(double));
    r->ws = LOG_CALLOC(reduced_ws_size(r), sizeof(double));
    time_tables(r);
    r->cache = reduced_cache_new(r);
    init_state(r);
}

void reduced_free(reduced *r)
{
    free(r->X);
    free(r->amp);
    free(r->ws);
    free(r->tab_alpha);
    reduced_cache_free(r->cache);
    memset(r, 0, sizeof *r);
}

double reduced_take_loss(reduced *r)
{
    double l = r->loss_n ? r->loss_sum / (double)r->loss_n : NAN;
    r->loss_sum = 0;
    r->loss_n = 0;
    return l;
}

/* ---------------------------------------------------------------------------------------------
 * Observables. */

static const double *vec_of(const reduced *r, int i, int *len)
{
    if (i < REDUCED_P0) {
        *len = 3;
        return r->S[i];
    }
    *len = r->r;
    return r->X + (size_t)(i - REDUCED_P0) * (size_t)r->r;
}

double reduced_inner(const reduced *r, int i, int j)
{
    int li, lj;
    const double *a = vec_of(r, i, &li), *b = vec_of(r, j, &lj);
    int n = li < lj ? li : lj;
    double s = 0.0;
    for (int k = 0; k < n; k++)
        s += a[k] * b[k];
    return s;
}

void reduced_overlaps(const reduced *r, double *ov, double *norm)
{
    for (int k = 0; k < r->K; k++) {
        double nrm = sqrt(reduced_inner(r, REDUCED_P0 + k, REDUCED_P0 + k));
        if (norm) norm[k] = nrm;
        if (!ov) continue;
        for (int j = 0; j < 3; j++)
            ov[3 * k + j] = nrm > 0 ? reduced_inner(r, REDUCED_P0 + k, j) / nrm : 0.0;
    }
}

double reduced_skip(const reduced *r)
{
    if (r->s.model.skip == SKIP_NONE) return r->s.fixed_skip ? NAN : 0.0;
    return r->c;
}

void reduced_gram(const reduced *r, double *G)
{
    for (int p = 0; p < r->P; p++)
        for (int q = 0; q < r->P; q++)
            G[(size_t)p * (size_t)r->P + (size_t)q] =
                reduced_inner(r, REDUCED_P0 + p, REDUCED_P0 + q);
}

double reduced_gram_min_eig(const reduced *r)
{
    size_t P = (size_t)r->P;
    gsl_matrix *G = gsl_matrix_alloc(P, P);
    gsl_vector *ev = gsl_vector_alloc(P);
    gsl_eigen_symm_workspace *w = gsl_eigen_symm_alloc(P);
    reduced_gram(r, G->data); /* tda = P for a fresh matrix */
    gsl_eigen_symm(G, ev, w);
    double mn = gsl_vector_min(ev);
    gsl_eigen_symm_free(w);
    gsl_vector_free(ev);
    gsl_matrix_free(G);
    return mn;
}

/* ---------------------------------------------------------------------------------------------
 * Checkpoint state and loading from vectors. */

size_t reduced_state_size(const reduced *r)
{
    return (size_t)r->P * (size_t)r->r + (size_t)r->K + 1;
}

void reduced_pack(const reduced *r, double *buf)
{
    size_t n = (size_t)r->P * (size_t)r->r;
    memcpy(buf, r->X, n * sizeof *buf);
    memcpy(buf + n, r->amp, (size_t)r->K * sizeof *buf);
    buf[n + (size_t)r->K] = r->c;
}

void reduced_unpack(reduced *r, const double *buf)
{
    size_t n = (size_t)r->P * (size_t)r->r;
    memcpy(r->X, buf, n * sizeof *buf);
    memcpy(r->amp, buf + n, (size_t)r->K * sizeof *buf);
    r->c = buf[n + (size_t)r->K];
}

/* Orthogonalises q (length d) against the rows e[0..n) twice, adding the coefficients to
 * coef[0..n); returns |q| after. */
static double gs_twice(double *q, const double *e, int n, int d, double *coef)
{
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < n; i++) {
            const double *ei = e + (size_t)i * (size_t)d;
            double c = mcm_dot(ei, q, d);
            coef[i] += c;
            for (int l = 0; l < d; l++)
                q[l] -= c * ei[l];
        }
    return sqrt(mcm_dot(q, q, d));
}

/* Appends frame vector n from x: the coordinates of x go to coef[0..n] (coef[n] = the residual
 * norm, 0 when x lies in the span, to 1e-13 of |x|, and a standard basis vector completes the
 * frame instead). */
static void frame_add(double *e, int n, int d, const double *x, double *coef, double *q)
{
    memcpy(q, x, (size_t)d * sizeof *q);
    memset(coef, 0, (size_t)(n + 1) * sizeof *coef);
    double nx = sqrt(mcm_dot(x, x, d)), nr = gs_twice(q, e, n, d, coef);
    if (nr > 1e-13 * nx && nr > 0) {
        coef[n] = nr;
    } else { /* the first standard basis vector well outside the span (the best one if none) */
        double scratch[REDUCED_P0 + 2 * REDUCED_MAX_K + 1] = {0}, best = -1; /* ignored */
        int lb = 0;
        for (int l = 0; l < d && best <= 0.5; l++) {
            memset(q, 0, (size_t)d * sizeof *q);
            q[l] = 1.0;
            nr = gs_twice(q, e, n, d, scratch);
            if (nr > best) best = nr, lb = l;
        }
        memset(q, 0, (size_t)d * sizeof *q);
        q[lb] = 1.0;
        nr = gs_twice(q, e, n, d, scratch);
    }
    double *en = e + (size_t)n * (size_t)d;
    for (int l = 0; l < d; l++)
        en[l] = q[l] / nr;
}

void reduced_load_vectors(reduced *r, int d, const double *m, const double *u, const double *v,
                          const double *const *par, const double *a, double c, double *E)
{
    if (d != r->s.d) LOG_DIE("reduced_load_vectors: d = %d, the task has d = %d", d, r->s.d);
    int rr = r->r;
    double *e = E ? E : LOG_CALLOC((size_t)rr * (size_t)d, sizeof *e);
    double *q = LOG_CALLOC((size_t)d, sizeof *q), coef[REDUCED_P0 + 2 * REDUCED_MAX_K + 1];
    const double *spk[3] = {m, u, v};
    memset(r->S, 0, sizeof r->S);
    for (int i = 0; i < 3; i++) {
        frame_add(e, i, d, spk[i], coef, q);
        for (int j = 0; j <= i; j++)
            r->S[i][j] = coef[j];
    }
    spike_gram(r);
    for (int p = 0; p < r->P; p++) {
        frame_add(e, 3 + p, d, par[p], coef, q);
        for (int j = 0; j < rr; j++)
            r->X[(size_t)p * (size_t)rr + (size_t)j] = j <= 3 + p ? coef[j] : 0.0;
    }
    if (a) memcpy(r->amp, a, (size_t)r->K * sizeof *a);
    r->c = c;
    free(q);
    if (!E) free(e);
}
