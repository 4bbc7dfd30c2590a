/*
 * Vector writer: layers written as GeoJSON and shapefile, then read back
 * independently (GDAL's own readers, and shapelib for ring order) and checked
 * against values worked out by hand or with another tool.
 *
 * Fixtures:
 * - "sites": three points.  The first is E 486137 N 308843 (Oakham, Rutland);
 *   `echo 486137 308843 | cs2cs -f %.7f EPSG:27700 EPSG:4326` gives
 *   52.6704618 -0.7276111 (cs2cs prints lat first), so the RFC 7946 GeoJSON
 *   must hold [-0.7276111, 52.6704618], lon first.  (That is PROJ's default
 *   OSGB36 -> WGS 84 Helmert, EPSG accuracy 2 m; with the OSTN15 grid installed
 *   PROJ would move it by up to 2 m, so positions are compared to 3e-5 degree,
 *   which still catches a swapped axis or a missing datum shift of ~100 m.)
 *   Its name has a Welsh w-circumflex
 *   (2 bytes in UTF-8: 22 bytes for 21 characters) and its int64 is 2^53 + 1,
 *   which a double cannot hold.  The second has a null name, the third a null
 *   real.
 * - "zones": a 100 m square with a 20 m square hole (area 9600 m2), given with
 *   the outer ring counter-clockwise and the hole clockwise, the opposite of
 *   what a shapefile wants; and a two-square MultiPolygon.
 */
#include <criterion/criterion.h>
#include <gdal.h>
#include <geos_c.h>
#include <math.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <shapefil.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"
#include "geo/geoctx.h"
#include "io/vwriter.h"
#include "testutil.h"

#define WELSH "Canolfan Dydd Glynd\xc5\xb5r" /* Glyndŵr */
#define BIG_INT INT64_C(9007199254740993)     /* 2^53 + 1 */

static const gm__field_def site_fields[] = {
    {"name", GM__FT_STRING, 0},
    {"places_used", GM__FT_INT, 0},   /* 11 characters: fitted to places_use */
    {"price_per_day", GM__FT_REAL, 2}, /* fitted to price_per_ */
};
static const gm__layer_def sites = {"sites", GM__GT_POINT, 3, site_fields};

static const gm__field_def zone_fields[] = {
    {"zone", GM__FT_STRING, 0},
    {"area_m2", GM__FT_REAL, 1},
};
static const gm__layer_def zones = {"zones", GM__GT_POLYGON, 2, zone_fields};

/* outer ring counter-clockwise, hole clockwise: both wrong for a shapefile */
static const char *const SQUARE_WITH_HOLE =
    "POLYGON((486000 308000, 486100 308000, 486100 308100, 486000 308100, 486000 308000),"
    " (486020 308020, 486020 308040, 486040 308040, 486040 308020, 486020 308020))";
static const char *const TWO_SQUARES =
    "MULTIPOLYGON(((487000 309000, 487010 309000, 487010 309010, 487000 309010, 487000 309000)),"
    " ((487100 309000, 487100 309010, 487110 309010, 487110 309000, 487100 309000)))";

static gm_ctx *ctx;

static void setup(void)
{
    cr_assert_eq(gm_ctx_new(&ctx), GM_OK);
    GDALAllRegister();
}

static void teardown(void)
{
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
    const double xy[3][2] = {{486137, 308843}, {486500, 309000}, {487000, 308000}};
    for (int i = 0; i < 3; i++) {
        if ((st = gm__vwriter_add_point(w, rows[i], xy[i][0], xy[i][1])) != GM_OK) {
            gm_status again = gm__vwriter_close(w); /* a failed add is sticky */
            cr_assert_eq(again, st);
            return st;
        }
    }
    return gm__vwriter_close(w);
}

static gm_status write_zones(const char *dir, unsigned formats)
{
    GEOSContextHandle_t h = gm__geos(ctx);
    GEOSGeometry *g[2] = {wkt(SQUARE_WITH_HOLE), wkt(TWO_SQUARES)};
    const gm__value rows[2][2] = {
        {{.s = "holed"}, {.d = 9600}},
        {{.s = "pair"}, {.d = 200}},
    };
    gm__vwriter *w = NULL;
    gm_status st = gm__vwriter_open(ctx, dir, &zones, formats, &w);
    for (int i = 0; st == GM_OK && i < 2; i++) {
        st = gm__vwriter_add_geos(w, rows[i], g[i]);
        if (st != GM_OK)
            cr_assert_eq(gm__vwriter_close(w), st);
    }
    if (st == GM_OK)
        st = gm__vwriter_close(w);
    GEOSGeom_destroy_r(h, g[0]);
    GEOSGeom_destroy_r(h, g[1]);
    return st;
}


