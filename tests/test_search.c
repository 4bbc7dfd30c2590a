/*
 * Search: Dijkstra's times and distances on small hand-made road networks
 * with answers worked out by hand (one-way streets, a roundabout, a bridge,
 * ties, cutoffs, several seeds, the reversed graph), then against a
 * brute-force Bellman-Ford on thousands of random graphs, compared exactly.
 *
 * Most fixtures use a test profile where every class runs at 36 km/h (10 m/s)
 * so that a link of L metres takes L/10 seconds and sums stay exact floats.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "network/graph.h"

#define CAR2 (GM__RF_CAR_FWD | GM__RF_CAR_BWD)
#define CYC2 (GM__RF_CYCLE_FWD | GM__RF_CYCLE_BWD)
#define W GM__RF_WALK
#define ALL (CAR2 | W | CYC2)
#define RES GM__RC_RESIDENTIAL

typedef struct fl {
    uint32_t from, to;
    float len;
    uint8_t rc;
    uint16_t flags;
} fl;

#define MAXL 64
#define MAXN 32
typedef struct fixture {
    gm__road_link links[MAXL];
    double x[MAXN], y[MAXN];
    gm__roads roads;
} fixture;

static void fixture_init(fixture *f, size_t nnodes, const fl *ls, size_t n)
{
    cr_assert_leq(n, MAXL);
    memset(f, 0, sizeof *f);
    for (size_t i = 0; i < n; i++)
        f->links[i] = (gm__road_link){.from = ls[i].from, .to = ls[i].to, .length_m = ls[i].len,
                                      .rclass = ls[i].rc, .flags = ls[i].flags, .geom_n = 2};
    f->roads.links = f->links;
    f->roads.nlinks = n;
    f->roads.nnodes = nnodes;
    strcpy(f->roads.source, "test");
}

static gm_ctx *ctx;
static void setup(void) { cr_assert_eq(gm_ctx_new(&ctx), GM_OK); }
static void teardown(void) { gm_ctx_free(ctx); }

/* Default profile of mode, or with every usable class at 36 km/h when flat. */
static gm__graph *build_p(const fixture *f, gm__mode mode, bool flat)
{
    gm__profile p;
    gm__profile_default(mode, &p);
    if (flat)
        for (int c = 0; c < GM__RC_COUNT; c++)
            if (p.speed_kmh[c] > 0)
                p.speed_kmh[c] = 36.0f;
    gm__graph *g = NULL;
    cr_assert_eq(gm__graph_build(ctx, &f->roads, &p, &g), GM_OK, "%s", gm_ctx_errmsg(ctx));
    return g;
}

/* A search state and output arrays for g. */
typedef struct run {
    const gm__graph *g;
    gm__search *s;
    float *t, *d;
} run;

static run run_new(const gm__graph *g)
{
    run r = {g, NULL, calloc(g->nnodes, sizeof(float)), calloc(g->nnodes, sizeof(float))};
    cr_assert_eq(gm__search_new(ctx, g, &r.s), GM_OK);
    return r;
}

static void run_free(run *r)
{
    gm__search_free(r->s);
    free(r->t);
    free(r->d);
}

/* Search from road node ro with no offset. */
static void go(run *r, uint32_t ro, float cutoff)
{
    cr_assert_geq(r->g->node_of[ro], 0, "road node %u not in the graph", ro);
    gm__seed seed = {(uint32_t)r->g->node_of[ro], 0.0f, 0.0f};
    gm__search_run(r->s, &seed, 1, cutoff, r->t, r->d);
}

/* Time and distance at road node ro. */
static float T(const run *r, uint32_t ro) { return r->t[r->g->node_of[ro]]; }
static float D(const run *r, uint32_t ro) { return r->d[r->g->node_of[ro]]; }

/* The road node from which road node ro was reached (-1 for a seed). */
static long pred(const run *r, uint32_t ro)
{
    uint32_t arc;
    cr_assert(gm__search_label(r->s, (uint32_t)r->g->node_of[ro], NULL, NULL, &arc));
    if (arc == UINT32_MAX)
        return -1;
    for (uint32_t u = 0; u < r->g->nnodes; u++)
        if (arc >= r->g->first[u] && arc < r->g->first[u + 1])
            return r->g->orig_node[u];
    return -2;
}

/* ---- hand-made networks ---- */

