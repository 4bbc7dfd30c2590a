/*
 * Routable graphs, one per travel mode, in compressed sparse row form with
 * 32-bit node ids and float costs: built once from gm__roads, searched many
 * times (one search per provider site and mode).
 *
 * Invariants: nodes are the largest strongly connected component of the mode's
 * usable links (dropped nodes/links are counted, never routed into silently);
 * arcs of node u are first[u]..first[u+1]-1; time_s > 0 and dist_m > 0 on every
 * arc; node n of the graph is node orig_node[n] of the gm__roads it came from;
 * kept nodes are numbered along a Hilbert curve through their coordinates
 * (gm__roads node_x/node_y; ties and roads without coordinates in increasing
 * gm__roads id) so that neighbours have near ids, and the arcs of a node are
 * sorted by head then link: a graph is a function of its inputs alone.
 * Profiles, the component rule, the search and its tie-breaking are described
 * in docs/routing.md.
 */
#ifndef GM_ENGINE_NETWORK_GRAPH_H
#define GM_ENGINE_NETWORK_GRAPH_H

#include "roads.h"

typedef enum gm__mode { GM__MODE_CAR = 0, GM__MODE_WALK, GM__MODE_CYCLE, GM__MODE_COUNT } gm__mode;

/* Speeds and permissions of a mode.  Defaults and their sources are in
 * graph.c (gm__profile_default) and docs/routing.md.  A link is usable by the
 * mode when its direction flag allows it (car: GM__RF_CAR_FWD/BWD; walk:
 * GM__RF_WALK, both ways; cycle: GM__RF_CYCLE_FWD/BWD) and its speed is above
 * zero: ferry_speed_kmh on GM__RF_FERRY links, else the class speed, capped at
 * the posted limit when use_maxspeed is set and the link has one.  Speeds must
 * be finite, 0..1000 km/h. */
typedef struct gm__profile {
    gm__mode mode;
    float speed_kmh[GM__RC_COUNT]; /* 0 = class not usable by this mode */
    bool use_maxspeed;             /* car: cap the class speed at the posted limit */
    float ferry_speed_kmh;
} gm__profile;

/* Fill p with the default profile of mode (an unknown mode gets a profile with
 * every class unusable). */
void gm__profile_default(gm__mode mode, gm__profile *p);

/* "car", "walk", "cycle" (for messages). */
const char *gm__mode_name(gm__mode mode);

typedef struct gm__graph_stats {
    uint32_t nodes_usable, arcs_usable;   /* before component filtering */
    uint32_t nodes_kept, arcs_kept;       /* largest strongly connected component */
    uint32_t components;                  /* number of strongly connected components */
    uint32_t self_loops;                  /* usable links from a node to itself: never on a
                                             shortest path, so not arcs; not in arcs_usable */
} gm__graph_stats;

typedef struct gm__graph {
    gm__mode mode;
    bool reversed;       /* made by gm__graph_reverse: arcs point towards their tail */
    uint32_t nnodes, narcs;
    uint32_t *first;     /* nnodes + 1 */
    uint32_t *head;      /* narcs: target node */
    float *time_s;       /* narcs */
    float *dist_m;       /* narcs */
    uint32_t *arc_link;  /* narcs: gm__roads link index (for geometry, isochrones) */
    uint32_t *orig_node; /* nnodes: gm__roads node id */
    int32_t *node_of;    /* nroad_nodes: graph node, or -1 when not kept */
    uint32_t nroad_nodes; /* gm__roads nnodes (the length of node_of) */
    gm__graph_stats stats;
} gm__graph;

/* Build the graph of one mode from roads (borrowed; it may be freed after the
 * call).  The caller owns *out and frees it with gm__graph_free; *out is
 * untouched on error.  Errors: GM_E_INPUT (no usable links for the mode:
 * message names it; a link with a bad node id, class or length; more nodes or
 * arcs than 32-bit ids hold), GM_E_ARG (a speed outside 0..1000 km/h),
 * GM_E_NOMEM. */
gm_status gm__graph_build(gm_ctx *ctx, const gm__roads *roads, const gm__profile *p, gm__graph **out);

/* The same graph with every arc reversed (for searches towards a destination):
 * same nodes and numbering, node_of, orig_node and stats; arc k of node v in
 * the result is an arc u->v of g, sorted by u then link.  The caller owns *out
 * (gm__graph_free); untouched on error.  Errors: GM_E_NOMEM. */
gm_status gm__graph_reverse(gm_ctx *ctx, const gm__graph *g, gm__graph **out);

void gm__graph_free(gm__graph *g);

/* A search origin: a node with a starting time and distance (the part of the
 * edge between a snapped point and the node). */
typedef struct gm__seed {
    uint32_t node;
    float time_s;
    float dist_m;
} gm__seed;

/* Reusable search state (heap and labels) for one thread: 36 bytes per graph
 * node (144 MB for 4M nodes), allocated once; a run resets only the labels
 * the previous run touched. */
typedef struct gm__search gm__search;

/* Search state for g (borrowed: it must outlive the state).  The caller owns
 * *out (gm__search_free); untouched on error.  Errors: GM_E_NOMEM. */
gm_status gm__search_new(gm_ctx *ctx, const gm__graph *g, gm__search **out);
void gm__search_free(gm__search *s);

/* One-to-all shortest paths by time from the seeds, up to cutoff_s (inclusive;
 * INFINITY or NaN for none).  time_out/dist_out (nnodes each, caller-owned)
 * receive the fastest time and that path's distance; INFINITY where not
 * reached.  Ties in time are broken by shorter distance, then lower node id, so
 * results are deterministic: a node's label is the least (time, distance) pair
 * over its paths, compared exactly as floats, and among paths with equal
 * labels its parent is the predecessor with the lowest node id (then the
 * lowest arc); the heap orders (time, distance, node id), a total order, so
 * the settle order too is fixed.  Either output may be NULL: filling them
 * costs O(nnodes) per run, while gm__search_settled and gm__search_label read
 * only what the run reached.  A seed whose node is out of range or whose
 * time/distance is negative or not finite is ignored; a node seeded twice
 * keeps its least label. */
void gm__search_run(gm__search *s, const gm__seed *seeds, size_t nseeds, float cutoff_s,
                    float *time_out, float *dist_out);

/* The nodes the last run reached (time <= cutoff), in the order they were
 * settled: non-decreasing time, then distance, then node id.  Owned by s,
 * valid until its next run. */
const uint32_t *gm__search_settled(const gm__search *s, size_t *n);

/* The last run's label of node v: returns false (outputs untouched) when v was
 * not reached.  arc (may be NULL) receives the arc by which v was reached, or
 * UINT32_MAX for a seed: follow arcs back to a seed for the path. */
bool gm__search_label(const gm__search *s, uint32_t v, float *time_s, float *dist_m, uint32_t *arc);

#endif
