/*
 * Rutland inputs for the real-data tests (see rutland.h).  The needs,
 * services and places are assigned by index from the small tables below, so
 * every run writes the same files; the tables are chosen so that every kind
 * of customer has some suitable sites and some unsuitable ones.
 */
#include "rutland.h"

#include <criterion/criterion.h>
#include <gdal.h>
#include <math.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <proj.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "io/table.h"
#include "testutil.h"

const char *const gmr_mode_names[GMR_NMODES] = {"car", "walk"};

typedef struct term {
    const char *text; /* as written to the CSV */
    uint32_t bits;
} term;

/* Customer i: needs i % 4, service (i / 4) % 5: 20 kinds, repeating every 20
 * customers. */
static const term CUST_NEEDS[] = {
    {"learning_disability", GMR_N_LEARNING_DISABILITY},
    {"dementia;older_people", GMR_N_DEMENTIA | GMR_N_OLDER_PEOPLE},
    {"physical", GMR_N_PHYSICAL},
    {"autism", GMR_N_AUTISM},
};
static const term CUST_SERVICES[] = {
    {"building_based", GMR_S_BUILDING_BASED},
    {"small_group", GMR_S_SMALL_GROUP},
    {"one_to_one", GMR_S_ONE_TO_ONE},
    {"skills_training", GMR_S_SKILLS_TRAINING},
    {"small_group;skills_training", GMR_S_SMALL_GROUP | GMR_S_SKILLS_TRAINING},
};

/* Site k: services k % 5, needs k % 4 (coprime: the first 20 sites are the 20
 * combinations), places 5 + 7k mod 26 (5..30). */
static const term SITE_SERVICES[] = {
    {"building_based;small_group", GMR_S_BUILDING_BASED | GMR_S_SMALL_GROUP},
    {"one_to_one", GMR_S_ONE_TO_ONE},
    {"building_based", GMR_S_BUILDING_BASED},
    {"skills_training;small_group", GMR_S_SKILLS_TRAINING | GMR_S_SMALL_GROUP},
    {"building_based;small_group;one_to_one;skills_training",
     GMR_S_BUILDING_BASED | GMR_S_SMALL_GROUP | GMR_S_ONE_TO_ONE | GMR_S_SKILLS_TRAINING},
};
static const term SITE_NEEDS[] = {
    {"all", GMR_N_ALL},
    {"learning_disability;autism", GMR_N_LEARNING_DISABILITY | GMR_N_AUTISM},
    {"dementia;older_people;physical", GMR_N_DEMENTIA | GMR_N_OLDER_PEOPLE | GMR_N_PHYSICAL},
    {"learning_disability;physical;sensory", GMR_N_LEARNING_DISABILITY | GMR_N_PHYSICAL | GMR_N_SENSORY},
};

#define NELEM(a) (sizeof(a) / sizeof *(a))

const char *gmr_shared_or_skip(const char *rel, char *buf, size_t size)
{
    const char *p = gmt_shared(rel);
    if (!p) {
        const char *base = getenv("GAPMAP_SHARED_DATA");
        cr_skip_test("real data not found: %s/%s (set GAPMAP_SHARED_DATA or fetch ../shared/data)",
                     base && *base ? base : GM_TEST_SHARED_DATA, rel);
    }
    snprintf(buf, size, "%s", p);
    return buf;
}

bool gmr_suits(const gmr_point *site, const gmr_point *cust)
{
    return (site->services & cust->services) != 0 && (cust->needs & ~site->needs) == 0;
}

gm__table *gmr_csv_open(gm_ctx *ctx, const char *path)
{
    gm__table *t = NULL;
    gm__table_opts o;
    gm__table_opts_init(&o);
    cr_assert_eq(gm__table_open(ctx, path, &o, &t), GM_OK, "%s: %s", path, gm_ctx_errmsg(ctx));
    return t;
}

size_t gmr_csv_col(const gm__table *t, const char *name, const char *path)
{
    int c = gm__table_find(t, name);
    cr_assert_geq(c, 0, "%s has no column %s", path, name);
    return (size_t)c;
}

/* A CSV field, quoted when it needs to be. */
static void put_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

void gmr_write_if_changed(const char *dir, const char *name, const char *text)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *old = gmt_slurp(path, NULL);
    bool same = old && !strcmp(old, text);
    free(old);
    if (!same)
        cr_assert_not_null(gmt_write(dir, name, text), "cannot write %s", path);
}

/* WGS84 lon/lat -> British National Grid with PROJ (whatever transformation
 * PROJ picks as best available, as any GIS would). */
