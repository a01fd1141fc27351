/* MPI test of dmat's linear algebra on every grid of dmat_tgrid.h at once: a known spectrum
 * through both eigensolvers (values, residuals, orthogonality, top-k vectors), the same
 * eigenvalues on every grid, Cholesky of an SPD and an indefinite matrix, PDSYRK and the lower-
 * triangle helpers against serial BLAS, layout and gather round trips, norms. Prints PASS/FAIL
 * lines on rank 0; exits 1 on any failure.
 *   mpi_dmat N NB            every check (N x N matrices, NB x NB blocks)
 *   mpi_dmat N NB die-blocks PDSYEVD with mb != nb on the world grid: must end collectively
 *   mpi_dmat N NB die-sub    the same on one half's sub-communicator grid (4 ranks): aborts */
#include "parallel/dmat.h"
#include "dmat_tgrid.h"
#include "base/log.h"
#include "core/rng.h"
#include "parallel/par.h"
#include "parallel/h5chk.h"

#include <cblas.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SEED 20240611u
#define EPS DBL_EPSILON

typedef struct {
    int n, nb;
    const char *level;
    const dmat_grid *g;
    const double *d;     /* the known spectrum, ascending */
    const double *a_ref; /* the same test matrix built on one rank, column-major n x n */
} tcase;

static double t_normal(int i, int j, void *ctx)
{
    return rng_normal1(ctx, (uint64_t)j, (uint32_t)i);
}

static double t_index(int i, int j, void *ctx)
{
    (void)ctx;
    return i + 1000.0 * j;
}

/* Geometric from 1 to 1000 with a cluster of four equal eigenvalues in the middle. */
static double *t_spectrum(int n)
{
    double *d = LOG_CALLOC((size_t)n, sizeof(double));
    for (int i = 0; i < n; i++)
        d[i] = pow(10.0, 3.0 * i / (n - 1));
    for (int i = n / 2 + 1; i < n / 2 + 4 && i < n - 1; i++)
        d[i] = d[n / 2];
    return d;
}

/* A = Q diag(d) Q^T with Q the Q factor of a Gaussian matrix (the same numbers on every grid):
 * symmetric with the known spectrum d. */
static void t_known(dmat *A, const dmat_grid *g, int n, int nb, const double *d)
{
    rng_stream s = rng_stream_make(SEED, 1, RNG_TEST);
    dmat Q, QD;
    dmat_init(&Q, g, n, n, nb, nb);
    dmat_fill(&Q, t_normal, &s);
    dmat_qr_q(&Q);
    dmat_clone(&QD, &Q);
    dmat_scale_cols(&QD, d);
    dmat_init(A, g, n, n, nb, nb);
    dmat_gemm('N', 'T', 1.0, &QD, &Q, 0.0, A);
    dmat_symmetrize_lower(A);
    dmat_free(&QD);
    dmat_free(&Q);
}

static double *t_ref_full(int n, int nb, const double *d)
{
    dmat_grid g1;
    dmat A;
    dmat_grid_init(&g1, MPI_COMM_SELF, 1, 1);
    t_known(&A, &g1, n, nb, d);
    double *full = LOG_CALLOC((size_t)n * (size_t)n, sizeof(double));
    dmat_gather(&A, full);
    dmat_free(&A);
    dmat_grid_free(&g1);
    return full;
}

static const char *t_name(dmat_solver sv)
{
    return sv == DMAT_PDSYEVD ? "pdsyevd" : "pdsyevr";
}

static double t_max_diff(const double *a, const double *b, int n)
{
    double e = 0;
    for (int i = 0; i < n; i++)
        e = fmax(e, fabs(a[i] - b[i]));
    return e;
}

