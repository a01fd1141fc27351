/* Unit tests of the Gaussian linear-denoiser theory (core/gtheory.h, gaussian-theory.md §6):
 * every closed-form weight law against GSL odeiv2 integration of its gradient-flow ODE, every
 * closed-form generated variance (§3.2, §3.3, §3.5) against the §3.1 quadrature and against an
 * odeiv2 integration of the PF-ODE in ln sigma, over grids of lambda, tau and Q; the tau = 0 and
 * tau -> inf limits, W = 0, the exact two-layer emergence ln 2 / (8 eta lambda), the one-layer
 * rate 2 eta (sigma^2 + lambda), flow matching converging to lambda, discrete GD and its bound,
 * KL, the alpha fit, and a deliberately wrong law (rate x 2) that the ODE comparison rejects. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/gtheory.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_odeiv2.h>
#include <math.h>
#include <stdio.h>

static const double LAMS[] = {1e-3, 1e-2, 0.3, 1, 30};
static const double QS[] = {0, 0.01, 0.5, 1.5};
static const double SIGMAS[] = {0.002, 0.1, 1, 10, 80};
enum { NL = 5, NQ = 4, NS = 5 };

static gt_setup setup(gt_model m)
{
    gt_setup s = {.model = m,
                  .eta = 1,
                  .sigma_min = 0.002,
                  .sigma_max = 80,
                  .sigma_data = 0.5,
                  .p_mean = -1.2,
                  .p_std = 1.2};
    return s;
}

static void assert_rel(double x, double y, double tol)
{
    if (!(fabs(x - y) <= tol * fabs(y))) fail_msg("%.17g vs %.17g (rel tol %g)", x, y, tol);
}

/* ---- weights: closed forms against odeiv2 ------------------------------------------------ */

typedef double (*law_fn)(const gt_law *l, double tau);

static int law_ode(double t, const double y[], double dydt[], void *p)
{
    (void)t;
    dydt[0] = gt_law_rhs(p, y[0]);
    return GSL_SUCCESS;
}

/* Worst discrepancy of f against the ODE along tau = c / rate for c up to 40 (beyond, both sit
 * on the fixed point to rounding), relative to the scale max(|q|, |v*|) of the law. */
static double law_worst(const gt_law *l, law_fn f)
{
    static const double cs[] = {1e-3, 0.03, 0.3, 1, 3, 10, 40};
    double rate = l->k * l->eta * (l->kind == GT_LAW_LINEAR ? l->a : fmax(fabs(l->b), l->a * l->q));
    double scale = fmax(fabs(l->q), fabs(l->b / l->a)), worst = 0, y[1] = {l->q}, t = 0;
    gsl_odeiv2_system sys = {law_ode, NULL, 1, (void *)l};
    gsl_odeiv2_driver *d =
        gsl_odeiv2_driver_alloc_y_new(&sys, gsl_odeiv2_step_rk8pd, 1e-3 / rate, 1e-15, 1e-13);
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
        double tau = cs[i] / rate;
        if (gsl_odeiv2_driver_apply(d, &t, tau, y) != GSL_SUCCESS) fail_msg("odeiv2 failed");
        worst = fmax(worst, fabs(f(l, tau) - y[0]) / scale);
    }
    gsl_odeiv2_driver_free(d);
    return worst;
}

/* The comparison the tests assert with: 1 when f matches the ODE to tol. */
static int law_agrees(const gt_law *l, law_fn f, double tol)
{
    return law_worst(l, f) <= tol;
}

/* Every law of every model and setting over the grid of lambda, Q and sigma; returns the worst. */
static double laws_worst(gt_setup s, law_fn f)
{
    double worst = 0;
    for (int i = 0; i < NL; i++)
        for (int j = 0; j < NQ; j++)
            for (int k = 0; k < NS; k++) {
                double x = s.model == GT_FLOWMATCH ? 0.1 + 0.2 * k : SIGMAS[k];
                gt_law l = gt_law_at(&s, LAMS[i], QS[j], x);
                if (l.q == 0 && l.kind == GT_LAW_LOGISTIC) continue; /* fixed point, exact 0 */
                worst = fmax(worst, law_worst(&l, f));
            }
    return worst;
}

