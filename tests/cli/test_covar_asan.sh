# The distributed-matrix code paths under AddressSanitizer + UBSan (make test-asan): the dmat
# checks on 2 ranks, `covar` with saved matrices, clones, pdsyevr and two groups, and training on
# a user data set. The physics is checked by the full suite (test_covar.sh, test_userdata.sh);
# here any memory or undefined-behaviour error fails. Sourced by tests/run_tests.sh --asan.
AS=$WORK/asan_covar
mkdir -p "$AS"
check asan:dmat-linalg mpirun_n 2 "$BUILD/tests/mpi_dmat" 60 8
check asan:dmat-h5 mpirun_n 2 "$BUILD/tests/mpi_dmat_h5" 60 8 "$AS/dmat"
check asan:clone mpirun_n 2 "$BUILD/tests/mpi_clone" "$AS/clone.bin"
small="--quiet --set mcm.d=60 --set run.n_seeds=2 --set covar.alpha=0.5,3 --set covar.block_size=8 --set covar.block=50"
# shellcheck disable=SC2086
check asan:covar-matrix-clones mpirun_n 2 "$BIN" covar "$ROOT/input/pca_bbp.ini" -o "$AS/a.h5" $small \
    --set covar.save_matrix=true --set clone.n_samples=100
# shellcheck disable=SC2086
check asan:covar-groups-pdsyevr mpirun_n 2 "$BIN" covar "$ROOT/input/pca_bbp.ini" -o "$AS/b.h5" $small \
    --set covar.groups=2 --set covar.solver=pdsyevr
check asan:userdata-make mpirun_n 2 "$BIN" sample "$ROOT/input/clone_user_data.ini" -o "$AS/ud.h5" --quiet
check asan:userdata-run mpirun_n 2 "$BIN" run "$ROOT/input/clone_user_data.ini" -o "$AS/r.h5" --quiet \
    --set data.file="$AS/ud.h5" --set train.steps_alpha=5
check asan:userdata-covar mpirun_n 2 "$BIN" covar "$ROOT/input/clone_user_data.ini" -o "$AS/c.h5" --quiet \
    --set data.file="$AS/ud.h5" --set clone.n_samples=10
check_usage asan:userdata-bad-dataset "no dataset" "$AS/bad.h5" mpirun_n 2 "$BIN" covar \
    "$ROOT/input/clone_user_data.ini" -o "$AS/bad.h5" --quiet --set data.file="$AS/ud.h5" --set data.dataset=/nope
