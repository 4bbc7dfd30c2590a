/*
 * Tabular input behind one row cursor (see table.h): CSV through csv.c, every
 * other format through an OGR layer.  Column names are copied at open; a row's
 * fields are either the CSV reader's slices or, for OGR, copied out of the
 * feature into one reusable buffer (OGR_F_GetFieldAsString's result for a
 * number lives only until the next call on that feature, and the contract is
 * "valid until the next gm__table_next"), after which the feature is freed.
 *
 * GDAL errors are caught with a pushed handler around every GDAL call and put
 * into the context's message; warnings go to the log.  Nothing is printed.
 */
#include "table.h"

#include "csv.h"
#include "gdalutil.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <gdal.h>
#include <limits.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>


struct gm__table {
    gm_ctx *ctx;
    char *path;
    char **names; /* trimmed copies; ncols of them */
    size_t ncols;

    gm__csv *csv; /* the CSV reader, or NULL for OGR */
    bool pending; /* headerless CSV: the first row was read at open and not yet returned */

    GDALDatasetH ds;
    OGRLayerH layer;
    gm__gdal_capture cap;
    char *row;    /* the current feature's fields, NUL-terminated, back to back */
    size_t row_cap;
    size_t *roff; /* field i starts at row + roff[i] */
    size_t roff_cap;
    size_t nrf;
    uint64_t feature_no, feature_total;
    bool has_point;
    double x, y;
    char *crs;
};

void gm__table_opts_init(gm__table_opts *opts)
{
    opts->has_header = true;
    opts->layer = NULL;
    opts->encoding = NULL;
}

static int ascii_lower(int ch)
{
    return (ch >= 'A' && ch <= 'Z') ? ch - 'A' + 'a' : ch;
}

static bool ends_with_ci(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    if (k > n)
        return false;
    for (size_t i = 0; i < k; i++)
        if (ascii_lower((unsigned char)s[n - k + i]) != ascii_lower((unsigned char)suffix[i]))
            return false;
    return true;
}

static bool is_space(char ch)
{
    return ch == ' ' || ch == '\t';
}

/* Copy of s[0..n) without surrounding spaces and tabs. */
static char *trimmed_dup(const char *s, size_t n)
{
    while (n && is_space(*s)) {
        s++;
        n--;
    }
    while (n && is_space(s[n - 1]))
        n--;
    return gm__strndup(s, n);
}

static gm_status alloc_names(gm__table *t, size_t n)
{
    t->names = gm__calloc(n ? n : 1, sizeof *t->names);
    if (!t->names)
        return gm__err(t->ctx, GM_E_NOMEM, "%s: out of memory reading the column names", t->path);
    t->ncols = n;
    return GM_OK;
}

static gm_status open_csv(gm__table *t, const gm__table_opts *opts, gm__csv_enc enc)
{
    gm__csv_opts co;
    gm__csv_opts_init(&co);
    co.enc = enc;
    if (ends_with_ci(t->path, ".tsv"))
        co.delim = '\t';
    gm_status st = gm__csv_open(t->ctx, t->path, &co, &t->csv);
    if (st != GM_OK)
        return st;

    /* The first non-blank record is the header (or, headerless, the first row). */
    bool eof = false;
    do {
        if ((st = gm__csv_next(t->csv, &eof)) != GM_OK)
            return st;
    } while (!eof && gm__csv_is_blank(t->csv));
    if (eof)
        return gm__err(t->ctx, GM_E_INPUT, "%s is empty (expected %s)", t->path,
                       opts->has_header ? "a header line with the column names" : "rows of data");

    size_t n = gm__csv_nfields(t->csv);
    if ((st = alloc_names(t, n)) != GM_OK)
        return st;
    for (size_t i = 0; i < n; i++) {
        if (opts->has_header)
            t->names[i] = trimmed_dup(gm__csv_field(t->csv, i), gm__csv_field_len(t->csv, i));
        else
            t->names[i] = gm__asprintf("%zu", i + 1);
        if (!t->names[i])
            return gm__err(t->ctx, GM_E_NOMEM, "%s: out of memory reading the column names",
                           t->path);
    }
    t->pending = !opts->has_header;
    gm__csv_set_colnames(t->csv, (const char *const *)t->names, n);
    return GM_OK;
}

static void capture_begin(gm__table *t)
{
    gm__gdal_begin(&t->cap, t->ctx, t->path);
}

static gm_status layer_crs(gm__table *t)
{
    return gm__gdal_layer_crs(t->ctx, t->layer, NULL, &t->crs);
}

/* The layers of a data set as "a, b, c" for a message (truncated to fit). */

