/*
 * The run's GeoPackage through GDAL's GPKG driver: see gpkg.h for the session
 * and its invariants.
 *
 * Every GDAL call on the data set runs inside a scope (enter/leave) that
 * pushes gdalutil's error capture, so GDAL never prints and the first failure
 * is reported with the file name, and that sets OGR_CURRENT_DATE thread-locally
 * to GM__GPKG_DATE (restoring the previous thread-local value after), because
 * the driver stamps gpkg_contents.last_change with the current time whenever a
 * table is created or changed: at layer creation, at commit and at close.
 *
 * Layer creation options, and why:
 *   FID=fid, GEOMETRY_NAME=geom  GDAL's defaults, spelt out so that a reader's
 *                                SQL can rely on them.
 *   GEOMETRY_NULLABLE=YES        a site whose catchment is empty keeps its row
 *                                with a NULL geometry, as in the other formats.
 *   SPATIAL_INDEX=YES            the R*Tree QGIS uses to draw a big layer fast.
 *   DESCRIPTION=<title>          gpkg_contents.description, shown by QGIS; the
 *                                identifier stays the table name (it must be
 *                                unique in the file).
 * Reals are stored as the doubles given (as in the GeoJSON); the shapefile's
 * decimals (gm__field_def.precision) are not applied.
 */
#include "gpkg.h"

#include "gdalutil.h"

#include "../geo/crs.h"
#include "../geo/geoctx.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <errno.h>
#include <gdal.h>
#include <geos_c.h>
#include <inttypes.h>
#include <limits.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* SQLite's companions of a database file, removed with the temporary. */
static const char *const sqlite_side[] = {"", "-journal", "-wal", "-shm"};
#define GM__NSIDE (sizeof sqlite_side / sizeof *sqlite_side)

struct gm__gpkg {
    gm_ctx *ctx;
    char *dir;            /* as given, to match vector writers' folders */
    char *tmp, *final;    /* dir/.gapmap.tmp.gpkg, dir/gapmap.gpkg */
    char *scratch;        /* room for tmp plus the longest sqlite_side */
    GDALDatasetH ds;
    OGRSpatialReferenceH srs;
    gm__gpkg_layer *writing; /* the table being written, if any */
    gm_status spoiled;    /* a table could be neither finished nor removed */
    char spoiled_by[64];  /* that table's name, for the message */
};

struct gm__gpkg_layer {
    gm_ctx *ctx;
    gm__gpkg *g;          /* NULL once the session was abandoned under it */
    const gm__layer_def *def;
    char *label;          /* "dir/gapmap.gpkg, layer <name>" for messages */
    OGRLayerH layer;
    bool in_tx;
    GEOSWKBWriter *wkb;
    uint64_t nfeatures;
};

static pthread_once_t register_once = PTHREAD_ONCE_INIT;

static void register_drivers(void)
{
    GDALAllRegister();
}

/* ---- GDAL scope ------------------------------------------------------- */

typedef struct scope {
    gm__gdal_capture cap;
    char prev[64];
    bool had_prev;
} scope;

#define DATE_KEY "OGR_CURRENT_DATE"

static void enter(scope *s, gm_ctx *ctx, const char *label)
{
    /* A caller's own thread-local value is put back by leave (one longer than
     * any date, which GDAL could not parse anyway, is not). */
    const char *p = CPLGetThreadLocalConfigOption(DATE_KEY, NULL);
    s->had_prev = p && strlen(p) < sizeof s->prev;
    if (s->had_prev)
        memcpy(s->prev, p, strlen(p) + 1);
    CPLSetThreadLocalConfigOption(DATE_KEY, GM__GPKG_DATE);
    gm__gdal_begin(&s->cap, ctx, label);
}

static void leave(scope *s)
{
    gm__gdal_end();
    CPLSetThreadLocalConfigOption(DATE_KEY, s->had_prev ? s->prev : NULL);
}

