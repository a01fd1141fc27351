/* Unit tests of the configuration module: the schema table, input/reference.ini against it,
 * defaults, overrides and provenance, printing round trips, and the content of every kind of
 * error message. cfg_load is rank-local, so no MPI_Init is needed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "base/cfg.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* cfg_resolved is > 1 MiB: tests keep two on the heap. */
typedef struct {
    cfg_resolved a, b;
    cfg_errors err;
    char path[64];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f) return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    if (f->path[0]) unlink(f->path);
    free(f);
    return 0;
}

/* Writes `text` (n bytes) to a fresh temporary file whose name lands in f->path. */
static void write_tmp(fixture *f, const char *text, size_t n)
{
    if (f->path[0]) unlink(f->path);
    snprintf(f->path, sizeof f->path, "/tmp/test_cfg_XXXXXX");
    int fd = mkstemp(f->path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, n), (ssize_t)n);
    close(fd);
}

static int load_text(fixture *f, const char *text, const char *const *sets, int n_set,
                     cfg_resolved *out)
{
    write_tmp(f, text, strlen(text));
    return cfg_load(f->path, sets, n_set, out, &f->err);
}

static int has_error(const cfg_errors *err, const char *fragment)
{
    for (int k = 0; k < err->n; k++)
        if (strstr(err->msg[k], fragment)) return 1;
    return 0;
}

/* Loads `text` with `set` (may be NULL) and asserts an error containing `fragment`. */
static void expect_error(fixture *f, const char *text, const char *set, const char *fragment)
{
    const char *sets[1] = {set};
    int n = load_text(f, text, sets, set ? 1 : 0, &f->a);
    if (n == 0 || !has_error(&f->err, fragment)) {
        print_error("config:\n%s\nexpected an error containing: %s\ngot %d error(s):\n", text,
                    fragment, n);
        for (int k = 0; k < f->err.n; k++)
            print_error("  %s\n", f->err.msg[k]);
        fail();
    }
}

static const char *src_path(const char *rel, char *buf, size_t len)
{
    const char *root = getenv("MCMSIM_SRCDIR");
    snprintf(buf, len, "%s/%s", root && *root ? root : ".", rel);
    return buf;
}

/* ---- the schema table ------------------------------------------------------------------ */

static void test_schema_table(void **state)
{
    (void)state;
    assert_true(cfg_schema_n > 0 && cfg_schema_n <= CFG_MAX_KEYS);
    for (int i = 0; i < cfg_schema_n; i++) {
        const cfg_entry *e = &cfg_schema[i];
        assert_non_null(e->section);
        assert_non_null(e->key);
        assert_non_null(e->units);
        assert_non_null(e->help);
        assert_true(strlen(e->help) > 10 && !strchr(e->help, '\n'));
        assert_int_equal(cfg_find(e->section, e->key), i); /* unique and found */
        assert_true(e->offset + e->size <= sizeof(cfg_t));
        /* cfg_print writes one [section] header per run of entries */
        for (int k = 0; k + 1 < i; k++)
            if (!strcmp(cfg_schema[k].section, e->section))
                assert_string_equal(cfg_schema[k + 1].section, e->section);
        switch (e->type) {
        case CFG_INT:
            assert_true(e->size == sizeof(int) || e->size == sizeof(long));
            if (e->size == sizeof(int)) assert_true(e->max <= INT_MAX && e->min >= INT_MIN);
            break;
        case CFG_ENUM:
        case CFG_BOOL:
            assert_int_equal(e->size, sizeof(int));
            break;
        case CFG_DOUBLE:
            assert_int_equal(e->size, sizeof(double));
            break;
        case CFG_STRING:
            assert_int_equal(e->size, CFG_STR_MAX);
            break;
        case CFG_INT_LIST:
            assert_int_equal(e->size, sizeof(cfg_int_list));
            break;
        case CFG_DOUBLE_LIST:
            assert_int_equal(e->size, sizeof(cfg_double_list));
            break;
        }
        if (e->type == CFG_ENUM) {
            assert_non_null(e->enums);
            assert_non_null(e->def);
            char want[CFG_STR_MAX + 2], all[CFG_STR_MAX + 2];
            snprintf(want, sizeof want, "|%s|", e->def);
            snprintf(all, sizeof all, "|%s|", e->enums);
            assert_non_null(strstr(all, want));
        }
        if (e->def && (e->type == CFG_INT || e->type == CFG_DOUBLE)) {
            char *end;
            double x = strtod(e->def, &end);
            assert_true(*end == '\0' && x >= e->min && x <= e->max);
        }
        assert_true(e->min <= e->max);
    }
}

