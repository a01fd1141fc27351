#!/usr/bin/python3
"""Plots of `mcmsim run` and `mcmsim covar` output.

usage: /usr/bin/python3 postprocess/plot.py overlaps OUTPUT.h5 [-o PLOT.png]
       /usr/bin/python3 postprocess/plot.py scaling OUTPUT.h5 [-o PLOT.png]
       /usr/bin/python3 postprocess/plot.py pca COVAR.h5 [-o PLOT.png]

overlaps: per dimension, the median and the 10-90 % band over replicas of max |m_u| (and
          max |m_v|) against tau = steps / d, with the d -> infinity overlap ODE of /theory
          overlaid; prints the final overlaps and losses of every task.
scaling:  log-log n*(d) (Kaplan-Meier median with its bootstrap interval) per watched overlap
          and threshold, the fitted line with its exponent and interval, and the theory slope;
          prints the table of /scaling.
pca:      (covar output) (v1.u)^2 and the top eigenvalue against alpha = n / d per dimension
          (mean and standard error over replicas) with the BBP predictions and the
          Marchenko-Pastur edge; prints the table.
"""
import argparse
import warnings
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
    return f


def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def last_finite(a):
    return np.array([row[np.isfinite(row)][-1] if np.isfinite(row).any() else np.nan for row in a])


def task_table(f):
    s = f["series"]
    d, rep, combo = f["tasks/d"][()], f["tasks/replica"][()], f["tasks/combo"][()]
    cols = [last_finite(s[k][()]) for k in ("tau", "max_overlap_u", "max_overlap_v", "loss_data")]
    out = ["%6s %3s %5s %8s %8s %8s %10s" % ("d", "rep", "combo", "tau", "|m_u|", "|m_v|", "loss")]
    for k in range(len(d)):
        out.append("%6d %3d %5d %8.1f %8.4f %8.4f %10.5f" % ((d[k], rep[k], combo[k]) +
                                                          tuple(c[k] for c in cols)))
    return "\n".join(out)


def plot_overlaps(f, out):
    warnings.filterwarnings("ignore", category=RuntimeWarning)  # early-stopped tasks: NaN tails
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    s = f["series"]
    tau, mu, mv = s["tau"][()], s["max_overlap_u"][()], s["max_overlap_v"][()]
    d, combo = f["tasks/d"][()], f["tasks/combo"][()]
    dims = sorted(set(d))
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8), constrained_layout=True)
    cmap = plt.get_cmap("viridis")
    ode_tau = f["theory/ode_tau"][()] if "theory/ode_tau" in f else None
    ode_m = f["theory/ode_m"][()] if "theory/ode_m" in f else None
    config_dims = [int(x) for x in text(f["config"].attrs["mcm.d"]).split(",")]
    for ax, series, name, spike in ((axes[0], mu, "u", 0), (axes[1], mv, "v", 1)):
        for i, dd in enumerate(dims):
            sel = (d == dd) & (combo == 0)
            c = cmap(i / max(1, len(dims) - 1))
            t = np.nanmedian(tau[sel], axis=0)
            ok = np.isfinite(t)
            q = np.nanpercentile(series[sel], [10, 50, 90], axis=0)
            ax.plot(t[ok], q[1][ok], "-", color=c, label="d = %d (median, 10-90 %%)" % dd)
            ax.fill_between(t[ok], q[0][ok], q[2][ok], color=c, alpha=0.2)
            if ode_m is not None:
                j = config_dims.index(dd)  # /theory is indexed in the order of mcm.d
                ax.plot(ode_tau[0, j], np.abs(ode_m[0, j, spike]), ":", color=c, lw=1.5)
        ax.set_xscale("log")
        ax.set_xlabel("tau = steps / d")
        ax.set_ylabel("max |m_%s| (dotted: overlap ODE)" % name)
        ax.set_ylim(0, 1)
        ax.legend(fontsize=8)
    fig.savefig(out, dpi=90)


def scaling_table(f):
    sc = f["scaling"]
    dims, q, fit = sc["d"][()], sc["nstar"][()], sc["fit"][()]
    names = text(sc.attrs["watched"]).split(",")
    thr = text(sc.attrs["thresholds"]).split(",")
    th = f["theory/exponent"][()] if "theory/exponent" in f else None
    out = []
    for g in range(q.shape[0]):
        for w, name in enumerate(names):
            for k, tv in enumerate(thr):
                pred = th[g, w] if th is not None else np.nan
                out.append("combo %d, |m_%s| >= %s: exponent %.3f [%.3f, %.3f] (theory %s)" % (
                    g, name, tv.strip(), fit[g, w, k, 0], fit[g, w, k, 2], fit[g, w, k, 3],
                    "%.0f" % pred if np.isfinite(pred) else "-"))
                for i, dd in enumerate(dims):
                    r = q[g, i, w, k]
                    out.append("    d = %5d  crossed %5.2f  median n* %11.4g  [%.4g, %.4g]" % (
                        dd, r[0], r[1], r[4], r[5]))
    return "\n".join(out)


