/* cfg_schema — the one declared table of configuration keys (cross-key rules: cfg_check.c).
 *
 * Everything the user can set is listed here exactly once: input/reference.ini, the error
 * messages, cfg_print and the HDF5 attributes are all derived from this table, and the unit
 * tests check reference.ini against it. Enum strings must list the values in the order of the
 * C enums in mcm.h and diffusion.h, because the parsed index is stored as the enum value. */
#include "cfg_internal.h"
#include "base/limits.h"

#include <math.h>

#include <stdio.h>
#include <string.h>

/* Section, key, and where the value lives in cfg_t (offset and width). */
#define FIELD(sec, name)                                                                           \
    .section = #sec, .key = #name, .offset = offsetof(cfg_t, sec.name),                            \
    .size = sizeof(((cfg_t *)0)->sec.name)

const cfg_entry cfg_schema[] = {
    /* [run] */
    {FIELD(run, seed), .type = CFG_INT, .def = "1", .min = 0, .max = 4294967295.0,
     .restart = CFG_FIXED, .units = "1",
     .help = "global seed of every random stream; same seed, same numbers on any rank count"},
    {FIELD(run, n_seeds), .type = CFG_INT, .def = "1", .min = 1, .max = LIMITS_MAX_REPLICAS,
     .restart = CFG_FIXED, .units = "replicas",
     .help = "independent replicas (walkers) per dimension; tasks = len(mcm.d) x n_seeds"},
    {FIELD(run, output), .type = CFG_STRING, .def = "mcmsim.h5", .restart = CFG_CHANGEABLE,
     .units = "", .help = "output HDF5 file; the command-line option -o overrides it"},
    {FIELD(run, slice), .type = CFG_STRING, .def = "1/1", .restart = CFG_FIXED, .units = "",
     .help = "i/n: run only tasks k with k mod n = i - 1 (mcmsim merge joins the n files)"},

    /* [mcm] */
    {FIELD(mcm, d), .type = CFG_INT_LIST, .def = NULL, .min = LIMITS_MIN_D, .max = LIMITS_MAX_D,
     .restart = CFG_FIXED, .units = "1",
     .help = "input dimensions d, comma-separated; one task per dimension and seed"},
    {FIELD(mcm, beta_m), .type = CFG_DOUBLE, .def = "0", .min = 0, .max = 1e6, .restart = CFG_FIXED,
     .units = "1", .help = "strength beta_m of the mean spike m"},
    {FIELD(mcm, beta_u), .type = CFG_DOUBLE, .def = "5", .min = 0, .max = 1e6, .restart = CFG_FIXED,
     .units = "1",
     .help = "strength beta_u of the covariance spike u (variance 1 + beta_u along u)"},
    {FIELD(mcm, beta_v), .type = CFG_DOUBLE, .def = "5", .min = 0, .max = 1e6, .restart = CFG_FIXED,
     .units = "1",
     .help = "strength beta_v of the cumulant spike v, hidden from the covariance by whitening"},
    {FIELD(mcm, nu_law), .type = CFG_ENUM, .def = "rademacher",
     .enums = "rademacher|skewed|gaussian", .restart = CFG_FIXED, .units = "",
     .help = "law of the non-Gaussian latent nu (unit variance); gaussian is the null model"},
    {FIELD(mcm, skew_q), .type = CFG_DOUBLE, .def = "0.3", .min = 0, .max = 1,
     .flags = CFG_OPEN_MIN | CFG_OPEN_MAX, .restart = CFG_FIXED, .units = "1",
     .help = "probability q_T of the rare point of the skewed two-point law (nu_law = skewed)"},
    {FIELD(mcm, coupling), .type = CFG_ENUM, .def = "independent",
     .enums = "independent|sign|threshold", .restart = CFG_FIXED, .units = "",
     .help = "joint law of (lambda, nu): independent, nu = sign(lambda), or "
             "nu = sign(lambda^2 - median)"},
    {FIELD(mcm, whitening), .type = CFG_ENUM, .def = "spike", .enums = "spike|full",
     .restart = CFG_FIXED, .units = "",
     .help = "whitening: S = I - c_S v v^T (spike) or re-whiten the (u, v) block (full)"},
    {FIELD(mcm, spikes), .type = CFG_ENUM, .def = "qr", .enums = "qr|axes|random",
     .restart = CFG_FIXED, .units = "",
     .help = "spike geometry: orthonormalised Gaussians (qr), e_0 e_1 e_2 (axes), or random"},
    {FIELD(mcm, mixture), .type = CFG_ENUM, .def = "none", .enums = "none|labelled",
     .restart = CFG_FIXED, .units = "",
     .help = "none: every sample from the model; labelled: y = -1 half the time draws N(0, I)"},
    {FIELD(mcm, mean_term), .type = CFG_ENUM, .def = "plain", .enums = "plain|label",
     .restart = CFG_FIXED, .units = "",
     .help = "mean term beta_m m (plain) or beta_m y m (label) in the labelled mixture"},

    /* [diffusion] */
    {FIELD(diffusion, schedule), .type = CFG_ENUM, .def = "ou", .enums = "ou|ve|ddpm",
     .restart = CFG_FIXED, .units = "",
     .help = "noise schedule: ou (alpha = e^-t), ve (sigma = t), ddpm (linear beta on [0, 1])"},
    {FIELD(diffusion, t), .type = CFG_DOUBLE, .def = "0.5", .min = 0, .max = 1e3,
     .restart = CFG_FIXED, .units = "time",
     .help = "diffusion time t of x_t = alpha_t x_0 + sigma_t xi; at most 1 with schedule = ddpm"},
    {FIELD(diffusion, beta_min), .type = CFG_DOUBLE, .def = "0.1", .min = 0, .max = 1e3,
     .restart = CFG_FIXED, .units = "1/time", .help = "ddpm: noise rate beta(t) at t = 0"},
    {FIELD(diffusion, beta_max), .type = CFG_DOUBLE, .def = "20", .min = 0, .max = 1e3,
     .restart = CFG_FIXED, .units = "1/time",
     .help = "ddpm: noise rate beta(t) at t = 1, at least beta_min"},

    /* [stats] */
    {FIELD(stats, n_samples), .type = CFG_INT, .def = "100000", .min = 1, .max = 1e12,
     .restart = CFG_CHANGEABLE, .units = "samples",
     .help = "samples drawn per task for the moment and histogram statistics"},
    {FIELD(stats, block), .type = CFG_INT, .def = "4096", .min = 1, .max = 1e9,
     .restart = CFG_FIXED, .units = "samples",
     .help = "samples per work unit, the grain of scheduling and checkpoints"},
    {FIELD(stats, bins), .type = CFG_INT, .def = "60", .min = 2, .max = 10000, .restart = CFG_FIXED,
     .units = "bins", .help = "histogram bins per projected direction"},
    {FIELD(stats, range), .type = CFG_DOUBLE, .def = "5", .min = 0, .max = 100,
     .flags = CFG_OPEN_MIN, .restart = CFG_FIXED, .units = "std",
     .help = "histogram half-width, in standard deviations of the projected direction"},

    /* [sample] */
    {FIELD(sample, n), .type = CFG_INT, .def = "1000", .min = 1, .max = 1e9,
     .restart = CFG_CHANGEABLE, .units = "samples", .help = "samples written by 'mcmsim sample'"},
    {FIELD(sample, task), .type = CFG_INT, .def = "0", .min = 0,
     .max = CFG_LIST_MAX * (double)LIMITS_MAX_REPLICAS - 1, .restart = CFG_CHANGEABLE, .units = "1",
     .help = "task drawn by 'mcmsim sample', index d_index x n_seeds + seed_index (d-major)"},

#include "cfg_schema_gen.h"

    /* [model] */
    {FIELD(model, family), .type = CFG_ENUM, .def = "neuron",
     .enums = "neuron|twolayer|mlp|linear|symlinear", .restart = CFG_FIXED, .units = "",
     .help = "denoiser: neuron (A, B: c x + sum_k a_k w_k s(w_k.x), w_k on the sphere), twolayer "
             "(C), mlp (D), linear (E: W x + b), symlinear (E: P P^T x)"},
    {FIELD(model, K), .type = CFG_INT, .def = "1", .min = 1, .max = 65536, .restart = CFG_FIXED,
     .units = "1", .help = "neurons (neuron, twolayer), width H (mlp) or rank h (symlinear)"},
    {FIELD(model, L), .type = CFG_INT, .def = "3", .min = 2, .max = 64, .restart = CFG_FIXED,
     .units = "1", .help = "mlp: number of weight layers"},
    {FIELD(model, activation), .type = CFG_ENUM, .def = "tanh",
     .enums = "tanh|erf|relu|linear|hermite|matched_u|matched_v", .restart = CFG_FIXED, .units = "",
     .help = "activation; matched_u / matched_v are the Bayes denoiser's at the training time "
             "(relu and linear are blind to v)"},
    {FIELD(model, act_scale), .type = CFG_DOUBLE, .def = "0.5", .min = -1e6, .max = 1e6,
     .restart = CFG_FIXED, .units = "x units",
     .help = "output scale of the activation (0.5 tanh is the theory default; use 1 for matched)"},
    {FIELD(model, hermite_k), .type = CFG_INT, .def = "3", .min = 0, .max = LIMITS_MAX_HERMITE_K,
     .restart = CFG_FIXED, .units = "1", .help = "order k of the Hermite activation He_k"},
    {FIELD(model, skip), .type = CFG_ENUM, .def = "fixed", .enums = "fixed|trainable|none",
     .restart = CFG_FIXED, .units = "",
     .help =
         "skip c x: fixed to alpha_t of the sample's time, trainable (starts at alpha_t), none"},
    {FIELD(model, train_a), .type = CFG_BOOL, .def = "false", .restart = CFG_FIXED, .units = "",
     .help = "neuron: train the second-layer amplitudes a_k (otherwise fixed to a0)"},
    {FIELD(model, a0), .type = CFG_DOUBLE, .def = "1", .min = -1e6, .max = 1e6,
     .restart = CFG_FIXED, .units = "1", .help = "neuron: fixed amplitude a_k when not trained"},
    {FIELD(model, init2), .type = CFG_ENUM, .def = "zero", .enums = "zero|small",
     .restart = CFG_FIXED, .units = "",
     .help = "initial second layer (trainable a_k, V, last mlp layer, linear W): zero or small"},
    {FIELD(model, init2_scale), .type = CFG_DOUBLE, .def = "0.01", .min = 0, .max = 1e3,
     .restart = CFG_FIXED, .units = "1", .help = "standard deviation of the small init"},
    {FIELD(model, bias), .type = CFG_BOOL, .def = "true", .restart = CFG_FIXED, .units = "",
     .help = "twolayer, mlp, linear: biases present"},

    /* [train] */
    {FIELD(train, engine), .type = CFG_ENUM, .def = "direct", .enums = "direct|reduced",
     .restart = CFG_FIXED, .units = "",
     .help = "direct: d-dimensional vectors, O(d) per step; reduced: the exact Gram-state chain, "
             "cost per step independent of d (online SGD of neuron/twolayer models only)"},
    {FIELD(train, loss), .type = CFG_ENUM, .def = "x0", .enums = "x0|eps|score",
     .restart = CFG_FIXED, .units = "",
     .help = "DSM parameterisation: x0-prediction MSE, epsilon-prediction, score matching"},
    {FIELD(train, times), .type = CFG_ENUM, .def = "fixed", .enums = "fixed|list|range",
     .restart = CFG_FIXED, .units = "",
     .help = "diffusion time per sample: diffusion.t, uniform over train.t_list, or uniform "
             "on [t_min, t_max]"},
    {FIELD(train, t_list), .type = CFG_DOUBLE_LIST, .def = "none", .min = 0, .max = 1e3,
     .flags = CFG_NONE_OK, .restart = CFG_FIXED, .units = "time",
     .help = "times for train.times = list"},
    {FIELD(train, t_min), .type = CFG_DOUBLE, .def = "0.1", .min = 0, .max = 1e3,
     .restart = CFG_FIXED, .units = "time", .help = "lower end for train.times = range"},
    {FIELD(train, t_max), .type = CFG_DOUBLE, .def = "1", .min = 0, .max = 1e3,
     .restart = CFG_FIXED, .units = "time", .help = "upper end for train.times = range"},
    {FIELD(train, t_weight), .type = CFG_ENUM, .def = "none", .enums = "none|sigma2",
     .restart = CFG_FIXED, .units = "",
     .help = "extra loss weight w(t) over times: none (1) or sigma_t^2"},
    {FIELD(train, data), .type = CFG_ENUM, .def = "online", .enums = "online|finite",
     .restart = CFG_FIXED, .units = "",
     .help = "online: fresh (x0, xi) every sample; finite: n = alpha d^k samples cycled in epochs"},
    {FIELD(train, batch), .type = CFG_INT, .def = "1", .min = 1, .max = 65536, .restart = CFG_FIXED,
     .units = "samples", .help = "samples per step (mini-batch B)"},
    {FIELD(train, n_train_alpha), .type = CFG_DOUBLE, .def = "10", .min = 0, .max = 1e12,
     .flags = CFG_OPEN_MIN, .restart = CFG_FIXED, .units = "1",
     .help = "finite data: n = n_train_alpha d^n_train_power training samples"},
    {FIELD(train, n_train_power), .type = CFG_INT, .def = "1", .min = 0, .max = 4,
     .restart = CFG_FIXED, .units = "1", .help = "finite data: the power k of d in n"},
    {FIELD(train, noise), .type = CFG_ENUM, .def = "redrawn", .enums = "redrawn|frozen",
     .restart = CFG_FIXED, .units = "",
     .help = "finite data: diffusion noise xi redrawn at every visit or frozen per sample"},
    {FIELD(train, steps_alpha), .type = CFG_DOUBLE, .def = "50", .min = 0, .max = 1e15,
     .flags = CFG_OPEN_MIN, .restart = CFG_CHANGEABLE, .units = "steps",
     .help = "run length: steps = ceil(steps_alpha d^steps_power)"},
    {FIELD(train, steps_power), .type = CFG_INT, .def = "1", .min = 0, .max = 4,
     .restart = CFG_CHANGEABLE, .units = "1",
     .help = "run length power (1: steps_alpha is the d-scaled time tau = steps / d)"},

    /* [optim] */
    {FIELD(optim, kind), .type = CFG_ENUM, .def = "spherical", .enums = "sgd|spherical|adam",
     .restart = CFG_FIXED, .units = "",
     .help = "optimiser: plain SGD, spherical SGD (neuron rows stay on the sphere), Adam"},
    {FIELD(optim, delta), .type = CFG_DOUBLE, .def = "0.5", .min = 0, .max = 1e6,
     .flags = CFG_OPEN_MIN, .restart = CFG_FIXED, .units = "1",
     .help = "learning rate eta = delta / d^lr_power (Adam: eta = delta, use lr_power = 0)"},
    {FIELD(optim, lr_power), .type = CFG_DOUBLE, .def = "1", .min = 0, .max = 4,
     .restart = CFG_FIXED, .units = "1",
     .help = "a in eta = delta / d^a: 1 for the covariance phase, 2 for the cumulant phase"},
    {FIELD(optim, weight_decay), .type = CFG_DOUBLE, .def = "0", .min = 0, .max = 1e3,
     .restart = CFG_FIXED, .units = "1", .help = "decoupled weight decay (not on sphere rows)"},
    {FIELD(optim, beta1), .type = CFG_DOUBLE, .def = "0.9", .min = 0, .max = 1,
     .flags = CFG_OPEN_MAX, .restart = CFG_FIXED, .units = "1",
     .help = "Adam decay rate of the first-moment average"},
    {FIELD(optim, beta2), .type = CFG_DOUBLE, .def = "0.999", .min = 0, .max = 1,
     .flags = CFG_OPEN_MAX, .restart = CFG_FIXED, .units = "1",
     .help = "Adam decay rate of the second-moment average"},
    {FIELD(optim, eps), .type = CFG_DOUBLE, .def = "1e-8", .min = 0, .max = 1,
     .flags = CFG_OPEN_MIN, .restart = CFG_FIXED, .units = "1",
     .help = "Adam epsilon added to the root of the second moment"},
    {FIELD(optim, schedule), .type = CFG_ENUM, .def = "constant", .enums = "constant|step|cosine",
     .restart = CFG_FIXED, .units = "",
     .help = "learning-rate schedule: constant, step (x step_factor every step_every), cosine"},
    {FIELD(optim, step_every), .type = CFG_INT, .def = "10000", .min = 1, .max = 1e15,
     .restart = CFG_FIXED, .units = "steps", .help = "schedule = step: steps between decays"},
    {FIELD(optim, step_factor), .type = CFG_DOUBLE, .def = "0.5", .min = 0, .max = 1,
     .flags = CFG_OPEN_MIN, .restart = CFG_FIXED, .units = "1",
     .help = "schedule = step: factor per decay"},

    /* [observe] */
    {FIELD(observe, n_obs), .type = CFG_INT, .def = "60", .min = 2, .max = 100000,
     .restart = CFG_FIXED, .units = "1",
     .help = "observations per task at log-spaced steps (step 0 and the final step included)"},
    {FIELD(observe, n_eval), .type = CFG_INT, .def = "256", .min = 1, .max = 1e7,
     .restart = CFG_FIXED, .units = "samples",
     .help = "fixed evaluation set per task, for the test losses on data and both clones"},
    {FIELD(observe, test_loss), .type = CFG_ENUM, .def = "sampled", .enums = "sampled|exact",
     .restart = CFG_FIXED, .units = "",
     .help = "test losses: sampled on the evaluation set, or exact population values (neuron "
             "and twolayer on MCM data; the reduced engine always uses exact)"},
    {FIELD(observe, status_every), .type = CFG_DOUBLE, .def = "5", .min = 0, .max = 1e6,
     .restart = CFG_CHANGEABLE, .units = "s",
     .help = "seconds between status lines on rank 0 (0: none); --quiet silences them"},
    {FIELD(observe, snapshots), .type = CFG_BOOL, .def = "false", .restart = CFG_FIXED, .units = "",
     .help = "keep the model parameters at every observation (/snapshots; train.engine = "
             "direct), for mcmsim generate with score = model"},

    /* [sweep] */
    {FIELD(sweep, beta_m), .type = CFG_DOUBLE_LIST, .def = "none", .min = 0, .max = 1e6,
     .flags = CFG_NONE_OK, .restart = CFG_FIXED, .units = "1",
     .help = "values of mcm.beta_m to sweep (tasks = d x seeds x every swept combination)"},
    {FIELD(sweep, beta_u), .type = CFG_DOUBLE_LIST, .def = "none", .min = 0, .max = 1e6,
     .flags = CFG_NONE_OK, .restart = CFG_FIXED, .units = "1",
     .help = "values of mcm.beta_u to sweep"},
    {FIELD(sweep, beta_v), .type = CFG_DOUBLE_LIST, .def = "none", .min = 0, .max = 1e6,
     .flags = CFG_NONE_OK, .restart = CFG_FIXED, .units = "1",
     .help = "values of mcm.beta_v to sweep"},
    {FIELD(sweep, t), .type = CFG_DOUBLE_LIST, .def = "none", .min = 0, .max = 1e3,
     .flags = CFG_NONE_OK, .restart = CFG_FIXED, .units = "time",
     .help = "values of diffusion.t to sweep"},
    {FIELD(sweep, delta), .type = CFG_DOUBLE_LIST, .def = "none", .min = 0, .max = 1e6,
     .flags = CFG_NONE_OK, .restart = CFG_FIXED, .units = "1",
     .help = "values of optim.delta to sweep"},
    /* [scaling] */
    {FIELD(scaling, watch_u), .type = CFG_BOOL, .def = "true", .restart = CFG_FIXED, .units = "",
     .help = "watch max |m_u| for threshold crossings (sample complexity of u)"},
    {FIELD(scaling, watch_v), .type = CFG_BOOL, .def = "false", .restart = CFG_FIXED, .units = "",
     .help = "watch max |m_v| for threshold crossings (sample complexity of v)"},
    {FIELD(scaling, watch_m), .type = CFG_BOOL, .def = "false", .restart = CFG_FIXED, .units = "",
     .help = "watch max |m_m| for threshold crossings (the mean spike)"},
    {FIELD(scaling, watch_subspace), .type = CFG_BOOL, .def = "false", .restart = CFG_FIXED,
     .units = "", .help = "watch the subspace overlap with span(u, v) for threshold crossings"},
    {FIELD(scaling, thresholds), .type = CFG_DOUBLE_LIST, .def = "0.5", .min = 0, .max = 1,
     .flags = CFG_OPEN_MIN, .restart = CFG_CHANGEABLE, .units = "1",
     .help = "overlap thresholds; n* is the first sample count at which a watched overlap "
             "reaches each"},
    {FIELD(scaling, early_stop), .type = CFG_BOOL, .def = "true", .restart = CFG_CHANGEABLE,
     .units = "",
     .help = "stop a task once every watched overlap crossed every threshold (else run the "
             "whole budget train.steps_*); tasks that reach the budget are censored"},
    {FIELD(scaling, check_every), .type = CFG_INT, .def = "0", .min = 0, .max = 1e12,
     .restart = CFG_CHANGEABLE, .units = "steps",
     .help = "steps between crossing checks (0: ceil(d / 16), a resolution of 1/16 d-step)"},
    {FIELD(scaling, bootstrap), .type = CFG_INT, .def = "1000", .min = 10, .max = 1e6,
     .restart = CFG_CHANGEABLE, .units = "resamples",
     .help = "bootstrap resamples for the confidence interval of each median n*"},
    {FIELD(scaling, level), .type = CFG_DOUBLE, .def = "0.95", .min = 0, .max = 1,
     .flags = CFG_OPEN_MIN | CFG_OPEN_MAX, .restart = CFG_CHANGEABLE, .units = "1",
     .help = "confidence level of the intervals (medians and exponents)"},
    {FIELD(scaling, fit_log_power), .type = CFG_DOUBLE, .def = "0", .min = -10, .max = 10,
     .restart = CFG_CHANGEABLE, .units = "1",
     .help = "fixed p of the fit n* = C d^k (log d)^p (0: a pure power law)"},
    {FIELD(scaling, ode_points), .type = CFG_INT, .def = "100", .min = 2, .max = 100000,
     .restart = CFG_CHANGEABLE, .units = "1",
     .help = "points of the theory overlap ODE m(tau) stored per dimension"},

    /* [checkpoint] */
    {FIELD(checkpoint, every_seconds), .type = CFG_DOUBLE, .def = "0", .min = 0, .max = 1e9,
     .restart = CFG_CHANGEABLE, .units = "s",
     .help = "wall-clock seconds between checkpoints of 'mcmsim run' (0: only on a stop request)"},
    {FIELD(checkpoint, every_steps), .type = CFG_INT, .def = "0", .min = 0, .max = 1e15,
     .restart = CFG_CHANGEABLE, .units = "steps",
     .help = "training steps of rank 0 between checkpoints (0: by time only)"},
    {FIELD(checkpoint, dir), .type = CFG_STRING, .def = "ckpt", .restart = CFG_CHANGEABLE,
     .units = "", .help = "directory of the checkpoints and their index"},
    {FIELD(checkpoint, keep), .type = CFG_INT, .def = "2", .min = 1, .max = 60,
     .restart = CFG_CHANGEABLE, .units = "files", .help = "checkpoints kept (the newest)"},
    /* [data] */
    {FIELD(data, source), .type = CFG_ENUM, .def = "mcm", .enums = "mcm|gaussian|file",
     .restart = CFG_FIXED, .units = "",
     .help = "training data: mcm, gaussian (N(mean, U Lambda U^T) with the [gaussian] spectrum; "
             "run, linear and symlinear), file (data.file; mcm with a data.file reads it too)"},
    {FIELD(data, file), .type = CFG_STRING, .def = "none", .restart = CFG_FIXED, .units = "",
     .help = "HDF5 file of a user dataset (N x d); none: data are drawn from the MCM"},
    {FIELD(data, dataset), .type = CFG_STRING, .def = "x", .restart = CFG_FIXED, .units = "",
     .help = "path of the N x d float or double dataset inside data.file"},
    {FIELD(data, spikes), .type = CFG_STRING, .def = "none", .restart = CFG_FIXED, .units = "",
     .help = "group of data.file with unit vectors m, u, v (length d) for the overlaps; none: "
             "overlaps are NaN"},
    {FIELD(data, test_fraction), .type = CFG_DOUBLE, .def = "0.2", .min = 0, .max = 1,
     .flags = CFG_OPEN_MAX, .restart = CFG_FIXED, .units = "1",
     .help = "run: the last fraction of the rows, held out for the test losses (0: test on the "
             "training rows)"},

    /* [covar] */
    {FIELD(covar, alpha), .type = CFG_DOUBLE_LIST, .def = "none", .min = 0, .max = 1e9,
     .flags = CFG_OPEN_MIN | CFG_NONE_OK, .restart = CFG_FIXED, .units = "samples/d",
     .help = "sample sizes n = ceil(alpha d), one task each (MCM: required; data.file: the first "
             "n rows, none: all rows)"},
    {FIELD(covar, block), .type = CFG_INT, .def = "512", .min = 1, .max = 1e7, .restart = CFG_FIXED,
     .units = "samples", .help = "samples per streamed block of the covariance accumulation"},
    {FIELD(covar, k), .type = CFG_INT, .def = "4", .min = 1, .max = LIMITS_MAX_D,
     .restart = CFG_FIXED, .units = "vectors",
     .help = "top eigenvectors kept per task (their overlaps with m, u, v)"},
    {FIELD(covar, solver), .type = CFG_ENUM, .def = "pdsyevd", .enums = "pdsyevd|pdsyevr",
     .restart = CFG_CHANGEABLE, .units = "",
     .help = "ScaLAPACK eigensolver: pdsyevd (all vectors) or pdsyevr (all values, top k vectors)"},
    {FIELD(covar, bins), .type = CFG_INT, .def = "100", .min = 2, .max = 1e6,
     .restart = CFG_CHANGEABLE, .units = "bins", .help = "bins of the spectrum histogram per task"},
    {FIELD(covar, save_matrix), .type = CFG_BOOL, .def = "false", .restart = CFG_CHANGEABLE,
     .units = "", .help = "write every task's d x d covariance (needs covar.groups = 1)"},
    {FIELD(covar, grid_rows), .type = CFG_INT, .def = "0", .min = 0, .max = 1e6,
     .restart = CFG_CHANGEABLE, .units = "ranks",
     .help = "process-grid rows per group (0 with grid_cols = 0: near-square)"},
    {FIELD(covar, grid_cols), .type = CFG_INT, .def = "0", .min = 0, .max = 1e6,
     .restart = CFG_CHANGEABLE, .units = "ranks",
     .help = "process-grid columns per group (rows x cols = ranks per group)"},
    {FIELD(covar, block_size), .type = CFG_INT, .def = "64", .min = 1, .max = 4096,
     .restart = CFG_CHANGEABLE, .units = "rows",
     .help = "ScaLAPACK block-cyclic block size (square blocks)"},
    {FIELD(covar, groups), .type = CFG_INT, .def = "1", .min = 1, .max = 1e6,
     .restart = CFG_CHANGEABLE, .units = "groups",
     .help = "rank groups running tasks side by side, each on its own grid (ranks % groups = 0)"},

    /* [clone] */
    {FIELD(clone, method), .type = CFG_ENUM, .def = "auto", .enums = "auto|cholesky|eigen",
     .restart = CFG_FIXED, .units = "",
     .help = "Gaussian-clone factor: Cholesky (pdpotrf), eigendecomposition, or auto (Cholesky, "
             "eigen when not positive definite)"},
    {FIELD(clone, jitter), .type = CFG_DOUBLE, .def = "1e-10", .min = 0, .max = 1,
     .restart = CFG_FIXED, .units = "1",
     .help = "diagonal jitter added before the Cholesky factorisation, relative to tr(Cov)/d"},
    {FIELD(clone, n_samples), .type = CFG_INT, .def = "0", .min = 0, .max = 1e9,
     .restart = CFG_CHANGEABLE, .units = "samples",
     .help = "covar: Gaussian- and mean-clone samples written per task (0: none)"},

    /* [gaussian] (gaussian-theory.md; the switches of its section 8) */
    {FIELD(gaussian, spectrum), .type = CFG_ENUM, .def = "power",
     .enums = "list|power|exponential|lognormal|file|empirical", .restart = CFG_FIXED, .units = "",
     .help = "covariance spectrum, d = mcm.d modes: list (gaussian.lambdas), power "
             "(scale k^-exponent), exponential (scale e^-exponent (k-1)), lognormal (quantiles "
             "scale e^(log_std z_k)), file (gaussian.file, gaussian.dataset), empirical (the "
             "sample covariance of data.file or of MCM samples, with its eigenvectors as U)"},
    {FIELD(gaussian, n_empirical), .type = CFG_INT, .def = "0", .min = 0, .max = 1e12,
     .restart = CFG_FIXED, .units = "samples",
     .help = "spectrum = empirical: samples of the covariance (0: every row of data.file, or 10 "
             "d MCM samples)"},
    {FIELD(gaussian, lambdas), .type = CFG_DOUBLE_LIST, .def = "none", .min = 0, .max = 1e12,
     .flags = CFG_OPEN_MIN | CFG_NONE_OK, .restart = CFG_FIXED, .units = "x units^2",
     .help = "spectrum = list: the variances lambda_k, one per dimension (len = mcm.d)"},
    {FIELD(gaussian, exponent), .type = CFG_DOUBLE, .def = "1", .min = 0, .max = 1e3,
     .restart = CFG_FIXED, .units = "1",
     .help = "power: lambda_k = scale k^-exponent; exponential: lambda_k = scale e^(-exponent "
             "(k - 1))"},
    {FIELD(gaussian, scale), .type = CFG_DOUBLE, .def = "1", .min = 0, .max = 1e12,
     .flags = CFG_OPEN_MIN, .restart = CFG_FIXED, .units = "x units^2",
     .help = "largest variance of the power and exponential laws, median of the lognormal"},
    {FIELD(gaussian, log_std), .type = CFG_DOUBLE, .def = "1", .min = 0, .max = 100,
     .restart = CFG_FIXED, .units = "1",
     .help = "lognormal: standard deviation of ln lambda (quantiles z_k of N(0, 1), descending)"},
    {FIELD(gaussian, file), .type = CFG_STRING, .def = "none", .restart = CFG_FIXED, .units = "",
     .help = "spectrum = file: HDF5 file holding the variances as a 1-D float or double array"},
    {FIELD(gaussian, dataset), .type = CFG_STRING, .def = "lambda", .restart = CFG_FIXED,
     .units = "", .help = "spectrum = file: path of the 1-D array of mcm.d variances in the file"},
    {FIELD(gaussian, basis), .type = CFG_ENUM, .def = "identity", .enums = "identity|random",
     .restart = CFG_FIXED, .units = "",
     .help = "data.source = gaussian: eigenbasis U of the covariance, identity or random "
             "orthogonal (distributed QR of a Gaussian matrix from the seed)"},
    {FIELD(gaussian, mean), .type = CFG_DOUBLE, .def = "0", .min = -1e6, .max = 1e6,
     .restart = CFG_FIXED, .units = "x units",
     .help = "data.source = gaussian: every coordinate of the data mean (the theory assumes 0)"},
    {FIELD(gaussian, sgd_init), .type = CFG_ENUM, .def = "aligned", .enums = "aligned|model",
     .restart = CFG_FIXED, .units = "",
     .help = "data.source = gaussian: aligned (W(0) = U diag(init_q) U^T, P(0) = U "
             "diag(init_q)^1/2) or the model's own initialisation"},
    {FIELD(gaussian, sgd_batch), .type = CFG_ENUM, .def = "minibatch", .enums = "minibatch|full",
     .restart = CFG_FIXED, .units = "",
     .help = "data.source = gaussian: minibatch (train.batch samples of (x0, xi) per step) or "
             "full (full-batch GD: the exact gradient of the loss averaged over the noise and "
             "over the n training samples, train.data = finite, or the population, online)"},
    {FIELD(gaussian, model), .type = CFG_ENUM, .def = "onelayer",
     .enums = "onelayer|twolayer|balanced|flowmatch", .restart = CFG_FIXED, .units = "",
     .help = "linear denoiser per noise level: onelayer W, twolayer W = P P^T, balanced W = P2 P1 "
             "(P1 = P2^T at start), flowmatch (one-layer velocity W_t, x_t = (1-t) z + t x1)"},
    {FIELD(gaussian, init_q), .type = CFG_DOUBLE_LIST, .def = "0.01", .min = 0, .max = 1e3,
     .restart = CFG_FIXED, .units = "1",
     .help = "aligned initialisation u_k^T W(0) u_k = Q_k: one value for every mode or one per "
             "mode"},
    {FIELD(gaussian, sigma_min), .type = CFG_DOUBLE, .def = "0.002", .min = 0, .max = 1e6,
     .flags = CFG_OPEN_MIN, .restart = CFG_FIXED, .units = "x units",
     .help = "sigma_0, where the PF-ODE stops (vp: sigma_t / alpha_t)"},
    {FIELD(gaussian, sigma_max), .type = CFG_DOUBLE, .def = "80", .min = 0, .max = 1e6,
     .flags = CFG_OPEN_MIN, .restart = CFG_FIXED, .units = "x units",
     .help = "sigma_T, where the PF-ODE starts (vp: sigma_t / alpha_t); above sigma_min"},
    {FIELD(gaussian, eta), .type = CFG_DOUBLE, .def = "1", .min = 0, .max = 1e6,
     .flags = CFG_OPEN_MIN, .restart = CFG_FIXED, .units = "1/(time x units^2)",
     .help = "learning rate of the gradient flow dW/dtau = -eta grad L_sigma (gd: the step)"},
    {FIELD(gaussian, tau_min), .type = CFG_DOUBLE, .def = "0.01", .min = 0, .max = 1e15,
     .flags = CFG_OPEN_MIN, .restart = CFG_CHANGEABLE, .units = "time",
     .help = "first training time of the log-spaced output grid (emergence is searched from 0)"},
    {FIELD(gaussian, tau_max), .type = CFG_DOUBLE, .def = "100000", .min = 0, .max = 1e15,
     .flags = CFG_OPEN_MIN, .restart = CFG_CHANGEABLE, .units = "time",
     .help = "last training time of the grid and of the emergence search; above tau_min"},
    {FIELD(gaussian, n_tau), .type = CFG_INT, .def = "100", .min = 2, .max = 100000,
     .restart = CFG_CHANGEABLE, .units = "times", .help = "points of the training-time grid"},
    {FIELD(gaussian, process), .type = CFG_ENUM, .def = "edm", .enums = "edm|vp",
     .restart = CFG_FIXED, .units = "",
     .help = "forward process: edm (x0 + sigma z, x_T ~ N(0, sigma_T^2)) or vp (alpha x0 + "
             "sigma z, alpha^2 + sigma^2 = 1, x_T ~ N(0, 1))"},
    {FIELD(gaussian, objective), .type = CFG_ENUM, .def = "x0", .enums = "x0|eps",
     .restart = CFG_FIXED, .units = "",
     .help = "what the linear map predicts: x0 (the denoiser) or eps (the noise)"},
    {FIELD(gaussian, precond), .type = CFG_ENUM, .def = "none", .enums = "none|edm",
     .restart = CFG_FIXED, .units = "",
     .help = "none: unweighted loss per level; edm: D = c_skip x + c_out V c_in x with weight "
             "w(sigma) and level density p(ln sigma) (edm process, x0 objective; in run one "
             "shared V, each sample's level drawn from p)"},
    {FIELD(gaussian, sigma_data), .type = CFG_DOUBLE, .def = "0.5", .min = 0, .max = 1e6,
     .flags = CFG_OPEN_MIN, .restart = CFG_FIXED, .units = "x units",
     .help = "precond = edm: sigma_d of c_skip, c_out, c_in and w"},
    {FIELD(gaussian, p_mean), .type = CFG_DOUBLE, .def = "-1.2", .min = -100, .max = 100,
     .restart = CFG_FIXED, .units = "1", .help = "precond = edm: mean of ln sigma"},
    {FIELD(gaussian, p_std), .type = CFG_DOUBLE, .def = "1.2", .min = 0, .max = 100,
     .flags = CFG_OPEN_MIN, .restart = CFG_FIXED, .units = "1",
     .help = "precond = edm: standard deviation of ln sigma"},
    {FIELD(gaussian, dynamics), .type = CFG_ENUM, .def = "flow", .enums = "flow|gd",
     .restart = CFG_FIXED, .units = "",
     .help = "flow: gradient flow (closed forms); gd: discrete full-batch steps of size eta, "
             "tau = steps (onelayer, flowmatch)"},
    {FIELD(gaussian, criterion), .type = CFG_ENUM, .def = "geometric",
     .enums = "geometric|harmonic|arithmetic", .restart = CFG_CHANGEABLE, .units = "",
     .help = "emergence: first tau at which a mode crosses this mean of its initial and final "
             "level"},
    {FIELD(gaussian, sigma_weight), .type = CFG_DOUBLE, .def = "1", .min = 0, .max = 1e6,
     .flags = CFG_OPEN_MIN, .restart = CFG_CHANGEABLE, .units = "x units",
     .help = "noise level of the reported weights and losses (flowmatch: t = 1 / (1 + "
             "sigma_weight))"},
    {FIELD(gaussian, level), .type = CFG_DOUBLE, .def = "0.95", .min = 0, .max = 1,
     .flags = CFG_OPEN_MIN | CFG_OPEN_MAX, .restart = CFG_CHANGEABLE, .units = "1",
     .help = "confidence level of the interval of the fitted exponent alpha"},
    {FIELD(gaussian, fit_lambda_min), .type = CFG_DOUBLE, .def = "0", .min = 0, .max = 1e12,
     .restart = CFG_CHANGEABLE, .units = "x units^2",
     .help = "modes with a smaller variance are left out of the alpha fit"},
};
const int cfg_schema_n = (int)(sizeof cfg_schema / sizeof cfg_schema[0]);

