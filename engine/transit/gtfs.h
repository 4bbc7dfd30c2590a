/*
 * A GTFS feed loaded for one service date, with the timetable laid out for
 * RAPTOR (raptor.h).  The feed is a folder of .txt files or a .zip of them
 * (read through GDAL's /vsizip/, members at the top level of the archive).
 *
 * What is kept: every sound row of agency, stops, routes, trips and
 * stop_times (whatever the date: counts reconcile with the files), the
 * services running on the chosen date (calendar + calendar_dates), and, for
 * that date only, the RAPTOR structures: patterns (trips of one route with the
 * same stops and pickup/drop-off rules, split further so that no trip of a
 * pattern overtakes another), their trips sorted by departure, frequencies.txt
 * expanded into trips, the patterns serving each stop, and footpaths between
 * stops within a walking radius.
 *
 * Bad rows never fail a load: a row with a broken reference or an unparsable
 * field is skipped, a trip with bad or decreasing times is skipped whole, and
 * each is listed as a gm__gtfs_issue (file, line, field, reason) for the
 * caller's rejects file.  Only a missing required file, an unreadable file or
 * memory stop a load.
 *
 * Times are int32 seconds after midnight of the service day (25:10:00 is
 * 90600); stops keep WGS84 lon/lat only: projecting them (to EPSG:27700 with
 * engine/geo/crs.h, which fails outside Great Britain) is the caller's job, and
 * footpath lengths are great-circle distances so that any feed works.
 * docs/transit.md describes the rules.
 */
#ifndef GM_ENGINE_TRANSIT_GTFS_H
#define GM_ENGINE_TRANSIT_GTFS_H

#include "../core/core.h"

/* pattern stop flags */
#define GM__GTFS_PICKUP 1u  /* boarding allowed (pickup_type != 1) */
#define GM__GTFS_DROPOFF 2u /* alighting allowed (drop_off_type != 1) */

typedef struct gm__gtfs_issue {
    const char *file;  /* "stop_times.txt" (static string) */
    uint64_t line;     /* physical line, header = 1; 0 when about the whole file */
    const char *field; /* column name (static string), "" when none */
    char reason[224];  /* what is wrong, quoting the value, and what was skipped */
} gm__gtfs_issue;

typedef struct gm__gtfs_opts {
    uint32_t date;          /* service date YYYYMMDD (required) */
    float transfer_max_m;   /* footpaths between stops up to this straight-line distance; 0: none */
    float detour;           /* walked distance / straight-line distance */
    float walk_speed_kmh;   /* walking speed for footpaths */
    uint32_t max_issues;    /* issues kept in the list; the rest are only counted */
} gm__gtfs_opts;

/* Defaults: transfer_max_m 400, detour 1.2, walk_speed_kmh 4.8, max_issues
 * 10000; date 0 (must be set). */
void gm__gtfs_opts_init(gm__gtfs_opts *opts);

typedef struct gm__gtfs {
    uint32_t date;   /* YYYYMMDD */
    int weekday;     /* 0 = Monday .. 6 = Sunday */

    /* The feed, whatever the date.  Strings live in an arena owned here. */
    uint32_t nagencies;
    uint32_t nstops;
    char **stop_id, **stop_name;
    double *stop_lon, *stop_lat;     /* WGS84 degrees */
    uint32_t nroutes;
    char **route_id, **route_short_name;
    int32_t *route_type;
    uint32_t nservices;
    char **service_id;
    bool *service_on;                /* runs on date */
    uint32_t ntrips;
    char **trip_id;
    uint32_t *trip_route, *trip_service;
    uint32_t *trip_first;            /* ntrips + 1: stop times of trip t are trip_first[t].. */
    uint32_t nstop_times;
    uint32_t *st_stop;
    int32_t *st_arr_s, *st_dep_s;    /* missing times interpolated (see docs/transit.md) */
    uint8_t *st_flags;               /* GM__GTFS_PICKUP | GM__GTFS_DROPOFF */
    uint32_t nfrequencies;           /* sound frequencies.txt rows */

    /* The timetable of date, for RAPTOR. */
    uint32_t ntrips_day;             /* trips run on date, frequency trips expanded */
    uint32_t npatterns;
    uint32_t *pat_route;             /* npatterns */
    uint32_t *pat_first_stop;        /* npatterns + 1: into pat_stops / pat_flags */
    uint32_t *pat_stops;
    uint8_t *pat_flags;
    uint32_t *pat_first_trip;        /* npatterns + 1: trip j of p is pat_first_trip[p] + j */
    uint32_t *pat_trip;              /* ntrips_day: the feed trip (a frequency template repeats) */
    uint32_t *pat_first_time;        /* npatterns: times of trip j, stop i of p at
                                        pat_first_time[p] + j * len(p) + i */
    int32_t *arr_s, *dep_s;          /* sum of ntrips(p) * len(p) */
    uint32_t *stop_first_pat;        /* nstops + 1: into stop_pat / stop_pat_pos */
    uint32_t *stop_pat, *stop_pat_pos; /* a pattern serving the stop, and the stop's index in it */
    uint32_t *xfer_first;            /* nstops + 1: into xfer_to / xfer_s */
    uint32_t *xfer_to;               /* sorted by target within a stop */
    int32_t *xfer_s;                 /* walking time, whole seconds rounded up */

    gm__gtfs_issue *issues;
    size_t nissues;                  /* kept (at most opts.max_issues) */
    uint64_t nissues_total;          /* found */

    void *strings_;                  /* gm__arena */
} gm__gtfs;

