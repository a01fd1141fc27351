/* run_gauss — `mcmsim run` on Gaussian data: the rules of that mode and the data; see
 * include/cli/run_gauss.h. The output datasets are src/cli/run_gauss_out.c's. */
#include "cli/run_gauss.h"

#include "base/log.h"
#include "parallel/gbasis.h"
#include "spec/spec.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RG_MSG 4096

/* Appends "FILE:LINE: key 'sec.key': text" to msg when bad. */
static void rg_need(int good, char *msg, const cfg_resolved *cr, const char *sec, const char *key,
                    const char *fmt, ...)
{
    if (good) return;
    char t[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t, sizeof t, fmt, ap);
    va_end(ap);
    size_t n = strlen(msg);
    if (n > 0 && n + 1 < RG_MSG) msg[n++] = '\n';
    if (n < RG_MSG) cfg_key_error(msg + n, RG_MSG - n, cr, cfg_find(sec, key), "%s", t);
}

static int rg_is(const cfg_resolved *cr, const char *sec, const char *key, int v, const char *name)
{
    (void)cr; /* keeps the call sites reading like the rest */
    return cfg_enum_is(cfg_find(sec, key), v, name);
}

/* The model and the training the theory describes (gaussian-theory.md §2.1, §2.2, §2.5). */
static void rg_check_model(const cfg_resolved *cr, char *msg)
{
    const cfg_t *c = &cr->v;
    int lin = rg_is(cr, "model", "family", c->model.family, "linear");
    int sym = rg_is(cr, "model", "family", c->model.family, "symlinear");
    rg_need(lin || sym, msg, cr, "model", "family",
            "Gaussian data train the linear denoisers of the theory, expected model.family = "
            "linear (W x + b) or symlinear (P P^T x)");
    int one = rg_is(cr, "gaussian", "model", c->gaussian.model, "onelayer");
    int two = rg_is(cr, "gaussian", "model", c->gaussian.model, "twolayer");
    rg_need(!lin || one, msg, cr, "gaussian", "model",
            "the theory of model.family = linear is the one-layer law, expected gaussian.model = "
            "onelayer");
    rg_need(!sym || two, msg, cr, "gaussian", "model",
            "the theory of model.family = symlinear (W = P P^T) is the two-layer law, expected "
            "gaussian.model = twolayer");
    rg_need(rg_is(cr, "diffusion", "schedule", c->diffusion.schedule, "ve"), msg, cr, "diffusion",
            "schedule",
            "the theory's forward process is x0 + sigma xi (EDM/VE), expected "
            "diffusion.schedule = ve (sigma = diffusion.t)");
    rg_need(rg_is(cr, "train", "loss", c->train.loss, "x0"), msg, cr, "train", "loss",
            "the theory regresses on x0, expected train.loss = x0");
    rg_need(rg_is(cr, "train", "times", c->train.times, "fixed"), msg, cr, "train", "times",
            "one independent denoiser per level, expected train.times = fixed (a [sweep] t list "
            "gives one task per level)");
    /* the linear families have no sphere rows: spherical SGD is plain SGD for them */
    rg_need(!rg_is(cr, "optim", "kind", c->optim.kind, "adam"), msg, cr, "optim", "kind",
            "the theory is gradient flow, expected optim.kind = sgd (or spherical, the same for "
            "the linear families)");
    rg_need(rg_is(cr, "optim", "schedule", c->optim.schedule, "constant"), msg, cr, "optim",
            "schedule",
            "tau = steps x eta needs a constant step, expected optim.schedule = constant");
    rg_need(c->optim.weight_decay == 0, msg, cr, "optim", "weight_decay",
            "%g; the theory has no decay, expected 0", c->optim.weight_decay);
}

