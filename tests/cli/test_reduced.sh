# The reduced engine end to end (issue 11): rank independence, checkpoint/restart, dry runs and
# refusals. Sourced by tests/run_tests.sh (the distributional tests are tests/unit/test_reduced_ks).
source "$ROOT/tests/lib/ckpt_lib.sh"
H5C="$PY $ROOT/tests/lib/h5check.py"
RD=$WORK/reduced
mkdir -p "$RD" && cd "$RD" || return
RARGS=(--set train.engine=reduced --set mcm.d=100,200 --set train.steps_alpha=2000
    --set scaling.early_stop=false --quiet)
RSAME=${CKPT_SAME//\/series\/loss_data \/series\/loss_gauss \/series\/loss_mean \/series\/excess \/series\/err_u \/series\/err_v/}

# Bitwise the same series at 1, 2 and 4 ranks.
check reduced:run-np1 mpirun_n 1 "$BIN" run "$CKPT_CFG" -o r1.h5 "${RARGS[@]}"
check reduced:complete $H5C complete r1.h5
for np in 2 4; do
    check "reduced:run-np$np" mpirun_n $np "$BIN" run "$CKPT_CFG" -o "r$np.h5" "${RARGS[@]}"
    check "reduced:identical-np1-np$np" $H5C same r1.h5 "r$np.h5" $RSAME
done
check reduced:engine-recorded $H5C attr r1.h5 /config train.engine reduced
# The overlaps are real (u learned at d = 100 within 2000 d-steps), not NaN placeholders.
check reduced:u-learned $PY -c "
import h5py, numpy as np, sys
f = h5py.File('r1.h5', 'r')
u = [r[np.isfinite(r)][-1] for r in f['/series/max_overlap_u'][:]]  # rows are NaN-padded
sys.exit(0 if len(u) == 6 and min(u) > 0.4 else 1)"
# The Gram monitor: the smallest eigenvalue of the parameter Gram matrix is recorded at every
# observation, finite and >= 0 to rounding (the rows are spherical: exactly 1 here).
check reduced:gram-min-eig $PY -c "
import h5py, numpy as np, sys
g = h5py.File('r1.h5', 'r')['/series/gram_min_eig'][:]
g = g[np.isfinite(g)]
sys.exit(0 if g.size >= 6 and g.min() > -1e-12 and abs(g - 1).max() < 1e-12 else 1)"

# A STOP file: the task in progress is checkpointed (its Gram state) and the restart is bitwise.
mkdir -p stop && cd stop && touch STOP
mpirun_n 2 "$BIN" run "$CKPT_CFG" -o out.h5 "${RARGS[@]}" >/dev/null 2>&1; rc=$?
[ "$rc" -eq 3 ] && [ -e CONTINUE ] && pass reduced:stop-exit-3 || fail reduced:stop-exit-3 "exit $rc"
DARGS=("${RARGS[@]/train.engine=reduced/train.engine=direct}")
cli_expect_rc reduced:restart-engine-fixed 2 "train.engine: checkpoint 'reduced', now 'direct'" \
    mpirun_n 1 "$BIN" run "$CKPT_CFG" -o out.h5 "${DARGS[@]}" --restart
check reduced:stop-restart mpirun_n 2 "$BIN" run "$CKPT_CFG" -o out.h5 "${RARGS[@]}" --restart
check reduced:stop-identical $H5C same ../r1.h5 out.h5 $RSAME
cd "$RD" || return

# Dry run: the reduced engine's own work per step (independent of d).
DRY=("${RARGS[@]/mcm.d=100,200/mcm.d=1000000}")
expect_rc 0 "training (reduced engine)" "$BIN" run "$CKPT_CFG" --dry-run "${DRY[@]}"
grep -qE "normal variates +~ [0-9.e+]+" <<<"$EXPECT_OUT" || EXPECT_WHY="${EXPECT_WHY:-no variates line}"
expect_report reduced:dry-run
# What the chain cannot hold is refused with the key: d too small for the frame.
check_usage reduced:d-too-small "key 'mcm.d'" "$RD/small.h5" "$BIN" run "$CKPT_CFG" -o "$RD/small.h5" \
    --set train.engine=reduced --set mcm.d=9 --set model.family=twolayer --set model.K=2

# Crossing-time distributions n*(d) agree between the engines (100 replicas each, KS per d and
# threshold): a small u-scan and a correlated v-scan. A study with delta 0.35 instead of 0.5 is
# rejected by the same test, which shows it has the power to see a wrong chain.
KS="$PY $ROOT/tests/lib/ks_crossing.py"
for study in scaling_u scaling_v_correlated; do
    for eng in direct reduced; do
        check "reduced:$study-$eng" mpirun_n 2 "$BIN" run "$ROOT/input/$study.ini" -o "$RD/${study}_$eng.h5" \
            --set run.n_seeds=100 --set mcm.d=64,128 --set train.engine=$eng --quiet
    done
    check "reduced:$study-nstar-ks" $KS "$RD/${study}_direct.h5" "$RD/${study}_reduced.h5"
done
check reduced:nstar-wrong-delta-run mpirun_n 2 "$BIN" run "$ROOT/input/scaling_u.ini" -o "$RD/u_wrong.h5" \
    --set run.n_seeds=100 --set mcm.d=64,128 --set optim.delta=0.35 --quiet
check reduced:nstar-ks-rejects-wrong $KS "$RD/scaling_u_direct.h5" "$RD/u_wrong.h5" --expect-reject
cd "$ROOT" || return
