/*
 * Matrix: customer -> site times and distances on small networks built here
 * with every expected value worked out by hand in the comments (a grid, a
 * one-way ring, an island, the cutoff, two points on one link), then on a
 * random network against searches run the other way (forward from each
 * customer) and against the straight-line lower bound, with 1, 2 and 4
 * threads giving identical bytes; progress, cancelling and every allocation
 * failing; and on the sample county (geodata/roads.gpkg) with postcodes.
 *
 * Hand-made fixtures run every class at 36 km/h (10 m/s) and walk at
 * 3.6 km/h (1 m/s), so 10 m of road is 1 s and 1 m of walk is 1 s.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "network/matrix.h"
#include "network/nearest.h"
#include "roadnet.h"
#include "testutil.h"


static gm_ctx *ctx;
static void setup(void) { cr_assert_eq(gm_ctx_new(&ctx), GM_OK); }
static void teardown(void)
{
    gm__alloc_fail_after(-1);
    gm_ctx_free(ctx);
}


/* Everything a matrix needs for one network and mode. */
typedef struct world {
    const gm__roads *roads;
    gm__profile p;
    gm__graph *g, *rev;
    gm__snap_index *ix;
} world;

static world world_new(const gm__roads *roads, gm__mode mode, bool flat)
{
    world w = {.roads = roads};
    net_profile(mode, flat, &w.p);
    cr_assert_eq(gm__graph_build(ctx, roads, &w.p, &w.g), GM_OK, "%s", gm_ctx_errmsg(ctx));
    cr_assert_eq(gm__graph_reverse(ctx, w.g, &w.rev), GM_OK);
    cr_assert_eq(gm__snap_index_new_ex(ctx, roads, w.g, &w.p, &w.ix), GM_OK, "%s", gm_ctx_errmsg(ctx));
    return w;
}

static void world_free(world *w)
{
    gm__snap_index_free(w->ix);
    gm__graph_free(w->rev);
    gm__graph_free(w->g);
}

/* Join n points given as x0, y0, x1, y1, ... (caller frees). */
static gm__join *join_all(const world *w, const double *xy, size_t n, float max_m)
{
    gm__join *j = calloc(n ? n : 1, sizeof *j);
    for (size_t i = 0; i < n; i++)
        gm__snap_point(w->ix, xy[2 * i], xy[2 * i + 1], max_m, &j[i]);
    return j;
}

static gm__matrix *compute(const world *w, const gm__join *cj, size_t nc, const gm__join *sj, size_t ns,
                           float cutoff, float walk_kmh, int threads)
{
    gm__matrix_opts o = {cutoff, walk_kmh, threads};
    gm__matrix *m = NULL;
    gm_status st = gm__matrix_compute(ctx, w->roads, w->g, w->rev, cj, nc, sj, ns, &o, &m);
    cr_assert_eq(st, GM_OK, "%s: %s", gm_status_name(st), gm_ctx_errmsg(ctx));
    cr_assert_eq(m->ncust, nc);
    cr_assert_eq(m->nsites, ns);
    return m;
}

#define T(m, c, s) ((m)->time_s[(size_t)(c) * (m)->nsites + (size_t)(s)])
#define D(m, c, s) ((m)->dist_m[(size_t)(c) * (m)->nsites + (size_t)(s)])
#define assert_cell(m, c, s, t, d)                                                                  \
    do {                                                                                            \
        cr_assert(fabs((double)T(m, c, s) - (t)) <= 1e-4, "time %d -> %d: %.6f s, expected %.6f s", \
                  (int)(c), (int)(s), (double)T(m, c, s), (double)(t));                             \
        cr_assert(fabs((double)D(m, c, s) - (d)) <= 1e-4, "dist %d -> %d: %.6f m, expected %.6f m", \
                  (int)(c), (int)(s), (double)D(m, c, s), (double)(d));                             \
    } while (0)
#define assert_inf(m, c, s)                                                                          \
    cr_assert(isinf(T(m, c, s)) && isinf(D(m, c, s)), "%d -> %d: %g s, %g m, expected unreachable", \
              (int)(c), (int)(s), (double)T(m, c, s), (double)D(m, c, s))

