/* Unit tests of scaling: Kaplan-Meier quantiles against the empirical quantile and a hand-worked
 * censored example, censoring bias on exponential data, bootstrap coverage and determinism, and
 * the power-law fit (exact recovery, unbiasedness and CI coverage under noise). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/scaling.h"
#include "core/rng.h"

#include <math.h>
#include <stdlib.h>

#define LAMBDA 2.0 /* rate of the synthetic exponential crossing times */
#define BUDGET 0.8 /* censoring budget: F(0.8) = 0.80, below the 90% quantile ln 10/2 = 1.15 */

/* n exponential crossing times of rate LAMBDA censored at `budget` (inf: none). */
static void exp_sample(uint32_t task, int n, double budget, double *t, int *ev)
{
    rng_stream s = rng_stream_make(21, task, RNG_TEST);
    rng_uniform(&s, 0, 0, (size_t)n, t);
    for (int i = 0; i < n; i++) {
        t[i] = -log(t[i]) / LAMBDA;
        ev[i] = t[i] <= budget;
        if (!ev[i]) t[i] = budget;
    }
}

/* The empirical quantile by brute force: the smallest t_j with (#t_i <= t_j)/n >= q. */
static double empirical_quantile(const double *t, int n, double q)
{
    double best = NAN;
    for (int j = 0; j < n; j++) {
        int c = 0;
        for (int i = 0; i < n; i++)
            c += t[i] <= t[j];
        if ((double)c / n >= q && !(t[j] >= best)) best = t[j];
    }
    return best;
}

static void test_km_no_censoring_is_empirical(void **st)
{
    (void)st;
    double t[10] = {5, 1, 4, 2, 3, 2, 7, 6, 9, 8}; /* sorted: 1 2 2 3 4 5 6 7 8 9 */
    int ev[10] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    assert_true(scaling_km_quantile(t, ev, 10, 0.1) == 1); /* 1/10 >= 0.1 exactly at q = k/n */
    assert_true(scaling_km_quantile(t, ev, 10, 0.11) == 2);
    assert_true(scaling_km_quantile(t, ev, 10, 0.3) == 2); /* the tie: #<=2 = 3 */
    assert_true(scaling_km_quantile(t, ev, 10, 0.5) == 4);
    assert_true(scaling_km_quantile(t, ev, 10, 0.51) == 5);
    assert_true(scaling_km_quantile(t, ev, 10, 0.99) == 9);
    /* A larger sample with many ties, at every q = j/n and at random q. */
    enum { N = 400 };
    double x[N], u[64];
    int e[N];
    exp_sample(1, N, INFINITY, x, e);
    for (int i = 0; i < N; i++)
        x[i] = round(x[i] * 20) / 20; /* ties */
    for (int j = 1; j < N; j++) {
        double q = (double)j / N;
        assert_true(scaling_km_quantile(x, e, N, q) == empirical_quantile(x, N, q));
    }
    rng_stream s = rng_stream_make(21, 2, RNG_TEST);
    rng_uniform(&s, 0, 0, 64, u);
    for (int j = 0; j < 64; j++)
        assert_true(scaling_km_quantile(x, e, N, u[j]) == empirical_quantile(x, N, u[j]));
}

/* Large n, q = j/n: the answer must be exactly the j-th order statistic. A plain running product
 * of the n factors drifts from j/n by ~n eps (6e-13 measured here, half the tolerance; it would
 * exceed it near n ~ 1e6); the telescoped form in scaling.c stays within one rounding. */
static void test_km_no_censoring_large_n(void **st)
{
    (void)st;
    enum { N = 200000 };
    double *t = malloc(N * sizeof *t);
    int *ev = malloc(N * sizeof *ev);
    for (int i = 0; i < N; i++) {
        t[i] = (double)((i * 7919L) % N); /* a permutation of 0 .. N-1 */
        ev[i] = 1;
    }
    for (int j = 1; j < N; j += 997)
        assert_true(scaling_km_quantile(t, ev, N, (double)j / N) == j - 1);
    free(t);
    free(ev);
}

