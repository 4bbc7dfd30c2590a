/*
 * The bus mode end to end on the sample county: geodata/bus (a fictional
 * GTFS feed made by geodata/generate.py, whose facts are in expected.json)
 * with examplshire.ini's [transit] section.
 *
 * - The feed loads clean and RAPTOR reproduces the hand-checkable journeys
 *   that generate.py worked out by brute force (a direct bus, one change).
 * - matrix.csv: every customer x site pair has a bus row, never slower than
 *   walking, median never above the worst; each journey's walking, riding
 *   and waiting add up to a time no shorter than its riding.
 * - manifest.json reconciles the timetable with expected.json; coverage has
 *   bus catchments; zones carry the bus columns and the community transport
 *   zones of the config; journeys put independent travellers on the bus.
 * - A feed with a broken row still runs, and rejects.csv names the file,
 *   the line and the field.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "testutil.h"
#include "transit/gtfs.h"
#include "transit/raptor.h"

static const char *outdir;
static cJSON *expected, *gtfs;

static void setup(void)
{
    outdir = gmt_sample_run(GM_TEST_GAPMAP_EXE);
    cr_assert_not_null(outdir, "the sample run failed");
    expected = gmt_read_json(gmt_src("geodata/expected.json"));
    gtfs = cJSON_GetObjectItem(expected, "gtfs");
    cr_assert_not_null(gtfs, "expected.json has no gtfs facts: regenerate geodata");
}
static void teardown(void) { cJSON_Delete(expected); }
TestSuite(transit_e2e, .init = setup, .fini = teardown, .timeout = 900);

static double num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItem(o, key);
    cr_assert(cJSON_IsNumber(v), "no number %s", key);
    return v->valuedouble;
}

static const char *str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItem(o, key);
    cr_assert(cJSON_IsString(v), "no string %s", key);
    return v->valuestring;
}

static int32_t hms(const char *t)
{
    int h, m, s;
    cr_assert_eq(sscanf(t, "%d:%d:%d", &h, &m, &s), 3);
    return h * 3600 + m * 60 + s;
}

Test(transit_e2e, raptor_reproduces_the_generators_journeys)
{
    gm_ctx *ctx;
    cr_assert_eq(gm_ctx_new(&ctx), GM_OK);
    gm__gtfs_opts o;
    gm__gtfs_opts_init(&o);
    o.date = (uint32_t)num(gtfs, "service_date");
    o.transfer_max_m = 0; /* the generator's journeys do not walk between stops */
    gm__gtfs *g = NULL;
    cr_assert_eq(gm__gtfs_load(ctx, gmt_src("geodata/bus"), &o, &g), GM_OK, "%s", gm_ctx_errmsg(ctx));
    cr_expect_eq(g->nissues_total, 0, "%s", g->nissues ? g->issues[0].reason : "");
    cr_expect_eq(g->nstops, (uint32_t)num(gtfs, "stops"));
    cr_expect_eq(g->nroutes, (uint32_t)num(gtfs, "routes"));
    cr_expect_eq(g->ntrips, (uint32_t)num(gtfs, "trips"));
    cr_expect_eq(g->nstop_times, (uint32_t)num(gtfs, "stop_times"));
    cr_expect_eq(g->ntrips_day, (uint32_t)num(gtfs, "trips_on_service_date_frequencies_expanded"));
    int32_t *arr = malloc(g->nstops * sizeof *arr);
    uint8_t *nt = malloc(g->nstops);
    const cJSON *d = cJSON_GetObjectItem(gtfs, "journey_direct");
    gm__raptor *r = NULL;
    cr_assert_eq(gm__raptor_new(ctx, g, 1, &r), GM_OK);
    gm__raptor_src src = {(uint32_t)gm__gtfs_find_stop(g, str(d, "from_stop_id")), hms(str(d, "not_before"))};
    gm__raptor_run(r, &src, 1, arr, nt);
    uint32_t to = (uint32_t)gm__gtfs_find_stop(g, str(d, "to_stop_id"));
    cr_expect_eq(arr[to], hms(str(d, "arrival")), "direct: %d, expected %s", arr[to], str(d, "arrival"));
    gm__raptor_free(r);
    const cJSON *c = cJSON_GetObjectItem(gtfs, "journey_one_change");
    cr_assert_eq(gm__raptor_new(ctx, g, 4, &r), GM_OK);
    cr_assert_eq(gm__raptor_keep_legs(ctx, r), GM_OK);
    src = (gm__raptor_src){(uint32_t)gm__gtfs_find_stop(g, str(c, "from_stop_id")), hms(str(c, "depart_at"))};
    gm__raptor_run(r, &src, 1, arr, nt);
    to = (uint32_t)gm__gtfs_find_stop(g, str(c, "to_stop_id"));
    cr_expect_eq(arr[to], hms(str(c, "earliest_arrival")), "one change: %d, expected %s", arr[to],
                 str(c, "earliest_arrival"));
    cr_expect_eq(nt[to], 2);
    gm__raptor_legs legs;
    cr_assert(gm__raptor_journey(r, to, &legs));
    cr_expect_eq(legs.trips, 2);
    cr_expect_eq(legs.walk_s, 0);
    free(arr);
    free(nt);
    gm__raptor_free(r);
    gm__gtfs_free(g);
    gm_ctx_free(ctx);
}

