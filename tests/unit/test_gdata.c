/* Unit tests of Gaussian data and SGD of linear denoisers against the exact theory
 * (core/gdata.h, gaussian-theory.md §2.1, §2.2, §3.1, §5.3):
 *   - the sampler: per-mode variances of samples projected on u_k match lambda_k within 5
 *     standard errors (identity and a random orthogonal basis, orthogonal to 1e-12), a sampler
 *     with lambda in place of lambda^1/2 fails the same check;
 *   - the eigenbasis view of a planted aligned W, the generated variance of the readout against
 *     the closed forms of §3.2, the curve crossing;
 *   - SGD of W x on Gaussian data: the replica mean follows discrete GD exactly (the expected
 *     gradient is linear in W) and the gradient flow within |Q - w*| eta a / e (the largest gap
 *     between (1 - x)^n and e^{-n x} is x/(2e) per unit of amplitude, x = 2 eta a), each within 5
 *     replica standard errors; the same check rejects the flow with the rate halved (the 1/2
 *     convention); the stationary fluctuation matches the exact discrete-time variance of
 *     gdata_sgd_stationary_var (leading order eta R_kk / B of §5.3, R_kk = sigma^2 lambda /
 *     (sigma^2 + lambda)) within [0.45, 1.6] (5 SE), and not without the 1/B;
 *   - gdata_exact_grad against the directly summed loss and its central differences; full-batch
 *     GD of the engine (gaussian.sgd_batch = full, finite set) against GD written out here;
 *   - Gaussian equivalence (§2.1): SGD of W x on MCM data and on its Gaussian clone (same
 *     covariance, different higher cumulants) learns the same mean W within 5 standard errors,
 *     and the mean clone (isotropic, same trace) does not. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/gdata.h"
#include "core/gtheory.h"
#include "core/rng.h"
#include "engine/engine.h"
#include "spec/spec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A random orthogonal d x d (column-major) by Gram-Schmidt, twice, of Gaussian columns. */
static void random_basis(int d, double *U)
{
    rng_stream s = rng_stream_make(11, 0, RNG_TEST);
    for (int j = 0; j < d; j++) {
        double *u = &U[(size_t)j * d];
        rng_normal(&s, (uint64_t)j, 0, (size_t)d, u);
        for (int pass = 0; pass < 2; pass++)
            for (int i = 0; i < j; i++) {
                double dot = 0, *v = &U[(size_t)i * d];
                for (int k = 0; k < d; k++)
                    dot += u[k] * v[k];
                for (int k = 0; k < d; k++)
                    u[k] -= dot * v[k];
            }
        double n = 0;
        for (int k = 0; k < d; k++)
            n += u[k] * u[k];
        for (int k = 0; k < d; k++)
            u[k] /= sqrt(n);
    }
}

static double max_orth_error(int d, const double *U)
{
    double worst = 0;
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++) {
            double dot = 0;
            for (int k = 0; k < d; k++)
                dot += U[(size_t)i * d + k] * U[(size_t)j * d + k];
            worst = fmax(worst, fabs(dot - (i == j)));
        }
    return worst;
}

/* Number of modes whose sample variance along u_k is more than 5 SE from lambda_k, and whose
 * sample mean is more than 5 SE from the mean along u_k. */
static int sampler_misses(const gdata *g, int n)
{
    int d = g->d, bad = 0;
    double *x = calloc((size_t)n * d, sizeof(double)), *z = calloc((size_t)n * d, sizeof(double));
    uint64_t *ix = calloc((size_t)n, sizeof(uint64_t));
    for (int i = 0; i < n; i++)
        ix[i] = (uint64_t)i;
    gdata_sample(g, 3, 7, RNG_GAUSS, n, ix, x, z);
    for (int k = 0; k < d; k++) {
        double s1 = 0, s2 = 0, mk = 0;
        for (int c = 0; c < d; c++)
            mk += (g->U ? g->U[(size_t)k * d + c] : (c == k)) * g->mu[c];
        for (int i = 0; i < n; i++) {
            double p = 0;
            for (int c = 0; c < d; c++)
                p += (g->U ? g->U[(size_t)k * d + c] : (c == k)) * x[(size_t)i * d + c];
            s1 += p, s2 += p * p;
        }
        double m = s1 / n, v = (s2 - n * m * m) / (n - 1), lam = g->lambda[k];
        if (fabs(v - lam) > 5 * lam * sqrt(2.0 / (n - 1))) bad++;
        if (fabs(m - mk) > 5 * sqrt(lam / n)) bad++;
    }
    free(x), free(z), free(ix);
    return bad;
}

