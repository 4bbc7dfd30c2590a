/*
 * The QGIS project (engine/io/qgsproj.c): gapmap.qgs read back with libxml2
 * and XPath, then opened by QGIS itself, headless, through
 * tests/qgis_project_check.py, on a fixture and on the sample county's run.
 *
 * Fixture (written with gm__vwriter and gm__qml_write, as the run writes its
 * layers), in British National Grid west of Leicester:
 * - "areas": three 500 m squares 100 m apart from E 450000 N 300000, so the
 *   layers span E 450000-451700, N 300000-300700; a single style;
 * - "sites": three points in them, categorized on "service", labelled with
 *   "site_name";
 * - "links": two lines joining the points, the second ending at N 300700;
 *   graduated on "minutes".
 * Listed as sites (group "Places", checked), ghost (never written, "Places"),
 * links (no group, unchecked), areas ("Base", checked).  The view is the
 * checked layers' extent, E 450000-451700 N 300000-300500, with a margin of
 * 5% or at least 500 m a side: E 449500-452200, N 299500-301000.
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <criterion/parameterized.h>
#include <cjson/cJSON.h>
#include <gdal.h>
#include <geos_c.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <math.h>
#include <ogr_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/core.h"
#include "geo/geoctx.h"
#include "io/qgsproj.h"
#include "io/qml.h"
#include "io/vwriter.h"
#include "testutil.h"

#define PYTHON "/usr/bin/python3"
#define TITLE "Examplshire <day> & \"ops\" \xe2\x80\x94 Caf\xc3\xa9"

static gm_ctx *ctx;

static void setup(void)
{
    cr_assert_eq(gm_ctx_new(&ctx), GM_OK);
    GDALAllRegister();
}

static void teardown(void)
{
    gm__alloc_fail_after(-1);
    gm_ctx_free(ctx);
}

/* ---- the fixture ------------------------------------------------------------ */

static GEOSGeometry *wkt(const char *text)
{
    GEOSContextHandle_t h = gm__geos(ctx);
    GEOSWKTReader *r = GEOSWKTReader_create_r(h);
    GEOSGeometry *g = GEOSWKTReader_read_r(h, r, text);
    GEOSWKTReader_destroy_r(h, r);
    cr_assert_not_null(g, "bad fixture WKT %s", text);
    return g;
}

static void write_layer(const char *dir, unsigned formats, const gm__layer_def *def, const gm__value *rows,
                        const char *const *wkts, size_t n)
{
    gm__vwriter *w = NULL;
    cr_assert_eq(gm__vwriter_open(ctx, dir, def, formats, &w), GM_OK, "%s", gm_ctx_errmsg(ctx));
    for (size_t i = 0; i < n; i++) {
        GEOSGeometry *g = wkt(wkts[i]);
        cr_assert_eq(gm__vwriter_add_geos(w, rows + i * def->nfields, g), GM_OK, "%s", gm_ctx_errmsg(ctx));
        GEOSGeom_destroy_r(gm__geos(ctx), g);
    }
    cr_assert_eq(gm__vwriter_close(w), GM_OK, "%s", gm_ctx_errmsg(ctx));
}

static const gm__field_def area_f[] = {{"area_id", GM__FT_STRING, 0}};
static const gm__layer_def areas = {"areas", GM__GT_POLYGON, 1, area_f};
static const gm__field_def site_f[] = {{"site_name", GM__FT_STRING, 0}, {"service", GM__FT_STRING, 0}};
static const gm__layer_def sites = {"sites", GM__GT_POINT, 2, site_f};
static const gm__field_def link_f[] = {{"minutes", GM__FT_REAL, 1}};
static const gm__layer_def links = {"links", GM__GT_LINE, 1, link_f};

static const gm__qgs_layer fixture_layers[] = {
    {"sites", "Day centres & libraries", "Places", true},
    {"ghost", "Never written", "Places", true},
    {"links", "Links (minutes)", NULL, false},
    {"areas", "Areas", "Base", true},
};
#define NFIX (sizeof fixture_layers / sizeof *fixture_layers)

static void write_fixture(const char *dir, unsigned formats)
{
    static const char *const squares[] = {
        "POLYGON((450000 300000, 450500 300000, 450500 300500, 450000 300500, 450000 300000))",
        "POLYGON((450600 300000, 451100 300000, 451100 300500, 450600 300500, 450600 300000))",
        "POLYGON((451200 300000, 451700 300000, 451700 300500, 451200 300500, 451200 300000))",
    };
    const gm__value ids[] = {{.s = "A1"}, {.s = "A2"}, {.s = "A3"}};
    write_layer(dir, formats, &areas, ids, squares, 3);
    static const char *const points[] = {"POINT(450250 300250)", "POINT(450850 300250)", "POINT(451450 300250)"};
    const gm__value names[] = {
        {.s = "Oakfield <Day> Centre"}, {.s = "day centre"}, {.s = "Central Library"}, {.s = "library"},
        {.s = "Hill Street Surgery"},   {.s = "gp"},
    };
    write_layer(dir, formats, &sites, names, points, 3);
    static const char *const lines[] = {"LINESTRING(450250 300250, 450850 300250)",
                                        "LINESTRING(450850 300250, 451450 300250, 451450 300700)"};
    const gm__value minutes[] = {{.d = 10}, {.d = 25}};
    write_layer(dir, formats, &links, minutes, lines, 2);

    gm__qml_style as = {.geom = GM__GT_POLYGON, .kind = GM__QML_SINGLE, .color = "#9ecae1", .opacity = 0.5,
                        .outline = "#08306b", .layer = &areas};
    cr_assert_eq(gm__qml_write(ctx, dir, "areas", &as), GM_OK, "%s", gm_ctx_errmsg(ctx));
    static const gm__qml_class services[] = {
        {0, 0, "day centre", "Day centre", "#1b9e77"},
        {0, 0, "library", "Library", "#d95f02"},
        {0, 0, "gp", "GP", "#7570b3"},
    };
    gm__qml_style ss = {.geom = GM__GT_POINT, .kind = GM__QML_CATEGORIZED, .field = "service", .classes = services,
                        .nclasses = 3, .outline = "#ffffff", .size = 4, .label_field = "site_name", .layer = &sites};
    cr_assert_eq(gm__qml_write(ctx, dir, "sites", &ss), GM_OK, "%s", gm_ctx_errmsg(ctx));
    static const gm__qml_class bands[] = {
        {0, 15, NULL, "up to 15 min", "#2c7fb8"},
        {15, 30, NULL, "15 to 30 min", "#7fcdbb"},
    };
    gm__qml_style ls = {.geom = GM__GT_LINE, .kind = GM__QML_GRADUATED, .field = "minutes", .classes = bands,
                        .nclasses = 2, .size = 0.8, .layer = &links};
    cr_assert_eq(gm__qml_write(ctx, dir, "links", &ls), GM_OK, "%s", gm_ctx_errmsg(ctx));
}

