/* cfg — the declared configuration schema, INI parsing (inih), validation, overrides,
 * printing and broadcast.
 *
 * One schema table (src/cfg_schema.c) declares every key: section, name, type, default or
 * required, range or enum values, help text, and whether it may change on restart. Parsed
 * values land in the plain struct cfg_t (no pointers), so the resolved configuration is
 * broadcast with a single MPI_Bcast. Rank 0 parses; every rank sees the same struct. */
#ifndef MCMSIM_CFG_H
#define MCMSIM_CFG_H

#include <stddef.h>
#include <stdio.h>

#define CFG_LIST_MAX 64
#define CFG_STR_MAX 256
#define CFG_ORIGIN_MAX 300
#define CFG_MAX_KEYS 128
#define CFG_RAW_MAX (1 << 20) /* largest config file accepted, bytes */

typedef enum { CFG_INT, CFG_DOUBLE, CFG_BOOL, CFG_STRING, CFG_ENUM, CFG_INT_LIST, CFG_DOUBLE_LIST } cfg_type;
typedef enum { CFG_FIXED, CFG_CHANGEABLE } cfg_restart;

typedef struct {
    int n;
    long v[CFG_LIST_MAX];
} cfg_int_list;
typedef struct {
    int n;
    double v[CFG_LIST_MAX];
} cfg_double_list;

/* The resolved configuration. Enum fields hold the index into the schema's enum string, which
 * equals the matching C enum of the consuming module (mcm.h, diffusion.h). */
typedef struct {
    struct {
        long seed;        /* global seed, 0 .. 2^32-1 */
        long n_seeds;     /* independent replicas (walkers) per dimension */
        char output[CFG_STR_MAX];
    } run;
    struct {
        cfg_int_list d;
        double beta_m, beta_u, beta_v;
        int nu_law;
        double skew_q;
        int coupling;
        int whitening;
        int spikes;
        int mixture;
        int mean_term;
    } mcm;
    struct {
        int schedule;
        double t;
        double beta_min, beta_max;
    } diffusion;
    struct {
        long n_samples; /* samples per task */
        long block;     /* samples per work unit */
        int bins;
        double range;   /* histogram over [-range, range] in units of the direction's std */
    } stats;
    struct {
        long n;
        long task;
    } sample;
} cfg_t;

/* One schema entry. `def` NULL means required. For lists, min/max bound every element. */
typedef struct {
    const char *section, *key;
    cfg_type type;
    size_t offset; /* offsetof(cfg_t, field) */
    const char *def;
    double min, max;
    const char *enums; /* "a|b|c" for CFG_ENUM */
    cfg_restart restart;
    const char *units;
    const char *help;
} cfg_entry;

extern const cfg_entry cfg_schema[];
extern const int cfg_schema_n;

/* Provenance and raw text that travel with the resolved values. */
typedef struct {
    cfg_t v;
    char file[CFG_STR_MAX];
    char origin[CFG_MAX_KEYS][CFG_ORIGIN_MAX]; /* "file:line", "default", "command line" */
    char raw[CFG_RAW_MAX];                     /* the config file text as read */
} cfg_resolved;

/* Error list collected while parsing; all errors are reported together. */
typedef struct {
    int n;
    char msg[64][512];
} cfg_errors;

/* Parses `path` plus `n_set` overrides "section.key=value" into `out` (rank-local, no MPI).
 * Returns the number of errors (0 on success); the messages are in `err`. */
int cfg_load(const char *path, const char *const *sets, int n_set, cfg_resolved *out,
             cfg_errors *err);

/* Collective: rank 0 loads, errors end collectively with exit code 2, the resolved config is
 * broadcast. `out` must be allocated on every rank. */
void cfg_load_bcast(const char *path, const char *const *sets, int n_set, cfg_resolved *out);

/* Every key "section.key = value   # origin", one per line. */
void cfg_print(const cfg_resolved *c, FILE *f, int with_origin);
/* The value of entry i formatted as text (for HDF5 attributes). */
void cfg_format_value(const cfg_t *v, int i, char *buf, size_t len);
/* Index of "section.key" in the schema, -1 when absent. */
int cfg_find(const char *section, const char *key);

#endif
