/*
 * OpenStreetMap roads: .osm.pbf (and .osm XML) through GDAL's OSM driver, and
 * Geofabrik's "free" shapefiles (gis_osm_roads_free_1), which are the same
 * ways with a few tags flattened into fclass/oneway/maxspeed/bridge/tunnel.
 *
 * Neither source gives node ids through OGR, so ways are split where they
 * share a vertex, identified by identical coordinates (roads.c,
 * gm__rways_build): shared OSM nodes give bit-identical lon/lat in both.  Two
 * distinct OSM nodes at exactly the same position are merged into one junction;
 * mappers place such pairs only by mistake, and a junction there is harmless.
 *
 * GDAL's OSM driver is driven by an osmconf.ini that makes every tag the rules
 * read into a column of the `lines` layer; it is written to /vsimem/ for the
 * length of one load and passed as the CONFIG_FILE open option, so nothing is
 * written to disk and no process-wide config option is touched.  Only the
 * lines layer is built (SET interest_layers), read in file order with
 * GDALDatasetGetNextFeature (the driver's fast path, RFC 66), and filtered to
 * highway=* and route=ferry before its geometry is assembled.  A line's FID is
 * its way id, so no osm_id column is formatted and parsed back.  The data set
 * is closed as soon as the ways are read: its node index and SQLite cache are
 * freed before the split allocates.
 *
 * The tag rules (gm__osm_classify) are the UK's defaults from the OSM wiki; the
 * pages are cited where each rule is applied and in docs/travel.md.
 */
#include "roads_impl.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_vsi.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- tag rules ---------------------------------------------------------- */

static bool is_val(const char *v, const char *w)
{
    return v && gm__roads_streq_ci(v, w);
}

/* Key:oneway (https://wiki.openstreetmap.org/wiki/Key:oneway): yes/true/1 is
 * one way along the way's direction, -1/reverse against it, no/false/0 both.
 * Returns 1, -1, 0, or 2 when the tag is absent (implied rules then apply);
 * other values (reversible, alternating: the direction changes by time of day)
 * count as both directions. */
static int oneway_dir(const char *v)
{
    if (!v || !*v)
        return 2;
    if (is_val(v, "yes") || is_val(v, "true") || is_val(v, "1"))
        return 1;
    if (is_val(v, "-1") || is_val(v, "reverse"))
        return -1;
    return 0;
}

/* An access value (https://wiki.openstreetmap.org/wiki/Key:access): 1 allowed,
 * 0 not allowed, -1 not a value we know (the next, less specific key decides).
 * destination/customers/delivery are allowed: a journey to a day centre is the
 * kind of trip those signs let through. */
static int access_value(const char *v)
{
    static const char *const yes[] = {"yes", "designated", "permissive", "destination",
                                      "customers", "delivery", "official", "discouraged"};
    static const char *const no[] = {"no",        "private", "agricultural", "forestry",
                                     "use_sidepath", "permit", "military", "emergency"};
    if (!v || !*v)
        return -1;
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
        if (is_val(v, yes[i]))
            return 1;
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        if (is_val(v, no[i]))
            return 0;
    return -1;
}

/* The most specific access key that is set with a known value decides; else
 * the class default.  Keys are given most specific first (Key:access,
 * "transport mode hierarchy"). */
static bool decide_access(bool dflt, const char *a, const char *b, const char *c, const char *d)
{
    const char *keys[4] = {a, b, c, d};
    for (size_t i = 0; i < 4; i++) {
        int v = access_value(keys[i]);
        if (v >= 0)
            return v == 1;
    }
    return dflt;
}

