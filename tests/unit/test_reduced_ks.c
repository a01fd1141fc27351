/* Distributional agreement of the reduced engine with the direct engine (issue 11): ensembles of
 * REPS replicas per engine, run through the engine layer exactly as `mcmsim run` does, compared
 * at several fixed steps by two-sample Kolmogorov-Smirnov tests on max |m_u|, max |m_v|, |w_1|,
 * the training loss and the exact population test loss. Replicas of the two engines use disjoint
 * tasks, so the samples are independent. The same test must reject a deliberately wrong chain: the
 * Wishart factor of the bulk drawn with d/2 instead of d - r degrees of freedom.
 *
 * Level: each comparison passes when p >= 1e-3. About 40 comparisons are made, so a correct
 * engine fails one with probability ~ 4 % for a random seed; the seeds are fixed, and the
 * minimum p is printed. The wrong variant must give p < 1e-6 somewhere (its exact test loss also
 * sees d/2 in the bulk term, since the hack lowers the spec's d; overlaps and the training loss
 * are the clean evidence). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "engine/engine.h"
#include "spec/spec.h"

#include "../../src/core/reduced_internal.h" /* white box: the wrong variant's stream cache */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { REPS = 200, NCHK = 3, NSTAT = 5 };
static const char *const stat_name[NSTAT] = {"max|m_u|", "max|m_v|", "|w_1|", "loss", "test loss"};

static cfg_t load_cfg(const char *text)
{
    static cfg_resolved cr;
    cfg_errors err;
    const char *path = "/tmp/mcmsim_test_reduced_ks.ini";
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    int n = cfg_load(path, NULL, 0, &cr, &err);
    remove(path);
    for (int i = 0; i < n && i < err.n; i++)
        print_error("%s\n", err.msg[i]);
    assert_int_equal(n, 0);
    return cr.v;
}

/* The two-sample KS p-value (asymptotic Kolmogorov law with the Stephens small-sample factor). */
static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double ks_pvalue(double *a, int na, double *b, int nb, double *dstat)
{
    qsort(a, (size_t)na, sizeof *a, cmp_double);
    qsort(b, (size_t)nb, sizeof *b, cmp_double);
    double D = 0;
    for (int i = 0, j = 0; i < na && j < nb;) {
        double x = a[i] < b[j] ? a[i] : b[j];
        while (i < na && a[i] <= x)
            i++;
        while (j < nb && b[j] <= x)
            j++;
        D = fmax(D, fabs((double)i / na - (double)j / nb));
    }
    *dstat = D;
    double ne = (double)na * nb / (na + nb), lam = (sqrt(ne) + 0.12 + 0.11 / sqrt(ne)) * D;
    if (lam < 0.2) return 1.0;
    double q = 0, sign = 1;
    for (int k = 1; k <= 100; k++, sign = -sign)
        q += sign * 2 * exp(-2.0 * k * k * lam * lam);
    return fmin(1.0, fmax(q, 0.0));
}

/* The exact population test loss (core/poploss.h) at the task's time, through the engine. */
static double exact_test_loss(const engine *e, const spec_train *s)
{
    double al, sg;
    diff_coeffs(&s->sch, s->times.t, &al, &sg);
    poploss *pl = poploss_new(&s->mcm, 1.0);
    poploss_net n;
    assert_int_equal(engine_poploss_net(e, al, &n), 0);
    poploss_val v;
    poploss_eval(pl, &n, POPLOSS_DATA, al, sg, &v);
    poploss_net_free(&n);
    poploss_free(pl);
    return v.loss;
}

