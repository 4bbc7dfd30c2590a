/*
 * Coverage, catchments and gaps on a real county: Rutland
 * (../shared/data/rutland, skipped when absent).  `gapmap run` once for the
 * file (gmt_run_cached) on 300 customers at every 4th Code-Point postcode
 * and the 21 NHS Choices social care providers of 2014, with needs, services
 * and places varied by index (tests/rutland.c), OSM roads (car and walk), the
 * 23 LSOAs of 2011 as boundary and zones, then checks that do not trust the
 * code:
 *
 *   - every layer opens with GDAL in both formats with the same features, the
 *     GeoJSON in EPSG:4326 and the shapefile in EPSG:27700;
 *   - the zones are exactly the LSOAs of the boundary file;
 *   - a customer inside a site's 30-minute car catchment has a matrix time
 *     within 30 minutes of it, up to the walk across one cell and its own
 *     join leg; customers well outside mostly do not;
 *   - the car partition's parts do not overlap;
 *   - coverage.csv grows with the minutes, counts every customer, and its
 *     customers_in are recomputed here from matrix.csv and the suitability
 *     rule (a site suits a customer when it offers one of the customer's
 *     services and supports all of the customer's needs), as are
 *     summary.json's county figures;
 *   - zones.csv's customer counts are the customers inside each LSOA, counted
 *     here with GEOS from Code-Point's grid references and the LSOA file;
 *   - QGIS opens every layer with its style and renders a map
 *     (build/rutland-coverage.png).
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "rutland.h"
#include "testutil.h"

#define NCUST 300
#define STRIDE 4
#define INDIR GM_TEST_BINARY_DIR "/rutland-coverage-in"
#define OUTDIR GM_TEST_BINARY_DIR "/rutland-coverage"
#define PNG GM_TEST_BINARY_DIR "/rutland-coverage.png"
#define QGIS_CHECK GM_TEST_SOURCE_DIR "/tests/qgis_check.py"
#define PYTHON "/usr/bin/python3"

/* The LSOAs of the 2011 census in Rutland (E06000017): the file holds 23. */
#define NLSOA 23

static gmr_inputs in;
static GEOSContextHandle_t gh;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *out(const char *name)
{
    return gmt_out(OUTDIR, name);
}

/* Inputs written, gapmap run (or its cached run reused), GEOS started; skips
 * the test when a data file is missing. */
static void start(void)
{
    char pc[4096], pbf[4096], lsoa[4096];
    gmr_shared_or_skip(GMR_POSTCODES, pc, sizeof pc);
    gmr_shared_or_skip(GMR_PBF, pbf, sizeof pbf);
    gmr_shared_or_skip(GMR_LSOA, lsoa, sizeof lsoa);
    cr_assert_eq(gmt_system("mkdir -p '" INDIR "'"), 0);
    gmr_make_inputs(&in, INDIR, STRIDE, NCUST);
    char ini[32768];
    snprintf(ini, sizeof ini,
             "; written by tests/test_realdata_coverage.c\n"
             "[run]\nname = Rutland coverage (real data)\n\n"
             "[postcodes]\nfile = %s\nformat = custom\npostcode = postcode\nx = easting\ny = northing\n\n"
             "[customers]\nfile = %s/customers.csv\n\n"
             "[providers]\nfile = %s/providers.csv\ncoords_crs = EPSG:4326\n\n"
             "[roads]\nfile = %s\n\n"
             "[travel]\nmodes = car, walk\ncutoff_minutes = 120\n\n"
             "[area]\nboundary = %s\nzones = %s\nzone_id = LSOA11CD\nzone_name = LSOA11NM\n\n"
             "[coverage]\ncar_minutes = 15, 30, 45\nwalk_minutes = 20, 40\ngap_mode = car\ngap_minutes = 15\n"
             "cell_m = 100\n",
             pc, INDIR, INDIR, pbf, lsoa, lsoa);
    gmr_write_if_changed(INDIR, "rutland.ini", ini);
    const char *const inputs[] = {INDIR "/rutland.ini", INDIR "/customers.csv", INDIR "/providers.csv", pc, pbf,
                                  lsoa};
    /* A fresh run rewrites the stamp: time it then, not when it is reused. */
    struct stat st0 = {0}, st1 = {0};
    bool had = stat(OUTDIR ".stamp", &st0) == 0;
    double t0 = now_s();
    char *log = NULL;
    bool ok = gmt_run_cached(GM_TEST_GAPMAP_EXE, inputs[0], OUTDIR, inputs, 6, &log);
    char why[4096];
    snprintf(why, sizeof why, "%s", log ? log : "(no log)");
    free(log);
    cr_assert(ok, "gapmap run %s failed:\n%s", inputs[0], why);
    bool now = stat(OUTDIR ".stamp", &st1) == 0;
    if (now && (!had || st1.st_mtim.tv_sec != st0.st_mtim.tv_sec || st1.st_mtim.tv_nsec != st0.st_mtim.tv_nsec))
        cr_log_info("gapmap run on Rutland: %.1f s (%zu customers, %zu sites, car and walk, 100 m cells)",
                    now_s() - t0, in.ncust, in.nsite);
    gh = GEOS_init_r();
}

