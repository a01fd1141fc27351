"""The mcmpost command line: one subcommand per table or plot."""
import argparse
import sys

from mcmpost import gaussian, generate, pca, runplots, simplicity, stats, summary
from mcmpost import h5file as H

EPILOG = "Plots are written as BASE.png and BASE.pdf for -o BASE (an extension .png/.pdf is dropped)."


def columns(s):
    return [c.strip() for c in s.split(",") if c.strip()]


def add_common(p, many=False):
    p.add_argument("files" if many else "file", nargs="+" if many else None, metavar="FILE",
                   help="mcmsim output file%s" % ("s (one panel each)" if many else ""))
    p.add_argument("-o", "--output", metavar="BASE", help="write the plot to BASE.png and BASE.pdf")
    p.add_argument("--partial", action="store_true",
                   help="read a file without complete = 1 (a stopped or running job)")
    p.add_argument("--title", help="replace the figure's title")


def do_summary(a, f):
    print(summary.summary(f))


def do_overlaps(a, f):
    for c in a.columns:  # an unknown column fails before anything is printed
        H.series(f, c)
    print(summary.final_table(f))
    if a.output is None:
        return None
    if a.rows:
        return runplots.plot_rows(f, a.output, a.task, a.title)
    return runplots.plot_overlaps(f, a.output, a.columns, a.combo, a.title)


def do_losses(a, files):
    for f in files:
        for c in a.columns:  # an unknown column fails before anything is printed
            H.series(f, c)
    for f in files:
        print(summary.task_rows(f))
    if a.output is not None:
        return runplots.plot_losses(files, a.output, a.combo, a.columns, a.title)
    return None


def do_pca(a, f):
    print(pca.table(f))
    return pca.plot(f, a.output, a.title) if a.output else None


def do_stats(a, f):
    print(stats.table(f))
    return stats.plot(f, a.output, a.task, a.title) if a.output else None


def do_gaussian(a, f):
    print(gaussian.table(f))
    return gaussian.plot(f, a.output, a.title) if a.output else None


def do_generate(a, f):
    print(generate.table(f))
    return generate.plot(f, a.output, a.task, a.title) if a.output else None


def do_genscan(a, files):
    rows, _ = generate.scan(files, a.against, a.task)
    print(generate.scan_table(rows, a.against))
    return generate.plot_scan(files, a.output, a.against, a.task, a.title) if a.output else None


def do_gentrain(a, f):
    print(simplicity.table(f))
    return simplicity.plot(f, a.output, a.title) if a.output else None


