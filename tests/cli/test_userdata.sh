# Training on a user data set (`mcmsim run` with data.file) and the clone module. Sourced by
# tests/run_tests.sh (MPI block). The data set is MCM data written by `mcmsim sample`, so the
# spikes that generated it are known (/model) and the physics can be checked.
UD_INI=$ROOT/input/clone_user_data.ini
UDC="$PY $ROOT/tests/lib/userdata_check.py"
H5C="$PY $ROOT/tests/lib/h5check.py"
UD=$WORK/userdata
mkdir -p "$UD"

# clone module on grids of 1, 2 and 4 ranks: moments within 5 SE, eigen fallback, null space;
# the Cholesky clone samples agree across rank counts to rounding (ScaLAPACK on other grids).
for np in 1 2 4; do
    check "clone:mpi-np$np" mpirun_n $np "$ROOT/$BUILD/tests/mpi_clone" "$UD/clone_$np.bin"
done
for np in 2 4; do
    check "clone:rank-independent-np1-np$np" $PY -c "
import numpy as np
a, b = np.fromfile('$UD/clone_1.bin'), np.fromfile('$UD/clone_$np.bin')
assert a.size == b.size > 0
e = np.abs(a - b).max() / np.abs(a).max()
assert e < 1e-12, 'relative difference %.2e' % e"
done
cli_expect_rc clone:cholesky-not-pd-exit-1 1 "set clone.method = auto or eigen" \
    mpirun_n 2 "$ROOT/$BUILD/tests/mpi_clone" --die

# The data set: 4000 MCM rows of d = 40 and the spikes; a float32 copy; broken variants.
check userdata:make-data "$BIN" sample "$UD_INI" -o "$UD/ud.h5" --quiet
check userdata:make-variants $PY -c "
import h5py, numpy as np
src = h5py.File('$UD/ud.h5', 'r')
x = src['samples/x0'][()]
def write(name, arr, spikes=True):
    with h5py.File('$UD/' + name, 'w') as f:
        f['samples/x0'] = arr
        if spikes:
            for k in 'muv':
                f['model/' + k] = src['model/' + k][()]
write('ud32.h5', x.astype(np.float32))
write('ud_3d.h5', x.reshape(40, 100, 40))
write('ud_int.h5', np.rint(x).astype(np.int32))
y = x.copy(); y[1234, 7] = np.nan; write('ud_nan.h5', y)
y = x.copy(); y[:, 39] = 3.0; write('ud_const.h5', y, spikes=False)
write('ud_d20.h5', x[:, :20], spikes=False)
"
run_ud() { # run_ud NP OUT [ARGS...]: data.file is ud.h5 unless ARGS set it
    local np=$1 out=$2; shift 2
    local file=(--set data.file="$UD/ud.h5")
    [[ " $* " == *" data.file="* ]] && file=()
    # One rank runs as a singleton (no mpirun: a second less per call).
    local launch=(mpirun_n "$np")
    [ "$np" -eq 1 ] && launch=(timeout -k 10 "$MPI_TIMEOUT")
    "${launch[@]}" "$BIN" run "$UD_INI" -o "$out" --quiet "${file[@]}" "$@"
}

# Linear denoiser, 1 and 2 ranks: V19 clone identity, the mean-clone gap, /data, rank counts.
check userdata:linear-np1 run_ud 1 "$UD/lin1.h5"
check userdata:linear-np2 run_ud 2 "$UD/lin2.h5"
check userdata:complete $H5C complete "$UD/lin2.h5"
check userdata:data-group $UDC data_group "$UD/lin2.h5" "$UD/ud.h5" float64 cholesky
check userdata:clone-identity-v19 $UDC clone_identity "$UD/lin1.h5" "$UD/ud.h5"
check userdata:ranks-np1-np2 $UDC ranks "$UD/lin1.h5" "$UD/lin2.h5"
check userdata:float32 run_ud 2 "$UD/lin32.h5" --set data.file="$UD/ud32.h5"
check userdata:float32-recorded $UDC data_group "$UD/lin32.h5" "$UD/ud32.h5" float32 cholesky
check userdata:float32-close $UDC close "$UD/lin2.h5" "$UD/lin32.h5" 1e-4

# Single neuron with the generating spikes: u is learned as on MCM data; without spikes the
# overlaps are NaN; a constant column makes the covariance singular: auto falls back to eigen.
NEURON=(--set model.family=neuron --set optim.kind=spherical --set optim.delta=0.5
    --set train.batch=1 --set run.n_seeds=3 --set observe.n_eval=512 --set scaling.early_stop=false)
