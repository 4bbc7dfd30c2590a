/* The postcode directory on real open data in ../shared/data (skipped, with the
 * path, when a file is absent): OS Code-Point Open August 2014 for Rutland and
 * for the SN, SP and BA postcode areas, as published (headerless) and as
 * derived with WGS84 longitude/latitude.  Expected counts were reconciled by
 * hand with `wc -l` and the folders' SOURCE.txt before being written here. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gapmap/geocode.h"
#include "io/table.h"
#include "testutil.h"

static gm_ctx *new_ctx(void)
{
    gm_ctx *ctx = NULL;
    cr_assert_eq(gm_ctx_new(&ctx), GM_OK);
    return ctx;
}

static const char *shared_or_skip(const char *rel)
{
    const char *p = gmt_shared(rel);
    if (!p)
        cr_skip_test("real data not found: ../shared/data/%s (set GAPMAP_SHARED_DATA)", rel);
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s", p);
    return buf;
}

static void assert_counts_add_up(const gm_pcdir_stats *st)
{
    cr_assert_eq(st->rows_read, st->loaded + st->skipped_bad_postcode + st->skipped_no_coords +
                                    st->skipped_duplicate + st->skipped_outside_gb);
}

static void fail_on_skip(uint64_t line, const char *field, const char *value, const char *reason,
                         void *user)
{
    cr_assert_fail("%s line %llu: %s '%s' skipped: %s", (const char *)user,
                   (unsigned long long)line, field, value, reason);
}

/* A headerless Code-Point Open area file: postcode 1, eastings 3, northings 4. */
static gm_pcdir *load_raw_area(gm_ctx *ctx, const char *path)
{
    gm_pcdir_opts o;
    gm_pcdir_opts_init(&o);
    o.path = path;
    o.has_header = false;
    o.col_postcode = "1";
    o.col_x = "3";
    o.col_y = "4";
    gm_pcdir *dir = NULL;
    cr_assert_eq(gm_pcdir_load(ctx, &o, fail_on_skip, (void *)path, &dir), GM_OK, "%s",
                 gm_ctx_errmsg(ctx));
    return dir;
}

/* A derived Code-Point file (header postcode,pqi,easting,northing,...,lon,lat),
 * read either by its eastings/northings or by its longitude/latitude. */
static gm_pcdir *load_derived(gm_ctx *ctx, const char *path, bool lonlat)
{
    gm_pcdir_opts o;
    gm_pcdir_opts_init(&o);
    o.path = path;
    o.col_postcode = "postcode";
    o.col_x = lonlat ? "lon" : "easting";
    o.col_y = lonlat ? "lat" : "northing";
    o.col_area = "admin_district";
    if (lonlat)
        o.crs = "EPSG:4326";
    gm_pcdir *dir = NULL;
    cr_assert_eq(gm_pcdir_load(ctx, &o, fail_on_skip, (void *)path, &dir), GM_OK, "%s",
                 gm_ctx_errmsg(ctx));
    return dir;
}

/* Rutland's bounding box in BNG.  The file's own lon/lat extent, computed
 * with awk when this test was written, is -0.812126..-0.444145 E,
 * 52.532081..52.753111 N; its four corners through
 * `cs2cs -d 1 EPSG:4326 EPSG:27700` (latitude first) give 480675.8 293353.2,
 * 505636.1 293827.5, 480270.6 317938.8 and 505105.4 318412.1, whose envelope,
 * rounded outwards, is the box below.  (The brief's rough 478000..503000 E,
 * 296000..320000 N turned out to be shifted: real postcodes reach 505267 E and
 * 293457 N.)  The eastings/northings themselves span 480558..505267 E and
 * 293457..318218 N (awk over the file), checked exactly as well. */
#define RUTLAND_MIN_E 480270.0
#define RUTLAND_MAX_E 505637.0
#define RUTLAND_MIN_N 293353.0
#define RUTLAND_MAX_N 318413.0