/* A square block, 100 m sides: 0-1 is one-way 1->0 for cars; the car from 0
 * to 1 goes round 0-3-2-1 (300 m), the walker straight. */
static const fl BLOCK[] = {
    {1, 0, 100, RES, GM__RF_CAR_FWD | W},
    {1, 2, 100, RES, ALL},
    {2, 3, 100, RES, ALL},
    {3, 0, 100, RES, ALL},
};

Test(search, a_car_goes_round_a_one_way_street_that_a_walker_walks_along, .init = setup,
     .fini = teardown)
{
    fixture f;
    fixture_init(&f, 4, BLOCK, 4);
    gm__graph *car = build_p(&f, GM__MODE_CAR, false), *walk = build_p(&f, GM__MODE_WALK, false);
    run rc = run_new(car), rw = run_new(walk);
    go(&rc, 0, INFINITY);
    go(&rw, 0, INFINITY);
    /* Car: 300 m at 30 km/h = 36 s; walk: 100 m at 4.8 km/h = 75 s. */
    cr_assert_float_eq(T(&rc, 1), 36.0f, 1e-4);
    cr_assert_eq(D(&rc, 1), 300.0f);
    cr_assert_eq(pred(&rc, 1), 2);
    cr_assert_eq(T(&rw, 1), 75.0f);
    cr_assert_eq(D(&rw, 1), 100.0f);
    cr_assert_eq(T(&rc, 0), 0.0f);
    cr_assert_eq(pred(&rc, 0), -1);
    /* The other way the one-way street is the car's shortest route. */
    go(&rc, 1, INFINITY);
    cr_assert_eq(T(&rc, 0), 12.0f);
    run_free(&rc);
    run_free(&rw);
    gm__graph_free(car);
    gm__graph_free(walk);
}

/* A four-arm roundabout, ring nodes N=0, E=1, S=2, W=3, 50 m apart, one-way
 * clockwise (as in Britain: N->E->S->W->N) with walkable edges; arms of 200 m
 * to outer nodes 4 (north), 5 (east), 6 (south), 7 (west). */
static const fl ROUNDABOUT[] = {
    {0, 1, 50, GM__RC_PRIMARY, GM__RF_CAR_FWD | W | GM__RF_ROUNDABOUT},
    {1, 2, 50, GM__RC_PRIMARY, GM__RF_CAR_FWD | W | GM__RF_ROUNDABOUT},
    {2, 3, 50, GM__RC_PRIMARY, GM__RF_CAR_FWD | W | GM__RF_ROUNDABOUT},
    {3, 0, 50, GM__RC_PRIMARY, GM__RF_CAR_FWD | W | GM__RF_ROUNDABOUT},
    {4, 0, 200, GM__RC_PRIMARY, ALL},
    {5, 1, 200, GM__RC_PRIMARY, ALL},
    {6, 2, 200, GM__RC_PRIMARY, ALL},
    {7, 3, 200, GM__RC_PRIMARY, ALL},
};

Test(search, turning_right_at_a_roundabout_goes_three_quarters_round, .init = setup, .fini = teardown)
{
    fixture f;
    fixture_init(&f, 8, ROUNDABOUT, 8);
    gm__graph *car = build_p(&f, GM__MODE_CAR, true), *walk = build_p(&f, GM__MODE_WALK, true);
    run rc = run_new(car), rw = run_new(walk);
    go(&rc, 6, INFINITY); /* from the south arm */
    go(&rw, 6, INFINITY);
    /* Left to the west arm: 200 + 50 + 200 m; right to the east arm: 200 +
     * 3 x 50 + 200 m (S->W->N->E); ahead to the north arm: 200 + 100 + 200. */
    cr_assert_eq(D(&rc, 7), 450.0f);
    cr_assert_eq(D(&rc, 5), 550.0f);
    cr_assert_eq(D(&rc, 4), 500.0f);
    cr_assert_eq(T(&rc, 5), 55.0f);
    cr_assert_eq(pred(&rc, 1), 0, "reaches E from N, not from S");
    /* A walker crosses the short way. */
    cr_assert_eq(D(&rw, 5), 450.0f);
    run_free(&rc);
    run_free(&rw);
    gm__graph_free(car);
    gm__graph_free(walk);
}

/* Two villages, each a triangle of 400 m lanes (nodes 0-2 and 3-5), joined
 * only by a bridge 2-3 of 1200 m on an A road. */