static void teardown(void)
{
    if (gh)
        GEOS_finish_r(gh);
    gh = NULL;
    gmr_inputs_free(&in);
}

/* summary.json's coverage section (the run's stages each add one). */
static const cJSON *coverage_summary(const cJSON *summary)
{
    const cJSON *c = cJSON_GetObjectItem(summary, "coverage");
    cr_assert(cJSON_IsObject(c), "summary.json has no coverage section");
    return c;
}

static long csv_rows(const char *path)
{
    gm_ctx *ctx;
    cr_assert_eq(gm_ctx_new(&ctx), GM_OK);
    gm__table *t = gmr_csv_open(ctx, path);
    bool eof;
    long n = 0;
    while (gm__table_next(t, &eof) == GM_OK && !eof)
        n++;
    gm__table_close(t);
    gm_ctx_free(ctx);
    return n;
}

/* ---- layers -------------------------------------------------------------- */

static const char *const COVERAGE_LAYERS[] = {"catchments", "partition", "coverage", "zones", "gaps"};
#define NCOVL (sizeof COVERAGE_LAYERS / sizeof *COVERAGE_LAYERS)

Test(realdata_coverage, every_layer_opens_with_gdal_in_both_formats_and_crs, .fini = teardown, .timeout = 900)
{
    start();
    static const char *const layers[] = {"customers", "providers", "catchments", "partition",
                                         "coverage",  "zones",     "gaps"};
    char line[1024] = "";
    for (size_t k = 0; k < sizeof layers / sizeof *layers; k++) {
        char name[64], e1[16], e2[16];
        snprintf(name, sizeof name, "%s.geojson", layers[k]);
        long a = gmt_layer_count(out(name), e1);
        snprintf(name, sizeof name, "%s.shp", layers[k]);
        long b = gmt_layer_count(out(name), e2);
        cr_assert_eq(a, b, "%s: %ld GeoJSON features, %ld shapefile features", layers[k], a, b);
        cr_assert_str_eq(e1, "4326", "%s.geojson is in EPSG:%s", layers[k], e1);
        cr_assert_str_eq(e2, "27700", "%s.shp is in EPSG:%s", layers[k], e2);
        /* Only gaps may be empty (a county without underserved zones). */
        if (strcmp(layers[k], "gaps"))
            cr_assert_gt(a, 0, "%s is empty", layers[k]);
        if (k >= 2) {
            snprintf(name, sizeof name, "%s.csv", layers[k]);
            long r = csv_rows(out(name));
            cr_assert_eq(r, a, "%s has %ld rows, the layer %ld features", name, r, a);
        }
        size_t len = strlen(line);
        snprintf(line + len, sizeof line - len, "%s%s %ld", k ? ", " : "", layers[k], a);
    }
    /* The inputs reconcile: every customer and site written is on the map. */
    cr_assert_eq(gmt_layer_count(out("customers.geojson"), (char[16]){0}), (long)in.ncust);
    cr_assert_eq(gmt_layer_count(out("providers.geojson"), (char[16]){0}), (long)in.nsite);
    /* 21 sites x (3 car + 2 walk thresholds); 5 services x 5 thresholds. */
    cr_assert_eq(gmt_layer_count(out("catchments.shp"), (char[16]){0}), (long)(in.nsite * 5));
    cr_assert_eq(gmt_layer_count(out("coverage.shp"), (char[16]){0}), 5 * 5);
    cr_log_info("features (GeoJSON = shapefile): %s", line);
}

