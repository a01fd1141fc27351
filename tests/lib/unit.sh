# Runs one cmocka unit-test binary with TAP output and counts its cases. Sourced.
unit_bin=$1
unit_name=$(basename "$unit_bin")
unit_out=$(CMOCKA_MESSAGE_OUTPUT=TAP timeout -k 5 600 "$unit_bin" 2>&1)
unit_rc=$?
unit_cases=0
while IFS= read -r line; do
    case "$line" in
        "ok "*) pass "$unit_name:${line#ok * - }"; unit_cases=$((unit_cases + 1)) ;;
        "not ok "*) fail "$unit_name:${line#not ok * - }" "see output"; unit_cases=$((unit_cases + 1)) ;;
    esac
done <<< "$unit_out"
if [ "$unit_rc" -ne 0 ] || [ "$unit_cases" -eq 0 ]; then
    echo "$unit_out" | grep -v '^ok ' | tail -n 40 | sed 's/^/    /'
    [ "$unit_rc" -ne 0 ] && [ "$unit_cases" -eq 0 ] && fail "$unit_name" "exit $unit_rc, no cases ran"
    [ "$unit_rc" -ne 0 ] && [ "$unit_cases" -gt 0 ] && ! echo "$unit_out" | grep -q '^not ok' && fail "$unit_name" "exit $unit_rc"
fi
