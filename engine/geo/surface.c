/*
 * Label grid -> polygons: see surface.h.  The grid is copied into an in-memory
 * GDAL raster (north row first, as GDAL wants), traced by GDALPolygonize into an
 * in-memory OGR layer, and each traced polygon is read into GEOS through WKB.
 *
 * Invariants: every GDAL call runs with the gdalutil capture pushed, so GDAL
 * never prints; the raster and layer live only for the call.  Only gm__
 * allocations are ours; GDAL and GEOS allocate for themselves.
 *
 * Grouping: GDALPolygonize makes one polygon per 4-connected region of equal
 * value, so two polygons of one label never share an edge (they would be one
 * region) and can only touch at a cell corner.  A MultiPolygon whose parts
 * touch at points is valid, so the parts are simply collected
 * (GEOSGeom_createCollection_r) instead of unioned, which would redo the
 * noding of every staircase edge for nothing.  The result is still checked
 * with GEOSisValid_r and repaired with GEOSMakeValid_r if GDAL traced a ring
 * that touches itself (a region closed through a corner).
 */
#include "surface.h"

#include "../io/gdalutil.h"
#include "geoctx.h"

#include <gdal.h>
#include <gdal_alg.h>
#include <geos_c.h>
#include <limits.h>
#include <math.h>
#include <ogr_api.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

/* The value no-data cells get in the raster; GDAL's mask band then hides them. */
#define NODATA (-1)

static pthread_once_t register_once = PTHREAD_ONCE_INIT;

static void register_drivers(void)
{
    GDALAllRegister();
}

gm_status gm__grid_cover(gm_ctx *ctx, double minx, double miny, double maxx, double maxy,
                         double cell_m, gm__grid *out)
{
    if (!(isfinite(minx) && isfinite(miny) && isfinite(maxx) && isfinite(maxy)) || minx > maxx ||
        miny > maxy)
        return gm__err(ctx, GM_E_ARG,
                       "grid box (%g, %g) - (%g, %g) is not a box: corners must be finite, "
                       "lower-left first",
                       minx, miny, maxx, maxy);
    if (!isfinite(cell_m) || cell_m <= 0)
        return gm__err(ctx, GM_E_ARG, "grid cell size %g m: must be a positive number of metres",
                       cell_m);
    double ix0 = floor(minx / cell_m), iy0 = floor(miny / cell_m);
    double ix1 = fmax(ceil(maxx / cell_m), ix0 + 1), iy1 = fmax(ceil(maxy / cell_m), iy0 + 1);
    /* The divisions round; make sure the snapped edges really enclose the box. */
    if (ix0 * cell_m > minx)
        ix0 -= 1;
    if (iy0 * cell_m > miny)
        iy0 -= 1;
    if (ix1 * cell_m < maxx)
        ix1 += 1;
    if (iy1 * cell_m < maxy)
        iy1 += 1;
    double nx = ix1 - ix0, ny = iy1 - iy0, cells = nx * ny;
    if (nx < 1 || ny < 1) /* ix0 + 1 == ix0: coordinates beyond double's integer range */
        return gm__err(ctx, GM_E_ARG,
                       "grid box (%g, %g) - (%g, %g) is too far from the origin for %g m cells: "
                       "check the coordinates are metres in the working CRS",
                       minx, miny, maxx, maxy, cell_m);
    if (!(cells <= GM__GRID_MAX_CELLS)) {
        /* 5% over the square-root scaling leaves room for the outward snapping. */
        double fit = cell_m * sqrt(cells / GM__GRID_MAX_CELLS) * 1.05;
        if (fit >= 1)
            fit = ceil(fit);
        return gm__err(ctx, GM_E_ARG,
                       "a grid of %g m cells over %g x %g m would have %.0f cells, more than the "
                       "limit of %.0f: use a larger cell, e.g. %.6g m",
                       cell_m, maxx - minx, maxy - miny, cells, GM__GRID_MAX_CELLS, fit);
    }
    *out = (gm__grid){.x0 = ix0 * cell_m,
                      .y0 = iy0 * cell_m,
                      .cell_m = cell_m,
                      .nx = (uint32_t)nx,
                      .ny = (uint32_t)ny};
    return GM_OK;
}

