/*
 * Routable graphs from road topology: the default profiles (speeds and who may
 * use what, with their sources), per-mode arc selection, strongly connected
 * components, and the compressed sparse row layout of graph.h.
 *
 * A build is four linear passes over the links plus Tarjan's algorithm:
 *   1. every link gives 0, 1 or 2 arcs for the mode (direction flags, a speed
 *      above zero); links from a node to itself are counted and dropped;
 *   2. the arcs are bucketed by tail over gm__roads node ids (a temporary CSR
 *      that holds heads and link ids only: 8 bytes an arc);
 *   3. an iterative Tarjan finds the strongly connected components (no
 *      recursion: national graphs have millions of nodes and would overflow
 *      the C stack); the largest is kept, ties going to the component holding
 *      the lowest gm__roads node id;
 *   4. kept nodes are numbered along a Hilbert curve through their
 *      coordinates (ties, and roads without coordinates, in gm__roads id
 *      order) for cache locality, and each node's arcs are sorted by (head,
 *      link), so the graph depends on the input alone.
 * Time and distance are recomputed from the link in pass 4, in double and then
 * rounded once to float.  Parallel arcs (two links between the same nodes) are
 * all kept: each carries its own link for geometry, and Dijkstra simply finds
 * the faster.
 */
#include "graph.h"

#include "../geo/tolerance.h"

#include <math.h>
#include <string.h>

/* Default speeds, km/h.  Car speeds are typical journey speeds over a class,
 * i.e. averages that include junction delay, bends and light traffic, not
 * speed limits.  Anchors (DfT, England):
 *   - Strategic Road Network (motorways and trunk A roads run by National
 *     Highways): average speed 58-59 mph in 2017-2022 (DfT "Travel time
 *     measures for the SRN", table CGN0404a).  Motorways alone run faster than
 *     the SRN average, so 96 km/h (60 mph) for the motorway class, and 80 km/h
 *     (50 mph) for trunk roads, which are mostly dual carriageways with
 *     roundabouts.
 *   - Local A roads: 24-27 mph average over all hours, urban and rural,
 *     including peak congestion (DfT table CGN0502).  gapmap models off-peak
 *     day-service journeys, not the morning peak, and lets the posted limit
 *     (use_maxspeed) pull urban A roads down to 30 mph (48 km/h); the class
 *     average is set at 64 km/h (40 mph).  Lower classes step down to
 *     residential streets at 30 km/h (about 19 mph: parked cars, junctions,
 *     20 mph zones).
 *   - Free-flow speeds (DfT "Vehicle speed compliance statistics", SPE01xx)
 *     sit close to the limits; they bound these averages from above.
 * Walking 4.8 km/h and cycling 16 km/h are the speeds of DfT's Journey Time
 * Statistics (JTS notes and definitions).  Ferries: 15 km/h including
 * boarding and waiting, a planning figure (river and estuary ferries cross
 * at 10-25 km/h and the timetable wait is not modelled); every mode uses the
 * same ferry speed because the boat, not the traveller, sets it. */
static const float CAR_KMH[GM__RC_COUNT] = {
    [GM__RC_MOTORWAY] = 96.0f,     /* 60 mph */
    [GM__RC_TRUNK] = 80.0f,        /* 50 mph */
    [GM__RC_PRIMARY] = 64.0f,      /* 40 mph */
    [GM__RC_SECONDARY] = 56.0f,    /* 35 mph */
    [GM__RC_TERTIARY] = 48.0f,     /* 30 mph */
    [GM__RC_UNCLASSIFIED] = 40.0f, /* 25 mph: narrow rural lanes */
    [GM__RC_RESIDENTIAL] = 30.0f,  /* 19 mph */
    [GM__RC_SERVICE] = 15.0f,      /* access roads, car parks */
    [GM__RC_TRACK] = 10.0f,        /* unsurfaced; only where car flags allow */
    [GM__RC_PATH] = 0.0f,
};
#define WALK_KMH 4.8f  /* DfT Journey Time Statistics walking speed */
#define CYCLE_KMH 16.0f /* DfT Journey Time Statistics cycling speed */
#define FERRY_KMH 15.0f /* includes boarding; see above */
#define MAX_SPEED_KMH 1000.0f /* above this a speed is a units error */

