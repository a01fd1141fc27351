"""Plots of `mcmsim run` files: overlaps, per-row overlaps, test losses, n*(d)."""
import warnings

import numpy as np

from mcmpost import h5file as H
from mcmpost import style

SPIKE = {"max_overlap_m": None, "max_overlap_u": 0, "max_overlap_v": 1}
LABEL = {"max_overlap_u": "max |m_u|", "max_overlap_v": "max |m_v|", "max_overlap_m": "max |m_m|",
         "subspace": "subspace overlap", "loss_data": "test loss (data)",
         "loss_gauss": "test loss (Gaussian clone)", "loss_mean": "test loss (mean clone)"}


def quantiles(a, sel):
    """10/50/90 % over the selected tasks, ignoring NaN padding after early stops."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanpercentile(a[sel], [10, 50, 90], axis=0)


def band(ax, x, q, color, label):
    ok = np.isfinite(x) & np.isfinite(q[1])
    ax.plot(x[ok], q[1][ok], "-", color=color, label=label)
    ax.fill_between(x[ok], q[0][ok], q[2][ok], color=color, alpha=style.BAND_ALPHA, lw=0)


def median_tau(f, sel):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmedian(H.series(f, "tau")[sel], axis=0)


def ode(f, combo, d, spike):
    """The d -> infinity overlap ODE of /theory for (combo, d), or None."""
    if spike is None or "theory/ode_m" not in f:
        return None
    dims = [int(x) for x in H.config(f, "mcm.d").split(",")]
    if d not in dims:
        return None
    j = dims.index(d)  # /theory is indexed in the order of mcm.d
    return f["theory/ode_tau"][combo, j], np.abs(f["theory/ode_m"][combo, j, spike])


def plot_overlaps(f, out, columns, combo=0, title=None):
    t = H.tasks(f)
    data = [H.series(f, c) for c in columns]
    dims = sorted(set(t["d"][t["combo"] == combo]))
    if not dims:
        raise H.PostError("%s: no task has sweep combination %d" % (f.filename, combo))
    fig, axes = style.figure(len(columns))
    cols = style.colors(len(dims))
    for ax, col, a in zip(axes[0], columns, data):
        for c, d in zip(cols, dims):
            sel = (t["d"] == d) & (t["combo"] == combo)
            band(ax, median_tau(f, sel), quantiles(a, sel), c, "d = %d (%d reps)" % (d, sel.sum()))
            th = ode(f, combo, d, SPIKE.get(col))
            if th is not None:
                ax.plot(th[0], th[1], ":", color=c, lw=1.4)
            if col == "max_overlap_v":
                ax.axhline(1 / np.sqrt(d), color=c, ls="--", lw=0.8, alpha=0.7)
        ax.set_xscale("log")
        ax.set_xlabel("tau = steps / d")
        extra = " (dotted: overlap ODE)" if SPIKE.get(col) is not None and "theory/ode_m" in f else ""
        ax.set_ylabel(LABEL.get(col, col) + extra)
        if col.startswith("max_overlap") or col == "subspace":
            ax.set_ylim(0, 1.02)
        ax.legend(loc="upper left")
    label = H.combo_label(f, combo)
    fig.suptitle(title or "%s: median and 10-90 %% band over replicas%s"
                 % (H.name(f), ", " + label if label else ""))
    return style.save(fig, out)


def plot_rows(f, out, task=0, title=None):
    """Every first-layer row's |overlap| with u and v for one task (deep networks)."""
    H.require(f, "series/overlap", "no per-row overlaps (family linear)")
    t = H.tasks(f)
    if not 0 <= task < len(t["d"]):
        raise H.PostError("--task %d out of range (%s has %d tasks)" % (task, f.filename, len(t["d"])))
    ov = f["series/overlap"][task]  # [obs][row][m, u, v]
    tau = H.series(f, "tau")[task]
    ok = np.isfinite(tau)
    fig, axes = style.figure(2)
    for ax, j, s in ((axes[0, 0], 1, "u"), (axes[0, 1], 2, "v")):
        a = np.abs(ov[ok, :, j])
        for r in range(a.shape[1]):
            ax.plot(tau[ok], a[:, r], "-", color="tab:blue", lw=0.5, alpha=0.35)
        ax.plot(tau[ok], a.max(axis=1), "-", color="tab:red", lw=2, label="max over rows")
        ax.plot(tau[ok], np.sqrt((a ** 2).mean(axis=1)), "-", color="black", lw=1.5,
                label="rms over rows")
        ax.axhline(1 / np.sqrt(t["d"][task]), color="grey", ls="--", lw=0.8,
                   label="d^-1/2")
        ax.set_xscale("log")
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("tau = steps / d")
        ax.set_ylabel("|w_k . %s| / |w_k| of each first-layer row" % s)
        ax.legend(loc="upper left")
    fig.suptitle(title or "%s: first-layer rows, task %d (d = %d, replica %d), %s, %s"
                 % (H.name(f), task, t["d"][task], t["replica"][task],
                    H.config(f, "model.family"), H.config(f, "optim.kind")))
    return style.save(fig, out)


