"""`mcmpost generate FILE` and `mcmpost genscan FILE...` (mcmsim generate): what the generated
distribution has learned, next to the data's exact values.

generate: histograms of the generated projections with the data's densities; with
generate.n_write the x0 estimate along the trajectory relative to its final value ("painters",
gaussian-theory.md §4.3) and with generate.kick the kick responses, both against the Gaussian
closed form sqrt((lambda + sigma_0^2) / (lambda + sigma^2)); per-mode variances for Gaussian data.
genscan: several generate outputs against one [generate] key (sigma_skip by default: the
analytical teleportation curve of §4.4): variance along direction 1, excess kurtosis along
direction 2 (u, v for the MCM), each generated +- SE next to the data, and the NFE.
"""
import numpy as np

from mcmpost import h5file as H
from mcmpost import stats as S
from mcmpost import style


def read(f):
    H.require(f, "generate/moments", "not written by 'mcmsim generate'")
    g = f["generate"]
    r = {k: g[k][()] for k in g if isinstance(g[k], type(g["moments"]))}
    r["attrs"] = {k: (H.text(v) if isinstance(v, (bytes, str)) else v) for k, v in g.attrs.items()}
    r["dirs"] = r["attrs"]["directions"].split(",")
    r["d"] = H.tasks(f)["d"]
    return r


def table(f):
    r = read(f)
    a, mom, th = r["attrs"], r["moments"], r["theory"]
    out = ["generated vs data (%s score, %s, %d steps, sigma_skip %g, %d samples per task):"
           % (a["score"], a["sampler"], a["n_steps"], a["sigma_skip"], a["n_samples"]),
           "%6s %4s %9s %9s %9s %9s %9s %9s" % ("d", "dir", "variance", "SE", "data", "ex.kurt",
                                               "SE", "data")]
    for k in range(mom.shape[0]):
        for j, dn in enumerate(r["dirs"]):
            m, t = mom[k, j], th[k, j]
            out.append("%6d %4s %9.4f %9.4f %9.4f %+9.4f %9.4f %+9.4f"
                       % (r["d"][k], dn, m[1], m[5], t[1], m[3], m[6], t[2]))
    out.append("NFE per sample %d of %d (saved %d)" % tuple(r["nfe"][0]))
    return "\n".join(out)


def transfer(lam, s0, s):
    """Gaussian closed form (§4.3): d x(sigma_0) / d x(sigma) along a mode of variance lambda,
    which is also the x0 estimate at sigma relative to its final value (§4.1)."""
    return np.sqrt((lam + s0 ** 2) / (lam + s ** 2))


def hist_panel(ax, f, r, task, j):
    edges = r["hist_edges"][task, j]
    dens = r["hist"][task, j].astype(float) / (r["attrs"]["n_samples"] * np.diff(edges))
    ax.stairs(dens, edges, fill=True, alpha=0.45, label="generated")
    xs = np.linspace(edges[0], edges[-1], 400)
    th = r["theory"][task, j]
    if r["dirs"][j] == "v" and r["attrs"]["directions"].startswith("m,"):
        dv = S.density_v(f, xs, 1.0, 0.0)
        if dv is not None:
            ax.plot(xs, dv, "k-", lw=1.5, label="data, exact")
    ax.plot(xs, S.gauss(xs, th[0], th[1]), "r--", lw=1, label="Gaussian, data variance")
    m = r["moments"][task, j]
    ax.set_title("%s.x: var %.3f (data %.3f), kurt %+.3f +- %.3f (data %+.3f)"
                 % (r["dirs"][j], m[1], th[1], m[3], m[6], th[2]), fontsize=8)
    ax.set_xlabel("%s . x" % r["dirs"][j])
    ax.set_ylabel("density")
    ax.legend()


