/* Unit tests of the deeper families: the MLP (D) and the linear / symmetric linear
 * denoisers (E). Forward against naive loops over the documented theta layout, backward
 * against central finite differences of loss_eval for every parameter, the BLAS-3 batch path
 * against the one-sample path, the documented initialisation (RNG steps, unit rows, zero last
 * layer), and gradient descent of the linear models to the optimal Gaussian denoiser. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/loss.h"
#include "core/model.h"
#include "core/rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { D = 7, H = 5, BMAX = 4, NMAX = 64 };
#define FD_STEP 1e-6
#define FD_REL 1e-6
#define FD_ABS 1e-8
#define STEP_LAYER ((uint64_t)1 << 32) /* model_mlp.c: layer l at step 2^32 + l */

static void test_normals(uint64_t step, size_t n, double scale, double *out)
{
    rng_stream s = rng_stream_make(5, 0, RNG_TEST);
    rng_normal(&s, step, 0, n, out);
    for (size_t i = 0; i < n; i++)
        out[i] *= scale;
}

static model_spec spec_mlp(int L, act_kind act, model_skip skip, int bias)
{
    return (model_spec){.family = MODEL_MLP,
                        .d = D,
                        .K = H,
                        .L = L,
                        .act = act_make(act, act == ACT_TANH ? 0.7 : 1.0, 0, 0, 0, 0, 0),
                        .skip = skip,
                        .c0 = 0.8,
                        .init2 = INIT2_SMALL,
                        .init2_scale = 0.5,
                        .bias = bias};
}

static model_spec spec_linear(model_family f, int bias)
{
    return (model_spec){.family = f,
                        .d = D,
                        .K = 3,
                        .L = 0,
                        .skip = SKIP_NONE,
                        .init2 = INIT2_SMALL,
                        .init2_scale = 0.5,
                        .bias = bias};
}

/* ---- naive references, reading theta through the layouts documented in the sources ---- */

/* One sample of the MLP; returns the smallest |pre-activation| (to stay off ReLU kinks). */
static double ref_mlp(const model *m, const double *x, double *out)
{
    const model_spec *s = &m->s;
    int L = s->L, K = s->K, d = s->d, nin = d;
    const double *W = m->theta, *b = m->theta + 2 * (size_t)K * d + (size_t)(L - 2) * K * K;
    double a[NMAX], z[NMAX], zmin = INFINITY;
    memcpy(a, x, (size_t)d * sizeof *a);
    for (int l = 0; l < L - 1; l++, W += (size_t)K * nin, nin = K) {
        for (int k = 0; k < K; k++) {
            z[k] = s->bias ? b[k] : 0.0;
            for (int i = 0; i < nin; i++)
                z[k] += W[(size_t)k * nin + i] * a[i];
            zmin = fmin(zmin, fabs(z[k]));
        }
        for (int k = 0; k < K; k++)
            a[k] = act_f(&s->act, z[k]);
        if (s->bias) b += K;
    }
    const double *c = s->bias ? b + d : b; /* after b_L: the trainable skip */
    double cv = s->skip == SKIP_FIXED ? m->c : s->skip == SKIP_TRAINABLE ? *c : 0.0;
    for (int i = 0; i < d; i++) {
        out[i] = (s->bias ? b[i] : 0.0) + cv * x[i];
        for (int k = 0; k < K; k++)
            out[i] += W[(size_t)i * K + k] * a[k];
    }
    return zmin;
}

static double ref_linear(const model *m, const double *x, double *out)
{
    int d = m->s.d;
    const double *th = m->theta;
    for (int i = 0; i < d; i++) {
        out[i] = m->s.bias ? th[(size_t)d * d + i] : 0.0;
        for (int j = 0; j < d; j++)
            out[i] += th[(size_t)i * d + j] * x[j];
    }
    return INFINITY;
}

/* Column k of P is row k of theta: D = sum_k p_k (p_k . x). */
static double ref_symlinear(const model *m, const double *x, double *out)
{
    int d = m->s.d;
    memset(out, 0, (size_t)d * sizeof *out);
    for (int k = 0; k < m->s.K; k++) {
        const double *p = model_row(m, k);
        double h = 0;
        for (int i = 0; i < d; i++)
            h += p[i] * x[i];
        for (int i = 0; i < d; i++)
            out[i] += p[i] * h;
    }
    return INFINITY;
}

