/*
 * Joining points (customers, provider sites) to a mode's graph: each point
 * joins at the nearest point of the nearest usable link (not merely the nearest
 * node), found through a spatial index over link segments.  The off-network
 * leg is timed at walking speed.  A point with no usable link within the limit
 * is not joined (the caller rejects it with that reason).
 *
 * "Usable" means the link carries at least one arc of the graph (it is in the
 * kept strongly connected component for that mode).  An index made with the
 * mode's profile (gm__snap_index_new_ex) also knows the roads of the mode
 * that touch the kept component nowhere, not even against a one-way rule (an
 * island): a point whose nearest road is one of those joins it, marked
 * isolated, and gets no seeds, instead of joining the mainland across the
 * water.  docs/travel.md ("Joining points and the matrix") has the rules and
 * the measurements behind the uniform grid.
 */
#ifndef GM_ENGINE_NETWORK_SNAP_H
#define GM_ENGINE_NETWORK_SNAP_H

#include "graph.h"

typedef struct gm__snap_index gm__snap_index;

/* Index the segments of every link of roads that graph g uses.  roads is
 * borrowed and must outlive the index (the index refers to its vertices
 * rather than copying them); g is only read during the call.  The caller owns
 * *out (gm__snap_index_free); untouched on error.
 * Errors: GM_E_NOMEM; GM_E_INPUT (a link of g whose geometry lies outside
 * roads->xy, or more segments than 32-bit ids hold). */
gm_status gm__snap_index_new(gm_ctx *ctx, const gm__roads *roads, const gm__graph *g,
                             gm__snap_index **out);

/* As gm__snap_index_new, and when p (g's profile) is not NULL, also index the
 * links p lets the mode use (direction flags and a speed above zero, loops
 * included) whose nodes are not connected to g's kept nodes by any such link
 * in either direction: islands and other detached road networks.  Links left
 * out of g only by one-way rules (a one-way stub leaving a clipped extract)
 * are not indexed: a point beside one joins the nearest kept link.
 * Errors: as gm__snap_index_new. */
gm_status gm__snap_index_new_ex(gm_ctx *ctx, const gm__roads *roads, const gm__graph *g,
                                const gm__profile *p, gm__snap_index **out);

void gm__snap_index_free(gm__snap_index *ix);

/* Figures of an index (for logs and docs): grid cell side in metres, cells,
 * segment entries (a segment crossing several cells counts in each), and
 * indexed links of which isolated. */
typedef struct gm__snap_stats {
    double cell_m;
    uint64_t cells, entries, links, isolated_links;
} gm__snap_stats;
void gm__snap_index_stats(const gm__snap_index *ix, gm__snap_stats *out);

/* Where a point joins the graph. */
typedef struct gm__join {
    bool ok;             /* false: nothing usable within the limit */
    bool isolated;       /* ok, but the link is on a detached network (see above): no seeds */
    uint32_t link;       /* gm__roads link index */
    float along_m;       /* distance from the link's from-node along its geometry */
    float join_m;        /* straight-line distance from the point to the link */
    double x, y;         /* the joined point on the link */
} gm__join;

/* Join one point; max_m is the search limit (config, default 2000 m),
 * inclusive.  Exact point-to-segment projection; along_m is measured along
 * the link's geometry and lies in 0..length_m.  Deterministic: ties in
 * distance go to the lower link index, then the lower along_m.  Safe to call
 * from several threads at once.  A point or limit that is not finite gives
 * ok = false. */
void gm__snap_point(const gm__snap_index *ix, double x, double y, float max_m, gm__join *out);

/* The seeds for a search leaving from a joined point (forward graph), or the
 * seeds for a search arriving at it (use with the reversed graph): up to two
 * (the link's end nodes reachable along the link in the allowed direction),
 * with the time and distance of the partial link, plus the join leg at
 * walk_speed_kmh.  Returns the number of seeds written (0 if none).
 *
 * Directions are those of travel on the ground whichever of the forward and
 * reversed graphs g is: leaving, the traveller may go to the link's to-node
 * when the mode may use the link forwards (g has its from -> to arc) and to
 * its from-node when backwards; arriving, the traveller may come from the
 * from-node when forwards and from the to-node when backwards.  The partial
 * link is timed at that arc's speed; time and distance are summed in double
 * and rounded once.  A walk_speed_kmh that is not above zero and finite
 * means the default 4.8 km/h.  A join that is not ok, or isolated, gets none. */
size_t gm__join_seeds(const gm__join *j, const gm__roads *roads, const gm__graph *g,
                      float walk_speed_kmh, bool arriving, gm__seed seeds[2]);

/* The time and distance from joined point a to joined point b along their
 * common link without leaving it (a walk to the link, the drive between the
 * two projections in a direction the mode may use, a walk from it).  Returns
 * false when a and b are not both ok on the same link or the direction is not
 * allowed.  Equal projections need no drive. */
bool gm__join_direct(const gm__join *a, const gm__join *b, const gm__roads *roads,
                     const gm__graph *g, float walk_speed_kmh, float *time_s, float *dist_m);

/* Default walking speed for join legs: 4.8 km/h, the DfT Journey Time
 * Statistics walking speed (JTS notes and definitions). */
#define GM__WALK_KMH_DEFAULT 4.8f

#endif