/* 3 x 3 grid, nodes (100 i, 100 j), links between neighbours, all two-way. */
static net *grid3(void)
{
    net *n = net_new(16, 32, 64);
    for (int j = 0; j < 3; j++)
        for (int i = 0; i < 3; i++)
            net_node(n, 100.0 * i, 100.0 * j);
    for (int j = 0; j < 3; j++)
        for (int i = 0; i < 3; i++) {
            uint32_t a = (uint32_t)(3 * j + i);
            if (i < 2)
                net_link(n, a, a + 1, RES, ALL);
            if (j < 2)
                net_link(n, a, a + 3, RES, ALL);
        }
    return n;
}

static const double GRID_CUST[] = {
    30, -5,  /* C0: bottom row link (0,0)-(100,0), along 30, join 5 */
    200, 50, /* C1: on link (200,0)-(200,100), along 50, join 0 */
    30, 8,   /* C2: link (0,0)-(100,0), along 30, join 8 */
};
static const double GRID_SITE[] = {
    205, 170, /* S0: link (200,100)-(200,200), along 70, join 5 */
    60, 103,  /* S1: link (0,100)-(100,100), along 60, join 3 */
    80, -4,   /* S2: link (0,0)-(100,0), along 80, join 4 */
};

Test(matrix, grid_times_match_the_hand_computed_ones, .init = setup, .fini = teardown)
{
    net *n = grid3();
    world w = world_new(&n->roads, GM__MODE_CAR, true);
    gm__join *cj = join_all(&w, GRID_CUST, 3, 2000), *sj = join_all(&w, GRID_SITE, 3, 2000);
    gm__matrix *m = compute(&w, cj, 3, sj, 3, INFINITY, 3.6f, 1);
    cr_assert_eq(m->mode, GM__MODE_CAR);
    /* C0 -> S0: walk 5 + 70 m to (100,0) + 200 m to (200,100) + 70 m up + walk 5
     * = 5 + 7 + 20 + 7 + 5 = 44 s; 5 + 70 + 200 + 70 + 5 = 350 m. */
    assert_cell(m, 0, 0, 44, 350);
    /* C0 -> S1: west 30 m to (0,0), 100 m north, 60 m east = 190 m = 19 s
     * (east first is 70 + 100 + 40 = 210 m); walks 5 + 3: 27 s, 198 m. */
    assert_cell(m, 0, 1, 27, 198);
    /* C0 -> S2, same link, forwards 50 m: 5 + 5 + 4 = 14 s, 59 m. */
    assert_cell(m, 0, 2, 14, 59);
    /* C1 -> S0: 50 m north, 70 m on: 12 s, walk 0 + 5: 17 s, 125 m. */
    assert_cell(m, 1, 0, 17, 125);
    /* C1 -> S1: 50 m north, 100 m west, 40 m back along: 190 m = 19 s,
     * walk 3: 22 s, 193 m. */
    assert_cell(m, 1, 1, 22, 193);
    /* C1 -> S2: 50 m south to (200,0), 100 m west to (100,0), 20 m back:
     * 170 m = 17 s, walk 4: 21 s, 174 m. */
    assert_cell(m, 1, 2, 21, 174);
    /* C2 -> S2, same link: walk 8 + 50 m (5 s) + walk 4 = 17 s, 62 m; through
     * node (100,0) it would be 70 + 20 m: 21 s. */
    assert_cell(m, 2, 2, 17, 62);
    /* C2 -> S1 as C0 -> S1 with a walk of 8: 19 + 8 + 3 = 30 s, 201 m. */
    assert_cell(m, 2, 1, 30, 201);
    gm__matrix_free(m);

    /* Cutoff, inclusive: 27 keeps C0 -> S1 (27 s) and drops C0 -> S0 (44 s);
     * 26.5 drops C0 -> S1 too. */
    m = compute(&w, cj, 3, sj, 3, 27.0f, 3.6f, 2);
    assert_inf(m, 0, 0);
    assert_cell(m, 0, 1, 27, 198);
    assert_cell(m, 1, 0, 17, 125);
    assert_inf(m, 2, 1);
    gm__matrix_free(m);
    m = compute(&w, cj, 3, sj, 3, 26.5f, 3.6f, 1);
    assert_inf(m, 0, 1);
    assert_cell(m, 1, 1, 22, 193);
    gm__matrix_free(m);
    /* Cutoff below every site's own walk: nothing at all. */
    m = compute(&w, cj, 3, sj, 3, 2.0f, 3.6f, 1);
    for (int c = 0; c < 3; c++)
        for (int s = 0; s < 3; s++)
            assert_inf(m, c, s);
    gm__matrix_free(m);

    free(cj);
    free(sj);
    world_free(&w);
    net_free(n);
}

