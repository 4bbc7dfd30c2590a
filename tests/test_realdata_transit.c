/*
 * Bus times with walking on a real matched pair (skipped, saying which, when
 * ../shared/data is absent): Porto Alegre's OpenStreetMap extract as the walk
 * network (read into SIRGAS 2000 / UTM zone 22S, EPSG:31982, since the
 * working British grid does not fit Brazil) and the EPTC bus timetable for
 * Monday 6 May 2019 (the sample feed's trips run from 11:00 to 16:30, so
 * journeys arrive by 14:00).
 *
 * Checked, for origins and destinations spread over the city:
 * - no bus time exceeds the walking time, and the median never the worst;
 * - every journey's parts add up: walking + riding + waiting = its time,
 *   each part >= 0, and no journey is faster than its own time in vehicles;
 * - no journey beats a straight line at the fastest speed any trip of the
 *   timetable runs between two consecutive stops (computed here from the
 *   feed), or at walking pace where no vehicle is boarded;
 * - the backward search (reversed timetable, one run per site) agrees exactly
 *   with an independent forward one: for each pair, the latest departure
 *   found by bisection over forward RAPTOR runs from the origin's stops.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "geo/crs.h"
#include "network/matrix.h"
#include "testutil.h"
#include "transit/gtfs.h"
#include "transit/ptimes.h"
#include "transit/raptor.h"

#define CRS "EPSG:31982"
#define DATE 20190506u
#define NO 30 /* origins */
#define NS 8  /* sites */

static gm_ctx *ctx;
static void setup(void) { cr_assert_eq(gm_ctx_new(&ctx), GM_OK); }
static void teardown(void) { gm_ctx_free(ctx); }
TestSuite(realdata_transit, .init = setup, .fini = teardown, .timeout = 600);

typedef struct city {
    gm__roads *roads;
    gm__profile p;
    gm__graph *g, *rev;
    gm__snap_index *ix;
    gm__gtfs *tt;
    gm__pt_net *net;
    double ox[NO], oy[NO], sx[NS], sy[NS];
    gm__join oj[NO], sj[NS];
} city;

static const char *shared_or_skip(const char *rel)
{
    const char *p = gmt_shared(rel);
    if (!p)
        cr_skip_test("../shared/data/%s is absent: Porto Alegre transit test skipped", rel);
    return p;
}

/* Points near bus stops spread over the part of the feed the extract covers
 * (every k-th stop on the walk network, moved 150 m north-east so that the
 * walk to the stop counts), joined to the network. */
static void place(city *c, const gm__xform *xf, size_t n, uint32_t stride, uint32_t off, double *x, double *y,
                  gm__join *j)
{
    for (size_t i = 0, s = off; i < n; i++, s += stride) {
        while (!c->net->stop_join[s % c->tt->nstops].ok || c->net->stop_join[s % c->tt->nstops].isolated)
            s++;
        uint32_t k = (uint32_t)(s % c->tt->nstops);
        x[i] = c->tt->stop_lon[k];
        y[i] = c->tt->stop_lat[k];
        cr_assert(gm__xform_point(xf, &x[i], &y[i]));
        x[i] += 106, y[i] += 106;
        gm__snap_point(c->ix, x[i], y[i], 500, &j[i]);
    }
}