static const fl BRIDGE[] = {
    {0, 1, 400, GM__RC_UNCLASSIFIED, ALL},
    {1, 2, 400, GM__RC_UNCLASSIFIED, ALL},
    {2, 0, 400, GM__RC_UNCLASSIFIED, ALL},
    {2, 3, 1200, GM__RC_PRIMARY, ALL | GM__RF_BRIDGE},
    {3, 4, 400, GM__RC_UNCLASSIFIED, ALL},
    {4, 5, 400, GM__RC_UNCLASSIFIED, ALL},
    {5, 3, 400, GM__RC_UNCLASSIFIED, ALL},
};

Test(search, the_only_bridge_carries_every_crossing, .init = setup, .fini = teardown)
{
    fixture f;
    fixture_init(&f, 6, BRIDGE, 7);
    gm__graph *car = build_p(&f, GM__MODE_CAR, false), *walk = build_p(&f, GM__MODE_WALK, false);
    run rc = run_new(car), rw = run_new(walk);
    go(&rc, 0, INFINITY);
    go(&rw, 0, INFINITY);
    /* 0 -> 2 -> 3 -> 4: 400 m at 40 km/h (36 s), 1200 m at 64 km/h (67.5 s),
     * 400 m at 40 km/h (36 s). */
    cr_assert_float_eq(T(&rc, 4), 36.0f + 67.5f + 36.0f, 1e-4);
    cr_assert_eq(D(&rc, 4), 2000.0f);
    cr_assert_eq(pred(&rc, 3), 2);
    /* On foot: 2000 m at 4.8 km/h = 1500 s. */
    cr_assert_float_eq(T(&rw, 4), 1500.0f, 1e-3);
    cr_assert_float_eq(T(&rw, 3) - T(&rw, 2), 900.0f, 1e-3, "1200 m bridge at 80 m/min");
    run_free(&rc);
    run_free(&rw);
    gm__graph_free(car);
    gm__graph_free(walk);
}

Test(search, equal_times_go_to_the_shorter_distance, .init = setup, .fini = teardown)
{
    /* 0 -> 3 two ways, both 36 s: via 1 on residential streets (2 x 150 m at
     * 30 km/h) or via 2 on tertiary roads (2 x 240 m at 48 km/h).  Node 2 has
     * the higher id, so only the distance rule can pick node 1. */
    static const fl TIE[] = {
        {0, 2, 240, GM__RC_TERTIARY, ALL},
        {2, 3, 240, GM__RC_TERTIARY, ALL},
        {0, 1, 150, RES, ALL},
        {1, 3, 150, RES, ALL},
    };
    fixture f;
    fixture_init(&f, 4, TIE, 4);
    gm__graph *g = build_p(&f, GM__MODE_CAR, false);
    run r = run_new(g);
    go(&r, 0, INFINITY);
    cr_assert_eq(T(&r, 3), 36.0f);
    cr_assert_eq(D(&r, 3), 300.0f, "the 300 m route, not the 480 m one");
    cr_assert_eq(pred(&r, 3), 1);
    /* Reversing the tie: the longer route now runs through node 1. */
    static const fl TIE2[] = {
        {0, 1, 240, GM__RC_TERTIARY, ALL},
        {1, 3, 240, GM__RC_TERTIARY, ALL},
        {0, 2, 150, RES, ALL},
        {2, 3, 150, RES, ALL},
    };
    fixture_init(&f, 4, TIE2, 4);
    gm__graph *g2 = build_p(&f, GM__MODE_CAR, false);
    run r2 = run_new(g2);
    go(&r2, 0, INFINITY);
    cr_assert_eq(D(&r2, 3), 300.0f);
    cr_assert_eq(pred(&r2, 3), 2);
    run_free(&r);
    run_free(&r2);
    gm__graph_free(g);
    gm__graph_free(g2);
}

