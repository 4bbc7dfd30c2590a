/*
 * report.html from a run's shareable files: see report.h.
 *
 * Invariants:
 *   - every figure on the page is read from summary.json, zones.csv,
 *     gaps.csv, spend.csv or the zones, gaps and providers layers; a value
 *     withheld there ("*" in a CSV, null in summary.json) is shown as withheld
 *     ("fewer than N" for a count of people), never worked out again;
 *   - every string from those files is HTML-escaped (sb_esc) before it is
 *     written, in text and in attributes alike;
 *   - the page references nothing outside itself: CSS in a <style>, maps as
 *     inline SVG, no script, no image, no link to another host;
 *   - the bytes depend only on the files read: tables keep the files' order or
 *     a total order (ties broken by id), numbers have fixed formats, and
 *     there is no date.
 *
 * Maps are drawn in British National Grid metres (EPSG:27700) with y up, so
 * the SVG's y is flipped and one metre is the same length both ways; the
 * viewBox is MAP_W units wide and as tall as the area's aspect asks.
 * Geometry is simplified with GEOSTopologyPreserveSimplify to a tolerance of
 * the extent / 1500 (about a third of a pixel on an A4 page, where the map is
 * about 700 px wide), so that a county of many small areas stays small.
 */
#include "report.h"

#include "../geo/crs.h"
#include "../geo/geoctx.h"
#include "polys.h"
#include "table.h"
#include "vwriter.h"

#include <cjson/cJSON.h>
#include <geos_c.h>

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Map width in SVG units.  Coordinates are written as whole units: at about
 * 700 px across an A4 page, a unit is 0.14 px, far below what shows. */
#define MAP_W 5000L
/* Simplification tolerance as a fraction of the larger side of the extent. */
#define SIMPLIFY_FRACTION 1500.0
/* Rows of the zones table: the worst by the gap measure. */
#define WORST_ZONES 15

/* ---- a growing text buffer ---------------------------------------------- */

typedef struct sbuf {
    char *p;
    size_t n, cap;
    bool oom;
} sbuf;

static void sb_putn(sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 65536;
        while (nc < b->n + n + 1)
            nc *= 2;
        char *q = gm__realloc(b->p, nc);
        if (!q) {
            b->oom = true;
            return;
        }
        b->p = q;
        b->cap = nc;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void sb_puts(sbuf *b, const char *s)
{
    sb_putn(b, s, strlen(s));
}

static void sb_printf(sbuf *b, const char *fmt, ...) GM__PRINTF(2, 3);
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof tmp) {
        sb_putn(b, tmp, (size_t)n);
        return;
    }
    char *big = gm__malloc((size_t)n + 1);
    if (!big) {
        b->oom = true;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb_putn(b, big, (size_t)n);
    gm__free(big);
}

/* s with & < > " ' escaped: safe in text and in a quoted attribute. */
static void sb_esc(sbuf *b, const char *s)
{
    const char *run = s;
    for (const char *p = s; *p; p++) {
        const char *rep = NULL;
        switch (*p) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default: break;
        }
        if (rep) {
            sb_putn(b, run, (size_t)(p - run));
            sb_puts(b, rep);
            run = p + 1;
        }
    }
    sb_puts(b, run);
}

/* ---- numbers in words ----------------------------------------------------- */

#define MINUS "\xe2\x88\x92" /* U+2212, the typographic minus */

/* v with the given decimals, thousands grouped with commas, a minus sign when
 * it rounds to a negative number; with trim, trailing zero decimals go
 * ("100.0" -> "100").  "—" when v is not finite. */
static const char *fmt_num(char *buf, size_t size, double v, int decimals, bool trim)
{
    if (!isfinite(v)) {
        snprintf(buf, size, "\xe2\x80\x94");
        return buf;
    }
    char raw[64];
    snprintf(raw, sizeof raw, "%.*f", decimals, fabs(v));
    bool neg = v < 0 && strspn(raw, "0.") != strlen(raw);
    char *dot = strchr(raw, '.');
    if (trim && dot) {
        char *e = raw + strlen(raw) - 1;
        while (e > dot && *e == '0')
            *e-- = '\0';
        if (e == dot)
            *dot = '\0';
        dot = strchr(raw, '.');
    }
    size_t ilen = dot ? (size_t)(dot - raw) : strlen(raw);
    char out[96];
    size_t o = 0;
    if (neg)
        o += (size_t)snprintf(out, sizeof out, MINUS);
    for (size_t i = 0; i < ilen && o + 2 < sizeof out; i++) {
        out[o++] = raw[i];
        if (i + 1 < ilen && (ilen - i - 1) % 3 == 0)
            out[o++] = ',';
    }
    out[o] = '\0';
    snprintf(buf, size, "%s%s", out, dot ? dot : "");
    return buf;
}

static const char *fmt_count(char *buf, size_t size, double v)
{
    return fmt_num(buf, size, v, 0, false);
}

/* "1,234 " with a space, or "" when v is not a number (a withheld count):
 * for a count inside a sentence. */
static const char *fmt_count_sp(char *buf, size_t size, double v)
{
    char n[64];
    snprintf(buf, size, "%s", isfinite(v) ? fmt_count(n, sizeof n, v) : "");
    if (isfinite(v))
        snprintf(buf + strlen(buf), size - strlen(buf), " ");
    return buf;
}

/* Pounds, whole: "£168,539", "−£15,348". */
static const char *fmt_money(char *buf, size_t size, double v)
{
    char n[64];
    fmt_num(n, sizeof n, fabs(v), 0, false);
    bool neg = v < 0 && strcmp(n, "0") != 0;
    snprintf(buf, size, "%s\xc2\xa3%s", neg ? MINUS : "", n);
    return buf;
}

/* A number from a CSV cell, or NAN when it is not one (blank, "*"). */
static double cell_num(const char *s)
{
    if (!s || !*s)
        return NAN;
    char *end;
    double v = strtod(s, &end);
    return *end == '\0' ? v : NAN;
}

/* ---- summary.json -------------------------------------------------------- */

/* The item at a dotted path ("coverage.gaps.gap_areas"; a number picks an
 * array element: "coverage.coverage.2.customers_pct"), or NULL. */
static const cJSON *jpath(const cJSON *root, const char *path)
{
    const cJSON *o = root;
    char seg[96];
    while (o && *path) {
        size_t n = strcspn(path, ".");
        if (n >= sizeof seg)
            return NULL;
        memcpy(seg, path, n);
        seg[n] = '\0';
        path += n + (path[n] == '.');
        if (cJSON_IsArray(o)) {
            char *end;
            long i = strtol(seg, &end, 10);
            o = *end || i < 0 || i > 1000000 ? NULL : cJSON_GetArrayItem(o, (int)i);
        } else {
            o = cJSON_GetObjectItemCaseSensitive(o, seg);
        }
    }
    return o;
}

