/*
 * Hexagon grid: grids over boundaries whose areas are known by hand, checked
 * for what a tiling must satisfy: the clipped areas add up to the boundary's
 * area, no two hexagons overlap, none sticks out, and ids follow rows south to
 * north, west to east.
 *
 * Fixtures (working-CRS metres):
 * - square: 10 km x 10 km at (400000, 200000), 100 km2.
 * - L: a 10 km square less its 5 km north-east quarter, 75 km2.
 * - slit: a 4 km square at the origin with a 50 m slit x 840..890 from the
 *   north edge down to y = 1000 (15.85 km2).  With 500 m sides the hexagons
 *   of lattice column 2 (centre x 866.03) in rows 2 and 4 (centre y 1500 and
 *   3000, 1000 m tall) straddle it, so the slit cuts each in two; the one in
 *   row 2 also meets the slit's end at its south vertex, a point GEOS returns
 *   beside the two pieces and the grid must drop.
 */
#include <criterion/criterion.h>
#include <geos_c.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "geo/geoctx.h"
#include "geo/hexgrid.h"

static gm_ctx *ctx;
static GEOSContextHandle_t h;
static void setup(void)
{
    cr_assert_eq(gm_ctx_new(&ctx), GM_OK);
    h = gm__geos(ctx);
    cr_assert_not_null(h);
}
static void teardown(void)
{
    gm__alloc_fail_after(-1);
    gm_ctx_free(ctx);
}

#define HEX_AREA(s) (1.5 * sqrt(3.0) * (s) * (s))

static GEOSGeometry *wkt(const char *text)
{
    GEOSWKTReader *r = GEOSWKTReader_create_r(h);
    GEOSGeometry *g = GEOSWKTReader_read_r(h, r, text);
    GEOSWKTReader_destroy_r(h, r);
    cr_assert_not_null(g, "%s", text);
    return g;
}

static GEOSGeometry *square(void)
{
    return wkt("POLYGON((400000 200000, 410000 200000, 410000 210000, 400000 210000, "
               "400000 200000))");
}

static GEOSGeometry *ell(void)
{
    return wkt("POLYGON((400000 200000, 410000 200000, 410000 205000, 405000 205000, "
               "405000 210000, 400000 210000, 400000 200000))");
}

static GEOSGeometry *slit(void)
{
    return wkt("POLYGON((0 0, 4000 0, 4000 4000, 890 4000, 890 1000, 840 1000, 840 4000, "
               "0 4000, 0 0))");
}

static double area_of(const GEOSGeometry *g)
{
    double a = -1;
    cr_assert(GEOSArea_r(h, g, &a));
    return a;
}

static gm__hex *make(const GEOSGeometry *b, double side, size_t *n)
{
    gm__hex *hx = NULL;
    cr_assert_eq(gm__hexgrid_make(ctx, b, side, &hx, n), GM_OK, "%s", gm_ctx_errmsg(ctx));
    cr_assert_gt(*n, 0);
    return hx;
}

/* What any clipped grid must satisfy over boundary b of the given area. */
static void assert_tiles(const GEOSGeometry *b, double want_area, const gm__hex *hx, size_t n,
                         double side)
{
    const double hw = sqrt(3.0) / 2 * side;
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        const GEOSGeometry *g = hx[i].geom;
        cr_assert_eq(GEOSisValid_r(h, g), 1, "%s valid", hx[i].id);
        int t = GEOSGeomTypeId_r(h, g);
        cr_assert(t == GEOS_POLYGON || t == GEOS_MULTIPOLYGON, "%s type %d", hx[i].id, t);
        cr_assert_eq(hx[i].area_m2, area_of(g));
        cr_assert_geq(hx[i].area_m2, 1.0);
        cr_assert_leq(hx[i].area_m2, HEX_AREA(side) * (1 + 1e-12));
        sum += hx[i].area_m2;
        /* inside the boundary: nothing left once the boundary is taken away */
        GEOSGeometry *out = GEOSDifference_r(h, g, b);
        cr_assert_lt(area_of(out), 1e-6, "%s sticks out by %g m2", hx[i].id, area_of(out));
        GEOSGeom_destroy_r(h, out);
        /* inside its own unclipped hexagon, so hexagons with centres more than
         * two sides apart cannot meet, and only nearer pairs need an overlay */
        double x0, y0, x1, y1;
        cr_assert(GEOSGeom_getXMin_r(h, g, &x0) && GEOSGeom_getXMax_r(h, g, &x1));
        cr_assert(GEOSGeom_getYMin_r(h, g, &y0) && GEOSGeom_getYMax_r(h, g, &y1));
        cr_assert(x0 >= hx[i].cx - hw - 1e-6 && x1 <= hx[i].cx + hw + 1e-6 &&
                      y0 >= hx[i].cy - side - 1e-6 && y1 <= hx[i].cy + side + 1e-6,
                  "%s outside its hexagon", hx[i].id);
    }
    cr_assert(fabs(sum - want_area) <= 1e-6 * want_area, "areas sum to %.6f m2, want %.6f", sum,
              want_area);
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            if (hypot(hx[i].cx - hx[j].cx, hx[i].cy - hx[j].cy) > 2 * side)
                continue;
            GEOSGeometry *x = GEOSIntersection_r(h, hx[i].geom, hx[j].geom);
            cr_assert_not_null(x);
            cr_assert_lt(area_of(x), 1e-6, "%s and %s overlap by %g m2", hx[i].id, hx[j].id,
                         area_of(x));
            GEOSGeom_destroy_r(h, x);
        }
}

