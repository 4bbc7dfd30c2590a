/* Postcode normalisation, display and the check sentences.  The cases are the
 * forms postcodes arrive in from spreadsheets and case-management exports, one
 * of each valid UK shape (real postcodes: Royal Mail, BBC, Bank of England...),
 * and one of each way of being wrong. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#include "gapmap/geocode.h"

/* Criterion runs each case in a fresh process of the same (position
 * independent) binary, so parameters hold text, not pointers to it. */
typedef struct norm_case {
    char in[32];
    char out[GM_POSTCODE_COMPACT_MAX]; /* expected compact form, "" when not OK */
    gm_postcode_check check;
} norm_case;

ParameterizedTestParameters(postcode, normalises_as_people_type_it)
{
    static norm_case cases[] = {
        /* every valid shape */
        {"M1 1AE", "M11AE", GM_POSTCODE_OK},       /* A9 9AA */
        {"M60 1NW", "M601NW", GM_POSTCODE_OK},     /* A99 9AA */
        {"CR2 6XH", "CR26XH", GM_POSTCODE_OK},     /* AA9 9AA */
        {"DN55 1PT", "DN551PT", GM_POSTCODE_OK},   /* AA99 9AA */
        {"W1A 1HQ", "W1A1HQ", GM_POSTCODE_OK},     /* A9A 9AA */
        {"EC1A 1BB", "EC1A1BB", GM_POSTCODE_OK},   /* AA9A 9AA */
        {"GIR 0AA", "GIR0AA", GM_POSTCODE_OK},     /* Girobank, the one special case */
        /* case, spacing */
        {"sn1 1ae", "SN11AE", GM_POSTCODE_OK},
        {"sN15 1eR", "SN151ER", GM_POSTCODE_OK},
        {"SN151ER", "SN151ER", GM_POSTCODE_OK},
        {"  SN15   1ER  ", "SN151ER", GM_POSTCODE_OK},
        {"AB1  0AA", "AB10AA", GM_POSTCODE_OK},    /* ONSPD pcd, fixed width */
        {"S N 1 5 1 E R", "SN151ER", GM_POSTCODE_OK},
        {"\tSN15 1ER\r\n", "SN151ER", GM_POSTCODE_OK},
        /* Unicode spaces from spreadsheets and web forms */
        {"SN15\xC2\xA0" "1ER", "SN151ER", GM_POSTCODE_OK},          /* no-break space inside */
        {"\xC2\xA0SN15 1ER\xC2\xA0", "SN151ER", GM_POSTCODE_OK},    /* and around */
        {"SN15\xE2\x80\xAF" "1ER", "SN151ER", GM_POSTCODE_OK},      /* narrow no-break space */
        {"\xEF\xBB\xBFSN15 1ER", "SN151ER", GM_POSTCODE_OK},        /* byte order mark */
        /* quotes and punctuation around */
        {"'sn1 1ae'.", "SN11AE", GM_POSTCODE_OK},
        {"(SN15 1ER)", "SN151ER", GM_POSTCODE_OK},
        {"\"SN15 1ER\"", "SN151ER", GM_POSTCODE_OK},
        {"SN15 1ER,", "SN151ER", GM_POSTCODE_OK},
        {"\xE2\x80\x9CSN15 1ER\xE2\x80\x9D", "SN151ER", GM_POSTCODE_OK}, /* typographic quotes */
        {"<SN15 1ER>;", "SN151ER", GM_POSTCODE_OK},
        /* blank */
        {"", "", GM_POSTCODE_EMPTY},
        {"   ", "", GM_POSTCODE_EMPTY},
        {"\xC2\xA0\t", "", GM_POSTCODE_EMPTY},
        {"''", "", GM_POSTCODE_EMPTY},
        {"(-)", "", GM_POSTCODE_EMPTY},
        /* bad characters inside */
        {"SN1-1AE", "", GM_POSTCODE_BAD_CHARS},
        {"SN1_1AE", "", GM_POSTCODE_BAD_CHARS},
        {"SN1.1AE", "", GM_POSTCODE_BAD_CHARS},
        {"SN1 1A\xC3\x89", "", GM_POSTCODE_BAD_CHARS}, /* E acute */
        {"\xC3\x89SN1 1AE", "", GM_POSTCODE_BAD_CHARS}, /* not trimmable: not punctuation */
        {"SN1\x01 1AE", "", GM_POSTCODE_BAD_CHARS},    /* control character */
        {"SN1 1AE\xFF", "", GM_POSTCODE_BAD_CHARS},    /* invalid UTF-8 */
        /* bad length */
        {"SN1", "", GM_POSTCODE_BAD_LENGTH},
        {"SN11", "", GM_POSTCODE_BAD_LENGTH},
        {"SN15 1ERX", "", GM_POSTCODE_BAD_LENGTH},
        {"12345678901234567890", "", GM_POSTCODE_BAD_LENGTH},
        /* bad format */
        {"SN1 AAE", "", GM_POSTCODE_BAD_FORMAT},  /* inward code without its digit */
        {"1N1 1AE", "", GM_POSTCODE_BAD_FORMAT},  /* outward code starts with a digit */
        {"SN1 11E", "", GM_POSTCODE_BAD_FORMAT},  /* digit where a letter goes */
        {"SNN 1AE", "", GM_POSTCODE_BAD_FORMAT},  /* AAA outward, and not GIR */
        {"S1234", "", GM_POSTCODE_BAD_FORMAT},
        {"SN1 1AC", "", GM_POSTCODE_BAD_FORMAT},  /* C, I, K, M, O, V never in the inward code */
        {"SN1 1OA", "", GM_POSTCODE_BAD_FORMAT},
        {"SNA1 1AE", "", GM_POSTCODE_BAD_FORMAT}, /* AAA9 */
        {"S1N2 1AE", "", GM_POSTCODE_BAD_FORMAT}, /* A9A9 */
    };
    return cr_make_param_array(norm_case, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(norm_case *c, postcode, normalises_as_people_type_it)
{
    char out[GM_POSTCODE_COMPACT_MAX] = "junk";
    gm_postcode_check got = gm_postcode_normalise(c->in, out);
    cr_assert_eq(got, c->check, "'%s': expected check %d, got %d (%s)", c->in, (int)c->check,
                 (int)got, gm_postcode_check_str(got));
    cr_assert_str_eq(out, c->out, "'%s'", c->in);
}

Test(postcode, null_input_is_blank)
{
    char out[GM_POSTCODE_COMPACT_MAX] = "junk";
    cr_assert_eq(gm_postcode_normalise(NULL, out), GM_POSTCODE_EMPTY);
    cr_assert_str_eq(out, "");
}

typedef struct disp_case {
    char compact[GM_POSTCODE_COMPACT_MAX];
    char display[GM_POSTCODE_DISPLAY_MAX];
} disp_case;

ParameterizedTestParameters(postcode, displays_with_one_space)
{
    static disp_case cases[] = {
        {"M11AE", "M1 1AE"},     {"M601NW", "M60 1NW"},   {"CR26XH", "CR2 6XH"},
        {"DN551PT", "DN55 1PT"}, {"W1A1HQ", "W1A 1HQ"},   {"EC1A1BB", "EC1A 1BB"},
        {"GIR0AA", "GIR 0AA"},   {"", ""},                {"AB", "AB"},
    };
    return cr_make_param_array(disp_case, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(disp_case *c, postcode, displays_with_one_space)
{
    char out[GM_POSTCODE_DISPLAY_MAX];
    gm_postcode_display(c->compact, out);
    cr_assert_str_eq(out, c->display);
    /* and the display form normalises back to where it came from */
    char back[GM_POSTCODE_COMPACT_MAX];
    if (strlen(c->compact) >= 5) {
        cr_assert_eq(gm_postcode_normalise(out, back), GM_POSTCODE_OK);
        cr_assert_str_eq(back, c->compact);
    }
}

Test(postcode, display_of_null_or_overlong_text_stays_in_the_buffer)
{
    char out[GM_POSTCODE_DISPLAY_MAX];
    gm_postcode_display(NULL, out);
    cr_assert_str_eq(out, "");
    gm_postcode_display("ABCDEFGHIJKLMNOP", out); /* not compact: shown cut, never overrun */
    cr_assert_eq(strlen(out), GM_POSTCODE_DISPLAY_MAX - 1);
}

typedef struct check_case {
    gm_postcode_check check;
    char contains[64]; /* a phrase the reject reason must carry */
} check_case;

ParameterizedTestParameters(postcode, check_strings_explain_the_problem)
{
    static check_case cases[] = {
        {GM_POSTCODE_OK, "valid"},
        {GM_POSTCODE_EMPTY, "blank"},
        {GM_POSTCODE_BAD_CHARS, "characters other than letters, digits and spaces"},
        {GM_POSTCODE_BAD_LENGTH, "5 to 7 letters and digits"},
        {GM_POSTCODE_BAD_FORMAT, "SN15 1ER"},
        {(gm_postcode_check)99, "unknown"},
    };
    return cr_make_param_array(check_case, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(check_case *c, postcode, check_strings_explain_the_problem)
{
    const char *s = gm_postcode_check_str(c->check);
    cr_assert_not_null(s);
    cr_assert(strstr(s, c->contains) != NULL, "'%s' should mention '%s'", s, c->contains);
}