static OGRLayerH open_layer(const char *path, const char *driver, GDALDatasetH *ds)
{
    const char *const drivers[] = {driver, NULL};
    *ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, drivers, NULL, NULL);
    cr_assert_not_null(*ds, "GDAL cannot open %s", path);
    cr_assert_eq(GDALDatasetGetLayerCount(*ds), 1);
    return GDALDatasetGetLayer(*ds, 0);
}

static int field(OGRLayerH layer, const char *name)
{
    int i = OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(layer), name);
    cr_assert_geq(i, 0, "no field %s", name);
    return i;
}

/* Twice the signed shoelace area: positive when counter-clockwise. */
static double area2(const double *x, const double *y, int from, int to)
{
    double a = 0;
    for (int i = from; i + 1 < to; i++)
        a += x[i] * y[i + 1] - x[i + 1] * y[i];
    return a;
}

static double ogr_ring_area2(OGRGeometryH ring)
{
    int n = OGR_G_GetPointCount(ring);
    double a = 0;
    for (int i = 0; i + 1 < n; i++)
        a += OGR_G_GetX(ring, i) * OGR_G_GetY(ring, i + 1) -
             OGR_G_GetX(ring, i + 1) * OGR_G_GetY(ring, i);
    return a;
}

Test(vwriter, geojson_points_are_wgs84_lon_lat_with_attributes, .init = setup, .fini = teardown)
{
    const char *dir = gmt_tmpdir("vw-gj-points");
    cr_assert_eq(write_sites(dir, GM__FMT_GEOJSON), GM_OK, "%s", gm_ctx_errmsg(ctx));
    cr_assert_str_eq(gmt_listing(dir), "sites.geojson");

    char *text = gmt_slurp(gmt_path(dir, "sites.geojson"), NULL);
    cr_assert_not_null(text);
    cr_assert(strstr(text, "\"type\": \"FeatureCollection\"") != NULL, "%s", text);
    /* lon first, 7 decimals */
    const char *c = strstr(text, "\"coordinates\": [ ");
    cr_assert_not_null(c, "%s", text);
    double lon, lat;
    char slon[32], slat[32];
    cr_assert_eq(sscanf(c + strlen("\"coordinates\": [ "), "%31[-0-9.], %31[-0-9.]", slon, slat), 2);
    lon = atof(slon);
    lat = atof(slat);
    cr_assert_float_eq(lon, -0.7276111, 3e-5, "lon %s", slon);
    cr_assert_float_eq(lat, 52.6704618, 3e-5, "lat %s", slat);
    cr_assert_leq(strlen(strchr(slon, '.') + 1), 7, "COORDINATE_PRECISION=7: %s", slon);
    cr_assert_leq(strlen(strchr(slat, '.') + 1), 7, "COORDINATE_PRECISION=7: %s", slat);
    cr_assert(strstr(text, "\"crs\"") == NULL, "RFC 7946 has no crs member");
    cr_assert(strstr(text, "\"name\": \"sites\"") == NULL, "WRITE_NAME=NO");
    cr_assert(strstr(text, "9007199254740993") != NULL, "int64 written exactly");
    free(text);

    GDALDatasetH ds;
    OGRLayerH layer = open_layer(gmt_path(dir, "sites.geojson"), "GeoJSON", &ds);
    cr_assert_eq(OGR_L_GetFeatureCount(layer, TRUE), 3);
    OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(layer);
    cr_assert_not_null(srs);
    cr_assert_str_eq(OSRGetAuthorityCode(srs, NULL), "4326");

    int fname = field(layer, "name"), fint = field(layer, "places_used"),
        freal = field(layer, "price_per_day");
    OGR_L_ResetReading(layer);
    OGRFeatureH f = OGR_L_GetNextFeature(layer);
    cr_assert_str_eq(OGR_F_GetFieldAsString(f, fname), WELSH);
    cr_assert_eq(OGR_F_GetFieldAsInteger64(f, fint), BIG_INT);
    cr_assert_float_eq(OGR_F_GetFieldAsDouble(f, freal), 57.25, 1e-12);
    OGRGeometryH g = OGR_F_GetGeometryRef(f);
    cr_assert_eq(wkbFlatten(OGR_G_GetGeometryType(g)), wkbPoint);
    /* GDAL's reader returns the numbers as written */
    cr_assert_float_eq(OGR_G_GetX(g, 0), lon, 1e-12);
    cr_assert_float_eq(OGR_G_GetY(g, 0), lat, 1e-12);
    OGR_F_Destroy(f);

    f = OGR_L_GetNextFeature(layer);
    cr_assert(OGR_F_IsFieldNull(f, fname), "second name is null");
    cr_assert_eq(OGR_F_GetFieldAsInteger64(f, fint), -42);
    cr_assert_float_eq(OGR_F_GetFieldAsDouble(f, freal), 0.1, 1e-15, "GeoJSON keeps the double");
    OGR_F_Destroy(f);

    f = OGR_L_GetNextFeature(layer);
    cr_assert_str_eq(OGR_F_GetFieldAsString(f, fname), "Oakham Day Centre");
    cr_assert(OGR_F_IsFieldNull(f, freal), "third real is null");
    OGR_F_Destroy(f);
    GDALClose(ds);
}

