/* runctl — when `mcmsim run` checkpoints and when it stops (src/cli/runctl.c).
 *
 * Rank 0 decides; the task loop (cli/run_loop.h) raises the request in the scheduler, which
 * every rank polls, and writes the checkpoint collectively. A checkpoint is requested
 *  - to continue: every checkpoint.every_seconds seconds or checkpoint.every_steps rank 0
 *    training steps since the last one;
 *  - to stop (checkpoint, exit 3): on SIGTERM/SIGUSR1 (the flag of ckpt_install_signals, acted
 *    on once), on a file STOP in the working directory (removed), or when --time-limit is
 *    near: one measured checkpoint cost twice and RUNCTL_LIMIT_MARGIN seconds before it.
 * The decision (runctl_decide) is pure: the clock reading and what was found are passed in, so
 * it is tested without MPI, signals or sleeping. */
#ifndef MCMSIM_RUNCTL_H
#define MCMSIM_RUNCTL_H

/* Seconds kept free before --time-limit beyond twice the last checkpoint's cost. */
#define RUNCTL_LIMIT_MARGIN 1.0

/* The reasons of a request (bits of runctl_decide's result). */
enum {
    RUNCTL_SIGNAL = 1,     /* SIGTERM or SIGUSR1 */
    RUNCTL_STOP_FILE = 2,  /* a STOP file */
    RUNCTL_TIME_LIMIT = 4, /* --time-limit near */
    RUNCTL_INTERVAL = 8,   /* checkpoint.every_seconds elapsed */
    RUNCTL_STEPS = 16,     /* checkpoint.every_steps steps done */
    RUNCTL_STOP = RUNCTL_SIGNAL | RUNCTL_STOP_FILE | RUNCTL_TIME_LIMIT /* reasons that stop */
};

/* The cadence of one invocation (times in seconds of one clock, MPI_Wtime in the run). */
typedef struct {
    double every;     /* seconds between checkpoints, 0: none */
    long every_steps; /* rank 0 training steps between checkpoints, 0: none */
    double limit;     /* --time-limit seconds, 0: none */
    double t0, last;  /* start of the invocation; last checkpoint (requested or written) */
    long steps_since; /* rank 0 training steps since the last checkpoint */
    int signalled;    /* the signal flag was acted on already */
} runctl;

/* What rank 0 found when it looked. */
typedef struct {
    double now;    /* the clock */
    double cost;   /* seconds the last checkpoint took, 0 before the first (ckpt_ctl.cost) */
    int signal;    /* the signal flag is set (it stays set) */
    int stop_file; /* a STOP file was found */
} runctl_obs;

/* The cadence from the configuration and --time-limit, started at `now`. */
void runctl_init(runctl *rc, double every, long every_steps, double limit, double now);
/* Counts training steps towards checkpoint.every_steps. */
void runctl_add_steps(runctl *rc, long steps);
/* A checkpoint was written at `now`: the interval restarts. */
void runctl_written(runctl *rc, double now);
/* Pure: the reasons (RUNCTL_* bits, 0: none) for a checkpoint now; a request restarts the
 * interval and the step count, and a signal is acted on once. */
int runctl_decide(runctl *rc, const runctl_obs *in);
/* Rank 0: looks for the signal flag and a STOP file (removing it), decides, logs why it stops.
 * Returns the reasons as runctl_decide. */
int runctl_poll(runctl *rc, double now, double cost);

#endif
