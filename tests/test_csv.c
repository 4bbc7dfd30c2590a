/* The CSV tokenizer (engine/io/csv.c), fed from memory so that every case can
 * be replayed at every chunk size: a record split anywhere between two reads
 * must come out the same as when the whole input is one read.  Records are
 * compared as text, one per line: "<line>:<field>|<field>...". */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "io/csv.h"

/* Read everything and describe it; returns the status of the first failure. */
static gm_status dump(gm_ctx *ctx, const char *data, size_t len, size_t chunk, char delim,
                      gm__csv_enc enc, char *buf, size_t size)
{
    gm__csv_opts o;
    gm__csv_opts_init(&o);
    o.chunk = chunk;
    o.delim = delim;
    o.enc = enc;
    gm__csv *c = NULL;
    size_t used = 0;
    buf[0] = '\0';
    gm_status st = gm__csv_open_mem(ctx, "test.csv", data, len, &o, &c);
    if (st != GM_OK)
        return st;
    bool eof = false;
    while ((st = gm__csv_next(c, &eof)) == GM_OK && !eof) {
        used += (size_t)snprintf(buf + used, size - used, "%llu:",
                                 (unsigned long long)gm__csv_line(c));
        for (size_t i = 0; i < gm__csv_nfields(c); i++) {
            cr_assert_eq(strlen(gm__csv_field(c, i)), gm__csv_field_len(c, i));
            used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? "|" : "",
                                     gm__csv_field(c, i));
        }
        used += (size_t)snprintf(buf + used, size - used, "\n");
        cr_assert_lt(used, size);
    }
    if (st == GM_OK)
        cr_assert_eq(gm__csv_bytes_done(c), gm__csv_bytes_total(c));
    gm__csv_close(c);
    return st;
}

/* Parameters are copied into Criterion's worker processes, so they hold their
 * text rather than pointers into this one. */
struct split_case {
    char what[64];
    char input[64];
    char expect[64];
};

