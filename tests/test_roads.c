/*
 * Road readers: node-link topology from OpenStreetMap (tiny .osm XML files,
 * read by the same GDAL OSM driver as .osm.pbf), Geofabrik shapefiles and OS
 * Open Roads GeoPackages (written here through OGR), and the OSM tag rules
 * one case at a time.  Every fixture is a handful of ways drawn on a small
 * grid; each test says what it exercises.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include "gapmap/gapmap.h"
#include "core/core.h"
#include "network/roads.h"
#include "io/roads_impl.h"
#include "testutil.h"

static gm_ctx *ctx;
static char dirpath[4096];

static void setup(void)
{
    cr_assert_eq(gm_ctx_new(&ctx), GM_OK);
    const char *d = gmt_tmpdir("roads");
    cr_assert_not_null(d);
    snprintf(dirpath, sizeof dirpath, "%s", d);
}

static void teardown(void)
{
    gm_ctx_free(ctx);
}

static const char *path_in(const char *name)
{
    static char buf[4200];
    snprintf(buf, sizeof buf, "%s/%s", dirpath, name);
    return buf;
}

/* The invariants of roads.h, checked on every loaded network: dense node
 * ids, ends equal to node points bit for bit, lengths equal to the geometry. */
static void check_invariants(const gm__roads *r)
{
    for (size_t i = 0; i < r->nlinks; i++) {
        const gm__road_link *l = &r->links[i];
        cr_assert_lt(l->from, r->nnodes);
        cr_assert_lt(l->to, r->nnodes);
        cr_assert_geq(l->geom_n, 2);
        cr_assert_leq((size_t)l->geom_off + l->geom_n, r->nxy);
        const double *g = r->xy + 2 * (size_t)l->geom_off;
        cr_assert(g[0] == r->node_x[l->from] && g[1] == r->node_y[l->from], "link %zu start", i);
        size_t e = 2 * ((size_t)l->geom_n - 1);
        cr_assert(g[e] == r->node_x[l->to] && g[e + 1] == r->node_y[l->to], "link %zu end", i);
        double len = 0;
        for (size_t k = 1; k < l->geom_n; k++)
            len += hypot(g[2 * k] - g[2 * k - 2], g[2 * k + 1] - g[2 * k - 1]);
        cr_assert_float_eq(l->length_m, len, 1e-3 * len + 1e-3, "link %zu length", i);
    }
    cr_assert_eq(r->stats.links, r->nlinks);
    cr_assert_eq(r->stats.features_read, r->stats.features_used + r->stats.skipped_not_road +
                                             r->stats.skipped_bad_geometry);
}

/* ---- OSM XML fixtures ---------------------------------------------------- */

/* Nodes on a grid near Oakham: node k at (lon0 + dx*0.001, lat0 + dy*0.001),
 * about 68 m by 111 m per step. */
typedef struct osm_node {
    int id, dx, dy;
} osm_node;

/* Write an .osm file: nodes, then ways given as "id|n1,n2,...|k=v;k=v". */
static const char *write_osm(const char *name, const osm_node *nodes, size_t nn,
                             const char *const *ways, size_t nw)
{
    static char text[65536];
    size_t u = 0;
    u += (size_t)snprintf(text + u, sizeof text - u,
                          "<?xml version='1.0' encoding='UTF-8'?>\n<osm version='0.6'>\n");
    for (size_t i = 0; i < nn; i++)
        u += (size_t)snprintf(text + u, sizeof text - u,
                              "<node id='%d' version='1' lat='%.7f' lon='%.7f'/>\n", nodes[i].id,
                              52.65 + nodes[i].dy * 0.001, -0.72 + nodes[i].dx * 0.001);
    for (size_t i = 0; i < nw; i++) {
        char buf[1024];
        snprintf(buf, sizeof buf, "%s", ways[i]);
        char *id = strtok(buf, "|"), *nds = strtok(NULL, "|"), *tags = strtok(NULL, "|");
        u += (size_t)snprintf(text + u, sizeof text - u, "<way id='%s' version='1'>\n", id);
        for (char *nd = strtok(nds, ","); nd; nd = strtok(NULL, ","))
            u += (size_t)snprintf(text + u, sizeof text - u, " <nd ref='%s'/>\n", nd);
        char tagbuf[512];
        snprintf(tagbuf, sizeof tagbuf, "%s", tags ? tags : "");
        for (char *kv = strtok(tagbuf, ";"); kv; kv = strtok(NULL, ";")) {
            char *eq = strchr(kv, '=');
            if (!eq)
                continue;
            *eq = '\0';
            u += (size_t)snprintf(text + u, sizeof text - u, " <tag k='%s' v='%s'/>\n", kv,
                                  eq + 1);
        }
        u += (size_t)snprintf(text + u, sizeof text - u, "</way>\n");
    }
    snprintf(text + u, sizeof text - u, "</osm>\n");
    cr_assert_lt(u, sizeof text - 16);
    return gmt_write(dirpath, name, text);
}

static gm__roads *load_ok(const char *path)
{
    gm__roads *r = NULL;
    gm_status st = gm__roads_load(ctx, path, &r);
    cr_assert_eq(st, GM_OK, "%s: %s", gm_status_name(st), gm_ctx_errmsg(ctx));
    cr_assert_not_null(r);
    check_invariants(r);
    return r;
}

/* The link whose source is way id and whose first vertex is node k's point. */
static const gm__road_link *link_of(const gm__roads *r, uint64_t way, size_t nth)
{
    size_t seen = 0;
    for (size_t i = 0; i < r->nlinks; i++)
        if (r->links[i].source_id == way && seen++ == nth)
            return &r->links[i];
    cr_assert_fail("no link %zu of way %llu", nth, (unsigned long long)way);
    return NULL;
}

