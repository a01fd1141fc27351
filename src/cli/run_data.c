/* cmd_run_data — `mcmsim run` on a user data set; see include/run_data.h.
 *
 * Everything here happens before the output file is created, so a bad data set or a failed
 * factorisation leaves no partial output behind. */
#include "cli/run_data.h"

#include "cli/cmd.h"
#include "parallel/covar.h"
#include "parallel/dataset.h"
#include "parallel/dmat.h"
#include "base/log.h"
#include "parallel/par.h"
#include "parallel/clone_build.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RUN_DATA_MSG 2048

/* Appends one error line "FILE:LINE: key 'section.key': text" to msg. */
static void run_data_err(char *msg, const cfg_resolved *cr, const char *sec, const char *key,
                         const char *text)
{
    size_t n = strlen(msg);
    if (n > 0 && n + 1 < RUN_DATA_MSG) msg[n++] = '\n';
    cfg_key_error(msg + n, RUN_DATA_MSG - n, cr, cfg_find(sec, key), "%s", text);
}

void run_data_check_cfg(const cfg_resolved *cr)
{
    const cfg_t *c = &cr->v;
    char msg[RUN_DATA_MSG] = "", t[512];
    /* A user data set is already a finite training set; train.data = finite would draw a
     * second, MCM-sized subset of it with n_train_alpha d^n_train_power rows, a semantics
     * nobody asked for. Rows are sampled with replacement (online) instead. */
    if (c->train.data != 0) {
        snprintf(t, sizeof t,
                 "'finite' with data.file = %s: a user data set is sampled uniformly with "
                 "replacement from its training rows; expected train.data = online",
                 c->data.file);
        run_data_err(msg, cr, "train", "data", t);
    }
    /* beta_m, beta_u, beta_v are MCM parameters: sweeping them would train identical copies. */
    const cfg_double_list *sw[3] = {&c->sweep.beta_m, &c->sweep.beta_u, &c->sweep.beta_v};
    const char *names[3] = {"beta_m", "beta_u", "beta_v"};
    for (int k = 0; k < 3; k++)
        if (sw[k]->n > 0) {
            snprintf(t, sizeof t,
                     "a sweep of an MCM parameter with data.file = %s (the data do not depend "
                     "on it), expected none (sweeps of t and delta are allowed)",
                     c->data.file);
            run_data_err(msg, cr, "sweep", names[k], t);
        }
    if (c->mcm.d.n != 1) {
        snprintf(t, sizeof t,
                 "%d dimensions with data.file = %s, expected a single value: the data set's "
                 "number of columns",
                 c->mcm.d.n, c->data.file);
        run_data_err(msg, cr, "mcm", "d", t);
    }
    if (msg[0]) LOG_DIE_COLL(LOG_EXIT_USAGE, "%s", msg);
}

/* Test rows: the last round(f N) rows, at least one when f > 0; f = 0 tests on the training
 * rows. Exit 2 when fewer than 2 training rows remain (no covariance). */
static void run_data_split(const cfg_resolved *cr, long n, long *n_train, long *n_test)
{
    double f = cr->v.data.test_fraction;
    long nt = f > 0 ? lround(f * (double)n) : 0;
    if (f > 0 && nt < 1) nt = 1;
    *n_train = n - nt;
    *n_test = nt > 0 ? nt : n;
    if (*n_train < 2) {
        char t[512];
        snprintf(t, sizeof t,
                 "%g of %ld rows leaves %ld training rows, expected a fraction that leaves at "
                 "least 2 (the clones need a covariance)",
                 f, n, *n_train);
        char msg[RUN_DATA_MSG] = "";
        run_data_err(msg, cr, "data", "test_fraction", t);
        LOG_DIE_COLL(LOG_EXIT_USAGE, "%s", msg);
    }
}

/* Opens and validates the data set and checks mcm.d against its columns. */
static void run_data_open(dataset_t *ds, const cfg_resolved *cr)
{
    dataset_src src;
    cmd_data_source(cr, &src);
    dataset_open(ds, &src);
    long d = cr->v.mcm.d.v[0];
    if (d != ds->d) {
        char t[512], msg[RUN_DATA_MSG] = "";
        snprintf(t, sizeof t,
                 "%ld, but dataset '%s' in '%s' is %ld x %d; expected mcm.d = %d (the number of "
                 "columns)",
                 d, ds->name, ds->file_name, ds->n, ds->d, ds->d);
        run_data_err(msg, cr, "mcm", "d", t);
        dataset_close(ds);
        LOG_DIE_COLL(LOG_EXIT_USAGE, "%s", msg);
    }
}

long run_data_validate(const cfg_resolved *cr)
{
    /* A configuration may be checked before its data set exists (e.g. a ready input file whose
     * data.file is set on the command line): say so instead of failing. Every rank sees the
     * same file system answer only approximately, so rank 0 decides. */
    int readable = access(cr->v.data.file, R_OK) == 0;
    PAR_MPI(MPI_Bcast(&readable, 1, MPI_INT, 0, MPI_COMM_WORLD));
    if (!readable) {
        log_warn("data.file '%s' cannot be read yet: the data set is not validated and "
                 "its memory is not in the estimate\n",
                 cr->v.data.file);
        return 0;
    }
    dataset_t ds;
    run_data_open(&ds, cr);
    long n_train, n_test, n = ds.n;
    run_data_split(cr, n, &n_train, &n_test);
    dataset_close(&ds);
    return n;
}

/* The clones of the training rows (already in memory): covariance on a grid over every rank,
 * then clone_build. */