/* A one-way ring for cars: A (0,0) -> B (100,0) -> C (100,100) -> D (0,100) -> A.
 * P (80,-5) and R (20,-5) are beside AB (along 80 and 20), Q (50,105) beside
 * CD (digitised C -> D, along 50); every join is 5 m (5 s). */
Test(matrix, one_way_streets_make_there_and_back_differ, .init = setup, .fini = teardown)
{
    net *n = net_new(4, 4, 16);
    uint32_t a = net_node(n, 0, 0), b = net_node(n, 100, 0), c = net_node(n, 100, 100), d = net_node(n, 0, 100);
    net_link(n, a, b, RES, GM__RF_CAR_FWD | GM__RF_WALK);
    net_link(n, b, c, RES, GM__RF_CAR_FWD | GM__RF_WALK);
    net_link(n, c, d, RES, GM__RF_CAR_FWD | GM__RF_WALK);
    net_link(n, d, a, RES, GM__RF_CAR_FWD | GM__RF_WALK);
    world w = world_new(&n->roads, GM__MODE_CAR, true);
    static const double PTS[] = {80, -5, 50, 105, 20, -5}; /* P, Q, R */
    gm__join *j = join_all(&w, PTS, 3, 2000);
    gm__matrix *m = compute(&w, j, 3, j, 3, INFINITY, 3.6f, 1);
    /* P -> Q: 20 m to B, BC 100 m, 50 m along CD: 170 m = 17 s; walks 10 s:
     * 27 s, 180 m.  Q -> P: 50 m to D, DA 100 m, 80 m along AB: 230 m =
     * 23 s; 33 s, 240 m. */
    assert_cell(m, 0, 1, 27, 180);
    assert_cell(m, 1, 0, 33, 240);
    /* R -> P on one link, with the traffic: 60 m = 6 s; 16 s, 70 m.
     * P -> R against it: round the block, 20 + 300 + 20 m = 34 s; 44 s, 350 m. */
    assert_cell(m, 2, 0, 16, 70);
    assert_cell(m, 0, 2, 44, 350);
    /* R -> Q: 80 + 100 + 50 m = 23 s; 33 s, 240 m.  Q -> R: 50 + 100 + 20 m
     * = 17 s; 27 s, 180 m. */
    assert_cell(m, 2, 1, 33, 240);
    assert_cell(m, 1, 2, 27, 180);
    /* A point to itself: the two walks, no drive. */
    for (int k = 0; k < 3; k++)
        assert_cell(m, k, k, 10, 10);
    gm__matrix_free(m);
    free(j);
    world_free(&w);
    net_free(n);
}

/* The grid plus an island 800 m east (a two-way link (1000,0)-(1000,100)),
 * not connected to it: the graph keeps the grid only. */
Test(matrix, islands_and_points_not_joined_are_unreachable, .init = setup, .fini = teardown)
{
    net *n = grid3();
    uint32_t i0 = net_node(n, 1000, 0), i1 = net_node(n, 1000, 100);
    net_link(n, i0, i1, RES, ALL);
    world w = world_new(&n->roads, GM__MODE_CAR, true);
    static const double CUST[] = {30, -5, 1010, 50}; /* C0 of the grid test; an islander */
    static const double SITE[] = {205, 170, 990, 20, 5000, 5000};
    gm__join *cj = join_all(&w, CUST, 2, 2000), *sj = join_all(&w, SITE, 3, 2000);
    cr_assert(cj[1].ok && cj[1].isolated);
    cr_assert(sj[1].ok && sj[1].isolated);
    cr_assert_not(sj[2].ok, "5 km from every road");
    for (int threads = 1; threads <= 3; threads += 2) {
        gm__matrix *m = compute(&w, cj, 2, sj, 3, INFINITY, 3.6f, threads);
        assert_cell(m, 0, 0, 44, 350);
        assert_inf(m, 0, 1); /* mainland -> island */
        assert_inf(m, 1, 0); /* island -> mainland */
        assert_inf(m, 1, 1); /* island -> island: its road is not in the graph */
        assert_inf(m, 0, 2);
        assert_inf(m, 1, 2);
        gm__matrix_free(m);
    }
    free(cj);
    free(sj);
    world_free(&w);
    net_free(n);
}

