# Postprocessing tests with Debian's /usr/bin/python3 (h5py, numpy, matplotlib). Sourced.
H5C="$PY $ROOT/tests/lib/h5check.py"
check py:sample-roundtrip $PY "$ROOT/tests/lib/roundtrip.py" "$WORK/cli_sample.h5"
check py:sample-roundtrip-np4 $PY "$ROOT/tests/lib/roundtrip.py" "$WORK/mpi_smp_4.h5"
check py:plot $PY "$ROOT/postprocess/mcm_stats.py" "$WORK/cli_run.h5" -o "$WORK/plot.png" --task 3
check py:plot-is-png bash -c "[ \$(stat -c %s '$WORK/plot.png') -gt 20000 ] && head -c 8 '$WORK/plot.png' | grep -q PNG"
msg=$($PY "$ROOT/postprocess/mcm_stats.py" "$WORK/killed.h5.partial" 2>&1); rc=$?
if [ "$rc" -ne 0 ] && grep -q "not a complete mcmsim file" <<< "$msg"; then pass py:refuses-incomplete-file
else fail py:refuses-incomplete-file "exit $rc"; fi
check py:readme-lists-every-key $PY "$ROOT/tests/lib/keytable.py" --check "$ROOT/README.md"
