/* Unit tests of the single-neuron theory (mcm-model.md §6): Hermite coefficients against
 * closed forms and adaptive quadrature, the small-overlap series against the exact loss
 * (V10), blindness (V12), correlated latents, the exact loss and the contraction constant C
 * against Monte Carlo on the sampler, and the overlap ODE (6) against the escape estimates. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/diffusion.h"
#include "core/theory.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* t = 0.5 on the OU schedule: the theory's default time (§8). */
static double t_alpha(void)
{
    return exp(-0.5);
}
static double t_sigma(void)
{
    return sqrt(1.0 - exp(-1.0));
}

static mcm_params params(int d)
{
    mcm_params p = {.d = d, .beta_u = 5, .beta_v = 5, .spikes = MCM_SPIKES_AXES};
    return p;
}

static act_fn act(act_kind kind, double scale, int k)
{
    return act_make(kind, scale, k, t_alpha(), t_sigma(), 5, 5);
}

static void assert_close(double x, double y, double tol)
{
    if (!(fabs(x - y) <= tol)) fail_msg("%.17g vs %.17g (tol %g)", x, y, tol);
}

/* Linear: mu_1 = 1, E_0 = 1, E_2 = 2 (h^2 = He_2 + 1), all else 0; He_k: mu_j = k! delta_jk. */
static void test_hermite_closed_forms(void **st)
{
    (void)st;
    double mu[THEORY_KMAX + 1], E[THEORY_KMAX + 1];
    act_fn lin = act(ACT_LINEAR, 1.0, 0);
    theory_hermite(&lin, THEORY_KMAX, mu, E);
    for (int k = 0; k <= THEORY_KMAX; k++) {
        assert_close(mu[k], k == 1 ? 1.0 : 0.0, 1e-13);
        assert_close(E[k], k == 0 ? 1.0 : k == 2 ? 2.0 : 0.0, 1e-13);
    }
    double fact = 1.0;
    for (int k = 0; k <= 6; k++) {
        fact *= k > 0 ? k : 1;
        act_fn he = act(ACT_HERMITE, 1.0, k);
        theory_hermite(&he, THEORY_KMAX, mu, E);
        for (int j = 0; j <= THEORY_KMAX; j++)
            assert_close(mu[j], j == k ? fact : 0.0, 1e-11 * fact);
    }
}

/* The split Gauss-Legendre rule against GSL qagiu on both half-lines. Measured: <= 4e-15 for
 * tanh, erf, relu and the matched forms, 3e-13 (relative 1e-15) for the large E_k of He_3. */
static void test_hermite_adaptive(void **st)
{
    (void)st;
    act_fn a[] = {act(ACT_TANH, 0.5, 0),    act(ACT_ERF, 1.0, 0),       act(ACT_RELU, 0.5, 0),
                  act(ACT_HERMITE, 0.5, 3), act(ACT_MATCHED_V, 1.0, 0), act(ACT_MATCHED_U, 1.0, 0),
                  act(ACT_HERMITE, 1.0, 4)};
    for (size_t i = 0; i < sizeof a / sizeof a[0]; i++) {
        double mu[THEORY_KMAX + 1], E[THEORY_KMAX + 1];
        theory_hermite(&a[i], THEORY_KMAX, mu, E);
        for (int k = 0; k <= THEORY_KMAX; k++) {
            double am = theory_hermite_mu_adaptive(&a[i], k),
                   ae = theory_hermite_E_adaptive(&a[i], k);
            assert_close(mu[k], am, 1e-10 * fmax(1.0, fabs(am)));
            assert_close(E[k], ae, 1e-10 * fmax(1.0, fabs(ae)));
        }
    }
}