const char *gm__mode_name(gm__mode mode)
{
    switch (mode) {
    case GM__MODE_CAR: return "car";
    case GM__MODE_WALK: return "walk";
    case GM__MODE_CYCLE: return "cycle";
    default: return "unknown mode";
    }
}

void gm__profile_default(gm__mode mode, gm__profile *p)
{
    memset(p, 0, sizeof *p);
    p->mode = mode;
    switch (mode) {
    case GM__MODE_CAR:
        memcpy(p->speed_kmh, CAR_KMH, sizeof p->speed_kmh);
        p->use_maxspeed = true;
        p->ferry_speed_kmh = FERRY_KMH;
        break;
    case GM__MODE_WALK:
    case GM__MODE_CYCLE:
        /* Every class but motorways; paths only where the link's flags allow
         * the mode (a footway without GM__RF_CYCLE_* is not cyclable). */
        for (int c = GM__RC_TRUNK; c < GM__RC_COUNT; c++)
            p->speed_kmh[c] = mode == GM__MODE_WALK ? WALK_KMH : CYCLE_KMH;
        p->ferry_speed_kmh = FERRY_KMH;
        break;
    default:
        break;
    }
}

/* Speed of link l for profile p, km/h; 0 when the mode may not use its class. */
static double link_speed_kmh(const gm__road_link *l, const gm__profile *p)
{
    if (l->flags & GM__RF_FERRY)
        return p->ferry_speed_kmh;
    double v = p->speed_kmh[l->rclass];
    if (p->use_maxspeed && l->maxspeed_kmh > 0 && l->maxspeed_kmh < v)
        v = l->maxspeed_kmh;
    return v;
}

enum { DIR_FWD = 1u, DIR_BWD = 2u };

/* Which directions of l the mode may use (DIR_*). */
static unsigned link_dirs(const gm__road_link *l, const gm__profile *p)
{
    unsigned f = l->flags, d = 0;
    switch (p->mode) {
    case GM__MODE_CAR:
        d = ((f & GM__RF_CAR_FWD) ? DIR_FWD : 0u) | ((f & GM__RF_CAR_BWD) ? DIR_BWD : 0u);
        break;
    case GM__MODE_WALK:
        d = (f & GM__RF_WALK) ? DIR_FWD | DIR_BWD : 0u;
        break;
    case GM__MODE_CYCLE:
        d = ((f & GM__RF_CYCLE_FWD) ? DIR_FWD : 0u) | ((f & GM__RF_CYCLE_BWD) ? DIR_BWD : 0u);
        break;
    default:
        break;
    }
    if (d && !(link_speed_kmh(l, p) > 0.0))
        d = 0;
    return d;
}

static double link_length_m(const gm__road_link *l)
{
    return l->length_m >= GM__MIN_LINK_M ? (double)l->length_m : GM__MIN_LINK_M;
}

/* Arc cost of l: time in seconds at the profile speed, distance in metres.
 * The division is done in double and rounded once. */
static void link_cost(const gm__road_link *l, const gm__profile *p, float *time_s, float *dist_m)
{
    double len = link_length_m(l);
    *time_s = (float)(len * 3.6 / link_speed_kmh(l, p));
    *dist_m = (float)len;
}

void gm__graph_free(gm__graph *g)
{
    if (!g)
        return;
    gm__free(g->first);
    gm__free(g->head);
    gm__free(g->time_s);
    gm__free(g->dist_m);
    gm__free(g->arc_link);
    gm__free(g->orig_node);
    gm__free(g->node_of);
    gm__free(g);
}

