/*
 * Writing the ranking stage: ranking.csv with the ranking layer (a line from
 * each customer to each listed site) and its QGIS style, eligibility.csv,
 * assignment.csv, spend.csv, and summary["ranking"].
 *
 * As in coverwrite.c, every output is a table: one row function fills the
 * values of a row, and the same values go to the layer and to the CSV, so the
 * two never disagree.  ranking, eligibility and assignment hold one row per
 * person and are restricted; spend.csv and the summary are shareable: a count
 * of placements below the suppression threshold is written as "*" (null in
 * the summary) with the spend that goes with it (see withhold() in rank.c).
 * No output holds a name: customers are their pseudonymous ids.
 */
#include "rank.h"

#include "../geo/geoctx.h"
#include "../io/laytab.h"
#include "coverage.h"

#include <geos_c.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct wctx {
    gm_ctx *ctx;
    const gm__rank_in *in;
    const gm__ranking *r;
    size_t c, k;            /* ranking rows: the next customer and list position */
    GEOSGeometry *line;     /* the current row's geometry, destroyed at the next row */
    char text[2][1024];     /* the current row's sentences */
} wctx;

static gm__value vs(const char *s) { return (gm__value){.s = s}; }
static gm__value vi(int64_t i) { return (gm__value){.i = i}; }
static gm__value vd(double d) { return (gm__value){.d = d, .is_null = !isfinite(d)}; }
static gm__value vnull(void) { return (gm__value){.is_null = true}; }

static const char *site_label(const gm_site *s)
{
    return s->site_name && s->site_name[0] ? s->site_name : s->provider_name;
}

static const char *str(const char *s)
{
    return s ? s : "";
}

/* ---- ranking: one row per customer x rank ---- */
static const gm__field_def RANK_F[] = {
    {"customer_id", GM__FT_STRING, 0},   {"rank", GM__FT_INT, 0},
    {"site_id", GM__FT_STRING, 0},       {"site_name", GM__FT_STRING, 0},
    {"provider", GM__FT_STRING, 0},      {"mode", GM__FT_STRING, 0},
    {"minutes", GM__FT_REAL, 1},         {"time_pts", GM__FT_REAL, 2},
    {"price_pts", GM__FT_REAL, 2},       {"status_pts", GM__FT_REAL, 2},
    {"preference_pts", GM__FT_REAL, 2},  {"continuity_pts", GM__FT_REAL, 2},
    {"score", GM__FT_REAL, 2},           {"free_places", GM__FT_INT, 0},
    {"why", GM__FT_STRING, 0},
};

static gm_status rank_row(void *arg, size_t i, gm__value *v, const void **geom, void **owned)
{
    wctx *w = arg;
    (void)owned;
    (void)i;
    const gm__ranking *r = w->r;
    while (w->k >= r->nlist[w->c])
        w->c++, w->k = 0;
    size_t c = w->c, k = w->k++;
    const gm__rank_entry *e = &r->list[c * r->top + k];
    const gm_customer *cu = &w->in->cs[c];
    const gm_site *s = &w->in->ss[e->site];
    gm__rank_why(w->in, r, c, e, w->text[0], sizeof w->text[0]);
    v[0] = vs(str(cu->id)), v[1] = vi((int64_t)k + 1), v[2] = vs(str(s->site_id)), v[3] = vs(str(site_label(s)));
    v[4] = vs(str(s->provider_name)), v[5] = vs(gm__travel_mode_names[r->mode[c]]), v[6] = vd(e->minutes);
    v[7] = vd(e->time_pts), v[8] = vd(e->price_pts), v[9] = vd(e->status_pts), v[10] = vd(e->preference_pts);
    v[11] = vd(e->continuity_pts), v[12] = vd(e->score), v[13] = vi(r->free_places[e->site]);
    v[14] = vs(w->text[0]);
    GEOSContextHandle_t h = gm__geos(w->ctx);
    if (!h)
        return gm__err(w->ctx, GM_E_NOMEM, "could not start GEOS");
    if (w->line)
        GEOSGeom_destroy_r(h, w->line);
    w->line = NULL;
    GEOSCoordSequence *seq = GEOSCoordSeq_create_r(h, 2, 2);
    if (seq && GEOSCoordSeq_setXY_r(h, seq, 0, cu->easting_m, cu->northing_m) &&
        GEOSCoordSeq_setXY_r(h, seq, 1, s->easting_m, s->northing_m))
        w->line = GEOSGeom_createLineString_r(h, seq); /* takes seq, even on failure */
    else if (seq)
        GEOSCoordSeq_destroy_r(h, seq);
    if (!w->line)
        return gm__err(w->ctx, GM_E_GEOMETRY, "ranking: could not make the line from customer %s to site %s",
                       str(cu->id), str(s->site_id));
    *geom = w->line;
    return GM_OK;
}

