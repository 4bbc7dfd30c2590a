/*
 * Small parsers for field text shared by the loaders: trimming, numbers as
 * councils export them ("£45.50", "1,200"), whole numbers.
 */
#ifndef GM_ENGINE_INPUTS_FIELDS_H
#define GM_ENGINE_INPUTS_FIELDS_H

#include "../core/core.h"
#include "../io/table.h"

/* Field col of the current row trimmed into buf ("" when col < 0). */
const char *gm__field_trim(const gm__table *t, int col, char *buf, size_t bufsz);

/* A non-negative amount: optional leading '£', thousands commas, decimals. */
bool gm__parse_amount(const char *s, double *out);

/* A whole number (optional sign). */
bool gm__parse_int(const char *s, long *out);

/* A coordinate (plain decimal, may be negative). */
bool gm__parse_coord(const char *s, double *out);

#endif
