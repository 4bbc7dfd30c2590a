/*
 * Bus times with walking (engine/transit/ptimes.h) on a hand-made street and
 * timetable whose every answer is worked out below.
 *
 * One straight street, 6 km west to east along northing 300000 from easting
 * 400000 (British National Grid), walked at 4.8 km/h (100 m = 75 s).  Stops:
 * A at +200 m, C at +500 m (no trips: a footpath partner of A), B at +5800 m.
 * Trips A -> B on the service date (Monday 4 March 2024):
 *
 *   K1  A 09:00  B 09:10
 *   K2  A 09:30  B 09:40
 *   K3  A 09:50  B 09:58   (the walk from B to the site ends 10:00:30: too late)
 *
 * The site S is at +6000 m.  Points: P at +0 (bus), Q at +5700 (walking beats
 * the bus), R at +3000 (no stop within 800 m: walking only).  Arrive by 10:00,
 * deadlines every minute from 09:30.
 *
 * P: a deadline T from 09:43 catches K2 (leave home 09:27:30): T - 09:27:30;
 * from 09:30 to 09:42, K1 (leave 08:57:30).  The 31 times, sorted: 15.5 ..
 * 32.5 min (18), then 32.5 .. 44.5 (13): lower median 30.5 min, worst 44.5.
 * The journey for 10:00 is K2: 32.5 min = 5 min walking, 10 riding, 17.5
 * waiting (at the site: the bus arrives 09:42:30).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "geo/crs.h"
#include "network/matrix.h"
#include "roadnet.h"
#include "testutil.h"
#include "transit/gtfs.h"
#include "transit/ptimes.h"

#define X0 400000.0
#define Y0 300000.0

static gm_ctx *ctx;
static void setup(void) { cr_assert_eq(gm_ctx_new(&ctx), GM_OK); }
static void teardown(void)
{
    gm__alloc_fail_after(-1);
    gm_ctx_free(ctx);
}
TestSuite(ptimes, .init = setup, .fini = teardown);

static void lonlat(double dx, char *buf, size_t n)
{
    gm__xform *xf = NULL;
    cr_assert_eq(gm__xform_new(ctx, "EPSG:27700", "EPSG:4326", &xf), GM_OK);
    double x = X0 + dx, y = Y0;
    cr_assert(gm__xform_point(xf, &x, &y));
    snprintf(buf, n, "%.8f,%.8f", y, x);
    gm__xform_free(xf);
}

static const char *write_feed(void)
{
    const char *dir = gmt_tmpdir("ptimes-feed");
    char a[64], b[64], c[64], stops[512];
    lonlat(200, a, sizeof a);
    lonlat(5800, b, sizeof b);
    lonlat(500, c, sizeof c);
    snprintf(stops, sizeof stops, "stop_id,stop_name,stop_lat,stop_lon\nA,Alpha,%s\nB,Bravo,%s\nC,Charlie,%s\n", a, b,
             c);
    gmt_write(dir, "agency.txt", "agency_id,agency_name,agency_url,agency_timezone\nAG,Test,http://x,Europe/London\n");
    gmt_write(dir, "stops.txt", stops);
    gmt_write(dir, "routes.txt", "route_id,agency_id,route_short_name,route_type\nR1,AG,1,3\n");
    gmt_write(dir, "calendar.txt",
              "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\n"
              "WK,1,1,1,1,1,0,0,20240101,20241231\n");
    gmt_write(dir, "trips.txt", "route_id,service_id,trip_id\nR1,WK,K1\nR1,WK,K2\nR1,WK,K3\n");
    gmt_write(dir, "stop_times.txt",
              "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
              "K1,09:00:00,09:00:00,A,1\nK1,09:10:00,09:10:00,B,2\n"
              "K2,09:30:00,09:30:00,A,1\nK2,09:40:00,09:40:00,B,2\n"
              "K3,09:50:00,09:50:00,A,1\nK3,09:58:00,09:58:00,B,2\n");
    return dir;
}

typedef struct world {
    net *n;
    gm__profile p;
    gm__graph *g, *rev;
    gm__snap_index *ix;
    gm__gtfs *tt;
    gm__pt_net *pt;
} world;

static void world_new(world *w, const gm__pt_opts *o)
{
    memset(w, 0, sizeof *w);
    w->n = net_new(64, 64, 256);
    for (int i = 0; i <= 60; i++)
        net_node(w->n, X0 + 100.0 * i, Y0);
    for (uint32_t i = 0; i < 60; i++)
        net_link(w->n, i, i + 1, RES, ALL);
    snprintf(w->n->roads.crs, sizeof w->n->roads.crs, "EPSG:27700");
    net_profile(GM__MODE_WALK, false, &w->p);
    cr_assert_eq(gm__graph_build(ctx, &w->n->roads, &w->p, &w->g), GM_OK, "%s", gm_ctx_errmsg(ctx));
    cr_assert_eq(gm__graph_reverse(ctx, w->g, &w->rev), GM_OK);
    cr_assert_eq(gm__snap_index_new_ex(ctx, &w->n->roads, w->g, &w->p, &w->ix), GM_OK);
    gm__gtfs_opts go;
    gm__gtfs_opts_init(&go);
    go.date = 20240304u;
    cr_assert_eq(gm__gtfs_load(ctx, write_feed(), &go, &w->tt), GM_OK, "%s", gm_ctx_errmsg(ctx));
    cr_assert_eq(gm__ptnet_new(ctx, w->tt, &w->n->roads, w->g, w->rev, w->ix, o, &w->pt), GM_OK, "%s",
                 gm_ctx_errmsg(ctx));
}

static void world_free(world *w)
{
    gm__ptnet_free(w->pt);
    gm__gtfs_free(w->tt);
    gm__snap_index_free(w->ix);
    gm__graph_free(w->rev);
    gm__graph_free(w->g);
    net_free(w->n);
}

static void opts(gm__pt_opts *o)
{
    gm__pt_opts_init(o);
    o->arrive_by_s = 10 * 3600;
    o->window_s = 30 * 60;
    o->step_s = 60;
    o->threads = 1;
}

#define NP 3
static const double PX[NP] = {0, 5700, 3000}; /* P, Q, R */

