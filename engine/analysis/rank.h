/*
 * Ranking: for each placement, the suitable providers in order, with the
 * reasons; an assignment of everyone at once that over-fills no site; and
 * spend as councils report it (docs/ranking.md).
 *
 * Eligibility.  Site s is eligible for customer c when it passes six rules,
 * each of which, when it fails, is a GM__RX_* bit with a sentence for the
 * social worker: it offers one of c's services; it supports every need of
 * c; it is open on every day c attends (no check when c's days are not
 * given); it has a place free (gm__free_places > 0, and c's current site
 * always has theirs); it lies in the council's area (unless
 * [ranking] allow_out_of_area); it is reached by c's mode (gm__person_mode,
 * car when that is -1) within the travel cut-off.
 *
 * Score (lower is better), kept in its parts: w_time x minutes by c's mode;
 * w_price x price_per_day / 10 (the median price of the sites that give one
 * when s gives none); w_spot or w_legacy by the site's status (framework 0);
 * -w_preference for c's preferred site; -w_continuity for c's current site.
 * Ties go to the shorter journey, then the lower site index.  Each customer
 * keeps the first [ranking] top eligible sites.
 *
 * Assignment ([ranking] assign).  Everyone is placed at once; a site takes
 * at most its places for this cohort (places_per_day less the places used by
 * people not in the customers file).  A customer may be assigned a site that
 * passes every rule but the free-places one (places are what the assignment
 * shares out) and is within their journey goal (gm__goal_min).  MIN_COST
 * places as many as can be placed and, among those placements, minimises the
 * total score: a min-cost flow by successive shortest paths.  NEED_ORDER
 * takes customers by need (more needs, then more days, then file order), each
 * to their best-scoring site with room.  NONE assigns nobody.
 *
 * Invariants: every array is indexed by the customer and site indices of the
 * inputs; customer c's list holds only eligible sites, best first; an
 * assigned site is assignable and no site holds more than its cap.
 */
#ifndef GM_ENGINE_ANALYSIS_RANK_H
#define GM_ENGINE_ANALYSIS_RANK_H

#include "../run/config.h"
#include "gapmap/inputs.h"

#include <cjson/cJSON.h>

/* Why site s is not eligible for customer c (bit set; 0 = eligible). */
enum {
    GM__RX_SERVICE = 1u << 0,     /* offers none of c's services */
    GM__RX_NEEDS = 1u << 1,       /* does not support one of c's needs */
    GM__RX_DAYS = 1u << 2,        /* closed on a day c attends */
    GM__RX_FULL = 1u << 3,        /* no place free (never c's current site) */
    GM__RX_OUT_OF_AREA = 1u << 4, /* outside the council's area */
    GM__RX_UNREACHED = 1u << 5    /* no journey by c's mode within the cut-off */
};

typedef struct gm__rank_in {
    const gm_config *cfg;
    const gm_customer *cs; size_t nc;
    const gm_site *ss; size_t ns;
    const float *time_s[GM__TM_COUNT];  /* nc*ns row-major by customer, INFINITY = not reached; NULL = mode not computed */
    const float *dist_m[GM__TM_COUNT];
    unsigned computed;                  /* GM__TM_* bits */
    const bool *in_area;                /* ns: site inside the council's boundary */
} gm__rank_in;

/* One scored (customer, site) pair. */
typedef struct gm__rank_entry {
    uint32_t site;
    double minutes;          /* by the customer's mode */
    double time_pts, price_pts, status_pts, preference_pts, continuity_pts;
    double score;            /* the sum of the five parts */
    bool price_assumed;      /* the site gives no price: the median was used */
} gm__rank_entry;

/* Placements and weekly spend of one provider, one status or everyone. */
typedef struct gm__spend_group {
    const char *key;         /* provider name (its id when unnamed) or status code; borrowed from the inputs */
    uint32_t placements;     /* customers whose current site is here */
    uint32_t costed;         /* of those, with a weekly cost given */
    double weekly_spend;     /* the sum of those weekly costs, GBP */
    bool withheld;           /* shareable outputs withhold placements and spend */
    bool spend_withheld;     /* ... or the spend alone (too few costed) */
} gm__spend_group;