/* Eigenvalues against d, ||AZ - Z diag(w)||, ||Z^T Z - I|| with all n vectors. */
static void t_eig_full(const tcase *c, const dmat *A, dmat_solver sv)
{
    int n = c->n;
    double an = c->d[n - 1], *w = LOG_CALLOC((size_t)n, sizeof(double));
    dmat W, Z, R, ZW;
    dmat_clone(&W, A);
    dmat_init(&Z, c->g, n, n, c->nb, c->nb);
    int info = dmat_syev(&W, w, &Z, n, sv), asc = 1;
    for (int i = 0; i + 1 < n; i++)
        asc &= w[i] <= w[i + 1];
    char what[128];
    snprintf(what, sizeof what, "%s info 0 and eigenvalues ascending", t_name(sv));
    tg_check(what, c->level, info == 0 && asc);
    snprintf(what, sizeof what, "%s eigenvalues vs known spectrum max|w-d|/(n eps |A|)",
             t_name(sv));
    tg_report(what, c->level, t_max_diff(w, c->d, n) / (n * EPS * an), 100, 1);
    dmat_init(&R, c->g, n, n, c->nb, c->nb);
    dmat_gemm('N', 'N', 1.0, A, &Z, 0.0, &R);
    dmat_clone(&ZW, &Z);
    dmat_scale_cols(&ZW, w);
    dmat_axpy(&R, -1.0, &ZW);
    snprintf(what, sizeof what, "%s residual |AZ-Zw|_F/(n eps |A|)", t_name(sv));
    tg_report(what, c->level, dmat_norm(&R, 'F') / (n * EPS * an), 100, 1);
    dmat_gemm('T', 'N', 1.0, &Z, &Z, 0.0, &R);
    dmat_add_diag(&R, -1.0);
    snprintf(what, sizeof what, "%s orthogonality |Z^T Z - I|_F/(n eps)", t_name(sv));
    tg_report(what, c->level, dmat_norm(&R, 'F') / (n * EPS), 100, 1);
    dmat_free(&ZW);
    dmat_free(&R);
    dmat_free(&Z);
    dmat_free(&W);
    free(w);
}

/* The k top vectors in Z's last columns, checked serially against the gathered A. */
static void t_eig_topk(const tcase *c, const dmat *A, dmat_solver sv, int k)
{
    int n = c->n;
    double an = c->d[n - 1], *w = LOG_CALLOC((size_t)n, sizeof(double));
    double *full = LOG_CALLOC((size_t)n * (size_t)n, sizeof(double));
    double *V = LOG_CALLOC((size_t)n * (size_t)k, sizeof(double));
    double *R = LOG_CALLOC((size_t)n * (size_t)k, sizeof(double));
    dmat W, Z;
    dmat_clone(&W, A);
    dmat_init(&Z, c->g, n, n, c->nb, c->nb);
    int info = dmat_syev(&W, w, &Z, k, sv);
    dmat_gather(A, full);
    dmat_gather_cols(&Z, n - k, k, V);
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, n, k, n, 1.0, full, n, V, n, 0.0, R, n);
    double res = 0, orth = 0;
    for (int l = 0; l < k; l++)
        for (int i = 0; i < n; i++) {
            double r = R[i + (size_t)l * n] - w[n - k + l] * V[i + (size_t)l * n];
            res += r * r;
        }
    cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, k, k, n, 1.0, V, n, V, n, 0.0, R, k);
    for (int l = 0; l < k; l++)
        for (int i = 0; i < k; i++)
            orth += pow(R[i + (size_t)l * k] - (i == l), 2);
    char what[128];
    snprintf(what, sizeof what, "%s top-%d: info 0, eigenvalues vs known |w-d|/(n eps |A|)",
             t_name(sv), k);
    tg_report(what, c->level, info ? INFINITY : t_max_diff(w, c->d, n) / (n * EPS * an), 100, 1);
    snprintf(what, sizeof what, "%s top-%d vectors (last columns) |AV-Vw|_F/(n eps |A|)",
             t_name(sv), k);
    tg_report(what, c->level, sqrt(res) / (n * EPS * an), 100, 1);
    snprintf(what, sizeof what, "%s top-%d vectors |V^T V - I|_F/(n eps)", t_name(sv), k);
    tg_report(what, c->level, sqrt(orth) / (n * EPS), 100, 1);
    dmat_free(&Z);
    dmat_free(&W);
    free(R);
    free(V);
    free(full);
    free(w);
}

