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
# check_usage NAME FRAGMENT OUTFILE CMD...: CMD exits 2, prints FRAGMENT, leaves no OUTFILE
# (nor OUTFILE.partial).
check_usage() {
    local name=$1 frag=$2 outf=$3; shift 3
    local msg rc
    msg=$("$@" 2>&1); rc=$?
    if [ "$rc" -ne 2 ]; then fail "$name" "exit $rc, expected 2"; echo "$msg" | tail -n 5 | sed 's/^/    /'
    elif ! grep -qF -- "$frag" <<< "$msg"; then fail "$name" "output lacks '$frag'"; echo "$msg" | tail -n 5 | sed 's/^/    /'
    elif [ -e "$outf" ] || [ -e "$outf.partial" ]; then fail "$name" "output file left behind"
    else pass "$name"; fi
}
