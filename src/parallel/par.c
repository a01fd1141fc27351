/* par — the MPI side of the process; see include/parallel/par.h. */
#include "parallel/par.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static noreturn void par_finalize_exit(int code)
{
    int inited = 0, finalized = 0;
    MPI_Initialized(&inited);
    MPI_Finalized(&finalized);
    if (inited && !finalized) MPI_Finalize();
    exit(code);
}

static noreturn void par_abort_job(int code)
{
    int inited = 0, finalized = 0;
    MPI_Initialized(&inited);
    MPI_Finalized(&finalized);
    if (inited && !finalized) MPI_Abort(MPI_COMM_WORLD, code);
    exit(code);
}

/* A process started without a launcher (no mpirun, srun or PMI in the environment) is an MPI
 * singleton. Open MPI then forks an orted daemon in case the program spawns processes, which
 * mcmsim never does; that fork is ~0.3-0.4 s of every short run. Isolated singletons skip it.
 * A singleton also talks only to itself, yet the default transport selection opens UCX and
 * probes the network devices (~0.2 s here): the ob1 layer over the self transport is all it
 * needs. Isolated singletons of one user on one node would share one session directory (job
 * family 0), which the first to finish removes under the others: a concurrent MPI_Init then
 * failed (orte_session_dir: mkdir .../jf.0/1) and MPI-IO printed errors (measured: 8 rounds of
 * 8 concurrent runs). So each gets its own top session directory, named by host, user and pid,
 * which Open MPI creates and removes. A launched run keeps the site's transports and session
 * directories. A value the user set is kept (setenv does not overwrite). */
static void par_singleton_isolated(void)
{
    static const char *const launcher[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK",
                                           "PMI_SIZE", "SLURM_STEP_ID"};
    for (size_t i = 0; i < sizeof launcher / sizeof *launcher; i++)
        if (getenv(launcher[i])) return;
    setenv("OMPI_MCA_ess_singleton_isolated", "1", 0);
    setenv("OMPI_MCA_pml", "ob1", 0);
    setenv("OMPI_MCA_btl", "self", 0);
    char host[256] = "host", dir[1024];
    gethostname(host, sizeof host - 1);
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/ompi.%s.%u.mcmsim.%ld", tmp && *tmp ? tmp : "/tmp", host,
             (unsigned)getuid(), (long)getpid());
    setenv("OMPI_MCA_orte_top_session_dir", dir, 0);
}

void par_init(int *argc, char ***argv)
{
    log_process p = {0, 1, par_finalize_exit, par_abort_job};
    log_set_process(&p); /* before MPI_Init, so a failing init aborts cleanly */
    par_singleton_isolated();
    PAR_MPI(MPI_Init(argc, argv));
    PAR_MPI(MPI_Comm_rank(MPI_COMM_WORLD, &p.rank));
    PAR_MPI(MPI_Comm_size(MPI_COMM_WORLD, &p.size));
    log_set_process(&p);
    log_init();
}

void par_finalize(void)
{
    PAR_MPI(MPI_Finalize());
}

void par_cfg_load(const char *path, const char *const *sets, int n_set, cfg_resolved *out)
{
    int n_err = 0;
    if (log_rank() == 0) {
        cfg_errors *err = LOG_CALLOC(1, sizeof *err);
        n_err = cfg_load(path, sets, n_set, out, err);
        for (int k = 0; k < err->n; k++)
            log_error("%s", err->msg[k]);
        free(err);
    }
    PAR_MPI(MPI_Bcast(&n_err, 1, MPI_INT, 0, MPI_COMM_WORLD));
    if (n_err)
        LOG_DIE_COLL(LOG_EXIT_USAGE, "%d configuration error(s); see input/reference.ini", n_err);
    /* The struct holds no pointers, so one byte broadcast carries values, origins and text. */
    PAR_MPI(MPI_Bcast(out, (int)sizeof *out, MPI_BYTE, 0, MPI_COMM_WORLD));
    char val[CFG_LINE_MAX];
    for (int i = 0; i < cfg_schema_n; i++)
        if (strcmp(out->origin[i], "command line") == 0) {
            cfg_format_value(&out->v, i, val, sizeof val);
            log_info("override: %s.%s = %s (command line)\n", cfg_schema[i].section,
                     cfg_schema[i].key, val);
        }
}
