/*
 * report.html on the sample county, end to end (the shared sample run of
 * tests/testutil.h), checked from the files alone:
 *
 *   - it is written, and listed in manifest.json with its size;
 *   - every headline figure (marked data-summary="<path in summary.json>") is the
 *     value at that path of summary.json, to the decimals shown, or "withheld"
 *     where summary.json has null; the key figures are all there, and the
 *     share within the gap threshold is the one for any service, the gap mode
 *     and the gap threshold;
 *   - the coverage map has one SVG path per feature of zones.shp, each
 *     zone's path spans the zone's own box in BNG metres under one scale for
 *     x and y with y flipped (north up, right aspect ratio), and one gap
 *     outline per gap;
 *   - it asks for nothing outside itself (no http(s), src=, @import, link,
 *     script, url() other than #fragment);
 *   - no customer id or name from geodata/customers.csv appears;
 *   - a run named <script>alert(1)</script>, with markup in a provider's and a
 *     site's names, shows them escaped;
 *   - a second run writes the same bytes;
 *   - headless Chromium renders it to a PNG with the map's colours (skipped
 *     with a message when chromium is not installed).
 *
 * And gm__report_write alone on a tiny hand-made folder (no layers, NHS
 * suppression, null figures): withheld figures, absent sections left out,
 * the errors for a missing or broken summary.json, and every allocation
 * failure cleanly reported with no file left behind.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <gdal.h>
#include <math.h>
#include <ogr_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "io/report.h"
#include "io/vwriter.h"
#include "testutil.h"

static char outdir[4096];

static void setup(void)
{
    GDALAllRegister();
    const char *o = gmt_sample_run(GM_TEST_GAPMAP_EXE);
    cr_assert_not_null(o, "gapmap run on the sample failed (log above)");
    snprintf(outdir, sizeof outdir, "%s", o);
}

static char *read_report(const char *dir, size_t *len)
{
    char *html = gmt_slurp(gmt_out(dir, "report.html"), len);
    cr_assert_not_null(html, "no report.html in %s", dir);
    return html;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

Test(report, is_written_and_listed_in_the_manifest, .init = setup, .timeout = 600)
{
    size_t len;
    char *html = read_report(outdir, &len);
    cr_assert_gt(len, 10000, "report.html is %zu bytes", len);
    cr_assert_lt(len, 1500000, "report.html is %zu bytes: over 1.5 MB for the sample", len);
    cr_assert(!strncmp(html, "<!DOCTYPE html>", 15));
    cr_assert_not_null(strstr(html, "</html>"));
    cJSON *m = gmt_read_json(gmt_out(outdir, "manifest.json"));
    const cJSON *outs = cJSON_GetObjectItem(m, "outputs");
    bool listed = false;
    for (int i = 0; i < cJSON_GetArraySize(outs); i++) {
        const cJSON *o = cJSON_GetArrayItem(outs, i);
        if (!strcmp(cJSON_GetObjectItem(o, "path")->valuestring, "shareable/report.html")) {
            listed = true;
            cr_assert_eq(cJSON_GetObjectItem(o, "bytes")->valuedouble, (double)len);
        }
    }
    cr_assert(listed, "manifest.json does not list report.html");
    cr_assert_eq(strstr(gmt_listing(outdir), ".tmp"), NULL, "temporary files left: %s", gmt_listing(outdir));
    cJSON_Delete(m);
    free(html);
}

/* ---- headline figures -------------------------------------------------------- */

/* The item at a dotted path of summary.json ("a.b.2.c": 2 indexes an array). */
static const cJSON *at(const cJSON *root, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    const cJSON *o = root;
    for (char *save = NULL, *seg = strtok_r(buf, ".", &save); o && seg; seg = strtok_r(NULL, ".", &save))
        o = cJSON_IsArray(o) ? cJSON_GetArrayItem(o, atoi(seg)) : cJSON_GetObjectItemCaseSensitive(o, seg);
    return o;
}

