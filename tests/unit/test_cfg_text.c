/* Unit tests of the configuration read from text in memory (cfg_load_text, the path the fuzzer
 * drives, tests/fuzz/) and of the reader's behaviour on the inputs the fuzzer found: one path
 * for files and text, overrides that are not text, messages that never cut a UTF-8 character,
 * a megabyte of mistyped keys, and the limits of a run accepted up to their bounds. The refused
 * inputs are in tests/bad_configs/. cfg_load is rank-local, so no MPI_Init is needed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "base/cfg.h"
#include "base/limits.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* cfg_resolved is > 1 MiB: tests keep two on the heap. */
typedef struct {
    cfg_resolved a, b;
    cfg_errors err, err_b;
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
    free(*state);
    return 0;
}

static int load(fixture *f, const char *text, const char *const *sets, int n_set)
{
    return cfg_load_text("t.ini", text, strlen(text), sets, n_set, &f->a, &f->err);
}

static int has_error(const cfg_errors *err, const char *fragment)
{
    for (int k = 0; k < err->n; k++)
        if (strstr(err->msg[k], fragment)) return 1;
    return 0;
}

/* 1 when s is whole UTF-8 characters (a cut one at the end included) and no control bytes. */
static int utf8_whole(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    while (*u) {
        int len = *u < 0x80 ? 1 : *u >= 0xF0 ? 4 : *u >= 0xE0 ? 3 : *u >= 0xC2 ? 2 : 0;
        if (len == 0 || (*u < 0x20 && *u != '\t')) return 0;
        for (int k = 1; k < len; k++)
            if ((u[k] & 0xC0) != 0x80) return 0;
        u += len;
    }
    return 1;
}

/* A file and the same bytes in memory give the same values, origins and errors. */
static void test_text_equals_file(void **state)
{
    fixture *f = *state;
    static const char *const texts[] = {
        "[run]\nn_seeds = 2\n[mcm]\nd = 100, 200\nbeta_u = 3 # c\n",
        "\xEF\xBB\xBF[mcm]\r\nd = 50\r\nbeta_v = x\r\n[nope]\nfoo = 1\n",
        "",
    };
    for (size_t k = 0; k < sizeof texts / sizeof texts[0]; k++) {
        char path[] = "/tmp/test_cfg_text_XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        size_t n = strlen(texts[k]);
        assert_int_equal(write(fd, texts[k], n), (ssize_t)n);
        close(fd);
        const char *sets[] = {"stats.bins=30"};
        int n_file = cfg_load(path, sets, 1, &f->b, &f->err_b);
        int n_text = cfg_load_text(path, texts[k], n, sets, 1, &f->a, &f->err);
        unlink(path);
        assert_int_equal(n_file, n_text);
        assert_memory_equal(&f->a, &f->b, sizeof f->a);
        assert_memory_equal(&f->err, &f->err_b, sizeof f->err);
    }
    /* embedded NUL bytes are seen, as in a file */
    static const char nul[] = "[mcm]\nd = 100\0\n";
    assert_int_equal(cfg_load_text("t.ini", nul, sizeof nul - 1, NULL, 0, &f->a, &f->err), 1);
    assert_true(has_error(&f->err, "t.ini:2: not a text file (binary byte 0x00"));
    /* no name: no text, only overrides and defaults */
    const char *only[] = {"mcm.d=5"};
    assert_int_equal(cfg_load_text(NULL, "junk", 4, only, 1, &f->a, &f->err), 0);
    assert_int_equal(f->a.v.mcm.d.v[0], 5);
}

/* An override that is not printable text is refused without echoing its bytes. */
static void test_set_not_text(void **state)
{
    fixture *f = *state;
    const char *sets[] = {"run.output=\x1b[2Jx.h5", "mcm.beta_u=\xff", "mcm.beta_v=2\n"};
    assert_int_equal(load(f, "[mcm]\nd = 100\n", sets, 3), 3);
    assert_string_equal(f->err.msg[0], "command line: --set argument 1: not UTF-8 text (byte 0x1b "
                                       "at offset 11), expected --set section.key=value in "
                                       "printable text");
    assert_true(has_error(&f->err, "--set argument 2: not UTF-8 text (byte 0xff at offset 11)"));
    assert_true(has_error(&f->err, "--set argument 3: not UTF-8 text (byte 0x0a at offset 12)"));
    /* UTF-8 is text: the value is checked as usual */
    const char *ok[] = {"run.output=r\xc3\xa9sultat.h5"};
    assert_int_equal(load(f, "[mcm]\nd = 100\n", ok, 1), 0);
    assert_string_equal(f->a.v.run.output, "r\xc3\xa9sultat.h5");
}