Test(roads, an_osm_way_is_split_where_another_way_shares_its_vertex, .init = setup,
     .fini = teardown)
{
    /* Way 10 runs 1-2-3; way 11 leaves from its middle vertex 2 to 4.  Three
     * links, four nodes; node 2 is shared by all three links. */
    static const osm_node n[] = {{1, 0, 0}, {2, 1, 0}, {3, 2, 0}, {4, 1, 1}};
    static const char *const w[] = {"10|1,2,3|highway=residential",
                                    "11|2,4|highway=residential"};
    gm__roads *r = load_ok(write_osm("split.osm", n, 4, w, 2));
    cr_assert_str_eq(r->source, "osm_xml");
    cr_assert_eq(r->nlinks, 3);
    cr_assert_eq(r->nnodes, 4);
    cr_assert_eq(r->stats.features_read, 2);
    cr_assert_eq(r->stats.features_used, 2);
    cr_assert_eq(r->stats.distinct_vertices, 4);
    const gm__road_link *a = link_of(r, 10, 0), *b = link_of(r, 10, 1), *c = link_of(r, 11, 0);
    /* Dense ids in order of first use: 1 -> 0, 2 -> 1, 3 -> 2, 4 -> 3. */
    cr_assert_eq(a->from, 0);
    cr_assert_eq(a->to, 1);
    cr_assert_eq(b->from, 1);
    cr_assert_eq(b->to, 2);
    cr_assert_eq(c->from, 1);
    cr_assert_eq(c->to, 3);
    cr_assert_eq(a->geom_n, 2);
    gm__roads_free(r);
}

Test(roads, a_t_junction_splits_the_through_way_and_keeps_its_bends, .init = setup,
     .fini = teardown)
{
    /* Way 20: 1-2-3-4-5 (a bend at 2 and 4, junction at 3); way 21: 3-6.
     * Way 20 becomes two links of three vertices each. */
    static const osm_node n[] = {{1, 0, 0}, {2, 1, 1}, {3, 2, 1}, {4, 3, 1}, {5, 4, 0}, {6, 2, 3}};
    static const char *const w[] = {"20|1,2,3,4,5|highway=tertiary", "21|3,6|highway=service"};
    gm__roads *r = load_ok(write_osm("tee.osm", n, 6, w, 2));
    cr_assert_eq(r->nlinks, 3);
    cr_assert_eq(r->nnodes, 4); /* 1, 3, 5, 6: the bends 2 and 4 are not nodes */
    const gm__road_link *a = link_of(r, 20, 0), *b = link_of(r, 20, 1), *c = link_of(r, 21, 0);
    cr_assert_eq(a->geom_n, 3);
    cr_assert_eq(b->geom_n, 3);
    cr_assert_eq(a->to, b->from);
    cr_assert_eq(c->from, a->to);
    cr_assert_eq(a->rclass, GM__RC_TERTIARY);
    cr_assert_eq(c->rclass, GM__RC_SERVICE);
    /* Length: a (1, 1)-step diagonal plus a 1-step move east.  Metres per
     * degree on the WGS84 ellipsoid at latitude p: 111412.84 cos p - 93.5 cos 3p
     * east, 111132.95 - 559.82 cos 2p + 1.18 cos 4p north; BNG's scale factor
     * here (86 km east of its central meridian) is 0.99969. */
    double p = 52.65 * 3.14159265358979323846 / 180.0, k = 0.99969;
    double dx = 0.001 * k * (111412.84 * cos(p) - 93.5 * cos(3 * p));
    double dy = 0.001 * k * (111132.95 - 559.82 * cos(2 * p) + 1.18 * cos(4 * p));
    cr_assert_float_eq(a->length_m, hypot(dx, dy) + dx, 0.002 * a->length_m, "%f", a->length_m);
    gm__roads_free(r);
}

Test(roads, a_closed_way_is_a_loop_at_its_own_start, .init = setup, .fini = teardown)
{
    /* A roundabout drawn as one closed way 1-2-3-1 with a road joining at 2. */
    static const osm_node n[] = {{1, 0, 0}, {2, 1, 0}, {3, 0, 1}, {4, 3, 0}};
    static const char *const w[] = {"30|1,2,3,1|highway=primary;junction=roundabout",
                                    "31|2,4|highway=primary"};
    gm__roads *r = load_ok(write_osm("loop.osm", n, 4, w, 2));
    cr_assert_eq(r->nlinks, 3);
    cr_assert_eq(r->nnodes, 3);
    const gm__road_link *a = link_of(r, 30, 0), *b = link_of(r, 30, 1);
    cr_assert_eq(a->to, b->from);
    cr_assert_eq(b->to, a->from);
    cr_assert_eq(a->flags & (GM__RF_CAR_FWD | GM__RF_CAR_BWD), GM__RF_CAR_FWD);
    cr_assert(a->flags & GM__RF_ROUNDABOUT);
    gm__roads_free(r);
}

/* ---- tag rules, one way per case ----------------------------------------- */

/* Inline arrays, not pointers: Criterion re-executes the test binary for each
 * parameter, so pointers into the parent's memory are not valid there. */
typedef struct tag_case {
    char tags[160];
    unsigned flags; /* expected GM__RF_* (all of them) */
    int rclass;
    int maxspeed;   /* km/h, -1: do not check */
} tag_case;

enum {
    CAR2 = GM__RF_CAR_FWD | GM__RF_CAR_BWD,
    CYC2 = GM__RF_CYCLE_FWD | GM__RF_CYCLE_BWD,
    ALL = CAR2 | GM__RF_WALK | CYC2,
};

