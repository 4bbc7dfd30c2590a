/* The table reader (engine/io/table.c) on real files: CSV features as a user
 * meets them (headers, blank lines, encodings, errors that name the line), a
 * file bigger than one read chunk, and GeoJSON/GeoPackage layers through OGR.
 * Fixtures are written by each test into its own temporary folder. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "io/csv.h"
#include "io/table.h"
#include "testutil.h"

static gm_ctx *ctx;

static void setup(void)
{
    cr_assert_eq(gm_ctx_new(&ctx), GM_OK);
}

static void teardown(void)
{
    gm_ctx_free(ctx);
    ctx = NULL;
}

TestSuite(table, .init = setup, .fini = teardown);

static gm__table *open_ok(const char *path, const gm__table_opts *opts)
{
    gm__table *t = NULL;
    gm_status st = gm__table_open(ctx, path, opts, &t);
    cr_assert_eq(st, GM_OK, "%s: %s", gm_status_name(st), gm_ctx_errmsg(ctx));
    return t;
}

static void next_ok(gm__table *t)
{
    bool eof = true;
    gm_status st = gm__table_next(t, &eof);
    cr_assert_eq(st, GM_OK, "%s", gm_ctx_errmsg(ctx));
    cr_assert_not(eof, "expected another row");
}

static void expect_eof(gm__table *t)
{
    bool eof = false;
    cr_assert_eq(gm__table_next(t, &eof), GM_OK, "%s", gm_ctx_errmsg(ctx));
    cr_assert(eof, "expected the end, got line %llu", (unsigned long long)gm__table_rowref(t));
}

Test(table, header_names_are_trimmed_and_found_case_insensitively)
{
    const char *dir = gmt_tmpdir("table-hdr");
    const char *path =
        gmt_write(dir, "sites.csv", " Name , Postcode,places,name\nA,LE15 6AB,12,dup\n");
    gm__table *t = open_ok(path, NULL);
    cr_assert_eq(gm__table_ncols(t), 4);
    cr_assert_str_eq(gm__table_colname(t, 0), "Name");
    cr_assert_str_eq(gm__table_colname(t, 1), "Postcode");
    cr_assert_null(gm__table_colname(t, 4));
    cr_assert_eq(gm__table_find(t, "postcode"), 1);
    cr_assert_eq(gm__table_find(t, "  PLACES "), 2);
    cr_assert_eq(gm__table_find(t, "name"), 0, "duplicates: the first wins");
    cr_assert_eq(gm__table_find(t, "nam"), -1);
    cr_assert_eq(gm__table_find(t, "lsoa"), -1);
    cr_assert_str_eq(gm__table_rowword(t), "line");
    next_ok(t);
    cr_assert_str_eq(gm__table_get(t, 0), "A");
    cr_assert_str_eq(gm__table_get(t, 3), "dup");
    cr_assert_eq(gm__table_rowref(t), 2);
    cr_assert_not(gm__table_point(t, &(double){0}, &(double){0}));
    cr_assert_null(gm__table_crs(t));
    expect_eof(t);
    gm__table_close(t);
}

Test(table, crlf_bom_and_quoted_newlines_keep_physical_line_numbers)
{
    const char *dir = gmt_tmpdir("table-lines");
    const char *path = gmt_write(dir, "notes.CSV",
                                 "\xEF\xBB\xBFid,note\r\n"
                                 "1,\"first\r\nsecond \"\"quoted\"\"\"\r\n"
                                 "2,plain\r\n"
                                 "3,\"a, b\"");
    gm__table *t = open_ok(path, NULL);
    cr_assert_str_eq(gm__table_colname(t, 0), "id", "the BOM is not part of the name");
    next_ok(t);
    cr_assert_eq(gm__table_rowref(t), 2);
    cr_assert_str_eq(gm__table_get(t, 1), "first\r\nsecond \"quoted\"");
    next_ok(t);
    cr_assert_eq(gm__table_rowref(t), 4, "the quoted field took lines 2 and 3");
    cr_assert_str_eq(gm__table_get(t, 1), "plain");
    next_ok(t);
    cr_assert_eq(gm__table_rowref(t), 5);
    cr_assert_str_eq(gm__table_get(t, 1), "a, b");
    expect_eof(t);
    cr_assert_eq(gm__table_progress_done(t), gm__table_progress_total(t));
    gm__table_close(t);
}

Test(table, blank_lines_are_skipped_but_still_counted)
{
    const char *dir = gmt_tmpdir("table-blank");
    const char *path = gmt_write(dir, "b.csv", "\n\na,b\n1,2\n\n,\n\r\n3,4\n\n\n");
    gm__table *t = open_ok(path, NULL);
    cr_assert_str_eq(gm__table_colname(t, 0), "a", "leading blank lines are not the header");
    next_ok(t);
    cr_assert_eq(gm__table_rowref(t), 4);
    next_ok(t);
    cr_assert_eq(gm__table_rowref(t), 8);
    cr_assert_str_eq(gm__table_get(t, 1), "4");
    expect_eof(t);
    gm__table_close(t);
}

Test(table, ragged_rows_read_as_empty_beyond_their_end)
{
    const char *dir = gmt_tmpdir("table-ragged");
    const char *path = gmt_write(dir, "r.csv", "a,b,c\n1\n1,2,3,4\n");
    gm__table *t = open_ok(path, NULL);
    next_ok(t);
    cr_assert_eq(gm__table_nfields(t), 1);
    cr_assert_str_eq(gm__table_get(t, 0), "1");
    cr_assert_str_eq(gm__table_get(t, 2), "");
    next_ok(t);
    cr_assert_eq(gm__table_nfields(t), 4);
    cr_assert_str_eq(gm__table_get(t, 3), "4");
    expect_eof(t);
    gm__table_close(t);
}

Test(table, headerless_columns_are_numbered_and_first_row_is_data)
{
    /* the layout of OS Code-Point Open's area files */
    const char *dir = gmt_tmpdir("table-nohdr");
    const char *path = gmt_write(dir, "le.csv",
                                 "\"LE15 6AB\",10,486000,308000\n"
                                 "\"LE15 6AD\",10,486100,308050\n");
    gm__table_opts o;
    gm__table_opts_init(&o);
    o.has_header = false;
    gm__table *t = open_ok(path, &o);
    cr_assert_eq(gm__table_ncols(t), 4);
    cr_assert_str_eq(gm__table_colname(t, 2), "3");
    cr_assert_eq(gm__table_find(t, "3"), 2);
    cr_assert_eq(gm__table_find(t, "5"), -1);
    next_ok(t);
    cr_assert_eq(gm__table_rowref(t), 1);
    cr_assert_str_eq(gm__table_get(t, 0), "LE15 6AB");
    next_ok(t);
    cr_assert_eq(gm__table_rowref(t), 2);
    cr_assert_str_eq(gm__table_get(t, 3), "308050");
    expect_eof(t);
    gm__table_close(t);
}

