/* cmd_gaussian — `mcmsim gaussian CONFIG`: the exact theory of linear denoisers trained on
 * zero-mean Gaussian data with the spectrum of [gaussian] (gaussian-theory.md §2-§3): per-mode
 * weights, losses, generated variances and KL through training, emergence times and the fitted
 * spectral-bias exponent alpha. No training: seconds. The computation and the datasets are
 * cli/gauss_theory.h's; rank 0 writes. */
#include "cli/cmd.h"

#include "base/log.h"
#include "cli/gauss_theory.h"
#include "core/gtheory.h"
#include "io/h5out.h"

#include <math.h>

int cmd_gaussian(const cmd_opts *o, const cfg_resolved *cr)
{
    spec_gauss g;
    gauss_spectrum(cr, &g, NULL);
    double lmax = 0;
    for (int k = 0; k < g.d; k++)
        lmax = fmax(lmax, g.lambda[k]);
    if (g.setup.dynamics == GT_GD && g.setup.eta >= gt_gd_eta_max(&g.setup, lmax))
        log_warn("gaussian.eta = %g is not below the discrete-GD stability bound %g: the "
                 "largest modes diverge (NaN or inf variances)\n",
                 g.setup.eta, gt_gd_eta_max(&g.setup, lmax));
    double cells = (double)g.n_tau * g.d;
    if (o->dry_run) {
        cmd_dry_run_report(cr, "Gaussian linear-denoiser theory (no sampling)",
                           8.0 * (2 * cells + 8.0 * g.d), 0, 8.0 * (2 * cells + 8.0 * g.d) + 65536);
        spec_gauss_free(&g);
        return LOG_EXIT_OK;
    }
    char mname[32];
    cfg_format_value(&cr->v, cfg_find("gaussian", "model"), mname, sizeof mname);
    log_info("Gaussian theory: %d modes, model %s, %s, %d times in [%g, %g]\n", g.d, mname,
             gt_has_closed_form(&g.setup) ? "closed forms" : "quadrature", g.n_tau, g.tau_min,
             g.tau_max);
    h5out_file f;
    h5out_create(&f, cmd_output_path(o, cr), cr, "gaussian");
    gs_result r;
    gauss_theory_alloc(&r, g.d, g.n_tau);
    gauss_theory_compute(&g, &r);
    gauss_theory_write(&f, cr, &g, &r);
    h5out_finish(&f);
    gauss_theory_table(&g, &r);
    log_info("wrote %s\n", cmd_output_path(o, cr));
    gauss_theory_free(&r);
    spec_gauss_free(&g);
    return LOG_EXIT_OK;
}
