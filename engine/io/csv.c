/*
 * The CSV tokenizer described in csv.h.  One call to gm__csv_next runs a state
 * machine over the input window [p, e), copying field bytes into rec and writing
 * a NUL at each field end, and refills the window (read() of `chunk` bytes, or
 * the next slice of a memory buffer) whenever it runs dry, so the only state
 * that crosses a chunk boundary is the machine's state and the output so far.
 *
 * Invariant that makes the hot loop check-free: every input byte produces at
 * most one output byte (quotes vanish, "" becomes one byte, a delimiter or line
 * end becomes the NUL), plus one NUL when the input ends mid-record.  So if rec
 * has room for (bytes written) + (e - p) + 1 whenever a window starts, the
 * copying loops never need to test for space.
 *
 * Line numbers count line ends consumed: LF, CRLF (one line end) or a lone CR,
 * inside quoted fields too, so that a record's number is the physical line it
 * starts on, as a text editor shows it.
 */
#include "csv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { ST_RECORD, ST_FIELD, ST_UNQUOTED, ST_QUOTED, ST_QUOTE };

struct gm__csv {
    gm_ctx *ctx;
    char *name;
    char delim;
    gm__csv_enc enc;

    /* Input: a file (fd >= 0, read into in) or a borrowed memory buffer. */
    int fd;
    unsigned char *in;
    size_t chunk;
    const unsigned char *mem;
    size_t mem_len, mem_pos;
    const unsigned char *p, *e; /* unread part of the current window */
    bool src_eof;
    uint64_t bytes_read, bytes_total;

    /* Bytes that stop the copying loops: in an unquoted field the delimiter,
     * CR, LF and NUL; in a quoted one the quote, CR, LF and NUL. */
    unsigned char stop_u[256];
    unsigned char stop_q[256];

    uint64_t lines;   /* line ends consumed so far */
    bool skip_lf;     /* the last record ended on CR: an LF right after is part of that line end */

    /* The current record: raw fields in rec; out is rec, or alt after recoding. */
    char *rec;
    size_t rec_cap;
    char *alt;
    size_t alt_cap;
    const char *out;
    size_t out_len;
    size_t *off;      /* field i is out + off[i]; off[nf] is the end */
    size_t off_cap;
    size_t nf;
    uint64_t line;    /* physical line the current record starts on */

    const char *const *colnames;
    size_t ncolnames;
    gm_status failed; /* sticky: after an error the reader is spent */
};

bool gm__csv_parse_encoding(const char *name, gm__csv_enc *out)
{
    static const char *const utf8[] = {"", "UTF-8", "UTF8"};
    static const char *const cp1252[] = {"CP1252", "WINDOWS-1252", "WIN1252", "LATIN1",
                                         "LATIN-1", "ISO-8859-1", "ISO8859-1", "ISO_8859-1"};
    if (!name) {
        *out = GM__ENC_UTF8;
        return true;
    }
    char up[32];
    size_t n = strlen(name);
    if (n >= sizeof up)
        return false;
    for (size_t i = 0; i <= n; i++) {
        char ch = name[i];
        up[i] = (ch >= 'a' && ch <= 'z') ? (char)(ch - 'a' + 'A') : ch;
    }
    for (size_t i = 0; i < sizeof utf8 / sizeof utf8[0]; i++)
        if (strcmp(up, utf8[i]) == 0) {
            *out = GM__ENC_UTF8;
            return true;
        }
    for (size_t i = 0; i < sizeof cp1252 / sizeof cp1252[0]; i++)
        if (strcmp(up, cp1252[i]) == 0) {
            *out = GM__ENC_CP1252;
            return true;
        }
    return false;
}

void gm__csv_opts_init(gm__csv_opts *opts)
{
    opts->delim = ',';
    opts->enc = GM__ENC_UTF8;
    opts->chunk = 0;
}

static const char *errtext(int err, char *buf, size_t size)
{
    /* strerror is not thread-safe, and one gm_ctx per thread is the rule */
    if (strerror_r(err, buf, size) != 0)
        snprintf(buf, size, "error %d", err);
    return buf;
}

