/*
 * Facts about a person and a site that the journeys and ranking stages share:
 * which mode a person travels by, the journey goal that applies to them,
 * which sites are in the council's area, and the places a site has free.
 */
#ifndef GM_ENGINE_ANALYSIS_PEOPLE_H
#define GM_ENGINE_ANALYSIS_PEOPLE_H

#include "../run/config.h"
#include "gapmap/inputs.h"

/* The mode (GM__TM_* index) a customer's journey is judged by: specialist
 * transport, a family car or an unknown arrangement -> car; someone who
 * travels independently or is travel trained -> walk_slow when their mobility
 * is reduced, else walk (the first of those the run computed, then cycle).
 * computed: the GM__TM_* bits the travel stage computed; -1 when none fits. */
int gm__person_mode(const gm_customer *c, unsigned computed);

/* The goal in minutes for customer c by mode tm: [journeys] <mode>_minutes,
 * or the strictest [journeys.<group>] goal of the groups c belongs to (the
 * needs they have; reduced_mobility). */
double gm__goal_min(const gm_config *cfg, const gm_customer *c, int tm);

/* Places free at each site: places_per_day - places_used when places_used is
 * given, else places_per_day - the customers placed there; never below 0. */
void gm__free_places(const gm_site *ss, size_t ns, const gm_customer *cs, size_t nc, int32_t *out);

/* Which sites lie in the council's area: in_area[s] is true when [area]
 * boundary contains the site (all true without a boundary).
 * Errors: those of reading the boundary (engine/io/polys.h), GM_E_NOMEM. */
gm_status gm__sites_in_area(gm_ctx *ctx, const gm_config *cfg, const gm_site *ss, size_t ns, bool *in_area);

/* The council's area as one GEOS geometry (working CRS) from [area]
 * boundary, or NULL in *out when the config names none.  Caller destroys it
 * with GEOSGeom_destroy_r(gm__geos(ctx), ...). */
gm_status gm__area_boundary(gm_ctx *ctx, const gm_config *cfg, void **out);

#endif
