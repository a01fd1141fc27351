# User experience (issue 14 part 4): per-command --help listing that command's options, --log
# FILE, and the status line's checkpoint age. Sourced by tests/run_tests.sh.
UX=$WORK/ux
mkdir -p "$UX" && cd "$UX" || return
cli_expect_rc help:run-lists-time-limit 0 "--time-limit SECONDS" "$BIN" run --help
cli_expect_rc help:analyze-lists-o 0 "-o NEW.h5" "$BIN" analyze --help
cli_expect_rc help:merge 0 "usage: mcmsim merge OUT.h5 IN1.h5" "$BIN" merge --help
cli_expect_rc help:after-config 0 "usage: mcmsim covar CONFIG" "$BIN" covar "$ROOT/tests/cli/small.ini" --help
expect_rc 0 "usage: mcmsim stats" "$BIN" stats --help
grep -q -- "--restart" <<< "$EXPECT_OUT" && EXPECT_WHY="stats --help lists --restart"
expect_report help:stats-without-restart
expect_rc 0 "usage: mcmsim theory" "$BIN" theory --help
grep -q -- "-o FILE" <<< "$EXPECT_OUT" && EXPECT_WHY="theory --help lists -o (theory writes nothing)"
expect_report help:theory-without-output
cli_expect_rc help:unknown-option-shows-command-help 2 "usage: mcmsim analyze" "$BIN" analyze x.h5 --bogus
# --log FILE: everything rank 0 says, also with --quiet; the status line with the checkpoint age.
UXA=(--set train.steps_alpha=1500 --set scaling.early_stop=false --set observe.status_every=0.5
    --set checkpoint.every_seconds=1 --quiet)
out=$("$BIN" run "$ROOT/tests/cli/train_small.ini" "${UXA[@]}" --log run.log -o ux.h5 2>&1)
[ -z "$out" ] && grep -q "^  command run" run.log && grep -q "^wrote ux.h5" run.log \
    && pass ux:log-file-with-quiet || fail ux:log-file-with-quiet "stdout '$out', log $(head -n 2 run.log 2>&1)"
grep -q "^status: [0-9]*/6 tasks done, .* steps/s, ETA [0-9]* s, no checkpoint written yet$" run.log \
    && grep -q "^status: .*, last checkpoint ([0-9]*) [0-9]* s ago$" run.log \
    && pass ux:status-checkpoint-age || fail ux:status-checkpoint-age "$(grep status run.log | head -n 3)"
"$BIN" run "$ROOT/tests/cli/train_small.ini" --set mcm.d=0 --log run.log --quiet -o bad.h5 >/dev/null 2>&1
grep -q "mcmsim: error: .*key 'mcm.d'" run.log && grep -c "^  command run" run.log | grep -q 2 \
    && pass ux:log-appends-errors || fail ux:log-appends-errors "$(tail -n 2 run.log)"
check_usage ux:log-unwritable "--log: cannot open" x.h5 "$BIN" run "$ROOT/tests/cli/train_small.ini" --log /nonexistent/x.log -o x.h5
# Concurrent singletons (several short runs at once on one node, as a user or the job scripts'
# --print-config do): each exits 0 with a complete file and prints nothing with --quiet. With
# one session directory shared by all isolated singletons, a run's MPI_Init failed when another
# removed it (orte_session_dir: mkdir .../jf.0/1), and MPI-IO printed errors: 28 of 64 runs
# here. Each singleton now has its own, which nothing leaves behind.
conc_bad=""
mkdir -p "$UX/tmp" # their session directories, apart from other mcmsim processes
for round in 1 2 3 4; do
    for i in 1 2 3 4 5 6 7 8; do
        if [ $((i % 2)) = 0 ]; then
            (TMPDIR=$UX/tmp "$BIN" run "$ROOT/tests/cli/train_small.ini" --print-config >/dev/null 2>"conc$i.log"
                echo "rc=$?" >> "conc$i.log") &
        else
            (TMPDIR=$UX/tmp "$BIN" run "$ROOT/tests/cli/train_small.ini" --set train.steps_alpha=200 --quiet \
                -o "conc$i.h5" > "conc$i.log" 2>&1; echo "rc=$?" >> "conc$i.log") &
        fi
    done
    wait
    for i in 1 2 3 4 5 6 7 8; do
        [ "$(cat "conc$i.log")" = "rc=0" ] || conc_bad+=" round $round run $i: $(head -n 3 "conc$i.log")"
        [ $((i % 2)) = 0 ] || $H5C complete "conc$i.h5" >/dev/null 2>&1 || conc_bad+=" conc$i.h5 incomplete"
    done
done
[ -z "$(ls -A "$UX/tmp")" ] || conc_bad+=" left behind in TMPDIR: $(ls "$UX/tmp" | head -n 3)"
[ -z "$conc_bad" ] && pass ux:concurrent-singletons-quiet || fail ux:concurrent-singletons-quiet "$conc_bad"
cd "$ROOT" || true
