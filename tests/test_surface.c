/*
 * Surface: label grids traced into polygons, checked against the cells they
 * came from.  Every coordinate is a whole number of metres, so areas are exact.
 *
 * The main fixture is a 6 x 5 grid of 100 m cells at (400000, 200000), drawn
 * here south row (j = 0) first, as it is stored; "." is no data (-1):
 *
 *   j=0   2 2 2 2 1 .     label 2 only in the south row
 *   j=1   0 0 0 1 . 1
 *   j=2   0 . 0 1 1 1     label 0 is a ring round a no-data hole at (1,2)
 *   j=3   0 0 0 1 1 .
 *   j=4   1 1 1 1 . .     label 1: a big region plus cell (4,0), which touches
 *                         it only at two corners
 *
 * Counts: label 0: 8 cells, label 1: 12, label 2: 4, no data: 6.
 */
#include <criterion/criterion.h>
#include <geos_c.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "geo/geoctx.h"
#include "geo/surface.h"

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

#define CELL 100.0
#define CELL2 (CELL * CELL)
#define ND (-1) /* no data */

static const gm__grid grid65 = {.x0 = 400000, .y0 = 200000, .cell_m = CELL, .nx = 6, .ny = 5};
static const int32_t labels65[30] = {
    2, 2, 2, 2, 1, ND, /* j = 0, south */
    0, 0, 0, 1, ND, 1, /* j = 1 */
    0, ND, 0, 1, 1, 1, /* j = 2 */
    0, 0, 0, 1, 1, ND, /* j = 3 */
    1, 1, 1, 1, ND, ND, /* j = 4, north */
};

static gm__label_poly *trace(const gm__grid *g, const int32_t *labels, size_t *n)
{
    gm__label_poly *p = NULL;
    cr_assert_eq(gm__surface_polygons(ctx, g, labels, &p, n), GM_OK, "%s", gm_ctx_errmsg(ctx));
    return p;
}

static bool covers_point(const GEOSGeometry *geom, double x, double y)
{
    GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(h, x, y);
    char c = GEOSContains_r(h, geom, pt);
    GEOSGeom_destroy_r(h, pt);
    cr_assert_neq(c, 2);
    return c == 1;
}

static double area_of(const GEOSGeometry *geom)
{
    double a = -1;
    cr_assert(GEOSArea_r(h, geom, &a));
    return a;
}

/* Every cell centre lies in its own label's polygon and in no other; no-data
 * centres lie in none.  This pins the north/south and east/west orientation. */
static void assert_cells_match(const gm__grid *g, const int32_t *labels, const gm__label_poly *p,
                               size_t n)
{
    for (uint32_t j = 0; j < g->ny; j++)
        for (uint32_t i = 0; i < g->nx; i++) {
            int32_t want = labels[j * g->nx + i];
            double x = g->x0 + (i + 0.5) * g->cell_m, y = g->y0 + (j + 0.5) * g->cell_m;
            for (size_t k = 0; k < n; k++)
                cr_assert_eq(covers_point(p[k].geom, x, y), p[k].label == want,
                             "cell (%u, %u) label %d vs polygon of label %d", i, j, want,
                             p[k].label);
        }
}

Test(surface, areas_are_cell_counts_times_cell_area, .init = setup, .fini = teardown)
{
    size_t n = 0;
    gm__label_poly *p = trace(&grid65, labels65, &n);
    cr_assert_eq(n, 3);
    const double want[3] = {8 * CELL2, 12 * CELL2, 4 * CELL2};
    for (size_t k = 0; k < n; k++) {
        cr_assert_eq(p[k].label, (int32_t)k, "sorted by label");
        cr_assert_eq(p[k].area_m2, want[k], "label %d: %.17g m2", p[k].label, p[k].area_m2);
        cr_assert_eq(area_of(p[k].geom), want[k]);
        cr_assert_eq(GEOSGeomTypeId_r(h, p[k].geom), GEOS_MULTIPOLYGON);
        cr_assert_eq(GEOSisValid_r(h, p[k].geom), 1, "label %d is valid", p[k].label);
    }
    cr_assert_eq(GEOSGetNumGeometries_r(h, p[1].geom), 2, "label 1: the region and cell (4,0)");
    gm__label_polys_free(ctx, p, n);
}