Test(realdata_coverage, zones_are_exactly_the_lsoas_of_the_file, .fini = teardown, .timeout = 900)
{
    start();
    char lsoa[4096];
    gmr_shared_or_skip(GMR_LSOA, lsoa, sizeof lsoa);
    static const char *const lf[] = {"LSOA11CD", "LSOA11NM"}, *const zf[] = {"zone_id", "zone_name"};
    size_t nl, nz;
    gmr_feature *l = gmr_layer_read(gh, lsoa, lf, 2, 0, &nl);
    gmr_feature *z = gmr_layer_read(gh, out("zones.geojson"), zf, 2, 0, &nz);
    cr_assert_eq(nl, NLSOA, "%s has %zu LSOAs", lsoa, nl);
    cr_assert_eq(nz, nl, "zones.geojson has %zu zones, %s %zu LSOAs", nz, lsoa, nl);
    for (size_t i = 0; i < nl; i++) {
        size_t hits = 0;
        for (size_t j = 0; j < nz; j++)
            if (!strcmp(l[i].attr[0], z[j].attr[0])) {
                hits++;
                cr_assert_str_eq(z[j].attr[1], l[i].attr[1], "zone %s", l[i].attr[0]);
            }
        cr_assert_eq(hits, 1, "LSOA %s (%s) is %zu zones", l[i].attr[0], l[i].attr[1], hits);
    }
    /* The same area: the zones are the LSOAs, not clipped or simplified away. */
    double al = 0, az = 0, a;
    for (size_t i = 0; i < nl; i++)
        al += GEOSArea_r(gh, l[i].geom, &a) ? a : 0;
    for (size_t j = 0; j < nz; j++)
        az += GEOSArea_r(gh, z[j].geom, &a) ? a : 0;
    cr_assert(fabs(al - az) < 1e-3 * al, "LSOAs cover %.6f square degrees, zones %.6f", al, az);
    cr_log_info("zones: the %zu LSOAs of the file, ids and names, %.6f square degrees", nz, az);
    gmr_layer_free(gh, l, nl, 2);
    gmr_layer_free(gh, z, nz, 2);
}

/* ---- catchments and partition -------------------------------------------- */

static size_t site_index(const char *id)
{
    for (size_t s = 0; s < in.nsite; s++)
        if (!strcmp(in.site[s].id, id))
            return s;
    cr_assert_fail("unknown site %s", id);
    return 0;
}

Test(realdata_coverage, customers_inside_a_30_minute_car_catchment_reach_its_site_in_30_minutes, .fini = teardown,
     .timeout = 900)
{
    start();
    gmr_matrix *m = gmr_matrix_read(&in, out("matrix.csv"));
    static const char *const cf[] = {"site_id", "mode", "minutes"};
    size_t nc;
    gmr_feature *cat = gmr_layer_read(gh, out("catchments.shp"), cf, 3, 0, &nc);
    GEOSGeometry **pts = calloc(in.ncust, sizeof *pts);
    for (size_t i = 0; i < in.ncust; i++)
        pts[i] = GEOSGeom_createPointFromXY_r(gh, in.cust[i].x, in.cust[i].y);
    /* The polygon is made of cells whose centre is within T; a customer may
     * be a cell's diagonal from that centre, and walks its own join leg
     * (4.8 km/h: DfT walking speed), plus a minute for the rest. */
    const double T = 1800, walk = 4.8 / 3.6, cell = 100;
    size_t sites = 0, inside = 0, outside = 0, outside_slow = 0, empty = 0;
    double worst_excess = -INFINITY;
    bool seen[GMR_MAXSITES] = {false};
    for (size_t k = 0; k < nc; k++) {
        if (strcmp(cat[k].attr[1], "car") || atof(cat[k].attr[2]) != 30)
            continue;
        size_t s = site_index(cat[k].attr[0]);
        cr_assert(!seen[s], "two car 30-minute catchments for %s", in.site[s].id);
        seen[s] = true;
        sites++;
        const GEOSPreparedGeometry *pg = cat[k].geom ? GEOSPrepare_r(gh, cat[k].geom) : NULL;
        empty += !pg;
        for (size_t i = 0; i < in.ncust; i++) {
            size_t x = gmr_mx(m, i, s, GMR_CAR);
            double t = m->time_s[x];
            if (pg && GEOSPreparedContains_r(gh, pg, pts[i]) == 1) {
                double allow = (m->join_m[x] + cell * sqrt(2.0)) / walk + 60;
                cr_assert(t <= T + allow,
                          "%s inside %s's 30-min car catchment but %.0f s away by car (allowance %.0f s, join %.0f m)",
                          in.cust[i].id, in.site[s].id, t, allow, m->join_m[x]);
                worst_excess = fmax(worst_excess, t - T);
                inside++;
                continue;
            }
            double d = INFINITY;
            if (pg)
                cr_assert_eq(GEOSDistance_r(gh, cat[k].geom, pts[i], &d), 1);
            if (d <= 500)
                continue;
            outside++;
            outside_slow += t > T;
        }
        if (pg)
            GEOSPreparedGeom_destroy_r(gh, pg);
    }
    cr_assert_eq(sites, in.nsite, "car 30-minute catchments for %zu of %zu sites", sites, in.nsite);
    cr_assert_gt(inside, 0);
    cr_assert_gt(outside, 0);
    cr_assert_geq((double)outside_slow, 0.95 * (double)outside,
                  "only %zu of %zu customer-site pairs 500 m+ outside the catchment are over 30 min", outside_slow,
                  outside);
    cr_log_info("car 30 min: %zu sites (%zu with no catchment); %zu customer-site pairs inside (worst %+.0f s "
                "against 30 min), %zu of %zu pairs 500 m+ outside over 30 min (%.1f%%)",
                sites, empty, inside, worst_excess, outside_slow, outside,
                100.0 * (double)outside_slow / (double)outside);
    for (size_t i = 0; i < in.ncust; i++)
        GEOSGeom_destroy_r(gh, pts[i]);
    free(pts);
    gmr_layer_free(gh, cat, nc, 3);
    gmr_matrix_free(m);
}