static tag_case TAG_CASES[] = {
    {"highway=residential", ALL, GM__RC_RESIDENTIAL, 0},
    {"highway=residential;oneway=yes", GM__RF_CAR_FWD | GM__RF_WALK | GM__RF_CYCLE_FWD,
     GM__RC_RESIDENTIAL, -1},
    {"highway=residential;oneway=-1", GM__RF_CAR_BWD | GM__RF_WALK | GM__RF_CYCLE_BWD,
     GM__RC_RESIDENTIAL, -1},
    {"highway=residential;oneway=no", ALL, GM__RC_RESIDENTIAL, -1},
    /* contraflow cycling */
    {"highway=residential;oneway=yes;oneway:bicycle=no", GM__RF_CAR_FWD | GM__RF_WALK | CYC2,
     GM__RC_RESIDENTIAL, -1},
    {"highway=unclassified;oneway=yes;cycleway=opposite_lane",
     GM__RF_CAR_FWD | GM__RF_WALK | CYC2, GM__RC_UNCLASSIFIED, -1},
    /* implied one way: roundabouts and motorways, not motorway links */
    {"highway=primary;junction=roundabout",
     GM__RF_CAR_FWD | GM__RF_WALK | GM__RF_CYCLE_FWD | GM__RF_ROUNDABOUT, GM__RC_PRIMARY, -1},
    {"highway=secondary;junction=circular", GM__RF_CAR_FWD | GM__RF_WALK | GM__RF_CYCLE_FWD,
     GM__RC_SECONDARY, -1},
    {"highway=motorway", GM__RF_CAR_FWD, GM__RC_MOTORWAY, -1},
    {"highway=motorway;oneway=no", CAR2, GM__RC_MOTORWAY, -1},
    {"highway=motorway_link", CAR2, GM__RC_MOTORWAY, -1},
    {"highway=motorway;foot=yes", GM__RF_CAR_FWD | GM__RF_WALK, GM__RC_MOTORWAY, -1},
    /* UK defaults: trunk roads are open to walkers and cyclists */
    {"highway=trunk", ALL, GM__RC_TRUNK, -1},
    {"highway=trunk_link;foot=no", CAR2 | CYC2, GM__RC_TRUNK, -1},
    {"highway=primary;motorroad=yes", CAR2, GM__RC_PRIMARY, -1},
    /* access tags */
    {"highway=service;access=private", 0, GM__RC_SERVICE, -1},
    {"highway=service;access=private;foot=yes", GM__RF_WALK, GM__RC_SERVICE, -1},
    {"highway=service;access=no", 0, GM__RC_SERVICE, -1},
    {"highway=service;access=destination", ALL, GM__RC_SERVICE, -1},
    {"highway=tertiary;motor_vehicle=no", GM__RF_WALK | CYC2, GM__RC_TERTIARY, -1},
    {"highway=tertiary;motorcar=private", GM__RF_WALK | CYC2, GM__RC_TERTIARY, -1},
    {"highway=tertiary;vehicle=no", GM__RF_WALK, GM__RC_TERTIARY, -1},
    {"highway=tertiary;access=no;motor_vehicle=yes", CAR2, GM__RC_TERTIARY, -1},
    {"highway=track", ALL, GM__RC_TRACK, -1},
    {"highway=track;motor_vehicle=agricultural", GM__RF_WALK | CYC2, GM__RC_TRACK, -1},
    /* paths */
    {"highway=footway", GM__RF_WALK, GM__RC_PATH, -1},
    {"highway=footway;foot=no", 0, GM__RC_PATH, -1},
    {"highway=footway;bicycle=yes", GM__RF_WALK | CYC2, GM__RC_PATH, -1},
    {"highway=steps", GM__RF_WALK, GM__RC_PATH, -1},
    {"highway=pedestrian", GM__RF_WALK, GM__RC_PATH, -1},
    {"highway=bridleway", GM__RF_WALK | CYC2, GM__RC_PATH, -1},
    {"highway=cycleway", GM__RF_WALK | CYC2, GM__RC_PATH, -1},
    {"highway=cycleway;oneway=yes", GM__RF_WALK | GM__RF_CYCLE_FWD, GM__RC_PATH, -1},
    {"highway=cycleway;foot=no", CYC2, GM__RC_PATH, -1},
    {"highway=path", GM__RF_WALK | CYC2, GM__RC_PATH, -1},
    {"highway=living_street", ALL, GM__RC_RESIDENTIAL, -1},
    {"highway=road", ALL, GM__RC_UNCLASSIFIED, -1},
    /* structures */
    {"highway=primary;bridge=yes", ALL | GM__RF_BRIDGE, GM__RC_PRIMARY, -1},
    {"highway=primary;bridge=viaduct", ALL | GM__RF_BRIDGE, GM__RC_PRIMARY, -1},
    {"highway=primary;bridge=no;tunnel=yes", ALL | GM__RF_TUNNEL, GM__RC_PRIMARY, -1},
    /* speed limits */
    {"highway=residential;maxspeed=30 mph", ALL, GM__RC_RESIDENTIAL, 48},
    {"highway=residential;maxspeed=20mph", ALL, GM__RC_RESIDENTIAL, 32},
    {"highway=primary;maxspeed=50", ALL, GM__RC_PRIMARY, 50},
    {"highway=primary;maxspeed=GB:nsl_single", ALL, GM__RC_PRIMARY, 97},
    {"highway=trunk;maxspeed=GB:nsl_dual", ALL, GM__RC_TRUNK, 113},
    {"highway=footway;maxspeed=walk", GM__RF_WALK, GM__RC_PATH, 0},
    /* ferries */
    {"route=ferry", GM__RF_FERRY | GM__RF_WALK, GM__RC_UNCLASSIFIED, -1},
    {"route=ferry;motor_vehicle=yes", GM__RF_FERRY | GM__RF_WALK | CAR2, GM__RC_UNCLASSIFIED,
     -1},
    {"route=ferry;foot=no;motorcar=yes;bicycle=yes", GM__RF_FERRY | CAR2 | CYC2,
     GM__RC_UNCLASSIFIED, -1},
};

