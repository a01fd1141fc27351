"""`mcmpost summary FILE`: what a file holds, as text tables."""
import numpy as np

from mcmpost import h5file as H


def header(f):
    a = f.attrs
    keys = ("command", "code_version", "git_describe", "n_ranks", "start_time_utc", "end_time_utc")
    vals = ["%s %s" % (k, H.text(a[k])) for k in keys if k in a]
    state = "complete" if int(a.get("complete", 0)) == 1 else "INCOMPLETE (read with --partial)"
    return "%s: %s, schema v%d, %s" % (f.filename, state, int(a["schema_version"]), "; ".join(vals))


def fmt_table(head, rows, fmts):
    out = [" ".join("%*s" % (w, h) for h, (w, _) in zip(head, fmts))]
    for r in rows:
        out.append(" ".join(("%*s" % (w, "-") if isinstance(v, float) and not np.isfinite(v)
                             else ("%*" + f) % (w, v)) for v, (w, f) in zip(r, fmts)))
    return "\n".join(out)


def last_finite(a):
    ok = np.isfinite(a)
    idx = np.where(ok.any(axis=1), a.shape[1] - 1 - np.argmax(ok[:, ::-1], axis=1), 0)
    v = a[np.arange(a.shape[0]), idx]
    return np.where(ok.any(axis=1), v, np.nan)


RUN_COLS = ("tau", "max_overlap_u", "max_overlap_v", "loss_data", "loss_gauss", "loss_mean")
RUN_HEAD = ("tau", "|m_u|", "|m_v|", "loss", "gauss", "mean")


def task_rows(f):
    t = H.tasks(f)
    sw = H.swept_keys(f)
    cols = [last_finite(H.series(f, c)) for c in RUN_COLS]
    head = ("d", "rep", "combo") + tuple(k.split(".")[-1] for k in sw) + RUN_HEAD
    fmts = [(6, "d"), (4, "d"), (5, "d")] + [(8, ".4g")] * len(sw) + [(8, ".1f")] + \
        [(8, ".4f")] * 2 + [(9, ".5f")] * 3
    rows = [(int(t["d"][k]), int(t["replica"][k]), int(t["combo"][k])) +
            tuple(t["values"][s][k] for s in sw) + tuple(c[k] for c in cols)
            for k in range(len(t["d"]))]
    return "tasks (final observation):\n" + fmt_table(head, rows, fmts)


def final_overlaps(f):
    """Per (combo, d): replicas, and the median and 10-90 % range of the final |m_u|, |m_v|."""
    t = H.tasks(f)
    mu, mv = (last_finite(H.series(f, c)) for c in ("max_overlap_u", "max_overlap_v"))
    rows = []
    for g in np.unique(t["combo"]):
        for d in np.unique(t["d"]):
            s = (t["combo"] == g) & (t["d"] == d)
            if not s.any():
                continue
            qu, qv = np.nanpercentile(mu[s], [10, 50, 90]), np.nanpercentile(mv[s], [10, 50, 90])
            rows.append((int(g), int(d), int(s.sum()), qu[1], qu[0], qu[2], qv[1], qv[0], qv[2],
                         1 / np.sqrt(d)))
    return rows


def final_table(f):
    head = ("combo", "d", "reps", "|m_u| med", "10 %", "90 %", "|m_v| med", "10 %", "90 %",
            "d^-1/2")
    fmts = [(5, "d"), (6, "d"), (4, "d")] + [(9, ".4f"), (7, ".4f"), (7, ".4f")] * 2 + [(7, ".4f")]
    return "final overlaps per dimension (median and 10-90 % over replicas):\n" + \
        fmt_table(head, final_overlaps(f), fmts)


def crossing_table(f):
    if "crossing/samples" not in f or "scaling" not in f:
        return None
    watched = H.text(f["scaling"].attrs["watched"]).split(",")
    thr = [x.strip() for x in H.text(f["scaling"].attrs["thresholds"]).split(",")]
    cs, stop = f["crossing/samples"][()], f["crossing/stop"][()]
    t = H.tasks(f)
    head = ("d", "rep", "combo") + tuple("%s>=%s" % (w, x) for w in watched for x in thr) + ("stop",)
    fmts = [(6, "d"), (4, "d"), (5, "d")] + [(11, ".4g")] * (len(watched) * len(thr)) + [(11, ".4g")]
    rows = [(int(t["d"][k]), int(t["replica"][k]), int(t["combo"][k])) +
            tuple(cs[k].ravel()) + (stop[k],) for k in range(len(stop))]
    return "first crossings in samples ('-': censored at 'stop'):\n" + fmt_table(head, rows, fmts)


def fit_table(f):
    if "scaling/fit" not in f:
        return None
    sc = f["scaling"]
    fit, q, dims = sc["fit"][()], sc["nstar"][()], sc["d"][()]
    watched = H.text(sc.attrs["watched"]).split(",")
    thr = [x.strip() for x in H.text(sc.attrs["thresholds"]).split(",")]
    th = f["theory/exponent"][()] if "theory/exponent" in f else None
    out = ["n* = C d^k (log d)^%s fits (%g %% intervals):" % (H.text(sc.attrs["fit_log_power"]),
                                                              100 * float(sc.attrs["level"]))]
    for g in range(fit.shape[0]):
        for w, wn in enumerate(watched):
            for k, tv in enumerate(thr):
                r = fit[g, w, k]
                pred = th[g, w] if th is not None else np.nan
                out.append("  combo %d |m_%s| >= %s: k = %.3f [%.3f, %.3f] from %d points; theory %s"
                           % (g, wn, tv, r[0], r[2], r[3], int(r[5]) if np.isfinite(r[5]) else 0,
                              "%g" % pred if np.isfinite(pred) else "-"))
                for i, d in enumerate(dims):
                    z = q[g, i, w, k]
                    out.append("      d = %6d  crossed %.2f  median n* %10.4g  [%.4g, %.4g]"
                               % (d, z[0], z[1], z[4], z[5]))
    return "\n".join(out)


def run_summary(f):
    parts = [task_rows(f), final_table(f), crossing_table(f), fit_table(f)]
    return "\n\n".join(p for p in parts if p)


def summary(f):
    from mcmpost import gaussian, generate, pca, stats
    parts = [header(f)]
    if "series" in f:
        parts.append(run_summary(f))
    if "covar/overlap2_u" in f:
        parts.append(pca.table(f))
    if "stats/moments" in f:
        parts.append(stats.table(f))
    if "gaussian/theory" in f:
        parts.append(gaussian.table(f))
    if "generate/moments" in f:
        parts.append(generate.table(f))
    if len(parts) == 1:
        parts.append("(no /series, /covar, /stats, /gaussian or /generate group to summarise)")
    return "\n\n".join(parts)