/* Hand-worked product limit (+ event, * censored), n = 10, input shuffled:
 *   sorted 1+ 2+ 2* 3+ 3+ 3* 5* 6+ 8* 9+
 *   t=1: at risk 10, d=1        S = 9/10                 F = 0.1
 *   t=2: at risk 9 (2* counts), d=1  S = 0.9 * 8/9 = 0.8 F = 0.2
 *   t=3: at risk 7, d=2         S = 0.8 * 5/7 = 4/7      F = 3/7  = 0.428571
 *   t=5: censoring only (S unchanged), t=6: at risk 3, d=1
 *                               S = 4/7 * 2/3 = 8/21     F = 13/21 = 0.619048
 *   t=8: censoring only, t=9: at risk 1, d=1   S = 0         F = 1
 * Censorings before events at t=2 would give at risk 8, F(2) = 1 - 0.9 * 7/8 = 0.2125. */
static void test_km_hand_censored(void **st)
{
    (void)st;
    double t[10] = {3, 9, 2, 5, 1, 3, 8, 2, 6, 3};
    int ev[10] = {1, 1, 0, 0, 1, 0, 0, 1, 1, 1};
    assert_true(scaling_km_quantile(t, ev, 10, 0.1) == 1);
    assert_true(scaling_km_quantile(t, ev, 10, 0.2) == 2);
    assert_true(scaling_km_quantile(t, ev, 10, 0.21) == 3); /* events before censorings */
    assert_true(scaling_km_quantile(t, ev, 10, 3.0 / 7) == 3);
    assert_true(scaling_km_quantile(t, ev, 10, 0.43) == 6);
    assert_true(scaling_km_quantile(t, ev, 10, 13.0 / 21) == 6);
    assert_true(scaling_km_quantile(t, ev, 10, 0.62) == 9);
    assert_true(scaling_km_quantile(t, ev, 10, 0.99) == 9);
    /* NaN times are ignored. */
    double t2[12] = {3, 9, 2, 5, NAN, 1, 3, 8, 2, 6, 3, NAN};
    int ev2[12] = {1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 1, 0};
    assert_true(scaling_km_quantile(t2, ev2, 12, 0.43) == 6);
}

static void test_km_heavy_censoring(void **st)
{
    (void)st;
    double t[10] = {3, 9, 2, 5, 1, 3, 8, 2, 6, 3};
    int ev[10] = {1, 0, 0, 0, 1, 0, 0, 1, 1, 1};           /* the hand example with 9 censored */
    assert_true(scaling_km_quantile(t, ev, 10, 0.6) == 6); /* F(6) = 13/21 still reached */
    assert_true(isnan(scaling_km_quantile(t, ev, 10, 0.7)));
    int none[10] = {0};
    assert_true(isnan(scaling_km_quantile(t, none, 10, 0.1)));
    assert_true(isnan(scaling_km_quantile(t, ev, 0, 0.5)));
    assert_true(isnan(scaling_km_quantile(t, ev, 10, 0.0)));
    assert_true(isnan(scaling_km_quantile(t, ev, 10, 1.0)));
    double lo, hi;
    scaling_km_bootstrap(t, ev, 0, 0.5, 100, 1, 2, 0.95, &lo, &hi);
    assert_true(isnan(lo) && isnan(hi));
    scaling_km_bootstrap(t, none, 10, 0.5, 100, 1, 2, 0.95, &lo, &hi);
    assert_true(isinf(lo) && lo > 0 && isinf(hi)); /* no resample ever crosses */
}

/* Exponential times censored at a budget: KM recovers the median ln 2 / lambda, the median of
 * the crossed-only times (truncated at the budget) does not. */
static void test_km_exponential_censored(void **st)
{
    (void)st;
    enum { N = 20000 };
    double *t = malloc(N * sizeof *t), *tc = malloc(N * sizeof *tc);
    int *ev = malloc(N * sizeof *ev), *evc = malloc(N * sizeof *evc), nc = 0;
    exp_sample(3, N, BUDGET, t, ev);
    for (int i = 0; i < N; i++)
        if (ev[i]) tc[nc] = t[i], evc[nc++] = 1;
    assert_true(nc < 0.85 * N); /* about 20% censored */
    /* Asymptotic SE of a sample median, sqrt(q(1-q)/n)/f(m), f(m) = lambda/2: no censoring
     * falls before the median, so Greenwood's variance reduces to the binomial one. */
    double m = log(2.0) / LAMBDA, se = sqrt(0.25 / N) / (LAMBDA / 2);
    double km = scaling_km_quantile(t, ev, N, 0.5);
    assert_true(fabs(km - m) < 5 * se);
    /* Crossed-only median solves 1 - e^{-lambda x} = F(budget)/2: 0.2546, ~26 SE low. */
    double naive = scaling_km_quantile(tc, evc, nc, 0.5);
    double mt = -log(1 - 0.5 * (1 - exp(-LAMBDA * BUDGET))) / LAMBDA;
    assert_true(m - naive > 10 * se);
    assert_true(fabs(naive - mt) < 5 * se);
    /* The bootstrap spread agrees with the asymptotic SE (a 95% interval ~ 2 x 1.96 SE). */
    double lo, hi;
    scaling_km_bootstrap(t, ev, N, 0.5, 400, 7, 3, 0.95, &lo, &hi);
    assert_true(lo <= km && km <= hi);
    double ratio = (hi - lo) / (2 * 1.96 * se);
    assert_true(ratio > 0.7 && ratio < 1.4);
    free(t);
    free(tc);
    free(ev);
    free(evc);
}

