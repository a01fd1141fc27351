/* h5chk — checked HDF5 calls; see include/parallel/h5chk.h. */
#include "parallel/h5chk.h"

#include <stdio.h>

void h5chk_init(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

void h5chk_stack(void)
{
    H5Eprint2(H5E_DEFAULT, stderr);
}