/* Enum strings are stored as the C enums of the consuming modules. */
static void test_enum_names(void **state)
{
    (void)state;
    char buf[32];
    int nu = cfg_find("mcm", "nu_law"), sch = cfg_find("diffusion", "schedule");
    assert_string_equal(cfg_enum_name(nu, 0, buf, sizeof buf), "rademacher");
    assert_string_equal(cfg_enum_name(nu, 2, buf, sizeof buf), "gaussian");
    assert_string_equal(cfg_enum_name(nu, 3, buf, sizeof buf), "?");
    assert_string_equal(cfg_enum_name(sch, 2, buf, sizeof buf), "ddpm");
    assert_int_equal(cfg_find("mcm", "nope"), -1);
    assert_int_equal(cfg_find("nope", "d"), -1);
}

/* ---- defaults, overrides, provenance ---------------------------------------------------- */

static void test_defaults(void **state)
{
    fixture *f = *state;
    assert_int_equal(load_text(f, "[mcm]\nd = 100\n", NULL, 0, &f->a), 0);
    const cfg_t *v = &f->a.v;
    assert_int_equal(v->run.seed, 1);
    assert_int_equal(v->run.n_seeds, 1);
    assert_string_equal(v->run.output, "mcmsim.h5");
    assert_int_equal(v->mcm.d.n, 1);
    assert_int_equal(v->mcm.d.v[0], 100);
    assert_true(v->mcm.beta_m == 0 && v->mcm.beta_u == 5 && v->mcm.beta_v == 5);
    assert_int_equal(v->mcm.nu_law, 0);
    assert_true(v->mcm.skew_q == 0.3);
    assert_int_equal(v->diffusion.schedule, 0);
    assert_true(v->diffusion.t == 0.5 && v->diffusion.beta_min == 0.1);
    assert_true(v->diffusion.beta_max == 20);
    assert_int_equal(v->stats.n_samples, 100000);
    assert_int_equal(v->stats.block, 4096);
    assert_int_equal(v->stats.bins, 60);
    assert_true(v->stats.range == 5);
    assert_int_equal(v->sample.n, 1000);
    assert_int_equal(v->sample.task, 0);
    char where[128];
    snprintf(where, sizeof where, "%s:2", f->path);
    for (int i = 0; i < cfg_schema_n; i++)
        assert_string_equal(f->a.origin[i], i == cfg_find("mcm", "d") ? where : "default");
    assert_string_equal(f->a.raw, "[mcm]\nd = 100\n");
    assert_string_equal(f->a.file, f->path);
}

static void test_overrides(void **state)
{
    fixture *f = *state;
    const char *sets[] = {"mcm.beta_u=7", " stats.bins = 30 ", "mcm.d=300,400"};
    assert_int_equal(load_text(f, "[mcm]\nd = 100\nbeta_u = 2\n", sets, 3, &f->a), 0);
    assert_true(f->a.v.mcm.beta_u == 7);
    assert_int_equal(f->a.v.stats.bins, 30);
    assert_int_equal(f->a.v.mcm.d.n, 2);
    assert_int_equal(f->a.v.mcm.d.v[1], 400);
    assert_string_equal(f->a.origin[cfg_find("mcm", "beta_u")], "command line");
    assert_string_equal(f->a.origin[cfg_find("stats", "bins")], "command line");
    assert_string_equal(f->a.origin[cfg_find("run", "seed")], "default");
    /* the same key twice with --set is a mistake, not "last wins" */
    const char *twice[] = {"mcm.beta_u=1", "mcm.beta_u=2"};
    assert_int_equal(load_text(f, "[mcm]\nd = 100\n", twice, 2, &f->a), 1);
    assert_true(has_error(&f->err, "given twice with --set"));
    /* no file at all: everything from the command line */
    const char *only[] = {"mcm.d=5"};
    assert_int_equal(cfg_load(NULL, only, 1, &f->a, &f->err), 0);
    assert_int_equal(f->a.v.mcm.d.v[0], 5);
}

