/* reduced_step — one SGD step of the reduced engine in the extended frame (the r frame
 * coordinates followed by the 2B directions of the samples' perpendicular parts), then the
 * re-compression of the parameters to r coordinates. See include/core/reduced.h and
 * src/core/reduced.md ("One step").
 *
 * The arithmetic mirrors the direct engine line by line (engine.c, model_neuron.c,
 * model_twolayer.c, loss.c, optim.c), with every d-vector replaced by its N = r + 2B coordinates:
 * the same formulas give the same numbers up to rounding, which tests/unit/test_reduced.c checks
 * against the direct engine on shared randomness. Nothing is allocated per step. */
#include "reduced_internal.h"

#include "base/log.h"

#include <math.h>
#include <string.h>

/* Workspace of one step (r->ws), sized by reduced_ws_size. */
typedef struct {
    double *x0, *xi, *xt, *g;  /* [N] the current sample */
    double *h, *f, *df, *gamp; /* [K] */
    double *ww, *rww, *scale;  /* [P] |w_p|^2 and 1 / |w_p|^2 before the step, row scale after */
    double *grad, *Xn;         /* [P][N] gradient, new parameters */
} step_ws;

size_t reduced_ws_size(const reduced *r)
{
    return 4 * (size_t)r->N + 4 * (size_t)r->K + (size_t)r->P * (2 * (size_t)r->N + 3);
}

static step_ws ws_of(const reduced *r)
{
    size_t N = (size_t)r->N, K = (size_t)r->K;
    step_ws w;
    w.x0 = r->ws;
    w.xi = w.x0 + N;
    w.xt = w.xi + N;
    w.g = w.xt + N;
    w.h = w.g + N;
    w.f = w.h + K;
    w.df = w.f + K;
    w.gamp = w.df + K;
    w.ww = w.gamp + K;
    w.rww = w.ww + r->P;
    w.scale = w.rww + r->P;
    w.grad = w.scale + r->P;
    w.Xn = w.grad + (size_t)r->P * N;
    return w;
}

/* The step's dimensions: K neurons, P parameter vectors, frame rr, extended frame N, batch B.
 * Passed as arguments to always-inlined functions, so that reduced_step_with's specialisations
 * for the common small cases see them as constants and unroll every loop. */
typedef struct {
    int K, P, rr, N, B;
} dims;

#define RS_INLINE static inline __attribute__((always_inline))

/* Two partial sums: the step is a chain of short dots, so their latency (not their throughput)
 * sets its speed; even and odd terms summed apart halve the dependent adds. */
RS_INLINE double dotn(const double *a, const double *b, int n)
{
    double s0 = 0.0, s1 = 0.0;
    int i = 0;
    for (; i + 1 < n; i += 2)
        s0 += a[i] * b[i], s1 += a[i + 1] * b[i + 1];
    if (i < n) s0 += a[i] * b[i];
    return s0 + s1;
}

/* x0 and xi of sample b in the extended frame: in-frame coordinates from dr->ab, perpendicular
 * ones from columns 2b and 2b + 1 of the Bartlett factor, the spike terms from the MCM. */
RS_INLINE void sample_vectors(const reduced *r, dims z, const reduced_draw *dr, int b, double *x0,
                              double *xi)
{
    const int rr = z.rr, two_b = 2 * z.B;
    const double *a = dr->ab + (size_t)b * 2 * (size_t)rr, *bx = a + rr;
    double zu = 0.0, zv = 0.0, mu, cu, cv;
    for (int j = 0; j < 3; j++)
        zu += r->S[1][j] * a[j], zv += r->S[2][j] * a[j];
    mcm_x0_coeffs(&r->mcm, dr->label[b], dr->lambda[b], dr->nu[b], zu, zv, &mu, &cu, &cv);
    for (int j = 0; j < rr; j++)
        x0[j] = a[j], xi[j] = bx[j];
    for (int j = 0; j < 3; j++)
        x0[j] += mu * r->S[0][j] + cu * r->S[1][j] + cv * r->S[2][j];
    for (int i = 0; i < two_b; i++) {
        x0[rr + i] = dr->R[(size_t)i * (size_t)two_b + (size_t)(2 * b)];
        xi[rr + i] = dr->R[(size_t)i * (size_t)two_b + (size_t)(2 * b + 1)];
    }
}

