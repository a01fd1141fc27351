/* bench_floor: mcmsim's random numbers and training step against a floor program measured in the
 * same run (issue 15).
 *  - Generator floor: xoshiro256+ (Blackman & Vigna; 8 independent lanes in a loop GCC
 *    vectorises, not counter-addressed) giving 52-bit uniforms, then the same Box-Muller
 *    transform as mcmsim (rng_box_muller). mcmsim: rng_normal (Philox4x32-10 keyed by seed, task,
 *    purpose and counter), per instruction-set path.
 *  - Step floor: online DSM step of K tanh neurons at one diffusion time, drawing the same 2d
 *    normals (z and xi) with the floor generator, x0 = z + a u, x_t = alpha x0 + sigma xi, and the
 *    minimal update in plain vectorised passes over d (x0 and x_t; the K dots; the residual;
 *    its K dots; the gradient step with the sphere's sum; the rescale). mcmsim: engine_step of the
 * neuron family, spherical SGD, with the same d and K (it also draws the latents and times and
 * keeps the training loss), and the same step with the fused forward/loss pass switched off
 * (engine.unfused: the same numbers, more passes over memory). One core, best of 3 runs; figures
 * are printed, never asserted. */
#include "base/cfg.h"
#include "bench_blas.h"
#include "core/rng.h"
#include "core/rngv.h"
#include "engine/engine.h"
#include "spec/spec.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { XL = 8 }; /* xoshiro lanes */

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

typedef struct {
    uint64_t s[4][XL];
} xo_t;

static void xo_seed(xo_t *x, uint64_t seed)
{
    for (int j = 0; j < XL; j++)
        for (int i = 0; i < 4; i++) { /* splitmix64 of the seed: any non-zero state works */
            uint64_t z = (seed += 0x9e3779b97f4a7c15u);
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
            x->s[i][j] = z ^ (z >> 31);
        }
}

/* n uniforms (n a multiple of XL) in (0, 1) from xoshiro256+: (x >> 11 + 1/2) 2^-53. The
 * state lives in locals for the loop, so the lanes vectorise. One copy per instruction set, so
 * the floor runs on the path mcmsim is forced to (rng_isa_force) and the ratios compare like
 * with like on AVX2 as on AVX-512. */
#define XO_UNIFORM(NAME, TARGET)                                                                   \
    __attribute__((target(TARGET))) static void NAME(xo_t *x, size_t n, double *restrict u)        \
    {                                                                                              \
        uint64_t s0[XL], s1[XL], s2[XL], s3[XL];                                                   \
        memcpy(s0, x->s[0], sizeof s0), memcpy(s1, x->s[1], sizeof s1);                            \
        memcpy(s2, x->s[2], sizeof s2), memcpy(s3, x->s[3], sizeof s3);                            \
        for (size_t k = 0; k < n; k += XL)                                                         \
            for (int j = 0; j < XL; j++) {                                                         \
                uint64_t r = s0[j] + s3[j], t = s1[j] << 17;                                       \
                s2[j] ^= s0[j], s3[j] ^= s1[j], s1[j] ^= s2[j], s0[j] ^= s3[j], s2[j] ^= t;        \
                s3[j] = (s3[j] << 45) | (s3[j] >> 19);                                             \
                uint64_t b = 0x4330000000000000u | (r >> 12); /* exact 52-bit integer */           \
                double v;                                                                          \
                memcpy(&v, &b, sizeof v);                                                          \
                u[k + (size_t)j] = ((v - 0x1p52) + 0.5) * 0x1p-52;                                 \
            }                                                                                      \
        memcpy(x->s[0], s0, sizeof s0), memcpy(x->s[1], s1, sizeof s1);                            \
        memcpy(x->s[2], s2, sizeof s2), memcpy(x->s[3], s3, sizeof s3);                            \
    }
XO_UNIFORM(xo_uniform_sse2, "sse2")
XO_UNIFORM(xo_uniform_avx2, "avx2")
XO_UNIFORM(xo_uniform_avx512, "avx512f")

static void xo_uniform(xo_t *x, size_t n, double *restrict u)
{
    switch (rng_isa()) {
    case RNG_ISA_AVX512:
        xo_uniform_avx512(x, n, u);
        break;
    case RNG_ISA_AVX2:
        xo_uniform_avx2(x, n, u);
        break;
    default:
        xo_uniform_sse2(x, n, u);
    }
}

/* 2n normals from the floor generator (u is scratch of 2n). */
static void xo_normal(xo_t *x, size_t n, double *u, double *out)
{
    xo_uniform(x, 2 * n, u);
    rng_box_muller(u, u + n, n, out);
}