Test(search, full_ties_go_to_the_lower_node_id_whatever_the_link_order, .init = setup,
     .fini = teardown)
{
    /* A diamond 0 -> {1, 2, 3} -> 4, every link 100 m: three identical
     * routes.  The parent of 4 must be 1 however the links are listed. */
    static const fl D1[] = {
        {0, 3, 100, RES, ALL}, {3, 4, 100, RES, ALL}, {0, 2, 100, RES, ALL},
        {2, 4, 100, RES, ALL}, {0, 1, 100, RES, ALL}, {1, 4, 100, RES, ALL},
    };
    static const fl D2[] = {
        {1, 4, 100, RES, ALL}, {0, 1, 100, RES, ALL}, {4, 2, 100, RES, ALL},
        {0, 2, 100, RES, ALL}, {4, 3, 100, RES, ALL}, {3, 0, 100, RES, ALL},
    };
    const fl *sets[2] = {D1, D2};
    for (int k = 0; k < 2; k++) {
        fixture f;
        fixture_init(&f, 5, sets[k], 6);
        gm__graph *g = build_p(&f, GM__MODE_CAR, true);
        run r = run_new(g);
        go(&r, 0, INFINITY);
        cr_assert_eq(T(&r, 4), 20.0f);
        cr_assert_eq(pred(&r, 4), 1, "link order %d", k);
        /* And from 4 back to 0 the same rule picks 1 again. */
        go(&r, 4, INFINITY);
        cr_assert_eq(pred(&r, 0), 1, "link order %d", k);
        run_free(&r);
        gm__graph_free(g);
    }
}

Test(search, unreachable_nodes_are_infinite, .init = setup, .fini = teardown)
{
    /* A graph made by hand (built graphs are strongly connected): 0 -> 1,
     * 2 -> 0, and 3 alone. */
    uint32_t first[] = {0, 1, 1, 2, 2}, head[] = {1, 0};
    float tm[] = {5, 5}, ds[] = {50, 50};
    gm__graph g = {.mode = GM__MODE_CAR, .nnodes = 4, .narcs = 2, .first = first, .head = head,
                   .time_s = tm, .dist_m = ds};
    run r = run_new(&g);
    gm__seed seed = {0, 0, 0};
    gm__search_run(r.s, &seed, 1, INFINITY, r.t, r.d);
    cr_assert_eq(r.t[1], 5.0f);
    cr_assert(isinf(r.t[2]) && isinf(r.d[2]));
    cr_assert(isinf(r.t[3]) && isinf(r.d[3]));
    cr_assert_not(gm__search_label(r.s, 3, NULL, NULL, NULL));
    /* No seeds (or only invalid ones): nothing is reached. */
    gm__seed bad[] = {{9, 0, 0}, {1, -1, 0}, {1, NAN, 0}, {1, 0, INFINITY}};
    gm__search_run(r.s, bad, 4, INFINITY, r.t, r.d);
    for (uint32_t v = 0; v < 4; v++)
        cr_assert(isinf(r.t[v]));
    size_t n;
    gm__search_settled(r.s, &n);
    cr_assert_eq(n, 0);
    run_free(&r);
}

/* A chain 0-1-2-3-4-5 of 100 m links: 10 s each at 36 km/h. */
static const fl CHAIN[] = {
    {0, 1, 100, RES, ALL}, {1, 2, 100, RES, ALL}, {2, 3, 100, RES, ALL},
    {3, 4, 100, RES, ALL}, {4, 5, 100, RES, ALL},
};

Test(search, the_cutoff_is_inclusive_and_what_lies_beyond_is_infinite, .init = setup, .fini = teardown)
{
    fixture f;
    fixture_init(&f, 6, CHAIN, 5);
    gm__graph *g = build_p(&f, GM__MODE_CAR, true);
    run r = run_new(g);
    go(&r, 0, 25.0f);
    cr_assert_eq(T(&r, 2), 20.0f);
    cr_assert_eq(D(&r, 2), 200.0f);
    cr_assert(isinf(T(&r, 3)) && isinf(D(&r, 3)));
    cr_assert(isinf(T(&r, 5)));
    size_t n;
    const uint32_t *st = gm__search_settled(r.s, &n);
    cr_assert_eq(n, 3);
    cr_assert_eq(g->orig_node[st[2]], 2);
    go(&r, 0, 30.0f);
    cr_assert_eq(T(&r, 3), 30.0f, "a node exactly at the cutoff is reached");
    cr_assert(isinf(T(&r, 4)));
    go(&r, 2, 10.0f);
    cr_assert_eq(T(&r, 1), 10.0f);
    cr_assert_eq(T(&r, 3), 10.0f);
    cr_assert(isinf(T(&r, 0)), "the previous run's labels are gone");
    go(&r, 0, NAN);
    cr_assert_eq(T(&r, 5), 50.0f, "NaN means no cutoff");
    run_free(&r);
    gm__graph_free(g);
}

