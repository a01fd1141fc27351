/* projstat — streaming projection statistics; see include/projstat.h. */
#include "core/projstat.h"

#include "base/log.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void projstat_init(projstat_acc *a, int ndir, int bins, double range, const double *center,
                   const double *scale, int cross_a, int cross_b)
{
    if (ndir < 1 || ndir > PROJSTAT_MAXDIR || bins < 1 || !(range > 0))
        LOG_DIE("invalid projstat shape ndir=%d bins=%d range=%g", ndir, bins, range);
    memset(a, 0, sizeof *a);
    a->ndir = ndir;
    a->bins = bins;
    a->range = range;
    a->cross[0] = cross_a;
    a->cross[1] = cross_b;
    for (int j = 0; j < ndir; j++) {
        a->center[j] = center[j];
        a->scale[j] = scale[j] > 0 ? scale[j] : 1.0;
    }
    a->hist = LOG_CALLOC((size_t)ndir * (size_t)bins, sizeof *a->hist);
}

void projstat_free(projstat_acc *a)
{
    free(a->hist);
    a->hist = NULL;
}

void projstat_add(projstat_acc *a, const double *h)
{
    double z[PROJSTAT_MAXDIR];
    for (int j = 0; j < a->ndir; j++) {
        z[j] = (h[j] - a->center[j]) / a->scale[j];
        double p = 1.0;
        for (int k = 1; k <= PROJSTAT_ORDER; k++) {
            p *= z[j];
            a->s[j][k] += p;
        }
        /* Bins are half-open [lo, hi); the floor keeps negative positions out of bin 0. */
        double pos = floor((z[j] + a->range) / (2.0 * a->range) * a->bins);
        if (pos >= 0 && pos < a->bins)
            a->hist[(size_t)j * (size_t)a->bins + (size_t)pos]++;
        else
            a->outside[j]++;
    }
    a->s_cross += z[a->cross[0]] * z[a->cross[1]];
    a->n++;
}

static double binom(int n, int k)
{
    double r = 1.0;
    for (int i = 1; i <= k; i++)
        r = r * (n - k + i) / i;
    return r;
}

/* Central moments mu[0..8] of z from its raw power sums. */
static void projstat_central(const projstat_acc *a, int dir, double mu[PROJSTAT_ORDER + 1])
{
    double n = (double)a->n, raw[PROJSTAT_ORDER + 1];
    raw[0] = 1.0;
    for (int k = 1; k <= PROJSTAT_ORDER; k++)
        raw[k] = a->s[dir][k] / n;
    double m = raw[1];
    for (int k = 0; k <= PROJSTAT_ORDER; k++) {
        double acc = 0.0;
        for (int i = 0; i <= k; i++)
            acc += binom(k, i) * raw[i] * pow(-m, k - i);
        mu[k] = acc;
    }
}

void projstat_result(const projstat_acc *a, int dir, projstat_moments *out)
{
    double mu[PROJSTAT_ORDER + 1], n = (double)a->n, sc = a->scale[dir];
    projstat_central(a, dir, mu);
    double m2 = mu[2], m3 = mu[3], m4 = mu[4], m5 = mu[5], m6 = mu[6], m8 = mu[8];
    out->mean = a->center[dir] + sc * a->s[dir][1] / n;
    out->variance = sc * sc * m2;
    out->skewness = m3 / pow(m2, 1.5);
    out->excess_kurtosis = m4 / (m2 * m2) - 3.0;
    out->mean_se = sc * sqrt(m2 / n);
    out->variance_se = sc * sc * sqrt(fmax(m4 - m2 * m2, 0.0) / n);
    /* Influence function of m4/m2^2: A (y^4 - m4) - 4 A m3 y - B (y^2 - m2), A = 1/m2^2,
     * B = 2 m4/m2^3; its variance over n is the kurtosis variance. */
    double A = 1.0 / (m2 * m2), B = 2.0 * m4 / (m2 * m2 * m2);
    double v = A * A * (m8 - m4 * m4) + 16 * A * A * m3 * m3 * m2 + B * B * (m4 - m2 * m2) -
               8 * A * A * m3 * m5 - 2 * A * B * (m6 - m4 * m2) + 8 * A * B * m3 * m3;
    out->excess_kurtosis_se = sqrt(fmax(v, 0.0) / n);
}

double projstat_cross_cov(const projstat_acc *a)
{
    int i = a->cross[0], j = a->cross[1];
    double n = (double)a->n;
    double c = a->s_cross / n - (a->s[i][1] / n) * (a->s[j][1] / n);
    return c * a->scale[i] * a->scale[j];
}

void projstat_edges(const projstat_acc *a, int dir, double *edges)
{
    for (int b = 0; b <= a->bins; b++)
        edges[b] = a->center[dir] + a->scale[dir] * a->range * (2.0 * b / a->bins - 1.0);
}
