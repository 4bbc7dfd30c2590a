/*
 * Shapefile writing with shapelib: see shapefile.h.
 *
 * Invariants:
 * - Rings are oriented here, whatever GEOS gives: outer rings clockwise and
 *   holes counter-clockwise (ESRI Shapefile Technical Description, 1998, p. 8),
 *   judged by the sign of the shoelace area.
 * - Attributes are buffered as flat cells (one per row and field) plus one text
 *   arena; strings are stored already cut to GM__DBF_MAX_WIDTH bytes at a UTF-8
 *   character boundary, and each field tracks its widest value.
 * - Numbers are formatted here, not by shapelib: integers exactly (shapelib's
 *   integer writer is 32-bit) and reals with "%.*f" and '.' as the decimal point
 *   whatever the locale.
 * - shapelib reports errors through a hook without user data; the hook records
 *   them in thread-local storage (one gm_ctx per thread), never prints.
 * - The DBF header date is shapelib's fixed default, so output is byte-for-byte
 *   reproducible.
 */
#include "shapefile.h"

#include "../geo/crs.h"
#include "../geo/geoctx.h"

#include <errno.h>
#include <geos_c.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <shapefil.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

const char *const gm__shp_exts[GM__SHP_NFILES] = {".prj", ".cpg", ".dbf", ".shx", ".shp"};

typedef struct shp_cell {
    union {
        int64_t i;
        double d;
        size_t off; /* into the text arena, NUL-terminated */
    } u;
    bool null;
} shp_cell;

typedef struct shp_field {
    char name[11];
    gm__ftype type;
    int decimals;
    int width;    /* widest value so far, in bytes */
    size_t ncut;  /* strings cut to GM__DBF_MAX_WIDTH */
    size_t nlost; /* reals too wide for any DBF field, written as null */
} shp_field;

struct gm__shp {
    gm_ctx *ctx;
    const gm__layer_def *def;
    const char *label;
    char *base;
    char *path; /* scratch: base + extension */
    char *prj;
    SAHooks hooks;
    SHPHandle shp;
    int shptype;
    size_t nfields; /* DBF fields: def->nfields, or 1 (a FID) when def has none */
    shp_field *fields;
    shp_cell *cells;
    size_t ncells, cells_cap;
    char *text;
    size_t ntext, text_cap;
    size_t nrows;
    /* geometry scratch, reused for every feature */
    double *xs, *ys;
    size_t nxy, xy_cap;
    int *parts;
    size_t nparts, parts_cap;
};

static _Thread_local char sa_msg[512];
static _Thread_local bool sa_failed;

static void sa_error(const char *msg)
{
    snprintf(sa_msg, sizeof sa_msg, "%s", msg ? msg : "shapelib error");
    sa_failed = true;
}

static void sa_reset(void)
{
    sa_msg[0] = '\0';
    sa_failed = false;
}

static const char *sa_reason(void)
{
    if (sa_msg[0])
        return sa_msg;
    return errno ? strerror(errno) : "unknown error";
}

size_t gm__utf8_cut(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    size_t n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0u) == 0x80u)
        n--;
    return n;
}

static const char *ext_path(gm__shp *s, const char *ext)
{
    size_t n = strlen(s->base);
    memcpy(s->path, s->base, n);
    memcpy(s->path + n, ext, strlen(ext) + 1);
    return s->path;
}

static void free_shp(gm__shp *s)
{
    if (s->shp)
        SHPClose(s->shp);
    gm__free(s->base);
    gm__free(s->path);
    gm__free(s->prj);
    gm__free(s->fields);
    gm__free(s->cells);
    gm__free(s->text);
    gm__free(s->xs);
    gm__free(s->ys);
    gm__free(s->parts);
    gm__free(s);
}

