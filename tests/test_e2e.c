/*
 * End to end: the gapmap binary on the sample county (geodata/), outputs read
 * back with GDAL and checked against facts worked out independently of the
 * code under test: row counts of the input files, the generator's own list of
 * deliberately bad rows (geodata/expected.json), coordinates from the postcode
 * directory file itself.
 */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <math.h>
#include <criterion/criterion.h>
#include <gdal.h>
#include <ogr_srs_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "io/table.h"
#include "testutil.h"

static char outdir[4096];

static int run_gapmap(const char *args, const char *out)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "'%s' run '%s' --quiet --output '%s' %s >'%s.log' 2>&1", GM_TEST_GAPMAP_EXE,
             gmt_src("geodata/examplshire.ini"), out, args, out);
    return gmt_system(cmd);
}

static double jnum(const cJSON *o, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    const cJSON *cur = o;
    for (char *save = NULL, *k = strtok_r(buf, ".", &save); k; k = strtok_r(NULL, ".", &save))
        cur = cJSON_GetObjectItemCaseSensitive(cur, k);
    cr_assert(cJSON_IsNumber(cur), "no number at %s", path);
    return cur->valuedouble;
}

/* Open a CSV with gapmap's reader; close_csv frees both. */
static gm__table *open_csv(const char *path, gm_ctx **ctx)
{
    gm_ctx_new(ctx);
    gm__table *t = NULL;
    gm__table_opts o;
    gm__table_opts_init(&o);
    cr_assert_eq(gm__table_open(*ctx, path, &o, &t), GM_OK, "%s: %s", path, gm_ctx_errmsg(*ctx));
    return t;
}

static void close_csv(gm__table *t, gm_ctx *ctx)
{
    gm__table_close(t);
    gm_ctx_free(ctx);
}

/* Count data rows of a CSV with gapmap's reader (header excluded). */
static long csv_rows(const char *path)
{
    gm_ctx *ctx;
    gm__table *t = open_csv(path, &ctx);
    long n = 0;
    bool eof = false;
    while (gm__table_next(t, &eof) == GM_OK && !eof)
        n++;
    close_csv(t, ctx);
    return n;
}

static void setup(void)
{
    GDALAllRegister();
    const char *o = gmt_sample_run(GM_TEST_GAPMAP_EXE);
    cr_assert_not_null(o, "gapmap run on the sample failed (log above)");
    snprintf(outdir, sizeof outdir, "%s", o);
}

static const char *out(const char *name)
{
    return gmt_out(outdir, name);
}

Test(e2e, counts_reconcile_with_the_input_files, .init = setup, .timeout = 300)
{
    cJSON *m = gmt_read_json(out("manifest.json"));
    long cust_rows = csv_rows(gmt_src("geodata/customers.csv"));
    long site_rows = csv_rows(gmt_src("geodata/providers.csv"));
    long pc_rows = csv_rows(gmt_src("geodata/onspd_examplshire.csv"));
    cr_assert_eq((long)jnum(m, "counts.customers.rows"), cust_rows);
    cr_assert_eq((long)jnum(m, "counts.sites.rows"), site_rows);
    cr_assert_eq((long)jnum(m, "counts.postcode_directory.rows"), pc_rows);
    cr_assert_eq(jnum(m, "counts.customers.rows"),
                 jnum(m, "counts.customers.located") + jnum(m, "counts.customers.rejected"));
    cr_assert_eq(jnum(m, "counts.sites.rows"), jnum(m, "counts.sites.located") + jnum(m, "counts.sites.rejected"));

    /* Layers hold exactly the located rows, in both formats. */
    char epsg[16];
    cr_assert_eq(gmt_layer_count(out("customers.geojson"), epsg), (long)jnum(m, "counts.customers.located"));
    cr_assert_str_eq(epsg, "4326");
    cr_assert_eq(gmt_layer_count(out("customers.shp"), epsg), (long)jnum(m, "counts.customers.located"));
    cr_assert_str_eq(epsg, "27700");
    cr_assert_eq(gmt_layer_count(out("providers.geojson"), epsg), (long)jnum(m, "counts.sites.located"));
    cr_assert_eq(gmt_layer_count(out("providers.shp"), epsg), (long)jnum(m, "counts.sites.located"));

    /* rejects.csv lists every rejected row once (plus warnings and directory skips). */
    long rejected_rows = (long)jnum(m, "counts.rejects_csv.rejected_rows");
    long dir_skips = (long)(jnum(m, "counts.postcode_directory.rows") - jnum(m, "counts.postcode_directory.loaded"));
    cr_assert_eq(rejected_rows, (long)(jnum(m, "counts.customers.rejected") + jnum(m, "counts.sites.rejected")) + dir_skips);
    cr_assert_eq(csv_rows(out("rejects.csv")), rejected_rows + (long)jnum(m, "counts.rejects_csv.warning_rows"));

    /* The generator's own account of its bad rows. */
    cJSON *e = gmt_read_json(gmt_src("geodata/expected.json"));
    const cJSON *cr = cJSON_GetObjectItem(e, "customers_rejected");
    if (cr && cJSON_IsObject(cr)) {
        long total = 0;
        for (const cJSON *it = cr->child; it; it = it->next)
            total += (long)it->valuedouble;
        cr_assert_eq(total, (long)jnum(m, "counts.customers.rejected"),
                     "expected.json lists %ld rejected customers, the run rejected %.0f", total,
                     jnum(m, "counts.customers.rejected"));
    }
    cJSON_Delete(e);
    cJSON_Delete(m);
}

