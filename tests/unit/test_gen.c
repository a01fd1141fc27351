/* Unit tests of the PF-ODE samplers (core/gen.h) against the closed forms of
 * shared/science/gaussian-theory.md §4.1 / §4.2, and of the MCM denoisers they drive.
 *
 * Deterministic: one start x_T per check, errors measured against the exact trajectory of the
 * Gaussian score. Orders are log2(err(N) / err(2N)); a scheme of order p gives p as N grows.
 * The order check is shown to discriminate: Euler's measured order fails the Heun bound. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/bayes.h"
#include "core/gen.h"
#include "core/mcm.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { D = 6, NMAX = 1024 };
static const double LAM[D] = {9.0, 2.0, 1.0, 0.25, 0.01, 0.0};
static const double MU[D] = {0.5, -1.0, 0.0, 0.25, 0.0, 2.0};

static gen_gauss law(void)
{
    return (gen_gauss){.d = D, .mu = MU, .lam = LAM};
}

/* Max-norm error of the sampler against the closed-form jump, same start. */
static double traj_err(gen_sampler kind, int n, double skip)
{
    gen_plan p = {.kind = kind,
                  .n_steps = n,
                  .sigma_max = 80,
                  .sigma_min = 0.002,
                  .rho = 7,
                  .sigma_skip = skip};
    static double grid[NMAX + 1];
    gen_grid(&p, grid);
    gen_gauss g = law();
    gen_denoiser dn = gen_gauss_denoiser(&g);
    double x[D], y[D], work[3 * D], a0, s0, a1, s1;
    gen_start(&p, 3u, 7u, 11u, D, x);
    memcpy(y, x, sizeof x);
    gen_level(&p, p.sigma_max, &a0, &s0);
    gen_level(&p, p.sigma_min, &a1, &s1);
    gen_gauss_jump(&g, a0, s0, a1, s1, y);
    long nfe = gen_integrate(&p, grid, &dn, &g, x, work, NULL);
    if (skip == 0) assert_int_equal(nfe, gen_nfe_full(&p));
    double e = 0;
    for (int i = 0; i < D; i++)
        e = fmax(e, fabs(x[i] - y[i]));
    return e;
}

/* Measured order between the two finest step counts of 32 .. NMAX. */
static double order_of(gen_sampler kind, const char *name)
{
    double prev = 0, ord = 0;
    printf("# %s vs closed form:", name);
    for (int n = 32; n <= NMAX; n *= 2) {
        double e = traj_err(kind, n, 0);
        if (prev > 0) ord = log2(prev / e), printf(" N=%d err %.3g (order %.3f)", n, e, ord);
        prev = e;
    }
    printf("\n");
    return ord;
}

static void test_orders(void **state)
{
    (void)state;
    double heun = order_of(GEN_HEUN, "heun"), euler = order_of(GEN_EULER, "euler");
    double ddim = order_of(GEN_DDIM, "ddim");
    assert_true(heun > 1.8 && heun < 2.3);
    assert_true(euler > 0.85 && euler < 1.2);
    assert_true(ddim > 0.85 && ddim < 1.2);
    /* The wrong scheme fails the second-order check that Heun passes. */
    assert_false(euler > 1.8 && euler < 2.3);
    assert_true(traj_err(GEN_HEUN, 512, 0) < 1e-4);
}

/* Teleportation with the Gaussian score: the jump is the exact flow, so the result differs from
 * the closed form only by the integration error of the steps that remain (and at most that of the
 * full schedule plus roundoff). */
static void test_teleport_gaussian(void **state)
{
    (void)state;
    gen_plan p = {.kind = GEN_HEUN, .n_steps = 18, .sigma_max = 80, .sigma_min = 0.002, .rho = 7};
    double grid[19];
    gen_grid(&p, grid);
    double full = traj_err(GEN_HEUN, 18, 0);
    for (int k = 1; k <= 12; k++) {
        double e = traj_err(GEN_HEUN, 18, grid[k]);
        assert_true(e <= 1.05 * full + 1e-12);
    }
    assert_true(traj_err(GEN_HEUN, 18, 0.002) < 1e-12); /* all the way: exact */
    assert_true(traj_err(GEN_DDIM, 18, grid[5]) <= 1.05 * traj_err(GEN_DDIM, 18, 0) + 1e-12);
}