def painters_panel(ax, r, task, lev):
    """(w.D(x; sigma) - mean) / (w.D(x; sigma_min) - mean) per written sample against sigma,
    with §4.1's curve; circles: the commitment levels (/generate/commit, crossing 1/sqrt(2)),
    crosses: their Gaussian closed form sqrt(lambda + 2 sigma_min^2)."""
    tr, th, cols = r["trajectory"][task], r["theory"][task], style.colors(len(r["dirs"]), "tab10")
    half = np.sqrt(0.5)
    for j, dn in enumerate(r["dirs"]):
        x0 = tr[:, :, 1, j] - th[j, 0]
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = x0 / x0[:, -1:]
        for s in range(rel.shape[0]):
            ax.plot(lev, rel[s], color=cols[j], lw=0.8, alpha=0.7,
                    label="%s (samples)" % dn if s == 0 else None)
        ax.plot(lev, transfer(th[j, 1], lev[-1], lev), ls=":", lw=1.4, color=cols[j])
        if "commit" in r:
            c = r["commit"][task, :, j]
            ax.plot(c, np.full(c.shape, half), "o", mfc="none", color=cols[j], ms=6)
            ax.plot(r["commit_theory"][task, j], half, "x", color=cols[j], ms=8)
    ax.plot([], [], **style.THEORY, label="Gaussian closed form")
    if "commit" in r:
        ax.plot([], [], "ko", mfc="none", label="commitment level")
        ax.plot([], [], "kx", label="its closed form")
    ax.set_xscale("log")
    ax.set_ylim(-0.5, 1.6)
    ax.invert_xaxis()
    ax.set_xlabel("sigma (generation runs right to left)")
    ax.set_ylabel("w.x0_hat(sigma) / w.x0_hat(sigma_min)")
    ax.set_title("x0 estimate commits along the trajectory (section 4.3)")
    ax.legend()


def kick_panel(ax, r, task, lev):
    k, th, cols = r["kick"][task], r["theory"][task], style.colors(len(r["dirs"]), "tab10")
    # DDIM: x = alpha x~ with alpha = 1 / sqrt(1 + s^2) at level s (the VP transfer).
    vp = np.sqrt((1 + lev ** 2) / (1 + lev[-1] ** 2)) if r["attrs"]["sampler"] == "ddim" else 1.0
    for j, dn in enumerate(r["dirs"]):
        for s in range(k.shape[0]):
            ax.plot(lev, k[s, :, j], color=cols[j], lw=0.9, alpha=0.7,
                    label="%s" % dn if s == 0 else None)
        ax.plot(lev, vp * transfer(th[j, 1], lev[-1], lev), ls=":", lw=1.4, color=cols[j])
    ax.plot([], [], **style.THEORY, label="Gaussian transfer")
    ax.set_xscale("log")
    ax.invert_xaxis()
    ax.set_xlabel("sigma of the kick")
    ax.set_ylabel("d(w.x_final) / d(w.x(sigma))")
    ax.set_title("response of the final sample to a kick")
    ax.legend()


def modes_panel(ax, r, task):
    mv = r["mode_var"][task]
    k = np.arange(mv.shape[0])
    ax.errorbar(mv[:, 3], mv[:, 0], yerr=mv[:, 1], fmt="o", ms=3, label="generated +- SE")
    ax.plot(mv[:, 3], mv[:, 2], "k.", ms=4, label="closed form")
    ax.plot(mv[:, 3], mv[:, 3], **style.THEORY, label="data lambda")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("data variance lambda_k (modes 0..%d)" % k[-1])
    ax.set_ylabel("generated variance")
    ax.set_title("per-mode variances")
    ax.legend()


def plot(f, out, task=0, title=None):
    r = read(f)
    if not 0 <= task < r["moments"].shape[0]:
        raise H.PostError("--task %d out of range (%s has %d tasks)"
                          % (task, f.filename, r["moments"].shape[0]))
    extra = [n for n in ("trajectory", "kick", "mode_var") if n in r]
    fig, axes = style.figure(4, 2 if extra else 1, width=4.0, height=3.4)
    for j in range(4):
        hist_panel(axes[0, j], f, r, task, j)
    if extra:
        lev = r["levels"] if "levels" in r else None
        for ax, n in zip(axes[1], extra):
            if n == "trajectory":
                painters_panel(ax, r, task, lev)
            elif n == "kick":
                kick_panel(ax, r, task, lev)
            else:
                modes_panel(ax, r, task)
        for ax in axes[1, len(extra):]:
            ax.set_visible(False)
    a = r["attrs"]
    fig.suptitle(title or "mcmsim generate: %s score, %s %d steps, sigma %g -> %g, sigma_skip %g, "
                 "d = %d (%d samples)" % (a["score"], a["sampler"], a["n_steps"], a["sigma_max"],
                                          a["sigma_min"], a["sigma_skip"], r["d"][task],
                                          a["n_samples"]))
    return style.save(fig, out)


