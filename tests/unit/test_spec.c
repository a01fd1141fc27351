/* Unit tests of the spec layer: the configuration's translation into the narrow structs of the
 * computation (learning rate delta / d^a, run length alpha d^k, training-set size, the fixed-skip
 * choice, schedule and times, sweeps through task_apply, watch order and thresholds, the
 * analysis inputs per sweep combination). cfg_load is rank-local: no MPI needed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/diffusion.h"
#include "spec/spec.h"
#include "spec/spec_gauss.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A small configuration (d = 100, 200, seed 11) with the overrides sets[0 .. n). */
static const cfg_t *load(const char *const *sets, int n)
{
    static cfg_resolved cr;
    cfg_errors err;
    char path[] = "/tmp/test_spec_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs("[run]\nseed = 11\nn_seeds = 2\n[mcm]\nd = 100, 200\nbeta_u = 4\nbeta_v = 3\n"
          "[optim]\ndelta = 0.5\n[train]\nsteps_alpha = 20\n",
          f);
    fclose(f);
    int bad = cfg_load(path, sets, n, &cr, &err);
    remove(path);
    if (bad) fprintf(stderr, "%s\n", err.msg[0]);
    assert_int_equal(bad, 0);
    return &cr.v;
}

/* The MCM, schedule, optimiser and budgets of one task, at two dimensions. */
static void test_train_translation(void **st)
{
    (void)st;
    const char *sets[] = {"optim.lr_power=1.5",      "mcm.nu_law=skewed",   "mcm.whitening=full",
                          "diffusion.schedule=ddpm", "diffusion.t=0.25",    "diffusion.beta_max=15",
                          "train.batch=4",           "train.steps_power=2", "train.loss=eps"};
    const cfg_t *c = load(sets, 9);
    spec_train s;
    spec_train_build(&s, c, 200, 77);
    assert_int_equal(s.seed, 11);
    assert_true(s.task == 77);
    assert_int_equal(s.d, 200);
    assert_true(s.optim.lr == 0.5 / pow(200.0, 1.5));
    assert_int_equal(s.optim.kind, OPT_SPHERICAL);
    assert_int_equal(s.steps, 20L * 200 * 200);
    assert_int_equal(s.optim.total_steps, s.steps);
    assert_int_equal(s.batch, 4);
    assert_int_equal(s.loss, LOSS_EPS);
    assert_true(s.n_train == 0); /* online */
    assert_int_equal(s.mcm.d, 200);
    assert_true(s.mcm.beta_u == 4 && s.mcm.beta_v == 3);
    assert_int_equal(s.mcm.nu_law, MCM_NU_SKEWED);
    assert_int_equal(s.mcm.whitening, MCM_WHITEN_FULL);
    assert_int_equal(s.sch.kind, DIFF_DDPM);
    assert_true(s.sch.beta_max == 15);
    assert_true(s.times.kind == SPEC_TIME_FIXED && s.times.t == 0.25);
    double al, sg, al2, sg2;
    diff_coeffs(&s.sch, 0.25, &al, &sg);
    spec_coeffs(c, &al2, &sg2);
    assert_true(al == al2 && sg == sg2);
    assert_true(s.model.c0 == al); /* the fixed skip starts at alpha_t */
    assert_int_equal(s.observe.n_obs, 60);
    assert_int_equal(s.observe.n_eval, 256);
    assert_int_equal(spec_steps(c, 100), 20L * 100 * 100);
}

/* Finite training sets: ceil(alpha d^k), at least one sample; frozen noise. */
static void test_finite_data(void **st)
{
    (void)st;
    const char *sets[] = {"train.data=finite", "train.n_train_alpha=2.5", "train.noise=frozen"};
    const cfg_t *c = load(sets, 3);
    spec_train s;
    spec_train_build(&s, c, 100, 1);
    assert_true(s.n_train == 250);
    assert_int_equal(s.frozen_noise, 1);
    const char *tiny[] = {"train.data=finite", "train.n_train_alpha=1e-3", "train.n_train_power=0"};
    assert_true(spec_n_train(load(tiny, 3), 100) == 1);
}

/* One training time: the model keeps its fixed skip c = alpha_t. Several: the engine adds alpha_t
 * x_t per sample, except for the linear families (no skip) and a trainable skip. */