/* Whether needle occurs in the n bytes at hay (which may hold NULs). */
static bool has_bytes(const char *hay, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; k <= n && i <= n - k; i++)
        if (hay[i] == needle[0] && !memcmp(hay + i, needle, k))
            return true;
    return false;
}

Test(e2e, no_output_contains_a_customer_name, .init = setup, .timeout = 300)
{
    gm_ctx *ctx;
    gm__table *t = open_csv(gmt_src("geodata/customers.csv"), &ctx);
    int col = gm__table_find(t, "name");
    cr_assert_geq(col, 0, "the sample customers file should carry a name column to test this");
    static const char *files[] = {"customers.geojson", "customers.dbf", "providers.geojson",
                                  "providers.dbf", "rejects.csv", "manifest.json"};
    char *texts[6];
    for (int i = 0; i < 6; i++)
        cr_assert_not_null(texts[i] = gmt_slurp(out(files[i]), NULL), "%s", files[i]);
    bool eof;
    long names = 0;
    while (gm__table_next(t, &eof) == GM_OK && !eof) {
        const char *name = gm__table_get(t, (size_t)col);
        if (strlen(name) < 4)
            continue;
        names++;
        for (int i = 0; i < 6; i++)
            cr_assert_null(strstr(texts[i], name), "%s contains the name '%s'", files[i], name);
    }
    cr_assert_gt(names, 100);
    for (int i = 0; i < 6; i++)
        free(texts[i]);
    close_csv(t, ctx);

    /* The GeoPackages are binary (SQLite pages): search their bytes. */
    static const char *const gpkgs[] = {"shareable/gapmap.gpkg", "restricted/gapmap.gpkg"};
    for (int g = 0; g < 2; g++) {
        size_t n = 0;
        char *gp = gmt_slurp(gmt_path(outdir, gpkgs[g]), &n);
        cr_assert_not_null(gp, "%s", gpkgs[g]);
        gm__table *t2 = open_csv(gmt_src("geodata/customers.csv"), &ctx);
        long checked = 0;
        while (gm__table_next(t2, &eof) == GM_OK && !eof) {
            const char *name = gm__table_get(t2, (size_t)col);
            if (strlen(name) < 4)
                continue;
            checked++;
            cr_assert_not(has_bytes(gp, n, name), "%s contains the name '%s'", gpkgs[g], name);
        }
        cr_assert_eq(checked, names);
        /* the search itself finds what is there */
        cr_assert(has_bytes(gp, n, g ? "customer_id" : "site_id"), "the search finds a field name");
        close_csv(t2, ctx);
        free(gp);
    }
}

/* Every layer the run wrote as GeoJSON is a table of the GeoPackage in the
 * same folder with the same features, in British National Grid; the small
 * CSV-only tables are there without geometry; each file is a GeoPackage by
 * its own header. */
static void check_gpkg(const char *folder, int want_layers, const char *const *tables, int ntables)
{
    char dir[4200], gpkg[4300];
    snprintf(dir, sizeof dir, "%s/%s", outdir, folder);
    snprintf(gpkg, sizeof gpkg, "%s/gapmap.gpkg", dir);
    size_t n = 0;
    unsigned char *head = (unsigned char *)gmt_slurp(gpkg, &n);
    cr_assert(head && n > 100, "no gapmap.gpkg in %s", dir);
    cr_assert(!memcmp(head, "SQLite format 3", 16));
    cr_assert(!memcmp(head + 68, "GPKG", 4), "application id (GeoPackage requirement 2)");
    free(head);

    const char *const drivers[] = {"GPKG", NULL};
    GDALDatasetH ds = GDALOpenEx(gpkg, GDAL_OF_VECTOR | GDAL_OF_READONLY, drivers, NULL, NULL);
    cr_assert_not_null(ds, "GDAL cannot open %s: %s", gpkg, CPLGetLastErrorMsg());

    /* The layers are whatever .geojson files the run wrote there. */
    DIR *d = opendir(dir);
    cr_assert_not_null(d);
    int nlayers = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (len <= 8 || strcmp(e->d_name + len - 8, ".geojson"))
            continue;
        char name[256], epsg[16];
        snprintf(name, sizeof name, "%.*s", (int)(len - 8), e->d_name);
        long want = gmt_layer_count(gmt_path(dir, e->d_name), epsg);
        OGRLayerH l = GDALDatasetGetLayerByName(ds, name);
        cr_assert_not_null(l, "%s has no table %s", gpkg, name);
        cr_assert_eq((long)OGR_L_GetFeatureCount(l, 1), want, "%s: %ld features in the GeoJSON, %ld in the GeoPackage",
                     name, want, (long)OGR_L_GetFeatureCount(l, 1));
        OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(l);
        cr_assert(srs && OSRGetAuthorityCode(srs, NULL) && !strcmp(OSRGetAuthorityCode(srs, NULL), "27700"),
                  "%s: not EPSG:27700", name);
        const char *desc = GDALGetMetadataItem((GDALMajorObjectH)l, "DESCRIPTION", NULL);
        cr_assert(desc && strlen(desc) > 10, "%s has no description", name);
        nlayers++;
    }
    closedir(d);
    cr_assert_eq(nlayers, want_layers, "%s: %d layers", folder, nlayers);
    for (int k = 0; k < ntables; k++) {
        OGRLayerH l = GDALDatasetGetLayerByName(ds, tables[k]);
        cr_assert_not_null(l, "%s has no table %s", gpkg, tables[k]);
        cr_assert_eq(OGR_L_GetGeomType(l), wkbNone);
        char csv[64];
        snprintf(csv, sizeof csv, "%s.csv", tables[k]);
        gmt_csv c = gmt_csv_in(dir, csv);
        cr_assert_eq((long)OGR_L_GetFeatureCount(l, 1), (long)c.nrows, "%s", tables[k]);
        gmt_csv_free(&c);
    }
    cr_assert_eq(GDALDatasetGetLayerCount(ds), nlayers + ntables, "no other table");
    GDALClose(ds);

    /* The manifest lists it with its size, and records the format. */
    cJSON *m = gmt_read_json(out("manifest.json"));
    const cJSON *o, *found = NULL;
    char rel[64];
    snprintf(rel, sizeof rel, "%s/gapmap.gpkg", folder);
    cJSON_ArrayForEach(o, cJSON_GetObjectItem(m, "outputs"))
        if (!strcmp(cJSON_GetObjectItem(o, "path")->valuestring, rel))
            found = o;
    cr_assert_not_null(found, "manifest.json does not list %s", rel);
    struct stat sb;
    cr_assert_eq(stat(gpkg, &sb), 0);
    cr_assert_eq((long long)cJSON_GetObjectItem(found, "bytes")->valuedouble, (long long)sb.st_size);
    const cJSON *fm = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(m, "settings"), "run"), "formats");
    bool gp = false;
    cJSON_ArrayForEach(o, fm)
        gp |= !strcmp(o->valuestring, "gpkg");
    cr_assert(gp, "settings.run.formats lacks gpkg");
    cJSON_Delete(m);
}

