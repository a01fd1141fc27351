/* runctl — checkpoint cadence and stop decisions of `mcmsim run`. See include/cli/runctl.h. */
#include "cli/runctl.h"

#include "base/log.h"
#include "io/ckpt.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

void runctl_init(runctl *rc, double every, long every_steps, double limit, double now)
{
    memset(rc, 0, sizeof *rc);
    rc->every = every;
    rc->every_steps = every_steps;
    rc->limit = limit;
    rc->t0 = rc->last = now;
}

void runctl_add_steps(runctl *rc, long steps)
{
    rc->steps_since += steps;
}

void runctl_written(runctl *rc, double now)
{
    rc->last = now;
}

int runctl_decide(runctl *rc, const runctl_obs *in)
{
    double now = in->now;
    int why = 0;
    if (rc->every > 0 && now - rc->last >= rc->every) why |= RUNCTL_INTERVAL;
    if (rc->every_steps > 0 && rc->steps_since >= rc->every_steps) why |= RUNCTL_STEPS;
    /* The flag stays set after a signal: one stop per invocation, not one per poll. */
    if (in->signal && !rc->signalled) why |= RUNCTL_SIGNAL, rc->signalled = 1;
    if (in->stop_file) why |= RUNCTL_STOP_FILE;
    /* Stop one checkpoint (and a margin) before the limit. */
    if (rc->limit > 0 && now - rc->t0 + 2 * in->cost + RUNCTL_LIMIT_MARGIN >= rc->limit)
        why |= RUNCTL_TIME_LIMIT;
    if (why) {
        rc->last = now;
        rc->steps_since = 0;
    }
    return why;
}

int runctl_poll(runctl *rc, double now, double cost)
{
    runctl_obs in = {.now = now, .cost = cost, .signal = ckpt_signalled()};
    /* Signals reach every rank of an mpirun/srun job; rank 0 acts on them. A STOP file is
     * consumed, so the run after the restart goes on. */
    if (access("STOP", F_OK) == 0) {
        in.stop_file = 1;
        remove("STOP");
    }
    int why = runctl_decide(rc, &in);
    if (why & RUNCTL_SIGNAL) log_info("signal received: checkpoint and exit\n");
    if (why & RUNCTL_STOP_FILE) log_info("STOP file found: checkpoint and exit\n");
    return why;
}