/* ---- eligibility: one row per customer x site ---- */
static const gm__field_def ELIG_F[] = {
    {"customer_id", GM__FT_STRING, 0},
    {"site_id", GM__FT_STRING, 0},
    {"eligible", GM__FT_STRING, 0},
    {"reasons", GM__FT_STRING, 0},
};

static gm_status elig_row(void *arg, size_t i, gm__value *v, const void **geom, void **owned)
{
    wctx *w = arg;
    (void)owned;
    (void)geom;
    size_t c = i / w->r->ns, s = i % w->r->ns;
    gm__rank_reasons(w->in, w->r, c, s, w->text[0], sizeof w->text[0]);
    v[0] = vs(str(w->in->cs[c].id)), v[1] = vs(str(w->in->ss[s].site_id));
    v[2] = vs(gm__rank_excluded(w->r, c, s) ? "no" : "yes"), v[3] = vs(w->text[0]);
    return GM_OK;
}

/* ---- assignment: one row per customer ---- */
static const gm__field_def ASSIGN_F[] = {
    {"customer_id", GM__FT_STRING, 0},       {"current_site", GM__FT_STRING, 0},
    {"assigned_site", GM__FT_STRING, 0},     {"mode", GM__FT_STRING, 0},
    {"minutes_now", GM__FT_REAL, 1},         {"minutes_assigned", GM__FT_REAL, 1},
    {"minutes_saved", GM__FT_REAL, 1},       {"weekly_cost_now", GM__FT_REAL, 2},
    {"weekly_cost_assigned", GM__FT_REAL, 2}, {"within_goal", GM__FT_STRING, 0},
    {"note", GM__FT_STRING, 0},
};

/* Why customer c was placed where they were, or not placed. */
static void assign_note(wctx *w, size_t c, char *buf, size_t size)
{
    const gm__rank_in *in = w->in;
    const gm__ranking *r = w->r;
    const gm_customer *cu = &in->cs[c];
    int32_t a = r->assigned[c], cur = cu->current_site;
    int tm = r->mode[c];
    const char *mode = gm__rank_mode_words(tm);
    gm__rank_entry e;
    if (a >= 0) {
        const char *choice = cu->preferred_site == a ? "; their stated choice" : "";
        if (a == cur) {
            snprintf(buf, size, "stays at their current site%s", choice);
        } else if (cur < 0) {
            snprintf(buf, size, "new placement%s", choice);
        } else if (!gm__rank_assignable(in, r, c, (size_t)cur)) {
            char why[512];
            gm__rank_reasons(in, r, c, (size_t)cur, why, sizeof why);
            if (!(gm__rank_excluded(r, c, (size_t)cur) & ~(unsigned)GM__RX_FULL) &&
                gm__rank_score(in, r, c, (size_t)cur, &e))
                snprintf(why, sizeof why, "%.0f min %s, beyond their %g-minute goal", e.minutes, mode,
                         r->goal_min[c]);
            snprintf(buf, size, "moves (current site: %s)%s", why, choice);
        } else {
            gm__rank_entry now, then;
            gm__rank_score(in, r, c, (size_t)cur, &now);
            gm__rank_score(in, r, c, (size_t)a, &then);
            snprintf(buf, size, "moves: scores %.2f there against %.2f at their current site%s%s", then.score, now.score,
                     then.score > now.score ? " (its places are needed by others)" : "", choice);
        }
        return;
    }
    if (r->nassignable[c]) {
        snprintf(buf, size, "not placed: the suitable sites within their %g-minute goal %s are taken",
                 r->goal_min[c], mode);
        return;
    }
    double nearest = INFINITY;
    for (size_t s = 0; s < r->ns; s++)
        if (!(gm__rank_excluded(r, c, s) & ~(unsigned)GM__RX_FULL) && gm__rank_score(in, r, c, s, &e) &&
            e.minutes < nearest)
            nearest = e.minutes;
    if (isfinite(nearest))
        snprintf(buf, size, "not placed: no suitable site within their %g-minute goal %s (the nearest is %.0f min)",
                 r->goal_min[c], mode, nearest);
    else
        snprintf(buf, size, "not placed: no suitable site (eligibility.csv gives each site's reasons)");
}

