/* model_neuron — families (A) spiked single neuron and (B) K-neuron tied autoencoder
 * (mcm-model.md §3):  D(x) = c x + sum_k a_k w_k sigma(w_k . x).  See include/model.h.
 *
 * theta = [ w_0 (d) | w_1 (d) | ... | w_{K-1} (d) | a_0 .. a_{K-1} (if train_a) | c (if trainable)
 * ] All K rows are sphere rows (spherical SGD keeps |w_k| = 1); a_k = s.a0 when not trainable.
 *
 * Per sample, with h_k = w_k . x, g = dL/dD:
 *   dL/dw_k = a_k [sigma(h_k) g + sigma'(h_k) (w_k . g) x],  dL/da_k = sigma(h_k) (w_k . g),
 *   dL/dc = g . x.
 *
 * Speed: the online step (B = 1, d ~ 1000, K <= 8) must cost well under 1 us, so the sample
 * path makes few fused passes over memory (the dots of up to 4 rows in one pass; c x +
 * sum a_k f_k w_k in one pass; the backward dots w_k . g and g . x in one pass; the gradient rows
 * of up to 4 neurons in one pass over g and x) with explicit vectors and 8 partial sums per dot.
 * -O2 alone would not vectorise the dot reductions (no reassociation without -ffast-math) and
 * would leave them latency-bound. The arithmetic is the same on every instruction set (the same
 * 8 lanes, no FMA: -std=c11 keeps -ffp-contract=off), so results are bitwise identical on SSE2,
 * AVX2 and AVX-512 machines. Batches of NRN_BLAS_MIN_B or more use BLAS-3 when K >= 2 (other
 * rounding, same values to ~1e-15). */
#include "core/model.h"

#include "base/log.h"
#include "core/rng.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Rows per fused pass: 4 rows x 2 dot accumulators keep 8 vector registers busy next to the
 * loads, within AVX2's 16. */
enum { NRN_CHUNK = 4, NRN_BLAS_MIN_B = 8 };

typedef struct {
    double *h, *f, *df;  /* [bmax][K] pre-activations, sigma, sigma' of the last forward */
    double *coef;        /* [K] per-row coefficients of a combine pass */
    double *dots;        /* [K + 2] w_k . g and g . x of one sample (and |x0 - D|^2) */
    int dots_ready;      /* nrn_resid1 left the dots of its sample for the backward pass */
    const double **rows; /* [K + 1] row pointers handed to the kernels */
    double *p, *wg;      /* [bmax][K] BLAS path: scaled activations, G W^T */
} nrn_ws;

/* ---------------------------------------------------------------------------------------------
 * Vector kernels on blocks of 8 doubles: one 8-double vector on AVX-512 (measured ~25% faster
 * than 4-double vectors on 64-byte aligned data), two 4-double vectors elsewhere (GCC spills an
 * 8-double generic vector to the stack on AVX2). Both give the same bits: a dot keeps 8 lane
 * sums either way and adds them in one fixed order. Loads and stores go through memcpy
 * (unaligned vmovupd); vectors never cross a function boundary (that would change the ABI
 * between instruction sets, -Wpsabi). Each kernel handles n <= NRN_CHUNK rows, expanded for
 * every constant n so that the row loop unrolls. */

typedef double nrn_v4 __attribute__((vector_size(32)));
typedef double nrn_v8 __attribute__((vector_size(64)));

#define NRN_INLINE static inline __attribute__((always_inline))

/* Elements before p + i is 64-byte aligned (at most d): stores that split cache lines are slow. */
static inline int nrn_peel(const double *p, int d)
{
    int k = (int)((64 - (uintptr_t)p % 64) % 64 / sizeof(double));
    return k < d ? k : d;
}