/* NFE: Heun skipping k grid points costs 2 (N - k); the schedule hits its end points. */
static void test_nfe_and_grid(void **state)
{
    (void)state;
    gen_plan p = {.kind = GEN_HEUN, .n_steps = 17, .sigma_max = 80, .sigma_min = 0.002, .rho = 7};
    double grid[18], x[D], w[3 * D];
    gen_grid(&p, grid);
    /* EDM's N = 18 schedule (gaussian-theory.md §4.4): sigma_1 = 57.586, sigma_4 = 19.352. */
    assert_true(fabs(grid[1] - 57.586) < 1e-3 && fabs(grid[4] - 19.352) < 1e-3);
    assert_true(grid[0] == 80 && grid[17] == 0.002);
    gen_gauss g = law();
    gen_denoiser dn = gen_gauss_denoiser(&g);
    for (int k = 0; k <= 12; k += 4) {
        p.sigma_skip = k ? grid[k] : 0;
        gen_start(&p, 1u, 1u, 0u, D, x);
        assert_int_equal(gen_integrate(&p, grid, &dn, &g, x, w, NULL), 2 * (17 - k));
    }
}

/* The observer sees every level in order: skipped levels carry the exact flow (to roundoff), the
 * integrated ones the sampler's state, the last one the returned sample. */
typedef struct {
    int next;
    double x0[D], err_skipped, last[D];
    const gen_gauss *g;
    int k;
} obs_ctx;

static void obs_fn(gen_observer *o, int level, double s, const double *x)
{
    obs_ctx *c = o->ctx;
    assert_int_equal(level, c->next++);
    double y[D];
    memcpy(y, c->x0, sizeof y);
    gen_gauss_jump(c->g, 1, 80, 1, s, y);
    for (int i = 0; i < D && level < c->k; i++)
        c->err_skipped = fmax(c->err_skipped, fabs(x[i] - y[i]) / (1 + fabs(y[i])));
    memcpy(c->last, x, sizeof c->last);
}

static void test_observer(void **state)
{
    (void)state;
    gen_plan p = {.kind = GEN_HEUN, .n_steps = 18, .sigma_max = 80, .sigma_min = 0.002, .rho = 7};
    double grid[19], x[D], w[3 * D];
    gen_grid(&p, grid);
    gen_gauss g = law();
    gen_denoiser dn = gen_gauss_denoiser(&g);
    p.sigma_skip = grid[6];
    obs_ctx c = {.g = &g, .k = 6};
    gen_observer o = {.fn = obs_fn, .ctx = &c};
    gen_start(&p, 2u, 2u, 2u, D, x);
    memcpy(c.x0, x, sizeof x);
    gen_integrate(&p, grid, &dn, &g, x, w, &o);
    assert_int_equal(c.next, 19);
    assert_true(c.err_skipped < 1e-13);
    assert_memory_equal(c.last, x, sizeof x);
}

/* Jumps compose and the generated variance formula is the jump of a variance. */
static void test_jump_algebra(void **state)
{
    (void)state;
    gen_gauss g = law();
    double x[D] = {1, 2, 3, 4, 5, 6}, y[D];
    memcpy(y, x, sizeof x);
    gen_gauss_jump(&g, 1, 80, 1, 3, x);
    gen_gauss_jump(&g, 1, 3, 1, 0.01, x);
    gen_gauss_jump(&g, 1, 80, 1, 0.01, y);
    for (int i = 0; i < D; i++)
        assert_true(fabs(x[i] - y[i]) < 1e-12 * (1 + fabs(y[i])));
    double v = gen_gauss_mode_var(2.0, 6400, 1, 80, 1, 0.002);
    assert_true(fabs(v - 6400 * (2 + 4e-6) / (2 + 6400)) < 1e-12);
}