Test(realdata_coverage, the_car_partition_has_no_overlapping_parts, .fini = teardown, .timeout = 900)
{
    start();
    static const char *const pf[] = {"site_id", "mode"};
    size_t np;
    gmr_feature *part = gmr_layer_read(gh, out("partition.shp"), pf, 2, 0, &np);
    size_t kp = 0, pairs = 0;
    double sum = 0, worst = 0;
    for (size_t a = 0; a < np; a++) {
        if (strcmp(part[a].attr[1], "car"))
            continue;
        cr_assert_not_null(part[a].geom, "car partition part of %s has no geometry", part[a].attr[0]);
        kp++;
        double ar;
        cr_assert_eq(GEOSArea_r(gh, part[a].geom, &ar), 1);
        sum += ar;
        for (size_t b = a + 1; b < np; b++) {
            if (strcmp(part[b].attr[1], "car"))
                continue;
            GEOSGeometry *x = GEOSIntersection_r(gh, part[a].geom, part[b].geom);
            cr_assert_not_null(x, "GEOS cannot intersect the parts of %s and %s", part[a].attr[0], part[b].attr[0]);
            double ov = 0;
            GEOSArea_r(gh, x, &ov);
            GEOSGeom_destroy_r(gh, x);
            pairs++;
            worst = fmax(worst, ov);
            cr_assert_lt(ov, 1.0, "car partition parts of %s and %s overlap by %.1f m2", part[a].attr[0],
                         part[b].attr[0], ov);
        }
    }
    cr_assert_gt(kp, 1, "car partition: %zu parts", kp);
    cr_log_info("car partition: %zu parts, %.1f km2, %zu pairs, largest overlap %.3g m2", kp, sum / 1e6, pairs,
                worst);
    gmr_layer_free(gh, part, np, 2);
}

/* ---- coverage.csv and summary.json against the matrix --------------------- */

/* GMR_S_* bit of a coverage.csv service name; 0 for "any". */
static uint32_t service_bit(const char *name)
{
    static const struct {
        const char *name;
        uint32_t bit;
    } names[] = {{"any", 0},
                 {"one_to_one", GMR_S_ONE_TO_ONE},
                 {"small_group", GMR_S_SMALL_GROUP},
                 {"building_based", GMR_S_BUILDING_BASED},
                 {"skills_training", GMR_S_SKILLS_TRAINING}};
    for (size_t k = 0; k < sizeof names / sizeof *names; k++)
        if (!strcmp(names[k].name, name))
            return names[k].bit;
    cr_assert_fail("coverage.csv: unknown service %s", name);
    return 0;
}

/* Customers of service bit (0: all) with a site within T by mode that offers
 * bit and suits them: counted in [*lo, *hi], the customers whose time is
 * within the rounding of matrix.csv (0.1 s) of T counted in hi only. */
static void count_within(const gmr_matrix *m, int mode, uint32_t bit, double T, size_t *n, size_t *lo, size_t *hi)
{
    *n = *lo = *hi = 0;
    for (size_t i = 0; i < in.ncust; i++) {
        const gmr_point *c = &in.cust[i];
        if (bit && !(c->services & bit))
            continue;
        (*n)++;
        double best = INFINITY;
        for (size_t s = 0; s < in.nsite; s++)
            if ((!bit || (in.site[s].services & bit)) && gmr_suits(&in.site[s], c))
                best = fmin(best, m->time_s[gmr_mx(m, i, s, mode)]);
        *lo += best <= T - 0.05;
        *hi += best <= T + 0.05;
    }
}

