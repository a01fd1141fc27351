/* Unit tests of optim: schedules, the exact SGD / weight-decay factors on a quadratic, the
 * spherical step (norm, tangent projection, closed form, the renormalisation contraction of
 * mcm-model.md §6.4) and Adam (bias correction, a reference trajectory, sphere rows). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/optim.h"
#include "core/rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* |a - b| <= tol with both values printed on failure. */
#define CLOSE(a, b, tol)                                                                           \
    do {                                                                                           \
        double ca_ = (a), cb_ = (b);                                                               \
        if (!(fabs(ca_ - cb_) <= (tol)))                                                           \
            fail_msg("%s = %.17g, expected %.17g (tol %g)", #a, ca_, cb_, (double)(tol));          \
    } while (0)

static optim_spec spec_make(optim_kind kind, double lr)
{
    optim_spec s = {.kind = kind, .lr = lr, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8};
    s.schedule = LR_CONSTANT;
    return s;
}

static double dot(const double *a, const double *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

static void normalise(double *a, size_t n)
{
    double r = 1.0 / sqrt(dot(a, a, n));
    for (size_t i = 0; i < n; i++)
        a[i] *= r;
}

/* a -= (a.e) e for a unit vector e. */
static void project_out(double *a, const double *e, size_t n)
{
    double c = dot(a, e, n);
    for (size_t i = 0; i < n; i++)
        a[i] -= c * e[i];
}

static rng_stream g_rng;
static uint64_t g_draw; /* each call draws at a fresh counter step */

static void randn(double *out, size_t n)
{
    rng_normal(&g_rng, g_draw++, 0, n, out);
}

/* --- schedules ------------------------------------------------------------------------------ */

static void test_lr_constant(void **st)
{
    (void)st;
    optim_spec s = spec_make(OPT_SGD, 0.3);
    assert_true(optim_lr(&s, 0) == 0.3 && optim_lr(&s, 1) == 0.3 && optim_lr(&s, 1000000) == 0.3);
}

static void test_lr_step(void **st)
{
    (void)st;
    optim_spec s = spec_make(OPT_SGD, 0.8);
    s.schedule = LR_STEP;
    s.step_every = 10;
    s.step_factor = 0.5;
    CLOSE(optim_lr(&s, 0), 0.8, 0);
    CLOSE(optim_lr(&s, 9), 0.8, 0); /* last step before the boundary */
    CLOSE(optim_lr(&s, 10), 0.4, 0);
    CLOSE(optim_lr(&s, 19), 0.4, 0);
    CLOSE(optim_lr(&s, 20), 0.2, 0);
    CLOSE(optim_lr(&s, 35), 0.1, 0);
}

static void test_lr_cosine(void **st)
{
    (void)st;
    optim_spec s = spec_make(OPT_SGD, 0.6);
    s.schedule = LR_COSINE;
    s.total_steps = 100;
    CLOSE(optim_lr(&s, 0), 0.6, 1e-16);
    CLOSE(optim_lr(&s, 25), 0.3 * (1 + sqrt(0.5)), 1e-15);
    CLOSE(optim_lr(&s, 50), 0.3, 1e-15);
    CLOSE(optim_lr(&s, 100), 0.0, 1e-16);
    CLOSE(optim_lr(&s, 150), 0.0, 1e-16); /* beyond total: stays at the end value */
    CLOSE(optim_lr(&s, 1000000000L), 0.0, 1e-16);
}

/* --- SGD ------------------------------------------------------------------------------------ */

/* f = 1/2 sum lambda_i theta_i^2: theta_i(n) = (1 - eta lambda_i)^n theta_i(0) exactly. */
static void test_sgd_quadratic_geometric(void **st)
{
    (void)st;
    enum { NP = 4, NSTEP = 60 };
    const double lam[NP] = {0.5, 1.0, 2.0, 3.7}, th0[NP] = {1.0, -2.0, 0.5, 3.0}, eta = 0.1;
    optim_spec s = spec_make(OPT_SGD, eta);
    optim a, b;
    optim_init(&a, &s, NP);
    optim_init(&b, &s, NP);
    assert_null(a.m1);
    assert_null(a.m2);
    double th[NP], tb[NP], g[NP];
    memcpy(th, th0, sizeof th);
    memcpy(tb, th0, sizeof tb);
    optim_sphere none = {.n = 0};
    for (int k = 0; k < NSTEP; k++) {
        for (int i = 0; i < NP; i++)
            g[i] = lam[i] * th[i];
        optim_step(&a, th, g, NULL);
        optim_step(&b, tb, g, &none); /* n = 0 rows is the same as no sphere at all */
    }
    for (int i = 0; i < NP; i++) {
        double ref = th0[i] * pow(1 - eta * lam[i], NSTEP);
        CLOSE(th[i], ref, 1e-12 * fabs(ref));
        CLOSE(tb[i], th[i], 0);
    }
    assert_int_equal(a.t, NSTEP);
    optim_free(&a);
    optim_free(&b);
}

/* Decoupled decay: theta <- (1 - eta wd) theta - eta g on plain entries, none on sphere rows. */
static void test_sgd_weight_decay(void **st)
{
    (void)st;
    enum { NP = 6, NSTEP = 30 };
    const double eta = 0.1, wd = 0.5, th0[NP] = {1, -2, 0.6, 0.8, 3, -0.25};
    optim_spec s = spec_make(OPT_SGD, eta);
    s.weight_decay = wd;
    optim_sphere sph = {.n = 1, .off = 2, .stride = 2, .len = 2}; /* entries 2, 3 */
    optim o;
    optim_init(&o, &s, NP);
    double th[NP], zero[NP] = {0};
    memcpy(th, th0, sizeof th);
    for (int k = 0; k < NSTEP; k++)
        optim_step(&o, th, zero, &sph);
    for (int i = 0; i < NP; i++) {
        double ref = (i == 2 || i == 3) ? th0[i] : th0[i] * pow(1 - eta * wd, NSTEP);
        CLOSE(th[i], ref, 1e-13 * fabs(ref));
    }
    /* With a gradient: the decay acts on the old theta (applied before the gradient step). */
    const double g[NP] = {0.5, 1.5, -1, 2, 0.25, 4};
    memcpy(th, th0, sizeof th);
    optim_step(&o, th, g, &sph);
    for (int i = 0; i < NP; i++) {
        double dec = (i == 2 || i == 3) ? 1 : 1 - eta * wd;
        CLOSE(th[i], dec * th0[i] - eta * g[i], 1e-15);
    }
    optim_free(&o);
}

/* The step uses eta of the step count before the update: with a halving every step and a unit
 * gradient theta walks -eta (1 + 1/2 + ... ), and t counts the calls. */
static void test_step_schedule_and_counter(void **st)
{
    (void)st;
    optim_spec s = spec_make(OPT_SGD, 0.25);
    s.schedule = LR_STEP;
    s.step_every = 1;
    s.step_factor = 0.5;
    optim o;
    optim_init(&o, &s, 1);
    assert_int_equal(o.t, 0);
    double th = 0, g = 1;
    for (int k = 1; k <= 8; k++) {
        optim_step(&o, &th, &g, NULL);
        assert_int_equal(o.t, k);
        CLOSE(th, -0.25 * (2 - pow(2, 1 - k)), 1e-16);
    }
    optim_free(&o);
}

/* --- spherical SGD -------------------------------------------------------------------------- */

/* Three rows of 20 with gaps of 5, 3 leading and 4 trailing plain entries: rows stay on the unit
 * sphere over many large steps and every plain entry takes exactly the SGD + decay step. */
static void test_spherical_norm_and_plain(void **st)
{
    (void)st;
    enum { K = 3, D = 20, STRIDE = 25, OFF = 3, NP = OFF + (K - 1) * STRIDE + D + 4 };
    const double eta = 0.3, wd = 0.2;
    optim_spec s = spec_make(OPT_SPHERICAL, eta);
    s.weight_decay = wd;
    optim_sphere sph = {.n = K, .off = OFF, .stride = STRIDE, .len = D};
    optim o;
    optim_init(&o, &s, NP);
    double th[NP], old[NP], g[NP];
    randn(th, NP);
    for (int k = 0; k < K; k++)
        normalise(th + OFF + k * STRIDE, D);
    for (int step = 0; step < 500; step++) {
        randn(g, NP);
        memcpy(old, th, sizeof th);
        optim_step(&o, th, g, &sph);
        for (size_t i = 0; i < NP; i++) {
            size_t r = i < OFF ? 0 : (i - OFF) % STRIDE;
            int in_row = i >= OFF && (i - OFF) / STRIDE < K && r < D;
            if (!in_row)
                CLOSE(th[i], (1 - eta * wd) * old[i] - eta * g[i], 1e-15 * (1 + fabs(old[i])));
        }
        for (int k = 0; k < K; k++) {
            const double *w = th + OFF + k * STRIDE;
            CLOSE(sqrt(dot(w, w, D)), 1.0, 1e-14);
        }
    }
    optim_free(&o);
}

/* A gradient parallel to w has no tangent part: w does not move. */
static void test_spherical_parallel_grad(void **st)
{
    (void)st;
    enum { D = 30 };
    optim_spec s = spec_make(OPT_SPHERICAL, 0.7);
    optim_sphere sph = {.n = 1, .off = 0, .stride = D, .len = D};
    optim o;
    optim_init(&o, &s, D);
    double w[D], w0[D], g[D];
    randn(w, D);
    normalise(w, D);
    memcpy(w0, w, sizeof w);
    for (int i = 0; i < D; i++)
        g[i] = -3.7 * w[i];
    optim_step(&o, w, g, &sph);
    for (int i = 0; i < D; i++)
        CLOSE(w[i], w0[i], 1e-15);
    optim_free(&o);
}

/* The step equals (w - eta g_perp) / sqrt(1 + eta^2 |g_perp|^2), g_perp = (I - w w^T) g, whether
 * the optimiser is given g or g_perp. */
static void test_spherical_closed_form(void **st)
{
    (void)st;
    enum { D = 25 };
    const double eta = 0.4;
    optim_spec s = spec_make(OPT_SPHERICAL, eta);
    optim_sphere sph = {.n = 1, .off = 0, .stride = D, .len = D};
    optim o;
    optim_init(&o, &s, D);
    double w0[D], g[D], gp[D], ref[D], w[D];
    randn(w0, D);
    normalise(w0, D);
    randn(g, D);
    for (int i = 0; i < D; i++)
        g[i] += 2.0 * w0[i]; /* a sizeable radial part that must be projected out */
    memcpy(gp, g, sizeof g);
    project_out(gp, w0, D);
    double den = sqrt(1 + eta * eta * dot(gp, gp, D));
    for (int i = 0; i < D; i++)
        ref[i] = (w0[i] - eta * gp[i]) / den;
    const double *grads[2] = {g, gp};
    for (int j = 0; j < 2; j++) {
        memcpy(w, w0, sizeof w);
        optim_step(&o, w, grads[j], &sph);
        for (int i = 0; i < D; i++)
            CLOSE(w[i], ref[i], 1e-15);
    }
    optim_free(&o);
}

/* g of norm G, orthogonal to w (the whole gradient is tangent). */
static void tangent_grad(const double *w, const double *u, double G, double *g, size_t d)
{
    randn(g, d);
    project_out(g, w, d);
    if (u) { /* also orthogonal to u: build an orthonormal basis of span{w, u} first */
        double e[64];
        assert_true(d <= 64);
        memcpy(e, u, d * sizeof *e);
        project_out(e, w, d);
        normalise(e, d);
        project_out(g, e, d);
    }
    normalise(g, d);
    double sign = 0;
    rng_uniform(&g_rng, g_draw++, 0, 1, &sign);
    sign = sign < 0.5 ? -G : G;
    for (size_t i = 0; i < d; i++)
        g[i] *= sign;
}

/* §6.4: |w - eta g|^2 = 1 + eta^2 G^2, so with g orthogonal to both w and a fixed unit u the
 * overlap m = w.u shrinks by exactly (1 + eta^2 G^2)^(-1/2) per step, whatever the signs. */
static void test_spherical_contraction_exact(void **st)
{
    (void)st;
    enum { D = 40, NSTEP = 200 };
    const double eta = 0.05, G = 2.0;
    optim_spec s = spec_make(OPT_SPHERICAL, eta);
    optim_sphere sph = {.n = 1, .off = 0, .stride = D, .len = D};
    optim o;
    optim_init(&o, &s, D);
    double w[D], u[D], g[D];
    randn(w, D);
    normalise(w, D);
    randn(u, D);
    for (int i = 0; i < D; i++)
        u[i] += 3 * w[i]; /* a large overlap, so a relative comparison is meaningful */
    normalise(u, D);
    double m0 = dot(w, u, D);
    for (int k = 0; k < NSTEP; k++) {
        tangent_grad(w, u, G, g, D);
        optim_step(&o, w, g, &sph);
    }
    double ref = m0 * pow(1 + eta * eta * G * G, -0.5 * NSTEP);
    CLOSE(dot(w, u, D), ref, 1e-12 * fabs(ref));
    optim_free(&o);
}

/* The same contraction on average when g (tangent, norm G, random direction and sign) is not
 * orthogonal to u: E[m_n] = m_0 (1 + eta^2 G^2)^(-n/2) exactly, checked over walkers to 5 SE. */
static void test_spherical_contraction_average(void **st)
{
    (void)st;
    enum { D = 20, NSTEP = 20, WALKERS = 2000 };
    const double eta = 0.15, G = 2.0, m0 = 0.6;
    optim_spec s = spec_make(OPT_SPHERICAL, eta);
    optim_sphere sph = {.n = 1, .off = 0, .stride = D, .len = D};
    double u[D] = {1}, w[D], g[D], sum = 0, sum2 = 0;
    for (int r = 0; r < WALKERS; r++) {
        optim o;
        optim_init(&o, &s, D);
        memset(w, 0, sizeof w);
        w[0] = m0, w[1] = sqrt(1 - m0 * m0);
        for (int k = 0; k < NSTEP; k++) {
            tangent_grad(w, NULL, G, g, D);
            optim_step(&o, w, g, &sph);
        }
        double m = dot(w, u, D);
        sum += m, sum2 += m * m;
        optim_free(&o);
    }
    double mean = sum / WALKERS, se = sqrt((sum2 / WALKERS - mean * mean) / (WALKERS - 1));
    double ref = m0 * pow(1 + eta * eta * G * G, -0.5 * NSTEP); /* 0.6 / 1.09^10 = 0.253 */
    assert_true(se < 0.02);
    CLOSE(mean, ref, 5 * se);
}

/* --- Adam ----------------------------------------------------------------------------------- */

/* Bias correction makes the first step -eta g / (|g| + eps): exactly -eta sign(g) with eps = 0. */
static void test_adam_first_step(void **st)
{
    (void)st;
    enum { NP = 5 };
    const double eta = 1e-3, g[NP] = {0.3, -2.0, 1e-3, -7e2, 5.0}, th0[NP] = {1, 2, 3, 4, 5};
    double epss[2] = {0, 1e-8};
    for (int j = 0; j < 2; j++) {
        optim_spec s = spec_make(OPT_ADAM, eta);
        s.eps = epss[j];
        optim o;
        optim_init(&o, &s, NP);
        assert_non_null(o.m1);
        assert_non_null(o.m2);
        double th[NP];
        memcpy(th, th0, sizeof th);
        optim_step(&o, th, g, NULL);
        for (int i = 0; i < NP; i++) {
            double step = th[i] - th0[i], sgn = g[i] > 0 ? 1 : -1;
            CLOSE(step, -eta * sgn, eta * epss[j] / fabs(g[i]) + 1e-15);
        }
        assert_int_equal(o.t, 1);
        optim_free(&o);
    }
}

/* f = 1/2 lambda theta^2 with decay and a cosine schedule, against Adam written out here. */
static void test_adam_reference_trajectory(void **st)
{
    (void)st;
    const double lam = 2.0, eta = 0.05, wd = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8;
    optim_spec s = spec_make(OPT_ADAM, eta);
    s.weight_decay = wd;
    s.schedule = LR_COSINE;
    s.total_steps = 80;
    optim o;
    optim_init(&o, &s, 1);
    double th = 1.5, x = 1.5, m = 0, v = 0;
    for (int t = 1; t <= 50; t++) {
        double g = lam * th;
        optim_step(&o, &th, &g, NULL);
        double lr = eta * (1 + cos(M_PI * (t - 1) / 80.0)) / 2, gx = lam * x;
        m = b1 * m + (1 - b1) * gx;
        v = b2 * v + (1 - b2) * gx * gx;
        double mh = m / (1 - pow(b1, t)), vh = v / (1 - pow(b2, t));
        x = x - lr * wd * x - lr * mh / (sqrt(vh) + eps);
        CLOSE(th, x, 1e-12);
    }
    optim_free(&o);
}

/* Sphere rows take the undecayed Adam step and are renormalised; plain entries decay. */
static void test_adam_sphere_rows(void **st)
{
    (void)st;
    enum { K = 2, D = 8, OFF = 2, STRIDE = 10, NP = OFF + STRIDE + D + 3 };
    const double eta = 0.05, wd = 0.1, b1 = 0.9, b2 = 0.999, eps = 1e-8;
    optim_spec s = spec_make(OPT_ADAM, eta);
    s.weight_decay = wd;
    optim_sphere sph = {.n = K, .off = OFF, .stride = STRIDE, .len = D};
    optim o;
    optim_init(&o, &s, NP);
    double th[NP], ref[NP], g[NP], m[NP] = {0}, v[NP] = {0};
    randn(th, NP);
    for (int k = 0; k < K; k++)
        normalise(th + OFF + k * STRIDE, D);
    memcpy(ref, th, sizeof th);
    for (int t = 1; t <= 10; t++) {
        randn(g, NP);
        optim_step(&o, th, g, &sph);
        for (int i = 0; i < NP; i++) {
            int in_row = i >= OFF && (i - OFF) / STRIDE < K && (i - OFF) % STRIDE < D;
            m[i] = b1 * m[i] + (1 - b1) * g[i];
            v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
            double mh = m[i] / (1 - pow(b1, t)), vh = v[i] / (1 - pow(b2, t));
            ref[i] = (in_row ? 1 : 1 - eta * wd) * ref[i] - eta * mh / (sqrt(vh) + eps);
        }
        for (int k = 0; k < K; k++)
            normalise(ref + OFF + k * STRIDE, D);
        for (int i = 0; i < NP; i++)
            CLOSE(th[i], ref[i], 1e-13);
        for (int k = 0; k < K; k++)
            CLOSE(sqrt(dot(th + OFF + k * STRIDE, th + OFF + k * STRIDE, D)), 1.0, 1e-14);
    }
    optim_free(&o);
}

static void test_init_free(void **st)
{
    (void)st;
    optim_spec s = spec_make(OPT_SPHERICAL, 0.1);
    optim o;
    optim_init(&o, &s, 7);
    assert_null(o.m1);
    assert_null(o.m2);
    assert_int_equal(o.t, 0);
    assert_int_equal(o.np, 7);
    optim_free(&o);
    s.kind = OPT_ADAM;
    optim_init(&o, &s, 7);
    for (int i = 0; i < 7; i++)
        assert_true(o.m1[i] == 0 && o.m2[i] == 0);
    optim_free(&o);
    assert_null(o.m1);
    assert_null(o.m2);
}

int main(void)
{
    g_rng = rng_stream_make(5, 0, RNG_TEST);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lr_constant),
        cmocka_unit_test(test_lr_step),
        cmocka_unit_test(test_lr_cosine),
        cmocka_unit_test(test_sgd_quadratic_geometric),
        cmocka_unit_test(test_sgd_weight_decay),
        cmocka_unit_test(test_step_schedule_and_counter),
        cmocka_unit_test(test_spherical_norm_and_plain),
        cmocka_unit_test(test_spherical_parallel_grad),
        cmocka_unit_test(test_spherical_closed_form),
        cmocka_unit_test(test_spherical_contraction_exact),
        cmocka_unit_test(test_spherical_contraction_average),
        cmocka_unit_test(test_adam_first_step),
        cmocka_unit_test(test_adam_reference_trajectory),
        cmocka_unit_test(test_adam_sphere_rows),
        cmocka_unit_test(test_init_free),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
