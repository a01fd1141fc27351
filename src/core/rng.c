/* rng — Philox4x32-10 streams; see include/rng.h.
 *
 * Two paths compute the same numbers, bitwise:
 *  - the scalar reference (rng_*_ref): one Philox call per block and the Box-Muller kernel below
 *    on one pair. It defines the semantics and is kept for the tests.
 *  - the fast path: batches of RNG_LANES consecutive blocks (for rng_*_steps: one block at
 *    RNG_LANES consecutive steps; only the lanes' counters differ). Philox runs on vectors of
 *    64-bit lanes with one 32x32->64 pmuludq per multiply (intrinsics, one kernel per instruction
 *    set: GCC 12 cannot vectorise the widening multiply well on its own); Box-Muller then runs in
 *    simple loops that GCC vectorises for SSE2, AVX2 or AVX-512 (one clone each, chosen at run
 *    time; rng_isa_force picks one for the tests and benchmarks).
 *
 * Box-Muller kernel (bm_log, bm_sincos_2pi): our own polynomial log and sin/cos written with the
 * basic IEEE operations only (+, -, *, /, sqrt, exact bit manipulation; -ffp-contract=off, no
 * reassociation), so every lane gives the same bits whatever the vector width: AVX2 and AVX-512
 * nodes, the scalar reference and a future ISA draw identical normals. glibc's libmvec, used
 * before, rounds the last bit differently between its AVX2 and AVX-512 variants (~0.5 % of
 * normals) and was ~3x the cost of the arithmetic here.
 *  - log u, u in (0, 1): u = 2^e m with m in [sqrt(1/2), sqrt(2)), f = m - 1, s = f / (2 + f),
 *    log(1 + f) = f - f^2/2 + s (f^2/2 + R(s^2)) with R the degree-7 minimax polynomial of
 *    (log(1+f) - 2s) / s - ... in s^2 (the coefficients of Sun's fdlibm e_log.c, |error of R| <
 *    2^-58.45 on |s| < 0.1716); then + e ln2 in two parts. Error < 1 ulp of the result.
 *  - sin/cos of 2 pi u: the argument is reduced exactly in u (q = 4u, j = nearest integer,
 *    f = q - j in [-1/2, 1/2], both exact), x = (pi/2) f in [-pi/4, pi/4], and the degree-13 odd
 *    and degree-14 even minimax polynomials of sin and cos on that interval (fdlibm k_sin.c /
 *    k_cos.c coefficients), rotated by the quadrant j. No large-argument reduction is needed.
 * Measured (tests/unit/test_rng.c) against long double libm: < 2 ulp-level, max relative error
 * of the normals 4e-16 over 10^6 pairs.
 *
 * Accuracy of the uniforms: bitwise equal to the reference (integer and exactly rounded
 * operations only). Determinism: every block is computed by the same code whatever n, block0,
 * the output alignment or the instruction set, so results are bitwise reproducible everywhere. */
#include "core/rng.h"

#include <Random123/philox.h>
#include <immintrin.h>
#include <math.h>
#include <stdalign.h>
#include <string.h>

/* Blocks per batch: 32 blocks = 64 variates; enough independent vectors to hide the Philox
 * multiply latency (measured: 16 is ~25% slower, 64 no faster). Box-Muller runs on groups of
 * RNG_BM_LANES pairs. */
enum { RNG_LANES = 32, RNG_BM_LANES = 8 };

/* The Box-Muller batch is compiled once per instruction set; all give identical numbers. */
#define RNG_CLONE_AVX512 __attribute__((target("avx512f")))
#define RNG_CLONE_AVX2 __attribute__((target("avx2")))
#define RNG_CLONE_SSE2 /* the x86-64 baseline */

rng_stream rng_stream_make(uint32_t seed, uint64_t task, rng_purpose purpose)
{
    /* Tasks beyond 32 bits (sweeps) carry their high word next to the purpose, which uses
     * only the low 8 bits of counter word 3: streams of 32-bit tasks are unchanged. */
    rng_stream s = {{seed, (uint32_t)task}, (uint32_t)purpose | (uint32_t)(task >> 32) << 8};
    return s;
}