/* 200 independent censored datasets: the 95% percentile interval covers ln 2 / lambda in about
 * 95% of them (binomial sd 1.5%; the bootstrap of a median is itself approximate). */
static void test_bootstrap_coverage(void **st)
{
    (void)st;
    enum { R = 200, N = 200 };
    double t[N], m = log(2.0) / LAMBDA;
    int ev[N], cover = 0;
    for (int r = 0; r < R; r++) {
        exp_sample(1000 + (uint32_t)r, N, BUDGET, t, ev);
        double lo, hi;
        scaling_km_bootstrap(t, ev, N, 0.5, 999, 5, (uint64_t)r, 0.95, &lo, &hi);
        cover += lo <= m && m <= hi;
    }
    double c = (double)cover / R;
    assert_true(c >= 0.88 && c <= 0.99);
}

static void test_bootstrap_deterministic(void **st)
{
    (void)st;
    enum { N = 300 };
    double t[N], lo1, hi1, lo2, hi2, lo3, hi3;
    int ev[N];
    exp_sample(4, N, BUDGET, t, ev);
    scaling_km_bootstrap(t, ev, N, 0.5, 500, 9, 42, 0.9, &lo1, &hi1);
    scaling_km_bootstrap(t, ev, N, 0.5, 500, 9, 42, 0.9, &lo2, &hi2);
    assert_true(lo1 == lo2 && hi1 == hi2);
    scaling_km_bootstrap(t, ev, N, 0.5, 500, 9, 43, 0.9, &lo3, &hi3);
    assert_true(lo3 != lo1 || hi3 != hi1); /* another key, other resamples */
    double km = scaling_km_quantile(t, ev, N, 0.5);
    assert_true(lo1 < km && km < hi1);
}

static const double fit_d[7] = {10, 20, 50, 100, 200, 500, 1000};

/* y = 3 d^1.5 (log d)^0.5 exactly: p = 0.5 recovers k and log C to rounding. */
static void test_fit_exact(void **st)
{
    (void)st;
    double y[7], res[7];
    for (int i = 0; i < 7; i++)
        y[i] = 3 * pow(fit_d[i], 1.5) * sqrt(log(fit_d[i]));
    scaling_fit f;
    scaling_fit_power(fit_d, y, NULL, 7, 0.5, 0.95, &f, res);
    assert_int_equal(f.n, 7);
    assert_true(fabs(f.k - 1.5) < 1e-12);
    assert_true(fabs(f.logC - log(3.0)) < 1e-12);
    assert_true(f.k_se < 1e-12 && f.k_lo <= f.k && f.k <= f.k_hi);
    for (int i = 0; i < 7; i++)
        assert_true(fabs(res[i]) < 1e-12);
    /* Two points: the exact line, no errors. */
    scaling_fit_power(fit_d, y, NULL, 2, 0.5, 0.95, &f, NULL);
    assert_int_equal(f.n, 2);
    assert_true(fabs(f.k - 1.5) < 1e-12 && isnan(f.k_se) && isnan(f.k_lo) && isnan(f.logC_se));
    scaling_fit_power(fit_d, y, NULL, 1, 0.5, 0.95, &f, NULL);
    assert_true(f.n == 1 && isnan(f.k));
}

