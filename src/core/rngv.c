/* rngv — Philox-keyed xoshiro256+ vectors; see include/core/rngv.h. */
#include "core/rngv.h"

#include <string.h>

/* One xoshiro256+ step: output X, then the state update. On scalars (rngv_raw) or on vectors of
 * lanes (the fills); integer operations only, so every form gives the same numbers. */
#define RNGV_STEP(X, S0, S1, S2, S3)                                                               \
    do {                                                                                           \
        __typeof__(S1) t_ = (S1) << 17;                                                            \
        (X) = (S0) + (S3);                                                                         \
        (S2) ^= (S0), (S3) ^= (S1), (S1) ^= (S2), (S0) ^= (S3), (S2) ^= t_;                        \
        (S3) = ((S3) << 45) | ((S3) >> 19);                                                        \
    } while (0)

/* 8 NIT uniforms: NIT iterations lane-major, u = (x >> 12 + 1/2) 2^-52 from the top 52
 * bits (the integer placed in the mantissa of 2^52, then exact operations only: never 0 or 1,
 * the same bits on every path). Vectors of the instruction set's native width. */
typedef uint64_t rngv_u2 __attribute__((vector_size(16)));
typedef uint64_t rngv_u4 __attribute__((vector_size(32)));
typedef uint64_t rngv_u8 __attribute__((vector_size(64)));
typedef double rngv_d2 __attribute__((vector_size(16)));
typedef double rngv_d4 __attribute__((vector_size(32)));
typedef double rngv_d8 __attribute__((vector_size(64)));

/* UT/DT: vectors of W lanes, the native width of the instruction set; NV of them hold 8 lanes. */
#define RNGV_FILL(NAME, ATTR, UT, DT)                                                              \
    ATTR static void NAME(uint64_t st[4][RNGV_LANES], int nit, double *restrict u)                 \
    {                                                                                              \
        enum { W = (int)(sizeof(UT) / sizeof(uint64_t)), NV = RNGV_LANES / W };                    \
        const UT ex = (UT){0} + 0x4330000000000000u;                                               \
        UT s0[NV], s1[NV], s2[NV], s3[NV];                                                         \
        memcpy(s0, st[0], sizeof s0), memcpy(s1, st[1], sizeof s1);                                \
        memcpy(s2, st[2], sizeof s2), memcpy(s3, st[3], sizeof s3);                                \
        for (int it = 0; it < nit; it++)                                                           \
            for (int q = 0; q < NV; q++) {                                                         \
                UT x;                                                                              \
                RNGV_STEP(x, s0[q], s1[q], s2[q], s3[q]);                                          \
                DT v = (((DT)((x >> 12) | ex) - 0x1p52) + 0.5) * 0x1p-52; /* every step exact */   \
                memcpy(u + it * RNGV_LANES + q * W, &v, sizeof v);                                 \
            }                                                                                      \
        memcpy(st[0], s0, sizeof s0), memcpy(st[1], s1, sizeof s1);                                \
        memcpy(st[2], s2, sizeof s2), memcpy(st[3], s3, sizeof s3);                                \
    }

RNGV_FILL(fill_avx512, __attribute__((target("avx512f"))), rngv_u8, rngv_d8)
RNGV_FILL(fill_avx2, __attribute__((target("avx2"))), rngv_u4, rngv_d4)
RNGV_FILL(fill_sse2, , rngv_u2, rngv_d2)

static void fill(uint64_t s[4][RNGV_LANES], int nit, double *u)
{
    switch (rng_isa()) {
    case RNG_ISA_AVX512:
        fill_avx512(s, nit, u);
        break;
    case RNG_ISA_AVX2:
        fill_avx2(s, nit, u);
        break;
    default:
        fill_sse2(s, nit, u);
    }
}

void rngv_start(rngv *v, const rng_stream *s, uint64_t counter)
{
    enum { NW = 4 * 2 * RNGV_LANES };
    uint32_t w[NW];
    rng_raw4n(s, counter, RNGV_SEED_BLOCK, NW / 4, w);
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < RNGV_LANES; j++) {
            size_t k = 2 * (size_t)(i * RNGV_LANES + j);
            v->s[i][j] = (uint64_t)w[k] | (uint64_t)w[k + 1] << 32;
        }
    for (int j = 0; j < RNGV_LANES; j++) /* the one state xoshiro cannot leave (p = 2^-256) */
        if (!(v->s[0][j] | v->s[1][j] | v->s[2][j] | v->s[3][j])) v->s[0][j] = 1;
    v->pos = v->len = 0;
}

/* The next ng <= RNGV_REFILL / RNGV_GROUP groups of normals into out. */
static void refill(rngv *v, int ng, double *out)
{
    alignas(64) double u[RNGV_REFILL];
    fill(v->s, 2 * ng, u);
    rng_box_muller_groups(u, (size_t)ng, out);
}

void rngv_normal(rngv *v, size_t n, double *out)
{
    size_t k = 0;
    while (k < n && v->pos < v->len) /* what is left of the last group */
        out[k++] = v->buf[v->pos++];
    for (; k + RNGV_REFILL <= n; k += RNGV_REFILL) /* whole refills straight into out */
        refill(v, RNGV_REFILL / RNGV_GROUP, out + k);
    if (k == n) return;
    /* the groups the rest needs, whole ones into out, the last through buf */
    int ng = (int)((n - k) / RNGV_GROUP), part = (n - k) % RNGV_GROUP != 0;
    if (ng) refill(v, ng, out + k), k += (size_t)ng * RNGV_GROUP;
    if (!part) return;
    refill(v, 1, v->buf);
    v->len = RNGV_GROUP;
    v->pos = (int)(n - k);
    memcpy(out + k, v->buf, (n - k) * sizeof *out);
}

void rngv_raw(rngv *v, size_t n, uint64_t *out)
{
    alignas(64) uint64_t x[RNGV_LANES];
    for (size_t k = 0; k < n; k += RNGV_LANES) {
        for (int j = 0; j < RNGV_LANES; j++)
            RNGV_STEP(x[j], v->s[0][j], v->s[1][j], v->s[2][j], v->s[3][j]);
        size_t m = n - k < RNGV_LANES ? n - k : RNGV_LANES;
        memcpy(out + k, x, m * sizeof *out);
    }
}

void rngv_normal_at(const rng_stream *s, uint64_t counter, size_t n, double *out)
{
    rngv v;
    rngv_start(&v, s, counter);
    rngv_normal(&v, n, out);
}
