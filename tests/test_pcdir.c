/* The postcode directory: loading ONSPD-like and Code-Point-like files written
 * by the tests, the skip reasons and counts, CRS handling, look-ups,
 * suggestions, errors a user can act on, and clean failure at every
 * allocation. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "gapmap/geocode.h"
#include "testutil.h"

/* An ONSPD-shaped fixture (the real ONSPD has ~50 columns; these are the ones
 * gapmap reads plus neighbours).  Line by line:
 *  2  SN1 1AE  live, LSOA E01015480
 *  3  SN101AE  live (7-character pcd form)
 *  4  SN1 1AF  terminated May 2012, same LSOA as line 2
 *  5  SN1 1AG  no grid reference: blank oseast1m/osnrth1m, osgrdind 9
 *  6  SN1 1AE  duplicate of line 2
 *  7  SN1 #AE  malformed postcode
 *  8  SN1 1AH  easting far outside Great Britain
 *  9  SN2 1AA  live
 * 10  SN2 1AA  duplicate of line 9 (after skipped rows: checks line tracking)
 * 11  SN2 1AB  a quoted msoa21 field spanning lines 11-12
 * 13  SN2 1AB  duplicate of line 11
 * 14  SN101AE  duplicate of line 3 */
static const char ONSPD[] =
    "pcd,pcds,dointr,doterm,oseast1m,osnrth1m,osgrdind,lsoa21,msoa21,lat,long\n"
    "SN1 1AE,SN1 1AE,198001,,415122,185189,1,E01015480,E02003196,51.559,-1.781\n"
    "SN101AE,SN10 1AE,198001,,400610,161380,1,E01031964,E02006525,51.350,-1.995\n"
    "SN1 1AF,SN1 1AF,198001,201205,415100,185200,1,E01015480,E02003196,51.559,-1.781\n"
    "SN1 1AG,SN1 1AG,198001,,,,9,,,99.999999,0.000000\n"
    "SN1 1AE,SN1 1AE,198001,,415122,185189,1,E01015480,E02003196,51.559,-1.781\n"
    "SN1 #AE,SN1 #AE,198001,,415122,185189,1,E01015480,E02003196,51.559,-1.781\n"
    "SN1 1AH,SN1 1AH,198001,,9999999,185189,1,E01015480,E02003196,51.559,-1.781\n"
    "SN2 1AA,SN2 1AA,198001,,415000,186000,1,E01015481,E02003196,51.566,-1.783\n"
    "\"SN2 1AA\",SN2 1AA,198001,,415000,186000,1,E01015481,E02003196,51.566,-1.783\n"
    "SN2 1AB,SN2 1AB,198001,,415010,186010,1,E01015481,\"E0200\n3196\",51.566,-1.783\n"
    "SN2 1AB,SN2 1AB,198001,,415010,186010,1,E01015481,E02003196,51.566,-1.783\n"
    "SN101AE,SN10 1AE,198001,,400610,161380,1,E01031964,E02006525,51.350,-1.995\n";

typedef struct skip_rec {
    uint64_t line;
    char field[32];
    char value[64];
    char reason[200];
} skip_rec;

typedef struct skips {
    skip_rec rec[32];
    size_t n;
} skips;

static void collect_skip(uint64_t line, const char *field, const char *value, const char *reason,
                         void *user)
{
    skips *s = user;
    cr_assert_lt(s->n, 32);
    skip_rec *r = &s->rec[s->n++];
    r->line = line;
    snprintf(r->field, sizeof r->field, "%s", field ? field : "(null)");
    snprintf(r->value, sizeof r->value, "%s", value ? value : "(null)");
    snprintf(r->reason, sizeof r->reason, "%s", reason ? reason : "(null)");
}

static const skip_rec *skip_on_line(const skips *s, uint64_t line)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->rec[i].line == line)
            return &s->rec[i];
    cr_assert_fail("no skip reported for line %llu", (unsigned long long)line);
    return NULL;
}

static void onspd_opts(gm_pcdir_opts *o, const char *path)
{
    gm_pcdir_opts_init(o);
    o->path = path;
    o->col_postcode = "pcd";
    o->col_x = "oseast1m";
    o->col_y = "osnrth1m";
    o->col_terminated = "doterm";
    o->col_area = "lsoa21";
}