/* Unusable points (y NaN, 0, < 0; w = 0; x = 1 with p != 0) are skipped with NaN residuals. */
static void test_fit_skips(void **st)
{
    (void)st;
    double x[12], y[12], w[12], res[12];
    for (int i = 0; i < 7; i++) {
        x[i] = fit_d[i];
        y[i] = 3 * pow(x[i], 1.5) * sqrt(log(x[i]));
        w[i] = 1 + i;
    }
    double bx[5] = {30, 40, 60, 70, 1}, by[5] = {NAN, 0, -1, 5, 1}, bw[5] = {1, 1, 1, 0, 1};
    for (int i = 0; i < 5; i++)
        x[7 + i] = bx[i], y[7 + i] = by[i], w[7 + i] = bw[i];
    scaling_fit f;
    scaling_fit_power(x, y, w, 12, 0.5, 0.95, &f, res);
    assert_int_equal(f.n, 7);
    assert_true(fabs(f.k - 1.5) < 1e-12 && fabs(f.logC - log(3.0)) < 1e-12);
    for (int i = 0; i < 12; i++)
        assert_true(i < 7 ? fabs(res[i]) < 1e-12 : isnan(res[i]));
    /* p = 0 needs no log log: x = 1 becomes usable, and without weights so does the w = 0 point. */
    scaling_fit_power(x, y, NULL, 12, 0.0, 0.95, &f, NULL);
    assert_int_equal(f.n, 9);
}

/* Replicates of y = 3 d^1.5 (log d)^0.5 e^{sigma_i z}: mean of k, CI coverage, k_se vs spread. */
static void fit_replicates(int weighted, int npts, double *mean_err_se, double *coverage,
                           double *se_ratio)
{
    enum { R = 300 };
    double x[64], y[64], w[64], sig[64], z[64], k[R], se = 0;
    int cover = 0;
    for (int i = 0; i < npts; i++) {
        x[i] = pow(10.0, 1 + 3.0 * i / (npts - 1)); /* d from 10 to 1e4 */
        sig[i] = weighted ? 0.05 * (1 + i % 4) : 0.1;
        w[i] = 1 / (sig[i] * sig[i]);
    }
    for (int r = 0; r < R; r++) {
        rng_stream s = rng_stream_make(33, (uint64_t)(weighted * 1000 + r), RNG_TEST);
        rng_normal(&s, 0, 0, (size_t)npts, z);
        for (int i = 0; i < npts; i++)
            y[i] = 3 * pow(x[i], 1.5) * sqrt(log(x[i])) * exp(sig[i] * z[i]);
        scaling_fit f;
        scaling_fit_power(x, y, weighted ? w : NULL, npts, 0.5, 0.95, &f, NULL);
        k[r] = f.k;
        se += f.k_se / R;
        cover += f.k_lo <= 1.5 && 1.5 <= f.k_hi;
    }
    double mean = 0, var = 0;
    for (int r = 0; r < R; r++)
        mean += k[r] / R;
    for (int r = 0; r < R; r++)
        var += (k[r] - mean) * (k[r] - mean) / (R - 1);
    *mean_err_se = fabs(mean - 1.5) / sqrt(var / R);
    *coverage = (double)cover / R;
    *se_ratio = se / sqrt(var);
}

/* Known variances (weights 1/sigma^2): Student t on n - 2 dof is slightly conservative against
 * the normal truth, 40 points give 96% nominal. The spread of 300 estimates is known to ~4%, so
 * the mean k_se must match it within 20%. */
static void test_fit_noise_weighted(void **st)
{
    (void)st;
    double err, cov, ratio;
    fit_replicates(1, 40, &err, &cov, &ratio);
    assert_true(err < 5);
    assert_true(cov >= 0.88 && cov <= 0.99);
    assert_true(ratio > 0.8 && ratio < 1.2);
}

/* Equal unknown variances (NULL weights): the t interval is exact; 8 points. */
static void test_fit_noise_unweighted(void **st)
{
    (void)st;
    double err, cov, ratio;
    fit_replicates(0, 8, &err, &cov, &ratio);
    assert_true(err < 5);
    assert_true(cov >= 0.88 && cov <= 0.99);
    assert_true(ratio > 0.8 && ratio < 1.2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_km_no_censoring_is_empirical),
        cmocka_unit_test(test_km_no_censoring_large_n),
        cmocka_unit_test(test_km_hand_censored),
        cmocka_unit_test(test_km_heavy_censoring),
        cmocka_unit_test(test_km_exponential_censored),
        cmocka_unit_test(test_bootstrap_coverage),
        cmocka_unit_test(test_bootstrap_deterministic),
        cmocka_unit_test(test_fit_exact),
        cmocka_unit_test(test_fit_skips),
        cmocka_unit_test(test_fit_noise_weighted),
        cmocka_unit_test(test_fit_noise_unweighted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