Test(surface, every_cell_centre_is_in_its_own_label_only, .init = setup, .fini = teardown)
{
    size_t n = 0;
    gm__label_poly *p = trace(&grid65, labels65, &n);
    assert_cells_match(&grid65, labels65, p, n);
    gm__label_polys_free(ctx, p, n);
}

Test(surface, labels_do_not_overlap_and_union_to_the_labelled_cells, .init = setup,
     .fini = teardown)
{
    size_t n = 0;
    gm__label_poly *p = trace(&grid65, labels65, &n);
    for (size_t a = 0; a < n; a++)
        for (size_t b = a + 1; b < n; b++) {
            GEOSGeometry *x = GEOSIntersection_r(h, p[a].geom, p[b].geom);
            cr_assert_not_null(x);
            cr_assert_eq(area_of(x), 0.0, "labels %d and %d overlap", p[a].label, p[b].label);
            GEOSGeom_destroy_r(h, x);
        }
    GEOSGeometry *parts[3];
    for (size_t k = 0; k < n; k++)
        parts[k] = GEOSGeom_clone_r(h, p[k].geom);
    GEOSGeometry *all = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, parts, 3);
    GEOSGeometry *u = GEOSUnaryUnion_r(h, all);
    cr_assert_eq(area_of(u), 24 * CELL2, "30 cells less 6 with no data");
    GEOSGeom_destroy_r(h, u);
    GEOSGeom_destroy_r(h, all);
    gm__label_polys_free(ctx, p, n);
}

Test(surface, a_ring_of_cells_keeps_its_hole, .init = setup, .fini = teardown)
{
    size_t n = 0;
    gm__label_poly *p = trace(&grid65, labels65, &n);
    cr_assert_eq(GEOSGetNumGeometries_r(h, p[0].geom), 1);
    const GEOSGeometry *ring = GEOSGetGeometryN_r(h, p[0].geom, 0);
    cr_assert_eq(GEOSGetNumInteriorRings_r(h, ring), 1);
    /* the hole is cell (1,2): x 400100..400200, y 200200..200300 */
    const GEOSGeometry *hole = GEOSGetInteriorRingN_r(h, ring, 0);
    double x0, y0, x1, y1;
    cr_assert(GEOSGeom_getXMin_r(h, hole, &x0) && GEOSGeom_getYMin_r(h, hole, &y0));
    cr_assert(GEOSGeom_getXMax_r(h, hole, &x1) && GEOSGeom_getYMax_r(h, hole, &y1));
    cr_assert(x0 == 400100 && x1 == 400200 && y0 == 200200 && y1 == 200300,
              "hole (%g %g, %g %g)", x0, y0, x1, y1);
    cr_assert_not(covers_point(p[0].geom, 400150, 200250));
    gm__label_polys_free(ctx, p, n);
}

Test(surface, the_south_row_is_j_zero, .init = setup, .fini = teardown)
{
    size_t n = 0;
    gm__label_poly *p = trace(&grid65, labels65, &n);
    GEOSGeometry *c = GEOSGetCentroid_r(h, p[2].geom);
    double x, y;
    cr_assert(GEOSGeomGetX_r(h, c, &x) && GEOSGeomGetY_r(h, c, &y));
    cr_assert_eq(y, grid65.y0 + 0.5 * CELL, "label 2 (row j=0) centroid y %.17g", y);
    cr_assert_eq(x, grid65.x0 + 2 * CELL, "cells 0..3 centroid x %.17g", x);
    GEOSGeom_destroy_r(h, c);
    gm__label_polys_free(ctx, p, n);
}

/* A C of label 0 closed only through a corner: the no-data centre cell touches
 * the no-data NE cell diagonally, so the traced ring touches itself there.
 *   j=0  0 0 0
 *   j=1  0 . 0
 *   j=2  0 0 .      */
