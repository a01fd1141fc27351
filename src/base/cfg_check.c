/* cfg_check — the rules that span several configuration keys (cfg_check_cross), each reported
 * with where the keys were set and what is expected. The per-key rules (type, range, enum) live
 * in the schema table of cfg_schema.c. Enum values are named as the schema spells them, so this
 * layer needs no computation module's C enums. */
#include "cfg_internal.h"
#include "base/limits.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static void check_coupling(const cfg_resolved *c, const unsigned char *ok, cfg_errors *err)
{
    int ic = cfg_find("mcm", "coupling"), in = cfg_find("mcm", "nu_law");
    if (!ok[ic] || !ok[in]) return;
    if (cfg_enum_is(ic, c->v.mcm.coupling, "independent") ||
        cfg_enum_is(in, c->v.mcm.nu_law, "rademacher"))
        return;
    char cb[32], nb[32];
    cfg_error_key(err, cfg_where(c, ic), "mcm", "coupling",
                  "coupling '%s' defines nu from lambda, which needs mcm.nu_law = rademacher "
                  "(got '%s' from %s), expected coupling = independent or nu_law = rademacher",
                  cfg_enum_name(ic, c->v.mcm.coupling, cb, sizeof cb),
                  cfg_enum_name(in, c->v.mcm.nu_law, nb, sizeof nb), c->origin[in]);
}

static void check_diffusion(const cfg_resolved *c, const unsigned char *ok, cfg_errors *err)
{
    int ilo = cfg_find("diffusion", "beta_min"), ihi = cfg_find("diffusion", "beta_max");
    int is = cfg_find("diffusion", "schedule"), it = cfg_find("diffusion", "t");
    char lo[32], hi[32], t[32];
    cfg_format_value(&c->v, ilo, lo, sizeof lo);
    cfg_format_value(&c->v, ihi, hi, sizeof hi);
    cfg_format_value(&c->v, it, t, sizeof t);
    if (ok[ilo] && ok[ihi] && c->v.diffusion.beta_max < c->v.diffusion.beta_min)
        cfg_error_key(err, cfg_where(c, ihi), "diffusion", "beta_max",
                      "%s is below diffusion.beta_min = %s (from %s), expected beta_max >= "
                      "beta_min",
                      hi, lo, c->origin[ilo]);
    if (ok[is] && ok[it] && cfg_enum_is(is, c->v.diffusion.schedule, "ddpm") &&
        c->v.diffusion.t > 1)
        cfg_error_key(err, cfg_where(c, it), "diffusion", "t",
                      "%s lies outside the ddpm time interval (schedule from %s), expected t in "
                      "[0, 1] with schedule = ddpm",
                      t, c->origin[is]);
}

static void check_dims(const cfg_resolved *c, const unsigned char *ok, cfg_errors *err)
{
    int id = cfg_find("mcm", "d");
    if (!ok[id]) return;
    const cfg_int_list *d = &c->v.mcm.d;
    for (int a = 0; a < d->n; a++)
        for (int b = 0; b < a; b++)
            if (d->v[a] == d->v[b]) {
                cfg_error_key(err, cfg_where(c, id), "mcm", "d",
                              "value %ld appears twice (elements %d and %d), expected distinct "
                              "dimensions",
                              d->v[a], b + 1, a + 1);
                return;
            }
}

static void check_task(const cfg_resolved *c, const unsigned char *ok, cfg_errors *err)
{
    int it = cfg_find("sample", "task"), id = cfg_find("mcm", "d"), is = cfg_find("run", "n_seeds");
    if (!ok[it] || !ok[id] || !ok[is]) return;
    long n_tasks = c->v.mcm.d.n * c->v.run.n_seeds;
    if (c->v.sample.task >= n_tasks)
        cfg_error_key(err, cfg_where(c, it), "sample", "task",
                      "%ld is not a task index (%d dimension(s) x %ld seed(s) = %ld tasks), "
                      "expected 0 <= task <= %ld",
                      c->v.sample.task, c->v.mcm.d.n, c->v.run.n_seeds, n_tasks, n_tasks - 1);
}

/* Tasks of a run: len(mcm.d) x run.n_seeds x the [sweep] combinations (spec/task.h builds the
 * list; each task holds a record on every rank, so the count is bounded before any is made). */
