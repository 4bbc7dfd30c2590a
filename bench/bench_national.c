/*
 * bench_national: the national-scale travel case, end to end in memory.
 *
 * The work (the target of the road-travel issue): a 4-million-node road graph
 * the size of Great Britain's OS Open Roads, 1.6 million postcodes, 6,000
 * provider sites, car, 60-minute cut-off, on 2 cores within 10 minutes and
 * 8 GB.  Its ~10^9 postcode-site pairs within the hour would take 8-12 GB as
 * a list and 77 GB as a dense matrix, so the product computed is what
 * national coverage figures need (the DfT journey time statistics' measures):
 * for every postcode its 3 nearest sites by car (time, distance) and the
 * number of sites within 15, 30, 45 and 60 minutes; the pairs are counted.
 *
 * The inputs (bench/synth.h for the roads): postcodes in towns of Zipf-like
 * sizes (the largest ~10% of all, as London holds ~11% of GB postcodes) at
 * about 120 postcodes per km2, plus 15% scattered over the country; sites at
 * postcodes drawn at random, so sites follow population as services do.
 * Everything is a hash of its index: the same inputs on every run.
 *
 * Phases timed (CLOCK_MONOTONIC, whole process on all threads): roads made
 * (not counted), graph build + reverse, snap index, joining 1.6M + 6,000
 * points, the 6,000 searches with the nearest/counts reduction; then the peak
 * RSS.  Prints coverage figures as a sanity check (most postcodes should have
 * a site within 15 minutes when sites follow population).
 *
 * Usage: bench_national [--side N] [--postcodes N] [--sites N] [--cutoff MIN] [--threads N]
 *   defaults: --side 2000 --postcodes 1600000 --sites 6000 --cutoff 60 --threads 0 (all cores)
 * Exit status 0 when the run completes and its checks pass (every point
 * joined, every site reaches at least its own postcode).
 */
#include "network/nearest.h"
#include "synth.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RURAL_SHARE 0.15
#define POSTCODES_PER_KM2 120.0
#define NTOWNS 1500
#define PI 3.14159265358979323846

static double unit(uint64_t key) /* [0, 1) */
{
    return (double)(synth_mix(key) >> 11) * 0x1.0p-53;
}

static double gauss(uint64_t key) /* Box-Muller, standard normal */
{
    double u = unit(key * 2 + 1), v = unit(key * 2 + 2);
    return sqrt(-2.0 * log(u > 0 ? u : 1e-300)) * cos(2 * PI * v);
}

