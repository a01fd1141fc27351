#!/usr/bin/python3
"""Checks of `mcmsim run` on Gaussian data (/gaussian/sgd next to /gaussian/theory), for
tests/cli/test_gsgd.sh. Exit 0 when the check holds.

  gsgd_check.py layout FILE          every dataset self-described; [time][mode] shapes agree
  gsgd_check.py alpha FILE LO HI [weight]  SGD alpha in [LO, HI] and within 0.03 of the gradient
                                     flow; weight: alpha of the weights at one level instead
  gsgd_check.py flow FILE            SGD weights within the SGD fluctuation of the gradient flow
  gsgd_check.py theory RUN GAUSS     /gaussian/theory of the run equals `mcmsim gaussian`'s
  gsgd_check.py close A B TOL        /gaussian/sgd of two files equal to TOL (absolute)
  gsgd_check.py empirical FILE BETA  spectrum = empirical of MCM samples: the top eigenvalue
                                     within 5 SE of BBP (1 + b)(1 + g/b), the bulk inside the
                                     Marchenko-Pastur edges (1 +- g^1/2)^2 (+- 5 n^-2/3 d^...)
  gsgd_check.py planted OUT          writes a data set (n = 40000 rows, d = 8) with covariance
                                     R diag(4, 2, 1, ..., 1/32) R^T, R a random rotation
  gsgd_check.py planted-check FILE   its empirical spectrum within 5 SE (lambda (2/n)^1/2) and
                                     the eigenvectors aligned with R's columns (|cos| > 0.99)

flow: the SGD mean follows discrete GD exactly (the expected gradient is linear in W), which
departs from the flow by at most |Q - w*| eta a / e per mode (a = lambda + sigma^2). The
variance of w_k is bounded at every step by 2 eta a / B (the update variance
eta^2 (4/B)(R_kk a + G_kk^2) with R_kk <= a, G_kk^2 <= a^2 over 1 - (1 - 2 eta a)^2), so the
tolerance is 5 (2 eta a / (B R))^1/2 plus that gap, R replicas.
"""
import sys

import h5py
import numpy as np


def _cfg(f):
    return {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f["config"].attrs.items()}


def layout(path):
    f = h5py.File(path, "r")
    bad = []

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset) and name.startswith("gaussian"):
            a = obj.attrs
            if "description" not in a or "units" not in a or not len(a["description"]):
                bad.append(name)
    f.visititems(visit)
    assert not bad, "datasets without description/units: %s" % bad
    g = f["gaussian"]
    d = g["lambda"].shape[0]
    nt, nts = g["tau"].shape[0], g["sgd/tau"].shape[0]
    for n in ("weight", "variance", "loss"):
        assert g["theory/" + n].shape == (nt, d), n
        assert g["sgd/" + n].shape == (nts, d), "sgd/" + n
        assert g["sgd/gf/" + n].shape == (nts, d), "sgd/gf/" + n
    assert g["theory/kl"].shape == (nt, 2) and g["sgd/kl"].shape == (nts, 2)
    assert g["sgd/emergence"].shape == (d,) and g["sgd/alpha"].shape == (3, 4)
    L, R = g["sgd"].attrs["n_levels"], g["sgd"].attrs["n_replicas"]
    assert g["sgd/weight_levels"].shape == (L, R, nts, d)
    assert g["sgd/sigma"].shape == (L,) and np.all(np.diff(g["sgd/sigma"][()]) > 0)
    assert np.all(np.isfinite(g["sgd/variance"][()])) and np.all(g["sgd/variance"][()] > 0)
    # aligned start: every mode at Q, no off-diagonal part, at step 0
    q = g["init_q"][()]
    assert np.allclose(g["sgd/weight"][0], q, atol=1e-12), "step 0 is not the aligned start"
    assert np.max(g["sgd/offdiag"][:, :, 0]) < 1e-10, "step 0 has an off-diagonal part"
    # the per-mode losses sum to the population loss (zero mean, no bias)
    tot = g["sgd/loss_levels"][()].sum(axis=-1) + g["sgd/mean_term"][()]
    assert np.allclose(tot, g["sgd/loss_total"][()], rtol=1e-10)


def _weight_alpha(g, q):
    """The exponent of the emergence of the weights at the one level sigma_weight (geometric
    mean of Q and w*): a deliberately wrong estimator of the spectral bias (time constants
    1 / (2 (sigma^2 + lambda)) hardly depend on lambda for lambda << sigma^2)."""
    lam, tau, w = g["lambda"][()], g["sgd/tau"][()], g["sgd/weight"][()]
    sw = g["sgd"].attrs["weight_sigma"]
    target = np.sqrt(q * lam / (lam + sw**2))
    ts = []
    for k in range(len(lam)):
        i = np.argmax(w[:, k] >= target[k])
        ts.append(tau[i] if w[i, k] >= target[k] and i > 0 else np.nan)
    ts = np.array(ts)
    ok = np.isfinite(ts)
    return -np.polyfit(np.log(lam[ok]), np.log(ts[ok]), 1)[0]


