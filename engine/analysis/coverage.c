/*
 * Coverage, catchments and gaps (see coverage.h; methods and sources in
 * docs/coverage.md).
 *
 * Everything is computed from dense matrices: customers (the travel stage's),
 * live postcodes in the boundary and grid cells (made here with the same
 * networks and options), so a county costs sites x 3 searches per mode.
 * Loops run in index order and ties go to the lower site index, so the
 * results are a function of the inputs.
 */
#include "coverage.h"

#include "access.h"
#include "people.h"
#include "../geo/geoctx.h"
#include "../geo/hexgrid.h"
#include "../geocode/postcode.h"
#include "../io/polys.h"

#include <geos_c.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const double gm__dft_minutes[GM__DFT_NTHR] = {15, 30, 45, 60};
const char *const gm__service_names[GM__NSERVICE] = {"any", "one_to_one", "small_group", "building_based",
                                                     "skills_training"};

/* More cells than this and the cell size is doubled until it fits: a
 * catchment surface does not need 10 m detail over a whole region. */
#define MAX_CELLS 4000000.0

bool gm__site_suits(const gm_site *s, const gm_customer *c)
{
    return (s->services & c->service) != 0 && (s->needs & c->needs) == c->needs;
}

/* Whether site s serves demand of service k (0 = any). */
static bool offers(const gm_site *s, int k)
{
    return k == 0 || (s->services & (1u << (k - 1))) != 0;
}

typedef struct work {
    gm_ctx *ctx;
    GEOSContextHandle_t h;
    const gm_config *cfg;
    const gm__travel *t;
    const gm_customer *cs;
    const gm_site *ss;
    size_t nc, ns;
    /* live postcodes inside the boundary */
    double *px, *py;
    int32_t *pzone, *czone;
    size_t np;
    gm__matrix *pm[GM__TM_COUNT];
    float *cell_t[GM__TM_COUNT];      /* ncell x nsites times, INFINITY beyond the cut-off */
    float *cust_best[GM__TM_COUNT];   /* nearest suitable site, s */
    float *pc_best[GM__TM_COUNT];     /* nearest site, s */
    int32_t *pc_arg[GM__TM_COUNT];    /* that site, or -1 */
} work;

static gm_status nomem(gm_ctx *ctx, const char *what)
{
    return gm__err(ctx, GM_E_NOMEM, "out of memory computing %s", what);
}

/* ---- area: boundary, zones, demand points ------------------------------ */

static gm_status load_boundary(work *w, gm__coverage *c)
{
    const gm_config *cfg = w->cfg;
    gm_status st = gm__area_boundary(w->ctx, cfg, &c->boundary);
    if (st != GM_OK || c->boundary)
        return st;
    /* No boundary: the box of the customers and sites, 2 km around. */
    double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    for (size_t i = 0; i < w->nc + w->ns; i++) {
        double x = i < w->nc ? w->cs[i].easting_m : w->ss[i - w->nc].easting_m;
        double y = i < w->nc ? w->cs[i].northing_m : w->ss[i - w->nc].northing_m;
        x0 = fmin(x0, x), y0 = fmin(y0, y), x1 = fmax(x1, x), y1 = fmax(y1, y);
    }
    if (!isfinite(x0))
        return gm__err(w->ctx, GM_E_INPUT, "coverage: no located customers or sites to cover");
    c->boundary = GEOSGeom_createRectangle_r(w->h, x0 - 2000, y0 - 2000, x1 + 2000, y1 + 2000);
    return c->boundary ? GM_OK : nomem(w->ctx, "the area");
}

static gm_status load_zones(work *w, gm__coverage *c)
{
    const gm_config *cfg = w->cfg;
    if (cfg->area.zones) {
        gm__poly *p = NULL;
        size_t n = 0;
        gm_status st = gm__polys_read(w->ctx, cfg->area.zones, cfg->area.zones_layer, cfg->area.zone_id,
                                      cfg->area.zone_name, &p, &n, NULL);
        if (st != GM_OK)
            return st;
        c->zones = gm__calloc(n, sizeof *c->zones);
        if (!c->zones) {
            gm__polys_free(w->ctx, p, n);
            return nomem(w->ctx, "zones");
        }
        for (size_t i = 0; i < n; i++) {
            c->zones[i].id = p[i].id;
            c->zones[i].name = p[i].name;
            c->zones[i].geom = p[i].geom;
            p[i].id = p[i].name = NULL;
            p[i].geom = NULL;
        }
        c->nzones = n;
        gm__polys_free(w->ctx, p, n);
    } else {
        gm__hex *hx = NULL;
        size_t n = 0;
        gm_status st = gm__hexgrid_make(w->ctx, c->boundary, cfg->area.hex_side_m, &hx, &n);
        if (st != GM_OK)
            return st;
        c->zones = gm__calloc(n ? n : 1, sizeof *c->zones);
        if (!c->zones) {
            gm__hexes_free(w->ctx, hx, n);
            return nomem(w->ctx, "zones");
        }
        c->hex_zones = true;
        for (size_t i = 0; i < n; i++) {
            c->zones[i].id = gm__strdup(hx[i].id);
            c->zones[i].name = gm__strdup("");
            c->zones[i].geom = hx[i].geom;
            hx[i].geom = NULL;
            c->nzones = i + 1;
            if (!c->zones[i].id || !c->zones[i].name) {
                gm__hexes_free(w->ctx, hx, n);
                return nomem(w->ctx, "zones");
            }
        }
        gm__hexes_free(w->ctx, hx, n);
    }
    for (size_t i = 0; i < c->nzones; i++) {
        double a = 0;
        for (size_t k = 0; k < cfg->transit.nct_zones; k++)
            c->zones[i].community_transport |= strcmp(c->zones[i].id, cfg->transit.ct_zones[k]) == 0;
        GEOSArea_r(w->h, c->zones[i].geom, &a);
        c->zones[i].area_km2 = a / 1e6;
        c->zones[i].gap = -1;
        for (int m = 0; m < GM__TM_COUNT; m++)
            c->zones[i].cust_near_min[m] = c->zones[i].pc_near_min[m] = NAN;
        c->zones[i].access = NAN;
    }
    for (size_t k = 0; k < cfg->transit.nct_zones; k++) {
        size_t i = 0;
        while (i < c->nzones && strcmp(c->zones[i].id, cfg->transit.ct_zones[k]))
            i++;
        if (i == c->nzones)
            gm__log(w->ctx, GM_LOG_WARN,
                    "[transit] community_transport_zones: %s is not one of the %zu zones (zone ids come from "
                    "[area] zone_id); ignored",
                    cfg->transit.ct_zones[k], c->nzones);
    }
    return GM_OK;
}

