#!/usr/bin/env bash
# Source-tree checks, sourced by tests/run_tests.sh: the layer rule (tests/lint/layers.py), that
# the check catches planted violations, and the file-size guideline (600 lines).
LAYOUT_TMP=$(mktemp -d /tmp/mcmsim-layout.XXXXXX)

check layers_rule "$PY" tests/lint/layers.py

# The check must fail on each kind of violation, planted in a copy of the tree.
layout_plant() { # layout_plant NAME FILE LINE: a copy of src/ include/ with LINE added to FILE
    rm -rf "$LAYOUT_TMP/t" && mkdir -p "$LAYOUT_TMP/t"
    cp -r src include "$LAYOUT_TMP/t/"
    printf '%s\n' "$3" >> "$LAYOUT_TMP/t/$2"
    if out=$("$PY" tests/lint/layers.py --top "$LAYOUT_TMP/t" 2>&1); then
        fail "layers_detects_$1" "no violation reported for '$3' in $2"
    elif grep -q "$2" <<< "$out"; then pass "layers_detects_$1"
    else fail "layers_detects_$1" "violation not attributed to $2: $out"; fi
}
layout_plant mpi_in_core src/core/mcm.c '#include <mpi.h>'
layout_plant hdf5_in_engine include/engine/engine.h '#include <hdf5.h>'
layout_plant higher_layer src/core/model.c '#include "engine/observe.h"'
layout_plant cfg_in_engine src/engine/observe.c '#include "base/cfg.h"'
layout_plant unlayered src/spec/task.c '#include "mcm.h"'

long=$(for f in src/*/*.[ch] include/*/*.h tests/*/*.c tests/*/*.sh tests/*/*.py; do
    [ -f "$f" ] && n=$(wc -l < "$f") && [ "$n" -gt 600 ] && echo "$f ($n lines)"; done)
if [ -z "$long" ]; then pass files_under_600_lines; else fail files_under_600_lines "$long"; fi
rm -rf "$LAYOUT_TMP"
