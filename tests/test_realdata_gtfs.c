/*
 * The GTFS loader on real feeds from ../shared/data (skipped, saying which,
 * when absent): the Manchester Metrolink test feed (a folder) and Porto
 * Alegre's EPTC buses (a zip, read through /vsizip/).  Counts are reconciled
 * with the files' own line counts (every row of these feeds is sound and none
 * has a line break inside quotes), RAPTOR arrivals on Porto Alegre are checked
 * against a straight-line lower bound, and the loader is walked through
 * allocation failures on the small feed.
 */
#include <criterion/criterion.h>
#include <cpl_vsi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "testutil.h"
#include "transit/gtfs.h"
#include "transit/raptor.h"

/* Data rows of a feed file: its lines minus the header (GDAL reads zips too). */
static uint32_t data_lines(const char *path)
{
    VSILFILE *fp = VSIFOpenL(path, "rb");
    cr_assert_not_null(fp, "cannot open %s", path);
    char buf[65536];
    size_t n, lines = 0;
    char last = '\n';
    while ((n = VSIFReadL(buf, 1, sizeof buf, fp)) > 0) {
        for (size_t i = 0; i < n; i++)
            lines += buf[i] == '\n';
        last = buf[n - 1];
    }
    VSIFCloseL(fp);
    if (last != '\n')
        lines++;
    return (uint32_t)(lines - 1);
}

static const char *shared_or_skip(const char *rel)
{
    const char *p = gmt_shared(rel);
    if (!p)
        cr_skip_test("../shared/data/%s is absent: GTFS real-data test skipped", rel);
    return p;
}

static gm__gtfs *load(gm_ctx *ctx, const char *path, uint32_t date)
{
    gm__gtfs_opts o;
    gm__gtfs_opts_init(&o);
    o.date = date;
    gm__gtfs *g = NULL;
    gm_status st = gm__gtfs_load(ctx, path, &o, &g);
    cr_assert_eq(st, GM_OK, "%s: %s", path, gm_ctx_errmsg(ctx));
    return g;
}

Test(realdata_gtfs, manchester_folder_counts_match_the_files)
{
    const char *dir = shared_or_skip("manchester-metrolink");
    char p[4096];
    gm_ctx *ctx;
    cr_assert_eq(gm_ctx_new(&ctx), GM_OK);
    gm__gtfs *g = load(ctx, dir, 20141020); /* a Monday inside the calendar */
    snprintf(p, sizeof p, "%s/stops.txt", dir);
    cr_expect_eq(g->nstops, data_lines(p));
    snprintf(p, sizeof p, "%s/trips.txt", dir);
    cr_expect_eq(g->ntrips, data_lines(p));
    snprintf(p, sizeof p, "%s/stop_times.txt", dir);
    cr_expect_eq(g->nstop_times, data_lines(p));
    snprintf(p, sizeof p, "%s/routes.txt", dir);
    cr_expect_eq(g->nroutes, data_lines(p));
    cr_expect_eq(g->nissues_total, 0, "%s", g->nissues ? g->issues[0].reason : "");
    /* Serv000001 and Serv000003 run on weekdays, Serv000002 on Saturdays: 3 trips each */
    cr_expect_eq(g->ntrips_day, 3);
    /* Trip000001 sets out from Abraham Moss (drop_off_type 1: no alighting) */
    int64_t abm = gm__gtfs_find_stop(g, "9400ZZMAABM1");
    cr_assert_geq(abm, 0);
    bool seen = false;
    for (uint32_t p2 = 0; p2 < g->npatterns; p2++)
        if (g->pat_stops[g->pat_first_stop[p2]] == (uint32_t)abm) {
            cr_expect_eq(g->pat_flags[g->pat_first_stop[p2]], GM__GTFS_PICKUP);
            seen = true;
        }
    cr_expect(seen);
    gm__gtfs_free(g);
    gm_ctx_free(ctx);
}

