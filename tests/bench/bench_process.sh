#!/usr/bin/env bash
# Whole-process time of `mcmsim run` (issue 15): start-up included, as a user sees it.
#  - start-up: a run of 1 d-step (d = 100, one task), as a singleton and under mpirun -np 1, 2;
#  - a 2e5-step run of the neuron (d = 1000, K = 2, spherical online SGD, one task, no early
#    stop), singleton: whole-process microseconds per step against the in-process rate of
#    bench_floor's mcmsim column (same d, K and optimiser).
# Medians of 5 runs (start-up) and of 3 (long run); figures are printed, never asserted.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-build/mcmsim}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OPENBLAS_NUM_THREADS=1
tmp=$(mktemp -d /tmp/bench_process.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/p.ini" <<'INI'
[run]
seed = 5
[mcm]
d = 1000
[model]
family = neuron
K = 2
[optim]
kind = spherical
[train]
steps_alpha = 200
[scaling]
early_stop = false
[observe]
status_every = 0
INI
wall() { # seconds of one command, stdout and stderr discarded
    local s e
    s=$(date +%s.%N)
    "$@" >/dev/null 2>&1
    e=$(date +%s.%N)
    awk -v a="$s" -v b="$e" 'BEGIN { printf "%.4f\n", b - a }'
}
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
tiny=(run "$tmp/p.ini" --quiet --set mcm.d=100 --set train.steps_alpha=1)
s1=$(for i in 1 2 3 4 5; do wall "$BIN" "${tiny[@]}" -o "$tmp/a.h5"; done | median)
m1=$(for i in 1 2 3 4 5; do wall mpirun -np 1 "$BIN" "${tiny[@]}" -o "$tmp/b.h5"; done | median)
m2=$(for i in 1 2 3 4 5; do wall mpirun -np 2 "$BIN" "${tiny[@]}" -o "$tmp/c.h5"; done | median)
# Under a launcher the site's transports are kept; on one node ob1 skips UCX's device probe.
o2=$(for i in 1 2 3 4 5; do wall mpirun --mca pml ob1 -np 2 "$BIN" "${tiny[@]}" -o "$tmp/c.h5"; done | median)
printf 'bench_process: start-up (1 d-step run, d = 100): singleton %.3f s, mpirun -np 1 %.3f s, mpirun -np 2 %.3f s (--mca pml ob1: %.3f s)\n' "$s1" "$m1" "$m2" "$o2"
long=$(for i in 1 2 3; do wall "$BIN" run "$tmp/p.ini" --quiet -o "$tmp/d.h5"; done | median)
awk -v w="$long" -v s="$s1" 'BEGIN { printf "bench_process: 2e5-step run (neuron d = 1000, K = 2, spherical SGD), singleton: %.2f s whole process, %.2f us/step (start-up %.1f %% of it)\n", w, 1e6 * w / 2e5, 100 * s / w }'
