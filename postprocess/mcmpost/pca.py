"""`mcmpost pca FILE` (mcmsim covar): PCA spike recovery against the BBP prediction."""
import numpy as np

from mcmpost import h5file as H
from mcmpost import style

COLS = ("overlap2_u", "lambda_max", "bbp_overlap2", "bbp_lambda", "mp_edge")


def points(f):
    """Per (d, alpha): replicas, mean and SE of (v1.u)^2 and lambda_max, the predictions."""
    H.require(f, "covar/overlap2_u", "not written by 'mcmsim covar'")
    c = f["covar"]
    a, d = c["alpha"][()], c["d"][()]
    v = {k: c[k][()] for k in COLS}
    rows = []
    for dd in sorted(set(d)):
        for al in sorted(set(a[d == dd])):
            m = (d == dd) & (a == al)
            r = int(m.sum())

            def se(x):
                return x[m].std(ddof=1) / np.sqrt(r) if r > 1 else np.nan
            rows.append((dd, al, r, v["overlap2_u"][m].mean(), se(v["overlap2_u"]),
                         v["bbp_overlap2"][m][0], v["lambda_max"][m].mean(), se(v["lambda_max"]),
                         v["bbp_lambda"][m][0], v["mp_edge"][m][0]))
    return np.array(rows, dtype=float)


def table(f):
    out = ["PCA vs BBP per d and alpha = n/d (mean +- SE over replicas):",
           "%6s %8s %4s %18s %8s %18s %8s %8s" % ("d", "alpha", "reps", "(v1.u)^2 +- SE", "BBP",
                                                  "lambda_max +- SE", "BBP", "MP edge")]
    for r in points(f):
        out.append("%6d %8.3g %4d %8.4f +- %6.4f %8.4f %8.4f +- %6.4f %8.4f %8.4f" % tuple(r))
    return "\n".join(out)


def plot(f, out, title=None):
    p = points(f)
    fig, axes = style.figure(2)
    ax0, ax1 = axes[0]
    dims = sorted(set(p[:, 0]))
    for c, dd in zip(style.colors(len(dims)), dims):
        q = p[p[:, 0] == dd]
        ax0.errorbar(q[:, 1], q[:, 3], yerr=q[:, 4], marker="o", ls="", color=c, label="d = %d" % dd)
        ax1.errorbar(q[:, 1], q[:, 6], yerr=q[:, 7], marker="o", ls="", color=c, label="d = %d" % dd)
    q = p[np.argsort(p[:, 1])]
    ax0.plot(q[:, 1], q[:, 5], "k-", label="BBP (d -> inf)")
    ax1.plot(q[:, 1], q[:, 8], "k-", label="BBP top eigenvalue")
    ax1.plot(q[:, 1], q[:, 9], "k:", label="Marchenko-Pastur edge")
    beta = float(H.config(f, "mcm.beta_u").split(",")[0])
    for ax in (ax0, ax1):
        ax.axvline(1 / beta ** 2, color="grey", ls="--", lw=0.8, label="alpha = 1/beta_u^2")
        ax.set_xscale("log")
        ax.set_xlabel("alpha = n / d")
        ax.legend()
    ax0.set_ylabel("(v1 . u)^2")
    ax1.set_ylabel("largest eigenvalue of the sample covariance")
    fig.suptitle(title or "PCA spike recovery (BBP transition), beta_u = %g" % beta)
    return style.save(fig, out)