Test(table, tsv_files_are_tab_separated)
{
    const char *dir = gmt_tmpdir("table-tsv");
    const char *path = gmt_write(dir, "p.tsv", "name\tpostcode\nSmith, J\tLE15 6AB\n");
    gm__table *t = open_ok(path, NULL);
    cr_assert_eq(gm__table_ncols(t), 2);
    next_ok(t);
    cr_assert_str_eq(gm__table_get(t, 0), "Smith, J");
    gm__table_close(t);
}

Test(table, cp1252_files_are_recoded_when_the_config_says_so)
{
    const char *dir = gmt_tmpdir("table-cp1252");
    const char *path = gmt_write(dir, "w.csv", "name,town\nSi\xe2n,Glynd\xfbr\n");
    gm__table_opts o;
    gm__table_opts_init(&o);
    o.encoding = "windows-1252";
    gm__table *t = open_ok(path, &o);
    next_ok(t);
    cr_assert_str_eq(gm__table_get(t, 0), "Si\xc3\xa2n");
    cr_assert_str_eq(gm__table_get(t, 1), "Glynd\xc3\xbbr");
    gm__table_close(t);
}

Test(table, invalid_utf8_names_file_line_and_column)
{
    const char *dir = gmt_tmpdir("table-utf8");
    const char *path = gmt_write(dir, "w.csv", "name,town\nA,Oakham\nSi\xe2n,Glyndwr\n");
    gm__table *t = open_ok(path, NULL);
    next_ok(t);
    bool eof;
    cr_assert_eq(gm__table_next(t, &eof), GM_E_INPUT);
    const char *msg = gm_ctx_errmsg(ctx);
    cr_assert(strstr(msg, "w.csv line 3, column 'name': the text is not valid UTF-8"), "%s", msg);
    cr_assert(strstr(msg, "`encoding = CP1252`"), "%s", msg);
    gm__table_close(t);
}

