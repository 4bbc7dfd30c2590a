/*
 * Provider sites: one row per site (a provider may have many).  Each row is
 * checked against the schema in docs/inputs.md and located by coordinates
 * (easting/northing columns, or the point geometry of an OGR layer) or else by
 * postcode.  The first fatal problem rejects the row; problems with optional
 * fields keep the row, drop the field and add a warning.
 */
#include "inputs_impl.h"

#include "../geo/crs.h"
#include "../geo/tolerance.h"
#include "fields.h"
#include "vocab.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

enum {
    F_PROVIDER_ID, F_PROVIDER_NAME, F_SITE_ID, F_SITE_NAME, F_POSTCODE, F_EASTING, F_NORTHING,
    F_SERVICES, F_NEEDS, F_PLACES, F_USED, F_PRICE, F_STATUS, F_OPEN_DAYS, F_VIRTUAL, F_COUNT
};

static const gm__field SITE_FIELDS[F_COUNT] = {
    {"provider_id", true},    {"provider_name", true}, {"site_id", true},
    {"site_name", false},     {"postcode", false},     {"easting", false},
    {"northing", false},      {"services", true},      {"needs", true},
    {"places_per_day", true}, {"places_used", false},  {"price_per_day", false},
    {"framework_status", true}, {"open_days", false},  {"virtual", false},
};


