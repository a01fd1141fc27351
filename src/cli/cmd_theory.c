/* cmd_theory — `mcmsim theory CONFIG`: the single-neuron theory of a configuration
 * (mcm-model.md §6): Hermite coefficients, small-overlap coefficients, information exponents,
 * learning-rate bounds and predicted escape times, per sweep combination and dimension. */
#include "cli/cmd.h"

#include "base/log.h"
#include "core/theory.h"

#include <math.h>
#include <stdio.h>

/* One sweep combination: its theory inputs th at the first dimension, then per dimension d. */
static void th_print_combo(const spec_theory *th, const cfg_int_list *dims)
{
    const mcm_params *p = &th->mcm;
    theory_coeffs tc;
    theory_coeffs_compute(&tc, &th->act, p, th->alpha, th->sigma);
    printf("\nbeta_m = %g, beta_u = %g, beta_v = %g, t = %g (alpha %.6f, sigma %.6f), "
           "delta = %g, eta = delta / d^%g\n",
           p->beta_m, p->beta_u, p->beta_v, th->t, th->alpha, th->sigma, th->delta, th->lr_power);
    printf("  Hermite mu_k:");
    for (int k = 0; k <= 4; k++)
        printf(" %+.6f", tc.mu[k]);
    printf("\n  Hermite E_k: ");
    for (int k = 0; k <= 4; k++)
        printf(" %+.6f", tc.E[k]);
    printf("\n  B = %+.6g   c_u2 = %+.6g   c_v4 = %+.6g   c_uv = %+.6g   C = %.6g\n", tc.B, tc.c_u2,
           tc.c_v4, tc.c_uv, tc.C);
    printf("  information exponents: u %d%s, v %d%s; delta_max(u) = %.4g\n", tc.k_u,
           tc.blind_u ? " (blind)" : "", tc.k_v, tc.blind_v ? " (blind)" : "",
           theory_delta_max_u(&tc));
    printf("  %7s %12s %12s %14s %14s\n", "d", "tau_u(0.5)", "n*_u", "delta_max(v)", "tau_v(d^-2)");
    for (int i = 0; i < dims->n; i++) {
        int d = (int)dims->v[i];
        double tu = theory_tau_u(&tc, th->delta, d, 0.5);
        printf("  %7d %12.4g %12.4g %14.4g %14.4g\n", d, tu, tu * d * th->batch,
               theory_delta_max_v(&tc, d), theory_tau_v(&tc, th->delta, d));
    }
}

int cmd_theory(const cmd_opts *o, const cfg_resolved *cr)
{
    (void)o;
    task_list tl;
    task_list_from_cfg(&tl, &cr->v);
    if (log_rank() == 0) {
        printf("single-neuron theory (model A, activation from [model], fixed skip alpha_t) of "
               "%s\n",
               cr->file);
        for (int k = 0; k < tl.n; k++) {
            if (tl.t[k].d != tl.t[0].d || tl.t[k].replica != 0)
                continue; /* each combination once */
            cfg_t cc = cr->v;
            task_apply(&tl.t[k], &cc);
            spec_theory th;
            spec_theory_build(&th, &cc, tl.t[k].d);
            th_print_combo(&th, &cr->v.mcm.d);
        }
        printf("\n(tau in d-steps = steps / d; n*_u = tau_u d batch samples; tau_v for eta = "
               "delta / d^2; NaN: no escape at this delta)\n");
        fflush(stdout);
    }
    task_list_free(&tl);
    return LOG_EXIT_OK;
}
