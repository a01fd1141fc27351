# dmat (BLACS/ScaLAPACK) tests at 1, 2 and 4 ranks: every grid of tests/mpi/dmat_tgrid.h at
# once (2x1 and 1x2 on the world, 2x2, 2x1 | 1x2 on sub-communicators, 1x1 per rank). Sourced by
# tests/run_tests.sh ($BUILD, $WORK, $PY and the harness functions set).
DMAT=$BUILD/tests/mpi_dmat
DMAT_H5=$BUILD/tests/mpi_dmat_h5

# Known spectrum through PDSYEVD and PDSYEVR, cross-grid eigenvalues, Cholesky, PDSYRK vs BLAS,
# layout round trips. n = 150 with 16 x 16 blocks leaves a partial block at the edge.
for np in 1 2 4; do
    check "dmat:linalg-np$np" mpirun_n $np "$DMAT" 150 16
done
# Odd blocking (7 does not divide 97), one-element blocks, and blocks larger than n / ranks.
check dmat:linalg-np4-nb7 mpirun_n 4 "$DMAT" 97 7
check dmat:linalg-np2-nb1 mpirun_n 2 "$DMAT" 60 1
check dmat:linalg-np4-nb32 mpirun_n 4 "$DMAT" 50 32
# Idle ranks: one 32 x 32 block holds all of n = 20, so on the 1x3 grid only rank 0 owns any of
# A; PDSYEVD leaves w unset elsewhere unless dmat_syev broadcasts it (every rank's w is checked).
check dmat:linalg-np3-idle-ranks mpirun_n 3 "$DMAT" 20 32

# HDF5: written by a 2x1 grid and by the world grid, read back bitwise by every grid.
for np in 1 2 4; do
    check "dmat:h5-roundtrip-np$np" mpirun_n $np "$DMAT_H5" 150 16 "$WORK/dmat_np$np"
done
# The files are plain row-major m x n datasets, the same bytes whichever grid wrote them.
check dmat:h5-plain-dataset "$PY" -c "
import h5py, numpy as np
files = ['$WORK/dmat_np%d_%s.h5' % (p, w) for p in (1, 2, 4) for w in ('2x1', 'world')]
i, j = np.meshgrid(np.arange(37), np.arange(23), indexing='ij')
ref = h5py.File(files[0], 'r')
for f in files:
    h = h5py.File(f, 'r')
    r = h['m/rect']
    assert r.shape == (37, 23) and r.dtype == np.float64, (f, r.shape, r.dtype)
    assert np.array_equal(r[()], i + 1000.0 * j), f + ': file[i][j] != i + 1000 j'
    assert h['m/sq'].shape == (150, 150) and np.array_equal(h['m/sq'][()][3, 140], 3 + 140000.0)
    for d in ('m/rect', 'm/sq', 'm/rand'):
        assert h[d].attrs['description'] and 'units' in h[d].attrs, f + ':' + d + ' attributes'
        assert np.array_equal(h[d][()], ref[d][()]), f + ':' + d + ' differs between grids'
"

# PDSYEVD with mb != nb: every rank sees it, the job ends with exit 1, the message printed once.
msg=$(mpirun_n 2 "$DMAT" 40 4 die-blocks 2>&1); rc=$?
n=$(grep -c "PDSYEVD needs square blocks" <<< "$msg")
if [ "$rc" -eq 1 ] && [ "$n" -eq 1 ]; then pass dmat:collective-error-square-blocks
else fail dmat:collective-error-square-blocks "exit $rc, message printed $n times"; fi
# The same on a grid over a sub-communicator: rank 0 of that grid aborts the job (no hang).
msg=$(mpirun_n 4 "$DMAT" 40 4 die-sub 2>&1); rc=$?
n=$(grep -c "PDSYEVD needs square blocks.*sub-communicator" <<< "$msg")
if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && [ "$n" -eq 1 ]; then pass dmat:subgrid-error-aborts
else fail dmat:subgrid-error-aborts "exit $rc, message printed $n times"; fi
