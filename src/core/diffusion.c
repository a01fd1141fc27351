/* diffusion — noise schedules and the forward process; see include/diffusion.h and
 * shared/science/mcm-model.md §2.1 (eq. 3). */
#include "core/diffusion.h"

#include "base/log.h"
#include "core/rngv.h"

#include <gsl/gsl_cdf.h>

#include <math.h>

/* sigma^2 = 1 - alpha^2 = -expm1(-2 * half_integral): expm1 keeps full relative accuracy of
 * sigma at small t, where 1 - exp() would cancel (sigma(1e-8) ~ 1.4e-4 to 1 ulp). */
static void vp_from_log_alpha(double log_alpha, double *alpha, double *sigma)
{
    *alpha = exp(log_alpha);
    *sigma = sqrt(-expm1(2.0 * log_alpha));
}

void diff_coeffs(const diff_schedule *s, double t, double *alpha, double *sigma)
{
    if (!(t >= 0.0)) LOG_DIE("diffusion time t = %g must be >= 0", t);
    switch (s->kind) {
    case DIFF_OU: /* eq. (3): alpha = e^-t */
        vp_from_log_alpha(-t, alpha, sigma);
        return;
    case DIFF_VE: /* EDM: x_t = x_0 + t xi */
        *alpha = 1.0;
        *sigma = t;
        return;
    case DIFF_DDPM: {
        /* log alpha_t = -1/2 int_0^t beta(s) ds, beta(s) = beta_min + s (beta_max - beta_min). */
        double integral = t * s->beta_min + 0.5 * t * t * (s->beta_max - s->beta_min);
        vp_from_log_alpha(-0.5 * integral, alpha, sigma);
        return;
    }
    }
    LOG_DIE("unknown diffusion schedule %d", (int)s->kind);
}

double diff_time_from(const diff_times *ts, double u)
{
    if (ts->kind == DIFF_TIME_FIXED) return ts->t;
    if (ts->kind == DIFF_TIME_LIST) return ts->list[(int)(u * ts->n)];
    if (ts->kind == DIFF_TIME_LOGNORMAL)
        return exp(ts->ln_mean + ts->ln_std * gsl_cdf_ugaussian_Pinv(u));
    return ts->t_min + u * (ts->t_max - ts->t_min);
}

double diff_time(const diff_times *ts, uint32_t seed, uint64_t task, uint64_t i)
{
    if (ts->kind == DIFF_TIME_FIXED) return ts->t;
    uint32_t w[4];
    rng_stream s = rng_stream_make(seed, task, RNG_TIME);
    rng_raw4(&s, i, 0, w);
    return diff_time_from(ts, rng_u53(w[0], w[1]));
}

/* xi is the vector at `index` of the RNG_DIFFUSE stream (core/rngv.h), drawn in chunks (the same
 * numbers as one request of d); the chunk buffer also lets xt alias x0. */
void diff_forward(double alpha, double sigma, uint32_t seed, uint64_t task, uint64_t index,
                  size_t d, const double *x0, double *xt)
{
    enum { CHUNK = 256 };
    alignas(64) double xi[CHUNK];
    rng_stream s = rng_stream_make(seed, task, RNG_DIFFUSE);
    rngv v;
    rngv_start(&v, &s, index);
    for (size_t i0 = 0; i0 < d; i0 += CHUNK) {
        size_t n = d - i0 < CHUNK ? d - i0 : CHUNK;
        rngv_normal(&v, n, xi);
        for (size_t i = 0; i < n; i++)
            xt[i0 + i] = alpha * x0[i0 + i] + sigma * xi[i];
    }
}