double reduced_tanh(double x)
{
    double ax = fabs(x);
    if (ax < 0.55) {
        double y = x * x;
        double p = 2027025.0 + y * (270270.0 + y * (6930.0 + y * 36.0));
        double q = 2027025.0 + y * (945945.0 + y * (51975.0 + y * (630.0 + y)));
        return x * p / q;
    }
    double t = ax > 22.0 ? 1.0 : 1.0 - 2.0 / (exp(2.0 * ax) + 1.0);
    return x < 0 ? -t : t;
}

/* act_eval with reduced_tanh for the two tanh-based activations (act.c's formulas otherwise). */
RS_INLINE void step_act(const act_fn *a, int n, const double *h, double *f, double *df)
{
    if (a->kind != ACT_TANH && a->kind != ACT_MATCHED_V) {
        act_eval(a, n, h, f, df);
        return;
    }
    for (int i = 0; i < n; i++) {
        if (a->kind == ACT_TANH) {
            double th = reduced_tanh(h[i]);
            f[i] = th * a->scale, df[i] = (1.0 - th * th) * a->scale;
        } else {
            double th = reduced_tanh(a->c2 * h[i]);
            f[i] = a->c1 * (th - a->c3 * h[i]) * a->scale;
            df[i] = a->c1 * (a->c2 * (1.0 - th * th) - a->c3) * a->scale;
        }
    }
}

static double skip_of(const reduced *r, double alpha)
{
    switch (r->s.model.skip) {
    case SKIP_FIXED:
        return r->s.model.c0;
    case SKIP_TRAINABLE:
        return r->c;
    case SKIP_NONE:
        break;
    }
    return r->s.fixed_skip ? alpha : 0.0;
}

/* Forward, loss and backward of one sample (x0, xt in w): D = c xt + sum_k coef_k P_k (+ bias),
 * residual x0 - D, g = dL/dD = -2 w (x0 - D) / B (loss.c), gradients accumulated into w->grad,
 * gamp and *gc exactly as model_neuron.c / model_twolayer.c write them. Returns w |x0 - D|^2. */
RS_INLINE double sample_grad(const reduced *r, dims z, const step_ws *w, double c, double wt,
                             double *gc)
{
    const int N = z.N, rr = z.rr, K = z.K, tl = r->s.model.family == MODEL_TWOLAYER;
    const double *X = r->X;
    for (int k = 0; k < K; k++)
        w->h[k] = dotn(X + (size_t)k * (size_t)rr, w->xt, rr);
    step_act(&r->s.model.act, K, w->h, w->f, w->df);
    double *D = w->g; /* D, then the residual, then g in place */
    for (int j = 0; j < N; j++)
        D[j] = c * w->xt[j];
    for (int k = 0; k < K; k++) {
        int p = tl ? r->iv + k : k;
        double cf = tl ? w->f[k] : r->amp[k] * w->f[k];
        const double *v = X + (size_t)p * (size_t)rr;
        for (int j = 0; j < rr; j++)
            D[j] += cf * v[j];
    }
    if (r->ib >= 0)
        for (int j = 0; j < rr; j++)
            D[j] += X[(size_t)r->ib * (size_t)rr + (size_t)j];
    double ss = 0.0, sc = -2.0 * wt * r->inv_b;
    for (int j = 0; j < N; j++) {
        double e = w->x0[j] - D[j];
        ss += e * e;
        w->g[j] = sc * e;
    }
    const double *g = w->g, *xt = w->xt;
    for (int k = 0; k < K; k++) {
        double *gk = w->grad + (size_t)k * (size_t)N;
        if (tl) { /* dW_k += s'(h_k) (V_k . g) x, dV_k += s(h_k) g */
            double vg = dotn(X + (size_t)(r->iv + k) * (size_t)rr, g, rr), be = w->df[k] * vg;
            double *gv = w->grad + (size_t)(r->iv + k) * (size_t)N;
            for (int j = 0; j < N; j++)
                gk[j] += be * xt[j], gv[j] += w->f[k] * g[j];
        } else { /* dw_k += a_k [s(h_k) g + s'(h_k) (w_k . g) x], da_k += s(h_k) (w_k . g) */
            double wg = dotn(X + (size_t)k * (size_t)rr, g, rr);
            double al = r->amp[k] * w->f[k], be = r->amp[k] * w->df[k] * wg;
            for (int j = 0; j < N; j++)
                gk[j] += al * g[j] + be * xt[j];
            w->gamp[k] += w->f[k] * wg;
        }
    }
    if (r->ib >= 0) {
        double *gb = w->grad + (size_t)r->ib * (size_t)N;
        for (int j = 0; j < N; j++)
            gb[j] += g[j];
    }
    if (r->s.model.skip == SKIP_TRAINABLE) *gc += dotn(g, xt, N);
    return wt * ss;
}

