/* ckpt_file — the checkpoint file protocol (write in memory, write(2), verify, fsync, rename,
 * index; restart with fallbacks); the records are packed in ckpt.c. See include/ckpt.h. */
#include "io/ckpt.h"

#include "base/log.h"
#include "base/version.h"
#include "parallel/par.h"

#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static uint64_t ckpt_fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ULL;
    return h;
}

uint64_t ckpt_fingerprint(const void *p, size_t n)
{
    return ckpt_fnv(1469598103934665603ULL, p, n);
}

static uint64_t ckpt_checksum(const uint64_t *off, size_t nblob, const double *data)
{
    uint64_t h = ckpt_fnv(1469598103934665603ULL, off, (nblob + 1) * sizeof *off);
    return ckpt_fnv(h, data, off[nblob] * sizeof *data);
}

/* A failed step of the write: the reason goes to msg, the caller reports it collectively. */
#define CK(call, what)                                                                             \
    do {                                                                                           \
        if ((long long)(call) < 0) {                                                               \
            snprintf(msg, 512, "%s failed (disk full or not writable?)", what);                    \
            goto fail;                                                                             \
        }                                                                                          \
    } while (0)

static int ck_attr(hid_t loc, const char *name, hid_t type, const void *v)
{
    hid_t sp = H5Screate(H5S_SCALAR), a = H5Acreate2(loc, name, type, sp, H5P_DEFAULT, H5P_DEFAULT);
    int bad = a < 0 || H5Awrite(a, type, v) < 0;
    if (a >= 0) H5Aclose(a);
    H5Sclose(sp);
    return bad ? -1 : 0;
}

static int ck_attr_str(hid_t loc, const char *name, const char *v)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, strlen(v) + 1);
    int bad = ck_attr(loc, name, t, v);
    H5Tclose(t);
    return bad;
}

static int ck_dataset(hid_t f, const char *name, hid_t type, hsize_t n, const void *buf)
{
    hsize_t dims = n > 0 ? n : 1;
    hid_t sp = H5Screate_simple(1, &dims, NULL);
    hid_t d = H5Dcreate2(f, name, type, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int bad = d < 0 || (n > 0 && H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0);
    if (d >= 0) bad |= H5Dclose(d) < 0;
    H5Sclose(sp);
    return bad ? -1 : 0;
}

static int ck_config(hid_t f, const cfg_resolved *cr)
{
    hid_t g = H5Gcreate2(f, "config", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) return -1;
    char name[128], value[CFG_LIST_MAX * 32];
    int bad = 0;
    for (int i = 0; i < cfg_schema_n && !bad; i++) {
        snprintf(name, sizeof name, "%s.%s", cfg_schema[i].section, cfg_schema[i].key);
        cfg_format_value(&cr->v, i, value, sizeof value);
        bad = ck_attr_str(g, name, value);
    }
    H5Gclose(g);
    return bad;
}

/* Test hooks, halfway through writing a checkpoint file: MCMSIM_TEST_CKPT_PAUSE=SECONDS sleeps
 * (so that kills land there); MCMSIM_TEST_CKPT_CRASH=N kills the process during checkpoint N,
 * leaving a truncated DIR/STEM.tmp. */
static void ck_test_hooks(long seq)
{
    const char *p = getenv("MCMSIM_TEST_CKPT_PAUSE"), *c = getenv("MCMSIM_TEST_CKPT_CRASH");
    if (p) usleep((useconds_t)(atof(p) * 1e6));
    if (c && atol(c) == seq) raise(SIGKILL);
}

/* Writes n bytes to a new file `path` with POSIX calls (the test hooks fire halfway, so a kill
 * leaves a truncated file) and fsyncs it. */
static int ck_write_bytes(const char *path, const char *buf, size_t n, long seq, char *msg)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return snprintf(msg, 512, "creating %s failed: %s", path, strerror(errno)), -1;
    size_t done = 0, half = n / 2;
    int hooked = 0;
    while (done < n) {
        if (!hooked && done >= half) ck_test_hooks(seq), hooked = 1;
        size_t chunk = hooked ? n - done : half - done;
        ssize_t w = write(fd, buf + done, chunk);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            snprintf(msg, 512, "writing %s failed: %s", path, w < 0 ? strerror(errno) : "no space");
            close(fd);
            return -1;
        }
        done += (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0)
        return snprintf(msg, 512, "syncing %s failed: %s", path, strerror(errno)), -1;
    return 0;
}

