/* gen_linear — the linear denoisers of the Gaussian theory as PF-ODE denoisers (core/gen.h):
 * generation with the weights psi_k(sigma, tau) of gaussian-theory.md §2 reproduces the
 * generated variances of §3 (lambda~_k(tau)) sample by sample. */
#include "core/gen.h"

/* Cache slot of level s: [s, psi_0 .. psi_{d-1}] twice; the older slot is refilled on a miss. */
static const double *weights(const gen_linear *l, double s)
{
    if (!l->cache) return NULL;
    size_t w = (size_t)l->d + 1;
    for (int k = 0; k < 2; k++)
        if (l->cache[k * w] == s) return &l->cache[k * w + 1];
    double *slot = l->cache; /* move slot 1 to 0, fill 1 */
    for (size_t i = 0; i < w; i++)
        slot[i] = slot[w + i];
    slot += w;
    slot[0] = s;
    for (int i = 0; i < l->d; i++)
        slot[1 + i] = gt_psi(l->setup, l->lam[i], l->q[i], s, l->tau);
    return slot + 1;
}

/* x / alpha is the EDM-equivalent state at s = sigma / alpha (§1.1); the weights are the theory's
 * at that level, so VP (DDIM) and EDM share one law. */
static void linear_fn(const gen_denoiser *dn, double alpha, double sigma, const double *x,
                      double *out)
{
    const gen_linear *l = dn->ctx;
    double s = sigma / alpha;
    const double *psi = weights(l, s);
    for (int i = 0; i < l->d; i++)
        out[i] = (psi ? psi[i] : gt_psi(l->setup, l->lam[i], l->q[i], s, l->tau)) * x[i] / alpha;
}

gen_denoiser gen_linear_denoiser(const gen_linear *l)
{
    return (gen_denoiser){.fn = linear_fn, .ctx = l, .d = l->d};
}