Test(vwriter, shapefile_points_are_bng_with_fitted_fields, .init = setup, .fini = teardown)
{
    const char *dir = gmt_tmpdir("vw-shp-points");
    cr_assert_eq(write_sites(dir, GM__FMT_SHAPEFILE), GM_OK, "%s", gm_ctx_errmsg(ctx));
    cr_assert_str_eq(gmt_listing(dir), "sites.cpg sites.dbf sites.prj sites.shp sites.shx");

    char *cpg = gmt_slurp(gmt_path(dir, "sites.cpg"), NULL);
    cr_assert_not_null(cpg);
    cr_assert(strncmp(cpg, "UTF-8", 5) == 0, "cpg is '%s'", cpg);
    free(cpg);

    GDALDatasetH ds;
    OGRLayerH layer = open_layer(gmt_path(dir, "sites.shp"), "ESRI Shapefile", &ds);
    cr_assert_eq(OGR_L_GetFeatureCount(layer, TRUE), 3);

    OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(layer);
    cr_assert_not_null(srs, "the .prj is read");
    OGRSpatialReferenceH bng = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(bng, 27700);
    const char *const same_opts[] = {"IGNORE_DATA_AXIS_TO_SRS_AXIS_MAPPING=YES",
                                     "CRITERION=EQUIVALENT", NULL};
    cr_assert(OSRIsSameEx(srs, bng, same_opts), "shapefile SRS is EPSG:27700");
    OSRDestroySpatialReference(bng);
    OGRSpatialReferenceH id = OSRClone(srs);
    cr_assert_eq(OSRAutoIdentifyEPSG(id), OGRERR_NONE);
    cr_assert_str_eq(OSRGetAuthorityCode(id, NULL), "27700");
    OSRDestroySpatialReference(id);

    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
    int fname = field(layer, "name"), fint = field(layer, "places_use"),
        freal = field(layer, "price_per_");
    /* widths fit the data: 22 bytes of UTF-8, 16 digits, "57.25" */
    cr_assert_eq(OGR_Fld_GetWidth(OGR_FD_GetFieldDefn(defn, fname)), 22);
    cr_assert_eq(OGR_Fld_GetWidth(OGR_FD_GetFieldDefn(defn, fint)), 16);
    cr_assert_eq(OGR_Fld_GetWidth(OGR_FD_GetFieldDefn(defn, freal)), 5);
    cr_assert_eq(OGR_Fld_GetPrecision(OGR_FD_GetFieldDefn(defn, freal)), 2);

    OGR_L_ResetReading(layer);
    OGRFeatureH f = OGR_L_GetNextFeature(layer);
    cr_assert_str_eq(OGR_F_GetFieldAsString(f, fname), WELSH, "decoded as UTF-8 via the .cpg");
    cr_assert_eq(OGR_F_GetFieldAsInteger64(f, fint), BIG_INT);
    cr_assert_float_eq(OGR_F_GetFieldAsDouble(f, freal), 57.25, 1e-12);
    OGRGeometryH g = OGR_F_GetGeometryRef(f);
    cr_assert_eq(OGR_G_GetX(g, 0), 486137.0);
    cr_assert_eq(OGR_G_GetY(g, 0), 308843.0);
    OGR_F_Destroy(f);

    f = OGR_L_GetNextFeature(layer);
    cr_assert(!OGR_F_IsFieldSetAndNotNull(f, fname), "second name is null (a blank DBF text)");
    cr_assert_eq(OGR_F_GetFieldAsInteger64(f, fint), -42);
    cr_assert_float_eq(OGR_F_GetFieldAsDouble(f, freal), 0.10, 1e-12);
    OGR_F_Destroy(f);

    f = OGR_L_GetNextFeature(layer);
    cr_assert_eq(OGR_F_GetFieldAsInteger64(f, fint), 7);
    cr_assert(!OGR_F_IsFieldSetAndNotNull(f, freal), "third real is null");
    OGR_F_Destroy(f);
    GDALClose(ds);
}