/* Rank 0: builds the checkpoint in memory (HDF5 core driver, no backing store), stamping the
 * checksum and complete last, then writes the image to `tmp`. HDF5 never sees a failing disk:
 * a full disk is a failed write(2) with a clear reason, and no half-closed HDF5 file is left to
 * the library's cleanup at exit. */
static int ck_write_file(const char *tmp, const cfg_resolved *cr, long seq, uint64_t fp,
                         const uint64_t *off, size_t nblob, const double *data, char *msg)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_fapl_core(fapl, (size_t)1 << 20, 0);
    hid_t f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    H5Pclose(fapl);
    char *image = NULL;
    CK(f, "creating the checkpoint image");
    long ver = CKPT_VERSION, one = 1;
    uint64_t sum = ckpt_checksum(off, nblob, data);
    unsigned long long nb = nblob;
    CK(ck_attr(f, "ckpt_version", H5T_NATIVE_LONG, &ver), "writing the version");
    CK(ck_attr(f, "seq", H5T_NATIVE_LONG, &seq), "writing the sequence number");
    CK(ck_attr(f, "data_fingerprint", H5T_NATIVE_UINT64, &fp), "writing the data fingerprint");
    CK(ck_attr(f, "n_blob", H5T_NATIVE_ULLONG, &nb), "writing the record count");
    CK(ck_attr_str(f, "code_version", version_describe), "writing the code version");
    CK(ck_config(f, cr), "writing the configuration");
    CK(ck_dataset(f, "blob_offset", H5T_NATIVE_UINT64, nblob + 1, off), "writing the offsets");
    CK(ck_dataset(f, "blob_data", H5T_NATIVE_DOUBLE, off[nblob], data), "writing the records");
    CK(ck_attr(f, "checksum", H5T_NATIVE_UINT64, &sum), "writing the checksum");
    CK(ck_attr(f, "complete", H5T_NATIVE_LONG, &one), "stamping the checkpoint complete");
    CK(H5Fflush(f, H5F_SCOPE_GLOBAL), "flushing the image");
    ssize_t n = H5Fget_file_image(f, NULL, 0);
    CK(n, "sizing the image");
    image = LOG_CALLOC((size_t)n, 1);
    CK(H5Fget_file_image(f, image, (size_t)n), "copying the image");
    CK(H5Fclose(f), "closing the image");
    f = -1;
    int rc = ck_write_bytes(tmp, image, (size_t)n, seq, msg);
    free(image);
    return rc;
fail:
    if (f >= 0) H5Fclose(f);
    free(image);
    return -1;
}

static int ck_read_attr(hid_t loc, const char *name, hid_t type, void *v)
{
    if (H5Aexists(loc, name) <= 0) return -1;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    int bad = a < 0 || H5Aread(a, type, v) < 0;
    if (a >= 0) H5Aclose(a);
    return bad ? -1 : 0;
}

static double *ck_read_doubles(hid_t f, const char *name, hid_t type, size_t elem, size_t *n)
{
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    if (d < 0) return NULL;
    hid_t sp = H5Dget_space(d);
    hssize_t np = H5Sget_simple_extent_npoints(sp);
    void *buf = np > 0 ? LOG_CALLOC((size_t)np, elem) : NULL;
    if (buf && H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) free(buf), buf = NULL;
    H5Sclose(sp);
    H5Dclose(d);
    *n = np > 0 ? (size_t)np : 0;
    return buf;
}