/* The coefficients are the formulas of §6.2; C of a linear sigma = s h is 8 sg^2 s^2 + 4 s^4. */
static void test_coefficient_formulas(void **st)
{
    (void)st;
    double al = t_alpha(), sg = t_sigma(), b2 = 5.0 / 6.0;
    mcm_params p = params(100);
    act_fn th = act(ACT_TANH, 0.5, 0), lin = act(ACT_LINEAR, 0.5, 0);
    theory_coeffs tc;
    theory_coeffs_compute(&tc, &th, &p, al, sg);
    double B = al * al / 2 * tc.E[2] - 2 * al * sg * sg * tc.mu[1];
    double br4 = pow(al, 4) / 24 * tc.E[4] - pow(al, 3) * sg * sg * tc.mu[3] / 3;
    assert_close(tc.B, B, 1e-14);
    assert_close(tc.c_u2, 5 * B, 1e-13);
    assert_close(tc.c_v4, b2 * b2 * -2.0 * br4, 1e-15);
    assert_close(tc.c_uv, 0.0, 0.0);
    assert_int_equal(tc.k_u, 2);
    assert_int_equal(tc.k_v, 4);
    assert_true(tc.c_u2 < 0 && tc.c_v4 < 0); /* tanh is attracted by both spikes */
    theory_coeffs_compute(&tc, &lin, &p, al, sg);
    assert_close(tc.C, 8 * sg * sg * 0.25 + 4 * 0.0625, 1e-13);
}

/* Every named column of the theory row holds its coefficient (the layout of /theory/coeffs). */
static void test_theory_row(void **st)
{
    (void)st;
    double al = t_alpha(), sg = t_sigma(), row[THEORY_NCOL];
    mcm_params p = params(100);
    act_fn th = act(ACT_TANH, 0.5, 0);
    theory_coeffs tc;
    theory_coeffs_compute(&tc, &th, &p, al, sg);
    theory_row(&tc, row);
    assert_int_equal(THEORY_NCOL, 10);
    assert_true(row[THEORY_B] == tc.B && row[THEORY_C_U2] == tc.c_u2);
    assert_true(row[THEORY_C_V4] == tc.c_v4 && row[THEORY_C_UV] == tc.c_uv);
    assert_true(row[THEORY_K_U] == 2 && row[THEORY_K_V] == 4 && row[THEORY_C] == tc.C);
    assert_true(row[THEORY_DELTA_MAX_U] == theory_delta_max_u(&tc));
    assert_true(row[THEORY_ALPHA] == al && row[THEORY_SIGMA] == sg);
}

/* Least-squares slope of log|L(m)| against log m at five points in [0.01, 0.05]. */
static double loglog_slope(const act_fn *a, const mcm_params *p, int spike)
{
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (int i = 0; i < 5; i++) {
        double m = 0.01 * pow(5.0, i / 4.0), x = log(m);
        double y = log(fabs(theory_loss_overlap(a, p, t_alpha(), t_sigma(), spike, m)));
        sx += x, sy += y, sxx += x * x, sxy += x * y;
    }
    return (5 * sxy - sx * sy) / (5 * sxx - sx * sx);
}

/* V10: the exact loss starts as c_u2 m^2 along u and c_v4 m^4 along v, and equals the series
 * sum_k c_k m^k (truncated at KMAX = 8) at moderate overlap. */
