/*
 * One-to-all Dijkstra over a gm__graph, by time, with distance and node id as
 * tie-breaks, an optional cutoff and several seeds.
 *
 * Labels: a node's (time, distance) pair is packed into one uint64_t, time's
 * float bits above distance's.  For non-negative floats the IEEE bit pattern
 * orders like the value, so comparing packed labels as integers is exactly the
 * lexicographic comparison (time, then distance) that the contract asks for,
 * in one instruction.  Labels are float sums taken in path order from the
 * seed, the same arithmetic a brute-force Bellman-Ford does, so tests can ask
 * for exact equality.
 *
 * Heap: an indexed 4-ary min-heap with decrease-key, entries (label, node)
 * ordered by label then node id (a total order: no two entries are equal), 16
 * bytes each so a node's four children share one 64-byte cache line.  It holds
 * each node at most once, so it never needs more than nnodes entries and is
 * allocated once.  docs/routing.md has the measurements against a binary heap
 * and a lazy heap with duplicates.
 *
 * Reuse: untouched labels are UINT64_MAX.  Arcs whose head would arrive after
 * the cutoff are not relaxed, so the heap holds only nodes within the cutoff
 * and is empty when a run ends: every node a run touches is settled and on the
 * settled list, and the next run resets exactly those.
 */
#include "graph.h"

#include <math.h>
#include <string.h>

#define POS_NONE UINT32_MAX
#define POS_SETTLED (UINT32_MAX - 1)
#define ARC_NONE UINT32_MAX
#define LABEL_NONE UINT64_MAX

typedef struct hent {
    uint64_t key;  /* packed (time, dist) */
    uint32_t node;
    uint32_t pad_;
} hent;

struct gm__search {
    const gm__graph *g;
    uint64_t *label;   /* nnodes: packed (time, dist) or LABEL_NONE */
    uint32_t *pos;     /* nnodes: heap index, POS_NONE or POS_SETTLED */
    uint32_t *parent;  /* nnodes: arc into the node, ARC_NONE for seeds */
    hent *heap;        /* nnodes */
    uint32_t hsize;
    uint32_t *settled; /* nnodes: in settle order */
    uint32_t nsettled;
};