/* The number shown ("−£15,348", "80.5%", "7.8 min", "1,990") and its decimals. */
static double shown(const char *text, int *decimals)
{
    char digits[64];
    size_t n = 0;
    bool neg = false;
    *decimals = -1;
    for (const char *p = text; *p && n + 1 < sizeof digits; p++) {
        if (!strncmp(p, "\xe2\x88\x92", 3) || *p == '-') {
            neg = true;
        } else if ((*p >= '0' && *p <= '9') || *p == '.') {
            if (*decimals >= 0)
                (*decimals)++;
            if (*p == '.')
                *decimals = 0;
            digits[n++] = *p;
        }
    }
    digits[n] = '\0';
    if (*decimals < 0)
        *decimals = 0;
    cr_assert_gt(n, 0, "no number in '%s'", text);
    double v = atof(digits);
    return neg ? -v : v;
}

Test(report, headline_figures_are_summary_json_values, .init = setup, .timeout = 600)
{
    char *html = read_report(outdir, NULL);
    cJSON *s = gmt_read_json(gmt_out(outdir, "summary.json"));
    size_t checked = 0, withheld = 0;
    char seen[4096] = " ";
    for (const char *p = strstr(html, "data-summary=\""); p; p = strstr(p + 1, "data-summary=\"")) {
        char path[256], text[128];
        cr_assert_eq(sscanf(p, "data-summary=\"%255[^\"]\">%127[^<]", path, text), 2, "cannot read %.60s", p);
        const cJSON *v = at(s, path);
        cr_assert_not_null(v, "report.html shows %s, which summary.json does not have", path);
        if (cJSON_IsNull(v)) {
            cr_assert_str_eq(text, "withheld", "%s is null in summary.json but shown as '%s'", path, text);
            withheld++;
        } else {
            cr_assert(cJSON_IsNumber(v), "%s is not a number", path);
            int dec;
            double x = shown(text, &dec);
            cr_assert(fabs(x - v->valuedouble) <= 0.5 * pow(10, -dec) + 1e-9, "%s: report shows '%s', summary.json has %g",
                      path, text, v->valuedouble);
        }
        checked++;
        strncat(seen, path, sizeof seen - strlen(seen) - 2);
        strcat(seen, " ");
    }
    static const char *const want[] = {"coverage.customers",
                                       "coverage.gaps.gap_areas",
                                       "coverage.gaps.customers_unplaceable_within_threshold",
                                       "journeys.placements_checked",
                                       "journeys.with_any_flag",
                                       "journeys.flagged.over_goal",
                                       "journeys.flagged.travel_training_candidate",
                                       "journeys.flagged.nearer_site_with_room",
                                       "ranking.assignment.placed_within_goal",
                                       "ranking.assignment.weekly_spend_change",
                                       "ranking.spend.weekly_spend"};
    for (size_t k = 0; k < sizeof want / sizeof *want; k++) {
        char key[128];
        snprintf(key, sizeof key, " %s ", want[k]);
        cr_assert_not_null(strstr(seen, key), "no headline figure for %s (shown: %s)", want[k], seen);
    }
    /* The share of customers within the gap threshold: the coverage entry for
     * any service, the gap mode and the gap threshold. */
    const cJSON *gaps = at(s, "coverage.gaps");
    const char *mode = cJSON_GetObjectItem(gaps, "judged_by")->valuestring;
    double thr = cJSON_GetObjectItem(gaps, "threshold_minutes")->valuedouble;
    const cJSON *cov = at(s, "coverage.coverage");
    int entry = -1;
    for (int i = 0; i < cJSON_GetArraySize(cov); i++) {
        const cJSON *e = cJSON_GetArrayItem(cov, i);
        if (!strcmp(cJSON_GetObjectItem(e, "service")->valuestring, "any") &&
            !strcmp(cJSON_GetObjectItem(e, "mode")->valuestring, mode) &&
            cJSON_GetObjectItem(e, "minutes")->valuedouble == thr)
            entry = i;
    }
    cr_assert_geq(entry, 0, "summary.json has no coverage entry for any service, %s, %g min", mode, thr);
    char key[128];
    snprintf(key, sizeof key, " coverage.coverage.%d.customers_pct ", entry);
    cr_assert_not_null(strstr(seen, key), "the share within %g min %s is not shown (shown: %s)", thr, mode, seen);
    /* And the sample's own figure, read by eye from summary.json: 80.5% within 15 min by car. */
    cr_assert_not_null(strstr(html, "80.5%"));
    cr_log_info("%zu headline figures match summary.json (%zu withheld)", checked, withheld);
    cJSON_Delete(s);
    free(html);
}