/* ---------------------------------------------------------------------------------------------
 * The Box-Muller kernel (see the top of the file). */

/* Bits of a double and back (GCC turns these into register moves, also inside vector loops). */
static inline uint64_t bm_bits(double x)
{
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    return b;
}

static inline double bm_double(uint64_t b)
{
    double x;
    memcpy(&x, &b, sizeof x);
    return x;
}

/* log u for u in (0, 1) (normal, positive: rng_u53 never gives 0 or a subnormal). */
static inline double bm_log(double u)
{
    const double lg1 = 6.666666666666735130e-01, lg2 = 3.999999999940941908e-01,
                 lg3 = 2.857142874366239149e-01, lg4 = 2.222219843214978396e-01,
                 lg5 = 1.818357216161805012e-01, lg6 = 1.531383769920937332e-01,
                 lg7 = 1.479819860511658591e-01, ln2_hi = 6.93147180369123816490e-01,
                 ln2_lo = 1.90821492927058770002e-10;
    /* u = 2^k m with m in [sqrt(1/2), sqrt(2)): offsetting the bits by those of sqrt(1/2) moves
     * the binade boundary there (t's exponent field is k + 1023, its low bits m's mantissa). */
    const uint64_t off = 0x3fe6a09e667f3bcdu; /* sqrt(1/2) */
    uint64_t t = bm_bits(u) - off + 0x3ff0000000000000u;
    double m = bm_double((t & 0x000fffffffffffffu) + off);
    double e = bm_double(0x4330000000000000u | (t >> 52)) - 0x1p52 - 1023.0; /* k, exact */
    double f = m - 1.0, hfsq = 0.5 * f * f, s = f / (2.0 + f), z = s * s, w = z * z;
    double t1 = w * (lg2 + w * (lg4 + w * lg6)), t2 = z * (lg1 + w * (lg3 + w * (lg5 + w * lg7)));
    double r = t2 + t1;
    return e * ln2_hi - ((hfsq - (s * (hfsq + r) + e * ln2_lo)) - f);
}

/* sin and cos of 2 pi u for u in [0, 1). */
static inline void bm_sincos_2pi(double u, double *sn, double *cs)
{
    const double s1 = -1.66666666666666324348e-01, s2 = 8.33333333332248946124e-03,
                 s3 = -1.98412698298579493134e-04, s4 = 2.75573137070700676789e-06,
                 s5 = -2.50507602534068634195e-08, s6 = 1.58969099521155010221e-10,
                 c1 = 4.16666666666666019037e-02, c2 = -1.38888888888741095749e-03,
                 c3 = 2.48015872894767294178e-05, c4 = -2.75573143513906633035e-07,
                 c5 = 2.08757232129817482790e-09, c6 = -1.13596475577881948265e-11,
                 pio2_hi = 1.57079632679489655800e+00, pio2_lo = 6.12323399573676603587e-17;
    double q = 4.0 * u, t = q + 0x1.8p52, j = t - 0x1.8p52; /* round to nearest, exact */
    uint64_t quad = bm_bits(t) & 3u;
    double f = q - j, x = f * pio2_hi + f * pio2_lo, z = x * x;
    double ps = x + z * x * (s1 + z * (s2 + z * (s3 + z * (s4 + z * (s5 + z * s6)))));
    double hz = 0.5 * z, w = 1.0 - hz; /* 1 - z/2 + z^2 C(z), the rounding of 1 - hz recovered */
    double pc =
        w + (((1.0 - w) - hz) + z * z * (c1 + z * (c2 + z * (c3 + z * (c4 + z * (c5 + z * c6))))));
    /* Rotate by quad quarter turns: (sin, cos) -> (cos, -sin) -> (-sin, -cos) -> (-cos, sin). */
    double a = (quad & 1u) ? pc : ps, c = (quad & 1u) ? ps : pc;
    uint64_t sa = ((quad >> 1) & 1u) << 63, sc = (((quad + 1u) >> 1) & 1u) << 63;
    *sn = bm_double(bm_bits(a) ^ sa);
    *cs = bm_double(bm_bits(c) ^ sc);
}