/* highway=* values that are part of the network, with the class and the UK's
 * default access for cars, walkers and cyclists:
 *  - https://wiki.openstreetmap.org/wiki/OSM_tags_for_routing/Access_restrictions
 *    (#United_Kingdom): motorways no foot/bicycle; trunk and below open to all;
 *  - https://wiki.openstreetmap.org/wiki/Classic_vs_Alternative_tagging_schemes_in_use_in_the_United_Kingdom:
 *    footway foot only (bicycle no), bridleway foot+bicycle, cycleway foot+bicycle;
 *  - pedestrian and steps: foot only; path: foot and bicycle (worldwide table);
 *  - track: legally open to all by default; whether cars should use tracks is
 *    the car profile's choice (its speed for GM__RC_TRACK), not a permission;
 *  - road (https://wiki.openstreetmap.org/wiki/Tag:highway=road, "unknown
 *    classification") is treated as unclassified.
 * Everything else (proposed, construction, abandoned, disused, platform,
 * raceway, bus_guideway, busway, corridor (indoors), rest_area, services,
 * elevator, ...) is not a road for us. */
static const struct hw_rule {
    const char *value;
    uint8_t rclass;
    bool car, walk, cycle;
} HIGHWAYS[] = {
    {"motorway", GM__RC_MOTORWAY, true, false, false},
    {"motorway_link", GM__RC_MOTORWAY, true, false, false},
    {"trunk", GM__RC_TRUNK, true, true, true},
    {"trunk_link", GM__RC_TRUNK, true, true, true},
    {"primary", GM__RC_PRIMARY, true, true, true},
    {"primary_link", GM__RC_PRIMARY, true, true, true},
    {"secondary", GM__RC_SECONDARY, true, true, true},
    {"secondary_link", GM__RC_SECONDARY, true, true, true},
    {"tertiary", GM__RC_TERTIARY, true, true, true},
    {"tertiary_link", GM__RC_TERTIARY, true, true, true},
    {"unclassified", GM__RC_UNCLASSIFIED, true, true, true},
    {"road", GM__RC_UNCLASSIFIED, true, true, true},
    {"residential", GM__RC_RESIDENTIAL, true, true, true},
    {"living_street", GM__RC_RESIDENTIAL, true, true, true},
    {"service", GM__RC_SERVICE, true, true, true},
    {"track", GM__RC_TRACK, true, true, true},
    {"footway", GM__RC_PATH, false, true, false},
    {"pedestrian", GM__RC_PATH, false, true, false},
    {"steps", GM__RC_PATH, false, true, false},
    {"path", GM__RC_PATH, false, true, true},
    {"bridleway", GM__RC_PATH, false, true, true},
    {"cycleway", GM__RC_PATH, false, true, true},
};

static uint16_t dir_flags(int dir, uint16_t fwd, uint16_t bwd)
{
    return (uint16_t)(dir > 0 ? fwd : dir < 0 ? bwd : (fwd | bwd));
}

