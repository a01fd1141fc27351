/* h5out — HDF5 output, schema v1; see include/h5out.h. */
#include "io/h5out.h"

#include "base/log.h"
#include "base/version.h"
#include "parallel/par.h"
#include "parallel/h5chk.h"

#include <gsl/gsl_version.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void h5out_now_utc(char *buf, size_t len)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Rank 0's text on every rank: attributes must be identical across ranks. */
static void h5out_bcast_text(char *buf, int len)
{
    PAR_MPI(MPI_Bcast(buf, len, MPI_CHAR, 0, MPI_COMM_WORLD));
}

static void h5out_attr(hid_t loc, const char *obj, const char *name, hid_t type, const void *v)
{
    hid_t space = H5Screate(H5S_SCALAR);
    H5CHK(space);
    if (H5Aexists_by_name(loc, obj, name, H5P_DEFAULT) > 0)
        H5CHK(H5Adelete_by_name(loc, obj, name, H5P_DEFAULT));
    hid_t a = H5Acreate_by_name(loc, obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5CHK(a);
    H5CHK(H5Awrite(a, type, v));
    H5CHK(H5Aclose(a));
    H5CHK(H5Sclose(space));
}

void h5out_attr_str(hid_t loc, const char *obj, const char *name, const char *value)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5CHK(t);
    H5CHK(H5Tset_size(t, strlen(value) + 1));
    H5CHK(H5Tset_strpad(t, H5T_STR_NULLTERM));
    h5out_attr(loc, obj, name, t, value);
    H5CHK(H5Tclose(t));
}

void h5out_attr_double(hid_t loc, const char *obj, const char *name, double value)
{
    h5out_attr(loc, obj, name, H5T_NATIVE_DOUBLE, &value);
}

void h5out_attr_long(hid_t loc, const char *obj, const char *name, long value)
{
    h5out_attr(loc, obj, name, H5T_NATIVE_LONG, &value);
}

static void h5out_provenance(h5out_file *f, const char *command)
{
    char host[256] = {0}, when[64] = {0}, mpiv[MPI_MAX_LIBRARY_VERSION_STRING] = {0}, h5v[64];
    int len = 0;
    unsigned maj, min, rel;
    gethostname(host, sizeof host - 1);
    h5out_now_utc(when, sizeof when);
    h5out_bcast_text(host, sizeof host);
    h5out_bcast_text(when, sizeof when);
    MPI_Get_library_version(mpiv, &len);
    h5out_bcast_text(mpiv, sizeof mpiv);
    H5get_libversion(&maj, &min, &rel);
    snprintf(h5v, sizeof h5v, "%u.%u.%u", maj, min, rel);
    hid_t r = f->file;
    h5out_attr_long(r, ".", "schema_version", H5OUT_SCHEMA_VERSION);
    h5out_attr_str(r, ".", "code", "mcmsim");
    h5out_attr_str(r, ".", "code_version", version_code);
    h5out_attr_str(r, ".", "git_describe", version_describe);
    h5out_attr_str(r, ".", "git_commit", version_commit);
    h5out_attr_long(r, ".", "git_dirty", version_dirty);
    h5out_attr_str(r, ".", "compiler", version_compiler);
    h5out_attr_str(r, ".", "cflags", version_cflags);
    h5out_attr_str(r, ".", "hdf5_version", h5v);
    h5out_attr_str(r, ".", "mpi_version", mpiv);
    h5out_attr_str(r, ".", "gsl_version", gsl_version);
    h5out_attr_str(r, ".", "hostname", host);
    h5out_attr_str(r, ".", "command", command);
    h5out_attr_str(r, ".", "start_time_utc", when);
    h5out_attr_str(r, ".", "end_time_utc", "");
    h5out_attr_long(r, ".", "n_ranks", log_size());
    h5out_attr_long(r, ".", "complete", 0);
}

static void h5out_config(h5out_file *f, const cfg_resolved *cfg)
{
    h5out_group(f, "/config",
                "every resolved configuration key as an attribute "
                "(section.key), and the raw configuration text");
    hid_t g = H5Gopen2(f->file, "/config", H5P_DEFAULT);
    H5CHK(g);
    char name[128], value[CFG_LIST_MAX * 24];
    for (int i = 0; i < cfg_schema_n; i++) {
        snprintf(name, sizeof name, "%s.%s", cfg_schema[i].section, cfg_schema[i].key);
        cfg_format_value(&cfg->v, i, value, sizeof value);
        h5out_attr_str(g, ".", name, value);
    }
    h5out_attr_str(g, ".", "config_file", cfg->file);
    H5CHK(H5Gclose(g));
    hid_t t = H5Tcopy(H5T_C_S1);
    H5CHK(t);
    H5CHK(H5Tset_size(t, strlen(cfg->raw) + 1));
    hsize_t one = 1;
    h5out_write_all(f, "/config/raw", t, 1, &one, cfg->raw, "configuration file text as read", "");
    H5CHK(H5Tclose(t));
}

