#!/usr/bin/env bash
# Runs the libFuzzer target of the configuration reader (tests/fuzz/fuzz_cfg.c) for a while and
# reports what it did; exit 1 on a finding (crash, leak, undefined behaviour, timeout, broken
# check), whose input is kept under build-fuzz/findings/.
#   tests/fuzz/run_fuzz.sh BIN [SECONDS] [libFuzzer options...]      (make fuzz FUZZ_SECONDS=60)
# The seeds are input/*.ini and tests/bad_configs/*.ini, copied into a fresh corpus directory
# (FUZZ_CORPUS=DIR keeps and reuses one instead). FUZZ_MAX_LEN (4096) bounds the inputs,
# FUZZ_TIMEOUT (10 s) the time of one input: long enough for a loaded machine; a campaign
# passes -timeout=2 to catch slow paths. To replay a finding: BIN build-fuzz/findings/crash-...
set -u
cd "$(dirname "$0")/../.."
BIN=${1:?usage: run_fuzz.sh BIN [SECONDS] [libFuzzer options...]}
SECONDS_RUN=${2:-60}
shift $(($# >= 2 ? 2 : 1))
OUT=build-fuzz
ART=$OUT/findings
LOG=$OUT/fuzz.log
mkdir -p "$ART"

# The dictionary must list the schema as it is now.
if ! python3 tests/fuzz/gen_dict.py | cmp -s - tests/fuzz/cfg.dict; then
    echo "fuzz: tests/fuzz/cfg.dict differs from the schema; run:" >&2
    echo "  tests/fuzz/gen_dict.py > tests/fuzz/cfg.dict" >&2
    exit 1
fi

SEEDS=$(mktemp -d /tmp/mcmsim-fuzz-seeds.XXXXXX)
trap 'rm -rf "$SEEDS" ${TMP_CORPUS:+"$TMP_CORPUS"}' EXIT
cp input/*.ini "$SEEDS"/
for f in tests/bad_configs/*.ini; do cp "$f" "$SEEDS/bad_$(basename "$f")"; done
if [ -n "${FUZZ_CORPUS:-}" ]; then
    CORPUS=$FUZZ_CORPUS
    mkdir -p "$CORPUS"
else
    TMP_CORPUS=$(mktemp -d /tmp/mcmsim-fuzz-corpus.XXXXXX)
    CORPUS=$TMP_CORPUS
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
echo "fuzz: $BIN for ${SECONDS_RUN}s, seeds: $(find "$SEEDS" -type f | wc -l) files," \
    "corpus: $CORPUS, log: $LOG"
# New inputs go to the first directory (the corpus), the seeds are only read.
"$BIN" -max_total_time="$SECONDS_RUN" -max_len="${FUZZ_MAX_LEN:-4096}" \
    -timeout="${FUZZ_TIMEOUT:-10}" -rss_limit_mb=2048 -dict=tests/fuzz/cfg.dict \
    -artifact_prefix="$ART/" -print_final_stats=1 -print_pcs=0 "$@" \
    "$CORPUS" "$SEEDS" > "$LOG" 2>&1
rc=$?

stat() { sed -n "s/^stat::$1: *//p" "$LOG" | tail -1; }
last=$(grep -E '^#[0-9]+' "$LOG" | tail -1)
cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<< "$last")
ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<< "$last")
corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9]*[a-zA-Z]*\).*/\1/p' <<< "$last")
echo "fuzz: executions $(stat number_of_executed_units), exec/s $(stat average_exec_per_sec)," \
    "coverage cov=${cov:-?} ft=${ft:-?}, corpus ${corp:-?} (+$(stat new_units_added) new)," \
    "slowest input $(stat slowest_unit_time_sec)s, peak rss $(stat peak_rss_mb) MB"
if [ "$rc" -ne 0 ]; then
    echo "fuzz: FINDING (libFuzzer exit $rc):"
    grep -E 'ERROR: |SUMMARY: |runtime error: |fuzz_cfg: check failed' "$LOG" | head -5 | sed 's/^/  /'
    grep -E "Test unit written to" "$LOG" | sed 's/^.*Test unit written to/  input kept:/'
    echo "fuzz: the whole report is in $LOG"
    exit 1
fi
echo "fuzz: no findings"