static void test_weights_vs_ode(void **st)
{
    (void)st;
    double worst = 0;
    for (int m = GT_ONELAYER; m <= GT_FLOWMATCH; m++) {
        gt_setup s = setup((gt_model)m);
        worst = fmax(worst, laws_worst(s, gt_law_value));
        if (m == GT_FLOWMATCH) break;
        s.process = GT_VP; /* VP x0 and eps (§2.8) */
        worst = fmax(worst, laws_worst(s, gt_law_value));
        s.objective = GT_EPS;
        worst = fmax(worst, laws_worst(s, gt_law_value));
        s = setup((gt_model)m); /* EDM preconditioning (§2.3) */
        s.precond = GT_PRECOND_EDM;
        worst = fmax(worst, laws_worst(s, gt_law_value));
    }
    print_message("worst closed-form weight vs odeiv2: %.3g (relative to max(|Q|, |w*|))\n", worst);
    assert_true(worst < 1e-9);
}

/* A deliberately wrong closed form: the rate off by a factor 2. */
static double wrong_rate(const gt_law *l, double tau)
{
    gt_law w = *l;
    w.k *= 2;
    return gt_law_value(&w, tau);
}

static void test_wrong_rate_fails(void **st)
{
    (void)st;
    gt_setup one = setup(GT_ONELAYER), two = setup(GT_TWOLAYER);
    gt_law l1 = gt_law_at(&one, 0.3, 0.01, 1.0), l2 = gt_law_at(&two, 0.3, 0.01, 1.0);
    assert_true(law_agrees(&l1, gt_law_value, 1e-9));
    assert_true(law_agrees(&l2, gt_law_value, 1e-9));
    assert_false(law_agrees(&l1, wrong_rate, 1e-9));
    assert_false(law_agrees(&l2, wrong_rate, 1e-9));
    assert_false(law_agrees(&l1, wrong_rate, 1e-2)); /* not a near miss */
}

/* One layer: ln|w - w*| falls at exactly 2 eta (sigma^2 + lambda) (§2.2), on the ODE itself. */
static void test_onelayer_rate(void **st)
{
    (void)st;
    gt_setup s = setup(GT_ONELAYER);
    s.eta = 0.37;
    for (int i = 0; i < NL; i++)
        for (int k = 1; k < NS - 1; k++) {
            double lam = LAMS[i], sg = SIGMAS[k], ws = lam / (lam + sg * sg);
            gt_law l = gt_law_at(&s, lam, 0.7, sg);
            double rate = 2 * s.eta * (sg * sg + lam), t1 = 0.5 / rate, t2 = 2.5 / rate;
            double y[1] = {l.q}, t = 0, v1;
            gsl_odeiv2_system sys = {law_ode, NULL, 1, &l};
            gsl_odeiv2_driver *d =
                gsl_odeiv2_driver_alloc_y_new(&sys, gsl_odeiv2_step_rk8pd, 1e-3 / rate, 0, 1e-13);
            gsl_odeiv2_driver_apply(d, &t, t1, y);
            v1 = y[0];
            gsl_odeiv2_driver_apply(d, &t, t2, y);
            gsl_odeiv2_driver_free(d);
            assert_rel(log((v1 - ws) / (y[0] - ws)) / (t2 - t1), rate, 1e-9);
        }
}

/* W = P P^T reaches the harmonic mean of Q and w* at ln 2 / (8 eta lambda) exactly, for any
 * sigma and Q (§2.5); the balanced P2 P1 at ln 2 / (4 eta lambda) (§2.6). Checked on the ODE. */
