/* Unit tests of the closed-form diffusion quantities (shared/science/mcm-model.md §2.3–2.7, §5,
 * validation targets V7–V9, V11, V19).
 *
 * Statistical tests use fixed seeds and i.i.d. samples (x0 from mcm_sample or a clone, x_t from
 * diff_forward with the same (seed, task, index)); each per-sample quantity gives its mean and
 * standard error SE = sd / sqrt(n); tolerance 5 SE (of the difference, for two independent
 * estimates). Paired differences (two denoisers on the same samples) remove the common noise, so
 * small effects such as the fourth-cumulant gain along v are resolved. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/act.h"
#include "core/bayes.h"
#include "core/diffusion.h"
#include "core/mcm.h"

#include <math.h>
#include <stdio.h>

enum { D = 16 };
static const size_t N_MC = 200000;
static const uint32_t SEED = 777u, TASK = 5u;
#define T_OU 0.5

/* ---------------------------------------------------------------- helpers */

typedef struct {
    double n, s, ss;
} acc;

static void acc_add(acc *a, double x)
{
    a->n += 1.0, a->s += x, a->ss += x * x;
}
static double acc_mean(const acc *a)
{
    return a->s / a->n;
}
static double acc_se(const acc *a)
{
    double m = acc_mean(a);
    return sqrt(fmax(a->ss / a->n - m * m, 0.0) / (a->n - 1.0));
}

/* |mean - target| <= 5 SE; with `other`, the difference of two independent means. */
static void check_acc(const char *what, const acc *a, const acc *other, double target)
{
    double est = acc_mean(a) - (other ? acc_mean(other) : 0.0);
    double se = other ? hypot(acc_se(a), acc_se(other)) : acc_se(a);
    printf("  %-40s est % .6f  target % .6f  se %.6f\n", what, est, target, se);
    assert_true(fabs(est - target) <= 5.0 * se + 1e-12);
}

static mcm_params params(mcm_coupling cpl, mcm_nu_law law)
{
    mcm_params p = {.d = D, .nu_law = law, .coupling = cpl};
    p.beta_m = 2.0, p.beta_u = 5.0, p.beta_v = 5.0, p.skew_q = 0.3;
    p.whitening = MCM_WHITEN_SPIKE, p.spikes = MCM_SPIKES_QR, p.mixture = MCM_MIX_NONE;
    p.mean_term = MCM_MEAN_PLAIN;
    return p;
}

static void ou(double t, double *al, double *sg)
{
    *al = exp(-t), *sg = sqrt(-expm1(-2.0 * t));
}

/* Sample i: x0 from the model (clone < 0) or a clone, x_t = alpha x0 + sigma xi. */
static void draw(const mcm_model *mod, const bayes_t *b, int clone, uint64_t i, double *x0,
                 double *xt)
{
    if (clone < 0)
        mcm_sample(mod, SEED, TASK, i, x0, NULL, NULL, NULL);
    else
        bayes_clone_sample(mod, (bayes_clone)clone, SEED, TASK, RNG_EVAL, i, x0);
    diff_forward(b->alpha, b->sigma, SEED, TASK, i, D, x0, xt);
}

static double sqdist(const double *a, const double *b)
{
    double s = 0.0;
    for (int i = 0; i < D; i++)
        s += (a[i] - b[i]) * (a[i] - b[i]);
    return s;
}

/* ---------------------------------------------------------------- closed-form checks */

