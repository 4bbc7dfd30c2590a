/*
 * The run's GeoPackage: every layer the vector writer writes, also as a table
 * of the same name in one file, <output>/gapmap.gpkg, through GDAL's GPKG
 * driver, in the working CRS (EPSG:27700) with full field names, null
 * geometries allowed and a spatial index.
 *
 * A GeoPackage holds many layers, so unlike the other formats it outlives one
 * vector writer.  The run opens a session on its output folder with
 * gm__gpkg_begin; while the session is attached to the context, every vector
 * writer opened on that same folder with GM__FMT_GPKG adds its layer to it
 * (vwriter.c calls the gm__gpkg_layer_* functions; nothing else needs to know).
 * gm__gpkg_commit publishes the file once the run has written everything.
 *
 * Invariants:
 * - Tables accumulate in a hidden temporary, ".gapmap.tmp.gpkg" (the .gpkg
 *   ending keeps GDAL from warning about the name), that is renamed to
 *   gapmap.gpkg only by gm__gpkg_commit.  A run that fails or is interrupted
 *   never leaves a half-written gapmap.gpkg; gm__gpkg_abort (and a failed
 *   commit) removes the temporary and SQLite's journal files.  Paths are made
 *   at begin, so clean-up never needs memory.
 * - Each table is written in one SQLite transaction, committed when its
 *   vector writer closes.  An abandoned table is removed from the file; if
 *   that is impossible the session is spoiled and commit refuses to publish.
 * - Deterministic: tables in the order written, features in the order added,
 *   and GDAL's OGR_CURRENT_DATE set (thread-locally, for the duration of each
 *   GDAL call) to a fixed date, so two runs give identical bytes.
 */
#ifndef GM_ENGINE_IO_GPKG_H
#define GM_ENGINE_IO_GPKG_H

#include "vwriter.h"

/* The published file's name in the output folder. */
#define GM__GPKG_NAME "gapmap.gpkg"

/* The date written into gpkg_contents.last_change: fixed, not the run's, so
 * that the file is reproducible (as for the DBF header; see docs/outputs.md). */
#define GM__GPKG_DATE "2000-01-01T00:00:00.000Z"

typedef struct gm__gpkg gm__gpkg;             /* a GeoPackage being built */
typedef struct gm__gpkg_layer gm__gpkg_layer; /* one table being written into it */

/* Start dir/gapmap.gpkg (dir must exist): create the temporary file (replacing
 * a stale one) and attach the session to ctx.  Up to GM__GPKG_SESSIONS
 * sessions, each on its own folder, per context at a time (a run writes one in
 * shareable/ and one in restricted/); commit or abort each before
 * gm_ctx_free.  The caller owns *out.
 * Errors: GM_E_ARG (a session is already attached to dir, or the sessions are
 * all taken), GM_E_IO (cannot create the
 * file; the message names it), GM_E_GDAL (no GPKG driver), GM_E_CRS, GM_E_NOMEM. */
gm_status gm__gpkg_begin(gm_ctx *ctx, const char *dir, gm__gpkg **out);

/* Finish the file and rename it to dir/gapmap.gpkg.  *published (may be NULL)
 * says whether it was: a session that received no table publishes nothing
 * (its temporary is removed) and returns GM_OK.  Detaches and frees g whatever
 * the outcome; on failure the temporary is removed.  Errors: GM_E_ARG (a table
 * is still being written), GM_E_IO, GM_E_GDAL, or the status that spoiled the
 * session. */
gm_status gm__gpkg_commit(gm__gpkg *g, bool *published);

/* Abandon: close, remove the temporary, detach and free g.  NULL is a no-op.
 * A table still being written is abandoned with it (its handle then only
 * accepts gm__gpkg_layer_abort). */
void gm__gpkg_abort(gm__gpkg *g);

/* The session attached to ctx if it writes into folder dir (the same path
 * string as given to gm__gpkg_begin), else NULL. */
gm__gpkg *gm__gpkg_of(gm_ctx *ctx, const char *dir);

/* ---- one table, for vwriter.c --------------------------------------------- */

/* Start table def->name (replacing a table of that name written earlier in the
 * session).  One table at a time per session.  def is borrowed until close;
 * def->title, when set, becomes the table's description.  Polygon and line
 * layers are declared MultiPolygon/MultiLineString, as the GeoPackage
 * specification wants one declared type, and single parts are written as
 * one-part multis; GM__GT_NONE makes an attribute-only table.  The caller owns
 * *out.  Errors: GM_E_ARG (another table is open), GM_E_GDAL, GM_E_NOMEM, or
 * the status that spoiled the session. */
gm_status gm__gpkg_layer_open(gm__gpkg *g, const gm__layer_def *def, gm__gpkg_layer **out);

/* Add one feature (validated by vwriter.c).  geom is a GEOSGeometry * in the
 * working CRS; NULL or empty writes a null geometry.
 * Errors: GM_E_GDAL, GM_E_GEOMETRY, GM_E_NOMEM, GM_E_ARG (session gone). */
gm_status gm__gpkg_add_point(gm__gpkg_layer *l, const gm__value *values, double x, double y);
gm_status gm__gpkg_add_geos(gm__gpkg_layer *l, const gm__value *values, const void *geom);

/* Commit the table into the session and free l whatever the outcome; on
 * failure the session is spoiled.  Errors: GM_E_IO, GM_E_GDAL, GM_E_ARG. */
gm_status gm__gpkg_layer_close(gm__gpkg_layer *l);

/* Remove the table from the session and free l.  NULL is a no-op. */
void gm__gpkg_layer_abort(gm__gpkg_layer *l);

#endif