/* One pair (u0, u1) -> (r cos th, r sin th), r = sqrt(-2 log u0), th = 2 pi u1. */
static inline void bm_pair(double u0, double u1, double *z0, double *z1)
{
    double r = sqrt(-2.0 * bm_log(u0)), sn, cs;
    bm_sincos_2pi(u1, &sn, &cs);
    *z0 = r * cs;
    *z1 = r * sn;
}

/* ---------------------------------------------------------------------------------------------
 * Scalar reference. */

void rng_raw4(const rng_stream *s, uint64_t step, uint32_t block, uint32_t out[4])
{
    philox4x32_ctr_t c = {{block, (uint32_t)step, (uint32_t)(step >> 32), s->purpose}};
    philox4x32_key_t k = {{s->key[0], s->key[1]}};
    philox4x32_ctr_t r = philox4x32(c, k);
    for (int i = 0; i < 4; i++)
        out[i] = r.v[i];
}

void rng_uniform_ref(const rng_stream *s, uint64_t step, uint32_t block0, size_t n, double *out)
{
    uint32_t w[4];
    for (size_t i = 0; i < n; i += 2) {
        rng_raw4(s, step, block0 + (uint32_t)(i / 2), w);
        out[i] = rng_u53(w[0], w[1]);
        if (i + 1 < n) out[i + 1] = rng_u53(w[2], w[3]);
    }
}

void rng_normal_ref(const rng_stream *s, uint64_t step, uint32_t block0, size_t n, double *out)
{
    uint32_t w[4];
    for (size_t i = 0; i < n; i += 2) {
        rng_raw4(s, step, block0 + (uint32_t)(i / 2), w);
        double z0, z1;
        bm_pair(rng_u53(w[0], w[1]), rng_u53(w[2], w[3]), &z0, &z1);
        out[i] = z0;
        if (i + 1 < n) out[i + 1] = z1;
    }
}

/* ---------------------------------------------------------------------------------------------
 * Philox on vectors. A lane holds one 32-bit counter word in a 64-bit lane. Only the low halves
 * are meaningful: pmuludq reads only low halves, and xor/shift never move garbage from the high
 * half into the low half, so the high halves need no masking between rounds. */

typedef uint64_t rng_words[4][RNG_LANES]; /* word j of block block0+i in w[j][i] (low 32 bits) */

/* All vectors of the batch advance round by round together: their multiply chains are
 * independent, which hides the pmuludq latency. */
#define RNG_PHILOX_KERNEL(NAME, TARGET, VT, IT, MUL, NL)                                           \
    __attribute__((target(TARGET))) static void NAME(                                              \
        const rng_stream *s, uint64_t step, uint32_t block0, int by_step, uint64_t w[4][NL])       \
    {                                                                                              \
        enum { W = (int)(sizeof(VT) / sizeof(uint64_t)), NV = (NL) / W };                          \
        const VT zero = {0}, m0 = zero + PHILOX_M4x32_0, m1 = zero + PHILOX_M4x32_1;               \
        VT iota, c0[NV], c1[NV], c2[NV], c3[NV];                                                   \
        memcpy(&iota, rng_iota, sizeof iota);                                                      \
        for (int v = 0; v < NV; v++) {                                                             \
            if (by_step) { /* lane i: step + i, fixed block */                                     \
                VT st = iota + (step + (uint64_t)(v * W));                                         \
                c0[v] = zero + block0;                                                             \
                c1[v] = st & 0xffffffffu;                                                          \
                c2[v] = st >> 32;                                                                  \
            } else { /* lane i: block block0 + i, fixed step */                                    \
                c0[v] = iota + ((uint64_t)block0 + (uint64_t)(v * W));                             \
                c1[v] = zero + (uint32_t)step;                                                     \
                c2[v] = zero + (uint32_t)(step >> 32);                                             \
            }                                                                                      \
            c3[v] = zero + s->purpose;                                                             \
        }                                                                                          \
        uint32_t k0 = s->key[0], k1 = s->key[1];                                                   \
        for (int r = 0; r < 10; r++) {                                                             \
            for (int v = 0; v < NV; v++) {                                                         \
                VT p0 = (VT)MUL((IT)c0[v], (IT)m0), p1 = (VT)MUL((IT)c2[v], (IT)m1);               \
                c0[v] = (p1 >> 32) ^ c1[v] ^ k0;                                                   \
                c1[v] = p1;                                                                        \
                c2[v] = (p0 >> 32) ^ c3[v] ^ k1;                                                   \
                c3[v] = p0;                                                                        \
            }                                                                                      \
            k0 += PHILOX_W32_0;                                                                    \
            k1 += PHILOX_W32_1;                                                                    \
        }                                                                                          \
        memcpy(w[0], c0, sizeof c0);                                                               \
        memcpy(w[1], c1, sizeof c1);                                                               \
        memcpy(w[2], c2, sizeof c2);                                                               \
        memcpy(w[3], c3, sizeof c3);                                                               \
    }