static void test_sampler(void **st)
{
    (void)st;
    enum { d = 12, n = 40000 };
    double lam[d], U[d * d];
    for (int k = 0; k < d; k++)
        lam[k] = 2.0 / (k + 1);
    random_basis(d, U);
    assert_true(max_orth_error(d, U) < 1e-12);
    gdata g;
    gdata_init(&g, d, lam, NULL, 0.0, NULL);
    assert_int_equal(sampler_misses(&g, n), 0);
    gdata_free(&g);
    gdata_init(&g, d, lam, NULL, 0.7, U);
    assert_int_equal(sampler_misses(&g, n), 0);
    /* deliberately wrong: the samples scaled by lambda instead of lambda^1/2 */
    for (int k = 0; k < d; k++)
        g.sq[k] = lam[k];
    assert_true(sampler_misses(&g, n) >= d / 2);
    gdata_free(&g);
}

/* W = U diag(w) U^T: the view returns w, no off-diagonal part, the theory's per-mode loss. */
static void test_observe_planted(void **st)
{
    (void)st;
    enum { d = 7 };
    double lam[d], q[d], U[d * d], W[d * d], out[2 * d + GDATA_NSCALAR], work[2 * d * d];
    for (int k = 0; k < d; k++)
        lam[k] = 1.0 / (k + 1), q[k] = 0.1 * k;
    random_basis(d, U);
    gdata g;
    gdata_init(&g, d, lam, q, 0.0, U);
    gdata_init_linear(&g, W);
    double sigma = 0.3;
    gdata_observe(&g, W, NULL, sigma, out, work);
    for (int k = 0; k < d; k++) {
        double a = lam[k] + sigma * sigma;
        assert_true(fabs(out[k] - q[k]) < 1e-13);
        double want = a * q[k] * q[k] - 2 * lam[k] * q[k] + lam[k];
        assert_true(fabs(out[d + k] - want) < 1e-13);
    }
    assert_true(out[2 * d + GDATA_OFFDIAG] < 1e-14);
    for (int i = 0; i < d; i++) /* off-diagonal in the eigenbasis: 0.3 u0 u1^T + 0.4 u1 u0^T */
        for (int j = 0; j < d; j++)
            W[i * d + j] += 0.3 * U[i] * U[d + j] + 0.4 * U[d + i] * U[j];
    gdata_observe(&g, W, NULL, sigma, out, work);
    assert_true(fabs(out[2 * d + GDATA_OFFDIAG] - 0.5) < 1e-13);
    /* P P^T of the aligned factor is the same W */
    double Pt[d * d], W2[d * d];
    gdata_init_linear(&g, W);
    gdata_init_sym(&g, d, Pt);
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++) {
            double s = 0;
            for (int k = 0; k < d; k++)
                s += Pt[k * d + i] * Pt[k * d + j];
            W2[i * d + j] = s;
        }
    for (int i = 0; i < d * d; i++)
        assert_true(fabs(W2[i] - W[i]) < 1e-14);
    gdata_free(&g);
}

/* One level of constant psi = Q: the tau = 0 level sigma_T^2 (sigma_0/sigma_T)^(2(1 - Q)) of
 * §3.2; knots of the one-layer flow at 64 per decade: the closed form of §3.2 to 1e-3. */
