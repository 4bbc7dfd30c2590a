/*
 * Road readers on real open data in ../shared/data (skipped when absent):
 * Rutland's Geofabrik extract read twice, as .osm.pbf and as the "free"
 * shapefiles made from the same OSM data, checked against each other and
 * against the counts SOURCE.txt states (made independently with osmium);
 * Monaco (OSRM's test extract, dense one-way streets); and the sample county's
 * OS Open Roads GeoPackage in geodata/ when it has been generated.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "gapmap/gapmap.h"
#include "core/core.h"
#include "geo/crs.h"
#include "network/roads.h"
#include "testutil.h"

static gm_ctx *ctx;

static void setup(void)
{
    cr_assert_eq(gm_ctx_new(&ctx), GM_OK);
}

static void teardown(void)
{
    gm_ctx_free(ctx);
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

static gm__roads *load_timed(const char *path, double *secs)
{
    gm__roads *r = NULL;
    double t0 = now_s();
    gm_status st = gm__roads_load(ctx, path, &r);
    *secs = now_s() - t0;
    cr_assert_eq(st, GM_OK, "%s: %s", gm_status_name(st), gm_ctx_errmsg(ctx));
    cr_log_info("%s: %s, %.3f s, %zu links, %zu nodes, %zu vertices, %llu features read, "
                "%llu used, %llu not roads, %llu bad geometry, %llu distinct vertices",
                path, r->source, *secs, r->nlinks, r->nnodes, r->nxy,
                (unsigned long long)r->stats.features_read,
                (unsigned long long)r->stats.features_used,
                (unsigned long long)r->stats.skipped_not_road,
                (unsigned long long)r->stats.skipped_bad_geometry,
                (unsigned long long)r->stats.distinct_vertices);
    return r;
}

/* roads.h's invariants: every link's end vertices are its nodes' points. */
static void check_ends(const gm__roads *r)
{
    for (size_t i = 0; i < r->nlinks; i++) {
        const gm__road_link *l = &r->links[i];
        cr_assert_lt(l->from, r->nnodes);
        cr_assert_lt(l->to, r->nnodes);
        const double *g = r->xy + 2 * (size_t)l->geom_off;
        size_t e = 2 * ((size_t)l->geom_n - 1);
        cr_assert(g[0] == r->node_x[l->from] && g[1] == r->node_y[l->from], "link %zu", i);
        cr_assert(g[e] == r->node_x[l->to] && g[e + 1] == r->node_y[l->to], "link %zu", i);
        cr_assert_gt(l->length_m, 0.0f, "link %zu", i);
    }
}

/* Every node is used by some link (no isolated nodes from skipped features). */
static void check_nodes_used(const gm__roads *r)
{
    unsigned char *used = calloc(r->nnodes, 1);
    cr_assert_not_null(used);
    for (size_t i = 0; i < r->nlinks; i++)
        used[r->links[i].from] = used[r->links[i].to] = 1;
    for (size_t i = 0; i < r->nnodes; i++)
        cr_assert(used[i], "node %zu is used by no link", i);
    free(used);
}

typedef struct vtx {
    double x, y;
    int interior;
} vtx;

static int vtx_cmp(const void *pa, const void *pb)
{
    const vtx *a = pa, *b = pb;
    if (a->x != b->x)
        return a->x < b->x ? -1 : 1;
    if (a->y != b->y)
        return a->y < b->y ? -1 : 1;
    return 0;
}

/* Links meet only at nodes: no interior vertex of a link is at a node's point
 * or at another link's interior vertex (else the ways should have been split
 * there).  Sort all node points and interior vertices; equal neighbours may
 * only be two nodes. */
static void check_split(const gm__roads *r)
{
    size_t n = r->nnodes;
    for (size_t i = 0; i < r->nlinks; i++)
        n += r->links[i].geom_n - 2;
    vtx *v = malloc(n * sizeof *v);
    cr_assert_not_null(v);
    size_t k = 0;
    for (size_t i = 0; i < r->nnodes; i++)
        v[k++] = (vtx){r->node_x[i], r->node_y[i], 0};
    for (size_t i = 0; i < r->nlinks; i++)
        for (size_t j = 1; j + 1 < r->links[i].geom_n; j++) {
            const double *g = r->xy + 2 * ((size_t)r->links[i].geom_off + j);
            v[k++] = (vtx){g[0], g[1], 1};
        }
    qsort(v, n, sizeof *v, vtx_cmp);
    for (size_t i = 1; i < n; i++)
        cr_assert(!(vtx_cmp(&v[i - 1], &v[i]) == 0 && (v[i - 1].interior || v[i].interior)),
                  "%s: a link passes through (%.3f, %.3f) without a node there", r->source, v[i].x,
                  v[i].y);
    free(v);
}

