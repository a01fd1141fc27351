/* Unit tests of the activation functions (shared/science/mcm-model.md §2.4, §3, §6.2):
 * values, derivatives against central finite differences, orthogonality of the Hermite
 * polynomials under N(0, 1), and the matched activations sigma*_u, sigma*_v of eq. (5).
 * Deterministic: no sampling. Gaussian expectations use the trapezoid rule on [-14, 14], exact
 * to rounding for polynomial-times-Gaussian integrands at step 0.01. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/act.h"

#include <math.h>
#include <stdio.h>

static const double SCALE = 1.7;

/* OU at t = 0.5 and an arbitrary VE pair, beta_u = 3, beta_v = 5. */
static const double SCHED[2][2] = {{0.60653065971263342, 0.7950600976206501}, {1.0, 0.7}};
static const double BU = 3.0, BV = 5.0;

typedef struct {
    act_kind kind;
    int k;
    int sched;
} act_case;

static act_fn make(const act_case *c, double scale)
{
    const double *s = SCHED[c->sched];
    return act_make(c->kind, scale, c->k, s[0], s[1], BU, BV);
}

/* Every kind, Hermite orders 0..8, matched forms at both schedules. */
static int all_cases(act_case *out)
{
    int n = 0;
    const act_kind plain[4] = {ACT_TANH, ACT_ERF, ACT_RELU, ACT_LINEAR};
    for (int i = 0; i < 4; i++)
        out[n++] = (act_case){plain[i], 0, 0};
    for (int k = 0; k <= 8; k++)
        out[n++] = (act_case){ACT_HERMITE, k, 0};
    for (int s = 0; s < 2; s++) {
        out[n++] = (act_case){ACT_MATCHED_U, 0, s};
        out[n++] = (act_case){ACT_MATCHED_V, 0, s};
    }
    return n;
}

/* Gaussian expectation E[f(g)], g ~ N(0, 1). */
static double gauss_mean(double (*f)(double, const void *), const void *ctx)
{
    const double hs = 0.01;
    double s = 0.0;
    for (int i = -1400; i <= 1400; i++) {
        double h = i * hs;
        s += hs * exp(-0.5 * h * h) / sqrt(2.0 * M_PI) * f(h, ctx);
    }
    return s;
}

/* ---------------------------------------------------------------- tests */

static void test_values(void **state)
{
    (void)state;
    act_fn t = act_make(ACT_TANH, SCALE, 0, 1, 0, 0, 0),
           e = act_make(ACT_ERF, SCALE, 0, 1, 0, 0, 0);
    act_fn r = act_make(ACT_RELU, SCALE, 0, 1, 0, 0, 0),
           l = act_make(ACT_LINEAR, SCALE, 0, 1, 0, 0, 0);
    for (double h = -4.0; h <= 4.0; h += 0.37) {
        assert_true(fabs(act_f(&t, h) - SCALE * tanh(h)) < 1e-15);
        assert_true(fabs(act_f(&e, h) - SCALE * erf(h)) < 1e-15);
        assert_true(act_f(&r, h) == (h > 0 ? SCALE * h : 0.0));
        assert_true(act_f(&l, h) == SCALE * h && act_df(&l, h) == SCALE);
        /* He_0..He_4 written out. */
        const double he[5] = {1.0, h, h * h - 1.0, h * h * h - 3.0 * h, pow(h, 4) - 6 * h * h + 3};
        for (int k = 0; k <= 4; k++) {
            act_fn a = act_make(ACT_HERMITE, SCALE, k, 1, 0, 0, 0);
            assert_true(fabs(act_f(&a, h) - SCALE * he[k]) < 1e-12 * (1.0 + fabs(he[k])));
        }
    }
}

/* Central differences, step 1e-5, on a grid of [-4, 4]; the ReLU kink at 0 is skipped. */
static void test_derivatives(void **state)
{
    (void)state;
    act_case cases[32];
    int n = all_cases(cases);
    const double e = 1e-5;
    double worst = 0.0;
    for (int c = 0; c < n; c++) {
        act_fn a = make(&cases[c], SCALE);
        for (int i = -400; i <= 400; i++) {
            double h = i * 0.01 + 0.003; /* off the grid of integers: no exact kink hit */
            if (cases[c].kind == ACT_RELU && fabs(h) < 2 * e) continue;
            double fd = (act_f(&a, h + e) - act_f(&a, h - e)) / (2 * e), df = act_df(&a, h);
            double err = fabs(fd - df) / (1.0 + fabs(df) + fabs(act_f(&a, h)));
            worst = fmax(worst, err);
            if (err >= 1e-7)
                printf("  kind %d k %d h %g: df %.12g fd %.12g\n", cases[c].kind, cases[c].k, h, df,
                       fd);
            assert_true(err < 1e-7);
        }
    }
    printf("  worst relative derivative error: %.2e\n", worst);
    /* ReLU at exactly 0: the convention sigma'(0) = 0 (subgradient), value 0. */
    act_fn r = act_make(ACT_RELU, 1.0, 0, 1, 0, 0, 0);
    assert_true(act_f(&r, 0.0) == 0.0 && act_df(&r, 0.0) == 0.0);
}