static void test_readout(void **st)
{
    (void)st;
    double s0 = 0.002, sT = 80, q = 0.2, one = 1.0;
    double want = sT * sT * pow(s0 / sT, 2 * (1 - q));
    assert_true(fabs(gdata_gen_var_levels(1, &one, &q, s0, sT) / want - 1) < 1e-12);
    gt_setup s = {.model = GT_ONELAYER, .eta = 1, .sigma_min = s0, .sigma_max = sT};
    enum { n = 64 * 5 + 1 };
    double sig[n], psi[n], lams[3] = {0.01, 0.3, 2}, taus[3] = {0.5, 5, 50};
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++) {
            for (int j = 0; j < n; j++) {
                sig[j] = s0 * pow(sT / s0, (double)j / (n - 1));
                psi[j] = gt_psi(&s, lams[a], 0.01, sig[j], taus[b]);
            }
            double v = gdata_gen_var_levels(n, sig, psi, s0, sT);
            double c = gt_gen_var_closed(&s, lams[a], 0.01, taus[b]);
            if (fabs(v / c - 1) > 1e-3)
                fail_msg("lambda %g tau %g: %g vs %g", lams[a], taus[b], v, c);
        }
    double tau[4] = {0, 1, 10, 100}, up[4] = {1, 2, 4, 8}, down[4] = {8, 4, 2, 1};
    assert_true(fabs(gdata_crossing(4, tau, up, 3) - sqrt(10.0)) < 1e-12);
    assert_true(fabs(gdata_crossing(4, tau, down, 6) - 0.5) < 1e-12);
    assert_true(isnan(gdata_crossing(4, tau, up, 9)));
}

/* A configuration for linear SGD at level sigma (schedule ve), with nx extra settings. */
static cfg_t lin_cfg_x(int d, double sigma, int batch, double eta, long steps, int nx,
                       const char *const *extra);
static cfg_t lin_cfg(int d, double sigma, int batch, double eta, long steps)
{
    return lin_cfg_x(d, sigma, batch, eta, steps, 0, NULL);
}

static cfg_t lin_cfg_x(int d, double sigma, int batch, double eta, long steps, int nx,
                       const char *const *extra)
{
    static cfg_resolved cr;
    cfg_errors err;
    char s[8][64];
    snprintf(s[0], 64, "mcm.d=%d", d);
    snprintf(s[1], 64, "diffusion.t=%g", sigma);
    snprintf(s[2], 64, "train.batch=%d", batch);
    snprintf(s[3], 64, "optim.delta=%g", eta);
    snprintf(s[4], 64, "train.steps_alpha=%ld", steps);
    const char *sets[20] = {s[0],
                            s[1],
                            s[2],
                            s[3],
                            s[4],
                            "train.steps_power=0",
                            "optim.lr_power=0",
                            "model.family=linear",
                            "model.bias=false",
                            "diffusion.schedule=ve",
                            "mcm.spikes=axes",
                            "mcm.beta_u=3",
                            "mcm.beta_v=5"};
    FILE *f = fopen("/tmp/mcmsim_test_gdata.ini", "w");
    fputs("[run]\nseed = 4\n", f);
    fclose(f);
    int ns = 13;
    for (int j = 0; j < nx; j++) { /* an extra setting replaces one of the same key */
        size_t kl = strcspn(extra[j], "=");
        int at = ns;
        for (int i = 0; i < ns; i++)
            if (strncmp(sets[i], extra[j], kl + 1) == 0) at = i;
        sets[at] = extra[j];
        ns += at == ns;
    }
    assert_int_equal(cfg_load("/tmp/mcmsim_test_gdata.ini", sets, ns, &cr, &err), 0);
    remove("/tmp/mcmsim_test_gdata.ini");
    return cr.v;
}

/* Trains R replicas (tasks 0 .. R-1) for `steps`; w[r][i][k] = u_k^T W u_k (identity basis)
 * after steps at[i]; full[r][d*d] the final W. ud NULL: MCM data. */
static void train(const cfg_t *c, int d, const engine_data *ud, int R, int nat, const long *at,
                  double *w, double *full)
{
    spec_train s;
    for (int r = 0; r < R; r++) {
        spec_train_build(&s, c, d, (uint64_t)r);
        engine e;
        engine_init(&e, &s, 8, ud);
        for (int i = 0; i < nat; i++) {
            while (e.step < at[i])
                engine_step(&e);
            for (int k = 0; k < d; k++)
                w[((size_t)r * nat + i) * d + k] = e.net.theta[k * d + k];
        }
        if (full) memcpy(&full[(size_t)r * d * d], e.net.theta, (size_t)d * d * sizeof(double));
        engine_free(&e);
    }
}

