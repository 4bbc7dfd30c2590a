/*
 * Customers: one row per person, located by postcode.  Only the pseudonymous id
 * is kept: a name column, if the export has one, is never read.  The first fatal
 * problem rejects the row; problems with optional fields keep the person on the
 * map, drop the field and add a warning.  Sites must be loaded first so that
 * current and preferred placements can be checked.
 */
#include "inputs_impl.h"

#include "fields.h"
#include "vocab.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

enum {
    F_ID, F_POSTCODE, F_NEEDS, F_SERVICE, F_AGE, F_CURRENT, F_DAYS, F_TRANSPORT, F_MOBILITY,
    F_FUNDING, F_COST, F_PREFERRED, F_COUNT
};

static const gm__field CUSTOMER_FIELDS[F_COUNT] = {
    {"customer_id", true},   {"postcode", true},   {"needs", true},     {"service", true},
    {"age_band", false},     {"current_site", false}, {"days", false},  {"transport", false},
    {"mobility", false},     {"funding", false},   {"weekly_cost", false}, {"preferred_site", false},
};

/* Age bands as "18-24", "25-64" or "85+". */
static bool valid_age_band(const char *s)
{
    const char *p = s;
    if (!isdigit((unsigned char)*p))
        return false;
    while (isdigit((unsigned char)*p))
        p++;
    if (*p == '+')
        return p[1] == '\0';
    if (*p != '-' || !isdigit((unsigned char)p[1]))
        return false;
    for (p++; isdigit((unsigned char)*p); p++)
        ;
    return *p == '\0';
}

/* An optional site reference: -1 when blank; a warning when unknown. */
static int site_ref(const gm__row *r, const gm_inputs *in, const char *field, const char *text,
                    int32_t *out)
{
    *out = -1;
    if (!text[0])
        return 1;
    int32_t idx = gm__strmap_get(&in->site_index, text);
    if (idx >= 0) {
        *out = idx;
        return 1;
    }
    return GM__WARN(r, field, text,
                    "%s '%s' is not a site in the providers file (or that site was rejected); the "
                    "customer is kept without it",
                    field, text)
               ? 1
               : -1;
}