/* Parse "k=v;k=v" into tags; the strings point into buf. */
static gm__osm_tags parse_tags(char *buf)
{
    gm__osm_tags t = {0};
    for (char *kv = strtok(buf, ";"); kv; kv = strtok(NULL, ";")) {
        char *v = strchr(kv, '=');
        cr_assert_not_null(v, "%s", kv);
        *v++ = '\0';
        static const struct {
            const char *key;
            size_t off;
        } keys[] = {
            {"highway", offsetof(gm__osm_tags, highway)},
            {"oneway", offsetof(gm__osm_tags, oneway)},
            {"oneway:bicycle", offsetof(gm__osm_tags, oneway_bicycle)},
            {"junction", offsetof(gm__osm_tags, junction)},
            {"maxspeed", offsetof(gm__osm_tags, maxspeed)},
            {"access", offsetof(gm__osm_tags, access)},
            {"vehicle", offsetof(gm__osm_tags, vehicle)},
            {"motor_vehicle", offsetof(gm__osm_tags, motor_vehicle)},
            {"motorcar", offsetof(gm__osm_tags, motorcar)},
            {"foot", offsetof(gm__osm_tags, foot)},
            {"bicycle", offsetof(gm__osm_tags, bicycle)},
            {"bridge", offsetof(gm__osm_tags, bridge)},
            {"tunnel", offsetof(gm__osm_tags, tunnel)},
            {"route", offsetof(gm__osm_tags, route)},
            {"area", offsetof(gm__osm_tags, area)},
            {"motorroad", offsetof(gm__osm_tags, motorroad)},
            {"cycleway", offsetof(gm__osm_tags, cycleway)},
        };
        size_t i = 0;
        while (i < sizeof keys / sizeof *keys && strcmp(keys[i].key, kv) != 0)
            i++;
        cr_assert_lt(i, sizeof keys / sizeof *keys, "test knows no key '%s'", kv);
        memcpy((char *)&t + keys[i].off, &v, sizeof v);
    }
    return t;
}

ParameterizedTestParameters(roads, osm_tags_give_class_direction_and_permissions)
{
    return cr_make_param_array(tag_case, TAG_CASES, sizeof TAG_CASES / sizeof *TAG_CASES);
}

/* The rules, one case at a time. */
ParameterizedTest(tag_case *c, roads, osm_tags_give_class_direction_and_permissions)
{
    char buf[sizeof c->tags];
    memcpy(buf, c->tags, sizeof buf);
    gm__osm_tags t = parse_tags(buf);
    uint8_t rclass;
    uint16_t flags, maxspeed;
    cr_assert(gm__osm_classify(&t, &rclass, &flags, &maxspeed), "%s: not a road", c->tags);
    cr_assert_eq(flags, c->flags, "%s: flags 0x%x, expected 0x%x", c->tags, flags, c->flags);
    cr_assert_eq(rclass, c->rclass, "%s: class %d", c->tags, rclass);
    if (c->maxspeed >= 0)
        cr_assert_eq(maxspeed, c->maxspeed, "%s: %d km/h", c->tags, maxspeed);
}

/* The same table through a real file: one two-node way per case, so that the
 * driver configuration (a column for every tag, "oneway:bicycle" unlaundered)
 * is checked too.  Way 1000 + i is case i. */
Test(roads, osm_tags_reach_the_rules_through_gdal, .init = setup, .fini = teardown)
{
    enum { N = sizeof TAG_CASES / sizeof *TAG_CASES };
    static osm_node nodes[2 * N];
    static char waytext[N][256];
    const char *ways[N];
    for (int i = 0; i < (int)N; i++) {
        nodes[2 * i] = (osm_node){2 * i + 1, 0, 2 * i};
        nodes[2 * i + 1] = (osm_node){2 * i + 2, 1, 2 * i};
        snprintf(waytext[i], sizeof waytext[i], "%d|%d,%d|%s", 1000 + i, 2 * i + 1, 2 * i + 2,
                 TAG_CASES[i].tags);
        ways[i] = waytext[i];
    }
    gm__roads *r = load_ok(write_osm("tags.osm", nodes, 2 * N, ways, N));
    cr_assert_eq(r->nlinks, N);
    for (size_t i = 0; i < N; i++) {
        const gm__road_link *l = link_of(r, 1000 + i, 0);
        const tag_case *c = &TAG_CASES[i];
        cr_assert_eq(l->flags, c->flags, "%s: flags 0x%x, expected 0x%x", c->tags, l->flags,
                     c->flags);
        cr_assert_eq(l->rclass, c->rclass, "%s: class %d", c->tags, l->rclass);
        if (c->maxspeed >= 0)
            cr_assert_eq(l->maxspeed_kmh, c->maxspeed, "%s: %d km/h", c->tags, l->maxspeed_kmh);
    }
    gm__roads_free(r);
}

Test(roads, ways_that_are_not_roads_are_skipped_and_counted, .init = setup, .fini = teardown)
{
    /* One road, then proposed, construction, an area, a platform, a corridor
     * and a river: only the road is kept.  The river has no highway tag, so
     * the reader never sees it (not counted at all). */
    static const osm_node n[] = {{1, 0, 0}, {2, 1, 0}, {3, 2, 0}, {4, 3, 0}};
    static const char *const w[] = {
        "50|1,2|highway=residential",
        "51|2,3|highway=proposed",
        "52|3,4|highway=construction",
        "53|1,3|highway=pedestrian;area=yes",
        "54|1,4|highway=platform",
        "55|2,4|highway=corridor",
        "56|1,2,3|waterway=river",
    };
    gm__roads *r = load_ok(write_osm("skip.osm", n, 4, w, 7));
    cr_assert_eq(r->nlinks, 1);
    cr_assert_eq(r->nnodes, 2);
    cr_assert_eq(r->stats.features_read, 6);
    cr_assert_eq(r->stats.features_used, 1);
    cr_assert_eq(r->stats.skipped_not_road, 5);
    gm__roads_free(r);
}

