/* cfg — reading, parsing, validating, printing and broadcasting the configuration.
 *
 * inih does the INI tokenising, but its Debian build calls the handler without line numbers,
 * continues values onto indented lines and knows only ';' inline comments. So inih reads
 * through our own line reader (reader_next), which counts lines, strips '#' and ';' comments,
 * removes leading blanks (no accidental continuation lines) and reports the syntax errors inih
 * would only count. The handler then knows the line of every key it sees. */
#include "cfg_internal.h"
#include "base/log.h"

#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* CFG_LINE_MAX: longest value accepted on one line (include/cfg.h). */

/* The next free message of the list, NULL when it is full. */
static char *cfg_error_next(cfg_errors *err)
{
    if (err->n >= CFG_ERR_MAX) return NULL;
    if (err->n == CFG_ERR_MAX - 1) { /* keep the last slot to say the list is cut */
        snprintf(err->msg[err->n++], CFG_ERR_LEN, "too many errors; the rest are not listed");
        return NULL;
    }
    return err->msg[err->n++];
}

int cfg_errors_full(const cfg_errors *err)
{
    return err->n >= CFG_ERR_MAX;
}

/* A message cut at CFG_ERR_LEN may end inside a UTF-8 character: drop that partial one. */
static void utf8_cut_tail(char *s)
{
    size_t n = strlen(s), k = n;
    while (k > 0 && n - k < 4 && ((unsigned char)s[k - 1] & 0xC0) == 0x80)
        k--;
    if (k == 0) return;
    unsigned char lead = (unsigned char)s[k - 1];
    size_t want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (n - (k - 1) < want) s[k - 1] = '\0';
}

int cfg_utf8_prefix(const char *s, size_t n, int max)
{
    if (n <= (size_t)max) return (int)n;
    int k = max;
    while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
        k--;
    return k;
}

void cfg_error_add(cfg_errors *err, const char *fmt, ...)
{
    char *msg = cfg_error_next(err);
    if (!msg) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, CFG_ERR_LEN, fmt, ap);
    va_end(ap);
    utf8_cut_tail(msg);
}

void cfg_error_key(cfg_errors *err, const char *where, const char *section, const char *key,
                   const char *fmt, ...)
{
    char *msg = cfg_error_next(err);
    if (!msg) return;
    va_list ap;
    va_start(ap, fmt);
    log_key_vmsg(msg, CFG_ERR_LEN, where, section, key, fmt, ap);
    va_end(ap);
    utf8_cut_tail(msg);
}

void cfg_key_error(char *buf, size_t len, const cfg_resolved *c, int i, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_key_vmsg(buf, len, cfg_where(c, i), cfg_schema[i].section, cfg_schema[i].key, fmt, ap);
    va_end(ap);
}

void cfg_die_key(const cfg_resolved *c, int i, const char *fmt, ...)
{
    char msg[2 * CFG_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    log_key_vmsg(msg, sizeof msg, cfg_where(c, i), cfg_schema[i].section, cfg_schema[i].key, fmt,
                 ap);
    va_end(ap);
    LOG_DIE_COLL(LOG_EXIT_USAGE, "%s", msg);
}

/* ---- reading the file ------------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at p (1 to 4), 0 when the bytes are not UTF-8. */
static int utf8_seq(const unsigned char *p, size_t avail)
{
    int len = p[0] > 0xF4 ? 0 : p[0] >= 0xF0 ? 4 : p[0] >= 0xE0 ? 3 : p[0] >= 0xC2 ? 2 : 0;
    if (len == 0 || (size_t)len > avail) return 0;
    for (int k = 1; k < len; k++)
        if ((p[k] & 0xC0) != 0x80) return 0;
    if ((p[0] == 0xE0 && p[1] < 0xA0) || (p[0] == 0xED && p[1] > 0x9F) ||
        (p[0] == 0xF0 && p[1] < 0x90) || (p[0] == 0xF4 && p[1] > 0x8F))
        return 0; /* overlong forms, surrogates, beyond U+10FFFF */
    return len;
}

/* Offset of the first byte of s[0..n) that is not text, n when all are: bytes that are not
 * UTF-8, and control characters other than tab and (with lines) LF and the CR of CR LF. A lone
 * CR, form feed or escape would reach the messages and the terminal; *line counts the LFs. */
static size_t text_flaw(const char *s, size_t n, int lines, int *line)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t k = 0; k < n;) {
        unsigned char ch = u[k];
        int len = ch < 0x80 ? 1 : utf8_seq(u + k, n - k);
        int eol = lines && (ch == '\n' || (ch == '\r' && k + 1 < n && u[k + 1] == '\n'));
        if (len == 0 || ch == 0x7f || (ch < 0x20 && ch != '\t' && !eol)) return k;
        *line += ch == '\n';
        k += (size_t)len;
    }
    return n;
}

/* Binary files (a checkpoint or an HDF5 file passed by mistake) get one clear message instead
 * of a flood of syntax errors. */
