/* Lazily made GEOS and PROJ handles for a context.  GEOS messages go to the
 * context's error buffer so a failing geometry call can be explained; PROJ's
 * own logging is silenced (the library never prints) and its errors are read
 * back with proj_context_errno at the failing call. */
#include "geoctx.h"

#include <geos_c.h>
#include <proj.h>
#include <stdio.h>

static void geos_message(const char *msg, void *user)
{
    gm_ctx *ctx = user;
    snprintf(ctx->errmsg, sizeof ctx->errmsg, "geometry engine (GEOS): %s", msg);
}

static void geos_notice(const char *msg, void *user)
{
    gm__log(user, GM_LOG_DEBUG, "GEOS: %s", msg);
}

static void proj_quiet(void *user, int level, const char *msg)
{
    (void)level;
    gm__log(user, GM_LOG_DEBUG, "PROJ: %s", msg);
}

void *gm__geos(gm_ctx *ctx)
{
    if (!ctx->geos) {
        GEOSContextHandle_t h = GEOS_init_r();
        if (!h)
            return NULL;
        GEOSContext_setErrorMessageHandler_r(h, geos_message, ctx);
        GEOSContext_setNoticeMessageHandler_r(h, geos_notice, ctx);
        ctx->geos = h;
    }
    return ctx->geos;
}

void *gm__proj(gm_ctx *ctx)
{
    if (!ctx->proj) {
        PJ_CONTEXT *p = proj_context_create();
        if (!p)
            return NULL;
        proj_log_func(p, ctx, proj_quiet);
        ctx->proj = p;
    }
    return ctx->proj;
}

void gm__geo_release(gm_ctx *ctx)
{
    if (ctx->geos)
        GEOS_finish_r(ctx->geos);
    if (ctx->proj)
        proj_context_destroy(ctx->proj);
    ctx->geos = NULL;
    ctx->proj = NULL;
}
