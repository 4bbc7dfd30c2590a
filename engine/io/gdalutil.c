/* GDAL helpers: see gdalutil.h. */
#include "gdalutil.h"

#include <cpl_vsi.h>

#include <cpl_conv.h>
#include <cpl_error.h>
#include <ogr_srs_api.h>
#include <stdio.h>
#include <string.h>

static void gdal_handler(CPLErr cls, CPLErrorNum num, const char *msg)
{
    (void)num;
    gm__gdal_capture *cap = CPLGetErrorHandlerUserData();
    if (cls >= CE_Failure) {
        if (!cap->failed) /* the first failure is the cause; later ones are consequences */
            snprintf(cap->msg, sizeof cap->msg, "%s", msg);
        cap->failed = true;
    } else if (cls == CE_Warning) {
        gm__log(cap->ctx, GM_LOG_WARN, "%s: GDAL: %s", cap->path, msg);
    } else {
        gm__log(cap->ctx, GM_LOG_DEBUG, "%s: GDAL: %s", cap->path, msg);
    }
}

void gm__gdal_begin(gm__gdal_capture *cap, gm_ctx *ctx, const char *path)
{
    cap->ctx = ctx;
    cap->path = path;
    cap->failed = false;
    cap->msg[0] = '\0';
    CPLPushErrorHandlerEx(gdal_handler, cap);
}

void gm__gdal_end(void)
{
    CPLPopErrorHandler();
}

gm_status gm__gdal_layer_crs(gm_ctx *ctx, OGRLayerH layer, const char *fallback, char **out)
{
    char *crs = NULL;
    OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(layer);
    if (srs) {
        const char *auth = OSRGetAuthorityName(srs, NULL);
        const char *code = OSRGetAuthorityCode(srs, NULL);
        OGRSpatialReferenceH id = NULL;
        if (!(auth && code)) {
            /* A shapefile .prj is ESRI WKT without authority; let GDAL match it
             * ("British_National_Grid" -> EPSG:27700) so that the noop check
             * and PROJ's choice of transformation see the real CRS. */
            id = OSRClone(srs);
            if (id && OSRAutoIdentifyEPSG(id) == OGRERR_NONE) {
                auth = OSRGetAuthorityName(id, NULL);
                code = OSRGetAuthorityCode(id, NULL);
            }
        }
        if (auth && code) {
            crs = gm__asprintf("%s:%s", auth, code);
        } else {
            char *wkt = NULL;
            if (OSRExportToWkt(srs, &wkt) == OGRERR_NONE && wkt)
                crs = gm__strdup(wkt);
            else
                crs = fallback ? gm__strdup(fallback) : NULL; /* a CRS GDAL cannot write out is as good as none */
            CPLFree(wkt);
        }
        if (id)
            OSRDestroySpatialReference(id);
    } else if (fallback) {
        crs = gm__strdup(fallback);
    }
    if (!crs && (srs || fallback))
        return gm__err(ctx, GM_E_NOMEM, "out of memory reading a layer's CRS");
    *out = crs;
    return GM_OK;
}

void gm__gdal_layer_list(GDALDatasetH ds, char *buf, size_t size)
{
    buf[0] = '\0';
    size_t used = 0;
    int n = GDALDatasetGetLayerCount(ds);
    for (int i = 0; i < n && used + 1 < size; i++) {
        const char *name = OGR_L_GetName(GDALDatasetGetLayer(ds, i));
        int w = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", name ? name : "?");
        if (w < 0)
            break;
        used += (size_t)w;
    }
    if (used >= size && size > 4)
        memcpy(buf + size - 4, "...", 4);
}

gm_status gm__vsi_slurp(gm_ctx *ctx, const char *vpath, const char *shown, char **buf, size_t *len, bool *absent)
{
    *absent = false;
    VSILFILE *fp = VSIFOpenL(vpath, "rb");
    if (!fp) {
        *absent = true;
        return GM_OK;
    }
    gm_status st = GM_OK;
    size_t cap = 0, n = 0;
    char *b = NULL;
    for (;;) {
        if (!gm__grow((void **)&b, &cap, n + 65536, 1)) {
            st = gm__err(ctx, GM_E_NOMEM, "out of memory reading %s", shown);
            goto cleanup;
        }
        size_t got = VSIFReadL(b + n, 1, cap - n, fp);
        n += got;
        if (got == 0)
            break;
    }
    *buf = b;
    *len = n;
    b = NULL;
cleanup:
    gm__free(b);
    VSIFCloseL(fp);
    return st;
}

void gm__ogr_set_fields(const gm__layer_def *def, OGRFeatureH f, const gm__value *values)
{
    for (size_t i = 0; i < def->nfields; i++) {
        int k = (int)i;
        const gm__value *v = &values[i];
        if (gm__value_is_null(def->fields[i].type, v)) {
            OGR_F_SetFieldNull(f, k);
            continue;
        }
        switch (def->fields[i].type) {
        case GM__FT_STRING:
            OGR_F_SetFieldString(f, k, v->s);
            break;
        case GM__FT_INT:
            OGR_F_SetFieldInteger64(f, k, (GIntBig)v->i);
            break;
        case GM__FT_REAL:
            OGR_F_SetFieldDouble(f, k, v->d);
            break;
        }
    }
}
