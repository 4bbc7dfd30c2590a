/*
 * manifest.json: what a run read and wrote, so that it can be reproduced and
 * checked months later: gapmap and library versions, the configuration, every
 * input with its size and SHA-256, the counts with their reconciliation
 * (rows = located + rejected), the travel networks (nodes kept, points joined,
 * pairs reached per mode), every stage's timing and what it made, and every
 * output file with its size and SHA-256.  No timestamps or absolute paths:
 * the same inputs and config give the same bytes, except the "timings"
 * object, the one part that is measured rather than computed.
 */
#ifndef GM_ENGINE_IO_MANIFEST_H
#define GM_ENGINE_IO_MANIFEST_H

#include "gapmap/run.h"

#include "../core/core.h"
#include "../run/config.h"
#include "../run/travel.h"

typedef struct gm__mf_file {
    const char *role;  /* "postcodes", "customers", "providers", "config" */
    const char *shown; /* the path as the user wrote it */
    const char *path;  /* the path to open */
} gm__mf_file;

/* One stage of the run as measured: wall-clock and CPU seconds (all
 * threads), the process's peak resident memory when it ended, and the count
 * of what it made ("items", described by what). */
typedef struct gm__mf_stage {
    const char *name; /* "postcodes", "inputs", "travel", ... */
    double wall_s, cpu_s, peak_rss_mb;
    const char *what; /* "postcodes loaded", ... */
    uint64_t items;
} gm__mf_stage;

/* Write outdir/manifest.json (temporary then renamed).  outputs are file names
 * inside outdir, hashed in the order given.
 * Errors: GM_E_IO, GM_E_NOT_FOUND (an input vanished), GM_E_NOMEM. */
gm_status gm__manifest_write(gm_ctx *ctx, const char *outdir, const gm_config *cfg,
                             const gm__mf_file *inputs, size_t ninputs, const gm_run_summary *sum,
                             const char *const *outputs, size_t noutputs,
                             const gm__mode_report *modes, size_t nmodes, const gm__mf_stage *stages,
                             size_t nstages);

#endif
