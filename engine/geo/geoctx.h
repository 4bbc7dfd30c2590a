/*
 * GEOS and PROJ state owned by a gm_ctx.  Both are made on first use, reentrant
 * (GEOS_init_r, one PJ_CONTEXT per gm_ctx) and route their messages into the
 * context's error buffer.  Callers include geos_c.h / proj.h themselves and
 * cast; only engine/geo and engine/io do that.
 */
#ifndef GM_ENGINE_GEO_GEOCTX_H
#define GM_ENGINE_GEO_GEOCTX_H

#include "../core/core.h"

/* GEOSContextHandle_t for ctx, created on first call; NULL on failure. */
void *gm__geos(gm_ctx *ctx);

/* PJ_CONTEXT * for ctx, created on first call; NULL on failure. */
void *gm__proj(gm_ctx *ctx);

/* Release the handles (called by gm_ctx_free). */
void gm__geo_release(gm_ctx *ctx);

#endif