/* Whether a count of people is withheld (suppress_below = 5, the default). */
static bool withheld(size_t v)
{
    return v > 0 && v < 5;
}

Test(realdata_coverage, coverage_table_grows_with_minutes_and_matches_the_matrix, .fini = teardown,
     .timeout = 900)
{
    start();
    gmr_matrix *m = gmr_matrix_read(&in, out("matrix.csv"));
    /* Every customer written is located (Code-Point postcodes, by construction). */
    cJSON *man = gmt_read_json(out("manifest.json"));
    const cJSON *loc = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(man, "counts"), "customers"),
                                           "located");
    cr_assert(cJSON_IsNumber(loc) && loc->valuedouble == (double)in.ncust, "manifest.json: %g customers located, "
              "%zu written", loc ? loc->valuedouble : NAN, in.ncust);
    cJSON_Delete(man);
    gm_ctx *ctx;
    cr_assert_eq(gm_ctx_new(&ctx), GM_OK);
    const char *path = out("coverage.csv");
    gm__table *t = gmr_csv_open(ctx, path);
    size_t sv = gmr_csv_col(t, "service", path), md = gmr_csv_col(t, "mode", path),
           mi = gmr_csv_col(t, "minutes", path), pin = gmr_csv_col(t, "postcodes_in", path),
           cin = gmr_csv_col(t, "customers_in", path), ct = gmr_csv_col(t, "customers", path);
    /* postcodes_in by (service, mode) and minutes, to check the order after. */
    struct {
        char key[64];
        double minutes, pin;
    } rows[64];
    size_t nrows = 0, any = 0, checked = 0, stars = 0, borderline = 0;
    bool eof;
    while (gm__table_next(t, &eof) == GM_OK && !eof) {
        const char *service = gm__table_get(t, sv), *mode = gm__table_get(t, md);
        double minutes = atof(gm__table_get(t, mi));
        cr_assert_lt(nrows, 64);
        snprintf(rows[nrows].key, sizeof rows[nrows].key, "%s/%s", service, mode);
        rows[nrows].minutes = minutes;
        rows[nrows].pin = atof(gm__table_get(t, pin));
        nrows++;
        int mode_i = !strcmp(mode, "car") ? GMR_CAR : !strcmp(mode, "walk") ? GMR_WALK : -1;
        cr_assert_geq(mode_i, 0, "coverage.csv: mode %s was not asked for", mode);
        size_t n, lo, hi;
        count_within(m, mode_i, service_bit(service), minutes * 60, &n, &lo, &hi);
        const char *vin = gm__table_get(t, cin), *vct = gm__table_get(t, ct);
        if (!strcmp(service, "any")) {
            any++;
            cr_assert(!strcmp(vct, "*") || atol(vct) == (long)in.ncust, "any/%s/%g: customers %s, located %zu",
                      mode, minutes, vct, in.ncust);
        }
        if (!strcmp(vin, "*") || !strcmp(vct, "*")) {
            /* Withheld: some count (in, all, or not in) is 1 to 4. */
            cr_assert(withheld(lo) || withheld(hi) || withheld(n) || withheld(n - lo) || withheld(n - hi),
                      "%s/%s/%g withheld, but %zu of %zu customers are within", service, mode, minutes, lo, n);
            stars++;
            continue;
        }
        cr_assert_eq(atol(vct), (long)n, "%s/%s/%g: customers %s, %zu customers of that service", service, mode,
                     minutes, vct, n);
        cr_assert(atol(vin) >= (long)lo && atol(vin) <= (long)hi,
                  "%s/%s/%g: customers_in %s, but %zu have a suitable site offering it within %g min in "
                  "matrix.csv (%zu within its 0.1 s rounding)",
                  service, mode, minutes, vin, lo, minutes, hi - lo);
        borderline += hi - lo;
        checked++;
    }
    gm__table_close(t);
    gm_ctx_free(ctx);
    /* 5 services x (3 car + 2 walk thresholds). */
    cr_assert_eq(nrows, 25, "coverage.csv: %zu rows", nrows);
    cr_assert_eq(any, 5);
    size_t pairs = 0;
    for (size_t a = 0; a < nrows; a++)
        for (size_t b = 0; b < nrows; b++)
            if (!strcmp(rows[a].key, rows[b].key) && rows[a].minutes < rows[b].minutes) {
                cr_assert_leq(rows[a].pin, rows[b].pin, "%s: postcodes_in %.0f at %g min but %.0f at %g min",
                              rows[a].key, rows[a].pin, rows[a].minutes, rows[b].pin, rows[b].minutes);
                pairs++;
            }
    cr_assert_eq(pairs, 5 * (3 + 1), "threshold pairs compared: %zu", pairs);
    cr_log_info("coverage.csv: %zu rows; customers_in recomputed from matrix.csv for %zu (%zu withheld, %zu "
                "customers within 0.05 s of a threshold); postcodes_in non-decreasing over %zu pairs",
                nrows, checked, stars, borderline, pairs);
    gmr_matrix_free(m);
}

