/* PROJ wrappers: see crs.h.  A transform object owns its PJ; it is tied to the
 * gm_ctx's PJ_CONTEXT and must be used from that context's thread (or cloned per
 * thread by a later parallel stage). */
#include "crs.h"

#include "geoctx.h"

#include <math.h>
#include <proj.h>
#include <string.h>

struct gm__xform {
    PJ *pj;
    bool noop;
};

static const char *proj_errstr(PJ_CONTEXT *p)
{
    int e = proj_context_errno(p);
    return e ? proj_context_errno_string(p, e) : "unknown PROJ error";
}

gm_status gm__xform_new(gm_ctx *ctx, const char *src, const char *dst, gm__xform **out)
{
    PJ_CONTEXT *p = gm__proj(ctx);
    if (!p)
        return gm__err(ctx, GM_E_NOMEM, "could not start the PROJ library");
    gm__xform *xf = gm__calloc(1, sizeof *xf);
    if (!xf)
        return gm__err(ctx, GM_E_NOMEM, "out of memory making a coordinate transform");
    xf->noop = strcmp(src, dst) == 0;
    PJ *raw = proj_create_crs_to_crs(p, src, dst, NULL);
    if (!raw) {
        gm__free(xf);
        return gm__err(ctx, GM_E_CRS,
                       "cannot transform coordinates from '%s' to '%s' (%s): check the crs setting, "
                       "e.g. EPSG:27700 for eastings/northings or EPSG:4326 for longitude/latitude",
                       src, dst, proj_errstr(p));
    }
    xf->pj = proj_normalize_for_visualization(p, raw);
    proj_destroy(raw);
    if (!xf->pj) {
        gm__free(xf);
        return gm__err(ctx, GM_E_CRS, "cannot set lon/lat axis order for '%s' -> '%s' (%s)", src,
                       dst, proj_errstr(p));
    }
    *out = xf;
    return GM_OK;
}

void gm__xform_free(gm__xform *xf)
{
    if (!xf)
        return;
    proj_destroy(xf->pj);
    gm__free(xf);
}

bool gm__xform_is_noop(const gm__xform *xf)
{
    return xf->noop;
}

bool gm__xform_point(const gm__xform *xf, double *x, double *y)
{
    if (xf->noop)
        return isfinite(*x) && isfinite(*y);
    PJ_COORD c = proj_coord(*x, *y, 0, 0);
    PJ_COORD r = proj_trans(xf->pj, PJ_FWD, c);
    if (!isfinite(r.xy.x) || !isfinite(r.xy.y) || r.xy.x == HUGE_VAL)
        return false;
    *x = r.xy.x;
    *y = r.xy.y;
    return true;
}

gm_status gm__xform_apply(gm_ctx *ctx, const gm__xform *xf, double *x, double *y, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double xi = x[i], yi = y[i];
        if (!gm__xform_point(xf, &xi, &yi))
            return gm__err(ctx, GM_E_CRS, "point %zu (%.6f, %.6f) cannot be transformed", i + 1,
                           x[i], y[i]);
        x[i] = xi;
        y[i] = yi;
    }
    return GM_OK;
}

gm_status gm__crs_esri_wkt(gm_ctx *ctx, const char *crs, char **out)
{
    PJ_CONTEXT *p = gm__proj(ctx);
    if (!p)
        return gm__err(ctx, GM_E_NOMEM, "could not start the PROJ library");
    PJ *obj = proj_create(p, crs);
    if (!obj)
        return gm__err(ctx, GM_E_CRS, "unknown coordinate reference system '%s' (%s)", crs,
                       proj_errstr(p));
    const char *opts[] = {"MULTILINE=NO", NULL};
    const char *wkt = proj_as_wkt(p, obj, PJ_WKT1_ESRI, opts);
    gm_status st = GM_OK;
    if (!wkt)
        st = gm__err(ctx, GM_E_CRS, "cannot express '%s' as ESRI WKT (%s)", crs, proj_errstr(p));
    else if (!(*out = gm__strdup(wkt)))
        st = gm__err(ctx, GM_E_NOMEM, "out of memory");
    proj_destroy(obj);
    return st;
}

gm_status gm__crs_is_geographic(gm_ctx *ctx, const char *crs, bool *out)
{
    PJ_CONTEXT *p = gm__proj(ctx);
    if (!p)
        return gm__err(ctx, GM_E_NOMEM, "could not start the PROJ library");
    PJ *obj = proj_create(p, crs);
    if (!obj)
        return gm__err(ctx, GM_E_CRS, "unknown coordinate reference system '%s' (%s)", crs,
                       proj_errstr(p));
    PJ_TYPE t = proj_get_type(obj);
    *out = t == PJ_TYPE_GEOGRAPHIC_2D_CRS || t == PJ_TYPE_GEOGRAPHIC_3D_CRS ||
           t == PJ_TYPE_GEOGRAPHIC_CRS;
    proj_destroy(obj);
    return GM_OK;
}
