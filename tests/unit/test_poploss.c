/* Unit tests of the exact population losses (core/poploss.h, src/core/poploss.md).
 *
 * (1) Monte Carlo with explicit d-dimensional samples, drawn as observe.c draws its evaluation
 *     set (mcm_sample, bayes_clone_sample from RNG_EVAL, diff_forward) and denoised by the real
 *     model (model_forward, plus the engine's fixed skip): loss, err_u and err_v of every law
 *     agree within 5 standard errors (SE from the sample).
 * (2) Deliberately wrong variants (bulk dropped, mean clone of unit variance, coupling ignored)
 *     fail that same comparison.
 * (3) Exact cases: D = 0 gives E|x0|^2 / d; a linear activation gives the quadratic form of the
 *     moments computed by hand in d dimensions; the quadrature is converged (default rules vs
 *     1.6 times denser agree to 1e-10 relative). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/bayes.h"
#include "core/diffusion.h"
#include "core/mcm.h"
#include "core/model.h"
#include "core/poploss.h"
#include "core/rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { D = 40, NB = 64, NCASE = 5 };
static const long N_MC = 200000;
static const uint32_t SEED = 4242u, TASK = 3u;
static const char *const LAW[3] = {"data", "gauss", "mean"};

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

/* The comparison of (1) and (2): 1 when |MC mean - exact| <= 5 SE. */
static int mc_agrees(const char *what, const acc *a, double exact)
{
    double est = acc_mean(a), se = acc_se(a);
    int ok = fabs(est - exact) <= 5.0 * se;
    printf("  %-34s MC % .6f  exact % .6f  se %.2e  z % .2f%s\n", what, est, exact, se,
           (est - exact) / se, ok ? "" : "  (disagree)");
    return ok;
}

static void ou(double t, double *al, double *sg)
{
    *al = exp(-t), *sg = sqrt(-expm1(-2.0 * t));
}

/* ---------------------------------------------------------------- the test cases */

typedef struct {
    const char *name;
    mcm_params p;
    model_spec s;
    double c_extra; /* the engine's fixed skip (alpha) when 1 */
    double t;
} tcase;

static mcm_params base_params(void)
{
    mcm_params p = {.d = D, .beta_m = 1.0, .beta_u = 5.0, .beta_v = 5.0, .skew_q = 0.3};
    p.nu_law = MCM_NU_RADEMACHER, p.coupling = MCM_COUPLE_INDEPENDENT;
    p.whitening = MCM_WHITEN_SPIKE, p.spikes = MCM_SPIKES_QR;
    p.mixture = MCM_MIX_NONE, p.mean_term = MCM_MEAN_PLAIN;
    return p;
}

static model_spec base_spec(model_family f, int K, act_fn a, model_skip skip, double c0)
{
    model_spec s = {.family = f, .d = D, .K = K, .act = a, .skip = skip, .c0 = c0};
    s.train_a = 0, s.a0 = 1.0, s.init2 = INIT2_ZERO, s.bias = 0;
    return s;
}

