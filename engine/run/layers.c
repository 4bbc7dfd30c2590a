/* Customer and site point layers: see layers.h.  Field lists are the outputs
 * reference (docs/outputs.md); keep the two in step. */
#include "layers.h"

#include "../io/qml.h"

#include "../io/vwriter.h"

#include <math.h>
#include <stdio.h>

static gm__value str(const char *s)
{
    return (gm__value){.is_null = !s || !*s, .s = s};
}

static gm__value integer(int64_t i, bool null)
{
    return (gm__value){.is_null = null, .i = i};
}

static gm__value real(double d)
{
    return (gm__value){.is_null = isnan(d), .d = d};
}

static const gm__field_def CUSTOMER_FIELDS[] = {
    {"customer_id", GM__FT_STRING, 0}, {"postcode", GM__FT_STRING, 0},
    {"area", GM__FT_STRING, 0},        {"needs", GM__FT_STRING, 0},
    {"service", GM__FT_STRING, 0},     {"age_band", GM__FT_STRING, 0},
    {"current_site", GM__FT_STRING, 0}, {"days", GM__FT_STRING, 0},
    {"days_per_week", GM__FT_INT, 0},  {"transport", GM__FT_STRING, 0},
    {"mobility", GM__FT_STRING, 0},    {"funding", GM__FT_STRING, 0},
    {"weekly_cost", GM__FT_REAL, 2},   {"preferred_site", GM__FT_STRING, 0},
};

gm_status gm__write_customer_layer(gm_ctx *ctx, const char *dir, unsigned formats,
                                   const gm_inputs *in)
{
    const gm__layer_def def = {"customers", GM__GT_POINT,
                               sizeof CUSTOMER_FIELDS / sizeof *CUSTOMER_FIELDS, CUSTOMER_FIELDS,
                               "Customers at their postcode centroids (restricted: personal data)"};
    size_t nc, ns;
    const gm_customer *cs = gm_inputs_customers(in, &nc);
    const gm_site *sites = gm_inputs_sites(in, &ns);
    gm__vwriter *w = NULL;
    gm_status st = gm__vwriter_open(ctx, dir, &def, formats, &w);
    if (st != GM_OK)
        return st;
    for (size_t i = 0; i < nc; i++) {
        const gm_customer *c = &cs[i];
        char pc[GM_POSTCODE_DISPLAY_MAX], needs[256], service[128], days[64];
        gm_postcode_display(c->postcode, pc);
        gm_codes_text('n', c->needs, needs, sizeof needs);
        gm_codes_text('s', c->service, service, sizeof service);
        gm_codes_text('d', c->days, days, sizeof days);
        int ndays = 0;
        for (int d = 0; d < 7; d++)
            ndays += (c->days >> d) & 1;
        gm__value v[] = {
            str(c->id),
            str(pc),
            str(c->area),
            str(needs),
            str(service),
            str(c->age_band),
            str(c->current_site >= 0 ? sites[c->current_site].site_id : NULL),
            str(days),
            integer(ndays, c->days == 0),
            str(gm_transport_code(c->transport)),
            str(gm_mobility_code(c->mobility)),
            str(gm_funding_code(c->funding)),
            real(c->weekly_cost),
            str(c->preferred_site >= 0 ? sites[c->preferred_site].site_id : NULL),
        };
        if ((st = gm__vwriter_add_point(w, v, c->easting_m, c->northing_m)) != GM_OK) {
            gm__vwriter_abort(w);
            return st;
        }
    }
    if ((st = gm__vwriter_close(w)) != GM_OK)
        return st;
    /* Customers by transport: who travels alone, who is driven. */
    static const gm__qml_class by_transport[] = {
        {0, 0, "specialist", "specialist transport", "#d95f02"},
        {0, 0, "independent", "independent", "#1b9e77"},
        {0, 0, "travel_trained", "travel trained", "#7570b3"},
        {0, 0, "family", "family or carer", "#e7298a"},
        {0, 0, "", "not recorded", "#999999"},
    };
    gm__qml_style qs = {GM__GT_POINT, GM__QML_CATEGORIZED, "transport", by_transport, 5, NULL, 0.9, "#ffffff",
                        1.6, NULL, &def};
    return gm__qml_write(ctx, dir, "customers", &qs);
}