Test(search, several_seeds_with_offsets_take_the_best, .init = setup, .fini = teardown)
{
    fixture f;
    fixture_init(&f, 6, CHAIN, 5);
    gm__graph *g = build_p(&f, GM__MODE_CAR, true);
    run r = run_new(g);
    /* A site snapped between 0 and 1 (3 s, 30 m from node 0, 7 s / 70 m from
     * node 1), and a second entrance at node 5, 12 s away along a drive; node
     * 1 seeded twice: the better offset counts. */
    gm__seed seeds[] = {
        {(uint32_t)g->node_of[0], 3, 30},
        {(uint32_t)g->node_of[1], 9, 90},
        {(uint32_t)g->node_of[1], 7, 70},
        {(uint32_t)g->node_of[5], 12, 40},
    };
    gm__search_run(r.s, seeds, 4, INFINITY, r.t, r.d);
    cr_assert_eq(T(&r, 0), 3.0f);
    cr_assert_eq(T(&r, 1), 7.0f);
    cr_assert_eq(D(&r, 1), 70.0f);
    cr_assert_eq(T(&r, 2), 17.0f);
    cr_assert_eq(T(&r, 3), 27.0f, "from 1: 27 s; from 5: 32 s");
    cr_assert_eq(T(&r, 4), 22.0f, "from 5");
    cr_assert_eq(D(&r, 4), 140.0f);
    cr_assert_eq(pred(&r, 1), -1, "a seed that is not beaten keeps no parent");
    /* Move the second entrance to 7 s / 10 m from node 5: node 3 is now
     * 27 s from both seeds, 270 m via node 1 and 210 m via node 5; the
     * shorter distance wins. */
    seeds[3] = (gm__seed){(uint32_t)g->node_of[5], 7, 10};
    gm__search_run(r.s, seeds, 4, INFINITY, r.t, r.d);
    cr_assert_eq(T(&r, 3), 27.0f);
    cr_assert_eq(D(&r, 3), 210.0f);
    cr_assert_eq(pred(&r, 3), 4);
    /* Outputs may be NULL; the labels are still there. */
    gm__search_run(r.s, seeds, 4, 20.0f, NULL, NULL);
    float t, d;
    cr_assert(gm__search_label(r.s, (uint32_t)g->node_of[2], &t, &d, NULL));
    cr_assert_eq(t, 17.0f);
    cr_assert_eq(d, 170.0f);
    cr_assert_not(gm__search_label(r.s, (uint32_t)g->node_of[3], &t, &d, NULL));
    run_free(&r);
    gm__graph_free(g);
}

Test(search, the_reverse_graph_gives_the_same_times_as_searches_from_the_other_end, .init = setup,
     .fini = teardown)
{
    /* A one-way grid of 4 x 4 nodes: rows alternate east/west, columns
     * alternate north/south, closed by two-way edges round the outside,
     * lengths 100..400 m so times differ. */
    fl ls[MAXL];
    size_t n = 0;
    for (uint32_t y = 0; y < 4; y++)
        for (uint32_t x = 0; x < 3; x++) {
            bool edge = y == 0 || y == 3;
            uint32_t a = y * 4 + x, b = a + 1;
            uint16_t fw = edge ? CAR2 : GM__RF_CAR_FWD;
            ls[n++] = (y % 2) ? (fl){a, b, (float)(100 * (1 + (x + y) % 4)), RES, fw}
                              : (fl){b, a, (float)(100 * (1 + (x + y) % 4)), RES, fw};
        }
    for (uint32_t x = 0; x < 4; x++)
        for (uint32_t y = 0; y < 3; y++) {
            bool edge = x == 0 || x == 3;
            uint32_t a = y * 4 + x, b = a + 4;
            uint16_t fw = edge ? CAR2 : GM__RF_CAR_FWD;
            ls[n++] = (x % 2) ? (fl){a, b, (float)(100 * (1 + (2 * x + y) % 4)), RES, fw}
                              : (fl){b, a, (float)(100 * (1 + (2 * x + y) % 4)), RES, fw};
        }
    fixture f;
    fixture_init(&f, 16, ls, n);
    gm__graph *g = build_p(&f, GM__MODE_CAR, true), *rg = NULL;
    cr_assert_eq(g->nnodes, 16);
    cr_assert_eq(gm__graph_reverse(ctx, g, &rg), GM_OK);
    run fw = run_new(g), bw = run_new(rg);
    float tf[16][16], df[16][16];
    for (uint32_t s = 0; s < 16; s++) {
        gm__seed seed = {s, 0, 0};
        gm__search_run(fw.s, &seed, 1, INFINITY, fw.t, fw.d);
        for (uint32_t t = 0; t < 16; t++) {
            tf[s][t] = fw.t[t];
            df[s][t] = fw.d[t];
        }
    }
    bool asymmetric = false;
    for (uint32_t t = 0; t < 16; t++) {
        gm__seed seed = {t, 0, 0};
        gm__search_run(bw.s, &seed, 1, INFINITY, bw.t, bw.d);
        for (uint32_t s = 0; s < 16; s++) {
            cr_assert_eq(bw.t[s], tf[s][t], "%u -> %u", s, t);
            cr_assert_eq(bw.d[s], df[s][t], "%u -> %u", s, t);
            asymmetric |= tf[s][t] != tf[t][s];
        }
    }
    cr_assert(asymmetric, "the fixture should have one-way detours");
    run_free(&fw);
    run_free(&bw);
    gm__graph_free(g);
    gm__graph_free(rg);
}

