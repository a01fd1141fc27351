/* gdata — Gaussian data and the eigenbasis view of linear denoisers; see include/core/gdata.h.
 *
 * Layout: U is column-major, so its memory read row-major is the matrix M with rows u_k^T;
 * samples and weights are row-major. Then a batch X[n][d] = Z[n][d] M (x_b = U z_b) and the
 * rows of M W^T are (W u_k)^T: both one dgemm. */
#include "core/gdata.h"

#include "base/log.h"
#include "core/rng.h"
#include "core/rngv.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static double *gdata_copy(const double *v, size_t n)
{
    double *c = LOG_CALLOC(n, sizeof(double));
    if (v) memcpy(c, v, n * sizeof(double));
    return c;
}

void gdata_init(gdata *g, int d, const double *lambda, const double *q, double mean,
                const double *U)
{
    memset(g, 0, sizeof *g);
    size_t n = (size_t)d;
    g->d = d;
    g->lambda = gdata_copy(lambda, n);
    g->q = gdata_copy(q, n);
    g->sq = LOG_CALLOC(n, sizeof(double));
    g->mu = LOG_CALLOC(n, sizeof(double));
    double tr = 0;
    for (size_t k = 0; k < n; k++) {
        g->sq[k] = sqrt(lambda[k]);
        g->mu[k] = mean;
        tr += lambda[k];
    }
    g->sbar = tr / d;
    g->U = U ? gdata_copy(U, n * n) : NULL;
}

void gdata_free(gdata *g)
{
    free(g->lambda), free(g->sq), free(g->q), free(g->mu), free(g->U);
    memset(g, 0, sizeof *g);
}

void gdata_sample(const gdata *g, uint32_t seed, uint64_t task, int purpose, int n,
                  const uint64_t *index, double *x, double *z)
{
    size_t d = (size_t)g->d;
    rng_stream s = rng_stream_make(seed, task, (rng_purpose)purpose);
    double *zz = g->U ? z : x; /* identity basis: scale in place */
    for (int b = 0; b < n; b++) {
        double *r = &zz[(size_t)b * d];
        rngv_normal_at(&s, index[b], d, r);
        for (size_t k = 0; k < d; k++)
            r[k] *= g->sq[k];
    }
    if (g->U)
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, g->d, g->d, 1.0, z, g->d, g->U,
                    g->d, 0.0, x, g->d);
    for (int b = 0; b < n; b++)
        for (size_t i = 0; i < d; i++)
            x[(size_t)b * d + i] += g->mu[i];
}

double gdata_mmse(const gdata *g, double sigma)
{
    double s2 = sigma * sigma, m = 0;
    for (int k = 0; k < g->d; k++)
        m += s2 * g->lambda[k] / (s2 + g->lambda[k]);
    return m / g->d;
}

void gdata_init_linear(const gdata *g, double *W)
{
    size_t d = (size_t)g->d;
    memset(W, 0, d * d * sizeof(double));
    if (!g->U) {
        for (size_t k = 0; k < d; k++)
            W[k * d + k] = g->q[k];
        return;
    }
    double *S = LOG_CALLOC(d * d, sizeof(double));
    for (size_t k = 0; k < d; k++)
        for (size_t i = 0; i < d; i++)
            S[k * d + i] = g->q[k] * g->U[k * d + i];
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, g->d, g->d, g->d, 1.0, g->U, g->d, S, g->d,
                0.0, W, g->d);
    free(S);
}

void gdata_init_sym(const gdata *g, int h, double *Pt)
{
    size_t d = (size_t)g->d;
    memset(Pt, 0, (size_t)h * d * sizeof(double));
    for (size_t k = 0; k < (size_t)h && k < d; k++) {
        double a = sqrt(g->q[k]);
        if (!g->U)
            Pt[k * d + k] = a;
        else
            for (size_t i = 0; i < d; i++)
                Pt[k * d + i] = a * g->U[k * d + i];
    }
}

/* w_k and |W u_k|^2 of every mode. */
static void gdata_columns(const gdata *g, const double *W, double *w, double *n2, double *work)
{
    size_t d = (size_t)g->d;
    if (!g->U) {
        memset(n2, 0, d * sizeof(double));
        for (size_t i = 0; i < d; i++)
            for (size_t k = 0; k < d; k++)
                n2[k] += W[i * d + k] * W[i * d + k];
        for (size_t k = 0; k < d; k++)
            w[k] = W[k * d + k];
        return;
    }
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, g->d, g->d, g->d, 1.0, g->U, g->d, W, g->d,
                0.0, work, g->d);
    for (size_t k = 0; k < d; k++) {
        w[k] = cblas_ddot(g->d, &g->U[k * d], 1, &work[k * d], 1);
        n2[k] = cblas_ddot(g->d, &work[k * d], 1, &work[k * d], 1);
    }
}

/* |U^T W U - diag|_F from the off-diagonal elements themselves (the difference |W|_F^2 -
 * sum w_k^2 would cancel to rounding for a nearly aligned W): C = M (W U)^T = U^T W^T U. */
