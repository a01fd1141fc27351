/* Unit tests of the training pieces that need the whole data path: activation blindness to v
 * (V12), the Bayes gain of the matched activation (V11), the observation schedule, and the
 * determinism and data modes of the engine. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/bayes.h"
#include "engine/engine.h"
#include "engine/observe.h"
#include "spec/spec.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { D = 4, N = 1000000 };

static mcm_params params(void)
{
    mcm_params p = {.d = D, .beta_u = 5, .beta_v = 5, .spikes = MCM_SPIKES_AXES};
    return p;
}

/* Mean and standard error of f(w) = |x0 - a x_t - w s(w.x_t)|^2 - |x0 - a x_t|^2 for
 * w = cos(th) v + sin(th) r (r = e_3), and of its difference to th = pi/2 on the same samples. */
static void neuron_gain(const act_fn *act, double th, double *diff, double *se, double *mean,
                        double *mean_se)
{
    mcm_params p = params();
    mcm_model mod;
    mcm_init(&mod, &p, 5, 9);
    double al = exp(-0.5), sg = sqrt(1 - exp(-1.0)), x0[D], xt[D];
    double s1 = 0, s2 = 0, m1 = 0, m2 = 0;
    for (long i = 0; i < N; i++) {
        mcm_sample(&mod, 5, 9, (uint64_t)i, x0, NULL, NULL, NULL);
        diff_forward(al, sg, 5, 9, (uint64_t)i, D, x0, xt);
        double f[2];
        for (int k = 0; k < 2; k++) {
            double c = k ? 0.0 : cos(th), s = k ? 1.0 : sin(th);
            double h = c * xt[2] + s * xt[3], px = c * x0[2] + s * x0[3];
            double z = act_f(act, h);
            f[k] = -2 * z * (px - al * h) + z * z;
        }
        s1 += f[0] - f[1], s2 += (f[0] - f[1]) * (f[0] - f[1]), m1 += f[0], m2 += f[0] * f[0];
    }
    *diff = s1 / N;
    *se = sqrt((s2 / N - *diff * *diff) / N);
    *mean = m1 / N;
    *mean_se = sqrt((m2 / N - *mean * *mean) / N);
    mcm_free(&mod);
}

/* ReLU without bias and linear activations are blind to v: moving the neuron onto v does not
 * change the loss. tanh does see v (fourth-cumulant term), which the same test detects. */
static void test_blindness(void **st)
{
    (void)st;
    double al = exp(-0.5), sg = sqrt(1 - exp(-1.0)), diff, se, mean, mse;
    act_fn relu = act_make(ACT_RELU, 0.5, 0, al, sg, 5, 5);
    act_fn lin = act_make(ACT_LINEAR, 0.5, 0, al, sg, 5, 5);
    act_fn th = act_make(ACT_TANH, 0.5, 0, al, sg, 5, 5);
    neuron_gain(&relu, 0.0, &diff, &se, &mean, &mse);
    assert_true(fabs(diff) < 5 * se);
    neuron_gain(&lin, 0.0, &diff, &se, &mean, &mse);
    assert_true(fabs(diff) < 5 * se + 1e-12);
    neuron_gain(&th, 0.0, &diff, &se, &mean, &mse);
    assert_true(fabs(diff) > 5 * se);
}

/* With the matched activation sigma*_v on w = v, the neuron gains exactly the non-Gaussian
 * part of the Bayes error along v: E[f] = MMSE_v - sigma_t^2 (V11). */
static void test_matched_gain(void **st)
{
    (void)st;
    double al = exp(-0.5), sg = sqrt(1 - exp(-1.0)), diff, se, mean, mse;
    act_fn mv = act_make(ACT_MATCHED_V, 1.0, 0, al, sg, 5, 5);
    neuron_gain(&mv, 0.0, &diff, &se, &mean, &mse);
    mcm_params p = params();
    bayes_t b;
    assert_true(bayes_init(&b, &p, al, sg));
    double gain = bayes_mmse_v(&b) - sg * sg;
    assert_true(gain < 0);
    assert_true(fabs(mean - gain) < 5 * mse);
    assert_true(fabs(gain) > 10 * mse); /* the gain itself is resolved */
}

