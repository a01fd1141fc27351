/* version — build provenance, generated at build time (tests/gen_version.sh). */
#ifndef MCMSIM_VERSION_H
#define MCMSIM_VERSION_H

extern const char *const version_code;     /* semantic version of mcmsim */
extern const char *const version_describe; /* git describe --always --dirty */
extern const char *const version_commit;   /* full commit hash or "unknown" */
extern const int version_dirty;            /* 1 when built from a modified tree */
extern const char *const version_compiler;
extern const char *const version_cflags;

#endif
