/*
 * Graph building: profiles, which links each mode may use and in which
 * direction, strongly connected components, the CSR layout and its order, and
 * the reversed graph.  Every fixture is a gm__roads made by hand in the test
 * (no reader involved): a few nodes and links, each commented with what it
 * exercises.  Expected times are worked out from the documented speeds.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <math.h>
#include <string.h>

#include "core/core.h"
#include "geo/tolerance.h"
#include "network/graph.h"

/* Flag shorthands. */
#define CAR2 (GM__RF_CAR_FWD | GM__RF_CAR_BWD)
#define CYC2 (GM__RF_CYCLE_FWD | GM__RF_CYCLE_BWD)
#define W GM__RF_WALK
#define ALL (CAR2 | W | CYC2)

/* One link of a fixture: from, to, length, class, flags, maxspeed. */
typedef struct fl {
    uint32_t from, to;
    float len;
    uint8_t rc;
    uint16_t flags;
    uint16_t maxspeed;
} fl;

#define MAXL 64
#define MAXN 64
typedef struct fixture {
    gm__road_link links[MAXL];
    double x[MAXN], y[MAXN];
    gm__roads roads;
} fixture;

/* Give the fixture's nodes coordinates (x, y pairs), which switches node
 * numbering to the Hilbert curve. */
static void fixture_coords(fixture *f, const double *xy)
{
    cr_assert_leq(f->roads.nnodes, MAXN);
    for (size_t i = 0; i < f->roads.nnodes; i++) {
        f->x[i] = xy[2 * i];
        f->y[i] = xy[2 * i + 1];
    }
    f->roads.node_x = f->x;
    f->roads.node_y = f->y;
}

static void fixture_init(fixture *f, size_t nnodes, const fl *ls, size_t n)
{
    cr_assert_leq(n, MAXL);
    memset(f, 0, sizeof *f);
    for (size_t i = 0; i < n; i++) {
        f->links[i] = (gm__road_link){.from = ls[i].from, .to = ls[i].to, .length_m = ls[i].len,
                                      .rclass = ls[i].rc, .flags = ls[i].flags,
                                      .maxspeed_kmh = ls[i].maxspeed, .geom_n = 2,
                                      .source_id = 1000 + i};
    }
    f->roads.links = f->links;
    f->roads.nlinks = n;
    f->roads.nnodes = nnodes;
    strcpy(f->roads.source, "test");
}

static gm_ctx *ctx;
static void setup(void) { cr_assert_eq(gm_ctx_new(&ctx), GM_OK); }
static void teardown(void) { gm_ctx_free(ctx); }

static gm__graph *build(const fixture *f, gm__mode mode)
{
    gm__profile p;
    gm__profile_default(mode, &p);
    gm__graph *g = NULL;
    cr_assert_eq(gm__graph_build(ctx, &f->roads, &p, &g), GM_OK, "%s", gm_ctx_errmsg(ctx));
    return g;
}

/* The arc u->v (graph ids) with the lowest index, or -1. */
static long find_arc(const gm__graph *g, uint32_t u, uint32_t v)
{
    for (uint32_t a = g->first[u]; a < g->first[u + 1]; a++)
        if (g->head[a] == v)
            return (long)a;
    return -1;
}

/* Arc between road nodes ru -> rv, or -1 (also when either is not kept). */
static long road_arc(const gm__graph *g, uint32_t ru, uint32_t rv)
{
    if (g->node_of[ru] < 0 || g->node_of[rv] < 0)
        return -1;
    return find_arc(g, (uint32_t)g->node_of[ru], (uint32_t)g->node_of[rv]);
}

/* Seconds to cover len metres at kmh, as the graph computes it. */
static float secs(double len, double kmh) { return (float)(len * 3.6 / kmh); }

/* ---- profiles ---- */

typedef struct speed_case {
    int mode, rclass;
    float kmh;
} speed_case;