/* splitmix64 */
static uint64_t rng_state;
static uint64_t rnd(void)
{
    uint64_t x = (rng_state += UINT64_C(0x9e3779b97f4a7c15));
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}
static double unif(double lo, double hi) { return lo + (hi - lo) * (double)(rnd() >> 11) / 9007199254740992.0; }

/* A jittered grid 200 m apart, bent links, mixed classes (default car
 * speeds), 10% one-way either way, 2% motorway (car only). */
static net *random_net(int side)
{
    size_t nn = (size_t)side * side, nl = 2 * nn;
    net *n = net_new(nn, nl, nl * 4);
    for (int y = 0; y < side; y++)
        for (int x = 0; x < side; x++)
            net_node(n, 400000 + x * 200.0 + unif(-60, 60), 250000 + y * 200.0 + unif(-60, 60));
    for (int y = 0; y < side; y++)
        for (int x = 0; x < side; x++)
            for (int d = 0; d < 2; d++) {
                int bx = x + (d == 0), by = y + (d == 1);
                if (bx >= side || by >= side)
                    continue;
                uint32_t a = (uint32_t)(y * side + x), b = (uint32_t)(by * side + bx);
                double mid[4];
                size_t k = (size_t)(rnd() % 3);
                for (size_t v = 0; v < k; v++) {
                    double t = (double)(v + 1) / (double)(k + 1);
                    mid[2 * v] = n->nx[a] + t * (n->nx[b] - n->nx[a]) + unif(-50, 50);
                    mid[2 * v + 1] = n->ny[a] + t * (n->ny[b] - n->ny[a]) + unif(-50, 50);
                }
                uint64_t r = rnd() % 100;
                uint8_t rc = (uint8_t)(GM__RC_PRIMARY + rnd() % 5);
                uint16_t flags = ALL;
                if (r < 5)
                    flags = GM__RF_CAR_FWD | GM__RF_WALK;
                else if (r < 10)
                    flags = GM__RF_CAR_BWD | GM__RF_WALK;
                else if (r < 12)
                    rc = GM__RC_MOTORWAY, flags = CAR2;
                net_link_v(n, a, b, rc, flags, mid, k);
            }
    return n;
}

static double *random_points(size_t n, double x0, double y0, double x1, double y1)
{
    double *xy = malloc(2 * n * sizeof *xy);
    for (size_t i = 0; i < n; i++) {
        xy[2 * i] = unif(x0, x1);
        xy[2 * i + 1] = unif(y0, y1);
    }
    return xy;
}