Test(search, every_allocation_failure_is_clean, .init = setup, .fini = teardown)
{
    fixture f;
    fixture_init(&f, 6, CHAIN, 5);
    gm__graph *g = build_p(&f, GM__MODE_CAR, true);
    for (long n = 0;; n++) {
        gm__search *s = NULL;
        gm__alloc_fail_after(n);
        gm_status st = gm__search_new(ctx, g, &s);
        gm__alloc_fail_after(-1);
        if (st == GM_OK) {
            cr_assert_gt(n, 3);
            gm__search_free(s);
            break;
        }
        cr_assert_eq(st, GM_E_NOMEM);
        cr_assert_null(s);
    }
    gm__search_free(NULL);
    gm__graph_free(g);
}

/* ---- against Bellman-Ford ---- */

/* xorshift64* (Vigna): a fixed, portable random sequence. */
static uint64_t rng_state;
static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * UINT64_C(2685821657736338717)) >> 33) % n;
}

/* Lexicographic (time, distance) "a < b". */
static bool lex_less(float ta, float da, float tb, float db) { return ta < tb || (ta == tb && da < db); }

/* Brute force: relax every arc until nothing changes, with the same float
 * additions in path order; then blank what lies beyond the cutoff.  pred
 * (may be NULL) receives, for exact-arithmetic graphs, the lowest-id tail
 * that achieves each label (then the lowest arc), or UINT32_MAX for seeds. */
static void bellman_ford(const gm__graph *g, const gm__seed *seeds, size_t ns, float cutoff, float *t,
                         float *d, uint32_t *parc)
{
    for (uint32_t v = 0; v < g->nnodes; v++)
        t[v] = d[v] = INFINITY;
    for (size_t i = 0; i < ns; i++) {
        uint32_t v = seeds[i].node;
        if (lex_less(seeds[i].time_s, seeds[i].dist_m, t[v], d[v])) {
            t[v] = seeds[i].time_s;
            d[v] = seeds[i].dist_m;
        }
    }
    for (bool changed = true; changed;) {
        changed = false;
        for (uint32_t u = 0; u < g->nnodes; u++) {
            if (isinf(t[u]))
                continue;
            for (uint32_t a = g->first[u]; a < g->first[u + 1]; a++) {
                uint32_t v = g->head[a];
                float nt = t[u] + g->time_s[a], nd = d[u] + g->dist_m[a];
                if (lex_less(nt, nd, t[v], d[v])) {
                    t[v] = nt;
                    d[v] = nd;
                    changed = true;
                }
            }
        }
    }
    if (parc) {
        for (uint32_t v = 0; v < g->nnodes; v++)
            parc[v] = UINT32_MAX;
        for (uint32_t v = 0; v < g->nnodes; v++) {
            bool seeded = false;
            for (size_t i = 0; i < ns; i++)
                seeded |= seeds[i].node == v && seeds[i].time_s == t[v] && seeds[i].dist_m == d[v];
            if (seeded)
                continue;
            for (uint32_t u = 0; u < g->nnodes && parc[v] == UINT32_MAX; u++)
                for (uint32_t a = g->first[u]; a < g->first[u + 1]; a++)
                    if (g->head[a] == v && t[u] + g->time_s[a] == t[v] && d[u] + g->dist_m[a] == d[v]) {
                        parc[v] = a;
                        break;
                    }
        }
    }
    for (uint32_t v = 0; v < g->nnodes; v++)
        if (t[v] > cutoff)
            t[v] = d[v] = INFINITY;
}

