/*
 * GeoJSON layer writing through GDAL's GeoJSON driver, for vwriter.c.  The layer
 * is created in the working CRS with RFC7946=YES, so GDAL itself reprojects to
 * WGS84 longitude/latitude, writes polygons with the right-hand rule and rounds
 * coordinates to 7 decimals.  GDAL messages are captured into the context (the
 * library never prints).
 *
 * This module writes one file at the path it is given; choosing a temporary
 * name, renaming and removing files on failure are vwriter.c's job.
 */
#ifndef GM_ENGINE_IO_GEOJSON_H
#define GM_ENGINE_IO_GEOJSON_H

#include "vwriter.h"

typedef struct gm__geojson gm__geojson;

/* Create path (removing a stale file of that name first) with one layer of def.
 * label is the name used in messages (the final file name); def and label are
 * borrowed until close/abort.  Errors: GM_E_IO (message names path), GM_E_GDAL,
 * GM_E_CRS, GM_E_NOMEM. */
gm_status gm__geojson_open(gm_ctx *ctx, const char *path, const char *label,
                           const gm__layer_def *def, gm__geojson **out);

/* Write one feature.  Values and coordinates are already validated by vwriter.c.
 * Errors: GM_E_GDAL, GM_E_GEOMETRY, GM_E_NOMEM. */
gm_status gm__geojson_add_point(gm__geojson *g, const gm__value *values, double x, double y);
gm_status gm__geojson_add_geos(gm__geojson *g, const gm__value *values, const void *geom);

/* Finish the file and free g whatever the outcome.  Errors: GM_E_IO, GM_E_GDAL. */
gm_status gm__geojson_close(gm__geojson *g);

/* Close quietly and free g (the caller removes the file).  NULL is a no-op. */
void gm__geojson_abort(gm__geojson *g);

#endif
