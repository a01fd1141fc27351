#!/usr/bin/env python3
"""The layer rule of mcmsim's source tree, checked.

Sources live in src/LAYER/, public headers in include/LAYER/, and a public header is included by
its layered name ("core/mcm.h"); a bare name ("dmat_sl.h") is a header private to its folder.
Layers, bottom to top: base, core, spec, engine, parallel, io, cli. A file may include headers of
its own layer and of the layers below it only; MPI and HDF5 (<mpi.h>, <hdf5.h>) appear only in
parallel, io and cli; the configuration (base/cfg.h) is seen only by cfg itself, the spec layer,
the io layer (to record it as provenance and to compare FIXED keys on restart), the commands, and
parallel/par (the collective load).

  tests/lint/layers.py            check; print one line per violation, exit 1 if any
  tests/lint/layers.py --graph    also print which layer includes which (with counts)
"""
import os
import re
import sys

LAYERS = ["base", "core", "spec", "engine", "parallel", "io", "cli"]
RANK = {l: i for i, l in enumerate(LAYERS)}
NO_MPI_HDF5 = {"base", "core", "spec", "engine"}
HEAVY = {"mpi.h", "hdf5.h", "hdf5_hl.h", "H5public.h"}
CFG = "base/cfg.h"
CFG_ALLOWED_LAYERS = {"base", "spec", "io", "cli"}
CFG_ALLOWED_FILES = {"include/parallel/par.h", "src/parallel/par.c"}
INC = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)


def files(top):
    for root in ("src", "include"):
        for layer in sorted(os.listdir(os.path.join(top, root))):
            d = os.path.join(top, root, layer)
            if not os.path.isdir(d):
                yield None, os.path.join(root, layer)
                continue
            for f in sorted(os.listdir(d)):
                if f.endswith((".c", ".h")):
                    yield layer, os.path.join(root, layer, f)


def check(top):
    bad, graph = [], {}
    for layer, rel in files(top):
        if layer is None:
            bad.append("%s: outside a layer folder (expected src/LAYER/ or include/LAYER/)" % rel)
            continue
        if layer not in RANK:
            bad.append("%s: unknown layer '%s' (expected one of %s)" % (rel, layer, ", ".join(LAYERS)))
            continue
        text = open(os.path.join(top, rel), encoding="utf-8").read()
        for m in INC.finditer(text):
            kind, name = m.group(1), m.group(2)
            line = text.count("\n", 0, m.start()) + 1
            where = "%s:%d" % (rel, line)
            if kind == "<":
                if os.path.basename(name) in HEAVY and layer in NO_MPI_HDF5:
                    bad.append("%s: <%s> in the %s layer (MPI and HDF5 belong to parallel, io, cli)"
                               % (where, name, layer))
                continue
            if "/" not in name:
                private = os.path.join(top, "src", layer, name)
                if not os.path.exists(private):
                    bad.append("%s: \"%s\" is neither layered (\"LAYER/%s\") nor private to src/%s/"
                               % (where, name, name, layer))
                continue
            inc_layer = name.split("/")[0]
            if inc_layer not in RANK or not os.path.exists(os.path.join(top, "include", name)):
                bad.append("%s: \"%s\" is not a header under include/" % (where, name))
                continue
            graph[(layer, inc_layer)] = graph.get((layer, inc_layer), 0) + 1
            if RANK[inc_layer] > RANK[layer]:
                bad.append("%s: the %s layer includes \"%s\" of the higher %s layer"
                           % (where, layer, name, inc_layer))
            if name == CFG and layer not in CFG_ALLOWED_LAYERS and rel not in CFG_ALLOWED_FILES:
                bad.append("%s: the %s layer includes the configuration (%s); it takes specs"
                           % (where, layer, CFG))
    return bad, graph


def main():
    top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if len(sys.argv) > 2 and sys.argv[1] == "--top":
        top = sys.argv[2]
    bad, graph = check(top)
    if "--graph" in sys.argv:
        for l in reversed(LAYERS):
            below = ["%s (%d)" % (b, graph[(l, b)]) for b in reversed(LAYERS) if (l, b) in graph]
            print("%-9s -> %s" % (l, ", ".join(below) if below else "-"))
    for b in bad:
        print("layers: " + b)
    print("layers: %d violation(s)" % len(bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
