/*
 * Public transport times: a GTFS timetable joined to a walking network, and
 * door-to-door journey times from points (customers, postcodes, catchment
 * cells) to provider sites by bus with walking.
 *
 * A journey walks from the point to a stop (access, on the walk network, up
 * to access_max_m), rides one or more vehicles with walks between stops
 * (footpaths routed on the walk network, up to transfer_max_m), and walks
 * from the last stop to the site (egress, up to access_max_m).  Walking the
 * whole way is always a candidate, so a bus time never exceeds the walk time.
 *
 * The question is the council's: the person must arrive by the session start
 * (arrive_by).  For each site, one backward RAPTOR search (the time-reversed
 * timetable, gm__gtfs_reverse) per deadline T in arrive_by - window ..
 * arrive_by gives the latest departure from every stop; a point's time for T
 * is T minus its latest departure from home.  Over the window that gives the
 * median and the worst time, as accessibility tools report for a departure
 * window (docs/transit.md).  The journey arriving by arrive_by itself is
 * described: transfers, minutes walking, riding and waiting.
 */
#ifndef GM_ENGINE_TRANSIT_PTIMES_H
#define GM_ENGINE_TRANSIT_PTIMES_H

#include "../network/reach.h"
#include "gtfs.h"

typedef struct gm__pt_opts {
    int32_t arrive_by_s;     /* seconds after midnight of the service day */
    int32_t window_s;        /* deadlines arrive_by - window_s .. arrive_by */
    int32_t step_s;          /* between deadlines */
    uint32_t max_rounds;     /* most vehicles in a journey (transfers + 1), 1..32 */
    float access_max_m;      /* walk from a point to a stop, and from a stop to a site */
    float transfer_max_m;    /* walk between two stops */
    float stop_join_max_m;   /* a stop farther than this from the walk network is not used */
    float walk_kmh;          /* join legs; the walk graph's links carry their own times */
    float cutoff_s;          /* journeys longer than this count as not reached (INFINITY: none) */
    int threads;             /* 0 = all CPUs */
} gm__pt_opts;

/* Defaults: arrive by 10:00, a 60-minute window every minute, 4 vehicles,
 * 800 m access and egress, 400 m between stops, stops within 100 m of a path,
 * 4.8 km/h, no cutoff, all CPUs. */
void gm__pt_opts_init(gm__pt_opts *o);

typedef struct gm__pt_net {
    gm__gtfs *tt;             /* borrowed; its footpaths are replaced by walks on the network */
    gm__gtfs *rev;            /* owned: tt backwards in time */
    int32_t horizon_s;
    const gm__roads *roads;   /* the walk network, borrowed */
    const gm__graph *g, *grev;
    gm__join *stop_join;      /* nstops, owned; ok false or isolated: the stop is not used */
    uint32_t stops_used;      /* joined to the network */
    uint32_t stops_far;       /* farther than stop_join_max_m from any path */
    uint32_t stops_isolated;  /* on a part of the network cut off from the rest */
    uint64_t footpaths;
    gm__pt_opts o;
} gm__pt_net;

/* Join tt's stops to the walk network (g, its reverse grev and snap index ix,
 * all on roads, whose CRS is the working one; stops are projected from WGS84
 * into roads->crs), route footpaths between stops on it, and build the
 * reversed timetable.  All inputs are borrowed and must outlive *out.
 * Errors: GM_E_ARG (options out of range), GM_E_CRS, GM_E_NOMEM,
 * GM_E_CANCELLED. */
gm_status gm__ptnet_new(gm_ctx *ctx, gm__gtfs *tt, const gm__roads *roads, const gm__graph *g,
                        const gm__graph *grev, const gm__snap_index *ix, const gm__pt_opts *opts, gm__pt_net **out);
void gm__ptnet_free(gm__pt_net *net);

/* Results for npts x nsites, row-major by point.  median_s and worst_s are
 * required; the others (may be NULL) describe the journey arriving by
 * arrive_by: vehicles boarded (255 when not reached), minutes' worth of
 * seconds walking (access, between stops, egress), riding and waiting.  A
 * pair that walking alone serves best has 0 vehicles and all its time
 * walking.  Unreached: INFINITY (times), NAN (details). */
typedef struct gm__pt_out {
    float *median_s, *worst_s;
    uint8_t *vehicles;
    float *walk_s, *ride_s, *wait_s;
} gm__pt_out;

/* Times from the points (joined on the walk network's snap index: pj) to the
 * sites (sjoin, likewise).  walk_only (npts x nsites, may be NULL) is the
 * walking time of each pair, INFINITY when not walkable.  Results do not
 * depend on the thread count.  Progress is reported under label per site.
 * Errors: GM_E_NOMEM, GM_E_CANCELLED. */
gm_status gm__pt_times(gm_ctx *ctx, const gm__pt_net *net, const gm__join *pj, size_t npts, const gm__join *sjoin,
                       size_t nsites, const float *walk_only, const char *label, gm__pt_out *out);

#endif