static gm_status check_profile(gm_ctx *ctx, const gm__profile *p)
{
    if ((unsigned)p->mode >= GM__MODE_COUNT)
        return gm__err(ctx, GM_E_ARG, "routing profile: unknown mode %d", (int)p->mode);
    for (int c = 0; c <= GM__RC_COUNT; c++) {
        float v = c < GM__RC_COUNT ? p->speed_kmh[c] : p->ferry_speed_kmh;
        if (!(v >= 0.0f && v <= MAX_SPEED_KMH))
            return gm__err(ctx, GM_E_ARG,
                           "%s profile: %s speed %g km/h is outside 0..%g (0 means not usable)",
                           gm__mode_name(p->mode), c < GM__RC_COUNT ? "a road class" : "the ferry",
                           (double)v, (double)MAX_SPEED_KMH);
    }
    return GM_OK;
}

static gm_status check_link(gm_ctx *ctx, const gm__roads *r, size_t i)
{
    const gm__road_link *l = &r->links[i];
    if (l->from >= r->nnodes || l->to >= r->nnodes)
        return gm__err(ctx, GM_E_INPUT,
                       "roads (%s): link %zu (source id %llu) joins nodes %u and %u, but there are %zu nodes",
                       r->source, i, (unsigned long long)l->source_id, l->from, l->to, r->nnodes);
    if (l->rclass >= GM__RC_COUNT)
        return gm__err(ctx, GM_E_INPUT, "roads (%s): link %zu (source id %llu) has road class %u (0..%d)",
                       r->source, i, (unsigned long long)l->source_id, (unsigned)l->rclass,
                       GM__RC_COUNT - 1);
    if (!(l->length_m >= 0.0f) || isinf(l->length_m))
        return gm__err(ctx, GM_E_INPUT, "roads (%s): link %zu (source id %llu) has length %g m",
                       r->source, i, (unsigned long long)l->source_id, (double)l->length_m);
    return GM_OK;
}

/* Iterative Tarjan over the temporary CSR (tfirst/thead over all road nodes).
 * On entry low[v] is 1 for nodes with an arc and 0 otherwise.  Leaves the
 * nodes of the largest component (ties: the one with the lowest node id) in
 * keep[0..*nkeep), unsorted, and the number of components in *ncomp.
 * keep, stk, cs_node and cs_it each hold nn entries; idx and low too. */
static void tarjan(uint32_t nn, const uint32_t *tfirst, const uint32_t *thead, uint32_t *idx,
                   uint32_t *low, uint32_t *stk, uint32_t *cs_node, uint32_t *cs_it, uint32_t *keep,
                   uint32_t *nkeep, uint32_t *ncomp)
{
    const uint32_t UNSEEN = UINT32_MAX, DONE = UINT32_MAX;
    uint32_t counter = 0, sp = 0, nout = 0, comps = 0;
    uint32_t best_start = 0, best_len = 0, best_min = UINT32_MAX;
    /* keep doubles as the output of every component in completion order: each
     * component is a contiguous run, and only the best run's position is
     * remembered; it is moved to the front at the end. */
    for (uint32_t v = 0; v < nn; v++)
        idx[v] = UNSEEN;
    for (uint32_t root = 0; root < nn; root++) {
        if (idx[root] != UNSEEN || low[root] == 0)
            continue;
        uint32_t csp = 0;
        idx[root] = low[root] = counter++;
        stk[sp++] = root;
        cs_node[csp] = root;
        cs_it[csp++] = tfirst[root];
        while (csp > 0) {
            uint32_t v = cs_node[csp - 1];
            uint32_t it = cs_it[csp - 1];
            if (it < tfirst[v + 1]) {
                cs_it[csp - 1] = it + 1;
                uint32_t w = thead[it];
                if (idx[w] == UNSEEN) {
                    idx[w] = low[w] = counter++;
                    stk[sp++] = w;
                    cs_node[csp] = w;
                    cs_it[csp++] = tfirst[w];
                } else if (low[w] != DONE && idx[w] < low[v]) {
                    low[v] = idx[w]; /* w is still on the stack: same component */
                }
                continue;
            }
            csp--;
            if (low[v] == idx[v]) {
                uint32_t start = nout, mn = UINT32_MAX, w;
                do {
                    w = stk[--sp];
                    low[w] = DONE;
                    keep[nout++] = w;
                    if (w < mn)
                        mn = w;
                } while (w != v);
                comps++;
                uint32_t len = nout - start;
                if (len > best_len || (len == best_len && mn < best_min)) {
                    best_start = start;
                    best_len = len;
                    best_min = mn;
                }
            }
            if (csp > 0) {
                uint32_t u = cs_node[csp - 1];
                if (low[v] != DONE && low[v] < low[u])
                    low[u] = low[v];
            }
        }
    }
    memmove(keep, keep + best_start, (size_t)best_len * sizeof *keep);
    *nkeep = best_len;
    *ncomp = comps;
}