Test(e2e, each_geopackage_holds_its_folders_layers_with_their_geojson_counts, .init = setup, .timeout = 300)
{
    /* providers, 5 coverage layers and the boundary; journeys and spend summaries */
    static const char *const share[] = {"journeys_summary", "spend"};
    check_gpkg("shareable", 7, share, 2);
    /* customers, journeys, ranking; the assignment */
    static const char *const restr[] = {"assignment"};
    check_gpkg("restricted", 3, restr, 1);
}

/* The output folder in two halves (DESIGN.md): shareable/ holds aggregates and
 * nothing about one customer; restricted/ holds every file with a row per
 * customer, owner-only, and stays so when a rerun finds it opened up. */
Test(e2e, outputs_are_split_into_shareable_and_restricted, .init = setup, .timeout = 300)
{
    cr_assert_str_eq(gmt_listing(outdir), "gapmap.qgs manifest.json restricted shareable");
    static const char *const personal[] = {
        "customers.geojson", "customers.shp", "customers.dbf", "journeys.geojson", "journeys.csv",
        "journeys_review.csv", "ranking.geojson", "ranking.csv", "eligibility.csv", "assignment.csv",
        "matrix.csv", "nearest.csv", "rejects.csv", "gapmap.gpkg"};
    char restr[4200];
    snprintf(restr, sizeof restr, "%s/restricted", outdir);
    struct stat sb;
    cr_assert_eq(stat(restr, &sb), 0);
    cr_assert_eq(sb.st_mode & 07777, 0700, "restricted/ is %o, not owner-only", sb.st_mode & 07777);
    for (size_t k = 0; k < sizeof personal / sizeof *personal; k++) {
        cr_assert_eq(stat(gmt_path(restr, personal[k]), &sb), 0, "no restricted/%s", personal[k]);
        cr_assert_eq(sb.st_mode & 07777, 0600, "restricted/%s is %o", personal[k], sb.st_mode & 07777);
    }
    /* Every file in restricted/ is owner-only; no shareable text names a
     * customer id or carries a customer's postcode column. */
    cJSON *m = gmt_read_json(out("manifest.json"));
    const cJSON *o;
    int nshare = 0, nrestr = 0;
    cJSON_ArrayForEach(o, cJSON_GetObjectItem(m, "outputs")) {
        const char *rel = cJSON_GetObjectItem(o, "path")->valuestring;
        cr_assert_eq(stat(gmt_path(outdir, rel), &sb), 0, "%s", rel);
        if (!strncmp(rel, "restricted/", 11)) {
            nrestr++;
            cr_assert_eq(sb.st_mode & 07777, 0600, "%s is %o", rel, sb.st_mode & 07777);
            continue;
        }
        if (strncmp(rel, "shareable/", 10)) {
            cr_assert_str_eq(rel, "gapmap.qgs", "only the project sits beside the two folders");
            continue;
        }
        nshare++;
        size_t len = strlen(rel);
        bool text = len > 4 && (!strcmp(rel + len - 4, ".csv") || !strcmp(rel + len - 4, ".qgs") ||
                                !strcmp(rel + len - 5, ".json") || !strcmp(rel + len - 8, ".geojson"));
        if (!text)
            continue;
        char *body = gmt_slurp(gmt_path(outdir, rel), NULL);
        cr_assert_null(strstr(body, "customer_id"), "%s names customers", rel);
        cr_assert_null(strstr(body, "restricted/"), "%s points into restricted/", rel);
        free(body);
    }
    cr_assert_geq(nshare, 40);
    cr_assert_geq(nrestr, 30);
    cJSON_Delete(m);
    /* the project in the output folder opens both halves */
    char *qgs = gmt_slurp(out("gapmap.qgs"), NULL);
    cr_assert(strstr(qgs, "./restricted/customers.geojson") && strstr(qgs, "./shareable/zones.geojson"));
    free(qgs);

    /* A copy or an earlier tool left restricted/ open: the next run closes it. */
    char second[4200], cmd[9000];
    snprintf(second, sizeof second, "%s-open", outdir);
    snprintf(cmd, sizeof cmd,
             "rm -rf '%s' && cp -r '%s' '%s' && chmod -R go+rX '%s/restricted' && "
             "cp '%s/restricted/matrix.csv' '%s/matrix.csv'",
             second, outdir, second, second, second, second);
    cr_assert_eq(gmt_system(cmd), 0);
    cr_assert_eq(run_gapmap("", second), 0);
    /* ... and warns of personal data an older gapmap left beside the folders */
    char logp[4300];
    snprintf(logp, sizeof logp, "%s.log", second);
    char *log = gmt_slurp(logp, NULL);
    cr_assert(log && strstr(log, "matrix.csv") && strstr(log, "older gapmap"), "%s", log ? log : "(no log)");
    free(log);
    cr_assert_eq(stat(gmt_path(second, "restricted"), &sb), 0);
    cr_assert_eq(sb.st_mode & 07777, 0700);
    cr_assert_eq(stat(gmt_path(second, "restricted/matrix.csv"), &sb), 0);
    cr_assert_eq(sb.st_mode & 07777, 0600);
}