static void test_init_and_flags(void **state)
{
    (void)state;
    mcm_params p = params(MCM_COUPLE_INDEPENDENT, MCM_NU_RADEMACHER);
    bayes_t b;
    double al, sg;
    ou(T_OU, &al, &sg);
    assert_int_equal(bayes_init(&b, &p, al, sg), 1);
    double bb = sqrt(5.0 / 6.0), s2 = 1.0 - exp(-1.0);
    assert_true(fabs(b.omega - 1.0) < 1e-15 && fabs(b.s2 - s2) < 1e-15);
    assert_true(fabs(b.a - al * bb) < 1e-15 && fabs(b.b - bb) < 1e-15);
    assert_true(fabs(b.gamma_u - al * 5.0 * s2 / (1.0 + 5.0 * al * al)) < 1e-15);
    bayes_init(&b, &p, 1.0, 0.7); /* VE: VP pair (1, 0.7) / sqrt(1.49) */
    assert_true(fabs(b.omega - sqrt(1.49)) < 1e-15 && fabs(b.s2 - 0.49 / 1.49) < 1e-15);
    assert_true(fabs(b.a - bb / sqrt(1.49)) < 1e-15);
    /* coupling, nu law, whitening, spikes, mixture, exact */
    const int cases[7][6] = {
        {MCM_COUPLE_INDEPENDENT, MCM_NU_GAUSSIAN, MCM_WHITEN_SPIKE, MCM_SPIKES_AXES, 0, 1},
        {MCM_COUPLE_INDEPENDENT, MCM_NU_SKEWED, MCM_WHITEN_FULL, MCM_SPIKES_QR, 0, 1},
        {MCM_COUPLE_SIGN, MCM_NU_GAUSSIAN, MCM_WHITEN_SPIKE, MCM_SPIKES_QR, 0, 1},
        {MCM_COUPLE_SIGN, MCM_NU_RADEMACHER, MCM_WHITEN_FULL, MCM_SPIKES_QR, 0, 0},
        {MCM_COUPLE_THRESHOLD, MCM_NU_RADEMACHER, MCM_WHITEN_SPIKE, MCM_SPIKES_QR, 0, 0},
        {MCM_COUPLE_INDEPENDENT, MCM_NU_RADEMACHER, MCM_WHITEN_SPIKE, MCM_SPIKES_RANDOM, 0, 0},
        {MCM_COUPLE_INDEPENDENT, MCM_NU_RADEMACHER, MCM_WHITEN_SPIKE, MCM_SPIKES_QR, 1, 0},
    };
    for (int k = 0; k < 7; k++) {
        p.coupling = (mcm_coupling)cases[k][0], p.nu_law = (mcm_nu_law)cases[k][1];
        p.whitening = (mcm_whitening)cases[k][2], p.spikes = (mcm_spikes)cases[k][3];
        p.mixture = cases[k][4] ? MCM_MIX_LABELLED : MCM_MIX_NONE;
        assert_int_equal(bayes_init(&b, &p, al, sg), cases[k][5]);
        if (cases[k][5]) continue;
        mcm_model mod;
        mcm_init(&mod, &p, SEED, TASK);
        double x[D], out[D], su, sv;
        mcm_sample(&mod, SEED, TASK, 0, x, NULL, NULL, NULL);
        bayes_denoise(&b, &mod, x, out);
        assert_true(isnan(out[0]) && isnan(out[D - 1]));
        bayes_score(&b, &mod, x, out);
        assert_true(isnan(out[3]));
        bayes_score_uv(&b, 0.1, 0.2, &su, &sv);
        assert_true(isnan(su) && isnan(sv));
        assert_true(isnan(bayes_mmse(&b)) && isnan(bayes_mmse_v(&b)) && isnan(bayes_mmse_u(&b)));
        mcm_free(&mod);
    }
}

/* log p(h_u, h_v) written directly in the schedule's units (no VP reduction):
 * h_u = C lambda + N(0, V), C = alpha sqrt(beta_u), V = alpha^2 + sigma^2;
 * h_v = alpha b nu + N(0, W), W = alpha^2 (1 - b^2) + sigma^2. Sign coupling (§2.5):
 * p(h_u, nu = +1) = N(h_u; 0, C^2 + V) Phi(C h_u / sqrt(V (C^2 + V))). */
static double log_norm(double x, double m, double v)
{
    return -0.5 * (x - m) * (x - m) / v - 0.5 * log(2.0 * M_PI * v);
}

static double log_density(const mcm_params *p, double al, double sg, double hu, double hv)
{
    double b = sqrt(mcm_b2(p)), C = al * sqrt(p->beta_u), V = al * al + sg * sg;
    double W = al * al * (1.0 - b * b) + sg * sg, ab = al * b;
    if (p->coupling == MCM_COUPLE_SIGN) {
        double k = C * hu / sqrt(2.0 * V * (C * C + V)), P = 0.5 * erfc(-k), Q = 0.5 * erfc(k);
        return log_norm(hu, 0.0, C * C + V) +
               log(P * exp(log_norm(hv, ab, W)) + Q * exp(log_norm(hv, -ab, W)));
    }
    double lu = log_norm(hu, 0.0, C * C + V);
    if (p->nu_law == MCM_NU_GAUSSIAN) return lu + log_norm(hv, 0.0, V);
    double q = p->nu_law == MCM_NU_SKEWED ? p->skew_q : 0.5, s = sqrt(q - q * q);
    double hi = p->nu_law == MCM_NU_SKEWED ? (1.0 - q) / s : 1.0;
    double lo = p->nu_law == MCM_NU_SKEWED ? -q / s : -1.0;
    return lu + log(q * exp(log_norm(hv, ab * hi, W)) + (1.0 - q) * exp(log_norm(hv, ab * lo, W)));
}

