/* Unit tests of theory_bbp: the classic BBP transition and Marchenko-Pastur edge against closed
 * forms rearranged independently here (tolerance 1e-12), the transition at alpha = 1 / beta^2,
 * the MCM population spike (independent latents reduce to the classic spike; coupled latents
 * against a GSL eigendecomposition of the (u, v) block written from mcm-model.md §1.5, and
 * against the block estimated from sampler output within 5 standard errors), the labelled
 * mixture (not applicable), and deliberately wrong values, which the same checks must reject. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/mcm.h"
#include "core/theory_bbp.h"

#include <gsl/gsl_eigen.h>
#include <gsl/gsl_matrix.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define TOL 1e-12 /* closed forms: a few ulps of O(1)-O(100) values */

static const double ALPHAS[] = {0.05, 0.25, 0.9, 1.1, 3.0, 16.0, 1000.0};
static const double BETAS[] = {0.3, 1.0, 2.0, 5.0};
enum { NA = sizeof ALPHAS / sizeof ALPHAS[0], NBETA = sizeof BETAS / sizeof BETAS[0] };

static int close_rel(double x, double y, double tol)
{
    int ok = fabs(x - y) <= tol * fmax(1.0, fabs(y));
    if (!ok) printf("  %.17g vs %.17g (rel tol %g)\n", x, y, tol);
    return ok;
}

/* Failures of (lt, o2, edge) against the classic prediction at (alpha, beta), from the forms
 * lambda = 1 + beta + 1/alpha + 1/(alpha beta), overlap = (alpha beta^2 - 1)/(beta (alpha beta +
 * 1)) above alpha beta^2 = 1, edge = 1 + 2/sqrt(alpha) + 1/alpha. */
static int classic_failures(double alpha, double beta, double lt, double o2, double edge)
{
    double e = 1.0 + 2.0 / sqrt(alpha) + 1.0 / alpha;
    int above = alpha * beta * beta > 1.0, bad = !close_rel(edge, e, TOL);
    double l = above ? 1.0 + beta + 1.0 / alpha + 1.0 / (alpha * beta) : e;
    double o = above ? (alpha * beta * beta - 1.0) / (beta * (alpha * beta + 1.0)) : 0.0;
    bad += !close_rel(lt, l, TOL);
    bad += !close_rel(o2, o, TOL);
    return bad;
}

static mcm_params params(mcm_coupling cp, mcm_whitening wh)
{
    mcm_params p = {.d = 16,
                    .beta_m = 1.0,
                    .beta_u = 2.0,
                    .beta_v = 5.0,
                    .nu_law = MCM_NU_RADEMACHER,
                    .coupling = cp,
                    .whitening = wh,
                    .spikes = MCM_SPIKES_QR,
                    .mixture = MCM_MIX_NONE};
    return p;
}

/* Top eigenpair of a symmetric 2x2 matrix by GSL's symmetric QR (an independent method). */
static void gsl_top(double c00, double c01, double c11, double *l, double *eu2)
{
    gsl_matrix *a = gsl_matrix_alloc(2, 2), *ev = gsl_matrix_alloc(2, 2);
    gsl_vector *val = gsl_vector_alloc(2);
    gsl_eigen_symmv_workspace *w = gsl_eigen_symmv_alloc(2);
    gsl_matrix_set(a, 0, 0, c00);
    gsl_matrix_set(a, 0, 1, c01);
    gsl_matrix_set(a, 1, 0, c01);
    gsl_matrix_set(a, 1, 1, c11);
    gsl_eigen_symmv(a, val, ev, w);
    gsl_eigen_symmv_sort(val, ev, GSL_EIGEN_SORT_VAL_DESC);
    *l = gsl_vector_get(val, 0);
    *eu2 = gsl_matrix_get(ev, 0, 0) * gsl_matrix_get(ev, 0, 0);
    gsl_eigen_symmv_free(w);
    gsl_vector_free(val);
    gsl_matrix_free(ev);
    gsl_matrix_free(a);
}

/* ---------------------------------------------------------------- classic spike */

static void test_classic_closed_forms(void **st)
{
    (void)st;
    for (int a = 0; a < NA; a++)
        for (int b = 0; b < NBETA; b++) {
            double lt, o2, edge;
            theory_bbp(ALPHAS[a], BETAS[b], &lt, &o2, &edge);
            assert_int_equal(classic_failures(ALPHAS[a], BETAS[b], lt, o2, edge), 0);
            /* Above the transition the top eigenvalue leaves the bulk by (beta - 1/sqrt alpha)^2
             * / beta >= 0 and the overlap lies in (0, 1). */
            if (ALPHAS[a] * BETAS[b] * BETAS[b] > 1) {
                double gap = pow(BETAS[b] - 1.0 / sqrt(ALPHAS[a]), 2) / BETAS[b];
                assert_true(close_rel(lt - edge, gap, 1e-10));
                assert_true(o2 > 0.0 && o2 < 1.0);
            }
        }
    /* alpha -> infinity: the population values 1 + beta and overlap 1. */
    double lt, o2, edge;
    theory_bbp(1e12, 3.0, &lt, &o2, &edge);
    assert_true(fabs(lt - 4.0) < 1e-11 && fabs(o2 - 1.0) < 1e-11 && fabs(edge - 1.0) < 1e-5);
}