typedef double ref_fn(const model *m, const double *x, double *out);

static ref_fn *ref_of(model_family f)
{
    return f == MODEL_MLP ? ref_mlp : f == MODEL_LINEAR ? ref_linear : ref_symlinear;
}

/* ---- checks ---- */

typedef struct {
    int B;
    double x[BMAX * D], x0[BMAX * D], w[BMAX];
} batch;

static batch make_batch(int B, uint64_t step)
{
    batch t = {.B = B};
    test_normals(step, BMAX * D, 1.0, t.x);
    test_normals(step + 1, BMAX * D, 1.0, t.x0);
    for (int b = 0; b < BMAX; b++)
        t.w[b] = 1.0 + 0.5 * b; /* unequal sample weights */
    return t;
}

static double loss_of(model *m, const batch *t, double *gout)
{
    double out[BMAX * D];
    model_forward(m, t->B, t->x, out);
    return loss_eval(t->B, m->s.d, t->w, t->x0, out, gout);
}

/* Forward equals the naive reference; returns the smallest |pre-activation|. */
static double check_forward(model *m, const batch *t)
{
    double out[BMAX * D], ref[D], zmin = INFINITY;
    model_forward(m, t->B, t->x, out);
    for (int b = 0; b < t->B; b++) {
        zmin = fmin(zmin, ref_of(m->s.family)(m, t->x + b * D, ref));
        for (int i = 0; i < D; i++)
            assert_true(fabs(out[b * D + i] - ref[i]) < 1e-13);
    }
    return zmin;
}

/* Central finite differences of the loss w.r.t. every parameter. */
static void check_grad(model *m, const batch *t)
{
    double gout[BMAX * D], *grad = calloc(m->np, sizeof *grad);
    loss_of(m, t, gout);
    model_backward(m, t->B, t->x, gout, grad);
    for (size_t i = 0; i < m->np; i++) {
        double th = m->theta[i];
        m->theta[i] = th + FD_STEP;
        double lp = loss_of(m, t, NULL);
        m->theta[i] = th - FD_STEP;
        double lm = loss_of(m, t, NULL);
        m->theta[i] = th;
        double fd = (lp - lm) / (2 * FD_STEP), tol = FD_REL * fmax(fabs(fd), fabs(grad[i]));
        if (!(fabs(fd - grad[i]) <= tol + FD_ABS))
            fail_msg("family %d B %d param %zu of %zu: backward %.12g, differences %.12g",
                     m->s.family, t->B, i, m->np, grad[i], fd);
    }
    free(grad);
}

/* The batch (BLAS-3) path equals the one-sample path sample by sample, gradients summed. */
static void check_batch_path(model *m, const batch *t)
{
    double out[BMAX * D], o1[D], gout[BMAX * D];
    double *g = calloc(m->np, sizeof *g), *g1 = calloc(m->np, sizeof *g1);
    loss_of(m, t, gout);
    model_forward(m, t->B, t->x, out);
    model_backward(m, t->B, t->x, gout, g);
    for (int b = 0; b < t->B; b++) {
        model_forward(m, 1, t->x + b * D, o1);
        for (int i = 0; i < D; i++)
            assert_true(fabs(o1[i] - out[b * D + i]) < 1e-13);
        model_backward(m, 1, t->x + b * D, gout + b * D, g1);
    }
    for (size_t i = 0; i < m->np; i++)
        assert_true(fabs(g[i] - g1[i]) < 1e-13);
    free(g);
    free(g1);
}

/* Moves every parameter off its initial value so that no gradient vanishes by symmetry
 * (a zero last layer would hide the first-layer gradient). */
static void randomize(model *m, uint64_t step, double scale)
{
    double *z = malloc(m->np * sizeof *z);
    test_normals(step, m->np, scale, z);
    for (size_t i = 0; i < m->np; i++)
        m->theta[i] += z[i];
    free(z);
}

/* Model with moved parameters and a batch; for ReLU, the first draw (over steps step + 1000 j)
 * whose pre-activations all keep |z| > 1e-3, so that a 1e-6 step (moving z by ~1e-5 here)
 * crosses no kink. An exact 0 (a layer whose inputs are all cut off) also counts as a kink. */
