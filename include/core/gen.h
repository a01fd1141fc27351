/* gen — probability-flow ODE samplers of a diffusion model (gaussian-theory.md §1.1, §4).
 *
 * EDM / variance exploding, x_sigma = x0 + sigma z: dx/dsigma = (x - D(x; sigma)) / sigma from
 * sigma_max down to sigma_min, Euler or Heun (EDM Algorithm 1 without the final step to 0) on the
 * Karras schedule sigma_i = (smax^(1/rho) + i/N (smin^(1/rho) - smax^(1/rho)))^rho, i = 0..N.
 * Start x ~ N(0, sigma_max^2 I) (no data mean).
 * VP / DDIM, x_t = alpha x0 + sigma_t z with alpha^2 + sigma_t^2 = 1: the same Karras grid in the
 * EDM-equivalent level s = sigma_t / alpha_t (alpha = 1 / sqrt(1 + s^2)), deterministic DDIM
 * x' = alpha' x0^ + sigma' (x - alpha x0^) / sigma, start x ~ N(0, I). DDIM is Euler in
 * (x / alpha, s), so it is first order.
 * Analytical teleportation (§4.4): the Gaussian closed form of §4.1 / §4.2 carries the state from
 * sigma_max to sigma_skip; the chosen denoiser takes the grid points below sigma_skip.
 *
 * Denoisers are D(x; alpha, sigma) = E[x0 | alpha x0 + sigma z = x] (EDM: alpha = 1): the exact
 * Gaussian one of a mean + eigen spectrum (gen_gauss) or any callback (the MCM Bayes denoiser of
 * core/bayes.h, gen_mcm_denoiser). No MPI, no I/O. Every sample's start is drawn from stream
 * (seed, task, RNG_GENERATE) at step = sample index, so samples never depend on who runs them. */
#ifndef MCMSIM_GEN_H
#define MCMSIM_GEN_H

#include "core/gtheory.h"
#include "core/mcm.h"
#include "core/model.h"

#include <stdint.h>

/* Order matches the enum strings of the [generate] schema. */
typedef enum { GEN_EULER, GEN_HEUN, GEN_DDIM } gen_sampler;
typedef enum { GEN_SCORE_EXACT, GEN_SCORE_GAUSSIAN, GEN_SCORE_LINEAR, GEN_SCORE_MODEL } gen_score;
typedef enum { GEN_DATA_MCM, GEN_DATA_GAUSSIAN } gen_data;

/* A Gaussian law N(mu, Sigma) by its eigen decomposition, in one of two forms:
 *  diagonal: lam != NULL, Sigma = diag(lam) (the [gaussian] spectrum, eigenbasis = the axes);
 *  low rank + isotropic: lam == NULL, Sigma = iso I + sum_k (lam_r[k] - iso) U_k U_k^T with r
 *  orthonormal rows U_k (the MCM's Gaussian clone: iso = 1, two directions in span(u, v)).
 * mu NULL is the zero mean. Pointers are borrowed. */
typedef struct {
    int d;
    const double *mu;
    const double *lam;
    int r;
    const double *U; /* [r][d] */
    double lam_r[4];
    double iso;
} gen_gauss;

/* D(x; alpha, sigma) = alpha' mu + per mode alpha lam / (alpha^2 lam + sigma^2) (x - alpha mu)
 * with alpha' = 1 (the posterior mean of x0). out may alias x. */
void gen_gauss_denoise(const gen_gauss *g, double alpha, double sigma, const double *x,
                       double *out);
/* The exact PF-ODE flow of the Gaussian score from level (a0, s0) to (a1, s1), in place:
 * x - a mu scales per mode by sqrt((s1^2 + lam a1^2) / (s0^2 + lam a0^2)) (§4.1, §4.2). */
void gen_gauss_jump(const gen_gauss *g, double a0, double s0, double a1, double s1, double *x);
/* Variance of mode lam after exact generation from a start of variance v_start per coordinate
 * at (a0, s0) to (a1, s1): v_start (s1^2 + lam a1^2) / (s0^2 + lam a0^2). EDM (v_start = s0^2):
 * sigma_T^2 (lam + sigma_0^2) / (lam + sigma_T^2). */
double gen_gauss_mode_var(double lam, double v_start, double a0, double s0, double a1, double s1);

/* Variance of w.x after that exact generation, for any direction w: the start's variance carried
 * by each mode's squared scaling, v_start sum_k (w.e_k)^2 (s1^2 + lam_k a1^2) / (s0^2 + lam_k
 * a0^2). */
double gen_gauss_dir_var(const gen_gauss *g, const double *w, double v_start, double a0, double s0,
                         double a1, double s1);

typedef struct gen_denoiser {
    void (*fn)(const struct gen_denoiser *dn, double alpha, double sigma, const double *x,
               double *out);
    const void *ctx; /* gen_gauss or mcm_model */
    int d;
} gen_denoiser;

gen_denoiser gen_gauss_denoiser(const gen_gauss *g);
/* The exact MCM Bayes denoiser (bayes_denoise, independent or nu = sign(lambda) latents).
 * The caller checks gen_mcm_exact first. */
