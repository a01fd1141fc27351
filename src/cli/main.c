/* mcmsim — command-line entry point: options, configuration, banner, dispatch. */
#include "base/cfg.h"
#include "cli/cmd.h"
#include "core/gen.h"
#include "spec/spec.h"
#include "base/log.h"
#include "base/version.h"
#include "parallel/par.h"
#include "parallel/h5chk.h"

#include <gsl/gsl_version.h>
#include <hdf5.h>
#include <mpi.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The general usage (cmd_help.c); `mcmsim COMMAND --help` prints that command's. */
#define main_usage cmd_help(NULL)

static void main_version(void)
{
    unsigned maj, min, rel;
    char mpiv[MPI_MAX_LIBRARY_VERSION_STRING];
    int len = 0;
    H5get_libversion(&maj, &min, &rel);
    MPI_Get_library_version(mpiv, &len);
    char *nl = strchr(mpiv, '\n');
    if (nl) *nl = 0;
    log_info("mcmsim %s (%s, commit %s%s)\n  compiler %s\n  HDF5 %u.%u.%u, GSL %s, %s\n",
             version_code, version_describe, version_commit, version_dirty ? ", dirty" : "",
             version_compiler, maj, min, rel, gsl_version, mpiv);
}

static void main_time_limit(cmd_opts *o, int argc, char **argv, int *i)
{
    char *end = NULL;
    if (*i + 1 >= argc) LOG_DIE_COLL(LOG_EXIT_USAGE, "option --time-limit needs a value");
    const char *v = argv[++*i];
    o->time_limit = strtod(v, &end);
    if (!end || *end || !(o->time_limit > 0) || !isfinite(o->time_limit))
        LOG_DIE_COLL(LOG_EXIT_USAGE, "--time-limit expects seconds > 0, got '%s'", v);
}

/* Every rank parses the same argv, so a usage error is detected everywhere: collective. */
static void main_parse(int argc, char **argv, cmd_opts *o)
{
    memset(o, 0, sizeof *o);
    if (argc < 2) LOG_DIE_COLL(LOG_EXIT_USAGE, "no command given\n%s", main_usage);
    o->command = argv[1];
    const char *known[] = {"run",      "stats",    "sample",  "theory", "covar",
                           "gaussian", "generate", "analyze", "merge"};
    int ok = 0;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        ok |= !strcmp(o->command, known[i]);
    if (!ok) LOG_DIE_COLL(LOG_EXIT_USAGE, "unknown command '%s'\n%s", o->command, main_usage);
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--dry-run"))
            o->dry_run = 1;
        else if (!strcmp(a, "--print-config"))
            o->print_config = 1;
        else if (!strcmp(a, "--quiet"))
            o->quiet = 1;
        else if (!strcmp(a, "--restart"))
            o->restart = 1;
        else if (!strncmp(a, "--restart=", 10))
            o->restart = 1, o->restart_path = a + 10;
        else if (!strcmp(a, "--time-limit"))
            main_time_limit(o, argc, argv, &i);
        else if (!strcmp(a, "--log")) {
            if (i + 1 >= argc || !argv[i + 1][0])
                LOG_DIE_COLL(LOG_EXIT_USAGE, "option --log needs a file name");
            o->log = argv[++i];
        } else if (!strcmp(a, "-o") || !strcmp(a, "--set")) {
            if (i + 1 >= argc) LOG_DIE_COLL(LOG_EXIT_USAGE, "option %s needs a value", a);
            const char *v = argv[++i];
            if (a[1] == 'o')
                o->output = v;
            else if (!strchr(v, '=') || v[0] == '=')
                LOG_DIE_COLL(LOG_EXIT_USAGE, "--set expects section.key=value, got '%s'", v);
            else if (o->n_set == CFG_LIST_MAX)
                LOG_DIE_COLL(LOG_EXIT_USAGE, "more than %d --set options", CFG_LIST_MAX);
            else
                o->sets[o->n_set++] = v;
        } else if (a[0] == '-' && a[1] != 0)
            LOG_DIE_COLL(LOG_EXIT_USAGE, "unknown option '%s'\n%s", a, cmd_help(o->command));
        else if (!o->config)
            o->config = a;
        else if (!strcmp(o->command, "merge") && o->n_inputs < CMD_MAX_INPUTS)
            o->inputs[o->n_inputs++] = a;
        else
            LOG_DIE_COLL(LOG_EXIT_USAGE, "unexpected argument '%s' (config already '%s')", a,
                         o->config);
    }
    if (!o->config)
        LOG_DIE_COLL(LOG_EXIT_USAGE, "%s needs a%s\n%s", o->command,
                     !strcmp(o->command, "merge")     ? "n output OUT.h5 and input files"
                     : !strcmp(o->command, "analyze") ? " run's OUTPUT.h5"
                                                      : " CONFIG file",
                     cmd_help(o->command));
    if (o->output && !o->output[0]) LOG_DIE_COLL(LOG_EXIT_USAGE, "-o needs a non-empty path");
}

