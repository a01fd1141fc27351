#!/usr/bin/env bash
# Soak test: N trials of `mcmsim run` on 2 ranks killed with SIGKILL at a random moment (often
# inside a checkpoint write), restarted until complete, and compared bitwise with an
# uninterrupted run.   usage: tests/soak/kill_restart.sh [N] (default 20)
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
BUILD=${BUILD:-build}
BIN=$ROOT/$BUILD/mcmsim
N=${1:-20}
source tests/lib/harness.sh
source tests/lib/ckpt_lib.sh
WORK=$(mktemp -d /tmp/mcmsim-soak.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/ref" && cd "$WORK/ref" || exit 1
mpirun_n 2 "$BIN" run "$CKPT_CFG" -o ref.h5 "${CKPT_ARGS[@]}" || { echo "reference run failed"; exit 1; }
cd "$ROOT" || exit 1
for t in $(seq "$N"); do
    check "soak:kill9-trial-$t" ckpt_trial "$WORK/t$t" "$WORK/ref/ref.h5" "$((t * 7919 + $$))"
done
summary_line
[ "$FAILED" -eq 0 ]
