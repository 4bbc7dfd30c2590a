/* Config: defaults, presets, path resolution, and errors that name the line. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "run/config.h"
#include "io/vwriter.h"
#include "testutil.h"

static gm_ctx *ctx;
static void setup(void) { cr_assert_eq(gm_ctx_new(&ctx), GM_OK); }
static void teardown(void) { gm_ctx_free(ctx); }

static gm_status load_text(const char *text, gm_config **cfg)
{
    const char *dir = gmt_tmpdir("config");
    const char *path = gmt_write(dir, "c.ini", text);
    return gm_config_load(ctx, path, cfg);
}

#define MINIMAL "[postcodes]\nfile = pc.csv\n[customers]\nfile = cust.csv\n[providers]\nfile = prov.csv\n"

Test(config, onspd_preset_and_defaults_fill_what_is_not_given, .init = setup, .fini = teardown)
{
    gm_config *cfg = NULL;
    cr_assert_eq(load_text(MINIMAL, &cfg), GM_OK, "%s", gm_ctx_errmsg(ctx));
    cr_assert_str_eq(cfg->postcodes.col_postcode, "pcds");
    cr_assert_str_eq(cfg->postcodes.col_x, "oseast1m");
    cr_assert_str_eq(cfg->postcodes.col_y, "osnrth1m");
    cr_assert_str_eq(cfg->postcodes.col_terminated, "doterm");
    cr_assert_str_eq(cfg->postcodes.col_area, "lsoa21");
    cr_assert_str_eq(cfg->postcodes.crs, "EPSG:27700");
    cr_assert(cfg->postcodes.header);
    cr_assert_not(cfg->postcodes.allow_terminated);
    cr_assert_eq(cfg->formats, GM__FMT_GEOJSON | GM__FMT_SHAPEFILE | GM__FMT_GPKG);
    cr_assert_eq(cfg->suppress_below, 5);
    /* Paths resolve against the config's folder, and the raw text is kept. */
    cr_assert(strstr(cfg->customers.file, "/config-") != NULL);
    cr_assert_str_eq(cfg->customers.file_raw, "cust.csv");
    cr_assert(strstr(gm_config_get_output(cfg), "/out") != NULL);
    gm_config_free(cfg);
}

Test(config, codepoint_preset_is_headerless_with_numbered_columns, .init = setup, .fini = teardown)
{
    gm_config *cfg = NULL;
    cr_assert_eq(load_text(MINIMAL "[postcodes]\nformat = CodePoint\n", &cfg), GM_OK, "%s",
                 gm_ctx_errmsg(ctx));
    cr_assert_not(cfg->postcodes.header);
    cr_assert_str_eq(cfg->postcodes.col_postcode, "1");
    cr_assert_str_eq(cfg->postcodes.col_x, "3");
    cr_assert_str_eq(cfg->postcodes.col_y, "4");
    cr_assert_null(cfg->postcodes.col_terminated);
    gm_config_free(cfg);
}

Test(config, explicit_keys_win_over_the_preset, .init = setup, .fini = teardown)
{
    gm_config *cfg = NULL;
    cr_assert_eq(load_text(MINIMAL "[postcodes]\npostcode = pcd\narea = lsoa11\ncrs = EPSG:4326\n"
                                   "x = long\ny = lat\n[customers.columns]\ncustomer_id = ClientRef\n",
                           &cfg),
                 GM_OK, "%s", gm_ctx_errmsg(ctx));
    cr_assert_str_eq(cfg->postcodes.col_postcode, "pcd");
    cr_assert_str_eq(cfg->postcodes.col_area, "lsoa11");
    cr_assert_str_eq(cfg->postcodes.col_x, "long");
    cr_assert_str_eq(gm__colmap_get(&cfg->customers.cols, "customer_id"), "ClientRef");
    cr_assert_null(gm__colmap_get(&cfg->customers.cols, "postcode"));
    gm_config_free(cfg);
}

