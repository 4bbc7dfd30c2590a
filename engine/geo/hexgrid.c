/*
 * Hexagon grids: see hexgrid.h.  Every candidate hexagon over the boundary's
 * bounding box is tested against the prepared boundary: one wholly inside is
 * kept as is, one crossing the edge is clipped with GEOSIntersection_r, one
 * outside is skipped.  Only the few along the edge pay for an overlay.
 *
 * Every vertex coordinate is an integer multiple of half a hexagon's width (x)
 * or half its side (y), computed from that integer alone, so neighbours share
 * bit-identical vertices: no gaps or overlaps between them, however far from
 * the origin.
 */
#include "hexgrid.h"

#include "geoctx.h"

#include <geos_c.h>
#include <math.h>
#include <stdio.h>

static gm_status geos_fail(gm_ctx *ctx, const char *what)
{
    char why[GM__ERRMSG_MAX];
    snprintf(why, sizeof why, "%s", gm_ctx_errmsg(ctx)); /* GEOS put it there */
    return gm__err(ctx, GM_E_GEOMETRY, "hexagon grid: %s failed (%s)", what, why);
}

/* Row r, lattice column k (k = 2*column + row parity; centre x = k * hw). */
static GEOSGeometry *hexagon(GEOSContextHandle_t h, double r, double k, double hw, double hs)
{
    /* counter-clockwise from the east edge's top; integers times hw or hs only */
    const double xy[14] = {
        (k + 1) * hw, (3 * r + 1) * hs, /* east edge, top */
        k * hw,       (3 * r + 2) * hs, /* north vertex */
        (k - 1) * hw, (3 * r + 1) * hs, /* west edge, top */
        (k - 1) * hw, (3 * r - 1) * hs, /* west edge, bottom */
        k * hw,       (3 * r - 2) * hs, /* south vertex */
        (k + 1) * hw, (3 * r - 1) * hs, /* east edge, bottom */
        (k + 1) * hw, (3 * r + 1) * hs, /* closed */
    };
    GEOSCoordSequence *seq = GEOSCoordSeq_copyFromBuffer_r(h, xy, 7, 0, 0);
    GEOSGeometry *ring = seq ? GEOSGeom_createLinearRing_r(h, seq) : NULL; /* takes seq */
    return ring ? GEOSGeom_createPolygon_r(h, ring, NULL, 0) : NULL;       /* takes ring */
}

/* Replace *geom (consumed) by its polygons: GEOS's overlay, in its default
 * non-strict mode, adds the lines and points where a hexagon only touches the
 * boundary, as a flat GeometryCollection beside the polygons.  A Polygon stays a Polygon; *geom is NULL (and GM_OK) when no
 * polygon is left. */
static gm_status polygonal(gm_ctx *ctx, GEOSContextHandle_t h, GEOSGeometry **geom)
{
    GEOSGeometry *in = *geom;
    int t = GEOSGeomTypeId_r(h, in);
    if (t == GEOS_POLYGON || t == GEOS_MULTIPOLYGON) {
        if (GEOSisEmpty_r(h, in)) {
            GEOSGeom_destroy_r(h, in);
            *geom = NULL;
        }
        return GM_OK;
    }
    int m = GEOSGetNumGeometries_r(h, in);
    size_t npoly = 0;
    for (int i = 0; i < m; i++) {
        const GEOSGeometry *sub = GEOSGetGeometryN_r(h, in, i);
        if (GEOSGeomTypeId_r(h, sub) == GEOS_POLYGON && !GEOSisEmpty_r(h, sub))
            npoly++;
    }
    GEOSGeometry *res = NULL;
    if (npoly == 1) {
        for (int i = 0; i < m && !res; i++) {
            const GEOSGeometry *sub = GEOSGetGeometryN_r(h, in, i);
            if (GEOSGeomTypeId_r(h, sub) == GEOS_POLYGON && !GEOSisEmpty_r(h, sub))
                res = GEOSGeom_clone_r(h, sub);
        }
    } else if (npoly > 1) {
        GEOSGeometry **polys = gm__malloc(npoly * sizeof *polys);
        if (!polys) {
            GEOSGeom_destroy_r(h, in);
            *geom = NULL;
            return gm__err(ctx, GM_E_NOMEM, "out of memory clipping a hexagon");
        }
        size_t k = 0;
        bool cloned = true;
        for (int i = 0; i < m; i++) {
            const GEOSGeometry *sub = GEOSGetGeometryN_r(h, in, i);
            if (GEOSGeomTypeId_r(h, sub) == GEOS_POLYGON && !GEOSisEmpty_r(h, sub))
                cloned = (polys[k++] = GEOSGeom_clone_r(h, sub)) != NULL && cloned;
        }
        if (cloned)
            res = GEOSGeom_createCollection_r(h, GEOS_MULTIPOLYGON, polys, (unsigned)k);
        else
            for (size_t i = 0; i < k; i++)
                GEOSGeom_destroy_r(h, polys[i]);
        gm__free(polys);
    }
    GEOSGeom_destroy_r(h, in);
    *geom = res;
    return res || npoly == 0 ? GM_OK : geos_fail(ctx, "keeping a clipped hexagon's polygons");
}