typedef struct hit {
    GEOSContextHandle_t h;
    const GEOSPreparedGeometry *const *prep;
    const GEOSGeometry *pt;
    size_t best;
} hit;

static void on_hit(void *item, void *user)
{
    hit *q = user;
    size_t i = (size_t)(uintptr_t)item - 1;
    if (i < q->best && GEOSPreparedIntersects_r(q->h, q->prep[i], q->pt) == 1)
        q->best = i; /* lowest zone index wins where zones share a border */
}

/* zone index of each point (x, y; n), -1 outside every zone. */
static gm_status assign_zones(work *w, const gm__coverage *c, const double *x, const double *y, size_t n,
                              int32_t *zone)
{
    GEOSContextHandle_t h = w->h;
    const GEOSPreparedGeometry **prep = gm__calloc(c->nzones ? c->nzones : 1, sizeof *prep);
    GEOSSTRtree *tree = GEOSSTRtree_create_r(h, 10);
    gm_status st = GM_OK;
    if (!prep || !tree) {
        st = nomem(w->ctx, "zones");
        goto done;
    }
    for (size_t i = 0; i < c->nzones; i++) {
        prep[i] = GEOSPrepare_r(h, c->zones[i].geom);
        GEOSSTRtree_insert_r(h, tree, c->zones[i].geom, (void *)(uintptr_t)(i + 1));
    }
    for (size_t i = 0; i < n; i++) {
        GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(h, x[i], y[i]);
        if (!pt) {
            st = nomem(w->ctx, "zones");
            goto done;
        }
        hit q = {h, (const GEOSPreparedGeometry *const *)prep, pt, SIZE_MAX};
        GEOSSTRtree_query_r(h, tree, pt, on_hit, &q);
        zone[i] = q.best == SIZE_MAX ? -1 : (int32_t)q.best;
        GEOSGeom_destroy_r(h, pt);
    }
done:
    if (tree)
        GEOSSTRtree_destroy_r(h, tree);
    for (size_t i = 0; prep && i < c->nzones; i++)
        if (prep[i])
            GEOSPreparedGeom_destroy_r(h, prep[i]);
    gm__free(prep);
    return st;
}

static gm_status demand_points(work *w, gm__coverage *c, const gm_pcdir *dir)
{
    size_t n = gm__pcdir_count(dir);
    w->px = gm__malloc((n ? n : 1) * sizeof *w->px);
    w->py = gm__malloc((n ? n : 1) * sizeof *w->py);
    const GEOSPreparedGeometry *pb = GEOSPrepare_r(w->h, c->boundary);
    if (!w->px || !w->py || !pb) {
        if (pb)
            GEOSPreparedGeom_destroy_r(w->h, pb);
        return nomem(w->ctx, "postcode demand");
    }
    for (size_t i = 0; i < n; i++) {
        double x, y;
        bool live;
        gm__pcdir_point(dir, i, &x, &y, &live);
        if (!live || !isfinite(x))
            continue;
        GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(w->h, x, y);
        int in = pt ? GEOSPreparedContains_r(w->h, pb, pt) : 0;
        if (pt)
            GEOSGeom_destroy_r(w->h, pt);
        if (in != 1)
            continue;
        w->px[w->np] = x;
        w->py[w->np] = y;
        w->np++;
    }
    GEOSPreparedGeom_destroy_r(w->h, pb);
    c->postcodes_in_area = (uint32_t)w->np;
    c->customers = (uint32_t)w->nc;
    double *cx = gm__malloc((w->nc ? w->nc : 1) * sizeof *cx), *cy = gm__malloc((w->nc ? w->nc : 1) * sizeof *cy);
    w->pzone = gm__malloc((w->np ? w->np : 1) * sizeof *w->pzone);
    w->czone = gm__malloc((w->nc ? w->nc : 1) * sizeof *w->czone);
    gm_status st = GM_OK;
    if (!cx || !cy || !w->pzone || !w->czone)
        st = nomem(w->ctx, "postcode demand");
    for (size_t i = 0; st == GM_OK && i < w->nc; i++) {
        cx[i] = w->cs[i].easting_m;
        cy[i] = w->cs[i].northing_m;
    }
    if (st == GM_OK)
        st = assign_zones(w, c, w->px, w->py, w->np, w->pzone);
    if (st == GM_OK)
        st = assign_zones(w, c, cx, cy, w->nc, w->czone);
    gm__free(cx);
    gm__free(cy);
    for (size_t i = 0; st == GM_OK && i < w->np; i++)
        if (w->pzone[i] >= 0)
            c->zones[w->pzone[i]].postcodes++;
    for (size_t i = 0; st == GM_OK && i < w->nc; i++)
        if (w->czone[i] >= 0)
            c->zones[w->czone[i]].customers++;
    return st;
}

/* ---- matrices of postcodes and cells ----------------------------------- */

/* Bus times of n joined points (on the walk network of the bus mode), given
 * their walking times: median over the arrival window, as the matrix's. */
static gm_status bus_times(work *w, const gm__join *j, size_t n, const float *walk, const char *label, float *out)
{
    const gm__travel_bus *b = &w->t->bus;
    size_t ns = w->ns ? w->ns : 1;
    float *worst = gm__malloc(n * ns * sizeof *worst + 1);
    if (!worst)
        return nomem(w->ctx, "bus catchments");
    gm__pt_out o = {out, worst, NULL, NULL, NULL, NULL};
    gm_status st = gm__pt_times(w->ctx, b->net, j, n, w->t->modes[b->walk_tm].sjoin, w->ns, walk, label, &o);
    gm__free(worst);
    return st;
}

