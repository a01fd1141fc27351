/* model — dispatch to the families; see include/model.h. */
#include "core/model.h"

#include "base/log.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const model_ops *ops;
    void (*layout)(model *m);
} model_family_entry;

static model_family_entry model_family_of(model_family f)
{
    switch (f) {
    case MODEL_NEURON:
        return (model_family_entry){&model_neuron_ops, model_neuron_layout};
    case MODEL_TWOLAYER:
        return (model_family_entry){&model_twolayer_ops, model_twolayer_layout};
    case MODEL_MLP:
        return (model_family_entry){&model_mlp_ops, model_mlp_layout};
    case MODEL_LINEAR:
        return (model_family_entry){&model_linear_ops, model_linear_layout};
    case MODEL_SYMLINEAR:
        return (model_family_entry){&model_symlinear_ops, model_symlinear_layout};
    }
    LOG_DIE("unknown model family %d", (int)f);
}

void model_init(model *m, const model_spec *s, uint32_t seed, uint32_t task, int bmax)
{
    memset(m, 0, sizeof *m);
    m->s = *s;
    m->c = s->c0;
    m->bmax = bmax > 0 ? bmax : 1;
    model_family_entry e = model_family_of(s->family);
    m->ops = e.ops;
    e.layout(m); /* sets np, rows, sphere */
    m->theta = LOG_CALLOC(m->np, sizeof(double));
    m->ops->init(m, seed, task); /* fills theta, allocates the workspace */
}

size_t model_count(const model_spec *s)
{
    model m;
    memset(&m, 0, sizeof m);
    m.s = *s;
    m.bmax = 1;
    model_family_of(s->family).layout(&m);
    return m.np;
}

void model_free(model *m)
{
    if (m->ops && m->ops->free_ws) m->ops->free_ws(m);
    free(m->theta);
    m->theta = NULL;
    m->ws = NULL;
}

void model_forward(model *m, int B, const double *x, double *out)
{
    if (B > m->bmax) LOG_DIE("batch %d exceeds the model workspace (%d)", B, m->bmax);
    m->ops->forward(m, B, x, out);
}

int model_resid1(model *m, const double *x, const double *x0, int add, double sa, double sc,
                 double *gout, double *sumsq)
{
    if (!m->ops->resid1) return -1;
    return m->ops->resid1(m, x, x0, add, sa, sc, gout, sumsq);
}

int model_backward1_sums(model *m, const double *x, const double *gout, double *grad, double *sums)
{
    if (!m->ops->backward1_sums || m->n_sphere == 0) return -1;
    return m->ops->backward1_sums(m, x, gout, grad, sums);
}

void model_backward(model *m, int B, const double *x, const double *gout, double *grad)
{
    m->ops->backward(m, B, x, gout, grad);
}

void model_backward_set(model *m, int B, const double *x, const double *gout, double *grad)
{
    if (m->ops->backward_set) {
        m->ops->backward_set(m, B, x, gout, grad);
        return;
    }
    memset(grad, 0, m->np * sizeof *grad);
    m->ops->backward(m, B, x, gout, grad);
}

double model_skip_value(const model *m)
{
    switch (m->s.skip) {
    case SKIP_FIXED:
        return m->c;
    case SKIP_TRAINABLE:
        return m->theta[m->np - 1]; /* every family stores c last */
    case SKIP_NONE:
        break;
    }
    return 0.0;
}

void model_init_rows(double *w, int rows, int d, const rng_stream *s, double scale,
                     model_rows_norm norm)
{
    for (int k = 0; k < rows; k++) {
        double *row = w + (size_t)k * (size_t)d, f = scale;
        rng_normal(s, (uint64_t)k, 0, (size_t)d, row);
        if (norm != MODEL_ROWS_SCALE) {
            double n2 = 0;
            if (norm == MODEL_ROWS_UNIT_NRM2)
                n2 = cblas_dnrm2(d, row, 1);
            else {
                for (int i = 0; i < d; i++)
                    n2 += row[i] * row[i];
                n2 = sqrt(n2);
            }
            if (!(n2 > 0)) LOG_DIE("zero initial row %d", k); /* impossible for d >= 1 */
            f /= n2;
        }
        for (int i = 0; i < d; i++)
            row[i] *= f;
    }
}
