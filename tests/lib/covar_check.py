"""Checks of `mcmsim covar` output against analytic answers (run with /usr/bin/python3).

  covar_check.py bbp FILE              PCA overlap and top eigenvalue vs BBP, per alpha
  covar_check.py popcov FILE           sample covariance vs the MCM population covariance
  covar_check.py grids TOL F1 F2 ...   the same spectra on every grid (relative tolerance TOL)
  covar_check.py clone FILE            clone samples have the data's mean and covariance
  covar_check.py same_data F1 F2 TOL   two covariance files agree (user data vs MCM samples)

Every check prints what it compared and exits 1 with the reason when the physics is off.
"""
import math
import sys

import h5py
import numpy as np


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def attr(f, key):
    v = f["config"].attrs[key]
    return v.decode() if isinstance(v, bytes) else str(v)


def bbp(path):
    """Above the transition (alpha beta^2 > 1, well outside the finite-size window
    |alpha - 1/beta^2| ~ d^-1/3) (v1.u)^2 and lambda_max fluctuate by O(d^-1/2) around their
    limits (Paul 2007: Gaussian fluctuations) with an O(1/d) bias: the replica mean must lie within
    5 standard errors of the replicas plus 3/d. Below the transition the top eigenvector is
    delocalised ((v1.u)^2 = O(1/d) up to the window) and lambda_max sits at the Marchenko-Pastur
    edge up to Tracy-Widom fluctuations O(d^-2/3): checked as (v1.u)^2 < 0.1 and
    |lambda_max - edge| < 5 d^-2/3 edge + 5 SE."""
    f = h5py.File(path, "r")
    c = f["covar"]
    a, d = c["alpha"][()], c["d"][()]
    beta = float(attr(f, "mcm.beta_u"))
    checked = 0
    for dd in np.unique(d):
        for al in np.unique(a[d == dd]):
            m = (a == al) & (d == dd)
            o, lm = c["overlap2_u"][()][m], c["lambda_max"][()][m]
            R = m.sum()
            if R < 4:
                fail(f"d={dd} alpha={al}: {R} replicas, need >= 4 for a standard error")
            o_th, l_th, edge = c["bbp_overlap2"][()][m][0], c["bbp_lambda"][()][m][0], c["mp_edge"][()][m][0]
            se_o, se_l = o.std(ddof=1) / math.sqrt(R), lm.std(ddof=1) / math.sqrt(R)
            window = abs(al * beta * beta - 1) < 3 * dd ** (-1 / 3)
            if window:
                continue
            if al * beta * beta > 1:
                tol_o, tol_l = 5 * se_o + 3 / dd, 5 * se_l + 3 * l_th / dd
                if abs(o.mean() - o_th) > tol_o:
                    fail(f"d={dd} alpha={al}: (v1.u)^2 = {o.mean():.4f} vs BBP {o_th:.4f} (tol {tol_o:.4f})")
                if abs(lm.mean() - l_th) > tol_l:
                    fail(f"d={dd} alpha={al}: lambda_max = {lm.mean():.4f} vs BBP {l_th:.4f} (tol {tol_l:.4f})")
            else:
                if o.mean() > 0.1:
                    fail(f"d={dd} alpha={al}: below the transition (v1.u)^2 = {o.mean():.4f} >= 0.1")
                tol = 5 * dd ** (-2 / 3) * edge + 5 * se_l
                if abs(lm.mean() - edge) > tol:
                    fail(f"d={dd} alpha={al}: lambda_max = {lm.mean():.4f} vs edge {edge:.4f} (tol {tol:.4f})")
            print(f"d={dd} alpha={al:g}: (v1.u)^2 {o.mean():.4f} (BBP {o_th:.4f}), "
                  f"lambda_max {lm.mean():.4f} (BBP {l_th:.4f})")
            checked += 1
    if checked < 2:
        fail(f"only {checked} (d, alpha) points outside the transition window")


def population(f, k):
    """Cov(x) of the MCM (mcm-model.md §1.4-1.5, spike whitening): I + beta_u u u^T, plus the
    (u, v) coupling rho = sqrt(beta_u) b E[lambda nu] for nu = sign(lambda)."""
    g = f[f"covar/task_{k}"]
    _, u, v = g["spikes"][()]
    d = u.size
    bu, bv = float(attr(f, "mcm.beta_u")), float(attr(f, "mcm.beta_v"))
    C = np.eye(d) + bu * np.outer(u, u)
    if attr(f, "mcm.coupling") == "sign":
        rho = math.sqrt(bu) * math.sqrt(bv / (1 + bv)) * math.sqrt(2 / math.pi)
        C += rho * (np.outer(u, v) + np.outer(v, u))
    return C


