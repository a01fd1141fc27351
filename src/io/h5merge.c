/* h5merge — reading run outputs and assembling their task rows; see include/io/h5merge.h. */
#include "io/h5merge.h"

#include "base/log.h"
#include "parallel/h5chk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int h5merge_attr_text(hid_t loc, const char *obj, const char *name, char *buf, size_t len)
{
    buf[0] = 0;
    if (H5Aexists_by_name(loc, obj, name, H5P_DEFAULT) <= 0) return -1;
    hid_t at = H5Aopen_by_name(loc, obj, name, H5P_DEFAULT, H5P_DEFAULT);
    H5CHK(at);
    hid_t t = H5Aget_type(at);
    H5CHK(t);
    int bad = H5Tget_class(t) != H5T_STRING || H5Tis_variable_str(t) > 0 || H5Tget_size(t) >= len;
    if (!bad) {
        memset(buf, 0, len);
        H5CHK(H5Aread(at, t, buf));
    }
    H5CHK(H5Tclose(t));
    H5CHK(H5Aclose(at));
    return bad ? -1 : 0;
}

int h5merge_text(hid_t fid, const char *path, char *buf, size_t len)
{
    buf[0] = 0;
    if (H5Lexists(fid, path, H5P_DEFAULT) <= 0) return -1;
    hid_t ds = H5Dopen2(fid, path, H5P_DEFAULT);
    H5CHK(ds);
    hid_t t = H5Dget_type(ds);
    H5CHK(t);
    hid_t sp = H5Dget_space(ds);
    H5CHK(sp);
    int bad = H5Tget_class(t) != H5T_STRING || H5Tis_variable_str(t) > 0 || H5Tget_size(t) >= len ||
              H5Sget_simple_extent_npoints(sp) != 1;
    if (!bad) {
        memset(buf, 0, len);
        H5CHK(H5Dread(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf));
    }
    H5CHK(H5Sclose(sp));
    H5CHK(H5Tclose(t));
    H5CHK(H5Dclose(ds));
    return bad ? -1 : 0;
}

int h5merge_open(h5merge_in *in, const char *path, char *why, size_t len)
{
    memset(in, 0, sizeof *in);
    in->path = path;
    in->fid = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (in->fid < 0) {
        snprintf(why, len, "'%s' cannot be opened as HDF5", path);
        return -1;
    }
    long complete = 0;
    if (H5Aexists(in->fid, "complete") > 0) {
        hid_t at = H5Aopen(in->fid, "complete", H5P_DEFAULT);
        H5CHK(at);
        H5CHK(H5Aread(at, H5T_NATIVE_LONG, &complete));
        H5CHK(H5Aclose(at));
    }
    char cmd[32];
    const char *bad = NULL;
    if (complete != 1)
        bad = "is not complete (complete != 1: a run that was stopped or killed)";
    else if (h5merge_attr_text(in->fid, ".", "command", cmd, sizeof cmd) || strcmp(cmd, "run"))
        bad = "was not written by 'mcmsim run'";
    else if (H5Lexists(in->fid, "/tasks", H5P_DEFAULT) <= 0 ||
             H5Lexists(in->fid, "/tasks/id", H5P_DEFAULT) <= 0)
        bad = "has no task table /tasks/id";
    if (bad) {
        snprintf(why, len, "'%s' %s", path, bad);
        H5CHK(H5Fclose(in->fid));
        return -1;
    }
    hid_t ds = H5Dopen2(in->fid, "/tasks/id", H5P_DEFAULT);
    H5CHK(ds);
    hid_t sp = H5Dget_space(ds);
    H5CHK(sp);
    in->ntask = (int)H5Sget_simple_extent_npoints(sp);
    in->id = LOG_CALLOC((size_t)in->ntask + 1, sizeof(uint64_t));
    H5CHK(H5Dread(ds, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, in->id));
    H5CHK(H5Sclose(sp));
    H5CHK(H5Dclose(ds));
    return 0;
}

void h5merge_close(h5merge_in *in)
{
    if (in->fid > 0) H5CHK(H5Fclose(in->fid));
    free(in->id);
    memset(in, 0, sizeof *in);
}