static void test_twolayer_emergence(void **st)
{
    (void)st;
    for (int m = GT_TWOLAYER; m <= GT_BALANCED; m++) {
        gt_setup s = setup((gt_model)m);
        s.eta = 0.05;
        double k = m == GT_TWOLAYER ? 8 : 4;
        for (int i = 0; i < NL; i++)
            for (int j = 1; j < NQ; j++)
                for (int n = 0; n < NS; n++) {
                    double lam = LAMS[i], q = QS[j], sg = SIGMAS[n], ws = lam / (lam + sg * sg);
                    double exact = M_LN2 / (k * s.eta * lam);
                    if (fabs(q - ws) < 1e-12) { /* Q = w*: nothing moves, no emergence */
                        assert_true(isnan(gt_weight_emergence(&s, lam, q, sg, GT_HARMONIC)));
                        continue;
                    }
                    assert_rel(gt_weight_emergence(&s, lam, q, sg, GT_HARMONIC), exact, 1e-10);
                    gt_law l = gt_law_at(&s, lam, q, sg);
                    double y[1] = {q}, t = 0;
                    gsl_odeiv2_system sys = {law_ode, NULL, 1, &l};
                    double h = 1e-3 / (k * s.eta * fmax(l.b, l.a * q)); /* fastest scale */
                    gsl_odeiv2_driver *d =
                        gsl_odeiv2_driver_alloc_y_new(&sys, gsl_odeiv2_step_rk8pd, h, 0, 1e-13);
                    gsl_odeiv2_driver_apply(d, &t, exact, y);
                    gsl_odeiv2_driver_free(d);
                    assert_rel(y[0], 2 * q * ws / (q + ws), 1e-10);
                }
    }
}

/* ---- generated variances: closed forms, quadrature, PF-ODE ------------------------------- */

typedef struct {
    const gt_setup *s;
    double lambda, q, tau;
} pf_ctx;

/* d ln x / d ln sigma = 1 - psi (§3.1); flow matching: d ln x / dt = v. */
static int pf_ode(double u, const double y[], double dydt[], void *p)
{
    (void)y;
    const pf_ctx *c = p;
    if (c->s->model == GT_FLOWMATCH)
        dydt[0] = gt_psi(c->s, c->lambda, c->q, u, c->tau);
    else
        dydt[0] = 1 - gt_psi(c->s, c->lambda, c->q, exp(u), c->tau);
    return GSL_SUCCESS;
}

/* The generated variance by integrating the PF-ODE of one mode (its log-amplitude). */
static double pf_variance(const gt_setup *s, double lambda, double q, double tau)
{
    pf_ctx c = {s, lambda, q, tau};
    int fm = s->model == GT_FLOWMATCH;
    double u = fm ? 0 : log(s->sigma_max), end = fm ? 1 : log(s->sigma_min), y[1] = {0};
    gsl_odeiv2_system sys = {pf_ode, NULL, 1, &c};
    gsl_odeiv2_driver *d =
        gsl_odeiv2_driver_alloc_y_new(&sys, gsl_odeiv2_step_rk8pd, fm ? 1e-3 : -1e-3, 1e-14, 0);
    if (gsl_odeiv2_driver_apply(d, &u, end, y) != GSL_SUCCESS) fail_msg("PF-ODE failed");
    gsl_odeiv2_driver_free(d);
    return gt_start_var(s) * exp(2 * y[0]);
}

static const double TAUS[] = {0, 1e-4, 1e-2, 0.3, 3, 100, 1e4, 1e7, INFINITY};
enum { NT = 9 };

static void test_variances_closed_vs_numeric(void **st)
{
    (void)st;
    double wq = 0, wo = 0;
    for (int m = GT_ONELAYER; m <= GT_FLOWMATCH; m++) {
        gt_setup s = setup((gt_model)m);
        assert_true(gt_has_closed_form(&s));
        for (int i = 0; i < NL; i++)
            for (int j = 0; j < NQ; j++)
                for (int t = 0; t < NT; t++) {
                    double c = gt_gen_var_closed(&s, LAMS[i], QS[j], TAUS[t]);
                    double q = gt_gen_var_quad(&s, LAMS[i], QS[j], TAUS[t]);
                    double o = pf_variance(&s, LAMS[i], QS[j], TAUS[t]);
                    wq = fmax(wq, fabs(c / q - 1));
                    wo = fmax(wo, fabs(c / o - 1));
                }
    }
    print_message("worst closed-form variance vs quadrature %.3g, vs PF-ODE (odeiv2) %.3g\n", wq,
                  wo);
    assert_true(wq < 1e-10);
    assert_true(wo < 1e-8);
}