/* Configuration keys of the checkpoint against the run's: FIXED differences are listed and
 * fatal, CHANGEABLE ones logged. Returns the number of FIXED differences. */
static int ck_compare_config(hid_t f, const cfg_resolved *cr, char *msg)
{
    hid_t g = H5Gopen2(f, "config", H5P_DEFAULT);
    if (g < 0) return 0;
    int nfix = 0;
    size_t used = 0;
    for (int i = 0; i < cfg_schema_n; i++) {
        char name[128], old[CFG_LIST_MAX * 32] = "", now[CFG_LIST_MAX * 32];
        snprintf(name, sizeof name, "%s.%s", cfg_schema[i].section, cfg_schema[i].key);
        hid_t t = H5Tcopy(H5T_C_S1);
        H5Tset_size(t, sizeof old);
        int absent = ck_read_attr(g, name, t, old) != 0;
        H5Tclose(t);
        cfg_format_value(&cr->v, i, now, sizeof now);
        if (absent || !strcmp(old, now)) continue;
        if (cfg_schema[i].restart == CFG_FIXED) {
            nfix++;
            used += (size_t)snprintf(msg + used, used < 2048 ? 2048 - used : 0,
                                     "\n  %s: checkpoint '%s', now '%s' (FIXED on restart)", name,
                                     old, now);
        } else {
            log_info("restart: %s changed from '%s' to '%s' (CHANGEABLE)\n", name, old, now);
        }
    }
    H5Gclose(g);
    return nfix;
}

/* Rank 0: reads and verifies one checkpoint. 0: valid; -1: unusable (the reason in msg, try an
 * older one); -2: FIXED keys differ (msg lists them). */
static int ck_read_file(const char *path, const cfg_resolved *cr, uint64_t fp, ckpt_set *set,
                        char *msg)
{
    uint64_t fp_old = 0;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return snprintf(msg, 2048, "cannot be opened (truncated or not HDF5)"), -1;
    long ver = 0, complete = 0, seq = 0;
    uint64_t sum = 0;
    int rc = -1;
    size_t noff = 0, ndata = 0;
    uint64_t *off = NULL;
    double *data = NULL;
    if (ck_read_attr(f, "ckpt_version", H5T_NATIVE_LONG, &ver) || ver != CKPT_VERSION)
        snprintf(msg, 2048, "has checkpoint version %ld, expected %d%s", ver, CKPT_VERSION,
                 ver < CKPT_VERSION ? " (an older mcmsim: its random streams or state differ, so "
                                      "it cannot be continued; rerun from the start)"
                                    : "");
    else if (ck_read_attr(f, "complete", H5T_NATIVE_LONG, &complete) || complete != 1)
        snprintf(msg, 2048, "is not stamped complete (interrupted while written)");
    else if (ck_read_attr(f, "checksum", H5T_NATIVE_UINT64, &sum) ||
             ck_read_attr(f, "seq", H5T_NATIVE_LONG, &seq))
        snprintf(msg, 2048, "lacks its checksum");
    else if (!(off = (uint64_t *)ck_read_doubles(f, "blob_offset", H5T_NATIVE_UINT64, 8, &noff)) ||
             !(data = ck_read_doubles(f, "blob_data", H5T_NATIVE_DOUBLE, 8, &ndata)) ||
             off[noff - 1] > ndata || ckpt_checksum(off, noff - 1, data) != sum)
        snprintf(msg, 2048, "fails its checksum (corrupt)");
    else if (ck_compare_config(f, cr, msg) > 0)
        rc = -2;
    else if ((ck_read_attr(f, "data_fingerprint", H5T_NATIVE_UINT64, &fp_old), fp_old != fp))
        rc = -2, snprintf(msg, 2048,
                          "\n  the rows of data.file differ from the checkpoint's (fingerprint "
                          "%016llx, now %016llx): the data set changed since the checkpoint",
                          (unsigned long long)fp_old, (unsigned long long)fp);
    else
        rc = 0;
    H5Fclose(f);
    if (rc == 0) {
        set->n = (int)(noff - 1);
        set->seq = seq;
        set->blob = LOG_CALLOC((size_t)set->n + 1, sizeof(double *));
        set->len = LOG_CALLOC((size_t)set->n + 1, sizeof(size_t));
        for (int i = 0; i < set->n; i++) {
            set->len[i] = off[i + 1] - off[i];
            set->blob[i] = LOG_CALLOC(set->len[i] + 1, sizeof(double));
            memcpy(set->blob[i], data + off[i], set->len[i] * sizeof(double));
        }
        snprintf(set->path, sizeof set->path, "%s", path);
    }
    free(off);
    free(data);
    return rc;
}

