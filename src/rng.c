/* rng — Philox4x32-10 streams; see include/rng.h. (Scalar first version.) */
#include "rng.h"

#include <Random123/philox.h>
#include <math.h>

rng_stream rng_stream_make(uint32_t seed, uint32_t task, rng_purpose purpose)
{
    rng_stream s = {{seed, task}, (uint32_t)purpose};
    return s;
}

void rng_raw4(const rng_stream *s, uint64_t step, uint32_t block, uint32_t out[4])
{
    philox4x32_ctr_t c = {{block, (uint32_t)step, (uint32_t)(step >> 32), s->purpose}};
    philox4x32_key_t k = {{s->key[0], s->key[1]}};
    philox4x32_ctr_t r = philox4x32(c, k);
    for (int i = 0; i < 4; i++) out[i] = r.v[i];
}

/* 53 random bits mapped to the midpoint grid (k + 1/2) 2^-53: never 0, never 1. */
static inline double rng_u53(uint32_t hi, uint32_t lo)
{
    uint64_t k = ((uint64_t)hi << 21) ^ (lo >> 11);
    return ((double)k + 0.5) * 0x1p-53;
}

void rng_uniform(const rng_stream *s, uint64_t step, uint32_t block0, size_t n, double *out)
{
    uint32_t w[4];
    for (size_t i = 0; i < n; i += 2) {
        rng_raw4(s, step, block0 + (uint32_t)(i / 2), w);
        out[i] = rng_u53(w[0], w[1]);
        if (i + 1 < n) out[i + 1] = rng_u53(w[2], w[3]);
    }
}

void rng_normal(const rng_stream *s, uint64_t step, uint32_t block0, size_t n, double *out)
{
    uint32_t w[4];
    for (size_t i = 0; i < n; i += 2) {
        rng_raw4(s, step, block0 + (uint32_t)(i / 2), w);
        double r = sqrt(-2.0 * log(rng_u53(w[0], w[1])));
        double th = 2.0 * M_PI * rng_u53(w[2], w[3]);
        out[i] = r * cos(th);
        if (i + 1 < n) out[i + 1] = r * sin(th);
    }
}
