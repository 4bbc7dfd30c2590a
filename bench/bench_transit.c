/*
 * bench_transit: a full-day public transport profile from every provider
 * site over a real city feed, with walking on the real street network.
 *
 * Porto Alegre (../shared/data/porto-alegre: the OSM extract as the walk
 * network, in UTM zone 22S, and the EPTC bus feed for Monday 6 May 2019, whose
 * trips run 11:00-16:30).  Sites: --sites points spread over the stops the
 * extract covers; destinations of the times (origins of the journeys): a
 * --cell grid of points over the extract, as catchment cells.  The profile:
 * arrive-by deadlines every --step seconds over the whole service day
 * (--from .. --to), one backward RAPTOR run per site and deadline, 4 vehicles
 * at most, 800 m walks to and from stops, 400 m between them.
 *
 * Prints the time of each step (wall clock, CLOCK_MONOTONIC), RAPTOR runs per
 * second and peak RSS.  Exit 2 when the data is absent.
 *
 * Usage: bench_transit [--sites N] [--cell M] [--from HH] [--to HH] [--step S] [--threads N]
 *   defaults: --sites 50 --cell 250 --from 11 --to 17 --step 60 --threads 0 (all CPUs)
 */
#include "core/core.h"
#include "geo/crs.h"
#include "network/matrix.h"
#include "transit/gtfs.h"
#include "transit/ptimes.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(gm_ctx *ctx, const char *what)
{
    fprintf(stderr, "bench_transit: %s: %s\n", what, gm_ctx_errmsg(ctx));
    exit(1);
}