static float cell_f(char **row, size_t col)
{
    return row[col][0] ? strtof(row[col], NULL) : INFINITY;
}

Test(transit_e2e, bus_never_slower_than_walking_and_journeys_add_up)
{
    gmt_csv m = gmt_csv_in(outdir, "matrix.csv");
    size_t cc = gmt_csv_col(&m, "customer_id"), sc = gmt_csv_col(&m, "site_id"), mc = gmt_csv_col(&m, "mode");
    size_t tc = gmt_csv_col(&m, "time_s"), wc = gmt_csv_col(&m, "time_worst_s"), vc = gmt_csv_col(&m, "vehicles");
    size_t kc = gmt_csv_col(&m, "walk_s"), rc = gmt_csv_col(&m, "ride_s"), qc = gmt_csv_col(&m, "wait_s");
    size_t bus = 0, by_bus = 0, faster = 0;
    for (size_t i = 0; i < m.nrows; i++) {
        char **row = m.cell[i];
        if (strcmp(row[mc], "bus"))
            continue;
        bus++;
        /* the walk row of the same pair comes just before (rows are by mode order) */
        char **walk = NULL;
        for (size_t k = i; k-- > 0 && !walk;)
            if (!strcmp(m.cell[k][mc], "walk") && !strcmp(m.cell[k][cc], row[cc]) && !strcmp(m.cell[k][sc], row[sc]))
                walk = m.cell[k];
        cr_assert_not_null(walk, "no walk row for %s -> %s", row[cc], row[sc]);
        float t = cell_f(row, tc), w = cell_f(row, wc), on_foot = cell_f(walk, tc);
        cr_assert(t <= on_foot + 0.05f, "%s -> %s: bus %g s, walking %g s", row[cc], row[sc], (double)t,
                  (double)on_foot);
        cr_assert(t <= w + 0.05f || !isfinite(w), "%s -> %s: median %g above worst %g", row[cc], row[sc], (double)t,
                  (double)w);
        faster += t < on_foot - 60;
        if (!row[vc][0])
            continue;
        float wk = cell_f(row, kc), rd = cell_f(row, rc), wt = cell_f(row, qc);
        cr_assert(wk >= 0 && rd >= 0 && wt >= -0.05f, "%s -> %s: %g %g %g", row[cc], row[sc], (double)wk,
                  (double)rd, (double)wt);
        if (atoi(row[vc]) == 0) {
            cr_assert_eq(rd, 0);
            cr_assert(fabsf(wk - on_foot) < 0.1f, "%s -> %s walked: %g s, walk mode %g s", row[cc], row[sc],
                      (double)wk, (double)on_foot);
        } else {
            by_bus++;
            cr_assert_gt(rd, 0);
        }
    }
    char epsg[16];
    long nc = gmt_layer_count(gmt_out(outdir, "customers.geojson"), epsg);
    long ns = gmt_layer_count(gmt_out(outdir, "providers.geojson"), epsg);
    cr_expect_eq((long)bus, nc * ns, "one bus row per customer x site: %zu, %ld x %ld", bus, nc, ns);
    cr_expect_gt(by_bus, bus / 10, "%zu of %zu pairs go by bus by the session start", by_bus, bus);
    cr_expect_gt(faster, 100u, "pairs more than a minute quicker by bus than on foot: %zu", faster);
    cr_log_info("bus rows %zu; by bus at arrive_by %zu; a minute or more quicker than walking %zu", bus, by_bus,
                faster);
    gmt_csv_free(&m);
}

