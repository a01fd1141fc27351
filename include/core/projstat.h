/* projstat — streaming statistics of one-dimensional projections h = w.x of samples:
 * moments up to order 8 (for standard errors of variance and kurtosis), a cross-covariance
 * between two chosen directions, and fixed-range histograms.
 *
 * Each direction is accumulated in standardised form z = (h - center) / scale, with center and
 * scale the exact mean and standard deviation from the model, so the power sums stay O(1) and
 * the raw-to-central conversion loses no precision. Accumulation runs in sample order on one
 * rank, so results never depend on the rank count. */
#ifndef MCMSIM_PROJSTAT_H
#define MCMSIM_PROJSTAT_H

#include <stdint.h>

#define PROJSTAT_MAXDIR 8
#define PROJSTAT_ORDER 8

typedef struct {
    int ndir, bins;
    double range; /* histogram covers center +- range * scale */
    int cross[2]; /* directions whose covariance is tracked */
    double center[PROJSTAT_MAXDIR], scale[PROJSTAT_MAXDIR];
    int64_t n;
    double s[PROJSTAT_MAXDIR][PROJSTAT_ORDER + 1]; /* s[j][k] = sum z_j^k */
    double s_cross;                                /* sum z_a z_b */
    int64_t *hist;                                 /* [ndir][bins] */
    int64_t outside[PROJSTAT_MAXDIR];              /* samples beyond the histogram range */
} projstat_acc;

/* Results for one direction, in the units of h. */
typedef struct {
    double mean, variance, skewness, excess_kurtosis;
    double mean_se, variance_se, excess_kurtosis_se; /* delta-method standard errors */
} projstat_moments;

void projstat_init(projstat_acc *a, int ndir, int bins, double range, const double *center,
                   const double *scale, int cross_a, int cross_b);
void projstat_free(projstat_acc *a);
void projstat_add(projstat_acc *a, const double *h);
void projstat_result(const projstat_acc *a, int dir, projstat_moments *out);
double projstat_cross_cov(const projstat_acc *a);
/* Bin edges of direction dir, bins + 1 values. */
void projstat_edges(const projstat_acc *a, int dir, double *edges);

#endif
