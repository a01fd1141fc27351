/* Unit tests of the MCM sampler (shared/science/mcm-model.md §1, §2.2, §7).
 *
 * Statistical tests use fixed seeds. Each estimate is computed on the full sample; its standard
 * error comes from batch means: the same statistic on NB disjoint batches, SE = sd(batch)/sqrt(NB).
 * That covers every statistic (variance, skewness, kurtosis, mixed moments) without a
 * statistic-specific formula, and includes heavy tails (skewed law). Tolerance: 5 SE. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "core/diffusion.h"
#include "core/mcm.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { D = 24, NB = 40, CH = 256 };
static const size_t N_STAT = 400000;
static const uint32_t SEED = 20240611u, TASK = 3u;

/* ---------------------------------------------------------------- statistics helpers */
typedef double (*stat_fn)(const double *a, const double *b, size_t n);

static double mean_of(const double *a, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += a[i];
    return s / (double)n;
}

/* E[(a - Ea)^p (b - Eb)^q], b may be NULL (then q must be 0). */
static double cmom(const double *a, const double *b, size_t n, int p, int q)
{
    double ma = mean_of(a, n), mb = b ? mean_of(b, n) : 0.0, s = 0.0;
    for (size_t i = 0; i < n; i++) {
        double x = a[i] - ma, y = b ? b[i] - mb : 1.0;
        s += pow(x, p) * pow(y, q);
    }
    return s / (double)n;
}

static double st_mean(const double *a, const double *b, size_t n)
{
    return (void)b, mean_of(a, n);
}
static double st_var(const double *a, const double *b, size_t n)
{
    return (void)b, cmom(a, 0, n, 2, 0);
}
static double st_cov(const double *a, const double *b, size_t n)
{
    return cmom(a, b, n, 1, 1);
}
static double st_skew(const double *a, const double *b, size_t n)
{
    (void)b;
    return cmom(a, 0, n, 3, 0) / pow(cmom(a, 0, n, 2, 0), 1.5);
}
static double st_kurt(const double *a, const double *b, size_t n)
{
    (void)b;
    double m2 = cmom(a, 0, n, 2, 0);
    return cmom(a, 0, n, 4, 0) / (m2 * m2) - 3.0;
}
/* E[a^2 b] about the origin: the mixed third cumulant when both have mean 0. */
static double st_m21(const double *a, const double *b, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += a[i] * a[i] * b[i];
    return s / (double)n;
}

static void check_stat(const char *what, stat_fn f, const double *a, const double *b, size_t n,
                       double target)
{
    size_t nb = n / NB;
    double est = f(a, b, n), s1 = 0.0, s2 = 0.0;
    for (int k = 0; k < NB; k++) {
        double e = f(a + k * nb, b ? b + k * nb : NULL, nb);
        s1 += e;
        s2 += e * e;
    }
    double sd = sqrt((s2 - s1 * s1 / NB) / (NB - 1));
    double se = sd / sqrt((double)NB), tol = 5.0 * se + 1e-12;
    printf("  %-34s est % .5f  target % .5f  se %.5f\n", what, est, target, se);
    assert_true(fabs(est - target) <= tol);
}

/* ---------------------------------------------------------------- sampling helpers */

enum { PM, PU, PV, PR, NDIR };

typedef struct {
    size_t n;
    double *h[NDIR]; /* projections on m, u, v and a random r orthogonal to all three */
    double *lam, *nu;
    int *lab;
} proj_set;

static mcm_params base_params(void)
{
    mcm_params p = {.d = D,
                    .beta_m = 2.0,
                    .beta_u = 3.0,
                    .beta_v = 5.0,
                    .nu_law = MCM_NU_RADEMACHER,
                    .skew_q = 0.3,
                    .coupling = MCM_COUPLE_INDEPENDENT,
                    .whitening = MCM_WHITEN_SPIKE,
                    .spikes = MCM_SPIKES_QR,
                    .mixture = MCM_MIX_NONE,
                    .mean_term = MCM_MEAN_PLAIN};
    return p;
}