static gm_status assign_row(void *arg, size_t c, gm__value *v, const void **geom, void **owned)
{
    wctx *w = arg;
    (void)owned;
    (void)geom;
    const gm__rank_in *in = w->in;
    const gm__ranking *r = w->r;
    const gm_customer *cu = &in->cs[c];
    int32_t a = r->assigned[c], cur = cu->current_site;
    gm__rank_entry now, then;
    double m_now = cur >= 0 && gm__rank_score(in, r, c, (size_t)cur, &now) ? now.minutes : NAN;
    double m_then = a >= 0 && gm__rank_score(in, r, c, (size_t)a, &then) ? then.minutes : NAN;
    double cost_then = a >= 0 ? in->ss[a].price_per_day * gm__rank_days_a_week(cu) : NAN;
    assign_note(w, c, w->text[0], sizeof w->text[0]);
    v[0] = vs(str(cu->id)), v[1] = vs(cur >= 0 ? str(in->ss[cur].site_id) : "");
    v[2] = vs(a >= 0 ? str(in->ss[a].site_id) : ""), v[3] = vs(gm__travel_mode_names[r->mode[c]]);
    v[4] = vd(m_now), v[5] = vd(m_then), v[6] = vd(m_now - m_then), v[7] = vd(cu->weekly_cost);
    v[8] = vd(cost_then), v[9] = vs(gm__rank_within_goal(r, c) ? "yes" : "no"), v[10] = vs(w->text[0]);
    return GM_OK;
}

/* ---- spend: providers, then statuses ---- */
static const gm__field_def SPEND_F[] = {
    {"group_by", GM__FT_STRING, 0},   {"key", GM__FT_STRING, 0},
    {"placements", GM__FT_INT, 0},    {"weekly_spend", GM__FT_REAL, 2},
    {"placements_costed", GM__FT_INT, 0},
};
static const bool SPEND_P[] = {0, 0, 1, 1, 1};

static gm_status spend_row(void *arg, size_t i, gm__value *v, const void **geom, void **owned)
{
    wctx *w = arg;
    (void)owned;
    (void)geom;
    const gm__ranking *r = w->r;
    bool prov = i < r->nproviders;
    const gm__spend_group *g = prov ? &r->by_provider[i] : &r->by_status[i - r->nproviders];
    const gm_config *cfg = w->in->cfg;
    int64_t p, k;
    v[0] = vs(prov ? "provider" : "status"), v[1] = vs(str(g->key));
    v[2] = !g->withheld && gm__shareable(cfg, g->placements, &p) ? vi(p) : vnull();
    v[3] = !g->spend_withheld ? vd(g->weekly_spend) : vnull();
    v[4] = !g->spend_withheld && gm__shareable(cfg, g->costed, &k) ? vi(k) : vnull();
    return GM_OK;
}

