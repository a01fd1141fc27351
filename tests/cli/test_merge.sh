# Slices of a run (run.slice = i/n) and `mcmsim merge` (issue 14). Sourced by tests/run_tests.sh.
# The merged file of the slices must be bitwise the file one run of every task writes (timings
# aside: tests/compat/h5same.py), whatever the rank counts of the slices and the order of the
# inputs; a missing or duplicated task, a FIXED key that differs, an incomplete input are exit 2
# naming the problem, with no output left.
MG=$WORK/merge
mkdir -p "$MG" && cd "$MG" || return
H5SAME="$PY $ROOT/tests/compat/h5same.py --quiet-exclusions"
MCFG=$ROOT/tests/cli/train_small.ini
MARGS=(--set train.steps_alpha=200 --quiet)
"$BIN" run "$MCFG" "${MARGS[@]}" -o full.h5 >/dev/null 2>&1
for i in 1 2 3; do "$BIN" run "$MCFG" "${MARGS[@]}" --set run.slice=$i/3 -o s$i.h5 >/dev/null 2>&1; done
ids=$($PY -c "import h5py; print(' '.join(str(list(h5py.File('s%d.h5' % i)['/tasks/id'][()])) for i in (1, 2, 3)))")
grep -q "^\[409600, 819200\] \[409601, 819201\] \[409602, 819202\]$" <<< "$ids" \
    && pass merge:slices-hold-tasks-k-mod-n || fail merge:slices-hold-tasks-k-mod-n "$ids"
check merge:three-slices "$BIN" merge m.h5 s1.h5 s2.h5 s3.h5 --quiet
check merge:equals-single-run $H5SAME full.h5 m.h5
check merge:input-order "$BIN" merge m2.h5 s3.h5 s1.h5 s2.h5 --quiet
check merge:input-order-equals $H5SAME full.h5 m2.h5
# A slice file is a run of its own: analyze works on it.
check merge:analyze-a-slice "$BIN" analyze s2.h5 -o s2a.h5 --quiet
# Sweeps and 2 ranks: 2 sweep combinations x 2 d x 3 replicas in 5 slices, each on 2 ranks.
SW=(--set sweep.beta_u=3,6 --set train.steps_alpha=100 --quiet)
mpirun_n 2 "$BIN" run "$MCFG" "${SW[@]}" -o sw_full.h5 >/dev/null 2>&1
for i in 1 2 3 4 5; do mpirun_n 2 "$BIN" run "$MCFG" "${SW[@]}" --set run.slice=$i/5 -o sw$i.h5 >/dev/null 2>&1; done
check merge:sweep-2-ranks "$BIN" merge sw.h5 sw1.h5 sw2.h5 sw3.h5 sw4.h5 sw5.h5 --quiet
check merge:sweep-2-ranks-equals $H5SAME sw_full.h5 sw.h5

# Refusals: exit 2, the reason, no output.
check_usage merge:missing-slice "2 of 6 tasks missing" bad.h5 "$BIN" merge bad.h5 s1.h5 s3.h5
check_usage merge:missing-names-task "task 1 (d = 100, replica 1" bad.h5 "$BIN" merge bad.h5 s1.h5 s3.h5
check_usage merge:duplicate-task "is in 's1.h5' and in 's1.h5'" bad.h5 "$BIN" merge bad.h5 s1.h5 s1.h5 s2.h5 s3.h5
"$BIN" run "$MCFG" "${MARGS[@]}" --set run.slice=2/3 --set mcm.beta_u=4 -o other.h5 >/dev/null 2>&1
check_usage merge:fixed-key-differs "key 'mcm.beta_u' = 4 differs" bad.h5 "$BIN" merge bad.h5 s1.h5 other.h5 s3.h5
"$BIN" run "$MCFG" --set train.steps_alpha=300 --quiet --set run.slice=2/3 -o longer.h5 >/dev/null 2>&1
check_usage merge:changeable-budget-differs "key 'train.steps_alpha' = 300 differs" bad.h5 "$BIN" merge bad.h5 s1.h5 longer.h5 s3.h5
cp s2.h5 s2.h5.partial
$PY -c "import h5py; f = h5py.File('s2.h5.partial', 'r+'); f.attrs['complete'] = 0"
check_usage merge:incomplete-input "is not complete" bad.h5 "$BIN" merge bad.h5 s1.h5 s2.h5.partial s3.h5
check_usage merge:not-hdf5 "cannot be opened as HDF5" bad.h5 "$BIN" merge bad.h5 s1.h5 "$ROOT/tests/cli/small.ini"
"$BIN" gaussian "$ROOT/input/spectral_bias.ini" -o g.h5 --quiet >/dev/null 2>&1
check_usage merge:not-a-run "was not written by 'mcmsim run'" bad.h5 "$BIN" merge bad.h5 s1.h5 g.h5
cp s2.h5 s2x.h5
$PY -c "import h5py; h5py.File('s2x.h5', 'r+').create_group('gaussian')"
check_usage merge:unknown-group "holds /gaussian, which merge cannot join" bad.h5 "$BIN" merge bad.h5 s1.h5 s2x.h5 s3.h5
check_usage merge:output-is-input "is also an input" s9.h5 "$BIN" merge s1.h5 s1.h5 s2.h5
check_usage merge:no-inputs "at least one input" bad.h5 "$BIN" merge bad.h5
check_usage merge:two-ranks "runs as one process" bad.h5 mpirun_n 2 "$BIN" merge bad.h5 s1.h5 s2.h5 s3.h5
check_usage merge:no-set "merge takes only" bad.h5 "$BIN" merge bad.h5 s1.h5 --set scaling.bootstrap=10
cli_expect_rc merge:help 0 "usage: mcmsim merge OUT.h5 IN1.h5" "$BIN" merge --help
# run.slice is validated with the rest of the configuration, and only run slices.
check_usage merge:slice-malformed "key 'run.slice': '0/3' is not a slice" x.h5 "$BIN" run "$MCFG" --set run.slice=0/3 -o x.h5
check_usage merge:slice-too-many "7 slices of 6 tasks" x.h5 "$BIN" run "$MCFG" --set run.slice=1/7 -o x.h5
check_usage merge:slice-other-command "slices the task list of 'run' only" x.h5 "$BIN" stats "$MCFG" --set run.slice=1/2 -o x.h5
# A restart keeps its slice (run.slice is FIXED).
mkdir -p rs && cd rs && touch STOP
"$BIN" run "$MCFG" "${MARGS[@]}" --set run.slice=1/3 -o r1.h5 >/dev/null 2>&1
check_usage merge:restart-other-slice "run.slice" r1.h5 "$BIN" run "$MCFG" "${MARGS[@]}" --set run.slice=2/3 \
    -o r1.h5 --restart
check merge:restart-same-slice "$BIN" run "$MCFG" "${MARGS[@]}" --set run.slice=1/3 -o r1.h5 --restart
check merge:restart-slice-equals $H5SAME ../s1.h5 r1.h5
cd "$MG" || return
cd "$ROOT" || true
