/*
 * Writing the coverage stage: five layers (catchments, partition, coverage,
 * zones, gaps) as GeoJSON and shapefiles with a QGIS style each, the same
 * attributes as CSV tables, and summary.json.
 *
 * Every layer is also a table: one row function fills the values of a row,
 * and the same values go to the layer and to the CSV, so the two never
 * disagree.  Counts of people below the suppression threshold are written as
 * null (blank in shapefiles) in the layers and as "*" in the CSV tables, and
 * every figure derived from them (a share, a mean over those customers) is
 * withheld with them.
 */
#include "coverage.h"

#include "../io/laytab.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct wctx {
    const gm_config *cfg;
    const gm_site *ss;
    const gm__coverage *c;
} wctx;

/* A count of people as it may be shared: false when withheld. */
bool gm__shareable(const gm_config *cfg, uint32_t v, int64_t *out)
{
    if (cfg->coverage.nhs_rounding) {
        if (v >= 1 && v <= 7)
            return false;
        *out = (int64_t)((v + 2) / 5 * 5); /* to the nearest 5 */
        return true;
    }
    if (v > 0 && (int)v < cfg->suppress_below)
        return false;
    *out = v;
    return true;
}

static gm__value vs(const char *s) { return (gm__value){.s = s}; }
static gm__value vi(int64_t i) { return (gm__value){.i = i}; }
static gm__value vd(double d) { return (gm__value){.d = d, .is_null = !isfinite(d)}; }
static gm__value vnull(void) { return (gm__value){.is_null = true}; }

gm__value gm__people_value(const gm_config *cfg, uint32_t v)
{
    int64_t o;
    return gm__shareable(cfg, v, &o) ? vi(o) : vnull();
}

static const char *mode_name(int tm)
{
    return gm__travel_mode_names[tm];
}

static const char *site_label(const gm_site *s)
{
    return s->site_name[0] ? s->site_name : s->provider_name;
}

/* ---- catchments ---- */
static const gm__field_def CATCH_F[] = {
    {"site_id", GM__FT_STRING, 0}, {"site_name", GM__FT_STRING, 0}, {"provider", GM__FT_STRING, 0},
    {"mode", GM__FT_STRING, 0},    {"minutes", GM__FT_REAL, 0},     {"area_km2", GM__FT_REAL, 2},
    {"postcodes", GM__FT_INT, 0},
};
static gm_status catch_row(void *arg, size_t i, gm__value *v, const void **geom, void **owned)
{
    wctx *w = arg;
    (void)owned;
    const gm__catchment *e = &w->c->catch[i];
    const gm_site *s = &w->ss[e->site];
    v[0] = vs(s->site_id), v[1] = vs(site_label(s)), v[2] = vs(s->provider_name), v[3] = vs(mode_name(e->tm));
    v[4] = vd(e->minutes), v[5] = vd(e->area_km2), v[6] = vi(e->postcodes);
    *geom = e->geom;
    return GM_OK;
}

/* ---- partition ---- */
static const gm__field_def PART_F[] = {
    {"site_id", GM__FT_STRING, 0}, {"site_name", GM__FT_STRING, 0}, {"provider", GM__FT_STRING, 0},
    {"mode", GM__FT_STRING, 0},    {"area_km2", GM__FT_REAL, 2},    {"postcodes", GM__FT_INT, 0},
};
static gm_status part_row(void *arg, size_t i, gm__value *v, const void **geom, void **owned)
{
    wctx *w = arg;
    (void)owned;
    const gm__partpoly *e = &w->c->part[i];
    const gm_site *s = &w->ss[e->site];
    v[0] = vs(s->site_id), v[1] = vs(site_label(s)), v[2] = vs(s->provider_name), v[3] = vs(mode_name(e->tm));
    v[4] = vd(e->area_km2), v[5] = vi(e->postcodes);
    *geom = e->geom;
    return GM_OK;
}