/* The bodies for vector type V of W doubles (W = 4 or 8); NB = 8 / W vectors per block. */
#define NRN_KERNEL_BODIES(V, W)                                                                    \
    /* out[j] = r[j] . y in one pass over y */                                                     \
    NRN_INLINE void nrn_dots_##V(int n, const double *const *r, const double *restrict y, int d,   \
                                 double *restrict out)                                             \
    {                                                                                              \
        enum { NB = 8 / (W) };                                                                     \
        V acc[NRN_CHUNK][NB], yv, rv;                                                              \
        memset(acc, 0, sizeof acc);                                                                \
        int i = 0;                                                                                 \
        for (; i + 8 <= d; i += 8)                                                                 \
            for (int b = 0; b < NB; b++) {                                                         \
                memcpy(&yv, y + i + b * (W), sizeof yv);                                           \
                _Pragma("GCC unroll 4") for (int j = 0; j < n; j++)                                \
                {                                                                                  \
                    memcpy(&rv, r[j] + i + b * (W), sizeof rv);                                    \
                    acc[j][b] += rv * yv;                                                          \
                }                                                                                  \
            }                                                                                      \
        for (int j = 0; j < n; j++) {                                                              \
            double t[8];                                                                           \
            memcpy(t, acc[j], sizeof t);                                                           \
            double s = ((t[0] + t[4]) + (t[1] + t[5])) + ((t[2] + t[6]) + (t[3] + t[7]));          \
            for (int k = i; k < d; k++)                                                            \
                s += r[j][k] * y[k];                                                               \
            out[j] = s;                                                                            \
        }                                                                                          \
    }                                                                                              \
    /* out = s0 y + sum_j cf[j] r[j], added left to right; y may be out (later chunks) */          \
    NRN_INLINE void nrn_comb_##V(int n, const double *const *r, const double *cf, double s0,       \
                                 const double *y, int d, double *out)                              \
    {                                                                                              \
        V c[NRN_CHUNK], sv = (V){0} + s0, o, t;                                                    \
        for (int j = 0; j < n; j++)                                                                \
            c[j] = (V){0} + cf[j];                                                                 \
        int i = nrn_peel(out, d);                                                                  \
        for (int k = 0; k < i; k++) {                                                              \
            double u = s0 * y[k];                                                                  \
            for (int j = 0; j < n; j++)                                                            \
                u += cf[j] * r[j][k];                                                              \
            out[k] = u;                                                                            \
        }                                                                                          \
        for (; i + (W) <= d; i += (W)) {                                                           \
            memcpy(&o, y + i, sizeof o);                                                           \
            o *= sv;                                                                               \
            _Pragma("GCC unroll 4") for (int j = 0; j < n; j++)                                    \
            {                                                                                      \
                memcpy(&t, r[j] + i, sizeof t);                                                    \
                o += c[j] * t;                                                                     \
            }                                                                                      \
            memcpy(out + i, &o, sizeof o);                                                         \
        }                                                                                          \
        for (; i < d; i++) {                                                                       \
            double u = s0 * y[i];                                                                  \
            for (int j = 0; j < n; j++)                                                            \
                u += cf[j] * r[j][i];                                                              \
            out[i] = u;                                                                            \
        }                                                                                          \
    }                                                                                              \
    /* gr[j] += al[j] g + be[j] x in one pass over g and x; set: gr[j] = ... (no read of gr) */    \
    NRN_INLINE void nrn_rank2_##V(int n, double *const *gr, const double *al, const double *be,    \
                                  const double *restrict g, const double *restrict x, int d,       \
                                  int set)                                                         \
    {                                                                                              \
        V av[NRN_CHUNK], bv[NRN_CHUNK], gv, xv, o;                                                 \
        for (int j = 0; j < n; j++)                                                                \
            av[j] = (V){0} + al[j], bv[j] = (V){0} + be[j];                                        \
        int i = nrn_peel(gr[0], d);                                                                \
        for (int k = 0; k < i; k++)                                                                \
            for (int j = 0; j < n; j++)                                                            \
                gr[j][k] = (set ? 0.0 : gr[j][k]) + (al[j] * g[k] + be[j] * x[k]);                 \
        for (; i + (W) <= d; i += (W)) {                                                           \
            memcpy(&gv, g + i, sizeof gv);                                                         \
            memcpy(&xv, x + i, sizeof xv);                                                         \
            _Pragma("GCC unroll 4") for (int j = 0; j < n; j++)                                    \
            {                                                                                      \
                V t = av[j] * gv + bv[j] * xv;                                                     \
                if (!set) {                                                                        \
                    memcpy(&o, gr[j] + i, sizeof o);                                               \
                    t = o + t;                                                                     \
                }                                                                                  \
                memcpy(gr[j] + i, &t, sizeof t);                                                   \
            }                                                                                      \
        }                                                                                          \
        for (; i < d; i++)                                                                         \
            for (int j = 0; j < n; j++)                                                            \
                gr[j][i] = (set ? 0.0 : gr[j][i]) + (al[j] * g[i] + be[j] * x[i]);                 \
    }