/* At alpha = 1 / beta^2 exactly (beta = 2, alpha = 1/4: alpha beta^2 = 1 in binary) the top
 * eigenvalue is the edge (1 + beta)^2 and the overlap 0; on either side it is continuous. */
static void test_transition(void **st)
{
    (void)st;
    double lt, o2, edge, beta = 2.0;
    theory_bbp(0.25, beta, &lt, &o2, &edge);
    assert_true(lt == edge && o2 == 0.0);
    assert_true(close_rel(edge, 9.0, TOL));
    for (int s = -1; s <= 1; s += 2) {
        double alpha = 0.25 * (1.0 + s * 1e-6);
        theory_bbp(alpha, beta, &lt, &o2, &edge);
        assert_int_equal(classic_failures(alpha, beta, lt, o2, edge), 0);
        if (s < 0) assert_true(lt == edge && o2 == 0.0); /* below: stuck to the edge */
        if (s > 0) assert_true(o2 > 0.0 && o2 < 1e-6 && lt - edge >= 0 && lt - edge < 1e-11);
    }
    /* Zero spike: never above the transition. */
    theory_bbp(1e6, 0.0, &lt, &o2, &edge);
    assert_true(lt == edge && o2 == 0.0);
}

/* ---------------------------------------------------------------- MCM population spike */

/* Independent latents (either whitening), and FULL whitening of coupled latents: the block is
 * diag(1 + beta_u, 1), so the MCM prediction is the classic one at beta = beta_u. */
static void test_mcm_reduces_to_classic(void **st)
{
    (void)st;
    const mcm_coupling cp[3] = {MCM_COUPLE_INDEPENDENT, MCM_COUPLE_INDEPENDENT, MCM_COUPLE_SIGN};
    const mcm_whitening wh[3] = {MCM_WHITEN_SPIKE, MCM_WHITEN_FULL, MCM_WHITEN_FULL};
    for (int k = 0; k < 3; k++)
        for (int b = 0; b < NBETA; b++) {
            mcm_params p = params(cp[k], wh[k]);
            p.beta_u = BETAS[b];
            double l, eu2;
            theory_bbp_block_top(&p, &l, &eu2);
            assert_true(close_rel(l, 1.0 + BETAS[b], TOL) && close_rel(eu2, 1.0, TOL));
            for (int a = 0; a < NA; a++) {
                double lt, o2, edge;
                assert_int_equal(theory_bbp_mcm(&p, ALPHAS[a], &lt, &o2, &edge), 1);
                assert_int_equal(classic_failures(ALPHAS[a], BETAS[b], lt, o2, edge), 0);
            }
        }
}

/* nu = sign(lambda) with the spike whitening: block [[1 + beta_u, rho], [rho, 1]],
 * rho = sqrt(beta_u) b sqrt(2/pi) (§1.5). Top eigenpair (l, e) from GSL; BBP at beta = l - 1
 * with the overlap scaled by (e.u)^2. */
static void test_mcm_coupled_vs_gsl(void **st)
{
    (void)st;
    for (int b = 0; b < NBETA; b++) {
        mcm_params p = params(MCM_COUPLE_SIGN, MCM_WHITEN_SPIKE);
        p.beta_u = BETAS[b];
        double rho = sqrt(p.beta_u * p.beta_v / (1 + p.beta_v)) * sqrt(2 / M_PI);
        double l_ref, eu2_ref, l, eu2;
        gsl_top(1 + p.beta_u, rho, 1.0, &l_ref, &eu2_ref);
        theory_bbp_block_top(&p, &l, &eu2);
        printf(" beta_u %g: rho %.6f, l %.12f (GSL %.12f), (e.u)^2 %.12f (GSL %.12f)\n", p.beta_u,
               rho, l, l_ref, eu2, eu2_ref);
        assert_true(close_rel(l, l_ref, TOL) && close_rel(eu2, eu2_ref, TOL));
        assert_true(l > 1 + p.beta_u + 1e-3 && eu2 < 1 - 1e-3); /* really tilted toward v */
        for (int a = 0; a < NA; a++) {
            double lt, o2, edge;
            assert_int_equal(theory_bbp_mcm(&p, ALPHAS[a], &lt, &o2, &edge), 1);
            assert_int_equal(classic_failures(ALPHAS[a], l_ref - 1, lt, o2 / eu2_ref, edge), 0);
        }
    }
}

/* The (u, v) block from sampler output, its top eigenpair by GSL, within 5 SE (batch means)
 * of theory_bbp_block_top: the prediction describes the data the sampler draws. */
enum { MC_N = 200000, MC_NB = 40 };