/* n samples of x_0, or of x_t = alpha x_0 + sigma xi when fwd = {alpha, sigma}. */
static proj_set project(const mcm_params *p, size_t n, const double *fwd)
{
    mcm_model mod;
    mcm_init(&mod, p, SEED, TASK);
    proj_set ps = {.n = n,
                   .lam = malloc(n * sizeof(double)),
                   .nu = malloc(n * sizeof(double)),
                   .lab = malloc(n * sizeof(int))};
    for (int k = 0; k < NDIR; k++)
        ps.h[k] = malloc(n * sizeof(double));
    double r[D], *X = malloc(CH * D * sizeof(double));
    mcm_probe(&mod, SEED, TASK, r);
    const double *dir[NDIR] = {mod.m, mod.u, mod.v, r};
    for (size_t i0 = 0; i0 < n; i0 += CH) {
        size_t nc = n - i0 < CH ? n - i0 : CH;
        mcm_sample_block(&mod, SEED, TASK, i0, nc, X, ps.lam + i0, ps.nu + i0, ps.lab + i0);
        for (size_t i = 0; i < nc; i++) {
            double *x = X + i * D;
            if (fwd) diff_forward(fwd[0], fwd[1], SEED, TASK, i0 + i, D, x, x);
            for (int k = 0; k < NDIR; k++)
                ps.h[k][i0 + i] = mcm_dot(dir[k], x, D);
        }
    }
    free(X);
    mcm_free(&mod);
    return ps;
}

static void proj_free(proj_set *ps)
{
    for (int k = 0; k < NDIR; k++)
        free(ps->h[k]);
    free(ps->lam);
    free(ps->nu);
    free(ps->lab);
}

/* ---------------------------------------------------------------- exact statistics */

static void test_exact_stats(void **state)
{
    (void)state;
    mcm_params p = base_params();
    assert_true(fabs(mcm_b2(&p) - 5.0 / 6.0) < 1e-15);
    assert_true(fabs(mcm_threshold_c() - 0.454936423119572) < 1e-14);
    assert_true(mcm_nu_kappa4(&p) == -2.0 && mcm_nu_kappa3(&p) == 0.0);
    const double bv[3] = {1, 5, 10}, kv[3] = {-0.5, -1.3888889, -1.6528926};
    for (int k = 0; k < 3; k++) {
        p.beta_v = bv[k];
        assert_true(fabs(mcm_kurtosis_v(&p) - kv[k]) < 1e-7);
    }
    /* Skewed law: cumulants from the two-point moments directly. */
    p.nu_law = MCM_NU_SKEWED;
    for (double q = 0.05; q < 0.96; q += 0.15) {
        p.skew_q = q;
        double s = sqrt(q - q * q), hi = (1 - q) / s, lo = -q / s;
        double m3 = q * pow(hi, 3) + (1 - q) * pow(lo, 3);
        double m4 = q * pow(hi, 4) + (1 - q) * pow(lo, 4);
        assert_true(fabs(q * hi + (1 - q) * lo) < 1e-14);
        assert_true(fabs(q * hi * hi + (1 - q) * lo * lo - 1.0) < 1e-14);
        assert_true(fabs(mcm_nu_kappa3(&p) - m3) < 1e-12 * (1 + fabs(m3)));
        assert_true(fabs(mcm_nu_kappa4(&p) - (m4 - 3.0)) < 1e-12 * (1 + fabs(m4)));
    }
    p.nu_law = MCM_NU_GAUSSIAN;
    assert_true(mcm_nu_kappa4(&p) == 0.0 && mcm_lambda_nu(&p) == 0.0);
    p.coupling = MCM_COUPLE_SIGN;
    assert_true(fabs(mcm_lambda_nu(&p) - sqrt(2 / M_PI)) < 1e-15);
    assert_true(mcm_nu_kappa4(&p) == -2.0); /* the coupling overrides the law */
}