/* Check the boundary and return its bounding box. */
static gm_status check_boundary(gm_ctx *ctx, GEOSContextHandle_t h, const GEOSGeometry *b,
                                double box[4])
{
    if (!b)
        return gm__err(ctx, GM_E_ARG, "hexagon grid: no boundary given");
    int t = GEOSGeomTypeId_r(h, b);
    if (t != GEOS_POLYGON && t != GEOS_MULTIPOLYGON)
        return gm__err(ctx, GM_E_ARG,
                       "hexagon grid: the boundary must be a polygon or multipolygon (an area), "
                       "not geometry type %d",
                       t);
    char empty = GEOSisEmpty_r(h, b);
    if (empty == 2)
        return geos_fail(ctx, "testing the boundary");
    if (empty)
        return gm__err(ctx, GM_E_ARG,
                       "hexagon grid: the boundary is empty (check the area's filter selects a "
                       "feature)");
    char valid = GEOSisValid_r(h, b);
    if (valid != 1) {
        char *why = valid == 0 ? GEOSisValidReason_r(h, b) : NULL;
        gm_status st = gm__err(ctx, GM_E_GEOMETRY,
                               "hexagon grid: the boundary is not a valid polygon (%s): repair it, "
                               "e.g. with QGIS's Fix geometries",
                               why ? why : "GEOS could not check it");
        if (why)
            GEOSFree_r(h, why);
        return st;
    }
    if (!GEOSGeom_getXMin_r(h, b, &box[0]) || !GEOSGeom_getYMin_r(h, b, &box[1]) ||
        !GEOSGeom_getXMax_r(h, b, &box[2]) || !GEOSGeom_getYMax_r(h, b, &box[3]))
        return geos_fail(ctx, "measuring the boundary's extent");
    if (!(isfinite(box[0]) && isfinite(box[1]) && isfinite(box[2]) && isfinite(box[3])))
        return gm__err(ctx, GM_E_ARG, "hexagon grid: the boundary has non-finite coordinates");
    return GM_OK;
}