static const char *why(const scope *s)
{
    return s->cap.msg[0] ? s->cap.msg : "no detail from GDAL";
}

/* ---- session ------------------------------------------------------------ */

static void remove_temps(gm__gpkg *g)
{
    if (!g->tmp || !g->scratch)
        return;
    size_t n = strlen(g->tmp) + 16;
    for (size_t i = 0; i < GM__NSIDE; i++) {
        snprintf(g->scratch, n, "%s%s", g->tmp, sqlite_side[i]);
        unlink(g->scratch);
    }
}

static void free_session(gm__gpkg *g)
{
    for (size_t i = 0; g->ctx && i < GM__GPKG_SESSIONS; i++)
        if (g->ctx->gpkg[i] == g)
            g->ctx->gpkg[i] = NULL;
    if (g->srs)
        OSRDestroySpatialReference(g->srs);
    gm__free(g->dir);
    gm__free(g->tmp);
    gm__free(g->final);
    gm__free(g->scratch);
    gm__free(g);
}

gm_status gm__gpkg_begin(gm_ctx *ctx, const char *dir, gm__gpkg **out)
{
    if (!ctx)
        return GM_E_ARG;
    if (!dir || !out)
        return gm__err(ctx, GM_E_ARG, "GeoPackage: missing folder or result pointer");
    size_t slot = GM__GPKG_SESSIONS;
    for (size_t i = GM__GPKG_SESSIONS; i-- > 0;) {
        gm__gpkg *o = ctx->gpkg[i];
        if (!o)
            slot = i;
        else if (!strcmp(o->dir, dir))
            return gm__err(ctx, GM_E_ARG, "%s is already being written in %s; finish it first",
                           GM__GPKG_NAME, dir);
    }
    if (slot == GM__GPKG_SESSIONS)
        return gm__err(ctx, GM_E_ARG, "%s: %d GeoPackages are already being written; finish one first",
                       dir, GM__GPKG_SESSIONS);
    struct stat sb;
    if (stat(dir, &sb) != 0)
        return gm__err(ctx, GM_E_IO, "output folder %s: %s (create it, or choose another folder)",
                       dir, strerror(errno));
    if (!S_ISDIR(sb.st_mode))
        return gm__err(ctx, GM_E_IO, "output folder %s is not a folder", dir);

    gm__gpkg *g = gm__calloc(1, sizeof *g);
    if (!g)
        return gm__err(ctx, GM_E_NOMEM, "out of memory starting %s", GM__GPKG_NAME);
    g->ctx = ctx;
    g->dir = gm__strdup(dir);
    g->tmp = gm__asprintf("%s/.gapmap.tmp.gpkg", dir);
    g->final = gm__asprintf("%s/%s", dir, GM__GPKG_NAME);
    g->scratch = g->tmp ? gm__malloc(strlen(g->tmp) + 16) : NULL;
    if (!g->dir || !g->tmp || !g->final || !g->scratch) {
        free_session(g);
        return gm__err(ctx, GM_E_NOMEM, "out of memory starting %s", GM__GPKG_NAME);
    }
    /* A stale temporary is ours (a killed run's); its journal must go too, or
     * SQLite would play it back into the new file. */
    remove_temps(g);

    gm_status st = GM_OK;
    scope s;
    enter(&s, ctx, g->final);
    pthread_once(&register_once, register_drivers);
    GDALDriverH drv = GDALGetDriverByName("GPKG");
    if (!drv) {
        st = gm__err(ctx, GM_E_GDAL,
                     "%s: GDAL has no GeoPackage driver (check the GDAL installation, or leave "
                     "gpkg out of [run] formats)",
                     g->final);
        goto done;
    }
    g->srs = OSRNewSpatialReference(NULL);
    if (!g->srs) {
        st = gm__err(ctx, GM_E_NOMEM, "%s: out of memory", g->final);
        goto done;
    }
    if (OSRSetFromUserInput(g->srs, GM__WORKING_CRS) != OGRERR_NONE) {
        st = gm__err(ctx, GM_E_CRS, "%s: GDAL does not know the working CRS %s: %s", g->final,
                     GM__WORKING_CRS, why(&s));
        goto done;
    }
    OSRSetAxisMappingStrategy(g->srs, OAMS_TRADITIONAL_GIS_ORDER);
    g->ds = GDALCreate(drv, g->tmp, 0, 0, 0, GDT_Unknown, NULL);
    if (!g->ds || s.cap.failed)
        st = gm__err(ctx, GM_E_IO,
                     "cannot create %s (temporary file for %s): %s; check that the output folder "
                     "is writable and nothing else has that name",
                     g->tmp, g->final, why(&s));
done:
    leave(&s);
    if (st != GM_OK) {
        gm__gpkg_abort(g);
        return st;
    }
    ctx->gpkg[slot] = g;
    *out = g;
    return GM_OK;
}