Test(matrix, agrees_with_searches_from_each_customer_and_the_straight_line_bound, .init = setup,
     .fini = teardown)
{
    rng_state = 7;
    net *n = random_net(25);
    world w = world_new(&n->roads, GM__MODE_CAR, false);
    const size_t NC = 150, NS = 20;
    double *cxy = random_points(NC, 399800, 249800, 405000, 255000);
    double *sxy = random_points(NS, 399800, 249800, 405000, 255000);
    /* Some customers on the sites' links, for the same-link case. */
    for (size_t i = 0; i < NS; i++) {
        cxy[2 * i] = sxy[2 * i] + unif(-30, 30);
        cxy[2 * i + 1] = sxy[2 * i + 1] + unif(-30, 30);
    }
    gm__join *cj = join_all(&w, cxy, NC, 2000), *sj = join_all(&w, sxy, NS, 2000);
    const float walk = 4.8f, cutoff = 600.0f;
    gm__matrix *m = compute(&w, cj, NC, sj, NS, cutoff, walk, 2);

    /* Independent answer: a forward search from each customer, read at each
     * site's arriving seeds, or the direct path along a shared link. */
    gm__search *s = NULL;
    cr_assert_eq(gm__search_new(ctx, w.g, &s), GM_OK);
    /* The fastest any part of a journey goes: the profile's top speed (or the
     * walk), in m/s, taken from the profile, not from the graph. */
    double vmax = walk / 3.6;
    for (int c = 0; c < GM__RC_COUNT; c++)
        vmax = fmax(vmax, w.p.speed_kmh[c] / 3.6);
    size_t finite = 0, same_link = 0, beyond = 0;
    for (size_t c = 0; c < NC; c++) {
        gm__seed cs[2];
        size_t ncs = gm__join_seeds(&cj[c], &n->roads, w.g, walk, false, cs);
        gm__search_run(s, cs, ncs, INFINITY, NULL, NULL);
        for (size_t k = 0; k < NS; k++) {
            double bt = INFINITY, bd = INFINITY;
            gm__seed ss[2];
            size_t nss = gm__join_seeds(&sj[k], &n->roads, w.g, walk, true, ss);
            for (size_t q = 0; ncs && q < nss; q++) {
                float lt, ld;
                if (gm__search_label(s, ss[q].node, &lt, &ld, NULL) &&
                    (double)lt + ss[q].time_s < bt) {
                    bt = (double)lt + ss[q].time_s;
                    bd = (double)ld + ss[q].dist_m;
                }
            }
            float dt, dd;
            if (gm__join_direct(&cj[c], &sj[k], &n->roads, w.g, walk, &dt, &dd) && dt < bt) {
                bt = dt;
                bd = dd;
                same_link++;
            }
            double t = T(m, c, k), d = D(m, c, k);
            if (bt > cutoff * (1 + 1e-6)) {
                cr_assert(isinf(t), "%zu -> %zu: %g s beyond the cutoff (independent %g s)", c, k, t, bt);
                beyond++;
                continue;
            }
            if (isinf(t)) {
                cr_assert(bt >= cutoff * (1 - 1e-6), "%zu -> %zu: unreachable, independent %g s", c, k, bt);
                continue;
            }
            finite++;
            cr_assert(fabs(t - bt) <= 1e-3 + 1e-5 * bt, "%zu -> %zu: %.6f s, independent %.6f s", c, k, t, bt);
            cr_assert(fabs(d - bd) <= 1e-2 + 1e-5 * bd, "%zu -> %zu: %.6f m, independent %.6f m", c, k, d, bd);
            /* Lower bounds from the straight line between the two points. */
            double e = hypot(cxy[2 * c] - sxy[2 * k], cxy[2 * c + 1] - sxy[2 * k + 1]);
            cr_assert(d >= e * (1 - 1e-6), "%zu -> %zu: %g m by road, %g m straight", c, k, d, e);
            cr_assert(t >= e / vmax * (1 - 1e-6), "%zu -> %zu: %g s for %g m straight", c, k, t, e);
        }
    }
    cr_assert_gt(finite, NC * NS / 2, "%zu of %zu finite", finite, NC * NS);
    cr_assert_gt(same_link, 0);
    cr_assert_gt(beyond, 0, "the cutoff should bite somewhere");
    gm__search_free(s);

    /* Any thread count, the same bytes. */
    for (int threads = 1; threads <= 4; threads *= 2) {
        gm__matrix *m2 = compute(&w, cj, NC, sj, NS, cutoff, walk, threads);
        cr_assert(memcmp(m->time_s, m2->time_s, NC * NS * sizeof(float)) == 0, "%d threads", threads);
        cr_assert(memcmp(m->dist_m, m2->dist_m, NC * NS * sizeof(float)) == 0, "%d threads", threads);
        gm__matrix_free(m2);
    }
    gm__matrix_free(m);
    free(cxy);
    free(sxy);
    free(cj);
    free(sj);
    world_free(&w);
    net_free(n);
}

/* The nearest-k reducer against the dense matrix it must agree with: each
 * point's k fastest allowed sites in (time, distance, site) order, the counts
 * within each threshold, for 1 and 3 threads. */