static double jnum(const cJSON *root, const char *path)
{
    const cJSON *v = jpath(root, path);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static const char *jstr(const cJSON *root, const char *path)
{
    const cJSON *v = jpath(root, path);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* ---- CSV tables ---------------------------------------------------------- */

typedef struct rtab {
    bool present;
    size_t nrows, ncols;
    char **head;
    char **cell; /* nrows x ncols */
} rtab;

static void tab_free(rtab *t)
{
    for (size_t i = 0; t->cell && i < t->nrows * t->ncols; i++)
        gm__free(t->cell[i]);
    for (size_t k = 0; t->head && k < t->ncols; k++)
        gm__free(t->head[k]);
    gm__free(t->cell);
    gm__free(t->head);
    memset(t, 0, sizeof *t);
}

static bool file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* dir/name whole, or t->present = false when the run did not write it. */
static gm_status tab_load(gm_ctx *ctx, const char *dir, const char *name, rtab *t)
{
    memset(t, 0, sizeof *t);
    char *path = gm__asprintf("%s/%s", dir, name);
    if (!path)
        return gm__err(ctx, GM_E_NOMEM, "out of memory reading %s for report.html", name);
    if (!file_exists(path)) {
        gm__free(path);
        return GM_OK;
    }
    gm__table_opts o;
    gm__table_opts_init(&o);
    gm__table *tb = NULL;
    gm_status st = gm__table_open(ctx, path, &o, &tb);
    size_t cap = 0;
    if (st != GM_OK)
        goto done;
    t->present = true;
    t->ncols = gm__table_ncols(tb);
    if (!(t->head = gm__calloc(t->ncols ? t->ncols : 1, sizeof *t->head)))
        goto nomem;
    for (size_t k = 0; k < t->ncols; k++)
        if (!(t->head[k] = gm__strdup(gm__table_colname(tb, k))))
            goto nomem;
    for (;;) {
        bool eof;
        if ((st = gm__table_next(tb, &eof)) != GM_OK)
            goto done;
        if (eof)
            break;
        if (!gm__grow((void **)&t->cell, &cap, (t->nrows + 1) * t->ncols, sizeof *t->cell))
            goto nomem;
        for (size_t k = 0; k < t->ncols; k++)
            t->cell[t->nrows * t->ncols + k] = NULL;
        t->nrows++;
        for (size_t k = 0; k < t->ncols; k++)
            if (!(t->cell[(t->nrows - 1) * t->ncols + k] = gm__strdup(gm__table_get(tb, k))))
                goto nomem;
    }
    goto done;
nomem:
    st = gm__err(ctx, GM_E_NOMEM, "out of memory reading %s for report.html", path);
done:
    gm__table_close(tb);
    gm__free(path);
    if (st != GM_OK)
        tab_free(t);
    return st;
}

static long tab_col(const rtab *t, const char *name)
{
    for (size_t k = 0; k < t->ncols; k++)
        if (!strcmp(t->head[k], name))
            return (long)k;
    return -1;
}

static const char *tab_get(const rtab *t, size_t row, long col)
{
    return col < 0 || row >= t->nrows ? "" : t->cell[row * t->ncols + (size_t)col];
}

/* ---- the report's state ---------------------------------------------------- */

typedef struct site {
    double x, y;          /* EPSG:27700 */
    char *name, *provider, *status;
    double places;        /* NAN when not given */
    bool virt;
} site;

typedef struct idrow {
    const char *id;
    size_t row;
} idrow;

enum { M_NONE, M_PCT, M_MIN };
enum { NCLASS = 5, CL_WITHHELD = 5, CL_NODATA = 6 };

typedef struct report {
    gm_ctx *ctx;
    GEOSContextHandle_t h;
    const char *dir;
    unsigned formats;
    cJSON *sum;
    rtab zones, gaps, spend;
    gm__poly *zp, *gp;           /* the zones and gaps layers */
    size_t nz, ng;
    GEOSGeometry **zs, **gs;     /* their simplified geometries (NULL: use the original) */
    long *zrow, *grow;           /* each feature's row in zones.csv / gaps.csv, or -1 */
    idrow *zidx;                 /* zones.csv rows sorted by zone_id */
    site *sites;
    size_t nsites;
    bool have_sites;
    char layers_read[3][64];     /* the layer files read, for the footer */
    size_t nlayers_read;
    /* the frame of the maps */
    double x0, y1, scale, tol;
    long w, hgt;
    /* settings from summary.json */
    long suppress_n;             /* "fewer than N" */
    bool nhs;
    const char *gap_mode;        /* NULL when there is no coverage section */
    double gap_min;
    /* the zones' measure */
    int measure;
    long mcol, nearcol, pcnearcol, custcol;
    sbuf b;
} report;

/* How a mode reads in a sentence; NULL for a mode this page does not know. */
static const char *mode_known(const char *mode)
{
    if (!mode)
        return NULL;
    if (!strcmp(mode, "car"))
        return "by car";
    if (!strcmp(mode, "walk"))
        return "on foot";
    if (!strcmp(mode, "walk_slow"))
        return "on foot at a slower pace";
    if (!strcmp(mode, "cycle"))
        return "by bike";
    return NULL;
}

static const char *mode_words(const char *mode)
{
    const char *w = mode_known(mode);
    return w ? w : "by the run's chosen mode";
}

/* ---- reading the layers ----------------------------------------------------- */

/* dir/layer.shp when the run wrote shapefiles (already EPSG:27700), else
 * dir/layer.geojson; NULL (and no error) when neither is there. */
static char *layer_path(report *r, const char *layer, bool *nomem)
{
    static const char *const ext[] = {"shp", "geojson"};
    static const unsigned fmt[] = {GM__FMT_SHAPEFILE, GM__FMT_GEOJSON};
    *nomem = false;
    for (size_t k = 0; k < 2; k++) {
        if (!(r->formats & fmt[k]))
            continue;
        char *p = gm__asprintf("%s/%s.%s", r->dir, layer, ext[k]);
        if (!p) {
            *nomem = true;
            return NULL;
        }
        if (file_exists(p)) {
            if (r->nlayers_read < 3)
                snprintf(r->layers_read[r->nlayers_read++], 64, "%s.%s", layer, ext[k]);
            return p;
        }
        gm__free(p);
    }
    return NULL;
}

static int cmp_idrow(const void *a, const void *b)
{
    return strcmp(((const idrow *)a)->id, ((const idrow *)b)->id);
}

/* The zones and gaps polygons, each joined to its CSV row by id. */
static gm_status read_polys(report *r)
{
    gm_status st = GM_OK;
    bool nomem;
    char *path = NULL;
    long zc = tab_col(&r->zones, "zone_id");
    if (r->zones.present && r->zones.nrows > 0 && zc >= 0) {
        if (!(r->zidx = gm__calloc(r->zones.nrows, sizeof *r->zidx)))
            return gm__err(r->ctx, GM_E_NOMEM, "out of memory writing report.html");
        for (size_t i = 0; i < r->zones.nrows; i++)
            r->zidx[i] = (idrow){tab_get(&r->zones, i, zc), i};
        qsort(r->zidx, r->zones.nrows, sizeof *r->zidx, cmp_idrow);
        path = layer_path(r, "zones", &nomem);
        if (nomem)
            return gm__err(r->ctx, GM_E_NOMEM, "out of memory writing report.html");
        if (path) {
            st = gm__polys_read(r->ctx, path, NULL, "zone_id", "zone_name", &r->zp, &r->nz, NULL);
            gm__free(path);
            if (st != GM_OK)
                return st;
            if (!(r->zrow = gm__calloc(r->nz, sizeof *r->zrow)) || !(r->zs = gm__calloc(r->nz, sizeof *r->zs)))
                return gm__err(r->ctx, GM_E_NOMEM, "out of memory writing report.html");
            for (size_t i = 0; i < r->nz; i++) {
                idrow key = {r->zp[i].id, 0};
                const idrow *hit = bsearch(&key, r->zidx, r->zones.nrows, sizeof *r->zidx, cmp_idrow);
                r->zrow[i] = hit ? (long)hit->row : -1;
            }
        }
    }
    long gc = tab_col(&r->gaps, "gap_id");
    /* An empty gaps layer has no polygon to read: only read it when there are gaps. */
    if (r->gaps.present && r->gaps.nrows > 0 && gc >= 0) {
        path = layer_path(r, "gaps", &nomem);
        if (nomem)
            return gm__err(r->ctx, GM_E_NOMEM, "out of memory writing report.html");
        if (path) {
            st = gm__polys_read(r->ctx, path, NULL, "gap_id", NULL, &r->gp, &r->ng, NULL);
            gm__free(path);
            if (st != GM_OK)
                return st;
            if (!(r->grow = gm__calloc(r->ng, sizeof *r->grow)) || !(r->gs = gm__calloc(r->ng, sizeof *r->gs)))
                return gm__err(r->ctx, GM_E_NOMEM, "out of memory writing report.html");
            for (size_t i = 0; i < r->ng; i++) {
                r->grow[i] = -1;
                for (size_t j = 0; j < r->gaps.nrows && r->grow[i] < 0; j++)
                    if (!strcmp(tab_get(&r->gaps, j, gc), r->gp[i].id))
                        r->grow[i] = (long)j;
            }
        }
    }
    return GM_OK;
}

/* The column named full, or its shapefile name short (a GeoJSON keeps full
 * names, a DBF cuts them to 10 characters: docs/outputs.md). */
static int find_field(const gm__table *t, const char *full, const char *shp)
{
    int c = gm__table_find(t, full);
    return c >= 0 || !shp ? c : gm__table_find(t, shp);
}

/* The provider sites as points in EPSG:27700 with what the tables need. */
static gm_status read_sites(report *r)
{
    bool nomem;
    char *path = layer_path(r, "providers", &nomem);
    if (nomem)
        return gm__err(r->ctx, GM_E_NOMEM, "out of memory writing report.html");
    if (!path)
        return GM_OK;
    gm__table_opts o;
    gm__table_opts_init(&o);
    gm__table *t = NULL;
    gm__xform *xf = NULL;
    size_t cap = 0;
    gm_status st = gm__table_open(r->ctx, path, &o, &t);
    if (st != GM_OK)
        goto done;
    const char *crs = gm__table_crs(t);
    if (crs && strcmp(crs, GM__WORKING_CRS) != 0 &&
        (st = gm__xform_new(r->ctx, crs, GM__WORKING_CRS, &xf)) != GM_OK)
        goto done;
    int fname = find_field(t, "site_name", NULL), fprov = find_field(t, "provider_name", "provider_n"),
        fplaces = find_field(t, "places_per_day", "places_per"),
        fstatus = find_field(t, "framework_status", "framework_"), fvirt = find_field(t, "virtual", NULL);
    r->have_sites = true;
    for (;;) {
        bool eof;
        if ((st = gm__table_next(t, &eof)) != GM_OK)
            goto done;
        if (eof)
            break;
        double x, y;
        bool located = gm__table_point(t, &x, &y);
        if (located && xf && !gm__xform_point(xf, &x, &y))
            located = false;
        if (!gm__grow((void **)&r->sites, &cap, r->nsites + 1, sizeof *r->sites))
            goto nomem;
        site *s = &r->sites[r->nsites++];
        memset(s, 0, sizeof *s);
        s->x = located ? x : NAN;
        s->y = located ? y : NAN;
        s->places = fplaces >= 0 ? cell_num(gm__table_get(t, (size_t)fplaces)) : NAN;
        s->virt = fvirt >= 0 && !strcmp(gm__table_get(t, (size_t)fvirt), "yes");
        s->name = gm__strdup(fname >= 0 ? gm__table_get(t, (size_t)fname) : "");
        s->provider = gm__strdup(fprov >= 0 ? gm__table_get(t, (size_t)fprov) : "");
        s->status = gm__strdup(fstatus >= 0 ? gm__table_get(t, (size_t)fstatus) : "");
        if (!s->name || !s->provider || !s->status)
            goto nomem;
    }
    goto done;
nomem:
    st = gm__err(r->ctx, GM_E_NOMEM, "out of memory reading %s for report.html", path);
done:
    gm__xform_free(xf);
    gm__table_close(t);
    gm__free(path);
    return st;
}

/* ---- the map frame and SVG geometry ----------------------------------------- */

/* The frame around the zones (4% margin), and the simplified geometries. */
static bool make_frame(report *r)
{
    double xmin = INFINITY, ymin = INFINITY, xmax = -INFINITY, ymax = -INFINITY;
    for (size_t i = 0; i < r->nz; i++) {
        double a, b, c, d;
        if (GEOSGeom_getXMin_r(r->h, r->zp[i].geom, &a) && GEOSGeom_getYMin_r(r->h, r->zp[i].geom, &b) &&
            GEOSGeom_getXMax_r(r->h, r->zp[i].geom, &c) && GEOSGeom_getYMax_r(r->h, r->zp[i].geom, &d)) {
            xmin = fmin(xmin, a), ymin = fmin(ymin, b), xmax = fmax(xmax, c), ymax = fmax(ymax, d);
        }
    }
    if (!(xmax > xmin) || !(ymax > ymin))
        return false;
    double dx = xmax - xmin, dy = ymax - ymin, pad = 0.04 * fmax(dx, dy);
    r->tol = fmax(dx, dy) / SIMPLIFY_FRACTION;
    r->x0 = xmin - pad;
    r->y1 = ymax + pad;
    r->scale = (double)MAP_W / (dx + 2 * pad);
    r->w = MAP_W;
    r->hgt = lround((dy + 2 * pad) * r->scale);
    for (size_t i = 0; i < r->nz; i++)
        r->zs[i] = GEOSTopologyPreserveSimplify_r(r->h, r->zp[i].geom, r->tol);
    for (size_t i = 0; i < r->ng; i++)
        r->gs[i] = GEOSTopologyPreserveSimplify_r(r->h, r->gp[i].geom, r->tol);
    return true;
}

static long px(const report *r, double x)
{
    return lround((x - r->x0) * r->scale);
}

static long py(const report *r, double y)
{
    return lround((r->y1 - y) * r->scale);
}

/* One ring as "M x y l dx dy ... z", in whole units, repeated points dropped. */
static void svg_ring(report *r, const GEOSGeometry *ring)
{
    const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(r->h, ring);
    unsigned n = 0;
    if (!cs || !GEOSCoordSeq_getSize_r(r->h, cs, &n) || n < 4)
        return;
    long lx = 0, ly = 0;
    size_t moves = 0;
    for (unsigned i = 0; i + 1 < n; i++) { /* the last point closes the ring: z does that */
        double x, y;
        if (!GEOSCoordSeq_getXY_r(r->h, cs, i, &x, &y))
            return;
        long X = px(r, x), Y = py(r, y);
        if (i == 0) {
            sb_printf(&r->b, "M%ld %ld", X, Y);
        } else if (X != lx || Y != ly) {
            sb_printf(&r->b, moves++ ? " %ld %ld" : "l%ld %ld", X - lx, Y - ly);
        } else {
            continue;
        }
        lx = X, ly = Y;
    }
    sb_puts(&r->b, "z");
}

static void svg_geom(report *r, const GEOSGeometry *g)
{
    int type = GEOSGeomTypeId_r(r->h, g);
    if (type == GEOS_POLYGON) {
        svg_ring(r, GEOSGetExteriorRing_r(r->h, g));
        int nh = GEOSGetNumInteriorRings_r(r->h, g);
        for (int k = 0; k < nh; k++)
            svg_ring(r, GEOSGetInteriorRingN_r(r->h, g, k));
    } else if (type == GEOS_MULTIPOLYGON || type == GEOS_GEOMETRYCOLLECTION) {
        int np = GEOSGetNumGeometries_r(r->h, g);
        for (int k = 0; k < np; k++)
            svg_geom(r, GEOSGetGeometryN_r(r->h, g, k));
    }
}

/* d="..." of a feature: the simplified geometry, or the original when
 * simplifying failed. */
static void svg_d(report *r, const GEOSGeometry *simple, const void *orig)
{
    sb_puts(&r->b, " d=\"");
    svg_geom(r, simple ? simple : (const GEOSGeometry *)orig);
    sb_puts(&r->b, "\"");
}

static bool in_frame(const report *r, double x, double y)
{
    long X = px(r, x), Y = py(r, y);
    return isfinite(x) && isfinite(y) && X >= 0 && X <= r->w && Y >= 0 && Y <= r->hgt;
}

static size_t svg_sites(report *r)
{
    size_t outside = 0;
    sb_puts(&r->b, "<g class=\"sites\">\n");
    for (size_t i = 0; i < r->nsites; i++) {
        const site *s = &r->sites[i];
        if (!in_frame(r, s->x, s->y)) {
            outside += isfinite(s->x) ? 1 : 0;
            continue;
        }
        sb_printf(&r->b, "<circle cx=\"%ld\" cy=\"%ld\" r=\"32\"%s><title>", px(r, s->x), py(r, s->y),
                  s->virt ? " class=\"virt\"" : "");
        sb_esc(&r->b, s->name);
        if (*s->provider && strcmp(s->provider, s->name)) {
            sb_puts(&r->b, " (");
            sb_esc(&r->b, s->provider);
            sb_puts(&r->b, ")");
        }
        sb_puts(&r->b, "</title></circle>\n");
    }
    sb_puts(&r->b, "</g>\n");
    return outside;
}

/* Each gap's number (its rank) on a point inside it. */
static void svg_gap_labels(report *r)
{
    long rc = tab_col(&r->gaps, "rank");
    sb_puts(&r->b, "<g class=\"lab\">\n");
    for (size_t i = 0; i < r->ng; i++) {
        GEOSGeometry *pt = GEOSPointOnSurface_r(r->h, r->gp[i].geom);
        double x, y;
        if (pt && GEOSGeomGetX_r(r->h, pt, &x) && GEOSGeomGetY_r(r->h, pt, &y)) {
            const char *rank = r->grow[i] >= 0 ? tab_get(&r->gaps, (size_t)r->grow[i], rc) : "";
            sb_printf(&r->b, "<circle cx=\"%ld\" cy=\"%ld\" r=\"85\"/><text x=\"%ld\" y=\"%ld\">", px(r, x),
                      py(r, y), px(r, x), py(r, y) + 38);
            sb_esc(&r->b, *rank ? rank : r->gp[i].id);
            sb_puts(&r->b, "</text>\n");
        }
        if (pt)
            GEOSGeom_destroy_r(r->h, pt);
    }
    sb_puts(&r->b, "</g>\n");
}

/* A scale bar of a round length near a fifth of the width, and a north arrow
 * (grid north, within a degree of true north across Great Britain). */
static void svg_furniture(report *r)
{
    double target = 0.2 * (double)r->w / r->scale;
    double p = pow(10, floor(log10(target)));
    double len = target >= 5 * p ? 5 * p : target >= 2 * p ? 2 * p : p;
    long L = lround(len * r->scale), x = lround(0.03 * (double)r->w), y = r->hgt - lround(0.03 * (double)r->w);
    char t[64];
    if (len >= 1000)
        fmt_num(t, sizeof t, len / 1000, 1, true);
    else
        fmt_num(t, sizeof t, len, 0, true);
    sb_printf(&r->b,
              "<g class=\"scale\"><path d=\"M%ld %ldv40h%ldv-40\"/><text x=\"%ld\" y=\"%ld\">%s %s</text></g>\n",
              x, y - 40, L, x, y - 70, t, len >= 1000 ? "km" : "m");
    long nx = r->w - lround(0.04 * (double)r->w), ny = lround(0.03 * (double)r->w);
    sb_printf(&r->b,
              "<g class=\"north\"><path d=\"M%ld %ldl-55 160l55 -45l55 45z\"/><text x=\"%ld\" y=\"%ld\">N</text></g>\n",
              nx, ny, nx, ny + 270);
}

static void svg_open(report *r, const char *label)
{
    sb_printf(&r->b, "<svg class=\"map\" viewBox=\"0 0 %ld %ld\" width=\"%ld\" height=\"%ld\" role=\"img\" aria-label=\"",
              r->w, r->hgt, r->w, r->hgt);
    sb_esc(&r->b, label);
    sb_printf(&r->b, "\">\n<rect class=\"sea\" width=\"%ld\" height=\"%ld\"/>\n", r->w, r->hgt);
}

/* ---- the zones' measure ------------------------------------------------------ */

static const char *const CLASS_FILL[NCLASS] = {"#fef0d9", "#fdcc8a", "#fc8d59", "#e34a33", "#b30000"};

/* Which zones.csv column shades the zones: the share of customers within
 * the gap threshold when zones.csv has it (pct_15 ... pct_60), else their
 * mean minutes to the nearest suitable site by the gap mode. */
static void pick_measure(report *r)
{
    r->measure = M_NONE;
    r->mcol = r->nearcol = r->pcnearcol = -1;
    r->custcol = tab_col(&r->zones, "customers");
    if (!r->zones.present || !r->gap_mode)
        return;
    char col[64];
    snprintf(col, sizeof col, "near_%s_min", r->gap_mode);
    r->nearcol = tab_col(&r->zones, col);
    snprintf(col, sizeof col, "pc_near_%s_min", r->gap_mode);
    r->pcnearcol = tab_col(&r->zones, col);
    if (r->gap_min == floor(r->gap_min) && r->gap_min > 0 && r->gap_min < 1000) {
        snprintf(col, sizeof col, "pct_%ld", lround(r->gap_min));
        if ((r->mcol = tab_col(&r->zones, col)) >= 0) {
            r->measure = M_PCT;
            return;
        }
    }
    if ((r->mcol = r->nearcol) >= 0)
        r->measure = M_MIN;
}

/* A zone's class (0 best .. 4 worst, CL_WITHHELD, CL_NODATA) and value. */
static int zone_class(const report *r, long row, double *val)
{
    const char *v = row >= 0 ? tab_get(&r->zones, (size_t)row, r->mcol) : "";
    *val = NAN;
    /* A zone with no customers has no share (zones.csv writes it as "*"). */
    if (row >= 0 && !strcmp(tab_get(&r->zones, (size_t)row, r->custcol), "0"))
        return CL_NODATA;
    if (!strcmp(v, "*"))
        return CL_WITHHELD;
    double x = cell_num(v);
    if (!isfinite(x))
        return CL_NODATA;
    *val = x;
    if (r->measure == M_PCT)
        return x >= 100 ? 0 : x >= 90 ? 1 : x >= 75 ? 2 : x >= 50 ? 3 : 4;
    double t = r->gap_min;
    return x <= t / 2 ? 0 : x <= t ? 1 : x <= 1.5 * t ? 2 : x <= 2 * t ? 3 : 4;
}

static void class_label(const report *r, int k, char *buf, size_t size)
{
    static const char *const pct[NCLASS] = {"all (100%)", "90% to 99.9%", "75% to 89.9%", "50% to 74.9%",
                                            "under 50%"};
    if (r->measure == M_PCT) {
        snprintf(buf, size, "%s", pct[k]);
        return;
    }
    static const double f[NCLASS + 1] = {0, 0.5, 1, 1.5, 2, INFINITY};
    char a[32], b[32];
    fmt_num(a, sizeof a, f[k] * r->gap_min, 1, true);
    fmt_num(b, sizeof b, f[k + 1] * r->gap_min, 1, true);
    if (k == 0)
        snprintf(buf, size, "up to %s min", b);
    else if (k == NCLASS - 1)
        snprintf(buf, size, "over %s min", a);
    else
        snprintf(buf, size, "%s to %s min", a, b);
}

/* "fewer than 5": how a withheld count reads. */
static void sb_fewer(report *r)
{
    sb_printf(&r->b, "fewer than %ld", r->suppress_n);
}

/* A count from a shareable CSV: "*" reads as "fewer than N". */
static void sb_count_cell(report *r, const char *v)
{
    char t[64];
    double x = cell_num(v);
    if (!strcmp(v, "*"))
        sb_fewer(r);
    else if (isfinite(x))
        sb_puts(&r->b, fmt_count(t, sizeof t, x));
    else if (!*v)
        sb_puts(&r->b, "\xe2\x80\x94");
    else
        sb_esc(&r->b, v);
}

/* A figure derived from counts of people: "*" reads as "withheld". */
static void sb_value_cell(report *r, const char *v, const char *unit)
{
    double x = cell_num(v);
    char t[64];
    if (!strcmp(v, "*"))
        sb_puts(&r->b, "withheld");
    else if (isfinite(x))
        sb_printf(&r->b, "%s%s", fmt_num(t, sizeof t, x, 1, false), unit);
    else if (!*v)
        sb_puts(&r->b, "\xe2\x80\x94");
    else
        sb_esc(&r->b, v);
}

/* ---- the page ----------------------------------------------------------------- */

static const char CSS[] =
    "@page{size:A4;margin:12mm}\n"
    "*{box-sizing:border-box}\n"
    "html{-webkit-print-color-adjust:exact;print-color-adjust:exact}\n"
    "body{margin:0 auto;max-width:186mm;padding:6mm 4mm;font-family:\"Liberation Sans\",Arial,Helvetica,sans-serif;"
    "font-size:10.5pt;line-height:1.4;color:#1b1b1b;background:#fff}\n"
    "h1{font-size:20pt;margin:0 0 2mm;line-height:1.15}\n"
    "h2{font-size:13.5pt;margin:7mm 0 2.5mm;padding-bottom:1mm;border-bottom:2px solid #1f4e79;color:#1f4e79;"
    "break-after:avoid}\n"
    "h3{font-size:11pt;margin:4mm 0 2mm;break-after:avoid}\n"
    "p{margin:0 0 2mm}\n"
    ".kicker{text-transform:uppercase;letter-spacing:.06em;font-size:8.5pt;color:#555;margin:0}\n"
    ".lede{font-size:10.5pt;color:#333}\n"
    ".cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(42mm,1fr));gap:3mm}\n"
    ".card{border:1px solid #d0d7de;border-left:4px solid #1f4e79;padding:2mm 3mm;break-inside:avoid}\n"
    ".big{font-size:21pt;font-weight:700;line-height:1.1;color:#1f4e79}\n"
    ".big.withheld{font-size:14pt;color:#666}\n"
    ".what{font-size:9pt;color:#333}\n"
    ".note{font-size:8.5pt;color:#555}\n"
    "figure{margin:3mm 0 5mm;break-inside:avoid}\n"
    "figcaption{font-size:9pt;color:#333;margin-top:1.5mm}\n"
    /* auto sizes with max-width and max-height keep the map's aspect ratio (CSS 2.1, 10.4) */
    ".map{display:block;width:auto;height:auto;max-width:100%;max-height:205mm;margin:0 auto;"
    "border:1px solid #d0d7de}\n"
    ".map .sea{fill:#f7f9fb}\n"
    ".map .zone,.map .zb{stroke:#fff;stroke-width:7;stroke-linejoin:round;fill-rule:evenodd}\n"
    ".map .zb{fill:#e6e6e6}\n"
    ".map .gapline{fill:none;stroke:#08306b;stroke-width:26;stroke-linejoin:round}\n"
    ".map .gapfill{stroke:#3b0008;stroke-width:10;stroke-linejoin:round;fill-rule:evenodd;fill-opacity:.85}\n"
    ".map .sites circle{fill:#1f4e79;stroke:#fff;stroke-width:10}\n"
    ".map .sites circle.virt{fill:#fff;stroke:#1f4e79;stroke-width:14}\n"
    ".map .lab circle{fill:#fff;stroke:#08306b;stroke-width:12}\n"
    ".map .lab text{font-size:110px;font-weight:700;text-anchor:middle;fill:#08306b}\n"
    ".map .scale path{fill:none;stroke:#333;stroke-width:12}\n"
    ".map .scale text,.map .north text{font-size:95px;fill:#333}\n"
    ".map .north path{fill:#333}\n"
    ".map .north text{text-anchor:middle;font-weight:700}\n"
    ".legend{display:flex;flex-wrap:wrap;gap:1mm 4mm;list-style:none;padding:0;margin:2mm 0 0;font-size:8.5pt}\n"
    ".legend li{display:flex;align-items:center;gap:1.5mm}\n"
    ".legend svg{width:4mm;height:4mm;flex:none}\n"
    "table{width:100%;border-collapse:collapse;font-size:8.5pt;margin:1mm 0 3mm}\n"
    "th,td{text-align:left;vertical-align:top;padding:1mm 1.5mm;border-bottom:1px solid #d0d7de}\n"
    "th{background:#eef2f6;font-weight:700}\n"
    "tr{break-inside:avoid}\n"
    "td.num,th.num{text-align:right}\n"
    "td.num{white-space:nowrap}\n"
    "table.gaps{table-layout:fixed}\n"
    ".small{font-size:7.5pt;color:#444}\n"
    "footer{margin-top:8mm;padding-top:2mm;border-top:1px solid #999;font-size:8pt;color:#444}\n"
    "footer p{margin:0 0 1.5mm}\n"
    /* On A4: the headline figures on the first page, both maps on the next. */
    "@media print{body{padding:0;max-width:none;font-size:9.5pt}h2{margin:4mm 0 2mm}"
    ".cards{grid-template-columns:repeat(5,1fr);gap:2mm}.card{padding:1.5mm 2mm}.big{font-size:15pt}"
    ".big.withheld{font-size:11pt}.what{font-size:7.5pt;line-height:1.3}#maps{break-before:page}"
    ".map{max-height:108mm}figure{margin:1mm 0 3mm}}\n";

/* A headline figure: the value at path in summary.json, shown big, with words
 * under it.  Nothing when the path is absent; "withheld" when it is null.
 * data-summary names the path so a reader (and the tests) can check it. */
enum { K_COUNT, K_PCT, K_MIN, K_MONEY };

static void card(report *r, const char *path, int kind, const char *words)
{
    const cJSON *v = jpath(r->sum, path);
    if (!v)
        return;
    char t[96];
    sb_printf(&r->b, "<div class=\"card\"><div class=\"big%s\" data-summary=\"", cJSON_IsNumber(v) ? "" : " withheld");
    sb_esc(&r->b, path);
    sb_puts(&r->b, "\">");
    if (cJSON_IsNumber(v)) {
        double x = v->valuedouble;
        switch (kind) {
        case K_PCT: sb_printf(&r->b, "%s%%", fmt_num(t, sizeof t, x, 1, true)); break;
        case K_MIN: sb_printf(&r->b, "%s min", fmt_num(t, sizeof t, x, 1, true)); break;
        case K_MONEY: sb_puts(&r->b, fmt_money(t, sizeof t, x)); break;
        default: sb_puts(&r->b, fmt_count(t, sizeof t, x)); break;
        }
        sb_printf(&r->b, "</div><div class=\"what\">%s</div></div>\n", words);
    } else {
        sb_printf(&r->b, "withheld</div><div class=\"what\">%s <span class=\"note\">(", words);
        sb_fewer(r);
        sb_puts(&r->b, " people, or a figure they could be worked out from)</span></div></div>\n");
    }
}

/* The entry of summary.json's coverage list for any service, the gap mode
 * and the gap threshold: its index, or -1. */
static int coverage_entry(const report *r)
{
    const cJSON *list = jpath(r->sum, "coverage.coverage");
    int n = cJSON_GetArraySize(list);
    for (int i = 0; i < n; i++) {
        const cJSON *e = cJSON_GetArrayItem(list, i);
        const char *svc = jstr(e, "service"), *mode = jstr(e, "mode");
        if (svc && mode && !strcmp(svc, "any") && !strcmp(mode, r->gap_mode) && jnum(e, "minutes") == r->gap_min)
            return i;
    }
    return -1;
}

static void headline(report *r)
{
    char w[512], a[64], b[64], path[160];
    if (jpath(r->sum, "coverage")) {
        sb_puts(&r->b, "<section id=\"coverage\"><h2>Customers and coverage</h2><div class=\"cards\">\n");
        double rows = jnum(r->sum, "customer_file.rows");
        if (isfinite(rows)) {
            snprintf(w, sizeof w, "customers placed on the map from their postcodes, of %s rows in the customer file",
                     fmt_count(a, sizeof a, rows));
            card(r, "coverage.customers", K_COUNT, w);
        } else
            card(r, "coverage.customers", K_COUNT, "customers placed on the map from their postcodes");
        if (r->gap_mode) {
            fmt_num(a, sizeof a, r->gap_min, 1, true);
            int k = coverage_entry(r);
            snprintf(w, sizeof w, "of customers have a suitable provider within %s minutes %s", a,
                     mode_words(r->gap_mode));
            if (k >= 0) {
                snprintf(path, sizeof path, "coverage.coverage.%d.customers_pct", k);
                card(r, path, K_PCT, w);
            } else {
                snprintf(path, sizeof path, "coverage.journey_time_statistics.%s.pct_customers_within_%s_min",
                         r->gap_mode, a);
                card(r, path, K_PCT, w);
            }
            snprintf(path, sizeof path, "coverage.journey_time_statistics.%s.mean_minutes_to_nearest_suitable_site",
                     r->gap_mode);
            snprintf(w, sizeof w, "the average journey %s to the nearest suitable provider", mode_words(r->gap_mode));
            card(r, path, K_MIN, w);
            if (k >= 0) {
                snprintf(path, sizeof path, "coverage.coverage.%d.postcodes_pct", k);
                snprintf(w, sizeof w, "of the area's %spostcodes are within %s minutes of a provider %s",
                         fmt_count_sp(b, sizeof b, jnum(r->sum, "coverage.postcodes_in_area")), a,
                         mode_words(r->gap_mode));
                card(r, path, K_PCT, w);
            }
        }
        sb_puts(&r->b, "</div></section>\n");
    }
    if (jpath(r->sum, "coverage.gaps")) {
        sb_puts(&r->b, "<section id=\"gaps\"><h2>Gaps</h2><div class=\"cards\">\n");
        fmt_num(a, sizeof a, r->gap_min, 1, true);
        snprintf(w, sizeof w,
                 "gap areas: neighbouring zones where most customers have no suitable provider within %s minutes "
                 "%s, or where places are scarce for the demand",
                 a, mode_words(r->gap_mode));
        card(r, "coverage.gaps.gap_areas", K_COUNT, w);
        snprintf(w, sizeof w, "of the %szones are underserved",
                 fmt_count_sp(b, sizeof b, jnum(r->sum, "coverage.zone_count")));
        card(r, "coverage.gaps.underserved_zones", K_COUNT, w);
        snprintf(w, sizeof w,
                 "customers could not be placed within %s minutes %s, even with every provider's places "
                 "shared out as well as they can be",
                 a, mode_words(r->gap_mode));
        card(r, "coverage.gaps.customers_unplaceable_within_threshold", K_COUNT, w);
        sb_puts(&r->b, "</div></section>\n");
    }
    if (jpath(r->sum, "journeys")) {
        sb_puts(&r->b, "<section id=\"journeys\"><h2>Journeys</h2><div class=\"cards\">\n");
        card(r, "journeys.placements_checked", K_COUNT, "current journeys to a provider checked against the travel goals");
        card(r, "journeys.with_any_flag", K_COUNT, "journeys flagged for a review");
        card(r, "journeys.flagged.over_goal", K_COUNT,
             "over the goal for travelling independently (walking, cycling or by bus)");
        card(r, "journeys.flagged.travel_training_candidate", K_COUNT,
             "on specialist transport but within the goal walking, cycling or by bus: candidates for travel training");
        card(r, "journeys.flagged.nearer_site_with_room", K_COUNT,
             "have a suitable provider with free places that is much nearer");
        sb_puts(&r->b, "</div>\n");
        const cJSON *goals = jpath(r->sum, "journeys.goals_minutes");
        if (cJSON_IsObject(goals)) {
            sb_puts(&r->b, "<p class=\"note\">Goals for a journey: ");
            size_t k = 0;
            for (const cJSON *g = goals->child; g; g = g->next) {
                if (!cJSON_IsNumber(g) || !g->string)
                    continue;
                sb_printf(&r->b, "%s%s min ", k++ ? "; " : "", fmt_num(a, sizeof a, g->valuedouble, 1, true));
                if (mode_known(g->string)) {
                    sb_puts(&r->b, mode_known(g->string));
                } else {
                    sb_puts(&r->b, "by ");
                    sb_esc(&r->b, g->string);
                }
            }
            sb_puts(&r->b, " (stricter goals may apply to some groups).</p>\n");
        }
        sb_puts(&r->b, "</section>\n");
    }
    if (jpath(r->sum, "ranking")) {
        sb_puts(&r->b, "<section id=\"ranking\"><h2>Placements and spend</h2><div class=\"cards\">\n");
        snprintf(w, sizeof w, "a week, the current spend on %splacements",
                 fmt_count_sp(a, sizeof a, jnum(r->sum, "ranking.spend.placements")));
        card(r, "ranking.spend.weekly_spend", K_MONEY, w);
        snprintf(w, sizeof w, "of the %scustomers could be placed within their travel goal if everyone were placed "
                 "afresh",
                 fmt_count_sp(a, sizeof a, jnum(r->sum, "ranking.customers")));
        card(r, "ranking.assignment.placed_within_goal", K_COUNT, w);
        card(r, "ranking.assignment.moving", K_COUNT, "would move to a provider that suits them better");
        snprintf(w, sizeof w,
                 "a week: the change in spend for the %scustomers compared (providers' day prices against what is "
                 "paid now)",
                 fmt_count_sp(a, sizeof a, jnum(r->sum, "ranking.assignment.customers_compared_spend")));
        card(r, "ranking.assignment.weekly_spend_change", K_MONEY, w);
        snprintf(w, sizeof w, "minutes of travel saved each way in all, over the %scustomers compared",
                 fmt_count_sp(a, sizeof a, jnum(r->sum, "ranking.assignment.customers_compared_time")));
        card(r, "ranking.assignment.minutes_saved_total", K_COUNT, w);
        sb_puts(&r->b, "</div></section>\n");
    }
}

static void legend_swatch(report *r, const char *fill, const char *stroke, bool circle)
{
    if (circle)
        sb_printf(&r->b, "<svg viewBox=\"0 0 10 10\"><circle cx=\"5\" cy=\"5\" r=\"3.5\" fill=\"%s\" stroke=\"%s\" "
                         "stroke-width=\"1.2\"/></svg>",
                  fill, stroke);
    else
        sb_printf(&r->b, "<svg viewBox=\"0 0 10 10\"><rect x=\"0.5\" y=\"0.5\" width=\"9\" height=\"9\" fill=\"%s\" "
                         "stroke=\"%s\" stroke-width=\"1\"/></svg>",
                  fill, stroke);
}

static bool any_virtual(const report *r)
{
    for (size_t i = 0; i < r->nsites; i++)
        if (r->sites[i].virt)
            return true;
    return false;
}

static void legend_sites(report *r, size_t outside)
{
    if (!r->have_sites)
        return;
    sb_puts(&r->b, "<li>");
    legend_swatch(r, "#1f4e79", "#ffffff", true);
    sb_puts(&r->b, "provider site</li>");
    if (any_virtual(r)) {
        sb_puts(&r->b, "<li>");
        legend_swatch(r, "#ffffff", "#1f4e79", true);
        sb_puts(&r->b, "site that also offers virtual support</li>");
    }
    if (outside)
        sb_printf(&r->b, "<li>%zu site%s outside the map not shown</li>", outside, outside == 1 ? "" : "s");
}

static void map_coverage(report *r)
{
    char a[64], t[400];
    fmt_num(a, sizeof a, r->gap_min, 1, true);
    const char *mw = mode_words(r->gap_mode);
    char what[256];
    if (r->measure == M_PCT)
        snprintf(what, sizeof what, "share of customers with a suitable provider within %s minutes %s", a, mw);
    else
        snprintf(what, sizeof what, "customers' average time %s to the nearest suitable provider", mw);
    sb_puts(&r->b, "<figure id=\"map-coverage\">\n");
    snprintf(t, sizeof t, "Map of the zones shaded by the %s, with provider sites and gap areas", what);
    svg_open(r, t);
    sb_puts(&r->b, "<g class=\"zones\">\n");
    long namec = tab_col(&r->zones, "zone_name");
    for (size_t i = 0; i < r->nz; i++) {
        double v;
        int k = r->measure == M_NONE ? CL_NODATA : zone_class(r, r->zrow[i], &v);
        const char *fill = k < NCLASS ? CLASS_FILL[k] : k == CL_WITHHELD ? "url(#gm-hatch)" : "#f0f0f0";
        sb_printf(&r->b, "<path class=\"zone\" fill=\"%s\"", fill);
        svg_d(r, r->zs[i], r->zp[i].geom);
        sb_puts(&r->b, "><title>");
        const char *name = r->zrow[i] >= 0 ? tab_get(&r->zones, (size_t)r->zrow[i], namec) : r->zp[i].name;
        sb_esc(&r->b, *name ? name : r->zp[i].id);
        sb_puts(&r->b, " (");
        sb_esc(&r->b, r->zp[i].id);
        sb_puts(&r->b, "): ");
        if (k == CL_WITHHELD)
            sb_puts(&r->b, "withheld");
        else if (k == CL_NODATA)
            sb_puts(&r->b, "no customers");
        else
            sb_printf(&r->b, "%s%s", fmt_num(t, sizeof t, v, 1, false), r->measure == M_PCT ? "%" : " min");
        sb_puts(&r->b, "</title></path>\n");
    }
    sb_puts(&r->b, "</g>\n<g>\n");
    for (size_t i = 0; i < r->ng; i++) {
        sb_puts(&r->b, "<path class=\"gapline\"");
        svg_d(r, r->gs[i], r->gp[i].geom);
        sb_puts(&r->b, "/>\n");
    }
    sb_puts(&r->b, "</g>\n");
    size_t outside = svg_sites(r);
    svg_gap_labels(r);
    svg_furniture(r);
    sb_puts(&r->b, "</svg>\n<ul class=\"legend\">");
    for (int k = 0; r->measure != M_NONE && k < NCLASS; k++) {
        char lab[96];
        class_label(r, k, lab, sizeof lab);
        sb_puts(&r->b, "<li>");
        legend_swatch(r, CLASS_FILL[k], "#bbbbbb", false);
        sb_printf(&r->b, "%s</li>", lab);
    }
    sb_puts(&r->b, "<li>");
    legend_swatch(r, "url(#gm-hatch)", "#bbbbbb", false);
    sb_puts(&r->b, "withheld (");
    sb_fewer(r);
    sb_puts(&r->b, " customers)</li><li>");
    legend_swatch(r, "#f0f0f0", "#bbbbbb", false);
    sb_puts(&r->b, "no customers</li>");
    if (r->ng) {
        sb_puts(&r->b, "<li>");
        legend_swatch(r, "none", "#08306b", false);
        sb_puts(&r->b, "gap area, numbered by rank</li>");
    }
    legend_sites(r, outside);
    sb_printf(&r->b, "</ul>\n<figcaption><b>Map 1.</b> Each zone is shaded by the %s (darker is worse). "
                     "Gap areas are outlined and numbered as in the table of gaps below.</figcaption>\n</figure>\n",
              what);
}

static const char *const GAP_FILL[] = {"#67000d", "#a50f15", "#cb181d", "#ef3b2c", "#fb6a4a", "#fc9272"};

static const char *gap_fill(long rank)
{
    size_t n = sizeof GAP_FILL / sizeof *GAP_FILL;
    return rank >= 1 && (size_t)rank < n ? GAP_FILL[rank - 1] : GAP_FILL[n - 1];
}

static void map_gaps(report *r)
{
    sb_puts(&r->b, "<figure id=\"map-gaps\">\n");
    svg_open(r, "Map of the gap areas, numbered by rank, over the underserved zones, with provider sites");
    long rc = tab_col(&r->gaps, "rank");
    /* Every underserved zone lies in a gap, so the other zones are plain. */
    sb_puts(&r->b, "<g>\n");
    for (size_t i = 0; i < r->nz; i++) {
        sb_puts(&r->b, "<path class=\"zb\"");
        svg_d(r, r->zs[i], r->zp[i].geom);
        sb_puts(&r->b, "/>\n");
    }
    sb_puts(&r->b, "</g>\n<g>\n");
    long maxrank = 0;
    for (size_t i = 0; i < r->ng; i++) {
        long rank = r->grow[i] >= 0 ? lround(cell_num(tab_get(&r->gaps, (size_t)r->grow[i], rc))) : 0;
        maxrank = rank > maxrank ? rank : maxrank;
        sb_printf(&r->b, "<path class=\"gapfill\" fill=\"%s\"", gap_fill(rank));
        svg_d(r, r->gs[i], r->gp[i].geom);
        sb_puts(&r->b, "><title>Gap ");
        sb_esc(&r->b, r->gp[i].id);
        sb_puts(&r->b, "</title></path>\n");
    }
    sb_puts(&r->b, "</g>\n");
    size_t outside = svg_sites(r);
    svg_gap_labels(r);
    svg_furniture(r);
    sb_puts(&r->b, "</svg>\n<ul class=\"legend\">");
    size_t nfill = sizeof GAP_FILL / sizeof *GAP_FILL;
    for (long k = 1; k <= maxrank && (size_t)k <= nfill; k++) {
        sb_puts(&r->b, "<li>");
        legend_swatch(r, gap_fill(k), "#3b0008", false);
        if ((size_t)k == nfill && maxrank > k)
            sb_printf(&r->b, "gaps %ld to %ld</li>", k, maxrank);
        else
            sb_printf(&r->b, "gap %ld</li>", k);
    }
    sb_puts(&r->b, "<li>");
    legend_swatch(r, "#e6e6e6", "#ffffff", false);
    sb_puts(&r->b, "zone not in a gap</li>");
    legend_sites(r, outside);
    sb_puts(&r->b, "</ul>\n<figcaption><b>Map 2.</b> The gap areas, darkest first: 1 affects the most people "
                   "by the most minutes. Underserved zones that touch are merged into one gap area.</figcaption>\n"
                   "</figure>\n");
}

/* A "; "-separated list from a CSV cell, one item a line. */
static void sb_esc_lines(report *r, const char *s)
{
    for (size_t k = 0; *s; k++) {
        size_t n = strcspn(s, ";");
        char *item = gm__strndup(s, n);
        if (!item) {
            r->b.oom = true;
            return;
        }
        sb_puts(&r->b, k ? "<br>" : "");
        sb_esc(&r->b, item);
        gm__free(item);
        s += n;
        s += strspn(s, "; ");
    }
}

/* "E01999017, E01999064" -> the zones' names from zones.csv. */
static void sb_zone_names(report *r, const char *ids)
{
    long namec = tab_col(&r->zones, "zone_name");
    size_t k = 0;
    const char *p = ids;
    while (*p) {
        size_t n = strcspn(p, ",");
        while (n && p[n - 1] == ' ')
            n--;
        char id[128];
        snprintf(id, sizeof id, "%.*s", (int)(n < sizeof id ? n : sizeof id - 1), p);
        const char *name = NULL;
        if (r->zidx && namec >= 0) {
            idrow key = {id, 0};
            const idrow *hit = bsearch(&key, r->zidx, r->zones.nrows, sizeof *r->zidx, cmp_idrow);
            if (hit)
                name = tab_get(&r->zones, hit->row, namec);
        }
        if (*id) {
            sb_puts(&r->b, k++ ? ", " : "");
            sb_esc(&r->b, name && *name ? name : id);
        }
        p += strcspn(p, ",");
        p += strspn(p, ", ");
    }
}

static void table_gaps(report *r)
{
    const rtab *g = &r->gaps;
    long crank = tab_col(g, "rank"), cid = tab_col(g, "gap_id"), czones = tab_col(g, "zones"),
         cn = tab_col(g, "n_zones"), ccust = tab_col(g, "customers"), cunmet = tab_col(g, "unmet"),
         cexc = tab_col(g, "excess_min"), cnear = tab_col(g, "nearest_sites"), creason = tab_col(g, "reasons");
    char a[64];
    fmt_num(a, sizeof a, r->gap_min, 1, true);
    sb_puts(&r->b, "<section id=\"gaps-table\"><h2>Gap areas</h2>\n");
    if (g->nrows == 0) {
        sb_puts(&r->b, "<p>No zone is underserved: there are no gap areas.</p></section>\n");
        return;
    }
    sb_printf(&r->b,
              "<table class=\"gaps\"><colgroup><col style=\"width:7%%\"><col style=\"width:27%%\"><col style=\"width:10%%\">"
              "<col style=\"width:11%%\"><col style=\"width:10%%\"><col style=\"width:21%%\"><col style=\"width:14%%\">"
              "</colgroup><thead><tr><th class=\"num\">Rank</th><th>Gap area and its zones</th>"
              "<th class=\"num\">Customers living there</th><th class=\"num\">Cannot be placed within %s min</th>"
              "<th class=\"num\">Mean minutes over %s</th><th>Nearest existing sites (mean minutes)</th>"
              "<th>Why</th></tr></thead>\n<tbody>\n",
              a, a);
    for (size_t i = 0; i < g->nrows; i++) {
        sb_puts(&r->b, "<tr><td class=\"num\">");
        sb_esc(&r->b, tab_get(g, i, crank));
        sb_puts(&r->b, "</td><td><b>");
        sb_esc(&r->b, tab_get(g, i, cid));
        sb_puts(&r->b, "</b> <span class=\"small\">(");
        sb_count_cell(r, tab_get(g, i, cn));
        sb_puts(&r->b, cell_num(tab_get(g, i, cn)) == 1 ? " zone" : " zones");
        sb_puts(&r->b, ")<br>");
        sb_zone_names(r, tab_get(g, i, czones));
        sb_puts(&r->b, "</span></td><td class=\"num\">");
        sb_count_cell(r, tab_get(g, i, ccust));
        sb_puts(&r->b, "</td><td class=\"num\">");
        sb_count_cell(r, tab_get(g, i, cunmet));
        sb_puts(&r->b, "</td><td class=\"num\">");
        sb_value_cell(r, tab_get(g, i, cexc), "");
        sb_puts(&r->b, "</td><td class=\"small\">");
        sb_esc_lines(r, tab_get(g, i, cnear));
        sb_puts(&r->b, "</td><td class=\"small\">");
        sb_esc_lines(r, tab_get(g, i, creason));
        sb_puts(&r->b, "</td></tr>\n");
    }
    sb_puts(&r->b, "</tbody></table>\n</section>\n");
}

typedef struct zrank {
    double v, tie;
    const char *id;
    size_t row;
    int dir; /* +1: lower value is worse (a share); -1: higher is worse (minutes) */
} zrank;

static int cmp_zrank(const void *pa, const void *pb)
{
    const zrank *a = pa, *b = pb;
    if (a->v != b->v)
        return (a->v < b->v ? -1 : 1) * a->dir;
    /* Then the longer mean time from the zone's postcodes first. */
    if (a->tie != b->tie) {
        if (isnan(a->tie) || isnan(b->tie))
            return isnan(a->tie) ? 1 : -1;
        return a->tie > b->tie ? -1 : 1;
    }
    return strcmp(a->id, b->id);
}

static void table_zones(report *r)
{
    const rtab *z = &r->zones;
    if (r->measure == M_NONE || z->nrows == 0)
        return;
    long cid = tab_col(z, "zone_id"), cname = tab_col(z, "zone_name"), ccust = tab_col(z, "customers"),
         cacc = tab_col(z, "access"), cgap = tab_col(z, "gap_id");
    zrank *v = gm__calloc(z->nrows, sizeof *v);
    if (!v) {
        r->b.oom = true;
        return;
    }
    size_t n = 0, withheld = 0;
    for (size_t i = 0; i < z->nrows; i++) {
        double x;
        int k = zone_class(r, (long)i, &x);
        withheld += k == CL_WITHHELD;
        if (k >= NCLASS)
            continue;
        v[n++] = (zrank){x, cell_num(tab_get(z, i, r->pcnearcol)), tab_get(z, i, cid), i,
                         r->measure == M_PCT ? 1 : -1};
    }
    qsort(v, n, sizeof *v, cmp_zrank);
    char a[64];
    fmt_num(a, sizeof a, r->gap_min, 1, true);
    const char *mw = mode_words(r->gap_mode);
    sb_printf(&r->b, "<section id=\"zones-table\"><h2>The %d zones with the poorest access</h2>\n",
              (int)(n < WORST_ZONES ? n : WORST_ZONES));
    if (r->measure == M_PCT)
        sb_printf(&r->b, "<p class=\"note\">Ranked by the share of the zone's customers with a suitable provider "
                         "within %s minutes %s, lowest first.",
                  a, mw);
    else
        sb_printf(&r->b, "<p class=\"note\">Ranked by the customers' average time %s to the nearest suitable "
                         "provider, longest first.",
                  mw);
    if (withheld)
        sb_printf(&r->b, " %zu zone%s with a withheld figure %s not ranked.", withheld, withheld == 1 ? "" : "s",
                  withheld == 1 ? "is" : "are");
    sb_printf(&r->b,
              "</p>\n<table><thead><tr><th>Zone</th><th class=\"num\">Customers</th>"
              "<th class=\"num\">Within %s min</th><th class=\"num\">Customers' mean minutes to the nearest</th>"
              "<th class=\"num\">Postcodes' mean minutes to the nearest</th><th class=\"num\">Access index</th>"
              "<th>Gap</th></tr></thead>\n<tbody>\n",
              a);
    for (size_t k = 0; k < n && k < WORST_ZONES; k++) {
        size_t i = v[k].row;
        sb_puts(&r->b, "<tr><td>");
        sb_esc(&r->b, tab_get(z, i, cname));
        sb_puts(&r->b, " <span class=\"small\">");
        sb_esc(&r->b, tab_get(z, i, cid));
        sb_puts(&r->b, "</span></td><td class=\"num\">");
        sb_count_cell(r, tab_get(z, i, ccust));
        sb_puts(&r->b, "</td><td class=\"num\">");
        if (r->measure == M_PCT) {
            sb_value_cell(r, tab_get(z, i, r->mcol), "%");
        } else {
            char col[32];
            snprintf(col, sizeof col, "pct_%ld", lround(r->gap_min));
            sb_value_cell(r, tab_get(z, i, tab_col(z, col)), "%");
        }
        sb_puts(&r->b, "</td><td class=\"num\">");
        sb_value_cell(r, tab_get(z, i, r->nearcol), "");
        sb_puts(&r->b, "</td><td class=\"num\">");
        sb_value_cell(r, tab_get(z, i, r->pcnearcol), "");
        sb_puts(&r->b, "</td><td class=\"num\">");
        sb_value_cell(r, tab_get(z, i, cacc), "");
        sb_puts(&r->b, "</td><td>");
        sb_esc(&r->b, tab_get(z, i, cgap));
        sb_puts(&r->b, "</td></tr>\n");
    }
    sb_puts(&r->b, "</tbody></table>\n");
    sb_puts(&r->b, "<p class=\"note\">The access index weighs each provider's places against the customers "
                   "competing for them (places per 100 customers, nearer ones counting more); ");
    const cJSON *med = jpath(r->sum, "coverage.gaps.median_access_index");
    if (cJSON_IsNumber(med)) {
        sb_printf(&r->b, "the county's median is %s.</p>\n", fmt_num(a, sizeof a, med->valuedouble, 1, false));
    } else {
        sb_puts(&r->b, "higher is better.</p>\n");
    }
    sb_puts(&r->b, "</section>\n");
    gm__free(v);
}

typedef struct prov {
    const char *name;
    size_t sites;
    double places;     /* NAN when no site gives it */
    long spend_row;    /* row in spend.csv, or -1 */
    const char *status[3];
    size_t nstatus;
} prov;

static int cmp_prov(const void *a, const void *b)
{
    return strcmp(((const prov *)a)->name, ((const prov *)b)->name);
}

static void table_providers(report *r)
{
    const rtab *s = &r->spend;
    long cg = tab_col(s, "group_by"), ck = tab_col(s, "key"), cp = tab_col(s, "placements"),
         cw = tab_col(s, "weekly_spend"), cc = tab_col(s, "placements_costed");
    size_t cap = r->nsites + (s->present ? s->nrows : 0);
    if (cap == 0)
        return;
    prov *v = gm__calloc(cap, sizeof *v);
    if (!v) {
        r->b.oom = true;
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i < r->nsites; i++)
        v[n++] = (prov){r->sites[i].provider, 1, r->sites[i].places, -1, {r->sites[i].status, NULL, NULL}, 1};
    for (size_t i = 0; s->present && i < s->nrows; i++)
        if (!strcmp(tab_get(s, i, cg), "provider"))
            v[n++] = (prov){tab_get(s, i, ck), 0, NAN, (long)i, {NULL, NULL, NULL}, 0};
    qsort(v, n, sizeof *v, cmp_prov);
    /* Merge each provider's sites and its spend row (the sort is by name, and
     * equal names merge whatever order qsort left them in). */
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m && !strcmp(v[m - 1].name, v[i].name)) {
            prov *p = &v[m - 1];
            p->sites += v[i].sites;
            if (isfinite(v[i].places))
                p->places = isfinite(p->places) ? p->places + v[i].places : v[i].places;
            if (v[i].spend_row >= 0)
                p->spend_row = v[i].spend_row;
            for (size_t k = 0; k < v[i].nstatus; k++) {
                bool seen = false;
                for (size_t j = 0; j < p->nstatus; j++)
                    seen |= !strcmp(p->status[j], v[i].status[k]);
                if (!seen && p->nstatus < 3)
                    p->status[p->nstatus++] = v[i].status[k];
            }
        } else {
            v[m++] = v[i];
        }
    }
    /* The statuses of a provider in a fixed order whatever the merge order. */
    for (size_t i = 0; i < m; i++)
        for (size_t a = 1; a < v[i].nstatus; a++)
            for (size_t b = a; b > 0 && strcmp(v[i].status[b], v[i].status[b - 1]) < 0; b--) {
                const char *t = v[i].status[b];
                v[i].status[b] = v[i].status[b - 1];
                v[i].status[b - 1] = t;
            }
    char t[64];
    sb_puts(&r->b, "<section id=\"providers\"><h2>Providers</h2>\n<table><thead><tr><th>Provider</th>");
    if (r->have_sites)
        sb_puts(&r->b, "<th class=\"num\">Sites</th><th class=\"num\">Places a day</th><th>Framework status</th>");
    if (s->present)
        sb_puts(&r->b, "<th class=\"num\">Customers placed now</th><th class=\"num\">Weekly spend</th>");
    sb_puts(&r->b, "</tr></thead>\n<tbody>\n");
    for (size_t i = 0; i < m; i++) {
        const prov *p = &v[i];
        sb_puts(&r->b, "<tr><td>");
        sb_esc(&r->b, *p->name ? p->name : "(no name)");
        sb_puts(&r->b, "</td>");
        if (r->have_sites) {
            sb_printf(&r->b, "<td class=\"num\">%zu</td><td class=\"num\">%s</td><td>", p->sites,
                      fmt_count(t, sizeof t, p->places));
            for (size_t k = 0; k < p->nstatus; k++) {
                sb_puts(&r->b, k ? ", " : "");
                sb_esc(&r->b, p->status[k]);
            }
            sb_puts(&r->b, "</td>");
        }
        if (s->present) {
            sb_puts(&r->b, "<td class=\"num\">");
            if (p->spend_row >= 0)
                sb_count_cell(r, tab_get(s, (size_t)p->spend_row, cp));
            else
                sb_puts(&r->b, "\xe2\x80\x94");
            sb_puts(&r->b, "</td><td class=\"num\">");
            const char *ws = p->spend_row >= 0 ? tab_get(s, (size_t)p->spend_row, cw) : "";
            if (!strcmp(ws, "*"))
                sb_puts(&r->b, "withheld");
            else
                sb_puts(&r->b, fmt_money(t, sizeof t, cell_num(ws)));
            sb_puts(&r->b, "</td>");
        }
        sb_puts(&r->b, "</tr>\n");
    }
    sb_puts(&r->b, "</tbody></table>\n");
    gm__free(v);
    /* Spend by framework status, then the total from summary.json. */
    bool any = false;
    for (size_t i = 0; s->present && i < s->nrows; i++)
        any |= !strcmp(tab_get(s, i, cg), "status");
    if (any) {
        sb_puts(&r->b, "<h3>Spend by framework status</h3>\n<table><thead><tr><th>Status</th>"
                       "<th class=\"num\">Placements</th><th class=\"num\">With a weekly cost recorded</th>"
                       "<th class=\"num\">Weekly spend</th></tr></thead>\n<tbody>\n");
        for (size_t i = 0; i < s->nrows; i++) {
            if (strcmp(tab_get(s, i, cg), "status"))
                continue;
            sb_puts(&r->b, "<tr><td>");
            sb_esc(&r->b, tab_get(s, i, ck));
            sb_puts(&r->b, "</td><td class=\"num\">");
            sb_count_cell(r, tab_get(s, i, cp));
            sb_puts(&r->b, "</td><td class=\"num\">");
            sb_count_cell(r, tab_get(s, i, cc));
            sb_puts(&r->b, "</td><td class=\"num\">");
            const char *ws = tab_get(s, i, cw);
            sb_puts(&r->b, !strcmp(ws, "*") ? "withheld" : fmt_money(t, sizeof t, cell_num(ws)));
            sb_puts(&r->b, "</td></tr>\n");
        }
        double tp = jnum(r->sum, "ranking.spend.placements"), tw = jnum(r->sum, "ranking.spend.weekly_spend");
        if (isfinite(tp) || isfinite(tw)) {
            sb_printf(&r->b, "<tr><th>All</th><th class=\"num\">%s</th><th></th>", fmt_count(t, sizeof t, tp));
            sb_printf(&r->b, "<th class=\"num\">%s</th></tr>\n", fmt_money(t, sizeof t, tw));
        }
        sb_puts(&r->b, "</tbody></table>\n");
    }
    sb_puts(&r->b, "</section>\n");
}

