/*
 * RAPTOR (Delling, Pajor and Werneck, "Round-Based Public Transit Routing",
 * ALENEX 2012; Transportation Science 49(3), 2015): earliest arrival at every
 * stop of a gm__gtfs timetable from a set of source stops, in rounds, round k
 * finding the journeys of exactly k trips, with footpaths relaxed after each
 * round.  Exact for the timetable: patterns are FIFO (gtfs.c splits those that
 * overtake), so the earliest catchable trip is found by binary search.
 *
 * Conventions: times are int32 seconds after midnight of the service day; a
 * trip departing at the second a traveller arrives can be caught (no minimum
 * change time beyond the footpath); footpaths are not chained (one walk
 * between two trips, and one after the sources, as in the paper's
 * non-transitive use); walking the whole way is not RAPTOR's job: the caller
 * takes min(walk only, RAPTOR + egress walk).  Access walks are the caller's:
 * give each reachable stop with its arrival time.
 */
#ifndef GM_ENGINE_TRANSIT_RAPTOR_H
#define GM_ENGINE_TRANSIT_RAPTOR_H

#include "gtfs.h"

#define GM__RAPTOR_UNREACHED INT32_MAX
#define GM__RAPTOR_MAX_ROUNDS 32

typedef struct gm__raptor gm__raptor;

typedef struct gm__raptor_src {
    uint32_t stop;
    int32_t time_s; /* run: arrival at the stop; profile: access time added to each departure */
} gm__raptor_src;

/* Reusable search state for one thread: about 24 bytes per stop and 8 per
 * pattern.  tt is borrowed and must outlive it; max_rounds (1..32) is the most
 * trips a journey may use.  The caller owns *out (gm__raptor_free); untouched
 * on error.  Errors: GM_E_ARG (max_rounds out of range), GM_E_NOMEM. */
gm_status gm__raptor_new(gm_ctx *ctx, const gm__gtfs *tt, uint32_t max_rounds, gm__raptor **out);
void gm__raptor_free(gm__raptor *r);

/* Earliest arrival at every stop.  arr_s (tt->nstops, caller-owned) receives
 * the arrival time or GM__RAPTOR_UNREACHED; ntrips (may be NULL) the number of
 * trips of the journey found, the fewest among those arriving that early (0
 * for sources and stops walked to from them).  A source with an unknown stop
 * or a negative time is ignored; a stop given twice keeps its earliest time. */
void gm__raptor_run(gm__raptor *r, const gm__raptor_src *src, size_t nsrc, int32_t *arr_s, uint8_t *ntrips);

/* Keep, for the labels of each run, how they were reached, so that
 * gm__raptor_journey can describe a journey: about 9 bytes per stop and
 * round.  Errors: GM_E_NOMEM (r is unchanged). */
gm_status gm__raptor_keep_legs(gm_ctx *ctx, gm__raptor *r);

/* The journey behind the last run's arrival at stop. */
typedef struct gm__raptor_legs {
    uint32_t source;  /* the source stop it starts from */
    uint8_t trips;    /* vehicles boarded */
    int32_t ride_s;   /* in vehicles, from each boarding's departure to the alighting's arrival */
    int32_t walk_s;   /* footpaths between stops (access and egress are the caller's) */
} gm__raptor_legs;

/* Describe the last run's journey to stop (the one whose arrival and trip
 * count gm__raptor_run reported).  The rest of the time between the source's
 * time and the arrival is waiting.  False when stop was not reached or legs
 * are not kept. */
bool gm__raptor_journey(const gm__raptor *r, uint32_t stop, gm__raptor_legs *out);

/* Travel-time profile: one run per departure t = t0_s, t0_s + step_s, ...
 * <= t1_s, the sources at t + their time_s; the travel time to a target is its
 * arrival minus t.  median_s and worst_s (ntargets each, caller-owned) receive
 * the lower median and the maximum over the departures,
 * GM__RAPTOR_UNREACHED when not reached (a target unreached from some
 * departures has worst GM__RAPTOR_UNREACHED).  targets NULL means every stop
 * (ntargets must then be tt->nstops).  Errors: GM_E_ARG (t1_s < t0_s, step_s
 * <= 0, a target out of range, more than 100000 departures), GM_E_NOMEM. */
gm_status gm__raptor_profile(gm_ctx *ctx, gm__raptor *r, const gm__raptor_src *src, size_t nsrc, int32_t t0_s,
                             int32_t t1_s, int32_t step_s, const uint32_t *targets, size_t ntargets,
                             int32_t *median_s, int32_t *worst_s);

#endif
