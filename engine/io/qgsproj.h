/*
 * The QGIS project of a run: <dir>/gapmap.qgs, which opens every layer the
 * run wrote, styled, in a layer tree of plain-English names and groups, so a
 * planner double-clicks one file instead of adding layers one by one.
 *
 * QGIS does not load a <stem>.qml beside a layer it opens from a project (it
 * does when a file is added by hand), so each layer's style is copied from its
 * .qml into the project: the children of the qml's <qgis> element (renderer-v2,
 * labeling, ...) go into the layer's <maplayer>, and its attributes
 * (labelsEnabled, ...) onto it.  Data sources are relative ("./zones.geojson",
 * and the project says paths are relative), so the folder can be moved,
 * zipped or shared whole.  The project CRS is British National Grid
 * (EPSG:27700) and it opens on the extent of the layers that start checked.
 *
 * Written under a hidden temporary name and renamed into place like every
 * engine output, and byte-deterministic: no timestamps, no generated ids
 * (a layer's id is "gapmap_layer_<stem>"), numbers in fixed formats.
 *
 * Also here: the county boundary as a small base layer for the project.
 */
#ifndef GM_ENGINE_IO_QGSPROJ_H
#define GM_ENGINE_IO_QGSPROJ_H

#include "../core/core.h"

typedef struct gm__qgs_layer {
    const char *stem;   /* file stem in the folder: "catchments" */
    const char *title;  /* plain English layer name: "Catchments (travel time bands)" */
    const char *group;  /* layer tree group: "Access", "People" ... or NULL (top level) */
    bool visible;       /* checked in the layer tree */
    const char *folder; /* sub-folder of dir holding the files ("shareable"), or NULL: dir itself */
} gm__qgs_layer;

/* Write <dir>/gapmap.qgs titled title (the run's name), replacing any such
 * file, with layers[0..n) in the layer tree top to bottom, which is also the
 * order QGIS draws them in (the first on top).  Layers of one group must be
 * listed together; the group takes the place of its first layer.  A layer's
 * data source is ./<stem>.geojson when formats (GM__FMT_* bits) has GeoJSON,
 * else ./<stem>.shp (./<folder>/<stem>... for a layer with a folder); a layer
 * whose file is not there is left out, without error.  Its style is copied
 * from the <stem>.qml beside it (a layer without one gets
 * QGIS's default look).  Everything is borrowed.
 * Errors: GM_E_ARG (a missing argument, a stem that is not a plain file name,
 * a title or group that is not UTF-8 text, a group listed in two places),
 * GM_E_INPUT (a .qml that is not a QGIS style: the message names it),
 * GM_E_GDAL (a layer file GDAL cannot open to measure), GM_E_CRS (its extent
 * cannot be put into EPSG:27700), GM_E_IO (naming the
 * path: the folder cannot be written), GM_E_NOMEM.  On error no temporary is
 * left and an existing gapmap.qgs is untouched. */
gm_status gm__qgsproj_write(gm_ctx *ctx, const char *dir, const char *title, const gm__qgs_layer *layers,
                            size_t n, unsigned formats);

/* Write the polygons of layer (NULL: the first) of the vector file path as
 * layer "boundary" in dir, in formats (GM__FMT_* bits), with fields id and
 * name, and boundary.qml: an outline of 0.6 mm in dark grey and no fill, so
 * it sits under every other layer without hiding them.  id and name come from
 * the file's code and name fields when it has them ("code" or an ONS "..CD"
 * field, "name" or an ONS "..NM" field), else id is the feature number and
 * name is empty.  Errors: those of gm__polys_read (GM_E_NOT_FOUND,
 * GM_E_INPUT, GM_E_GDAL, GM_E_CRS, ...) and of the writers (GM_E_IO, ...). */
gm_status gm__qgsproj_write_boundary(gm_ctx *ctx, const char *dir, unsigned formats, const char *path,
                                     const char *layer);

#endif