/* Eigenvalues only (no Z) of the one-rank reference matrix: every grid, both solvers, must agree
 * with the one-rank PDSYEVD values. Also: the grid's own construction equals the reference. */
static void t_eig_cross(const tcase *c, const dmat *A, const double *w_ref)
{
    int n = c->n;
    double an = c->d[n - 1], *w = LOG_CALLOC((size_t)n, sizeof(double));
    dmat W;
    char what[160];
    for (int s = 0; s < 2; s++) {
        dmat_solver sv = s ? DMAT_PDSYEVR : DMAT_PDSYEVD;
        dmat_init(&W, c->g, n, n, c->nb, c->nb);
        dmat_from_full(&W, c->a_ref);
        int info = dmat_syev(&W, w, NULL, 0, sv);
        snprintf(what, sizeof what,
                 "%s eigenvalues (no vectors) vs one-rank pdsyevd |w-w1|/(n eps |A|) < 50",
                 t_name(sv));
        tg_report(what, c->level, info ? INFINITY : t_max_diff(w, w_ref, n) / (n * EPS * an), 50,
                  0);
        dmat_free(&W);
    }
    dmat_init(&W, c->g, n, n, c->nb, c->nb);
    dmat_from_full(&W, c->a_ref);
    dmat_axpy(&W, -1.0, A);
    tg_report("QR + PDGEMM construction vs one-rank construction |A-A1|_F/(n eps |A|)", c->level,
              dmat_norm(&W, 'F') / (n * EPS * an), 100, 0);
    dmat_free(&W);
    free(w);
}

static void t_potrf(const tcase *c, const dmat *A)
{
    int n = c->n, upper0 = 1;
    double an = c->d[n - 1];
    dmat L, E;
    dmat_clone(&L, A);
    int info = dmat_potrf(&L);
    for (int lj = 0; lj < L.lcols; lj++)
        for (int li = 0; li < L.lrows; li++)
            if (dmat_grow(&L, li) < dmat_gcol(&L, lj)) upper0 &= L.a[li + (size_t)lj * L.lld] == 0;
    tg_check("pdpotrf SPD: info 0, strict upper triangle zeroed", c->level, info == 0 && upper0);
    dmat_clone(&E, A);
    dmat_gemm('N', 'T', 1.0, &L, &L, -1.0, &E);
    tg_report("pdpotrf |L L^T - A|_F/(n eps |A|)", c->level, dmat_norm(&E, 'F') / (n * EPS * an),
              100, 1);
    dmat_free(&L);
    /* Shifted between the two smallest eigenvalues: exactly one negative. */
    dmat_clone(&L, A);
    dmat_add_diag(&L, -0.5 * (c->d[0] + c->d[1]));
    info = dmat_potrf(&L);
    tg_check("pdpotrf indefinite matrix: 0 < info <= n", c->level, info > 0 && info <= n);
    dmat_free(&L);
    dmat_free(&E);
}

static double t_absmax(const double *a, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m = fmax(m, fabs(a[i]));
    return m;
}

/* C = 0.7 X^T X + 0.3 C0, then C += 0.5 x x^T, on the lower triangle, against serial BLAS. The
 * error scale bounds every term of an element: 0.7 max_j |X e_j|^2 + 0.3 max|C0| + 0.5 max x^2. */