static void test_fixed_skip(void **st)
{
    (void)st;
    spec_train s;
    spec_train_build(&s, load(NULL, 0), 100, 1);
    assert_int_equal(s.model.skip, SKIP_FIXED);
    assert_int_equal(s.fixed_skip, 0);
    const char *list[] = {"train.times=list", "train.t_list=0.25,1"};
    spec_train_build(&s, load(list, 2), 100, 1);
    assert_int_equal(s.model.skip, SKIP_NONE);
    assert_int_equal(s.fixed_skip, 1);
    const char *lin[] = {"train.times=list", "train.t_list=0.25,1", "model.family=linear",
                         "optim.kind=sgd"};
    spec_train_build(&s, load(lin, 4), 100, 1);
    assert_int_equal(s.model.skip, SKIP_NONE);
    assert_int_equal(s.fixed_skip, 0);
    const char *tr[] = {"train.times=range", "model.skip=trainable"};
    spec_train_build(&s, load(tr, 2), 100, 1);
    assert_int_equal(s.model.skip, SKIP_TRAINABLE);
    assert_int_equal(s.fixed_skip, 0);
}

static void test_time_sampling(void **st)
{
    (void)st;
    const char *list[] = {"train.times=list", "train.t_list=0.25,1,2", "train.t_weight=sigma2"};
    spec_times t = spec_time_sampling(load(list, 3));
    assert_int_equal(t.kind, SPEC_TIME_LIST);
    assert_int_equal(t.n, 3);
    assert_true(t.list[0] == 0.25 && t.list[1] == 1 && t.list[2] == 2);
    assert_int_equal(t.weight_sigma2, 1);
    const char *range[] = {"train.times=range", "train.t_min=0.2", "train.t_max=0.7"};
    t = spec_time_sampling(load(range, 3));
    assert_int_equal(t.kind, SPEC_TIME_RANGE);
    assert_true(t.t_min == 0.2 && t.t_max == 0.7);
    assert_int_equal(t.weight_sigma2, 0);
}

/* Sweeps reach the specs through task_apply: the task's t and delta, last key fastest. */
static void test_sweep(void **st)
{
    (void)st;
    const char *sets[] = {"sweep.t=0.5,1", "sweep.delta=0.1,0.2,0.4"};
    const cfg_t *c = load(sets, 2);
    task_list tl;
    task_list_from_cfg(&tl, c);
    assert_int_equal(tl.n, 2 * 6 * 2);
    const task_t *t = &tl.t[2 * 4 + 1]; /* d = 100, combination 4 (t = 1, delta = 0.2) */
    assert_int_equal(t->combo, 4);
    cfg_t tc = *c;
    task_apply(t, &tc);
    spec_train s;
    spec_train_build(&s, &tc, t->d, t->id);
    assert_true(s.times.t == 1.0);
    assert_true(s.optim.lr == 0.2 / 100.0);
    assert_true(s.task == task_id(100, 1, 4));
    spec_theory th;
    spec_theory_build(&th, &tc, t->d);
    assert_true(th.t == 1.0 && th.delta == 0.2);
    assert_true(th.alpha == exp(-1.0));
    task_list_free(&tl);
}

/* Watched overlaps in observer order (m, u, v, subspace), thresholds as configured, the cadence
 * ceil(d / 16) unless set. */
static void test_crossing(void **st)
{
    (void)st;
    const char *sets[] = {"scaling.watch_subspace=true", "scaling.watch_v=true",
                          "scaling.thresholds=0.8,0.2,0.5", "scaling.early_stop=false"};
    const cfg_t *c = load(sets, 4);
    spec_crossing cr = spec_crossing_at(c, 100);
    assert_int_equal(cr.n, 3);
    assert_int_equal(cr.which[0], SPEC_WATCH_U);
    assert_int_equal(cr.which[1], SPEC_WATCH_V);
    assert_int_equal(cr.which[2], SPEC_WATCH_SUBSPACE);
    assert_int_equal(cr.nthr, 3);
    assert_true(cr.thr[0] == 0.8 && cr.thr[1] == 0.2 && cr.thr[2] == 0.5);
    assert_int_equal(cr.every, 7);
    assert_int_equal(cr.early_stop, 0);
    const char *every[] = {"scaling.check_every=5", "scaling.watch_u=false"};
    cr = spec_crossing_at(load(every, 2), 100);
    assert_int_equal(cr.n, 0);
    assert_int_equal(cr.every, 5);
    assert_int_equal(cr.early_stop, 1);
}

