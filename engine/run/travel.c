/*
 * The travel stage: see travel.h.  Profiles start from the network module's
 * documented defaults; the config's speeds replace them class by class.  The
 * walking speed also times every join leg (the walk from a door to the road),
 * whatever the mode.
 */
#include "travel.h"

#include "../io/csvout.h"
#include "../transit/gtfs.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const gm__travel_mode_names[GM__TM_COUNT] = {"car", "walk", "walk_slow", "cycle", "bus"};

/* Build the profile of a run mode (GM__TM_* bit index) from the network
 * module's defaults and the config: walking and cycling take one flat speed
 * on every class they may use, then [speeds.<mode>] replaces class speeds.
 * walk_slow uses the walk overrides scaled to its slower pace. */
static void make_profile(const gm_config *cfg, int tm, gm__profile *p)
{
    enum { SP_CAR, SP_WALK, SP_CYCLE }; /* rows of cfg->travel.speed_kmh */
    static const gm__mode base[GM__TM_COUNT] = {GM__MODE_CAR, GM__MODE_WALK, GM__MODE_WALK,
                                                GM__MODE_CYCLE, GM__MODE_WALK};
    static const int speed_row[GM__TM_COUNT] = {SP_CAR, SP_WALK, SP_WALK, SP_CYCLE, SP_WALK};
    const double flat[GM__TM_COUNT] = {NAN, cfg->travel.walk_kmh, cfg->travel.slow_walk_kmh,
                                       cfg->travel.cycle_kmh};
    const double scale = tm == 2 ? cfg->travel.slow_walk_kmh / cfg->travel.walk_kmh : 1.0;
    gm__profile_default(base[tm], p);
    for (int c = 0; c < GM__RC_COUNT && c < GM__NCLASSES; c++) {
        if (!isnan(flat[tm]) && p->speed_kmh[c] > 0)
            p->speed_kmh[c] = (float)flat[tm];
        double o = cfg->travel.speed_kmh[speed_row[tm]][c];
        if (!isnan(o))
            p->speed_kmh[c] = (float)(o * scale);
    }
}

static gm_status join_all(gm_ctx *ctx, const gm__travel_mode *tmode, const gm_config *cfg,
                          const double *x, const double *y, size_t n, gm__join *out,
                          uint64_t *joined, uint64_t *unjoined)
{
    for (size_t i = 0; i < n; i++) {
        gm__snap_point(tmode->ix, x[i], y[i], (float)cfg->travel.join_max_m, &out[i]);
        if (out[i].ok && !out[i].isolated)
            (*joined)++;
        else
            (*unjoined)++;
        if ((i & 4095) == 4095) {
            gm_status st = gm__progress(ctx, i, n, "Joining points to roads");
            if (st != GM_OK)
                return st;
        }
    }
    return GM_OK;
}

void gm__travel_opts(const gm_config *cfg, int tm, gm__reach_opts *o)
{
    o->cutoff_s = (float)(cfg->travel.cutoff_min * 60.0);
    /* Join legs are walked at the mode's walking pace: the slower one for walk_slow. */
    o->walk_speed_kmh = (float)(tm == 2 ? cfg->travel.slow_walk_kmh : cfg->travel.walk_kmh);
    o->threads = cfg->travel.threads;
}

