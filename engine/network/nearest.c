/*
 * Nearest-k and threshold counts as a gm__reach sink, per-worker state merged
 * at the end.  A point's list is kept sorted; a new site goes in by insertion
 * (k is small: a handful to a few dozen).
 */
#include "nearest.h"

#include <math.h>
#include <string.h>

typedef struct part {
    gm__near *best;      /* npoints * k */
    uint32_t *within;    /* npoints * nthr */
    uint64_t pairs;
} part;

typedef struct state {
    const bool *site_ok;
    size_t k, nthr;
    const float *thr;
    part *parts;         /* per worker */
} state;

static inline bool near_less(const gm__near *a, const gm__near *b)
{
    if (a->time_s != b->time_s)
        return a->time_s < b->time_s;
    if (a->dist_m != b->dist_m)
        return a->dist_m < b->dist_m;
    return a->site < b->site;
}

/* Insert x into the sorted list l of k entries if it belongs there. */
static void insert(gm__near *l, size_t k, gm__near x)
{
    if (!near_less(&x, &l[k - 1]))
        return;
    size_t i = k - 1;
    while (i > 0 && near_less(&x, &l[i - 1])) {
        l[i] = l[i - 1];
        i--;
    }
    l[i] = x;
}

static void sink(void *arg, size_t site, const gm__reach_cell *cells, size_t n, size_t worker)
{
    state *s = arg;
    if (s->site_ok && !s->site_ok[site])
        return;
    part *p = &s->parts[worker];
    for (size_t i = 0; i < n; i++) {
        const gm__reach_cell *c = &cells[i];
        insert(&p->best[(size_t)c->cust * s->k], s->k, (gm__near){c->time_s, c->dist_m, (uint32_t)site});
        uint32_t *w = &p->within[(size_t)c->cust * s->nthr];
        for (size_t t = 0; t < s->nthr; t++)
            w[t] += c->time_s <= s->thr[t];
    }
    p->pairs += n;
}

static void fill_empty(gm__near *l, size_t n)
{
    for (size_t i = 0; i < n; i++)
        l[i] = (gm__near){INFINITY, INFINITY, GM__NEAR_NONE};
}

void gm__nearest_free(gm__nearest *n)
{
    if (!n)
        return;
    gm__free(n->best);
    gm__free(n->within);
    gm__free(n);
}

gm_status gm__nearest_compute(gm_ctx *ctx, const gm__roads *roads, const gm__graph *g,
                              const gm__graph *rev, const gm__join *pjoin, size_t npoints,
                              const gm__join *sjoin, size_t nsites, const bool *site_ok,
                              const gm__reach_opts *opts, size_t k, const float *thr, size_t nthr,
                              const char *label, gm__nearest **out)
{
    if (k < 1 || k > GM__NEAREST_MAX_K || nthr > GM__NEAREST_MAX_THR || (nthr && !thr))
        return gm__err(ctx, GM_E_ARG, "nearest sites: k must be 1..%d and at most %d thresholds",
                       GM__NEAREST_MAX_K, GM__NEAREST_MAX_THR);
    size_t nw = gm__reach_workers(opts, nsites), np = npoints ? npoints : 1;
    state s = {site_ok, k, nthr, thr, gm__calloc(nw, sizeof(part))};
    gm__nearest *r = gm__calloc(1, sizeof *r);
    bool ok = s.parts && r;
    for (size_t w = 0; ok && w < nw; w++) {
        s.parts[w].best = gm__malloc(np * k * sizeof(gm__near));
        s.parts[w].within = gm__calloc(np * (nthr ? nthr : 1), sizeof(uint32_t));
        ok = s.parts[w].best && s.parts[w].within;
        if (ok)
            fill_empty(s.parts[w].best, npoints * k);
    }
    gm_status st = GM_OK;
    if (!ok)
        st = gm__err(ctx, GM_E_NOMEM, "out of memory for the nearest sites of %zu points", npoints);
    else
        st = gm__reach_run(ctx, roads, g, rev, pjoin, npoints, sjoin, nsites, opts, label, sink, &s);
    if (st == GM_OK) {
        /* The result takes worker 0's arrays; the others merge into them. */
        r->npoints = npoints;
        r->k = k;
        r->nthr = nthr;
        memcpy(r->thr, thr, nthr * sizeof *thr);
        r->best = s.parts[0].best;
        r->within = s.parts[0].within;
        r->pairs = s.parts[0].pairs;
        s.parts[0].best = NULL;
        s.parts[0].within = NULL;
        for (size_t w = 1; w < nw; w++) {
            for (size_t i = 0; i < npoints * k; i++)
                if (s.parts[w].best[i].site != GM__NEAR_NONE)
                    insert(&r->best[i / k * k], k, s.parts[w].best[i]);
            for (size_t i = 0; i < npoints * nthr; i++)
                r->within[i] += s.parts[w].within[i];
            r->pairs += s.parts[w].pairs;
        }
        *out = r;
        r = NULL;
    }
    for (size_t w = 0; s.parts && w < nw; w++) {
        gm__free(s.parts[w].best);
        gm__free(s.parts[w].within);
    }
    gm__free(s.parts);
    gm__nearest_free(r);
    return st;
}
