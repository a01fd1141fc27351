/* MPI test of the clone module (src/clone.c) on a grid over every rank:
 *  - SPD Sigma = I + 4 u u^T + 2 w w^T (random unit u, w): Cholesky and eigen factors satisfy
 *    F F^T = Sigma to rounding, and n Gaussian-clone samples have mean and covariance within
 *    5 standard errors of (mu, Sigma) entrywise (SE_ij = sqrt((S_ii S_jj + S_ij^2) / n), exact
 *    for Gaussian samples);
 *  - singular Sigma = Q Q^T, a projector on a d/2-dim subspace whose last coordinate is exactly
 *    0 (so PDPOTRF meets an exact zero pivot): method auto with no jitter falls back to eigen,
 *    F F^T = Sigma, samples have the right covariance and no component outside the range;
 *  - the mean clone has mean mu and covariance sbar I, sbar = tr(Sigma) / d;
 *  - an indefinite matrix (I - 2 u u^T) gets its negative eigenvalue clipped and counted;
 *  - the replicated factor is bitwise the same on every rank.
 * Usage: mpi_clone [DUMP]: rank 0 writes the first Cholesky-clone samples of the SPD case and
 * F F^T of the singular case to DUMP (raw doubles) so that the shell test compares rank counts
 * (ScaLAPACK on other grids: equal to rounding).
 *        mpi_clone --die: method = cholesky on the singular Sigma must end collectively (exit 1).
 * Prints "ok ..." on rank 0 and exits 0 when every check holds. */
#include "core/clone.h"
#include "parallel/dmat.h"
#include "base/log.h"
#include "core/rng.h"
#include "parallel/par.h"
#include "parallel/h5chk.h"
#include "parallel/clone_build.h"

#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define D 24
#define NS 20000 /* clone samples per check */
#define NDUMP 16 /* samples per case written for the rank-count comparison */
#define SEED 77u

static int n_bad;

static void expect(int ok, const char *what, double got, double want, double tol)
{
    if (ok) return;
    n_bad++;
    if (log_rank() == 0 && n_bad <= 20)
        fprintf(stderr, "FAIL %s: got %.6g, expected %.6g +- %.3g\n", what, got, want, tol);
}

static void unit_vector(uint64_t step, int n, double *x)
{
    rng_stream s = rng_stream_make(SEED, 1, RNG_TEST);
    rng_normal(&s, step, 0, (size_t)n, x);
    double q = 0;
    for (int i = 0; i < n; i++)
        q += x[i] * x[i];
    for (int i = 0; i < n; i++)
        x[i] /= sqrt(q);
}

/* Sigma = I + 4 u u^T + 2 w w^T, column-major. */
static void make_spd(double *S)
{
    double u[D], w[D];
    unit_vector(1, D, u);
    unit_vector(2, D, w);
    for (int j = 0; j < D; j++)
        for (int i = 0; i < D; i++)
            S[i + j * D] = (i == j) + 4 * u[i] * u[j] + 2 * w[i] * w[j];
}

/* Sigma = Q Q^T, Q: D/2 orthonormal columns (Gram-Schmidt twice) with last coordinate 0. */
static void make_singular(double *S)
{
    static double Q[D * (D / 2)];
    for (int k = 0; k < D / 2; k++) {
        double *q = &Q[k * D];
        unit_vector(10 + (uint64_t)k, D - 1, q);
        q[D - 1] = 0;
        for (int pass = 0; pass < 2; pass++)
            for (int l = 0; l < k; l++) {
                double dot = 0;
                for (int i = 0; i < D; i++)
                    dot += Q[l * D + i] * q[i];
                for (int i = 0; i < D; i++)
                    q[i] -= dot * Q[l * D + i];
            }
        double nq = 0;
        for (int i = 0; i < D; i++)
            nq += q[i] * q[i];
        for (int i = 0; i < D; i++)
            q[i] /= sqrt(nq);
    }
    for (int j = 0; j < D; j++)
        for (int i = 0; i < D; i++) {
            double s = 0;
            for (int k = 0; k < D / 2; k++)
                s += Q[k * D + i] * Q[k * D + j];
            S[i + j * D] = s;
        }
}

/* Builds the clone of (mu, S) on grid g with blocks of 5 (not a divisor of D: ragged edges). */
static void build(clone_t *cl, const dmat_grid *g, const double *S, const double *mu,
                  clone_method m, double jitter)
{
    dmat A;
    dmat_init(&A, g, D, D, 5, 5);
    dmat_from_full(&A, S);
    clone_build(cl, &A, mu, m, jitter);
    dmat_free(&A);
}

