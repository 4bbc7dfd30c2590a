/*
 * Writing the journeys: the restricted layer and review list (one row per
 * placement, pseudonymous ids, never a name) and the shareable summary table
 * (per flag, per provider, per small area; small counts withheld).
 */
#include "journeys.h"

#include "../geo/geoctx.h"
#include "../io/laytab.h"
#include "coverage.h"

#include <geos_c.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct jw {
    gm_ctx *ctx;
    const gm__journeys_in *in;
    const gm__journeys *js;
    const size_t *order;    /* review order: worst first */
    GEOSContextHandle_t h;
    char flags[160], alts[480];
} jw;

static const gm__field_def J_F[] = {
    {"customer_id", GM__FT_STRING, 0}, {"site_id", GM__FT_STRING, 0},      {"site_name", GM__FT_STRING, 0},
    {"transport", GM__FT_STRING, 0},   {"mode", GM__FT_STRING, 0},         {"minutes", GM__FT_REAL, 1},
    {"goal_min", GM__FT_REAL, 0},      {"excess_min", GM__FT_REAL, 1},     {"car_min", GM__FT_REAL, 1},
    {"walk_min", GM__FT_REAL, 1},      {"walk_slow_min", GM__FT_REAL, 1},  {"cycle_min", GM__FT_REAL, 1},
    {"car_km", GM__FT_REAL, 2},        {"flags", GM__FT_STRING, 0},        {"n_flags", GM__FT_INT, 0},
    {"alternatives", GM__FT_STRING, 0}, {"bus_min", GM__FT_REAL, 1},
};
#define MODE_NAMES gm__travel_mode_names

static gm__value vs(const char *s) { return (gm__value){.s = s, .is_null = !s || !*s}; }
static gm__value vd(double d) { return (gm__value){.d = d, .is_null = !isfinite(d)}; }
static gm__value vi(int64_t i) { return (gm__value){.i = i}; }

static const char *site_label(const gm_site *s)
{
    return s->site_name[0] ? s->site_name : s->provider_name;
}

static gm_status j_row(void *arg, size_t i, gm__value *v, const void **geom, void **owned)
{
    jw *w = arg;
    const gm__journey *j = &w->js->j[w->order ? w->order[i] : i];
    const gm_customer *c = &w->in->cs[j->cust];
    const gm_site *s = &w->in->ss[j->site];
    gm__journey_flags_text(j->flags, w->flags, sizeof w->flags);
    size_t len = 0;
    w->alts[0] = '\0';
    for (int k = 0; k < j->nalt && len < sizeof w->alts; k++) {
        const gm_site *a = &w->in->ss[j->alt[k]];
        len += (size_t)snprintf(w->alts + len, sizeof w->alts - len, "%s%s %s (%.0f min)", k ? "; " : "", a->site_id,
                                site_label(a), j->alt_s[k] / 60);
    }
    int n = 0;
    for (int k = 0; k < GM__JF_COUNT; k++)
        n += (int)((j->flags >> k) & 1u);
    double minutes = j->mode >= 0 ? j->time_s[j->mode] / 60 : NAN;
    v[0] = vs(c->id), v[1] = vs(s->site_id), v[2] = vs(site_label(s)), v[3] = vs(gm_transport_code(c->transport));
    v[4] = vs(j->mode >= 0 ? MODE_NAMES[j->mode] : ""), v[5] = vd(minutes);
    v[6] = vd(j->mode >= 0 ? j->goal_min[j->mode] : NAN), v[7] = vd(j->excess_min);
    for (int m = 0; m < 4; m++)
        v[8 + m] = vd(j->time_s[m] / 60);
    v[12] = vd(j->dist_m[0] / 1000), v[13] = vs(w->flags), v[14] = vi(n), v[15] = vs(w->alts);
    v[16] = vd(j->time_s[GM__TM_BUS_INDEX] / 60);
    /* A straight line from home to the site, for display (the route is not drawn). */
    GEOSCoordSequence *seq = GEOSCoordSeq_create_r(w->h, 2, 2);
    GEOSGeometry *g = NULL;
    if (seq && GEOSCoordSeq_setXY_r(w->h, seq, 0, c->easting_m, c->northing_m) &&
        GEOSCoordSeq_setXY_r(w->h, seq, 1, s->easting_m, s->northing_m))
        g = GEOSGeom_createLineString_r(w->h, seq); /* takes seq, even on failure */
    else if (seq)
        GEOSCoordSeq_destroy_r(w->h, seq);
    if (!g)
        return gm__err(w->ctx, GM_E_GEOMETRY, "journeys: could not make the line from customer %s to site %s", c->id,
                       s->site_id);
    *owned = g;
    *geom = g;
    return GM_OK;
}

/* Review order: most minutes over the goal first, then file order. */
typedef struct rkey {
    double excess;
    size_t i;
} rkey;

