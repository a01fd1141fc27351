/* gen — PF-ODE samplers, the Gaussian closed forms and teleportation; see include/core/gen.h and
 * shared/science/gaussian-theory.md §1.1, §1.3, §4.1, §4.2, §4.4. */
#include "core/gen.h"

#include "core/bayes.h"
#include "base/log.h"

#include <math.h>
#include <string.h>

/* ---------------------------------------------------------------------------------------------
 * Gaussian law: denoiser and exact flow, mode by mode
 * ------------------------------------------------------------------------------------------- */

static double mu_at(const gen_gauss *g, int i)
{
    return g->mu ? g->mu[i] : 0.0;
}

/* Applies y_i <- mu'_i + f(lam_mode) (x_i - a mu_i) for every mode: f is a per-mode factor of the
 * law's variance. The low-rank form works on the residual x - a mu: the isotropic factor for the
 * whole vector, then the correction (f_k - f_iso) (U_k . r) U_k inside span(U). */
typedef double (*mode_fn)(double lam, const double *par);

static void gauss_apply(const gen_gauss *g, mode_fn f, const double *par, double a_in, double a_out,
                        const double *x, double *out)
{
    int d = g->d;
    if (g->lam) {
        for (int i = 0; i < d; i++) {
            double m = mu_at(g, i);
            out[i] = a_out * m + f(g->lam[i], par) * (x[i] - a_in * m);
        }
        return;
    }
    double proj[4], fi = f(g->iso, par);
    for (int k = 0; k < g->r; k++) {
        const double *Uk = &g->U[(size_t)k * (size_t)d];
        double s = 0.0;
        for (int i = 0; i < d; i++)
            s += Uk[i] * (x[i] - a_in * mu_at(g, i));
        proj[k] = s;
    }
    for (int i = 0; i < d; i++) {
        double m = mu_at(g, i);
        out[i] = a_out * m + fi * (x[i] - a_in * m);
    }
    for (int k = 0; k < g->r; k++) {
        const double *Uk = &g->U[(size_t)k * (size_t)d];
        double c = (f(g->lam_r[k], par) - fi) * proj[k];
        for (int i = 0; i < d; i++)
            out[i] += c * Uk[i];
    }
}

/* par = (alpha, sigma): the shrink factor alpha lam / (alpha^2 lam + sigma^2) of §1.3. */
static double shrink(double lam, const double *par)
{
    return par[0] * lam / (par[0] * par[0] * lam + par[1] * par[1]);
}

void gen_gauss_denoise(const gen_gauss *g, double alpha, double sigma, const double *x, double *out)
{
    double par[2] = {alpha, sigma};
    gauss_apply(g, shrink, par, alpha, 1.0, x, out);
}

/* par = (a0, s0, a1, s1): the per-mode scaling of the exact trajectory. */
static double flow(double lam, const double *par)
{
    return sqrt((par[3] * par[3] + lam * par[2] * par[2]) /
                (par[1] * par[1] + lam * par[0] * par[0]));
}

void gen_gauss_jump(const gen_gauss *g, double a0, double s0, double a1, double s1, double *x)
{
    double par[4] = {a0, s0, a1, s1};
    gauss_apply(g, flow, par, a0, a1, x, x);
}

double gen_gauss_mode_var(double lam, double v_start, double a0, double s0, double a1, double s1)
{
    return v_start * (s1 * s1 + lam * a1 * a1) / (s0 * s0 + lam * a0 * a0);
}

double gen_gauss_dir_var(const gen_gauss *g, const double *w, double v_start, double a0, double s0,
                         double a1, double s1)
{
    double par[4] = {a0, s0, a1, s1}, acc = 0.0;
    if (g->lam) {
        for (int i = 0; i < g->d; i++) {
            double f = flow(g->lam[i], par);
            acc += w[i] * w[i] * f * f;
        }
        return v_start * acc;
    }
    double fi = flow(g->iso, par), ww = 0.0;
    for (int i = 0; i < g->d; i++)
        ww += w[i] * w[i];
    acc = fi * fi * ww;
    for (int k = 0; k < g->r; k++) {
        double c = 0.0, f = flow(g->lam_r[k], par);
        for (int i = 0; i < g->d; i++)
            c += w[i] * g->U[(size_t)k * (size_t)g->d + (size_t)i];
        acc += (f * f - fi * fi) * c * c;
    }
    return v_start * acc;
}

static void gauss_den_fn(const gen_denoiser *dn, double alpha, double sigma, const double *x,
                         double *out)
{
    gen_gauss_denoise(dn->ctx, alpha, sigma, x, out);
}

