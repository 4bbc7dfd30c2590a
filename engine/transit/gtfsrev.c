/*
 * Timetable transforms for RAPTOR (gtfs.h): replacing footpaths, and the
 * time-reversed timetable behind arrive-by queries.  Reversal keeps every
 * property RAPTOR relies on: a FIFO pattern (no trip overtakes another at any
 * stop) stays FIFO with its trips in the opposite order, so trips sorted by
 * departure stay sorted.
 */
#include "gtfs.h"

#include <string.h>

void gm__gtfs_set_footpaths(gm__gtfs *g, uint32_t *first, uint32_t *to, int32_t *secs)
{
    gm__free(g->xfer_first);
    gm__free(g->xfer_to);
    gm__free(g->xfer_s);
    g->xfer_first = first;
    g->xfer_to = to;
    g->xfer_s = secs;
}

int32_t gm__gtfs_horizon(const gm__gtfs *g)
{
    int32_t h = 0;
    size_t nt = g->npatterns ? g->pat_first_time[g->npatterns - 1] +
                                   (size_t)(g->pat_first_trip[g->npatterns] - g->pat_first_trip[g->npatterns - 1]) *
                                       gm__gtfs_pat_len(g, g->npatterns - 1)
                             : 0;
    for (size_t i = 0; i < nt; i++) {
        if (g->arr_s[i] > h)
            h = g->arr_s[i];
        if (g->dep_s[i] > h)
            h = g->dep_s[i];
    }
    return h + 1;
}