/* Comments, blanks, CR LF, a BOM, indentation (never a continuation line) and long lists. */
static void test_syntax_variants(void **state)
{
    fixture *f = *state;
    const char *text = "\xEF\xBB\xBF# comment\r\n; other comment\r\n[ mcm ]\r\n"
                       "  d = 100, 200   # dims\r\n\tbeta_u = 3 ; why\r\n"
                       "beta_v=4\r\n\r\n[run]\noutput = out#1.h5x\n";
    assert_int_equal(load_text(f, text, NULL, 0, &f->a), 1); /* '#' inside a file name */
    assert_true(has_error(&f->err, "'out#1.h5x' contains ';' or '#'"));
    assert_true(f->a.v.mcm.beta_u == 3 && f->a.v.mcm.beta_v == 4);
    assert_int_equal(f->a.v.mcm.d.n, 2);
    char where[128];
    snprintf(where, sizeof where, "%s:5", f->path);
    assert_string_equal(f->a.origin[cfg_find("mcm", "beta_u")], where);

    char big[1024] = "[mcm]\nd = ";
    for (int k = 0; k < CFG_LIST_MAX; k++)
        snprintf(big + strlen(big), sizeof big - strlen(big), "%s%d", k ? ", " : "", 1000 + k);
    strcat(big, "\n");
    assert_int_equal(load_text(f, big, NULL, 0, &f->a), 0); /* longer than inih's 200 bytes */
    assert_int_equal(f->a.v.mcm.d.n, CFG_LIST_MAX);
    assert_int_equal(f->a.v.mcm.d.v[CFG_LIST_MAX - 1], 1000 + CFG_LIST_MAX - 1);
    big[strlen(big) - 1] = '\0';
    strcat(big, ", 5000\n");
    expect_error(f, big, NULL, "more than 64 elements");
}

/* ---- input/reference.ini against the schema --------------------------------------------- */

/* Line `n` (1-based) of `text` into buf. */
static void nth_line(const char *text, int n, char *buf, size_t len)
{
    for (int k = 1; k < n && text; k++) {
        text = strchr(text, '\n');
        if (text) text++;
    }
    size_t m = text ? strcspn(text, "\n") : 0;
    snprintf(buf, len, "%.*s", (int)m, text ? text : "");
}

static void test_reference_ini(void **state)
{
    fixture *f = *state;
    char path[512], line[1024], want[512];
    src_path("input/reference.ini", path, sizeof path);
    int n = cfg_load(path, NULL, 0, &f->a, &f->err);
    for (int k = 0; k < f->err.n; k++)
        print_error("%s\n", f->err.msg[k]);
    assert_int_equal(n, 0); /* no unknown (extra) or duplicate keys, all values valid */
    assert_int_equal(load_text(f, "[mcm]\nd = 100, 200\n", NULL, 0, &f->b), 0);
    for (int i = 0; i < cfg_schema_n; i++) {
        const cfg_entry *e = &cfg_schema[i];
        int at = 0;
        size_t plen = strlen(path);
        /* every key is set in the file itself (none missing) */
        if (strncmp(f->a.origin[i], path, plen) != 0 || f->a.origin[i][plen] != ':')
            fail_msg("key %s.%s is not set in %s (origin: %s)", e->section, e->key, path,
                     f->a.origin[i]);
        at = atoi(f->a.origin[i] + plen + 1);
        /* preceded by "# help" and "# (type, range; FIXED|CHANGEABLE on restart)" */
        nth_line(f->a.raw, at - 2, line, sizeof line);
        snprintf(want, sizeof want, "# %s", e->help);
        assert_string_equal(line, want);
        nth_line(f->a.raw, at - 1, line, sizeof line);
        assert_non_null(strstr(line, e->restart == CFG_FIXED ? "; FIXED on restart)"
                                                             : "; CHANGEABLE on restart)"));
        assert_true(e->def || strstr(line, "REQUIRED"));
    }
    /* its values are the defaults (the required d is an example) */
    assert_memory_equal(&f->a.v, &f->b.v, sizeof(cfg_t));
}

static void test_quickstart_ini(void **state)
{
    fixture *f = *state;
    char path[512];
    src_path("input/quickstart.ini", path, sizeof path);
    assert_int_equal(cfg_load(path, NULL, 0, &f->a, &f->err), 0);
    assert_int_equal(f->a.v.mcm.d.n, 4);
    assert_int_equal(f->a.v.mcm.d.v[3], 800);
    assert_int_equal(f->a.v.run.n_seeds, 8);
    assert_int_equal(f->a.v.model.family, 0);
    assert_true(f->a.v.train.steps_alpha == 60);
    /* make demo shows the whole curve to the plateau: no early stop at |m_u| = 0.5 */
    assert_int_equal(f->a.v.scaling.early_stop, 0);
    assert_string_equal(f->a.v.run.output, "quickstart.h5");
}

