/* Unit tests of the neuron (A, B) and two-layer (C) families and of the losses: every backward
 * pass against central finite differences of the full loss, the loss weights against their
 * definitions, the initialisation (unit rows, overlap law, determinism, zero second layer, one
 * first-layer initialiser for every family) and model (A) with the matched activation against
 * the Bayes denoiser (5) of mcm-model.md §2.4. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/act.h"
#include "core/loss.h"
#include "core/model.h"
#include "core/rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Central differences with step FD_H: truncation ~ h^2 |L'''| ~ 1e-12 and rounding
 * ~ eps |L| / h ~ 1e-10 |L|. The check is |fd - grad| <= FD_RTOL |grad| + FD_ATOL (1 + |L|);
 * the relative part dominates for most entries (gradients ~ 1e-2 at d = 19). Over the 312 cases
 * below the worst error is 0.11 of this tolerance (FD_PRINT=1 prints every case), while a 1e-7
 * relative error in one gradient term fails. */
#define FD_H 1e-6
#define FD_RTOL 1e-6
#define FD_ATOL 1e-9

static void fill_normals(uint32_t task, uint64_t step, size_t n, double *out)
{
    rng_stream s = rng_stream_make(23, task, RNG_TEST);
    rng_normal(&s, step, 0, n, out);
}

static double *normals(uint32_t task, uint64_t step, size_t n)
{
    double *z = malloc(n * sizeof *z);
    fill_normals(task, step, n, z);
    return z;
}

/* The activations under test (smooth ones: finite differences need derivatives). */
static act_fn test_act(int i)
{
    switch (i) {
    case 0:
        return act_make(ACT_TANH, 0.5, 0, 0, 0, 0, 0);
    case 1:
        return act_make(ACT_ERF, 1.0, 0, 0, 0, 0, 0);
    case 2:
        return act_make(ACT_HERMITE, 1.0, 3, 0, 0, 0, 0);
    default:
        return act_make(ACT_MATCHED_V, 1.0, 0, 0.8, 0.6, 2.0, 3.0);
    }
}
enum { N_ACT = 4 };

typedef struct {
    int B;
    const double *x, *x0, *w; /* inputs, targets, per-sample loss weights */
    double *out;
} fd_data;

static double full_loss(model *m, const fd_data *t)
{
    model_forward(m, t->B, t->x, t->out);
    return loss_eval(t->B, m->s.d, t->w, t->x0, t->out, NULL);
}

/* Worst |fd - grad| / (FD_RTOL |grad| + FD_ATOL (1 + |L|)) over every parameter: <= 1 passes. */
static double fd_worst(model *m, const fd_data *t)
{
    size_t n = (size_t)t->B * (size_t)m->s.d;
    double *gout = malloc(n * sizeof *gout), *grad = malloc(m->np * sizeof *grad);
    model_forward(m, t->B, t->x, t->out);
    double L = loss_eval(t->B, m->s.d, t->w, t->x0, t->out, gout);
    for (size_t p = 0; p < m->np; p++)
        grad[p] = 1.0; /* backward accumulates: start from 1 and subtract it again */
    model_backward(m, t->B, t->x, gout, grad);
    double worst = 0;
    for (size_t p = 0; p < m->np; p++) {
        double th = m->theta[p];
        m->theta[p] = th + FD_H;
        double lp = full_loss(m, t);
        m->theta[p] = th - FD_H;
        double lm = full_loss(m, t);
        m->theta[p] = th;
        double fd = (lp - lm) / (2 * FD_H), an = grad[p] - 1.0;
        double r = fabs(fd - an) / (FD_RTOL * fabs(an) + FD_ATOL * (1 + fabs(L)));
        if (r > worst) worst = r;
    }
    free(gout);
    free(grad);
    return worst;
}

/* model_backward_set writes every entry: from a NaN-filled gradient it gives what
 * model_backward adds to a zero one (a missed entry stays NaN and fails). */