static void mean_se(const double *x, int R, size_t stride, size_t at, double *m, double *se)
{
    double s1 = 0, s2 = 0;
    for (int r = 0; r < R; r++) {
        double v = x[(size_t)r * stride + at];
        s1 += v, s2 += v * v;
    }
    *m = s1 / R;
    *se = sqrt(fmax(0, (s2 - R * *m * *m) / (R - 1)) / R);
}

enum { SD = 6, SR = 48, SNAT = 9, SSTAT = 4 };
/* from SAT[SSTAT] on, 2 a tau >= 8 for every mode: stationary */
static const long SAT[SNAT] = {10, 30, 100, 300, 1000, 1250, 1500, 1750, 2000};

/* Modes (time, mode) whose replica mean misses `pred` by more than 5 SE + slack. */
static int misses(const double *w, const double *pred, double slack)
{
    int bad = 0;
    for (int i = 0; i < SNAT; i++)
        for (int k = 0; k < SD; k++) {
            double m, se;
            mean_se(w, SR, (size_t)SNAT * SD, (size_t)i * SD + k, &m, &se);
            if (fabs(m - pred[i * SD + k]) > 5 * se + slack) bad++;
        }
    return bad;
}

static void test_sgd_vs_flow(void **st)
{
    (void)st;
    double sigma = 0.5, eta = 0.01, q = 0.01, lam[SD], qs[SD];
    int B = 4;
    for (int k = 0; k < SD; k++)
        lam[k] = 1.0 / (k + 1), qs[k] = q;
    cfg_t c = lin_cfg(SD, sigma, B, eta, 2000);
    gdata g;
    gdata_init(&g, SD, lam, qs, 0.0, NULL);
    g.aligned = 1;
    engine_data ud = {.d = SD, .gauss = &g};
    double *w = calloc((size_t)SR * SNAT * SD, sizeof(double));
    train(&c, SD, &ud, SR, SNAT, SAT, w, NULL);
    double gd[SNAT * SD], flow[SNAT * SD], half[SNAT * SD], slack = 0;
    gt_setup s = {.model = GT_ONELAYER, .eta = 1, .sigma_min = 0.002, .sigma_max = 80};
    for (int i = 0; i < SNAT; i++)
        for (int k = 0; k < SD; k++) {
            double a = lam[k] + sigma * sigma, ws = lam[k] / a, x = 2 * eta * a;
            gd[i * SD + k] = ws + (q - ws) * pow(1 - x, (double)SAT[i]);
            flow[i * SD + k] = gt_psi(&s, lam[k], q, sigma, SAT[i] * eta);
            half[i * SD + k] = ws + (q - ws) * exp(-0.5 * x * SAT[i]);
            slack = fmax(slack, fabs(q - ws) * x / (2 * M_E));
        }
    assert_int_equal(misses(w, gd, 0), 0);
    assert_int_equal(misses(w, flow, slack), 0);
    assert_true(misses(w, half, slack) >= SD); /* the 1/2-convention rate is rejected */
    /* Stationary fluctuation: 5 observations x 48 replicas, about 150 effective samples (the
     * observations lie 1.6 to 4 correlation times 1/(2 eta a) apart), so the sample variance
     * has a relative SE of about 0.12: [0.45, 1.6] is about 5 SE either side, and the
     * prediction without 1/B (4 x larger) lies far outside. */
    double ratio_ok = 0, ratio_noB = 0;
    for (int k = 0; k < SD; k++) {
        double a = lam[k] + sigma * sigma, R = sigma * sigma * lam[k] / a, v = 0, n = 0;
        /* the exact discrete-time variance, a few % above §5.3's leading eta R / B here */
        double all[SD], lead = eta * R / B;
        gdata_sgd_stationary_var(SD, lam, sigma, eta, B, all);
        double pred = all[k];
        assert_true(pred > lead && pred < 1.1 * lead);
        for (int i = SSTAT; i < SNAT; i++) {
            double m, se;
            mean_se(w, SR, (size_t)SNAT * SD, (size_t)i * SD + k, &m, &se);
            v += se * se * SR, n++;
        }
        v /= n;
        ratio_ok += (v / pred > 0.45 && v / pred < 1.6);
        ratio_noB += (v / (pred * B) > 0.45 && v / (pred * B) < 1.6);
        print_message("mode %d: stationary variance %.4g, predicted %.4g (ratio %.3f)\n", k, v,
                      pred, v / pred);
    }
    assert_int_equal((int)ratio_ok, SD);
    assert_int_equal((int)ratio_noB, 0);
    free(w);
    gdata_free(&g);
}

