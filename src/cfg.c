/* cfg — reading, parsing, validating, printing and broadcasting the configuration.
 *
 * inih does the INI tokenising, but its Debian build calls the handler without line numbers,
 * continues values onto indented lines and knows only ';' inline comments. So inih reads
 * through our own line reader (reader_next), which counts lines, strips '#' and ';' comments,
 * removes leading blanks (no accidental continuation lines) and reports the syntax errors inih
 * would only count. The handler then knows the line of every key it sees. */
#include "cfg.h"
#include "log.h"

#include <errno.h>
#include <ini.h>
#include <math.h>
#include <mpi.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Longest value accepted on one line: a full list of CFG_LIST_MAX dimensions fits easily. */
enum { LINE_MAX_CHARS = 4096 };

void cfg_error_add(cfg_errors *err, const char *fmt, ...)
{
    if (err->n >= CFG_ERR_MAX) return;
    if (err->n == CFG_ERR_MAX - 1) { /* keep the last slot to say the list is cut */
        snprintf(err->msg[err->n++], CFG_ERR_LEN, "too many errors; the rest are not listed");
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg[err->n++], CFG_ERR_LEN, fmt, ap);
    va_end(ap);
}

/* ---- values ---------------------------------------------------------------------------- */

/* Shortest "%.*g" that reads back as the same double, so printed configs round-trip. */
static void fmt_double(double x, char *buf, size_t len)
{
    if (x == floor(x) && fabs(x) < 1e15) { /* 20, not 2e+01 */
        snprintf(buf, len, "%.0f", x);
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, len, "%.*g", prec, x);
        if (strtod(buf, NULL) == x) return;
    }
}

/* Range bounds as people write them: 1048575, 0.5, and 1e6 for numbers. Integer bounds keep
 * all digits, since integer values may not use exponents. */
static void fmt_bound(double x, int exponent_ok, char *buf, size_t len)
{
    fmt_double(x, buf, len);
    size_t n = strlen(buf), zeros = 0;
    while (zeros < n && buf[n - 1 - zeros] == '0')
        zeros++;
    if (exponent_ok && x == floor(x) && n >= 7 && zeros >= 6) /* 1000000 -> 1e6 */
        snprintf(buf + (n - zeros), len - (n - zeros), "e%d", (int)zeros);
}

static void describe_range(const cfg_entry *e, char *buf, size_t len)
{
    char lo[32], hi[32];
    int exponent_ok = e->type == CFG_DOUBLE || e->type == CFG_DOUBLE_LIST;
    fmt_bound(e->min, exponent_ok, lo, sizeof lo);
    fmt_bound(e->max, exponent_ok, hi, sizeof hi);
    snprintf(buf, len, "%c%s, %s%c", e->flags & CFG_OPEN_MIN ? '(' : '[', lo, hi,
             e->flags & CFG_OPEN_MAX ? ')' : ']');
}

/* The "expected ..." part of an error message for entry e. */
static void describe_expected(const cfg_entry *e, char *buf, size_t len)
{
    char r[80], names[CFG_STR_MAX];
    describe_range(e, r, sizeof r);
    switch (e->type) {
    case CFG_INT:
        snprintf(buf, len, "an integer in %s", r);
        break;
    case CFG_DOUBLE:
        snprintf(buf, len, "a finite number in %s", r);
        break;
    case CFG_BOOL:
        snprintf(buf, len, "true or false (or yes/no, on/off, 1/0)");
        break;
    case CFG_STRING:
        snprintf(buf, len, "a text of 1 to %d characters without ';' or '#'", CFG_STR_MAX - 1);
        break;
    case CFG_ENUM:
        snprintf(names, sizeof names, "%s", e->enums);
        for (char *p = names; (p = strchr(p, '|'));)
            *p = '/';
        snprintf(buf, len, "one of %s", names);
        break;
    case CFG_INT_LIST:
    case CFG_DOUBLE_LIST:
        snprintf(buf, len, "a comma-separated list of 1 to %d %s, each in %s", CFG_LIST_MAX,
                 e->type == CFG_INT_LIST ? "integers" : "numbers", r);
        break;
    }
}

