/*
 * Nearest sites and sites within thresholds, per customer (or any point, e.g.
 * every postcode of a region), without a dense matrix: a gm__reach sink that
 * keeps the k fastest sites of each point and how many sites each point
 * reaches within each threshold.  This is what coverage figures need (the
 * Department for Transport's journey time statistics: the time to the
 * nearest site, the number of sites within 15/30/45/60 minutes), and it is
 * how the national-scale case (1.6 million postcodes x 6,000 sites) fits in
 * memory: its ~10^9 reached pairs are never stored (bench/README.md).
 *
 * Each worker thread keeps its own lists; they are merged at the end, so no
 * locks, and results do not depend on the thread count: the order is
 * (time, distance, site index), a total order.  Memory: (12 k + 4 nthr) bytes
 * per point per worker, plus the result.
 */
#ifndef GM_ENGINE_NETWORK_NEAREST_H
#define GM_ENGINE_NETWORK_NEAREST_H

#include "reach.h"

#define GM__NEAREST_MAX_K 64
#define GM__NEAREST_MAX_THR 8
#define GM__NEAR_NONE UINT32_MAX

typedef struct gm__near {
    float time_s, dist_m;
    uint32_t site;         /* GM__NEAR_NONE for an empty place (time INFINITY) */
} gm__near;

typedef struct gm__nearest {
    size_t npoints, k, nthr;
    gm__near *best;        /* npoints * k, each point's k fastest sites in order */
    uint32_t *within;      /* npoints * nthr: sites reached within thr[t] (inclusive) */
    float thr[GM__NEAREST_MAX_THR]; /* seconds, as given */
    uint64_t pairs;        /* point-site pairs reached within the cutoff */
} gm__nearest;

/* Compute for the points (joins pjoin) and the sites (sjoin) allowed by
 * site_ok (nsites flags; NULL = every site): k (1..GM__NEAREST_MAX_K) nearest
 * sites and the counts within nthr (0..GM__NEAREST_MAX_THR) thresholds in
 * seconds.  Arguments as gm__reach_run; label names the progress.  The caller
 * owns *out (gm__nearest_free), untouched on error.
 * Errors: GM_E_ARG (k or nthr out of range), and those of gm__reach_run. */
gm_status gm__nearest_compute(gm_ctx *ctx, const gm__roads *roads, const gm__graph *g,
                              const gm__graph *rev, const gm__join *pjoin, size_t npoints,
                              const gm__join *sjoin, size_t nsites, const bool *site_ok,
                              const gm__reach_opts *opts, size_t k, const float *thr, size_t nthr,
                              const char *label, gm__nearest **out);
void gm__nearest_free(gm__nearest *n);

#endif
