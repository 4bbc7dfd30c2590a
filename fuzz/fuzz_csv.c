/*
 * libFuzzer target for the CSV tokenizer (engine/io/csv.c).  The first input
 * byte picks the reader's settings, so one corpus covers them all: bits 0-3 the
 * read chunk size (1-15 bytes, or the default for 0: small chunks put record and
 * quote boundaries across reads), bit 4 tab instead of comma, bit 5 CP1252
 * instead of UTF-8.  The rest is the file.
 *
 * Beyond the sanitizers' checks it asserts the reader's promises: every field is
 * NUL-terminated at its stated length, line numbers only go up, every field is
 * valid UTF-8 when a record is returned, and all input is consumed at the end.
 */
#include "io/csv.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An independent, deliberately simple UTF-8 check (RFC 3629 table 3-7). */
static bool utf8_ok(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned b = s[i];
        size_t len = b < 0x80 ? 1 : b < 0xC2 ? 0 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : b < 0xF5 ? 4 : 0;
        if (len == 0 || n - i < len)
            return false;
        unsigned cp = len == 1 ? b : b & (0x7F >> len);
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3Fu);
        }
        static const unsigned min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min_cp[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += len;
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    gm__csv_opts o;
    gm__csv_opts_init(&o);
    o.chunk = (size_t)(data[0] & 0x0F);
    o.delim = (data[0] & 0x10) ? '\t' : ',';
    o.enc = (data[0] & 0x20) ? GM__ENC_CP1252 : GM__ENC_UTF8;

    gm__csv *c = NULL;
    if (gm__csv_open_mem(NULL, "fuzz.csv", data + 1, size - 1, &o, &c) != GM_OK)
        return 0;
    uint64_t last_line = 0;
    bool eof = false;
    gm_status st;
    while ((st = gm__csv_next(c, &eof)) == GM_OK && !eof) {
        if (gm__csv_line(c) <= last_line || gm__csv_nfields(c) == 0)
            __builtin_trap();
        last_line = gm__csv_line(c);
        for (size_t i = 0; i < gm__csv_nfields(c); i++) {
            const char *f = gm__csv_field(c, i);
            size_t n = gm__csv_field_len(c, i);
            if (strlen(f) != n || !utf8_ok((const unsigned char *)f, n))
                __builtin_trap();
        }
    }
    if (st == GM_OK && gm__csv_bytes_done(c) != gm__csv_bytes_total(c))
        __builtin_trap();
    gm__csv_close(c);
    return 0;
}