/* ---- the maps ----------------------------------------------------------------- */

typedef struct box {
    double x0, y0, x1, y1;
} box;

/* The box of an SVG path's points ("M x y l dx dy ... z M ..."). */
static box path_box(const char *d)
{
    box b = {INFINITY, INFINITY, -INFINITY, -INFINITY};
    double x = 0, y = 0;
    char cmd = 0;
    const char *p = d;
    while (*p && *p != '"') {
        if (*p == 'M' || *p == 'l' || *p == 'z') {
            cmd = *p++;
            continue;
        }
        if (*p == ' ') {
            p++;
            continue;
        }
        char *end;
        double a = strtod(p, &end);
        cr_assert_neq(end, p, "bad path data at %.20s", p);
        double c = strtod(end, &end);
        p = end;
        if (cmd == 'M')
            x = a, y = c;
        else
            x += a, y += c;
        b.x0 = fmin(b.x0, x), b.x1 = fmax(b.x1, x), b.y0 = fmin(b.y0, y), b.y1 = fmax(b.y1, y);
    }
    return b;
}

Test(report, the_map_has_one_path_per_zone_in_place_north_up, .init = setup, .timeout = 600)
{
    char *html = read_report(outdir, NULL);
    char epsg[16];
    long nz = gmt_layer_count(gmt_out(outdir, "zones.shp"), epsg);
    long ng = gmt_layer_count(gmt_out(outdir, "gaps.shp"), epsg);
    cr_assert_eq((long)count(html, "<path class=\"zone\""), nz, "%zu zone paths, %ld zones",
                 count(html, "<path class=\"zone\""), nz);
    cr_assert_eq((long)count(html, "<path class=\"gapline\""), ng, "gap outlines");
    cr_assert_eq((long)count(html, "<path class=\"gapfill\""), ng, "gaps on the gaps map");
    cr_assert_eq(count(html, "<svg class=\"map\""), 2, "two maps");

    /* Each zone's box in metres (zones.shp, in file order, as the paths are). */
    GDALDatasetH ds = GDALOpenEx(gmt_out(outdir, "zones.shp"), GDAL_OF_VECTOR, NULL, NULL, NULL);
    cr_assert_not_null(ds);
    OGRLayerH ly = GDALDatasetGetLayer(ds, 0);
    box *m = calloc((size_t)nz, sizeof *m), *s = calloc((size_t)nz, sizeof *s);
    char (*ids)[64] = calloc((size_t)nz, sizeof *ids);
    OGRFeatureH f;
    size_t k = 0;
    while ((f = OGR_L_GetNextFeature(ly)) != NULL) {
        OGREnvelope e;
        OGR_G_GetEnvelope(OGR_F_GetGeometryRef(f), &e);
        m[k] = (box){e.MinX, e.MinY, e.MaxX, e.MaxY};
        snprintf(ids[k], sizeof ids[k], "%s", OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, "zone_id")));
        OGR_F_Destroy(f);
        k++;
    }
    GDALClose(ds);
    cr_assert_eq((long)k, nz);
    box all = {INFINITY, INFINITY, -INFINITY, -INFINITY}, pall = all;
    const char *p = html;
    for (k = 0; k < (size_t)nz; k++) {
        p = strstr(p, "<path class=\"zone\"");
        const char *d = strstr(p, " d=\"");
        s[k] = path_box(d + 4);
        /* the zone's tooltip names it */
        const char *t = strstr(d, "<title>"), *te = t ? strstr(t, "</title>") : NULL;
        cr_assert(t && te, "zone path %zu has no title", k);
        char title[512], idpart[80];
        snprintf(title, sizeof title, "%.*s", (int)(te - t), t);
        snprintf(idpart, sizeof idpart, "(%s)", ids[k]);
        cr_assert_not_null(strstr(title, idpart), "zone path %zu is titled %s, not %s", k, title, ids[k]);
        all = (box){fmin(all.x0, m[k].x0), fmin(all.y0, m[k].y0), fmax(all.x1, m[k].x1), fmax(all.y1, m[k].y1)};
        pall = (box){fmin(pall.x0, s[k].x0), fmin(pall.y0, s[k].y0), fmax(pall.x1, s[k].x1), fmax(pall.y1, s[k].y1)};
        p = d;
    }
    /* One scale both ways: the aspect ratio of the metres is kept. */
    double sx = (pall.x1 - pall.x0) / (all.x1 - all.x0), sy = (pall.y1 - pall.y0) / (all.y1 - all.y0);
    cr_assert_lt(fabs(sx - sy) / sx, 0.003, "x scale %g, y scale %g units per metre", sx, sy);
    /* Every zone where its metres say, with north up (SVG y grows down).
     * Allowance: the simplification (extent / 1500) and whole units. */
    double tol = fmax(all.x1 - all.x0, all.y1 - all.y0) / 1500 * sx + 2;
    for (k = 0; k < (size_t)nz; k++) {
        double ex0 = pall.x0 + (m[k].x0 - all.x0) * sx, ex1 = pall.x0 + (m[k].x1 - all.x0) * sx;
        double ey0 = pall.y0 + (all.y1 - m[k].y1) * sx, ey1 = pall.y0 + (all.y1 - m[k].y0) * sx;
        cr_assert(fabs(s[k].x0 - ex0) <= tol && fabs(s[k].x1 - ex1) <= tol && fabs(s[k].y0 - ey0) <= tol &&
                      fabs(s[k].y1 - ey1) <= tol,
                  "zone %s drawn at x %.0f..%.0f y %.0f..%.0f, expected x %.0f..%.0f y %.0f..%.0f (tolerance %.1f)",
                  ids[k], s[k].x0, s[k].x1, s[k].y0, s[k].y1, ex0, ex1, ey0, ey1, tol);
    }
    /* The viewBox holds the zones with its height to width the area's. */
    long vw, vh;
    const char *vb = strstr(html, "<svg class=\"map\" viewBox=\"0 0 ");
    cr_assert_eq(sscanf(vb, "<svg class=\"map\" viewBox=\"0 0 %ld %ld\"", &vw, &vh), 2);
    cr_assert(pall.x0 >= 0 && pall.x1 <= vw && pall.y0 >= 0 && pall.y1 <= vh, "zones outside the viewBox");
    double ratio = (all.y1 - all.y0) / (all.x1 - all.x0);
    cr_assert_lt(fabs((double)vh / vw - ratio), 0.05, "viewBox %ld x %ld, area height/width %.3f", vw, vh, ratio);
    free(m);
    free(s);
    free(ids);
    free(html);
}

