/* Unit tests of the run control of `mcmsim run` (runctl): the checkpoint cadence and the stop
 * decisions, with the clock passed in, no MPI, no signals, no sleeping. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cli/runctl.h"

/* One look at time `now` with the last checkpoint having cost `cost` seconds. */
static int look(runctl *rc, double now, double cost, int signal, int stop_file)
{
    runctl_obs in = {.now = now, .cost = cost, .signal = signal, .stop_file = stop_file};
    return runctl_decide(rc, &in);
}

static void test_nothing_when_disabled(void **st)
{
    (void)st;
    runctl rc;
    runctl_init(&rc, 0, 0, 0, 0.0);
    runctl_add_steps(&rc, 1L << 40);
    assert_int_equal(look(&rc, 1e9, 1e6, 0, 0), 0);
    assert_int_equal(look(&rc, 0.0, 0.0, 0, 0), 0);
    assert_int_equal(rc.steps_since, 1L << 40); /* no request, so nothing restarts */
    assert_true(rc.last == 0.0);
}

static void test_stop_file(void **st)
{
    (void)st;
    runctl rc;
    runctl_init(&rc, 0, 0, 0, 10.0);
    runctl_add_steps(&rc, 64);
    int why = look(&rc, 12.5, 0.0, 0, 1);
    assert_int_equal(why, RUNCTL_STOP_FILE);
    assert_true(why & RUNCTL_STOP);
    assert_int_equal(rc.steps_since, 0); /* a request restarts the cadence */
    assert_true(rc.last == 12.5);
    assert_int_equal(look(&rc, 12.6, 0.0, 0, 0), 0); /* the file is gone: nothing more */
}

static void test_signal_acted_on_once(void **st)
{
    (void)st;
    runctl rc;
    runctl_init(&rc, 0, 0, 0, 0.0);
    assert_int_equal(look(&rc, 1.0, 0.0, 0, 0), 0);
    int why = look(&rc, 2.0, 0.0, 1, 0);
    assert_int_equal(why, RUNCTL_SIGNAL);
    assert_true(why & RUNCTL_STOP);
    /* The flag stays set: no second stop for the same signal. */
    assert_int_equal(look(&rc, 3.0, 0.0, 1, 0), 0);
    /* A STOP file still counts after a signal. */
    assert_int_equal(look(&rc, 4.0, 0.0, 1, 1), RUNCTL_STOP_FILE);
}

/* --time-limit 10 with checkpoints of 0.25 s: the stop comes 2 x 0.25 + 1 s before the limit,
 * at 8.5 s after the start (t0 = 100 here, so a clock read as elapsed time fails too). */
static void test_time_limit_with_cost(void **st)
{
    (void)st;
    const double t0 = 100.0, limit = 10.0, cost = 0.25, eps = 1e-9;
    const double at = t0 + limit - 2 * cost - RUNCTL_LIMIT_MARGIN; /* 108.5 */
    assert_true(RUNCTL_LIMIT_MARGIN == 1.0);
    runctl rc;
    runctl_init(&rc, 0, 0, limit, t0);
    assert_int_equal(look(&rc, t0 + 8.0, cost, 0, 0), 0);
    assert_int_equal(look(&rc, at - eps, cost, 0, 0), 0);
    /* Counting the cost once instead of twice would stop only at 108.75. */
    assert_int_equal(look(&rc, at, cost, 0, 0), RUNCTL_TIME_LIMIT);
    assert_true(look(&rc, at + 0.1, cost, 0, 0) & RUNCTL_STOP); /* and on every later look */
    /* The measured cost moves the stop: without it, 108.6 is still before 109. */
    runctl_init(&rc, 0, 0, limit, t0);
    assert_int_equal(look(&rc, at + 0.1, 0.0, 0, 0), 0);
    assert_int_equal(look(&rc, t0 + limit - RUNCTL_LIMIT_MARGIN - eps, 0.0, 0, 0), 0);
    assert_int_equal(look(&rc, t0 + limit - RUNCTL_LIMIT_MARGIN, 0.0, 0, 0), RUNCTL_TIME_LIMIT);
    /* A slow checkpoint (2 s) stops at 105. */
    runctl_init(&rc, 0, 0, limit, t0);
    assert_int_equal(look(&rc, t0 + 5.0 - eps, 2.0, 0, 0), 0);
    assert_int_equal(look(&rc, t0 + 5.0, 2.0, 0, 0), RUNCTL_TIME_LIMIT);
}

static void test_every_seconds(void **st)
{
    (void)st;
    runctl rc;
    runctl_init(&rc, 5.0, 0, 0, 20.0);
    assert_int_equal(look(&rc, 24.999, 0.0, 0, 0), 0);
    int why = look(&rc, 25.0, 0.0, 0, 0);
    assert_int_equal(why, RUNCTL_INTERVAL);
    assert_false(why & RUNCTL_STOP); /* a checkpoint to continue */
    /* The interval restarts at the request ... */
    assert_int_equal(look(&rc, 29.9, 0.0, 0, 0), 0);
    assert_int_equal(look(&rc, 30.0, 0.0, 0, 0), RUNCTL_INTERVAL);
    /* ... and again when the checkpoint is written (2 s later). */
    runctl_written(&rc, 32.0);
    assert_int_equal(look(&rc, 36.9, 0.0, 0, 0), 0);
    assert_int_equal(look(&rc, 37.0, 0.0, 0, 0), RUNCTL_INTERVAL);
    /* A STOP file request also restarts it. */
    assert_int_equal(look(&rc, 40.0, 0.0, 0, 1), RUNCTL_STOP_FILE);
    assert_int_equal(look(&rc, 44.9, 0.0, 0, 0), 0);
    assert_int_equal(look(&rc, 45.0, 0.0, 0, 0), RUNCTL_INTERVAL);
}

static void test_every_steps(void **st)
{
    (void)st;
    runctl rc;
    runctl_init(&rc, 0, 128, 0, 0.0);
    runctl_add_steps(&rc, 64);
    assert_int_equal(look(&rc, 1.0, 0.0, 0, 0), 0);
    runctl_add_steps(&rc, 63);
    assert_int_equal(look(&rc, 1.5, 0.0, 0, 0), 0); /* 127 steps */
    runctl_add_steps(&rc, 1);
    assert_int_equal(look(&rc, 2.0, 0.0, 0, 0), RUNCTL_STEPS);
    assert_int_equal(rc.steps_since, 0);
    assert_int_equal(look(&rc, 3.0, 0.0, 0, 0), 0); /* counted from the request */
    runctl_add_steps(&rc, 200);
    assert_int_equal(look(&rc, 4.0, 0.0, 0, 0), RUNCTL_STEPS);
    /* Steps and seconds together: both reasons, one request. */
    runctl_init(&rc, 1.0, 64, 0, 0.0);
    runctl_add_steps(&rc, 64);
    assert_int_equal(look(&rc, 1.0, 0.0, 0, 0), RUNCTL_INTERVAL | RUNCTL_STEPS);
    /* A seconds request restarts the step count too. */
    runctl_add_steps(&rc, 32);
    assert_int_equal(look(&rc, 2.0, 0.0, 0, 0), RUNCTL_INTERVAL);
    runctl_add_steps(&rc, 32);
    assert_int_equal(look(&rc, 2.5, 0.0, 0, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nothing_when_disabled), cmocka_unit_test(test_stop_file),
        cmocka_unit_test(test_signal_acted_on_once),  cmocka_unit_test(test_time_limit_with_cost),
        cmocka_unit_test(test_every_seconds),         cmocka_unit_test(test_every_steps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
