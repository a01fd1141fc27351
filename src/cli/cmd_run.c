/* cmd_run — `mcmsim run`: trains the configured denoiser on every task (d x sweep x replica),
 * tasks taken dynamically by the ranks, and writes the observers' series and final summaries.
 * Each rank keeps the records of the tasks it ran and writes exactly those rows. Set-up and
 * hand-over only: the task loop is cli/run_loop.h, when to checkpoint or stop cli/runctl.h,
 * the output datasets io/run_out.h. */
#include "cli/cmd.h"

#include "io/ckpt.h"
#include "io/run_out.h"
#include "parallel/dataset.h"
#include "engine/engine.h"
#include "base/log.h"
#include "engine/observe.h"
#include "cli/run_data.h"
#include "cli/run_gauss.h"
#include "cli/run_loop.h"
#include "cli/runctl.h"
#include "parallel/task_sched.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every task's engine must represent it (train.engine = reduced refuses what it cannot run
 * exactly); the first refusal ends the job as a usage error naming the key. */
static void run_check_engine(const cfg_resolved *cr, const task_list *tl)
{
    if (cr->v.observe.snapshots && cr->v.train.engine == SPEC_ENGINE_REDUCED)
        cfg_die_key(cr, cfg_find("observe", "snapshots"),
                    "true with train.engine = reduced, which evolves Gram coordinates, not the "
                    "parameters; expected train.engine = direct or snapshots = false");
    for (int k = 0; k < tl->n; k++) {
        cfg_t c = cr->v;
        task_apply(&tl->t[k], &c);
        const char *key = NULL, *why = spec_engine_refusal(&c, tl->t[k].d, &key);
        if (!why) continue;
        char sec[64];
        const char *dot = strchr(key, '.');
        snprintf(sec, sizeof sec, "%.*s", (int)(dot - key), key);
        cfg_die_key(cr, cfg_find(sec, dot + 1),
                    "train.engine = reduced at d = %d: %s, or "
                    "train.engine = direct",
                    tl->t[k].d, why);
    }
}

static void run_dry(const cfg_resolved *cr, const task_list *tl, long n_rows)
{
    const cfg_t *c = &cr->v;
    double steps = 0, np = 0, mem = 0, variates = 0, snap_out = 0;
    /* A user data set: every row and the clone factor (and its ScaLAPACK work) on every rank. */
    double dd = c->mcm.d.v[0], data = n_rows ? 8.0 * ((double)n_rows * dd + 3 * dd * dd) : 0;
    for (int k = 0; k < tl->n; k++) {
        model_spec s = spec_model(c, tl->t[k].d);
        double p = (double)model_count(&s), d = tl->t[k].d;
        double st = (double)spec_steps(c, tl->t[k].d);
        steps += st;
        np = fmax(np, p);
        variates += st * spec_step_variates(c, tl->t[k].d);
        /* The reduced engine holds O(r^2) coordinates and no evaluation set. */
        if (c->train.engine != SPEC_ENGINE_REDUCED)
            mem = fmax(mem, 8.0 * (4 * p + 6.0 * d * (double)c->observe.n_eval + 8 * d * 64));
        /* observe.snapshots: n_obs copies of theta per task, kept with the finished records until
         * the output is written (all of them on rank 0 after a restart: counted whole) */
        if (c->observe.snapshots) snap_out += 8.0 * (double)c->observe.n_obs * p;
    }
    mem += snap_out;
    mem += data + (spec_gauss_data(c) ? run_gauss_bytes(cr) : 0);
    double out =
        (double)tl->n * (double)c->observe.n_obs * (OBS_NSCALAR + 4 * c->model.K) * 8 + snap_out;
    if (spec_gauss_data(c)) /* /gaussian/sgd: [task][time][mode] x 2 and more; the theory */
        out += 8.0 * dd * ((double)tl->n * (double)c->observe.n_obs * 3 + 4.0 * c->gaussian.n_tau);
    char what[160];
    snprintf(what, sizeof what,
             "training (%s engine), %d tasks, %.3g steps in all, up to %.3g "
             "parameters",
             c->train.engine == SPEC_ENGINE_REDUCED ? "reduced" : "direct", tl->n, steps, np);
    cmd_dry_run_report(cr, what, mem + 65536, variates, out + 65536);
}

/* Checkpoint series and cadence of this invocation; the sequence continues after the index's
 * last. */
