/*
 * INI configuration reading with libinih.  The handler validates each key as
 * it comes and keeps the first problem with its line number; defaults are set
 * before parsing and presets (postcode directory formats) applied after, so a
 * key given explicitly always wins over a preset.
 */
#include "config.h"

#include "../io/vwriter.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct parse_state {
    gm_ctx *ctx;
    gm_config *cfg;
    gm_status st;
    char msg[1024];
    bool seen_postcode_cols; /* postcode/x/y given explicitly */
    bool have_header_key;
} parse_state;

static bool set_str(char **dst, const char *v)
{
    char *s = gm__strdup(v);
    if (!s)
        return false;
    gm__free(*dst);
    *dst = s;
    return true;
}

static char *resolve(const gm_config *cfg, const char *p)
{
    if (p[0] == '/' || !cfg->dir[0])
        return gm__strdup(p);
    return gm__asprintf("%s/%s", cfg->dir, p);
}

static bool parse_bool(const char *v, bool *out)
{
    static const char *yes[] = {"yes", "true", "on", "1"};
    static const char *no[] = {"no", "false", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (!strcasecmp(v, yes[i])) {
            *out = true;
            return true;
        }
        if (!strcasecmp(v, no[i])) {
            *out = false;
            return true;
        }
    }
    return false;
}

static bool parse_formats(const char *v, unsigned *out)
{
    unsigned f = 0;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", v);
    for (char *save = NULL, *tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
        if (!strcasecmp(tok, "geojson"))
            f |= GM__FMT_GEOJSON;
        else if (!strcasecmp(tok, "shapefile") || !strcasecmp(tok, "shp"))
            f |= GM__FMT_SHAPEFILE;
        else if (!strcasecmp(tok, "gpkg") || !strcasecmp(tok, "geopackage"))
            f |= GM__FMT_GPKG;
        else
            return false;
    }
    *out = f;
    return f != 0;
}

static int fail(parse_state *ps, gm_status st, const char *fmt, ...) GM__PRINTF(3, 4);

/* Keep the first problem only: later ones are often consequences of it. */
static int fail(parse_state *ps, gm_status st, const char *fmt, ...)
{
    if (ps->st == GM_OK) {
        ps->st = st;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ps->msg, sizeof ps->msg, fmt, ap);
        va_end(ap);
    }
    return 0;
}

const char *const gm__class_names[GM__NCLASSES] = {
    "motorway", "trunk", "primary", "secondary", "tertiary",
    "unclassified", "residential", "service", "track", "path"};

static bool parse_number(const char *v, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || end == v || *end || !isfinite(d) || d < lo || d > hi)
        return false;
    *out = d;
    return true;
}

static bool parse_modes(const char *v, unsigned *out)
{
    const char *const *names = gm__travel_mode_names;
    unsigned m = 0;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", v);
    for (char *save = NULL, *tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
        size_t i = 0;
        while (i < GM__TM_COUNT && strcasecmp(tok, names[i]))
            i++;
        if (i == GM__TM_COUNT)
            return false;
        m |= 1u << i;
    }
    *out = m;
    return m != 0;
}

static int parse_mode_name(const char *v)
{
    const char *const *names = gm__travel_mode_names;
    for (int i = 0; i < GM__TM_COUNT; i++)
        if (!strcasecmp(v, names[i]))
            return i;
    return -1;
}

/* "15, 30, 45": increasing minutes, 1..GM__COVERAGE_MAX_THR of them. */
static bool parse_minutes(const char *v, double *out, int *n)
{
    char buf[256];
    int k = 0;
    snprintf(buf, sizeof buf, "%s", v);
    for (char *save = NULL, *tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
        double d;
        if (k == GM__COVERAGE_MAX_THR || !parse_number(tok, 1, 1440, &d) || (k && d <= out[k - 1]))
            return false;
        out[k++] = d;
    }
    *n = k;
    return k > 0;
}

static int coverage_key(parse_state *ps, const char *key, const char *v)
{
    gm_config *cfg = ps->cfg;
    static const char *const mkeys[GM__TM_COUNT] = {"car_minutes", "walk_minutes", "walk_slow_minutes",
                                                    "cycle_minutes", "bus_minutes"};
    cfg->coverage.enabled = true;
    for (int m = 0; m < GM__TM_COUNT; m++) {
        if (!strcmp(key, mkeys[m])) {
            if (!parse_minutes(v, cfg->coverage.minutes[m], &cfg->coverage.nminutes[m]))
                return fail(ps, GM_E_CONFIG,
                            "[coverage] %s = %s: list up to %d increasing thresholds in minutes, "
                            "e.g. 15, 30, 45",
                            key, v, GM__COVERAGE_MAX_THR);
            return 1;
        }
    }
    if (!strcmp(key, "enabled")) {
        if (!parse_bool(v, &cfg->coverage.enabled))
            return fail(ps, GM_E_CONFIG, "[coverage] enabled = %s: give yes or no", v);
    } else if (!strcmp(key, "cell_m")) {
        if (!parse_number(v, 10, 5000, &cfg->coverage.cell_m))
            return fail(ps, GM_E_CONFIG, "[coverage] cell_m = %s: give metres from 10 to 5000", v);
    } else if (!strcmp(key, "gap_mode")) {
        if ((cfg->coverage.gap_mode = parse_mode_name(v)) < 0)
            return fail(ps, GM_E_CONFIG, "[coverage] gap_mode = %s: give car, walk, walk_slow, cycle or bus", v);
    } else if (!strcmp(key, "gap_minutes")) {
        if (!parse_number(v, 1, 1440, &cfg->coverage.gap_minutes))
            return fail(ps, GM_E_CONFIG, "[coverage] gap_minutes = %s: give minutes from 1 to 1440", v);
    } else if (!strcmp(key, "access_ratio")) {
        if (!parse_number(v, 0, 1, &cfg->coverage.access_ratio))
            return fail(ps, GM_E_CONFIG,
                        "[coverage] access_ratio = %s: give a share of the county median from 0 to 1, "
                        "e.g. 0.5",
                        v);
    } else if (!strcmp(key, "suppression")) {
        if (!strcasecmp(v, "nhs") || !strcasecmp(v, "threshold"))
            cfg->coverage.nhs_rounding = !strcasecmp(v, "nhs");
        else
            return fail(ps, GM_E_CONFIG, "[coverage] suppression = %s: give threshold or nhs", v);
    } else {
        return fail(ps, GM_E_CONFIG,
                    "unknown key '%s' in [coverage] (known: enabled, car_minutes, walk_minutes, walk_slow_minutes, "
                    "cycle_minutes, bus_minutes, cell_m, gap_mode, gap_minutes, access_ratio, suppression)",
                    key);
    }
    return 1;
}

