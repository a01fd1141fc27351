#!/usr/bin/python3
"""ks_crossing.py A.h5 B.h5 [--level L] [--expect-reject]: two-sample Kolmogorov-Smirnov tests of
the crossing samples n* (/crossing/samples) between two runs of the same study (e.g. the direct
and the reduced engine), per dimension, watched quantity and threshold. Every pair must be crossed
in both runs (no censoring). Exit 0 when every p >= L (default 1e-3), or with --expect-reject when
some p < 1e-6. The p-value is the asymptotic Kolmogorov law with Stephens' small-sample factor."""
import sys
import h5py
import numpy as np


def ks(a, b):
    a, b = np.sort(a), np.sort(b)
    x = np.concatenate([a, b])
    d = np.max(np.abs(np.searchsorted(a, x, "right") / a.size - np.searchsorted(b, x, "right") / b.size))
    ne = a.size * b.size / (a.size + b.size)
    lam = (np.sqrt(ne) + 0.12 + 0.11 / np.sqrt(ne)) * d
    if lam < 0.2:
        return d, 1.0
    k = np.arange(1, 101)
    return d, float(min(1.0, max(0.0, 2 * np.sum((-1.0) ** (k - 1) * np.exp(-2 * k * k * lam * lam)))))


def main():
    fa, fb = (h5py.File(p, "r") for p in sys.argv[1:3])
    level = float(sys.argv[sys.argv.index("--level") + 1]) if "--level" in sys.argv else 1e-3
    da, db = fa["tasks/d"][:], fb["tasks/d"][:]
    sa, sb = fa["crossing/samples"][:], fb["crossing/samples"][:]
    pmin = 1.0
    for d in np.unique(da):
        for w in range(sa.shape[1]):
            for t in range(sa.shape[2]):
                a, b = sa[da == d, w, t], sb[db == d, w, t]
                if np.isnan(a).any() or np.isnan(b).any():
                    print("ks_crossing: d=%d watched %d threshold %d: censored crossings" % (d, w, t))
                    return 1
                D, p = ks(a, b)
                print("ks_crossing: d=%-5d watched %d threshold %d: n=%d/%d D=%.3f p=%.3g"
                      % (d, w, t, a.size, b.size, D, p))
                pmin = min(pmin, p)
    print("ks_crossing: min p = %.3g" % pmin)
    if "--expect-reject" in sys.argv:
        return 0 if pmin < 1e-6 else 1
    return 0 if pmin >= level else 1


sys.exit(main())
