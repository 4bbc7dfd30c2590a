/* Vocabulary tables and matching: see vocab.h.  Codes are the first name in
 * each row; the rest are aliases seen in council exports. */
#include "vocab.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

typedef struct term {
    uint32_t bits;
    const char *names; /* '|' separated: code first, then aliases (already folded) */
} term;

static const term NEEDS[] = {
    {GM_NEED_LEARNING_DISABILITY, "learning_disability|learning_disabilities|ld"},
    {GM_NEED_AUTISM, "autism|autistic_spectrum|autistic_spectrum_condition|asc|asd"},
    {GM_NEED_DEMENTIA, "dementia"},
    {GM_NEED_PHYSICAL, "physical|physical_disability|physical_disabilities|pd"},
    {GM_NEED_SENSORY, "sensory|sensory_impairment|sensory_loss|si"},
    {GM_NEED_MENTAL_HEALTH, "mental_health|mh"},
    {GM_NEED_OLDER_PEOPLE, "older_people|older_adults|frail_elderly|op"},
    {(1u << GM_NEED_COUNT) - 1, "all|any"},
};

static const term SERVICES[] = {
    {GM_SERVICE_ONE_TO_ONE, "one_to_one|1:1|1_1|1_to_1|one_to_one_support"},
    {GM_SERVICE_SMALL_GROUP, "small_group|small_groups|group"},
    {GM_SERVICE_BUILDING_BASED, "building_based|day_centre|day_center|centre_based"},
    {GM_SERVICE_SKILLS_TRAINING, "skills_training|skills_and_training|skills|training"},
};

static const term DAYS[] = {
    {1u << 0, "mon|monday|mo"}, {1u << 1, "tue|tuesday|tu|tues"},
    {1u << 2, "wed|wednesday|we"}, {1u << 3, "thu|thursday|th|thur|thurs"},
    {1u << 4, "fri|friday|fr"}, {1u << 5, "sat|saturday|sa"},
    {1u << 6, "sun|sunday|su"}, {GM_DAYS_WEEKDAYS, "weekdays|mon_fri"},
    {GM_DAYS_ALL, "all|daily|mon_sun"},
};

bool gm__is_blank(const char *s)
{
    for (; *s; s++) {
        if (!isspace((unsigned char)*s))
            return false;
    }
    return true;
}

/* Fold a term: trim, lower case, inner runs of space/hyphen/underscore -> '_'. */
static void fold(const char *s, size_t n, char *out, size_t outsz)
{
    while (n && isspace((unsigned char)*s)) {
        s++;
        n--;
    }
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    size_t o = 0;
    bool sep = false;
    for (size_t i = 0; i < n && o + 1 < outsz; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ' ' || c == '-' || c == '_' || c == '\t') {
            sep = true;
            continue;
        }
        if (sep && o > 0 && o + 1 < outsz)
            out[o++] = '_';
        sep = false;
        out[o++] = (char)tolower(c);
    }
    out[o] = '\0';
}

static bool name_in(const char *names, const char *folded)
{
    size_t len = strlen(folded);
    for (const char *p = names; *p;) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        if (n == len && !strncmp(p, folded, n))
            return true;
        p += n + (bar ? 1 : 0);
    }
    return false;
}

static const term *table_of(gm__vocab v, size_t *n)
{
    switch (v) {
    case GM__V_NEEDS:
        *n = sizeof NEEDS / sizeof *NEEDS;
        return NEEDS;
    case GM__V_SERVICES:
        *n = sizeof SERVICES / sizeof *SERVICES;
        return SERVICES;
    case GM__V_DAYS:
        break;
    }
    *n = sizeof DAYS / sizeof *DAYS;
    return DAYS;
}

/* Day ranges such as "Mon-Fri" fold to "mon_fri"; accept any "<day>_<day>". */
static bool day_range(const char *folded, uint32_t *bits)
{
    const char *us = strchr(folded, '_');
    if (!us)
        return false;
    char a[16], b[16];
    size_t na = (size_t)(us - folded);
    if (na >= sizeof a || strlen(us + 1) >= sizeof b)
        return false;
    memcpy(a, folded, na);
    a[na] = '\0';
    snprintf(b, sizeof b, "%s", us + 1);
    int ia = -1, ib = -1;
    for (int d = 0; d < 7; d++) {
        if (name_in(DAYS[d].names, a))
            ia = d;
        if (name_in(DAYS[d].names, b))
            ib = d;
    }
    if (ia < 0 || ib < 0)
        return false;
    uint32_t r = 0;
    for (int d = ia;; d = (d + 1) % 7) {
        r |= 1u << d;
        if (d == ib)
            break;
    }
    *bits |= r;
    return true;
}

