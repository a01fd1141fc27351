#!/usr/bin/env bash
# tests/compat/bitwise_vs.sh — bitwise compatibility of this tree's mcmsim with a base revision.
#
# What it proves: every output dataset and attribute of `mcmsim run`, `stats`, `covar`,
# `sample` and `analyze`, and the text of `mcmsim theory`, on the ready inputs in input/ at
# small test settings, is bitwise identical between the binary of BASE_REV (default eb214f3,
# the main before the layered-source refactor) and the binary of the current tree, timings and
# provenance aside (the short exclusion list printed by tests/compat/h5same.py). Exit codes and
# stdout of every command must match too (--quiet: only `theory` prints anything).
#
# How: BASE_REV is checked out in a temporary `git worktree` (removed on exit) and only its
# binary is built (make BUILD=TMP/build TMP/build/mcmsim, no dependency check, no tests); the
# current tree's binary is `make build/mcmsim` from the repository top unless --new-bin is
# given. Both binaries get identical arguments (configurations by the same absolute path in
# this tree's input/, outputs by the same relative names, each binary in its own directory),
# mostly on 2 MPI ranks, with OPENBLAS_NUM_THREADS=1.
#
# Run (from anywhere; about 1 minute on 2 idle cores, builds included; 3-4 when shared):
#   bash tests/compat/bitwise_vs.sh                 # current tree vs eb214f3
#   bash tests/compat/bitwise_vs.sh REV             # current tree vs REV
#   bash tests/compat/bitwise_vs.sh --new-bin PATH  # a given binary vs eb214f3
#   bash tests/compat/bitwise_vs.sh --self          # eb214f3 against itself, run twice
#                                                   # (determinism + exclusion list suffice)
# Options: --keep keeps the outputs (TMP/out/{base,new}) for inspection; JOBS=N (default 2)
# sets make -j. Last line: "N passed, N failed"; exit 0 only when nothing failed.
set -euo pipefail

BASE_REV=eb214f3
NEW_BIN=
SELF=0
KEEP=0
while [ $# -gt 0 ]; do
    case $1 in
        --new-bin) NEW_BIN=$(realpath "$2"); shift 2 ;;
        --new-bin=*) NEW_BIN=$(realpath "${1#*=}"); shift ;;
        --self) SELF=1; shift ;;
        --keep) KEEP=1; shift ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        -*) echo "bitwise_vs.sh: unknown option '$1'" >&2; exit 2 ;;
        *) BASE_REV=$1; shift ;;
    esac
done

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PY=/usr/bin/python3
H5SAME=$ROOT/tests/compat/h5same.py
IN=$ROOT/input
JOBS=${JOBS:-2}
T_START=$(date +%s)

