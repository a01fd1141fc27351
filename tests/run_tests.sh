#!/usr/bin/env bash
# Runs every test of mcmsim; the last line is "N passed, N failed"; exit 1 on any failure.
#   tests/run_tests.sh          everything (unit, MPI at 1/2/4 ranks, CLI, bad configs, python)
#   tests/run_tests.sh --asan   unit tests and serial CLI tests only (ASan/UBSan build)
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${BUILD:-build}
MODE=${1:-all}
source tests/lib/harness.sh
BIN=$ROOT/$BUILD/mcmsim
export MCMSIM_SRCDIR=$ROOT
WORK=$(mktemp -d /tmp/mcmsim-test.XXXXXX)
# The SLURM test's daemons are stopped by their pids even when a test is cut short.
trap 'declare -F slurm_stop >/dev/null && slurm_stop; rm -rf "$WORK"' EXIT
if [ "$MODE" = "--asan" ]; then
    # Leak checking covers the unit tests (no MPI_Init). Open MPI's components are dlopen'ed
    # and unloaded at finalize, so their leak reports cannot be attributed or suppressed: the
    # command-line tests run with leak detection off (ASan and UBSan errors still fail them).
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fi

echo "== source layout (layers, file sizes) =="
source tests/lint/test_layout.sh

echo "== unit tests ($BUILD) =="
for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    source tests/lib/unit.sh "$t"
done

[ "$MODE" = "--asan" ] && export ASAN_OPTIONS=detect_leaks=0:abort_on_error=0
echo "== command-line tests =="
source tests/cli/test_cli.sh
echo "== training tests =="
source tests/cli/test_train.sh
echo "== per-command help, --log, status line =="
source tests/cli/test_ux.sh
echo "== bad-input corpus =="
source tests/cli/test_bad_configs.sh
echo "== Gaussian linear-denoiser theory (mcmsim gaussian) =="
source tests/cli/test_gaussian.sh

if [ "$MODE" = "--asan" ]; then
    echo "== distributed matrices, covariances, user data (ASan) =="
    source tests/cli/test_covar_asan.sh
    echo "== generation (ASan) =="
    source tests/cli/test_generate_asan.sh
fi
if [ "$MODE" != "--asan" ]; then
    echo "== MPI tests (1, 2, 4 ranks) =="
    source tests/mpi/test_mpi.sh
    source tests/mpi/test_dmat.sh
    echo "== scaling studies, analysis, theory =="
    source tests/cli/test_scaling.sh
    echo "== covariance engine (ScaLAPACK) =="
    source tests/cli/test_covar.sh
    echo "== checkpoint/restart =="
    source tests/cli/test_ckpt.sh
    echo "== reduced engine =="
    source tests/cli/test_reduced.sh
    echo "== merging slices of a run (run.slice, mcmsim merge) =="
    source tests/cli/test_merge.sh
    echo "== job scripts under a private single-node SLURM (tests/slurm/) =="
    source tests/slurm/test_walltime.sh
    source tests/slurm/test_slurm.sh
    echo "== the build for cluster users =="
    source tests/cli/test_build.sh
    echo "== SGD of linear denoisers on Gaussian data (mcmsim run, data.source = gaussian) =="
    source tests/cli/test_gsgd.sh
    echo "== user data sets and clones =="
    source tests/cli/test_userdata.sh
    echo "== generation: PF-ODE samplers, teleportation (mcmsim generate) =="
    source tests/cli/test_generate.sh
    echo "== generation from trained models (observe.snapshots, generate.score = model) =="
    source tests/cli/test_generate_model.sh
    echo "== postprocess tests (/usr/bin/python3) =="
    source tests/cli/test_postprocess.sh
fi

[ -n "$FAILED_NAMES" ] && echo "failed:$FAILED_NAMES"
summary_line
[ "$FAILED" -eq 0 ]