static void test_small_overlap(void **st)
{
    (void)st;
    double al = t_alpha(), sg = t_sigma();
    mcm_params p = params(100);
    act_fn th = act(ACT_TANH, 0.5, 0);
    theory_coeffs tc;
    theory_coeffs_compute(&tc, &th, &p, al, sg);
    assert_close(loglog_slope(&th, &p, 1), 2.0, 0.02);
    assert_close(loglog_slope(&th, &p, 2), 4.0, 0.05);
    double m = 0.01;
    assert_close(theory_loss_overlap(&th, &p, al, sg, 1, m) / (m * m), tc.c_u2,
                 1e-3 * fabs(tc.c_u2));
    assert_close(theory_loss_overlap(&th, &p, al, sg, 2, m) / pow(m, 4), tc.c_v4,
                 1e-3 * fabs(tc.c_v4));
    theory_coeffs ve; /* a VE pair (alpha = 1, sigma = 0.3): the general l_k of theory.c (at sigma =
                       * 0.5, 0.5 tanh has a w-independent loss: sigma^2 + 2 sg^2 sigma' = 1/4) */
    theory_coeffs_compute(&ve, &th, &p, 1.0, 0.3);
    assert_close(theory_loss_overlap(&th, &p, 1.0, 0.3, 1, m) / (m * m), ve.c_u2,
                 1e-3 * fabs(ve.c_u2));
    assert_close(theory_loss_overlap(&th, &p, 1.0, 0.3, 2, m) / pow(m, 4), ve.c_v4,
                 1e-3 * fabs(ve.c_v4));
    for (int s = 1; s <= 2; s++) {
        double L = theory_loss_overlap(&th, &p, al, sg, s, 0.2), ser = 0;
        for (int k = 0; k <= THEORY_KMAX; k++)
            ser += (s == 1 ? tc.cu[k] : tc.cv[k]) * pow(0.2, k);
        assert_close(L, ser, 1e-5 * fabs(L));
    }
}

/* V12: ReLU without bias and linear sigma are blind to v for symmetric nu (to rounding, at
 * every overlap), a Gaussian nu blinds every activation; ReLU sees a skewed nu at order 3,
 * tanh (odd) does not (l_3 = 0) and stays at 4; linear sigma stays blind. */
static void test_blindness(void **st)
{
    (void)st;
    double al = t_alpha(), sg = t_sigma();
    mcm_params p = params(100), pg = p, ps = p;
    pg.nu_law = MCM_NU_GAUSSIAN;
    ps.nu_law = MCM_NU_SKEWED;
    ps.skew_q = 0.2;
    act_fn relu = act(ACT_RELU, 0.5, 0), lin = act(ACT_LINEAR, 0.5, 0), th = act(ACT_TANH, 0.5, 0);
    const act_fn *blind[] = {&relu, &lin, &th};
    theory_coeffs tc;
    for (int i = 0; i < 3; i++) {
        theory_coeffs_compute(&tc, blind[i], i < 2 ? &p : &pg, al, sg);
        assert_int_equal(tc.blind_v, 1);
        assert_int_equal(tc.k_v, 0);
        assert_true(tc.c_v4 == 0.0);
        assert_int_equal(tc.k_u, 2);
        for (double m = 0.0; m <= 1.0; m += 0.125)
            assert_true(fabs(theory_loss_overlap(blind[i], i < 2 ? &p : &pg, al, sg, 2, m)) <
                        1e-12);
    }
    theory_coeffs_compute(&tc, &relu, &ps, al, sg);
    assert_int_equal(tc.k_v, 3);
    double m = 0.01, L = theory_loss_overlap(&relu, &ps, al, sg, 2, m);
    assert_close(L / pow(m, 3), tc.cv[3], 1e-3 * fabs(tc.cv[3]));
    theory_coeffs_compute(&tc, &th, &ps, al, sg);
    assert_int_equal(tc.k_v, 4);
    theory_coeffs_compute(&tc, &lin, &ps, al, sg);
    assert_int_equal(tc.blind_v, 1);
}

/* Correlated latents nu = sign(lambda), spike whitening: rho = sqrt(beta_u) b sqrt(2/pi) and
 * c_uv = 2 rho B puts v at order 2; full re-whitening removes rho (v back at order 4, its
 * kurtosis from mcm_kurtosis_v). A labelled mixture halves every coefficient and the loss. */
