/*
 * Public transport times (ptimes.h).  Every walking leg comes from the walk
 * network through gm__reach_run: stops play the sites (access: which points
 * can walk to a stop; footpaths: which stops can walk to a stop) or the
 * customers (egress: which stops can walk to a provider site).  Walk times
 * are rounded up to whole seconds, the timetable's unit.
 *
 * Work per provider site: one RAPTOR run on the reversed timetable per
 * deadline, then each point's best access stop.  Points with no stop within
 * reach skip the timetable entirely (their time is the walk).
 */
#include "ptimes.h"

#include "../geo/crs.h"
#include "raptor.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define INF GM__RAPTOR_UNREACHED
#define NONE UINT32_MAX

void gm__pt_opts_init(gm__pt_opts *o)
{
    o->arrive_by_s = 10 * 3600;
    o->window_s = 3600;
    o->step_s = 60;
    o->max_rounds = 4;
    o->access_max_m = 800;
    o->transfer_max_m = 400;
    o->stop_join_max_m = 100;
    o->walk_kmh = 4.8f;
    o->cutoff_s = INFINITY;
    o->threads = 0;
}

/* ---- walking legs as lists per site ------------------------------------- */

typedef struct ent {
    uint32_t idx;  /* the other end: a point, a stop */
    int32_t t;     /* walking seconds, rounded up */
} ent;

typedef struct lists {
    uint32_t *first; /* nsites + 1 */
    ent *e;
} lists;

typedef struct list_sink {
    bool fill, skip_self;
    uint32_t *count; /* pass 1 */
    const uint32_t *first;
    ent *e;
} list_sink;

static int ent_cmp(const void *a, const void *b)
{
    const ent *x = a, *y = b;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

/* Seconds rounded up, forgiving float noise: a walk of 150.00002 s is 150. */
static int32_t whole_s(float t)
{
    return (int32_t)ceilf(t - 1e-3f);
}

static void on_reach(void *arg, size_t site, const gm__reach_cell *cells, size_t n, size_t worker)
{
    (void)worker;
    list_sink *k = arg;
    if (!k->fill) {
        uint32_t c = 0;
        for (size_t i = 0; i < n; i++)
            c += !(k->skip_self && cells[i].cust == site);
        k->count[site] = c;
        return;
    }
    ent *e = k->e + k->first[site];
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!(k->skip_self && cells[i].cust == site))
            e[m++] = (ent){cells[i].cust, whole_s(cells[i].time_s)};
    qsort(e, m, sizeof *e, ent_cmp); /* reach hands cells over in no set order */
}

/* For each site, the points that can walk to it within max_m: two passes of
 * the same searches (count, then fill), so no list grows while threads run. */
static gm_status walk_lists(gm_ctx *ctx, const gm__pt_net *net, const gm__join *pj, size_t npts, const gm__join *sj,
                            size_t nsites, float max_m, bool skip_self, const char *label, lists *out)
{
    out->first = gm__calloc(nsites + 1, sizeof *out->first);
    out->e = NULL;
    if (!out->first)
        return gm__err(ctx, GM_E_NOMEM, "out of memory for walks to and from bus stops");
    gm__reach_opts o = {max_m / (net->o.walk_kmh / 3.6f), net->o.walk_kmh, net->o.threads};
    list_sink k = {false, skip_self, out->first + 1, NULL, NULL};
    gm_status st = gm__reach_run(ctx, net->roads, net->g, net->grev, pj, npts, sj, nsites, &o, label, on_reach, &k);
    if (st != GM_OK)
        return st;
    for (size_t s = 0; s < nsites; s++)
        out->first[s + 1] += out->first[s];
    if (!(out->e = gm__malloc((out->first[nsites] ? out->first[nsites] : 1) * sizeof *out->e)))
        return gm__err(ctx, GM_E_NOMEM, "out of memory for %u walks to and from bus stops", out->first[nsites]);
    k = (list_sink){true, skip_self, NULL, out->first, out->e};
    return gm__reach_run(ctx, net->roads, net->g, net->grev, pj, npts, sj, nsites, &o, label, on_reach, &k);
}

static void lists_free(lists *l)
{
    gm__free(l->first);
    gm__free(l->e);
    l->first = NULL;
    l->e = NULL;
}

