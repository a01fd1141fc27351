# Test harness library: counters, assertions, mpirun wrapper. Sourced by tests/run_tests.sh
# and the test scripts. Every check prints one line "PASS name" or "FAIL name: why".
PASSED=${PASSED:-0}
FAILED=${FAILED:-0}
FAILED_NAMES=${FAILED_NAMES:-}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1
# Quiet Open MPI's complaints about missing network interfaces in containers.
export OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=none
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
PY=/usr/bin/python3
MPI_TIMEOUT=${MPI_TIMEOUT:-300}

pass() { PASSED=$((PASSED + 1)); echo "PASS $1"; }
fail() {
    FAILED=$((FAILED + 1)); FAILED_NAMES="$FAILED_NAMES $1"; echo "FAIL $1: $2"
}
# check NAME COMMAND...: passes when COMMAND exits 0; its output is shown on failure.
check() {
    local name=$1; shift
    local out
    if out=$("$@" 2>&1); then pass "$name"; else fail "$name" "exit $?"; echo "$out" | tail -n 25 | sed 's/^/    /'; fi
}
# Every mpirun is wrapped in timeout so a hang fails instead of stalling.
mpirun_n() {
    local np=$1; shift
    timeout -k 10 "$MPI_TIMEOUT" mpirun -np "$np" --oversubscribe "$@"
}
summary_line() { echo "$PASSED passed, $FAILED failed"; }
# expect_rc RC FRAGMENT CMD...: runs CMD; EXPECT_WHY is empty when it exited RC and printed
# FRAGMENT (stdout or stderr), else the reason; EXPECT_OUT holds its output.
expect_rc() {
    local rc=$1 frag=$2; shift 2
    local got
    EXPECT_OUT=$("$@" 2>&1); got=$?
    EXPECT_WHY=
    if [ "$got" -ne "$rc" ]; then EXPECT_WHY="exit $got, expected $rc"
    elif ! grep -qF -- "$frag" <<< "$EXPECT_OUT"; then EXPECT_WHY="output lacks '$frag'"; fi
}
expect_report() { # expect_report NAME: pass, or fail with EXPECT_WHY and the output's tail
    if [ -z "$EXPECT_WHY" ]; then pass "$1"; return; fi
    fail "$1" "$EXPECT_WHY"; echo "$EXPECT_OUT" | tail -n 5 | sed 's/^/    /'
}
# cli_expect_rc NAME RC FRAGMENT CMD...: exit code and an output fragment.
cli_expect_rc() {
    local name=$1; shift
    expect_rc "$@"
    expect_report "$name"
}
# check_usage NAME FRAGMENT OUTFILE CMD...: CMD exits 2, prints FRAGMENT, leaves no OUTFILE
# (nor OUTFILE.partial).
check_usage() {
    local name=$1 frag=$2 outf=$3; shift 3
    expect_rc 2 "$frag" "$@"
    if [ -z "$EXPECT_WHY" ] && { [ -e "$outf" ] || [ -e "$outf.partial" ]; }; then
        EXPECT_WHY="output file left behind"
    fi
    expect_report "$name"
}
