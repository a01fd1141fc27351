#!/usr/bin/python3
"""Checks of `mcmsim gaussian` output files against closed forms recomputed here with numpy
(gaussian-theory.md), for tests/cli/test_gaussian.sh. Exit 0 when the check holds.

  gauss_check.py onelayer FILE      §2.2 weights, §3.2 limits, §3.6 KL, alpha near 1
  gauss_check.py twolayer FILE      §3.3 variances, §2.5 weights and ln 2/(8 eta lambda)
  gauss_check.py same A B [RTOL]    every /gaussian dataset identical (NaN = NaN), or within RTOL
  gauss_check.py spectrum OUT KIND  writes a spectrum file: good, nan, negative, empty, matrix
"""
import sys

import h5py
import numpy as np


def _load(path):
    f = h5py.File(path, "r")
    g = f["gaussian"]
    cfg = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f["config"].attrs.items()}
    return f, g, cfg


def _close(got, want, tol, what):
    err = np.max(np.abs(got - want) / np.abs(want))
    assert err < tol, "%s: relative error %.3g >= %g" % (what, err, tol)


def onelayer(path):
    f, g, cfg = _load(path)
    lam, tau, q = g["lambda"][()], g["tau"][()], g["init_q"][()]
    eta, s0, st = (float(cfg["gaussian." + k]) for k in ("eta", "sigma_min", "sigma_max"))
    sw = float(g.attrs["weight_level"])
    d = len(lam)
    _close(lam, 1.0 / np.arange(1, d + 1), 1e-15, "lambda = 1/k")
    ws = lam / (lam + sw**2)  # §2.2: w* + (Q - w*) exp(-2 eta (sigma^2 + lambda) tau)
    w = ws + (q - ws) * np.exp(-2 * eta * (sw**2 + lam)[None, :] * tau[:, None])
    _close(g["theory/weight"][()], w, 1e-12, "one-layer weight")
    lev = g["theory/variance_levels"][()]
    _close(lev[:, 0], st**2 * (s0 / st) ** (2 * (1 - q)), 1e-12, "tau = 0 level")
    _close(lev[:, 1], st**2 * (lam + s0**2) / (lam + st**2), 1e-12, "tau -> inf level")
    _close(lev[:, 2], np.sqrt(lev[:, 0] * lev[:, 1]), 1e-12, "geometric target")
    lnr = np.log(g["theory/variance"][()] / lam)  # §3.6
    kl = np.stack([0.5 * np.sum(np.expm1(lnr) - lnr, 1), 0.5 * np.sum(np.expm1(-lnr) + lnr, 1)], 1)
    _close(g["theory/kl"][()], kl, 1e-9, "KL")
    a = g["theory/alpha"][()]
    assert 0.95 < a[0, 0] < 1.05 and a[0, 1] < a[0, 0] < a[0, 2], "alpha %s" % a[0]
    assert int(a[0, 3]) == d and np.all(g["theory/branch"][()] == 1)


def twolayer(path):
    f, g, cfg = _load(path)
    lam, tau, q = g["lambda"][()], g["tau"][()], g["init_q"][()]
    eta, s0, st = (float(cfg["gaussian." + k]) for k in ("eta", "sigma_min", "sigma_max"))
    sw = float(g.attrs["weight_level"])
    E = np.exp(-8 * eta * lam[None, :] * tau[:, None])  # §3.3

    def ln_phi(s):
        den = q + (1 - q) * E
        return (1 - q) * E / den * np.log(s) + q / (2 * den) * np.log(lam * E + q * (1 - E) * (lam + s**2))

    var = st**2 * np.exp(2 * (ln_phi(s0) - ln_phi(st)))
    _close(g["theory/variance"][()], var, 1e-10, "two-layer variance (§3.3)")
    ws = lam / (lam + sw**2)  # §2.5 logistic
    w = ws * q / ((ws - q) * E + q)
    _close(g["theory/weight"][()], w, 1e-12, "two-layer weight (§2.5)")
    if cfg["gaussian.criterion"] == "harmonic":
        _close(g["theory/weight_emergence"][()], np.log(2) / (8 * eta * lam), 1e-12,
               "ln 2 / (8 eta lambda)")


def same(a, b, rtol="0"):
    fa, fb = h5py.File(a, "r"), h5py.File(b, "r")
    rt = float(rtol)
    bad = []

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            x, y = obj[()], fb["gaussian/" + name][()]
            if x.shape != y.shape or not (np.array_equal(x, y, equal_nan=True) if rt == 0 else
                                          np.allclose(x, y, rtol=rt, atol=0, equal_nan=True)):
                bad.append(name)
    fa["gaussian"].visititems(visit)
    assert not bad, "datasets differ: %s" % bad


def spectrum(out, kind):
    lam = 1.0 / np.arange(1, 17)
    with h5py.File(out, "w") as f:
        if kind == "good":
            f["lambda"] = lam
        elif kind == "nan":
            lam[3] = np.nan
            f["lambda"] = lam
        elif kind == "negative":
            lam[5] = -0.25
            f["lambda"] = lam
        elif kind == "empty":
            f.create_dataset("lambda", shape=(0,), dtype="f8")
        elif kind == "matrix":
            f["lambda"] = np.ones((4, 4))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"onelayer": onelayer, "twolayer": twolayer, "same": same, "spectrum": spectrum}[cmd](*args)
