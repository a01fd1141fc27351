/* cfg_value — typed values of the configuration: parsing with end-pointer and range checks,
 * and formatting that reads back exactly. Part of the cfg module (include/cfg.h). */
#include "cfg_internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
void cfg_describe_expected(const cfg_entry *e, char *buf, size_t len)
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
        snprintf(buf, len, "a text of 1 to %d characters without ';', '#' or tabs",
                 CFG_STR_MAX - 1);
        break;
    case CFG_ENUM:
        snprintf(names, sizeof names, "%s", e->enums);
        for (char *p = names; (p = strchr(p, '|'));)
            *p = '/';
        snprintf(buf, len, "one of %s", names);
        break;
    case CFG_INT_LIST:
    case CFG_DOUBLE_LIST:
        snprintf(buf, len, "%sa comma-separated list of 1 to %d %s, each in %s",
                 e->flags & CFG_NONE_OK ? "none or " : "", CFG_LIST_MAX,
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

/* A value as messages quote it: whole, or its first bytes (whole UTF-8 characters) and "...",
 * so a 4 KB line neither floods the terminal nor is cut inside a character. */
static const char *shown(const char *s, char *buf, size_t len)
{
    size_t n = strlen(s);
    int k = cfg_utf8_prefix(s, n, (int)len - 4);
    snprintf(buf, len, "%.*s%s", k, s, (size_t)k < n ? "..." : "");
    return buf;
}

static int parse_long(const cfg_entry *e, const char *s, long *out, char *why, size_t n)
{
    char *end, q[CFG_SHOWN];
    shown(s, q, sizeof q);
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (!*s) return snprintf(why, n, "empty value"), -1;
    if (end == s || *end) {
        double x = strtod(s, &end); /* "1e5": say how to write it */
        if (!*end && x == floor(x) && fabs(x) < 1e18)
            return snprintf(why, n, "'%s' is not an integer (write %.0f)", q, x), -1;
        return snprintf(why, n, "'%s' is not an integer", q), -1;
    }
    if (errno == ERANGE) return snprintf(why, n, "'%s' overflows a 64-bit integer", q), -1;
    if (!in_range(e, (double)v)) return snprintf(why, n, "%lld is out of range", v), -1;
    *out = (long)v;
    return 0;
}

static int parse_double(const cfg_entry *e, const char *s, double *out, char *why, size_t n)
{
    char *end, q[CFG_SHOWN];
    shown(s, q, sizeof q);
    errno = 0;
    double v = strtod(s, &end);
    if (!*s) return snprintf(why, n, "empty value"), -1;
    if (end == s || *end) return snprintf(why, n, "'%s' is not a number", q), -1;
    /* strtod also reads C's hexadecimal floats, which reach the subnormals exactly */
    if (strpbrk(s, "xX")) return snprintf(why, n, "'%s' is not a decimal number", q), -1;
    if (errno == ERANGE && fabs(v) > 1) return snprintf(why, n, "'%s' overflows a double", q), -1;
    /* Subnormals are no physical value, and print in no form that reads back without ERANGE. */
    if (errno == ERANGE || (v != 0 && isfinite(v) && !isnormal(v)))
        return snprintf(why, n, "'%s' underflows a double", q), -1;
    if (!isfinite(v)) return snprintf(why, n, "'%s' is not a finite number", q), -1;
    if (!in_range(e, v)) return snprintf(why, n, "%s is out of range", q), -1;
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
    char q[CFG_SHOWN];
    snprintf(why, n, *s ? "'%s' is not a boolean" : "empty value", shown(s, q, sizeof q));
    return -1;
}

static int parse_enum(int i, const char *s, int *out, char *why, size_t n)
{
    char name[CFG_STR_MAX], q[CFG_SHOWN];
    int best = -1, best_d = 1 << 30;
    shown(s, q, sizeof q);
    for (int k = 0; strcmp(cfg_enum_name(i, k, name, sizeof name), "?") != 0; k++) {
        if (strcmp(s, name) == 0) return *out = k, 0;
        int dist = cfg_distance(s, name, 2);
        if (dist < best_d) best = k, best_d = dist;
    }
    if (!*s) return snprintf(why, n, "empty value"), -1;
    if (best_d <= 2 && best_d < (int)strlen(s))
        return snprintf(why, n, "'%s' is not allowed (did you mean '%s'?)", q,
                        cfg_enum_name(i, best, name, sizeof name)),
               -1;
    return snprintf(why, n, "'%s' is not allowed", q), -1;
}

static int parse_string(const char *s, char *out, char *why, size_t n)
{
    char q[CFG_SHOWN];
    shown(s, q, sizeof q);
    if (!*s) return snprintf(why, n, "empty value"), -1;
    if (strlen(s) >= CFG_STR_MAX) return snprintf(why, n, "text is too long"), -1;
    if (strpbrk(s, ";#")) return snprintf(why, n, "'%s' contains ';' or '#'", q), -1;
    if (strchr(s, '\t')) return snprintf(why, n, "'%s' contains a tab", q), -1;
    memset(out, 0, CFG_STR_MAX); /* no stale bytes, so resolved structs compare with memcmp */
    memcpy(out, s, strlen(s));
    return 0;
}

void cfg_trim(char *s)
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
    char buf[CFG_LINE_MAX], sub[CFG_ERR_LEN / 2];
    if (!*s) return snprintf(why, n, "empty value"), -1;
    if ((e->flags & CFG_NONE_OK) && !strcmp(s, "none")) {
        memset(field, 0, e->type == CFG_INT_LIST ? sizeof il : sizeof dl);
        return 0;
    }
    if (strlen(s) >= sizeof buf) return snprintf(why, n, "list is too long"), -1;
    strcpy(buf, s);
    int k = 0;
    for (char *p = buf, *next; p; p = next, k++) {
        next = strchr(p, ',');
        if (next) *next++ = '\0';
        cfg_trim(p);
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
int cfg_parse_entry(int i, const char *s, cfg_t *v, char *why, size_t n)
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
    if (il.n == 0 && (e->flags & CFG_NONE_OK)) snprintf(buf, len, "none");
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