TMP=$(mktemp -d "${TMPDIR:-/tmp}/bitwise_vs.XXXXXX")
WT=$TMP/base
cleanup() {
    local rc=$?
    if [ -d "$WT" ]; then git -C "$ROOT" worktree remove --force "$WT" >/dev/null 2>&1 || true; fi
    if [ "$KEEP" = 1 ]; then echo "outputs kept in $TMP/out"; else rm -rf "$TMP"; fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1
# Containers without network interfaces: shared memory only (transport, not numerics).
export OMPI_MCA_btl=${OMPI_MCA_btl:-self,vader}
export OMPI_MCA_btl_vader_single_copy_mechanism=${OMPI_MCA_btl_vader_single_copy_mechanism:-none}
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
unset OPENBLAS_CORETYPE

# --- the two binaries ---------------------------------------------------------------------
echo "== base: $BASE_REV in a temporary worktree"
git -C "$ROOT" worktree add --detach --quiet "$WT" "$BASE_REV"
make -C "$WT" --no-print-directory -j"$JOBS" BUILD="$TMP/build" "$TMP/build/mcmsim" >"$TMP/build-base.log" 2>&1 ||
    { tail -n 30 "$TMP/build-base.log"; echo "base build failed"; exit 1; }
BASE_BIN=$TMP/build/mcmsim
# Both binaries read the base's ready inputs: the new tree's inputs may use keys (new features)
# that the base does not know; the claim is that what the base could run gives the same bits.
cp -r "$WT/input" "$TMP/input"
IN=$TMP/input
git -C "$ROOT" worktree remove --force "$WT"
if [ "$SELF" = 1 ]; then
    NEW_BIN=$BASE_BIN
    echo "== new: the base binary again (--self)"
elif [ -z "$NEW_BIN" ]; then
    echo "== new: make build/mcmsim in $ROOT"
    make -C "$ROOT" --no-print-directory -j"$JOBS" build/mcmsim >"$TMP/build-new.log" 2>&1 ||
        { tail -n 30 "$TMP/build-new.log"; echo "current build failed"; exit 1; }
    NEW_BIN=$ROOT/build/mcmsim
else
    echo "== new: $NEW_BIN"
fi
[ -x "$NEW_BIN" ] || { echo "no executable $NEW_BIN"; exit 2; }
echo "   base $("$BASE_BIN" --version | head -n 1)"
echo "   new  $("$NEW_BIN" --version | head -n 1)"

# --- running both -------------------------------------------------------------------------
OUT=$TMP/out
mkdir -p "$OUT/base" "$OUT/new"
PASSED=0
FAILED=0
FAILED_NAMES=()
H5PAIRS=()
pass() { PASSED=$((PASSED + 1)); echo "PASS $1"; }
fail() { FAILED=$((FAILED + 1)); FAILED_NAMES+=("$1"); echo "FAIL $1: $2"; }

# launch NP BIN ARGS...: NP = 1 runs the binary as a singleton (no mpirun), as the serial tests do.
launch() {
    local np=$1; shift
    if [ "$np" -eq 1 ]; then timeout -k 10 300 "$@"
    else timeout -k 10 300 mpirun -np "$np" --oversubscribe "$@"; fi
}

# both NAME NP OUTFILE|- ARGS...: runs `mcmsim ARGS` with each binary in its own directory
# (stdout and stderr to NAME.out / NAME.err there), checks that both exit 0 with the same
# stdout, and queues OUTFILE (relative; - for none) for the HDF5 comparison.
both() {
    local name=$1 np=$2 file=$3; shift 3
    local side bin rc_base rc_new
    for side in base new; do
        bin=$BASE_BIN; [ "$side" = new ] && bin=$NEW_BIN
        set +e
        (cd "$OUT/$side" && launch "$np" "$bin" "$@" >"$name.out" 2>"$name.err")
        eval "rc_$side=\$?"
        set -e
    done
    if [ "$rc_base" -ne 0 ] || [ "$rc_new" -ne 0 ]; then
        fail "$name" "exit codes base $rc_base, new $rc_new (expected 0)"
        tail -n 3 "$OUT/base/$name.err" "$OUT/new/$name.err" 2>/dev/null | sed 's/^/    /' || true
        return 0
    fi
    if ! cmp -s "$OUT/base/$name.out" "$OUT/new/$name.out"; then
        fail "$name" "stdout differs"
        diff "$OUT/base/$name.out" "$OUT/new/$name.out" | head -n 8 | sed 's/^/    /' || true
        return 0
    fi
    if [ "$file" = - ]; then
        pass "$name (exit 0, stdout $(wc -l <"$OUT/base/$name.out") identical lines)"
    else
        H5PAIRS+=("$file")
        echo "ran  $name -> $file"
    fi
}

q=--quiet
# Small settings shared by the training runs (the tests' shrinking: few dimensions, seeds, steps).
small_eval=(--set observe.n_eval=64 --set observe.n_obs=20)

echo "== run"
both run-single_neuron 2 single_neuron.h5 run "$IN/single_neuron.ini" -o single_neuron.h5 $q \
    --set mcm.d=50,100 --set run.n_seeds=2 --set train.steps_alpha=10 "${small_eval[@]}"
both run-single_neuron-serial 1 single_neuron_np1.h5 run "$IN/single_neuron.ini" -o single_neuron_np1.h5 $q \
    --set mcm.d=40 --set run.n_seeds=2 --set train.steps_alpha=8 "${small_eval[@]}"
both run-quickstart 2 quickstart.h5 run "$IN/quickstart.ini" -o quickstart.h5 $q \
    --set mcm.d=40,80 --set train.steps_alpha=10 "${small_eval[@]}"
both run-two_layer 2 two_layer.h5 run "$IN/two_layer.ini" -o two_layer.h5 $q \
    --set mcm.d=12,16 --set run.n_seeds=2 --set train.steps_alpha=0.5 "${small_eval[@]}"
both run-correlated 2 correlated.h5 run "$IN/correlated.ini" -o correlated.h5 $q \
    --set mcm.d=50,100 --set run.n_seeds=2 --set train.steps_alpha=10 "${small_eval[@]}"
both run-deep_mlp_adam 2 deep_mlp_adam.h5 run "$IN/deep_mlp_adam.ini" -o deep_mlp_adam.h5 $q \
    --set mcm.d=20 --set model.K=16 --set train.steps_alpha=5 "${small_eval[@]}"
both run-reference 2 reference.h5 run "$IN/reference.ini" -o reference.h5 $q \
    --set mcm.d=20,30 --set train.steps_alpha=5 "${small_eval[@]}"
# The scaling study feeds `analyze` below (crossings, /scaling, /theory ODE).
both run-scaling_u 2 scaling_u.h5 run "$IN/scaling_u.ini" -o scaling_u.h5 $q \
    --set mcm.d=32,64,128 --set run.n_seeds=4 --set observe.n_eval=16 --set scaling.bootstrap=200
# The v studies at the settings of their '# test:' line.
for study in scaling_v_independent scaling_v_correlated; do
    # shellcheck disable=SC2046
    both "run-$study" 2 "$study.h5" run "$IN/$study.ini" -o "$study.h5" $q \
        $(sed -n 's/^# test: //p' "$IN/$study.ini")
done

echo "== sample"
# The user data set of clone_user_data.ini (4000 rows, d = 40); `run` and `covar` read it below
# by the relative name ud.h5, so each binary trains on the data set it wrote itself.
both sample-clone_user_data 2 ud.h5 sample "$IN/clone_user_data.ini" -o ud.h5 $q
both sample-quickstart-serial 1 sample_quickstart.h5 sample "$IN/quickstart.ini" -o sample_quickstart.h5 $q \
    --set mcm.d=30,40 --set sample.n=700 --set sample.task=3

echo "== run on user data"
both run-clone_user_data 2 clone_user_data.h5 run "$IN/clone_user_data.ini" -o clone_user_data.h5 $q \
    --set data.file=ud.h5 --set train.steps_alpha=20 --set observe.n_eval=1024
both run-clone_user_data-neuron 2 clone_user_data_neuron.h5 run "$IN/clone_user_data.ini" \
    -o clone_user_data_neuron.h5 $q --set data.file=ud.h5 --set model.family=neuron \
    --set optim.kind=spherical --set optim.delta=0.5 --set train.batch=1 --set run.n_seeds=2 \
    --set train.steps_alpha=10 --set observe.n_eval=256 --set scaling.early_stop=false

echo "== stats"
# shellcheck disable=SC2054 # commas inside values (d lists)
stats_small=(--set mcm.d=20,30 --set run.n_seeds=2 --set stats.n_samples=20000 --set stats.block=1000)
both stats-quickstart 2 stats_quickstart.h5 stats "$IN/quickstart.ini" -o stats_quickstart.h5 $q "${stats_small[@]}"
both stats-correlated-serial 1 stats_correlated.h5 stats "$IN/correlated.ini" -o stats_correlated.h5 $q "${stats_small[@]}"
both stats-reference-skewed-labelled 2 stats_reference.h5 stats "$IN/reference.ini" -o stats_reference.h5 $q \
    "${stats_small[@]}" --set mcm.nu_law=skewed --set mcm.mixture=labelled --set mcm.beta_m=1

echo "== covar"
both covar-pca_bbp 2 pca_bbp.h5 covar "$IN/pca_bbp.ini" -o pca_bbp.h5 $q \
    --set mcm.d=50,100 --set run.n_seeds=2 --set covar.alpha=0.5,2,8
both covar-pca_bbp-matrix-clones 2 pca_matrix.h5 covar "$IN/pca_bbp.ini" -o pca_matrix.h5 $q \
    --set mcm.d=30 --set run.n_seeds=1 --set covar.save_matrix=true --set covar.block=1000 \
    --set covar.alpha=50 --set clone.n_samples=2000 --set mcm.coupling=sign
both covar-pca_bbp-pdsyevr-2x1 2 pca_pdsyevr.h5 covar "$IN/pca_bbp.ini" -o pca_pdsyevr.h5 $q \
    --set mcm.d=60 --set run.n_seeds=2 --set covar.alpha=0.5,3 --set covar.block_size=16 \
    --set covar.block=100 --set covar.grid_rows=2 --set covar.grid_cols=1 --set covar.solver=pdsyevr
both covar-pca_bbp-groups-2 2 pca_groups.h5 covar "$IN/pca_bbp.ini" -o pca_groups.h5 $q \
    --set mcm.d=60 --set run.n_seeds=2 --set covar.alpha=0.5,3 --set covar.groups=2
both covar-clone_user_data 2 covar_user_data.h5 covar "$IN/clone_user_data.ini" -o covar_user_data.h5 $q \
    --set data.file=ud.h5 --set clone.n_samples=500

echo "== analyze"
both analyze-scaling_u 1 analyze_same.h5 analyze scaling_u.h5 -o analyze_same.h5 $q
both analyze-scaling_u-changed 2 analyze_changed.h5 analyze scaling_u.h5 -o analyze_changed.h5 $q \
    --set scaling.fit_log_power=1 --set scaling.bootstrap=100 --set scaling.level=0.9

echo "== theory (stdout)"
for ini in "$IN"/*.ini; do
    # Gaussian-data studies have no MCM theory (`mcmsim theory` refuses them: exit 2).
    grep -Eq '^[[:space:]]*source[[:space:]]*=[[:space:]]*gaussian' "$ini" && continue
    both "theory-$(basename "$ini" .ini)" 1 - theory "$ini" --quiet
done
both theory-scaling_u-relu 1 - theory "$IN/scaling_u.ini" --quiet --set model.activation=relu
both theory-scaling_v_independent-sweep 1 - theory "$IN/scaling_v_independent.ini" --quiet \
    --set sweep.beta_v=2,10 --set sweep.t=0.25,1

# --- the HDF5 comparison ------------------------------------------------------------------
echo "== HDF5 outputs (tests/compat/h5same.py)"
args=()
for f in "${H5PAIRS[@]}"; do args+=("base/$f" "new/$f"); done
set +e
(cd "$OUT" && "$PY" "$H5SAME" "${args[@]}") >"$TMP/h5same.log" 2>&1
h5rc=$?
set -e
sed '$d' "$TMP/h5same.log"
h5p=0 h5f=0
read -r h5p _ h5f _ < <(tail -n 1 "$TMP/h5same.log") || true
if ! [[ $h5p =~ ^[0-9]+$ && $h5f =~ ^[0-9]+$ ]] || [ $((h5p + h5f)) -ne ${#H5PAIRS[@]} ]; then
    tail -n 1 "$TMP/h5same.log"
    fail h5same "did not report on all ${#H5PAIRS[@]} pairs (exit $h5rc)"
    h5p=0 h5f=0
elif [ "$h5rc" -ne 0 ] && [ "$h5f" -eq 0 ]; then
    fail h5same "exit $h5rc"
fi
PASSED=$((PASSED + h5p))
FAILED=$((FAILED + h5f))
while read -r tag a _; do
    if [ "$tag" = DIFF ]; then FAILED_NAMES+=("${a#base/}"); fi
done <"$TMP/h5same.log"

echo "== base $BASE_REV vs new, $(($(date +%s) - T_START)) s"
if [ "$FAILED" -gt 0 ]; then echo "failed: ${FAILED_NAMES[*]}"; fi
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
