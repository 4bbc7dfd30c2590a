/*
 * Joining points to a graph through a uniform grid over link segments.
 *
 * The grid covers the bounding box of the indexed segments with square cells
 * sized from that box and the segment count (about one segment a cell on
 * average: 264 m on the sample county).  A segment is
 * entered in every cell it passes through (not its bounding box: long straight
 * motorway segments would otherwise fill dozens of cells), as the pair (first
 * vertex, link); the coordinates stay in the borrowed gm__roads.  A query
 * visits square rings of cells around the point's cell and stops when the
 * best distance found is below the distance from the point to the edge of
 * the rings visited (no unvisited segment can be nearer) or that edge is
 * beyond the limit.  Candidates are compared on (squared distance, link,
 * vertex, position on the segment) exactly, so the answer does not depend on
 * the order cells or entries are visited: ties go to the lower link, then to
 * the lower along_m.  docs/travel.md compares this grid with a GEOS STRtree.
 *
 * Invariants: entries of cell c are ent_*[cell_first[c] .. cell_first[c+1]),
 * in link order; every entry's segment intersects its cell (give or take
 * GRID_EPS_M).
 */
#include "snap.h"

#include "../geo/tolerance.h"

#include <math.h>
#include <string.h>

/* Slack, in metres, for segments that graze a cell corner and for the ring
 * stopping rule: far below any positional accuracy (OS Open Roads: about 1 m),
 * far above the rounding of double coordinates in metres (1e-10 m at 1e6 m). */
#define GRID_EPS_M 1e-6

/* Target mean segments per cell over the bounding box, and bounds on the
 * cell side.  On Examplshire (20,900 segments, cell 264 m) 1 per cell is
 * within 20% of the fastest both for points spread uniformly over the box
 * (best at 1-2) and for points near postcodes (best at 0.5-1); see
 * docs/travel.md.  The bounds keep degenerate inputs (one segment, everything on one line)
 * from making a cell of 0 m or a grid of billions of cells. */
#define SEGS_PER_CELL 1.0
#define CELL_MIN_M 25.0
#define CELL_MAX_M 20000.0
#define MAX_CELLS (1u << 26)

enum { LINK_NONE = 0, LINK_KEPT = 1, LINK_ISOLATED = 2 };

struct gm__snap_index {
    const gm__roads *roads;
    double minx, miny, maxx, maxy; /* grid origin and the segments' bounding box */
    double cell;
    uint32_t nx, ny;
    uint32_t *cell_first;          /* nx * ny + 1 */
    uint32_t *ent_v;               /* first vertex of the segment, index into roads->xy pairs */
    uint32_t *ent_link;
    uint8_t *state;                /* nlinks: LINK_* */
    gm__snap_stats stats;
};

void gm__snap_index_free(gm__snap_index *ix)
{
    if (!ix)
        return;
    gm__free(ix->cell_first);
    gm__free(ix->ent_v);
    gm__free(ix->ent_link);
    gm__free(ix->state);
    gm__free(ix);
}

void gm__snap_index_stats(const gm__snap_index *ix, gm__snap_stats *out)
{
    memset(out, 0, sizeof *out);
    if (ix)
        *out = ix->stats;
}

/* Which directions the profile lets the mode use a link in (bit 0 forward,
 * bit 1 backward): the rule of graph.c's link_dirs, repeated here because the
 * graph keeps only its largest component and the index must also know the
 * roads it left out. */
static unsigned profile_dirs(const gm__road_link *l, const gm__profile *p)
{
    unsigned f = l->flags, d = 0;
    switch (p->mode) {
    case GM__MODE_CAR:
        d = ((f & GM__RF_CAR_FWD) ? 1u : 0u) | ((f & GM__RF_CAR_BWD) ? 2u : 0u);
        break;
    case GM__MODE_WALK:
        d = (f & GM__RF_WALK) ? 3u : 0u;
        break;
    case GM__MODE_CYCLE:
        d = ((f & GM__RF_CYCLE_FWD) ? 1u : 0u) | ((f & GM__RF_CYCLE_BWD) ? 2u : 0u);
        break;
    default:
        return 0;
    }
    if (l->rclass >= GM__RC_COUNT)
        return 0;
    float v = (f & GM__RF_FERRY) ? p->ferry_speed_kmh : p->speed_kmh[l->rclass];
    return v > 0.0f ? d : 0u; /* a posted limit only lowers a positive speed */
}

