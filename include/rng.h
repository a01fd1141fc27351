/* rng — counter-based random streams (Random123 Philox4x32-10).
 *
 * A stream is keyed by (global seed, task id, purpose); a draw is addressed by a counter
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
    RNG_SPIKES = 1,   /* spike directions m, u, v */
    RNG_PROBE = 2,    /* random probe directions for statistics */
    RNG_BULK = 3,     /* bulk noise z of the MCM sample */
    RNG_LATENT = 4,   /* latents lambda, nu and the mixture label */
    RNG_DIFFUSE = 5,  /* forward-process noise xi */
    RNG_INIT = 6,     /* model initialisation */
    RNG_TIME = 7,     /* diffusion times drawn per step */
    RNG_EVAL = 8,     /* evaluation sets */
    RNG_TEST = 100,   /* unit tests */
} rng_purpose;

typedef struct {
    uint32_t key[2];  /* seed, task */
    uint32_t purpose;
} rng_stream;

rng_stream rng_stream_make(uint32_t seed, uint32_t task, rng_purpose purpose);

/* Raw Philox output: 4 words for (step, block). */
void rng_raw4(const rng_stream *s, uint64_t step, uint32_t block, uint32_t out[4]);

/* n uniforms in the open interval (0,1), 53-bit resolution: safe for log(). */
void rng_uniform(const rng_stream *s, uint64_t step, uint32_t block0, size_t n, double *out);

/* n standard normals (Box-Muller on the uniforms above), vectorised. */
void rng_normal(const rng_stream *s, uint64_t step, uint32_t block0, size_t n, double *out);

/* Number of blocks a request of n variates consumes. */
static inline uint32_t rng_blocks(size_t n) { return (uint32_t)((n + 1) / 2); }

#endif