static const uint64_t rng_iota[8] = {0, 1, 2, 3, 4, 5, 6, 7};

typedef uint64_t rng_u64x2 __attribute__((vector_size(16)));
typedef uint64_t rng_u64x4 __attribute__((vector_size(32)));
typedef uint64_t rng_u64x8 __attribute__((vector_size(64)));

RNG_PHILOX_KERNEL(philox_sse2, "sse2", rng_u64x2, __m128i, _mm_mul_epu32, RNG_LANES)
RNG_PHILOX_KERNEL(philox_avx2, "avx2", rng_u64x4, __m256i, _mm256_mul_epu32, RNG_LANES)
RNG_PHILOX_KERNEL(philox_avx512, "avx512f", rng_u64x8, __m512i, _mm512_mul_epu32, RNG_LANES)
/* Half batches for short requests (the vector streams' seeds, 16 blocks): the same blocks at
 * half the cost of a full batch. */
RNG_PHILOX_KERNEL(philox16_sse2, "sse2", rng_u64x2, __m128i, _mm_mul_epu32, RNG_LANES / 2)
RNG_PHILOX_KERNEL(philox16_avx2, "avx2", rng_u64x4, __m256i, _mm256_mul_epu32, RNG_LANES / 2)
RNG_PHILOX_KERNEL(philox16_avx512, "avx512f", rng_u64x8, __m512i, _mm512_mul_epu32, RNG_LANES / 2)

/* The instruction set of the batches: detected on first use, or forced by rng_isa_force. Every
 * choice gives identical numbers (integers in Philox, basic IEEE operations in Box-Muller); it
 * only affects speed. */
static int rng_isa_ = -1;

static int rng_isa_detect(void)
{
    if (__builtin_cpu_supports("avx512f")) return RNG_ISA_AVX512;
    if (__builtin_cpu_supports("avx2")) return RNG_ISA_AVX2;
    return RNG_ISA_SSE2;
}

int rng_isa(void)
{
    if (rng_isa_ < 0) rng_isa_ = rng_isa_detect();
    return rng_isa_;
}

int rng_isa_force(int isa)
{
    if (isa < 0) isa = rng_isa_detect();
    if (isa > rng_isa_detect()) return -1; /* the CPU cannot run it */
    rng_isa_ = isa;
    return 0;
}

const char *rng_isa_name(int isa)
{
    static const char *const names[] = {"sse2", "avx2", "avx512f"};
    return isa >= 0 && isa <= RNG_ISA_AVX512 ? names[isa] : "?";
}

static void philox_lanes(const rng_stream *s, uint64_t step, uint32_t block0, int by_step,
                         rng_words w)
{
    switch (rng_isa()) {
    case RNG_ISA_AVX512:
        philox_avx512(s, step, block0, by_step, w);
        break;
    case RNG_ISA_AVX2:
        philox_avx2(s, step, block0, by_step, w);
        break;
    default:
        philox_sse2(s, step, block0, by_step, w);
    }
}

/* ---------------------------------------------------------------------------------------------
 * Batches of RNG_LANES blocks -> 2 RNG_LANES variates. */