static gm_status run_mode(gm_ctx *ctx, const gm_config *cfg, const gm_inputs *in, gm__rejlist *warn,
                          gm__travel *t, int tm)
{
    gm__travel_mode *md = &t->modes[tm];
    md->report.mode = gm__travel_mode_names[tm];
    gm__profile prof;
    make_profile(cfg, tm, &prof);
    gm_status st;
    gm__log(ctx, GM_LOG_INFO, "Building the %s network", md->report.mode);
    if ((st = gm__graph_build(ctx, t->roads, &prof, &md->g)) != GM_OK ||
        (st = gm__graph_reverse(ctx, md->g, &md->rev)) != GM_OK ||
        (st = gm__snap_index_new_ex(ctx, t->roads, md->g, &prof, &md->ix)) != GM_OK)
        return st;
    md->report.graph = md->g->stats;
    if (md->g->stats.nodes_kept < md->g->stats.nodes_usable)
        gm__log(ctx, GM_LOG_INFO,
                "%s network: kept the largest connected part, %u of %u nodes (%u separate parts "
                "dropped, e.g. private estates, islands, one-way stubs at the data's edge)",
                md->report.mode, md->g->stats.nodes_kept, md->g->stats.nodes_usable,
                md->g->stats.components - 1);

    size_t nc, ns;
    const gm_customer *cs = gm_inputs_customers(in, &nc);
    const gm_site *ss = gm_inputs_sites(in, &ns);
    double *x = gm__malloc((nc > ns ? nc : ns) * sizeof *x);
    double *y = gm__malloc((nc > ns ? nc : ns) * sizeof *y);
    md->cjoin = gm__calloc(nc, sizeof *md->cjoin);
    md->sjoin = gm__calloc(ns, sizeof *md->sjoin);
    if (!x || !y || !md->cjoin || !md->sjoin) {
        st = gm__err(ctx, GM_E_NOMEM, "out of memory joining points to the %s network", md->report.mode);
        goto cleanup;
    }
    for (size_t i = 0; i < nc; i++) {
        x[i] = cs[i].easting_m;
        y[i] = cs[i].northing_m;
    }
    if ((st = join_all(ctx, md, cfg, x, y, nc, md->cjoin, &md->report.customers_joined,
                       &md->report.customers_unjoined)) != GM_OK)
        goto cleanup;
    for (size_t i = 0; i < ns; i++) {
        x[i] = ss[i].easting_m;
        y[i] = ss[i].northing_m;
    }
    if ((st = join_all(ctx, md, cfg, x, y, ns, md->sjoin, &md->report.sites_joined,
                       &md->report.sites_unjoined)) != GM_OK)
        goto cleanup;

    /* A point with no usable road near it, or whose nearest road is cut off
     * from the rest of the network (an island), keeps its place in the results
     * but has no times for this mode: say so, row by row. */
    char far[320], cut[320];
    snprintf(far, sizeof far,
             "no road usable by %s within %.0f m of the postcode (join_max_m in [travel]); no %s "
             "travel times for this row",
             md->report.mode, cfg->travel.join_max_m, md->report.mode);
    snprintf(cut, sizeof cut,
             "the nearest road usable by %s is on a separate part of the network (an island, or "
             "roads with no %s connection to the rest); no %s travel times for this row",
             md->report.mode, md->report.mode, md->report.mode);
    for (size_t i = 0; i < nc; i++) {
        const gm__join *j = &md->cjoin[i];
        if ((!j->ok || j->isolated) &&
            !gm__rejlist_add(warn, cfg->customers.file_raw, cs[i].line, cs[i].id, "postcode",
                             "", true, j->ok ? cut : far))
            goto nomem;
    }
    for (size_t i = 0; i < ns; i++) {
        const gm__join *j = &md->sjoin[i];
        if ((!j->ok || j->isolated) &&
            !gm__rejlist_add(warn, cfg->providers.file_raw, ss[i].line, ss[i].site_id, "postcode",
                             "", true, j->ok ? cut : far))
            goto nomem;
    }

    gm__matrix_opts mo;
    gm__travel_opts(cfg, tm, &mo);
    if ((st = gm__matrix_compute(ctx, t->roads, md->g, md->rev, md->cjoin, nc, md->sjoin, ns, &mo,
                                 &md->m)) != GM_OK)
        goto cleanup;
    md->report.pairs = (uint64_t)nc * ns;
    md->report.pairs_reached = md->m->reached;
    t->computed |= 1u << tm;
    goto cleanup;

nomem:
    st = gm__err(ctx, GM_E_NOMEM, "out of memory listing unjoined points");
cleanup:
    gm__free(x);
    gm__free(y);
    return st;
}

void gm__travel_pt_opts(const gm_config *cfg, gm__pt_opts *o)
{
    gm__pt_opts_init(o);
    o->arrive_by_s = (int32_t)lround(cfg->transit.arrive_by_min * 60);
    o->step_s = (int32_t)lround(cfg->transit.step_min * 60);
    o->window_s = (int32_t)lround(cfg->transit.window_min * 60);
    o->max_rounds = (uint32_t)cfg->transit.max_transfers + 1;
    o->access_max_m = (float)cfg->transit.access_max_m;
    o->transfer_max_m = (float)cfg->transit.transfer_max_m;
    o->stop_join_max_m = (float)cfg->transit.stop_join_max_m;
    o->walk_kmh = (float)(cfg->transit.walk_mode == 2 ? cfg->travel.slow_walk_kmh : cfg->travel.walk_kmh);
    o->cutoff_s = (float)(cfg->travel.cutoff_min * 60.0);
    o->threads = cfg->travel.threads;
}

