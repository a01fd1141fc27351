/* cfg_check_gen — the cross-key rules of [generate]: the sigma range of the schedule and the
 * teleportation level inside it (gaussian-theory.md §4.4). Rules that need the model (is there
 * an exact score for this MCM?) are the command's (cli/cmd_generate.c). */
#include "cfg_internal.h"

#include <string.h>

static double gen_value(const cfg_resolved *c, int i)
{
    double v;
    memcpy(&v, (const char *)&c->v + cfg_schema[i].offset, sizeof v);
    return v;
}

void cfg_check_generate(const cfg_resolved *c, const unsigned char *ok, cfg_errors *err)
{
    int ilo = cfg_find("generate", "sigma_min"), ihi = cfg_find("generate", "sigma_max");
    int isk = cfg_find("generate", "sigma_skip");
    if (!ok[ilo] || !ok[ihi]) return;
    double lo = gen_value(c, ilo), hi = gen_value(c, ihi);
    if (!(hi > lo)) {
        cfg_error_key(err, cfg_where(c, ihi), "generate", "sigma_max",
                      "%g is not above generate.sigma_min = %g (from %s), expected sigma_max > "
                      "sigma_min",
                      hi, lo, c->origin[ilo]);
        return;
    }
    if (!ok[isk]) return;
    double sk = gen_value(c, isk);
    int ik = cfg_find("generate", "skip_steps"), in = cfg_find("generate", "n_steps");
    if (ok[ik] && ok[in] && c->v.generate.skip_steps > 0) {
        if (sk != 0)
            cfg_error_key(err, cfg_where(c, ik), "generate", "skip_steps",
                          "%ld steps and generate.sigma_skip = %g (from %s) both ask for a "
                          "teleportation, expected one of them",
                          c->v.generate.skip_steps, sk, c->origin[isk]);
        else if (c->v.generate.skip_steps > c->v.generate.n_steps)
            cfg_error_key(err, cfg_where(c, ik), "generate", "skip_steps",
                          "%ld is beyond the schedule's generate.n_steps = %ld (from %s), expected "
                          "0 .. n_steps",
                          c->v.generate.skip_steps, c->v.generate.n_steps, c->origin[in]);
    }
    if (sk != 0 && !(sk >= lo && sk <= hi))
        cfg_error_key(err, cfg_where(c, isk), "generate", "sigma_skip",
                      "%g lies outside [generate.sigma_min, generate.sigma_max] = [%g, %g], "
                      "expected 0 (no teleportation) or a level in that range",
                      sk, lo, hi);
}