static void check_task_count(const cfg_resolved *c, const unsigned char *ok, cfg_errors *err)
{
    static const char *const keys[] = {"beta_m", "beta_u", "beta_v", "t", "delta"};
    const cfg_double_list *l[] = {&c->v.sweep.beta_m, &c->v.sweep.beta_u, &c->v.sweep.beta_v,
                                  &c->v.sweep.t, &c->v.sweep.delta};
    int id = cfg_find("mcm", "d"), is = cfg_find("run", "n_seeds");
    if (!ok[id] || !ok[is]) return;
    double combos = 1; /* at most 64^5: exact in a double */
    char lists[160] = "";
    size_t used = 0;
    for (int k = 0; k < 5; k++) {
        if (!ok[cfg_find("sweep", keys[k])]) return;
        if (l[k]->n == 0) continue;
        combos *= l[k]->n;
        used += (size_t)snprintf(lists + used, used < sizeof lists ? sizeof lists - used : 0,
                                 "%ssweep.%s: %d", used ? ", " : "", keys[k], l[k]->n);
    }
    double n = (double)c->v.mcm.d.n * (double)c->v.run.n_seeds * combos;
    if (n <= (double)LIMITS_MAX_TASKS) return;
    cfg_error_key(err, cfg_where(c, id), "mcm", "d",
                  "%d dimension(s) x run.n_seeds = %ld x %.0f sweep combination(s)%s%s%s = %.0f "
                  "tasks, expected at most %ld tasks per run",
                  c->v.mcm.d.n, c->v.run.n_seeds, combos, used ? " (" : "", lists, used ? ")" : "",
                  n, LIMITS_MAX_TASKS);
}

int cfg_slice_parse(const char *s, long *i, long *n)
{
    char tail;
    return sscanf(s, " %ld / %ld %c", i, n, &tail) == 2 && *i >= 1 && *i <= *n;
}

/* run.slice = i/n: a slice of the task list (tasks k with k mod n = i - 1), never empty. */
static void check_slice(const cfg_resolved *c, const unsigned char *ok, cfg_errors *err)
{
    int ic = cfg_find("run", "slice"), id = cfg_find("mcm", "d"), is = cfg_find("run", "n_seeds");
    long i = 0, n = 0;
    if (!ok[ic]) return;
    if (!cfg_slice_parse(c->v.run.slice, &i, &n)) {
        cfg_error_key(err, cfg_where(c, ic), "run", "slice",
                      "'%s' is not a slice, expected i/n with integers 1 <= i <= n (e.g. 2/4)",
                      c->v.run.slice);
        return;
    }
    if (!ok[id] || !ok[is]) return;
    double tasks = (double)c->v.mcm.d.n * (double)c->v.run.n_seeds;
    const cfg_double_list *l[] = {&c->v.sweep.beta_m, &c->v.sweep.beta_u, &c->v.sweep.beta_v,
                                  &c->v.sweep.t, &c->v.sweep.delta};
    static const char *const keys[] = {"beta_m", "beta_u", "beta_v", "t", "delta"};
    for (int k = 0; k < 5; k++) {
        if (!ok[cfg_find("sweep", keys[k])]) return;
        tasks *= l[k]->n > 0 ? l[k]->n : 1;
    }
    if ((double)n > tasks)
        cfg_error_key(err, cfg_where(c, ic), "run", "slice",
                      "%ld slices of %.0f tasks leave slices empty, expected n <= %.0f", n, tasks,
                      tasks);
}

/* The run length and the finite training set at the largest dimension fit their integers. */
static void check_budgets(const cfg_resolved *c, const unsigned char *ok, cfg_errors *err)
{
    int id = cfg_find("mcm", "d"), isa = cfg_find("train", "steps_alpha");
    int isp = cfg_find("train", "steps_power"), ina = cfg_find("train", "n_train_alpha");
    int inp = cfg_find("train", "n_train_power"), idata = cfg_find("train", "data");
    const cfg_t *v = &c->v;
    if (!ok[id]) return;
    double d = 0;
    for (int k = 0; k < v->mcm.d.n; k++)
        d = fmax(d, (double)v->mcm.d.v[k]);
    double steps = v->train.steps_alpha * pow(d, (double)v->train.steps_power);
    if (ok[isa] && ok[isp] && !(steps <= LIMITS_MAX_STEPS))
        cfg_error_key(err, cfg_where(c, isa), "train", "steps_alpha",
                      "the run length steps_alpha d^steps_power is %.3g steps at d = %.0f "
                      "(steps_power from %s), expected at most %.0e",
                      steps, d, c->origin[isp], LIMITS_MAX_STEPS);
    double n = v->train.n_train_alpha * pow(d, (double)v->train.n_train_power);
    if (ok[ina] && ok[inp] && ok[idata] && v->train.data != 0 && !(n <= LIMITS_MAX_TRAIN))
        cfg_error_key(err, cfg_where(c, ina), "train", "n_train_alpha",
                      "the training set n_train_alpha d^n_train_power is %.3g samples at d = %.0f "
                      "(n_train_power from %s), expected at most %.0e",
                      n, d, c->origin[inp], LIMITS_MAX_TRAIN);
}