void h5out_create(h5out_file *f, const char *path, const cfg_resolved *cfg, const char *command)
{
    memset(f, 0, sizeof *f);
    if (snprintf(f->path, sizeof f->path, "%s", path) >= (int)sizeof f->path ||
        snprintf(f->partial, sizeof f->partial, "%s.partial", path) >= (int)sizeof f->partial)
        LOG_DIE_COLL(LOG_EXIT_USAGE, "output path too long: %s", path);
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5CHK(fapl);
    H5CHK(H5Pset_fapl_mpio(fapl, MPI_COMM_WORLD, MPI_INFO_NULL));
    H5CHK(H5Pset_all_coll_metadata_ops(fapl, 1));
    H5CHK(H5Pset_coll_metadata_write(fapl, 1));
    f->file = H5Fcreate(f->partial, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    H5CHK(H5Pclose(fapl));
    /* H5Fcreate is collective: every rank sees the same failure. */
    if (f->file < 0)
        LOG_DIE_COLL(LOG_EXIT_USAGE,
                     "cannot create output file '%s' (directory missing or not "
                     "writable?)",
                     f->partial);
    f->dxpl = H5Pcreate(H5P_DATASET_XFER);
    H5CHK(f->dxpl);
    H5CHK(H5Pset_dxpl_mpio(f->dxpl, H5FD_MPIO_COLLECTIVE));
    h5out_provenance(f, command);
    h5out_config(f, cfg);
    /* On disk at once: a job killed later leaves a readable file that says complete = 0. */
    H5CHK(H5Fflush(f->file, H5F_SCOPE_GLOBAL));
}

/* Byte copy of a file (rank 0), 0 on success. */
static int h5out_copy(const char *src, const char *dst)
{
    FILE *in = fopen(src, "rb"), *out = in ? fopen(dst, "wb") : NULL;
    char buf[1 << 16];
    size_t n;
    int bad = !in || !out;
    while (!bad && (n = fread(buf, 1, sizeof buf, in)) > 0)
        bad = fwrite(buf, 1, n, out) != n;
    bad |= in && ferror(in);
    if (in) fclose(in);
    if (out && fclose(out) != 0) bad = 1;
    return bad;
}

void h5out_reopen(h5out_file *f, const char *src, const char *path)
{
    memset(f, 0, sizeof *f);
    if (snprintf(f->path, sizeof f->path, "%s", path) >= (int)sizeof f->path ||
        snprintf(f->partial, sizeof f->partial, "%s.partial", path) >= (int)sizeof f->partial)
        LOG_DIE_COLL(LOG_EXIT_USAGE, "output path too long: %s", path);
    int bad = log_rank() == 0 ? h5out_copy(src, f->partial) : 0;
    PAR_MPI(MPI_Bcast(&bad, 1, MPI_INT, 0, MPI_COMM_WORLD));
    if (bad) LOG_DIE_COLL(LOG_EXIT_USAGE, "cannot copy '%s' to '%s'", src, f->partial);
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5CHK(fapl);
    H5CHK(H5Pset_fapl_mpio(fapl, MPI_COMM_WORLD, MPI_INFO_NULL));
    H5CHK(H5Pset_all_coll_metadata_ops(fapl, 1));
    H5CHK(H5Pset_coll_metadata_write(fapl, 1));
    f->file = H5Fopen(f->partial, H5F_ACC_RDWR, fapl);
    H5CHK(H5Pclose(fapl));
    if (f->file < 0) LOG_DIE_COLL(LOG_EXIT_USAGE, "cannot open '%s' as HDF5", f->partial);
    f->dxpl = H5Pcreate(H5P_DATASET_XFER);
    H5CHK(f->dxpl);
    H5CHK(H5Pset_dxpl_mpio(f->dxpl, H5FD_MPIO_COLLECTIVE));
    h5out_attr_long(f->file, ".", "complete", 0);
    H5CHK(H5Fflush(f->file, H5F_SCOPE_GLOBAL));
}

void h5out_remove(h5out_file *f, const char *path)
{
    if (H5Lexists(f->file, path, H5P_DEFAULT) > 0) H5CHK(H5Ldelete(f->file, path, H5P_DEFAULT));
}

void h5out_finish(h5out_file *f)
{
    char when[64] = {0};
    h5out_now_utc(when, sizeof when);
    h5out_bcast_text(when, sizeof when);
    h5out_attr_str(f->file, ".", "end_time_utc", when);
    H5CHK(H5Fflush(f->file, H5F_SCOPE_GLOBAL));
    h5out_attr_long(f->file, ".", "complete", 1);
    H5CHK(H5Pclose(f->dxpl));
    H5CHK(H5Fclose(f->file));
    if (log_rank() == 0 && rename(f->partial, f->path) != 0)
        LOG_DIE("cannot rename '%s' to '%s'", f->partial, f->path);
    PAR_MPI(MPI_Barrier(MPI_COMM_WORLD));
}

void h5out_group(h5out_file *f, const char *path, const char *description)
{
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5CHK(lcpl);
    H5CHK(H5Pset_create_intermediate_group(lcpl, 1));
    hid_t g = H5Gcreate2(f->file, path, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    H5CHK(g);
    h5out_attr_str(g, ".", "description", description);
    H5CHK(H5Gclose(g));
    H5CHK(H5Pclose(lcpl));
}

hid_t h5out_create_dataset(h5out_file *f, const char *path, hid_t type, int rank,
                           const hsize_t *dims, const char *description, const char *units)
{
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5CHK(lcpl);
    H5CHK(H5Pset_create_intermediate_group(lcpl, 1));
    hid_t space = H5Screate_simple(rank, dims, NULL);
    H5CHK(space);
    hid_t ds = H5Dcreate2(f->file, path, type, space, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    H5CHK(ds);
    h5out_attr_str(ds, ".", "description", description);
    h5out_attr_str(ds, ".", "units", units);
    H5CHK(H5Sclose(space));
    H5CHK(H5Pclose(lcpl));
    return ds;
}

void h5out_write_slab(h5out_file *f, hid_t ds, hid_t type, hsize_t row0, hsize_t stride,
                      hsize_t nrows, const void *buf)
{
    static const double dummy = 0;
    hid_t fs = H5Dget_space(ds);
    H5CHK(fs);
    int rank = H5Sget_simple_extent_ndims(fs);
    H5CHK(rank);
    hsize_t dims[H5S_MAX_RANK], start[H5S_MAX_RANK] = {0}, str[H5S_MAX_RANK], cnt[H5S_MAX_RANK];
    hsize_t blk[H5S_MAX_RANK];
    H5CHK(H5Sget_simple_extent_dims(fs, dims, NULL));
    for (int i = 0; i < rank; i++) {
        str[i] = 1;
        cnt[i] = 1;
        blk[i] = dims[i];
    }
    /* Rows row0, row0 + stride, ...: one-row blocks along dimension 0. */
    start[0] = row0;
    str[0] = stride > 0 ? stride : 1;
    cnt[0] = nrows;
    blk[0] = 1;
    dims[0] = nrows > 0 ? nrows : 1;
    hid_t ms = H5Screate_simple(rank, dims, NULL);
    H5CHK(ms);
    if (nrows > 0) {
        H5CHK(H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, str, cnt, blk));
    } else {
        H5CHK(H5Sselect_none(fs));
        H5CHK(H5Sselect_none(ms));
        buf = &dummy;
    }
    H5CHK(H5Dwrite(ds, type, ms, fs, f->dxpl, buf));
    H5CHK(H5Sclose(ms));
    H5CHK(H5Sclose(fs));
}

void h5out_write_rows(h5out_file *f, const char *path, hid_t type, int rank, const hsize_t *dims,
                      hsize_t row0, hsize_t stride, hsize_t nrows, const void *buf,
                      const char *description, const char *units)
{
    hid_t ds = h5out_create_dataset(f, path, type, rank, dims, description, units);
    h5out_write_slab(f, ds, type, row0, stride, nrows, buf);
    H5CHK(H5Dclose(ds));
}

void h5out_write_all(h5out_file *f, const char *path, hid_t type, int rank, const hsize_t *dims,
                     const void *buf, const char *description, const char *units)
{
    int mine = log_rank() == 0;
    h5out_write_rows(f, path, type, rank, dims, 0, 1, mine ? dims[0] : 0, buf, description, units);
}

void h5out_write_rowlist(h5out_file *f, const char *path, hid_t type, int rank, const hsize_t *dims,
                         const hsize_t *rows, hsize_t nrows, const void *buf,
                         const char *description, const char *units)
{
    static const double dummy = 0;
    hid_t ds = h5out_create_dataset(f, path, type, rank, dims, description, units);
    hid_t fs = H5Dget_space(ds);
    H5CHK(fs);
    hsize_t start[H5S_MAX_RANK] = {0}, cnt[H5S_MAX_RANK], mdims[H5S_MAX_RANK];
    for (int i = 0; i < rank; i++)
        cnt[i] = dims[i], mdims[i] = dims[i];
    cnt[0] = 1;
    mdims[0] = nrows > 0 ? nrows : 1;
    H5CHK(H5Sselect_none(fs));
    for (hsize_t r = 0; r < nrows; r++) {
        start[0] = rows[r];
        H5CHK(H5Sselect_hyperslab(fs, H5S_SELECT_OR, start, NULL, cnt, NULL));
    }
    hid_t ms = H5Screate_simple(rank, mdims, NULL);
    H5CHK(ms);
    if (nrows == 0) {
        H5CHK(H5Sselect_none(ms));
        buf = &dummy;
    }
    H5CHK(H5Dwrite(ds, type, ms, fs, f->dxpl, buf));
    H5CHK(H5Sclose(ms));
    H5CHK(H5Sclose(fs));
    H5CHK(H5Dclose(ds));
}

void h5out_abandon(h5out_file *f)
{
    H5CHK(H5Pclose(f->dxpl));
    H5CHK(H5Fclose(f->file));
    if (log_rank() == 0) remove(f->partial);
    PAR_MPI(MPI_Barrier(MPI_COMM_WORLD));
}