static gm_status points_matrix(work *w, int tm, const double *x, const double *y, size_t n, gm__matrix **out)
{
    bool bus = tm == GM__TM_BUS_INDEX;
    const gm__travel_mode *md = &w->t->modes[bus ? w->t->bus.walk_tm : tm];
    gm__join *j = gm__calloc(n ? n : 1, sizeof *j);
    if (!j)
        return nomem(w->ctx, "catchments");
    for (size_t i = 0; i < n; i++)
        gm__snap_point(md->ix, x[i], y[i], (float)w->cfg->travel.join_max_m, &j[i]);
    gm_status st;
    if (bus) {
        const gm__matrix *walk = w->pm[w->t->bus.walk_tm];
        size_t cells = n * w->ns;
        gm__matrix *m = gm__calloc(1, sizeof *m);
        if (!m || !(m->time_s = gm__malloc(cells * sizeof(float) + 1)) ||
            !(m->dist_m = gm__malloc(cells * sizeof(float) + 1))) {
            gm__matrix_free(m);
            gm__free(j);
            return nomem(w->ctx, "bus catchments");
        }
        m->mode = GM__MODE_WALK;
        m->ncust = n;
        m->nsites = w->ns;
        st = bus_times(w, j, n, walk->time_s, "Bus times (postcodes)", m->time_s);
        for (size_t i = 0; i < cells; i++) {
            m->dist_m[i] = NAN;
            m->reached += isfinite(m->time_s[i]);
        }
        if (st == GM_OK)
            *out = m;
        else
            gm__matrix_free(m);
    } else {
        gm__reach_opts o;
        gm__travel_opts(w->cfg, tm, &o);
        st = gm__matrix_compute(w->ctx, w->t->roads, md->g, md->rev, j, n, md->sjoin, w->ns, &o, out);
    }
    gm__free(j);
    return st;
}

static gm_status make_grid(work *w, gm__coverage *c)
{
    double x0, y0, x1, y1;
    if (GEOSGeom_getXMin_r(w->h, c->boundary, &x0) != 1 || GEOSGeom_getYMin_r(w->h, c->boundary, &y0) != 1 ||
        GEOSGeom_getXMax_r(w->h, c->boundary, &x1) != 1 || GEOSGeom_getYMax_r(w->h, c->boundary, &y1) != 1)
        return gm__err(w->ctx, GM_E_GEOMETRY, "coverage: the boundary has no extent");
    /* Catchments reach beyond the boundary: a margin of a few km shows where
     * the nearest sites over the border draw from. */
    double margin = 3000, cell = w->cfg->coverage.cell_m;
    x0 -= margin, y0 -= margin, x1 += margin, y1 += margin;
    while (((x1 - x0) / cell + 1) * ((y1 - y0) / cell + 1) > MAX_CELLS)
        cell *= 2;
    if (cell != w->cfg->coverage.cell_m)
        gm__log(w->ctx, GM_LOG_WARN, "coverage: cells of %.0f m instead of %.0f m (cell_m), to keep the "
                "catchment surface under %.0f cells", cell, w->cfg->coverage.cell_m, MAX_CELLS);
    return gm__grid_cover(w->ctx, x0, y0, x1, y1, cell, &c->grid);
}

/* Cells need times only: a sink writing one float per cell and site (half
 * the memory of a gm__matrix, which keeps distances too). */
typedef struct tsink {
    float *t;
    size_t ns;
} tsink;

static void time_sink(void *arg, size_t site, const gm__reach_cell *cells, size_t n, size_t worker)
{
    (void)worker;
    tsink *k = arg;
    for (size_t i = 0; i < n; i++)
        k->t[(size_t)cells[i].cust * k->ns + site] = cells[i].time_s;
}

static gm_status cell_matrices(work *w, gm__coverage *c, int tm)
{
    bool bus = tm == GM__TM_BUS_INDEX;
    const gm__travel_mode *md = &w->t->modes[bus ? w->t->bus.walk_tm : tm];
    size_t n = (size_t)c->grid.nx * c->grid.ny, ns = w->ns ? w->ns : 1;
    gm__join *j = gm__calloc(n, sizeof *j);
    w->cell_t[tm] = gm__malloc(n * ns * sizeof(float));
    if (!j || !w->cell_t[tm]) {
        gm__free(j);
        return nomem(w->ctx, "catchments");
    }
    float *T = w->cell_t[tm];
    for (size_t k = 0; k < n * ns; k++)
        T[k] = INFINITY;
    for (size_t k = 0; k < n; k++) {
        double x = c->grid.x0 + ((double)(k % c->grid.nx) + 0.5) * c->grid.cell_m;
        double y = c->grid.y0 + ((double)(k / c->grid.nx) + 0.5) * c->grid.cell_m;
        gm__snap_point(md->ix, x, y, (float)w->cfg->travel.join_max_m, &j[k]);
    }
    char label[64];
    snprintf(label, sizeof label, "Catchment surface (%s)", gm__travel_mode_names[tm]);
    gm_status st;
    if (bus) {
        st = bus_times(w, j, n, w->cell_t[w->t->bus.walk_tm], label, T);
    } else {
        gm__reach_opts o;
        gm__travel_opts(w->cfg, tm, &o);
        tsink k = {T, w->ns};
        st = gm__reach_run(w->ctx, w->t->roads, md->g, md->rev, j, n, md->sjoin, w->ns, &o, label, time_sink, &k);
    }
    gm__free(j);
    for (size_t i = 0; st == GM_OK && i < n; i++) {
        for (size_t s = 0; s < w->ns; s++)
            if (isfinite(T[i * w->ns + s])) {
                c->cells_reached[tm]++;
                break;
            }
    }
    return st;
}

/* ---- polygons from cells ------------------------------------------------ */

/* Polygons of labels over the grid, restricted to the window of cells that
 * hold data (a catchment covers a small part of the county, and tracing the
 * window alone is much faster).  Outputs as gm__surface_polygons. */