static void footer(report *r, const char *run)
{
    sb_puts(&r->b, "<footer>\n<p><b>Run:</b> ");
    sb_esc(&r->b, run);
    sb_printf(&r->b, ". Made by gapmap %s from this run's shareable files: summary.json", gm_version());
    if (r->zones.present)
        sb_puts(&r->b, ", zones.csv");
    if (r->gaps.present)
        sb_puts(&r->b, ", gaps.csv");
    if (r->spend.present)
        sb_puts(&r->b, ", spend.csv");
    for (size_t k = 0; k < r->nlayers_read; k++)
        sb_printf(&r->b, ", %s", r->layers_read[k]);
    sb_puts(&r->b, ". manifest.json, in the output folder above this one, lists the inputs with their sizes and "
                   "checksums and the time each stage took.</p>\n");
    sb_puts(&r->b, "<p><b>How it was worked out.</b> Travel times are door-to-door journeys on the road and path "
                   "network, not straight lines. A provider is <i>suitable</i> for a customer when it offers one of "
                   "their services and supports all their needs. Zones are the small areas the figures are given "
                   "for.</p>\n");
    sb_puts(&r->b, "<p><b>Withheld figures.</b> To protect people's privacy, ");
    if (r->nhs)
        sb_puts(&r->b, "counts of people from 1 to 7 are withheld and other counts are rounded to the nearest 5 "
                       "(the NHS Digital convention). ");
    else
        sb_printf(&r->b, "counts of people from 1 to %ld are withheld (shown as &ldquo;fewer than %ld&rdquo;). ",
                  r->suppress_n - 1, r->suppress_n);
    sb_puts(&r->b, "Any figure from which a withheld count could be worked out (a share, an average, a total "
                   "less the others) is withheld with it. This report shows no one's name, postcode or record: the "
                   "files with a row per person (customers, matrix, journeys, ranking, assignment, rejects) are "
                   "kept apart in the restricted folder and were not read.</p>\n");
    sb_puts(&r->b, "<p><b>Sources and attribution.</b> Customers and providers: the council's case-management and "
                   "framework records. Postcodes, roads and zone boundaries: the files named in manifest.json. Where "
                   "these are open data, their licences ask for: Contains OS data &copy; Crown copyright and database "
                   "right; Contains Royal Mail data &copy; Royal Mail copyright and database right; Contains "
                   "National Statistics data &copy; Crown copyright and database right; &copy; OpenStreetMap "
                   "contributors (Open Database Licence); bus timetables from the Bus Open Data Service, "
                   "Department for Transport (Open Government Licence).</p>\n</footer>\n");
}