static void test_whitening_matrices(void **state)
{
    (void)state;
    mcm_params p = base_params();
    double A[2][2], cov[2][2];
    p.whitening = MCM_WHITEN_FULL; /* independent latents: FULL reduces to SPIKE */
    mcm_whitening_matrix(&p, A);
    assert_true(fabs(A[0][0] - 1) < 1e-15 && A[0][1] == 0.0 && A[1][0] == 0.0);
    assert_true(fabs(A[1][1] - 1 / sqrt(6.0)) < 1e-15);
    mcm_model full, spike;
    mcm_init(&full, &p, SEED, TASK);
    p.whitening = MCM_WHITEN_SPIKE;
    mcm_init(&spike, &p, SEED, TASK);
    for (uint64_t i = 0; i < 50; i++) { /* same samples up to rounding */
        double xf[D], xs[D];
        mcm_sample(&full, SEED, TASK, i, xf, NULL, NULL, NULL);
        mcm_sample(&spike, SEED, TASK, i, xs, NULL, NULL, NULL);
        for (int k = 0; k < D; k++)
            assert_true(fabs(xf[k] - xs[k]) < 1e-13);
    }
    mcm_free(&full);
    mcm_free(&spike);
    p.whitening = MCM_WHITEN_FULL;
    p.coupling = MCM_COUPLE_SIGN;
    mcm_cov_uv(&p, cov);
    assert_true(fabs(cov[0][0] - 4) < 1e-13 && fabs(cov[0][1]) < 1e-13);
    assert_true(fabs(cov[1][0]) < 1e-13 && fabs(cov[1][1] - 1) < 1e-13);
    p.whitening = MCM_WHITEN_SPIKE;
    mcm_cov_uv(&p, cov);
    double rho = sqrt(3.0) * sqrt(5.0 / 6.0) * sqrt(2 / M_PI);
    assert_true(fabs(cov[0][1] - rho) < 1e-14 && fabs(cov[1][1] - 1) < 1e-14);
    p.mixture = MCM_MIX_LABELLED;
    mcm_cov_uv(&p, cov);
    assert_true(fabs(cov[0][0] - 2.5) < 1e-14 && fabs(cov[0][1] - rho / 2) < 1e-14);
}

/* ---------------------------------------------------------------- spikes */

static void gram(const mcm_model *mod, double G[3][3])
{
    const double *w[3] = {mod->m, mod->u, mod->v};
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            G[i][j] = mcm_dot(w[i], w[j], mod->p.d);
}

static void test_spikes_qr(void **state)
{
    (void)state;
    mcm_params p = base_params();
    const int dims[4] = {3, 7, 50, 1000};
    for (int k = 0; k < 4; k++)
        for (uint32_t seed = 1; seed <= 5; seed++) {
            p.d = dims[k];
            mcm_model mod;
            mcm_init(&mod, &p, seed, 0);
            double G[3][3];
            gram(&mod, G);
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++)
                    assert_true(fabs(G[i][j] - (i == j)) < 1e-14);
            mcm_free(&mod);
        }
}

static void test_spikes_axes_random(void **state)
{
    (void)state;
    mcm_params p = base_params();
    p.d = 100;
    mcm_model ax, rd, qr;
    p.spikes = MCM_SPIKES_AXES;
    mcm_init(&ax, &p, 1, 0);
    const double *w[3] = {ax.m, ax.u, ax.v};
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < p.d; i++)
            assert_true(w[k][i] == (i == k ? 1.0 : 0.0));
    p.spikes = MCM_SPIKES_RANDOM;
    mcm_init(&rd, &p, 1, 0);
    p.spikes = MCM_SPIKES_QR;
    mcm_init(&qr, &p, 1, 0);
    double G[3][3];
    gram(&rd, G);
    for (int i = 0; i < 3; i++)
        assert_true(fabs(G[i][i] - 1) < 1e-14);
    /* Not orthogonalised: overlaps O(d^-1/2), not rounding-level. */
    assert_true(fabs(G[0][1]) > 1e-6 && fabs(G[1][2]) > 1e-6 && fabs(G[1][2]) < 0.6);
    /* Same raw draws: the first spike is the same before and after Gram-Schmidt. */
    for (int i = 0; i < p.d; i++)
        assert_true(fabs(rd.m[i] - qr.m[i]) < 1e-15);
    mcm_free(&ax);
    mcm_free(&rd);
    mcm_free(&qr);
}

/* ---------------------------------------------------------------- determinism */