/* A fresh folder holding the fixture (static buffer). */
static const char *fixture(const char *tag, unsigned formats)
{
    static char dir[4096];
    snprintf(dir, sizeof dir, "%s", gmt_tmpdir(tag));
    write_fixture(dir, formats);
    return dir;
}

/* ---- reading the project back ----------------------------------------------- */

static xmlDocPtr read_project(const char *dir)
{
    const char *path = gmt_path(dir, "gapmap.qgs");
    /* without the indentation, so a copied style compares with its .qml */
    xmlDocPtr d = xmlReadFile(path, NULL, XML_PARSE_NOBLANKS | XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    cr_assert_not_null(d, "%s is not well-formed XML", path);
    return d;
}

static xmlXPathObjectPtr xpath(xmlDocPtr d, const char *expr)
{
    xmlXPathContextPtr c = xmlXPathNewContext(d);
    xmlXPathObjectPtr o = xmlXPathEvalExpression((const xmlChar *)expr, c);
    xmlXPathFreeContext(c);
    cr_assert_not_null(o, "bad XPath %s", expr);
    return o;
}

/* The string value of expr; caller frees. */
static char *xs(xmlDocPtr d, const char *expr)
{
    xmlXPathObjectPtr o = xpath(d, expr);
    xmlChar *s = xmlXPathCastToString(o);
    xmlXPathFreeObject(o);
    char *out = strdup((const char *)s);
    xmlFree(s);
    return out;
}

static void assert_xs(xmlDocPtr d, const char *expr, const char *want)
{
    char *got = xs(d, expr);
    cr_assert_str_eq(got, want, "%s", expr);
    free(got);
}

static double xn(xmlDocPtr d, const char *expr)
{
    xmlXPathObjectPtr o = xpath(d, expr);
    double v = xmlXPathCastToNumber(o);
    xmlXPathFreeObject(o);
    return v;
}

/* Element node n serialized (its whole subtree); caller frees. */
static char *dump(xmlDocPtr d, xmlNodePtr n)
{
    xmlBufferPtr b = xmlBufferCreate();
    xmlNodeDump(b, d, n, 0, 0);
    char *s = strdup((const char *)xmlBufferContent(b));
    xmlBufferFree(b);
    return s;
}

/* The first node expr selects. */
static xmlNodePtr node(xmlDocPtr d, const char *expr, xmlXPathObjectPtr *keep)
{
    *keep = xpath(d, expr);
    cr_assert((*keep)->nodesetval && (*keep)->nodesetval->nodeNr > 0, "nothing at %s", expr);
    return (*keep)->nodesetval->nodeTab[0];
}

/* The project's <renderer-v2> of layer stem is its .qml's, element for element. */
static void assert_style_copied(xmlDocPtr p, const char *dir, const char *stem)
{
    char path[4200], expr[256];
    char qml[256];
    snprintf(qml, sizeof qml, "%s.qml", stem);
    snprintf(path, sizeof path, "%s", gmt_out(dir, qml));
    xmlDocPtr q = xmlReadFile(path, NULL, XML_PARSE_NOBLANKS | XML_PARSE_NONET);
    cr_assert_not_null(q, "%s", path);
    xmlXPathObjectPtr ko, kq;
    snprintf(expr, sizeof expr, "/qgis/projectlayers/maplayer[id='gapmap_layer_%s']/renderer-v2", stem);
    char *a = dump(p, node(p, expr, &ko));
    char *b = dump(q, node(q, "/qgis/renderer-v2", &kq));
    cr_assert_str_eq(a, b, "%s: the project's renderer is not the .qml's", stem);
    snprintf(expr, sizeof expr, "string(/qgis/projectlayers/maplayer[id='gapmap_layer_%s']/@labelsEnabled)", stem);
    char *pl = xs(p, expr), *ql = xs(q, "string(/qgis/@labelsEnabled)");
    cr_assert_str_eq(pl, ql, "%s: labelsEnabled", stem);
    free(pl), free(ql), free(a), free(b);
    xmlXPathFreeObject(ko);
    xmlXPathFreeObject(kq);
    xmlFreeDoc(q);
}

static gm_status write_fixture_project(const char *dir, unsigned formats)
{
    return gm__qgsproj_write(ctx, dir, TITLE, fixture_layers, NFIX, formats);
}

/* ---- the file --------------------------------------------------------------- */

Test(qgsproj, the_project_lists_every_written_layer_in_order_with_relative_sources, .init = setup,
     .fini = teardown)
{
    const unsigned both = GM__FMT_GEOJSON | GM__FMT_SHAPEFILE;
    const char *dir = fixture("qgsproj-xml", both);
    cr_assert_eq(write_fixture_project(dir, both), GM_OK, "%s", gm_ctx_errmsg(ctx));
    cr_assert_str_eq(gmt_listing(dir),
                     "areas.cpg areas.dbf areas.geojson areas.prj areas.qml areas.shp areas.shx gapmap.qgs "
                     "links.cpg links.dbf links.geojson links.prj links.qml links.shp links.shx sites.cpg "
                     "sites.dbf sites.geojson sites.prj sites.qml sites.shp sites.shx",
                     "no temporary left");
    xmlDocPtr d = read_project(dir);
    assert_xs(d, "name(/*)", "qgis");
    assert_xs(d, "string(/qgis/@projectname)", TITLE);
    assert_xs(d, "string(/qgis/title)", TITLE);
    assert_xs(d, "string(/qgis/projectCrs/spatialrefsys/authid)", "EPSG:27700");
    assert_xs(d, "string(/qgis/properties/Paths/Absolute)", "false");

    /* the ghost is left out; the others in the order given, GeoJSON in WGS 84 */
    cr_assert_eq(xn(d, "count(/qgis/projectlayers/maplayer)"), 3);
    static const char *const stems[] = {"sites", "links", "areas"};
    static const char *const titles[] = {"Day centres & libraries", "Links (minutes)", "Areas"};
    for (size_t i = 0; i < 3; i++) {
        char expr[128], want[64];
        snprintf(expr, sizeof expr, "string(/qgis/projectlayers/maplayer[%zu]/id)", i + 1);
        snprintf(want, sizeof want, "gapmap_layer_%s", stems[i]);
        assert_xs(d, expr, want);
        snprintf(expr, sizeof expr, "string(/qgis/projectlayers/maplayer[%zu]/datasource)", i + 1);
        snprintf(want, sizeof want, "./%s.geojson", stems[i]);
        assert_xs(d, expr, want);
        snprintf(expr, sizeof expr, "string(/qgis/projectlayers/maplayer[%zu]/layername)", i + 1);
        assert_xs(d, expr, titles[i]);
        snprintf(expr, sizeof expr, "string(/qgis/projectlayers/maplayer[%zu]/srs/spatialrefsys/authid)", i + 1);
        assert_xs(d, expr, "EPSG:4326");
        snprintf(expr, sizeof expr, "string(/qgis/layerorder/layer[%zu]/@id)", i + 1);
        snprintf(want, sizeof want, "gapmap_layer_%s", stems[i]);
        assert_xs(d, expr, want);
    }
    /* no path outside the folder anywhere */
    cr_assert_eq(xn(d, "count(//*[starts-with(., '/')] | //@*[starts-with(., '/')])"), 0);
    char *text = gmt_slurp(gmt_path(dir, "gapmap.qgs"), NULL);
    cr_assert_null(strstr(text, dir), "the folder's path is in the file");
    free(text);

    /* the tree: Places [sites], links at the top level, Base [areas] */
    assert_xs(d, "string(/qgis/layer-tree-group/layer-tree-group[1]/@name)", "Places");
    assert_xs(d, "string(/qgis/layer-tree-group/layer-tree-group[1]/@checked)", "Qt::Checked");
    cr_assert_eq(xn(d, "count(/qgis/layer-tree-group/layer-tree-group[1]/layer-tree-layer)"), 1);
    assert_xs(d, "string(/qgis/layer-tree-group/layer-tree-group[1]/layer-tree-layer/@id)", "gapmap_layer_sites");
    assert_xs(d, "string(/qgis/layer-tree-group/layer-tree-group[1]/layer-tree-layer/@source)", "./sites.geojson");
    assert_xs(d, "string(/qgis/layer-tree-group/layer-tree-group[1]/layer-tree-layer/@checked)", "Qt::Checked");
    assert_xs(d, "name(/qgis/layer-tree-group/*[3])", "layer-tree-layer");
    assert_xs(d, "string(/qgis/layer-tree-group/*[3]/@id)", "gapmap_layer_links");
    assert_xs(d, "string(/qgis/layer-tree-group/*[3]/@name)", "Links (minutes)");
    assert_xs(d, "string(/qgis/layer-tree-group/*[3]/@checked)", "Qt::Unchecked");
    assert_xs(d, "string(/qgis/layer-tree-group/*[4]/@name)", "Base");
    assert_xs(d, "string(/qgis/layer-tree-group/*[4]/layer-tree-layer/@id)", "gapmap_layer_areas");
    cr_assert_eq(xn(d, "count(//layer-tree-layer)"), 3);

    /* each style is the .qml's, and the geometry type comes with it */
    for (size_t i = 0; i < 3; i++)
        assert_style_copied(d, dir, stems[i]);
    assert_xs(d, "string(/qgis/projectlayers/maplayer[id='gapmap_layer_sites']/@geometry)", "Point");
    assert_xs(d, "string(/qgis/projectlayers/maplayer[id='gapmap_layer_links']/@geometry)", "Line");
    assert_xs(d, "string(/qgis/projectlayers/maplayer[id='gapmap_layer_areas']/@geometry)", "Polygon");
    assert_xs(d, "string(/qgis/projectlayers/maplayer[id='gapmap_layer_sites']/labeling/settings/text-style/@fieldName)",
              "site_name");

    /* the view: the checked layers (not the links' end at N 300700) with the
     * margin; measured on the GeoJSON, whose lon/lat box put back into the grid
     * is a little larger than the grid box (the grid is turned ~1.5 degrees to
     * the meridians here) */
    static const double want[] = {449500, 299500, 452200, 301000};
    static const char *const k[] = {"xmin", "ymin", "xmax", "ymax"};
    for (size_t i = 0; i < 4; i++) {
        char expr[128];
        snprintf(expr, sizeof expr, "number(/qgis/mapcanvas/extent/%s)", k[i]);
        double v = xn(d, expr);
        double out = i < 2 ? want[i] - v : v - want[i]; /* how far beyond the exact box */
        cr_assert(out >= 0 && out < 40, "%s %.0f, want %.0f to 40 m beyond it", k[i], v, want[i]);
        snprintf(expr, sizeof expr, "number(/qgis/ProjectViewSettings/DefaultViewExtent/@%s)", k[i]);
        cr_assert_eq(xn(d, expr), v, "the default view's %s", k[i]);
    }
    assert_xs(d, "string(/qgis/mapcanvas/destinationsrs/spatialrefsys/authid)", "EPSG:27700");
    xmlFreeDoc(d);
}

Test(qgsproj, shapefiles_alone_are_the_sources_and_measured_in_the_grid, .init = setup, .fini = teardown)
{
    const char *dir = fixture("qgsproj-shp", GM__FMT_SHAPEFILE);
    cr_assert_eq(write_fixture_project(dir, GM__FMT_SHAPEFILE), GM_OK, "%s", gm_ctx_errmsg(ctx));
    xmlDocPtr d = read_project(dir);
    assert_xs(d, "string(/qgis/projectlayers/maplayer[1]/datasource)", "./sites.shp");
    assert_xs(d, "string(/qgis/projectlayers/maplayer[3]/datasource)", "./areas.shp");
    assert_xs(d, "string(/qgis/projectlayers/maplayer[3]/srs/spatialrefsys/authid)", "EPSG:27700");
    assert_xs(d, "string(/qgis/layer-tree-group/*[2]/layer-tree-layer/@source)", "./sites.shp");
    /* no transformation: the box exactly, with 500 m a side */
    assert_xs(d, "concat(/qgis/mapcanvas/extent/xmin, ' ', /qgis/mapcanvas/extent/ymin, ' ', "
                 "/qgis/mapcanvas/extent/xmax, ' ', /qgis/mapcanvas/extent/ymax)",
              "449500 299500 452200 301000");
    xmlFreeDoc(d);
}

Test(qgsproj, output_is_deterministic_and_independent_of_the_folder, .init = setup, .fini = teardown)
{
    const unsigned both = GM__FMT_GEOJSON | GM__FMT_SHAPEFILE;
    char dir[4096], other[4200], cmd[9000];
    snprintf(dir, sizeof dir, "%s", fixture("qgsproj-det", both));
    cr_assert_eq(write_fixture_project(dir, both), GM_OK, "%s", gm_ctx_errmsg(ctx));
    size_t n1, n2, n3;
    char *a = gmt_slurp(gmt_path(dir, "gapmap.qgs"), &n1);
    cr_assert_eq(write_fixture_project(dir, both), GM_OK, "%s", gm_ctx_errmsg(ctx));
    char *b = gmt_slurp(gmt_path(dir, "gapmap.qgs"), &n2);
    cr_assert(n1 == n2 && memcmp(a, b, n1) == 0, "a second write differs");
    /* the same layers elsewhere give the same bytes: nothing of the folder's path */
    snprintf(other, sizeof other, "%s-elsewhere/deeper", dir);
    snprintf(cmd, sizeof cmd, "rm -rf '%s-elsewhere' && mkdir -p '%s' && cp '%s'/*.* '%s'/ && rm '%s/gapmap.qgs'",
             dir, other, dir, other, other);
    cr_assert_eq(gmt_system(cmd), 0);
    cr_assert_eq(write_fixture_project(other, both), GM_OK, "%s", gm_ctx_errmsg(ctx));
    char *c = gmt_slurp(gmt_path(other, "gapmap.qgs"), &n3);
    cr_assert(n1 == n3 && memcmp(a, c, n1) == 0, "the project depends on where the folder is");
    free(a), free(b), free(c);
}

Test(qgsproj, a_layer_whose_file_is_missing_is_left_out, .init = setup, .fini = teardown)
{
    const unsigned both = GM__FMT_GEOJSON | GM__FMT_SHAPEFILE;
    const char *dir = fixture("qgsproj-missing", both);
    /* the GeoJSON is the source when it was written: without it the layer goes,
     * even though its shapefile is there; a missing .qml leaves QGIS's look */
    cr_assert_eq(remove(gmt_path(dir, "links.geojson")), 0);
    cr_assert_eq(remove(gmt_path(dir, "areas.qml")), 0);
    cr_assert_eq(write_fixture_project(dir, both), GM_OK, "%s", gm_ctx_errmsg(ctx));
    xmlDocPtr d = read_project(dir);
    cr_assert_eq(xn(d, "count(/qgis/projectlayers/maplayer)"), 2);
    cr_assert_eq(xn(d, "count(//*[@id='gapmap_layer_links'] | //maplayer[id='gapmap_layer_links'])"), 0);
    cr_assert_eq(xn(d, "count(/qgis/projectlayers/maplayer[id='gapmap_layer_areas']/renderer-v2)"), 0);
    assert_xs(d, "string(/qgis/projectlayers/maplayer[id='gapmap_layer_areas']/datasource)", "./areas.geojson");
    xmlFreeDoc(d);

    /* nothing at all: still a project, with no layers and no view */
    const char *empty = gmt_tmpdir("qgsproj-empty");
    cr_assert_eq(write_fixture_project(empty, both), GM_OK, "%s", gm_ctx_errmsg(ctx));
    cr_assert_str_eq(gmt_listing(empty), "gapmap.qgs");
    d = read_project(empty);
    cr_assert_eq(xn(d, "count(//maplayer)"), 0);
    cr_assert_eq(xn(d, "count(/qgis/mapcanvas)"), 0);
    xmlFreeDoc(d);
}

/* ---- errors ----------------------------------------------------------------- */

typedef struct bad_case {
    const char *what;
    const char *title;
    gm__qgs_layer layers[3];
    size_t n;
    const char *needle;
} bad_case;

static const bad_case bad_cases[] = {
    {"a stem with a slash", "t", {{"../sites", "S", NULL, true}}, 1, "'../sites' is not a file stem"},
    {"a hidden stem", "t", {{".sites", "S", NULL, true}}, 1, "is not a file stem"},
    {"an empty stem", "t", {{"", "S", NULL, true}}, 1, "is not a file stem"},
    {"no title", "t", {{"sites", NULL, NULL, true}}, 1, "layer sites: its title or group"},
    {"a group that is not UTF-8", "t", {{"sites", "S", "Pl\xe9", true}}, 1, "not UTF-8"},
    {"a run name that is not UTF-8", "Caf\xe9", {{"sites", "S", NULL, true}}, 1, "[run] name"},
    {"a run name with a control character", "a\x01", {{"sites", "S", NULL, true}}, 1, "[run] name"},
    {"a layer twice", "t", {{"sites", "S", NULL, true}, {"sites", "T", NULL, true}}, 2, "listed twice"},
    {"a group in two places",
     "t",
     {{"sites", "S", "G", true}, {"links", "L", NULL, true}, {"areas", "A", "G", true}},
     3,
     "group 'G' is listed in two places"},
};

/* Indices, not the cases themselves: Criterion runs each test in a new
 * process, where the cases' string pointers would not hold. */
ParameterizedTestParameters(qgsproj, bad_arguments_are_refused_and_write_nothing)
{
    static size_t idx[sizeof bad_cases / sizeof *bad_cases];
    for (size_t i = 0; i < sizeof idx / sizeof *idx; i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, sizeof idx / sizeof *idx);
}

ParameterizedTest(size_t *i, qgsproj, bad_arguments_are_refused_and_write_nothing, .init = setup,
                  .fini = teardown)
{
    const bad_case *c = &bad_cases[*i];
    const char *dir = gmt_tmpdir("qgsproj-bad");
    gm_status st = gm__qgsproj_write(ctx, dir, c->title, c->layers, c->n, GM__FMT_GEOJSON);
    cr_assert_eq(st, GM_E_ARG, "%s: %s (%s)", c->what, gm_status_name(st), gm_ctx_errmsg(ctx));
    cr_assert(strstr(gm_ctx_errmsg(ctx), c->needle) != NULL, "%s: message '%s' lacks '%s'", c->what,
              gm_ctx_errmsg(ctx), c->needle);
    cr_assert_str_eq(gmt_listing(dir), "", "%s left files", c->what);
}

Test(qgsproj, missing_arguments_are_refused, .init = setup, .fini = teardown)
{
    cr_assert_eq(gm__qgsproj_write(ctx, NULL, "t", fixture_layers, NFIX, GM__FMT_GEOJSON), GM_E_ARG);
    cr_assert_eq(gm__qgsproj_write(ctx, "/tmp", NULL, fixture_layers, NFIX, GM__FMT_GEOJSON), GM_E_ARG);
    cr_assert_eq(gm__qgsproj_write(ctx, "/tmp", "t", NULL, 1, GM__FMT_GEOJSON), GM_E_ARG);
    cr_assert_eq(gm__qgsproj_write_boundary(ctx, NULL, GM__FMT_GEOJSON, "x.gpkg", NULL), GM_E_ARG);
}

Test(qgsproj, a_folder_that_cannot_be_written_is_an_io_error, .init = setup, .fini = teardown)
{
    /* no such folder */
    cr_assert_eq(write_fixture_project("/nonexistent-gapmap/out", GM__FMT_GEOJSON), GM_E_IO);
    cr_assert(strstr(gm_ctx_errmsg(ctx), "/nonexistent-gapmap/out/gapmap.qgs: cannot create the file") != NULL,
              "%s", gm_ctx_errmsg(ctx));
    cr_assert(strstr(gm_ctx_errmsg(ctx), "you may write to it") != NULL, "%s", gm_ctx_errmsg(ctx));

    /* the temporary cannot be created (a folder has its name; a read-only
     * folder would not stop root, who runs CI) */
    const unsigned both = GM__FMT_GEOJSON | GM__FMT_SHAPEFILE;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", fixture("qgsproj-io", both));
    cr_assert_eq(mkdir(gmt_path(dir, ".gapmap.qgs.tmp"), 0777), 0);
    cr_assert_eq(write_fixture_project(dir, both), GM_E_IO);
    cr_assert(strstr(gm_ctx_errmsg(ctx), "gapmap.qgs: cannot create the file") != NULL, "%s", gm_ctx_errmsg(ctx));
    cr_assert_eq(rmdir(gmt_path(dir, ".gapmap.qgs.tmp")), 0);

    /* the finished file cannot be moved into place: no temporary is left */
    cr_assert_eq(mkdir(gmt_path(dir, "gapmap.qgs"), 0777), 0);
    cr_assert_eq(mkdir(gmt_path(dir, "gapmap.qgs/keep"), 0777), 0);
    cr_assert_eq(write_fixture_project(dir, both), GM_E_IO);
    cr_assert(strstr(gm_ctx_errmsg(ctx), "cannot move the finished file into place") != NULL, "%s",
              gm_ctx_errmsg(ctx));
    cr_assert_null(strstr(gmt_listing(dir), ".tmp"), "temporary left: %s", gmt_listing(dir));
}

Test(qgsproj, a_broken_style_is_named_and_the_old_project_kept, .init = setup, .fini = teardown)
{
    const unsigned both = GM__FMT_GEOJSON | GM__FMT_SHAPEFILE;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", fixture("qgsproj-badqml", both));
    cr_assert_eq(write_fixture_project(dir, both), GM_OK, "%s", gm_ctx_errmsg(ctx));
    size_t n1, n2;
    char *before = gmt_slurp(gmt_path(dir, "gapmap.qgs"), &n1);
    /* cut short, as a full disk would leave it */
    char *q = gmt_slurp(gmt_path(dir, "links.qml"), NULL);
    q[strlen(q) / 2] = '\0';
    gmt_write(dir, "links.qml", q);
    free(q);
    cr_assert_eq(write_fixture_project(dir, both), GM_E_INPUT);
    cr_assert(strstr(gm_ctx_errmsg(ctx), "links.qml: not a readable QGIS style (line ") != NULL, "%s",
              gm_ctx_errmsg(ctx));
    cr_assert(strstr(gm_ctx_errmsg(ctx), "run gapmap again") != NULL, "%s", gm_ctx_errmsg(ctx));
    char *after = gmt_slurp(gmt_path(dir, "gapmap.qgs"), &n2);
    cr_assert(n1 == n2 && memcmp(before, after, n1) == 0, "the old project was touched");
    cr_assert_null(strstr(gmt_listing(dir), ".tmp"));
    /* XML, but not a style */
    gmt_write(dir, "links.qml", "<style/>\n");
    cr_assert_eq(write_fixture_project(dir, both), GM_E_INPUT);
    cr_assert(strstr(gm_ctx_errmsg(ctx), "links.qml: not a QGIS style (its root element is not <qgis>)") != NULL,
              "%s", gm_ctx_errmsg(ctx));
    free(before), free(after);
}

Test(qgsproj, allocation_failures_are_clean, .init = setup, .fini = teardown)
{
    const unsigned both = GM__FMT_GEOJSON | GM__FMT_SHAPEFILE;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", fixture("qgsproj-nomem", both));
    const char *files = strdup(gmt_listing(dir));
    long failures = 0;
    for (long n = 0; n < 100; n++) {
        gm__alloc_fail_after(n);
        gm_status s = write_fixture_project(dir, both);
        gm__alloc_fail_after(-1);
        if (s == GM_OK)
            break;
        cr_assert_eq(s, GM_E_NOMEM, "allocation %ld: %s (%s)", n, gm_status_name(s), gm_ctx_errmsg(ctx));
        cr_assert_str_eq(gmt_listing(dir), files, "allocation %ld left files", n);
        failures++;
    }
    cr_assert_geq(failures, 8, "the walk covered the layer list, ids, paths, styles and the file");
    cr_assert_not_null(strstr(gmt_listing(dir), "gapmap.qgs"));
    free((void *)files);
}

/* ---- the boundary ----------------------------------------------------------- */

/* The value of field of the first feature of the vector file path, and its
 * feature count. */
static long first_value(const char *path, const char *layer, const char *field, char *out, size_t size)
{
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    cr_assert_not_null(ds, "%s", path);
    OGRLayerH ly = layer ? GDALDatasetGetLayerByName(ds, layer) : GDALDatasetGetLayer(ds, 0);
    cr_assert_not_null(ly, "%s: no layer", path);
    long n = (long)OGR_L_GetFeatureCount(ly, 1);
    OGR_L_ResetReading(ly);
    OGRFeatureH f = OGR_L_GetNextFeature(ly);
    cr_assert_not_null(f, "%s: empty", path);
    int k = OGR_F_GetFieldIndex(f, field);
    cr_assert_geq(k, 0, "%s: no field %s", path, field);
    snprintf(out, size, "%s", OGR_F_GetFieldAsString(f, k));
    OGR_F_Destroy(f);
    GDALClose(ds);
    return n;
}

static double total_area(const char *path, const char *layer)
{
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    cr_assert_not_null(ds, "%s", path);
    OGRLayerH ly = layer ? GDALDatasetGetLayerByName(ds, layer) : GDALDatasetGetLayer(ds, 0);
    double a = 0;
    OGRFeatureH f;
    OGR_L_ResetReading(ly);
    while ((f = OGR_L_GetNextFeature(ly)) != NULL) {
        a += OGR_G_Area(OGR_F_GetGeometryRef(f));
        OGR_F_Destroy(f);
    }
    GDALClose(ds);
    return a;
}

Test(qgsproj, the_boundary_layer_is_the_county_with_an_outline_style, .init = setup, .fini = teardown)
{
    const char *dir = gmt_tmpdir("qgsproj-boundary");
    const char *gpkg = gmt_src("geodata/boundaries.gpkg");
    char gp[4096];
    snprintf(gp, sizeof gp, "%s", gpkg);
    cr_assert_eq(gm__qgsproj_write_boundary(ctx, dir, GM__FMT_GEOJSON | GM__FMT_SHAPEFILE, gp, "county"), GM_OK,
                 "%s", gm_ctx_errmsg(ctx));
    cr_assert_str_eq(gmt_listing(dir), "boundary.cpg boundary.dbf boundary.geojson boundary.prj boundary.qml "
                                       "boundary.shp boundary.shx");
    char want_name[128], want_code[128], got[128], epsg[16];
    long n = first_value(gp, "county", "name", want_name, sizeof want_name);
    first_value(gp, "county", "code", want_code, sizeof want_code);
    cr_assert_eq(first_value(gmt_path(dir, "boundary.geojson"), NULL, "name", got, sizeof got), n);
    cr_assert_str_eq(got, want_name);
    first_value(gmt_path(dir, "boundary.shp"), NULL, "id", got, sizeof got);
    cr_assert_str_eq(got, want_code);
    cr_assert_eq(gmt_layer_count(gmt_path(dir, "boundary.shp"), epsg), n);
    cr_assert_str_eq(epsg, "27700");
    /* the same polygon: the file is in the grid already */
    double a0 = total_area(gp, "county"), a1 = total_area(gmt_path(dir, "boundary.shp"), NULL);
    cr_assert(fabs(a1 - a0) <= 1e-9 * a0, "area %.1f m2, the county %.1f m2", a1, a0);
    /* an outline: no brush, dark grey 0.6 mm */
    char *q = gmt_slurp(gmt_path(dir, "boundary.qml"), NULL);
    cr_assert_not_null(strstr(q, "<renderer-v2 type=\"singleSymbol\""));
    cr_assert_not_null(strstr(q, "<prop k=\"style\" v=\"no\"/>"), "%s", q);
    cr_assert_not_null(strstr(q, "<prop k=\"outline_color\" v=\"64,64,64,255\"/>"), "%s", q);
    cr_assert_not_null(strstr(q, "<prop k=\"outline_width\" v=\"0.6\"/>"), "%s", q);
    free(q);
    cr_log_info("boundary: %ld feature(s), '%s' (%s), %.1f km2", n, want_name, want_code, a0 / 1e6);
}

Test(qgsproj, boundary_ids_and_names_come_from_ons_fields_or_the_feature_number, .init = setup,
     .fini = teardown)
{
    char dir[4096], got[64];
    snprintf(dir, sizeof dir, "%s", gmt_tmpdir("qgsproj-boundary-ons"));
    /* ONS's county boundaries name their fields by year: CTYUA23CD, CTYUA23NM */
    static const char ring[] = "[[[-1.50,53.00],[-1.49,53.00],[-1.49,53.01],[-1.50,53.01],[-1.50,53.00]]]";
    char text[1024];
    snprintf(text, sizeof text,
             "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"properties\":"
             "{\"OBJECTID\":7,\"CTYUA23CD\":\"E10000007\",\"CTYUA23NM\":\"Derbyshire\"},"
             "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":%s}}]}\n",
             ring);
    char in[4200];
    snprintf(in, sizeof in, "%s", gmt_write(dir, "ons.geojson", text));
    char out[4200];
    snprintf(out, sizeof out, "%s/out", dir);
    cr_assert_eq(mkdir(out, 0777), 0);
    cr_assert_eq(gm__qgsproj_write_boundary(ctx, out, GM__FMT_SHAPEFILE, in, NULL), GM_OK, "%s", gm_ctx_errmsg(ctx));
    first_value(gmt_path(out, "boundary.shp"), NULL, "name", got, sizeof got);
    cr_assert_str_eq(got, "Derbyshire");
    first_value(gmt_path(out, "boundary.shp"), NULL, "id", got, sizeof got);
    cr_assert_str_eq(got, "E10000007");
    /* no such fields: the feature number, no name */
    snprintf(text, sizeof text,
             "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"properties\":"
             "{\"OBJECTID\":7},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":%s}}]}\n",
             ring);
    snprintf(in, sizeof in, "%s", gmt_write(dir, "plain.geojson", text));
    cr_assert_eq(gm__qgsproj_write_boundary(ctx, out, GM__FMT_SHAPEFILE, in, NULL), GM_OK, "%s", gm_ctx_errmsg(ctx));
    first_value(gmt_path(out, "boundary.shp"), NULL, "id", got, sizeof got);
    cr_assert_str_eq(got, "1");
    first_value(gmt_path(out, "boundary.shp"), NULL, "name", got, sizeof got);
    cr_assert_str_eq(got, "");
    /* a missing file is reported by the polygon reader, and nothing is written */
    cr_assert_eq(gm__qgsproj_write_boundary(ctx, dir, GM__FMT_SHAPEFILE, "/nonexistent-gapmap/county.gpkg", NULL),
                 GM_E_NOT_FOUND);
    cr_assert(strstr(gm_ctx_errmsg(ctx), "/nonexistent-gapmap/county.gpkg") != NULL, "%s", gm_ctx_errmsg(ctx));
    cr_assert_null(strstr(gmt_listing(dir), "boundary"));
}

