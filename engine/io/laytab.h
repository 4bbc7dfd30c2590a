/*
 * A layer and its table from one row function: every stage that writes a
 * layer also writes the same attributes as <name>.csv, so the map and the
 * spreadsheet never disagree, and (optionally) the layer's QGIS style.
 * Values a caller marks as counts of people are written as "*" in the CSV
 * when null (withheld), and as null in the layer.  With GM__FMT_GPKG the
 * layer is also a table of the run's GeoPackage, and a CSV-only table marked
 * gpkg_table becomes an attribute-only table there.
 */
#ifndef GM_ENGINE_IO_LAYTAB_H
#define GM_ENGINE_IO_LAYTAB_H

#include "qml.h"
#include "vwriter.h"

#define GM__LAYTAB_MAX_FIELDS 48

typedef struct gm__laytab {
    const char *name;            /* layer stem and CSV name */
    gm__gtype geom;
    size_t nfields;              /* at most GM__LAYTAB_MAX_FIELDS */
    const gm__field_def *fields;
    const bool *people;          /* nfields flags, or NULL: counts of people (withheld shown as "*") */
    size_t nrows;
    /* Fill values (nfields) of row i and set *geom to its geometry (a
     * GEOSGeometry *, working CRS; NULL for none, written as a null one).
     * Set *owned to a geometry the writer should destroy after the row (one
     * made for it).  A status other than GM_OK stops the writing. */
    gm_status (*row)(void *arg, size_t i, gm__value *values, const void **geom, void **owned);
    void *arg;
    const gm__qml_style *style;  /* NULL: no .qml; its layer is set by the writer */
    bool layer;                  /* false: the CSV alone */
    const char *title;           /* plain-English description (GeoPackage), or NULL */
    bool gpkg_table;             /* layer false: also a GeoPackage table without geometry */
} gm__laytab;

/* Write dir/<name>.csv, and when t->layer the layer in formats (GM__FMT_*)
 * and its style; when !t->layer but t->gpkg_table and formats has
 * GM__FMT_GPKG, the rows without geometry into the GeoPackage session open on
 * dir.  Errors: those of the writers (GM_E_IO, GM_E_GDAL,
 * GM_E_ARG, GM_E_NOMEM). */
gm_status gm__laytab_write(gm_ctx *ctx, const char *dir, unsigned formats, const gm__laytab *t);

#endif
