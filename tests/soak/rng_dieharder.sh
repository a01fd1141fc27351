#!/usr/bin/env bash
# Soak test of the random streams: Debian's dieharder (TestU01 is not packaged in Debian 12) on
# the raw words mcmsim draws: Philox4x32-10 in two orders (the blocks of a d-vector request at
# consecutive steps, and block 0 of 64 neighbouring tasks interleaved), and the xoshiro256+
# vectors of core/rngv.h (the first 500 outputs of the vector at each counter, concatenated).
#   usage: tests/soak/rng_dieharder.sh [quick|all]   (quick: a few tests, minutes; all: -a, hours)
# dieharder's own verdicts (PASSED / WEAK / FAILED) are printed; a FAILED line fails the script.
# Installs dieharder as root when missing. Normals and their moments/tails are tested in
# tests/unit/test_rng.c (make test).
set -euo pipefail
cd "$(dirname "$0")/../.."
MODE=${1:-quick}
if ! command -v dieharder >/dev/null; then
    [ "$(id -u)" = 0 ] || { echo "SKIP rng_dieharder: dieharder is not installed (apt-get install dieharder)"; exit 0; }
    apt-get install -y -qq dieharder >/dev/null
fi
tmp=$(mktemp -d /tmp/rng_dieharder.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cc -std=c11 -O2 -fopenmp-simd -ffp-contract=off -Iinclude tests/soak/rng_raw.c src/core/rng.c src/core/rngv.c -lm -o "$tmp/rng_raw"
fail=0
# The writer ends by SIGPIPE when dieharder has read enough: not a failure.
gen() { "$@" || true; }
# quick: birthdays, 32x32 rank, 6x8 rank, bitstream, count-1s (bytes), runs, sts serial, and the
# rgb bit distribution for 1, 2 and 4 bits.
run() { # label, generator command...
    local label=$1
    shift
    echo "== $label =="
    if [ "$MODE" = all ]; then
        gen "$@" | dieharder -g 200 -a | tee "$tmp/out"
    else
        : >"$tmp/out"
        for d in 0 2 3 4 8 15 102; do gen "$@" | dieharder -g 200 -d "$d" | tee -a "$tmp/out"; done
        for n in 1 2 4; do gen "$@" | dieharder -g 200 -d 200 -n "$n" | tee -a "$tmp/out"; done
    fi
    grep -q FAILED "$tmp/out" && fail=1
    return 0
}
run "one stream, 500 blocks per step (d = 1000 normals)" "$tmp/rng_raw" blocks 11 4096 3 500
run "block 0 of 64 tasks interleaved" "$tmp/rng_raw" tasks 11 64 5
run "vector streams (core/rngv.h): 500 outputs per counter (d = 1000)" "$tmp/rng_raw" vec 11 4096 3 500
[ "$fail" = 0 ] && echo "rng_dieharder: no FAILED verdicts" || { echo "rng_dieharder: FAILED verdicts above"; exit 1; }
