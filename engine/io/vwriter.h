/*
 * Vector layer writing: one layer definition, written at once as GeoJSON
 * (RFC 7946, WGS84, through GDAL's GeoJSON driver), an ESRI shapefile
 * (working CRS EPSG:27700, through shapelib, with .prj and .cpg) and/or a
 * table of the run's GeoPackage (working CRS, through GDAL's GPKG driver; the
 * file itself belongs to a session, see gpkg.h).
 *
 * Every file is written under a temporary name beside its final name and
 * renamed into place by gm__vwriter_close, so an interrupted run never leaves a
 * half-written layer.  Output is deterministic: features in the order added,
 * fixed coordinate precision.
 *
 * Shapefile field names must fit 10 characters: gm__dbf_fit_names shortens
 * long names deterministically and without collisions (see docs/outputs.md).
 * The GeoJSON and the GeoPackage keep the full names.
 */
#ifndef GM_ENGINE_IO_VWRITER_H
#define GM_ENGINE_IO_VWRITER_H

#include "../core/core.h"

typedef enum gm__ftype { GM__FT_STRING, GM__FT_INT, GM__FT_REAL } gm__ftype;

typedef struct gm__field_def {
    const char *name;  /* full name, used as is in GeoJSON */
    gm__ftype type;
    int precision;     /* GM__FT_REAL: decimals kept in the shapefile (GeoJSON keeps the double) */
} gm__field_def;

/* GM__GT_NONE: a table without geometry, which only the GeoPackage can hold. */
typedef enum gm__gtype { GM__GT_POINT, GM__GT_LINE, GM__GT_POLYGON, GM__GT_NONE } gm__gtype;

typedef struct gm__layer_def {
    const char *name;  /* file stem: "customers" -> customers.geojson, customers.shp ... */
    gm__gtype geom;
    size_t nfields;
    const gm__field_def *fields;
    const char *title; /* optional plain-English description (the GeoPackage table's); NULL: none */
} gm__layer_def;

/* One attribute value; is_null writes a null (GeoJSON) / empty (DBF) value. */
typedef struct gm__value {
    bool is_null;
    const char *s;     /* GM__FT_STRING, UTF-8 */
    int64_t i;         /* GM__FT_INT */
    double d;          /* GM__FT_REAL */
} gm__value;

/* GM__FMT_GPKG: a table in the GeoPackage session open on the same folder
 * (gm__gpkg_begin in gpkg.h); without one, gm__vwriter_open fails. */
enum { GM__FMT_GEOJSON = 1u, GM__FMT_SHAPEFILE = 2u, GM__FMT_GPKG = 4u };

typedef struct gm__vwriter gm__vwriter;

/* Start writing layer def into folder dir (which must exist) in the given
 * formats (GM__FMT_* bits).  def and its strings are borrowed until close.
 * Errors: GM_E_IO (cannot create, message names the path), GM_E_GDAL, GM_E_CRS,
 * GM_E_ARG (also: GM__FMT_GPKG without a GeoPackage session on dir, or a
 * GM__GT_NONE layer in a format other than GM__FMT_GPKG), GM_E_NOMEM. */
gm_status gm__vwriter_open(gm_ctx *ctx, const char *dir, const gm__layer_def *def,
                           unsigned formats, gm__vwriter **out);

/* Errors of the add calls: GM_E_ARG (non-finite coordinates, a geometry of
 * another type, NULL values with fields) leaves the writer usable; any other
 * failure (GM_E_IO, GM_E_GDAL, GM_E_GEOMETRY, GM_E_NOMEM) is sticky: later adds
 * return it again and gm__vwriter_close removes the temporary files and returns
 * it.  An empty geometry is written as a null geometry (GeoJSON "geometry":
 * null, shapefile null shape, GeoPackage NULL).  A GM__GT_NONE layer takes
 * only gm__vwriter_add_geos with a NULL geometry. */

/* Add a point feature (working-CRS coordinates); values has def->nfields entries. */
gm_status gm__vwriter_add_point(gm__vwriter *w, const gm__value *values, double x, double y);

/* Add a feature with a GEOS geometry (GEOSGeometry *, working CRS), of the
 * layer's type (a MultiLineString/MultiPolygon is accepted for line/polygon
 * layers).  The geometry is borrowed; NULL writes a null geometry. */
gm_status gm__vwriter_add_geos(gm__vwriter *w, const gm__value *values, const void *geom);

/* Finish: flush, close and rename every file into place (and commit the
 * GeoPackage table into its session).  Frees w whatever the outcome; on
 * failure the temporary files are removed. */
gm_status gm__vwriter_close(gm__vwriter *w);

/* Abandon: remove temporary files (and the GeoPackage table) and free w.
 * NULL is a no-op. */
void gm__vwriter_abort(gm__vwriter *w);

/* Fit n field names to the DBF limit of 10 bytes, deterministically and without
 * collisions (case-insensitive, as DBF readers compare them): a name that fits is
 * kept; a longer one is cut to 10; a clash is resolved by replacing the tail with
 * a number ("travel_tim" -> "travel_t_1").  out[i] receives 11-byte buffers.
 * Returns false if no unique name could be made (more than 999 clashes). */
bool gm__dbf_fit_names(const char *const *names, size_t n, char (*out)[11]);

/* Whether v is written as a null: is_null, a NULL string, or a non-finite real
 * (neither DBF nor RFC 7946 JSON can hold NaN or infinity). */
bool gm__value_is_null(gm__ftype type, const gm__value *v);

#endif