def popcov(path):
    """Each entry of the sample covariance has standard error sqrt((C_ii C_jj + C_ij^2) / n)
    for Gaussian data; along v the latent is Rademacher (negative excess kurtosis), which only
    lowers the variance of products, so the Gaussian SE is conservative. With d(d+1)/2 entries
    a 5.5-SE bound has a false-alarm rate below 1e-4 at d = 30. The mean: 5 SE per entry."""
    f = h5py.File(path, "r")
    n = int(f["covar/n"][0])
    C = population(f, 0)
    S = f["covar/cov_0"][()]
    if not np.array_equal(S, S.T):
        fail("the written covariance is not exactly symmetric")
    se = np.sqrt((np.outer(np.diag(C), np.diag(C)) + C * C) / n)
    z = np.abs(S - C) / se
    iu = np.triu_indices_from(z)
    if z[iu].max() > 5.5:
        i, j = np.unravel_index(np.argmax(z), z.shape)
        fail(f"entry ({i},{j}) = {S[i, j]:.5f} vs population {C[i, j]:.5f}: {z[i, j]:.1f} SE")
    mu = f["covar/task_0/mean"][()]
    zm = np.abs(mu) / np.sqrt(np.diag(C) / n)
    if zm.max() > 5:
        fail(f"mean entry {np.argmax(zm)} is {zm.max():.1f} SE from 0")
    ev = f["covar/task_0/eigenvalues"][()]
    if abs(np.sum(ev) - np.trace(S)) > 1e-9 * np.trace(S):
        fail("eigenvalues do not sum to the trace of the written covariance")
    print(f"n={n}: max |S - C| = {z[iu].max():.2f} SE over {iu[0].size} entries; "
          f"mean max {zm.max():.2f} SE")


def grids(tol, paths):
    """The samples are the same on every grid; only the order of floating-point sums differs
    (block layout, PDSYRK and the eigensolver's reductions), so spectra agree to rounding:
    |delta lambda| <= tol lambda_max, and squared overlaps to tol."""
    ref = h5py.File(paths[0], "r")
    nt = ref["covar/d"].size
    for p in paths[1:]:
        f = h5py.File(p, "r")
        for k in range(nt):
            a, b = ref[f"covar/task_{k}/eigenvalues"][()], f[f"covar/task_{k}/eigenvalues"][()]
            err = np.max(np.abs(a - b)) / np.max(np.abs(a))
            if err > tol:
                fail(f"{p} task {k}: eigenvalues differ by {err:.2e} (relative) > {tol}")
            oa, ob = ref[f"covar/task_{k}/overlaps"][()] ** 2, f[f"covar/task_{k}/overlaps"][()] ** 2
            if np.max(np.abs(oa[:1] - ob[:1])) > tol * 1e3:
                fail(f"{p} task {k}: top-eigenvector overlaps differ")
        print(f"{p}: {nt} tasks agree with {paths[0]} (tol {tol})")


def clone(path):
    """Gaussian-clone samples: covariance within 5.5 SE of the data covariance entrywise (Gaussian
    SE exact here), mean within 5 SE; mean clone: isotropic with variance tr(Cov)/d."""
    f = h5py.File(path, "r")
    S = f["covar/cov_0"][()]
    mu = f["covar/task_0/mean"][()]
    for name, C in (("clone_gauss", S), ("clone_mean", np.trace(S) / S.shape[0] * np.eye(S.shape[0]))):
        X = f[f"covar/task_0/{name}"][()]
        n = X.shape[0]
        E = np.cov(X, rowvar=False)
        se = np.sqrt((np.outer(np.diag(C), np.diag(C)) + C * C) / n)
        z = np.abs(E - C) / se
        zm = np.abs(X.mean(0) - mu) / np.sqrt(np.diag(C) / n)
        if z.max() > 5.5 or zm.max() > 5:
            fail(f"{name}: covariance {z.max():.1f} SE, mean {zm.max():.1f} SE off")
        print(f"{name}: n={n}, covariance max {z.max():.2f} SE, mean max {zm.max():.2f} SE")


def same_data(p1, p2, tol):
    """Covariances of the same samples read from a file (p1) and drawn from the MCM (p2)."""
    a, b = h5py.File(p1, "r"), h5py.File(p2, "r")
    for name in ("eigenvalues", "mean", "overlaps"):
        x, y = a[f"covar/task_0/{name}"][()], b[f"covar/task_0/{name}"][()]
        err = np.max(np.abs(x - y)) / max(np.max(np.abs(y)), 1e-300)
        if err > tol:
            fail(f"{name}: user data and MCM differ by {err:.2e} > {tol}")
        if name == "eigenvalues" and tol < 1e-6 and err != 0 and err > 1e-12:
            fail(f"{name}: unexpected difference {err:.2e}")
    print(f"user-data covariance matches the MCM samples (tol {tol})")


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "bbp":
        bbp(sys.argv[2])
    elif cmd == "popcov":
        popcov(sys.argv[2])
    elif cmd == "grids":
        grids(float(sys.argv[2]), sys.argv[3:])
    elif cmd == "clone":
        clone(sys.argv[2])
    elif cmd == "same_data":
        same_data(sys.argv[2], sys.argv[3], float(sys.argv[4]))
    else:
        fail(f"unknown check {cmd}")
