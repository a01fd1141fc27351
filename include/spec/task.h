/* task — the task list of a run and its static distribution over ranks.
 *
 * A task is one (dimension d, swept values, replica). Its id, replica + TASK_MAX_REPLICAS d +
 * 2^32 sweep combination, keys every random stream of the task, so a task draws the same numbers
 * whatever else is in the list, however many ranks run, and whichever rank runs it. */
#ifndef MCMSIM_TASK_H
#define MCMSIM_TASK_H

#include "base/cfg.h"
#include "base/limits.h"

#include <stdint.h>

#define TASK_MAX_REPLICAS LIMITS_MAX_REPLICAS
#define TASK_MAX_D LIMITS_MAX_D
#define TASK_NSWEEP 5 /* beta_m, beta_u, beta_v, t, delta */

typedef struct {
    int index; /* position in the list: d-major, then sweep combination, then replica */
    int d;
    int replica;
    int combo;                 /* sweep combination, 0 without sweeps */
    uint64_t id;               /* stable stream key */
    double sweep[TASK_NSWEEP]; /* the values of this task (swept or the base value) */
} task_t;

typedef struct {
    int n;
    task_t *t;
} task_list;

extern const char *const task_sweep_keys[TASK_NSWEEP]; /* "mcm.beta_m", ... */

/* Tasks for dimensions d[0..nd) times n_replicas, no sweep, in d-major order. */
void task_list_make(task_list *tl, const long *d, int nd, int n_replicas);
/* Tasks of a configuration: d x every combination of the [sweep] lists x run.n_seeds. */
void task_list_from_cfg(task_list *tl, const cfg_t *c);
/* The tasks `run` and `analyze` work on: task_list_from_cfg kept to slice run.slice = i/n,
 * the tasks k with k mod n = i - 1, renumbered 0, 1, ... (their ids, hence their numbers, are
 * those of the whole list). */
void task_list_from_run(task_list *tl, const cfg_t *c);
/* Keeps tasks k with k mod n = i - 1 (1 <= i <= n), renumbered. */
void task_list_slice(task_list *tl, long i, long n);
void task_list_free(task_list *tl);
uint64_t task_id(int d, int replica, int combo);
/* The configuration of one task: the base values with the task's swept values applied. */
void task_apply(const task_t *t, cfg_t *c);

/* Static cyclic distribution: task k belongs to rank k mod size. Owned tasks of `rank` are
 * k = rank + i size for i < task_count_owned(...). */
int task_owner(int k, int size);
int task_count_owned(int ntask, int rank, int size);

#endif
