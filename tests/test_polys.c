/*
 * Polygon layers (engine/io/polys.c): the sample county's zones and boundary
 * from a GeoPackage, a GeoJSON in WGS84 brought into British National Grid,
 * and the messages for a missing file, layer or field.
 */
#include <criterion/criterion.h>
#include <geos_c.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "geo/geoctx.h"
#include "io/polys.h"
#include "testutil.h"

static gm_ctx *ctx;
static void setup(void) { cr_assert_eq(gm_ctx_new(&ctx), GM_OK); }
static void teardown(void)
{
    gm__alloc_fail_after(-1);
    gm_ctx_free(ctx);
}

Test(polys, the_sample_zones_and_boundary_read_with_ids_names_and_areas, .init = setup, .fini = teardown)
{
    char path[4096];
    snprintf(path, sizeof path, "%s", gmt_src("geodata/boundaries.gpkg"));
    gm__poly *z = NULL, *b = NULL;
    size_t nz, nb, skipped;
    cr_assert_eq(gm__polys_read(ctx, path, "lsoa", "lsoa21cd", "lsoa21nm", &z, &nz, &skipped), GM_OK, "%s",
                 gm_ctx_errmsg(ctx));
    cr_assert_eq(nz, 81);
    cr_assert_eq(skipped, 0);
    cr_assert_str_eq(z[0].id, "E01999001");
    cr_assert_str_eq(z[0].name, "Examplshire 001A");
    cr_assert_eq(gm__polys_read(ctx, path, "county", NULL, NULL, &b, &nb, NULL), GM_OK);
    cr_assert_eq(nb, 1);
    cr_assert_str_eq(b[0].id, "1", "without an id field, the feature number");
    GEOSContextHandle_t h = gm__geos(ctx);
    double sum = 0, county;
    for (size_t i = 0; i < nz; i++) {
        double a;
        cr_assert_eq(GEOSisValid_r(h, z[i].geom), 1);
        GEOSArea_r(h, z[i].geom, &a);
        sum += a;
    }
    GEOSArea_r(h, b[0].geom, &county);
    /* expected.json: 1,330.6 km2; the LSOAs tile the county. */
    cr_assert(fabs(county / 1e6 - 1330.6) < 0.1, "county %.1f km2", county / 1e6);
    cr_assert(fabs(sum - county) < 1e-6 * county, "zones %.1f km2, county %.1f km2", sum / 1e6, county / 1e6);
    gm__polys_free(ctx, z, nz);
    gm__polys_free(ctx, b, nb);
}

Test(polys, a_wgs84_geojson_is_brought_into_british_national_grid, .init = setup, .fini = teardown)
{
    const char *dir = gmt_tmpdir("polys");
    /* A 0.01 x 0.01 degree square at (-0.72, 52.66), Oakham. */
    const char *path = gmt_write(dir, "sq.geojson",
                                 "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\","
                                 "\"properties\":{\"code\":\"A\"},\"geometry\":{\"type\":\"Polygon\","
                                 "\"coordinates\":[[[-0.72,52.66],[-0.71,52.66],[-0.71,52.67],[-0.72,52.67],"
                                 "[-0.72,52.66]]]}},{\"type\":\"Feature\",\"properties\":{\"code\":\"B\"},"
                                 "\"geometry\":null}]}");
    gm__poly *p = NULL;
    size_t n, skipped;
    cr_assert_eq(gm__polys_read(ctx, path, NULL, "code", NULL, &p, &n, &skipped), GM_OK, "%s", gm_ctx_errmsg(ctx));
    cr_assert_eq(n, 1);
    cr_assert_eq(skipped, 1, "the feature without a geometry is left out and counted");
    GEOSContextHandle_t h = gm__geos(ctx);
    double x, y, a;
    GEOSGeom_getXMin_r(h, p[0].geom, &x);
    GEOSGeom_getYMin_r(h, p[0].geom, &y);
    GEOSArea_r(h, p[0].geom, &a);
    /* cs2cs EPSG:4326 EPSG:27700: (52.67, -0.72) -> 486,653 E; (52.66, -0.72) ->
     * 307,688 N.  0.01 deg is ~676 m east and ~1,112 m north. */
    cr_assert(fabs(x - 486653) < 2 && fabs(y - 307688) < 2, "(%.0f, %.0f)", x, y);
    cr_assert(fabs(a - 676.0 * 1112.0) < 0.02 * a, "%.0f m2", a);
    gm__polys_free(ctx, p, n);
}

Test(polys, missing_files_layers_and_fields_are_named, .init = setup, .fini = teardown)
{
    char path[4096];
    snprintf(path, sizeof path, "%s", gmt_src("geodata/boundaries.gpkg"));
    gm__poly *p = NULL;
    size_t n;
    cr_assert_eq(gm__polys_read(ctx, "/nonexistent/z.gpkg", NULL, NULL, NULL, &p, &n, NULL), GM_E_NOT_FOUND);
    cr_assert_eq(gm__polys_read(ctx, path, "wards", NULL, NULL, &p, &n, NULL), GM_E_NOT_FOUND);
    cr_assert(strstr(gm_ctx_errmsg(ctx), "lsoa") != NULL, "the message lists the layers: %s", gm_ctx_errmsg(ctx));
    cr_assert_eq(gm__polys_read(ctx, path, "lsoa", "LSOA11CD", NULL, &p, &n, NULL), GM_E_NOT_FOUND);
    cr_assert(strstr(gm_ctx_errmsg(ctx), "lsoa21cd") != NULL, "the message lists the fields: %s", gm_ctx_errmsg(ctx));
    cr_assert_null(p);
}

Test(polys, every_allocation_failure_is_clean, .init = setup, .fini = teardown)
{
    char path[4096];
    snprintf(path, sizeof path, "%s", gmt_src("geodata/boundaries.gpkg"));
    gm_status st = GM_E_NOMEM;
    long k;
    for (k = 0; st != GM_OK && k < 5000; k++) {
        gm__poly *p = NULL;
        size_t n = 0;
        gm__alloc_fail_after(k);
        st = gm__polys_read(ctx, path, "msoa", "msoa21cd", NULL, &p, &n, NULL);
        gm__alloc_fail_after(-1);
        cr_assert(st == GM_OK || st == GM_E_NOMEM, "allocation %ld: %s", k, gm_status_name(st));
        gm__polys_free(ctx, p, n);
    }
    cr_assert_eq(st, GM_OK);
}
