"""`mcmpost stats FILE` (mcmsim stats): projection histograms against the exact densities."""
import math

import numpy as np

from mcmpost import h5file as H
from mcmpost import style

DIRS = ("m", "u", "v", "r")


def read(f):
    H.require(f, "stats/moments", "not written by 'mcmsim stats'")
    s = f["stats"]
    data = {k: s[k][()] for k in ("moments", "theory", "cov_uv", "hist", "hist_edges")}
    t = H.tasks(f)
    data.update(d=t["d"], replica=t["replica"])
    for k in ("t", "alpha_t", "sigma_t"):
        data[k] = float(s.attrs[k])
    data["n"] = int(s.attrs["n_samples"])
    return data


def table(f):
    data = read(f)
    mom, th = data["moments"], data["theory"]
    out = ["projection statistics (measured vs exact):",
           "%6s %3s %5s %4s %9s %9s %9s %9s %9s" % ("d", "rep", "time", "dir", "variance", "exact",
                                                   "ex.kurt", "exact", "SE")]
    for k in range(mom.shape[0]):
        for ti, tname in enumerate(("x0", "xt")):
            for j, dn in enumerate(DIRS):
                m, t = mom[k, ti, j], th[k, ti, j]
                out.append("%6d %3d %5s %4s %9.4f %9.4f %+9.4f %+9.4f %9.4f" % (
                    data["d"][k], data["replica"][k], tname, dn, m[1], t[1], m[3], t[2], m[6]))
    return "\n".join(out)


def gauss(x, mean, var):
    return np.exp(-(x - mean) ** 2 / (2 * var)) / math.sqrt(2 * math.pi * var)


def density_v(f, x, alpha, sigma):
    """Exact density of v.x_t for a Rademacher latent: a two-Gaussian mixture (mcm-model §2.2)."""
    if H.config(f, "mcm.nu_law") != "rademacher" or H.config(f, "mcm.mixture") != "none":
        return None
    bv = float(H.config(f, "mcm.beta_v").split(",")[0])
    a = alpha * math.sqrt(bv / (1 + bv))
    var = alpha ** 2 + sigma ** 2 - a ** 2
    return 0.5 * gauss(x, a, var) + 0.5 * gauss(x, -a, var)


def plot(f, out, task=0, title=None):
    data = read(f)
    if not 0 <= task < data["moments"].shape[0]:
        raise H.PostError("--task %d out of range (%s has %d tasks)"
                          % (task, f.filename, data["moments"].shape[0]))
    fig, axes = style.figure(3, 2, width=4.3, height=3.5)
    times = (("x_0", 1.0, 0.0), ("x_t", data["alpha_t"], data["sigma_t"]))
    for ti, (tname, al, sg) in enumerate(times):
        for col, j in enumerate((1, 2, 3)):
            ax = axes[ti, col]
            edges = data["hist_edges"][task, ti, j]
            dens = data["hist"][task, ti, j].astype(float) / (data["n"] * np.diff(edges))
            ax.stairs(dens, edges, fill=True, alpha=0.45, label="mcmsim")
            xs = np.linspace(edges[0], edges[-1], 400)
            th = data["theory"][task, ti, j]
            dv = density_v(f, xs, al, sg) if j == 2 else None
            if dv is not None:
                ax.plot(xs, dv, "k-", lw=1.5, label="exact mixture")
            if np.isfinite(th[1]):
                ax.plot(xs, gauss(xs, th[0], th[1]), "r--", lw=1, label="Gaussian, exact variance")
            m = data["moments"][task, ti, j]
            s = DIRS[j]
            ax.set_title("%s.%s: var %.3f, excess kurtosis %+.3f +- %.3f"
                         % (s, tname, m[1], m[3], m[6]))
            ax.set_xlabel("%s . %s" % (s, tname))
            ax.set_ylabel("density")
            ax.legend()
    fig.suptitle(title or "MCM d = %d, beta_u = %s, beta_v = %s, nu = %s, t = %g (%d samples)" % (
        data["d"][task], H.config(f, "mcm.beta_u"), H.config(f, "mcm.beta_v"),
        H.config(f, "mcm.nu_law"), data["t"], data["n"]))
    return style.save(fig, out)