typedef struct {
    act_fn a, b;
} pair_ctx;

static double prod_fn(double h, const void *ctx)
{
    const pair_ctx *p = ctx;
    return act_f(&p->a, h) * act_f(&p->b, h);
}

/* E[He_j He_k] = k! delta_jk under N(0, 1): the basis of the mu_k, E_k of §6.2. */
static void test_hermite_orthogonality(void **state)
{
    (void)state;
    double fact = 1.0;
    for (int k = 0; k <= 8; k++) {
        if (k > 0) fact *= k;
        for (int j = 0; j <= k; j++) {
            pair_ctx p = {act_make(ACT_HERMITE, 1.0, j, 1, 0, 0, 0),
                          act_make(ACT_HERMITE, 1.0, k, 1, 0, 0, 0)};
            double m = gauss_mean(prod_fn, &p), target = j == k ? fact : 0.0;
            assert_true(fabs(m - target) < 1e-10 * fact);
        }
    }
    /* The quadrature on a non-polynomial integrand, by Stein's lemma: E[g tanh g] = E[tanh' g]. */
    pair_ctx st = {act_make(ACT_LINEAR, 1.0, 0, 1, 0, 0, 0),
                   act_make(ACT_TANH, 1.0, 0, 1, 0, 0, 0)};
    double lhs = gauss_mean(prod_fn, &st), rhs = 0.0;
    for (int i = -1400; i <= 1400; i++) {
        double h = i * 0.01;
        rhs += 0.01 * exp(-0.5 * h * h) / sqrt(2.0 * M_PI) * act_df(&st.b, h);
    }
    assert_true(fabs(lhs - rhs) < 1e-12);
}

/* sigma*_u(h) = gamma_u h with gamma_u = alpha beta_u sigma^2 / (1 + beta_u alpha^2), eq. (5);
 * the slope of E[u.x0 | u.x_t] is then alpha + gamma_u = alpha (1 + beta_u)/(1 + beta_u alpha^2).
 */
static void test_matched_u(void **state)
{
    (void)state;
    for (int s = 0; s < 2; s++) {
        double al = SCHED[s][0], sg = SCHED[s][1];
        double g = al * BU * sg * sg / (1.0 + BU * al * al);
        act_fn a = act_make(ACT_MATCHED_U, SCALE, 0, al, sg, BU, BV);
        for (double h = -4.0; h <= 4.0; h += 0.5) {
            assert_true(fabs(act_f(&a, h) - SCALE * g * h) < 1e-15 * (1 + fabs(h)));
            assert_true(fabs(act_df(&a, h) - SCALE * g) < 1e-15);
        }
        if (s == 0) /* VP identity of §2.4 */
            assert_true(fabs(al + g - al * (1 + BU) / (1 + BU * al * al)) < 1e-15);
    }
}

/* sigma*_v = f_v, odd, "tanh minus linear" with the constants of eq. (5). */
static void test_matched_v(void **state)
{
    (void)state;
    for (int s = 0; s < 2; s++) {
        double al = SCHED[s][0], sg = SCHED[s][1], b = sqrt(BV / (1.0 + BV)), at = al * b;
        double q = 1.0 - at * at, pre = b * sg * sg / q;
        act_fn a = act_make(ACT_MATCHED_V, SCALE, 0, al, sg, BU, BV);
        assert_true(act_f(&a, 0.0) == 0.0);
        for (double h = 0.05; h <= 4.0; h += 0.25) {
            double fv = pre * (tanh(at * h / q) - at * h);
            assert_true(fabs(act_f(&a, h) - SCALE * fv) < 1e-14);
            assert_true(act_f(&a, -h) == -act_f(&a, h));
            assert_true(act_df(&a, -h) == act_df(&a, h));
        }
        /* Slope at 0 and at infinity: pre (at / q - at) > 0 and -pre at. */
        assert_true(fabs(act_df(&a, 0.0) - SCALE * pre * (at / q - at)) < 1e-14);
        assert_true(fabs(act_df(&a, 40.0) + SCALE * pre * at) < 1e-14);
    }
}

/* act_eval is the elementwise act_f / act_df, df optional. */
static void test_eval(void **state)
{
    (void)state;
    act_case cases[32];
    int n = all_cases(cases);
    enum { NH = 33 };
    double h[NH], f[NH], df[NH], f2[NH];
    for (int i = 0; i < NH; i++)
        h[i] = -4.0 + 0.25 * i;
    for (int c = 0; c < n; c++) {
        act_fn a = make(&cases[c], SCALE);
        act_eval(&a, NH, h, f, df);
        act_eval(&a, NH, h, f2, NULL);
        for (int i = 0; i < NH; i++) {
            assert_true(f[i] == act_f(&a, h[i]) && df[i] == act_df(&a, h[i]));
            assert_true(f2[i] == f[i]);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_derivatives),
        cmocka_unit_test(test_hermite_orthogonality),
        cmocka_unit_test(test_matched_u),
        cmocka_unit_test(test_matched_v),
        cmocka_unit_test(test_eval),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
