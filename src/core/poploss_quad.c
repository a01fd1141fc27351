/* poploss_quad — Gaussian expectations of activations; see poploss_quad.h and poploss.md §4.
 *
 * Two rules, both in the standard normal variable g, with the weight phi(g) folded in:
 *  - analytic activations: the trapezoid rule on [-G, G]. For an integrand analytic in the strip
 *    |Im g| < y_p and growing there like e^{kappa_t y^2} (kappa_t = 1/2 from phi plus the
 *    activation's and the truncation factor's own growth) its error is below
 *    max_y exp(kappa_t y^2 - 2 pi y / delta) (y <= y_p), so delta is chosen to make that e^-E;
 *  - kinked activations (ReLU): Gauss-Legendre panels of PQ_GL points, cut at the kink, with
 *    panels graded geometrically towards a "soft" kink (the ReLU smoothed over a small width).
 * G is set by the polynomial growth of the integrand so that the tails are below e^-E.
 * Closed forms replace a rule where they are simpler (ReLU in 1-D, the inner expectation of
 * ReLU and erf pairs), and restricted pairs are rotated so that P needs one evaluation per outer
 * node (poploss.md §4). */
#include "poploss_quad.h"

#include "base/log.h"

#include <gsl/gsl_integration.h>
#include <math.h>
#include <stdlib.h>

enum { PQ_CAP = 6000, PQ_MAXCUT = 160 };
static const double PQ_E = 38.0;     /* target error e^-38 ~ 3e-17 per rule (before prefactors) */
static const double PQ_ELL = 2.5;    /* longest Gauss-Legendre panel */
static const double PQ_SLMIN = 1e-6; /* smallest conditional sd of lambda without a warning */

typedef struct {
    int n;
    double *g, *w;
} pq_rule;

double pq_phi(double g)
{
    return 0.39894228040143267794 * exp(-0.5 * g * g);
}

/* Phi(b) - Phi(a) for a <= b, from the tail where it does not cancel. */
double pq_Phi_diff(double a, double b)
{
    if (a > 0.0) return 0.5 * (erfc(a * M_SQRT1_2) - erfc(b * M_SQRT1_2));
    return 0.5 * (erfc(-b * M_SQRT1_2) - erfc(-a * M_SQRT1_2));
}

static double pq_hermite(int k, double h)
{
    double p0 = 1.0, p1 = h;
    if (k == 0) return 1.0;
    for (int n = 1; n < k; n++) {
        double p2 = h * p1 - n * p0;
        p0 = p1;
        p1 = p2;
    }
    return p1;
}

/* tanh from one exp: absolute error below 3e-16 (all a Gaussian expectation can see), at a
 * fraction of libm's tanh. */
static inline double pq_tanh(double x)
{
    double e = exp(-2.0 * fabs(x)), r = (1.0 - e) / (1.0 + e);
    return x < 0.0 ? -r : r;
}

double pq_sigma(const pq_ctx *q, double h)
{
    const act_fn *a = &q->act;
    double f = 0.0;
    switch (a->kind) {
    case ACT_TANH:
        f = pq_tanh(h);
        break;
    case ACT_ERF:
        f = erf(h);
        break;
    case ACT_RELU:
        f = h > 0 ? h : 0.0;
        break;
    case ACT_LINEAR:
        f = h;
        break;
    case ACT_HERMITE:
        f = pq_hermite(a->k, h);
        break;
    case ACT_MATCHED_U:
        f = a->c1 * h;
        break;
    case ACT_MATCHED_V:
        f = a->c1 * (pq_tanh(a->c2 * h) - a->c3 * h);
        break;
    }
    return a->scale * f;
}

void pq_init(pq_ctx *q, double refine)
{
    *q = (pq_ctx){.refine = refine > 0 ? refine : 1.0, .cap = PQ_CAP};
    gsl_integration_glfixed_table *t = gsl_integration_glfixed_table_alloc(PQ_GL);
    for (int i = 0; i < PQ_GL; i++)
        gsl_integration_glfixed_point(-1.0, 1.0, (size_t)i, &q->glx[i], &q->glw[i], t);
    gsl_integration_glfixed_table_free(t);
    q->buf = LOG_CALLOC(6 * (size_t)q->cap, sizeof(double));
    pq_set_act(q, &(act_fn){.kind = ACT_LINEAR, .scale = 1.0});
}