/* The theory switches and the run's shape. */
static void rg_check_setup(const cfg_resolved *cr, char *msg)
{
    const cfg_t *c = &cr->v;
    rg_need(rg_is(cr, "gaussian", "process", c->gaussian.process, "edm"), msg, cr, "gaussian",
            "process", "SGD runs the EDM/VE process, expected gaussian.process = edm");
    rg_need(rg_is(cr, "gaussian", "objective", c->gaussian.objective, "x0"), msg, cr, "gaussian",
            "objective", "SGD predicts x0, expected gaussian.objective = x0");
    if (rg_is(cr, "gaussian", "precond", c->gaussian.precond, "edm")) {
        /* one shared V over sampled levels (gaussian-theory.md §1.2, §2.3) */
        rg_need(c->sweep.t.n == 0, msg, cr, "sweep", "t",
                "a list of levels with gaussian.precond = edm, which samples the levels from "
                "p(ln sigma) for one shared V, expected none");
        rg_need(!c->model.bias, msg, cr, "model", "bias",
                "true with gaussian.precond = edm, expected false (D = c_skip x + c_out V c_in x)");
        rg_need(!rg_is(cr, "gaussian", "sgd_batch", c->gaussian.sgd_batch, "full"), msg, cr,
                "gaussian", "sgd_batch",
                "full with gaussian.precond = edm, expected minibatch (the levels are sampled)");
        rg_need(!rg_is(cr, "train", "data", c->train.data, "finite"), msg, cr, "train", "data",
                "finite with gaussian.precond = edm, expected online");
        rg_need(rg_is(cr, "gaussian", "sgd_init", c->gaussian.sgd_init, "aligned"), msg, cr,
                "gaussian", "sgd_init",
                "model with gaussian.precond = edm, expected aligned (the shared map's readout "
                "is per mode)");
    }
    rg_need(rg_is(cr, "gaussian", "dynamics", c->gaussian.dynamics, "flow"), msg, cr, "gaussian",
            "dynamics",
            "SGD is compared with the gradient flow, expected gaussian.dynamics = flow");
    rg_need(c->mcm.d.n == 1, msg, cr, "mcm", "d",
            "%d dimensions with data.source = gaussian, expected one value: the number of modes",
            c->mcm.d.n);
    const cfg_double_list *sw[4] = {&c->sweep.beta_m, &c->sweep.beta_u, &c->sweep.beta_v,
                                    &c->sweep.delta};
    const char *names[4] = {"beta_m", "beta_u", "beta_v", "delta"};
    for (int k = 0; k < 4; k++)
        rg_need(sw[k]->n == 0, msg, cr, "sweep", names[k],
                "a sweep with data.source = gaussian, expected none (a sweep of t gives the "
                "levels)");
    rg_need(c->diffusion.t > 0, msg, cr, "diffusion", "t",
            "%g, expected a level sigma > 0 (the generated variance needs ln sigma)",
            c->diffusion.t);
    for (int k = 0; k < c->sweep.t.n; k++)
        rg_need(c->sweep.t.v[k] > 0, msg, cr, "sweep", "t", "element %d: %g, expected levels > 0",
                k + 1, c->sweep.t.v[k]);
}

/* Finite training sets and full-batch GD (gaussian-theory.md §2.1, §5). */
static void rg_check_data(const cfg_resolved *cr, char *msg)
{
    const cfg_t *c = &cr->v;
    int finite = rg_is(cr, "train", "data", c->train.data, "finite");
    int full = rg_is(cr, "gaussian", "sgd_batch", c->gaussian.sgd_batch, "full");
    rg_need(!finite || !c->model.bias, msg, cr, "model", "bias",
            "true with train.data = finite: the finite-set theory is the bias-free one (the "
            "empirical mean would couple W and b, §2.4), expected false");
    rg_need(!full || !rg_is(cr, "train", "noise", c->train.noise, "frozen"), msg, cr, "train",
            "noise",
            "frozen with gaussian.sgd_batch = full, which averages the loss over the noise "
            "exactly, expected redrawn");
    double n = (double)spec_n_train(c, (int)c->mcm.d.v[0]), d = (double)c->mcm.d.v[0];
    double levels = c->sweep.t.n > 0 ? c->sweep.t.n : 1;
    double gib =
        8.0 * d * d * levels * (double)c->run.n_seeds * (double)c->observe.n_obs / 1073741824.0;
    int view = !rg_is(cr, "gaussian", "sgd_init", c->gaussian.sgd_init, "aligned") || finite;
    rg_need(!view || gib <= 4, msg, cr, finite ? "train" : "gaussian", finite ? "data" : "sgd_init",
            "%s keeps U^T W U of every observation of every task on every rank for the "
            "time-ordered PF-ODE (%.3g GiB), expected at most 4 GiB: fewer observations, levels "
            "or replicas, or a smaller d",
            finite ? "finite (a W learned from a finite set is not aligned with U)"
                   : "model (not aligned)",
            gib);
    rg_need(!finite || n <= 1e8, msg, cr, "train", "n_train_alpha",
            "%.4g training samples: the run builds every replica's second moment (O(n d^2)), "
            "expected at most 1e8",
            n);
}

