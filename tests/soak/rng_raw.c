/* rng_raw: writes mcmsim's raw Philox words to stdout, in the order a run consumes them, for
 * statistical batteries reading raw 32-bit words (dieharder -g 200; tests/soak/rng_dieharder.sh).
 *   rng_raw blocks SEED TASK PURPOSE BLOCKS   per step 0, 1, ...: blocks 0..BLOCKS-1 of one stream
 *                                             (a d-vector request: BLOCKS = d/2)
 *   rng_raw tasks  SEED TASKS PURPOSE         per step: block 0 of tasks 0..TASKS-1 in turn (the
 *                                             streams of neighbouring replicas interleaved)
 *   rng_raw vec    SEED TASK PURPOSE N        the vectors of core/rngv.h at counters 0, 1, ...:
 *                                             the first N 64-bit generator outputs of each
 * Runs until the reader closes the pipe. */
#include "core/rng.h"
#include "core/rngv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CHUNK = 4096 }; /* blocks per write */

static int put(const uint32_t *w, size_t n)
{
    return fwrite(w, sizeof *w, n, stdout) == n ? 0 : -1;
}

static void blocks(uint32_t seed, uint64_t task, rng_purpose p, uint32_t nb)
{
    rng_stream s = rng_stream_make(seed, task, p);
    uint32_t *w = malloc(4 * (size_t)nb * sizeof *w);
    for (uint64_t step = 0; w; step++) {
        rng_raw4n(&s, step, 0, nb, w);
        if (put(w, 4 * (size_t)nb)) break;
    }
    free(w);
}

static void tasks(uint32_t seed, uint64_t ntask, rng_purpose p)
{
    rng_stream *s = malloc(ntask * sizeof *s);
    uint32_t w[4 * CHUNK];
    for (uint64_t t = 0; s && t < ntask; t++)
        s[t] = rng_stream_make(seed, t, p);
    for (uint64_t step = 0, k = 0; s; step++)
        for (uint64_t t = 0; t < ntask; t++) {
            rng_raw4(&s[t], step, 0, &w[4 * k]);
            if (++k == CHUNK) {
                if (put(w, 4 * (size_t)CHUNK)) goto done;
                k = 0;
            }
        }
done:
    free(s);
}

static void vec(uint32_t seed, uint64_t task, rng_purpose p, size_t n)
{
    rng_stream s = rng_stream_make(seed, task, p);
    uint64_t *x = malloc(n * sizeof *x);
    for (uint64_t c = 0; x; c++) {
        rngv v;
        rngv_start(&v, &s, c);
        rngv_raw(&v, n, x);
        if (put((const uint32_t *)x, 2 * n)) break;
    }
    free(x);
}

int main(int argc, char **argv)
{
    if (argc == 6 && !strcmp(argv[1], "blocks"))
        blocks((uint32_t)strtoul(argv[2], NULL, 0), strtoull(argv[3], NULL, 0),
               (rng_purpose)atoi(argv[4]), (uint32_t)strtoul(argv[5], NULL, 0));
    else if (argc == 5 && !strcmp(argv[1], "tasks"))
        tasks((uint32_t)strtoul(argv[2], NULL, 0), strtoull(argv[3], NULL, 0),
              (rng_purpose)atoi(argv[4]));
    else if (argc == 6 && !strcmp(argv[1], "vec"))
        vec((uint32_t)strtoul(argv[2], NULL, 0), strtoull(argv[3], NULL, 0),
            (rng_purpose)atoi(argv[4]), (size_t)strtoul(argv[5], NULL, 0));
    else {
        fprintf(
            stderr,
            "usage: rng_raw blocks SEED TASK PURPOSE BLOCKS | tasks SEED TASKS PURPOSE | vec SEED "
            "TASK PURPOSE N\n");
        return 2;
    }
    return 0;
}
