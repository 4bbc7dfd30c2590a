/*
 * RAPTOR and the GTFS loader on tiny hand-made feeds written to a temporary
 * folder, with every arrival worked out by hand from the timetable below.
 *
 * Line 1 (route R1) runs A -> B -> C, line 2 (R2) C2 -> E, where C2 is a
 * second stop 0.001 degrees (111 m) north of C; R3 is an express A -> E.  The
 * service date is Monday 4 March 2024.
 *
 *   T1 R1 WK    A 08:00  B 08:05  C 08:10
 *   T2 R2 WK    C2 08:15  E 08:30        (caught after walking C -> C2)
 *   T3 R2 WK    C2 08:11  E 08:20        (leaves before the walk ends)
 *   T4 R1 SAT   A 07:00  B 07:05  C 07:10 (Saturdays only: not on the date)
 *   T5 R1 REM   A 07:30  B 07:35  C 07:40 (weekdays, removed on the date)
 *   T6 R3 ADD   A 09:00  E 09:20        (only in calendar_dates: added)
 *   T7 R3 ADDX  A 08:00  E 08:05        (added on another date only)
 *   T8 R1 WK    A 25:00  B 25:05  C 25:10 (after midnight)
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "testutil.h"
#include "transit/gtfs.h"
#include "transit/raptor.h"

#define HMS(h, m, s) ((h) * 3600 + (m) * 60 + (s))
#define DATE 20240304u

static const char *write_feed(const char *tag, bool with_freq)
{
    const char *dir = gmt_tmpdir(tag);
    gmt_write(dir, "agency.txt", "agency_id,agency_name,agency_url,agency_timezone\nAG,Test,http://x,Europe/London\n");
    gmt_write(dir, "stops.txt",
              "stop_id,stop_name,stop_lat,stop_lon\n"
              "A,Alpha,53.4800,-2.2400\n"
              "B,Bravo,53.4800,-2.2300\n"
              "C,Charlie,53.4800,-2.2200\n"
              "C2,Charlie north,53.4810,-2.2200\n"
              "E,Echo,53.4800,-2.2000\n");
    gmt_write(dir, "routes.txt",
              "route_id,agency_id,route_short_name,route_type\nR1,AG,1,3\nR2,AG,2,3\nR3,AG,X,3\nR4,AG,F,3\n");
    gmt_write(dir, "calendar.txt",
              "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\n"
              "WK,1,1,1,1,1,0,0,20240101,20241231\n"
              "SAT,0,0,0,0,0,1,0,20240101,20241231\n"
              "REM,1,1,1,1,1,0,0,20240101,20241231\n");
    gmt_write(dir, "calendar_dates.txt",
              "service_id, date, exception_type\nREM,20240304,2\nADD,20240304,1\nADDX,20240305,1\n");
    gmt_write(dir, "trips.txt",
              "route_id,service_id,trip_id\nR1,WK,T1\nR2,WK,T2\nR2,WK,T3\nR1,SAT,T4\nR1,REM,T5\nR3,ADD,T6\n"
              "R3,ADDX,T7\nR1,WK,T8\nR4,WK,F1\n");
    gmt_write(dir, "stop_times.txt",
              "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
              "T1,08:00:00,08:00:00,A,1\nT1,08:05:00,08:05:00,B,2\nT1,08:10:00,08:10:00,C,3\n"
              "T2,08:15:00,08:15:00,C2,1\nT2,08:30:00,08:30:00,E,2\n"
              "T3,08:11:00,08:11:00,C2,1\nT3,08:20:00,08:20:00,E,2\n"
              "T4,07:00:00,07:00:00,A,1\nT4,07:05:00,07:05:00,B,2\nT4,07:10:00,07:10:00,C,3\n"
              "T5,07:30:00,07:30:00,A,1\nT5,07:35:00,07:35:00,B,2\nT5,07:40:00,07:40:00,C,3\n"
              "T6,09:00:00,09:00:00,A,1\nT6,09:20:00,09:20:00,E,2\n"
              "T7,08:00:00,08:00:00,A,1\nT7,08:05:00,08:05:00,E,2\n"
              /* T8 listed out of sequence order on purpose: the loader sorts by stop_sequence */
              "T8,25:10:00,25:10:00,C,30\nT8,25:00:00,25:00:00,A,10\nT8,25:05:00,25:05:00,B,20\n"
              "F1,10:00:00,10:00:00,C,1\nF1,10:06:00,10:06:00,E,2\n");
    if (with_freq)
        gmt_write(dir, "frequencies.txt", "trip_id,start_time,end_time,headway_secs\nF1,10:00:00,11:00:00,600\n");
    return dir;
}