def plot_scaling(f, out):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    sc = f["scaling"]
    dims, q, fit = sc["d"][()], sc["nstar"][()], sc["fit"][()]
    names = text(sc.attrs["watched"]).split(",")
    thr = text(sc.attrs["thresholds"]).split(",")
    p = float(sc.attrs["fit_log_power"])
    th = f["theory/exponent"][()] if "theory/exponent" in f else None
    fig, ax = plt.subplots(figsize=(7, 5), constrained_layout=True)
    x = np.linspace(np.log(dims.min()), np.log(dims.max()), 50)
    for g in range(q.shape[0]):
        for w, name in enumerate(names):
            for k, tv in enumerate(thr):
                med, lo, hi = q[g, :, w, k, 1], q[g, :, w, k, 4], q[g, :, w, k, 5]
                err = [np.where(np.isfinite(lo), med - lo, 0), np.where(np.isfinite(hi), hi - med, 0)]
                lab = "|m_%s| >= %s" % (name, tv.strip()) + (" (combo %d)" % g if q.shape[0] > 1 else "")
                h = ax.errorbar(dims, med, yerr=err, fmt="o", capsize=3, label=lab)
                k_fit, k_lo, k_hi, logc = fit[g, w, k, 0], fit[g, w, k, 2], fit[g, w, k, 3], fit[g, w, k, 4]
                if np.isfinite(k_fit):
                    y = np.exp(logc + k_fit * x + (p * np.log(x) if p else 0))
                    ax.plot(np.exp(x), y, "-", color=h[0].get_color(),
                            label="fit k = %.2f [%.2f, %.2f]" % (k_fit, k_lo, k_hi))
                if th is not None and np.isfinite(th[g, w]) and np.isfinite(med).any():
                    i0 = np.where(np.isfinite(med))[0][0]
                    y = med[i0] * np.exp(th[g, w] * (x - np.log(dims[i0])))
                    ax.plot(np.exp(x), y, "--", color=h[0].get_color(), alpha=0.6,
                            label="theory slope %.0f" % th[g, w])
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("d")
    ax.set_ylabel("n* (samples to the threshold; median, %g%% CI)" % (100 * float(sc.attrs["level"])))
    ax.legend(fontsize=8)
    fig.savefig(out, dpi=90)


def pca_points(f):
    c = f["covar"]
    a, d = c["alpha"][()], c["d"][()]
    cols = ("overlap2_u", "lambda_max", "bbp_overlap2", "bbp_lambda", "mp_edge")
    v = {k: c[k][()] for k in cols}
    rows = []
    for dd in sorted(set(d)):
        for al in sorted(set(a[d == dd])):
            m = (d == dd) & (a == al)
            r = m.sum()
            se = lambda x: x[m].std(ddof=1) / np.sqrt(r) if r > 1 else np.nan
            rows.append((dd, al, r, v["overlap2_u"][m].mean(), se(v["overlap2_u"]),
                         v["bbp_overlap2"][m][0], v["lambda_max"][m].mean(), se(v["lambda_max"]),
                         v["bbp_lambda"][m][0], v["mp_edge"][m][0]))
    return np.array(rows, dtype=float)


def pca_table(f):
    out = ["%6s %8s %4s %16s %8s %16s %8s %8s" % ("d", "alpha", "reps", "(v1.u)^2 +- SE",
                                                   "BBP", "lambda_max +- SE", "BBP", "MP edge")]
    for r in pca_points(f):
        out.append("%6d %8.3g %4d %8.4f +- %.4f %8.4f %8.4f +- %.4f %8.4f %8.4f" % tuple(r))
    return "\n".join(out)


def plot_pca(f, out):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    p = pca_points(f)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8), constrained_layout=True)
    for dd in sorted(set(p[:, 0])):
        q = p[p[:, 0] == dd]
        axes[0].errorbar(q[:, 1], q[:, 3], yerr=q[:, 4], marker="o", ls="", label="d = %d" % dd)
        axes[1].errorbar(q[:, 1], q[:, 6], yerr=q[:, 7], marker="o", ls="", label="d = %d" % dd)
    q = p[np.argsort(p[:, 1])]
    axes[0].plot(q[:, 1], q[:, 5], "k-", label="BBP (d -> inf)")
    axes[1].plot(q[:, 1], q[:, 8], "k-", label="BBP top eigenvalue")
    axes[1].plot(q[:, 1], q[:, 9], "k:", label="Marchenko-Pastur edge")
    axes[0].set_ylabel("(v1 . u)^2")
    axes[1].set_ylabel("largest eigenvalue")
    for ax in axes:
        ax.set_xscale("log")
        ax.set_xlabel("alpha = n / d")
        ax.legend()
    beta = text(f["config"].attrs["mcm.beta_u"])
    fig.suptitle("PCA spike recovery, beta_u = %s (transition at alpha = 1/beta_u^2)" % beta)
    fig.savefig(out, dpi=90)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=("overlaps", "scaling", "pca"))
    ap.add_argument("file")
    ap.add_argument("-o", "--output", help="PNG to write")
    a = ap.parse_args(argv)
    f = open_complete(a.file)
    if a.what == "pca":
        if "covar/overlap2_u" not in f:
            sys.exit("%s: no /covar (not written by 'mcmsim covar')" % a.file)
        print(pca_table(f))
        if a.output:
            plot_pca(f, a.output)
            print("wrote", a.output)
        return
    if "series" not in f:
        sys.exit("%s: no /series (not written by 'mcmsim run')" % a.file)
    if a.what == "overlaps":
        print(task_table(f))
        if a.output:
            plot_overlaps(f, a.output)
    else:
        if "scaling" not in f:
            sys.exit("%s: no /scaling (no watched overlaps; see [scaling])" % a.file)
        print(scaling_table(f))
        if a.output:
            plot_scaling(f, a.output)
    if a.output:
        print("wrote", a.output)


if __name__ == "__main__":
    main()
