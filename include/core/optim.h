/* optim — optimisers on a flat parameter vector (mcm-model.md §4): SGD with eta = delta/d^a,
 * spherical SGD (gradient projected on the tangent space of each unit-sphere row, then the row
 * renormalised), optional weight decay, Adam (beta1, beta2, eps), and learning-rate schedules. */
#ifndef MCMSIM_OPTIM_H
#define MCMSIM_OPTIM_H

#include <stddef.h>

typedef enum { OPT_SGD, OPT_SPHERICAL, OPT_ADAM } optim_kind;    /* order = config enum */
typedef enum { LR_CONSTANT, LR_STEP, LR_COSINE } optim_schedule; /* order = config enum */

typedef struct {
    optim_kind kind;
    double lr;           /* base learning rate eta (already delta / d^a) */
    double weight_decay; /* decoupled: theta -= eta wd theta (not on sphere rows) */
    double beta1, beta2, eps;
    optim_schedule schedule;
    long step_every; /* LR_STEP: multiply by step_factor every step_every steps */
    double step_factor;
    long total_steps; /* LR_COSINE: eta (1 + cos(pi s / total)) / 2 */
} optim_spec;

/* The rows kept on the unit sphere: n rows of length len at theta[off + k stride]. */
typedef struct {
    int n;
    size_t off, stride, len;
} optim_sphere;

typedef struct {
    optim_spec s;
    size_t np;
    double *m1, *m2; /* Adam moments */
    long t;          /* steps taken */
} optim;

void optim_init(optim *o, const optim_spec *s, size_t np);
void optim_free(optim *o);
/* Learning rate at step `step` (0-based) under the schedule. */
double optim_lr(const optim_spec *s, long step);
/* One update of theta from grad. For OPT_SPHERICAL the sphere rows move on the sphere; the other
 * parameters take plain SGD steps. Adam also renormalises sphere rows after its step. */
void optim_step(optim *o, double *theta, const double *grad, const optim_sphere *sph);
/* The same with sums[3 k ..] = (|w|^2, w . g, |g|^2) of sphere row k already formed (by the
 * pass that wrote the gradient): OPT_SPHERICAL then skips its reduction pass; the other kinds
 * ignore sums. NULL: optim_step. */
void optim_step_sums(optim *o, double *theta, const double *grad, const optim_sphere *sph,
                     const double *sums);

#endif