gm__gpkg *gm__gpkg_of(gm_ctx *ctx, const char *dir)
{
    for (size_t i = 0; ctx && dir && i < GM__GPKG_SESSIONS; i++) {
        gm__gpkg *g = ctx->gpkg[i];
        if (g && !strcmp(g->dir, dir))
            return g;
    }
    return NULL;
}

void gm__gpkg_abort(gm__gpkg *g)
{
    if (!g)
        return;
    if (g->writing) {
        g->writing->g = NULL; /* its handle now only frees itself */
        g->writing = NULL;
    }
    if (g->ds) {
        scope s;
        enter(&s, g->ctx, g->final);
        GDALClose(g->ds);
        leave(&s);
        g->ds = NULL;
    }
    remove_temps(g);
    free_session(g);
}

gm_status gm__gpkg_commit(gm__gpkg *g, bool *published)
{
    if (!g)
        return GM_E_ARG;
    gm_ctx *ctx = g->ctx;
    gm_status st = GM_OK;
    if (g->writing) {
        st = gm__err(ctx, GM_E_ARG, "%s: layer %s is still being written; it was not saved",
                     g->final, g->writing->def->name);
        gm__gpkg_abort(g);
        return st;
    }
    if (g->spoiled) {
        st = gm__err(ctx, g->spoiled,
                     "%s was not written: layer %s could be neither finished nor removed (the "
                     "error was reported when it was written)",
                     g->final, g->spoiled_by);
        gm__gpkg_abort(g);
        return st;
    }
    scope s;
    enter(&s, ctx, g->final);
    int ntables = GDALDatasetGetLayerCount(g->ds);
    /* GDALClose returns void before GDAL 3.7: a failed flush (the spatial
     * indexes are built here) shows only through the handler. */
    GDALClose(g->ds);
    g->ds = NULL;
    if (s.cap.failed)
        st = gm__err(ctx, GM_E_IO, "%s: cannot finish writing: %s (check the free disk space)",
                     g->final, why(&s));
    leave(&s);
    bool pub = false;
    if (st == GM_OK && ntables > 0) {
        if (rename(g->tmp, g->final) != 0)
            st = gm__err(ctx, GM_E_IO, "cannot rename %s to %s: %s", g->tmp, g->final,
                         strerror(errno));
        else
            pub = true;
    }
    if (!pub)
        remove_temps(g);
    if (st == GM_OK && published)
        *published = pub;
    free_session(g);
    return st;
}

/* ---- tables ------------------------------------------------------------- */

static void spoil(gm__gpkg *g, gm_status st, const char *name)
{
    if (!g->spoiled) {
        g->spoiled = st;
        snprintf(g->spoiled_by, sizeof g->spoiled_by, "%s", name);
    }
}

