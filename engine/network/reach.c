/*
 * Reach: one search per site on the reversed graph, customers found from the
 * settled nodes.
 *
 * A customer c reaches site s by leaving through one of its departing seeds
 * (node n, partial cost p: the walk to the link and the drive to n) and then
 * driving n -> site, whose cost is the reversed search's label at n (that
 * label already holds the site's arriving partial and walk).  The cell is the
 * least total time over c's seeds, the distance that of the chosen
 * combination (ties in time to the shorter), or the direct along-link journey
 * when c and s share a link and it is faster; left out beyond the cutoff.
 *
 * Two indexes, built once: node -> (customer, seed cost) in CSR form, so the
 * settled list of a search leads straight to its customers; and link ->
 * customers joined on it, for the direct journeys.  Each worker owns a search,
 * a cell buffer of ncust entries and a slot per customer (its cell, or none),
 * all allocated before the workers start; a site resets only the slots it
 * used.
 *
 * Threads: each worker takes the next site from an atomic counter and hands
 * its cells to the sink; the calling thread reports progress per site, and on
 * a cancel sets a flag that workers check before taking the next site.  A
 * cell is a function of the site's search alone, so results do not depend on
 * the thread count.
 */
#include "reach.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

/* More threads than this buys nothing on a memory-bound search. */
#define MAX_THREADS 256
#define SLOT_NONE UINT32_MAX

typedef struct seed_ent {
    uint32_t cust;
    float time_s, dist_m;  /* the customer's departing partial to this node */
} seed_ent;

typedef struct job {
    const gm__roads *roads;
    const gm__graph *g, *rev;
    const gm__join *cjoin, *sjoin;
    size_t ncust, nsites;
    float cutoff, walk_kmh;
    const uint32_t *nfirst;   /* g->nnodes + 1 */
    const seed_ent *nent;
    const uint32_t *lfirst;   /* roads->nlinks + 1 */
    const uint32_t *lcust;
    gm__reach_sink sink;
    void *arg;

    atomic_size_t next;       /* next site to take */
    atomic_bool cancel;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    size_t done, exited;      /* under lock */
} job;

typedef struct worker {
    job *j;
    gm__search *s;
    gm__reach_cell *buf;      /* ncust */
    uint32_t *slot;           /* ncust: index in buf, or SLOT_NONE */
    size_t index;
    pthread_t tid;
} worker;

static inline void offer(worker *w, size_t *n, uint32_t c, float t, float d)
{
    uint32_t k = w->slot[c];
    if (k == SLOT_NONE) {
        w->slot[c] = (uint32_t)*n;
        w->buf[(*n)++] = (gm__reach_cell){c, t, d};
        return;
    }
    gm__reach_cell *e = &w->buf[k];
    if (t < e->time_s || (t == e->time_s && d < e->dist_m)) {
        e->time_s = t;
        e->dist_m = d;
    }
}

static void do_site(worker *w, size_t site)
{
    const job *j = w->j;
    const gm__join *sj = &j->sjoin[site];
    gm__seed seeds[2];
    size_t nseeds = gm__join_seeds(sj, j->roads, j->rev, j->walk_kmh, true, seeds);
    size_t n = 0;
    if (nseeds > 0) {
        gm__search_run(w->s, seeds, nseeds, j->cutoff, NULL, NULL);
        size_t nset;
        const uint32_t *set = gm__search_settled(w->s, &nset);
        for (size_t i = 0; i < nset; i++) {
            uint32_t v = set[i];
            uint32_t a = j->nfirst[v], b = j->nfirst[v + 1];
            if (a == b)
                continue;
            float lt, ld;
            gm__search_label(w->s, v, &lt, &ld, NULL);
            for (uint32_t k = a; k < b; k++) {
                const seed_ent *e = &j->nent[k];
                offer(w, &n, e->cust, e->time_s + lt, e->dist_m + ld);
            }
        }
    }
    if (sj->ok && !sj->isolated) {
        for (uint32_t k = j->lfirst[sj->link]; k < j->lfirst[sj->link + 1]; k++) {
            uint32_t c = j->lcust[k];
            float t, d;
            if (gm__join_direct(&j->cjoin[c], sj, j->roads, j->g, j->walk_kmh, &t, &d))
                offer(w, &n, c, t, d);
        }
    }
    /* Drop what the seeds' partial legs pushed past the cutoff; reset slots. */
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        w->slot[w->buf[i].cust] = SLOT_NONE;
        if (w->buf[i].time_s <= j->cutoff)
            w->buf[kept++] = w->buf[i];
    }
    j->sink(j->arg, site, w->buf, kept, w->index);
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    job *j = w->j;
    for (;;) {
        if (atomic_load(&j->cancel))
            break;
        size_t site = atomic_fetch_add(&j->next, 1);
        if (site >= j->nsites)
            break;
        do_site(w, site);
        pthread_mutex_lock(&j->lock);
        j->done++;
        pthread_cond_signal(&j->cond);
        pthread_mutex_unlock(&j->lock);
    }
    pthread_mutex_lock(&j->lock);
    j->exited++;
    pthread_cond_signal(&j->cond);
    pthread_mutex_unlock(&j->lock);
    return NULL;
}