static void assert_ids_ordered(const gm__hex *hx, size_t n)
{
    cr_assert_str_eq(hx[0].id, "H0001");
    for (size_t i = 0; i + 1 < n; i++) {
        cr_assert_lt(strcmp(hx[i].id, hx[i + 1].id), 0, "%s before %s", hx[i].id, hx[i + 1].id);
        cr_assert(hx[i].cy < hx[i + 1].cy || (hx[i].cy == hx[i + 1].cy && hx[i].cx < hx[i + 1].cx),
                  "%s (%.1f, %.1f) before %s (%.1f, %.1f): rows south to north, west to east",
                  hx[i].id, hx[i].cx, hx[i].cy, hx[i + 1].id, hx[i + 1].cx, hx[i + 1].cy);
    }
    char last[16];
    snprintf(last, sizeof last, "H%04zu", n);
    cr_assert_str_eq(hx[n - 1].id, last);
}

Test(hexgrid, a_square_is_tiled_exactly, .init = setup, .fini = teardown)
{
    GEOSGeometry *b = square();
    size_t n = 0;
    gm__hex *hx = make(b, 500, &n);
    assert_tiles(b, 1e8, hx, n, 500);
    /* a hexagon whose unclipped shape lies inside is whole: 0.6495 km2 */
    const double hw = sqrt(3.0) / 2 * 500;
    size_t whole = 0;
    for (size_t i = 0; i < n; i++)
        if (hx[i].cx - hw > 400000 && hx[i].cx + hw < 410000 && hx[i].cy - 500 > 200000 &&
            hx[i].cy + 500 < 210000) {
            cr_assert_eq(GEOSGetNumCoordinates_r(h, hx[i].geom), 7, "%s", hx[i].id);
            cr_assert(fabs(hx[i].area_m2 - HEX_AREA(500)) < 1e-6, "%s %.9f", hx[i].id,
                      hx[i].area_m2);
            whole++;
        }
    /* 100 km2 / 0.6495 km2 = 154 hexagons' worth; the edges take a ring of them */
    cr_assert_gt(whole, 100);
    cr_assert_lt(n, 220);
    gm__hexes_free(ctx, hx, n);
    GEOSGeom_destroy_r(h, b);
}

Test(hexgrid, ids_are_unique_and_follow_rows_south_to_north, .init = setup, .fini = teardown)
{
    GEOSGeometry *b = square();
    size_t n = 0;
    gm__hex *hx = make(b, 500, &n);
    assert_ids_ordered(hx, n);
    /* centres lie on the lattice anchored at the origin: rows 750 m apart */
    for (size_t i = 0; i < n; i++) {
        double r = hx[i].cy / 750;
        cr_assert_eq(r, round(r), "%s centre y %.9f", hx[i].id, hx[i].cy);
    }
    gm__hexes_free(ctx, hx, n);
    GEOSGeom_destroy_r(h, b);
}

Test(hexgrid, an_l_shape_is_tiled_exactly, .init = setup, .fini = teardown)
{
    GEOSGeometry *b = ell();
    size_t n = 0;
    gm__hex *hx = make(b, 500, &n);
    assert_tiles(b, 75e6, hx, n, 500);
    assert_ids_ordered(hx, n);
    /* nothing in the missing quarter */
    for (size_t i = 0; i < n; i++) {
        double x, y;
        GEOSGeometry *c = GEOSPointOnSurface_r(h, hx[i].geom);
        cr_assert(GEOSGeomGetX_r(h, c, &x) && GEOSGeomGetY_r(h, c, &y));
        cr_assert_not(x > 405000 && y > 205000, "%s at (%.0f, %.0f)", hx[i].id, x, y);
        GEOSGeom_destroy_r(h, c);
    }
    gm__hexes_free(ctx, hx, n);
    GEOSGeom_destroy_r(h, b);
}

