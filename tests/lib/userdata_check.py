#!/usr/bin/python3
"""Assertions on `mcmsim run` outputs trained on a user data set (tests/cli/test_userdata.sh).

Usage: userdata_check.py CHECK OUT.h5 [ARGS...]; exit 1 with the reason when a check fails.

Standard errors of test losses. A test loss is L = mean_i |r_i|^2 / d over the evaluation set,
with residual r = x0 - D(x_t) = M x0 - s W xi - b for an affine denoiser D(x) = W x + b,
M = I - a W. For Gaussian r with covariance C and mean m, Var |r|^2 = 2 tr(C^2) + 4 m^T C m,
so SE(L) = sqrt((2 tr C^2 + 4 m^T C m) / n) / d. The trained W is not stored; at step 0 it is
exactly 0 (model.init2 = zero), and after training it is close to the optimal linear denoiser
W* = a S (a^2 S + s^2 I)^-1 of the training covariance S, whose C stands in for the trained
one's (the SE depends on W only through C, smoothly)."""
import math
import sys

import h5py
import numpy as np


def load(out):
    f = h5py.File(out, "r")
    s = {k: f["series/" + k][()] for k in f["series"]}
    return f, s


def last(row):
    return row[np.isfinite(row)][-1] if np.isfinite(row).any() else float("nan")


def schedule(f):
    cfg = f["config"].attrs
    sch = cfg["diffusion.schedule"]
    sch = sch.decode() if isinstance(sch, bytes) else sch
    assert sch == "ou", "the checks assume diffusion.schedule = ou, got %s" % sch
    t = float(cfg["diffusion.t"])
    a = math.exp(-t)
    return a, math.sqrt(1 - a * a)


def rows(f, data):
    g = f["data"].attrs
    x = h5py.File(data, "r")[g["dataset"].decode()][()].astype(np.float64)
    ntr, nte = int(g["n_train"]), int(g["n_test"])
    return x[:ntr], x[len(x) - nte:] if nte < len(x) else x[:ntr]


def se_loss(M, W, S, mean, s, n):
    """SE of the mean of |r|^2 / d over n samples, x0 ~ (mean, S), r = M x0 - s W xi - b."""
    d = len(S)
    C = M @ S @ M.T + s * s * W @ W.T
    var = 2 * np.trace(C @ C) + 4 * mean @ C @ mean
    return math.sqrt(var / n) / d


def se_cov(M, S, n_train):
    """SD of tr(M^T M (S_hat - S)) / d, the loss shift from estimating S with n_train rows."""
    A = M.T @ M @ S
    return math.sqrt(2 * np.trace(A @ A) / n_train) / len(S)


def clone_identity(out, data):
    """V19: an affine denoiser has the same test loss on held-out data and on the Gaussian clone
    of the training rows, within 5 SE. The SE has three parts: the data set's evaluation
    samples (only n_test distinct rows, so n = min(n_eval, n_test)), the clone's n_eval
    samples, and the clone's covariance being estimated from n_train rows while the test rows
    come from the population (se_cov). The mean clone (covariance sbar I) agrees at step 0,
    where D = 0 and every loss is E|x0|^2 / d, and differs by more than 5 SE once W has learned
    the covariance, here a variance 1 + beta_u along u against sbar."""
    f, s = load(out)
    a, sg = schedule(f)
    tr, te = rows(f, data)
    S, mu, d = np.cov(tr.T), tr.mean(0), tr.shape[1]
    n_eval = int(f["config"].attrs["observe.n_eval"])
    n_data, n_tr = min(n_eval, len(te)), len(tr)
    sbar = np.trace(S) / d
    Wopt = a * S @ np.linalg.inv(a * a * S + sg * sg * np.eye(d))
    bad = []
    for label, W, mean, j in (("step 0", np.zeros((d, d)), mu, 0), ("final", Wopt, 0 * mu, -1)):
        M = np.eye(d) - a * W
        e_data = se_loss(M, W, S, mean, sg, n_data)
        e_gauss = se_loss(M, W, S, mean, sg, n_eval)
        e_mean = se_loss(M, W, sbar * np.eye(d), mean, sg, n_eval)
        tol = 5 * math.sqrt(e_data ** 2 + e_gauss ** 2 + se_cov(M, S, n_tr) ** 2)
        tol_m = 5 * math.sqrt(e_gauss ** 2 + e_mean ** 2)
        ld, lg, lm = (s[k][0][j] if j == 0 else last(s[k][0])
                      for k in ("loss_data", "loss_gauss", "loss_mean"))
        print("%s: loss data %.5f, gauss %.5f (|diff| %.2e, 5 SE %.2e), mean %.5f (|gap| %.2e, "
              "5 SE %.2e)" % (label, ld, lg, abs(ld - lg), tol, lm, abs(lm - lg), tol_m))
        if not abs(ld - lg) <= tol:
            bad.append("%s: data %.5f vs Gaussian clone %.5f beyond %.2e" % (label, ld, lg, tol))
        if j == 0 and not abs(lm - lg) <= tol_m:
            bad.append("step 0: mean clone %.5f vs Gaussian clone %.5f beyond %.2e" % (lm, lg, tol_m))
        if j != 0:
            gap = np.trace(M.T @ M @ (sbar * np.eye(d) - S)) / d
            print("final: predicted mean-clone gap for W*: %.4f" % gap)
            if not abs(lm - lg) > tol_m:
                bad.append("final: mean clone %.5f not separated from Gaussian clone %.5f (5 SE "
                           "%.2e)" % (lm, lg, tol_m))
            # The trained W carries SGD noise around W* (a few % of excess loss): 25 % slack.
            if not abs((lm - lg) - gap) <= max(tol_m, 0.25 * abs(gap)):
                bad.append("final: mean-clone gap %.4f, W* predicts %.4f" % (lm - lg, gap))
    for k in ("excess",):
        if np.isfinite(s[k]).any():
            bad.append("%s should be NaN for a user data set" % k)
    if np.isfinite(f["summary/mmse"][()]).any():
        bad.append("/summary/mmse should be NaN for a user data set")
    assert not bad, "\n".join(bad)