static void assert_counts_add_up(const gm_pcdir_stats *st)
{
    cr_assert_eq(st->rows_read, st->loaded + st->skipped_bad_postcode + st->skipped_no_coords +
                                    st->skipped_duplicate + st->skipped_outside_gb);
}

static gm_ctx *new_ctx(void)
{
    gm_ctx *ctx = NULL;
    cr_assert_eq(gm_ctx_new(&ctx), GM_OK);
    return ctx;
}

Test(pcdir, loads_an_onspd_file_and_reports_every_skip)
{
    gm_ctx *ctx = new_ctx();
    const char *path = gmt_write(gmt_tmpdir("pcdir"), "onspd.csv", ONSPD);
    gm_pcdir_opts o;
    onspd_opts(&o, path);
    skips s = {0};
    gm_pcdir *dir = NULL;
    cr_assert_eq(gm_pcdir_load(ctx, &o, collect_skip, &s, &dir), GM_OK, "%s", gm_ctx_errmsg(ctx));

    const gm_pcdir_stats *st = gm_pcdir_get_stats(dir);
    cr_assert_eq(st->rows_read, 12); /* 13 physical data lines, one record spans two */
    cr_assert_eq(st->loaded, 5);
    cr_assert_eq(st->terminated, 1);
    cr_assert_eq(st->skipped_bad_postcode, 1);
    cr_assert_eq(st->skipped_no_coords, 1);
    cr_assert_eq(st->skipped_duplicate, 4);
    cr_assert_eq(st->skipped_outside_gb, 1);
    assert_counts_add_up(st);
    cr_assert_eq(s.n, 7, "one callback per skipped row");

    const skip_rec *r = skip_on_line(&s, 5);
    cr_assert_str_eq(r->field, "oseast1m");
    cr_assert_str_eq(r->value, "");
    cr_assert(strstr(r->reason, "no coordinates") != NULL, "%s", r->reason);
    r = skip_on_line(&s, 6);
    cr_assert_str_eq(r->field, "pcd");
    cr_assert_str_eq(r->value, "SN1 1AE");
    cr_assert_str_eq(r->reason, "duplicate postcode (first seen on line 2)");
    r = skip_on_line(&s, 7);
    cr_assert_str_eq(r->value, "SN1 #AE");
    cr_assert_str_eq(r->reason, gm_postcode_check_str(GM_POSTCODE_BAD_CHARS));
    r = skip_on_line(&s, 8);
    cr_assert(strstr(r->reason, "outside Great Britain") != NULL, "%s", r->reason);
    cr_assert_str_eq(skip_on_line(&s, 10)->reason, "duplicate postcode (first seen on line 9)");
    cr_assert_str_eq(skip_on_line(&s, 13)->reason, "duplicate postcode (first seen on line 11)");
    cr_assert_str_eq(skip_on_line(&s, 14)->reason, "duplicate postcode (first seen on line 3)");

    gm_postcode_entry e, f;
    cr_assert(gm_pcdir_lookup(dir, "SN11AE", &e));
    cr_assert_eq(e.easting_m, 415122.0);
    cr_assert_eq(e.northing_m, 185189.0);
    cr_assert_eq(e.terminated_yyyymm, 0);
    cr_assert_str_eq(e.area, "E01015480");
    cr_assert(gm_pcdir_lookup(dir, "SN11AF", &f));
    cr_assert_eq(f.terminated_yyyymm, 201205);
    cr_assert_eq(f.area, e.area, "one LSOA, one interned string");
    cr_assert(gm_pcdir_lookup(dir, "SN101AE", &e));
    cr_assert_str_eq(e.area, "E01031964");
    cr_assert(gm_pcdir_lookup(dir, "SN21AB", &e));
    cr_assert_eq(e.easting_m, 415010.0);
    cr_assert_not(gm_pcdir_lookup(dir, "SN11AG", &e), "the row without coordinates is not loaded");
    cr_assert_not(gm_pcdir_lookup(dir, "SN11AH", &e));

    gm_pcdir_free(dir);
    gm_ctx_free(ctx);
}