static tcase make_case(int i)
{
    double al, sg;
    ou(0.5, &al, &sg);
    tcase c = {.t = 0.5, .p = base_params()};
    act_fn th = act_make(ACT_TANH, 1.0, 0, 0, 0, 0, 0);
    switch (i) {
    case 0: /* (A) fixed skip alpha outside the model, independent Rademacher, spike whitening */
        c.name = "A tanh indep";
        c.s = base_spec(MODEL_NEURON, 1, th, SKIP_NONE, 0.0), c.c_extra = 1.0;
        break;
    case 1: /* (B) trainable skip and amplitudes, nu = sign(lambda), full whitening, random */
        c.name = "B tanh sign full random";
        c.s =
            base_spec(MODEL_NEURON, 3, act_make(ACT_TANH, 0.8, 0, 0, 0, 0, 0), SKIP_TRAINABLE, 0.4);
        c.s.train_a = 1;
        c.p.coupling = MCM_COUPLE_SIGN, c.p.whitening = MCM_WHITEN_FULL;
        c.p.spikes = MCM_SPIKES_RANDOM, c.p.beta_m = 0.5;
        break;
    case 2: /* (C) with bias, ReLU, threshold coupling, labelled mixture with label mean */
        c.name = "C relu threshold labelled";
        c.s = base_spec(MODEL_TWOLAYER, 3, act_make(ACT_RELU, 1.0, 0, 0, 0, 0, 0), SKIP_FIXED, 0.5);
        c.s.bias = 1;
        c.p.coupling = MCM_COUPLE_THRESHOLD, c.p.mixture = MCM_MIX_LABELLED;
        c.p.mean_term = MCM_MEAN_LABEL, c.p.beta_m = 1.5;
        break;
    case 3: /* (C) erf, Gaussian nu, full whitening, random spikes */
        c.name = "C erf gaussian-nu full random";
        c.s = base_spec(MODEL_TWOLAYER, 2, act_make(ACT_ERF, 0.9, 0, 0, 0, 0, 0), SKIP_NONE, 0);
        c.p.nu_law = MCM_NU_GAUSSIAN, c.p.whitening = MCM_WHITEN_FULL;
        c.p.spikes = MCM_SPIKES_RANDOM, c.p.beta_m = 0.8;
        break;
    default: /* (B) matched_v activation, skewed nu, labelled mixture with plain mean */
        c.name = "B matched_v skewed labelled";
        c.s = base_spec(MODEL_NEURON, 3, act_make(ACT_MATCHED_V, 1.0, 0, al, sg, 5.0, 5.0),
                        SKIP_FIXED, al);
        c.s.a0 = 1.2;
        c.p.nu_law = MCM_NU_SKEWED, c.p.mixture = MCM_MIX_LABELLED;
        break;
    }
    return c;
}

/* out = cm m + cu u + cv v + cr r (r: the model's random initial row). */
static void combo(double *out, const mcm_model *mod, const double *r, double cm, double cu,
                  double cv, double cr)
{
    for (int i = 0; i < D; i++)
        out[i] = cm * mod->m[i] + cu * mod->u[i] + cv * mod->v[i] + cr * r[i];
}

static void normalise(double *x)
{
    double n = 0.0;
    for (int i = 0; i < D; i++)
        n += x[i] * x[i];
    for (int i = 0; i < D; i++)
        x[i] /= sqrt(n);
}

/* Weights with sizeable overlaps, so that every term of the loss matters: row k mixes the
 * spikes with its random initial direction; V columns and the bias likewise. */
static void set_weights(model *net, const mcm_model *mod)
{
    static const double cw[4][4] = {
        {0.2, 0.8, 0.5, 0.4}, {-0.3, 0.4, -0.9, 0.5}, {0.5, -0.6, 0.6, 0.7}, {0.1, 0.1, 1, 1}};
    int K = net->s.K;
    size_t kd = (size_t)K * D;
    double r[D];
    for (int k = 0; k < K; k++) {
        double *w = net->theta + (size_t)k * D;
        memcpy(r, w, sizeof r);
        combo(w, mod, r, cw[k][0], cw[k][1], cw[k][2], cw[k][3]);
        if (net->s.family == MODEL_NEURON) {
            normalise(w);
            if (net->s.train_a) net->theta[kd + (size_t)k] = 0.9 - 0.7 * k;
        } else {
            double *vk = net->theta + kd + (size_t)k * D;
            combo(vk, mod, r, 0.3 * k, cw[k][2], -cw[k][1], -0.2);
        }
    }
    if (net->s.family == MODEL_TWOLAYER && net->s.bias)
        combo(net->theta + 2 * kd, mod, r, 0.6, 0.1, -0.2, 0.05);
}

/* ---------------------------------------------------------------- Monte Carlo */