static gm_status open_ogr(gm__table *t, const gm__table_opts *opts, gm__csv_enc enc)
{
    gm_status st = GM_OK;
    GDALAllRegister(); /* idempotent; cheap next to opening a file */

    /* GDAL's virtual paths (/vsizip/...) are left for GDALOpenEx to judge:
     * VSIStatL's buffer is a struct stat64, which strict C11 does not declare. */
    struct stat sb;
    if (strncmp(t->path, "/vsi", 4) != 0 && stat(t->path, &sb) != 0)
        return gm__err(t->ctx, GM_E_NOT_FOUND,
                       "%s: file not found (check the path in the config; paths are relative to "
                       "the config file)",
                       t->path);

    /* Only the shapefile driver takes an encoding; other OGR formats are UTF-8
     * by definition (GeoJSON, GeoPackage) or say what they are. */
    static const char *const cp1252_oo[] = {"ENCODING=CP1252", NULL};
    bool shp = ends_with_ci(t->path, ".shp") || ends_with_ci(t->path, ".dbf");
    const char *const *oo = (shp && enc == GM__ENC_CP1252) ? cp1252_oo : NULL;

    capture_begin(t);
    t->ds = GDALOpenEx(t->path, GDAL_OF_VECTOR, NULL, oo, NULL);
    if (!t->ds) {
        st = gm__err(t->ctx, GM_E_INPUT, "%s: not a table or vector file GDAL can read (%s)",
                     t->path, t->cap.msg[0] ? t->cap.msg : "no driver recognises it");
        goto cleanup;
    }
    if (opts->layer) {
        t->layer = GDALDatasetGetLayerByName(t->ds, opts->layer);
        if (!t->layer) {
            char names[512];
            gm__gdal_layer_list(t->ds, names, sizeof names);
            st = gm__err(t->ctx, GM_E_INPUT, "%s: no layer named '%s' (it has: %s)", t->path,
                         opts->layer, names[0] ? names : "no layers");
            goto cleanup;
        }
    } else {
        t->layer = GDALDatasetGetLayer(t->ds, 0);
        if (!t->layer) {
            st = gm__err(t->ctx, GM_E_INPUT, "%s: has no layers (is it empty?)", t->path);
            goto cleanup;
        }
    }

    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(t->layer);
    int n = OGR_FD_GetFieldCount(defn);
    if ((st = alloc_names(t, (size_t)(n > 0 ? n : 0))) != GM_OK)
        goto cleanup;
    for (size_t i = 0; i < t->ncols; i++) {
        const char *name = OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, (int)i));
        t->names[i] = trimmed_dup(name ? name : "", name ? strlen(name) : 0);
        if (!t->names[i]) {
            st = gm__err(t->ctx, GM_E_NOMEM, "%s: out of memory reading the column names",
                         t->path);
            goto cleanup;
        }
    }
    if ((st = layer_crs(t)) != GM_OK)
        goto cleanup;
    GIntBig count = OGR_L_GetFeatureCount(t->layer, FALSE);
    t->feature_total = count > 0 ? (uint64_t)count : 0;
    OGR_L_ResetReading(t->layer);

cleanup:
    gm__gdal_end();
    return st;
}

gm_status gm__table_open(gm_ctx *ctx, const char *path, const gm__table_opts *opts, gm__table **out)
{
    gm__table_opts defaults;
    if (!opts) {
        gm__table_opts_init(&defaults);
        opts = &defaults;
    }
    gm__csv_enc enc;
    if (!gm__csv_parse_encoding(opts->encoding, &enc))
        return gm__err(ctx, GM_E_CONFIG,
                       "%s: encoding '%s' is not supported (use UTF-8, or CP1252 for files "
                       "saved by Excel on Windows)",
                       path, opts->encoding);

    gm_status st = GM_OK;
    gm__table *t = gm__calloc(1, sizeof *t);
    if (!t)
        return gm__err(ctx, GM_E_NOMEM, "%s: out of memory opening the file", path);
    t->ctx = ctx;
    t->cap.ctx = ctx;
    t->path = gm__strdup(path);
    if (!t->path) {
        st = gm__err(ctx, GM_E_NOMEM, "%s: out of memory opening the file", path);
        goto cleanup;
    }
    t->cap.path = t->path;

    if (ends_with_ci(path, ".csv") || ends_with_ci(path, ".txt") || ends_with_ci(path, ".tsv"))
        st = open_csv(t, opts, enc);
    else
        st = open_ogr(t, opts, enc);
    if (st != GM_OK)
        goto cleanup;
    *out = t;
    t = NULL;

cleanup:
    gm__table_close(t);
    return st;
}

void gm__table_close(gm__table *t)
{
    if (!t)
        return;
    gm__csv_close(t->csv);
    if (t->ds) {
        capture_begin(t);
        GDALClose(t->ds);
        gm__gdal_end();
    }
    for (size_t i = 0; t->names && i < t->ncols; i++)
        gm__free(t->names[i]);
    gm__free(t->names);
    gm__free(t->row);
    gm__free(t->roff);
    gm__free(t->crs);
    gm__free(t->path);
    gm__free(t);
}

size_t gm__table_ncols(const gm__table *t)
{
    return t->ncols;
}