Test(matrix, nearest_sites_and_counts_agree_with_the_dense_matrix, .init = setup, .fini = teardown)
{
    rng_state = 11;
    net *n = random_net(20);
    world w = world_new(&n->roads, GM__MODE_CAR, false);
    const size_t NC = 120, NS = 15, K = 4;
    double *cxy = random_points(NC, 399800, 249800, 404000, 254000);
    double *sxy = random_points(NS, 399800, 249800, 404000, 254000);
    gm__join *cj = join_all(&w, cxy, NC, 2000), *sj = join_all(&w, sxy, NS, 2000);
    const float cutoff = 420.0f, thr[] = {60.0f, 180.0f, 420.0f};
    gm__matrix *m = compute(&w, cj, NC, sj, NS, cutoff, 4.8f, 2);
    bool ok[15];
    for (size_t s = 0; s < NS; s++)
        ok[s] = s % 3 != 1;
    uint64_t finite = 0, allowed = 0;
    for (size_t i = 0; i < NC * NS; i++) {
        finite += isfinite(m->time_s[i]);
        allowed += isfinite(m->time_s[i]) && ok[i % NS];
    }
    cr_assert_eq(m->reached, finite);
    for (int threads = 1; threads <= 3; threads += 2) {
        gm__reach_opts o = {cutoff, 4.8f, threads};
        gm__nearest *nr = NULL;
        cr_assert_eq(gm__nearest_compute(ctx, w.roads, w.g, w.rev, cj, NC, sj, NS, ok, &o, K, thr, 3,
                                         "Nearest", &nr), GM_OK, "%s", gm_ctx_errmsg(ctx));
        cr_assert_eq(nr->pairs, allowed);
        size_t full = 0;
        for (size_t c = 0; c < NC; c++) {
            /* The dense row's allowed finite cells, selection-sorted. */
            bool used[15] = {false};
            for (size_t r = 0; r < K; r++) {
                size_t b = NS;
                for (size_t s = 0; s < NS; s++) {
                    if (!ok[s] || used[s] || !isfinite(T(m, c, s)))
                        continue;
                    if (b == NS || T(m, c, s) < T(m, c, b) ||
                        (T(m, c, s) == T(m, c, b) && D(m, c, s) < D(m, c, b)))
                        b = s;
                }
                const gm__near *e = &nr->best[c * K + r];
                if (b == NS) {
                    cr_assert_eq(e->site, GM__NEAR_NONE, "point %zu rank %zu", c, r);
                    cr_assert(isinf(e->time_s));
                    continue;
                }
                used[b] = true;
                full += r == K - 1;
                cr_assert_eq(e->site, b, "point %zu rank %zu: site %u, expected %zu", c, r, e->site, b);
                cr_assert_eq(e->time_s, T(m, c, b));
                cr_assert_eq(e->dist_m, D(m, c, b));
            }
            for (size_t t = 0; t < 3; t++) {
                uint32_t cnt = 0;
                for (size_t s = 0; s < NS; s++)
                    cnt += ok[s] && T(m, c, s) <= thr[t];
                cr_assert_eq(nr->within[c * 3 + t], cnt, "point %zu threshold %zu", c, t);
            }
        }
        cr_assert_gt(full, NC / 4, "the lists should often be full (%zu)", full);
        gm__nearest_free(nr);
    }
    /* Every allocation failing comes back as a clean GM_E_NOMEM. */
    gm__reach_opts o = {cutoff, 4.8f, 2};
    gm_status st = GM_E_NOMEM;
    for (long k = 0; st != GM_OK; k++) {
        gm__nearest *nr = NULL;
        gm__alloc_fail_after(k);
        st = gm__nearest_compute(ctx, w.roads, w.g, w.rev, cj, NC, sj, NS, NULL, &o, K, thr, 3, "Nearest", &nr);
        gm__alloc_fail_after(-1);
        cr_assert(st == GM_OK || (st == GM_E_NOMEM && !nr), "allocation %ld: %s", k, gm_status_name(st));
        gm__nearest_free(nr);
    }
    gm__nearest *nr = NULL;
    cr_assert_eq(gm__nearest_compute(ctx, w.roads, w.g, w.rev, cj, NC, sj, NS, NULL, &o, 0, thr, 3, "x", &nr),
                 GM_E_ARG);
    gm__matrix_free(m);
    free(cxy);
    free(sxy);
    free(cj);
    free(sj);
    world_free(&w);
    net_free(n);
}

typedef struct prog {
    uint64_t calls, last_done, last_total, cancel_at;
    bool monotonic, label_ok;
} prog;

static int on_progress(uint64_t done, uint64_t total, const char *label, void *user)
{
    prog *p = user;
    if (p->calls && done < p->last_done)
        p->monotonic = false;
    if (strcmp(label, "Travel times (car)") != 0)
        p->label_ok = false;
    p->calls++;
    p->last_done = done;
    p->last_total = total;
    return p->cancel_at && done >= p->cancel_at;
}