_Static_assert(sizeof cfg_schema / sizeof cfg_schema[0] <= CFG_MAX_KEYS,
               "cfg_resolved.origin has room for CFG_MAX_KEYS keys");
void cfg_list_sections(char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < cfg_schema_n && used < len; i++)
        if (i == 0 || strcmp(cfg_schema[i].section, cfg_schema[i - 1].section) != 0)
            used += (size_t)snprintf(buf + used, len - used, "%s[%s]", i ? " " : "",
                                     cfg_schema[i].section);
}

static void list_keys(const char *section, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < cfg_schema_n && used < len; i++)
        if (strcmp(cfg_schema[i].section, section) == 0)
            used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
                                     cfg_schema[i].key);
}

/* "unknown key (did you mean 'mcm.beta_u'?), expected one of the keys of [mcm]: ..." */
void cfg_unknown_key_text(const char *section, const char *key, char *buf, size_t len)
{
    char keys[CFG_ERR_LEN / 2];
    int s = cfg_suggest_key(section, key);
    size_t used = (size_t)snprintf(buf, len, "unknown key");
    if (s >= 0)
        used += (size_t)snprintf(buf + used, len - used, " (did you mean '%s.%s'?)",
                                 cfg_schema[s].section, cfg_schema[s].key);
    if (used >= len) return;
    if (cfg_section_known(section)) {
        list_keys(section, keys, sizeof keys);
        snprintf(buf + used, len - used, ", expected one of the keys of [%s]: %s", section, keys);
    } else {
        cfg_list_sections(keys, sizeof keys);
        snprintf(buf + used, len - used, ", expected section.key with a section of %s", keys);
    }
}