Test(e2e, a_customer_point_is_its_postcode_centroid, .init = setup, .timeout = 300)
{
    /* Take the first customer feature, find its postcode in the directory file
     * with a plain scan, and compare coordinates in the shapefile (27700). */
    GDALDatasetH ds = GDALOpenEx(out("customers.shp"), GDAL_OF_VECTOR, NULL, NULL, NULL);
    cr_assert_not_null(ds);
    OGRLayerH lyr = GDALDatasetGetLayer(ds, 0);
    OGRFeatureH f = OGR_L_GetNextFeature(lyr);
    cr_assert_not_null(f);
    const char *pc = OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, "postcode"));
    OGRGeometryH g = OGR_F_GetGeometryRef(f);
    double x = OGR_G_GetX(g, 0), y = OGR_G_GetY(g, 0);
    char *dirtext = gmt_slurp(gmt_src("geodata/onspd_examplshire.csv"), NULL);
    char key[32];
    snprintf(key, sizeof key, ",%s,", pc); /* pcds column, between commas */
    char *hit = strstr(dirtext, key);
    cr_assert_not_null(hit, "postcode %s not found in the directory file", pc);
    char *line = hit;
    while (line > dirtext && line[-1] != '\n')
        line--;
    /* columns: pcd,pcd2,pcds,dointr,doterm,usertype,oseast1m,osnrth1m,... */
    char *fields[8];
    char *copy = strndup(line, (size_t)(strchr(line, '\n') - line));
    int n = 0;
    for (char *p = copy; n < 8; n++) {
        fields[n] = p;
        char *comma = strchr(p, ',');
        if (!comma)
            break;
        *comma = '\0';
        p = comma + 1;
    }
    cr_assert_float_eq(x, atof(fields[6]), 0.01, "easting of %s", pc);
    cr_assert_float_eq(y, atof(fields[7]), 0.01, "northing of %s", pc);
    free(copy);
    free(dirtext);
    OGR_F_Destroy(f);
    GDALClose(ds);
}

/* manifest.json without its "timings" (measured, so never the same twice). */
static char *manifest_less_timings(const char *dir)
{
    cJSON *m = gmt_read_json(gmt_path(dir, "manifest.json"));
    cr_assert(cJSON_IsObject(cJSON_GetObjectItem(m, "timings")), "%s: manifest.json has no timings", dir);
    cJSON_DeleteItemFromObject(m, "timings");
    char *text = cJSON_Print(m);
    cJSON_Delete(m);
    return text;
}

Test(e2e, a_second_run_is_byte_identical, .init = setup, .timeout = 300)
{
    char second[4200];
    snprintf(second, sizeof second, "%s2", outdir);
    char rm[4300];
    snprintf(rm, sizeof rm, "rm -rf '%s'", second);
    cr_assert_eq(gmt_system(rm), 0);
    cr_assert_eq(run_gapmap("", second), 0);
    char cmd[9000];
    snprintf(cmd, sizeof cmd, "diff -r -x manifest.json '%s' '%s' >/dev/null", outdir, second);
    cr_assert_eq(gmt_system(cmd), 0, "outputs differ between two runs of the same job");
    char *a = manifest_less_timings(outdir), *b = manifest_less_timings(second);
    cr_assert_str_eq(a, b, "manifest.json differs beyond its timings");
    free(a);
    free(b);
}

/* Each stage's timing and what it made: counts agree with the rest of the
 * manifest, the times are real and add up. */