typedef struct {
    acc q[3][3]; /* [law][loss, err_u, err_v] */
} mc_res;

static void mc_run(const tcase *c, model *net, const mcm_model *mod, mc_res *res)
{
    double al, sg;
    ou(c->t, &al, &sg);
    double *x0 = calloc(NB * D, sizeof *x0), *xt = calloc(NB * D, sizeof *xt);
    double *out = calloc(NB * D, sizeof *out);
    memset(res, 0, sizeof *res);
    for (int law = 0; law < 3; law++)
        for (long i0 = 0; i0 < N_MC; i0 += NB) {
            for (int b = 0; b < NB; b++) {
                uint64_t i = (uint64_t)(i0 + b);
                double *x = x0 + b * D;
                if (law == 0)
                    mcm_sample(mod, SEED, TASK, i, x, NULL, NULL, NULL);
                else
                    bayes_clone_sample(mod, law == 1 ? CLONE_GAUSS : CLONE_MEAN, SEED, TASK,
                                       RNG_EVAL, i, x);
                diff_forward(al, sg, SEED, TASK, i, D, x, xt + b * D);
            }
            model_forward(net, NB, xt, out);
            for (int b = 0; b < NB; b++) {
                double s = 0.0, pu = 0.0, pv = 0.0;
                for (int k = 0; k < D; k++) {
                    double r = x0[b * D + k] - out[b * D + k] - c->c_extra * al * xt[b * D + k];
                    s += r * r, pu += r * mod->u[k], pv += r * mod->v[k];
                }
                acc_add(&res->q[law][0], s / D);
                acc_add(&res->q[law][1], pu * pu);
                acc_add(&res->q[law][2], pv * pv);
            }
        }
    free(x0), free(xt), free(out);
}

static void exact_all(const mcm_params *p, const poploss_net *pn, double t, double refine,
                      poploss_val v[3])
{
    double al, sg;
    ou(t, &al, &sg);
    poploss *pl = poploss_new(p, refine);
    for (int law = 0; law < 3; law++) {
        poploss_eval(pl, pn, (poploss_law)law, al, sg, &v[law]);
        assert_int_equal(v[law].degraded, 0);
    }
    poploss_free(pl);
}

/* Case i: the model, its frame and the MC estimates (shared by the tests below). */
typedef struct {
    tcase c;
    mcm_model mod;
    model net;
    poploss_net pn;
    mc_res mc;
    int have_mc;
} case_data;
static case_data CASES[NCASE];

static case_data *get_case(int i, int with_mc)
{
    case_data *cd = &CASES[i];
    if (!cd->c.name) {
        cd->c = make_case(i);
        mcm_init(&cd->mod, &cd->c.p, SEED, TASK);
        model_init(&cd->net, &cd->c.s, SEED, TASK, NB);
        set_weights(&cd->net, &cd->mod);
        double al, sg;
        ou(cd->c.t, &al, &sg);
        assert_int_equal(poploss_net_from_model(&cd->pn, &cd->net, cd->c.c_extra * al, cd->mod.m,
                                                cd->mod.u, cd->mod.v),
                         0);
    }
    if (with_mc && !cd->have_mc) {
        mc_run(&cd->c, &cd->net, &cd->mod, &cd->mc);
        cd->have_mc = 1;
    }
    return cd;
}

static int agrees_all(const case_data *cd, const poploss_val v[3], const char *tag)
{
    int ok = 1;
    char buf[96];
    for (int law = 0; law < 3; law++) {
        const double ex[3] = {v[law].loss, v[law].err_u, v[law].err_v};
        static const char *const q[3] = {"loss", "err_u", "err_v"};
        for (int k = 0; k < 3; k++) {
            snprintf(buf, sizeof buf, "%s%s %s", tag, LAW[law], q[k]);
            ok &= mc_agrees(buf, &cd->mc.q[law][k], ex[k]);
        }
    }
    return ok;
}