typedef struct fx {
    gm_ctx *ctx;
    gm__gtfs *g;
    gm__raptor *r;
    int32_t arr[16];
    uint8_t nt[16];
} fx;

static void fx_load(fx *f, const char *dir, uint32_t rounds)
{
    cr_assert_eq(gm_ctx_new(&f->ctx), GM_OK);
    gm__gtfs_opts o;
    gm__gtfs_opts_init(&o);
    o.date = DATE;
    gm_status st = gm__gtfs_load(f->ctx, dir, &o, &f->g);
    cr_assert_eq(st, GM_OK, "%s", gm_ctx_errmsg(f->ctx));
    cr_assert_eq(gm__raptor_new(f->ctx, f->g, rounds, &f->r), GM_OK);
}

static void fx_free(fx *f)
{
    gm__raptor_free(f->r);
    gm__gtfs_free(f->g);
    gm_ctx_free(f->ctx);
}

static uint32_t S(const fx *f, const char *id)
{
    int64_t s = gm__gtfs_find_stop(f->g, id);
    cr_assert_geq(s, 0, "no stop %s", id);
    return (uint32_t)s;
}

static void query(fx *f, const char *stop, int32_t t)
{
    gm__raptor_src src = {S(f, stop), t};
    gm__raptor_run(f->r, &src, 1, f->arr, f->nt);
}

/* The footpath C -> C2 as the loader defines it: great circle x 1.2 at 4.8 km/h, rounded up. */
static int32_t walk_c_c2(void)
{
    double d = gm__gtfs_dist_m(-2.22, 53.48, -2.22, 53.481);
    return (int32_t)ceil(d * 1.2 / (4.8 / 3.6));
}

Test(raptor, loads_the_feed_and_counts_its_rows)
{
    fx f;
    fx_load(&f, write_feed("raptor_load", true), 4);
    cr_expect_eq(f.g->nstops, 5);
    cr_expect_eq(f.g->nroutes, 4);
    cr_expect_eq(f.g->ntrips, 9);
    cr_expect_eq(f.g->nstop_times, 22);
    cr_expect_eq(f.g->nissues_total, 0, "first issue: %s", f.g->nissues ? f.g->issues[0].reason : "");
    /* on the date: T1 T2 T3 T6 T8 + six runs of F1 */
    cr_expect_eq(f.g->ntrips_day, 11);
    /* the one footpath pair within 400 m: C <-> C2 */
    cr_expect_eq(f.g->xfer_first[f.g->nstops], 2);
    fx_free(&f);
}

Test(raptor, direct_bus_arrives_at_the_scheduled_time)
{
    fx f;
    fx_load(&f, write_feed("raptor_direct", false), 4);
    query(&f, "A", HMS(7, 55, 0));
    cr_expect_eq(f.arr[S(&f, "A")], HMS(7, 55, 0));
    cr_expect_eq(f.nt[S(&f, "A")], 0);
    cr_expect_eq(f.arr[S(&f, "B")], HMS(8, 5, 0));
    cr_expect_eq(f.nt[S(&f, "B")], 1);
    cr_expect_eq(f.arr[S(&f, "C")], HMS(8, 10, 0));
    /* boarding at the very second of departure is allowed */
    query(&f, "A", HMS(8, 0, 0));
    cr_expect_eq(f.arr[S(&f, "B")], HMS(8, 5, 0));
    fx_free(&f);
}