size_t gm__reach_workers(const gm__reach_opts *opts, size_t nsites)
{
    long n = opts && opts->threads > 0 ? opts->threads : sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        n = 1;
    if (n > MAX_THREADS)
        n = MAX_THREADS;
    if ((size_t)n > nsites)
        n = nsites ? (long)nsites : 1;
    return (size_t)n;
}

/* node -> (customer, departing partial) for every seed of every customer, in
 * customer order within a node; link -> customers joined on it. */
static bool build_index(job *j, uint32_t **nfirst, seed_ent **nent, uint32_t **lfirst, uint32_t **lcust)
{
    const size_t nn = j->g->nnodes, nl = j->roads->nlinks, nc = j->ncust;
    gm__seed *cs = gm__malloc((nc ? nc : 1) * 2 * sizeof *cs);
    uint8_t *cn = gm__malloc(nc ? nc : 1);
    *nfirst = gm__calloc(nn + 1, sizeof **nfirst);
    *lfirst = gm__calloc(nl + 1, sizeof **lfirst);
    bool ok = cs && cn && *nfirst && *lfirst;
    size_t nseeds = 0, nlinked = 0;
    for (size_t c = 0; ok && c < nc; c++) {
        cn[c] = (uint8_t)gm__join_seeds(&j->cjoin[c], j->roads, j->g, j->walk_kmh, false, &cs[2 * c]);
        for (uint8_t q = 0; q < cn[c]; q++)
            (*nfirst)[cs[2 * c + q].node + 1]++;
        nseeds += cn[c];
        const gm__join *cj = &j->cjoin[c];
        if (cj->ok && !cj->isolated && cj->link < nl) {
            (*lfirst)[cj->link + 1]++;
            nlinked++;
        }
    }
    if (ok) {
        *nent = gm__malloc((nseeds ? nseeds : 1) * sizeof **nent);
        *lcust = gm__malloc((nlinked ? nlinked : 1) * sizeof **lcust);
        ok = *nent && *lcust;
    }
    if (ok) {
        for (size_t v = 0; v < nn; v++)
            (*nfirst)[v + 1] += (*nfirst)[v];
        for (size_t l = 0; l < nl; l++)
            (*lfirst)[l + 1] += (*lfirst)[l];
        /* Fill with the counts as cursors, then shift back (customer order kept). */
        for (size_t c = 0; c < nc; c++) {
            for (uint8_t q = 0; q < cn[c]; q++) {
                const gm__seed *s = &cs[2 * c + q];
                (*nent)[(*nfirst)[s->node]++] = (seed_ent){(uint32_t)c, s->time_s, s->dist_m};
            }
            const gm__join *cj = &j->cjoin[c];
            if (cj->ok && !cj->isolated && cj->link < nl)
                (*lcust)[(*lfirst)[cj->link]++] = (uint32_t)c;
        }
        memmove(*nfirst + 1, *nfirst, nn * sizeof **nfirst);
        (*nfirst)[0] = 0;
        memmove(*lfirst + 1, *lfirst, nl * sizeof **lfirst);
        (*lfirst)[0] = 0;
    }
    gm__free(cs);
    gm__free(cn);
    return ok;
}

