/* poploss_quad — the one- and two-dimensional Gaussian expectations of an activation that the
 * exact population losses (core/poploss.h) reduce to; private to core (poploss.c only).
 * Derivation, rules and measured accuracy: src/core/poploss.md.
 *
 * Pre-activations are written in standard normal variables g (g1, g2 independent N(0, 1)):
 *   one neuron:  h = mu + s g,                         s > 0,
 *   two neurons: h1 = mu1 + s1 g1, h2 = mu2 + c21 g1 + c22 g2,   s1 > 0, c22 >= 0
 * (a Cholesky factor of their 2 x 2 covariance; c22 = 0 is the collinear case). An optional
 * restriction of the latent lambda to an interval I (or a union of two) enters through its
 * conditional law lambda | g ~ N(b1 g1 + b2 g2, sl^2): the factor P = Pr(lambda in I | g) and the
 * truncated first moment D = E[(lambda - E[lambda | g]) 1{lambda in I} | g] / sl^2. */
#ifndef MCMSIM_POPLOSS_QUAD_H
#define MCMSIM_POPLOSS_QUAD_H

#include "core/act.h"

enum { PQ_GL = 12 }; /* Gauss-Legendre points per panel (kinked activations) */

/* How the activation continues off the real axis, which sets the node spacing. */
typedef enum {
    PQ_POLE, /* meromorphic: tanh, matched_v (poles at distance tau from the real axis) */
    PQ_ERF,  /* entire, |erf(x + iy)| <~ e^{y^2} */
    PQ_POLY, /* polynomial: linear, matched_u, Hermite */
    PQ_RELU, /* kink at 0: Gauss-Legendre panels with a breakpoint */
} pq_shape;

typedef struct {
    int n;               /* intervals (1 or 2, disjoint); 0: no restriction (P = 1, D = 0) */
    double lo[2], hi[2]; /* the union of [lo_i, hi_i], +-INFINITY allowed */
    double b1, b2;       /* lambda | g ~ N(b1 g1 + b2 g2, sl^2) */
    double sl;
} pq_trunc;

typedef struct {
    act_fn act;
    pq_shape shape;
    double tau; /* PQ_POLE: distance of the nearest pole of sigma(h) from the real h axis */
    int deg;    /* polynomial growth degree of sigma */
    double refine, G, dmax;
    double glx[PQ_GL], glw[PQ_GL]; /* Gauss-Legendre rule on [-1, 1] */
    int cap;                       /* nodes per rule */
    double *buf;                   /* three rules of cap nodes and weights */
    int degraded;                  /* a rule was capped at cap nodes: accuracy not guaranteed */
    long evals;                    /* integrand evaluations since pq_init (diagnostics) */
} pq_ctx;

/* refine > 0 multiplies every node density (1: the default rules of poploss.md). */
void pq_init(pq_ctx *q, double refine);
/* The activation of the next integrals (sets the rules' shape; no allocation). */
void pq_set_act(pq_ctx *q, const act_fn *a);
void pq_free(pq_ctx *q);
/* Standard normal density, and Phi(b) - Phi(a) for a <= b (infinite ends allowed). */
double pq_phi(double g);
double pq_Phi_diff(double a, double b);
/* sigma(h) exactly as core/act.c evaluates it (value only). */
double pq_sigma(const pq_ctx *q, double h);
/* J[0] = E[sigma P], J[1] = E[g sigma P], J[2] = E[sigma D], J[3] = E[sigma^2 P] for
 * h = mu + s g, s > 0. */
void pq_one(pq_ctx *q, double mu, double s, const pq_trunc *t, double J[4]);
/* E[sigma(h1) sigma(h2) P] for the two-neuron parametrisation above. */
double pq_two(pq_ctx *q, double mu1, double s1, double mu2, double c21, double c22,
              const pq_trunc *t);

#endif