static void t_syrk(const tcase *c)
{
    int n = c->n, ns = 37, up_same = 1, sym = 1;
    size_t nn = (size_t)n * (size_t)n;
    rng_stream s = rng_stream_make(SEED, 2, RNG_TEST), sx = rng_stream_make(SEED, 3, RNG_TEST);
    dmat X, C;
    dmat_init(&X, c->g, ns, n, 5, c->nb); /* row blocks unlike C's: PBLAS realigns */
    dmat_init(&C, c->g, n, n, c->nb, c->nb);
    dmat_fill(&X, t_normal, &s);
    dmat_fill(&C, t_normal, &sx);
    double *xf = LOG_CALLOC((size_t)ns * (size_t)n, sizeof(double));
    double *x = LOG_CALLOC((size_t)n, sizeof(double)), *cs = LOG_CALLOC(nn, sizeof(double));
    double *cp = LOG_CALLOC(nn, sizeof(double));
    dmat_gather(&X, xf);
    dmat_gather(&C, cs);
    rng_normal(&s, 99, 0, (size_t)n, x);
    double scale = 0.3 * t_absmax(cs, nn) + 0.5 * pow(t_absmax(x, (size_t)n), 2), xx = 0;
    for (int j = 0; j < n; j++)
        xx = fmax(xx, cblas_ddot(ns, xf + (size_t)j * ns, 1, xf + (size_t)j * ns, 1));
    scale += 0.7 * xx;
    dmat_syrk_t(&C, 0.7, &X, 0.3);
    dmat_syr_lower(&C, 0.5, x);
    cblas_dsyrk(CblasColMajor, CblasLower, CblasTrans, n, ns, 0.7, xf, ns, 0.3, cs, n);
    cblas_dsyr(CblasColMajor, CblasLower, n, 0.5, x, 1, cs, n);
    dmat_gather(&C, cp);
    double err = 0;
    for (int j = 0; j < n; j++)
        for (int i = 0; i < n; i++) {
            size_t e = (size_t)i + (size_t)j * n;
            if (i >= j)
                err = fmax(err, fabs(cp[e] - cs[e]));
            else
                up_same &= cp[e] == cs[e];
        }
    tg_report("pdsyrk + syr_lower vs cblas_dsyrk + dsyr: lower |C-Cs|_max/(ns eps scale)", c->level,
              err / (ns * EPS * scale), 4, 0);
    dmat_symmetrize_lower(&C);
    dmat_gather(&C, cs);
    for (int j = 0; j < n; j++)
        for (int i = j; i < n; i++)
            sym &= cs[i + (size_t)j * n] == cs[j + (size_t)i * n] &&
                   cs[i + (size_t)j * n] == cp[i + (size_t)j * n];
    tg_check("pdsyrk keeps the upper triangle; symmetrize_lower mirrors the lower one exactly",
             c->level, up_same && sym);
    free(cp);
    free(cs);
    free(x);
    free(xf);
    dmat_free(&C);
    dmat_free(&X);
}

static int t_index_maps(const dmat *A)
{
    int ok = 1, own_r = 0, own_c = 0;
    for (int i = 0; i < A->m; i++) {
        int li = dmat_lrow(A, i);
        own_r += li >= 0;
        ok &= li < 0 || dmat_grow(A, li) == i;
    }
    for (int j = 0; j < A->n; j++) {
        int lj = dmat_lcol(A, j);
        own_c += lj >= 0;
        ok &= lj < 0 || dmat_gcol(A, lj) == j;
    }
    for (int lj = 0; lj < A->lcols; lj++)
        for (int li = 0; li < A->lrows; li++)
            ok &= A->a[li + (size_t)lj * A->lld] == t_index(dmat_grow(A, li), dmat_gcol(A, lj), 0);
    return ok && own_r == A->lrows && own_c == A->lcols && dmat_lrow(A, A->m) == -1;
}

static int t_is_index(const double *a, int m, int j0, int k)
{
    int ok = 1;
    for (int j = 0; j < k; j++)
        for (int i = 0; i < m; i++)
            ok &= a[i + (size_t)j * m] == t_index(i, j0 + j, 0);
    return ok;
}

