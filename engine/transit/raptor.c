/*
 * RAPTOR over a gm__gtfs timetable (raptor.h).
 *
 * Labels: best[s] is the earliest arrival found so far at s (the paper's
 * tau*), and two round arrays hold only the arrivals improved in the last
 * round (prev) and this one (cur); everything else is UNREACHED.  Boarding in
 * round k reads prev, so a journey of round k uses exactly k trips; a stop
 * not improved in round k-1 was scanned from with the same time in an earlier
 * round, so leaving it out loses nothing (the paper's marking argument).
 * Arrivals are kept only when strictly earlier than best, which makes the trip
 * count the fewest among the earliest journeys.
 *
 * Footpaths are not chained (one walk between two trips), so a walk may only
 * start from an arrival by a vehicle (or a source), and an arrival on foot
 * that is the best at a stop must not hide a later arrival by vehicle there
 * that a further walk could use: vehicle arrivals have their own best
 * (best_ride) and mark list, and the walks of a round start from them.  With
 * only one best, a stop reached early on foot would cut off a walk onward
 * from a slightly later bus, and the search would miss journeys (the
 * real-data cross-check of forward against backward searches found this).
 *
 * Reuse: a run resets only the stops it touched (the touched list) and the
 * round arrays' marked lists, so a run costs what it reaches, not nstops.
 */
#include "raptor.h"

#include <stdlib.h>
#include <string.h>

#define INF GM__RAPTOR_UNREACHED
#define NOPOS UINT32_MAX

struct gm__raptor {
    const gm__gtfs *tt;
    uint32_t rounds;
    int32_t *best, *a, *b;   /* nstops each */
    uint8_t *ntrips;         /* nstops */
    uint32_t *mark_a, *mark_b; /* marked stops of the round in a / b */
    uint32_t nmark_a, nmark_b;
    uint32_t *stamp;         /* nstops: epoch at which the stop was last marked */
    uint32_t epoch;
    uint32_t *touched;       /* nstops: stops with best < INF */
    uint32_t ntouched;
    int32_t *best_ride;      /* nstops: earliest arrival by a vehicle (or as a source) */
    uint32_t *rtouched;      /* stops with best_ride < INF */
    uint32_t nrtouched;
    int32_t *ride;           /* nstops: this round's vehicle arrival, for its walks */
    uint32_t *rmark, nrmark; /* stops whose ride improved this round */
    uint32_t *rstamp;        /* nstops: epoch of the last rmark */
    uint32_t *qpos;          /* npatterns: earliest position to scan from, or NOPOS */
    uint32_t *queue;         /* npatterns */
    /* Legs (gm__raptor_keep_legs): for round k and stop s at [k * nstops + s],
     * how the label was reached.  Never reset: a chain followed from a label
     * of the last run only meets labels of that run. */
    uint32_t *leg_from;      /* boarding stop (trip), walk origin (footpath) */
    int32_t *leg_s;          /* seconds in the vehicle / walking */
    uint8_t *leg_kind;       /* LEG_* */
    uint32_t *ride_from;     /* [k * nstops + s]: boarding stop of the best vehicle arrival of round k */
    int32_t *ride_s;         /* its seconds in the vehicle */
};

enum { LEG_SOURCE = 0, LEG_TRIP = 1, LEG_FOOT = 2 };

void gm__raptor_free(gm__raptor *r)
{
    if (!r)
        return;
    gm__free(r->best);
    gm__free(r->a);
    gm__free(r->b);
    gm__free(r->ntrips);
    gm__free(r->mark_a);
    gm__free(r->mark_b);
    gm__free(r->stamp);
    gm__free(r->touched);
    gm__free(r->qpos);
    gm__free(r->queue);
    gm__free(r->leg_from);
    gm__free(r->leg_s);
    gm__free(r->leg_kind);
    gm__free(r->ride_from);
    gm__free(r->ride_s);
    gm__free(r->best_ride);
    gm__free(r->rtouched);
    gm__free(r->ride);
    gm__free(r->rmark);
    gm__free(r->rstamp);
    gm__free(r);
}