typedef struct gm__ranking gm__ranking;
struct gm__ranking {
    size_t nc, ns;
    size_t top;                  /* list length cap: cfg->ranking.top */
    int assign;                  /* GM__ASSIGN_* */
    int8_t *mode;                /* nc: GM__TM_* index each customer is judged by */
    double *goal_min;            /* nc: their goal by that mode */
    uint8_t *excl;               /* nc*ns: GM__RX_* bits */
    int32_t *free_places;        /* ns: gm__free_places */
    uint32_t *cap;               /* ns: places the assignment may fill */
    double median_price;         /* GBP a day over sites giving one; NaN when none does */
    gm__rank_entry *list;        /* nc*top: customer c's list from c*top, best first */
    uint32_t *nlist;             /* nc: entries in each list */
    uint32_t *neligible;         /* nc: eligible sites (the list is the first top of them) */
    uint32_t *nassignable;       /* nc: sites the assignment may give them (within goal) */
    int32_t *assigned;           /* nc: assigned site or -1 (all -1 under NONE) */
    size_t placed;               /* customers assigned */
    gm__spend_group *by_provider; /* providers of the sites, by name then id */
    size_t nproviders;
    gm__spend_group by_status[3]; /* GM_STATUS_* order */
    gm__spend_group total;
    /* What the assignment would change (customers with both figures). */
    uint32_t time_compared;      /* with a current and an assigned journey */
    double minutes_saved;        /* total, by their mode */
    uint32_t spend_compared;     /* with a weekly cost and an assigned site's price */
    double weekly_spend_change;  /* GBP a week, assigned price x days less the weekly cost */
    uint32_t spend_compared_movers;
    double weekly_spend_change_movers; /* the same over those with a current site assigned another */
};

/**
 * Rank the eligible sites of every customer, assign if asked, total the spend.
 * @param in the inputs and travel times (borrowed; must outlive *out for the
 *        calls below that take both).
 * @param out receives the ranking, owned by the caller (gm__ranking_free),
 *        untouched on error.
 * @return GM_OK; GM_E_ARG (a missing argument, a current or preferred site
 *         out of range); GM_E_NOMEM; GM_E_CANCELLED; GM_E_INTERNAL.
 */
gm_status gm__rank_run(gm_ctx *ctx, const gm__rank_in *in, gm__ranking **out);

/**
 * Write ranking.csv with the ranking layer (lines from customer to site) and
 * ranking.qml, eligibility.csv and assignment.csv (unless assign is none)
 * into folder restricted, and spend.csv (small counts withheld) into folder
 * shareable (both must exist; they may be the same), in cfg->formats.
 * @return GM_OK; GM_E_IO (naming the path); GM_E_GDAL; GM_E_GEOMETRY;
 *         GM_E_NOMEM.
 */
gm_status gm__rank_write(gm_ctx *ctx, const char *restricted, const char *shareable, const gm__rank_in *in,
                         const gm__ranking *r);

/**
 * Add summary["ranking"]: the method and weights, the assignment's figures
 * and the spend by status, counts below cfg->suppress_below withheld (null).
 * @return GM_OK; GM_E_NOMEM.
 */
gm_status gm__rank_summary(gm_ctx *ctx, const gm__rank_in *in, const gm__ranking *r, cJSON *summary);

/* NULL is a no-op. */
void gm__ranking_free(gm__ranking *r);

/* Customer c's list, best first (borrowed from r); its length in *n. */
const gm__rank_entry *gm__rank_list(const gm__ranking *r, size_t c, size_t *n);

/* The site assigned to c, or -1. */
int32_t gm__rank_assigned(const gm__ranking *r, size_t c);

/* GM__RX_* bits why site s is not eligible for c (0: eligible). */
unsigned gm__rank_excluded(const gm__ranking *r, size_t c, size_t s);

/* Whether c was assigned a site within their goal. */
bool gm__rank_within_goal(const gm__ranking *r, size_t c);

/* Whether the assignment may give c site s: eligible but for free places,
 * and within c's goal. */
bool gm__rank_assignable(const gm__rank_in *in, const gm__ranking *r, size_t c, size_t s);

/* Score site s for c into *e, whether or not it is eligible; false (e
 * untouched) when s is not reached by c's mode. */
bool gm__rank_score(const gm__rank_in *in, const gm__ranking *r, size_t c, size_t s, gm__rank_entry *e);

/* Every rule site s fails for c, in words, '; ' separated ("" when
 * eligible), cut to fit buf. */
void gm__rank_reasons(const gm__rank_in *in, const gm__ranking *r, size_t c, size_t s, char *buf,
                      size_t size);

/* Why the site is on c's list, in words a social worker can read out
 * ("12 min by car; framework provider; GBP 55 a day; their stated choice"). */
void gm__rank_why(const gm__rank_in *in, const gm__ranking *r, size_t c, const gm__rank_entry *e,
                  char *buf, size_t size);

/* How a journey by mode tm reads in a sentence ("by car", "on foot"). */
const char *gm__rank_mode_words(int tm);

/* Days c attends a week: the days given, 5 when not given. */
int gm__rank_days_a_week(const gm_customer *c);

#endif