static double gdata_offdiag(const gdata *g, const double *W, const double *WU, double *C)
{
    size_t d = (size_t)g->d;
    const double *A = W;
    if (g->U) {
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, g->d, g->d, g->d, 1.0, g->U, g->d, WU,
                    g->d, 0.0, C, g->d);
        A = C;
    }
    double s = 0;
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++)
            if (i != j) s += A[i * d + j] * A[i * d + j];
    return sqrt(s);
}

void gdata_observe(const gdata *g, const double *W, const double *b, double sigma, double *out,
                   double *work)
{
    size_t d = (size_t)g->d;
    double *w = out, *l = out + d, *sc = out + 2 * d, s2 = sigma * sigma;
    gdata_columns(g, W, w, l, work);
    double total = 0;
    for (size_t k = 0; k < d; k++) {
        double n2 = l[k];
        l[k] = g->lambda[k] * (n2 - 2 * w[k] + 1) + s2 * n2;
        total += l[k];
    }
    double mean = 0;
    for (size_t i = 0; i < d; i++) {
        double r = (b ? b[i] : 0) - g->mu[i] + cblas_ddot(g->d, &W[i * d], 1, g->mu, 1);
        mean += r * r;
    }
    sc[GDATA_OFFDIAG] = gdata_offdiag(g, W, work, work + d * d);
    sc[GDATA_BIAS] = mean;
    sc[GDATA_LOSS] = total + mean;
}

/* psi at x = ln sigma: linear between the knots, constant beyond. */
static double gdata_psi_at(int n, const double *ls, const double *psi, double x)
{
    if (x <= ls[0]) return psi[0];
    if (x >= ls[n - 1]) return psi[n - 1];
    int j = 0;
    while (j + 1 < n - 1 && ls[j + 1] < x)
        j++;
    double f = (x - ls[j]) / (ls[j + 1] - ls[j]);
    return psi[j] + f * (psi[j + 1] - psi[j]);
}

double gdata_gen_var_levels(int n, const double *sigma, const double *psi, double s0, double sT)
{
    double a = log(s0), bnd = log(sT), integral = 0, x = a;
    double *ls = LOG_CALLOC((size_t)n, sizeof(double));
    for (int j = 0; j < n; j++)
        ls[j] = log(sigma[j]);
    /* Trapezoids between consecutive breakpoints are exact for a piecewise-linear psi. */
    for (int j = 0; j <= n; j++) {
        double nx = j < n ? ls[j] : bnd;
        if (nx <= x) continue;
        if (nx > bnd) nx = bnd;
        double f0 = 1 - gdata_psi_at(n, ls, psi, x), f1 = 1 - gdata_psi_at(n, ls, psi, nx);
        integral += 0.5 * (f0 + f1) * (nx - x);
        x = nx;
    }
    free(ls);
    return sT * sT * exp(-2 * integral);
}

double gdata_crossing(int n, const double *tau, const double *v, double target)
{
    if (n < 2 || !isfinite(v[0]) || v[0] == target) return NAN;
    double side = v[0] > target ? 1 : -1;
    for (int i = 1; i < n; i++) {
        if (!isfinite(v[i]) || (v[i] - target) * side > 0) continue;
        double f = (target - v[i - 1]) / (v[i] - v[i - 1]);
        if (tau[i - 1] <= 0) return f * tau[i];
        double l0 = log(tau[i - 1]), l1 = log(tau[i]);
        return exp(l0 + f * (l1 - l0));
    }
    return NAN;
}

/* Chunk of samples per dsyrk in gdata_moments: bounded memory for any n, a fixed order (the
 * engine and the output build the same S bit for bit). */
#define GDATA_CHUNK 256

void gdata_moments(const gdata *g, uint32_t seed, uint64_t task, int purpose, uint64_t n, double *S,
                   double *m)
{
    size_t d = (size_t)g->d, c = n < GDATA_CHUNK ? (size_t)n : GDATA_CHUNK;
    double *x = LOG_CALLOC(c * d, sizeof(double)), *z = LOG_CALLOC(c * d, sizeof(double));
    uint64_t *ix = LOG_CALLOC(c, sizeof(uint64_t));
    memset(S, 0, d * d * sizeof(double));
    memset(m, 0, d * sizeof(double));
    for (uint64_t at = 0; at < n; at += c) {
        int nb = (int)(n - at < c ? n - at : c);
        for (int b = 0; b < nb; b++)
            ix[b] = at + (uint64_t)b;
        gdata_sample(g, seed, task, purpose, nb, ix, x, z);
        /* upper triangle of S += X^T X (X row-major nb x d) */
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, g->d, nb, 1.0, x, g->d, 1.0, S, g->d);
        for (int b = 0; b < nb; b++)
            cblas_daxpy(g->d, 1.0, &x[(size_t)b * d], 1, m, 1);
    }
    double inv = 1.0 / (double)n;
    for (size_t i = 0; i < d; i++) {
        m[i] *= inv;
        for (size_t j = i; j < d; j++)
            S[i * d + j] = S[j * d + i] = S[i * d + j] * inv;
    }
    free(x), free(z), free(ix);
}