/* ---- QGIS itself ------------------------------------------------------------ */

static void need_qgis(void)
{
    if (gmt_system(PYTHON " -c 'import qgis.core' >/dev/null 2>&1") != 0)
        cr_skip_test("QGIS check skipped: " PYTHON " cannot import qgis.core (install Debian's python3-qgis: "
                     "apt-get install python3-qgis)");
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Run qgis_project_check.py on dir/gapmap.qgs; the report is returned
 * (caller frees) and *rc set. */
static char *project_check(const char *dir, const char *png, int *rc, double *secs)
{
    char cmd[16384], log[4200];
    snprintf(log, sizeof log, "%s.check.log", dir);
    snprintf(cmd, sizeof cmd, PYTHON " '%s' '%s/gapmap.qgs' --png '%s' --min-colours 8 >'%s' 2>&1",
             GM_TEST_QGIS_PROJECT_CHECK, dir, png, log);
    double t0 = now_s();
    *rc = gmt_system(cmd);
    *secs = now_s() - t0;
    char *text = gmt_slurp(log, NULL);
    cr_assert_not_null(text, "no report from %s", cmd);
    return text;
}

Test(qgsproj, qgis_opens_the_fixture_project_and_the_check_catches_a_wrong_style, .init = setup,
     .fini = teardown, .timeout = 300)
{
    need_qgis();
    const unsigned both = GM__FMT_GEOJSON | GM__FMT_SHAPEFILE;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", fixture("qgsproj-qgis", both));
    cr_assert_eq(write_fixture_project(dir, both), GM_OK, "%s", gm_ctx_errmsg(ctx));
    int rc;
    double secs;
    char *log = project_check(dir, gmt_path(dir, "map.png"), &rc, &secs);
    cr_assert_eq(rc, 0, "qgis_project_check.py failed (exit %d):\n%s", rc, log);
    static const char *const lines[] = {
        "tree: Places/gapmap_layer_sites [x] Day centres & libraries, 3 features, EPSG:4326, renderer "
        "categorizedSymbol as sites.qml declares (3 classes, labels on)",
        "tree: /gapmap_layer_links [ ] Links (minutes), 2 features, EPSG:4326, renderer graduatedSymbol as "
        "links.qml declares (2 classes, labels off)",
        "tree: Base/gapmap_layer_areas [x] Areas, 3 features, EPSG:4326, renderer singleSymbol as areas.qml "
        "declares (0 classes, labels off)",
        "rendered 2 checked layers (gapmap_layer_sites, gapmap_layer_areas)",
    };
    for (size_t i = 0; i < sizeof lines / sizeof *lines; i++)
        cr_assert_not_null(strstr(log, lines[i]), "no '%s' in\n%s", lines[i], log);
    cr_log_info("QGIS opened the fixture project (%.1f s)\n%s", secs, log);
    free(log);

    /* The check is not a rubber stamp: a .qml that says something else than
     * the project fails it. */
    static const gm__qml_class one[] = {{0, 0, "A1", "first", "#ff0000"}};
    gm__qml_style other = {.geom = GM__GT_POLYGON, .kind = GM__QML_CATEGORIZED, .field = "area_id",
                           .classes = one, .nclasses = 1, .opacity = 1, .layer = &areas};
    cr_assert_eq(gm__qml_write(ctx, dir, "areas", &other), GM_OK, "%s", gm_ctx_errmsg(ctx));
    log = project_check(dir, gmt_path(dir, "map.png"), &rc, &secs);
    cr_assert_eq(rc, 1, "exit %d:\n%s", rc, log);
    cr_assert_not_null(strstr(log, "layer gapmap_layer_areas: renderer singleSymbol, but"), "%s", log);
    free(log);
}

/* The sample county's run: the layers it wrote, as the brief for the project
 * wants them, top to bottom. */
static const struct {
    const char *group, *stem;
    bool checked;
    const char *folder;
} sample_tree[] = {
    {"Providers", "providers", true, "shareable"}, {"Providers", "ranking", false, "restricted"},
    {"People", "customers", false, "restricted"},  {"People", "journeys", false, "restricted"},
    {"Gaps", "gaps", true, "shareable"},           {"Gaps", "zones", true, "shareable"},
    {"Access", "coverage", false, "shareable"},    {"Access", "partition", false, "shareable"},
    {"Access", "catchments", false, "shareable"},  {"Base", "boundary", true, "shareable"},
};
#define NSAMPLE (sizeof sample_tree / sizeof *sample_tree)

Test(qgsproj, the_sample_run_writes_a_project_of_every_layer, .init = setup, .fini = teardown, .timeout = 600)
{
    const char *out = gmt_sample_run(GM_TEST_GAPMAP_EXE);
    cr_assert_not_null(out, "gapmap run on the sample failed (log above)");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", out);
    xmlDocPtr d = read_project(dir);
    assert_xs(d, "string(/qgis/title)", "Examplshire day opportunities (sample)");
    cr_assert_eq(xn(d, "count(//layer-tree-layer)"), NSAMPLE);
    cr_assert_eq(xn(d, "count(/qgis/layer-tree-group/layer-tree-group)"), 5);
    for (size_t i = 0; i < NSAMPLE; i++) {
        char expr[256], want[64];
        snprintf(expr, sizeof expr, "string((//layer-tree-layer)[%zu]/@id)", i + 1);
        snprintf(want, sizeof want, "gapmap_layer_%s", sample_tree[i].stem);
        assert_xs(d, expr, want);
        snprintf(expr, sizeof expr, "string((//layer-tree-layer)[%zu]/../@name)", i + 1);
        assert_xs(d, expr, sample_tree[i].group);
        snprintf(expr, sizeof expr, "string((//layer-tree-layer)[%zu]/@checked)", i + 1);
        assert_xs(d, expr, sample_tree[i].checked ? "Qt::Checked" : "Qt::Unchecked");
        snprintf(expr, sizeof expr, "string(/qgis/projectlayers/maplayer[%zu]/datasource)", i + 1);
        snprintf(want, sizeof want, "./%s/%s.geojson", sample_tree[i].folder, sample_tree[i].stem);
        assert_xs(d, expr, want);
        assert_style_copied(d, dir, sample_tree[i].stem);
    }
    /* The layers with a row per person start unchecked: told by their
     * fields, not by the list above. */
    for (size_t i = 0; i < NSAMPLE; i++) {
        char path[4200], val[256];
        snprintf(path, sizeof path, "%s/%s/%s.geojson", dir, sample_tree[i].folder, sample_tree[i].stem);
        GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
        cr_assert_not_null(ds, "%s", path);
        bool personal = OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(GDALDatasetGetLayer(ds, 0)), "customer_id") >= 0;
        GDALClose(ds);
        if (personal) {
            char expr[256];
            snprintf(expr, sizeof expr, "string(//layer-tree-layer[@id='gapmap_layer_%s']/@checked)",
                     sample_tree[i].stem);
            char *c = xs(d, expr);
            snprintf(val, sizeof val, "%s", c);
            free(c);
            cr_assert_str_eq(val, "Qt::Unchecked", "%s holds customers but starts checked", sample_tree[i].stem);
        }
        cr_assert_str_eq(sample_tree[i].folder, personal ? "restricted" : "shareable", "%s", sample_tree[i].stem);
    }
    /* The view holds the county boundary. */
    OGREnvelope e;
    GDALDatasetH ds = GDALOpenEx(gmt_out(dir, "boundary.shp"), GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    cr_assert_not_null(ds);
    cr_assert_eq(OGR_L_GetExtent(GDALDatasetGetLayer(ds, 0), &e, 1), OGRERR_NONE);
    GDALClose(ds);
    cr_assert(xn(d, "number(/qgis/mapcanvas/extent/xmin)") <= e.MinX &&
                  xn(d, "number(/qgis/mapcanvas/extent/ymin)") <= e.MinY &&
                  xn(d, "number(/qgis/mapcanvas/extent/xmax)") >= e.MaxX &&
                  xn(d, "number(/qgis/mapcanvas/extent/ymax)") >= e.MaxY,
              "the view does not hold the county");
    xmlFreeDoc(d);

    /* shareable/gapmap.qgs: the shareable layers alone, beside it, in the
     * same order and groups. */
    char share[4200];
    snprintf(share, sizeof share, "%s/shareable", dir);
    d = read_project(share);
    size_t k = 0;
    for (size_t i = 0; i < NSAMPLE; i++) {
        if (strcmp(sample_tree[i].folder, "shareable"))
            continue;
        char expr[256], want[64];
        k++;
        snprintf(expr, sizeof expr, "string((//layer-tree-layer)[%zu]/@id)", k);
        snprintf(want, sizeof want, "gapmap_layer_%s", sample_tree[i].stem);
        assert_xs(d, expr, want);
        snprintf(expr, sizeof expr, "string(/qgis/projectlayers/maplayer[%zu]/datasource)", k);
        snprintf(want, sizeof want, "./%s.geojson", sample_tree[i].stem);
        assert_xs(d, expr, want);
    }
    cr_assert_eq(xn(d, "count(//layer-tree-layer)"), k);
    cr_assert_eq(k, 7);
    xmlFreeDoc(d);

    /* The manifest accounts for the projects and the boundary layer. */
    cJSON *m = gmt_read_json(gmt_path(dir, "manifest.json"));
    static const char *const files[] = {"gapmap.qgs", "shareable/gapmap.qgs", "shareable/boundary.geojson",
                                        "shareable/boundary.shp", "shareable/boundary.qml"};
    for (size_t k = 0; k < 5; k++) {
        bool found = false;
        const cJSON *o;
        cJSON_ArrayForEach(o, cJSON_GetObjectItem(m, "outputs"))
        {
            const cJSON *p = cJSON_GetObjectItem(o, "path");
            found = found || (cJSON_IsString(p) && !strcmp(p->valuestring, files[k]));
        }
        cr_assert(found, "manifest.json does not list %s", files[k]);
    }
    cJSON_Delete(m);
}

Test(qgsproj, qgis_opens_the_sample_project_moved_elsewhere_and_draws_it, .timeout = 600)
{
    need_qgis();
    const char *out = gmt_sample_run(GM_TEST_GAPMAP_EXE);
    cr_assert_not_null(out, "gapmap run on the sample failed (log above)");
    /* A copy under another name: the project must not need the folder it was
     * written in. */
    char moved[4200], cmd[9000], png[4200];
    snprintf(moved, sizeof moved, "%s/moved county folder", gmt_tmpdir("qgsproj-sample"));
    snprintf(cmd, sizeof cmd, "cp -r '%s' '%s'", out, moved);
    cr_assert_eq(gmt_system(cmd), 0);
    snprintf(png, sizeof png, "%s/sample-project.png", GM_TEST_BINARY_DIR);
    remove(png);
    int rc;
    double secs;
    char *log = project_check(moved, png, &rc, &secs);
    cr_assert_eq(rc, 0, "qgis_project_check.py failed (exit %d):\n%s", rc, log);
    for (size_t i = 0; i < NSAMPLE; i++) {
        char want[128];
        snprintf(want, sizeof want, "tree: %s/gapmap_layer_%s [%s] ", sample_tree[i].group, sample_tree[i].stem,
                 sample_tree[i].checked ? "x" : " ");
        cr_assert_not_null(strstr(log, want), "no '%s' in\n%s", want, log);
    }
    cr_assert_not_null(strstr(log, "rendered 4 checked layers"), "%s", log);
    struct stat st;
    cr_assert(stat(png, &st) == 0 && st.st_size > 10000, "no map at %s", png);
    char *img = gmt_slurp(png, NULL);
    cr_assert(memcmp(img, "\x89PNG", 4) == 0);
    free(img);
    cr_log_info("QGIS opened the sample project from a moved folder (%.1f s); map at %s\n%s", secs, png, log);
    free(log);

    /* The shareable folder handed over on its own opens and draws too. */
    char alone[4300];
    snprintf(alone, sizeof alone, "%s/handed over", gmt_tmpdir("qgsproj-shareable"));
    snprintf(cmd, sizeof cmd, "cp -r '%s/shareable' '%s'", out, alone);
    cr_assert_eq(gmt_system(cmd), 0);
    snprintf(png, sizeof png, "%s/sample-shareable.png", GM_TEST_BINARY_DIR);
    log = project_check(alone, png, &rc, &secs);
    cr_assert_eq(rc, 0, "qgis_project_check.py failed on shareable/ alone (exit %d):\n%s", rc, log);
    cr_assert_not_null(strstr(log, "rendered 4 checked layers"), "%s", log);
    cr_assert_null(strstr(log, "customers"), "%s", log);
    free(log);
}
