#!/usr/bin/env bash
# make figures: runs every input/figures/*.ini and renders the gallery with postprocess/mcmplot.
#   postprocess/figures.sh [--test | --plots-only] BIN OUTDIR
# Each figure configuration names its command ('# command: run|covar|gaussian'), the figures it
# feeds ('# figure: NAME SUBCOMMAND ARGS', where @STEM is OUTDIR/data/STEM.h5) and a reduced
# override for the test suite ('# test: --set ...', applied with --test); '# each: KEY V1 V2 ...'
# runs the command once per value with --set KEY=V into OUTDIR/data/STEM-V.h5, which a figure
# takes whole as @STEM-* (a glob, in file-name order). Images go to
# OUTDIR/NAME.png and OUTDIR/NAME.pdf. NP ranks (default 2). --plots-only re-renders from the
# data files already in OUTDIR/data.
set -euo pipefail
cd "$(dirname "$0")/.."
TEST=0 RUN=1
if [ "${1:-}" = "--test" ]; then TEST=1; shift; fi
if [ "${1:-}" = "--plots-only" ]; then RUN=0; shift; fi
BIN=${1:?usage: figures.sh [--test] BIN OUTDIR}
OUT=${2:?usage: figures.sh [--test] BIN OUTDIR}
NP=${NP:-2}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
export OMPI_MCA_btl=${OMPI_MCA_btl:-self,vader}
mkdir -p "$OUT/data"
for ini in input/figures/*.ini; do
    [ "$RUN" = 1 ] || break
    stem=$(basename "$ini" .ini)
    cmd=$(sed -n 's/^# command: //p' "$ini")
    over=()
    if [ "$TEST" = 1 ]; then read -r -a over <<< "$(sed -n 's/^# test: //p' "$ini")"; fi
    start=$(date +%s)
    read -r -a each <<< "$(sed -n 's/^# each: //p' "$ini")"
    if [ "${#each[@]}" -gt 1 ]; then
        for v in "${each[@]:1}"; do
            rm -f "$OUT/data/$stem-$v.h5"
            timeout 1800 mpirun -np "$NP" --oversubscribe "$BIN" "$cmd" "$ini" \
                -o "$OUT/data/$stem-$v.h5" --quiet --set "${each[0]}=$v" "${over[@]}"
        done
    else
        rm -f "$OUT/data/$stem.h5"
        timeout 1800 mpirun -np "$NP" --oversubscribe "$BIN" "$cmd" "$ini" -o "$OUT/data/$stem.h5" \
            --quiet "${over[@]}"
    fi
    echo "$stem: mcmsim $cmd in $(( $(date +%s) - start )) s"
done
grep -h '^# figure: ' input/figures/*.ini | sed 's/^# figure: //' | while read -r name sub args; do
    # shellcheck disable=SC2086
    set -- $args
    expanded=()
    for a in "$@"; do
        case $a in
        @*\*) for f in "$OUT"/data/${a#@}.h5; do expanded+=("$f"); done ;;
        @*) expanded+=("$OUT/data/${a#@}.h5") ;;
        *) expanded+=("$a") ;;
        esac
    done
    postprocess/mcmplot "$sub" "${expanded[@]}" -o "$OUT/$name" > "$OUT/data/$name.txt"
    echo "figure $OUT/$name.png ($sub)"
done