static gm_status trace(work *w, const gm__grid *g, int32_t *labels, gm__label_poly **out, size_t *n)
{
    uint32_t i0 = g->nx, j0 = g->ny, i1 = 0, j1 = 0;
    for (uint32_t j = 0; j < g->ny; j++)
        for (uint32_t i = 0; i < g->nx; i++)
            if (labels[(size_t)j * g->nx + i] >= 0) {
                i0 = i < i0 ? i : i0, i1 = i > i1 ? i : i1;
                j0 = j < j0 ? j : j0, j1 = j > j1 ? j : j1;
            }
    *out = NULL;
    *n = 0;
    if (i0 > i1)
        return GM_OK;
    gm__grid sub = {g->x0 + i0 * g->cell_m, g->y0 + j0 * g->cell_m, g->cell_m, i1 - i0 + 1, j1 - j0 + 1};
    /* Compact the window in place: rows move down and left, never over data
     * not yet copied. */
    for (uint32_t j = 0; j < sub.ny; j++)
        memmove(&labels[(size_t)j * sub.nx], &labels[(size_t)(j + j0) * g->nx + i0], sub.nx * sizeof *labels);
    return gm__surface_polygons(w->ctx, &sub, labels, out, n);
}

static double km2(const gm__label_poly *p)
{
    return p->area_m2 / 1e6;
}

static gm_status catchments(work *w, gm__coverage *c, int tm, int32_t *labels)
{
    const float *m = w->cell_t[tm];
    const gm__matrix *pm = w->pm[tm];
    size_t ncell = (size_t)c->grid.nx * c->grid.ny;
    int nthr = w->cfg->coverage.nminutes[tm];
    char label[64];
    snprintf(label, sizeof label, "Catchments (%s)", gm__travel_mode_names[tm]);
    for (size_t s = 0; s < w->ns; s++) {
        gm_status st = gm__progress(w->ctx, s, w->ns, label);
        if (st != GM_OK)
            return st;
        /* Larger thresholds first: drawn in file order, the nearer bands lie on top. */
        for (int k = nthr - 1; k >= 0; k--) {
            double T = w->cfg->coverage.minutes[tm][k] * 60.0;
            for (size_t i = 0; i < ncell; i++)
                labels[i] = m[i * w->ns + s] <= T ? 0 : -1;
            gm__label_poly *lp = NULL;
            size_t nl = 0;
            if ((st = trace(w, &c->grid, labels, &lp, &nl)) != GM_OK)
                return st;
            gm__catchment *e = &c->catch[c->ncatch++];
            e->site = (uint32_t)s;
            e->tm = tm;
            e->minutes = w->cfg->coverage.minutes[tm][k];
            if (nl) {
                e->geom = lp[0].geom;
                e->area_km2 = km2(&lp[0]);
                lp[0].geom = NULL;
            }
            gm__label_polys_free(w->ctx, lp, nl);
            for (size_t p = 0; p < w->np; p++)
                e->postcodes += pm->time_s[p * w->ns + s] <= T;
        }
    }
    return gm__progress(w->ctx, w->ns, w->ns, label);
}

static gm_status partition(work *w, gm__coverage *c, int tm, int32_t *labels)
{
    const float *m = w->cell_t[tm];
    size_t ncell = (size_t)c->grid.nx * c->grid.ny;
    for (size_t i = 0; i < ncell; i++) {
        int32_t best = -1;
        for (size_t s = 0; s < w->ns; s++) {
            float t = m[i * w->ns + s];
            if (isfinite(t) && (best < 0 || t < m[i * w->ns + (size_t)best]))
                best = (int32_t)s;
        }
        labels[i] = best;
    }
    gm__label_poly *lp = NULL;
    size_t nl = 0;
    gm_status st = trace(w, &c->grid, labels, &lp, &nl);
    if (st != GM_OK)
        return st;
    for (size_t k = 0; k < nl; k++) {
        gm__partpoly *e = &c->part[c->npart++];
        e->site = (uint32_t)lp[k].label;
        e->tm = tm;
        e->geom = lp[k].geom;
        e->area_km2 = km2(&lp[k]);
        lp[k].geom = NULL;
        for (size_t p = 0; p < w->np; p++)
            e->postcodes += w->pc_arg[tm][p] == (int32_t)e->site;
    }
    gm__label_polys_free(w->ctx, lp, nl);
    return GM_OK;
}

static gm_status coverage_polys(work *w, gm__coverage *c, int tm, int32_t *labels, float *best)
{
    const float *m = w->cell_t[tm];
    const gm__matrix *pm = w->pm[tm], *cm = w->t->modes[tm].m;
    size_t ncell = (size_t)c->grid.nx * c->grid.ny;
    for (int k = 0; k < GM__NSERVICE; k++) {
        for (size_t i = 0; i < ncell; i++) {
            best[i] = INFINITY;
            for (size_t s = 0; s < w->ns; s++)
                if (offers(&w->ss[s], k))
                    best[i] = fminf(best[i], m[i * w->ns + s]);
        }
        for (int q = w->cfg->coverage.nminutes[tm] - 1; q >= 0; q--) {
            double T = w->cfg->coverage.minutes[tm][q] * 60.0;
            for (size_t i = 0; i < ncell; i++)
                labels[i] = best[i] <= T ? 0 : -1;
            gm__label_poly *lp = NULL;
            size_t nl = 0;
            gm_status st = trace(w, &c->grid, labels, &lp, &nl);
            if (st != GM_OK)
                return st;
            gm__covpoly *e = &c->cov[c->ncov++];
            e->service = k;
            e->tm = tm;
            e->minutes = w->cfg->coverage.minutes[tm][q];
            if (nl) {
                e->geom = lp[0].geom;
                e->area_km2 = km2(&lp[0]);
                lp[0].geom = NULL;
            }
            gm__label_polys_free(w->ctx, lp, nl);
            e->postcodes = (uint32_t)w->np;
            for (size_t p = 0; p < w->np; p++) {
                for (size_t s = 0; s < w->ns; s++)
                    if (offers(&w->ss[s], k) && pm->time_s[p * w->ns + s] <= T) {
                        e->postcodes_in++;
                        break;
                    }
            }
            for (size_t ci = 0; ci < w->nc; ci++) {
                const gm_customer *cu = &w->cs[ci];
                if (k && !(cu->service & (1u << (k - 1))))
                    continue;
                e->customers++;
                for (size_t s = 0; s < w->ns; s++)
                    if (offers(&w->ss[s], k) && gm__site_suits(&w->ss[s], cu) && cm->time_s[ci * w->ns + s] <= T) {
                        e->customers_in++;
                        break;
                    }
            }
        }
    }
    return GM_OK;
}