gm_status gm__load_sites(gm_ctx *ctx, const gm_config *cfg, const gm_pcdir *dir, gm_inputs *in)
{
    const gm__source_cfg *src = &cfg->providers;
    const char *file = src->file_raw;
    gm__rows rows;
    gm__xform *xf = NULL;
    gm__xform *geom_xf = NULL;
    gm__strmap seen = {0};     /* site_id -> first line, rejected rows included */
    gm__strmap providers = {0}; /* provider_id -> provider name index */
    gm_status st;
    char v[F_COUNT][GM__FIELD_MAX];

    if ((st = gm__rows_open(ctx, src, "providers", SITE_FIELDS, F_COUNT, "Reading providers", &rows)) != GM_OK)
        return st;
    const char *coords_crs = src->coords_crs ? src->coords_crs : GM__WORKING_CRS;
    if ((st = gm__xform_new(ctx, coords_crs, GM__WORKING_CRS, &xf)) != GM_OK)
        goto cleanup;

    for (;;) {
        bool eof;
        if ((st = gm__rows_next(ctx, &rows, v, &in->scount.rows, &eof)) != GM_OK)
            goto cleanup;
        if (eof)
            break;
        gm__row rc = {in, file, gm__table_rowref(rows.t), v[F_SITE_ID]};
        size_t nrej = in->rej.n;
        bool ok = true;
        gm_site s = {0};
        s.line = rc.line;

        /* Identity. */
        if (!v[F_SITE_ID][0]) {
            ok = false;
            if (!GM__REJECT(&rc, "site_id", "", "site_id is blank: every site needs its own id"))
                goto nomem;
        } else {
            char *key = gm__arena_strdup(&in->arena, v[F_SITE_ID]);
            int32_t first;
            if (!key || !gm__strmap_put(&seen, key, (int32_t)rc.line, &first))
                goto nomem;
            if (first >= 0) {
                ok = false;
                if (!GM__REJECT(&rc, "site_id", v[F_SITE_ID],
                            "duplicate site_id: already used on line %d; give each site its own id",
                            (int)first))
                    goto nomem;
            }
        }
        for (int f = F_PROVIDER_ID; ok && f <= F_PROVIDER_NAME; f++) {
            if (!v[f][0]) {
                ok = false;
                if (!GM__REJECT(&rc, SITE_FIELDS[f].name, "", "%s is blank (required)", SITE_FIELDS[f].name))
                    goto nomem;
            }
        }

        /* Location: coordinates first, then geometry, then postcode. */
        if (ok) {
            bool have_e = v[F_EASTING][0] != '\0', have_n = v[F_NORTHING][0] != '\0';
            double px, py;
            const char *area = "";
            char why[512];
            if (have_e || have_n) {
                if (!have_e || !have_n) {
                    ok = false;
                    if (!GM__REJECT(&rc, have_e ? "northing" : "easting", "",
                                "easting and northing must be given together"))
                        goto nomem;
                } else if (!gm__parse_coord(v[F_EASTING], &px) || !gm__parse_coord(v[F_NORTHING], &py)) {
                    ok = false;
                    bool bad_e = !gm__parse_coord(v[F_EASTING], &px);
                    if (!GM__REJECT(&rc, bad_e ? "easting" : "northing", bad_e ? v[F_EASTING] : v[F_NORTHING],
                                "not a number"))
                        goto nomem;
                } else if (!gm__xform_point(xf, &px, &py) || !gm__in_gb(px, py)) {
                    ok = false;
                    if (!GM__REJECT(&rc, "easting", v[F_EASTING],
                                "easting %s, northing %s (%s) is not in Great Britain: check the "
                                "numbers are not swapped, and coords_crs in [providers]",
                                v[F_EASTING], v[F_NORTHING], coords_crs))
                        goto nomem;
                } else {
                    s.located_by = GM_LOCATED_COORDS;
                }
            } else if (gm__table_point(rows.t, &px, &py)) {
                const char *lcrs = gm__table_crs(rows.t);
                if (!lcrs) {
                    ok = false;
                    if (!GM__REJECT(&rc, "geometry", "", "the layer has no coordinate reference system: "
                                                      "set one in the file (e.g. a .prj)"))
                        goto nomem;
                } else {
                    if (!geom_xf && (st = gm__xform_new(ctx, lcrs, GM__WORKING_CRS, &geom_xf)) != GM_OK)
                        goto cleanup;
                    if (!gm__xform_point(geom_xf, &px, &py) || !gm__in_gb(px, py)) {
                        ok = false;
                        if (!GM__REJECT(&rc, "geometry", "", "the site's point is not in Great Britain"))
                            goto nomem;
                    } else {
                        s.located_by = GM_LOCATED_COORDS;
                    }
                }
            } else if (v[F_POSTCODE][0]) {
                bool warn;
                if (!gm__locate_postcode(dir, cfg->postcodes.allow_terminated, v[F_POSTCODE], s.postcode,
                                         &px, &py, &area, &warn, why, sizeof why)) {
                    ok = false;
                    if (!GM__REJECT(&rc, "postcode", v[F_POSTCODE], "%s", why))
                        goto nomem;
                } else {
                    s.located_by = GM_LOCATED_POSTCODE;
                    if (warn && !GM__WARN(&rc, "postcode", v[F_POSTCODE], "%s", why))
                        goto nomem;
                }
            } else {
                ok = false;
                if (!GM__REJECT(&rc, "postcode", "",
                            "no location: give the site's postcode, or its easting and northing"))
                    goto nomem;
            }
            if (ok) {
                s.easting_m = px;
                s.northing_m = py;
                if (s.located_by == GM_LOCATED_COORDS && v[F_POSTCODE][0])
                    gm_postcode_normalise(v[F_POSTCODE], s.postcode);
            }
        }

        /* Required attributes. */
        int rcode;
        if (ok && (rcode = gm__required_codes(&rc, GM__V_SERVICES, "services", v[F_SERVICES],
                                              &s.services)) != 1) {
            if (rcode < 0)
                goto nomem;
            ok = false;
        }
        if (ok && (rcode = gm__required_codes(&rc, GM__V_NEEDS, "needs", v[F_NEEDS], &s.needs)) != 1) {
            if (rcode < 0)
                goto nomem;
            ok = false;
        }
        long n;
        if (ok && (!gm__parse_int(v[F_PLACES], &n) || n < 0 || n > 100000)) {
            ok = false;
            if (!GM__REJECT(&rc, "places_per_day", v[F_PLACES],
                        "places_per_day must be a whole number of places, 0 or more"))
                goto nomem;
        }
        s.places_per_day = ok ? (int32_t)n : 0;
        if (ok && !gm__parse_framework_status(v[F_STATUS], &s.status)) {
            ok = false;
            if (!GM__REJECT(&rc, "framework_status", v[F_STATUS],
                        "framework_status must be framework, spot or legacy"))
                goto nomem;
        }

        /* Optional attributes: a bad value is dropped with a warning. */
        s.places_used = -1;
        if (ok && v[F_USED][0]) {
            if (!gm__parse_int(v[F_USED], &n) || n < 0 || n > 100000) {
                if (!GM__WARN(&rc, "places_used", v[F_USED],
                          "places_used is not a whole number of places; treated as unknown"))
                    goto nomem;
            } else {
                s.places_used = (int32_t)n;
                if (n > s.places_per_day &&
                    !GM__WARN(&rc, "places_used", v[F_USED],
                          "more places used (%ld) than places per day (%d): the site is over-full",
                          n, (int)s.places_per_day))
                    goto nomem;
            }
        }
        s.price_per_day = NAN;
        if (ok && v[F_PRICE][0] && !gm__parse_amount(v[F_PRICE], &s.price_per_day)) {
            s.price_per_day = NAN;
            if (!GM__WARN(&rc, "price_per_day", v[F_PRICE],
                      "price_per_day is not an amount in pounds (e.g. 45.50); treated as unknown"))
                goto nomem;
        }
        s.open_days = GM_DAYS_WEEKDAYS;
        uint32_t days;
        char bad[128];
        if (ok && v[F_OPEN_DAYS][0]) {
            if (!gm__vocab_parse(GM__V_DAYS, v[F_OPEN_DAYS], &days, bad, sizeof bad) || !days) {
                if (!GM__WARN(&rc, "open_days", v[F_OPEN_DAYS],
                          "unknown day '%s' (use %s); Monday to Friday assumed", bad,
                          gm__vocab_codes(GM__V_DAYS)))
                    goto nomem;
            } else {
                s.open_days = (uint8_t)days;
            }
        }
        if (ok && v[F_VIRTUAL][0] && !gm__parse_yesno(v[F_VIRTUAL], &s.virtual_support) &&
            !GM__WARN(&rc, "virtual", v[F_VIRTUAL], "virtual must be yes or no; treated as no"))
            goto nomem;

        if (!ok)
            continue;
        s.site_id = gm__arena_strdup(&in->arena, v[F_SITE_ID]);
        s.site_name = gm__arena_strdup(&in->arena, v[F_SITE_NAME]);
        s.provider_id = gm__arena_strdup(&in->arena, v[F_PROVIDER_ID]);
        s.provider_name = gm__arena_strdup(&in->arena, v[F_PROVIDER_NAME]);
        if (!s.site_id || !s.site_name || !s.provider_id || !s.provider_name)
            goto nomem;
        if (!gm__grow((void **)&in->sites, &in->cap_sites, in->nsites + 1, sizeof *in->sites) ||
            !gm__strmap_put(&in->site_index, s.site_id, (int32_t)in->nsites, NULL) ||
            !gm__strmap_put(&providers, s.provider_id, 0, NULL))
            goto nomem;
        in->sites[in->nsites++] = s;
        in->scount.located++;
        if (gm__rows_warned(in, nrej))
            in->scount.warnings++;
    }
    in->scount.rejected = in->scount.rows - in->scount.located;
    in->nproviders = providers.n;
    goto cleanup;

nomem:
    st = gm__err(ctx, GM_E_NOMEM, "out of memory reading %s", file);
cleanup:
    gm__strmap_free(&seen);
    gm__strmap_free(&providers);
    gm__xform_free(xf);
    gm__xform_free(geom_xf);
    gm__rows_close(&rows);
    return st;
}
