/* run_gauss — `mcmsim run` on Gaussian data (data.source = gaussian): the configuration rules
 * of that mode, the data N(mean, U Lambda U^T) built before any output exists (spectrum of
 * [gaussian], basis identity or random by distributed QR), and the /gaussian group of the
 * output: the exact theory of the same configuration (/gaussian/theory, cli/gauss_theory.h)
 * next to what SGD did (/gaussian/sgd), both [time][mode] (src/cli/run_gauss.c).
 *
 * Every task trains one independent linear denoiser at its level sigma = diffusion.t (schedule
 * ve: x_t = x0 + sigma xi, the EDM form of the theory); a [sweep] t list gives one W per level.
 * SGD time is tau = steps x eta with eta = optim.delta / d^lr_power: the mean SGD step
 * W -= eta grad L_sigma follows the gradient flow dW/dtau = -grad L_sigma (the loss is
 * |D - x0|^2 summed over coordinates, no 1/2, gaussian-theory.md §2.1), so the theory runs
 * with unit rate (its eta = 1) on that clock. */
#ifndef MCMSIM_RUN_GAUSS_H
#define MCMSIM_RUN_GAUSS_H

#include "base/cfg.h"
#include "cli/gauss_theory.h"
#include "core/gdata.h"
#include "engine/engine.h"
#include "io/ckpt.h"
#include "io/h5out.h"
#include "spec/task.h"

typedef struct {
    engine_data ed; /* what the engines see: ed.gauss = &g */
    gdata g;
    spec_gauss sg; /* the spectrum and the theory setup (eta = 1 on the clock steps x eta) */
    double eta;
} run_gauss;

/* Collective (exit 2 with every problem, key and what is expected): the model, loss, process,
 * optimiser and sweeps the comparison with the theory needs. */
void run_gauss_check_cfg(const cfg_resolved *cr);
/* Bytes per rank of the data and the eigenbasis observers (for --dry-run). */
double run_gauss_bytes(const cfg_resolved *cr);
/* Collective: the spectrum (a file read, bad variances exit 2), the basis and the data. */
void run_gauss_load(run_gauss *rg, const cfg_resolved *cr);
/* Collective: /gaussian (theory) and /gaussian/sgd from every rank's records; rank 0 prints the
 * fitted exponents. */
void run_gauss_write(h5out_file *f, const run_gauss *rg, const cfg_resolved *cr,
                     const task_list *tl, const ckpt_record *rec, int nrec);
/* Collective, called by run_gauss_write: with train.data = finite, /gaussian/sgd/finite (the
 * training set of every replica, the finite-set optimum and full-batch GD trajectory in the
 * population eigenbasis); online mini-batch SGD of W x, /gaussian/sgd/stationary_var. L levels
 * sigma[] ascending, nt observations at steps step[] (src/cli/run_gauss_fin.c). */
void run_gauss_write_data(h5out_file *f, const run_gauss *rg, const cfg_resolved *cr, int L,
                          const double *sigma, int nt, const double *step);
void run_gauss_free(run_gauss *rg);

#endif