gm_status gm__gtfs_reverse(gm_ctx *ctx, const gm__gtfs *g, int32_t horizon_s, gm__gtfs **out)
{
    if (horizon_s < gm__gtfs_horizon(g))
        return gm__err(ctx, GM_E_ARG, "reversed timetable: horizon %d s is not after the last time", horizon_s);
    uint32_t ns = g->nstops, np = g->npatterns;
    size_t nps = np ? g->pat_first_stop[np] : 0, ntr = np ? g->pat_first_trip[np] : 0;
    size_t nt = 0, nidx = ns ? g->stop_first_pat[ns] : 0, nx = g->xfer_first ? g->xfer_first[ns] : 0;
    for (uint32_t p = 0; p < np; p++)
        nt += (size_t)(g->pat_first_trip[p + 1] - g->pat_first_trip[p]) * gm__gtfs_pat_len(g, p);
    gm__gtfs *r = gm__calloc(1, sizeof *r);
    if (!r)
        goto nomem;
    r->date = g->date;
    r->weekday = g->weekday;
    r->nstops = ns;
    r->npatterns = np;
    r->ntrips_day = g->ntrips_day;
    r->pat_route = gm__malloc((np ? np : 1) * sizeof *r->pat_route);
    r->pat_first_stop = gm__malloc(((size_t)np + 1) * sizeof *r->pat_first_stop);
    r->pat_stops = gm__malloc((nps ? nps : 1) * sizeof *r->pat_stops);
    r->pat_flags = gm__malloc(nps ? nps : 1);
    r->pat_first_trip = gm__malloc(((size_t)np + 1) * sizeof *r->pat_first_trip);
    r->pat_trip = gm__malloc((ntr ? ntr : 1) * sizeof *r->pat_trip);
    r->pat_first_time = gm__malloc((np ? np : 1) * sizeof *r->pat_first_time);
    r->arr_s = gm__malloc((nt ? nt : 1) * sizeof *r->arr_s);
    r->dep_s = gm__malloc((nt ? nt : 1) * sizeof *r->dep_s);
    r->stop_first_pat = gm__malloc(((size_t)ns + 1) * sizeof *r->stop_first_pat);
    r->stop_pat = gm__malloc((nidx ? nidx : 1) * sizeof *r->stop_pat);
    r->stop_pat_pos = gm__malloc((nidx ? nidx : 1) * sizeof *r->stop_pat_pos);
    r->xfer_first = gm__calloc((size_t)ns + 1, sizeof *r->xfer_first);
    r->xfer_to = gm__malloc((nx ? nx : 1) * sizeof *r->xfer_to);
    r->xfer_s = gm__malloc((nx ? nx : 1) * sizeof *r->xfer_s);
    if (!r->pat_route || !r->pat_first_stop || !r->pat_stops || !r->pat_flags || !r->pat_first_trip ||
        !r->pat_trip || !r->pat_first_time || !r->arr_s || !r->dep_s || !r->stop_first_pat || !r->stop_pat ||
        !r->stop_pat_pos || !r->xfer_first || !r->xfer_to || !r->xfer_s)
        goto nomem;

    /* Patterns: stops and flags backwards, trips in the opposite order. */
    memcpy(r->pat_route, g->pat_route, np * sizeof *r->pat_route);
    memcpy(r->pat_first_stop, g->pat_first_stop, ((size_t)np + 1) * sizeof *r->pat_first_stop);
    memcpy(r->pat_first_trip, g->pat_first_trip, ((size_t)np + 1) * sizeof *r->pat_first_trip);
    memcpy(r->pat_first_time, g->pat_first_time, np * sizeof *r->pat_first_time);
    for (uint32_t p = 0; p < np; p++) {
        uint32_t len = gm__gtfs_pat_len(g, p), n = g->pat_first_trip[p + 1] - g->pat_first_trip[p];
        const uint32_t *st = g->pat_stops + g->pat_first_stop[p];
        const uint8_t *fl = g->pat_flags + g->pat_first_stop[p];
        for (uint32_t i = 0; i < len; i++) {
            r->pat_stops[g->pat_first_stop[p] + i] = st[len - 1 - i];
            uint8_t f = fl[len - 1 - i];
            r->pat_flags[g->pat_first_stop[p] + i] = (uint8_t)(((f & GM__GTFS_PICKUP) ? GM__GTFS_DROPOFF : 0u) |
                                                               ((f & GM__GTFS_DROPOFF) ? GM__GTFS_PICKUP : 0u));
        }
        const int32_t *arr = g->arr_s + g->pat_first_time[p], *dep = g->dep_s + g->pat_first_time[p];
        int32_t *rarr = r->arr_s + g->pat_first_time[p], *rdep = r->dep_s + g->pat_first_time[p];
        for (uint32_t j = 0; j < n; j++) {
            r->pat_trip[g->pat_first_trip[p] + j] = g->pat_trip[g->pat_first_trip[p] + (n - 1 - j)];
            for (uint32_t i = 0; i < len; i++) {
                size_t from = (size_t)(n - 1 - j) * len + (len - 1 - i), to = (size_t)j * len + i;
                rarr[to] = horizon_s - dep[from];
                rdep[to] = horizon_s - arr[from];
            }
        }
    }
    /* The stop index: same entries, positions counted from the other end. */
    memcpy(r->stop_first_pat, g->stop_first_pat, ((size_t)ns + 1) * sizeof *r->stop_first_pat);
    for (size_t e = 0; e < nidx; e++) {
        r->stop_pat[e] = g->stop_pat[e];
        r->stop_pat_pos[e] = gm__gtfs_pat_len(g, g->stop_pat[e]) - 1 - g->stop_pat_pos[e];
    }
    /* Footpaths transposed (a walk a -> b becomes b -> a), targets sorted. */
    for (size_t e = 0; e < nx; e++)
        r->xfer_first[g->xfer_to[e] + 1]++;
    for (uint32_t s = 0; s < ns; s++)
        r->xfer_first[s + 1] += r->xfer_first[s];
    for (uint32_t a = 0; a < ns && nx; a++) /* sources in order: each target's list comes out sorted */
        for (uint32_t e = g->xfer_first[a]; e < g->xfer_first[a + 1]; e++) {
            uint32_t b = g->xfer_to[e], k = r->xfer_first[b]++;
            r->xfer_to[k] = a;
            r->xfer_s[k] = g->xfer_s[e];
        }
    for (uint32_t s = ns; s > 0; s--)
        r->xfer_first[s] = r->xfer_first[s - 1];
    r->xfer_first[0] = 0;
    *out = r;
    return GM_OK;
nomem:
    gm__gtfs_free(r);
    return gm__err(ctx, GM_E_NOMEM, "out of memory reversing the timetable (%u patterns)", np);
}