Test(matrix, reports_progress_per_site_and_can_be_cancelled, .init = setup, .fini = teardown)
{
    rng_state = 11;
    net *n = random_net(12);
    world w = world_new(&n->roads, GM__MODE_CAR, false);
    const size_t NC = 40, NS = 30;
    double *cxy = random_points(NC, 400000, 250000, 402200, 252200);
    double *sxy = random_points(NS, 400000, 250000, 402200, 252200);
    gm__join *cj = join_all(&w, cxy, NC, 2000), *sj = join_all(&w, sxy, NS, 2000);
    for (int threads = 1; threads <= 4; threads *= 4) {
        prog p = {.monotonic = true, .label_ok = true};
        gm_ctx_set_progress(ctx, on_progress, &p);
        gm__matrix *m = compute(&w, cj, NC, sj, NS, INFINITY, 4.8f, threads);
        cr_assert(p.monotonic);
        cr_assert(p.label_ok);
        cr_assert_eq(p.last_done, NS);
        cr_assert_eq(p.last_total, NS);
        cr_assert_geq(p.calls, 2);
        gm__matrix_free(m);

        prog q = {.monotonic = true, .label_ok = true, .cancel_at = 3};
        gm_ctx_set_progress(ctx, on_progress, &q);
        gm__matrix_opts o = {INFINITY, 4.8f, threads};
        m = NULL;
        cr_assert_eq(gm__matrix_compute(ctx, w.roads, w.g, w.rev, cj, NC, sj, NS, &o, &m), GM_E_CANCELLED);
        cr_assert_null(m);
        cr_assert(strstr(gm_ctx_errmsg(ctx), "Travel times (car)") != NULL, "%s", gm_ctx_errmsg(ctx));
        gm_ctx_set_progress(ctx, NULL, NULL);
    }
    free(cxy);
    free(sxy);
    free(cj);
    free(sj);
    world_free(&w);
    net_free(n);
}

Test(matrix, every_allocation_failure_is_a_clean_nomem, .init = setup, .fini = teardown)
{
    net *n = grid3();
    world w = world_new(&n->roads, GM__MODE_CAR, true);
    gm__join *cj = join_all(&w, GRID_CUST, 3, 2000), *sj = join_all(&w, GRID_SITE, 3, 2000);
    gm__matrix_opts o = {INFINITY, 3.6f, 2};
    gm_status st = GM_E_NOMEM;
    long k;
    for (k = 0; st != GM_OK; k++) {
        gm__matrix *m = NULL;
        gm__alloc_fail_after(k);
        st = gm__matrix_compute(ctx, w.roads, w.g, w.rev, cj, 3, sj, 3, &o, &m);
        gm__alloc_fail_after(-1);
        if (st != GM_OK) {
            cr_assert_eq(st, GM_E_NOMEM, "allocation %ld: %s", k, gm_status_name(st));
            cr_assert_null(m);
        }
        gm__matrix_free(m);
    }
    cr_assert_gt(k, 5);
    free(cj);
    free(sj);
    world_free(&w);
    net_free(n);
}

Test(matrix, graphs_in_the_wrong_order_are_refused, .init = setup, .fini = teardown)
{
    net *n = grid3();
    world w = world_new(&n->roads, GM__MODE_CAR, true);
    gm__matrix *m = NULL;
    cr_assert_eq(gm__matrix_compute(ctx, w.roads, w.rev, w.g, NULL, 0, NULL, 0, NULL, &m), GM_E_ARG);
    cr_assert_null(m);
    /* No customers, no sites: an empty matrix. */
    cr_assert_eq(gm__matrix_compute(ctx, w.roads, w.g, w.rev, NULL, 0, NULL, 0, NULL, &m), GM_OK);
    cr_assert_eq(m->ncust, 0);
    gm__matrix_free(m);
    world_free(&w);
    net_free(n);
}

/* ---- The sample county ---- */

typedef struct pc {
    char code[12];
    double x, y;
} pc;

/* Postcodes with coordinates from the ONSPD-layout file (no quoted fields). */
static pc *read_postcodes(const char *path, size_t *n)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    char line[1024];
    cr_assert_not_null(fgets(line, sizeof line, f));
    int ccode = -1, cx = -1, cy = -1, col = 0;
    for (char *tok = strtok(line, ",\r\n"); tok; tok = strtok(NULL, ",\r\n"), col++) {
        if (!strcmp(tok, "pcds"))
            ccode = col;
        else if (!strcmp(tok, "oseast1m"))
            cx = col;
        else if (!strcmp(tok, "osnrth1m"))
            cy = col;
    }
    cr_assert(ccode >= 0 && cx >= 0 && cy >= 0);
    size_t cap = 8192, k = 0;
    pc *out = calloc(cap, sizeof *out);
    while (fgets(line, sizeof line, f)) {
        char *fields[32] = {0};
        int nf = 0;
        char *p = line;
        while (nf < 32) {
            fields[nf++] = p;
            char *comma = strchr(p, ',');
            if (!comma)
                break;
            *comma = '\0';
            p = comma + 1;
        }
        if (nf <= cx || nf <= cy || !*fields[cx] || !*fields[cy])
            continue;
        cr_assert_lt(k, cap);
        snprintf(out[k].code, sizeof out[k].code, "%s", fields[ccode]);
        out[k].x = atof(fields[cx]);
        out[k].y = atof(fields[cy]);
        k++;
    }
    fclose(f);
    *n = k;
    return out;
}

