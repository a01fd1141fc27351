/* loss — denoising score-matching losses; see include/loss.h and mcm-model.md §2.6.
 *
 * Weights: with x_t = alpha x0 + sigma xi and a denoiser D, the eps prediction is
 * eps = (x_t - alpha D)/sigma, so xi - eps = (x_t - alpha x0 - x_t + alpha D)/sigma
 * = -(alpha/sigma)(x0 - D): |xi - eps|^2 = (alpha/sigma)^2 |x0 - D|^2.
 * The score prediction s = -(x_t - alpha D)/sigma^2 against the target -xi/sigma
 * = -(x_t - alpha x0)/sigma^2 gives s + xi/sigma = -(alpha/sigma^2)(x0 - D):
 * |s + xi/sigma|^2 = alpha^2/sigma^4 |x0 - D|^2. The x0 loss has weight 1.
 *
 * loss_eval runs once per SGD step on d ~ 1000 entries, inside the ~1 us budget of the online
 * step: the sum of squares uses two 4-double vector accumulators (a scalar chain would be bound
 * by the add latency), in a fixed order, so the value is the same bits on every instruction set
 * (target_clones only picks the encoding; -std=c11 keeps -ffp-contract=off). */
#include "core/loss.h"

#include "base/log.h"

#include <string.h>

typedef double loss_v4 __attribute__((vector_size(32)));

double loss_weight(loss_kind k, double alpha, double sigma)
{
    switch (k) {
    case LOSS_X0:
        return 1.0;
    case LOSS_EPS:
        return (alpha * alpha) / (sigma * sigma);
    case LOSS_SCORE:
        return (alpha * alpha) / (sigma * sigma * sigma * sigma);
    }
    LOG_DIE("unknown loss kind %d", (int)k);
}

/* Returns sum_i r_i^2 with r = x0 - D, and writes gout_i = s r_i when gout is not NULL. */
__attribute__((target_clones("avx2", "default"))) static double
loss_row(int d, const double *restrict x0, const double *restrict D, double s,
         double *restrict gout)
{
    loss_v4 a0 = {0, 0, 0, 0}, a1 = a0, sv = a0 + s;
    int i = 0;
    for (; i + 8 <= d; i += 8) {
        loss_v4 p0, p1, q0, q1;
        memcpy(&p0, x0 + i, sizeof p0);
        memcpy(&p1, x0 + i + 4, sizeof p1);
        memcpy(&q0, D + i, sizeof q0);
        memcpy(&q1, D + i + 4, sizeof q1);
        loss_v4 r0 = p0 - q0, r1 = p1 - q1;
        a0 += r0 * r0;
        a1 += r1 * r1;
        if (gout) {
            r0 *= sv;
            r1 *= sv;
            memcpy(gout + i, &r0, sizeof r0);
            memcpy(gout + i + 4, &r1, sizeof r1);
        }
    }
    a0 += a1;
    double sum = (a0[0] + a0[1]) + (a0[2] + a0[3]);
    for (; i < d; i++) {
        double r = x0[i] - D[i];
        sum += r * r;
        if (gout) gout[i] = s * r;
    }
    return sum;
}

/* L = (1/B) sum_b w_b |x0_b - D_b|^2 / d, so dL/dD_b = -2 w_b (x0_b - D_b) / (d B).
 * w == NULL means weight 1 for every sample. */
double loss_eval(int B, int d, const double *w, const double *x0, const double *D, double *gout)
{
    double total = 0, inv = 1.0 / ((double)d * (double)B);
    for (int b = 0; b < B; b++) {
        size_t o = (size_t)b * (size_t)d;
        double wb = w ? w[b] : 1.0;
        total += wb * loss_row(d, x0 + o, D + o, -2.0 * wb * inv, gout ? gout + o : NULL);
    }
    return total * inv;
}