def plot_losses(files, out, combo=0, columns=("loss_data", "loss_gauss", "loss_mean"), title=None):
    """Test losses on data and on its Gaussian and mean clones through training: one panel per
    file and dimension."""
    panels = []
    for f in files:
        t = H.tasks(f)
        panels += [(f, d) for d in sorted(set(t["d"][t["combo"] == combo]))]
    if not panels:
        raise H.PostError("no task has sweep combination %d" % combo)
    fig, axes = style.figure(len(panels), width=4.6)
    cols = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple")
    for ax, (f, d) in zip(axes[0], panels):
        t = H.tasks(f)
        sel = (t["d"] == d) & (t["combo"] == combo)
        x = median_tau(f, sel)
        for c, col in zip(cols, columns):
            band(ax, x, quantiles(H.series(f, col), sel), c, LABEL.get(col, col))
        mmse = f["summary/mmse"][()] if "summary/mmse" in f else None
        if mmse is not None and np.isfinite(mmse[sel]).any():
            ax.axhline(np.nanmean(mmse[sel]), **style.THEORY, label="MMSE (data)")
        ax.set_xscale("log")
        ax.set_xlabel("tau = steps / d")
        ax.set_ylabel("test x0 MSE per dimension")
        ax.set_title("%s: d = %d, %d replicas" % (H.name(f), d, sel.sum()))
        ax.legend(loc="lower left")
    fig.suptitle(title or "test loss on data vs its Gaussian and mean clones (median, 10-90 %)")
    return style.save(fig, out)


def scaling_panel(ax, f):
    H.require(f, "scaling/nstar", "no /scaling: no watched overlaps, see [scaling]")
    sc = f["scaling"]
    dims, q, fit = sc["d"][()], sc["nstar"][()], sc["fit"][()]
    names = H.text(sc.attrs["watched"]).split(",")
    thr = [x.strip() for x in H.text(sc.attrs["thresholds"]).split(",")]
    p = float(sc.attrs["fit_log_power"])
    th = f["theory/exponent"][()] if "theory/exponent" in f else None
    x = np.linspace(np.log(dims.min()), np.log(dims.max()), 50)
    for g in range(q.shape[0]):
        for w, wn in enumerate(names):
            for k, tv in enumerate(thr):
                med, lo, hi = q[g, :, w, k, 1], q[g, :, w, k, 4], q[g, :, w, k, 5]
                err = [np.where(np.isfinite(lo), med - lo, 0), np.where(np.isfinite(hi), hi - med, 0)]
                lab = "|m_%s| >= %s" % (wn, tv) + (" (combo %d)" % g if q.shape[0] > 1 else "")
                h = ax.errorbar(dims, med, yerr=err, fmt="o", capsize=3, label=lab)
                kf, klo, khi, logc = fit[g, w, k, 0], fit[g, w, k, 2], fit[g, w, k, 3], fit[g, w, k, 4]
                if np.isfinite(kf):
                    y = np.exp(logc + kf * x + (p * np.log(x) if p else 0))
                    ax.plot(np.exp(x), y, "-", color=h[0].get_color(),
                            label="fit k = %.2f [%.2f, %.2f]" % (kf, klo, khi))
                if th is not None and np.isfinite(th[g, w]) and np.isfinite(med).any():
                    i0 = np.where(np.isfinite(med))[0][0]
                    y = med[i0] * np.exp(th[g, w] * (x - np.log(dims[i0])))
                    ax.plot(np.exp(x), y, "--", color=h[0].get_color(), alpha=0.6,
                            label="theory slope %g" % th[g, w])
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("d")
    ax.set_ylabel("n* (KM median, %g %% bootstrap CI)" % (100 * float(sc.attrs["level"])))
    ax.set_title(H.name(f))
    ax.legend(loc="upper left")


def plot_scaling(files, out, title=None):
    fig, axes = style.figure(len(files), width=4.8)
    for ax, f in zip(axes[0], files):
        scaling_panel(ax, f)
    # Two lines: one 4.8-inch panel is narrower than the one-line title.
    fig.suptitle(title or "sample complexity n*(d):\nsamples until the overlap crosses the threshold")
    return style.save(fig, out)
