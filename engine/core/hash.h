/* SHA-256 of files (nettle), for the run manifest: a rerun months later can
 * tell whether it was given the same inputs. */
#ifndef GM_ENGINE_CORE_HASH_H
#define GM_ENGINE_CORE_HASH_H

#include "core.h"

/* Hash a file; hex receives 64 lowercase hex digits; *size its length in bytes.
 * Errors: GM_E_NOT_FOUND, GM_E_IO (message names the path). */
gm_status gm__sha256_file(gm_ctx *ctx, const char *path, char hex[65], uint64_t *size);

/* Hash a buffer. */
void gm__sha256_hex(const void *data, size_t len, char hex[65]);

#endif
