/*
 * Polygon layers (county boundary, LSOA or ward zones) read through OGR from
 * any vector format, brought into the working CRS (EPSG:27700) and handed
 * over as GEOS geometries with an id and a name.
 */
#ifndef GM_ENGINE_IO_POLYS_H
#define GM_ENGINE_IO_POLYS_H

#include "../core/core.h"

typedef struct gm__poly {
    char *id;      /* the id field's value, or the feature number when no field is named */
    char *name;    /* the name field's value, or "" */
    void *geom;    /* GEOSGeometry *, valid (made valid when the file's was not), working CRS */
} gm__poly;

/* Read every polygon feature of layer (NULL: the only or first layer) of
 * path.  id_field/name_field may be NULL.  A layer without a CRS is taken to
 * be in EPSG:27700.  Features with no or empty geometry, or a geometry that is
 * not a polygon, are skipped and counted in *skipped (may be NULL) with a
 * warning in the log naming the feature.  The caller owns *out
 * (gm__polys_free).  Errors: GM_E_NOT_FOUND (file, layer or field: the message
 * lists what there is), GM_E_INPUT (no polygons), GM_E_GDAL, GM_E_CRS,
 * GM_E_GEOMETRY, GM_E_NOMEM. */
gm_status gm__polys_read(gm_ctx *ctx, const char *path, const char *layer, const char *id_field,
                         const char *name_field, gm__poly **out, size_t *n, size_t *skipped);
void gm__polys_free(gm_ctx *ctx, gm__poly *p, size_t n);

#endif
