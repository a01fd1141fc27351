/* Unit tests of the reduced engine (core/reduced.h):
 *  - exact coupling: the direct engine (engine_step in R^d) and reduced_step_with, fed the same
 *    randomness (the reduced step gets the frame coordinates and the Bartlett factor of the very
 *    z and xi the direct engine draws), give the same Gram matrix of spikes and parameters, the
 *    same amplitudes, skip and loss, to rounding, for the families A, B, C over the options;
 *  - the streams: reduced_step's draws are the documented layout, bitwise;
 *  - Bartlett factors have the Wishart moments (5 standard errors), a d/2-dof variant does not;
 *  - the initial overlaps have E[m_u] = 0 and E[m_u^2] = 1/d (5 SE), a d/2-dof variant does not;
 *  - spherical rows keep norm 1 to 1e-12 over 10^4 steps, the Gram matrix stays PSD, and a
 *    checkpoint restart mid-window continues bitwise;
 *  - the engine's tanh is accurate to a few ulp, and unsupported settings name their key. No MPI.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/reduced.h"
#include "core/rngv.h"
#include "engine/engine.h"
#include "spec/spec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------------------------
 * Specs from configuration settings. */

#define NSETS(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* The spec of task `task` at dimension d with the settings sets[0..n) (mcm.d is set to d). */
static spec_train train_spec(const char *const *sets, int n, int d, uint64_t task)
{
    static cfg_resolved cr;
    cfg_errors err;
    char dset[32];
    const char *all[32] = {dset};
    snprintf(dset, sizeof dset, "mcm.d=%d", d);
    for (int i = 0; i < n; i++)
        all[i + 1] = sets[i];
    FILE *f = fopen("/tmp/mcmsim_test_reduced.ini", "w");
    assert_non_null(f);
    fputs("[run]\nseed = 11\n", f);
    fclose(f);
    int ne = cfg_load("/tmp/mcmsim_test_reduced.ini", all, n + 1, &cr, &err);
    for (int i = 0; i < ne && i < CFG_ERR_MAX; i++)
        fprintf(stderr, "%s\n", err.msg[i]);
    assert_int_equal(ne, 0);
    remove("/tmp/mcmsim_test_reduced.ini");
    spec_train s;
    spec_train_build(&s, &cr.v, d, task);
    return s;
}

static reduced_spec rspec_of(const spec_train *s)
{
    reduced_spec r = {.seed = s->seed,
                      .task = s->task,
                      .d = s->d,
                      .mcm = s->mcm,
                      .sch = s->sch,
                      .times = s->times,
                      .loss = s->loss,
                      .model = s->model,
                      .fixed_skip = s->fixed_skip,
                      .batch = s->batch,
                      .optim = s->optim,
                      .n_train = s->n_train};
    return r;
}

/* ---------------------------------------------------------------------------------------------
 * Exact coupling with the direct engine. */

/* The P parameter vectors of the direct model, in reduced_inner's order. */
static void direct_params(const engine *e, const reduced *r, const double **par)
{
    size_t d = (size_t)e->d;
    for (int p = 0; p < r->P; p++)
        par[p] = e->net.theta + (size_t)p * d; /* rows, V columns, bias: consecutive blocks */
}

static double direct_inner(const engine *e, const reduced *r, int i, int j)
{
    const double *par[2 * 64 + 1], *spk[3] = {e->data.m, e->data.u, e->data.v};
    direct_params(e, r, par);
    const double *a = i < REDUCED_P0 ? spk[i] : par[i - REDUCED_P0];
    const double *b = j < REDUCED_P0 ? spk[j] : par[j - REDUCED_P0];
    return mcm_dot(a, b, e->d);
}

/* QR of the columns C[d][n] (column-major: column k at C + k d) by modified Gram-Schmidt twice,
 * overwriting C with Q; R[n][n] upper triangular with R_kk >= 0. */
static void mgs_qr(double *C, int d, int n, double *R)
{
    memset(R, 0, (size_t)n * (size_t)n * sizeof *R);
    for (int k = 0; k < n; k++) {
        double *ck = C + (size_t)k * (size_t)d;
        for (int pass = 0; pass < 2; pass++)
            for (int j = 0; j < k; j++) {
                double *cj = C + (size_t)j * (size_t)d, c = mcm_dot(cj, ck, d);
                R[j * n + k] += c;
                for (int l = 0; l < d; l++)
                    ck[l] -= c * cj[l];
            }
        double nr = sqrt(mcm_dot(ck, ck, d));
        R[k * n + k] = nr;
        for (int l = 0; l < d; l++)
            ck[l] /= nr;
    }
}

