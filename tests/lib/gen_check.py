#!/usr/bin/python3
"""Checks of `mcmsim generate` output against analytic answers; tolerances 5 SE of the sample.
  gen_check.py modes FILE [data]    mode variances = the file's closed form (data: = lambda)
  gen_check.py modes_vs FILE OTHER  FILE's generated mode variances = OTHER's closed form
  gen_check.py mcm FILE exact|gauss var(u) = 1 + beta_u; kurt(v) exact (exact) or 0 (gauss)
  gen_check.py curve EXACT FILE...  kurt(v) against sigma_skip: ordered, between the ends
  gen_check.py kick FILE TOL DIRS   kick responses = Gaussian transfer sqrt((l + s0^2)/(l + s^2)) (VP for ddim)
  gen_check.py kick_theory FILE TOL DIRS [file|edm]  kick responses = /generate/kick_theory (edm:
                                    without its VP factor, wrong for ddim), which equals the formula
  gen_check.py commit FILE TOL DIRS commitment levels of the x0 estimate = sqrt(lambda + 2 s0^2)
  gen_check.py commit_order P F...  their error falls at order P (within 0.2) as n_steps doubles
  gen_check.py same A B             every /generate dataset bitwise equal
  gen_check.py traj FILE            trajectories end at the written samples, levels descend
  gen_check.py traj_gauss FILE TOL  Gaussian data: the state along e_0, e_1 follows §4.1
Exit 1 with the reason when a check fails."""
import sys

import h5py
import numpy as np

NSE = 5.0
U, V = 1, 2  # direction indices (m, u, v, r)


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def modes(path, against="flow"):
    with h5py.File(path, "r") as f:
        mv = f["/generate/mode_var"][...]
    ref = mv[..., 3] if against == "data" else mv[..., 2]
    z = np.abs(mv[..., 0] - ref) / mv[..., 1]
    print("max |generated - %s| / SE over %d modes: %.2f" % (against, z.size, z.max()))
    if z.max() > NSE:
        fail("mode %s off by %.1f SE (generated %s, expected %s)" % (
            np.unravel_index(z.argmax(), z.shape), z.max(), mv[..., 0].ravel()[z.argmax()],
            ref.ravel()[z.argmax()]))


def modes_vs(path, other):
    with h5py.File(path, "r") as f, h5py.File(other, "r") as g:
        mv, ref = f["/generate/mode_var"][...], g["/generate/mode_var"][..., 2]
    z = np.abs(mv[..., 0] - ref) / mv[..., 1]
    print("max |generated - other's closed form| / SE: %.2f" % z.max())
    if z.max() > NSE:
        fail("mode %s off by %.1f SE" % (np.unravel_index(z.argmax(), z.shape), z.max()))


def mcm(path, kind):
    with h5py.File(path, "r") as f:
        m, t = f["/generate/moments"][...], f["/generate/theory"][...]
    for k in range(m.shape[0]):
        vu, vu_se, vu_ex = m[k, U, 1], m[k, U, 5], t[k, U, 1]
        ku, ku_se, ku_ex = m[k, V, 3], m[k, V, 6], t[k, V, 2]
        want = ku_ex if kind == "exact" else 0.0
        other = 0.0 if kind == "exact" else ku_ex
        print("task %d: var(u) %.4f +- %.4f (data %.4f); kurt(v) %.4f +- %.4f (expected %.4f)"
              % (k, vu, vu_se, vu_ex, ku, ku_se, want))
        if abs(vu - vu_ex) > NSE * vu_se:
            fail("task %d: var(u) %.4f is %.1f SE from %.4f" % (k, vu, abs(vu - vu_ex) / vu_se, vu_ex))
        if abs(ku - want) > NSE * ku_se:
            fail("task %d: kurt(v) %.4f is %.1f SE from %.4f" % (k, ku, abs(ku - want) / ku_se, want))
        if abs(ku - other) <= NSE * ku_se:  # the check must tell the two scores apart
            fail("task %d: kurt(v) %.4f cannot be told from %.4f" % (k, ku, other))


