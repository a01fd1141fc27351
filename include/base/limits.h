/* limits — the size limits of a run, stated once. The configuration checks them as the bounds
 * of its keys (base/cfg_schema.c) and the layers above rely on them (spec/task.h: the task ids;
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
/* Largest order k of the Hermite activation He_k. */
#define LIMITS_MAX_HERMITE_K 12

#endif