/* F F^T against Sigma (+ the jitter on the diagonal), to rounding. */
static void check_factor(const clone_t *cl, const double *S, const char *what)
{
    double err = 0, big = 0;
    for (int i = 0; i < D; i++)
        for (int j = 0; j < D; j++) {
            double s = 0;
            for (int k = 0; k < D; k++)
                s += cl->F[i + k * D] * cl->F[j + k * D];
            err = fmax(err, fabs(s - S[i + j * D] - (i == j) * cl->jitter_abs));
            big = fmax(big, fabs(S[i + j * D]));
        }
    char name[96];
    snprintf(name, sizeof name, "%s: max |F F^T - Sigma|", what);
    expect(err <= 1e-12 * big, name, err, 0, 1e-12 * big);
}

/* Mean and covariance of NS clone samples within 5 standard errors of (mu, S). */
static void check_moments(const clone_t *cl, bayes_clone kind, const double *mu, const double *S,
                          const char *what)
{
    double *x = malloc(sizeof(double) * D * NS), m[D] = {0}, C[D * D] = {0};
    for (int n = 0; n < NS; n++) {
        clone_sample(cl, kind, SEED, 3, RNG_EVAL, (uint64_t)n, &x[n * D]);
        for (int i = 0; i < D; i++)
            m[i] += x[n * D + i] / NS;
    }
    for (int n = 0; n < NS; n++)
        for (int j = 0; j < D; j++)
            for (int i = 0; i < D; i++)
                C[i + j * D] += (x[n * D + i] - m[i]) * (x[n * D + j] - m[j]) / (NS - 1);
    char name[128];
    for (int i = 0; i < D; i++) {
        double se = sqrt(S[i + i * D] / NS), tol = 5 * se + 1e-12;
        snprintf(name, sizeof name, "%s: mean[%d]", what, i);
        expect(fabs(m[i] - mu[i]) <= tol, name, m[i], mu[i], tol);
        for (int j = 0; j <= i; j++) {
            double sij = S[i + j * D];
            se = sqrt((S[i + i * D] * S[j + j * D] + sij * sij) / NS), tol = 5 * se + 1e-12;
            snprintf(name, sizeof name, "%s: cov[%d][%d]", what, i, j);
            expect(fabs(C[i + j * D] - sij) <= tol, name, C[i + j * D], sij, tol);
        }
    }
    free(x);
}

/* Every rank holds the same factor, bit for bit (dmat_gather replicates it). */
static void check_replicated(const clone_t *cl, const char *what)
{
    unsigned long h = 1469598103934665603UL, lo, hi;
    const unsigned char *b = (const unsigned char *)cl->F;
    for (size_t i = 0; i < sizeof(double) * D * D; i++)
        h = (h ^ b[i]) * 1099511628211UL;
    MPI_Allreduce(&h, &lo, 1, MPI_UNSIGNED_LONG, MPI_MIN, MPI_COMM_WORLD);
    MPI_Allreduce(&h, &hi, 1, MPI_UNSIGNED_LONG, MPI_MAX, MPI_COMM_WORLD);
    char name[96];
    snprintf(name, sizeof name, "%s: factor identical on every rank", what);
    expect(lo == hi, name, 0, 0, 0);
}

/* Samples of the singular clone have no component outside range(Sigma) = range(Q). */
static void check_null_space(const clone_t *cl, const double *P, const double *mu)
{
    double x[D], worst = 0;
    for (int n = 0; n < 2000; n++) {
        clone_sample(cl, CLONE_GAUSS, SEED, 3, RNG_EVAL, (uint64_t)n, x);
        for (int i = 0; i < D; i++) {
            double r = x[i] - mu[i]; /* (I - P)(x - mu) */
            for (int k = 0; k < D; k++)
                r -= P[i + k * D] * (x[k] - mu[k]);
            worst = fmax(worst, fabs(r));
        }
    }
    expect(worst < 1e-10, "singular: component outside the range", worst, 0, 1e-10);
    expect(x[D - 1] == mu[D - 1], "singular: zero-variance coordinate", x[D - 1], mu[D - 1], 0);
}

static void dump(FILE *f, const clone_t *cl)
{
    double x[D];
    for (int n = 0; n < NDUMP; n++) {
        clone_sample(cl, CLONE_GAUSS, SEED, 3, RNG_EVAL, (uint64_t)n, x);
        fwrite(x, sizeof(double), D, f);
    }
}

/* An eigen factor of a degenerate spectrum is unique only up to a rotation inside each
 * eigenspace (ScaLAPACK on another grid picks another basis), so its samples may differ between
 * rank counts: F F^T is what must agree. */
