/*
 * The run's GeoPackage (engine/io/gpkg.c), written through the vector writer
 * as a run writes it, then read back with GDAL (and SQLite's file header read
 * by hand) and compared with the GeoJSON of the same layers and with the
 * coordinates given.
 *
 * Fixtures (as in test_vwriter.c):
 * - "sites": three points in British National Grid metres; the first is
 *   E 486137 N 308843 (Oakham), with a Welsh w-circumflex in its name and the
 *   int64 2^53 + 1, which a double cannot hold; the second has a null name,
 *   the third a null real.  Field "price_per_day_in_pounds_sterling" has 32
 *   characters: a shapefile would keep 10.
 * - "zones": a 100 m square with a 20 m square hole (area 9600 m2) and a
 *   MultiPolygon of two 10 m squares (200 m2), then a row with no geometry.
 * - "routes": a MultiLineString and an empty line (written as a null one).
 */
#include <criterion/criterion.h>
#include <gdal.h>
#include <geos_c.h>
#include <math.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <cpl_conv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"
#include "geo/geoctx.h"
#include "io/gpkg.h"
#include "io/vwriter.h"
#include "testutil.h"

#define WELSH "Canolfan Dydd Glynd\xc5\xb5r" /* Glyndŵr */
#define BIG_INT INT64_C(9007199254740993)     /* 2^53 + 1 */
#define LONG_NAME "price_per_day_in_pounds_sterling"

static const gm__field_def site_fields[] = {
    {"name", GM__FT_STRING, 0},
    {"places_used", GM__FT_INT, 0},
    {LONG_NAME, GM__FT_REAL, 2},
};
static const gm__layer_def sites = {"sites", GM__GT_POINT, 3, site_fields, "Day centres in Rutland"};

static const gm__field_def zone_fields[] = {
    {"zone", GM__FT_STRING, 0},
    {"area_m2", GM__FT_REAL, 1},
};
static const gm__layer_def zones = {"zones", GM__GT_POLYGON, 2, zone_fields, NULL};
static const gm__layer_def routes = {"routes", GM__GT_LINE, 0, NULL, "Routes"};

static const char *const SQUARE_WITH_HOLE =
    "POLYGON((486000 308000, 486100 308000, 486100 308100, 486000 308100, 486000 308000),"
    " (486020 308020, 486020 308040, 486040 308040, 486040 308020, 486020 308020))";
static const char *const TWO_SQUARES =
    "MULTIPOLYGON(((487000 309000, 487010 309000, 487010 309010, 487000 309010, 487000 309000)),"
    " ((487100 309000, 487100 309010, 487110 309010, 487110 309000, 487100 309000)))";

static const double SITE_XY[3][2] = {{486137, 308843}, {486500.25, 309000.5}, {487000, 308000}};

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

static GEOSGeometry *wkt(const char *text)
{
    GEOSContextHandle_t h = gm__geos(ctx);
    GEOSWKTReader *r = GEOSWKTReader_create_r(h);
    GEOSGeometry *g = GEOSWKTReader_read_r(h, r, text);
    GEOSWKTReader_destroy_r(h, r);
    cr_assert_not_null(g, "bad fixture WKT %s", text);
    return g;
}

static gm_status write_sites(const char *dir, unsigned formats)
{
    gm__vwriter *w = NULL;
    gm_status st = gm__vwriter_open(ctx, dir, &sites, formats, &w);
    if (st != GM_OK)
        return st;
    const gm__value rows[3][3] = {
        {{.s = WELSH}, {.i = BIG_INT}, {.d = 57.25}},
        {{.is_null = true}, {.i = -42}, {.d = 0.1}},
        {{.s = "Oakham Day Centre"}, {.i = 7}, {.is_null = true}},
    };
    for (int i = 0; i < 3; i++)
        if ((st = gm__vwriter_add_point(w, rows[i], SITE_XY[i][0], SITE_XY[i][1])) != GM_OK) {
            gm__vwriter_abort(w);
            return st;
        }
    return gm__vwriter_close(w);
}

static gm_status write_zones(const char *dir, unsigned formats)
{
    GEOSContextHandle_t h = gm__geos(ctx);
    GEOSGeometry *g[3] = {wkt(SQUARE_WITH_HOLE), wkt(TWO_SQUARES), NULL};
    const gm__value rows[3][2] = {
        {{.s = "holed"}, {.d = 9600}},
        {{.s = "pair"}, {.d = 200}},
        {{.s = "nowhere"}, {.is_null = true}},
    };
    gm__vwriter *w = NULL;
    gm_status st = gm__vwriter_open(ctx, dir, &zones, formats, &w);
    for (int i = 0; st == GM_OK && i < 3; i++)
        if ((st = gm__vwriter_add_geos(w, rows[i], g[i])) != GM_OK)
            gm__vwriter_abort(w);
    if (st == GM_OK)
        st = gm__vwriter_close(w);
    GEOSGeom_destroy_r(h, g[0]);
    GEOSGeom_destroy_r(h, g[1]);
    return st;
}

