/*
 * Coverage, catchments and gaps on the sample county (geodata/), end to end:
 * `gapmap run` once (tests/testutil.h: gmt_sample_run, shared with
 * test_e2e), then checks
 * that read the outputs with GDAL and GEOS and do not trust the code:
 *
 *   - every layer opens in both formats with the same features, and has its
 *     CSV table and QGIS style;
 *   - a customer inside a site's 30-minute car catchment has a matrix time
 *     within 30 minutes of that site, up to the walk across one cell and the
 *     customer's own join leg; customers well outside mostly do not;
 *   - the nearest-site partition has no overlaps and covers every catchment;
 *   - Marrowby (the sample's town with 60 customers and no provider) is the
 *     worst gap; taking away Wrenfield's providers makes a gap at Wrenfield;
 *   - counts of people below 5 are withheld in the shareable tables;
 *   - the coverage figures reconcile with the customers and postcodes.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <gdal.h>
#include <geos_c.h>
#include <math.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "io/table.h"
#include "testutil.h"

static char outdir[4096];
static GEOSContextHandle_t gh;

static void setup(void)
{
    GDALAllRegister();
    gh = GEOS_init_r();
    const char *o = gmt_sample_run(GM_TEST_GAPMAP_EXE);
    cr_assert_not_null(o, "gapmap run on the sample failed (log above)");
    snprintf(outdir, sizeof outdir, "%s", o);
}

static void teardown(void)
{
    GEOS_finish_r(gh);
}

static const char *out(const char *name)
{
    return gmt_out(outdir, name);
}

/* ---- reading layers ------------------------------------------------------ */

typedef struct feat {
    char a[4][128];      /* attributes asked for, as text */
    GEOSGeometry *g;     /* EPSG:27700 */
} feat;

/* Features of a shapefile with the text of up to 4 fields (shapefile names). */
static feat *read_layer(const char *path, const char *const *fields, size_t nf, size_t *n)
{
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR, NULL, NULL, NULL);
    cr_assert_not_null(ds, "GDAL cannot open %s", path);
    OGRLayerH ly = GDALDatasetGetLayer(ds, 0);
    size_t cap = (size_t)OGR_L_GetFeatureCount(ly, 1) + 1;
    feat *v = calloc(cap, sizeof *v);
    GEOSWKBReader *rd = GEOSWKBReader_create_r(gh);
    OGRFeatureH f;
    *n = 0;
    while ((f = OGR_L_GetNextFeature(ly)) != NULL) {
        feat *e = &v[(*n)++];
        for (size_t k = 0; k < nf; k++) {
            int idx = OGR_F_GetFieldIndex(f, fields[k]);
            cr_assert_geq(idx, 0, "%s has no field %s", path, fields[k]);
            snprintf(e->a[k], sizeof e->a[k], "%s", OGR_F_GetFieldAsString(f, idx));
        }
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        if (g) {
            int size = OGR_G_WkbSize(g);
            unsigned char *wkb = malloc((size_t)size);
            OGR_G_ExportToWkb(g, wkbNDR, wkb);
            e->g = GEOSWKBReader_read_r(gh, rd, wkb, (size_t)size);
            free(wkb);
        }
        OGR_F_Destroy(f);
    }
    GEOSWKBReader_destroy_r(gh, rd);
    GDALClose(ds);
    return v;
}

static void free_layer(feat *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (v[i].g)
            GEOSGeom_destroy_r(gh, v[i].g);
    free(v);
}

/* ---- the tests ----------------------------------------------------------- */

static const char *const LAYERS[] = {"catchments", "partition", "coverage", "zones", "gaps"};