static void dump_ffT(FILE *f, const clone_t *cl)
{
    for (int j = 0; j < D; j++)
        for (int i = 0; i < D; i++) {
            double s = 0;
            for (int k = 0; k < D; k++)
                s += cl->F[i + k * D] * cl->F[j + k * D];
            fwrite(&s, sizeof(double), 1, f);
        }
}

int main(int argc, char **argv)
{
    par_init(&argc, &argv);
    h5chk_init();
    log_set_quiet(1);
    int np, nr, nc;
    char err[128];
    MPI_Comm_size(MPI_COMM_WORLD, &np);
    if (!dmat_grid_shape(np, 0, 0, &nr, &nc, err, sizeof err)) LOG_DIE("%s", err);
    dmat_grid g;
    dmat_grid_init(&g, MPI_COMM_WORLD, nr, nc);
    static double S[D * D], P[D * D], I[D * D];
    double mu[D];
    make_spd(S);
    make_singular(P);
    unit_vector(99, D, mu);
    clone_t cl;
    if (argc > 1 && !strcmp(argv[1], "--die")) {
        build(&cl, &g, P, mu, CLONE_CHOLESKY, 0.0); /* must not return */
        LOG_DIE("clone_build returned for a singular matrix with method = cholesky");
    }
    FILE *out = argc > 1 && log_rank() == 0 ? fopen(argv[1], "wb") : NULL;

    build(&cl, &g, S, mu, CLONE_CHOLESKY, 1e-10);
    expect(cl.used == CLONE_CHOLESKY, "spd: cholesky used", cl.used, CLONE_CHOLESKY, 0);
    check_factor(&cl, S, "spd cholesky");
    check_replicated(&cl, "spd cholesky");
    check_moments(&cl, CLONE_GAUSS, mu, S, "spd cholesky gauss");
    double sbar = 0;
    for (int i = 0; i < D; i++)
        sbar += S[i + i * D] / D;
    expect(fabs(cl.sbar - sbar) < 1e-14 * sbar, "spd: sbar", cl.sbar, sbar, 1e-14 * sbar);
    for (int i = 0; i < D * D; i++)
        I[i] = (i % (D + 1) == 0) * sbar;
    check_moments(&cl, CLONE_MEAN, mu, I, "spd mean clone");
    if (out) dump(out, &cl);
    clone_free(&cl);

    build(&cl, &g, S, mu, CLONE_EIGEN, 1e-10);
    expect(cl.used == CLONE_EIGEN && cl.jitter_abs == 0, "spd: eigen used", cl.used, CLONE_EIGEN,
           0);
    check_factor(&cl, S, "spd eigen");
    check_moments(&cl, CLONE_GAUSS, mu, S, "spd eigen gauss");
    clone_free(&cl);

    build(&cl, &g, P, mu, CLONE_AUTO, 0.0);
    expect(cl.used == CLONE_EIGEN, "singular: auto fell back to eigen", cl.used, CLONE_EIGEN, 0);
    check_factor(&cl, P, "singular eigen");
    check_replicated(&cl, "singular eigen");
    check_moments(&cl, CLONE_GAUSS, mu, P, "singular gauss");
    check_null_space(&cl, P, mu);
    expect(fabs(cl.sbar - 0.5) < 1e-14, "singular: sbar = 1/2", cl.sbar, 0.5, 1e-14);
    if (out) dump_ffT(out, &cl);
    int clipped = cl.n_clipped;
    clone_free(&cl);

    /* Not positive semi-definite: I - 2 u u^T has eigenvalue -1 along u, clipped to 0, so the
     * clone has covariance I - u u^T and reports one clipped eigenvalue. */
    double u[D];
    unit_vector(1, D, u);
    for (int j = 0; j < D; j++)
        for (int i = 0; i < D; i++)
            S[i + j * D] = (i == j) - 2 * u[i] * u[j];
    build(&cl, &g, S, mu, CLONE_AUTO, 1e-10);
    expect(cl.used == CLONE_EIGEN && cl.n_clipped == 1, "indefinite: eigen, 1 clipped",
           cl.n_clipped, 1, 0);
    for (int j = 0; j < D; j++)
        for (int i = 0; i < D; i++)
            S[i + j * D] = (i == j) - u[i] * u[j];
    check_factor(&cl, S, "indefinite clipped");
    clone_free(&cl);

    if (out) fclose(out);
    /* Rounding-level negatives of a singular matrix are zero eigenvalues, not clipped ones. */
    expect(clipped == 0, "singular: no eigenvalue clipped", clipped, 0, 0);
    int bad = n_bad, any;
    MPI_Allreduce(&bad, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (log_rank() == 0)
        printf("%s clone checks on a %d x %d grid\n", any ? "not ok" : "ok", nr, nc);
    dmat_grid_free(&g);
    MPI_Finalize();
    return any ? 1 : 0;
}