static int in_range(const cfg_entry *e, double x)
{
    int lo_ok = e->flags & CFG_OPEN_MIN ? x > e->min : x >= e->min;
    int hi_ok = e->flags & CFG_OPEN_MAX ? x < e->max : x <= e->max;
    return lo_ok && hi_ok;
}

static int parse_long(const cfg_entry *e, const char *s, long *out, char *why, size_t n)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (!*s) return snprintf(why, n, "empty value"), -1;
    if (end == s || *end) {
        double x = strtod(s, &end); /* "1e5": say how to write it */
        if (!*end && x == floor(x) && fabs(x) < 1e18)
            return snprintf(why, n, "'%s' is not an integer (write %.0f)", s, x), -1;
        return snprintf(why, n, "'%s' is not an integer", s), -1;
    }
    if (errno == ERANGE) return snprintf(why, n, "'%s' overflows a 64-bit integer", s), -1;
    if (!in_range(e, (double)v)) return snprintf(why, n, "%lld is out of range", v), -1;
    *out = (long)v;
    return 0;
}

static int parse_double(const cfg_entry *e, const char *s, double *out, char *why, size_t n)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (!*s) return snprintf(why, n, "empty value"), -1;
    if (end == s || *end) return snprintf(why, n, "'%s' is not a number", s), -1;
    if (errno == ERANGE && fabs(v) > 1) return snprintf(why, n, "'%s' overflows a double", s), -1;
    if (errno == ERANGE) return snprintf(why, n, "'%s' underflows a double", s), -1;
    if (!isfinite(v)) return snprintf(why, n, "'%s' is not a finite number", s), -1;
    if (!in_range(e, v)) return snprintf(why, n, "%s is out of range", s), -1;
    *out = v;
    return 0;
}

static int parse_bool(const char *s, int *out, char *why, size_t n)
{
    static const char *const yes[] = {"true", "yes", "on", "1"}, *const no[] = {"false", "no",
                                                                                "off", "0"};
    for (int k = 0; k < 4; k++) {
        if (strcasecmp(s, yes[k]) == 0) return *out = 1, 0;
        if (strcasecmp(s, no[k]) == 0) return *out = 0, 0;
    }
    snprintf(why, n, *s ? "'%s' is not a boolean" : "empty value", s);
    return -1;
}

static int parse_enum(int i, const char *s, int *out, char *why, size_t n)
{
    char name[CFG_STR_MAX];
    int best = -1, best_d = 1 << 30;
    for (int k = 0; strcmp(cfg_enum_name(i, k, name, sizeof name), "?") != 0; k++) {
        if (strcmp(s, name) == 0) return *out = k, 0;
        int dist = cfg_distance(s, name);
        if (dist < best_d) best = k, best_d = dist;
    }
    if (!*s) return snprintf(why, n, "empty value"), -1;
    if (best_d <= 2 && best_d < (int)strlen(s))
        return snprintf(why, n, "'%s' is not allowed (did you mean '%s'?)", s,
                        cfg_enum_name(i, best, name, sizeof name)),
               -1;
    return snprintf(why, n, "'%s' is not allowed", s), -1;
}

static int parse_string(const char *s, char *out, char *why, size_t n)
{
    if (!*s) return snprintf(why, n, "empty value"), -1;
    if (strlen(s) >= CFG_STR_MAX) return snprintf(why, n, "text is too long"), -1;
    if (strpbrk(s, ";#")) return snprintf(why, n, "'%s' contains ';' or '#'", s), -1;
    memset(out, 0, CFG_STR_MAX); /* no stale bytes, so resolved structs compare with memcmp */
    memcpy(out, s, strlen(s));
    return 0;
}

