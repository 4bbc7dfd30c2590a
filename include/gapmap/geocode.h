/*
 * gapmap/geocode.h: UK postcode normalisation and the in-memory postcode directory.
 *
 * Postcodes are keyed in their compact form: upper case, no spaces ("SN151ER",
 * "B11AA").  The directory holds one point per postcode in the working CRS
 * (British National Grid, EPSG:27700, metres), whether the source file gave
 * eastings/northings or WGS84 longitude/latitude, plus its termination date and
 * small-area code when the source has them.
 */
#ifndef GAPMAP_GEOCODE_H
#define GAPMAP_GEOCODE_H

#include "gapmap/core.h"

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Compact postcode buffer size: at most 7 characters plus the terminator. */
#define GM_POSTCODE_COMPACT_MAX 8
/** Display postcode buffer size: outward code, one space, inward code. */
#define GM_POSTCODE_DISPLAY_MAX 9

/** Why a postcode string could not be normalised. */
typedef enum gm_postcode_check {
    GM_POSTCODE_OK = 0,
    GM_POSTCODE_EMPTY,      /**< blank after trimming */
    GM_POSTCODE_BAD_CHARS,  /**< characters other than letters, digits and spaces inside */
    GM_POSTCODE_BAD_LENGTH, /**< fewer than 5 or more than 7 letters and digits */
    GM_POSTCODE_BAD_FORMAT  /**< not A9 9AA, A99 9AA, AA9 9AA, AA99 9AA, A9A 9AA or AA9A 9AA */
} gm_postcode_check;

/**
 * Normalise a postcode as typed by a person or exported by a system: trims
 * surrounding white space, quotes and punctuation, folds case, removes inner
 * spaces, then checks the UK format.
 * @param in the raw text (NUL-terminated, UTF-8).
 * @param out receives the compact form ("SN151ER"); set to "" when not OK.
 * @return GM_POSTCODE_OK or the reason it is not a postcode.
 */
GM_API gm_postcode_check gm_postcode_normalise(const char *in, char out[GM_POSTCODE_COMPACT_MAX]);

/** @return a sentence for a gm_postcode_check, for reject reasons. */
GM_API const char *gm_postcode_check_str(gm_postcode_check check);

/**
 * Format a compact postcode for display: "SN151ER" -> "SN15 1ER".
 * @param compact a compact postcode as produced by gm_postcode_normalise().
 * @param out receives the display form.
 */
GM_API void gm_postcode_display(const char *compact, char out[GM_POSTCODE_DISPLAY_MAX]);

/** Column mapping and reading options for a postcode directory file. */
typedef struct gm_pcdir_opts {
    const char *path;         /**< CSV file (ONSPD, Code-Point Open, or any CSV) */
    bool has_header;          /**< false for Code-Point Open area files */
    /* Columns by header name, or by 1-based number as text ("1") when has_header is false. */
    const char *col_postcode; /**< required */
    const char *col_x;        /**< required: easting or longitude */
    const char *col_y;        /**< required: northing or latitude */
    const char *col_terminated; /**< optional: termination date (ONSPD doterm, "YYYYMM"); NULL if absent */
    const char *col_area;     /**< optional: small-area code (e.g. lsoa21); NULL if absent */
    const char *crs;          /**< CRS of x/y, e.g. "EPSG:27700" (default) or "EPSG:4326" (x = lon, y = lat) */
} gm_pcdir_opts;

/** Fill opts with defaults: header on, CRS EPSG:27700, no columns. */
GM_API void gm_pcdir_opts_init(gm_pcdir_opts *opts);

/** One postcode's entry. */
typedef struct gm_postcode_entry {
    double easting_m;         /**< working CRS x */
    double northing_m;        /**< working CRS y */
    int32_t terminated_yyyymm; /**< 0 when live, else termination year*100+month */
    const char *area;         /**< small-area code, or "" (owned by the directory) */
} gm_postcode_entry;

/** Counts from loading a directory; rows_read = loaded + each skip count. */
typedef struct gm_pcdir_stats {
    uint64_t rows_read;
    uint64_t loaded;
    uint64_t terminated;       /**< loaded rows that carry a termination date */
    uint64_t skipped_bad_postcode;
    uint64_t skipped_no_coords;  /**< blank or non-numeric coordinates (ONSPD rows without a grid reference) */
    uint64_t skipped_duplicate;
    uint64_t skipped_outside_gb; /**< coordinates that fall outside Great Britain and Northern
                                      Ireland in BNG (a wrong column or crs setting) */
} gm_pcdir_stats;

/** The postcode directory: an open-addressing hash of compact postcodes. */
typedef struct gm_pcdir gm_pcdir;

/**
 * Callback for each skipped directory row, so callers can list them in rejects.
 * @param line 1-based physical line in the file; field names the column at fault.
 */
typedef void (*gm_pcdir_skip_fn)(uint64_t line, const char *field, const char *value,
                                 const char *reason, void *user);

/**
 * Load a postcode directory.  Designed for the whole of Great Britain (about
 * 2.6 million ONSPD rows) in a few seconds.
 * @param ctx context for errors and progress.
 * @param opts file and column mapping; borrowed.
 * @param on_skip optional callback for skipped rows (may be NULL).
 * @param user passed to on_skip.
 * @param out receives the directory, owned by the caller (gm_pcdir_free).
 * @return GM_OK; GM_E_NOT_FOUND/GM_E_IO if the file cannot be read; GM_E_INPUT if a
 *         mapped column is missing or the file is malformed CSV; GM_E_CRS for a bad
 *         CRS; GM_E_NOMEM; GM_E_CANCELLED.
 */
GM_API gm_status gm_pcdir_load(gm_ctx *ctx, const gm_pcdir_opts *opts, gm_pcdir_skip_fn on_skip,
                               void *user, gm_pcdir **out);

/** Free a directory.  NULL is a no-op. */
GM_API void gm_pcdir_free(gm_pcdir *dir);

/** @return the load counts. */
GM_API const gm_pcdir_stats *gm_pcdir_get_stats(const gm_pcdir *dir);

/**
 * Look up a compact postcode.
 * @return true and fills *entry when found; false otherwise (entry untouched).
 */
GM_API bool gm_pcdir_lookup(const gm_pcdir *dir, const char *compact, gm_postcode_entry *entry);

/**
 * Suggest a near miss for a postcode that is not in the directory: the usual
 * slips of letter O for zero, I or L for one, S for five and back, at positions
 * where the format calls for the other kind (also B for eight and Z for two).
 * Deterministic: when the tidied text is itself in the directory it is
 * returned; otherwise single swaps are tried position by position, left to
 * right, each position in the order O>0, 0>O, I>1, L>1, 1>I, 1>L, S>5, 5>S,
 * B>8, 8>B, Z>2, 2>Z, and the first that is a valid postcode in the directory
 * wins.
 * @param raw the text as given (need not normalise).
 * @param out receives the compact suggestion when one exists in the directory.
 * @return true when a suggestion was found.
 */
GM_API bool gm_pcdir_suggest(const gm_pcdir *dir, const char *raw, char out[GM_POSTCODE_COMPACT_MAX]);

#ifdef __cplusplus
}
#endif
#endif