def curve(exact_path, *paths):
    """Files in decreasing sigma_skip, all from the same starts: the kurtosis along v moves from
    the exact score's value towards the Gaussian 0 as more of the trajectory is Gaussian."""
    rows = []
    for p in (exact_path,) + paths:
        with h5py.File(p, "r") as f:
            g = f["/generate"]
            rows.append((g.attrs["sigma_skip"], g["moments"][0, V, 3], g["moments"][0, V, 6],
                         g["nfe"][0, 0], g["theory"][0, V, 2]))
    print("sigma_skip  kurt(v)   SE      NFE")
    for s, k, se, n, _ in rows:
        print("%9.4g  %8.4f  %6.4f  %4d" % (s, k, se, n))
    ku = np.array([r[1] for r in rows]); se = np.array([r[2] for r in rows])
    exact = rows[0][4]
    if abs(ku[0] - exact) > NSE * se[0]:
        fail("no teleportation: kurt(v) %.4f is not the exact %.4f" % (ku[0], exact))
    if abs(ku[-1]) > NSE * se[-1]:
        fail("full teleportation: kurt(v) %.4f is not 0" % ku[-1])
    # Common random numbers: neighbours differ smoothly, so the order is asserted up to 1 SE.
    for i in range(1, len(ku)):
        if ku[i] < ku[i - 1] - se[i]:
            fail("kurt(v) not monotone: %.4f at sigma_skip %g after %.4f at %g"
                 % (ku[i], rows[i][0], ku[i - 1], rows[i - 1][0]))
        if not (exact - NSE * se[i] <= ku[i] <= NSE * se[i]):
            fail("kurt(v) %.4f at sigma_skip %g outside [exact, 0]" % (ku[i], rows[i][0]))
    if not ku[-1] - ku[0] > NSE * np.hypot(se[0], se[-1]):
        fail("the curve does not separate its ends")


def traj(path):
    with h5py.File(path, "r") as f:
        t, lev = f["/generate/trajectory"][...], f["/generate/levels"][...]
        dirs = f["/generate/moments"].shape[1]
    if not (np.all(np.diff(lev) < 0) and t.shape[2] == lev.size and t.shape[4] == dirs):
        fail("levels or shapes wrong: %s %s" % (lev, t.shape))
    if not np.all(np.isfinite(t)):
        fail("non-finite trajectory values")
    # At sigma_min the x0 estimate is the state itself (D = x + sigma^2 score, sigma = 0.002).
    gap = np.abs(t[:, :, -1, 1, :] - t[:, :, -1, 0, :]).max()
    if gap > 1e-3:
        fail("D(x; sigma_min) differs from x by %g" % gap)
    print("trajectories: %s, %d levels from %g to %g" % (t.shape, lev.size, lev[0], lev[-1]))


def traj_gauss(path, tol):
    """x_k(sigma) = x_k(sigma_T) sqrt((lambda_k + sigma^2) / (lambda_k + sigma_T^2)) and the x0
    estimate lambda_k / (lambda_k + sigma^2) x_k (gaussian-theory.md §4.1, §1.3) along the axis
    directions 0 and 1 (EDM, zero mean)."""
    with h5py.File(path, "r") as f:
        t, lev = f["/generate/trajectory"][...], f["/generate/levels"][...]
        lam = f["/generate/mode_var"][0, :2, 3]
    worst = 0.0
    for k in range(2):
        x = t[:, :, :, 0, k]
        want = x[:, :, :1] * np.sqrt((lam[k] + lev**2) / (lam[k] + lev[0]**2))
        worst = max(worst, np.max(np.abs(x - want) / (np.abs(want) + 1e-300)))
        dk = t[:, :, :, 1, k]
        worst = max(worst, np.max(np.abs(dk - lam[k] / (lam[k] + lev**2) * x) / (np.abs(dk) + 1e-300)))
    print("trajectory vs closed form: worst relative error %.3g (tolerance %s)" % (worst, tol))
    if not worst <= float(tol):
        fail("trajectory off the closed form by %.3g" % worst)


def kick(path, tol, dirs):
    """§4.3: for a Gaussian score the final sample responds to a kick at level sigma along an
    eigendirection of variance lambda by sqrt((lambda + sigma_0^2) / (lambda + sigma^2))."""
    with h5py.File(path, "r") as f:
        k, lev, th = f["/generate/kick"][...], f["/generate/levels"][...], f["/generate/theory"][...]
        vp = f["/generate"].attrs["sampler"] in (b"ddim", "ddim")
    # DDIM: x = alpha x~ on the VP process, levels s = sigma_t / alpha_t, alpha = 1 / sqrt(1 + s^2).
    scale = np.sqrt((1 + lev ** 2) / (1 + lev[-1] ** 2)) if vp else 1.0
    worst = 0.0
    for j in (int(x) for x in dirs.split(",")):
        for t in range(k.shape[0]):
            lam = th[t, j, 1]
            want = scale * np.sqrt((lam + lev[-1] ** 2) / (lam + lev ** 2))
            worst = max(worst, np.max(np.abs(k[t, :, :, j] - want)))
    print("kick response vs Gaussian transfer along %s: worst %.3g (tolerance %s)" % (dirs, worst, tol))
    if not worst <= float(tol):
        fail("kick response off the Gaussian transfer by %.3g" % worst)