static gm_status write_routes(const char *dir, unsigned formats)
{
    GEOSContextHandle_t h = gm__geos(ctx);
    GEOSGeometry *g[2] = {wkt("MULTILINESTRING((0 0, 10 0), (0 5, 10 5, 10 15))"),
                          wkt("LINESTRING EMPTY")};
    gm__vwriter *w = NULL;
    gm_status st = gm__vwriter_open(ctx, dir, &routes, formats, &w);
    for (int i = 0; st == GM_OK && i < 2; i++)
        if ((st = gm__vwriter_add_geos(w, NULL, g[i])) != GM_OK)
            gm__vwriter_abort(w);
    if (st == GM_OK)
        st = gm__vwriter_close(w);
    GEOSGeom_destroy_r(h, g[0]);
    GEOSGeom_destroy_r(h, g[1]);
    return st;
}

/* A run's worth: a session on dir with sites, zones and routes, published. */
static gm_status write_all(const char *dir, unsigned formats)
{
    gm__gpkg *g = NULL;
    gm_status st = gm__gpkg_begin(ctx, dir, &g);
    if (st == GM_OK)
        st = write_sites(dir, formats);
    if (st == GM_OK)
        st = write_zones(dir, formats);
    if (st == GM_OK)
        st = write_routes(dir, formats);
    if (st == GM_OK)
        return gm__gpkg_commit(g, NULL);
    gm__gpkg_abort(g);
    return st;
}

static GDALDatasetH open_gpkg(const char *dir)
{
    const char *const drivers[] = {"GPKG", NULL};
    GDALDatasetH ds = GDALOpenEx(gmt_path(dir, "gapmap.gpkg"), GDAL_OF_VECTOR | GDAL_OF_READONLY,
                                 drivers, NULL, NULL);
    cr_assert_not_null(ds, "GDAL cannot open %s/gapmap.gpkg", dir);
    return ds;
}

static OGRLayerH table(GDALDatasetH ds, const char *name)
{
    OGRLayerH l = GDALDatasetGetLayerByName(ds, name);
    cr_assert_not_null(l, "no table %s", name);
    return l;
}

/* One number from SQL run by GDAL's SQLite dialect on the GeoPackage. */
static long sql_long(GDALDatasetH ds, const char *sql)
{
    OGRLayerH r = GDALDatasetExecuteSQL(ds, sql, NULL, NULL);
    cr_assert_not_null(r, "%s", sql);
    OGRFeatureH f = OGR_L_GetNextFeature(r);
    cr_assert_not_null(f, "%s gave no row", sql);
    long v = (long)OGR_F_GetFieldAsInteger64(f, 0);
    OGR_F_Destroy(f);
    GDALDatasetReleaseResultSet(ds, r);
    return v;
}