static void test_correlated_and_mixture(void **st)
{
    (void)st;
    double al = t_alpha(), sg = t_sigma();
    mcm_params p = params(100);
    act_fn th = act(ACT_TANH, 0.5, 0);
    theory_coeffs t0, tc;
    theory_coeffs_compute(&t0, &th, &p, al, sg);
    p.coupling = MCM_COUPLE_SIGN;
    theory_coeffs_compute(&tc, &th, &p, al, sg);
    double rho = sqrt(5.0) * sqrt(5.0 / 6.0) * sqrt(2.0 / M_PI);
    assert_close(tc.rho, rho, 1e-14);
    assert_close(tc.c_uv, 2 * rho * tc.B, 1e-13);
    assert_int_equal(tc.k_v, 2);
    assert_close(tc.c_v4, t0.c_v4, 1e-16); /* nu is still Rademacher along v alone */
    p.whitening = MCM_WHITEN_FULL;
    theory_coeffs_compute(&tc, &th, &p, al, sg);
    assert_true(tc.c_uv == 0.0);
    assert_int_equal(tc.k_v, 4);
    assert_close(tc.c_v4, mcm_kurtosis_v(&p) * tc.lk[4], 1e-16);
    assert_true(isnan(theory_loss_overlap(&th, &p, al, sg, 2, 0.5)));
    mcm_params pm = params(100), p0 = params(100);
    pm.mixture = MCM_MIX_LABELLED;
    theory_coeffs_compute(&tc, &th, &pm, al, sg);
    assert_close(tc.c_u2, 0.5 * t0.c_u2, 1e-14);
    assert_close(tc.c_v4, 0.5 * t0.c_v4, 1e-16);
    assert_close(theory_loss_overlap(&th, &pm, al, sg, 1, 0.7),
                 0.5 * theory_loss_overlap(&th, &p0, al, sg, 1, 0.7), 1e-15);
}

/* Paired Monte-Carlo estimate of L(w_m) - L(w_0) on the sampler, d = 4, axes spikes (u = e_1,
 * v = e_2): w_m = m e_s + sqrt(1 - m^2) e_3, f = -2 sigma(h)(w.x0 - alpha h) + sigma(h)^2. */
static void mc_loss(const act_fn *a, const mcm_params *p, double al, double sg, int s, double m,
                    long n, double *mean, double *se)
{
    mcm_model mod;
    mcm_init(&mod, p, 11, 3);
    double x0[4], xt[4], s1 = 0, s2 = 0, c = sqrt(1 - m * m);
    for (long i = 0; i < n; i++) {
        mcm_sample(&mod, 11, 3, (uint64_t)i, x0, NULL, NULL, NULL);
        diff_forward(al, sg, 11, 3, (uint64_t)i, 4, x0, xt);
        double h1 = m * xt[s] + c * xt[3], p1 = m * x0[s] + c * x0[3];
        double z1 = act_f(a, h1), z0 = act_f(a, xt[3]);
        double f =
            (-2 * z1 * (p1 - al * h1) + z1 * z1) - (-2 * z0 * (x0[3] - al * xt[3]) + z0 * z0);
        s1 += f, s2 += f * f;
    }
    *mean = s1 / n;
    *se = sqrt((s2 / n - *mean * *mean) / n);
    mcm_free(&mod);
}

static void test_loss_monte_carlo(void **st)
{
    (void)st;
    double al = t_alpha(), sg = t_sigma(), mean, se;
    mcm_params p = params(4);
    act_fn th = act(ACT_TANH, 0.5, 0);
    double Lu = theory_loss_overlap(&th, &p, al, sg, 1, 0.6);
    mc_loss(&th, &p, al, sg, 1, 0.6, 400000, &mean, &se);
    assert_true(fabs(mean - Lu) < 5 * se);
    assert_true(fabs(Lu) > 50 * se); /* resolved */
    double Lv = theory_loss_overlap(&th, &p, al, sg, 2, 0.9);
    mc_loss(&th, &p, al, sg, 2, 0.9, 400000, &mean, &se);
    assert_true(fabs(mean - Lv) < 5 * se);
    assert_true(fabs(Lv) > 5 * se);
}

