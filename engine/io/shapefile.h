/*
 * ESRI shapefile writing with shapelib, for vwriter.c: geometry streams to the
 * .shp/.shx as features arrive; attributes are held in memory so that each DBF
 * field can be made exactly as wide as its longest value, and the .dbf is
 * written at close together with the .prj (ESRI WKT of the working CRS) and the
 * .cpg ("UTF-8").
 *
 * This module writes the five files under the base path it is given (no
 * extension); choosing a temporary base, renaming and removing files on failure
 * are vwriter.c's job.
 */
#ifndef GM_ENGINE_IO_SHAPEFILE_H
#define GM_ENGINE_IO_SHAPEFILE_H

#include "vwriter.h"

/* 254: the widest DBF field every reader accepts (dBase's limit; shapelib
 * tolerates 255 only for old files). */
#define GM__DBF_MAX_WIDTH 254

/* The files of a shapefile, in the order vwriter.c renames them: the .shp last,
 * so that once it appears under its final name the others are in place. */
#define GM__SHP_NFILES 5
extern const char *const gm__shp_exts[GM__SHP_NFILES];

typedef struct gm__shp gm__shp;

/* Create base.shp/.shx now (the .dbf, .prj and .cpg follow at close).  names
 * are the DBF field names (gm__dbf_fit_names), copied.  label is the name used
 * in messages (the final .shp path); def and label are borrowed until
 * close/abort.  Errors: GM_E_IO (message names the path), GM_E_CRS, GM_E_NOMEM. */
gm_status gm__shp_open(gm_ctx *ctx, const char *base, const char *label,
                       const gm__layer_def *def, const char (*names)[11], gm__shp **out);

/* Write one feature's geometry and keep its attributes.  Values and geometry
 * types are already validated by vwriter.c.  Errors: GM_E_IO, GM_E_GEOMETRY,
 * GM_E_NOMEM. */
gm_status gm__shp_add_point(gm__shp *s, const gm__value *values, double x, double y);
gm_status gm__shp_add_geos(gm__shp *s, const gm__value *values, const void *geom);

/* Close the .shp/.shx, write the .dbf, .prj and .cpg, and free s whatever the
 * outcome.  Errors: GM_E_IO, GM_E_INPUT (fields too wide for a DBF record). */
gm_status gm__shp_close(gm__shp *s);

/* Close quietly and free s (the caller removes the files).  NULL is a no-op. */
void gm__shp_abort(gm__shp *s);

/* Length of the longest prefix of s[0..len) that is at most max bytes and does
 * not split a UTF-8 character. */
size_t gm__utf8_cut(const char *s, size_t len, size_t max);

#endif