static void city_new(city *c, int32_t window_s)
{
    memset(c, 0, sizeof *c);
    char osm[1024], zip[1024]; /* gmt_shared's buffer is reused */
    snprintf(osm, sizeof osm, "%s", shared_or_skip("porto-alegre/poa_osm.pbf"));
    snprintf(zip, sizeof zip, "%s", shared_or_skip("porto-alegre/poa_eptc.zip"));
    gm_status st = gm__roads_load_to(ctx, osm, CRS, &c->roads);
    cr_assert_eq(st, GM_OK, "%s", gm_ctx_errmsg(ctx));
    gm__profile_default(GM__MODE_WALK, &c->p);
    cr_assert_eq(gm__graph_build(ctx, c->roads, &c->p, &c->g), GM_OK);
    cr_assert_eq(gm__graph_reverse(ctx, c->g, &c->rev), GM_OK);
    cr_assert_eq(gm__snap_index_new_ex(ctx, c->roads, c->g, &c->p, &c->ix), GM_OK);
    gm__gtfs_opts go;
    gm__gtfs_opts_init(&go);
    go.date = DATE;
    go.transfer_max_m = 0;
    cr_assert_eq(gm__gtfs_load(ctx, zip, &go, &c->tt), GM_OK, "%s", gm_ctx_errmsg(ctx));
    cr_assert_eq(c->tt->nissues_total, 0);
    gm__pt_opts o;
    gm__pt_opts_init(&o);
    o.arrive_by_s = 14 * 3600; /* the sample feed's trips run 11:00-16:30 */
    o.window_s = window_s;
    o.max_rounds = 4;
    o.cutoff_s = 3 * 3600;
    cr_assert_eq(gm__ptnet_new(ctx, c->tt, c->roads, c->g, c->rev, c->ix, &o, &c->net), GM_OK, "%s",
                 gm_ctx_errmsg(ctx));
    gm__xform *xf = NULL;
    cr_assert_eq(gm__xform_new(ctx, "EPSG:4326", CRS, &xf), GM_OK);
    place(c, xf, NO, 131, 7, c->ox, c->oy, c->oj);
    place(c, xf, NS, 487, 300, c->sx, c->sy, c->sj);
    gm__xform_free(xf);
}

static void city_free(city *c)
{
    gm__ptnet_free(c->net);
    gm__gtfs_free(c->tt);
    gm__snap_index_free(c->ix);
    gm__graph_free(c->rev);
    gm__graph_free(c->g);
    gm__roads_free(c->roads);
}

static float *walk_matrix(city *c, const gm__join *pj, size_t np, const gm__join *sj, size_t ns, float cutoff)
{
    gm__matrix *m = NULL;
    gm__matrix_opts mo = {cutoff, 4.8f, 0};
    cr_assert_eq(gm__matrix_compute(ctx, c->roads, c->g, c->rev, pj, np, sj, ns, &mo, &m), GM_OK);
    float *t = malloc(np * ns * sizeof *t);
    memcpy(t, m->time_s, np * ns * sizeof *t);
    gm__matrix_free(m);
    return t;
}

Test(realdata_transit, stops_join_the_osm_walk_network)
{
    city c;
    city_new(&c, 0);
    /* The extract covers the centre of the city, the feed all of it: inside
     * the extract's box, almost every stop is on a walkable way. */
    double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    for (size_t i = 0; i < c.roads->nnodes; i++) {
        x0 = fmin(x0, c.roads->node_x[i]), x1 = fmax(x1, c.roads->node_x[i]);
        y0 = fmin(y0, c.roads->node_y[i]), y1 = fmax(y1, c.roads->node_y[i]);
    }
    gm__xform *xf = NULL;
    cr_assert_eq(gm__xform_new(ctx, "EPSG:4326", CRS, &xf), GM_OK);
    uint32_t inside = 0, joined = 0;
    for (uint32_t s = 0; s < c.tt->nstops; s++) {
        double x = c.tt->stop_lon[s], y = c.tt->stop_lat[s];
        cr_assert(gm__xform_point(xf, &x, &y));
        if (x < x0 + 500 || x > x1 - 500 || y < y0 + 500 || y > y1 - 500)
            continue;
        inside++;
        joined += c.net->stop_join[s].ok && !c.net->stop_join[s].isolated;
    }
    gm__xform_free(xf);
    cr_expect_gt(inside, 1000);
    cr_expect_geq(joined, inside * 95 / 100, "%u of the %u stops inside the extract joined", joined, inside);
    cr_expect_eq(c.net->stops_used + c.net->stops_far + c.net->stops_isolated, c.tt->nstops);
    cr_expect_gt(c.net->footpaths, c.tt->nstops, "walks between stops: %llu",
                 (unsigned long long)c.net->footpaths);
    for (uint32_t s = 0; s < c.tt->nstops; s++)
        for (uint32_t e = c.tt->xfer_first[s]; e < c.tt->xfer_first[s + 1]; e++) {
            /* a walk on the network is never shorter than the straight line */
            double d = gm__gtfs_dist_m(c.tt->stop_lon[s], c.tt->stop_lat[s], c.tt->stop_lon[c.tt->xfer_to[e]],
                                       c.tt->stop_lat[c.tt->xfer_to[e]]);
            cr_assert_geq(c.tt->xfer_s[e] + 1.0, 0.99 * d / (4.8 / 3.6), "%s -> %s: %d s for %.0f m",
                          c.tt->stop_id[s], c.tt->stop_id[c.tt->xfer_to[e]], c.tt->xfer_s[e], d);
        }
    city_free(&c);
}

