/*
 * gapmap's streaming RFC 4180 tokenizer, used by table.c.  It reads the file in
 * large chunks and copies each record once, through a small state machine, into
 * one reusable buffer where every field is a NUL-terminated slice: no allocation
 * per row or field once the buffers have grown to the widest record.  Because
 * the state machine carries over from one chunk to the next, a record may span
 * any number of chunks and the input buffer never grows.
 *
 * Accepted input, beyond the RFC: LF, CRLF or lone CR line ends (and a last line
 * without one); a UTF-8 byte order mark at the very start (skipped); any single
 * byte but a quote, line end or NUL as delimiter.  Leniencies, as in most
 * spreadsheet readers: a quote inside an unquoted field is kept as a literal
 * character, and text after the closing quote of a quoted field is appended to
 * it ("ab"cd -> abcd).  Spaces around fields are kept.  A NUL byte is an error
 * (the file is binary or UTF-16), as is a UTF-16 byte order mark.
 *
 * Records are returned as they are, blank ones included ("" -> one empty
 * field); skipping blank records is the table's job.  Each record is checked to
 * be UTF-8 (the default) or recoded from Windows-1252 to UTF-8.
 */
#ifndef GM_ENGINE_IO_CSV_H
#define GM_ENGINE_IO_CSV_H

#include "../core/core.h"

/* Size of one read(); big enough that system calls are a rounding error. */
#define GM__CSV_CHUNK ((size_t)1 << 20)

/* A record longer than this is refused: in practice it means a stray quote has
 * swallowed the rest of the file, and the limit stops a 2 GB file being copied
 * into memory before that is reported. */
#define GM__CSV_MAX_RECORD ((size_t)64 << 20)

typedef enum gm__csv_enc {
    GM__ENC_UTF8 = 0, /* validated: invalid sequences are an input error */
    GM__ENC_CP1252,   /* Windows-1252 (also used for files labelled Latin-1), recoded */
} gm__csv_enc;

/* Parse an encoding name from a config file: NULL, "", "UTF-8"/"UTF8", or
 * "CP1252"/"windows-1252"/"LATIN1"/"LATIN-1"/"ISO-8859-1" (case-insensitive).
 * Returns false for anything else. */
bool gm__csv_parse_encoding(const char *name, gm__csv_enc *out);

typedef struct gm__csv_opts {
    char delim;       /* ',' by default */
    gm__csv_enc enc;  /* GM__ENC_UTF8 by default */
    size_t chunk;     /* bytes per read; 0 for GM__CSV_CHUNK (tests use tiny chunks) */
} gm__csv_opts;

void gm__csv_opts_init(gm__csv_opts *opts);

typedef struct gm__csv gm__csv;

/* Open a file.  name is used in messages (the path as the user wrote it) and is
 * copied.  Errors: GM_E_NOT_FOUND, GM_E_IO, GM_E_INPUT (a UTF-16 file),
 * GM_E_NOMEM. */
gm_status gm__csv_open(gm_ctx *ctx, const char *path, const gm__csv_opts *opts, gm__csv **out);

/* Read from memory instead (fuzzing and tests).  data is borrowed and must
 * outlive the reader; name labels messages.  Errors: GM_E_INPUT, GM_E_NOMEM. */
gm_status gm__csv_open_mem(gm_ctx *ctx, const char *name, const void *data, size_t len,
                           const gm__csv_opts *opts, gm__csv **out);

void gm__csv_close(gm__csv *c);

/* Column names to use in messages about bad text ("column 'Postcode'"); names
 * is borrowed and must outlive the reader or be replaced.  Without names,
 * messages give the 1-based column number. */
void gm__csv_set_colnames(gm__csv *c, const char *const *names, size_t n);

/* Read the next record; *eof is set (and the record emptied) at the end of the
 * input.  Errors: GM_E_INPUT (quote never closed, NUL byte, record too long,
 * invalid UTF-8: the message names file, line and column), GM_E_IO, GM_E_NOMEM.
 * After an error the reader should only be closed. */
gm_status gm__csv_next(gm__csv *c, bool *eof);

/* The current record: field count, field text (NUL-terminated, valid until the
 * next gm__csv_next) and byte length, and the physical line it starts on. */
size_t gm__csv_nfields(const gm__csv *c);
const char *gm__csv_field(const gm__csv *c, size_t i);
size_t gm__csv_field_len(const gm__csv *c, size_t i);
uint64_t gm__csv_line(const gm__csv *c);

/* True when every field of the current record is empty (a blank line). */
bool gm__csv_is_blank(const gm__csv *c);

/* Input bytes consumed so far, and the input size (0 if unknown, e.g. a pipe). */
uint64_t gm__csv_bytes_done(const gm__csv *c);
uint64_t gm__csv_bytes_total(const gm__csv *c);

/* The name given at open, for messages. */
const char *gm__csv_name(const gm__csv *c);

#endif