void gdata_moments_population(const gdata *g, double *S, double *m)
{
    size_t d = (size_t)g->d;
    memset(S, 0, d * d * sizeof(double));
    for (size_t k = 0; k < d; k++) {
        if (!g->U) {
            S[k * d + k] = g->lambda[k];
            continue;
        }
        /* S += lambda_k u_k u_k^T, u_k the contiguous row k of g->U's memory */
        cblas_dsyr(CblasRowMajor, CblasUpper, g->d, g->lambda[k], &g->U[k * d], 1, S, g->d);
    }
    for (size_t i = 0; i < d; i++) {
        m[i] = g->mu[i];
        for (size_t j = i; j < d; j++)
            S[j * d + i] = S[i * d + j] += g->mu[i] * g->mu[j];
    }
}

double gdata_exact_grad(int d, const double *S, const double *m, double sigma, const double *W,
                        const double *b, double *GW, double *Gb)
{
    size_t n = (size_t)d;
    double sg2 = sigma * sigma;
    /* GW = W S (S symmetric), then the loss terms that need it before it is overwritten */
    cblas_dsymm(CblasRowMajor, CblasRight, CblasUpper, d, d, 1.0, S, d, W, d, 0.0, GW, d);
    double loss = 0;
    for (size_t i = 0; i < n; i++) {
        loss += S[i * n + i] - 2 * GW[i * n + i];
        loss += cblas_ddot(d, &GW[i * n], 1, &W[i * n], 1) +
                sg2 * cblas_ddot(d, &W[i * n], 1, &W[i * n], 1);
    }
    /* Wm - m, the mean residual of a bias-free map; with b: r = W m + b - m */
    double *r = Gb;
    for (size_t i = 0; i < n; i++)
        r[i] = cblas_ddot(d, &W[i * n], 1, m, 1) - m[i];
    if (b) {
        double bb = 0, br = 0;
        for (size_t i = 0; i < n; i++)
            bb += b[i] * b[i], br += b[i] * r[i];
        loss += 2 * br + bb;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            GW[i * n + j] =
                2 * (GW[i * n + j] + sg2 * W[i * n + j] - S[i * n + j] + (b ? b[i] * m[j] : 0));
    if (b)
        for (size_t i = 0; i < n; i++)
            Gb[i] = 2 * (r[i] + b[i]);
    return loss;
}

/* Stationary fluctuation (online mini-batch SGD of W x at level sigma, batch B, step eta; zero
 * mean, no bias), derived exactly for Gaussian data in the eigenbasis: with D = W - W*, the
 * optimal residual r = W* x_s - x0 is independent of x_s (jointly Gaussian, uncorrelated), so
 * D' = D (I - 2 eta X^) - 2 eta (1/B) sum_b r_b x_b^T with X^ the batch moment of x_s. Isserlis
 * (Wishart moments of X^) closes the recursion of v_kl = E D_kl^2 row by row:
 *   v_kl [1 - (1 - 2 eta a_l)^2 - 4 eta^2 a_l^2 / B] = (4 eta^2 / B) a_l (S_k + rho_k),
 *   S_k = sum_m a_m v_km, a_l = lambda_l + sigma^2, rho_k = sigma^2 lambda_k / (lambda_k + s^2),
 * whose fixed point is
 *   v_kl = eta c_l rho_k / (1 - eta T),  c_l = 1 / (B [1 - eta a_l (1 + 1/B)]),  T = sum_l a_l c_l.
 * Its small-eta limit is §5.3's eta rho_k / B; the variance of u_k^T W u_k is v_kk.
 */
void gdata_sgd_stationary_var(int d, const double *lambda, double sigma, double eta, double B,
                              double *var)
{
    double s2 = sigma * sigma, T = 0;
    for (int l = 0; l < d; l++) {
        double a = lambda[l] + s2;
        T += a / (B * (1 - eta * a * (1 + 1 / B)));
    }
    for (int k = 0; k < d; k++) {
        double a = lambda[k] + s2, rho = s2 * lambda[k] / a;
        double c = 1 / (B * (1 - eta * a * (1 + 1 / B)));
        var[k] = 1 - eta * T > 0 && c > 0 ? eta * c * rho / (1 - eta * T) : INFINITY;
    }
}

void gdata_eigen_view(const gdata *g, const double *W, double *out, double *work)
{
    size_t d = (size_t)g->d;
    if (!g->U) {
        memcpy(out, W, d * d * sizeof(double));
        return;
    }
    /* M (row-major read of U) has rows u_k^T: U^T W U = M W M^T */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, g->d, g->d, g->d, 1.0, W, g->d, g->U, g->d,
                0.0, work, g->d);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, g->d, g->d, g->d, 1.0, g->U, g->d, work,
                g->d, 0.0, out, g->d);
}