/* ---- nothing from outside, nobody's details ------------------------------------- */

Test(report, references_nothing_outside_itself, .init = setup, .timeout = 600)
{
    char *html = read_report(outdir, NULL);
    static const char *const banned[] = {"http://", "https://", "src=", "@import", "<link", "<script", "<img",
                                         "<iframe", "<object", "<embed", "=\"//", "file:", "javascript:"};
    for (size_t k = 0; k < sizeof banned / sizeof *banned; k++)
        cr_assert_null(strstr(html, banned[k]), "report.html contains %s", banned[k]);
    for (const char *p = strstr(html, "url("); p; p = strstr(p + 1, "url("))
        cr_assert_eq(p[4], '#', "an external url(): %.40s", p);
    for (const char *p = strstr(html, "href="); p; p = strstr(p + 1, "href="))
        cr_assert(!strncmp(p, "href=\"#", 7), "a link out: %.40s", p);
    free(html);
}

Test(report, shows_no_customer_id_or_name, .init = setup, .timeout = 600)
{
    char *html = read_report(outdir, NULL);
    gmt_csv c = gmt_csv_load(gmt_src("geodata/customers.csv"));
    size_t id = gmt_csv_col(&c, "customer_id"), name = gmt_csv_col(&c, "name");
    size_t ids = 0, names = 0;
    for (size_t r = 0; r < c.nrows; r++) {
        const char *v = c.cell[r][id];
        if (strlen(v) >= 3) {
            cr_assert_null(strstr(html, v), "customer id %s (customers.csv row %zu) appears in report.html", v, r + 2);
            ids++;
        }
        const char *n = c.cell[r][name];
        if (strlen(n) >= 5) {
            cr_assert_null(strstr(html, n), "customer name %s appears in report.html", n);
            names++;
        }
    }
    cr_assert_gt(ids, 700);
    cr_assert_gt(names, 700);
    gmt_csv_free(&c);
    free(html);
}