static gm_status build_page(report *r)
{
    const char *run = jstr(r->sum, "run");
    if (!run)
        run = "gapmap run";
    sb_puts(&r->b, "<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n"
                   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    sb_printf(&r->b, "<meta name=\"generator\" content=\"gapmap %s\">\n<title>", gm_version());
    sb_esc(&r->b, run);
    sb_puts(&r->b, ": day opportunities, coverage and gaps</title>\n<style>\n");
    sb_puts(&r->b, CSS);
    sb_puts(&r->b, "</style>\n</head>\n<body>\n");
    /* The hatch for withheld zones, shared by the map and its legend. */
    sb_puts(&r->b, "<svg width=\"0\" height=\"0\" style=\"position:absolute\" aria-hidden=\"true\"><defs>"
                   "<pattern id=\"gm-hatch\" width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\" "
                   "patternTransform=\"rotate(45)\"><rect width=\"8\" height=\"8\" fill=\"#e8e8e8\"/>"
                   "<rect width=\"3\" height=\"8\" fill=\"#9a9a9a\"/></pattern></defs></svg>\n");
    sb_puts(&r->b, "<header>\n<p class=\"kicker\">Adult social care day opportunities: coverage and gaps</p>\n<h1>");
    sb_esc(&r->b, run);
    sb_puts(&r->b, "</h1>\n<p class=\"lede\">Where customers live compared with the providers that suit them, where "
                   "the gaps are, how far people travel now, and what placing everyone afresh would change. Every "
                   "figure is from this run's shareable outputs; small numbers are withheld.</p>\n</header>\n");
    headline(r);
    if (r->nz && r->measure != M_NONE && make_frame(r)) {
        sb_puts(&r->b, "<section id=\"maps\"><h2>Maps</h2>\n");
        map_coverage(r);
        if (r->ng)
            map_gaps(r);
        sb_puts(&r->b, "</section>\n");
    }
    if (r->gaps.present)
        table_gaps(r);
    table_zones(r);
    table_providers(r);
    footer(r, run);
    sb_puts(&r->b, "</body>\n</html>\n");
    return r->b.oom ? gm__err(r->ctx, GM_E_NOMEM, "out of memory writing report.html") : GM_OK;
}

/* ---- reading summary.json and writing the file ------------------------------ */

static gm_status read_summary(report *r)
{
    char *path = gm__asprintf("%s/summary.json", r->dir);
    if (!path)
        return gm__err(r->ctx, GM_E_NOMEM, "out of memory writing report.html");
    gm_status st = GM_OK;
    char *text = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        st = gm__err(r->ctx, GM_E_NOT_FOUND, "%s: cannot open (%s); report.html is made from it", path,
                     strerror(errno));
        goto done;
    }
    size_t cap = 0, n = 0;
    for (;;) {
        if (!gm__grow((void **)&text, &cap, n + 65536 + 1, 1)) {
            st = gm__err(r->ctx, GM_E_NOMEM, "out of memory reading %s", path);
            goto done;
        }
        size_t got = fread(text + n, 1, 65536, f);
        n += got;
        if (got < 65536)
            break;
    }
    if (ferror(f)) {
        st = gm__err(r->ctx, GM_E_IO, "%s: read failed", path);
        goto done;
    }
    text[n] = '\0';
    if (!(r->sum = cJSON_Parse(text)) || !cJSON_IsObject(r->sum))
        st = gm__err(r->ctx, GM_E_INPUT, "%s: not a JSON object; rerun gapmap to write it again", path);
done:
    if (f)
        fclose(f);
    gm__free(text);
    gm__free(path);
    return st;
}

