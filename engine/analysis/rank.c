/*
 * Ranking, assignment and spend: see rank.h and docs/ranking.md.
 *
 * The assignment by minimum cost is a min-cost flow, source -> customer (one
 * unit) -> site (the pair's score) -> sink (the site's places), solved by
 * successive shortest paths.  Customers are contracted out of the residual
 * graph: a path only ever enters a placed customer from their site and leaves
 * to another of their sites, so the search runs on the sites alone, where the
 * arc s1 -> s2 costs the least, over customers at s1, of moving one of them to
 * s2 (their score at s2 less their score at s1), and the source reaches site s
 * at the least score of a customer still unplaced.  The residual graph of a
 * min-cost flow has no negative cycle, so SPFA (Bellman-Ford with a queue)
 * finds each path; scores are counted in thousandths of a point, as whole
 * numbers, so that ties and sums are exact.  Every augmentation places one
 * more customer at the least extra cost, and the search stops when no
 * customer can be placed: the most placed, at the least total score of any
 * placement of that many (the classic result for successive shortest paths).
 */
#include "rank.h"

#include "coverage.h"
#include "people.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const day_names[7] = {"Monday", "Tuesday", "Wednesday", "Thursday",
                                         "Friday", "Saturday", "Sunday"};

/* How a journey by each mode reads in a sentence. */
static const char *const mode_words[GM__TM_COUNT] = {"by car", "on foot", "on foot at a slower pace",
                                                     "by bike", "by bus"};

/* Thousandths of a point: whole-number costs for the flow. */
#define COST_SCALE 1000.0

const char *gm__rank_mode_words(int tm)
{
    return tm >= 0 && tm < GM__TM_COUNT ? mode_words[tm] : "";
}

int gm__rank_days_a_week(const gm_customer *c)
{
    int n = 0;
    for (int d = 0; d < 7; d++)
        n += (c->days >> d) & 1;
    return n ? n : 5;
}

static double minutes_of(const gm__rank_in *in, int tm, size_t c, size_t s)
{
    const float *t = in->time_s[tm];
    if (!t)
        return INFINITY;
    float v = t[c * in->ns + s];
    return isfinite(v) ? (double)v / 60.0 : INFINITY;
}

static unsigned rules(const gm__rank_in *in, const int32_t *free_places, int tm, size_t c, size_t s)
{
    const gm_customer *cu = &in->cs[c];
    const gm_site *st = &in->ss[s];
    unsigned x = 0;
    if (!(st->services & cu->service))
        x |= GM__RX_SERVICE;
    if ((st->needs & cu->needs) != cu->needs)
        x |= GM__RX_NEEDS;
    if (cu->days && (cu->days & ~st->open_days & GM_DAYS_ALL))
        x |= GM__RX_DAYS;
    if (free_places[s] <= 0 && cu->current_site != (int32_t)s)
        x |= GM__RX_FULL;
    if (in->in_area && !in->in_area[s] && !in->cfg->ranking.allow_out_of_area)
        x |= GM__RX_OUT_OF_AREA;
    if (!isfinite(minutes_of(in, tm, c, s)))
        x |= GM__RX_UNREACHED;
    return x;
}

static void score_parts(const gm__rank_in *in, double median, size_t c, size_t s, double minutes,
                        gm__rank_entry *e)
{
    const gm_config *cfg = in->cfg;
    const gm_site *st = &in->ss[s];
    const gm_customer *cu = &in->cs[c];
    e->site = (uint32_t)s;
    e->minutes = minutes;
    e->time_pts = cfg->ranking.w_time * minutes;
    double price = st->price_per_day;
    e->price_assumed = !isfinite(price);
    if (e->price_assumed)
        price = median;
    e->price_pts = isfinite(price) ? cfg->ranking.w_price * price / 10 : 0;
    e->status_pts = st->status == GM_STATUS_SPOT     ? cfg->ranking.w_spot
                    : st->status == GM_STATUS_LEGACY ? cfg->ranking.w_legacy
                                                     : 0;
    /* 0 - w, not -w: a weight of 0 gives +0, which prints as "0.00". */
    e->preference_pts = cu->preferred_site == (int32_t)s ? 0 - cfg->ranking.w_preference : 0;
    e->continuity_pts = cu->current_site == (int32_t)s ? 0 - cfg->ranking.w_continuity : 0;
    e->score = e->time_pts + e->price_pts + e->status_pts + e->preference_pts + e->continuity_pts;
}