/* Mean and SE of |grad_perp l|^2 at a random bulk w (orthogonal to m, u, v = e_0, e_1, e_2). */
static void mc_grad2(const act_fn *a, const mcm_params *p, double al, double sg, long n,
                     double *mean, double *se)
{
    int d = p->d;
    mcm_model mod;
    mcm_init(&mod, p, 21, 4);
    double *w = calloc((size_t)4 * d, sizeof *w), *x0 = w + d, *xt = w + 2 * d, *g = w + 3 * d;
    rng_stream rs = rng_stream_make(21, 4, RNG_TEST);
    rng_normal(&rs, 0, 0, (size_t)d, w);
    w[0] = w[1] = w[2] = 0.0;
    double nw = sqrt(mcm_dot(w, w, d)), s1 = 0, s2 = 0;
    for (int i = 0; i < d; i++)
        w[i] /= nw;
    for (long k = 0; k < n; k++) {
        mcm_sample(&mod, 21, 4, (uint64_t)k, x0, NULL, NULL, NULL);
        diff_forward(al, sg, 21, 4, (uint64_t)k, (size_t)d, x0, xt);
        double h = mcm_dot(w, xt, d), wr = mcm_dot(w, x0, d) - al * h;
        double z = act_f(a, h), dz = act_df(a, h), wg = 0, g2 = 0;
        for (int i = 0; i < d; i++) { /* grad l of §4 */
            g[i] = -2 * dz * wr * xt[i] - 2 * z * (x0[i] - al * xt[i]) + 2 * z * dz * xt[i];
            wg += w[i] * g[i];
        }
        for (int i = 0; i < d; i++)
            g2 += (g[i] - wg * w[i]) * (g[i] - wg * w[i]);
        s1 += g2, s2 += g2 * g2;
    }
    *mean = s1 / n;
    *se = sqrt((s2 / n - *mean * *mean) / n);
    free(w);
    mcm_free(&mod);
}

/* C = E|grad_perp l|^2 / d at zero overlap: the finite-d expectation (bulk + spike + mean
 * directions) matches Monte Carlo at d = 200 for the VP pair and a VE pair (alpha = 1). */
static void test_contraction_monte_carlo(void **st)
{
    (void)st;
    mcm_params p = params(200);
    p.beta_m = 4.0; /* a large mean makes the finite-d correction visible */
    act_fn th = act(ACT_TANH, 0.5, 0);
    double pairs[2][2] = {{t_alpha(), t_sigma()}, {1.0, 0.5}}, mean, se;
    for (int i = 0; i < 2; i++) {
        double g2 = theory_grad2_perp(&th, &p, pairs[i][0], pairs[i][1]);
        mc_grad2(&th, &p, pairs[i][0], pairs[i][1], 40000, &mean, &se);
        theory_coeffs tc;
        theory_coeffs_compute(&tc, &th, &p, pairs[i][0], pairs[i][1]);
        assert_true(fabs(mean - g2) < 5 * se);
        assert_true(fabs(mean - (p.d - 1) * tc.C) > 5 * se); /* the mean term is resolved */
    }
}

/* First tau of a grid where m crosses level, by linear interpolation (NaN if never). */
static double crossing(const double *tau, const double *m, int n, double level)
{
    for (int i = 1; i < n; i++)
        if (m[i - 1] < level && m[i] >= level)
            return tau[i - 1] + (level - m[i - 1]) / (m[i] - m[i - 1]) * (tau[i] - tau[i - 1]);
    return NAN;
}

