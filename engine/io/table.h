/*
 * Row-by-row reading of tabular inputs, whatever the format: a CSV file through
 * gapmap's own RFC 4180 reader (csv.c), anything else through an OGR layer
 * (GeoPackage, shapefile, GeoJSON, ...).  Every row comes with a reference a user
 * can find again: the physical line number in a CSV (the line the record starts
 * on, counting the header), or the feature number in an OGR layer.
 *
 * Why not OGR for CSV too: rejects must name the line, and OGR's CSV driver
 * numbers features, not lines (quoted fields may span lines); the postcode
 * directory (2.6 million rows, ~50 columns in ONSPD) also needs a reader that
 * does not build a feature per row.
 */
#ifndef GM_ENGINE_IO_TABLE_H
#define GM_ENGINE_IO_TABLE_H

#include "../core/core.h"

typedef struct gm__table gm__table;

typedef struct gm__table_opts {
    bool has_header;      /* CSV only; without a header, columns are named "1", "2", ... */
    const char *layer;    /* OGR only: layer name, NULL for the first layer */
    const char *encoding; /* NULL or "UTF-8" (validated), or "CP1252"/"LATIN1" (recoded to UTF-8) */
} gm__table_opts;

void gm__table_opts_init(gm__table_opts *opts);

/* Open a table.  Files ending .csv/.txt/.tsv (case-insensitive) use the CSV
 * reader (.tsv: tab separated); others are opened with OGR.  A UTF-8 byte order
 * mark is skipped; CRLF and LF line ends are both accepted.
 * Errors: GM_E_NOT_FOUND (no such file), GM_E_IO, GM_E_INPUT (not a table), GM_E_NOMEM,
 * GM_E_CONFIG (an encoding name that is not supported). */
gm_status gm__table_open(gm_ctx *ctx, const char *path, const gm__table_opts *opts, gm__table **out);
void gm__table_close(gm__table *t);

/* Column names, as in the header (trimmed of surrounding spaces). */
size_t gm__table_ncols(const gm__table *t);
const char *gm__table_colname(const gm__table *t, size_t col);

/* Find a column by name, case-insensitively, ignoring surrounding spaces; for a
 * headerless CSV the name is the 1-based column number as text.  -1 if absent. */
int gm__table_find(const gm__table *t, const char *name);

/* Advance to the next row.  Sets *eof at the end.  Rows whose fields are all
 * empty are skipped (a trailing blank line is not a row); an OGR feature is
 * skipped only when it has no geometry either.  Errors: GM_E_INPUT
 * (a quoted field never closed, invalid UTF-8: message names file and line),
 * GM_E_IO, GM_E_NOMEM. */
gm_status gm__table_next(gm__table *t, bool *eof);

/* Number of fields in the current row (may differ from ncols on ragged CSV). */
size_t gm__table_nfields(const gm__table *t);

/* Field text of the current row, unquoted, NUL-terminated; "" when the row is
 * shorter than col.  Valid until the next gm__table_next. */
const char *gm__table_get(const gm__table *t, size_t col);

/* Where the current row is: CSV line number (1-based, header is line 1), or
 * OGR feature number (1-based). */
uint64_t gm__table_rowref(const gm__table *t);

/* "line" for CSV, "feature" for OGR: the word for rowref in messages. */
const char *gm__table_rowword(const gm__table *t);

/* The current row's point geometry (OGR layers with point geometry only).
 * Returns false when there is none.  Coordinates are in the layer's CRS, given
 * by gm__table_crs (an "AUTH:CODE" or WKT string, or NULL when unknown), x
 * first (easting or longitude) as OGR gives them, whatever the CRS's axis order. */
bool gm__table_point(const gm__table *t, double *x, double *y);
const char *gm__table_crs(const gm__table *t);

/* Bytes read so far and total size, for progress reporting (CSV; OGR gives
 * features read / feature count). */
uint64_t gm__table_progress_done(const gm__table *t);
uint64_t gm__table_progress_total(const gm__table *t);

#endif