/* ---- per-point nearest -------------------------------------------------- */

static gm_status nearest(work *w, gm__coverage *c, int tm)
{
    const gm__matrix *cm = w->t->modes[tm].m, *pm = w->pm[tm];
    w->cust_best[tm] = gm__malloc((w->nc ? w->nc : 1) * sizeof(float));
    w->pc_best[tm] = gm__malloc((w->np ? w->np : 1) * sizeof(float));
    w->pc_arg[tm] = gm__malloc((w->np ? w->np : 1) * sizeof(int32_t));
    if (!w->cust_best[tm] || !w->pc_best[tm] || !w->pc_arg[tm])
        return nomem(w->ctx, "nearest sites");
    for (size_t i = 0; i < w->nc; i++) {
        float b = INFINITY;
        for (size_t s = 0; s < w->ns; s++)
            if (gm__site_suits(&w->ss[s], &w->cs[i]))
                b = fminf(b, cm->time_s[i * w->ns + s]);
        w->cust_best[tm][i] = b;
        for (int q = 0; q < GM__DFT_NTHR; q++)
            c->county_within[tm][q] += b <= gm__dft_minutes[q] * 60;
        if (isfinite(b)) {
            c->county_reached[tm]++;
            c->county_mean_near_min[tm] += b / 60;
        }
    }
    if (c->county_reached[tm])
        c->county_mean_near_min[tm] /= c->county_reached[tm];
    else
        c->county_mean_near_min[tm] = NAN;
    for (size_t p = 0; p < w->np; p++) {
        int32_t a = -1;
        for (size_t s = 0; s < w->ns; s++) {
            float t = pm->time_s[p * w->ns + s];
            if (isfinite(t) && (a < 0 || t < pm->time_s[p * w->ns + (size_t)a]))
                a = (int32_t)s;
        }
        w->pc_arg[tm][p] = a;
        w->pc_best[tm][p] = a < 0 ? INFINITY : pm->time_s[p * w->ns + (size_t)a];
    }
    return GM_OK;
}

/* ---- access index and capacity ----------------------------------------- */

/* The E2SFCA index over the zone's postcodes, the customers as demand. */
static gm_status access_index(work *w, gm__coverage *c, int tm, double d0)
{
    const gm__matrix *cm = w->t->modes[tm].m, *pm = w->pm[tm];
    double *cap = gm__malloc((w->ns ? w->ns : 1) * sizeof *cap);
    double *a = gm__malloc((w->np ? w->np : 1) * sizeof *a);
    double *sum = gm__calloc(c->nzones ? c->nzones : 1, sizeof *sum);
    gm_status st = GM_OK;
    if (!cap || !a || !sum)
        st = nomem(w->ctx, "the access index");
    for (size_t s = 0; st == GM_OK && s < w->ns; s++)
        cap[s] = w->ss[s].places_per_day;
    if (st == GM_OK)
        st = gm__e2sfca(w->ctx, cm->time_s, NULL, w->nc, cap, w->ns, pm->time_s, w->np, d0, a);
    for (size_t p = 0; st == GM_OK && p < w->np; p++)
        if (w->pzone[p] >= 0)
            sum[w->pzone[p]] += 100.0 * a[p]; /* places per 100 customers */
    for (size_t z = 0; st == GM_OK && z < c->nzones; z++)
        if (c->zones[z].postcodes)
            c->zones[z].access = sum[z] / c->zones[z].postcodes;
    gm__free(cap);
    gm__free(a);
    gm__free(sum);
    return st;
}

typedef struct elig {
    const work *w;
    const gm__matrix *cm;
    double T;
} elig;

static bool eligible(void *arg, size_t c, size_t s)
{
    const elig *e = arg;
    return gm__site_suits(&e->w->ss[s], &e->w->cs[c]) && e->cm->time_s[c * e->w->ns + s] <= e->T;
}

/* Customers who cannot be placed within T once places count (each customer
 * takes one of a site's places_per_day). */
static gm_status capacity(work *w, gm__coverage *c, int tm, double T)
{
    elig e = {w, w->t->modes[tm].m, T};
    int32_t *at = gm__malloc((w->nc ? w->nc : 1) * sizeof *at);
    uint32_t *cap = gm__malloc((w->ns ? w->ns : 1) * sizeof *cap);
    if (!at || !cap) {
        gm__free(at);
        gm__free(cap);
        return nomem(w->ctx, "placements");
    }
    for (size_t s = 0; s < w->ns; s++)
        cap[s] = w->ss[s].places_per_day > 0 ? (uint32_t)w->ss[s].places_per_day : 0;
    size_t placed;
    gm_status st = gm__place_max(w->ctx, w->nc, w->ns, cap, eligible, &e, at, &placed);
    for (size_t i = 0; st == GM_OK && i < w->nc; i++) {
        if (at[i] >= 0)
            continue;
        c->unmet_total++;
        if (w->czone[i] >= 0)
            c->zones[w->czone[i]].unmet++;
    }
    gm__free(at);
    gm__free(cap);
    return st;
}

/* ---- zones, underserved, gaps ------------------------------------------- */