static mcm_params mcm_p(mcm_nu_law law_nu, mcm_coupling cp)
{
    return (mcm_params){.d = 12,
                        .beta_m = 0.7,
                        .beta_u = 2,
                        .beta_v = 5,
                        .nu_law = law_nu,
                        .coupling = cp,
                        .spikes = MCM_SPIKES_QR};
}

/* With Gaussian nu the MCM is Gaussian: the Bayes denoiser equals the clone's Gaussian one at
 * every level (checks the clone's mean, block and eigenvectors), EDM and VP. With Rademacher nu
 * it does not (the check discriminates), and the coupled clone has a non-diagonal block. */
static double clone_gap(mcm_params p)
{
    mcm_model mod;
    mcm_init(&mod, &p, 5u, 2u);
    double mu[12], U[24], x[12], a[12], b[12], gap = 0;
    gen_gauss g;
    gen_mcm_clone(&mod, mu, U, &g);
    gen_denoiser ex = gen_mcm_denoiser(&mod), ga = gen_gauss_denoiser(&g);
    gen_plan pe = {.kind = GEN_HEUN}, pv = {.kind = GEN_DDIM};
    double lv[3] = {0.05, 0.7, 4.0};
    for (int q = 0; q < 6; q++) {
        double al, sg;
        gen_level(q < 3 ? &pe : &pv, lv[q % 3], &al, &sg);
        gen_start(&pe, 9u, 9u, (uint64_t)q, 12, x);
        for (int i = 0; i < 12; i++)
            x[i] = x[i] * 0.02 + 0.8 * mod.v[i] + mod.u[i]; /* near v: where nu shows */
        ex.fn(&ex, al, sg, x, a);
        ga.fn(&ga, al, sg, x, b);
        for (int i = 0; i < 12; i++)
            gap = fmax(gap, fabs(a[i] - b[i]));
    }
    mcm_free(&mod);
    return gap;
}

static void test_mcm_clone(void **state)
{
    (void)state;
    assert_true(gen_mcm_exact(&(mcm_params){.d = 12, .beta_u = 1, .beta_v = 1}));
    assert_false(gen_mcm_exact(
        &(mcm_params){.d = 12, .beta_u = 1, .beta_v = 1, .spikes = MCM_SPIKES_RANDOM}));
    assert_true(clone_gap(mcm_p(MCM_NU_GAUSSIAN, MCM_COUPLE_INDEPENDENT)) < 1e-12);
    assert_true(clone_gap(mcm_p(MCM_NU_RADEMACHER, MCM_COUPLE_INDEPENDENT)) > 1e-3);
    assert_true(clone_gap(mcm_p(MCM_NU_RADEMACHER, MCM_COUPLE_SIGN)) > 1e-3);
    /* Coupled clone: the eigen directions reproduce the block (u^T Sigma v = rho). */
    mcm_params p = mcm_p(MCM_NU_RADEMACHER, MCM_COUPLE_SIGN);
    mcm_model mod;
    mcm_init(&mod, &p, 5u, 2u);
    double mu[12], U[24], C[2][2];
    gen_gauss g;
    gen_mcm_clone(&mod, mu, U, &g);
    mcm_cov_uv(&p, C);
    double su = 0, sv = 0, e[2][2] = {{0}};
    for (int k = 0; k < 2; k++) {
        su = mcm_dot(&U[k * 12], mod.u, 12), sv = mcm_dot(&U[k * 12], mod.v, 12);
        e[0][0] += g.lam_r[k] * su * su, e[0][1] += g.lam_r[k] * su * sv;
        e[1][1] += g.lam_r[k] * sv * sv;
    }
    assert_true(fabs(e[0][0] - C[0][0]) < 1e-12 && fabs(e[0][1] - C[0][1]) < 1e-12);
    assert_true(fabs(e[1][1] - C[1][1]) < 1e-12 && fabs(C[0][1]) > 0.1);
    mcm_free(&mod);
}