void run_gauss_check_cfg(const cfg_resolved *cr)
{
    char msg[RG_MSG] = "";
    rg_check_model(cr, msg);
    rg_check_setup(cr, msg);
    rg_check_data(cr, msg);
    if (msg[0]) LOG_DIE_COLL(LOG_EXIT_USAGE, "%s", msg);
}

double run_gauss_bytes(const cfg_resolved *cr)
{
    double d = (double)cr->v.mcm.d.v[0];
    int random = rg_is(cr, "gaussian", "basis", cr->v.gaussian.basis, "random");
    /* U (and its distributed QR), the observers' W and work, and the gathered series */
    double obs = (double)cr->v.observe.n_obs * (2 * d + 3) * (cr->v.sweep.t.n + 1) *
                 (double)cr->v.run.n_seeds;
    int full = rg_is(cr, "gaussian", "sgd_batch", cr->v.gaussian.sgd_batch, "full");
    int finite = cr->v.train.data != 0;
    int aligned = rg_is(cr, "gaussian", "sgd_init", cr->v.gaussian.sgd_init, "aligned") && !finite;
    /* full batch: S, GW, W per task; finite: S, V, M and the GD work of the output; not
     * aligned: U^T W U of every observation and the PF-ODE's 14 matrices */
    return 8.0 * ((random ? 2 * d * d : 0) + 2 * d * d + 3 * obs + 10 * d + (full ? 3 * d * d : 0) +
                  (finite ? 6 * d * d + obs : 0) + (aligned ? 0 : obs * d / 2 + 14 * d * d));
}

void run_gauss_load(run_gauss *rg, const cfg_resolved *cr)
{
    const cfg_t *c = &cr->v;
    memset(rg, 0, sizeof *rg);
    double *U = NULL; /* spectrum = empirical: its eigenvectors */
    gauss_spectrum(cr, &rg->sg, &U);
    int d = rg->sg.d;
    rg->eta = spec_optim(c, d, spec_steps(c, d)).lr;
    /* SGD steps W -= eta grad L move the mean like the flow dW/dtau = -grad L at tau = steps x
     * eta: the theory runs at unit rate on that clock (gaussian.eta is 'mcmsim gaussian''s) */
    rg->sg.setup.eta = 1.0;
    /* symlinear of rank h < d: the modes beyond h start (and stay) at 0 */
    if (rg_is(cr, "model", "family", c->model.family, "symlinear"))
        for (int k = (int)c->model.K; k < d; k++)
            rg->sg.q[k] = 0;
    int random = rg_is(cr, "gaussian", "basis", c->gaussian.basis, "random");
    const char *bname = U ? "empirical eigen" : random ? "random orthogonal" : "identity";
    if (random && !U) {
        U = LOG_CALLOC((size_t)d * (size_t)d, sizeof(double));
        gbasis_random(d, (uint32_t)c->run.seed, (int)c->covar.block_size, U);
    }
    gdata_init(&rg->g, d, rg->sg.lambda, rg->sg.q, c->gaussian.mean, U);
    free(U);
    rg->g.aligned = rg_is(cr, "gaussian", "sgd_init", c->gaussian.sgd_init, "aligned");
    /* a finite set's W drifts into the sample eigenbasis: not aligned with U either */
    rg->g.full_view = !rg->g.aligned || c->train.data != 0;
    rg->ed = (engine_data){.d = d, .gauss = &rg->g};
    double lo = INFINITY, hi = 0;
    for (int k = 0; k < d; k++)
        lo = fmin(lo, rg->sg.lambda[k]), hi = fmax(hi, rg->sg.lambda[k]);
    log_info("data: Gaussian N(%g, U Lambda U^T), %d modes, lambda in [%.4g, %.4g], %s basis, "
             "eta = %g\n",
             c->gaussian.mean, d, lo, hi, bname, rg->eta);
    if (c->train.data != 0)
        log_info("data: a finite training set of %llu samples per replica, shared by its levels\n",
                 (unsigned long long)spec_n_train(c, d));
    if (rg_is(cr, "gaussian", "sgd_batch", c->gaussian.sgd_batch, "full"))
        log_info("training: full-batch GD on the loss averaged exactly over the noise and the %s "
                 "(train.batch unused)\n",
                 c->train.data != 0 ? "training set" : "population");
}

void run_gauss_free(run_gauss *rg)
{
    gdata_free(&rg->g);
    spec_gauss_free(&rg->sg);
    memset(rg, 0, sizeof *rg);
}