Test(vwriter, shapefile_rings_are_clockwise_outside_and_counter_clockwise_in_holes,
     .init = setup, .fini = teardown)
{
    const char *dir = gmt_tmpdir("vw-rings");
    cr_assert_eq(write_zones(dir, GM__FMT_SHAPEFILE | GM__FMT_GEOJSON), GM_OK, "%s",
                 gm_ctx_errmsg(ctx));

    SHPHandle shp = SHPOpen(gmt_path(dir, "zones.shp"), "rb");
    cr_assert_not_null(shp);
    int n, type;
    SHPGetInfo(shp, &n, &type, NULL, NULL);
    cr_assert_eq(n, 2);
    cr_assert_eq(type, SHPT_POLYGON);

    SHPObject *o = SHPReadObject(shp, 0);
    cr_assert_eq(o->nParts, 2);
    double outer = area2(o->padfX, o->padfY, o->panPartStart[0], o->panPartStart[1]);
    double hole = area2(o->padfX, o->padfY, o->panPartStart[1], o->nVertices);
    cr_assert_float_eq(outer, -2 * 10000.0, 1e-3, "outer ring clockwise, 100 m square");
    cr_assert_float_eq(hole, 2 * 400.0, 1e-3, "hole counter-clockwise, 20 m square");
    SHPDestroyObject(o);

    o = SHPReadObject(shp, 1);
    cr_assert_eq(o->nParts, 2, "a MultiPolygon is one shape with two parts");
    cr_assert_float_eq(area2(o->padfX, o->padfY, 0, o->panPartStart[1]), -200.0, 1e-3);
    cr_assert_float_eq(area2(o->padfX, o->padfY, o->panPartStart[1], o->nVertices), -200.0, 1e-3);
    SHPDestroyObject(o);
    SHPClose(shp);

    /* GDAL reads the holed square back as one polygon of 9600 m2 */
    GDALDatasetH ds;
    OGRLayerH layer = open_layer(gmt_path(dir, "zones.shp"), "ESRI Shapefile", &ds);
    OGRFeatureH f = OGR_L_GetNextFeature(layer);
    cr_assert_float_eq(OGR_G_Area(OGR_F_GetGeometryRef(f)), 9600.0, 1e-6);
    OGR_F_Destroy(f);
    GDALClose(ds);

    /* RFC 7946 right-hand rule in the GeoJSON: outer counter-clockwise, hole clockwise */
    layer = open_layer(gmt_path(dir, "zones.geojson"), "GeoJSON", &ds);
    f = OGR_L_GetNextFeature(layer);
    OGRGeometryH g = OGR_F_GetGeometryRef(f);
    cr_assert_eq(wkbFlatten(OGR_G_GetGeometryType(g)), wkbPolygon);
    cr_assert_eq(OGR_G_GetGeometryCount(g), 2);
    cr_assert_gt(ogr_ring_area2(OGR_G_GetGeometryRef(g, 0)), 0);
    cr_assert_lt(ogr_ring_area2(OGR_G_GetGeometryRef(g, 1)), 0);
    OGR_F_Destroy(f);
    f = OGR_L_GetNextFeature(layer);
    cr_assert_eq(wkbFlatten(OGR_G_GetGeometryType(OGR_F_GetGeometryRef(f))), wkbMultiPolygon);
    OGR_F_Destroy(f);
    GDALClose(ds);
}