gm_status gm__shp_open(gm_ctx *ctx, const char *base, const char *label,
                       const gm__layer_def *def, const char (*names)[11], gm__shp **out)
{
    gm__shp *s = gm__calloc(1, sizeof *s);
    if (!s)
        return gm__err(ctx, GM_E_NOMEM, "%s: out of memory", label);
    s->ctx = ctx;
    s->def = def;
    s->label = label;
    static const int shptypes[] = {SHPT_POINT, SHPT_ARC, SHPT_POLYGON};
    s->shptype = shptypes[def->geom];
    s->nfields = def->nfields ? def->nfields : 1;

    gm_status st = GM_OK;
    s->base = gm__strdup(base);
    s->path = gm__malloc(strlen(base) + 5);
    s->fields = gm__calloc(s->nfields, sizeof *s->fields);
    if (!s->base || !s->path || !s->fields) {
        st = gm__err(ctx, GM_E_NOMEM, "%s: out of memory", label);
        goto cleanup;
    }
    for (size_t i = 0; i < s->nfields; i++) {
        shp_field *f = &s->fields[i];
        f->width = 1;
        if (def->nfields) {
            memcpy(f->name, names[i], sizeof f->name);
            f->type = def->fields[i].type;
            if (f->type == GM__FT_REAL) {
                f->decimals = def->fields[i].precision;
                /* "0.00" at least, so a column of nulls still declares its decimals */
                f->width = f->decimals ? f->decimals + 2 : 1;
            }
        } else {
            /* A DBF needs a field; like GDAL, give a layer without any a FID. */
            memcpy(f->name, "FID", 4);
            f->type = GM__FT_INT;
        }
    }
    if ((st = gm__crs_esri_wkt(ctx, GM__WORKING_CRS, &s->prj)) != GM_OK)
        goto cleanup;

    SASetupDefaultHooks(&s->hooks);
    s->hooks.Error = sa_error;
    sa_reset();
    errno = 0;
    s->shp = SHPCreateLL(ext_path(s, ".shp"), s->shptype, &s->hooks);
    if (!s->shp) {
        int e = errno;
        st = gm__err(ctx, GM_E_IO,
                     "cannot create %s (temporary file for %s): %s; check that the output "
                     "folder is writable and nothing else has that name",
                     s->path, label, e ? strerror(e) : sa_reason());
    }

cleanup:
    if (st != GM_OK) {
        free_shp(s);
        return st;
    }
    *out = s;
    return GM_OK;
}

static int count_digits(int64_t v)
{
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    int n = v < 0 ? 2 : 1;
    while (u >= 10) {
        u /= 10;
        n++;
    }
    return n;
}

/* "%.*f" with '.' as the decimal point whatever LC_NUMERIC says (%f never
 * groups thousands, so a ',' can only be a locale's decimal comma). */
static int format_real(char *buf, size_t size, int width, int decimals, double d)
{
    int n = snprintf(buf, size, "%*.*f", width, decimals, d);
    if (buf)
        for (char *p = buf; *p; p++)
            if (*p == ',')
                *p = '.';
    return n;
}

/* Keep one row of attributes. */
static gm_status buffer_row(gm__shp *s, const gm__value *values)
{
    const gm__layer_def *def = s->def;
    if (!gm__grow((void **)&s->cells, &s->cells_cap, s->ncells + s->nfields, sizeof *s->cells))
        return gm__err(s->ctx, GM_E_NOMEM, "%s: out of memory keeping attributes", s->label);
    shp_cell *row = &s->cells[s->ncells];
    for (size_t i = 0; i < s->nfields; i++) {
        shp_field *f = &s->fields[i];
        shp_cell *c = &row[i];
        memset(c, 0, sizeof *c);
        if (!def->nfields) {
            c->u.i = (int64_t)s->nrows;
            int w = count_digits(c->u.i);
            f->width = w > f->width ? w : f->width;
            continue;
        }
        const gm__value *v = &values[i];
        if (gm__value_is_null(f->type, v)) {
            c->null = true;
            continue;
        }
        int w = 0;
        switch (f->type) {
        case GM__FT_STRING: {
            size_t len = strlen(v->s);
            size_t keep = gm__utf8_cut(v->s, len, GM__DBF_MAX_WIDTH);
            if (keep < len)
                f->ncut++;
            if (!gm__grow((void **)&s->text, &s->text_cap, s->ntext + keep + 1, 1))
                return gm__err(s->ctx, GM_E_NOMEM, "%s: out of memory keeping attributes",
                               s->label);
            c->u.off = s->ntext;
            memcpy(s->text + s->ntext, v->s, keep);
            s->text[s->ntext + keep] = '\0';
            s->ntext += keep + 1;
            w = (int)keep;
            break;
        }
        case GM__FT_INT:
            c->u.i = v->i;
            w = count_digits(v->i);
            break;
        case GM__FT_REAL:
            w = format_real(NULL, 0, 0, f->decimals, v->d);
            if (w > GM__DBF_MAX_WIDTH) {
                f->nlost++;
                c->null = true;
                w = 0;
            } else {
                c->u.d = v->d;
            }
            break;
        }
        f->width = w > f->width ? w : f->width;
    }
    s->ncells += s->nfields;
    s->nrows++;
    return GM_OK;
}