/* tau = 0: sigma_T^2 (sigma_0/sigma_T)^{2(1-Q)} for every mode; tau -> inf:
 * sigma_T^2 (lambda + sigma_0^2)/(lambda + sigma_T^2) (§3.2, §3.3); W = 0 (one layer at Q = 0,
 * P P^T at Q = 0 for ever): x(sigma_0) = (sigma_0/sigma_T) x_T. */
static void test_variance_limits(void **st)
{
    (void)st;
    for (int m = GT_ONELAYER; m <= GT_BALANCED; m++) {
        gt_setup s = setup((gt_model)m);
        double s0 = s.sigma_min, t = s.sigma_max;
        for (int i = 0; i < NL; i++) {
            double lam = LAMS[i], fin = t * t * (lam + s0 * s0) / (lam + t * t);
            for (int j = 0; j < NQ; j++) {
                double q = QS[j];
                assert_rel(gt_gen_var(&s, lam, q, 0), t * t * pow(s0 / t, 2 * (1 - q)), 1e-13);
                if (q == 0 && m != GT_ONELAYER) {
                    assert_rel(gt_gen_var(&s, lam, q, 1e3), s0 * s0, 1e-13);
                    continue;
                }
                assert_rel(gt_gen_var(&s, lam, q, INFINITY), fin, 1e-13);
                assert_rel(gt_gen_var(&s, lam, q, 1e12), fin, 1e-12);
            }
            assert_rel(gt_gen_var(&s, lam, 0, 0), s0 * s0, 1e-13);
        }
    }
}

/* Settings without a closed form go through the quadrature; their limits are known. VP:
 * tau = 0 gives psi~ = alpha Q, integral Q [asinh(1/sigma_0) - asinh(1/sigma_T)]; EDM eps at
 * tau = 0: psi = 1 - sigma Q; every diffusion setting converges to the optimum's limit. */
static void test_quadrature_limits(void **st)
{
    (void)st;
    gt_setup vp = setup(GT_ONELAYER), eps = setup(GT_ONELAYER);
    vp.process = GT_VP;
    eps.objective = GT_EPS;
    double s0 = vp.sigma_min, t = vp.sigma_max, st0 = (1 + t * t) * pow(s0 / t, 2);
    assert_false(gt_has_closed_form(&vp));
    assert_rel(gt_start_var(&vp), 1 + t * t, 1e-15);
    for (int j = 0; j < NQ; j++) {
        double q = QS[j];
        assert_rel(gt_gen_var(&vp, 1.0, q, 0), st0 * exp(2 * q * (asinh(1 / s0) - asinh(1 / t))),
                   1e-10);
        assert_rel(gt_gen_var(&eps, 1.0, q, 0), t * t * exp(-2 * q * (t - s0)), 1e-10);
    }
    for (int i = 0; i < NL; i++) {
        double lam = LAMS[i], fin = (lam + s0 * s0) / (lam + t * t);
        assert_rel(gt_gen_var(&vp, lam, 0.1, INFINITY), (1 + t * t) * fin, 1e-10);
        assert_rel(gt_gen_var(&eps, lam, 0.1, INFINITY), t * t * fin, 1e-10);
        vp.objective = GT_EPS;
        assert_rel(gt_gen_var(&vp, lam, 0.1, INFINITY), (1 + t * t) * fin, 1e-10);
        vp.objective = GT_X0;
        assert_rel(gt_gen_var_quad(&vp, lam, 0.1, 30), pf_variance(&vp, lam, 0.1, 30), 1e-8);
    }
}

static void test_flowmatch_converges(void **st)
{
    (void)st;
    gt_setup s = setup(GT_FLOWMATCH);
    for (int i = 0; i < NL; i++)
        for (int j = 0; j < NQ; j++) {
            assert_rel(gt_gen_var(&s, LAMS[i], QS[j], INFINITY), LAMS[i], 1e-14);
            assert_rel(gt_gen_var(&s, LAMS[i], QS[j], 1e6), LAMS[i], 1e-12);
            assert_rel(gt_gen_var(&s, LAMS[i], QS[j], 0), exp(2 * QS[j]), 1e-14);
        }
}

