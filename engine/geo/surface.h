/*
 * Surfaces: a regular grid of labelled cells (each cell holds a label such as
 * the nearest site or a travel-time band) turned into one polygon per label.
 *
 * The grid is in the working CRS (EPSG:27700 metres) and is stored south row
 * first: cell (i, j) is labels[j*nx + i], centred on (x0+(i+.5)*cell_m,
 * y0+(j+.5)*cell_m).  Polygons are traced by GDAL (GDALPolygonize, cells joined
 * through their edges only, i.e. 4-connected) and handed back as GEOS
 * geometries.  Output depends only on the input.
 */
#ifndef GM_ENGINE_GEO_SURFACE_H
#define GM_ENGINE_GEO_SURFACE_H

#include "../core/core.h"

#include <stdint.h>

/* Most cells a grid may have: 10^8 int32 labels are 400 MB, and GDAL holds a
 * second copy while tracing; anything larger is a cell size mistake. */
#define GM__GRID_MAX_CELLS 100000000.0

typedef struct gm__grid {
    double x0, y0;   /* lower-left corner of the grid, working CRS (EPSG:27700 metres) */
    double cell_m;   /* square cell side */
    uint32_t nx, ny; /* columns, rows; cell (i, j) has centre (x0+(i+.5)*cell_m, y0+(j+.5)*cell_m);
                        index j*nx+i, j = 0 is the southern row */
} gm__grid;

/* Make a grid covering the box (minx, miny, maxx, maxy) with square cells of
 * cell_m, its edges snapped outwards to multiples of cell_m (so grids of one
 * cell size line up); a box of zero width or height still gets one cell.  *out
 * is a plain struct owned by the caller, untouched on error.
 * Errors: GM_E_ARG for a non-finite or inverted box, cell_m <= 0 or not finite,
 * or more than GM__GRID_MAX_CELLS cells (the message suggests a cell size that
 * fits). */
gm_status gm__grid_cover(gm_ctx *ctx, double minx, double miny, double maxx, double maxy,
                         double cell_m, gm__grid *out);

typedef struct gm__label_poly {
    int32_t label;
    void *geom;     /* GEOSGeometry * MultiPolygon, working CRS, owned by the array */
    double area_m2; /* GEOS area of geom: the label's cell count * cell_m^2 */
} gm__label_poly;

/* The polygons of the cells holding each label >= 0; labels (g->nx * g->ny
 * values, borrowed) below 0 mean no data and are left out.  One valid
 * MultiPolygon per distinct label, sorted by label, with holes where other
 * labels or no data lie; parts of one label touch at cell corners at most.  The
 * caller owns the array and frees it with gm__label_polys_free; an all-no-data
 * grid gives *out = NULL, *n = 0.  Out-parameters are untouched on error.
 * Errors: GM_E_ARG (NULL labels, an empty or oversized grid, a bad cell size),
 * GM_E_GDAL (tracing failed; the message has GDAL's reason), GM_E_GEOMETRY,
 * GM_E_NOMEM. */
gm_status gm__surface_polygons(gm_ctx *ctx, const gm__grid *g, const int32_t *labels,
                               gm__label_poly **out, size_t *n);

/* Free n label polygons and the array.  NULL is a no-op. */
void gm__label_polys_free(gm_ctx *ctx, gm__label_poly *polys, size_t n);

#endif