static void check_backward_set(model *m, const fd_data *t, const char *what)
{
    size_t n = (size_t)t->B * (size_t)m->s.d;
    double *gout = malloc(n * sizeof *gout), *g0 = calloc(m->np, sizeof *g0),
           *g1 = malloc(m->np * sizeof *g1);
    model_forward(m, t->B, t->x, t->out);
    loss_eval(t->B, m->s.d, t->w, t->x0, t->out, gout);
    model_backward(m, t->B, t->x, gout, g0);
    for (size_t p = 0; p < m->np; p++)
        g1[p] = NAN;
    model_backward_set(m, t->B, t->x, gout, g1);
    for (size_t p = 0; p < m->np; p++)
        if (!(g1[p] == g0[p])) {
            print_error("%s B=%d K=%d: backward_set entry %zu = %.17g, backward %.17g\n", what,
                        t->B, m->s.K, p, g1[p], g0[p]);
            fail();
        }
    free(gout), free(g0), free(g1);
}

/* A model of spec s with every parameter moved off its initial value (so that a_k, V, b, c
 * are all non-zero and every gradient term is exercised), checked on batch B. */
static void fd_case(const model_spec *s, int B, const char *what)
{
    model m;
    model_init(&m, s, 5, 17, B);
    double *z = normals(1, 0, m.np);
    for (size_t p = 0; p < m.np; p++)
        m.theta[p] += 0.15 * z[p];
    m.c = 0.6;
    size_t n = (size_t)B * (size_t)s->d;
    double *x = normals(2, (uint64_t)B, n), *x0 = normals(3, (uint64_t)B, n), w[16];
    for (int b = 0; b < B; b++)
        w[b] = 0.5 + 0.25 * b;
    fd_data t = {B, x, x0, w, malloc(n * sizeof(double))};
    double worst = fd_worst(&m, &t);
    check_backward_set(&m, &t, what);
    if (getenv("FD_PRINT"))
        printf("%s B=%d act=%d K=%d skip=%d worst %.3g\n", what, B, (int)s->act.kind, s->K,
               (int)s->skip, worst);
    if (!(worst <= 1.0)) {
        print_error("%s B=%d act=%d K=%d skip=%d: worst error %.3g of the tolerance\n", what, B,
                    (int)s->act.kind, s->K, (int)s->skip, worst);
        fail();
    }
    model_free(&m);
    free(t.out);
    free(x);
    free(x0);
    free(z);
}

/* d = 19: two full 8-blocks of the vector kernels and a tail of 3. B = 9 takes the BLAS path,
 * K = 5 splits the 4-row kernels (and the backward dots with x as a sixth row). */
static void test_fd_neuron(void **st)
{
    (void)st;
    const int Ks[] = {1, 3, 5}, Bs[] = {1, 5, 9};
    for (int ik = 0; ik < 3; ik++)
        for (int ta = 0; ta < 2; ta++)
            for (int sk = 0; sk < 3; sk++)
                for (int ia = 0; ia < N_ACT; ia++)
                    for (int ib = 0; ib < 3; ib++) {
                        model_spec s = {.family = MODEL_NEURON,
                                        .d = 19,
                                        .K = Ks[ik],
                                        .act = test_act(ia),
                                        .skip = (model_skip)sk,
                                        .c0 = 0.4,
                                        .train_a = ta,
                                        .a0 = 0.7,
                                        .init2 = INIT2_SMALL,
                                        .init2_scale = 0.5};
                        fd_case(&s, Bs[ib], ta ? "neuron train_a" : "neuron");
                    }
}

static void test_fd_twolayer(void **st)
{
    (void)st;
    const int Ks[] = {1, 3}, Bs[] = {1, 5};
    for (int ik = 0; ik < 2; ik++)
        for (int bias = 0; bias < 2; bias++)
            for (int sk = 0; sk < 3; sk++)
                for (int ia = 0; ia < N_ACT; ia++)
                    for (int ib = 0; ib < 2; ib++) {
                        model_spec s = {.family = MODEL_TWOLAYER,
                                        .d = 13,
                                        .K = Ks[ik],
                                        .act = test_act(ia),
                                        .skip = (model_skip)sk,
                                        .c0 = 0.4,
                                        .init2 = INIT2_SMALL,
                                        .init2_scale = 0.5,
                                        .bias = bias};
                        fd_case(&s, Bs[ib], bias ? "twolayer bias" : "twolayer");
                    }
}