static int ck_fsync_path(const char *path, int dir)
{
    int fd = open(path, dir ? O_RDONLY | O_DIRECTORY : O_RDONLY);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* The checkpoint names in dir/index, oldest first; returns how many (at most max). */
static int ck_index_read(const char *dir, char names[][256], int max)
{
    char path[CFG_STR_MAX + 16], line[512];
    snprintf(path, sizeof path, "%s/index", dir);
    FILE *f = fopen(path, "r");
    int n = 0;
    while (f && n < max && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        if (*line) snprintf(names[n++], 256, "%s", line);
    }
    if (f) fclose(f);
    return n;
}

/* Appends name to the index, keeping the newest `keep` entries (older files are removed);
 * the index is replaced atomically (written aside, fsynced, renamed, directory fsynced). */
static int ck_index_add(const char *dir, const char *name, int keep, char *msg)
{
    char names[64][256], path[CFG_STR_MAX + 16], tmp[CFG_STR_MAX + 16], old[CFG_STR_MAX + 300];
    int n = ck_index_read(dir, names, 63);
    snprintf(names[n++], 256, "%s", name);
    int first = n > keep ? n - keep : 0;
    snprintf(path, sizeof path, "%s/index", dir);
    snprintf(tmp, sizeof tmp, "%s/index.tmp", dir);
    FILE *f = fopen(tmp, "w");
    int bad = !f;
    for (int i = first; f && i < n; i++)
        bad |= fprintf(f, "%s\n", names[i]) < 0;
    if (f) bad |= fclose(f) != 0;
    if (bad || ck_fsync_path(tmp, 0) || rename(tmp, path) || ck_fsync_path(dir, 1))
        return snprintf(msg, 512, "updating %s failed: %s", path, strerror(errno)), -1;
    for (int i = 0; i < first; i++) {
        snprintf(old, sizeof old, "%s/%s", dir, names[i]);
        remove(old);
    }
    return 0;
}

/* Rank 0: the whole protocol for one checkpoint. */
static int ck_commit(ckpt_ctl *ctl, const cfg_resolved *cr, const uint64_t *off, size_t nblob,
                     const double *data, char *msg)
{
    char tmp[CFG_STR_MAX * 2 + 16], fin[CFG_STR_MAX * 2 + 32], name[CFG_STR_MAX + 32];
    if (mkdir(ctl->dir, 0777) != 0 && errno != EEXIST)
        return snprintf(msg, 512, "cannot create %s: %s", ctl->dir, strerror(errno)), -1;
    long seq = ctl->seq + 1;
    snprintf(tmp, sizeof tmp, "%s/%s.tmp", ctl->dir, ctl->stem);
    snprintf(name, sizeof name, "%s-%06ld.h5", ctl->stem, seq);
    snprintf(fin, sizeof fin, "%s/%s", ctl->dir, name);
    if (ck_write_file(tmp, cr, seq, ctl->data_fp, off, nblob, data, msg)) return remove(tmp), -1;
    ckpt_set check = {0};
    char why[2048] = "";
    if (ck_read_file(tmp, cr, ctl->data_fp, &check, why) != 0 || check.n != (int)nblob) {
        snprintf(msg, 512, "the written checkpoint does not read back: %s", why);
        ckpt_set_free(&check);
        return remove(tmp), -1;
    }
    ckpt_set_free(&check);
    if (ck_fsync_path(tmp, 0) || rename(tmp, fin) || ck_fsync_path(ctl->dir, 1))
        return snprintf(msg, 512, "committing %s failed: %s", fin, strerror(errno)), -1;
    if (ck_index_add(ctl->dir, name, ctl->keep, msg)) return -1;
    struct stat st;
    ctl->bytes = stat(fin, &st) == 0 ? (long)st.st_size : 0;
    ctl->seq = seq;
    return 0;
}

void ckpt_write(ckpt_ctl *ctl, const cfg_resolved *cr, double **blobs, const size_t *lens,
                int nblob)
{
    double t0 = MPI_Wtime();
    int size = log_size(), rank = log_rank();
    size_t mine = 0;
    for (int i = 0; i < nblob; i++)
        mine += lens[i] + 1; /* each blob is prefixed by its length */
    double *buf = LOG_CALLOC(mine + 1, sizeof(double));
    for (int i = 0, pos = 0; i < nblob; i++) {
        buf[pos++] = (double)lens[i];
        memcpy(buf + pos, blobs[i], lens[i] * sizeof(double));
        pos += (int)lens[i];
    }
    int cnt = (int)mine, *cnts = LOG_CALLOC((size_t)size, sizeof(int));
    int *dsp = LOG_CALLOC((size_t)size, sizeof(int));
    PAR_MPI(MPI_Gather(&cnt, 1, MPI_INT, cnts, 1, MPI_INT, 0, MPI_COMM_WORLD));
    size_t total = 0;
    for (int q = 0; q < size; q++)
        dsp[q] = (int)total, total += (size_t)cnts[q];
    double *all = rank == 0 ? LOG_CALLOC(total + 1, sizeof(double)) : NULL;
    PAR_MPI(MPI_Gatherv(buf, cnt, MPI_DOUBLE, all, cnts, dsp, MPI_DOUBLE, 0, MPI_COMM_WORLD));
    char msg[512] = "";
    int bad = 0;
    if (rank == 0) {
        size_t n = 0, data_len = 0;
        for (size_t pos = 0; pos < total; pos += (size_t)all[pos] + 1)
            n++, data_len += (size_t)all[pos];
        uint64_t *off = LOG_CALLOC(n + 1, sizeof(uint64_t));
        double *data = LOG_CALLOC(data_len + 1, sizeof(double));
        size_t i = 0;
        for (size_t pos = 0; pos < total; pos += (size_t)all[pos] + 1, i++) {
            off[i + 1] = off[i] + (uint64_t)all[pos];
            memcpy(data + off[i], all + pos + 1, (size_t)all[pos] * sizeof(double));
        }
        bad = ck_commit(ctl, cr, off, n, data, msg);
        free(off);
        free(data);
    }
    PAR_MPI(MPI_Bcast(&bad, 1, MPI_INT, 0, MPI_COMM_WORLD));
    PAR_MPI(MPI_Bcast(&ctl->seq, 1, MPI_LONG, 0, MPI_COMM_WORLD));
    if (bad)
        LOG_DIE_COLL(LOG_EXIT_RUNTIME,
                     "checkpoint %ld not written: %s; the previous "
                     "checkpoint in %s stays valid",
                     ctl->seq + 1, msg, ctl->dir);
    ctl->cost = MPI_Wtime() - t0;
    ctl->total_seconds += ctl->cost;
    ctl->count++;
    ctl->last_done = MPI_Wtime();
    log_info("checkpoint %ld: %s/%s-%06ld.h5, %ld bytes, %.3f s\n", ctl->seq, ctl->dir, ctl->stem,
             ctl->seq, ctl->bytes, ctl->cost);
    free(buf), free(cnts), free(dsp), free(all);
}

void ckpt_set_free(ckpt_set *set)
{
    for (int i = 0; i < set->n; i++)
        free(set->blob[i]);
    free(set->blob);
    free(set->len);
    memset(set, 0, sizeof *set);
}

/* Rank 0: the newest valid checkpoint (explicit path, else the index newest first). Returns
 * 0 found, 1 none valid, 2 FIXED keys differ; msg says why. */
static int ck_find(const ckpt_ctl *ctl, const cfg_resolved *cr, const char *path, ckpt_set *set,
                   char *msg)
{
    char names[64][256], full[CFG_STR_MAX + 300], why[2048];
    int n = 0;
    if (path && *path) {
        snprintf(names[0], 256, "%s", path);
        n = 1;
    } else {
        n = ck_index_read(ctl->dir, names, 64);
    }
    if (n == 0) return snprintf(msg, 2048, "no checkpoint listed in %s/index", ctl->dir), 1;
    for (int i = n - 1; i >= 0; i--) {
        if (path && *path)
            snprintf(full, sizeof full, "%s", names[i]);
        else
            snprintf(full, sizeof full, "%s/%s", ctl->dir, names[i]);
        why[0] = 0;
        int rc = ck_read_file(full, cr, ctl->data_fp, set, why);
        if (rc == 0) return 0;
        if (rc == -2)
            return snprintf(msg, 2048, "checkpoint %s does not match the configuration:%s", full,
                            why),
                   2;
        log_warn("checkpoint %s %s; trying an older one\n", full, why);
    }
    return snprintf(msg, 2048, "no valid checkpoint (newest: %s/%s)",
                    path && *path ? "." : ctl->dir, names[n - 1]),
           1;
}

void ckpt_load(ckpt_ctl *ctl, const cfg_resolved *cr, const char *path, ckpt_set *set)
{
    memset(set, 0, sizeof *set);
    char msg[2048] = "";
    int rc = log_rank() == 0 ? ck_find(ctl, cr, path, set, msg) : 0;
    PAR_MPI(MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD));
    if (rc != 0) {
        PAR_MPI(MPI_Bcast(msg, sizeof msg, MPI_CHAR, 0, MPI_COMM_WORLD));
        LOG_DIE_COLL(LOG_EXIT_USAGE, "cannot restart: %s", msg);
    }
    PAR_MPI(MPI_Bcast(&set->n, 1, MPI_INT, 0, MPI_COMM_WORLD));
    PAR_MPI(MPI_Bcast(&set->seq, 1, MPI_LONG, 0, MPI_COMM_WORLD));
    PAR_MPI(MPI_Bcast(set->path, sizeof set->path, MPI_CHAR, 0, MPI_COMM_WORLD));
    if (log_rank() != 0) {
        set->blob = LOG_CALLOC((size_t)set->n + 1, sizeof(double *));
        set->len = LOG_CALLOC((size_t)set->n + 1, sizeof(size_t));
    }
    for (int i = 0; i < set->n; i++) {
        unsigned long long len = set->len[i];
        PAR_MPI(MPI_Bcast(&len, 1, MPI_UNSIGNED_LONG_LONG, 0, MPI_COMM_WORLD));
        if (log_rank() != 0) set->len[i] = (size_t)len, set->blob[i] = LOG_CALLOC(len + 1, 8);
        PAR_MPI(MPI_Bcast(set->blob[i], (int)len, MPI_DOUBLE, 0, MPI_COMM_WORLD));
    }
    ctl->seq = set->seq;
    log_info("restart from %s (checkpoint %ld, %d task records)\n", set->path, set->seq, set->n);
}