/* Allocate the reader and the parts common to files and memory. */
static gm_status csv_new(gm_ctx *ctx, const char *name, const gm__csv_opts *opts, gm__csv **out)
{
    gm__csv_opts defaults;
    if (!opts) {
        gm__csv_opts_init(&defaults);
        opts = &defaults;
    }
    unsigned char d = (unsigned char)opts->delim;
    if (d == '"' || d == '\r' || d == '\n' || d == '\0')
        return gm__err(ctx, GM_E_ARG, "%s: the delimiter cannot be a quote, line end or NUL", name);

    gm__csv *c = gm__calloc(1, sizeof *c);
    if (!c)
        return gm__err(ctx, GM_E_NOMEM, "%s: out of memory opening the file", name);
    c->ctx = ctx;
    c->fd = -1;
    c->delim = (char)d;
    c->enc = opts->enc;
    c->chunk = opts->chunk ? opts->chunk : GM__CSV_CHUNK;
    c->stop_u[d] = c->stop_u['\r'] = c->stop_u['\n'] = c->stop_u[0] = 1;
    c->stop_q['"'] = c->stop_q['\r'] = c->stop_q['\n'] = c->stop_q[0] = 1;
    c->name = gm__strdup(name);
    /* rec must hold one whole window plus its NUL before any record starts */
    c->rec_cap = c->chunk + 1;
    c->rec = gm__malloc(c->rec_cap);
    c->off_cap = 64;
    c->off = gm__malloc(c->off_cap * sizeof *c->off);
    if (!c->name || !c->rec || !c->off) {
        gm__csv_close(c);
        return gm__err(ctx, GM_E_NOMEM, "%s: out of memory opening the file", name);
    }
    c->out = c->rec;
    c->off[0] = 0;
    *out = c;
    return GM_OK;
}

/* Refuse UTF-16 (Excel's "Unicode Text") up front: every other byte is NUL, and
 * the NUL message further on would be less helpful. */
static gm_status check_start(gm__csv *c, const unsigned char *s, size_t n, size_t *skip)
{
    *skip = 0;
    if (n >= 2 && ((s[0] == 0xFF && s[1] == 0xFE) || (s[0] == 0xFE && s[1] == 0xFF)))
        return gm__err(c->ctx, GM_E_INPUT,
                       "%s: the file is UTF-16 text; save it as \"CSV UTF-8\" instead",
                       c->name);
    if (n >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF)
        *skip = 3;
    return GM_OK;
}

gm_status gm__csv_open(gm_ctx *ctx, const char *path, const gm__csv_opts *opts, gm__csv **out)
{
    gm__csv *c = NULL;
    char eb[128];
    gm_status st = csv_new(ctx, path, opts, &c);
    if (st != GM_OK)
        return st;

    /* at least 3 bytes, so the first read can always show a whole byte order mark */
    size_t incap = c->chunk < 4 ? 4 : c->chunk;
    c->in = gm__malloc(incap);
    if (!c->in) {
        st = gm__err(ctx, GM_E_NOMEM, "%s: out of memory opening the file", path);
        goto cleanup;
    }
    c->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (c->fd < 0) {
        int err = errno;
        if (err == ENOENT || err == ENOTDIR)
            st = gm__err(ctx, GM_E_NOT_FOUND,
                         "%s: file not found (check the path in the config; paths are relative "
                         "to the config file)",
                         path);
        else
            st = gm__err(ctx, GM_E_IO, "%s: cannot open (%s)", path, errtext(err, eb, sizeof eb));
        goto cleanup;
    }
    struct stat sb;
    if (fstat(c->fd, &sb) != 0) {
        st = gm__err(ctx, GM_E_IO, "%s: cannot read (%s)", path, errtext(errno, eb, sizeof eb));
        goto cleanup;
    }
    if (S_ISDIR(sb.st_mode)) {
        st = gm__err(ctx, GM_E_IO, "%s: is a folder, not a file", path);
        goto cleanup;
    }
    if (S_ISREG(sb.st_mode))
        c->bytes_total = (uint64_t)sb.st_size;
#ifdef POSIX_FADV_SEQUENTIAL
    (void)posix_fadvise(c->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif

    size_t have = 0;
    while (have < 3) {
        ssize_t n = read(c->fd, c->in + have, incap - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            st = gm__err(ctx, GM_E_IO, "%s: read failed (%s)", path, errtext(errno, eb, sizeof eb));
            goto cleanup;
        }
        if (n == 0) {
            c->src_eof = true;
            break;
        }
        have += (size_t)n;
    }
    c->bytes_read = have;
    size_t skip;
    st = check_start(c, c->in, have, &skip);
    if (st != GM_OK)
        goto cleanup;
    c->p = c->in + skip;
    c->e = c->in + have;
    /* The first window may exceed chunk when chunk < 4; make rec fit it too. */
    if (have + 1 > c->rec_cap) {
        char *r = gm__realloc(c->rec, have + 1);
        if (!r) {
            st = gm__err(ctx, GM_E_NOMEM, "%s: out of memory opening the file", path);
            goto cleanup;
        }
        c->rec = r;
        c->rec_cap = have + 1;
        c->out = c->rec;
    }
    *out = c;
    c = NULL;

cleanup:
    gm__csv_close(c);
    return st;
}

gm_status gm__csv_open_mem(gm_ctx *ctx, const char *name, const void *data, size_t len,
                           const gm__csv_opts *opts, gm__csv **out)
{
    gm__csv *c = NULL;
    gm_status st = csv_new(ctx, name, opts, &c);
    if (st != GM_OK)
        return st;
    c->mem = data;
    c->mem_len = len;
    c->bytes_total = len;
    size_t skip;
    st = check_start(c, c->mem, len, &skip);
    if (st != GM_OK) {
        gm__csv_close(c);
        return st;
    }
    c->mem_pos = skip;
    c->bytes_read = skip;
    c->p = c->e = c->mem + skip;
    *out = c;
    return GM_OK;
}

void gm__csv_close(gm__csv *c)
{
    if (!c)
        return;
    if (c->fd >= 0)
        close(c->fd);
    gm__free(c->in);
    gm__free(c->rec);
    gm__free(c->alt);
    gm__free(c->off);
    gm__free(c->name);
    gm__free(c);
}

void gm__csv_set_colnames(gm__csv *c, const char *const *names, size_t n)
{
    c->colnames = names;
    c->ncolnames = n;
}

/* Next window of input; called only when p == e.  At the end, p == e stays and
 * src_eof is set. */
static gm_status refill(gm__csv *c)
{
    if (c->fd < 0) {
        size_t n = c->mem_len - c->mem_pos;
        if (n > c->chunk)
            n = c->chunk;
        c->p = c->mem + c->mem_pos;
        c->e = c->p + n;
        c->mem_pos += n;
        c->bytes_read += n;
        if (n == 0)
            c->src_eof = true;
        return GM_OK;
    }
    for (;;) {
        ssize_t n = read(c->fd, c->in, c->chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            char eb[128];
            return gm__err(c->ctx, GM_E_IO, "%s: read failed (%s)", c->name,
                           errtext(errno, eb, sizeof eb));
        }
        c->p = c->in;
        c->e = c->in + n;
        c->bytes_read += (uint64_t)n;
        if (n == 0)
            c->src_eof = true;
        return GM_OK;
    }
}

static bool has_high_bit(const char *s, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if (w & UINT64_C(0x8080808080808080))
            return true;
    }
    for (; i < n; i++)
        if ((unsigned char)s[i] & 0x80)
            return true;
    return false;
}