/* §2.3, §2.5: the score is the gradient of the log-density (central differences). */
static void test_score_fd(void **state)
{
    (void)state;
    const mcm_coupling cp[4] = {MCM_COUPLE_INDEPENDENT, MCM_COUPLE_INDEPENDENT,
                                MCM_COUPLE_INDEPENDENT, MCM_COUPLE_SIGN};
    const mcm_nu_law nl[4] = {MCM_NU_RADEMACHER, MCM_NU_GAUSSIAN, MCM_NU_SKEWED, MCM_NU_RADEMACHER};
    double sched[3][2] = {{0, 0}, {1.0, 0.7}, {0.3, 0.2}}, e = 1e-5, worst = 0.0;
    ou(T_OU, &sched[0][0], &sched[0][1]);
    for (int k = 0; k < 4; k++)
        for (int s = 0; s < 3; s++) {
            mcm_params p = params(cp[k], nl[k]);
            bayes_t b;
            double al = sched[s][0], sg = sched[s][1];
            bayes_init(&b, &p, al, sg);
            for (double hu = -4.0; hu <= 4.0; hu += 0.7)
                for (double hv = -3.0; hv <= 3.0; hv += 0.45) {
                    double su, sv;
                    bayes_score_uv(&b, hu, hv, &su, &sv);
                    double fu = (log_density(&p, al, sg, hu + e, hv) -
                                 log_density(&p, al, sg, hu - e, hv)) /
                                (2 * e);
                    double fv = (log_density(&p, al, sg, hu, hv + e) -
                                 log_density(&p, al, sg, hu, hv - e)) /
                                (2 * e);
                    double err = fmax(fabs(su - fu), fabs(sv - fv)) / (1.0 + fabs(su) + fabs(sv));
                    worst = fmax(worst, err);
                    assert_true(err < 1e-7);
                }
        }
    printf("  worst relative score error vs finite differences: %.2e\n", worst);
}

/* §2.4: D* = (x + sigma^2 s) / alpha for every schedule; in VP it is eq. (5) with the matched
 * activations of act.c. */
static void test_tweedie_and_eq5(void **state)
{
    (void)state;
    double sched[3][2] = {{0, 0}, {1.0, 0.7}, {0.4, 1.3}};
    ou(T_OU, &sched[0][0], &sched[0][1]);
    for (int cpl = 0; cpl < 2; cpl++)
        for (int s = 0; s < 3; s++) {
            mcm_params p =
                params(cpl ? MCM_COUPLE_SIGN : MCM_COUPLE_INDEPENDENT, MCM_NU_RADEMACHER);
            mcm_model mod;
            mcm_init(&mod, &p, SEED, TASK);
            bayes_t b;
            double al = sched[s][0], sg = sched[s][1], x0[D], xt[D], sc[D], dn[D];
            bayes_init(&b, &p, al, sg);
            act_fn fu = act_make(ACT_MATCHED_U, 1.0, 0, al, sg, p.beta_u, p.beta_v);
            act_fn fv = act_make(ACT_MATCHED_V, 1.0, 0, al, sg, p.beta_u, p.beta_v);
            for (uint64_t i = 0; i < 200; i++) {
                draw(&mod, &b, -1, i, x0, xt);
                bayes_score(&b, &mod, xt, sc);
                bayes_denoise(&b, &mod, xt, dn);
                double hu = mcm_dot(mod.u, xt, D), hv = mcm_dot(mod.v, xt, D), du, dv;
                bayes_denoise_uv(&b, hu, hv, &du, &dv);
                assert_true(fabs(du - mcm_dot(mod.u, dn, D)) < 1e-12);
                assert_true(fabs(dv - mcm_dot(mod.v, dn, D)) < 1e-12);
                for (int j = 0; j < D; j++) {
                    double tw = (xt[j] + sg * sg * sc[j]) / al, eq5 = al * xt[j];
                    assert_true(fabs(dn[j] - tw) < 1e-12 * (1.0 + fabs(tw)));
                    if (s > 0 || cpl) continue; /* eq. (5) is the VP independent form */
                    eq5 += p.beta_m * sg * sg * mod.m[j] + act_f(&fu, hu) * mod.u[j] +
                           act_f(&fv, hv) * mod.v[j];
                    assert_true(fabs(dn[j] - eq5) < 1e-12);
                }
            }
            mcm_free(&mod);
        }
}