/* ---- hostile names, and the same bytes twice -------------------------------------- */

/* The sample's config in dir/name with its paths made absolute and extra
 * appended (a later key in a repeated section wins); ini receives the path. */
/* Copy src to dst with every `from` replaced by `to`; returns the count. */
static size_t copy_replacing(const char *src, const char *dst, const char *from, const char *to)
{
    char *text = gmt_slurp(src, NULL);
    cr_assert_not_null(text);
    FILE *f = fopen(dst, "wb");
    cr_assert_not_null(f);
    size_t n = 0;
    const char *p = text;
    for (const char *hit; (hit = strstr(p, from)) != NULL; p = hit + strlen(from), n++) {
        fwrite(p, 1, (size_t)(hit - p), f);
        fputs(to, f);
    }
    fputs(p, f);
    fclose(f);
    free(text);
    return n;
}

Test(report, escapes_markup_in_the_run_and_provider_names, .timeout = 900)
{
    const char *tmp = gmt_tmpdir("report-hostile");
    char dir[4096], ini[4200], provs[4200], provs2[4200], out[4200], extra[8400];
    snprintf(dir, sizeof dir, "%s", tmp);
    snprintf(provs2, sizeof provs2, "%s/providers-a.csv", dir);
    snprintf(provs, sizeof provs, "%s/providers.csv", dir);
    cr_assert_eq(copy_replacing(gmt_src("geodata/providers.csv"), provs2, "Examplshire Council Day Services",
                                "O'Neil & <Sons> Care"),
                 5);
    cr_assert_eq(copy_replacing(provs2, provs, "Kingsford Dementia Day Service", "<img src=x onerror=alert(2)>"), 1);
    /* Coarser catchment cells: this test is about names, not polygons.  GeoJSON
     * only, so the report reads the layers in WGS84 and brings them back to
     * British National Grid. */
    snprintf(extra, sizeof extra,
             "[run]\nname = <script>alert(1)</script>\nformats = geojson\n[providers]\nfile = %s\n"
             "[coverage]\ncell_m = 500\n",
             provs);
    gmt_sample_variant(ini, dir, "hostile.ini", NULL, extra);
    snprintf(out, sizeof out, "%s/out", dir);
    const char *in[] = {ini, provs};
    char *log = NULL;
    cr_assert(gmt_run_cached(GM_TEST_GAPMAP_EXE, ini, out, in, 2, &log), "gapmap run %s failed:\n%s", ini,
              log ? log : "");
    cJSON *s = gmt_read_json(gmt_out(out, "summary.json"));
    cr_assert_str_eq(cJSON_GetObjectItem(s, "run")->valuestring, "<script>alert(1)</script>");
    cJSON_Delete(s);
    char *html = read_report(out, NULL);
    cr_assert_null(strstr(html, "<script"), "the run name is not escaped");
    cr_assert_null(strstr(html, "<img"), "the site name is not escaped");
    cr_assert_null(strstr(html, "<Sons>"), "the provider name is not escaped");
    cr_assert_geq(count(html, "&lt;script&gt;alert(1)&lt;/script&gt;"), 3, "title, heading and footer");
    cr_assert_geq(count(html, "O&#39;Neil &amp; &lt;Sons&gt; Care"), 2, "providers table and map");
    cr_assert_geq(count(html, "&lt;img src=x onerror=alert(2)&gt;"), 1, "the site's tooltip on the map");

    /* Read from the GeoJSON, the zones and the sites land where the sample's
     * report (read from the shapefiles) puts them. */
    cr_assert_not_null(strstr(html, "zones.geojson"), "the report did not read the GeoJSON");
    char *sample = read_report(gmt_sample_run(GM_TEST_GAPMAP_EXE), NULL);
    cr_assert_eq(count(html, "<path class=\"zone\""), count(sample, "<path class=\"zone\""));
    size_t dots = 0;
    for (const char *a = strstr(html, "<circle cx="), *b = strstr(sample, "<circle cx="); a || b;
         a = strstr(a + 1, "<circle cx="), b = strstr(b + 1, "<circle cx=")) {
        cr_assert(a && b, "not the same number of sites on the maps");
        long ax, ay, bx, by;
        cr_assert_eq(sscanf(a, "<circle cx=\"%ld\" cy=\"%ld\"", &ax, &ay), 2);
        cr_assert_eq(sscanf(b, "<circle cx=\"%ld\" cy=\"%ld\"", &bx, &by), 2);
        cr_assert(labs(ax - bx) <= 1 && labs(ay - by) <= 1, "a site at %ld,%ld from the GeoJSON, %ld,%ld from the shapefile",
                  ax, ay, bx, by);
        dots++;
    }
    cr_assert_gt(dots, 50);
    free(sample);
    free(html);
}