static void block_top_of(const double *hu, const double *hv, size_t n, double *l, double *eu2)
{
    double mu = 0, mv = 0, suu = 0, suv = 0, svv = 0;
    for (size_t i = 0; i < n; i++)
        mu += hu[i], mv += hv[i];
    mu /= (double)n, mv /= (double)n;
    for (size_t i = 0; i < n; i++) {
        double a = hu[i] - mu, c = hv[i] - mv;
        suu += a * a, suv += a * c, svv += c * c;
    }
    gsl_top(suu / (double)n, suv / (double)n, svv / (double)n, l, eu2);
}

static void test_mcm_coupled_monte_carlo(void **st)
{
    (void)st;
    mcm_params p = params(MCM_COUPLE_SIGN, MCM_WHITEN_SPIKE);
    mcm_model mod;
    mcm_init(&mod, &p, 7u, 11u);
    double *hu = malloc(MC_N * sizeof(double)), *hv = malloc(MC_N * sizeof(double));
    double *x = malloc((size_t)p.d * sizeof(double));
    for (size_t i = 0; i < MC_N; i++) {
        mcm_sample(&mod, 7u, 11u, i, x, NULL, NULL, NULL);
        hu[i] = mcm_dot(mod.u, x, p.d);
        hv[i] = mcm_dot(mod.v, x, p.d);
    }
    double l, eu2, l_th, eu2_th, s[2][2] = {{0}};
    block_top_of(hu, hv, MC_N, &l, &eu2);
    size_t nb = MC_N / MC_NB;
    for (int k = 0; k < MC_NB; k++) {
        double lb, eb;
        block_top_of(hu + k * nb, hv + k * nb, nb, &lb, &eb);
        s[0][0] += lb, s[0][1] += lb * lb, s[1][0] += eb, s[1][1] += eb * eb;
    }
    double se_l = sqrt((s[0][1] - s[0][0] * s[0][0] / MC_NB) / (MC_NB - 1) / MC_NB);
    double se_e = sqrt((s[1][1] - s[1][0] * s[1][0] / MC_NB) / (MC_NB - 1) / MC_NB);
    theory_bbp_block_top(&p, &l_th, &eu2_th);
    printf(" sampled block: l %.5f +- %.5f (exact %.5f), (e.u)^2 %.5f +- %.5f (exact %.5f)\n", l,
           se_l, l_th, eu2, se_e, eu2_th);
    assert_true(fabs(l - l_th) <= 5 * se_l && fabs(eu2 - eu2_th) <= 5 * se_e);
    /* Resolving power: the independent-latent values (1 + beta_u, 1) lie far outside. */
    assert_true(fabs(l - (1 + p.beta_u)) > 5 * se_l && fabs(eu2 - 1.0) > 5 * se_e);
    free(hu);
    free(hv);
    free(x);
    mcm_free(&mod);
}

/* A labelled mixture also changes the variance along m: not applicable, NaN, edge still set. */
static void test_mixture_not_applicable(void **st)
{
    (void)st;
    mcm_params p = params(MCM_COUPLE_INDEPENDENT, MCM_WHITEN_SPIKE);
    p.mixture = MCM_MIX_LABELLED;
    double lt, o2, edge;
    assert_int_equal(theory_bbp_mcm(&p, 4.0, &lt, &o2, &edge), 0);
    assert_true(isnan(lt) && isnan(o2));
    assert_true(close_rel(edge, 2.25, TOL));
}

/* The checks above reject wrong values: a relative error of 1e-9, the overlap formula with
 * gamma / beta for gamma / beta^2, and coupled latents predicted as if independent. */
static void test_wrong_values_fail(void **st)
{
    (void)st;
    double lt, o2, edge, alpha = 3.0, beta = 2.0;
    theory_bbp(alpha, beta, &lt, &o2, &edge);
    assert_true(classic_failures(alpha, beta, lt * (1 + 1e-9), o2, edge) > 0);
    assert_true(classic_failures(alpha, beta, lt, o2, edge * (1 - 1e-9)) > 0);
    double g = 1 / alpha, wrong = (1 - g / beta) / (1 + g / beta);
    assert_true(classic_failures(alpha, beta, lt, wrong, edge) > 0);
    /* Ignoring the tilt: theory_bbp at beta_u for nu = sign(lambda). */
    mcm_params p = params(MCM_COUPLE_SIGN, MCM_WHITEN_SPIKE);
    double l, eu2, lm, om, em;
    theory_bbp_block_top(&p, &l, &eu2);
    theory_bbp_mcm(&p, alpha, &lm, &om, &em);
    theory_bbp(alpha, p.beta_u, &lt, &o2, &edge);
    assert_false(close_rel(lt, lm, TOL) && close_rel(o2, om, TOL));
    assert_true(classic_failures(alpha, l - 1, lt, o2 / eu2, edge) > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classic_closed_forms),
        cmocka_unit_test(test_transition),
        cmocka_unit_test(test_mcm_reduces_to_classic),
        cmocka_unit_test(test_mcm_coupled_vs_gsl),
        cmocka_unit_test(test_mcm_coupled_monte_carlo),
        cmocka_unit_test(test_mixture_not_applicable),
        cmocka_unit_test(test_wrong_values_fail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