static char *sql_text(GDALDatasetH ds, const char *sql)
{
    OGRLayerH r = GDALDatasetExecuteSQL(ds, sql, NULL, NULL);
    cr_assert_not_null(r, "%s", sql);
    OGRFeatureH f = OGR_L_GetNextFeature(r);
    cr_assert_not_null(f, "%s gave no row", sql);
    char *v = strdup(OGR_F_IsFieldSetAndNotNull(f, 0) ? OGR_F_GetFieldAsString(f, 0) : "(null)");
    OGR_F_Destroy(f);
    GDALDatasetReleaseResultSet(ds, r);
    return v;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* ---- the tests ------------------------------------------------------------ */

Test(gpkg, a_layer_holds_the_same_features_and_values_as_its_geojson, .init = setup, .fini = teardown)
{
    const char *tmp = gmt_tmpdir("gpkg-same");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", tmp);
    cr_assert_eq(write_all(dir, GM__FMT_GEOJSON | GM__FMT_GPKG), GM_OK, "%s", gm_ctx_errmsg(ctx));

    const char *layers[] = {"sites", "zones", "routes"};
    GDALDatasetH gp = open_gpkg(dir);
    for (int k = 0; k < 3; k++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s.geojson", dir, layers[k]);
        GDALDatasetH gj = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
        cr_assert_not_null(gj, "%s", path);
        OGRLayerH a = GDALDatasetGetLayer(gj, 0), b = table(gp, layers[k]);
        OGRFeatureDefnH da = OGR_L_GetLayerDefn(a), db = OGR_L_GetLayerDefn(b);
        cr_assert_eq(OGR_L_GetFeatureCount(a, 1), OGR_L_GetFeatureCount(b, 1), "%s", layers[k]);
        cr_assert_eq(OGR_FD_GetFieldCount(da), OGR_FD_GetFieldCount(db), "%s", layers[k]);
        OGR_L_ResetReading(a);
        OGR_L_ResetReading(b);
        for (OGRFeatureH fa; (fa = OGR_L_GetNextFeature(a));) {
            OGRFeatureH fb = OGR_L_GetNextFeature(b);
            cr_assert_not_null(fb);
            for (int i = 0; i < OGR_FD_GetFieldCount(da); i++) {
                OGRFieldDefnH fd = OGR_FD_GetFieldDefn(da, i);
                const char *name = OGR_Fld_GetNameRef(fd);
                int j = OGR_FD_GetFieldIndex(db, name);
                cr_assert_geq(j, 0, "%s: no field %s in the GeoPackage", layers[k], name);
                cr_assert_eq(OGR_Fld_GetType(OGR_FD_GetFieldDefn(db, j)), OGR_Fld_GetType(fd),
                             "%s.%s type", layers[k], name);
                bool na = !OGR_F_IsFieldSetAndNotNull(fa, i), nb = !OGR_F_IsFieldSetAndNotNull(fb, j);
                cr_assert_eq(na, nb, "%s.%s null in one only", layers[k], name);
                if (na)
                    continue;
                switch (OGR_Fld_GetType(fd)) {
                case OFTInteger64:
                    cr_assert_eq(OGR_F_GetFieldAsInteger64(fa, i), OGR_F_GetFieldAsInteger64(fb, j));
                    break;
                case OFTReal:
                    cr_assert_eq(OGR_F_GetFieldAsDouble(fa, i), OGR_F_GetFieldAsDouble(fb, j),
                                 "%s.%s: the double itself", layers[k], name);
                    break;
                default:
                    cr_assert_str_eq(OGR_F_GetFieldAsString(fa, i), OGR_F_GetFieldAsString(fb, j));
                }
            }
            /* The same place: the GeoJSON's WGS84 is the GeoPackage's BNG
             * reprojected and rounded to 7 decimals (1e-7 degree). */
            OGRGeometryH ga = OGR_F_GetGeometryRef(fa), gb = OGR_F_GetGeometryRef(fb);
            cr_assert_eq(ga == NULL, gb == NULL, "%s: null geometry in one only", layers[k]);
            if (ga) {
                OGRGeometryH c = OGR_G_Clone(gb);
                cr_assert_eq(OGR_G_TransformTo(c, OGR_L_GetSpatialRef(a)), OGRERR_NONE);
                OGRGeometryH ca = OGR_G_CreateGeometry(wkbPoint), cb = OGR_G_CreateGeometry(wkbPoint);
                cr_assert_eq(OGR_G_Centroid(ga, ca), OGRERR_NONE);
                cr_assert_eq(OGR_G_Centroid(c, cb), OGRERR_NONE);
                cr_assert_float_eq(OGR_G_GetX(ca, 0), OGR_G_GetX(cb, 0), 2e-7, "%s", layers[k]);
                cr_assert_float_eq(OGR_G_GetY(ca, 0), OGR_G_GetY(cb, 0), 2e-7, "%s", layers[k]);
                OGR_G_DestroyGeometry(ca);
                OGR_G_DestroyGeometry(cb);
                OGR_G_DestroyGeometry(c);
            }
            OGR_F_Destroy(fa);
            OGR_F_Destroy(fb);
        }
        GDALClose(gj);
    }
    GDALClose(gp);
}

Test(gpkg, coordinates_are_the_working_crs_as_given, .init = setup, .fini = teardown)
{
    const char *dir = gmt_tmpdir("gpkg-crs");
    cr_assert_eq(write_all(dir, GM__FMT_GPKG), GM_OK, "%s", gm_ctx_errmsg(ctx));
    cr_assert_str_eq(gmt_listing(dir), "gapmap.gpkg", "a GeoPackage alone, no temporary");
    GDALDatasetH ds = open_gpkg(dir);
    OGRLayerH l = table(ds, "sites");
    OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(l);
    cr_assert_not_null(srs);
    cr_assert_str_eq(OSRGetAuthorityName(srs, NULL), "EPSG");
    cr_assert_str_eq(OSRGetAuthorityCode(srs, NULL), "27700");
    cr_assert_eq(sql_long(ds, "SELECT srs_id FROM gpkg_geometry_columns WHERE table_name = 'zones'"), 27700);
    OGR_L_ResetReading(l);
    for (int i = 0; i < 3; i++) {
        OGRFeatureH f = OGR_L_GetNextFeature(l);
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        cr_assert_eq(OGR_G_GetX(g, 0), SITE_XY[i][0], "exact: no reprojection, no rounding");
        cr_assert_eq(OGR_G_GetY(g, 0), SITE_XY[i][1]);
        OGR_F_Destroy(f);
    }
    /* polygons: one declared type, MultiPolygon; the holed square keeps its 9600 m2 */
    l = table(ds, "zones");
    cr_assert_eq(OGR_L_GetGeomType(l), wkbMultiPolygon);
    OGR_L_ResetReading(l);
    OGRFeatureH f = OGR_L_GetNextFeature(l);
    cr_assert_eq(wkbFlatten(OGR_G_GetGeometryType(OGR_F_GetGeometryRef(f))), wkbMultiPolygon);
    cr_assert_float_eq(OGR_G_Area(OGR_F_GetGeometryRef(f)), 9600.0, 1e-9);
    OGR_F_Destroy(f);
    f = OGR_L_GetNextFeature(l);
    cr_assert_float_eq(OGR_G_Area(OGR_F_GetGeometryRef(f)), 200.0, 1e-9);
    OGR_F_Destroy(f);
    cr_assert_eq(OGR_L_GetGeomType(table(ds, "routes")), wkbMultiLineString);
    GDALClose(ds);
}

Test(gpkg, field_names_types_and_nulls_are_kept_whole, .init = setup, .fini = teardown)
{
    const char *dir = gmt_tmpdir("gpkg-fields");
    cr_assert_eq(write_all(dir, GM__FMT_GPKG | GM__FMT_SHAPEFILE), GM_OK, "%s", gm_ctx_errmsg(ctx));
    GDALDatasetH ds = open_gpkg(dir);
    OGRLayerH l = table(ds, "sites");
    OGRFeatureDefnH d = OGR_L_GetLayerDefn(l);
    cr_assert_eq(OGR_FD_GetFieldCount(d), 3);
    static const char *const names[] = {"name", "places_used", LONG_NAME};
    static const OGRFieldType types[] = {OFTString, OFTInteger64, OFTReal};
    for (int i = 0; i < 3; i++) {
        cr_assert_str_eq(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(d, i)), names[i]);
        cr_assert_eq(OGR_Fld_GetType(OGR_FD_GetFieldDefn(d, i)), types[i], "%s", names[i]);
    }
    OGR_L_ResetReading(l);
    OGRFeatureH f = OGR_L_GetNextFeature(l);
    cr_assert_str_eq(OGR_F_GetFieldAsString(f, 0), WELSH);
    cr_assert_eq(OGR_F_GetFieldAsInteger64(f, 1), BIG_INT, "int64 exact");
    cr_assert_eq(OGR_F_GetFieldAsDouble(f, 2), 57.25);
    OGR_F_Destroy(f);
    f = OGR_L_GetNextFeature(l);
    cr_assert(OGR_F_IsFieldNull(f, 0), "the second name is NULL");
    cr_assert_eq(OGR_F_GetFieldAsDouble(f, 2), 0.1, "the double as given, not the DBF's 2 decimals");
    OGR_F_Destroy(f);
    f = OGR_L_GetNextFeature(l);
    cr_assert(OGR_F_IsFieldNull(f, 2), "the third real is NULL");
    OGR_F_Destroy(f);
    /* a null geometry keeps its row, in both geometry layers */
    cr_assert_eq(sql_long(ds, "SELECT COUNT(*) FROM zones WHERE geom IS NULL AND zone = 'nowhere'"), 1);
    cr_assert_eq(sql_long(ds, "SELECT COUNT(*) FROM zones WHERE area_m2 IS NULL"), 1);
    cr_assert_eq(sql_long(ds, "SELECT COUNT(*) FROM routes WHERE geom IS NULL"), 1);
    cr_assert_eq(sql_long(ds, "SELECT COUNT(*) FROM routes"), 2);
    GDALClose(ds);
}