/* ---------------------------------------------------------------- Bayes error, quadrature */

/* 1 - E[D_v^2] and (1 + beta_u) - E[D_u^2] on a fine test-side grid over the density of h:
 * a second route to the error (posterior mean instead of posterior variance). */
static void mmse_by_means(const bayes_t *b, double *mu, double *mv)
{
    const double hs = 0.025, Z = 10.0;
    double C = b->alpha * sqrt(b->p.beta_u), V = b->omega * b->omega, Su = sqrt(C * C + V);
    double ab = b->alpha * b->b, W = b->alpha * b->alpha * (1 - b->b * b->b) + b->sigma * b->sigma;
    double eu = 0.0, ev = 0.0;
    for (double zu = -Z; zu <= Z; zu += hs) {
        double hu = Su * zu, P = 0.5 * erfc(-C * hu / sqrt(2.0 * V * (C * C + V)));
        for (int nu = -1; nu <= 1; nu += 2)
            for (double zv = -Z; zv <= Z; zv += hs) {
                double hv = nu * ab + sqrt(W) * zv, du, dv;
                double w = hs * hs * exp(-0.5 * (zu * zu + zv * zv)) / (2.0 * M_PI);
                bayes_denoise_uv(b, hu, hv, &du, &dv);
                w *= b->coupled ? (nu > 0 ? P : 1.0 - P) : 0.5;
                eu += w * du * du, ev += w * dv * dv;
            }
    }
    *mu = 1.0 + b->p.beta_u - eu;
    *mv = 1.0 - ev;
}

static void test_mmse_quadrature(void **state)
{
    (void)state;
    mcm_params p = params(MCM_COUPLE_INDEPENDENT, MCM_NU_RADEMACHER);
    bayes_t b, c;
    double al, sg;
    ou(T_OU, &al, &sg);
    bayes_init(&b, &p, al, sg);
    /* §2.7 literally: MMSE_v = 1 - E[(alpha h + f_v(h))^2] over the two-component mixture. */
    act_fn fv = act_make(ACT_MATCHED_V, 1.0, 0, al, sg, p.beta_u, p.beta_v);
    double e2 = 0.0, hs = 1e-3, sq = sqrt(1.0 - b.a * b.a);
    for (double z = -12.0; z <= 12.0; z += hs) {
        double h = b.a + sq * z, y = al * h + act_f(&fv, h);
        e2 += hs * exp(-0.5 * z * z) / sqrt(2.0 * M_PI) * y * y;
    }
    printf("  MMSE_v %.12f  literal §2.7 %.12f  gain %.6f\n", bayes_mmse_v(&b), 1.0 - e2,
           b.s2 - bayes_mmse_v(&b));
    assert_true(fabs(bayes_mmse_v(&b) - (1.0 - e2)) < 1e-10);
    assert_true(b.s2 - bayes_mmse_v(&b) > 5e-3); /* fourth-cumulant gain (V9) */
    double tot = (D - 2) * b.s2 + 6.0 * b.s2 / (1.0 + 5.0 * al * al) + bayes_mmse_v(&b);
    assert_true(fabs(bayes_mmse(&b) - tot) < 1e-12);
    /* Schedule invariance (§2.1) and the limits alpha = 0 (D* = mean) and sigma = 0. */
    bayes_init(&c, &p, 3.0 * al, 3.0 * sg);
    assert_true(fabs(bayes_mmse(&c) - bayes_mmse(&b)) < 1e-12);
    bayes_init(&c, &p, 0.0, 1.0);
    assert_true(fabs(bayes_mmse(&c) - (D + p.beta_u)) < 1e-10);
    bayes_init(&c, &p, 1.0, 0.0);
    assert_true(fabs(bayes_mmse(&c)) < 1e-14);
    p.nu_law = MCM_NU_GAUSSIAN; /* linear along v: error sigma^2 / omega^2 */
    bayes_init(&c, &p, 1.0, 0.7);
    assert_true(fabs(bayes_mmse_v(&c) - c.s2) < 1e-14);
    /* Sign coupling with beta_u -> 0 decouples: the 2-D quadrature meets the 1-D one. */
    p = params(MCM_COUPLE_SIGN, MCM_NU_RADEMACHER);
    p.beta_u = 1e-14;
    bayes_init(&c, &p, al, sg);
    assert_true(fabs(bayes_mmse_v(&c) - bayes_mmse_v(&b)) < 1e-10);
    assert_true(fabs(bayes_mmse_u(&c) - c.s2) < 1e-10);
    /* Posterior-variance route = posterior-mean route, OU and VE, both couplings. */
    double sched[2][2] = {{al, sg}, {1.0, 0.7}};
    for (int cpl = 0; cpl < 2; cpl++)
        for (int s = 0; s < 2; s++) {
            p = params(cpl ? MCM_COUPLE_SIGN : MCM_COUPLE_INDEPENDENT, MCM_NU_RADEMACHER);
            bayes_init(&c, &p, sched[s][0], sched[s][1]);
            double mu, mv;
            mmse_by_means(&c, &mu, &mv);
            printf("  coupled %d sched %d: u %.10f (%.10f)  v %.10f (%.10f)\n", cpl, s,
                   bayes_mmse_u(&c), mu, bayes_mmse_v(&c), mv);
            assert_true(fabs(bayes_mmse_u(&c) - mu) < 1e-8 && fabs(bayes_mmse_v(&c) - mv) < 1e-8);
        }
}