/* ---- coverage ---- */
static const gm__field_def COV_F[] = {
    {"service", GM__FT_STRING, 0},  {"mode", GM__FT_STRING, 0},      {"minutes", GM__FT_REAL, 0},
    {"area_km2", GM__FT_REAL, 2},   {"postcodes_in", GM__FT_INT, 0}, {"postcodes", GM__FT_INT, 0},
    {"postcodes_pct", GM__FT_REAL, 1}, {"customers_in", GM__FT_INT, 0}, {"customers", GM__FT_INT, 0},
    {"customers_pct", GM__FT_REAL, 1},
};
static const bool COV_P[] = {0, 0, 0, 0, 0, 0, 0, 1, 1, 1};
static gm_status cov_row(void *arg, size_t i, gm__value *v, const void **geom, void **owned)
{
    wctx *w = arg;
    (void)owned;
    const gm__covpoly *e = &w->c->cov[i];
    v[0] = vs(gm__service_names[e->service]), v[1] = vs(mode_name(e->tm)), v[2] = vd(e->minutes);
    v[3] = vd(e->area_km2), v[4] = vi(e->postcodes_in), v[5] = vi(e->postcodes);
    v[6] = vd(e->postcodes ? 100.0 * e->postcodes_in / e->postcodes : NAN);
    int64_t a, b;
    bool ok = gm__shareable(w->cfg, e->customers_in, &a) && gm__shareable(w->cfg, e->customers, &b) &&
              gm__shareable(w->cfg, e->customers - e->customers_in, &a);
    v[7] = ok ? gm__people_value(w->cfg, e->customers_in) : vnull();
    v[8] = ok ? gm__people_value(w->cfg, e->customers) : vnull();
    v[9] = ok && e->customers ? vd(100.0 * e->customers_in / e->customers) : vnull();
    *geom = e->geom;
    return GM_OK;
}

/* ---- zones ---- */
static const gm__field_def ZONE_F[] = {
    {"zone_id", GM__FT_STRING, 0},        {"zone_name", GM__FT_STRING, 0},     {"area_km2", GM__FT_REAL, 2},
    {"customers", GM__FT_INT, 0},         {"postcodes", GM__FT_INT, 0},        {"near_car_min", GM__FT_REAL, 1},
    {"near_walk_min", GM__FT_REAL, 1},    {"near_walk_slow_min", GM__FT_REAL, 1}, {"near_cycle_min", GM__FT_REAL, 1},
    {"pc_near_car_min", GM__FT_REAL, 1},  {"pc_near_walk_min", GM__FT_REAL, 1}, {"pc_near_walk_slow_min", GM__FT_REAL, 1},
    {"pc_near_cycle_min", GM__FT_REAL, 1}, {"pct_15", GM__FT_REAL, 1},         {"pct_30", GM__FT_REAL, 1},
    {"pct_45", GM__FT_REAL, 1},           {"pct_60", GM__FT_REAL, 1},          {"sites_15", GM__FT_REAL, 2},
    {"sites_30", GM__FT_REAL, 2},         {"sites_45", GM__FT_REAL, 2},        {"sites_60", GM__FT_REAL, 2},
    {"access", GM__FT_REAL, 3},           {"demand_out", GM__FT_INT, 0},       {"unmet", GM__FT_INT, 0},
    {"excess_min", GM__FT_REAL, 1},       {"underserved", GM__FT_INT, 0},      {"reason", GM__FT_STRING, 0},
    {"gap_id", GM__FT_STRING, 0},         {"near_bus_min", GM__FT_REAL, 1},    {"pc_near_bus_min", GM__FT_REAL, 1},
    {"community_transport", GM__FT_INT, 0},
};
static const bool ZONE_P[] = {0, 0, 0, 1, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 0};
static gm_status zone_row(void *arg, size_t i, gm__value *v, const void **geom, void **owned)
{
    wctx *w = arg;
    (void)owned;
    const gm__zone *z = &w->c->zones[i];
    int64_t dummy;
    bool ok = gm__shareable(w->cfg, z->customers, &dummy); /* the zone's customer figures may be shown */
    v[0] = vs(z->id), v[1] = vs(z->name), v[2] = vd(z->area_km2), v[3] = gm__people_value(w->cfg, z->customers);
    v[4] = vi(z->postcodes);
    for (int m = 0; m < 4; m++) { /* road modes; the bus's columns came later, at the end */
        v[5 + m] = ok ? vd(z->cust_near_min[m]) : vnull();
        v[9 + m] = vd(z->pc_near_min[m]);
    }
    v[28] = ok ? vd(z->cust_near_min[GM__TM_BUS_INDEX]) : vnull();
    v[29] = vd(z->pc_near_min[GM__TM_BUS_INDEX]);
    v[30] = vi(z->community_transport);
    for (int q = 0; q < GM__DFT_NTHR; q++) {
        v[13 + q] = ok && z->customers ? vd(100.0 * z->cust_within[q] / z->customers) : vnull();
        v[17 + q] = vd(z->sites_within[q]);
    }
    v[21] = vd(z->access);
    /* demand_out counts customers where the zone has them, else postcodes. */
    v[22] = z->customers ? (ok ? gm__people_value(w->cfg, z->demand_out) : vnull()) : vi(z->demand_out);
    v[23] = ok ? gm__people_value(w->cfg, z->unmet) : vnull();
    v[24] = z->customers && !ok ? vnull() : vd(z->excess_min);
    v[25] = vi(z->underserved);
    v[26] = vs(z->reason);
    v[27] = vs(z->gap >= 0 ? w->c->gaps[z->gap].id : "");
    *geom = z->geom;
    return GM_OK;
}

