/* rng — Philox4x32-10 streams; see include/rng.h.
 *
 * Two paths compute the same numbers:
 *  - the scalar reference (rng_*_ref): one Philox call and scalar libm per block. It defines the
 *    semantics and is kept for the tests.
 *  - the fast path: batches of RNG_LANES consecutive blocks (for rng_*_steps: one block at
 *    RNG_LANES consecutive steps; only the lanes' counters differ). Philox runs on vectors of
 *    64-bit lanes with one 32x32->64 pmuludq per multiply (intrinsics, one kernel per instruction
 *    set: GCC 12 cannot vectorise the widening multiply well on its own); Box-Muller then runs in
 *    simple loops that GCC vectorises with glibc's libmvec log/sin/cos (target_clones picks
 *    SSE2/AVX2/AVX-512).
 *
 * Accuracy: uniforms are bitwise equal to the reference (integer and exactly rounded operations
 * only; -ffp-contract=off keeps it so). Normals differ from the reference only through libmvec's
 * log/sin/cos: measured max |fast - ref| / |ref| = 7.8e-16 (error vs a long double evaluation:
 * fast 5.7e-16, ref 3.5e-16); tests/unit/test_rng.c checks < 1e-13 relative, < 1e-12 absolute.
 *
 * Determinism: every block is computed by the same batch code whatever n, block0 or the output
 * alignment; the libmvec calls always see full, aligned, local arrays, so no lane is ever computed
 * by a scalar prologue or epilogue. Results are therefore bitwise reproducible on a given machine.
 * On CPUs with a different vector instruction set (AVX2 vs AVX-512 nodes) libmvec may round the
 * last bit differently. */
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

/* Vector clones of libm functions. glibc's <math.h> announces libmvec's variants only under
 * __FAST_MATH__, and -ffast-math would also change the arithmetic around them. Instead these
 * aliases of the plain symbols carry the OpenMP simd declaration: calls in vectorised loops go to
 * _ZGV{b,d,e}N{2,4,8}v_{log,sin,cos} in libmvec (linked through libm's AS_NEEDED entry), while the
 * scalar reference keeps calling the ordinary libm functions. */
#pragma omp declare simd notinbranch
double rng_vlog(double x) __asm__("log");
#pragma omp declare simd notinbranch
double rng_vsin(double x) __asm__("sin");
#pragma omp declare simd notinbranch
double rng_vcos(double x) __asm__("cos");

/* Instruction sets of the Box-Muller clones. libmvec's AVX-512 and AVX2 variants differ in the
 * last bit for ~0.5% of the normals. -DRNG_PORTABLE_MATH uses the AVX2 variant on AVX-512
 * machines too: then every AVX2 machine gives bitwise the same numbers (about 1.45x slower on
 * AVX-512 machines, still < 3 ns per normal). */
#ifdef RNG_PORTABLE_MATH
#define RNG_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define RNG_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif

rng_stream rng_stream_make(uint32_t seed, uint64_t task, rng_purpose purpose)
{
    /* Tasks beyond 32 bits (sweeps) carry their high word next to the purpose, which uses
     * only the low 8 bits of counter word 3: streams of 32-bit tasks are unchanged. */
    rng_stream s = {{seed, (uint32_t)task}, (uint32_t)purpose | (uint32_t)(task >> 32) << 8};
    return s;
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
        double r = sqrt(-2.0 * log(rng_u53(w[0], w[1])));
        double th = 2.0 * M_PI * rng_u53(w[2], w[3]);
        out[i] = r * cos(th);
        if (i + 1 < n) out[i + 1] = r * sin(th);
    }
}

/* ---------------------------------------------------------------------------------------------
 * Philox on vectors. A lane holds one 32-bit counter word in a 64-bit lane. Only the low halves
 * are meaningful: pmuludq reads only low halves, and xor/shift never move garbage from the high
 * half into the low half, so the high halves need no masking between rounds. */

typedef uint64_t rng_words[4][RNG_LANES]; /* word j of block block0+i in w[j][i] (low 32 bits) */

/* All vectors of the batch advance round by round together: their multiply chains are
 * independent, which hides the pmuludq latency. */