Test(roads, a_file_of_no_roads_is_an_input_error, .init = setup, .fini = teardown)
{
    static const osm_node n[] = {{1, 0, 0}, {2, 1, 0}};
    static const char *const w[] = {"60|1,2|highway=proposed"};
    gm__roads *r = NULL;
    cr_assert_eq(gm__roads_load(ctx, write_osm("none.osm", n, 2, w, 1), &r), GM_E_INPUT);
    cr_assert_null(r);
    cr_assert(strstr(gm_ctx_errmsg(ctx), "no usable roads") != NULL, "%s", gm_ctx_errmsg(ctx));
}

typedef struct speed_case {
    char text[32];
    int kmh;
} speed_case;

ParameterizedTestParameters(roads, maxspeed_values_parse_to_kmh)
{
    static speed_case cases[] = {
        {"30 mph", 48},       {"30mph", 48},       {"70 mph", 113},        {"50", 50},
        {"50 km/h", 50},      {"12.5", 13},        {"GB:nsl_single", 97},  {"UK:nsl_dual", 113},
        {"GB:motorway", 113}, {"national", 97},    {"GB:nsl_restricted", 48}, {"GB:zone20", 32},
        {"walk", 0},          {"none", 0},         {"signals", 0},         {"", 0},
        {"30 mph;40 mph", 48}, {"10 knots", 19},   {"fast", 0},            {"999", 0},
        {"40 furlongs", 0},   {"DE:urban", 0},
    };
    return cr_make_param_array(speed_case, cases, sizeof cases / sizeof *cases);
}

ParameterizedTest(speed_case *c, roads, maxspeed_values_parse_to_kmh)
{
    cr_assert_eq(gm__osm_maxspeed_kmh(c->text), c->kmh, "'%s' -> %d", c->text,
                 gm__osm_maxspeed_kmh(c->text));
}

/* ---- OGR fixtures: OS Open Roads and Geofabrik --------------------------- */

typedef struct fld {
    const char *name;
    const char *value; /* NULL: unset */
} fld;

static OGRLayerH make_layer(GDALDatasetH ds, const char *name, OGRwkbGeometryType type,
                            const char *const *fields, size_t nf)
{
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(srs, 27700);
    OGRLayerH l = GDALDatasetCreateLayer(ds, name, srs, type, NULL);
    OSRDestroySpatialReference(srs);
    cr_assert_not_null(l);
    for (size_t i = 0; i < nf; i++) {
        OGRFieldDefnH fd = OGR_Fld_Create(fields[i], OFTString);
        cr_assert_eq(OGR_L_CreateField(l, fd, TRUE), OGRERR_NONE);
        OGR_Fld_Destroy(fd);
    }
    return l;
}

/* Add a feature: a line through the n points xy (EPSG:27700), or a point. */
static void add_feature(OGRLayerH l, const double *xy, size_t n, const fld *f, size_t nf)
{
    OGRFeatureH feat = OGR_F_Create(OGR_L_GetLayerDefn(l));
    OGRGeometryH g = OGR_G_CreateGeometry(n == 1 ? wkbPoint : wkbLineString);
    for (size_t i = 0; i < n; i++)
        OGR_G_AddPoint_2D(g, xy[2 * i], xy[2 * i + 1]);
    OGR_F_SetGeometryDirectly(feat, g);
    for (size_t i = 0; i < nf; i++)
        if (f[i].value)
            OGR_F_SetFieldString(feat, OGR_F_GetFieldIndex(feat, f[i].name), f[i].value);
    cr_assert_eq(OGR_L_CreateFeature(l, feat), OGRERR_NONE);
    OGR_F_Destroy(feat);
}

static GDALDatasetH create_ds(const char *driver, const char *path)
{
    GDALAllRegister();
    GDALDriverH drv = GDALGetDriverByName(driver);
    cr_assert_not_null(drv);
    GDALDatasetH ds = GDALCreate(drv, path, 0, 0, 0, GDT_Unknown, NULL);
    cr_assert_not_null(ds, "cannot create %s", path);
    return ds;
}

static const char *const SNAKE[] = {"id",          "start_node", "end_node",       "road_classification",
                                    "road_function", "form_of_way", "road_structure", "trunk_road",
                                    "primary_route", "length",     "directionality", "name_1"};

/* A small OS Open Roads GeoPackage in the current schema, nodes A..F:
 *
 *      A(0,0) --L1--> B(300,0) --L2-- C(300,400) ~~L3~~ D(600,400)
 *                      |
 *                      L4 (bridge)  E(300,-200) --L5-- F(0,-200)
 *
 * L1: A road on the primary route network, inDirection (one way A->B)
 * L2: B road with a bend, inOppositeDirection (one way C->B)
 * L3: Motorway slip road, and its length field is wrong (999)
 * L4: Road On Bridge, roundabout; start vertex 5 mm off node B (within tolerance)
 * L5: Not Classified / Restricted Local Access Road (a service road); its end
 *     vertex is 0.5 m off node F (moved and counted)
 * L6: Guided Busway (skipped), L7: a link with no geometry (bad geometry).
 */