Test(e2e, the_manifest_times_every_stage, .init = setup, .timeout = 300)
{
    cJSON *m = gmt_read_json(out("manifest.json"));
    const cJSON *t = cJSON_GetObjectItem(m, "timings");
    static const char *const want[] = {"postcodes", "inputs", "travel", "coverage", "journeys", "ranking", "outputs"};
    const cJSON *s;
    size_t k = 0;
    double wall = 0;
    cJSON_ArrayForEach(s, cJSON_GetObjectItem(t, "stages")) {
        cr_assert_lt(k, 7);
        cr_assert_str_eq(cJSON_GetObjectItem(s, "stage")->valuestring, want[k]);
        double w = cJSON_GetObjectItem(s, "wall_s")->valuedouble, c = cJSON_GetObjectItem(s, "cpu_s")->valuedouble;
        cr_assert(w >= 0 && c >= 0 && cJSON_GetObjectItem(s, "peak_rss_mb")->valuedouble > 1, "%s", want[k]);
        cr_assert(strlen(cJSON_GetObjectItem(s, "items_are")->valuestring) > 3);
        wall += w;
        k++;
    }
    cr_assert_eq(k, 7);
    cr_assert_float_eq(cJSON_GetObjectItem(t, "wall_s")->valuedouble, wall, 0.01);
    cr_assert_gt(wall, 0.5, "the sample run takes seconds, not nothing");
    const cJSON *st = cJSON_GetObjectItem(t, "stages");
    cr_assert_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(st, 0), "items")->valuedouble,
                 jnum(m, "counts.postcode_directory.loaded"));
    cr_assert_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(st, 1), "items")->valuedouble,
                 jnum(m, "counts.customers.rows") + jnum(m, "counts.sites.rows"));
    cr_assert_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(st, 6), "items")->valuedouble,
                 (double)cJSON_GetArraySize(cJSON_GetObjectItem(m, "outputs")));
    cJSON_Delete(m);
}

Test(e2e, cli_usage_and_bad_input_exit_codes, .timeout = 60)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "'%s' --version >/dev/null", GM_TEST_GAPMAP_EXE);
    cr_assert_eq(gmt_system(cmd), 0);
    snprintf(cmd, sizeof cmd, "'%s' run --help | grep -q -- '--output DIR'", GM_TEST_GAPMAP_EXE);
    cr_assert_eq(gmt_system(cmd), 0);
    snprintf(cmd, sizeof cmd, "'%s' frobnicate 2>/dev/null", GM_TEST_GAPMAP_EXE);
    cr_assert_eq(gmt_system(cmd), 2);
    snprintf(cmd, sizeof cmd, "'%s' run --bogus x.ini 2>/dev/null", GM_TEST_GAPMAP_EXE);
    cr_assert_eq(gmt_system(cmd), 2);
    snprintf(cmd, sizeof cmd, "'%s' run /nonexistent.ini 2>&1 | grep -q 'configuration file not found'",
             GM_TEST_GAPMAP_EXE);
    cr_assert_eq(gmt_system(cmd), 0);
    snprintf(cmd, sizeof cmd, "'%s' run /nonexistent.ini 2>/dev/null", GM_TEST_GAPMAP_EXE);
    cr_assert_eq(gmt_system(cmd), 3);
}

/* Does rejects.csv hold a row for (file, line, field) with this severity? */
static bool rejects_has(const char *file, long line, const char *field, const char *severity)
{
    gm_ctx *ctx;
    gm__table *t = open_csv(out("rejects.csv"), &ctx);
    int cf = gm__table_find(t, "file"), cl = gm__table_find(t, "line"), cd = gm__table_find(t, "field"),
        cs = gm__table_find(t, "severity");
    bool eof, found = false;
    while (!found && gm__table_next(t, &eof) == GM_OK && !eof) {
        found = !strcmp(gm__table_get(t, (size_t)cf), file) && atol(gm__table_get(t, (size_t)cl)) == line &&
                !strcmp(gm__table_get(t, (size_t)cd), field) && !strcmp(gm__table_get(t, (size_t)cs), severity);
    }
    close_csv(t, ctx);
    return found;
}

static bool layer_has_id(const char *layer, const char *idfield, const char *id)
{
    GDALDatasetH ds = GDALOpenEx(out(layer), GDAL_OF_VECTOR, NULL, NULL, NULL);
    cr_assert_not_null(ds);
    OGRLayerH lyr = GDALDatasetGetLayer(ds, 0);
    char filter[256];
    snprintf(filter, sizeof filter, "%s = '%s'", idfield, id);
    OGR_L_SetAttributeFilter(lyr, filter);
    bool found = OGR_L_GetFeatureCount(lyr, 1) > 0;
    GDALClose(ds);
    return found;
}