gen_denoiser gen_mcm_denoiser(const mcm_model *mod);
int gen_mcm_exact(const mcm_params *p);
/* The MCM's Gaussian clone N(beta_m m, I + (u, v) block of mcm_cov_uv): fills g (borrowing
 * mu_buf[d], U_buf[2 d]). Exact for orthonormal spikes without a mixture. */
void gen_mcm_clone(const mcm_model *mod, double *mu_buf, double *U_buf, gen_gauss *g);

/* The trained linear denoiser of the Gaussian theory (core/gtheory.h) at training time tau:
 * D(x; alpha, sigma) = sum_k psi_k(s, tau) x_k / alpha along the axes, s = sigma / alpha the
 * EDM-equivalent level (zero-mean data N(0, diag lam), aligned initial weights q). Any model of
 * the theory with a denoiser at every level (onelayer, twolayer, balanced; not flowmatch). */
typedef struct {
    const gt_setup *setup;
    int d;
    const double *lam, *q;
    double tau;
    double *cache; /* 2 (d + 1) doubles or NULL: the weights of the last two levels (Heun
                      alternates two), the same numbers as computing them afresh */
} gen_linear;
gen_denoiser gen_linear_denoiser(const gen_linear *l);

/* A trained model of core/model.h as a PF-ODE denoiser (src/core/gen_model.c).
 * level == NULL: one net defines D(x; alpha, sigma) = skip alpha x + F_theta(x) at every level
 * (a model trained over a range of times with the engine's fixed skip alpha_t x_t and an
 * activation that does not depend on t); the caller checks that the model is of that kind.
 * level != NULL: net[j] was trained at the EDM-equivalent level level[j] alone (one linear
 * denoiser per level), D(x; 1, s) = F_j(x) for s = level[j]; the sampler must visit only those
 * levels (any other level aborts: it is a programming error, the command builds the grid).
 * The nets' workspaces are used, so a gen_model serves one sample at a time. */
typedef struct {
    model *net; /* [n_net], parameters set */
    int n_net;
    const double *level; /* [n_net] or NULL */
    int skip;            /* add alpha x */
} gen_model;
gen_denoiser gen_model_denoiser(const gen_model *g);

typedef struct {
    gen_sampler kind;
    int n_steps;
    double sigma_max, sigma_min, rho;
    double sigma_skip; /* 0: no teleportation; else in [sigma_min, sigma_max] */
} gen_plan;

/* Karras grid, n_steps + 1 levels from sigma_max to sigma_min (exact end points). */
void gen_grid(const gen_plan *p, double *sig);
/* (alpha, sigma) of the process at EDM-equivalent level s: (1, s) for EDM, VP for DDIM. */
void gen_level(const gen_plan *p, double s, double *alpha, double *sigma);
/* The start of sample `index`: sigma_max z (EDM) or z (VP), z from (seed, task, RNG_GENERATE). */
void gen_start(const gen_plan *p, uint32_t seed, uint64_t task, uint64_t index, int d, double *x);
/* Called with the state at every level of the grid, in order (level index i, its sigma_i):
 * the start, then after each step. Levels skipped by teleportation are reported with the exact
 * Gaussian flow from sigma_max to them (computed on a copy: the sample itself takes one jump). */
typedef struct gen_observer {
    void (*fn)(struct gen_observer *o, int level, double s, const double *x);
    void *ctx;
} gen_observer;

/* Integrates one sample in place from sigma_max to sigma_min; tele (needed when sigma_skip > 0)
 * is the Gaussian law of the jump. grid from gen_grid, work 3 d doubles, obs NULL or an
 * observer. Returns the NFE (the observer's own evaluations are not counted). */
long gen_integrate(const gen_plan *p, const double *grid, const gen_denoiser *dn,
                   const gen_gauss *tele, double *x, double *work, gen_observer *obs);
/* The same from level i0 of the grid (x is the state at grid[i0]; the observer sees levels
 * i0 .. n_steps): the continuation of a kicked state (§4.3). */
long gen_integrate_from(const gen_plan *p, const double *grid, int i0, const gen_denoiser *dn,
                        const gen_gauss *tele, double *x, double *work, gen_observer *obs);
/* "Painters" (§4.3): the level at which an x0 estimate commits along one trajectory. xhat[i *
 * stride] is w.D(x; s_i) at the levels lev[0] > .. > lev[n-1]; rho_i = (xhat_i - mean) /
 * (xhat_{n-1} - mean) its value relative to the final one (mean: the data's mean along w). The
 * commitment level is where rho last rises through 1/sqrt(2) (half the squared final value),
 * 1/rho^2 interpolated linearly in s^2 between the two levels around it: exact for a Gaussian
 * law, whose 1/rho^2 = (lambda + s^2) / (lambda + s_{n-1}^2) along an eigendirection (§4.1,
 * §4.2 in EDM-equivalent levels). lev[0] when rho >= 1/sqrt(2) at every level (committed before
 * the start), NaN when the final value equals the mean. */
double gen_commit_level(const double *lev, int n, const double *xhat, int stride, double mean);
/* Its closed form for a mode of variance lam of a Gaussian law: sqrt(lam + 2 s_min^2). */
double gen_commit_gauss(double lam, double s_min);

/* NFE of the full schedule (no teleportation): n_steps (Euler, DDIM) or 2 n_steps (Heun). */
long gen_nfe_full(const gen_plan *p);

#endif