static gm_status zone_figures(work *w, gm__coverage *c)
{
    const gm_config *cfg = w->cfg;
    int gm = cfg->coverage.gap_mode;
    double T = cfg->coverage.gap_minutes * 60, cut = cfg->travel.cutoff_min * 60;
    double *csum = gm__calloc(c->nzones * GM__TM_COUNT + 1, sizeof *csum);
    double *psum = gm__calloc(c->nzones * GM__TM_COUNT + 1, sizeof *psum);
    uint32_t *cn = gm__calloc(c->nzones * GM__TM_COUNT + 1, sizeof *cn), *pn = gm__calloc(c->nzones * GM__TM_COUNT + 1, sizeof *pn);
    double *exc = gm__calloc(c->nzones + 1, sizeof *exc), *sw = gm__calloc(c->nzones * GM__DFT_NTHR + 1, sizeof *sw);
    bool ok = csum && psum && cn && pn && exc && sw;
    for (int tm = 0; ok && tm < GM__TM_COUNT; tm++) {
        if (!(w->t->computed & (1u << tm)))
            continue;
        for (size_t i = 0; i < w->nc; i++)
            if (w->czone[i] >= 0 && isfinite(w->cust_best[tm][i])) {
                csum[(size_t)w->czone[i] * GM__TM_COUNT + (size_t)tm] += w->cust_best[tm][i];
                cn[(size_t)w->czone[i] * GM__TM_COUNT + (size_t)tm]++;
            }
        for (size_t p = 0; p < w->np; p++)
            if (w->pzone[p] >= 0 && isfinite(w->pc_best[tm][p])) {
                psum[(size_t)w->pzone[p] * GM__TM_COUNT + (size_t)tm] += w->pc_best[tm][p];
                pn[(size_t)w->pzone[p] * GM__TM_COUNT + (size_t)tm]++;
            }
    }
    for (size_t z = 0; ok && z < c->nzones; z++)
        for (int tm = 0; tm < GM__TM_COUNT; tm++) {
            size_t k = z * GM__TM_COUNT + (size_t)tm;
            if (cn[k])
                c->zones[z].cust_near_min[tm] = csum[k] / cn[k] / 60;
            if (pn[k])
                c->zones[z].pc_near_min[tm] = psum[k] / pn[k] / 60;
        }
    /* The DfT measures and the demand beyond the threshold, in the gap mode.
     * Demand units are the zone's customers, or its postcodes where it has no
     * customers (the potential demand). */
    const gm__matrix *pm = w->pm[gm];
    for (size_t i = 0; ok && i < w->nc; i++) {
        int32_t z = w->czone[i];
        if (z < 0)
            continue;
        float b = w->cust_best[gm][i];
        for (int q = 0; q < GM__DFT_NTHR; q++)
            c->zones[z].cust_within[q] += b <= gm__dft_minutes[q] * 60;
        if (!(b <= T)) {
            c->zones[z].demand_out++;
            exc[z] += (fmin(b, cut) - T) / 60;
        }
    }
    for (size_t p = 0; ok && p < w->np; p++) {
        int32_t z = w->pzone[p];
        if (z < 0)
            continue;
        for (int q = 0; q < GM__DFT_NTHR; q++) {
            uint32_t k = 0;
            for (size_t s = 0; s < w->ns && k < 10; s++)
                k += pm->time_s[p * w->ns + s] <= gm__dft_minutes[q] * 60;
            sw[(size_t)z * GM__DFT_NTHR + (size_t)q] += k;
        }
        if (c->zones[z].customers == 0 && !(w->pc_best[gm][p] <= T)) {
            c->zones[z].demand_out++;
            exc[z] += (fmin(w->pc_best[gm][p], cut) - T) / 60;
        }
    }
    for (size_t z = 0; ok && z < c->nzones; z++) {
        gm__zone *zn = &c->zones[z];
        uint32_t units = zn->customers ? zn->customers : zn->postcodes;
        zn->excess_min = units ? exc[z] / units : 0;
        for (int q = 0; q < GM__DFT_NTHR; q++)
            zn->sites_within[q] = zn->postcodes ? sw[z * GM__DFT_NTHR + (size_t)q] / zn->postcodes : NAN;
    }
    gm__free(csum);
    gm__free(psum);
    gm__free(cn);
    gm__free(pn);
    gm__free(exc);
    gm__free(sw);
    return ok ? GM_OK : nomem(w->ctx, "zone figures");
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static gm_status underserved(work *w, gm__coverage *c)
{
    const gm_config *cfg = w->cfg;
    double *v = gm__malloc((c->nzones ? c->nzones : 1) * sizeof *v);
    if (!v)
        return nomem(w->ctx, "underserved zones");
    size_t n = 0;
    for (size_t z = 0; z < c->nzones; z++)
        if (isfinite(c->zones[z].access))
            v[n++] = c->zones[z].access;
    qsort(v, n, sizeof *v, cmp_double);
    c->median_access = n ? (n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2) : NAN;
    gm__free(v);
    const char *mode = gm__travel_mode_names[cfg->coverage.gap_mode];
    for (size_t z = 0; z < c->nzones; z++) {
        gm__zone *zn = &c->zones[z];
        uint32_t units = zn->customers ? zn->customers : zn->postcodes;
        if (!units)
            continue;
        size_t len = 0;
        /* Most of the zone's demand without a suitable site within the threshold. */
        if (2 * zn->demand_out > units) {
            zn->underserved = true;
            len += (size_t)snprintf(zn->reason + len, sizeof zn->reason - len,
                                    "%s without a suitable site within %g min by %s",
                                    zn->customers ? "most customers" : "most postcodes",
                                    cfg->coverage.gap_minutes, mode);
        }
        if (isfinite(zn->access) && zn->access < cfg->coverage.access_ratio * c->median_access &&
            len < sizeof zn->reason) {
            zn->underserved = true;
            len += (size_t)snprintf(zn->reason + len, sizeof zn->reason - len,
                                    "%saccess index %.2f below %g x the county median %.2f", len ? "; " : "",
                                    zn->access, cfg->coverage.access_ratio, c->median_access);
        }
        /* Dial-a-ride or community transport that the timetables miss: the
         * zone stays underserved by the modes measured, and says it is served. */
        if (zn->underserved && zn->community_transport && len < sizeof zn->reason)
            snprintf(zn->reason + len, sizeof zn->reason - len, "; community transport serves it");
    }
    return GM_OK;
}

static size_t uf_find(size_t *up, size_t i)
{
    while (up[i] != i)
        i = up[i] = up[up[i]];
    return i;
}

typedef struct gapsort {
    double score, pc_score;
    size_t root;
} gapsort;

static int cmp_gap(const void *a, const void *b)
{
    const gapsort *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    if (x->pc_score != y->pc_score)
        return x->pc_score > y->pc_score ? -1 : 1;
    return (x->root > y->root) - (x->root < y->root);
}

static void append(char *buf, size_t size, const char *sep, const char *s)
{
    size_t len = strlen(buf);
    if (len + strlen(sep) + strlen(s) + 4 >= size) {
        if (len + 4 < size && !strstr(buf, "..."))
            strcat(buf, "...");
        return;
    }
    if (len)
        strcat(buf, sep);
    strcat(buf, s);
}

static gm_status gaps(work *w, gm__coverage *c)
{
    GEOSContextHandle_t h = w->h;
    size_t nz = c->nzones;
    size_t *up = gm__malloc((nz ? nz : 1) * sizeof *up);
    gapsort *gs = gm__calloc(nz ? nz : 1, sizeof *gs);
    double *stime = gm__calloc(w->ns ? w->ns : 1, sizeof *stime);
    uint32_t *scount = gm__calloc(w->ns ? w->ns : 1, sizeof *scount);
    gm_status st = GM_OK;
    if (!up || !gs || !stime || !scount) {
        st = nomem(w->ctx, "gap areas");
        goto done;
    }
    for (size_t z = 0; z < nz; z++)
        up[z] = z;
    /* Adjacent (touching) underserved zones form one gap area. */
    for (size_t a = 0; a < nz; a++) {
        if (!c->zones[a].underserved)
            continue;
        for (size_t b = a + 1; b < nz; b++)
            if (c->zones[b].underserved && GEOSIntersects_r(h, c->zones[a].geom, c->zones[b].geom) == 1)
                up[uf_find(up, b)] = uf_find(up, a);
    }
    size_t ng = 0;
    int gm = w->cfg->coverage.gap_mode;
    for (size_t z = 0; z < nz; z++) {
        if (!c->zones[z].underserved || uf_find(up, z) != z)
            continue;
        gapsort *g = &gs[ng++];
        g->root = z;
        double cust_exc = 0, pc_exc = 0;
        for (size_t y = z; y < nz; y++)
            if (c->zones[y].underserved && uf_find(up, y) == z) {
                double units = c->zones[y].customers ? c->zones[y].customers : c->zones[y].postcodes;
                if (c->zones[y].customers)
                    cust_exc += c->zones[y].excess_min * units;
                else
                    pc_exc += c->zones[y].excess_min * units;
            }
        g->score = cust_exc;
        g->pc_score = pc_exc;
    }
    qsort(gs, ng, sizeof *gs, cmp_gap);
    c->gaps = gm__calloc(ng ? ng : 1, sizeof *c->gaps);
    if (!c->gaps) {
        st = nomem(w->ctx, "gap areas");
        goto done;
    }
    for (size_t k = 0; k < ng; k++) {
        gm__gap *g = &c->gaps[k];
        size_t root = gs[k].root, nmem = 0;
        g->rank = (int)k + 1;
        snprintf(g->id, sizeof g->id, "G%03u", (unsigned)(k + 1) % 100000u);
        GEOSGeometry **parts = gm__malloc(nz * sizeof *parts);
        if (!parts) {
            st = nomem(w->ctx, "gap areas");
            goto done;
        }
        double exc = 0, units = 0;
        memset(stime, 0, w->ns * sizeof *stime);
        memset(scount, 0, w->ns * sizeof *scount);
        for (size_t y = 0; y < nz; y++) {
            gm__zone *zn = &c->zones[y];
            if (!zn->underserved || uf_find(up, y) != root)
                continue;
            zn->gap = (int)k;
            parts[nmem++] = GEOSGeom_clone_r(h, zn->geom);
            g->nzones++;
            g->customers += zn->customers;
            g->postcodes += zn->postcodes;
            g->demand_out += zn->demand_out;
            g->unmet += zn->unmet;
            double u = zn->customers ? zn->customers : zn->postcodes;
            exc += zn->excess_min * u;
            units += u;
            append(g->zones, sizeof g->zones, ", ", zn->id);
            static const char *const why[2] = {"no suitable site within the threshold", "low access index"};
            bool has[2] = {strstr(zn->reason, "without") != NULL, strstr(zn->reason, "access index") != NULL};
            for (int r = 0; r < 2; r++)
                if (has[r] && !strstr(g->reasons, why[r]))
                    append(g->reasons, sizeof g->reasons, "; ", why[r]);
        }
        g->excess_min = units ? exc / units : 0;
        g->score = gs[k].score;
        GEOSGeometry *coll = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, parts, (unsigned)nmem);
        gm__free(parts);
        g->geom = coll ? GEOSUnaryUnion_r(h, coll) : NULL;
        if (coll)
            GEOSGeom_destroy_r(h, coll);
        if (!g->geom) {
            st = gm__err(w->ctx, GM_E_GEOMETRY, "coverage: gap area %s could not be merged", g->id);
            goto done;
        }
        /* The existing sites its postcodes reach first, most often first. */
        for (size_t p = 0; p < w->np; p++) {
            int32_t z = w->pzone[p], a = w->pc_arg[gm][p];
            if (z >= 0 && c->zones[z].gap == (int)k && a >= 0) {
                scount[a]++;
                stime[a] += w->pc_best[gm][p];
            }
        }
        for (int r = 0; r < 3; r++) {
            size_t b = w->ns;
            for (size_t s = 0; s < w->ns; s++)
                if (scount[s] && (b == w->ns || scount[s] > scount[b]))
                    b = s;
            if (b == w->ns)
                break;
            char item[160];
            const char *nm = w->ss[b].site_name[0] ? w->ss[b].site_name : w->ss[b].provider_name;
            snprintf(item, sizeof item, "%s (%s, %.0f min)", nm, w->ss[b].site_id, stime[b] / scount[b] / 60);
            append(g->nearest, sizeof g->nearest, "; ", item);
            scount[b] = 0;
        }
    }
    c->ngaps = ng;
done:
    gm__free(up);
    gm__free(gs);
    gm__free(stime);
    gm__free(scount);
    return st;
}