/* The fused sample pass (nrn_resid): D = (fx ? s0 x : cf[0] r[0]) + sum_j cf[j] r[j] (+ sa x if
 * add), res = x0 - D, g = sc res, and in the same pass dots[j] = r[j] . g, dots[n] = x . g,
 * dots[n + 1] = |res|^2. Every element and every sum is formed exactly as nrn_comb, the engine's
 * skip, loss_row and nrn_dots form them (8 lane sums from i = 0, reduced in one order, the tail
 * added after), so the fused step is bitwise the unfused one. */
#define NRN_RESID_BODY(V, W)                                                                       \
    NRN_INLINE void nrn_resid_##V(int n, const double *const *r, const double *cf, int fx,         \
                                  double s0, int add, double sa, const double *restrict x,         \
                                  const double *restrict x0, double sc, int d, double *restrict g, \
                                  double *restrict dots)                                           \
    {                                                                                              \
        enum { NB = 8 / (W) };                                                                     \
        V acc[NRN_CHUNK + 2][NB], c[NRN_CHUNK], sv = (V){0} + s0, av = (V){0} + sa;                \
        V scv = (V){0} + sc, xv, tv, o;                                                            \
        memset(acc, 0, sizeof acc);                                                                \
        for (int j = 0; j < n; j++)                                                                \
            c[j] = (V){0} + cf[j];                                                                 \
        int i = 0, j0 = fx ? 0 : 1;                                                                \
        for (; i + 8 <= d; i += 8)                                                                 \
            for (int b = 0; b < NB; b++) {                                                         \
                int e = i + b * (W);                                                               \
                memcpy(&xv, x + e, sizeof xv);                                                     \
                if (fx) {                                                                          \
                    o = xv * sv;                                                                   \
                } else {                                                                           \
                    memcpy(&tv, r[0] + e, sizeof tv);                                              \
                    o = tv * c[0];                                                                 \
                }                                                                                  \
                _Pragma("GCC unroll 4") for (int j = j0; j < n; j++)                               \
                {                                                                                  \
                    memcpy(&tv, r[j] + e, sizeof tv);                                              \
                    o += c[j] * tv;                                                                \
                }                                                                                  \
                if (add) o += av * xv;                                                             \
                memcpy(&tv, x0 + e, sizeof tv);                                                    \
                V res = tv - o;                                                                    \
                acc[n + 1][b] += res * res;                                                        \
                V gv = res * scv;                                                                  \
                memcpy(g + e, &gv, sizeof gv);                                                     \
                _Pragma("GCC unroll 4") for (int j = 0; j < n; j++)                                \
                {                                                                                  \
                    memcpy(&tv, r[j] + e, sizeof tv);                                              \
                    acc[j][b] += tv * gv;                                                          \
                }                                                                                  \
                acc[n][b] += xv * gv;                                                              \
            }                                                                                      \
        for (int j = 0; j < n + 2; j++) {                                                          \
            double t[8];                                                                           \
            memcpy(t, acc[j], sizeof t);                                                           \
            dots[j] = ((t[0] + t[4]) + (t[1] + t[5])) + ((t[2] + t[6]) + (t[3] + t[7]));           \
        }                                                                                          \
        for (; i < d; i++) {                                                                       \
            double u = fx ? s0 * x[i] : cf[0] * r[0][i];                                           \
            for (int j = j0; j < n; j++)                                                           \
                u += cf[j] * r[j][i];                                                              \
            if (add) u += sa * x[i];                                                               \
            double res = x0[i] - u, gi = sc * res;                                                 \
            dots[n + 1] += res * res;                                                              \
            g[i] = gi;                                                                             \
            for (int j = 0; j < n; j++)                                                            \
                dots[j] += r[j][i] * gi;                                                           \
            dots[n] += x[i] * gi;                                                                  \
        }                                                                                          \
    }