/* optim.c's spherical step on one row: u = w - eta P g with P = I - w w^T / |w|^2, and
 * |u|^2 = |w|^2 + eta^2 (|g|^2 - (w.g)^2 / |w|^2), then w = u / |u|. Writes u and returns
 * 1 / |u|: the caller scales after the compression, so that the two square roots run side by side
 * (ww = |w|^2 was taken before the step, off the chain of dependent operations). */
RS_INLINE double sphere_row(const double *w, const double *g, double ww, double rww, int rr, int N,
                            double eta, double *out)
{
    double wg = dotn(w, g, rr), gg = dotn(g, g, N);
    double a = wg * rww, gperp2 = gg - wg * a; /* rww = 1 / ww */
    if (gperp2 < 0) gperp2 = 0;
    for (int j = 0; j < N; j++) {
        double wj = j < rr ? w[j] : 0.0;
        out[j] = wj - eta * (g[j] - a * wj);
    }
    return 1.0 / sqrt(ww + eta * eta * gperp2);
}

/* optim_step on the coordinates: decoupled decay on every plain entry, none on sphere rows (the
 * neuron rows; plain SGD moves them without decay), the spherical step for them under
 * OPT_SPHERICAL. */
RS_INLINE void optimise(reduced *r, dims z, const step_ws *w, double gc)
{
    const optim_spec *o = &r->s.optim;
    const int N = z.N, rr = z.rr, K = z.K, nrn = r->s.model.family == MODEL_NEURON;
    double eta = optim_lr(o, r->opt_t), decay = 1.0 - eta * o->weight_decay;
    r->opt_t++;
    for (int p = 0; p < z.P; p++) {
        const double *x = r->X + (size_t)p * (size_t)rr, *g = w->grad + (size_t)p * (size_t)N;
        double *out = w->Xn + (size_t)p * (size_t)N;
        w->scale[p] = 1.0;
        if (nrn && o->kind == OPT_SPHERICAL) {
            w->scale[p] = sphere_row(x, g, w->ww[p], w->rww[p], rr, N, eta, out);
            continue;
        }
        double dec = nrn ? 1.0 : decay;
        for (int j = 0; j < N; j++)
            out[j] = dec * (j < rr ? x[j] : 0.0) - eta * g[j];
    }
    if (nrn && r->s.model.train_a)
        for (int k = 0; k < K; k++)
            r->amp[k] = decay * r->amp[k] - eta * w->gamp[k];
    if (r->s.model.skip == SKIP_TRAINABLE) r->c = decay * r->c - eta * gc;
}

/* Householder LQ of Y[P][M] (row stride ld) in place: Y = L Q with Q orthonormal rows; on return
 * the first P columns hold L (lower triangular, diagonal >= 0: a reflected column is negated,
 * which flips the sign of one frame vector) and the rest is zero. Rank-deficient rows give a zero
 * diagonal. Backward stable: the compressed Gram matrix L L^T equals Y Y^T to rounding. */
