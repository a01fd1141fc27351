#!/usr/bin/python3
"""Bitwise comparison of mcmsim HDF5 outputs, pair by pair.

usage: h5same.py [--no-exclude] [--quiet-exclusions] A1.h5 B1.h5 [A2.h5 B2.h5 ...]

Two files are the same when they hold the same objects (groups, datasets, committed types) at
the same paths, every dataset has the same HDF5 type, shape and bytes (NaN-aware: raw bytes are
compared, so NaN payloads and signed zeros count), and every object carries the same attribute
names with the same HDF5 types, shapes and bytes. Missing or extra objects and attributes are
failures.

Only the items of EXCLUDED are exempt, and only from the value comparison: they must still exist
in both files (a dataset also keeps its type and shape checked; an attribute's type is skipped
because its string length varies). The list is what differs between two runs of the SAME binary
(wall-clock facts) plus what differs between two builds of the same source (build provenance);
tests/compat/bitwise_vs.sh checks that a binary against itself passes under it. Run with
--no-exclude to see those items differ.

Prints one line per pair (SAME or DIFF, with up to 12 indented reasons), then
"N passed, N failed"; exits 0 only when every pair is the same.
"""
import sys

import h5py
import numpy as np

# (object path, attribute name or None for the dataset's values, reason)
EXCLUDED = [
    ("/", "start_time_utc", "wall-clock time the output was created"),
    ("/", "end_time_utc", "wall-clock time the output was completed"),
    ("/", "git_describe", "build provenance: git describe of the built tree"),
    ("/", "git_commit", "build provenance: commit of the built tree"),
    ("/", "git_dirty", "build provenance: uncommitted changes in the built tree"),
    ("/", "cflags", "build provenance: compile flags (they name the build directory)"),
    ("/timing/run", None, "wall seconds of the run and of its checkpoint writes"),
    ("/summary/wall_seconds", None, "wall seconds per training task"),
    ("/covar/seconds_cov", None, "wall seconds of each covariance accumulation"),
    ("/covar/seconds_eig", None, "wall seconds of each eigendecomposition"),
    ("/covar/gflops_cov", None, "rate of each accumulation, derived from seconds_cov"),
]
MAX_REASONS = 12


def excluded(path, attr):
    return any(p == path and a == attr for p, a, _ in EXCLUDED)


def objects(f):
    """Every object of the file by absolute path ('/' is the root group)."""
    out = {"/": f}
    f.visititems(lambda name, obj: out.__setitem__("/" + name, obj))
    return out


def kind(obj):
    if isinstance(obj, h5py.Dataset):
        return "dataset"
    if isinstance(obj, h5py.Group):
        return "group"
    return "datatype"


def as_bytes(value):
    """The bytes of a value read by h5py; object arrays (variable-length) element by element."""
    a = np.asarray(value)
    if a.dtype.kind == "O":
        return repr([bytes(x) if isinstance(x, (bytes, np.bytes_)) else repr(x)
                     for x in a.ravel()]).encode() + repr(a.shape).encode()
    return np.ascontiguousarray(a).tobytes()


def dataset_bytes(ds):
    if ds.shape is None:  # null dataspace
        return b""
    return as_bytes(ds[()])


def compare_attrs(path, oa, ob, why, skipped, use_excl):
    na, nb = set(oa.attrs.keys()), set(ob.attrs.keys())
    for n in sorted(na - nb):
        why.append("%s: attribute '%s' only in A" % (path, n))
    for n in sorted(nb - na):
        # A configuration key the base does not have (a later feature, at its default) is
        # provenance of the new tree, not a changed result.
        if use_excl and path == "/config":
            skipped.append("%s@%s (new key)" % (path, n))
            continue
        why.append("%s: attribute '%s' only in B" % (path, n))
    for n in sorted(na & nb):
        if use_excl and excluded(path, n):
            skipped.append("%s@%s" % (path, n))
            continue
        ia, ib = oa.attrs.get_id(n), ob.attrs.get_id(n)
        if ia.get_type() != ib.get_type() or ia.shape != ib.shape:
            why.append("%s: attribute '%s' type or shape differs (%s%s vs %s%s)"
                       % (path, n, ia.dtype, ia.shape, ib.dtype, ib.shape))
            continue
        va, vb = oa.attrs[n], ob.attrs[n]
        if as_bytes(va) != as_bytes(vb):
            why.append("%s: attribute '%s' differs: %s vs %s" % (path, n, short(va), short(vb)))