static void test_schedule(void **st)
{
    (void)st;
    long at[64];
    int n = observe_schedule(100000, 60, at);
    assert_true(n <= 60 && n > 40);
    assert_int_equal(at[0], 0);
    assert_int_equal(at[1], 1);
    assert_int_equal(at[n - 1], 100000);
    for (int i = 1; i < n; i++)
        assert_true(at[i] > at[i - 1]);
    n = observe_schedule(5, 60, at); /* short runs: every step once */
    assert_int_equal(n, 6);
    n = observe_schedule(7, 2, at);
    assert_int_equal(n, 2);
    assert_int_equal(at[1], 7);
}

static cfg_t base_cfg(void)
{
    static cfg_resolved cr;
    cfg_errors err;
    const char *sets[] = {"mcm.d=16", "train.steps_alpha=4"};
    FILE *f = fopen("/tmp/mcmsim_test_engine.ini", "w");
    fputs("[run]\nseed = 3\n", f);
    fclose(f);
    assert_int_equal(cfg_load("/tmp/mcmsim_test_engine.ini", sets, 2, &cr, &err), 0);
    remove("/tmp/mcmsim_test_engine.ini");
    return cr.v;
}

/* Two engines with the same configuration and task take bitwise the same steps; another task
 * does not. */
static void test_engine_determinism(void **st)
{
    (void)st;
    cfg_t c = base_cfg();
    spec_train s7, s8;
    spec_train_build(&s7, &c, 16, 7);
    spec_train_build(&s8, &c, 16, 8);
    engine a, b, o;
    engine_init(&a, &s7, 8, NULL);
    engine_init(&b, &s7, 8, NULL);
    engine_init(&o, &s8, 8, NULL);
    for (int s = 0; s < 50; s++)
        engine_step(&a), engine_step(&b), engine_step(&o);
    assert_memory_equal(a.net.theta, b.net.theta, a.net.np * sizeof(double));
    assert_true(memcmp(a.net.theta, o.net.theta, a.net.np * sizeof(double)) != 0);
    engine_free(&a), engine_free(&b), engine_free(&o);
}

/* The fused online pass (model_resid1) gives bitwise the numbers of the unfused forward, skip
 * and loss passes: over the neuron family's skips (fixed in the model, added by the engine under
 * several times, trainable), trainable amplitudes, losses, K up to the chunk (and K = 5, which
 * falls back) and d with and without a tail of the 8-wide blocks. */
static void test_fused_equals_unfused(void **st)
{
    (void)st;
    const int ds[] = {16, 21, 100}, ks[] = {1, 2, 3, 4, 5};
    for (int id = 0; id < 3; id++)
        for (int ik = 0; ik < 5; ik++)
            for (int var = 0; var < 4; var++) {
                cfg_t c = base_cfg();
                c.model.K = ks[ik];
                c.model.skip = var == 2 ? 1 : 0;  /* trainable */
                c.train.times = var == 1 ? 2 : 0; /* range: the engine adds alpha_t x */
                c.model.train_a = var == 3;
                c.train.loss = var == 3 ? 1 : 0;  /* eps */
                c.model.init2 = var == 3 ? 1 : 0; /* a_k small, not 0 */
                spec_train sp;
                spec_train_build(&sp, &c, ds[id], 7);
                engine a, b, v;
                engine_init(&a, &sp, 1, NULL);
                engine_init(&b, &sp, 1, NULL);
                b.unfused = 1;
                for (int s = 0; s < 60; s++)
                    engine_step(&a), engine_step(&b);
                assert_memory_equal(a.net.theta, b.net.theta, a.net.np * sizeof(double));
                /* and on every vector path of the neuron kernels and the streams */
                for (int isa = 0; isa < RNG_ISA_AVX512; isa++) {
                    if (rng_isa_force(isa) != 0) continue;
                    engine_init(&v, &sp, 1, NULL);
                    for (int s = 0; s < 60; s++)
                        engine_step(&v);
                    assert_memory_equal(a.net.theta, v.net.theta, a.net.np * sizeof(double));
                    engine_free(&v);
                }
                rng_isa_force(-1);
                assert_memory_equal(&a.loss_sum, &b.loss_sum, sizeof a.loss_sum);
                /* the fused path was taken where it exists (else this test would be empty) */
                double s2;
                int taken = model_resid1(&a.net, a.xt, a.x0, a.fixed_skip, a.alpha[0], 1.0, a.gout,
                                         &s2) == 0;
                assert_int_equal(taken, ks[ik] <= 4);
                engine_free(&a), engine_free(&b);
            }
}

