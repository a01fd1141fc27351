/* libFuzzer target: bytes -> configuration -> specs of every task.
 *
 * The input is the text of a configuration file up to the first NUL byte, then up to
 * FUZZ_MAX_SETS "section.key=value" overrides separated by NUL bytes (any other bytes, as a
 * command line may carry them). It goes through cfg_load_text, the path cfg_load takes after
 * reading a file, so everything from the bytes to the validated configuration is covered. A
 * valid configuration then goes through the spec layer as a run would: the task list, every
 * task's spec_train and theory inputs (a sample of them for long lists), the analysis
 * inputs and the generation plan.
 *
 * Besides crashes, leaks and undefined behaviour (the sanitizers), a finding is any broken
 * promise checked below: messages are UTF-8 text without control characters and name the file
 * or the command line; a valid configuration prints as INI that reads back to the same cfg_t;
 * its numbers are finite and zero or normal; the task list has the size and stream keys the
 * configuration implies; the specs are finite and in range. Nothing here calls MPI; a LOG_DIE
 * (exit) in the spec layer is reported by libFuzzer as "fuzz target exited". */
#include "base/cfg.h"
#include "spec/spec.h"
#include "spec/spec_gen.h"
#include "spec/task.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_SETS 4
#ifndef FUZZ_NAME
#define FUZZ_NAME "fuzz.ini"
#endif
/* Tasks built in full at each end of a long list (the middle ones differ only in replica). */
#define FUZZ_TASKS_EACH_END 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_cfg: check failed at %s:%d: %s\n", __FILE__, __LINE__, #cond);   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* cfg_resolved is > 1 MiB: one for the input, one for its printed form read back. */
static cfg_resolved cr_in, cr_back;
static cfg_errors err_in, err_back;

/* 1 when s is UTF-8 (shortest forms, no surrogates, at most U+10FFFF) without control
 * characters (tabs allowed with tab_ok: messages quote lines that may hold them). Written apart
 * from the reader's own check, which it verifies. */
static int clean_text(const char *s, int tab_ok)
{
    const unsigned char *u = (const unsigned char *)s;
    while (*u) {
        unsigned c = *u;
        int len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : 4;
        if ((c < 0x20 && !(tab_ok && c == '\t')) || c == 0x7f || (c >= 0x80 && c < 0xC2) ||
            c > 0xF4)
            return 0;
        uint32_t cp = len == 1 ? c : len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;
        for (int k = 1; k < len; k++) {
            if ((u[k] & 0xC0) != 0x80) return 0;
            cp = cp << 6 | (u[k] & 0x3F);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        u += len;
    }
    return 1;
}

static void check_messages(const cfg_errors *err)
{
    CHECK(err->n >= 0 && err->n <= CFG_ERR_MAX);
    for (int k = 0; k < err->n; k++) {
        const char *m = err->msg[k];
        CHECK(memchr(m, '\0', CFG_ERR_LEN) != NULL);
        CHECK(m[0] != '\0');
        CHECK(clean_text(m, 1));
        CHECK(strncmp(m, FUZZ_NAME, strlen(FUZZ_NAME)) == 0 ||
              strncmp(m, "command line: ", 14) == 0 ||
              strcmp(m, "too many errors; the rest are not listed") == 0);
    }
}

static int ok_double(double x)
{
    return isfinite(x) && (x == 0 || isnormal(x));
}

/* The values of a valid configuration: finite, zero or normal numbers, clean text. */
static void check_values(const cfg_t *v)
{
    for (int i = 0; i < cfg_schema_n; i++) {
        const cfg_entry *e = &cfg_schema[i];
        const char *field = (const char *)v + e->offset;
        double x;
        cfg_double_list dl;
        switch (e->type) {
        case CFG_DOUBLE:
            memcpy(&x, field, sizeof x);
            CHECK(ok_double(x) && x >= e->min && x <= e->max);
            break;
        case CFG_DOUBLE_LIST:
            memcpy(&dl, field, sizeof dl);
            CHECK(dl.n >= 0 && dl.n <= CFG_LIST_MAX);
            for (int k = 0; k < dl.n; k++)
                CHECK(ok_double(dl.v[k]) && dl.v[k] >= e->min && dl.v[k] <= e->max);
            break;
        case CFG_STRING:
            CHECK(memchr(field, '\0', CFG_STR_MAX) != NULL && field[0] != '\0');
            CHECK(clean_text(field, 0));
            break;
        default:
            break;
        }
    }
}

/* cfg_print's output, read back, is the same configuration. */
static void check_round_trip(const cfg_resolved *cr, int with_origin)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    CHECK(f != NULL);
    cfg_print(cr, f, with_origin);
    CHECK(fclose(f) == 0);
    int n = cfg_load_text(FUZZ_NAME, text, len, NULL, 0, &cr_back, &err_back);
    if (n != 0) fprintf(stderr, "printed configuration:\n%s\nerror: %s\n", text, err_back.msg[0]);
    free(text);
    CHECK(n == 0);
    CHECK(memcmp(&cr->v, &cr_back.v, sizeof cr->v) == 0);
}