def short(v):
    s = repr(v.tolist() if isinstance(v, np.ndarray) else v)
    return s if len(s) <= 60 else s[:57] + "..."


def compare_dataset(path, da, db, why, skipped, use_excl):
    if da.id.get_type() != db.id.get_type():
        why.append("%s: HDF5 type differs (%s vs %s)" % (path, da.dtype, db.dtype))
        return
    if da.shape != db.shape:
        why.append("%s: shape differs (%s vs %s)" % (path, da.shape, db.shape))
        return
    if use_excl and excluded(path, None):
        skipped.append(path)
        return
    xa, xb = dataset_bytes(da), dataset_bytes(db)
    if xa == xb:
        return
    msg = "%s: values differ" % path
    if da.dtype.kind in "fiuc" and da.shape:
        a, b = da[()], db[()]
        ra = np.ascontiguousarray(a).reshape(a.size, -1).view(np.uint8)
        rb = np.ascontiguousarray(b).reshape(b.size, -1).view(np.uint8)
        bad = np.flatnonzero(np.any(ra != rb, axis=1))
        i = np.unravel_index(bad[0], a.shape)
        msg += " in %d of %d elements, first at %s: %r vs %r" % (
            bad.size, a.size, tuple(int(k) for k in i), a[i], b[i])
    why.append(msg)


def compare(pa, pb, use_excl):
    """Returns (reasons, skipped items, number of objects compared)."""
    why, skipped = [], []
    with h5py.File(pa, "r") as fa, h5py.File(pb, "r") as fb:
        oa, ob = objects(fa), objects(fb)
        for p in sorted(set(oa) - set(ob)):
            why.append("%s: %s only in A" % (p, kind(oa[p])))
        for p in sorted(set(ob) - set(oa)):
            why.append("%s: %s only in B" % (p, kind(ob[p])))
        common = sorted(set(oa) & set(ob))
        for p in common:
            a, b = oa[p], ob[p]
            if kind(a) != kind(b):
                why.append("%s: %s in A, %s in B" % (p, kind(a), kind(b)))
                continue
            if kind(a) == "dataset":
                compare_dataset(p, a, b, why, skipped, use_excl)
            compare_attrs(p, a, b, why, skipped, use_excl)
    return why, skipped, len(common)


def main(argv):
    use_excl, show_excl = True, True
    while argv and argv[0].startswith("--"):
        opt = argv.pop(0)
        if opt == "--no-exclude":
            use_excl = False
        elif opt == "--quiet-exclusions":
            show_excl = False
        else:
            sys.exit("h5same.py: unknown option " + opt)
    if not argv or len(argv) % 2:
        sys.exit(__doc__.split("\n\n")[1])
    if use_excl and show_excl:
        print("h5same: values not compared (timing/provenance; presence still checked):")
        for p, a, why in EXCLUDED:
            print("  %-28s %s" % (p + ("@" + a if a else ""), why))
    passed = failed = 0
    for pa, pb in zip(argv[0::2], argv[1::2]):
        try:
            why, skipped, n = compare(pa, pb, use_excl)
        except (OSError, KeyError, ValueError) as e:
            why, skipped, n = ["cannot compare: %s" % e], [], 0
        if why:
            failed += 1
            print("DIFF %s %s (%d difference(s))" % (pa, pb, len(why)))
            for w in why[:MAX_REASONS]:
                print("    " + w)
            if len(why) > MAX_REASONS:
                print("    ... %d more" % (len(why) - MAX_REASONS))
        else:
            passed += 1
            print("SAME %s %s (%d objects; %d excluded value(s)%s)"
                  % (pa, pb, n, len(skipped), ": " + " ".join(skipped) if skipped else ""))
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