/* Serial 'F', 'M', '1', 'I' norms of the column-major m x n a. */
static void t_norms(const double *a, int m, int n, double out[4])
{
    double f = 0, mx = 0, one = 0, inf = 0;
    for (int j = 0; j < n; j++) {
        double s = 0;
        for (int i = 0; i < m; i++) {
            double v = fabs(a[i + (size_t)j * m]);
            f += v * v;
            mx = fmax(mx, v);
            s += v;
        }
        one = fmax(one, s);
    }
    for (int i = 0; i < m; i++) {
        double s = 0;
        for (int j = 0; j < n; j++)
            s += fabs(a[i + (size_t)j * m]);
        inf = fmax(inf, s);
    }
    out[0] = sqrt(f), out[1] = mx, out[2] = one, out[3] = inf;
}

/* A(i, j) = i + 1000 j on a non-square 37 x 23 with 4 x 3 blocks: index maps, gathers,
 * from_full, redistribution (all exact), the memory estimate and the four norms. */
static void t_layout(const tcase *c)
{
    enum { M = 37, N = 23 };
    dmat A, B, B2;
    dmat_init(&A, c->g, M, N, 4, 3);
    dmat_fill(&A, t_index, NULL);
    tg_check("global/local index maps agree; fill by global index", c->level, t_index_maps(&A));
    double *full = LOG_CALLOC(M * N, sizeof(double)), *cols = LOG_CALLOC(M * 7, sizeof(double));
    dmat_gather(&A, full);
    dmat_gather_cols(&A, 5, 7, cols);
    tg_check("gather and gather_cols(5, 7) of 37 x 23 with 4 x 3 blocks exact", c->level,
             t_is_index(full, M, 0, N) && t_is_index(cols, M, 5, 7));
    dmat_init(&B, c->g, M, N, 5, 2);
    dmat_from_full(&B, full);
    dmat_init(&B2, c->g, M, N, 7, 6);
    dmat_redist(&A, &B2);
    tg_check("from_full (5 x 2 blocks) and redist (7 x 6 blocks) round trips exact", c->level,
             t_index_maps(&B) && t_index_maps(&B2));
    unsigned long mine = (unsigned long)A.lld * (unsigned long)A.lcols * sizeof(double), most = 0;
    PAR_MPI(MPI_Allreduce(&mine, &most, 1, MPI_UNSIGNED_LONG, MPI_MAX, c->g->comm));
    tg_check("dmat_bytes_max is the largest local part", c->level,
             most == dmat_bytes_max(c->g->nprow, c->g->npcol, M, N, 4, 3));
    double ref[4], err = 0;
    const char kinds[4] = {'F', 'M', '1', 'I'};
    t_norms(full, M, N, ref);
    for (int k = 0; k < 4; k++)
        err = fmax(err, fabs(dmat_norm(&A, kinds[k]) - ref[k]) / ref[k]);
    tg_report("pdlange F, M, 1, I vs serial, relative error / eps", c->level, err / EPS, M * N, 0);
    free(cols);
    free(full);
    dmat_free(&B2);
    dmat_free(&B);
    dmat_free(&A);
}

static void t_grid_shape(void)
{
    int r = 0, c = 0, ok = 1;
    char err[128] = "";
    ok &= dmat_grid_shape(4, 0, 0, &r, &c, err, sizeof err) && r == 2 && c == 2;
    ok &= dmat_grid_shape(6, 0, 0, &r, &c, err, sizeof err) && r == 2 && c == 3;
    ok &= dmat_grid_shape(2, 0, 0, &r, &c, err, sizeof err) && r == 1 && c == 2;
    ok &= dmat_grid_shape(7, 0, 0, &r, &c, err, sizeof err) && r == 1 && c == 7;
    ok &= dmat_grid_shape(8, 4, 0, &r, &c, err, sizeof err) && r == 4 && c == 2;
    ok &= dmat_grid_shape(4, 1, 4, &r, &c, err, sizeof err) && r == 1 && c == 4;
    ok &= !dmat_grid_shape(4, 3, 0, &r, &c, err, sizeof err) && strstr(err, "4 ranks");
    ok &= !dmat_grid_shape(4, 2, 3, &r, &c, err, sizeof err) && strstr(err, "2 x 3");
    tg_check("dmat_grid_shape: near-square rows <= cols, given shapes, mismatches refused", "local",
             ok);
}