static void check_train(const spec_train *s, const task_t *t, const cfg_t *c)
{
    CHECK(s->d == t->d && s->d >= LIMITS_MIN_D && s->d <= LIMITS_MAX_D);
    CHECK(s->task == t->id);
    CHECK(s->steps >= 1 && s->optim.total_steps == s->steps);
    CHECK(isfinite(s->optim.lr) && s->optim.lr >= 0);
    CHECK(s->batch >= 1 && s->observe.n_obs >= 2 && s->observe.n_eval >= 1);
    CHECK(s->observe.crossing.every >= 1);
    CHECK(s->observe.crossing.nthr == c->scaling.thresholds.n);
    CHECK(s->model.K >= 1 && s->model.d == s->d);
    CHECK(isfinite(s->model.act.c1) && isfinite(s->model.act.c2) && isfinite(s->model.act.c3));
    CHECK(s->times.kind != SPEC_TIME_LIST || s->times.n >= 1);
    CHECK(c->train.data == 0 ? s->n_train == 0 : s->n_train >= 1);
    double alpha, sigma;
    spec_coeffs(c, &alpha, &sigma);
    CHECK(alpha >= 0 && alpha <= 1 && sigma >= 0 && isfinite(sigma));
}

static void check_task(const cfg_t *base, const task_t *t)
{
    CHECK(t->replica >= 0 && t->replica < base->run.n_seeds);
    CHECK((t->id & 0xffffffffu) == (uint64_t)t->replica + (uint64_t)TASK_MAX_REPLICAS * t->d);
    CHECK(t->id >> 32 == (uint64_t)t->combo);
    cfg_t c = *base;
    task_apply(t, &c);
    spec_train s;
    spec_train_build(&s, &c, t->d, t->id);
    check_train(&s, t, &c);
    spec_theory th;
    spec_theory_build(&th, &c, t->d);
    CHECK(isfinite(th.alpha) && isfinite(th.sigma) && isfinite(th.act.c1));
}

/* The task list and the specs of a valid configuration. */
static void check_specs(const cfg_t *v)
{
    long want = v->mcm.d.n * v->run.n_seeds;
    const cfg_double_list *sw[TASK_NSWEEP] = {&v->sweep.beta_m, &v->sweep.beta_u, &v->sweep.beta_v,
                                              &v->sweep.t, &v->sweep.delta};
    for (int k = 0; k < TASK_NSWEEP; k++)
        want *= sw[k]->n > 0 ? sw[k]->n : 1;
    task_list tl;
    task_list_from_cfg(&tl, v);
    CHECK(tl.n == want);
    for (int k = 0; k < tl.n; k++) {
        CHECK(tl.t[k].index == k);
        if (k < FUZZ_TASKS_EACH_END || k >= tl.n - FUZZ_TASKS_EACH_END) check_task(v, &tl.t[k]);
    }
    spec_analysis sa;
    spec_analysis_build(&sa, v, &tl);
    CHECK(sa.nd == v->mcm.d.n && sa.ncombo >= 1);
    for (long k = 0; k < (long)sa.ncombo * sa.nd; k++)
        CHECK(sa.steps[k] >= 1);
    spec_analysis_free(&sa);
    task_list_free(&tl);
    spec_gen g; /* the sigma range and teleportation level the cross-key rules promise */
    spec_gen_build(&g, v);
    CHECK(g.plan.n_steps >= 1 && g.plan.sigma_min > 0 && g.plan.sigma_max > g.plan.sigma_min);
    CHECK(g.plan.sigma_skip == 0 ||
          (g.plan.sigma_skip >= g.plan.sigma_min && g.plan.sigma_skip <= g.plan.sigma_max));
    CHECK(g.setup.sigma_max == g.plan.sigma_max && isfinite(g.plan.rho) && g.plan.rho > 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    const uint8_t *nul = memchr(data, 0, size);
    size_t text_len = nul ? (size_t)(nul - data) : size;
    /* The overrides, each NUL-terminated in a copy of the rest. */
    size_t rest = nul ? size - text_len - 1 : 0;
    char *sets_buf = malloc(rest + 1);
    CHECK(sets_buf != NULL);
    if (rest) memcpy(sets_buf, nul + 1, rest);
    sets_buf[rest] = '\0';
    const char *sets[FUZZ_MAX_SETS];
    int n_set = 0;
    for (char *p = sets_buf; nul && n_set < FUZZ_MAX_SETS && p <= sets_buf + rest;
         p += strlen(p) + 1)
        sets[n_set++] = p;

    int n = cfg_load_text(FUZZ_NAME, text, text_len, sets, n_set, &cr_in, &err_in);
    CHECK(n == err_in.n);
    check_messages(&err_in);
    if (n == 0) {
        check_values(&cr_in.v);
        check_round_trip(&cr_in, 0);
        check_round_trip(&cr_in, 1);
        check_specs(&cr_in.v);
    }
    free(sets_buf);
    return 0;
}