typedef struct totals {
    double all_m, car_class_m, car_flag_m;
    size_t oneway, bridges;
} totals;

static totals sum(const gm__roads *r)
{
    totals t = {0};
    for (size_t i = 0; i < r->nlinks; i++) {
        const gm__road_link *l = &r->links[i];
        t.all_m += l->length_m;
        if (l->rclass <= GM__RC_TRACK && !(l->flags & GM__RF_FERRY))
            t.car_class_m += l->length_m;
        unsigned car = l->flags & (GM__RF_CAR_FWD | GM__RF_CAR_BWD);
        if (car)
            t.car_flag_m += l->length_m;
        if (car == GM__RF_CAR_FWD || car == GM__RF_CAR_BWD)
            t.oneway++;
        if (l->flags & GM__RF_BRIDGE)
            t.bridges++;
    }
    return t;
}

/* A count SOURCE.txt states as "<number> <what>", e.g. "43,833 highway nodes". */
static long source_count(const char *source_txt, const char *what)
{
    char *text = gmt_slurp(source_txt, NULL);
    cr_assert_not_null(text, "cannot read %s", source_txt);
    char *p = strstr(text, what);
    cr_assert_not_null(p, "%s does not state '%s'", source_txt, what);
    /* Walk back over the space and the digits with thousands separators. */
    char *end = p;
    while (end > text && end[-1] == ' ')
        end--;
    char *start = end;
    while (start > text && ((start[-1] >= '0' && start[-1] <= '9') || start[-1] == ','))
        start--;
    long v = 0;
    for (char *c = start; c < end; c++)
        if (*c != ',')
            v = v * 10 + (*c - '0');
    free(text);
    cr_assert_gt(v, 0, "no number before '%s' in %s", what, source_txt);
    return v;
}