Test(coverage_e2e, every_layer_opens_in_both_formats_with_its_table_and_style, .init = setup, .fini = teardown,
     .timeout = 600)
{
    for (size_t k = 0; k < 5; k++) {
        char name[64], e1[16], e2[16];
        snprintf(name, sizeof name, "%s.geojson", LAYERS[k]);
        long a = gmt_layer_count(out(name), e1);
        snprintf(name, sizeof name, "%s.shp", LAYERS[k]);
        long b = gmt_layer_count(out(name), e2);
        cr_assert_eq(a, b, "%s: %ld GeoJSON features, %ld shapefile features", LAYERS[k], a, b);
        cr_assert_str_eq(e1, "4326", "%s.geojson CRS", LAYERS[k]);
        cr_assert_str_eq(e2, "27700", "%s.shp CRS", LAYERS[k]);
        cr_assert_gt(a, 0, "%s is empty", LAYERS[k]);
        snprintf(name, sizeof name, "%s.csv", LAYERS[k]);
        gmt_csv c = gmt_csv_load(out(name));
        cr_assert_eq((long)c.nrows, a, "%s.csv has %zu rows, the layer %ld", LAYERS[k], c.nrows, a);
        gmt_csv_free(&c);
        snprintf(name, sizeof name, "%s.qml", LAYERS[k]);
        char *q = gmt_slurp(out(name), NULL);
        cr_assert_not_null(q, "no %s", name);
        cr_assert_not_null(strstr(q, "<renderer-v2"), "%s has no renderer", name);
        free(q);
    }
}

/* Car times of matrix.csv by customer and site, and each customer's join.
 * The file is customer-major, then site, then mode: a customer's block
 * starts at its first row and the site's rows follow in site order. */
typedef struct mx {
    gmt_csv c;
    size_t cid, sid, mode, t, cj;
    size_t block;      /* rows per customer: sites x modes */
} mx;

static double car_time(const mx *m, const char *cust, const char *site, double *join)
{
    size_t r0 = 0;
    while (r0 < m->c.nrows && strcmp(m->c.cell[r0][m->cid], cust))
        r0 += m->block;
    cr_assert_lt(r0, m->c.nrows, "%s not in matrix.csv", cust);
    for (size_t r = r0; r < r0 + m->block; r++) {
        char **row = m->c.cell[r];
        cr_assert_str_eq(row[m->cid], cust, "matrix.csv is not in customer blocks");
        if (!strcmp(row[m->mode], "car") && !strcmp(row[m->sid], site)) {
            *join = row[m->cj][0] ? atof(row[m->cj]) : NAN;
            return row[m->t][0] ? atof(row[m->t]) : INFINITY;
        }
    }
    cr_assert_fail("%s -> %s not in matrix.csv", cust, site);
    return NAN;
}

Test(coverage_e2e, customers_inside_a_30_minute_catchment_reach_its_site_within_30_minutes, .init = setup,
     .fini = teardown, .timeout = 600)
{
    static const char *const cf[] = {"site_id", "mode", "minutes"};
    size_t ncat, ncust;
    feat *cat = read_layer(out("catchments.shp"), cf, 3, &ncat);
    static const char *const pf[] = {"customer_i"};
    feat *cust = read_layer(out("customers.shp"), pf, 1, &ncust);
    mx m = {gmt_csv_load(out("matrix.csv")), 0, 0, 0, 0, 0};
    m.cid = gmt_csv_col(&m.c, "customer_id"), m.sid = gmt_csv_col(&m.c, "site_id"), m.mode = gmt_csv_col(&m.c, "mode");
    m.t = gmt_csv_col(&m.c, "time_s"), m.cj = gmt_csv_col(&m.c, "customer_join_m");
    while (m.block < m.c.nrows && !strcmp(m.c.cell[m.block][m.cid], m.c.cell[0][m.cid]))
        m.block++;
    const double T = 1800, walk = 4.8 / 3.6, cell = 100;
    size_t inside = 0, outside = 0, outside_slow = 0, sites = 0;
    for (size_t k = 0; k < ncat; k++) {
        if (strcmp(cat[k].a[1], "car") || atof(cat[k].a[2]) != 30 || !cat[k].g)
            continue;
        sites++;
        const GEOSPreparedGeometry *pg = GEOSPrepare_r(gh, cat[k].g);
        for (size_t i = 0; i < ncust; i += (sites % 3 == 0 ? 1 : 7)) { /* every customer for a third of the sites */
            double join, t;
            if (GEOSPreparedContains_r(gh, pg, cust[i].g) == 1) {
                t = car_time(&m, cust[i].a[0], cat[k].a[0], &join);
                /* The polygon is made of cells whose centre is within T; the
                 * customer may be up to a cell's diagonal from that centre and
                 * joins its own nearest road. */
                double allow = (join + cell * sqrt(2.0)) / walk + 60;
                cr_assert(t <= T + allow, "%s inside %s's 30-min catchment but %.0f s away (allowance %.0f s)",
                          cust[i].a[0], cat[k].a[0], t, allow);
                inside++;
            } else {
                double d;
                GEOSDistance_r(gh, cat[k].g, cust[i].g, &d);
                if (d < 500)
                    continue;
                t = car_time(&m, cust[i].a[0], cat[k].a[0], &join);
                outside++;
                outside_slow += t > T;
            }
        }
        GEOSPreparedGeom_destroy_r(gh, pg);
    }
    cr_assert_gt(sites, 40, "car 30-minute catchments: %zu", sites);
    cr_assert_gt(inside, 1000);
    cr_assert_gt(outside, 100);
    cr_assert_geq((double)outside_slow, 0.97 * (double)outside, "only %zu of %zu customers 500 m outside are over 30 min",
                  outside_slow, outside);
    cr_log_info("car 30 min: %zu customer-site pairs inside, %zu of %zu pairs 500 m+ outside over 30 min", inside,
                outside_slow, outside);
    gmt_csv_free(&m.c);
    free_layer(cat, ncat);
    free_layer(cust, ncust);
}