static void test_monte_carlo(void **state)
{
    (void)state;
    for (int i = 0; i < NCASE; i++) {
        case_data *cd = get_case(i, 1);
        printf("case %s (R = %d)\n", cd->c.name, cd->pn.R);
        poploss_val v[3];
        exact_all(&cd->c.p, &cd->pn, cd->c.t, 1.0, v);
        assert_true(agrees_all(cd, v, ""));
    }
}

/* ---------------------------------------------------------------- wrong variants */

static void test_wrong_variants(void **state)
{
    (void)state;
    double al, sg;
    /* Bulk dropped: subtract (d - R)((1 - c alpha)^2 + c^2 sigma^2) / d from the data loss. */
    case_data *cd = get_case(0, 1);
    ou(cd->c.t, &al, &sg);
    poploss_val v[3];
    exact_all(&cd->c.p, &cd->pn, cd->c.t, 1.0, v);
    double c = cd->pn.c, a1 = 1.0 - c * al;
    double nobulk = v[0].loss - (D - cd->pn.R) * (a1 * a1 + c * c * sg * sg) / D;
    assert_false(mc_agrees("wrong: no bulk, data loss", &cd->mc.q[0][0], nobulk));

    /* Mean clone with tau^2 = 1 instead of tr Cov / d (labelled mixture: tau^2 = 1.119). */
    cd = get_case(2, 1);
    ou(cd->c.t, &al, &sg);
    poploss *pl = poploss_new(&cd->c.p, 1.0);
    poploss_val w;
    poploss_eval_iso(pl, &cd->pn, 0.0, 1.0, al, sg, &w);
    poploss_free(pl);
    assert_false(mc_agrees("wrong: mean clone tau^2 = 1", &cd->mc.q[2][0], w.loss));

    /* Coupling ignored: nu = sign(lambda) data evaluated as independent Rademacher latents. */
    cd = get_case(1, 1);
    mcm_params p = cd->c.p;
    p.coupling = MCM_COUPLE_INDEPENDENT;
    exact_all(&p, &cd->pn, cd->c.t, 1.0, v);
    int ok = 1;
    ok &= mc_agrees("wrong: independent, err_u", &cd->mc.q[0][1], v[0].err_u);
    ok &= mc_agrees("wrong: independent, err_v", &cd->mc.q[0][2], v[0].err_v);
    assert_false(ok);
}

/* ---------------------------------------------------------------- exact cases */

static void check_rel(const char *what, double got, double want, double tol)
{
    double err = fabs(got - want) / fmax(fabs(want), 1e-300);
    printf("  %-40s % .15f  % .15f  rel %.1e\n", what, got, want, err);
    assert_true(err <= tol);
}

/* D = 0: loss = E|x0|^2 / d = (|mean|^2 + tr Cov) / d, the same for the data and both clones;
 * err_u = E[(u.x0)^2] (QR spikes: mean orthogonal to u). */
static void test_zero_denoiser(void **state)
{
    (void)state;
    for (int lab = 0; lab < 2; lab++) {
        mcm_params p = base_params();
        p.beta_m = 1.5;
        p.coupling = lab ? MCM_COUPLE_THRESHOLD : MCM_COUPLE_SIGN;
        if (lab) p.mixture = MCM_MIX_LABELLED, p.mean_term = MCM_MEAN_LABEL;
        mcm_model mod;
        mcm_init(&mod, &p, SEED, TASK);
        model_spec s =
            base_spec(MODEL_NEURON, 2, act_make(ACT_TANH, 1, 0, 0, 0, 0, 0), SKIP_NONE, 0.0);
        s.a0 = 0.0;
        model net;
        model_init(&net, &s, SEED, TASK, 1);
        poploss_net pn;
        poploss_net_from_model(&pn, &net, 0.0, mod.m, mod.u, mod.v);
        poploss_val v[3];
        exact_all(&p, &pn, 0.5, 1.0, v);
        double bm2 = p.beta_m * p.beta_m, bu = p.beta_u;
        double ex = lab ? bm2 + D + 0.5 * bu : bm2 + D + bu, eu = lab ? 1.0 + 0.5 * bu : 1.0 + bu;
        for (int law = 0; law < 3; law++)
            check_rel("D = 0: loss", v[law].loss, ex / D, 1e-12);
        check_rel("D = 0: data err_u", v[0].err_u, eu, 1e-12);
        check_rel("D = 0: gauss err_u", v[1].err_u, eu, 1e-12);
        check_rel("D = 0: data err_v", v[0].err_v, 1.0, 1e-12);
        check_rel("D = 0: mean err_u", v[2].err_u, ex / D - (lab ? 0.0 : bm2 / D), 1e-12);
        poploss_net_free(&pn);
        model_free(&net);
        mcm_free(&mod);
    }
}