bool gm__osm_classify(const gm__osm_tags *t, uint8_t *rclass, uint16_t *flags,
                      uint16_t *maxspeed_kmh)
{
    uint16_t f = 0;

    /* Ferries (https://wiki.openstreetmap.org/wiki/Tag:route=ferry): foot
     * passengers unless foot=no; cars only where motor_vehicle/motorcar say
     * so; bicycles where bicycle says so.  The class is nominal (the graph
     * times ferries by GM__RF_FERRY), unclassified so that no mode's class
     * table rules the link out. */
    if (is_val(t->route, "ferry")) {
        f = GM__RF_FERRY;
        if (decide_access(true, t->foot, t->access, NULL, NULL))
            f |= GM__RF_WALK;
        if (decide_access(false, t->motorcar, t->motor_vehicle, NULL, NULL))
            f |= GM__RF_CAR_FWD | GM__RF_CAR_BWD;
        if (decide_access(false, t->bicycle, NULL, NULL, NULL))
            f |= GM__RF_CYCLE_FWD | GM__RF_CYCLE_BWD;
        *rclass = GM__RC_UNCLASSIFIED;
        *flags = f;
        *maxspeed_kmh = 0;
        return true;
    }

    if (!t->highway)
        return false;
    /* area=yes on a highway is a square or a car park surface, not a way
     * (https://wiki.openstreetmap.org/wiki/Key:area). */
    if (is_val(t->area, "yes"))
        return false;
    const struct hw_rule *rule = NULL;
    for (size_t i = 0; i < sizeof HIGHWAYS / sizeof *HIGHWAYS; i++)
        if (is_val(t->highway, HIGHWAYS[i].value)) {
            rule = &HIGHWAYS[i];
            break;
        }
    if (!rule)
        return false;

    bool walk_dflt = rule->walk, cycle_dflt = rule->cycle;
    /* motorroad=yes: motorway rules on an ordinary road
     * (https://wiki.openstreetmap.org/wiki/Key:motorroad). */
    if (is_val(t->motorroad, "yes"))
        walk_dflt = cycle_dflt = false;

    /* Key:access's hierarchy: motorcar < motor_vehicle < vehicle < access for
     * cars, bicycle < vehicle < access, foot < access. */
    bool car = decide_access(rule->car, t->motorcar, t->motor_vehicle, t->vehicle, t->access);
    bool cycle = decide_access(cycle_dflt, t->bicycle, t->vehicle, t->access, NULL);
    bool walk = decide_access(walk_dflt, t->foot, t->access, NULL, NULL);

    /* Direction.  Without an oneway tag, junction=roundabout
     * (https://wiki.openstreetmap.org/wiki/Tag:junction=roundabout) and
     * junction=circular imply one way along the way, as does highway=motorway
     * (Key:oneway); motorway_link does not (Tag:highway=motorway_link asks for
     * an explicit oneway=yes). */
    bool roundabout = is_val(t->junction, "roundabout");
    int dir = oneway_dir(t->oneway);
    if (dir == 2)
        dir = (roundabout || is_val(t->junction, "circular") || is_val(t->highway, "motorway"))
                  ? 1
                  : 0;
    /* Cyclists follow the one-way rule unless oneway:bicycle says otherwise
     * (https://wiki.openstreetmap.org/wiki/Key:oneway:bicycle) or a contraflow
     * lane is mapped the older way, cycleway=opposite*
     * (https://wiki.openstreetmap.org/wiki/Key:cycleway). */
    int cdir = dir;
    int bdir = oneway_dir(t->oneway_bicycle);
    if (bdir != 2)
        cdir = bdir;
    else if (t->cycleway && strncmp(t->cycleway, "opposite", 8) == 0)
        cdir = 0;

    if (car)
        f |= dir_flags(dir, GM__RF_CAR_FWD, GM__RF_CAR_BWD);
    if (walk)
        f |= GM__RF_WALK;
    if (cycle)
        f |= dir_flags(cdir, GM__RF_CYCLE_FWD, GM__RF_CYCLE_BWD);
    if (roundabout)
        f |= GM__RF_ROUNDABOUT;
    /* bridge=yes/viaduct/..., tunnel=yes/building_passage/culvert/...: any
     * value but no (Key:bridge, Key:tunnel). */
    if (t->bridge && *t->bridge && !is_val(t->bridge, "no"))
        f |= GM__RF_BRIDGE;
    if (t->tunnel && *t->tunnel && !is_val(t->tunnel, "no"))
        f |= GM__RF_TUNNEL;

    *rclass = rule->rclass;
    *flags = f;
    *maxspeed_kmh = gm__osm_maxspeed_kmh(t->maxspeed);
    return true;
}

/* 1 mph = 1.609344 km/h exactly (international yard and pound, 1959). */
#define KMH_PER_MPH 1.609344
/* 1 knot = 1.852 km/h exactly (international nautical mile). */
#define KMH_PER_KNOT 1.852

/* Does s start with the word w (followed by the end, a space or ';')? */
static bool starts_word_ci(const char *s, const char *w)
{
    size_t n = strlen(w);
    for (size_t i = 0; i < n; i++) {
        int a = s[i], b = w[i];
        if (a >= 'A' && a <= 'Z')
            a += 'a' - 'A';
        if (b >= 'A' && b <= 'Z')
            b += 'a' - 'A';
        if (a != b)
            return false;
    }
    return s[n] == '\0' || s[n] == ' ' || s[n] == ';';
}

