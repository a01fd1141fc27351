# The bad-input corpus: every tests/bad_configs/NAME.ini must end with exit code 2, print the
# fragment on line 1 of NAME.expect, and leave no output file. Line 2 may hold "args: ...".
for ini in "$ROOT"/tests/bad_configs/*.ini; do
    name=$(basename "$ini" .ini)
    exp="${ini%.ini}.expect"
    frag=$(sed -n 1p "$exp")
    args=$(sed -n 's/^args: //p' "$exp")
    outf=$WORK/bad_$name.h5
    # shellcheck disable=SC2086
    msg=$("$BIN" run "$ini" -o "$outf" $args 2>&1 >/dev/null); rc=$?
    if [ "$rc" -ne 2 ]; then fail "bad:$name" "exit $rc, expected 2"; echo "$msg" | head -3 | sed 's/^/    /'
    elif ! grep -qF -- "$frag" <<< "$msg"; then fail "bad:$name" "stderr lacks '$frag'"; echo "$msg" | head -3 | sed 's/^/    /'
    elif [ -e "$outf" ] || [ -e "$outf.partial" ]; then fail "bad:$name" "output file left behind"
    else pass "bad:$name"; fi
done
