/* cmd — the subcommands of the mcmsim CLI. main.c parses the command line and the
 * configuration; each cmd_* runs one subcommand collectively on MPI_COMM_WORLD. */
#ifndef MCMSIM_CMD_H
#define MCMSIM_CMD_H

#include "base/cfg.h"

#define CMD_MAX_INPUTS 4096

typedef struct {
    const char *command; /* "run", "sample", ... */
    const char *config;
    const char *output; /* -o, NULL = run.output */
    int dry_run, print_config, quiet;
    const char *log;          /* --log FILE: rank 0's messages appended there too */
    int restart;              /* --restart[=PATH] */
    const char *restart_path; /* NULL: newest valid checkpoint of checkpoint.dir */
    double time_limit;        /* --time-limit SECONDS, 0: none */
    const char *sets[CFG_LIST_MAX];
    int n_set;
    const char *inputs[CMD_MAX_INPUTS]; /* merge: IN1.h5 IN2.h5 ... after OUT.h5 (o->config) */
    int n_inputs;
} cmd_opts;

/* Output path: -o if given, else run.output. */
const char *cmd_output_path(const cmd_opts *o, const cfg_resolved *c);

#include "io/analysis.h"
#include "io/h5out.h"
#include "parallel/dataset.h"
#include "spec/spec.h"
#include "spec/task.h"

/* The user data set of a configuration (data.file, data.dataset, data.spikes) and where each
 * key was set, for dataset_open's messages. */
void cmd_data_source(const cfg_resolved *cr, dataset_src *src);
/* --dry-run: the resolved configuration and an estimate, on rank 0. */
void cmd_dry_run_report(const cfg_resolved *c, const char *what, double bytes_per_rank,
                        double variates, double output_bytes);

/* The process grid for `ranks` ranks from covar.grid_rows x covar.grid_cols (0, 0: near-square);
 * a shape that does not fit is a usage error on every rank (exit 2, key and reason). */
void cmd_grid_shape(const cfg_resolved *cr, int ranks, int *nprow, int *npcol);
/* Collective: the task table /tasks of an output file. */
void cmd_write_tasks(h5out_file *f, const task_list *tl);
/* Rows of `width` doubles per task, mine[i] for the i-th task this rank owns (cyclic ownership,
 * spec/task.h), gathered on rank 0 in task order: returns all[ntask][width] (calloc'ed on every
 * rank, filled on rank 0). Collective. */
double *cmd_gather_task_rows(const task_list *tl, const double *mine, int nown, int width);
/* Training of the configured denoiser per task: overlaps, losses, final summaries. */
int cmd_run(const cmd_opts *o, const cfg_resolved *c);
/* Recomputes /scaling and /theory of a run's output (o->config is the HDF5 file). */
int cmd_analyze(const cmd_opts *o);
/* Joins the outputs of slices of one run (o->inputs) into o->config, as one run would write it. */
int cmd_merge(const cmd_opts *o);
/* The usage text of one command (NULL or unknown: the general text). */
const char *cmd_help(const char *command);
/* Rank 0: the resolved configuration stored in an output file (/config attributes) written as
 * an INI file to a new temporary path tmp; 0 on success. */
int cmd_config_text(hid_t fid, char *tmp, size_t len);
/* The input of analysis_write from a run's crossings [task][watched][threshold] (n_cross values)
 * and censoring times, with the watched quantities and thresholds of configuration c; 0 when
 * n_cross does not fit them. */
int cmd_analysis_input(const cfg_t *c, const task_list *tl, double *cross, size_t n_cross,
                       double *stop, analysis_input *in);
/* Prints the single-neuron theory of a configuration: coefficients, exponents, bounds. */
int cmd_theory(const cmd_opts *o, const cfg_resolved *c);
/* Projection statistics of MCM samples per task. */
int cmd_stats(const cmd_opts *o, const cfg_resolved *c);
/* Covariance spectra, PCA recovery and clones on ScaLAPACK grids (MCM or user data). */
int cmd_covar(const cmd_opts *o, const cfg_resolved *c);
/* The exact theory of linear denoisers on Gaussian data ([gaussian]): weights, generated
 * variances, KL, emergence times and alpha; no training. */
int cmd_gaussian(const cmd_opts *o, const cfg_resolved *c);
/* Samples of the probability-flow ODE (exact MCM or Gaussian score, teleportation) and their
 * projection statistics next to the data's exact values ([generate]). */
int cmd_generate(const cmd_opts *o, const cfg_resolved *c);
/* n samples of x0 and x_t with their latents, for inspection and external tools. */
int cmd_sample(const cmd_opts *o, const cfg_resolved *c);

#endif