Test(realdata_geocode, rutland_code_point_postcodes_all_load_inside_rutland)
{
    const char *path = shared_or_skip("rutland/postcodes_codepoint2014.csv");
    gm_ctx *ctx = new_ctx();
    gm_pcdir *dir = load_derived(ctx, path, false);
    const gm_pcdir_stats *st = gm_pcdir_get_stats(dir);
    /* `wc -l` gives 1,208 lines: the header and 1,207 postcodes (SOURCE.txt:
     * 1,207), none repeated (`cut -d, -f1 | sort | uniq -d` is empty). */
    cr_assert_eq(st->rows_read, 1207);
    cr_assert_eq(st->loaded, 1207);
    assert_counts_add_up(st);

    /* Walk the file again and look every postcode up. */
    gm__table *t = NULL;
    cr_assert_eq(gm__table_open(ctx, path, NULL, &t), GM_OK, "%s", gm_ctx_errmsg(ctx));
    int pc_col = gm__table_find(t, "postcode");
    double min_e = INFINITY, max_e = -INFINITY, min_n = INFINITY, max_n = -INFINITY;
    size_t n = 0;
    for (;;) {
        bool eof = false;
        cr_assert_eq(gm__table_next(t, &eof), GM_OK);
        if (eof)
            break;
        char pc[GM_POSTCODE_COMPACT_MAX];
        const char *raw = gm__table_get(t, (size_t)pc_col);
        cr_assert_eq(gm_postcode_normalise(raw, pc), GM_POSTCODE_OK, "%s", raw);
        gm_postcode_entry e;
        cr_assert(gm_pcdir_lookup(dir, pc, &e), "%s", pc);
        cr_assert(e.easting_m >= RUTLAND_MIN_E && e.easting_m <= RUTLAND_MAX_E &&
                      e.northing_m >= RUTLAND_MIN_N && e.northing_m <= RUTLAND_MAX_N,
                  "%s at %.0f %.0f is outside Rutland", pc, e.easting_m, e.northing_m);
        cr_assert_str_eq(e.area, "E06000017", "%s: Rutland's district code", pc);
        min_e = fmin(min_e, e.easting_m);
        max_e = fmax(max_e, e.easting_m);
        min_n = fmin(min_n, e.northing_m);
        max_n = fmax(max_n, e.northing_m);
        n++;
    }
    gm__table_close(t);
    cr_assert_eq(n, 1207);
    cr_assert_eq(min_e, 480558.0);
    cr_assert_eq(max_e, 505267.0);
    cr_assert_eq(min_n, 293457.0);
    cr_assert_eq(max_n, 318218.0);

    gm_postcode_entry e; /* the first row: LE15 0AQ, Oakham */
    cr_assert(gm_pcdir_lookup(dir, "LE150AQ", &e));
    cr_assert_eq(e.easting_m, 486137.0);
    cr_assert_eq(e.northing_m, 308843.0);
    gm_pcdir_free(dir);
    gm_ctx_free(ctx);
}

/* Raw area files: line counts from `wc -l` (each line one postcode, CRLF
 * ends, no header), matching SOURCE.txt. */
static const struct {
    const char *name;
    uint64_t rows;
} raw_files[] = {
    {"codepoint-2014/raw_area_files/sn.csv", 14010},
    {"codepoint-2014/raw_area_files/sp.csv", 8337},
    {"codepoint-2014/raw_area_files/ba.csv", 14823},
};
#define NRAW (sizeof raw_files / sizeof raw_files[0])