/* Length of the valid UTF-8 prefix of s[0..n) (n when all valid).  Rejects
 * overlong forms, surrogates and code points above U+10FFFF (RFC 3629). */
static size_t utf8_valid_prefix(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char b = s[i];
        if (b < 0x80) {
            i++;
            continue;
        }
        size_t len;
        unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
        if (b >= 0xC2 && b <= 0xDF)
            len = 2;
        else if (b >= 0xE0 && b <= 0xEF) {
            len = 3;
            if (b == 0xE0)
                lo = 0xA0;
            else if (b == 0xED)
                hi = 0x9F;
        } else if (b >= 0xF0 && b <= 0xF4) {
            len = 4;
            if (b == 0xF0)
                lo = 0x90;
            else if (b == 0xF4)
                hi = 0x8F;
        } else
            return i;
        if (n - i < len || s[i + 1] < lo || s[i + 1] > hi)
            return i;
        for (size_t k = 2; k < len; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                return i;
        i += len;
    }
    return n;
}

static gm_status bad_utf8(gm__csv *c, size_t field, const char *s, size_t at)
{
    char col[96];
    if (c->colnames && field < c->ncolnames)
        snprintf(col, sizeof col, "column '%s'", c->colnames[field]);
    else
        snprintf(col, sizeof col, "column %zu", field + 1);
    /* The text before the bad byte is valid UTF-8, so it can be quoted safely;
     * only its last 40 bytes, stepped forward to a character boundary. */
    size_t from = at > 40 ? at - 40 : 0;
    while (from < at && ((unsigned char)s[from] & 0xC0) == 0x80)
        from++;
    return gm__err(c->ctx, GM_E_INPUT,
                   "%s line %llu, %s: the text is not valid UTF-8 (byte 0x%02X after \"%.*s\"); "
                   "if the file was saved by Excel or another Windows program, set "
                   "`encoding = CP1252` in the config",
                   c->name, (unsigned long long)c->line, col, (unsigned)(unsigned char)s[at],
                   (int)(at - from), s + from);
}

