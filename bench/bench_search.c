/*
 * bench_search: how long the car graph takes to build and one-to-all Dijkstra
 * takes to run at national scale.
 *
 * It makes a synthetic road network in memory as a gm__roads (no reader): a
 * side x side grid (default 2000 x 2000 = 4,000,000 nodes, ~8,000,000 links)
 * at 240 m spacing, so 480 x 480 km, about the area of Great Britain
 * (~230,000 km2) at the density the national target assumes (4M nodes).
 * Every 200th grid line is a motorway (car only), every 40th a primary road,
 * every 10th a secondary road; the rest are tertiary (20%), unclassified
 * (30%) or residential (50%) by a hash of the link; links are 0-24% longer
 * than the spacing (bends); 8% of local links are one-way, and 10% of
 * residential links carry a 20 mph (32 km/h) limit.  Node ids are row-major
 * (neighbours have near ids) unless --shuffle permutes them, as ids in
 * reader order (OSM way order) would be.  Link geometry is not made: the
 * graph does not read it.
 *
 * Then, timing builds with CLOCK_MONOTONIC and searches in thread CPU time:
 *   1. gm__graph_build (car) and gm__graph_reverse;
 *   2. N one-to-all searches from random nodes with a 60-minute cutoff,
 *      writing both output arrays (as a travel matrix would), and the same
 *      with NULL outputs (labels read back through gm__search_settled);
 *   3. M searches without a cutoff;
 * printing ms per search, nodes settled per second, peak RSS, and the
 * projected time of the national target (6,000 sites, 60-minute cutoff) on
 * one and two cores.
 *
 * Each timing is the fastest of --rounds passes over the same sources.
 *
 * Usage: bench_search [--side N] [--searches N] [--full N] [--rounds N] [--shuffle]
 *                     [--no-coords]
 *   defaults: --side 2000 --searches 100 --full 3 --rounds 3
 *   --no-coords hides the node coordinates from the build, so graph nodes
 *   keep road-id order instead of the Hilbert curve (to measure locality).
 * Exit status 0 when every check passes (graph built, searches reach nodes).
 */
#include "network/graph.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define SPACING_M 240.0

/* splitmix64 (Vigna, public domain): a deterministic hash. */
static uint64_t mix(uint64_t x)
{
    x += UINT64_C(0x9e3779b97f4a7c15);
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CPU time of this thread: a search is single-threaded, and CPU time leaves
 * out the time other processes on a shared machine take from it. */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double peak_rss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0; /* Linux reports kilobytes */
}

static uint8_t line_class(uint32_t line, uint64_t h)
{
    if (line % 200 == 100)
        return GM__RC_MOTORWAY;
    if (line % 40 == 20)
        return GM__RC_PRIMARY;
    if (line % 10 == 5)
        return GM__RC_SECONDARY;
    unsigned k = (unsigned)(h % 10);
    return k < 2 ? GM__RC_TERTIARY : k < 5 ? GM__RC_UNCLASSIFIED : GM__RC_RESIDENTIAL;
}

static void make_link(gm__road_link *l, uint32_t a, uint32_t b, uint32_t line, uint64_t key)
{
    uint64_t h = mix(key);
    uint8_t rc = line_class(line, h >> 8);
    uint16_t flags = GM__RF_CAR_FWD | GM__RF_CAR_BWD;
    if (rc != GM__RC_MOTORWAY)
        flags |= GM__RF_WALK | GM__RF_CYCLE_FWD | GM__RF_CYCLE_BWD;
    bool local = rc >= GM__RC_TERTIARY;
    if (local && (h >> 20) % 100 < 8) /* one-way, either direction */
        flags &= (uint16_t)~(((h >> 28) & 1) ? GM__RF_CAR_FWD : GM__RF_CAR_BWD);
    *l = (gm__road_link){
        .from = a,
        .to = b,
        .length_m = (float)(SPACING_M * (1.0 + (double)((h >> 32) % 25) / 100.0)),
        .rclass = rc,
        .flags = flags,
        .maxspeed_kmh = (uint16_t)(rc == GM__RC_RESIDENTIAL && (h >> 40) % 10 == 0 ? 32 : 0),
        .geom_n = 2,
        .source_id = key,
    };
}

