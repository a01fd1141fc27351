#!/usr/bin/python3
"""Assertions on mcmsim HDF5 files for the shell tests. Exit 0 when the check holds."""
import sys

import h5py
import numpy as np


def _s(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def complete(path):
    """A finished file: complete = 1, schema v1, provenance, every dataset documented."""
    with h5py.File(path, "r") as f:
        a = f.attrs
        assert int(a["complete"]) == 1, "complete != 1"
        assert int(a["schema_version"]) == 1
        for key in ("code_version", "git_commit", "hdf5_version", "mpi_version", "gsl_version",
                    "hostname", "start_time_utc", "end_time_utc", "n_ranks"):
            assert key in a, "missing root attribute " + key
        assert _s(a["end_time_utc"]), "end time empty"
        assert "raw" in f["config"], "no /config/raw"
        missing = []

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                for k in ("description", "units"):
                    if k not in obj.attrs:
                        missing.append(name + ":" + k)
        f.visititems(visit)
        assert not missing, "undocumented datasets: %s" % missing


def attr(path, obj, name, expected):
    with h5py.File(path, "r") as f:
        got = _s(f[obj].attrs[name])
    assert got == expected, "%s:%s = %r, expected %r" % (obj, name, got, expected)


def same(a, b, *paths):
    """Datasets bitwise identical in two files (NaN equal to NaN)."""
    with h5py.File(a, "r") as fa, h5py.File(b, "r") as fb:
        for p in paths:
            x, y = fa[p][()], fb[p][()]
            assert x.shape == y.shape, p + ": shapes differ"
            assert np.array_equal(x.view(np.uint8), y.view(np.uint8)), p + ": values differ"


def differ(a, b, path):
    with h5py.File(a, "r") as fa, h5py.File(b, "r") as fb:
        assert not np.array_equal(fa[path][()], fb[path][()]), path + ": identical"


def physics(path):
    """Measured moments within 5 standard errors of the exact values wherever exact exists."""
    with h5py.File(path, "r") as f:
        mom, th = f["stats/moments"][()], f["stats/theory"][()]
    bad = []
    for idx in np.ndindex(mom.shape[:3]):
        m, t = mom[idx], th[idx]
        for (mi, si, ti, what) in ((0, 4, 0, "mean"), (1, 5, 1, "variance"),
                                   (3, 6, 2, "kurtosis")):
            if np.isnan(t[ti]):
                continue
            if abs(m[mi] - t[ti]) > 5 * m[si]:
                bad.append("%s %s: %.4f vs %.4f (SE %.4f)" % (idx, what, m[mi], t[ti], m[si]))
    assert not bad, "\n".join(bad)


if __name__ == "__main__":
    try:
        globals()[sys.argv[1]](*sys.argv[2:])
    except AssertionError as e:
        print("h5check %s: %s" % (sys.argv[1], e), file=sys.stderr)
        sys.exit(1)