Test(realdata_coverage, summary_car_figures_match_the_matrix_and_suitability, .fini = teardown, .timeout = 900)
{
    start();
    gmr_matrix *m = gmr_matrix_read(&in, out("matrix.csv"));
    cJSON *s = gmt_read_json(out("summary.json"));
    const cJSON *cov = coverage_summary(s);
    const cJSON *cust = cJSON_GetObjectItem(cov, "customers");
    cr_assert(cJSON_IsNumber(cust) && cust->valuedouble == (double)in.ncust, "summary.json coverage.customers %g",
              cust ? cust->valuedouble : NAN);
    const cJSON *car = cJSON_GetObjectItem(cJSON_GetObjectItem(cov, "journey_time_statistics"), "car");
    cr_assert_not_null(car, "summary.json has no coverage.journey_time_statistics.car");
    /* Each customer's nearest suitable site by car, from matrix.csv alone. */
    size_t n = in.ncust, reached = 0, none = 0, unsuited = 0;
    double sum = 0;
    double *best = malloc(n * sizeof *best);
    for (size_t i = 0; i < n; i++) {
        best[i] = INFINITY;
        size_t suit = 0;
        for (size_t k = 0; k < in.nsite; k++)
            if (gmr_suits(&in.site[k], &in.cust[i])) {
                suit++;
                best[i] = fmin(best[i], m->time_s[gmr_mx(m, i, k, GMR_CAR)]);
            }
        unsuited += suit == 0;
        if (isfinite(best[i])) {
            reached++;
            sum += best[i] / 60;
        } else {
            none++;
        }
    }
    static const double minutes[] = {15, 30, 45, 60};
    char line[512] = "";
    for (size_t q = 0; q < 4; q++) {
        size_t lo = 0, hi = 0;
        for (size_t i = 0; i < n; i++) {
            lo += best[i] <= minutes[q] * 60 - 0.05;
            hi += best[i] <= minutes[q] * 60 + 0.05;
        }
        char key[48];
        snprintf(key, sizeof key, "pct_customers_within_%g_min", minutes[q]);
        const cJSON *v = cJSON_GetObjectItem(car, key);
        cr_assert_not_null(v, "summary.json: no car.%s", key);
        if (cJSON_IsNull(v)) {
            cr_assert(withheld(lo) || withheld(n - lo) || withheld(hi) || withheld(n - hi),
                      "car.%s is withheld, but %zu of %zu customers are within", key, lo, n);
        } else {
            /* As summary.json rounds: to 0.1 of a percent. */
            double plo = round(1000.0 * (double)lo / (double)n) / 10, phi = round(1000.0 * (double)hi / (double)n) / 10;
            cr_assert(v->valuedouble >= plo - 1e-9 && v->valuedouble <= phi + 1e-9,
                      "car.%s = %g, but %zu of %zu customers (%.1f%%) have a suitable site within %g min in "
                      "matrix.csv",
                      key, v->valuedouble, lo, n, plo, minutes[q]);
        }
        char shown[32] = "null";
        if (!cJSON_IsNull(v))
            snprintf(shown, sizeof shown, "%.1f%%", v->valuedouble);
        size_t len = strlen(line);
        snprintf(line + len, sizeof line - len, "%s%g min: %zu (%.1f%%; summary %s)", q ? ", " : "", minutes[q], lo,
                 100.0 * (double)lo / (double)n, shown);
    }
    const cJSON *mean = cJSON_GetObjectItem(car, "mean_minutes_to_nearest_suitable_site");
    double mine = reached ? sum / (double)reached : NAN;
    if (reached) {
        cr_assert(cJSON_IsNumber(mean), "summary.json: no car mean_minutes_to_nearest_suitable_site");
        cr_assert(fabs(mean->valuedouble - mine) <= 0.05 + 1e-6, "car mean to nearest suitable site %g, matrix %.3f",
                  mean->valuedouble, mine);
    }
    cr_log_info("car, nearest suitable site from matrix.csv: %s; mean %.2f min (summary %g) over %zu reached; %zu "
                "customers with no suitable site at all, %zu none within the cut-off",
                line, mine, mean ? mean->valuedouble : NAN, reached, unsuited, none);
    free(best);
    cJSON_Delete(s);
    gmr_matrix_free(m);
}

