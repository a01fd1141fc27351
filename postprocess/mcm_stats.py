#!/usr/bin/python3
"""Plot and summarise the MCM projection statistics written by `mcmsim run`.

usage: /usr/bin/python3 postprocess/mcm_stats.py OUTPUT.h5 [-o PLOT.png] [--task K]

Histograms of u.x (Gaussian, variance 1 + beta_u), v.x (unit variance, bimodal for a
Rademacher latent) and a random direction r.x for x0 and x_t, with the exact densities, and
a table of the measured excess kurtosis next to its exact value.
"""
import argparse
import math
import sys

import h5py
import numpy as np

DIRS = "m,u,v,r"


def attr_text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def read(path):
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        sys.exit("%s: not a complete mcmsim file (cannot be read: %s)" % (path, e))
    with f:
        if int(f.attrs.get("complete", 0)) != 1:
            sys.exit("%s: not a complete mcmsim file (complete != 1)" % path)
        cfg = {k: attr_text(v) for k, v in f["config"].attrs.items()}
        data = {k: f["stats/" + k][()] for k in
                ("moments", "theory", "cov_uv", "hist", "hist_edges", "hist_outside")}
        data["d"], data["replica"] = f["tasks/d"][()], f["tasks/replica"][()]
        data["t"] = float(f["stats"].attrs["t"])
        data["alpha"] = float(f["stats"].attrs["alpha_t"])
        data["sigma"] = float(f["stats"].attrs["sigma_t"])
        data["n"] = int(f["stats"].attrs["n_samples"])
    return cfg, data


def gauss(x, mean, var):
    return np.exp(-(x - mean) ** 2 / (2 * var)) / math.sqrt(2 * math.pi * var)


def density_v(x, cfg, alpha, sigma):
    """Exact density of v.x_t for a Rademacher latent: a two-Gaussian mixture (§2.2)."""
    bv = float(cfg["mcm.beta_v"])
    a = alpha * math.sqrt(bv / (1 + bv))
    var = alpha ** 2 + sigma ** 2 - a ** 2
    if cfg["mcm.nu_law"] != "rademacher" or cfg["mcm.mixture"] != "none":
        return None
    return 0.5 * gauss(x, a, var) + 0.5 * gauss(x, -a, var)


def table(data):
    mom, th = data["moments"], data["theory"]
    lines = ["%6s %3s %5s %9s %9s %9s %9s %9s" % ("d", "rep", "time", "dir", "variance",
                                                    "exact", "ex.kurt", "exact")]
    for k in range(mom.shape[0]):
        for ti, tname in enumerate(("x0", "xt")):
            for j, dn in enumerate(DIRS.split(",")):
                m, t = mom[k, ti, j], th[k, ti, j]
                lines.append("%6d %3d %5s %9s %9.4f %9.4f %+9.4f %+9.4f  (+- %.4f)" % (
                    data["d"][k], data["replica"][k], tname, dn, m[1], t[1], m[3], t[2], m[6]))
    return "\n".join(lines)


def plot(cfg, data, task, out):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(2, 3, figsize=(13, 7.5), constrained_layout=True)
    for ti, (tname, al, sg) in enumerate((("x_0", 1.0, 0.0),
                                          ("x_t", data["alpha"], data["sigma"]))):
        for col, j in enumerate((1, 2, 3)):
            ax = axes[ti, col]
            edges = data["hist_edges"][task, ti, j]
            counts = data["hist"][task, ti, j].astype(float)
            width = np.diff(edges)
            dens = counts / (data["n"] * width)
            ax.stairs(dens, edges, fill=True, alpha=0.45, label="mcmsim")
            xs = np.linspace(edges[0], edges[-1], 400)
            var = data["theory"][task, ti, j, 1]
            if j == 2 and density_v(xs, cfg, al, sg) is not None:
                ax.plot(xs, density_v(xs, cfg, al, sg), "k-", lw=1.5, label="exact mixture")
            if np.isfinite(var):
                ax.plot(xs, gauss(xs, data["theory"][task, ti, j, 0], var), "r--", lw=1,
                        label="Gaussian, exact variance")
            m = data["moments"][task, ti, j]
            name = "uvr"[col]
            ax.set_title("$%s\\cdot %s$: var %.3f, excess kurtosis %+.3f$\\pm$%.3f"
                         % (name, tname, m[1], m[3], m[6]), fontsize=10)
            ax.set_xlabel("$%s\\cdot %s$" % (name, tname))
            ax.set_ylabel("density")
            ax.legend(fontsize=8)
    fig.suptitle("MCM d = %d, beta_u = %s, beta_v = %s, nu = %s, t = %g (%d samples)" % (
        data["d"][task], cfg["mcm.beta_u"], cfg["mcm.beta_v"], cfg["mcm.nu_law"], data["t"],
        data["n"]))
    fig.savefig(out, dpi=90)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file")
    ap.add_argument("-o", "--output", help="PNG to write")
    ap.add_argument("--task", type=int, default=0, help="task row to plot (default 0)")
    a = ap.parse_args(argv)
    cfg, data = read(a.file)
    if not 0 <= a.task < data["moments"].shape[0]:
        sys.exit("--task %d out of range (file has %d tasks)" % (a.task, data["moments"].shape[0]))
    print(table(data))
    if a.output:
        plot(cfg, data, a.task, a.output)
        print("wrote", a.output)


if __name__ == "__main__":
    main()