Test(realdata_gtfs, porto_alegre_zip_loads_clean_and_counts_match)
{
    const char *zip = shared_or_skip("porto-alegre/poa_eptc.zip");
    char p[4096];
    gm_ctx *ctx;
    cr_assert_eq(gm_ctx_new(&ctx), GM_OK);
    gm__gtfs *g = load(ctx, zip, 20190506); /* Monday; calendar 20190415..20190715 */
    cr_expect_eq(g->nissues_total, 0, "%s line %llu: %s", g->nissues ? g->issues[0].file : "",
                 g->nissues ? (unsigned long long)g->issues[0].line : 0ULL, g->nissues ? g->issues[0].reason : "");
    const char *files[] = {"stops.txt", "routes.txt", "trips.txt", "stop_times.txt"};
    uint32_t got[] = {g->nstops, g->nroutes, g->ntrips, g->nstop_times};
    for (size_t i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "/vsizip/%s/%s", zip, files[i]);
        cr_expect_eq(got[i], data_lines(p), "%s", files[i]);
    }
    /* every service is weekdays-only: all trips run on the Monday */
    cr_expect_eq(g->ntrips_day, g->ntrips);
    /* every pattern's trips are FIFO and ordered at every stop */
    for (uint32_t q = 0; q < g->npatterns; q++) {
        uint32_t len = gm__gtfs_pat_len(g, q), nt = g->pat_first_trip[q + 1] - g->pat_first_trip[q];
        const int32_t *dep = g->dep_s + g->pat_first_time[q], *arr = g->arr_s + g->pat_first_time[q];
        for (uint32_t j = 1; j < nt; j++)
            for (uint32_t i = 0; i < len; i++)
                cr_assert_geq(dep[j * len + i], dep[(j - 1) * len + i]);
        for (uint32_t j = 0; j < nt; j++)
            for (uint32_t i = 1; i < len; i++)
                cr_assert_geq(arr[j * len + i], dep[j * len + i - 1]);
    }
    gm__gtfs_free(g);
    g = load(ctx, zip, 20190505); /* a Sunday: nothing runs */
    cr_expect_eq(g->ntrips_day, 0);
    gm__gtfs_free(g);
    gm_ctx_free(ctx);
}

Test(realdata_gtfs, porto_alegre_arrivals_respect_a_straight_line_bound)
{
    const char *zip = shared_or_skip("porto-alegre/poa_eptc.zip");
    gm_ctx *ctx;
    cr_assert_eq(gm_ctx_new(&ctx), GM_OK);
    gm__gtfs *g = load(ctx, zip, 20190506);
    gm__raptor *r;
    cr_assert_eq(gm__raptor_new(ctx, g, 8, &r), GM_OK);
    int32_t *arr = malloc(g->nstops * sizeof *arr);
    uint8_t *nt = malloc(g->nstops);
    cr_assert(arr && nt);
    const double v = 100.0 / 3.6; /* 100 km/h: faster than any bus in the city */
    uint64_t reached = 0;
    for (uint32_t k = 0; k < 40; k++) {
        uint32_t s0 = (k * 997u) % g->nstops;
        int32_t t0 = 6 * 3600 + (int32_t)k * 600;
        gm__raptor_src src = {s0, t0};
        gm__raptor_run(r, &src, 1, arr, nt);
        cr_assert_eq(arr[s0], t0);
        for (uint32_t s = 0; s < g->nstops; s++) {
            if (arr[s] == GM__RAPTOR_UNREACHED)
                continue;
            reached++;
            double d = gm__gtfs_dist_m(g->stop_lon[s0], g->stop_lat[s0], g->stop_lon[s], g->stop_lat[s]);
            cr_assert_geq((double)arr[s] - t0 + 1.0, d / v, "stop %s from %s: %d s for %.0f m", g->stop_id[s],
                          g->stop_id[s0], arr[s] - t0, d);
            cr_assert_leq(nt[s], 8);
        }
    }
    cr_expect_gt(reached, 40u * g->nstops / 2, "most stops reachable by bus in a morning");
    free(arr);
    free(nt);
    gm__raptor_free(r);
    gm__gtfs_free(g);
    gm_ctx_free(ctx);
}

Test(realdata_gtfs, allocation_failures_give_nomem_on_a_small_feed)
{
    const char *dir = shared_or_skip("manchester-metrolink");
    gm_ctx *ctx;
    cr_assert_eq(gm_ctx_new(&ctx), GM_OK);
    gm__gtfs_opts o;
    gm__gtfs_opts_init(&o);
    o.date = 20141020;
    long n;
    for (n = 0; n < 100000; n++) {
        gm__gtfs *g = NULL;
        gm__alloc_fail_after(n);
        gm_status st = gm__gtfs_load(ctx, dir, &o, &g);
        gm__raptor *r = NULL;
        gm_status st2 = st == GM_OK ? gm__raptor_new(ctx, g, 4, &r) : GM_OK;
        gm__alloc_fail_after(-1);
        if (st == GM_OK && st2 == GM_OK) {
            gm__raptor_free(r);
            gm__gtfs_free(g);
            break;
        }
        if (st != GM_OK) {
            cr_assert_eq(st, GM_E_NOMEM, "allocation %ld: %s", n, gm_ctx_errmsg(ctx));
            cr_assert_null(g);
        } else {
            cr_assert_eq(st2, GM_E_NOMEM);
            cr_assert_null(r);
        }
        gm__gtfs_free(g);
    }
    cr_expect_gt(n, 50);
    gm_ctx_free(ctx);
}