static inline void words_to_uniforms(const rng_words w, double *restrict u0, double *restrict u1)
{
#pragma omp simd aligned(u0, u1 : 64)
    for (int i = 0; i < RNG_LANES; i++) {
        u0[i] = rng_u53_lanes(w[0][i], w[1][i]);
        u1[i] = rng_u53_lanes(w[2][i], w[3][i]);
    }
}

/* Box-Muller on RNG_BM_LANES pairs (a loop GCC vectorises; sqrt is exactly rounded in every
 * ISA, so lanes are bitwise the scalar bm_pair). */
static inline void box_muller(const double *restrict u0, const double *restrict u1,
                              double *restrict out)
{
    alignas(64) double a[RNG_BM_LANES], c[RNG_BM_LANES];
#pragma omp simd aligned(u0, u1, a, c : 64)
    for (int i = 0; i < RNG_BM_LANES; i++)
        bm_pair(u0[i], u1[i], &c[i], &a[i]);
    for (int i = 0; i < RNG_BM_LANES; i++) {
        out[2 * i] = c[i];
        out[2 * i + 1] = a[i];
    }
}

/* The two uniforms of each of the RNG_LANES blocks of a batch (inlined into every ISA's copy). */
static inline void batch_uniforms(const rng_stream *s, uint64_t step, uint32_t block0, int by_step,
                                  double *restrict u0, double *restrict u1)
{
    alignas(64) rng_words w;
    philox_lanes(s, step, block0, by_step, w);
    words_to_uniforms((const uint64_t(*)[RNG_LANES])w, u0, u1);
}

/* Words w[j][i] (j < 4, i < nl, row stride nl) of a batch to out[4 i + j], block order. */
static inline void words_to_raw(int nl, const uint64_t *w, uint32_t *restrict out)
{
    for (int i = 0; i < nl; i++)
        for (int j = 0; j < 4; j++)
            out[4 * i + j] = (uint32_t)w[j * nl + i];
}

/* The batches, one copy per instruction set (the same source; see rng_isa). */
#define RNG_BATCHES(SUFFIX, ATTR)                                                                  \
    ATTR static void uniform_batch_##SUFFIX(const rng_stream *s, uint64_t step, uint32_t block0,   \
                                            int by_step, double *restrict out)                     \
    {                                                                                              \
        alignas(64) double u0[RNG_LANES], u1[RNG_LANES];                                           \
        batch_uniforms(s, step, block0, by_step, u0, u1);                                          \
        for (int i = 0; i < RNG_LANES; i++) {                                                      \
            out[2 * i] = u0[i];                                                                    \
            out[2 * i + 1] = u1[i];                                                                \
        }                                                                                          \
    }                                                                                              \
    ATTR static void normal_batch_##SUFFIX(const rng_stream *s, uint64_t step, uint32_t block0,    \
                                           int by_step, double *restrict out)                      \
    {                                                                                              \
        alignas(64) double u0[RNG_LANES], u1[RNG_LANES];                                           \
        batch_uniforms(s, step, block0, by_step, u0, u1);                                          \
        for (int g = 0; g < RNG_LANES; g += RNG_BM_LANES)                                          \
            box_muller(u0 + g, u1 + g, out + 2 * g);                                               \
    }                                                                                              \
    /* rng_box_muller: aligned whole groups in place, the rest through a padded group. */          \
    ATTR static void bm_many_##SUFFIX(const double *u0, const double *u1, size_t n, double *out)   \
    {                                                                                              \
        alignas(64) double a[RNG_BM_LANES], b[RNG_BM_LANES], z[2 * RNG_BM_LANES];                  \
        int al = !(((uintptr_t)u0 | (uintptr_t)u1 | (uintptr_t)out) & 63);                         \
        size_t i = 0;                                                                              \
        for (; al && i + RNG_BM_LANES <= n; i += RNG_BM_LANES)                                     \
            box_muller(u0 + i, u1 + i, out + 2 * i);                                               \
        for (; i < n; i += RNG_BM_LANES) {                                                         \
            size_t m = n - i < RNG_BM_LANES ? n - i : RNG_BM_LANES;                                \
            for (size_t j = 0; j < RNG_BM_LANES; j++)                                              \
                a[j] = j < m ? u0[i + j] : 0.5, b[j] = j < m ? u1[i + j] : 0.5;                    \
            box_muller(a, b, z);                                                                   \
            memcpy(out + 2 * i, z, 2 * m * sizeof *z);                                             \
        }                                                                                          \
    }                                                                                              \
    /* rng_box_muller_groups: group q pairs u[16 q + i] with u[16 q + 8 + i] (u 64-byte aligned)   \
     */                                                                                            \
    ATTR static void bm_groups_##SUFFIX(const double *u, size_t ng, double *out)                   \
    {                                                                                              \
        for (size_t q = 0; q < ng; q++)                                                            \
            box_muller(u + 2 * RNG_BM_LANES * q, u + 2 * RNG_BM_LANES * q + RNG_BM_LANES,          \
                       out + 2 * RNG_BM_LANES * q);                                                \
    }                                                                                              \
    /* Raw words in block order: transposes the lanes back to out[4 i + j]. */                     \
    ATTR static void raw_batch_##SUFFIX(const rng_stream *s, uint64_t step, uint32_t block0,       \
                                        uint32_t *restrict out)                                    \
    {                                                                                              \
        alignas(64) rng_words w;                                                                   \
        philox_lanes(s, step, block0, 0, w);                                                       \
        words_to_raw(RNG_LANES, &w[0][0], out);                                                    \
    }                                                                                              \
    ATTR static void raw_half_##SUFFIX(const rng_stream *s, uint64_t step, uint32_t block0,        \
                                       uint32_t *restrict out)                                     \
    {                                                                                              \
        alignas(64) uint64_t w[4][RNG_LANES / 2];                                                  \
        philox16_##SUFFIX(s, step, block0, 0, w);                                                  \
        words_to_raw(RNG_LANES / 2, &w[0][0], out);                                                \
    }