Test(pcdir, lookup_wants_the_compact_form_and_leaves_entry_alone_on_a_miss)
{
    gm_ctx *ctx = new_ctx();
    gm_pcdir_opts o;
    onspd_opts(&o, gmt_write(gmt_tmpdir("pcdir"), "onspd.csv", ONSPD));
    gm_pcdir *dir = NULL;
    cr_assert_eq(gm_pcdir_load(ctx, &o, NULL, NULL, &dir), GM_OK, "%s", gm_ctx_errmsg(ctx));
    gm_postcode_entry e = {.easting_m = -1.0};
    cr_assert_not(gm_pcdir_lookup(dir, "sn11ae", &e));
    cr_assert_not(gm_pcdir_lookup(dir, "SN1 1AE", &e));
    cr_assert_not(gm_pcdir_lookup(dir, "SN11AEX", &e));
    cr_assert_not(gm_pcdir_lookup(dir, "", &e));
    cr_assert_not(gm_pcdir_lookup(dir, NULL, &e));
    cr_assert_not(gm_pcdir_lookup(NULL, "SN11AE", &e));
    cr_assert_eq(e.easting_m, -1.0);
    cr_assert(gm_pcdir_lookup(dir, "SN11AE", NULL), "entry may be NULL to test membership");
    gm_pcdir_free(dir);
    gm_pcdir_free(NULL);
    gm_ctx_free(ctx);
}

/* LE15 0AQ, Oakham, from Rutland's Code-Point Open 2014 row (486137, 308843;
 * -0.727611, 52.670462).  Independent check made when writing the test:
 *   echo "52.670462 -0.727611" | cs2cs -d 3 EPSG:4326 EPSG:27700
 *   -> 486137.005 308843.026
 * (cs2cs takes EPSG:4326 in its authority order, latitude first; gapmap always
 * takes x = longitude.)  PROJ picks the same Helmert transformation for both
 * when the OSTN15 grid is not installed; with the grid the result moves by
 * about a metre or two here, so install-dependent failures would show here. */
Test(pcdir, converts_longitude_latitude_to_british_national_grid)
{
    gm_ctx *ctx = new_ctx();
    const char *path = gmt_write(gmt_tmpdir("pcdir"), "lonlat.csv",
                                 "pcds,lat,long\n"
                                 "LE15 0AQ,52.670462,-0.727611\n"
                                 "LE15 0ZZ,99.999999,0.000000\n"); /* ONSPD: no grid ref */
    gm_pcdir_opts o;
    gm_pcdir_opts_init(&o);
    o.path = path;
    o.col_postcode = "pcds";
    o.col_x = "long";
    o.col_y = "lat";
    o.crs = "EPSG:4326";
    skips s = {0};
    gm_pcdir *dir = NULL;
    cr_assert_eq(gm_pcdir_load(ctx, &o, collect_skip, &s, &dir), GM_OK, "%s", gm_ctx_errmsg(ctx));
    gm_postcode_entry e;
    cr_assert(gm_pcdir_lookup(dir, "LE150AQ", &e));
    cr_assert_lt(hypot(e.easting_m - 486137.005, e.northing_m - 308843.026), 1.0,
                 "got %.3f %.3f", e.easting_m, e.northing_m);
    cr_assert_str_eq(e.area, "", "no area column mapped");
    const gm_pcdir_stats *st = gm_pcdir_get_stats(dir);
    cr_assert_eq(st->loaded, 1);
    cr_assert_eq(st->skipped_no_coords, 1);
    cr_assert(strstr(skip_on_line(&s, 3)->reason, "99.999999") != NULL);
    assert_counts_add_up(st);
    gm_pcdir_free(dir);
    gm_ctx_free(ctx);
}

Test(pcdir, longitude_latitude_read_as_metres_are_skipped_with_a_hint)
{
    gm_ctx *ctx = new_ctx();
    const char *path = gmt_write(gmt_tmpdir("pcdir"), "lonlat.csv",
                                 "postcode,x,y\nLE15 0AQ,-0.727611,52.670462\n");
    gm_pcdir_opts o;
    gm_pcdir_opts_init(&o); /* crs left at EPSG:27700: the mistake */
    o.path = path;
    o.col_postcode = "postcode";
    o.col_x = "x";
    o.col_y = "y";
    skips s = {0};
    gm_pcdir *dir = NULL;
    cr_assert_eq(gm_pcdir_load(ctx, &o, collect_skip, &s, &dir), GM_OK);
    cr_assert_eq(gm_pcdir_get_stats(dir)->skipped_outside_gb, 1);
    cr_assert(strstr(s.rec[0].reason, "EPSG:4326") != NULL, "%s", s.rec[0].reason);
    gm_pcdir_free(dir);
    gm_ctx_free(ctx);
}

