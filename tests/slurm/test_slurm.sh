# The job scripts against a real scheduler: a private single-node SLURM (tests/slurm/slurm_lib.sh)
# runs (1) jobs/submit-scan: an array job of 3 slices, 2 at a time, and the afterok merge;
# (2) jobs/run.sbatch with a 1-minute wall time and a 57 s margin, so the first job stops with a
# checkpoint after ~3 s, resubmits itself (with --time=2) and the second job completes; (3)
# jobs/run.sbatch under mpirun stopped by SIGTERM to the whole job (mpirun then exits 1, not 3)
# and under srun stopped by SIGUSR1 to the batch shell, each resubmitted and completed; (4) a
# failing run is not resubmitted. Every result is
# compared bitwise (timings aside) with one 2-rank mpirun of the same tasks. Sourced by
# tests/run_tests.sh; SKIP only when slurm-wlm/munge are missing and cannot be installed.
source "$ROOT/tests/slurm/slurm_lib.sh"
SL_T0=$SECONDS
slurm_have() { command -v slurmctld && command -v slurmd && command -v munged && command -v sbatch; } >/dev/null
if ! slurm_have && [ "$(id -u)" -eq 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge \
        >/dev/null 2>&1 || true
fi
if ! slurm_have || [ "$(id -u)" -ne 0 ]; then
    echo "SKIP slurm: slurm-wlm and munge are not installed and cannot be (need root and apt: make deps)"
    return 0 2>/dev/null || exit 0
fi
SL=$WORK/slurm
mkdir -p "$SL/sub"
if ! slurm_start "$SL/daemons"; then
    fail slurm:daemons-start "$(tail -n 3 "$SL"/daemons/*.log 2>/dev/null | tr '\n' ' ')"
    slurm_stop
    return 0 2>/dev/null || exit 0
fi
pass slurm:daemons-start
H5SAME="$PY $ROOT/tests/compat/h5same.py --quiet-exclusions"
SL_CFG=$ROOT/tests/cli/train_small.ini
export MCMSIM=$BIN MCMSIM_JOBS_DIR=$ROOT/jobs MCMSIM_SRUN_MPI=pmix
# (1) the scan: 6 tasks (d = 100, 200 x 3 replicas) in 3 slices of 2 ranks each.
SCAN_ARGS=(--set train.steps_alpha=300 --quiet)
cd "$SL/sub" || return
mpirun_n 2 "$BIN" run "$SL_CFG" "${SCAN_ARGS[@]}" -o "$SL/scan_ref.h5" >/dev/null 2>&1
# A site set-up file, as jobs/README.md suggests (modules, file locking), sourced by every job.
printf 'export HDF5_USE_FILE_LOCKING=FALSE\necho "setup sourced in job $SLURM_JOB_ID"\n' > "$SL/setup.sh"
out=$(MCMSIM_SETUP=$SL/setup.sh "$ROOT/jobs/submit-scan" --slices 3 --throttle 2 --dir "$SL/scan" --sbatch "--ntasks=2 --time=5" \
    "$SL_CFG" "${SCAN_ARGS[@]}" 2>&1)
read -r SA SM < "$SL/scan/jobs" 2>/dev/null || SA= SM=
# Right after submission: the array's throttle and the merge's dependency as SLURM holds them.
sched=$(scontrol -o show job "$SA" 2>/dev/null; scontrol -o show job "$SM" 2>/dev/null)
if [ -n "$SA" ] && slurm_wait_jobs 120 "$SA" "$SM"; then pass slurm:scan-jobs-finish
else fail slurm:scan-jobs-finish "$out $(squeue 2>&1 | tail -n 4)"; fi
grep -q "ArrayTaskThrottle=2" <<< "$sched" && pass slurm:scan-throttle-2 \
    || fail slurm:scan-throttle-2 "no ArrayTaskThrottle=2"
grep -q "Dependency=afterok:${SA}" <<< "$sched" && pass slurm:scan-merge-afterok \
    || fail slurm:scan-merge-afterok "$(grep -o 'Dependency=[^ ]*' <<< "$sched")"
states=$(scontrol -o show job "$SA" 2>/dev/null | grep -o "JobState=[A-Z]*" | sort | uniq -c | tr -s ' ')
[ "$(scontrol -o show job "$SA" 2>/dev/null | grep -c "JobState=COMPLETED")" -eq 3 ] \
    && pass slurm:scan-3-array-tasks-completed || fail slurm:scan-3-array-tasks-completed "$states"
scontrol -o show job "$SM" 2>/dev/null | grep -q "JobState=COMPLETED" \
    && pass slurm:scan-merge-job-completed || fail slurm:scan-merge-job-completed \
    "$(tail -n 3 "$SL/scan/merge-$SM.log" 2>&1)"
grep -qs "setup sourced in job" "$SL"/sub/mcmsim-scan-*_1.log && pass slurm:scan-setup-file-sourced \
    || fail slurm:scan-setup-file-sourced "$(head -n 2 "$SL"/sub/mcmsim-scan-*_1.log 2>&1)"
check slurm:scan-merged-equals-single-run $H5SAME "$SL/scan_ref.h5" "$SL/scan/train_small.h5"

# (2) and (3): one run of the same 6 tasks long enough (4000 d-steps) to outlast a 3 s limit.
CHAIN_ARGS=(--set train.steps_alpha=4000 --set scaling.early_stop=false
    --set checkpoint.every_seconds=1 --quiet)
mpirun_n 2 "$BIN" run "$SL_CFG" "${CHAIN_ARGS[@]}" -o "$SL/chain_ref.h5" >/dev/null 2>&1
# slurm_chain_wait DIR TIMEOUT: until DIR/train_small.h5 exists and no job of the chain is left,
# or a job failed; prints the job directories' outcomes.
slurm_chain_wait() {
    local d=$1 end=$((SECONDS + $2))
    while [ $SECONDS -lt $end ]; do
        if grep -qs "failed" "$d"/job-*/outcome.txt; then break; fi
        if [ -e "$d/train_small.h5" ] && [ -z "$(squeue -h -n mcmsim-chain -o %i 2>/dev/null)" ]; then
            break
        fi
        sleep 1
    done
    cat "$d"/job-*/outcome.txt 2>/dev/null
}
# (2) the wall time: --time=1 and MCMSIM_MARGIN=57 give mcmsim a ~3 s --time-limit; the
# resubmission asks --time=2 (MCMSIM_SBATCH_ARGS), where the same margin leaves ~63 s.
C2=$SL/chain
MCMSIM_MARGIN=57 MCMSIM_MAX_RESUBMIT=4 MCMSIM_RUNDIR=$C2 MCMSIM_SBATCH_ARGS="--time=2" \
    sbatch --parsable --job-name=mcmsim-chain --ntasks=2 --time=1 --signal=B:USR1@5 \
    --output="$SL/chain-%j.log" "$ROOT/jobs/run.sbatch" "$SL_CFG" "${CHAIN_ARGS[@]}" >/dev/null
outc=$(slurm_chain_wait "$C2" 150)
njob=$(ls -d "$C2"/job-* 2>/dev/null | wc -l)
# The first job's limit: its wall time (squeue %L, about 1:00) minus 57 s.
first=$(ls -d "$C2"/job-* 2>/dev/null | sort -t- -k2 -n | head -n 1)
tl=$(sed -n 's/.*margin 57 s, time limit \([0-9]*\)$/\1/p' "$first/launch.txt" 2>/dev/null)
[ -n "$tl" ] && [ "$tl" -ge 1 ] && [ "$tl" -le 3 ] && pass slurm:chain-time-limit-from-wall-time \
    || fail slurm:chain-time-limit-from-wall-time "$(head -n 1 "$first/launch.txt" 2>&1)"
grep -q ": checkpoint" <<< "$outc" && grep -q "resubmitted as job" <<< "$outc" && [ "$njob" -ge 2 ] \
    && pass slurm:chain-checkpoint-and-resubmission || fail slurm:chain-checkpoint-and-resubmission "$njob jobs: $outc"
grep -q ": complete" <<< "$outc" && ! grep -q failed <<< "$outc" && [ ! -e "$C2/CONTINUE" ] \
    && pass slurm:chain-completes || fail slurm:chain-completes "$outc"
[ -s "$(ls "$C2"/job-*/config.ini | head -n 1)" ] && grep -q "^\[run\]" "$(ls "$C2"/job-*/config.ini | head -n 1)" \
    && grep -q "^mcmsim " "$(ls "$C2"/job-*/version.txt | head -n 1)" \
    && pass slurm:chain-run-dir-config-version || fail slurm:chain-run-dir-config-version "$(ls "$C2"/job-* | tr '\n' ' ')"
check slurm:chain-equals-single-run $H5SAME "$SL/chain_ref.h5" "$C2/train_small.h5"

# (3) signals: (a) the launcher signalled, as at the wall time or a scancel: mpirun under the
# job and `scancel --full --signal=TERM` (batch shell, mpirun and ranks): the ranks checkpoint,
# mpirun exits 1, not mcmsim's 3, and the decision (a fresh CONTINUE, the checkpoint index moved)
# still resubmits; (b) `scancel --batch --signal=USR1` (what --signal=B:USR1@... delivers) to
# the batch shell only, forwarded to srun. Both chains must end with the uninterrupted result.
C3=$SL/term C3B=$SL/usr1
J3=$(MCMSIM_MARGIN=10 MCMSIM_MAX_RESUBMIT=2 MCMSIM_RUNDIR=$C3 MCMSIM_LAUNCHER="mpirun -np 2" \
    sbatch --parsable --job-name=mcmsim-chain --ntasks=2 --time=3 --signal=B:USR1@5 \
    --output="$SL/term-%j.log" "$ROOT/jobs/run.sbatch" "$SL_CFG" "${CHAIN_ARGS[@]}")
J3B=$(MCMSIM_MARGIN=10 MCMSIM_MAX_RESUBMIT=2 MCMSIM_RUNDIR=$C3B \
    sbatch --parsable --job-name=mcmsim-chain --ntasks=2 --time=3 --signal=B:USR1@5 \
    --output="$SL/usr1-%j.log" "$ROOT/jobs/run.sbatch" "$SL_CFG" "${CHAIN_ARGS[@]}")
for _ in $(seq 240); do [ -s "$C3/ckpt/index" ] && [ -s "$C3B/ckpt/index" ] && break; sleep 0.5; done
scancel --full --signal=TERM "$J3"
scancel --batch --signal=USR1 "$J3B"
outs=$(slurm_chain_wait "$C3" 150)
outb=$(slurm_chain_wait "$C3B" 150)
first=$(head -n 1 "$C3/job-$J3/outcome.txt" 2>/dev/null)
grep -q "^launcher exit [1-9][0-9]*, checkpoint index 0 -> [1-9][0-9]*: checkpoint" <<< "$first" \
    && ! grep -q "^launcher exit 3," <<< "$first" && grep -q "resubmitted as job" <<< "$outs" \
    && pass slurm:term-launcher-exit-not-3-still-resubmits \
    || fail slurm:term-launcher-exit-not-3-still-resubmits "$outs"
grep -q ": complete" <<< "$outs" && ! grep -q failed <<< "$outs" && pass slurm:term-chain-completes \
    || fail slurm:term-chain-completes "$outs"
check slurm:term-equals-single-run $H5SAME "$SL/chain_ref.h5" "$C3/train_small.h5"
grep -q "signal USR1, forwarded" "$SL/usr1-$J3B.log" \
    && grep -q "checkpoint index 0 -> [1-9][0-9]*: checkpoint" "$C3B/job-$J3B/outcome.txt" \
    && grep -q "resubmitted as job" <<< "$outb" \
    && pass slurm:usr1-forwarded-checkpoint-resubmission \
    || fail slurm:usr1-forwarded-checkpoint-resubmission "$(tail -n 2 "$SL/usr1-$J3B.log") $outb"
grep -q ": complete" <<< "$outb" && ! grep -q failed <<< "$outb" && pass slurm:usr1-chain-completes \
    || fail slurm:usr1-chain-completes "$outb"
check slurm:usr1-equals-single-run $H5SAME "$SL/chain_ref.h5" "$C3B/train_small.h5"

# (4) a failure is never resubmitted: a run that cannot write its output (exit 1 or 2).
C4=$SL/fail
J4=$(MCMSIM_RUNDIR=$C4 OUT=/nonexistent-dir/x.h5 sbatch --parsable --job-name=mcmsim-fail --ntasks=1 --time=1 \
    --output="$SL/fail-%j.log" "$ROOT/jobs/run.sbatch" "$SL_CFG" --quiet)
slurm_wait_jobs 60 "$J4"
[ "$(ls -d "$C4"/job-* 2>/dev/null | wc -l)" -eq 1 ] && grep -qs failed "$C4"/job-*/outcome.txt \
    && scontrol -o show job "$J4" | grep -q "JobState=FAILED" \
    && pass slurm:failure-not-resubmitted || fail slurm:failure-not-resubmitted "$(cat "$C4"/job-*/outcome.txt 2>&1)"

# (5) jobs/sample.sbatch: one rank, a few samples, the run directory.
J5=$(sbatch --parsable --ntasks=1 --time=1 --output="$SL/sample-%j.log" "$ROOT/jobs/sample.sbatch" \
    "$SL_CFG" --set sample.n=50 --quiet)
slurm_wait_jobs 60 "$J5"
[ -e "$SL/sub/results/train_small-samples-$J5.h5" ] && [ -s "$SL/sub/runs/train_small-samples/job-$J5/config.ini" ] \
    && pass slurm:sample-job || fail slurm:sample-job "$(tail -n 3 "$SL/sample-$J5.log" 2>&1)"

cd "$ROOT" || true
slurm_stop
left=0
for p in $(cat "$SL"/daemons/*.pid 2>/dev/null); do kill -0 "$p" 2>/dev/null && left=1; done
[ "$left" -eq 0 ] && pass slurm:daemons-stopped-by-pid || fail slurm:daemons-stopped-by-pid "a daemon is still running"
echo "slurm: test wall time $((SECONDS - SL_T0)) s"
