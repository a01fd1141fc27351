/* gtheory — the exact learning theory of linear denoisers on zero-mean Gaussian data, per
 * eigenmode of the covariance (../shared/science/gaussian-theory.md; section numbers below are
 * that document's). Pure C + GSL: no configuration, MPI or HDF5 (spec/spec_gauss.h builds the
 * inputs, cli/cmd_gaussian.c writes the outputs).
 *
 * Every mode k of variance lambda_k trains one scalar v at each noise level (aligned
 * initialisation, one independent denoiser per level, full-batch gradient flow, §2.1). Its law
 * (gt_law) is one of two ODEs in the training time tau,
 *   linear   (one layer, §2.2):                 dv/dtau = -2 eta (a v - b)
 *   logistic (W = P P^T, §2.5; balanced P2 P1, §2.6): dv/dtau = -k eta v (a v - b), k = 8 or 4,
 * with the regression moments a = E[x^2], b = E[y x] of the mode at that level, and the
 * denoiser's weight along the mode psi = c0 + c1 v. The process (EDM/VE or VP, §1.1), the
 * objective (x0- or eps-prediction, §2.8) and EDM preconditioning (§2.3) only change
 * (a, b, c0, c1); VP levels are given as the EDM-equivalent sigma~ = sigma_t / alpha_t
 * (§1.1), so one PF-ODE (§3.1) serves both. Flow matching (§2.8, §3.5) has its own path
 * x_t = (1 - t) z + t x1 with the linear law at each t in [0, 1].
 *
 * Generated variances (§3): closed forms of §3.2 (one layer), §3.3 (W = P P^T, and the
 * balanced P2 P1 with half its rate) and §3.5 (flow matching) where they apply, otherwise the
 * quadrature of §3.1 in ln sigma for any psi. tau = INFINITY gives the converged limits. */
#ifndef MCMSIM_GTHEORY_H
#define MCMSIM_GTHEORY_H

/* Enum orders match the schema strings of [gaussian] (spec_gauss.c asserts it). */
typedef enum { GT_ONELAYER, GT_TWOLAYER, GT_BALANCED, GT_FLOWMATCH } gt_model;
typedef enum { GT_EDM, GT_VP } gt_process;
typedef enum { GT_X0, GT_EPS } gt_objective;
typedef enum { GT_PRECOND_NONE, GT_PRECOND_EDM } gt_precond;
typedef enum { GT_FLOW, GT_GD } gt_dynamics;
typedef enum { GT_GEOMETRIC, GT_HARMONIC, GT_ARITHMETIC } gt_criterion;
typedef enum {
    GT_SPEC_LIST,
    GT_SPEC_POWER,
    GT_SPEC_EXPONENTIAL,
    GT_SPEC_LOGNORMAL,
    GT_SPEC_FILE,
    GT_SPEC_EMPIRICAL /* the sample covariance of data: computed by the caller (cli) */
} gt_spectrum;

typedef struct {
    gt_model model;
    gt_process process;
    gt_objective objective;
    gt_precond precond;
    gt_dynamics dynamics; /* GT_GD: discrete steps of size eta, tau = steps x eta (§2.2) */
    double eta;
    double sigma_min, sigma_max; /* sigma_0, sigma_T of the PF-ODE (VP: sigma~ = sigma/alpha) */
    double sigma_data, p_mean, p_std; /* precond = edm: sigma_d and the law of ln sigma (§1.2) */
} gt_setup;

typedef enum { GT_LAW_LINEAR, GT_LAW_LOGISTIC } gt_law_kind;
typedef struct {
    gt_law_kind kind;
    double k;      /* rate prefactor: 2 (linear), 8 (P P^T), 4 (balanced P2 P1) */
    double a, b;   /* moments of the trained scalar (times the loss weight with precond) */
    double c0, c1; /* psi = c0 + c1 v */
    double q;      /* v(0) */
    double eta;
    int gd; /* discrete gradient descent (linear law only) */
} gt_law;

/* ---- spectra (gtheory.c) ---- */
/* lambda_k, k = 1..d, of a law: power scale k^-exponent, exponential scale e^-exponent (k-1),
 * lognormal: the d quantiles scale exp(log_std z_k), z_k = Phi^-1(1 - (k - 1/2)/d), descending
 * (deterministic, no random draw). */
void gt_spectrum_law(gt_spectrum kind, int d, double exponent, double scale, double log_std,
                     double *lambda);
/* Index of the first value that is not a positive finite variance, -1 when all are. */
int gt_spectrum_bad(int n, const double *lambda);

/* ---- per-mode weights (gtheory.c) ---- */
/* The law of mode lambda with initial value q at noise level x (sigma~ for diffusion, the time
 * t in [0, 1] for flow matching). */
gt_law gt_law_at(const gt_setup *s, double lambda, double q, double x);
/* v(tau) in closed form (tau = INFINITY: the limit), and the right-hand side dv/dtau. */
double gt_law_value(const gt_law *l, double tau);
double gt_law_rhs(const gt_law *l, double v);
/* The denoiser's weight psi_k(x, tau) = c0 + c1 v(tau) along the mode. */
double gt_psi(const gt_setup *s, double lambda, double q, double x, double tau);
/* Per-mode loss at level x: x0-prediction MSE of the denoiser in EDM-equivalent variables,
 * (lambda + sigma~^2) psi^2 - 2 lambda psi + lambda (flow matching: the velocity MSE
 * a v^2 - 2 b v + lambda + 1); its minimum over the weight. */
