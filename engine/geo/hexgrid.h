/*
 * Hexagon grids: equal hexagons covering a boundary (a study area), each
 * clipped to it, for summarising points or travel times by area.
 *
 * The hexagons are pointy-topped (a vertex due north and south, vertical east
 * and west edges), so they form straight west-east rows, every other row
 * shifted east by half a hexagon.  Size is the side length s in metres: a
 * hexagon is sqrt(3)*s wide, 2*s tall, rows are 1.5*s apart and its area is
 * 3*sqrt(3)/2*s^2 (s = 500 m gives 0.6495 km2).  The lattice is anchored at the
 * working CRS origin (a hexagon is centred on (0, 0)), not on the boundary, so
 * grids of one size line up whatever the area.
 */
#ifndef GM_ENGINE_GEO_HEXGRID_H
#define GM_ENGINE_GEO_HEXGRID_H

#include "../core/core.h"

/* Most hexagons a grid may have (counted over the boundary's bounding box):
 * beyond this the clipping takes minutes and the output is unreadable. */
#define GM__HEX_MAX 5000000.0

/* Smallest clipped piece kept, in m2: smaller ones are slivers where the
 * boundary only grazes a hexagon. */
#define GM__HEX_MIN_AREA_M2 1.0

typedef struct gm__hex {
    char id[16];    /* "H0001", "H0002", ...; zero-padded to at least 4 digits, to as
                       many as the count needs, so the ids sort in grid order */
    void *geom;     /* GEOSGeometry * Polygon, or MultiPolygon where the boundary cuts a
                       hexagon in pieces; working CRS; owned by the array */
    double cx, cy;  /* centre of the unclipped hexagon */
    double area_m2; /* GEOS area of geom */
} gm__hex;

/* The hexagons of side side_m over boundary (a GEOSGeometry * Polygon or
 * MultiPolygon in the working CRS, borrowed), each clipped to it; pieces with
 * under GM__HEX_MIN_AREA_M2 left are dropped.  Order (and ids) go by rows
 * south to north, then west to east within a row.  The caller owns the array
 * and frees it with gm__hexes_free; a boundary too small to keep any piece
 * gives *out = NULL, *n = 0.  Out-parameters are untouched on error.
 * Errors: GM_E_ARG (side_m <= 0 or not finite, a NULL, empty or non-polygonal
 * boundary, more than GM__HEX_MAX hexagons: the message suggests a side that
 * fits), GM_E_GEOMETRY (an invalid boundary, with GEOS's reason; a failed
 * overlay), GM_E_NOMEM. */
gm_status gm__hexgrid_make(gm_ctx *ctx, const void *boundary, double side_m, gm__hex **out,
                           size_t *n);

/* Free n hexagons and the array.  NULL is a no-op. */
void gm__hexes_free(gm_ctx *ctx, gm__hex *h, size_t n);

#endif