static void free_layer(gm__gpkg_layer *l)
{
    if (l->wkb) {
        GEOSContextHandle_t h = gm__geos(l->ctx);
        if (h)
            GEOSWKBWriter_destroy_r(h, l->wkb);
    }
    gm__free(l->label);
    gm__free(l);
}

/* The index of the data set's table called name, or -1. */
static int table_index(GDALDatasetH ds, const char *name)
{
    int n = GDALDatasetGetLayerCount(ds);
    for (int i = 0; i < n; i++)
        if (!strcmp(OGR_L_GetName(GDALDatasetGetLayer(ds, i)), name))
            return i;
    return -1;
}

gm_status gm__gpkg_layer_open(gm__gpkg *g, const gm__layer_def *def, gm__gpkg_layer **out)
{
    gm_ctx *ctx = g->ctx;
    if (g->spoiled)
        return gm__err(ctx, g->spoiled, "%s: cannot add layer %s: layer %s could not be finished",
                       g->final, def->name, g->spoiled_by);
    if (g->writing)
        return gm__err(ctx, GM_E_ARG, "%s: cannot start layer %s while layer %s is being written",
                       g->final, def->name, g->writing->def->name);
    gm__gpkg_layer *l = gm__calloc(1, sizeof *l);
    char *desc = def->title ? gm__asprintf("DESCRIPTION=%s", def->title) : NULL;
    if (l)
        l->label = gm__asprintf("%s, layer %s", g->final, def->name);
    if (!l || !l->label || (def->title && !desc)) {
        if (l)
            free_layer(l);
        gm__free(desc);
        return gm__err(ctx, GM_E_NOMEM, "%s: out of memory starting layer %s", g->final, def->name);
    }
    l->ctx = ctx;
    l->g = g;
    l->def = def;

    gm_status st = GM_OK;
    scope s;
    enter(&s, ctx, l->label);
    /* Written again in the same session: the new table replaces the old, as
     * the other formats' files do. */
    int old = table_index(g->ds, def->name);
    if (old >= 0 && (GDALDatasetDeleteLayer(g->ds, old) != OGRERR_NONE || s.cap.failed)) {
        st = gm__err(ctx, GM_E_GDAL, "%s: cannot replace the earlier table: %s", l->label, why(&s));
        goto done;
    }
    static const OGRwkbGeometryType gtypes[] = {wkbPoint, wkbMultiLineString, wkbMultiPolygon,
                                                wkbNone};
    static char fid[] = "FID=fid", gname[] = "GEOMETRY_NAME=geom",
                nullable[] = "GEOMETRY_NULLABLE=YES", sindex[] = "SPATIAL_INDEX=YES";
    /* CSLConstList is a plain char ** in C; GDAL only reads these. */
    char *lco[] = {fid, gname, nullable, sindex, desc, NULL};
    bool spatial = def->geom != GM__GT_NONE;
    l->layer = GDALDatasetCreateLayer(g->ds, def->name, spatial ? g->srs : NULL, gtypes[def->geom],
                                      lco);
    if (!l->layer || s.cap.failed) {
        st = gm__err(ctx, GM_E_GDAL, "%s: cannot create the table: %s", l->label, why(&s));
        goto done;
    }
    for (size_t i = 0; i < def->nfields; i++) {
        static const OGRFieldType ftypes[] = {OFTString, OFTInteger64, OFTReal};
        OGRFieldDefnH fd = OGR_Fld_Create(def->fields[i].name, ftypes[def->fields[i].type]);
        if (!fd) {
            st = gm__err(ctx, GM_E_NOMEM, "%s: out of memory", l->label);
            goto done;
        }
        OGRErr e = OGR_L_CreateField(l->layer, fd, TRUE);
        OGR_Fld_Destroy(fd);
        if (e != OGRERR_NONE || s.cap.failed) {
            st = gm__err(ctx, GM_E_GDAL, "%s: cannot create field '%s': %s", l->label,
                         def->fields[i].name, why(&s));
            goto done;
        }
    }
    /* One transaction per table: SQLite would otherwise commit (and sync)
     * every feature on its own. */
    if (GDALDatasetStartTransaction(g->ds, FALSE) != OGRERR_NONE || s.cap.failed) {
        st = gm__err(ctx, GM_E_GDAL, "%s: cannot start writing: %s", l->label, why(&s));
        goto done;
    }
    l->in_tx = true;
done:
    leave(&s);
    gm__free(desc);
    g->writing = l;
    if (st != GM_OK) {
        gm__gpkg_layer_abort(l);
        return st;
    }
    *out = l;
    return GM_OK;
}

