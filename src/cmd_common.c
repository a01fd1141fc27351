/* cmd_common — pieces shared by the subcommands: config-to-module translation, dry runs. */
#include "cmd.h"

#include "log.h"

#include <stdio.h>

const char *cmd_output_path(const cmd_opts *o, const cfg_resolved *c)
{
    return o->output ? o->output : c->v.run.output;
}

mcm_params cmd_mcm_params(const cfg_t *c, int d)
{
    mcm_params p = {
        .d = d,
        .beta_m = c->mcm.beta_m,
        .beta_u = c->mcm.beta_u,
        .beta_v = c->mcm.beta_v,
        .nu_law = (mcm_nu_law)c->mcm.nu_law,
        .skew_q = c->mcm.skew_q,
        .coupling = (mcm_coupling)c->mcm.coupling,
        .whitening = (mcm_whitening)c->mcm.whitening,
        .spikes = (mcm_spikes)c->mcm.spikes,
        .mixture = (mcm_mixture)c->mcm.mixture,
        .mean_term = (mcm_mean_term)c->mcm.mean_term,
    };
    return p;
}

diff_schedule cmd_schedule(const cfg_t *c)
{
    diff_schedule s = {(diff_kind)c->diffusion.schedule, c->diffusion.beta_min,
                       c->diffusion.beta_max};
    return s;
}

static void cmd_human_bytes(double b, char *buf, size_t len)
{
    const char *u[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    int i = 0;
    while (b >= 1024 && i < 5) {
        b /= 1024;
        i++;
    }
    snprintf(buf, len, "%.1f %s", b, u[i]);
}

void cmd_dry_run_report(const cfg_resolved *c, const char *what, double bytes_per_rank,
                        double variates, double output_bytes)
{
    if (log_rank() != 0) return;
    char mem[32], out[32];
    cmd_human_bytes(bytes_per_rank, mem, sizeof mem);
    cmd_human_bytes(output_bytes, out, sizeof out);
    printf("# resolved configuration of %s\n", c->file);
    cfg_print(c, stdout, 0);
    printf("# dry run: %s\n", what);
    printf("#   memory per rank  ~ %s\n", mem);
    printf("#   normal variates  ~ %.3g (at ~3 ns each: %.3g core-seconds)\n", variates,
           variates * 3e-9);
    printf("#   output file      ~ %s\n", out);
    printf("# configuration valid; nothing computed or written\n");
    fflush(stdout);
}