static double bench_normals_floor(size_t n)
{
    xo_t x;
    xo_seed(&x, 1);
    double *u = aligned_alloc(64, 2 * n * sizeof *u), *z = aligned_alloc(64, 2 * n * sizeof *z);
    double best = 1e30;
    for (int rep = 0; rep < 3; rep++) {
        long it = 0;
        double t0 = now(), t;
        do
            xo_normal(&x, n, u, z), it++;
        while ((t = now() - t0) < 0.3);
        best = fmin(best, t / ((double)it * 2.0 * (double)n));
    }
    free(u), free(z);
    return best * 1e9;
}

/* mcmsim's normals: Philox blocks (rng_normal at block 0) or the vector streams of the training
 * step (core/rngv.h), one request of n per counter. */
static void draw_blocks(const rng_stream *s, uint64_t c, size_t n, double *z)
{
    rng_normal(s, c, 0, n, z);
}

static double bench_normals_mcmsim(size_t n,
                                   void (*draw)(const rng_stream *, uint64_t, size_t, double *))
{
    rng_stream s = rng_stream_make(1, 2, RNG_BULK);
    double *z = aligned_alloc(64, n * sizeof *z), best = 1e30;
    for (int rep = 0; rep < 3; rep++) {
        long it = 0;
        double t0 = now(), t;
        do
            draw(&s, (uint64_t)it, n, z), it++;
        while ((t = now() - t0) < 0.3);
        best = fmin(best, t / ((double)it * (double)n));
    }
    free(z);
    return best * 1e9;
}

/* The floor step: K rows w[k][d] on the sphere, skip alpha, amplitude 1. */
typedef struct {
    int d, K;
    double *w, *z, *xi, *u, *x0, *xt, *r, *scr, eta, alpha, sigma;
    xo_t gen;
} floor_t;

