#include "testutil.h"

#include <criterion/criterion.h>

#include "io/table.h"

#include <cjson/cJSON.h>
#include <cpl_error.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

const char *gmt_src(const char *rel)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/%s", GM_TEST_SOURCE_DIR, rel);
    return buf;
}

const char *gmt_shared(const char *rel)
{
    static char buf[4096];
    const char *base = getenv("GAPMAP_SHARED_DATA");
    snprintf(buf, sizeof buf, "%s/%s", base && *base ? base : GM_TEST_SHARED_DATA, rel);
    struct stat st;
    return stat(buf, &st) == 0 ? buf : NULL;
}

const char *gmt_tmpdir(const char *tag)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/test-tmp/%s-%ld", GM_TEST_BINARY_DIR, tag, (long)getpid());
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", buf, buf);
    if (gmt_system(cmd) != 0)
        return NULL;
    return buf;
}

const char *gmt_write(const char *dir, const char *name, const char *text)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/%s", dir, name);
    FILE *f = fopen(buf, "wb");
    if (!f)
        return NULL;
    fputs(text, f);
    fclose(f);
    return buf;
}

char *gmt_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        s = NULL;
    }
    fclose(f);
    if (s) {
        s[n] = '\0';
        if (len)
            *len = (size_t)n;
    }
    return s;
}

int gmt_system(const char *cmd)
{
    int rc = system(cmd);
    if (rc == -1 || !WIFEXITED(rc))
        return -1;
    return WEXITSTATUS(rc);
}

bool gmt_run_cached(const char *exe, const char *ini, const char *out, const char *const *inputs,
                    size_t ninputs, char **log)
{
    char stamp[8192] = "", path[4200];
    size_t len = 0;
    struct stat st;
    *log = NULL;
    if (stat(exe, &st) == 0)
        len += (size_t)snprintf(stamp + len, sizeof stamp - len, "%s %lld %lld\n", exe, (long long)st.st_size,
                                (long long)st.st_mtime);
    for (size_t i = 0; i < ninputs && len < sizeof stamp; i++)
        if (stat(inputs[i], &st) == 0)
            len += (size_t)snprintf(stamp + len, sizeof stamp - len, "%s %lld %lld\n", inputs[i],
                                    (long long)st.st_size, (long long)st.st_mtime);
    snprintf(path, sizeof path, "%s.lock", out);
    int lock = open(path, O_CREAT | O_RDWR, 0644);
    if (lock >= 0)
        flock(lock, LOCK_EX);
    snprintf(path, sizeof path, "%s.stamp", out);
    char *old = gmt_slurp(path, NULL);
    bool ok = old && !strcmp(old, stamp);
    free(old);
    if (!ok) {
        remove(path);
        char cmd[16384];
        snprintf(cmd, sizeof cmd, "rm -rf '%s' && '%s' run '%s' --quiet --output '%s' >'%s.log' 2>&1", out, exe,
                 ini, out, out);
        int rc = gmt_system(cmd);
        if (rc == 0) {
            FILE *f = fopen(path, "w");
            if (f) {
                fputs(stamp, f);
                fclose(f);
            }
            ok = true;
        } else {
            snprintf(path, sizeof path, "%s.log", out);
            *log = gmt_slurp(path, NULL);
        }
    }
    if (lock >= 0) {
        flock(lock, LOCK_UN);
        close(lock);
    }
    return ok;
}

const char *gmt_sample_run(const char *exe)
{
    static char out[4096];
    static const char *const files[] = {"geodata/examplshire.ini", "geodata/customers.csv",
                                        "geodata/providers.csv", "geodata/roads.gpkg",
                                        "geodata/onspd_examplshire.csv", "geodata/boundaries.gpkg",
                                        "geodata/bus/stops.txt", "geodata/bus/stop_times.txt",
                                        "geodata/bus/trips.txt", "geodata/bus/calendar.txt"};
    enum { NFILES = sizeof files / sizeof *files };
    char paths[NFILES][4096];
    const char *in[NFILES];
    for (size_t i = 0; i < NFILES; i++) {
        snprintf(paths[i], sizeof paths[i], "%s", gmt_src(files[i]));
        in[i] = paths[i];
    }
    snprintf(out, sizeof out, "%s/sample-run", GM_TEST_BINARY_DIR);
    char *log = NULL;
    if (!gmt_run_cached(exe, in[0], out, in, NFILES, &log)) {
        fprintf(stderr, "gapmap run %s failed:\n%s\n", in[0], log ? log : "(no log)");
        free(log);
        return NULL;
    }
    return out;
}

const char *gmt_path(const char *dir, const char *name)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/%s", dir, name);
    return buf;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

const char *gmt_listing(const char *dir)
{
    static char buf[8192];
    char *names[64];
    size_t n = 0;
    buf[0] = '\0';
    DIR *d = opendir(dir);
    if (!d)
        return buf;
    struct dirent *e;
    while ((e = readdir(d)) && n < 64)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof *names, cmp_name);
    for (size_t i = 0; i < n; i++) {
        if (i && strlen(buf) + 1 < sizeof buf)
            strcat(buf, " ");
        if (strlen(buf) + strlen(names[i]) < sizeof buf)
            strcat(buf, names[i]);
        free(names[i]);
    }
    return buf;
}