static int check_text(const char *path, const char *raw, size_t n, cfg_errors *err)
{
    int line = 1;
    size_t k = text_flaw(raw, n, 1, &line);
    if (k == n) return 0;
    unsigned char ch = (unsigned char)raw[k];
    if (ch == '\r')
        cfg_error_add(err,
                      "%s:%d: carriage return without a line feed at offset %zu, expected LF "
                      "or CR LF line ends",
                      path, line, k);
    else
        cfg_error_add(err,
                      "%s:%d: not a text file (%s 0x%02x at offset %zu), expected an INI "
                      "configuration in UTF-8 text",
                      path, line,
                      ch && (ch < 0x20 || ch == 0x7f) ? "control character" : "binary byte", ch, k);
    return -1;
}

/* The file into out->raw; *n its length. The text checks follow in load_raw (one path for a
 * file and for text given in memory). */
static int read_file(const char *path, cfg_resolved *out, size_t *n, cfg_errors *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        cfg_error_add(err, "%s: cannot open the configuration file: %s", path, strerror(errno));
        return -1;
    }
    *n = fread(out->raw, 1, CFG_RAW_MAX - 1, f);
    int bad = ferror(f), errno_read = errno;
    int more = !bad && *n == CFG_RAW_MAX - 1 && fgetc(f) != EOF;
    fclose(f);
    out->raw[*n] = '\0';
    if (bad) {
        cfg_error_add(err, "%s: cannot read the file: %s", path, strerror(errno_read));
        return -1;
    }
    if (more) *n = CFG_RAW_MAX; /* load_raw says it is too large */
    return 0;
}

/* ---- the line reader and handler for inih ----------------------------------------------- */

enum { SEC_NONE, SEC_KNOWN, SEC_SKIP };

typedef struct {
    cfg_resolved *out;
    cfg_errors *err;
    const char *pos, *end; /* unread part of out->raw */
    int line, section_state;
    char value[CFG_LINE_MAX]; /* value of the current line, trimmed, comment removed */
    int seen[CFG_MAX_KEYS];   /* file line that set key i, 0 when none */
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
                      file, c->line, cfg_utf8_prefix(a, (size_t)(b - a), 60), a);
        return str;
    }
    char name[64], all[128];
    size_t len = (size_t)(b - a - 2);
    snprintf(name, sizeof name, "%.*s", cfg_utf8_prefix(a + 1, len, (int)sizeof name - 1), a + 1);
    cfg_trim(name);
    cfg_list_sections(all, sizeof all);
    if (len >= sizeof name) { /* cut, it could read as a known one: "[mcm      ...junk]" */
        cfg_error_add(c->err, "%s:%d: section name '%s...' too long, expected one of %s", file,
                      c->line, name, all);
        return str;
    }
    if (!cfg_section_known(name)) {
        const char *sug = cfg_errors_full(c->err) ? NULL : cfg_suggest_section(name);
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
    int shown = cfg_utf8_prefix(a, (size_t)(b - a), 60);
    if (!eq || eq == a) {
        cfg_error_add(c->err,
                      "%s:%d: '%.*s' is not a setting, expected 'key = value' or "
                      "'[section]'",
                      c->out->file, c->line, shown, a);
    } else if (memchr(a, ':', (size_t)(eq - a))) { /* inih would split "d:x = 5" into d */
        cfg_error_add(c->err,
                      "%s:%d: '%.*s' has ':' in its key, expected 'key = value' (':' is not a "
                      "separator)",
                      c->out->file, c->line, shown, a);
    } else if (eq - a > num - 3 || b - eq > CFG_LINE_MAX) {
        cfg_error_add(c->err, "%s:%d: line too long (%d characters), expected at most %d",
                      c->out->file, c->line, (int)(b - a), CFG_LINE_MAX);
    } else {
        snprintf(c->value, sizeof c->value, "%.*s", (int)(b - eq - 1), eq + 1);
        cfg_trim(c->value);
        snprintf(str, (size_t)num, "%.*s=\n", (int)(eq - a), a);
    }
    return str;
}

/* Parses the value of key i and records the error with the given prefix ("FILE:LINE" or
 * "command line: --set ..."). */
static void take_value(load_ctx *c, int i, const char *value, const char *prefix)
{
    char why[CFG_ERR_LEN], expected[CFG_ERR_LEN];
    if (cfg_parse_entry(i, value, &c->out->v, why, sizeof why) == 0) {
        c->ok[i] = 1;
        return;
    }
    c->ok[i] = 0;
    cfg_describe_expected(&cfg_schema[i], expected, sizeof expected);
    cfg_error_key(c->err, prefix, cfg_schema[i].section, cfg_schema[i].key, "%s, expected %s", why,
                  expected);
}