Test(e2e, every_deliberate_problem_row_has_the_expected_outcome, .init = setup, .timeout = 300)
{
    cJSON *e = gmt_read_json(gmt_src("geodata/expected.json"));
    struct { const char *section, *file, *idfield, *layer, *list; } sets[] = {
        {"customers", "customers.csv", "customer_id", "customers.geojson", "problems"},
        {"providers", "providers.csv", "site_id", "providers.geojson", "problems"},
        {"providers", "providers.csv", "site_id", "providers.geojson", "warnings"},
    };
    int checked = 0;
    for (size_t s = 0; s < sizeof sets / sizeof *sets; s++) {
        const cJSON *list = cJSON_GetObjectItem(cJSON_GetObjectItem(e, sets[s].section), sets[s].list);
        cr_assert(cJSON_IsArray(list), "expected.json %s.%s", sets[s].section, sets[s].list);
        const cJSON *p;
        cJSON_ArrayForEach(p, list)
        {
            long line = (long)cJSON_GetObjectItem(p, "line")->valuedouble;
            const char *field = cJSON_GetObjectItem(p, "field")->valuestring;
            const char *id = cJSON_GetObjectItem(p, sets[s].idfield)->valuestring;
            const cJSON *oc = cJSON_GetObjectItem(p, "outcome");
            const char *outcome = cJSON_IsString(oc) ? oc->valuestring : "warning";
            if (!strcmp(outcome, "rejected")) {
                cr_assert(rejects_has(sets[s].file, line, field, "rejected"), "%s line %ld (%s): expected a reject on %s",
                          sets[s].file, line, id, field);
            } else if (!strcmp(outcome, "accepted")) {
                cr_assert(layer_has_id(sets[s].layer, sets[s].idfield, id), "%s line %ld: %s should be located",
                          sets[s].file, line, id);
            } else {
                cr_assert(rejects_has(sets[s].file, line, field, "warning"), "%s line %ld (%s): expected a warning on %s",
                          sets[s].file, line, id, field);
                cr_assert(layer_has_id(sets[s].layer, sets[s].idfield, id), "%s line %ld: %s kept", sets[s].file, line, id);
            }
            checked++;
        }
    }
    cr_assert_gt(checked, 20);
    cJSON_Delete(e);
}

/* ---- travel on the sample county ---------------------------------------- */

typedef struct pt {
    char id[16];
    double x, y;
} pt;

/* Points of a layer (shapefile, EPSG:27700) by id, in file order. */
static pt *read_points(const char *layer, const char *idfield, size_t *n)
{
    GDALDatasetH ds = GDALOpenEx(out(layer), GDAL_OF_VECTOR, NULL, NULL, NULL);
    cr_assert_not_null(ds);
    OGRLayerH lyr = GDALDatasetGetLayer(ds, 0);
    size_t cap = (size_t)OGR_L_GetFeatureCount(lyr, 1);
    pt *p = calloc(cap, sizeof *p);
    *n = 0;
    OGRFeatureH f;
    while ((f = OGR_L_GetNextFeature(lyr)) != NULL) {
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        snprintf(p[*n].id, sizeof p[*n].id, "%s", OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, idfield)));
        p[*n].x = OGR_G_GetX(g, 0);
        p[*n].y = OGR_G_GetY(g, 0);
        (*n)++;
        OGR_F_Destroy(f);
    }
    GDALClose(ds);
    return p;
}

static const pt *find_pt(const pt *p, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(p[i].id, id))
            return &p[i];
    }
    return NULL;
}

static double dxy(double ax, double ay, double bx, double by)
{
    return sqrt((ax - bx) * (ax - bx) + (ay - by) * (ay - by));
}