static void trim(char *s)
{
    size_t a = strspn(s, " \t"), n = strlen(s);
    while (n > a && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    memmove(s, s + a, n - a);
    s[n - a] = '\0';
}

static int parse_list(const cfg_entry *e, const char *s, void *field, char *why, size_t n)
{
    cfg_int_list il = {0};
    cfg_double_list dl = {0};
    char buf[LINE_MAX_CHARS], sub[CFG_ERR_LEN / 2];
    if (!*s) return snprintf(why, n, "empty value"), -1;
    if (strlen(s) >= sizeof buf) return snprintf(why, n, "list is too long"), -1;
    strcpy(buf, s);
    int k = 0;
    for (char *p = buf, *next; p; p = next, k++) {
        next = strchr(p, ',');
        if (next) *next++ = '\0';
        trim(p);
        if (k == CFG_LIST_MAX) return snprintf(why, n, "more than %d elements", CFG_LIST_MAX), -1;
        int bad = e->type == CFG_INT_LIST ? parse_long(e, p, &il.v[k], sub, sizeof sub)
                                          : parse_double(e, p, &dl.v[k], sub, sizeof sub);
        if (bad) return snprintf(why, n, "element %d: %s", k + 1, sub), -1;
    }
    il.n = dl.n = k;
    if (e->type == CFG_INT_LIST)
        memcpy(field, &il, sizeof il);
    else
        memcpy(field, &dl, sizeof dl);
    return 0;
}

static void store_int(void *field, size_t size, long v)
{
    if (size == sizeof(int)) {
        int x = (int)v;
        memcpy(field, &x, sizeof x);
    } else {
        memcpy(field, &v, sizeof v);
    }
}

static long load_int(const void *field, size_t size)
{
    if (size == sizeof(int)) {
        int x;
        memcpy(&x, field, sizeof x);
        return x;
    }
    long v;
    memcpy(&v, field, sizeof v);
    return v;
}

/* Parses `s` for entry i into v; on failure v is untouched and `why` says what was wrong. */
static int parse_entry(int i, const char *s, cfg_t *v, char *why, size_t n)
{
    const cfg_entry *e = &cfg_schema[i];
    char *field = (char *)v + e->offset;
    long l;
    double d;
    int b;
    switch (e->type) {
    case CFG_INT:
        if (parse_long(e, s, &l, why, n)) return -1;
        return store_int(field, e->size, l), 0;
    case CFG_DOUBLE:
        if (parse_double(e, s, &d, why, n)) return -1;
        return memcpy(field, &d, sizeof d), 0;
    case CFG_BOOL:
        if (parse_bool(s, &b, why, n)) return -1;
        return store_int(field, e->size, b), 0;
    case CFG_ENUM:
        if (parse_enum(i, s, &b, why, n)) return -1;
        return store_int(field, e->size, b), 0;
    case CFG_STRING:
        return parse_string(s, field, why, n);
    case CFG_INT_LIST:
    case CFG_DOUBLE_LIST:
        return parse_list(e, s, field, why, n);
    }
    return -1;
}

static void fmt_list(const cfg_entry *e, const void *field, char *buf, size_t len)
{
    cfg_int_list il;
    cfg_double_list dl;
    memcpy(&il.n, field, sizeof il.n); /* both list types start with n */
    if (e->type == CFG_INT_LIST)
        memcpy(&il, field, sizeof il);
    else
        memcpy(&dl, field, sizeof dl);
    size_t used = 0;
    buf[0] = '\0';
    for (int k = 0; k < il.n && k < CFG_LIST_MAX && used < len; k++) {
        char one[32];
        if (e->type == CFG_INT_LIST)
            snprintf(one, sizeof one, "%ld", il.v[k]);
        else
            fmt_double(dl.v[k], one, sizeof one);
        used += (size_t)snprintf(buf + used, len - used, "%s%s", k ? ", " : "", one);
    }
}

void cfg_format_value(const cfg_t *v, int i, char *buf, size_t len)
{
    const cfg_entry *e = &cfg_schema[i];
    const char *field = (const char *)v + e->offset;
    double d;
    switch (e->type) {
    case CFG_INT:
        snprintf(buf, len, "%ld", load_int(field, e->size));
        break;
    case CFG_DOUBLE:
        memcpy(&d, field, sizeof d);
        fmt_double(d, buf, len);
        break;
    case CFG_BOOL:
        snprintf(buf, len, "%s", load_int(field, e->size) ? "true" : "false");
        break;
    case CFG_ENUM:
        cfg_enum_name(i, (int)load_int(field, e->size), buf, len);
        break;
    case CFG_STRING:
        snprintf(buf, len, "%s", field);
        break;
    case CFG_INT_LIST:
    case CFG_DOUBLE_LIST:
        fmt_list(e, field, buf, len);
        break;
    }
}

/* ---- reading the file ------------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at p (1 to 4), 0 when the bytes are not UTF-8. */
static int utf8_seq(const unsigned char *p, size_t avail)
{
    int len = p[0] >= 0xF0 && p[0] <= 0xF4 ? 4 : p[0] >= 0xE0 ? 3 : p[0] >= 0xC2 ? 2 : 0;
    if (len == 0 || (size_t)len > avail) return 0;
    for (int k = 1; k < len; k++)
        if ((p[k] & 0xC0) != 0x80) return 0;
    if ((p[0] == 0xE0 && p[1] < 0xA0) || (p[0] == 0xED && p[1] > 0x9F) ||
        (p[0] == 0xF0 && p[1] < 0x90) || (p[0] == 0xF4 && p[1] > 0x8F))
        return 0; /* overlong forms, surrogates, beyond U+10FFFF */
    return len;
}

/* Binary files (a checkpoint or an HDF5 file passed by mistake) get one clear message instead
 * of a flood of syntax errors. */
static int check_text(const char *path, const char *raw, size_t n, cfg_errors *err)
{
    const unsigned char *u = (const unsigned char *)raw;
    int line = 1;
    for (size_t k = 0; k < n;) {
        unsigned char ch = u[k];
        int len = ch < 0x80 ? 1 : utf8_seq(u + k, n - k);
        int control = ch == 0 || ch == 0x7f || (ch < 0x20 && !strchr("\t\n\r\f\v", ch));
        if (len == 0 || control) {
            cfg_error_add(err,
                          "%s:%d: not a text file (binary byte 0x%02x at offset %zu), expected "
                          "an INI configuration in UTF-8 text",
                          path, line, ch, k);
            return -1;
        }
        line += ch == '\n';
        k += (size_t)len;
    }
    return 0;
}

static int read_file(const char *path, cfg_resolved *out, cfg_errors *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        cfg_error_add(err, "%s: cannot open the configuration file: %s", path, strerror(errno));
        return -1;
    }
    size_t n = fread(out->raw, 1, CFG_RAW_MAX - 1, f);
    int bad = ferror(f), errno_read = errno;
    int more = !bad && n == CFG_RAW_MAX - 1 && fgetc(f) != EOF;
    fclose(f);
    out->raw[n] = '\0';
    if (bad)
        cfg_error_add(err, "%s: cannot read the file: %s", path, strerror(errno_read));
    else if (more)
        cfg_error_add(err, "%s: file is larger than %d bytes, expected a small INI text file", path,
                      CFG_RAW_MAX - 1);
    else if (n == 0)
        cfg_error_add(err,
                      "%s: empty file, expected an INI configuration (see "
                      "input/reference.ini); at least [mcm] d = ...",
                      path);
    else
        return check_text(path, out->raw, n, err);
    return -1;
}

