/*
 * Private postcode helpers shared by postcode.c and pcdir.c: the cleaning step
 * of gm_postcode_normalise() without the shape check (the suggestion search
 * needs the cleaned text of a postcode whose shape is wrong), and the shape
 * check on its own.
 */
#ifndef GM_ENGINE_GEOCODE_POSTCODE_H
#define GM_ENGINE_GEOCODE_POSTCODE_H

#include "gapmap/geocode.h"

#include <stdbool.h>
#include <stddef.h>

/* Trim, fold case and drop inner spaces.  On GM_POSTCODE_OK out holds 5 to 7
 * upper-case letters and digits whose shape is NOT yet checked; otherwise out
 * is "" and the result is EMPTY, BAD_CHARS or BAD_LENGTH. */
gm_postcode_check gm__postcode_clean(const char *in, char out[GM_POSTCODE_COMPACT_MAX]);

/* Whether a cleaned compact string of length len (5..7) has a UK shape. */
bool gm__postcode_shape_ok(const char *compact, size_t len);

/* The directory's postcodes in load order, for analyses that use every
 * postcode as a demand point: count, then postcode i's point (working CRS)
 * and whether it is live (not terminated).  i < gm__pcdir_count(d). */
size_t gm__pcdir_count(const gm_pcdir *d);
void gm__pcdir_point(const gm_pcdir *d, size_t i, double *x, double *y, bool *live);

#endif