/* Code-Point Open area files: no header; postcode in column 1 (7-character
 * fixed form, so "SN151ER" has no space), eastings 3, northings 4; a position
 * of 0,0 marks a postcode without coordinates (quality indicator 90). */
Test(pcdir, loads_a_headerless_code_point_file_by_column_number)
{
    gm_ctx *ctx = new_ctx();
    const char *path = gmt_write(
        gmt_tmpdir("pcdir"), "sn.csv",
        "\"SN1 1AE\",10,415122,185189,\"E92000001\",\"E19000002\",\"E18000010\",\"\",\"E06000030\",\"E05008954\"\r\n"
        "\"SN151ER\",10,391726,173525,\"E92000001\",\"E19000002\",\"E18000010\",\"\",\"E06000054\",\"E05008371\"\r\n"
        "\"SN1 9ZZ\",90,0,0,\"E92000001\",\"E19000002\",\"E18000010\",\"\",\"E06000030\",\"E05008954\"\r\n");
    gm_pcdir_opts o;
    gm_pcdir_opts_init(&o);
    o.path = path;
    o.has_header = false;
    o.col_postcode = "1";
    o.col_x = "3";
    o.col_y = "4";
    gm_pcdir *dir = NULL;
    cr_assert_eq(gm_pcdir_load(ctx, &o, NULL, NULL, &dir), GM_OK, "%s", gm_ctx_errmsg(ctx));
    const gm_pcdir_stats *st = gm_pcdir_get_stats(dir);
    cr_assert_eq(st->rows_read, 3);
    cr_assert_eq(st->loaded, 2);
    cr_assert_eq(st->skipped_no_coords, 1);
    gm_postcode_entry e;
    cr_assert(gm_pcdir_lookup(dir, "SN151ER", &e));
    cr_assert_eq(e.easting_m, 391726.0);
    cr_assert_eq(e.northing_m, 173525.0);
    gm_pcdir_free(dir);
    gm_ctx_free(ctx);
}

Test(pcdir, grows_past_many_thousands_of_postcodes)
{
    /* 20,000 postcodes AB00 0AA..AB99 9AZ: the table doubles several times. */
    static const char letters[] = "ABDEFGHJLNPQRSTUWXYZ"; /* the inward letters minus CIKMOV */
    gm_ctx *ctx = new_ctx();
    const char *dir_path = gmt_tmpdir("pcdir");
    char path[4200];
    snprintf(path, sizeof path, "%s/many.csv", dir_path);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("postcode,e,n\n", f);
    int i = 0;
    for (int d = 0; d < 100; d++)
        for (int s = 0; s < 10; s++)
            for (int l = 0; l < 20; l++, i++)
                fprintf(f, "AB%02d %dA%c,%d,%d\n", d, s, letters[l], 400000 + i, 200000 + i);
    fclose(f);
    gm_pcdir_opts o;
    gm_pcdir_opts_init(&o);
    o.path = path;
    o.col_postcode = "postcode";
    o.col_x = "e";
    o.col_y = "n";
    gm_pcdir *dir = NULL;
    cr_assert_eq(gm_pcdir_load(ctx, &o, NULL, NULL, &dir), GM_OK, "%s", gm_ctx_errmsg(ctx));
    cr_assert_eq(gm_pcdir_get_stats(dir)->loaded, 20000);
    i = 0;
    for (int d = 0; d < 100; d++)
        for (int s = 0; s < 10; s++)
            for (int l = 0; l < 20; l++, i++) {
                char pc[GM_POSTCODE_COMPACT_MAX];
                snprintf(pc, sizeof pc, "AB%02d%dA%c", d, s, letters[l]);
                gm_postcode_entry e;
                cr_assert(gm_pcdir_lookup(dir, pc, &e), "%s", pc);
                cr_assert_eq(e.easting_m, 400000.0 + i);
                cr_assert_eq(e.northing_m, 200000.0 + i);
                pc[5] = 'B'; /* AB.. 9BA..: never written */
                cr_assert_not(gm_pcdir_lookup(dir, pc, &e), "%s", pc);
            }
    gm_pcdir_free(dir);
    gm_ctx_free(ctx);
}