static void t_level(const tgrid *t, int n, int nb, const double *d, const double *a_ref,
                    const double *w_ref)
{
    dmat_grid g;
    dmat A;
    dmat_grid_init(&g, t->comm, t->nprow, t->npcol);
    tcase c = {n, nb, t->name, &g, d, a_ref};
    t_known(&A, &g, n, nb, d);
    for (int s = 0; s < 2; s++) {
        t_eig_full(&c, &A, s ? DMAT_PDSYEVR : DMAT_PDSYEVD);
        t_eig_topk(&c, &A, s ? DMAT_PDSYEVR : DMAT_PDSYEVD, 5);
    }
    t_eig_cross(&c, &A, w_ref);
    t_potrf(&c, &A);
    t_syrk(&c);
    t_layout(&c);
    dmat_free(&A);
    dmat_grid_free(&g);
}

/* PDSYEVD on mb != nb blocks must end the job (die-sub: only the second half's grid calls it,
 * the first half waits in a world barrier that never completes). */
static int t_die(const char *mode, int n, int nb)
{
    tgrid lv[TG_MAX];
    tg_levels(lv);
    int sub = strcmp(mode, "die-sub") == 0 && log_size() == 4;
    if (!sub || log_rank() >= 2) {
        dmat_grid g;
        dmat A;
        double *w = LOG_CALLOC((size_t)n, sizeof(double));
        dmat_grid_init(&g, lv[sub].comm, lv[sub].nprow, lv[sub].npcol);
        dmat_init(&A, &g, n, n, nb, nb + 1);
        dmat_syev(&A, w, NULL, 0, DMAT_PDSYEVD);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    if (log_rank() == 0) printf("FAIL dmat_syev with mb != nb returned\n");
    MPI_Finalize();
    return 1;
}

int main(int argc, char **argv)
{
    par_init(&argc, &argv);
    h5chk_init();
    int n = argc > 2 ? atoi(argv[1]) : 0, nb = argc > 2 ? atoi(argv[2]) : 0;
    if (n < 8 || nb < 1) {
        if (log_rank() == 0) fprintf(stderr, "usage: mpi_dmat N>=8 NB>=1 [die-blocks|die-sub]\n");
        MPI_Finalize();
        return 2;
    }
    if (argc > 3) return t_die(argv[3], n, nb);
    t_grid_shape();
    double *d = t_spectrum(n), *a_ref = t_ref_full(n, nb, d);
    double *w_ref = LOG_CALLOC((size_t)n, sizeof(double));
    dmat_grid g1;
    dmat A1;
    dmat_grid_init(&g1, MPI_COMM_SELF, 1, 1);
    dmat_init(&A1, &g1, n, n, nb, nb);
    dmat_from_full(&A1, a_ref);
    dmat_syev(&A1, w_ref, NULL, 0, DMAT_PDSYEVD);
    dmat_free(&A1);
    dmat_grid_free(&g1);
    tgrid lv[TG_MAX];
    int nl = tg_levels(lv);
    for (int l = 0; l < nl; l++)
        t_level(&lv[l], n, nb, d, a_ref, w_ref);
    if (log_rank() == 0)
        printf("mpi_dmat: %d ranks, n = %d, nb = %d: %d failed\n", log_size(), n, nb, tg_failures);
    free(w_ref);
    free(a_ref);
    free(d);
    MPI_Finalize();
    return tg_failures ? 1 : 0;
}