check userdata:neuron run_ud 2 "$UD/neuron.h5" "${NEURON[@]}" --set train.steps_alpha=30
check userdata:neuron-learns-u $UDC u_learned "$UD/neuron.h5"
check userdata:no-spikes run_ud 1 "$UD/nosp.h5" "${NEURON[@]}" --set data.spikes=none --set train.steps_alpha=2
check userdata:no-spikes-nan $UDC no_spikes "$UD/nosp.h5"
check userdata:singular-auto-eigen run_ud 2 "$UD/const.h5" --set data.file="$UD/ud_const.h5" --set data.spikes=none --set clone.jitter=0 --set train.steps_alpha=2
check userdata:singular-recorded $H5C attr "$UD/const.h5" /data clone_method eigen
cli_expect_rc userdata:singular-cholesky-exit-1 1 "set clone.method = auto or eigen" \
    run_ud 2 "$UD/const_chol.h5" --set data.file="$UD/ud_const.h5" --set data.spikes=none --set clone.jitter=0 --set clone.method=cholesky
check userdata:singular-cholesky-no-output test ! -e "$UD/const_chol.h5" -a ! -e "$UD/const_chol.h5.partial"

# Checkpoint and restart: the data set is read again; results bitwise equal to lin2.h5.
ud_in_ck() { (cd "$UD/ck" && run_ud "$@"); }
mkdir -p "$UD/ck" && touch "$UD/ck/STOP"
ud_in_ck 2 out.h5 >/dev/null 2>&1; rc=$?
[ "$rc" -eq 3 ] && [ ! -e "$UD/ck/out.h5" ] && pass userdata:stop-exit-3 || fail userdata:stop-exit-3 "exit $rc"
check userdata:restart ud_in_ck 2 out.h5 --restart
# A data file changed between the stop and the restart is refused (fingerprint of the rows).
mkdir -p "$UD/ck2" && cp "$UD/ud.h5" "$UD/ck2/data.h5" && touch "$UD/ck2/STOP"
(cd "$UD/ck2" && run_ud 2 out.h5 --set data.file="$UD/ck2/data.h5" >/dev/null 2>&1)
check userdata:changed-data-modify $PY -c "
import h5py
with h5py.File('$UD/ck2/data.h5', 'r+') as f: f['samples/x0'][7, 3] += 1e-9"
cli_expect_rc userdata:changed-data-refused 2 "the data set changed since the checkpoint" \
    bash -c "cd '$UD/ck2' && OMPI_MCA_rmaps_base_oversubscribe=1 mpirun -np 2 '$BIN' run '$UD_INI' -o out.h5 --quiet --restart --set data.file='$UD/ck2/data.h5'"
check userdata:restart-identical $H5C same "$UD/lin2.h5" "$UD/ck/out.h5" /series/step /series/loss_train /series/loss_data /series/loss_gauss /series/loss_mean /series/err_u /series/err_v /summary/final /data/mean

# Bad data sets and configurations: exit 2, the reason, no output file. Those found by one rank
# and shared (file probe on rank 0, NaN scan split over ranks) run on 2 ranks, the rest on 1.
bad_ud() { # bad_ud NP NAME FRAGMENT ARGS...
    local np=$1 name=$2 frag=$3; shift 3
    cli_expect_rc "userdata:bad-$name" 2 "$frag" run_ud "$np" "$UD/bad_$name.h5" "$@"
    check "userdata:bad-$name-no-output" test ! -e "$UD/bad_$name.h5" -a ! -e "$UD/bad_$name.h5.partial"
}
bad_ud 2 missing-file "key 'data.file'" --set data.file="$UD/nonexistent.h5"
bad_ud 1 missing-dataset "no dataset '/samples/x1'" --set data.dataset=/samples/x1
bad_ud 1 3d "has 3 dimension(s)" --set data.file="$UD/ud_3d.h5"
bad_ud 1 integer "not a float or double array" --set data.file="$UD/ud_int.h5"
bad_ud 2 nan "non-finite value at row 1234, column 7" --set data.file="$UD/ud_nan.h5"
bad_ud 2 d-mismatch "key 'mcm.d': 40, but dataset '/samples/x0'" --set data.file="$UD/ud_d20.h5"
bad_ud 1 d-list "key 'mcm.d': 2 dimensions" --set mcm.d=40,80
bad_ud 1 finite "key 'train.data': 'finite'" --set train.data=finite
bad_ud 1 sweep-beta "key 'sweep.beta_u'" --set sweep.beta_u=1,2
bad_ud 1 test-fraction "key 'data.test_fraction'" --set data.test_fraction=0.9999
bad_ud 1 spikes "key 'data.spikes'" --set data.spikes=/samples
check userdata:sweep-t-allowed run_ud 1 "$UD/sweep_t.h5" --set sweep.t=0.25,1 --set train.steps_alpha=1
cli_expect_rc userdata:dry-run 0 "nothing computed or written" run_ud 1 "$UD/dry.h5" --dry-run