static void test_block_equals_single(void **state)
{
    (void)state;
    enum { NS = 37 };
    mcm_params p = base_params();
    for (int cfg = 0; cfg < 4; cfg++) {
        p.nu_law = cfg == 1 ? MCM_NU_SKEWED : MCM_NU_RADEMACHER;
        p.whitening = cfg == 2 ? MCM_WHITEN_FULL : MCM_WHITEN_SPIKE;
        p.coupling = cfg == 2 ? MCM_COUPLE_SIGN : MCM_COUPLE_INDEPENDENT;
        p.mixture = cfg == 3 ? MCM_MIX_LABELLED : MCM_MIX_NONE;
        p.spikes = cfg == 3 ? MCM_SPIKES_RANDOM : MCM_SPIKES_QR;
        mcm_model mod;
        mcm_init(&mod, &p, SEED, TASK);
        double Xb[NS * D], lb[NS], nb[NS], x[D], l, nu;
        int yb[NS], y;
        mcm_sample_block(&mod, SEED, TASK, 1000, NS, Xb, lb, nb, yb);
        for (int k = 0; k < NS; k++) {
            mcm_sample(&mod, SEED, TASK, 1000 + (uint64_t)k, x, &l, &nu, &y);
            assert_memory_equal(x, Xb + k * D, sizeof x);
            assert_memory_equal(&l, lb + k, sizeof l);
            assert_memory_equal(&nu, nb + k, sizeof nu);
            assert_int_equal(y, yb[k]);
        }
        mcm_sample_block(&mod, SEED, TASK, 1000, NS, Xb, NULL, NULL, NULL); /* NULL latents */
        assert_memory_equal(x, Xb + (NS - 1) * D, sizeof x);
        mcm_free(&mod);
    }
}

static void test_determinism(void **state)
{
    (void)state;
    mcm_params p = base_params();
    mcm_model mod;
    mcm_init(&mod, &p, SEED, TASK);
    double a[D], b[D];
    mcm_sample(&mod, SEED, TASK, 42, a, NULL, NULL, NULL);
    mcm_sample(&mod, SEED, TASK, 42, b, NULL, NULL, NULL);
    assert_memory_equal(a, b, sizeof a);
    const uint32_t other[3][2] = {{SEED, TASK + 1}, {SEED + 1, TASK}, {SEED, TASK}};
    for (int k = 0; k < 3; k++) {
        mcm_sample(&mod, other[k][0], other[k][1], k == 2 ? 43 : 42, b, NULL, NULL, NULL);
        int same = 0;
        for (int i = 0; i < D; i++)
            same += a[i] == b[i];
        assert_int_equal(same, 0);
    }
    mcm_model mod2; /* spikes depend on (seed, task) and are reproducible */
    mcm_init(&mod2, &p, SEED, TASK);
    assert_memory_equal(mod.v, mod2.v, D * sizeof(double));
    mcm_free(&mod2);
    mcm_init(&mod2, &p, SEED, TASK + 1);
    assert_true(mod.v[0] != mod2.v[0]);
    mcm_free(&mod2);
    mcm_free(&mod);
}

/* ---------------------------------------------------------------- statistics of x_0 */

/* V2, V4 and §1.4: mean beta_m m, Cov = I + beta_u u u^T, Gaussian off v. */
static void test_moments_independent(void **state)
{
    (void)state;
    mcm_params p = base_params();
    proj_set s = project(&p, N_STAT, NULL);
    size_t n = s.n;
    printf(" independent, Rademacher, beta_m 2, beta_u 3, beta_v 5:\n");
    check_stat("mean m.x", st_mean, s.h[PM], NULL, n, p.beta_m);
    check_stat("mean u.x", st_mean, s.h[PU], NULL, n, 0.0);
    check_stat("mean v.x", st_mean, s.h[PV], NULL, n, 0.0);
    check_stat("mean r.x", st_mean, s.h[PR], NULL, n, 0.0);
    check_stat("var m.x", st_var, s.h[PM], NULL, n, 1.0);
    check_stat("var u.x", st_var, s.h[PU], NULL, n, 1.0 + p.beta_u);
    check_stat("var v.x", st_var, s.h[PV], NULL, n, 1.0);
    check_stat("var r.x", st_var, s.h[PR], NULL, n, 1.0);
    check_stat("cov(u.x, v.x)", st_cov, s.h[PU], s.h[PV], n, 0.0);
    check_stat("cov(u.x, r.x)", st_cov, s.h[PU], s.h[PR], n, 0.0);
    check_stat("kurt u.x", st_kurt, s.h[PU], NULL, n, 0.0);
    check_stat("kurt r.x", st_kurt, s.h[PR], NULL, n, 0.0);
    check_stat("mean lambda", st_mean, s.lam, NULL, n, 0.0);
    check_stat("var lambda", st_var, s.lam, NULL, n, 1.0);
    check_stat("mean nu", st_mean, s.nu, NULL, n, 0.0);
    check_stat("E[lambda nu]", st_cov, s.lam, s.nu, n, 0.0);
    for (size_t i = 0; i < n; i++)
        assert_true(fabs(s.nu[i]) == 1.0 && s.lab[i] == 1);
    proj_free(&s);
}

