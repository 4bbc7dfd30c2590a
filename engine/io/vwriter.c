/*
 * The vector writer: validates the layer and each feature, hands features to
 * the GeoJSON (geojson.c), shapefile (shapefile.c) and GeoPackage (gpkg.c)
 * writers, and owns the temporary-then-rename protocol of the first two (the
 * GeoPackage's file belongs to its session: this writer adds one table).
 *
 * Invariants:
 * - Files are written as hidden temporaries beside their final names:
 *   ".<layer>.geojson.tmp" and ".<layer>.tmp.{shp,shx,dbf,prj,cpg}".  Nothing
 *   is renamed until every format has finished (the GeoPackage table
 *   committed into its session), so a failure in one format leaves no output
 *   of the layer at all; on any failure every temporary, and the table, is
 *   removed.  (A rename that fails after that leaves the table in the
 *   session, which a failed run abandons unpublished.)  The paths used for
 *   clean-up are made at open, so it never needs memory.
 * - A feature is validated before any format sees it, so an argument error
 *   leaves both outputs consistent; a failure inside a format is sticky.
 */
#include "vwriter.h"

#include "geojson.h"
#include "gpkg.h"
#include "shapefile.h"

#include "../geo/geoctx.h"

#include <errno.h>
#include <geos_c.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A DBF header is at most 65535 bytes: 32 for the file header, 32 per field
 * and a terminator. */
#define GM__DBF_MAX_FIELDS 2046

/* 15 decimals: a double holds no more significant digits than that. */
#define GM__DBF_MAX_DECIMALS 15

struct gm__vwriter {
    gm_ctx *ctx;
    const gm__layer_def *def;
    gm__geojson *gj;
    gm__shp *shp;
    gm__gpkg_layer *gp;
    char *gj_tmp, *gj_final;
    char *shp_tmp, *shp_final; /* base paths, no extension */
    char *shp_label;           /* final .shp path, for messages */
    char *scratch_a, *scratch_b;
    char (*names)[11];
    gm_status failed;
    uint64_t nfeatures;
};

static const char *const gtype_word[] = {"point", "line", "polygon", "geometry-free"};

bool gm__value_is_null(gm__ftype type, const gm__value *v)
{
    if (v->is_null)
        return true;
    switch (type) {
    case GM__FT_STRING:
        return v->s == NULL;
    case GM__FT_REAL:
        return !isfinite(v->d);
    case GM__FT_INT:
        break;
    }
    return false;
}

/* ---- DBF field names ---------------------------------------------------- */

static unsigned char ascii_fold(char c)
{
    unsigned char u = (unsigned char)c;
    return u >= 'A' && u <= 'Z' ? (unsigned char)(u - 'A' + 'a') : u;
}

/* DBF readers compare field names without regard to (ASCII) case. */
static bool same_name(const char *a, const char *b)
{
    for (;; a++, b++) {
        unsigned char ca = ascii_fold(*a), cb = ascii_fold(*b);
        if (ca != cb)
            return false;
        if (!ca)
            return true;
    }
}

static bool name_taken(char (*out)[11], size_t n, const char *cand)
{
    for (size_t j = 0; j < n; j++)
        if (out[j][0] && same_name(out[j], cand))
            return true;
    return false;
}

