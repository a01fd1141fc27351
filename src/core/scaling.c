/* scaling — Kaplan-Meier quantiles, their bootstrap CIs and the power-law fit; see
 * include/scaling.h for the conventions. */
#include "core/scaling.h"

#include "base/log.h"
#include "core/rng.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_fit.h>
#include <gsl/gsl_sort.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    double t;
    int event;
    int orig; /* rank among the usable observations, in input order */
} km_obs;

static int km_cmp(const void *a, const void *b)
{
    const km_obs *x = a, *y = b;
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    /* qsort is not stable: a total order keeps the walk (and so the result) input-independent. */
    return (x->orig > y->orig) - (x->orig < y->orig);
}

/* The usable observations (t not NaN) sorted by time; *m receives their number. */
static km_obs *km_sorted(const double *t, const int *event, int n, int *m)
{
    km_obs *o = LOG_CALLOC((size_t)(n > 0 ? n : 0), sizeof *o);
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (isnan(t[i])) continue;
        o[k] = (km_obs){t[i], event[i] != 0, k};
        k++;
    }
    qsort(o, (size_t)k, sizeof *o, km_cmp);
    *m = k;
    return o;
}

/* Product-limit walk over observations sorted by time, observation j carrying multiplicity
 * cnt[j] (NULL = 1; a bootstrap resample is just a vector of multiplicities, so it needs no
 * sort). All observations at one distinct time form a group: its censorings are still at risk for
 * its events (events before censorings at a tie).
 *
 * Between two censoring times the factors (n_i - d_i)/n_i telescope to n_after/n_start, so S is
 * kept as base * (at_risk / seg) with one factor per censored group: without censoring S is then
 * (#> t)/n up to one rounding, exactly the empirical survival, even for large n. */
static double km_walk(const km_obs *o, const int *cnt, int m, double q)
{
    double base = 1.0;        /* product over the segments already closed by a censoring */
    int seg = m, at_risk = m; /* the multiplicities sum to m */
    for (int j = 0; j < m;) {
        int d = 0, leaving = 0, g = j;
        for (; g < m && o[g].t == o[j].t; g++) {
            int c = cnt ? cnt[g] : 1;
            d += o[g].event ? c : 0;
            leaving += c;
        }
        at_risk -= d;
        if (d > 0 && 1.0 - base * ((double)at_risk / seg) >= q - SCALING_KM_TOL) return o[j].t;
        if (leaving > d) { /* censorings leave the risk set: close the segment */
            base *= (double)at_risk / seg;
            at_risk -= leaving - d;
            seg = at_risk;
        }
        j = g;
    }
    return NAN;
}

double scaling_km_quantile(const double *t, const int *event, int n, double q)
{
    if (n <= 0 || !(q > 0 && q < 1)) return NAN;
    int m;
    km_obs *o = km_sorted(t, event, n, &m);
    double r = km_walk(o, NULL, m, q);
    free(o);
    return r;
}

/* Quantile f of sorted data, linear interpolation between order statistics (the definition of
 * gsl_stats_quantile_from_sorted_data), made safe for the +inf of unreached quantiles: GSL would
 * form 0 * inf = NaN there. */
static double sorted_quantile(const double *x, int n, double f)
{
    double h = (n - 1) * f;
    int i = (int)floor(h);
    if (i >= n - 1) return x[n - 1];
    double frac = h - i;
    if (frac == 0 || x[i] == x[i + 1]) return x[i];
    if (isinf(x[i + 1])) return INFINITY;
    return x[i] + frac * (x[i + 1] - x[i]);
}

/* Multiplicities of resample b: m indices uniform on the usable observations in input order,
 * drawn at step b of the stream so each resample is reproducible on its own. */
static void boot_counts(const rng_stream *s, uint64_t b, const int *pos, int m, double *u, int *cnt)
{
    memset(cnt, 0, (size_t)m * sizeof *cnt);
    rng_uniform(s, b, 0, (size_t)m, u);
    for (int i = 0; i < m; i++) {
        int k = (int)(u[i] * m);
        cnt[pos[k < m ? k : m - 1]]++; /* u * m may round up to m for u next to 1 */
    }
}

