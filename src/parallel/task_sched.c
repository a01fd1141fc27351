/* task_sched — dynamic task distribution by an atomic counter; see include/task.h. */
#include "parallel/task_sched.h"

#include "base/log.h"
#include "parallel/par.h"

#include <stdlib.h>

static const double *task_sched_cost_; /* qsort has no context argument */

static int task_sched_cmp(const void *a, const void *b)
{
    int i = *(const int *)a, j = *(const int *)b;
    if (task_sched_cost_[i] != task_sched_cost_[j])
        return task_sched_cost_[i] < task_sched_cost_[j] ? 1 : -1;
    return (i > j) - (i < j);
}

void task_sched_init(task_sched *s, int ntask, const double *cost, const unsigned char *skip)
{
    s->ntask = 0;
    s->order = LOG_CALLOC((size_t)(ntask > 0 ? ntask : 1), sizeof(int));
    for (int k = 0; k < ntask; k++)
        if (!skip || !skip[k]) s->order[s->ntask++] = k;
    task_sched_cost_ = cost;
    qsort(s->order, (size_t)s->ntask, sizeof(int), task_sched_cmp);
    MPI_Aint bytes = log_rank() == 0 ? TASK_SCHED_SLOTS * (MPI_Aint)sizeof(long) : 0;
    PAR_MPI(MPI_Win_allocate(bytes, sizeof(long), MPI_INFO_NULL, MPI_COMM_WORLD, &s->counters,
                             &s->win));
    if (log_rank() == 0)
        for (int i = 0; i < TASK_SCHED_SLOTS; i++)
            s->counters[i] = 0;
    PAR_MPI(MPI_Win_lock_all(0, s->win));
    PAR_MPI(MPI_Barrier(MPI_COMM_WORLD)); /* counters are zero before anyone takes a task */
    s->t0 = MPI_Wtime();
}

static long task_sched_fetch_add(task_sched *s, int slot, long add)
{
    long old = 0;
    PAR_MPI(MPI_Fetch_and_op(&add, &old, MPI_LONG, 0, slot, MPI_SUM, s->win));
    PAR_MPI(MPI_Win_flush(0, s->win));
    return old;
}

int task_sched_next(task_sched *s)
{
    long i = task_sched_fetch_add(s, 0, 1);
    return i < s->ntask ? s->order[i] : -1;
}

void task_sched_done(task_sched *s, long steps)
{
    task_sched_fetch_add(s, 1, 1);
    task_sched_fetch_add(s, 2, steps);
    task_sched_fetch_add(s, 3, TASK_CTL_DONE);
}

long task_sched_control(task_sched *s)
{
    return task_sched_fetch_add(s, 3, 0);
}

/* Rank 0 is the only writer of the request sequence, the stop flag and the finish flag, so
 * their order is its own: a request raised before FINISH is seen by every rank, because the
 * others leave only on FINISH. No compare-and-swap is needed (Open MPI's emulated one is not
 * reliable on shared memory). */
int task_sched_request(task_sched *s, int stop)
{
    long v = task_sched_control(s);
    if (v & TASK_CTL_FINISH) return 0;
    long add = 1;
    if (stop && !(v & TASK_CTL_STOP)) add |= TASK_CTL_STOP;
    task_sched_fetch_add(s, 3, add);
    return 1;
}

void task_sched_finish(task_sched *s)
{
    task_sched_fetch_add(s, 3, TASK_CTL_FINISH);
}

void task_sched_progress(task_sched *s, long *tasks, long *steps)
{
    *tasks = task_sched_fetch_add(s, 1, 0);
    *steps = task_sched_fetch_add(s, 2, 0);
}

void task_sched_free(task_sched *s)
{
    PAR_MPI(MPI_Win_unlock_all(s->win));
    PAR_MPI(MPI_Win_free(&s->win));
    free(s->order);
}