/* Where key i came from, as an error-message prefix: "FILE:LINE", "command line" or "FILE". */
const char *cfg_where(const cfg_resolved *c, int i)
{
    return strcmp(c->origin[i], "default") == 0 ? c->file : c->origin[i];
}

int cfg_find(const char *section, const char *key)
{
    for (int i = 0; i < cfg_schema_n; i++)
        if (strcmp(cfg_schema[i].section, section) == 0 && strcmp(cfg_schema[i].key, key) == 0)
            return i;
    return -1;
}

int cfg_section_known(const char *section)
{
    for (int i = 0; i < cfg_schema_n; i++)
        if (strcmp(cfg_schema[i].section, section) == 0) return 1;
    return 0;
}

int cfg_enum_is(int i, int idx, const char *name)
{
    char buf[64];
    return strcmp(cfg_enum_name(i, idx, buf, sizeof buf), name) == 0;
}

const char *cfg_enum_name(int i, int idx, char *buf, size_t len)
{
    const char *p = cfg_schema[i].enums;
    for (int k = 0; p && k < idx; k++) {
        p = strchr(p, '|');
        if (p) p++;
    }
    if (!p || idx < 0) {
        snprintf(buf, len, "?");
        return buf;
    }
    size_t n = strcspn(p, "|");
    snprintf(buf, len, "%.*s", (int)n, p);
    return buf;
}

