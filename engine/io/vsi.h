/*
 * Reading a file whole through GDAL's virtual file system, for modules that
 * must not include GDAL's headers themselves (engine/transit reads GTFS zips
 * this way).  Implemented in gdalutil.c.
 */
#ifndef GM_ENGINE_IO_VSI_H
#define GM_ENGINE_IO_VSI_H

#include "../core/core.h"

/* Read vpath whole (a member of a zip as "/vsizip/archive.zip/name", or any
 * path GDAL can open).  *absent is set (GM_OK) when it cannot be opened;
 * otherwise the caller owns *buf (gm__free; not NUL-terminated) of *len
 * bytes.  Errors: GM_E_NOMEM (the message names shown). */
gm_status gm__vsi_slurp(gm_ctx *ctx, const char *vpath, const char *shown, char **buf, size_t *len, bool *absent);

#endif