static void test_layout(void **st)
{
    (void)st;
    model_spec s = {.family = MODEL_NEURON,
                    .d = 10,
                    .K = 3,
                    .act = test_act(0),
                    .skip = SKIP_TRAINABLE,
                    .train_a = 1};
    model m;
    model_init(&m, &s, 1, 1, 4);
    assert_int_equal(m.np, 3 * 10 + 3 + 1);
    assert_int_equal(model_count(&s), m.np);
    assert_int_equal(m.n_rows, 3);
    assert_int_equal(m.n_sphere, 3);
    assert_true(model_row(&m, 2) == m.theta + 20);
    model_free(&m);
    s.family = MODEL_TWOLAYER;
    s.bias = 1;
    s.skip = SKIP_FIXED;
    model_init(&m, &s, 1, 1, 4);
    assert_int_equal(m.np, 2 * 3 * 10 + 10);
    assert_int_equal(m.n_rows, 3);
    assert_int_equal(m.n_sphere, 0);
    assert_true(model_row(&m, 1) == m.theta + 10);
    model_free(&m);
}

/* The weights against their definitions: x_t = alpha x0 + sigma xi, eps = (x_t - alpha D)/sigma,
 * s = -(x_t - alpha D)/sigma^2 (target -xi/sigma). */
static void test_loss_weight(void **st)
{
    (void)st;
    enum { D = 40 };
    double alpha = 0.7, sigma = 0.4, *x0 = normals(4, 0, D), *xi = normals(5, 0, D);
    double *Dn = normals(6, 0, D), le = 0, ls = 0, l0 = 0;
    for (int i = 0; i < D; i++) {
        double xt = alpha * x0[i] + sigma * xi[i];
        double eps = (xt - alpha * Dn[i]) / sigma, sc = -(xt - alpha * Dn[i]) / (sigma * sigma);
        le += (xi[i] - eps) * (xi[i] - eps);
        ls += (sc + xi[i] / sigma) * (sc + xi[i] / sigma);
        l0 += (x0[i] - Dn[i]) * (x0[i] - Dn[i]);
    }
    assert_true(loss_weight(LOSS_X0, alpha, sigma) == 1.0);
    assert_true(fabs(loss_weight(LOSS_EPS, alpha, sigma) * l0 / le - 1) < 1e-12);
    assert_true(fabs(loss_weight(LOSS_SCORE, alpha, sigma) * l0 / ls - 1) < 1e-12);
    assert_true(fabs(loss_weight(LOSS_EPS, alpha, sigma) - 0.49 / 0.16) < 1e-14);
    assert_true(fabs(loss_weight(LOSS_SCORE, alpha, sigma) - 0.49 / 0.0256) < 1e-12);
    free(x0);
    free(xi);
    free(Dn);
}

/* Value against a direct sum, gout against finite differences in every entry of D. */
static void test_loss_eval(void **st)
{
    (void)st;
    enum { B = 3, D = 21 };
    double *x0 = normals(7, 0, B * D), *Dn = normals(8, 0, B * D), w[B] = {1.0, 0.3, 2.5};
    double gout[B * D], ref = 0;
    for (int b = 0; b < B; b++)
        for (int i = 0; i < D; i++)
            ref += w[b] * (x0[b * D + i] - Dn[b * D + i]) * (x0[b * D + i] - Dn[b * D + i]);
    ref /= B * D;
    double L = loss_eval(B, D, w, x0, Dn, gout);
    assert_true(fabs(L - ref) < 1e-14 * ref);
    assert_true(fabs(loss_eval(B, D, w, x0, Dn, NULL) - L) == 0);
    for (int i = 0; i < B * D; i++) {
        double v = Dn[i];
        Dn[i] = v + FD_H;
        double lp = loss_eval(B, D, w, x0, Dn, NULL);
        Dn[i] = v - FD_H;
        double lm = loss_eval(B, D, w, x0, Dn, NULL);
        Dn[i] = v;
        double fd = (lp - lm) / (2 * FD_H);
        assert_true(fabs(fd - gout[i]) <= FD_RTOL * fabs(gout[i]) + FD_ATOL * (1 + L));
    }
    /* w == NULL: every weight 1 */
    double one[B] = {1, 1, 1};
    assert_true(loss_eval(B, D, NULL, x0, Dn, NULL) == loss_eval(B, D, one, x0, Dn, NULL));
    free(x0);
    free(Dn);
}

/* Rows unit norm to 1e-14; overlaps with a fixed unit vector e over many (seed, task) inits:
 * uniform on the sphere gives E q = 0, E q^2 = 1/d, Var q^2 = 3/(d(d+2)) - 1/d^2. */
