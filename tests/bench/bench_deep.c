/* bench_deep — forward + backward of the MLP (D) and the linear denoisers (E), one core.
 *
 * For each shape: forward then backward on one batch (as a training step, without the loss
 * and the optimiser) is repeated for about 0.3 s; the best of 3 runs is reported as steps/s,
 * microseconds per sample and GFLOP/s (multiply-adds of the matrix products counted as 2;
 * activations and bias sums are not counted). `make bench` sets OPENBLAS_NUM_THREADS=1; the
 * header line names the OpenBLAS kernel in use. */
#include "core/model.h"
#include "core/rng.h"
#include "bench_blas.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef struct {
    model m;
    int B;
    double *x, *gout, *out, *grad;
} bench_case;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Matrix-product flops of one forward + backward. */
static double flops(const model_spec *s, int B)
{
    double d = s->d, h = s->K, f = 0;
    switch (s->family) {
    case MODEL_MLP: {
        double w = 2 * d * h + (s->L - 2) * h * h; /* weights */
        f = 2 * w + 2 * w + 2 * (w - h * d);       /* forward, weight grads, input deltas */
        break;
    }
    case MODEL_LINEAR:
        f = 2 * d * d + 2 * d * d;
        break;
    case MODEL_SYMLINEAR:
        f = 4 * d * h + 6 * d * h;
        break;
    case MODEL_NEURON:
    case MODEL_TWOLAYER:
        break;
    }
    return f * B;
}

static void case_init(bench_case *c, const model_spec *s, int B)
{
    c->B = B;
    model_init(&c->m, s, 1, 0, B);
    size_t n = (size_t)B * (size_t)s->d;
    c->x = malloc(n * sizeof(double));
    c->gout = malloc(n * sizeof(double));
    c->out = malloc(n * sizeof(double));
    c->grad = calloc(c->m.np, sizeof(double));
    if (!c->x || !c->gout || !c->out || !c->grad) exit(1);
    rng_stream rs = rng_stream_make(12345, 0, RNG_TEST);
    rng_normal(&rs, 0, 0, n, c->x);
    rng_normal(&rs, 1, 0, n, c->gout);
    for (size_t i = 0; i < n; i++)
        c->gout[i] *= 1e-3; /* keeps the accumulated gradient finite over many reps */
}

static void case_free(bench_case *c)
{
    model_free(&c->m);
    free(c->x);
    free(c->gout);
    free(c->out);
    free(c->grad);
}

static double run(bench_case *c, long reps)
{
    double t0 = now();
    for (long r = 0; r < reps; r++) {
        model_forward(&c->m, c->B, c->x, c->out);
        model_backward(&c->m, c->B, c->x, c->gout, c->grad);
    }
    return now() - t0;
}

/* Best seconds per step over 3 runs of about 0.3 s. */
static double sec_per_step(bench_case *c)
{
    long reps = 1;
    double t;
    while ((t = run(c, reps)) < 0.03)
        reps *= 2;
    reps = (long)((double)reps * 0.3 / t) + 1;
    double best = 1e300;
    for (int k = 0; k < 3; k++) {
        t = run(c, reps);
        if (t < best) best = t;
    }
    return best / (double)reps;
}

static void row(const char *name, const model_spec *s, int B)
{
    bench_case c;
    case_init(&c, s, B);
    double t = sec_per_step(&c);
    printf("%-10s %6d %4d %3d %4d %12.0f %12.3f %9.2f\n", name, s->d, s->K, s->L, B, 1.0 / t,
           1e6 * t / B, flops(s, B) / t * 1e-9);
    case_free(&c);
}

int main(void)
{
    bench_blas_banner("bench_deep");
    printf("bench_deep: forward + backward per batch, best of 3 runs of ~0.3 s, one core\n");
    printf("%-10s %6s %4s %3s %4s %12s %12s %9s\n", "model", "d", "H/h", "L", "B", "steps/s",
           "us/sample", "GFLOP/s");
    model_spec mlp = {.family = MODEL_MLP,
                      .K = 64,
                      .L = 3,
                      .skip = SKIP_FIXED,
                      .c0 = 0.5,
                      .init2 = INIT2_SMALL,
                      .init2_scale = 0.1,
                      .bias = 1,
                      .act = act_make(ACT_TANH, 1.0, 0, 0, 0, 0, 0)};
    const int dm[] = {100, 1000}, dl[] = {100, 400}, Bs[] = {1, 64};
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) {
            mlp.d = dm[i];
            row("mlp", &mlp, Bs[j]);
        }
    model_spec lin = {.family = MODEL_LINEAR, .bias = 1, .init2 = INIT2_SMALL, .init2_scale = 0.1};
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) {
            lin.d = dl[i];
            row("linear", &lin, Bs[j]);
        }
    model_spec sym = {.family = MODEL_SYMLINEAR, .K = 16, .init2_scale = 0.1};
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) {
            sym.d = dl[i];
            row("symlinear", &sym, Bs[j]);
        }
    return 0;
}