/* The gradient rows of one sample (nrn_rank2 with set) and, in the same pass, each row's
 * (|w|^2, w . g, |g|^2) for the spherical step (sums[3 j ..]), formed as optim's sphere_sums
 * forms them (8 lane sums from i = 0, the tail after): its reduction pass is then not needed. */
#define NRN_RANK2S_BODY(V, W)                                                                      \
    NRN_INLINE void nrn_rank2s_##V(int n, double *const *gr, const double *const *wr,              \
                                   const double *al, const double *be, const double *restrict g,   \
                                   const double *restrict x, int d, double *restrict sums)         \
    {                                                                                              \
        enum { NB = 8 / (W) };                                                                     \
        V av[NRN_CHUNK], bv[NRN_CHUNK], acc[NRN_CHUNK][3][NB], gv, xv, wv;                         \
        memset(acc, 0, sizeof acc);                                                                \
        for (int j = 0; j < n; j++)                                                                \
            av[j] = (V){0} + al[j], bv[j] = (V){0} + be[j];                                        \
        int i = 0;                                                                                 \
        for (; i + 8 <= d; i += 8)                                                                 \
            for (int b = 0; b < NB; b++) {                                                         \
                int e = i + b * (W);                                                               \
                memcpy(&gv, g + e, sizeof gv);                                                     \
                memcpy(&xv, x + e, sizeof xv);                                                     \
                _Pragma("GCC unroll 4") for (int j = 0; j < n; j++)                                \
                {                                                                                  \
                    V t = av[j] * gv + bv[j] * xv;                                                 \
                    memcpy(gr[j] + e, &t, sizeof t);                                               \
                    memcpy(&wv, wr[j] + e, sizeof wv);                                             \
                    acc[j][0][b] += wv * wv;                                                       \
                    acc[j][1][b] += wv * t;                                                        \
                    acc[j][2][b] += t * t;                                                         \
                }                                                                                  \
            }                                                                                      \
        for (int j = 0; j < n; j++)                                                                \
            for (int q = 0; q < 3; q++) {                                                          \
                double t8[8];                                                                      \
                memcpy(t8, acc[j][q], sizeof t8);                                                  \
                sums[3 * j + q] =                                                                  \
                    ((t8[0] + t8[4]) + (t8[1] + t8[5])) + ((t8[2] + t8[6]) + (t8[3] + t8[7]));     \
            }                                                                                      \
        for (; i < d; i++)                                                                         \
            for (int j = 0; j < n; j++) {                                                          \
                double t = 0.0 + (al[j] * g[i] + be[j] * x[i]), w = wr[j][i];                      \
                gr[j][i] = t;                                                                      \
                sums[3 * j] += w * w, sums[3 * j + 1] += w * t, sums[3 * j + 2] += t * t;          \
            }                                                                                      \
    }

NRN_RESID_BODY(nrn_v4, 4)
NRN_RESID_BODY(nrn_v8, 8)
NRN_RANK2S_BODY(nrn_v4, 4)
NRN_RANK2S_BODY(nrn_v8, 8)
NRN_KERNEL_BODIES(nrn_v4, 4)
NRN_KERNEL_BODIES(nrn_v8, 8)

/* One call per constant row count (0 only for nrn_comb: out = s0 y). */
#define NRN_BY_N(F, n, ...)                                                                        \
    do {                                                                                           \
        if ((n) == 0)                                                                              \
            F(0, __VA_ARGS__);                                                                     \
        else if ((n) == 1)                                                                         \
            F(1, __VA_ARGS__);                                                                     \
        else if ((n) == 2)                                                                         \
            F(2, __VA_ARGS__);                                                                     \
        else if ((n) == 3)                                                                         \
            F(3, __VA_ARGS__);                                                                     \
        else                                                                                       \
            F(NRN_CHUNK, __VA_ARGS__);                                                             \
    } while (0)