/* Smallest training time the configuration can draw. */
static double train_t_min(const cfg_t *v)
{
    double lo = v->diffusion.t;
    if (v->train.times == 1)
        for (int k = 0; k < v->train.t_list.n; k++)
            lo = k ? fmin(lo, v->train.t_list.v[k]) : v->train.t_list.v[k];
    if (v->train.times == 2) lo = v->train.t_min;
    for (int k = 0; k < v->sweep.t.n; k++)
        lo = fmin(lo, v->sweep.t.v[k]);
    return lo;
}

static void check_train(const cfg_resolved *c, const unsigned char *ok, cfg_errors *err)
{
    int itimes = cfg_find("train", "times"), il = cfg_find("train", "t_list");
    int ilo = cfg_find("train", "t_min"), ihi = cfg_find("train", "t_max");
    int iloss = cfg_find("train", "loss");
    const cfg_t *v = &c->v;
    if (ok[itimes] && ok[il] && v->train.times == 1 && v->train.t_list.n == 0)
        cfg_error_key(err, cfg_where(c, itimes), "train", "times",
                      "'list' needs times in train.t_list (got none), expected train.t_list = "
                      "t1, t2, ...");
    if (ok[ilo] && ok[ihi] && v->train.t_max < v->train.t_min)
        cfg_error_key(err, cfg_where(c, ihi), "train", "t_max",
                      "below train.t_min (from %s), expected t_max >= t_min", c->origin[ilo]);
    if (ok[iloss] && v->train.loss != 0 && !(train_t_min(v) > 0))
        cfg_error_key(err, cfg_where(c, iloss), "train", "loss",
                      "the eps and score losses divide by sigma_t, which vanishes at t = 0, "
                      "expected every training time > 0 or loss = x0");
}

static void check_covar(const cfg_resolved *c, const unsigned char *ok, cfg_errors *err)
{
    int ir = cfg_find("covar", "grid_rows"), ic = cfg_find("covar", "grid_cols");
    int is = cfg_find("covar", "save_matrix"), ig = cfg_find("covar", "groups");
    const cfg_t *v = &c->v;
    if (ok[ir] && ok[ic] && (v->covar.grid_rows == 0) != (v->covar.grid_cols == 0))
        cfg_error_key(err, cfg_where(c, ir), "covar", "grid_rows",
                      "%ld rows with covar.grid_cols = %ld (from %s), expected both 0 "
                      "(near-square grid) or both positive",
                      v->covar.grid_rows, v->covar.grid_cols, c->origin[ic]);
    if (ok[is] && ok[ig] && v->covar.save_matrix && v->covar.groups != 1)
        cfg_error_key(err, cfg_where(c, is), "covar", "save_matrix",
                      "matrices are written by the whole job, but covar.groups = %ld (from %s), "
                      "expected covar.groups = 1 with save_matrix",
                      v->covar.groups, c->origin[ig]);
}

/* One key whose value the reduced engine cannot represent exactly (the chain of
 * src/core/reduced.md needs fresh isotropic Gaussian bulk and noise at every sample, and an
 * update that stays in the span of the parameters and the sample). */
static void reduced_refuse(const cfg_resolved *c, const char *sec, const char *key,
                           const char *what, const char *expected, cfg_errors *err)
{
    int ie = cfg_find("train", "engine"), ik = cfg_find(sec, key);
    char val[CFG_STR_MAX];
    cfg_format_value(&c->v, ik, val, sizeof val);
    cfg_error_key(err, cfg_where(c, ik), sec, key,
                  "'%s' with train.engine = reduced (from %s): %s, expected %s or "
                  "train.engine = direct",
                  val, c->origin[ie], what, expected);
}

