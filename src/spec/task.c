/* task — task list and its distribution; see include/task.h. */
#include "spec/task.h"

#include "base/log.h"

#include <stdlib.h>

const char *const task_sweep_keys[TASK_NSWEEP] = {"mcm.beta_m", "mcm.beta_u", "mcm.beta_v",
                                                  "diffusion.t", "optim.delta"};

uint64_t task_id(int d, int replica, int combo)
{
    return (uint64_t)replica + (uint64_t)TASK_MAX_REPLICAS * (uint64_t)d + ((uint64_t)combo << 32);
}

void task_list_make(task_list *tl, const long *d, int nd, int n_replicas)
{
    cfg_t c = {0};
    c.mcm.d.n = nd;
    for (int i = 0; i < nd; i++)
        c.mcm.d.v[i] = d[i];
    c.run.n_seeds = n_replicas;
    task_list_from_cfg(tl, &c);
}

/* The list of each swept key (empty: the base value) and the base values. */
static void task_sweeps(const cfg_t *c, const cfg_double_list *lists[TASK_NSWEEP],
                        double base[TASK_NSWEEP])
{
    const cfg_double_list *l[TASK_NSWEEP] = {&c->sweep.beta_m, &c->sweep.beta_u, &c->sweep.beta_v,
                                             &c->sweep.t, &c->sweep.delta};
    double b[TASK_NSWEEP] = {c->mcm.beta_m, c->mcm.beta_u, c->mcm.beta_v, c->diffusion.t,
                             c->optim.delta};
    for (int k = 0; k < TASK_NSWEEP; k++)
        lists[k] = l[k], base[k] = b[k];
}

void task_list_from_cfg(task_list *tl, const cfg_t *c)
{
    const cfg_double_list *lists[TASK_NSWEEP];
    double base[TASK_NSWEEP];
    task_sweeps(c, lists, base);
    long ncombo = 1;
    for (int k = 0; k < TASK_NSWEEP; k++)
        ncombo *= lists[k]->n > 0 ? lists[k]->n : 1;
    long n = (long)c->mcm.d.n * ncombo * c->run.n_seeds; /* at most 64^6 x 4096: fits */
    if (n > LIMITS_MAX_TASKS) /* the configuration refuses these (base/cfg_check.c) */
        LOG_DIE("%ld sweep combinations / %ld tasks: more than %ld", ncombo, n, LIMITS_MAX_TASKS);
    tl->n = (int)n;
    tl->t = LOG_CALLOC((size_t)(n > 0 ? n : 1), sizeof *tl->t);
    int idx = 0;
    for (int i = 0; i < c->mcm.d.n; i++)
        for (long s = 0; s < ncombo; s++)
            for (int r = 0; r < c->run.n_seeds; r++, idx++) {
                task_t *t = &tl->t[idx];
                t->index = idx;
                t->d = (int)c->mcm.d.v[i];
                t->replica = r;
                t->combo = (int)s;
                t->id = task_id(t->d, r, t->combo);
                /* Mixed radix, last key fastest: combination s picks one value per list. */
                long rest = s;
                for (int k = TASK_NSWEEP - 1; k >= 0; k--) {
                    int nk = lists[k]->n;
                    t->sweep[k] = nk > 0 ? lists[k]->v[rest % nk] : base[k];
                    rest = nk > 0 ? rest / nk : rest;
                }
            }
}

void task_list_slice(task_list *tl, long i, long n)
{
    int m = 0;
    for (int k = 0; k < tl->n; k++)
        if (k % n == i - 1) {
            tl->t[m] = tl->t[k];
            tl->t[m].index = m;
            m++;
        }
    tl->n = m;
}

void task_list_from_run(task_list *tl, const cfg_t *c)
{
    task_list_from_cfg(tl, c);
    long i = 1, n = 1;
    /* Validated by the configuration; an empty or default value is the whole list. */
    if (c->run.slice[0] && cfg_slice_parse(c->run.slice, &i, &n) && n > 1)
        task_list_slice(tl, i, n);
}

void task_apply(const task_t *t, cfg_t *c)
{
    c->mcm.beta_m = t->sweep[0];
    c->mcm.beta_u = t->sweep[1];
    c->mcm.beta_v = t->sweep[2];
    c->diffusion.t = t->sweep[3];
    c->optim.delta = t->sweep[4];
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