/* The theory's one-layer denoiser at tau -> infinity is the Gaussian one (w* = lam / (lam +
 * sigma^2), gaussian-theory.md §1.3, §2.2), with or without the weight cache; at tau = 0 it is
 * Q x. */
static void test_linear_denoiser(void **state)
{
    (void)state;
    gt_setup s = {
        .model = GT_ONELAYER, .process = GT_EDM, .eta = 1, .sigma_min = 0.002, .sigma_max = 80};
    double lam[D] = {9.0, 2.0, 1.0, 0.25, 0.01, 0.5}, q[D] = {0.01, 0.01, 0.01, 0.2, 0.01, 0.01};
    double cache[2 * (D + 1)] = {-1, 0, 0, 0, 0, 0, 0, -1}, x[D] = {1, -2, 3, -4, 5, 0.5};
    double a[D], b[D], c[D];
    gen_gauss g = {.d = D, .lam = lam};
    gen_linear l = {.setup = &s, .d = D, .lam = lam, .q = q, .tau = 1e30};
    gen_linear lc = l;
    lc.cache = cache;
    gen_denoiser dl = gen_linear_denoiser(&l), dc = gen_linear_denoiser(&lc);
    gen_denoiser dg = gen_gauss_denoiser(&g);
    double lv[3] = {0.3, 3.0, 0.3};
    for (int k = 0; k < 3; k++) {
        dl.fn(&dl, 1.0, lv[k], x, a);
        dc.fn(&dc, 1.0, lv[k], x, c);
        dg.fn(&dg, 1.0, lv[k], x, b);
        for (int i = 0; i < D; i++)
            assert_true(fabs(a[i] - b[i]) < 1e-14 && a[i] == c[i]);
    }
    l.tau = 0;
    dl.fn(&dl, 1.0, 2.0, x, a);
    for (int i = 0; i < D; i++)
        assert_true(fabs(a[i] - q[i] * x[i]) < 1e-15);
}

/* Painters: the closed-form x0 estimate of §4.1 along one mode on the Karras grid commits at
 * sqrt(lam + 2 s0^2) to roundoff (the interpolation is exact for it); the mean is removed; a
 * mode committed at the start reports sigma_max and a zero final value NaN. Deliberately wrong:
 * interpolating rho itself linearly in sigma (not 1/rho^2 in sigma^2) misses by far more. */
static void test_commit_level(void **state)
{
    (void)state;
    gen_plan p = {.kind = GEN_HEUN, .n_steps = 18, .sigma_max = 80, .sigma_min = 0.002, .rho = 7};
    double lev[19], xh[19], lam[3] = {4.0, 0.3, 1e-3}, mean = 1.5, c = -0.7;
    gen_grid(&p, lev);
    for (int k = 0; k < 3; k++) {
        for (int i = 0; i <= 18; i++)
            xh[i] = mean + lam[k] * c / sqrt((lam[k] + lev[i] * lev[i]) * (lam[k] + 6400.0));
        double s = gen_commit_level(lev, 19, xh, 1, mean), want = gen_commit_gauss(lam[k], 0.002);
        assert_true(fabs(s / want - 1.0) < 1e-12);
        /* rho linear in sigma between the same two levels */
        int i = 0;
        while ((xh[i + 1] - mean) / (xh[18] - mean) < sqrt(0.5))
            i++;
        double r0 = (xh[i] - mean) / (xh[18] - mean), r1 = (xh[i + 1] - mean) / (xh[18] - mean);
        double wrong = lev[i] + (sqrt(0.5) - r0) / (r1 - r0) * (lev[i + 1] - lev[i]);
        assert_true(fabs(wrong / want - 1.0) > 1e-3);
    }
    for (int i = 0; i <= 18; i++)
        xh[i] = 1.0;
    assert_true(gen_commit_level(lev, 19, xh, 1, 0.0) == 80.0);
    assert_true(isnan(gen_commit_level(lev, 19, xh, 1, 1.0)));
}

