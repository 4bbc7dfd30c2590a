/*
 * The travel stage of a run: roads -> one graph per mode -> customers and sites
 * joined to each graph -> the customer x site matrix per mode, kept in memory
 * for later stages and written as matrix.csv (every pair and mode) and
 * nearest.csv (the nearest sites of each customer).
 */
#ifndef GM_ENGINE_RUN_TRAVEL_H
#define GM_ENGINE_RUN_TRAVEL_H

#include "../inputs/inputs_impl.h"
#include "../network/matrix.h"
#include "config.h"

/* What one mode's computation saw, for the manifest and the summary. */
typedef struct gm__mode_report {
    const char *mode;              /* "car", "walk", "walk_slow", "cycle" */
    gm__graph_stats graph;
    uint64_t customers_joined, customers_unjoined;
    uint64_t sites_joined, sites_unjoined;
    uint64_t pairs, pairs_reached; /* within the cut-off */
} gm__mode_report;

typedef struct gm__travel_mode {
    gm__mode_report report;
    gm__graph *g, *rev;
    gm__snap_index *ix;
    gm__join *cjoin, *sjoin;
    gm__matrix *m;
} gm__travel_mode;

typedef struct gm__travel {
    gm__roads *roads;
    gm__travel_mode modes[GM__TM_COUNT];
    unsigned computed;             /* GM__TM_* bits */
} gm__travel;

/* Compute every configured mode.  Points that cannot be joined to a mode's
 * network are added to warn (kept, without that mode's times).
 * Errors: from the road reader, graph build, matrix (GM_E_NOMEM, GM_E_CANCELLED...). */
gm_status gm__travel_run(gm_ctx *ctx, const gm_config *cfg, const gm_inputs *in, gm__rejlist *warn,
                         gm__travel **out);

/* Write matrix.csv and nearest.csv into dir. */
gm_status gm__travel_write(gm_ctx *ctx, const char *dir, const gm_config *cfg, const gm_inputs *in,
                           const gm__travel *t);

void gm__travel_free(gm__travel *t);

/* The search options of mode tm (GM__TM_* index) under cfg: the cut-off, the
 * walking pace of join legs, the thread count. */
void gm__travel_opts(const gm_config *cfg, int tm, gm__reach_opts *o);

/* Mode names in GM__TM_* bit order. */
extern const char *const gm__travel_mode_names[GM__TM_COUNT];

#endif
