/* bench_rng — ns per variate of the fast and the scalar reference paths of rng.
 *
 * For each kind and length: calls are repeated for about 0.3 s, the best of 3 such runs is
 * reported (least disturbed by other load). The step changes between calls so that no call can
 * be skipped or reused. Single core, no MPI. */
#include "core/rng.h"
#include "bench_blas.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef void fill_fn(const rng_stream *s, uint64_t step, size_t n, void *out);

static void normal_fast(const rng_stream *s, uint64_t step, size_t n, void *out)
{
    rng_normal(s, step, 0, n, out);
}
static void normal_ref(const rng_stream *s, uint64_t step, size_t n, void *out)
{
    rng_normal_ref(s, step, 0, n, out);
}
static void uniform_fast(const rng_stream *s, uint64_t step, size_t n, void *out)
{
    rng_uniform(s, step, 0, n, out);
}
static void uniform_ref(const rng_stream *s, uint64_t step, size_t n, void *out)
{
    rng_uniform_ref(s, step, 0, n, out);
}
/* Raw blocks: n counts blocks here. */
static void raw_fast(const rng_stream *s, uint64_t step, size_t n, void *out)
{
    rng_raw4n(s, step, 0, n, out);
}
static void raw_ref(const rng_stream *s, uint64_t step, size_t n, void *out)
{
    uint32_t *w = out;
    for (size_t b = 0; b < n; b++)
        rng_raw4(s, step, (uint32_t)b, w + 4 * b);
}
/* n single-value calls. */
static void normal1_fast(const rng_stream *s, uint64_t step, size_t n, void *out)
{
    double *z = out;
    for (size_t b = 0; b < n; b++)
        z[b] = rng_normal1(s, step, (uint32_t)b);
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Seconds for reps calls of f on n items. */
static double run(fill_fn *f, size_t n, long reps, void *out, uint64_t *step)
{
    rng_stream s = rng_stream_make(12345, 0, RNG_TEST);
    double t0 = now();
    for (long r = 0; r < reps; r++)
        f(&s, (*step)++, n, out);
    return now() - t0;
}

/* Best ns per item over 3 runs of about 0.3 s each. */
static double ns_per_item(fill_fn *f, size_t n, void *out)
{
    uint64_t step = 1;
    long reps = 1;
    double t;
    while ((t = run(f, n, reps, out, &step)) < 0.03)
        reps *= 2;
    reps = (long)((double)reps * 0.3 / t) + 1;
    double best = 1e300;
    for (int k = 0; k < 3; k++) {
        t = run(f, n, reps, out, &step);
        if (t < best) best = t;
    }
    return best * 1e9 / ((double)reps * (double)n);
}

static void row(const char *kind, const char *unit, fill_fn *fast, fill_fn *ref, size_t n,
                void *out)
{
    double tf = ns_per_item(fast, n, out);
    if (ref) {
        double tr = ns_per_item(ref, n, out);
        printf("%-10s %-8s %8zu %10.3f %10.3f %8.1fx\n", kind, unit, n, tf, tr, tr / tf);
    } else {
        printf("%-10s %-8s %8zu %10.3f %10s %9s\n", kind, unit, n, tf, "-", "-");
    }
}

int main(void)
{
    bench_blas_banner("bench_rng");
    const size_t lens[] = {100, 1000, 100000};
    void *out = malloc(100000 * 4 * sizeof(uint32_t)); /* >= 100000 doubles or blocks */
    if (!out) return 1;
    printf("bench_rng: ns per item, best of 3 runs of ~0.3 s, one core\n");
    printf("%-10s %-8s %8s %10s %10s %9s\n", "kind", "item", "n", "fast", "scalar", "speedup");
    for (int i = 0; i < 3; i++)
        row("normal", "double", normal_fast, normal_ref, lens[i], out);
    for (int i = 0; i < 3; i++)
        row("uniform", "double", uniform_fast, uniform_ref, lens[i], out);
    for (int i = 0; i < 3; i++)
        row("philox", "block", raw_fast, raw_ref, lens[i], out);
    row("normal1", "call", normal1_fast, NULL, 1000, out);
    free(out);
    return 0;
}