Test(coverage_e2e, the_partition_has_no_overlaps_and_covers_every_catchment, .init = setup, .fini = teardown,
     .timeout = 600)
{
    static const char *const pf[] = {"site_id", "mode"};
    static const char *const cf[] = {"site_id", "mode", "minutes"};
    size_t np, nc;
    feat *part = read_layer(out("partition.shp"), pf, 2, &np);
    feat *cat = read_layer(out("catchments.shp"), cf, 3, &nc);
    GEOSGeometry *parts[512], *cats[512];
    size_t kp = 0, kc = 0;
    for (size_t i = 0; i < np; i++)
        if (!strcmp(part[i].a[1], "car"))
            parts[kp++] = GEOSGeom_clone_r(gh, part[i].g);
    for (size_t i = 0; i < nc; i++)
        if (!strcmp(cat[i].a[1], "car") && atof(cat[i].a[2]) == 45 && cat[i].g)
            cats[kc++] = GEOSGeom_clone_r(gh, cat[i].g);
    cr_assert_gt(kp, 20);
    double sum = 0;
    for (size_t a = 0; a < kp; a++) {
        double ar;
        GEOSArea_r(gh, parts[a], &ar);
        sum += ar;
        for (size_t b = a + 1; b < kp; b++) {
            GEOSGeometry *x = GEOSIntersection_r(gh, parts[a], parts[b]);
            double ov = 0;
            GEOSArea_r(gh, x, &ov);
            GEOSGeom_destroy_r(gh, x);
            cr_assert_lt(ov, 1.0, "partition parts %zu and %zu overlap by %.1f m2", a, b, ov);
        }
    }
    GEOSGeometry *pc = GEOSGeom_createCollection_r(gh, GEOS_GEOMETRYCOLLECTION, parts, (unsigned)kp);
    GEOSGeometry *cc = GEOSGeom_createCollection_r(gh, GEOS_GEOMETRYCOLLECTION, cats, (unsigned)kc);
    GEOSGeometry *pu = GEOSUnaryUnion_r(gh, pc), *cu = GEOSUnaryUnion_r(gh, cc);
    double upart, ucat, miss;
    GEOSArea_r(gh, pu, &upart);
    GEOSArea_r(gh, cu, &ucat);
    GEOSGeometry *d = GEOSDifference_r(gh, cu, pu);
    GEOSArea_r(gh, d, &miss);
    cr_assert(fabs(upart - sum) < 1e-6 * sum + 1, "parts sum to %.0f m2, their union is %.0f m2", sum, upart);
    cr_assert_lt(miss, 1.0, "%.0f m2 of the 45-min catchments lie outside the partition", miss);
    cr_assert_geq(upart, ucat - 1);
    cr_log_info("car partition: %zu parts, %.1f km2; 45-min catchments' union %.1f km2", kp, upart / 1e6, ucat / 1e6);
    GEOSGeom_destroy_r(gh, d);
    GEOSGeom_destroy_r(gh, pu);
    GEOSGeom_destroy_r(gh, cu);
    GEOSGeom_destroy_r(gh, pc);
    GEOSGeom_destroy_r(gh, cc);
    free_layer(part, np);
    free_layer(cat, nc);
}

