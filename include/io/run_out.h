/* run_out — the output datasets of a finished `mcmsim run` (src/io/run_out.c): /series (the
 * observations of every task), /crossing (first threshold crossings, reduced over the ranks, and
 * what analysis_write makes of them: /scaling, /theory), /summary (the last observation and the
 * facts of every task) and /timing; and the summary table printed on rank 0.
 *
 * Every rank passes the records of the tasks it ran (or holds from a restart): the rows of a
 * task are written by the rank that holds it, whole-file datasets are reduced over the ranks
 * (disjoint rows summed) first, so the numbers never depend on who ran what. */
#ifndef MCMSIM_RUN_OUT_H
#define MCMSIM_RUN_OUT_H

#include "base/cfg.h"
#include "io/ckpt.h"
#include "io/h5out.h"
#include "spec/task.h"

/* Collective: /series, /crossing, /scaling, /theory and /summary from this rank's records
 * (sorted here by task), then the summary table on rank 0. The task table (/tasks) is the
 * caller's. */
void run_out_write(h5out_file *f, const cfg_t *c, const task_list *tl, ckpt_record *rec, int nrec);
/* Collective: /timing, the wall-clock facts of this invocation and its checkpoints. */
void run_out_timing(h5out_file *f, const ckpt_ctl *ctl, double seconds);

#endif
