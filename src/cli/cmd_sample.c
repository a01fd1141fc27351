/* cmd_sample — `mcmsim sample`: sample.n draws of x0 and x_t with their latents for task
 * sample.task, rows split in contiguous ranges over ranks and written collectively in rounds
 * of bounded memory. Row i is sample index i of the task's streams, whatever the rank count. */
#include "cli/cmd.h"

#include "io/h5out.h"
#include "base/log.h"
#include "parallel/h5chk.h"

#include <stdlib.h>

/* At most this many doubles of x0 per rank and round (128 MiB). */
#define SAMPLE_ROUND_DOUBLES (1L << 24)

typedef struct {
    hid_t x0, xt, lambda, nu, label;
} sample_sets;

static void sample_create(h5out_file *f, const task_t *t, long n, double al, double sg, double time,
                          sample_sets *s)
{
    hsize_t dx[2] = {(hsize_t)n, (hsize_t)t->d}, dn = (hsize_t)n;
    h5out_group(f, "/samples", "draws of the mixed cumulant model; row i is sample index i");
    h5out_attr_long(f->file, "/samples", "d", t->d);
    h5out_attr_long(f->file, "/samples", "replica", t->replica);
    h5out_attr_long(f->file, "/samples", "task_id", (long)t->id);
    h5out_attr_double(f->file, "/samples", "t", time);
    h5out_attr_double(f->file, "/samples", "alpha_t", al);
    h5out_attr_double(f->file, "/samples", "sigma_t", sg);
    s->x0 = h5out_create_dataset(f, "/samples/x0", H5T_NATIVE_DOUBLE, 2, dx,
                                 "clean samples x0 of the MCM, eq. (1)", "x units");
    s->xt = h5out_create_dataset(f, "/samples/xt", H5T_NATIVE_DOUBLE, 2, dx,
                                 "noised samples x_t = alpha_t x0 + sigma_t xi", "x units");
    s->lambda = h5out_create_dataset(f, "/samples/lambda", H5T_NATIVE_DOUBLE, 1, &dn,
                                     "Gaussian latent of the covariance spike u", "1");
    s->nu =
        h5out_create_dataset(f, "/samples/nu", H5T_NATIVE_DOUBLE, 1, &dn,
                             "non-Gaussian latent of the cumulant spike v (unit variance)", "1");
    s->label = h5out_create_dataset(f, "/samples/label", H5T_NATIVE_INT, 1, &dn,
                                    "mixture label y: +1 model, -1 isotropic (always +1 "
                                    "without mixture)",
                                    "1");
}

static void sample_close(sample_sets *s)
{
    hid_t ids[5] = {s->x0, s->xt, s->lambda, s->nu, s->label};
    for (int i = 0; i < 5; i++)
        H5CHK(H5Dclose(ids[i]));
}

static void sample_model(h5out_file *f, const mcm_model *mod)
{
    hsize_t d = (hsize_t)mod->p.d;
    h5out_group(f, "/model", "the spikes of the sampled task");
    h5out_write_all(f, "/model/m", H5T_NATIVE_DOUBLE, 1, &d, mod->m, "mean spike m", "1");
    h5out_write_all(f, "/model/u", H5T_NATIVE_DOUBLE, 1, &d, mod->u,
                    "covariance spike u (Gaussian latent)", "1");
    h5out_write_all(f, "/model/v", H5T_NATIVE_DOUBLE, 1, &d, mod->v,
                    "cumulant spike v (non-Gaussian latent, whitened)", "1");
    h5out_attr_double(f->file, "/model", "c_S", mod->c_S);
}

int cmd_sample(const cmd_opts *o, const cfg_resolved *cr)
{
    const cfg_t *c = &cr->v;
    task_list tl;
    task_list_make(&tl, c->mcm.d.v, c->mcm.d.n, (int)c->run.n_seeds);
    const task_t t = tl.t[c->sample.task];
    task_list_free(&tl);
    long n = c->sample.n, d = t.d, size = log_size(), rank = log_rank();
    long chunk = (n + size - 1) / size, row0 = rank * chunk < n ? rank * chunk : n;
    long mine = row0 + chunk <= n ? chunk : n - row0;
    long per_round = SAMPLE_ROUND_DOUBLES / d > 0 ? SAMPLE_ROUND_DOUBLES / d : 1;
    if (o->dry_run) {
        long rows = chunk < per_round ? chunk : per_round;
        cmd_dry_run_report(cr, "sample", 2.0 * 8 * (double)rows * (double)d,
                           (double)n * (2.0 * (double)d + 2),
                           (double)n * (16.0 * (double)d + 20) + 65536);
        return LOG_EXIT_OK;
    }
    h5out_file f;
    h5out_create(&f, cmd_output_path(o, cr), cr, "sample");
    mcm_params p = spec_mcm(c, (int)d);
    double al, sg;
    spec_coeffs(c, &al, &sg);
    uint32_t seed = (uint32_t)c->run.seed;
    mcm_model mod;
    mcm_init(&mod, &p, seed, t.id);
    sample_sets s;
    sample_create(&f, &t, n, al, sg, c->diffusion.t, &s);
    size_t rows = (size_t)(per_round < chunk ? per_round : (chunk > 0 ? chunk : 1));
    double *X = LOG_CALLOC(rows * (size_t)d, sizeof(double));
    double *XT = LOG_CALLOC(rows * (size_t)d, sizeof(double));
    double *lam = LOG_CALLOC(rows, sizeof(double)), *nu = LOG_CALLOC(rows, sizeof(double));
    int *lab = LOG_CALLOC(rows, sizeof(int));
    long rounds = (chunk + (long)rows - 1) / (long)rows;
    for (long q = 0; q < rounds; q++) {
        long a = q * (long)rows, m = mine - a < (long)rows ? mine - a : (long)rows;
        m = m > 0 ? m : 0;
        uint64_t i0 = (uint64_t)(row0 + a);
        if (m > 0) mcm_sample_block(&mod, seed, t.id, i0, (size_t)m, X, lam, nu, lab);
        for (long i = 0; i < m; i++)
            diff_forward(al, sg, seed, t.id, i0 + (uint64_t)i, (size_t)d, &X[i * d], &XT[i * d]);
        hsize_t r = (hsize_t)(row0 + a), k = (hsize_t)m;
        h5out_write_slab(&f, s.x0, H5T_NATIVE_DOUBLE, r, 1, k, X);
        h5out_write_slab(&f, s.xt, H5T_NATIVE_DOUBLE, r, 1, k, XT);
        h5out_write_slab(&f, s.lambda, H5T_NATIVE_DOUBLE, r, 1, k, lam);
        h5out_write_slab(&f, s.nu, H5T_NATIVE_DOUBLE, r, 1, k, nu);
        h5out_write_slab(&f, s.label, H5T_NATIVE_INT, r, 1, k, lab);
    }
    sample_close(&s);
    sample_model(&f, &mod);
    h5out_finish(&f);
    log_info("wrote %ld samples (d = %ld) of task %ld to %s\n", n, d, c->sample.task,
             cmd_output_path(o, cr));
    free(X);
    free(XT);
    free(lam);
    free(nu);
    free(lab);
    mcm_free(&mod);
    return LOG_EXIT_OK;
}