/* The entry points of one instruction-set variant. */
#define NRN_KERNELS(SUF, ATTR, V)                                                                  \
    ATTR static void nrn_dots_##SUF(int n, const double *const *r, const double *y, int d,         \
                                    double *out)                                                   \
    {                                                                                              \
        NRN_BY_N(nrn_dots_##V, n, r, y, d, out);                                                   \
    }                                                                                              \
    ATTR static void nrn_comb_##SUF(int n, const double *const *r, const double *cf, double s0,    \
                                    const double *y, int d, double *out)                           \
    {                                                                                              \
        NRN_BY_N(nrn_comb_##V, n, r, cf, s0, y, d, out);                                           \
    }                                                                                              \
    ATTR static void nrn_rank2_##SUF(int n, double *const *gr, const double *al, const double *be, \
                                     const double *g, const double *x, int d, int set)             \
    {                                                                                              \
        NRN_BY_N(nrn_rank2_##V, n, gr, al, be, g, x, d, set);                                      \
    }                                                                                              \
    ATTR static void nrn_rank2s_##SUF(int n, double *const *gr, const double *const *wr,           \
                                      const double *al, const double *be, const double *g,         \
                                      const double *x, int d, double *sums)                        \
    {                                                                                              \
        if (n <= 1)                                                                                \
            nrn_rank2s_##V(1, gr, wr, al, be, g, x, d, sums);                                      \
        else                                                                                       \
            nrn_rank2s_##V(2, gr, wr, al, be, g, x, d, sums);                                      \
    }                                                                                              \
    ATTR static void nrn_resid_##SUF(int n, const double *const *r, const double *cf, int fx,      \
                                     double s0, int add, double sa, const double *x,               \
                                     const double *x0, double sc, int d, double *g, double *dots)  \
    {                                                                                              \
        if (n <= 1) /* n >= 1: the first row may start the sum */                                  \
            nrn_resid_##V(1, r, cf, fx, s0, add, sa, x, x0, sc, d, g, dots);                       \
        else                                                                                       \
            NRN_BY_N(nrn_resid_##V, n, r, cf, fx, s0, add, sa, x, x0, sc, d, g, dots);             \
    }

NRN_KERNELS(512, __attribute__((target("avx512f"))), nrn_v8)
NRN_KERNELS(256, __attribute__((target_clones("avx2", "default"))), nrn_v4)

/* The instruction set rng picked (libgcc's CPU flags, which include the OS check for the AVX-512
 * state), so that rng_isa_force also moves these kernels (the benchmarks time the AVX2 path on
 * an AVX-512 CPU); the numbers are the same either way. */
#define NRN_AVX512 (rng_isa() == RNG_ISA_AVX512)

static void nrn_dots(int n, const double *const *r, const double *y, int d, double *out)
{
    if (NRN_AVX512)
        nrn_dots_512(n, r, y, d, out);
    else
        nrn_dots_256(n, r, y, d, out);
}

static void nrn_comb(int n, const double *const *r, const double *cf, double s0, const double *y,
                     int d, double *out)
{
    if (NRN_AVX512)
        nrn_comb_512(n, r, cf, s0, y, d, out);
    else
        nrn_comb_256(n, r, cf, s0, y, d, out);
}

static void nrn_rank2(int n, double *const *gr, const double *al, const double *be, const double *g,
                      const double *x, int d, int set)
{
    if (NRN_AVX512)
        nrn_rank2_512(n, gr, al, be, g, x, d, set);
    else
        nrn_rank2_256(n, gr, al, be, g, x, d, set);
}

static void nrn_rank2s(int n, double *const *gr, const double *const *wr, const double *al,
                       const double *be, const double *g, const double *x, int d, double *sums)
{
    if (NRN_AVX512)
        nrn_rank2s_512(n, gr, wr, al, be, g, x, d, sums);
    else
        nrn_rank2s_256(n, gr, wr, al, be, g, x, d, sums);
}

static void nrn_resid(int n, const double *const *r, const double *cf, int fx, double s0, int add,
                      double sa, const double *x, const double *x0, double sc, int d, double *g,
                      double *dots)
{
    if (NRN_AVX512)
        nrn_resid_512(n, r, cf, fx, s0, add, sa, x, x0, sc, d, g, dots);
    else
        nrn_resid_256(n, r, cf, fx, s0, add, sa, x, x0, sc, d, g, dots);
}

/* Dots of n rows with y, NRN_CHUNK rows per pass. */
static void nrn_dots_all(int n, const double *const *r, const double *y, int d, double *out)
{
    for (int j0 = 0; j0 < n; j0 += NRN_CHUNK)
        nrn_dots(n - j0 < NRN_CHUNK ? n - j0 : NRN_CHUNK, r + j0, y, d, out + j0);
}

/* ---------------------------------------------------------------------------------------------
 * Parameters. */

static double *nrn_a(const model *m)
{
    return m->s.train_a ? m->theta + (size_t)m->s.K * (size_t)m->s.d : NULL;
}

static double nrn_ak(const model *m, const double *a, int k)
{
    return a ? a[k] : m->s.a0;
}

void model_neuron_layout(model *m)
{
    int d = m->s.d, K = m->s.K;
    if (d < 1 || K < 1) LOG_DIE("neuron model needs d >= 1 and K >= 1 (d = %d, K = %d)", d, K);
    m->np = (size_t)K * (size_t)d + (m->s.train_a ? (size_t)K : 0) +
            (m->s.skip == SKIP_TRAINABLE ? 1u : 0u);
    m->n_rows = K;
    m->rows_off = 0;
    m->rows_stride = (size_t)d;
    m->n_sphere = K;
}

static void nrn_init(model *m, uint32_t seed, uint32_t task)
{
    int d = m->s.d, K = m->s.K;
    rng_stream s = rng_stream_make(seed, task, RNG_INIT);
    /* Rows w_k = g/|g|: every overlap ~ N(0, 1/d). */
    model_init_rows(m->theta, K, d, &s, 1.0, MODEL_ROWS_UNIT_SUMSQ);
    double *a = nrn_a(m);
    /* a_k from step K (after the rows): a = 0 makes D start as the skip alone. */
    if (a && m->s.init2 == INIT2_SMALL) {
        rng_normal(&s, (uint64_t)K, 0, (size_t)K, a);
        for (int k = 0; k < K; k++)
            a[k] *= m->s.init2_scale;
    }
    if (m->s.skip == SKIP_TRAINABLE) m->theta[m->np - 1] = m->s.c0;

    nrn_ws *w = LOG_CALLOC(1, sizeof *w);
    size_t bk = (size_t)m->bmax * (size_t)K;
    w->h = LOG_CALLOC(5 * bk, sizeof(double));
    w->f = w->h + bk;
    w->df = w->f + bk;
    w->p = w->df + bk;
    w->wg = w->p + bk;
    w->coef = LOG_CALLOC(2 * (size_t)K + 2, sizeof(double));
    w->dots = w->coef + K;
    w->rows = LOG_CALLOC((size_t)K + 1, sizeof *w->rows);
    m->ws = w;
}

static void nrn_free_ws(model *m)
{
    nrn_ws *w = m->ws;
    if (!w) return;
    free(w->h);
    free(w->coef);
    free(w->rows);
    free(w);
    m->ws = NULL;
}

/* ---------------------------------------------------------------------------------------------
 * One sample at a time (online SGD, small batches). */

static void nrn_set_rows(const model *m, nrn_ws *w)
{
    for (int k = 0; k < m->s.K; k++)
        w->rows[k] = m->theta + (size_t)k * (size_t)m->s.d;
}

static void nrn_forward_one(const model *m, nrn_ws *w, const double *x, double *out, double *h,
                            double *f, double *df)
{
    int d = m->s.d, K = m->s.K;
    const double *a = nrn_a(m);
    nrn_dots_all(K, w->rows, x, d, h);
    act_eval(&m->s.act, K, h, f, df);
    for (int k = 0; k < K; k++)
        w->coef[k] = nrn_ak(m, a, k) * f[k];
    /* The first chunk starts from c x, later ones add onto out. Without a skip (the engine
     * adds a fixed skip itself) it starts from a_0 f_0 w_0 instead: x is not read at all. */
    for (int k0 = 0; k0 < K; k0 += NRN_CHUNK) {
        int n = K - k0 < NRN_CHUNK ? K - k0 : NRN_CHUNK;
        if (k0 > 0)
            nrn_comb(n, w->rows + k0, w->coef + k0, 1.0, out, d, out);
        else if (m->s.skip == SKIP_NONE)
            nrn_comb(n - 1, w->rows + 1, w->coef + 1, w->coef[0], w->rows[0], d, out);
        else
            nrn_comb(n, w->rows, w->coef, model_skip_value(m), x, d, out);
    }
}

/* set: the gradient is written, not added to (the first sample of model_backward_set). */
/* sums (NULL, or with set): the sphere sums of every row, in passes of NRN_SUMS_ROWS rows (12
 * accumulators each: more would spill on AVX2). */
enum { NRN_SUMS_ROWS = 2 };
static void nrn_backward_one(const model *m, nrn_ws *w, const double *x, const double *g,
                             const double *f, const double *df, double *grad, int set, double *sums)
{
    int d = m->s.d, K = m->s.K, train_c = m->s.skip == SKIP_TRAINABLE;
    const double *a = nrn_a(m);
    /* w_k . g for every row and g . x (only for a trainable c) in the same passes over g. */
    w->rows[K] = x;
    if (!w->dots_ready) nrn_dots_all(K + train_c, w->rows, g, d, w->dots);
    w->dots_ready = 0;
    /* row k of the gradient gets al_k g + be_k x, NRN_CHUNK rows per pass over g and x */
    double al[NRN_CHUNK], be[NRN_CHUNK], *gr[NRN_CHUNK];
    int chunk = sums ? NRN_SUMS_ROWS : NRN_CHUNK;
    for (int k0 = 0; k0 < K; k0 += chunk) {
        int n = K - k0 < chunk ? K - k0 : chunk;
        for (int j = 0; j < n; j++) {
            int k = k0 + j;
            double ak = nrn_ak(m, a, k);
            al[j] = ak * f[k];
            be[j] = ak * df[k] * w->dots[k];
            gr[j] = grad + (size_t)k * (size_t)d;
            if (a) {
                double *ga = &grad[(size_t)K * (size_t)d + (size_t)k];
                *ga = (set ? 0.0 : *ga) + f[k] * w->dots[k];
            }
        }
        if (sums)
            nrn_rank2s(n, gr, w->rows + k0, al, be, g, x, d, sums + 3 * k0);
        else
            nrn_rank2(n, gr, al, be, g, x, d, set);
    }
    if (train_c) grad[m->np - 1] = (set ? 0.0 : grad[m->np - 1]) + w->dots[K];
}

/* ---------------------------------------------------------------------------------------------
 * Batches of NRN_BLAS_MIN_B or more (K >= 2): H = X W^T, out = c X + (F o a) W; backward with
 * WG = G W^T: dW = (a o F)^T G + (a o F' o WG)^T X, da_k = sum_b F_bk WG_bk. */

static void nrn_forward_blas(const model *m, nrn_ws *w, int B, const double *x, double *out)
{
    int d = m->s.d, K = m->s.K;
    const double *a = nrn_a(m);
    double c = model_skip_value(m);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, K, d, 1.0, x, d, m->theta, d, 0.0, w->h,
                K);
    act_eval(&m->s.act, B * K, w->h, w->f, w->df);
    for (int b = 0; b < B; b++)
        for (int k = 0; k < K; k++)
            w->p[b * K + k] = nrn_ak(m, a, k) * w->f[b * K + k];
    int skip = m->s.skip != SKIP_NONE;
    if (skip)
        for (size_t i = 0; i < (size_t)B * (size_t)d; i++)
            out[i] = c * x[i];
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, d, K, 1.0, w->p, K, m->theta, d,
                skip ? 1.0 : 0.0, out, d);
}

