/* run_gauss_fin — the predictions of /gaussian/sgd that depend on how SGD sees the data: the
 * finite training set (gaussian-theory.md §2.1, §5; /gaussian/sgd/finite) and the stationary
 * fluctuation of online mini-batch SGD (§5.3; /gaussian/sgd/stationary_var). See
 * include/cli/run_gauss.h.
 *
 * Finite set of replica r: samples 0 .. n-1 of stream (seed, task_id(d, r, 0), RNG_GAUSS), the
 * one set every level of the replica trains on. Its second moment S = V Lambda^ V^T (PDSYEVD)
 * and M = U^T V (the sample eigenvectors in the population eigenbasis) give everything in the
 * population eigenbasis, where /gaussian/sgd/weight_levels lives:
 *   u_k^T S u_k = sum_j M_kj^2 lambda^_j,
 *   U^T W*^ U = M diag(w^) M^T, w^_j = lambda^_j / (lambda^_j + sigma^2)   (W*^ = S (S + s^2)^-1),
 *   full-batch GD from the aligned start U diag(Q) U^T, after n steps of size eta:
 *   U^T W_n U = U^T W*^ U + (diag(Q) - U^T W*^ U) M diag((1 - 2 eta (lambda^_j + sigma^2))^n) M^T.
 *
 * Stationary fluctuation: gdata_sgd_stationary_var (core/gdata.h), per level. */
#include "cli/run_gauss.h"

#include "base/log.h"
#include "parallel/dmat.h"
#include "parallel/gbasis.h"
#include "parallel/par.h"
#include "spec/spec.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The finite-set facts of one replica. */
typedef struct {
    double *lam; /* [d] eigenvalues of S, largest first */
    double *M;   /* [d][d] row-major, M_kj = u_k . v_j */
    double *pop; /* [d] u_k^T S u_k */
} rf_set;

/* Collective: S of replica r, its eigenpairs on a grid over every rank, M = U^T V. */
static void rf_set_build(rf_set *s, const run_gauss *rg, const cfg_resolved *cr, int r)
{
    const cfg_t *c = &cr->v;
    const gdata *g = &rg->g;
    int d = g->d;
    size_t n = (size_t)d;
    uint64_t nt = spec_n_train(c, d);
    double *S = LOG_CALLOC(n * n, sizeof(double)), *m = LOG_CALLOC(n, sizeof(double));
    gdata_moments(g, (uint32_t)c->run.seed, task_id(d, r, 0), RNG_GAUSS, nt, S, m);
    int pr, pc;
    char err[128];
    if (!dmat_grid_shape(log_size(), 0, 0, &pr, &pc, err, sizeof err)) pr = 1, pc = log_size();
    dmat_grid grid;
    dmat_grid_init(&grid, MPI_COMM_WORLD, pr, pc);
    dmat A;
    dmat_init(&A, &grid, d, d, (int)c->covar.block_size, (int)c->covar.block_size);
    dmat_from_full(&A, S);
    s->lam = LOG_CALLOC(n, sizeof(double));
    double *V = LOG_CALLOC(n * n, sizeof(double)); /* column-major: row-major read is V^T */
    int info = gbasis_eigen(&A, s->lam, V);
    dmat_free(&A);
    dmat_grid_free(&grid);
    if (info != 0)
        LOG_DIE_COLL(LOG_EXIT_RUNTIME,
                     "the eigendecomposition of the training set's second moment did not "
                     "converge (PDSYEVD info %d)",
                     info);
    s->M = LOG_CALLOC(n * n, sizeof(double));
    if (g->U)
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, d, d, d, 1.0, g->U, d, V, d, 0.0, s->M,
                    d);
    else
        for (size_t k = 0; k < n; k++)
            for (size_t j = 0; j < n; j++)
                s->M[k * n + j] = V[j * n + k];
    s->pop = LOG_CALLOC(n, sizeof(double));
    for (size_t k = 0; k < n; k++)
        for (size_t j = 0; j < n; j++)
            s->pop[k] += s->M[k * n + j] * s->M[k * n + j] * s->lam[j];
    free(S), free(m), free(V);
}

static void rf_set_free(rf_set *s)
{
    free(s->lam), free(s->M), free(s->pop);
}

/* out = M diag(e) M^T + base (base NULL: none), row-major d x d; work: d x d. */
static void rf_sandwich(int d, const double *L, const double *M, const double *e,
                        const double *base, double *out, double *work)
{
    size_t n = (size_t)d;
    for (size_t k = 0; k < n; k++)
        for (size_t j = 0; j < n; j++)
            work[k * n + j] = L[k * n + j] * e[j];
    if (base) memcpy(out, base, n * n * sizeof(double));
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, d, d, d, 1.0, work, d, M, d,
                base ? 1.0 : 0.0, out, d);
}