def data_group(out, data, precision, method):
    """/data records the data set, the split and the clone; /data/mean and sbar match numpy."""
    f, _ = load(out)
    g = f["data"].attrs
    tr, te = rows(f, data)
    x = h5py.File(data, "r")[g["dataset"].decode()]
    want = {"n_rows": x.shape[0], "d": x.shape[1], "n_train": len(tr), "n_test": len(te)}
    for k, v in want.items():
        assert int(g[k]) == v, "/data %s = %s, expected %s" % (k, g[k], v)
    assert g["stored_precision"].decode() == precision, g["stored_precision"]
    assert g["clone_method"].decode() == method, "clone method %s" % g["clone_method"]
    mean = f["data/mean"]
    for k in ("description", "units"):
        assert k in mean.attrs, "/data/mean lacks %s" % k
    err = np.abs(mean[()] - tr.mean(0)).max()
    assert err < 1e-12, "/data/mean differs from the training rows' mean by %.2e" % err
    sbar = np.trace(np.cov(tr.T)) / tr.shape[1]
    assert abs(g["sbar"] - sbar) < 1e-12 * sbar, "sbar %.15g vs %.15g" % (g["sbar"], sbar)


def ranks(a, b):
    """Training never touches the clone: its series are bitwise equal at any rank count. The
    clone factor and mean come from ScaLAPACK on a grid of the ranks, so clone losses agree to
    rounding: relative 1e-10 (observed ~1e-15; a real difference would be ~1e-3 or more)."""
    fa, sa = load(a)
    fb, sb = load(b)
    for k in ("step", "loss_train", "loss_data", "err_u", "err_v", "max_overlap_u", "overlap"):
        if k not in sa:
            continue
        x, y = sa[k], sb[k]
        assert np.array_equal(x.view(np.uint8), y.view(np.uint8)), "%s differs" % k
    for k in ("loss_gauss", "loss_mean"):
        x, y = sa[k], sb[k]
        ok = np.isfinite(x)
        assert np.array_equal(ok, np.isfinite(y)), "%s: NaN pattern differs" % k
        rel = np.abs(x[ok] - y[ok]).max() / np.abs(x[ok]).max()
        assert rel < 1e-10, "%s differs by %.2e (relative)" % (k, rel)
    rel = np.abs(fa["data/mean"][()] - fb["data/mean"][()]).max()
    assert rel < 1e-12, "/data/mean differs by %.2e" % rel


def u_learned(out):
    """With the generating spikes given, the single neuron learns u as on MCM data: |m_u|
    starts at O(d^-1/2) and exceeds 0.8 within the run, for every replica."""
    f, s = load(out)
    d = int(f["data"].attrs["d"])
    bad = []
    for k in range(len(s["max_overlap_u"])):
        mu = s["max_overlap_u"][k]
        if not mu[0] < 5 / math.sqrt(d):
            bad.append("task %d: initial |m_u| %.3f" % (k, mu[0]))
        if not last(mu) > 0.8:
            bad.append("task %d: final |m_u| %.3f, expected > 0.8" % (k, last(mu)))
    assert not bad, "\n".join(bad)


def no_spikes(out):
    """data.spikes = none: overlaps and errors along u, v are NaN, norms and losses finite."""
    f, s = load(out)
    for k in ("max_overlap_u", "max_overlap_v", "max_overlap_m", "subspace", "err_u", "err_v",
              "overlap"):
        assert not np.isfinite(s[k]).any(), "%s should be NaN without spikes" % k
    for k in ("loss_data", "loss_gauss", "loss_mean", "norm"):
        assert np.isfinite(s[k][:, 0]).all(), "%s should be finite" % k


def close(a, b, rel):
    """Same run on a float32 copy of the data: losses agree to the float32 rounding of the rows
    (relative ~1e-7, carried through a contracting linear SGD)."""
    _, sa = load(a)
    _, sb = load(b)
    for k in ("loss_data", "loss_gauss", "loss_mean"):
        x, y = sa[k], sb[k]
        ok = np.isfinite(x)
        r = np.abs(x[ok] - y[ok]).max() / np.abs(x[ok]).max()
        assert r < float(rel), "%s differs by %.2e (relative), expected < %s" % (k, r, rel)
        assert r > 0, "%s identical: was the float32 copy used?" % k


if __name__ == "__main__":
    try:
        globals()[sys.argv[1]](*sys.argv[2:])
    except AssertionError as e:
        print("check failed: %s" % e)
        sys.exit(1)