/* V3 and the whitening: a missing S would give var(v.x) = 1 + beta_v. */
static void test_kurtosis_rademacher(void **state)
{
    (void)state;
    mcm_params p = base_params();
    const double bv[3] = {1.0, 5.0, 10.0};
    for (int k = 0; k < 3; k++) {
        p.beta_v = bv[k];
        proj_set s = project(&p, N_STAT, NULL);
        printf(" Rademacher, beta_v %g:\n", bv[k]);
        double target = -2.0 * bv[k] * bv[k] / ((1 + bv[k]) * (1 + bv[k]));
        check_stat("kurt v.x", st_kurt, s.h[PV], NULL, s.n, target);
        check_stat("var v.x", st_var, s.h[PV], NULL, s.n, 1.0);
        check_stat("kurt u.x", st_kurt, s.h[PU], NULL, s.n, 0.0);
        proj_free(&s);
    }
}

/* kappa_p(v.x) = b^p kappa_p(nu) (§1.4) for the skewed two-point law and the Gaussian control. */
static void test_skewed_and_gaussian(void **state)
{
    (void)state;
    mcm_params p = base_params();
    p.nu_law = MCM_NU_SKEWED;
    p.skew_q = 0.1;
    double b = sqrt(mcm_b2(&p));
    proj_set s = project(&p, N_STAT, NULL);
    printf(" skewed nu, q 0.1, beta_v 5:\n");
    check_stat("mean nu", st_mean, s.nu, NULL, s.n, 0.0);
    check_stat("var nu", st_var, s.nu, NULL, s.n, 1.0);
    check_stat("var v.x", st_var, s.h[PV], NULL, s.n, 1.0);
    check_stat("skew v.x", st_skew, s.h[PV], NULL, s.n, pow(b, 3) * mcm_nu_kappa3(&p));
    check_stat("kurt v.x", st_kurt, s.h[PV], NULL, s.n, pow(b, 4) * mcm_nu_kappa4(&p));
    assert_true(fabs(mcm_kurtosis_v(&p) - pow(b, 4) * mcm_nu_kappa4(&p)) < 1e-12);
    proj_free(&s);

    p.nu_law = MCM_NU_GAUSSIAN;
    s = project(&p, N_STAT, NULL);
    printf(" Gaussian nu (control), beta_v 5:\n");
    check_stat("var v.x", st_var, s.h[PV], NULL, s.n, 1.0);
    check_stat("kurt v.x", st_kurt, s.h[PV], NULL, s.n, 0.0);
    check_stat("E[lambda nu]", st_cov, s.lam, s.nu, s.n, 0.0);
    proj_free(&s);
}

/* V5: nu = sign(lambda) with S of eq. (2) puts rho = sqrt(beta_u) b sqrt(2/pi) off-diagonal. */
static void test_sign_spike(void **state)
{
    (void)state;
    mcm_params p = base_params();
    p.coupling = MCM_COUPLE_SIGN;
    double cov[2][2];
    mcm_cov_uv(&p, cov);
    proj_set s = project(&p, N_STAT, NULL);
    printf(" SIGN coupling, SPIKE whitening (rho %.5f):\n", cov[0][1]);
    check_stat("E[lambda nu]", st_cov, s.lam, s.nu, s.n, sqrt(2 / M_PI));
    check_stat("cov(u.x, v.x)", st_cov, s.h[PU], s.h[PV], s.n, cov[0][1]);
    check_stat("var u.x", st_var, s.h[PU], NULL, s.n, cov[0][0]);
    check_stat("var v.x", st_var, s.h[PV], NULL, s.n, cov[1][1]);
    check_stat("kurt v.x", st_kurt, s.h[PV], NULL, s.n, mcm_kurtosis_v(&p));
    proj_free(&s);
}

