/* poploss — exact population losses; see include/core/poploss.h and src/core/poploss.md (the
 * section numbers below refer to it). The quadratures are in poploss_quad.c. */
#include "core/poploss.h"

#include "base/log.h"
#include "poploss_quad.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------------------------
 * Laws as mixtures (§2)
 * ------------------------------------------------------------------------------------------- */

enum { PL_MAXC = 8 };
/* PL_MODEL: an eq.-(1) draw; PL_ISO: N(mean m, tau^2 I) (label -1 component, mean clone);
 * PL_GCLONE: the Gaussian clone's map of the (m, u, v) coordinates of z. */
typedef enum { PL_MODEL, PL_ISO, PL_GCLONE } pl_type;

typedef struct {
    pl_type type;
    double p;  /* probability of the label and of nu's value */
    double nu; /* nu of a PL_MODEL component (unless gauss_nu) */
    int nint;  /* coupled latents: lambda restricted to the union of nint intervals */
    double lo[2], hi[2];
    int gauss_nu; /* nu ~ N(0, 1): one more Gaussian coordinate */
    double mean;  /* mean along m */
    double tau;   /* PL_ISO: standard deviation */
} pl_comp;

struct poploss {
    mcm_params p;
    double A[2][2], cS, sbu, sbv; /* whitening and sqrt(beta) as in mcm_init */
    pl_comp comp[PL_MAXC];        /* the data law (§2.1) */
    int ncomp;
    double cl_mean, cl_var_m, C[2][2], Rt[2][2]; /* clone moments as in bayes.c (§2.2) */
    pq_ctx q;
    double *ws; /* scratch, ws_n doubles */
    size_t ws_n;
};

static int pl_add(pl_comp *c, int n, pl_comp x)
{
    if (n >= PL_MAXC) LOG_DIE("poploss: too many mixture components");
    c[n] = x;
    return n + 1;
}

/* The latent laws of mcm.c draw_latents: a coupling makes nu = +-1 on intervals of lambda;
 * independent nu is a two-point law (one component per value) or Gaussian (absorbed). */
static void pl_data_comps(poploss *pl)
{
    const mcm_params *p = &pl->p;
    int lab = p->mixture == MCM_MIX_LABELLED, n = 0;
    pl_comp b = {.type = PL_MODEL, .p = lab ? 0.5 : 1.0, .mean = p->beta_m, .tau = 1.0};
    pl_comp c = b;
    if (p->coupling == MCM_COUPLE_SIGN) { /* nu = +1 iff lambda >= 0 */
        c.nint = 1, c.nu = 1.0, c.lo[0] = 0.0, c.hi[0] = INFINITY;
        n = pl_add(pl->comp, n, c);
        c.nu = -1.0, c.lo[0] = -INFINITY, c.hi[0] = 0.0;
        n = pl_add(pl->comp, n, c);
    } else if (p->coupling == MCM_COUPLE_THRESHOLD) { /* nu = +1 iff lambda^2 > c */
        double r = sqrt(mcm_threshold_c());
        c.nint = 2, c.nu = 1.0, c.lo[0] = -INFINITY, c.hi[0] = -r, c.lo[1] = r, c.hi[1] = INFINITY;
        n = pl_add(pl->comp, n, c);
        c.nint = 1, c.nu = -1.0, c.lo[0] = -r, c.hi[0] = r;
        n = pl_add(pl->comp, n, c);
    } else if (p->nu_law == MCM_NU_RADEMACHER) {
        c.p = 0.5 * b.p;
        c.nu = 1.0, n = pl_add(pl->comp, n, c);
        c.nu = -1.0, n = pl_add(pl->comp, n, c);
    } else if (p->nu_law == MCM_NU_SKEWED) { /* as mcm_init: (1-q)/s w.p. q, -q/s else */
        double q = p->skew_q, s = sqrt(q - q * q);
        c.p = q * b.p, c.nu = (1.0 - q) / s, n = pl_add(pl->comp, n, c);
        c.p = (1.0 - q) * b.p, c.nu = -q / s, n = pl_add(pl->comp, n, c);
    } else {
        c.gauss_nu = 1, n = pl_add(pl->comp, n, c);
    }
    if (lab) { /* label -1: N(0, I), shifted by -beta_m m with the label mean term */
        pl_comp iso = {.type = PL_ISO, .p = 0.5, .tau = 1.0};
        iso.mean = p->mean_term == MCM_MEAN_LABEL ? -p->beta_m : 0.0;
        n = pl_add(pl->comp, n, iso);
    }
    pl->ncomp = n;
}