/* ---------------------------------------------------------------- Monte Carlo: V7, V8, V9 */

/* V8: E[s_v h_v] = -1, E[s_u h_v] = 0, E[s_v h_u h_v^2] = -2 E[h_u h_v], plus E[s_u h_u] = -1
 * and E[s_r h_r] = -1 along the probe r (full score, orthogonal part). */
static void stein_case(mcm_coupling cpl, double al, double sg)
{
    mcm_params p = params(cpl, MCM_NU_RADEMACHER);
    mcm_model mod;
    mcm_init(&mod, &p, SEED, TASK);
    bayes_t b;
    bayes_init(&b, &p, al, sg);
    double x0[D], xt[D], s[D], r[D];
    mcm_probe(&mod, SEED, TASK, r);
    acc a[5] = {{0}};
    for (uint64_t i = 0; i < N_MC; i++) {
        draw(&mod, &b, -1, i, x0, xt);
        double hu = mcm_dot(mod.u, xt, D), hv = mcm_dot(mod.v, xt, D), su, sv;
        bayes_score_uv(&b, hu, hv, &su, &sv);
        acc_add(&a[0], sv * hv);
        acc_add(&a[1], su * hv);
        acc_add(&a[2], sv * hu * hv * hv + 2.0 * hu * hv);
        acc_add(&a[3], su * hu);
        if (i % 8) continue; /* full score: a subsample is enough */
        bayes_score(&b, &mod, xt, s);
        acc_add(&a[4], mcm_dot(r, s, D) * mcm_dot(r, xt, D));
    }
    printf(" Stein, coupling %d, alpha %.3f sigma %.3f:\n", (int)cpl, al, sg);
    check_acc("E[s_v h_v]", &a[0], NULL, -1.0);
    check_acc("E[s_u h_v]", &a[1], NULL, 0.0);
    check_acc("E[s_v h_u h_v^2] + 2 E[h_u h_v]", &a[2], NULL, 0.0);
    check_acc("E[s_u h_u]", &a[3], NULL, -1.0);
    check_acc("E[s_r h_r] (probe)", &a[4], NULL, -1.0);
    mcm_free(&mod);
}

static void test_stein(void **state)
{
    (void)state;
    double al, sg;
    ou(T_OU, &al, &sg);
    stein_case(MCM_COUPLE_INDEPENDENT, al, sg);
    stein_case(MCM_COUPLE_SIGN, al, sg);
    stein_case(MCM_COUPLE_SIGN, 1.0, 0.7);
}

/* V9 / V11: Monte Carlo error of D* = bayes_mmse (total and per direction); paired excess of
 * perturbed denoisers = E|delta|^2 (Pythagoras, §2.6): D* + eps u (u.x) and, independent
 * latents, the best linear map along v (excess = the fourth-cumulant gain).
 * V7: least-squares slope of u.x0 on h_u = u.x_t, alpha (1 + beta_u) / (alpha^2 (1 + beta_u) +
 * sigma^2) (x0_u, h_u jointly Gaussian also when coupled); SE from the residuals. */