/* Finite data of n = 2 samples: the x0 of step s is sample s mod 2; frozen noise repeats x_t. */
static void test_finite_data(void **st)
{
    (void)st;
    cfg_t c = base_cfg();
    c.train.data = 1;
    c.train.n_train_alpha = 2;
    c.train.n_train_power = 0;
    c.train.noise = 1;
    spec_train sp;
    spec_train_build(&sp, &c, 16, 7);
    engine e;
    engine_init(&e, &sp, 8, NULL);
    assert_int_equal(e.n_train, 2);
    double x0[2][16], xt[2][16];
    for (int s = 0; s < 6; s++) {
        engine_step(&e);
        if (s < 2) {
            memcpy(x0[s], e.x0, sizeof x0[s]);
            memcpy(xt[s], e.xt, sizeof xt[s]);
        } else {
            assert_memory_equal(e.x0, x0[s % 2], sizeof x0[0]);
            assert_memory_equal(e.xt, xt[s % 2], sizeof xt[0]);
        }
    }
    assert_true(memcmp(x0[0], x0[1], sizeof x0[0]) != 0);
    engine_free(&e);
}

/* Crossing detection on a planted trajectory: the neuron is set to overlap m(s) = s / 100 with
 * u at step s; thresholds 0.2, 0.5, 0.8 are first seen at the first checked step at or after
 * 20, 50, 80; the cadence rounds up to its multiple; uncrossed pairs stay -1 (censored). */
static void test_crossing_planted(void **st)
{
    (void)st;
    cfg_t c = base_cfg();
    c.scaling.thresholds.n = 3;
    c.scaling.thresholds.v[0] = 0.2, c.scaling.thresholds.v[1] = 0.5;
    c.scaling.thresholds.v[2] = 0.8;
    c.scaling.watch_u = 1, c.scaling.watch_v = 1;
    c.scaling.check_every = 7;
    spec_train sp;
    spec_train_build(&sp, &c, 16, 7);
    sp.observe.n_obs = 10, sp.observe.n_eval = 4;
    engine e;
    observer o;
    engine_init(&e, &sp, 8, NULL);
    observe_init(&o, &e, &sp.observe);
    assert_int_equal(o.cr.n, 2);
    assert_int_equal(o.cr.remaining, 6);
    double *w = e.net.theta, r[16];
    mcm_probe(&e.data, 3, 7, r);
    for (long s = 0; s <= 90; s++) {
        double m = s / 100.0;
        for (int i = 0; i < 16; i++)
            w[i] = m * e.data.u[i] + sqrt(1 - m * m) * r[i];
        e.step = s;
        observe_crossing(&o, &e, 0);
    }
    long want[3] = {21, 56, 84}; /* first multiples of 7 at or after 20, 50, 80 */
    for (int k = 0; k < 3; k++) {
        assert_int_equal(o.cr.first[k], want[k]); /* u */
        assert_int_equal(o.cr.first[3 + k], -1);  /* v: never */
    }
    assert_int_equal(o.cr.remaining, 3);
    observe_free(&o);
    engine_free(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blindness),
        cmocka_unit_test(test_matched_gain),
        cmocka_unit_test(test_schedule),
        cmocka_unit_test(test_engine_determinism),
        cmocka_unit_test(test_finite_data),
        cmocka_unit_test(test_crossing_planted),
        cmocka_unit_test(test_fused_equals_unfused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