/* The fastest consecutive-stop speed of any trip of the feed, m/s. */
static double fastest_trip_speed(const gm__gtfs *g)
{
    double v = 0;
    for (uint32_t t = 0; t < g->ntrips; t++)
        for (uint32_t i = g->trip_first[t]; i + 1 < g->trip_first[t + 1]; i++) {
            double d = gm__gtfs_dist_m(g->stop_lon[g->st_stop[i]], g->stop_lat[g->st_stop[i]],
                                       g->stop_lon[g->st_stop[i + 1]], g->stop_lat[g->st_stop[i + 1]]);
            int32_t dt = g->st_arr_s[i + 1] - g->st_dep_s[i];
            if (d > 50) /* an interval of 0 s between near stops is a timing point, not a speed */
                v = fmax(v, d / fmax(dt, 1));
        }
    return v;
}

Test(realdata_transit, journeys_respect_walking_and_timetable_bounds)
{
    city c;
    city_new(&c, 3600);
    float *walk = walk_matrix(&c, c.oj, NO, c.sj, NS, 3 * 3600);
    size_t n = NO * NS;
    float med[NO * NS], worst[NO * NS], wk[NO * NS], ride[NO * NS], wait[NO * NS];
    uint8_t veh[NO * NS];
    gm__pt_out o = {med, worst, veh, wk, ride, wait};
    cr_assert_eq(gm__pt_times(ctx, c.net, c.oj, NO, c.sj, NS, walk, "test", &o), GM_OK, "%s", gm_ctx_errmsg(ctx));
    double vmax = fastest_trip_speed(c.tt), vwalk = 4.8 / 3.6;
    cr_assert_gt(vmax, 5.0);
    size_t by_bus = 0, reached = 0;
    for (size_t i = 0; i < n; i++) {
        size_t oi = i / NS, si = i % NS;
        cr_assert(med[i] <= worst[i]);
        cr_assert(!(med[i] > walk[i]) && !(worst[i] > walk[i]), "pair %zu: bus %g/%g s, walk %g s", i,
                  (double)med[i], (double)worst[i], (double)walk[i]);
        if (veh[i] == 255)
            continue;
        reached++;
        /* the journey arriving by 14:00 (its time is not the median's) */
        double total = (double)wk[i] + ride[i] + wait[i];
        cr_assert(wk[i] >= 0 && ride[i] >= 0 && wait[i] >= 0, "pair %zu: %g + %g + %g", i, (double)wk[i],
                  (double)ride[i], (double)wait[i]);
        cr_assert_geq(total, ride[i]);
        double d = hypot(c.ox[oi] - c.sx[si], c.oy[oi] - c.sy[si]);
        if (veh[i] == 0) {
            cr_assert_eq(ride[i], 0);
            cr_assert_geq(wk[i] + 1.0, 0.99 * d / vwalk);
        } else {
            by_bus++;
            cr_assert_geq(total + 1.0, 0.99 * d / fmax(vmax, vwalk), "pair %zu: %.0f s for %.0f m", i, total, d);
        }
    }
    cr_expect_gt(reached, n * 8 / 10, "%zu of %zu pairs reached within 3 hours", reached, n);
    cr_expect_gt(by_bus, n / 3, "%zu of %zu pairs go by bus", by_bus, n);
    free(walk);
    city_free(&c);
}

