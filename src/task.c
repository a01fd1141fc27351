/* task — task list and its distribution; see include/task.h. */
#include "task.h"

#include "log.h"

#include <stdlib.h>

uint32_t task_id(int d, int replica)
{
    return (uint32_t)replica + (uint32_t)TASK_MAX_REPLICAS * (uint32_t)d;
}

void task_list_make(task_list *tl, const long *d, int nd, int n_replicas)
{
    tl->n = nd * n_replicas;
    tl->t = LOG_CALLOC((size_t)tl->n, sizeof *tl->t);
    for (int i = 0; i < nd; i++) {
        for (int r = 0; r < n_replicas; r++) {
            task_t *t = &tl->t[i * n_replicas + r];
            t->index = i * n_replicas + r;
            t->d = (int)d[i];
            t->replica = r;
            t->id = task_id(t->d, r);
        }
    }
}

void task_list_free(task_list *tl)
{
    free(tl->t);
    tl->t = NULL;
    tl->n = 0;
}

int task_owner(int k, int size)
{
    return k % size;
}

int task_count_owned(int ntask, int rank, int size)
{
    return ntask > rank ? (ntask - rank + size - 1) / size : 0;
}