gm_status gm__rank_write(gm_ctx *ctx, const char *restricted, const char *shareable, const gm__rank_in *in,
                         const gm__ranking *r)
{
    if (!restricted || !shareable || !in || !in->cfg || !r)
        return gm__err(ctx, GM_E_ARG, "ranking: missing argument");
    wctx w = {.ctx = ctx, .in = in, .r = r};
    size_t nrank = 0;
    for (size_t c = 0; c < r->nc; c++)
        nrank += r->nlist[c];
    /* Rank classes: 1st, 2nd, 3rd, then the rest of the list. */
    static const char *const labels[] = {"1st choice", "2nd choice", "3rd choice", "4th and after"};
    gm__qml_class cls[4];
    size_t ncls = r->top < 4 ? r->top : 4;
    for (size_t k = 0; k < ncls; k++)
        cls[k] = (gm__qml_class){(double)k, k == 3 ? (double)r->top : (double)k + 1, NULL, labels[k],
                                 gm__qml_ramp(k, ncls)};
    const gm__qml_style style = {GM__GT_LINE, GM__QML_GRADUATED, "rank", cls, ncls, NULL, 1, NULL, 0.5, NULL, NULL};
    const gm__laytab tabs[] = {
        {"ranking", GM__GT_LINE, 15, RANK_F, NULL, nrank, rank_row, &w, &style, true,
         "Each customer's shortlist of suitable sites, scored and explained (restricted)", false},
        /* every customer and site: grows as the matrix does, so CSV only */
        {"eligibility", GM__GT_POINT, 4, ELIG_F, NULL, r->nc * r->ns, elig_row, &w, NULL, false, NULL,
         false},
        {"assignment", GM__GT_POINT, 11, ASSIGN_F, NULL, r->nc, assign_row, &w, NULL, false,
         "Everyone placed at once without over-filling a site (restricted)", true},
        {"spend", GM__GT_POINT, 5, SPEND_F, SPEND_P, r->nproviders + 3, spend_row, &w, NULL, false,
         "Placements and weekly spend by provider and framework status (small counts withheld)", true},
    };
    gm_status st = GM_OK;
    for (size_t k = 0; st == GM_OK && k < sizeof tabs / sizeof *tabs; k++)
        if (k != 2 || r->assign != GM__ASSIGN_NONE)
            st = gm__laytab_write(ctx, k == 3 ? shareable : restricted, in->cfg->formats, &tabs[k]);
    if (w.line)
        GEOSGeom_destroy_r(gm__geos(ctx), w.line);
    return st;
}

/* ---- summary.json ---- */

static void add_count(const gm_config *cfg, cJSON *o, const char *key, uint32_t v)
{
    int64_t x;
    if (gm__shareable(cfg, v, &x))
        cJSON_AddNumberToObject(o, key, (double)x);
    else
        cJSON_AddNullToObject(o, key);
}

/* A figure that sums over n people: shown when n may be. */
static void add_figure(const gm_config *cfg, cJSON *o, const char *key, uint32_t n, double v, double scale)
{
    int64_t x;
    if (n && isfinite(v) && gm__shareable(cfg, n, &x))
        cJSON_AddNumberToObject(o, key, round(v * scale) / scale);
    else
        cJSON_AddNullToObject(o, key);
}

static void add_group(const gm_config *cfg, cJSON *o, const gm__spend_group *g)
{
    int64_t x;
    if (!g->withheld && gm__shareable(cfg, g->placements, &x))
        cJSON_AddNumberToObject(o, "placements", (double)x);
    else
        cJSON_AddNullToObject(o, "placements");
    if (!g->spend_withheld)
        cJSON_AddNumberToObject(o, "weekly_spend", round(g->weekly_spend * 100) / 100);
    else
        cJSON_AddNullToObject(o, "weekly_spend");
}

