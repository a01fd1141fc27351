# Postprocessing tests with Debian's /usr/bin/python3 (h5py, numpy, matplotlib): the mcmpost
# package (postprocess/mcmplot), every plot rendered from files the suite makes and checked to be
# non-trivial (tests/lib/imgcheck.py), the figure configurations at their '# test:' settings,
# the refusals, and make demo against README. Sourced.
H5C="$PY $ROOT/tests/lib/h5check.py"
IMG="$PY $ROOT/tests/lib/imgcheck.py"
MP=$ROOT/postprocess/mcmplot
check py:sample-roundtrip $PY "$ROOT/tests/lib/roundtrip.py" "$WORK/cli_sample.h5"
check py:sample-roundtrip-np4 $PY "$ROOT/tests/lib/roundtrip.py" "$WORK/mpi_smp_4.h5"
check py:readme-lists-every-key $PY "$ROOT/tests/lib/keytable.py" --check "$ROOT/README.md"

# Every subcommand has --help; the wrapper runs from any directory.
check py:mcmplot-help-lists-all bash -c "out=\$(cd / && '$MP' --help) && for s in summary overlaps losses scaling pca stats gaussian generate genscan gentrain; do grep -q \"^    \$s \" <<< \"\$out\" || exit 1; done"
for sub in summary overlaps losses scaling pca stats gaussian generate genscan gentrain; do
    cli_expect_rc "py:mcmplot-$sub-help" 0 "usage: mcmplot $sub" "$MP" "$sub" --help
done
cli_expect_rc py:module-from-postprocess 0 "usage: mcmplot" bash -c "cd '$ROOT/postprocess' && /usr/bin/python3 -m mcmpost --help"

# The figure configurations at their '# test:' settings: every data file and every plot.
FIG=$WORK/figures
check py:figures-test-settings bash "$ROOT/postprocess/figures.sh" --test "$BIN" "$FIG"
for name in overlaps_u_v overlaps_v_hard nstar clone_losses deep_adam_rows deep_adam_sign_rows deep_adam_losses pca_bbp spectral_bias teleport; do
    check "py:figure-$name-nontrivial" $IMG "$FIG/$name.png"
done
check py:figures-complete bash -c "for f in '$FIG'/data/*.h5; do $H5C complete \"\$f\" || exit 1; done"

# The other plots from files of the suite: stats (cli_run.h5), a scan (scaling tests), summaries.
check py:stats-plot "$MP" stats "$WORK/cli_run.h5" -o "$WORK/pp_stats" --task 3
check py:stats-plot-nontrivial $IMG "$WORK/pp_stats.png"
check py:losses-per-d "$MP" losses "$FIG/data/nstar_u.h5" -o "$WORK/pp_losses"
check py:losses-per-d-nontrivial $IMG "$WORK/pp_losses.png"
check py:overlaps-subspace "$MP" overlaps "$FIG/data/overlaps_u_v.h5" --columns subspace,max_overlap_m -o "$WORK/pp_sub"
check py:overlaps-subspace-nontrivial $IMG "$WORK/pp_sub.png"
cli_expect_rc py:summary-run 0 "final overlaps per dimension" "$MP" summary "$FIG/data/nstar_u.h5"
cli_expect_rc py:summary-run-fits 0 "|m_u| >= 0.5: k = " "$MP" summary "$FIG/data/nstar_u.h5"
cli_expect_rc py:summary-run-crossings 0 "first crossings in samples" "$MP" summary "$FIG/data/nstar_u.h5"
cli_expect_rc py:summary-covar 0 "PCA vs BBP per d and alpha" "$MP" summary "$FIG/data/pca_bbp.h5"
cli_expect_rc py:summary-stats 0 "projection statistics (measured vs exact)" "$MP" summary "$WORK/cli_run.h5"
cli_expect_rc py:summary-gaussian 0 "emergence exponent alpha" "$MP" summary "$FIG/data/spectral_bias.h5"
# Generation (files of test_generate.sh): one file's histograms, painters and kicks (MCM, exact
# score) and per-mode variances (Gaussian data); the teleportation curve against sigma_skip and
# the linear denoiser's statistics against generate.tau.
check py:generate-plot "$MP" generate "$WORK/gen_km.h5" -o "$WORK/pp_gen_km"
check py:generate-plot-modes "$MP" generate "$WORK/gen_kg.h5" -o "$WORK/pp_gen_kg"
check py:generate-plot-hist-only "$MP" generate "$WORK/gen_ex.h5" -o "$WORK/pp_gen_ex"
gcurve=("$WORK/gen_ex.h5" "$WORK"/gen_sk*.h5)
check py:genscan-sigma-skip "$MP" genscan "${gcurve[@]}" -o "$WORK/pp_genscan"
check py:genscan-tau "$MP" genscan "$WORK/gen_l0.3.h5" "$WORK/gen_l3.h5" "$WORK/gen_l0.h5" --against tau -o "$WORK/pp_gentau"
check py:generate-plots-nontrivial $IMG "$WORK/pp_gen_km.png" "$WORK/pp_gen_kg.png" "$WORK/pp_gen_ex.png" "$WORK/pp_genscan.png" "$WORK/pp_gentau.png"
cli_expect_rc py:summary-generate 0 "generated vs data (exact score" "$MP" summary "$WORK/gen_ex.h5"
cli_expect_rc py:genscan-table 0 "sigma_skip    var(1)" "$MP" genscan "${gcurve[@]}"
cli_expect_rc py:generate-needs-generate 2 "no generate/moments (not written by 'mcmsim generate')" "$MP" genscan "$WORK/cli_run.h5"
cli_expect_rc py:genscan-mixed-directions 2 "directions e_0,e_1,e_last,r, the other files m,u,v,r" "$MP" genscan "$WORK/gen_ex.h5" "$WORK/gen_kg.h5"
# The former entry points still work (thin wrappers of mcmpost).
check py:plot-py-wrapper $PY "$ROOT/postprocess/plot.py" overlaps "$FIG/data/clones_u.h5" -o "$WORK/pp_wrap.png"
check py:mcm-stats-wrapper $PY "$ROOT/postprocess/mcm_stats.py" "$WORK/cli_run.h5" -o "$WORK/plot.png" --task 3
check py:wrappers-nontrivial $IMG "$WORK/pp_wrap.png" "$WORK/plot.png"