static void nrn_backward_blas(const model *m, nrn_ws *w, int B, const double *x, const double *g,
                              double *grad, int set)
{
    int d = m->s.d, K = m->s.K;
    const double *a = nrn_a(m);
    double *ga = grad + (size_t)K * (size_t)d;
    if (set) memset(ga, 0, (m->np - (size_t)K * (size_t)d) * sizeof *ga); /* a and c */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, K, d, 1.0, g, d, m->theta, d, 0.0,
                w->wg, K);
    for (int b = 0; b < B; b++)
        for (int k = 0; k < K; k++) {
            int i = b * K + k;
            if (a) ga[k] += w->f[i] * w->wg[i];
            w->p[i] = nrn_ak(m, a, k) * w->f[i];
            w->wg[i] *= nrn_ak(m, a, k) * w->df[i];
        }
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, d, B, 1.0, w->p, K, g, d,
                set ? 0.0 : 1.0, grad, d);
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, d, B, 1.0, w->wg, K, x, d, 1.0, grad,
                d);
    if (m->s.skip == SKIP_TRAINABLE) {
        double gx;
        w->rows[0] = x; /* g . x over the whole batch as one long dot */
        nrn_dots(1, w->rows, g, B * d, &gx);
        grad[m->np - 1] += gx;
    }
}