/* ---- the line reader and handler for inih ----------------------------------------------- */

enum { SEC_NONE, SEC_KNOWN, SEC_SKIP };

typedef struct {
    cfg_resolved *out;
    cfg_errors *err;
    const char *pos, *end; /* unread part of out->raw */
    int line, section_state;
    char value[LINE_MAX_CHARS]; /* value of the current line, trimmed, comment removed */
    int seen[CFG_MAX_KEYS];     /* file line that set key i, 0 when none */
    unsigned char set[CFG_MAX_KEYS], ok[CFG_MAX_KEYS];
} load_ctx;

static int is_blank(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\f' || ch == '\v';
}

/* '#' or ';' at the start or after a blank opens a comment, so "a#b.h5" stays a file name. */
static const char *comment_start(const char *a, const char *b)
{
    for (const char *p = a; p < b; p++)
        if ((*p == '#' || *p == ';') && (p == a || is_blank(p[-1]))) return p;
    return b;
}

static char *section_line(load_ctx *c, const char *a, const char *b, char *str, int num)
{
    const char *file = c->out->file;
    c->section_state = SEC_SKIP; /* keys under a broken header would only add noise */
    if (b[-1] != ']') {
        cfg_error_add(c->err,
                      "%s:%d: section header '%.*s' lacks its closing ']', expected "
                      "[section]",
                      file, c->line, (int)(b - a > 60 ? 60 : b - a), a);
        return str;
    }
    char name[64], all[128];
    snprintf(name, sizeof name, "%.*s", (int)(b - a - 2), a + 1);
    trim(name);
    if (!cfg_section_known(name)) {
        const char *sug = cfg_suggest_section(name);
        cfg_list_sections(all, sizeof all);
        cfg_error_add(c->err, "%s:%d: unknown section [%s]%s%s%s, expected one of %s", file,
                      c->line, name, sug ? " (did you mean [" : "", sug ? sug : "",
                      sug ? "]?)" : "", all);
        return str;
    }
    c->section_state = SEC_KNOWN;
    snprintf(str, (size_t)num, "[%s]\n", name);
    return str;
}