def scan_value(f, r, key):
    """The x value of one file: /generate's attribute (sigma_skip: the effective one, also for
    skip_steps; 0 = none, plotted at sigma_max) or the configuration key generate.KEY."""
    if key == "sigma_skip":
        s = float(r["attrs"]["sigma_skip"])
        return s if s > 0 else float(r["attrs"]["sigma_max"])
    return float(H.config(f, "generate." + key).split(",")[0])


def scan_table(rows, key):
    out = ["%10s %9s %8s %9s %9s %8s %9s %5s" % (key, "var(1)", "SE", "data", "kurt(2)", "SE",
                                                 "data", "NFE")]
    for x, m, t, gv, nfe in rows:
        out.append("%10.4g %9.4f %8.4f %9.4f %+9.4f %8.4f %+9.4f %5d"
                   % (x, m[1, 1], m[1, 5], t[1, 1], m[2, 3], m[2, 6], t[2, 2], nfe))
    return "\n".join(out)


def scan(files, key="sigma_skip", task=0):
    rows, dirs = [], None
    for f in files:
        r = read(f)
        if not 0 <= task < r["moments"].shape[0]:
            raise H.PostError("--task %d out of range (%s has %d tasks)"
                              % (task, f.filename, r["moments"].shape[0]))
        if dirs is not None and r["dirs"] != dirs:
            raise H.PostError("%s: directions %s, the other files %s"
                              % (f.filename, ",".join(r["dirs"]), ",".join(dirs)))
        dirs = r["dirs"]
        rows.append((scan_value(f, r, key), r["moments"][task], r["theory"][task],
                     r["theory_gauss_var"][task], int(r["nfe"][task, 0])))
    rows.sort(key=lambda z: z[0])
    return rows, dirs


def plot_scan(files, out, key="sigma_skip", task=0, title=None):
    rows, dirs = scan(files, key, task)
    x = np.array([z[0] for z in rows])
    m = np.array([z[1] for z in rows])
    t = np.array([z[2] for z in rows])
    gv = np.array([z[3] for z in rows])
    fig, axes = style.figure(3, 1, width=4.4, height=3.6)
    ax = axes[0, 0]
    ax.errorbar(x, m[:, 1, 1], yerr=m[:, 1, 5], fmt="o-", ms=4, label="generated +- SE")
    ax.plot(x, t[:, 1, 1], **style.THEORY, label="data, exact")
    ax.plot(x, gv[:, 1], "r--", lw=1, label="closed form (Gaussian flow; linear: lambda~(tau))")
    ax.set_ylabel("variance along %s" % dirs[1])
    ax = axes[0, 1]
    ax.errorbar(x, m[:, 2, 3], yerr=m[:, 2, 6], fmt="o-", ms=4, label="generated +- SE")
    ax.plot(x, t[:, 2, 2], **style.THEORY, label="data, exact")
    ax.axhline(0.0, color="r", ls="--", lw=1, label="Gaussian (0)")
    ax.set_ylabel("excess kurtosis along %s" % dirs[2])
    ax = axes[0, 2]
    ax.plot(x, [z[4] for z in rows], "o-", ms=4)
    ax.set_ylabel("NFE per sample")
    for ax in axes[0]:
        ax.set_xscale("log" if x.min() > 0 else "symlog", **({} if x.min() > 0 else
                                                            {"linthresh": 1e-3}))
        ax.set_xlabel(key + (" (sigma_max: no teleportation)" if key == "sigma_skip" else ""))
        if ax.get_legend_handles_labels()[0]:
            ax.legend()
    fig.suptitle(title or "generated vs data statistics against %s (%d files, task %d)"
                 % (key, len(files), task))
    return style.save(fig, out)