/* --help alone or after a command (before any other argument is judged). */
static int main_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return 1;
        if (!strcmp(argv[i], "--set") || !strcmp(argv[i], "-o") ||
            !strcmp(argv[i], "--time-limit") || !strcmp(argv[i], "--log"))
            i++; /* a value, never an option */
    }
    return 0;
}

/* --log FILE, opened for appending by rank 0 (the only writer); failing is a usage error. */
static void main_open_log(const cmd_opts *o)
{
    if (!o->log) return;
    FILE *f = log_rank() == 0 ? fopen(o->log, "a") : NULL;
    int ok = log_rank() != 0 || f != NULL;
    PAR_MPI(MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD));
    if (!ok) LOG_DIE_COLL(LOG_EXIT_USAGE, "--log: cannot open '%s' for appending", o->log);
    log_set_file(f);
}

static void main_banner(const cmd_opts *o)
{
    main_version();
    log_info("  command %s, config %s, %d rank%s\n", o->command, o->config, log_size(),
             log_size() == 1 ? "" : "s");
}

int main(int argc, char **argv)
{
    par_init(&argc, &argv);
    h5chk_init();
    if (main_wants_help(argc, argv)) {
        log_info("%s", cmd_help(argc > 1 && argv[1][0] != '-' ? argv[1] : NULL));
        MPI_Finalize();
        return LOG_EXIT_OK;
    }
    if (argc == 2 && !strcmp(argv[1], "--version")) {
        main_version();
        MPI_Finalize();
        return LOG_EXIT_OK;
    }
    cmd_opts o;
    main_parse(argc, argv, &o);
    /* --print-config output must stay a valid INI file: nothing else on stdout. */
    log_set_quiet(o.quiet || o.print_config);
    main_open_log(&o);
    main_banner(&o);
    if (!strcmp(o.command, "analyze") || !strcmp(o.command, "merge")) {
        int rc = o.command[0] == 'a' ? cmd_analyze(&o) : cmd_merge(&o);
        PAR_MPI(MPI_Finalize());
        return rc;
    }
    static cfg_resolved cfg; /* > 1 MiB: not on the stack */
    par_cfg_load(o.config, o.sets, o.n_set, &cfg);
    int rc = LOG_EXIT_OK;
    /* Gaussian data are trained on (run) and described exactly (gaussian); the statistics,
     * samples and covariances of the other commands are of MCM or user data. generate with
     * score = model takes the data from its run file (one file may hold both configurations). */
    const char *cmd = o.command;
    int from_run = !strcmp(cmd, "generate") && cfg.v.generate.score == GEN_SCORE_MODEL;
    if (!o.print_config && cfg.v.data.source == SPEC_SOURCE_GAUSSIAN && strcmp(cmd, "run") &&
        strcmp(cmd, "gaussian") && !from_run)
        cfg_die_key(&cfg, cfg_find("data", "source"),
                    "'gaussian' is read by 'mcmsim run' and 'mcmsim gaussian' only, expected "
                    "data.source = mcm or file for 'mcmsim %s'",
                    cmd);
    long si = 1, sn = 1;
    if (strcmp(o.command, "run") != 0 && cfg_slice_parse(cfg.v.run.slice, &si, &sn) && sn > 1)
        cfg_die_key(&cfg, cfg_find("run", "slice"),
                    "'%s' slices the task list of 'run' only, expected 1/1 for %s", cfg.v.run.slice,
                    o.command);
    if (o.print_config) {
        if (log_rank() == 0) cfg_print(&cfg, stdout, 1);
    } else if (!strcmp(o.command, "run")) {
        rc = cmd_run(&o, &cfg);
    } else if (!strcmp(o.command, "theory")) {
        rc = cmd_theory(&o, &cfg);
    } else if (!strcmp(o.command, "gaussian")) {
        rc = cmd_gaussian(&o, &cfg);
    } else if (!strcmp(o.command, "covar")) {
        rc = cmd_covar(&o, &cfg);
    } else if (!strcmp(o.command, "generate")) {
        rc = cmd_generate(&o, &cfg);
    } else if (!strcmp(o.command, "stats")) {
        rc = cmd_stats(&o, &cfg);
    } else {
        rc = cmd_sample(&o, &cfg);
    }
    PAR_MPI(MPI_Finalize());
    return rc;
}