static const char *write_os_snake(const char *name)
{
    const char *path = path_in(name);
    GDALDatasetH ds = create_ds("GPKG", path);
    OGRLayerH nodes = make_layer(ds, "road_node", wkbPoint, (const char *const[]){"id", "form_of_road_node"}, 2);
    static const struct {
        const char *id;
        double x, y;
    } pts[] = {{"A", 0, 0}, {"B", 300, 0}, {"C", 300, 400}, {"D", 600, 400}, {"E", 300, -200}, {"F", 0, -200}};
    for (size_t i = 0; i < 6; i++) {
        double xy[2] = {pts[i].x, pts[i].y};
        fld f[] = {{"id", pts[i].id}, {"form_of_road_node", "junction"}};
        add_feature(nodes, xy, 1, f, 2);
    }
    OGRLayerH links = make_layer(ds, "road_link", wkbLineString, SNAKE, 12);
    {
        double xy[] = {0, 0, 300, 0};
        fld f[] = {{"id", "L1"}, {"start_node", "A"}, {"end_node", "B"}, {"road_classification", "A Road"},
                   {"road_function", "A Road"}, {"form_of_way", "Single Carriageway"},
                   {"trunk_road", "false"}, {"primary_route", "true"}, {"length", "300"},
                   {"directionality", "inDirection"}};
        add_feature(links, xy, 2, f, 10);
    }
    {
        double xy[] = {300, 0, 350, 200, 300, 400};
        fld f[] = {{"id", "L2"}, {"start_node", "B"}, {"end_node", "C"}, {"road_classification", "B Road"},
                   {"road_function", "B Road"}, {"form_of_way", "Single Carriageway"},
                   {"length", "412"}, {"directionality", "inOppositeDirection"}};
        add_feature(links, xy, 3, f, 8);
    }
    {
        double xy[] = {300, 400, 600, 400};
        fld f[] = {{"id", "L3"}, {"start_node", "C"}, {"end_node", "D"}, {"road_classification", "Motorway"},
                   {"road_function", "Motorway"}, {"form_of_way", "Slip Road"}, {"length", "999"},
                   {"directionality", "bothDirections"}};
        add_feature(links, xy, 2, f, 8);
    }
    {
        double xy[] = {300.005, 0, 300, -200};
        fld f[] = {{"id", "L4"}, {"start_node", "B"}, {"end_node", "E"}, {"road_classification", "Unclassified"},
                   {"road_function", "Local Road"}, {"form_of_way", "Roundabout"},
                   {"road_structure", "Road On Bridge"}, {"length", "200"}};
        add_feature(links, xy, 2, f, 8);
    }
    {
        double xy[] = {300, -200, 0.5, -200};
        fld f[] = {{"id", "L5"}, {"start_node", "E"}, {"end_node", "F"}, {"road_classification", "Not Classified"},
                   {"road_function", "Restricted Local Access Road"}, {"form_of_way", "Single Carriageway"},
                   {"length", "300"}};
        add_feature(links, xy, 2, f, 7);
    }
    {
        double xy[] = {0, 0, 0, -200};
        fld f[] = {{"id", "L6"}, {"start_node", "A"}, {"end_node", "F"}, {"road_classification", "Unclassified"},
                   {"form_of_way", "Guided Busway"}};
        add_feature(links, xy, 2, f, 5);
    }
    {
        OGRFeatureH feat = OGR_F_Create(OGR_L_GetLayerDefn(links));
        OGR_F_SetFieldString(feat, OGR_F_GetFieldIndex(feat, "id"), "L7");
        OGR_F_SetFieldString(feat, OGR_F_GetFieldIndex(feat, "start_node"), "A");
        OGR_F_SetFieldString(feat, OGR_F_GetFieldIndex(feat, "end_node"), "D");
        OGR_F_SetFieldString(feat, OGR_F_GetFieldIndex(feat, "road_classification"), "Unclassified");
        cr_assert_eq(OGR_L_CreateFeature(links, feat), OGRERR_NONE);
        OGR_F_Destroy(feat);
    }
    GDALClose(ds);
    return path;
}

static const gm__road_link *nth_link(const gm__roads *r, size_t i)
{
    cr_assert_lt(i, r->nlinks);
    return &r->links[i];
}

Test(roads, os_open_roads_topology_comes_from_the_node_ids, .init = setup, .fini = teardown)
{
    gm__roads *r = load_ok(write_os_snake("osor.gpkg"));
    cr_assert_str_eq(r->source, "os_open_roads");
    cr_assert_eq(r->stats.features_read, 7);
    cr_assert_eq(r->stats.features_used, 5);
    cr_assert_eq(r->stats.skipped_not_road, 1);
    cr_assert_eq(r->stats.skipped_bad_geometry, 1);
    cr_assert_eq(r->nlinks, 5);
    /* Nodes in order of first use: A B C D E F (L6, skipped, adds none). */
    cr_assert_eq(r->nnodes, 6);
    static const int from[] = {0, 1, 2, 1, 4}, to[] = {1, 2, 3, 4, 5};
    for (size_t i = 0; i < 5; i++) {
        cr_assert_eq(nth_link(r, i)->from, from[i], "link %zu", i);
        cr_assert_eq(nth_link(r, i)->to, to[i], "link %zu", i);
    }
    /* Node points come from road_node. */
    cr_assert(r->node_x[1] == 300.0 && r->node_y[1] == 0.0);
    cr_assert(r->node_x[5] == 0.0 && r->node_y[5] == -200.0);
    /* L4's 5 mm offset is within tolerance; L5's 0.5 m is moved and counted. */
    cr_assert_eq(r->stats.ends_moved, 1);
    /* L3's length field says 999 m, the geometry 300 m. */
    cr_assert_eq(r->stats.length_mismatches, 1);
    cr_assert_float_eq(nth_link(r, 2)->length_m, 300.0, 1e-4);
    cr_assert_float_eq(nth_link(r, 1)->length_m, 2 * hypot(50, 200), 1e-3);
    cr_assert_float_eq(nth_link(r, 4)->length_m, 300.0, 1e-4); /* end moved onto F */
    gm__roads_free(r);
}

Test(roads, os_open_roads_attributes_give_class_and_flags, .init = setup, .fini = teardown)
{
    gm__roads *r = load_ok(write_os_snake("osor2.gpkg"));
    const gm__road_link *l1 = nth_link(r, 0), *l2 = nth_link(r, 1), *l3 = nth_link(r, 2),
                        *l4 = nth_link(r, 3), *l5 = nth_link(r, 4);
    cr_assert_eq(l1->rclass, GM__RC_TRUNK);       /* A road on the primary route network */
    cr_assert_eq(l1->flags, GM__RF_CAR_FWD | GM__RF_CYCLE_FWD | GM__RF_WALK);
    cr_assert_eq(l2->rclass, GM__RC_SECONDARY);
    cr_assert_eq(l2->flags, GM__RF_CAR_BWD | GM__RF_CYCLE_BWD | GM__RF_WALK);
    cr_assert_eq(l3->rclass, GM__RC_MOTORWAY);    /* motorway slip road: cars only */
    cr_assert_eq(l3->flags, CAR2);
    cr_assert_eq(l4->rclass, GM__RC_UNCLASSIFIED);
    cr_assert_eq(l4->flags, ALL | GM__RF_ROUNDABOUT | GM__RF_BRIDGE);
    cr_assert_eq(l5->rclass, GM__RC_SERVICE);
    cr_assert_eq(l5->flags, ALL);
    gm__roads_free(r);
}