/* Better first: lower score, shorter journey, lower site index. */
static int cmp_entry(const void *a, const void *b)
{
    const gm__rank_entry *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? -1 : 1;
    if (x->minutes != y->minutes)
        return x->minutes < y->minutes ? -1 : 1;
    return (x->site > y->site) - (x->site < y->site);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* ---- the assignment ---- */

/* The assignable pairs, by customer, best first. */
typedef struct agraph {
    size_t nc, ns;
    size_t *off;      /* nc + 1 */
    uint32_t *site;
    int64_t *cost;
    size_t n, cap_site, cap_cost;
} agraph;

typedef struct spair {
    int64_t cost;
    uint32_t c;
} spair;

static int cmp_spair(const void *a, const void *b)
{
    const spair *x = a, *y = b;
    if (x->cost != y->cost)
        return x->cost < y->cost ? -1 : 1;
    return (x->c > y->c) - (x->c < y->c);
}

static int64_t cost_at(const agraph *g, size_t c, size_t s)
{
    for (size_t k = g->off[c]; k < g->off[c + 1]; k++)
        if (g->site[k] == s)
            return g->cost[k];
    return INT64_MAX;
}

#define INF_COST (INT64_MAX / 4)

/* Min-cost maximum placement by successive shortest paths on the contracted
 * residual graph (see the top of this file).  at[] (nc) receives the sites. */
static gm_status assign_min_cost(gm_ctx *ctx, const agraph *g, const uint32_t *cap, int32_t *at, size_t *placed)
{
    const size_t nc = g->nc, ns = g->ns;
    gm_status st = GM_OK;
    size_t *soff = gm__calloc(ns + 1, sizeof *soff);
    spair *sp = gm__malloc((g->n ? g->n : 1) * sizeof *sp);
    size_t *ptr = gm__calloc(ns ? ns : 1, sizeof *ptr);
    uint32_t *load = gm__calloc(ns ? ns : 1, sizeof *load);
    int64_t *dist = gm__malloc((ns ? ns : 1) * sizeof *dist);
    int32_t *pred_site = gm__malloc((ns ? ns : 1) * sizeof *pred_site);
    int32_t *pred_c = gm__malloc((ns ? ns : 1) * sizeof *pred_c);
    bool *inq = gm__calloc(ns ? ns : 1, sizeof *inq);
    bool *dirty = gm__calloc(ns ? ns : 1, sizeof *dirty);
    uint32_t *queue = gm__malloc((ns ? ns : 1) * sizeof *queue);
    uint32_t *pops = gm__calloc(ns ? ns : 1, sizeof *pops);
    int64_t *atcost = gm__malloc((nc ? nc : 1) * sizeof *atcost);
    int64_t *row = NULL;
    int32_t *rowc = NULL;
    if (ns && ns > SIZE_MAX / ns / sizeof *row) {
        st = gm__err(ctx, GM_E_NOMEM, "too many sites (%zu) to assign placements", ns);
        goto cleanup;
    }
    row = gm__malloc((ns ? ns * ns : 1) * sizeof *row);
    rowc = gm__malloc((ns ? ns * ns : 1) * sizeof *rowc);
    if (!soff || !sp || !ptr || !load || !dist || !pred_site || !pred_c || !inq || !dirty || !queue || !pops ||
        !atcost || !row || !rowc) {
        st = gm__err(ctx, GM_E_NOMEM, "out of memory assigning %zu customers", nc);
        goto cleanup;
    }
    /* The pairs by site, cheapest first: where the source enters. */
    for (size_t k = 0; k < g->n; k++)
        soff[g->site[k] + 1]++;
    for (size_t s = 0; s < ns; s++)
        soff[s + 1] += soff[s];
    for (size_t s = 0; s < ns; s++)
        ptr[s] = soff[s];
    for (size_t c = 0; c < nc; c++)
        for (size_t k = g->off[c]; k < g->off[c + 1]; k++)
            sp[ptr[g->site[k]]++] = (spair){g->cost[k], (uint32_t)c};
    for (size_t s = 0; s < ns; s++) {
        qsort(sp + soff[s], soff[s + 1] - soff[s], sizeof *sp, cmp_spair);
        ptr[s] = soff[s];
    }
    for (size_t i = 0; i < ns * ns; i++)
        row[i] = INF_COST, rowc[i] = -1;
    for (size_t c = 0; c < nc; c++)
        at[c] = -1;
    *placed = 0;
    for (;;) {
        /* Rows of the sites whose customers changed: the cheapest move of
         * one of them to each other site (the first customer on a tie). */
        bool any = false;
        for (size_t s = 0; s < ns; s++)
            if (dirty[s]) {
                any = true;
                for (size_t s2 = 0; s2 < ns; s2++)
                    row[s * ns + s2] = INF_COST, rowc[s * ns + s2] = -1;
            }
        for (size_t c = 0; any && c < nc; c++) {
            if (at[c] < 0 || !dirty[at[c]])
                continue;
            size_t s1 = (size_t)at[c];
            for (size_t k = g->off[c]; k < g->off[c + 1]; k++) {
                size_t s2 = g->site[k];
                int64_t d = g->cost[k] - atcost[c];
                if (s2 != s1 && d < row[s1 * ns + s2])
                    row[s1 * ns + s2] = d, rowc[s1 * ns + s2] = (int32_t)c;
            }
        }
        memset(dirty, 0, ns * sizeof *dirty);
        /* SPFA from the source. */
        size_t head = 0, qn = 0;
        for (size_t s = 0; s < ns; s++) {
            while (ptr[s] < soff[s + 1] && at[sp[ptr[s]].c] >= 0)
                ptr[s]++;
            pred_site[s] = -1;
            pops[s] = 0;
            if (ptr[s] < soff[s + 1]) {
                dist[s] = sp[ptr[s]].cost;
                pred_c[s] = (int32_t)sp[ptr[s]].c;
                queue[(head + qn++) % ns] = (uint32_t)s;
                inq[s] = true;
            } else {
                dist[s] = INF_COST;
                pred_c[s] = -1;
            }
        }
        while (qn) {
            size_t s1 = queue[head];
            head = (head + 1) % ns;
            qn--;
            inq[s1] = false;
            if (++pops[s1] > ns) {
                st = gm__err(ctx, GM_E_INTERNAL, "assignment: a negative cycle in the residual graph");
                goto cleanup;
            }
            for (size_t s2 = 0; s2 < ns; s2++) {
                int64_t w = row[s1 * ns + s2];
                if (w >= INF_COST || dist[s1] + w >= dist[s2])
                    continue;
                dist[s2] = dist[s1] + w;
                pred_site[s2] = (int32_t)s1;
                pred_c[s2] = rowc[s1 * ns + s2];
                if (!inq[s2]) {
                    queue[(head + qn++) % ns] = (uint32_t)s2;
                    inq[s2] = true;
                }
            }
        }
        /* The cheapest site with room ends the path. */
        size_t t = ns;
        for (size_t s = 0; s < ns; s++)
            if (load[s] < cap[s] && dist[s] < INF_COST && (t == ns || dist[s] < dist[t]))
                t = s;
        if (t == ns)
            break;
        size_t s = t, steps = 0;
        while (pred_site[s] >= 0) {
            size_t c = (size_t)pred_c[s], prev = (size_t)pred_site[s];
            at[c] = (int32_t)s;
            atcost[c] = cost_at(g, c, s);
            dirty[s] = dirty[prev] = true;
            s = prev;
            if (++steps > ns) {
                st = gm__err(ctx, GM_E_INTERNAL, "assignment: a cycle in the shortest-path tree");
                goto cleanup;
            }
        }
        size_t c0 = (size_t)pred_c[s];
        at[c0] = (int32_t)s;
        atcost[c0] = cost_at(g, c0, s);
        dirty[s] = true;
        load[t]++;
        ++*placed;
        if (*placed % 256 == 0 && (st = gm__progress(ctx, *placed, nc, "Assigning placements")) != GM_OK)
            goto cleanup;
    }
cleanup:
    gm__free(soff);
    gm__free(sp);
    gm__free(ptr);
    gm__free(load);
    gm__free(dist);
    gm__free(pred_site);
    gm__free(pred_c);
    gm__free(inq);
    gm__free(dirty);
    gm__free(queue);
    gm__free(pops);
    gm__free(atcost);
    gm__free(row);
    gm__free(rowc);
    return st;
}

typedef struct nkey {
    int needs, days;
    uint32_t c;
} nkey;

/* More needs first, then more days, then file order. */
static int cmp_need(const void *a, const void *b)
{
    const nkey *x = a, *y = b;
    if (x->needs != y->needs)
        return y->needs - x->needs;
    if (x->days != y->days)
        return y->days - x->days;
    return (x->c > y->c) - (x->c < y->c);
}

static int popcount(uint32_t v)
{
    int n = 0;
    for (; v; v &= v - 1)
        n++;
    return n;
}

static gm_status assign_need_order(gm_ctx *ctx, const gm__rank_in *in, const agraph *g, const uint32_t *cap,
                                   int32_t *at, size_t *placed)
{
    nkey *ord = gm__malloc((g->nc ? g->nc : 1) * sizeof *ord);
    uint32_t *load = gm__calloc(g->ns ? g->ns : 1, sizeof *load);
    if (!ord || !load) {
        gm__free(ord);
        gm__free(load);
        return gm__err(ctx, GM_E_NOMEM, "out of memory assigning %zu customers", g->nc);
    }
    for (size_t c = 0; c < g->nc; c++) {
        ord[c] = (nkey){popcount(in->cs[c].needs), gm__rank_days_a_week(&in->cs[c]), (uint32_t)c};
        at[c] = -1;
    }
    qsort(ord, g->nc, sizeof *ord, cmp_need);
    *placed = 0;
    for (size_t i = 0; i < g->nc; i++) {
        size_t c = ord[i].c;
        for (size_t k = g->off[c]; k < g->off[c + 1]; k++) {
            if (load[g->site[k]] < cap[g->site[k]]) {
                at[c] = (int32_t)g->site[k];
                load[g->site[k]]++;
                ++*placed;
                break;
            }
        }
    }
    gm__free(ord);
    gm__free(load);
    return GM_OK;
}

/* ---- spend ---- */

typedef struct pkey {
    const char *id, *key;
    uint32_t i;
} pkey;

static int cmp_pid(const void *a, const void *b)
{
    const pkey *x = a, *y = b;
    int d = strcmp(x->id, y->id);
    return d ? d : (x->i > y->i) - (x->i < y->i);
}

static int cmp_pkey(const void *a, const void *b)
{
    const pkey *x = a, *y = b;
    int d = strcmp(x->key, y->key);
    return d ? d : strcmp(x->id, y->id);
}

static void add_spend(gm__spend_group *g, const gm_customer *cu)
{
    g->placements++;
    if (isfinite(cu->weekly_cost)) {
        g->costed++;
        g->weekly_spend += cu->weekly_cost;
    }
}

/* Withhold groups whose placements (or, for the spend alone, costed
 * customers) are too few to share; when exactly one group is withheld, the
 * smallest other non-empty group goes with it, so the shared total cannot
 * give it back by subtraction. */
static void withhold(const gm_config *cfg, gm__spend_group *g, size_t n)
{
    size_t nw = 0, nsw = 0;
    int64_t v;
    for (size_t i = 0; i < n; i++) {
        g[i].withheld = !gm__shareable(cfg, g[i].placements, &v);
        g[i].spend_withheld = g[i].withheld || !gm__shareable(cfg, g[i].costed, &v);
        nw += g[i].withheld;
        nsw += g[i].spend_withheld;
    }
    if (nw == 1 || nsw == 1) {
        size_t best = n;
        for (size_t i = 0; i < n; i++)
            if (!g[i].spend_withheld && g[i].placements && (best == n || g[i].placements < g[best].placements))
                best = i;
        if (best < n) {
            g[best].spend_withheld = true;
            g[best].withheld = g[best].withheld || nw == 1;
        }
    }
}

static gm_status spend_groups(gm_ctx *ctx, const gm__rank_in *in, gm__ranking *r)
{
    const size_t ns = in->ns;
    pkey *pk = gm__malloc((ns ? ns : 1) * sizeof *pk);
    uint32_t *grp = gm__malloc((ns ? ns : 1) * sizeof *grp);
    uint32_t *pos = gm__malloc((ns ? ns : 1) * sizeof *pos);
    gm_status st = GM_OK;
    if (!pk || !grp || !pos) {
        st = gm__err(ctx, GM_E_NOMEM, "out of memory totalling spend");
        goto cleanup;
    }
    for (size_t s = 0; s < ns; s++) {
        const gm_site *t = &in->ss[s];
        const char *id = t->provider_id ? t->provider_id : "";
        pk[s] = (pkey){id, t->provider_name && t->provider_name[0] ? t->provider_name : id, (uint32_t)s};
    }
    qsort(pk, ns, sizeof *pk, cmp_pid);
    size_t np = 0;
    for (size_t k = 0; k < ns; k++) {
        if (k == 0 || strcmp(pk[k].id, pk[k - 1].id))
            pk[np++] = (pkey){pk[k].id, pk[k].key, pk[k].i}; /* the provider's first site names it */
        grp[pk[k].i] = (uint32_t)(np - 1);
    }
    /* grp holds the provider's index in id order; pos maps it to name order. */
    for (size_t p = 0; p < np; p++)
        pk[p].i = (uint32_t)p;
    qsort(pk, np, sizeof *pk, cmp_pkey);
    for (size_t p = 0; p < np; p++)
        pos[pk[p].i] = (uint32_t)p;
    r->by_provider = gm__calloc(np ? np : 1, sizeof *r->by_provider);
    if (!r->by_provider) {
        st = gm__err(ctx, GM_E_NOMEM, "out of memory totalling spend");
        goto cleanup;
    }
    r->nproviders = np;
    for (size_t p = 0; p < np; p++)
        r->by_provider[p].key = pk[p].key;
    for (int k = 0; k < 3; k++)
        r->by_status[k].key = gm_framework_status_code((gm_framework_status)k);
    r->total.key = "all";
    for (size_t c = 0; c < in->nc; c++) {
        const gm_customer *cu = &in->cs[c];
        if (cu->current_site < 0)
            continue;
        const gm_site *t = &in->ss[cu->current_site];
        add_spend(&r->by_provider[pos[grp[cu->current_site]]], cu);
        if ((unsigned)t->status < 3)
            add_spend(&r->by_status[t->status], cu);
        add_spend(&r->total, cu);
    }
    withhold(in->cfg, r->by_provider, np);
    withhold(in->cfg, r->by_status, 3);
    withhold(in->cfg, &r->total, 1);
cleanup:
    gm__free(pk);
    gm__free(grp);
    gm__free(pos);
    return st;
}

/* ---- the run ---- */

void gm__ranking_free(gm__ranking *r)
{
    if (!r)
        return;
    gm__free(r->mode);
    gm__free(r->goal_min);
    gm__free(r->excl);
    gm__free(r->free_places);
    gm__free(r->cap);
    gm__free(r->list);
    gm__free(r->nlist);
    gm__free(r->neligible);
    gm__free(r->nassignable);
    gm__free(r->assigned);
    gm__free(r->by_provider);
    gm__free(r);
}

gm_status gm__rank_run(gm_ctx *ctx, const gm__rank_in *in, gm__ranking **out)
{
    if (!in || !in->cfg || !out || (in->nc && !in->cs) || (in->ns && !in->ss))
        return gm__err(ctx, GM_E_ARG, "ranking: missing argument");
    const gm_config *cfg = in->cfg;
    const size_t nc = in->nc, ns = in->ns;
    for (size_t c = 0; c < nc; c++) {
        const gm_customer *cu = &in->cs[c];
        if ((cu->current_site >= 0 && (size_t)cu->current_site >= ns) ||
            (cu->preferred_site >= 0 && (size_t)cu->preferred_site >= ns))
            return gm__err(ctx, GM_E_ARG, "ranking: customer %s names a site %d of %zu", cu->id ? cu->id : "?",
                           cu->current_site >= 0 && (size_t)cu->current_site >= ns ? cu->current_site
                                                                                    : cu->preferred_site,
                           ns);
    }
    if (ns && nc > SIZE_MAX / ns)
        return gm__err(ctx, GM_E_NOMEM, "ranking: %zu customers x %zu sites do not fit in memory", nc, ns);
    gm_status st = GM_OK;
    size_t top = cfg->ranking.top > 0 ? (size_t)cfg->ranking.top : 1;
    gm__rank_entry *cand = NULL;
    double *prices = NULL;
    agraph g = {.nc = nc, .ns = ns};
    gm__ranking *r = gm__calloc(1, sizeof *r);
    if (!r)
        goto nomem;
    r->nc = nc, r->ns = ns, r->top = top, r->assign = cfg->ranking.assign;
    r->mode = gm__calloc(nc, sizeof *r->mode);
    r->goal_min = gm__calloc(nc, sizeof *r->goal_min);
    r->excl = gm__calloc(nc * ns, sizeof *r->excl);
    r->free_places = gm__calloc(ns, sizeof *r->free_places);
    r->cap = gm__calloc(ns, sizeof *r->cap);
    r->list = gm__calloc(nc, top * sizeof *r->list);
    r->nlist = gm__calloc(nc, sizeof *r->nlist);
    r->neligible = gm__calloc(nc, sizeof *r->neligible);
    r->nassignable = gm__calloc(nc, sizeof *r->nassignable);
    r->assigned = gm__calloc(nc, sizeof *r->assigned);
    cand = gm__malloc((ns ? ns : 1) * sizeof *cand);
    prices = gm__malloc((ns ? ns : 1) * sizeof *prices);
    g.off = gm__calloc(nc + 1, sizeof *g.off);
    if (!r->mode || !r->goal_min || !r->excl || !r->free_places || !r->cap || !r->list || !r->nlist ||
        !r->neligible || !r->nassignable || !r->assigned || !cand || !prices || !g.off)
        goto nomem;

    /* Places: free now (the shortlist), and for this cohort (the assignment):
     * places_per_day less those used by people not in the customers file. */
    gm__free_places(in->ss, ns, in->cs, nc, r->free_places);
    for (size_t c = 0; c < nc; c++)
        if (in->cs[c].current_site >= 0)
            r->cap[in->cs[c].current_site]++; /* customers there now */
    size_t npriced = 0;
    for (size_t s = 0; s < ns; s++) {
        const gm_site *t = &in->ss[s];
        int64_t outsiders = t->places_used >= 0 ? (int64_t)t->places_used - r->cap[s] : 0;
        int64_t cap = (int64_t)t->places_per_day - (outsiders > 0 ? outsiders : 0);
        r->cap[s] = cap > 0 ? (uint32_t)cap : 0;
        if (isfinite(t->price_per_day))
            prices[npriced++] = t->price_per_day;
    }
    qsort(prices, npriced, sizeof *prices, cmp_double);
    r->median_price = !npriced       ? NAN
                      : npriced % 2 ? prices[npriced / 2]
                                    : (prices[npriced / 2 - 1] + prices[npriced / 2]) / 2;

    /* Rules, scores and lists. */
    for (size_t c = 0; c < nc; c++) {
        const gm_customer *cu = &in->cs[c];
        int tm = gm__person_mode(cu, in->computed);
        if (tm < 0)
            tm = 0; /* no mode fits: judged by car */
        r->mode[c] = (int8_t)tm;
        r->goal_min[c] = gm__goal_min(cfg, cu, tm);
        size_t n = 0;
        for (size_t s = 0; s < ns; s++) {
            unsigned x = rules(in, r->free_places, tm, c, s);
            r->excl[c * ns + s] = (uint8_t)x;
            if (!(x & ~(unsigned)GM__RX_FULL))
                score_parts(in, r->median_price, c, s, minutes_of(in, tm, c, s), &cand[n++]);
        }
        qsort(cand, n, sizeof *cand, cmp_entry);
        size_t na = 0;
        for (size_t k = 0; k < n; k++) {
            const gm__rank_entry *e = &cand[k];
            if (!r->excl[c * ns + e->site]) {
                if (r->neligible[c] < top)
                    r->list[c * top + r->nlist[c]++] = *e;
                r->neligible[c]++;
            }
            if (e->minutes <= r->goal_min[c]) {
                if (!gm__grow((void **)&g.site, &g.cap_site, g.n + na + 1, sizeof *g.site) ||
                    !gm__grow((void **)&g.cost, &g.cap_cost, g.n + na + 1, sizeof *g.cost))
                    goto nomem;
                g.site[g.n + na] = e->site;
                g.cost[g.n + na] = llround(e->score * COST_SCALE);
                na++;
            }
        }
        g.n += na;
        g.off[c + 1] = g.n;
        r->nassignable[c] = (uint32_t)na;
        if (c % 512 == 511 && (st = gm__progress(ctx, c + 1, nc, "Ranking providers")) != GM_OK)
            goto cleanup;
    }

    /* The assignment and what it would change. */
    for (size_t c = 0; c < nc; c++)
        r->assigned[c] = -1;
    if (r->assign == GM__ASSIGN_MIN_COST)
        st = assign_min_cost(ctx, &g, r->cap, r->assigned, &r->placed);
    else if (r->assign == GM__ASSIGN_NEED_ORDER)
        st = assign_need_order(ctx, in, &g, r->cap, r->assigned, &r->placed);
    if (st != GM_OK)
        goto cleanup;
    for (size_t c = 0; c < nc; c++) {
        const gm_customer *cu = &in->cs[c];
        int32_t a = r->assigned[c];
        if (a < 0)
            continue;
        double now = cu->current_site >= 0 ? minutes_of(in, r->mode[c], c, (size_t)cu->current_site) : NAN;
        double then = minutes_of(in, r->mode[c], c, (size_t)a);
        if (isfinite(now) && isfinite(then)) {
            r->time_compared++;
            r->minutes_saved += now - then;
        }
        double price = in->ss[a].price_per_day;
        if (isfinite(cu->weekly_cost) && isfinite(price)) {
            double d = price * gm__rank_days_a_week(cu) - cu->weekly_cost;
            r->spend_compared++;
            r->weekly_spend_change += d;
            if (cu->current_site >= 0 && a != cu->current_site) {
                r->spend_compared_movers++;
                r->weekly_spend_change_movers += d;
            }
        }
    }
    if ((st = spend_groups(ctx, in, r)) != GM_OK)
        goto cleanup;
    *out = r;
    r = NULL;
    goto cleanup;
nomem:
    st = gm__err(ctx, GM_E_NOMEM, "out of memory ranking providers for %zu customers", nc);
cleanup:
    gm__ranking_free(r);
    gm__free(cand);
    gm__free(prices);
    gm__free(g.off);
    gm__free(g.site);
    gm__free(g.cost);
    return st;
}

/* ---- accessors and words ---- */

const gm__rank_entry *gm__rank_list(const gm__ranking *r, size_t c, size_t *n)
{
    *n = r->nlist[c];
    return r->list + c * r->top;
}

int32_t gm__rank_assigned(const gm__ranking *r, size_t c)
{
    return r->assigned[c];
}

unsigned gm__rank_excluded(const gm__ranking *r, size_t c, size_t s)
{
    return r->excl[c * r->ns + s];
}

bool gm__rank_within_goal(const gm__ranking *r, size_t c)
{
    return r->assigned[c] >= 0; /* only sites within the goal are assigned */
}

bool gm__rank_assignable(const gm__rank_in *in, const gm__ranking *r, size_t c, size_t s)
{
    return !(r->excl[c * r->ns + s] & ~(unsigned)GM__RX_FULL) &&
           minutes_of(in, r->mode[c], c, s) <= r->goal_min[c];
}

bool gm__rank_score(const gm__rank_in *in, const gm__ranking *r, size_t c, size_t s, gm__rank_entry *e)
{
    double m = minutes_of(in, r->mode[c], c, s);
    if (!isfinite(m))
        return false;
    score_parts(in, r->median_price, c, s, m, e);
    return true;
}

typedef struct sbuf {
    char *p;
    size_t size, o;
} sbuf;

static void put(sbuf *b, const char *fmt, ...) GM__PRINTF(2, 3);
static void put(sbuf *b, const char *fmt, ...)
{
    if (b->o >= b->size)
        return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(b->p + b->o, b->size - b->o, fmt, ap);
    va_end(ap);
    if (w > 0)
        b->o = b->o + (size_t)w < b->size ? b->o + (size_t)w : b->size - 1;
}

/* The codes of bits as words ("building based, small group"). */
static void put_codes(sbuf *b, char kind, uint32_t bits, int nbits)
{
    bool first = true;
    for (int i = 0; i < nbits; i++) {
        if (!(bits & (1u << i)))
            continue;
        char code[48];
        gm_codes_text(kind, 1u << i, code, sizeof code);
        for (char *p = code; *p; p++)
            if (*p == '_')
                *p = ' ';
        put(b, "%s%s", first ? "" : ", ", code);
        first = false;
    }
}

static void put_sep(sbuf *b)
{
    if (b->o)
        put(b, "; ");
}

void gm__rank_reasons(const gm__rank_in *in, const gm__ranking *r, size_t c, size_t s, char *buf, size_t size)
{
    sbuf b = {buf, size, 0};
    if (size)
        buf[0] = '\0';
    unsigned x = r->excl[c * r->ns + s];
    const gm_customer *cu = &in->cs[c];
    const gm_site *st = &in->ss[s];
    if (x & GM__RX_SERVICE) {
        put(&b, "does not offer ");
        put_codes(&b, 's', cu->service, GM_SERVICE_COUNT);
    }
    if (x & GM__RX_NEEDS) {
        put_sep(&b);
        put(&b, "does not support ");
        put_codes(&b, 'n', cu->needs & ~st->needs, GM_NEED_COUNT);
    }
    if (x & GM__RX_DAYS) {
        put_sep(&b);
        put(&b, "closed on");
        uint32_t closed = cu->days & ~st->open_days;
        for (int d = 0, k = 0; d < 7; d++)
            if (closed & (1u << d))
                put(&b, "%s %s", k++ ? "," : "", day_names[d]);
    }
    if (x & GM__RX_FULL) {
        put_sep(&b);
        put(&b, "no places free");
    }
    if (x & GM__RX_OUT_OF_AREA) {
        put_sep(&b);
        put(&b, "outside the council's area");
    }
    if (x & GM__RX_UNREACHED) {
        put_sep(&b);
        int tm = r->mode[c];
        if (in->time_s[tm])
            put(&b, "not reached %s within the travel cut-off", mode_words[tm]);
        else
            put(&b, "no journey times %s were computed", mode_words[tm]);
    }
}

static void put_money(sbuf *b, double v)
{
    if (v == floor(v))
        put(b, "GBP %.0f", v);
    else
        put(b, "GBP %.2f", v);
}

void gm__rank_why(const gm__rank_in *in, const gm__ranking *r, size_t c, const gm__rank_entry *e, char *buf,
                  size_t size)
{
    sbuf b = {buf, size, 0};
    if (size)
        buf[0] = '\0';
    const gm_customer *cu = &in->cs[c];
    const gm_site *st = &in->ss[e->site];
    int tm = r->mode[c];
    if (e->minutes < 1)
        put(&b, "under 1 min %s", mode_words[tm]);
    else
        put(&b, "%.0f min %s", e->minutes, mode_words[tm]);
    if (e->minutes > r->goal_min[c])
        put(&b, " (beyond their %g-minute goal)", r->goal_min[c]);
    put(&b, "; %s", st->status == GM_STATUS_SPOT     ? "spot purchase"
                    : st->status == GM_STATUS_LEGACY ? "legacy arrangement"
                                                     : "framework provider");
    put(&b, "; ");
    if (!e->price_assumed) {
        put_money(&b, st->price_per_day);
        put(&b, " a day");
    } else if (isfinite(r->median_price)) {
        put(&b, "price not given (the median, ");
        put_money(&b, r->median_price);
        put(&b, " a day, assumed)");
    } else {
        put(&b, "price not known");
    }
    if (cu->preferred_site == (int32_t)e->site)
        put(&b, "; their stated choice");
    if (cu->current_site == (int32_t)e->site)
        put(&b, "; their current site");
    else
        put(&b, "; %d place%s free", r->free_places[e->site], r->free_places[e->site] == 1 ? "" : "s");
}