/* inih's reader: one physical line per call. inih gets "key=" only and the handler takes the
 * value from c->value: Debian's inih keeps lines in a fixed 200-byte buffer and would silently
 * cut a long list of dimensions. */
static char *reader_next(char *str, int num, void *stream)
{
    load_ctx *c = stream;
    if (c->pos >= c->end) return NULL;
    const char *nl = memchr(c->pos, '\n', (size_t)(c->end - c->pos));
    const char *a = c->pos, *b = nl ? nl : c->end;
    c->pos = nl ? nl + 1 : c->end;
    c->line++;
    if (c->line == 1 && b - a >= 3 && memcmp(a, "\xEF\xBB\xBF", 3) == 0) a += 3; /* BOM */
    while (a < b && is_blank(*a))
        a++; /* no leading blank: inih sees no continuation lines */
    b = comment_start(a, b);
    while (b > a && is_blank(b[-1]))
        b--;
    snprintf(str, (size_t)num, "\n"); /* what inih sees of blank, comment and rejected lines */
    if (a == b) return str;
    if (*a == '[') return section_line(c, a, b, str, num);
    const char *eq = memchr(a, '=', (size_t)(b - a));
    int shown = (int)(b - a > 60 ? 60 : b - a);
    if (!eq || eq == a) {
        cfg_error_add(c->err,
                      "%s:%d: '%.*s' is not a setting, expected 'key = value' or "
                      "'[section]'",
                      c->out->file, c->line, shown, a);
    } else if (eq - a > num - 3 || b - eq > LINE_MAX_CHARS) {
        cfg_error_add(c->err, "%s:%d: line too long (%d characters), expected at most %d",
                      c->out->file, c->line, (int)(b - a), LINE_MAX_CHARS);
    } else {
        snprintf(c->value, sizeof c->value, "%.*s", (int)(b - eq - 1), eq + 1);
        trim(c->value);
        snprintf(str, (size_t)num, "%.*s=\n", (int)(eq - a), a);
    }
    return str;
}

