/* Unit tests of mcm_moments: the exact projection moments of x0 and x_t along m, u, v, r and
 * Cov(u.x, v.x) against closed forms written here from mcm-model.md §1.4, §1.5, §2.2 (tolerance
 * 1e-12) and against Monte Carlo from the sampler and the forward process (5 standard errors by
 * batch means, as in test_mcm), for independent and correlated latents; the applicability rule
 * (0 exactly where `mcmsim stats` publishes NaN), with sampler evidence that the forms fail there;
 * and deliberately wrong variants, which the same Monte Carlo check must reject. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/diffusion.h"
#include "core/mcm.h"
#include "core/mcm_moments.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { D = 8, N = 100000, NB = 40, ND = MCM_MOM_NDIR };
static const uint32_t SEED = 424242u, TASK = 5u;
#define TOL 1e-12

static mcm_params params(mcm_coupling cp, mcm_whitening wh)
{
    mcm_params p = {.d = D,
                    .beta_m = 2.0,
                    .beta_u = 3.0,
                    .beta_v = 5.0,
                    .nu_law = MCM_NU_RADEMACHER,
                    .skew_q = 0.3,
                    .coupling = cp,
                    .whitening = wh,
                    .spikes = MCM_SPIKES_QR,
                    .mixture = MCM_MIX_NONE,
                    .mean_term = MCM_MEAN_PLAIN};
    return p;
}

/* OU at t = 0.5 (the stats command's default time). */
static void ou(double *al, double *sg)
{
    diff_schedule s = {.kind = DIFF_OU};
    diff_coeffs(&s, 0.5, al, sg);
}

/* ---------------------------------------------------------------- Monte Carlo */

typedef struct {
    double *h[ND]; /* h[j][i] = w_j . x of sample i */
} proj;

/* N samples of x_t = al x0 + sg xi (x0 itself for al = 1, sg = 0), projected on m, u, v, r. */
static proj project(const mcm_params *p, double al, double sg)
{
    mcm_model mod;
    mcm_init(&mod, p, SEED, TASK);
    double r[D], x[D];
    mcm_probe(&mod, SEED, TASK, r);
    const double *dir[ND] = {mod.m, mod.u, mod.v, r};
    proj s;
    for (int j = 0; j < ND; j++)
        s.h[j] = malloc(N * sizeof(double));
    for (size_t i = 0; i < N; i++) {
        mcm_sample(&mod, SEED, TASK, i, x, NULL, NULL, NULL);
        if (sg > 0) diff_forward(al, sg, SEED, TASK, i, D, x, x);
        for (int j = 0; j < ND; j++)
            s.h[j][i] = mcm_dot(dir[j], x, D);
    }
    mcm_free(&mod);
    return s;
}

static void proj_free(proj *s)
{
    for (int j = 0; j < ND; j++)
        free(s->h[j]);
}

enum { ST_MEAN, ST_VAR, ST_KURT, ST_COV, NST };

/* Statistic k of a[0..n) (and b for the covariance). */
static double stat(int k, const double *a, const double *b, size_t n)
{
    double ma = 0, mb = 0, s2 = 0, s4 = 0, sab = 0;
    for (size_t i = 0; i < n; i++)
        ma += a[i], mb += b[i];
    ma /= (double)n, mb /= (double)n;
    if (k == ST_MEAN) return ma;
    for (size_t i = 0; i < n; i++) {
        double x = a[i] - ma, x2 = x * x;
        s2 += x2, s4 += x2 * x2, sab += x * (b[i] - mb);
    }
    s2 /= (double)n, s4 /= (double)n;
    return k == ST_VAR ? s2 : k == ST_KURT ? s4 / (s2 * s2) - 3.0 : sab / (double)n;
}

/* 1 if statistic k of (a, b) lies within 5 batch-means SE of target (printed either way). */
static int within_5se(const char *what, int k, const double *a, const double *b, double target)
{
    size_t nb = N / NB;
    double est = stat(k, a, b, N), s1 = 0, s2 = 0;
    for (int q = 0; q < NB; q++) {
        double e = stat(k, a + q * nb, b + q * nb, nb);
        s1 += e, s2 += e * e;
    }
    double se = sqrt((s2 - s1 * s1 / NB) / (NB - 1) / NB), tol = 5 * se + 1e-12;
    int ok = fabs(est - target) <= tol;
    printf("  %-12s est % .5f  exact % .5f  se %.5f%s\n", what, est, target, se, ok ? "" : "  <-");
    return ok;
}

