/*
 * Polygon layers through OGR -> GEOS.  OGR does the reading and the
 * reprojection (OGR_G_TransformTo, PROJ underneath); GEOS gets the result as
 * WKB, since every analysis downstream works on GEOS geometries.
 */
#include "polys.h"

#include "../geo/crs.h"
#include "../geo/geoctx.h"
#include "gdalutil.h"

#include <geos_c.h>
#include <ogr_srs_api.h>
#include <stdio.h>
#include <string.h>

void gm__polys_free(gm_ctx *ctx, gm__poly *p, size_t n)
{
    if (!p)
        return;
    GEOSContextHandle_t h = gm__geos(ctx);
    for (size_t i = 0; i < n; i++) {
        gm__free(p[i].id);
        gm__free(p[i].name);
        if (p[i].geom && h)
            GEOSGeom_destroy_r(h, p[i].geom);
    }
    gm__free(p);
}

static bool is_polygonal(OGRGeometryH g)
{
    OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(g));
    return t == wkbPolygon || t == wkbMultiPolygon;
}

/* GEOS geometry of g (2D), valid; *nomem says why when it returns NULL. */
static GEOSGeometry *to_geos(GEOSContextHandle_t h, GEOSWKBReader *rd, OGRGeometryH g, bool *nomem)
{
    OGR_G_FlattenTo2D(g);
    int size = OGR_G_WkbSize(g);
    unsigned char *wkb = gm__malloc((size_t)size);
    *nomem = !wkb;
    if (!wkb)
        return NULL;
    GEOSGeometry *out = NULL;
    if (OGR_G_ExportToWkb(g, wkbNDR, wkb) == OGRERR_NONE)
        out = GEOSWKBReader_read_r(h, rd, wkb, (size_t)size);
    gm__free(wkb);
    if (out && GEOSisValid_r(h, out) != 1) {
        GEOSGeometry *fixed = GEOSMakeValid_r(h, out);
        GEOSGeom_destroy_r(h, out);
        out = fixed;
    }
    return out;
}

