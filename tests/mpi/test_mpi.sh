# MPI tests at 1, 2 and 4 ranks: rank-count independence, uneven distributions, collective
# errors, local aborts. Sourced by tests/run_tests.sh.
SMALL=$ROOT/tests/cli/small.ini
H5C="$PY $ROOT/tests/lib/h5check.py"
STATS="/tasks/d /tasks/replica /tasks/id /stats/moments /stats/theory /stats/cov_uv /stats/hist /stats/hist_edges /stats/hist_outside"
SAMPLES="/samples/x0 /samples/xt /samples/lambda /samples/nu /samples/label /model/m /model/u /model/v"

for np in 1 2 4; do
    check "mpi:cfg-bcast-np$np" mpirun_n $np "$BUILD/tests/mpi_cfg_bcast" "$SMALL"
    check "mpi:stats-np$np" mpirun_n $np "$BIN" stats "$SMALL" -o "$WORK/mpi_run_$np.h5" --quiet
    check "mpi:stats-np$np-ranks-recorded" $H5C attr "$WORK/mpi_run_$np.h5" . n_ranks $np
    check "mpi:sample-np$np" mpirun_n $np "$BIN" sample "$SMALL" -o "$WORK/mpi_smp_$np.h5" --quiet --set sample.n=1001
done
for np in 2 4; do
    # shellcheck disable=SC2086
    check "mpi:stats-identical-np1-np$np" $H5C same "$WORK/mpi_run_1.h5" "$WORK/mpi_run_$np.h5" $STATS
    # shellcheck disable=SC2086
    check "mpi:sample-identical-np1-np$np" $H5C same "$WORK/mpi_smp_1.h5" "$WORK/mpi_smp_$np.h5" $SAMPLES
done
check mpi:stats-physics-np4 $H5C physics "$WORK/mpi_run_4.h5"
check mpi:complete-np4 $H5C complete "$WORK/mpi_smp_4.h5"
# More ranks than tasks: ranks 2 and 3 own nothing yet take part in every collective write.
check mpi:idle-ranks-np4 mpirun_n 4 "$BIN" stats "$SMALL" -o "$WORK/mpi_idle.h5" --quiet --set run.n_seeds=1
check mpi:idle-ranks-same-values $PY -c "
import h5py, numpy as np
a = h5py.File('$WORK/mpi_idle.h5')['stats/moments'][()]
b = h5py.File('$WORK/mpi_run_1.h5')['stats/moments'][()]
assert np.array_equal(a, b[[0, 2]]), 'replica-0 tasks differ between the lists'"
# A task's numbers do not depend on which other tasks are in the list.
check mpi:task-stable-across-lists mpirun_n 2 "$BIN" stats "$SMALL" -o "$WORK/mpi_one.h5" --quiet --set mcm.d=30
check mpi:task-stable-values $PY -c "
import h5py, numpy as np
a = h5py.File('$WORK/mpi_one.h5')['stats/moments'][()]
b = h5py.File('$WORK/mpi_run_1.h5')['stats/moments'][()]
assert np.array_equal(a, b[2:4]), 'd = 30 tasks differ when d = 20 is dropped'"
check mpi:seed-changes-results mpirun_n 2 "$BIN" stats "$SMALL" -o "$WORK/mpi_seed.h5" --quiet --set run.seed=8
check mpi:seed-changes-values $H5C differ "$WORK/mpi_seed.h5" "$WORK/mpi_run_1.h5" /stats/moments

# A configuration error found on rank 0 ends every rank with exit 2, reported once.
msg=$(mpirun_n 2 "$BIN" stats "$SMALL" -o "$WORK/mpi_bad.h5" --set mcm.beta_uu=1 2>&1); rc=$?
n=$(grep -c "beta_uu" <<< "$msg")
if [ "$rc" -eq 2 ] && [ "$n" -eq 1 ] && [ ! -e "$WORK/mpi_bad.h5" ]; then pass mpi:collective-config-error
else fail mpi:collective-config-error "exit $rc, message printed $n times"; fi
# A local failure on one rank aborts the job with the rank and location instead of hanging.
msg=$(mpirun_n 2 "$BUILD/tests/mpi_local_die" 2>&1); rc=$?
if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && grep -q "^\[1\] .*mpi_local_die.c:[0-9]* main: injected" <<< "$msg"; then
    pass mpi:local-error-aborts
else fail mpi:local-error-aborts "exit $rc"; echo "$msg" | head -5 | sed 's/^/    /'; fi

# Training: dynamic task distribution, bitwise identical series at 1, 2 and 4 ranks.
TRAIN=$ROOT/tests/cli/train_small.ini
for np in 1 2 4; do
    check "mpi:train-np$np" mpirun_n $np "$BIN" run "$TRAIN" -o "$WORK/mpi_train_$np.h5" --quiet --set train.steps_alpha=8
done
for np in 2 4; do
    check "mpi:train-identical-np1-np$np" $H5C same "$WORK/mpi_train_1.h5" "$WORK/mpi_train_$np.h5" /tasks/id /series/step /series/loss_train /series/loss_data /series/loss_gauss /series/overlap /series/norm /summary/final /summary/mmse
done
check mpi:train-complete-np4 $H5C complete "$WORK/mpi_train_4.h5"