Test(matrix, examplshire_postcodes_by_car, .init = setup, .fini = teardown, .timeout = 300)
{
    gm__roads *r = NULL;
    gm_status st = gm__roads_load(ctx, gmt_src("geodata/roads.gpkg"), &r);
    if (st != GM_OK)
        cr_skip_test("geodata/roads.gpkg not readable yet: %s", gm_ctx_errmsg(ctx));
    world w = world_new(r, GM__MODE_CAR, false);
    size_t npc = 0;
    pc *pcs = read_postcodes(gmt_src("geodata/onspd_examplshire.csv"), &npc);
    cr_assert_gt(npc, 4000);

    /* Customers: every 20th postcode and all of Holm Island (sector EM8 9);
     * sites: every 150th postcode off the island. */
    size_t nc = 0, ns = 0, nisl = 0;
    double *cxy = malloc(2 * npc * sizeof *cxy), *sxy = malloc(2 * npc * sizeof *sxy);
    bool *island = calloc(npc, sizeof *island);
    for (size_t i = 0; i < npc; i++) {
        bool isl = strncmp(pcs[i].code, "EM8 9", 5) == 0;
        if (isl || i % 20 == 0) {
            island[nc] = isl;
            nisl += isl;
            cxy[2 * nc] = pcs[i].x;
            cxy[2 * nc + 1] = pcs[i].y;
            nc++;
        }
        if (!isl && i % 150 == 0) {
            sxy[2 * ns] = pcs[i].x;
            sxy[2 * ns + 1] = pcs[i].y;
            ns++;
        }
    }
    cr_assert_eq(nisl, 5, "geodata/expected.json: holm_island.postcodes = 5");
    gm__join *cj = join_all(&w, cxy, nc, 2000), *sj = join_all(&w, sxy, ns, 2000);
    for (size_t c = 0; c < nc; c++) {
        cr_assert(cj[c].ok, "customer %zu (%.0f, %.0f) not joined", c, cxy[2 * c], cxy[2 * c + 1]);
        cr_assert_eq(cj[c].isolated, island[c], "customer %zu (%.0f, %.0f)", c, cxy[2 * c], cxy[2 * c + 1]);
    }
    gm__matrix *m = compute(&w, cj, nc, sj, ns, INFINITY, 4.8f, 0);
    double vmax = 4.8 / 3.6;
    for (int k = 0; k < GM__RC_COUNT; k++)
        vmax = fmax(vmax, w.p.speed_kmh[k] / 3.6);
    size_t finite = 0;
    for (size_t c = 0; c < nc; c++) {
        for (size_t s = 0; s < ns; s++) {
            double t = T(m, c, s), d = D(m, c, s);
            if (island[c]) {
                cr_assert(isinf(t), "Holm Island customer %zu reaches site %zu in %g s", c, s, t);
                continue;
            }
            double e = hypot(cxy[2 * c] - sxy[2 * s], cxy[2 * c + 1] - sxy[2 * s + 1]);
            cr_assert(isfinite(t), "mainland customer %zu cannot reach site %zu", c, s);
            cr_assert(d >= e * (1 - 1e-6), "%zu -> %zu: %g m by road, %g m straight", c, s, d, e);
            cr_assert(t >= e / vmax * (1 - 1e-6), "%zu -> %zu: %g s for %g m straight", c, s, t, e);
            finite++;
        }
    }
    cr_assert_eq(finite, (nc - nisl) * ns);
    gm__matrix_free(m);
    free(cj);
    free(sj);
    free(cxy);
    free(sxy);
    free(island);
    free(pcs);
    world_free(&w);
    gm__roads_free(r);
}