static batch setup(model *m, const model_spec *s, int B, uint64_t step, int need_smooth)
{
    for (int j = 0; j < 20; j++, step += 1000) {
        model_init(m, s, 3, 1, BMAX);
        randomize(m, step, 0.4);
        batch t = make_batch(B, step + 1);
        double zmin = check_forward(m, &t);
        if (!need_smooth || zmin > 1e-3) return t;
        model_free(m);
    }
    fail_msg("no draw keeps the pre-activations off the ReLU kink");
    return make_batch(B, step); /* not reached */
}

static void check_all(const model_spec *s, uint64_t step, int need_smooth)
{
    for (int B = 1; B <= BMAX; B += BMAX - 1) {
        model m;
        batch t = setup(&m, s, B, step, need_smooth);
        check_grad(&m, &t);
        if (B > 1) check_batch_path(&m, &t);
        model_free(&m);
    }
}

static void test_mlp_gradients(void **st)
{
    (void)st;
    const act_kind acts[] = {ACT_TANH, ACT_RELU};
    const model_skip skips[] = {SKIP_FIXED, SKIP_TRAINABLE, SKIP_NONE};
    uint64_t step = 10;
    for (int L = 2; L <= 3; L++)
        for (int a = 0; a < 2; a++)
            for (int k = 0; k < 3; k++)
                for (int bias = 0; bias <= 1; bias++, step += 10) {
                    model_spec s = spec_mlp(L, acts[a], skips[k], bias);
                    check_all(&s, step, acts[a] == ACT_RELU);
                }
}

static void test_linear_gradients(void **st)
{
    (void)st;
    for (int bias = 0; bias <= 1; bias++) {
        model_spec s = spec_linear(MODEL_LINEAR, bias);
        check_all(&s, 500 + 10 * (uint64_t)bias, 0);
    }
    model_spec s = spec_linear(MODEL_SYMLINEAR, 0);
    check_all(&s, 600, 0);
}

/* ---- initialisation ---- */

static void expect_row(const double *row, uint32_t seed, uint32_t task, uint64_t step, int d,
                       double scale, int unit)
{
    double g[NMAX], n2 = 0;
    rng_stream rs = rng_stream_make(seed, task, RNG_INIT);
    rng_normal(&rs, step, 0, (size_t)d, g);
    for (int i = 0; i < d; i++)
        n2 += g[i] * g[i];
    double f = unit ? scale / sqrt(n2) : scale;
    for (int i = 0; i < d; i++)
        assert_true(fabs(row[i] - f * g[i]) < 1e-15);
}

/* Pins the documented layout and RNG steps: W_1 rows, hidden layer, last layer, b, c. */
static void test_mlp_init_layout(void **st)
{
    (void)st;
    model_spec s = spec_mlp(3, ACT_TANH, SKIP_TRAINABLE, 1);
    s.c0 = 0.9;
    model m;
    model_init(&m, &s, 21, 4, 2);
    size_t nw = 2 * H * D + H * H;
    assert_int_equal(m.np, nw + H + H + D + 1);
    assert_int_equal(model_count(&s), m.np);
    assert_int_equal(m.n_rows, H);
    assert_int_equal(m.rows_off, 0);
    assert_int_equal(m.rows_stride, D);
    assert_int_equal(m.n_sphere, 0);
    for (int k = 0; k < H; k++)
        expect_row(model_row(&m, k), 21, 4, (uint64_t)k, D, 1.0, 1);
    double g[H * D];
    rng_stream rs = rng_stream_make(21, 4, RNG_INIT);
    rng_normal(&rs, STEP_LAYER + 2, 0, H * H, g);
    for (int i = 0; i < H * H; i++)
        assert_true(fabs(m.theta[H * D + i] - g[i] / sqrt(H)) < 1e-15);
    rng_normal(&rs, STEP_LAYER + 3, 0, H * D, g);
    for (int i = 0; i < H * D; i++)
        assert_true(fabs(m.theta[H * D + H * H + i] - 0.5 * g[i] / sqrt(H)) < 1e-15);
    for (size_t i = nw; i < m.np - 1; i++)
        assert_true(m.theta[i] == 0.0);
    assert_true(m.theta[m.np - 1] == 0.9);
    model_free(&m);
}

