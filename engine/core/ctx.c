/* The per-thread context: message buffer and hooks.  GEOS and PROJ handles are
 * made lazily by engine/geo (gm__geo_release frees them) so that core stays free
 * of third-party headers. */
#include "core.h"

#include "../geo/geoctx.h"

#include <stdio.h>
#include <string.h>

gm_status gm_ctx_new(gm_ctx **out)
{
    if (!out)
        return GM_E_ARG;
    gm_ctx *ctx = gm__calloc(1, sizeof *ctx);
    if (!ctx)
        return GM_E_NOMEM;
    *out = ctx;
    return GM_OK;
}

void gm_ctx_free(gm_ctx *ctx)
{
    if (!ctx)
        return;
    gm__geo_release(ctx);
    gm__free(ctx);
}

const char *gm_ctx_errmsg(const gm_ctx *ctx)
{
    return ctx ? ctx->errmsg : "";
}

void gm_ctx_set_progress(gm_ctx *ctx, gm_progress_fn fn, void *user)
{
    if (!ctx)
        return;
    ctx->progress = fn;
    ctx->progress_user = user;
}

void gm_ctx_set_log(gm_ctx *ctx, gm_log_fn fn, void *user)
{
    if (!ctx)
        return;
    ctx->log = fn;
    ctx->log_user = user;
}

gm_status gm__verr(gm_ctx *ctx, gm_status status, const char *fmt, va_list ap)
{
    if (ctx)
        vsnprintf(ctx->errmsg, sizeof ctx->errmsg, fmt, ap);
    return status;
}

gm_status gm__err(gm_ctx *ctx, gm_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    gm__verr(ctx, status, fmt, ap);
    va_end(ap);
    return status;
}

void gm__err_clear(gm_ctx *ctx)
{
    if (ctx)
        ctx->errmsg[0] = '\0';
}

void gm__log(gm_ctx *ctx, gm_log_level level, const char *fmt, ...)
{
    if (!ctx || !ctx->log)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    ctx->log(level, line, ctx->log_user);
}

gm_status gm__progress(gm_ctx *ctx, uint64_t done, uint64_t total, const char *label)
{
    if (!ctx || !ctx->progress)
        return GM_OK;
    if (ctx->progress(done, total, label, ctx->progress_user))
        return gm__err(ctx, GM_E_CANCELLED, "%s: cancelled by the caller", label);
    return GM_OK;
}