Test(raptor, transfer_with_a_footpath_between_two_stops)
{
    fx f;
    fx_load(&f, write_feed("raptor_transfer", false), 4);
    query(&f, "A", HMS(7, 55, 0));
    int32_t w = walk_c_c2();
    cr_assert_gt(w, 60); /* so T3 at 08:11 is missed: the walk ends after it leaves */
    cr_expect_eq(f.arr[S(&f, "C2")], HMS(8, 10, 0) + w);
    cr_expect_eq(f.nt[S(&f, "C2")], 1);
    cr_expect_eq(f.arr[S(&f, "E")], HMS(8, 30, 0)); /* T2, not T3 (missed) nor T6 (later) */
    cr_expect_eq(f.nt[S(&f, "E")], 2);
    fx_free(&f);
}

Test(raptor, rounds_limit_the_trips_of_a_journey)
{
    fx f;
    fx_load(&f, write_feed("raptor_rounds", false), 1);
    query(&f, "A", HMS(7, 55, 0));
    /* one trip only: the express T6 at 09:20 instead of T1 + T2 at 08:30 */
    cr_expect_eq(f.arr[S(&f, "E")], HMS(9, 20, 0));
    cr_expect_eq(f.nt[S(&f, "E")], 1);
    fx_free(&f);
}

Test(raptor, trip_after_midnight_keeps_service_day_seconds)
{
    fx f;
    fx_load(&f, write_feed("raptor_night", false), 4);
    query(&f, "A", HMS(24, 30, 0));
    cr_expect_eq(f.arr[S(&f, "C")], HMS(25, 10, 0)); /* 90600 s */
    cr_expect_eq(f.arr[S(&f, "C")], 90600);
    fx_free(&f);
}

Test(raptor, services_off_on_the_date_do_not_run)
{
    fx f;
    fx_load(&f, write_feed("raptor_calendar", false), 4);
    /* from 06:50 the Saturday T4 (07:05 at B) and the removed T5 (07:35) would be first */
    query(&f, "A", HMS(6, 50, 0));
    cr_expect_eq(f.arr[S(&f, "B")], HMS(8, 5, 0));
    /* T7 (added on the 5th only) would reach E at 08:05 */
    cr_expect_eq(f.arr[S(&f, "E")], HMS(8, 30, 0));
    fx_free(&f);
}

Test(raptor, service_added_by_calendar_dates_runs)
{
    fx f;
    fx_load(&f, write_feed("raptor_added", false), 4);
    query(&f, "A", HMS(8, 50, 0));
    cr_expect_eq(f.arr[S(&f, "E")], HMS(9, 20, 0));
    cr_expect_eq(f.nt[S(&f, "E")], 1);
    fx_free(&f);
}

Test(raptor, frequencies_expand_into_trips)
{
    fx f;
    fx_load(&f, write_feed("raptor_freq", true), 4);
    /* F1 every 10 minutes from 10:00 (end 11:00 exclusive): from C at 10:21 the 10:30 run */
    query(&f, "C", HMS(10, 21, 0));
    cr_expect_eq(f.arr[S(&f, "E")], HMS(10, 36, 0));
    query(&f, "C", HMS(10, 51, 0));
    cr_expect_eq(f.arr[S(&f, "E")], GM__RAPTOR_UNREACHED); /* no 11:00 run */
    fx_free(&f);
}

Test(raptor, profile_gives_median_and_worst_over_departures)
{
    fx f;
    fx_load(&f, write_feed("raptor_profile", false), 4);
    gm__raptor_src src = {S(&f, "A"), 0};
    uint32_t tg[2] = {S(&f, "B"), S(&f, "A")};
    int32_t med[2], worst[2];
    cr_assert_eq(gm__raptor_profile(f.ctx, f.r, &src, 1, HMS(7, 55, 0), HMS(8, 5, 0), 60, tg, 2, med, worst), GM_OK);
    /* departures 07:55..08:00 take T1 (600..300 s); 08:01..08:05 wait for T8 at 25:05 */
    cr_expect_eq(med[0], 600);
    cr_expect_eq(worst[0], HMS(25, 5, 0) - HMS(8, 1, 0));
    cr_expect_eq(med[1], 0);
    cr_expect_eq(worst[1], 0);
    cr_expect_eq(gm__raptor_profile(f.ctx, f.r, &src, 1, 10, 0, 60, tg, 2, med, worst), GM_E_ARG);
    fx_free(&f);
}

