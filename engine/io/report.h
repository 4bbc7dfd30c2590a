/*
 * report.html: one self-contained page for commissioners, made from the
 * shareable files a run has already written in its output folder
 * (summary.json, zones.csv, gaps.csv, spend.csv and the zones, gaps and
 * providers layers).  It reads nothing else, so it can show no figure that the
 * shareable outputs do not already show: a count withheld there ("*" or null)
 * is withheld here, and no customer-level file is opened.
 *
 * The page has no external references (inline CSS, maps as inline SVG drawn
 * here from the layers in EPSG:27700, no script), prints on A4, and is the
 * same bytes for the same inputs (no timestamps).  docs/outputs.md describes
 * it.
 */
#ifndef GM_ENGINE_IO_REPORT_H
#define GM_ENGINE_IO_REPORT_H

#include "../core/core.h"

/* Write dir/report.html (under a temporary name, then renamed) from the files
 * in dir.  formats (GM__FMT_* bits, engine/io/vwriter.h) says which layer files
 * the run wrote: the shapefiles (EPSG:27700) are read when present, else the
 * GeoJSON, brought into EPSG:27700.  A section whose source file is absent is
 * left out; summary.json is required.
 * Errors: GM_E_NOT_FOUND (no summary.json), GM_E_INPUT (summary.json or a
 * table that cannot be read), GM_E_IO (cannot write, naming the path),
 * GM_E_GDAL, GM_E_CRS, GM_E_GEOMETRY, GM_E_NOMEM. */
gm_status gm__report_write(gm_ctx *ctx, const char *dir, unsigned formats);

#endif