/* Loads the engine's current state into r, builds the randomness of the engine's next step as the
 * reduced step sees it, takes both steps and returns the largest difference of the inner
 * products, amplitudes, skip and loss (relative to max(1, |value|)). */
static double coupled_step(engine *e, reduced *r, int wrong)
{
    int d = e->d, B = e->B, rr = r->r, two_b = 2 * B;
    const double *par[2 * 64 + 1];
    direct_params(e, r, par);
    const double *amp = r->s.model.train_a ? e->net.theta + (size_t)r->K * (size_t)d : NULL;
    double *E = calloc((size_t)rr * (size_t)d, sizeof *E);
    reduced_load_vectors(r, d, e->data.m, e->data.u, e->data.v, par, amp, model_skip_value(&e->net),
                         E);
    r->step = e->step, r->opt_t = e->opt.t;
    double lam[8], nu[8], t[8], ab[8 * 2 * 160], R[16 * 16], *z = calloc((size_t)d, sizeof *z);
    double *C = calloc((size_t)two_b * (size_t)d, sizeof *C), *x = calloc((size_t)d, sizeof *x);
    int label[8];
    rng_stream sb = rng_stream_make(e->seed, e->task, RNG_BULK);
    rng_stream sx = rng_stream_make(e->seed, e->task, RNG_DIFFUSE);
    for (int b = 0; b < B; b++) {
        uint64_t g = (uint64_t)e->step * (uint64_t)B + (uint64_t)b;
        mcm_sample(&e->data, e->seed, e->task, g, x, &lam[b], &nu[b], &label[b]);
        t[b] = diff_time(&e->times, e->seed, e->task, g);
        for (int k = 0; k < 2; k++) { /* k = 0: z (mcm.h's bulk), k = 1: xi (diff_forward's) */
            rngv_normal_at(k ? &sx : &sb, g, (size_t)d, z);
            double *perp = C + (size_t)(2 * b + k) * (size_t)d;
            memcpy(perp, z, (size_t)d * sizeof *z);
            for (int j = 0; j < rr; j++) {
                const double *ej = E + (size_t)j * (size_t)d;
                double c = mcm_dot(ej, z, d);
                ab[(size_t)b * 2 * (size_t)rr + (size_t)(k * rr + j)] = c;
                for (int l = 0; l < d; l++)
                    perp[l] -= c * ej[l];
            }
        }
    }
    mgs_qr(C, d, two_b, R);
    for (int i = 0; wrong && i < two_b * two_b; i++)
        if (i % 2) R[i] = 0; /* the deliberately wrong variant: xi's perpendicular part dropped */
    reduced_draw dr = {lam, nu, label, t, NULL, NULL, ab, R};
    engine_take_loss(e), reduced_take_loss(r); /* compare this step's loss alone */
    engine_step(e);
    reduced_step_with(r, &dr);
    double err = 0;
    for (int i = 0; i < REDUCED_P0 + r->P; i++)
        for (int j = 0; j <= i; j++) {
            double a = direct_inner(e, r, i, j), b = reduced_inner(r, i, j);
            err = fmax(err, fabs(a - b) / fmax(1.0, fabs(a)));
        }
    for (int k = 0; amp && k < r->K; k++)
        err = fmax(err, fabs(e->net.theta[(size_t)r->K * (size_t)d + (size_t)k] - r->amp[k]));
    err = fmax(err, fabs(model_skip_value(&e->net) - (r->s.model.skip == SKIP_NONE ? 0 : r->c)));
    double le = engine_take_loss(e), lr = reduced_take_loss(r);
    err = fmax(err, fabs(le - lr) / fmax(1.0, fabs(le)));
    free(E), free(z), free(C), free(x);
    return err;
}

/* Runs the direct engine 3 steps from its own initial state, then couples 6 steps. */
static double coupling_v(const char *const *sets, int n, int d, int wrong)
{
    spec_train st = train_spec(sets, n, d, 5);
    reduced_spec rs = rspec_of(&st);
    const char *key = NULL;
    assert_null(reduced_supported(&rs, &key));
    engine e;
    reduced r;
    engine_init(&e, &st, 1, NULL);
    reduced_init(&r, &rs);
    for (int s = 0; s < 3; s++)
        engine_step(&e);
    double err = 0;
    for (int s = 0; s < 6; s++)
        err = fmax(err, coupled_step(&e, &r, wrong));
    engine_free(&e);
    reduced_free(&r);
    return err;
}

static double coupling(const char *const *sets, int n, int d)
{
    return coupling_v(sets, n, d, 0);
}

