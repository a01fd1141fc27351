#!/usr/bin/env bash
# make demo: input/quickstart.ini on 2 ranks (training), the summary table, and a PNG from
# postprocess/plot.py overlaps.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-build/mcmsim}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl=self,vader OPENBLAS_NUM_THREADS=1
mkdir -p demo-out
start=$(date +%s.%N)
timeout 300 mpirun -np 2 --oversubscribe "$BIN" run input/quickstart.ini -o demo-out/quickstart.h5
/usr/bin/python3 postprocess/plot.py overlaps demo-out/quickstart.h5 -o demo-out/quickstart.png | tail -n 1
end=$(date +%s.%N)
printf 'demo finished in %.1f s: demo-out/quickstart.h5, demo-out/quickstart.png\n' "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')"