ParameterizedTestParameters(csv, splits_records_the_same_at_every_chunk_size)
{
    static struct split_case cases[] = {
        {"plain LF", "a,b,c\n1,2,3\n", "1:a|b|c\n2:1|2|3\n"},
        {"CRLF", "a,b\r\n1,2\r\n", "1:a|b\n2:1|2\n"},
        {"lone CR (old Mac Excel)", "a\rb\r\nc", "1:a\n2:b\n3:c\n"},
        {"last line without a line end", "a,b\n1,2", "1:a|b\n2:1|2\n"},
        {"byte order mark skipped", "\xEF\xBB\xBFid,name\n1,x\n", "1:id|name\n2:1|x\n"},
        {"BOM only", "\xEF\xBB\xBF", ""},
        {"empty input", "", ""},
        {"quoted newline: next record is on line 4", "id,note\n1,\"two\nlines\"\n2,x\n",
         "1:id|note\n2:1|two\nlines\n4:2|x\n"},
        {"quoted CRLF counts one line", "id,note\r\n1,\"a\r\nb\"\r\n2,c\r\n",
         "1:id|note\n2:1|a\r\nb\n4:2|c\n"},
        {"doubled quotes are one quote", "\"say \"\"hi\"\"\",\"\"\n", "1:say \"hi\"|\n"},
        {"delimiter inside quotes", "\"a,b\",c\n", "1:a,b|c\n"},
        {"blank lines are records of one empty field", "a\n\n\r\nb\n", "1:a\n2:\n3:\n4:b\n"},
        {"spaces around fields kept", " a , b \n", "1: a | b \n"},
        {"empty fields", ",,\n", "1:||\n"},
        {"ragged rows", "a,b,c\n1\n1,2,3,4\n", "1:a|b|c\n2:1\n3:1|2|3|4\n"},
        {"stray quote inside an unquoted field is literal", "ab\"c,d\n", "1:ab\"c|d\n"},
        {"text after a closing quote is appended", "\"x\"y,z\n", "1:xy|z\n"},
        {"empty quoted field at the end of input", "a,\"\"", "1:a|\n"},
        {"escaped quote at the end of input", "\"x\"\"\"", "1:x\"\n"},
        {"trailing delimiter at the end of input", "a,", "1:a|\n"},
        {"CR at the end of input", "a\r", "1:a\n"},
        {"quoted field across three lines", "\"1\n2\n3\",x\ny\n", "1:1\n2\n3|x\n4:y\n"},
    };
    return cr_make_param_array(struct split_case, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(struct split_case *tc, csv, splits_records_the_same_at_every_chunk_size)
{
    gm_ctx *ctx = NULL;
    cr_assert_eq(gm_ctx_new(&ctx), GM_OK);
    char got[4096];
    size_t len = strlen(tc->input);
    /* chunk 0 is the default (the whole input in one read) */
    for (size_t chunk = 0; chunk <= len + 1; chunk++) {
        gm_status st = dump(ctx, tc->input, len, chunk, ',', GM__ENC_UTF8, got, sizeof got);
        cr_assert_eq(st, GM_OK, "%s, chunk %zu: %s", tc->what, chunk, gm_ctx_errmsg(ctx));
        cr_assert_str_eq(got, tc->expect, "%s, chunk %zu", tc->what, chunk);
    }
    gm_ctx_free(ctx);
}

Test(csv, tab_separated_keeps_commas_in_fields)
{
    char got[256];
    const char *in = "name\ttown\nSmith, J\tOakham\n";
    cr_assert_eq(dump(NULL, in, strlen(in), 0, '\t', GM__ENC_UTF8, got, sizeof got), GM_OK);
    cr_assert_str_eq(got, "1:name|town\n2:Smith, J|Oakham\n");
}

Test(csv, unclosed_quote_names_the_line_the_record_starts_on)
{
    gm_ctx *ctx = NULL;
    cr_assert_eq(gm_ctx_new(&ctx), GM_OK);
    char got[256];
    const char *in = "id,name\n1,ok\n2,\"Smith, J\n3,x\n4,y\n";
    for (size_t chunk = 0; chunk < 8; chunk++) {
        gm_status st = dump(ctx, in, strlen(in), chunk, ',', GM__ENC_UTF8, got, sizeof got);
        cr_assert_eq(st, GM_E_INPUT);
        cr_assert_str_eq(gm_ctx_errmsg(ctx), "test.csv line 3: a quoted field is never closed "
                                             "(check for a stray \" character)");
    }
    gm_ctx_free(ctx);
}

Test(csv, stays_failed_after_an_error)
{
    gm__csv *c = NULL;
    const char *in = "\"open\n";
    cr_assert_eq(gm__csv_open_mem(NULL, "x.csv", in, strlen(in), NULL, &c), GM_OK);
    bool eof = false;
    cr_assert_eq(gm__csv_next(c, &eof), GM_E_INPUT);
    cr_assert_eq(gm__csv_next(c, &eof), GM_E_INPUT);
    cr_assert_eq(gm__csv_nfields(c), 0);
    cr_assert_str_eq(gm__csv_field(c, 0), "");
    gm__csv_close(c);
}

Test(csv, cp1252_is_recoded_to_utf8)
{
    char got[256];
    /* Glynd\xfbr: u circumflex (U+00FB), a Latin-1 byte; Si\xe2n: a circumflex;
     * 0x80 is the euro sign and 0x93/0x94 curly quotes, the CP1252-only range
     * that Latin-1 would turn into control characters. */
    const char *in = "Glynd\xfbr,Si\xe2n,\x80 5,\x93q\x94\n";
    for (size_t chunk = 0; chunk < 6; chunk++) {
        cr_assert_eq(dump(NULL, in, strlen(in), chunk, ',', GM__ENC_CP1252, got, sizeof got),
                     GM_OK);
        cr_assert_str_eq(got, "1:Glynd\xc3\xbbr|Si\xc3\xa2n|\xe2\x82\xac 5|"
                              "\xe2\x80\x9cq\xe2\x80\x9d\n");
    }
}

Test(csv, cp1252_undefined_bytes_become_c1_controls)
{
    char got[64];
    const char *in = "\x81\x8d\n";
    cr_assert_eq(dump(NULL, in, strlen(in), 0, ',', GM__ENC_CP1252, got, sizeof got), GM_OK);
    cr_assert_str_eq(got, "1:\xc2\x81\xc2\x8d\n");
}

Test(csv, invalid_utf8_names_line_and_column_and_suggests_cp1252)
{
    gm_ctx *ctx = NULL;
    cr_assert_eq(gm_ctx_new(&ctx), GM_OK);
    const char *in = "name,town\nA,Oakham\nB,Glynd\xfbr\n";
    static const char *const names[] = {"name", "town"};
    gm__csv *c = NULL;
    cr_assert_eq(gm__csv_open_mem(ctx, "sites.csv", in, strlen(in), NULL, &c), GM_OK);
    gm__csv_set_colnames(c, names, 2);
    bool eof;
    cr_assert_eq(gm__csv_next(c, &eof), GM_OK);
    cr_assert_eq(gm__csv_next(c, &eof), GM_OK);
    cr_assert_eq(gm__csv_next(c, &eof), GM_E_INPUT);
    const char *msg = gm_ctx_errmsg(ctx);
    cr_assert(strstr(msg, "sites.csv line 3, column 'town'") == msg, "%s", msg);
    cr_assert(strstr(msg, "0xFB after \"Glynd\""), "%s", msg);
    cr_assert(strstr(msg, "encoding = CP1252"), "%s", msg);
    gm__csv_close(c);
    gm_ctx_free(ctx);
}

struct utf8_case {
    char bytes[8];
    bool valid;
};

ParameterizedTestParameters(csv, utf8_validation_follows_rfc_3629)
{
    static struct utf8_case cases[] = {
        {"caf\xc3\xa9", true},               /* e acute */
        {"\xe2\x82\xac", true},              /* euro sign */
        {"\xf0\x9f\x99\x82", true},          /* U+1F642, four bytes */
        {"\xc3", false},                     /* truncated */
        {"\xc0\xaf", false},                 /* overlong '/' */
        {"\xe0\x80\xaf", false},             /* overlong, three bytes */
        {"\xed\xa0\x80", false},             /* UTF-16 surrogate */
        {"\xf4\x90\x80\x80", false},         /* above U+10FFFF */
        {"\xe2\x28\xa1", false},             /* bad continuation */
        {"\xff", false},
    };
    return cr_make_param_array(struct utf8_case, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(struct utf8_case *tc, csv, utf8_validation_follows_rfc_3629)
{
    char got[64];
    gm_status st = dump(NULL, tc->bytes, strlen(tc->bytes), 0, ',', GM__ENC_UTF8, got, sizeof got);
    cr_assert_eq(st, tc->valid ? GM_OK : GM_E_INPUT, "bytes %s", tc->bytes);
}

Test(csv, utf16_files_are_refused_with_advice)
{
    gm_ctx *ctx = NULL;
    cr_assert_eq(gm_ctx_new(&ctx), GM_OK);
    static const char in[] = "\xff\xfe" "a\0,\0b\0";
    gm__csv *c = NULL;
    cr_assert_eq(gm__csv_open_mem(ctx, "u.csv", in, sizeof in - 1, NULL, &c), GM_E_INPUT);
    cr_assert_null(c);
    cr_assert(strstr(gm_ctx_errmsg(ctx), "UTF-16"));
    gm_ctx_free(ctx);
}

Test(csv, nul_byte_is_an_input_error)
{
    gm_ctx *ctx = NULL;
    cr_assert_eq(gm_ctx_new(&ctx), GM_OK);
    static const char in[] = "a,b\nc\0d\n";
    char got[64];
    cr_assert_eq(dump(ctx, in, sizeof in - 1, 0, ',', GM__ENC_UTF8, got, sizeof got), GM_E_INPUT);
    cr_assert(strstr(gm_ctx_errmsg(ctx), "test.csv line 2: the file contains a NUL byte"));
    gm_ctx_free(ctx);
}

Test(csv, blank_records_are_recognised)
{
    const char *in = "a\n,,\n \n";
    gm__csv *c = NULL;
    bool eof;
    cr_assert_eq(gm__csv_open_mem(NULL, "b.csv", in, strlen(in), NULL, &c), GM_OK);
    cr_assert_eq(gm__csv_next(c, &eof), GM_OK);
    cr_assert_not(gm__csv_is_blank(c));
    cr_assert_eq(gm__csv_next(c, &eof), GM_OK);
    cr_assert(gm__csv_is_blank(c), "a line of delimiters only is blank");
    cr_assert_eq(gm__csv_next(c, &eof), GM_OK);
    cr_assert_not(gm__csv_is_blank(c), "a space is content");
    cr_assert_eq(gm__csv_next(c, &eof), GM_OK);
    cr_assert(eof);
    gm__csv_close(c);
}

struct enc_case {
    char name[48]; /* "-" stands for NULL */
    bool known;
    gm__csv_enc enc;
};

ParameterizedTestParameters(csv, encoding_names_are_recognised_case_insensitively)
{
    static struct enc_case cases[] = {
        {"-", true, GM__ENC_UTF8},           {"", true, GM__ENC_UTF8},
        {"utf-8", true, GM__ENC_UTF8},       {"UTF8", true, GM__ENC_UTF8},
        {"cp1252", true, GM__ENC_CP1252},    {"Windows-1252", true, GM__ENC_CP1252},
        {"latin1", true, GM__ENC_CP1252},    {"ISO-8859-1", true, GM__ENC_CP1252},
        {"koi8-r", false, GM__ENC_UTF8},
        {"a-very-long-name-that-fits-no-buffer-at-all", false, GM__ENC_UTF8},
    };
    return cr_make_param_array(struct enc_case, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(struct enc_case *tc, csv, encoding_names_are_recognised_case_insensitively)
{
    gm__csv_enc enc = GM__ENC_UTF8;
    const char *name = strcmp(tc->name, "-") == 0 ? NULL : tc->name;
    cr_assert_eq(gm__csv_parse_encoding(name, &enc), tc->known, "%s", tc->name);
    if (tc->known)
        cr_assert_eq(enc, tc->enc, "%s", tc->name);
}

Test(csv, delimiter_cannot_be_a_quote)
{
    gm__csv_opts o;
    gm__csv_opts_init(&o);
    o.delim = '"';
    gm__csv *c = NULL;
    cr_assert_eq(gm__csv_open_mem(NULL, "q.csv", "a", 1, &o, &c), GM_E_ARG);
    cr_assert_null(c);
}

/* Read the whole input with the Nth allocation failing, for every N until one
 * run needs no more allocations than it was allowed: each failure must be a
 * clean GM_E_NOMEM (the ASan build checks for leaks).  The input makes every
 * buffer grow: 70 fields (more than the first field table), a field longer
 * than the 3-byte chunk, and CP1252 text to recode. */
Test(csv, every_allocation_failure_is_a_clean_nomem)
{
    char in[512];
    size_t n = 0;
    n += (size_t)snprintf(in + n, sizeof in - n, "\"Glynd\xfbr, a long quoted field\"");
    for (int i = 0; i < 70; i++)
        n += (size_t)snprintf(in + n, sizeof in - n, ",%d", i);
    n += (size_t)snprintf(in + n, sizeof in - n, "\nSi\xe2n,2\n");

    gm_ctx *ctx = NULL;
    cr_assert_eq(gm_ctx_new(&ctx), GM_OK);
    for (long fail = 0;; fail++) {
        cr_assert_lt(fail, 1000, "no run succeeded");
        char got[1024];
        unsigned long before = gm__alloc_count();
        gm__alloc_fail_after(fail);
        gm_status st = dump(ctx, in, n, 3, ',', GM__ENC_CP1252, got, sizeof got);
        gm__alloc_fail_after(-1);
        unsigned long used = gm__alloc_count() - before;
        if (st == GM_OK) {
            cr_assert_leq(used, (unsigned long)fail, "an allocation failure was ignored");
            cr_assert(strstr(got, "1:Glynd\xc3\xbbr, a long quoted field|0|1|"));
            cr_assert(strstr(got, "|69\n2:Si\xc3\xa2n|2\n"));
            break;
        }
        cr_assert_eq(st, GM_E_NOMEM, "allocation %ld: %s", fail, gm_ctx_errmsg(ctx));
    }
    gm_ctx_free(ctx);
}