/* One traced polygon; seq keeps GDAL's order among polygons of a label. */
typedef struct part {
    int32_t label;
    size_t seq;
    GEOSGeometry *geom;
} part;

static int part_cmp(const void *a, const void *b)
{
    const part *p = a, *q = b;
    if (p->label != q->label)
        return p->label < q->label ? -1 : 1;
    return p->seq < q->seq ? -1 : p->seq > q->seq;
}

static gm_status gdal_fail(gm_ctx *ctx, const gm__gdal_capture *cap, const char *what)
{
    return gm__err(ctx, GM_E_GDAL, "label grid: %s failed: %s", what,
                   cap->msg[0] ? cap->msg : "GDAL gave no reason");
}

static gm_status geos_fail(gm_ctx *ctx, const char *what)
{
    char why[GM__ERRMSG_MAX];
    snprintf(why, sizeof why, "%s", gm_ctx_errmsg(ctx)); /* GEOS put it there */
    return gm__err(ctx, GM_E_GEOMETRY, "label grid: %s failed (%s)", what, why);
}

/* Copy the grid into a MEM raster and trace it into a new Memory layer, which
 * *vec_out owns.  The capture must be pushed. */
static gm_status trace(gm_ctx *ctx, const gm__grid *g, const int32_t *labels,
                       const gm__gdal_capture *cap, GDALDatasetH *vec_out)
{
    gm_status st = GM_OK;
    GDALDatasetH ras = NULL, vec = NULL;
    int32_t *row = gm__malloc(g->nx * sizeof *row);
    if (!row)
        return gm__err(ctx, GM_E_NOMEM, "out of memory copying a %u x %u label grid", g->nx,
                       g->ny);

    GDALDriverH mem = GDALGetDriverByName("MEM"), memv = GDALGetDriverByName("Memory");
    if (!mem || !memv) {
        st = gm__err(ctx, GM_E_GDAL,
                     "GDAL's in-memory drivers (MEM, Memory) are missing from this GDAL build");
        goto cleanup;
    }
    ras = GDALCreate(mem, "", (int)g->nx, (int)g->ny, 1, GDT_Int32, NULL);
    if (!ras) {
        st = gdal_fail(ctx, cap, "making an in-memory raster");
        goto cleanup;
    }
    /* GDAL's row 0 is the north edge, hence the negative pixel height. */
    double gt[6] = {g->x0, g->cell_m, 0, g->y0 + g->ny * g->cell_m, 0, -g->cell_m};
    GDALRasterBandH band = GDALGetRasterBand(ras, 1);
    if (GDALSetGeoTransform(ras, gt) != CE_None || GDALSetRasterNoDataValue(band, NODATA) != CE_None) {
        st = gdal_fail(ctx, cap, "setting up the in-memory raster");
        goto cleanup;
    }
    for (uint32_t j = 0; j < g->ny; j++) {
        const int32_t *src = labels + (size_t)j * g->nx;
        for (uint32_t i = 0; i < g->nx; i++)
            row[i] = src[i] < 0 ? NODATA : src[i];
        /* our row j (from the south) is GDAL's row ny-1-j (from the north) */
        if (GDALRasterIO(band, GF_Write, 0, (int)(g->ny - 1 - j), (int)g->nx, 1, row, (int)g->nx,
                         1, GDT_Int32, 0, 0) != CE_None) {
            st = gdal_fail(ctx, cap, "filling the in-memory raster");
            goto cleanup;
        }
    }

    vec = GDALCreate(memv, "", 0, 0, 0, GDT_Unknown, NULL);
    OGRLayerH layer = vec ? GDALDatasetCreateLayer(vec, "labels", NULL, wkbPolygon, NULL) : NULL;
    OGRFieldDefnH fd = layer ? OGR_Fld_Create("label", OFTInteger) : NULL;
    OGRErr fe = fd ? OGR_L_CreateField(layer, fd, TRUE) : OGRERR_FAILURE;
    if (fd)
        OGR_Fld_Destroy(fd);
    if (fe != OGRERR_NONE) {
        st = gdal_fail(ctx, cap, "making an in-memory layer");
        goto cleanup;
    }
    /* The nodata mask leaves no-data cells out instead of tracing them; without
     * the 8CONNECTED option cells join through their edges only. */
    if (GDALPolygonize(band, GDALGetMaskBand(band), layer, 0, NULL, NULL, NULL) != CE_None) {
        st = gdal_fail(ctx, cap, "tracing the label polygons (GDALPolygonize)");
        goto cleanup;
    }
    *vec_out = vec;
    vec = NULL;

cleanup:
    if (vec)
        GDALClose(vec);
    if (ras)
        GDALClose(ras);
    gm__free(row);
    return st;
}