ParameterizedTestParameters(graph, default_profiles_have_the_documented_speeds)
{
    static speed_case cases[] = {
        {GM__MODE_CAR, GM__RC_MOTORWAY, 96.0f},      /* 60 mph: DfT SRN average speed */
        {GM__MODE_CAR, GM__RC_TRUNK, 80.0f},
        {GM__MODE_CAR, GM__RC_PRIMARY, 64.0f},
        {GM__MODE_CAR, GM__RC_SECONDARY, 56.0f},
        {GM__MODE_CAR, GM__RC_TERTIARY, 48.0f},
        {GM__MODE_CAR, GM__RC_UNCLASSIFIED, 40.0f},
        {GM__MODE_CAR, GM__RC_RESIDENTIAL, 30.0f},
        {GM__MODE_CAR, GM__RC_SERVICE, 15.0f},
        {GM__MODE_CAR, GM__RC_TRACK, 10.0f},
        {GM__MODE_CAR, GM__RC_PATH, 0.0f},           /* no cars on footways */
        {GM__MODE_WALK, GM__RC_MOTORWAY, 0.0f},      /* no walking on motorways */
        {GM__MODE_WALK, GM__RC_TRUNK, 4.8f},         /* DfT JTS walking speed */
        {GM__MODE_WALK, GM__RC_RESIDENTIAL, 4.8f},
        {GM__MODE_WALK, GM__RC_PATH, 4.8f},
        {GM__MODE_CYCLE, GM__RC_MOTORWAY, 0.0f},     /* no cycling on motorways */
        {GM__MODE_CYCLE, GM__RC_PRIMARY, 16.0f},     /* DfT JTS cycling speed */
        {GM__MODE_CYCLE, GM__RC_TRACK, 16.0f},
        {GM__MODE_CYCLE, GM__RC_PATH, 16.0f},        /* only where the link's cycle flags allow */
    };
    return cr_make_param_array(speed_case, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(speed_case *c, graph, default_profiles_have_the_documented_speeds)
{
    gm__profile p;
    gm__profile_default((gm__mode)c->mode, &p);
    cr_assert_eq(p.mode, (gm__mode)c->mode);
    cr_assert_eq(p.speed_kmh[c->rclass], c->kmh, "%s class %d: %g", gm__mode_name(p.mode), c->rclass,
                 (double)p.speed_kmh[c->rclass]);
    cr_assert_eq(p.ferry_speed_kmh, 15.0f);
    cr_assert_eq(p.use_maxspeed, c->mode == GM__MODE_CAR);
}

/* ---- arcs per mode ---- */

/* A one-way street 0->1 (car forward only, walkers both ways) closed into a
 * loop by two-way streets 1-2, 2-3, 3-0. */
static const fl ONEWAY[] = {
    {0, 1, 250, GM__RC_RESIDENTIAL, GM__RF_CAR_FWD | W | GM__RF_CYCLE_FWD, 0},
    {1, 2, 250, GM__RC_RESIDENTIAL, ALL, 0},
    {2, 3, 250, GM__RC_RESIDENTIAL, ALL, 0},
    {3, 0, 250, GM__RC_RESIDENTIAL, ALL, 0},
};

Test(graph, one_way_links_give_one_arc_to_cars_and_two_to_walkers, .init = setup, .fini = teardown)
{
    fixture f;
    fixture_init(&f, 4, ONEWAY, 4);
    gm__graph *car = build(&f, GM__MODE_CAR), *walk = build(&f, GM__MODE_WALK),
              *cyc = build(&f, GM__MODE_CYCLE);
    cr_assert_eq(car->narcs, 7);
    cr_assert_geq(road_arc(car, 0, 1), 0);
    cr_assert_lt(road_arc(car, 1, 0), 0, "against the one-way");
    cr_assert_eq(walk->narcs, 8);
    cr_assert_geq(road_arc(walk, 1, 0), 0, "one-way rules do not bind walkers");
    cr_assert_eq(cyc->narcs, 7);
    cr_assert_lt(road_arc(cyc, 1, 0), 0);
    /* 250 m at 30 km/h = 30 s; at 4.8 km/h = 187.5 s; at 16 km/h = 56.25 s. */
    long a = road_arc(car, 0, 1);
    cr_assert_eq(car->time_s[a], 30.0f);
    cr_assert_eq(car->dist_m[a], 250.0f);
    cr_assert_eq(walk->time_s[road_arc(walk, 1, 0)], 187.5f);
    cr_assert_eq(cyc->time_s[road_arc(cyc, 0, 1)], 56.25f);
    cr_assert_eq(car->arc_link[a], 0);
    cr_assert_eq(car->mode, GM__MODE_CAR);
    cr_assert_not(car->reversed);
    gm__graph_free(car);
    gm__graph_free(walk);
    gm__graph_free(cyc);
}

/* A motorway 0-1 flagged (wrongly) as walkable and cyclable, beside a two-way
 * residential road 0-2-1; a footway 1-3-0 (walk only) and a cycleway 2-4-1
 * (cycle and walk). */
static const fl MIXED[] = {
    {0, 1, 1600, GM__RC_MOTORWAY, ALL, 0},
    {0, 2, 500, GM__RC_RESIDENTIAL, ALL, 0},
    {2, 1, 500, GM__RC_RESIDENTIAL, ALL, 0},
    {1, 3, 100, GM__RC_PATH, W, 0},
    {3, 0, 100, GM__RC_PATH, W, 0},
    {2, 4, 400, GM__RC_PATH, W | CYC2, 0},
    {4, 1, 400, GM__RC_PATH, W | CYC2, 0},
};

Test(graph, motorways_are_for_cars_and_paths_follow_their_flags, .init = setup, .fini = teardown)
{
    fixture f;
    fixture_init(&f, 5, MIXED, 7);
    gm__graph *car = build(&f, GM__MODE_CAR), *walk = build(&f, GM__MODE_WALK),
              *cyc = build(&f, GM__MODE_CYCLE);
    /* Car: motorway and residential only; 1600 m at 96 km/h = 60 s. */
    cr_assert_eq(car->nnodes, 3);
    cr_assert_eq(car->node_of[3], -1);
    cr_assert_eq(car->node_of[4], -1);
    cr_assert_eq(car->time_s[road_arc(car, 0, 1)], 60.0f);
    /* Walk: everything but the motorway. */
    cr_assert_eq(walk->nnodes, 5);
    cr_assert_lt(road_arc(walk, 0, 1), 0, "no walking on a motorway, whatever the flags say");
    cr_assert_geq(road_arc(walk, 1, 3), 0);
    /* Cycle: the cycleway but not the footway. */
    cr_assert_eq(cyc->nnodes, 4);
    cr_assert_lt(road_arc(cyc, 0, 1), 0);
    cr_assert_eq(cyc->node_of[3], -1, "a footway without cycle flags is not cyclable");
    cr_assert_eq(cyc->time_s[road_arc(cyc, 2, 4)], 90.0f, "400 m at 16 km/h");
    gm__graph_free(car);
    gm__graph_free(walk);
    gm__graph_free(cyc);
}

/* Posted limits below the class speed cap it; above it they do nothing;
 * walkers and cyclists ignore them. */
static const fl LIMITS[] = {
    {0, 1, 1600, GM__RC_PRIMARY, ALL, 48},    /* 30 mph urban A road: 120 s, not 90 s */
    {1, 2, 1600, GM__RC_MOTORWAY, CAR2, 112}, /* 70 mph limit, 96 km/h class: 60 s */
    {2, 0, 1600, GM__RC_PRIMARY, ALL, 0},     /* no limit tagged: 90 s */
};

Test(graph, posted_limits_cap_car_speeds, .init = setup, .fini = teardown)
{
    fixture f;
    fixture_init(&f, 3, LIMITS, 3);
    gm__graph *car = build(&f, GM__MODE_CAR), *walk = build(&f, GM__MODE_WALK);
    cr_assert_eq(car->time_s[road_arc(car, 0, 1)], 120.0f);
    cr_assert_eq(car->time_s[road_arc(car, 1, 2)], 60.0f);
    cr_assert_eq(car->time_s[road_arc(car, 2, 0)], 90.0f);
    cr_assert_eq(walk->time_s[road_arc(walk, 0, 1)], 1200.0f, "1600 m at 4.8 km/h");
    gm__graph_free(car);
    gm__graph_free(walk);

    gm__profile p;
    gm__profile_default(GM__MODE_CAR, &p);
    p.use_maxspeed = false;
    gm__graph *g = NULL;
    cr_assert_eq(gm__graph_build(ctx, &f.roads, &p, &g), GM_OK);
    cr_assert_eq(g->time_s[road_arc(g, 0, 1)], 90.0f, "limits ignored when use_maxspeed is off");
    gm__graph_free(g);
}

/* An island reached by a car ferry (1-2, 15 km/h), a foot ferry (2-3) and a
 * ferry nobody may use (0-3). */
static const fl FERRIES[] = {
    {0, 1, 1000, GM__RC_RESIDENTIAL, ALL, 0},
    {1, 2, 5000, GM__RC_PRIMARY, GM__RF_FERRY | CAR2 | W, 0},
    {2, 3, 1000, GM__RC_PATH, GM__RF_FERRY | W, 0},
    {0, 3, 1000, GM__RC_RESIDENTIAL, GM__RF_FERRY, 0},
};

Test(graph, ferries_run_at_the_ferry_speed_for_the_modes_they_carry, .init = setup, .fini = teardown)
{
    fixture f;
    fixture_init(&f, 4, FERRIES, 4);
    gm__graph *car = build(&f, GM__MODE_CAR), *walk = build(&f, GM__MODE_WALK);
    long a = road_arc(car, 1, 2);
    cr_assert_eq(car->time_s[a], 1200.0f, "5 km at 15 km/h, not at the primary-road speed");
    cr_assert_eq(walk->time_s[road_arc(walk, 1, 2)], 1200.0f, "the boat's speed, not the walker's");
    cr_assert_eq(walk->time_s[road_arc(walk, 2, 3)], 240.0f);
    cr_assert_lt(road_arc(walk, 0, 3), 0, "a ferry without mode flags is not used");
    cr_assert_eq(car->node_of[3], -1);
    gm__graph_free(car);
    gm__graph_free(walk);
}

Test(graph, zero_length_links_get_a_tiny_positive_length, .init = setup, .fini = teardown)
{
    static const fl ZERO[] = {
        {0, 1, 0.0f, GM__RC_RESIDENTIAL, ALL, 0},
        {1, 2, 0.001f, GM__RC_RESIDENTIAL, ALL, 0},
        {2, 0, 10.0f, GM__RC_RESIDENTIAL, ALL, 0},
    };
    fixture f;
    fixture_init(&f, 3, ZERO, 3);
    gm__graph *g = build(&f, GM__MODE_CAR);
    for (uint32_t a = 0; a < g->narcs; a++) {
        cr_assert_gt(g->time_s[a], 0.0f);
        cr_assert_gt(g->dist_m[a], 0.0f);
    }
    long a = road_arc(g, 0, 1);
    cr_assert_eq(g->dist_m[a], (float)GM__MIN_LINK_M);
    cr_assert_eq(g->time_s[a], secs(GM__MIN_LINK_M, 30.0));
    cr_assert_eq(g->dist_m[road_arc(g, 1, 2)], (float)GM__MIN_LINK_M);
    gm__graph_free(g);
}

/* ---- components ---- */

/* Main block: a two-way square 0-1-2-3.  Island: a two-way link 4-5 with no
 * connection (a dead-end island: its own component).  A one-way spur 2->6
 * (enters and cannot leave: its own component), a one-way 7->0 (can leave,
 * never be reached), an isolated node 8 with no links, a self-loop on 3 and a
 * footway 1-9 (cars: unusable, so 9 is not a car node at all). */
static const fl ISLANDS[] = {
    {0, 1, 100, GM__RC_RESIDENTIAL, ALL, 0},
    {1, 2, 100, GM__RC_RESIDENTIAL, ALL, 0},
    {2, 3, 100, GM__RC_RESIDENTIAL, ALL, 0},
    {3, 0, 100, GM__RC_RESIDENTIAL, ALL, 0},
    {4, 5, 100, GM__RC_RESIDENTIAL, ALL, 0},
    {2, 6, 100, GM__RC_RESIDENTIAL, GM__RF_CAR_FWD, 0},
    {7, 0, 100, GM__RC_RESIDENTIAL, GM__RF_CAR_FWD, 0},
    {3, 3, 100, GM__RC_RESIDENTIAL, ALL, 0},
    {1, 9, 100, GM__RC_PATH, W, 0},
};

Test(graph, only_the_largest_strongly_connected_component_is_kept, .init = setup, .fini = teardown)
{
    fixture f;
    fixture_init(&f, 10, ISLANDS, 9);
    gm__graph *g = build(&f, GM__MODE_CAR);
    /* Usable: 0..7 (8 nodes); arcs: 8 square + 2 island + 2 one-way = 12. */
    cr_assert_eq(g->stats.nodes_usable, 8);
    cr_assert_eq(g->stats.arcs_usable, 12);
    cr_assert_eq(g->stats.self_loops, 1);
    /* Components: {0,1,2,3}, {4,5}, {6}, {7}. */
    cr_assert_eq(g->stats.components, 4);
    cr_assert_eq(g->stats.nodes_kept, 4);
    cr_assert_eq(g->stats.arcs_kept, 8);
    cr_assert_eq(g->nnodes, 4);
    cr_assert_eq(g->narcs, 8);
    cr_assert_eq(g->nroad_nodes, 10);
    int32_t expect[10] = {0, 1, 2, 3, -1, -1, -1, -1, -1, -1};
    for (uint32_t v = 0; v < 10; v++)
        cr_assert_eq(g->node_of[v], expect[v], "road node %u", v);
    for (uint32_t n = 0; n < g->nnodes; n++)
        cr_assert_eq(g->node_of[g->orig_node[n]], (int32_t)n);
    gm__graph_free(g);

    /* Walkers: 9 joins the square through the footway; the spur and the
     * one-way links are car-only. */
    g = build(&f, GM__MODE_WALK);
    cr_assert_eq(g->stats.nodes_usable, 7);
    cr_assert_eq(g->stats.components, 2);
    cr_assert_eq(g->nnodes, 5);
    cr_assert_eq(g->node_of[9], 4);
    gm__graph_free(g);
}

Test(graph, equal_largest_components_go_to_the_lowest_node_id, .init = setup, .fini = teardown)
{
    /* Two two-way pairs, 2-3 listed before 0-1: the one holding node 0 wins. */
    static const fl TWO[] = {
        {2, 3, 100, GM__RC_RESIDENTIAL, ALL, 0},
        {1, 0, 100, GM__RC_RESIDENTIAL, ALL, 0},
    };
    fixture f;
    fixture_init(&f, 4, TWO, 2);
    gm__graph *g = build(&f, GM__MODE_CAR);
    cr_assert_eq(g->stats.components, 2);
    cr_assert_eq(g->nnodes, 2);
    cr_assert_eq(g->orig_node[0], 0);
    cr_assert_eq(g->orig_node[1], 1);
    gm__graph_free(g);
}

Test(graph, a_long_chain_does_not_recurse, .init = setup, .fini = teardown)
{
    /* 200,000 nodes in a two-way chain and a one-way ring of the same size:
     * a recursive Tarjan would need 200,000 frames. */
    enum { N = 200000 };
    gm__road_link *links = malloc(2 * N * sizeof *links);
    cr_assert_not_null(links);
    for (uint32_t i = 0; i < N - 1; i++)
        links[i] = (gm__road_link){.from = i, .to = i + 1, .length_m = 10, .rclass = GM__RC_RESIDENTIAL,
                                   .flags = CAR2, .geom_n = 2};
    for (uint32_t i = 0; i < N; i++)
        links[N - 1 + i] = (gm__road_link){.from = N + i, .to = N + (i + 1) % N, .length_m = 10,
                                           .rclass = GM__RC_RESIDENTIAL, .flags = GM__RF_CAR_FWD,
                                           .geom_n = 2};
    gm__roads r = {.links = links, .nlinks = 2 * N - 1, .nnodes = 2 * N, .source = "chain"};
    gm__profile p;
    gm__profile_default(GM__MODE_CAR, &p);
    gm__graph *g = NULL;
    cr_assert_eq(gm__graph_build(ctx, &r, &p, &g), GM_OK);
    cr_assert_eq(g->stats.components, 2);
    cr_assert_eq(g->nnodes, N, "equal sizes: the chain holds node 0");
    cr_assert_eq(g->narcs, 2 * (N - 1));
    gm__graph_free(g);
    free(links);
}

/* ---- layout ---- */

Test(graph, arcs_are_sorted_by_head_then_link_and_parallel_arcs_are_kept, .init = setup,
     .fini = teardown)
{
    /* Node 0 links, listed out of order, with two parallel links 0-1 (the
     * second faster) and a spare road to keep everything connected. */
    static const fl PAR[] = {
        {0, 3, 100, GM__RC_RESIDENTIAL, ALL, 0},
        {1, 0, 300, GM__RC_RESIDENTIAL, ALL, 0},
        {0, 2, 100, GM__RC_RESIDENTIAL, ALL, 0},
        {0, 1, 300, GM__RC_PRIMARY, ALL, 0},
        {1, 2, 100, GM__RC_RESIDENTIAL, ALL, 0},
    };
    fixture f;
    fixture_init(&f, 4, PAR, 5);
    gm__graph *g = build(&f, GM__MODE_CAR);
    cr_assert_eq(g->first[0], 0);
    cr_assert_eq(g->first[1], 4);
    uint32_t heads[4] = {1, 1, 2, 3}, links[4] = {1, 3, 2, 0};
    for (uint32_t k = 0; k < 4; k++) {
        cr_assert_eq(g->head[k], heads[k], "arc %u", k);
        cr_assert_eq(g->arc_link[k], links[k], "arc %u", k);
    }
    cr_assert_eq(g->time_s[0], 36.0f, "300 m residential");
    cr_assert_eq(g->time_s[1], secs(300, 64), "300 m primary");
    cr_assert_eq(g->first[g->nnodes], g->narcs);
    for (uint32_t u = 0; u < g->nnodes; u++)
        for (uint32_t a = g->first[u] + 1; a < g->first[u + 1]; a++)
            cr_assert(g->head[a - 1] < g->head[a] ||
                      (g->head[a - 1] == g->head[a] && g->arc_link[a - 1] < g->arc_link[a]));
    gm__graph_free(g);
}

Test(graph, nodes_are_numbered_along_the_hilbert_curve, .init = setup, .fini = teardown)
{
    /* A 1 km square with its corners listed as road nodes 0 = south-east,
     * 1 = north-east, 2 = north-west, 3 = south-west.  The curve over the
     * square runs SW, NW, NE, SE, so graph ids reverse the road ids.  Node 4
     * sits on SW exactly: the tie keeps road-id order (3 before 4). */
    static const fl SQ[] = {
        {0, 1, 1000, GM__RC_RESIDENTIAL, ALL, 0}, {1, 2, 1000, GM__RC_RESIDENTIAL, ALL, 0},
        {2, 3, 1000, GM__RC_RESIDENTIAL, ALL, 0}, {3, 0, 1000, GM__RC_RESIDENTIAL, ALL, 0},
        {3, 4, 1, GM__RC_RESIDENTIAL, ALL, 0},
    };
    static const double XY[] = {401000, 200000, 401000, 201000, 400000, 201000,
                                400000, 200000, 400000, 200000};
    fixture f;
    fixture_init(&f, 5, SQ, 5);
    fixture_coords(&f, XY);
    gm__graph *g = build(&f, GM__MODE_CAR);
    uint32_t expect[5] = {3, 4, 2, 1, 0};
    for (uint32_t n = 0; n < 5; n++) {
        cr_assert_eq(g->orig_node[n], expect[n], "graph node %u", n);
        cr_assert_eq(g->node_of[expect[n]], (int32_t)n);
    }
    /* Arcs still go between the same road nodes with the same costs. */
    cr_assert_eq(g->arc_link[road_arc(g, 3, 0)], 3);
    cr_assert_eq(g->time_s[road_arc(g, 3, 0)], 120.0f);
    /* Without coordinates (or with none finite): road-id order. */
    double nan_xy[10];
    for (int i = 0; i < 10; i++)
        nan_xy[i] = NAN;
    fixture_coords(&f, nan_xy);
    gm__graph *h = build(&f, GM__MODE_CAR);
    for (uint32_t n = 0; n < 5; n++)
        cr_assert_eq(h->orig_node[n], n);
    gm__graph_free(g);
    gm__graph_free(h);
}

/* ---- errors ---- */

Test(graph, a_mode_with_no_usable_link_is_an_input_error, .init = setup, .fini = teardown)
{
    static const fl FOOT[] = {{0, 1, 100, GM__RC_PATH, W, 0}};
    fixture f;
    fixture_init(&f, 2, FOOT, 1);
    gm__profile p;
    gm__profile_default(GM__MODE_CAR, &p);
    gm__graph *g = (gm__graph *)&f; /* must stay untouched */
    cr_assert_eq(gm__graph_build(ctx, &f.roads, &p, &g), GM_E_INPUT);
    cr_assert_eq(g, (gm__graph *)&f);
    cr_assert(strstr(gm_ctx_errmsg(ctx), "none of the 1 links can be used by car") != NULL, "%s",
              gm_ctx_errmsg(ctx));
}

Test(graph, bad_links_and_speeds_are_reported, .init = setup, .fini = teardown)
{
    static const fl BAD[] = {{0, 1, 100, GM__RC_RESIDENTIAL, ALL, 0}, {1, 7, 100, GM__RC_RESIDENTIAL, ALL, 0}};
    fixture f;
    fixture_init(&f, 2, BAD, 2);
    gm__profile p;
    gm__profile_default(GM__MODE_CAR, &p);
    gm__graph *g = NULL;
    cr_assert_eq(gm__graph_build(ctx, &f.roads, &p, &g), GM_E_INPUT);
    cr_assert(strstr(gm_ctx_errmsg(ctx), "link 1 (source id 1001) joins nodes 1 and 7") != NULL, "%s",
              gm_ctx_errmsg(ctx));
    f.links[1].to = 0;
    f.links[1].rclass = 42;
    cr_assert_eq(gm__graph_build(ctx, &f.roads, &p, &g), GM_E_INPUT);
    cr_assert(strstr(gm_ctx_errmsg(ctx), "road class 42") != NULL, "%s", gm_ctx_errmsg(ctx));
    f.links[1].rclass = GM__RC_RESIDENTIAL;
    f.links[1].length_m = NAN;
    cr_assert_eq(gm__graph_build(ctx, &f.roads, &p, &g), GM_E_INPUT);
    f.links[1].length_m = 100;
    p.speed_kmh[GM__RC_TRUNK] = -3;
    cr_assert_eq(gm__graph_build(ctx, &f.roads, &p, &g), GM_E_ARG);
    cr_assert(strstr(gm_ctx_errmsg(ctx), "-3 km/h") != NULL, "%s", gm_ctx_errmsg(ctx));
    p.speed_kmh[GM__RC_TRUNK] = NAN;
    cr_assert_eq(gm__graph_build(ctx, &f.roads, &p, &g), GM_E_ARG);
    cr_assert_null(g);
}

/* ---- reverse ---- */

Test(graph, reverse_transposes_every_arc_with_the_same_numbering, .init = setup, .fini = teardown)
{
    fixture f;
    fixture_init(&f, 4, ONEWAY, 4);
    gm__graph *g = build(&f, GM__MODE_CAR), *r = NULL, *rr = NULL;
    memset(&f, 0xff, sizeof f); /* roads are borrowed only during the build */
    cr_assert_eq(gm__graph_reverse(ctx, g, &r), GM_OK);
    cr_assert(r->reversed);
    cr_assert_eq(r->nnodes, g->nnodes);
    cr_assert_eq(r->narcs, g->narcs);
    cr_assert_eq(memcmp(r->orig_node, g->orig_node, g->nnodes * sizeof *g->orig_node), 0);
    cr_assert_eq(memcmp(r->node_of, g->node_of, g->nroad_nodes * sizeof *g->node_of), 0);
    cr_assert_eq(memcmp(&r->stats, &g->stats, sizeof g->stats), 0);
    /* Every arc u->v of g is an arc v->u of r with the same cost and link. */
    for (uint32_t u = 0; u < g->nnodes; u++) {
        for (uint32_t a = g->first[u]; a < g->first[u + 1]; a++) {
            long b = find_arc(r, g->head[a], u);
            cr_assert_geq(b, 0);
            cr_assert_eq(r->time_s[b], g->time_s[a]);
            cr_assert_eq(r->dist_m[b], g->dist_m[a]);
            cr_assert_eq(r->arc_link[b], g->arc_link[a]);
        }
    }
    cr_assert_geq(find_arc(r, 1, 0), 0, "the one-way 0->1 now points 1->0");
    cr_assert_lt(find_arc(r, 0, 1), 0);
    /* Reversing twice gives the graph back, arc for arc. */
    cr_assert_eq(gm__graph_reverse(ctx, r, &rr), GM_OK);
    cr_assert_not(rr->reversed);
    cr_assert_eq(memcmp(rr->first, g->first, (g->nnodes + 1) * sizeof *g->first), 0);
    cr_assert_eq(memcmp(rr->head, g->head, g->narcs * sizeof *g->head), 0);
    cr_assert_eq(memcmp(rr->time_s, g->time_s, g->narcs * sizeof *g->time_s), 0);
    cr_assert_eq(memcmp(rr->arc_link, g->arc_link, g->narcs * sizeof *g->arc_link), 0);
    gm__graph_free(g);
    gm__graph_free(r);
    gm__graph_free(rr);
    gm__graph_free(NULL);
}

/* ---- allocation failures ---- */

Test(graph, every_allocation_failure_is_clean, .init = setup, .fini = teardown)
{
    fixture f;
    fixture_init(&f, 10, ISLANDS, 9);
    double xy[20];
    for (int i = 0; i < 20; i++)
        xy[i] = 1000.0 * (i % 7);
    fixture_coords(&f, xy); /* so the Hilbert numbering's allocations are walked too */
    gm__profile p;
    gm__profile_default(GM__MODE_CAR, &p);
    gm__graph *g = NULL;
    for (long n = 0;; n++) {
        g = NULL;
        gm__alloc_fail_after(n);
        gm_status st = gm__graph_build(ctx, &f.roads, &p, &g);
        gm__alloc_fail_after(-1);
        if (st == GM_OK) {
            cr_assert_gt(n, 5);
            break;
        }
        cr_assert_eq(st, GM_E_NOMEM, "allocation %ld: %s (%s)", n, gm_status_name(st), gm_ctx_errmsg(ctx));
        cr_assert_null(g);
    }
    for (long n = 0;; n++) {
        gm__graph *r = NULL;
        gm__alloc_fail_after(n);
        gm_status st = gm__graph_reverse(ctx, g, &r);
        gm__alloc_fail_after(-1);
        if (st == GM_OK) {
            cr_assert_gt(n, 3);
            gm__graph_free(r);
            break;
        }
        cr_assert_eq(st, GM_E_NOMEM);
        cr_assert_null(r);
    }
    gm__graph_free(g);
}