/* Position of cell (x, y) along the Hilbert curve filling a 2^16 x 2^16 grid
 * (the classic bit-twiddling conversion, as in Hamilton's and Wikipedia's
 * xy2d). */
static uint32_t hilbert_d(uint32_t x, uint32_t y)
{
    const uint32_t n = 1u << 16;
    uint32_t d = 0;
    for (uint32_t s = n / 2; s > 0; s /= 2) {
        uint32_t rx = (x & s) ? 1u : 0u, ry = (y & s) ? 1u : 0u;
        d += s * s * ((3u * rx) ^ ry);
        if (ry == 0) {
            if (rx == 1) {
                x = n - 1 - x;
                y = n - 1 - y;
            }
            uint32_t t = x;
            x = y;
            y = t;
        }
    }
    return d;
}

/* Reorder nodes[0..n) (road ids, increasing) by the Hilbert position of their
 * coordinates over the nodes' bounding box, ties staying in id order.  Nodes
 * near each other on the ground then get near ids, so a search's labels, heap
 * entries and arcs share cache lines: 3-4x faster searches than ids in reader
 * order (bench_search --shuffle; docs/routing.md).  A node with a coordinate
 * that is not finite goes into cell 0.  Returns false on allocation failure. */
static bool hilbert_order(const gm__roads *r, uint32_t *nodes, uint32_t n)
{
    double minx = INFINITY, miny = INFINITY, maxx = -INFINITY, maxy = -INFINITY;
    for (uint32_t i = 0; i < n; i++) {
        double x = r->node_x[nodes[i]], y = r->node_y[nodes[i]];
        if (isfinite(x) && isfinite(y)) {
            minx = x < minx ? x : minx;
            maxx = x > maxx ? x : maxx;
            miny = y < miny ? y : miny;
            maxy = y > maxy ? y : maxy;
        }
    }
    if (!(maxx >= minx))
        return true; /* no finite coordinate: keep id order */
    double ext = fmax(maxx - minx, maxy - miny);
    double scale = ext > 0 ? 65535.0 / ext : 0.0;
    uint64_t *key = gm__malloc((size_t)n * sizeof *key), *tmp = gm__malloc((size_t)n * sizeof *tmp);
    uint32_t *count = gm__malloc(65537 * sizeof *count);
    bool ok = key && tmp && count;
    if (ok) {
        for (uint32_t i = 0; i < n; i++) {
            double x = r->node_x[nodes[i]], y = r->node_y[nodes[i]];
            uint32_t d = 0;
            if (isfinite(x) && isfinite(y))
                d = hilbert_d((uint32_t)((x - minx) * scale), (uint32_t)((y - miny) * scale));
            key[i] = (uint64_t)d << 32 | nodes[i];
        }
        /* Stable LSD radix sort on the 32-bit curve position, 16 bits a
         * pass; the low half (the road id) keeps ties in id order. */
        for (int shift = 32; shift < 64; shift += 16) {
            memset(count, 0, 65537 * sizeof *count);
            for (uint32_t i = 0; i < n; i++)
                count[((key[i] >> shift) & 0xffff) + 1]++;
            for (uint32_t b = 0; b < 65536; b++)
                count[b + 1] += count[b];
            for (uint32_t i = 0; i < n; i++)
                tmp[count[(key[i] >> shift) & 0xffff]++] = key[i];
            uint64_t *t = key;
            key = tmp;
            tmp = t;
        }
        for (uint32_t i = 0; i < n; i++)
            nodes[i] = (uint32_t)key[i];
    }
    gm__free(key);
    gm__free(tmp);
    gm__free(count);
    return ok;
}

