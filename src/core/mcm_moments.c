/* mcm_moments — exact projection moments of x0 and x_t; see include/core/mcm_moments.h.
 * (Moved from cmd_stats.c with the same expressions in the same order, so `mcmsim stats` writes
 * the same bits.) Var(v.x0) = 1 whenever the forms are exact, so kurt(v.x0) = kappa_4(v.x0) and
 * kappa_4(v.x_t) = alpha^4 kappa_4(v.x0) (§2.2). */
#include "core/mcm_moments.h"

#include <math.h>

int mcm_moments_exact(const mcm_params *p)
{
    return p->spikes != MCM_SPIKES_RANDOM && p->mixture == MCM_MIX_NONE &&
           (p->whitening == MCM_WHITEN_SPIKE || p->coupling == MCM_COUPLE_INDEPENDENT);
}

int mcm_moments_compute(const mcm_params *p, double alpha, double sigma, mcm_moments *out)
{
    double c2[2][2], al = alpha, noise = sigma * sigma;
    mcm_cov_uv(p, c2);
    double var[MCM_MOM_NDIR] = {al * al + noise, al * al * c2[0][0] + noise,
                                al * al * c2[1][1] + noise, al * al + noise};
    double k4v = pow(al, 4) * mcm_kurtosis_v(p);
    for (int j = 0; j < MCM_MOM_NDIR; j++) {
        out->mean[j] = j == MCM_MOM_M ? al * p->beta_m : 0.0;
        out->variance[j] = var[j];
        out->excess_kurtosis[j] = j == MCM_MOM_V ? k4v / (var[j] * var[j]) : 0.0;
    }
    out->cov_uv = al * al * c2[0][1];
    return mcm_moments_exact(p);
}
