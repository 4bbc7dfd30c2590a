/*
 * CSV output (RFC 4180, UTF-8, LF line ends) written under a temporary name and
 * renamed into place on close, so a reader never sees half a table.  Fields are
 * quoted only when they must be, so output is stable and diff-friendly.
 */
#ifndef GM_ENGINE_IO_CSVOUT_H
#define GM_ENGINE_IO_CSVOUT_H

#include "../core/core.h"

typedef struct gm__csvout gm__csvout;

/* Errors: GM_E_IO naming the path, GM_E_NOMEM. */
gm_status gm__csvout_open(gm_ctx *ctx, const char *path, gm__csvout **out);
/* Write one row of n fields (NULL fields are written empty). */
gm_status gm__csvout_row(gm__csvout *w, const char *const *fields, size_t n);
/* Flush, close and rename into place; frees w whatever the outcome. */
gm_status gm__csvout_close(gm__csvout *w);
/* Remove the temporary file and free w.  NULL is a no-op. */
void gm__csvout_abort(gm__csvout *w);

/* Format a double with fixed decimals into buf ("" for NaN). */
const char *gm__fmt_fixed(char *buf, size_t size, double v, int decimals);

#endif
