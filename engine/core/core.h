/*
 * Private core helpers shared by every engine module: the context layout, error
 * reporting into the context, the single allocation wrapper and progress/log
 * dispatch.  Nothing here is exported; public declarations live in
 * include/gapmap/core.h.
 */
#ifndef GM_ENGINE_CORE_H
#define GM_ENGINE_CORE_H

#include "gapmap/core.h"

#include <stdarg.h>
#include <stdbool.h>

#define GM__ERRMSG_MAX 2048

/* GeoPackages built at once: a run writes one in shareable/ and one in
 * restricted/. */
#define GM__GPKG_SESSIONS 2

struct gm_ctx {
    char errmsg[GM__ERRMSG_MAX];
    gm_progress_fn progress;
    void *progress_user;
    gm_log_fn log;
    void *log_user;
    void *geos;          /* GEOSContextHandle_t, made on first use by engine/geo */
    void *proj;          /* PJ_CONTEXT *, made on first use by engine/geo */
    void *gpkg[GM__GPKG_SESSIONS]; /* the gm__gpkg files being built (engine/io/gpkg.h), borrowed */
};

#if defined(__GNUC__)
#define GM__PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define GM__PRINTF(fmt, args)
#endif

/* Record a failure message in ctx and return status, so callers write
 * `return gm__err(ctx, GM_E_INPUT, "...", ...)`.  ctx may be NULL. */
gm_status gm__err(gm_ctx *ctx, gm_status status, const char *fmt, ...) GM__PRINTF(3, 4);
gm_status gm__verr(gm_ctx *ctx, gm_status status, const char *fmt, va_list ap) GM__PRINTF(3, 0);

/* Clear the message (at the start of a public call that may set one). */
void gm__err_clear(gm_ctx *ctx);

/* Emit a log line through the hook, if one is set. */
void gm__log(gm_ctx *ctx, gm_log_level level, const char *fmt, ...) GM__PRINTF(3, 4);

/* Report progress; returns GM_E_CANCELLED (with a message) if the hook asks to stop. */
gm_status gm__progress(gm_ctx *ctx, uint64_t done, uint64_t total, const char *label);

/* The one allocation wrapper.  All engine allocations go through these, so a
 * test can make the Nth allocation fail and check for a clean GM_E_NOMEM. */
void *gm__malloc(size_t size);
void *gm__calloc(size_t count, size_t size);
void *gm__realloc(void *ptr, size_t size);
void gm__free(void *ptr);
char *gm__strdup(const char *s);
char *gm__strndup(const char *s, size_t n);

/* Grow *arr (element size elem) so it holds at least need elements; *cap is
 * updated.  Returns false on allocation failure, leaving *arr intact. */
bool gm__grow(void **arr, size_t *cap, size_t need, size_t elem);

/* Test hook: let n more allocations succeed, then fail exactly one (n = 0 fails
 * the next); a negative n disables injection.  gm__alloc_count counts all calls. */
void gm__alloc_fail_after(long n);
unsigned long gm__alloc_count(void);

/* sprintf into a new heap string; NULL on allocation failure. */
char *gm__asprintf(const char *fmt, ...) GM__PRINTF(1, 2);

#endif
