/*
 * Road data as read from any source, before any mode is applied: a node-link
 * topology in the working CRS (EPSG:27700, metres).  Readers exist for OS Open
 * Roads (GeoPackage road_link/road_node, snake_case; and the older camelCase
 * RoadLink shapefiles), OpenStreetMap (.osm.pbf through GDAL's OSM driver) and
 * Geofabrik road shapefiles (gis_osm_roads_free_1: fclass, oneway, maxspeed).
 *
 * Invariants: node ids are dense 0..nnodes-1; every link's first and last
 * vertex are its from/to nodes' points exactly; links meet only at nodes (OSM
 * ways are split at every vertex shared with another way, identified by node
 * id where the source has them, else by identical coordinates).
 */
#ifndef GM_ENGINE_NETWORK_ROADS_H
#define GM_ENGINE_NETWORK_ROADS_H

#include "../core/core.h"

/* Road classes, coarse enough to map every source onto. */
typedef enum gm__road_class {
    GM__RC_MOTORWAY = 0,   /* OSM motorway(+_link); OS "Motorway" */
    GM__RC_TRUNK,          /* OSM trunk(+_link); OS A road that is a trunk/primary route */
    GM__RC_PRIMARY,        /* OSM primary(+_link); OS "A Road" */
    GM__RC_SECONDARY,      /* OSM secondary(+_link); OS "B Road" */
    GM__RC_TERTIARY,       /* OSM tertiary(+_link); OS "Classified Unnumbered" */
    GM__RC_UNCLASSIFIED,   /* OSM unclassified; OS "Unclassified" */
    GM__RC_RESIDENTIAL,    /* OSM residential, living_street; OS "Not Classified"/"Unknown" local roads */
    GM__RC_SERVICE,        /* OSM service; OS "Restricted Local Access Road", "Secondary Access Road" */
    GM__RC_TRACK,          /* OSM track; unsurfaced */
    GM__RC_PATH,           /* OSM footway, path, pedestrian, steps, bridleway, cycleway */
    GM__RC_COUNT
} gm__road_class;

/* Link flags: who may use it, in which direction (relative to digitised order). */
enum {
    GM__RF_CAR_FWD = 1u << 0,
    GM__RF_CAR_BWD = 1u << 1,
    GM__RF_WALK = 1u << 2,      /* walking is allowed both ways (one-way rules do not bind walkers) */
    GM__RF_CYCLE_FWD = 1u << 3,
    GM__RF_CYCLE_BWD = 1u << 4,
    GM__RF_ROUNDABOUT = 1u << 5,
    GM__RF_BRIDGE = 1u << 6,
    GM__RF_TUNNEL = 1u << 7,
    GM__RF_FERRY = 1u << 8,     /* a ferry route (OSM route=ferry): walk/car per tags, slow */
};

typedef struct gm__road_link {
    uint32_t from, to;     /* node ids */
    float length_m;        /* along the geometry */
    uint8_t rclass;        /* gm__road_class */
    uint16_t flags;        /* GM__RF_* */
    uint16_t maxspeed_kmh; /* posted limit, 0 when unknown */
    uint32_t geom_off;     /* first vertex in gm__roads.xy (pairs) */
    uint32_t geom_n;       /* vertex count, >= 2 */
    uint64_t source_id;    /* OSM way id, or 0; for diagnostics */
} gm__road_link;

typedef struct gm__roads_stats {
    uint64_t features_read;   /* source features (OSM ways, OS links) */
    uint64_t features_used;
    uint64_t skipped_not_road; /* e.g. OSM highway=proposed, construction, no highway tag */
    uint64_t skipped_bad_geometry;
    uint64_t links;            /* after splitting */
    uint64_t distinct_vertices; /* OSM/Geofabrik: distinct vertex coordinates of the kept ways
                                  (= OSM nodes they use, see docs/travel.md); OS: 0 */
    uint64_t ends_moved;       /* OS: link end vertices further than 0.01 m from their node's
                                  point, moved onto it (logged as a warning) */
    uint64_t length_mismatches; /* OS: links whose `length` field differs from the geometry's
                                  length by more than 1% + 1 m */
} gm__roads_stats;

typedef struct gm__roads {
    gm__road_link *links;
    size_t nlinks;
    double *node_x, *node_y; /* node coordinates, working CRS */
    size_t nnodes;
    double *xy;              /* all link vertices, interleaved x,y */
    size_t nxy;              /* number of vertices (pairs) */
    gm__roads_stats stats;
    char source[32];         /* "os_open_roads", "osm_pbf" (or "osm_xml" for .osm), "geofabrik_shp" */
    char crs[64];            /* CRS of every coordinate: GM__WORKING_CRS unless gm__roads_load_to */
} gm__roads;

/* Load roads from path, choosing the reader from the file: .osm.pbf/.osm ->
 * OSM; a GeoPackage or folder with road_link/RoadLink -> OS Open Roads; a
 * shapefile or zip with gis_osm_roads_free_1 / fclass -> Geofabrik.  Features
 * outside bbox (working CRS, minx,miny,maxx,maxy) are kept: clipping is the
 * caller's business.  Errors: GM_E_NOT_FOUND, GM_E_INPUT (no recognised road
 * layer: message lists the layers found), GM_E_GDAL, GM_E_CRS, GM_E_NOMEM,
 * GM_E_CANCELLED (progress is reported as "Reading roads"). */
gm_status gm__roads_load(gm_ctx *ctx, const char *path, gm__roads **out);

/* As gm__roads_load, into another metric CRS (e.g. a UTM zone for a network
 * outside Great Britain, in tests and benchmarks); NULL is GM__WORKING_CRS. */
gm_status gm__roads_load_to(gm_ctx *ctx, const char *path, const char *crs, gm__roads **out);
void gm__roads_free(gm__roads *r);

#endif