/* Linear activation: D(x) = M x + b with M = c I + sum_k o_k w_k^T, r = (I - alpha M) x0 -
 * sigma M xi - b, so E|r|^2 = |(I - alpha M) mu - b|^2 + tr((I - alpha M) Sigma (I - alpha M)^T)
 * + sigma^2 |M|_F^2, with Sigma = I + (C - I) on (u, v) (QR spikes, mcm_cov_uv's block: rho != 0
 * for nu = sign(lambda)); the same with u^T ... u for err_u. Exercises the interval
 * restrictions of lambda with exact answers. */
static void test_linear_quadratic_form(void **state)
{
    (void)state;
    double al, sg;
    ou(0.3, &al, &sg);
    mcm_params p = base_params();
    p.coupling = MCM_COUPLE_SIGN, p.beta_m = 0.7;
    mcm_model mod;
    mcm_init(&mod, &p, SEED, TASK);
    model_spec s =
        base_spec(MODEL_TWOLAYER, 2, act_make(ACT_LINEAR, 0.7, 0, 0, 0, 0, 0), SKIP_FIXED, 0.3);
    s.bias = 1;
    model net;
    model_init(&net, &s, SEED, TASK, 1);
    set_weights(&net, &mod);
    double *M = calloc(D * D, sizeof *M), *A = calloc(D * D, sizeof *A);
    double *Sg = calloc(D * D, sizeof *Sg), C[2][2], res[D];
    const double *Wr = net.theta, *V = net.theta + 2 * D, *b = net.theta + 4 * D;
    mcm_cov_uv(&p, C);
    const double *uv[2] = {mod.u, mod.v};
    for (int i = 0; i < D; i++)
        for (int j = 0; j < D; j++) {
            M[i * D + j] = 0.3 * (i == j);
            for (int k = 0; k < 2; k++)
                M[i * D + j] += 0.7 * V[k * D + i] * Wr[k * D + j];
            A[i * D + j] = (i == j) - al * M[i * D + j];
            Sg[i * D + j] = (i == j);
            for (int a = 0; a < 2; a++)
                for (int c = 0; c < 2; c++)
                    Sg[i * D + j] += (C[a][c] - (a == c)) * uv[a][i] * uv[c][j];
        }
    poploss_net pn;
    poploss_net_from_model(&pn, &net, 0.0, mod.m, mod.u, mod.v);
    poploss_val v[3];
    exact_all(&p, &pn, 0.3, 1.0, v);
    double tau2 = (D - 3 + 1 + C[0][0] + C[1][1]) / D;
    for (int law = 0; law < 3; law++) { /* the clones have the same moments or tau^2 I */
        double tot = 0.0, eu = 0.0, ru = 0.0;
        for (int i = 0; i < D; i++) {
            res[i] = -b[i];
            for (int j = 0; j < D; j++)
                res[i] += A[i * D + j] * p.beta_m * mod.m[j];
            tot += res[i] * res[i], ru += mod.u[i] * res[i];
        }
        eu = ru * ru;
        for (int i = 0; i < D; i++)
            for (int j = 0; j < D; j++) {
                double asa = 0.0; /* (A Sigma A^T)_ij */
                for (int k = 0; k < D; k++)
                    for (int l = 0; l < D; l++)
                        asa += A[i * D + k] * (law == 2 ? tau2 * (k == l) : Sg[k * D + l]) *
                               A[j * D + l];
                double mm = 0.0; /* (M M^T)_ij */
                for (int k = 0; k < D; k++)
                    mm += M[i * D + k] * M[j * D + k];
                double q = asa + sg * sg * mm;
                tot += (i == j) * q, eu += mod.u[i] * q * mod.u[j];
            }
        check_rel(law == 0 ? "linear: data loss" : "linear: clone loss", v[law].loss, tot / D,
                  1e-10);
        check_rel("linear: err_u", v[law].err_u, eu, 1e-10);
    }
    free(M), free(A), free(Sg);
    poploss_net_free(&pn);
    model_free(&net);
    mcm_free(&mod);
}