gm_status gm__rank_summary(gm_ctx *ctx, const gm__rank_in *in, const gm__ranking *r, cJSON *summary)
{
    const gm_config *cfg = in->cfg;
    static const char *const methods[] = {"none", "need_order", "min_cost"};
    cJSON *root = cJSON_AddObjectToObject(summary, "ranking");
    if (root) {
        cJSON_AddStringToObject(root, "assign", (unsigned)r->assign < 3 ? methods[r->assign] : "");
        cJSON_AddNumberToObject(root, "top", (double)r->top);
    }
    cJSON *wt = root ? cJSON_AddObjectToObject(root, "weights") : NULL;
    if (!wt)
        return gm__err(ctx, GM_E_NOMEM, "out of memory writing summary.json");
    cJSON_AddNumberToObject(wt, "time", cfg->ranking.w_time);
    cJSON_AddNumberToObject(wt, "price", cfg->ranking.w_price);
    cJSON_AddNumberToObject(wt, "spot", cfg->ranking.w_spot);
    cJSON_AddNumberToObject(wt, "legacy", cfg->ranking.w_legacy);
    cJSON_AddNumberToObject(wt, "preference", cfg->ranking.w_preference);
    cJSON_AddNumberToObject(wt, "continuity", cfg->ranking.w_continuity);
    cJSON_AddBoolToObject(root, "allow_out_of_area", cfg->ranking.allow_out_of_area);
    if (isfinite(r->median_price))
        cJSON_AddNumberToObject(root, "median_price_per_day", round(r->median_price * 100) / 100);
    else
        cJSON_AddNullToObject(root, "median_price_per_day");
    uint32_t none = 0;
    for (size_t c = 0; c < r->nc; c++)
        none += r->neligible[c] == 0;
    add_count(cfg, root, "customers", (uint32_t)r->nc);
    add_count(cfg, root, "customers_with_no_eligible_site", none);
    if (r->assign != GM__ASSIGN_NONE) {
        cJSON *a = cJSON_AddObjectToObject(root, "assignment");
        if (!a)
            return gm__err(ctx, GM_E_NOMEM, "out of memory writing summary.json");
        uint32_t stay = 0, moved = 0, fresh = 0;
        for (size_t c = 0; c < r->nc; c++) {
            int32_t at = r->assigned[c], cur = in->cs[c].current_site;
            stay += at >= 0 && at == cur;
            moved += at >= 0 && cur >= 0 && at != cur;
            fresh += at >= 0 && cur < 0;
        }
        add_count(cfg, a, "placed_within_goal", (uint32_t)r->placed);
        add_count(cfg, a, "not_placed_within_goal", (uint32_t)(r->nc - r->placed));
        add_count(cfg, a, "staying", stay);
        add_count(cfg, a, "moving", moved);
        add_count(cfg, a, "new_placements", fresh);
        add_count(cfg, a, "customers_compared_time", r->time_compared);
        add_figure(cfg, a, "minutes_saved_total", r->time_compared, r->minutes_saved, 10);
        add_figure(cfg, a, "minutes_saved_mean", r->time_compared,
                   r->time_compared ? r->minutes_saved / r->time_compared : NAN, 10);
        add_count(cfg, a, "customers_compared_spend", r->spend_compared);
        add_figure(cfg, a, "weekly_spend_change", r->spend_compared, r->weekly_spend_change, 100);
        add_count(cfg, a, "customers_compared_spend_moving", r->spend_compared_movers);
        add_figure(cfg, a, "weekly_spend_change_moving", r->spend_compared_movers, r->weekly_spend_change_movers,
                   100);
    }
    cJSON *sp = cJSON_AddObjectToObject(root, "spend");
    if (sp)
        add_group(cfg, sp, &r->total);
    cJSON *bs = sp ? cJSON_AddObjectToObject(sp, "by_status") : NULL;
    if (!bs)
        return gm__err(ctx, GM_E_NOMEM, "out of memory writing summary.json");
    for (int k = 0; k < 3; k++) {
        cJSON *o = cJSON_AddObjectToObject(bs, r->by_status[k].key);
        if (!o)
            return gm__err(ctx, GM_E_NOMEM, "out of memory writing summary.json");
        add_group(cfg, o, &r->by_status[k]);
    }
    return GM_OK;
}