gm_status gm__hexgrid_make(gm_ctx *ctx, const void *boundary, double side_m, gm__hex **out,
                           size_t *n)
{
    if (!isfinite(side_m) || side_m <= 0)
        return gm__err(ctx, GM_E_ARG,
                       "hexagon side %g m: must be a positive number of metres", side_m);
    GEOSContextHandle_t h = gm__geos(ctx);
    if (!h)
        return gm__err(ctx, GM_E_NOMEM, "could not start the GEOS library");
    const GEOSGeometry *b = boundary;
    double box[4];
    gm_status st = check_boundary(ctx, h, b, box);
    if (st != GM_OK)
        return st;

    /* Row r spans y in [(3r-2)*hs, (3r+2)*hs]; lattice column k spans x in
     * [(k-1)*hw, (k+1)*hw].  The ranges below err on the generous side; the
     * prepared tests throw the extra candidates away cheaply. */
    const double hw = sqrt(3.0) / 2 * side_m, hs = side_m / 2;
    const double r0 = floor((box[1] / hs - 2) / 3), r1 = ceil((box[3] / hs + 2) / 3);
    const double k0 = floor(box[0] / hw) - 1, k1 = ceil(box[2] / hw) + 1;
    const double count = (r1 - r0 + 1) * ((k1 - k0) / 2 + 1);
    if (!(count <= GM__HEX_MAX)) {
        double fit = ceil(side_m * sqrt(count / GM__HEX_MAX) * 1.05);
        return gm__err(ctx, GM_E_ARG,
                       "hexagons of side %g m over the boundary's %.0f x %.0f m extent would "
                       "number about %.0f, more than the limit of %.0f: use a larger hexagon, "
                       "e.g. a side of %.0f m",
                       side_m, box[2] - box[0], box[3] - box[1], count, GM__HEX_MAX, fit);
    }

    /* Row and column numbers are counted in doubles, exact only below 2^53. */
    if (!(fabs(r0) < 1e15 && fabs(r1) < 1e15 && fabs(k0) < 1e15 && fabs(k1) < 1e15))
        return gm__err(ctx, GM_E_ARG,
                       "hexagon grid: the boundary's extent (%g, %g) - (%g, %g) is too far from "
                       "the origin: check it is in metres in the working CRS",
                       box[0], box[1], box[2], box[3]);

    gm__hex *res = NULL;
    size_t nres = 0, cap = 0;
    GEOSGeometry *hex = NULL;
    const GEOSPreparedGeometry *prep = GEOSPrepare_r(h, b);
    if (!prep)
        return geos_fail(ctx, "preparing the boundary");

    for (double r = r0; r <= r1; r++) {
        double parity = fabs(fmod(r, 2.0)); /* odd rows are shifted half a hexagon east */
        double kstart = k0 + (fabs(fmod(k0, 2.0)) != parity);
        for (double k = kstart; k <= k1; k += 2) {
            hex = hexagon(h, r, k, hw, hs);
            if (!hex) {
                st = geos_fail(ctx, "making a hexagon");
                goto cleanup;
            }
            char inside = GEOSPreparedContainsProperly_r(h, prep, hex);
            char crosses = inside == 0 ? GEOSPreparedIntersects_r(h, prep, hex) : 0;
            if (inside == 2 || crosses == 2) {
                st = geos_fail(ctx, "testing a hexagon against the boundary");
                goto cleanup;
            }
            if (!inside && !crosses) {
                GEOSGeom_destroy_r(h, hex);
                hex = NULL;
                continue;
            }
            if (!inside) {
                GEOSGeometry *clip = GEOSIntersection_r(h, hex, b);
                GEOSGeom_destroy_r(h, hex);
                hex = clip;
                if (!hex) {
                    st = geos_fail(ctx, "clipping a hexagon to the boundary");
                    goto cleanup;
                }
                if ((st = polygonal(ctx, h, &hex)) != GM_OK)
                    goto cleanup;
                if (!hex)
                    continue;
            }
            double area = 0;
            if (!GEOSArea_r(h, hex, &area)) {
                st = geos_fail(ctx, "measuring a hexagon");
                goto cleanup;
            }
            if (area < GM__HEX_MIN_AREA_M2) {
                GEOSGeom_destroy_r(h, hex);
                hex = NULL;
                continue;
            }
            if (!gm__grow((void **)&res, &cap, nres + 1, sizeof *res)) {
                st = gm__err(ctx, GM_E_NOMEM, "out of memory after %zu hexagons", nres);
                goto cleanup;
            }
            res[nres++] = (gm__hex){.geom = hex, .cx = k * hw, .cy = 3 * r * hs, .area_m2 = area};
            hex = NULL;
        }
    }

    /* Numbered once the count is known, so the zero padding makes the ids sort. */
    int width = 4; /* GM__HEX_MAX keeps nres under 10^7, so width <= 7 */
    for (size_t lim = 10000; nres >= lim && width < 7; lim *= 10)
        width++;
    for (size_t i = 0; i < nres; i++)
        snprintf(res[i].id, sizeof res[i].id, "H%0*u", width, (unsigned)(i + 1));
    *out = nres ? res : NULL;
    *n = nres;
    if (!nres)
        gm__free(res);
    res = NULL;
    nres = 0;

cleanup:
    if (hex)
        GEOSGeom_destroy_r(h, hex);
    GEOSPreparedGeom_destroy_r(h, prep);
    gm__hexes_free(ctx, res, nres);
    return st;
}

void gm__hexes_free(gm_ctx *ctx, gm__hex *hexes, size_t n)
{
    if (!hexes)
        return;
    GEOSContextHandle_t h = n ? gm__geos(ctx) : NULL;
    for (size_t i = 0; i < n; i++)
        if (hexes[i].geom && h)
            GEOSGeom_destroy_r(h, hexes[i].geom);
    gm__free(hexes);
}