/* The default rules against 1.6 times denser ones, on every Monte Carlo case. */
static void test_quadrature_converged(void **state)
{
    (void)state;
    for (int i = 0; i < NCASE; i++) {
        case_data *cd = get_case(i, 0);
        poploss_val a[3], b[3];
        exact_all(&cd->c.p, &cd->pn, cd->c.t, 1.0, a);
        exact_all(&cd->c.p, &cd->pn, cd->c.t, 1.6, b);
        printf("case %s\n", cd->c.name);
        for (int law = 0; law < 3; law++) {
            check_rel("refine 1 vs 1.6: loss", a[law].loss, b[law].loss, 1e-10);
            check_rel("refine 1 vs 1.6: err_u", a[law].err_u, b[law].err_u, 1e-10);
            check_rel("refine 1 vs 1.6: err_v", a[law].err_v, b[law].err_v, 1e-10);
        }
    }
}

/* ---------------------------------------------------------------- degenerate frames */

/* Two evaluations of the data law (and the labelled-mixture clones) agree to 1e-12. */
static void same_losses(const char *what, const mcm_params *p, const poploss_net *a,
                        const poploss_net *b)
{
    poploss_val va[3], vb[3];
    exact_all(p, a, 0.5, 1.0, va);
    exact_all(p, b, 0.5, 1.0, vb);
    for (int law = 0; law < 3; law++) {
        check_rel(what, va[law].loss, vb[law].loss, 1e-12);
        check_rel(what, va[law].err_u, vb[law].err_u, 1e-12);
        check_rel(what, va[law].err_v, vb[law].err_v, 1e-12);
    }
}

/* Collinear rows (c22 = 0), a zero row (s = 0), and a change of frame, against nets that give
 * the same D exactly: identical rows merge (o_0 + o_1), relu(2h) = 2 relu(h), He_2(0) = -1 acts
 * as a bias, and rotating the frame (with two extra, unused directions) changes nothing. */
