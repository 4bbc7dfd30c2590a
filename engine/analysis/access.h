/*
 * Supply and demand: the capacity-aware measures of the coverage stage.
 *
 * - The enhanced two-step floating catchment area method (E2SFCA; Luo and
 *   Wang 2003, Luo and Qi 2009) with a Gaussian distance decay (Dai 2010):
 *   step 1 gives each site the ratio of its places to the decayed demand
 *   within the catchment d0; step 2 gives each point the decayed sum of the
 *   ratios of the sites it reaches within d0.  docs/coverage.md has the
 *   formulas.
 * - The most people that can be placed at once, no site over its places, each
 *   at a site they are eligible for: a maximum bipartite b-matching by
 *   augmenting paths.
 */
#ifndef GM_ENGINE_ANALYSIS_ACCESS_H
#define GM_ENGINE_ANALYSIS_ACCESS_H

#include "../core/core.h"

/* Gaussian decay: 1 at t = 0, falling to 0 at t = d0 and beyond (and for a
 * t that is not a number): (exp(-t^2 / 2 d0^2) - exp(-1/2)) / (1 - exp(-1/2)). */
double gm__decay_gauss(double t, double d0);

/* E2SFCA.  dt: nd x ns times (s) from demand points to sites, row-major,
 * INFINITY where not reached; dem: the demand of each point (NULL: 1 each);
 * cap: the places of each site (negative counts as 0); pt: np x ns times from
 * the points to score; out: np accesses (places per unit of demand).  A site
 * with no demand in reach has ratio 0.  Errors: GM_E_ARG (d0 not above 0),
 * GM_E_NOMEM. */
gm_status gm__e2sfca(gm_ctx *ctx, const float *dt, const double *dem, size_t nd, const double *cap,
                     size_t ns, const float *pt, size_t np, double d0, double *out);

/* Whether customer c may be placed at site s. */
typedef bool (*gm__eligible_fn)(void *arg, size_t c, size_t s);

/* The most customers placed at once with site s taking at most cap[s]:
 * at[c] receives the site of customer c or -1, *placed the count.  Customers
 * are taken in index order and sites tried in index order, so the answer is
 * deterministic.  O(nc x (edges)) at worst; a county's few thousand
 * customers x a hundred sites take milliseconds.  Errors: GM_E_NOMEM. */
gm_status gm__place_max(gm_ctx *ctx, size_t nc, size_t ns, const uint32_t *cap, gm__eligible_fn ok,
                        void *arg, int32_t *at, size_t *placed);

#endif