Test(report, a_second_run_writes_the_same_bytes, .init = setup, .timeout = 900)
{
    const char *tmp = gmt_tmpdir("report-again");
    char out[4200], cmd[16384];
    snprintf(out, sizeof out, "%s/out", tmp);
    snprintf(cmd, sizeof cmd, "'%s' run '%s' --quiet --output '%s' >'%s.log' 2>&1", GM_TEST_GAPMAP_EXE,
             gmt_src("geodata/examplshire.ini"), out, out);
    cr_assert_eq(gmt_system(cmd), 0, "gapmap run failed: see %s.log", out);
    size_t a, b;
    char *x = read_report(outdir, &a), *y = read_report(out, &b);
    cr_assert_eq(a, b, "report.html is %zu bytes, then %zu", a, b);
    cr_assert_eq(memcmp(x, y, a), 0, "report.html differs between two runs");
    free(x);
    free(y);
}

/* ---- rendering -------------------------------------------------------------------- */

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

Test(report, renders_in_headless_chromium, .init = setup, .timeout = 600)
{
    const char *browser = NULL;
    if (gmt_system("command -v chromium >/dev/null 2>&1") == 0)
        browser = "chromium";
    else if (gmt_system("command -v chromium-browser >/dev/null 2>&1") == 0)
        browser = "chromium-browser";
    if (!browser)
        cr_skip_test("chromium is not installed (Debian package chromium, in scripts/deps-debian): the rendering "
                     "check of report.html is skipped");
    char png[4200], profile[4200], cmd[16384];
    snprintf(png, sizeof png, "%s/report.png", GM_TEST_BINARY_DIR);
    snprintf(profile, sizeof profile, "%s", gmt_tmpdir("report-chromium"));
    remove(png);
    /* Chromium prints harmless D-Bus complaints on stderr: only the PNG counts. */
    snprintf(cmd, sizeof cmd,
             "timeout 300 %s --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir='%s' "
             "--screenshot='%s' --window-size=1200,2400 'file://%s/shareable/report.html' >'%s.log' 2>&1",
             browser, profile, png, outdir, png);
    int rc = gmt_system(cmd);
    GDALDatasetH ds = GDALOpen(png, GA_ReadOnly);
    cr_assert_not_null(ds, "no screenshot %s (chromium exit %d; see %s.log)", png, rc, png);
    int w = GDALGetRasterXSize(ds), h = GDALGetRasterYSize(ds), nb = GDALGetRasterCount(ds);
    cr_assert_geq(nb, 3);
    cr_assert(w >= 1000 && h >= 2000, "screenshot %d x %d", w, h);
    size_t n = (size_t)w * (size_t)h;
    uint8_t *band[3];
    for (int b = 0; b < 3; b++) {
        band[b] = malloc(n);
        cr_assert_eq(GDALRasterIO(GDALGetRasterBand(ds, b + 1), GF_Read, 0, 0, w, h, band[b], w, h, GDT_Byte, 0, 0),
                     CE_None);
    }
    GDALClose(ds);
    uint32_t *px = malloc(n * sizeof *px);
    size_t ink = 0, darkred = 0, blue = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t r = band[0][i], g = band[1][i], b = band[2][i];
        px[i] = (uint32_t)r << 16 | (uint32_t)g << 8 | b;
        ink += r < 200 || g < 200 || b < 200;
        /* the worst class of the zones (#b30000) and the provider dots (#1f4e79) */
        darkred += abs(r - 0xb3) < 12 && g < 20 && b < 20;
        blue += abs(r - 0x1f) < 12 && abs(g - 0x4e) < 12 && abs(b - 0x79) < 12;
    }
    qsort(px, n, sizeof *px, cmp_u32);
    size_t distinct = n ? 1 : 0;
    for (size_t i = 1; i < n; i++)
        distinct += px[i] != px[i - 1];
    cr_log_info("report.png: %d x %d, %zu colours, %.1f%% ink, %zu dark red and %zu blue pixels", w, h, distinct,
                100.0 * (double)ink / (double)n, darkred, blue);
    cr_assert_gt(distinct, 20, "the screenshot has %zu colours: blank?", distinct);
    cr_assert_gt((double)ink, 0.05 * (double)n, "the screenshot is almost blank");
    cr_assert_gt(darkred, 500, "the coverage map's worst zones are not drawn");
    cr_assert_gt(blue, 200, "the headline figures and provider sites are not drawn");
    for (int b = 0; b < 3; b++)
        free(band[b]);
    free(px);
}