/* Failures of the moments mo against the sample s (every direction, mean, variance, excess
 * kurtosis, and Cov(u, v)). */
static int mc_failures(const proj *s, const mcm_moments *mo)
{
    static const char *dn[ND] = {"m", "u", "v", "r"};
    char w[32];
    int bad = 0;
    for (int j = 0; j < ND; j++) {
        snprintf(w, sizeof w, "mean %s", dn[j]);
        bad += !within_5se(w, ST_MEAN, s->h[j], s->h[j], mo->mean[j]);
        snprintf(w, sizeof w, "var %s", dn[j]);
        bad += !within_5se(w, ST_VAR, s->h[j], s->h[j], mo->variance[j]);
        snprintf(w, sizeof w, "kurt %s", dn[j]);
        bad += !within_5se(w, ST_KURT, s->h[j], s->h[j], mo->excess_kurtosis[j]);
    }
    bad += !within_5se("cov u v", ST_COV, s->h[MCM_MOM_U], s->h[MCM_MOM_V], mo->cov_uv);
    return bad;
}

/* x0 and x_t of p against mcm_moments_compute; returns the number of failures. */
static int mc_check(const char *name, const mcm_params *p)
{
    double al[2] = {1.0, 0.0}, sg[2] = {0.0, 0.0};
    ou(&al[1], &sg[1]);
    int bad = 0;
    for (int ti = 0; ti < 2; ti++) {
        mcm_moments mo;
        mcm_moments_compute(p, al[ti], sg[ti], &mo);
        printf(" %s, %s:\n", name, ti ? "x_t (OU, t = 0.5)" : "x0");
        proj s = project(p, al[ti], sg[ti]);
        bad += mc_failures(&s, &mo);
        proj_free(&s);
    }
    return bad;
}

/* ---------------------------------------------------------------- tests */

static void assert_close(double x, double y)
{
    if (!(fabs(x - y) <= TOL * fmax(1.0, fabs(y)))) fail_msg("%.17g vs %.17g", x, y);
}

/* Independent latents: mean al beta_m along m, variances al^2 + sg^2 except
 * al^2 (1 + beta_u) + sg^2 along u, excess kurtosis al^4 b^4 kappa4(nu) / (al^2 + sg^2)^2 along v,
 * no covariance. Sign coupling: Cov(u.x, v.x) = al^2 sqrt(beta_u) b sqrt(2/pi). */
static void test_closed_forms(void **st)
{
    (void)st;
    double al[3] = {1.0, 0.0, 0.3}, sg[3] = {0.0, 0.0, 2.0}; /* x0, OU (VP) and a VE-like pair */
    ou(&al[1], &sg[1]);
    for (int k = 0; k < 3; k++) {
        mcm_params p = params(MCM_COUPLE_INDEPENDENT, MCM_WHITEN_SPIKE);
        double b2 = p.beta_v / (1 + p.beta_v), v = al[k] * al[k] + sg[k] * sg[k];
        mcm_moments mo;
        assert_int_equal(mcm_moments_compute(&p, al[k], sg[k], &mo), 1);
        for (int j = 0; j < ND; j++) {
            assert_close(mo.mean[j], j == MCM_MOM_M ? al[k] * p.beta_m : 0.0);
            assert_close(mo.variance[j], v + (j == MCM_MOM_U ? al[k] * al[k] * p.beta_u : 0.0));
            double k4 = -2.0 * b2 * b2 * pow(al[k], 4) / (v * v);
            assert_close(mo.excess_kurtosis[j], j == MCM_MOM_V ? k4 : 0.0);
        }
        assert_close(mo.cov_uv, 0.0);
        /* FULL whitening of independent latents is the spike whitening (same A). */
        mcm_moments full;
        p.whitening = MCM_WHITEN_FULL;
        assert_int_equal(mcm_moments_compute(&p, al[k], sg[k], &full), 1);
        for (int j = 0; j < ND; j++) {
            assert_close(full.variance[j], mo.variance[j]);
            assert_close(full.excess_kurtosis[j], mo.excess_kurtosis[j]);
        }
        p.whitening = MCM_WHITEN_SPIKE;
        p.coupling = MCM_COUPLE_SIGN;
        assert_int_equal(mcm_moments_compute(&p, al[k], sg[k], &mo), 1);
        assert_close(mo.cov_uv, al[k] * al[k] * sqrt(p.beta_u * b2) * sqrt(2 / M_PI));
        assert_close(mo.variance[MCM_MOM_V], v); /* the spike whitening keeps var(v.x0) = 1 */
    }
}