Test(vwriter, lines_and_empty_geometries, .init = setup, .fini = teardown)
{
    static const gm__layer_def routes = {"routes", GM__GT_LINE, 0, NULL};
    const char *dir = gmt_tmpdir("vw-lines");
    GEOSContextHandle_t h = gm__geos(ctx);
    GEOSGeometry *ml = wkt("MULTILINESTRING((0 0, 10 0), (0 5, 10 5, 10 15))");
    GEOSGeometry *empty = wkt("LINESTRING EMPTY");
    GEOSGeometry *poly = wkt("POLYGON((0 0, 1 0, 1 1, 0 0))");
    gm__vwriter *w = NULL;
    cr_assert_eq(gm__vwriter_open(ctx, dir, &routes, GM__FMT_GEOJSON | GM__FMT_SHAPEFILE, &w),
                 GM_OK, "%s", gm_ctx_errmsg(ctx));
    cr_assert_eq(gm__vwriter_add_geos(w, NULL, ml), GM_OK, "%s", gm_ctx_errmsg(ctx));
    /* a wrong type is refused and leaves the writer usable */
    cr_assert_eq(gm__vwriter_add_geos(w, NULL, poly), GM_E_ARG);
    cr_assert(strstr(gm_ctx_errmsg(ctx), "routes") != NULL, "%s", gm_ctx_errmsg(ctx));
    cr_assert_eq(gm__vwriter_add_point(w, NULL, 1, 2), GM_E_ARG);
    cr_assert_eq(gm__vwriter_add_geos(w, NULL, empty), GM_OK, "%s", gm_ctx_errmsg(ctx));
    cr_assert_eq(gm__vwriter_close(w), GM_OK, "%s", gm_ctx_errmsg(ctx));
    GEOSGeom_destroy_r(h, ml);
    GEOSGeom_destroy_r(h, empty);
    GEOSGeom_destroy_r(h, poly);

    SHPHandle shp = SHPOpen(gmt_path(dir, "routes.shp"), "rb");
    cr_assert_not_null(shp);
    SHPObject *o = SHPReadObject(shp, 0);
    cr_assert_eq(o->nSHPType, SHPT_ARC);
    cr_assert_eq(o->nParts, 2);
    cr_assert_eq(o->nVertices, 5);
    SHPDestroyObject(o);
    o = SHPReadObject(shp, 1);
    cr_assert_eq(o->nSHPType, SHPT_NULL, "empty geometry is a null shape");
    SHPDestroyObject(o);
    SHPClose(shp);

    char *text = gmt_slurp(gmt_path(dir, "routes.geojson"), NULL);
    cr_assert(strstr(text, "\"MultiLineString\"") != NULL, "%s", text);
    cr_assert(strstr(text, "\"geometry\": null") != NULL, "%s", text);
    free(text);

    /* a layer without fields still gets a DBF field, as GDAL does */
    GDALDatasetH ds;
    OGRLayerH layer = open_layer(gmt_path(dir, "routes.shp"), "ESRI Shapefile", &ds);
    cr_assert_eq(OGR_FD_GetFieldCount(OGR_L_GetLayerDefn(layer)), 1);
    cr_assert_eq(OGR_L_GetFeatureCount(layer, TRUE), 2);
    GDALClose(ds);
}

Test(vwriter, no_temporary_files_remain, .init = setup, .fini = teardown)
{
    const char *dir = gmt_tmpdir("vw-tmp");
    cr_assert_eq(write_sites(dir, GM__FMT_GEOJSON | GM__FMT_SHAPEFILE), GM_OK);
    cr_assert_eq(write_zones(dir, GM__FMT_GEOJSON | GM__FMT_SHAPEFILE), GM_OK);
    const char *list = gmt_listing(dir);
    cr_assert_str_eq(list, "sites.cpg sites.dbf sites.geojson sites.prj sites.shp sites.shx "
                           "zones.cpg zones.dbf zones.geojson zones.prj zones.shp zones.shx");
    cr_assert(strstr(list, ".tmp") == NULL);
    /* writing again over the same names replaces them */
    cr_assert_eq(write_sites(dir, GM__FMT_GEOJSON | GM__FMT_SHAPEFILE), GM_OK, "%s",
                 gm_ctx_errmsg(ctx));
    cr_assert_str_eq(gmt_listing(dir), list);
}