static void run_data_clone(run_data *rd, const cfg_resolved *cr)
{
    const cfg_t *c = &cr->v;
    int pr, pc;
    cmd_grid_shape(cr, log_size(), &pr, &pc);
    dmat_grid g;
    dmat_grid_init(&g, MPI_COMM_WORLD, pr, pc);
    covar_t cv;
    covar_from_rows(&cv, &g, rd->rows, rd->ed.d, rd->ed.n_train, c->covar.block,
                    (int)c->covar.block_size);
    rd->method_asked = c->clone.method;
    clone_build(&rd->clone, &cv.cov, cv.mean, (clone_method)c->clone.method, c->clone.jitter);
    covar_free(&cv);
    dmat_grid_free(&g);
    rd->ed.clone = &rd->clone;
}

/* Overlaps assume unit spikes: a vector given with another norm is normalised (and said so);
 * a zero vector stays zero (its overlaps are 0). */
static void run_data_unit(double *x, int d, const char *name)
{
    double q = 0;
    for (int i = 0; i < d; i++)
        q += x[i] * x[i];
    if (q == 0 || fabs(q - 1) < 1e-10) return;
    log_warn("data.spikes: %s has norm %.6g, normalised to 1 for the overlaps\n", name, sqrt(q));
    for (int i = 0; i < d; i++)
        x[i] /= sqrt(q);
}

void run_data_load(run_data *rd, const cfg_resolved *cr)
{
    memset(rd, 0, sizeof *rd);
    dataset_t ds;
    run_data_open(&ds, cr);
    engine_data *ed = &rd->ed;
    ed->d = ds.d;
    ed->n_rows = ds.n;
    run_data_split(cr, ds.n, &ed->n_train, &ed->n_test);
    rd->stored32 = ds.stored32;
    size_t d = (size_t)ds.d;
    rd->spikes = LOG_CALLOC(3 * d, sizeof(double));
    if (dataset_read_spikes(&ds, rd->spikes, rd->spikes + d, rd->spikes + 2 * d)) {
        const char *names[3] = {"m", "u", "v"};
        for (int k = 0; k < 3; k++)
            run_data_unit(rd->spikes + (size_t)k * d, ds.d, names[k]);
        ed->m = rd->spikes, ed->u = rd->spikes + d, ed->v = rd->spikes + 2 * d;
    } else {
        free(rd->spikes);
        rd->spikes = NULL;
    }
    /* Every rank holds every row: a training step may draw any of them (see engine.h). */
    rd->rows = LOG_CALLOC((size_t)ds.n * d, sizeof(double));
    dataset_read_rows(&ds, 0, ds.n, rd->rows);
    ed->rows = rd->rows;
    ed->test = ed->n_test < ed->n_rows ? rd->rows + (size_t)ed->n_train * d : rd->rows;
    dataset_close(&ds);
    run_data_clone(rd, cr);
    log_info("data: %s:%s, %ld x %d (%s), %ld training rows, %ld test rows; clone factor: %s "
             "(sbar %.4g, %d clipped)\n",
             cr->v.data.file, cr->v.data.dataset, ed->n_rows, ed->d,
             rd->stored32 ? "float32" : "float64", ed->n_train, ed->n_test,
             rd->clone.used == CLONE_CHOLESKY ? "cholesky" : "eigen", rd->clone.sbar,
             rd->clone.n_clipped);
}

void run_data_write(h5out_file *f, const run_data *rd, const cfg_resolved *cr)
{
    const cfg_t *c = &cr->v;
    const engine_data *ed = &rd->ed;
    char m[64];
    h5out_group(f, "/data",
                "the user data set trained on (data.file): training rows 0 .. n_train-1 drawn "
                "uniformly with replacement (stream purpose 10), test losses on the held-out "
                "rows; loss_gauss and loss_mean of /series refer to the Gaussian clone "
                "N(mean, Cov) and the mean clone N(mean, sbar I) of the training rows, sbar = "
                "tr(Cov)/d and jitter_abs = jitter sbar in x units^2; n_clipped: eigenvalues "
                "below -d eps lambda_max set to 0 (eigen factor; 0 for any covariance of data)");
    hid_t r = f->file;
    h5out_attr_str(r, "/data", "file", c->data.file);
    h5out_attr_str(r, "/data", "dataset", c->data.dataset);
    h5out_attr_str(r, "/data", "spikes", c->data.spikes);
    h5out_attr_str(r, "/data", "stored_precision", rd->stored32 ? "float32" : "float64");
    h5out_attr_long(r, "/data", "d", ed->d);
    h5out_attr_long(r, "/data", "n_rows", ed->n_rows);
    h5out_attr_long(r, "/data", "n_train", ed->n_train);
    h5out_attr_long(r, "/data", "n_test", ed->n_test);
    h5out_attr_long(r, "/data", "test_is_train", ed->test == ed->rows);
    h5out_attr_str(r, "/data", "clone_method_asked",
                   cfg_enum_name(cfg_find("clone", "method"), rd->method_asked, m, sizeof m));
    h5out_attr_str(r, "/data", "clone_method",
                   rd->clone.used == CLONE_CHOLESKY ? "cholesky" : "eigen");
    h5out_attr_double(r, "/data", "jitter", c->clone.jitter);
    h5out_attr_double(r, "/data", "jitter_abs", rd->clone.jitter_abs);
    h5out_attr_long(r, "/data", "n_clipped", rd->clone.n_clipped);
    h5out_attr_double(r, "/data", "sbar", rd->clone.sbar);
    hsize_t dd = (hsize_t)ed->d;
    h5out_write_all(f, "/data/mean", H5T_NATIVE_DOUBLE, 1, &dd, rd->clone.mu,
                    "[d] mean of the training rows: the mean of both clones", "x units");
}

void run_data_free(run_data *rd)
{
    free(rd->rows);
    free(rd->spikes);
    clone_free(&rd->clone);
    memset(rd, 0, sizeof *rd);
}