/* The bus mode: the timetable for the date, its stops on the walk network,
 * and every customer's times by bus with walking (ptimes.h).  The timetable's
 * skipped rows and the stops that cannot be used are listed in rejects. */
static gm_status run_bus(gm_ctx *ctx, const gm_config *cfg, const gm_inputs *in, gm__rejlist *warn, gm__travel *t)
{
    const int wm = cfg->transit.walk_mode;
    const gm__travel_mode *wk = &t->modes[wm];
    gm__travel_mode *md = &t->modes[GM__TM_BUS_INDEX];
    gm__travel_bus *b = &t->bus;
    md->report = wk->report;
    md->report.mode = gm__travel_mode_names[GM__TM_BUS_INDEX];
    b->walk_tm = wm;
    gm__gtfs_opts go;
    gm__gtfs_opts_init(&go);
    go.date = cfg->transit.date;
    go.transfer_max_m = 0; /* footpaths are walked on the network instead (ptimes.c) */
    gm__log(ctx, GM_LOG_INFO, "Reading the timetable %s for %u", cfg->transit.gtfs_raw, cfg->transit.date);
    gm_status st = gm__gtfs_load(ctx, cfg->transit.gtfs, &go, &b->tt);
    if (st != GM_OK)
        return st;
    char file[512];
    for (size_t i = 0; i < b->tt->nissues; i++) {
        const gm__gtfs_issue *is = &b->tt->issues[i];
        snprintf(file, sizeof file, "%s/%s", cfg->transit.gtfs_raw, is->file);
        if (!gm__rejlist_add(warn, file, is->line, "", is->field, "", false, is->reason))
            return gm__err(ctx, GM_E_NOMEM, "out of memory listing the timetable's skipped rows");
    }
    if (b->tt->nissues_total > b->tt->nissues)
        gm__log(ctx, GM_LOG_WARN, "%s: %llu timetable problems, the first %zu listed in rejects.csv",
                cfg->transit.gtfs_raw, (unsigned long long)b->tt->nissues_total, b->tt->nissues);
    if (b->tt->ntrips_day == 0)
        gm__log(ctx, GM_LOG_WARN,
                "%s: no trip runs on %u (check [transit] date against calendar.txt): bus times are walking "
                "times",
                cfg->transit.gtfs_raw, cfg->transit.date);
    gm__pt_opts po;
    gm__travel_pt_opts(cfg, &po);
    if ((st = gm__ptnet_new(ctx, b->tt, t->roads, wk->g, wk->rev, wk->ix, &po, &b->net)) != GM_OK)
        return st;
    gm__log(ctx, GM_LOG_INFO,
            "Timetable: %u stops (%u on the walk network), %u trips on the day, %llu walks between stops",
            b->tt->nstops, b->net->stops_used, b->tt->ntrips_day, (unsigned long long)b->net->footpaths);
    snprintf(file, sizeof file, "%s/stops.txt", cfg->transit.gtfs_raw);
    for (uint32_t s = 0; s < b->tt->nstops; s++) {
        const gm__join *j = &b->net->stop_join[s];
        if (j->ok && !j->isolated)
            continue;
        char why[256];
        snprintf(why, sizeof why,
                 j->ok ? "the stop is on a part of the walk network cut off from the rest; not used"
                       : "no walkable path within %.0f m of the stop (stop_join_max_m in [transit]); not used",
                 cfg->transit.stop_join_max_m);
        if (!gm__rejlist_add(warn, file, 0, b->tt->stop_id[s], "stop_lat", "", true, why))
            return gm__err(ctx, GM_E_NOMEM, "out of memory listing unusable stops");
    }
    size_t nc, ns;
    gm_inputs_customers(in, &nc);
    gm_inputs_sites(in, &ns);
    size_t n = nc * ns > 0 ? nc * ns : 1;
    if (!(md->m = gm__calloc(1, sizeof *md->m)) || !(md->m->time_s = gm__malloc(n * sizeof(float))) ||
        !(md->m->dist_m = gm__malloc(n * sizeof(float))) || !(b->worst_s = gm__malloc(n * sizeof(float))) ||
        !(b->vehicles = gm__malloc(n)) || !(b->walk_s = gm__malloc(n * sizeof(float))) ||
        !(b->ride_s = gm__malloc(n * sizeof(float))) || !(b->wait_s = gm__malloc(n * sizeof(float))))
        return gm__err(ctx, GM_E_NOMEM, "out of memory for bus times of %zu customers x %zu sites", nc, ns);
    md->m->mode = GM__MODE_WALK;
    md->m->ncust = nc;
    md->m->nsites = ns;
    gm__pt_out o = {md->m->time_s, b->worst_s, b->vehicles, b->walk_s, b->ride_s, b->wait_s};
    if ((st = gm__pt_times(ctx, b->net, wk->cjoin, nc, wk->sjoin, ns, wk->m->time_s, "Travel times (bus)", &o)) !=
        GM_OK)
        return st;
    for (size_t i = 0; i < nc * ns; i++) {
        md->m->dist_m[i] = NAN;
        md->m->reached += isfinite(md->m->time_s[i]);
    }
    md->report.pairs = (uint64_t)nc * ns;
    md->report.pairs_reached = md->m->reached;
    md->report.timetable = true;
    md->report.date = b->tt->date;
    md->report.stops = b->tt->nstops;
    md->report.stops_used = b->net->stops_used;
    md->report.stops_far = b->net->stops_far;
    md->report.stops_isolated = b->net->stops_isolated;
    md->report.routes = b->tt->nroutes;
    md->report.trips = b->tt->ntrips;
    md->report.stop_times = b->tt->nstop_times;
    md->report.trips_day = b->tt->ntrips_day;
    md->report.footpaths = b->net->footpaths;
    md->report.issues = b->tt->nissues_total;
    t->computed |= GM__TM_BUS;
    return GM_OK;
}

