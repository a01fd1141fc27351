#!/usr/bin/python3
"""Plots of the spectral bias of linear denoisers on Gaussian data: `mcmsim run` with
data.source = gaussian (/gaussian/sgd next to /gaussian/theory), or `mcmsim gaussian` (theory
only).

usage: /usr/bin/python3 postprocess/plot_gauss.py OUTPUT.h5 [-o PLOT.png] [--modes N]

Three panels:
  1. per-mode learning curves: the generated variance lambda~_k / lambda_k against tau for N
     modes spread over the spectrum, SGD as dots, the gradient flow of the same levels as
     lines (the continuum theory, /gaussian/theory, dashed);
  2. emergence time tau*_k against lambda_k on log-log axes, SGD dots and theory lines, with
     the fitted exponents alpha in the legend;
  3. KL(gen || data) and KL(data || gen) against tau, SGD and theory.
Prints the fitted exponents.
"""
import argparse
import sys

import h5py
import numpy as np


def open_complete(path):
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        sys.exit("%s: not a complete mcmsim file (cannot be read: %s)" % (path, e))
    if int(f.attrs.get("complete", 0)) != 1:
        sys.exit("%s: not a complete mcmsim file (complete != 1)" % path)
    if "gaussian" not in f:
        sys.exit("%s: no /gaussian group (not a Gaussian run or theory file)" % path)
    return f


def pick_modes(d, n):
    return sorted(set(np.unique(np.round(np.geomspace(1, d, n)).astype(int) - 1)))


def fit_line(lam, tau):
    ok = np.isfinite(tau) & (tau > 0)
    if ok.sum() < 2:
        return None
    slope, c = np.polyfit(np.log(lam[ok]), np.log(tau[ok]), 1)
    return -slope, c


def panel_curves(ax, g, modes, have_sgd):
    lam = g["lambda"][()]
    cols = __import__("matplotlib").pyplot.cm.viridis(np.linspace(0, 1, len(modes)))
    tau_t, var_t = g["tau"][()], g["theory/variance"][()]
    for c, k in zip(cols, modes):
        ax.plot(tau_t, var_t[:, k] / lam[k], "--", color=c, lw=0.8, alpha=0.6)
        if have_sgd:
            s = g["sgd"]
            t = s["tau"][()]
            ax.plot(t[1:], s["gf/variance"][1:, k] / lam[k], "-", color=c, lw=1.2)
            ax.plot(t[1:], s["variance"][1:, k] / lam[k], "o", color=c, ms=3,
                    label="k=%d, $\\lambda$=%.3g" % (k + 1, lam[k]))
        else:
            ax.plot([], [], "--", color=c, label="k=%d, $\\lambda$=%.3g" % (k + 1, lam[k]))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(r"training time $\tau$")
    ax.set_ylabel(r"$\tilde\lambda_k / \lambda_k$")
    ax.set_title("per-mode generated variance (dots SGD, lines gf, dashed theory)", fontsize=9)
    ax.legend(fontsize=6, loc="best")


def panel_emergence(ax, g, have_sgd):
    lam = g["lambda"][()]
    rows = []
    for name, path, style in (("theory", "theory", "-"), ("SGD", "sgd", "o"),
                              ("gf, same levels", "sgd/gf", ":")):
        if path != "theory" and not have_sgd:
            continue
        tau = g[path + "/emergence"][()]
        a = g[path + "/alpha"][0]
        ok = np.isfinite(tau)
        lab = r"%s: $\alpha$ = %.3f" % (name, a[0])
        if style == "o":
            ax.plot(lam[ok], tau[ok], "o", ms=3, label=lab)
        else:
            ax.plot(lam[ok], tau[ok], style, lw=1.5, label=lab)
        fl = fit_line(lam, tau)
        rows.append((name, a[0], a[1], a[2], int(a[3]), fl))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(r"mode variance $\lambda_k$")
    ax.set_ylabel(r"emergence time $\tau^*_k$")
    ax.set_title(r"$\tau^* \propto \lambda^{-\alpha}$", fontsize=9)
    ax.legend(fontsize=7)
    return rows


def panel_kl(ax, g, have_sgd):
    tau, kl = g["tau"][()], g["theory/kl"][()]
    ax.plot(tau, kl[:, 0], "-", color="C0", label="theory KL(gen||data)")
    ax.plot(tau, kl[:, 1], "-", color="C1", label="theory KL(data||gen)")
    if have_sgd:
        s = g["sgd"]
        t, k2 = s["tau"][()], s["kl"][()]
        ax.plot(t[1:], k2[1:, 0], "o", color="C0", ms=3, label="SGD KL(gen||data)")
        ax.plot(t[1:], k2[1:, 1], "s", color="C1", ms=3, label="SGD KL(data||gen)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(r"training time $\tau$")
    ax.set_ylabel("KL (nats)")
    ax.legend(fontsize=7)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file")
    ap.add_argument("-o", "--output", default=None)
    ap.add_argument("--modes", type=int, default=6)
    a = ap.parse_args(argv)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    f = open_complete(a.file)
    g = f["gaussian"]
    have_sgd = "sgd" in g
    modes = pick_modes(g["lambda"].shape[0], a.modes)
    fig, ax = plt.subplots(1, 3, figsize=(16, 4.8))
    panel_curves(ax[0], g, modes, have_sgd)
    rows = panel_emergence(ax[1], g, have_sgd)
    panel_kl(ax[2], g, have_sgd)
    fig.tight_layout()
    out = a.output or a.file.rsplit(".", 1)[0] + ".png"
    fig.savefig(out, dpi=110)
    for name, al, lo, hi, n, fl in rows:
        print("alpha %-16s %.4f [%.4f, %.4f] over %d modes" % (name, al, lo, hi, n))
    print("wrote %s" % out)


if __name__ == "__main__":
    main()