def kick_theory(path, tol, dirs, variant="file"):
    """/generate/kick_theory is the transfer of `kick` (to rounding), and the measured kicks
    follow it; variant edm drops its VP factor sqrt((1 + s^2) / (1 + s0^2)) (a deliberately
    wrong reference for ddim)."""
    with h5py.File(path, "r") as f:
        k, kt = f["/generate/kick"][...], f["/generate/kick_theory"][...]
        lev, th = f["/generate/levels"][...], f["/generate/theory"][...]
        vp = f["/generate"].attrs["sampler"] in (b"ddim", "ddim")
    scale = np.sqrt((1 + lev ** 2) / (1 + lev[-1] ** 2)) if vp else np.ones_like(lev)
    js = [int(x) for x in dirs.split(",")]
    for j in js:
        for t in range(k.shape[0]):
            lam = th[t, j, 1]
            want = scale * np.sqrt((lam + lev[-1] ** 2) / (lam + lev ** 2))
            if np.max(np.abs(kt[t, :, j] - want)) > 1e-12:
                fail("kick_theory of task %d direction %d is not the transfer" % (t, j))
    ref = kt if variant == "file" else kt / scale[None, :, None]
    worst = np.max(np.abs(k[:, :, :, js] - ref[:, None, :, js]))
    print("kick response vs /generate/kick_theory (%s) along %s: worst %.3g (tolerance %s)"
          % (variant, dirs, worst, tol))
    if not worst <= float(tol):
        fail("kick response off /generate/kick_theory (%s) by %.3g" % (variant, worst))


def commit_error(path, dirs):
    """Worst relative distance of /generate/commit from /generate/commit_theory along DIRS."""
    with h5py.File(path, "r") as f:
        c, th = f["/generate/commit"][...], f["/generate/commit_theory"][...]
        n = int(f["/generate"].attrs["n_steps"])
    js = [int(x) for x in dirs.split(",")]
    return n, np.max(np.abs(c[:, :, js] / th[:, None, js] - 1.0))


def commit(path, tol, dirs):
    """§4.3: along an eigendirection of a Gaussian law the x0 estimate relative to its final
    value is sqrt((lambda + s0^2) / (lambda + s^2)), which reaches 1/sqrt(2) at
    s = sqrt(lambda + 2 s0^2) in every sample."""
    n, worst = commit_error(path, dirs)
    print("commitment level vs sqrt(lambda + 2 s0^2) along %s (%d steps): worst relative %.3g "
          "(tolerance %s)" % (dirs, n, worst, tol))
    if not worst <= float(tol):
        fail("commitment levels off the closed form by %.3g" % worst)


def commit_order(order, *paths):
    """Files with n_steps doubling: the commitment error (directions 0, 1, 2) falls as
    n_steps^-order, measured order within 0.2."""
    rows = [commit_error(p, "0,1,2") for p in paths]
    for (n0, e0), (n1, e1) in zip(rows, rows[1:]):
        p = np.log(e0 / e1) / np.log(n1 / n0)
        print("n_steps %d -> %d: error %.3g -> %.3g, order %.2f" % (n0, n1, e0, e1, p))
        if abs(p - float(order)) > 0.2:
            fail("measured order %.2f, expected %s" % (p, order))


def same(a, b):
    with h5py.File(a, "r") as fa, h5py.File(b, "r") as fb:
        names = []
        fa["/generate"].visit(lambda n: names.append(n))
        for n in names:
            x = fa["/generate"][n]
            if isinstance(x, h5py.Dataset):
                y = fb["/generate"][n][...]
                if x.shape != y.shape or x[...].tobytes() != y.tobytes():
                    fail("/generate/%s differs" % n)
        print("%d objects bitwise equal" % len(names))


if __name__ == "__main__":
    globals()[sys.argv[1]](*sys.argv[2:])