/* ---- gaps ---- */
static const gm__field_def GAP_F[] = {
    {"gap_id", GM__FT_STRING, 0},   {"rank", GM__FT_INT, 0},       {"zones", GM__FT_STRING, 0},
    {"n_zones", GM__FT_INT, 0},     {"customers", GM__FT_INT, 0},  {"postcodes", GM__FT_INT, 0},
    {"demand_out", GM__FT_INT, 0},  {"unmet", GM__FT_INT, 0},      {"excess_min", GM__FT_REAL, 1},
    {"score", GM__FT_REAL, 1},      {"nearest_sites", GM__FT_STRING, 0}, {"reasons", GM__FT_STRING, 0},
};
static const bool GAP_P[] = {0, 0, 0, 0, 1, 0, 1, 1, 0, 0, 0, 0};
static gm_status gap_row(void *arg, size_t i, gm__value *v, const void **geom, void **owned)
{
    wctx *w = arg;
    (void)owned;
    const gm__gap *g = &w->c->gaps[i];
    v[0] = vs(g->id), v[1] = vi(g->rank), v[2] = vs(g->zones), v[3] = vi(g->nzones);
    v[4] = gm__people_value(w->cfg, g->customers), v[5] = vi(g->postcodes);
    v[6] = g->customers ? gm__people_value(w->cfg, g->demand_out) : vi(g->demand_out);
    v[7] = gm__people_value(w->cfg, g->unmet), v[8] = vd(g->excess_min);
    /* The score is people x minutes: withheld with the count it comes from. */
    int64_t d;
    v[9] = gm__shareable(w->cfg, g->demand_out, &d) ? vd(g->score) : vnull();
    v[10] = vs(g->nearest), v[11] = vs(g->reasons);
    *geom = g->geom;
    return GM_OK;
}