static void test_init_overlaps(void **st)
{
    (void)st;
    enum { D = 200, K = 4, NT = 500 };
    double e[D], nrm = 0, s1 = 0, s2 = 0;
    fill_normals(9, 0, D, e);
    for (int i = 0; i < D; i++)
        nrm += e[i] * e[i];
    for (int i = 0; i < D; i++)
        e[i] /= sqrt(nrm);
    for (int fam = 0; fam < 2; fam++)
        for (int t = 0; t < NT; t++) {
            model_spec s = {.family = fam ? MODEL_TWOLAYER : MODEL_NEURON,
                            .d = D,
                            .K = K,
                            .act = test_act(0),
                            .skip = SKIP_FIXED};
            model m;
            model_init(&m, &s, 1 + (uint32_t)(t % 2), (uint32_t)t, 1);
            for (int k = 0; k < K; k++) {
                const double *w = model_row(&m, k);
                double n2 = 0, q = 0;
                for (int i = 0; i < D; i++)
                    n2 += w[i] * w[i], q += w[i] * e[i];
                assert_true(fabs(sqrt(n2) - 1) < 1e-14);
                s1 += q, s2 += q * q;
            }
            model_free(&m);
        }
    double n = 2.0 * NT * K, var4 = 3.0 / (D * (D + 2.0)) - 1.0 / ((double)D * D);
    assert_true(fabs(s1 / n) < 5 * sqrt(1.0 / D / n));
    assert_true(fabs(s2 / n - 1.0 / D) < 5 * sqrt(var4 / n));
}

static int same_theta(const model_spec *s, uint32_t seed1, uint32_t task1, uint32_t seed2,
                      uint32_t task2)
{
    model a, b;
    model_init(&a, s, seed1, task1, 1);
    model_init(&b, s, seed2, task2, 1);
    int same = memcmp(a.theta, b.theta, a.np * sizeof(double)) == 0;
    model_free(&a);
    model_free(&b);
    return same;
}

static void test_init_deterministic(void **st)
{
    (void)st;
    for (int fam = 0; fam < 2; fam++) {
        model_spec s = {.family = fam ? MODEL_TWOLAYER : MODEL_NEURON,
                        .d = 30,
                        .K = 3,
                        .act = test_act(0),
                        .skip = SKIP_TRAINABLE,
                        .c0 = 0.5,
                        .train_a = 1,
                        .init2 = INIT2_SMALL,
                        .init2_scale = 0.1,
                        .bias = 1};
        assert_true(same_theta(&s, 4, 9, 4, 9));
        assert_false(same_theta(&s, 4, 9, 4, 10));
        assert_false(same_theta(&s, 4, 9, 5, 9));
    }
}

/* One first-layer initialiser (model_init_rows) for every family: the rows of the neuron and
 * two-layer families are the same bits, those of the MLP and the symmetric linear model (BLAS
 * norm) the same directions to rounding, and linear W = init2_scale / sqrt(d) times the raw
 * normals of steps 0 .. d-1. */
static void test_init_rows_shared(void **st)
{
    (void)st;
    enum { D = 23, K = 3 };
    model_family fam[4] = {MODEL_NEURON, MODEL_TWOLAYER, MODEL_MLP, MODEL_SYMLINEAR};
    model m[4];
    for (int f = 0; f < 4; f++) {
        model_spec s = {.family = fam[f],
                        .d = D,
                        .K = K,
                        .L = 2,
                        .act = test_act(0),
                        .skip = SKIP_FIXED,
                        .init2_scale = 1.0};
        model_init(&m[f], &s, 7, 41, 1);
    }
    assert_memory_equal(model_row(&m[0], 0), model_row(&m[1], 0), sizeof(double) * K * D);
    for (int f = 2; f < 4; f++)
        for (int i = 0; i < K * D; i++)
            assert_true(fabs(model_row(&m[f], 0)[i] - model_row(&m[0], 0)[i]) < 1e-15);
    for (int f = 0; f < 4; f++)
        model_free(&m[f]);
    model_spec s = {.family = MODEL_LINEAR, .d = D, .init2 = INIT2_SMALL, .init2_scale = 0.5};
    model lin;
    model_init(&lin, &s, 7, 41, 1);
    rng_stream rs = rng_stream_make(7, 41, RNG_INIT);
    double g[D];
    for (int k = 0; k < D; k++) {
        rng_normal(&rs, (uint64_t)k, 0, D, g);
        for (int i = 0; i < D; i++)
            assert_true(lin.theta[k * D + i] == g[i] * (0.5 / sqrt((double)D)));
    }
    model_free(&lin);
}

