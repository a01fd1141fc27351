# Checkpoint/restart tests (issue: fault tolerance). Sourced by tests/run_tests.sh.
source "$ROOT/tests/lib/ckpt_lib.sh"
H5C="$PY $ROOT/tests/lib/h5check.py"
CK=$WORK/ckpt
mkdir -p "$CK" && cd "$CK" || return
REF=$CK/ref.h5
check ckpt:reference mpirun_n 2 "$BIN" run "$CKPT_CFG" -o "$REF" "${CKPT_ARGS[@]}"

# STOP file: checkpoint, exit 3, CONTINUE marker; --restart completes with identical results.
mkdir -p stop && cd stop && touch STOP
mpirun_n 2 "$BIN" run "$CKPT_CFG" -o out.h5 "${CKPT_ARGS[@]}" >/dev/null 2>&1; rc=$?
[ "$rc" -eq 3 ] && [ -e CONTINUE ] && [ ! -e out.h5 ] && [ ! -e out.h5.partial ] && [ ! -e STOP ] \
    && pass ckpt:stop-file-exit-3 || fail ckpt:stop-file-exit-3 "exit $rc"
check ckpt:stop-restart mpirun_n 2 "$BIN" run "$CKPT_CFG" -o out.h5 "${CKPT_ARGS[@]}" --restart
check ckpt:stop-identical $H5C same "$REF" out.h5 $CKPT_SAME
check ckpt:continue-removed test ! -e CONTINUE
check ckpt:complete $H5C complete out.h5
cp -r ckpt ../ckpt_by2 && cd "$CK" || return

# SIGTERM (and SIGUSR1) to the ranks: checkpoint and exit 3.
for sig in TERM USR1; do
    mkdir -p "sig$sig" && cd "sig$sig" || return
    mpirun_n 2 "$BIN" run "$CKPT_CFG" -o out.h5 "${CKPT_ARGS[@]}" --set checkpoint.every_seconds=0.2 >/dev/null 2>&1 & pid=$!
    # The handlers are installed before the output is created: wait for it (a loaded machine
    # can take more than a second to start the ranks), then let the run get going.
    for _ in $(seq 100); do [ -e out.h5.partial ] && break; sleep 0.1; done
    sleep 0.3; ckpt_kill_ranks "$sig" "$pid"; wait $pid; rc=$?
    [ "$rc" -eq 3 ] && [ -e CONTINUE ] && pass "ckpt:sig$sig-exit-3" || fail "ckpt:sig$sig-exit-3" "exit $rc"
    check "ckpt:sig$sig-restart" mpirun_n 2 "$BIN" run "$CKPT_CFG" -o out.h5 "${CKPT_ARGS[@]}" --restart
    check "ckpt:sig$sig-identical" $H5C same "$REF" out.h5 $CKPT_SAME
    cd "$CK" || return
done

# --time-limit stops with a checkpoint before the limit.
mkdir -p tl && cd tl || return
mpirun_n 2 "$BIN" run "$CKPT_CFG" -o out.h5 "${CKPT_ARGS[@]}" --time-limit 1.5 >/dev/null 2>&1; rc=$?
[ "$rc" -eq 3 ] && pass ckpt:time-limit-exit-3 || fail ckpt:time-limit-exit-3 "exit $rc"
check ckpt:time-limit-finish ckpt_finish 2 out.h5
check ckpt:time-limit-identical $H5C same "$REF" out.h5 $CKPT_SAME
cd "$CK" || return

# A checkpoint written by 2 ranks restarts on 1, 2 and 4.
for np in 1 2 4; do
    mkdir -p "np$np" && cd "np$np" && cp -r ../ckpt_by2 ckpt || return
    check "ckpt:restart-np$np" mpirun_n $np "$BIN" run "$CKPT_CFG" -o out.h5 "${CKPT_ARGS[@]}" --restart
    check "ckpt:restart-np$np-identical" $H5C same "$REF" out.h5 $CKPT_SAME
    cd "$CK" || return
done

# A crash inside the write of checkpoint 2 leaves checkpoint 1 valid.
mkdir -p crash && cd crash || return
MCMSIM_TEST_CKPT_CRASH=2 mpirun_n 2 "$BIN" run "$CKPT_CFG" -o out.h5 "${CKPT_ARGS[@]}" --set checkpoint.every_seconds=0.1 >/dev/null 2>&1
check ckpt:crash-left-tmp bash -c "ls ckpt/*.tmp >/dev/null 2>&1 && [ \$(wc -l < ckpt/index) -eq 1 ]"
check ckpt:crash-restart mpirun_n 2 "$BIN" run "$CKPT_CFG" -o out.h5 "${CKPT_ARGS[@]}" --restart
check ckpt:crash-identical $H5C same "$REF" out.h5 $CKPT_SAME
cd "$CK" || return