const char *gm__table_colname(const gm__table *t, size_t col)
{
    return col < t->ncols ? t->names[col] : NULL;
}

int gm__table_find(const gm__table *t, const char *name)
{
    while (is_space(*name))
        name++;
    size_t n = strlen(name);
    while (n && is_space(name[n - 1]))
        n--;
    for (size_t i = 0; i < t->ncols && i <= (size_t)INT_MAX; i++) {
        const unsigned char *c = (const unsigned char *)t->names[i];
        const unsigned char *s = (const unsigned char *)name;
        size_t k = 0;
        while (k < n && c[k] && ascii_lower(c[k]) == ascii_lower(s[k]))
            k++;
        if (k == n && c[k] == '\0')
            return (int)i;
    }
    return -1;
}

/* Copy the feature's fields into row/roff; false on allocation failure. */
static bool copy_fields(gm__table *t, OGRFeatureH f, bool *all_empty)
{
    int n = OGR_F_GetFieldCount(f);
    size_t nf = n > 0 ? (size_t)n : 0;
    size_t used = 0;
    *all_empty = true;
    if (!gm__grow((void **)&t->roff, &t->roff_cap, nf + 1, sizeof *t->roff))
        return false;
    for (size_t i = 0; i < nf; i++) {
        const char *s = OGR_F_IsFieldSetAndNotNull(f, (int)i) ? OGR_F_GetFieldAsString(f, (int)i)
                                                               : "";
        size_t len = strlen(s);
        if (!gm__grow((void **)&t->row, &t->row_cap, used + len + 1, 1))
            return false;
        memcpy(t->row + used, s, len + 1);
        t->roff[i] = used;
        used += len + 1;
        if (len)
            *all_empty = false;
    }
    t->nrf = nf;
    return true;
}

static gm_status next_ogr(gm__table *t, bool *eof)
{
    gm_status st = GM_OK;
    OGRFeatureH f = NULL;
    capture_begin(t);
    for (;;) {
        t->nrf = 0;
        t->has_point = false;
        f = OGR_L_GetNextFeature(t->layer);
        if (!f) {
            if (t->cap.failed)
                st = gm__err(t->ctx, GM_E_INPUT, "%s feature %llu: cannot be read (%s)", t->path,
                             (unsigned long long)(t->feature_no + 1), t->cap.msg);
            else
                *eof = true;
            goto cleanup;
        }
        t->feature_no++;
        bool all_empty;
        if (!copy_fields(t, f, &all_empty)) {
            t->nrf = 0;
            st = gm__err(t->ctx, GM_E_NOMEM, "%s feature %llu: out of memory", t->path,
                         (unsigned long long)t->feature_no);
            goto cleanup;
        }
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        if (g && wkbFlatten(OGR_G_GetGeometryType(g)) == wkbPoint && !OGR_G_IsEmpty(g)) {
            t->has_point = true;
            t->x = OGR_G_GetX(g, 0);
            t->y = OGR_G_GetY(g, 0);
        }
        OGR_F_Destroy(f);
        f = NULL;
        /* A feature with only a geometry is a real row; one with neither
         * attributes nor geometry is the OGR form of a blank line. */
        if (!all_empty || g) {
            *eof = false;
            goto cleanup;
        }
    }

cleanup:
    if (f)
        OGR_F_Destroy(f);
    gm__gdal_end();
    return st;
}

gm_status gm__table_next(gm__table *t, bool *eof)
{
    if (!t->csv)
        return next_ogr(t, eof);
    if (t->pending) {
        t->pending = false;
        *eof = false;
        return GM_OK;
    }
    for (;;) {
        bool end;
        gm_status st = gm__csv_next(t->csv, &end);
        if (st != GM_OK)
            return st;
        if (end || !gm__csv_is_blank(t->csv)) {
            *eof = end;
            return GM_OK;
        }
    }
}

size_t gm__table_nfields(const gm__table *t)
{
    return t->csv ? gm__csv_nfields(t->csv) : t->nrf;
}

const char *gm__table_get(const gm__table *t, size_t col)
{
    if (t->csv)
        return gm__csv_field(t->csv, col);
    return col < t->nrf ? t->row + t->roff[col] : "";
}

uint64_t gm__table_rowref(const gm__table *t)
{
    return t->csv ? gm__csv_line(t->csv) : t->feature_no;
}

const char *gm__table_rowword(const gm__table *t)
{
    return t->csv ? "line" : "feature";
}

bool gm__table_point(const gm__table *t, double *x, double *y)
{
    if (!t->has_point)
        return false;
    *x = t->x;
    *y = t->y;
    return true;
}

const char *gm__table_crs(const gm__table *t)
{
    return t->crs;
}

uint64_t gm__table_progress_done(const gm__table *t)
{
    return t->csv ? gm__csv_bytes_done(t->csv) : t->feature_no;
}

uint64_t gm__table_progress_total(const gm__table *t)
{
    return t->csv ? gm__csv_bytes_total(t->csv) : t->feature_total;
}