/* FULL whitening hides v again: Cov(x) = I + beta_u u u^T; v.x now mixes lambda and nu and its
 * kurtosis involves the joint latent cumulants of §1.5. */
static void test_sign_full(void **state)
{
    (void)state;
    mcm_params p = base_params();
    p.coupling = MCM_COUPLE_SIGN;
    p.whitening = MCM_WHITEN_FULL;
    proj_set s = project(&p, N_STAT, NULL);
    printf(" SIGN coupling, FULL whitening:\n");
    check_stat("cov(u.x, v.x)", st_cov, s.h[PU], s.h[PV], s.n, 0.0);
    check_stat("var u.x", st_var, s.h[PU], NULL, s.n, 1.0 + p.beta_u);
    check_stat("var v.x", st_var, s.h[PV], NULL, s.n, 1.0);
    check_stat("var r.x", st_var, s.h[PR], NULL, s.n, 1.0);
    check_stat("kurt v.x", st_kurt, s.h[PV], NULL, s.n, mcm_kurtosis_v(&p));
    proj_free(&s);
}

/* nu = sign(lambda^2 - c): uncorrelated (k_c = 2), yet E[(u.x)^2 v.x] = beta_u b E[lambda^2 nu]
 * with E[lambda^2 nu] = 1 - 2 E[lambda^2; lambda^2 < c] = 1 - 2 P(chi^2_3 < c). */
static void test_threshold(void **state)
{
    (void)state;
    mcm_params p = base_params();
    p.coupling = MCM_COUPLE_THRESHOLD;
    double b = sqrt(mcm_b2(&p)), c = mcm_threshold_c();
    double l2nu = 1.0 - 2.0 * gsl_cdf_chisq_P(c, 3.0);
    proj_set s = project(&p, N_STAT, NULL);
    printf(" THRESHOLD coupling (E[lambda^2 nu] = %.5f):\n", l2nu);
    check_stat("mean nu", st_mean, s.nu, NULL, s.n, 0.0);
    check_stat("E[lambda nu]", st_cov, s.lam, s.nu, s.n, 0.0);
    check_stat("E[lambda^2 nu]", st_m21, s.lam, s.nu, s.n, l2nu);
    check_stat("cov(u.x, v.x)", st_cov, s.h[PU], s.h[PV], s.n, 0.0);
    check_stat("E[(u.x)^2 v.x]", st_m21, s.h[PU], s.h[PV], s.n, p.beta_u * b * l2nu);
    check_stat("kurt v.x", st_kurt, s.h[PV], NULL, s.n, -2.0 * pow(b, 4));
    proj_free(&s);
}

/* The n_sel entries of a with lab == y, copied to out. */
static size_t select_label(const double *a, const int *lab, size_t n, int y, double *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (lab[i] == y) out[k++] = a[i];
    return k;
}

static void check_component(const proj_set *s, int y, double mean_m, double var_u, double kurt_v)
{
    double *hm = malloc(s->n * sizeof(double)), *hu = malloc(s->n * sizeof(double));
    double *hv = malloc(s->n * sizeof(double));
    size_t k = select_label(s->h[PM], s->lab, s->n, y, hm);
    select_label(s->h[PU], s->lab, s->n, y, hu);
    select_label(s->h[PV], s->lab, s->n, y, hv);
    printf("  label %+d (%zu samples):\n", y, k);
    check_stat("mean m.x", st_mean, hm, NULL, k, mean_m);
    check_stat("var u.x", st_var, hu, NULL, k, var_u);
    check_stat("var v.x", st_var, hv, NULL, k, 1.0);
    check_stat("kurt v.x", st_kurt, hv, NULL, k, kurt_v);
    free(hm);
    free(hu);
    free(hv);
}