static gm__roads *make_roads(uint32_t side, bool shuffle)
{
    size_t nn = (size_t)side * side;
    uint32_t *id = malloc(nn * sizeof *id);
    gm__roads *r = calloc(1, sizeof *r);
    r->nnodes = nn;
    r->nlinks = 2 * (size_t)side * (side - 1);
    r->links = malloc(r->nlinks * sizeof *r->links);
    r->node_x = malloc(nn * sizeof *r->node_x);
    r->node_y = malloc(nn * sizeof *r->node_y);
    if (!id || !r->links || !r->node_x || !r->node_y) {
        fprintf(stderr, "bench_search: out of memory making %zu nodes\n", nn);
        exit(1);
    }
    for (size_t i = 0; i < nn; i++)
        id[i] = (uint32_t)i;
    if (shuffle) /* Fisher-Yates with a fixed hash: reproducible */
        for (size_t i = nn - 1; i > 0; i--) {
            size_t j = mix(i ^ 0x5eed) % (i + 1);
            uint32_t t = id[i];
            id[i] = id[j];
            id[j] = t;
        }
    size_t k = 0;
    for (uint32_t y = 0; y < side; y++)
        for (uint32_t x = 0; x < side; x++) {
            uint32_t v = id[(size_t)y * side + x];
            r->node_x[v] = x * SPACING_M;
            r->node_y[v] = y * SPACING_M;
            if (x + 1 < side)
                make_link(&r->links[k++], v, id[(size_t)y * side + x + 1], y, 2 * ((uint64_t)y * side + x));
            if (y + 1 < side)
                make_link(&r->links[k++], v, id[(size_t)(y + 1) * side + x], x,
                          2 * ((uint64_t)y * side + x) + 1);
        }
    /* Links in id order of their from node, as a reader would emit them. */
    strcpy(r->source, "synthetic_grid");
    free(id);
    return r;
}

static void free_roads(gm__roads *r)
{
    free(r->links);
    free(r->node_x);
    free(r->node_y);
    free(r);
}

typedef struct totals {
    double secs;
    uint64_t settled;
    int n;
} totals;

static totals one_round(gm__search *s, const gm__graph *g, int n, float cutoff, float *t, float *d,
                        uint64_t salt);

/* n searches from hashed random nodes, outputs to t/d (may be NULL); the
 * fastest of rounds repetitions of the same n sources, since other work on
 * the machine only ever adds time. */
static totals searches(gm__search *s, const gm__graph *g, int n, float cutoff, float *t, float *d,
                       uint64_t salt, int rounds)
{
    totals best = {INFINITY, 0, n};
    for (int r = 0; r < rounds; r++) {
        totals tot = one_round(s, g, n, cutoff, t, d, salt);
        if (tot.secs < best.secs)
            best = tot;
    }
    return best;
}

static totals one_round(gm__search *s, const gm__graph *g, int n, float cutoff, float *t, float *d,
                        uint64_t salt)
{
    totals tot = {0, 0, n};
    for (int i = 0; i < n; i++) {
        gm__seed seed = {(uint32_t)(mix((uint64_t)i ^ salt) % g->nnodes), 0.0f, 0.0f};
        double t0 = cpu_s();
        gm__search_run(s, &seed, 1, cutoff, t, d);
        double dt = cpu_s() - t0;
        size_t ns;
        gm__search_settled(s, &ns);
        tot.secs += dt;
        tot.settled += ns;
    }
    return tot;
}

static void report(const char *what, totals t)
{
    printf("  %-44s %8.1f CPU ms/search  %9.0f nodes settled/search  %6.2f M settled/s\n", what,
           1e3 * t.secs / t.n, (double)t.settled / t.n, (double)t.settled / t.secs / 1e6);
}