const char *const gm__group_names[GM__NGROUPS] = {"learning_disability", "autism", "dementia", "physical",
                                                  "sensory", "mental_health", "older_people",
                                                  "reduced_mobility"};

static const char *const mode_minutes_keys[GM__TM_COUNT] = {"car_minutes", "walk_minutes", "walk_slow_minutes",
                                                            "cycle_minutes", "bus_minutes"};

/* group < 0: [journeys]; else [journeys.<group>]. */
static int journeys_key(parse_state *ps, int group, const char *section, const char *key, const char *v)
{
    gm_config *cfg = ps->cfg;
    for (int m = 0; m < GM__TM_COUNT; m++) {
        if (strcmp(key, mode_minutes_keys[m]))
            continue;
        double d;
        if (!parse_number(v, 1, 1440, &d))
            return fail(ps, GM_E_CONFIG, "[%s] %s = %s: give the goal in minutes, from 1 to 1440", section, key, v);
        if (group < 0)
            cfg->journeys.goal_min[m] = d;
        else
            cfg->journeys.group_goal_min[group][m] = d;
        return 1;
    }
    if (group < 0 && !strcmp(key, "enabled")) {
        if (!parse_bool(v, &cfg->journeys.enabled))
            return fail(ps, GM_E_CONFIG, "[journeys] enabled = %s: give yes or no", v);
        return 1;
    }
    if (group < 0 && !strcmp(key, "independent_modes")) {
        unsigned m;
        if (!parse_modes(v, &m) || (m & GM__TM_CAR))
            return fail(ps, GM_E_CONFIG,
                        "[journeys] independent_modes = %s: list walk, walk_slow, cycle and/or bus (a car journey "
                        "is not independent travel)",
                        v);
        cfg->journeys.independent = m;
        return 1;
    }
    if (group < 0 && !strcmp(key, "far_extra_minutes")) {
        if (!parse_number(v, 0, 1440, &cfg->journeys.far_extra_min))
            return fail(ps, GM_E_CONFIG, "[journeys] far_extra_minutes = %s: give minutes from 0 to 1440", v);
        return 1;
    }
    return fail(ps, GM_E_CONFIG, "unknown key '%s' in [%s] (known: %s)", key, section,
                group < 0 ? "enabled, car_minutes, walk_minutes, walk_slow_minutes, cycle_minutes, bus_minutes, "
                            "independent_modes, far_extra_minutes"
                          : "car_minutes, walk_minutes, walk_slow_minutes, cycle_minutes, bus_minutes");
}

static int ranking_key(parse_state *ps, const char *key, const char *v)
{
    gm_config *cfg = ps->cfg;
    struct {
        const char *key;
        double *dst;
    } weights[] = {
        {"weight_time", &cfg->ranking.w_time},
        {"weight_price", &cfg->ranking.w_price},
        {"weight_spot", &cfg->ranking.w_spot},
        {"weight_legacy", &cfg->ranking.w_legacy},
        {"weight_preference", &cfg->ranking.w_preference},
        {"weight_continuity", &cfg->ranking.w_continuity},
    };
    for (size_t i = 0; i < sizeof weights / sizeof *weights; i++) {
        if (strcmp(key, weights[i].key))
            continue;
        if (!parse_number(v, 0, 1e6, weights[i].dst))
            return fail(ps, GM_E_CONFIG, "[ranking] %s = %s: give a weight of 0 or more (docs/ranking.md)", key, v);
        return 1;
    }
    double d;
    if (!strcmp(key, "enabled")) {
        if (!parse_bool(v, &cfg->ranking.enabled))
            return fail(ps, GM_E_CONFIG, "[ranking] enabled = %s: give yes or no", v);
    } else if (!strcmp(key, "allow_out_of_area")) {
        if (!parse_bool(v, &cfg->ranking.allow_out_of_area))
            return fail(ps, GM_E_CONFIG, "[ranking] allow_out_of_area = %s: give yes or no", v);
    } else if (!strcmp(key, "top")) {
        if (!parse_number(v, 1, 100, &d) || d != (int)d)
            return fail(ps, GM_E_CONFIG, "[ranking] top = %s: give a whole number from 1 to 100", v);
        cfg->ranking.top = (int)d;
    } else if (!strcmp(key, "assign")) {
        if (!strcasecmp(v, "none"))
            cfg->ranking.assign = GM__ASSIGN_NONE;
        else if (!strcasecmp(v, "need_order"))
            cfg->ranking.assign = GM__ASSIGN_NEED_ORDER;
        else if (!strcasecmp(v, "min_cost"))
            cfg->ranking.assign = GM__ASSIGN_MIN_COST;
        else
            return fail(ps, GM_E_CONFIG, "[ranking] assign = %s: give none, need_order or min_cost", v);
    } else {
        return fail(ps, GM_E_CONFIG,
                    "unknown key '%s' in [ranking] (known: enabled, top, weight_time, weight_price, weight_spot, "
                    "weight_legacy, weight_preference, weight_continuity, allow_out_of_area, assign)",
                    key);
    }
    return 1;
}

