/*
 * The point layers of located inputs: customers (restricted: one row per
 * person, pseudonymous id only, never a name) and providers (one row per site).
 */
#ifndef GM_ENGINE_RUN_LAYERS_H
#define GM_ENGINE_RUN_LAYERS_H

#include "gapmap/inputs.h"

#include "../core/core.h"

/* Write customers.* / providers.* in the given formats (GM__FMT_* bits) into
 * dir, which must exist.  Errors come from the writers (GM_E_IO, GM_E_GDAL...). */
gm_status gm__write_customer_layer(gm_ctx *ctx, const char *dir, unsigned formats,
                                   const gm_inputs *in);
gm_status gm__write_site_layer(gm_ctx *ctx, const char *dir, unsigned formats, const gm_inputs *in);

#endif