gm_status gm__travel_run(gm_ctx *ctx, const gm_config *cfg, const gm_inputs *in, gm__rejlist *warn,
                         gm__travel **out)
{
    gm__travel *t = gm__calloc(1, sizeof *t);
    if (!t)
        return gm__err(ctx, GM_E_NOMEM, "out of memory starting the travel stage");
    gm__log(ctx, GM_LOG_INFO, "Reading roads %s", cfg->roads.file_raw);
    gm_status st = gm__roads_load(ctx, cfg->roads.file, &t->roads);
    for (int tm = 0; st == GM_OK && tm < GM__TM_COUNT; tm++) {
        if (tm != GM__TM_BUS_INDEX && (cfg->travel.modes & (1u << tm)))
            st = run_mode(ctx, cfg, in, warn, t, tm);
    }
    if (st == GM_OK && (cfg->travel.modes & GM__TM_BUS))
        st = run_bus(ctx, cfg, in, warn, t);
    if (st != GM_OK) {
        gm__travel_free(t);
        return st;
    }
    *out = t;
    return GM_OK;
}

void gm__travel_free(gm__travel *t)
{
    if (!t)
        return;
    for (int tm = 0; tm < GM__TM_COUNT; tm++) {
        gm__travel_mode *md = &t->modes[tm];
        gm__matrix_free(md->m);
        gm__free(md->cjoin);
        gm__free(md->sjoin);
        gm__snap_index_free(md->ix);
        gm__graph_free(md->rev);
        gm__graph_free(md->g);
    }
    gm__ptnet_free(t->bus.net);
    gm__gtfs_free(t->bus.tt);
    gm__free(t->bus.worst_s);
    gm__free(t->bus.vehicles);
    gm__free(t->bus.walk_s);
    gm__free(t->bus.ride_s);
    gm__free(t->bus.wait_s);
    gm__roads_free(t->roads);
    gm__free(t);
}

/* Order of a customer's sites by time, then site index (deterministic). */
typedef struct ranked {
    float time_s;
    uint32_t site;
} ranked;

static int cmp_ranked(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->time_s != y->time_s)
        return x->time_s < y->time_s ? -1 : 1;
    return (x->site > y->site) - (x->site < y->site);
}