typedef struct res {
    float med[NP], worst[NP], walk_only[NP], walk[NP], ride[NP], wait[NP];
    uint8_t veh[NP];
} res;

static void compute(world *w, int threads, res *r)
{
    gm__join pj[NP], sj[1];
    for (int i = 0; i < NP; i++)
        gm__snap_point(w->ix, X0 + PX[i], Y0, 2000, &pj[i]);
    gm__snap_point(w->ix, X0 + 6000, Y0, 2000, &sj[0]);
    gm__matrix *m = NULL;
    gm__matrix_opts mo = {INFINITY, 4.8f, threads};
    cr_assert_eq(gm__matrix_compute(ctx, &w->n->roads, w->g, w->rev, pj, NP, sj, 1, &mo, &m), GM_OK);
    memcpy(r->walk_only, m->time_s, sizeof r->walk_only);
    gm__matrix_free(m);
    gm__pt_out o = {r->med, r->worst, r->veh, r->walk, r->ride, r->wait};
    gm__pt_net *pt = w->pt;
    pt->o.threads = threads;
    gm_status st = gm__pt_times(ctx, pt, pj, NP, sj, 1, r->walk_only, "test", &o);
    cr_assert_eq(st, GM_OK, "%s", gm_ctx_errmsg(ctx));
}

Test(ptimes, stops_join_the_walk_network_and_footpaths_follow_it)
{
    gm__pt_opts o;
    opts(&o);
    world w;
    world_new(&w, &o);
    cr_assert_eq(w.pt->stops_used, 3);
    /* A <-> C, 300 m apart: 225 s each way; B is 5.3 km from both. */
    cr_assert_eq(w.pt->footpaths, 2);
    uint32_t a = (uint32_t)gm__gtfs_find_stop(w.tt, "A"), c = (uint32_t)gm__gtfs_find_stop(w.tt, "C");
    cr_assert_eq(w.tt->xfer_first[a + 1] - w.tt->xfer_first[a], 1);
    cr_assert_eq(w.tt->xfer_to[w.tt->xfer_first[a]], c);
    cr_assert_eq(w.tt->xfer_s[w.tt->xfer_first[a]], 225);
    world_free(&w);
}