Test(vwriter, abort_leaves_no_files, .init = setup, .fini = teardown)
{
    const char *dir = gmt_tmpdir("vw-abort");
    gm__vwriter *w = NULL;
    cr_assert_eq(gm__vwriter_open(ctx, dir, &sites, GM__FMT_GEOJSON | GM__FMT_SHAPEFILE, &w),
                 GM_OK);
    const gm__value row[3] = {{.s = "x"}, {.i = 1}, {.d = 2}};
    cr_assert_eq(gm__vwriter_add_point(w, row, 486137, 308843), GM_OK);
    cr_assert_str_neq(gmt_listing(dir), "", "temporaries exist while writing");
    gm__vwriter_abort(w);
    cr_assert_str_eq(gmt_listing(dir), "");
    gm__vwriter_abort(NULL);
}

Test(vwriter, unwritable_folder_gives_io_error_naming_the_path, .init = setup, .fini = teardown)
{
    const char *base = gmt_tmpdir("vw-unwritable");
    char missing[4200], notdir[4200];
    snprintf(missing, sizeof missing, "%s/no/such/folder", base);
    snprintf(notdir, sizeof notdir, "%s", gmt_write(base, "plainfile", "x"));
    const char *dirs[] = {missing, notdir};
    const unsigned fmts[] = {GM__FMT_GEOJSON, GM__FMT_SHAPEFILE,
                             GM__FMT_GEOJSON | GM__FMT_SHAPEFILE};
    for (int d = 0; d < 2; d++)
        for (int k = 0; k < 3; k++) {
            gm__vwriter *w = NULL;
            gm__err_clear(ctx);
            cr_assert_eq(gm__vwriter_open(ctx, dirs[d], &sites, fmts[k], &w), GM_E_IO);
            cr_assert_null(w);
            cr_assert(strstr(gm_ctx_errmsg(ctx), dirs[d]) != NULL, "message '%s' names %s",
                      gm_ctx_errmsg(ctx), dirs[d]);
        }
    /* a folder where the temporary names are taken by folders: the create
     * calls themselves fail (this works even as root) */
    char blocked[4200], sub[4300];
    snprintf(blocked, sizeof blocked, "%s/blocked", base);
    cr_assert_eq(mkdir(blocked, 0755), 0);
    snprintf(sub, sizeof sub, "%s/.sites.geojson.tmp", blocked);
    cr_assert_eq(mkdir(sub, 0755), 0);
    snprintf(sub, sizeof sub, "%s/.sites.tmp.shp", blocked);
    cr_assert_eq(mkdir(sub, 0755), 0);
    for (int k = 0; k < 3; k++) {
        gm__vwriter *w = NULL;
        cr_assert_eq(gm__vwriter_open(ctx, blocked, &sites, fmts[k], &w), GM_E_IO);
        cr_assert(strstr(gm_ctx_errmsg(ctx), blocked) != NULL, "%s", gm_ctx_errmsg(ctx));
        cr_assert_str_eq(gmt_listing(blocked), ".sites.geojson.tmp .sites.tmp.shp", "%s",
                         gm_ctx_errmsg(ctx));
    }
    /* a read-only folder, where permissions apply (not as root) */
    if (geteuid() != 0) {
        char ro[4200];
        snprintf(ro, sizeof ro, "%s/readonly", base);
        cr_assert_eq(mkdir(ro, 0555), 0);
        gm__vwriter *w = NULL;
        cr_assert_eq(gm__vwriter_open(ctx, ro, &sites, GM__FMT_GEOJSON | GM__FMT_SHAPEFILE, &w),
                     GM_E_IO);
        cr_assert(strstr(gm_ctx_errmsg(ctx), ro) != NULL, "%s", gm_ctx_errmsg(ctx));
        chmod(ro, 0755);
    }
    cr_assert_str_eq(gmt_listing(base), "blocked plainfile");
}