/* Read every traced polygon of layer into GEOS, appended to *parts. */
static gm_status collect(gm_ctx *ctx, GEOSContextHandle_t h, OGRLayerH layer, part **parts,
                         size_t *nparts)
{
    gm_status st = GM_OK;
    size_t cap = 0, wkbcap = 0;
    unsigned char *wkb = NULL;
    GEOSWKBReader *reader = GEOSWKBReader_create_r(h);
    if (!reader)
        return gm__err(ctx, GM_E_NOMEM, "out of memory making a WKB reader");

    OGR_L_ResetReading(layer);
    OGRFeatureH f;
    while ((f = OGR_L_GetNextFeature(layer)) != NULL) {
        int label = OGR_F_GetFieldAsInteger(f, 0);
        OGRGeometryH og = OGR_F_GetGeometryRef(f);
        if (label < 0 || !og || OGR_G_IsEmpty(og)) { /* the mask should leave none */
            OGR_F_Destroy(f);
            continue;
        }
        size_t size = (size_t)OGR_G_WkbSize(og);
        if (!gm__grow((void **)&wkb, &wkbcap, size, 1) ||
            !gm__grow((void **)parts, &cap, *nparts + 1, sizeof **parts)) {
            OGR_F_Destroy(f);
            st = gm__err(ctx, GM_E_NOMEM, "out of memory reading the traced label polygons");
            goto cleanup;
        }
        OGRErr e = OGR_G_ExportToWkb(og, wkbNDR, wkb);
        OGR_F_Destroy(f);
        if (e != OGRERR_NONE) {
            st = gm__err(ctx, GM_E_GDAL, "label grid: GDAL cannot write a traced polygon as WKB");
            goto cleanup;
        }
        GEOSGeometry *geom = GEOSWKBReader_read_r(h, reader, wkb, size);
        if (!geom) {
            st = geos_fail(ctx, "reading a traced polygon");
            goto cleanup;
        }
        (*parts)[*nparts] = (part){.label = label, .seq = *nparts, .geom = geom};
        (*nparts)++;
    }

cleanup:
    GEOSWKBReader_destroy_r(h, reader);
    gm__free(wkb);
    return st;
}

/* Replace *geom (consumed) by a MultiPolygon of its polygons: GEOSMakeValid_r
 * may give a Polygon, or a collection with the lines of collapsed rings. */