gm_status gm__polys_read(gm_ctx *ctx, const char *path, const char *layer, const char *id_field,
                         const char *name_field, gm__poly **out, size_t *n, size_t *skipped)
{
    GEOSContextHandle_t h = gm__geos(ctx);
    if (!h)
        return gm__err(ctx, GM_E_GEOMETRY, "cannot start GEOS");
    gm__gdal_capture cap;
    gm__gdal_begin(&cap, ctx, path);
    gm_status st = GM_OK;
    gm__poly *p = NULL;
    size_t np = 0, cap_n = 0, skip = 0;
    char *crs = NULL;
    OGRSpatialReferenceH dst = NULL;
    OGRCoordinateTransformationH ct = NULL;
    GEOSWKBReader *rd = GEOSWKBReader_create_r(h);
    GDALAllRegister(); /* idempotent */
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR, NULL, NULL, NULL);
    if (!ds) {
        st = gm__err(ctx, GM_E_NOT_FOUND, "%s: cannot open as a vector file%s%s", path, cap.failed ? ": " : "",
                     cap.failed ? cap.msg : "");
        goto done;
    }
    OGRLayerH ly = layer ? GDALDatasetGetLayerByName(ds, layer) : GDALDatasetGetLayer(ds, 0);
    if (!ly) {
        char list[256];
        gm__gdal_layer_list(ds, list, sizeof list);
        st = gm__err(ctx, GM_E_NOT_FOUND, "%s: no layer '%s' (layers: %s)", path, layer ? layer : "", list);
        goto done;
    }
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(ly);
    int idf = id_field ? OGR_FD_GetFieldIndex(defn, id_field) : -1;
    int nmf = name_field ? OGR_FD_GetFieldIndex(defn, name_field) : -1;
    if ((id_field && idf < 0) || (name_field && nmf < 0)) {
        char fields[256] = "";
        size_t used = 0;
        for (int i = 0; i < OGR_FD_GetFieldCount(defn) && used + 2 < sizeof fields; i++)
            used += (size_t)snprintf(fields + used, sizeof fields - used, "%s%s", i ? ", " : "",
                                     OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i)));
        st = gm__err(ctx, GM_E_NOT_FOUND, "%s: no field '%s' (fields: %s)", path,
                     id_field && idf < 0 ? id_field : name_field, fields);
        goto done;
    }
    if ((st = gm__gdal_layer_crs(ctx, ly, GM__WORKING_CRS, &crs)) != GM_OK)
        goto done;
    if (strcmp(crs, GM__WORKING_CRS) != 0) {
        OGRSpatialReferenceH src = OSRNewSpatialReference(NULL);
        dst = OSRNewSpatialReference(NULL);
        OSRSetAxisMappingStrategy(src, OAMS_TRADITIONAL_GIS_ORDER);
        OSRSetAxisMappingStrategy(dst, OAMS_TRADITIONAL_GIS_ORDER);
        if (OSRSetFromUserInput(src, crs) == OGRERR_NONE && OSRImportFromEPSG(dst, 27700) == OGRERR_NONE)
            ct = OCTNewCoordinateTransformation(src, dst);
        OSRDestroySpatialReference(src);
        if (!ct) {
            st = gm__err(ctx, GM_E_CRS, "%s: cannot transform from %s to %s", path, crs, GM__WORKING_CRS);
            goto done;
        }
    }
    OGR_L_ResetReading(ly);
    OGRFeatureH f;
    uint64_t fno = 0;
    while ((f = OGR_L_GetNextFeature(ly)) != NULL) {
        fno++;
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        if (!g || OGR_G_IsEmpty(g) || !is_polygonal(g)) {
            gm__log(ctx, GM_LOG_WARN, "%s: feature %llu has no polygon geometry; left out", path,
                    (unsigned long long)fno);
            skip++;
            OGR_F_Destroy(f);
            continue;
        }
        if (ct && OGR_G_Transform(g, ct) != OGRERR_NONE) {
            OGR_F_Destroy(f);
            st = gm__err(ctx, GM_E_CRS, "%s: feature %llu cannot be transformed to %s", path,
                         (unsigned long long)fno, GM__WORKING_CRS);
            goto done;
        }
        if (np == cap_n) {
            size_t nc = cap_n ? 2 * cap_n : 64;
            gm__poly *q = gm__realloc(p, nc * sizeof *q);
            if (!q) {
                OGR_F_Destroy(f);
                goto nomem;
            }
            p = q;
            cap_n = nc;
        }
        gm__poly *e = &p[np];
        memset(e, 0, sizeof *e);
        np++;
        char num[24];
        snprintf(num, sizeof num, "%llu", (unsigned long long)fno);
        e->id = gm__strdup(idf >= 0 ? OGR_F_GetFieldAsString(f, idf) : num);
        e->name = gm__strdup(nmf >= 0 ? OGR_F_GetFieldAsString(f, nmf) : "");
        bool oom = false;
        e->geom = e->id && e->name ? to_geos(h, rd, g, &oom) : NULL;
        OGR_F_Destroy(f);
        if (!e->id || !e->name || oom)
            goto nomem;
        if (!e->geom) {
            st = gm__err(ctx, GM_E_GEOMETRY, "%s: feature %llu: its polygon could not be read", path,
                         (unsigned long long)fno);
            goto done;
        }
    }
    if (cap.failed) {
        st = gm__err(ctx, GM_E_GDAL, "%s: %s", path, cap.msg);
        goto done;
    }
    if (np == 0) {
        st = gm__err(ctx, GM_E_INPUT, "%s: no polygons in layer %s", path, OGR_L_GetName(ly));
        goto done;
    }
    goto done;
nomem:
    st = gm__err(ctx, GM_E_NOMEM, "out of memory reading %s", path);
done:
    if (ct)
        OCTDestroyCoordinateTransformation(ct);
    if (dst)
        OSRDestroySpatialReference(dst);
    if (ds)
        GDALClose(ds);
    if (rd)
        GEOSWKBReader_destroy_r(h, rd);
    gm__free(crs);
    gm__gdal_end();
    if (st != GM_OK) {
        gm__polys_free(ctx, p, np);
        return st;
    }
    *out = p;
    *n = np;
    if (skipped)
        *skipped = skip;
    return GM_OK;
}