Test(transit_e2e, manifest_reconciles_the_timetable)
{
    cJSON *mf = gmt_read_json(gmt_out(outdir, "manifest.json"));
    const cJSON *tt = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(mf, "travel"), "bus"), "timetable");
    cr_assert_not_null(tt, "manifest.json has no travel.bus.timetable");
    cr_expect_str_eq(str(tt, "service_date"), "2026-11-24");
    cr_expect_eq(num(tt, "stops"), num(gtfs, "stops"));
    cr_expect_eq(num(tt, "routes"), num(gtfs, "routes"));
    cr_expect_eq(num(tt, "trips"), num(gtfs, "trips"));
    cr_expect_eq(num(tt, "stop_times"), num(gtfs, "stop_times"));
    cr_expect_eq(num(tt, "trips_on_service_date"), num(gtfs, "trips_on_service_date_frequencies_expanded"));
    cr_expect_eq(num(tt, "problems_skipped"), 0);
    /* every stop is placed on a road (the generator puts them within 5 m) */
    cr_expect_eq(num(tt, "stops_on_walk_network"), num(gtfs, "stops"));
    size_t ngtfs = 0;
    const cJSON *in;
    cJSON_ArrayForEach(in, cJSON_GetObjectItem(mf, "inputs")) ngtfs +=
        cJSON_IsString(cJSON_GetObjectItem(in, "role")) && !strcmp(cJSON_GetObjectItem(in, "role")->valuestring, "gtfs");
    cr_expect_geq(ngtfs, 7, "the feed's files are inputs of the manifest: %zu", ngtfs);
    cJSON_Delete(mf);
}

Test(transit_e2e, coverage_zones_and_journeys_have_the_bus)
{
    gmt_csv k = gmt_csv_in(outdir, "catchments.csv");
    size_t mc = gmt_csv_col(&k, "mode"), nb = 0;
    for (size_t i = 0; i < k.nrows; i++)
        nb += !strcmp(k.cell[i][mc], "bus");
    cr_expect_gt(nb, 0, "no bus catchments");
    gmt_csv_free(&k);

    /* zones: the bus columns, and the community transport zones of the config */
    gmt_csv z = gmt_csv_in(outdir, "zones.csv");
    size_t idc = gmt_csv_col(&z, "zone_id"), ctc = gmt_csv_col(&z, "community_transport");
    size_t pbc = gmt_csv_col(&z, "pc_near_bus_min"), uc = gmt_csv_col(&z, "underserved");
    size_t ct = 0, ct_under = 0, with_bus = 0;
    for (size_t i = 0; i < z.nrows; i++) {
        bool listed = !strcmp(z.cell[i][idc], "E01999075") || !strcmp(z.cell[i][idc], "E01999076") ||
                      !strcmp(z.cell[i][idc], "E01999077");
        cr_expect_eq(atoi(z.cell[i][ctc]), listed ? 1 : 0, "zone %s", z.cell[i][idc]);
        ct += listed;
        ct_under += listed && atoi(z.cell[i][uc]);
        with_bus += z.cell[i][pbc][0] != 0;
    }
    cr_expect_eq(ct, 3);
    /* Marrowby's zones may have no site within the cut-off even by bus */
    cr_expect_geq(with_bus, z.nrows * 9 / 10, "%zu of %zu zones with a mean bus time to their nearest site", with_bus,
                  z.nrows);
    gmt_csv_free(&z);
    cJSON *sum = gmt_read_json(gmt_out(outdir, "summary.json"));
    const cJSON *under = cJSON_GetObjectItem(cJSON_GetObjectItem(sum, "coverage"), "gaps");
    cr_assert_not_null(under, "summary.json: no coverage.gaps section");
    cr_expect_eq(num(under, "underserved_zones_with_community_transport"), (double)ct_under);
    cJSON_Delete(sum);

    /* journeys: independent travellers are judged by bus */
    gmt_csv j = gmt_csv_in(outdir, "journeys.csv");
    size_t tr = gmt_csv_col(&j, "transport"), mo = gmt_csv_col(&j, "mode"), bm = gmt_csv_col(&j, "bus_min");
    size_t ind = 0;
    with_bus = 0;
    for (size_t i = 0; i < j.nrows; i++) {
        if (!strcmp(j.cell[i][tr], "independent") || !strcmp(j.cell[i][tr], "travel_trained")) {
            ind++;
            cr_expect_str_eq(j.cell[i][mo], "bus");
        }
        with_bus += j.cell[i][bm][0] != 0;
    }
    cr_expect_gt(ind, 0);
    cr_expect_gt(with_bus, j.nrows / 2, "placements with a bus time: %zu of %zu", with_bus, j.nrows);
    gmt_csv_free(&j);
}