/* "2026-11-24" or "20261124" -> 20261124 (the calendar check is the GTFS loader's). */
static bool parse_date(const char *v, uint32_t *out)
{
    unsigned y, m, d;
    char tail;
    if (sscanf(v, "%4u-%2u-%2u%c", &y, &m, &d, &tail) == 3 ||
        (strlen(v) == 8 && sscanf(v, "%4u%2u%2u%c", &y, &m, &d, &tail) == 3)) {
        if (y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1 || d > 31)
            return false;
        *out = y * 10000u + m * 100u + d;
        return true;
    }
    return false;
}

/* "10:00" -> minutes after midnight (up to 47:59 for services past midnight). */
static bool parse_clock(const char *v, double *out)
{
    unsigned h, m;
    char tail;
    if (sscanf(v, "%2u:%2u%c", &h, &m, &tail) != 2 || h > 47 || m > 59)
        return false;
    *out = h * 60.0 + m;
    return true;
}

static int transit_key(parse_state *ps, const char *key, const char *v)
{
    gm_config *cfg = ps->cfg;
    double d;
    bool ok = true;
    if (!strcmp(key, "gtfs")) {
        gm__free(cfg->transit.gtfs);
        cfg->transit.gtfs = resolve(cfg, v);
        ok = cfg->transit.gtfs && set_str(&cfg->transit.gtfs_raw, v);
    } else if (!strcmp(key, "date")) {
        if (!parse_date(v, &cfg->transit.date))
            return fail(ps, GM_E_CONFIG,
                        "[transit] date = %s: give the service day as YYYY-MM-DD, e.g. 2026-11-24 (an ordinary "
                        "weekday inside the timetable's dates)",
                        v);
    } else if (!strcmp(key, "arrive_by")) {
        if (!parse_clock(v, &cfg->transit.arrive_by_min))
            return fail(ps, GM_E_CONFIG, "[transit] arrive_by = %s: give the session start as HH:MM, e.g. 10:00", v);
    } else if (!strcmp(key, "window_minutes")) {
        if (!parse_number(v, 0, 720, &cfg->transit.window_min))
            return fail(ps, GM_E_CONFIG, "[transit] window_minutes = %s: give minutes from 0 to 720", v);
    } else if (!strcmp(key, "step_minutes")) {
        if (!parse_number(v, 0.5, 60, &cfg->transit.step_min))
            return fail(ps, GM_E_CONFIG, "[transit] step_minutes = %s: give minutes from 0.5 to 60", v);
    } else if (!strcmp(key, "max_transfers")) {
        if (!parse_number(v, 0, 8, &d) || d != (int)d)
            return fail(ps, GM_E_CONFIG, "[transit] max_transfers = %s: give a whole number from 0 to 8", v);
        cfg->transit.max_transfers = (int)d;
    } else if (!strcmp(key, "access_max_m") || !strcmp(key, "transfer_max_m") || !strcmp(key, "stop_join_max_m")) {
        double *dst = key[0] == 'a'   ? &cfg->transit.access_max_m
                      : key[0] == 't' ? &cfg->transit.transfer_max_m
                                      : &cfg->transit.stop_join_max_m;
        if (!parse_number(v, 0, 5000, dst))
            return fail(ps, GM_E_CONFIG, "[transit] %s = %s: give metres from 0 to 5000", key, v);
    } else if (!strcmp(key, "walk_pace")) {
        int m = parse_mode_name(v);
        if (m != 1 && m != 2)
            return fail(ps, GM_E_CONFIG,
                        "[transit] walk_pace = %s: give walk or walk_slow (the pace of walks to, from and "
                        "between stops)",
                        v);
        cfg->transit.walk_mode = m;
    } else if (!strcmp(key, "community_transport_zones")) {
        char buf[4096];
        snprintf(buf, sizeof buf, "%s", v);
        for (char *save = NULL, *tok = strtok_r(buf, ", ", &save); ok && tok; tok = strtok_r(NULL, ", ", &save)) {
            size_t cap = cfg->transit.nct_zones;
            char *z = gm__strdup(tok);
            ok = z && gm__grow((void **)&cfg->transit.ct_zones, &cap, cfg->transit.nct_zones + 1,
                               sizeof *cfg->transit.ct_zones);
            if (ok)
                cfg->transit.ct_zones[cfg->transit.nct_zones++] = z;
            else
                gm__free(z);
        }
    } else {
        return fail(ps, GM_E_CONFIG,
                    "unknown key '%s' in [transit] (known: gtfs, date, arrive_by, window_minutes, step_minutes, "
                    "max_transfers, access_max_m, transfer_max_m, stop_join_max_m, walk_pace, "
                    "community_transport_zones)",
                    key);
    }
    if (!ok)
        return fail(ps, GM_E_NOMEM, "out of memory reading the configuration");
    return 1;
}