/* Parses the value of key i and records the error with the given prefix ("FILE:LINE" or
 * "command line: --set ..."). */
static void take_value(load_ctx *c, int i, const char *value, const char *prefix)
{
    char why[CFG_ERR_LEN], expected[CFG_ERR_LEN];
    if (parse_entry(i, value, &c->out->v, why, sizeof why) == 0) {
        c->ok[i] = 1;
        return;
    }
    c->ok[i] = 0;
    describe_expected(&cfg_schema[i], expected, sizeof expected);
    cfg_error_add(c->err, "%s: key '%s.%s': %s, expected %s", prefix, cfg_schema[i].section,
                  cfg_schema[i].key, why, expected);
}

static int on_key(void *user, const char *section, const char *name, const char *unused)
{
    (void)unused; /* the value comes from c->value, see reader_next */
    load_ctx *c = user;
    char where[CFG_ORIGIN_MAX], text[CFG_ERR_LEN];
    snprintf(where, sizeof where, "%s:%d", c->out->file, c->line);
    if (c->section_state == SEC_SKIP) return 1;
    if (c->section_state == SEC_NONE) {
        int s = cfg_suggest_key("", name);
        cfg_error_add(c->err,
                      "%s: key '%s' lies outside any section%s%s%s, expected a "
                      "[section] header above it",
                      where, name, s >= 0 ? " (did you mean [" : "",
                      s >= 0 ? cfg_schema[s].section : "", s >= 0 ? "]?)" : "");
        return 1;
    }
    int i = cfg_find(section, name);
    if (i < 0) {
        cfg_unknown_key_text(section, name, text, sizeof text);
        cfg_error_add(c->err, "%s: key '%s.%s': %s", where, section, name, text);
    } else if (c->seen[i]) {
        cfg_error_add(c->err,
                      "%s: key '%s.%s': duplicate key, already set on line %d, "
                      "expected each key once",
                      where, section, name, c->seen[i]);
    } else {
        c->seen[i] = c->line;
        snprintf(c->out->origin[i], CFG_ORIGIN_MAX, "%s", where);
        take_value(c, i, c->value, where);
    }
    return 1;
}

/* ---- overrides, defaults, the whole load ------------------------------------------------ */

static void apply_set(load_ctx *c, const char *arg)
{
    char buf[LINE_MAX_CHARS], prefix[CFG_ERR_LEN], text[CFG_ERR_LEN];
    snprintf(prefix, sizeof prefix, "command line: --set %.200s", arg);
    if (strlen(arg) >= sizeof buf) {
        cfg_error_add(c->err, "%s: argument too long", prefix);
        return;
    }
    strcpy(buf, arg);
    char *eq = strchr(buf, '='), *dot = strchr(buf, '.');
    if (!eq || !dot || dot > eq) {
        cfg_error_add(c->err, "%s: %s, expected --set section.key=value", prefix,
                      eq ? "the key has no section" : "missing '='");
        return;
    }
    *eq = *dot = '\0';
    char *section = buf, *key = dot + 1, *value = eq + 1;
    trim(section), trim(key), trim(value);
    int i = cfg_find(section, key);
    if (i < 0) {
        cfg_unknown_key_text(section, key, text, sizeof text);
        cfg_error_add(c->err, "%s: key '%s.%s': %s", prefix, section, key, text);
    } else if (c->set[i]) {
        cfg_error_add(c->err, "%s: key '%s.%s' is given twice with --set, expected it once", prefix,
                      section, key);
    } else {
        c->set[i] = 1;
        snprintf(c->out->origin[i], CFG_ORIGIN_MAX, "command line");
        take_value(c, i, value, prefix);
    }
}

