/* MPI test helper: rank 1 alone hits a local error while rank 0 waits in a collective. The job
 * must abort (not hang) and the message must name rank 1 and the source location. */
#include "base/log.h"
#include "parallel/par.h"
#include "parallel/h5chk.h"

#include <mpi.h>

int main(int argc, char **argv)
{
    par_init(&argc, &argv);
    h5chk_init();
    if (log_rank() == 1) LOG_DIE("injected local failure on purpose");
    MPI_Barrier(MPI_COMM_WORLD);
    MPI_Finalize();
    return 0;
}
