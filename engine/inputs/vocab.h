/*
 * The controlled vocabularies of the customer and provider files: needs,
 * service types (lots), days, transport, mobility, funding and framework status.
 * Each has one code (what gapmap writes) and the aliases councils' exports use
 * ("LD", "Learning disabilities", "1:1", "Mon-Fri").  Matching ignores case,
 * surrounding spaces, and treats spaces and hyphens inside a term as '_'.
 */
#ifndef GM_ENGINE_INPUTS_VOCAB_H
#define GM_ENGINE_INPUTS_VOCAB_H

#include "gapmap/inputs.h"

#include "../core/core.h"

typedef enum gm__vocab { GM__V_NEEDS, GM__V_SERVICES, GM__V_DAYS } gm__vocab;

/* Parse a list ("a;b", also ',' '|' '/' separated) into bits.  Returns false on
 * an unknown term, copying it into bad.  An empty list gives bits 0 and true. */
bool gm__vocab_parse(gm__vocab v, const char *text, uint32_t *bits, char *bad, size_t badsz);

/* The accepted codes of a vocabulary, for error messages ("a, b or c"). */
const char *gm__vocab_codes(gm__vocab v);

/* Single-valued enumerations: return false on an unknown value. */
bool gm__parse_transport(const char *text, gm_transport *out);
bool gm__parse_mobility(const char *text, gm_mobility *out);
bool gm__parse_funding(const char *text, gm_funding *out);
bool gm__parse_framework_status(const char *text, gm_framework_status *out);
bool gm__parse_yesno(const char *text, bool *out);

/* Blank after trimming spaces? */
bool gm__is_blank(const char *s);

#endif
