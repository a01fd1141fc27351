/* task_sched — the dynamic distribution of a task list over MPI ranks (src/parallel/task_sched.c).
 */
#ifndef MCMSIM_TASK_SCHED_H
#define MCMSIM_TASK_SCHED_H

#include <mpi.h>

/* Each rank takes the next task from a shared counter (an
 * MPI-3 atomic fetch-and-add on rank 0), so ranks that draw cheap tasks take more of them. Tasks
 * are handed out most expensive first, which shortens the tail; results never depend on who ran
 * what, because a task's numbers come only from its own streams. */
/* Slots of the shared window: next task, tasks done, steps done, control word. The control
 * word holds the number of finished tasks times TASK_CTL_DONE, the stop and finish flags and,
 * in the low bits, the sequence number of the latest checkpoint request. */
#define TASK_SCHED_SLOTS 4
#define TASK_CTL_DONE (1L << 32)
#define TASK_CTL_STOP (1L << 31)
#define TASK_CTL_FINISH (1L << 30)
#define TASK_CTL_SEQ(v) ((v) & (TASK_CTL_FINISH - 1))

typedef struct {
    int ntask;  /* tasks handed out by this scheduler (the skipped ones excluded) */
    int *order; /* order[i]: the i-th task handed out */
    MPI_Win win;
    long *counters; /* on rank 0: the TASK_SCHED_SLOTS slots */
    double t0;
} task_sched;

/* Collective. cost[k] orders the hand-out (larger first); tasks with skip[k] set (finished in
 * a checkpoint) are not handed out; skip may be NULL. */
void task_sched_init(task_sched *s, int ntask, const double *cost, const unsigned char *skip);
/* The control word (see TASK_CTL_*). */
long task_sched_control(task_sched *s);
/* Rank 0 only: raises a checkpoint request (with the stop flag if stop) unless the run is
 * finishing; returns 1 when raised. */
int task_sched_request(task_sched *s, int stop);
/* Rank 0 only: every task is done and no request is pending: all ranks may leave. */
void task_sched_finish(task_sched *s);
/* The next task for this rank, or -1 when none is left. */
int task_sched_next(task_sched *s);
/* Reports a finished task of `steps` steps. */
void task_sched_done(task_sched *s, long steps);
/* Tasks and steps finished so far, over all ranks. */
void task_sched_progress(task_sched *s, long *tasks, long *steps);
/* Collective. */
void task_sched_free(task_sched *s);

#endif
