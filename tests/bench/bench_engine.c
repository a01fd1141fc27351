/* bench_engine: microseconds per full training step (sampling x0 and xi, forward, loss,
 * backward, optimiser, observers at their default cadence) for the model families. */
#include "base/cfg.h"
#include "engine/engine.h"
#include "base/log.h"
#include "engine/observe.h"
#include "parallel/par.h"
#include "parallel/h5chk.h"
#include "spec/spec.h"
#include "bench_blas.h"

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Steps per second of the configuration `ini` (extra keys) at dimension d. */
static void bench(const char *label, const char *ini, int d, long steps)
{
    char path[] = "/tmp/bench_engineXXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "[mcm]\nd = %d\n%s\n", d, ini);
    fclose(f);
    static cfg_resolved cr;
    cfg_errors err;
    if (cfg_load(path, NULL, 0, &cr, &err)) {
        fprintf(stderr, "%s: %s\n", label, err.msg[0]);
        exit(1);
    }
    remove(path);
    double best = 1e30;
    for (int rep = 0; rep < 3; rep++) {
        engine e;
        observer o;
        cfg_t c = cr.v;
        c.train.steps_alpha = (double)steps / d;
        c.train.steps_power = 1;
        spec_train s;
        spec_train_build(&s, &c, d, 1);
        engine_init(&e, &s, OBS_EVAL_CHUNK, NULL);
        observe_init(&o, &e, &s.observe);
        double t0 = now();
        while (e.step < e.steps) {
            engine_step(&e);
            observe_maybe(&o, &e);
        }
        double dt = (now() - t0) / (double)e.steps;
        best = dt < best ? dt : best;
        observe_free(&o);
        engine_free(&e);
    }
    printf("%-40s d = %5d  %9.2f us/step  %10.0f steps/s\n", label, d, best * 1e6, 1.0 / best);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    par_init(&argc, &argv);
    h5chk_init();
    if (log_rank() == 0) bench_blas_banner("bench_engine");
    printf("bench_engine: one core, best of 3, observers at the default cadence (60 obs, "
           "256 eval samples)\n");
    for (int d = 100; d <= 1000; d *= 10) {
        long steps = d == 100 ? 400000 : 100000;
        bench("neuron K=1 online spherical SGD", "[model]\nK = 1", d, steps);
        bench("neuron K=2 online spherical SGD", "[model]\nK = 2", d, steps);
        bench("neuron K=8 online spherical SGD", "[model]\nK = 8", d, steps);
    }
    bench("twolayer K=8 B=64 SGD (per step)",
          "[model]\nfamily = twolayer\nK = 8\n[train]\nbatch = 64\n[optim]\nkind = sgd", 1000,
          4000);
    bench("mlp L=3 H=64 B=64 Adam (per step)",
          "[model]\nfamily = mlp\nK = 64\nL = 3\nskip = trainable\n[train]\nbatch = 64\n"
          "[optim]\nkind = adam\ndelta = 1e-3\nlr_power = 0",
          100, 4000);
    bench("linear W x + b B=64 SGD (per step)",
          "[model]\nfamily = linear\n[train]\nbatch = 64\n[optim]\nkind = sgd", 400, 2000);
    MPI_Finalize();
    return 0;
}
