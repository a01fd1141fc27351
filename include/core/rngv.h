/* rngv — counter-addressed vector streams: the d-vectors of normals a training step draws (bulk
 * noise z, diffusion noise xi, Gaussian data) at the cost of a fast sequential generator.
 *
 * A vector is addressed by (seed, task, purpose, counter) like every draw of rng.h; its entries
 * are the sequence of one xoshiro256+ generator of 8 lanes (Blackman & Vigna 2018) whose 256-bit
 * lane states are Philox4x32-10 words of that address (blocks RNGV_SEED_BLOCK.. of rng.h's stream
 * at step = counter). So a vector depends only on its address, never on the rank or the order
 * of draws, and restarts need no state beyond the counter; only a whole vector (or a prefix of
 * it) is addressable, not entry i alone — use rng_normal for random access.
 *
 * Sequence: iteration t of the generator gives one 64-bit output x per lane; group g (R =
 * RNGV_GROUP = 16 normals) takes iterations 2g and 2g + 1, lane-major, as R uniforms
 * u_k = (x >> 12 + 1/2) 2^-52 in (0, 1) (the top 52 bits; the smallest u gives |z| up to 8.6, as
 * rng.h's 53-bit uniforms do); normals 2i, 2i + 1 of the group are rng.h's Box-Muller of the
 * pair (u_i, u_{8+i}), lane i of the two iterations. A request of n normals computes only the
 * ceil(n / 16) groups it needs (RNGV_REFILL at a time). The top 53 bits of xoshiro256+ pass
 * BigCrush (its authors); the raw stream is in tests/soak/rng_dieharder.sh. Integer operations and
 * rng.h's Box-Muller only: every instruction-set path gives identical numbers.
 *
 * A request for n values returns the first n entries; successive requests on one rngv continue
 * the sequence, so any split of a vector into chunks gives the same numbers as one request. */
#ifndef MCMSIM_RNGV_H
#define MCMSIM_RNGV_H

#include "core/rng.h"

#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>

enum { RNGV_LANES = 8, RNGV_GROUP = 16, RNGV_REFILL = 256 };

/* Philox blocks of the seed: 8 lanes x 4 words x 64 bits = 16 blocks from this block index on
 * (far above any block a request of rng.h reaches). */
#define RNGV_SEED_BLOCK 0xfffff000u

typedef struct {
    alignas(64) uint64_t s[4][RNGV_LANES];
    alignas(64) double buf[RNGV_GROUP]; /* the last group of a request that ended inside it */
    int pos, len; /* next unread entry of buf, and its filled length (pos = len: empty) */
} rngv;

/* The vector at `counter` of stream s, from its first entry. */
void rngv_start(rngv *v, const rng_stream *s, uint64_t counter);
/* The next n normals of the vector. */
void rngv_normal(rngv *v, size_t n, double *out);
/* The next n raw 64-bit outputs of the generator (lane-major per iteration), for statistical
 * batteries; not mixed with rngv_normal on one rngv. */
void rngv_raw(rngv *v, size_t n, uint64_t *out);
/* One request: the first n normals of the vector at counter. */
void rngv_normal_at(const rng_stream *s, uint64_t counter, size_t n, double *out);

#endif