/* The point at the middle of expected.json's box of a place. */
static void box_centre(const char *place, double *x, double *y)
{
    cJSON *e = gmt_read_json(gmt_src("geodata/expected.json"));
    const cJSON *b = cJSON_GetObjectItem(cJSON_GetObjectItem(e, place), "bbox");
    cr_assert(cJSON_GetArraySize(b) == 4);
    *x = (cJSON_GetArrayItem(b, 0)->valuedouble + cJSON_GetArrayItem(b, 2)->valuedouble) / 2;
    *y = (cJSON_GetArrayItem(b, 1)->valuedouble + cJSON_GetArrayItem(b, 3)->valuedouble) / 2;
    cJSON_Delete(e);
}

/* Rank of the gap (gaps.shp of dir) containing (x, y), 0 when none does. */
static int gap_rank_at(const char *dir, double x, double y)
{
    char path[4200];
    snprintf(path, sizeof path, "%s", gmt_out(dir, "gaps.shp"));
    static const char *const gf[] = {"rank"};
    size_t n;
    feat *g = read_layer(path, gf, 1, &n);
    GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(gh, x, y);
    int rank = 0;
    for (size_t i = 0; i < n && !rank; i++)
        if (g[i].g && GEOSContains_r(gh, g[i].g, pt) == 1)
            rank = atoi(g[i].a[0]);
    GEOSGeom_destroy_r(gh, pt);
    free_layer(g, n);
    return rank;
}

Test(coverage_e2e, marrowby_is_the_worst_gap, .init = setup, .fini = teardown, .timeout = 600)
{
    double x, y;
    box_centre("marrowby", &x, &y);
    int rank = gap_rank_at(outdir, x, y);
    cr_assert_eq(rank, 1, "Marrowby (%.0f, %.0f) is in gap rank %d, expected the first", x, y, rank);
    cJSON *s = gmt_read_json(out("summary.json"));
    const cJSON *g = cJSON_GetObjectItem(cJSON_GetObjectItem(s, "coverage"), "gaps");
    cr_assert_geq(cJSON_GetObjectItem(g, "gap_areas")->valuedouble, 1);
    cJSON_Delete(s);
}

/* Wrenfield: the middle of the EM5 postcodes (the town's district). */
static void wrenfield(double *x, double *y)
{
    gmt_csv c = gmt_csv_load(gmt_src("geodata/onspd_examplshire.csv"));
    size_t pc = gmt_csv_col(&c, "pcds"), e = gmt_csv_col(&c, "oseast1m"), n = gmt_csv_col(&c, "osnrth1m");
    double sx = 0, sy = 0;
    size_t k = 0;
    for (size_t r = 0; r < c.nrows; r++)
        if (!strncmp(c.cell[r][pc], "EM5 ", 4) && c.cell[r][e][0]) {
            sx += atof(c.cell[r][e]);
            sy += atof(c.cell[r][n]);
            k++;
        }
    cr_assert_gt(k, 100);
    *x = sx / k;
    *y = sy / k;
    gmt_csv_free(&c);
}

/* Write dir/name: the sample's config with its relative paths made absolute,
 * without the keys listed in drop (NULL-terminated; may be NULL), then extra
 * appended (a later key in a repeated section wins).  ini receives the path. */
