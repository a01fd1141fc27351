# Sample-complexity scans, analysis and theory (issue: scaling studies). Sourced.
H5C="$PY $ROOT/tests/lib/h5check.py"
SC=$WORK/scan_u.h5
scan="--set mcm.d=32,64,128 --set run.n_seeds=8 --set observe.n_eval=16 --set scaling.bootstrap=200 --quiet"
# shellcheck disable=SC2086
check scaling:scan-u mpirun_n 2 "$BIN" run "$ROOT/input/scaling_u.ini" -o "$SC" $scan
check scaling:scan-u-complete $H5C complete "$SC"
check scaling:u-exponent-in-theory-range $PY -c "
import h5py, numpy as np
f = h5py.File('$SC')
fit = f['scaling/fit'][()]          # [combo][watched][threshold][k, se, lo, hi, logC, n]
q = f['scaling/nstar'][()]          # [combo][d][watched][threshold][frac, median, q25, q75, lo, hi]
k = fit[0, 0, 1, 0]                 # |m_u| >= 0.5
assert (q[0, :, 0, 1, 0] == 1).all(), 'some tasks never crossed 0.5: %s' % q[0, :, 0, 1, 0]
assert 0.9 <= k <= 1.6, 'fitted exponent %.3f outside [0.9, 1.6] (theory: 1 up to logs)' % k
assert f['theory/exponent'][0, 0] == 1
print('u exponent %.3f [%.3f, %.3f]' % (k, fit[0, 0, 1, 2], fit[0, 0, 1, 3]))"
check scaling:early-stop-shortens $PY -c "
import h5py, numpy as np
f = h5py.File('$SC')
stop, steps = f['crossing/stop'][()], f['tasks/d'][()] * 60
assert (stop < steps).all(), 'no task stopped early'"
# analyze recomputes /scaling from the task results: same settings, same numbers.
check scaling:analyze-copy "$BIN" analyze "$SC" -o "$WORK/an.h5" --quiet
check scaling:analyze-same $H5C same "$SC" "$WORK/an.h5" /scaling/nstar /scaling/fit /theory/coeffs
check scaling:analyze-changeable "$BIN" analyze "$SC" -o "$WORK/an2.h5" --quiet --set scaling.fit_log_power=1
check scaling:analyze-log-fit $PY -c "
import h5py
a, b = h5py.File('$SC')['scaling/fit'][0, 0, 1, 0], h5py.File('$WORK/an2.h5')['scaling/fit'][0, 0, 1, 0]
assert b < a, 'the d log d fit must give a smaller exponent (%.3f vs %.3f)' % (b, a)"
cli_expect_rc scaling:analyze-rejects-stats 2 "has no task crossings" "$BIN" analyze "$WORK/cli_run.h5" -o "$WORK/x.h5"
cli_expect_rc scaling:analyze-rejects-garbage 2 "not a complete mcmsim output file" "$BIN" analyze "$ROOT/README.md" -o "$WORK/x.h5"
cli_expect_rc scaling:theory 0 "information exponents: u 2, v 4" "$BIN" theory "$ROOT/input/scaling_u.ini"
cli_expect_rc scaling:theory-relu-blind 0 "v 0 (blind)" "$BIN" theory "$ROOT/input/scaling_u.ini" --set model.activation=relu
check scaling:plot-scaling "$ROOT/postprocess/mcmplot" scaling "$SC" -o "$WORK/scaling.png"
check scaling:plot-overlaps "$ROOT/postprocess/mcmplot" overlaps "$SC" -o "$WORK/overlaps.png"
check scaling:plots-are-png bash -c "head -c 8 '$WORK/scaling.png' | grep -q PNG && head -c 8 '$WORK/overlaps.png' | grep -q PNG"
# The ready studies run at small settings and produce /scaling.
for study in scaling_v_independent scaling_v_correlated; do
    # shellcheck disable=SC2086
    check "scaling:$study-small" mpirun_n 2 "$BIN" run "$ROOT/input/$study.ini" -o "$WORK/$study.h5" --quiet $(sed -n 's/^# test: //p' "$ROOT/input/$study.ini")
    check "scaling:$study-has-scaling" $PY -c "import h5py; f = h5py.File('$WORK/$study.h5'); assert 'scaling/nstar' in f and 'theory/ode_m' in f"
done