Test(config, formats_name_each_vector_format_in_any_case, .init = setup, .fini = teardown)
{
    static const struct {
        const char *text;
        unsigned want;
    } cases[] = {
        {"geojson", GM__FMT_GEOJSON},
        {"gpkg", GM__FMT_GPKG},
        {"GeoPackage, shp", GM__FMT_GPKG | GM__FMT_SHAPEFILE},
        {"geojson, shapefile, gpkg", GM__FMT_GEOJSON | GM__FMT_SHAPEFILE | GM__FMT_GPKG},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char text[256];
        snprintf(text, sizeof text, MINIMAL "[run]\nformats = %s\n", cases[i].text);
        gm_config *cfg = NULL;
        cr_assert_eq(load_text(text, &cfg), GM_OK, "%s: %s", cases[i].text, gm_ctx_errmsg(ctx));
        cr_assert_eq(cfg->formats, cases[i].want, "formats = %s", cases[i].text);
        gm_config_free(cfg);
    }
}

/* Inline arrays, not pointers: Criterion re-executes the test binary for each
 * parameter, so pointers into the parent's memory are not valid there. */
typedef struct bad_case {
    char text[192];
    gm_status status;
    char needle[64];
} bad_case;

ParameterizedTestParameters(config, bad_files_are_explained)
{
    static bad_case cases[] = {
        {MINIMAL "[run]\nfromats = geojson\n", GM_E_CONFIG, "line 8: unknown key 'fromats' in [run]"},
        {MINIMAL "[roadz]\nfile = x\n", GM_E_CONFIG, "unknown section [roadz]"},
        {MINIMAL "[run]\nformats = kml\n", GM_E_CONFIG, "formats = kml"},
        {MINIMAL "[run]\nsuppress_below = lots\n", GM_E_CONFIG, "whole number"},
        {MINIMAL "[postcodes]\nformat = paf\n", GM_E_CONFIG, "use onspd"},
        {MINIMAL "[postcodes]\nallow_terminated = perhaps\n", GM_E_CONFIG, "yes or no"},
        {"[postcodes]\nfile = pc.csv\n[providers]\nfile = p.csv\n", GM_E_CONFIG, "[customers] file is required"},
        {MINIMAL "[postcodes]\nformat = custom\n", GM_E_CONFIG, "[postcodes] postcode"},
        {MINIMAL "this line has no equals sign\n", GM_E_CONFIG, "line 7: not a [section]"},
        {MINIMAL "[travel]\nmodes = car, tram\n", GM_E_CONFIG, "list car, walk, walk_slow, cycle and/or bus"},
        {MINIMAL "[travel]\nmodes = car, bus\n", GM_E_CONFIG, "modes lists bus, but there is no [transit] gtfs"},
        {MINIMAL "[transit]\ngtfs = bus\n", GM_E_CONFIG, "[transit] date is required with gtfs"},
        {MINIMAL "[transit]\ndate = 24/11/2026\n", GM_E_CONFIG, "give the service day as YYYY-MM-DD"},
        {MINIMAL "[transit]\narrive_by = 10am\n", GM_E_CONFIG, "give the session start as HH:MM"},
        {MINIMAL "[transit]\nwalk_pace = cycle\n", GM_E_CONFIG, "give walk or walk_slow"},
        {MINIMAL "[transit]\nbus_stops = 3\n", GM_E_CONFIG, "unknown key 'bus_stops' in [transit]"},
        {MINIMAL "[travel]\ncutoff_minutes = 0\n", GM_E_CONFIG, "from 1 to 1440"},
        {MINIMAL "[travel]\nnearest = 2.5\n", GM_E_CONFIG, "whole number"},
        {MINIMAL "[speeds.car]\nmotorways = 100\n", GM_E_CONFIG, "unknown road class 'motorways'"},
        {MINIMAL "[speeds.walk]\npath = fast\n", GM_E_CONFIG, "give km/h"},
        {MINIMAL "[roads]\npath = r.gpkg\n", GM_E_CONFIG, "unknown key 'path' in [roads]"},
        {MINIMAL "[coverage]\ncar_minutes = 30, 15\n", GM_E_CONFIG, "increasing thresholds"},
        {MINIMAL "[coverage]\ngap_mode = tram\n", GM_E_CONFIG, "give car, walk, walk_slow, cycle or bus"},
        {MINIMAL "[coverage]\nsuppression = some\n", GM_E_CONFIG, "give threshold or nhs"},
        {MINIMAL "[coverage]\ncell_m = 1\n", GM_E_CONFIG, "metres from 10 to 5000"},
        {MINIMAL "[coverage]\nenabled = yes\n", GM_E_CONFIG, "needs a [roads] file"},
        {MINIMAL "[roads]\nfile = r\n[travel]\nmodes = car\n[coverage]\ngap_mode = walk\n", GM_E_CONFIG,
         "gap_mode is not one of the [travel] modes"},
        {MINIMAL "[roads]\nfile = r\n[travel]\ncutoff_minutes = 30\n[coverage]\ngap_minutes = 20\n",
         GM_E_CONFIG, "catchment threshold is beyond"},
        {MINIMAL "[area]\nhex_side_m = 10\n", GM_E_CONFIG, "from 50 to 50000"},
        {MINIMAL "[area]\nzone = z.gpkg\n", GM_E_CONFIG, "unknown key 'zone' in [area]"},
    };
    return cr_make_param_array(bad_case, cases, sizeof cases / sizeof *cases);
}