static gm_status check_live(gm__gpkg_layer *l)
{
    if (!l->g)
        return gm__err(l->ctx, GM_E_ARG, "layer %s: its GeoPackage was abandoned", l->def->name);
    return GM_OK;
}

/* Write a feature; takes ownership of geom (NULL for a null geometry). */
static gm_status write_feature(gm__gpkg_layer *l, scope *s, const gm__value *values,
                               OGRGeometryH geom)
{
    gm_status st = GM_OK;
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(l->layer));
    if (!f) {
        OGR_G_DestroyGeometry(geom);
        return gm__err(l->ctx, GM_E_NOMEM, "%s: out of memory making a feature", l->label);
    }
    if (values)
        gm__ogr_set_fields(l->def, f, values);
    if (geom && OGR_F_SetGeometryDirectly(f, geom) != OGRERR_NONE) {
        st = gm__err(l->ctx, GM_E_GDAL, "%s, feature %" PRIu64 ": cannot set its geometry: %s",
                     l->label, l->nfeatures + 1, why(s));
        goto cleanup;
    }
    if (OGR_L_CreateFeature(l->layer, f) != OGRERR_NONE || s->cap.failed)
        st = gm__err(l->ctx, GM_E_GDAL, "%s, feature %" PRIu64 ": cannot write it: %s (check the "
                     "free disk space)", l->label, l->nfeatures + 1, why(s));
    else
        l->nfeatures++;
cleanup:
    OGR_F_Destroy(f);
    return st;
}

gm_status gm__gpkg_add_point(gm__gpkg_layer *l, const gm__value *values, double x, double y)
{
    gm_status st = check_live(l);
    if (st != GM_OK)
        return st;
    scope s;
    enter(&s, l->ctx, l->label);
    OGRGeometryH p = OGR_G_CreateGeometry(wkbPoint);
    if (!p) {
        st = gm__err(l->ctx, GM_E_NOMEM, "%s: out of memory making a point", l->label);
    } else {
        OGR_G_SetPoint_2D(p, 0, x, y);
        st = write_feature(l, &s, values, p);
    }
    leave(&s);
    return st;
}

/* GEOS -> OGR through 2D WKB (both implement it exactly), then to the
 * layer's declared multi type. */