/* ---- driver -------------------------------------------------------------- */

gm_status gm__coverage_run(gm_ctx *ctx, const gm_config *cfg, const gm_inputs *in, const gm_pcdir *dir,
                           const gm__travel *t, gm__coverage **out)
{
    work w = {.ctx = ctx, .cfg = cfg, .t = t, .h = gm__geos(ctx)};
    if (!w.h)
        return gm__err(ctx, GM_E_GEOMETRY, "cannot start GEOS");
    w.cs = gm_inputs_customers(in, &w.nc);
    w.ss = gm_inputs_sites(in, &w.ns);
    gm__coverage *c = gm__calloc(1, sizeof *c);
    int32_t *labels = NULL;
    float *best = NULL;
    gm_status st = GM_OK;
    if (!c)
        return nomem(ctx, "coverage");
    if (!(t->computed & (1u << cfg->coverage.gap_mode))) {
        st = gm__err(ctx, GM_E_CONFIG, "[coverage] gap_mode = %s was not computed by the travel stage",
                     gm__travel_mode_names[cfg->coverage.gap_mode]);
        goto done;
    }
    gm__log(ctx, GM_LOG_INFO, "Coverage: area, zones and demand");
    if ((st = load_boundary(&w, c)) != GM_OK || (st = load_zones(&w, c)) != GM_OK ||
        (st = demand_points(&w, c, dir)) != GM_OK || (st = make_grid(&w, c)) != GM_OK)
        goto done;
    size_t ncell = (size_t)c->grid.nx * c->grid.ny, ntm = 0, nthr = 0;
    c->cells = ncell;
    for (int tm = 0; tm < GM__TM_COUNT; tm++)
        if (t->computed & (1u << tm)) {
            ntm++;
            nthr += (size_t)cfg->coverage.nminutes[tm];
        }
    labels = gm__malloc(ncell * sizeof *labels);
    best = gm__malloc(ncell * sizeof *best);
    c->catch = gm__calloc(w.ns * nthr + 1, sizeof *c->catch);
    c->part = gm__calloc(w.ns * ntm + 1, sizeof *c->part);
    c->cov = gm__calloc(GM__NSERVICE * nthr + 1, sizeof *c->cov);
    if (!labels || !best || !c->catch || !c->part || !c->cov) {
        st = nomem(ctx, "coverage");
        goto done;
    }
    for (int tm = 0; tm < GM__TM_COUNT; tm++) {
        if (!(t->computed & (1u << tm)))
            continue;
        gm__log(ctx, GM_LOG_INFO, "Coverage (%s): %zu postcodes and %zu cells of %.0f m", gm__travel_mode_names[tm],
                w.np, ncell, c->grid.cell_m);
        if ((st = points_matrix(&w, tm, w.px, w.py, w.np, &w.pm[tm])) != GM_OK ||
            (st = cell_matrices(&w, c, tm)) != GM_OK || (st = nearest(&w, c, tm)) != GM_OK ||
            (st = catchments(&w, c, tm, labels)) != GM_OK || (st = partition(&w, c, tm, labels)) != GM_OK ||
            (st = coverage_polys(&w, c, tm, labels, best)) != GM_OK)
            goto done;
        /* The cell matrix is the largest thing here: free it once traced
         * (the bus mode's walk mode keeps it: walking caps the bus times). */
        if (!((t->computed & GM__TM_BUS) && tm == t->bus.walk_tm)) {
            gm__free(w.cell_t[tm]);
            w.cell_t[tm] = NULL;
        }
    }
    int gm = cfg->coverage.gap_mode;
    if ((st = zone_figures(&w, c)) != GM_OK ||
        (st = access_index(&w, c, gm, cfg->coverage.gap_minutes * 60)) != GM_OK ||
        (st = capacity(&w, c, gm, cfg->coverage.gap_minutes * 60)) != GM_OK || (st = underserved(&w, c)) != GM_OK ||
        (st = gaps(&w, c)) != GM_OK)
        goto done;
    *out = c;
    c = NULL;
done:
    gm__coverage_free(ctx, c);
    gm__free(labels);
    gm__free(best);
    for (int tm = 0; tm < GM__TM_COUNT; tm++) {
        gm__matrix_free(w.pm[tm]);
        gm__free(w.cell_t[tm]);
        gm__free(w.cust_best[tm]);
        gm__free(w.pc_best[tm]);
        gm__free(w.pc_arg[tm]);
    }
    gm__free(w.px);
    gm__free(w.py);
    gm__free(w.pzone);
    gm__free(w.czone);
    return st;
}

void gm__coverage_free(gm_ctx *ctx, gm__coverage *c)
{
    if (!c)
        return;
    GEOSContextHandle_t h = gm__geos(ctx);
#define DROP(g)                           \
    do {                                  \
        if ((g) && h)                     \
            GEOSGeom_destroy_r(h, (g));   \
    } while (0)
    DROP(c->boundary);
    for (size_t i = 0; c->catch && i < c->ncatch; i++)
        DROP(c->catch[i].geom);
    for (size_t i = 0; c->part && i < c->npart; i++)
        DROP(c->part[i].geom);
    for (size_t i = 0; c->cov && i < c->ncov; i++)
        DROP(c->cov[i].geom);
    for (size_t i = 0; c->zones && i < c->nzones; i++) {
        DROP(c->zones[i].geom);
        gm__free(c->zones[i].id);
        gm__free(c->zones[i].name);
    }
    for (size_t i = 0; c->gaps && i < c->ngaps; i++)
        DROP(c->gaps[i].geom);
#undef DROP
    gm__free(c->catch);
    gm__free(c->part);
    gm__free(c->cov);
    gm__free(c->zones);
    gm__free(c->gaps);
    gm__free(c);
}