Test(pcdir, missing_column_is_named_with_the_columns_there_are)
{
    gm_ctx *ctx = new_ctx();
    gm_pcdir_opts o;
    onspd_opts(&o, gmt_write(gmt_tmpdir("pcdir"), "onspd.csv", ONSPD));
    o.col_x = "eastings";
    gm_pcdir *dir = NULL;
    cr_assert_eq(gm_pcdir_load(ctx, &o, NULL, NULL, &dir), GM_E_INPUT);
    cr_assert_null(dir);
    const char *msg = gm_ctx_errmsg(ctx);
    cr_assert(strstr(msg, "'eastings'") != NULL, "%s", msg);
    cr_assert(strstr(msg, "oseast1m") != NULL, "the message lists the real columns: %s", msg);

    onspd_opts(&o, o.path);
    o.col_area = "lsoa11"; /* optional columns are checked too */
    cr_assert_eq(gm_pcdir_load(ctx, &o, NULL, NULL, &dir), GM_E_INPUT);
    cr_assert(strstr(gm_ctx_errmsg(ctx), "'lsoa11'") != NULL, "%s", gm_ctx_errmsg(ctx));
    gm_ctx_free(ctx);
}

Test(pcdir, column_number_beyond_a_headerless_file_is_an_input_error)
{
    gm_ctx *ctx = new_ctx();
    gm_pcdir_opts o;
    gm_pcdir_opts_init(&o);
    o.path = gmt_write(gmt_tmpdir("pcdir"), "cp.csv", "\"SN1 1AE\",10,415122,185189\n");
    o.has_header = false;
    o.col_postcode = "1";
    o.col_x = "3";
    o.col_y = "12";
    gm_pcdir *dir = NULL;
    cr_assert_eq(gm_pcdir_load(ctx, &o, NULL, NULL, &dir), GM_E_INPUT);
    cr_assert(strstr(gm_ctx_errmsg(ctx), "column 12") != NULL, "%s", gm_ctx_errmsg(ctx));
    cr_assert(strstr(gm_ctx_errmsg(ctx), "4 columns") != NULL, "%s", gm_ctx_errmsg(ctx));
    gm_ctx_free(ctx);
}

Test(pcdir, missing_file_is_not_found)
{
    gm_ctx *ctx = new_ctx();
    gm_pcdir_opts o;
    onspd_opts(&o, "/nonexistent/onspd.csv");
    gm_pcdir *dir = (gm_pcdir *)&o; /* must be left untouched */
    cr_assert_eq(gm_pcdir_load(ctx, &o, NULL, NULL, &dir), GM_E_NOT_FOUND);
    cr_assert_eq(dir, (gm_pcdir *)&o);
    cr_assert(strstr(gm_ctx_errmsg(ctx), "/nonexistent/onspd.csv") != NULL);
    gm_ctx_free(ctx);
}

Test(pcdir, missing_options_are_argument_errors)
{
    gm_ctx *ctx = new_ctx();
    gm_pcdir_opts o;
    gm_pcdir_opts_init(&o);
    gm_pcdir *dir = NULL;
    cr_assert_eq(gm_pcdir_load(ctx, NULL, NULL, NULL, &dir), GM_E_ARG);
    cr_assert_eq(gm_pcdir_load(ctx, &o, NULL, NULL, &dir), GM_E_ARG);
    o.path = "x.csv";
    o.col_postcode = "pcd";
    cr_assert_eq(gm_pcdir_load(ctx, &o, NULL, NULL, &dir), GM_E_ARG);
    cr_assert(strstr(gm_ctx_errmsg(ctx), "easting") != NULL, "%s", gm_ctx_errmsg(ctx));
    cr_assert_null(dir);
    gm_ctx_free(ctx);
}

Test(pcdir, unknown_crs_is_a_crs_error)
{
    gm_ctx *ctx = new_ctx();
    gm_pcdir_opts o;
    onspd_opts(&o, gmt_write(gmt_tmpdir("pcdir"), "onspd.csv", ONSPD));
    o.crs = "EPSG:999999";
    gm_pcdir *dir = NULL;
    cr_assert_eq(gm_pcdir_load(ctx, &o, NULL, NULL, &dir), GM_E_CRS);
    cr_assert(strstr(gm_ctx_errmsg(ctx), "EPSG:999999") != NULL, "%s", gm_ctx_errmsg(ctx));
    cr_assert_null(dir);
    gm_ctx_free(ctx);
}