typedef struct bng {
    PJ_CONTEXT *pc;
    PJ *pj;
} bng;

static void bng_open(bng *b)
{
    b->pc = proj_context_create();
    PJ *raw = proj_create_crs_to_crs(b->pc, "EPSG:4326", "EPSG:27700", NULL);
    cr_assert_not_null(raw, "PROJ cannot make EPSG:4326 -> EPSG:27700");
    b->pj = proj_normalize_for_visualization(b->pc, raw);
    proj_destroy(raw);
    cr_assert_not_null(b->pj);
}

static void bng_point(const bng *b, double lon, double lat, double *x, double *y)
{
    PJ_COORD r = proj_trans(b->pj, PJ_FWD, proj_coord(lon, lat, 0, 0));
    cr_assert(isfinite(r.xy.x) && isfinite(r.xy.y), "PROJ cannot transform %.6f %.6f", lon, lat);
    *x = r.xy.x;
    *y = r.xy.y;
}

static void bng_close(bng *b)
{
    proj_destroy(b->pj);
    proj_context_destroy(b->pc);
}

void gmr_make_inputs(gmr_inputs *in, const char *dir, size_t stride, size_t count)
{
    char pcfile[4096], provfile[4096];
    gmr_shared_or_skip(GMR_POSTCODES, pcfile, sizeof pcfile);
    gmr_shared_or_skip(GMR_PROVIDERS, provfile, sizeof provfile);
    cr_assert(stride > 0 && count > 0);
    memset(in, 0, sizeof *in);
    snprintf(in->dir, sizeof in->dir, "%s", dir);
    in->cust = calloc(count, sizeof *in->cust);
    cr_assert_not_null(in->cust);
    gm_ctx *ctx;
    cr_assert_eq(gm_ctx_new(&ctx), GM_OK);
    bng b;
    bng_open(&b);
    char *text = NULL;
    size_t len = 0;

    /* Sites: NHS Choices' lon/lat as given (coords_crs = EPSG:4326). */
    FILE *f = open_memstream(&text, &len);
    cr_assert_not_null(f);
    fputs("provider_id,provider_name,site_id,easting,northing,services,needs,places_per_day,"
          "framework_status\n", f);
    gm__table *t = gmr_csv_open(ctx, provfile);
    size_t cid = gmr_csv_col(t, "OrganisationID", provfile), cname = gmr_csv_col(t, "OrganisationName", provfile),
           plat = gmr_csv_col(t, "Latitude", provfile), plon = gmr_csv_col(t, "Longitude", provfile);
    bool eof;
    while (gm__table_next(t, &eof) == GM_OK && !eof) {
        cr_assert_lt(in->nsite, GMR_MAXSITES);
        size_t k = in->nsite++;
        gmr_point *s = &in->site[k];
        const char *lon = gm__table_get(t, plon), *lat = gm__table_get(t, plat);
        const term *sv = &SITE_SERVICES[k % NELEM(SITE_SERVICES)], *nd = &SITE_NEEDS[k % NELEM(SITE_NEEDS)];
        snprintf(s->id, sizeof s->id, "S%s", gm__table_get(t, cid));
        bng_point(&b, atof(lon), atof(lat), &s->x, &s->y);
        s->services = sv->bits;
        s->needs = nd->bits;
        s->places = 5 + (int)(k * 7 % 26);
        fprintf(f, "P%s,", gm__table_get(t, cid));
        put_field(f, gm__table_get(t, cname));
        fprintf(f, ",%s,%s,%s,", s->id, lon, lat);
        put_field(f, sv->text);
        fputc(',', f);
        put_field(f, nd->text);
        fprintf(f, ",%d,framework\n", s->places);
    }
    gm__table_close(t);
    cr_assert_eq(fclose(f), 0);
    cr_assert_gt(in->nsite, 10, "%s: too few providers", provfile);
    gmr_write_if_changed(dir, "providers.csv", text);
    free(text);

    /* Customers.  The same file's lon/lat columns check the PROJ transform
     * used for the sites above.  Two in three have a current placement (a
     * site by index, as a placement history would be: not always the
     * nearest or a suitable one) and a way of travelling. */
    f = open_memstream(&text, &len);
    cr_assert_not_null(f);
    fputs("customer_id,postcode,needs,service,current_site,transport\n", f);
    t = gmr_csv_open(ctx, pcfile);
    size_t cpc = gmr_csv_col(t, "postcode", pcfile), ce = gmr_csv_col(t, "easting", pcfile),
           cn = gmr_csv_col(t, "northing", pcfile), clon = gmr_csv_col(t, "lon", pcfile),
           clat = gmr_csv_col(t, "lat", pcfile);
    long row = 0;
    while (gm__table_next(t, &eof) == GM_OK && !eof) {
        double e = atof(gm__table_get(t, ce)), n = atof(gm__table_get(t, cn)), x, y;
        bng_point(&b, atof(gm__table_get(t, clon)), atof(gm__table_get(t, clat)), &x, &y);
        in->proj_worst_m = fmax(in->proj_worst_m, hypot(x - e, y - n));
        if ((size_t)row++ % stride != 0 || in->ncust == count)
            continue;
        size_t i = in->ncust++;
        gmr_point *c = &in->cust[i];
        const term *nd = &CUST_NEEDS[i % NELEM(CUST_NEEDS)], *sv = &CUST_SERVICES[i / 4 % NELEM(CUST_SERVICES)];
        snprintf(c->id, sizeof c->id, "C%04zu", i);
        c->x = e;
        c->y = n;
        c->needs = nd->bits;
        c->services = sv->bits;
        fprintf(f, "%s,%s,", c->id, gm__table_get(t, cpc));
        put_field(f, nd->text);
        fputc(',', f);
        put_field(f, sv->text);
        static const char *const transport[] = {"specialist", "independent", "travel_trained"};
        fprintf(f, ",%s,%s\n", i % 3 ? in->site[i * 7 % in->nsite].id : "", transport[i % 3]);
    }
    in->postcode_rows = row;
    gm__table_close(t);
    cr_assert_eq(fclose(f), 0);
    cr_assert_eq(in->ncust, count, "%s has only %ld rows: not %zu customers at every %zu-th", pcfile, row, count,
                 stride);
    gmr_write_if_changed(dir, "customers.csv", text);
    free(text);
    /* Code-Point's lon/lat were made from its grid references by another
     * tool; a few metres would mean a different datum shift, not a bug. */
    cr_assert_lt(in->proj_worst_m, 5.0, "PROJ puts Code-Point's lon/lat %.2f m from its easting/northing",
                 in->proj_worst_m);

    bng_close(&b);
    gm_ctx_free(ctx);
}