static void mmse_case(mcm_coupling cpl, mcm_nu_law law, double al, double sg)
{
    const double eps = 0.05;
    mcm_params p = params(cpl, law);
    mcm_model mod;
    mcm_init(&mod, &p, SEED, TASK);
    bayes_t b;
    bayes_init(&b, &p, al, sg);
    double x0[D], xt[D], dn[D], lin_v = al / (b.omega * b.omega);
    double var_hu = al * al * (1.0 + p.beta_u) + sg * sg, slope = al * (1.0 + p.beta_u) / var_hu;
    acc tot = {0}, eu = {0}, ev = {0}, em = {0}, pu = {0}, pv = {0}, res = {0};
    double sxy = 0.0, sxx = 0.0;
    for (uint64_t i = 0; i < N_MC; i++) {
        draw(&mod, &b, -1, i, x0, xt);
        bayes_denoise(&b, &mod, xt, dn);
        double hu = mcm_dot(mod.u, xt, D), hv = mcm_dot(mod.v, xt, D);
        double ru = mcm_dot(mod.u, x0, D) - mcm_dot(mod.u, dn, D);
        double rv = mcm_dot(mod.v, x0, D) - mcm_dot(mod.v, dn, D);
        acc_add(&tot, sqdist(x0, dn));
        acc_add(&eu, ru * ru);
        acc_add(&ev, rv * rv);
        acc_add(&em, pow(mcm_dot(mod.m, x0, D) - mcm_dot(mod.m, dn, D), 2));
        acc_add(&pu, pow(ru - eps * hu, 2) - ru * ru);
        double rl = mcm_dot(mod.v, x0, D) - lin_v * hv;
        acc_add(&pv, rl * rl - rv * rv);
        sxy += hu * mcm_dot(mod.u, x0, D), sxx += hu * hu;
        acc_add(&res, mcm_dot(mod.u, x0, D) - slope * hu);
    }
    printf(" MMSE, coupling %d, nu law %d, alpha %.3f sigma %.3f:\n", (int)cpl, (int)law, al, sg);
    check_acc("total |x0 - D*|^2", &tot, NULL, bayes_mmse(&b));
    check_acc("along u", &eu, NULL, bayes_mmse_u(&b));
    check_acc("along v", &ev, NULL, bayes_mmse_v(&b));
    check_acc("along m", &em, NULL, bayes_mmse_perp(&b));
    check_acc("excess of D* + eps u (u.x)", &pu, NULL, eps * eps * var_hu);
    assert_true(acc_mean(&pu) > 5.0 * acc_se(&pu));
    if (cpl == MCM_COUPLE_INDEPENDENT) {
        check_acc("excess of linear v (gain)", &pv, NULL, b.s2 - bayes_mmse_v(&b));
        if (law != MCM_NU_GAUSSIAN) assert_true(acc_mean(&pv) > 5.0 * acc_se(&pv));
    }
    double se = sqrt(res.ss / res.n / sxx);
    printf("  V7 slope of u.x0 on u.x_t %.5f  target %.5f  se %.5f\n", sxy / sxx, slope, se);
    assert_true(fabs(sxy / sxx - slope) <= 5.0 * se);
    if (fabs(b.omega - 1.0) < 1e-12) /* VP: slope = alpha + gamma_u of eq. (5) */
        assert_true(fabs(al + b.gamma_u - slope) < 1e-14);
    mcm_free(&mod);
}

static void test_mmse_monte_carlo(void **state)
{
    (void)state;
    double al, sg;
    ou(T_OU, &al, &sg);
    mmse_case(MCM_COUPLE_INDEPENDENT, MCM_NU_RADEMACHER, al, sg);
    mmse_case(MCM_COUPLE_INDEPENDENT, MCM_NU_RADEMACHER, 1.0, 0.7);
    mmse_case(MCM_COUPLE_INDEPENDENT, MCM_NU_SKEWED, al, sg);
    mmse_case(MCM_COUPLE_INDEPENDENT, MCM_NU_GAUSSIAN, 1.0, 0.7);
    mmse_case(MCM_COUPLE_SIGN, MCM_NU_RADEMACHER, al, sg);
    mmse_case(MCM_COUPLE_SIGN, MCM_NU_RADEMACHER, 1.0, 0.7);
}

/* ---------------------------------------------------------------- clones (§5, V19) */

/* Exact error of the affine D: (m, u, v) block D3 x3 + (0.1, 0, 0) with
 * D3 = [[.3, 0, 0], [0, .8, 0], [0, .2, .5]], and 0.3 x on the d - 3 other directions:
 * E|e|^2 = |(I - al D3) mu - c|^2 + tr((I - al D3) S (I - al D3)^T) + sg^2 |D3|_F^2 + bulk. */