Test(pcdir, malformed_termination_date_stops_the_load_naming_the_line)
{
    gm_ctx *ctx = new_ctx();
    gm_pcdir_opts o;
    onspd_opts(&o, gmt_write(gmt_tmpdir("pcdir"), "onspd.csv",
                             "pcd,doterm,oseast1m,osnrth1m,lsoa21\n"
                             "SN1 1AE,2012-05,415122,185189,E01015480\n" /* accepted */
                             "SN1 1AF,May 2012,415100,185200,E01015480\n"));
    gm_pcdir *dir = NULL;
    cr_assert_eq(gm_pcdir_load(ctx, &o, NULL, NULL, &dir), GM_E_INPUT);
    const char *msg = gm_ctx_errmsg(ctx);
    cr_assert(strstr(msg, "line 3") != NULL && strstr(msg, "'May 2012'") != NULL, "%s", msg);
    cr_assert_null(dir);
    gm_ctx_free(ctx);
}

static int cancel_now(uint64_t done, uint64_t total, const char *label, void *user)
{
    (void)done;
    (void)total;
    cr_assert_str_eq(label, "Reading postcode directory");
    (*(int *)user)++;
    return 1;
}

Test(pcdir, progress_hook_can_cancel_the_load)
{
    gm_ctx *ctx = new_ctx();
    int calls = 0;
    gm_ctx_set_progress(ctx, cancel_now, &calls);
    gm_pcdir_opts o;
    onspd_opts(&o, gmt_write(gmt_tmpdir("pcdir"), "onspd.csv", ONSPD));
    gm_pcdir *dir = NULL;
    cr_assert_eq(gm_pcdir_load(ctx, &o, NULL, NULL, &dir), GM_E_CANCELLED);
    cr_assert_null(dir);
    cr_assert_eq(calls, 1);
    gm_ctx_free(ctx);
}

static gm_pcdir *load_list(gm_ctx *ctx, const char *text)
{
    gm_pcdir_opts o;
    gm_pcdir_opts_init(&o);
    o.path = gmt_write(gmt_tmpdir("pcdir"), "list.csv", text);
    o.col_postcode = "pc";
    o.col_x = "e";
    o.col_y = "n";
    gm_pcdir *dir = NULL;
    cr_assert_eq(gm_pcdir_load(ctx, &o, NULL, NULL, &dir), GM_OK, "%s", gm_ctx_errmsg(ctx));
    return dir;
}

/* Text, not pointers: Criterion runs each case in a fresh process. */
typedef struct suggest_case {
    char raw[16];
    char want[GM_POSTCODE_COMPACT_MAX]; /* "" when there is no suggestion */
} suggest_case;