void gmr_inputs_free(gmr_inputs *in)
{
    free(in->cust);
    in->cust = NULL;
    in->ncust = 0;
}

static size_t find_id(const gmr_point *p, size_t n, const char *id, const char *path)
{
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(p[i].id, id))
            return i;
    }
    cr_assert_fail("%s names an unknown id %s", path, id);
    return 0;
}

gmr_matrix *gmr_matrix_read(const gmr_inputs *in, const char *path)
{
    gmr_matrix *m = calloc(1, sizeof *m);
    cr_assert_not_null(m);
    size_t n = in->ncust * in->nsite * GMR_NMODES;
    m->ncust = in->ncust;
    m->nsite = in->nsite;
    m->time_s = malloc(n * sizeof *m->time_s);
    m->dist_m = malloc(n * sizeof *m->dist_m);
    m->join_m = malloc(n * sizeof *m->join_m);
    cr_assert(m->time_s && m->dist_m && m->join_m);
    for (size_t k = 0; k < n; k++)
        m->time_s[k] = m->dist_m[k] = m->join_m[k] = NAN;
    gm_ctx *ctx;
    cr_assert_eq(gm_ctx_new(&ctx), GM_OK);
    gm__table *t = gmr_csv_open(ctx, path);
    size_t ci = gmr_csv_col(t, "customer_id", path), si = gmr_csv_col(t, "site_id", path),
           mi = gmr_csv_col(t, "mode", path), ti = gmr_csv_col(t, "time_s", path),
           di = gmr_csv_col(t, "dist_m", path), ji = gmr_csv_col(t, "customer_join_m", path);
    bool eof;
    size_t c = 0;
    while (gm__table_next(t, &eof) == GM_OK && !eof) {
        m->rows++;
        const char *cid = gm__table_get(t, ci);
        if (strcmp(in->cust[c].id, cid)) /* rows come customer by customer */
            c = find_id(in->cust, in->ncust, cid, path);
        size_t s = find_id(in->site, in->nsite, gm__table_get(t, si), path);
        const char *mode = gm__table_get(t, mi);
        int md = !strcmp(mode, "car") ? GMR_CAR : !strcmp(mode, "walk") ? GMR_WALK : -1;
        cr_assert_geq(md, 0, "%s: unexpected mode %s", path, mode);
        size_t k = gmr_mx(m, c, s, md);
        cr_assert(isnan(m->time_s[k]), "%s: %s -> %s (%s) appears twice", path, cid, in->site[s].id, mode);
        const char *tx = gm__table_get(t, ti), *jx = gm__table_get(t, ji);
        m->time_s[k] = tx[0] ? atof(tx) : INFINITY;
        if (tx[0])
            m->dist_m[k] = atof(gm__table_get(t, di));
        if (jx[0])
            m->join_m[k] = atof(jx);
    }
    gm__table_close(t);
    gm_ctx_free(ctx);
    /* Reconciled against the inputs written: every customer, site and mode is
     * a row (every postcode and every site is located). */
    cr_assert_eq(m->rows, (long)n, "%s: %ld rows, expected %zu x %zu x %d", path, m->rows, in->ncust, in->nsite,
                 GMR_NMODES);
    return m;
}