Test(raptor, bad_rows_are_skipped_and_listed)
{
    const char *dir = write_feed("raptor_bad", false);
    gmt_write(dir, "trips.txt",
              "route_id,service_id,trip_id\nR1,WK,T1\nR9,WK,TX\nR1,NOPE,TY\nR1,WK,TZ\nR2,WK,T2\n");
    gmt_write(dir, "stop_times.txt",
              "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
              "T1,08:00:00,08:00:00,A,1\nT1,08:05:00,08:05:00,B,2\nT1,08:10:00,08:10:00,ZZ,3\n"
              "TZ,08:00:00,08:00:00,A,1\nTZ,07:05:00,07:05:00,B,2\n"
              "T2,08:15:00,08:15:00,C2,1\nT2,8:3x:00,08:30:00,E,2\n"
              "GHOST,08:00:00,08:00:00,A,1\n");
    gm_ctx *ctx;
    cr_assert_eq(gm_ctx_new(&ctx), GM_OK);
    gm__gtfs_opts o;
    gm__gtfs_opts_init(&o);
    o.date = DATE;
    gm__gtfs *g = NULL;
    cr_assert_eq(gm__gtfs_load(ctx, dir, &o, &g), GM_OK, "%s", gm_ctx_errmsg(ctx));
    /* T1 survives without its bad stop; TX, TY, TZ, T2 are gone */
    cr_expect_eq(g->ntrips, 1);
    cr_expect_eq(g->nstop_times, 2);
    struct { const char *file; uint64_t line; const char *field; } want[] = {
        {"trips.txt", 3, "route_id"},      {"trips.txt", 4, "service_id"},  {"stop_times.txt", 4, "stop_id"},
        {"stop_times.txt", 8, "arrival_time"}, {"stop_times.txt", 9, "trip_id"}, {"stop_times.txt", 6, "arrival_time"},
    };
    cr_assert_eq(g->nissues, 6);
    for (size_t i = 0; i < 6; i++) {
        cr_expect_str_eq(g->issues[i].file, want[i].file, "issue %zu: %s", i, g->issues[i].reason);
        cr_expect_eq(g->issues[i].line, want[i].line, "issue %zu: %s", i, g->issues[i].reason);
        cr_expect_str_eq(g->issues[i].field, want[i].field, "issue %zu: %s", i, g->issues[i].reason);
    }
    gm__gtfs_free(g);
    gm_ctx_free(ctx);
}

Test(raptor, missing_required_file_is_named)
{
    const char *dir = write_feed("raptor_missing", false);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm '%s/trips.txt'", dir);
    cr_assert_eq(gmt_system(cmd), 0);
    gm_ctx *ctx;
    cr_assert_eq(gm_ctx_new(&ctx), GM_OK);
    gm__gtfs_opts o;
    gm__gtfs_opts_init(&o);
    o.date = DATE;
    gm__gtfs *g = NULL;
    cr_expect_eq(gm__gtfs_load(ctx, dir, &o, &g), GM_E_NOT_FOUND);
    cr_expect_null(g);
    cr_expect(strstr(gm_ctx_errmsg(ctx), "trips.txt") != NULL, "%s", gm_ctx_errmsg(ctx));
    o.date = 20240230;
    cr_expect_eq(gm__gtfs_load(ctx, dir, &o, &g), GM_E_ARG);
    gm_ctx_free(ctx);
}