static void test_degenerate_frames(void **state)
{
    (void)state;
    mcm_params p = base_params();
    p.coupling = MCM_COUPLE_SIGN, p.mixture = MCM_MIX_LABELLED;
    mcm_model mod;
    mcm_init(&mod, &p, SEED, TASK);
    double g[4][D], W[3][D], O[3][D], b[D];
    rng_stream rs = rng_stream_make(SEED, TASK, RNG_TEST);
    for (int k = 0; k < 4; k++)
        rng_normal(&rs, (uint64_t)k, 0, D, g[k]);
    combo(W[0], &mod, g[0], 0.2, 0.7, 0.6, 0.15);
    combo(O[0], &mod, g[1], 0.3, 0.5, -0.4, 0.1);
    combo(O[1], &mod, g[2], -0.2, 0.3, 0.6, 0.1);
    poploss_vectors in = {.d = D,
                          .m = mod.m,
                          .u = mod.u,
                          .v = mod.v,
                          .W = &W[0][0],
                          .w_stride = D,
                          .O = &O[0][0],
                          .o_stride = D,
                          .c = 0.4};
    static const act_kind kinds[2] = {ACT_TANH, ACT_RELU};
    for (int a = 0; a < 2; a++) {
        double f = kinds[a] == ACT_RELU ? 2.0 : 1.0; /* w_1 = f w_0 */
        in.act = act_make(kinds[a], 1.0, 0, 0, 0, 0, 0);
        for (int i = 0; i < D; i++)
            W[1][i] = f * W[0][i], O[2][i] = O[0][i] + f * O[1][i];
        poploss_net two, one;
        in.K = 2, in.O = &O[0][0];
        poploss_net_build(&two, &in);
        in.K = 1, in.O = &O[2][0];
        poploss_net_build(&one, &in);
        same_losses("collinear rows vs merged", &p, &two, &one);
        poploss_net_free(&two), poploss_net_free(&one);
    }
    /* A zero row under He_2 (scale 0.8): sigma = -0.8, a bias -0.8 o_1. */
    in.act = act_make(ACT_HERMITE, 0.8, 2, 0, 0, 0, 0);
    memset(W[1], 0, sizeof W[1]);
    for (int i = 0; i < D; i++)
        b[i] = -0.8 * O[1][i];
    poploss_net zr, bias;
    in.K = 2, in.O = &O[0][0];
    poploss_net_build(&zr, &in);
    in.K = 1, in.b = b;
    poploss_net_build(&bias, &in);
    same_losses("zero row vs bias", &p, &zr, &bias);
    /* The same net in a rotated frame of dimension R + 2: coordinates Q (x, 0, 0), with Q
     * orthogonal from Gram-Schmidt of a Gaussian matrix. */
    int R = bias.R, R2 = R + 2;
    double Q[16][16], x[16], buf[8][16];
    assert_true(R2 <= 16);
    for (int i = 0; i < R2; i++) {
        rng_normal(&rs, (uint64_t)(10 + i), 0, (size_t)R2, Q[i]);
        for (int j = 0; j < i; j++) {
            double c = 0.0;
            for (int l = 0; l < R2; l++)
                c += Q[i][l] * Q[j][l];
            for (int l = 0; l < R2; l++)
                Q[i][l] -= c * Q[j][l];
        }
        double n = 0.0;
        for (int l = 0; l < R2; l++)
            n += Q[i][l] * Q[i][l];
        for (int l = 0; l < R2; l++)
            Q[i][l] /= sqrt(n);
    }
    const double *src[6] = {bias.m, bias.u, bias.v, bias.w, bias.o, bias.b};
    for (int k = 0; k < 6; k++) {
        memset(x, 0, sizeof x);
        memcpy(x, src[k], (size_t)R * sizeof x[0]);
        for (int i = 0; i < R2; i++) {
            buf[k][i] = 0.0;
            for (int j = 0; j < R2; j++)
                buf[k][i] += Q[i][j] * x[j];
        }
    }
    poploss_net rot = bias;
    rot.R = R2, rot.own = NULL;
    rot.m = buf[0], rot.u = buf[1], rot.v = buf[2], rot.w = buf[3], rot.o = buf[4], rot.b = buf[5];
    same_losses("rotated frame, R + 2", &p, &rot, &bias);
    poploss_net_free(&zr), poploss_net_free(&bias);
    mcm_free(&mod);
}

static int teardown(void **state)
{
    (void)state;
    for (int i = 0; i < NCASE; i++)
        if (CASES[i].c.name) {
            poploss_net_free(&CASES[i].pn);
            model_free(&CASES[i].net);
            mcm_free(&CASES[i].mod);
        }
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zero_denoiser),        cmocka_unit_test(test_linear_quadratic_form),
        cmocka_unit_test(test_quadrature_converged), cmocka_unit_test(test_degenerate_frames),
        cmocka_unit_test(test_monte_carlo),          cmocka_unit_test(test_wrong_variants),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