Test(e2e, travel_matrix_respects_independent_bounds_and_the_bridge, .init = setup, .timeout = 300)
{
    size_t nc, ns;
    pt *cp = read_points("customers.shp", "customer_i", &nc);
    pt *sp = read_points("providers.shp", "site_id", &ns);

    /* The only road over the estuary: its end points, from the roads file. */
    cJSON *e = gmt_read_json(gmt_src("geodata/expected.json"));
    const char *bridge = cJSON_GetObjectItem(e, "bridge_link_id")->valuestring;
    GDALDatasetH rds = GDALOpenEx(gmt_src("geodata/roads.gpkg"), GDAL_OF_VECTOR, NULL, NULL, NULL);
    OGRLayerH rl = GDALDatasetGetLayerByName(rds, "road_link");
    char filter[128];
    snprintf(filter, sizeof filter, "id = '%s'", bridge);
    OGR_L_SetAttributeFilter(rl, filter);
    OGRFeatureH bf = OGR_L_GetNextFeature(rl);
    cr_assert_not_null(bf, "bridge link %s not in roads.gpkg", bridge);
    OGRGeometryH bg = OGR_F_GetGeometryRef(bf);
    int nb = OGR_G_GetPointCount(bg);
    double b1x = OGR_G_GetX(bg, 0), b1y = OGR_G_GetY(bg, 0);
    double b2x = OGR_G_GetX(bg, nb - 1), b2y = OGR_G_GetY(bg, nb - 1);
    double blen = OGR_G_Length(bg);
    GDALDatasetH wds = GDALOpenEx(gmt_src("geodata/boundaries.gpkg"), GDAL_OF_VECTOR, NULL, NULL, NULL);
    OGRLayerH wl = GDALDatasetGetLayerByName(wds, "water");
    cr_assert_not_null(wl, "boundaries.gpkg has no water layer");
    OGRFeatureH wf = OGR_L_GetNextFeature(wl);
    OGRGeometryH water = OGR_F_GetGeometryRef(wf);

    gm_ctx *ctx;
    gm__table *t = open_csv(out("matrix.csv"), &ctx);
    int ci = gm__table_find(t, "customer_id"), si = gm__table_find(t, "site_id"), mi = gm__table_find(t, "mode"),
        ti = gm__table_find(t, "time_s"), di = gm__table_find(t, "dist_m");
    long rows = 0, reached = 0, crossing = 0;
    bool eof;
    const pt *c = NULL;
    while (gm__table_next(t, &eof) == GM_OK && !eof) {
        rows++;
        const char *cid = gm__table_get(t, (size_t)ci);
        if (!c || strcmp(c->id, cid))
            c = find_pt(cp, nc, cid);
        const pt *s = find_pt(sp, ns, gm__table_get(t, (size_t)si));
        cr_assert(c && s, "matrix row %ld names an unknown customer or site", rows);
        const char *tx = gm__table_get(t, (size_t)ti);
        if (!tx[0])
            continue;
        reached++;
        double time_s = atof(tx), dist_m = atof(gm__table_get(t, (size_t)di));
        const char *mode = gm__table_get(t, (size_t)mi);
        double straight = dxy(c->x, c->y, s->x, s->y);
        if (!strcmp(mode, "bus")) {
            /* No distance for the bus (test_transit_e2e checks it against walking);
             * no bus or walk beats 130 km/h in a straight line. */
            cr_assert_geq(time_s + 0.5, straight / (130.0 / 3.6), "%s -> %s (bus): %.1f s", c->id, s->id, time_s);
            continue;
        }
        cr_assert_geq(dist_m + 0.5, straight, "%s -> %s (%s): road %.1f m shorter than straight line %.1f m",
                      c->id, s->id, mode, dist_m, straight);
        /* 130 km/h is above any configured car speed; walking is 4.8 km/h, 3 km/h slow. */
        double vmax = !strcmp(mode, "car") ? 130.0 : !strcmp(mode, "cycle") ? 16.0 : !strcmp(mode, "walk") ? 4.8 : 3.0;
        cr_assert_geq(time_s + 0.5, straight / (vmax / 3.6), "%s -> %s (%s): %.1f s is faster than possible",
                      c->id, s->id, mode, time_s);
        /* Across the estuary the only way is the bridge. */
        OGRGeometryH seg = OGR_G_CreateGeometry(wkbLineString);
        OGR_G_AddPoint_2D(seg, c->x, c->y);
        OGR_G_AddPoint_2D(seg, s->x, s->y);
        if (OGR_G_Intersects(seg, water)) {
            double via = fmin(dxy(c->x, c->y, b1x, b1y) + dxy(b2x, b2y, s->x, s->y),
                              dxy(c->x, c->y, b2x, b2y) + dxy(b1x, b1y, s->x, s->y)) + blen;
            cr_assert_geq(dist_m + 1.0, via, "%s -> %s (%s) crosses the estuary in %.0f m; via the bridge >= %.0f m",
                          c->id, s->id, mode, dist_m, via);
            crossing++;
        }
        OGR_G_DestroyGeometry(seg);
    }
    cr_assert_eq(rows, (long)(nc * ns * 5), "every customer x site x mode pair is a row (4 road modes and bus)");
    cr_assert_gt(reached, rows / 3);
    cr_assert_gt(crossing, 1000, "the sample county should have many journeys over the estuary");
    cr_log_info("matrix: %ld rows, %ld reached, %ld across the estuary", rows, reached, crossing);
    close_csv(t, ctx);
    OGR_F_Destroy(bf);
    OGR_F_Destroy(wf);
    GDALClose(rds);
    GDALClose(wds);
    cJSON_Delete(e);
    free(cp);
    free(sp);
}

Test(e2e, holm_island_customers_get_no_times_and_a_warning, .init = setup, .timeout = 300)
{
    cJSON *e = gmt_read_json(gmt_src("geodata/expected.json"));
    const cJSON *bb = cJSON_GetObjectItem(cJSON_GetObjectItem(e, "holm_island"), "bbox");
    double x0 = cJSON_GetArrayItem(bb, 0)->valuedouble, y0 = cJSON_GetArrayItem(bb, 1)->valuedouble;
    double x1 = cJSON_GetArrayItem(bb, 2)->valuedouble, y1 = cJSON_GetArrayItem(bb, 3)->valuedouble;
    size_t nc;
    pt *cp = read_points("customers.shp", "customer_i", &nc);
    char *matrix = gmt_slurp(out("matrix.csv"), NULL);
    char *rejects = gmt_slurp(out("rejects.csv"), NULL);
    int islanders = 0;
    for (size_t i = 0; i < nc; i++) {
        if (cp[i].x < x0 || cp[i].x > x1 || cp[i].y < y0 || cp[i].y > y1)
            continue;
        islanders++;
        char key[64];
        snprintf(key, sizeof key, "\n%s,", cp[i].id);
        long lines = 0;
        for (const char *p = strstr(matrix, key); p; p = strstr(p + 1, key)) {
            const char *f = p + 1;
            for (int k = 0; k < 3; k++)
                f = strchr(f, ',') + 1;
            cr_assert_eq(*f, ',', "islander %s has a travel time: %.60s", cp[i].id, p + 1);
            lines++;
        }
        cr_assert_gt(lines, 0);
        snprintf(key, sizeof key, ",%s,postcode,,\"the nearest road usable by car is on a separate part", cp[i].id);
        cr_assert_not_null(strstr(rejects, key), "no warning for islander %s", cp[i].id);
    }
    cr_assert_eq(islanders, (int)cJSON_GetObjectItem(cJSON_GetObjectItem(e, "holm_island"), "customers")->valuedouble);
    free(matrix);
    free(rejects);
    free(cp);
    cJSON_Delete(e);
}