/* ---- printing ---------------------------------------------------------------------------- */

static void round_trip(fixture *f, int with_origin)
{
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    assert_non_null(m);
    cfg_print(&f->a, m, with_origin);
    fclose(m);
    write_tmp(f, text, len);
    free(text);
    int n = cfg_load(f->path, NULL, 0, &f->b, &f->err);
    for (int k = 0; k < f->err.n; k++)
        print_error("%s\n", f->err.msg[k]);
    assert_int_equal(n, 0);
    assert_memory_equal(&f->a.v, &f->b.v, sizeof(cfg_t));
}

static void test_round_trip(void **state)
{
    fixture *f = *state;
    const char *sets[] = {"mcm.beta_u=0.1",
                          "mcm.beta_v=0.33333333333333331",
                          "mcm.skew_q=1e-300",
                          "diffusion.t=123.456789012345678",
                          "run.seed=4294967295",
                          "mcm.nu_law=skewed",
                          "diffusion.schedule=ve",
                          "run.output=a long/path name.h5",
                          "stats.n_samples=1000000000000"};
    int n_set = (int)(sizeof sets / sizeof sets[0]);
    assert_int_equal(load_text(f, "[mcm]\nd = 3, 1048575, 77\n", sets, n_set, &f->a), 0);
    assert_true(f->a.v.mcm.beta_v == 1.0 / 3.0);
    round_trip(f, 1);
    round_trip(f, 0);
    char path[512];
    assert_int_equal(
        cfg_load(src_path("input/reference.ini", path, sizeof path), NULL, 0, &f->a, &f->err), 0);
    round_trip(f, 1);
}

static void test_format_value(void **state)
{
    fixture *f = *state;
    char buf[256];
    const char *sets[] = {"mcm.beta_u=2.5", "mcm.coupling=sign"};
    assert_int_equal(load_text(f, "[mcm]\nd = 100,200\n", sets, 2, &f->a), 0);
    cfg_format_value(&f->a.v, cfg_find("mcm", "d"), buf, sizeof buf);
    assert_string_equal(buf, "100, 200");
    cfg_format_value(&f->a.v, cfg_find("mcm", "beta_u"), buf, sizeof buf);
    assert_string_equal(buf, "2.5");
    cfg_format_value(&f->a.v, cfg_find("diffusion", "beta_max"), buf, sizeof buf);
    assert_string_equal(buf, "20");
    cfg_format_value(&f->a.v, cfg_find("mcm", "coupling"), buf, sizeof buf);
    assert_string_equal(buf, "sign");
    cfg_format_value(&f->a.v, cfg_find("run", "output"), buf, sizeof buf);
    assert_string_equal(buf, "mcmsim.h5");
}

/* ---- errors ------------------------------------------------------------------------------ */

static void test_error_format(void **state)
{
    fixture *f = *state;
    char want[256];
    assert_int_equal(load_text(f, "[mcm]\nd = 100\nbeta_uu = 2\n", NULL, 0, &f->a), 1);
    snprintf(want, sizeof want, "%s:3: key 'mcm.beta_uu': unknown key (did you mean 'mcm.beta_u'?)",
             f->path);
    assert_true(strncmp(f->err.msg[0], want, strlen(want)) == 0);
    assert_int_equal(load_text(f, "[mcm]\nd = 100\nbeta_u = x\n", NULL, 0, &f->a), 1);
    snprintf(want, sizeof want,
             "%s:3: key 'mcm.beta_u': 'x' is not a number, expected a finite number in [0, 1e6]",
             f->path);
    assert_string_equal(f->err.msg[0], want);
    assert_int_equal(load_text(f, "[mcm]\n", NULL, 0, &f->a), 1);
    snprintf(want, sizeof want, "%s: missing required key 'mcm.d' (%s)", f->path,
             cfg_schema[cfg_find("mcm", "d")].help);
    assert_string_equal(f->err.msg[0], want);
}