gm_status gm__raptor_keep_legs(gm_ctx *ctx, gm__raptor *r)
{
    size_t n = ((size_t)r->rounds + 1) * (r->tt->nstops ? r->tt->nstops : 1);
    if (r->leg_from)
        return GM_OK;
    r->leg_from = gm__malloc(n * sizeof *r->leg_from);
    r->leg_s = gm__malloc(n * sizeof *r->leg_s);
    r->leg_kind = gm__malloc(n);
    r->ride_from = gm__malloc(n * sizeof *r->ride_from);
    r->ride_s = gm__malloc(n * sizeof *r->ride_s);
    if (!r->leg_from || !r->leg_s || !r->leg_kind || !r->ride_from || !r->ride_s) {
        gm__free(r->leg_from);
        gm__free(r->leg_s);
        gm__free(r->leg_kind);
        gm__free(r->ride_from);
        gm__free(r->ride_s);
        r->leg_from = NULL;
        r->leg_s = NULL;
        r->leg_kind = NULL;
        r->ride_from = NULL;
        r->ride_s = NULL;
        return gm__err(ctx, GM_E_NOMEM, "out of memory for RAPTOR journey legs (%zu labels)", n);
    }
    return GM_OK;
}

bool gm__raptor_journey(const gm__raptor *r, uint32_t stop, gm__raptor_legs *out)
{
    memset(out, 0, sizeof *out);
    if (!r->leg_from || stop >= r->tt->nstops || r->best[stop] == INF)
        return false;
    size_t ns = r->tt->nstops;
    uint32_t k = r->ntrips[stop], s = stop;
    /* Each step moves to an earlier label of the same run, so the walk ends. */
    for (size_t guard = 0; guard <= (r->rounds + 1) * (ns + 1); guard++) {
        size_t at = (size_t)k * ns + s;
        switch (r->leg_kind[at]) {
        case LEG_SOURCE:
            out->source = s;
            return true;
        case LEG_TRIP:
            out->trips++;
            out->ride_s += r->leg_s[at];
            s = r->leg_from[at];
            k--;
            break;
        default: /* a walk from a vehicle arrival (or a source) at leg_from, same round */
            out->walk_s += r->leg_s[at];
            s = r->leg_from[at];
            if (k == 0) {
                out->source = s;
                return true;
            }
            at = (size_t)k * ns + s;
            out->trips++;
            out->ride_s += r->ride_s[at];
            s = r->ride_from[at];
            k--;
            break;
        }
    }
    return false;
}

gm_status gm__raptor_new(gm_ctx *ctx, const gm__gtfs *tt, uint32_t max_rounds, gm__raptor **out)
{
    if (max_rounds < 1 || max_rounds > GM__RAPTOR_MAX_ROUNDS)
        return gm__err(ctx, GM_E_ARG, "RAPTOR rounds %u: use 1..%d (the most trips of a journey)", max_rounds,
                       GM__RAPTOR_MAX_ROUNDS);
    gm__raptor *r = gm__calloc(1, sizeof *r);
    if (!r)
        goto nomem;
    size_t n = tt->nstops ? tt->nstops : 1, p = tt->npatterns ? tt->npatterns : 1;
    r->tt = tt;
    r->rounds = max_rounds;
    r->best = gm__malloc(n * sizeof *r->best);
    r->a = gm__malloc(n * sizeof *r->a);
    r->b = gm__malloc(n * sizeof *r->b);
    r->ntrips = gm__malloc(n);
    r->mark_a = gm__malloc(n * sizeof *r->mark_a);
    r->mark_b = gm__malloc(n * sizeof *r->mark_b);
    r->stamp = gm__calloc(n, sizeof *r->stamp);
    r->touched = gm__malloc(n * sizeof *r->touched);
    r->qpos = gm__malloc(p * sizeof *r->qpos);
    r->queue = gm__malloc(p * sizeof *r->queue);
    r->best_ride = gm__malloc(n * sizeof *r->best_ride);
    r->rtouched = gm__malloc(n * sizeof *r->rtouched);
    r->ride = gm__malloc(n * sizeof *r->ride);
    r->rmark = gm__malloc(n * sizeof *r->rmark);
    r->rstamp = gm__calloc(n, sizeof *r->rstamp);
    if (!r->best || !r->a || !r->b || !r->ntrips || !r->mark_a || !r->mark_b || !r->stamp || !r->touched || !r->qpos ||
        !r->queue || !r->best_ride || !r->rtouched || !r->ride || !r->rmark || !r->rstamp)
        goto nomem;
    for (size_t s = 0; s < n; s++)
        r->best[s] = r->a[s] = r->b[s] = r->best_ride[s] = INF;
    for (size_t i = 0; i < p; i++)
        r->qpos[i] = NOPOS;
    *out = r;
    return GM_OK;
nomem:
    gm__raptor_free(r);
    return gm__err(ctx, GM_E_NOMEM, "out of memory for RAPTOR state (%u stops, %u patterns)", tt->nstops, tt->npatterns);
}