/* bayes.c moments_m and the (u, v) block it clones. */
static void pl_clone_moments(poploss *pl)
{
    const mcm_params *p = &pl->p;
    pl->cl_mean = p->beta_m, pl->cl_var_m = 1.0;
    if (p->mixture == MCM_MIX_LABELLED) {
        double lo = p->mean_term == MCM_MEAN_LABEL ? -p->beta_m : 0.0;
        pl->cl_mean = 0.5 * (p->beta_m + lo);
        pl->cl_var_m = 1.0 + 0.25 * (p->beta_m - lo) * (p->beta_m - lo);
    }
    mcm_cov_uv(p, pl->C);
    mcm_sym2_sqrt(pl->C, 0, pl->Rt);
}

poploss *poploss_new(const mcm_params *p, double refine)
{
    poploss *pl = LOG_CALLOC(1, sizeof *pl);
    pl->p = *p;
    mcm_whitening_matrix(p, pl->A);
    pl->cS = 1.0 - 1.0 / sqrt(1.0 + p->beta_v);
    pl->sbu = sqrt(p->beta_u), pl->sbv = sqrt(p->beta_v);
    pl_data_comps(pl);
    pl_clone_moments(pl);
    pq_init(&pl->q, refine);
    return pl;
}

void poploss_free(poploss *pl)
{
    if (!pl) return;
    pq_free(&pl->q);
    free(pl->ws);
    free(pl);
}

long poploss_evals(const poploss *pl)
{
    return pl->q.evals;
}

/* ---------------------------------------------------------------------------------------------
 * x0 = E (q0 + Q zeta) + z_perp, zeta = (lambda, nu', a[R], b[R]) standard normal (§2)
 * ------------------------------------------------------------------------------------------- */

