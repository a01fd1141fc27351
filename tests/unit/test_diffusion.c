/* Unit tests of the noise schedules and the forward process (shared/science/mcm-model.md §2.1).
 * Forward-process statistics of MCM data (V6) are in test_mcm.c next to the other sampler
 * statistics. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/diffusion.h"
#include "core/rng.h"
#include "core/rngv.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double T_GRID[] = {0.0, 1e-12, 1e-8, 1e-3, 0.1, 0.25, 0.5, 1.0, 3.0, 10.0};
enum { NT = sizeof T_GRID / sizeof T_GRID[0] };

static int close_rel(double a, double b, double rel)
{
    return fabs(a - b) <= rel * fabs(b) || a == b;
}

/* VP property alpha^2 + sigma^2 = 1 to rounding. */
static void assert_vp(double alpha, double sigma)
{
    assert_true(fabs(alpha * alpha + sigma * sigma - 1.0) < 4e-16);
}

static void test_ou(void **state)
{
    (void)state;
    diff_schedule s = {.kind = DIFF_OU};
    for (int k = 0; k < NT; k++) {
        double t = T_GRID[k], a, sg;
        diff_coeffs(&s, t, &a, &sg);
        assert_true(a == exp(-t));
        assert_vp(a, sg);
        /* Small t: the series 2t - 2t^2 + 4t^3/3 checks sigma to full relative accuracy,
         * where sqrt(1 - exp(-2t)) would have lost the leading digits. */
        if (t > 0 && t < 1e-3) {
            assert_true(close_rel(sg, sqrt(2 * t - 2 * t * t + 4 * t * t * t / 3), 1e-14));
        } else {
            assert_true(close_rel(sg, sqrt(1 - exp(-2 * t)), 1e-13));
        }
    }
    double a, sg;
    diff_coeffs(&s, 0.5, &a, &sg);
    assert_true(close_rel(a, 0.60653065971263342, 1e-15));
    assert_true(close_rel(sg, 0.79506009762065010, 1e-15)); /* sqrt(1 - e^-1) */
}

static void test_ve(void **state)
{
    (void)state;
    diff_schedule s = {.kind = DIFF_VE};
    for (int k = 0; k < NT; k++) {
        double a, sg;
        diff_coeffs(&s, T_GRID[k], &a, &sg);
        assert_true(a == 1.0 && sg == T_GRID[k]);
    }
}

static void test_ddpm(void **state)
{
    (void)state;
    diff_schedule s = {.kind = DIFF_DDPM, .beta_min = 0.1, .beta_max = 20.0};
    double a, sg, prev = 2.0;
    diff_coeffs(&s, 1.0, &a, &sg);
    /* int_0^1 beta = beta_min + (beta_max - beta_min)/2, alpha = exp(-integral/2). */
    assert_true(close_rel(a, exp(-(0.1 + (20.0 - 0.1) / 2) / 2), 1e-15));
    assert_true(close_rel(sg, sqrt(1 - a * a), 1e-15));
    diff_coeffs(&s, 0.5, &a, &sg);
    assert_true(close_rel(a, exp(-0.5 * (0.05 + 0.125 * 19.9)), 1e-15));
    for (int k = 0; k < NT; k++) {
        double t = T_GRID[k];
        diff_coeffs(&s, t, &a, &sg);
        assert_vp(a, sg);
        assert_true(a <= prev); /* alpha decreases along the grid */
        prev = a;
        if (t > 0 && t < 1e-3)
            assert_true(close_rel(sg, sqrt(0.1 * t), 1e-3)); /* sigma^2 ~ int beta */
    }
    diff_coeffs(&s, 0.0, &a, &sg);
    assert_true(a == 1.0 && sg == 0.0);
}

/* xi is exactly the vector rngv_normal_at(RNG_DIFFUSE, index, d), one request, also when d spans
 * several internal chunks (odd d too). */
static void test_forward_noise_layout(void **state)
{
    (void)state;
    const size_t dims[3] = {1, 257, 1001};
    for (int k = 0; k < 3; k++) {
        size_t d = dims[k];
        double *x0 = calloc(d, sizeof(double)), *xt = malloc(d * sizeof(double));
        double *ref = malloc(d * sizeof(double));
        rng_stream s = rng_stream_make(7, 2, RNG_DIFFUSE);
        rngv_normal_at(&s, 99, d, ref);
        diff_forward(0.0, 1.0, 7, 2, 99, d, x0, xt);
        assert_memory_equal(xt, ref, d * sizeof(double));
        free(x0);
        free(xt);
        free(ref);
    }
}