static void test_errors_keys(void **state)
{
    fixture *f = *state;
    expect_error(f, "[mcm]\nd = 100\nfoo = 1\n", NULL, "key 'mcm.foo': unknown key, expected");
    expect_error(f, "[mcm]\nd = 100\nskewq = 1\n", NULL, "did you mean 'mcm.skew_q'");
    expect_error(f, "[mcm]\nd = 100\nt = 1\n", NULL, "did you mean 'diffusion.t'");
    expect_error(f, "[mcm]\nd = 100\n[mmc]\nx = 1\n", NULL, "unknown section [mmc] (did you");
    expect_error(f, "[mcm]\nd = 100\n[zzzzzz]\n", NULL, "unknown section [zzzzzz], expected");
    expect_error(f, "d = 100\n[mcm]\nd = 100\n", NULL, ":1: key 'd' lies outside any section");
    expect_error(f, "[mcm]\nd = 100\nbeta_u = 1\nbeta_u = 2\n", NULL,
                 ":4: key 'mcm.beta_u': duplicate key, already set on line 3");
    expect_error(f, "[mcm]\nd = 100\nbeta_u 1\n", NULL, ":3: 'beta_u 1' is not a setting");
    expect_error(f, "[mcm]\nd = 100\n= 1\n", NULL, ":3: '= 1' is not a setting");
    expect_error(f, "[mcm\nd = 100\n", NULL, ":1: section header '[mcm' lacks its closing");
    expect_error(f, "[mcm]\nbeta_u = 1\n", NULL, "missing required key 'mcm.d'");
    expect_error(f, "[mcm]\nd = 100\n", "mcm.beta_w=1", "command line: --set mcm.beta_w=1: key");
    expect_error(f, "[mcm]\nd = 100\n", "mcm.beta_u", "--set mcm.beta_u: missing '='");
    expect_error(f, "[mcm]\nd = 100\n", "beta_u=1", "the key has no section");
    expect_error(f, "[mcm]\nd = 100\n", "mcm.beta_u=abc", "'abc' is not a number");
}

static void test_errors_values(void **state)
{
    fixture *f = *state;
    const char *m = "[mcm]\nd = 100\n";
    char text[256];
#define VALUE_ERROR(line, fragment)                                                                \
    do {                                                                                           \
        snprintf(text, sizeof text, "%s%s\n", m, line);                                            \
        expect_error(f, text, NULL, fragment);                                                     \
    } while (0)
    VALUE_ERROR("[stats]\nn_samples = 1e5x", "'1e5x' is not an integer, expected an integer");
    VALUE_ERROR("[stats]\nn_samples = 1e5", "'1e5' is not an integer");
    VALUE_ERROR("[stats]\nbins = 1.5", "'1.5' is not an integer");
    VALUE_ERROR("[stats]\nbins = ", "key 'stats.bins': empty value");
    VALUE_ERROR("[stats]\nbins = 1", "1 is out of range, expected an integer in [2, 10000]");
    VALUE_ERROR("[stats]\nn_samples = 99999999999999999999", "overflows a 64-bit integer");
    VALUE_ERROR("beta_u = nan", "'nan' is not a finite number");
    VALUE_ERROR("beta_u = -inf", "'-inf' is not a finite number");
    VALUE_ERROR("beta_u = 1e400", "'1e400' overflows a double");
    VALUE_ERROR("beta_u = 2x", "'2x' is not a number");
    VALUE_ERROR("beta_u =", "key 'mcm.beta_u': empty value");
    VALUE_ERROR("beta_u = 1e7", "1e7 is out of range, expected a finite number in [0, 1e6]");
    VALUE_ERROR("skew_q = 1", "1 is out of range, expected a finite number in (0, 1)");
    VALUE_ERROR("skew_q = 0", "0 is out of range, expected a finite number in (0, 1)");
    VALUE_ERROR("nu_law = cauchy", "'cauchy' is not allowed, expected one of "
                                   "rademacher/skewed/gaussian");
    VALUE_ERROR("nu_law = Gaussian", "did you mean 'gaussian'");
    VALUE_ERROR("[run]\nseed = 4294967296", "key 'run.seed': 4294967296 is out of range");
    VALUE_ERROR("[run]\nseed = -1", "key 'run.seed': -1 is out of range");
    VALUE_ERROR("[run]\noutput = a;b", "contains ';' or '#'");
#undef VALUE_ERROR
    expect_error(f, "[mcm]\nd = 100,,200\n", NULL, "element 2: empty value");
    expect_error(f, "[mcm]\nd = 100,\n", NULL, "element 2: empty value");
    expect_error(f, "[mcm]\nd = 2\n", NULL, "element 1: 2 is out of range");
    expect_error(f, "[mcm]\nd = 1048576\n", NULL, "element 1: 1048576 is out of range");
    expect_error(f, "[mcm]\nd = -100\n", NULL, "element 1: -100 is out of range");
    expect_error(f, "[mcm]\nd = 100 200\n", NULL, "element 1: '100 200' is not an integer");
}

