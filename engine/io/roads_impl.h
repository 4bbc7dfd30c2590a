/*
 * Private to the road readers (roads.c, roads_osopen.c, roads_osm.c): GDAL
 * error capture, the builder that appends nodes and links to a gm__roads, the
 * coordinate-based splitter used for sources without node ids (GDAL's OSM
 * lines layer, Geofabrik shapefiles), and the OSM tag rules (exposed so that
 * tests can check them one tag at a time).
 *
 * These readers include GDAL themselves: they are the network module's door to
 * OGR, the way engine/io/table.c is the tables' door.
 */
#ifndef GM_ENGINE_NETWORK_ROADS_IMPL_H
#define GM_ENGINE_NETWORK_ROADS_IMPL_H

#include "../network/roads.h"

#include "../geo/crs.h"
#include "gdalutil.h"

#include <gdal.h>
#include <ogr_api.h>

/* Progress label of every reader (roads.h promises it). */
#define GM__ROADS_PROGRESS "Reading roads"

/* End vertices of an OS Open Roads link and the point of its node agree to
 * this distance (metres) in the product; anything further is reported.  OS
 * coordinates are given to the centimetre, so 0.01 m is "the same point". */
#define GM__ROADS_NODE_TOL_M 0.01

/* ---- GDAL errors ------------------------------------------------------- */

/* What the GDAL error handler saw while it was pushed (as in engine/io/table.c):
 * the first failure's text; warnings go to the log. */

/* ASCII case-insensitive equality / suffix test. */
bool gm__roads_streq_ci(const char *a, const char *b);
bool gm__roads_ends_with_ci(const char *s, const char *suffix);

/* ---- builder ------------------------------------------------------------ */

typedef struct gm__roads_build {
    gm_ctx *ctx;
    gm__roads *r;
    size_t link_cap, node_cap, xy_cap;
} gm__roads_build;

/* Append a node; *id receives its dense id.  Errors: GM_E_NOMEM, GM_E_INPUT
 * (more than 2^32 - 1 nodes). */
gm_status gm__roads_add_node(gm__roads_build *b, double x, double y, uint32_t *id);

/* Append a link whose n >= 2 vertices xy (interleaved, working CRS) run from
 * node from to node to.  The first and last vertex are replaced by the nodes'
 * points, so the invariant "ends are the nodes exactly" holds by construction;
 * length_m is the sum of the segment lengths.  Errors: GM_E_NOMEM, GM_E_INPUT
 * (more vertices than 32-bit offsets hold). */
gm_status gm__roads_add_link(gm__roads_build *b, uint32_t from, uint32_t to, const double *xy,
                             size_t n, uint8_t rclass, uint16_t flags, uint16_t maxspeed_kmh,
                             uint64_t source_id);

/* ---- ways split at shared coordinates ----------------------------------- */

/* A way as read, in the source CRS, with its attributes already decided. */
typedef struct gm__rway {
    size_t off, n;       /* vertices xy[2*off .. 2*(off+n)) */
    uint8_t rclass;
    uint16_t flags;
    uint16_t maxspeed_kmh;
    uint64_t source_id;
} gm__rway;

typedef struct gm__rways {
    gm__rway *ways;
    size_t n, cap;
    double *xy;          /* interleaved x,y in the source CRS */
    size_t nxy, xy_cap;  /* vertices (pairs) */
} gm__rways;

/* Add a way of n vertices (x[i], y[i]); consecutive repeated vertices are
 * dropped (a zero-length segment would make a zero-length link).  *added is
 * false when fewer than two distinct vertices remain (the caller counts it as
 * bad geometry).  Errors: GM_E_NOMEM. */
gm_status gm__rways_add(gm_ctx *ctx, gm__rways *w, const double *x, const double *y, size_t n,
                        uint8_t rclass, uint16_t flags, uint16_t maxspeed_kmh, uint64_t source_id,
                        bool *added);
void gm__rways_free(gm__rways *w);

/* Split the ways into links at every vertex used more than once (across all
 * ways, or twice in one) and at their ends, identifying vertices by exact
 * coordinate equality; transform each distinct vertex once with xf (source ->
 * working CRS) and append nodes and links to b.  Progress runs from
 * progress_base to 1000 (of 1000).  stats->distinct_vertices is set.  Errors:
 * GM_E_NOMEM, GM_E_CRS (a vertex that cannot be transformed), GM_E_INPUT,
 * GM_E_CANCELLED. */
gm_status gm__rways_build(gm__roads_build *b, const gm__rways *w, const gm__xform *xf,
                          const char *path, uint64_t progress_base);

/* ---- readers ------------------------------------------------------------ */

/* OS Open Roads from an open data set: link layers are road_link/RoadLink (or
 * tiles named *_RoadLink), node layers road_node/RoadNode. */
gm_status gm__roads_read_osopen(gm_ctx *ctx, const char *path, GDALDatasetH ds, gm__roads *r);

/* OpenStreetMap .osm.pbf / .osm through GDAL's OSM driver. */
gm_status gm__roads_read_osm(gm_ctx *ctx, const char *path, gm__roads *r);

/* Geofabrik gis_osm_roads_free_1 layer of an open data set. */
gm_status gm__roads_read_geofabrik(gm_ctx *ctx, const char *path, GDALDatasetH ds,
                                   OGRLayerH layer, gm__roads *r);

/* ---- OSM tag rules ------------------------------------------------------ */

/* The tags of one way that the rules read; NULL when absent. */
typedef struct gm__osm_tags {
    const char *highway, *oneway, *oneway_bicycle, *junction, *maxspeed;
    const char *access, *vehicle, *motor_vehicle, *motorcar, *foot, *bicycle;
    const char *bridge, *tunnel, *route, *area, *motorroad, *cycleway;
} gm__osm_tags;

/* Decide a way's class, flags and speed limit.  Returns false when the way is
 * not part of the network (no or unknown highway value, proposed/construction,
 * area=yes, ...).  See docs/travel.md, "Road data". */
bool gm__osm_classify(const gm__osm_tags *t, uint8_t *rclass, uint16_t *flags,
                      uint16_t *maxspeed_kmh);

/* maxspeed=* in km/h, rounded; 0 when absent or not a number of km/h or mph
 * ("walk", "none", "signals", unknown zone codes). */
uint16_t gm__osm_maxspeed_kmh(const char *v);

#endif
