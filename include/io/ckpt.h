/* ckpt — checkpoint and restart of `mcmsim run` (see README, "Checkpoints").
 *
 * A checkpoint is an HDF5 file independent of the rank layout: one flat record per task that is
 * finished (its observer series, crossings and run facts) or in progress (the same plus the
 * step, the parameters, the optimiser moments and the running training loss). Random numbers
 * need no state: every draw is addressed by (seed, task, purpose, step). Rank 0 builds the file
 * in memory (checksum of the content and complete = 1 stamped last), writes it to DIR/STEM.tmp
 * with write(2), re-opens and verifies it, fsyncs file and directory, renames it to DIR/STEM-SEQ.h5
 * and replaces DIR/index atomically; the last `keep` checkpoints are kept. A restart takes the
 * newest valid one in the index and falls back to older ones when a file is truncated, corrupt or
 * of another version. */
#ifndef MCMSIM_CKPT_H
#define MCMSIM_CKPT_H

#include "base/cfg.h"
#include "engine/engine.h"
#include "engine/observe.h"
#include "spec/task.h"

#include <stdint.h>

/* 2: gram_min_eig, rng.c's own normal kernel; 3: Gaussian-data gobs; 4: z, xi and Gaussian data
 * from core/rngv.h's vector streams (the numbers after a step differ from version 3's); 5: the
 * record header counts the parameter snapshots (observe.snapshots) that follow gobs. */
#define CKPT_VERSION 5

/* What one task leaves behind (finished) or carries (in progress). */
typedef struct {
    int k; /* task index */
    observer obs;
    double mmse, wall;
    long steps; /* steps run */
    int batch;
} ckpt_record;

/* The records of a checkpoint as read back: blobs[i] of length len[i]. */
typedef struct {
    int n;
    double **blob;
    size_t *len;
    long seq; /* sequence number of the checkpoint */
    char path[512];
} ckpt_set;

/* The checkpoint series of one invocation (when to write one is cli/runctl.h's). */
typedef struct {
    char dir[CFG_STR_MAX], stem[CFG_STR_MAX];
    int keep;
    long seq;             /* checkpoints written so far (continued across restarts) */
    double cost;          /* seconds the last checkpoint took (estimates the time limit margin) */
    long bytes;           /* size of the last checkpoint */
    double total_seconds; /* all checkpoint writes of this invocation */
    double last_done;     /* MPI_Wtime when the last checkpoint was complete (0: none yet) */
    int count;
    uint64_t data_fp; /* fingerprint of a user data set's rows (ckpt_fingerprint), 0: MCM data */
} ckpt_ctl;

/* FNV-1a over n bytes: the fingerprint of a user data set, stored in every checkpoint and
 * compared on restart, so a data file changed between runs is an error, not a silent mix. */
uint64_t ckpt_fingerprint(const void *p, size_t n);

/* Signals SIGTERM/SIGUSR1 set a flag; SIGXFSZ is ignored so a full disk is an error, not death. */
void ckpt_install_signals(void);
int ckpt_signalled(void);

/* Serialises a record (e == NULL: finished) into a new buffer of doubles; returns its length. */
size_t ckpt_pack(const ckpt_record *r, const engine *e, double **out);
/* Task index and whether the blob holds a task in progress. */
int ckpt_blob_task(const double *blob);
int ckpt_blob_active(const double *blob);
/* A finished record from a blob (observer arrays only, no evaluation sets). */
void ckpt_unpack_finished(ckpt_record *r, const double *blob);
/* Restores a task in progress into an engine and observer already initialised for it. */
void ckpt_unpack_active(ckpt_record *r, engine *e, const double *blob);

/* Collective: gathers the blobs of every rank and writes checkpoint ctl->seq + 1 (rank 0).
 * A failed write ends the run with exit code 1, leaving the previous checkpoint intact. */
void ckpt_write(ckpt_ctl *ctl, const cfg_resolved *cr, double **blobs, const size_t *lens,
                int nblob);
/* Collective: finds (path NULL or "": newest valid in ctl->dir/index) and reads a checkpoint on
 * rank 0, checks it against the configuration (a FIXED key that differs is a usage error, exit
 * 2, with the differences listed) and broadcasts its records to every rank. */
void ckpt_load(ckpt_ctl *ctl, const cfg_resolved *cr, const char *path, ckpt_set *set);
void ckpt_set_free(ckpt_set *set);

#endif