/* MCM data with axes spikes (m = e0, u = e1, v = e2, beta_m = 0) have covariance
 * I + beta_u e1 e1^T (v whitened to unit variance): its Gaussian clone is gdata with
 * lambda = (1, 1 + beta_u, 1, ...) in the identity basis. */
static void test_gaussian_equivalence(void **st)
{
    (void)st;
    enum { d = 5, R = 40, NAT = 1 };
    long at[NAT] = {600};
    cfg_t c = lin_cfg(d, 0.5, 4, 0.02, at[0]);
    double lam[d], iso[d];
    for (int k = 0; k < d; k++)
        lam[k] = k == 1 ? 4.0 : 1.0, iso[k] = 1 + 3.0 / d;
    gdata g, gm;
    gdata_init(&g, d, lam, NULL, 0.0, NULL);
    gdata_init(&gm, d, iso, NULL, 0.0, NULL);
    engine_data ug = {.d = d, .gauss = &g}, um = {.d = d, .gauss = &gm};
    size_t n = (size_t)R * d * d;
    double *wa = calloc(n, sizeof(double)), *wb = calloc(n, sizeof(double));
    double *wc = calloc(n, sizeof(double)), *tmp = calloc((size_t)R * NAT * d, sizeof(double));
    train(&c, d, NULL, R, NAT, at, tmp, wa);
    train(&c, d, &ug, R, NAT, at, tmp, wb);
    train(&c, d, &um, R, NAT, at, tmp, wc);
    int bad_clone = 0, bad_mean = 0;
    for (int e = 0; e < d * d; e++) {
        double ma, sa, mb, sb, mc, sc;
        mean_se(wa, R, (size_t)d * d, (size_t)e, &ma, &sa);
        mean_se(wb, R, (size_t)d * d, (size_t)e, &mb, &sb);
        mean_se(wc, R, (size_t)d * d, (size_t)e, &mc, &sc);
        bad_clone += fabs(ma - mb) > 5 * sqrt(sa * sa + sb * sb);
        bad_mean += fabs(ma - mc) > 5 * sqrt(sa * sa + sc * sc);
    }
    assert_int_equal(bad_clone, 0);
    assert_true(bad_mean >= 1); /* the u mode: 4/4.25 vs 1.6/1.85 */
    free(wa), free(wb), free(wc), free(tmp);
    gdata_free(&g), gdata_free(&gm);
}

/* gdata_exact_grad: the loss equals the noise average of the per-sample loss over the training
 * set, (1/n) sum_i |(W - I) x_i + b|^2 + sigma^2 |W|_F^2 (x_i summed directly, not through
 * gdata_moments), and the gradient its central differences. */
static void test_exact_grad(void **st)
{
    (void)st;
    enum { d = 5, n = 40 };
    double lam[d], U[d * d], S[d * d], m[d], W[d * d], b[d], GW[d * d], Gb[d], t1[d * d], t2[d];
    for (int k = 0; k < d; k++)
        lam[k] = 2.0 / (k + 1);
    random_basis(d, U);
    gdata g;
    gdata_init(&g, d, lam, NULL, 0.3, U);
    gdata_moments(&g, 4, 9, RNG_GAUSS, n, S, m);
    double x[n * d], z[n * d];
    uint64_t ix[n];
    for (int i = 0; i < n; i++)
        ix[i] = (uint64_t)i;
    gdata_sample(&g, 4, 9, RNG_GAUSS, n, ix, x, z);
    rng_stream rs = rng_stream_make(5, 0, RNG_TEST);
    rng_normal(&rs, 0, 0, d * d, W);
    rng_normal(&rs, 1, 0, d, b);
    double sigma = 0.7, direct = 0;
    for (int i = 0; i < n; i++)
        for (int r = 0; r < d; r++) {
            double e = b[r] - x[i * d + r];
            for (int c = 0; c < d; c++)
                e += W[r * d + c] * x[i * d + c];
            direct += e * e / n;
        }
    for (int j = 0; j < d * d; j++)
        direct += sigma * sigma * W[j] * W[j];
    double loss = gdata_exact_grad(d, S, m, sigma, W, b, GW, Gb);
    assert_true(fabs(loss / direct - 1) < 1e-12);
    double h = 1e-5, worst = 0;
    for (int j = 0; j < d * d + d; j++) {
        double *p = j < d * d ? &W[j] : &b[j - d * d], keep = *p;
        *p = keep + h;
        double lp = gdata_exact_grad(d, S, m, sigma, W, b, t1, t2);
        *p = keep - h;
        double lm = gdata_exact_grad(d, S, m, sigma, W, b, t1, t2);
        *p = keep;
        double g0 = j < d * d ? GW[j] : Gb[j - d * d];
        worst = fmax(worst, fabs((lp - lm) / (2 * h) - g0) / fmax(1, fabs(g0)));
    }
    print_message("exact loss %.12g (direct %.12g), worst gradient error %.3g\n", loss, direct,
                  worst);
    assert_true(worst < 1e-7);
    gdata_free(&g);
}

