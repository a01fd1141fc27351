"""One look for every mcmpost figure, and the one place that writes image files."""
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

RC = {
    "figure.dpi": 100,
    "savefig.dpi": 90,
    "font.size": 10,
    "axes.titlesize": 10,
    "axes.labelsize": 10,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "lines.linewidth": 1.6,
}
plt.rcParams.update(RC)
BAND_ALPHA = 0.22
THEORY = dict(color="black", ls=":", lw=1.4)


def colors(n, cmap="viridis"):
    """N colours along a perceptual map, ends trimmed so the lightest stays visible."""
    cm = plt.get_cmap(cmap)
    return [cm(0.05 + 0.8 * i / max(1, n - 1)) for i in range(n)]


def figure(ncols=1, nrows=1, width=5.2, height=4.0, **kw):
    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows),
                             constrained_layout=True, squeeze=False, **kw)
    return fig, axes


def outputs(out):
    """-o BASE (with or without .png/.pdf) -> BASE.png and BASE.pdf."""
    base, ext = os.path.splitext(out)
    if ext.lower() not in (".png", ".pdf"):
        base = out
    return base + ".png", base + ".pdf"


def save(fig, out):
    """Writes the figure as PNG and PDF; returns the paths."""
    paths = outputs(out)
    d = os.path.dirname(paths[0])
    if d:
        os.makedirs(d, exist_ok=True)
    for p in paths:
        fig.savefig(p)
    plt.close(fig)
    return paths