gen_denoiser gen_gauss_denoiser(const gen_gauss *g)
{
    return (gen_denoiser){.fn = gauss_den_fn, .ctx = g, .d = g->d};
}

/* ---------------------------------------------------------------------------------------------
 * MCM: exact Bayes denoiser and Gaussian clone
 * ------------------------------------------------------------------------------------------- */

int gen_mcm_exact(const mcm_params *p)
{
    bayes_t b;
    return bayes_init(&b, p, 1.0, 1.0);
}

/* bayes_init per call is a handful of flops next to the O(d) denoiser. */
static void mcm_den_fn(const gen_denoiser *dn, double alpha, double sigma, const double *x,
                       double *out)
{
    const mcm_model *mod = dn->ctx;
    bayes_t b;
    bayes_init(&b, &mod->p, alpha, sigma);
    bayes_denoise(&b, mod, x, out);
}

gen_denoiser gen_mcm_denoiser(const mcm_model *mod)
{
    return (gen_denoiser){.fn = mcm_den_fn, .ctx = mod, .d = mod->p.d};
}

/* Cov(x) = I + (C - I) on span(u, v), C the exact 2 x 2 block: its eigenvectors (in u, v
 * coordinates) give the two directions of the low-rank form, the complement has variance 1. */
void gen_mcm_clone(const mcm_model *mod, double *mu_buf, double *U_buf, gen_gauss *g)
{
    int d = mod->p.d;
    double C[2][2];
    mcm_cov_uv(&mod->p, C);
    double tr = C[0][0] + C[1][1], det = C[0][0] * C[1][1] - C[0][1] * C[1][0];
    double disc = sqrt(fmax(0.25 * tr * tr - det, 0.0));
    double l0 = 0.5 * tr + disc, l1 = 0.5 * tr - disc;
    /* Eigenvector of l0: (C01, l0 - C00), or (1, 0) when the block is diagonal. */
    double e0 = 1.0, e1 = 0.0;
    if (fabs(C[0][1]) > 1e-300) {
        e0 = C[0][1], e1 = l0 - C[0][0];
        double nrm = hypot(e0, e1);
        e0 /= nrm, e1 /= nrm;
    } else if (C[1][1] > C[0][0]) {
        e0 = 0.0, e1 = 1.0;
    }
    for (int i = 0; i < d; i++) {
        mu_buf[i] = mod->p.beta_m * mod->m[i];
        U_buf[i] = e0 * mod->u[i] + e1 * mod->v[i];
        U_buf[d + i] = -e1 * mod->u[i] + e0 * mod->v[i];
    }
    *g = (gen_gauss){.d = d, .mu = mu_buf, .r = 2, .U = U_buf, .iso = 1.0};
    g->lam_r[0] = l0, g->lam_r[1] = l1;
}

/* ---------------------------------------------------------------------------------------------
 * Schedule and integration
 * ------------------------------------------------------------------------------------------- */

void gen_grid(const gen_plan *p, double *sig)
{
    double a = pow(p->sigma_max, 1.0 / p->rho), b = pow(p->sigma_min, 1.0 / p->rho);
    for (int i = 0; i <= p->n_steps; i++)
        sig[i] = pow(a + (double)i / p->n_steps * (b - a), p->rho);
    sig[0] = p->sigma_max; /* exact end points: the closed forms compare against them */
    sig[p->n_steps] = p->sigma_min;
}

void gen_level(const gen_plan *p, double s, double *alpha, double *sigma)
{
    if (p->kind != GEN_DDIM) {
        *alpha = 1.0, *sigma = s;
        return;
    }
    *alpha = 1.0 / sqrt(1.0 + s * s);
    *sigma = s * *alpha;
}

void gen_start(const gen_plan *p, uint32_t seed, uint64_t task, uint64_t index, int d, double *x)
{
    rng_stream s = rng_stream_make(seed, task, RNG_GENERATE);
    rng_normal(&s, index, 0, (size_t)d, x);
    if (p->kind == GEN_DDIM) return;
    for (int i = 0; i < d; i++)
        x[i] *= p->sigma_max;
}

long gen_nfe_full(const gen_plan *p)
{
    return p->kind == GEN_HEUN ? 2L * p->n_steps : (long)p->n_steps;
}