static const double D3[3][3] = {{0.3, 0, 0}, {0, 0.8, 0}, {0, 0.2, 0.5}};

static void affine(const mcm_model *mod, const double *x, double *out)
{
    double c[3] = {0.1, 0, 0},
           h[3] = {mcm_dot(mod->m, x, D), mcm_dot(mod->u, x, D), mcm_dot(mod->v, x, D)};
    const double *w[3] = {mod->m, mod->u, mod->v};
    for (int i = 0; i < D; i++)
        out[i] = 0.3 * x[i];
    for (int k = 0; k < 3; k++) {
        double ck = c[k] - 0.3 * h[k];
        for (int j = 0; j < 3; j++)
            ck += D3[k][j] * h[j];
        for (int i = 0; i < D; i++)
            out[i] += ck * w[k][i];
    }
}

static double affine_exact(const mcm_params *p, double al, double sg)
{
    double C[2][2], S[3][3] = {{1, 0, 0}, {0, 0, 0}, {0, 0, 0}}, B[3][3], e = 0.0;
    mcm_cov_uv(p, C);
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++)
            S[i + 1][j + 1] = C[i][j];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            B[i][j] = (i == j) - al * D3[i][j];
    e += pow(B[0][0] * p->beta_m - 0.1, 2);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            for (int k = 0; k < 3; k++)
                e += B[i][j] * S[j][k] * B[i][k] + (j == k) * sg * sg * D3[i][j] * D3[i][k];
    return e + (D - 3) * (pow(1.0 - 0.3 * al, 2) + 0.09 * sg * sg);
}

/* Error along v of D* on the Gaussian clone (independent latents): x0_v ~ N(0, 1) there, so
 * E[x0_v | h] = al h / omega^2 and the error is s2 + E[(D*_v(h) - al h / omega^2)^2],
 * h ~ N(0, omega^2), by a trapezoid. */
static double clone_err_v(const bayes_t *b)
{
    double hs = 1e-3, e = 0.0, w = b->omega;
    for (double z = -12.0; z <= 12.0; z += hs) {
        double du, dv;
        bayes_denoise_uv(b, 0.0, w * z, &du, &dv);
        e += hs * exp(-0.5 * z * z) / sqrt(2.0 * M_PI) * pow(dv - b->at * z, 2);
    }
    return b->s2 + e;
}

static void clone_case(mcm_coupling cpl)
{
    mcm_params p = params(cpl, MCM_NU_RADEMACHER);
    mcm_model mod;
    mcm_init(&mod, &p, SEED, TASK);
    bayes_t b;
    double al, sg, x0[D], xt[D], dn[D];
    ou(T_OU, &al, &sg);
    bayes_init(&b, &p, al, sg);
    acc aff[2] = {{0}}, optv[2] = {{0}}, optuv[2] = {{0}};
    for (int src = 0; src < 2; src++) /* data, then the Gaussian clone: same noise xi */
        for (uint64_t i = 0; i < N_MC; i++) {
            draw(&mod, &b, src ? CLONE_GAUSS : -1, i, x0, xt);
            affine(&mod, xt, dn);
            acc_add(&aff[src], sqdist(x0, dn));
            bayes_denoise(&b, &mod, xt, dn);
            double ru = mcm_dot(mod.u, x0, D) - mcm_dot(mod.u, dn, D);
            double rv = mcm_dot(mod.v, x0, D) - mcm_dot(mod.v, dn, D);
            acc_add(&optv[src], rv * rv);
            acc_add(&optuv[src], ru * ru + rv * rv);
        }
    double ex = affine_exact(&p, al, sg);
    printf(" clone identity, coupling %d:\n", (int)cpl);
    check_acc("affine: data", &aff[0], NULL, ex);
    check_acc("affine: Gaussian clone", &aff[1], NULL, ex);
    check_acc("affine: data - clone", &aff[0], &aff[1], 0.0);
    /* D* uses the fourth cumulant (and, coupled, the latent correlation): its error in
     * span(u, v), where all of that lives, is smaller on data than on the clone. */
    const acc *o = cpl == MCM_COUPLE_INDEPENDENT ? optv : optuv; /* no gap along u if independent */
    double gap = acc_mean(&o[1]) - acc_mean(&o[0]), se = hypot(acc_se(&o[0]), acc_se(&o[1]));
    printf("  D* clone - data, along %s: %.5f (se %.5f)\n", o == optv ? "v" : "u, v", gap, se);
    assert_true(gap > 5.0 * se);
    if (cpl == MCM_COUPLE_INDEPENDENT)
        check_acc("D* along v: clone - data", &optv[1], &optv[0],
                  clone_err_v(&b) - bayes_mmse_v(&b));
    mcm_free(&mod);
}