bool gm__vocab_parse(gm__vocab v, const char *text, uint32_t *bits, char *bad, size_t badsz)
{
    size_t nt;
    const term *t = table_of(v, &nt);
    uint32_t r = 0;
    const char *p = text;
    while (*p) {
        size_t n = strcspn(p, ";,|/");
        /* "1:1" must not be split, and ':' is not a separator, so nothing to do. */
        char folded[64];
        fold(p, n, folded, sizeof folded);
        if (folded[0]) {
            bool found = false;
            for (size_t i = 0; i < nt && !found; i++) {
                if (name_in(t[i].names, folded)) {
                    r |= t[i].bits;
                    found = true;
                }
            }
            if (!found && v == GM__V_DAYS)
                found = day_range(folded, &r);
            if (!found) {
                size_t k = n < badsz - 1 ? n : badsz - 1;
                memcpy(bad, p, k);
                bad[k] = '\0';
                return false;
            }
        }
        p += n;
        if (*p)
            p++;
    }
    *bits = r;
    return true;
}

const char *gm__vocab_codes(gm__vocab v)
{
    switch (v) {
    case GM__V_NEEDS:
        return "learning_disability, autism, dementia, physical, sensory, mental_health, "
               "older_people or all";
    case GM__V_SERVICES:
        return "one_to_one, small_group, building_based or skills_training";
    case GM__V_DAYS:
        break;
    }
    return "Mon, Tue, Wed, Thu, Fri, Sat, Sun or a range such as Mon-Fri";
}

static int match_one(const char *text, const char *const *names, size_t n)
{
    char folded[64];
    fold(text, strlen(text), folded, sizeof folded);
    for (size_t i = 0; i < n; i++) {
        if (name_in(names[i], folded))
            return (int)i;
    }
    return -1;
}

bool gm__parse_transport(const char *text, gm_transport *out)
{
    static const char *const names[] = {
        "unknown|not_known",
        "specialist|specialist_transport|council_transport|passenger_transport|taxi",
        "independent|independent_travel|own",
        "travel_trained|trained|travel_training",
        "family|carer|family_carer"};
    int i = match_one(text, names, 5);
    if (i < 0)
        return false;
    *out = (gm_transport)i;
    return true;
}

bool gm__parse_mobility(const char *text, gm_mobility *out)
{
    static const char *const names[] = {"standard|normal|none", "reduced|limited|slow"};
    int i = match_one(text, names, 2);
    if (i < 0)
        return false;
    *out = (gm_mobility)i;
    return true;
}

bool gm__parse_funding(const char *text, gm_funding *out)
{
    static const char *const names[] = {"unknown", "framework", "spot|spot_purchase",
                                        "direct_payment|direct_payments|dp"};
    int i = match_one(text, names, 4);
    if (i < 0)
        return false;
    *out = (gm_funding)i;
    return true;
}

bool gm__parse_framework_status(const char *text, gm_framework_status *out)
{
    static const char *const names[] = {"framework|on_framework", "spot|spot_purchase|off_framework",
                                        "legacy|legacy_contract"};
    int i = match_one(text, names, 3);
    if (i < 0)
        return false;
    *out = (gm_framework_status)i;
    return true;
}

bool gm__parse_yesno(const char *text, bool *out)
{
    static const char *const names[] = {"no|n|false|0", "yes|y|true|1"};
    int i = match_one(text, names, 2);
    if (i < 0)
        return false;
    *out = i == 1;
    return true;
}

/* Public code texts. */

void gm_codes_text(char kind, uint32_t bits, char *out, size_t size)
{
    gm__vocab v = kind == 'n' ? GM__V_NEEDS : kind == 's' ? GM__V_SERVICES : GM__V_DAYS;
    static const char *const day_codes[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    size_t nt;
    const term *t = table_of(v, &nt);
    size_t o = 0;
    if (size)
        out[0] = '\0';
    size_t limit = v == GM__V_NEEDS ? GM_NEED_COUNT : v == GM__V_SERVICES ? GM_SERVICE_COUNT : 7;
    for (size_t i = 0; i < limit; i++) {
        if (!(bits & (1u << i)))
            continue;
        char code[40];
        if (v == GM__V_DAYS) {
            snprintf(code, sizeof code, "%s", day_codes[i]);
        } else {
            size_t n = strcspn(t[i].names, "|");
            snprintf(code, sizeof code, "%.*s", (int)n, t[i].names);
        }
        int w = snprintf(out + o, size > o ? size - o : 0, "%s%s", o ? ";" : "", code);
        if (w < 0 || (size_t)w >= size - o)
            break;
        o += (size_t)w;
    }
}

const char *gm_transport_code(gm_transport t)
{
    static const char *const c[] = {"", "specialist", "independent", "travel_trained", "family"};
    return (unsigned)t < 5 ? c[t] : "";
}

const char *gm_mobility_code(gm_mobility m)
{
    return m == GM_MOBILITY_REDUCED ? "reduced" : "standard";
}

const char *gm_funding_code(gm_funding f)
{
    static const char *const c[] = {"", "framework", "spot", "direct_payment"};
    return (unsigned)f < 4 ? c[f] : "";
}

const char *gm_framework_status_code(gm_framework_status s)
{
    static const char *const c[] = {"framework", "spot", "legacy"};
    return (unsigned)s < 3 ? c[s] : "";
}