static void test_init_determinism(void **st)
{
    (void)st;
    model_spec specs[3] = {spec_mlp(3, ACT_TANH, SKIP_FIXED, 1), spec_linear(MODEL_LINEAR, 1),
                           spec_linear(MODEL_SYMLINEAR, 0)};
    for (int f = 0; f < 3; f++) {
        model a, b, c, e;
        model_init(&a, &specs[f], 7, 2, 1);
        model_init(&b, &specs[f], 7, 2, 3);
        model_init(&c, &specs[f], 7, 3, 1);
        model_init(&e, &specs[f], 8, 2, 1);
        size_t n = a.np * sizeof(double);
        assert_true(memcmp(a.theta, b.theta, n) == 0); /* bmax plays no part */
        assert_true(memcmp(a.theta, c.theta, n) != 0);
        assert_true(memcmp(a.theta, e.theta, n) != 0);
        model_free(&a), model_free(&b), model_free(&c), model_free(&e);
    }
}

/* INIT2_ZERO: D(x) = c x exactly at start, whatever the hidden layers. */
static void test_mlp_zero_last_layer(void **st)
{
    (void)st;
    for (int k = 0; k < 3; k++) {
        model_spec s = spec_mlp(3, ACT_RELU, (model_skip)k, 1);
        s.init2 = INIT2_ZERO;
        model m;
        model_init(&m, &s, 1, 1, BMAX);
        batch t = make_batch(BMAX, 900);
        double out[BMAX * D], c = k == SKIP_NONE ? 0.0 : 0.8;
        model_forward(&m, BMAX, t.x, out);
        for (int i = 0; i < BMAX * D; i++)
            assert_true(out[i] == c * t.x[i]);
        for (int r = 0; r < H; r++) {
            double n2 = 0;
            for (int i = 0; i < D; i++)
                n2 += model_row(&m, r)[i] * model_row(&m, r)[i];
            assert_true(fabs(n2 - 1.0) < 1e-14);
        }
        model_free(&m);
    }
}

/* Hidden layers N(0, 1/H): the sample variance of 2 x 300^2 entries is within 2%. */
static void test_mlp_hidden_variance(void **st)
{
    (void)st;
    model_spec s = spec_mlp(4, ACT_TANH, SKIP_NONE, 0);
    s.K = 300;
    s.d = 10;
    model m;
    model_init(&m, &s, 2, 0, 1);
    size_t n = 2 * 300 * 300;
    const double *w = m.theta + 300 * 10;
    double m2 = 0;
    for (size_t i = 0; i < n; i++)
        m2 += w[i] * w[i] / (double)n;
    assert_true(fabs(m2 * 300 - 1.0) < 0.02); /* 1 SE = sqrt(2/n) = 0.33% */
    model_free(&m);
}

static void test_linear_init(void **st)
{
    (void)st;
    model_spec s = spec_linear(MODEL_LINEAR, 1);
    model m;
    model_init(&m, &s, 9, 1, 1);
    assert_int_equal(m.np, D * D + D);
    assert_int_equal(m.n_rows, 0);
    for (int i = 0; i < D; i++)
        expect_row(m.theta + i * D, 9, 1, (uint64_t)i, D, 0.5 / sqrt(D), 0);
    for (int i = 0; i < D; i++)
        assert_true(m.theta[D * D + i] == 0.0);
    model_free(&m);
    s.init2 = INIT2_ZERO;
    model_init(&m, &s, 9, 1, 1);
    for (size_t i = 0; i < m.np; i++)
        assert_true(m.theta[i] == 0.0);
    model_free(&m);
    /* Symmetric: columns of P = 0.5 g/|g|, the directions of the MLP's first-layer rows. */
    s = spec_linear(MODEL_SYMLINEAR, 0);
    s.init2 = INIT2_ZERO; /* ignored: P = 0 would never move */
    model_init(&m, &s, 9, 1, 1);
    assert_int_equal(m.np, 3 * D);
    assert_int_equal(m.n_rows, 3);
    assert_int_equal(m.rows_stride, D);
    for (int k = 0; k < 3; k++)
        expect_row(model_row(&m, k), 9, 1, (uint64_t)k, D, 0.5, 1);
    model_free(&m);
}

/* ---- learning: full-batch gradient descent to W* = alpha S (alpha^2 S + sigma^2 I)^-1 ---- */

enum { LD = 4, LN = 4096 };