static gm_status write_file(report *r)
{
    char *path = gm__asprintf("%s/report.html", r->dir);
    char *tmp = gm__asprintf("%s/.report.html.tmp", r->dir);
    gm_status st = GM_OK;
    if (!path || !tmp) {
        st = gm__err(r->ctx, GM_E_NOMEM, "out of memory writing report.html");
        goto done;
    }
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        st = gm__err(r->ctx, GM_E_IO, "%s: cannot create (%s); check the output folder can be written", tmp,
                     strerror(errno));
        goto done;
    }
    size_t put = fwrite(r->b.p, 1, r->b.n, f);
    int rc = fclose(f);
    if (put != r->b.n || rc != 0 || rename(tmp, path) != 0) {
        st = gm__err(r->ctx, GM_E_IO, "%s: write failed (%s)", path, strerror(errno));
        remove(tmp);
    }
done:
    gm__free(path);
    gm__free(tmp);
    return st;
}

static void report_free(report *r)
{
    for (size_t i = 0; r->zs && i < r->nz; i++)
        if (r->zs[i])
            GEOSGeom_destroy_r(r->h, r->zs[i]);
    for (size_t i = 0; r->gs && i < r->ng; i++)
        if (r->gs[i])
            GEOSGeom_destroy_r(r->h, r->gs[i]);
    gm__free(r->zs);
    gm__free(r->gs);
    gm__free(r->zrow);
    gm__free(r->grow);
    gm__free(r->zidx);
    gm__polys_free(r->ctx, r->zp, r->nz);
    gm__polys_free(r->ctx, r->gp, r->ng);
    for (size_t i = 0; i < r->nsites; i++) {
        gm__free(r->sites[i].name);
        gm__free(r->sites[i].provider);
        gm__free(r->sites[i].status);
    }
    gm__free(r->sites);
    tab_free(&r->zones);
    tab_free(&r->gaps);
    tab_free(&r->spend);
    cJSON_Delete(r->sum);
    gm__free(r->b.p);
}

