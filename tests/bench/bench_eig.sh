#!/usr/bin/env bash
# Eigendecomposition (PDSYEVD) and PDSYRK on 1 and 2 ranks, d = 2048 and 4096; LAPACK dsyevd on
# 1 rank for comparison; prints the 2-rank speed-up. Timings only, never asserted.
#   tests/bench/bench_eig.sh [path/to/bench_eig] [d ...]
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-build/bench/bench_eig}
shift || true
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl=self,vader
export OPENBLAS_NUM_THREADS=1
out1=$(mpirun -np 1 --oversubscribe "$BIN" "$@")
echo "$out1" | grep -v '^bench_eig_result'
out2=$(mpirun -np 2 --oversubscribe "$BIN" "$@")
echo "$out2" | grep -v '^bench_eig_result'
# Pair the 1- and 2-rank result lines by d.
printf '%s\n%s\n' "$out1" "$out2" | awk '
    /^bench_eig_result/ {
        for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        t[v["d"], v["np"]] = v["pdsyevd_s"]; g[v["d"], v["np"]] = v["pdsyrk_gflops"]
        if (v["np"] == 1) ds[++n] = v["d"]
    }
    END {
        for (k = 1; k <= n; k++) {
            d = ds[k]
            if ((d, 2) in t)
                printf "bench_eig: d = %d  PDSYEVD 1 rank %.2f s, 2 ranks %.2f s, speed-up %.2fx;" \
                       "  PDSYRK %.1f -> %.1f GFLOP/s (%.2fx)\n", d, t[d, 1], t[d, 2],
                       t[d, 1] / t[d, 2], g[d, 1], g[d, 2], g[d, 2] / g[d, 1]
        }
    }'
