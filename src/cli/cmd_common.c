/* cmd_common — pieces shared by the subcommands: output path, data source, dry runs, grid shape,
 * the task table. */
#include "cli/cmd.h"

#include "parallel/dmat.h"
#include "parallel/par.h"
#include "io/h5out.h"
#include "base/log.h"

#include <stdlib.h>
#include <string.h>

#include <stdio.h>

const char *cmd_output_path(const cmd_opts *o, const cfg_resolved *c)
{
    return o->output ? o->output : c->v.run.output;
}

void cmd_data_source(const cfg_resolved *cr, dataset_src *src)
{
    const cfg_t *c = &cr->v;
    snprintf(src->file, sizeof src->file, "%s", c->data.file);
    snprintf(src->dataset, sizeof src->dataset, "%s", c->data.dataset);
    snprintf(src->spikes, sizeof src->spikes, "%s", c->data.spikes);
    snprintf(src->where_file, sizeof src->where_file, "%s",
             cfg_where(cr, cfg_find("data", "file")));
    snprintf(src->where_dataset, sizeof src->where_dataset, "%s",
             cfg_where(cr, cfg_find("data", "dataset")));
    snprintf(src->where_spikes, sizeof src->where_spikes, "%s",
             cfg_where(cr, cfg_find("data", "spikes")));
}

static void cmd_human_bytes(double b, char *buf, size_t len)
{
    const char *u[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    int i = 0;
    while (b >= 1024 && i < 5) {
        b /= 1024;
        i++;
    }
    snprintf(buf, len, "%.1f %s", b, u[i]);
}

void cmd_dry_run_report(const cfg_resolved *c, const char *what, double bytes_per_rank,
                        double variates, double output_bytes)
{
    if (log_rank() != 0) return;
    char mem[32], out[32];
    cmd_human_bytes(bytes_per_rank, mem, sizeof mem);
    cmd_human_bytes(output_bytes, out, sizeof out);
    printf("# resolved configuration of %s\n", c->file);
    cfg_print(c, stdout, 0);
    printf("# dry run: %s\n", what);
    printf("#   memory per rank  ~ %s\n", mem);
    printf("#   normal variates  ~ %.3g (at ~3 ns each: %.3g core-seconds)\n", variates,
           variates * 3e-9);
    printf("#   output file      ~ %s\n", out);
    printf("# configuration valid; nothing computed or written\n");
    fflush(stdout);
}

void cmd_grid_shape(const cfg_resolved *cr, int ranks, int *nprow, int *npcol)
{
    char why[256];
    if (!dmat_grid_shape(ranks, (int)cr->v.covar.grid_rows, (int)cr->v.covar.grid_cols, nprow,
                         npcol, why, sizeof why))
        cfg_die_key(cr, cfg_find("covar", "grid_rows"),
                    "%s, expected grid_rows x grid_cols = %d (the ranks per group) or both 0", why,
                    ranks);
}

void cmd_write_tasks(h5out_file *f, const task_list *tl)
{
    hsize_t nt = (hsize_t)tl->n, ns[2] = {nt, TASK_NSWEEP};
    size_t n = (size_t)(tl->n > 0 ? tl->n : 1);
    int *ti = LOG_CALLOC(3 * n, sizeof(int));
    uint64_t *id = LOG_CALLOC(n, sizeof(uint64_t));
    double *sw = LOG_CALLOC(n * TASK_NSWEEP, sizeof(double));
    for (int k = 0; k < tl->n; k++) {
        ti[k] = tl->t[k].d;
        ti[n + (size_t)k] = tl->t[k].replica;
        ti[2 * n + (size_t)k] = tl->t[k].combo;
        id[k] = tl->t[k].id;
        for (int j = 0; j < TASK_NSWEEP; j++)
            sw[(size_t)k * TASK_NSWEEP + (size_t)j] = tl->t[k].sweep[j];
    }
    h5out_group(f, "/tasks",
                "the task list: one row per (d, sweep combination, replica), "
                "d-major, replica fastest");
    h5out_write_all(f, "/tasks/d", H5T_NATIVE_INT, 1, &nt, ti, "input dimension of the task", "1");
    h5out_write_all(f, "/tasks/replica", H5T_NATIVE_INT, 1, &nt, ti + n, "replica (walker) index",
                    "1");
    h5out_write_all(f, "/tasks/combo", H5T_NATIVE_INT, 1, &nt, ti + 2 * n,
                    "sweep combination index (0 without [sweep])", "1");
    char id_desc[128];
    snprintf(id_desc, sizeof id_desc,
             "stable task id = replica + %d d + 2^32 combo, the key of every random stream of the "
             "task",
             TASK_MAX_REPLICAS);
    h5out_write_all(f, "/tasks/id", H5T_NATIVE_UINT64, 1, &nt, id, id_desc, "1");
    h5out_write_all(f, "/tasks/values", H5T_NATIVE_DOUBLE, 2, ns, sw,
                    "[task][key] the task's values of the sweepable keys (attribute keys)",
                    "as the keys");
    h5out_attr_str(f->file, "/tasks/values", "keys",
                   "mcm.beta_m,mcm.beta_u,mcm.beta_v,diffusion.t,optim.delta");
    free(ti);
    free(id);
    free(sw);
}

double *cmd_gather_task_rows(const task_list *tl, const double *mine, int nown, int width)
{
    int size = log_size();
    int *cnt = LOG_CALLOC((size_t)size, sizeof(int)), *dsp = LOG_CALLOC((size_t)size, sizeof(int));
    for (int q = 0, off = 0; q < size; q++) {
        cnt[q] = task_count_owned(tl->n, q, size) * width;
        dsp[q] = off;
        off += cnt[q];
    }
    size_t n = (size_t)(tl->n > 0 ? tl->n : 1) * (size_t)width;
    double *by_rank = LOG_CALLOC(n, sizeof(double)), *all = LOG_CALLOC(n, sizeof(double));
    PAR_MPI(MPI_Gatherv(mine, nown * width, MPI_DOUBLE, by_rank, cnt, dsp, MPI_DOUBLE, 0,
                        MPI_COMM_WORLD));
    for (int k = 0; k < tl->n; k++) { /* task k is the (k / size)-th of rank k mod size */
        int q = task_owner(k, size), i = k / size;
        memcpy(&all[(size_t)k * (size_t)width], &by_rank[(size_t)(dsp[q] + i * width)],
               (size_t)width * sizeof(double));
    }
    free(cnt), free(dsp), free(by_rank);
    return all;
}
