/* clone — Gaussian and mean clones of any data set: sampling; see include/core/clone.h. */
#include "core/clone.h"

#include "base/log.h"
#include "core/rng.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void clone_free(clone_t *cl)
{
    free(cl->mu);
    free(cl->F);
    cl->mu = cl->F = NULL;
}

void clone_sample(const clone_t *cl, bayes_clone kind, uint32_t seed, uint64_t task, int purpose,
                  uint64_t index, double *x)
{
    int d = cl->d;
    rng_stream s = rng_stream_make(seed, task, (rng_purpose)purpose);
    rng_normal(&s, index, 0, (size_t)d, x);
    if (kind == CLONE_MEAN) { /* DIC "gpiso": mean and average diagonal variance */
        double tau = sqrt(cl->sbar);
        for (int i = 0; i < d; i++)
            x[i] = cl->mu[i] + tau * x[i];
        return;
    }
    if (cl->used == CLONE_CHOLESKY) { /* x = L z in place: half the flops of a dense dgemv */
        cblas_dtrmv(CblasColMajor, CblasLower, CblasNoTrans, CblasNonUnit, d, cl->F, d, x, 1);
    } else {
        double *z = LOG_CALLOC((size_t)d, sizeof(double));
        memcpy(z, x, (size_t)d * sizeof(double));
        cblas_dgemv(CblasColMajor, CblasNoTrans, d, d, 1.0, cl->F, d, z, 1, 0.0, x, 1);
        free(z);
    }
    for (int i = 0; i < d; i++)
        x[i] += cl->mu[i];
}