Test(surface, a_ring_closed_at_a_corner_is_valid, .init = setup, .fini = teardown)
{
    const gm__grid g = {.x0 = 0, .y0 = 0, .cell_m = CELL, .nx = 3, .ny = 3};
    const int32_t lab[9] = {0, 0, 0, 0, ND, 0, 0, 0, ND};
    size_t n = 0;
    gm__label_poly *p = trace(&g, lab, &n);
    cr_assert_eq(n, 1);
    cr_assert_eq(GEOSisValid_r(h, p[0].geom), 1);
    cr_assert_eq(p[0].area_m2, 7 * CELL2);
    assert_cells_match(&g, lab, p, n);
    gm__label_polys_free(ctx, p, n);
}

/* A 4 x 4 checkerboard: every part of a label touches others only at corners
 * (the worst case for collecting parts without a union). */
Test(surface, a_checkerboard_gives_valid_corner_touching_parts, .init = setup, .fini = teardown)
{
    const gm__grid g = {.x0 = 1000, .y0 = 2000, .cell_m = CELL, .nx = 4, .ny = 4};
    int32_t lab[16];
    for (int k = 0; k < 16; k++)
        lab[k] = 7 + ((k % 4) + (k / 4)) % 2 * 5; /* labels 7 and 12 */
    size_t n = 0;
    gm__label_poly *p = trace(&g, lab, &n);
    cr_assert_eq(n, 2);
    cr_assert_eq(p[0].label, 7);
    cr_assert_eq(p[1].label, 12);
    for (size_t k = 0; k < n; k++) {
        cr_assert_eq(GEOSisValid_r(h, p[k].geom), 1);
        cr_assert_eq(p[k].area_m2, 8 * CELL2);
        cr_assert_eq(GEOSGetNumGeometries_r(h, p[k].geom), 8);
    }
    assert_cells_match(&g, lab, p, n);
    gm__label_polys_free(ctx, p, n);
}

Test(surface, an_all_no_data_grid_gives_nothing, .init = setup, .fini = teardown)
{
    int32_t lab[30];
    for (int k = 0; k < 30; k++)
        lab[k] = -1 - k; /* any negative value is no data */
    gm__label_poly *p = (gm__label_poly *)&lab; /* must be overwritten */
    size_t n = 99;
    cr_assert_eq(gm__surface_polygons(ctx, &grid65, lab, &p, &n), GM_OK);
    cr_assert_null(p);
    cr_assert_eq(n, 0);
    gm__label_polys_free(ctx, NULL, 0);
}

Test(surface, output_is_the_same_on_every_run, .init = setup, .fini = teardown)
{
    size_t n1 = 0, n2 = 0;
    gm__label_poly *a = trace(&grid65, labels65, &n1);
    gm__label_poly *b = trace(&grid65, labels65, &n2);
    cr_assert_eq(n1, n2);
    for (size_t k = 0; k < n1; k++)
        cr_assert_eq(GEOSEqualsExact_r(h, a[k].geom, b[k].geom, 0), 1, "label %d", a[k].label);
    gm__label_polys_free(ctx, a, n1);
    gm__label_polys_free(ctx, b, n2);
}

Test(surface, bad_grids_are_refused, .init = setup, .fini = teardown)
{
    gm__label_poly *p = NULL;
    size_t n = 42;
    gm__grid g = grid65;
    cr_assert_eq(gm__surface_polygons(ctx, &g, NULL, &p, &n), GM_E_ARG);
    cr_assert_eq(gm__surface_polygons(ctx, NULL, labels65, &p, &n), GM_E_ARG);
    g.nx = 0;
    cr_assert_eq(gm__surface_polygons(ctx, &g, labels65, &p, &n), GM_E_ARG);
    g = grid65;
    g.cell_m = 0;
    cr_assert_eq(gm__surface_polygons(ctx, &g, labels65, &p, &n), GM_E_ARG);
    g = grid65;
    g.y0 = NAN;
    cr_assert_eq(gm__surface_polygons(ctx, &g, labels65, &p, &n), GM_E_ARG);
    g = grid65;
    g.nx = g.ny = 20000; /* 4e8 cells */
    cr_assert_eq(gm__surface_polygons(ctx, &g, labels65, &p, &n), GM_E_ARG);
    cr_assert_null(p);
    cr_assert_eq(n, 42, "out-parameters untouched on error");
}