void h5merge_copy_attr(hid_t src, const char *sobj, hid_t dst, const char *dobj, const char *name)
{
    hid_t at = H5Aopen_by_name(src, sobj, name, H5P_DEFAULT, H5P_DEFAULT);
    H5CHK(at);
    hid_t t = H5Aget_type(at), sp = H5Aget_space(at);
    H5CHK(t);
    H5CHK(sp);
    size_t n = (size_t)H5Sget_simple_extent_npoints(sp) * H5Tget_size(t);
    void *buf = LOG_CALLOC(n + 1, 1);
    H5CHK(H5Aread(at, t, buf));
    if (H5Aexists_by_name(dst, dobj, name, H5P_DEFAULT) > 0)
        H5CHK(H5Adelete_by_name(dst, dobj, name, H5P_DEFAULT));
    hid_t out = H5Acreate_by_name(dst, dobj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5CHK(out);
    H5CHK(H5Awrite(out, t, buf));
    H5CHK(H5Aclose(out));
    free(buf);
    H5CHK(H5Sclose(sp));
    H5CHK(H5Tclose(t));
    H5CHK(H5Aclose(at));
}

/* The names of the links in group grp (H5Literate collects, the caller frees). */
typedef struct {
    int n;
    char name[256][128];
} h5merge_names;

static herr_t h5merge_name_cb(hid_t g, const char *name, const H5L_info_t *info, void *data)
{
    (void)g, (void)info;
    h5merge_names *nm = data;
    if (nm->n == 256) return -1;
    snprintf(nm->name[nm->n++], sizeof nm->name[0], "%s", name);
    return 0;
}

static herr_t h5merge_attr_cb(hid_t loc, const char *name, const H5A_info_t *info, void *data)
{
    (void)info;
    const hid_t *dst = data;
    if (strcmp(name, "description") != 0 && strcmp(name, "units") != 0)
        h5merge_copy_attr(loc, ".", *dst, ".", name);
    return 0;
}

/* Reads the rows of dataset path of input j into out at the rows of map[j]; checks the shape
 * against the first input's (rank, dims[1..]) and the row count against the task table. */
static int h5merge_rows_of(const h5merge_in *in, const int *map, const char *path, hid_t type,
                           int rank, const hsize_t *dims, unsigned char *out, char *why, size_t len)
{
    if (H5Lexists(in->fid, path, H5P_DEFAULT) <= 0) {
        snprintf(why, len, "'%s' has no %s", in->path, path);
        return -1;
    }
    hid_t ds = H5Dopen2(in->fid, path, H5P_DEFAULT);
    H5CHK(ds);
    hid_t sp = H5Dget_space(ds), ft = H5Dget_type(ds);
    H5CHK(sp);
    H5CHK(ft);
    hsize_t dj[H5S_MAX_RANK];
    int rj = H5Sget_simple_extent_dims(sp, dj, NULL),
        bad = rj != rank || dj[0] != (hsize_t)in->ntask;
    for (int i = 1; !bad && i < rank; i++)
        bad = dj[i] != dims[i];
    hid_t nt = H5Tget_native_type(ft, H5T_DIR_ASCEND);
    bad |= H5Tequal(nt, type) <= 0;
    size_t row = H5Tget_size(type);
    for (int i = 1; i < rank; i++)
        row *= (size_t)dims[i];
    if (!bad) {
        unsigned char *buf = LOG_CALLOC((size_t)in->ntask * row + 1, 1);
        H5CHK(H5Dread(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf));
        for (int r = 0; r < in->ntask; r++)
            memcpy(out + (size_t)map[r] * row, buf + (size_t)r * row, row);
        free(buf);
    } else
        snprintf(why, len, "'%s': %s has another type or shape than in the first input", in->path,
                 path);
    H5CHK(H5Tclose(nt));
    H5CHK(H5Tclose(ft));
    H5CHK(H5Sclose(sp));
    H5CHK(H5Dclose(ds));
    return bad ? -1 : 0;
}

void *h5merge_assemble(const h5merge_in *in, int nin, int *const *map, int ntask, const char *path,
                       hid_t *type, int *rank, hsize_t *dims, char *why, size_t len)
{
    if (H5Lexists(in[0].fid, path, H5P_DEFAULT) <= 0) {
        snprintf(why, len, "'%s' has no %s", in[0].path, path);
        return NULL;
    }
    hid_t ds = H5Dopen2(in[0].fid, path, H5P_DEFAULT);
    H5CHK(ds);
    hid_t sp = H5Dget_space(ds), ft = H5Dget_type(ds);
    H5CHK(sp);
    H5CHK(ft);
    *rank = H5Sget_simple_extent_dims(sp, dims, NULL);
    H5CHK(*rank);
    *type = H5Tget_native_type(ft, H5T_DIR_ASCEND);
    H5CHK(*type);
    H5CHK(H5Tclose(ft));
    H5CHK(H5Sclose(sp));
    H5CHK(H5Dclose(ds));
    size_t row = H5Tget_size(*type);
    for (int i = 1; i < *rank; i++)
        row *= (size_t)dims[i];
    if (*rank < 1 || H5Tdetect_class(*type, H5T_VLEN) > 0 || H5Tis_variable_str(*type) > 0) {
        snprintf(why, len, "'%s': %s is not a per-task array", in[0].path, path);
        H5CHK(H5Tclose(*type));
        return NULL;
    }
    dims[0] = (hsize_t)ntask;
    unsigned char *out = LOG_CALLOC((size_t)ntask * row + 1, 1);
    for (int j = 0; j < nin; j++)
        if (h5merge_rows_of(&in[j], map[j], path, *type, *rank, dims, out, why, len)) {
            free(out);
            H5CHK(H5Tclose(*type));
            return NULL;
        }
    return out;
}

int h5merge_group(h5out_file *f, const char *grp, const h5merge_in *in, int nin, int *const *map,
                  int ntask, char *why, size_t len)
{
    static h5merge_names nm; /* 32 KiB: not on the stack */
    nm.n = 0;
    hid_t g = H5Gopen2(in[0].fid, grp, H5P_DEFAULT);
    H5CHK(g);
    H5CHK(H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, NULL, h5merge_name_cb, &nm));
    H5CHK(H5Gclose(g));
    for (int j = 1; j < nin; j++) {
        H5G_info_t gi;
        if (H5Lexists(in[j].fid, grp, H5P_DEFAULT) <= 0 ||
            H5Gget_info_by_name(in[j].fid, grp, &gi, H5P_DEFAULT) < 0 ||
            gi.nlinks != (hsize_t)nm.n) {
            snprintf(why, len, "'%s': group %s differs from the first input's", in[j].path, grp);
            return -1;
        }
    }
    char desc[1024], units[256], path[512];
    h5merge_attr_text(in[0].fid, grp, "description", desc, sizeof desc);
    h5out_group(f, grp, desc);
    for (int i = 0; i < nm.n; i++) {
        snprintf(path, sizeof path, "%s/%s", grp, nm.name[i]);
        hid_t type;
        int rank;
        hsize_t dims[H5S_MAX_RANK];
        void *buf = h5merge_assemble(in, nin, map, ntask, path, &type, &rank, dims, why, len);
        if (!buf) return -1;
        h5merge_attr_text(in[0].fid, path, "description", desc, sizeof desc);
        h5merge_attr_text(in[0].fid, path, "units", units, sizeof units);
        h5out_write_all(f, path, type, rank, dims, buf, desc, units);
        hid_t src = H5Dopen2(in[0].fid, path, H5P_DEFAULT),
              dst = H5Dopen2(f->file, path, H5P_DEFAULT);
        H5CHK(src);
        H5CHK(dst);
        H5CHK(H5Aiterate2(src, H5_INDEX_NAME, H5_ITER_INC, NULL, h5merge_attr_cb, &dst));
        H5CHK(H5Dclose(dst));
        H5CHK(H5Dclose(src));
        H5CHK(H5Tclose(type));
        free(buf);
    }
    return 0;
}

int h5merge_unknown_member(hid_t fid, const char *const *known, int nk, char *name, size_t len)
{
    static h5merge_names nm;
    nm.n = 0;
    H5CHK(H5Literate(fid, H5_INDEX_NAME, H5_ITER_INC, NULL, h5merge_name_cb, &nm));
    for (int i = 0; i < nm.n; i++) {
        int hit = 0;
        for (int k = 0; k < nk && !hit; k++)
            hit = !strcmp(nm.name[i], known[k]);
        if (!hit) return snprintf(name, len, "/%s", nm.name[i]), 1;
    }
    return 0;
}

void h5merge_copy(h5out_file *f, hid_t src, const char *path)
{
    H5CHK(H5Ocopy(src, path, f->file, path, H5P_DEFAULT, H5P_DEFAULT));
}