uint16_t gm__osm_maxspeed_kmh(const char *v)
{
    /* Key:maxspeed (https://wiki.openstreetmap.org/wiki/Key:maxspeed): a plain
     * number is km/h; "30 mph" is miles per hour; "knots" on waterways.  The
     * UK's implicit limits (https://wiki.openstreetmap.org/wiki/Speed_limits#United_Kingdom,
     * Highway Code rule 124): national speed limit 60 mph on single
     * carriageways, 70 mph on dual carriageways and motorways, 30 mph in a
     * restricted (street-lit) zone.  maxspeed=national is the older tagging of
     * the single-carriageway limit.  walk, none, signals: no number to use. */
    static const struct {
        const char *name;
        double mph;
    } named[] = {
        {"GB:nsl_single", 60}, {"UK:nsl_single", 60}, {"national", 60},
        {"GB:nsl_dual", 70},   {"UK:nsl_dual", 70},   {"GB:motorway", 70},
        {"UK:motorway", 70},   {"GB:nsl_restricted", 30}, {"UK:nsl_restricted", 30},
    };
    if (!v)
        return 0;
    while (*v == ' ')
        v++;
    for (size_t i = 0; i < sizeof named / sizeof *named; i++)
        if (starts_word_ci(v, named[i].name))
            return (uint16_t)(named[i].mph * KMH_PER_MPH + 0.5);

    double factor = 1.0;
    if ((strncmp(v, "GB:zone", 7) == 0 || strncmp(v, "UK:zone", 7) == 0)) {
        v += 7; /* GB:zone20: a 20 mph zone */
        factor = KMH_PER_MPH;
    }
    if (*v < '0' || *v > '9')
        return 0;
    double num = 0.0;
    while (*v >= '0' && *v <= '9')
        num = num * 10.0 + (*v++ - '0');
    if (*v == '.') {
        double scale = 0.1;
        for (v++; *v >= '0' && *v <= '9'; v++, scale /= 10.0)
            num += (*v - '0') * scale;
    }
    while (*v == ' ')
        v++;
    if (factor == 1.0) {
        if (starts_word_ci(v, "mph"))
            factor = KMH_PER_MPH;
        else if (starts_word_ci(v, "knots"))
            factor = KMH_PER_KNOT;
        else if (!(*v == '\0' || *v == ';' || starts_word_ci(v, "km/h") ||
                   starts_word_ci(v, "kmh") || starts_word_ci(v, "kph")))
            return 0;
    }
    double kmh = num * factor;
    if (!(kmh >= 1.0 && kmh <= 300.0)) /* 0 is "unknown"; beyond 300 is a typing error */
        return 0;
    return (uint16_t)(kmh + 0.5);
}

/* ---- shared reading helpers --------------------------------------------- */

/* Scratch arrays for one geometry's vertices. */
typedef struct vbuf {
    double *x, *y;
    size_t cap;
} vbuf;

static void vbuf_free(vbuf *b)
{
    gm__free(b->x);
    gm__free(b->y);
}

/* The vertices of a line geometry (a MultiLineString of one part counts too);
 * false with *n = 0 for anything else.  Returns false on allocation failure
 * with *nomem set. */
static bool line_vertices(OGRGeometryH g, vbuf *b, size_t *n, bool *nomem)
{
    *n = 0;
    *nomem = false;
    if (!g)
        return false;
    OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(g));
    if (t == wkbMultiLineString && OGR_G_GetGeometryCount(g) == 1) {
        g = OGR_G_GetGeometryRef(g, 0);
        t = wkbFlatten(OGR_G_GetGeometryType(g));
    }
    if (t != wkbLineString)
        return false;
    int np = OGR_G_GetPointCount(g);
    if (np < 2)
        return false;
    size_t need = (size_t)np;
    if (need > b->cap) {
        double *x = gm__realloc(b->x, need * sizeof *x);
        if (x)
            b->x = x;
        double *y = x ? gm__realloc(b->y, need * sizeof *y) : NULL;
        if (y)
            b->y = y;
        if (!x || !y) {
            *nomem = true;
            return false;
        }
        b->cap = need;
    }
    OGR_G_GetPoints(g, b->x, (int)sizeof(double), b->y, (int)sizeof(double), NULL, 0);
    *n = need;
    return true;
}