/* One step from level s0 to s1 < s0; den holds D(x; s0) on entry for Heun and Euler. */
static long gen_step(const gen_plan *p, const gen_denoiser *dn, double s0, double s1, double *x,
                     double *work)
{
    int d = dn->d;
    double *D0 = work, *xe = work + d, *D1 = work + 2 * d;
    double a0, g0, a1, g1;
    gen_level(p, s0, &a0, &g0);
    gen_level(p, s1, &a1, &g1);
    dn->fn(dn, a0, g0, x, D0);
    if (p->kind == GEN_DDIM) { /* x' = a1 x0^ + g1 (x - a0 x0^) / g0 */
        for (int i = 0; i < d; i++)
            x[i] = a1 * D0[i] + g1 * (x[i] - a0 * D0[i]) / g0;
        return 1;
    }
    double h = s1 - s0;
    for (int i = 0; i < d; i++)
        xe[i] = x[i] + h * (x[i] - D0[i]) / s0;
    if (p->kind == GEN_EULER) {
        memcpy(x, xe, (size_t)d * sizeof(double));
        return 1;
    }
    dn->fn(dn, a1, g1, xe, D1); /* Heun: trapezoid of the two slopes */
    for (int i = 0; i < d; i++)
        x[i] += 0.5 * h * ((x[i] - D0[i]) / s0 + (xe[i] - D1[i]) / s1);
    return 2;
}

/* The skipped levels i0 .. n-1 for the observer: the jump from grid[i0] to each, on a copy. */
static void observe_skipped(const gen_plan *p, const double *grid, const gen_gauss *tele, int i0,
                            int n, const double *x, double *tmp, gen_observer *obs)
{
    double a0, g0, a1, g1;
    gen_level(p, grid[i0], &a0, &g0);
    for (int j = i0; j < n; j++) {
        memcpy(tmp, x, (size_t)tele->d * sizeof(double));
        gen_level(p, grid[j], &a1, &g1);
        if (j > i0) gen_gauss_jump(tele, a0, g0, a1, g1, tmp);
        obs->fn(obs, j, grid[j], tmp);
    }
}

/* Grid points at or above sigma_skip (relative 1e-12) are covered by the jump. */
long gen_integrate_from(const gen_plan *p, const double *grid, int i0, const gen_denoiser *dn,
                        const gen_gauss *tele, double *x, double *work, gen_observer *obs)
{
    double s = grid[i0];
    int i = i0 + 1;
    if (p->sigma_skip > 0 && p->sigma_skip < grid[i0]) {
        if (!tele) LOG_DIE("gen_integrate: teleportation without a Gaussian law");
        while (i <= p->n_steps && grid[i] >= p->sigma_skip * (1.0 - 1e-12))
            i++;
        if (obs) observe_skipped(p, grid, tele, i0, i, x, work, obs);
        double a0, g0, a1, g1;
        gen_level(p, grid[i0], &a0, &g0);
        gen_level(p, p->sigma_skip, &a1, &g1);
        gen_gauss_jump(tele, a0, g0, a1, g1, x);
        s = p->sigma_skip;
    } else if (obs) {
        obs->fn(obs, i0, grid[i0], x);
    }
    long nfe = 0;
    for (; i <= p->n_steps; i++) {
        nfe += gen_step(p, dn, s, grid[i], x, work);
        s = grid[i];
        if (obs) obs->fn(obs, i, s, x);
    }
    return nfe;
}

long gen_integrate(const gen_plan *p, const double *grid, const gen_denoiser *dn,
                   const gen_gauss *tele, double *x, double *work, gen_observer *obs)
{
    return gen_integrate_from(p, grid, 0, dn, tele, x, work, obs);
}

/* ---------------------------------------------------------------------------------------------
 * Painters: commitment of the x0 estimate
 * ------------------------------------------------------------------------------------------- */

double gen_commit_level(const double *lev, int n, const double *xhat, int stride, double mean)
{
    double fin = xhat[(size_t)(n - 1) * (size_t)stride] - mean;
    if (fin == 0.0) return NAN;
    /* inv[i] = 1 / rho_i^2 (infinite where the estimate sits at the mean): 2 at the crossing. */
    int i = n - 1;
    double inv_hi = 1.0, inv_lo = 1.0;
    while (i > 0) {
        double r = (xhat[(size_t)(i - 1) * (size_t)stride] - mean) / fin;
        inv_hi = r > 0 ? 1.0 / (r * r) : INFINITY;
        if (!(r > 0) || inv_hi > 2.0) break; /* level i - 1 is not committed yet */
        inv_lo = inv_hi;
        i--;
    }
    if (i == 0) return lev[0];
    double s_hi = lev[i - 1] * lev[i - 1], s_lo = lev[i] * lev[i];
    if (!isfinite(inv_hi)) return lev[i]; /* sign change: the crossing is at level i */
    double t = (2.0 - inv_lo) / (inv_hi - inv_lo);
    return sqrt(s_lo + t * (s_hi - s_lo));
}

double gen_commit_gauss(double lam, double s_min)
{
    return sqrt(lam + 2.0 * s_min * s_min);
}