static gm_status geos_to_ogr(gm__gpkg_layer *l, scope *s, GEOSContextHandle_t h,
                             const GEOSGeometry *geom, OGRGeometryH *out)
{
    if (!l->wkb) {
        l->wkb = GEOSWKBWriter_create_r(h);
        if (!l->wkb)
            return gm__err(l->ctx, GM_E_NOMEM, "%s: out of memory making a WKB writer", l->label);
        GEOSWKBWriter_setOutputDimension_r(h, l->wkb, 2);
    }
    size_t n = 0;
    unsigned char *wkb = GEOSWKBWriter_write_r(h, l->wkb, geom, &n);
    if (!wkb) {
        char geos_why[GM__ERRMSG_MAX];
        snprintf(geos_why, sizeof geos_why, "%s", gm_ctx_errmsg(l->ctx)); /* GEOS put it there */
        return gm__err(l->ctx, GM_E_GEOMETRY, "%s: cannot encode a geometry as WKB (%s)", l->label,
                       geos_why);
    }
    gm_status st = GM_OK;
    OGRGeometryH og = NULL;
    if (n > INT_MAX)
        st = gm__err(l->ctx, GM_E_GEOMETRY, "%s: geometry too large for GDAL (%zu bytes of WKB)",
                     l->label, n);
    else if (OGR_G_CreateFromWkb(wkb, NULL, &og, (int)n) != OGRERR_NONE)
        st = gm__err(l->ctx, GM_E_GDAL, "%s: GDAL cannot read a geometry's WKB: %s", l->label,
                     why(s));
    GEOSFree_r(h, wkb);
    if (st != GM_OK)
        return st;
    /* These take og and return the converted geometry (og itself when it is
     * already of that type). */
    if (l->def->geom == GM__GT_LINE)
        og = OGR_G_ForceToMultiLineString(og);
    else if (l->def->geom == GM__GT_POLYGON)
        og = OGR_G_ForceToMultiPolygon(og);
    if (!og)
        return gm__err(l->ctx, GM_E_NOMEM, "%s: out of memory converting a geometry", l->label);
    *out = og;
    return GM_OK;
}

gm_status gm__gpkg_add_geos(gm__gpkg_layer *l, const gm__value *values, const void *geom)
{
    gm_status st = check_live(l);
    if (st != GM_OK)
        return st;
    GEOSContextHandle_t h = gm__geos(l->ctx);
    if (!h)
        return gm__err(l->ctx, GM_E_NOMEM, "%s: could not start GEOS", l->label);
    scope s;
    enter(&s, l->ctx, l->label);
    OGRGeometryH og = NULL;
    char empty = geom ? GEOSisEmpty_r(h, geom) : 1;
    if (empty == 2) {
        char geos_why[GM__ERRMSG_MAX];
        snprintf(geos_why, sizeof geos_why, "%s", gm_ctx_errmsg(l->ctx));
        st = gm__err(l->ctx, GM_E_GEOMETRY, "%s: cannot test a geometry (%s)", l->label, geos_why);
    } else if (!empty) {
        st = geos_to_ogr(l, &s, h, geom, &og);
    }
    if (st == GM_OK)
        st = write_feature(l, &s, values, og);
    leave(&s);
    return st;
}

gm_status gm__gpkg_layer_close(gm__gpkg_layer *l)
{
    if (!l)
        return GM_E_ARG;
    gm_status st = check_live(l);
    gm__gpkg *g = l->g;
    if (st == GM_OK) {
        scope s;
        enter(&s, l->ctx, l->label);
        if (GDALDatasetCommitTransaction(g->ds) != OGRERR_NONE || s.cap.failed)
            st = gm__err(l->ctx, GM_E_IO, "%s: cannot save the table: %s (check the free disk space)",
                         l->label, why(&s));
        leave(&s);
        l->in_tx = false;
        g->writing = NULL;
        if (st != GM_OK)
            spoil(g, st, l->def->name);
    }
    free_layer(l);
    return st;
}

void gm__gpkg_layer_abort(gm__gpkg_layer *l)
{
    if (!l)
        return;
    gm__gpkg *g = l->g;
    if (g) {
        /* Finish the transaction, then drop the table: GDAL's bookkeeping of
         * a table is simplest to keep right that way round, and it is the
         * failure path only. */
        scope s;
        enter(&s, l->ctx, l->label);
        bool ok = !l->in_tx || GDALDatasetCommitTransaction(g->ds) == OGRERR_NONE;
        int k = l->layer ? table_index(g->ds, l->def->name) : -1;
        if (ok && k >= 0)
            ok = GDALDatasetDeleteLayer(g->ds, k) == OGRERR_NONE;
        if (!ok || s.cap.failed)
            spoil(g, GM_E_GDAL, l->def->name);
        leave(&s);
        if (g->writing == l)
            g->writing = NULL;
    }
    free_layer(l);
}
