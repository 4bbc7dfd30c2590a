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
#include "synth.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

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
        gm__seed seed = {(uint32_t)(synth_mix((uint64_t)i ^ salt) % g->nnodes), 0.0f, 0.0f};
        double t0 = synth_cpu_s();
        gm__search_run(s, &seed, 1, cutoff, t, d);
        double dt = synth_cpu_s() - t0;
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

    double t0 = synth_now_s();
    gm__roads *roads = synth_roads(side, shuffle);
    printf("synthetic grid %ux%u (%.0f km square, %s ids%s): %zu nodes, %zu links, made in %.2f s, "
           "peak RSS %.0f MB\n",
           side, side, side * SYNTH_SPACING_M / 1000.0, shuffle ? "shuffled" : "row-major",
           coords ? "" : ", no coordinates", roads->nnodes,
           roads->nlinks, synth_now_s() - t0, synth_peak_rss_mb());

    gm_ctx *ctx = NULL;
    if (gm_ctx_new(&ctx) != GM_OK)
        return 1;
    gm__profile p;
    gm__profile_default(GM__MODE_CAR, &p);
    gm__graph *g = NULL, *rg = NULL;
    gm__roads view = *roads;
    if (!coords)
        view.node_x = view.node_y = NULL;
    t0 = synth_now_s();
    if (gm__graph_build(ctx, &view, &p, &g) != GM_OK) {
        fprintf(stderr, "bench_search: %s\n", gm_ctx_errmsg(ctx));
        return 1;
    }
    double tb = synth_now_s() - t0;
    printf("gm__graph_build (car): %.2f s; %u nodes, %u arcs kept of %u / %u usable; %u components; "
           "peak RSS %.0f MB\n",
           tb, g->nnodes, g->narcs, g->stats.nodes_usable, g->stats.arcs_usable, g->stats.components,
           synth_peak_rss_mb());
    t0 = synth_now_s();
    if (gm__graph_reverse(ctx, g, &rg) != GM_OK)
        return 1;
    printf("gm__graph_reverse: %.2f s\n", synth_now_s() - t0);
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
    printf("peak RSS %.0f MB (roads %zu B/link + graph + one search state)\n", synth_peak_rss_mb(),
           sizeof(gm__road_link));

    free(tt);
    free(dd);
    gm__search_free(s);
    gm__graph_free(g);
    gm_ctx_free(ctx);
    synth_roads_free(roads);
    return ok ? 0 : 1;
}