static int area_key(parse_state *ps, const char *key, const char *v)
{
    gm_config *cfg = ps->cfg;
    bool ok = true;
    if (!strcmp(key, "boundary") || !strcmp(key, "zones")) {
        char **file = key[0] == 'b' ? &cfg->area.boundary : &cfg->area.zones;
        char **raw = key[0] == 'b' ? &cfg->area.boundary_raw : &cfg->area.zones_raw;
        gm__free(*file);
        *file = resolve(cfg, v);
        ok = *file && set_str(raw, v);
    } else if (!strcmp(key, "boundary_layer")) {
        ok = set_str(&cfg->area.boundary_layer, v);
    } else if (!strcmp(key, "zones_layer")) {
        ok = set_str(&cfg->area.zones_layer, v);
    } else if (!strcmp(key, "zone_id")) {
        ok = set_str(&cfg->area.zone_id, v);
    } else if (!strcmp(key, "zone_name")) {
        ok = set_str(&cfg->area.zone_name, v);
    } else if (!strcmp(key, "hex_side_m")) {
        if (!parse_number(v, 50, 50000, &cfg->area.hex_side_m))
            return fail(ps, GM_E_CONFIG, "[area] hex_side_m = %s: give metres from 50 to 50000", v);
    } else {
        return fail(ps, GM_E_CONFIG,
                    "unknown key '%s' in [area] (known: boundary, boundary_layer, zones, zones_layer, "
                    "zone_id, zone_name, hex_side_m)",
                    key);
    }
    if (!ok)
        return fail(ps, GM_E_NOMEM, "out of memory reading the configuration");
    return 1;
}

static int travel_key(parse_state *ps, const char *key, const char *v)
{
    gm_config *cfg = ps->cfg;
    double d;
    if (!strcmp(key, "modes")) {
        if (!parse_modes(v, &cfg->travel.modes))
            return fail(ps, GM_E_CONFIG, "[travel] modes = %s: list car, walk, walk_slow, cycle and/or bus", v);
    } else if (!strcmp(key, "cutoff_minutes")) {
        if (!parse_number(v, 1, 1440, &cfg->travel.cutoff_min))
            return fail(ps, GM_E_CONFIG, "[travel] cutoff_minutes = %s: give minutes from 1 to 1440", v);
    } else if (!strcmp(key, "join_max_m")) {
        if (!parse_number(v, 1, 100000, &cfg->travel.join_max_m))
            return fail(ps, GM_E_CONFIG, "[travel] join_max_m = %s: give metres from 1 to 100000", v);
    } else if (!strcmp(key, "walk_speed_kmh") || !strcmp(key, "slow_walk_speed_kmh") ||
               !strcmp(key, "cycle_speed_kmh")) {
        if (!parse_number(v, 0.5, 60, &d))
            return fail(ps, GM_E_CONFIG, "[travel] %s = %s: give km/h from 0.5 to 60", key, v);
        *(key[0] == 'w' ? &cfg->travel.walk_kmh : key[0] == 's' ? &cfg->travel.slow_walk_kmh
                                                                : &cfg->travel.cycle_kmh) = d;
    } else if (!strcmp(key, "nearest") || !strcmp(key, "threads")) {
        if (!parse_number(v, 0, 256, &d) || d != floor(d))
            return fail(ps, GM_E_CONFIG, "[travel] %s = %s: give a whole number from 0 to 256", key, v);
        *(key[0] == 'n' ? &cfg->travel.nearest : &cfg->travel.threads) = (int)d;
    } else {
        return fail(ps, GM_E_CONFIG,
                    "unknown key '%s' in [travel] (known: modes, cutoff_minutes, join_max_m, "
                    "walk_speed_kmh, slow_walk_speed_kmh, cycle_speed_kmh, nearest, threads)",
                    key);
    }
    return 1;
}

static int speed_key(parse_state *ps, const char *section, int mode, const char *key, const char *v)
{
    for (int c = 0; c < GM__NCLASSES; c++) {
        if (strcmp(key, gm__class_names[c]))
            continue;
        double d;
        if (!parse_number(v, 0, 200, &d))
            return fail(ps, GM_E_CONFIG, "[%s] %s = %s: give km/h from 0 (not usable) to 200", section,
                        key, v);
        ps->cfg->travel.speed_kmh[mode][c] = d;
        return 1;
    }
    return fail(ps, GM_E_CONFIG,
                "unknown road class '%s' in [%s] (known: motorway, trunk, primary, secondary, "
                "tertiary, unclassified, residential, service, track, path)",
                key, section);
}

static bool colmap_add(gm__colmap *m, const char *field, const char *column)
{
    for (size_t i = 0; i < m->n; i++) {
        if (!strcmp(m->field[i], field))
            return set_str(&m->column[i], column);
    }
    size_t cap = m->cap;
    if (!gm__grow((void **)&m->field, &cap, m->n + 1, sizeof *m->field))
        return false;
    cap = m->cap;
    if (!gm__grow((void **)&m->column, &cap, m->n + 1, sizeof *m->column))
        return false;
    m->cap = cap;
    m->field[m->n] = gm__strdup(field);
    m->column[m->n] = gm__strdup(column);
    if (!m->field[m->n] || !m->column[m->n]) {
        gm__free(m->field[m->n]);
        gm__free(m->column[m->n]);
        return false;
    }
    m->n++;
    return true;
}