static void check_engine(const cfg_resolved *c, const unsigned char *ok, cfg_errors *err)
{
    int ie = cfg_find("train", "engine"), io = cfg_find("optim", "kind");
    int id = cfg_find("train", "data"), im = cfg_find("model", "family");
    int iu = cfg_find("data", "file");
    const cfg_t *v = &c->v;
    if (!ok[ie] || !cfg_enum_is(ie, v->train.engine, "reduced")) return;
    if (ok[io] && cfg_enum_is(io, v->optim.kind, "adam"))
        reduced_refuse(c, "optim", "kind",
                       "Adam's per-coordinate moments are not rotation "
                       "invariant",
                       "optim.kind = sgd or spherical", err);
    if (ok[id] && cfg_enum_is(id, v->train.data, "finite"))
        reduced_refuse(c, "train", "data",
                       "a finite training set revisits samples, so the bulk "
                       "is not fresh",
                       "train.data = online", err);
    if (ok[im] && !cfg_enum_is(im, v->model.family, "neuron") &&
        !cfg_enum_is(im, v->model.family, "twolayer"))
        reduced_refuse(c, "model", "family", "its parameters are d x d or deep",
                       "model.family = neuron or twolayer", err);
    if (ok[iu] && strcmp(v->data.file, "none") != 0)
        reduced_refuse(c, "data", "file", "a user data set has no isotropic bulk",
                       "data.file = none", err);
}

/* Exact population test losses exist for the neuron and twolayer families on MCM data. */
static void check_exact_loss(const cfg_resolved *c, const unsigned char *ok, cfg_errors *err)
{
    int it = cfg_find("observe", "test_loss"), im = cfg_find("model", "family");
    int iu = cfg_find("data", "file");
    const cfg_t *v = &c->v;
    if (!ok[it] || !cfg_enum_is(it, v->observe.test_loss, "exact")) return;
    int fam_ok = !ok[im] || cfg_enum_is(im, v->model.family, "neuron") ||
                 cfg_enum_is(im, v->model.family, "twolayer");
    if (!fam_ok || (ok[iu] && strcmp(v->data.file, "none") != 0))
        cfg_error_key(err, cfg_where(c, it), "observe", "test_loss",
                      "exact population losses are computed for the neuron and twolayer "
                      "families on MCM data (model.family from %s, data.file from %s), expected "
                      "test_loss = sampled",
                      c->origin[im], c->origin[iu]);
}

/* The spectrum: a list needs its variances, one per dimension; a file needs a name; one init_q
 * or one per mode (a file's length is known only when it is read: checked there). */
static void check_gaussian_spectrum(const cfg_resolved *c, const unsigned char *ok, cfg_errors *err)
{
    int isp = cfg_find("gaussian", "spectrum"), il = cfg_find("gaussian", "lambdas");
    int iq = cfg_find("gaussian", "init_q"), id = cfg_find("mcm", "d");
    int ifile = cfg_find("gaussian", "file");
    const cfg_t *v = &c->v;
    if (!ok[isp] || !ok[il] || !ok[id]) return;
    int list = cfg_enum_is(isp, v->gaussian.spectrum, "list");
    int n = v->gaussian.lambdas.n;
    if (list && n == 0)
        cfg_error_key(err, cfg_where(c, isp), "gaussian", "spectrum",
                      "'list' needs variances in gaussian.lambdas (got none), expected "
                      "gaussian.lambdas = l1, l2, ... (one per dimension)");
    for (int k = 0; list && n > 0 && k < v->mcm.d.n; k++)
        if (v->mcm.d.v[k] != n) {
            cfg_error_key(err, cfg_where(c, il), "gaussian", "lambdas",
                          "%d variance(s) for mcm.d = %ld (from %s), expected one per "
                          "dimension",
                          n, v->mcm.d.v[k], c->origin[id]);
            break;
        }
    if (ok[ifile] && cfg_enum_is(isp, v->gaussian.spectrum, "file") &&
        !strcmp(v->gaussian.file, "none"))
        cfg_error_key(err, cfg_where(c, isp), "gaussian", "spectrum",
                      "'file' needs gaussian.file (got none), expected the HDF5 file of the "
                      "variances");
    int nq = v->gaussian.init_q.n;
    for (int k = 0; ok[iq] && nq > 1 && !cfg_enum_is(isp, v->gaussian.spectrum, "file") &&
                    !cfg_enum_is(isp, v->gaussian.spectrum, "empirical") && k < v->mcm.d.n;
         k++)
        if (v->mcm.d.v[k] != nq) {
            cfg_error_key(err, cfg_where(c, iq), "gaussian", "init_q",
                          "%d values for mcm.d = %ld (from %s), expected one value or one per "
                          "mode",
                          nq, v->mcm.d.v[k], c->origin[id]);
            break;
        }
}