static inline uint32_t float_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static inline float bits_float(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static inline uint64_t pack(float t, float d)
{
    return (uint64_t)float_bits(t) << 32 | float_bits(d);
}

static inline bool hent_less(hent a, hent b)
{
    return a.key < b.key || (a.key == b.key && a.node < b.node);
}

static void sift_up(gm__search *s, uint32_t i, hent e)
{
    hent *h = s->heap;
    while (i > 0) {
        uint32_t p = (i - 1) / 4;
        if (!hent_less(e, h[p]))
            break;
        h[i] = h[p];
        s->pos[h[i].node] = i;
        i = p;
    }
    h[i] = e;
    s->pos[e.node] = i;
}

static void sift_down(gm__search *s, uint32_t i, hent e)
{
    hent *h = s->heap;
    uint32_t n = s->hsize;
    for (;;) {
        uint32_t c = 4 * i + 1;
        if (c >= n)
            break;
        uint32_t end = c + 4 < n ? c + 4 : n, best = c;
        for (uint32_t k = c + 1; k < end; k++)
            if (hent_less(h[k], h[best]))
                best = k;
        if (!hent_less(h[best], e))
            break;
        h[i] = h[best];
        s->pos[h[i].node] = i;
        i = best;
    }
    h[i] = e;
    s->pos[e.node] = i;
}

/* Lower v's label to key (or insert it). */
static inline void heap_update(gm__search *s, uint32_t v, uint64_t key)
{
    hent e = {key, v, 0};
    uint32_t i = s->pos[v];
    if (i == POS_NONE)
        i = s->hsize++;
    sift_up(s, i, e);
}

static inline hent heap_pop(gm__search *s)
{
    hent top = s->heap[0];
    if (--s->hsize > 0)
        sift_down(s, 0, s->heap[s->hsize]);
    return top;
}

/* The tail of arc a: the node u with first[u] <= a < first[u + 1]. */
static uint32_t arc_tail(const gm__graph *g, uint32_t a)
{
    uint32_t lo = 0, hi = g->nnodes; /* first[lo] <= a < first[hi] */
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (g->first[mid] <= a)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

void gm__search_free(gm__search *s)
{
    if (!s)
        return;
    gm__free(s->label);
    gm__free(s->pos);
    gm__free(s->parent);
    gm__free(s->heap);
    gm__free(s->settled);
    gm__free(s);
}

gm_status gm__search_new(gm_ctx *ctx, const gm__graph *g, gm__search **out)
{
    gm__search *s = gm__calloc(1, sizeof *s);
    if (!s)
        goto nomem;
    size_t n = g->nnodes;
    s->g = g;
    s->label = gm__malloc(n * sizeof *s->label);
    s->pos = gm__malloc(n * sizeof *s->pos);
    s->parent = gm__malloc(n * sizeof *s->parent);
    s->heap = gm__malloc(n * sizeof *s->heap);
    s->settled = gm__malloc(n * sizeof *s->settled);
    if (!s->label || !s->pos || !s->parent || !s->heap || !s->settled)
        goto nomem;
    for (size_t v = 0; v < n; v++) {
        s->label[v] = LABEL_NONE;
        s->pos[v] = POS_NONE;
        s->parent[v] = ARC_NONE;
    }
    *out = s;
    return GM_OK;
nomem:
    gm__search_free(s);
    return gm__err(ctx, GM_E_NOMEM, "out of memory for the search state of a %u-node %s graph",
                   g->nnodes, gm__mode_name(g->mode));
}

void gm__search_run(gm__search *s, const gm__seed *seeds, size_t nseeds, float cutoff_s,
                    float *time_out, float *dist_out)
{
    const gm__graph *g = s->g;
    const uint32_t *first = g->first, *head = g->head;
    const float *tarc = g->time_s, *darc = g->dist_m;
    uint64_t *label = s->label;
    uint32_t *pos = s->pos, *parent = s->parent;
    const float cut = isnan(cutoff_s) ? INFINITY : cutoff_s;

    for (uint32_t i = 0; i < s->nsettled; i++) {
        uint32_t v = s->settled[i];
        label[v] = LABEL_NONE;
        pos[v] = POS_NONE;
        parent[v] = ARC_NONE;
    }
    s->nsettled = 0;
    s->hsize = 0;

    for (size_t i = 0; i < nseeds; i++) {
        uint32_t v = seeds[i].node;
        /* Adding +0.0f turns a -0.0f into +0.0f, whose bits order correctly. */
        float t = seeds[i].time_s + 0.0f, d = seeds[i].dist_m + 0.0f;
        if (v >= g->nnodes || !(t >= 0.0f && d >= 0.0f) || isinf(t) || isinf(d) || t > cut)
            continue;
        uint64_t k = pack(t, d);
        if (k < label[v]) {
            label[v] = k;
            heap_update(s, v, k);
        }
    }

    while (s->hsize > 0) {
        hent e = heap_pop(s);
        uint32_t u = e.node;
        pos[u] = POS_SETTLED;
        s->settled[s->nsettled++] = u;
        float tu = bits_float((uint32_t)(e.key >> 32)), du = bits_float((uint32_t)e.key);
        for (uint32_t a = first[u], end = first[u + 1]; a < end; a++) {
            float nt = tu + tarc[a];
            if (nt > cut)
                continue;
            uint32_t v = head[a];
            uint64_t nk = pack(nt, du + darc[a]), ok = label[v];
            if (nk < ok) {
                /* Never a settled node: labels only grow along arcs. */
                label[v] = nk;
                parent[v] = a;
                heap_update(s, v, nk);
            } else if (nk == ok && pos[v] != POS_SETTLED && parent[v] != ARC_NONE &&
                       u < arc_tail(g, parent[v])) {
                /* An equal label from a lower-numbered predecessor: exact float
                 * ties are rare, so the O(log n) tail look-up stays off the
                 * hot path. */
                parent[v] = a;
            }
        }
    }

    if (time_out) {
        for (uint32_t v = 0; v < g->nnodes; v++)
            time_out[v] = INFINITY;
        for (uint32_t i = 0; i < s->nsettled; i++) {
            uint32_t v = s->settled[i];
            time_out[v] = bits_float((uint32_t)(label[v] >> 32));
        }
    }
    if (dist_out) {
        for (uint32_t v = 0; v < g->nnodes; v++)
            dist_out[v] = INFINITY;
        for (uint32_t i = 0; i < s->nsettled; i++) {
            uint32_t v = s->settled[i];
            dist_out[v] = bits_float((uint32_t)label[v]);
        }
    }
}

const uint32_t *gm__search_settled(const gm__search *s, size_t *n)
{
    *n = s->nsettled;
    return s->settled;
}

bool gm__search_label(const gm__search *s, uint32_t v, float *time_s, float *dist_m, uint32_t *arc)
{
    if (v >= s->g->nnodes || s->pos[v] != POS_SETTLED)
        return false;
    if (time_s)
        *time_s = bits_float((uint32_t)(s->label[v] >> 32));
    if (dist_m)
        *dist_m = bits_float((uint32_t)s->label[v]);
    if (arc)
        *arc = s->parent[v];
    return true;
}