ParameterizedTest(bad_case *c, config, bad_files_are_explained, .init = setup, .fini = teardown)
{
    gm_config *cfg = NULL;
    cr_assert_eq(load_text(c->text, &cfg), c->status, "%s", gm_ctx_errmsg(ctx));
    cr_assert_null(cfg);
    cr_assert(strstr(gm_ctx_errmsg(ctx), c->needle) != NULL, "message '%s' lacks '%s'",
              gm_ctx_errmsg(ctx), c->needle);
}

Test(config, missing_file_is_not_found, .init = setup, .fini = teardown)
{
    gm_config *cfg = NULL;
    cr_assert_eq(gm_config_load(ctx, "/nonexistent/gapmap.ini", &cfg), GM_E_NOT_FOUND);
    cr_assert(strstr(gm_ctx_errmsg(ctx), "/nonexistent/gapmap.ini") != NULL);
}

Test(config, output_override_is_used_as_given, .init = setup, .fini = teardown)
{
    gm_config *cfg = NULL;
    cr_assert_eq(load_text(MINIMAL, &cfg), GM_OK);
    cr_assert_eq(gm_config_set_output(ctx, cfg, "elsewhere/out"), GM_OK);
    cr_assert_str_eq(gm_config_get_output(cfg), "elsewhere/out");
    gm_config_free(cfg);
}

Test(config, every_allocation_failure_is_clean, .init = setup, .fini = teardown)
{
    const char *dir = gmt_tmpdir("config-nomem");
    const char *path = gmt_write(dir, "c.ini", MINIMAL "[customers.columns]\nneeds = Needs\n");
    char p[4096];
    strcpy(p, path);
    for (long n = 0;; n++) {
        gm_config *cfg = NULL;
        gm__alloc_fail_after(n);
        gm_status st = gm_config_load(ctx, p, &cfg);
        gm__alloc_fail_after(-1);
        if (st == GM_OK) {
            gm_config_free(cfg);
            cr_assert_gt(n, 5);
            break;
        }
        cr_assert_eq(st, GM_E_NOMEM, "allocation %ld: %s (%s)", n, gm_status_name(st), gm_ctx_errmsg(ctx));
        cr_assert_null(cfg);
    }
}