static double pl_dot(const double *a, const double *b, int n)
{
    double s = 0.0;
    for (int i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

/* Coefficients of the MCM draw (mcm.c latent_coeffs): x0 = z + mean m + cu u + cv v with
 * cu = l[0] lambda + l[1] nu + g[0] u.z + g[1] v.z and cv = l[2] lambda + l[3] nu + g[2] u.z +
 * g[3] v.z; the Gram entries of (u, v) keep random spikes literal. */
static void pl_model_coeffs(const poploss *pl, const poploss_net *n, double l[4], double g[4])
{
    int R = n->R;
    double uu = pl_dot(n->u, n->u, R), uv = pl_dot(n->u, n->v, R), vv = pl_dot(n->v, n->v, R);
    double su = pl->sbu, sv = pl->sbv;
    const double(*A)[2] = pl->A;
    if (pl->p.whitening == MCM_WHITEN_SPIKE) { /* cv = sv nu - c_S (sv nu vv + v.z) */
        l[0] = su, l[1] = 0.0, l[2] = 0.0, l[3] = sv * (1.0 - pl->cS * vv);
        g[0] = g[1] = g[2] = 0.0, g[3] = -pl->cS;
        return;
    }
    /* FULL: (A - I) on a_u = su lambda uu + sv nu uv + u.z, a_v = su lambda uv + sv nu vv + v.z */
    l[0] = su * (1.0 + (A[0][0] - 1.0) * uu + A[0][1] * uv);
    l[1] = sv * ((A[0][0] - 1.0) * uv + A[0][1] * vv);
    l[2] = su * (A[1][0] * uu + (A[1][1] - 1.0) * uv);
    l[3] = sv * (1.0 + A[1][0] * uv + (A[1][1] - 1.0) * vv);
    g[0] = A[0][0] - 1.0, g[1] = A[0][1], g[2] = A[1][0], g[3] = A[1][1] - 1.0;
}

/* q0[R] and Q[R][N] (row-major) of component c. */
static void pl_comp_coeffs(const poploss *pl, const poploss_net *n, const pl_comp *c, double *q0,
                           double *Q)
{
    int R = n->R, N = 2 + 2 * R;
    const double *m = n->m, *u = n->u, *v = n->v;
    memset(Q, 0, (size_t)R * (size_t)N * sizeof *Q);
    for (int i = 0; i < R; i++)
        q0[i] = c->mean * m[i];
    if (c->type == PL_ISO) {
        for (int i = 0; i < R; i++)
            Q[i * N + 2 + i] = c->tau;
        return;
    }
    double gu[2], gv[2], gm = 0.0, l[4] = {0, 0, 0, 0}; /* z + u (gu . (u.z, v.z)) + ... */
    if (c->type == PL_GCLONE) { /* bayes_clone_sample: z + (R - I) on (u.z, v.z), m scaled */
        gm = sqrt(pl->cl_var_m) - 1.0;
        gu[0] = pl->Rt[0][0] - 1.0, gu[1] = pl->Rt[0][1];
        gv[0] = pl->Rt[1][0], gv[1] = pl->Rt[1][1] - 1.0;
    } else {
        double g[4];
        pl_model_coeffs(pl, n, l, g);
        gu[0] = g[0], gu[1] = g[1], gv[0] = g[2], gv[1] = g[3];
    }
    for (int i = 0; i < R; i++) {
        double cl = l[0] * u[i] + l[2] * v[i], cn = l[1] * u[i] + l[3] * v[i];
        q0[i] += c->gauss_nu ? 0.0 : c->nu * cn;
        Q[i * N] = cl;
        Q[i * N + 1] = c->gauss_nu ? cn : 0.0;
        for (int j = 0; j < R; j++)
            Q[i * N + 2 + j] = (i == j) + gm * m[i] * m[j] + u[i] * (gu[0] * u[j] + gu[1] * v[j]) +
                               v[i] * (gv[0] * u[j] + gv[1] * v[j]);
    }
}

/* ---------------------------------------------------------------------------------------------
 * One component (§3)
 * ------------------------------------------------------------------------------------------- */

/* Scratch of one evaluation; sizes from R, K. */
typedef struct {
    int R, K, N;
    double *q0, *Q, *e0, *Ec, *mu, *H, *s, *X, *S;
} pl_work;

static void pl_work_get(poploss *pl, int R, int K, pl_work *w)
{
    int N = 2 + 2 * R;
    size_t need = 2 * (size_t)R + 2 * (size_t)R * N + (size_t)K * (2 + N + R + K);
    if (need > pl->ws_n) {
        free(pl->ws);
        pl->ws = LOG_CALLOC(need, sizeof(double));
        pl->ws_n = need;
    }
    double *p = pl->ws;
    *w = (pl_work){R, K, N, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    w->q0 = p, p += R;
    w->e0 = p, p += R;
    w->Q = p, p += (size_t)R * N;
    w->Ec = p, p += (size_t)R * N;
    w->mu = p, p += K;
    w->s = p, p += K;
    w->H = p, p += (size_t)K * N;
    w->X = p, p += (size_t)K * R;
    w->S = p;
}

/* E[lambda^j 1{lambda in I}], j = 0, 1, 2 (I = R without intervals). */
static void pl_lambda_moments(const pl_comp *c, double M[3])
{
    M[0] = 1.0, M[1] = 0.0, M[2] = 1.0;
    if (c->nint) M[0] = M[1] = M[2] = 0.0;
    for (int i = 0; i < c->nint; i++) {
        double lo = c->lo[i], hi = c->hi[i];
        double plo = isfinite(lo) ? pq_phi(lo) : 0.0, phi = isfinite(hi) ? pq_phi(hi) : 0.0;
        double m0 = pq_Phi_diff(lo, hi);
        M[0] += m0;
        M[1] += plo - phi;
        M[2] += m0 + (isfinite(lo) ? lo * plo : 0.0) - (isfinite(hi) ? hi * phi : 0.0);
    }
}

static pq_trunc pl_trunc(const pl_comp *c)
{
    pq_trunc t = {.n = c->nint};
    for (int i = 0; i < c->nint; i++)
        t.lo[i] = c->lo[i], t.hi[i] = c->hi[i];
    return t;
}

/* E[(p.e)^2 1_I] for e = e0 + Ec zeta (p = NULL: E|e|^2 1_I), zeta_0 = lambda restricted. */
static double pl_quadratic(const pl_work *w, const double *p, const double M[3])
{
    double tot = 0.0;
    for (int i = 0; i < (p ? 1 : w->R); i++) {
        double e0 = 0.0, el = 0.0, rest = 0.0;
        for (int j = 0; j < w->N; j++) {
            double c = 0.0;
            if (p)
                for (int r = 0; r < w->R; r++)
                    c += p[r] * w->Ec[r * w->N + j];
            else
                c = w->Ec[i * w->N + j];
            if (j == 0)
                el = c;
            else
                rest += c * c;
        }
        e0 = p ? pl_dot(p, w->e0, w->R) : w->e0[i];
        tot += M[0] * (e0 * e0 + rest) + 2.0 * M[1] * e0 * el + M[2] * el * el;
    }
    return tot;
}

/* X_k = E[e sigma(h_k) 1_I] (Stein, §3.2) and S_kk = E[sigma(h_k)^2 1_I]. */
static void pl_cross(poploss *pl, pl_work *w, int k, const pl_comp *c, const double M[3])
{
    int R = w->R, N = w->N, on = c->nint > 0;
    const double *Hk = w->H + (size_t)k * N;
    double *X = w->X + (size_t)k * R, s = w->s[k];
    if (s == 0.0) { /* h_k is constant */
        double f = pq_sigma(&pl->q, w->mu[k]);
        for (int i = 0; i < R; i++)
            X[i] = f * (w->e0[i] * M[0] + w->Ec[i * N] * M[1]);
        w->S[k * w->K + k] = f * f * M[0];
        return;
    }
    double bl = Hk[0] / s, J[4];
    pq_trunc t = pl_trunc(c);
    t.b1 = bl, t.sl = sqrt(fmax(0.0, 1.0 - bl * bl));
    pq_one(&pl->q, w->mu[k], s, &t, J);
    for (int i = 0; i < R; i++) {
        const double *Ei = w->Ec + (size_t)i * N;
        double B = pl_dot(Ei, Hk, N) / s; /* Cov(e_i, g) */
        X[i] = w->e0[i] * J[0] + B * J[1] + (on ? (Ei[0] - B * bl) * J[2] : 0.0);
    }
    w->S[k * w->K + k] = J[3];
}

/* S_kl = E[sigma(h_k) sigma(h_l) 1_I] after a pivoted Cholesky factor of Cov(h_k, h_l). */
static double pl_pair(poploss *pl, const pl_work *w, int k, int l, const pl_comp *c, double M0)
{
    int N = w->N;
    if (w->s[k] < w->s[l]) {
        int t = k;
        k = l, l = t;
    }
    const double *H1 = w->H + (size_t)k * N, *H2 = w->H + (size_t)l * N;
    double s1 = w->s[k], s2 = w->s[l];
    if (s1 == 0.0) return pq_sigma(&pl->q, w->mu[k]) * pq_sigma(&pl->q, w->mu[l]) * M0;
    double c21 = pl_dot(H1, H2, N) / s1, c22q = s2 * s2 - c21 * c21;
    /* below 1e-13 the smoothing over c22 changes S by O(c22^2) only: collinear */
    double c22 = c22q > 1e-13 * s2 * s2 ? sqrt(c22q) : 0.0;
    pq_trunc t = pl_trunc(c);
    t.b1 = H1[0] / s1;
    if (c22 > 0.0) t.b2 = (H2[0] - c21 * t.b1) / c22;
    t.sl = sqrt(fmax(0.0, 1.0 - t.b1 * t.b1 - t.b2 * t.b2));
    return pq_two(&pl->q, w->mu[k], s1, w->mu[l], c21, c22, &t);
}

/* E[|r_V|^2 1_I], E[(u.r)^2 1_I], E[(v.r)^2 1_I] of one component (§3). */
static void pl_component(poploss *pl, const poploss_net *n, pl_work *w, const pl_comp *c,
                         double alpha, double sigma, double out[3])
{
    int R = w->R, N = w->N, K = w->K;
    double a1 = 1.0 - n->c * alpha, M[3];
    pl_comp_coeffs(pl, n, c, w->q0, w->Q);
    pl_lambda_moments(c, M);
    /* e = (1 - c alpha) q - c sigma b - bias; y = alpha q + sigma b; h_k = w_k . y */
    for (int i = 0; i < R; i++) {
        w->e0[i] = a1 * w->q0[i] - (n->b ? n->b[i] : 0.0);
        for (int j = 0; j < N; j++)
            w->Ec[i * N + j] = a1 * w->Q[i * N + j];
        w->Ec[i * N + 2 + R + i] -= n->c * sigma;
    }
    for (int k = 0; k < K; k++) {
        const double *wk = n->w + (size_t)k * R;
        double *Hk = w->H + (size_t)k * N;
        w->mu[k] = alpha * pl_dot(wk, w->q0, R);
        for (int j = 0; j < N; j++) {
            double s = 0.0;
            for (int i = 0; i < R; i++)
                s += wk[i] * w->Q[i * N + j];
            Hk[j] = alpha * s;
        }
        for (int i = 0; i < R; i++)
            Hk[2 + R + i] += sigma * wk[i];
        w->s[k] = sqrt(pl_dot(Hk, Hk, N));
    }
    for (int k = 0; k < K; k++)
        pl_cross(pl, w, k, c, M);
    for (int k = 0; k < K; k++)
        for (int l = k + 1; l < K; l++)
            w->S[k * K + l] = w->S[l * K + k] = pl_pair(pl, w, k, l, c, M[0]);
    const double *dir[3] = {NULL, n->u, n->v};
    for (int q = 0; q < 3; q++) {
        double t = pl_quadratic(w, dir[q], M);
        for (int k = 0; k < K; k++) {
            const double *ok = n->o + (size_t)k * R, *Xk = w->X + (size_t)k * R;
            double pk = dir[q] ? pl_dot(dir[q], ok, R) : 0.0;
            t -= 2.0 * (dir[q] ? pk * pl_dot(dir[q], Xk, R) : pl_dot(ok, Xk, R));
            for (int l = 0; l < K; l++) {
                const double *ol = n->o + (size_t)l * R;
                double g = dir[q] ? pk * pl_dot(dir[q], ol, R) : pl_dot(ok, ol, R);
                t += g * w->S[k * K + l];
            }
        }
        out[q] = t;
    }
}

/* ---------------------------------------------------------------------------------------------
 * Evaluation
 * ------------------------------------------------------------------------------------------- */

static void pl_eval_comps(poploss *pl, const poploss_net *n, const pl_comp *comp, int nc,
                          double sb2, double alpha, double sigma, poploss_val *out)
{
    if (n->R > n->d || n->R < 1) LOG_DIE("poploss: frame dimension R = %d, d = %d", n->R, n->d);
    pl_work w;
    pl_work_get(pl, n->R, n->K, &w);
    pq_set_act(&pl->q, &n->act);
    pl->q.degraded = 0;
    double tot[3] = {0.0, 0.0, 0.0}, a1 = 1.0 - n->c * alpha;
    for (int i = 0; i < nc; i++) {
        double r[3];
        pl_component(pl, n, &w, &comp[i], alpha, sigma, r);
        for (int q = 0; q < 3; q++)
            tot[q] += comp[i].p * r[q];
    }
    /* The bulk: (1 - c alpha) z_perp - c sigma xi_perp in d - R dimensions (§3.1). */
    double bulk = (n->d - n->R) * (a1 * a1 * sb2 + n->c * n->c * sigma * sigma);
    out->loss = (tot[0] + bulk) / n->d;
    out->err_u = tot[1];
    out->err_v = tot[2];
    out->degraded = pl->q.degraded;
}

void poploss_eval_iso(poploss *pl, const poploss_net *net, double mean_m, double tau2, double alpha,
                      double sigma, poploss_val *out)
{
    pl_comp c = {.type = PL_ISO, .p = 1.0, .mean = mean_m, .tau = sqrt(tau2)};
    pl_eval_comps(pl, net, &c, 1, tau2, alpha, sigma, out);
}

void poploss_eval(poploss *pl, const poploss_net *net, poploss_law law, double alpha, double sigma,
                  poploss_val *out)
{
    if (law == POPLOSS_DATA) {
        pl_eval_comps(pl, net, pl->comp, pl->ncomp, 1.0, alpha, sigma, out);
    } else if (law == POPLOSS_GAUSS) {
        pl_comp c = {.type = PL_GCLONE, .p = 1.0, .mean = pl->cl_mean, .tau = 1.0};
        pl_eval_comps(pl, net, &c, 1, 1.0, alpha, sigma, out);
    } else { /* bayes_clone_sample: tau^2 = (d - 3 + var_m + C_uu + C_vv) / d */
        int d = net->d;
        double tau2 = (d - 3 + pl->cl_var_m + pl->C[0][0] + pl->C[1][1]) / d;
        poploss_eval_iso(pl, net, pl->cl_mean, tau2, alpha, sigma, out);
    }
}