Test(vwriter, output_bytes_are_identical_across_two_writes, .init = setup, .fini = teardown)
{
    char a[4200], b[4200];
    snprintf(a, sizeof a, "%s", gmt_tmpdir("vw-det-a"));
    snprintf(b, sizeof b, "%s", gmt_tmpdir("vw-det-b"));
    const char *files[] = {"sites.geojson", "sites.shp", "sites.shx", "sites.dbf", "sites.prj",
                           "sites.cpg", "zones.geojson", "zones.shp", "zones.dbf"};
    for (int run = 0; run < 2; run++) {
        const char *dir = run ? b : a;
        cr_assert_eq(write_sites(dir, GM__FMT_GEOJSON | GM__FMT_SHAPEFILE), GM_OK);
        cr_assert_eq(write_zones(dir, GM__FMT_GEOJSON | GM__FMT_SHAPEFILE), GM_OK);
    }
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char pa[4300], pb[4300];
        snprintf(pa, sizeof pa, "%s/%s", a, files[i]);
        snprintf(pb, sizeof pb, "%s/%s", b, files[i]);
        size_t la = 0, lb = 0;
        char *da = gmt_slurp(pa, &la), *db = gmt_slurp(pb, &lb);
        cr_assert(da && db);
        cr_assert_eq(la, lb, "%s differs in size", files[i]);
        cr_assert(memcmp(da, db, la) == 0, "%s differs", files[i]);
        free(da);
        free(db);
    }
}

static void collect_log(gm_log_level level, const char *msg, void *user)
{
    if (level == GM_LOG_WARN)
        snprintf(user, 1024, "%s", msg);
}

Test(vwriter, long_strings_are_cut_at_a_character_boundary_with_a_warning, .init = setup,
     .fini = teardown)
{
    static const gm__field_def fields[] = {{"description", GM__FT_STRING, 0}};
    static const gm__layer_def notes = {"notes", GM__GT_POINT, 1, fields};
    char warning[1024] = "";
    gm_ctx_set_log(ctx, collect_log, warning);
    /* 'a' then 200 w-circumflexes: 401 bytes; 254 bytes would split a character */
    char text[512] = "a";
    for (int i = 0; i < 200; i++)
        strcat(text, "\xc5\xb5");
    const char *dir = gmt_tmpdir("vw-long");
    gm__vwriter *w = NULL;
    cr_assert_eq(gm__vwriter_open(ctx, dir, &notes, GM__FMT_GEOJSON | GM__FMT_SHAPEFILE, &w),
                 GM_OK);
    const gm__value row[1] = {{.s = text}};
    cr_assert_eq(gm__vwriter_add_point(w, row, 486137, 308843), GM_OK);
    cr_assert_eq(gm__vwriter_close(w), GM_OK, "%s", gm_ctx_errmsg(ctx));
    cr_assert(strstr(warning, "notes") && strstr(warning, "descriptio"), "warning: '%s'",
              warning);

    GDALDatasetH ds;
    OGRLayerH layer = open_layer(gmt_path(dir, "notes.shp"), "ESRI Shapefile", &ds);
    OGRFeatureH f = OGR_L_GetNextFeature(layer);
    const char *got = OGR_F_GetFieldAsString(f, 0);
    cr_assert_eq(strlen(got), 253, "1 + 126 * 2 bytes: the cut falls before a split character");
    cr_assert(strncmp(got, text, 253) == 0);
    OGR_F_Destroy(f);
    GDALClose(ds);

    layer = open_layer(gmt_path(dir, "notes.geojson"), "GeoJSON", &ds);
    f = OGR_L_GetNextFeature(layer);
    cr_assert_str_eq(OGR_F_GetFieldAsString(f, 0), text, "the GeoJSON keeps the whole string");
    OGR_F_Destroy(f);
    GDALClose(ds);
}