/* The same walks listed by the other end (points -> sites), sites ascending. */
static gm_status transpose(gm_ctx *ctx, const lists *in, size_t nsites, size_t npts, lists *out)
{
    size_t n = in->first[nsites];
    out->first = gm__calloc(npts + 1, sizeof *out->first);
    out->e = gm__malloc((n ? n : 1) * sizeof *out->e);
    if (!out->first || !out->e) {
        lists_free(out);
        return gm__err(ctx, GM_E_NOMEM, "out of memory for walks to bus stops");
    }
    for (size_t i = 0; i < n; i++)
        out->first[in->e[i].idx + 1]++;
    for (size_t p = 0; p < npts; p++)
        out->first[p + 1] += out->first[p];
    for (size_t s = 0; s < nsites; s++)
        for (uint32_t i = in->first[s]; i < in->first[s + 1]; i++)
            out->e[out->first[in->e[i].idx]++] = (ent){(uint32_t)s, in->e[i].t};
    for (size_t p = npts; p > 0; p--)
        out->first[p] = out->first[p - 1];
    out->first[0] = 0;
    return GM_OK;
}

/* ---- the network -------------------------------------------------------- */

void gm__ptnet_free(gm__pt_net *net)
{
    if (!net)
        return;
    gm__gtfs_free(net->rev);
    gm__free(net->stop_join);
    gm__free(net);
}

gm_status gm__ptnet_new(gm_ctx *ctx, gm__gtfs *tt, const gm__roads *roads, const gm__graph *g,
                        const gm__graph *grev, const gm__snap_index *ix, const gm__pt_opts *opts, gm__pt_net **out)
{
    gm__pt_opts o;
    gm__pt_opts_init(&o);
    if (opts)
        o = *opts;
    if (o.window_s < 0 || o.step_s <= 0 || o.arrive_by_s < 0 || o.max_rounds < 1 ||
        o.max_rounds > GM__RAPTOR_MAX_ROUNDS || !(o.access_max_m >= 0) || !(o.transfer_max_m >= 0) ||
        !(o.stop_join_max_m >= 0) || !(o.walk_kmh > 0) || (int64_t)o.window_s / o.step_s > 10000)
        return gm__err(ctx, GM_E_ARG,
                       "public transport options: arrive_by %d s, window %d s, step %d s, %u vehicles, walks "
                       "%g/%g/%g m at %g km/h are out of range",
                       o.arrive_by_s, o.window_s, o.step_s, o.max_rounds, (double)o.access_max_m,
                       (double)o.transfer_max_m, (double)o.stop_join_max_m, (double)o.walk_kmh);
    gm__pt_net *net = gm__calloc(1, sizeof *net);
    gm__xform *xf = NULL;
    lists in = {0}, outl = {0};
    gm_status st = GM_OK;
    if (!net || !(net->stop_join = gm__calloc(tt->nstops ? tt->nstops : 1, sizeof *net->stop_join))) {
        st = gm__err(ctx, GM_E_NOMEM, "out of memory joining %u bus stops to the walk network", tt->nstops);
        goto fail;
    }
    net->tt = tt;
    net->roads = roads;
    net->g = g;
    net->grev = grev;
    net->o = o;
    if ((st = gm__xform_new(ctx, "EPSG:4326", roads->crs, &xf)) != GM_OK)
        goto fail;
    for (uint32_t s = 0; s < tt->nstops; s++) {
        double x = tt->stop_lon[s], y = tt->stop_lat[s];
        gm__join *j = &net->stop_join[s];
        if (!gm__xform_point(xf, &x, &y)) {
            j->ok = false;
        } else {
            gm__snap_point(ix, x, y, o.stop_join_max_m, j);
        }
        if (!j->ok)
            net->stops_far++;
        else if (j->isolated)
            net->stops_isolated++;
        else
            net->stops_used++;
    }
    /* Footpaths: for each stop, the stops that can walk to it; RAPTOR wants
     * them by the stop walked from. */
    if ((st = walk_lists(ctx, net, net->stop_join, tt->nstops, net->stop_join, tt->nstops, o.transfer_max_m, true,
                         "Walks between bus stops", &in)) != GM_OK ||
        (st = transpose(ctx, &in, tt->nstops, tt->nstops, &outl)) != GM_OK)
        goto fail;
    size_t nf = outl.first[tt->nstops];
    uint32_t *to = gm__malloc((nf ? nf : 1) * sizeof *to);
    int32_t *secs = gm__malloc((nf ? nf : 1) * sizeof *secs);
    if (!to || !secs) {
        gm__free(to);
        gm__free(secs);
        st = gm__err(ctx, GM_E_NOMEM, "out of memory for %zu walks between bus stops", nf);
        goto fail;
    }
    for (size_t i = 0; i < nf; i++) {
        to[i] = outl.e[i].idx;
        secs[i] = outl.e[i].t;
    }
    gm__gtfs_set_footpaths(tt, outl.first, to, secs);
    outl.first = NULL;
    net->footpaths = nf;
    net->horizon_s = gm__gtfs_horizon(tt);
    if (net->horizon_s <= o.arrive_by_s)
        net->horizon_s = o.arrive_by_s + 1;
    if ((st = gm__gtfs_reverse(ctx, tt, net->horizon_s, &net->rev)) != GM_OK)
        goto fail;
    lists_free(&in);
    lists_free(&outl);
    gm__xform_free(xf);
    *out = net;
    return GM_OK;
fail:
    lists_free(&in);
    lists_free(&outl);
    gm__xform_free(xf);
    gm__ptnet_free(net);
    return st;
}