Test(raptor, journey_legs_describe_the_transfer)
{
    fx f;
    fx_load(&f, write_feed("raptor_legs", false), 4);
    cr_assert_eq(gm__raptor_keep_legs(f.ctx, f.r), GM_OK);
    query(&f, "A", HMS(7, 55, 0));
    gm__raptor_legs l;
    cr_assert(gm__raptor_journey(f.r, S(&f, "E"), &l));
    cr_expect_eq(l.source, S(&f, "A"));
    cr_expect_eq(l.trips, 2);
    cr_expect_eq(l.ride_s, 10 * 60 + 15 * 60); /* T1 A 08:00 -> C 08:10, T2 C2 08:15 -> E 08:30 */
    cr_expect_eq(l.walk_s, walk_c_c2());
    /* waiting is the rest: 5 min at A, then at C2 until 08:15 */
    cr_expect_eq(HMS(8, 30, 0) - HMS(7, 55, 0) - l.ride_s - l.walk_s, 5 * 60 + (5 * 60 - walk_c_c2()));
    cr_assert(gm__raptor_journey(f.r, S(&f, "A"), &l));
    cr_expect_eq(l.trips, 0);
    fx_free(&f);
}

/* Latest departure from stop s reaching x by T, by binary search over
 * forward runs (arrival is non-decreasing in the departure time). */
static int32_t latest_departure(fx *f, uint32_t s, uint32_t x, int32_t T)
{
    gm__raptor_src src = {s, 0};
    gm__raptor_run(f->r, &src, 1, f->arr, NULL);
    if (f->arr[x] > T)
        return -1;
    int32_t lo = 0, hi = T; /* arrival from lo is <= T */
    while (lo < hi) {
        int32_t mid = lo + (hi - lo + 1) / 2;
        src.time_s = mid;
        gm__raptor_run(f->r, &src, 1, f->arr, NULL);
        if (f->arr[x] <= T)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

Test(raptor, reversed_timetable_gives_the_latest_departures)
{
    for (uint32_t rounds = 1; rounds <= 3; rounds += 2) {
        fx f;
        fx_load(&f, write_feed("raptor_reverse", true), rounds);
        int32_t H = gm__gtfs_horizon(f.g);
        cr_assert_eq(H, HMS(25, 10, 1));
        cr_assert_eq(gm__gtfs_reverse(f.ctx, f.g, H - 1, &(gm__gtfs *){NULL}), GM_E_ARG);
        H += 3600; /* any later horizon works; this one is after every deadline below */
        gm__gtfs *rev = NULL;
        cr_assert_eq(gm__gtfs_reverse(f.ctx, f.g, H, &rev), GM_OK);
        gm__raptor *rr = NULL;
        cr_assert_eq(gm__raptor_new(f.ctx, rev, rounds, &rr), GM_OK);
        static const int32_t deadlines[] = {HMS(8, 20, 0), HMS(8, 30, 0), HMS(9, 30, 0), HMS(10, 45, 0), HMS(25, 30, 0)};
        int checked = 0, reached = 0;
        for (size_t d = 0; d < sizeof deadlines / sizeof *deadlines; d++)
            for (uint32_t x = 0; x < f.g->nstops; x++) {
                int32_t ra[16];
                gm__raptor_src src = {x, H - deadlines[d]};
                gm__raptor_run(rr, &src, 1, ra, NULL);
                for (uint32_t s = 0; s < f.g->nstops; s++) {
                    int32_t want = latest_departure(&f, s, x, deadlines[d]);
                    int32_t got = ra[s] == GM__RAPTOR_UNREACHED ? -1 : H - ra[s];
                    cr_expect_eq(got, want, "%u rounds, %s -> %s by %d: reversed %d, forward %d", rounds,
                                 f.g->stop_id[s], f.g->stop_id[x], deadlines[d], got, want);
                    checked++;
                    reached += want >= 0 && s != x;
                }
            }
        cr_expect_eq(checked, 5 * 5 * 5);
        cr_expect_gt(reached, 10);
        gm__raptor_free(rr);
        gm__gtfs_free(rev);
        fx_free(&f);
    }
}