static void test_errors_cross(void **state)
{
    fixture *f = *state;
    expect_error(f, "[mcm]\nd = 100, 200, 100\n", NULL, "value 100 appears twice");
    expect_error(f, "[mcm]\nd = 100\nnu_law = gaussian\ncoupling = sign\n", NULL,
                 "needs mcm.nu_law = rademacher");
    expect_error(f, "[mcm]\nd = 100\n[diffusion]\nbeta_min = 2\nbeta_max = 1\n", NULL,
                 "1 is below diffusion.beta_min = 2");
    expect_error(f, "[mcm]\nd = 100\n[diffusion]\nschedule = ddpm\nt = 2\n", NULL,
                 ":5: key 'diffusion.t': 2 lies outside the ddpm time interval");
    expect_error(f, "[mcm]\nd = 100\n[sample]\ntask = 1\n", NULL, "expected 0 <= task <= 0");
    /* allowed combinations */
    assert_int_equal(
        load_text(f, "[mcm]\nd = 100\ncoupling = sign\n[diffusion]\nt = 2\n", NULL, 0, &f->a), 0);
    const char *sets[] = {"run.n_seeds=3", "sample.task=5", "diffusion.schedule=ddpm",
                          "diffusion.t=1"};
    assert_int_equal(load_text(f, "[mcm]\nd = 100, 200\n", sets, 4, &f->a), 0);
}

static void test_errors_file(void **state)
{
    fixture *f = *state;
    assert_int_equal(cfg_load("/nonexistent/x.ini", NULL, 0, &f->a, &f->err), 1);
    assert_non_null(strstr(f->err.msg[0], "cannot open"));
    write_tmp(f, "", 0);
    assert_int_equal(cfg_load(f->path, NULL, 0, &f->a, &f->err), 1);
    assert_non_null(strstr(f->err.msg[0], "empty file"));
    static const char bin[] = "[mcm]\nd = 1\0\0\xff";
    write_tmp(f, bin, sizeof bin - 1);
    assert_int_equal(cfg_load(f->path, NULL, 0, &f->a, &f->err), 1);
    assert_non_null(strstr(f->err.msg[0], ":2: not a text file (binary byte 0x00"));
    static const char latin1[] = "[mcm]\n# caf\xe9\nd = 100\n";
    write_tmp(f, latin1, sizeof latin1 - 1);
    assert_int_equal(cfg_load(f->path, NULL, 0, &f->a, &f->err), 1);
    assert_non_null(strstr(f->err.msg[0], ":2: not a text file"));
    /* UTF-8 in comments is text */
    assert_int_equal(
        load_text(f, "# caf\xc3\xa9 \xe2\x80\x94 ok\n[mcm]\nd = 100\n", NULL, 0, &f->a), 0);
}

/* All errors are collected, in file order, then overrides, then missing keys. */
static void test_errors_collected(void **state)
{
    fixture *f = *state;
    const char *sets[] = {"stats.bins=x"};
    int n =
        load_text(f, "[mcm]\nbeta_u = x\nfoo = 1\n[nope]\n[diffusion]\nt = -1\n", sets, 1, &f->a);
    assert_int_equal(n, 6);
    assert_non_null(strstr(f->err.msg[0], ":2: key 'mcm.beta_u'"));
    assert_non_null(strstr(f->err.msg[1], ":3: key 'mcm.foo'"));
    assert_non_null(strstr(f->err.msg[2], ":4: unknown section [nope]"));
    assert_non_null(strstr(f->err.msg[3], ":6: key 'diffusion.t'"));
    assert_non_null(strstr(f->err.msg[4], "command line: --set stats.bins=x"));
    assert_non_null(strstr(f->err.msg[5], "missing required key 'mcm.d'"));
    /* the list is capped, and says so */
    char big[8192] = "[mcm]\nd = 100\n";
    for (int k = 0; k < 100; k++)
        snprintf(big + strlen(big), sizeof big - strlen(big), "x%d = 1\n", k);
    assert_int_equal(load_text(f, big, NULL, 0, &f->a), CFG_ERR_MAX);
    assert_non_null(strstr(f->err.msg[CFG_ERR_MAX - 1], "too many errors"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schema_table),
        cmocka_unit_test(test_enum_names),
        cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_overrides, setup, teardown),
        cmocka_unit_test_setup_teardown(test_syntax_variants, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reference_ini, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quickstart_ini, setup, teardown),
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_format_value, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_format, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors_cross, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors_collected, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
