/* act — activation functions of the denoisers and their derivatives
 * (shared/science/mcm-model.md §2.4 and §3).
 *
 * sigma(h) = scale * f(h) for f = tanh, erf, relu, linear (identity) and the probabilists'
 * Hermite polynomial He_k; the matched activations of the Bayes denoiser at time t are
 *   sigma*_u(h) = gamma_u(t) h,
 *   sigma*_v(h) = f_v(h) = b sigma_t^2 / (1 - a_t^2) [tanh(a_t h / (1 - a_t^2)) - a_t h],
 * with a_t = alpha_t b, b^2 = beta_v / (1 + beta_v), gamma_u = alpha beta_u sigma^2/(1 + beta_u
 * alpha^2) (their scale is fixed by the theory; `scale` multiplies them too, 1 for the exact form).
 */
#ifndef MCMSIM_ACT_H
#define MCMSIM_ACT_H

/* Order matches the enum strings of the config schema. */
typedef enum {
    ACT_TANH,
    ACT_ERF,
    ACT_RELU,
    ACT_LINEAR,
    ACT_HERMITE,
    ACT_MATCHED_U,
    ACT_MATCHED_V,
} act_kind;

typedef struct {
    act_kind kind;
    double scale;
    int k;             /* Hermite order */
    double c1, c2, c3; /* precomputed constants of the matched forms */
} act_fn;

/* alpha, sigma: the training time's coefficients; beta_u, beta_v: the model's strengths (only
 * used by the matched activations). */
act_fn act_make(act_kind kind, double scale, int k, double alpha, double sigma, double beta_u,
                double beta_v);
double act_f(const act_fn *a, double h);
double act_df(const act_fn *a, double h);
/* f[i] = sigma(h[i]), df[i] = sigma'(h[i]) (df may be NULL). */
void act_eval(const act_fn *a, int n, const double *h, double *f, double *df);

#endif