static void next_epoch(gm__raptor *r)
{
    if (++r->epoch == 0) { /* wrapped: old stamps could collide */
        memset(r->stamp, 0, (r->tt->nstops ? r->tt->nstops : 1) * sizeof *r->stamp);
        memset(r->rstamp, 0, (r->tt->nstops ? r->tt->nstops : 1) * sizeof *r->rstamp);
        r->epoch = 1;
    }
}

/* Record arrival t at s in round k (cur, marks) when it beats the best so far;
 * from, leg and kind say how (kept with gm__raptor_keep_legs). */
static inline void improve(gm__raptor *r, int32_t *cur, uint32_t *mark, uint32_t *nmark, uint32_t s, int32_t t, uint8_t k,
                           uint32_t from, int32_t leg, uint8_t kind)
{
    if (t >= r->best[s])
        return;
    if (r->leg_from) {
        size_t at = (size_t)k * r->tt->nstops + s;
        r->leg_from[at] = from;
        r->leg_s[at] = leg;
        r->leg_kind[at] = kind;
    }
    if (r->best[s] == INF)
        r->touched[r->ntouched++] = s;
    r->best[s] = t;
    r->ntrips[s] = k;
    cur[s] = t;
    if (r->stamp[s] != r->epoch) {
        r->stamp[s] = r->epoch;
        mark[(*nmark)++] = s;
    }
}

/* A vehicle arrival (or a source) t at s in round k: walks may start from
 * it when it beats every earlier one by vehicle at s, whether or not it beats
 * the best arrival there (improve decides that). */
static inline void ride_in(gm__raptor *r, uint32_t s, int32_t t, uint8_t k, uint32_t board, int32_t ride)
{
    if (t >= r->best_ride[s])
        return;
    if (r->best_ride[s] == INF)
        r->rtouched[r->nrtouched++] = s;
    r->best_ride[s] = t;
    if (r->ride_from && k > 0) {
        size_t at = (size_t)k * r->tt->nstops + s;
        r->ride_from[at] = board;
        r->ride_s[at] = ride;
    }
    r->ride[s] = t;
    if (r->rstamp[s] != r->epoch) {
        r->rstamp[s] = r->epoch;
        r->rmark[r->nrmark++] = s;
    }
}

/* One walk from each stop whose vehicle arrival improved this round. */
static void relax_footpaths(gm__raptor *r, int32_t *cur, uint32_t *mark, uint32_t *nmark, uint8_t k)
{
    const gm__gtfs *tt = r->tt;
    for (uint32_t i = 0; i < r->nrmark; i++) {
        uint32_t s = r->rmark[i];
        int32_t t = r->ride[s];
        for (uint32_t e = tt->xfer_first[s]; e < tt->xfer_first[s + 1]; e++)
            improve(r, cur, mark, nmark, tt->xfer_to[e], t + tt->xfer_s[e], k, s, tt->xfer_s[e], LEG_FOOT);
    }
    r->nrmark = 0;
}

