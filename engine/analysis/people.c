/* Shared facts about people and sites: see people.h. */
#include "people.h"

#include "../geo/geoctx.h"
#include "../io/polys.h"

#include <geos_c.h>
#include <math.h>

int gm__person_mode(const gm_customer *c, unsigned computed)
{
    if (c->transport == GM_TRANSPORT_INDEPENDENT || c->transport == GM_TRANSPORT_TRAVEL_TRAINED) {
        /* The bus (with walking) is never slower than walking alone. */
        if (computed & GM__TM_BUS)
            return GM__TM_BUS_INDEX;
        static const int walker[] = {1, 2, 3}, slow[] = {2, 1, 3};
        const int *order = c->mobility == GM_MOBILITY_REDUCED ? slow : walker;
        for (int i = 0; i < 3; i++)
            if (computed & (1u << order[i]))
                return order[i];
        return -1;
    }
    if (computed & 1u)
        return 0;
    return -1;
}

double gm__goal_min(const gm_config *cfg, const gm_customer *c, int tm)
{
    double g = cfg->journeys.goal_min[tm];
    for (int k = 0; k < GM__NGROUPS; k++) {
        bool member = k == GM__GROUP_REDUCED_MOBILITY ? c->mobility == GM_MOBILITY_REDUCED
                                                      : (c->needs & (1u << k)) != 0;
        double v = cfg->journeys.group_goal_min[k][tm];
        if (member && isfinite(v) && v < g)
            g = v;
    }
    return g;
}

void gm__free_places(const gm_site *ss, size_t ns, const gm_customer *cs, size_t nc, int32_t *out)
{
    for (size_t s = 0; s < ns; s++)
        out[s] = 0;
    for (size_t i = 0; i < nc; i++)
        if (cs[i].current_site >= 0 && (size_t)cs[i].current_site < ns)
            out[cs[i].current_site]++;
    for (size_t s = 0; s < ns; s++) {
        int32_t used = ss[s].places_used >= 0 ? ss[s].places_used : out[s];
        int32_t f = ss[s].places_per_day - used;
        out[s] = f > 0 ? f : 0;
    }
}

gm_status gm__area_boundary(gm_ctx *ctx, const gm_config *cfg, void **out)
{
    *out = NULL;
    if (!cfg->area.boundary)
        return GM_OK;
    GEOSContextHandle_t h = gm__geos(ctx);
    if (!h)
        return gm__err(ctx, GM_E_GEOMETRY, "cannot start GEOS");
    gm__poly *p = NULL;
    size_t n = 0;
    gm_status st = gm__polys_read(ctx, cfg->area.boundary, cfg->area.boundary_layer, NULL, NULL, &p, &n, NULL);
    if (st != GM_OK)
        return st;
    GEOSGeometry **parts = gm__malloc(n * sizeof *parts);
    if (!parts) {
        gm__polys_free(ctx, p, n);
        return gm__err(ctx, GM_E_NOMEM, "out of memory reading the boundary");
    }
    for (size_t i = 0; i < n; i++) {
        parts[i] = p[i].geom;
        p[i].geom = NULL;
    }
    GEOSGeometry *coll = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, parts, (unsigned)n);
    gm__free(parts);
    gm__polys_free(ctx, p, n);
    *out = coll ? GEOSUnaryUnion_r(h, coll) : NULL;
    if (coll)
        GEOSGeom_destroy_r(h, coll);
    if (!*out)
        return gm__err(ctx, GM_E_GEOMETRY, "%s: the boundary polygons could not be merged", cfg->area.boundary_raw);
    return GM_OK;
}

gm_status gm__sites_in_area(gm_ctx *ctx, const gm_config *cfg, const gm_site *ss, size_t ns, bool *in_area)
{
    void *b = NULL;
    gm_status st = gm__area_boundary(ctx, cfg, &b);
    for (size_t s = 0; s < ns; s++)
        in_area[s] = true;
    if (st != GM_OK || !b)
        return st;
    GEOSContextHandle_t h = gm__geos(ctx);
    const GEOSPreparedGeometry *pb = GEOSPrepare_r(h, b);
    for (size_t s = 0; pb && s < ns; s++) {
        GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(h, ss[s].easting_m, ss[s].northing_m);
        in_area[s] = pt && GEOSPreparedIntersects_r(h, pb, pt) == 1;
        if (pt)
            GEOSGeom_destroy_r(h, pt);
    }
    if (pb)
        GEOSPreparedGeom_destroy_r(h, pb);
    else
        st = gm__err(ctx, GM_E_NOMEM, "out of memory testing which sites are in the area");
    GEOSGeom_destroy_r(h, b);
    return st;
}
