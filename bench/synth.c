/* Synthetic national-scale inputs: see synth.h. */
#include "synth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>


/* splitmix64 (Vigna, public domain): a deterministic hash. */
uint64_t synth_mix(uint64_t x)
{
    x += UINT64_C(0x9e3779b97f4a7c15);
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

double synth_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CPU time of this thread: a search is single-threaded, and CPU time leaves
 * out the time other processes on a shared machine take from it. */
double synth_cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double synth_peak_rss_mb(void)
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
    uint64_t h = synth_mix(key);
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
        .length_m = (float)(SYNTH_SPACING_M * (1.0 + (double)((h >> 32) % 25) / 100.0)),
        .rclass = rc,
        .flags = flags,
        .maxspeed_kmh = (uint16_t)(rc == GM__RC_RESIDENTIAL && (h >> 40) % 10 == 0 ? 32 : 0),
        .geom_n = 2,
        .source_id = key,
    };
}

gm__roads *synth_roads(uint32_t side, bool shuffle)
{
    size_t nn = (size_t)side * side;
    uint32_t *id = malloc(nn * sizeof *id);
    gm__roads *r = calloc(1, sizeof *r);
    r->nnodes = nn;
    r->nlinks = 2 * (size_t)side * (side - 1);
    r->links = malloc(r->nlinks * sizeof *r->links);
    r->node_x = malloc(nn * sizeof *r->node_x);
    r->node_y = malloc(nn * sizeof *r->node_y);
    /* Geometry without a copy per link: the grid's points row-major, then
     * column-major, so a link to the east neighbour is the pair of points at
     * its grid position in the first half and one to the north neighbour the
     * pair in the second. */
    r->nxy = 2 * nn;
    r->xy = malloc(2 * r->nxy * sizeof *r->xy);
    if (!id || !r->links || !r->node_x || !r->node_y || !r->xy) {
        fprintf(stderr, "synthetic roads: out of memory making %zu nodes\n", nn);
        exit(1);
    }
    for (size_t i = 0; i < nn; i++)
        id[i] = (uint32_t)i;
    if (shuffle) /* Fisher-Yates with a fixed hash: reproducible */
        for (size_t i = nn - 1; i > 0; i--) {
            size_t j = synth_mix(i ^ 0x5eed) % (i + 1);
            uint32_t t = id[i];
            id[i] = id[j];
            id[j] = t;
        }
    size_t k = 0;
    for (uint32_t y = 0; y < side; y++)
        for (uint32_t x = 0; x < side; x++) {
            uint32_t v = id[(size_t)y * side + x];
            r->node_x[v] = x * SYNTH_SPACING_M;
            r->node_y[v] = y * SYNTH_SPACING_M;
            size_t rm = (size_t)y * side + x, cm = nn + (size_t)x * side + y;
            r->xy[2 * rm] = r->xy[2 * cm] = r->node_x[v];
            r->xy[2 * rm + 1] = r->xy[2 * cm + 1] = r->node_y[v];
            if (x + 1 < side) {
                make_link(&r->links[k], v, id[(size_t)y * side + x + 1], y, 2 * ((uint64_t)y * side + x));
                r->links[k++].geom_off = (uint32_t)rm;
            }
            if (y + 1 < side) {
                make_link(&r->links[k], v, id[(size_t)(y + 1) * side + x], x, 2 * ((uint64_t)y * side + x) + 1);
                r->links[k++].geom_off = (uint32_t)cm;
            }
        }
    /* Links in id order of their from node, as a reader would emit them. */
    strcpy(r->source, "synthetic_grid");
    free(id);
    return r;
}

void synth_roads_free(gm__roads *r)
{
    free(r->links);
    free(r->node_x);
    free(r->node_y);
    free(r->xy);
    free(r);
}

