/*
 * GeoJSON writing with GDAL: see geojson.h.  Invariants: every GDAL call made
 * here runs with this module's error handler pushed (CPLPushErrorHandlerEx is a
 * per-thread stack), so GDAL never prints; failures are kept in g->gdal_msg and
 * reported with the file name.  Features are written in the order added; the
 * output depends only on the input (no dates, no generated ids), so two runs
 * give identical bytes.
 *
 * Layer creation options, and why:
 *   RFC7946=YES              WGS84 lon/lat output, reprojected by GDAL from the
 *                            layer's working CRS; right-hand-rule polygons.
 *   COORDINATE_PRECISION=7   the RFC 7946 recommendation: 1e-7 degree is about
 *                            1.1 cm of latitude, finer than any input we have.
 *   WRITE_NAME=NO            RFC 7946 defines no FeatureCollection "name"; GDAL
 *                            and QGIS name the layer after the file stem, which
 *                            is the layer name anyway.
 *   WRITE_BBOX (default NO)  a bbox adds bytes and nothing QGIS needs.
 * Attribute reals keep GDAL's default of 17 significant figures (the double
 * round-trips exactly); the shapefile is where decimals are cut.
 */
#include "geojson.h"

#include "gdalutil.h"

#include "../geo/crs.h"
#include "../geo/geoctx.h"

#include <cpl_error.h>
#include <gdal.h>
#include <geos_c.h>
#include <limits.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct gm__geojson {
    gm_ctx *ctx;
    const gm__layer_def *def;
    const char *label;
    GDALDatasetH ds;
    OGRLayerH layer;
    GEOSWKBWriter *wkb;
    int failures;       /* CE_Failure/CE_Fatal seen since the last reset */
    char gdal_msg[512]; /* the last of them */
};

static pthread_once_t register_once = PTHREAD_ONCE_INIT;

static void register_drivers(void)
{
    GDALAllRegister();
}

/* GDAL's per-thread error handler while this module is in a GDAL call. */
static void CPL_STDCALL capture(CPLErr cls, CPLErrorNum num, const char *msg)
{
    (void)num;
    gm__geojson *g = CPLGetErrorHandlerUserData();
    if (!g)
        return;
    if (cls == CE_Failure || cls == CE_Fatal) {
        g->failures++;
        snprintf(g->gdal_msg, sizeof g->gdal_msg, "%s", msg ? msg : "unknown GDAL error");
    } else if (cls == CE_Warning) {
        gm__log(g->ctx, GM_LOG_WARN, "%s: GDAL: %s", g->label, msg ? msg : "");
    }
}

static void gdal_enter(gm__geojson *g)
{
    g->failures = 0;
    g->gdal_msg[0] = '\0';
    CPLPushErrorHandlerEx(capture, g);
}

static void gdal_leave(void)
{
    CPLPopErrorHandler();
}

static const char *gdal_reason(const gm__geojson *g)
{
    return g->gdal_msg[0] ? g->gdal_msg : "no detail from GDAL";
}

/* Write a feature; takes ownership of geom (NULL for a null geometry). */
static gm_status write_feature(gm__geojson *g, const gm__value *values, OGRGeometryH geom)
{
    gm_status st = GM_OK;
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(g->layer));
    if (!f) {
        OGR_G_DestroyGeometry(geom);
        return gm__err(g->ctx, GM_E_NOMEM, "%s: out of memory making a feature", g->label);
    }
    gm__ogr_set_fields(g->def, f, values);
    if (geom && OGR_F_SetGeometryDirectly(f, geom) != OGRERR_NONE) {
        st = gm__err(g->ctx, GM_E_GDAL, "%s: cannot set a feature geometry: %s", g->label,
                     gdal_reason(g));
        goto cleanup;
    }
    if (OGR_L_CreateFeature(g->layer, f) != OGRERR_NONE || g->failures)
        st = gm__err(g->ctx, GM_E_GDAL, "%s: cannot write a feature: %s", g->label,
                     gdal_reason(g));