Test(realdata_roads, rutland_pbf_and_geofabrik_shapefiles_agree, .init = setup, .fini = teardown,
     .timeout = 600)
{
    const char *pbf_p = gmt_shared("rutland/rutland-latest.osm.pbf");
    if (!pbf_p)
        cr_skip_test("real data absent: %s/rutland/rutland-latest.osm.pbf", GM_TEST_SHARED_DATA);
    char pbf[4096], shp[4096], source[4096];
    snprintf(pbf, sizeof pbf, "%s", pbf_p);
    const char *shp_p = gmt_shared("rutland/rutland-latest-free.shp.zip");
    if (!shp_p)
        cr_skip_test("real data absent: %s/rutland/rutland-latest-free.shp.zip", GM_TEST_SHARED_DATA);
    snprintf(shp, sizeof shp, "%s", shp_p);
    snprintf(source, sizeof source, "%s", gmt_shared("rutland/SOURCE.txt"));

    double t_pbf, t_shp;
    gm__roads *a = load_timed(pbf, &t_pbf);
    gm__roads *b = load_timed(shp, &t_shp);
    cr_assert_str_eq(a->source, "osm_pbf");
    cr_assert_str_eq(b->source, "geofabrik_shp");
    check_ends(a);
    check_ends(b);
    check_nodes_used(a);
    check_nodes_used(b);
    /* A county extract of 1.6 MB must load in well under 2 s (the figure is
     * logged; sanitizer builds are several times slower and only log it). */
    if (!SANITIZED)
        cr_expect_lt(t_pbf, 2.0, "Rutland .osm.pbf took %.2f s", t_pbf);

    /* SOURCE.txt (osmium, independently of GDAL): 43,833 highway nodes in
     * 6,665 highway ways; the shapefile has 6,665 lines.
     * - The shapefile is one line per highway way: features_read is exact.
     * - GDAL's lines layer holds the highway ways that are not areas (its
     *   osmconf takes closed ways tagged as areas to multipolygons), so it
     *   sees a few fewer; a handful of those are not roads (rest_area...).
     * - Distinct vertices of the kept ways are the OSM nodes they use (shared
     *   nodes have identical coordinates; only exact duplicates could merge),
     *   so they can only be fewer than 43,833, and by little: the dropped
     *   ways are few and short. */
    long hw_nodes = source_count(source, "highway nodes");
    long hw_ways = source_count(source, "highway ways");
    cr_assert_eq(hw_nodes, 43833);
    cr_assert_eq(b->stats.features_read, (uint64_t)hw_ways);
    cr_assert_leq(a->stats.features_read, (uint64_t)hw_ways);
    cr_assert_geq(a->stats.features_read, (uint64_t)hw_ways - 20);
    cr_assert_leq(a->stats.distinct_vertices, (uint64_t)hw_nodes);
    cr_assert_geq(a->stats.distinct_vertices, (uint64_t)(0.99 * (double)hw_nodes));
    /* The shapefile is a month newer (2022-08-18 against 2022-07-20). */
    cr_assert(fabs((double)b->stats.distinct_vertices - (double)hw_nodes) < 0.01 * (double)hw_nodes,
              "%llu", (unsigned long long)b->stats.distinct_vertices);
    /* Splitting: links meet only at nodes. */
    check_split(a);
    check_split(b);
    cr_assert_gt(a->nlinks, a->stats.features_used);
    cr_assert_leq(a->nnodes, a->stats.distinct_vertices);

    /* The two readings of the same network agree. */
    totals ta = sum(a), tb = sum(b);
    cr_log_info("Rutland lengths (km): pbf all %.1f, car classes %.1f, car allowed %.1f, one-way "
                "car links %zu; shp all %.1f, car classes %.1f, car allowed %.1f, one-way %zu",
                ta.all_m / 1e3, ta.car_class_m / 1e3, ta.car_flag_m / 1e3, ta.oneway,
                tb.all_m / 1e3, tb.car_class_m / 1e3, tb.car_flag_m / 1e3, tb.oneway);
    /* Car-drivable: the road classes a car may use (motorway..track).  The
     * shapefile has no access tags, so the .osm.pbf's car-allowed total is
     * smaller by the private roads and is compared with the class total of
     * its own reading only as a bound. */
    cr_assert(fabs(ta.car_class_m - tb.car_class_m) < 0.02 * tb.car_class_m, "%.0f vs %.0f",
              ta.car_class_m, tb.car_class_m);
    cr_assert(fabs(ta.all_m - tb.all_m) < 0.02 * tb.all_m);
    cr_assert_leq(ta.car_flag_m, ta.car_class_m);
    cr_assert_gt(ta.car_flag_m, 0.85 * ta.car_class_m);
    cr_assert(fabs((double)a->nnodes - (double)b->nnodes) < 0.05 * (double)b->nnodes);
    cr_assert(fabs((double)a->nlinks - (double)b->nlinks) < 0.05 * (double)b->nlinks);
    cr_assert_gt(ta.oneway, 0);
    cr_assert_gt(tb.oneway, 0);

    /* Everything lies in Rutland's box in British National Grid, plus a
     * margin: SOURCE.txt puts the highway network in lon -0.847..-0.395, lat
     * 52.523..52.762; the corners are transformed here with PROJ. */
    gm__xform *xf = NULL;
    cr_assert_eq(gm__xform_new(ctx, "EPSG:4326", GM__WORKING_CRS, &xf), GM_OK);
    double minx = INFINITY, miny = INFINITY, maxx = -INFINITY, maxy = -INFINITY;
    const double lon[2] = {-0.847, -0.395}, lat[2] = {52.523, 52.762};
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) {
            double x = lon[i], y = lat[j];
            cr_assert(gm__xform_point(xf, &x, &y));
            minx = fmin(minx, x), maxx = fmax(maxx, x), miny = fmin(miny, y), maxy = fmax(maxy, y);
        }
    gm__xform_free(xf);
    const double margin = 1000.0;
    for (int k = 0; k < 2; k++) {
        const gm__roads *r = k ? b : a;
        for (size_t i = 0; i < r->nxy; i++) {
            double x = r->xy[2 * i], y = r->xy[2 * i + 1];
            cr_assert(x > minx - margin && x < maxx + margin && y > miny - margin &&
                          y < maxy + margin,
                      "%s vertex %zu at (%.1f, %.1f) outside (%.0f..%.0f, %.0f..%.0f)", r->source,
                      i, x, y, minx, maxx, miny, maxy);
        }
    }
    gm__roads_free(a);
    gm__roads_free(b);
}