const char *gm__colmap_get(const gm__colmap *m, const char *field)
{
    for (size_t i = 0; i < m->n; i++) {
        if (!strcmp(m->field[i], field))
            return m->column[i];
    }
    return NULL;
}

static int source_key(parse_state *ps, gm__source_cfg *src, const char *section, const char *key,
                      const char *v)
{
    gm_config *cfg = ps->cfg;
    bool ok = true;
    if (!strcmp(key, "file")) {
        char *p = resolve(cfg, v);
        ok = p && set_str(&src->file_raw, v);
        gm__free(src->file);
        src->file = p;
    } else if (!strcmp(key, "layer")) {
        ok = set_str(&src->layer, v);
    } else if (!strcmp(key, "encoding")) {
        ok = set_str(&src->encoding, v);
    } else if (!strcmp(key, "coords_crs") && src == &cfg->providers) {
        ok = set_str(&src->coords_crs, v);
    } else {
        return fail(ps, GM_E_CONFIG, "unknown key '%s' in [%s]%s", key, section,
                    src == &cfg->providers ? " (known: file, layer, encoding, coords_crs)"
                                           : " (known: file, layer, encoding)");
    }
    if (!ok)
        return fail(ps, GM_E_NOMEM, "out of memory reading the configuration");
    return 1;
}

static int postcode_key(parse_state *ps, const char *key, const char *v)
{
    gm_config *cfg = ps->cfg;
    bool ok = true;
    if (!strcmp(key, "file")) {
        char *p = resolve(cfg, v);
        ok = p && set_str(&cfg->postcodes.file_raw, v);
        gm__free(cfg->postcodes.file);
        cfg->postcodes.file = p;
    } else if (!strcmp(key, "format")) {
        if (strcasecmp(v, "onspd") && strcasecmp(v, "codepoint") && strcasecmp(v, "custom"))
            return fail(ps, GM_E_CONFIG,
                        "[postcodes] format = %s: use onspd (ONS Postcode Directory), codepoint "
                        "(OS Code-Point Open area files, no header) or custom",
                        v);
        ok = set_str(&cfg->postcodes.format, v);
        for (char *c = cfg->postcodes.format; ok && *c; c++)
            *c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
    } else if (!strcmp(key, "header")) {
        if (!parse_bool(v, &cfg->postcodes.header))
            return fail(ps, GM_E_CONFIG, "[postcodes] header = %s: use yes or no", v);
        ps->have_header_key = true;
    } else if (!strcmp(key, "allow_terminated")) {
        if (!parse_bool(v, &cfg->postcodes.allow_terminated))
            return fail(ps, GM_E_CONFIG, "[postcodes] allow_terminated = %s: use yes or no", v);
    } else if (!strcmp(key, "crs")) {
        ok = set_str(&cfg->postcodes.crs, v);
    } else if (!strcmp(key, "postcode")) {
        ok = set_str(&cfg->postcodes.col_postcode, v);
        ps->seen_postcode_cols = true;
    } else if (!strcmp(key, "x")) {
        ok = set_str(&cfg->postcodes.col_x, v);
    } else if (!strcmp(key, "y")) {
        ok = set_str(&cfg->postcodes.col_y, v);
    } else if (!strcmp(key, "terminated")) {
        ok = set_str(&cfg->postcodes.col_terminated, v);
    } else if (!strcmp(key, "area")) {
        ok = set_str(&cfg->postcodes.col_area, v);
    } else {
        return fail(ps, GM_E_CONFIG,
                    "unknown key '%s' in [postcodes] (known: file, format, header, postcode, x, y, "
                    "crs, terminated, area, allow_terminated)",
                    key);
    }
    if (!ok)
        return fail(ps, GM_E_NOMEM, "out of memory reading the configuration");
    return 1;
}