/* Diagonal of A into w, its off-diagonal Frobenius norm returned. */
static double rf_diag(int d, const double *A, double *w)
{
    size_t n = (size_t)d;
    double s = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            if (i == j)
                w[i] = A[i * n + j];
            else
                s += A[i * n + j] * A[i * n + j];
    return sqrt(s);
}

typedef struct {
    int d, L, R, nt, traj;
    const double *sigma, *step, *q;
    double eta;
    double *pop, *spec;  /* [R][d] */
    double *wopt, *oopt; /* [L][R][d], [L][R] */
    double *wgd, *ogd;   /* [L][R][nt][d], [L][R][nt] */
} rf_out;

/* Level l of replica r (set s): the optimum and, when traj, the GD trajectory. */
static void rf_level(rf_out *o, const rf_set *s, int l, int r)
{
    int d = o->d;
    size_t n = (size_t)d, lr = (size_t)l * (size_t)o->R + (size_t)r;
    double s2 = o->sigma[l] * o->sigma[l];
    double *e = LOG_CALLOC(n, sizeof(double)), *Wst = LOG_CALLOC(n * n, sizeof(double));
    double *P = LOG_CALLOC(n * n, sizeof(double)), *A = LOG_CALLOC(n * n, sizeof(double));
    double *work = LOG_CALLOC(n * n, sizeof(double));
    for (size_t j = 0; j < n; j++)
        e[j] = s->lam[j] / (s->lam[j] + s2);
    rf_sandwich(d, s->M, s->M, e, NULL, Wst, work);
    o->oopt[lr] = rf_diag(d, Wst, &o->wopt[lr * n]);
    if (o->traj) {
        /* P = (diag(Q) - U^T W*^ U) M */
        for (size_t k = 0; k < n; k++)
            for (size_t i = 0; i < n; i++)
                A[k * n + i] = (k == i ? o->q[k] : 0) - Wst[k * n + i];
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, d, d, d, 1.0, A, d, s->M, d, 0.0, P,
                    d);
        for (int i = 0; i < o->nt; i++) {
            for (size_t j = 0; j < n; j++)
                e[j] = pow(1 - 2 * o->eta * (s->lam[j] + s2), o->step[i]);
            rf_sandwich(d, P, s->M, e, Wst, A, work);
            size_t at = lr * (size_t)o->nt + (size_t)i;
            o->ogd[at] = rf_diag(d, A, &o->wgd[at * n]);
        }
    }
    free(e), free(Wst), free(P), free(A), free(work);
}

static void rf_write(h5out_file *f, const rf_out *o, uint64_t ntrain)
{
    const hid_t D = H5T_NATIVE_DOUBLE;
    hsize_t rd[2] = {(hsize_t)o->R, (hsize_t)o->d},
            lrd[3] = {(hsize_t)o->L, (hsize_t)o->R, (hsize_t)o->d};
    hsize_t lr[2] = {(hsize_t)o->L, (hsize_t)o->R};
    hsize_t lrtd[4] = {(hsize_t)o->L, (hsize_t)o->R, (hsize_t)o->nt, (hsize_t)o->d};
    hsize_t lrt[3] = {(hsize_t)o->L, (hsize_t)o->R, (hsize_t)o->nt};
    h5out_group(f, "/gaussian/sgd/finite",
                "the finite training set of each replica (train.data = finite, shared by its "
                "levels): its second moment S = (1/n) sum x x^T in the population eigenbasis, "
                "and what a linear denoiser trained on it learns (the empirical Gaussian, "
                "gaussian-theory.md §2.1, §5)");
    h5out_attr_long(f->file, "/gaussian/sgd/finite", "n_train", (long)ntrain);
    h5out_write_all(f, "/gaussian/sgd/finite/lambda_emp", D, 2, rd, o->pop,
                    "[replica][mode] u_k^T S u_k, the training set's variance along population "
                    "mode k (Gaussian samples: mean lambda_k, variance 2 lambda_k^2 / n)",
                    "x units^2");
    h5out_write_all(f, "/gaussian/sgd/finite/spectrum_emp", D, 2, rd, o->spec,
                    "[replica][index] eigenvalues of S, largest first", "x units^2");
    h5out_write_all(f, "/gaussian/sgd/finite/weight_opt", D, 3, lrd, o->wopt,
                    "[level][replica][mode] u_k^T W*^ u_k of the finite-set optimum W*^ = S (S + "
                    "sigma^2 I)^-1 (population optimum: lambda_k / (lambda_k + sigma^2))",
                    "1");
    h5out_write_all(f, "/gaussian/sgd/finite/offdiag_opt", D, 2, lr, o->oopt,
                    "[level][replica] off-diagonal norm of U^T W*^ U (population optimum: 0)", "1");
    if (!o->traj) return;
    h5out_write_all(f, "/gaussian/sgd/finite/weight_gd", D, 4, lrtd, o->wgd,
                    "[level][replica][time][mode] u_k^T W u_k of full-batch GD on the training "
                    "set from the aligned start at the observation steps, W*^ + (W(0) - W*^) V "
                    "diag((1 - 2 eta (lambda^_j + sigma^2))^steps) V^T (gaussian.sgd_batch = "
                    "full follows it to rounding; mini-batch SGD on average, up to the batches' "
                    "own moments)",
                    "1");
    h5out_write_all(f, "/gaussian/sgd/finite/offdiag_gd", D, 3, lrt, o->ogd,
                    "[level][replica][time] off-diagonal norm of U^T W U of that GD", "1");
}

