/* scaling — statistics of sample complexity across d (mcm-model.md §6.3): censoring-aware
 * quantiles of first-crossing times (Kaplan-Meier), bootstrap confidence intervals, and the
 * weighted least-squares fit of log n* against log d, n* = C d^k (log d)^p with p fixed. */
#ifndef MCMSIM_SCALING_H
#define MCMSIM_SCALING_H

#include <stdint.h>

/* Conventions of the Kaplan-Meier estimate:
 *  - S(t) = prod over distinct event times t_i <= t of (1 - d_i / n_i), d_i the events at t_i and
 *    n_i the observations with time >= t_i: at a tie, events come before censorings (a unit
 *    censored at t_i was still at risk); F = 1 - S.
 *  - the q-quantile is the smallest event time with F >= q - SCALING_KM_TOL (the tolerance lets
 *    q = k/n land on the k-th event despite rounding). Without censoring F is the empirical CDF,
 *    so the quantile is the smallest t with (#t_i <= t)/n >= q (same tolerance): the k-th order
 *    statistic, k = ceil(q n).
 *  - observations with t = NaN are ignored; t = +inf (censored without a budget) is allowed. */
#define SCALING_KM_TOL 1e-12

/* Kaplan-Meier estimate of the q-quantile (0 < q < 1) of the crossing time from n observations:
 * t[i] the crossing time when event[i] = 1, the censoring time (budget reached, not crossed)
 * when event[i] = 0. Returns the smallest t with estimated F(t) >= q, NaN if F never reaches q. */
double scaling_km_quantile(const double *t, const int *event, int n, double q);

/* Bootstrap details: resample b (0 <= b < nboot) draws the n indices from
 * rng_stream_make(seed, key, RNG_BOOT) at step b (index floor(u m) of the m non-NaN observations
 * in input order, u = rng_uniform from block 0), so a resample depends on nothing else. The
 * bounds are the (1 - level)/2 and (1 + level)/2 quantiles of the nboot resampled quantiles
 * (linear interpolation between order statistics, as gsl_stats_quantile_from_sorted_data).
 * lo = hi = NaN when n = 0 (or nboot < 1, q or level outside (0,1)). */

/* Percentile bootstrap CI of the KM q-quantile at confidence `level` (e.g. 0.95) from nboot
 * resamples drawn with the counter-based stream (seed, key). Resamples whose quantile is NaN
 * count as +infinity (so an upper bound may be infinite). */
void scaling_km_bootstrap(const double *t, const int *event, int n, double q, int nboot,
                          uint32_t seed, uint64_t key, double level, double *lo, double *hi);

typedef struct {
    int n;             /* points used (finite y > 0, w > 0) */
    double k, k_se;    /* exponent and its standard error */
    double k_lo, k_hi; /* confidence interval at the requested level (Student t, n - 2 dof) */
    double logC, logC_se;
    double chi2; /* weighted residual sum of squares */
} scaling_fit;

/* Weighted least squares of log y - p log(log x) = log C + k log x with weights w (1/variance of
 * log y; NULL = equal). residual[i] = log y_i - fit (NaN for unused points; may be NULL). */
/* Fit details: a point is used when y is finite and > 0, x > 0 (x > 1 when p != 0, where
 * log log x is defined) and w (if given) is finite and > 0. With w given the covariance is used as
 * is (w are true inverse variances); with w = NULL it is scaled by chi2 / (n - 2). The CI is
 * k +- t_{(1+level)/2, n-2} k_se. n = 2 gives the exact line with NaN errors; n < 2 (or all x
 * equal) gives NaN everywhere. */
void scaling_fit_power(const double *x, const double *y, const double *w, int n, double p,
                       double level, scaling_fit *out, double *residual);

#endif
