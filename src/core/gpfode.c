/* gpfode — the time-ordered PF-ODE of a linear denoiser; see include/core/gpfode.h. */
#include "core/gpfode.h"

#include "base/log.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int d;
    double *X, *Y;           /* transition and its inverse, row-major d x d */
    double *W, *K[4], *L[4]; /* W(t); RK4 stages of X and Y */
    double *Xs, *Ys;         /* stage arguments */
    double logdet;           /* ln det X */
} gp_state;

/* W(t) = (1 - f) A + f B, each a full matrix or (NULL) the diagonal a / b. */
static void gp_w_at(int d, const double *A, const double *a, const double *B, const double *b,
                    double f, double *W)
{
    size_t n = (size_t)d;
    memset(W, 0, n * n * sizeof(double));
    if (A)
        cblas_daxpy(d * d, 1 - f, A, 1, W, 1);
    else
        for (size_t k = 0; k < n; k++)
            W[k * n + k] += (1 - f) * a[k];
    if (B)
        cblas_daxpy(d * d, f, B, 1, W, 1);
    else
        for (size_t k = 0; k < n; k++)
            W[k * n + k] += f * b[k];
}

/* KX = (I - W) X and LY = -Y (I - W). */
static void gp_rhs(int d, const double *W, const double *X, const double *Y, double *KX, double *LY)
{
    size_t nn = (size_t)d * (size_t)d;
    memcpy(KX, X, nn * sizeof(double));
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, d, d, d, -1.0, W, d, X, d, 1.0, KX, d);
    for (size_t j = 0; j < nn; j++)
        LY[j] = -Y[j];
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, d, d, d, 1.0, Y, d, W, d, 1.0, LY, d);
}

static double gp_trace(int d, const double *W)
{
    double s = 0;
    for (int k = 0; k < d; k++)
        s += W[(size_t)k * (size_t)d + (size_t)k];
    return s;
}

/* One interval [x0, x1] of knots (A, a) at xa and (B, b) at xb (xa < xb; f linear in t between
 * them), integrated from x1 down to x0 by RK4 with nsub steps. */
static void gp_rk4(gp_state *s, const double *A, const double *a, const double *B, const double *b,
                   double xa, double xb, double x0, double x1, int nsub)
{
    int d = s->d;
    size_t nn = (size_t)d * (size_t)d;
    double h = (x0 - x1) / nsub;
    static const double c[4] = {0, 0.5, 0.5, 1}, wgt[4] = {1, 2, 2, 1};
    for (int i = 0; i < nsub; i++) {
        double t = x1 + i * h;
        for (int st = 0; st < 4; st++) {
            double ts = t + c[st] * h, f = xb > xa ? (ts - xa) / (xb - xa) : 0;
            gp_w_at(d, A, a, B, b, f, s->W);
            const double *Xa = s->X, *Ya = s->Y;
            if (st > 0) {
                memcpy(s->Xs, s->X, nn * sizeof(double));
                memcpy(s->Ys, s->Y, nn * sizeof(double));
                cblas_daxpy(d * d, c[st] * h, s->K[st - 1], 1, s->Xs, 1);
                cblas_daxpy(d * d, c[st] * h, s->L[st - 1], 1, s->Ys, 1);
                Xa = s->Xs, Ya = s->Ys;
            }
            gp_rhs(d, s->W, Xa, Ya, s->K[st], s->L[st]);
        }
        for (int st = 0; st < 4; st++) {
            cblas_daxpy(d * d, h * wgt[st] / 6, s->K[st], 1, s->X, 1);
            cblas_daxpy(d * d, h * wgt[st] / 6, s->L[st], 1, s->Y, 1);
        }
    }
}

/* An interval where W is diagonal: X <- E X, Y <- Y E^-1 with E_kk = exp(-int (1 - psi_k)). */
static void gp_diag(gp_state *s, const double *a, const double *b, double xa, double xb, double x0,
                    double x1)
{
    size_t n = (size_t)s->d;
    double fa = xb > xa ? (x0 - xa) / (xb - xa) : 0, fb = xb > xa ? (x1 - xa) / (xb - xa) : 0;
    for (size_t k = 0; k < n; k++) {
        double p0 = a[k] + fa * (b[k] - a[k]), p1 = a[k] + fb * (b[k] - a[k]);
        double e = exp(-0.5 * ((1 - p0) + (1 - p1)) * (x1 - x0));
        cblas_dscal(s->d, e, &s->X[k * n], 1);
        cblas_dscal(s->d, 1 / e, &s->Y[k], s->d);
    }
}

