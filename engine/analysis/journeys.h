/*
 * Journeys: each customer's current placement checked against the
 * independent-travel goals, for the transport team's review ("customers are
 * not having to travel unnecessarily far").  Built on the travel matrices; the
 * rules are in docs/journeys.md.
 */
#ifndef GM_ENGINE_ANALYSIS_JOURNEYS_H
#define GM_ENGINE_ANALYSIS_JOURNEYS_H

#include "people.h"

#include <cjson/cJSON.h>

/* Flags, with their codes in the outputs (gm__journey_flag_codes). */
enum {
    GM__JF_OVER_GOAL = 1u << 0,     /* "over_goal": no independent mode meets its goal */
    GM__JF_LONG_CAR = 1u << 1,      /* "long_by_car": the car (passenger transport) journey is over its goal */
    GM__JF_TRAINING = 1u << 2,      /* "travel_training_candidate": specialist transport, yet an independent mode meets its goal */
    GM__JF_OUT_OF_AREA = 1u << 3,   /* "out_of_area": the site is outside the council's boundary */
    GM__JF_NEARER_ROOM = 1u << 4,   /* "nearer_site_with_room": a suitable site with free places is far_extra_minutes quicker */
    GM__JF_UNREACHABLE = 1u << 5,   /* "no_route": no journey by the person's mode within the cut-off */
    GM__JF_COUNT = 6
};
extern const char *const gm__journey_flag_codes[GM__JF_COUNT];

#define GM__JOURNEY_ALTS 3

typedef struct gm__journey {
    uint32_t cust, site;
    int mode;                          /* the person's mode (gm__person_mode), -1 none */
    float time_s[GM__TM_COUNT], dist_m[GM__TM_COUNT];        /* by GM__TM_* mode: NAN not computed, INFINITY not reached */
    float goal_min[GM__TM_COUNT];                 /* the goals that apply to this person */
    unsigned flags;                    /* GM__JF_* */
    double excess_min;                 /* person's mode time beyond its goal, >= 0 (cut-off when unreachable) */
    uint32_t alt[GM__JOURNEY_ALTS];    /* suitable sites with free places quicker by the person's mode */
    float alt_s[GM__JOURNEY_ALTS];     /* their times, s */
    int nalt;
} gm__journey;

typedef struct gm__journeys {
    gm__journey *j;                    /* one per customer with a located current site, in file order */
    size_t n;
    size_t flagged[GM__JF_COUNT];
    size_t any_flag;
} gm__journeys;

/* Inputs: the customers and sites, the travel matrices by mode (nc x ns,
 * NULL where not computed), and which sites are in area. */
typedef struct gm__journeys_in {
    const gm_config *cfg;
    const gm_customer *cs;
    size_t nc;
    const gm_site *ss;
    size_t ns;
    const float *time_s[GM__TM_COUNT], *dist_m[GM__TM_COUNT];
    const bool *in_area;
} gm__journeys_in;

/* Check every placement.  The caller owns *out (gm__journeys_free).
 * Errors: GM_E_NOMEM. */
gm_status gm__journeys_run(gm_ctx *ctx, const gm__journeys_in *in, gm__journeys **out);

/* Into folder restricted: the journeys layer (lines customer -> site) with
 * its style, journeys.csv and journeys_review.csv (the same rows, worst first);
 * into folder shareable: journeys_summary.csv (per flag, per provider and per
 * small area; small counts withheld).  The folders may be the same. */
gm_status gm__journeys_write(gm_ctx *ctx, const char *restricted, const char *shareable,
                             const gm__journeys_in *in, const gm__journeys *js);

/* summary["journeys"]: counts per flag (small counts withheld). */
gm_status gm__journeys_summary(gm_ctx *ctx, const gm__journeys_in *in, const gm__journeys *js, cJSON *summary);

void gm__journeys_free(gm__journeys *js);

/* The flags as "code;code" into buf. */
void gm__journey_flags_text(unsigned flags, char *buf, size_t size);

#endif