Test(coverage_e2e, taking_away_wrenfields_providers_makes_a_gap_there, .init = setup, .fini = teardown,
     .timeout = 900)
{
    double x, y;
    wrenfield(&x, &y);
    cr_assert_eq(gap_rank_at(outdir, x, y), 0, "Wrenfield is a gap with its providers");

    /* The same run with every provider row in EM5 left out. */
    const char *tmp = gmt_tmpdir("cov-wrenfield");
    char dir[4096], ini[4200], provs[4200];
    snprintf(dir, sizeof dir, "%s", tmp);
    snprintf(provs, sizeof provs, "%s/providers.csv", dir);
    char *text = gmt_slurp(gmt_src("geodata/providers.csv"), NULL);
    FILE *f = fopen(provs, "w");
    size_t kept = 0, dropped = 0;
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (strstr(line, ",EM5 ")) {
            dropped++;
            continue;
        }
        fprintf(f, "%s\n", line);
        kept++;
    }
    fclose(f);
    free(text);
    cr_assert_gt(dropped, 0);
    char extra[4400];
    snprintf(extra, sizeof extra, "[providers]\nfile = %s\n", provs);
    gmt_sample_variant(ini, dir, "wrenfield.ini", NULL, extra);
    char o2[4200];
    snprintf(o2, sizeof o2, "%s/out", dir);
    const char *in[] = {ini, provs};
    char *log = NULL;
    cr_assert(gmt_run_cached(GM_TEST_GAPMAP_EXE, ini, o2, in, 2, &log), "gapmap run %s failed:\n%s", ini,
              log ? log : "");
    int rank = gap_rank_at(o2, x, y);
    cr_assert_gt(rank, 0, "no gap at Wrenfield (%.0f, %.0f) once its %zu provider rows are gone", x, y, dropped);
    cr_log_info("without Wrenfield's %zu provider rows, Wrenfield is in gap rank %d", dropped, rank);
}

Test(coverage_e2e, small_counts_are_withheld_from_the_shareable_tables, .init = setup, .fini = teardown,
     .timeout = 600)
{
    static const char *const files[] = {"zones.csv", "gaps.csv", "coverage.csv"};
    static const char *const people[] = {"customers", "demand_out", "unmet", "customers_in"};
    size_t stars = 0, shown = 0;
    for (size_t k = 0; k < 3; k++) {
        gmt_csv c = gmt_csv_load(out(files[k]));
        for (size_t p = 0; p < 4; p++) {
            size_t col = c.ncols;
            for (size_t j = 0; j < c.ncols; j++)
                if (!strcmp(c.head[j], people[p]))
                    col = j;
            if (col == c.ncols)
                continue;
            for (size_t r = 0; r < c.nrows; r++) {
                const char *v = c.cell[r][col];
                if (!strcmp(v, "*")) {
                    stars++;
                    continue;
                }
                long n = atol(v);
                /* gaps.csv and zones.csv count postcodes in demand_out where
                 * a zone has no customers: not people. */
                if (strcmp(people[p], "demand_out") || strcmp(c.cell[r][gmt_csv_col(&c, "customers")], "0"))
                    cr_assert(n == 0 || n >= 5, "%s %s = %ld in row %zu", files[k], people[p], n, r + 1);
                shown++;
            }
        }
        gmt_csv_free(&c);
    }
    cr_assert_gt(stars, 0, "some counts should be withheld");
    cr_assert_gt(shown, 0);
}