static gm_status write_object(gm__shp *s, SHPObject *obj)
{
    if (!obj)
        return gm__err(s->ctx, GM_E_NOMEM, "%s: out of memory making a shape", s->label);
    sa_reset();
    errno = 0;
    int id = SHPWriteObject(s->shp, -1, obj);
    SHPDestroyObject(obj);
    if (id < 0 || sa_failed)
        return gm__err(s->ctx, GM_E_IO, "%s: cannot write shape %zu: %s", s->label, s->nrows + 1,
                       sa_reason());
    return GM_OK;
}

gm_status gm__shp_add_point(gm__shp *s, const gm__value *values, double x, double y)
{
    gm_status st = buffer_row(s, values);
    if (st != GM_OK)
        return st;
    return write_object(s, SHPCreateSimpleObject(SHPT_POINT, 1, &x, &y, NULL));
}

static gm_status geos_fail(gm__shp *s, const char *what)
{
    char why[GM__ERRMSG_MAX];
    snprintf(why, sizeof why, "%s", gm_ctx_errmsg(s->ctx)); /* GEOS put it there */
    return gm__err(s->ctx, GM_E_GEOMETRY, "%s: cannot read a geometry's %s (%s)", s->label, what,
                   why);
}

/* Twice the signed (shoelace) area of part [from, to): positive when
 * counter-clockwise.  Coordinates are taken relative to the first vertex so
 * that national-grid magnitudes do not swamp the products. */
static double ring_area2(const double *x, const double *y, size_t from, size_t to)
{
    double a = 0;
    for (size_t i = from; i + 1 < to; i++)
        a += (x[i] - x[from]) * (y[i + 1] - y[from]) - (x[i + 1] - x[from]) * (y[i] - y[from]);
    return a;
}

enum { ORIENT_NONE, ORIENT_CW, ORIENT_CCW };

/* Append the coordinates of a LineString or LinearRing as one part. */
static gm_status add_part(gm__shp *s, GEOSContextHandle_t h, const GEOSGeometry *g, int orient)
{
    const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(h, g);
    unsigned int n = 0;
    if (!cs || !GEOSCoordSeq_getSize_r(h, cs, &n))
        return geos_fail(s, "coordinates");
    if (n == 0)
        return GM_OK;
    size_t from = s->nxy;
    if (from + n > INT_MAX)
        return gm__err(s->ctx, GM_E_GEOMETRY, "%s: shape %zu has too many vertices for a shapefile",
                       s->label, s->nrows + 1);
    if (!gm__grow((void **)&s->parts, &s->parts_cap, s->nparts + 1, sizeof *s->parts))
        return gm__err(s->ctx, GM_E_NOMEM, "%s: out of memory", s->label);
    size_t cap = s->xy_cap;
    if (!gm__grow((void **)&s->xs, &cap, from + n, sizeof *s->xs))
        return gm__err(s->ctx, GM_E_NOMEM, "%s: out of memory", s->label);
    cap = s->xy_cap;
    if (!gm__grow((void **)&s->ys, &cap, from + n, sizeof *s->ys))
        return gm__err(s->ctx, GM_E_NOMEM, "%s: out of memory", s->label);
    s->xy_cap = cap; /* both arrays now hold at least cap elements */
    for (unsigned int i = 0; i < n; i++)
        if (!GEOSCoordSeq_getXY_r(h, cs, i, &s->xs[from + i], &s->ys[from + i]))
            return geos_fail(s, "coordinates");
    size_t to = from + n;
    if (orient != ORIENT_NONE) {
        double a = ring_area2(s->xs, s->ys, from, to);
        if ((orient == ORIENT_CW && a > 0) || (orient == ORIENT_CCW && a < 0)) {
            for (size_t i = from, j = to - 1; i < j; i++, j--) {
                double t = s->xs[i];
                s->xs[i] = s->xs[j];
                s->xs[j] = t;
                t = s->ys[i];
                s->ys[i] = s->ys[j];
                s->ys[j] = t;
            }
        }
    }
    s->parts[s->nparts++] = (int)from;
    s->nxy = to;
    return GM_OK;
}

