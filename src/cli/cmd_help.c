/* cmd_help — the usage text of every command (`mcmsim COMMAND --help`): each lists the options
 * that command reads, so a user never has to guess which of the shared options apply. */
#include "cli/cmd.h"

#include <string.h>

static const char help_general[] =
    "usage: mcmsim run CONFIG [--set section.key=value]... [-o OUTPUT.h5] [--dry-run]\n"
    "                  [--print-config] [--quiet] [--log FILE] [--restart[=CKPT]]\n"
    "                  [--time-limit SECONDS]\n"
    "       mcmsim stats|sample|covar|gaussian|generate CONFIG [--set ...]... [-o OUTPUT.h5] "
    "[--dry-run]\n"
    "                  [--print-config] [--quiet] [--log FILE]\n"
    "       mcmsim theory CONFIG [--set section.key=value]... [--print-config] [--quiet]\n"
    "                  [--log FILE]\n"
    "       mcmsim analyze OUTPUT.h5 [-o NEW.h5] [--set section.key=value]... [--quiet]\n"
    "                  [--log FILE]\n"
    "       mcmsim merge OUT.h5 IN1.h5 [IN2.h5 ...] [--quiet] [--log FILE]\n"
    "       mcmsim --help | --version | COMMAND --help (that command's options)\n"
    "\n"
    "  run      per task (d x sweep x replica), train the configured denoiser: overlaps with\n"
    "           m, u, v and test losses on data and clones at log-spaced steps\n"
    "  stats    per task, statistics of projections of MCM samples x0 and x_t\n"
    "  sample   write sample.n samples x0, x_t and their latents for task sample.task\n"
    "  covar    per task (d x sweep x replica x covar.alpha), the sample covariance on a\n"
    "           ScaLAPACK grid: spectrum, top eigenvectors vs m, u, v, BBP, clone samples\n"
    "  theory   the single-neuron theory of CONFIG: coefficients, exponents, bounds, n*\n"
    "  gaussian the exact theory of linear denoisers on Gaussian data ([gaussian]): weights,\n"
    "           generated variances, KL, emergence times tau* and alpha (seconds, no training)\n"
    "  generate per task, samples of the probability-flow ODE ([generate]: exact MCM or\n"
    "           Gaussian score, Euler/Heun/DDIM, teleportation to sigma_skip) and their\n"
    "           moments along m, u, v, r next to the data's exact values; score = model:\n"
    "           with the trained model of a run (generate.run_file) at each snapshot\n"
    "  analyze  recompute /scaling and /theory of a finished run (in place unless -o)\n"
    "  merge    join the outputs of the slices (run.slice = i/n) of one run into one file\n"
    "\n"
    "Every key is documented in input/reference.ini. Exit codes: 0 done, 1 runtime failure,\n"
    "2 usage or configuration error, 3 stopped with a checkpoint.\n";

#define OPT_SET "  --set section.key=value  override a configuration key (repeatable, logged)\n"
#define OPT_OUT "  -o FILE                  output file (default: run.output)\n"
#define OPT_DRY                                                                                    \
    "  --dry-run                validate, print the resolved configuration and a memory/work\n"    \
    "                           estimate, exit 0 without computing or writing anything\n"
#define OPT_PRINT "  --print-config           print every key, its value and where it came from\n"
#define OPT_QUIET                                                                                  \
    "  --quiet                  no banner, status line or summary on stdout\n"                     \
    "  --log FILE               append rank 0's messages (banner, status, summary, warnings,\n"    \
    "                           errors) to FILE too, also with --quiet\n"
#define OPT_TAIL                                                                                   \
    "  --help                   this text\n"                                                       \
    "Exit codes: 0 done, 1 runtime failure, 2 usage or configuration error"

static const char help_run[] =
    "usage: mcmsim run CONFIG [OPTIONS]\n"
    "Trains the configured denoiser on every task (or on the slice run.slice = i/n of the task\n"
    "list: tasks k with k mod n = i - 1) and writes overlaps, losses, crossings, /scaling and\n"
    "/theory to the output. With data.source = gaussian: linear denoisers on N(mu, U Lambda\n"
    "U^T) by mini-batch SGD or full-batch GD (gaussian.sgd_batch), on-line or on a finite\n"
    "training set (train.data), next to their exact theory (/gaussian/theory, "
    "/gaussian/sgd).\n" OPT_SET OPT_OUT OPT_DRY OPT_PRINT OPT_QUIET
    "  --restart[=CKPT]         continue from the newest valid checkpoint in checkpoint.dir\n"
    "                           (or from CKPT)\n"
    "  --time-limit SECONDS     stop with a checkpoint (exit 3, file CONTINUE) before this\n"
    "                           many seconds of wall time\n" OPT_TAIL
    ", 3 stopped with a checkpoint\n"
    "(continue with --restart; a STOP file, SIGTERM or SIGUSR1 also stop with a checkpoint).\n";