Test(gpkg, several_layers_share_one_valid_file_with_descriptions_and_spatial_indexes, .init = setup,
     .fini = teardown)
{
    const char *tmp = gmt_tmpdir("gpkg-several");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", tmp);
    cr_assert_eq(write_all(dir, GM__FMT_GPKG), GM_OK, "%s", gm_ctx_errmsg(ctx));

    /* SQLite's header, read by hand: bytes 68-71 are the application id,
     * "GPKG" (GeoPackage 1.2 requirement 2), 60-63 the user_version 10200+. */
    size_t n = 0;
    unsigned char *head = (unsigned char *)gmt_slurp(gmt_path(dir, "gapmap.gpkg"), &n);
    cr_assert(head && n >= 100);
    cr_assert(!memcmp(head, "SQLite format 3", 16));
    cr_assert_eq(be32(head + 68), 0x47504B47u, "application id 'GPKG'");
    cr_assert_geq(be32(head + 60), 10200u, "GeoPackage 1.2 or later");
    free(head);

    GDALDatasetH ds = open_gpkg(dir);
    cr_assert_str_eq(GDALGetDriverShortName(GDALGetDatasetDriver(ds)), "GPKG");
    cr_assert_eq(GDALDatasetGetLayerCount(ds), 3);
    static const char *const order[] = {"sites", "zones", "routes"};
    for (int i = 0; i < 3; i++)
        cr_assert_str_eq(OGR_L_GetName(GDALDatasetGetLayer(ds, i)), order[i], "tables in the order written");
    const char *desc = GDALGetMetadataItem((GDALMajorObjectH)table(ds, "sites"), "DESCRIPTION", NULL);
    cr_assert(desc && !strcmp(desc, "Day centres in Rutland"), "description '%s'", desc ? desc : "(none)");
    char *id = sql_text(ds, "SELECT identifier FROM gpkg_contents WHERE table_name = 'zones'");
    cr_assert_str_eq(id, "zones");
    free(id);
    char *zdesc = sql_text(ds, "SELECT description FROM gpkg_contents WHERE table_name = 'zones'");
    cr_assert(!strcmp(zdesc, "") || !strcmp(zdesc, "(null)"), "no title, no description: '%s'", zdesc);
    free(zdesc);
    /* An R*Tree per geometry table holding every non-null geometry. */
    cr_assert_eq(sql_long(ds, "SELECT COUNT(*) FROM gpkg_extensions WHERE extension_name = "
                              "'gpkg_rtree_index'"),
                 3);
    cr_assert_eq(sql_long(ds, "SELECT COUNT(*) FROM rtree_sites_geom"), 3);
    cr_assert_eq(sql_long(ds, "SELECT COUNT(*) FROM rtree_zones_geom"), 2);
    cr_assert_eq(sql_long(ds, "SELECT COUNT(*) FROM rtree_routes_geom"), 1);
    cr_assert(OGR_L_TestCapability(table(ds, "zones"), OLCFastSpatialFilter), "GDAL sees the index");
    GDALClose(ds);
    /* SQLite's own checks, through its command-line shell when there is one. */
    if (gmt_system("command -v sqlite3 >/dev/null 2>&1") == 0) {
        char cmd[8192];
        snprintf(cmd, sizeof cmd,
                 "test \"$(sqlite3 '%s/gapmap.gpkg' 'PRAGMA integrity_check; PRAGMA foreign_key_check;')\" = ok",
                 dir);
        cr_assert_eq(gmt_system(cmd), 0, "integrity_check failed");
    }
}