static uint32_t uf_find(uint32_t *parent, uint32_t v)
{
    while (parent[v] != v) {
        parent[v] = parent[parent[v]];
        v = parent[v];
    }
    return v;
}

/* Mark in state[] the links p makes usable that share no weak component with
 * the kept nodes of g.  Returns false on allocation failure. */
static bool mark_isolated(const gm__roads *r, const gm__graph *g, const gm__profile *p, uint8_t *state)
{
    if (r->nnodes > UINT32_MAX)
        return true; /* graph.c refuses such roads anyway */
    uint32_t *parent = gm__malloc((r->nnodes ? r->nnodes : 1) * sizeof *parent);
    if (!parent)
        return false;
    for (size_t v = 0; v < r->nnodes; v++)
        parent[v] = (uint32_t)v;
    for (size_t i = 0; i < r->nlinks; i++) {
        const gm__road_link *l = &r->links[i];
        if (l->from >= r->nnodes || l->to >= r->nnodes || !profile_dirs(l, p))
            continue;
        uint32_t a = uf_find(parent, l->from), b = uf_find(parent, l->to);
        if (a != b)
            parent[a > b ? a : b] = a < b ? a : b; /* lower root wins: deterministic */
    }
    /* All kept nodes form one strongly, hence weakly, connected set. */
    uint32_t kept_root = UINT32_MAX;
    if (g->nnodes > 0 && g->orig_node[0] < r->nnodes)
        kept_root = uf_find(parent, g->orig_node[0]);
    for (size_t i = 0; i < r->nlinks; i++) {
        const gm__road_link *l = &r->links[i];
        if (state[i] != LINK_NONE || l->from >= r->nnodes || l->to >= r->nnodes || !profile_dirs(l, p))
            continue;
        if (uf_find(parent, l->from) != kept_root)
            state[i] = LINK_ISOLATED;
    }
    gm__free(parent);
    return true;
}

static inline bool seg_finite(const double *xy, uint32_t v)
{
    return isfinite(xy[2 * (size_t)v]) && isfinite(xy[2 * (size_t)v + 1]) &&
           isfinite(xy[2 * (size_t)v + 2]) && isfinite(xy[2 * (size_t)v + 3]);
}