/* Load the feed at path (a folder or a .zip) for opts->date.  The caller owns
 * *out (gm__gtfs_free); untouched on error.  Errors: GM_E_ARG (a date that is
 * not a real YYYYMMDD day, a negative or non-finite option), GM_E_NOT_FOUND
 * (no such folder or zip; a required file missing: agency.txt, stops.txt,
 * routes.txt, trips.txt, stop_times.txt, or both calendar.txt and
 * calendar_dates.txt: the message names it), GM_E_INPUT (a file that is not
 * CSV, a required column missing, more than 2^32 - 2 rows or times beyond
 * 2^31 s), GM_E_IO, GM_E_NOMEM. */
gm_status gm__gtfs_load(gm_ctx *ctx, const char *path, const gm__gtfs_opts *opts, gm__gtfs **out);

void gm__gtfs_free(gm__gtfs *g);

/* Replace g's footpaths (e.g. with walks routed on a street network): first
 * (nstops + 1 entries), to and secs in the layout of xfer_first / xfer_to /
 * xfer_s, each stop's targets sorted.  g takes ownership of the three arrays
 * (they must come from gm__malloc). */
void gm__gtfs_set_footpaths(gm__gtfs *g, uint32_t *first, uint32_t *to, int32_t *secs);

/* The timetable of g run backwards in time, for latest-departure ("arrive
 * by") queries with the forward RAPTOR: every time t becomes horizon_s - t,
 * patterns run from their last stop to their first, pickup and drop-off swap,
 * footpaths are reversed.  An earliest arrival a' from sources at
 * horizon_s - deadline is then the latest departure horizon_s - a'.  Only the
 * RAPTOR structures are filled (nstops, npatterns, pat_*, arr_s, dep_s,
 * stop_*, xfer_*; the feed's tables stay in g).  horizon_s must exceed every
 * time of g (gm__gtfs_horizon).  The caller owns *out (gm__gtfs_free).
 * Errors: GM_E_ARG, GM_E_NOMEM. */
gm_status gm__gtfs_reverse(gm_ctx *ctx, const gm__gtfs *g, int32_t horizon_s, gm__gtfs **out);

/* One second after the latest time in g's day timetable (at least 1). */
int32_t gm__gtfs_horizon(const gm__gtfs *g);

/* Index of a stop by stop_id, or -1 (linear: for tests and small look-ups). */
int64_t gm__gtfs_find_stop(const gm__gtfs *g, const char *stop_id);

/* Number of stops on pattern p. */
static inline uint32_t gm__gtfs_pat_len(const gm__gtfs *g, uint32_t p)
{
    return g->pat_first_stop[p + 1] - g->pat_first_stop[p];
}

/* Great-circle distance in metres between two WGS84 points (spherical Earth,
 * IUGG mean radius 6371008.8 m). */
double gm__gtfs_dist_m(double lon1, double lat1, double lon2, double lat2);

#endif