/* Sort small arrays of (head << 32 | link) keys: node degrees in road graphs
 * are a handful, so insertion sort beats qsort's call overhead. */
static void sort_keys(uint64_t *a, uint32_t n)
{
    for (uint32_t i = 1; i < n; i++) {
        uint64_t x = a[i];
        uint32_t j = i;
        while (j > 0 && a[j - 1] > x) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = x;
    }
}

static gm__graph *graph_alloc(uint32_t nnodes, uint32_t narcs, size_t nroads)
{
    gm__graph *g = gm__calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->nnodes = nnodes;
    g->narcs = narcs;
    g->first = gm__malloc(((size_t)nnodes + 1) * sizeof *g->first);
    g->head = gm__malloc((size_t)narcs * sizeof *g->head);
    g->time_s = gm__malloc((size_t)narcs * sizeof *g->time_s);
    g->dist_m = gm__malloc((size_t)narcs * sizeof *g->dist_m);
    g->arc_link = gm__malloc((size_t)narcs * sizeof *g->arc_link);
    g->orig_node = gm__malloc((size_t)nnodes * sizeof *g->orig_node);
    g->node_of = gm__malloc(nroads * sizeof *g->node_of);
    if (!g->first || !g->head || !g->time_s || !g->dist_m || !g->arc_link || !g->orig_node ||
        !g->node_of) {
        gm__graph_free(g);
        return NULL;
    }
    return g;
}