/* ---- times -------------------------------------------------------------- */

typedef struct job {
    const gm__pt_net *net;
    size_t npts, nsites, nd;
    int32_t t0, step;
    const uint32_t *nz;       /* points with a stop within reach */
    size_t nnz;
    lists acc;                /* by nz index: stops and access walks */
    lists egr;                /* by site: stops and egress walks */
    const float *walk_only;
    gm__pt_out *out;
    atomic_size_t next;
    atomic_bool cancel;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    size_t done, exited;
} job;

typedef struct worker {
    job *j;
    pthread_t tid;
    gm__raptor *r;
    gm__raptor_src *src;
    int32_t *arr;   /* nstops */
    int32_t *tv;    /* nnz x nd */
    uint32_t *bstop; /* nnz: best access stop by the last deadline */
} worker;

/* Lower median and maximum of v[0..n), n >= 1 (v is reordered): a
 * quickselect with a three-way partition, since many values tie (unreached,
 * or the walk time that caps every deadline). */
static void median_max(int32_t *v, size_t n, int32_t *med, int32_t *max)
{
    int32_t mx = v[0];
    for (size_t i = 1; i < n; i++)
        mx = v[i] > mx ? v[i] : mx;
    *max = mx;
    size_t k = (n - 1) / 2, lo = 0, hi = n - 1;
    while (lo < hi) {
        int32_t pivot = v[lo + (hi - lo) / 2], t;
        size_t lt = lo, i = lo, gt = hi; /* v[lo..lt) < pivot, v[lt..i) == pivot, v(gt..hi] > pivot */
        while (i <= gt) {
            if (v[i] < pivot) {
                t = v[lt], v[lt++] = v[i], v[i++] = t;
            } else if (v[i] > pivot) {
                t = v[gt], v[gt--] = v[i], v[i] = t;
            } else {
                i++;
            }
        }
        if (k < lt)
            hi = lt - 1;
        else if (k > gt)
            lo = gt + 1;
        else {
            *med = pivot;
            return;
        }
    }
    *med = v[k];
}

static float as_time(int32_t v, float cutoff)
{
    return v == INF || (float)v > cutoff ? INFINITY : (float)v;
}