/* ---- zones against points in polygons ------------------------------------ */

/* The first zone holding (x, y), or -1 (a point on a shared border goes to
 * the first, as in gapmap; Code-Point centroids are not on borders). */
static int zone_of(const GEOSPreparedGeometry *const *pg, size_t n, double x, double y)
{
    GEOSGeometry *p = GEOSGeom_createPointFromXY_r(gh, x, y);
    cr_assert_not_null(p);
    int z = -1;
    for (size_t k = 0; k < n && z < 0; k++)
        if (GEOSPreparedIntersects_r(gh, pg[k], p) == 1)
            z = (int)k;
    GEOSGeom_destroy_r(gh, p);
    return z;
}

Test(realdata_coverage, zone_counts_match_the_customers_and_postcodes_inside_each_lsoa, .fini = teardown,
     .timeout = 900)
{
    start();
    char lsoa[4096], pcfile[4096];
    gmr_shared_or_skip(GMR_LSOA, lsoa, sizeof lsoa);
    gmr_shared_or_skip(GMR_POSTCODES, pcfile, sizeof pcfile);
    static const char *const lf[] = {"LSOA11CD"};
    size_t nl;
    /* The LSOA file put through GDAL/PROJ into the grid the customers'
     * Code-Point references are in. */
    gmr_feature *l = gmr_layer_read(gh, lsoa, lf, 1, 27700, &nl);
    cr_assert_eq(nl, NLSOA);
    const GEOSPreparedGeometry *pg[NLSOA];
    for (size_t z = 0; z < nl; z++)
        pg[z] = GEOSPrepare_r(gh, l[z].geom);
    size_t cust[NLSOA] = {0}, pcs[NLSOA] = {0}, cust_in = 0, pc_in = 0, pc_all = 0;
    for (size_t i = 0; i < in.ncust; i++) {
        int z = zone_of(pg, nl, in.cust[i].x, in.cust[i].y);
        if (z >= 0)
            cust[z]++, cust_in++;
    }
    /* Every Code-Point postcode is live potential demand (the file has no
     * terminated ones). */
    gm_ctx *ctx;
    cr_assert_eq(gm_ctx_new(&ctx), GM_OK);
    gm__table *t = gmr_csv_open(ctx, pcfile);
    size_t ce = gmr_csv_col(t, "easting", pcfile), cn = gmr_csv_col(t, "northing", pcfile);
    bool eof;
    while (gm__table_next(t, &eof) == GM_OK && !eof) {
        int z = zone_of(pg, nl, atof(gm__table_get(t, ce)), atof(gm__table_get(t, cn)));
        pc_all++;
        if (z >= 0)
            pcs[z]++, pc_in++;
    }
    gm__table_close(t);

    const char *path = out("zones.csv");
    t = gmr_csv_open(ctx, path);
    size_t zi = gmr_csv_col(t, "zone_id", path), zc = gmr_csv_col(t, "customers", path),
           zp = gmr_csv_col(t, "postcodes", path);
    size_t rows = 0, shown = 0, shown_sum = 0, hidden = 0, hidden_mine = 0;
    while (gm__table_next(t, &eof) == GM_OK && !eof) {
        const char *id = gm__table_get(t, zi), *vc = gm__table_get(t, zc);
        size_t z = 0;
        while (z < nl && strcmp(l[z].attr[0], id))
            z++;
        cr_assert_lt(z, nl, "zones.csv: %s is not an LSOA of the file", id);
        rows++;
        if (!strcmp(vc, "*")) {
            cr_assert(withheld(cust[z]), "zone %s: customers withheld, but %zu customers lie inside", id, cust[z]);
            hidden++;
            hidden_mine += cust[z];
        } else {
            cr_assert_eq(atol(vc), (long)cust[z], "zone %s: %s customers, but %zu customers lie inside", id, vc,
                         cust[z]);
            shown++;
            shown_sum += (size_t)atol(vc);
        }
        cr_assert_eq(atol(gm__table_get(t, zp)), (long)pcs[z], "zone %s: %s postcodes, but %zu Code-Point "
                     "postcodes lie inside", id, gm__table_get(t, zp), pcs[z]);
    }
    gm__table_close(t);
    gm_ctx_free(ctx);
    cr_assert_eq(rows, nl);
    cr_assert_eq(shown_sum + hidden_mine, cust_in);
    cJSON *s = gmt_read_json(out("summary.json"));
    const cJSON *pia = cJSON_GetObjectItem(coverage_summary(s), "postcodes_in_area");
    cr_assert(cJSON_IsNumber(pia) && pia->valuedouble == (double)pc_in,
              "summary.json coverage.postcodes_in_area %g, but %zu Code-Point postcodes lie in the LSOAs",
              pia ? pia->valuedouble : NAN, pc_in);
    cJSON_Delete(s);
    cr_log_info("zones: %zu of %zu customers inside the LSOAs: %zu in %zu zones shown, %zu in %zu withheld zones; "
                "%zu of %zu postcodes inside, every zone's count equal",
                cust_in, in.ncust, shown_sum, shown, hidden_mine, hidden, pc_in, pc_all);
    for (size_t z = 0; z < nl; z++)
        GEOSPreparedGeom_destroy_r(gh, pg[z]);
    gmr_layer_free(gh, l, nl, 1);
}