/* The analysis inputs: one theory per sweep combination (its first task's values), the run
 * length per combination and dimension, the scaling settings. */
static void test_analysis(void **st)
{
    (void)st;
    const char *sets[] = {"sweep.delta=0.1,0.2", "scaling.thresholds=0.3,0.6",
                          "scaling.bootstrap=50", "scaling.ode_points=7"};
    const cfg_t *c = load(sets, 4);
    task_list tl;
    task_list_from_cfg(&tl, c);
    spec_analysis a;
    spec_analysis_build(&a, c, &tl);
    assert_int_equal(a.ncombo, 2);
    assert_int_equal(a.nd, 2);
    assert_int_equal(a.d[0], 100);
    assert_int_equal(a.d[1], 200);
    assert_int_equal(a.seed, 11);
    assert_int_equal(a.bootstrap, 50);
    assert_int_equal(a.ode_points, 7);
    assert_int_equal(a.theory, 1);
    char want[256];
    cfg_format_value(c, cfg_find("scaling", "thresholds"), want, sizeof want);
    assert_string_equal(a.thresholds, want);
    assert_true(a.combo[0].delta == 0.1 && a.combo[1].delta == 0.2);
    assert_int_equal(a.combo[1].mcm.d, 100);
    assert_int_equal(a.steps[1 * 2 + 1], 20L * 200);
    spec_analysis_free(&a);
    task_list_free(&tl);
    const char *user[] = {"data.file=x.h5"};
    c = load(user, 1);
    task_list_from_cfg(&tl, c);
    spec_analysis_build(&a, c, &tl);
    assert_int_equal(a.theory, 0);
    assert_int_equal(spec_user_data(c), 1);
    spec_analysis_free(&a);
    task_list_free(&tl);
}

/* [gaussian] as the theory's inputs: the enums by name, the law's spectrum at mcm.d = 100, Q
 * broadcast or per mode, the time grid, flow matching's weight level t = 1/(1 + sigma). */
static void test_gauss(void **st)
{
    (void)st;
    const char *sets[] = {"mcm.d=100",
                          "gaussian.model=balanced",
                          "gaussian.process=vp",
                          "gaussian.objective=eps",
                          "gaussian.exponent=2",
                          "gaussian.scale=3",
                          "gaussian.criterion=harmonic",
                          "gaussian.tau_min=0.1",
                          "gaussian.n_tau=5"};
    spec_gauss g;
    spec_gauss_build(&g, load(sets, 9));
    assert_int_equal(g.setup.model, GT_BALANCED);
    assert_int_equal(g.setup.process, GT_VP);
    assert_int_equal(g.setup.objective, GT_EPS);
    assert_int_equal(g.criterion, GT_HARMONIC);
    assert_int_equal(g.d, 100);
    assert_true(g.lambda[9] == 3 * pow(10.0, -2.0) && g.q[99] == 0.01);
    assert_true(fabs(spec_gauss_tau(&g, 2) / 100 - 1) < 1e-15); /* 0.1 .. 1e5, 5 points */
    assert_int_equal(spec_gauss_n_scan(&g), 97);                /* 16 per decade */
    assert_true(g.weight_level == 1);
    double v[4] = {4, 3, 2, 1};
    assert_int_equal(spec_gauss_set_lambda(&g, load(sets, 9), 4, v), 0);
    assert_true(g.d == 4 && g.lambda[3] == 1 && g.q[3] == 0.01);
    spec_gauss_free(&g);
    const char *fm[] = {"mcm.d=3",
                        "gaussian.model=flowmatch",
                        "gaussian.sigma_weight=3",
                        "gaussian.spectrum=list",
                        "gaussian.lambdas=1,2,3",
                        "gaussian.init_q=0,0.5,1"};
    spec_gauss_build(&g, load(fm, 6));
    assert_true(g.weight_level == 0.25 && g.d == 3 && g.lambda[2] == 3 && g.q[1] == 0.5);
    assert_int_equal(spec_gauss_set_lambda(&g, load(fm, 6), 4, v), -1); /* 3 Q for 4 modes */
    spec_gauss_free(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_train_translation),
        cmocka_unit_test(test_finite_data),
        cmocka_unit_test(test_fixed_skip),
        cmocka_unit_test(test_time_sampling),
        cmocka_unit_test(test_sweep),
        cmocka_unit_test(test_crossing),
        cmocka_unit_test(test_analysis),
        cmocka_unit_test(test_gauss),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
