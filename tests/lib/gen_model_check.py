#!/usr/bin/python3
"""Checks of `mcmsim generate` with score = model (the trained model of a run's snapshots).
  gen_model_check.py zero FILE [exact|flow|offgrid]
      rows at step 0 of a model with zero output layer (D = alpha x): the variance along u, v, r
      is the DDIM product prod_i (alpha_i alpha_{i+1} + sigma_i sigma_{i+1})^2 over the levels
      (exact), excess kurtosis 0, both within 5 SE. Deliberately wrong references: flow (the
      continuous PF-ODE, which keeps x constant: variance 1), offgrid (the product on the Karras
      grid of n_steps + 1 steps, an off-by-one in the schedule).
  gen_model_check.py linear FILE [SHIFT]
      linear nets on Gaussian data: at every snapshot the mean over replicas of the generated
      mode variances equals /generate/mode_var[..., 2] (the theory's weights at the same tau on
      the same levels and sampler; one layer: discrete GD with the run's eta, which the mean of
      SGD on a linear W follows exactly) within 5 standard errors of that mean, the SE taken from
      the spread over replicas (the sampling noise and the SGD noise of W; its bias from the
      nonlinear map W -> variance is of the same order) plus the sampling SE as a floor. SHIFT = 1
      compares with the reference of the next snapshot (a wrong clock), which must fail.
  gen_model_check.py converged FILE TOL
      the last snapshot's reference within TOL (relative) of the continuous closed form
      sigma_T^2 (lambda + sigma_0^2) / (lambda + sigma_T^2): the data covariance up to the levels.
  gen_model_check.py steps FILE
      /generate/step ascends within each run task, starts at 0, and the rows are finite.
Exit 1 with the reason when a check fails."""
import sys

import h5py
import numpy as np

NSE = 5.0
DIRS = (1, 2, 3)  # u, v, r


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def karras(n, smax, smin, rho):
    i = np.arange(n + 1)
    a, b = smax ** (1 / rho), smin ** (1 / rho)
    s = (a + i / n * (b - a)) ** rho
    s[0], s[-1] = smax, smin
    return s


def ddim_factor(lev):
    """D = alpha x: a DDIM step x' = a1 D + s1 (x - a0 D) / s0 multiplies x by a0 a1 + s0 s1
    (alpha^2 + sigma^2 = 1), i.e. cos of the angle step in theta = arctan(level)."""
    th = np.arctan(lev)
    return np.prod(np.cos(np.diff(th))) ** 2


def zero(path, variant="exact"):
    with h5py.File(path, "r") as f:
        g = f["/generate"]
        m, step, lev = g["moments"][...], g["step"][...], g["levels"][...]
        if g.attrs["sampler"] not in (b"ddim", "ddim"):
            fail("the closed form is DDIM's; this file used %s" % g.attrs["sampler"])
        n, rho = int(g.attrs["n_steps"]), float(g.attrs["rho"])
    want = {"exact": ddim_factor(lev), "flow": 1.0,
            "offgrid": ddim_factor(karras(n + 1, lev[0], lev[-1], rho))}[variant]
    rows = np.flatnonzero(step == 0)
    if rows.size == 0:
        fail("no row at step 0")
    worst = 0.0
    for k in rows:
        for j in DIRS:
            zv = abs(m[k, j, 1] - want) / m[k, j, 5]
            zk = abs(m[k, j, 3]) / m[k, j, 6]
            worst = max(worst, zv, zk)
            print("row %d dir %d: var %.4f +- %.4f (expected %.4f), kurt %.4f +- %.4f"
                  % (k, j, m[k, j, 1], m[k, j, 5], want, m[k, j, 3], m[k, j, 6]))
    print("worst |z| %.2f over %d rows (reference %s = %.5f)" % (worst, rows.size, variant, want))
    if worst > NSE:
        fail("step-0 rows off the %s reference by %.1f SE" % (variant, worst))


def linear(path, shift="0"):
    shift = int(shift)
    with h5py.File(path, "r") as f:
        mv, step = f["/generate/mode_var"][...], f["/generate/step"][...]
        rep = f["/tasks/replica"][...]
    steps = np.unique(step)
    worst, where = 0.0, None
    for i, s in enumerate(steps):
        if i + shift >= steps.size:
            break
        rows = np.flatnonzero(step == s)
        ref = mv[np.flatnonzero(step == steps[i + shift])[0], :, 2]
        gen = mv[rows, :, 0]
        if rows.size < 3 or np.unique(rep[rows]).size != rows.size:
            fail("step %g: need one row per replica, at least 3" % s)
        # the spread over replicas holds the sampling and the SGD noise; the sampling SE, known
        # accurately, is added as a floor so that an accidentally tight spread of few replicas
        # does not shrink the tolerance below the sampling noise alone (conservative)
        se = np.sqrt((gen.var(axis=0, ddof=1) + (mv[rows, :, 1] ** 2).mean(axis=0)) / rows.size)
        z = np.abs(gen.mean(axis=0) - ref) / se
        print("step %6g: max |mean - theory| / SE %.2f (relative %.3g)"
              % (s, z.max(), np.max(np.abs(gen.mean(axis=0) / ref - 1))))
        if z.max() > worst:
            worst, where = z.max(), (s, int(z.argmax()))
    print("worst %.2f SE at step %s mode %s (shift %d)" % (worst, where[0], where[1], shift))
    if worst > NSE:
        fail("generated mode variances off the theory by %.1f SE at step %s, mode %s"
             % (worst, where[0], where[1]))


def converged(path, tol):
    with h5py.File(path, "r") as f:
        mv, step, lev = f["/generate/mode_var"][...], f["/generate/step"][...], f["/generate/levels"][...]
    k = int(np.argmax(step))
    lam, ref = mv[k, :, 3], mv[k, :, 2]
    s0, sT = lev[-1], lev[0]
    closed = sT ** 2 * (lam + s0 ** 2) / (lam + sT ** 2)
    rel = np.max(np.abs(ref / closed - 1))
    gen = mv[step == step[k], :, 0].mean(axis=0)
    print("step %g: theory on the levels vs continuous closed form: worst relative %.4f "
          "(tolerance %s); generated / closed form %s" % (step[k], rel, tol,
                                                          np.round(gen / closed, 3)))
    if not rel <= float(tol):
        fail("the converged reference is %.3g from the data covariance closed form" % rel)


def steps(path):
    with h5py.File(path, "r") as f:
        step, ids = f["/generate/step"][...], f["/tasks/id"][...]
        m = f["/generate/moments"][...]
    if not np.all(np.isfinite(m[:, :, :4])):
        fail("non-finite generated moments")
    for i in np.unique(ids):
        s = step[ids == i]
        if s[0] != 0 or np.any(np.diff(s) <= 0):
            fail("task id %d: steps %s" % (i, s))
    print("%d rows, %d run tasks, steps ascend from 0" % (step.size, np.unique(ids).size))


if __name__ == "__main__":
    globals()[sys.argv[1]](*sys.argv[2:])