/* ---- summary.json ---- */
gm_status gm__coverage_summary(gm_ctx *ctx, const gm_config *cfg, const gm__travel *t, const gm__coverage *c,
                               cJSON *summary)
{
    cJSON *root = cJSON_AddObjectToObject(summary, "coverage"), *o;
    if (!root)
        return gm__err(ctx, GM_E_NOMEM, "out of memory writing summary.json");
    cJSON_AddNumberToObject(root, "postcodes_in_area", c->postcodes_in_area);
    int64_t v;
    if (gm__shareable(cfg, c->customers, &v))
        cJSON_AddNumberToObject(root, "customers", (double)v);
    else
        cJSON_AddNullToObject(root, "customers");
    cJSON_AddStringToObject(root, "zones", c->hex_zones ? "hexagons" : "file");
    cJSON_AddNumberToObject(root, "zone_count", (double)c->nzones);
    cJSON *dft = cJSON_AddObjectToObject(root, "journey_time_statistics");
    for (int tm = 0; dft && tm < GM__TM_COUNT; tm++) {
        if (!(t->computed & (1u << tm)))
            continue;
        o = cJSON_AddObjectToObject(dft, mode_name(tm));
        if (!o)
            break;
        if (isfinite(c->county_mean_near_min[tm]))
            cJSON_AddNumberToObject(o, "mean_minutes_to_nearest_suitable_site",
                                    round(c->county_mean_near_min[tm] * 10) / 10);
        for (int q = 0; q < GM__DFT_NTHR; q++) {
            char key[48];
            snprintf(key, sizeof key, "pct_customers_within_%g_min", gm__dft_minutes[q]);
            int64_t a, b;
            if (c->customers && gm__shareable(cfg, c->county_within[tm][q], &a) &&
                gm__shareable(cfg, c->customers - c->county_within[tm][q], &b))
                cJSON_AddNumberToObject(o, key, round(1000.0 * c->county_within[tm][q] / c->customers) / 10);
            else
                cJSON_AddNullToObject(o, key);
        }
    }
    cJSON *cov = cJSON_AddArrayToObject(root, "coverage");
    for (size_t i = 0; cov && i < c->ncov; i++) {
        const gm__covpoly *e = &c->cov[i];
        cJSON *r = cJSON_CreateObject();
        if (!r)
            break;
        cJSON_AddItemToArray(cov, r);
        cJSON_AddStringToObject(r, "service", gm__service_names[e->service]);
        cJSON_AddStringToObject(r, "mode", mode_name(e->tm));
        cJSON_AddNumberToObject(r, "minutes", e->minutes);
        cJSON_AddNumberToObject(r, "postcodes_pct", e->postcodes ? round(1000.0 * e->postcodes_in / e->postcodes) / 10 : 0);
        int64_t a, b;
        if (e->customers && gm__shareable(cfg, e->customers_in, &a) && gm__shareable(cfg, e->customers - e->customers_in, &b))
            cJSON_AddNumberToObject(r, "customers_pct", round(1000.0 * e->customers_in / e->customers) / 10);
        else
            cJSON_AddNullToObject(r, "customers_pct");
    }
    o = cJSON_AddObjectToObject(root, "gaps");
    if (o) {
        cJSON_AddStringToObject(o, "judged_by", mode_name(cfg->coverage.gap_mode));
        cJSON_AddNumberToObject(o, "threshold_minutes", cfg->coverage.gap_minutes);
        cJSON_AddNumberToObject(o, "access_ratio", cfg->coverage.access_ratio);
        if (isfinite(c->median_access))
            cJSON_AddNumberToObject(o, "median_access_index", round(c->median_access * 1000) / 1000);
        size_t under = 0;
        for (size_t z = 0; z < c->nzones; z++)
            under += c->zones[z].underserved;
        cJSON_AddNumberToObject(o, "underserved_zones", (double)under);
        size_t ct = 0;
        for (size_t z = 0; z < c->nzones; z++)
            ct += c->zones[z].underserved && c->zones[z].community_transport;
        cJSON_AddNumberToObject(o, "underserved_zones_with_community_transport", (double)ct);
        cJSON_AddNumberToObject(o, "gap_areas", (double)c->ngaps);
        if (gm__shareable(cfg, c->unmet_total, &v))
            cJSON_AddNumberToObject(o, "customers_unplaceable_within_threshold", (double)v);
        else
            cJSON_AddNullToObject(o, "customers_unplaceable_within_threshold");
        cJSON *top = cJSON_AddArrayToObject(o, "ranked");
        for (size_t k = 0; top && k < c->ngaps && k < 10; k++) {
            cJSON *r = cJSON_CreateObject();
            if (!r)
                break;
            cJSON_AddItemToArray(top, r);
            cJSON_AddStringToObject(r, "gap_id", c->gaps[k].id);
            cJSON_AddStringToObject(r, "zones", c->gaps[k].zones);
            cJSON_AddNumberToObject(r, "excess_minutes", round(c->gaps[k].excess_min * 10) / 10);
            cJSON_AddStringToObject(r, "nearest_sites", c->gaps[k].nearest);
        }
    }
    return GM_OK;
}

/* Colours: time bands dark (near) to light (far), the partition and
 * categories from a qualitative set, underserved in a strong red. */