gm_status gm__report_write(gm_ctx *ctx, const char *dir, unsigned formats)
{
    if (!ctx || !dir)
        return gm__err(ctx, GM_E_ARG, "gm__report_write: missing argument");
    report r;
    memset(&r, 0, sizeof r);
    r.ctx = ctx;
    r.dir = dir;
    r.formats = formats;
    gm_status st;
    if (!(r.h = gm__geos(ctx))) {
        st = gm__err(ctx, GM_E_GEOMETRY, "cannot start GEOS for report.html");
        goto cleanup;
    }
    if ((st = read_summary(&r)) != GM_OK)
        goto cleanup;
    double sb = jnum(r.sum, "suppress_below");
    const char *how = jstr(r.sum, "suppression");
    r.nhs = how && !strcmp(how, "nhs");
    /* NHS Digital's convention withholds 1 to 7: "fewer than 8". */
    r.suppress_n = r.nhs ? 8 : isfinite(sb) && sb >= 1 ? lround(sb) : 1;
    r.gap_mode = jstr(r.sum, "coverage.gaps.judged_by");
    r.gap_min = jnum(r.sum, "coverage.gaps.threshold_minutes");
    if (!isfinite(r.gap_min))
        r.gap_mode = NULL;
    if ((st = tab_load(ctx, dir, "zones.csv", &r.zones)) != GM_OK ||
        (st = tab_load(ctx, dir, "gaps.csv", &r.gaps)) != GM_OK ||
        (st = tab_load(ctx, dir, "spend.csv", &r.spend)) != GM_OK)
        goto cleanup;
    pick_measure(&r);
    if ((st = read_polys(&r)) != GM_OK || (st = read_sites(&r)) != GM_OK)
        goto cleanup;
    if ((st = build_page(&r)) != GM_OK)
        goto cleanup;
    st = write_file(&r);
cleanup:
    report_free(&r);
    return st;
}