static void test_monte_carlo_independent(void **st)
{
    (void)st;
    mcm_params p = params(MCM_COUPLE_INDEPENDENT, MCM_WHITEN_SPIKE);
    assert_int_equal(mc_check("independent, spike whitening", &p), 0);
    p.nu_law = MCM_NU_SKEWED;
    assert_int_equal(mc_check("independent, skewed nu (q 0.3)", &p), 0);
}

static void test_monte_carlo_correlated(void **st)
{
    (void)st;
    mcm_params p = params(MCM_COUPLE_SIGN, MCM_WHITEN_SPIKE);
    assert_int_equal(mc_check("nu = sign(lambda), spike whitening", &p), 0);
    p.coupling = MCM_COUPLE_THRESHOLD;
    assert_int_equal(mc_check("nu = sign(lambda^2 - c), spike whitening", &p), 0);
}

/* Not applicable (0) exactly where the stats command writes NaN: RANDOM spikes, a labelled
 * mixture, FULL whitening of coupled latents. The sampler shows the closed forms do fail there
 * (the mixture halves the mean along m; FULL whitening makes u.x non-Gaussian). */
static void test_applicability(void **st)
{
    (void)st;
    const mcm_coupling cp[3] = {MCM_COUPLE_INDEPENDENT, MCM_COUPLE_SIGN, MCM_COUPLE_THRESHOLD};
    for (int c = 0; c < 3; c++)
        for (int w = 0; w < 2; w++)
            for (int s = 0; s < 3; s++)
                for (int m = 0; m < 2; m++) {
                    mcm_params p = params(cp[c], w ? MCM_WHITEN_FULL : MCM_WHITEN_SPIKE);
                    p.spikes = (mcm_spikes)s;
                    p.mixture = m ? MCM_MIX_LABELLED : MCM_MIX_NONE;
                    int want = s != MCM_SPIKES_RANDOM && !m && (!w || c == 0);
                    mcm_moments mo;
                    assert_int_equal(mcm_moments_exact(&p), want);
                    assert_int_equal(mcm_moments_compute(&p, 0.5, 0.5, &mo), want);
                    assert_true(isfinite(mo.variance[MCM_MOM_U]) && mo.variance[MCM_MOM_U] > 0);
                }
    mcm_params p = params(MCM_COUPLE_INDEPENDENT, MCM_WHITEN_SPIKE);
    p.mixture = MCM_MIX_LABELLED;
    assert_true(mc_check("labelled mixture (not applicable)", &p) > 0);
    p = params(MCM_COUPLE_SIGN, MCM_WHITEN_FULL);
    assert_true(mc_check("sign coupling, full whitening (not applicable)", &p) > 0);
}

/* Wrong variants the Monte Carlo check must reject: the fourth cumulant of x_t without its
 * alpha^4 decay, Cov(u.x_t, v.x_t) scaled by alpha instead of alpha^2, the u variance of x_t
 * without the noise. */
static void test_wrong_variants_fail(void **st)
{
    (void)st;
    mcm_params p = params(MCM_COUPLE_SIGN, MCM_WHITEN_SPIKE);
    double al, sg;
    ou(&al, &sg);
    proj s = project(&p, al, sg);
    mcm_moments good, bad;
    mcm_moments_compute(&p, al, sg, &good);
    printf(" correct moments of x_t:\n");
    assert_int_equal(mc_failures(&s, &good), 0);
    printf(" kurtosis of x_t without the alpha^4 decay:\n");
    bad = good;
    bad.excess_kurtosis[MCM_MOM_V] = mcm_kurtosis_v(&p);
    assert_true(mc_failures(&s, &bad) > 0);
    printf(" covariance scaled by alpha:\n");
    bad = good;
    bad.cov_uv = good.cov_uv / al;
    assert_true(mc_failures(&s, &bad) > 0);
    printf(" u variance without the noise:\n");
    bad = good;
    bad.variance[MCM_MOM_U] -= sg * sg;
    assert_true(mc_failures(&s, &bad) > 0);
    proj_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_closed_forms),
        cmocka_unit_test(test_monte_carlo_independent),
        cmocka_unit_test(test_monte_carlo_correlated),
        cmocka_unit_test(test_applicability),
        cmocka_unit_test(test_wrong_variants_fail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