void pq_set_act(pq_ctx *q, const act_fn *a)
{
    q->act = *a;
    q->shape = PQ_POLY, q->deg = 1, q->tau = INFINITY, q->dmax = 0.45;
    switch (a->kind) {
    case ACT_TANH:
        q->shape = PQ_POLE, q->deg = 0, q->tau = 0.5 * M_PI;
        break;
    case ACT_MATCHED_V: /* tanh(c2 h): poles at pi / (2 c2); c2 = 0 leaves the linear part */
        if (a->c2 != 0.0) q->shape = PQ_POLE, q->tau = 0.5 * M_PI / fabs(a->c2);
        break;
    case ACT_ERF:
        q->shape = PQ_ERF, q->deg = 0;
        break;
    case ACT_RELU:
        q->shape = PQ_RELU;
        break;
    case ACT_HERMITE: /* He_k^2 has large coefficients: a finer spacing than for bounded ones */
        q->deg = a->k, q->dmax = 0.35;
        break;
    case ACT_LINEAR:
    case ACT_MATCHED_U:
        break;
    }
    /* Tails: phi(G) G^p < e^-E for the integrands' polynomial degree p = 2 deg + 1. */
    int p = 2 * q->deg + 1;
    double G = 9.0;
    for (int it = 0; it < 6; it++)
        G = sqrt(2.0 * (PQ_E + p * log(G)));
    q->G = G;
}

void pq_free(pq_ctx *q)
{
    free(q->buf);
    q->buf = NULL;
}

static pq_rule pq_slot(const pq_ctx *q, int k)
{
    size_t c = (size_t)q->cap;
    return (pq_rule){0, q->buf + 2 * (size_t)k * c, q->buf + (2 * (size_t)k + 1) * c};
}

/* ---------------------------------------------------------------------------------------------
 * Rules
 * ------------------------------------------------------------------------------------------- */

/* Growth rate kappa (|f(g + iy)| <~ e^{kappa y^2}) and pole distance y_p, in g units, of sigma
 * at scale s (h = ... + s g); of the truncation factors, whose argument moves by b / sl per g. */
static double pq_kappa_sig(const pq_ctx *q, double s)
{
    return q->shape == PQ_ERF ? s * s : 0.0;
}

static double pq_yp(const pq_ctx *q, double s)
{
    return q->shape == PQ_POLE && s > 0.0 ? q->tau / s : INFINITY;
}

static double pq_kappa_trunc(const pq_trunc *t, double b)
{
    double sl = fmax(t->sl, PQ_SLMIN);
    return t->n ? 0.5 * b * b / (sl * sl) : 0.0;
}

static double pq_trap_step(const pq_ctx *q, double kappa, double yp)
{
    double kt = 0.5 + kappa, d = M_PI / sqrt(kt * PQ_E);
    if (yp < M_PI / (kt * d)) d = fmin(d, 2.0 * M_PI * yp / (PQ_E + kt * yp * yp));
    return fmin(d, q->dmax) / q->refine;
}

static void pq_rule_trap(pq_ctx *q, pq_rule *r, double kappa, double yp)
{
    double d = pq_trap_step(q, kappa, yp), nh = ceil(q->G / d);
    int half = (int)nh;
    if (!(2.0 * nh + 1.0 <= q->cap)) { /* also catches d = 0 */
        half = (q->cap - 1) / 2;
        d = q->G / half;
        q->degraded = 1;
    }
    r->n = 2 * half + 1;
    for (int i = 0; i <= half; i++) {
        double g = i * d, w = d * pq_phi(g);
        r->g[half + i] = g, r->w[half + i] = w;
        r->g[half - i] = -g, r->w[half - i] = w;
    }
}

static double pq_panel_len(const pq_ctx *q, double kappa_x, double yp)
{
    double ell = PQ_ELL;
    if (kappa_x > 0.0) ell = fmin(ell, 1.5 / sqrt(kappa_x));
    if (isfinite(yp)) ell = fmin(ell, 0.9 * yp);
    return ell / q->refine;
}