cleanup:
    OGR_F_Destroy(f);
    return st;
}

gm_status gm__geojson_open(gm_ctx *ctx, const char *path, const char *label,
                           const gm__layer_def *def, gm__geojson **out)
{
    gm__geojson *g = gm__calloc(1, sizeof *g);
    if (!g)
        return gm__err(ctx, GM_E_NOMEM, "%s: out of memory", label);
    g->ctx = ctx;
    g->def = def;
    g->label = label;

    gm_status st = GM_OK;
    OGRSpatialReferenceH srs = NULL;
    gdal_enter(g);
    pthread_once(&register_once, register_drivers);

    GDALDriverH drv = GDALGetDriverByName("GeoJSON");
    if (!drv) {
        st = gm__err(ctx, GM_E_GDAL,
                     "%s: GDAL has no GeoJSON driver (check the GDAL installation)", label);
        goto cleanup;
    }
    srs = OSRNewSpatialReference(NULL);
    if (!srs) {
        st = gm__err(ctx, GM_E_NOMEM, "%s: out of memory", label);
        goto cleanup;
    }
    if (OSRSetFromUserInput(srs, GM__WORKING_CRS) != OGRERR_NONE) {
        st = gm__err(ctx, GM_E_CRS, "%s: GDAL does not know the working CRS %s: %s", label,
                     GM__WORKING_CRS, gdal_reason(g));
        goto cleanup;
    }
    OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER);

    /* The GeoJSON driver refuses to overwrite; a stale temporary file is ours. */
    unlink(path);
    g->ds = GDALCreate(drv, path, 0, 0, 0, GDT_Unknown, NULL);
    if (!g->ds) {
        st = gm__err(ctx, GM_E_IO,
                     "cannot create %s (temporary file for %s): %s; check that the output "
                     "folder is writable and nothing else has that name",
                     path, label, gdal_reason(g));
        goto cleanup;
    }
    /* CSLConstList is a plain char ** in C; GDAL only reads these. */
    static char rfc[] = "RFC7946=YES", prec[] = "COORDINATE_PRECISION=7",
                noname[] = "WRITE_NAME=NO";
    char *lco[] = {rfc, prec, noname, NULL};
    static const OGRwkbGeometryType gtypes[] = {wkbPoint, wkbLineString, wkbPolygon};
    g->layer = GDALDatasetCreateLayer(g->ds, def->name, srs, gtypes[def->geom], lco);
    if (!g->layer) {
        st = gm__err(ctx, GM_E_GDAL, "%s: cannot create the layer: %s", label, gdal_reason(g));
        goto cleanup;
    }
    for (size_t i = 0; i < def->nfields; i++) {
        static const OGRFieldType ftypes[] = {OFTString, OFTInteger64, OFTReal};
        OGRFieldDefnH fd = OGR_Fld_Create(def->fields[i].name, ftypes[def->fields[i].type]);
        if (!fd) {
            st = gm__err(ctx, GM_E_NOMEM, "%s: out of memory", label);
            goto cleanup;
        }
        OGRErr e = OGR_L_CreateField(g->layer, fd, TRUE);
        OGR_Fld_Destroy(fd);
        if (e != OGRERR_NONE) {
            st = gm__err(ctx, GM_E_GDAL, "%s: cannot create field '%s': %s", label,
                         def->fields[i].name, gdal_reason(g));
            goto cleanup;
        }
    }

cleanup:
    gdal_leave();
    if (srs)
        OSRDestroySpatialReference(srs);
    if (st != GM_OK) {
        gm__geojson_abort(g);
        return st;
    }
    *out = g;
    return GM_OK;
}

gm_status gm__geojson_add_point(gm__geojson *g, const gm__value *values, double x, double y)
{
    gdal_enter(g);
    gm_status st;
    OGRGeometryH p = OGR_G_CreateGeometry(wkbPoint);
    if (!p) {
        st = gm__err(g->ctx, GM_E_NOMEM, "%s: out of memory making a point", g->label);
    } else {
        OGR_G_SetPoint_2D(p, 0, x, y);
        st = write_feature(g, values, p);
    }
    gdal_leave();
    return st;
}

