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
#define CFG_MAX_KEYS 192
/* Longest value accepted on one line: a full list of CFG_LIST_MAX dimensions fits easily. */
#define CFG_LINE_MAX 4096
#define CFG_RAW_MAX (1 << 20) /* largest config file accepted, bytes */

typedef enum {
    CFG_INT,
    CFG_DOUBLE,
    CFG_BOOL,
    CFG_STRING,
    CFG_ENUM,
    CFG_INT_LIST,
    CFG_DOUBLE_LIST
} cfg_type;
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
        long seed;    /* global seed, 0 .. 2^32-1 */
        long n_seeds; /* independent replicas (walkers) per dimension */
        char output[CFG_STR_MAX];
        char slice[CFG_STR_MAX]; /* "i/n": run only slice i of n of the task list */
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
        double range; /* histogram over [-range, range] in units of the direction's std */
    } stats;
    struct {
        long n;
        long task;
    } sample;
    struct { /* mcmsim generate (core/gen.h) */
        int data, score, sampler;
        long n_steps, skip_steps;
        double sigma_max, sigma_min, rho, sigma_skip, tau;
        long n_samples, n_write;
        int kick;
        char run_file[CFG_STR_MAX]; /* score = model: the run output with /snapshots */
    } generate;
    struct {
        int family;
        long K, L;
        int activation;
        double act_scale;
        long hermite_k;
        int skip;
        int train_a;
        double a0;
        int init2;
        double init2_scale;
        int bias;
    } model;
    struct {
        int engine; /* 0 direct, 1 reduced (spec_engine) */
        int loss;
        int times;
        cfg_double_list t_list;
        double t_min, t_max;
        int t_weight;
        int data;
        long batch;
        double n_train_alpha;
        long n_train_power;
        int noise;
        double steps_alpha;
        long steps_power;
    } train;
    struct {
        int kind;
        double delta, lr_power, weight_decay, beta1, beta2, eps;
        int schedule;
        long step_every;
        double step_factor;
    } optim;
    struct {
        long n_obs;
        long n_eval;
        int test_loss; /* 0 sampled, 1 exact */
        double status_every;
        int snapshots; /* keep the parameters at every observation (/snapshots) */
    } observe;
    struct {
        cfg_double_list beta_m, beta_u, beta_v, t, delta;
    } sweep;
    struct {
        int watch_u, watch_v, watch_m, watch_subspace;
        cfg_double_list thresholds;
        int early_stop;
        long check_every;
        long bootstrap;
        double level;
        double fit_log_power;
        long ode_points;
    } scaling;
    struct {
        double every_seconds;
        long every_steps;
        char dir[CFG_STR_MAX];
        long keep;
    } checkpoint;
    struct {
        int source; /* 0 mcm, 1 gaussian, 2 file */
        char file[CFG_STR_MAX];
        char dataset[CFG_STR_MAX];
        char spikes[CFG_STR_MAX];
        double test_fraction;
    } data;
    struct {
        cfg_double_list alpha;
        long block;
        long k;
        int solver;
        long bins;
        int save_matrix;
        long grid_rows, grid_cols;
        long block_size;
        long groups;
    } covar;
    struct {
        int method;
        double jitter;
        long n_samples;
    } clone;
    struct cfg_gaussian { /* named: spec_gauss.c takes it whole */
        int spectrum;
        cfg_double_list lambdas;
        double exponent, scale, log_std;
        long n_empirical;
        char file[CFG_STR_MAX];
        char dataset[CFG_STR_MAX];
        int basis;
        double mean;
        int sgd_init;
        int sgd_batch;
        int model;
        cfg_double_list init_q;
        double sigma_min, sigma_max, eta;
        double tau_min, tau_max;
        long n_tau;
        int process, objective, precond;
        double sigma_data, p_mean, p_std;
        int dynamics, criterion;
        double sigma_weight, level, fit_lambda_min;
    } gaussian;
} cfg_t;

/* One schema entry. `def` NULL means required. For lists, min/max bound every element and
 * the bounds are closed unless `flags` opens them. `size` is sizeof the field, so integer keys
 * may live in int or long members. */
/* CFG_NONE_OK: a list that may be empty, written "none". */
enum { CFG_OPEN_MIN = 1, CFG_OPEN_MAX = 2, CFG_NONE_OK = 4 };
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
    size_t size; /* sizeof the field */
    int flags;   /* CFG_OPEN_MIN | CFG_OPEN_MAX: exclusive bounds */
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
#define CFG_ERR_MAX 64
#define CFG_ERR_LEN 512
typedef struct {
    int n;
    char msg[CFG_ERR_MAX][CFG_ERR_LEN];
} cfg_errors;

/* Parses `path` plus `n_set` overrides "section.key=value" into `out` (rank-local, no MPI).
 * Returns the number of errors (0 on success); the messages are in `err`. */
int cfg_load(const char *path, const char *const *sets, int n_set, cfg_resolved *out,
             cfg_errors *err);
/* The same from `len` bytes of text in memory (any bytes: they are checked like a file's)
 * named `name` in the messages (NULL: no text, like cfg_load(NULL, ...)); cfg_load reads the
 * file and takes this path. */
int cfg_load_text(const char *name, const char *text, size_t len, const char *const *sets,
                  int n_set, cfg_resolved *out, cfg_errors *err);

/* Every key as valid INI, grouped by [section], optionally with "# from ORIGIN" comments; the
 * output parses back to the same cfg_t. */
void cfg_print(const cfg_resolved *c, FILE *f, int with_origin);
/* The value of entry i formatted as text (for HDF5 attributes). */
void cfg_format_value(const cfg_t *v, int i, char *buf, size_t len);
/* Where key i was set, for messages: "file:line", the command line, or the config file when the
 * value is the default. */
const char *cfg_where(const cfg_resolved *c, int i);
/* Index of "section.key" in the schema, -1 when absent. */
int cfg_find(const char *section, const char *key);
/* The usage error "WHERE: key 'SECTION.KEY': WHAT" (log_key_msg) about schema key i of c, WHERE
 * = cfg_where(c, i), into buf. cfg_die_key ends the job with it as a collective usage error
 * (exit 2): every rank calls it with the same condition. */
void cfg_key_error(char *buf, size_t len, const cfg_resolved *c, int i, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
_Noreturn void cfg_die_key(const cfg_resolved *c, int i, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* run.slice "i/n" (blanks allowed around the numbers) into 1 <= *i <= *n; 0 when malformed. */
int cfg_slice_parse(const char *s, long *i, long *n);
/* Name number `idx` of an enum entry i ("rademacher" for mcm.nu_law, 0); "?" when out of range. */
const char *cfg_enum_name(int i, int idx, char *buf, size_t len);
/* 1 when value idx of enum entry i is spelled `name` in the schema. */
int cfg_enum_is(int i, int idx, const char *name);

#endif