# Refusals: incomplete files (unless --partial), other schema versions, unknown columns, wrong
# kind of file; each exit 2 with one clear line.
cp "$FIG/data/clones_u.h5" "$WORK/pp_partial.h5"
cp "$FIG/data/clones_u.h5" "$WORK/pp_schema.h5"
$PY -c "import h5py; h5py.File('$WORK/pp_partial.h5', 'r+').attrs['complete'] = 0; h5py.File('$WORK/pp_schema.h5', 'r+').attrs['schema_version'] = 99"
cli_expect_rc py:refuses-incomplete 2 "not a complete mcmsim file (complete != 1" "$MP" overlaps "$WORK/pp_partial.h5" -o "$WORK/pp_x"
cli_expect_rc py:refusal-names-partial 2 "pass --partial" "$MP" summary "$WORK/pp_partial.h5"
check py:refusal-writes-nothing bash -c "! ls '$WORK'/pp_x.* 2>/dev/null"
cli_expect_rc py:partial-accepted 0 "INCOMPLETE" "$MP" summary "$WORK/pp_partial.h5" --partial
check py:partial-plot "$MP" overlaps "$WORK/pp_partial.h5" --partial -o "$WORK/pp_part"
check py:partial-plot-nontrivial $IMG "$WORK/pp_part.png"
if [ -e "$WORK/killed.h5.partial" ]; then
    cli_expect_rc py:refuses-killed-file 2 "not a complete mcmsim file" "$MP" summary "$WORK/killed.h5.partial"
fi
cli_expect_rc py:mcm-stats-refuses-incomplete 2 "not a complete mcmsim file" $PY "$ROOT/postprocess/mcm_stats.py" "$WORK/pp_partial.h5"
cli_expect_rc py:refuses-schema 2 "schema_version 99 is not supported" "$MP" summary "$WORK/pp_schema.h5"
cli_expect_rc py:refuses-garbage 2 "not a complete mcmsim file (cannot be read" "$MP" summary "$ROOT/README.md"
cli_expect_rc py:unknown-column 2 "no column 'loss_nope' in /series (columns: " "$MP" overlaps "$FIG/data/clones_u.h5" --columns max_overlap_u,loss_nope -o "$WORK/pp_y"
cli_expect_rc py:unknown-column-losses 2 "no column 'nope'" "$MP" losses "$FIG/data/clones_u.h5" --columns nope
cli_expect_rc py:pca-needs-covar 2 "no covar/overlap2_u (not written by 'mcmsim covar')" "$MP" pca "$FIG/data/clones_u.h5"
cli_expect_rc py:scaling-needs-scaling 2 "no /scaling" "$MP" scaling "$FIG/data/spectral_bias.h5" -o "$WORK/pp_z"
cli_expect_rc py:task-out-of-range 2 "--task 999 out of range" "$MP" overlaps "$FIG/data/deep_adam.h5" --rows --task 999 -o "$WORK/pp_w"

# make demo: the whole learning curve of u to its plateau with 8 replicas, v hidden; the
# printed medians must match the plateau README states.
check py:demo bash -c "DEMO_OUT='$WORK/demo' bash '$ROOT/tests/demo.sh' '$BIN' > '$WORK/demo.txt' 2>&1"
check py:demo-plots-nontrivial $IMG "$WORK/demo/quickstart.png" "$WORK/demo/losses.png"
cat > "$WORK/demo_check.py" <<'PYEOF'
import re, sys
readme, out = open(sys.argv[1]).read(), open(sys.argv[2]).read()
para = readme[readme.index("`make demo` trains"):]
para = para[:para.index("\n\n")]
plateau = float(re.search(r"\|m_u\| ≈ (0\.\d+)", para).group(1))
reps = int(re.search(r"(\d+) replicas", para).group(1))
rows = [l.split() for l in out.splitlines() if re.match(r"\s+0\s+\d+\s+\d+\s+0\.", l)]
assert len(rows) == 4, "expected 4 dimensions in the demo table:\n" + out
for r in rows:
    d, n, mu, mv = int(r[1]), int(r[2]), float(r[3]), float(r[6])
    assert n == reps, "d = %d: %d replicas, README says %d" % (d, n, reps)
    assert abs(mu - plateau) <= 0.03, "d = %d: median |m_u| %.4f, README says %.2f" % (d, mu, plateau)
    assert mv <= 1 / d ** 0.5, "d = %d: median |m_v| %.4f is not below d^-1/2" % (d, mv)
assert "no early stop" in out and "no early stop" in para
print("plateau %.2f, %d replicas: every d agrees" % (plateau, reps))
PYEOF
check py:demo-matches-readme $PY "$WORK/demo_check.py" "$ROOT/README.md" "$WORK/demo.txt"
# The same check rejects a README that states another plateau.
sed 's/|m_u| ≈ 0\.[0-9]*/|m_u| ≈ 0.80/' "$ROOT/README.md" > "$WORK/readme_wrong.md"
check py:demo-check-rejects-wrong-plateau bash -c "! $PY '$WORK/demo_check.py' '$WORK/readme_wrong.md' '$WORK/demo.txt' >/dev/null 2>&1"