double gt_mode_loss(const gt_setup *s, double lambda, double q, double x, double tau);
double gt_mode_loss_min(const gt_setup *s, double lambda, double x);
/* Largest stable step of discrete GD on the linear law over the levels used: 1 / max a
 * (EDM x0: 1 / (sigma_max^2 + lambda_max), §2.2). */
double gt_gd_eta_max(const gt_setup *s, double lambda_max);
/* The criterion's mean of an initial and a final level (§3.4). */
double gt_criterion_mean(gt_criterion c, double initial, double final);
/* First tau at which v(tau) at level x crosses the criterion's mean of q and v(inf), by the
 * law's closed-form inverse (W = P P^T, harmonic: ln 2 / (8 eta lambda) exactly, §2.5); NaN
 * when v does not move or never reaches it. */
double gt_weight_emergence(const gt_setup *s, double lambda, double q, double x, gt_criterion c);

/* EDM preconditioning at level sigma (§1.2): c_skip, k = c_out c_in, c_in and the loss
 * weight w (w k^2 = 1 / (sigma^2 + sigma_d^2)). */
void gt_edm_coeffs(double sigma_data, double sigma, double *c_skip, double *k, double *c_in,
                   double *w);
/* One shared V for every level (SGD with levels sampled from p(ln sigma), EDM weighting and
 * preconditioning, x0 objective, EDM process): the law of v = u_k^T V u_k is the model's (linear
 * or logistic) with a = E_p[w k^2 (lambda + sigma^2)], b = E_p[w k (lambda - c_skip (lambda +
 * sigma^2))], c0 = 0, c1 = 1; the denoiser's weight at sigma is psi = c_skip + k v
 * (gt_shared_psi). Unlike gt_law_at's precond = edm (an independent V_sigma per level, each with
 * its density p), the levels share one map. */
gt_law gt_shared_law(const gt_setup *s, double lambda, double q);
double gt_shared_psi(const gt_setup *s, double v, double sigma);

/* ---- generated variances and KL (gtheory_gen.c) ---- */
/* 1 when a closed form (§3.2, §3.3, §3.5) exists for this setup: gradient flow, and EDM
 * x0-prediction without preconditioning (or flow matching). */
int gt_has_closed_form(const gt_setup *s);
/* The generated variance of mode lambda after training time tau (INFINITY: converged): closed
 * form when it exists, quadrature otherwise; and each method by itself (closed: NaN when none
 * applies). */
double gt_gen_var(const gt_setup *s, double lambda, double q, double tau);
double gt_gen_var_closed(const gt_setup *s, double lambda, double q, double tau);
double gt_gen_var_quad(const gt_setup *s, double lambda, double q, double tau);
/* Variance of the PF-ODE's start: sigma_T^2 (EDM), 1 + sigma~_T^2 (VP, x_T ~ N(0, 1)), 1 (flow
 * matching). */
double gt_start_var(const gt_setup *s);
/* KL divergences (nats) of the aligned zero-mean Gaussians, both directions (§3.6). */
void gt_kl(int n, const double *lambda, const double *gen, double *kl_gen_data,
           double *kl_data_gen);
/* Ei(-x) for x >= 0 (-inf at 0, 0 beyond underflow), without GSL's underflow error. */
double gt_ei_neg(double x);

/* ---- emergence and the exponent alpha (gtheory_emerge.c) ---- */
typedef struct {
    double initial, final, target; /* generated variance at tau = 0, tau -> inf, the mean */
    double tau;                    /* first crossing of target, NaN: none in [0, tau_max] */
    int branch;                    /* +1 increasing (final > initial), -1 decreasing, 0 flat */
} gt_emergence;
/* The emergence of the generated variance of one mode (§3.4): scans ln tau on [tau_min,
 * tau_max] with n_scan points (and [0, tau_min]), then Brent on the first bracket. */
void gt_emerge(const gt_setup *s, double lambda, double q, gt_criterion c, double tau_min,
               double tau_max, int n_scan, gt_emergence *out);

typedef struct {
    double alpha, lo, hi; /* tau* ~ lambda^-alpha (NaN: n < 2) and its interval (NaN: n < 3) */
    int n;                /* modes in the fit */
} gt_fit;
enum { GT_FIT_ALL, GT_FIT_INCREASING, GT_FIT_DECREASING, GT_NFIT };
/* Least-squares fit of ln tau = c - alpha ln lambda over the modes with use[k] != 0 and a
 * finite positive tau; interval from Student's t at the given level (the scatter is the
 * departure from a pure power law, not noise). */
void gt_fit_alpha(int n, const double *lambda, const double *tau, const int *use, double level,
                  gt_fit *out);
/* The fit over all modes with lambda >= lambda_min and over each branch. */
void gt_fit_branches(int n, const double *lambda, const gt_emergence *e, double lambda_min,
                     double level, gt_fit out[GT_NFIT]);

#endif