Test(gpkg, tables_without_geometry_are_geopackage_only, .init = setup, .fini = teardown)
{
    static const gm__field_def fields[] = {{"provider", GM__FT_STRING, 0}, {"weekly_spend", GM__FT_REAL, 2}};
    static const gm__layer_def spend = {"spend", GM__GT_NONE, 2, fields, "Spend by provider"};
    const char *tmp = gmt_tmpdir("gpkg-none");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", tmp);
    gm__gpkg *g = NULL;
    cr_assert_eq(gm__gpkg_begin(ctx, dir, &g), GM_OK, "%s", gm_ctx_errmsg(ctx));
    gm__vwriter *w = NULL;
    cr_assert_eq(gm__vwriter_open(ctx, dir, &spend, GM__FMT_GPKG | GM__FMT_GEOJSON, &w), GM_E_ARG);
    cr_assert(strstr(gm_ctx_errmsg(ctx), "spend") && strstr(gm_ctx_errmsg(ctx), "GeoPackage"), "%s",
              gm_ctx_errmsg(ctx));
    cr_assert_eq(gm__vwriter_open(ctx, dir, &spend, GM__FMT_GPKG, &w), GM_OK, "%s", gm_ctx_errmsg(ctx));
    const gm__value rows[2][2] = {{{.s = "Oakham"}, {.d = 600}}, {{.s = "Uppingham"}, {.is_null = true}}};
    cr_assert_eq(gm__vwriter_add_point(w, rows[0], 1, 2), GM_E_ARG, "a table takes no points");
    cr_assert_eq(gm__vwriter_add_geos(w, rows[0], NULL), GM_OK, "%s", gm_ctx_errmsg(ctx));
    cr_assert_eq(gm__vwriter_add_geos(w, rows[1], NULL), GM_OK, "%s", gm_ctx_errmsg(ctx));
    cr_assert_eq(gm__vwriter_close(w), GM_OK, "%s", gm_ctx_errmsg(ctx));
    bool published = false;
    cr_assert_eq(gm__gpkg_commit(g, &published), GM_OK, "%s", gm_ctx_errmsg(ctx));
    cr_assert(published);
    GDALDatasetH ds = open_gpkg(dir);
    OGRLayerH l = table(ds, "spend");
    cr_assert_eq(OGR_L_GetGeomType(l), wkbNone);
    cr_assert_eq(OGR_L_GetFeatureCount(l, 1), 2);
    char *type = sql_text(ds, "SELECT data_type FROM gpkg_contents WHERE table_name = 'spend'");
    cr_assert_str_eq(type, "attributes");
    free(type);
    cr_assert_eq(sql_long(ds, "SELECT COUNT(*) FROM spend WHERE weekly_spend IS NULL"), 1);
    GDALClose(ds);
}

