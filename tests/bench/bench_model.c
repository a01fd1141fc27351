/* bench_model — ns per forward + loss + backward of the neuron (A, B) and two-layer (C)
 * denoisers, per sample.
 *
 * One step = zero the gradient, model_forward, loss_eval (with gout), model_backward: the part
 * of an SGD step that the model owns (sampling and the optimiser update are benchmarked
 * elsewhere). Inputs cycle through NX fixed batches so no call sees the previous one's data in
 * the same place. Steps are repeated for about 0.2 s; the best of 3 runs is reported.
 * Single core, no MPI; run with OPENBLAS_NUM_THREADS=1 (make bench does). */
#include "core/loss.h"
#include "core/model.h"
#include "core/rng.h"
#include "bench_blas.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { NX = 4 };

typedef struct {
    model m;
    int B;
    double *x, *x0, *out, *gout, *grad;
} bench_case;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* 64-byte aligned (d = 100, 1000 keep every row aligned): vector stores that split cache lines
 * cost up to ~40% of the step. theta keeps the alignment model.c gives it (printed). */
static double *bench_alloc(size_t n)
{
    size_t bytes = (n * sizeof(double) + 63) / 64 * 64;
    return aligned_alloc(64, bytes);
}

/* align_theta: swap model.c's theta for a 64-byte aligned copy (model_free's free() accepts
 * aligned_alloc memory), to show what aligned parameter storage would gain. */
static void bench_setup(bench_case *c, model_family fam, int d, int K, int B, int align_theta)
{
    model_spec s = {.family = fam,
                    .d = d,
                    .K = K,
                    .act = act_make(ACT_TANH, 1.0, 0, 0, 0, 0, 0),
                    .skip = SKIP_NONE,
                    .c0 = 0.8,
                    .train_a = 0,
                    .a0 = 1.0,
                    .init2 = INIT2_SMALL,
                    .init2_scale = 0.1,
                    .bias = 1};
    model_init(&c->m, &s, 1, 0, B);
    if (align_theta) {
        double *t = bench_alloc(c->m.np);
        memcpy(t, c->m.theta, c->m.np * sizeof(double));
        free(c->m.theta);
        c->m.theta = t;
    }
    c->B = B;
    size_t n = (size_t)NX * (size_t)B * (size_t)d;
    c->x = bench_alloc(n);
    c->x0 = bench_alloc(n);
    c->out = bench_alloc((size_t)B * (size_t)d);
    c->gout = bench_alloc((size_t)B * (size_t)d);
    c->grad = bench_alloc(c->m.np);
    rng_stream r = rng_stream_make(99, 0, RNG_TEST);
    rng_normal(&r, 0, 0, n, c->x);
    rng_normal(&r, 1, 0, n, c->x0);
}

static void bench_free(bench_case *c)
{
    model_free(&c->m);
    free(c->x);
    free(c->x0);
    free(c->out);
    free(c->gout);
    free(c->grad);
}

/* Seconds for reps steps; the loss sum keeps the work observable. */
static double bench_run(bench_case *c, long reps, double *sink)
{
    size_t bd = (size_t)c->B * (size_t)c->m.s.d;
    double t0 = now(), acc = 0;
    for (long r = 0; r < reps; r++) {
        const double *x = c->x + (size_t)(r % NX) * bd, *x0 = c->x0 + (size_t)(r % NX) * bd;
        memset(c->grad, 0, c->m.np * sizeof(double));
        model_forward(&c->m, c->B, x, c->out);
        acc += loss_eval(c->B, c->m.s.d, NULL, x0, c->out, c->gout);
        model_backward(&c->m, c->B, x, c->gout, c->grad);
    }
    double t = now() - t0;
    *sink += acc + c->grad[0];
    return t;
}

/* Best ns per sample over 3 runs of about 0.2 s. */
static double bench_ns(bench_case *c, double *sink)
{
    long reps = 1;
    double t;
    while ((t = bench_run(c, reps, sink)) < 0.02)
        reps *= 2;
    reps = (long)((double)reps * 0.2 / t) + 1;
    double best = 1e300;
    for (int k = 0; k < 3; k++) {
        t = bench_run(c, reps, sink);
        if (t < best) best = t;
    }
    return best * 1e9 / ((double)reps * (double)c->B);
}

static void bench_print(const char *name, model_family fam, int d, int K, int B, int align_theta,
                        double *sink)
{
    bench_case c;
    bench_setup(&c, fam, d, K, B, align_theta);
    printf("  %-9s d=%5d K=%2d B=%3d  %9.1f ns per sample  (theta %% 64 = %d)\n", name, d, K, B,
           bench_ns(&c, sink), (int)((uintptr_t)c.m.theta % 64));
    bench_free(&c);
}

int main(void)
{
    bench_blas_banner("bench_model");
    double sink = 0;
    printf("bench_model: zero grad + forward + loss_eval + backward, tanh, no skip in the model "
           "(the engine adds a fixed skip itself)\n");
    const int ds[] = {100, 1000}, Ks[] = {1, 2, 8};
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < 3; k++)
            bench_print("neuron", MODEL_NEURON, ds[i], Ks[k], 1, 0, &sink);
    bench_print("neuron", MODEL_NEURON, 1000, 2, 64, 0, &sink);
    bench_print("twolayer", MODEL_TWOLAYER, 1000, 8, 1, 0, &sink);
    bench_print("twolayer", MODEL_TWOLAYER, 1000, 8, 64, 0, &sink);
    printf(" theta copied to 64-byte aligned storage:\n");
    for (int k = 0; k < 3; k++)
        bench_print("neuron", MODEL_NEURON, 1000, Ks[k], 1, 1, &sink);
    if (sink == 12345.678) printf("%g\n", sink); /* keeps the results live */
    return 0;
}