gm_status gm__graph_build(gm_ctx *ctx, const gm__roads *roads, const gm__profile *p, gm__graph **out)
{
    gm_status st = GM_OK;
    uint32_t *tfirst = NULL, *thead = NULL, *tlink = NULL, *idx = NULL, *low = NULL, *stk = NULL;
    uint32_t *cs_node = NULL, *cs_it = NULL, *keep = NULL;
    uint64_t *keys = NULL;
    gm__graph *g = NULL;
    gm__graph_stats stats = {0};

    if ((st = check_profile(ctx, p)) != GM_OK)
        return st;
    /* node_of is int32_t, so node ids must fit in 31 bits. */
    if (roads->nnodes > (size_t)INT32_MAX || roads->nlinks > (size_t)UINT32_MAX)
        return gm__err(ctx, GM_E_INPUT,
                       "roads (%s): %zu nodes and %zu links; graphs hold at most %d nodes and %u links",
                       roads->source, roads->nnodes, roads->nlinks, INT32_MAX, UINT32_MAX);
    const uint32_t nn = (uint32_t)roads->nnodes;

    /* Pass 1: count arcs per tail. */
    tfirst = gm__calloc((size_t)nn + 1, sizeof *tfirst);
    if (!tfirst)
        goto nomem;
    uint64_t narcs = 0;
    for (size_t i = 0; i < roads->nlinks; i++) {
        if ((st = check_link(ctx, roads, i)) != GM_OK)
            goto cleanup;
        const gm__road_link *l = &roads->links[i];
        unsigned d = link_dirs(l, p);
        if (!d)
            continue;
        if (l->from == l->to) {
            stats.self_loops++;
            continue;
        }
        if (d & DIR_FWD)
            tfirst[l->from + 1]++, narcs++;
        if (d & DIR_BWD)
            tfirst[l->to + 1]++, narcs++;
    }
    if (narcs == 0) {
        st = gm__err(ctx, GM_E_INPUT,
                     "roads (%s): none of the %zu links can be used by %s (check the link flags the "
                     "reader set and the %s speeds)",
                     roads->source, roads->nlinks, gm__mode_name(p->mode), gm__mode_name(p->mode));
        goto cleanup;
    }
    if (narcs > UINT32_MAX - 1) {
        st = gm__err(ctx, GM_E_INPUT, "roads (%s): %llu %s arcs do not fit 32-bit ids", roads->source,
                     (unsigned long long)narcs, gm__mode_name(p->mode));
        goto cleanup;
    }
    stats.arcs_usable = (uint32_t)narcs;
    for (uint32_t v = 0; v < nn; v++)
        tfirst[v + 1] += tfirst[v];

    /* Pass 2: place arcs; within a tail they stay in link order. low[] marks
     * nodes that have any arc (in or out) for Tarjan. */
    thead = gm__malloc((size_t)narcs * sizeof *thead);
    tlink = gm__malloc((size_t)narcs * sizeof *tlink);
    idx = gm__malloc(((size_t)nn + 1) * sizeof *idx);
    low = gm__calloc((size_t)nn + 1, sizeof *low);
    if (!thead || !tlink || !idx || !low)
        goto nomem;
    memcpy(idx, tfirst, (size_t)nn * sizeof *idx); /* idx as the fill cursor */
    for (size_t i = 0; i < roads->nlinks; i++) {
        const gm__road_link *l = &roads->links[i];
        unsigned d = link_dirs(l, p);
        if (!d || l->from == l->to)
            continue;
        if (d & DIR_FWD) {
            uint32_t k = idx[l->from]++;
            thead[k] = l->to;
            tlink[k] = (uint32_t)i;
        }
        if (d & DIR_BWD) {
            uint32_t k = idx[l->to]++;
            thead[k] = l->from;
            tlink[k] = (uint32_t)i;
        }
        low[l->from] = low[l->to] = 1;
    }
    for (uint32_t v = 0; v < nn; v++)
        stats.nodes_usable += low[v];

    /* Pass 3: components. */
    stk = gm__malloc((size_t)nn * sizeof *stk);
    cs_node = gm__malloc((size_t)nn * sizeof *cs_node);
    cs_it = gm__malloc((size_t)nn * sizeof *cs_it);
    keep = gm__malloc((size_t)nn * sizeof *keep);
    if (!stk || !cs_node || !cs_it || !keep)
        goto nomem;
    uint32_t nkeep = 0;
    tarjan(nn, tfirst, thead, idx, low, stk, cs_node, cs_it, keep, &nkeep, &stats.components);
    gm__free(stk);
    gm__free(cs_node);
    gm__free(cs_it);
    stk = cs_node = cs_it = NULL;

    /* Pass 4: number kept nodes (idx[v] = 1 marks them) along the Hilbert
     * curve, count the arcs between kept nodes, then emit them sorted. */
    memset(idx, 0, (size_t)nn * sizeof *idx);
    for (uint32_t i = 0; i < nkeep; i++)
        idx[keep[i]] = 1;
    uint32_t nkept_arcs = 0, maxdeg = 0;
    for (uint32_t v = 0; v < nn; v++) {
        if (!idx[v])
            continue;
        uint32_t deg = 0;
        for (uint32_t k = tfirst[v]; k < tfirst[v + 1]; k++)
            deg += idx[thead[k]];
        nkept_arcs += deg;
        if (deg > maxdeg)
            maxdeg = deg;
    }
    g = graph_alloc(nkeep, nkept_arcs, nn);
    keys = gm__malloc(((size_t)maxdeg + 1) * sizeof *keys);
    if (!g || !keys)
        goto nomem;
    g->mode = p->mode;
    g->nroad_nodes = nn;
    uint32_t n = 0;
    for (uint32_t v = 0; v < nn; v++) {
        g->node_of[v] = -1;
        if (idx[v])
            g->orig_node[n++] = v;
    }
    if (roads->node_x && roads->node_y && !hilbert_order(roads, g->orig_node, nkeep))
        goto nomem;
    for (uint32_t u = 0; u < nkeep; u++)
        g->node_of[g->orig_node[u]] = (int32_t)u;
    uint32_t a = 0;
    for (uint32_t u = 0; u < nkeep; u++) {
        uint32_t v = g->orig_node[u], deg = 0;
        g->first[u] = a;
        for (uint32_t k = tfirst[v]; k < tfirst[v + 1]; k++) {
            int32_t h = g->node_of[thead[k]];
            if (h >= 0)
                keys[deg++] = (uint64_t)(uint32_t)h << 32 | tlink[k];
        }
        sort_keys(keys, deg);
        for (uint32_t j = 0; j < deg; j++, a++) {
            uint32_t link = (uint32_t)keys[j];
            g->head[a] = (uint32_t)(keys[j] >> 32);
            g->arc_link[a] = link;
            link_cost(&roads->links[link], p, &g->time_s[a], &g->dist_m[a]);
        }
    }
    g->first[nkeep] = a;
    stats.nodes_kept = nkeep;
    stats.arcs_kept = a;
    g->stats = stats;
    *out = g;
    g = NULL;
    goto cleanup;

nomem:
    st = gm__err(ctx, GM_E_NOMEM, "out of memory building the %s graph of %zu road nodes",
                 gm__mode_name(p->mode), roads->nnodes);
cleanup:
    gm__graph_free(g);
    gm__free(tfirst);
    gm__free(thead);
    gm__free(tlink);
    gm__free(idx);
    gm__free(low);
    gm__free(stk);
    gm__free(cs_node);
    gm__free(cs_it);
    gm__free(keep);
    gm__free(keys);
    return st;
}