/* Earliest arrival at site si leaving origin oi at t, forward RAPTOR from the
 * origin's stops (access/egress walks from the walk network). */
static int32_t arrive(gm__raptor *r, const gm__gtfs *tt, const int32_t *acc, const int32_t *egr, int32_t t,
                      int32_t *arr, gm__raptor_src *src)
{
    size_t n = 0;
    for (uint32_t s = 0; s < tt->nstops; s++)
        if (acc[s] >= 0)
            src[n++] = (gm__raptor_src){s, t + acc[s]};
    gm__raptor_run(r, src, n, arr, NULL);
    int32_t best = GM__RAPTOR_UNREACHED;
    for (uint32_t s = 0; s < tt->nstops; s++)
        if (egr[s] >= 0 && arr[s] != GM__RAPTOR_UNREACHED && arr[s] + egr[s] < best)
            best = arr[s] + egr[s];
    return best;
}

Test(realdata_transit, backward_search_agrees_with_forward_bisection)
{
    city c;
    city_new(&c, 0); /* one deadline: 14:00 */
    const int32_t T = 14 * 3600;
    float med[NO * NS], worst[NO * NS];
    gm__pt_out o = {med, worst, NULL, NULL, NULL, NULL};
    cr_assert_eq(gm__pt_times(ctx, c.net, c.oj, NO, c.sj, NS, NULL, "test", &o), GM_OK);
    /* Walks to and from stops within 800 m, rounded up as ptimes does. */
    float lim = 800 / (4.8f / 3.6f);
    float *acc = walk_matrix(&c, c.oj, NO, c.net->stop_join, c.tt->nstops, lim);
    float *egr = walk_matrix(&c, c.net->stop_join, c.tt->nstops, c.sj, NS, lim);
    int32_t *a = malloc(c.tt->nstops * sizeof *a), *e = malloc(c.tt->nstops * sizeof *e);
    int32_t *arr = malloc(c.tt->nstops * sizeof *arr);
    gm__raptor_src *src = malloc(c.tt->nstops * sizeof *src);
    gm__raptor *r = NULL;
    cr_assert_eq(gm__raptor_new(ctx, c.tt, 4, &r), GM_OK);
    size_t compared = 0, by_bus = 0;
    for (size_t oi = 0; oi < NO; oi++)
        for (size_t si = 0; si < NS; si++) {
            for (uint32_t s = 0; s < c.tt->nstops; s++) {
                float x = acc[oi * c.tt->nstops + s], y = egr[(size_t)s * NS + si];
                a[s] = isfinite(x) ? (int32_t)ceilf(x - 1e-3f) : -1;
                e[s] = isfinite(y) ? (int32_t)ceilf(y - 1e-3f) : -1;
            }
            int32_t lo = T - 3 * 3600, hi = T;
            int32_t want = GM__RAPTOR_UNREACHED;
            if (arrive(r, c.tt, a, e, lo, arr, src) <= T) {
                while (lo < hi) { /* latest departure reaching the site by T */
                    int32_t mid = lo + (hi - lo + 1) / 2;
                    if (arrive(r, c.tt, a, e, mid, arr, src) <= T)
                        lo = mid;
                    else
                        hi = mid - 1;
                }
                want = T - lo;
            }
            float got = med[oi * NS + si];
            if (want == GM__RAPTOR_UNREACHED) {
                cr_expect(isinf(got), "%zu -> %zu: backward %g s, forward none", oi, si, (double)got);
            } else {
                cr_expect_eq((int32_t)got, want, "%zu -> %zu: backward %g s, forward %d s", oi, si, (double)got,
                             want);
                by_bus++;
            }
            compared++;
        }
    cr_expect_eq(compared, NO * NS);
    cr_expect_gt(by_bus, NO * NS / 3);
    gm__raptor_free(r);
    free(a);
    free(e);
    free(arr);
    free(src);
    free(acc);
    free(egr);
    city_free(&c);
}