/* ---------------------------------------------------------------------------------------------
 * The ops table. */

/* Measured (bench-style, d = 100 and 1000): BLAS-3 wins from B = 8 on for K >= 2 (up to 2x at
 * K = 8, 32); for K = 1 the sample kernels are as fast or faster (up to 1.5x at d = 1000). */
static int nrn_use_blas(const model *m, int B)
{
    return B >= NRN_BLAS_MIN_B && m->s.K >= 2;
}

static void nrn_forward(model *m, int B, const double *x, double *out)
{
    nrn_ws *w = m->ws;
    int d = m->s.d, K = m->s.K;
    if (nrn_use_blas(m, B)) {
        nrn_forward_blas(m, w, B, x, out);
        return;
    }
    nrn_set_rows(m, w);
    for (int b = 0; b < B; b++) {
        size_t o = (size_t)b * (size_t)K;
        nrn_forward_one(m, w, x + (size_t)b * (size_t)d, out + (size_t)b * (size_t)d, w->h + o,
                        w->f + o, w->df + o);
    }
}

static void nrn_backward_with(model *m, int B, const double *x, const double *gout, double *grad,
                              int set)
{
    nrn_ws *w = m->ws;
    int d = m->s.d, K = m->s.K;
    if (nrn_use_blas(m, B)) {
        nrn_backward_blas(m, w, B, x, gout, grad, set);
        return;
    }
    nrn_set_rows(m, w);
    for (int b = 0; b < B; b++) {
        size_t o = (size_t)b * (size_t)K, od = (size_t)b * (size_t)d;
        nrn_backward_one(m, w, x + od, gout + od, w->f + o, w->df + o, grad, set && b == 0, NULL);
    }
}

