/*
 * Snap: joining points to a mode's graph on small road networks built here,
 * with the answers worked out by hand (projection mid-link and on a bend,
 * one-way links, the limit, motorways for walkers, ties, islands), then the
 * grid against a brute-force scan of every segment on a random network,
 * compared exactly, and every allocation failing in turn.
 *
 * Speeds are chosen so that sums stay exact: links at 36 km/h (10 m/s) and
 * walking at 3.6 km/h (1 m/s).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "network/snap.h"
#include "roadnet.h"

#define SQ2 1.41421356237309504880 /* sqrt(2) */


static gm_ctx *ctx;
static void setup(void) { cr_assert_eq(gm_ctx_new(&ctx), GM_OK); }
static void teardown(void)
{
    gm__alloc_fail_after(-1);
    gm_ctx_free(ctx);
}


static gm__graph *build(const net *n, gm__mode mode, bool flat)
{
    gm__profile p;
    net_profile(mode, flat, &p);
    gm__graph *g = NULL;
    cr_assert_eq(gm__graph_build(ctx, &n->roads, &p, &g), GM_OK, "%s", gm_ctx_errmsg(ctx));
    return g;
}

static gm__snap_index *index_of(const net *n, const gm__graph *g)
{
    gm__snap_index *ix = NULL;
    cr_assert_eq(gm__snap_index_new(ctx, &n->roads, g, &ix), GM_OK, "%s", gm_ctx_errmsg(ctx));
    return ix;
}

#define assert_near(a, b, tol) cr_assert(fabs((double)(a) - (double)(b)) <= (tol), "%s = %.9g, expected %.9g", #a, (double)(a), (double)(b))

/* The square: nodes 0 (0,0), 1 (100,0), 2 (100,100), 3 (0,100); links
 * L0 0->1, L1 1->2, L2 2->3 bent through (50,150) (two 50*sqrt2 m legs,
 * 141.42 m), L3 3->0; all two-way for everyone. */
static net *square(void)
{
    net *n = net_new(8, 8, 32);
    net_node(n, 0, 0);
    net_node(n, 100, 0);
    net_node(n, 100, 100);
    net_node(n, 0, 100);
    net_link(n, 0, 1, RES, ALL);
    net_link(n, 1, 2, RES, ALL);
    net_link_v(n, 2, 3, RES, ALL, (const double[]){50, 150}, 1);
    net_link(n, 3, 0, RES, ALL);
    return n;
}

typedef struct snap_case {
    double x, y;
    uint32_t link;
    double along, join, jx, jy;
} snap_case;