RNG_BATCHES(avx512, RNG_CLONE_AVX512)
RNG_BATCHES(avx2, RNG_CLONE_AVX2)
RNG_BATCHES(sse2, RNG_CLONE_SSE2)

typedef void batch_fn(const rng_stream *s, uint64_t step, uint32_t block0, int by_step,
                      double *restrict out);

/* The copy of a batch function for the current instruction set: fns[RNG_ISA_*]. */
#define RNG_PICK(NAME)                                                                             \
    ((const __typeof__(&NAME##_sse2)[]){NAME##_sse2, NAME##_avx2, NAME##_avx512})[rng_isa()]

static batch_fn *normal_batch(void)
{
    return RNG_PICK(normal_batch);
}

static batch_fn *uniform_batch(void)
{
    return RNG_PICK(uniform_batch);
}

static void raw_batch(const rng_stream *s, uint64_t step, uint32_t block0, uint32_t *out)
{
    RNG_PICK(raw_batch)(s, step, block0, out);
}

/* Full batches write straight to out; a partial last batch goes through a local buffer and only
 * its first values are copied, so a short request returns a prefix of a long one. by_step: the
 * lanes of a batch are consecutive steps (one block each) instead of consecutive blocks. */
/* The two variates of one block through the scalar code: bitwise a batch lane's (the same
 * integer and Box-Muller operations). */
typedef void pair_fn(const rng_stream *s, uint64_t step, uint32_t block, double *out);

static void uniform_pair(const rng_stream *s, uint64_t step, uint32_t block, double *out)
{
    uint32_t w[4];
    rng_raw4(s, step, block, w);
    out[0] = rng_u53(w[0], w[1]);
    out[1] = rng_u53(w[2], w[3]);
}

static void normal_pair(const rng_stream *s, uint64_t step, uint32_t block, double *out)
{
    uint32_t w[4];
    rng_raw4(s, step, block, w);
    bm_pair(rng_u53(w[0], w[1]), rng_u53(w[2], w[3]), &out[0], &out[1]);
}

/* Blocks of a short rest go one by one: a batch computes RNG_LANES blocks whatever is needed
 * (measured: the two latents of an MCM sample cost 12 % of an online step at d = 100). */
enum { RNG_SHORT_BLOCKS = 4 };

static void run_batches(batch_fn *f, pair_fn *pair, const rng_stream *s, uint64_t step,
                        uint32_t block0, int by_step, size_t n, double *out)
{
    const size_t per = 2 * RNG_LANES;
    size_t full = n / per, rest = n % per;
    for (size_t b = 0; b < full; b++) {
        uint64_t st = by_step ? step + b * RNG_LANES : step;
        uint32_t bl = by_step ? block0 : block0 + (uint32_t)(b * RNG_LANES);
        f(s, st, bl, by_step, out + b * per);
    }
    if (!rest) return;
    alignas(64) double tmp[2 * RNG_LANES];
    uint64_t st = by_step ? step + full * RNG_LANES : step;
    uint32_t bl = by_step ? block0 : block0 + (uint32_t)(full * RNG_LANES);
    size_t nb = (rest + 1) / 2;
    if (nb <= RNG_SHORT_BLOCKS)
        for (size_t i = 0; i < nb; i++)
            pair(s, by_step ? st + i : st, by_step ? bl : bl + (uint32_t)i, tmp + 2 * i);
    else
        f(s, st, bl, by_step, tmp);
    memcpy(out + full * per, tmp, rest * sizeof *tmp);
}

/* ---------------------------------------------------------------------------------------------
 * Public fast path. */

void rng_uniform(const rng_stream *s, uint64_t step, uint32_t block0, size_t n, double *out)
{
    run_batches(uniform_batch(), uniform_pair, s, step, block0, 0, n, out);
}

void rng_normal(const rng_stream *s, uint64_t step, uint32_t block0, size_t n, double *out)
{
    run_batches(normal_batch(), normal_pair, s, step, block0, 0, n, out);
}

void rng_uniform_steps(const rng_stream *s, uint64_t step0, uint32_t block, size_t nsteps,
                       double *out)
{
    run_batches(uniform_batch(), uniform_pair, s, step0, block, 1, 2 * nsteps, out);
}

void rng_normal_steps(const rng_stream *s, uint64_t step0, uint32_t block, size_t nsteps,
                      double *out)
{
    run_batches(normal_batch(), normal_pair, s, step0, block, 1, 2 * nsteps, out);
}

void rng_raw4n(const rng_stream *s, uint64_t step, uint32_t block0, size_t nblocks, uint32_t *out)
{
    size_t full = nblocks / RNG_LANES, rest = nblocks % RNG_LANES;
    for (size_t b = 0; b < full; b++)
        raw_batch(s, step, block0 + (uint32_t)(b * RNG_LANES), out + 4 * RNG_LANES * b);
    if (rest) {
        alignas(64) uint32_t tmp[4 * RNG_LANES];
        uint32_t b0 = block0 + (uint32_t)(full * RNG_LANES);
        if (rest <= RNG_LANES / 2)
            RNG_PICK(raw_half)(s, step, b0, tmp);
        else
            raw_batch(s, step, b0, tmp);
        memcpy(out + 4 * RNG_LANES * full, tmp, 4 * rest * sizeof *tmp);
    }
}

double rng_uniform1(const rng_stream *s, uint64_t step, uint32_t block)
{
    uint32_t w[4];
    rng_raw4(s, step, block, w);
    return rng_u53(w[0], w[1]);
}

/* Through the same Box-Muller code as rng_normal, so that the value is bitwise the same. */
double rng_normal1(const rng_stream *s, uint64_t step, uint32_t block)
{
    uint32_t w[4];
    rng_raw4(s, step, block, w);
    double z0, z1;
    bm_pair(rng_u53(w[0], w[1]), rng_u53(w[2], w[3]), &z0, &z1);
    return z0;
}

void rng_box_muller(const double *u0, const double *u1, size_t n, double *out)
{
    int isa = rng_isa();
    (isa == RNG_ISA_AVX512 ? bm_many_avx512
     : isa == RNG_ISA_AVX2 ? bm_many_avx2
                           : bm_many_sse2)(u0, u1, n, out);
}

_Static_assert(RNG_BM_LANES == 8, "rng.h documents groups of 8 pairs");

void rng_box_muller_groups(const double *u, size_t ngroups, double *out)
{
    RNG_PICK(bm_groups)(u, ngroups, out);
}