Test(coverage_e2e, coverage_figures_reconcile_with_customers_and_postcodes, .init = setup, .fini = teardown,
     .timeout = 600)
{
    cJSON *m = gmt_read_json(out("manifest.json"));
    cJSON *s = gmt_read_json(out("summary.json"));
    double located = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(m, "counts"), "customers"),
                                         "located")
                         ->valuedouble;
    const cJSON *sc = cJSON_GetObjectItem(s, "coverage");
    double pcs = cJSON_GetObjectItem(sc, "postcodes_in_area")->valuedouble;
    cr_assert_eq(cJSON_GetObjectItem(sc, "customers")->valuedouble, located);
    gmt_csv c = gmt_csv_load(out("coverage.csv"));
    size_t sv = gmt_csv_col(&c, "service"), md = gmt_csv_col(&c, "mode"), mi = gmt_csv_col(&c, "minutes"), pin = gmt_csv_col(&c, "postcodes_in"),
           pt = gmt_csv_col(&c, "postcodes"), ct = gmt_csv_col(&c, "customers");
    double prev_in = -1, prev_min = 0;
    char prev_key[64] = "";
    size_t any = 0;
    for (size_t r = 0; r < c.nrows; r++) {
        char **row = c.cell[r];
        cr_assert_eq(atof(row[pt]), pcs, "row %zu: postcodes %s, area has %.0f", r + 1, row[pt], pcs);
        if (!strcmp(row[sv], "any")) {
            any++;
            /* All customers, unless withheld because the few not covered could be told apart. */
            cr_assert(!strcmp(row[ct], "*") || atof(row[ct]) == located, "row %zu: customers %s, located %.0f",
                      r + 1, row[ct], located);
        }
        char key[64];
        snprintf(key, sizeof key, "%s/%s", row[sv], row[md]);
        /* Thresholds are written largest first: fewer covered as they shrink. */
        if (!strcmp(key, prev_key)) {
            cr_assert_lt(atof(row[mi]), prev_min);
            cr_assert_leq(atof(row[pin]), prev_in);
        }
        snprintf(prev_key, sizeof prev_key, "%s", key);
        prev_in = atof(row[pin]);
        prev_min = atof(row[mi]);
    }
    cr_assert_eq(any, 12, "any-service rows: %zu (3 car + 2 walk + 2 walk_slow + 2 cycle + 3 bus)", any);
    gmt_csv_free(&c);
    cJSON_Delete(m);
    cJSON_Delete(s);
}

Test(coverage_e2e, without_zones_a_hexagon_grid_tiles_the_county, .init = setup, .fini = teardown, .timeout = 900)
{
    const char *tmp = gmt_tmpdir("cov-hex");
    char dir[4096], ini[4200], o2[4200];
    snprintf(dir, sizeof dir, "%s", tmp);
    static const char *const drop[] = {"zones", "zones_layer", "zone_id", "zone_name", NULL};
    gmt_sample_variant(ini, dir, "hex.ini", drop, "[area]\nhex_side_m = 2000\n");
    snprintf(o2, sizeof o2, "%s/out", dir);
    const char *in[] = {ini};
    char *log = NULL;
    cr_assert(gmt_run_cached(GM_TEST_GAPMAP_EXE, ini, o2, in, 1, &log), "gapmap run %s failed:\n%s", ini,
              log ? log : "");
    char path[4300];
    snprintf(path, sizeof path, "%s", gmt_out(o2, "zones.shp"));
    static const char *const zf[] = {"zone_id", "postcodes"};
    size_t nz;
    feat *z = read_layer(path, zf, 2, &nz);
    /* The county (expected.json: 1,330.6 km2) in hexagons of 2 km sides
     * (10.4 km2 each): about 128 whole ones, more with the cut edges. */
    double sum = 0;
    long pcs = 0;
    for (size_t i = 0; i < nz; i++) {
        double a;
        cr_assert_eq(z[i].a[0][0], 'H', "zone id %s", z[i].a[0]);
        GEOSArea_r(gh, z[i].g, &a);
        sum += a;
        pcs += atol(z[i].a[1]);
    }
    cr_assert(fabs(sum / 1e6 - 1330.6) < 0.5, "hexagons cover %.1f km2", sum / 1e6);
    cr_assert(nz > 128 && nz < 250, "%zu hexagons", nz);
    cJSON *s = gmt_read_json(out("summary.json"));
    double in_area = cJSON_GetObjectItem(cJSON_GetObjectItem(s, "coverage"), "postcodes_in_area")->valuedouble;
    cr_assert_eq((double)pcs, in_area, "postcodes over the hexagons %ld, in the area %.0f", pcs, in_area);
    cJSON_Delete(s);
    free_layer(z, nz);
}