int main(int argc, char **argv)
{
    int nsites = 50, threads = 0, step = 60;
    double cell = 250, from = 11, to = 17;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--sites"))
            nsites = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--cell"))
            cell = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--from"))
            from = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--to"))
            to = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--step"))
            step = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--threads"))
            threads = atoi(argv[i + 1]);
        else {
            fprintf(stderr, "bench_transit: unknown option %s\n", argv[i]);
            return 1;
        }
    }
    const char *dir = getenv("GAPMAP_SHARED_DATA") ? getenv("GAPMAP_SHARED_DATA") : "../shared/data";
    char osm[1024], zip[1024];
    snprintf(osm, sizeof osm, "%s/porto-alegre/poa_osm.pbf", dir);
    snprintf(zip, sizeof zip, "%s/porto-alegre/poa_eptc.zip", dir);
    FILE *f = fopen(osm, "rb");
    if (!f) {
        fprintf(stderr, "bench_transit: %s is absent (set GAPMAP_SHARED_DATA): skipped\n", osm);
        return 2;
    }
    fclose(f);
    gm_ctx *ctx;
    if (gm_ctx_new(&ctx) != GM_OK)
        return 1;
    double t0 = now();
    gm__roads *roads = NULL;
    if (gm__roads_load_to(ctx, osm, "EPSG:31982", &roads) != GM_OK)
        die(ctx, "roads");
    gm__profile p;
    gm__profile_default(GM__MODE_WALK, &p);
    gm__graph *g = NULL, *rev = NULL;
    gm__snap_index *ix = NULL;
    if (gm__graph_build(ctx, roads, &p, &g) != GM_OK || gm__graph_reverse(ctx, g, &rev) != GM_OK ||
        gm__snap_index_new_ex(ctx, roads, g, &p, &ix) != GM_OK)
        die(ctx, "walk network");
    double t1 = now();
    gm__gtfs_opts go;
    gm__gtfs_opts_init(&go);
    go.date = 20190506;
    go.transfer_max_m = 0;
    gm__gtfs *tt = NULL;
    if (gm__gtfs_load(ctx, zip, &go, &tt) != GM_OK)
        die(ctx, "GTFS");
    double t2 = now();
    gm__pt_opts o;
    gm__pt_opts_init(&o);
    o.arrive_by_s = (int32_t)(to * 3600);
    o.window_s = (int32_t)((to - from) * 3600);
    o.step_s = step;
    o.max_rounds = 4;
    o.threads = threads;
    o.cutoff_s = 2 * 3600;
    gm__pt_net *net = NULL;
    if (gm__ptnet_new(ctx, tt, roads, g, rev, ix, &o, &net) != GM_OK)
        die(ctx, "stops on the walk network");
    double t3 = now();

    /* Sites: every k-th stop on the network; points: a grid over the extract. */
    gm__xform *xf = NULL;
    if (gm__xform_new(ctx, "EPSG:4326", "EPSG:31982", &xf) != GM_OK)
        die(ctx, "CRS");
    gm__join *sj = calloc((size_t)nsites, sizeof *sj);
    uint32_t stride = net->stops_used / (uint32_t)(nsites > 0 ? nsites : 1);
    uint32_t nth = 0;
    for (int i = 0, s = 0; i < nsites && s < (int)tt->nstops; s++) {
        if (!net->stop_join[s].ok || net->stop_join[s].isolated || nth++ % (stride ? stride : 1))
            continue;
        double x = tt->stop_lon[s], y = tt->stop_lat[s];
        gm__xform_point(xf, &x, &y);
        gm__snap_point(ix, x + 50, y + 50, 500, &sj[i++]);
    }
    gm__xform_free(xf);
    double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    for (size_t i = 0; i < roads->nnodes; i++) {
        x0 = fmin(x0, roads->node_x[i]), x1 = fmax(x1, roads->node_x[i]);
        y0 = fmin(y0, roads->node_y[i]), y1 = fmax(y1, roads->node_y[i]);
    }
    size_t nx = (size_t)((x1 - x0) / cell) + 1, ny = (size_t)((y1 - y0) / cell) + 1, np = nx * ny;
    gm__join *pj = calloc(np, sizeof *pj);
    size_t joined = 0;
    for (size_t k = 0; k < np; k++) {
        gm__snap_point(ix, x0 + (double)(k % nx) * cell, y0 + (double)(k / nx) * cell, (float)cell, &pj[k]);
        joined += pj[k].ok && !pj[k].isolated;
    }
    float *walk = NULL;
    gm__matrix *wm = NULL;
    gm__matrix_opts mo = {(float)o.cutoff_s, 4.8f, threads};
    double t4 = now();
    if (gm__matrix_compute(ctx, roads, g, rev, pj, np, sj, (size_t)nsites, &mo, &wm) != GM_OK)
        die(ctx, "walking times");
    walk = wm->time_s;
    double t5 = now();
    float *med = malloc(np * (size_t)nsites * sizeof *med), *worst = malloc(np * (size_t)nsites * sizeof *worst);
    gm__pt_out out = {med, worst, NULL, NULL, NULL, NULL};
    if (gm__pt_times(ctx, net, pj, np, sj, (size_t)nsites, walk, "bench", &out) != GM_OK)
        die(ctx, "bus times");
    double t6 = now();
    size_t nd = (size_t)(o.window_s / o.step_s) + 1, by_bus = 0, reached = 0;
    for (size_t i = 0; i < np * (size_t)nsites; i++) {
        reached += isfinite(med[i]);
        by_bus += isfinite(med[i]) && med[i] < walk[i] - 0.5f;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("Porto Alegre: %zu road links; feed %u stops (%u on the walk network), %u trips on 2019-05-06, "
           "%llu walks between stops\n",
           roads->nlinks, tt->nstops, net->stops_used, tt->ntrips_day, (unsigned long long)net->footpaths);
    printf("points: %zu cells of %.0f m (%zu on the network); sites: %d; deadlines: %zu (%.0f:00-%.0f:00 every %d s)\n",
           np, cell, joined, nsites, nd, from, to, step);
    printf("read roads + walk graph     %8.3f s\n", t1 - t0);
    printf("load GTFS                   %8.3f s\n", t2 - t1);
    printf("stops + footpaths + reverse %8.3f s\n", t3 - t2);
    printf("walking times (cap)         %8.3f s\n", t5 - t4);
    printf("full-day profile            %8.3f s  (%zu RAPTOR runs, %.2f ms each incl. reading %zu points)\n",
           t6 - t5, nd * (size_t)nsites, 1000.0 * (t6 - t5) / (double)(nd * (size_t)nsites), np);
    printf("pairs reached within 2 h: %zu of %zu; quicker by bus than on foot: %zu\n", reached,
           np * (size_t)nsites, by_bus);
    printf("peak RSS %.0f MB\n", (double)ru.ru_maxrss / 1024.0);
    free(med);
    free(worst);
    free(pj);
    free(sj);
    gm__matrix_free(wm);
    gm__ptnet_free(net);
    gm__gtfs_free(tt);
    gm__snap_index_free(ix);
    gm__graph_free(rev);
    gm__graph_free(g);
    gm__roads_free(roads);
    gm_ctx_free(ctx);
    return 0;
}