static void test_forward_alias_determinism(void **state)
{
    (void)state;
    enum { D = 600 };
    double x0[D], xt[D], xin[D], xo[D];
    for (int i = 0; i < D; i++)
        x0[i] = xin[i] = sin(i + 1.0);
    diff_forward(0.6, 0.8, 1, 0, 5, D, x0, xt);
    diff_forward(0.6, 0.8, 1, 0, 5, D, xin, xin); /* in place */
    assert_memory_equal(xt, xin, sizeof xt);
    diff_forward(0.6, 0.8, 1, 0, 6, D, x0, xo); /* another index, another xi */
    int same = 0;
    for (int i = 0; i < D; i++)
        same += xo[i] == xt[i];
    assert_int_equal(same, 0);
    diff_forward(0.6, 0.8, 1, 1, 5, D, x0, xo); /* another task */
    same = 0;
    for (int i = 0; i < D; i++)
        same += xo[i] == xt[i];
    assert_int_equal(same, 0);
    /* The forward noise stream is not the MCM bulk stream of the same (seed, task, index). */
    double z[D];
    rng_stream b = rng_stream_make(1, 0, RNG_BULK);
    rngv_normal_at(&b, 5, D, z);
    diff_forward(0.0, 1.0, 1, 0, 5, D, x0, xo);
    assert_true(memcmp(z, xo, sizeof z) != 0);
}

/* x_t given x_0 is N(alpha x_0, sigma^2 I): residual mean 0, variance sigma^2; SE exact for a
 * Gaussian: sigma/sqrt(n) and sigma^2 sqrt(2/n). Tolerance 5 SE. */
static void test_forward_moments(void **state)
{
    (void)state;
    enum { D = 500, NS = 400 };
    const double a = 0.3, sg = 1.7;
    double x0[D], xt[D], s1 = 0.0, s2 = 0.0;
    for (int i = 0; i < D; i++)
        x0[i] = cos(0.1 * i);
    for (int k = 0; k < NS; k++) {
        diff_forward(a, sg, 11, 4, (uint64_t)k, D, x0, xt);
        for (int i = 0; i < D; i++) {
            double r = xt[i] - a * x0[i];
            s1 += r;
            s2 += r * r;
        }
    }
    double n = (double)D * NS, mean = s1 / n, var = s2 / n - mean * mean;
    printf("  residual mean % .5f (se %.5f), variance %.5f vs %.5f (se %.5f)\n", mean, sg / sqrt(n),
           var, sg * sg, sg * sg * sqrt(2 / n));
    assert_true(fabs(mean) < 5 * sg / sqrt(n));
    assert_true(fabs(var - sg * sg) < 5 * sg * sg * sqrt(2 / n));
}

/* DIFF_TIME_LOGNORMAL (gaussian.precond = edm): ln t of 20000 samples has mean ln_mean and
 * variance ln_std^2 within 5 SE; the same sample index gives the same time. */
static void test_time_lognormal(void **state)
{
    (void)state;
    diff_times ts = {.kind = DIFF_TIME_LOGNORMAL, .t = 1, .ln_mean = -1.2, .ln_std = 1.2};
    enum { N = 20000 };
    double s1 = 0, s2 = 0;
    for (uint64_t i = 0; i < N; i++) {
        double l = log(diff_time(&ts, 3, 5, i));
        s1 += l, s2 += l * l;
    }
    double m = s1 / N, v = s2 / N - m * m, sd2 = 1.2 * 1.2;
    assert_true(fabs(m + 1.2) < 5 * 1.2 / sqrt(N));
    assert_true(fabs(v - sd2) < 5 * sd2 * sqrt(2.0 / N));
    assert_true(diff_time(&ts, 3, 5, 17) == diff_time(&ts, 3, 5, 17));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ou),
        cmocka_unit_test(test_ve),
        cmocka_unit_test(test_ddpm),
        cmocka_unit_test(test_forward_noise_layout),
        cmocka_unit_test(test_forward_alias_determinism),
        cmocka_unit_test(test_forward_moments),
        cmocka_unit_test(test_time_lognormal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