static void nrn_backward(model *m, int B, const double *x, const double *gout, double *grad)
{
    nrn_backward_with(m, B, x, gout, grad, 0);
}

/* Every entry of grad is written by the first sample: no memset before a step. */
static void nrn_backward_set(model *m, int B, const double *x, const double *gout, double *grad)
{
    nrn_backward_with(m, B, x, gout, grad, 1);
}

/* The fused online step (B = 1, K <= NRN_CHUNK): the forward pass's dots and activations, then
 * one pass for D, the residual, gout and the backward dots (kept for backward_set). */
static int nrn_resid1(model *m, const double *x, const double *x0, int add, double sa, double sc,
                      double *gout, double *sumsq)
{
    nrn_ws *w = m->ws;
    int d = m->s.d, K = m->s.K;
    if (K > NRN_CHUNK) return -1;
    nrn_set_rows(m, w);
    const double *a = nrn_a(m);
    nrn_dots_all(K, w->rows, x, d, w->h);
    act_eval(&m->s.act, K, w->h, w->f, w->df);
    for (int k = 0; k < K; k++)
        w->coef[k] = nrn_ak(m, a, k) * w->f[k];
    int fx = m->s.skip != SKIP_NONE;
    nrn_resid(K, w->rows, w->coef, fx, fx ? model_skip_value(m) : 0.0, add, sa, x, x0, sc, d, gout,
              w->dots);
    *sumsq = w->dots[K + 1];
    w->dots_ready = 1;
    return 0;
}

/* One sample's gradient (written) and the sphere sums of its rows, the K rows w_k. */
static int nrn_backward1_sums(model *m, const double *x, const double *gout, double *grad,
                              double *sums)
{
    nrn_ws *w = m->ws;
    nrn_set_rows(m, w);
    nrn_backward_one(m, w, x, gout, w->f, w->df, grad, 1, sums);
    return 0;
}

const model_ops model_neuron_ops = {.resid1 = nrn_resid1,
                                    .backward1_sums = nrn_backward1_sums,
                                    .init = nrn_init,
                                    .forward = nrn_forward,
                                    .backward = nrn_backward,
                                    .backward_set = nrn_backward_set,
                                    .free_ws = nrn_free_ws};