static int handler(void *user, const char *section, const char *key, const char *value)
{
    parse_state *ps = user;
    gm_config *cfg = ps->cfg;
    if (ps->st != GM_OK)
        return 0;
    if (!key) /* section header on its own (INI_CALL_HANDLER_ON_NEW_SECTION builds) */
        return 1;
    if (!strcmp(section, "run")) {
        bool ok = true;
        if (!strcmp(key, "name")) {
            ok = set_str(&cfg->name, value);
        } else if (!strcmp(key, "output")) {
            char *p = resolve(cfg, value);
            gm__free(cfg->output);
            cfg->output = p;
            ok = p != NULL;
        } else if (!strcmp(key, "formats")) {
            if (!parse_formats(value, &cfg->formats))
                return fail(ps, GM_E_CONFIG,
                            "[run] formats = %s: list geojson, shapefile and/or gpkg, comma "
                            "separated",
                            value);
        } else if (!strcmp(key, "suppress_below")) {
            char *end;
            errno = 0;
            long n = strtol(value, &end, 10);
            if (errno || *end || end == value || n < 0 || n > 1000)
                return fail(ps, GM_E_CONFIG,
                            "[run] suppress_below = %s: give a whole number of people from 0 to "
                            "1000 (counts below it are withheld from shareable outputs)",
                            value);
            cfg->suppress_below = (int)n;
        } else {
            return fail(ps, GM_E_CONFIG,
                        "unknown key '%s' in [run] (known: name, output, formats, suppress_below)",
                        key);
        }
        if (!ok)
            return fail(ps, GM_E_NOMEM, "out of memory reading the configuration");
        return 1;
    }
    if (!strcmp(section, "postcodes"))
        return postcode_key(ps, key, value);
    if (!strcmp(section, "travel"))
        return travel_key(ps, key, value);
    if (!strcmp(section, "coverage"))
        return coverage_key(ps, key, value);
    if (!strcmp(section, "area"))
        return area_key(ps, key, value);
    if (!strcmp(section, "transit"))
        return transit_key(ps, key, value);
    if (!strcmp(section, "journeys"))
        return journeys_key(ps, -1, section, key, value);
    if (!strncmp(section, "journeys.", 9)) {
        for (int g = 0; g < GM__NGROUPS; g++)
            if (!strcmp(section + 9, gm__group_names[g]))
                return journeys_key(ps, g, section, key, value);
        return fail(ps, GM_E_CONFIG,
                    "unknown section [%s]: the groups with their own goals are learning_disability, autism, "
                    "dementia, physical, sensory, mental_health, older_people, reduced_mobility",
                    section);
    }
    if (!strcmp(section, "ranking"))
        return ranking_key(ps, key, value);
    static const char *const speed_sections[3] = {"speeds.car", "speeds.walk", "speeds.cycle"};
    for (int m = 0; m < 3; m++) {
        if (!strcmp(section, speed_sections[m]))
            return speed_key(ps, section, m, key, value);
    }
    if (!strcmp(section, "roads")) {
        if (strcmp(key, "file"))
            return fail(ps, GM_E_CONFIG, "unknown key '%s' in [roads] (known: file)", key);
        char *p = resolve(cfg, value);
        bool ok = p && set_str(&cfg->roads.file_raw, value);
        gm__free(cfg->roads.file);
        cfg->roads.file = p;
        if (!ok)
            return fail(ps, GM_E_NOMEM, "out of memory reading the configuration");
        return 1;
    }
    if (!strcmp(section, "customers"))
        return source_key(ps, &cfg->customers, section, key, value);
    if (!strcmp(section, "providers"))
        return source_key(ps, &cfg->providers, section, key, value);
    if (!strcmp(section, "customers.columns") || !strcmp(section, "providers.columns")) {
        gm__colmap *m = section[0] == 'c' ? &cfg->customers.cols : &cfg->providers.cols;
        if (!colmap_add(m, key, value))
            return fail(ps, GM_E_NOMEM, "out of memory reading the configuration");
        return 1;
    }
    return fail(ps, GM_E_CONFIG,
                "unknown section [%s] (known: run, postcodes, customers, customers.columns, "
                "providers, providers.columns, roads, travel, transit, coverage, area, journeys, journeys.<group>, ranking, speeds.car, speeds.walk, "
                "speeds.cycle)",
                section);
}

/* Fill postcode-directory columns the user left out from the chosen format. */
static bool apply_postcode_preset(gm_config *cfg, bool have_header_key)
{
    const char *f = cfg->postcodes.format;
    const char *pc = NULL, *x = NULL, *y = NULL, *term = NULL, *area = NULL;
    if (!strcmp(f, "onspd")) {
        pc = "pcds";
        x = "oseast1m";
        y = "osnrth1m";
        term = "doterm";
        area = "lsoa21";
    } else if (!strcmp(f, "codepoint")) {
        /* OS Code-Point Open: Postcode, Positional_quality_indicator, Eastings, Northings, ... */
        pc = "1";
        x = "3";
        y = "4";
        if (!have_header_key)
            cfg->postcodes.header = false;
    }
    if (!cfg->postcodes.col_postcode && pc && !set_str(&cfg->postcodes.col_postcode, pc))
        return false;
    if (!cfg->postcodes.col_x && x && !set_str(&cfg->postcodes.col_x, x))
        return false;
    if (!cfg->postcodes.col_y && y && !set_str(&cfg->postcodes.col_y, y))
        return false;
    if (!cfg->postcodes.col_terminated && term && !set_str(&cfg->postcodes.col_terminated, term))
        return false;
    if (!cfg->postcodes.col_area && area && !set_str(&cfg->postcodes.col_area, area))
        return false;
    return true;
}

static void source_free(gm__source_cfg *s)
{
    gm__free(s->file);
    gm__free(s->file_raw);
    gm__free(s->layer);
    gm__free(s->encoding);
    gm__free(s->coords_crs);
    for (size_t i = 0; i < s->cols.n; i++) {
        gm__free(s->cols.field[i]);
        gm__free(s->cols.column[i]);
    }
    gm__free(s->cols.field);
    gm__free(s->cols.column);
}

void gm_config_free(gm_config *cfg)
{
    if (!cfg)
        return;
    gm__free(cfg->path);
    gm__free(cfg->dir);
    gm__free(cfg->name);
    gm__free(cfg->output);
    gm__free(cfg->postcodes.file);
    gm__free(cfg->postcodes.file_raw);
    gm__free(cfg->postcodes.format);
    gm__free(cfg->postcodes.col_postcode);
    gm__free(cfg->postcodes.col_x);
    gm__free(cfg->postcodes.col_y);
    gm__free(cfg->postcodes.col_terminated);
    gm__free(cfg->postcodes.col_area);
    gm__free(cfg->postcodes.crs);
    source_free(&cfg->customers);
    source_free(&cfg->providers);
    gm__free(cfg->roads.file);
    gm__free(cfg->roads.file_raw);
    gm__free(cfg->area.boundary);
    gm__free(cfg->area.boundary_raw);
    gm__free(cfg->area.boundary_layer);
    gm__free(cfg->area.zones);
    gm__free(cfg->area.zones_raw);
    gm__free(cfg->area.zones_layer);
    gm__free(cfg->area.zone_id);
    gm__free(cfg->area.zone_name);
    gm__free(cfg->transit.gtfs);
    gm__free(cfg->transit.gtfs_raw);
    for (size_t i = 0; i < cfg->transit.nct_zones; i++)
        gm__free(cfg->transit.ct_zones[i]);
    gm__free(cfg->transit.ct_zones);
    gm__free(cfg);
}

