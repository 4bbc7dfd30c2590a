/*
 * Small GDAL/OGR helpers shared by every module that reads through GDAL:
 * capturing GDAL's errors into the gapmap context (GDAL must never print), a
 * layer's CRS as "AUTH:CODE" for PROJ, and a data set's layer names for
 * messages.
 */
#ifndef GM_ENGINE_IO_GDALUTIL_H
#define GM_ENGINE_IO_GDALUTIL_H

#include "../core/core.h"
#include "vsi.h"
#include "vwriter.h"

#include <gdal.h>
#include <ogr_api.h>

/* What a GDAL error handler saw during one call: the first failure (the cause;
 * later ones are consequences) is kept, warnings go to the log. */
typedef struct gm__gdal_capture {
    gm_ctx *ctx;
    const char *path;
    bool failed;
    char msg[512];
} gm__gdal_capture;

/* Push a handler capturing into cap (reset first); pair with gm__gdal_end. */
void gm__gdal_begin(gm__gdal_capture *cap, gm_ctx *ctx, const char *path);
void gm__gdal_end(void);

/* "EPSG:n" for a layer's CRS when it has (or can be given, via
 * OSRAutoIdentifyEPSG for ESRI .prj WKT) an EPSG code, else its WKT; a copy of
 * fallback (which may be NULL) when the layer has none.  Caller frees with
 * gm__free.  Errors: GM_E_NOMEM. */
gm_status gm__gdal_layer_crs(gm_ctx *ctx, OGRLayerH layer, const char *fallback, char **out);

/* The layers of a data set as "a, b, c" for a message (truncated to fit). */
void gm__gdal_layer_list(GDALDatasetH ds, char *buf, size_t size);

/* Set an OGR feature's fields from values in def's field order (nulls as
 * gm__value_is_null says): the GeoJSON and GeoPackage writers share it. */
void gm__ogr_set_fields(const gm__layer_def *def, OGRFeatureH f, const gm__value *values);

#endif