ParameterizedTestParameters(pcdir, suggests_the_usual_slips)
{
    static suggest_case cases[] = {
        {"SN1O 1AE", "SN101AE"}, /* letter O for zero: the header's example */
        {"sn1o1ae", "SN101AE"},
        {"SN1 IAE", "SN11AE"},   /* I for one in the inward code */
        {"SN1 lAE", "SN11AE"},   /* lower-case l for one */
        {"5N1 1AE", "SN11AE"},   /* 5 for S */
        {"SN1 1AE", "SN11AE"},   /* already right once tidied */
        {"B41 1AA", "B411AA"},
        {"841 1AA", "B411AA"},   /* 8 for B */
        {"B41 IAA", "B411AA"},
        {"W11 1AE", "WI11AE"},   /* several swaps hit: first position, I before L */
        {"ZZ1 1ZZ", ""},         /* nothing near */
        {"SN1O 1AF", ""},        /* right slip, but SN10 1AF is not in the directory */
        {"SN1-1AE", ""},         /* not tidyable */
        {"", ""},
    };
    return cr_make_param_array(suggest_case, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(suggest_case *c, pcdir, suggests_the_usual_slips)
{
    gm_ctx *ctx = new_ctx();
    gm_pcdir *dir = load_list(ctx, "pc,e,n\n"
                                   "SN10 1AE,400610,161380\n"
                                   "SN1 1AE,415122,185189\n"
                                   "B41 1AA,410000,290000\n"
                                   "WL1 1AE,420000,290000\n"
                                   "W1I 1AE,420000,290000\n"
                                   "WI1 1AE,420000,290000\n");
    char out[GM_POSTCODE_COMPACT_MAX] = "";
    bool found = gm_pcdir_suggest(dir, c->raw, out);
    cr_assert_eq(found, c->want[0] != '\0', "'%s' -> '%s'", c->raw, out);
    if (found)
        cr_assert_str_eq(out, c->want, "'%s'", c->raw);
    gm_pcdir_free(dir);
    gm_ctx_free(ctx);
}

Test(pcdir, suggestion_order_is_position_first)
{
    /* WI11AE is absent: the first position's L wins over the second's I. */
    gm_ctx *ctx = new_ctx();
    gm_pcdir *dir = load_list(ctx, "pc,e,n\nW1I 1AE,420000,290000\nWL1 1AE,420000,290000\n");
    char out[GM_POSTCODE_COMPACT_MAX];
    cr_assert(gm_pcdir_suggest(dir, "W11 1AE", out));
    cr_assert_str_eq(out, "WL11AE");
    cr_assert_not(gm_pcdir_suggest(NULL, "W11 1AE", out));
    gm_pcdir_free(dir);
    gm_ctx_free(ctx);
}

/* Fail each allocation of a load in turn: every failure must come back as
 * GM_E_NOMEM with nothing returned (and, in the sanitizer build, nothing
 * leaked), until the load has room to succeed. */
static void alloc_failure_walk(const char *crs)
{
    gm_ctx *ctx = new_ctx();
    const char *path = gmt_write(gmt_tmpdir("pcdir"), "onspd.csv", ONSPD);
    gm_pcdir_opts o;
    onspd_opts(&o, path);
    o.crs = crs;
    long n = 0;
    for (;; n++) {
        gm_pcdir *dir = NULL;
        gm__alloc_fail_after(n);
        gm_status st = gm_pcdir_load(ctx, &o, NULL, NULL, &dir);
        gm__alloc_fail_after(-1);
        if (st == GM_OK) {
            cr_assert_eq(gm_pcdir_get_stats(dir)->loaded, 5);
            gm_pcdir_free(dir);
            break;
        }
        cr_assert_eq(st, GM_E_NOMEM, "allocation %ld: %s (%s)", n, gm_status_name(st),
                     gm_ctx_errmsg(ctx));
        cr_assert_null(dir);
        cr_assert_lt(n, 100000, "the load never succeeded");
    }
    cr_assert_gt(n, 5, "the walk covered the load's allocations");
    gm_ctx_free(ctx);
}

Test(pcdir, every_allocation_failure_is_clean)
{
    alloc_failure_walk("EPSG:27700");
}

Test(pcdir, every_allocation_failure_is_clean_with_a_transform)
{
    /* Same file read as if it were in WGS84 would put every point off the map,
     * so use a CRS whose transform to BNG is the identity in effect. */
    alloc_failure_walk("EPSG:7405"); /* OSGB36 / British National Grid + ODN height */
}

static void keep_warning(gm_log_level level, const char *msg, void *user)
{
    if (level == GM_LOG_WARN)
        snprintf(user, 512, "%s", msg);
}

Test(pcdir, warns_that_northern_ireland_eastings_are_irish_grid)
{
    /* Belfast BT1 1AA at Irish Grid 333900 374300, as ONSPD would give it. */
    gm_ctx *ctx = new_ctx();
    char warning[512] = "";
    gm_ctx_set_log(ctx, keep_warning, warning);
    gm_pcdir *dir = load_list(ctx, "pc,e,n\nBT1 1AA,333900,374300\nSN1 1AE,415122,185189\n");
    cr_assert_eq(gm_pcdir_get_stats(dir)->loaded, 2);
    cr_assert(strstr(warning, "1 Northern Ireland (BT) postcodes") != NULL, "%s", warning);
    cr_assert(strstr(warning, "EPSG:4326") != NULL, "%s", warning);
    gm_pcdir_free(dir);
    gm_ctx_free(ctx);
}