/* Second layer exactly zero under INIT2_ZERO, non-zero under INIT2_SMALL; b = 0; c = c0. */
static void test_init_second_layer(void **st)
{
    (void)st;
    enum { D = 16, K = 3 };
    for (int small = 0; small < 2; small++) {
        model_spec s = {.family = MODEL_NEURON,
                        .d = D,
                        .K = K,
                        .act = test_act(0),
                        .skip = SKIP_TRAINABLE,
                        .c0 = 0.25,
                        .train_a = 1,
                        .init2 = small ? INIT2_SMALL : INIT2_ZERO,
                        .init2_scale = 0.1,
                        .bias = 1};
        model m;
        model_init(&m, &s, 3, 3, 1);
        for (int k = 0; k < K; k++)
            assert_true(small ? m.theta[K * D + k] != 0 : m.theta[K * D + k] == 0);
        assert_true(m.theta[m.np - 1] == 0.25);
        model_free(&m);
        s.family = MODEL_TWOLAYER;
        model_init(&m, &s, 3, 3, 1);
        for (int i = K * D; i < 2 * K * D; i++)
            assert_true(small ? m.theta[i] != 0 : m.theta[i] == 0);
        for (int i = 2 * K * D; i < 2 * K * D + D; i++)
            assert_true(m.theta[i] == 0);
        assert_true(m.theta[m.np - 1] == 0.25);
        model_free(&m);
    }
}

/* f_v of (5), written out here independently of act.c. */
static double bayes_fv(double alpha, double sigma, double beta_v, double h)
{
    double b = sqrt(beta_v / (1 + beta_v)), at = alpha * b, q = 1 - at * at;
    return b * sigma * sigma / q * (tanh(at * h / q) - at * h);
}

/* Model (A) with w = v, fixed skip c = alpha and sigma = sigma*_v is D(x) = alpha x + f_v(v.x) v,
 * on the sample path (B = 1, 5) and the BLAS path (B = 9). */
static void test_bayes_form(void **st)
{
    (void)st;
    enum { D = 50, BM = 9 };
    double t = 0.4, alpha = exp(-t), sigma = sqrt(1 - exp(-2 * t)), bu = 2.0, bv = 3.0;
    model_spec s = {.family = MODEL_NEURON,
                    .d = D,
                    .K = 1,
                    .act = act_make(ACT_MATCHED_V, 1.0, 0, alpha, sigma, bu, bv),
                    .skip = SKIP_FIXED,
                    .c0 = 0.0,
                    .train_a = 0,
                    .a0 = 1.0};
    double *v = normals(10, 0, D), nrm = 0, *x = normals(11, 0, BM * D), out[BM * D];
    for (int i = 0; i < D; i++)
        nrm += v[i] * v[i];
    for (int i = 0; i < D; i++)
        v[i] /= sqrt(nrm);
    const int Bs[] = {1, 5, 9};
    for (int ib = 0; ib < 3; ib++) {
        model m;
        model_init(&m, &s, 1, 2, BM);
        memcpy(m.theta, v, sizeof(double) * D);
        m.c = alpha;
        model_forward(&m, Bs[ib], x, out);
        for (int b = 0; b < Bs[ib]; b++) {
            double h = 0;
            for (int i = 0; i < D; i++)
                h += v[i] * x[b * D + i];
            double fv = bayes_fv(alpha, sigma, bv, h);
            for (int i = 0; i < D; i++)
                assert_true(fabs(out[b * D + i] - (alpha * x[b * D + i] + fv * v[i])) < 1e-13);
        }
        model_free(&m);
    }
    free(v);
    free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fd_neuron),
        cmocka_unit_test(test_fd_twolayer),
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_loss_weight),
        cmocka_unit_test(test_loss_eval),
        cmocka_unit_test(test_init_overlaps),
        cmocka_unit_test(test_init_deterministic),
        cmocka_unit_test(test_init_second_layer),
        cmocka_unit_test(test_init_rows_shared),
        cmocka_unit_test(test_bayes_form),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
