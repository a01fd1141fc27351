/* bench_reduced: microseconds per training step of the reduced engine (core/reduced.h) for the
 * neuron family K = 1, 2, 4 at d = 100 ... 10^5 (the cost must not depend on d), a mini-batch and
 * a two-layer case, and the ratio to the direct engine's step (engine_step, no observers) at
 * d = 1000 and 10^4, measured in the same run. One core, best of 3 runs of about 0.3 s. */
#include "base/cfg.h"
#include "core/reduced.h"
#include "engine/engine.h"
#include "spec/spec.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static spec_train spec_of(const char *ini, int d)
{
    char path[] = "/tmp/bench_reducedXXXXXX";
    FILE *f = fdopen(mkstemp(path), "w");
    fprintf(f, "[mcm]\nd = %d\n%s\n", d, ini);
    fclose(f);
    static cfg_resolved cr;
    cfg_errors err;
    if (cfg_load(path, NULL, 0, &cr, &err)) {
        fprintf(stderr, "bench_reduced: %s\n", err.msg[0]);
        exit(1);
    }
    remove(path);
    spec_train s;
    spec_train_build(&s, &cr.v, d, 1);
    return s;
}

static reduced_spec rspec_of(const spec_train *s)
{
    reduced_spec r = {.seed = s->seed,
                      .task = s->task,
                      .d = s->d,
                      .mcm = s->mcm,
                      .sch = s->sch,
                      .times = s->times,
                      .loss = s->loss,
                      .model = s->model,
                      .fixed_skip = s->fixed_skip,
                      .batch = s->batch,
                      .optim = s->optim};
    return r;
}

/* Seconds per step of `steps` steps, best of 3 (direct: engine_step, else reduced_step). */
static double per_step(const spec_train *s, int direct, long steps)
{
    double best = 1e30, sink = 0;
    for (int rep = 0; rep < 3; rep++) {
        engine e;
        reduced r;
        reduced_spec rs = rspec_of(s);
        if (direct)
            engine_init(&e, s, 1, NULL);
        else
            reduced_init(&r, &rs);
        double t0 = now();
        for (long i = 0; i < steps; i++)
            direct ? engine_step(&e) : reduced_step(&r);
        double dt = (now() - t0) / (double)steps;
        best = dt < best ? dt : best;
        if (direct) {
            sink += engine_take_loss(&e);
            engine_free(&e);
        } else {
            sink += reduced_take_loss(&r);
            reduced_free(&r);
        }
    }
    if (sink != sink) printf("(a loss was NaN)\n");
    return best;
}

/* Steps for about 0.3 s at `us` microseconds per step. */
static long steps_for(double us)
{
    long n = (long)(0.3e6 / us);
    return n < 100 ? 100 : n;
}

int main(void)
{
    printf("bench_reduced: one core, best of 3 runs of ~0.3 s; us/step\n");
    printf("%-34s %10s %10s %10s %10s\n", "case", "d=100", "d=1000", "d=10^4", "d=10^5");
    const char *cases[][2] = {
        {"neuron K=1 spherical B=1", "[model]\nK = 1"},
        {"neuron K=2 spherical B=1", "[model]\nK = 2"},
        {"neuron K=4 spherical B=1", "[model]\nK = 4"},
        {"neuron K=2 spherical B=8", "[model]\nK = 2\n[train]\nbatch = 8"},
        {"twolayer K=2 bias sgd B=1", "[model]\nfamily = twolayer\nK = 2\n[optim]\nkind = sgd"},
    };
    int nc = (int)(sizeof cases / sizeof cases[0]);
    double red[8][4];
    for (int c = 0; c < nc; c++) {
        printf("%-34s", cases[c][0]);
        int d = 100;
        for (int j = 0; j < 4; j++, d *= 10) {
            spec_train s = spec_of(cases[c][1], d);
            double us = per_step(&s, 0, 2000) * 1e6;
            red[c][j] = per_step(&s, 0, steps_for(us)) * 1e6;
            printf(" %10.4f", red[c][j]);
            fflush(stdout);
        }
        printf("\n");
    }
    printf("direct engine (engine_step, no observers) and the ratio direct / reduced:\n");
    for (int c = 0; c < 3; c++) {
        printf("%-34s", cases[c][0]);
        for (int j = 1; j <= 2; j++) {
            int d = j == 1 ? 1000 : 10000;
            spec_train s = spec_of(cases[c][1], d);
            double us = per_step(&s, 1, 200) * 1e6;
            us = per_step(&s, 1, steps_for(us)) * 1e6;
            printf("  d=%-6d %9.3f us  x%-8.0f", d, us, us / red[c][j]);
            fflush(stdout);
        }
        printf("\n");
    }
    return 0;
}
