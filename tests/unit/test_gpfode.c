/* Unit tests of the time-ordered PF-ODE (core/gpfode.h, gaussian-theory.md §3.1, §3.6):
 *   - aligned: diagonal knots given as full matrices (RK4 path) against the exact per-mode
 *     product of gdata_gen_var_levels (24 knots, 5 per decade), with the error falling as
 *     nsub^-4 (RK4's order: ratio > 12 per halving) to < 1e-6 relative at nsub = 16, and the
 *     KL against gt_kl;
 *   - non-commuting 2 x 2: W constant over [sigma_0, sigma_T] against the exact exponential
 *     (R diag(e^{-(1 - w_i) T}) R^T), KL against the direct 2 x 2 formulas; two halves with
 *     non-commuting constant maps against exp(lower) exp(upper), while the product in the
 *     other order (a deliberately wrong time ordering) misses by far more than the tolerance. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/gdata.h"
#include "core/gpfode.h"
#include "core/gtheory.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

enum { D = 3, N = 24 };
static const double S0 = 0.002, ST = 80;

/* Knots from S0 to ST and an aligned psi at them (smooth in ln sigma, like a trained schedule). */
static void aligned_knots(double *sigma, double *psi, double *full)
{
    const double lam[D] = {1, 0.1, 0.01};
    for (int j = 0; j < N; j++) {
        sigma[j] = S0 * pow(ST / S0, (double)j / (N - 1));
        for (int k = 0; k < D; k++) {
            psi[j * D + k] = lam[k] / (lam[k] + sigma[j] * sigma[j]) * (1 - 0.3 * k);
            for (int i = 0; i < D; i++)
                full[(j * D + k) * D + i] = k == i ? psi[j * D + k] : 0;
        }
    }
}

static void test_aligned_order(void **st)
{
    (void)st;
    double sigma[N], psi[N * D], full[N * D * D], lam[D] = {1, 0.1, 0.01}, exact[D], one[N];
    aligned_knots(sigma, psi, full);
    for (int k = 0; k < D; k++) {
        for (int j = 0; j < N; j++)
            one[j] = psi[j * D + k];
        exact[k] = gdata_gen_var_levels(N, sigma, one, S0, ST);
    }
    const double *Wk[N];
    for (int j = 0; j < N; j++)
        Wk[j] = &full[j * D * D];
    double prev = 0, var[D], kl[2], err = 0;
    for (int nsub = 1; nsub <= 16; nsub *= 2) {
        assert_int_equal(gpfode_gen_cov(D, N, sigma, Wk, NULL, S0, ST, nsub, lam, var, kl), 0);
        err = 0;
        for (int k = 0; k < D; k++)
            err = fmax(err, fabs(var[k] / exact[k] - 1));
        print_message("nsub %2d: largest relative error %.3g (ratio %.1f)\n", nsub, err,
                      prev / err);
        if (nsub >= 4) assert_true(prev / err > 12);
        prev = err;
    }
    assert_true(err < 1e-6);
    double a, b;
    gt_kl(D, lam, exact, &a, &b);
    assert_true(fabs(kl[0] - a) < 1e-6 * fmax(1, a) && fabs(kl[1] - b) < 1e-6 * fmax(1, b));
    /* the diagonal path (NULL knots) is the exact product itself */
    const double *none[N] = {0};
    gpfode_gen_cov(D, N, sigma, none, psi, S0, ST, 1, lam, var, kl);
    for (int k = 0; k < D; k++)
        assert_true(fabs(var[k] / exact[k] - 1) < 1e-13);
}

/* R diag(w) R^T, R the rotation by angle th. */
static void sym2(double th, double w1, double w2, double *W)
{
    double c = cos(th), s = sin(th);
    W[0] = c * c * w1 + s * s * w2, W[3] = s * s * w1 + c * c * w2;
    W[1] = W[2] = c * s * (w1 - w2);
}

/* exp(-(I - W) T) of W = R diag(w) R^T. */
static void expm2(double th, double w1, double w2, double T, double *E)
{
    sym2(th, exp(-(1 - w1) * T), exp(-(1 - w2) * T), E);
}

static void mul2(const double *A, const double *B, double *C)
{
    double c[4] = {A[0] * B[0] + A[1] * B[2], A[0] * B[1] + A[1] * B[3], A[2] * B[0] + A[3] * B[2],
                   A[2] * B[1] + A[3] * B[3]};
    memcpy(C, c, sizeof c);
}

static void test_noncommuting(void **st)
{
    (void)st;
    enum { M = 12 };
    double sigma[M], W1[4], W2[4], lam[2] = {2, 0.05}, var[2], kl[2];
    double T = log(ST / S0), mid = sqrt(S0 * ST);
    sym2(0.4, 0.9, 0.2, W1);
    sym2(-0.7, 0.6, 0.95, W2);
    const double *Wk[M];
    /* constant W1 on [S0, mid], W2 on [mid (1 + 1e-12), ST]: knots every 1/5 of each half */
    for (int j = 0; j < 6; j++) {
        sigma[j] = S0 * pow(mid / S0, j / 5.0), Wk[j] = W1;
        sigma[6 + j] = mid * (1 + 1e-12) * pow(ST / (mid * (1 + 1e-12)), j / 5.0), Wk[6 + j] = W2;
    }
    assert_int_equal(gpfode_gen_cov(2, M, sigma, Wk, NULL, S0, ST, 16, lam, var, kl), 0);
    double El[4], Eu[4], X[4], Xw[4];
    expm2(0.4, 0.9, 0.2, 0.5 * T, El);
    expm2(-0.7, 0.6, 0.95, 0.5 * T, Eu);
    mul2(El, Eu, X);  /* x(s0) = exp(lower) exp(upper) x(sT): the upper half acts first */
    mul2(Eu, El, Xw); /* the wrong ordering */
    double err = 0, errw = 0;
    for (int k = 0; k < 2; k++) {
        double v = ST * ST * (X[2 * k] * X[2 * k] + X[2 * k + 1] * X[2 * k + 1]);
        double vw = ST * ST * (Xw[2 * k] * Xw[2 * k] + Xw[2 * k + 1] * Xw[2 * k + 1]);
        err = fmax(err, fabs(var[k] / v - 1)), errw = fmax(errw, fabs(var[k] / vw - 1));
    }
    print_message("time-ordered: relative error %.3g; reversed order: %.3g\n", err, errw);
    assert_true(err < 1e-6);
    assert_true(errw > 1e3 * 1e-6);
    /* KL of N(0, S) against N(0, diag lam), S = sT^2 X X^T, directly in 2 x 2 */
    double S[4], Xt[4] = {X[0], X[2], X[1], X[3]};
    mul2(X, Xt, S);
    for (int j = 0; j < 4; j++)
        S[j] *= ST * ST;
    double det = S[0] * S[3] - S[1] * S[2];
    double k0 = 0.5 * (S[0] / lam[0] + S[3] / lam[1] - 2 + log(lam[0] * lam[1] / det));
    double k1 = 0.5 * ((S[3] * lam[0] + S[0] * lam[1]) / det - 2 + log(det / (lam[0] * lam[1])));
    print_message("KL %.8g %.8g, direct %.8g %.8g\n", kl[0], kl[1], k0, k1);
    assert_true(fabs(kl[0] - k0) < 1e-6 * k0 && fabs(kl[1] - k1) < 1e-6 * k1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aligned_order),
        cmocka_unit_test(test_noncommuting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
