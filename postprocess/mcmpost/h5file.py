"""The one way mcmpost opens an mcmsim file and reads from it.

Every read goes through this module so that the checks (complete, schema version) and the
error messages are the same for every subcommand. Columns are looked up by name, never by
position: /series/NAME datasets and the `columns` attribute of /summary/final.
"""
import h5py
import numpy as np

SCHEMA_VERSIONS = (1,)


class PostError(Exception):
    """A problem with the input: printed as one line, exit code 2."""


def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def open_output(path, partial=False):
    """Opens PATH read-only; refuses incomplete files unless `partial`, checks schema_version."""
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise PostError("%s: not a complete mcmsim file (cannot be read as HDF5: %s)" % (path, e))
    complete = int(f.attrs.get("complete", 0))
    if complete != 1 and not partial:
        f.close()
        raise PostError("%s: not a complete mcmsim file (complete != 1: the run was stopped or is "
                        "still writing); pass --partial to read what it holds" % path)
    if "schema_version" not in f.attrs:
        f.close()
        raise PostError("%s: no schema_version attribute: not an mcmsim output file" % path)
    ver = int(f.attrs["schema_version"])
    if ver not in SCHEMA_VERSIONS:
        f.close()
        raise PostError("%s: schema_version %d is not supported (mcmpost reads %s)"
                        % (path, ver, ", ".join(map(str, SCHEMA_VERSIONS))))
    return f


def require(f, obj, what):
    """Refuses a file without OBJ, saying which command writes it."""
    if obj not in f:
        raise PostError("%s: no %s (%s)" % (f.filename, obj, what))


def config(f, key, default=None):
    a = f["config"].attrs
    if key not in a:
        if default is not None:
            return default
        raise PostError("%s: no configuration key '%s' in /config" % (f.filename, key))
    return text(a[key])


def series_names(f):
    return sorted(k for k in f["series"] if f["series"][k].ndim == 2)


def series(f, name):
    """/series/NAME as [task][observation]; an unknown name lists the known ones."""
    require(f, "series", "not written by 'mcmsim run'")
    if name not in f["series"] or f["series"][name].ndim != 2:
        raise PostError("%s: no column '%s' in /series (columns: %s)"
                        % (f.filename, name, ", ".join(series_names(f))))
    return f["series"][name][()]


def final(f, name):
    """The column NAME of /summary/final (the last observation of every task)."""
    require(f, "summary/final", "not written by 'mcmsim run'")
    ds = f["summary/final"]
    cols = [c.strip() for c in text(ds.attrs["columns"]).split(",")]
    if name not in cols:
        raise PostError("%s: no column '%s' in /summary/final (columns: %s)"
                        % (f.filename, name, ", ".join(cols)))
    return ds[:, cols.index(name)]


def tasks(f):
    """The task table: dict of d, replica, combo arrays, and the sweep values by key."""
    require(f, "tasks/d", "no task table")
    t = {k: f["tasks/" + k][()] for k in ("d", "replica", "combo")}
    vals = f["tasks/values"]
    keys = [k.strip() for k in text(vals.attrs["keys"]).split(",")]
    t["values"] = {k: vals[:, i] for i, k in enumerate(keys)}
    return t


def swept_keys(f):
    """Sweep keys whose values differ between tasks (the ones worth a column or a label)."""
    vals = tasks(f)["values"]
    return [k for k, v in vals.items() if len(np.unique(v)) > 1]


def combo_label(f, combo):
    t = tasks(f)
    rows = np.where(t["combo"] == combo)[0]
    if len(rows) == 0:
        raise PostError("%s: no task has sweep combination %d" % (f.filename, combo))
    return ", ".join("%s = %g" % (k.split(".")[-1], t["values"][k][rows[0]]) for k in swept_keys(f))


def name(f):
    """A short name for titles: the configuration file's stem."""
    cf = text(f["config"].attrs.get("config_file", f.filename))
    return cf.rsplit("/", 1)[-1].rsplit(".", 1)[0]
