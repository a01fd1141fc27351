/* bench_mcm — cost of one MCM sample x_0, and of x_0 plus the forward step x_t, at d = 100 and
 * d = 1000 (best of 3 repetitions of ~0.3 s each). Prints ns per sample and per element. */
#include "core/diffusion.h"
#include "core/mcm.h"
#include "bench_blas.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { BLOCK = 64, REPS = 3 };

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Keeps the compiler from dropping the samples. */
static volatile double sink;

/* Samples in blocks until ~0.3 s passed; returns ns per sample. */
static double run_once(const mcm_model *mod, int forward, double *X, uint64_t *index)
{
    const size_t d = (size_t)mod->p.d;
    double alpha, sigma;
    diff_schedule ou = {.kind = DIFF_OU};
    diff_coeffs(&ou, 0.5, &alpha, &sigma);
    double t0 = now(), t;
    size_t n = 0;
    do {
        mcm_sample_block(mod, 1, 0, *index, BLOCK, X, NULL, NULL, NULL);
        if (forward)
            for (size_t k = 0; k < BLOCK; k++)
                diff_forward(alpha, sigma, 1, 0, *index + k, d, X + k * d, X + k * d);
        sink += X[0];
        *index += BLOCK;
        n += BLOCK;
        t = now() - t0;
    } while (t < 0.3);
    return 1e9 * t / (double)n;
}

/* Reference: the d bulk normals alone, the floor of any sample (ns per sample). */
static double bench_normals(int d)
{
    double *z = malloc((size_t)d * sizeof(double)), best = 1e300;
    rng_stream s = rng_stream_make(1, 0, RNG_BULK);
    uint64_t index = 0;
    for (int r = 0; r < REPS; r++) {
        double t0 = now(), t;
        size_t n = 0;
        do {
            for (int k = 0; k < BLOCK; k++)
                rng_normal(&s, index++, 0, (size_t)d, z);
            sink += z[0];
            n += BLOCK;
            t = now() - t0;
        } while (t < 0.3);
        if (1e9 * t / (double)n < best) best = 1e9 * t / (double)n;
    }
    free(z);
    return best;
}

static void bench(int d, int forward)
{
    mcm_params p = {.d = d,
                    .beta_m = 1.0,
                    .beta_u = 5.0,
                    .beta_v = 5.0,
                    .nu_law = MCM_NU_RADEMACHER,
                    .coupling = MCM_COUPLE_INDEPENDENT,
                    .whitening = MCM_WHITEN_SPIKE,
                    .spikes = MCM_SPIKES_QR,
                    .mixture = MCM_MIX_NONE,
                    .mean_term = MCM_MEAN_PLAIN};
    mcm_model mod;
    mcm_init(&mod, &p, 1, 0);
    double *X = malloc((size_t)BLOCK * (size_t)d * sizeof(double));
    uint64_t index = 0;
    double best = 1e300;
    for (int r = 0; r < REPS; r++) {
        double ns = run_once(&mod, forward, X, &index);
        if (ns < best) best = ns;
    }
    printf("mcm %-12s d = %4d: %9.1f ns/sample  %6.2f ns/element\n", forward ? "x0 + x_t" : "x0", d,
           best, best / d);
    free(X);
    mcm_free(&mod);
}

int main(void)
{
    bench_blas_banner("bench_mcm");
    const int dims[2] = {100, 1000};
    for (int k = 0; k < 2; k++) {
        double ns = bench_normals(dims[k]);
        printf("rng_normal   d = %4d: %9.1f ns/sample  %6.2f ns/element (floor)\n", dims[k], ns,
               ns / dims[k]);
        bench(dims[k], 0);
        bench(dims[k], 1);
    }
    return 0;
}