/* u phase, eta = delta / d: escape near tau_u; above delta_max_u the contraction wins. */
static void test_ode_u(void **st)
{
    (void)st;
    double al = t_alpha(), sg = t_sigma(), tau[200], m[200];
    int d = 400;
    mcm_params p = params(d);
    act_fn th = act(ACT_TANH, 0.5, 0);
    theory_coeffs tc;
    theory_coeffs_compute(&tc, &th, &p, al, sg);
    double tu = theory_tau_u(&tc, 0.5, d, 0.5), m0 = 1 / sqrt((double)d);
    for (int i = 0; i < 200; i++)
        tau[i] = 0.01 * tu * (i + 1);
    assert_int_equal(theory_ode(&th, &p, al, sg, 1, 0.5, 1.0, d, m0, 200, tau, m), 0);
    double tc5 = crossing(tau, m, 200, 0.5);
    assert_true(tc5 > 0.7 * tu && tc5 < 1.3 * tu);
    assert_true(m[199] > 0.8); /* towards the fixed point 0.94 set by the contraction */
    double dmax = theory_delta_max_u(&tc);
    assert_true(isnan(theory_tau_u(&tc, 1.01 * dmax, d, 0.5)));
    assert_true(isfinite(theory_tau_u(&tc, 0.99 * dmax, d, 0.5)));
    assert_int_equal(theory_ode(&th, &p, al, sg, 1, 1.2 * dmax, 1.0, d, m0, 200, tau, m), 0);
    assert_true(m[199] < 0.5 * m0);
}

/* v phase, independent latents. eta = delta / d at large d: the quartic drift is negligible
 * at m ~ d^-1/2 and m decays as exp(-Lambda tau) (fails with either sign flipped).
 * eta = delta / d^2 below the bound: escape near tau_v. */
static void test_ode_v(void **st)
{
    (void)st;
    double al = t_alpha(), sg = t_sigma(), tau[200], m[200];
    act_fn th = act(ACT_TANH, 0.5, 0);
    mcm_params p = params(10000);
    theory_coeffs tc;
    theory_coeffs_compute(&tc, &th, &p, al, sg);
    double m0 = 0.01, lam = 0.5 * 0.25 * tc.C, t1[3] = {1.0, 5.0, 10.0}, m1[3];
    assert_int_equal(theory_ode(&th, &p, al, sg, 2, 0.5, 1.0, 10000, m0, 3, t1, m1), 0);
    for (int i = 0; i < 3; i++)
        assert_close(m1[i], m0 * exp(-lam * t1[i]), 1e-4 * m0);
    int d = 100;
    double dmax = theory_delta_max_v(&tc, d) * d; /* bound on delta for eta = delta / d^2 */
    assert_close(dmax, 8 * fabs(tc.c_v4) / tc.C, 1e-12);
    double delta = 0.3 * dmax, tv = theory_tau_v(&tc, delta, d);
    assert_close(theory_tau_v(&tc, 1e-4 * dmax, d), d * d / (8 * 1e-4 * dmax * fabs(tc.c_v4)),
                 1e-3 * d * d / (8 * 1e-4 * dmax * fabs(tc.c_v4)));
    assert_true(isnan(theory_tau_v(&tc, 1.01 * dmax, d)));
    p.d = d;
    for (int i = 0; i < 200; i++)
        tau[i] = 0.01 * tv * (i + 1);
    assert_int_equal(
        theory_ode(&th, &p, al, sg, 2, delta, 2.0, d, 1 / sqrt((double)d), 200, tau, m), 0);
    double tc5 = crossing(tau, m, 200, 0.5);
    assert_true(tc5 > 0.7 * tv && tc5 < 1.3 * tv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hermite_closed_forms),
        cmocka_unit_test(test_hermite_adaptive),
        cmocka_unit_test(test_coefficient_formulas),
        cmocka_unit_test(test_theory_row),
        cmocka_unit_test(test_small_overlap),
        cmocka_unit_test(test_blindness),
        cmocka_unit_test(test_correlated_and_mixture),
        cmocka_unit_test(test_loss_monte_carlo),
        cmocka_unit_test(test_contraction_monte_carlo),
        cmocka_unit_test(test_ode_u),
        cmocka_unit_test(test_ode_v),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