static void fill_defaults(load_ctx *c)
{
    for (int i = 0; i < cfg_schema_n; i++) {
        const cfg_entry *e = &cfg_schema[i];
        if (c->seen[i] || c->set[i]) continue;
        if (!e->def) {
            cfg_error_add(c->err, "%s: missing required key '%s.%s' (%s)", c->out->file, e->section,
                          e->key, e->help);
            continue;
        }
        snprintf(c->out->origin[i], CFG_ORIGIN_MAX, "default");
        take_value(c, i, e->def, "internal error: schema default");
    }
}

int cfg_load(const char *path, const char *const *sets, int n_set, cfg_resolved *out,
             cfg_errors *err)
{
    memset(out, 0, sizeof *out); /* padding too: resolved configs compare with memcmp */
    memset(err, 0, sizeof *err);
    load_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        cfg_error_add(err, "out of memory");
        return err->n;
    }
    c->out = out;
    c->err = err;
    snprintf(out->file, sizeof out->file, "%s", path ? path : "(no file)");
    if (path && strlen(path) >= sizeof out->file) {
        cfg_error_add(err, "%.100s...: path too long, expected at most %d characters", path,
                      CFG_STR_MAX - 1);
    } else if (!path || read_file(path, out, err) == 0) {
        c->pos = out->raw;
        c->end = out->raw + strlen(out->raw);
        int rc = ini_parse_stream(reader_next, c, on_key, c);
        if (rc != 0 && err->n == 0) cfg_error_add(err, "%s:%d: syntax error", out->file, rc);
        for (int k = 0; k < n_set; k++)
            apply_set(c, sets[k]);
        fill_defaults(c);
        cfg_check_cross(out, c->ok, err);
    }
    free(c);
    return err->n;
}

/* ---- output ----------------------------------------------------------------------------- */

void cfg_print(const cfg_resolved *c, FILE *f, int with_origin)
{
    char val[LINE_MAX_CHARS];
    fprintf(f, "# mcmsim configuration: every key, resolved (input/reference.ini explains "
               "them)\n");
    for (int i = 0; i < cfg_schema_n; i++) {
        const cfg_entry *e = &cfg_schema[i];
        if (i == 0 || strcmp(e->section, cfg_schema[i - 1].section) != 0)
            fprintf(f, "%s[%s]\n", i ? "\n" : "", e->section);
        cfg_format_value(&c->v, i, val, sizeof val);
        if (with_origin)
            fprintf(f, "%s = %s  # from %s\n", e->key, val, c->origin[i]);
        else
            fprintf(f, "%s = %s\n", e->key, val);
    }
}

/* ---- collective load -------------------------------------------------------------------- */

void cfg_load_bcast(const char *path, const char *const *sets, int n_set, cfg_resolved *out)
{
    int n_err = 0;
    if (log_rank() == 0) {
        cfg_errors *err = LOG_CALLOC(1, sizeof *err);
        n_err = cfg_load(path, sets, n_set, out, err);
        for (int k = 0; k < err->n; k++)
            fprintf(stderr, "mcmsim: error: %s\n", err->msg[k]);
        fflush(stderr);
        free(err);
    }
    LOG_MPI(MPI_Bcast(&n_err, 1, MPI_INT, 0, MPI_COMM_WORLD));
    if (n_err)
        LOG_DIE_COLL(LOG_EXIT_USAGE, "%d configuration error(s); see input/reference.ini", n_err);
    /* The struct holds no pointers, so one byte broadcast carries values, origins and text. */
    LOG_MPI(MPI_Bcast(out, (int)sizeof *out, MPI_BYTE, 0, MPI_COMM_WORLD));
    char val[LINE_MAX_CHARS];
    for (int i = 0; i < cfg_schema_n; i++)
        if (strcmp(out->origin[i], "command line") == 0) {
            cfg_format_value(&out->v, i, val, sizeof val);
            log_info("override: %s.%s = %s (command line)\n", cfg_schema[i].section,
                     cfg_schema[i].key, val);
        }
}