/* Optimal-string-alignment distance, so that a swapped pair of letters counts as one typo.
 * Only distances up to max matter to the callers: beyond, max + 1 comes back without the
 * quadratic table (the lengths alone tell), so a long mistyped key costs no more than a short
 * one. */
int cfg_distance(const char *a, const char *b, int max)
{
    enum { W = 128 };
    size_t na = strlen(a), nb = strlen(b);
    if (na >= W || nb >= W || (na > nb ? na - nb : nb - na) > (size_t)max) return max + 1;
    int d[3][W + 1]; /* rows i-2, i-1, i (mod 3) */
    for (size_t j = 0; j <= nb; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= na; i++) {
        int *cur = d[i % 3], *prev = d[(i - 1) % 3], *pp = d[(i + 1) % 3];
        cur[0] = (int)i;
        for (size_t j = 1; j <= nb; j++) {
            int cost = a[i - 1] != b[j - 1];
            int v = prev[j] + 1;
            if (cur[j - 1] + 1 < v) v = cur[j - 1] + 1;
            if (prev[j - 1] + cost < v) v = prev[j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && pp[j - 2] + 1 < v)
                v = pp[j - 2] + 1;
            cur[j] = v;
        }
    }
    return d[na % 3][nb] <= max ? d[na % 3][nb] : max + 1;
}

