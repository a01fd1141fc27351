/* rng — counter-based random streams (Random123 Philox4x32-10).
 *
 * A stream is keyed by (global seed, task id, purpose); the task id has 32 + 24 bits (the high
 * part shares counter word 3 with the 8-bit purpose); a draw is addressed by a counter
 * (step, block). Philox key = (seed, task); counter words = (block, step lo, step hi, purpose).
 * The numbers of a run therefore depend only on what is drawn, never on which rank draws it or
 * when, and a checkpoint needs no RNG state beyond the step.
 *
 * Block convention: one Philox call (one block) yields 4 x 32 bits = two 53-bit uniforms = two
 * normals. A request for n variates at (step, block0) consumes blocks block0 .. block0+ceil(n/2)-1,
 * so the first n/2 pairs of a longer request are the same numbers. */
#ifndef MCMSIM_RNG_H
#define MCMSIM_RNG_H

#include <stddef.h>
#include <stdint.h>

/* Stream purposes. Values are part of the file format of every result: never renumber. */
typedef enum {
    RNG_SPIKES = 1,  /* spike directions m, u, v */
    RNG_PROBE = 2,   /* random probe directions for statistics */
    RNG_BULK = 3,    /* bulk noise z of the MCM sample */
    RNG_LATENT = 4,  /* latents lambda, nu and the mixture label */
    RNG_DIFFUSE = 5, /* forward-process noise xi */
    RNG_INIT = 6,    /* model initialisation */
    RNG_TIME = 7,    /* diffusion times drawn per step */
    RNG_EVAL = 8,    /* evaluation sets */
    RNG_BOOT = 9,    /* bootstrap resampling */
    RNG_ROWS = 10,   /* training rows drawn from a user data set */
    /* Reduced engine (core/reduced.h; layouts in src/core/reduced.md): */
    RNG_REDUCED_BULK = 11, /* in-frame coordinates of z and xi, counter = sample index */
    RNG_REDUCED_GRAM = 12, /* Bartlett factor of the perpendicular parts, counter = step */
    RNG_REDUCED_INIT = 13, /* exact initial state (Bartlett factor of the initial vectors) */
    RNG_GAUSS = 14,        /* Gaussian data (core/gdata.h): z of training sample g */
    RNG_GBASIS = 15,       /* random eigenbasis of Gaussian data (task 0, step = column) */
    RNG_GENERATE = 20, /* start x_T of generated sample i (core/gen.h), counter = sample index */
    RNG_TEST = 100,    /* unit tests */
} rng_purpose;

typedef struct {
    uint32_t key[2]; /* seed, task */
    uint32_t purpose;
} rng_stream;

rng_stream rng_stream_make(uint32_t seed, uint64_t task, rng_purpose purpose);

/* Raw Philox output: 4 words for (step, block). */
void rng_raw4(const rng_stream *s, uint64_t step, uint32_t block, uint32_t out[4]);

/* n uniforms in the open interval (0,1), 53-bit resolution: safe for log(). */
void rng_uniform(const rng_stream *s, uint64_t step, uint32_t block0, size_t n, double *out);

/* n standard normals (Box-Muller on the uniforms above), vectorised. */
void rng_normal(const rng_stream *s, uint64_t step, uint32_t block0, size_t n, double *out);

/* The two variates of one block at nsteps consecutive steps: out[2 i], out[2 i + 1] are the
 * values rng_normal / rng_uniform(s, step0 + i, block, 2, .) return, bitwise (the same batch
 * code with the steps in the lanes). Many short requests at consecutive counters cost one batch
 * instead of one batch each (a batch always computes 32 blocks). */
void rng_normal_steps(const rng_stream *s, uint64_t step0, uint32_t block, size_t nsteps,
                      double *out);
void rng_uniform_steps(const rng_stream *s, uint64_t step0, uint32_t block, size_t nsteps,
                       double *out);

/* Number of blocks a request of n variates consumes. */
static inline uint32_t rng_blocks(size_t n)
{
    return (uint32_t)((n + 1) / 2);
}