gm_status gm__coverage_write(gm_ctx *ctx, const char *dir, const gm_config *cfg, const gm_inputs *in,
                             const gm__travel *t, const gm__coverage *c)
{
    size_t ns;
    wctx w = {.cfg = cfg, .ss = gm_inputs_sites(in, &ns), .c = c};
    /* Graduated classes over minutes: every threshold any mode uses. */
    double mins[GM__TM_COUNT * GM__COVERAGE_MAX_THR];
    size_t nmins = 0;
    for (int tm = 0; tm < GM__TM_COUNT; tm++)
        for (int k = 0; (t->computed & (1u << tm)) && k < cfg->coverage.nminutes[tm]; k++) {
            size_t j = 0;
            while (j < nmins && mins[j] != cfg->coverage.minutes[tm][k])
                j++;
            if (j == nmins)
                mins[nmins++] = cfg->coverage.minutes[tm][k];
        }
    for (size_t a = 1; a < nmins; a++) /* insertion sort: a handful */
        for (size_t b = a; b > 0 && mins[b] < mins[b - 1]; b--) {
            double x = mins[b];
            mins[b] = mins[b - 1];
            mins[b - 1] = x;
        }
    gm__qml_class band[GM__TM_COUNT * GM__COVERAGE_MAX_THR];
    char band_label[GM__TM_COUNT * GM__COVERAGE_MAX_THR][32];
    for (size_t k = 0; k < nmins; k++) {
        snprintf(band_label[k], sizeof band_label[k], "within %g min", mins[k]);
        band[k] = (gm__qml_class){k ? mins[k - 1] : 0, mins[k], NULL, band_label[k], gm__qml_ramp(k, nmins)};
    }
    static const gm__qml_class under_cls[] = {
        {0, 0, "0", "served", "#d9d9d9"},
        {0, 0, "1", "underserved", "#d7191c"},
    };
    static const gm__qml_class gap_cls[] = {
        {0, 1, NULL, "rank 1 (worst)", "#a50f15"},
        {1, 3, NULL, "rank 2-3", "#de2d26"},
        {3, 1e9, NULL, "rank 4 and after", "#fb6a4a"},
    };
    const gm__qml_style styles[] = {
        {GM__GT_POLYGON, GM__QML_GRADUATED, "minutes", band, nmins, NULL, 0.45, NULL, 0, NULL, NULL},
        {GM__GT_POLYGON, GM__QML_SINGLE, NULL, NULL, 0, "#80b1d3", 0.35, "#1f4e79", 0.3, NULL, NULL},
        {GM__GT_POLYGON, GM__QML_CATEGORIZED, "underserved", under_cls, 2, NULL, 0.6, "#ffffff", 0.2, NULL, NULL},
        {GM__GT_POLYGON, GM__QML_GRADUATED, "rank", gap_cls, 3, NULL, 0.7, "#67000d", 0.6, "gap_id", NULL},
    };
    const gm__laytab tabs[] = {
        {"catchments", GM__GT_POLYGON, 7, CATCH_F, NULL, c->ncatch, catch_row, &w, &styles[0], true,
         "Area reachable from each site by each mode within each time threshold", false},
        {"partition", GM__GT_POLYGON, 6, PART_F, NULL, c->npart, part_row, &w, &styles[1], true,
         "Each site's share of the county: the places nearer to it than to any other site", false},
        {"coverage", GM__GT_POLYGON, 10, COV_F, COV_P, c->ncov, cov_row, &w, &styles[0], true,
         "Area and customers covered per service type, mode and time threshold", false},
        {"zones", GM__GT_POLYGON, 31, ZONE_F, ZONE_P, c->nzones, zone_row, &w, &styles[2], true,
         "Zones with travel times to the nearest site, access and unmet demand", false},
        {"gaps", GM__GT_POLYGON, 12, GAP_F, GAP_P, c->ngaps, gap_row, &w, &styles[3], true,
         "Underserved zones merged into gap areas, worst first", false},
    };
    gm_status st = GM_OK;
    for (size_t k = 0; st == GM_OK && k < sizeof tabs / sizeof *tabs; k++)
        st = gm__laytab_write(ctx, dir, cfg->formats, &tabs[k]);
    return st;
}