static gm_status add_polygon(gm__shp *s, GEOSContextHandle_t h, const GEOSGeometry *poly)
{
    const GEOSGeometry *outer = GEOSGetExteriorRing_r(h, poly);
    if (!outer)
        return geos_fail(s, "exterior ring");
    char empty = GEOSisEmpty_r(h, outer);
    if (empty == 2)
        return geos_fail(s, "exterior ring");
    if (empty)
        return GM_OK;
    gm_status st = add_part(s, h, outer, ORIENT_CW);
    int nholes = GEOSGetNumInteriorRings_r(h, poly);
    if (nholes < 0)
        return geos_fail(s, "holes");
    for (int i = 0; st == GM_OK && i < nholes; i++) {
        const GEOSGeometry *hole = GEOSGetInteriorRingN_r(h, poly, i);
        st = hole ? add_part(s, h, hole, ORIENT_CCW) : geos_fail(s, "holes");
    }
    return st;
}

gm_status gm__shp_add_geos(gm__shp *s, const gm__value *values, const void *geom)
{
    GEOSContextHandle_t h = gm__geos(s->ctx);
    if (!h)
        return gm__err(s->ctx, GM_E_NOMEM, "%s: could not start GEOS", s->label);
    const GEOSGeometry *g = geom;
    s->nxy = 0;
    s->nparts = 0;
    gm_status st = GM_OK;
    char empty = GEOSisEmpty_r(h, g);
    if (empty == 2)
        return geos_fail(s, "emptiness");
    double px = 0, py = 0;
    if (!empty) {
        int type = GEOSGeomTypeId_r(h, g);
        bool multi = type == GEOS_MULTILINESTRING || type == GEOS_MULTIPOLYGON;
        int n = multi ? GEOSGetNumGeometries_r(h, g) : 1;
        if (n < 0)
            return geos_fail(s, "parts");
        for (int i = 0; st == GM_OK && i < n; i++) {
            const GEOSGeometry *part = multi ? GEOSGetGeometryN_r(h, g, i) : g;
            if (!part)
                return geos_fail(s, "parts");
            switch (s->shptype) {
            case SHPT_POINT:
                if (!GEOSGeomGetX_r(h, part, &px) || !GEOSGeomGetY_r(h, part, &py))
                    return geos_fail(s, "coordinates");
                break;
            case SHPT_ARC:
                st = add_part(s, h, part, ORIENT_NONE);
                break;
            default:
                st = add_polygon(s, h, part);
                break;
            }
        }
    }
    if (st != GM_OK)
        return st;
    if ((st = buffer_row(s, values)) != GM_OK)
        return st;
    SHPObject *obj;
    if (!empty && s->shptype == SHPT_POINT)
        obj = SHPCreateSimpleObject(SHPT_POINT, 1, &px, &py, NULL);
    else if (s->nparts == 0) /* empty, or only empty parts */
        obj = SHPCreateSimpleObject(SHPT_NULL, 0, NULL, NULL, NULL);
    else
        obj = SHPCreateObject(s->shptype, -1, (int)s->nparts, s->parts, NULL, (int)s->nxy, s->xs,
                              s->ys, NULL, NULL);
    return write_object(s, obj);
}

static gm_status write_text_file(gm__shp *s, const char *ext, const char *text)
{
    const char *path = ext_path(s, ext);
    errno = 0;
    FILE *f = fopen(path, "wb");
    if (!f)
        return gm__err(s->ctx, GM_E_IO, "cannot create %s: %s", path, strerror(errno));
    size_t n = strlen(text);
    bool ok = fwrite(text, 1, n, f) == n;
    int e = errno;
    if (fclose(f) != 0 && ok) {
        ok = false;
        e = errno;
    }
    if (!ok)
        return gm__err(s->ctx, GM_E_IO, "cannot write %s: %s", path, strerror(e));
    return GM_OK;
}