/* The older camelCase schema (OS Open Roads before 2023, e.g. SK_RoadLink.shp),
 * here as a shapefile without its RoadNode file: node points then come from
 * the link ends.  Two links meet at node "n2"; the third has a 2 cm gap. */
Test(roads, os_open_roads_camel_case_shapefiles_without_nodes, .init = setup, .fini = teardown)
{
    const char *dir = path_in("camel");
    GDALDatasetH ds = create_ds("ESRI Shapefile", dir);
    static const char *const camel[] = {"identifier", "startNode", "endNode", "class",
                                        "function",   "formOfWay", "length",  "trunkRoad"};
    OGRLayerH l = make_layer(ds, "SK_RoadLink", wkbLineString, camel, 8);
    {
        double xy[] = {1000, 1000, 1100, 1000};
        fld f[] = {{"identifier", "a"}, {"startNode", "n1"}, {"endNode", "n2"}, {"class", "A Road"},
                   {"function", "A Road"}, {"formOfWay", "Dual Carriageway"}, {"length", "100"},
                   {"trunkRoad", "true"}};
        add_feature(l, xy, 2, f, 8);
    }
    {
        double xy[] = {1100, 1000, 1100, 1250};
        fld f[] = {{"identifier", "b"}, {"startNode", "n2"}, {"endNode", "n3"}, {"class", "Classified Unnumbered"},
                   {"function", "Minor Road"}, {"formOfWay", "Roundabout"}, {"length", "250"}};
        add_feature(l, xy, 2, f, 7);
    }
    {
        double xy[] = {1100.02, 1000, 1300, 1000};
        fld f[] = {{"identifier", "c"}, {"startNode", "n2"}, {"endNode", "n4"}, {"class", "Not Classified"},
                   {"function", "Local Access Road"}, {"formOfWay", "Single Carriageway"}, {"length", "200"}};
        add_feature(l, xy, 2, f, 7);
    }
    GDALClose(ds);

    gm__roads *r = load_ok(dir);
    cr_assert_str_eq(r->source, "os_open_roads");
    cr_assert_eq(r->nlinks, 3);
    cr_assert_eq(r->nnodes, 4);
    cr_assert_eq(r->links[0].rclass, GM__RC_TRUNK);
    cr_assert_eq(r->links[1].rclass, GM__RC_TERTIARY);
    cr_assert(r->links[1].flags & GM__RF_ROUNDABOUT);
    cr_assert_eq(r->links[2].rclass, GM__RC_RESIDENTIAL);
    cr_assert_eq(r->links[0].to, r->links[2].from);
    cr_assert_eq(r->stats.ends_moved, 1);
    cr_assert_eq(r->stats.length_mismatches, 0);
    gm__roads_free(r);
}

/* Geofabrik's flattened tags: fclass, oneway F/T/B, maxspeed in km/h, bridge
 * and tunnel T/F; lon/lat (EPSG:4326).  Three lines share a vertex. */
Test(roads, geofabrik_shapefile_fields_map_like_osm_tags, .init = setup, .fini = teardown)
{
    const char *dir = path_in("gf");
    GDALDatasetH ds = create_ds("ESRI Shapefile", dir);
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(srs, 4326);
    OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER);
    OGRLayerH l = GDALDatasetCreateLayer(ds, "gis_osm_roads_free_1", srs, wkbLineString, NULL);
    OSRDestroySpatialReference(srs);
    static const char *const names[] = {"osm_id", "fclass", "oneway", "maxspeed", "bridge", "tunnel"};
    for (size_t i = 0; i < 6; i++) {
        OGRFieldDefnH fd = OGR_Fld_Create(names[i], i == 3 ? OFTInteger : OFTString);
        OGR_L_CreateField(l, fd, TRUE);
        OGR_Fld_Destroy(fd);
    }
    static const struct {
        const char *id, *fclass, *oneway, *maxspeed, *bridge, *tunnel;
        double x0, y0, x1, y1;
    } rows[] = {
        {"101", "primary", "F", "48", "F", "F", -0.72, 52.65, -0.71, 52.65},
        {"102", "track_grade2", "B", "0", "T", "F", -0.71, 52.65, -0.71, 52.66},
        {"103", "footway", "T", "0", "F", "T", -0.71, 52.65, -0.70, 52.64},
        {"104", "motorway", "B", "112", "F", "F", -0.70, 52.64, -0.69, 52.64},
        {"105", "unknown", "B", "0", "F", "F", -0.69, 52.64, -0.68, 52.64},
        {"106", "bus_stop", "B", "0", "F", "F", -0.69, 52.64, -0.68, 52.63},
    };
    for (size_t i = 0; i < 6; i++) {
        double xy[] = {rows[i].x0, rows[i].y0, rows[i].x1, rows[i].y1};
        fld f[] = {{"osm_id", rows[i].id}, {"fclass", rows[i].fclass}, {"oneway", rows[i].oneway},
                   {"maxspeed", rows[i].maxspeed}, {"bridge", rows[i].bridge},
                   {"tunnel", rows[i].tunnel}};
        add_feature(l, xy, 2, f, 6);
    }
    GDALClose(ds);

    gm__roads *r = load_ok(dir);
    cr_assert_str_eq(r->source, "geofabrik_shp");
    cr_assert_eq(r->stats.features_read, 6);
    cr_assert_eq(r->stats.skipped_not_road, 1);
    cr_assert_eq(r->nlinks, 5);
    cr_assert_eq(r->nnodes, 6);
    cr_assert_eq(r->links[0].flags, GM__RF_CAR_FWD | GM__RF_WALK | GM__RF_CYCLE_FWD);
    cr_assert_eq(r->links[0].maxspeed_kmh, 48);
    cr_assert_eq(r->links[0].source_id, 101);
    cr_assert_eq(r->links[1].rclass, GM__RC_TRACK);
    cr_assert_eq(r->links[1].flags, ALL | GM__RF_BRIDGE);
    cr_assert_eq(r->links[2].flags, GM__RF_WALK | GM__RF_TUNNEL); /* one way binds no walker */
    cr_assert_eq(r->links[3].flags, GM__RF_CAR_FWD);              /* B on a motorway: implied */
    cr_assert_eq(r->links[3].maxspeed_kmh, 112);
    cr_assert_eq(r->links[4].rclass, GM__RC_UNCLASSIFIED);
    /* Links 0, 1 and 2 meet at one node. */
    cr_assert_eq(r->links[0].to, r->links[1].from);
    cr_assert_eq(r->links[0].to, r->links[2].from);
    /* Everything is in British National Grid: Oakham is near (486000, 308000). */
    cr_assert(fabs(r->node_x[0] - 486000) < 10000 && fabs(r->node_y[0] - 308000) < 10000,
              "(%f, %f)", r->node_x[0], r->node_y[0]);
    gm__roads_free(r);
}