/* Supervised form (§1.2): y = +-1 with p = 1/2, y = -1 isotropic. */
static void test_mixture_labelled(void **state)
{
    (void)state;
    mcm_params p = base_params();
    p.mixture = MCM_MIX_LABELLED;
    for (int mt = 0; mt < 2; mt++) {
        p.mean_term = mt ? MCM_MEAN_LABEL : MCM_MEAN_PLAIN;
        proj_set s = project(&p, N_STAT, NULL);
        double *pos = malloc(s.n * sizeof(double));
        for (size_t i = 0; i < s.n; i++) {
            pos[i] = s.lab[i] > 0;
            if (s.lab[i] < 0) assert_true(s.lam[i] == 0.0 && s.nu[i] == 0.0);
        }
        printf(" labelled mixture, mean term %s:\n", mt ? "beta_m y m" : "beta_m m");
        check_stat("fraction y = +1", st_mean, pos, NULL, s.n, 0.5);
        double k4 = -2.0 * mcm_b2(&p) * mcm_b2(&p);
        check_component(&s, 1, p.beta_m, 1.0 + p.beta_u, k4);
        check_component(&s, -1, mt ? -p.beta_m : 0.0, 1.0, 0.0);
        double cov[2][2];
        mcm_cov_uv(&p, cov);
        check_stat("var u.x (all)", st_var, s.h[PU], NULL, s.n, cov[0][0]);
        check_stat("kurt v.x (all)", st_kurt, s.h[PV], NULL, s.n, mcm_kurtosis_v(&p));
        free(pos);
        proj_free(&s);
    }
}

/* ---------------------------------------------------------------- forward process (§2.2, V6) */

static void test_forward_ou(void **state)
{
    (void)state;
    mcm_params p = base_params();
    p.beta_v = 10.0;
    diff_schedule ou = {.kind = DIFF_OU};
    const double ts[3] = {0.25, 0.5, 1.0};
    for (int k = 0; k < 3; k++) {
        double f[2];
        diff_coeffs(&ou, ts[k], &f[0], &f[1]);
        proj_set s = project(&p, N_STAT, f);
        printf(" OU forward process, t %g, beta_v 10:\n", ts[k]);
        check_stat("var v.x_t", st_var, s.h[PV], NULL, s.n, 1.0);
        check_stat("kurt v.x_t", st_kurt, s.h[PV], NULL, s.n, exp(-4 * ts[k]) * mcm_kurtosis_v(&p));
        check_stat("var u.x_t", st_var, s.h[PU], NULL, s.n, 1.0 + f[0] * f[0] * p.beta_u);
        check_stat("mean m.x_t", st_mean, s.h[PM], NULL, s.n, f[0] * p.beta_m);
        check_stat("var r.x_t", st_var, s.h[PR], NULL, s.n, 1.0);
        proj_free(&s);
    }
}

/* The probe is a unit vector orthogonal to every spike, also for non-orthogonal RANDOM spikes,
 * reproducible from (seed, task) and different across tasks. */
static void test_probe(void **state)
{
    (void)state;
    for (int sp = MCM_SPIKES_QR; sp <= MCM_SPIKES_RANDOM; sp++) {
        mcm_params p = base_params();
        p.spikes = (mcm_spikes)sp;
        mcm_model mod;
        mcm_init(&mod, &p, SEED, TASK);
        double r[D], r2[D], r3[D];
        mcm_probe(&mod, SEED, TASK, r);
        mcm_probe(&mod, SEED, TASK, r2);
        mcm_probe(&mod, SEED, TASK + 1, r3);
        assert_memory_equal(r, r2, sizeof r);
        assert_true(fabs(mcm_dot(r, r3, D)) < 1.0 - 1e-6);
        assert_true(fabs(mcm_dot(r, r, D) - 1.0) < 1e-14);
        const double *w[3] = {mod.m, mod.u, mod.v};
        for (int k = 0; k < 3; k++)
            assert_true(fabs(mcm_dot(r, w[k], D)) < 1e-14);
        mcm_free(&mod);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_stats),
        cmocka_unit_test(test_whitening_matrices),
        cmocka_unit_test(test_spikes_qr),
        cmocka_unit_test(test_spikes_axes_random),
        cmocka_unit_test(test_block_equals_single),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_moments_independent),
        cmocka_unit_test(test_kurtosis_rademacher),
        cmocka_unit_test(test_skewed_and_gaussian),
        cmocka_unit_test(test_sign_spike),
        cmocka_unit_test(test_sign_full),
        cmocka_unit_test(test_threshold),
        cmocka_unit_test(test_mixture_labelled),
        cmocka_unit_test(test_forward_ou),
        cmocka_unit_test(test_probe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
