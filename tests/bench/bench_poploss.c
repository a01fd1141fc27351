/* bench_poploss — time of one exact population-loss evaluation (core/poploss.h): loss, err_u and
 * err_v of one law, for K = 1, 2, 4 neurons, several activations and latent laws, and of
 * building the frame from d-dimensional vectors (poploss_net_from_model, d = 1000).
 *
 * Weights mix the spikes with the random initial rows (as after some training), diffusion time
 * t = 0.5 (OU). Each evaluation is repeated for about 0.2 s; the best of 3 runs is reported.
 * Single core, no MPI; run with OPENBLAS_NUM_THREADS=1 (make bench does). */
#include "core/mcm.h"
#include "core/model.h"
#include "core/poploss.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Row k = 0.5 u (k even) or 0.5 v (k odd) + its random direction, renormalised (neuron
 * family); V columns 0.3 w_k, bias 0.2 m (two-layer family). */
static void set_weights(model *net, const mcm_model *mod)
{
    int d = net->s.d, K = net->s.K;
    for (int k = 0; k < K; k++) {
        double *w = net->theta + (size_t)k * d, n = 0.0;
        const double *s = k % 2 ? mod->v : mod->u;
        for (int i = 0; i < d; i++)
            w[i] += 0.5 * s[i] + 0.2 * mod->m[i], n += w[i] * w[i];
        for (int i = 0; i < d; i++)
            w[i] /= sqrt(n);
        if (net->s.family == MODEL_TWOLAYER)
            for (int i = 0; i < d; i++)
                net->theta[(size_t)(K + k) * d + i] = 0.3 * w[i];
    }
    if (net->s.family == MODEL_TWOLAYER && net->s.bias)
        for (int i = 0; i < d; i++)
            net->theta[(size_t)2 * K * d + i] = 0.2 * mod->m[i];
}

typedef struct {
    const char *name;
    model_family fam;
    act_kind act;
    mcm_coupling cpl;
    mcm_mixture mix;
} bench_case;

static double bench_eval(const bench_case *bc, int K, int d, poploss_law law, double *evals,
                         double *t_frame)
{
    mcm_params p = {.d = d, .beta_m = 1.0, .beta_u = 5.0, .beta_v = 5.0, .skew_q = 0.3};
    p.coupling = bc->cpl, p.mixture = bc->mix, p.spikes = MCM_SPIKES_QR;
    mcm_model mod;
    mcm_init(&mod, &p, 1, 0);
    double al = exp(-0.5), sg = sqrt(-expm1(-1.0));
    model_spec s = {
        .family = bc->fam, .d = d, .K = K, .act = act_make(bc->act, 1.0, 0, 0, 0, 0, 0)};
    s.skip = SKIP_FIXED, s.c0 = al, s.a0 = 1.0, s.bias = 1;
    model net;
    model_init(&net, &s, 1, 0, 1);
    set_weights(&net, &mod);
    poploss_net pn;
    double t0 = now();
    poploss_net_from_model(&pn, &net, 0.0, mod.m, mod.u, mod.v);
    *t_frame = now() - t0;
    poploss *pl = poploss_new(&p, 1.0);
    poploss_val v;
    double best = INFINITY;
    for (int run = 0; run < 3; run++) {
        long n = 0;
        long e0 = poploss_evals(pl);
        t0 = now();
        double t = t0;
        while (t - t0 < 0.2) {
            poploss_eval(pl, &pn, law, al, sg, &v);
            n++;
            t = now();
        }
        *evals = (double)(poploss_evals(pl) - e0) / n;
        if ((t - t0) / n < best) best = (t - t0) / n;
    }
    poploss_free(pl);
    poploss_net_free(&pn);
    model_free(&net);
    mcm_free(&mod);
    return best;
}

int main(void)
{
    static const bench_case cases[] = {
        {"(B) tanh, independent", MODEL_NEURON, ACT_TANH, MCM_COUPLE_INDEPENDENT, MCM_MIX_NONE},
        {"(B) tanh, sign coupling", MODEL_NEURON, ACT_TANH, MCM_COUPLE_SIGN, MCM_MIX_NONE},
        {"(B) tanh, threshold, labelled", MODEL_NEURON, ACT_TANH, MCM_COUPLE_THRESHOLD,
         MCM_MIX_LABELLED},
        {"(B) erf, independent", MODEL_NEURON, ACT_ERF, MCM_COUPLE_INDEPENDENT, MCM_MIX_NONE},
        {"(C) relu, independent", MODEL_TWOLAYER, ACT_RELU, MCM_COUPLE_INDEPENDENT, MCM_MIX_NONE},
        {"(C) relu, sign coupling", MODEL_TWOLAYER, ACT_RELU, MCM_COUPLE_SIGN, MCM_MIX_NONE},
        {"(C) tanh, independent", MODEL_TWOLAYER, ACT_TANH, MCM_COUPLE_INDEPENDENT, MCM_MIX_NONE},
    };
    static const char *const law_name[3] = {"data", "gauss", "mean"};
    printf("bench_poploss: one exact evaluation (loss, err_u, err_v), d = 1000, t = 0.5\n");
    printf("%-32s %-6s %3s %12s %14s %14s\n", "case", "law", "K", "us/eval", "evals/eval",
           "frame (us)");
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        for (int law = 0; law < 3; law += (c == 0 ? 1 : 3))
            for (int K = 1; K <= 4; K *= 2) {
                double ev, tf, t = bench_eval(&cases[c], K, 1000, (poploss_law)law, &ev, &tf);
                printf("%-32s %-6s %3d %12.1f %14.0f %14.1f\n", cases[c].name, law_name[law], K,
                       1e6 * t, ev, 1e6 * tf);
            }
    return 0;
}