static inline int64_t clamp64(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* Visit the cells segment v (of link) passes through: count them into
 * count[] when fill is false, else append the entry at cursor[cell]. */
static void seg_cells(gm__snap_index *ix, uint32_t v, uint32_t link, uint32_t *cursor, bool fill)
{
    const double *xy = ix->roads->xy;
    double ax = xy[2 * (size_t)v], ay = xy[2 * (size_t)v + 1];
    double bx = xy[2 * (size_t)v + 2], by = xy[2 * (size_t)v + 3];
    const double c = ix->cell;
    const int64_t nx = ix->nx, ny = ix->ny;
    double ylo = fmin(ay, by), yhi = fmax(ay, by);
    int64_t r0 = clamp64((int64_t)floor((ylo - GRID_EPS_M - ix->miny) / c), 0, ny - 1);
    int64_t r1 = clamp64((int64_t)floor((yhi + GRID_EPS_M - ix->miny) / c), 0, ny - 1);
    for (int64_t j = r0; j <= r1; j++) {
        double xlo, xhi;
        if (ay == by) {
            xlo = fmin(ax, bx);
            xhi = fmax(ax, bx);
        } else {
            double b0 = ix->miny + (double)j * c - GRID_EPS_M, b1 = ix->miny + (double)(j + 1) * c + GRID_EPS_M;
            double t0 = (b0 - ay) / (by - ay), t1 = (b1 - ay) / (by - ay);
            double tlo = fmax(0.0, fmin(t0, t1)), thi = fmin(1.0, fmax(t0, t1));
            if (tlo > thi)
                tlo = thi = (tlo + thi) / 2; /* a grazing row, kept by the epsilon */
            double xa = ax + tlo * (bx - ax), xb = ax + thi * (bx - ax);
            xlo = fmin(xa, xb);
            xhi = fmax(xa, xb);
        }
        int64_t c0 = clamp64((int64_t)floor((xlo - GRID_EPS_M - ix->minx) / c), 0, nx - 1);
        int64_t c1 = clamp64((int64_t)floor((xhi + GRID_EPS_M - ix->minx) / c), 0, nx - 1);
        for (int64_t i = c0; i <= c1; i++) {
            size_t cell = (size_t)(j * nx + i);
            if (fill) {
                uint32_t k = cursor[cell]++;
                ix->ent_v[k] = v;
                ix->ent_link[k] = link;
            } else {
                cursor[cell + 1]++;
            }
        }
    }
}

gm_status gm__snap_index_new(gm_ctx *ctx, const gm__roads *roads, const gm__graph *g,
                             gm__snap_index **out)
{
    return gm__snap_index_new_ex(ctx, roads, g, NULL, out);
}

gm_status gm__snap_index_new_ex(gm_ctx *ctx, const gm__roads *roads, const gm__graph *g,
                                const gm__profile *p, gm__snap_index **out)
{
    gm_status st = GM_OK;
    uint32_t *cursor = NULL;
    gm__snap_index *ix = gm__calloc(1, sizeof *ix);
    if (!ix)
        goto nomem;
    ix->roads = roads;
    ix->state = gm__calloc(roads->nlinks ? roads->nlinks : 1, 1);
    if (!ix->state)
        goto nomem;
    for (uint32_t a = 0; a < g->narcs; a++)
        if (g->arc_link[a] < roads->nlinks)
            ix->state[g->arc_link[a]] = LINK_KEPT;
    if (p && !mark_isolated(roads, g, p, ix->state))
        goto nomem;

    /* Check geometry, count segments, find the bounding box. */
    uint64_t nseg = 0;
    double minx = INFINITY, miny = INFINITY, maxx = -INFINITY, maxy = -INFINITY;
    for (size_t i = 0; i < roads->nlinks; i++) {
        if (ix->state[i] == LINK_NONE)
            continue;
        const gm__road_link *l = &roads->links[i];
        if (l->geom_n < 2 || (uint64_t)l->geom_off + l->geom_n > roads->nxy) {
            st = gm__err(ctx, GM_E_INPUT,
                         "roads (%s): link %zu (source id %llu) has %u vertices from %u, but there are "
                         "%zu vertices (a reader bug)",
                         roads->source, i, (unsigned long long)l->source_id, l->geom_n, l->geom_off,
                         roads->nxy);
            goto cleanup;
        }
        ix->stats.links++;
        if (ix->state[i] == LINK_ISOLATED)
            ix->stats.isolated_links++;
        for (uint32_t k = 0; k + 1 < l->geom_n; k++) {
            uint32_t v = l->geom_off + k;
            if (!seg_finite(roads->xy, v))
                continue;
            nseg++;
            for (int e = 0; e < 2; e++) {
                double x = roads->xy[2 * ((size_t)v + (size_t)e)], y = roads->xy[2 * ((size_t)v + (size_t)e) + 1];
                minx = fmin(minx, x);
                maxx = fmax(maxx, x);
                miny = fmin(miny, y);
                maxy = fmax(maxy, y);
            }
        }
    }
    if (nseg == 0) {
        minx = miny = maxx = maxy = 0.0; /* an empty index: every query misses */
    }
    ix->minx = minx;
    ix->miny = miny;
    ix->maxx = maxx;
    ix->maxy = maxy;

    /* Cell side: about SEGS_PER_CELL segments a cell over the box. */
    double w = maxx - minx, h = maxy - miny;
    double cell = nseg ? sqrt(fmax(w, CELL_MIN_M) * fmax(h, CELL_MIN_M) * SEGS_PER_CELL / (double)nseg)
                       : CELL_MAX_M;
    cell = fmin(fmax(cell, CELL_MIN_M), CELL_MAX_M);
    double nxd, nyd;
    for (;;) {
        nxd = floor(w / cell) + 1;
        nyd = floor(h / cell) + 1;
        if (nxd * nyd <= (double)MAX_CELLS)
            break;
        cell *= 1.5;
    }
    ix->cell = cell;
    ix->nx = (uint32_t)nxd;
    ix->ny = (uint32_t)nyd;
    size_t ncells = (size_t)ix->nx * ix->ny;

    /* Two passes over the segments: count per cell, then place. */
    ix->cell_first = gm__calloc(ncells + 1, sizeof *ix->cell_first);
    if (!ix->cell_first)
        goto nomem;
    uint64_t nent = 0;
    for (size_t i = 0; i < roads->nlinks; i++) {
        if (ix->state[i] == LINK_NONE)
            continue;
        const gm__road_link *l = &roads->links[i];
        for (uint32_t k = 0; k + 1 < l->geom_n; k++)
            if (seg_finite(roads->xy, l->geom_off + k))
                seg_cells(ix, l->geom_off + k, (uint32_t)i, ix->cell_first, false);
    }
    for (size_t c = 0; c < ncells; c++) {
        nent += ix->cell_first[c + 1];
        if (nent > UINT32_MAX) {
            st = gm__err(ctx, GM_E_INPUT,
                         "roads (%s): the snapping grid would hold more than %u segment entries; "
                         "clip the roads to the study area",
                         roads->source, UINT32_MAX);
            goto cleanup;
        }
        ix->cell_first[c + 1] = (uint32_t)nent;
    }
    ix->ent_v = gm__malloc((size_t)(nent ? nent : 1) * sizeof *ix->ent_v);
    ix->ent_link = gm__malloc((size_t)(nent ? nent : 1) * sizeof *ix->ent_link);
    cursor = gm__malloc(ncells * sizeof *cursor);
    if (!ix->ent_v || !ix->ent_link || !cursor)
        goto nomem;
    memcpy(cursor, ix->cell_first, ncells * sizeof *cursor);
    for (size_t i = 0; i < roads->nlinks; i++) {
        if (ix->state[i] == LINK_NONE)
            continue;
        const gm__road_link *l = &roads->links[i];
        for (uint32_t k = 0; k + 1 < l->geom_n; k++)
            if (seg_finite(roads->xy, l->geom_off + k))
                seg_cells(ix, l->geom_off + k, (uint32_t)i, cursor, true);
    }
    ix->stats.cell_m = cell;
    ix->stats.cells = ncells;
    ix->stats.entries = nent;
    *out = ix;
    ix = NULL;
    goto cleanup;

nomem:
    st = gm__err(ctx, GM_E_NOMEM, "out of memory indexing the %zu road links for joining points",
                 roads->nlinks);
cleanup:
    gm__free(cursor);
    gm__snap_index_free(ix);
    return st;
}

/* A candidate, compared on (d2, link, v, t): v orders segments along a link
 * and t positions along a segment, so (link, v, t) orders by along_m. */
typedef struct cand {
    double d2, t, qx, qy;
    uint32_t link, v;
    bool found;
} cand;

static inline bool cand_better(double d2, uint32_t link, uint32_t v, double t, const cand *b)
{
    if (!b->found || d2 != b->d2)
        return !b->found || d2 < b->d2;
    if (link != b->link)
        return link < b->link;
    if (v != b->v)
        return v < b->v;
    return t < b->t;
}

static void scan_cell(const gm__snap_index *ix, size_t cell, double px, double py, double lim2, cand *best)
{
    const double *xy = ix->roads->xy;
    for (uint32_t e = ix->cell_first[cell], end = ix->cell_first[cell + 1]; e < end; e++) {
        uint32_t v = ix->ent_v[e];
        double ax = xy[2 * (size_t)v], ay = xy[2 * (size_t)v + 1];
        double bx = xy[2 * (size_t)v + 2], by = xy[2 * (size_t)v + 3];
        double dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy;
        double t = len2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / len2 : 0.0;
        double qx, qy;
        /* The ends exactly, so that two links meeting at a node tie exactly. */
        if (t <= 0) {
            t = 0;
            qx = ax;
            qy = ay;
        } else if (t >= 1) {
            t = 1;
            qx = bx;
            qy = by;
        } else {
            qx = ax + t * dx;
            qy = ay + t * dy;
        }
        double ex = px - qx, ey = py - qy, d2 = ex * ex + ey * ey;
        if (d2 > lim2)
            continue;
        if (cand_better(d2, ix->ent_link[e], v, t, best)) {
            best->d2 = d2;
            best->t = t;
            best->qx = qx;
            best->qy = qy;
            best->link = ix->ent_link[e];
            best->v = v;
            best->found = true;
        }
    }
}

void gm__snap_point(const gm__snap_index *ix, double x, double y, float max_m, gm__join *out)
{
    memset(out, 0, sizeof *out);
    if (!ix || !isfinite(x) || !isfinite(y) || !(max_m >= 0.0f) || ix->stats.entries == 0)
        return;
    const double lim = (double)max_m, lim2 = lim * lim, c = ix->cell;
    /* Further than the limit from the segments' box: nothing to find. */
    double ox = fmax(0.0, fmax(ix->minx - x, x - ix->maxx));
    double oy = fmax(0.0, fmax(ix->miny - y, y - ix->maxy));
    if (ox * ox + oy * oy > lim2)
        return;
    const int64_t nx = ix->nx, ny = ix->ny;
    /* The point is within lim of the box here, so these stay small unless lim
     * is huge; clamp anyway so that the arithmetic cannot overflow. */
    const int64_t big = INT64_C(1) << 40;
    int64_t cx = clamp64((int64_t)fmax(fmin(floor((x - ix->minx) / c), 1e12), -1e12), -big, big);
    int64_t cy = clamp64((int64_t)fmax(fmin(floor((y - ix->miny) / c), 1e12), -1e12), -big, big);
    cand best = {0};
    /* Rings nearer than this one miss the grid altogether (a point outside
     * it): start there. */
    int64_t out_x = cx < 0 ? -cx : cx > nx - 1 ? cx - (nx - 1) : 0;
    int64_t out_y = cy < 0 ? -cy : cy > ny - 1 ? cy - (ny - 1) : 0;
    int64_t r_first = out_x > out_y ? out_x : out_y;
    for (int64_t r = r_first;; r++) {
        int64_t j0 = clamp64(cy - r, 0, ny - 1), j1 = clamp64(cy + r, 0, ny - 1);
        bool side_cols = (cx - r >= 0 && cx - r < nx) || (cx + r >= 0 && cx + r < nx);
        if (cy - r <= ny - 1 && cy + r >= 0) {
            for (int64_t j = j0; j <= j1; j++) {
                bool edge_row = j == cy - r || j == cy + r;
                if (!edge_row && !side_cols)
                    continue;
                if (edge_row) {
                    int64_t i0 = clamp64(cx - r, 0, nx - 1), i1 = clamp64(cx + r, 0, nx - 1);
                    if (cx - r <= nx - 1 && cx + r >= 0)
                        for (int64_t i = i0; i <= i1; i++)
                            scan_cell(ix, (size_t)(j * nx + i), x, y, lim2, &best);
                } else {
                    if (cx - r >= 0 && cx - r < nx)
                        scan_cell(ix, (size_t)(j * nx + cx - r), x, y, lim2, &best);
                    if (r > 0 && cx + r >= 0 && cx + r < nx)
                        scan_cell(ix, (size_t)(j * nx + cx + r), x, y, lim2, &best);
                }
            }
        }
        /* Every segment not yet seen lies outside the block of rings 0..r, so
         * at least this far from the point. */
        double bound = fmin(fmin(x - (ix->minx + (double)(cx - r) * c), ix->minx + (double)(cx + r + 1) * c - x),
                            fmin(y - (ix->miny + (double)(cy - r) * c), ix->miny + (double)(cy + r + 1) * c - y));
        if (best.found && sqrt(best.d2) + GRID_EPS_M < bound)
            break;
        if (bound > lim + GRID_EPS_M)
            break;
        if (cx - r <= 0 && cx + r >= nx - 1 && cy - r <= 0 && cy + r >= ny - 1)
            break; /* the whole grid has been seen */
    }
    if (!best.found)
        return;

    const gm__roads *roads = ix->roads;
    const gm__road_link *l = &roads->links[best.link];
    const double *xy = roads->xy;
    double along = 0;
    for (uint32_t v = l->geom_off; v < best.v; v++) {
        double dx = xy[2 * (size_t)v + 2] - xy[2 * (size_t)v], dy = xy[2 * (size_t)v + 3] - xy[2 * (size_t)v + 1];
        along += sqrt(dx * dx + dy * dy);
    }
    {
        size_t v = best.v;
        double dx = xy[2 * v + 2] - xy[2 * v], dy = xy[2 * v + 3] - xy[2 * v + 1];
        along += best.t * sqrt(dx * dx + dy * dy);
    }
    along = fmin(fmax(along, 0.0), (double)l->length_m);
    out->ok = true;
    out->isolated = ix->state[best.link] == LINK_ISOLATED;
    out->link = best.link;
    out->along_m = (float)along;
    out->join_m = (float)sqrt(best.d2);
    out->x = best.qx;
    out->y = best.qy;
}

/* The arc of g that carries travel on the ground from road node u to road
 * node v along link, or UINT32_MAX: in a reversed graph that travel is the arc
 * v -> u. */
static uint32_t ground_arc(const gm__graph *g, uint32_t u, uint32_t v, uint32_t link)
{
    if (u >= g->nroad_nodes || v >= g->nroad_nodes)
        return UINT32_MAX;
    int32_t gu = g->node_of[u], gv = g->node_of[v];
    if (gu < 0 || gv < 0)
        return UINT32_MAX;
    uint32_t tail = (uint32_t)(g->reversed ? gv : gu), head = (uint32_t)(g->reversed ? gu : gv);
    for (uint32_t a = g->first[tail]; a < g->first[tail + 1]; a++)
        if (g->head[a] == head && g->arc_link[a] == link)
            return a;
    return UINT32_MAX;
}

static double walk_mps(float walk_speed_kmh)
{
    float w = walk_speed_kmh > 0.0f && isfinite(walk_speed_kmh) ? walk_speed_kmh : GM__WALK_KMH_DEFAULT;
    return (double)w / 3.6;
}

/* Seconds per metre on arc a. */
static double arc_spm(const gm__graph *g, uint32_t a)
{
    return (double)g->time_s[a] / (double)g->dist_m[a];
}

size_t gm__join_seeds(const gm__join *j, const gm__roads *roads, const gm__graph *g,
                      float walk_speed_kmh, bool arriving, gm__seed seeds[2])
{
    if (!j->ok || j->isolated || j->link >= roads->nlinks)
        return 0;
    const gm__road_link *l = &roads->links[j->link];
    if (l->from == l->to)
        return 0;
    uint32_t fwd = ground_arc(g, l->from, l->to, j->link), bwd = ground_arc(g, l->to, l->from, j->link);
    double len = fmax((double)l->length_m, (double)j->along_m);
    double along = (double)j->along_m, rest = len - along;
    double walk_m = (double)j->join_m, walk_s = walk_m / walk_mps(walk_speed_kmh);
    size_t n = 0;
    /* Leaving: forwards to the to-node, backwards to the from-node.
     * Arriving: forwards from the from-node, backwards from the to-node. */
    if (fwd != UINT32_MAX) {
        double part = arriving ? along : rest;
        uint32_t node = (uint32_t)g->node_of[arriving ? l->from : l->to];
        seeds[n++] = (gm__seed){node, (float)(walk_s + part * arc_spm(g, fwd)), (float)(walk_m + part)};
    }
    if (bwd != UINT32_MAX) {
        double part = arriving ? rest : along;
        uint32_t node = (uint32_t)g->node_of[arriving ? l->to : l->from];
        seeds[n++] = (gm__seed){node, (float)(walk_s + part * arc_spm(g, bwd)), (float)(walk_m + part)};
    }
    /* A point joined at a link's end stands at that node: it is reached from,
     * and leaves by, the node itself whatever the link's one-way rule (else a
     * point at the end of a one-way street could only be reached by driving
     * the whole street).  With both directions open the node is seeded above. */
    if (n == 1) {
        int32_t end = along <= GM__MIN_LINK_M ? g->node_of[l->from]
                      : rest <= GM__MIN_LINK_M ? g->node_of[l->to] : -1;
        if (end >= 0 && seeds[0].node != (uint32_t)end)
            seeds[n++] = (gm__seed){(uint32_t)end, (float)walk_s, (float)walk_m};
    }
    return n;
}

bool gm__join_direct(const gm__join *a, const gm__join *b, const gm__roads *roads,
                     const gm__graph *g, float walk_speed_kmh, float *time_s, float *dist_m)
{
    if (!a->ok || !b->ok || a->isolated || b->isolated || a->link != b->link || a->link >= roads->nlinks)
        return false;
    const gm__road_link *l = &roads->links[a->link];
    if (l->from == l->to)
        return false;
    uint32_t fwd = ground_arc(g, l->from, l->to, a->link), bwd = ground_arc(g, l->to, l->from, a->link);
    double drive_m, spm;
    if (b->along_m > a->along_m) {
        if (fwd == UINT32_MAX)
            return false;
        drive_m = (double)b->along_m - (double)a->along_m;
        spm = arc_spm(g, fwd);
    } else if (b->along_m < a->along_m) {
        if (bwd == UINT32_MAX)
            return false;
        drive_m = (double)a->along_m - (double)b->along_m;
        spm = arc_spm(g, bwd);
    } else {
        if (fwd == UINT32_MAX && bwd == UINT32_MAX)
            return false;
        drive_m = 0;
        spm = 0;
    }
    double walk_m = (double)a->join_m + (double)b->join_m;
    *time_s = (float)(walk_m / walk_mps(walk_speed_kmh) + drive_m * spm);
    *dist_m = (float)(walk_m + drive_m);
    return true;
}
