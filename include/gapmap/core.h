/*
 * gapmap/core.h: status codes, the per-thread context, progress and logging hooks.
 *
 * Every fallible gapmap call returns a gm_status; on failure the context holds a
 * message (file, line, field, value, what to do) read with gm_ctx_errmsg().  The
 * library never prints and never exits.  One gm_ctx per thread.
 */
#ifndef GAPMAP_CORE_H
#define GAPMAP_CORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(GAPMAP_BUILDING) && defined(__GNUC__)
#define GM_API __attribute__((visibility("default")))
#else
#define GM_API
#endif

/*
 * The status table: name, value, short description.  Codes are append-only so
 * that a number seen in an old log keeps its meaning.
 */
#define GM_STATUS_TABLE(X)                                                          \
    X(GM_OK, 0, "success")                                                          \
    X(GM_E_NOMEM, 1, "out of memory")                                               \
    X(GM_E_ARG, 2, "invalid argument")                                              \
    X(GM_E_IO, 3, "file could not be read or written")                              \
    X(GM_E_NOT_FOUND, 4, "file or item not found")                                  \
    X(GM_E_CONFIG, 5, "invalid configuration")                                      \
    X(GM_E_INPUT, 6, "invalid input data")                                          \
    X(GM_E_CRS, 7, "coordinate reference system or transformation failed")          \
    X(GM_E_GEOMETRY, 8, "geometry operation failed")                                \
    X(GM_E_GDAL, 9, "GDAL/OGR operation failed")                                    \
    X(GM_E_CANCELLED, 10, "cancelled")                                              \
    X(GM_E_INTERNAL, 11, "internal error")

typedef enum gm_status {
#define GM__STATUS_ENUM(name, value, text) name = value,
    GM_STATUS_TABLE(GM__STATUS_ENUM)
#undef GM__STATUS_ENUM
} gm_status;

/** @return the symbolic name of a status ("GM_E_INPUT"), or "GM_UNKNOWN". */
GM_API const char *gm_status_name(gm_status status);

/** @return a short English description of a status. */
GM_API const char *gm_status_str(gm_status status);

/** @return the gapmap version as "MAJOR.MINOR.PATCH". */
GM_API const char *gm_version(void);

/**
 * Progress callback: called with work done out of total for the named stage.
 * Return non-zero to cancel; the running call then returns GM_E_CANCELLED.
 */
typedef int (*gm_progress_fn)(uint64_t done, uint64_t total, const char *label, void *user);

/** Log levels for gm_log_fn. */
typedef enum gm_log_level { GM_LOG_DEBUG = 0, GM_LOG_INFO = 1, GM_LOG_WARN = 2 } gm_log_level;

/** Log callback: one line of text, without a trailing newline. */
typedef void (*gm_log_fn)(gm_log_level level, const char *msg, void *user);

/** The per-thread context: error message buffer, GEOS/PROJ/GDAL state, hooks. */
typedef struct gm_ctx gm_ctx;

/**
 * Create a context.  The caller owns it and frees it with gm_ctx_free().
 * @param out receives the context; untouched on error.
 * @return GM_OK, GM_E_NOMEM, GM_E_ARG.
 */
GM_API gm_status gm_ctx_new(gm_ctx **out);

/** Free a context and the library handles it owns.  NULL is a no-op. */
GM_API void gm_ctx_free(gm_ctx *ctx);

/** @return the message of the last failure, or "" if none.  Owned by ctx. */
GM_API const char *gm_ctx_errmsg(const gm_ctx *ctx);

/** Set the progress hook (NULL to remove).  user is passed back unchanged. */
GM_API void gm_ctx_set_progress(gm_ctx *ctx, gm_progress_fn fn, void *user);

/** Set the log hook (NULL to remove).  user is passed back unchanged. */
GM_API void gm_ctx_set_log(gm_ctx *ctx, gm_log_fn fn, void *user);

#ifdef __cplusplus
}
#endif
#endif
