/* model_neuron_kern — the vector kernels of the neuron family's sample path (model_neuron.c):
 * dots of up to NRN_CHUNK rows, the combine pass, the gradient rows, and the fused passes of the
 * online step. Internal to core/model_neuron.c. */
#include "model_neuron_kern.h"

#include "core/rng.h"

#include <stdint.h>
#include <string.h>

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

void nrn_dots(int n, const double *const *r, const double *y, int d, double *out)
{
    if (NRN_AVX512)
        nrn_dots_512(n, r, y, d, out);
    else
        nrn_dots_256(n, r, y, d, out);
}

void nrn_comb(int n, const double *const *r, const double *cf, double s0, const double *y, int d,
              double *out)
{
    if (NRN_AVX512)
        nrn_comb_512(n, r, cf, s0, y, d, out);
    else
        nrn_comb_256(n, r, cf, s0, y, d, out);
}

void nrn_rank2(int n, double *const *gr, const double *al, const double *be, const double *g,
               const double *x, int d, int set)
{
    if (NRN_AVX512)
        nrn_rank2_512(n, gr, al, be, g, x, d, set);
    else
        nrn_rank2_256(n, gr, al, be, g, x, d, set);
}

int nrn_sums_rows(void)
{
    return NRN_AVX512 ? 2 : 0;
}

void nrn_rank2s(int n, double *const *gr, const double *const *wr, const double *al,
                const double *be, const double *g, const double *x, int d, double *sums)
{
    if (NRN_AVX512)
        nrn_rank2s_512(n, gr, wr, al, be, g, x, d, sums);
    else
        nrn_rank2s_256(n, gr, wr, al, be, g, x, d, sums);
}

void nrn_resid(int n, const double *const *r, const double *cf, int fx, double s0, int add,
               double sa, const double *x, const double *x0, double sc, int d, double *g,
               double *dots)
{
    if (NRN_AVX512)
        nrn_resid_512(n, r, cf, fx, s0, add, sa, x, x0, sc, d, g, dots);
    else
        nrn_resid_256(n, r, cf, fx, s0, add, sa, x, x0, sc, d, g, dots);
}

/* Dots of n rows with y, NRN_CHUNK rows per pass. */
void nrn_dots_all(int n, const double *const *r, const double *y, int d, double *out)
{
    for (int j0 = 0; j0 < n; j0 += NRN_CHUNK)
        nrn_dots(n - j0 < NRN_CHUNK ? n - j0 : NRN_CHUNK, r + j0, y, d, out + j0);
}