/* Quoted text is cut on character boundaries: at 60 bytes and at the message length. */
static void test_messages_cut_whole_characters(void **state)
{
    fixture *f = *state;
    char text[2048] = "[";
    for (int k = 0; k < 40; k++)
        strcat(text, "\xc3\xa9"); /* é: the 60-byte quote would end inside one */
    strcat(text, "\n[run]\nseed = ");
    for (int k = 0; k < 400; k++)
        strcat(text, "\xe2\x82\xac"); /* €: the message is cut at CFG_ERR_LEN */
    strcat(text, "\n[mcm]\nd = 100\n");
    assert_int_equal(load(f, text, NULL, 0), 2);
    assert_true(has_error(&f->err, "lacks its closing ']'"));
    assert_true(has_error(&f->err, "key 'run.seed'"));
    for (int k = 0; k < f->err.n; k++)
        assert_true(utf8_whole(f->err.msg[k]));
}

/* A megabyte of long mistyped keys: the list of errors is capped and says so (the suggestions
 * for messages that no longer fit are not computed). */
static void test_many_long_unknown_keys(void **state)
{
    fixture *f = *state;
    size_t cap = CFG_RAW_MAX - 1, used = 0;
    char *text = malloc(cap + 1);
    assert_non_null(text);
    used += (size_t)snprintf(text, cap, "[mcm]\nd = 100\n");
    for (int k = 0; used + 400 < cap; k++) {
        used += (size_t)snprintf(text + used, cap - used, "[x%d]\n[mcm]\n", k);
        used += (size_t)snprintf(text + used, cap - used, "%0120d = 1\n", k);
        used += (size_t)snprintf(text + used, cap - used, "beta_%060d = 1\n", k);
    }
    assert_int_equal(load(f, text, NULL, 0), CFG_ERR_MAX);
    assert_true(has_error(&f->err, ":3: unknown section [x0]"));
    assert_string_equal(f->err.msg[CFG_ERR_MAX - 1], "too many errors; the rest are not listed");
    free(text);
    /* short typos keep their suggestions */
    assert_int_equal(load(f, "[mcm]\nd = 100\nbtea_u = 1\n[diffuson]\n", NULL, 0), 2);
    assert_true(has_error(&f->err, "did you mean 'mcm.beta_u'?"));
    assert_true(has_error(&f->err, "did you mean [diffusion]?"));
}

/* The limits of a run are accepted up to their bounds, and numbers down to the smallest normal
 * double. */
static void test_limits_accepted(void **state)
{
    fixture *f = *state;
    char text[1024] = "[run]\nn_seeds = 4096\n[mcm]\nd = 100, 200, 300, 400\n[sweep]\nbeta_u = ";
    for (int k = 0; k < 64; k++)
        snprintf(text + strlen(text), sizeof text - strlen(text), "%s%d", k ? ", " : "", k);
    strcat(text, "\n");
    assert_int_equal(load(f, text, NULL, 0), 0); /* 4 x 4096 x 64 = 2^20 tasks */
    const char *more[] = {"sweep.t=0.5, 1"};
    assert_int_equal(load(f, text, more, 1), 1);
    assert_true(has_error(&f->err, "= 2097152 tasks, expected at most 1048576 tasks per run"));

    const char *budget[] = {"train.steps_alpha=1e15", "train.steps_power=0", "train.data=finite",
                            "train.n_train_alpha=1e12", "train.n_train_power=1"};
    assert_int_equal(load(f, "[mcm]\nd = 1000\n", budget, 5), 0); /* both exactly 1e15 */
    assert_int_equal(load(f, "[mcm]\nd = 1001\n", budget, 5), 1);
    assert_true(has_error(&f->err, "key 'train.n_train_alpha': the training set"));

    assert_int_equal(
        load(f, "[mcm]\nd = 100\nbeta_u = 2.2250738585072014e-308\nbeta_v = -0\n", NULL, 0), 0);
    assert_int_equal(load(f, "[mcm]\nd = 100\nbeta_u = 2.2250738585072011e-308\n", NULL, 0), 1);
    assert_true(has_error(&f->err, "underflows a double"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_text_equals_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_not_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_messages_cut_whole_characters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_long_unknown_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limits_accepted, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