static const char *field_str(OGRFeatureH f, int idx)
{
    if (idx < 0 || !OGR_F_IsFieldSetAndNotNull(f, idx))
        return NULL;
    const char *s = OGR_F_GetFieldAsString(f, idx);
    return (s && *s) ? s : NULL;
}

static uint64_t parse_u64(const char *s)
{
    uint64_t v = 0;
    if (!s)
        return 0;
    while (*s >= '0' && *s <= '9')
        v = v * 10 + (uint64_t)(*s++ - '0');
    return v;
}

/* Classify one way and queue it for splitting; updates the counters. */
static gm_status add_way(gm_ctx *ctx, gm__roads *r, gm__rways *w, const gm__osm_tags *tags,
                         int maxspeed_override, OGRGeometryH g, vbuf *vb, uint64_t source_id)
{
    uint8_t rclass;
    uint16_t flags, maxspeed;
    r->stats.features_read++;
    if (!gm__osm_classify(tags, &rclass, &flags, &maxspeed)) {
        r->stats.skipped_not_road++;
        return GM_OK;
    }
    if (maxspeed_override >= 0)
        maxspeed = (uint16_t)maxspeed_override;
    size_t n;
    bool nomem;
    if (!line_vertices(g, vb, &n, &nomem)) {
        if (nomem)
            return gm__err(ctx, GM_E_NOMEM, "out of memory reading road geometry");
        r->stats.skipped_bad_geometry++;
        return GM_OK;
    }
    bool added;
    gm_status st = gm__rways_add(ctx, w, vb->x, vb->y, n, rclass, flags, maxspeed, source_id,
                                 &added);
    if (st != GM_OK)
        return st;
    if (added)
        r->stats.features_used++;
    else
        r->stats.skipped_bad_geometry++;
    return GM_OK;
}

static gm_status build_from_ways(gm_ctx *ctx, const char *path, const char *src_crs,
                                 const gm__rways *w, gm__roads *r, uint64_t progress_base)
{
    gm__xform *xf = NULL;
    gm_status st = gm__xform_new(ctx, src_crs, r->crs, &xf);
    if (st != GM_OK)
        return st;
    gm__roads_build b = {.ctx = ctx, .r = r};
    st = gm__rways_build(&b, w, xf, path, progress_base);
    gm__xform_free(xf);
    return st;
}

/* ---- OSM through GDAL's OSM driver -------------------------------------- */

/* The driver configuration: the lines layer gets a column per tag the rules
 * read (attribute_name_laundering=no keeps "oneway:bicycle" as is) and no
 * osm_id (the FID is the way id); other layers are never built.
 * closed_ways_are_polygons is GDAL's default list: a closed way is a line
 * unless it is tagged as an area.  */
static const char OSMCONF[] =
    "closed_ways_are_polygons=aeroway,amenity,boundary,building,craft,geological,historic,"
    "landuse,leisure,military,natural,office,place,shop,sport,tourism,highway=platform,"
    "public_transport=platform\n"
    "attribute_name_laundering=no\n"
    "[points]\nosm_id=no\nattributes=highway\nother_tags=no\n"
    "[lines]\nosm_id=no\n"
    "attributes=highway,oneway,oneway:bicycle,junction,maxspeed,access,vehicle,motor_vehicle,"
    "motorcar,foot,bicycle,bridge,tunnel,route,area,motorroad,cycleway\n"
    "other_tags=no\n"
    "[multipolygons]\nosm_id=no\nattributes=type\nother_tags=no\n"
    "[multilinestrings]\nosm_id=no\nattributes=type\nother_tags=no\n"
    "[other_relations]\nosm_id=no\nattributes=type\nother_tags=no\n";

