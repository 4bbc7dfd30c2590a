/*
 * UK postcode normalisation: from text as people type it or systems export it
 * ("'sn1 1ae'.", "(SN15 1ER)", "ba11\u00a02px", ONSPD's fixed-width "AB1  0AA")
 * to the compact key the postcode directory uses ("SN11AE").
 *
 * Steps: trim white space (ASCII, tab, and the Unicode spaces spreadsheets
 * leave behind: no-break, narrow no-break, figure, thin, zero-width, BOM) and
 * punctuation or quotes (ASCII and typographic) from both ends; fold ASCII
 * case; drop inner spaces; check 5 to 7 letters and digits; check the shape.
 *
 * Shapes (UK Government Data Standards Catalogue, "Postcode", after BS 7666,
 * and Royal Mail's PAF Programmers' Guide): outward code A9, A99, AA9, AA99,
 * A9A or AA9A, then an inward code of one digit and two letters.  As a format
 * rule we also apply Royal Mail's exclusion of C, I, K, M, O and V from the two
 * inward letters (they are never allocated there, being easily misread in
 * handwriting); every postcode in OS Code-Point Open 2014 and ONSPD Feb 2025
 * samples in ../shared/data passes.  The outward letter restrictions (no Q, V,
 * X first, etc.) are not applied: they have had exceptions, and a postcode that
 * does not exist is caught by the directory look-up anyway.  The Girobank
 * postcode GIR 0AA, the one non-geographic code with an all-letter outward
 * part, is accepted.
 *
 * Pure functions of their input: no allocation, no global state.
 */
#include "postcode.h"

#include <string.h>

/* What one input character (ASCII byte or recognised UTF-8 sequence) is. */
typedef enum unit_kind {
    UNIT_ALNUM, /* ASCII letter or digit: part of the postcode */
    UNIT_SPACE, /* white space: dropped anywhere */
    UNIT_PUNCT, /* quote or punctuation: trimmed from the ends, bad inside */
    UNIT_OTHER  /* anything else: always bad */
} unit_kind;

/* Multi-byte UTF-8 characters with a meaning here.  Spaces: U+00A0 no-break
 * (Excel and web forms), U+2007 figure, U+2009 thin, U+202F narrow no-break,
 * U+200B zero-width, U+FEFF byte order mark.  Punctuation: the typographic
 * quotes U+2018, U+2019, U+201C, U+201D that word processors substitute. */
static const struct {
    const char *utf8;
    unit_kind kind;
} special_units[] = {
    {"\xC2\xA0", UNIT_SPACE},     {"\xE2\x80\x87", UNIT_SPACE}, {"\xE2\x80\x89", UNIT_SPACE},
    {"\xE2\x80\xAF", UNIT_SPACE}, {"\xE2\x80\x8B", UNIT_SPACE}, {"\xEF\xBB\xBF", UNIT_SPACE},
    {"\xE2\x80\x98", UNIT_PUNCT}, {"\xE2\x80\x99", UNIT_PUNCT}, {"\xE2\x80\x9C", UNIT_PUNCT},
    {"\xE2\x80\x9D", UNIT_PUNCT},
};

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_letter(char c)
{
    return c >= 'A' && c <= 'Z';
}

/* Classify the character at s, setting *len to its length in bytes (>= 1). */
static unit_kind next_unit(const char *s, size_t *len)
{
    unsigned char c = (unsigned char)s[0];
    *len = 1;
    if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))
        return UNIT_ALNUM;
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f')
        return UNIT_SPACE;
    if (c > 0x20 && c < 0x7F)
        return UNIT_PUNCT; /* the printable ASCII that is neither letter, digit nor space */
    if (c >= 0x80) {
        for (size_t i = 0; i < sizeof special_units / sizeof special_units[0]; i++) {
            size_t n = strlen(special_units[i].utf8);
            if (strncmp(s, special_units[i].utf8, n) == 0) {
                *len = n;
                return special_units[i].kind;
            }
        }
    }
    return UNIT_OTHER; /* control characters, other non-ASCII text, invalid UTF-8 */
}