bool gm__dbf_fit_names(const char *const *names, size_t n, char (*out)[11])
{
    for (size_t i = 0; i < n; i++)
        out[i][0] = '\0'; /* "" marks a name not yet chosen */

    /* First every name that fits keeps its place, so that a cut long name can
     * never take a short name's spelling (the first of equal names wins). */
    for (size_t i = 0; i < n; i++) {
        size_t len = names[i] ? strlen(names[i]) : 0;
        if (len > 0 && len <= 10 && !name_taken(out, n, names[i]))
            memcpy(out[i], names[i], len + 1);
    }
    /* Then, in order, the rest: cut to 10 bytes, or, on a clash, cut shorter
     * and numbered with the first free "_1" to "_999" (GDAL's shapefile driver
     * does the same).  A run of names with the same cut resumes after the
     * previous one's number: the numbers below it are taken for good, so the
     * result is the same as searching from 1, without a cubic search. */
    char last_cut[11] = "";
    int last_k = 0;
    for (size_t i = 0; i < n; i++) {
        if (out[i][0])
            continue;
        const char *base = names[i] && names[i][0] ? names[i] : "field";
        size_t len = strlen(base);
        char cut[11], cand[11];
        size_t keep = gm__utf8_cut(base, len, 10);
        memcpy(cut, base, keep);
        cut[keep] = '\0';
        memcpy(cand, cut, keep + 1);
        int k = 0;
        if (name_taken(out, n, cand)) {
            for (k = same_name(cut, last_cut) ? last_k + 1 : 1;; k++) {
                if (k > 999)
                    return false;
                char suffix[8];
                int slen = snprintf(suffix, sizeof suffix, "_%d", k);
                keep = gm__utf8_cut(base, len, 10 - (size_t)slen);
                memcpy(cand, base, keep);
                memcpy(cand + keep, suffix, (size_t)slen + 1);
                if (!name_taken(out, n, cand))
                    break;
            }
            memcpy(last_cut, cut, sizeof cut);
            last_k = k;
        }
        memcpy(out[i], cand, strlen(cand) + 1);
    }
    return true;
}

/* ---- open --------------------------------------------------------------- */