/* GEOS -> OGR through 2D WKB: both libraries implement WKB exactly, so nothing
 * is lost, and neither needs to know the other's structures. */
static gm_status geos_to_ogr(gm__geojson *g, const GEOSGeometry *geom, OGRGeometryH *out)
{
    GEOSContextHandle_t h = gm__geos(g->ctx);
    if (!h)
        return gm__err(g->ctx, GM_E_NOMEM, "%s: could not start GEOS", g->label);
    if (!g->wkb) {
        g->wkb = GEOSWKBWriter_create_r(h);
        if (!g->wkb)
            return gm__err(g->ctx, GM_E_NOMEM, "%s: out of memory making a WKB writer", g->label);
        GEOSWKBWriter_setOutputDimension_r(h, g->wkb, 2);
    }
    size_t n = 0;
    unsigned char *wkb = GEOSWKBWriter_write_r(h, g->wkb, geom, &n);
    if (!wkb) {
        char why[GM__ERRMSG_MAX];
        snprintf(why, sizeof why, "%s", gm_ctx_errmsg(g->ctx)); /* GEOS put it there */
        return gm__err(g->ctx, GM_E_GEOMETRY, "%s: cannot encode a geometry as WKB (%s)",
                       g->label, why);
    }
    gm_status st = GM_OK;
    if (n > INT_MAX)
        st = gm__err(g->ctx, GM_E_GEOMETRY, "%s: geometry too large for GDAL (%zu bytes of WKB)",
                     g->label, n);
    else if (OGR_G_CreateFromWkb(wkb, NULL, out, (int)n) != OGRERR_NONE)
        st = gm__err(g->ctx, GM_E_GDAL, "%s: GDAL cannot read a geometry's WKB: %s", g->label,
                     gdal_reason(g));
    GEOSFree_r(h, wkb);
    return st;
}

gm_status gm__geojson_add_geos(gm__geojson *g, const gm__value *values, const void *geom)
{
    GEOSContextHandle_t h = gm__geos(g->ctx);
    if (!h)
        return gm__err(g->ctx, GM_E_NOMEM, "%s: could not start GEOS", g->label);
    gdal_enter(g);
    gm_status st = GM_OK;
    OGRGeometryH og = NULL;
    char empty = GEOSisEmpty_r(h, geom);
    if (empty == 2) {
        char why[GM__ERRMSG_MAX];
        snprintf(why, sizeof why, "%s", gm_ctx_errmsg(g->ctx)); /* GEOS put it there */
        st = gm__err(g->ctx, GM_E_GEOMETRY, "%s: cannot test a geometry (%s)", g->label, why);
    } else if (!empty)
        st = geos_to_ogr(g, geom, &og);
    if (st == GM_OK)
        st = write_feature(g, values, og);
    gdal_leave();
    return st;
}

static void free_geojson(gm__geojson *g)
{
    if (g->wkb) {
        GEOSContextHandle_t h = gm__geos(g->ctx);
        if (h)
            GEOSWKBWriter_destroy_r(h, g->wkb);
    }
    gm__free(g);
}

gm_status gm__geojson_close(gm__geojson *g)
{
    gm_status st = GM_OK;
    gdal_enter(g);
    /* GDALClose returns void before GDAL 3.7: a failed flush shows up only as
     * a CE_Failure through the handler. */
    GDALClose(g->ds);
    g->ds = NULL;
    if (g->failures)
        st = gm__err(g->ctx, GM_E_IO, "%s: cannot finish writing: %s", g->label, gdal_reason(g));
    gdal_leave();
    free_geojson(g);
    return st;
}

void gm__geojson_abort(gm__geojson *g)
{
    if (!g)
        return;
    if (g->ds) {
        gdal_enter(g);
        GDALClose(g->ds);
        gdal_leave();
    }
    free_geojson(g);
}