/* A trained model as the denoiser: a neuron with a = 0 is D = alpha x exactly (the fixed skip),
 * one DDIM step multiplies x by a0 a1 + s0 s1; with a != 0 the model's own output is added; a
 * net per level answers at its level (a linear W = w I: D = w x). */
static void test_model_denoiser(void **state)
{
    (void)state;
    model_spec ms = {.family = MODEL_NEURON,
                     .d = D,
                     .K = 1,
                     .act = {.kind = ACT_TANH, .scale = 1},
                     .skip = SKIP_NONE,
                     .train_a = 1};
    model net;
    model_init(&net, &ms, 3, 1, 1);
    net.theta[D] = 0.0; /* a = 0 */
    gen_model gm = {.net = &net, .n_net = 1, .skip = 1};
    gen_denoiser dn = gen_model_denoiser(&gm);
    double x[D], out[D], w[3 * D];
    for (int i = 0; i < D; i++)
        x[i] = 0.3 * i - 0.7;
    dn.fn(&dn, 0.6, 0.8, x, out);
    for (int i = 0; i < D; i++)
        assert_true(out[i] == 0.6 * x[i]);
    gen_plan p = {.kind = GEN_DDIM, .n_steps = 1, .sigma_max = 2, .sigma_min = 0.5, .rho = 7};
    double grid[2], y[D], a0, s0, a1, s1;
    gen_grid(&p, grid);
    memcpy(y, x, sizeof y);
    gen_integrate(&p, grid, &dn, NULL, y, w, NULL);
    gen_level(&p, grid[0], &a0, &s0);
    gen_level(&p, grid[1], &a1, &s1);
    for (int i = 0; i < D; i++)
        assert_true(fabs(y[i] - (a0 * a1 + s0 * s1) * x[i]) < 1e-15);
    net.theta[D] = 0.5; /* D = alpha x + a w tanh(w.x) */
    dn.fn(&dn, 0.6, 0.8, x, out);
    double h = 0;
    for (int i = 0; i < D; i++)
        h += net.theta[i] * x[i];
    for (int i = 0; i < D; i++)
        assert_true(fabs(out[i] - 0.6 * x[i] - 0.5 * net.theta[i] * tanh(h)) < 1e-14);
    model_free(&net);
    model_spec ls = {.family = MODEL_LINEAR, .d = D};
    model lin[2];
    double lev[2] = {1.5, 0.25};
    for (int j = 0; j < 2; j++) {
        model_init(&lin[j], &ls, 3, 1, 1);
        memset(lin[j].theta, 0, lin[j].np * sizeof(double));
        for (int i = 0; i < D; i++)
            lin[j].theta[i * D + i] = j ? 0.9 : 0.2;
    }
    gen_model gl = {.net = lin, .n_net = 2, .level = lev};
    gen_denoiser dl = gen_model_denoiser(&gl);
    dl.fn(&dl, 1.0, 0.25, x, out);
    for (int i = 0; i < D; i++)
        assert_true(fabs(out[i] - 0.9 * x[i]) < 1e-15);
    dl.fn(&dl, 1.0, 1.5, x, out);
    for (int i = 0; i < D; i++)
        assert_true(fabs(out[i] - 0.2 * x[i]) < 1e-15);
    for (int j = 0; j < 2; j++)
        model_free(&lin[j]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_orders),         cmocka_unit_test(test_teleport_gaussian),
        cmocka_unit_test(test_nfe_and_grid),   cmocka_unit_test(test_jump_algebra),
        cmocka_unit_test(test_mcm_clone),      cmocka_unit_test(test_linear_denoiser),
        cmocka_unit_test(test_observer),       cmocka_unit_test(test_commit_level),
        cmocka_unit_test(test_model_denoiser),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
