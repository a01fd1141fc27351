/* Unit tests of projstat: exact moments on known data, Gaussian moments within 5 SE, and the
 * delta-method standard errors against the spread of independent batches. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/projstat.h"
#include "core/rng.h"

#include <math.h>
#include <stdlib.h>

static void fill_normals(uint32_t task, size_t n, double *out)
{
    rng_stream s = rng_stream_make(11, task, RNG_TEST);
    rng_normal(&s, 0, 0, n, out);
}

/* +-1 alternating: variance 1, excess kurtosis -2 exactly, skewness 0. */
static void test_exact_two_point(void **st)
{
    (void)st;
    projstat_acc a;
    double c = 0.3, s = 2.0; /* centre and scale must not change the answer */
    projstat_init(&a, 1, 4, 3.0, &c, &s, 0, 0);
    for (int i = 0; i < 1000; i++) {
        double h = 5.0 + (i % 2 ? 1.0 : -1.0);
        projstat_add(&a, &h);
    }
    projstat_moments m;
    projstat_result(&a, 0, &m);
    assert_true(fabs(m.mean - 5.0) < 1e-12);
    assert_true(fabs(m.variance - 1.0) < 1e-12);
    assert_true(fabs(m.excess_kurtosis + 2.0) < 1e-10);
    assert_true(fabs(m.skewness) < 1e-10);
    assert_true(m.excess_kurtosis_se < 1e-5); /* a two-point law has a deterministic m4/m2^2 */
    projstat_free(&a);
}

static void test_gaussian_moments_5se(void **st)
{
    (void)st;
    size_t n = 1000000;
    double *z = malloc(n * sizeof *z), c[2] = {0, 1}, s[2] = {1, 2};
    fill_normals(1, n, z);
    projstat_acc a;
    projstat_init(&a, 2, 40, 4.0, c, s, 0, 1);
    for (size_t i = 0; i < n; i++) {
        double h[2] = {z[i], 1.0 + 2.0 * z[i]};
        projstat_add(&a, h);
    }
    for (int j = 0; j < 2; j++) {
        projstat_moments m;
        projstat_result(&a, j, &m);
        double mu = j, var = j ? 4.0 : 1.0;
        assert_true(fabs(m.mean - mu) < 5 * m.mean_se);
        assert_true(fabs(m.variance - var) < 5 * m.variance_se);
        assert_true(fabs(m.excess_kurtosis) < 5 * m.excess_kurtosis_se);
        /* Gaussian SEs: sqrt(var/n), var sqrt(2/n), sqrt(24/n). */
        assert_true(fabs(m.variance_se / (var * sqrt(2.0 / n)) - 1) < 0.02);
        assert_true(fabs(m.excess_kurtosis_se / sqrt(24.0 / n) - 1) < 0.05);
    }
    assert_true(fabs(projstat_cross_cov(&a) - 2.0) < 5 * 2.0 * sqrt(2.0 / n));
    int64_t tot = a.outside[0];
    for (int b = 0; b < 40; b++)
        tot += a.hist[b];
    assert_int_equal(tot, (int64_t)n);
    /* P(|z| > 4) = 6.3e-5: the outside count is binomial around n p. */
    double p = erfc(4.0 / sqrt(2.0)), mean = n * p;
    assert_true(fabs((double)a.outside[0] - mean) < 5 * sqrt(mean));
    projstat_free(&a);
    free(z);
}

/* The kurtosis SE of a strongly non-Gaussian law must match the spread of batch estimates. */
static void test_kurtosis_se_matches_batches(void **st)
{
    (void)st;
    enum { NB = 60, N = 20000 };
    double *z = malloc(N * sizeof *z), k[NB], se = 0, c = 0, s = 1;
    for (int b = 0; b < NB; b++) {
        fill_normals(100 + (uint32_t)b, N, z);
        projstat_acc a;
        projstat_init(&a, 1, 10, 5.0, &c, &s, 0, 0);
        for (int i = 0; i < N; i++) {
            double h = z[i] * z[i] * (z[i] > 0 ? 1 : -1); /* heavy-tailed, symmetric */
            projstat_add(&a, &h);
        }
        projstat_moments m;
        projstat_result(&a, 0, &m);
        k[b] = m.excess_kurtosis;
        se += m.excess_kurtosis_se / NB;
        projstat_free(&a);
    }
    double mean = 0, var = 0;
    for (int b = 0; b < NB; b++)
        mean += k[b] / NB;
    for (int b = 0; b < NB; b++)
        var += (k[b] - mean) * (k[b] - mean) / (NB - 1);
    /* The sample std of NB estimates has relative error ~ 1/sqrt(2 NB) ~ 9%; 5 of those = 45%
     * is loose, but heavy tails bias the delta method: accept a factor within [0.55, 1.45]. */
    double ratio = sqrt(var) / se;
    assert_true(ratio > 0.55 && ratio < 1.45);
    free(z);
}

static void test_edges(void **st)
{
    (void)st;
    projstat_acc a;
    double c = 1.0, s = 2.0, e[5];
    projstat_init(&a, 1, 4, 3.0, &c, &s, 0, 0);
    projstat_edges(&a, 0, e);
    assert_true(fabs(e[0] + 5.0) < 1e-15 && fabs(e[2] - 1.0) < 1e-15 && fabs(e[4] - 7.0) < 1e-15);
    double h = 1.0; /* the centre falls in the upper middle bin (half-open bins) */
    projstat_add(&a, &h);
    assert_int_equal(a.hist[2], 1);
    projstat_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_two_point),
        cmocka_unit_test(test_gaussian_moments_5se),
        cmocka_unit_test(test_kurtosis_se_matches_batches),
        cmocka_unit_test(test_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
