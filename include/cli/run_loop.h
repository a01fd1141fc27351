/* run_loop — the task loop of `mcmsim run` (src/cli/run_loop.c): every rank takes tasks from
 * the scheduler (parallel/task_sched.h) and trains them (engine, observe), polls for checkpoint
 * requests (raised by rank 0 from cli/runctl.h) and writes the checkpoints collectively with
 * everything it holds; after a restart, the finished records go to rank 0 and the tasks in
 * progress are resumed first. Rank 0 prints a status line every observe.status_every seconds. */
#ifndef MCMSIM_RUN_LOOP_H
#define MCMSIM_RUN_LOOP_H

#include "base/cfg.h"
#include "cli/runctl.h"
#include "engine/engine.h"
#include "io/ckpt.h"
#include "parallel/task_sched.h"
#include "spec/task.h"

/* Progress lines of rank 0: tasks done, steps/s, ETA, the last checkpoint's age. */
typedef struct {
    task_sched *sched;
    const ckpt_ctl *ctl;    /* the checkpoint series, NULL: no checkpoint column */
    double last, every, t0; /* last line, observe.status_every (0: none), start (MPI_Wtime) */
    long total_steps;       /* of every task of the run */
    int ntask;
} run_loop_status;

/* The state every rank carries through the run, for checkpoints. */
typedef struct {
    const cfg_resolved *cr;
    const engine_data *ud; /* user data set, NULL: MCM data */
    task_sched *sched;
    run_loop_status *st;
    ckpt_ctl *ctl;    /* the checkpoint series (written collectively) */
    runctl *rc;       /* when to checkpoint and stop (decided on rank 0) */
    ckpt_record *rec; /* finished records of this rank */
    int nrec;
    long handled; /* latest request sequence served */
    double last_poll;
} run_loop_ctx;

/* Restart: the records of checkpoint set; finished tasks are marked in skip (their records go
 * to rec on rank 0), tasks in progress get their blob in active[k] and cost[k] = HUGE_VAL so
 * they are handed out first. Returns the records put in rec. */
int run_loop_restore(const ckpt_set *set, const task_list *tl, unsigned char *skip,
                     const double **active, double *cost, ckpt_record *rec);
/* Collective: every rank takes tasks until none is left (resuming active[k] where set), then
 * serves checkpoint requests until every task is done. Returns 1 when a stop request ended the
 * run early (after its checkpoint). */
int run_loop(run_loop_ctx *x, const task_list *tl, const double **active);

#endif