Test(vwriter, allocation_failures_return_nomem_and_leave_nothing, .init = setup, .fini = teardown)
{
    const char *dir = gmt_tmpdir("vw-nomem");
    char keep[4200];
    snprintf(keep, sizeof keep, "%s", dir);
    gm__geos(ctx); /* not part of the walk: the GEOS handle is the context's */
    long n;
    int failures = 0;
    for (n = 0; n < 100000; n++) {
        gm__alloc_fail_after(n);
        gm_status st = write_sites(keep, GM__FMT_GEOJSON | GM__FMT_SHAPEFILE);
        if (st == GM_OK)
            st = write_zones(keep, GM__FMT_GEOJSON | GM__FMT_SHAPEFILE);
        gm__alloc_fail_after(-1);
        if (st == GM_OK)
            break;
        cr_assert_eq(st, GM_E_NOMEM, "allocation %ld: %s (%s)", n, gm_status_name(st),
                     gm_ctx_errmsg(ctx));
        failures++;
        /* sites may be complete when zones fail; no temporary is ever left */
        const char *list = gmt_listing(keep);
        cr_assert(strstr(list, ".tmp") == NULL, "allocation %ld left %s", n, list);
        cr_assert(strstr(list, "zones") == NULL, "allocation %ld left %s", n, list);
    }
    cr_assert_gt(failures, 10, "the walk covered the writer's allocations");
    cr_assert_str_eq(gmt_listing(keep), "sites.cpg sites.dbf sites.geojson sites.prj sites.shp "
                                    "sites.shx zones.cpg zones.dbf zones.geojson zones.prj "
                                    "zones.shp zones.shx");
}

/* ---- field name fitting --------------------------------------------------- */

typedef struct fit_case {
    const char *in[4];
    const char *out[4];
} fit_case;

Test(vwriter, dbf_names_fit_ten_bytes_without_collisions)
{
    static const fit_case cases[] = {
        /* short names are kept */
        {{"name", "places", "price"}, {"name", "places", "price"}},
        /* long names are cut; clashes numbered in order */
        {{"travel_time_car", "travel_time_walk", "travel_time_cycle"},
         {"travel_tim", "travel_t_1", "travel_t_2"}},
        /* a name that fits keeps its spelling even when a cut name comes first */
        {{"travel_time_car", "travel_tim"}, {"travel_t_1", "travel_tim"}},
        /* DBF readers ignore case */
        {{"Name", "NAME", "name"}, {"Name", "NAME_1", "name_2"}},
        {{"TRAVEL_TIME_CAR", "travel_time_walk"}, {"TRAVEL_TIM", "travel_t_1"}},
        /* a cut never splits a UTF-8 character: "llwybr_" + 2-byte w-circumflex at bytes 10-11 */
        {{"llwybr_ddw\xc5\xb5r"}, {"llwybr_ddw"}},
        {{"llwybr_dd\xc5\xb5r", "llwybr_dd\xc5\xb5s"}, {"llwybr_dd", "llwybr_d_1"}},
        /* a number never clashes with a later short name */
        {{"travel_time_car", "travel_time_walk", "travel_t_1"},
         {"travel_tim", "travel_t_2", "travel_t_1"}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        size_t n = 0;
        while (n < 4 && cases[c].in[n])
            n++;
        char out[4][11];
        cr_assert(gm__dbf_fit_names(cases[c].in, n, out));
        for (size_t i = 0; i < n; i++)
            cr_assert_str_eq(out[i], cases[c].out[i], "case %zu name %zu", c, i);
    }
}

Test(vwriter, dbf_names_beyond_nine_clashes_use_wider_numbers)
{
    enum { N = 1000 };
    static char bufs[N][32];
    static const char *names[N];
    static char out[N][11];
    for (int i = 0; i < N; i++) {
        snprintf(bufs[i], sizeof bufs[i], "travel_time_mode%d", i);
        names[i] = bufs[i];
    }
    cr_assert(gm__dbf_fit_names(names, 12, out));
    cr_assert_str_eq(out[0], "travel_tim");
    cr_assert_str_eq(out[9], "travel_t_9");
    cr_assert_str_eq(out[10], "travel__10");
    cr_assert_str_eq(out[11], "travel__11");

    /* 1000 names sharing 10 characters: the cut one and _1 ... _999 */
    cr_assert(gm__dbf_fit_names(names, N, out));
    cr_assert_str_eq(out[100], "travel_100");
    cr_assert_str_eq(out[999], "travel_999");
    int clashes = 0, too_long = 0;
    for (int i = 0; i < N; i++) {
        too_long += strlen(out[i]) > 10;
        for (int j = 0; j < i; j++)
            clashes += strcasecmp(out[i], out[j]) == 0;
    }
    cr_assert_eq(too_long, 0);
    cr_assert_eq(clashes, 0);
    /* one more cannot be told apart */
    static char more[N + 1][11];
    static const char *names2[N + 1];
    memcpy(names2, names, sizeof names);
    names2[N] = "travel_time_extra";
    cr_assert(!gm__dbf_fit_names(names2, N + 1, more));
}
