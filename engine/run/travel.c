/*
 * The travel stage: see travel.h.  Profiles start from the network module's
 * documented defaults; the config's speeds replace them class by class.  The
 * walking speed also times every join leg (the walk from a door to the road),
 * whatever the mode.
 */
#include "travel.h"

#include "../io/csvout.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const gm__travel_mode_names[GM__TM_COUNT] = {"car", "walk", "walk_slow", "cycle"};

/* Build the profile of a run mode (GM__TM_* bit index) from the network
 * module's defaults and the config: walking and cycling take one flat speed
 * on every class they may use, then [speeds.<mode>] replaces class speeds.
 * walk_slow uses the walk overrides scaled to its slower pace. */
static void make_profile(const gm_config *cfg, int tm, gm__profile *p)
{
    enum { SP_CAR, SP_WALK, SP_CYCLE }; /* rows of cfg->travel.speed_kmh */
    static const gm__mode base[GM__TM_COUNT] = {GM__MODE_CAR, GM__MODE_WALK, GM__MODE_WALK,
                                                GM__MODE_CYCLE};
    static const int speed_row[GM__TM_COUNT] = {SP_CAR, SP_WALK, SP_WALK, SP_CYCLE};
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

gm_status gm__travel_run(gm_ctx *ctx, const gm_config *cfg, const gm_inputs *in, gm__rejlist *warn,
                         gm__travel **out)
{
    gm__travel *t = gm__calloc(1, sizeof *t);
    if (!t)
        return gm__err(ctx, GM_E_NOMEM, "out of memory starting the travel stage");
    gm__log(ctx, GM_LOG_INFO, "Reading roads %s", cfg->roads.file_raw);
    gm_status st = gm__roads_load(ctx, cfg->roads.file, &t->roads);
    for (int tm = 0; st == GM_OK && tm < GM__TM_COUNT; tm++) {
        if (cfg->travel.modes & (1u << tm))
            st = run_mode(ctx, cfg, in, warn, t, tm);
    }
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
    static const char *const head[] = {"customer_id", "site_id", "mode", "time_s",
                                       "dist_m", "customer_join_m", "site_join_m"};
    static const char *const nhead[] = {"customer_id", "mode", "rank", "site_id", "time_s", "dist_m"};
    if ((st = gm__csvout_row(w, head, 7)) != GM_OK || (st = gm__csvout_row(wn, nhead, 6)) != GM_OK)
        goto cleanup;
    for (size_t c = 0; c < nc; c++) {
        if ((c & 255) == 255 && (st = gm__progress(ctx, c, nc, "Writing travel times")) != GM_OK)
            goto cleanup;
        for (size_t s = 0; s < ns; s++) {
            for (int tm = 0; tm < GM__TM_COUNT; tm++) {
                if (!(t->computed & (1u << tm)))
                    continue;
                const gm__travel_mode *md = &t->modes[tm];
                float ts = md->m->time_s[c * ns + s], dm = md->m->dist_m[c * ns + s];
                char tb[32], db[32], cj[32], sj[32];
                gm__fmt_fixed(tb, sizeof tb, isfinite(ts) ? ts : NAN, 1);
                gm__fmt_fixed(db, sizeof db, isfinite(ts) ? dm : NAN, 1);
                gm__fmt_fixed(cj, sizeof cj, md->cjoin[c].ok ? md->cjoin[c].join_m : NAN, 1);
                gm__fmt_fixed(sj, sizeof sj, md->sjoin[s].ok ? md->sjoin[s].join_m : NAN, 1);
                const char *row[] = {cs[c].id, ss[s].site_id, md->report.mode, tb, db, cj, sj};
                if ((st = gm__csvout_row(w, row, 7)) != GM_OK)
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
