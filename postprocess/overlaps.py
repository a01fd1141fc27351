#!/usr/bin/python3
"""Plot and summarise the training dynamics written by `mcmsim run`.

usage: /usr/bin/python3 postprocess/overlaps.py OUTPUT.h5 [-o PLOT.png]

Left: the largest |overlap| of any first-layer row with u (solid) and v (dashed) against the
d-scaled time tau = steps / d, one colour per dimension. Right: test loss per dimension on data
and on the Gaussian and mean clones, with the exact MMSE (thin line) where it exists.
"""
import argparse
import sys

import h5py
import numpy as np


def read(path):
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        sys.exit("%s: not a complete mcmsim file (cannot be read: %s)" % (path, e))
    with f:
        if int(f.attrs.get("complete", 0)) != 1:
            sys.exit("%s: not a complete mcmsim file (complete != 1)" % path)
        if "series" not in f:
            sys.exit("%s: no /series (written by 'mcmsim run'?)" % path)
        s = {k: f["series/" + k][()] for k in f["series"] if f["series/" + k].ndim == 2}
        t = {k: f["tasks/" + k][()] for k in ("d", "replica", "combo")}
        mmse = f["summary/mmse"][()]
    return s, t, mmse


def table(s, t):
    last = lambda a: np.array([row[np.isfinite(row)][-1] for row in a])
    out = ["%6s %3s %5s %8s %8s %8s %10s" % ("d", "rep", "combo", "tau", "|m_u|", "|m_v|",
                                             "loss")]
    tau, mu, mv, ld = (last(s[k]) for k in ("tau", "max_overlap_u", "max_overlap_v",
                                           "loss_data"))
    for k in range(len(t["d"])):
        out.append("%6d %3d %5d %8.1f %8.4f %8.4f %10.5f" % (t["d"][k], t["replica"][k],
                                                          t["combo"][k], tau[k], mu[k], mv[k],
                                                          ld[k]))
    return "\n".join(out)


def plot(s, t, mmse, out):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (a, b) = plt.subplots(1, 2, figsize=(12, 4.8), constrained_layout=True)
    dims = sorted(set(t["d"]))
    cmap = plt.get_cmap("viridis")
    for k in range(len(t["d"])):
        c = cmap(dims.index(t["d"][k]) / max(1, len(dims) - 1))
        lab = "d = %d" % t["d"][k] if t["replica"][k] == 0 and t["combo"][k] == 0 else None
        tau = s["tau"][k]
        a.plot(tau, s["max_overlap_u"][k], "-", color=c, label=lab)
        a.plot(tau, s["max_overlap_v"][k], "--", color=c)
        for key, ls in (("loss_data", "-"), ("loss_gauss", ":"), ("loss_mean", "-.")):
            b.plot(tau, s[key][k], ls, color=c)
        if np.isfinite(mmse[k]):
            b.axhline(mmse[k], color=c, lw=0.6, alpha=0.6)
    a.set_xscale("symlog", linthresh=0.1)
    a.set_xlabel("tau = steps / d")
    a.set_ylabel("max |overlap|: u (solid), v (dashed)")
    a.set_ylim(0, 1)
    a.legend()
    b.set_xscale("symlog", linthresh=0.1)
    b.set_xlabel("tau = steps / d")
    b.set_ylabel("test loss per dim: data (-), Gaussian clone (:), mean clone (-.); MMSE (thin)")
    fig.savefig(out, dpi=90)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file")
    ap.add_argument("-o", "--output", help="PNG to write")
    a = ap.parse_args(argv)
    s, t, mmse = read(a.file)
    print(table(s, t))
    if a.output:
        plot(s, t, mmse, a.output)
        print("wrote", a.output)


if __name__ == "__main__":
    main()
