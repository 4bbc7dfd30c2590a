/*
 * QGIS layer styles: a QGIS 3 style file (.qml, the XML that QGIS writes with
 * "Save Style", renderer-v2, version 3.22) for a layer the engine writes, so a
 * planner who opens catchments.geojson or catchments.shp sees it coloured by
 * time band at once: QGIS loads <stem>.qml beside a file-based layer by itself.
 *
 * One style serves both formats.  Because QGIS looks for <stem>.qml for
 * catchments.geojson and catchments.shp alike, there is one file per layer,
 * not one per format, so it must work with the GeoJSON's full field names and
 * the shapefile's names cut to 10 bytes (gm__dbf_fit_names).  When the style is
 * given its layer (gm__qml_style.layer), a field whose name the shapefile keeps
 * is written as a plain field name; one the shapefile cuts is written as the
 * QGIS expression
 *     coalesce(attribute($currentfeature, 'travel_minutes'),
 *              attribute($currentfeature, 'travel_min'))
 * which reads whichever of the two the layer has (attribute() gives NULL for a
 * field the layer lacks, and gm__dbf_fit_names never makes a name that another
 * field already has, even ignoring case as QGIS's lookup does, so the fallback
 * cannot pick up a different field).  Such a field still
 * classifies and labels in both formats; QGIS shows the expression in the
 * field box.  Without a layer, names are written as given: the caller passes
 * names that exist in every format the style is used with.
 *
 * The file is written under a hidden temporary name (".<stem>.qml.tmp") and
 * renamed into place, like every engine output.  Output is deterministic: no
 * timestamps, numbers in the shortest form that reads back to the same double.
 */
#ifndef GM_ENGINE_IO_QML_H
#define GM_ENGINE_IO_QML_H

#include "../core/core.h"
#include "vwriter.h"

typedef enum gm__qml_kind {
    GM__QML_SINGLE,      /* one symbol for every feature */
    GM__QML_GRADUATED,   /* classes by numeric ranges of field */
    GM__QML_CATEGORIZED  /* classes by the value of field, compared as text */
} gm__qml_kind;

typedef struct gm__qml_class {
    /* Graduated: the class holds lo < value <= hi (QGIS tests lo <= value <=
     * hi, first class first, so a value on a boundary goes to the lower class
     * and only the first class also holds value == lo).  Classes must be in
     * ascending order and must not overlap; lo and hi finite. */
    double lo, hi;
    const char *value; /* categorized: the value as text ("15", "car"); QGIS matches
                          a number field by its text form, so 15.0 matches "15" */
    const char *label; /* legend text, UTF-8; NULL: "lo - hi" or the value */
    const char *color; /* "#rrggbb" */
} gm__qml_class;

typedef struct gm__qml_style {
    gm__gtype geom;
    gm__qml_kind kind;
    /* Graduated/categorized: the field to classify by, by its full (GeoJSON)
     * name; graduated needs a number field. */
    const char *field;
    const gm__qml_class *classes;
    size_t nclasses;
    const char *color;       /* single: the symbol colour "#rrggbb" */
    /* Polygon fill opacity 0..1 (0.45 lets nested catchments show through each
     * other); 0 draws the outline only, so it then needs an outline.  Ignored
     * for points and lines, which are drawn opaque. */
    double opacity;
    const char *outline;     /* "#rrggbb" outline of polygons and markers; NULL: none */
    /* Marker diameter (points), line width (lines) or outline width
     * (polygons), in mm; 0: QGIS's defaults of 2, 0.26 and 0.26. */
    double size;
    const char *label_field; /* NULL, or the field (full name) to label features with */
    /* NULL, or the layer the style is for (borrowed): fields are then checked
     * against it (a misspelt field would leave the layer unstyled in QGIS) and
     * names the shapefile cuts are written so that they work in both formats
     * (see the top of this file). */
    const gm__layer_def *layer;
} gm__qml_style;

/* Write <dir>/<stem>.qml for style st (everything borrowed), replacing any such
 * file.  dir must exist; stem is a file stem ("catchments"), no '/'.
 * Errors: GM_E_ARG (the message says which argument or class is wrong: an
 * unknown geometry or kind, no classes, a colour not "#rrggbb", ranges out of
 * order, a field not in st->layer or not a number for graduated, a label or
 * value that is not UTF-8 text), GM_E_IO (naming the path), GM_E_NOMEM.  On
 * error no temporary is left and an existing <stem>.qml is untouched. */
gm_status gm__qml_write(gm_ctx *ctx, const char *dir, const char *stem, const gm__qml_style *st);

/* Colour i of n (i < n) from ColorBrewer's sequential YlGnBu ramp, as
 * "#rrggbb" (static storage), for time bands listed nearest first: i = 0 is the
 * darkest (nearest, shortest time) and i = n - 1 the lightest (farthest).  For
 * 3 to 9 classes these are ColorBrewer's own n-class schemes; 1 and 2 take
 * from the 3-class scheme; more than 9 reuse the nearest of the 9 (neighbours
 * may then repeat).  NULL when i >= n. */
const char *gm__qml_ramp(size_t i, size_t n);

#endif