static void gp_alloc(gp_state *s, int d)
{
    size_t nn = (size_t)d * (size_t)d;
    memset(s, 0, sizeof *s);
    s->d = d;
    double **all[] = {&s->X,    &s->Y,    &s->W,    &s->Xs,   &s->Ys,   &s->K[0], &s->K[1],
                      &s->K[2], &s->K[3], &s->L[0], &s->L[1], &s->L[2], &s->L[3]};
    for (size_t j = 0; j < sizeof all / sizeof all[0]; j++)
        *all[j] = LOG_CALLOC(nn, sizeof(double));
    for (int k = 0; k < d; k++)
        s->X[(size_t)k * (size_t)d + (size_t)k] = s->Y[(size_t)k * (size_t)d + (size_t)k] = 1;
}

static void gp_free(gp_state *s)
{
    double *all[] = {s->X,    s->Y,    s->W,    s->Xs,   s->Ys,   s->K[0], s->K[1],
                     s->K[2], s->K[3], s->L[0], s->L[1], s->L[2], s->L[3]};
    for (size_t j = 0; j < sizeof all / sizeof all[0]; j++)
        free(all[j]);
}

/* Variances and KL from X, Y and ln det X. */
static void gp_finish(const gp_state *s, double sT, const double *lambda, double *var, double *kl)
{
    int d = s->d;
    size_t n = (size_t)d;
    double s2 = sT * sT, tr1 = 0, tr2 = 0, ldl = 0;
    for (size_t k = 0; k < n; k++) {
        var[k] = s2 * cblas_ddot(d, &s->X[k * n], 1, &s->X[k * n], 1);
        if (!lambda) continue;
        tr1 += var[k] / lambda[k];
        tr2 += lambda[k] * cblas_ddot(d, &s->Y[k], d, &s->Y[k], d) / s2; /* (Y^T Y)_kk */
        ldl += log(lambda[k]);
    }
    if (!lambda) return;
    double ldg = d * log(s2) + 2 * s->logdet; /* ln det Sigma~ */
    kl[0] = 0.5 * (tr1 - d + ldl - ldg);
    kl[1] = 0.5 * (tr2 - d + ldg - ldl);
}

int gpfode_gen_cov(int d, int n, const double *sigma, const double *const *Wk, const double *psi,
                   double s0, double sT, int nsub, const double *lambda, double *var, double *kl)
{
    if (n < 2 || sigma[0] > s0 || sigma[n - 1] < sT) return -1;
    gp_state s;
    gp_alloc(&s, d);
    double lo = log(s0), hi = log(sT);
    size_t dd = (size_t)d;
    for (int j = n - 2; j >= 0; j--) { /* from sigma_T down */
        double xa = log(sigma[j]), xb = log(sigma[j + 1]);
        double x0 = fmax(xa, lo), x1 = fmin(xb, hi);
        if (x1 <= x0) continue;
        const double *A = Wk[j], *B = Wk[j + 1];
        const double *a = A ? NULL : &psi[(size_t)j * dd],
                     *b = B ? NULL : &psi[(size_t)(j + 1) * dd];
        /* ln det X: -int tr(I - W) dt, W linear in t (trapezoid exact) */
        double fa = xb > xa ? (x0 - xa) / (xb - xa) : 0, fb = xb > xa ? (x1 - xa) / (xb - xa) : 0;
        double trA = A ? gp_trace(d, A) : 0, trB = B ? gp_trace(d, B) : 0;
        for (int k = 0; k < d && (!A || !B); k++)
            trA += A ? 0 : a[k], trB += B ? 0 : b[k];
        double t0 = trA + fa * (trB - trA), t1 = trA + fb * (trB - trA);
        s.logdet -= 0.5 * ((d - t0) + (d - t1)) * (x1 - x0);
        if (!A && !B)
            gp_diag(&s, a, b, xa, xb, x0, x1);
        else
            gp_rk4(&s, A, a, B, b, xa, xb, x0, x1, nsub);
    }
    gp_finish(&s, sT, lambda, var, kl);
    gp_free(&s);
    return 0;
}