Test(surface, every_allocation_failure_is_a_clean_nomem, .init = setup, .fini = teardown)
{
    gm_status st = GM_E_NOMEM;
    long k;
    for (k = 0; st != GM_OK; k++) {
        gm__label_poly *p = NULL;
        size_t n = 0;
        gm__alloc_fail_after(k);
        st = gm__surface_polygons(ctx, &grid65, labels65, &p, &n);
        gm__alloc_fail_after(-1);
        if (st != GM_OK) {
            cr_assert_eq(st, GM_E_NOMEM, "allocation %ld: %s (%s)", k, gm_status_name(st),
                         gm_ctx_errmsg(ctx));
            cr_assert_null(p);
        } else {
            cr_assert_eq(n, 3);
        }
        gm__label_polys_free(ctx, p, n);
    }
    cr_assert_gt(k, 4, "the walk covered the row buffer, the parts, the results");
}

/* ---- gm__grid_cover --------------------------------------------------------- */

Test(surface, grid_cover_snaps_outwards_to_whole_cells, .init = setup, .fini = teardown)
{
    gm__grid g;
    cr_assert_eq(gm__grid_cover(ctx, 400010, 200020, 400990, 200550, 100, &g), GM_OK);
    cr_assert(g.x0 == 400000 && g.y0 == 200000 && g.cell_m == 100 && g.nx == 10 && g.ny == 6,
              "(%g, %g) %u x %u", g.x0, g.y0, g.nx, g.ny);
    /* already on cell edges: no extra row or column */
    cr_assert_eq(gm__grid_cover(ctx, 0, 0, 1000, 500, 100, &g), GM_OK);
    cr_assert(g.x0 == 0 && g.y0 == 0 && g.nx == 10 && g.ny == 5);
    /* negative coordinates snap down, not towards zero */
    cr_assert_eq(gm__grid_cover(ctx, -150, -250, 150, 250, 100, &g), GM_OK);
    cr_assert(g.x0 == -200 && g.y0 == -300 && g.nx == 4 && g.ny == 6);
    /* a point still gets a cell */
    cr_assert_eq(gm__grid_cover(ctx, 100, 150, 100, 150, 100, &g), GM_OK);
    cr_assert(g.x0 == 100 && g.y0 == 100 && g.nx == 1 && g.ny == 1);
    /* exactly the limit */
    cr_assert_eq(gm__grid_cover(ctx, 0, 0, 100000, 100000, 10, &g), GM_OK);
    cr_assert_eq((double)g.nx * g.ny, 1e8);
}

Test(surface, grid_cover_refuses_bad_boxes_and_cells, .init = setup, .fini = teardown)
{
    gm__grid g = {.nx = 77};
    cr_assert_eq(gm__grid_cover(ctx, NAN, 0, 1, 1, 1, &g), GM_E_ARG);
    cr_assert_eq(gm__grid_cover(ctx, 0, 0, INFINITY, 1, 1, &g), GM_E_ARG);
    cr_assert_eq(gm__grid_cover(ctx, 5, 0, 1, 1, 1, &g), GM_E_ARG);
    cr_assert_eq(gm__grid_cover(ctx, 0, 0, 1, 1, 0, &g), GM_E_ARG);
    cr_assert_eq(gm__grid_cover(ctx, 0, 0, 1, 1, -3, &g), GM_E_ARG);
    cr_assert_eq(gm__grid_cover(ctx, 0, 0, 1, 1, NAN, &g), GM_E_ARG);
    cr_assert_eq(gm__grid_cover(ctx, 0, 0, 100000, 100001, 10, &g), GM_E_ARG);
    cr_assert(strstr(gm_ctx_errmsg(ctx), "100000000") && strstr(gm_ctx_errmsg(ctx), "larger cell"),
              "%s", gm_ctx_errmsg(ctx));
    cr_assert_eq(gm__grid_cover(ctx, 0, 0, 700000, 1300000, 1, &g), GM_E_ARG);
    cr_assert_eq(g.nx, 77, "untouched on error");
}