void gm__raptor_run(gm__raptor *r, const gm__raptor_src *src, size_t nsrc, int32_t *arr_s, uint8_t *ntrips)
{
    const gm__gtfs *tt = r->tt;
    /* reset what the last run touched */
    for (uint32_t i = 0; i < r->ntouched; i++)
        r->best[r->touched[i]] = INF;
    r->ntouched = 0;
    for (uint32_t i = 0; i < r->nrtouched; i++)
        r->best_ride[r->rtouched[i]] = INF;
    r->nrtouched = 0;
    r->nrmark = 0;
    for (uint32_t i = 0; i < r->nmark_a; i++)
        r->a[r->mark_a[i]] = INF;
    for (uint32_t i = 0; i < r->nmark_b; i++)
        r->b[r->mark_b[i]] = INF;
    r->nmark_a = r->nmark_b = 0;

    int32_t *prev = r->a, *cur = r->b;
    uint32_t *mprev = r->mark_a, *mcur = r->mark_b, *nprev = &r->nmark_a, *ncur = &r->nmark_b;

    /* round 0: the sources, then footpaths from them */
    next_epoch(r);
    for (size_t i = 0; i < nsrc; i++)
        if (src[i].stop < tt->nstops && src[i].time_s >= 0) {
            improve(r, prev, mprev, nprev, src[i].stop, src[i].time_s, 0, src[i].stop, 0, LEG_SOURCE);
            ride_in(r, src[i].stop, src[i].time_s, 0, NOPOS, 0);
        }
    relax_footpaths(r, prev, mprev, nprev, 0);

    for (uint32_t k = 1; k <= r->rounds && *nprev > 0; k++) {
        /* patterns through the stops improved last round, from the earliest such stop */
        uint32_t nq = 0;
        for (uint32_t i = 0; i < *nprev; i++) {
            uint32_t s = mprev[i];
            for (uint32_t e = tt->stop_first_pat[s]; e < tt->stop_first_pat[s + 1]; e++) {
                uint32_t p = tt->stop_pat[e], pos = tt->stop_pat_pos[e];
                if (r->qpos[p] == NOPOS)
                    r->queue[nq++] = p;
                if (pos < r->qpos[p])
                    r->qpos[p] = pos;
            }
        }
        next_epoch(r);
        for (uint32_t q = 0; q < nq; q++) {
            uint32_t p = r->queue[q], start = r->qpos[p];
            r->qpos[p] = NOPOS;
            uint32_t len = gm__gtfs_pat_len(tt, p), ntr = tt->pat_first_trip[p + 1] - tt->pat_first_trip[p];
            const uint32_t *stops = tt->pat_stops + tt->pat_first_stop[p];
            const uint8_t *flags = tt->pat_flags + tt->pat_first_stop[p];
            const int32_t *arr = tt->arr_s + tt->pat_first_time[p], *dep = tt->dep_s + tt->pat_first_time[p];
            uint32_t trip = NOPOS, board = NOPOS;
            int32_t board_t = 0;
            for (uint32_t i = start; i < len; i++) {
                uint32_t s = stops[i];
                if (trip != NOPOS && (flags[i] & GM__GTFS_DROPOFF)) {
                    int32_t a = arr[(size_t)trip * len + i];
                    improve(r, cur, mcur, ncur, s, a, (uint8_t)k, board, a - board_t, LEG_TRIP);
                    ride_in(r, s, a, (uint8_t)k, board, a - board_t);
                }
                int32_t t = prev[s];
                if (t == INF || !(flags[i] & GM__GTFS_PICKUP))
                    continue;
                if (trip != NOPOS && t > dep[(size_t)trip * len + i])
                    continue;
                /* earliest trip departing at or after t (FIFO: sorted at every stop) */
                uint32_t lo = 0, hi = trip == NOPOS ? ntr : trip + 1;
                while (lo < hi) {
                    uint32_t mid = lo + (hi - lo) / 2;
                    if (dep[(size_t)mid * len + i] < t)
                        lo = mid + 1;
                    else
                        hi = mid;
                }
                if (lo < (trip == NOPOS ? ntr : trip + 1)) {
                    trip = lo;
                    board = s;
                    board_t = dep[(size_t)trip * len + i];
                }
            }
        }
        relax_footpaths(r, cur, mcur, ncur, (uint8_t)k);

        /* cur becomes prev; the old prev is cleared for reuse as cur */
        for (uint32_t i = 0; i < *nprev; i++)
            prev[mprev[i]] = INF;
        *nprev = 0;
        int32_t *tv = prev;
        prev = cur;
        cur = tv;
        uint32_t *tm = mprev;
        mprev = mcur;
        mcur = tm;
        uint32_t *tn = nprev;
        nprev = ncur;
        ncur = tn;
    }
    for (uint32_t s = 0; s < tt->nstops; s++) {
        arr_s[s] = r->best[s];
        if (ntrips)
            ntrips[s] = r->best[s] == INF ? 0 : r->ntrips[s];
    }
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

gm_status gm__raptor_profile(gm_ctx *ctx, gm__raptor *r, const gm__raptor_src *src, size_t nsrc, int32_t t0_s,
                             int32_t t1_s, int32_t step_s, const uint32_t *targets, size_t ntargets,
                             int32_t *median_s, int32_t *worst_s)
{
    const gm__gtfs *tt = r->tt;
    if (t1_s < t0_s || step_s <= 0)
        return gm__err(ctx, GM_E_ARG, "RAPTOR profile: window %d..%d s with step %d s (need t0 <= t1, step > 0)", t0_s,
                       t1_s, step_s);
    int64_t nd = ((int64_t)t1_s - t0_s) / step_s + 1;
    if (nd > 100000)
        return gm__err(ctx, GM_E_ARG, "RAPTOR profile: %lld departures; at most 100000 (use a longer step)", (long long)nd);
    if (!targets && ntargets != tt->nstops)
        return gm__err(ctx, GM_E_ARG, "RAPTOR profile: without a target list, ntargets must be the %u stops", tt->nstops);
    for (size_t j = 0; targets && j < ntargets; j++)
        if (targets[j] >= tt->nstops)
            return gm__err(ctx, GM_E_ARG, "RAPTOR profile: target %zu is stop %u, beyond the %u stops", j, targets[j],
                           tt->nstops);
    gm_status st = GM_OK;
    size_t n = (size_t)nd;
    int32_t *tv = gm__malloc((ntargets ? n * ntargets : 1) * sizeof *tv);
    int32_t *arr = gm__malloc((tt->nstops ? tt->nstops : 1) * sizeof *arr);
    gm__raptor_src *sv = gm__malloc((nsrc ? nsrc : 1) * sizeof *sv);
    if (!tv || !arr || !sv) {
        st = gm__err(ctx, GM_E_NOMEM, "out of memory for a RAPTOR profile (%zu departures x %zu targets)", n, ntargets);
        goto cleanup;
    }
    for (size_t m = 0; m < n; m++) {
        int32_t t = (int32_t)(t0_s + (int64_t)m * step_s);
        for (size_t i = 0; i < nsrc; i++) {
            sv[i].stop = src[i].stop;
            sv[i].time_s = src[i].time_s < 0 || src[i].time_s > INT32_MAX / 2 ? -1 : t + src[i].time_s;
        }
        gm__raptor_run(r, sv, nsrc, arr, NULL);
        for (size_t j = 0; j < ntargets; j++) {
            int32_t a = arr[targets ? targets[j] : j];
            tv[j * n + m] = a == INF ? INF : a - t;
        }
    }
    for (size_t j = 0; j < ntargets; j++) {
        int32_t *v = tv + j * n;
        qsort(v, n, sizeof *v, cmp_i32);
        median_s[j] = v[(n - 1) / 2];
        worst_s[j] = v[n - 1];
    }
cleanup:
    gm__free(tv);
    gm__free(arr);
    gm__free(sv);
    return st;
}
