/*
 * graph_export ROADS MODE ARCS_CSV RESULTS_CSV [SOURCES]
 *
 * Test-only helper for test_realdata_matrix.c: builds one mode's graph from a
 * road file exactly as the travel stage does (gm__roads_load,
 * gm__profile_default, gm__graph_build), writes its arcs, and runs gapmap's
 * own search (gm__search_run, no cutoff) from SOURCES (default 50) nodes
 * picked deterministically, so that tests/nx_check.py can recompute the same
 * shortest paths with networkx and compare.
 *
 * ARCS_CSV:    tail,head,time_s,dist_m        one row per arc (graph node ids)
 * RESULTS_CSV: source,node,time_s             one row per node each search reached
 * Floats are printed with %.9g, which round-trips a float exactly, so the
 * other side sees the very arc costs gapmap sums.
 *
 * Sources: node floor(k * nnodes / SOURCES) for k = 0..SOURCES-1 (spread
 * across the Hilbert-ordered ids, hence across the map).  Exit 0 on success,
 * 2 on usage errors, 1 on anything else (message on stderr).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "network/graph.h"
#include "network/roads.h"

static int fail(gm_ctx *ctx, const char *what)
{
    fprintf(stderr, "graph_export: %s: %s\n", what, ctx ? gm_ctx_errmsg(ctx) : "");
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 5 || argc > 6) {
        fprintf(stderr, "usage: graph_export ROADS car|walk|cycle ARCS_CSV RESULTS_CSV [SOURCES]\n");
        return 2;
    }
    gm__mode mode = GM__MODE_COUNT;
    for (int m = 0; m < GM__MODE_COUNT; m++) {
        if (!strcmp(argv[2], gm__mode_name((gm__mode)m)))
            mode = (gm__mode)m;
    }
    long nsrc = argc == 6 ? strtol(argv[5], NULL, 10) : 50;
    if (mode == GM__MODE_COUNT || nsrc < 1 || nsrc > 100000) {
        fprintf(stderr, "graph_export: mode must be car, walk or cycle; SOURCES 1..100000\n");
        return 2;
    }

    gm_ctx *ctx = NULL;
    if (gm_ctx_new(&ctx) != GM_OK)
        return fail(NULL, "cannot make a context");
    gm__roads *roads = NULL;
    gm__graph *g = NULL;
    gm__search *s = NULL;
    FILE *fa = NULL, *fr = NULL;
    float *times = NULL;
    int rc = 1;
    gm__profile prof;
    gm__profile_default(mode, &prof);
    if (gm__roads_load(ctx, argv[1], &roads) != GM_OK) {
        rc = fail(ctx, "reading roads");
        goto done;
    }
    if (gm__graph_build(ctx, roads, &prof, &g) != GM_OK) {
        rc = fail(ctx, "building the graph");
        goto done;
    }
    if (gm__search_new(ctx, g, &s) != GM_OK) {
        rc = fail(ctx, "search state");
        goto done;
    }
    if (!(fa = fopen(argv[3], "w")) || !(fr = fopen(argv[4], "w"))) {
        fprintf(stderr, "graph_export: cannot write %s or %s\n", argv[3], argv[4]);
        goto done;
    }
    fprintf(fa, "tail,head,time_s,dist_m\n");
    for (uint32_t u = 0; u < g->nnodes; u++) {
        for (uint32_t a = g->first[u]; a < g->first[u + 1]; a++)
            fprintf(fa, "%u,%u,%.9g,%.9g\n", u, g->head[a], (double)g->time_s[a], (double)g->dist_m[a]);
    }
    if (!(times = malloc((size_t)g->nnodes * sizeof *times))) {
        fprintf(stderr, "graph_export: out of memory\n");
        goto done;
    }
    if ((uint64_t)nsrc > g->nnodes)
        nsrc = (long)g->nnodes;
    fprintf(fr, "source,node,time_s\n");
    size_t rows = 0;
    for (long k = 0; k < nsrc; k++) {
        gm__seed seed = {(uint32_t)((uint64_t)k * g->nnodes / (uint64_t)nsrc), 0.0f, 0.0f};
        gm__search_run(s, &seed, 1, INFINITY, times, NULL);
        for (uint32_t v = 0; v < g->nnodes; v++) {
            if (isfinite(times[v])) {
                fprintf(fr, "%u,%u,%.9g\n", seed.node, v, (double)times[v]);
                rows++;
            }
        }
    }
    if (fclose(fa) != 0 || fclose(fr) != 0) {
        fa = fr = NULL;
        fprintf(stderr, "graph_export: error writing %s or %s\n", argv[3], argv[4]);
        goto done;
    }
    fa = fr = NULL;
    printf("graph_export: %s %s: %u nodes, %u arcs, %ld sources, %zu reached rows\n", argv[1],
           argv[2], g->nnodes, g->narcs, nsrc, rows);
    rc = 0;
done:
    if (fa)
        fclose(fa);
    if (fr)
        fclose(fr);
    free(times);
    gm__search_free(s);
    gm__graph_free(g);
    gm__roads_free(roads);
    gm_ctx_free(ctx);
    return rc;
}