static int on_key(void *user, const char *section, const char *name, const char *unused)
{
    (void)unused; /* the value comes from c->value, see reader_next */
    load_ctx *c = user;
    char where[CFG_ORIGIN_MAX], text[CFG_ERR_LEN];
    snprintf(where, sizeof where, "%s:%d", c->out->file, c->line);
    /* A full list takes no more messages: skip the suggestions, which cost the most. */
    int full = cfg_errors_full(c->err);
    if (c->section_state == SEC_SKIP) return 1;
    if (c->section_state == SEC_NONE) {
        if (full) return 1;
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
        if (full) return 1;
        cfg_unknown_key_text(section, name, text, sizeof text);
        cfg_error_key(c->err, where, section, name, "%s", text);
    } else if (c->seen[i]) {
        cfg_error_key(c->err, where, section, name,
                      "duplicate key, already set on line %d, expected each key once", c->seen[i]);
    } else {
        c->seen[i] = c->line;
        snprintf(c->out->origin[i], CFG_ORIGIN_MAX, "%s", where);
        take_value(c, i, c->value, where);
    }
    return 1;
}

/* ---- overrides, defaults, the whole load ------------------------------------------------ */

/* Override number k (from 1), the text of one --set argument. */
static void apply_set(load_ctx *c, int k, const char *arg)
{
    char buf[CFG_LINE_MAX], prefix[CFG_ERR_LEN], text[CFG_ERR_LEN];
    int line = 1;
    size_t n = strlen(arg), flaw = text_flaw(arg, n, 0, &line);
    if (flaw < n) { /* not echoed: the bytes would reach the terminal */
        cfg_error_add(c->err,
                      "command line: --set argument %d: not UTF-8 text (byte 0x%02x at offset "
                      "%zu), expected --set section.key=value in printable text",
                      k, (unsigned char)arg[flaw], flaw);
        return;
    }
    snprintf(prefix, sizeof prefix, "command line: --set %.*s", cfg_utf8_prefix(arg, n, 200), arg);
    if (n >= sizeof buf) {
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
    cfg_trim(section), cfg_trim(key), cfg_trim(value);
    int i = cfg_find(section, key);
    if (i < 0) {
        cfg_unknown_key_text(section, key, text, sizeof text);
        cfg_error_key(c->err, prefix, section, key, "%s", text);
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

/* The whole load once the text is in out->raw (n bytes, CFG_RAW_MAX: more than fits; NULL
 * name: no file, only overrides and defaults): the text checks, inih over the lines, the
 * overrides, the defaults and the cross-key rules. */
static void load_raw(load_ctx *c, const char *name, size_t n, const char *const *sets, int n_set)
{
    cfg_resolved *out = c->out;
    cfg_errors *err = c->err;
    if (name && n >= CFG_RAW_MAX) {
        cfg_error_add(err, "%s: file is larger than %d bytes, expected a small INI text file",
                      out->file, CFG_RAW_MAX - 1);
        return;
    }
    if (name && n == 0) {
        cfg_error_add(err,
                      "%s: empty file, expected an INI configuration (see "
                      "input/reference.ini); at least [mcm] d = ...",
                      out->file);
        return;
    }
    if (name && check_text(out->file, out->raw, n, err) != 0) return;
    c->pos = out->raw;
    c->end = out->raw + n;
    int rc = ini_parse_stream(reader_next, c, on_key, c);
    if (rc != 0 && err->n == 0) cfg_error_add(err, "%s:%d: syntax error", out->file, rc);
    for (int k = 0; k < n_set; k++)
        apply_set(c, k + 1, sets[k]);
    fill_defaults(c);
    cfg_check_cross(out, c->ok, err);
}

/* Clears out and err and names the file; the context of one load, NULL when out of memory or
 * the name is too long (the error is in err). */
static load_ctx *load_begin(const char *name, cfg_resolved *out, cfg_errors *err)
{
    memset(out, 0, sizeof *out); /* padding too: resolved configs compare with memcmp */
    memset(err, 0, sizeof *err);
    snprintf(out->file, sizeof out->file, "%s", name ? name : "(no file)");
    if (name && strlen(name) >= sizeof out->file) {
        cfg_error_add(err, "%.100s...: path too long, expected at most %d characters", name,
                      CFG_STR_MAX - 1);
        return NULL;
    }
    load_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        cfg_error_add(err, "out of memory");
        return NULL;
    }
    c->out = out;
    c->err = err;
    return c;
}

int cfg_load(const char *path, const char *const *sets, int n_set, cfg_resolved *out,
             cfg_errors *err)
{
    load_ctx *c = load_begin(path, out, err);
    size_t n = 0;
    if (c && (!path || read_file(path, out, &n, err) == 0)) load_raw(c, path, n, sets, n_set);
    free(c);
    return err->n;
}

int cfg_load_text(const char *name, const char *text, size_t len, const char *const *sets,
                  int n_set, cfg_resolved *out, cfg_errors *err)
{
    load_ctx *c = load_begin(name, out, err);
    if (c) {
        size_t n = !name ? 0 : len < CFG_RAW_MAX ? len : CFG_RAW_MAX;
        if (n > 0 && n < CFG_RAW_MAX) memcpy(out->raw, text, n);
        load_raw(c, name, n, sets, n_set);
    }
    free(c);
    return err->n;
}

/* ---- output ----------------------------------------------------------------------------- */

void cfg_print(const cfg_resolved *c, FILE *f, int with_origin)
{
    char val[CFG_LINE_MAX];
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