/* ---- gm__report_write on a tiny folder ------------------------------------------- */

/* A run by walking, 20 minutes, NHS suppression: a share and a count null,
 * no journeys or ranking section, no layers. */
static const char TINY_SUMMARY[] =
    "{\"run\": \"Tiny & <test>\", \"suppress_below\": 5, \"suppression\": \"nhs\",\n"
    " \"coverage\": {\"postcodes_in_area\": 120, \"customers\": 40, \"zone_count\": 3,\n"
    "  \"journey_time_statistics\": {\"walk\": {\"mean_minutes_to_nearest_suitable_site\": 17.26}},\n"
    "  \"coverage\": [{\"service\": \"any\", \"mode\": \"car\", \"minutes\": 20, \"postcodes_pct\": 99, \"customers_pct\": 98},\n"
    "               {\"service\": \"any\", \"mode\": \"walk\", \"minutes\": 20, \"postcodes_pct\": 50.5, \"customers_pct\": null}],\n"
    "  \"gaps\": {\"judged_by\": \"walk\", \"threshold_minutes\": 20, \"underserved_zones\": 1, \"gap_areas\": 1,\n"
    "           \"customers_unplaceable_within_threshold\": null}}}\n";

static const char TINY_ZONES[] = "zone_id,zone_name,customers,postcodes,near_walk_min,pc_near_walk_min,access,gap_id\n"
                                 "Z1,North,*,30,*,12.0,50.0,G001\n"
                                 "Z2,Middle,12,40,25.5,14.0,80.0,\n"
                                 "Z3,South,0,50,,9.0,90.0,\n"
                                 "Z4,East,20,40,31.0,18.0,70.0,\n";

static const char TINY_GAPS[] = "gap_id,rank,zones,n_zones,customers,postcodes,demand_out,unmet,excess_min,score,"
                                "nearest_sites,reasons\n"
                                "G001,1,Z1,1,*,30,*,*,4.5,,\"Hall <A> (S1, 3 min); Barn (S2, 9 min)\","
                                "no suitable site within the threshold\n";

static const char *tiny_folder(const char *tag)
{
    const char *dir = gmt_tmpdir(tag);
    cr_assert_not_null(dir);
    gmt_write(dir, "summary.json", TINY_SUMMARY);
    gmt_write(dir, "zones.csv", TINY_ZONES);
    gmt_write(dir, "gaps.csv", TINY_GAPS);
    return dir;
}