/* Typos worth a suggestion: about one in three letters wrong, at least one. */
static int typos_allowed(const char *typed)
{
    int len = (int)strlen(typed); /* a key or section name, below 300 bytes */
    return len / 3 > 1 ? len / 3 : 1;
}

int cfg_suggest_key(const char *section, const char *key)
{
    for (int i = 0; i < cfg_schema_n; i++) /* the right key in the wrong section */
        if (strcmp(cfg_schema[i].key, key) == 0) return i;
    char typed[300], full[300];
    snprintf(typed, sizeof typed, "%s.%s", section, key);
    int best = -1, best_d = 1 << 30;
    for (int i = 0; i < cfg_schema_n; i++) {
        snprintf(full, sizeof full, "%s.%s", cfg_schema[i].section, cfg_schema[i].key);
        int dist = cfg_distance(typed, full, typos_allowed(key));
        if (dist < best_d) best = i, best_d = dist;
    }
    return best >= 0 && best_d <= typos_allowed(key) ? best : -1;
}

const char *cfg_suggest_section(const char *section)
{
    const char *best = NULL;
    int best_d = 1 << 30;
    for (int i = 0; i < cfg_schema_n; i++) {
        int dist = cfg_distance(section, cfg_schema[i].section, typos_allowed(section));
        if (dist < best_d) best = cfg_schema[i].section, best_d = dist;
    }
    return best && best_d <= typos_allowed(section) ? best : NULL;
}