Test(realdata_geocode, raw_code_point_area_files_load_every_line)
{
    gm_ctx *ctx = new_ctx();
    for (size_t i = 0; i < NRAW; i++) {
        const char *path = shared_or_skip(raw_files[i].name);
        gm_pcdir *dir = load_raw_area(ctx, path);
        const gm_pcdir_stats *st = gm_pcdir_get_stats(dir);
        cr_assert_eq(st->rows_read, raw_files[i].rows, "%s", path);
        cr_assert_eq(st->loaded, raw_files[i].rows, "%s", path);
        assert_counts_add_up(st);
        gm_pcdir_free(dir);
    }
    gm_ctx_free(ctx);
}

/* Compare a derived file read by longitude/latitude with the raw area files'
 * eastings/northings, postcode by postcode.  The derived lon/lat were made
 * from those eastings/northings with PROJ's Helmert OSGB36-WGS84 (error up to
 * ~5 m, SOURCE.txt), and gapmap transforms back with PROJ, so the round trip
 * should agree to well within 10 m.  Rows whose postcode area has no raw file
 * here are compared with the derived file's own easting/northing columns. */
static void check_derived_against_raw(const char *derived_rel, uint64_t rows,
                                      uint64_t expect_in_raw)
{
    const char *dpath = shared_or_skip(derived_rel);
    char derived[4096];
    snprintf(derived, sizeof derived, "%s", dpath);
    gm_ctx *ctx = new_ctx();
    gm_pcdir *raw[NRAW];
    for (size_t i = 0; i < NRAW; i++)
        raw[i] = load_raw_area(ctx, shared_or_skip(raw_files[i].name));
    gm_pcdir *ll = load_derived(ctx, derived, true);
    gm_pcdir *en = load_derived(ctx, derived, false);
    cr_assert_eq(gm_pcdir_get_stats(ll)->loaded, rows);
    cr_assert_eq(gm_pcdir_get_stats(en)->loaded, rows);

    gm__table *t = NULL;
    cr_assert_eq(gm__table_open(ctx, derived, NULL, &t), GM_OK, "%s", gm_ctx_errmsg(ctx));
    int pc_col = gm__table_find(t, "postcode");
    uint64_t n = 0, in_raw = 0;
    double worst = 0.0;
    for (;;) {
        bool eof = false;
        cr_assert_eq(gm__table_next(t, &eof), GM_OK);
        if (eof)
            break;
        n++;
        char pc[GM_POSTCODE_COMPACT_MAX];
        const char *rawpc = gm__table_get(t, (size_t)pc_col);
        cr_assert_eq(gm_postcode_normalise(rawpc, pc), GM_POSTCODE_OK, "%s", rawpc);
        gm_postcode_entry from_ll, truth;
        cr_assert(gm_pcdir_lookup(ll, pc, &from_ll), "%s", pc);
        bool found = false;
        for (size_t i = 0; i < NRAW && !found; i++)
            found = gm_pcdir_lookup(raw[i], pc, &truth);
        if (found)
            in_raw++;
        else
            cr_assert(gm_pcdir_lookup(en, pc, &truth), "%s", pc);
        double d = hypot(from_ll.easting_m - truth.easting_m, from_ll.northing_m - truth.northing_m);
        cr_assert_lt(d, 10.0, "%s: %.1f m between its lon/lat and its easting/northing", pc, d);
        worst = fmax(worst, d);
    }
    gm__table_close(t);
    cr_assert_eq(n, rows);
    cr_assert_eq(in_raw, expect_in_raw);
    cr_log_info("%s: %llu postcodes, %llu in sn/sp/ba, worst lon/lat round trip %.2f m",
                derived_rel, (unsigned long long)n, (unsigned long long)in_raw, worst);
    for (size_t i = 0; i < NRAW; i++)
        gm_pcdir_free(raw[i]);
    gm_pcdir_free(ll);
    gm_pcdir_free(en);
    gm_ctx_free(ctx);
}

/* Wiltshire + Swindon: 21,386 postcodes (SOURCE.txt; `wc -l` 21,387 with the
 * header).  All but 57 are in the SN, SP and BA areas: SOURCE.txt lists 18 GL,
 * 37 RG and 2 SO rows, whose area files are not in the folder (`cut -c1-2 |
 * sort | uniq -c` agrees: BA 3,540, SN 13,203, SP 4,586), so 21,329 are found
 * in the union of the raw files. */