Test(transit_e2e, a_broken_timetable_row_is_rejected_with_file_line_and_field)
{
    const char *tmp = gmt_tmpdir("transit-broken");
    char dir[4096], ini[4200], feed[4300], cmd[9000];
    snprintf(dir, sizeof dir, "%s", tmp);
    snprintf(feed, sizeof feed, "%s/bus", dir);
    snprintf(cmd, sizeof cmd, "cp -r '%s' '%s'", gmt_src("geodata/bus"), feed);
    cr_assert_eq(gmt_system(cmd), 0);
    /* Line 3 of stop_times.txt gets an impossible time: its trip is skipped. */
    char st[4400];
    snprintf(st, sizeof st, "%s/stop_times.txt", feed);
    char *text = gmt_slurp(st, NULL);
    cr_assert_not_null(text);
    char *l2 = strchr(text, '\n') + 1, *l3 = strchr(l2, '\n') + 1, *e3 = strchr(l3, '\n');
    FILE *f = fopen(st, "w");
    fwrite(text, 1, (size_t)(l3 - text), f);
    /* trip_id,arrival_time,departure_time,... : replace the arrival time */
    char *c1 = strchr(l3, ','), *c2 = strchr(c1 + 1, ',');
    fwrite(l3, 1, (size_t)(c1 - l3 + 1), f);
    fputs("9:99:99", f);
    fwrite(c2, 1, strlen(c2), f);
    (void)e3;
    fclose(f);
    free(text);
    char extra[4600];
    snprintf(extra, sizeof extra, "[transit]\ngtfs = %s\n[coverage]\nenabled = no\n", feed);
    gmt_sample_variant(ini, dir, "broken.ini", NULL, extra);
    char out[4200];
    snprintf(out, sizeof out, "%s/out", dir);
    const char *in[] = {ini, st};
    char *log = NULL;
    cr_assert(gmt_run_cached(GM_TEST_GAPMAP_EXE, ini, out, in, 2, &log), "gapmap run failed:\n%s", log ? log : "");
    free(log);
    gmt_csv r = gmt_csv_in(out, "rejects.csv");
    size_t fc = gmt_csv_col(&r, "file"), lc = gmt_csv_col(&r, "line"), fld = gmt_csv_col(&r, "field");
    size_t found = 0;
    for (size_t i = 0; i < r.nrows; i++)
        if (strstr(r.cell[i][fc], "stop_times.txt")) {
            found++;
            cr_expect_str_eq(r.cell[i][lc], "3");
            cr_expect_str_eq(r.cell[i][fld], "arrival_time");
        }
    cr_expect_eq(found, 1, "rejects.csv rows for stop_times.txt: %zu", found);
    gmt_csv_free(&r);
    cJSON *mf = gmt_read_json(gmt_path(out, "manifest.json"));
    const cJSON *tt = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(mf, "travel"), "bus"), "timetable");
    cr_expect_eq(num(tt, "problems_skipped"), 1);
    cr_expect_eq(num(tt, "trips"), num(gtfs, "trips") - 1);
    cJSON_Delete(mf);
}