static void test_coupling_neuron(void **st)
{
    (void)st;
    const char *a[] = {"optim.delta=4"}; /* (A), spherical, B = 1, fixed skip */
    assert_true(coupling(a, NSETS(a), 24) < 1e-12);
    assert_true(coupling_v(a, NSETS(a), 24, 1) > 1e-6); /* the check sees a dropped xi_perp term */
    const char *b[] = {"model.K=2",
                       "model.train_a=true",
                       "model.init2=small",
                       "model.init2_scale=0.3",
                       "model.skip=trainable",
                       "train.batch=3",
                       "optim.weight_decay=0.3",
                       "optim.schedule=cosine",
                       "mcm.beta_m=2",
                       "mcm.mixture=labelled",
                       "mcm.mean_term=label",
                       "mcm.whitening=full",
                       "mcm.coupling=sign",
                       "train.times=list",
                       "train.t_list=0.2,0.7",
                       "train.loss=eps",
                       "optim.delta=0.5"};
    assert_true(coupling(b, NSETS(b), 30) < 1e-12);
    const char *c[] = {"model.K=2",
                       "optim.kind=sgd",
                       "mcm.spikes=random",
                       "mcm.coupling=threshold",
                       "optim.weight_decay=1",
                       "model.activation=erf",
                       "model.a0=0.7",
                       "optim.delta=2"};
    assert_true(coupling(c, NSETS(c), 20) < 1e-12);
}

static void test_coupling_twolayer(void **st)
{
    (void)st;
    const char *a[] = {"model.family=twolayer", "model.K=2",
                       "model.init2=small",     "model.init2_scale=0.5",
                       "optim.kind=sgd",        "optim.weight_decay=0.2",
                       "train.batch=3",         "model.skip=trainable",
                       "train.times=range",     "train.t_weight=sigma2",
                       "mcm.spikes=random",     "mcm.nu_law=skewed",
                       "mcm.beta_m=1",          "optim.schedule=step",
                       "optim.step_every=2",    "diffusion.schedule=ddpm",
                       "optim.delta=2"};
    assert_true(coupling(a, NSETS(a), 36) < 1e-12);
    const char *b[] = {
        "model.family=twolayer", "model.bias=false",     "train.times=list",
        "train.t_list=0.3,1.5",  "optim.kind=spherical", "model.activation=relu",
        "model.init2=small",     "train.loss=score",     "diffusion.schedule=ve",
        "mcm.nu_law=gaussian",   "optim.delta=1"}; /* per-sample fixed skip alpha_t, B = 1 */
    assert_true(coupling(b, NSETS(b), 20) < 1e-12);
}

/* ---------------------------------------------------------------------------------------------
 * Stream layout. */

static void layout_case(int B, int steps, const char *times)
{
    char bs[32];
    snprintf(bs, sizeof bs, "train.batch=%d", B);
    const char *sets[] = {bs, times, "train.t_list=0.1,0.4,0.9", "mcm.nu_law=gaussian",
                          "mcm.mixture=labelled"};
    spec_train st = train_spec(sets, NSETS(sets), 40, 3);
    reduced_spec rs = rspec_of(&st);
    reduced r;
    reduced_init(&r, &rs);
    mcm_model mod;
    mcm_init(&mod, &st.mcm, st.seed, st.task);
    int two_b = 2 * B, rr = r.r;
    double *R = calloc((size_t)two_b * (size_t)two_b, sizeof *R), *x = calloc(40, sizeof *x);
    double nb[2 * 16];
    rng_stream sg = rng_stream_make(st.seed, st.task, RNG_REDUCED_GRAM);
    rng_stream sb = rng_stream_make(st.seed, st.task, RNG_REDUCED_BULK);
    for (long s = 0; s < steps; s += 7) {
        reduced_draw_step(&r, s);
        reduced_bartlett(&sg, (uint64_t)s, two_b, 40 - rr, R);
        assert_memory_equal(R, r.dr.R, (size_t)two_b * (size_t)two_b * sizeof *R);
        for (int b = 0; b < B; b++) {
            uint64_t g = (uint64_t)s * (uint64_t)B + (uint64_t)b;
            double lam, nu;
            int y;
            mcm_sample(&mod, st.seed, st.task, g, x, &lam, &nu, &y);
            assert_int_equal(y, r.dr.label[b]);
            if (y > 0) assert_true(lam == r.dr.lambda[b] && nu == r.dr.nu[b]);
            assert_true(diff_time(&st.times, st.seed, st.task, g) == r.dr.t[b]);
            double al, sig;
            diff_coeffs(&st.sch, r.dr.t[b], &al, &sig);
            assert_true(al == r.dr.alpha[b] && sig == r.dr.sigma[b]);
            rng_normal(&sb, g, 0, 2 * (size_t)rr, nb);
            assert_memory_equal(nb, r.dr.ab + (size_t)b * 2 * (size_t)rr, 2 * (size_t)rr * 8);
        }
    }
    free(R), free(x);
    mcm_free(&mod);
    reduced_free(&r);
}