int main(int argc, char **argv)
{
    uint32_t side = 2000;
    int nsearch = 100, nfull = 3, rounds = 3;
    bool shuffle = false, coords = true;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--side") && i + 1 < argc)
            side = (uint32_t)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--searches") && i + 1 < argc)
            nsearch = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--full") && i + 1 < argc)
            nfull = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
            rounds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--shuffle"))
            shuffle = true;
        else if (!strcmp(argv[i], "--no-coords"))
            coords = false;
        else {
            fprintf(stderr, "usage: bench_search [--side N] [--searches N] [--full N] [--rounds N] [--shuffle] "
                            "[--no-coords]\n");
            return 2;
        }
    }
    if (side < 2 || nsearch < 1 || nfull < 0 || rounds < 1) {
        fprintf(stderr, "bench_search: --side must be at least 2, --searches and --rounds at least 1\n");
        return 2;
    }

    double t0 = now_s();
    gm__roads *roads = make_roads(side, shuffle);
    printf("synthetic grid %ux%u (%.0f km square, %s ids%s): %zu nodes, %zu links, made in %.2f s, "
           "peak RSS %.0f MB\n",
           side, side, side * SPACING_M / 1000.0, shuffle ? "shuffled" : "row-major",
           coords ? "" : ", no coordinates", roads->nnodes,
           roads->nlinks, now_s() - t0, peak_rss_mb());

    gm_ctx *ctx = NULL;
    if (gm_ctx_new(&ctx) != GM_OK)
        return 1;
    gm__profile p;
    gm__profile_default(GM__MODE_CAR, &p);
    gm__graph *g = NULL, *rg = NULL;
    gm__roads view = *roads;
    if (!coords)
        view.node_x = view.node_y = NULL;
    t0 = now_s();
    if (gm__graph_build(ctx, &view, &p, &g) != GM_OK) {
        fprintf(stderr, "bench_search: %s\n", gm_ctx_errmsg(ctx));
        return 1;
    }
    double tb = now_s() - t0;
    printf("gm__graph_build (car): %.2f s; %u nodes, %u arcs kept of %u / %u usable; %u components; "
           "peak RSS %.0f MB\n",
           tb, g->nnodes, g->narcs, g->stats.nodes_usable, g->stats.arcs_usable, g->stats.components,
           peak_rss_mb());
    t0 = now_s();
    if (gm__graph_reverse(ctx, g, &rg) != GM_OK)
        return 1;
    printf("gm__graph_reverse: %.2f s\n", now_s() - t0);
    gm__graph_free(rg);

    gm__search *s = NULL;
    if (gm__search_new(ctx, g, &s) != GM_OK)
        return 1;
    float *tt = malloc((size_t)g->nnodes * sizeof *tt), *dd = malloc((size_t)g->nnodes * sizeof *dd);
    if (!tt || !dd)
        return 1;

    printf("one-to-all car searches from random nodes (best of %d rounds):\n", rounds);
    totals cut = searches(s, g, nsearch, 3600.0f, tt, dd, 1, rounds);
    report("60-min cutoff, time+dist arrays filled", cut);
    totals cut_sparse = searches(s, g, nsearch, 3600.0f, NULL, NULL, 1, rounds);
    report("60-min cutoff, NULL outputs (settled list)", cut_sparse);
    totals full = {0, 0, 0};
    if (nfull > 0) {
        full = searches(s, g, nfull, INFINITY, tt, dd, 2, rounds);
        report("no cutoff, arrays filled", full);
    }
    int ok = cut.settled > 0 && (nfull == 0 || full.settled == (uint64_t)nfull * g->nnodes);
    if (!ok)
        fprintf(stderr, "bench_search: searches did not reach what they should\n");

    double per = cut.secs / cut.n, per_sparse = cut_sparse.secs / cut_sparse.n;
    printf("national target, 6,000 sites x 60-min cutoff: %.0f s on one core, %.0f s on two "
           "(%.0f s / %.0f s with sparse output); budget 600 s on two cores\n",
           6000 * per, 6000 * per / 2, 6000 * per_sparse, 6000 * per_sparse / 2);
    printf("peak RSS %.0f MB (roads %zu B/link + graph + one search state)\n", peak_rss_mb(),
           sizeof(gm__road_link));

    free(tt);
    free(dd);
    gm__search_free(s);
    gm__graph_free(g);
    gm_ctx_free(ctx);
    free_roads(roads);
    return ok ? 0 : 1;
}