/* Windows-1252 0x80-0x9F (the rest of the byte range is Latin-1, i.e. the code
 * point equals the byte).  The five bytes Windows leaves undefined (81, 8D, 8F,
 * 90, 9D) map to the C1 control of the same value, as MultiByteToWideChar does.
 * Source: https://www.unicode.org/Public/MAPPINGS/VENDORS/MICSFT/WINDOWS/CP1252.TXT */
static const uint16_t cp1252_80_9f[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
    0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

/* Recode the whole record (fields and their NULs) into alt and rebuild off[];
 * fields cannot contain NUL, so the NULs still mark the field ends. */
static gm_status recode_cp1252(gm__csv *c, size_t len)
{
    /* every byte becomes at most 3 (the largest code point here is U+2122) */
    size_t need = len * 3 + 1;
    if (need > c->alt_cap) {
        char *a = gm__realloc(c->alt, need);
        if (!a)
            return gm__err(c->ctx, GM_E_NOMEM, "%s line %llu: out of memory recoding text",
                           c->name, (unsigned long long)c->line);
        c->alt = a;
        c->alt_cap = need;
    }
    const unsigned char *s = (const unsigned char *)c->rec;
    unsigned char *o = (unsigned char *)c->alt;
    size_t f = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned b = s[i];
        if (b < 0x80) {
            *o++ = (unsigned char)b;
            if (b == 0)
                c->off[++f] = (size_t)(o - (unsigned char *)c->alt);
            continue;
        }
        unsigned cp = b < 0xA0 ? cp1252_80_9f[b - 0x80] : b;
        if (cp < 0x800) {
            *o++ = (unsigned char)(0xC0 | (cp >> 6));
        } else {
            *o++ = (unsigned char)(0xE0 | (cp >> 12));
            *o++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        }
        *o++ = (unsigned char)(0x80 | (cp & 0x3F));
    }
    c->out = c->alt;
    c->out_len = (size_t)(o - (unsigned char *)c->alt);
    return GM_OK;
}

/* Check or recode the finished record in rec[0..len). */
static gm_status finish_text(gm__csv *c, size_t len)
{
    c->out = c->rec;
    c->out_len = len;
    if (!has_high_bit(c->rec, len))
        return GM_OK; /* plain ASCII: the same in both encodings, the common case */
    if (c->enc == GM__ENC_CP1252)
        return recode_cp1252(c, len);
    for (size_t i = 0; i < c->nf; i++) {
        const char *s = c->rec + c->off[i];
        size_t n = c->off[i + 1] - c->off[i] - 1;
        size_t ok = utf8_valid_prefix((const unsigned char *)s, n);
        if (ok != n)
            return bad_utf8(c, i, s, ok);
    }
    return GM_OK;
}

static gm_status grow_off(gm__csv *c)
{
    size_t *o = gm__realloc(c->off, 2 * c->off_cap * sizeof *o);
    if (!o)
        return gm__err(c->ctx, GM_E_NOMEM, "%s line %llu: out of memory reading a record",
                       c->name, (unsigned long long)c->line);
    c->off = o;
    c->off_cap *= 2;
    return GM_OK;
}