/* gaussian.sgd_batch = full on a finite set: the engine's W (linear) and P (symlinear, W =
 * P P^T) after 150 steps equal GD written out here on the directly summed second moment,
 * W -= 2 eta [W (S + sigma^2 I) - S] and P -= eta (G + G^T) P, to 1e-12. */
static void test_full_batch(void **st)
{
    (void)st;
    enum { d = 4, n = 12, steps = 150 };
    const char *lin[] = {"train.data=finite", "train.n_train_alpha=3", "gaussian.sgd_batch=full"};
    const char *sym[] = {"train.data=finite", "train.n_train_alpha=3", "gaussian.sgd_batch=full",
                         "model.family=symlinear", "model.K=4"};
    double sigma = 0.5, eta = 0.05, lam[d], q[d];
    for (int k = 0; k < d; k++)
        lam[k] = 1.0 / (k + 1), q[k] = 0.1;
    gdata g;
    gdata_init(&g, d, lam, q, 0.0, NULL);
    g.aligned = 1;
    engine_data ud = {.d = d, .gauss = &g};
    double x[n * d], z[n * d], S[d * d] = {0};
    uint64_t ix[n];
    for (int i = 0; i < n; i++)
        ix[i] = (uint64_t)i;
    gdata_sample(&g, 4, 3, RNG_GAUSS, n, ix, x, z);
    for (int i = 0; i < n; i++)
        for (int r = 0; r < d; r++)
            for (int c = 0; c < d; c++)
                S[r * d + c] += x[i * d + r] * x[i * d + c] / n;
    for (int fam = 0; fam < 2; fam++) {
        cfg_t c = lin_cfg_x(d, sigma, 1, eta, steps, fam ? 5 : 3, fam ? sym : lin);
        spec_train s;
        spec_train_build(&s, &c, d, 77);
        s.data_task = 3;
        engine e;
        engine_init(&e, &s, 8, &ud);
        while (e.step < steps)
            engine_step(&e);
        double W[d * d] = {0}, P[d * d] = {0}, G[d * d], E[d * d];
        for (int k = 0; k < d; k++)
            W[k * d + k] = q[k], P[k * d + k] = sqrt(q[k]); /* P row k = column k of P^T */
        for (int t = 0; t < steps; t++) {
            if (fam)
                for (int r = 0; r < d; r++)
                    for (int cc = 0; cc < d; cc++) {
                        W[r * d + cc] = 0;
                        for (int h = 0; h < d; h++)
                            W[r * d + cc] += P[h * d + r] * P[h * d + cc];
                    }
            for (int r = 0; r < d; r++)
                for (int cc = 0; cc < d; cc++) {
                    double ws = sigma * sigma * W[r * d + cc] - S[r * d + cc];
                    for (int h = 0; h < d; h++)
                        ws += W[r * d + h] * S[h * d + cc];
                    G[r * d + cc] = 2 * ws;
                }
            if (!fam) {
                for (int j = 0; j < d * d; j++)
                    W[j] -= eta * G[j];
                continue;
            }
            for (int h = 0; h < d; h++)
                for (int cc = 0; cc < d; cc++) {
                    E[h * d + cc] = 0;
                    for (int r = 0; r < d; r++)
                        E[h * d + cc] += P[h * d + r] * (G[r * d + cc] + G[cc * d + r]);
                }
            for (int j = 0; j < d * d; j++)
                P[j] -= eta * E[j];
        }
        const double *ref = fam ? P : W;
        double worst = 0;
        for (int j = 0; j < d * d; j++)
            worst = fmax(worst, fabs(e.net.theta[j] - ref[j]));
        print_message("%s full batch: largest difference from written-out GD %.3g\n",
                      fam ? "symlinear" : "linear", worst);
        assert_true(worst < 1e-12);
        engine_free(&e);
    }
    gdata_free(&g);
}