static gm_status check_def(gm_ctx *ctx, const gm__layer_def *def, unsigned formats)
{
    if (!formats || (formats & ~(unsigned)(GM__FMT_GEOJSON | GM__FMT_SHAPEFILE | GM__FMT_GPKG)))
        return gm__err(ctx, GM_E_ARG,
                       "vector writer: formats must be GeoJSON, shapefile and/or GeoPackage");
    const char *name = def->name;
    if (!name || !name[0] || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
        return gm__err(ctx, GM_E_ARG, "vector writer: layer name '%s' is not a file name",
                       name ? name : "(null)");
    if ((unsigned)def->geom > GM__GT_NONE)
        return gm__err(ctx, GM_E_ARG, "layer %s: unknown geometry type %d", name, (int)def->geom);
    if (def->geom == GM__GT_NONE && formats != GM__FMT_GPKG)
        return gm__err(ctx, GM_E_ARG,
                       "layer %s has no geometry: only a GeoPackage table can hold it", name);
    if (def->nfields && !def->fields)
        return gm__err(ctx, GM_E_ARG, "layer %s: %zu fields but no field definitions", name,
                       def->nfields);
    if ((formats & GM__FMT_SHAPEFILE) && def->nfields > GM__DBF_MAX_FIELDS)
        return gm__err(ctx, GM_E_ARG, "layer %s: %zu fields; a shapefile holds at most %d", name,
                       def->nfields, GM__DBF_MAX_FIELDS);
    for (size_t i = 0; i < def->nfields; i++) {
        const gm__field_def *f = &def->fields[i];
        if (!f->name || !f->name[0])
            return gm__err(ctx, GM_E_ARG, "layer %s: field %zu has no name", name, i + 1);
        if ((unsigned)f->type > GM__FT_REAL)
            return gm__err(ctx, GM_E_ARG, "layer %s: field %s has an unknown type", name, f->name);
        if (f->type == GM__FT_REAL && (f->precision < 0 || f->precision > GM__DBF_MAX_DECIMALS))
            return gm__err(ctx, GM_E_ARG, "layer %s: field %s: precision %d is not 0 to %d", name,
                           f->name, f->precision, GM__DBF_MAX_DECIMALS);
        for (size_t j = 0; j < i; j++)
            if (same_name(def->fields[j].name, f->name))
                return gm__err(ctx, GM_E_ARG, "layer %s: fields %s and %s differ only in case",
                               name, def->fields[j].name, f->name);
    }
    return GM_OK;
}

static void remove_temps(gm__vwriter *w)
{
    if (w->gj_tmp)
        unlink(w->gj_tmp);
    if (w->shp_tmp && w->scratch_a) {
        for (int i = 0; i < GM__SHP_NFILES; i++) {
            snprintf(w->scratch_a, strlen(w->shp_tmp) + 5, "%s%s", w->shp_tmp, gm__shp_exts[i]);
            unlink(w->scratch_a);
        }
    }
}

static void free_writer(gm__vwriter *w)
{
    gm__free(w->gj_tmp);
    gm__free(w->gj_final);
    gm__free(w->shp_tmp);
    gm__free(w->shp_final);
    gm__free(w->shp_label);
    gm__free(w->scratch_a);
    gm__free(w->scratch_b);
    gm__free(w->names);
    gm__free(w);
}

gm_status gm__vwriter_open(gm_ctx *ctx, const char *dir, const gm__layer_def *def,
                           unsigned formats, gm__vwriter **out)
{
    if (!ctx)
        return GM_E_ARG;
    if (!dir || !def || !out)
        return gm__err(ctx, GM_E_ARG, "vector writer: missing folder, layer or result pointer");
    gm_status st = check_def(ctx, def, formats);
    if (st != GM_OK)
        return st;
    struct stat sb;
    if (stat(dir, &sb) != 0)
        return gm__err(ctx, GM_E_IO, "output folder %s: %s (create it, or choose another folder)",
                       dir, strerror(errno));
    if (!S_ISDIR(sb.st_mode))
        return gm__err(ctx, GM_E_IO, "output folder %s is not a folder", dir);

    gm__vwriter *w = gm__calloc(1, sizeof *w);
    if (!w)
        return gm__err(ctx, GM_E_NOMEM, "layer %s: out of memory", def->name);
    w->ctx = ctx;
    w->def = def;
    const char *n = def->name;
    if (formats & GM__FMT_GEOJSON) {
        w->gj_tmp = gm__asprintf("%s/.%s.geojson.tmp", dir, n);
        w->gj_final = gm__asprintf("%s/%s.geojson", dir, n);
        if (!w->gj_tmp || !w->gj_final)
            goto nomem;
    }
    if (formats & GM__FMT_SHAPEFILE) {
        w->shp_tmp = gm__asprintf("%s/.%s.tmp", dir, n);
        w->shp_final = gm__asprintf("%s/%s", dir, n);
        w->shp_label = gm__asprintf("%s/%s.shp", dir, n);
        w->names = gm__calloc(def->nfields ? def->nfields : 1, sizeof *w->names);
        if (!w->shp_tmp || !w->shp_final || !w->shp_label || !w->names)
            goto nomem;
        w->scratch_a = gm__malloc(strlen(w->shp_tmp) + 5);
        w->scratch_b = gm__malloc(strlen(w->shp_final) + 5);
        if (!w->scratch_a || !w->scratch_b)
            goto nomem;
        const char **fnames = gm__calloc(def->nfields ? def->nfields : 1, sizeof *fnames);
        if (!fnames)
            goto nomem;
        for (size_t i = 0; i < def->nfields; i++)
            fnames[i] = def->fields[i].name;
        bool fitted = gm__dbf_fit_names(fnames, def->nfields, w->names);
        gm__free(fnames);
        if (!fitted) {
            st = gm__err(ctx, GM_E_ARG,
                         "layer %s: more than 999 field names are the same in their first "
                         "characters; shapefile names (10 characters) cannot tell them apart",
                         n);
            goto fail;
        }
    }

    if (w->gj_tmp && (st = gm__geojson_open(ctx, w->gj_tmp, w->gj_final, def, &w->gj)) != GM_OK)
        goto fail;
    if (w->shp_tmp && (st = gm__shp_open(ctx, w->shp_tmp, w->shp_label, def,
                                         (const char(*)[11])w->names, &w->shp)) != GM_OK)
        goto fail;
    if (formats & GM__FMT_GPKG) {
        gm__gpkg *gp = gm__gpkg_of(ctx, dir);
        if (!gp) {
            st = gm__err(ctx, GM_E_ARG,
                         "layer %s: no %s is being written in %s (gm__gpkg_begin first)", n,
                         GM__GPKG_NAME, dir);
            goto fail;
        }
        if ((st = gm__gpkg_layer_open(gp, def, &w->gp)) != GM_OK)
            goto fail;
    }
    *out = w;
    return GM_OK;

nomem:
    st = gm__err(ctx, GM_E_NOMEM, "layer %s: out of memory", n);
fail:
    gm__vwriter_abort(w);
    return st;
}

/* ---- features ----------------------------------------------------------- */

static gm_status check_feature(gm__vwriter *w, const gm__value *values)
{
    if (w->failed)
        return w->failed;
    if (!values && w->def->nfields)
        return gm__err(w->ctx, GM_E_ARG, "layer %s, feature %" PRIu64 ": no attribute values",
                       w->def->name, w->nfeatures + 1);
    return GM_OK;
}

/* Run one format's add; a failure there poisons the writer. */
static gm_status sticky(gm__vwriter *w, gm_status st)
{
    if (st != GM_OK)
        w->failed = st;
    return st;
}

gm_status gm__vwriter_add_point(gm__vwriter *w, const gm__value *values, double x, double y)
{
    gm_status st = check_feature(w, values);
    if (st != GM_OK)
        return st;
    if (w->def->geom != GM__GT_POINT)
        return gm__err(w->ctx, GM_E_ARG, "layer %s is a %s layer; points cannot be added",
                       w->def->name, gtype_word[w->def->geom]);
    if (!isfinite(x) || !isfinite(y))
        return gm__err(w->ctx, GM_E_ARG,
                       "layer %s, feature %" PRIu64 ": coordinates (%g, %g) are not finite",
                       w->def->name, w->nfeatures + 1, x, y);
    if (w->gj && (st = sticky(w, gm__geojson_add_point(w->gj, values, x, y))) != GM_OK)
        return st;
    if (w->shp && (st = sticky(w, gm__shp_add_point(w->shp, values, x, y))) != GM_OK)
        return st;
    if (w->gp && (st = sticky(w, gm__gpkg_add_point(w->gp, values, x, y))) != GM_OK)
        return st;
    w->nfeatures++;
    return GM_OK;
}

static bool type_fits(gm__gtype layer, int geos_type)
{
    switch (layer) {
    case GM__GT_POINT:
        return geos_type == GEOS_POINT;
    case GM__GT_LINE:
        return geos_type == GEOS_LINESTRING || geos_type == GEOS_LINEARRING ||
               geos_type == GEOS_MULTILINESTRING;
    case GM__GT_POLYGON:
        return geos_type == GEOS_POLYGON || geos_type == GEOS_MULTIPOLYGON;
    case GM__GT_NONE:
        break;
    }
    return false;
}

gm_status gm__vwriter_add_geos(gm__vwriter *w, const gm__value *values, const void *geom)
{
    gm_status st = check_feature(w, values);
    if (st != GM_OK)
        return st;
    GEOSContextHandle_t h = gm__geos(w->ctx);
    if (!h)
        return sticky(w, gm__err(w->ctx, GM_E_NOMEM, "could not start GEOS"));
    if (!geom && w->def->geom == GM__GT_NONE) {
        if ((st = sticky(w, gm__gpkg_add_geos(w->gp, values, NULL))) == GM_OK)
            w->nfeatures++;
        return st;
    }
    if (!geom) {
        /* No geometry (a site whose catchment is empty): written as a null one,
         * through an empty geometry of the layer's type. */
        GEOSGeometry *e = w->def->geom == GM__GT_POINT ? GEOSGeom_createEmptyPoint_r(h)
                          : w->def->geom == GM__GT_LINE ? GEOSGeom_createEmptyLineString_r(h)
                                                         : GEOSGeom_createEmptyPolygon_r(h);
        if (!e)
            return sticky(w, gm__err(w->ctx, GM_E_NOMEM, "out of memory writing layer %s", w->def->name));
        st = gm__vwriter_add_geos(w, values, e);
        GEOSGeom_destroy_r(h, e);
        return st;
    }
    int t = GEOSGeomTypeId_r(h, geom);
    if (!type_fits(w->def->geom, t)) {
        char *tn = t >= 0 ? GEOSGeomType_r(h, geom) : NULL;
        st = gm__err(w->ctx, GM_E_ARG, "layer %s, feature %" PRIu64 ": a %s layer cannot take a %s",
                     w->def->name, w->nfeatures + 1, gtype_word[w->def->geom],
                     tn ? tn : "geometry of unknown type");
        if (tn)
            GEOSFree_r(h, tn);
        return st;
    }
    if (w->gj && (st = sticky(w, gm__geojson_add_geos(w->gj, values, geom))) != GM_OK)
        return st;
    if (w->shp && (st = sticky(w, gm__shp_add_geos(w->shp, values, geom))) != GM_OK)
        return st;
    if (w->gp && (st = sticky(w, gm__gpkg_add_geos(w->gp, values, geom))) != GM_OK)
        return st;
    w->nfeatures++;
    return GM_OK;
}

/* ---- close -------------------------------------------------------------- */

static gm_status rename_one(gm__vwriter *w, const char *from, const char *to)
{
    if (rename(from, to) != 0)
        return gm__err(w->ctx, GM_E_IO, "cannot rename %s to %s: %s", from, to, strerror(errno));
    return GM_OK;
}

gm_status gm__vwriter_close(gm__vwriter *w)
{
    if (!w)
        return GM_E_ARG;
    if (w->failed) {
        gm_status st = w->failed;
        gm__vwriter_abort(w);
        return st;
    }
    gm_status st = GM_OK;
    if (w->gj) {
        st = gm__geojson_close(w->gj);
        w->gj = NULL;
    }
    if (w->shp) {
        if (st == GM_OK)
            st = gm__shp_close(w->shp);
        else
            gm__shp_abort(w->shp);
        w->shp = NULL;
    }
    if (w->gp) {
        if (st == GM_OK)
            st = gm__gpkg_layer_close(w->gp);
        else
            gm__gpkg_layer_abort(w->gp);
        w->gp = NULL;
    }
    /* Every file is complete; now put them in place.  A failed rename here
     * (another process removed the folder?) leaves the renamed files and
     * removes the rest. */
    if (st == GM_OK && w->gj_tmp)
        st = rename_one(w, w->gj_tmp, w->gj_final);
    if (w->shp_tmp) {
        size_t la = strlen(w->shp_tmp) + 5, lb = strlen(w->shp_final) + 5;
        for (int i = 0; st == GM_OK && i < GM__SHP_NFILES; i++) {
            snprintf(w->scratch_a, la, "%s%s", w->shp_tmp, gm__shp_exts[i]);
            snprintf(w->scratch_b, lb, "%s%s", w->shp_final, gm__shp_exts[i]);
            st = rename_one(w, w->scratch_a, w->scratch_b);
        }
    }
    if (st != GM_OK)
        remove_temps(w);
    free_writer(w);
    return st;
}

void gm__vwriter_abort(gm__vwriter *w)
{
    if (!w)
        return;
    gm__geojson_abort(w->gj);
    gm__shp_abort(w->shp);
    gm__gpkg_layer_abort(w->gp);
    remove_temps(w);
    free_writer(w);
}