Test(table, unknown_encoding_is_a_config_error)
{
    const char *dir = gmt_tmpdir("table-enc");
    const char *path = gmt_write(dir, "e.csv", "a\n1\n");
    gm__table_opts o;
    gm__table_opts_init(&o);
    o.encoding = "EBCDIC";
    gm__table *t = NULL;
    cr_assert_eq(gm__table_open(ctx, path, &o, &t), GM_E_CONFIG);
    cr_assert_null(t);
    cr_assert(strstr(gm_ctx_errmsg(ctx), "encoding 'EBCDIC' is not supported"));
}

Test(table, unclosed_quote_error_gives_the_line)
{
    const char *dir = gmt_tmpdir("table-quote");
    const char *path = gmt_write(dir, "q.csv", "id,name\n1,\"Smith\n2,Jones\n");
    gm__table *t = open_ok(path, NULL);
    bool eof;
    cr_assert_eq(gm__table_next(t, &eof), GM_E_INPUT);
    char want[4200];
    snprintf(want, sizeof want,
             "%s line 2: a quoted field is never closed (check for a stray \" character)", path);
    cr_assert_str_eq(gm_ctx_errmsg(ctx), want);
    gm__table_close(t);
}

/* Parameters are copied into Criterion's worker processes, so they hold their
 * text rather than pointers into this one. */
struct missing_case {
    char name[32];
};