enum {
    T_HIGHWAY,
    T_ONEWAY,
    T_ONEWAY_BICYCLE,
    T_JUNCTION,
    T_MAXSPEED,
    T_ACCESS,
    T_VEHICLE,
    T_MOTOR_VEHICLE,
    T_MOTORCAR,
    T_FOOT,
    T_BICYCLE,
    T_BRIDGE,
    T_TUNNEL,
    T_ROUTE,
    T_AREA,
    T_MOTORROAD,
    T_CYCLEWAY,
    T_COUNT
};
static const char *const TAG_NAMES[T_COUNT] = {
    "highway", "oneway", "oneway:bicycle", "junction", "maxspeed", "access",
    "vehicle", "motor_vehicle", "motorcar", "foot", "bicycle", "bridge",
    "tunnel", "route", "area", "motorroad", "cycleway",
};

gm_status gm__roads_read_osm(gm_ctx *ctx, const char *path, gm__roads *r)
{
    gm_status st = GM_OK;
    gm__gdal_capture cap;
    GDALDatasetH ds = NULL;
    VSILFILE *mem = NULL;
    char conf[96], confopt[128];
    gm__rways w = {0};
    vbuf vb = {0};
    bool pushed = false;

    /* A name unique to this load (two contexts may load at once). */
    snprintf(conf, sizeof conf, "/vsimem/gapmap-osmconf-%p-%p.ini", (void *)ctx, (void *)r);
    snprintf(confopt, sizeof confopt, "CONFIG_FILE=%s", conf);

    GDALAllRegister();
    gm__gdal_begin(&cap, ctx, path);
    pushed = true;
    if (!GDALGetDriverByName("OSM")) {
        st = gm__err(ctx, GM_E_GDAL,
                     "%s: this GDAL (%s) was built without its OSM driver (it needs SQLite); use "
                     "the Geofabrik shapefiles (.shp.zip) of the same extract instead",
                     path, GDALVersionInfo("RELEASE_NAME"));
        goto cleanup;
    }
    mem = VSIFileFromMemBuffer(conf, (GByte *)(uintptr_t)OSMCONF, sizeof OSMCONF - 1, FALSE);
    if (!mem) {
        st = gm__err(ctx, GM_E_GDAL, "%s: cannot make the OSM driver configuration (%s)", path,
                     cap.msg[0] ? cap.msg : "VSIFileFromMemBuffer failed");
        goto cleanup;
    }
    VSIFCloseL(mem); /* the buffer stays, under its name, until VSIUnlink */
    mem = NULL;

    const char *const drivers[] = {"OSM", NULL};
    const char *const oo[] = {confopt, NULL};
    ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, drivers, oo, NULL);
    if (!ds) {
        st = gm__err(ctx, GM_E_INPUT,
                     "%s: not an OpenStreetMap file GDAL can read (%s); expected a .osm.pbf extract "
                     "such as Geofabrik's",
                     path, cap.msg[0] ? cap.msg : "the OSM driver does not recognise it");
        goto cleanup;
    }
    OGRLayerH lines = GDALDatasetGetLayerByName(ds, "lines");
    if (!lines) {
        st = gm__err(ctx, GM_E_GDAL, "%s: GDAL's OSM driver gave no 'lines' layer", path);
        goto cleanup;
    }
    OGRLayerH res = GDALDatasetExecuteSQL(ds, "SET interest_layers = lines", NULL, NULL);
    if (res)
        GDALDatasetReleaseResultSet(ds, res);
    /* Features failing the filter are dropped before their geometry is built. */
    if (OGR_L_SetAttributeFilter(lines, "highway IS NOT NULL OR route = 'ferry'") != OGRERR_NONE) {
        st = gm__err(ctx, GM_E_GDAL, "%s: cannot filter the OSM lines layer (%s)", path,
                     cap.msg[0] ? cap.msg : "attribute filter refused");
        goto cleanup;
    }
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(lines);
    int idx[T_COUNT];
    for (int i = 0; i < T_COUNT; i++)
        idx[i] = OGR_FD_GetFieldIndex(defn, TAG_NAMES[i]);
    if (idx[T_HIGHWAY] < 0) {
        st = gm__err(ctx, GM_E_GDAL, "%s: the OSM driver did not take gapmap's configuration "
                     "(no highway column)", path);
        goto cleanup;
    }
    GDALDatasetResetReading(ds);

    for (uint64_t nf = 0;; nf++) {
        OGRLayerH from = NULL;
        double pct = 0.0;
        OGRFeatureH f = GDALDatasetGetNextFeature(ds, &from, &pct, NULL, NULL);
        if (!f) {
            if (cap.failed) {
                st = gm__err(ctx, GM_E_INPUT, "%s: cannot be read (%s)", path, cap.msg);
                goto cleanup;
            }
            break;
        }
        if (from != lines) {
            OGR_F_Destroy(f);
            continue;
        }
        const char *v[T_COUNT];
        for (int i = 0; i < T_COUNT; i++)
            v[i] = field_str(f, idx[i]);
        gm__osm_tags t = {
            .highway = v[T_HIGHWAY], .oneway = v[T_ONEWAY], .oneway_bicycle = v[T_ONEWAY_BICYCLE],
            .junction = v[T_JUNCTION], .maxspeed = v[T_MAXSPEED], .access = v[T_ACCESS],
            .vehicle = v[T_VEHICLE], .motor_vehicle = v[T_MOTOR_VEHICLE],
            .motorcar = v[T_MOTORCAR], .foot = v[T_FOOT], .bicycle = v[T_BICYCLE],
            .bridge = v[T_BRIDGE], .tunnel = v[T_TUNNEL], .route = v[T_ROUTE], .area = v[T_AREA],
            .motorroad = v[T_MOTORROAD], .cycleway = v[T_CYCLEWAY],
        };
        /* The driver sets a line's FID to its way id (ogrosmlayer.cpp,
         * SetFieldsFromTags); a negative id (a way not yet uploaded, as JOSM
         * saves them) is no OSM id, so 0. */
        GIntBig fid = OGR_F_GetFID(f);
        st = add_way(ctx, r, &w, &t, -1, OGR_F_GetGeometryRef(f), &vb,
                     fid > 0 ? (uint64_t)fid : 0);
        OGR_F_Destroy(f);
        if (st != GM_OK)
            goto cleanup;
        if ((nf & 1023) == 0 &&
            (st = gm__progress(ctx, (uint64_t)(pct * 800.0), 1000, GM__ROADS_PROGRESS)) != GM_OK)
            goto cleanup;
    }
    GDALClose(ds); /* frees the node index before the split allocates */
    ds = NULL;
    gm__gdal_end();
    pushed = false;

    /* OSM is WGS84 lon/lat by definition (https://wiki.openstreetmap.org/wiki/Node). */
    st = build_from_ways(ctx, path, "EPSG:4326", &w, r, 800);

