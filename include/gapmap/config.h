/*
 * gapmap/config.h: the run configuration, read from an INI file.
 *
 * Paths in the file are relative to the file's own folder.  Unknown sections
 * and keys are errors (a misspelt key silently ignored would give a wrong map).
 * docs/config.md lists every key with its default.
 */
#ifndef GAPMAP_CONFIG_H
#define GAPMAP_CONFIG_H

#include "gapmap/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gm_config gm_config;

/**
 * Read and validate a configuration file.
 * @param ctx context for the error message (names the file, line and key).
 * @param path the INI file.
 * @param out receives the configuration, owned by the caller (gm_config_free).
 * @return GM_OK; GM_E_NOT_FOUND if the file does not exist; GM_E_IO if unreadable;
 *         GM_E_CONFIG for a syntax error, unknown key or bad value; GM_E_NOMEM.
 */
GM_API gm_status gm_config_load(gm_ctx *ctx, const char *path, gm_config **out);

/** Free a configuration.  NULL is a no-op. */
GM_API void gm_config_free(gm_config *cfg);

/**
 * Override the output folder (e.g. from `--output`).  The path is used as given
 * (relative to the current directory, not to the config file).
 * @return GM_OK or GM_E_NOMEM.
 */
GM_API gm_status gm_config_set_output(gm_ctx *ctx, gm_config *cfg, const char *dir);

/** @return the output folder the run will write to (owned by cfg). */
GM_API const char *gm_config_get_output(const gm_config *cfg);

/** @return the run's name from [run] name (owned by cfg). */
GM_API const char *gm_config_get_name(const gm_config *cfg);

#ifdef __cplusplus
}
#endif
#endif