static void do_site(worker *w, size_t s)
{
    job *j = w->j;
    const gm__pt_net *net = j->net;
    const int32_t H = net->horizon_s;
    const float cutoff = net->o.cutoff_s;
    uint32_t e0 = j->egr.first[s], e1 = j->egr.first[s + 1];
    bool any = e0 < e1;
    for (size_t m = 0; m < j->nd; m++) {
        int32_t T = j->t0 + (int32_t)m * j->step, start = H - T;
        if (!any) {
            for (size_t oi = 0; oi < j->nnz; oi++) {
                w->tv[oi * j->nd + m] = INF;
                w->bstop[oi] = NONE;
            }
            continue;
        }
        size_t nsrc = 0;
        for (uint32_t e = e0; e < e1; e++)
            w->src[nsrc++] = (gm__raptor_src){j->egr.e[e].idx, start + j->egr.e[e].t};
        gm__raptor_run(w->r, w->src, nsrc, w->arr, NULL);
        for (size_t oi = 0; oi < j->nnz; oi++) {
            int32_t best = INF;
            uint32_t bs = NONE;
            for (uint32_t a = j->acc.first[oi]; a < j->acc.first[oi + 1]; a++) {
                int32_t t = w->arr[j->acc.e[a].idx];
                if (t == INF)
                    continue;
                int32_t v = t + j->acc.e[a].t - start;
                if (v < best) {
                    best = v;
                    bs = j->acc.e[a].idx;
                }
            }
            w->tv[oi * j->nd + m] = best;
            w->bstop[oi] = bs; /* kept from the last deadline, arrive_by */
        }
    }
    gm__pt_out *o = j->out;
    size_t ns = j->nsites, nd = j->nd;
    for (size_t oi = 0, p = 0; p < j->npts; p++) {
        size_t at = p * ns + s;
        float walk = j->walk_only ? j->walk_only[at] : INFINITY;
        if (!(walk <= cutoff))
            walk = INFINITY;
        int32_t wi = isfinite(walk) ? whole_s(walk) : INF;
        int32_t last = INF;
        uint32_t bs = NONE;
        size_t mine = NONE; /* p's index among the points near a stop */
        o->median_s[at] = o->worst_s[at] = walk;
        if (oi < j->nnz && j->nz[oi] == p) {
            /* Walking caps every deadline's time; a minimum with a constant
             * commutes with the median and the maximum. */
            mine = oi;
            int32_t *v = w->tv + oi * nd, med, mx;
            last = v[nd - 1];
            bs = w->bstop[oi];
            median_max(v, nd, &med, &mx);
            o->median_s[at] = fminf(walk, as_time(med, cutoff));
            o->worst_s[at] = fminf(walk, as_time(mx, cutoff));
            oi++;
        }
        if (!o->vehicles)
            continue;
        /* The journey arriving by arrive_by: walking alone when it is no slower. */
        gm__raptor_legs legs;
        if (wi <= last && wi != INF) {
            o->vehicles[at] = 0;
            o->walk_s[at] = walk;
            o->ride_s[at] = o->wait_s[at] = 0;
        } else if (last != INF && !((float)last > cutoff) && mine != NONE && bs != NONE &&
                   gm__raptor_journey(w->r, bs, &legs)) {
            int32_t egress = 0, access = 0;
            for (uint32_t e = e0; e < e1; e++)
                if (j->egr.e[e].idx == legs.source)
                    egress = j->egr.e[e].t;
            for (uint32_t a = j->acc.first[mine]; a < j->acc.first[mine + 1]; a++)
                if (j->acc.e[a].idx == bs)
                    access = j->acc.e[a].t;
            int32_t walked = access + legs.walk_s + egress;
            o->vehicles[at] = legs.trips;
            o->walk_s[at] = (float)walked;
            o->ride_s[at] = (float)legs.ride_s;
            o->wait_s[at] = (float)(last - walked - legs.ride_s);
        } else {
            o->vehicles[at] = 255;
            o->walk_s[at] = o->ride_s[at] = o->wait_s[at] = NAN;
        }
    }
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    job *j = w->j;
    for (;;) {
        if (atomic_load(&j->cancel))
            break;
        size_t s = atomic_fetch_add(&j->next, 1);
        if (s >= j->nsites)
            break;
        do_site(w, s);
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

gm_status gm__pt_times(gm_ctx *ctx, const gm__pt_net *net, const gm__join *pj, size_t npts, const gm__join *sjoin,
                       size_t nsites, const float *walk_only, const char *label, gm__pt_out *out)
{
    const gm__gtfs *tt = net->tt;
    job j;
    memset(&j, 0, sizeof j);
    lists by_stop = {0};
    uint32_t *nz = NULL;
    worker *ws = NULL;
    size_t nws = 0, started = 0;
    bool sync_ok = false;
    gm_status st;
    j.net = net;
    j.npts = npts;
    j.nsites = nsites;
    j.walk_only = walk_only;
    j.out = out;
    j.step = net->o.step_s;
    j.nd = (size_t)(net->o.window_s / net->o.step_s) + 1;
    j.t0 = net->o.arrive_by_s - (int32_t)(j.nd - 1) * net->o.step_s;
    atomic_init(&j.next, 0);
    atomic_init(&j.cancel, false);

    /* Access walks by point (only the points near a stop), egress by site. */
    if ((st = walk_lists(ctx, net, pj, npts, net->stop_join, tt->nstops, net->o.access_max_m, false,
                         "Walks to bus stops", &by_stop)) != GM_OK ||
        (st = transpose(ctx, &by_stop, tt->nstops, npts, &j.acc)) != GM_OK)
        goto cleanup;
    lists_free(&by_stop);
    if ((st = walk_lists(ctx, net, net->stop_join, tt->nstops, sjoin, nsites, net->o.access_max_m, false,
                         "Walks from bus stops", &j.egr)) != GM_OK)
        goto cleanup;
    if (!(nz = gm__malloc((npts ? npts : 1) * sizeof *nz)))
        goto nomem;
    for (size_t p = 0; p < npts; p++)
        if (j.acc.first[p + 1] > j.acc.first[p]) {
            j.acc.first[j.nnz] = j.acc.first[p]; /* compact in place: first[k] <= first[p] for k <= p */
            nz[j.nnz++] = (uint32_t)p;
        }
    j.acc.first[j.nnz] = j.acc.first[npts];
    j.nz = nz;

    uint32_t maxe = 1;
    for (size_t s = 0; s < nsites; s++)
        if (j.egr.first[s + 1] - j.egr.first[s] > maxe)
            maxe = j.egr.first[s + 1] - j.egr.first[s];
    long cpus = net->o.threads > 0 ? net->o.threads : sysconf(_SC_NPROCESSORS_ONLN);
    nws = (size_t)(cpus > 0 ? cpus : 1);
    if (nws > nsites)
        nws = nsites ? nsites : 1;
    if (!(ws = gm__calloc(nws, sizeof *ws)))
        goto nomem;
    for (size_t i = 0; i < nws; i++) {
        ws[i].j = &j;
        ws[i].src = gm__malloc(maxe * sizeof *ws[i].src);
        ws[i].arr = gm__malloc((tt->nstops ? tt->nstops : 1) * sizeof *ws[i].arr);
        ws[i].tv = gm__malloc((j.nnz ? j.nnz * j.nd : 1) * sizeof *ws[i].tv);
        ws[i].bstop = gm__malloc((j.nnz ? j.nnz : 1) * sizeof *ws[i].bstop);
        if (!ws[i].src || !ws[i].arr || !ws[i].tv || !ws[i].bstop)
            goto nomem;
        if ((st = gm__raptor_new(ctx, net->rev, net->o.max_rounds, &ws[i].r)) != GM_OK ||
            (out->vehicles && (st = gm__raptor_keep_legs(ctx, ws[i].r)) != GM_OK))
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
                break;
            started++;
        }
    }
    if (started == 0) {
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
            if (done > reported && st == GM_OK && (st = gm__progress(ctx, done, nsites, label)) != GM_OK)
                atomic_store(&j.cancel, true);
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
    st = gm__err(ctx, GM_E_NOMEM, "out of memory for bus times of %zu points x %zu sites", npts, nsites);
cleanup:
    if (sync_ok) {
        pthread_cond_destroy(&j.cond);
        pthread_mutex_destroy(&j.lock);
    }
    for (size_t i = 0; ws && i < nws; i++) {
        gm__raptor_free(ws[i].r);
        gm__free(ws[i].src);
        gm__free(ws[i].arr);
        gm__free(ws[i].tv);
        gm__free(ws[i].bstop);
    }
    gm__free(ws);
    gm__free(nz);
    lists_free(&by_stop);
    lists_free(&j.acc);
    lists_free(&j.egr);
    return st;
}