/* Largest double below 1. */
#define RNG_U53_MAX 0x1.fffffffffffffp-1

/* The uniform of two words: 53 bits k = hi:(lo >> 11), u = (k + 1/2) 2^-53 rounded to double.
 * Below 1/2 that is the exact midpoint grid; above, k + 1/2 needs 54 bits and rounds to even, so
 * the top k = 2^53 - 1 would give exactly 1.0: it is clamped to RNG_U53_MAX. Never 0, never 1,
 * so log(u) and log(1 - u) are finite. */
static inline double rng_u53(uint32_t hi, uint32_t lo)
{
    uint64_t k = ((uint64_t)hi << 21) ^ (lo >> 11);
    double u = ((double)k + 0.5) * 0x1p-53;
    return u < 1.0 ? u : RNG_U53_MAX;
}

/* Exact double of an integer < 2^52: placed in the mantissa of 2^52, minus 2^52. Vectorises on
 * every ISA (unlike uint64 -> double conversion before AVX-512DQ). */
static inline double rng_lane_double(uint64_t x)
{
    uint64_t b = 0x4330000000000000u | x;
    double d;
    __builtin_memcpy(&d, &b, sizeof d);
    return d - 0x1p52;
}

/* rng_u53 on two 32-bit words held in 64-bit lanes, bitwise equal to it and vectorisable:
 * k = hi 2^21 + (lo >> 11) is an exact integer below 2^53, then rng_u53's rounding steps. */
static inline double rng_u53_lanes(uint64_t hi, uint64_t lo)
{
    double k =
        rng_lane_double(hi & 0xffffffffu) * 0x1p21 + rng_lane_double((lo & 0xffffffffu) >> 11);
    double u = (k + 0.5) * 0x1p-53;
    return u < 1.0 ? u : RNG_U53_MAX;
}

/* Raw Philox output of nblocks consecutive blocks: out[4 b + j] = word j of block block0 + b
 * (the same words as rng_raw4, computed in batches). */
void rng_raw4n(const rng_stream *s, uint64_t step, uint32_t block0, size_t nblocks, uint32_t *out);

/* The first uniform / normal of one block: element 0 of rng_uniform / rng_normal(..., block, 1).
 * Bitwise equal to them. */
double rng_uniform1(const rng_stream *s, uint64_t step, uint32_t block);
double rng_normal1(const rng_stream *s, uint64_t step, uint32_t block);

/* Scalar reference versions (one Philox call and the scalar Box-Muller kernel per block), used by
 * the tests. rng_uniform and rng_normal are bitwise equal to them, for any n, block split, output
 * alignment and instruction set: AVX2 and AVX-512 nodes draw identical numbers. */
void rng_uniform_ref(const rng_stream *s, uint64_t step, uint32_t block0, size_t n, double *out);
void rng_normal_ref(const rng_stream *s, uint64_t step, uint32_t block0, size_t n, double *out);

/* The Box-Muller transform of rng_normal on n pairs of uniforms (out[2 i], out[2 i + 1] from
 * u0[i], u1[i]): for benchmarks that feed it another generator's uniforms. */
void rng_box_muller(const double *u0, const double *u1, size_t n, double *out);
/* The same on groups of 8 pairs laid out one after the other: group q pairs u[16 q + i] with
 * u[16 q + 8 + i] (i < 8) into out[16 q + 2 i], out[16 q + 2 i + 1]; u 64-byte aligned. */
void rng_box_muller_groups(const double *u, size_t ngroups, double *out);

/* Instruction set of the vector batches: detected on first use; rng_isa_force picks one (for
 * tests and benchmarks; -1: back to the detected one) and returns -1 if the CPU lacks it. Every
 * choice gives bitwise the same numbers. Not thread-safe against concurrent draws. */
enum { RNG_ISA_SSE2 = 0, RNG_ISA_AVX2 = 1, RNG_ISA_AVX512 = 2 };
int rng_isa(void);
int rng_isa_force(int isa);
const char *rng_isa_name(int isa);

#endif