Test(ptimes, median_worst_and_the_journey_by_the_deadline)
{
    gm__pt_opts o;
    opts(&o);
    world w;
    world_new(&w, &o);
    res r;
    compute(&w, 1, &r);
    cr_assert_float_eq(r.walk_only[0], 4500.0f, 1e-3);
    cr_assert_float_eq(r.med[0], 30.5f * 60, 1e-3, "P median %g s", (double)r.med[0]);
    cr_assert_float_eq(r.worst[0], 44.5f * 60, 1e-3, "P worst %g s", (double)r.worst[0]);
    cr_assert_eq(r.veh[0], 1);
    cr_assert_float_eq(r.walk[0], 300.0f, 1e-3);
    cr_assert_float_eq(r.ride[0], 600.0f, 1e-3);
    cr_assert_float_eq(r.wait[0], 1050.0f, 1e-3);
    /* Q: 300 m on foot (225 s) beats any bus. */
    cr_assert_float_eq(r.med[1], 225.0f, 1e-3);
    cr_assert_float_eq(r.worst[1], 225.0f, 1e-3);
    cr_assert_eq(r.veh[1], 0);
    cr_assert_float_eq(r.walk[1], 225.0f, 1e-3);
    cr_assert_float_eq(r.wait[1], 0.0f, 1e-3);
    /* R: no stop within 800 m: the 3 km walk. */
    cr_assert_float_eq(r.med[2], 2250.0f, 1e-3);
    cr_assert_eq(r.veh[2], 0);
    world_free(&w);
}

Test(ptimes, never_slower_than_walking_and_same_for_any_thread_count)
{
    gm__pt_opts o;
    opts(&o);
    world w;
    world_new(&w, &o);
    res r1, r2;
    compute(&w, 1, &r1);
    compute(&w, 3, &r2);
    for (int i = 0; i < NP; i++) {
        cr_assert(r1.med[i] <= r1.walk_only[i] && r1.worst[i] <= r1.walk_only[i]);
        cr_assert(r1.med[i] <= r1.worst[i]);
        cr_assert_eq(memcmp(&r1.med[i], &r2.med[i], sizeof(float)), 0);
        cr_assert_eq(memcmp(&r1.worst[i], &r2.worst[i], sizeof(float)), 0);
        cr_assert_eq(r1.veh[i], r2.veh[i]);
    }
    world_free(&w);
}

Test(ptimes, a_later_session_start_catches_the_last_bus)
{
    /* Arrive by 10:01 with no window: K3 (B 09:58, walk ends 10:00:30) now
     * counts: leave home 09:47:30, 13.5 minutes. */
    gm__pt_opts o;
    opts(&o);
    o.arrive_by_s = 10 * 3600 + 60;
    o.window_s = 0;
    world w;
    world_new(&w, &o);
    res r;
    compute(&w, 1, &r);
    cr_assert_float_eq(r.med[0], 13.5f * 60, 1e-3, "P %g s", (double)r.med[0]);
    cr_assert_float_eq(r.wait[0], 13.5f * 60 - 300 - 480, 1e-3);
    world_free(&w);
}

Test(ptimes, a_cutoff_below_the_walk_leaves_pairs_unreached)
{
    gm__pt_opts o;
    opts(&o);
    o.cutoff_s = 1200; /* 20 minutes: P's bus journeys take longer, R's walk too */
    world w;
    world_new(&w, &o);
    res r;
    compute(&w, 1, &r);
    cr_assert(isinf(r.med[0]) && isinf(r.worst[0]));
    cr_assert_eq(r.veh[0], 255);
    cr_assert(isnan(r.walk[0]));
    cr_assert_float_eq(r.med[1], 225.0f, 1e-3);
    cr_assert(isinf(r.med[2]));
    world_free(&w);
}

Test(ptimes, out_of_memory_is_reported_at_every_allocation)
{
    gm__pt_opts o;
    opts(&o);
    world w;
    world_new(&w, &o);
    res r;
    gm__join pj[NP], sj[1];
    for (int i = 0; i < NP; i++)
        gm__snap_point(w.ix, X0 + PX[i], Y0, 2000, &pj[i]);
    gm__snap_point(w.ix, X0 + 6000, Y0, 2000, &sj[0]);
    gm__pt_out out = {r.med, r.worst, r.veh, r.walk, r.ride, r.wait};
    int failures = 0;
    for (int k = 0; k < 400; k++) {
        gm__alloc_fail_after(k);
        gm_status st = gm__pt_times(ctx, w.pt, pj, NP, sj, 1, NULL, "test", &out);
        gm__alloc_fail_after(-1);
        if (st == GM_OK)
            break;
        cr_assert_eq(st, GM_E_NOMEM, "allocation %d: %s", k, gm_status_name(st));
        failures++;
        gm__pt_net *pt = NULL;
        gm__alloc_fail_after(k);
        st = gm__ptnet_new(ctx, w.tt, &w.n->roads, w.g, w.rev, w.ix, &o, &pt);
        gm__alloc_fail_after(-1);
        cr_assert(st == GM_OK || st == GM_E_NOMEM);
        gm__ptnet_free(pt);
    }
    cr_assert_gt(failures, 5);
    world_free(&w);
}