static gm_status as_multipolygon(gm_ctx *ctx, GEOSContextHandle_t h, GEOSGeometry **geom)
{
    GEOSGeometry *in = *geom;
    int t = GEOSGeomTypeId_r(h, in);
    if (t == GEOS_MULTIPOLYGON)
        return GM_OK;
    if (t == GEOS_POLYGON) {
        GEOSGeometry *one[1] = {in};
        *geom = GEOSGeom_createCollection_r(h, GEOS_MULTIPOLYGON, one, 1); /* takes in */
        return *geom ? GM_OK : geos_fail(ctx, "making a MultiPolygon");
    }
    int m = GEOSGetNumGeometries_r(h, in);
    size_t npoly = 0;
    for (int i = 0; i < m; i++) {
        const GEOSGeometry *sub = GEOSGetGeometryN_r(h, in, i);
        int subt = GEOSGeomTypeId_r(h, sub);
        if (subt == GEOS_POLYGON)
            npoly++;
        else if (subt == GEOS_MULTIPOLYGON)
            npoly += (size_t)GEOSGetNumGeometries_r(h, sub);
    }
    GEOSGeometry **polys = gm__malloc(npoly * sizeof *polys);
    if (!polys) {
        GEOSGeom_destroy_r(h, in);
        *geom = NULL;
        return gm__err(ctx, GM_E_NOMEM, "out of memory repairing a label polygon");
    }
    size_t k = 0;
    for (int i = 0; i < m; i++) {
        const GEOSGeometry *sub = GEOSGetGeometryN_r(h, in, i);
        int subt = GEOSGeomTypeId_r(h, sub);
        if (subt == GEOS_POLYGON)
            polys[k++] = GEOSGeom_clone_r(h, sub);
        else if (subt == GEOS_MULTIPOLYGON)
            for (int p = 0; p < GEOSGetNumGeometries_r(h, sub); p++)
                polys[k++] = GEOSGeom_clone_r(h, GEOSGetGeometryN_r(h, sub, p));
    }
    GEOSGeom_destroy_r(h, in);
    bool cloned = true;
    for (size_t i = 0; i < k; i++)
        cloned = cloned && polys[i];
    *geom = cloned ? GEOSGeom_createCollection_r(h, GEOS_MULTIPOLYGON, polys, (unsigned)k) : NULL;
    if (!cloned)
        for (size_t i = 0; i < k; i++)
            GEOSGeom_destroy_r(h, polys[i]);
    gm__free(polys);
    return *geom ? GM_OK : geos_fail(ctx, "repairing a label polygon");
}

/* One valid MultiPolygon per label from the sorted parts; moves the parts'
 * geometries into res (a part's geom is NULL once moved). */
static gm_status group(gm_ctx *ctx, GEOSContextHandle_t h, part *parts, size_t nparts,
                       gm__label_poly *res, size_t *nres)
{
    gm_status st = GM_OK;
    GEOSGeometry **arr = gm__malloc(nparts * sizeof *arr);
    if (!arr)
        return gm__err(ctx, GM_E_NOMEM, "out of memory grouping the label polygons");
    for (size_t a = 0, b; a < nparts; a = b) {
        for (b = a; b < nparts && parts[b].label == parts[a].label; b++) {
            arr[b - a] = parts[b].geom;
            parts[b].geom = NULL;
        }
        /* GEOS 3.11 takes ownership of the parts on entry, even when it fails. */
        GEOSGeometry *mp = GEOSGeom_createCollection_r(h, GEOS_MULTIPOLYGON, arr, (unsigned)(b - a));
        if (!mp) {
            st = geos_fail(ctx, "collecting a label's polygons");
            break;
        }
        char valid = GEOSisValid_r(h, mp);
        if (valid == 1) {
            /* as traced */
        } else if (valid == 0) {
            GEOSGeometry *fixed = GEOSMakeValid_r(h, mp);
            GEOSGeom_destroy_r(h, mp);
            mp = fixed;
            st = mp ? as_multipolygon(ctx, h, &mp) : geos_fail(ctx, "repairing a label polygon");
        } else {
            GEOSGeom_destroy_r(h, mp);
            mp = NULL;
            st = geos_fail(ctx, "checking a label polygon");
        }
        if (st != GM_OK)
            break;
        double area = 0;
        if (!GEOSArea_r(h, mp, &area)) {
            GEOSGeom_destroy_r(h, mp);
            st = geos_fail(ctx, "measuring a label polygon");
            break;
        }
        res[(*nres)++] = (gm__label_poly){.label = parts[a].label, .geom = mp, .area_m2 = area};
    }
    gm__free(arr);
    return st;
}