#define RNG_PHILOX_KERNEL(NAME, TARGET, VT, IT, MUL)                                               \
    __attribute__((target(TARGET))) static void NAME(const rng_stream *s, uint64_t step,           \
                                                     uint32_t block0, int by_step, rng_words w)    \
    {                                                                                              \
        enum { W = (int)(sizeof(VT) / sizeof(uint64_t)), NV = RNG_LANES / W };                     \
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

RNG_PHILOX_KERNEL(philox_sse2, "sse2", rng_u64x2, __m128i, _mm_mul_epu32)
RNG_PHILOX_KERNEL(philox_avx2, "avx2", rng_u64x4, __m256i, _mm256_mul_epu32)
RNG_PHILOX_KERNEL(philox_avx512, "avx512f", rng_u64x8, __m512i, _mm512_mul_epu32)

/* All kernels give identical integers; the choice only affects speed. The check is a load and a
 * test of libgcc's CPU model, cheap next to a batch. */
static void philox_lanes(const rng_stream *s, uint64_t step, uint32_t block0, int by_step,
                         rng_words w)
{
    if (__builtin_cpu_supports("avx512f"))
        philox_avx512(s, step, block0, by_step, w);
    else if (__builtin_cpu_supports("avx2"))
        philox_avx2(s, step, block0, by_step, w);
    else
        philox_sse2(s, step, block0, by_step, w);
}

/* ---------------------------------------------------------------------------------------------
 * Batches of RNG_LANES blocks -> 2 RNG_LANES variates. */

/* Exact double of a lane holding an integer < 2^52: place it in the mantissa of 2^52 and subtract
 * 2^52. Vectorises on every ISA (unlike uint64 -> double conversion before AVX-512DQ). */
static inline double lane_to_double(uint64_t x)
{
    uint64_t b = 0x4330000000000000u | x;
    double d;
    memcpy(&d, &b, sizeof d);
    return d - 0x1p52;
}

/* rng_u53 on two lanes, bitwise equal to it: k = hi * 2^21 + (lo >> 11) is an exact integer
 * below 2^53, then the same rounding steps as rng_u53. */
static inline double lanes_u53(uint64_t hi, uint64_t lo)
{
    double k = lane_to_double(hi & 0xffffffffu) * 0x1p21 + lane_to_double((lo & 0xffffffffu) >> 11);
    double u = (k + 0.5) * 0x1p-53;
    return u < 1.0 ? u : RNG_U53_MAX;
}

static inline void words_to_uniforms(const rng_words w, double *restrict u0, double *restrict u1)
{
#pragma omp simd aligned(u0, u1 : 64)
    for (int i = 0; i < RNG_LANES; i++) {
        u0[i] = lanes_u53(w[0][i], w[1][i]);
        u1[i] = lanes_u53(w[2][i], w[3][i]);
    }
}

RNG_CLONES static void uniform_batch(const rng_stream *s, uint64_t step, uint32_t block0,
                                     int by_step, double *restrict out)
{
    alignas(64) rng_words w;
    alignas(64) double u0[RNG_LANES], u1[RNG_LANES];
    philox_lanes(s, step, block0, by_step, w);
    words_to_uniforms((const uint64_t(*)[RNG_LANES])w, u0, u1);
    for (int i = 0; i < RNG_LANES; i++) {
        out[2 * i] = u0[i];
        out[2 * i + 1] = u1[i];
    }
}

/* Box-Muller as in rng_normal_ref on RNG_BM_LANES pairs: r = sqrt(-2 log u0), th = 2 pi u1,
 * (r cos th, r sin th). sin and cos sit in separate loops: in one loop GCC fuses them into sincos,
 * which it cannot vectorise. RNG_BM_LANES is a multiple of every vector length, so each lane goes
 * through the same libmvec variant wherever the lane sits. */
static inline void box_muller(const double *restrict u0, const double *restrict u1,
                              double *restrict out)
{
    alignas(64) double r[RNG_BM_LANES], th[RNG_BM_LANES], c[RNG_BM_LANES], sn[RNG_BM_LANES];
#pragma omp simd aligned(u0, u1, r, th : 64)
    for (int i = 0; i < RNG_BM_LANES; i++) {
        r[i] = sqrt(-2.0 * rng_vlog(u0[i]));
        th[i] = 2.0 * M_PI * u1[i];
    }
#pragma omp simd aligned(th, c : 64)
    for (int i = 0; i < RNG_BM_LANES; i++)
        c[i] = rng_vcos(th[i]);
#pragma omp simd aligned(th, sn : 64)
    for (int i = 0; i < RNG_BM_LANES; i++)
        sn[i] = rng_vsin(th[i]);
    for (int i = 0; i < RNG_BM_LANES; i++) {
        out[2 * i] = r[i] * c[i];
        out[2 * i + 1] = r[i] * sn[i];
    }
}

RNG_CLONES static void normal_batch(const rng_stream *s, uint64_t step, uint32_t block0,
                                    int by_step, double *restrict out)
{
    alignas(64) rng_words w;
    alignas(64) double u0[RNG_LANES], u1[RNG_LANES];
    philox_lanes(s, step, block0, by_step, w);
    words_to_uniforms((const uint64_t(*)[RNG_LANES])w, u0, u1);
    for (int g = 0; g < RNG_LANES; g += RNG_BM_LANES)
        box_muller(u0 + g, u1 + g, out + 2 * g);
}

/* One pair through the same Box-Muller code (lane 0; the other lanes are idle). */
RNG_CLONES static double normal_one(double u0, double u1)
{
    alignas(64) double a[RNG_BM_LANES], b[RNG_BM_LANES], z[2 * RNG_BM_LANES];
    for (int i = 0; i < RNG_BM_LANES; i++)
        a[i] = b[i] = 0.5;
    a[0] = u0;
    b[0] = u1;
    box_muller(a, b, z);
    return z[0];
}

/* Raw words in block order: transposes the lanes back to out[4 i + j]. */
RNG_CLONES static void raw_batch(const rng_stream *s, uint64_t step, uint32_t block0,
                                 uint32_t *restrict out)
{
    alignas(64) rng_words w;
    philox_lanes(s, step, block0, 0, w);
    for (int i = 0; i < RNG_LANES; i++)
        for (int j = 0; j < 4; j++)
            out[4 * i + j] = (uint32_t)w[j][i];
}

typedef void batch_fn(const rng_stream *s, uint64_t step, uint32_t block0, int by_step,
                      double *restrict out);

/* Full batches write straight to out; a partial last batch goes through a local buffer and only
 * its first values are copied, so a short request returns a prefix of a long one. by_step: the
 * lanes of a batch are consecutive steps (one block each) instead of consecutive blocks. */
static void run_batches(batch_fn *f, const rng_stream *s, uint64_t step, uint32_t block0,
                        int by_step, size_t n, double *out)
{
    const size_t per = 2 * RNG_LANES;
    size_t full = n / per, rest = n % per;
    for (size_t b = 0; b < full; b++) {
        uint64_t st = by_step ? step + b * RNG_LANES : step;
        uint32_t bl = by_step ? block0 : block0 + (uint32_t)(b * RNG_LANES);
        f(s, st, bl, by_step, out + b * per);
    }
    if (rest) {
        alignas(64) double tmp[2 * RNG_LANES];
        uint64_t st = by_step ? step + full * RNG_LANES : step;
        uint32_t bl = by_step ? block0 : block0 + (uint32_t)(full * RNG_LANES);
        f(s, st, bl, by_step, tmp);
        memcpy(out + full * per, tmp, rest * sizeof *tmp);
    }
}

/* ---------------------------------------------------------------------------------------------
 * Public fast path. */

void rng_uniform(const rng_stream *s, uint64_t step, uint32_t block0, size_t n, double *out)
{
    run_batches(uniform_batch, s, step, block0, 0, n, out);
}

void rng_normal(const rng_stream *s, uint64_t step, uint32_t block0, size_t n, double *out)
{
    run_batches(normal_batch, s, step, block0, 0, n, out);
}

void rng_uniform_steps(const rng_stream *s, uint64_t step0, uint32_t block, size_t nsteps,
                       double *out)
{
    run_batches(uniform_batch, s, step0, block, 1, 2 * nsteps, out);
}

void rng_normal_steps(const rng_stream *s, uint64_t step0, uint32_t block, size_t nsteps,
                      double *out)
{
    run_batches(normal_batch, s, step0, block, 1, 2 * nsteps, out);
}

void rng_raw4n(const rng_stream *s, uint64_t step, uint32_t block0, size_t nblocks, uint32_t *out)
{
    size_t full = nblocks / RNG_LANES, rest = nblocks % RNG_LANES;
    for (size_t b = 0; b < full; b++)
        raw_batch(s, step, block0 + (uint32_t)(b * RNG_LANES), out + 4 * RNG_LANES * b);
    if (rest) {
        alignas(64) uint32_t tmp[4 * RNG_LANES];
        raw_batch(s, step, block0 + (uint32_t)(full * RNG_LANES), tmp);
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
    return normal_one(rng_u53(w[0], w[1]), rng_u53(w[2], w[3]));
}