# Damaged newest checkpoints fall back to the previous one; a FIXED key change is an error.
mkdir -p damage && cd damage || return
# Checkpoints by step count, so two exist however slowly a loaded machine runs the 1.2 s.
mpirun_n 2 "$BIN" run "$CKPT_CFG" -o out.h5 "${CKPT_ARGS[@]}" --set checkpoint.every_steps=4000 --time-limit 1.2 >/dev/null 2>&1
[ "$(wc -l < ckpt/index)" -ge 2 ] && pass ckpt:two-checkpoints || fail ckpt:two-checkpoints "$(cat ckpt/index)"
newest=ckpt/$(tail -n 1 ckpt/index)
cp "$newest" keep.h5
for how in corrupt truncate version; do
    cp keep.h5 "$newest"
    case $how in
        corrupt) $PY -c "
import h5py, numpy as np
f = h5py.File('$newest', 'r+'); d = f['blob_data']; x = d[:5]; x[3] += 1.0; d[:5] = x" ;;
        truncate) truncate -s 600 "$newest" ;;
        version) $PY -c "import h5py; h5py.File('$newest', 'r+').attrs['ckpt_version'] = 99" ;;
    esac
    msg=$(mpirun_n 2 "$BIN" run "$CKPT_CFG" -o "out_$how.h5" "${CKPT_ARGS[@]}" --restart 2>&1); rc=$?
    if [ "$rc" -eq 0 ] && grep -q "trying an older one" <<< "$msg" && $H5C same "$REF" "out_$how.h5" $CKPT_SAME; then
        pass "ckpt:$how-falls-back"; else fail "ckpt:$how-falls-back" "exit $rc"; echo "$msg" | head -3; fi
done
cp keep.h5 "$newest"
cli_expect_rc ckpt:fixed-key-changed 2 "mcm.beta_u: checkpoint '5', now '4' (FIXED on restart)" \
    mpirun_n 2 "$BIN" run "$CKPT_CFG" -o out_fixed.h5 "${CKPT_ARGS[@]}" --restart --set mcm.beta_u=4
check ckpt:fixed-key-no-output test ! -e out_fixed.h5 -a ! -e out_fixed.h5.partial
loud=()
for a in "${CKPT_ARGS[@]}"; do [ "$a" = --quiet ] || loud+=("$a"); done
cli_expect_rc ckpt:changeable-key-logged 0 "changed from '0' to '1' (CHANGEABLE)" \
    mpirun_n 2 "$BIN" run "$CKPT_CFG" -o out_chg.h5 "${loud[@]}" --restart --set observe.status_every=1
cli_expect_rc ckpt:explicit-path 0 "" mpirun_n 1 "$BIN" run "$CKPT_CFG" -o out_path.h5 "${CKPT_ARGS[@]}" "--restart=keep.h5"
check ckpt:explicit-path-identical $H5C same "$REF" out_path.h5 $CKPT_SAME
cli_expect_rc ckpt:every-steps 0 "checkpoint 2:" mpirun_n 1 "$BIN" run "$CKPT_CFG" -o out_steps.h5 "${loud[@]}" --set checkpoint.every_steps=100000 --set checkpoint.dir=bysteps
check ckpt:every-steps-identical $H5C same "$REF" out_steps.h5 $CKPT_SAME
cli_expect_rc ckpt:no-checkpoint 2 "no checkpoint listed" mpirun_n 1 "$BIN" run "$CKPT_CFG" -o x.h5 "${CKPT_ARGS[@]}" --restart --set checkpoint.dir=nowhere
cd "$CK" || return

# A full disk fails the write with a clear error (exit 1) and leaves the previous checkpoint
# valid: a 96 KiB tmpfs holds two checkpoints of this run but not a third; without mount
# rights, a file-size limit on the rank stands in for it.
mkdir -p full/ckpt && cd full || return
if mount -t tmpfs -o size=96k tmpfs ckpt 2>/dev/null; then
    msg=$(mpirun_n 2 "$BIN" run "$CKPT_CFG" -o out.h5 "${CKPT_ARGS[@]}" --set checkpoint.every_seconds=0.1 2>&1); rc=$?
    cp -r ckpt saved; umount ckpt
else
    msg=$(mpirun_n 1 bash -c "ulimit -f 64; exec '$BIN' run '$CKPT_CFG' -o out.h5 ${CKPT_ARGS[*]} --set checkpoint.every_seconds=0.1" 2>&1); rc=$?
    cp -r ckpt saved
fi
if [ "$rc" -eq 1 ] && grep -q "not written" <<< "$msg" && grep -q "stays valid" <<< "$msg"; then pass ckpt:disk-full-error
else fail ckpt:disk-full-error "exit $rc"; echo "$msg" | grep -v "^ " | head -3; fi
check ckpt:disk-full-previous-valid mpirun_n 2 "$BIN" run "$CKPT_CFG" -o out.h5 "${CKPT_ARGS[@]}" --restart --set checkpoint.dir=saved
check ckpt:disk-full-identical $H5C same "$REF" out.h5 $CKPT_SAME
cd "$CK" || return

# kill -9 at random moments, often inside a checkpoint write: every trial ends identical.
for trial in 1 2 3 4 5; do
    check "ckpt:kill9-trial-$trial" ckpt_trial "$CK/kill$trial" "$REF" "$trial"
done
cd "$ROOT" || return