RS_INLINE void lq_compress(double *Y, int P, int M, int ld)
{
    for (int i = 0; i < P; i++) {
        double *yi = Y + (size_t)i * (size_t)ld, n2 = 0.0;
        for (int j = i; j < M; j++)
            n2 += yi[j] * yi[j];
        double nrm = sqrt(n2);
        if (nrm == 0.0) continue;
        double x0 = yi[i], sg = x0 >= 0.0 ? 1.0 : -1.0, v0 = x0 + sg * nrm;
        double vtv = 2.0 * nrm * (nrm + fabs(x0)); /* |v|^2 of v = y_i + sg |y_i| e_i */
        for (int p = i + 1; p < P; p++) {
            double *yp = Y + (size_t)p * (size_t)ld, s = yp[i] * v0;
            for (int j = i + 1; j < M; j++)
                s += yp[j] * yi[j];
            double f = 2.0 * s / vtv;
            yp[i] = -sg * (yp[i] - f * v0); /* reflected, then the column sign flip */
            for (int j = i + 1; j < M; j++)
                yp[j] -= f * yi[j];
        }
        yi[i] = nrm;
        for (int j = i + 1; j < M; j++)
            yi[j] = 0.0;
    }
}

/* The whole step for dimensions z. The parameters are re-compressed at the end: the spike part
 * as it is, the perpendicular part by the LQ factorisation, then each row scaled (the sphere rows'
 * normalisation; scaling rows commutes with LQ and keeps L's diagonal >= 0). */
RS_INLINE void step_body(reduced *r, dims z, const reduced_draw *dr)
{
    step_ws w = ws_of(r);
    const int B = z.B, N = z.N, rr = z.rr;
    memset(w.grad, 0, (size_t)z.P * (size_t)N * sizeof(double));
    memset(w.gamp, 0, (size_t)z.K * sizeof(double));
    int sph = r->s.model.family == MODEL_NEURON && r->s.optim.kind == OPT_SPHERICAL;
    for (int p = 0; sph && p < z.P; p++) {
        w.ww[p] = dotn(r->X + (size_t)p * (size_t)rr, r->X + (size_t)p * (size_t)rr, rr);
        if (!(w.ww[p] > 0)) LOG_DIE("reduced: sphere row of norm %g", sqrt(w.ww[p]));
        w.rww[p] = 1.0 / w.ww[p];
    }
    double gc = 0.0, loss = 0.0;
    for (int b = 0; b < B; b++) {
        double al, sg;
        if (dr->alpha) {
            al = dr->alpha[b], sg = dr->sigma[b];
        } else {
            diff_coeffs(&r->s.sch, dr->t[b], &al, &sg);
        }
        /* engine.c's weight, without its factor d (loss.c divides it out again) */
        double wt = loss_weight(r->s.loss, al, sg) * (r->s.times.weight_sigma2 ? sg * sg : 1.0);
        sample_vectors(r, z, dr, b, w.x0, w.xi);
        for (int j = 0; j < N; j++)
            w.xt[j] = al * w.x0[j] + sg * w.xi[j];
        loss += sample_grad(r, z, &w, skip_of(r, al), wt, &gc);
    }
    r->loss_sum += loss * r->inv_bd;
    r->loss_n++;
    optimise(r, z, &w, gc);
    lq_compress(w.Xn + 3, z.P, N - 3, N);
    for (int p = 0; p < z.P; p++) {
        double *x = r->X + (size_t)p * (size_t)rr, f = w.scale[p];
        const double *y = w.Xn + (size_t)p * (size_t)N;
        for (int j = 0; j < rr; j++)
            x[j] = f * y[j];
    }
    r->step++;
}

/* Constant dimensions for the online neuron cases the scans run most (K = 1, 2, 4 at B = 1). */
#define RS_NEURON(KK)                                                                              \
    static void step_neuron_##KK(reduced *r, const reduced_draw *dr)                               \
    {                                                                                              \
        step_body(r, (dims){KK, KK, 3 + KK, 5 + KK, 1}, dr);                                       \
    }
RS_NEURON(1)
RS_NEURON(2)
RS_NEURON(4)

void reduced_step_with(reduced *r, const reduced_draw *dr)
{
    if (r->s.model.family == MODEL_NEURON && r->B == 1) {
        switch (r->K) {
        case 1:
            step_neuron_1(r, dr);
            return;
        case 2:
            step_neuron_2(r, dr);
            return;
        case 4:
            step_neuron_4(r, dr);
            return;
        default:
            break;
        }
    }
    step_body(r, (dims){r->K, r->P, r->r, r->N, r->B}, dr);
}

void reduced_step(reduced *r)
{
    reduced_draw_step(r, r->step);
    reduced_step_with(r, &r->dr);
}