gm_status gm__travel_write(gm_ctx *ctx, const char *dir, const gm_config *cfg, const gm_inputs *in,
                           const gm__travel *t)
{
    size_t nc, ns;
    const gm_customer *cs = gm_inputs_customers(in, &nc);
    const gm_site *ss = gm_inputs_sites(in, &ns);
    gm__csvout *w = NULL, *wn = NULL;
    ranked *rk = NULL;
    char *path = gm__asprintf("%s/matrix.csv", dir);
    char *npath = gm__asprintf("%s/nearest.csv", dir);
    gm_status st = GM_OK;
    if (!path || !npath || !(rk = gm__malloc((ns ? ns : 1) * sizeof *rk))) {
        st = gm__err(ctx, GM_E_NOMEM, "out of memory writing the travel matrix");
        goto cleanup;
    }
    if ((st = gm__csvout_open(ctx, path, &w)) != GM_OK || (st = gm__csvout_open(ctx, npath, &wn)) != GM_OK)
        goto cleanup;
    /* The bus columns describe the journey arriving by [transit] arrive_by;
     * time_s is the median over the window and time_worst_s its worst. */
    static const char *const head[] = {"customer_id", "site_id", "mode", "time_s", "dist_m", "customer_join_m",
                                       "site_join_m", "time_worst_s", "vehicles", "walk_s", "ride_s", "wait_s"};
    static const char *const nhead[] = {"customer_id", "mode", "rank", "site_id", "time_s", "dist_m"};
    if ((st = gm__csvout_row(w, head, 12)) != GM_OK || (st = gm__csvout_row(wn, nhead, 6)) != GM_OK)
        goto cleanup;
    for (size_t c = 0; c < nc; c++) {
        if ((c & 255) == 255 && (st = gm__progress(ctx, c, nc, "Writing travel times")) != GM_OK)
            goto cleanup;
        for (size_t s = 0; s < ns; s++) {
            for (int tm = 0; tm < GM__TM_COUNT; tm++) {
                if (!(t->computed & (1u << tm)))
                    continue;
                const gm__travel_mode *md = &t->modes[tm];
                bool bus = tm == GM__TM_BUS_INDEX;
                const gm__travel_mode *jm = bus ? &t->modes[t->bus.walk_tm] : md; /* whose joins */
                size_t at = c * ns + s;
                float ts = md->m->time_s[at], dm = md->m->dist_m[at];
                char tb[32], db[32], cj[32], sj[32], wb[32], vb[8] = "", kb[32], rb[32], qb[32];
                gm__fmt_fixed(tb, sizeof tb, isfinite(ts) ? ts : NAN, 1);
                gm__fmt_fixed(db, sizeof db, isfinite(ts) ? dm : NAN, 1);
                gm__fmt_fixed(cj, sizeof cj, jm->cjoin[c].ok ? jm->cjoin[c].join_m : NAN, 1);
                gm__fmt_fixed(sj, sizeof sj, jm->sjoin[s].ok ? jm->sjoin[s].join_m : NAN, 1);
                bool trip = bus && t->bus.vehicles[at] != 255;
                gm__fmt_fixed(wb, sizeof wb, bus && isfinite(t->bus.worst_s[at]) ? t->bus.worst_s[at] : NAN, 1);
                if (trip)
                    snprintf(vb, sizeof vb, "%u", (unsigned)t->bus.vehicles[at]);
                gm__fmt_fixed(kb, sizeof kb, trip ? t->bus.walk_s[at] : NAN, 1);
                gm__fmt_fixed(rb, sizeof rb, trip ? t->bus.ride_s[at] : NAN, 1);
                gm__fmt_fixed(qb, sizeof qb, trip ? t->bus.wait_s[at] : NAN, 1);
                const char *row[] = {cs[c].id, ss[s].site_id, md->report.mode, tb, db, cj, sj, wb, vb, kb, rb, qb};
                if ((st = gm__csvout_row(w, row, 12)) != GM_OK)
                    goto cleanup;
            }
        }
        for (int tm = 0; tm < GM__TM_COUNT; tm++) {
            if (!(t->computed & (1u << tm)))
                continue;
            const gm__travel_mode *md = &t->modes[tm];
            size_t n = 0;
            for (size_t s = 0; s < ns; s++) {
                float ts = md->m->time_s[c * ns + s];
                if (isfinite(ts))
                    rk[n++] = (ranked){ts, (uint32_t)s};
            }
            qsort(rk, n, sizeof *rk, cmp_ranked);
            for (size_t r = 0; r < n && r < (size_t)cfg->travel.nearest; r++) {
                char rb[24], tb[32], db[32];
                snprintf(rb, sizeof rb, "%zu", r + 1);
                gm__fmt_fixed(tb, sizeof tb, rk[r].time_s, 1);
                gm__fmt_fixed(db, sizeof db, md->m->dist_m[c * ns + rk[r].site], 1);
                const char *row[] = {cs[c].id, md->report.mode, rb, ss[rk[r].site].site_id, tb, db};
                if ((st = gm__csvout_row(wn, row, 6)) != GM_OK)
                    goto cleanup;
            }
        }
    }
    st = gm__csvout_close(w);
    w = NULL;
    if (st == GM_OK)
        st = gm__csvout_close(wn);
    wn = NULL;
cleanup:
    gm__csvout_abort(w);
    gm__csvout_abort(wn);
    gm__free(rk);
    gm__free(path);
    gm__free(npath);
    return st;
}