Test(gpkg, nothing_is_published_until_the_run_commits, .init = setup, .fini = teardown)
{
    const char *tmp = gmt_tmpdir("gpkg-atomic");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", tmp);

    /* While the run writes, only the hidden temporary exists. */
    gm__gpkg *g = NULL;
    cr_assert_eq(gm__gpkg_begin(ctx, dir, &g), GM_OK, "%s", gm_ctx_errmsg(ctx));
    cr_assert_eq(write_sites(dir, GM__FMT_GPKG), GM_OK, "%s", gm_ctx_errmsg(ctx));
    cr_assert_str_eq(gmt_listing(dir), ".gapmap.tmp.gpkg");
    /* A run that fails after some layers: nothing, not even the temporary. */
    gm__gpkg_abort(g);
    cr_assert_str_eq(gmt_listing(dir), "");
    gm__gpkg_abort(NULL);

    /* A layer that fails in the middle is taken out; the rest is published. */
    cr_assert_eq(gm__gpkg_begin(ctx, dir, &g), GM_OK, "%s", gm_ctx_errmsg(ctx));
    cr_assert_eq(write_sites(dir, GM__FMT_GPKG | GM__FMT_GEOJSON), GM_OK, "%s", gm_ctx_errmsg(ctx));
    gm__vwriter *w = NULL;
    GEOSGeometry *sq = wkt(SQUARE_WITH_HOLE);
    const gm__value row[2] = {{.s = "holed"}, {.d = 9600}};
    cr_assert_eq(gm__vwriter_open(ctx, dir, &zones, GM__FMT_GPKG | GM__FMT_GEOJSON, &w), GM_OK);
    cr_assert_eq(gm__vwriter_add_geos(w, row, sq), GM_OK, "%s", gm_ctx_errmsg(ctx));
    gm__vwriter_abort(w);
    GEOSGeom_destroy_r(gm__geos(ctx), sq);
    bool published = false;
    cr_assert_eq(gm__gpkg_commit(g, &published), GM_OK, "%s", gm_ctx_errmsg(ctx));
    cr_assert(published);
    cr_assert_str_eq(gmt_listing(dir), "gapmap.gpkg sites.geojson");
    GDALDatasetH ds = open_gpkg(dir);
    cr_assert_eq(GDALDatasetGetLayerCount(ds), 1, "the abandoned zones table is gone");
    cr_assert_null(GDALDatasetGetLayerByName(ds, "zones"));
    GDALClose(ds);

    /* A stale temporary and journal of a killed run are replaced, not
     * played back into the new file. */
    gmt_write(dir, ".gapmap.tmp.gpkg", "not a database");
    gmt_write(dir, ".gapmap.tmp.gpkg-journal", "not a journal");
    cr_assert_eq(write_all(dir, GM__FMT_GPKG), GM_OK, "%s", gm_ctx_errmsg(ctx));
    cr_assert_str_eq(gmt_listing(dir), "gapmap.gpkg sites.geojson");
    ds = open_gpkg(dir);
    cr_assert_eq(GDALDatasetGetLayerCount(ds), 3, "the new run's tables replace the old file");
    GDALClose(ds);

    /* A session that received no table publishes nothing (gapmap matrix). */
    const char *tmp2 = gmt_tmpdir("gpkg-empty");
    char empty[4096];
    snprintf(empty, sizeof empty, "%s", tmp2);
    cr_assert_eq(gm__gpkg_begin(ctx, empty, &g), GM_OK);
    published = true;
    cr_assert_eq(gm__gpkg_commit(g, &published), GM_OK, "%s", gm_ctx_errmsg(ctx));
    cr_assert_not(published);
    cr_assert_str_eq(gmt_listing(empty), "");
}

