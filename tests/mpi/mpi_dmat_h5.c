/* MPI test of dmat_h5_write / dmat_h5_read across grids (the grids of dmat_tgrid.h):
 *  1. a 2x1 grid (1x1 on one rank) writes PREFIX_2x1.h5: /m/sq (N x N), /m/rect (37 x 23) with
 *     A(i, j) = i + 1000 j, /m/rand (N x N Gaussian); the test adds /m/rect_f as float;
 *  2. every grid of the run reads them back with other block sizes: bitwise equal to what was
 *     written; a missing dataset, a missing group and a wrong shape give -1 on every rank;
 *  3. the world grid writes PREFIX_world.h5 and every grid reads it back the same way.
 * The files stay for tests/mpi/test_dmat.sh to check from h5py. Exits 1 on any failure.
 *   mpi_dmat_h5 N NB PREFIX */
#include "parallel/dmat.h"
#include "dmat_tgrid.h"
#include "io/h5out.h"
#include "base/log.h"
#include "core/rng.h"
#include "parallel/par.h"
#include "parallel/h5chk.h"
#include "io/dmat_h5.h"

#include <stdlib.h>
#include <string.h>

#define SEED 20240612u
enum { RM = 37, RN = 23 };

static double t_index(int i, int j, void *ctx)
{
    (void)ctx;
    return i + 1000.0 * j;
}

static double t_normal(int i, int j, void *ctx)
{
    return rng_normal1(ctx, (uint64_t)j, (uint32_t)i);
}

static h5out_file t_create(MPI_Comm comm, const char *path)
{
    h5out_file f;
    memset(&f, 0, sizeof f);
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5CHK(fapl);
    H5CHK(H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL));
    f.file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    H5CHK(f.file);
    H5CHK(H5Pclose(fapl));
    f.dxpl = H5Pcreate(H5P_DATASET_XFER);
    H5CHK(f.dxpl);
    H5CHK(H5Pset_dxpl_mpio(f.dxpl, H5FD_MPIO_COLLECTIVE));
    return f;
}

static void t_close(h5out_file *f)
{
    H5CHK(H5Pclose(f->dxpl));
    H5CHK(H5Fclose(f->file));
}

static hid_t t_open(MPI_Comm comm, const char *path)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5CHK(fapl);
    H5CHK(H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL));
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    H5CHK(file);
    H5CHK(H5Pclose(fapl));
    return file;
}

/* The float copy of /m/rect, written by the grid's rank 0 as a plain row-major dataset. */
static void t_write_float(h5out_file *f, MPI_Comm comm)
{
    int rank = 0;
    PAR_MPI(MPI_Comm_rank(comm, &rank));
    float *buf = LOG_CALLOC(RM * RN, sizeof(float));
    for (int i = 0; i < RM; i++)
        for (int j = 0; j < RN; j++)
            buf[i * RN + j] = (float)t_index(i, j, NULL);
    hsize_t dims[2] = {RM, RN};
    h5out_write_rows(f, "/m/rect_f", H5T_NATIVE_FLOAT, 2, dims, 0, 1, rank == 0 ? RM : 0, buf,
                     "A(i, j) = i + 1000 j as float", "1");
    free(buf);
}

static void t_write(const dmat_grid *g, const char *path, int n, int nb, int with_float)
{
    rng_stream s = rng_stream_make(SEED, 0, RNG_TEST);
    h5out_file f = t_create(g->comm, path);
    dmat A;
    dmat_init(&A, g, n, n, nb, nb);
    dmat_fill(&A, t_index, NULL);
    dmat_h5_write(&A, &f, "/m/sq", "A(i, j) = i + 1000 j", "1");
    dmat_fill(&A, t_normal, &s);
    dmat_h5_write(&A, &f, "/m/rand", "standard normal, Philox stream (seed, 0, RNG_TEST)", "1");
    dmat_free(&A);
    dmat_init(&A, g, RM, RN, 4, 3);
    dmat_fill(&A, t_index, NULL);
    dmat_h5_write(&A, &f, "/m/rect", "A(i, j) = i + 1000 j", "1");
    dmat_free(&A);
    if (with_float) t_write_float(&f, g->comm);
    t_close(&f);
}

/* Every local element equals f(i, j) bitwise. */
static int t_equals(const dmat *A, double (*f)(int, int, void *), void *ctx)
{
    int ok = 1;
    for (int lj = 0; lj < A->lcols; lj++)
        for (int li = 0; li < A->lrows; li++)
            ok &= A->a[li + (size_t)lj * A->lld] == f(dmat_grow(A, li), dmat_gcol(A, lj), ctx);
    return ok;
}