/* n postcodes as x0,y0,x1,y1... inside the grid's extent. */
static double *make_postcodes(size_t n, double extent)
{
    double *xy = malloc(2 * n * sizeof *xy);
    double w[NTOWNS], wsum = 0, tx[NTOWNS], ty[NTOWNS];
    if (!xy) {
        fprintf(stderr, "bench_national: out of memory for %zu postcodes\n", n);
        exit(1);
    }
    for (int t = 0; t < NTOWNS; t++) {
        w[t] = 1.0 / pow(t + 1.0, 0.9);
        wsum += w[t];
        tx[t] = extent * (0.05 + 0.9 * unit(0x70000 + 2 * (uint64_t)t));
        ty[t] = extent * (0.05 + 0.9 * unit(0x70001 + 2 * (uint64_t)t));
    }
    size_t urban = (size_t)((1.0 - RURAL_SHARE) * (double)n), k = 0;
    for (int t = 0; t < NTOWNS && k < urban; t++) {
        size_t m = (size_t)llround((double)urban * w[t] / wsum);
        if (t == NTOWNS - 1 || k + m > urban)
            m = urban - k;
        /* A disc of m / density km2; a Gaussian with sigma = radius / 1.5. */
        double sigma = sqrt((double)m / POSTCODES_PER_KM2 / PI) * 1000.0 / 1.5 + 200.0;
        for (size_t i = 0; i < m; i++, k++) {
            double x = tx[t] + sigma * gauss(4 * k), y = ty[t] + sigma * gauss(4 * k + 3);
            xy[2 * k] = fmin(fmax(x, 0), extent);
            xy[2 * k + 1] = fmin(fmax(y, 0), extent);
        }
    }
    for (; k < n; k++) {
        xy[2 * k] = extent * unit(0x900000000ull + 2 * k);
        xy[2 * k + 1] = extent * unit(0x900000001ull + 2 * k);
    }
    return xy;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static void die(gm_ctx *ctx, const char *what)
{
    fprintf(stderr, "bench_national: %s: %s\n", what, gm_ctx_errmsg(ctx));
    exit(1);
}

int main(int argc, char **argv)
{
    uint32_t side = 2000;
    size_t npc = 1600000, nsites = 6000;
    double cutoff_min = 60;
    int threads = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--side") && i + 1 < argc)
            side = (uint32_t)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--postcodes") && i + 1 < argc)
            npc = (size_t)atol(argv[++i]);
        else if (!strcmp(argv[i], "--sites") && i + 1 < argc)
            nsites = (size_t)atol(argv[++i]);
        else if (!strcmp(argv[i], "--cutoff") && i + 1 < argc)
            cutoff_min = atof(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_national [--side N] [--postcodes N] [--sites N] [--cutoff MIN] "
                            "[--threads N]\n");
            return 2;
        }
    }
    if (side < 10 || npc < 1 || nsites < 1 || !(cutoff_min > 0)) {
        fprintf(stderr, "bench_national: --side >= 10, --postcodes, --sites >= 1, --cutoff > 0\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0); /* figures as they come, also into a file */
    double extent = (side - 1) * SYNTH_SPACING_M, t_all = synth_now_s();

    double t0 = synth_now_s();
    gm__roads *roads = synth_roads(side, false);
    double *pxy = make_postcodes(npc, extent);
    double *sxy = malloc(2 * nsites * sizeof *sxy);
    for (size_t s = 0; s < nsites; s++) {
        size_t p = (size_t)(synth_mix(0x5175 + s) % npc);
        sxy[2 * s] = pxy[2 * p];
        sxy[2 * s + 1] = pxy[2 * p + 1];
    }
    printf("inputs: %zu nodes, %zu links (%.0f km square), %zu postcodes, %zu sites; made in %.1f s (not counted)\n",
           roads->nnodes, roads->nlinks, extent / 1000, npc, nsites, synth_now_s() - t0);
    double base_rss = synth_peak_rss_mb();
    t_all = synth_now_s();

    gm_ctx *ctx = NULL;
    if (gm_ctx_new(&ctx) != GM_OK)
        return 1;
    gm__profile p;
    gm__profile_default(GM__MODE_CAR, &p);
    gm__graph *g = NULL, *rev = NULL;
    gm__snap_index *ix = NULL;
    t0 = synth_now_s();
    if (gm__graph_build(ctx, roads, &p, &g) != GM_OK || gm__graph_reverse(ctx, g, &rev) != GM_OK)
        die(ctx, "graph");
    double t_graph = synth_now_s() - t0;
    t0 = synth_now_s();
    if (gm__snap_index_new_ex(ctx, roads, g, &p, &ix) != GM_OK)
        die(ctx, "snap index");
    double t_index = synth_now_s() - t0;

    t0 = synth_now_s();
    gm__join *pj = calloc(npc, sizeof *pj), *sj = calloc(nsites, sizeof *sj);
    if (!pj || !sj)
        return 1;
    size_t unjoined = 0;
    for (size_t i = 0; i < npc; i++) {
        gm__snap_point(ix, pxy[2 * i], pxy[2 * i + 1], 2000.0f, &pj[i]);
        unjoined += !pj[i].ok;
    }
    for (size_t s = 0; s < nsites; s++) {
        gm__snap_point(ix, sxy[2 * s], sxy[2 * s + 1], 2000.0f, &sj[s]);
        unjoined += !sj[s].ok;
    }
    double t_join = synth_now_s() - t0;
    printf("graph build + reverse %.1f s (%u nodes, %u arcs); snap index %.1f s; joining %zu points %.1f s\n",
           t_graph, g->nnodes, g->narcs, t_index, npc + nsites, t_join);

    const float thr[] = {900, 1800, 2700, 3600};
    size_t nthr = 0;
    while (nthr < 4 && thr[nthr] <= cutoff_min * 60 + 0.5)
        nthr++;
    gm__reach_opts o = {(float)(cutoff_min * 60), GM__WALK_KMH_DEFAULT, threads};
    gm__nearest *nr = NULL;
    t0 = synth_now_s();
    if (gm__nearest_compute(ctx, roads, g, rev, pj, npc, sj, nsites, NULL, &o, 3, thr, nthr, "Nearest", &nr) !=
        GM_OK)
        die(ctx, "searches");
    double t_search = synth_now_s() - t0;
    size_t nw = gm__reach_workers(&o, nsites);
    printf("%zu searches (%.0f-min cutoff, %zu threads) with nearest-3 and counts: %.1f s (%.1f ms per site "
           "per thread); %.3g pairs within the cutoff (%.0f per site)\n",
           nsites, cutoff_min, nw, t_search, 1e3 * t_search * (double)nw / (double)nsites, (double)nr->pairs,
           (double)nr->pairs / (double)nsites);

    /* Figures a commissioner would read, and the sanity checks. */
    float *nearest = malloc(npc * sizeof *nearest);
    size_t with[4] = {0}, capped10[4] = {0};
    for (size_t i = 0; i < npc; i++) {
        nearest[i] = nr->best[i * 3].time_s;
        for (size_t t = 0; t < nthr; t++) {
            with[t] += nr->within[i * nthr + t] > 0;
            capped10[t] += nr->within[i * nthr + t] >= 10;
        }
    }
    qsort(nearest, npc, sizeof *nearest, cmp_float);
    printf("nearest site by car: median %.1f min, 90th percentile %.1f min\n", nearest[npc / 2] / 60,
           nearest[npc * 9 / 10] / 60);
    for (size_t t = 0; t < nthr; t++)
        printf("  within %2.0f min: %5.1f%% of postcodes reach a site, %5.1f%% reach 10 or more\n", thr[t] / 60,
               100.0 * (double)with[t] / (double)npc, 100.0 * (double)capped10[t] / (double)npc);
    double total = synth_now_s() - t_all;
    printf("total (graph, index, joins, searches) %.1f s; peak RSS %.0f MB (%.0f MB of it the synthetic inputs); "
           "target: 600 s and 8192 MB on 2 cores\n",
           total, synth_peak_rss_mb(), base_rss);

    /* Each site's own postcode is within a minute of it. */
    int ok = unjoined == 0 && nr->pairs >= nsites;
    if (unjoined)
        fprintf(stderr, "bench_national: %zu points not joined\n", unjoined);
    free(nearest);
    gm__nearest_free(nr);
    free(pj);
    free(sj);
    gm__snap_index_free(ix);
    gm__graph_free(rev);
    gm__graph_free(g);
    gm_ctx_free(ctx);
    free(pxy);
    free(sxy);
    synth_roads_free(roads);
    return ok ? 0 : 1;
}