Test(gpkg, allocation_failures_return_nomem_and_leave_no_geopackage, .init = setup, .fini = teardown)
{
    const char *tmp = gmt_tmpdir("gpkg-nomem");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", tmp);
    gm__geos(ctx); /* the context's, not part of the walk */
    int failures = 0;
    long n;
    for (n = 0; n < 100000; n++) {
        gm__alloc_fail_after(n);
        gm_status st = write_all(dir, GM__FMT_GPKG | GM__FMT_GEOJSON);
        gm__alloc_fail_after(-1);
        if (st == GM_OK)
            break;
        cr_assert_eq(st, GM_E_NOMEM, "allocation %ld: %s (%s)", n, gm_status_name(st), gm_ctx_errmsg(ctx));
        cr_assert_null(ctx->gpkg[0], "allocation %ld: the session is detached", n);
        const char *list = gmt_listing(dir);
        cr_assert_null(strstr(list, "gpkg"), "allocation %ld left %s", n, list);
        failures++;
    }
    cr_assert_gt(failures, 10, "the walk covered the session's allocations");
    cr_assert_not_null(strstr(gmt_listing(dir), "gapmap.gpkg"));
}

Test(gpkg, two_writes_give_identical_bytes_and_a_fixed_date, .init = setup, .fini = teardown)
{
    char a[4200], b[4200];
    snprintf(a, sizeof a, "%s", gmt_tmpdir("gpkg-det-a"));
    snprintf(b, sizeof b, "%s", gmt_tmpdir("gpkg-det-b"));
    /* the caller's own thread-local date survives */
    CPLSetThreadLocalConfigOption("OGR_CURRENT_DATE", "2011-11-11T11:11:11Z");
    cr_assert_eq(write_all(a, GM__FMT_GPKG), GM_OK, "%s", gm_ctx_errmsg(ctx));
    cr_assert_str_eq(CPLGetThreadLocalConfigOption("OGR_CURRENT_DATE", ""), "2011-11-11T11:11:11Z");
    CPLSetThreadLocalConfigOption("OGR_CURRENT_DATE", NULL);
    sleep(1); /* were the clock written, the second file would differ */
    cr_assert_eq(write_all(b, GM__FMT_GPKG), GM_OK, "%s", gm_ctx_errmsg(ctx));
    size_t la = 0, lb = 0;
    char *da = gmt_slurp(gmt_path(a, "gapmap.gpkg"), &la);
    char *db = gmt_slurp(gmt_path(b, "gapmap.gpkg"), &lb);
    cr_assert(da && db);
    cr_assert_eq(la, lb, "sizes differ");
    cr_assert(memcmp(da, db, la) == 0, "gapmap.gpkg differs between two writes");
    free(da);
    free(db);
    GDALDatasetH ds = open_gpkg(b);
    cr_assert_eq(sql_long(ds, "SELECT COUNT(*) FROM gpkg_contents"), 3);
    cr_assert_eq(sql_long(ds, "SELECT COUNT(*) FROM gpkg_contents WHERE last_change = '" GM__GPKG_DATE "'"), 3);
    GDALClose(ds);
}