static void rf_finite(h5out_file *f, const run_gauss *rg, const cfg_resolved *cr, int L,
                      const double *sigma, int nt, const double *step)
{
    const cfg_t *c = &cr->v;
    int d = rg->g.d, R = (int)c->run.n_seeds, rank = log_rank(), size = log_size();
    size_t n = (size_t)d;
    rf_out o = {.d = d,
                .L = L,
                .R = R,
                .nt = nt,
                .sigma = sigma,
                .step = step,
                .q = rg->g.q,
                .eta = rg->eta};
    /* the closed form of the trajectory is the one-layer law from the aligned start */
    o.traj = rg->g.aligned && cfg_enum_is(cfg_find("model", "family"), c->model.family, "linear");
    o.pop = LOG_CALLOC((size_t)R * n, sizeof(double));
    o.spec = LOG_CALLOC((size_t)R * n, sizeof(double));
    o.wopt = LOG_CALLOC((size_t)L * (size_t)R * n, sizeof(double));
    o.oopt = LOG_CALLOC((size_t)L * (size_t)R, sizeof(double));
    size_t ntr = o.traj ? (size_t)L * (size_t)R * (size_t)nt : 0;
    o.wgd = LOG_CALLOC(ntr * n + 1, sizeof(double));
    o.ogd = LOG_CALLOC(ntr + 1, sizeof(double));
    for (int r = 0; r < R; r++) {
        rf_set s;
        rf_set_build(&s, rg, cr, r); /* collective, the same on every rank */
        memcpy(&o.pop[(size_t)r * n], s.pop, n * sizeof(double));
        memcpy(&o.spec[(size_t)r * n], s.lam, n * sizeof(double));
        for (int l = 0; l < L; l++) /* (level, replica) pairs dealt over the ranks */
            if ((l * R + r) % size == rank) rf_level(&o, &s, l, r);
        rf_set_free(&s);
    }
    double *sum[3] = {o.wopt, o.wgd, o.ogd};
    size_t cnt[3] = {(size_t)L * (size_t)R * n, ntr * n, ntr};
    for (int j = 0; j < 3; j++)
        if (cnt[j])
            PAR_MPI(MPI_Allreduce(MPI_IN_PLACE, sum[j], (int)cnt[j], MPI_DOUBLE, MPI_SUM,
                                  MPI_COMM_WORLD));
    PAR_MPI(MPI_Allreduce(MPI_IN_PLACE, o.oopt, L * R, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD));
    rf_write(f, &o, spec_n_train(c, d));
    free(o.pop), free(o.spec), free(o.wopt), free(o.oopt), free(o.wgd), free(o.ogd);
}

void run_gauss_write_data(h5out_file *f, const run_gauss *rg, const cfg_resolved *cr, int L,
                          const double *sigma, int nt, const double *step)
{
    const cfg_t *c = &cr->v;
    int d = rg->g.d;
    if (c->train.data != 0) {
        rf_finite(f, rg, cr, L, sigma, nt, step);
        return;
    }
    int lin = cfg_enum_is(cfg_find("model", "family"), c->model.family, "linear");
    if (!lin || c->model.bias || c->gaussian.mean != 0 || c->gaussian.sgd_batch != 0 ||
        c->gaussian.precond != 0)
        return;
    double *v = LOG_CALLOC((size_t)L * (size_t)d, sizeof(double));
    for (int l = 0; l < L; l++)
        gdata_sgd_stationary_var(d, rg->g.lambda, sigma[l], rg->eta, (double)c->train.batch,
                                 &v[(size_t)l * (size_t)d]);
    hsize_t dims[2] = {(hsize_t)L, (hsize_t)d};
    h5out_write_all(f, "/gaussian/sgd/stationary_var", H5T_NATIVE_DOUBLE, 2, dims, v,
                    "[level][mode] stationary variance of u_k^T W u_k under online mini-batch "
                    "SGD around W* (exact in discrete time for Gaussian data: eta c_k rho_k / (1 "
                    "- eta T), c_l = 1 / (B [1 - eta a_l (1 + 1/B)]), T = sum_l a_l c_l, a = "
                    "lambda + sigma^2, rho = sigma^2 lambda / a; small eta: eta rho_k / B, "
                    "gaussian-theory.md §5.3); inf: SGD unstable",
                    "1");
    free(v);
}
