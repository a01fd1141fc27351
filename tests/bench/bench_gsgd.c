/* bench_gsgd — mini-batch SGD of the linear denoiser W x on Gaussian data at d = 1000, B = 64
 * (gaussian-theory.md §2; issue 12, §5), against the rate of one dgemm of the same shape, and
 * the closed forms of the theory per (mode, time).
 *
 * One SGD step (engine_step) = draw the batch (identity basis: B d normals; random basis: also
 * X = Z U^T, one B x d x d dgemm), form x_t, forward Y = X W^T (dgemm), the loss and its
 * gradient, backward dW = G^T X (dgemm), the SGD update (d^2 axpy). Counted flops: 4 B d^2 for
 * the model (+ 2 B d^2 for the random basis). The reference is cblas_dgemm of 64 x 1000 x 1000
 * (2 B d^2 flops) on the same matrices. Best of 3 runs of about 0.3 s each; single core, run
 * with OPENBLAS_NUM_THREADS=1 (make bench does). The basis of the random case is a dense
 * Gaussian matrix: its values do not change the rate. */
#include "bench_blas.h"
#include "core/gdata.h"
#include "core/gtheory.h"
#include "core/rng.h"
#include "engine/engine.h"
#include "spec/spec.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { D = 1000, B = 64 };

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static cfg_t bench_cfg(void)
{
    static cfg_resolved cr;
    cfg_errors err;
    const char *sets[] = {"mcm.d=1000",        "train.batch=64",        "model.family=linear",
                          "model.bias=false",  "diffusion.schedule=ve", "optim.lr_power=0",
                          "optim.delta=0.001", "data.source=gaussian"};
    FILE *f = fopen("/tmp/mcmsim_bench_gsgd.ini", "w");
    fputs("[run]\nseed = 1\n", f);
    fclose(f);
    if (cfg_load("/tmp/mcmsim_bench_gsgd.ini", sets, 8, &cr, &err) != 0) {
        fprintf(stderr, "bench_gsgd: configuration rejected\n");
        exit(1);
    }
    remove("/tmp/mcmsim_bench_gsgd.ini");
    return cr.v;
}

/* Seconds per SGD step, best of 3. */
static double step_seconds(const cfg_t *c, const gdata *g)
{
    spec_train s;
    spec_train_build(&s, c, D, 0);
    engine_data ud = {.d = D, .gauss = g};
    engine e;
    engine_init(&e, &s, 8, &ud);
    double best = INFINITY;
    for (int run = 0; run < 3; run++) {
        long n = 0;
        double t0 = now(), t;
        do {
            engine_step(&e);
            n++;
        } while ((t = now() - t0) < 0.3);
        best = fmin(best, t / n);
    }
    engine_free(&e);
    return best;
}

static double dgemm_seconds(void)
{
    double *X = calloc((size_t)B * D, sizeof(double)), *W = calloc((size_t)D * D, sizeof(double));
    double *Y = calloc((size_t)B * D, sizeof(double)), best = INFINITY;
    rng_stream s = rng_stream_make(1, 0, RNG_TEST);
    rng_normal(&s, 0, 0, (size_t)B * D, X);
    rng_normal(&s, 1, 0, (size_t)D * D, W);
    for (int run = 0; run < 3; run++) {
        long n = 0;
        double t0 = now(), t;
        do {
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, D, D, 1.0, X, D, W, D, 0.0, Y,
                        D);
            n++;
        } while ((t = now() - t0) < 0.3);
        best = fmin(best, t / n);
    }
    free(X), free(W), free(Y);
    return best;
}

/* ns per (mode, time) of a closed form. */
static double closed_ns(int which)
{
    gt_setup st = {.model = GT_ONELAYER, .eta = 1, .sigma_min = 0.002, .sigma_max = 80};
    volatile double sink = 0;
    long n = 0;
    double t0 = now(), t;
    do {
        for (int k = 1; k <= 1000; k++, n++) {
            double lam = 1.0 / k, tau = 0.01 * k;
            sink += which ? gt_gen_var_closed(&st, lam, 0.01, tau) : gt_psi(&st, lam, 0.01, 1, tau);
        }
    } while ((t = now() - t0) < 0.3);
    (void)sink;
    return 1e9 * t / n;
}

int main(void)
{
    bench_blas_banner("bench_gsgd");
    cfg_t c = bench_cfg();
    double *lam = calloc(D, sizeof(double)), *q = calloc(D, sizeof(double));
    double *U = calloc((size_t)D * D, sizeof(double));
    for (int k = 0; k < D; k++)
        lam[k] = 1.0 / (k + 1), q[k] = 0.01;
    rng_stream s = rng_stream_make(2, 0, RNG_TEST);
    rng_normal(&s, 0, 0, (size_t)D * D, U);
    for (size_t i = 0; i < (size_t)D * D; i++)
        U[i] /= sqrt((double)D);
    gdata gi, gr;
    gdata_init(&gi, D, lam, q, 0.0, NULL);
    gdata_init(&gr, D, lam, q, 0.0, U);
    double tg = dgemm_seconds(), ti = step_seconds(&c, &gi), tr = step_seconds(&c, &gr);
    double fg = 2.0 * B * D * D, fi = 4.0 * B * D * D, fr = 6.0 * B * D * D;
    printf("  dgemm %d x %d x %d: %.3f ms, %.2f GFLOP/s\n", B, D, D, 1e3 * tg, 1e-9 * fg / tg);
    printf("  SGD step, identity basis: %.3f ms, %.2f GFLOP/s (model flops 4 B d^2), %.0f %% of "
           "dgemm\n",
           1e3 * ti, 1e-9 * fi / ti, 100 * (fi / ti) / (fg / tg));
    printf("  SGD step, random basis:   %.3f ms, %.2f GFLOP/s (6 B d^2 with the sampling dgemm), "
           "%.0f %% of dgemm\n",
           1e3 * tr, 1e-9 * fr / tr, 100 * (fr / tr) / (fg / tg));
    printf("  closed forms: weight psi_k %.1f ns, generated variance (§3.2, Ei) %.1f ns per (mode, "
           "time)\n",
           closed_ns(0), closed_ns(1));
    gdata_free(&gi), gdata_free(&gr);
    free(lam), free(q), free(U);
    return 0;
}