def alpha(path, lo, hi, estimator="variance"):
    f = h5py.File(path, "r")
    g = f["gaussian/sgd"]
    a, af = g["alpha"][0], g["gf/alpha"][0]
    if estimator == "weight":
        aw = _weight_alpha(f["gaussian"], f["gaussian/init_q"][0])
        print("alpha of the weights at one level: %.4f" % aw)
        assert float(lo) <= aw <= float(hi), "alpha %.4f outside [%s, %s]" % (aw, lo, hi)
        return
    print("alpha SGD %.4f [%.4f, %.4f] (%d modes), gradient flow %.4f" % (a[0], a[1], a[2], a[3],
                                                                          af[0]))
    assert float(lo) <= a[0] <= float(hi), "alpha %.4f outside [%s, %s]" % (a[0], lo, hi)
    assert abs(a[0] - af[0]) < 0.03, "SGD alpha %.4f vs gradient flow %.4f" % (a[0], af[0])


def flow(path):
    f = h5py.File(path, "r")
    g, cfg = f["gaussian"], _cfg(f)
    s = g["sgd"]
    eta, R = s.attrs["eta"], s.attrs["n_replicas"]
    sig = s.attrs["weight_sigma"]
    B = float(cfg["train.batch"])
    lam, q = g["lambda"][()], g["init_q"][()]
    a = lam + sig**2
    ws = lam / a
    tol = 5 * np.sqrt(2 * eta * a / (B * R)) + np.abs(q - ws) * eta * a / np.e
    err = np.abs(s["weight"][()] - s["gf/weight"][()])
    worst = np.max(err / tol[None, :])
    print("largest |w_sgd - w_gf| / tolerance = %.3f (largest |w_sgd - w_gf| = %.3g)" %
          (worst, err.max()))
    assert worst < 1, "SGD leaves the gradient flow by more than the SGD noise"


def theory(run, gauss):
    fa, fb = h5py.File(run, "r"), h5py.File(gauss, "r")
    for n in ("lambda", "tau", "theory/weight", "theory/variance", "theory/kl",
              "theory/emergence", "theory/alpha"):
        x, y = fa["gaussian/" + n][()], fb["gaussian/" + n][()]
        assert np.allclose(x, y, rtol=1e-12, atol=0, equal_nan=True), n


def close(a, b, tol):
    fa, fb = h5py.File(a, "r"), h5py.File(b, "r")
    bad = []

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            x, y = obj[()], fb["gaussian/sgd/" + name][()]
            if x.shape != y.shape or not np.allclose(x, y, rtol=0, atol=float(tol),
                                                      equal_nan=True):
                bad.append(name)
    fa["gaussian/sgd"].visititems(visit)
    assert not bad, "datasets differ: %s" % bad


PLANT = 4.0 * 2.0 ** -np.arange(8)


def _rotation():
    q, r = np.linalg.qr(np.random.default_rng(5).standard_normal((8, 8)))
    return q * np.sign(np.diag(r))


def empirical(path, beta):
    f = h5py.File(path, "r")
    cfg = _cfg(f)
    lam = f["gaussian/lambda"][()]
    d = lam.shape[0]
    n = int(cfg["gaussian.n_empirical"]) or 10 * d
    b, gam = float(beta), d / n
    top = (1 + b) * (1 + gam / b)
    se = top * np.sqrt(2.0 / n)
    print("top eigenvalue %.4f, BBP %.4f (SE %.3g); bulk [%.4f, %.4f], MP [%.4f, %.4f]" %
          (lam[0], top, se, lam[-1], lam[1], (1 - gam**0.5)**2, (1 + gam**0.5)**2))
    assert abs(lam[0] - top) < 5 * se, "top eigenvalue off BBP"
    m = 5 * n ** (-2.0 / 3)
    assert lam[1] < (1 + gam**0.5)**2 + m and lam[-1] > (1 - gam**0.5)**2 - m, "bulk off MP"


def planted(out):
    rng = np.random.default_rng(9)
    x = rng.standard_normal((40000, 8)) * np.sqrt(PLANT)
    with h5py.File(out, "w") as f:
        f["x"] = x @ _rotation().T


def planted_check(path):
    g = h5py.File(path, "r")["gaussian"]
    lam = g["lambda"][()]
    se = PLANT * np.sqrt(2.0 / 40000)
    print("empirical spectrum", np.round(lam, 4), "planted", PLANT)
    assert np.all(np.abs(lam - PLANT) < 5 * se), "empirical spectrum off the planted one"


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"layout": layout, "alpha": alpha, "flow": flow, "theory": theory, "close": close,
     "empirical": empirical, "planted": planted, "planted-check": planted_check}[cmd](*args)