/* Random cutoff: none a third of the time, else somewhere in 0..max. */
static float random_cutoff(float max)
{
    return rnd(3) == 0 ? INFINITY : max * (float)rnd(1001) / 1000.0f;
}

Test(search, matches_bellman_ford_exactly_on_random_road_networks, .init = setup, .fini = teardown)
{
    /* Random roads through the real builder: random classes, flags, lengths
     * (some zero), limits and ferries; every mode; random coordinates (so
     * Hilbert numbering) half the time, checked against the same roads
     * numbered by road id. */
    rng_state = UINT64_C(0x9E3779B97F4A7C15);
    fixture f;
    float t[MAXN], d[MAXN], bt[MAXN], bd[MAXN], t2[MAXN], d2[MAXN];
    int graphs = 0;
    for (int iter = 0; iter < 3000; iter++) {
        uint32_t nn = 2 + rnd(20), nl = 1 + rnd(40);
        fixture_init(&f, nn, NULL, 0);
        for (uint32_t i = 0; i < nl; i++) {
            gm__road_link *l = &f.links[i];
            l->from = rnd(nn);
            l->to = rnd(nn);
            l->length_m = rnd(8) == 0 ? 0.0f : (float)rnd(200000) / 100.0f;
            l->rclass = (uint8_t)rnd(GM__RC_COUNT);
            l->flags = (uint16_t)(rnd(32) | (rnd(10) == 0 ? GM__RF_FERRY : 0));
            l->maxspeed_kmh = rnd(4) == 0 ? (uint16_t)(10 * (1 + rnd(11))) : 0;
            l->geom_n = 2;
        }
        f.roads.nlinks = nl;
        bool coords = rnd(2);
        if (coords) {
            for (uint32_t v = 0; v < nn; v++) {
                f.x[v] = 400000.0 + rnd(5000);
                f.y[v] = 200000.0 + rnd(5000);
            }
            f.roads.node_x = f.x;
            f.roads.node_y = f.y;
        }
        gm__profile p;
        gm__profile_default((gm__mode)rnd(GM__MODE_COUNT), &p);
        gm__graph *g = NULL, *g2 = NULL;
        gm_status st = gm__graph_build(ctx, &f.roads, &p, &g);
        if (st == GM_E_INPUT)
            continue;
        cr_assert_eq(st, GM_OK, "%s", gm_ctx_errmsg(ctx));
        graphs++;
        gm__search *s = NULL, *s2 = NULL;
        cr_assert_eq(gm__search_new(ctx, g, &s), GM_OK);
        if (coords) {
            f.roads.node_x = f.roads.node_y = NULL;
            cr_assert_eq(gm__graph_build(ctx, &f.roads, &p, &g2), GM_OK);
            cr_assert_eq(gm__search_new(ctx, g2, &s2), GM_OK);
        }
        for (int q = 0; q < 3; q++) {
            gm__seed seeds[3];
            size_t ns = 1 + rnd(3);
            for (size_t i = 0; i < ns; i++)
                seeds[i] = (gm__seed){rnd(g->nnodes), (float)rnd(3) * (float)rnd(1000) / 10.0f,
                                      (float)rnd(1000)};
            float cut = random_cutoff(600.0f);
            gm__search_run(s, seeds, ns, cut, t, d);
            bellman_ford(g, seeds, ns, cut, bt, bd, NULL);
            if (g2) {
                /* The same seeds by road node in the id-numbered graph. */
                gm__seed seeds2[3];
                for (size_t i = 0; i < ns; i++) {
                    seeds2[i] = seeds[i];
                    seeds2[i].node = (uint32_t)g2->node_of[g->orig_node[seeds[i].node]];
                }
                gm__search_run(s2, seeds2, ns, cut, t2, d2);
                for (uint32_t v = 0; v < g->nnodes; v++) {
                    uint32_t v2 = (uint32_t)g2->node_of[g->orig_node[v]];
                    cr_assert_eq(t[v], t2[v2], "graph %d: numbering changed a time", iter);
                    cr_assert_eq(d[v], d2[v2], "graph %d: numbering changed a distance", iter);
                }
            }
            for (uint32_t v = 0; v < g->nnodes; v++) {
                cr_assert_eq(t[v], bt[v], "graph %d query %d node %u: %.9g vs %.9g", iter, q, v,
                             (double)t[v], (double)bt[v]);
                cr_assert_eq(d[v], bd[v], "graph %d query %d node %u", iter, q, v);
                /* The parent chain is consistent and leads to a seed. */
                uint32_t arc, x = v, steps = 0;
                if (isinf(t[v]))
                    continue;
                while (gm__search_label(s, x, NULL, NULL, &arc) && arc != UINT32_MAX) {
                    uint32_t u = 0;
                    while (!(arc >= g->first[u] && arc < g->first[u + 1]))
                        u++;
                    cr_assert_eq(t[u] + g->time_s[arc], t[x]);
                    cr_assert_eq(d[u] + g->dist_m[arc], d[x]);
                    x = u;
                    cr_assert_leq(++steps, g->nnodes, "parent loop");
                }
            }
        }
        gm__search_free(s);
        gm__search_free(s2);
        gm__graph_free(g);
        gm__graph_free(g2);
    }
    cr_assert_gt(graphs, 1000, "only %d usable random networks", graphs);
}