Test(realdata_geocode, wiltshire_lonlat_agrees_with_raw_eastings_northings)
{
    check_derived_against_raw("codepoint-2014/derived_wgs84/wiltshire_E06000054_swindon_E06000030.csv",
                              21386, 21386 - 57);
}

/* Isle of Wight: listed in SOURCE.txt (5,061 postcodes, PO30-PO41) but not
 * always shipped.  No PO raw file here, so it is checked against its own
 * eastings/northings. */
Test(realdata_geocode, isle_of_wight_lonlat_agrees_with_its_eastings_northings)
{
    check_derived_against_raw("codepoint-2014/derived_wgs84/isle_of_wight_E06000046.csv", 5061, 0);
}

/* Every real postcode we have passes gm_postcode_normalise(), including the
 * inward-letter rule (no C, I, K, M, O or V): all of Code-Point Open's SN, SP,
 * BA and BS areas and the derived county files (2014), and a Feb 2025 ONSPD
 * extract for Trafford.  Files that are absent are left out, not failed; the
 * test skips only if none is there. */
Test(realdata_geocode, every_real_postcode_normalises)
{
    static const struct {
        const char *name;
        bool header;
        const char *col;
    } files[] = {
        {"codepoint-2014/raw_area_files/sn.csv", false, "1"},
        {"codepoint-2014/raw_area_files/sp.csv", false, "1"},
        {"codepoint-2014/raw_area_files/ba.csv", false, "1"},
        {"codepoint-2014/raw_area_files/bs.csv", false, "1"},
        {"codepoint-2014/derived_wgs84/wiltshire_E06000054_swindon_E06000030.csv", true, "postcode"},
        {"codepoint-2014/derived_wgs84/bristol_E06000023_banes_E06000022_sglos_E06000025.csv", true,
         "postcode"},
        {"codepoint-2014/derived_wgs84/leeds_E08000035.csv", true, "postcode"},
        {"rutland/postcodes_codepoint2014.csv", true, "postcode"},
        {"trafford/spatial_data/postcodes/trafford_postcodes_onspd_feb2025.csv", true, "postcode"},
    };
    gm_ctx *ctx = new_ctx();
    size_t nfiles = 0;
    uint64_t total = 0;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        const char *path = gmt_shared(files[i].name);
        if (!path)
            continue;
        gm__table_opts topts;
        gm__table_opts_init(&topts);
        topts.has_header = files[i].header;
        gm__table *t = NULL;
        cr_assert_eq(gm__table_open(ctx, path, &topts, &t), GM_OK, "%s", gm_ctx_errmsg(ctx));
        int col = gm__table_find(t, files[i].col);
        cr_assert_geq(col, 0, "%s: no column %s", path, files[i].col);
        for (;;) {
            bool eof = false;
            cr_assert_eq(gm__table_next(t, &eof), GM_OK, "%s", gm_ctx_errmsg(ctx));
            if (eof)
                break;
            const char *raw = gm__table_get(t, (size_t)col);
            char pc[GM_POSTCODE_COMPACT_MAX];
            gm_postcode_check c = gm_postcode_normalise(raw, pc);
            cr_assert_eq(c, GM_POSTCODE_OK, "%s line %llu: '%s': %s", files[i].name,
                         (unsigned long long)gm__table_rowref(t), raw, gm_postcode_check_str(c));
            total++;
        }
        gm__table_close(t);
        nfiles++;
    }
    gm_ctx_free(ctx);
    if (nfiles == 0)
        cr_skip_test("real data not found: none of the postcode files under ../shared/data");
    cr_log_info("%llu postcodes in %zu files normalise", (unsigned long long)total, nfiles);
}
