/* covar — streamed mean and covariance; see include/covar.h. */
#include "parallel/covar.h"

#include "base/log.h"
#include "parallel/par.h"

#include <stdlib.h>
#include <string.h>

/* The block as a distributed matrix: rows in one contiguous range per process row (so a rank
 * generates or reads whole rows once), columns blocked like the covariance. */
typedef struct {
    dmat X;
    long r_lo;    /* first global row of this process row within the block */
    double *rows; /* [X.lrows][d] full rows of this process row */
    double *sum;  /* [d] column sums, then the block mean */
} covar_block;

static void covar_block_init(covar_block *b, const dmat_grid *g, int d, long block, int bs)
{
    int mb = (int)((block + g->nprow - 1) / g->nprow);
    dmat_init(&b->X, g, (int)block, d, mb, bs);
    b->r_lo = (long)g->myrow * mb;
    b->rows = LOG_CALLOC((size_t)(b->X.lrows > 0 ? b->X.lrows : 1) * (size_t)d, sizeof(double));
    b->sum = LOG_CALLOC((size_t)d, sizeof(double));
}

static void covar_block_free(covar_block *b)
{
    dmat_free(&b->X);
    free(b->rows);
    free(b->sum);
}

/* Loads samples s0 .. s0+nr-1 (block rows 0 .. nr-1; rows beyond nr stay zero and add
 * nothing), centres them on their mean, which is left in b->sum. */
static void covar_block_load(covar_block *b, int d, long s0, long nr, covar_rows_fn rows, void *ctx,
                             MPI_Comm comm)
{
    dmat *X = &b->X;
    long mine = nr - b->r_lo;
    if (mine > X->lrows) mine = X->lrows;
    if (mine < 0) mine = 0;
    rows(s0 + b->r_lo, mine, b->rows, ctx);
    memset(b->sum, 0, (size_t)d * sizeof(double));
    for (int lj = 0; lj < X->lcols; lj++) {
        int j = dmat_gcol(X, lj);
        double *col = X->a + (size_t)lj * (size_t)X->lld, s = 0;
        for (long li = 0; li < X->lrows; li++) {
            col[li] = li < mine ? b->rows[(size_t)li * (size_t)d + (size_t)j] : 0.0;
            s += col[li];
        }
        b->sum[j] = s;
    }
    PAR_MPI(MPI_Allreduce(MPI_IN_PLACE, b->sum, d, MPI_DOUBLE, MPI_SUM, comm));
    for (int j = 0; j < d; j++)
        b->sum[j] /= (double)nr;
    for (int lj = 0; lj < X->lcols; lj++) {
        double mu = b->sum[dmat_gcol(X, lj)], *col = X->a + (size_t)lj * (size_t)X->lld;
        for (long li = 0; li < mine; li++)
            col[li] -= mu;
    }
}

void covar_compute(covar_t *cv, const dmat_grid *g, int d, long n, long block, int block_size,
                   covar_rows_fn rows, void *ctx)
{
    memset(cv, 0, sizeof *cv);
    if (n < 2) LOG_DIE("a covariance needs at least 2 samples, got %ld", n);
    cv->d = d;
    cv->n = n;
    cv->mean = LOG_CALLOC((size_t)d, sizeof(double));
    dmat_init(&cv->cov, g, d, d, block_size, block_size);
    if (block > n) block = n;
    covar_block b;
    covar_block_init(&b, g, d, block, block_size);
    double *delta = LOG_CALLOC((size_t)d, sizeof(double));
    for (long s0 = 0; s0 < n; s0 += block) {
        long nr = n - s0 < block ? n - s0 : block;
        covar_block_load(&b, d, s0, nr, rows, ctx, g->comm);
        dmat_syrk_t(&cv->cov, 1.0, &b.X, 1.0);
        /* Pairwise update: M2 += (n_a n_b / n) (mean_b - mean_a)(mean_b - mean_a)^T. */
        double na = (double)s0, nb = (double)nr, nt = na + nb;
        for (int j = 0; j < d; j++) {
            delta[j] = b.sum[j] - cv->mean[j];
            cv->mean[j] += delta[j] * nb / nt;
        }
        if (s0 > 0) dmat_syr_lower(&cv->cov, na * nb / nt, delta);
    }
    dmat_symmetrize_lower(&cv->cov);
    double scale = 1.0 / (double)(n - 1);
    for (int lj = 0; lj < cv->cov.lcols; lj++)
        for (int li = 0; li < cv->cov.lrows; li++)
            cv->cov.a[(size_t)lj * (size_t)cv->cov.lld + (size_t)li] *= scale;
    free(delta);
    covar_block_free(&b);
}

typedef struct {
    const mcm_model *mod;
    uint32_t seed;
    uint64_t task;
} covar_mcm_ctx;

static void covar_mcm_rows(long r0, long nr, double *buf, void *ctx)
{
    const covar_mcm_ctx *m = ctx;
    if (nr > 0)
        mcm_sample_block(m->mod, m->seed, m->task, (uint64_t)r0, (size_t)nr, buf, NULL, NULL, NULL);
}

void covar_from_mcm(covar_t *cv, const dmat_grid *g, const mcm_model *mod, uint32_t seed,
                    uint64_t task, long n, long block, int block_size)
{
    covar_mcm_ctx ctx = {mod, seed, task};
    covar_compute(cv, g, mod->p.d, n, block, block_size, covar_mcm_rows, &ctx);
}

typedef struct {
    const dataset_t *ds;
    long r0;
} covar_data_ctx;

static void covar_data_rows(long r0, long nr, double *buf, void *ctx)
{
    const covar_data_ctx *c = ctx;
    dataset_read_rows(c->ds, c->r0 + r0, nr, buf);
}

void covar_from_dataset(covar_t *cv, const dmat_grid *g, const dataset_t *ds, long r0, long n,
                        long block, int block_size)
{
    covar_data_ctx ctx = {ds, r0};
    covar_compute(cv, g, ds->d, n, block, block_size, covar_data_rows, &ctx);
}

typedef struct {
    const double *rows;
    int d;
} covar_mem_ctx;

static void covar_mem_rows(long r0, long nr, double *buf, void *ctx)
{
    const covar_mem_ctx *c = ctx;
    if (nr > 0)
        memcpy(buf, c->rows + (size_t)r0 * (size_t)c->d,
               (size_t)nr * (size_t)c->d * sizeof(double));
}

void covar_from_rows(covar_t *cv, const dmat_grid *g, const double *rows, int d, long n, long block,
                     int block_size)
{
    covar_mem_ctx ctx = {rows, d};
    covar_compute(cv, g, d, n, block, block_size, covar_mem_rows, &ctx);
}

void covar_free(covar_t *cv)
{
    free(cv->mean);
    dmat_free(&cv->cov);
    memset(cv, 0, sizeof *cv);
}
