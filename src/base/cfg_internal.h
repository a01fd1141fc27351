/* cfg_internal — private to the cfg sources (cfg.c, cfg_schema.c, cfg_value.c, cfg_check.c):
 * suggestions for mistyped keys, error collection, value parsing and the cross-key rules. */
#ifndef MCMSIM_CFG_INTERNAL_H
#define MCMSIM_CFG_INTERNAL_H

#include "base/cfg.h"

int cfg_section_known(const char *section);
/* Edit distance of a and b, max + 1 when above max. */
int cfg_distance(const char *a, const char *b, int max);
/* Nearest schema key to a mistyped one (index) or section (name); -1 / NULL when none is close. */
int cfg_suggest_key(const char *section, const char *key);
const char *cfg_suggest_section(const char *section);
/* "[run] [mcm] ..." and "unknown key (did you mean 'mcm.beta_u'?), expected one of ...". */
void cfg_list_sections(char *buf, size_t len);
void cfg_unknown_key_text(const char *section, const char *key, char *buf, size_t len);
/* How many of the n bytes at s a message quotes, at most max, without cutting a UTF-8
 * character; values are quoted up to CFG_SHOWN bytes with "...". */
int cfg_utf8_prefix(const char *s, size_t n, int max);
#define CFG_SHOWN 104
/* 1 when err takes no more messages (the work of composing one can be skipped). */
int cfg_errors_full(const cfg_errors *err);
void cfg_error_add(cfg_errors *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Adds the key error "WHERE: key 'SECTION.KEY': WHAT" (log_key_msg) to the list. */
void cfg_error_key(cfg_errors *err, const char *where, const char *section, const char *key,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* cfg_value.c: value i of the schema parsed from text s into v (0 on success, the reason in
 * why); the expectation of entry i in words; blanks stripped in place. */
int cfg_parse_entry(int i, const char *s, cfg_t *v, char *why, size_t n);
void cfg_describe_expected(const cfg_entry *e, char *buf, size_t len);
void cfg_trim(char *s);
/* Cross-key rules of the schema; ok[i] is nonzero when key i resolved without error. */
void cfg_check_cross(const cfg_resolved *c, const unsigned char *ok, cfg_errors *err);
/* The [generate] part of them (cfg_check_gen.c). */
void cfg_check_generate(const cfg_resolved *c, const unsigned char *ok, cfg_errors *err);

#endif