static gm_status write_dbf(gm__shp *s)
{
    const char *path = ext_path(s, ".dbf");
    sa_reset();
    errno = 0;
    DBFHandle dbf = DBFCreateLL(path, "UTF-8", &s->hooks);
    if (!dbf)
        return gm__err(s->ctx, GM_E_IO, "cannot create %s: %s", path, sa_reason());
    gm_status st = GM_OK;
    for (size_t i = 0; i < s->nfields; i++) {
        const shp_field *f = &s->fields[i];
        static const DBFFieldType dtypes[] = {FTString, FTInteger, FTDouble};
        int w = f->width > GM__DBF_MAX_WIDTH ? GM__DBF_MAX_WIDTH : f->width;
        if (DBFAddField(dbf, f->name, dtypes[f->type], w, f->decimals) < 0) {
            st = gm__err(s->ctx, GM_E_INPUT,
                         "%s: cannot add DBF field '%s' (width %d): %s; a DBF record holds at "
                         "most 65535 bytes, so write fewer or narrower fields",
                         s->label, f->name, w, sa_reason());
            goto cleanup;
        }
    }
    char num[GM__DBF_MAX_WIDTH + 2];
    for (size_t r = 0; r < s->nrows; r++) {
        int row = (int)r;
        const shp_cell *cells = &s->cells[r * s->nfields];
        for (size_t i = 0; i < s->nfields; i++) {
            const shp_field *f = &s->fields[i];
            const shp_cell *c = &cells[i];
            int k = (int)i, ok;
            if (c->null) {
                ok = DBFWriteNULLAttribute(dbf, row, k);
            } else if (f->type == GM__FT_STRING) {
                ok = DBFWriteAttributeDirectly(dbf, row, k, s->text + c->u.off);
            } else {
                /* right-aligned, as dBase writes numbers */
                if (f->type == GM__FT_INT)
                    snprintf(num, sizeof num, "%*" PRId64, f->width, c->u.i);
                else
                    format_real(num, sizeof num, f->width, f->decimals, c->u.d);
                ok = DBFWriteAttributeDirectly(dbf, row, k, num);
            }
            if (!ok || sa_failed) {
                st = gm__err(s->ctx, GM_E_IO, "cannot write %s (record %zu): %s", path, r + 1,
                             sa_reason());
                goto cleanup;
            }
        }
    }
cleanup:
    DBFClose(dbf);
    if (st == GM_OK && sa_failed)
        st = gm__err(s->ctx, GM_E_IO, "cannot finish %s: %s", path, sa_reason());
    return st;
}

static void warn_cuts(gm__shp *s)
{
    for (size_t i = 0; i < s->def->nfields; i++) {
        const shp_field *f = &s->fields[i];
        if (f->ncut)
            gm__log(s->ctx, GM_LOG_WARN,
                    "layer %s, shapefile field %s (%s): %zu value(s) longer than %d bytes were cut "
                    "at a character boundary; the GeoJSON keeps them whole",
                    s->def->name, f->name, s->def->fields[i].name, f->ncut, GM__DBF_MAX_WIDTH);
        if (f->nlost)
            gm__log(s->ctx, GM_LOG_WARN,
                    "layer %s, shapefile field %s (%s): %zu value(s) too large for a DBF number "
                    "were written as null; the GeoJSON keeps them",
                    s->def->name, f->name, s->def->fields[i].name, f->nlost);
    }
}

gm_status gm__shp_close(gm__shp *s)
{
    gm_status st = GM_OK;
    sa_reset();
    errno = 0;
    SHPClose(s->shp);
    s->shp = NULL;
    if (sa_failed)
        st = gm__err(s->ctx, GM_E_IO, "cannot finish %s: %s", s->label, sa_reason());
    if (st == GM_OK)
        st = write_dbf(s);
    if (st == GM_OK)
        st = write_text_file(s, ".prj", s->prj);
    /* shapelib writes the .cpg for a code page given by name; make sure of it. */
    struct stat sb;
    if (st == GM_OK && stat(ext_path(s, ".cpg"), &sb) != 0)
        st = write_text_file(s, ".cpg", "UTF-8");
    if (st == GM_OK)
        warn_cuts(s);
    free_shp(s);
    return st;
}

void gm__shp_abort(gm__shp *s)
{
    if (!s)
        return;
    sa_reset();
    free_shp(s);
    sa_reset();
}
