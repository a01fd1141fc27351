/* MPI test: the configuration parsed on rank 0 arrives bytewise identical on every rank.
 * Prints "ok" on rank 0 when it does, exits 1 otherwise. */
#include "base/cfg.h"
#include "base/log.h"
#include "parallel/par.h"
#include "parallel/h5chk.h"

#include <mpi.h>
#include <stdint.h>
#include <stdio.h>

static uint64_t fnv1a(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ULL;
    return h;
}

int main(int argc, char **argv)
{
    par_init(&argc, &argv);
    h5chk_init();
    log_set_quiet(1);
    static cfg_resolved c;
    const char *sets[] = {"mcm.beta_v=3.25"};
    par_cfg_load(argc > 1 ? argv[1] : "tests/cli/small.ini", sets, 1, &c);
    uint64_t h = fnv1a(&c, sizeof c), lo, hi;
    MPI_Allreduce(&h, &lo, 1, MPI_UINT64_T, MPI_MIN, MPI_COMM_WORLD);
    MPI_Allreduce(&h, &hi, 1, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD);
    int ok = lo == hi && c.v.mcm.beta_v == 3.25 && c.v.mcm.d.n == 2;
    if (log_rank() == 0)
        printf("%s cfg broadcast identical on %d ranks\n", ok ? "ok" : "not ok", log_size());
    MPI_Finalize();
    return ok ? 0 : 1;
}