gm_status gm__load_customers(gm_ctx *ctx, const gm_config *cfg, const gm_pcdir *dir, gm_inputs *in)
{
    const gm__source_cfg *src = &cfg->customers;
    const char *file = src->file_raw;
    gm__rows rows;
    gm__strmap seen = {0}; /* customer_id -> first line */
    gm_status st;
    char v[F_COUNT][GM__FIELD_MAX];

    if ((st = gm__rows_open(ctx, src, "customers", CUSTOMER_FIELDS, F_COUNT, "Reading customers", &rows)) != GM_OK)
        return st;

    for (;;) {
        bool eof;
        if ((st = gm__rows_next(ctx, &rows, v, &in->ccount.rows, &eof)) != GM_OK)
            goto cleanup;
        if (eof)
            break;
        gm__row rc = {in, file, gm__table_rowref(rows.t), v[F_ID]};
        size_t nrej = in->rej.n;
        bool ok = true;
        int rcode;
        gm_customer c = {0};
        c.line = rc.line;

        if (!v[F_ID][0]) {
            ok = false;
            if (!GM__REJECT(&rc, "customer_id", "", "customer_id is blank: every row needs the person's id"))
                goto nomem;
        } else {
            char *key = gm__arena_strdup(&in->arena, v[F_ID]);
            int32_t first;
            if (!key || !gm__strmap_put(&seen, key, (int32_t)rc.line, &first))
                goto nomem;
            if (first >= 0) {
                ok = false;
                if (!GM__REJECT(&rc, "customer_id", v[F_ID],
                                "duplicate customer_id: already used on line %d (the first row is "
                                "kept; merge or correct the two rows)",
                                (int)first))
                    goto nomem;
            }
        }
        if (ok) {
            char why[512];
            bool warn;
            const char *area = "";
            if (!v[F_POSTCODE][0]) {
                ok = false;
                if (!GM__REJECT(&rc, "postcode", "", "postcode is blank: the person cannot be placed on the map"))
                    goto nomem;
            } else if (!gm__locate_postcode(dir, cfg->postcodes.allow_terminated, v[F_POSTCODE],
                                            c.postcode, &c.easting_m, &c.northing_m, &area, &warn, why,
                                            sizeof why)) {
                ok = false;
                if (!GM__REJECT(&rc, "postcode", v[F_POSTCODE], "%s", why))
                    goto nomem;
            } else {
                if (warn && !GM__WARN(&rc, "postcode", v[F_POSTCODE], "%s", why))
                    goto nomem;
                if (!(c.area = gm__arena_strdup(&in->arena, area)))
                    goto nomem;
            }
        }
        if (ok && (rcode = gm__required_codes(&rc, GM__V_NEEDS, "needs", v[F_NEEDS], &c.needs)) != 1) {
            if (rcode < 0)
                goto nomem;
            ok = false;
        }
        if (ok && (rcode = gm__required_codes(&rc, GM__V_SERVICES, "service", v[F_SERVICE], &c.service)) != 1) {
            if (rcode < 0)
                goto nomem;
            ok = false;
        }
        if (!ok)
            continue;

        /* Optional fields: a bad value is dropped with a warning. */
        c.age_band = "";
        if (v[F_AGE][0]) {
            if (valid_age_band(v[F_AGE])) {
                if (!(c.age_band = gm__arena_strdup(&in->arena, v[F_AGE])))
                    goto nomem;
            } else if (!GM__WARN(&rc, "age_band", v[F_AGE],
                                 "age_band should look like 18-24 or 85+; left blank")) {
                goto nomem;
            }
        }
        if (site_ref(&rc, in, "current_site", v[F_CURRENT], &c.current_site) < 0 ||
            site_ref(&rc, in, "preferred_site", v[F_PREFERRED], &c.preferred_site) < 0)
            goto nomem;
        if (v[F_DAYS][0]) {
            uint32_t days;
            char bad[128];
            if (gm__vocab_parse(GM__V_DAYS, v[F_DAYS], &days, bad, sizeof bad))
                c.days = (uint8_t)days;
            else if (!GM__WARN(&rc, "days", v[F_DAYS], "unknown day '%s' (use %s); days left blank", bad,
                               gm__vocab_codes(GM__V_DAYS)))
                goto nomem;
        }
        if (v[F_TRANSPORT][0] && !gm__parse_transport(v[F_TRANSPORT], &c.transport) &&
            !GM__WARN(&rc, "transport", v[F_TRANSPORT],
                      "transport should be specialist, independent, travel_trained or family; left "
                      "blank"))
            goto nomem;
        if (v[F_MOBILITY][0] && !gm__parse_mobility(v[F_MOBILITY], &c.mobility) &&
            !GM__WARN(&rc, "mobility", v[F_MOBILITY], "mobility should be standard or reduced; standard assumed"))
            goto nomem;
        if (v[F_FUNDING][0] && !gm__parse_funding(v[F_FUNDING], &c.funding) &&
            !GM__WARN(&rc, "funding", v[F_FUNDING],
                      "funding should be framework, spot or direct_payment; left blank"))
            goto nomem;
        c.weekly_cost = NAN;
        if (v[F_COST][0] && !gm__parse_amount(v[F_COST], &c.weekly_cost)) {
            c.weekly_cost = NAN;
            if (!GM__WARN(&rc, "weekly_cost", v[F_COST],
                          "weekly_cost is not an amount in pounds (e.g. 225.00); left blank"))
                goto nomem;
        }

        if (!(c.id = gm__arena_strdup(&in->arena, v[F_ID])))
            goto nomem;
        if (!gm__grow((void **)&in->customers, &in->cap_customers, in->ncustomers + 1,
                      sizeof *in->customers))
            goto nomem;
        in->customers[in->ncustomers++] = c;
        in->ccount.located++;
        if (gm__rows_warned(in, nrej))
            in->ccount.warnings++;
    }
    in->ccount.rejected = in->ccount.rows - in->ccount.located;
    goto cleanup;

nomem:
    st = gm__err(ctx, GM_E_NOMEM, "out of memory reading %s", file);
cleanup:
    gm__strmap_free(&seen);
    gm__rows_close(&rows);
    return st;
}