cleanup:
    if (ds) {
        if (!pushed) {
            gm__gdal_begin(&cap, ctx, path);
            pushed = true;
        }
        GDALClose(ds);
    }
    VSIUnlink(conf);
    if (pushed)
        gm__gdal_end();
    gm__rways_free(&w);
    vbuf_free(&vb);
    return st;
}

/* ---- Geofabrik shapefiles ----------------------------------------------- */

gm_status gm__roads_read_geofabrik(gm_ctx *ctx, const char *path, GDALDatasetH ds,
                                   OGRLayerH layer, gm__roads *r)
{
    (void)ds;
    gm_status st = GM_OK;
    gm__gdal_capture cap;
    gm__rways w = {0};
    vbuf vb = {0};
    char *crs = NULL;

    gm__gdal_begin(&cap, ctx, path);
    /* Layout: http://download.geofabrik.de/osm-data-in-gis-formats-free.pdf
     * (roads layer: osm_id, code, fclass, name, ref, oneway, maxspeed, layer,
     * bridge, tunnel). */
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
    int i_fclass = OGR_FD_GetFieldIndex(defn, "fclass");
    int i_oneway = OGR_FD_GetFieldIndex(defn, "oneway");
    int i_maxspeed = OGR_FD_GetFieldIndex(defn, "maxspeed");
    int i_bridge = OGR_FD_GetFieldIndex(defn, "bridge");
    int i_tunnel = OGR_FD_GetFieldIndex(defn, "tunnel");
    int i_id = OGR_FD_GetFieldIndex(defn, "osm_id");
    if (i_fclass < 0) {
        st = gm__err(ctx, GM_E_INPUT, "%s: layer %s has no fclass field (not a Geofabrik roads "
                     "layer)", path, OGR_L_GetName(layer));
        goto cleanup;
    }
    /* Geofabrik's shapefiles are EPSG:4326; a .prj says so. */
    if ((st = gm__gdal_layer_crs(ctx, layer, "EPSG:4326", &crs)) != GM_OK)
        goto cleanup;
    GIntBig total = OGR_L_GetFeatureCount(layer, FALSE);
    uint64_t ntotal = total > 0 ? (uint64_t)total : 0;
    OGR_L_ResetReading(layer);

    for (uint64_t nf = 0;; nf++) {
        OGRFeatureH f = OGR_L_GetNextFeature(layer);
        if (!f) {
            if (cap.failed) {
                st = gm__err(ctx, GM_E_INPUT, "%s feature %llu: cannot be read (%s)", path,
                             (unsigned long long)(nf + 1), cap.msg);
                goto cleanup;
            }
            break;
        }
        /* fclass is the highway value, except track_grade1..5 (tracktype
         * folded in) and "unknown" (highway=road). */
        const char *fclass = field_str(f, i_fclass);
        const char *hw = fclass;
        if (fclass && strncmp(fclass, "track_grade", 11) == 0)
            hw = "track";
        else if (is_val(fclass, "unknown"))
            hw = "road";
        /* oneway: F along the line, T against it, B both.  B is also what
         * an untagged way gets, so it is passed on as "no tag" and the
         * implied rules (motorway) still apply. */
        const char *ow = field_str(f, i_oneway);
        const char *oneway = is_val(ow, "F") ? "yes" : is_val(ow, "T") ? "-1" : NULL;
        gm__osm_tags t = {
            .highway = hw,
            .oneway = oneway,
            .bridge = is_val(field_str(f, i_bridge), "T") ? "yes" : NULL,
            .tunnel = is_val(field_str(f, i_tunnel), "T") ? "yes" : NULL,
        };
        /* maxspeed: km/h, 0 when unknown. */
        int ms = i_maxspeed >= 0 && OGR_F_IsFieldSetAndNotNull(f, i_maxspeed)
                     ? OGR_F_GetFieldAsInteger(f, i_maxspeed)
                     : 0;
        if (ms < 0 || ms > 300)
            ms = 0;
        st = add_way(ctx, r, &w, &t, ms, OGR_F_GetGeometryRef(f), &vb,
                     parse_u64(field_str(f, i_id)));
        OGR_F_Destroy(f);
        if (st != GM_OK)
            goto cleanup;
        if ((nf & 1023) == 0 &&
            (st = gm__progress(ctx, ntotal ? 800 * nf / ntotal : 0, 1000, GM__ROADS_PROGRESS)) !=
                GM_OK)
            goto cleanup;
    }
    gm__gdal_end();
    st = build_from_ways(ctx, path, crs, &w, r, 800);
    gm__gdal_begin(&cap, ctx, path); /* balance the pop below */

cleanup:
    gm__gdal_end();
    gm__rways_free(&w);
    vbuf_free(&vb);
    gm__free(crs);
    return st;
}