Test(gpkg, misuse_is_refused_with_a_message, .init = setup, .fini = teardown)
{
    const char *tmp = gmt_tmpdir("gpkg-misuse");
    char dir[4096], other[4200];
    snprintf(dir, sizeof dir, "%s", tmp);
    snprintf(other, sizeof other, "%s/other", dir);
    cr_assert_eq(mkdir(other, 0755), 0);
    gm__vwriter *w = NULL;
    /* no session */
    cr_assert_eq(gm__vwriter_open(ctx, dir, &sites, GM__FMT_GPKG | GM__FMT_GEOJSON, &w), GM_E_ARG);
    cr_assert(strstr(gm_ctx_errmsg(ctx), "gapmap.gpkg") && strstr(gm_ctx_errmsg(ctx), dir), "%s",
              gm_ctx_errmsg(ctx));
    cr_assert_str_eq(gmt_listing(dir), "other", "the GeoJSON's temporary is removed too");
    gm__gpkg *g = NULL, *g2 = NULL, *g3 = NULL;
    cr_assert_eq(gm__gpkg_begin(ctx, dir, &g), GM_OK);
    /* a second session on the same folder; one on another folder is fine
     * (shareable/ and restricted/), a third is not */
    cr_assert_eq(gm__gpkg_begin(ctx, dir, &g2), GM_E_ARG);
    cr_assert_null(g2);
    cr_assert(strstr(gm_ctx_errmsg(ctx), "already"), "%s", gm_ctx_errmsg(ctx));
    cr_assert_eq(gm__vwriter_open(ctx, other, &sites, GM__FMT_GPKG, &w), GM_E_ARG);
    cr_assert_eq(gm__gpkg_begin(ctx, other, &g2), GM_OK, "%s", gm_ctx_errmsg(ctx));
    char third[4300];
    snprintf(third, sizeof third, "%s/third", other);
    cr_assert_eq(mkdir(third, 0755), 0);
    cr_assert_eq(gm__gpkg_begin(ctx, third, &g3), GM_E_ARG);
    cr_assert_null(g3);
    cr_assert_eq(gm__gpkg_of(ctx, other), g2);
    cr_assert_eq(gm__gpkg_of(ctx, dir), g);
    gm__gpkg_abort(g2);
    cr_assert_null(ctx->gpkg[1]);
    cr_assert_null(gm__gpkg_of(ctx, other));
    cr_assert_eq(rmdir(third), 0);
    /* two tables at once */
    gm__vwriter *w1 = NULL, *w2 = NULL;
    cr_assert_eq(gm__vwriter_open(ctx, dir, &sites, GM__FMT_GPKG, &w1), GM_OK);
    cr_assert_eq(gm__vwriter_open(ctx, dir, &zones, GM__FMT_GPKG, &w2), GM_E_ARG);
    cr_assert(strstr(gm_ctx_errmsg(ctx), "sites"), "%s", gm_ctx_errmsg(ctx));
    /* committing with a table open publishes nothing */
    cr_assert_eq(gm__gpkg_commit(g, NULL), GM_E_ARG);
    cr_assert(strstr(gm_ctx_errmsg(ctx), "sites"), "%s", gm_ctx_errmsg(ctx));
    const gm__value row[3] = {{.s = "x"}, {.i = 1}, {.d = 2}};
    cr_assert_eq(gm__vwriter_add_point(w1, row, 1, 2), GM_E_ARG, "its session is gone");
    gm__vwriter_abort(w1);
    cr_assert_null(ctx->gpkg[0]);
    cr_assert_str_eq(gmt_listing(dir), "other");
    /* a folder that is not there */
    char missing[4300];
    snprintf(missing, sizeof missing, "%s/no/such", dir);
    cr_assert_eq(gm__gpkg_begin(ctx, missing, &g), GM_E_IO);
    cr_assert(strstr(gm_ctx_errmsg(ctx), missing), "%s", gm_ctx_errmsg(ctx));
    /* the temporary's name taken by a folder: GDAL cannot create it */
    char blocked[4300];
    snprintf(blocked, sizeof blocked, "%s/.gapmap.tmp.gpkg", other);
    cr_assert_eq(mkdir(blocked, 0755), 0);
    cr_assert_eq(gm__gpkg_begin(ctx, other, &g), GM_E_IO);
    cr_assert(strstr(gm_ctx_errmsg(ctx), blocked), "%s", gm_ctx_errmsg(ctx));
    cr_assert_null(ctx->gpkg[0]);
}

Test(gpkg, a_layer_written_twice_is_replaced, .init = setup, .fini = teardown)
{
    const char *tmp = gmt_tmpdir("gpkg-twice");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", tmp);
    gm__gpkg *g = NULL;
    cr_assert_eq(gm__gpkg_begin(ctx, dir, &g), GM_OK);
    cr_assert_eq(write_sites(dir, GM__FMT_GPKG), GM_OK, "%s", gm_ctx_errmsg(ctx));
    cr_assert_eq(write_zones(dir, GM__FMT_GPKG), GM_OK, "%s", gm_ctx_errmsg(ctx));
    cr_assert_eq(write_sites(dir, GM__FMT_GPKG), GM_OK, "%s", gm_ctx_errmsg(ctx));
    cr_assert_eq(gm__gpkg_commit(g, NULL), GM_OK, "%s", gm_ctx_errmsg(ctx));
    GDALDatasetH ds = open_gpkg(dir);
    cr_assert_eq(GDALDatasetGetLayerCount(ds), 2);
    cr_assert_eq(OGR_L_GetFeatureCount(table(ds, "sites"), 1), 3);
    cr_assert_eq(sql_long(ds, "SELECT COUNT(*) FROM rtree_sites_geom"), 3);
    GDALClose(ds);
}