/* ---- discrete GD, losses, KL, emergence, alpha ------------------------------------------- */

static void test_gd_steps_and_bound(void **st)
{
    (void)st;
    gt_setup s = setup(GT_ONELAYER);
    s.dynamics = GT_GD;
    s.eta = 0.05;
    double lam = 0.3, sg = 1.2, w = 0.2;
    gt_law l = gt_law_at(&s, lam, w, sg);
    for (int n = 1; n <= 200; n++) {
        w -= 2 * s.eta * ((lam + sg * sg) * w - lam); /* w_{n+1} = w_n - eta dL/dw */
        assert_rel(gt_law_value(&l, n), w, 1e-12);    /* tau counts steps, as in §2.2 */
    }
    assert_rel(gt_gd_eta_max(&s, 30), 1 / (30 + 80.0 * 80.0), 1e-12);
    s.eta = 1.01 * gt_gd_eta_max(&s, 30);
    l = gt_law_at(&s, 30, 0.2, 80);
    assert_true(fabs(gt_law_value(&l, 1e4)) > 1e10); /* unstable beyond the bound */
    assert_true(isnan(gt_law_value(&l, INFINITY)));
    s.eta *= 0.98;
    l = gt_law_at(&s, 30, 0.2, 80);
    assert_rel(gt_law_value(&l, 1e6), 30 / (30 + 6400.0), 1e-9);
}

/* Discrete GD tends to the gradient flow as eta -> 0 at the same tau: |GD - flow| <= C eta with
 * C = (k a)^2 tau e^{-k eta a tau} |Q - w*| / 2 (the gap between (1 - x)^n and e^{-nx}, plus the
 * rounding of tau to a step); n = tau/eta, the clock used before, misses by O(1). */
static double gd_flow_gap(double eta, int old_clock)
{
    gt_setup s = setup(GT_ONELAYER);
    s.eta = eta;
    double lam = 0.3, sg = 1.2, q = 0.2, a = lam + sg * sg, worst = 0;
    gt_law f = gt_law_at(&s, lam, q, sg);
    s.dynamics = GT_GD;
    gt_law g = gt_law_at(&s, lam, q, sg);
    for (double tau = 100; tau <= 1000; tau += 100) {
        double gd = gt_law_value(&g, old_clock ? tau / eta : tau), fl = gt_law_value(&f, tau);
        double bound = (2 * a) * (2 * a) * eta * eta * tau * fabs(q - lam / a) / 2 + 2 * eta * a;
        worst = fmax(worst, fabs(gd - fl) / bound);
    }
    return worst;
}

static void test_gd_tends_to_flow(void **st)
{
    (void)st;
    for (double eta = 1e-2; eta >= 1e-4; eta /= 10)
        assert_true(gd_flow_gap(eta, 0) <= 1.0);
    assert_true(gd_flow_gap(1e-3, 1) > 1.0); /* the wrong clock */
    /* The emergence time on the same clock: GD's continuous step count -> the flow's tau. */
    gt_setup s = setup(GT_ONELAYER);
    s.eta = 1e-4;
    double tf = gt_weight_emergence(&s, 0.3, 0.2, 1.2, GT_GEOMETRIC);
    s.dynamics = GT_GD;
    double tg = gt_weight_emergence(&s, 0.3, 0.2, 1.2, GT_GEOMETRIC);
    assert_true(isfinite(tf) && fabs(tg / tf - 1) < 2 * s.eta * (0.3 + 1.44));
}

static void test_loss_curve(void **st)
{
    (void)st;
    gt_setup s = setup(GT_ONELAYER);
    double lam = 0.4, sg = 0.7, q = 0.05, a = lam + sg * sg, ws = lam / a;
    for (double tau = 0; tau < 5; tau += 0.5) { /* §2.2: L* + (lambda + s^2)(Q - w*)^2 e^-4eta.. */
        double want = sg * sg * lam / a + a * (q - ws) * (q - ws) * exp(-4 * s.eta * tau * a);
        assert_rel(gt_mode_loss(&s, lam, q, sg, tau), want, 1e-13);
    }
    assert_rel(gt_mode_loss(&s, lam, q, sg, INFINITY), gt_mode_loss_min(&s, lam, sg), 1e-15);
}