ParameterizedTestParameters(snap, joins_the_nearest_point_of_the_nearest_link)
{
    static snap_case cases[] = {
        /* beside the middle of L0, inside and outside the square */
        {40, 10, 0, 40, 10, 40, 0},
        {40, -7, 0, 40, 7, 40, 0},
        /* beside L1, 30 m from node 1 */
        {112, 30, 1, 30, 12, 100, 30},
        /* off the first leg of L2 (direction (-1,1)/sqrt2) at (75,125) moved
         * 5*sqrt2 along the normal (1,1)/sqrt2: along 25*sqrt2, join 5*sqrt2 */
        {80, 130, 2, 25 * SQ2, 5 * SQ2, 75, 125},
        /* off the second leg (50,150)->(0,100) at (25,125), normal (-1,1):
         * along 50*sqrt2 + 25*sqrt2, join 3*sqrt2 */
        {22, 128, 2, 75 * SQ2, 3 * SQ2, 25, 125},
        /* beyond the bend's apex: nearest is the vertex (50,150) itself */
        {50, 160, 2, 50 * SQ2, 10, 50, 150},
        /* beyond corner 0: equally near L0 (along 0) and L3 (along 100):
         * the lower link wins */
        {-10, -10, 0, 0, 10 * SQ2, 0, 0},
        /* exactly on a node shared by L1 (end, along 100) and L2 (start) */
        {100, 100, 1, 100, 0, 100, 100},
    };
    return cr_make_param_array(snap_case, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(snap_case *c, snap, joins_the_nearest_point_of_the_nearest_link, .init = setup,
                  .fini = teardown)
{
    net *n = square();
    gm__graph *g = build(n, GM__MODE_CAR, true);
    gm__snap_index *ix = index_of(n, g);
    gm__join j;
    gm__snap_point(ix, c->x, c->y, 2000.0f, &j);
    cr_assert(j.ok);
    cr_assert_not(j.isolated);
    cr_assert_eq(j.link, c->link, "point (%g, %g): link %u, expected %u", c->x, c->y, j.link, c->link);
    assert_near(j.along_m, c->along, 1e-4);
    assert_near(j.join_m, c->join, 1e-4);
    assert_near(j.x, c->jx, 1e-9);
    assert_near(j.y, c->jy, 1e-9);
    gm__snap_index_free(ix);
    gm__graph_free(g);
    net_free(n);
}

Test(snap, leaving_and_arriving_seeds_cost_the_partial_link_and_the_walk, .init = setup, .fini = teardown)
{
    net *n = square();
    gm__graph *g = build(n, GM__MODE_CAR, true);
    gm__graph *rev = NULL;
    cr_assert_eq(gm__graph_reverse(ctx, g, &rev), GM_OK);
    gm__snap_index *ix = index_of(n, g);
    gm__join j;
    gm__snap_point(ix, 30, -10, 2000.0f, &j); /* L0, along 30, join 10 */
    cr_assert(j.ok);
    cr_assert_eq(j.link, 0);
    gm__seed s[2];
    uint32_t n0 = (uint32_t)g->node_of[0], n1 = (uint32_t)g->node_of[1];
    /* Leaving: to node 1, 70 m at 10 m/s = 7 s, plus 10 m walk at 1 m/s = 10 s:
     * 17 s, 80 m; to node 0, 30 m = 3 s + 10 s = 13 s, 40 m. */
    cr_assert_eq(gm__join_seeds(&j, &n->roads, g, 3.6f, false, s), 2);
    cr_assert_eq(s[0].node, n1);
    assert_near(s[0].time_s, 17, 1e-5);
    assert_near(s[0].dist_m, 80, 1e-5);
    cr_assert_eq(s[1].node, n0);
    assert_near(s[1].time_s, 13, 1e-5);
    assert_near(s[1].dist_m, 40, 1e-5);
    /* Arriving: from node 0 forwards (30 m), from node 1 backwards (70 m);
     * the same whichever graph is passed. */
    for (int k = 0; k < 2; k++) {
        cr_assert_eq(gm__join_seeds(&j, &n->roads, k ? rev : g, 3.6f, true, s), 2);
        cr_assert_eq(s[0].node, n0);
        assert_near(s[0].time_s, 13, 1e-5);
        assert_near(s[0].dist_m, 40, 1e-5);
        cr_assert_eq(s[1].node, n1);
        assert_near(s[1].time_s, 17, 1e-5);
        assert_near(s[1].dist_m, 80, 1e-5);
    }
    /* Default walking speed 4.8 km/h: 10 m takes 7.5 s. */
    cr_assert_eq(gm__join_seeds(&j, &n->roads, g, 0.0f, false, s), 2);
    assert_near(s[1].time_s, 3 + 7.5, 1e-5);
    gm__snap_index_free(ix);
    gm__graph_free(rev);
    gm__graph_free(g);
    net_free(n);
}

/* Triangle A (0,0) -> B (100,0) one-way for cars (walkers both ways), B-C and
 * C-A two-way, C at (50,100): the car graph, its reverse and the snap index. */
typedef struct triangle {
    net *n;
    uint32_t a, b;
    gm__graph *g, *rev;
    gm__snap_index *ix;
} triangle;

static triangle triangle_new(void)
{
    triangle t;
    t.n = net_new(4, 4, 16);
    t.a = net_node(t.n, 0, 0);
    t.b = net_node(t.n, 100, 0);
    uint32_t c = net_node(t.n, 50, 100);
    net_link(t.n, t.a, t.b, RES, GM__RF_CAR_FWD | GM__RF_WALK);
    net_link(t.n, t.b, c, RES, ALL);
    net_link(t.n, c, t.a, RES, ALL);
    t.g = build(t.n, GM__MODE_CAR, true);
    t.rev = NULL;
    cr_assert_eq(gm__graph_reverse(ctx, t.g, &t.rev), GM_OK);
    t.ix = index_of(t.n, t.g);
    return t;
}

static void triangle_free(triangle *t)
{
    gm__snap_index_free(t->ix);
    gm__graph_free(t->rev);
    gm__graph_free(t->g);
    net_free(t->n);
}

/* A point that joins at the end of a one-way link stands at that node: it can
 * be reached from the node, and leave by it, whatever the link's direction
 * (found by the peer benchmark: a point at B of a one-way A -> B could only be
 * reached by driving all of A -> B). */
Test(snap, a_point_at_the_end_of_a_one_way_link_is_at_that_node, .init = setup, .fini = teardown)
{
    triangle tr = triangle_new();
    net *n = tr.n;
    uint32_t a = tr.a, b = tr.b;
    gm__graph *g = tr.g, *rev = tr.rev;
    gm__snap_index *ix = tr.ix;
    gm__join j;
    gm__snap_point(ix, 110, -10, 2000.0f, &j); /* beyond B: joins link 0 at its end, B */
    cr_assert(j.ok);
    cr_assert_eq(j.link, 0);
    assert_near(j.along_m, 100, 1e-4);
    gm__seed s[2];
    /* Arriving: from A along the whole link (10 s), or straight from B (0 s);
     * the walk is sqrt(200) m at 1 m/s either way. */
    size_t k = gm__join_seeds(&j, &n->roads, rev, 3.6f, true, s);
    cr_assert_eq(k, 2);
    bool at_b = false;
    for (size_t i = 0; i < k; i++) {
        if (s[i].node == (uint32_t)g->node_of[b]) {
            at_b = true;
            assert_near(s[i].time_s, sqrt(200.0), 1e-4);
        }
    }
    cr_assert(at_b, "no seed at B for a point standing at B");
    /* Leaving from a point at A: by B (10 s) or straight from A. */
    gm__snap_point(ix, -10, -10, 2000.0f, &j);
    cr_assert(j.ok);
    if (j.link == 0) {
        k = gm__join_seeds(&j, &n->roads, g, 3.6f, false, s);
        bool at_a = false;
        for (size_t i = 0; i < k; i++)
            at_a |= s[i].node == (uint32_t)g->node_of[a];
        cr_assert(at_a, "no seed at A for a point standing at A");
    }
    triangle_free(&tr);
}

Test(snap, a_one_way_link_gives_only_the_allowed_seed, .init = setup, .fini = teardown)
{
    triangle tr = triangle_new();
    net *n = tr.n;
    uint32_t a = tr.a, b = tr.b;
    gm__graph *g = tr.g, *rev = tr.rev;
    gm__snap_index *ix = tr.ix;
    gm__join j;
    gm__snap_point(ix, 40, -10, 2000.0f, &j); /* link 0, along 40, join 10 */
    cr_assert(j.ok);
    cr_assert_eq(j.link, 0);
    gm__seed s[2];
    /* Leaving: only on to B: 60 m = 6 s + 10 s walk. */
    cr_assert_eq(gm__join_seeds(&j, &n->roads, g, 3.6f, false, s), 1);
    cr_assert_eq(s[0].node, (uint32_t)g->node_of[b]);
    assert_near(s[0].time_s, 16, 1e-5);
    assert_near(s[0].dist_m, 70, 1e-5);
    /* Arriving: only from A: 40 m = 4 s + 10 s. */
    cr_assert_eq(gm__join_seeds(&j, &n->roads, rev, 3.6f, true, s), 1);
    cr_assert_eq(s[0].node, (uint32_t)g->node_of[a]);
    assert_near(s[0].time_s, 14, 1e-5);
    assert_near(s[0].dist_m, 50, 1e-5);
    /* Along the link: forwards only. */
    gm__join k;
    gm__snap_point(ix, 90, -10, 2000.0f, &k); /* along 90 */
    float t, d;
    cr_assert(gm__join_direct(&j, &k, &n->roads, g, 3.6f, &t, &d));
    assert_near(t, 10 + 5 + 10, 1e-5); /* walk 10 s, 50 m at 10 m/s, walk 10 s */
    assert_near(d, 70, 1e-5);
    cr_assert_not(gm__join_direct(&k, &j, &n->roads, g, 3.6f, &t, &d));
    cr_assert(gm__join_direct(&j, &j, &n->roads, g, 3.6f, &t, &d));
    assert_near(t, 20, 1e-5);

    /* Walkers may use it both ways. */
    gm__graph *w = build(n, GM__MODE_WALK, true);
    gm__snap_index *wix = index_of(n, w);
    gm__snap_point(wix, 40, -10, 2000.0f, &j);
    cr_assert_eq(gm__join_seeds(&j, &n->roads, w, 3.6f, false, s), 2);
    gm__snap_index_free(wix);
    gm__graph_free(w);

    triangle_free(&tr);
}

Test(snap, a_point_beyond_the_limit_is_not_joined, .init = setup, .fini = teardown)
{
    net *n = square();
    gm__graph *g = build(n, GM__MODE_CAR, true);
    gm__snap_index *ix = index_of(n, g);
    gm__join j;
    gm__snap_point(ix, 50, -2500, 2000.0f, &j); /* 2500 m from L0 */
    cr_assert_not(j.ok);
    gm__seed s[2];
    cr_assert_eq(gm__join_seeds(&j, &n->roads, g, 3.6f, false, s), 0);
    gm__snap_point(ix, 50, -1999, 2000.0f, &j);
    cr_assert(j.ok);
    assert_near(j.join_m, 1999, 1e-3);
    gm__snap_point(ix, 50, -1999, 1000.0f, &j);
    cr_assert_not(j.ok);
    gm__snap_point(ix, 50, -20, 20.0f, &j); /* the limit is inclusive */
    cr_assert(j.ok);
    /* Far away in every direction, and not finite. */
    gm__snap_point(ix, 1e9, -1e9, 2000.0f, &j);
    cr_assert_not(j.ok);
    gm__snap_point(ix, NAN, 0, 2000.0f, &j);
    cr_assert_not(j.ok);
    gm__snap_point(ix, 50, 50, NAN, &j);
    cr_assert_not(j.ok);
    /* No limit at all. */
    gm__snap_point(ix, 50, -1e6, INFINITY, &j);
    cr_assert(j.ok);
    cr_assert_eq(j.link, 0);
    gm__snap_point(ix, 1e9, 50, INFINITY, &j); /* millions of cells away: L1 */
    cr_assert(j.ok);
    cr_assert_eq(j.link, 1);
    assert_near(j.along_m, 50, 1e-4);
    gm__snap_index_free(ix);
    gm__graph_free(g);
    net_free(n);
}

/* A motorway M (y = 0) with a residential street S 40 m north of it (y = 40),
 * each in a loop that makes it strongly connected on its own mode. */
Test(snap, walkers_beside_a_motorway_join_the_nearest_walkable_link, .init = setup, .fini = teardown)
{
    net *n = net_new(8, 8, 32);
    uint32_t m0 = net_node(n, 0, 0), m1 = net_node(n, 1000, 0);
    uint32_t s0 = net_node(n, 0, 40), s1 = net_node(n, 1000, 40);
    net_link(n, m0, m1, GM__RC_MOTORWAY, CAR2);  /* link 0: motorway, cars only */
    net_link(n, s0, s1, RES, ALL);               /* link 1: the street */
    net_link(n, m0, s0, RES, ALL);               /* links 2, 3: the ends */
    net_link(n, m1, s1, RES, ALL);
    gm__graph *car = build(n, GM__MODE_CAR, false), *walk = build(n, GM__MODE_WALK, false);
    gm__snap_index *cix = index_of(n, car), *wix = index_of(n, walk);
    gm__join j;
    gm__snap_point(cix, 500, 10, 2000.0f, &j); /* 10 m from the motorway, 30 m from the street */
    cr_assert(j.ok);
    cr_assert_eq(j.link, 0);
    gm__snap_point(wix, 500, 10, 2000.0f, &j);
    cr_assert(j.ok);
    cr_assert_eq(j.link, 1);
    assert_near(j.along_m, 500, 1e-4);
    assert_near(j.join_m, 30, 1e-4);
    /* Beyond the walking limit the motorway does not stand in. */
    gm__snap_point(wix, 500, 10, 20.0f, &j);
    cr_assert_not(j.ok);
    gm__snap_index_free(cix);
    gm__snap_index_free(wix);
    gm__graph_free(car);
    gm__graph_free(walk);
    net_free(n);
}

/* Ties: two parallel two-way streets 20 m apart joined at both ends, built
 * in both orders, and a U-shaped link passing a point twice. */
Test(snap, ties_go_to_the_lower_link_then_the_lower_along, .init = setup, .fini = teardown)
{
    for (int order = 0; order < 2; order++) {
        net *n = net_new(8, 8, 32);
        uint32_t a0 = net_node(n, 0, 0), a1 = net_node(n, 100, 0), b0 = net_node(n, 0, 20), b1 = net_node(n, 100, 20);
        if (order == 0) {
            net_link(n, a0, a1, RES, ALL);
            net_link(n, b0, b1, RES, ALL);
        } else {
            net_link(n, b0, b1, RES, ALL);
            net_link(n, a0, a1, RES, ALL);
        }
        net_link(n, a0, b0, RES, ALL);
        net_link(n, a1, b1, RES, ALL);
        gm__graph *g = build(n, GM__MODE_CAR, true);
        gm__snap_index *ix = index_of(n, g);
        gm__join j;
        gm__snap_point(ix, 37, 10, 2000.0f, &j);
        cr_assert(j.ok);
        cr_assert_eq(j.link, 0, "order %d: link %u", order, j.link);
        assert_near(j.join_m, 10, 1e-6);
        assert_near(j.y, order == 0 ? 0 : 20, 1e-9);
        gm__snap_index_free(ix);
        gm__graph_free(g);
        net_free(n);
    }

    /* U: link 0 from (0,0) east to (100,0), north to (100,20), west to the
     * node at (0,20); link 1 closes it.  (50,10) is 10 m from the first leg
     * (along 50) and the last (along 170): along 50. */
    net *n = net_new(4, 4, 16);
    uint32_t a = net_node(n, 0, 0), b = net_node(n, 0, 20);
    net_link_v(n, a, b, RES, ALL, (const double[]){100, 0, 100, 20}, 2);
    net_link(n, b, a, RES, ALL);
    gm__graph *g = build(n, GM__MODE_CAR, true);
    gm__snap_index *ix = index_of(n, g);
    gm__join j;
    gm__snap_point(ix, 50, 10, 2000.0f, &j);
    cr_assert(j.ok);
    cr_assert_eq(j.link, 0);
    assert_near(j.along_m, 50, 1e-5);
    assert_near(j.join_m, 10, 1e-6);
    gm__snap_index_free(ix);
    gm__graph_free(g);
    net_free(n);
}

/* The square plus an island 300 m east: a two-way link I0 between (400,0)
 * and (400,100) and a loop road from (400,100) back to itself; and a one-way
 * stub leaving the square at node 1 eastwards (cars may go out, not back). */
static net *square_island_stub(void)
{
    net *n = square();
    uint32_t i0 = net_node(n, 400, 0), i1 = net_node(n, 400, 100), stub = net_node(n, 250, 0);
    net_link(n, i0, i1, RES, ALL);                                          /* link 4 */
    net_link_v(n, i1, i1, RES, ALL, (const double[]){450, 150, 350, 150}, 2); /* link 5: loop */
    net_link(n, 1, stub, RES, GM__RF_CAR_FWD);                              /* link 6 */
    return n;
}

Test(snap, an_island_joins_its_own_road_and_gets_no_seeds, .init = setup, .fini = teardown)
{
    net *n = square_island_stub();
    gm__graph *g = build(n, GM__MODE_CAR, true);
    cr_assert_eq(g->nnodes, 4, "the island and the stub are not in the graph");
    gm__profile p;
    net_profile(GM__MODE_CAR, true, &p);
    gm__snap_index *plain = index_of(n, g), *ex = NULL;
    cr_assert_eq(gm__snap_index_new_ex(ctx, &n->roads, g, &p, &ex), GM_OK);
    gm__snap_stats st;
    gm__snap_index_stats(ex, &st);
    cr_assert_eq(st.links, 6);
    cr_assert_eq(st.isolated_links, 2);

    gm__join j;
    gm__seed s[2];
    /* 10 m west of the island's link: the plain index knows only the square
     * (L1, 290 m away); the profile's index joins the island, isolated. */
    gm__snap_point(plain, 390, 50, 2000.0f, &j);
    cr_assert(j.ok);
    cr_assert_eq(j.link, 1);
    assert_near(j.join_m, 290, 1e-4);
    gm__snap_point(ex, 390, 50, 2000.0f, &j);
    cr_assert(j.ok);
    cr_assert(j.isolated);
    cr_assert_eq(j.link, 4);
    assert_near(j.join_m, 10, 1e-6);
    cr_assert_eq(gm__join_seeds(&j, &n->roads, g, 3.6f, false, s), 0);
    cr_assert_eq(gm__join_seeds(&j, &n->roads, g, 3.6f, true, s), 0);
    /* Beside the island's loop road (its north side at y = 150). */
    gm__snap_point(ex, 400, 160, 2000.0f, &j);
    cr_assert(j.ok && j.isolated);
    cr_assert_eq(j.link, 5);
    /* 5 m from the one-way stub: it touches the graph, so it is not an
     * island and not indexed: the point joins L1, 100 m west. */
    gm__snap_point(ex, 200, 5, 2000.0f, &j);
    cr_assert(j.ok);
    cr_assert_not(j.isolated);
    cr_assert_eq(j.link, 1);
    assert_near(j.join_m, 100, 1e-4);
    gm__snap_index_free(plain);
    gm__snap_index_free(ex);
    gm__graph_free(g);
    net_free(n);
}

/* splitmix64: a deterministic generator for the random networks. */
static uint64_t rng_state;
static uint64_t rnd(void)
{
    uint64_t x = (rng_state += UINT64_C(0x9e3779b97f4a7c15));
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}
static double unif(double lo, double hi) { return lo + (hi - lo) * (double)(rnd() >> 11) / 9007199254740992.0; }

/* A jittered grid of side x side nodes 200 m apart with links to the right and
 * up, each with 0-3 random interior vertices (some long diagonal detours). */
static net *random_net(int side)
{
    size_t nn = (size_t)side * side, nl = 2 * nn;
    net *n = net_new(nn, nl, nl * 5);
    for (int y = 0; y < side; y++)
        for (int x = 0; x < side; x++)
            net_node(n, 400000 + x * 200.0 + unif(-60, 60), 250000 + y * 200.0 + unif(-60, 60));
    for (int y = 0; y < side; y++) {
        for (int x = 0; x < side; x++) {
            uint32_t a = (uint32_t)(y * side + x);
            for (int d = 0; d < 2; d++) {
                int bx = x + (d == 0), by = y + (d == 1);
                if (bx >= side || by >= side)
                    continue;
                uint32_t b = (uint32_t)(by * side + bx);
                double mid[6];
                size_t k = (size_t)(rnd() % 4);
                double spread = (rnd() % 10 == 0) ? 600 : 80;
                for (size_t v = 0; v < k; v++) {
                    double t = (double)(v + 1) / (double)(k + 1);
                    mid[2 * v] = n->nx[a] + t * (n->nx[b] - n->nx[a]) + unif(-spread, spread);
                    mid[2 * v + 1] = n->ny[a] + t * (n->ny[b] - n->ny[a]) + unif(-spread, spread);
                }
                net_link_v(n, a, b, RES, ALL, mid, k);
            }
        }
    }
    return n;
}

/* The same comparison key as the grid, over every segment of every used link. */
static void brute(const net *n, const gm__graph *g, double px, double py, double lim, gm__join *out)
{
    bool *used = calloc(n->roads.nlinks, 1);
    for (uint32_t a = 0; a < g->narcs; a++)
        used[g->arc_link[a]] = true;
    double bd2 = INFINITY, bt = 0, qx = 0, qy = 0;
    uint32_t bl = 0, bv = 0;
    bool found = false;
    for (uint32_t i = 0; i < n->roads.nlinks; i++) {
        if (!used[i])
            continue;
        const gm__road_link *l = &n->links[i];
        for (uint32_t v = l->geom_off; v + 1 < l->geom_off + l->geom_n; v++) {
            const double *s = &n->xy[2 * v];
            double dx = s[2] - s[0], dy = s[3] - s[1], len2 = dx * dx + dy * dy;
            double t = len2 > 0 ? ((px - s[0]) * dx + (py - s[1]) * dy) / len2 : 0, x, y;
            if (t <= 0)
                t = 0, x = s[0], y = s[1];
            else if (t >= 1)
                t = 1, x = s[2], y = s[3];
            else
                x = s[0] + t * dx, y = s[1] + t * dy;
            double d2 = (px - x) * (px - x) + (py - y) * (py - y);
            if (d2 > lim * lim)
                continue;
            if (!found || d2 < bd2 || (d2 == bd2 && (i < bl || (i == bl && (v < bv || (v == bv && t < bt)))))) {
                found = true;
                bd2 = d2, bt = t, bl = i, bv = v, qx = x, qy = y;
            }
        }
    }
    free(used);
    memset(out, 0, sizeof *out);
    out->ok = found;
    out->link = bl;
    out->join_m = (float)sqrt(bd2);
    out->x = qx;
    out->y = qy;
}

Test(snap, the_grid_finds_what_a_scan_of_every_segment_finds, .init = setup, .fini = teardown)
{
    rng_state = 42;
    net *n = random_net(30);
    gm__graph *g = build(n, GM__MODE_CAR, true);
    gm__snap_index *ix = index_of(n, g);
    gm__snap_stats st;
    gm__snap_index_stats(ix, &st);
    cr_assert_gt(st.cells, 1);
    for (int k = 0; k < 20000; k++) {
        /* Points over and around the network, some on vertices and nodes
         * exactly (ties), some far outside. */
        double x, y;
        float lim = (k % 3 == 0) ? 150.0f : 2000.0f;
        if (k % 10 == 0) {
            uint32_t v = (uint32_t)(rnd() % n->roads.nxy);
            x = n->xy[2 * v];
            y = n->xy[2 * v + 1];
        } else {
            x = unif(399000, 407000);
            y = unif(249000, 257000);
        }
        gm__join a, b;
        gm__snap_point(ix, x, y, lim, &a);
        brute(n, g, x, y, lim, &b);
        cr_assert_eq(a.ok, b.ok, "point %d (%.3f, %.3f)", k, x, y);
        if (!a.ok)
            continue;
        cr_assert_eq(a.link, b.link, "point %d (%.3f, %.3f): link %u, brute force %u", k, x, y, a.link, b.link);
        cr_assert_eq(a.join_m, b.join_m);
        cr_assert_eq(a.x, b.x);
        cr_assert_eq(a.y, b.y);
        cr_assert(a.along_m >= 0 && a.along_m <= n->links[a.link].length_m);
    }
    gm__snap_index_free(ix);
    gm__graph_free(g);
    net_free(n);
}

Test(snap, every_allocation_failure_is_a_clean_nomem, .init = setup, .fini = teardown)
{
    net *n = square_island_stub();
    gm__graph *g = build(n, GM__MODE_CAR, true);
    gm__profile p;
    net_profile(GM__MODE_CAR, true, &p);
    gm_status st = GM_E_NOMEM;
    long k;
    for (k = 0; st != GM_OK; k++) {
        gm__snap_index *ix = NULL;
        gm__alloc_fail_after(k);
        st = gm__snap_index_new_ex(ctx, &n->roads, g, &p, &ix);
        gm__alloc_fail_after(-1);
        if (st != GM_OK) {
            cr_assert_eq(st, GM_E_NOMEM, "allocation %ld: %s", k, gm_status_name(st));
            cr_assert_null(ix);
        }
        gm__snap_index_free(ix);
    }
    cr_assert_gt(k, 3);
    gm__graph_free(g);
    net_free(n);
}

Test(snap, a_link_whose_geometry_is_out_of_range_is_an_input_error, .init = setup, .fini = teardown)
{
    net *n = square();
    gm__graph *g = build(n, GM__MODE_CAR, true);
    n->links[2].geom_off = 1000;
    gm__snap_index *ix = NULL;
    cr_assert_eq(gm__snap_index_new(ctx, &n->roads, g, &ix), GM_E_INPUT);
    cr_assert_null(ix);
    cr_assert(strstr(gm_ctx_errmsg(ctx), "link 2") != NULL, "%s", gm_ctx_errmsg(ctx));
    gm__graph_free(g);
    net_free(n);
}