gm_status gm__csv_next(gm__csv *c, bool *eof)
{
    if (c->failed)
        return c->failed;

    gm_status st = GM_OK;
    const unsigned char *p = c->p, *e = c->e;
    unsigned char *base = (unsigned char *)c->rec;
    unsigned char *o = base;
    const unsigned char delim = (unsigned char)c->delim;
    int state = ST_RECORD;
    /* the last byte of a quoted field was CR: an LF next ends the same line */
    bool quoted_cr = false;
    c->nf = 0;
    c->out = c->rec;
    c->out_len = 0;

/* End the field being written: NUL, and record where the next one starts. */
#define END_FIELD()                                                    \
    do {                                                               \
        *o++ = 0;                                                      \
        if (++c->nf >= c->off_cap && (st = grow_off(c)) != GM_OK)      \
            goto fail;                                                 \
        c->off[c->nf] = (size_t)(o - base);                            \
    } while (0)

    for (;;) {
        if (p == e) {
            if (!c->src_eof) {
                size_t used = (size_t)(o - base);
                if (used > GM__CSV_MAX_RECORD) {
                    st = gm__err(c->ctx, GM_E_INPUT,
                                 "%s line %llu: a record is longer than %zu MiB, so a quoted "
                                 "field is probably never closed (check for a stray \" character)",
                                 c->name, (unsigned long long)c->line, GM__CSV_MAX_RECORD >> 20);
                    goto fail;
                }
                c->p = p;
                if ((st = refill(c)) != GM_OK)
                    goto fail;
                p = c->p;
                e = c->e;
                size_t need = used + (size_t)(e - p) + 1;
                if (need > c->rec_cap) {
                    size_t cap = c->rec_cap;
                    while (cap < need)
                        cap *= 2;
                    char *r = gm__realloc(c->rec, cap);
                    if (!r) {
                        st = gm__err(c->ctx, GM_E_NOMEM,
                                     "%s line %llu: out of memory reading a record", c->name,
                                     (unsigned long long)c->line);
                        goto fail;
                    }
                    c->rec = r;
                    c->rec_cap = cap;
                    base = (unsigned char *)r;
                }
                o = base + used;
                continue;
            }
            /* The input has ended. */
            if (state == ST_RECORD) {
                c->p = p;
                *eof = true;
                return GM_OK;
            }
            if (state == ST_QUOTED) {
                st = gm__err(c->ctx, GM_E_INPUT,
                             "%s line %llu: a quoted field is never closed (check for a stray \" "
                             "character)",
                             c->name, (unsigned long long)c->line);
                goto fail;
            }
            goto record_end; /* a last line without a line end */
        }

        if (state == ST_RECORD) {
            c->line = c->lines + 1;
            if (c->skip_lf) {
                c->skip_lf = false;
                if (*p == '\n') {
                    p++;
                    continue;
                }
            }
            state = ST_FIELD;
        }
        if (state == ST_FIELD) {
            if (*p == '"') {
                p++;
                state = ST_QUOTED;
                quoted_cr = false;
                continue;
            }
            state = ST_UNQUOTED;
        }

        if (state == ST_UNQUOTED) {
            /* The hot loop: most bytes of most files pass through here. */
            while (p < e && !c->stop_u[*p])
                *o++ = *p++;
            if (p == e)
                continue;
            unsigned char ch = *p++;
            if (ch == delim) {
                END_FIELD();
                state = ST_FIELD;
            } else if (ch == '\n') {
                c->lines++;
                goto record_end;
            } else if (ch == '\r') {
                c->lines++;
                c->skip_lf = true;
                goto record_end;
            } else {
                goto nul_byte;
            }
        } else if (state == ST_QUOTED) {
            const unsigned char *from = p;
            while (p < e && !c->stop_q[*p])
                *o++ = *p++;
            if (p != from)
                quoted_cr = false;
            if (p == e)
                continue;
            unsigned char ch = *p++;
            if (ch == '"') {
                state = ST_QUOTE;
            } else if (ch == '\n') {
                if (!quoted_cr)
                    c->lines++;
                quoted_cr = false;
                *o++ = ch;
            } else if (ch == '\r') {
                c->lines++;
                quoted_cr = true;
                *o++ = ch;
            } else {
                goto nul_byte;
            }
        } else { /* ST_QUOTE: just after a quote inside a quoted field */
            if (*p == '"') {
                *o++ = '"'; /* "" is an escaped quote */
                p++;
                state = ST_QUOTED;
                quoted_cr = false;
            } else {
                /* the field is closed; anything before the delimiter is appended */
                state = ST_UNQUOTED;
            }
        }
    }

record_end:
    END_FIELD();
    c->p = p;
    if ((st = finish_text(c, (size_t)(o - base))) != GM_OK)
        goto fail;
    *eof = false;
    return GM_OK;

nul_byte:
    st = gm__err(c->ctx, GM_E_INPUT,
                 "%s line %llu: the file contains a NUL byte, so it is not a text CSV file (if it "
                 "is UTF-16, save it as \"CSV UTF-8\")",
                 c->name, (unsigned long long)(c->lines + 1));
fail:
#undef END_FIELD
    c->p = p;
    c->nf = 0;
    c->out = c->rec;
    c->out_len = 0;
    c->failed = st;
    return st;
}

size_t gm__csv_nfields(const gm__csv *c)
{
    return c->nf;
}

const char *gm__csv_field(const gm__csv *c, size_t i)
{
    return i < c->nf ? c->out + c->off[i] : "";
}

size_t gm__csv_field_len(const gm__csv *c, size_t i)
{
    return i < c->nf ? c->off[i + 1] - c->off[i] - 1 : 0;
}

uint64_t gm__csv_line(const gm__csv *c)
{
    return c->line;
}

bool gm__csv_is_blank(const gm__csv *c)
{
    return c->out_len == c->nf; /* nothing but the field-ending NULs */
}

uint64_t gm__csv_bytes_done(const gm__csv *c)
{
    return c->bytes_read - (uint64_t)(c->e - c->p);
}

uint64_t gm__csv_bytes_total(const gm__csv *c)
{
    return c->bytes_total;
}

const char *gm__csv_name(const gm__csv *c)
{
    return c->name;
}