void gmr_matrix_free(gmr_matrix *m)
{
    if (!m)
        return;
    free(m->time_s);
    free(m->dist_m);
    free(m->join_m);
    free(m);
}

/* ---- layers ------------------------------------------------------------- */

static GDALDatasetH open_vector(const char *path)
{
    GDALAllRegister();
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    cr_assert_not_null(ds, "GDAL cannot open %s: %s", path, CPLGetLastErrorMsg());
    cr_assert_eq(GDALDatasetGetLayerCount(ds), 1, "%s: expected one layer", path);
    return ds;
}

gmr_feature *gmr_layer_read(GEOSContextHandle_t h, const char *path, const char *const *attr, size_t nattr,
                            int to_epsg, size_t *n)
{
    GDALDatasetH ds = open_vector(path);
    OGRLayerH ly = GDALDatasetGetLayer(ds, 0);
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(ly);
    int idx[16];
    cr_assert_leq(nattr, 16);
    for (size_t k = 0; k < nattr; k++) {
        idx[k] = OGR_FD_GetFieldIndex(defn, attr[k]);
        cr_assert_geq(idx[k], 0, "%s has no field %s", path, attr[k]);
    }
    OGRSpatialReferenceH to = NULL;
    if (to_epsg) {
        to = OSRNewSpatialReference(NULL);
        cr_assert_eq(OSRImportFromEPSG(to, to_epsg), OGRERR_NONE);
        OSRSetAxisMappingStrategy(to, OAMS_TRADITIONAL_GIS_ORDER);
    }
    size_t cap = (size_t)OGR_L_GetFeatureCount(ly, 1) + 1, count = 0;
    gmr_feature *out = calloc(cap, sizeof *out);
    cr_assert_not_null(out);
    GEOSWKBReader *rd = GEOSWKBReader_create_r(h);
    OGR_L_ResetReading(ly);
    for (OGRFeatureH f; (f = OGR_L_GetNextFeature(ly)) != NULL; OGR_F_Destroy(f)) {
        cr_assert_lt(count, cap, "%s: more features than it counted", path);
        gmr_feature *e = &out[count++];
        e->attr = calloc(nattr + 1, sizeof *e->attr);
        for (size_t k = 0; k < nattr; k++)
            e->attr[k] = strdup(OGR_F_IsFieldSetAndNotNull(f, idx[k]) ? OGR_F_GetFieldAsString(f, idx[k]) : "");
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        if (!g)
            continue;
        if (to)
            cr_assert_eq(OGR_G_TransformTo(g, to), OGRERR_NONE, "%s: cannot transform to EPSG:%d", path, to_epsg);
        size_t size = (size_t)OGR_G_WkbSize(g);
        unsigned char *wkb = malloc(size);
        cr_assert_not_null(wkb);
        OGR_G_ExportToIsoWkb(g, wkbNDR, wkb);
        e->geom = GEOSWKBReader_read_r(h, rd, wkb, size);
        free(wkb);
        cr_assert_not_null(e->geom, "%s: GEOS cannot read feature %zu", path, count);
    }
    GEOSWKBReader_destroy_r(h, rd);
    if (to)
        OSRDestroySpatialReference(to);
    GDALClose(ds);
    *n = count;
    return out;
}

void gmr_layer_free(GEOSContextHandle_t h, gmr_feature *f, size_t n, size_t nattr)
{
    for (size_t i = 0; f && i < n; i++) {
        for (size_t k = 0; k < nattr; k++)
            free(f[i].attr[k]);
        free(f[i].attr);
        if (f[i].geom)
            GEOSGeom_destroy_r(h, f[i].geom);
    }
    free(f);
}