Test(search, matches_bellman_ford_on_random_graphs_full_of_ties, .init = setup, .fini = teardown)
{
    /* Hand-made CSR graphs (not strongly connected; self-loops and parallel
     * arcs allowed) with small whole-number costs, so exact ties abound and
     * sums are exact: times, distances and the parent rule (lowest tail id,
     * then lowest arc) must match the brute force. */
    rng_state = UINT64_C(0xD1B54A32D192ED03);
    enum { TIE_N = 16, TIE_A = 48 };
    uint32_t first[TIE_N + 1], head[TIE_A], tails[TIE_A];
    float tm[TIE_A], ds[TIE_A], t[TIE_N], d[TIE_N], bt[TIE_N], bd[TIE_N];
    uint32_t bp[TIE_N];
    for (int iter = 0; iter < 3000; iter++) {
        uint32_t n = 1 + rnd(TIE_N), m = rnd(TIE_A + 1);
        for (uint32_t a = 0; a < m; a++)
            tails[a] = rnd(n);
        memset(first, 0, sizeof first);
        for (uint32_t a = 0; a < m; a++)
            first[tails[a] + 1]++;
        for (uint32_t v = 0; v < n; v++)
            first[v + 1] += first[v];
        uint32_t cur[TIE_N];
        memcpy(cur, first, sizeof cur);
        for (uint32_t a = 0; a < m; a++) {
            uint32_t k = cur[tails[a]]++;
            head[k] = rnd(n);
            tm[k] = (float)(1 + rnd(3));
            ds[k] = (float)(1 + rnd(3));
        }
        gm__graph g = {.mode = GM__MODE_CAR, .nnodes = n, .narcs = m, .first = first, .head = head,
                       .time_s = tm, .dist_m = ds};
        gm__search *s = NULL;
        cr_assert_eq(gm__search_new(ctx, &g, &s), GM_OK);
        for (int q = 0; q < 4; q++) {
            gm__seed seeds[3];
            size_t ns = 1 + rnd(3);
            for (size_t i = 0; i < ns; i++)
                seeds[i] = (gm__seed){rnd(n), (float)rnd(3), (float)rnd(3)};
            float cut = rnd(2) ? INFINITY : (float)rnd(12);
            gm__search_run(s, seeds, ns, cut, t, d);
            bellman_ford(&g, seeds, ns, cut, bt, bd, bp);
            for (uint32_t v = 0; v < n; v++) {
                cr_assert_eq(t[v], bt[v], "graph %d query %d node %u", iter, q, v);
                cr_assert_eq(d[v], bd[v], "graph %d query %d node %u", iter, q, v);
                uint32_t arc;
                if (gm__search_label(s, v, NULL, NULL, &arc))
                    cr_assert_eq(arc, bp[v], "graph %d query %d node %u: parent arc", iter, q, v);
            }
            /* Settled order is non-decreasing in (time, distance, id). */
            size_t ns2;
            const uint32_t *st = gm__search_settled(s, &ns2);
            for (size_t i = 1; i < ns2; i++) {
                uint32_t a = st[i - 1], b = st[i];
                cr_assert(lex_less(t[a], d[a], t[b], d[b]) || (t[a] == t[b] && d[a] == d[b] && a < b));
            }
        }
        gm__search_free(s);
    }
}