Test(realdata_roads, monaco_loads_with_its_one_way_streets, .init = setup, .fini = teardown,
     .timeout = 600)
{
    const char *p = gmt_shared("monaco/monaco.osm.pbf");
    if (!p)
        cr_skip_test("real data absent: %s/monaco/monaco.osm.pbf", GM_TEST_SHARED_DATA);
    char path[4096];
    snprintf(path, sizeof path, "%s", p);
    double secs;
    gm__roads *r = load_timed(path, &secs);
    check_ends(r);
    check_nodes_used(r);
    check_split(r);
    totals t = sum(r);
    cr_log_info("Monaco: %zu one-way car links of %zu, %.1f km in all", t.oneway, r->nlinks,
                t.all_m / 1e3);
    /* SOURCE.txt: 26,088 nodes in 2,927 highway ways (osmium). */
    cr_assert_leq(r->stats.features_read, 2927);
    cr_assert_leq(r->stats.distinct_vertices, 26088);
    cr_assert_geq(r->stats.distinct_vertices, 25000);
    cr_assert_gt(t.oneway, 500); /* a city of one-way streets and tunnels */
    size_t tunnels = 0;
    for (size_t i = 0; i < r->nlinks; i++)
        tunnels += (r->links[i].flags & GM__RF_TUNNEL) != 0;
    cr_assert_gt(tunnels, 10);
    gm__roads_free(r);
}

/* A number in expected.json's "roads" object, or -1 when absent. */
static double expected_roads(const cJSON *roads, const char *key, const char *sub)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(roads, key);
    if (v && sub)
        v = cJSON_GetObjectItemCaseSensitive(v, sub);
    return cJSON_IsNumber(v) ? v->valuedouble : -1.0;
}

Test(realdata_roads, sample_county_os_open_roads, .init = setup, .fini = teardown, .timeout = 600)
{
    char path[4096];
    snprintf(path, sizeof path, "%s", gmt_src("geodata/roads.gpkg"));
    FILE *f = fopen(path, "rb");
    if (!f)
        cr_skip_test("sample data absent: %s (made by geodata/generate.py)", path);
    fclose(f);
    double secs;
    gm__roads *r = load_timed(path, &secs);
    cr_assert_str_eq(r->source, "os_open_roads");
    check_ends(r);
    check_nodes_used(r);
    totals t = sum(r);
    size_t roundabouts = 0, motorway = 0;
    for (size_t i = 0; i < r->nlinks; i++) {
        roundabouts += (r->links[i].flags & GM__RF_ROUNDABOUT) != 0;
        motorway += r->links[i].rclass == GM__RC_MOTORWAY;
        if (r->links[i].rclass == GM__RC_MOTORWAY)
            cr_assert_eq(r->links[i].flags & (GM__RF_WALK | GM__RF_CYCLE_FWD | GM__RF_CYCLE_BWD), 0);
    }
    cr_assert_geq(t.bridges, 1);
    cr_assert_gt(t.oneway, 0);
    cr_assert_eq(r->stats.ends_moved, 0, "road_link and road_node disagree on %llu link ends",
                 (unsigned long long)r->stats.ends_moved);
    cr_assert_eq(r->stats.length_mismatches, 0);

    /* The generator's own counts, made from its model rather than by reading
     * the file back (geodata/expected.json, "roads"). */
    char *text = gmt_slurp(gmt_src("geodata/expected.json"), NULL);
    cJSON *doc = text ? cJSON_Parse(text) : NULL;
    const cJSON *roads = doc ? cJSON_GetObjectItemCaseSensitive(doc, "roads") : NULL;
    if (roads) {
        double links = expected_roads(roads, "links", NULL);
        double nodes = expected_roads(roads, "nodes", NULL);
        double bridges = expected_roads(roads, "road_on_bridge_links", NULL);
        double in_dir = expected_roads(roads, "directionality", "inDirection");
        double opp_dir = expected_roads(roads, "directionality", "inOppositeDirection");
        double rb = expected_roads(roads, "form_of_way", "Roundabout");
        double mw = expected_roads(roads, "road_classification", "Motorway");
        double km = expected_roads(roads, "total_length_km", NULL);
        if (links >= 0)
            cr_expect_eq((double)r->nlinks, links);
        if (nodes >= 0)
            cr_expect_eq((double)r->nnodes, nodes);
        if (bridges >= 0)
            cr_expect_eq((double)t.bridges, bridges);
        if (in_dir >= 0 && opp_dir >= 0)
            cr_expect_eq((double)t.oneway, in_dir + opp_dir);
        if (rb >= 0)
            cr_expect_eq((double)roundabouts, rb);
        if (mw >= 0)
            cr_expect_eq((double)motorway, mw);
        if (km >= 0)
            cr_expect(fabs(t.all_m / 1e3 - km) < 0.1, "%.2f km vs %.1f", t.all_m / 1e3, km);
    } else {
        cr_log_warn("geodata/expected.json has no roads section: counts not checked");
    }
    cJSON_Delete(doc);
    free(text);
    gm__roads_free(r);
}