gm_status gm__graph_reverse(gm_ctx *ctx, const gm__graph *g, gm__graph **out)
{
    gm__graph *r = graph_alloc(g->nnodes, g->narcs, g->nroad_nodes);
    if (!r)
        return gm__err(ctx, GM_E_NOMEM, "out of memory reversing the %s graph", gm__mode_name(g->mode));
    r->mode = g->mode;
    r->reversed = !g->reversed;
    r->nroad_nodes = g->nroad_nodes;
    r->stats = g->stats;
    memcpy(r->orig_node, g->orig_node, (size_t)g->nnodes * sizeof *r->orig_node);
    memcpy(r->node_of, g->node_of, (size_t)g->nroad_nodes * sizeof *r->node_of);
    /* Counting sort by head.  Scanning tails in increasing order, and each
     * tail's arcs in (head, link) order, leaves each reversed node's arcs in
     * (tail, link) order: the same sort rule as a built graph. */
    memset(r->first, 0, ((size_t)g->nnodes + 1) * sizeof *r->first);
    for (uint32_t a = 0; a < g->narcs; a++)
        r->first[g->head[a] + 1]++;
    for (uint32_t v = 0; v < g->nnodes; v++)
        r->first[v + 1] += r->first[v];
    for (uint32_t u = 0; u < g->nnodes; u++) {
        for (uint32_t a = g->first[u]; a < g->first[u + 1]; a++) {
            uint32_t k = r->first[g->head[a]]++;
            r->head[k] = u;
            r->time_s[k] = g->time_s[a];
            r->dist_m[k] = g->dist_m[a];
            r->arc_link[k] = g->arc_link[a];
        }
    }
    /* The fill advanced first[v] to first[v + 1]: shift back. */
    memmove(r->first + 1, r->first, (size_t)g->nnodes * sizeof *r->first);
    r->first[0] = 0;
    *out = r;
    return GM_OK;
}