gm_status gm__surface_polygons(gm_ctx *ctx, const gm__grid *g, const int32_t *labels,
                               gm__label_poly **out, size_t *n)
{
    if (!g || !labels)
        return gm__err(ctx, GM_E_ARG, "label grid: no grid or no labels given");
    if (g->nx == 0 || g->ny == 0 || g->nx > INT_MAX || g->ny > INT_MAX ||
        (double)g->nx * g->ny > GM__GRID_MAX_CELLS)
        return gm__err(ctx, GM_E_ARG,
                       "label grid of %u x %u cells: must have 1 to %.0f cells (use a larger cell)",
                       g->nx, g->ny, GM__GRID_MAX_CELLS);
    if (!isfinite(g->cell_m) || g->cell_m <= 0 || !isfinite(g->x0) || !isfinite(g->y0))
        return gm__err(ctx, GM_E_ARG,
                       "label grid at (%g, %g) with %g m cells: corner must be finite and the "
                       "cell size positive",
                       g->x0, g->y0, g->cell_m);

    size_t ncell = (size_t)g->nx * g->ny;
    size_t k = 0;
    while (k < ncell && labels[k] < 0)
        k++;
    if (k == ncell) { /* nothing to trace; GDAL is not needed */
        *out = NULL;
        *n = 0;
        return GM_OK;
    }
    GEOSContextHandle_t h = gm__geos(ctx);
    if (!h)
        return gm__err(ctx, GM_E_NOMEM, "could not start the GEOS library");

    gm_status st = GM_OK;
    part *parts = NULL;
    size_t nparts = 0, nres = 0;
    gm__label_poly *res = NULL;
    GDALDatasetH vec = NULL;
    gm__gdal_capture cap;

    pthread_once(&register_once, register_drivers);
    gm__gdal_begin(&cap, ctx, "label grid");
    st = trace(ctx, g, labels, &cap, &vec);
    if (st == GM_OK)
        st = collect(ctx, h, GDALDatasetGetLayer(vec, 0), &parts, &nparts);
    if (vec)
        GDALClose(vec);
    gm__gdal_end();
    if (st != GM_OK)
        goto cleanup;

    qsort(parts, nparts, sizeof *parts, part_cmp);
    size_t nlabels = 0;
    for (size_t i = 0; i < nparts; i++)
        nlabels += i == 0 || parts[i].label != parts[i - 1].label;
    res = gm__calloc(nlabels, sizeof *res);
    if (!res) {
        st = gm__err(ctx, GM_E_NOMEM, "out of memory making %zu label polygons", nlabels);
        goto cleanup;
    }
    st = group(ctx, h, parts, nparts, res, &nres);
    if (st != GM_OK)
        goto cleanup;
    *out = nres ? res : NULL;
    *n = nres;
    if (!nres)
        gm__free(res);
    res = NULL;

cleanup:
    for (size_t i = 0; i < nparts; i++)
        if (parts[i].geom)
            GEOSGeom_destroy_r(h, parts[i].geom);
    gm__free(parts);
    gm__label_polys_free(ctx, res, nres);
    return st;
}

void gm__label_polys_free(gm_ctx *ctx, gm__label_poly *polys, size_t n)
{
    if (!polys)
        return;
    GEOSContextHandle_t h = n ? gm__geos(ctx) : NULL;
    for (size_t i = 0; i < n; i++)
        if (polys[i].geom && h)
            GEOSGeom_destroy_r(h, polys[i].geom);
    gm__free(polys);
}