static int cmp_review(const void *a, const void *b)
{
    const rkey *x = a, *y = b;
    if (x->excess != y->excess)
        return x->excess > y->excess ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

/* ---- shareable summary: one row per (group, key) ---- */
typedef struct srow {
    const char *group;  /* "flag", "provider", "area", "all" */
    char key[64];
    uint32_t placements, flagged, over_goal, training;
    double minutes_sum;
    uint32_t minutes_n;
} srow;

static const gm__field_def S_F[] = {
    {"group", GM__FT_STRING, 0},      {"key", GM__FT_STRING, 0},      {"placements", GM__FT_INT, 0},
    {"flagged", GM__FT_INT, 0},       {"over_goal", GM__FT_INT, 0},  {"training_candidates", GM__FT_INT, 0},
    {"mean_minutes", GM__FT_REAL, 1},
};
static const bool S_P[] = {0, 0, 1, 1, 1, 1, 0};

typedef struct sw {
    const gm_config *cfg;
    const srow *rows;
} sw;

static gm_status s_row(void *arg, size_t i, gm__value *v, const void **geom, void **owned)
{
    (void)owned;
    *geom = NULL;
    const sw *w = arg;
    const srow *r = &w->rows[i];
    int64_t o;
    bool shown = gm__shareable(w->cfg, r->placements, &o);
    v[0] = vs(r->group), v[1] = vs(r->key), v[2] = gm__people_value(w->cfg, r->placements);
    v[3] = gm__people_value(w->cfg, r->flagged), v[4] = gm__people_value(w->cfg, r->over_goal), v[5] = gm__people_value(w->cfg, r->training);
    v[6] = shown && r->minutes_n ? vd(r->minutes_sum / r->minutes_n) : (gm__value){.is_null = true};
    return GM_OK;
}

static srow *find_row(srow *rows, size_t *n, const char *group, const char *key)
{
    for (size_t i = 0; i < *n; i++)
        if (rows[i].group == group && !strcmp(rows[i].key, key))
            return &rows[i];
    srow *r = &rows[(*n)++];
    memset(r, 0, sizeof *r);
    r->group = group;
    snprintf(r->key, sizeof r->key, "%s", key);
    return r;
}

static void add(srow *r, const gm__journey *j)
{
    r->placements++;
    r->flagged += j->flags != 0;
    r->over_goal += (j->flags & GM__JF_OVER_GOAL) != 0;
    r->training += (j->flags & GM__JF_TRAINING) != 0;
    if (j->mode >= 0 && isfinite(j->time_s[j->mode])) {
        r->minutes_sum += j->time_s[j->mode] / 60;
        r->minutes_n++;
    }
}

gm_status gm__journeys_write(gm_ctx *ctx, const char *restricted, const char *shareable,
                             const gm__journeys_in *in, const gm__journeys *js)
{
    size_t *order = gm__malloc((js->n ? js->n : 1) * sizeof *order);
    rkey *keys = gm__malloc((js->n ? js->n : 1) * sizeof *keys);
    /* Rows: all, each flag, each provider site, each small area: at most 1 + flags + 2n. */
    size_t cap = 1 + GM__JF_COUNT + 2 * js->n, nrows = 0;
    srow *rows = gm__calloc(cap, sizeof *rows);
    if (!order || !rows || !keys) {
        gm__free(order);
        gm__free(keys);
        gm__free(rows);
        return gm__err(ctx, GM_E_NOMEM, "out of memory writing the journeys");
    }
    for (size_t i = 0; i < js->n; i++)
        keys[i] = (rkey){js->j[i].excess_min, i};
    qsort(keys, js->n, sizeof *keys, cmp_review);
    for (size_t i = 0; i < js->n; i++)
        order[i] = keys[i].i;
    gm__free(keys);

    srow *all = find_row(rows, &nrows, "all", "all placements");
    for (int k = 0; k < GM__JF_COUNT; k++)
        find_row(rows, &nrows, "flag", gm__journey_flag_codes[k]);
    for (size_t i = 0; i < js->n; i++) {
        const gm__journey *j = &js->j[i];
        add(all, j);
        for (int k = 0; k < GM__JF_COUNT; k++)
            if (j->flags & (1u << k))
                add(&rows[1 + k], j);
        add(find_row(rows, &nrows, "provider", in->ss[j->site].site_id), j);
        const char *area = in->cs[j->cust].area;
        add(find_row(rows, &nrows, "area", area && *area ? area : "(none)"), j);
    }

    static const gm__qml_class excess[] = {
        {-1, 0, NULL, "within the goal", "#1a9641"},
        {0, 10, NULL, "up to 10 min over", "#fdae61"},
        {10, 30, NULL, "10-30 min over", "#f46d43"},
        {30, 1e9, NULL, "more than 30 min over", "#d7191c"},
    };
    const gm__qml_style style = {GM__GT_LINE, GM__QML_GRADUATED, "excess_min", excess, 4, NULL, 0.8, NULL, 0.5, NULL,
                                 NULL};
    jw w = {ctx, in, js, order, gm__geos(ctx), "", ""};
    jw wf = w;
    wf.order = NULL;
    sw s = {in->cfg, rows};
    const gm__laytab tabs[] = {
        {"journeys", GM__GT_LINE, 17, J_F, NULL, js->n, j_row, &wf, &style, true,
         "Each placement's journey against the independent-travel goals (restricted)", false},
        /* the journeys layer again, worst first: not repeated in the GeoPackage */
        {"journeys_review", GM__GT_LINE, 17, J_F, NULL, js->n, j_row, &w, NULL, false, NULL, false},
        {"journeys_summary", GM__GT_POINT, 7, S_F, S_P, nrows, s_row, &s, NULL, false,
         "Journeys per flag, provider and small area (small counts withheld)", true},
    };
    gm_status st = GM_OK;
    for (size_t k = 0; st == GM_OK && k < sizeof tabs / sizeof *tabs; k++)
        st = gm__laytab_write(ctx, k == 2 ? shareable : restricted, in->cfg->formats, &tabs[k]);
    gm__free(order);
    gm__free(rows);
    return st;
}
