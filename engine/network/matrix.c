/*
 * The travel matrix: one search per site on the reversed graph, customers read
 * off the labels at their seed nodes.
 *
 * A customer c reaches site s by leaving through one of its departing seeds
 * (node n, partial cost p: the walk to the link and the drive to n) and then
 * driving n -> site, whose cost is the reversed search's label at n (that
 * label already holds the site's arriving partial and walk).  The cell is the
 * least total time over c's seeds, the distance that of the chosen
 * combination (ties in time to the shorter), or the direct along-link journey
 * when c and s share a link and it is faster; INFINITY beyond the cutoff.
 *
 * Threads: everything is allocated before the workers start (the allocation
 * wrapper's fault-injection counters are not thread-safe); each worker owns a
 * gm__search and takes the next site from an atomic counter; it writes only
 * the column of that site, so no two threads write the same cell and the
 * result does not depend on the thread count or on the order sites are taken.
 * The calling thread reports progress, per site, and on a cancel sets a flag
 * that workers check before taking the next site.  Workers start their sweep
 * over customers at different rows, so two threads finishing neighbouring
 * columns at the same time do not write the same cache lines.
 */
#include "matrix.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* More threads than this buys nothing on a memory-bound search. */
#define MAX_THREADS 256

typedef struct job {
    const gm__roads *roads;
    const gm__graph *g, *rev;
    const gm__join *cjoin, *sjoin;
    size_t ncust, nsites;
    float cutoff, walk_kmh;
    const gm__seed *cseed; /* ncust * 2: departing seeds of each customer */
    const uint8_t *cnseed; /* ncust */
    gm__matrix *m;
    size_t nthreads;

    atomic_size_t next;    /* next site to take */
    atomic_bool cancel;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    size_t done, exited;   /* under lock */
} job;

typedef struct worker {
    job *j;
    gm__search *s;
    size_t index;          /* 0..nthreads-1: where the customer sweep starts */
    pthread_t tid;
} worker;