static void run_ctl_init(ckpt_ctl *ctl, runctl *rc, const cmd_opts *o, const cfg_resolved *cr)
{
    memset(ctl, 0, sizeof *ctl);
    const char *out = cmd_output_path(o, cr), *base = strrchr(out, '/');
    snprintf(ctl->dir, sizeof ctl->dir, "%s", cr->v.checkpoint.dir);
    snprintf(ctl->stem, sizeof ctl->stem, "%s", base ? base + 1 : out);
    char *dot = strrchr(ctl->stem, '.');
    if (dot && dot != ctl->stem) *dot = 0;
    ctl->keep = (int)cr->v.checkpoint.keep;
    runctl_init(rc, cr->v.checkpoint.every_seconds, cr->v.checkpoint.every_steps, o->time_limit,
                MPI_Wtime());
}

int cmd_run(const cmd_opts *o, const cfg_resolved *cr)
{
    const cfg_t *c = &cr->v;
    task_list tl;
    int user = spec_user_data(c), gauss = spec_gauss_data(c);
    if (user) run_data_check_cfg(cr);
    if (gauss) run_gauss_check_cfg(cr);
    task_list_from_run(&tl, c);
    run_check_engine(cr, &tl);
    if (o->dry_run) {
        run_dry(cr, &tl, user ? run_data_validate(cr) : 0);
        task_list_free(&tl);
        return LOG_EXIT_OK;
    }
    /* A user data set is validated, read and cloned before the output exists (no partial
     * file on a bad data set); a restart reads it again, like the configuration. */
    run_data rd;
    if (user) run_data_load(&rd, cr);
    run_gauss rg; /* the spectrum (a file is read here) and the basis, before any output */
    if (gauss) run_gauss_load(&rg, cr);
    ckpt_install_signals();
    ckpt_ctl ctl;
    runctl rc;
    run_ctl_init(&ctl, &rc, o, cr);
    if (user)
        ctl.data_fp =
            ckpt_fingerprint(rd.rows, (size_t)rd.ed.n_rows * (size_t)rd.ed.d * sizeof(double));
    if (gauss) /* a spectrum file changed between runs must not resume */
        ctl.data_fp = ckpt_fingerprint(rg.g.lambda, (size_t)rg.g.d * sizeof(double));
    ckpt_set set = {0};
    if (o->restart) ckpt_load(&ctl, cr, o->restart_path, &set);
    h5out_file f;
    h5out_create(&f, cmd_output_path(o, cr), cr, "run");
    double *cost = LOG_CALLOC((size_t)tl.n, sizeof(double));
    run_loop_status st = {
        .every = c->observe.status_every, .ntask = tl.n, .t0 = MPI_Wtime(), .ctl = &ctl};
    for (int k = 0; k < tl.n; k++) {
        cost[k] = (double)spec_steps(c, tl.t[k].d) * spec_step_variates(c, tl.t[k].d);
        st.total_steps += spec_steps(c, tl.t[k].d);
    }
    unsigned char *skip = LOG_CALLOC((size_t)tl.n, 1);
    const double **active = LOG_CALLOC((size_t)tl.n, sizeof(double *));
    ckpt_record *rec = LOG_CALLOC((size_t)tl.n, sizeof(ckpt_record));
    run_loop_ctx x = {.cr = cr,
                      .ud = user    ? &rd.ed
                            : gauss ? &rg.ed
                                    : NULL,
                      .st = &st,
                      .ctl = &ctl,
                      .rc = &rc,
                      .rec = rec};
    x.nrec = run_loop_restore(&set, &tl, skip, active, cost, rec);
    task_sched sch;
    task_sched_init(&sch, tl.n, cost, skip);
    st.sched = x.sched = &sch;
    st.last = st.t0;
    int stopped = run_loop(&x, &tl, active);
    task_sched_free(&sch);
    int nrec = x.nrec;
    if (stopped) {
        h5out_abandon(&f);
        if (log_rank() == 0) {
            FILE *m = fopen("CONTINUE", "w");
            if (m) fprintf(m, "%s/%s-%06ld.h5\n", ctl.dir, ctl.stem, ctl.seq), fclose(m);
        }
        log_info("stopped with checkpoint %ld; continue with --restart (exit 3)\n", ctl.seq);
    } else {
        cmd_write_tasks(&f, &tl);
        run_out_write(&f, c, &tl, rec, nrec);
        if (user) run_data_write(&f, &rd, cr);
        if (gauss) run_gauss_write(&f, &rg, cr, &tl, rec, nrec);
        run_out_timing(&f, &ctl, MPI_Wtime() - rc.t0);
        h5out_finish(&f);
        if (log_rank() == 0) remove("CONTINUE");
        log_info("wrote %s\n", cmd_output_path(o, cr));
    }
    for (int i = 0; i < nrec; i++)
        observe_free(&rec[i].obs);
    free(rec), free(cost), free(skip), free(active);
    ckpt_set_free(&set);
    task_list_free(&tl);
    if (user) run_data_free(&rd);
    if (gauss) run_gauss_free(&rg);
    return stopped ? LOG_EXIT_CHECKPOINT : LOG_EXIT_OK;
}