Test(e2e, nearest_sites_are_the_fastest_in_the_matrix, .init = setup, .timeout = 300)
{
    /* Recompute each customer's fastest car site from matrix.csv and compare
     * with rank 1 of nearest.csv. */
    gm_ctx *ctx;
    gm__table *t = open_csv(out("matrix.csv"), &ctx);
    char *nearest = gmt_slurp(out("nearest.csv"), NULL);
    char cur[32] = "", best_site[32] = "";
    double best = INFINITY;
    bool eof;
    int checked = 0;
    for (;;) {
        gm_status st = gm__table_next(t, &eof);
        cr_assert_eq(st, GM_OK);
        const char *cid = eof ? "" : gm__table_get(t, 0);
        if (strcmp(cid, cur) && cur[0]) {
            char key[96];
            if (isfinite(best)) {
                snprintf(key, sizeof key, "\n%s,car,1,%s,%.1f,", cur, best_site, best);
                cr_assert_not_null(strstr(nearest, key), "nearest.csv lacks %s", key + 1);
                checked++;
            } else {
                snprintf(key, sizeof key, "\n%s,car,1,", cur);
                cr_assert_null(strstr(nearest, key), "%s has no car journey but a nearest site", cur);
            }
            best = INFINITY;
        }
        if (eof)
            break;
        snprintf(cur, sizeof cur, "%s", cid);
        if (strcmp(gm__table_get(t, 2), "car") || !gm__table_get(t, 3)[0])
            continue;
        double ts = atof(gm__table_get(t, 3));
        if (ts < best) { /* ties keep the first site in file order, as gapmap does */
            best = ts;
            snprintf(best_site, sizeof best_site, "%s", gm__table_get(t, 1));
        }
    }
    cr_assert_gt(checked, 700);
    free(nearest);
    close_csv(t, ctx);
}

/* car time of every pair in a matrix.csv, in file order (NAN when blank) */
static double *car_times(const char *path, size_t *n)
{
    gm_ctx *ctx;
    gm__table *t = open_csv(path, &ctx);
    size_t cap = 1 << 16;
    double *v = malloc(cap * sizeof *v);
    *n = 0;
    bool eof;
    while (gm__table_next(t, &eof) == GM_OK && !eof) {
        if (strcmp(gm__table_get(t, 2), "car"))
            continue;
        if (*n == cap)
            v = realloc(v, (cap *= 2) * sizeof *v);
        const char *ts = gm__table_get(t, 3);
        v[(*n)++] = ts[0] ? atof(ts) : NAN;
    }
    close_csv(t, ctx);
    return v;
}

Test(e2e, configured_car_speeds_change_the_routes, .init = setup, .timeout = 300)
{
    /* The same job with unclassified roads (most town streets in OS Open Roads)
     * at 10 km/h instead of the default:
     * no journey may get faster, and journeys through towns must slow down. */
    const char *d = gmt_tmpdir("e2e-speeds");
    char ini[8192], geodata[4096];
    snprintf(geodata, sizeof geodata, "%s", gmt_src("geodata")); /* gmt_src's buffer is reused */
    snprintf(ini, sizeof ini,
             "[postcodes]\nfile = %s/onspd_examplshire.csv\n[providers]\nfile = %s/providers.csv\n"
             "[customers]\nfile = %s/customers.csv\n[roads]\nfile = %s/roads.gpkg\n"
             "[travel]\nmodes = car\n[speeds.car]\nunclassified = 10\n",
             geodata, geodata, geodata, geodata);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", d);
    gmt_write(dir, "slow.ini", ini);
    char cmd[9000];
    snprintf(cmd, sizeof cmd, "'%s' matrix '%s/slow.ini' -q -o '%s/out' 2>&1", GM_TEST_GAPMAP_EXE, dir, dir);
    cr_assert_eq(gmt_system(cmd), 0);
    /* travel times alone draw no layer: no gapmap.gpkg, and no temporary */
    char outp[4200];
    snprintf(outp, sizeof outp, "%s/out/restricted", dir);
    cr_assert_null(strstr(gmt_listing(outp), "gpkg"), "%s", gmt_listing(outp));
    snprintf(outp, sizeof outp, "%s/out/shareable", dir);
    cr_assert_str_eq(gmt_listing(outp), "", "%s", gmt_listing(outp));
    char slow_path[4200];
    snprintf(slow_path, sizeof slow_path, "%s/out/restricted/matrix.csv", dir);
    size_t nf, ns;
    double *fast = car_times(out("matrix.csv"), &nf);
    double *slow = car_times(slow_path, &ns);
    cr_assert_eq(nf, ns);
    size_t slower = 0;
    for (size_t i = 0; i < nf; i++) {
        if (isnan(fast[i])) {
            cr_assert(isnan(slow[i]) || slow[i] > 7200 - 1, "pair %zu reached only when slower", i);
            continue;
        }
        if (isnan(slow[i]))
            continue; /* pushed beyond the cut-off */
        cr_assert_geq(slow[i] + 0.05, fast[i], "pair %zu got faster (%.1f < %.1f s)", i, slow[i], fast[i]);
        slower += slow[i] > fast[i] + 1.0;
    }
    cr_assert_gt(slower, nf / 2, "only %zu of %zu journeys slowed down", slower, nf);
    free(fast);
    free(slow);
}
