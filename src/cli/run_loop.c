/* run_loop — the task loop of `mcmsim run`. See include/cli/run_loop.h. */
#include "cli/run_loop.h"

#include "base/log.h"
#include "engine/observe.h"
#include "spec/spec.h"
#include "parallel/par.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Rank 0, every status_every seconds: tasks done, steps/s, ETA, and how old the last checkpoint
 * is (the work a crash would lose now). */
static void run_loop_status_line(run_loop_status *st, long local_steps)
{
    double now = MPI_Wtime();
    if (log_rank() != 0 || st->every <= 0 || now - st->last < st->every) return;
    long tasks, steps;
    task_sched_progress(st->sched, &tasks, &steps);
    steps += local_steps; /* rank 0's current task is not reported yet */
    double el = now - st->t0, rate = el > 0 ? (double)steps / el : 0;
    double eta = rate > 0 ? (double)(st->total_steps - steps) / rate : NAN;
    char ck[96] = "";
    if (st->ctl && st->ctl->last_done > 0)
        snprintf(ck, sizeof ck, ", last checkpoint (%ld) %.0f s ago", st->ctl->seq,
                 now - st->ctl->last_done);
    else if (st->ctl)
        snprintf(ck, sizeof ck, ", no checkpoint written yet");
    log_info("status: %ld/%d tasks done, %.3g steps/s, ETA %.0f s%s\n", tasks, st->ntask, rate, eta,
             ck);
    st->last = now;
}

/* Rank 0 decides when to checkpoint (runctl) and raises the request every rank polls. */
static void run_loop_decide(run_loop_ctx *x)
{
    if (log_rank() != 0) return;
    int why = runctl_poll(x->rc, MPI_Wtime(), x->ctl->cost);
    if (why) task_sched_request(x->sched, (why & RUNCTL_STOP) != 0);
}

/* Collective checkpoint of everything this rank holds: finished records and the task in
 * progress (a, e; NULL between tasks). Returns 1 when the run must stop. */
static int run_loop_checkpoint(run_loop_ctx *x, long seen, const ckpt_record *a, const engine *e)
{
    long v[2] = {TASK_CTL_SEQ(seen), (seen & TASK_CTL_STOP) != 0};
    PAR_MPI(MPI_Allreduce(MPI_IN_PLACE, v, 2, MPI_LONG, MPI_MAX, MPI_COMM_WORLD));
    int n = x->nrec + (a != NULL);
    double **blobs = LOG_CALLOC((size_t)n + 1, sizeof(double *));
    size_t *lens = LOG_CALLOC((size_t)n + 1, sizeof(size_t));
    for (int i = 0; i < x->nrec; i++)
        lens[i] = ckpt_pack(&x->rec[i], NULL, &blobs[i]);
    if (a) lens[n - 1] = ckpt_pack(a, e, &blobs[n - 1]);
    ckpt_write(x->ctl, x->cr, blobs, lens, n);
    runctl_written(x->rc, MPI_Wtime());
    for (int i = 0; i < n; i++)
        free(blobs[i]);
    free(blobs);
    free(lens);
    x->handled = v[0];
    return (int)v[1];
}

/* Checks for checkpoint requests at most every 20 ms; returns 1 when the run must stop. */
static int run_loop_poll(run_loop_ctx *x, const ckpt_record *a, const engine *e, int force)
{
    double now = MPI_Wtime();
    if (!force && now - x->last_poll < 0.02) return 0;
    x->last_poll = now;
    run_loop_decide(x);
    long v = task_sched_control(x->sched);
    if (TASK_CTL_SEQ(v) > x->handled) return run_loop_checkpoint(x, v, a, e);
    return 0;
}