ParameterizedTestParameters(table, missing_file_is_not_found_with_advice)
{
    static struct missing_case cases[] = {{"nope.csv"}, {"nope.gpkg"}, {"nope.geojson"}};
    return cr_make_param_array(struct missing_case, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(struct missing_case *tc, table, missing_file_is_not_found_with_advice)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", gmt_tmpdir("table-missing"), tc->name);
    gm__table *t = NULL;
    cr_assert_eq(gm__table_open(ctx, path, NULL, &t), GM_E_NOT_FOUND);
    cr_assert_null(t);
    char want[4400];
    snprintf(want, sizeof want,
             "%s: file not found (check the path in the config; paths are relative to the "
             "config file)",
             path);
    cr_assert_str_eq(gm_ctx_errmsg(ctx), want);
}

struct empty_case {
    char text[16];
    bool has_header;
};

ParameterizedTestParameters(table, empty_file_is_an_input_error)
{
    static struct empty_case cases[] = {
        {"", true}, {"\xEF\xBB\xBF", true}, {"\n\r\n,,\n", true}, {"", false},
    };
    return cr_make_param_array(struct empty_case, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(struct empty_case *tc, table, empty_file_is_an_input_error)
{
    const char *path = gmt_write(gmt_tmpdir("table-empty"), "empty.csv", tc->text);
    gm__table_opts o;
    gm__table_opts_init(&o);
    o.has_header = tc->has_header;
    gm__table *t = NULL;
    cr_assert_eq(gm__table_open(ctx, path, &o, &t), GM_E_INPUT);
    cr_assert_null(t);
    cr_assert(strstr(gm_ctx_errmsg(ctx), "empty.csv is empty"), "%s", gm_ctx_errmsg(ctx));
}

/* A file of ~3 read chunks where a quoted field with a newline and an escaped
 * quote straddles the first chunk boundary: the row count, the field and the
 * line numbers after it must come out as if there were no boundary. */
Test(table, field_spanning_the_read_chunk_boundary_is_whole)
{
    size_t cap = 3 * GM__CSV_CHUNK;
    char *text = malloc(cap + 1);
    cr_assert_not_null(text);
    size_t n = (size_t)sprintf(text, "id,note,code\n");
    unsigned rows = 0;
    /* 20 bytes per row, so the special row's field starts 10 bytes before the boundary */
    while (n + 20 < GM__CSV_CHUNK - 10) {
        n += (size_t)sprintf(text + n, "%06u,plain row,ABC\n", rows);
        rows++;
    }
    n += (size_t)sprintf(text + n, "%06u,", rows++);
    size_t field_at = n;
    n += (size_t)sprintf(text + n, "\"across the \"\"boundary\"\"\nsecond line\",XYZ\n");
    cr_assert_lt(field_at, GM__CSV_CHUNK);
    cr_assert_gt(n, GM__CSV_CHUNK + 10);
    while (n + 20 < cap) {
        n += (size_t)sprintf(text + n, "%06u,plain row,DEF\n", rows);
        rows++;
    }
    const char *dir = gmt_tmpdir("table-big");
    const char *path = gmt_write(dir, "big.csv", text);
    free(text);

    gm__table *t = open_ok(path, NULL);
    bool eof = false;
    unsigned seen = 0;
    int code = gm__table_find(t, "code");
    while (gm__table_next(t, &eof) == GM_OK && !eof) {
        uint64_t line = gm__table_rowref(t);
        const char *note = gm__table_get(t, 1);
        if (strcmp(gm__table_get(t, (size_t)code), "XYZ") == 0) {
            cr_assert_str_eq(note, "across the \"boundary\"\nsecond line");
            cr_assert_eq(line, seen + 2);
        } else {
            cr_assert_str_eq(note, "plain row");
            uint64_t expect = seen + 2;
            if (strcmp(gm__table_get(t, (size_t)code), "DEF") == 0)
                expect++; /* the special row took two lines */
            cr_assert_eq(line, expect, "row %u", seen);
        }
        seen++;
    }
    cr_assert(eof, "%s", gm_ctx_errmsg(ctx));
    cr_assert_eq(seen, rows);
    cr_assert_eq(gm__table_progress_done(t), gm__table_progress_total(t));
    gm__table_close(t);
}

static const char *write_geojson(const char *dir)
{
    return gmt_write(dir, "sites.geojson",
                     "{\"type\":\"FeatureCollection\",\"features\":[\n"
                     "{\"type\":\"Feature\","
                     "\"properties\":{\"name\":\"Oakham Day Centre\",\"places\":12},"
                     "\"geometry\":{\"type\":\"Point\",\"coordinates\":[-0.7275,52.6705]}},\n"
                     "{\"type\":\"Feature\","
                     "\"properties\":{\"name\":\"Uppingham\",\"places\":null},"
                     "\"geometry\":{\"type\":\"Point\",\"coordinates\":[-0.7231,52.5873]}},\n"
                     "{\"type\":\"Feature\","
                     "\"properties\":{\"name\":\"Rutland Water\",\"places\":0},"
                     "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":"
                     "[[[-0.7,52.6],[-0.6,52.6],[-0.6,52.7],[-0.7,52.6]]]}}\n"
                     "]}\n");
}

Test(table, geojson_points_and_crs_come_through_ogr)
{
    const char *path = write_geojson(gmt_tmpdir("table-geojson"));
    gm__table *t = open_ok(path, NULL);
    cr_assert_str_eq(gm__table_rowword(t), "feature");
    cr_assert_eq(gm__table_ncols(t), 2);
    cr_assert_eq(gm__table_find(t, "PLACES"), 1);
    cr_assert_str_eq(gm__table_crs(t), "EPSG:4326");
    cr_assert_eq(gm__table_progress_total(t), 3);

    double x = 0, y = 0;
    next_ok(t);
    cr_assert_eq(gm__table_rowref(t), 1);
    cr_assert_str_eq(gm__table_get(t, 0), "Oakham Day Centre");
    cr_assert_str_eq(gm__table_get(t, 1), "12");
    cr_assert(gm__table_point(t, &x, &y));
    cr_assert_float_eq(x, -0.7275, 1e-12, "x is the longitude");
    cr_assert_float_eq(y, 52.6705, 1e-12);
    next_ok(t);
    cr_assert_str_eq(gm__table_get(t, 1), "", "null reads as empty");
    cr_assert_str_eq(gm__table_get(t, 7), "");
    next_ok(t);
    cr_assert_eq(gm__table_rowref(t), 3);
    cr_assert_not(gm__table_point(t, &x, &y), "a polygon is not a point");
    expect_eof(t);
    cr_assert_eq(gm__table_progress_done(t), 3);
    gm__table_close(t);
}

/* A two-layer GeoPackage in British National Grid, made with the GDAL API. */
static const char *write_gpkg(const char *dir)
{
    static char path[4200];
    snprintf(path, sizeof path, "%s/sites.gpkg", dir);
    GDALAllRegister();
    GDALDriverH drv = GDALGetDriverByName("GPKG");
    cr_assert_not_null(drv);
    GDALDatasetH ds = GDALCreate(drv, path, 0, 0, 0, GDT_Unknown, NULL);
    cr_assert_not_null(ds);
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    cr_assert_eq(OSRImportFromEPSG(srs, 27700), OGRERR_NONE);
    OGRLayerH other = GDALDatasetCreateLayer(ds, "zones", srs, wkbPolygon, NULL);
    cr_assert_not_null(other);
    OGRLayerH l = GDALDatasetCreateLayer(ds, "sites", srs, wkbPoint, NULL);
    cr_assert_not_null(l);
    OGRFieldDefnH fd = OGR_Fld_Create("code", OFTString);
    cr_assert_eq(OGR_L_CreateField(l, fd, TRUE), OGRERR_NONE);
    OGR_Fld_Destroy(fd);
    fd = OGR_Fld_Create("places", OFTInteger);
    cr_assert_eq(OGR_L_CreateField(l, fd, TRUE), OGRERR_NONE);
    OGR_Fld_Destroy(fd);
    static const struct { const char *code; int places; double x, y; } rows[] = {
        {"S1", 12, 486000.5, 308000.25},
        {"S2", 7, 485000, 300000},
    };
    for (size_t i = 0; i < 2; i++) {
        OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(l));
        OGR_F_SetFieldString(f, 0, rows[i].code);
        OGR_F_SetFieldInteger(f, 1, rows[i].places);
        OGRGeometryH g = OGR_G_CreateGeometry(wkbPoint);
        OGR_G_SetPoint_2D(g, 0, rows[i].x, rows[i].y);
        OGR_F_SetGeometryDirectly(f, g);
        cr_assert_eq(OGR_L_CreateFeature(l, f), OGRERR_NONE);
        OGR_F_Destroy(f);
    }
    OSRDestroySpatialReference(srs);
    GDALClose(ds);
    return path;
}

Test(table, geopackage_layer_is_chosen_by_name)
{
    const char *path = write_gpkg(gmt_tmpdir("table-gpkg"));
    gm__table_opts o;
    gm__table_opts_init(&o);
    o.layer = "sites";
    gm__table *t = open_ok(path, &o);
    cr_assert_str_eq(gm__table_crs(t), "EPSG:27700");
    cr_assert_eq(gm__table_find(t, "places"), 1);
    next_ok(t);
    double x, y;
    cr_assert(gm__table_point(t, &x, &y));
    cr_assert_float_eq(x, 486000.5, 1e-9);
    cr_assert_float_eq(y, 308000.25, 1e-9);
    /* the contract: a field stays valid until the next row, even after reading
     * another field (OGR formats numbers into a buffer it reuses) */
    const char *code = gm__table_get(t, 0);
    const char *places = gm__table_get(t, 1);
    cr_assert_str_eq(code, "S1");
    cr_assert_str_eq(places, "12");
    next_ok(t);
    cr_assert_str_eq(gm__table_get(t, 1), "7");
    expect_eof(t);
    gm__table_close(t);
}

Test(table, unknown_layer_lists_the_layers_there_are)
{
    const char *path = write_gpkg(gmt_tmpdir("table-gpkg-layer"));
    gm__table_opts o;
    gm__table_opts_init(&o);
    o.layer = "providers";
    gm__table *t = NULL;
    cr_assert_eq(gm__table_open(ctx, path, &o, &t), GM_E_INPUT);
    cr_assert_null(t);
    const char *msg = gm_ctx_errmsg(ctx);
    cr_assert(strstr(msg, "no layer named 'providers' (it has: "), "%s", msg);
    cr_assert(strstr(msg, "sites") && strstr(msg, "zones"), "%s", msg);
}

Test(table, unreadable_file_reports_gdal_message_without_printing)
{
    const char *path = gmt_write(gmt_tmpdir("table-bad"), "bad.geojson", "{\"type\": \"Feat");
    gm__table *t = NULL;
    gm_status st = gm__table_open(ctx, path, NULL, &t);
    cr_assert_eq(st, GM_E_INPUT, "%s", gm_status_name(st));
    cr_assert_null(t);
    cr_assert(strstr(gm_ctx_errmsg(ctx), "bad.geojson: not a table or vector file GDAL can read"),
              "%s", gm_ctx_errmsg(ctx));
}

/* Open and read a whole table; the status of the first failure. */
static gm_status read_all(const char *path, const gm__table_opts *o, size_t *rows)
{
    gm__table *t = NULL;
    gm_status st = gm__table_open(ctx, path, o, &t);
    if (st != GM_OK)
        return st;
    bool eof = false;
    *rows = 0;
    while ((st = gm__table_next(t, &eof)) == GM_OK && !eof)
        (*rows)++;
    gm__table_close(t);
    return st;
}

/* Fail the Nth allocation for N = 0, 1, ... until a run needs no more than it
 * was allowed; every failing run must end in GM_E_NOMEM (leaks are caught by
 * the ASan build). */
static void walk_allocations(const char *path, const gm__table_opts *o, size_t want_rows)
{
    for (long fail = 0;; fail++) {
        cr_assert_lt(fail, 10000, "no run succeeded");
        size_t rows = 0;
        unsigned long before = gm__alloc_count();
        gm__alloc_fail_after(fail);
        gm_status st = read_all(path, o, &rows);
        gm__alloc_fail_after(-1);
        unsigned long used = gm__alloc_count() - before;
        if (st == GM_OK) {
            cr_assert_leq(used, (unsigned long)fail, "an allocation failure was ignored");
            cr_assert_eq(rows, want_rows);
            return;
        }
        cr_assert_eq(st, GM_E_NOMEM, "allocation %ld: %s: %s", fail, gm_status_name(st),
                     gm_ctx_errmsg(ctx));
    }
}

Test(table, every_allocation_failure_is_a_clean_nomem_csv)
{
    const char *dir = gmt_tmpdir("table-nomem");
    const char *path = gmt_write(dir, "n.csv", "name,town\n\nSi\xe2n,Glynd\xfbr\nA,B\n");
    gm__table_opts o;
    gm__table_opts_init(&o);
    o.encoding = "cp1252";
    walk_allocations(path, &o, 2);
    o.has_header = false;
    o.encoding = NULL;
    path = gmt_write(dir, "h.csv", "1,2,3\n4,5,6\n");
    walk_allocations(path, &o, 2);
}

Test(table, every_allocation_failure_is_a_clean_nomem_ogr)
{
    const char *path = write_geojson(gmt_tmpdir("table-nomem-ogr"));
    walk_allocations(path, NULL, 3);
}