/* Reads path into a fresh m x n matrix with mb x nb blocks; 1 when it reads and matches f. */
static int t_read_one(const dmat_grid *g, hid_t file, const char *path, int m, int n, int mb,
                      int nb, double (*f)(int, int, void *), void *ctx)
{
    dmat A;
    dmat_init(&A, g, m, n, mb, nb);
    int ok = dmat_h5_read(&A, file, path) == 0 && t_equals(&A, f, ctx);
    dmat_free(&A);
    return ok;
}

static int t_missing(const dmat_grid *g, hid_t file, const char *path, int m, int n)
{
    dmat A;
    dmat_init(&A, g, m, n, 3, 3);
    int r = dmat_h5_read(&A, file, path);
    dmat_free(&A);
    return r == -1;
}

static void t_read_all(const tgrid *t, const char *path, const char *who, int n, int nb, int fl)
{
    dmat_grid g;
    dmat_grid_init(&g, t->comm, t->nprow, t->npcol);
    rng_stream s = rng_stream_make(SEED, 0, RNG_TEST);
    hid_t file = t_open(t->comm, path);
    int sq = t_read_one(&g, file, "/m/sq", n, n, nb, nb, t_index, NULL) &&
             t_read_one(&g, file, "/m/sq", n, n, 7, 5, t_index, NULL);
    int rnd = t_read_one(&g, file, "/m/rand", n, n, nb + 1, nb + 1, t_normal, &s);
    int rect = t_read_one(&g, file, "/m/rect", RM, RN, 3, 4, t_index, NULL) &&
               t_read_one(&g, file, "/m/rect", RM, RN, 64, 64, t_index, NULL);
    int flt = !fl || t_read_one(&g, file, "/m/rect_f", RM, RN, 2, 2, t_index, NULL);
    int miss = t_missing(&g, file, "/m/none", RM, RN) && t_missing(&g, file, "/no/group", RM, RN) &&
               t_missing(&g, file, "/m/rect", RN, RM) && t_missing(&g, file, "/m", RM, RN);
    H5CHK(H5Fclose(file));
    dmat_grid_free(&g);
    char what[160];
    snprintf(what, sizeof what, "h5 %s-written N x N index matrix read bitwise (blocks NB, 7x5)",
             who);
    tg_check(what, t->name, sq);
    snprintf(what, sizeof what, "h5 %s-written Gaussian matrix read bitwise", who);
    tg_check(what, t->name, rnd);
    snprintf(what, sizeof what, "h5 %s-written 37 x 23 read bitwise (blocks 3x4, 64x64)%s", who,
             fl ? " and from float" : "");
    tg_check(what, t->name, rect && flt);
    snprintf(what, sizeof what, "h5 %s file: missing dataset/group, wrong shape, group -> -1", who);
    tg_check(what, t->name, miss);
}

int main(int argc, char **argv)
{
    par_init(&argc, &argv);
    h5chk_init();
    if (argc < 4 || atoi(argv[1]) < 1 || atoi(argv[2]) < 1) {
        if (log_rank() == 0) fprintf(stderr, "usage: mpi_dmat_h5 N NB PREFIX\n");
        MPI_Finalize();
        return 2;
    }
    int n = atoi(argv[1]), nb = atoi(argv[2]);
    char p21[H5OUT_PATH_MAX], pw[H5OUT_PATH_MAX];
    snprintf(p21, sizeof p21, "%s_2x1.h5", argv[3]);
    snprintf(pw, sizeof pw, "%s_world.h5", argv[3]);
    tgrid lv[TG_MAX];
    int nl = tg_levels(lv);
    /* The 2x1 writer: the world at 2 ranks, the first half at 4, otherwise rank 0 alone. */
    int np = log_size(), two = np == 2 || np == 4;
    const tgrid *w21 = np == 2 ? &lv[0] : np == 4 ? &lv[1] : &lv[nl - 1];
    if (np == 2 || (np == 4 && log_rank() < 2) || (!two && log_rank() == 0)) {
        dmat_grid g;
        dmat_grid_init(&g, w21->comm, w21->nprow, w21->npcol);
        t_write(&g, p21, n, nb, 1);
        dmat_grid_free(&g);
    }
    PAR_MPI(MPI_Barrier(MPI_COMM_WORLD));
    for (int l = 0; l < nl; l++)
        t_read_all(&lv[l], p21, two ? "2x1" : "1x1", n, nb, 1);
    dmat_grid gw;
    dmat_grid_init(&gw, MPI_COMM_WORLD, lv[0].nprow, lv[0].npcol);
    t_write(&gw, pw, n, nb, 0);
    dmat_grid_free(&gw);
    for (int l = 0; l < nl; l++)
        t_read_all(&lv[l], pw, lv[0].name, n, nb, 0);
    if (log_rank() == 0)
        printf("mpi_dmat_h5: %d ranks, n = %d, nb = %d: %d failed\n", log_size(), n, nb,
               tg_failures);
    MPI_Finalize();
    return tg_failures ? 1 : 0;
}
