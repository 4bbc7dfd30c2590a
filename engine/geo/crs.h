/*
 * Coordinate transforms with PROJ.  The working CRS of a run is British National
 * Grid (EPSG:27700, metres) by default; everything is brought into it on the way
 * in.  Axis order is always x/east first (lon, lat for geographic CRSs), via
 * proj_normalize_for_visualization, whatever the EPSG definition says.
 */
#ifndef GM_ENGINE_GEO_CRS_H
#define GM_ENGINE_GEO_CRS_H

#include "../core/core.h"

#define GM__WORKING_CRS "EPSG:27700"

typedef struct gm__xform gm__xform;

/* Make a transform from src to dst ("EPSG:4326", "EPSG:27700", WKT, PROJ string).
 * Errors: GM_E_CRS with a message naming the CRS; GM_E_NOMEM. */
gm_status gm__xform_new(gm_ctx *ctx, const char *src, const char *dst, gm__xform **out);
void gm__xform_free(gm__xform *xf);

/* True when src and dst are the same CRS (the transform is the identity). */
bool gm__xform_is_noop(const gm__xform *xf);

/* Transform n points in place (stride 1 arrays).  A point that cannot be
 * transformed (outside the CRS's area) gives GM_E_CRS naming its index. */
gm_status gm__xform_apply(gm_ctx *ctx, const gm__xform *xf, double *x, double *y, size_t n);

/* Transform one point; returns false when it cannot be transformed. */
bool gm__xform_point(const gm__xform *xf, double *x, double *y);

/* The ESRI WKT1 text of a CRS, as a shapefile .prj wants it; caller frees with
 * gm__free.  Errors: GM_E_CRS, GM_E_NOMEM. */
gm_status gm__crs_esri_wkt(gm_ctx *ctx, const char *crs, char **out);

/* Whether a CRS is geographic (degrees), e.g. to validate lon/lat ranges. */
gm_status gm__crs_is_geographic(gm_ctx *ctx, const char *crs, bool *out);

#endif
