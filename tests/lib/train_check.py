#!/usr/bin/python3
"""Physics assertions on `mcmsim run` output for the shell tests (exit 1 with a reason)."""
import math
import sys

import h5py
import numpy as np


def load(path):
    f = h5py.File(path, "r")
    s = {k: f["series/" + k][()] for k in f["series"]}
    return f, s


def final(a):
    return np.array([row[np.isfinite(row)][-1] for row in a])


def u_learned_v_hidden(path):
    """|m_u| > 0.5 within the run (O(10) d-steps) from |m_0| ~ d^-1/2; |m_v| stays O(d^-1/2)."""
    f, s = load(path)
    d = f["tasks/d"][()]
    bad = []
    for k in range(len(d)):
        bound = 5 / math.sqrt(d[k])  # 5 standard deviations of an N(0, 1/d) overlap
        if abs(s["max_overlap_u"][k][0]) > bound:
            bad.append("task %d: initial |m_u| %.3f above %.3f" % (k, s["max_overlap_u"][k][0], bound))
        ok = np.where(s["max_overlap_u"][k] > 0.5)[0]
        if len(ok) == 0:
            bad.append("task %d (d = %d): |m_u| never exceeded 0.5" % (k, d[k]))
        elif s["tau"][k][ok[0]] > 20:
            bad.append("task %d: u found only at tau = %.1f" % (k, s["tau"][k][ok[0]]))
        mv = s["max_overlap_v"][k]
        if np.nanmax(mv) > bound:
            bad.append("task %d: |m_v| reached %.3f > %.3f" % (k, np.nanmax(mv), bound))
    assert not bad, "\n".join(bad)


def correlated_mixture(path):
    """nu = sign(lambda): the neuron ends on a u/v mixture along the top eigenvector of the
    (u, v) covariance block, ratio m_v/m_u = 0.297 for beta_u = beta_v = 5 (tanh shifts it).
    One replica's ratio fluctuates by ~0.08 at d = 200 (SGD noise), so the band [0.8, 1.5] x
    target applies to the replica mean (SE ~0.025 with 12 replicas); every |m_u| > 0.5."""
    f, s = load(path)
    ov = f["series/overlap"][()]
    bu = float(f["config"].attrs["mcm.beta_u"]); bv = float(f["config"].attrs["mcm.beta_v"])
    rho = math.sqrt(bu) * math.sqrt(bv / (1 + bv)) * math.sqrt(2 / math.pi)
    w, V = np.linalg.eigh(np.array([[1 + bu, rho], [rho, 1]]))
    target = abs(V[1, 1] / V[0, 1])
    bad, ratios = [], []
    for k in range(ov.shape[0]):
        o = ov[k][np.isfinite(ov[k][:, 0, 0])][-1][0]
        ratios.append(o[2] / o[1])
        if not abs(o[1]) > 0.5:
            bad.append("task %d: m_u = %.3f" % (k, o[1]))
    mean = float(np.mean(ratios))
    if not 0.8 * target < mean < 1.5 * target:
        bad.append("mean ratio m_v/m_u %.3f over %d replicas vs %.3f" % (mean, len(ratios), target))
    assert not bad, "\n".join(bad)


def same_by_id(a, b):
    """Tasks with equal ids have bitwise equal series, whatever the list order."""
    fa, sa = load(a)
    fb, sb = load(b)
    ia, ib = list(fa["tasks/id"][()]), list(fb["tasks/id"][()])
    assert sorted(ia) == sorted(ib), "different task sets"
    for key in sa:
        for k, tid in enumerate(ia):
            j = ib.index(tid)
            x, y = sa[key][k], sb[key][j]
            assert np.array_equal(x.view(np.uint8), y.view(np.uint8)), "%s of task %d" % (key, tid)


def sweep(path, n_expected):
    f, s = load(path)
    vals, keys = f["tasks/values"][()], f["tasks/values"].attrs["keys"]
    assert len(vals) == int(n_expected), "%d tasks, expected %s" % (len(vals), n_expected)
    assert set(vals[:, 2]) == {1.0, 10.0}, "swept beta_v values %s" % set(vals[:, 2])
    assert len(set(f["tasks/id"][()])) == len(vals), "task ids not unique"


if __name__ == "__main__":
    try:
        globals()[sys.argv[1]](*sys.argv[2:])
    except AssertionError as e:
        print("train_check %s: %s" % (sys.argv[1], e), file=sys.stderr)
        sys.exit(1)
