/* observe — what a training run records at log-spaced steps (mcm-model.md §5): overlaps of
 * every first-layer row with m, u, v, the largest |overlap| per spike, the subspace overlap with
 * span(u, v), row norms, the training loss, and test losses (x0 MSE per dimension at the task's
 * diffusion time) on a fixed evaluation set of data and of its Gaussian and mean clones, the
 * excess over the exact MMSE and the errors along u and v.
 *
 * The evaluation set is drawn once per task: data samples at indices 2^62 + i of the task's
 * streams (disjoint from any training index), clones from RNG_EVAL at index i, all noised with
 * the same xi, so clone and data losses differ only through the data.
 *
 * With a user data set (engine_data) the data samples are the held-out rows (sample i is test
 * row i mod n_test), the clones those of the training rows' mean and covariance (clone.h), the
 * MMSE and excess are NaN, and the overlaps and errors along u, v are NaN unless spikes were
 * given (data.spikes).
 *
 * With Gaussian data (engine_data.gauss) the data samples are sample 2^62 + i of the task's
 * RNG_GAUSS stream, the Gaussian clone is the same law (RNG_EVAL at i), the mean clone
 * N(mu, sbar I) (RNG_EVAL at i), the MMSE is exact (gdata_mmse), and every observation also
 * records the denoiser in the eigenbasis (gobs).
 *
 * With snapshots (spec_observe.snapshots) every observation also keeps a copy of the model's
 * parameter vector, so the trained denoiser at each observed step can be rebuilt later
 * (mcmsim generate, score = model). */
#ifndef MCMSIM_OBSERVE_H
#define MCMSIM_OBSERVE_H

#include "engine/engine.h"

#define OBS_EVAL_BASE (1ULL << 62)
#define OBS_EVAL_CHUNK 64
enum { OBS_M, OBS_U, OBS_V };
/* Scalar series per observation, in this order. */
enum {
    OBS_STEP,
    OBS_SAMPLES,
    OBS_TAU,
    OBS_LOSS_TRAIN,
    OBS_LOSS_DATA,
    OBS_LOSS_GAUSS,
    OBS_LOSS_MEAN,
    OBS_EXCESS,
    OBS_ERR_U,
    OBS_ERR_V,
    OBS_MAX_M,
    OBS_MAX_U,
    OBS_MAX_V,
    OBS_SUBSPACE,
    OBS_GRAM_MIN,
    OBS_NSCALAR
};
extern const char *const observe_scalar_names[OBS_NSCALAR];
extern const char *const observe_scalar_units[OBS_NSCALAR];
extern const char *const observe_scalar_desc[OBS_NSCALAR];

/* First crossings of thresholds by the watched overlaps (max |m_m|, |m_u|, |m_v| over rows, the
 * subspace overlap), checked every `every` steps: the recorded step is the first checked step at
 * or after the crossing, so the resolution is `every` steps. */
#define OBS_MAX_WATCH SPEC_NWATCH
typedef struct {
    int n;                    /* watched quantities */
    int which[OBS_MAX_WATCH]; /* OBS_MAX_M, OBS_MAX_U, OBS_MAX_V or OBS_SUBSPACE */
    int nthr;
    double thr[SPEC_LIST_MAX];
    long every;
    long *first;   /* [n][nthr] first step at or above the threshold, -1: not yet */
    int remaining; /* (quantity, threshold) pairs not crossed yet */
} obs_crossing;

typedef struct {
    int n_obs, n_points, n_rows, n_eval, d;
    int n_slots; /* observations the arrays hold (observe.n_obs; n_obs <= n_slots) */
    obs_crossing cr;
    long *at;                  /* [n_obs] the steps observed (steps taken), ascending */
    double *scalar;            /* [n_obs][OBS_NSCALAR], NaN where not observed */
    double *overlap;           /* [n_obs][n_rows][3] signed overlaps w_k.(m, u, v) / |w_k| */
    double *norm;              /* [n_obs][n_rows] |w_k| */
    double alpha, sigma, mmse; /* evaluation time; exact MMSE per dimension (NaN if none) */
    double *x0[3], *xt[3];     /* evaluation sets: data, Gaussian clone, mean clone */
    double *out;               /* [OBS_EVAL_CHUNK][d] */
    double *zero;              /* [d] zeros: the projection direction when a spike is absent */
    double *scratch;           /* [n_rows][4] overlaps and norms of a crossing check */
    poploss *pl;               /* exact population test losses, NULL: sampled on the sets */
    /* Gaussian data: [n_obs][n_gobs] the eigenbasis view of the denoiser at the task's level
     * (gdata_observe; n_gobs = GDATA_NOBS(d), followed by U^T W U [d][d] when the start is not
     * aligned), NaN where not observed; NULL, 0 otherwise. */
    int n_gobs;
    double *gobs;
    /* observe.snapshots: [n_obs][n_snap] the parameters theta at every observation (the direct
     * engine's model, n_snap = np), NaN where not observed; NULL, 0 otherwise. */
    size_t n_snap;
    double *snap;
    double *gW, *gwork; /* [d][d] and [2][d][d] scratch of gdata_observe */
} observer;

/* Log-spaced steps 0, 1, ..., steps (n_obs values before removing duplicates). */
int observe_schedule(long steps, int n_obs, long *at);
/* The observers of engine e's task: s->n_obs observations, s->n_eval evaluation samples, the
 * crossings of s->crossing (none when the model has no first-layer rows). */
void observe_init(observer *o, engine *e, const spec_observe *s);
void observe_free(observer *o);
/* Records observation n_points when e->step equals its scheduled step; returns 1 then. */
int observe_maybe(observer *o, engine *e);
/* Records an observation now (the last one of a task stopped early). */
void observe_now(observer *o, engine *e);
/* Checks the watched overlaps when e->step is a multiple of the cadence (or force); returns the
 * number of (quantity, threshold) pairs still uncrossed. */
int observe_crossing(observer *o, const engine *e, int force);
/* Names of the watchable quantities, by OBS_* index ("m", "u", "v", "subspace"). */
const char *observe_watch_name(int which);
/* The OBS_* index of a watched quantity of a spec (OBS_MAX_M for SPEC_WATCH_M, ...). */
int observe_watch_index(spec_watch w);

#endif