gm_status gm_config_load(gm_ctx *ctx, const char *path, gm_config **out)
{
    gm__err_clear(ctx);
    if (!path || !out)
        return gm__err(ctx, GM_E_ARG, "no configuration file given");
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT)
            return gm__err(ctx, GM_E_NOT_FOUND,
                           "%s: configuration file not found (check the path; "
                           "geodata/examplshire.ini is a worked example)",
                           path);
        return gm__err(ctx, GM_E_IO, "%s: cannot read the configuration file (%s)", path,
                       strerror(errno));
    }
    gm_status st = GM_OK;
    gm_config *cfg = gm__calloc(1, sizeof *cfg);
    if (!cfg) {
        st = gm__err(ctx, GM_E_NOMEM, "out of memory reading %s", path);
        goto cleanup;
    }
    const char *slash = strrchr(path, '/');
    cfg->path = gm__strdup(path);
    cfg->dir = slash ? gm__strndup(path, (size_t)(slash - path)) : gm__strdup("");
    cfg->name = gm__strdup("gapmap run");
    cfg->postcodes.format = gm__strdup("onspd");
    cfg->postcodes.crs = gm__strdup("EPSG:27700");
    cfg->postcodes.header = true;
    cfg->formats = GM__FMT_GEOJSON | GM__FMT_SHAPEFILE | GM__FMT_GPKG;
    cfg->suppress_below = 5;
    /* Travel defaults: docs/config.md gives the sources. */
    cfg->travel.modes = GM__TM_CAR | GM__TM_WALK | GM__TM_CYCLE;
    cfg->travel.cutoff_min = 120;
    cfg->travel.join_max_m = 2000;
    cfg->travel.walk_kmh = 4.8;      /* DfT journey time statistics walking speed */
    cfg->travel.slow_walk_kmh = 3.0; /* a slower pace for people with reduced mobility */
    cfg->travel.cycle_kmh = 16.0;    /* DfT journey time statistics cycling speed */
    cfg->travel.nearest = 5;
    /* Coverage defaults: the DfT journey time statistics' bands for car, a
     * 20/40-minute walk (the council's independent-travel goal). */
    static const double car_min[] = {15, 30, 45}, walk_min[] = {20, 40}, cyc_min[] = {15, 30};
    memcpy(cfg->coverage.minutes[0], car_min, sizeof car_min);
    cfg->coverage.nminutes[0] = 3;
    memcpy(cfg->coverage.minutes[1], walk_min, sizeof walk_min);
    cfg->coverage.nminutes[1] = 2;
    memcpy(cfg->coverage.minutes[2], walk_min, sizeof walk_min);
    cfg->coverage.nminutes[2] = 2;
    memcpy(cfg->coverage.minutes[3], cyc_min, sizeof cyc_min);
    cfg->coverage.nminutes[3] = 2;
    static const double bus_min[] = {30, 45, 60};
    memcpy(cfg->coverage.minutes[4], bus_min, sizeof bus_min);
    cfg->coverage.nminutes[4] = 3;
    cfg->coverage.cell_m = 100;
    cfg->coverage.gap_mode = 0;
    cfg->coverage.gap_minutes = 30;
    cfg->coverage.access_ratio = 0.5;
    cfg->area.hex_side_m = 1000;
    /* Journey goals (docs/journeys.md): a 20-minute walk is the council's
     * independent-travel goal; 45 minutes is the longest passenger-transport
     * journey the sample council accepts; people with dementia get stricter
     * ones by default. */
    cfg->journeys.enabled = true;
    static const double goals[GM__TM_COUNT] = {45, 20, 20, 30, 45};
    memcpy(cfg->journeys.goal_min, goals, sizeof goals);
    for (int g = 0; g < GM__NGROUPS; g++)
        for (int m = 0; m < GM__TM_COUNT; m++)
            cfg->journeys.group_goal_min[g][m] = NAN;
    cfg->journeys.group_goal_min[2][0] = 30; /* dementia: car */
    cfg->journeys.group_goal_min[2][1] = cfg->journeys.group_goal_min[2][2] = 15;
    cfg->journeys.group_goal_min[2][4] = 30; /* dementia: bus */
    cfg->journeys.independent = GM__TM_WALK | GM__TM_WALK_SLOW | GM__TM_CYCLE | GM__TM_BUS;
    /* Transit defaults (docs/transit.md): a 10:00 session start, the hour
     * before it minute by minute, 800 m walks to and from stops (about 10
     * minutes, the usual bus-stop catchment), 400 m between stops. */
    cfg->transit.arrive_by_min = 600;
    cfg->transit.window_min = 60;
    cfg->transit.step_min = 1;
    cfg->transit.max_transfers = 2;
    cfg->transit.access_max_m = 800;
    cfg->transit.transfer_max_m = 400;
    cfg->transit.stop_join_max_m = 100;
    cfg->transit.walk_mode = 1;
    cfg->journeys.far_extra_min = 10;
    /* Ranking weights (docs/ranking.md): a minute of travel is one point;
     * GBP 10 a day is two; a spot or legacy site costs 5 points; the
     * person's choice and continuity are worth 10 (ten minutes' travel). */
    cfg->ranking.enabled = true;
    cfg->ranking.top = 5;
    cfg->ranking.w_time = 1;
    cfg->ranking.w_price = 2;
    cfg->ranking.w_spot = 5;
    cfg->ranking.w_legacy = 5;
    cfg->ranking.w_preference = 10;
    cfg->ranking.w_continuity = 10;
    cfg->ranking.assign = GM__ASSIGN_MIN_COST;
    for (int m = 0; m < 3; m++) {
        for (int c = 0; c < GM__NCLASSES; c++)
            cfg->travel.speed_kmh[m][c] = NAN;
    }
    if (!cfg->path || !cfg->dir || !cfg->name || !cfg->postcodes.format || !cfg->postcodes.crs ||
        !(cfg->output = resolve(cfg, "out"))) {
        st = gm__err(ctx, GM_E_NOMEM, "out of memory reading %s", path);
        goto cleanup;
    }

    parse_state ps = {.ctx = ctx, .cfg = cfg, .st = GM_OK};
    int line = ini_parse_file(f, handler, &ps);
    if (ps.st != GM_OK) {
        st = gm__err(ctx, ps.st, "%s line %d: %s", path, line, ps.msg);
        goto cleanup;
    }
    if (line != 0) {
        st = gm__err(ctx, GM_E_CONFIG,
                     "%s line %d: not a [section] or key = value line (check for a missing '=' "
                     "or ']')",
                     path, line);
        goto cleanup;
    }
    if (!apply_postcode_preset(cfg, ps.have_header_key)) {
        st = gm__err(ctx, GM_E_NOMEM, "out of memory reading %s", path);
        goto cleanup;
    }
    const char *missing = !cfg->postcodes.file   ? "[postcodes] file"
                          : !cfg->customers.file ? "[customers] file"
                          : !cfg->providers.file ? "[providers] file"
                          : !cfg->postcodes.col_postcode ? "[postcodes] postcode (the postcode column)"
                          : !cfg->postcodes.col_x ? "[postcodes] x (the easting or longitude column)"
                          : !cfg->postcodes.col_y ? "[postcodes] y (the northing or latitude column)"
                                                  : NULL;
    if (missing) {
        st = gm__err(ctx, GM_E_CONFIG, "%s: %s is required", path, missing);
        goto cleanup;
    }
    /* The bus mode comes with a timetable, and walks at the walk mode's pace on its network. */
    if (cfg->transit.gtfs) {
        if (!cfg->transit.date) {
            st = gm__err(ctx, GM_E_CONFIG,
                         "%s: [transit] date is required with gtfs: the service day to use, e.g. 2026-11-24 "
                         "(an ordinary weekday inside the timetable's dates)",
                         path);
            goto cleanup;
        }
        cfg->travel.modes |= GM__TM_BUS | (1u << cfg->transit.walk_mode);
    } else if (cfg->travel.modes & GM__TM_BUS) {
        st = gm__err(ctx, GM_E_CONFIG, "%s: [travel] modes lists bus, but there is no [transit] gtfs timetable", path);
        goto cleanup;
    }
    if ((cfg->travel.modes & GM__TM_BUS) && !cfg->roads.file) {
        st = gm__err(ctx, GM_E_CONFIG, "%s: [transit] needs a [roads] file (walks to and from stops)", path);
        goto cleanup;
    }
    if (cfg->coverage.enabled) {
        const char *const *mn = gm__travel_mode_names;
        const char *why = !cfg->roads.file ? "needs a [roads] file (catchments are travel times)"
                          : !(cfg->travel.modes & (1u << cfg->coverage.gap_mode))
                              ? "gap_mode is not one of the [travel] modes"
                          : cfg->coverage.gap_minutes > cfg->travel.cutoff_min
                              ? "gap_minutes is beyond the [travel] cutoff_minutes"
                              : NULL;
        for (int m = 0; !why && m < GM__TM_COUNT; m++)
            if ((cfg->travel.modes & (1u << m)) &&
                cfg->coverage.minutes[m][cfg->coverage.nminutes[m] - 1] > cfg->travel.cutoff_min)
                why = "a catchment threshold is beyond the [travel] cutoff_minutes";
        if (why) {
            st = gm__err(ctx, GM_E_CONFIG, "%s: [coverage] %s (gap_mode = %s, gap_minutes = %g, cutoff_minutes = %g)",
                         path, why, mn[cfg->coverage.gap_mode], cfg->coverage.gap_minutes,
                         cfg->travel.cutoff_min);
            goto cleanup;
        }
    }
    *out = cfg;
    cfg = NULL;

cleanup:
    fclose(f);
    gm_config_free(cfg);
    return st;
}

gm_status gm_config_set_output(gm_ctx *ctx, gm_config *cfg, const char *dir)
{
    if (!set_str(&cfg->output, dir))
        return gm__err(ctx, GM_E_NOMEM, "out of memory");
    return GM_OK;
}

const char *gm_config_get_output(const gm_config *cfg)
{
    return cfg->output;
}

const char *gm_config_get_name(const gm_config *cfg)
{
    return cfg->name;
}
