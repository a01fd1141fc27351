/* limits — the size limits of a run, stated once. The configuration checks them as the bounds
 * of its keys (base/cfg_schema.c) and in its cross-key rules (base/cfg_check.c), and the layers
 * above rely on them (spec/task.h: the task ids and their number; spec/spec.c: run lengths;
 * core/act.c: the Hermite recurrence; parallel/dataset.c: the columns of a user data set), so
 * they live at the bottom of the tree where every layer can see them. */
#ifndef MCMSIM_LIMITS_H
#define MCMSIM_LIMITS_H

/* Replicas (run.n_seeds) per dimension and sweep combination: the task id packs
 * replica + LIMITS_MAX_REPLICAS d into its low 32 bits. */
#define LIMITS_MAX_REPLICAS 4096
/* Largest dimension d: the low 32 bits of the task id hold every replica of it. */
#define LIMITS_MAX_D ((int)((1ULL << 32) / LIMITS_MAX_REPLICAS - 1))
/* Smallest dimension d: the MCM has three spike directions m, u, v. */
#define LIMITS_MIN_D 3
/* Tasks of one run, len(mcm.d) x run.n_seeds x every [sweep] combination: the task list and
 * the per-task records live whole on every rank, so a slip in a sweep list is refused here
 * (base/cfg_check.c) instead of exhausting memory. */
#define LIMITS_MAX_TASKS (1L << 20)
/* Longest run of one task, steps = ceil(train.steps_alpha d^steps_power), and largest finite
 * training set, n_train_alpha d^n_train_power: both become 64-bit integers (spec/spec.c). */
#define LIMITS_MAX_STEPS 1e15
#define LIMITS_MAX_TRAIN 1e15
/* Largest order k of the Hermite activation He_k. */
#define LIMITS_MAX_HERMITE_K 12

#endif