gm_status gm__reach_run(gm_ctx *ctx, const gm__roads *roads, const gm__graph *g, const gm__graph *rev,
                        const gm__join *cjoin, size_t ncust, const gm__join *sjoin, size_t nsites,
                        const gm__reach_opts *opts, const char *label, gm__reach_sink sink, void *arg)
{
    gm_status st = GM_OK;
    uint32_t *nfirst = NULL, *lfirst = NULL, *lcust = NULL;
    seed_ent *nent = NULL;
    worker *ws = NULL;
    size_t nws = 0, started = 0;
    bool sync_ok = false;
    job j;
    memset(&j, 0, sizeof j);

    gm__reach_opts o = {INFINITY, GM__WALK_KMH_DEFAULT, 0};
    if (opts)
        o = *opts;
    if (isnan(o.cutoff_s))
        o.cutoff_s = INFINITY;
    if (g->reversed || !rev->reversed || g->nnodes != rev->nnodes || g->mode != rev->mode ||
        g->nroad_nodes != roads->nnodes)
        return gm__err(ctx, GM_E_ARG, "travel times: the graphs must be a %s graph of these roads and its reverse",
                       gm__mode_name(g->mode));
    if (ncust >= SLOT_NONE)
        return gm__err(ctx, GM_E_ARG, "travel times: %zu points is more than 32-bit ids hold", ncust);

    j.roads = roads;
    j.g = g;
    j.rev = rev;
    j.cjoin = cjoin;
    j.sjoin = sjoin;
    j.ncust = ncust;
    j.nsites = nsites;
    j.cutoff = o.cutoff_s;
    j.walk_kmh = o.walk_speed_kmh;
    j.sink = sink;
    j.arg = arg;
    atomic_init(&j.next, 0);
    atomic_init(&j.cancel, false);
    if (!build_index(&j, &nfirst, &nent, &lfirst, &lcust))
        goto nomem;
    j.nfirst = nfirst;
    j.nent = nent;
    j.lfirst = lfirst;
    j.lcust = lcust;

    nws = gm__reach_workers(&o, nsites);
    ws = gm__calloc(nws, sizeof *ws);
    if (!ws)
        goto nomem;
    for (size_t i = 0; i < nws; i++) {
        ws[i].j = &j;
        ws[i].index = i;
        ws[i].buf = gm__malloc((ncust ? ncust : 1) * sizeof *ws[i].buf);
        ws[i].slot = gm__malloc((ncust ? ncust : 1) * sizeof *ws[i].slot);
        if (!ws[i].buf || !ws[i].slot)
            goto nomem;
        memset(ws[i].slot, 0xff, (ncust ? ncust : 1) * sizeof *ws[i].slot);
        if ((st = gm__search_new(ctx, rev, &ws[i].s)) != GM_OK)
            goto cleanup;
    }

    if ((st = gm__progress(ctx, 0, nsites, label)) != GM_OK)
        goto cleanup;

    if (nws > 1) {
        if (pthread_mutex_init(&j.lock, NULL) == 0) {
            if (pthread_cond_init(&j.cond, NULL) == 0)
                sync_ok = true;
            else
                pthread_mutex_destroy(&j.lock);
        }
        for (size_t i = 0; sync_ok && i < nws; i++) {
            if (pthread_create(&ws[i].tid, NULL, worker_main, &ws[i]) != 0)
                break; /* carry on with the threads there are */
            started++;
        }
    }
    if (started == 0) {
        /* One thread, or none could be started: the calling thread works. */
        for (size_t s = 0; s < nsites; s++) {
            do_site(&ws[0], s);
            if ((st = gm__progress(ctx, s + 1, nsites, label)) != GM_OK)
                goto cleanup;
        }
    } else {
        size_t reported = 0;
        pthread_mutex_lock(&j.lock);
        for (;;) {
            while (j.done == reported && j.exited < started)
                pthread_cond_wait(&j.cond, &j.lock);
            size_t done = j.done;
            bool all_out = j.exited == started;
            pthread_mutex_unlock(&j.lock);
            if (done > reported && st == GM_OK) {
                if ((st = gm__progress(ctx, done, nsites, label)) != GM_OK)
                    atomic_store(&j.cancel, true);
            }
            reported = done;
            pthread_mutex_lock(&j.lock);
            if (all_out && j.done == reported)
                break;
        }
        pthread_mutex_unlock(&j.lock);
        for (size_t i = 0; i < started; i++)
            pthread_join(ws[i].tid, NULL);
    }
    goto cleanup;

nomem:
    st = gm__err(ctx, GM_E_NOMEM, "out of memory for the %s travel times of %zu points x %zu sites",
                 gm__mode_name(g->mode), ncust, nsites);
cleanup:
    if (sync_ok) {
        pthread_cond_destroy(&j.cond);
        pthread_mutex_destroy(&j.lock);
    }
    for (size_t i = 0; ws && i < nws; i++) {
        gm__search_free(ws[i].s);
        gm__free(ws[i].buf);
        gm__free(ws[i].slot);
    }
    gm__free(ws);
    gm__free(nfirst);
    gm__free(nent);
    gm__free(lfirst);
    gm__free(lcust);
    return st;
}