Test(config, travel_defaults_and_overrides, .init = setup, .fini = teardown)
{
    gm_config *cfg = NULL;
    cr_assert_eq(load_text(MINIMAL, &cfg), GM_OK, "%s", gm_ctx_errmsg(ctx));
    cr_assert_null(cfg->roads.file, "no [roads]: no travel stage");
    cr_assert_eq(cfg->travel.modes, GM__TM_CAR | GM__TM_WALK | GM__TM_CYCLE);
    cr_assert_float_eq(cfg->travel.cutoff_min, 120.0, 1e-9);
    cr_assert_float_eq(cfg->travel.join_max_m, 2000.0, 1e-9);
    cr_assert_float_eq(cfg->travel.walk_kmh, 4.8, 1e-9);
    cr_assert(isnan(cfg->travel.speed_kmh[0][0]));
    gm_config_free(cfg);
    cr_assert_eq(load_text(MINIMAL "[roads]\nfile = r.gpkg\n[travel]\nmodes = walk_slow\n"
                                   "cutoff_minutes = 45\n[speeds.car]\nmotorway = 110\ntrack = 0\n",
                           &cfg),
                 GM_OK, "%s", gm_ctx_errmsg(ctx));
    cr_assert(strstr(cfg->roads.file, "/r.gpkg") != NULL);
    cr_assert_eq(cfg->travel.modes, GM__TM_WALK_SLOW);
    cr_assert_float_eq(cfg->travel.cutoff_min, 45.0, 1e-9);
    cr_assert_float_eq(cfg->travel.speed_kmh[0][0], 110.0, 1e-9);
    cr_assert_float_eq(cfg->travel.speed_kmh[0][8], 0.0, 1e-9);
    cr_assert(isnan(cfg->travel.speed_kmh[0][1]));
    gm_config_free(cfg);
}

Test(config, coverage_and_area_defaults_and_overrides, .init = setup, .fini = teardown)
{
    gm_config *cfg = NULL;
    cr_assert_eq(load_text(MINIMAL, &cfg), GM_OK, "%s", gm_ctx_errmsg(ctx));
    cr_assert_not(cfg->coverage.enabled, "no [coverage]: no coverage stage");
    cr_assert_eq(cfg->coverage.nminutes[0], 3);
    cr_assert_float_eq(cfg->coverage.minutes[0][2], 45.0, 1e-9);
    cr_assert_float_eq(cfg->coverage.gap_minutes, 30.0, 1e-9);
    cr_assert_float_eq(cfg->area.hex_side_m, 1000.0, 1e-9);
    cr_assert_null(cfg->area.zones);
    gm_config_free(cfg);
    cr_assert_eq(load_text(MINIMAL "[roads]\nfile = r.gpkg\n[travel]\nmodes = car, walk\n"
                                   "[area]\nzones = z.gpkg\nzones_layer = lsoa\nzone_id = code\n"
                                   "[coverage]\nwalk_minutes = 10, 20, 30\ngap_mode = walk\n"
                                   "gap_minutes = 20\nsuppression = nhs\ncell_m = 250\n",
                           &cfg),
                 GM_OK, "%s", gm_ctx_errmsg(ctx));
    cr_assert(cfg->coverage.enabled);
    cr_assert_eq(cfg->coverage.nminutes[1], 3);
    cr_assert_float_eq(cfg->coverage.minutes[1][0], 10.0, 1e-9);
    cr_assert_eq(cfg->coverage.gap_mode, 1);
    cr_assert(cfg->coverage.nhs_rounding);
    cr_assert_float_eq(cfg->coverage.cell_m, 250.0, 1e-9);
    cr_assert(strstr(cfg->area.zones, "/z.gpkg") != NULL);
    cr_assert_str_eq(cfg->area.zones_raw, "z.gpkg");
    cr_assert_str_eq(cfg->area.zones_layer, "lsoa");
    cr_assert_str_eq(cfg->area.zone_id, "code");
    gm_config_free(cfg);
}
