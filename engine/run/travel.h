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
#include "../transit/ptimes.h"
#include "config.h"

/* What one mode's computation saw, for the manifest and the summary. */
typedef struct gm__mode_report {
    const char *mode;              /* "car", "walk", "walk_slow", "cycle" */
    gm__graph_stats graph;
    uint64_t customers_joined, customers_unjoined;
    uint64_t sites_joined, sites_unjoined;
    uint64_t pairs, pairs_reached; /* within the cut-off */
    /* bus only: the timetable as loaded for the date, and its stops on the walk network */
    bool timetable;
    uint32_t date, stops, stops_used, stops_far, stops_isolated, routes;
    uint64_t trips, stop_times, trips_day, footpaths, issues;
} gm__mode_report;

typedef struct gm__travel_mode {
    gm__mode_report report;
    gm__graph *g, *rev;
    gm__snap_index *ix;
    gm__join *cjoin, *sjoin;
    gm__matrix *m;
} gm__travel_mode;

/* The bus mode's extras, customer x site like its matrix (whose time_s is
 * the median over the arrival window and dist_m NAN): see ptimes.h. */
typedef struct gm__travel_bus {
    gm__gtfs *tt;
    gm__pt_net *net;
    int walk_tm;                   /* the walk mode whose network and pace it uses */
    float *worst_s;
    uint8_t *vehicles;
    float *walk_s, *ride_s, *wait_s;
} gm__travel_bus;

typedef struct gm__travel {
    gm__roads *roads;
    gm__travel_mode modes[GM__TM_COUNT]; /* bus: no graph or joins of its own (the walk mode's) */
    gm__travel_bus bus;
    unsigned computed;             /* GM__TM_* bits */
} gm__travel;

/* The options of the bus mode under cfg. */
void gm__travel_pt_opts(const gm_config *cfg, gm__pt_opts *o);

/* Compute every configured mode.  Points that cannot be joined to a mode's
 * network are added to warn (kept, without that mode's times), and so are the
 * timetable's skipped rows and unusable stops.
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


#endif