gmt_csv gmt_csv_load(const char *path)
{
    gm_ctx *ctx;
    cr_assert_eq(gm_ctx_new(&ctx), GM_OK);
    gm__table *t = NULL;
    gm__table_opts o;
    gm__table_opts_init(&o);
    cr_assert_eq(gm__table_open(ctx, path, &o, &t), GM_OK, "%s: %s", path, gm_ctx_errmsg(ctx));
    gmt_csv c = {0, gm__table_ncols(t), NULL, NULL};
    c.head = calloc(c.ncols, sizeof *c.head);
    for (size_t k = 0; k < c.ncols; k++)
        c.head[k] = strdup(gm__table_colname(t, k));
    bool eof;
    size_t cap = 0;
    while (gm__table_next(t, &eof) == GM_OK && !eof) {
        if (c.nrows == cap) {
            cap = cap ? 2 * cap : 1024;
            c.cell = realloc(c.cell, cap * sizeof *c.cell);
        }
        char **row = calloc(c.ncols, sizeof *row);
        for (size_t k = 0; k < c.ncols; k++)
            row[k] = strdup(gm__table_get(t, k));
        c.cell[c.nrows++] = row;
    }
    gm__table_close(t);
    gm_ctx_free(ctx);
    return c;
}

const char *gmt_out(const char *dir, const char *name)
{
    static char buf[4200];
    static const char *const sub[] = {"", "shareable/", "restricted/"};
    for (size_t k = 0; k < 3; k++) {
        snprintf(buf, sizeof buf, "%s/%s%s", dir, sub[k], name);
        if (access(buf, F_OK) == 0)
            return buf;
    }
    snprintf(buf, sizeof buf, "%s/%s", dir, name); /* missing: the caller's check names it */
    return buf;
}

gmt_csv gmt_csv_in(const char *dir, const char *name)
{
    return gmt_csv_load(gmt_out(dir, name));
}

size_t gmt_csv_col(const gmt_csv *c, const char *name)
{
    for (size_t k = 0; k < c->ncols; k++)
        if (!strcmp(c->head[k], name))
            return k;
    cr_assert_fail("no column %s", name);
    return 0;
}

void gmt_csv_free(gmt_csv *c)
{
    for (size_t r = 0; r < c->nrows; r++) {
        for (size_t k = 0; k < c->ncols; k++)
            free(c->cell[r][k]);
        free(c->cell[r]);
    }
    for (size_t k = 0; k < c->ncols; k++)
        free(c->head[k]);
    free(c->head);
    free(c->cell);
    memset(c, 0, sizeof *c);
}

struct cJSON *gmt_read_json(const char *path)
{
    char *text = gmt_slurp(path, NULL);
    cr_assert_not_null(text, "cannot read %s", path);
    cJSON *j = cJSON_Parse(text);
    free(text);
    cr_assert_not_null(j, "%s is not JSON", path);
    return j;
}

long gmt_layer_count(const char *path, char *epsg)
{
    GDALAllRegister();
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    cr_assert_not_null(ds, "GDAL cannot open %s: %s", path, CPLGetLastErrorMsg());
    cr_assert_eq(GDALDatasetGetLayerCount(ds), 1, "%s: expected one layer", path);
    OGRLayerH ly = GDALDatasetGetLayer(ds, 0);
    long n = (long)OGR_L_GetFeatureCount(ly, 1);
    OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(ly);
    snprintf(epsg, 16, "?");
    if (srs) {
        /* A shapefile's .prj carries no EPSG code: identify it. */
        OGRSpatialReferenceH id = OSRClone(srs);
        OSRAutoIdentifyEPSG(id);
        const char *code = OSRGetAuthorityCode(id, NULL);
        if (code)
            snprintf(epsg, 16, "%s", code);
        OSRDestroySpatialReference(id);
    }
    GDALClose(ds);
    return n;
}

void gmt_sample_variant(char *ini, const char *dir, const char *name, const char *const *drop, const char *extra)
{
    char *base = gmt_slurp(gmt_src("geodata/examplshire.ini"), NULL);
    char gd[4096];
    snprintf(gd, sizeof gd, "%s", gmt_src("geodata"));
    snprintf(ini, 4200, "%s/%s", dir, name);
    FILE *f = fopen(ini, "w");
    cr_assert_not_null(f);
    for (char *save = NULL, *line = strtok_r(base, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char key[64], val[1024];
        bool skip = sscanf(line, "%63s =", key) == 1 && !strcmp(key, "output");
        for (size_t k = 0; drop && drop[k] && !skip; k++)
            skip = sscanf(line, "%63s =", key) == 1 && !strcmp(key, drop[k]);
        if (skip)
            continue;
        if (sscanf(line, "%63s = %1023[^\n]", key, val) == 2 &&
            (!strcmp(key, "file") || !strcmp(key, "boundary") || !strcmp(key, "zones") || !strcmp(key, "gtfs")))
            fprintf(f, "%s = %s/%s\n", key, gd, val);
        else
            fprintf(f, "%s\n", line);
    }
    fprintf(f, "\n%s", extra);
    fclose(f);
    free(base);
}