/* ---- QGIS ------------------------------------------------------------------ */

/* The renderer type a .qml names, or "" when there is no such file. */
static void qml_type(const char *stem, char *type, size_t size)
{
    char name[64];
    snprintf(name, sizeof name, "%s.qml", stem);
    char *q = gmt_slurp(out(name), NULL);
    type[0] = '\0';
    if (!q)
        return;
    const char *r = strstr(q, "<renderer-v2");
    const char *ty = r ? strstr(r, " type=\"") : NULL;
    cr_assert_not_null(ty, "%s names no renderer type", name);
    ty += strlen(" type=\"");
    snprintf(type, size, "%.*s", (int)strcspn(ty, "\""), ty);
    free(q);
}

Test(realdata_coverage, qgis_opens_every_layer_with_its_style_and_draws_the_map, .fini = teardown, .timeout = 900)
{
    if (gmt_system(PYTHON " -c 'import qgis.core' >/dev/null 2>&1") != 0)
        cr_skip_test("QGIS check skipped: " PYTHON " cannot import qgis.core (install Debian's python3-qgis: "
                     "apt-get install python3-qgis)");
    start();
    /* The coverage layers' styles, as the issue specifies them; the input
     * layers' styles (if gapmap writes them) are held to what they say. */
    static const char *const want[][2] = {{"catchments", "graduatedSymbol"}, {"partition", "singleSymbol"},
                                          {"coverage", "graduatedSymbol"},   {"zones", "categorizedSymbol"},
                                          {"gaps", "graduatedSymbol"}};
    char args[2048] = "";
    for (size_t k = 0; k < NCOVL; k++) {
        cr_assert_str_eq(want[k][0], COVERAGE_LAYERS[k]);
        size_t len = strlen(args);
        snprintf(args + len, sizeof args - len, " --expect-style %s=%s", want[k][0], want[k][1]);
    }
    /* The journeys layer (customers placed at a site) is graduated on the
     * minutes over the goal. */
    size_t len0 = strlen(args);
    snprintf(args + len0, sizeof args - len0, " --expect-style journeys=graduatedSymbol");
    static const char *const inputs[] = {"customers", "providers"};
    for (size_t k = 0; k < 2; k++) {
        char type[64];
        qml_type(inputs[k], type, sizeof type);
        size_t len = strlen(args);
        if (type[0])
            snprintf(args + len, sizeof args - len, " --expect-style %s=%s", inputs[k], type);
    }
    remove(PNG);
    char cmd[16384];
    snprintf(cmd, sizeof cmd, PYTHON " '%s' '%s' --png '%s'%s >'%s.qgis.log' 2>&1", QGIS_CHECK, OUTDIR, PNG, args,
             OUTDIR);
    double t0 = now_s();
    int rc = gmt_system(cmd);
    double secs = now_s() - t0;
    /* The report, without the legend lines (one per class of every layer). */
    char *text = gmt_slurp(OUTDIR ".qgis.log", NULL), log[16384] = "";
    for (char *save = NULL, *l = text ? strtok_r(text, "\n", &save) : NULL; l; l = strtok_r(NULL, "\n", &save)) {
        size_t len = strlen(log);
        if (!strstr(l, "  legend: ") && !strstr(l, "XDG_RUNTIME_DIR"))
            snprintf(log + len, sizeof log - len, "%s\n", l);
    }
    free(text);
    cr_assert_eq(rc, 0, "qgis_check.py failed (exit %d):\n%s\n%s", rc, cmd, log);
    struct stat st;
    cr_assert(stat(PNG, &st) == 0 && st.st_size > 1000, "no map at %s", PNG);
    cr_assert(strstr(log, "journeys.shp: valid") != NULL, "QGIS did not load the journeys layer:\n%s", log);
    cr_log_info("QGIS check (%.1f s); map at %s\n%s", secs, PNG, log);
}