Test(hexgrid, a_hexagon_cut_in_two_is_one_multipolygon, .init = setup, .fini = teardown)
{
    GEOSGeometry *b = slit();
    size_t n = 0;
    gm__hex *hx = make(b, 500, &n);
    assert_tiles(b, 16e6 - 50 * 3000, hx, n, 500);
    const double cx = 2 * (sqrt(3.0) / 2 * 500); /* lattice column 2, as the grid computes it */
    size_t split = 0;
    for (size_t i = 0; i < n; i++) {
        if (hx[i].cx != cx || hx[i].cy < 1500) /* row 0 ends below the slit */
            continue;
        /* rows 2 and 4 (y 1000..2000 and 2500..3500) lie across the slit;
         * row 6 (y 4000..5000) only touches the boundary */
        cr_assert_eq(GEOSGeomTypeId_r(h, hx[i].geom), GEOS_MULTIPOLYGON, "%s", hx[i].id);
        cr_assert_eq(GEOSGetNumGeometries_r(h, hx[i].geom), 2, "%s", hx[i].id);
        split++;
        if (hx[i].cy == 3000) {
            /* the slit takes the strip dx in [a, b] of a hexagon whose height
             * at offset dx is 2 * (s - |dx| / sqrt 3) */
            double a = 840 - cx, bb = 890 - cx;
            double strip = 2 * 500 * (bb - a) - (a * a + bb * bb) / sqrt(3.0);
            cr_assert(fabs(hx[i].area_m2 - (HEX_AREA(500) - strip)) < 1e-6, "%.9f vs %.9f",
                      hx[i].area_m2, HEX_AREA(500) - strip);
        }
    }
    cr_assert_eq(split, 2, "%zu split", split);
    gm__hexes_free(ctx, hx, n);
    GEOSGeom_destroy_r(h, b);
}

Test(hexgrid, a_boundary_smaller_than_a_sliver_gives_nothing, .init = setup, .fini = teardown)
{
    GEOSGeometry *b = wkt("POLYGON((100 100, 100.5 100, 100.5 100.5, 100 100.5, 100 100))");
    gm__hex *hx = (gm__hex *)&b; /* must be overwritten */
    size_t n = 9;
    cr_assert_eq(gm__hexgrid_make(ctx, b, 500, &hx, &n), GM_OK, "%s", gm_ctx_errmsg(ctx));
    cr_assert_null(hx);
    cr_assert_eq(n, 0);
    GEOSGeom_destroy_r(h, b);
}

Test(hexgrid, bad_arguments_are_refused, .init = setup, .fini = teardown)
{
    GEOSGeometry *b = square();
    gm__hex *hx = NULL;
    size_t n = 42;
    const double sides[] = {0, -500, NAN, INFINITY};
    for (size_t i = 0; i < sizeof sides / sizeof *sides; i++)
        cr_assert_eq(gm__hexgrid_make(ctx, b, sides[i], &hx, &n), GM_E_ARG, "side %g", sides[i]);
    cr_assert_eq(gm__hexgrid_make(ctx, NULL, 500, &hx, &n), GM_E_ARG);

    cr_assert_eq(gm__hexgrid_make(ctx, b, 1, &hx, &n), GM_E_ARG);
    cr_assert(strstr(gm_ctx_errmsg(ctx), "larger hexagon"), "%s", gm_ctx_errmsg(ctx));

    GEOSGeometry *empty = GEOSGeom_createEmptyPolygon_r(h);
    cr_assert_eq(gm__hexgrid_make(ctx, empty, 500, &hx, &n), GM_E_ARG);
    cr_assert(strstr(gm_ctx_errmsg(ctx), "empty"), "%s", gm_ctx_errmsg(ctx));
    GEOSGeom_destroy_r(h, empty);

    GEOSGeometry *pt = wkt("POINT(400000 200000)");
    cr_assert_eq(gm__hexgrid_make(ctx, pt, 500, &hx, &n), GM_E_ARG);
    GEOSGeom_destroy_r(h, pt);

    GEOSGeometry *bowtie = wkt("POLYGON((0 0, 1000 1000, 1000 0, 0 1000, 0 0))");
    cr_assert_eq(gm__hexgrid_make(ctx, bowtie, 500, &hx, &n), GM_E_GEOMETRY);
    cr_assert(strstr(gm_ctx_errmsg(ctx), "not a valid polygon"), "%s", gm_ctx_errmsg(ctx));
    GEOSGeom_destroy_r(h, bowtie);

    cr_assert_null(hx);
    cr_assert_eq(n, 42, "out-parameters untouched on error");
    GEOSGeom_destroy_r(h, b);
}

Test(hexgrid, every_allocation_failure_is_a_clean_nomem, .init = setup, .fini = teardown)
{
    /* the slit boundary: the results array and a split hexagon's pieces */
    GEOSGeometry *b = slit();
    gm_status st = GM_E_NOMEM;
    long k;
    for (k = 0; st != GM_OK; k++) {
        gm__hex *hx = NULL;
        size_t n = 0;
        gm__alloc_fail_after(k);
        st = gm__hexgrid_make(ctx, b, 500, &hx, &n);
        gm__alloc_fail_after(-1);
        if (st != GM_OK) {
            cr_assert_eq(st, GM_E_NOMEM, "allocation %ld: %s (%s)", k, gm_status_name(st),
                         gm_ctx_errmsg(ctx));
            cr_assert_null(hx);
        }
        gm__hexes_free(ctx, hx, n);
    }
    cr_assert_gt(k, 2);
    GEOSGeom_destroy_r(h, b);
}