static const char help_stats[] =
    "usage: mcmsim stats CONFIG [OPTIONS]\n"
    "Moments and histograms of projections of MCM samples per "
    "task.\n" OPT_SET OPT_OUT OPT_DRY OPT_PRINT OPT_QUIET OPT_TAIL ".\n";
static const char help_sample[] =
    "usage: mcmsim sample CONFIG [OPTIONS]\n"
    "Writes sample.n samples of task sample.task with their "
    "latents and the spikes.\n" OPT_SET OPT_OUT OPT_DRY OPT_PRINT OPT_QUIET OPT_TAIL ".\n";
static const char help_covar[] =
    "usage: mcmsim covar CONFIG [OPTIONS]\n"
    "Sample covariances on ScaLAPACK grids: spectra, PCA vs BBP, "
    "clones.\n" OPT_SET OPT_OUT OPT_DRY OPT_PRINT OPT_QUIET OPT_TAIL ".\n";
static const char help_gaussian[] =
    "usage: mcmsim gaussian CONFIG [OPTIONS]\n"
    "The exact theory of linear denoisers on Gaussian data "
    "([gaussian]).\n" OPT_SET OPT_OUT OPT_DRY OPT_PRINT OPT_QUIET OPT_TAIL ".\n";
static const char help_generate[] =
    "usage: mcmsim generate CONFIG [OPTIONS]\n"
    "Probability-flow sampling per task ([generate]) and the moments of the samples. With\n"
    "generate.score = model the denoiser is the trained model of generate.run_file (a run with\n"
    "observe.snapshots = true) at each of its snapshots, one row per (run task, snapshot);\n"
    "the data and the model come from the run file's configuration.\n" OPT_SET OPT_OUT OPT_DRY
        OPT_PRINT OPT_QUIET OPT_TAIL ".\n";
static const char help_theory[] = "usage: mcmsim theory CONFIG [OPTIONS]\n"
                                  "Prints the single-neuron theory per sweep combination; "
                                  "writes nothing.\n" OPT_SET OPT_PRINT OPT_QUIET OPT_TAIL ".\n";
static const char help_analyze[] =
    "usage: mcmsim analyze OUTPUT.h5 [OPTIONS]\n"
    "Recomputes /scaling and /theory of a finished run with the configuration stored in it;\n"
    "writes a copy that replaces OUTPUT.h5 (or becomes NEW.h5) only when complete.\n"
    "  -o NEW.h5                write the result here instead of over OUTPUT.h5\n"
    "  --set section.key=value  change a CHANGEABLE analysis key (scaling.bootstrap, "
    "...)\n" OPT_QUIET OPT_TAIL ".\n";
static const char help_merge[] =
    "usage: mcmsim merge OUT.h5 IN1.h5 [IN2.h5 ...] [--quiet] [--log FILE]\n"
    "Joins the complete outputs of runs of one configuration that differ only in run.slice\n"
    "(a key that differs, FIXED or CHANGEABLE, is named, exit 2; run.output, checkpoint.*\n"
    "and observe.status_every may differ) into OUT.h5: every task exactly once (a\n"
    "missing or duplicated task is named, exit 2), /scaling and /theory recomputed over all\n"
    "tasks, written as OUT.h5.partial and renamed when complete. The result equals the output\n"
    "of one run of all tasks (timings aside). Runs as one process (no mpirun).\n" OPT_QUIET OPT_TAIL
    ".\n";

const char *cmd_help(const char *command)
{
    static const struct {
        const char *name, *text;
    } h[] = {{"run", help_run},           {"stats", help_stats},     {"sample", help_sample},
             {"covar", help_covar},       {"theory", help_theory},   {"gaussian", help_gaussian},
             {"generate", help_generate}, {"analyze", help_analyze}, {"merge", help_merge}};
    for (size_t i = 0; command && i < sizeof h / sizeof h[0]; i++)
        if (!strcmp(command, h[i].name)) return h[i].text;
    return help_general;
}