/* An interval key pair: hi must lie above lo. */
static void check_above(const cfg_resolved *c, const unsigned char *ok, cfg_errors *err,
                        const char *lo_key, const char *hi_key)
{
    int ilo = cfg_find("gaussian", lo_key), ihi = cfg_find("gaussian", hi_key);
    double lo, hi;
    memcpy(&lo, (const char *)&c->v + cfg_schema[ilo].offset, sizeof lo);
    memcpy(&hi, (const char *)&c->v + cfg_schema[ihi].offset, sizeof hi);
    if (ok[ilo] && ok[ihi] && !(hi > lo))
        cfg_error_key(err, cfg_where(c, ihi), "gaussian", hi_key,
                      "%g is not above gaussian.%s = %g (from %s), expected %s > %s", hi, lo_key,
                      lo, c->origin[ilo], hi_key, lo_key);
}

/* Switches that apply only to some models or processes (gaussian-theory.md §2.3, §2.8). */
static void check_gaussian_switches(const cfg_resolved *c, const unsigned char *ok, cfg_errors *err)
{
    int im = cfg_find("gaussian", "model"), ip = cfg_find("gaussian", "process");
    int io = cfg_find("gaussian", "objective"), ipc = cfg_find("gaussian", "precond");
    int idy = cfg_find("gaussian", "dynamics");
    const cfg_t *v = &c->v;
    if (!ok[im] || !ok[ip] || !ok[io] || !ok[ipc] || !ok[idy]) return;
    char m[32];
    cfg_enum_name(im, v->gaussian.model, m, sizeof m);
    int fm = !strcmp(m, "flowmatch"), edm = cfg_enum_is(ip, v->gaussian.process, "edm");
    int x0 = cfg_enum_is(io, v->gaussian.objective, "x0");
    if (fm && (!edm || !x0))
        cfg_error_key(err, cfg_where(c, im), "gaussian", "model",
                      "flowmatch has its own path x_t = (1 - t) z + t x1 and velocity target, "
                      "expected gaussian.process = edm and gaussian.objective = x0 (the "
                      "defaults) with it");
    if (!cfg_enum_is(ipc, v->gaussian.precond, "none") && (fm || !edm || !x0))
        cfg_error_key(err, cfg_where(c, ipc), "gaussian", "precond",
                      "EDM preconditioning is defined for the edm process with x0 prediction "
                      "(model '%s'), expected precond = none otherwise",
                      m);
    if (cfg_enum_is(idy, v->gaussian.dynamics, "gd") && strcmp(m, "onelayer") && !fm)
        cfg_error_key(err, cfg_where(c, idy), "gaussian", "dynamics",
                      "discrete GD is implemented for the linear law only (model '%s'), "
                      "expected model = onelayer or flowmatch with dynamics = gd",
                      m);
    check_above(c, ok, err, "sigma_min", "sigma_max");
    check_above(c, ok, err, "tau_min", "tau_max");
}

/* data.source names where the training data come from; data.file belongs to source = file
 * (or to mcm, for configurations written before the key existed). */
static void check_source(const cfg_resolved *c, const unsigned char *ok, cfg_errors *err)
{
    int is = cfg_find("data", "source"), ifl = cfg_find("data", "file");
    const cfg_t *v = &c->v;
    if (!ok[is] || !ok[ifl]) return;
    int none = !strcmp(v->data.file, "none");
    if (cfg_enum_is(is, v->data.source, "file") && none)
        cfg_error_key(err, cfg_where(c, is), "data", "source",
                      "'file' needs data.file (got none), expected the HDF5 file of the data set");
    int isp = cfg_find("gaussian", "spectrum");
    int emp = ok[isp] && cfg_enum_is(isp, v->gaussian.spectrum, "empirical");
    if (cfg_enum_is(is, v->data.source, "gaussian") && !none && !emp)
        cfg_error_key(err, cfg_where(c, ifl), "data", "file",
                      "'%s' with data.source = gaussian (from %s), expected data.file = none "
                      "(the samples come from N(mean, U Lambda U^T) of [gaussian]; a data set "
                      "enters through gaussian.spectrum = empirical)",
                      v->data.file, c->origin[is]);
}

void cfg_check_cross(const cfg_resolved *c, const unsigned char *ok, cfg_errors *err)
{
    check_source(c, ok, err);
    check_exact_loss(c, ok, err);
    check_engine(c, ok, err);
    check_gaussian_spectrum(c, ok, err);
    check_gaussian_switches(c, ok, err);
    cfg_check_generate(c, ok, err);
    check_covar(c, ok, err);
    check_train(c, ok, err);
    check_coupling(c, ok, err);
    check_diffusion(c, ok, err);
    check_dims(c, ok, err);
    check_task(c, ok, err);
    check_task_count(c, ok, err);
    check_slice(c, ok, err);
    check_budgets(c, ok, err);
}
