# Helpers for the checkpoint tests and the soak script. Sourced; needs BIN, ROOT, PY, mpirun_n.
# The datasets compared between interrupted and uninterrupted runs: every result of the run.
# Excluded, as timings or provenance: root attributes start_time_utc, end_time_utc, hostname,
# n_ranks, command line facts, /summary/wall_seconds and /timing (wall-clock facts).
CKPT_SAME="/tasks/id /series/step /series/samples /series/tau /series/loss_train /series/loss_data /series/loss_gauss /series/loss_mean /series/excess /series/err_u /series/err_v /series/max_overlap_m /series/max_overlap_u /series/max_overlap_v /series/subspace /series/overlap /series/norm /summary/final /summary/mmse /summary/steps /crossing/samples /crossing/stop /scaling/nstar /scaling/fit /theory/coeffs /theory/ode_m"
CKPT_CFG=$ROOT/tests/cli/train_small.ini
CKPT_ARGS=(--set mcm.d=100,200 --set train.steps_alpha=4000 --set scaling.early_stop=false --quiet)

# ckpt_kill_ranks SIGNAL PID: the mcmsim ranks started under PID (the test's background job), not
# mpirun (which then returns their code) and never an mcmsim the test did not start.
ckpt_descendants() { local c; for c in $(pgrep -P "$1"); do echo "$c"; ckpt_descendants "$c"; done; }
ckpt_kill_ranks() {
    local p
    for p in $(ckpt_descendants "$2"); do
        [ "$(cat /proc/"$p"/comm 2>/dev/null)" = mcmsim ] && kill "-$1" "$p" 2>/dev/null
    done
}

# ckpt_finish NP OUT [ARGS...]: restarts until the run completes (a fresh run when no
# checkpoint was written yet); returns the last exit code.
ckpt_finish() {
    local np=$1 out=$2; shift 2
    local rc=3 tries=0
    while [ "$rc" -ne 0 ] && [ $tries -lt 5 ]; do
        if [ -s ckpt/index ]; then
            mpirun_n "$np" "$BIN" run "$CKPT_CFG" -o "$out" "${CKPT_ARGS[@]}" --restart "$@" >/dev/null 2>&1; rc=$?
        else
            mpirun_n "$np" "$BIN" run "$CKPT_CFG" -o "$out" "${CKPT_ARGS[@]}" "$@" >/dev/null 2>&1; rc=$?
        fi
        tries=$((tries + 1))
    done
    return $rc
}

# ckpt_trial DIR REF SEED: one kill -9 at a random moment (often inside a checkpoint write),
# then restarts to completion; the result must equal REF.
ckpt_trial() {
    local dir=$1 ref=$2 seed=$3
    rm -rf "$dir" && mkdir -p "$dir" && cd "$dir" || return 1
    local delay
    delay=$(awk -v s="$seed" 'BEGIN { srand(s); printf "%.2f", 0.3 + 1.5 * rand() }')
    MCMSIM_TEST_CKPT_PAUSE=0.02 mpirun_n 2 "$BIN" run "$CKPT_CFG" -o out.h5 "${CKPT_ARGS[@]}" \
        --set checkpoint.every_seconds=0.05 >/dev/null 2>&1 &
    local pid=$!
    sleep "$delay"
    ckpt_kill_ranks KILL "$pid"
    wait $pid 2>/dev/null
    ckpt_finish 2 out.h5 --set checkpoint.every_seconds=0.05 || { cd - >/dev/null; return 1; }
    # shellcheck disable=SC2086
    $PY "$ROOT/tests/lib/h5check.py" same "$ref" out.h5 $CKPT_SAME
    local rc=$?
    cd - >/dev/null || true
    return $rc
}