static inline double dot(const double *restrict a, const double *restrict b, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

/* Loops over i innermost, each a plain vectorisable loop (reductions need the hot flags'
 * -fassociative-math, as mcmsim's kernels use). */
#define FLOOR_STEP(NAME, ATTR)                                                                     \
    ATTR static void NAME(floor_t *f)                                                              \
    {                                                                                              \
        int d = f->d, K = f->K;                                                                    \
        double h[64], hp[64], rd[64];                                                              \
        double *restrict x0 = f->x0, *restrict xt = f->xt, *restrict r = f->r;                     \
        const double *restrict z = f->z, *restrict xi = f->xi, *restrict u = f->u;                 \
        xo_normal(&f->gen, (size_t)d, f->scr, f->z);   /* z and xi: 2d normals */                  \
        double a = z[0], al = f->alpha, sg = f->sigma; /* a latent-like coefficient */             \
        for (int i = 0; i < d; i++) {                  /* x0 and x_t */                            \
            x0[i] = z[i] + a * u[i];                                                               \
            xt[i] = al * x0[i] + sg * xi[i];                                                       \
        }                                                                                          \
        for (int k = 0; k < K; k++) { /* pre-activations */                                        \
            h[k] = tanh(dot(&f->w[(size_t)k * (size_t)d], xt, d));                                 \
            hp[k] = 1 - h[k] * h[k];                                                               \
        }                                                                                          \
        for (int i = 0; i < d; i++) /* residual x0 - D(x_t) */                                     \
            r[i] = x0[i] - al * xt[i];                                                             \
        for (int k = 0; k < K; k++) {                                                              \
            const double *restrict wk = &f->w[(size_t)k * (size_t)d];                              \
            for (int i = 0; i < d; i++)                                                            \
                r[i] -= h[k] * wk[i];                                                              \
        }                                                                                          \
        for (int k = 0; k < K; k++) /* gradient step, then back to the sphere */                   \
            rd[k] = dot(&f->w[(size_t)k * (size_t)d], r, d);                                       \
        for (int k = 0; k < K; k++) {                                                              \
            double *restrict wk = &f->w[(size_t)k * (size_t)d], c1 = f->eta * h[k],                \
                             c2 = f->eta * hp[k] * rd[k], g2 = 0;                                  \
            for (int i = 0; i < d; i++) {                                                          \
                wk[i] += c1 * r[i] + c2 * xt[i];                                                   \
                g2 += wk[i] * wk[i];                                                               \
            }                                                                                      \
            double sc = 1 / sqrt(g2);                                                              \
            for (int i = 0; i < d; i++)                                                            \
                wk[i] *= sc;                                                                       \
        }                                                                                          \
    }

/* One copy per vector path, picked like mcmsim's kernels (rng_isa, which the benchmark forces),
 * so the two columns compare like with like. */
FLOOR_STEP(floor_step_sse2, )
FLOOR_STEP(floor_step_avx2, __attribute__((target("avx2"))))
FLOOR_STEP(floor_step_avx512, __attribute__((target("avx512f"))))

static void floor_step(floor_t *f)
{
    int isa = rng_isa();
    (isa == RNG_ISA_AVX512 ? floor_step_avx512
     : isa == RNG_ISA_AVX2 ? floor_step_avx2
                           : floor_step_sse2)(f);
}

static double bench_step_floor(int d, int K)
{
    floor_t f = {.d = d, .K = K, .eta = 0.5 / d, .alpha = 0.9, .sigma = 0.44};
    size_t D = (size_t)d;
    f.w = calloc((size_t)K * D, sizeof(double));
    f.z = aligned_alloc(64, 2 * D * sizeof(double) + 64);
    f.xi = f.z + D;
    f.scr = aligned_alloc(64, 2 * D * sizeof(double) + 64);
    f.u = calloc(D, sizeof(double)), f.x0 = calloc(D, sizeof(double));
    f.xt = calloc(D, sizeof(double)), f.r = calloc(D, sizeof(double));
    f.u[0] = 1;
    for (size_t i = 0; i < (size_t)K * D; i++)
        f.w[i] = 1 / sqrt((double)d);
    xo_seed(&f.gen, 3);
    double best = 1e30;
    for (int rep = 0; rep < 3; rep++) {
        long it = 0;
        double t0 = now(), t;
        do
            floor_step(&f), it++;
        while ((t = now() - t0) < 0.3);
        best = fmin(best, t / (double)it);
    }
    free(f.w), free(f.z), free(f.scr), free(f.u), free(f.x0), free(f.xt), free(f.r);
    return best * 1e6;
}

static double bench_step_mcmsim(int d, int K, int unfused)
{
    char path[] = "/tmp/bench_floorXXXXXX";
    FILE *fp = fdopen(mkstemp(path), "w");
    fprintf(fp, "[mcm]\nd = %d\n[model]\nfamily = neuron\nK = %d\n[optim]\nkind = spherical\n", d,
            K);
    fclose(fp);
    static cfg_resolved cr;
    cfg_errors err;
    if (cfg_load(path, NULL, 0, &cr, &err)) {
        fprintf(stderr, "bench_floor: %s\n", err.msg[0]);
        exit(1);
    }
    remove(path);
    spec_train s;
    spec_train_build(&s, &cr.v, d, 1);
    double best = 1e30;
    for (int rep = 0; rep < 3; rep++) {
        engine e;
        engine_init(&e, &s, 1, NULL);
        e.unfused = unfused;
        long it = 0;
        double t0 = now(), t;
        do
            engine_step(&e), it++;
        while ((t = now() - t0) < 0.3);
        best = fmin(best, t / (double)it);
        engine_free(&e);
    }
    return best * 1e6;
}

int main(void)
{
    bench_blas_banner("bench_floor");
    printf("bench_floor: one core, best of 3 runs of ~0.3 s\n");
    printf("normals, ns each (n = 1000 per request), floor = xoshiro256+ and the same "
           "Box-Muller, both on the path named:\n");
    for (int isa = RNG_ISA_SSE2; isa <= RNG_ISA_AVX512; isa++) {
        if (rng_isa_force(isa) != 0) continue;
        double fl = bench_normals_floor(1000), m = bench_normals_mcmsim(1000, draw_blocks),
               v = bench_normals_mcmsim(1000, rngv_normal_at);
        printf("  %-7s path: floor %.3f ns; mcmsim vectors (rngv) %.3f ns (%.2fx the floor), "
               "Philox blocks (rng_normal) %.3f ns (%.2fx)\n",
               rng_isa_name(isa), fl, v, v / fl, m, m / fl);
    }
    /* The step on each vector path (forced: rng and the neuron kernels follow it; the optimiser
     * and loss clones keep the CPU's own). */
    for (int isa = RNG_ISA_AVX2; isa <= RNG_ISA_AVX512; isa++) {
        if (rng_isa_force(isa) != 0) continue;
        printf("training step (neuron, spherical online SGD), us/step; mcmsim on the %s path:\n",
               rng_isa_name(isa));
        printf("%7s %3s %12s %12s %8s %12s %9s\n", "d", "K", "floor", "mcmsim", "ratio", "unfused",
               "fused/un");
        const int ds[] = {100, 1000, 1000, 1000}, ks[] = {2, 1, 2, 8};
        for (int i = 0; i < 4; i++) {
            double a = bench_step_floor(ds[i], ks[i]), b = bench_step_mcmsim(ds[i], ks[i], 0),
                   u = bench_step_mcmsim(ds[i], ks[i], 1);
            printf("%7d %3d %12.3f %12.3f %7.2fx %12.3f %8.2fx\n", ds[i], ks[i], a, b, b / a, u,
                   b / u);
        }
    }
    rng_isa_force(-1);
    return 0;
}
