# End-to-end tests of the mcmsim command line (serial; also run under ASan). Sourced.
SMALL=$ROOT/tests/cli/small.ini
H5C="$PY $ROOT/tests/lib/h5check.py"

cli_expect_rc cli:help 0 "usage: mcmsim run" "$BIN" --help
cli_expect_rc cli:version 0 "mcmsim 0." "$BIN" --version
cli_expect_rc cli:no-args 2 "no command given" "$BIN"
cli_expect_rc cli:unknown-command 2 "unknown command 'jump'" "$BIN" jump "$SMALL"
cli_expect_rc cli:unknown-option 2 "unknown option '--fast'" "$BIN" stats "$SMALL" --fast
cli_expect_rc cli:missing-config-arg 2 "needs a CONFIG" "$BIN" run
cli_expect_rc cli:missing-config-file 2 "nonexistent.ini" "$BIN" stats "$WORK/nonexistent.ini" -o "$WORK/x.h5"
cli_expect_rc cli:set-without-value 2 "option --set needs a value" "$BIN" stats "$SMALL" --set

out=$WORK/cli_run.h5
cli_expect_rc cli:stats-small 0 "wrote $out" "$BIN" stats "$SMALL" -o "$out"
check cli:stats-output-complete $H5C complete "$out"
check cli:stats-no-partial-left test ! -e "$out.partial"
check cli:stats-physics-5se $H5C physics "$out"
check cli:stats-config-attrs $H5C attr "$out" /config mcm.beta_u 5

cli_expect_rc cli:set-override 0 "override: mcm.beta_u = 2" "$BIN" stats "$SMALL" -o "$WORK/set.h5" --set mcm.beta_u=2
check cli:set-override-recorded $H5C attr "$WORK/set.h5" /config mcm.beta_u 2
check cli:set-override-physics $H5C physics "$WORK/set.h5"

cli_expect_rc cli:dry-run 0 "nothing computed or written" "$BIN" stats "$SMALL" -o "$WORK/dry.h5" --dry-run
check cli:dry-run-writes-nothing test ! -e "$WORK/dry.h5" -a ! -e "$WORK/dry.h5.partial"
cli_expect_rc cli:dry-run-estimate 0 "memory per rank" "$BIN" sample "$SMALL" -o "$WORK/dry.h5" --dry-run
cli_expect_rc cli:print-config-origin 0 "small.ini:12" "$BIN" stats "$SMALL" --print-config
cli_expect_rc cli:print-config-default 0 "# from default" "$BIN" stats "$SMALL" --print-config
cli_expect_rc cli:print-config-set 0 "# from command line" "$BIN" stats "$SMALL" --print-config --set mcm.beta_v=1
check cli:quiet-prints-nothing bash -c "[ -z \"\$('$BIN' stats '$SMALL' -o '$WORK/q.h5' --quiet)\" ]"

cli_expect_rc cli:unwritable-output 2 "cannot create output file" "$BIN" stats "$SMALL" -o "$WORK/no/such/dir/out.h5"
check cli:unwritable-output-no-file test ! -e "$WORK/no/such/dir/out.h5"

smp=$WORK/cli_sample.h5
cli_expect_rc cli:sample 0 "wrote 3000 samples (d = 20)" "$BIN" sample "$SMALL" -o "$smp"
check cli:sample-complete $H5C complete "$smp"

# A run killed mid-way leaves no file under the final name, only a .partial marked incomplete.
killed=$WORK/killed.h5
"$BIN" stats "$SMALL" -o "$killed" --set stats.n_samples=100000000 --quiet & kpid=$!
for _ in $(seq 300); do [ -e "$killed.partial" ] && break; sleep 0.1; done
sleep 0.5; kill -9 $kpid 2>/dev/null; wait $kpid 2>/dev/null
check cli:killed-run-no-final-file test ! -e "$killed"
check cli:killed-run-partial-exists test -e "$killed.partial"
check cli:killed-run-partial-incomplete bash -c "! $H5C complete '$killed.partial' 2>/dev/null"

# --print-config output is a valid configuration that resolves to the same values.
"$BIN" stats "$SMALL" --print-config --set mcm.beta_v=2.5 > "$WORK/printed.ini" 2>/dev/null
check cli:print-config-reparses bash -c "diff <('$BIN' stats '$WORK/printed.ini' --print-config | sed 's/  # from.*//') <('$BIN' stats '$SMALL' --print-config --set mcm.beta_v=2.5 | sed 's/  # from.*//')"

# Every shipped configuration is valid.
for ini in "$ROOT"/input/*.ini; do
    cli_expect_rc "cli:input-$(basename "$ini" .ini)-valid" 0 "configuration valid" "$BIN" run "$ini" --dry-run
done