static void test_clone_identity(void **state)
{
    (void)state;
    clone_case(MCM_COUPLE_INDEPENDENT);
    clone_case(MCM_COUPLE_SIGN);
}

/* Clone moments: Gaussian clone mean beta_m m, Cov = data Cov (rho for sign coupling), no
 * kurtosis along v; mean clone isotropic variance tr Cov / d. Labelled mixture: overall moments. */
static void clone_moments(const mcm_params *p, bayes_clone kind)
{
    mcm_model mod;
    mcm_init(&mod, p, SEED, TASK);
    double x[D], r[D], C[2][2], mean = p->beta_m, vm = 1.0;
    mcm_probe(&mod, SEED, TASK, r);
    mcm_cov_uv(p, C);
    if (p->mixture == MCM_MIX_LABELLED) mean = p->beta_m / 2, vm = 1.0 + p->beta_m * p->beta_m / 4;
    double iso = (D - 3 + vm + C[0][0] + C[1][1]) / D;
    acc a[8] = {{0}};
    for (uint64_t i = 0; i < N_MC; i++) {
        bayes_clone_sample(&mod, kind, SEED, TASK, RNG_EVAL, i, x);
        double hm = mcm_dot(mod.m, x, D) - mean, hu = mcm_dot(mod.u, x, D);
        double hv = mcm_dot(mod.v, x, D), hr = mcm_dot(r, x, D);
        double v4[8] = {hm, hm * hm, hu * hu, hv * hv, hu * hv, hr * hr, hu * hr, pow(hv, 4)};
        for (int k = 0; k < 8; k++)
            acc_add(&a[k], v4[k]);
    }
    int g = kind == CLONE_GAUSS;
    printf(" clone %s, coupling %d, mixture %d:\n", g ? "Gauss" : "mean", (int)p->coupling,
           (int)p->mixture);
    const char *name[7] = {"mean m.x - mean", "var m.x", "var u.x",      "var v.x",
                           "cov(u.x, v.x)",   "var r.x", "cov(u.x, r.x)"};
    const double target[7] = {
        0.0,           g ? vm : iso, g ? C[0][0] : iso, g ? C[1][1] : iso, g ? C[0][1] : 0.0,
        g ? 1.0 : iso, 0.0};
    for (int k = 0; k < 7; k++)
        check_acc(name[k], &a[k], NULL, target[k]);
    check_acc("E (v.x)^4 (Gaussian: 3 var^2)", &a[7], NULL, 3.0 * pow(g ? C[1][1] : iso, 2));
    mcm_free(&mod);
}

static void test_clone_moments(void **state)
{
    (void)state;
    mcm_params p = params(MCM_COUPLE_SIGN, MCM_NU_RADEMACHER);
    clone_moments(&p, CLONE_GAUSS);
    clone_moments(&p, CLONE_MEAN);
    p.coupling = MCM_COUPLE_INDEPENDENT;
    clone_moments(&p, CLONE_GAUSS);
    p.mixture = MCM_MIX_LABELLED;
    clone_moments(&p, CLONE_GAUSS);
    clone_moments(&p, CLONE_MEAN);
    /* Reproducible: the same (seed, task, purpose, index) gives the same clone sample. */
    mcm_model mod;
    mcm_init(&mod, &p, SEED, TASK);
    double a[D], b2[D];
    bayes_clone_sample(&mod, CLONE_GAUSS, SEED, TASK, RNG_EVAL, 9, a);
    bayes_clone_sample(&mod, CLONE_GAUSS, SEED, TASK, RNG_EVAL, 9, b2);
    assert_memory_equal(a, b2, sizeof a);
    bayes_clone_sample(&mod, CLONE_GAUSS, SEED, TASK, RNG_EVAL, 10, b2);
    assert_true(a[0] != b2[0]);
    mcm_free(&mod);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_and_flags),  cmocka_unit_test(test_score_fd),
        cmocka_unit_test(test_tweedie_and_eq5), cmocka_unit_test(test_mmse_quadrature),
        cmocka_unit_test(test_stein),           cmocka_unit_test(test_mmse_monte_carlo),
        cmocka_unit_test(test_clone_identity),  cmocka_unit_test(test_clone_moments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