/* ---- errors ---------------------------------------------------------------- */

Test(roads, a_missing_file_is_not_found, .init = setup, .fini = teardown)
{
    gm__roads *r = NULL;
    cr_assert_eq(gm__roads_load(ctx, "/nonexistent/roads.osm.pbf", &r), GM_E_NOT_FOUND);
    cr_assert_null(r);
    cr_assert(strstr(gm_ctx_errmsg(ctx), "/nonexistent/roads.osm.pbf") != NULL);
}

Test(roads, a_geopackage_without_road_layers_lists_the_layers_it_has, .init = setup,
     .fini = teardown)
{
    const char *path = path_in("other.gpkg");
    GDALDatasetH ds = create_ds("GPKG", path);
    OGRLayerH l = make_layer(ds, "schools", wkbPoint, (const char *const[]){"name"}, 1);
    double xy[] = {1, 2};
    fld f[] = {{"name", "Oakham C of E"}};
    add_feature(l, xy, 1, f, 1);
    make_layer(ds, "rivers", wkbLineString, (const char *const[]){"name"}, 1);
    GDALClose(ds);
    gm__roads *r = NULL;
    cr_assert_eq(gm__roads_load(ctx, path, &r), GM_E_INPUT);
    cr_assert_null(r);
    const char *m = gm_ctx_errmsg(ctx);
    cr_assert(strstr(m, "no road layer") && strstr(m, "schools") && strstr(m, "rivers"), "%s", m);
}

Test(roads, a_file_gdal_cannot_read_is_an_input_error, .init = setup, .fini = teardown)
{
    gm__roads *r = NULL;
    cr_assert_eq(gm__roads_load(ctx, gmt_write(dirpath, "junk.osm.pbf", "not a pbf"), &r),
                 GM_E_INPUT);
    cr_assert_null(r);
    cr_assert_eq(gm__roads_load(ctx, gmt_write(dirpath, "junk.gpkg", "not a gpkg"), &r),
                 GM_E_INPUT);
    cr_assert_null(r);
}

static int cancel_at_once(uint64_t done, uint64_t total, const char *label, void *user)
{
    (void)done;
    (void)total;
    (*(int *)user)++;
    return strcmp(label, "Reading roads") == 0;
}

Test(roads, progress_is_reported_and_can_cancel, .init = setup, .fini = teardown)
{
    static const osm_node n[] = {{1, 0, 0}, {2, 1, 0}};
    static const char *const w[] = {"70|1,2|highway=residential"};
    const char *path = write_osm("cancel.osm", n, 2, w, 1);
    int calls = 0;
    gm_ctx_set_progress(ctx, cancel_at_once, &calls);
    gm__roads *r = NULL;
    cr_assert_eq(gm__roads_load(ctx, path, &r), GM_E_CANCELLED);
    cr_assert_null(r);
    cr_assert_eq(calls, 1);
}

/* H3's memory test: fail each allocation in turn; every failure must come back
 * as GM_E_NOMEM with nothing leaked (the ASan build checks the leaks). */
static void every_allocation_failure_is_clean(const char *path)
{
    for (long n = 0;; n++) {
        gm__roads *r = NULL;
        gm__alloc_fail_after(n);
        gm_status st = gm__roads_load(ctx, path, &r);
        gm__alloc_fail_after(-1);
        if (st == GM_OK) {
            check_invariants(r);
            gm__roads_free(r);
            cr_assert_gt(n, 5);
            break;
        }
        cr_assert_eq(st, GM_E_NOMEM, "allocation %ld: %s (%s)", n, gm_status_name(st),
                     gm_ctx_errmsg(ctx));
        cr_assert_null(r);
    }
}

Test(roads, every_allocation_failure_is_clean_reading_osm, .init = setup, .fini = teardown)
{
    static const osm_node n[] = {{1, 0, 0}, {2, 1, 0}, {3, 2, 0}, {4, 1, 1}};
    static const char *const w[] = {"80|1,2,3|highway=residential", "81|2,4|highway=footway"};
    every_allocation_failure_is_clean(write_osm("nomem.osm", n, 4, w, 2));
}

Test(roads, every_allocation_failure_is_clean_reading_os_open_roads, .init = setup,
     .fini = teardown)
{
    every_allocation_failure_is_clean(write_os_snake("nomem.gpkg"));
}
