"""`mcmpost gaussian FILE` (mcmsim gaussian): spectral bias of linear denoisers."""
import numpy as np

from mcmpost import h5file as H
from mcmpost import style

BRANCHES = ("all", "increasing", "decreasing")


def read(f):
    H.require(f, "gaussian/theory", "not written by 'mcmsim gaussian'")
    g = f["gaussian"]
    th = g["theory"]
    r = {k: th[k][()] for k in ("variance", "kl", "emergence", "alpha", "branch")}
    r.update(lam=g["lambda"][()], tau=g["tau"][()], attrs={k: H.text(v) for k, v in g.attrs.items()})
    # SGD measurements next to the theory, when the file has them: /gaussian/sgd/{tau, variance}
    # [time][mode] (optional; read by name).
    if "gaussian/sgd/tau" in f and "gaussian/sgd/variance" in f:
        r["sgd"] = (f["gaussian/sgd/tau"][()], f["gaussian/sgd/variance"][()])
    return r


def table(f):
    r = read(f)
    out = ["emergence exponent alpha of tau* ~ lambda^-alpha (%s %% interval):"
           % (100 * float(r["attrs"].get("level", "0.95")))]
    for name, a in zip(BRANCHES, r["alpha"]):
        out.append("  %-10s alpha = %8.4f [%.4f, %.4f] over %d modes" % (name, a[0], a[1], a[2], a[3]))
    e = r["emergence"]
    out.append("  modes %d, emerged within tau_max: %d; KL(gen || data) at the last tau: %.4g nats"
               % (len(e), np.isfinite(e).sum(), r["kl"][-1, 0]))
    return "\n".join(out)


def pick_modes(lam, n=8):
    order = np.argsort(lam)[::-1]
    idx = np.unique(np.round(np.geomspace(1, len(lam), min(n, len(lam)))).astype(int) - 1)
    return order[idx]


def fit_line(lam, tau_star, alpha):
    """The fitted power law through the emerged modes: ln tau* = c - alpha ln lambda."""
    ok = np.isfinite(tau_star) & (tau_star > 0)
    c = np.mean(np.log(tau_star[ok]) + alpha * np.log(lam[ok]))
    x = np.geomspace(lam[ok].min(), lam[ok].max(), 50)
    return x, np.exp(c - alpha * np.log(x))


def plot(f, out, title=None):
    r = read(f)
    lam, tau, var, e = r["lam"], r["tau"], r["variance"], r["emergence"]
    fig, axes = style.figure(3, width=4.6)
    ax0, ax1, ax2 = axes[0]
    modes = pick_modes(lam)
    for c, k in zip(style.colors(len(modes), "plasma"), modes):
        ax0.plot(tau, var[:, k] / lam[k], "-", color=c, label="lambda = %.3g" % lam[k])
        if np.isfinite(e[k]):
            ax0.plot([e[k]], [np.interp(e[k], tau, var[:, k]) / lam[k]], "o", color=c, ms=4)
        if "sgd" in r:
            st, sv = r["sgd"]
            ax0.plot(st, sv[:, k] / lam[k], ".", color=c, ms=5)
    ax0.axhline(1, **style.THEORY)
    ax0.set(xscale="log", yscale="log", xlabel="training time tau",
            ylabel="generated variance / data variance of the mode")
    ax0.set_title("per-mode learning curves (dots: emergence tau*)" +
                  ("; points: SGD" if "sgd" in r else ""))
    ax0.legend(ncol=2)
    ok = np.isfinite(e)
    ax1.loglog(lam[ok], e[ok], "o", ms=3, label="tau*_k (%d modes)" % ok.sum())
    a = r["alpha"][0]
    if np.isfinite(a[0]) and ok.sum() > 1:
        x, y = fit_line(lam, e, a[0])
        ax1.loglog(x, y, "k-", label="alpha = %.3f [%.3f, %.3f]" % (a[0], a[1], a[2]))
    ax1.set(xlabel="data variance lambda_k", ylabel="emergence time tau*_k")
    ax1.set_title("spectral bias: tau* ~ lambda^-alpha")
    ax1.legend()
    ax2.loglog(tau, r["kl"][:, 0], "-", label="KL(generated || data)")
    ax2.loglog(tau, r["kl"][:, 1], "--", label="KL(data || generated)")
    ax2.set(xlabel="training time tau", ylabel="KL divergence (nats)")
    ax2.set_title("KL through training")
    ax2.legend()
    at = r["attrs"]
    fig.suptitle(title or "%s: linear denoiser (%s, %s spectrum) on Gaussian data, d = %s"
                 % (H.name(f), at.get("model", "?"), at.get("spectrum", "?"), at.get("d", "?")))
    return style.save(fig, out)
