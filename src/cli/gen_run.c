/* gen_run — the trained model of a run file as the generate denoiser; see include/cli/gen_run.h.
 * Everything here happens before the output file exists: a refusal leaves no output. */
#include "cli/gen_run.h"

#include "base/log.h"
#include "cli/cmd.h"
#include "core/mcm_moments.h"
#include "parallel/par.h"

#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { GR_OK, GR_OPEN, GR_INCOMPLETE, GR_CONFIG, GR_NOSNAP, GR_SHAPE };

/* Dataset path of fid as doubles with its dims (at most 3); NULL when absent or of another
 * rank. */
static double *gr_read_ds(hid_t fid, const char *path, int rank, hsize_t *dims)
{
    if (H5Lexists(fid, path, H5P_DEFAULT) <= 0) return NULL;
    hid_t ds = H5Dopen2(fid, path, H5P_DEFAULT), sp = ds >= 0 ? H5Dget_space(ds) : -1;
    double *buf = NULL;
    if (sp >= 0 && H5Sget_simple_extent_ndims(sp) == rank) {
        H5Sget_simple_extent_dims(sp, dims, NULL);
        hssize_t n = H5Sget_simple_extent_npoints(sp);
        buf = LOG_CALLOC((size_t)n + 1, sizeof(double));
        if (H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
            free(buf), buf = NULL;
    }
    if (sp >= 0) H5Sclose(sp);
    if (ds >= 0) H5Dclose(ds);
    return buf;
}

/* Rank 0: the run file's configuration (into tmp) and snapshots; returns a GR_* code. */
static int gr_read(gen_run *g, const char *path, char *tmp, size_t len)
{
    hid_t fid = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (fid < 0) return GR_OPEN;
    long complete = 0;
    if (H5Aexists(fid, "complete") > 0) {
        hid_t at = H5Aopen(fid, "complete", H5P_DEFAULT);
        H5Aread(at, H5T_NATIVE_LONG, &complete);
        H5Aclose(at);
    }
    int code = complete != 1 ? GR_INCOMPLETE : cmd_config_text(fid, tmp, len) ? GR_CONFIG : GR_OK;
    hsize_t d3[3] = {0}, d2[2] = {0}, d1[1] = {0};
    if (code == GR_OK) {
        g->theta = gr_read_ds(fid, "/snapshots/theta", 3, d3);
        g->step = gr_read_ds(fid, "/snapshots/step", 2, d2);
        g->npar = gr_read_ds(fid, "/snapshots/n_param", 1, d1);
        if (!g->theta || !g->step || !g->npar)
            code = GR_NOSNAP;
        else if (d2[0] != d3[0] || d1[0] != d3[0] || d2[1] != d3[1])
            code = GR_SHAPE;
    }
    g->tl.n = (int)d3[0], g->nobs = (int)d3[1], g->np = (size_t)d3[2];
    H5Fclose(fid);
    return code;
}

static void gr_bcast(double **a, size_t n)
{
    if (log_rank() != 0) *a = LOG_CALLOC(n + 1, sizeof(double));
    PAR_MPI(MPI_Bcast(*a, (int)n, MPI_DOUBLE, 0, MPI_COMM_WORLD));
}

/* Collective: the run file on every rank, or exit 2 naming generate.run_file. */
static void gr_load_file(gen_run *g, const cfg_resolved *gcr)
{
    const char *path = gcr->v.generate.run_file;
    int key = cfg_find("generate", "run_file");
    if (strcmp(path, "none") == 0)
        cfg_die_key(gcr, key,
                    "none with generate.score = model, expected the output of "
                    "'mcmsim run' with observe.snapshots = true");
    char tmp[512] = "";
    int code = log_rank() == 0 ? gr_read(g, path, tmp, sizeof tmp) : GR_OK;
    long shape[4] = {code, g->tl.n, g->nobs, (long)g->np};
    PAR_MPI(MPI_Bcast(shape, 4, MPI_LONG, 0, MPI_COMM_WORLD));
    static const char *const why[] = {"",
                                      "cannot be opened as an HDF5 file",
                                      "is not a complete mcmsim output (complete != 1)",
                                      "has no readable /config",
                                      "has no /snapshots: run it with observe.snapshots = true",
                                      "has /snapshots datasets of inconsistent shapes"};
    if (shape[0] != GR_OK) {
        if (log_rank() == 0 && tmp[0]) remove(tmp);
        cfg_die_key(gcr, key, "'%s' %s, expected a finished run output with snapshots", path,
                    why[shape[0]]);
    }
    g->tl.n = (int)shape[1], g->nobs = (int)shape[2], g->np = (size_t)shape[3];
    size_t nt = (size_t)g->tl.n, no = (size_t)g->nobs;
    gr_bcast(&g->theta, nt * no * g->np);
    gr_bcast(&g->step, nt * no);
    gr_bcast(&g->npar, nt);
    PAR_MPI(MPI_Bcast(tmp, sizeof tmp, MPI_CHAR, 0, MPI_COMM_WORLD));
    g->cr = LOG_CALLOC(1, sizeof *g->cr);
    par_cfg_load(tmp, NULL, 0, g->cr);
    if (log_rank() == 0) remove(tmp);
    int ntask = g->tl.n;
    task_list_from_run(&g->tl, &g->cr->v);
    if (g->tl.n != ntask)
        cfg_die_key(gcr, key, "'%s': %d snapshot rows for the %d tasks of its configuration", path,
                    ntask, g->tl.n);
}

/* Exit 2 at generate.score naming the run's key: the model defines no denoiser to generate
 * with. */
#define GR_REFUSE(gcr, ...) cfg_die_key((gcr), cfg_find("generate", "score"), __VA_ARGS__)

static void gr_refuse_process(const cfg_resolved *gcr, const cfg_t *rc, const spec_gen *sg)
{
    static const char *const sch[] = {"ou", "ve", "ddpm"};
    int ve = rc->diffusion.schedule == DIFF_VE, ddim = sg->plan.kind == GEN_DDIM;
    if (ve == ddim)
        cfg_die_key(gcr, cfg_find("generate", "sampler"),
                    "the run trained on diffusion.schedule = %s (%s) but this sampler integrates "
                    "the %s process, expected %s",
                    sch[rc->diffusion.schedule], ve ? "EDM/VE: alpha = 1" : "VP",
                    ddim ? "VP" : "EDM", ve ? "euler or heun" : "ddim");
}

/* Levels outside the trained ones are the model's extrapolation: allowed, said once. */
static void gr_warn_range(const cfg_t *rc, const spec_gen *sg)
{
    double t0 = rc->train.t_min, t1 = rc->train.t_max, a, s;
    if (rc->train.times == DIFF_TIME_LIST) {
        t0 = t1 = rc->train.t_list.v[0];
        for (int i = 1; i < rc->train.t_list.n; i++)
            t0 = fmin(t0, rc->train.t_list.v[i]), t1 = fmax(t1, rc->train.t_list.v[i]);
    }
    diff_schedule ds = {.kind = (diff_kind)rc->diffusion.schedule,
                        .beta_min = rc->diffusion.beta_min,
                        .beta_max = rc->diffusion.beta_max};
    double lo, hi;
    diff_coeffs(&ds, t0, &a, &s), lo = s / a;
    diff_coeffs(&ds, t1, &a, &s), hi = s / a;
    /* with teleportation the model first runs at sigma_skip */
    double top = sg->plan.sigma_skip > 0 ? sg->plan.sigma_skip : sg->plan.sigma_max;
    if (top > hi * (1 + 1e-9) || sg->plan.sigma_min < lo * (1 - 1e-9))
        log_warn("generate: the model's levels [%g, %g] reach beyond the trained ones [%.4g, %.4g] "
                 "(sigma_t / alpha_t of train.t_min .. t_max): the model extrapolates there\n",
                 sg->plan.sigma_min, top, lo, hi);
}

/* A neural family with the engine's fixed skip, trained over several times, with an activation
 * that does not depend on t. */
static void gr_refuse_neural(const cfg_resolved *gcr, const cfg_t *rc, const spec_gen *sg)
{
    static const char *const skips[] = {"fixed", "trainable", "none"};
    if (rc->train.times == DIFF_TIME_FIXED)
        GR_REFUSE(gcr,
                  "model in '%s': train.times = fixed, the model was trained at a single time "
                  "only (diffusion.t = %g) and defines no denoiser at the other levels; expected "
                  "a run with train.times = range or list",
                  gcr->v.generate.run_file, rc->diffusion.t);
    if (rc->model.skip != SKIP_FIXED)
        GR_REFUSE(gcr,
                  "model in '%s': model.skip = %s has no time input, one output for every level "
                  "(in effect trained at a single time only); expected model.skip = fixed (the "
                  "engine's alpha_t x_t)",
                  gcr->v.generate.run_file, skips[rc->model.skip]);
    if (rc->model.activation == ACT_MATCHED_U || rc->model.activation == ACT_MATCHED_V)
        GR_REFUSE(gcr,
                  "model in '%s': model.activation = %s is matched to the time diffusion.t = %g, "
                  "so the model was trained at a single time only; expected an activation "
                  "that does not depend on t (tanh, erf, relu, linear, hermite)",
                  gcr->v.generate.run_file,
                  rc->model.activation == ACT_MATCHED_U ? "matched_u" : "matched_v",
                  rc->diffusion.t);
    gr_refuse_process(gcr, rc, sg);
    gr_warn_range(rc, sg);
}

/* Linear families: one W per level on Gaussian data, generated on those levels. */
static void gr_refuse_linear(const cfg_resolved *gcr, const cfg_t *rc, const spec_gen *sg)
{
    const char *f = gcr->v.generate.run_file;
    if (!spec_gauss_data(rc))
        GR_REFUSE(gcr,
                  "model in '%s': model.family = %s has no time input and no skip: one W for "
                  "every level, trained at a single time only (train.times); expected "
                  "data.source = gaussian with a [sweep] t list (one W per level)",
                  f, rc->model.family == MODEL_LINEAR ? "linear" : "symlinear");
    int nlev = rc->sweep.t.n > 0 ? rc->sweep.t.n : 1;
    if (nlev < 2)
        GR_REFUSE(gcr,
                  "model in '%s': one W at diffusion.t = %g, trained at a single time only; "
                  "expected a [sweep] t list of at least 2 levels (the sampler's grid)",
                  f, rc->diffusion.t);
    if (sg->plan.kind == GEN_DDIM)
        cfg_die_key(gcr, cfg_find("generate", "sampler"),
                    "ddim, but the W of '%s' were trained on the EDM/VE process, expected euler "
                    "or heun",
                    f);
    double *lam = LOG_CALLOC((size_t)rc->mcm.d.v[0], sizeof(double));
    int bad = spec_gen_lambda(rc, (int)rc->mcm.d.v[0], lam);
    free(lam);
    if (bad)
        GR_REFUSE(gcr,
                  "model in '%s': its gaussian.spectrum is a file (or a list of another length); "
                  "the comparison needs a law or a list of d variances",
                  f);
    if (rc->gaussian.basis != 0 || rc->gaussian.mean != 0)
        GR_REFUSE(gcr,
                  "model in '%s': gaussian.basis = random or gaussian.mean = %g; the generated "
                  "modes are compared along the axes of zero-mean data, expected basis = "
                  "identity and mean = 0",
                  f, rc->gaussian.mean);
}

/* MCM data with exact moments (the comparison values), no user data set. */
static void gr_refuse_data(const gen_run *g, const cfg_resolved *gcr)
{
    const cfg_t *rc = &g->cr->v;
    if (spec_user_data(rc))
        GR_REFUSE(gcr,
                  "model in '%s' was trained on data.file = %s, whose exact law is unknown; "
                  "expected a run on MCM or Gaussian data",
                  gcr->v.generate.run_file, rc->data.file);
    if (rc->train.engine == SPEC_ENGINE_REDUCED || !rc->observe.snapshots)
        GR_REFUSE(gcr,
                  "'%s' holds no parameter snapshots (observe.snapshots, train.engine = "
                  "direct)",
                  gcr->v.generate.run_file);
    for (int k = 0; k < g->tl.n; k++) {
        cfg_t tc = *rc;
        task_apply(&g->tl.t[k], &tc);
        model_spec ms = spec_model(&tc, g->tl.t[k].d);
        if ((double)model_count(&ms) != g->npar[k])
            GR_REFUSE(gcr, "'%s': task %d has %g parameters in /snapshots, its model %zu",
                      gcr->v.generate.run_file, k, g->npar[k], model_count(&ms));
        if (spec_gauss_data(rc)) continue;
        mcm_params p = spec_mcm(&tc, g->tl.t[k].d);
        if (!mcm_moments_exact(&p))
            GR_REFUSE(gcr,
                      "the MCM of '%s' has no exact moments (mixture or non-orthonormal "
                      "spikes) to compare the generated statistics with",
                      gcr->v.generate.run_file);
    }
}

/* Levels mode: per replica, the level tasks sorted by level, descending. */
static void gr_levels(gen_run *g)
{
    const cfg_t *rc = &g->cr->v;
    int nrep = (int)rc->run.n_seeds;
    g->nlev = g->tl.n / nrep;
    g->lev_task = LOG_CALLOC((size_t)g->tl.n, sizeof(int));
    g->lev = LOG_CALLOC((size_t)g->nlev, sizeof(double));
    int *fill = LOG_CALLOC((size_t)nrep, sizeof(int));
    for (int k = 0; k < g->tl.n; k++) {
        int r = g->tl.t[k].replica;
        g->lev_task[r * g->nlev + fill[r]++] = k;
    }
    for (int r = 0; r < nrep; r++) /* insertion sort by level, descending */
        for (int i = 1; i < g->nlev; i++)
            for (int j = i; j > 0; j--) {
                int *a = &g->lev_task[r * g->nlev + j];
                cfg_t c0 = *rc, c1 = *rc;
                task_apply(&g->tl.t[a[-1]], &c0);
                task_apply(&g->tl.t[a[0]], &c1);
                if (c1.diffusion.t <= c0.diffusion.t) break;
                int t = a[0];
                a[0] = a[-1], a[-1] = t;
            }
    for (int i = 0; i < g->nlev; i++) {
        cfg_t c = *rc;
        task_apply(&g->tl.t[g->lev_task[i]], &c);
        g->lev[i] = c.diffusion.t; /* ve: sigma = t */
    }
    free(fill);
    g->eta = spec_optim(rc, g->tl.t[0].d, spec_steps(rc, g->tl.t[0].d)).lr;
}

/* Jobs: every snapshot of every task (levels: of every replica, all levels at that snapshot). */
static void gr_jobs(gen_run *g)
{
    int nunit = g->levels ? (int)g->cr->v.run.n_seeds : g->tl.n;
    g->job = LOG_CALLOC((size_t)nunit * (size_t)g->nobs + 1, sizeof *g->job);
    for (int u = 0; u < nunit; u++)
        for (int j = 0; j < g->nobs; j++) {
            int k = g->levels ? g->lev_task[u * g->nlev] : u;
            double st = g->step[(size_t)k * (size_t)g->nobs + (size_t)j];
            if (isnan(st)) continue;
            for (int i = 1; g->levels && i < g->nlev; i++)
                if (g->step[(size_t)g->lev_task[u * g->nlev + i] * (size_t)g->nobs + (size_t)j] !=
                    st)
                    LOG_DIE_COLL(LOG_EXIT_USAGE,
                                 "'%s': the levels of replica %d were observed at different "
                                 "steps",
                                 g->cr->v.generate.run_file, u);
            g->job[g->njob++] = (gen_run_job){.task = k, .obs = j, .step = st};
        }
    g->jobs.n = g->njob;
    g->jobs.t = LOG_CALLOC((size_t)g->njob + 1, sizeof(task_t));
    for (int j = 0; j < g->njob; j++) {
        g->jobs.t[j] = g->tl.t[g->job[j].task];
        g->jobs.t[j].index = j;
    }
}

void gen_run_load(gen_run *g, const cfg_resolved *gcr, const spec_gen *sg)
{
    memset(g, 0, sizeof *g);
    gr_load_file(g, gcr);
    const cfg_t *rc = &g->cr->v;
    gr_refuse_data(g, gcr);
    int fam = rc->model.family;
    g->levels = fam == MODEL_LINEAR || fam == MODEL_SYMLINEAR;
    if (g->levels)
        gr_refuse_linear(gcr, rc, sg);
    else
        gr_refuse_neural(gcr, rc, sg);
    if (g->levels) gr_levels(g);
    gr_jobs(g);
    if (g->njob == 0)
        cfg_die_key(gcr, cfg_find("generate", "run_file"), "'%s' holds no snapshot",
                    gcr->v.generate.run_file);
}

void gen_run_free(gen_run *g)
{
    free(g->theta), free(g->step), free(g->npar), free(g->lev_task), free(g->lev);
    free(g->job), free(g->jobs.t), free(g->cr);
    task_list_free(&g->tl);
    memset(g, 0, sizeof *g);
}

void gen_run_task_cfg(const gen_run *g, int j, cfg_t *c)
{
    *c = g->cr->v;
    task_apply(&g->tl.t[g->job[j].task], c);
}

/* The net of run task k at snapshot obs, its model as the run built it. */
static void gr_net(const gen_run *g, int k, int obs, model *m, int *skip)
{
    cfg_t c = g->cr->v;
    const task_t *t = &g->tl.t[k];
    task_apply(t, &c);
    spec_train s;
    spec_train_build(&s, &c, t->d, t->id);
    model_init(m, &s.model, s.seed, (uint32_t)s.task, 1);
    memcpy(m->theta, &g->theta[((size_t)k * (size_t)g->nobs + (size_t)obs) * g->np],
           m->np * sizeof(double));
    *skip = s.fixed_skip;
}

void gen_run_model(const gen_run *g, int j, gen_model *gm)
{
    const gen_run_job *jb = &g->job[j];
    int n = g->levels ? g->nlev : 1, r = g->tl.t[jb->task].replica;
    *gm = (gen_model){.net = LOG_CALLOC((size_t)n, sizeof(model)),
                      .n_net = n,
                      .level = g->levels ? g->lev : NULL};
    for (int i = 0; i < n; i++)
        gr_net(g, g->levels ? g->lev_task[r * g->nlev + i] : jb->task, jb->obs, &gm->net[i],
               &gm->skip);
}

void gen_run_model_free(gen_model *gm)
{
    for (int i = 0; i < gm->n_net; i++)
        model_free(&gm->net[i]);
    free(gm->net);
    memset(gm, 0, sizeof *gm);
}