static const gm__field_def SITE_FIELDS[] = {
    {"site_id", GM__FT_STRING, 0},     {"site_name", GM__FT_STRING, 0},
    {"provider_id", GM__FT_STRING, 0}, {"provider_name", GM__FT_STRING, 0},
    {"postcode", GM__FT_STRING, 0},    {"located_by", GM__FT_STRING, 0},
    {"services", GM__FT_STRING, 0},    {"needs", GM__FT_STRING, 0},
    {"places_per_day", GM__FT_INT, 0}, {"places_used", GM__FT_INT, 0},
    {"places_free", GM__FT_INT, 0},    {"customers_placed", GM__FT_INT, 0},
    {"price_per_day", GM__FT_REAL, 2}, {"framework_status", GM__FT_STRING, 0},
    {"open_days", GM__FT_STRING, 0},   {"virtual", GM__FT_STRING, 0},
    {"label", GM__FT_STRING, 0},
};

gm_status gm__write_site_layer(gm_ctx *ctx, const char *dir, unsigned formats, const gm_inputs *in)
{
    const gm__layer_def def = {"providers", GM__GT_POINT, sizeof SITE_FIELDS / sizeof *SITE_FIELDS,
                               SITE_FIELDS, "Provider sites with their places, prices and status"};
    size_t nc, ns;
    const gm_customer *cs = gm_inputs_customers(in, &nc);
    const gm_site *sites = gm_inputs_sites(in, &ns);
    int64_t *placed = gm__calloc(ns, sizeof *placed);
    if (!placed)
        return gm__err(ctx, GM_E_NOMEM, "out of memory writing the providers layer");
    for (size_t i = 0; i < nc; i++) {
        if (cs[i].current_site >= 0)
            placed[cs[i].current_site]++;
    }
    gm__vwriter *w = NULL;
    gm_status st = gm__vwriter_open(ctx, dir, &def, formats, &w);
    for (size_t i = 0; st == GM_OK && i < ns; i++) {
        const gm_site *s = &sites[i];
        char pc[GM_POSTCODE_DISPLAY_MAX] = "", services[128], needs[256], days[64];
        if (s->postcode[0])
            gm_postcode_display(s->postcode, pc);
        gm_codes_text('s', s->services, services, sizeof services);
        gm_codes_text('n', s->needs, needs, sizeof needs);
        gm_codes_text('d', s->open_days, days, sizeof days);
        bool used_known = s->places_used >= 0;
        gm__value v[] = {
            str(s->site_id),
            str(s->site_name),
            str(s->provider_id),
            str(s->provider_name),
            str(pc),
            str(s->located_by == GM_LOCATED_POSTCODE ? "postcode" : "coordinates"),
            str(services),
            str(needs),
            integer(s->places_per_day, false),
            integer(s->places_used, !used_known),
            integer(s->places_per_day - s->places_used, !used_known),
            integer(placed[i], false),
            real(s->price_per_day),
            str(gm_framework_status_code(s->status)),
            str(days),
            str(s->virtual_support ? "yes" : "no"),
            /* For map labels: the site's name, or its provider's when it has none. */
            str(s->site_name[0] ? s->site_name : s->provider_name),
        };
        st = gm__vwriter_add_point(w, v, s->easting_m, s->northing_m);
    }
    gm__free(placed);
    if (st != GM_OK) {
        gm__vwriter_abort(w);
        return st;
    }
    if ((st = gm__vwriter_close(w)) != GM_OK)
        return st;
    /* Sites by framework status, labelled with their names. */
    static const gm__qml_class by_status[] = {
        {0, 0, "framework", "framework", "#08519c"},
        {0, 0, "spot", "spot purchase", "#6baed6"},
        {0, 0, "legacy", "legacy contract", "#fd8d3c"},
    };
    gm__qml_style qs = {GM__GT_POINT, GM__QML_CATEGORIZED, "framework_status", by_status, 3, NULL, 1.0,
                        "#000000", 3.2, "label", &def};
    return gm__qml_write(ctx, dir, "providers", &qs);
}