/* Runs (or resumes, blob != NULL) task t; returns 1 when the run must stop mid-task. */
static int run_loop_task(run_loop_ctx *x, const task_t *t, const double *blob, ckpt_record *rec)
{
    cfg_t c = x->cr->v;
    task_apply(t, &c);
    double t0 = MPI_Wtime();
    spec_train s;
    spec_train_build(&s, &c, t->d, t->id);
    /* Gaussian finite data: one training set per replica, shared by the levels (the one data
     * set a diffusion model is trained on at every noise level) */
    if (s.n_train) s.data_task = task_id(t->d, t->replica, 0);
    engine e;
    engine_init(&e, &s, OBS_EVAL_CHUNK, x->ud);
    observe_init(&rec->obs, &e, &s.observe);
    rec->k = t->index;
    rec->batch = e.B;
    rec->mmse = rec->obs.mmse;
    int left;
    if (blob) {
        ckpt_unpack_active(rec, &e, blob);
        left = rec->obs.cr.remaining;
    } else {
        rec->wall = 0;
        observe_maybe(&rec->obs, &e);
        left = observe_crossing(&rec->obs, &e, 1);
    }
    int stop = 0;
    /* With nothing to watch (a linear model has no rows) there is nothing to stop early on. */
    int early = s.observe.crossing.early_stop && rec->obs.cr.n > 0 && rec->obs.cr.nthr > 0;
    while (!stop && e.step < e.steps && !(early && left == 0)) {
        engine_step(&e);
        int seen = observe_maybe(&rec->obs, &e);
        left = observe_crossing(&rec->obs, &e, 0);
        if (left == 0 && early && !seen && e.step < e.steps)
            observe_now(&rec->obs, &e); /* the last observation of a task stopped early */
        if ((e.step & 1023) == 0) run_loop_status_line(x->st, e.step);
        if ((e.step & 63) == 0) {
            runctl_add_steps(x->rc, 64);
            rec->steps = e.step;
            double w = rec->wall;
            rec->wall = w + MPI_Wtime() - t0;
            stop = run_loop_poll(x, rec, &e, 0);
            rec->wall = w;
        }
    }
    rec->steps = e.step;
    rec->wall += MPI_Wtime() - t0;
    engine_free(&e);
    return stop;
}

/* Restart: finished records go to rank 0, tasks in progress are handed out first. */
int run_loop_restore(const ckpt_set *set, const task_list *tl, unsigned char *skip,
                     const double **active, double *cost, ckpt_record *rec)
{
    int nrec = 0;
    for (int i = 0; i < set->n; i++) {
        int k = ckpt_blob_task(set->blob[i]);
        if (k < 0 || k >= tl->n) LOG_DIE("checkpoint names task %d of %d", k, tl->n);
        if (ckpt_blob_active(set->blob[i])) {
            active[k] = set->blob[i];
            cost[k] = HUGE_VAL;
        } else {
            skip[k] = 1;
            if (log_rank() == 0) ckpt_unpack_finished(&rec[nrec++], set->blob[i]);
        }
    }
    return nrec;
}

/* Every rank takes tasks until none is left, then serves checkpoint requests until every task
 * is done. Returns 1 when a stop request ended the run early. */
int run_loop(run_loop_ctx *x, const task_list *tl, const double **active)
{
    ckpt_record cur;
    for (int k; (k = task_sched_next(x->sched)) >= 0;) {
        memset(&cur, 0, sizeof cur);
        int stop = run_loop_task(x, &tl->t[k], active[k], &cur);
        if (stop) {
            observe_free(&cur.obs);
            return 1;
        }
        x->rec[x->nrec++] = cur;
        task_sched_done(x->sched, cur.steps);
        if (run_loop_poll(x, NULL, NULL, 1)) return 1;
    }
    for (;;) {
        run_loop_decide(x);
        long v = task_sched_control(x->sched);
        if (TASK_CTL_SEQ(v) > x->handled) {
            if (run_loop_checkpoint(x, v, NULL, NULL)) return 1;
        } else if (v & TASK_CTL_FINISH) {
            return 0;
        } else if (log_rank() == 0 && v / TASK_CTL_DONE >= x->sched->ntask) {
            task_sched_finish(x->sched); /* no request pending: only rank 0 raises them */
        } else {
            usleep(2000);
        }
    }
}
