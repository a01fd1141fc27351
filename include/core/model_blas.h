/* model_blas — the dense-layer kernels shared by the model families (model_mlp.c,
 * model_linear.c): W is nout x nin row-major and a batch is B rows; B = 1 takes the BLAS-2
 * path, larger batches BLAS-3. */
#ifndef MCMSIM_MODEL_BLAS_H
#define MCMSIM_MODEL_BLAS_H

#include <cblas.h>

/* Y[B][nout] = X[B][nin] W^T. */
static inline void model_blas_xwt(int B, int nout, int nin, const double *W, const double *X,
                                  double *Y)
{
    if (B == 1)
        cblas_dgemv(CblasRowMajor, CblasNoTrans, nout, nin, 1.0, W, nin, X, 1, 0.0, Y, 1);
    else
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, nout, nin, 1.0, X, nin, W, nin, 0.0,
                    Y, nout);
}

/* Y[B][nin] = G[B][nout] W: the delta of the layer's input. */
static inline void model_blas_gw(int B, int nout, int nin, const double *W, const double *G,
                                 double *Y)
{
    if (B == 1)
        cblas_dgemv(CblasRowMajor, CblasTrans, nout, nin, 1.0, W, nin, G, 1, 0.0, Y, 1);
    else
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, nin, nout, 1.0, G, nout, W, nin,
                    0.0, Y, nin);
}

/* dW[nout][nin] += G[B][nout]^T X[B][nin]. */
static inline void model_blas_gtx(int B, int nout, int nin, const double *G, const double *X,
                                  double *dW)
{
    if (B == 1)
        cblas_dger(CblasRowMajor, nout, nin, 1.0, G, 1, X, 1, dW, nin);
    else
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, nout, nin, B, 1.0, G, nout, X, nin,
                    1.0, dW, nin);
}

#endif