/* Statistics of every replica at steps chk[]: st[check][stat][replica]. Tasks task0 + rep. */
static void ensemble(const cfg_t *c, int d, int use_reduced, int wrong_dof, uint64_t task0,
                     const long *chk, double *st)
{
    for (int rep = 0; rep < REPS; rep++) {
        cfg_t ct = *c;
        ct.train.engine = use_reduced ? SPEC_ENGINE_REDUCED : SPEC_ENGINE_DIRECT;
        spec_train s;
        spec_train_build(&s, &ct, d, task0 + (uint64_t)rep);
        engine e;
        engine_init(&e, &s, 8, NULL);
        if (wrong_dof) { /* the deliberately wrong Wishart: d/2 dof (cache rebuilt for them) */
            e.red->s.d = d / 2;
            reduced_cache_free(e.red->cache);
            e.red->cache = reduced_cache_new(e.red);
        }
        int K = engine_rows(&e);
        double *ov = calloc((size_t)K * 3, sizeof(double)),
               *nrm = calloc((size_t)K, sizeof(double));
        for (int k = 0; k < NCHK; k++) {
            engine_take_loss(&e);
            while (e.step < chk[k])
                engine_step(&e);
            double loss = engine_take_loss(&e), mu = 0, mv = 0;
            engine_overlaps(&e, ov, nrm);
            for (int j = 0; j < K; j++)
                mu = fmax(mu, fabs(ov[3 * j + 1])), mv = fmax(mv, fabs(ov[3 * j + 2]));
            double v[NSTAT] = {mu, mv, nrm[0], loss, exact_test_loss(&e, &s)};
            /* Rounded to 1e-9: the engines' values agree only to rounding, and |w_1| of a
             * spherical row is 1 in both, so unrounded ties would be split by rounding noise. */
            for (int q = 0; q < NSTAT; q++)
                st[((size_t)k * NSTAT + (size_t)q) * REPS + (size_t)rep] = round(v[q] * 1e9) / 1e9;
        }
        free(ov), free(nrm);
        engine_free(&e);
    }
}

/* Smallest KS p-value over checks and statistics between the direct and the reduced (or wrong
 * reduced) ensembles; prints every comparison. */
static double compare(const char *name, const char *text, int d, int wrong_dof)
{
    cfg_t c = load_cfg(text);
    long chk[NCHK] = {d / 2, 2L * d, 8L * d};
    size_t n = (size_t)NCHK * NSTAT * REPS;
    double *a = malloc(n * sizeof(double)), *b = malloc(n * sizeof(double)), pmin = 1;
    ensemble(&c, d, 0, 0, 1000, chk, a);
    ensemble(&c, d, 1, wrong_dof, 5000, chk, b);
    for (int k = 0; k < NCHK; k++)
        for (int q = 0; q < NSTAT; q++) {
            double D, p = ks_pvalue(a + ((size_t)k * NSTAT + q) * REPS, REPS,
                                    b + ((size_t)k * NSTAT + q) * REPS, REPS, &D);
            print_message("ks %-26s d=%-4d step=%-5ld %-9s D=%.3f p=%.3g\n", name, d, chk[k],
                          stat_name[q], D, p);
            pmin = fmin(pmin, p);
        }
    free(a), free(b);
    return pmin;
}

static const char *const neuron_cfg = "[run]\nseed = 21\n[mcm]\nd = 64\nbeta_u = 5\nbeta_v = 5\n"
                                      "[model]\nactivation = tanh\nact_scale = 0.5\n"
                                      "[train]\nsteps_alpha = 8\n[optim]\nkind = spherical\n";
static const char *const twolayer_cfg =
    "[run]\nseed = 22\n[mcm]\nd = 64\nbeta_u = 4\nbeta_v = 4\nnu_law = skewed\n"
    "[model]\nfamily = twolayer\nK = 2\nactivation = tanh\nskip = trainable\ninit2 = small\n"
    "init2_scale = 0.1\n[train]\nsteps_alpha = 8\nbatch = 2\n[optim]\nkind = sgd\ndelta = 0.3\n"
    "weight_decay = 0.01\n";

static void test_neuron_agrees(void **st)
{
    (void)st;
    double p64 = compare("neuron K=1 spherical", neuron_cfg, 64, 0);
    double p256 = compare("neuron K=1 spherical", neuron_cfg, 256, 0);
    print_message("ks neuron: min p = %.3g (d = 64), %.3g (d = 256)\n", p64, p256);
    assert_true(p64 >= 1e-3);
    assert_true(p256 >= 1e-3);
}

static void test_twolayer_agrees(void **st)
{
    (void)st;
    double p = compare("twolayer K=2 B=2 sgd+wd", twolayer_cfg, 64, 0);
    print_message("ks twolayer: min p = %.3g\n", p);
    assert_true(p >= 1e-3);
}

/* The same comparison rejects a chain whose bulk has d/2 degrees of freedom. */
static void test_wrong_variant_rejected(void **st)
{
    (void)st;
    double p1 = compare("WRONG neuron (d/2 dof)", neuron_cfg, 64, 1);
    double p2 = compare("WRONG twolayer (d/2 dof)", twolayer_cfg, 64, 1);
    print_message("ks wrong variants: min p = %.3g, %.3g (must be < 1e-6)\n", p1, p2);
    assert_true(p1 < 1e-6);
    assert_true(p2 < 1e-6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_neuron_agrees),
        cmocka_unit_test(test_twolayer_agrees),
        cmocka_unit_test(test_wrong_variant_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