static int pq_add_cut(double *cut, int n, double x, double a, double b)
{
    if (n < PQ_MAXCUT && x > a && x < b) cut[n++] = x;
    return n;
}

static int pq_cmp(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* Panels on [a, b] of length <= ell, cut at brk and graded around sc (width sw > 0): cuts at
 * sc +- sw 2^j, so that the panels next to a smoothed kink are as wide as its width. */
static void pq_rule_panels(pq_ctx *q, pq_rule *r, double a, double b, double ell, double brk,
                           double sc, double sw)
{
    r->n = 0;
    if (!(b > a)) return;
    double cut[PQ_MAXCUT];
    int nc = 0;
    cut[nc++] = a, cut[nc++] = b;
    if (isfinite(brk)) nc = pq_add_cut(cut, nc, brk, a, b);
    if (isfinite(sc) && sw > 0.0) {
        nc = pq_add_cut(cut, nc, sc, a, b);
        for (double h = sw; h < ell; h *= 2.0) {
            nc = pq_add_cut(cut, nc, sc - h, a, b);
            nc = pq_add_cut(cut, nc, sc + h, a, b);
        }
    }
    qsort(cut, (size_t)nc, sizeof cut[0], pq_cmp);
    for (;;) {
        double np = 0.0;
        for (int i = 0; i + 1 < nc; i++)
            np += ceil((cut[i + 1] - cut[i]) / ell);
        if (np * PQ_GL <= q->cap) break;
        ell *= 2.0, q->degraded = 1;
    }
    for (int i = 0; i + 1 < nc; i++) {
        double len = cut[i + 1] - cut[i];
        int np = (int)ceil(len / ell);
        if (!(len > 0.0)) continue;
        double hl = 0.5 * len / np;
        for (int p = 0; p < np; p++) {
            double c = cut[i] + (2 * p + 1) * hl;
            for (int j = 0; j < PQ_GL; j++) {
                double g = c + hl * q->glx[j];
                r->g[r->n] = g, r->w[r->n] = hl * q->glw[j] * pq_phi(g);
                r->n++;
            }
        }
    }
}

/* P and D of poploss_quad.h at lambda's conditional mean m. */
static void pq_trunc_eval(pq_ctx *q, const pq_trunc *t, double m, double *P, double *D)
{
    double sl = t->sl;
    if (sl < PQ_SLMIN) q->degraded = 1, sl = fmax(sl, 1e-300);
    *P = *D = 0.0;
    for (int i = 0; i < t->n; i++) {
        double lo = (t->lo[i] - m) / sl, hi = (t->hi[i] - m) / sl;
        *P += pq_Phi_diff(lo, hi);
        *D += (pq_phi(lo) - pq_phi(hi)) / sl;
    }
}

/* ---------------------------------------------------------------------------------------------
 * One neuron
 * ------------------------------------------------------------------------------------------- */

/* ReLU without restriction, a = mu / s: E relu = mu Phi(a) + s phi(a), E[g relu] = s Phi(a),
 * E relu^2 = (mu^2 + s^2) Phi(a) + mu s phi(a). */
static void pq_relu_one(const pq_ctx *q, double mu, double s, double J[4])
{
    double a = mu / s, Pa = 0.5 * erfc(-a * M_SQRT1_2), pa = pq_phi(a), sc = q->act.scale;
    J[0] = sc * (mu * Pa + s * pa);
    J[1] = sc * s * Pa;
    J[2] = 0.0;
    J[3] = sc * sc * ((mu * mu + s * s) * Pa + mu * s * pa);
}

void pq_one(pq_ctx *q, double mu, double s, const pq_trunc *t, double J[4])
{
    J[0] = J[1] = J[2] = J[3] = 0.0;
    if (!t->n && q->shape == PQ_RELU) {
        pq_relu_one(q, mu, s, J);
        return;
    }
    pq_rule r = pq_slot(q, 0);
    double kx = pq_kappa_trunc(t, t->b1);
    if (q->shape == PQ_RELU)
        pq_rule_panels(q, &r, fmax(-mu / s, -q->G), q->G, pq_panel_len(q, kx, INFINITY), NAN, NAN,
                       0.0);
    else /* sigma^2 is the most demanding of the four integrands */
        pq_rule_trap(q, &r, 2.0 * pq_kappa_sig(q, s) + kx, pq_yp(q, s));
    q->evals += r.n;
    for (int i = 0; i < r.n; i++) {
        double g = r.g[i], f = pq_sigma(q, mu + s * g), P = 1.0, D = 0.0;
        if (t->n) pq_trunc_eval(q, t, t->b1 * g, &P, &D);
        double wf = r.w[i] * f;
        J[0] += wf * P;
        J[1] += wf * g * P;
        J[2] += wf * D;
        J[3] += wf * f * P;
    }
}

/* ---------------------------------------------------------------------------------------------
 * Two neurons
 * ------------------------------------------------------------------------------------------- */

/* c22 = 0: h2 = mu2 + c21 g1 is a function of g1. ReLU: only where both are positive. */
static double pq_two_collinear(pq_ctx *q, double mu1, double s1, double mu2, double c21,
                               const pq_trunc *t)
{
    pq_rule r = pq_slot(q, 0);
    double kx = pq_kappa_trunc(t, t->b1);
    if (q->shape == PQ_RELU) {
        double a = fmax(-mu1 / s1, -q->G), b = q->G;
        if (c21 > 0.0) a = fmax(a, -mu2 / c21);
        if (c21 < 0.0) b = fmin(b, -mu2 / c21);
        if (c21 == 0.0 && !(mu2 > 0.0)) return 0.0;
        pq_rule_panels(q, &r, a, b, pq_panel_len(q, kx, INFINITY), NAN, NAN, 0.0);
    } else {
        double k = pq_kappa_sig(q, s1) + pq_kappa_sig(q, fabs(c21)) + kx;
        pq_rule_trap(q, &r, k, fmin(pq_yp(q, s1), pq_yp(q, fabs(c21))));
    }
    q->evals += r.n;
    double S = 0.0;
    for (int i = 0; i < r.n; i++) {
        double g = r.g[i], P = 1.0, D;
        if (t->n) pq_trunc_eval(q, t, t->b1 * g, &P, &D);
        S += r.w[i] * pq_sigma(q, mu1 + s1 * g) * pq_sigma(q, mu2 + c21 * g) * P;
    }
    return S;
}

/* Closed inner expectations over g2 (no restriction): E relu(m + c g) = m Phi(m/c) + c phi(m/c),
 * E erf(m + c g) = erf(m / sqrt(1 + 2 c^2)). */
static double pq_inner_closed(const pq_ctx *q, double m, double c)
{
    if (q->shape == PQ_RELU) {
        double a = m / c;
        return q->act.scale * (m * 0.5 * erfc(-a * M_SQRT1_2) + c * pq_phi(a));
    }
    return q->act.scale * erf(m / sqrt(1.0 + 2.0 * c * c));
}

/* Outer rule over g1: ReLU panels from its kink, graded at the kink of the inner expectation
 * (where mu2 + c21 g1 = 0, smoothed over c22 / |c21|); trapezoid otherwise. */
static void pq_outer_rule(pq_ctx *q, pq_rule *r, double mu1, double s1, double mu2, double c21,
                          double c22, double kx, int closed)
{
    if (q->shape == PQ_RELU) {
        double sc = c21 != 0.0 ? -mu2 / c21 : NAN, sw = c21 != 0.0 ? c22 / fabs(c21) : 0.0;
        pq_rule_panels(q, r, fmax(-mu1 / s1, -q->G), q->G, pq_panel_len(q, kx, INFINITY), NAN, sc,
                       sw);
        return;
    }
    /* The closed erf inner expectation grows like erf at scale c21 / sqrt(1 + 2 c22^2). */
    double kin = closed ? c21 * c21 / (1.0 + 2.0 * c22 * c22) : pq_kappa_sig(q, fabs(c21));
    pq_rule_trap(q, r, pq_kappa_sig(q, s1) + kin + kx, fmin(pq_yp(q, s1), pq_yp(q, fabs(c21))));
}

/* Restricted lambda, analytic sigma: rotate (g1, g2) to (g1', g2') with lambda's regression on
 * g1' alone (b1 g1 + b2 g2 = |b| g1'), so that P is evaluated once per outer node and an inner
 * node costs two sigma's instead of a sigma and an erfc. */
static double pq_two_rotated(pq_ctx *q, double mu1, double s1, double mu2, double c21, double c22,
                             const pq_trunc *t)
{
    double nb = hypot(t->b1, t->b2), c = nb > 0.0 ? t->b1 / nb : 1.0, s = nb > 0.0 ? t->b2 / nb : 0;
    double a11 = s1 * c, a12 = -s1 * s, a21 = c21 * c + c22 * s, a22 = c22 * c - c21 * s;
    pq_trunc t1 = *t;
    t1.b1 = nb, t1.b2 = 0.0;
    pq_rule r1 = pq_slot(q, 0), r2 = pq_slot(q, 1);
    double k1 = pq_kappa_sig(q, a11) + pq_kappa_sig(q, a21) + pq_kappa_trunc(&t1, nb);
    pq_rule_trap(q, &r1, k1, pq_yp(q, fmax(fabs(a11), fabs(a21))));
    pq_rule_trap(q, &r2, pq_kappa_sig(q, a12) + pq_kappa_sig(q, a22),
                 pq_yp(q, fmax(fabs(a12), fabs(a22))));
    double S = 0.0;
    for (int i = 0; i < r1.n; i++) {
        double g1 = r1.g[i], P, D, in = 0.0;
        pq_trunc_eval(q, &t1, nb * g1, &P, &D);
        if (P == 0.0) continue;
        double x1 = mu1 + a11 * g1, x2 = mu2 + a21 * g1;
        q->evals += r2.n;
        for (int j = 0; j < r2.n; j++) {
            double g2 = r2.g[j];
            in += r2.w[j] * pq_sigma(q, x1 + a12 * g2) * pq_sigma(q, x2 + a22 * g2);
        }
        S += r1.w[i] * P * in;
    }
    return S;
}

double pq_two(pq_ctx *q, double mu1, double s1, double mu2, double c21, double c22,
              const pq_trunc *t)
{
    if (c22 == 0.0) return pq_two_collinear(q, mu1, s1, mu2, c21, t);
    if (t->n && q->shape != PQ_RELU) return pq_two_rotated(q, mu1, s1, mu2, c21, c22, t);
    pq_rule r1 = pq_slot(q, 0), r2 = pq_slot(q, 1);
    int closed = !t->n && (q->shape == PQ_RELU || q->shape == PQ_ERF);
    pq_outer_rule(q, &r1, mu1, s1, mu2, c21, c22, pq_kappa_trunc(t, t->b1), closed);
    double kx2 = pq_kappa_trunc(t, t->b2), S = 0.0;
    if (!closed && q->shape != PQ_RELU)
        pq_rule_trap(q, &r2, pq_kappa_sig(q, c22) + kx2, pq_yp(q, c22));
    for (int i = 0; i < r1.n; i++) {
        double g1 = r1.g[i], f1 = pq_sigma(q, mu1 + s1 * g1), m2 = mu2 + c21 * g1, in = 0.0;
        if (f1 == 0.0) continue;
        if (closed) {
            in = pq_inner_closed(q, m2, c22);
            q->evals++;
        } else {
            if (q->shape == PQ_RELU)
                pq_rule_panels(q, &r2, fmax(-m2 / c22, -q->G), q->G, pq_panel_len(q, kx2, INFINITY),
                               NAN, NAN, 0.0);
            q->evals += r2.n;
            for (int j = 0; j < r2.n; j++) {
                double g2 = r2.g[j], P = 1.0, D;
                if (t->n) pq_trunc_eval(q, t, t->b1 * g1 + t->b2 * g2, &P, &D);
                in += r2.w[j] * pq_sigma(q, m2 + c22 * g2) * P;
            }
        }
        S += r1.w[i] * f1 * in;
    }
    return S;
}