Test(report, a_folder_without_layers_gives_figures_and_tables_only)
{
    gm_ctx *ctx;
    cr_assert_eq(gm_ctx_new(&ctx), GM_OK);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", tiny_folder("report-tiny"));
    cr_assert_eq(gm__report_write(ctx, dir, GM__FMT_GEOJSON | GM__FMT_SHAPEFILE), GM_OK, "%s", gm_ctx_errmsg(ctx));
    char *html = read_report(dir, NULL);
    cr_assert_not_null(strstr(html, "<h1>Tiny &amp; &lt;test&gt;</h1>"));
    /* the share by walking within 20 minutes is entry 1, null: withheld */
    cr_assert_not_null(strstr(html, "data-summary=\"coverage.coverage.1.customers_pct\">withheld<"));
    cr_assert_not_null(strstr(html, "data-summary=\"coverage.coverage.1.postcodes_pct\">50.5%<"));
    cr_assert_not_null(strstr(html, "data-summary=\"coverage.gaps.customers_unplaceable_within_threshold\">withheld<"));
    cr_assert_not_null(strstr(html, "data-summary=\"coverage.journey_time_statistics.walk."
                                    "mean_minutes_to_nearest_suitable_site\">17.3 min<"));
    cr_assert_null(strstr(html, "coverage.coverage.0."), "the car entry is not the gap standard");
    /* NHS suppression: 1 to 7 withheld */
    cr_assert_not_null(strstr(html, "<td class=\"num\">fewer than 8</td>"));
    cr_assert_not_null(strstr(html, "rounded to the nearest 5"));
    cr_assert_not_null(strstr(html, "Hall &lt;A&gt; (S1, 3 min)<br>Barn (S2, 9 min)"));
    /* no pct_20 column: zones ranked by their customers' mean minutes, longest
     * first; the withheld zone is not ranked, the empty one has no figure */
    const char *e = strstr(html, "<td>East"), *m = strstr(html, "<td>Middle");
    cr_assert(e && m && e < m, "East (31 min) should come before Middle (25.5 min)");
    cr_assert_null(strstr(html, "<td>North"));
    cr_assert_null(strstr(html, "<td>South"));
    cr_assert_not_null(strstr(html, "1 zone with a withheld figure is not ranked"));
    /* absent sections and files */
    cr_assert_null(strstr(html, "id=\"journeys\""));
    cr_assert_null(strstr(html, "id=\"ranking\""));
    cr_assert_null(strstr(html, "id=\"providers\""));
    cr_assert_null(strstr(html, "<svg class=\"map\""));
    free(html);
    gm_ctx_free(ctx);
}

Test(report, a_missing_or_broken_summary_is_an_error)
{
    gm_ctx *ctx;
    cr_assert_eq(gm_ctx_new(&ctx), GM_OK);
    const char *dir = gmt_tmpdir("report-nosummary");
    char d[4096];
    snprintf(d, sizeof d, "%s", dir);
    cr_assert_eq(gm__report_write(ctx, d, GM__FMT_SHAPEFILE), GM_E_NOT_FOUND);
    cr_assert_not_null(strstr(gm_ctx_errmsg(ctx), "summary.json"), "%s", gm_ctx_errmsg(ctx));
    gmt_write(d, "summary.json", "{\"run\": ");
    cr_assert_eq(gm__report_write(ctx, d, GM__FMT_SHAPEFILE), GM_E_INPUT);
    cr_assert_str_eq(gmt_listing(d), "summary.json", "nothing written");
    gm_ctx_free(ctx);
}

Test(report, every_allocation_failure_is_clean)
{
    gm_ctx *ctx;
    cr_assert_eq(gm_ctx_new(&ctx), GM_OK);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", tiny_folder("report-nomem"));
    long n;
    for (n = 0;; n++) {
        gm__alloc_fail_after(n);
        gm_status st = gm__report_write(ctx, dir, GM__FMT_SHAPEFILE);
        gm__alloc_fail_after(-1);
        if (st == GM_OK)
            break;
        cr_assert_eq(st, GM_E_NOMEM, "allocation %ld: %s (%s)", n, gm_status_name(st), gm_ctx_errmsg(ctx));
        cr_assert_str_eq(gmt_listing(dir), "gaps.csv summary.json zones.csv", "allocation %ld left files", n);
    }
    cr_assert_gt(n, 20);
    cr_assert_str_eq(gmt_listing(dir), "gaps.csv report.html summary.json zones.csv");
    gm_ctx_free(ctx);
}
