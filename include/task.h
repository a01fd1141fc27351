/* task — the task list of a run and its distribution over ranks.
 *
 * A task is one (dimension d, replica) pair. Its id, replica + 4096 d, keys every random stream
 * of the task, so a task draws the same numbers whatever else is in the list, however many ranks
 * run, and whichever rank runs it. */
#ifndef MCMSIM_TASK_H
#define MCMSIM_TASK_H

#include <stdint.h>

#define TASK_MAX_REPLICAS 4096
#define TASK_MAX_D 1048575

typedef struct {
    int index; /* position in the list: d-major, replica-minor */
    int d;
    int replica;
    uint32_t id; /* stable stream key */
} task_t;

typedef struct {
    int n;
    task_t *t;
} task_list;

/* Tasks for dimensions d[0..nd) times n_replicas, in d-major order. */
void task_list_make(task_list *tl, const long *d, int nd, int n_replicas);
void task_list_free(task_list *tl);
uint32_t task_id(int d, int replica);

/* Static cyclic distribution: task k belongs to rank k mod size. Owned tasks of `rank` are
 * k = rank + i size for i < task_count_owned(...). */
int task_owner(int k, int size);
int task_count_owned(int ntask, int rank, int size);

#endif