/* B = 1 and 3 batch the Bartlett draws over the steps, B = 5 draws them per step. */
static void test_stream_layout(void **st)
{
    (void)st;
    layout_case(1, 100, "train.times=range");
    layout_case(3, 40, "train.times=list");
    layout_case(5, 20, "train.times=range");
}

/* ---------------------------------------------------------------------------------------------
 * Laws. */

/* |mean - want| < 5 SE for the samples x[0..n). */
static int mean_ok(const double *x, int n, double want)
{
    double s = 0, s2 = 0;
    for (int i = 0; i < n; i++)
        s += x[i], s2 += x[i] * x[i];
    double m = s / n, se = sqrt((s2 / n - m * m) / n);
    return fabs(m - want) < 5 * se;
}

/* Wishart_p(n, I) moments of W = R^T R over M factors drawn with `dof` degrees of freedom:
 * E W_ij = n delta_ij, Var W_ii = 2n, Var W_ij = n (i != j), each within 5 standard errors
 * (of the mean, and of the variance through the sample fourth moment). */
static int wishart_ok(int p, long dof, long n, int M)
{
    rng_stream s = rng_stream_make(2, 0, RNG_TEST);
    double *R = calloc((size_t)(p * p), sizeof *R), *w = calloc((size_t)M * (size_t)(p * p), 8);
    for (int m = 0; m < M; m++) {
        reduced_bartlett(&s, (uint64_t)m, p, dof, R);
        for (int i = 0; i < p; i++)
            for (int j = 0; j < p; j++) {
                double a = 0;
                for (int k = 0; k < p; k++)
                    a += R[k * p + i] * R[k * p + j];
                w[(size_t)(i * p + j) * (size_t)M + (size_t)m] = a;
            }
    }
    int ok = 1;
    double *dev = calloc((size_t)M, sizeof *dev);
    for (int i = 0; i < p; i++)
        for (int j = 0; j <= i; j++) {
            const double *x = w + (size_t)(i * p + j) * (size_t)M;
            double mean = i == j ? (double)n : 0.0, var = i == j ? 2.0 * n : (double)n;
            ok &= mean_ok(x, M, mean);
            for (int m = 0; m < M; m++)
                dev[m] = (x[m] - mean) * (x[m] - mean);
            ok &= mean_ok(dev, M, var);
        }
    free(R), free(w), free(dev);
    return ok;
}

static void test_bartlett(void **st)
{
    (void)st;
    assert_true(wishart_ok(3, 7, 7, 20000));
    assert_true(wishart_ok(4, 4, 4, 20000)); /* dof 4, 3, 2, 1: the chi^2_1 path */
    assert_true(wishart_ok(2, 5000, 5000, 20000));
    assert_false(wishart_ok(3, 4, 7, 20000)); /* wrong: about d/2 degrees of freedom */
    assert_false(wishart_ok(2, 2500, 5000, 20000));
}

/* E[m_u] = 0 and E[m_u^2] = 1/d for w = g/|g|; the same overlap read off a Bartlett factor
 * with d/2 degrees of freedom has E[m_u^2] = 1/(d/2 + 3) and must fail. */
static void test_initial_law(void **st)
{
    (void)st;
    enum { M = 20000, D = 50 };
    spec_train s = train_spec(NULL, 0, D, 0);
    double *m = calloc(M, sizeof *m), *m2 = calloc(M, sizeof *m2), R[16];
    for (int i = 0; i < M; i++) {
        s.task = (uint64_t)i;
        reduced_spec rs = rspec_of(&s);
        reduced r;
        reduced_init(&r, &rs);
        double ov[3];
        reduced_overlaps(&r, ov, NULL);
        m[i] = ov[REDUCED_U], m2[i] = m[i] * m[i];
        reduced_free(&r);
    }
    assert_true(mean_ok(m, M, 0.0));
    assert_true(mean_ok(m2, M, 1.0 / D));
    rng_stream sw = rng_stream_make(3, 0, RNG_TEST);
    for (int i = 0; i < M; i++) {
        reduced_bartlett(&sw, (uint64_t)i, 4, D / 2, R);
        double n2 = R[3] * R[3] + R[7] * R[7] + R[11] * R[11] + R[15] * R[15];
        m2[i] = R[7] * R[7] / n2;
    }
    assert_false(mean_ok(m2, M, 1.0 / D));
    free(m), free(m2);
}