/* Fill column `site` of the matrix using search state s. */
static void do_site(const job *j, gm__search *s, size_t site, size_t index)
{
    const gm__join *sj = &j->sjoin[site];
    gm__seed seeds[2];
    size_t nseeds = gm__join_seeds(sj, j->roads, j->rev, j->walk_kmh, true, seeds);
    bool searched = nseeds > 0;
    if (searched)
        gm__search_run(s, seeds, nseeds, j->cutoff, NULL, NULL);
    const size_t nc = j->ncust, ns = j->nsites;
    size_t start = j->nthreads > 1 ? nc / j->nthreads * index : 0;
    float *T = j->m->time_s, *D = j->m->dist_m;
    for (size_t k = 0; k < nc; k++) {
        size_t c = start + k < nc ? start + k : start + k - nc;
        float bt = INFINITY, bd = INFINITY;
        if (searched) {
            for (uint8_t q = 0; q < j->cnseed[c]; q++) {
                const gm__seed *cs = &j->cseed[2 * c + q];
                float lt, ld;
                if (!gm__search_label(s, cs->node, &lt, &ld, NULL))
                    continue;
                float t = cs->time_s + lt, d = cs->dist_m + ld;
                if (t < bt || (t == bt && d < bd)) {
                    bt = t;
                    bd = d;
                }
            }
        }
        if (sj->ok && j->cjoin[c].ok && j->cjoin[c].link == sj->link) {
            float t, d;
            if (gm__join_direct(&j->cjoin[c], sj, j->roads, j->g, j->walk_kmh, &t, &d) &&
                (t < bt || (t == bt && d < bd))) {
                bt = t;
                bd = d;
            }
        }
        if (!(bt <= j->cutoff))
            bt = bd = INFINITY;
        T[c * ns + site] = bt;
        D[c * ns + site] = bd;
    }
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
        do_site(j, w->s, site, w->index);
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

void gm__matrix_free(gm__matrix *m)
{
    if (!m)
        return;
    gm__free(m->time_s);
    gm__free(m->dist_m);
    gm__free(m);
}

static size_t thread_count(int want, size_t nsites)
{
    long n = want > 0 ? want : sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        n = 1;
    if (n > MAX_THREADS)
        n = MAX_THREADS;
    if ((size_t)n > nsites)
        n = nsites ? (long)nsites : 1;
    return (size_t)n;
}

gm_status gm__matrix_compute(gm_ctx *ctx, const gm__roads *roads, const gm__graph *g,
                             const gm__graph *rev, const gm__join *cjoin, size_t ncust,
                             const gm__join *sjoin, size_t nsites, const gm__matrix_opts *opts,
                             gm__matrix **out)
{
    gm_status st = GM_OK;
    gm__matrix *m = NULL;
    gm__seed *cseed = NULL;
    uint8_t *cnseed = NULL;
    worker *ws = NULL;
    size_t nws = 0, started = 0;
    bool sync_ok = false;
    job j;
    memset(&j, 0, sizeof j);

    gm__matrix_opts o = {INFINITY, GM__WALK_KMH_DEFAULT, 0};
    if (opts)
        o = *opts;
    if (isnan(o.cutoff_s))
        o.cutoff_s = INFINITY;
    if (g->reversed || !rev->reversed || g->nnodes != rev->nnodes || g->mode != rev->mode ||
        g->nroad_nodes != roads->nnodes)
        return gm__err(ctx, GM_E_ARG,
                       "travel matrix: the graphs must be a %s graph of these roads and its reverse",
                       gm__mode_name(g->mode));
    char label[64];
    snprintf(label, sizeof label, "Travel times (%s)", gm__mode_name(g->mode));

    if (nsites && ncust > SIZE_MAX / sizeof(float) / nsites)
        return gm__err(ctx, GM_E_NOMEM, "travel matrix: %zu customers x %zu sites is too large",
                       ncust, nsites);
    size_t cells = ncust * nsites;
    m = gm__calloc(1, sizeof *m);
    if (!m)
        goto nomem;
    m->mode = g->mode;
    m->ncust = ncust;
    m->nsites = nsites;
    m->time_s = gm__malloc(cells * sizeof *m->time_s);
    m->dist_m = gm__malloc(cells * sizeof *m->dist_m);
    cseed = gm__malloc((ncust ? ncust : 1) * 2 * sizeof *cseed);
    cnseed = gm__malloc(ncust ? ncust : 1);
    if (!m->time_s || !m->dist_m || !cseed || !cnseed)
        goto nomem;
    for (size_t c = 0; c < ncust; c++)
        cnseed[c] = (uint8_t)gm__join_seeds(&cjoin[c], roads, g, o.walk_speed_kmh, false, &cseed[2 * c]);

    j.roads = roads;
    j.g = g;
    j.rev = rev;
    j.cjoin = cjoin;
    j.sjoin = sjoin;
    j.ncust = ncust;
    j.nsites = nsites;
    j.cutoff = o.cutoff_s;
    j.walk_kmh = o.walk_speed_kmh;
    j.cseed = cseed;
    j.cnseed = cnseed;
    j.m = m;
    atomic_init(&j.next, 0);
    atomic_init(&j.cancel, false);

    nws = thread_count(o.threads, nsites);
    j.nthreads = nws;
    ws = gm__calloc(nws, sizeof *ws);
    if (!ws)
        goto nomem;
    for (size_t i = 0; i < nws; i++) {
        ws[i].j = &j;
        ws[i].index = i;
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
        j.nthreads = 1;
        for (size_t s = 0; s < nsites; s++) {
            do_site(&j, ws[0].s, s, 0);
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
                reported = done;
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
        if (st != GM_OK)
            goto cleanup;
    }

    *out = m;
    m = NULL;
    goto cleanup;

nomem:
    st = gm__err(ctx, GM_E_NOMEM, "out of memory for the %s travel matrix of %zu customers x %zu sites",
                 gm__mode_name(g->mode), ncust, nsites);
cleanup:
    if (sync_ok) {
        pthread_cond_destroy(&j.cond);
        pthread_mutex_destroy(&j.lock);
    }
    for (size_t i = 0; ws && i < nws; i++)
        gm__search_free(ws[i].s);
    gm__free(ws);
    gm__free(cseed);
    gm__free(cnseed);
    gm__matrix_free(m);
    return st;
}