void scaling_km_bootstrap(const double *t, const int *event, int n, double q, int nboot,
                          uint32_t seed, uint64_t key, double level, double *lo, double *hi)
{
    *lo = *hi = NAN;
    if (n <= 0 || nboot < 1 || !(q > 0 && q < 1) || !(level > 0 && level < 1)) return;
    int m;
    km_obs *o = km_sorted(t, event, n, &m);
    if (m == 0) {
        free(o);
        return;
    }
    int *pos = LOG_CALLOC((size_t)m, sizeof *pos), *cnt = LOG_CALLOC((size_t)m, sizeof *cnt);
    double *u = LOG_CALLOC((size_t)m, sizeof *u), *qb = LOG_CALLOC((size_t)nboot, sizeof *qb);
    for (int j = 0; j < m; j++)
        pos[o[j].orig] = j;
    rng_stream s = rng_stream_make(seed, key, RNG_BOOT);
    for (int b = 0; b < nboot; b++) {
        boot_counts(&s, (uint64_t)b, pos, m, u, cnt);
        double v = km_walk(o, cnt, m, q);
        qb[b] = isnan(v) ? INFINITY : v; /* F never reached q: the quantile lies beyond */
    }
    gsl_sort(qb, 1, (size_t)nboot);
    *lo = sorted_quantile(qb, nboot, 0.5 * (1 - level));
    *hi = sorted_quantile(qb, nboot, 0.5 * (1 + level));
    free(o);
    free(pos);
    free(cnt);
    free(u);
    free(qb);
}

static void fit_nan(scaling_fit *out, int n)
{
    out->n = n;
    out->k = out->k_se = out->k_lo = out->k_hi = NAN;
    out->logC = out->logC_se = out->chi2 = NAN;
}

/* log log x needs x > 1 once p enters; log y needs y > 0; a zero weight means "not measured". */
static int fit_usable(double x, double y, const double *w, int i, double p)
{
    if (!(isfinite(y) && y > 0 && isfinite(x) && x > 0)) return 0;
    if (p != 0 && !(x > 1)) return 0;
    return !w || (isfinite(w[i]) && w[i] > 0);
}

/* Straight-line fit Y = logC + k X of m points; `known` says W are true inverse variances. */
static void fit_solve(const double *X, const double *Y, const double *W, int m, int known,
                      double level, scaling_fit *out)
{
    fit_nan(out, m);
    int spread = 0;
    for (int i = 1; i < m; i++)
        spread |= X[i] != X[0];
    if (m < 2 || !spread) return; /* the slope is undetermined */
    double c0, c1, c00, c01, c11, chi2;
    gsl_fit_wlinear(X, 1, W, 1, Y, 1, (size_t)m, &c0, &c1, &c00, &c01, &c11, &chi2);
    out->k = c1;
    out->logC = c0;
    out->chi2 = chi2;
    if (m == 2) return; /* an exact line: no degree of freedom left for the errors */
    /* GSL's weighted covariance trusts the weights as 1/variance; with equal weights the
     * variance is unknown and estimated from the scatter, as in gsl_fit_linear. */
    double scale = known ? 1.0 : chi2 / (m - 2);
    out->k_se = sqrt(c11 * scale);
    out->logC_se = sqrt(c00 * scale);
    if (!(level > 0 && level < 1)) return;
    double tq = gsl_cdf_tdist_Pinv(0.5 * (1 + level), m - 2);
    out->k_lo = c1 - tq * out->k_se;
    out->k_hi = c1 + tq * out->k_se;
}

void scaling_fit_power(const double *x, const double *y, const double *w, int n, double p,
                       double level, scaling_fit *out, double *residual)
{
    size_t sz = (size_t)(n > 0 ? n : 0);
    double *X = LOG_CALLOC(sz, sizeof *X), *Y = LOG_CALLOC(sz, sizeof *Y);
    double *W = LOG_CALLOC(sz, sizeof *W);
    int *used = LOG_CALLOC(sz, sizeof *used), m = 0;
    for (int i = 0; i < n; i++) {
        if (!(used[i] = fit_usable(x[i], y[i], w, i, p))) continue;
        X[m] = log(x[i]);
        Y[m] = log(y[i]) - (p != 0 ? p * log(X[m]) : 0.0);
        W[m] = w ? w[i] : 1.0;
        m++;
    }
    fit_solve(X, Y, W, m, w != NULL, level, out);
    for (int i = 0, j = 0; residual && i < n; i++) {
        residual[i] = NAN;
        if (!used[i]) continue;
        residual[i] = Y[j] - (out->logC + out->k * X[j]);
        j++;
    }
    free(X);
    free(Y);
    free(W);
    free(used);
}