/* W = P P^T by mini-batch SGD from a small aligned start (Q = 1e-3, h = d): the weight of mode
 * k reaches the harmonic mean of Q and w* at tau = ln 2 / (8 lambda_k) (the two-layer logistic
 * law, §2.5; tau = steps x eta), whatever sigma. Per replica the first crossing step of
 * u_k^T W u_k (identity basis: the diagonal of P P^T); their mean over 24 replicas within 5 SE
 * (their spread) plus the discrete-step bias (a step grows w by at most the factor 1 + 8 eta
 * lambda, i.e. one step: eta) of ln 2 / (8 lambda) at sigma = 0.3 and 1; the balanced rate
 * (ln 2 / (4 lambda), §2.6) is rejected by the same check. */
static void test_symlinear_emergence(void **st)
{
    (void)st;
    enum { d = 4, R = 24, B = 16 };
    const char *sym[] = {"model.family=symlinear", "model.K=4"};
    double eta = 0.002, lam[d], q[d];
    for (int k = 0; k < d; k++)
        lam[k] = 1.0 / (1 << k), q[k] = 1e-3;
    gdata g;
    gdata_init(&g, d, lam, q, 0.0, NULL);
    g.aligned = 1;
    engine_data ud = {.d = d, .gauss = &g};
    double sigmas[2] = {0.3, 1.0};
    for (int si = 0; si < 2; si++) {
        double sg = sigmas[si];
        long steps = (long)(2 * log(2.0) / (8 * lam[d - 1] * eta));
        cfg_t c = lin_cfg_x(d, sg, B, eta, steps, 2, sym);
        double tau[R][d];
        for (int r = 0; r < R; r++) {
            spec_train s;
            spec_train_build(&s, &c, d, (uint64_t)(100 + r));
            engine e;
            engine_init(&e, &s, 8, &ud);
            for (int k = 0; k < d; k++)
                tau[r][k] = NAN;
            while (e.step < steps) {
                engine_step(&e);
                for (int k = 0; k < d; k++) {
                    double w = 0, ws = lam[k] / (lam[k] + sg * sg);
                    for (int h = 0; h < d; h++)
                        w += e.net.theta[h * d + k] * e.net.theta[h * d + k];
                    if (isnan(tau[r][k]) && w >= 2 * q[k] * ws / (q[k] + ws))
                        tau[r][k] = e.step * eta;
                }
            }
            engine_free(&e);
        }
        int bad = 0, bad_balanced = 0;
        for (int k = 0; k < d; k++) {
            double m = 0, m2 = 0;
            for (int r = 0; r < R; r++)
                m += tau[r][k] / R, m2 += tau[r][k] * tau[r][k] / R;
            double se = sqrt(fmax(0, m2 - m * m) * R / (R - 1) / R);
            double pred = log(2.0) / (8 * lam[k]), tol = 5 * se + eta;
            print_message("sigma %g lambda %g: emergence %.4f +- %.4f, ln 2/(8 lambda) %.4f\n", sg,
                          lam[k], m, se, pred);
            bad += !(fabs(m - pred) < tol);
            bad_balanced += fabs(m - 2 * pred) < tol;
        }
        assert_int_equal(bad, 0);
        assert_int_equal(bad_balanced, 0);
    }
    gdata_free(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sampler),
        cmocka_unit_test(test_observe_planted),
        cmocka_unit_test(test_readout),
        cmocka_unit_test(test_sgd_vs_flow),
        cmocka_unit_test(test_gaussian_equivalence),
        cmocka_unit_test(test_exact_grad),
        cmocka_unit_test(test_full_batch),
        cmocka_unit_test(test_symlinear_emergence),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
