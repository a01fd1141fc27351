/* act — activation functions; see include/act.h. */
#include "core/act.h"

#include "base/limits.h"
#include "base/log.h"

#include <math.h>

act_fn act_make(act_kind kind, double scale, int k, double alpha, double sigma, double beta_u,
                double beta_v)
{
    act_fn a = {.kind = kind, .scale = scale, .k = k};
    if (kind == ACT_HERMITE && (k < 0 || k > LIMITS_MAX_HERMITE_K))
        LOG_DIE("Hermite order %d not in [0, %d]", k, LIMITS_MAX_HERMITE_K);
    double s2 = sigma * sigma;
    if (kind == ACT_MATCHED_U) {
        a.c1 = alpha * beta_u * s2 / (1.0 + beta_u * alpha * alpha); /* gamma_u, eq. (5) */
    } else if (kind == ACT_MATCHED_V) {
        double b = sqrt(beta_v / (1.0 + beta_v)), at = alpha * b, q = 1.0 - at * at;
        a.c1 = b * s2 / q; /* prefactor of f_v */
        a.c2 = at / q;     /* slope inside tanh */
        a.c3 = at;         /* linear part */
    }
    return a;
}

/* He_k and its derivative k He_{k-1} by the recurrence He_{n+1} = h He_n - n He_{n-1}. */
static void act_hermite(int k, double h, double *f, double *df)
{
    double p0 = 1.0, p1 = h;
    if (k == 0) {
        *f = 1.0, *df = 0.0;
        return;
    }
    for (int n = 1; n < k; n++) {
        double p2 = h * p1 - n * p0;
        p0 = p1;
        p1 = p2;
    }
    *f = p1;
    *df = k * p0;
}

static void act_both(const act_fn *a, double h, double *f, double *df)
{
    switch (a->kind) {
    case ACT_TANH: {
        double th = tanh(h);
        *f = th, *df = 1.0 - th * th;
        break;
    }
    case ACT_ERF:
        *f = erf(h), *df = M_2_SQRTPI * exp(-h * h);
        break;
    case ACT_RELU:
        *f = h > 0 ? h : 0.0, *df = h > 0 ? 1.0 : 0.0;
        break;
    case ACT_LINEAR:
        *f = h, *df = 1.0;
        break;
    case ACT_HERMITE:
        act_hermite(a->k, h, f, df);
        break;
    case ACT_MATCHED_U:
        *f = a->c1 * h, *df = a->c1;
        break;
    case ACT_MATCHED_V: {
        double th = tanh(a->c2 * h);
        *f = a->c1 * (th - a->c3 * h);
        *df = a->c1 * (a->c2 * (1.0 - th * th) - a->c3);
        break;
    }
    }
    *f *= a->scale;
    *df *= a->scale;
}

double act_f(const act_fn *a, double h)
{
    double f, df;
    act_both(a, h, &f, &df);
    return f;
}

double act_df(const act_fn *a, double h)
{
    double f, df;
    act_both(a, h, &f, &df);
    return df;
}

void act_eval(const act_fn *a, int n, const double *h, double *f, double *df)
{
    double dummy;
    for (int i = 0; i < n; i++)
        act_both(a, h[i], &f[i], df ? &df[i] : &dummy);
}