static void test_kl(void **st)
{
    (void)st;
    double lam[3] = {1, 0.5, 0.01}, gen[3] = {1, 1, 0.01}, gd, dg;
    gt_kl(3, lam, gen, &gd, &dg);
    assert_rel(gd, 0.5 * (2 - 1 - log(2.0)), 1e-14);
    assert_rel(dg, 0.5 * (0.5 - 1 + log(2.0)), 1e-14);
    gen[1] = 0.5 * (1 + 1e-9); /* r near 1: (r - 1)^2 / 4, not rounding noise */
    gt_kl(3, lam, gen, &gd, &dg);
    assert_rel(gd, 0.25e-18, 1e-6);
    assert_rel(dg, 0.25e-18, 1e-6);
}

static void test_emergence_crossing(void **st)
{
    (void)st;
    for (int m = GT_ONELAYER; m <= GT_FLOWMATCH; m++) {
        gt_setup s = setup((gt_model)m);
        for (int c = GT_GEOMETRIC; c <= GT_ARITHMETIC; c++)
            for (int i = 0; i < NL; i++) {
                gt_emergence e;
                gt_emerge(&s, LAMS[i], 0.01, (gt_criterion)c, 1e-3, 1e8, 100, &e);
                assert_true(e.branch != 0 && isfinite(e.tau));
                assert_rel(gt_gen_var(&s, LAMS[i], 0.01, e.tau), e.target, 1e-10);
                assert_rel(e.target, gt_criterion_mean((gt_criterion)c, e.initial, e.final), 1e-15);
            }
    }
    gt_setup one = setup(GT_ONELAYER);
    gt_emergence e, late;
    gt_emerge(&one, 1.0, 0.01, GT_GEOMETRIC, 1e-3, 1e8, 100, &e);  /* crossing before tau_min: */
    gt_emerge(&one, 1.0, 0.01, GT_GEOMETRIC, 1e3, 1e8, 20, &late); /* bracket [0, tau_min] */
    assert_rel(late.tau, e.tau, 1e-10);
    gt_setup two = setup(GT_TWOLAYER);
    gt_emerge(&two, 1.0, 0.0, GT_GEOMETRIC, 1e-3, 1e8, 100, &e); /* Q = 0 never learns */
    assert_int_equal(e.branch, 0);
    assert_true(isnan(e.tau));
}

static void test_fit_alpha(void **st)
{
    (void)st;
    double lam[6] = {1, 0.5, 0.2, 0.1, 0.05, 0.01}, tau[6];
    int use[6] = {1, 1, 1, 1, 1, 1};
    for (int k = 0; k < 6; k++)
        tau[k] = 3 * pow(lam[k], -1.25);
    gt_fit f;
    gt_fit_alpha(6, lam, tau, use, 0.95, &f);
    assert_int_equal(f.n, 6);
    assert_rel(f.alpha, 1.25, 1e-12);
    assert_true(f.hi - f.lo < 1e-10);
    tau[2] *= 1.2, tau[4] = NAN, use[5] = 0; /* scatter, one censored, one left out */
    gt_fit_alpha(6, lam, tau, use, 0.95, &f);
    assert_int_equal(f.n, 4);
    assert_true(f.lo < 1.25 && 1.25 < f.hi && f.lo < f.alpha && f.alpha < f.hi);
    use[0] = use[1] = 0;
    gt_fit_alpha(6, lam, tau, use, 0.95, &f);
    assert_true(isfinite(f.alpha) && isnan(f.lo));
}

/* §3.4: for small Q the exponent lies near 1 (d = 64, lambda_k = 1/k, geometric criterion,
 * sigma_0 = 0.002, sigma_T = 80, no preconditioning: all fixed). Measured 0.98-1.00. */
