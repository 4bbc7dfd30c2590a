/*
 * Writing a JSON document to a file the way every output is written: under a
 * temporary name, then renamed into place.  cJSON prints it (tabs, keys in
 * the order added), so the same document gives the same bytes.
 */
#ifndef GM_ENGINE_IO_JSONOUT_H
#define GM_ENGINE_IO_JSONOUT_H

#include "../core/core.h"

#include <cjson/cJSON.h>

/* Write doc (borrowed) to dir/name.  Errors: GM_E_IO (naming the path), GM_E_NOMEM. */
gm_status gm__json_write(gm_ctx *ctx, const char *dir, const char *name, const cJSON *doc);

#endif