def parser():
    ap = argparse.ArgumentParser(prog="mcmplot", description=__doc__.splitlines()[0] +
                                 " (mcmsim HDF5 schema v1).", epilog=EPILOG)
    sub = ap.add_subparsers(dest="command", metavar="COMMAND", required=True)
    p = sub.add_parser("summary", help="what a file holds: tasks, final overlaps, crossings, fits",
                       description="Text tables of any mcmsim file: the task list with the final "
                       "observation, final overlaps per d, first crossings, n*(d) fits; the PCA, "
                       "stats or Gaussian-theory tables of covar, stats and gaussian files.")
    add_common(p)
    p.set_defaults(run=do_summary)
    p = sub.add_parser("overlaps", help="(run) overlaps against tau, per d, with the overlap ODE",
                       description="Median and 10-90 %% band over replicas of /series columns "
                       "(default max |m_u| and max |m_v|) against tau = steps/d per dimension, "
                       "the d -> infinity overlap ODE of /theory dotted, d^-1/2 dashed for v; "
                       "with --rows every first-layer row of one task.", epilog=EPILOG)
    add_common(p)
    p.add_argument("--columns", type=columns, default=["max_overlap_u", "max_overlap_v"],
                   metavar="A,B", help="/series columns, one panel each (default %(default)s)")
    p.add_argument("--combo", type=int, default=0, help="sweep combination (default 0)")
    p.add_argument("--rows", action="store_true", help="plot each first-layer row of --task")
    p.add_argument("--task", type=int, default=0, help="task row for --rows (default 0)")
    p.set_defaults(run=do_overlaps)
    p = sub.add_parser("losses", help="(run) test losses on data, Gaussian and mean clones",
                       description="Test x0 MSE on the data and on its Gaussian and mean clones "
                       "(median and 10-90 %% band over replicas) against tau, one panel per file "
                       "and d, "
                       "with the exact MMSE where known.", epilog=EPILOG)
    add_common(p, many=True)
    p.add_argument("--columns", type=columns, default=["loss_data", "loss_gauss", "loss_mean"],
                   metavar="A,B", help="/series columns (default %(default)s)")
    p.add_argument("--combo", type=int, default=0, help="sweep combination (default 0)")
    p.set_defaults(run=do_losses, many=True)
    p = sub.add_parser("scaling", help="(run, analyze) n*(d) with fitted and theory exponents",
                       description="Log-log n*(d): Kaplan-Meier medians with bootstrap intervals "
                       "per watched overlap and threshold, the fitted power law with its exponent "
                       "and interval and the theory slope; one panel per file.", epilog=EPILOG)
    add_common(p, many=True)
    p.set_defaults(run=run_scaling, many=True)
    p = sub.add_parser("pca", help="(covar) PCA spike recovery against BBP",
                       description="(v1.u)^2 and the top eigenvalue against alpha = n/d (mean and "
                       "SE over replicas) with the BBP predictions and the Marchenko-Pastur edge.",
                       epilog=EPILOG)
    add_common(p)
    p.set_defaults(run=do_pca)
    p = sub.add_parser("stats", help="(stats) projection histograms against exact densities",
                       description="Measured vs exact variance and excess kurtosis of the "
                       "projections on m, u, v, r; histograms of one task with the exact densities.",
                       epilog=EPILOG)
    add_common(p)
    p.add_argument("--task", type=int, default=0, help="task row to plot (default 0)")
    p.set_defaults(run=do_stats)
    p = sub.add_parser("gaussian", help="(gaussian) per-mode learning curves, tau*(lambda), KL",
                       description="Generated variance per mode through training (SGD points "
                       "from /gaussian/sgd when present), the emergence times tau* against lambda "
                       "on log-log axes with the fitted alpha, and KL against tau.", epilog=EPILOG)
    add_common(p)
    p.set_defaults(run=do_gaussian)
    p = sub.add_parser("generate", help="(generate) generated vs data: histograms, painters, kicks",
                       description="Histograms of the generated projections with the data's "
                       "densities; with generate.n_write the x0 estimate along the trajectory "
                       "relative to its final value, with generate.kick the kick responses (both "
                       "with the Gaussian closed form of gaussian-theory.md 4.3); per-mode "
                       "variances for Gaussian data.", epilog=EPILOG)
    add_common(p)
    p.add_argument("--task", type=int, default=0, help="task row to plot (default 0)")
    p.set_defaults(run=do_generate)
    p = sub.add_parser("genscan", help="(generate, several) statistics against sigma_skip or a key",
                       description="Several generate outputs against one [generate] key (default "
                       "sigma_skip, the teleportation curve; 0 = none is drawn at sigma_max): "
                       "variance along direction 1 and excess kurtosis along direction 2 (u, v "
                       "for the MCM), generated +- SE next to the data, and the NFE.",
                       epilog=EPILOG)
    add_common(p, many=True)
    p.add_argument("--against", default="sigma_skip", metavar="KEY",
                   help="the [generate] key of the x axis (default %(default)s; e.g. tau)")
    p.add_argument("--task", type=int, default=0, help="task row (default 0)")
    p.set_defaults(run=do_genscan, many=True)
    p = sub.add_parser("gentrain", help="(generate, score = model) statistics against training step",
                       description="What the trained model of a run generates at each snapshot: "
                       "the generated variance along direction 1 and excess kurtosis along "
                       "direction 2 (u, v for the MCM) +- SE against the training step, one line "
                       "per run task, with the data's exact values and the Gaussian flow's "
                       "variance on the same levels.", epilog=EPILOG)
    add_common(p)
    p.set_defaults(run=do_gentrain)
    return ap


def run_scaling(a, files):
    for f in files:
        print(summary.fit_table(f) or "%s: no /scaling" % f.filename)
    if a.output:
        for f in files:
            H.require(f, "scaling/nstar", "no /scaling: no watched overlaps, see [scaling]")
        return runplots.plot_scaling(files, a.output, a.title)
    return None


def main(argv=None):
    a = parser().parse_args(argv)
    try:
        if getattr(a, "many", False):
            files = [H.open_output(p, a.partial) for p in a.files]
            paths = a.run(a, files)
        else:
            with H.open_output(a.file, a.partial) as f:
                paths = a.run(a, f)
    except H.PostError as e:
        print("mcmplot %s: %s" % (a.command, e), file=sys.stderr)
        return 2
    for p in paths or ():
        print("wrote", p)
    return 0
