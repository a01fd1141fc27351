#!/usr/bin/env bash
# Throughput of independent tasks on 1 and 2 ranks (wall time of `mcmsim run`, 8 tasks).
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-build/mcmsim}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl=self,vader
export OPENBLAS_NUM_THREADS=1
args=(run tests/cli/train_small.ini --quiet --set mcm.d=400 --set run.n_seeds=8 --set train.steps_alpha=1000 --set scaling.early_stop=false)
t() { local s e; s=$(date +%s.%N); mpirun -np "$1" --oversubscribe "$BIN" "${args[@]}" -o /tmp/bench_ranks_$1.h5; e=$(date +%s.%N); awk -v a="$s" -v b="$e" 'BEGIN { print b - a }'; }
t1=$(t 1); t2=$(t 2)
awk -v a="$t1" -v b="$t2" 'BEGIN { printf "bench_ranks: 8 tasks d = 400, 400000 steps each: 1 rank %.2f s, 2 ranks %.2f s, speed-up %.2fx\n", a, b, a / b }'
rm -f /tmp/bench_ranks_1.h5 /tmp/bench_ranks_2.h5