/* ---------------------------------------------------------------------------------------------
 * Invariants and restarts. */

static void test_sphere_and_psd(void **st)
{
    (void)st;
    const char *sets[] = {"model.K=2", "optim.delta=2", "model.train_a=true", "model.init2=small"};
    spec_train s = train_spec(sets, NSETS(sets), 100, 1);
    reduced_spec rs = rspec_of(&s);
    reduced r;
    reduced_init(&r, &rs);
    double nrm[2], worst = 0;
    for (int i = 0; i < 10000; i++) {
        reduced_step(&r);
        reduced_overlaps(&r, NULL, nrm);
        worst = fmax(worst, fmax(fabs(nrm[0] - 1), fabs(nrm[1] - 1)));
    }
    assert_true(worst < 1e-12);
    assert_true(reduced_gram_min_eig(&r) > -1e-12);
    assert_true(isfinite(reduced_take_loss(&r)));
    reduced_free(&r);
    const char *c[] = {"model.family=twolayer", "model.K=3", "optim.kind=sgd", "train.batch=2"};
    s = train_spec(c, NSETS(c), 100, 1);
    rs = rspec_of(&s);
    reduced_init(&r, &rs);
    for (int i = 0; i < 2000; i++)
        reduced_step(&r);
    assert_true(reduced_gram_min_eig(&r) > -1e-12);
    reduced_free(&r);
}

/* A run restarted from packed state at a step inside a draw window continues bitwise. */
static void test_restart(void **st)
{
    (void)st;
    const char *sets[] = {"model.family=twolayer", "model.K=2", "model.skip=trainable"};
    spec_train s = train_spec(sets, NSETS(sets), 64, 2);
    reduced_spec rs = rspec_of(&s);
    reduced a, b;
    reduced_init(&a, &rs);
    reduced_init(&b, &rs);
    for (int i = 0; i < 45; i++)
        reduced_step(&a);
    double *buf = calloc(reduced_state_size(&a), sizeof *buf);
    reduced_pack(&a, buf);
    reduced_unpack(&b, buf);
    b.step = a.step, b.opt_t = a.opt_t;
    for (int i = 0; i < 40; i++)
        reduced_step(&a), reduced_step(&b);
    assert_memory_equal(a.X, b.X, (size_t)a.P * (size_t)a.r * sizeof *a.X);
    assert_true(a.c == b.c);
    free(buf);
    reduced_free(&a);
    reduced_free(&b);
}

/* reduced_tanh against long double tanhl: within 4 ulp of 1/2 (2^-51) relative, both branches. */
static void test_tanh(void **st)
{
    (void)st;
    double worst = 0;
    for (int i = 0; i < 200000; i++) {
        double x = (i % 2 ? 1 : -1) * pow(10.0, -8.0 + 9.5 * i / 200000.0);
        long double ref = tanhl((long double)x);
        worst = fmax(worst, fabs((double)(((long double)reduced_tanh(x) - ref) / ref)));
    }
    assert_true(worst < 0x1p-51);
    assert_true(reduced_tanh(40.0) == 1.0 && reduced_tanh(-40.0) == -1.0);
    assert_true(isnan(reduced_tanh(NAN)));
}

/* Each unsupported setting is refused with the key it comes from. */
static void test_supported(void **st)
{
    (void)st;
    spec_train s = train_spec(NULL, 0, 16, 0);
    reduced_spec base = rspec_of(&s), x;
    const char *key = NULL;
    assert_null(reduced_supported(&base, &key));
    static const char *const keys[] = {"optim.kind", "train.data",  "model.family",
                                       "data.file",  "train.batch", "mcm.d"};
    for (int i = 0; i < 6; i++) {
        x = base;
        if (i == 0) x.optim.kind = OPT_ADAM;
        if (i == 1) x.n_train = 10;
        if (i == 2) x.model.family = MODEL_MLP;
        if (i == 3) x.user_data = 1;
        if (i == 4) x.batch = REDUCED_MAX_BATCH + 1;
        if (i == 5) x.batch = 7; /* 3 + 1 + 14 > 16 */
        assert_non_null(reduced_supported(&x, &key));
        assert_string_equal(key, keys[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_coupling_neuron), cmocka_unit_test(test_coupling_twolayer),
        cmocka_unit_test(test_stream_layout),   cmocka_unit_test(test_bartlett),
        cmocka_unit_test(test_initial_law),     cmocka_unit_test(test_sphere_and_psd),
        cmocka_unit_test(test_restart),         cmocka_unit_test(test_tanh),
        cmocka_unit_test(test_supported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
