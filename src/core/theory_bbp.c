/* theory_bbp — BBP transition and Marchenko-Pastur edge, classic and MCM spikes; see
 * include/core/theory_bbp.h. (Moved from theory.c and cmd_covar.c with the same expressions in
 * the same order, so `mcmsim covar` writes the same bits.) */
#include "core/theory_bbp.h"

#include <math.h>

void theory_bbp(double alpha, double beta, double *lambda_top, double *overlap2, double *edge)
{
    double g = 1.0 / alpha;
    *edge = (1 + sqrt(g)) * (1 + sqrt(g));
    if (beta * beta * alpha > 1) {
        *lambda_top = (1 + beta) * (1 + g / beta);
        *overlap2 = (1 - g / (beta * beta)) / (1 + g / beta);
    } else {
        *lambda_top = *edge;
        *overlap2 = 0;
    }
}

/* l = mean of the diagonal + hypot(half difference, off-diagonal); e solves (c - l I) e = 0,
 * e ~ (c01, l - c00), which vanishes only when c01 = 0 and the u entry is the larger (e = u). */
void theory_bbp_block_top(const mcm_params *p, double *l, double *eu2)
{
    double c[2][2];
    mcm_cov_uv(p, c);
    double h = 0.5 * (c[0][0] - c[1][1]);
    *l = 0.5 * (c[0][0] + c[1][1]) + hypot(h, c[0][1]);
    double eu = c[0][1], ev = *l - c[0][0];
    double nrm = hypot(eu, ev);
    *eu2 = nrm > 0 ? eu * eu / (nrm * nrm) : (h >= 0 ? 1.0 : 0.0);
}

int theory_bbp_mcm(const mcm_params *p, double alpha, double *lambda_top, double *overlap2,
                   double *edge)
{
    double l, cu2;
    theory_bbp_block_top(p, &l, &cu2);
    theory_bbp(alpha, l - 1, lambda_top, overlap2, edge);
    *overlap2 *= cu2;
    if (p->mixture != MCM_MIX_NONE) {
        *lambda_top = *overlap2 = NAN;
        return 0;
    }
    return 1;
}
