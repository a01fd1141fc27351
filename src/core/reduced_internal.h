/* reduced_internal — what the sources of the reduced engine share (reduced.c, reduced_step.c,
 * reduced_rng.c); not part of the core API. */
#ifndef MCMSIM_REDUCED_INTERNAL_H
#define MCMSIM_REDUCED_INTERNAL_H

#include "core/reduced.h"

/* Largest width: the initial Bartlett factor has p = 3 + 2K columns, p (p + 1) / 2 normals. */
#define REDUCED_MAX_K 256

/* Block layout of a Bartlett factor at one counter (reduced.md, "Random streams"): normals from
 * block 0 (the p (p - 1) / 2 entries above the diagonal column by column, then the first
 * Marsaglia-Tsang normal of each diagonal entry), uniforms from block REDUCED_UBLOCK (the first
 * uniform of each diagonal entry), retries of diagonal entry i at attempt j >= 1 from the blocks
 * REDUCED_RBLOCK + 2 (i REDUCED_MAX_TRIES + j) (normal) and the one after it (uniform). */
#define REDUCED_UBLOCK (1u << 24)
#define REDUCED_RBLOCK (1u << 25)
#define REDUCED_MAX_TRIES 1024

/* Number of normals a Bartlett factor of p columns reads from block 0 on. */
static inline size_t reduced_bartlett_normals(int p)
{
    return (size_t)p * (size_t)(p - 1) / 2 + (size_t)p;
}

/* R[p][p] from the first draws g (reduced_bartlett_normals(p) normals) and u (p uniforms) of
 * counter `counter` of stream s, the retries read from s; dof n - i for row i. mt: NULL, or the
 * Marsaglia-Tsang constants (dd, cc) of row i at mt[2 i], mt[2 i + 1] (reduced_mt_consts). */
void reduced_bartlett_from(const rng_stream *s, uint64_t counter, int p, long n, const double *g,
                           const double *u, const double *mt, double *R);
/* dd = k/2 - 1/3 and cc = 1/sqrt(9 dd) of chi^2_k (cc = 0 for k = 1). */
void reduced_mt_consts(long k, double *dd, double *cc);

/* The randomness of a window of W consecutive steps, drawn in batches over the steps (one batch
 * of a counter-based stream computes 32 blocks whatever is requested). */
struct reduced_cache {
    long s0;                       /* first step of the window, -1: empty */
    int W, ns;                     /* steps and samples (W B) of a window */
    size_t nn;                     /* Bartlett normals per step */
    int gram_steps;                /* Bartlett draws batched over steps (small B) or per step */
    double *lat_g;                 /* [ns][2] the normals of RNG_LATENT block 0 */
    double *lat_w;                 /* [ns][2] the uniforms of RNG_LATENT block 1 */
    double *tu;                    /* [ns][2] RNG_TIME block 0 (element 0 is the time's uniform) */
    double *bulk;                  /* [ns][2r] in-frame coordinates of z then xi */
    double *gn;                    /* [W][nn] Bartlett normals */
    double *gu;                    /* [W][2B] Bartlett uniforms */
    double *tmp;                   /* [2 max(ns, W)] */
    rng_stream lat, tim, blk, gra; /* RNG_LATENT, RNG_TIME, RNG_REDUCED_BULK, _GRAM */
    double *mt;                    /* [2B][2] Marsaglia-Tsang constants of the diagonal */
    /* arrays of r->dr */
    double *lam, *nu, *t, *alpha, *sigma, *R;
    int *label;
};

/* Doubles of the step workspace r->ws (reduced_step.c). */
size_t reduced_ws_size(const reduced *r);

reduced_cache *reduced_cache_new(const reduced *r);
void reduced_cache_free(reduced_cache *c);

#endif