static void test_alpha_near_one(void **st)
{
    (void)st;
    enum { D = 64 };
    double lam[D];
    gt_spectrum_law(GT_SPEC_POWER, D, 1.0, 1.0, 0.0, lam);
    for (int m = GT_ONELAYER; m <= GT_BALANCED; m++) {
        gt_setup s = setup((gt_model)m);
        gt_emergence e[D];
        for (int k = 0; k < D; k++)
            gt_emerge(&s, lam[k], 0.01, GT_GEOMETRIC, 1e-3, 1e7, 200, &e[k]);
        gt_fit f[GT_NFIT];
        gt_fit_branches(D, lam, e, 0, 0.95, f);
        print_message("model %d: alpha = %.4f [%.4f, %.4f], %d modes\n", m, f[0].alpha, f[0].lo,
                      f[0].hi, f[0].n);
        assert_int_equal(f[GT_FIT_INCREASING].n, D);
        assert_true(f[0].alpha > 0.95 && f[0].alpha < 1.05);
    }
}

/* Q between the targets splits the modes into increasing and decreasing branches (§3.4). */
static void test_branches(void **st)
{
    (void)st;
    enum { D = 32 };
    double lam[D];
    gt_spectrum_law(GT_SPEC_POWER, D, 2.0, 10.0, 0.0, lam); /* 10 .. 0.01 */
    gt_setup s = setup(GT_ONELAYER);                        /* tau = 0 level 0.16 at Q = 0.5 */
    gt_emergence e[D];
    for (int k = 0; k < D; k++)
        gt_emerge(&s, lam[k], 0.5, GT_GEOMETRIC, 1e-3, 1e8, 100, &e[k]);
    gt_fit f[GT_NFIT];
    gt_fit_branches(D, lam, e, 0, 0.95, f);
    assert_true(f[GT_FIT_INCREASING].n > 2 && f[GT_FIT_DECREASING].n > 2);
    assert_int_equal(f[GT_FIT_INCREASING].n + f[GT_FIT_DECREASING].n, f[GT_FIT_ALL].n);
    for (int k = 0; k < D; k++)
        assert_int_equal(e[k].branch, e[k].final > 0.16 ? 1 : -1);
}

static void test_spectra(void **st)
{
    (void)st;
    double x[8];
    gt_spectrum_law(GT_SPEC_POWER, 8, 1.5, 2.0, 0, x);
    assert_rel(x[3], 2.0 * pow(4.0, -1.5), 1e-15);
    gt_spectrum_law(GT_SPEC_EXPONENTIAL, 8, 0.5, 2.0, 0, x);
    assert_rel(x[3], 2.0 * exp(-1.5), 1e-15);
    gt_spectrum_law(GT_SPEC_LOGNORMAL, 8, 0, 1.0, 2.0, x);
    for (int k = 0; k < 8; k++) /* symmetric quantiles of ln lambda, descending */
        assert_rel(log(x[k]), -log(x[7 - k]), 1e-12);
    assert_true(x[0] > x[7]);
    assert_int_equal(gt_spectrum_bad(8, x), -1);
    x[5] = -1;
    assert_int_equal(gt_spectrum_bad(8, x), 5);
    x[2] = NAN;
    assert_int_equal(gt_spectrum_bad(8, x), 2);
    x[2] = 0;
    assert_int_equal(gt_spectrum_bad(3, x), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_weights_vs_ode),
        cmocka_unit_test(test_wrong_rate_fails),
        cmocka_unit_test(test_onelayer_rate),
        cmocka_unit_test(test_twolayer_emergence),
        cmocka_unit_test(test_variances_closed_vs_numeric),
        cmocka_unit_test(test_variance_limits),
        cmocka_unit_test(test_quadrature_limits),
        cmocka_unit_test(test_flowmatch_converges),
        cmocka_unit_test(test_gd_steps_and_bound),
        cmocka_unit_test(test_gd_tends_to_flow),
        cmocka_unit_test(test_loss_curve),
        cmocka_unit_test(test_kl),
        cmocka_unit_test(test_emergence_crossing),
        cmocka_unit_test(test_fit_alpha),
        cmocka_unit_test(test_alpha_near_one),
        cmocka_unit_test(test_branches),
        cmocka_unit_test(test_spectra),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