gm_postcode_check gm__postcode_clean(const char *in, char out[GM_POSTCODE_COMPACT_MAX])
{
    out[0] = '\0';
    if (!in)
        return GM_POSTCODE_EMPTY;
    size_t n = 0;            /* letters and digits seen, possibly more than kept */
    bool punct_after = false; /* punctuation since the last letter or digit */
    bool bad = false;
    char buf[GM_POSTCODE_COMPACT_MAX];
    for (const char *s = in; *s;) {
        size_t len;
        unit_kind k = next_unit(s, &len);
        if (k == UNIT_ALNUM) {
            if (punct_after)
                bad = true; /* punctuation between letters/digits is not trimmable */
            if (n < GM_POSTCODE_COMPACT_MAX - 1)
                buf[n] = (*s >= 'a' && *s <= 'z') ? (char)(*s - 'a' + 'A') : *s;
            n++;
        } else if (k == UNIT_PUNCT) {
            if (n > 0)
                punct_after = true; /* fine if only trimmable text follows */
        } else if (k == UNIT_OTHER) {
            bad = true;
        }
        s += len;
    }
    if (bad)
        return GM_POSTCODE_BAD_CHARS;
    if (n == 0)
        return GM_POSTCODE_EMPTY;
    if (n < 5 || n > 7)
        return GM_POSTCODE_BAD_LENGTH;
    memcpy(out, buf, n);
    out[n] = '\0';
    return GM_POSTCODE_OK;
}

/* Royal Mail never uses these letters in the inward code (see the file header). */
static bool inward_letter_ok(char c)
{
    return is_letter(c) && !strchr("CIKMOV", c);
}

bool gm__postcode_shape_ok(const char *c, size_t len)
{
    if (len < 5 || len > 7)
        return false;
    if (len == 6 && memcmp(c, "GIR0AA", 6) == 0)
        return true;
    const char *in = c + len - 3;
    if (!is_digit(in[0]) || !inward_letter_ok(in[1]) || !inward_letter_ok(in[2]))
        return false;
    /* Outward code: always starts with a letter and its second character
     * decides between the A9... and AA9... families. */
    size_t olen = len - 3;
    if (!is_letter(c[0]))
        return false;
    if (olen == 2) /* A9 */
        return is_digit(c[1]);
    if (olen == 3) /* A99, A9A, AA9 */
        return is_digit(c[1]) ? (is_digit(c[2]) || is_letter(c[2]))
                              : (is_letter(c[1]) && is_digit(c[2]));
    /* olen == 4: AA99, AA9A */
    return is_letter(c[1]) && is_digit(c[2]) && (is_digit(c[3]) || is_letter(c[3]));
}

gm_postcode_check gm_postcode_normalise(const char *in, char out[GM_POSTCODE_COMPACT_MAX])
{
    char buf[GM_POSTCODE_COMPACT_MAX];
    gm_postcode_check check = gm__postcode_clean(in, buf);
    out[0] = '\0';
    if (check != GM_POSTCODE_OK)
        return check;
    if (!gm__postcode_shape_ok(buf, strlen(buf)))
        return GM_POSTCODE_BAD_FORMAT;
    memcpy(out, buf, sizeof buf);
    return GM_POSTCODE_OK;
}

const char *gm_postcode_check_str(gm_postcode_check check)
{
    switch (check) {
    case GM_POSTCODE_OK:
        return "valid postcode";
    case GM_POSTCODE_EMPTY:
        return "postcode is blank";
    case GM_POSTCODE_BAD_CHARS:
        return "postcode contains characters other than letters, digits and spaces";
    case GM_POSTCODE_BAD_LENGTH:
        return "postcode has the wrong length: a UK postcode has 5 to 7 letters and digits";
    case GM_POSTCODE_BAD_FORMAT:
        return "postcode is not in a UK format such as SN1 1AE, SN15 1ER, W1A 1AA or EC1A 1BB";
    }
    return "unknown postcode check";
}

void gm_postcode_display(const char *compact, char out[GM_POSTCODE_DISPLAY_MAX])
{
    size_t n = 0; /* length up to 8: enough to tell a compact postcode from anything else */
    while (compact && n < GM_POSTCODE_COMPACT_MAX && compact[n])
        n++;
    if (n < 5 || n > 7) {
        /* Not a compact postcode: show it as it is, cut to fit the buffer. */
        size_t k = n < GM_POSTCODE_DISPLAY_MAX - 1 ? n : GM_POSTCODE_DISPLAY_MAX - 1;
        if (k)
            memcpy(out, compact, k);
        out[k] = '\0';
        return;
    }
    size_t olen = n - 3;
    memcpy(out, compact, olen);
    out[olen] = ' ';
    memcpy(out + olen + 1, compact + olen, 3);
    out[n + 1] = '\0';
}