/* x0 ~ N(0, diag(1 .. LD)), x = alpha x0 + sigma xi. */
static void gauss_data(double alpha, double sigma, double *x0, double *x)
{
    test_normals(2000, (size_t)LN * LD, 1.0, x0);
    test_normals(2001, (size_t)LN * LD, sigma, x);
    for (int b = 0; b < LN; b++)
        for (int i = 0; i < LD; i++) {
            x0[b * LD + i] *= sqrt(i + 1.0);
            x[b * LD + i] += alpha * x0[b * LD + i];
        }
}

/* steps of theta -= lr grad; returns the last gradient's largest entry. */
static double descend(model *m, const double *x0, const double *x, int steps, double lr)
{
    double *out = malloc((size_t)LN * LD * sizeof *out),
           *gout = malloc((size_t)LN * LD * sizeof *gout);
    double *w = malloc(LN * sizeof *w), *g = malloc(m->np * sizeof *g), gmax = 0;
    for (int b = 0; b < LN; b++)
        w[b] = 1.0;
    for (int it = 0; it < steps; it++) {
        model_forward(m, LN, x, out);
        loss_eval(LN, LD, w, x0, out, gout);
        memset(g, 0, m->np * sizeof *g);
        model_backward(m, LN, x, gout, g);
        gmax = 0;
        for (size_t i = 0; i < m->np; i++) {
            m->theta[i] -= lr * g[i];
            gmax = fmax(gmax, fabs(g[i]));
        }
    }
    free(out), free(gout), free(w), free(g);
    return gmax;
}

/* The end-to-end map (W, or P P^T) near W*: the finite sample costs ~ 0.01 (1 SE). */
static void expect_optimal(const double *W, double alpha, double sigma)
{
    for (int i = 0; i < LD; i++)
        for (int j = 0; j < LD; j++) {
            double lam = i + 1.0, ws = alpha * lam / (alpha * alpha * lam + sigma * sigma);
            double want = i == j ? ws : 0.0;
            if (!(fabs(W[i * LD + j] - want) < 0.05))
                fail_msg("W[%d][%d] = %g, optimal %g", i, j, W[i * LD + j], want);
        }
}

static void test_linear_learns_optimal(void **st)
{
    (void)st;
    double alpha = 0.8, sigma = 0.6, *x0 = malloc((size_t)LN * LD * sizeof *x0),
           *x = malloc((size_t)LN * LD * sizeof *x);
    gauss_data(alpha, sigma, x0, x);
    model_spec s = {.family = MODEL_LINEAR, .d = LD, .bias = 1, .init2 = INIT2_ZERO};
    model m;
    model_init(&m, &s, 1, 0, LN);
    /* Hessian eigenvalues 2 (alpha^2 lambda + sigma^2) / d in [0.5, 1.46]: lr = 1 contracts
     * every mode by <= 0.5 per step; 200 steps reach the empirical optimum exactly. */
    assert_true(descend(&m, x0, x, 200, 1.0) < 1e-12);
    expect_optimal(m.theta, alpha, sigma);
    for (int i = 0; i < LD; i++)
        assert_true(fabs(m.theta[LD * LD + i]) < 0.05); /* zero mean: b* = 0 */
    model_free(&m);
    /* Symmetric, full rank: P P^T grows logistically to the same (positive) W*. */
    s = (model_spec){.family = MODEL_SYMLINEAR, .d = LD, .K = LD, .init2_scale = 0.3};
    model_init(&m, &s, 1, 0, LN);
    descend(&m, x0, x, 800, 0.15);
    double W[LD * LD] = {0};
    for (int k = 0; k < LD; k++)
        for (int i = 0; i < LD; i++)
            for (int j = 0; j < LD; j++)
                W[i * LD + j] += model_row(&m, k)[i] * model_row(&m, k)[j];
    expect_optimal(W, alpha, sigma);
    model_free(&m);
    free(x0), free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mlp_gradients),       cmocka_unit_test(test_linear_gradients),
        cmocka_unit_test(test_mlp_init_layout),     cmocka_unit_test(test_init_determinism),
        cmocka_unit_test(test_mlp_zero_last_layer), cmocka_unit_test(test_mlp_hidden_variance),
        cmocka_unit_test(test_linear_init),         cmocka_unit_test(test_linear_learns_optimal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
