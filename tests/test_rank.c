/*
 * Ranking (engine/analysis/rank.c, rankwrite.c) on hand-built customers and
 * sites with a made-up travel-time matrix: each eligibility rule with its
 * reason, the weights against cases worked out by hand, the minimum-cost
 * assignment against brute force over every assignment of small random
 * instances, the need order, the writer's files and their row counts, the
 * withholding of small counts, and clean failures when memory runs out.
 *
 * The fixture: customers travel by car (a family drives them) unless a test
 * says otherwise, need learning-disability support and a building-based
 * service; sites offer that, support every need, are open Monday to Friday,
 * have 10 places, charge GBP 50 a day and are on the framework.  Times are
 * whole minutes, so every score is a multiple of 0.2 points.
 */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <gdal.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/rank.h"
#include "io/gpkg.h"
#include "io/vwriter.h"
#include "run/config.h"
#include "testutil.h"

#define MAXC 16
#define MAXS 6

static gm_ctx *ctx;
static void setup(void) { cr_assert_eq(gm_ctx_new(&ctx), GM_OK); }
static void teardown(void)
{
    gm__alloc_fail_after(-1);
    gm_ctx_free(ctx);
}

#define MINIMAL "[postcodes]\nfile = pc.csv\n[customers]\nfile = cust.csv\n[providers]\nfile = prov.csv\n"

/* The defaults of a real config file, plus extra lines. */
static gm_config *config(const char *extra)
{
    char text[1024];
    snprintf(text, sizeof text, MINIMAL "%s", extra ? extra : "");
    const char *dir = gmt_tmpdir("rank-config");
    gm_config *cfg = NULL;
    cr_assert_eq(gm_config_load(ctx, gmt_write(dir, "c.ini", text), &cfg), GM_OK, "%s", gm_ctx_errmsg(ctx));
    return cfg;
}

typedef struct fx {
    gm_customer c[MAXC];
    gm_site s[MAXS];
    float t[MAXC * MAXS];      /* car seconds */
    float walk[MAXC * MAXS];   /* walk seconds */
    bool area[MAXS];
    char cid[MAXC][8], sid[MAXS][8], pid[MAXS][8], pname[MAXS][16];
    gm__rank_in in;
} fx;

static void fx_init(fx *f, gm_config *cfg, size_t nc, size_t ns)
{
    memset(f, 0, sizeof *f);
    for (size_t i = 0; i < nc; i++) {
        snprintf(f->cid[i], sizeof f->cid[i], "C%zu", i);
        f->c[i] = (gm_customer){.id = f->cid[i], .easting_m = 450000 + 100.0 * (double)i, .northing_m = 300000,
                                .area = "", .needs = GM_NEED_LEARNING_DISABILITY,
                                .service = GM_SERVICE_BUILDING_BASED, .age_band = "", .current_site = -1,
                                .preferred_site = -1, .transport = GM_TRANSPORT_FAMILY, .weekly_cost = NAN};
    }
    for (size_t s = 0; s < ns; s++) {
        snprintf(f->sid[s], sizeof f->sid[s], "S%zu", s);
        snprintf(f->pid[s], sizeof f->pid[s], "P%zu", s);
        snprintf(f->pname[s], sizeof f->pname[s], "Provider %zu", s);
        f->s[s] = (gm_site){.site_id = f->sid[s], .site_name = "", .provider_id = f->pid[s],
                            .provider_name = f->pname[s], .easting_m = 451000, .northing_m = 301000 + 500.0 * (double)s,
                            .services = GM_SERVICE_BUILDING_BASED, .needs = (1u << GM_NEED_COUNT) - 1,
                            .places_per_day = 10, .places_used = -1, .price_per_day = 50,
                            .status = GM_STATUS_FRAMEWORK, .open_days = GM_DAYS_WEEKDAYS};
        f->area[s] = true;
    }
    for (size_t i = 0; i < MAXC * MAXS; i++)
        f->t[i] = f->walk[i] = INFINITY;
    f->in = (gm__rank_in){.cfg = cfg, .cs = f->c, .nc = nc, .ss = f->s, .ns = ns, .computed = GM__TM_CAR,
                          .in_area = f->area};
    f->in.time_s[0] = f->t;
}

static void minutes(fx *f, size_t c, size_t s, double m)
{
    f->t[c * f->in.ns + s] = (float)(m * 60);
}

static gm__ranking *run(fx *f)
{
    gm__ranking *r = NULL;
    cr_assert_eq(gm__rank_run(ctx, &f->in, &r), GM_OK, "%s", gm_ctx_errmsg(ctx));
    return r;
}

static const char *reasons(fx *f, const gm__ranking *r, size_t c, size_t s)
{
    static char buf[512];
    gm__rank_reasons(&f->in, r, c, s, buf, sizeof buf);
    return buf;
}

static uint32_t first_site(const gm__ranking *r, size_t c)
{
    size_t n;
    const gm__rank_entry *e = gm__rank_list(r, c, &n);
    cr_assert_gt(n, 0, "customer %zu has an empty list", c);
    return e[0].site;
}

Test(rank, the_nearest_site_full_gives_the_next_one, .init = setup, .fini = teardown)
{
    gm_config *cfg = config(NULL);
    fx f;
    fx_init(&f, cfg, 2, 2);
    minutes(&f, 0, 0, 10), minutes(&f, 0, 1, 15);
    minutes(&f, 1, 0, 10), minutes(&f, 1, 1, 15);
    f.s[0].places_per_day = 4, f.s[0].places_used = 4; /* full */
    f.c[1].current_site = 0;                              /* ... but C1 has their place there */
    gm__ranking *r = run(&f);
    cr_assert_eq(first_site(r, 0), 1);
    cr_assert_eq(gm__rank_excluded(r, 0, 0), GM__RX_FULL);
    cr_assert_str_eq(reasons(&f, r, 0, 0), "no places free");
    size_t n;
    gm__rank_list(r, 0, &n);
    cr_assert_eq(n, 1);
    cr_assert_eq(first_site(r, 1), 0, "their current site always has their place");
    cr_assert_eq(gm__rank_excluded(r, 1, 0), 0);
    cr_assert_str_eq(reasons(&f, r, 1, 0), "");
    /* The cohort's places at S0: 4 less the 3 used by people not in the file. */
    cr_assert_eq(r->cap[0], 1);
    cr_assert_eq(r->cap[1], 10);
    gm__ranking_free(r);
    gm_config_free(cfg);
}

Test(rank, the_cheapest_site_out_of_area_is_excluded_unless_allowed, .init = setup, .fini = teardown)
{
    gm_config *cfg = config(NULL);
    fx f;
    fx_init(&f, cfg, 1, 2);
    minutes(&f, 0, 0, 20), minutes(&f, 0, 1, 20);
    f.s[0].price_per_day = 30, f.s[1].price_per_day = 80;
    f.area[0] = false;
    gm__ranking *r = run(&f);
    cr_assert_eq(gm__rank_excluded(r, 0, 0), GM__RX_OUT_OF_AREA);
    cr_assert_str_eq(reasons(&f, r, 0, 0), "outside the council's area");
    cr_assert_eq(first_site(r, 0), 1);
    gm__ranking_free(r);
    gm_config_free(cfg);

    cfg = config("[ranking]\nallow_out_of_area = yes\n");
    f.in.cfg = cfg;
    r = run(&f);
    cr_assert_eq(gm__rank_excluded(r, 0, 0), 0);
    cr_assert_eq(first_site(r, 0), 0, "the cheaper site, now allowed, comes first");
    gm__ranking_free(r);
    gm_config_free(cfg);
}

Test(rank, a_preference_outweighs_a_small_time_difference_but_not_a_large_one, .init = setup,
     .fini = teardown)
{
    gm_config *cfg = config(NULL);
    fx f;
    fx_init(&f, cfg, 2, 2);
    f.c[0].preferred_site = f.c[1].preferred_site = 1;
    /* C0: 5 minutes more to the preferred site (worth 10 points): it wins.
     * C1: 15 minutes more: the nearer one wins. */
    minutes(&f, 0, 0, 10), minutes(&f, 0, 1, 15);
    minutes(&f, 1, 0, 10), minutes(&f, 1, 1, 25);
    gm__ranking *r = run(&f);
    cr_assert_eq(first_site(r, 0), 1);
    cr_assert_eq(first_site(r, 1), 0);
    size_t n;
    const gm__rank_entry *e = gm__rank_list(r, 0, &n);
    cr_assert_float_eq(e[0].preference_pts, -10, 1e-12);
    cr_assert_float_eq(e[0].score, 15 + 10 - 10, 1e-9); /* 15 min + GBP 50 (10 points) - choice */
    gm__ranking_free(r);
    gm_config_free(cfg);
}

Test(rank, a_site_closed_on_a_day_they_attend_is_excluded_with_the_day_named, .init = setup,
     .fini = teardown)
{
    gm_config *cfg = config(NULL);
    fx f;
    fx_init(&f, cfg, 2, 2);
    for (size_t c = 0; c < 2; c++)
        minutes(&f, c, 0, 5), minutes(&f, c, 1, 30);
    f.s[0].open_days = 0x1b;             /* Mon, Tue, Thu, Fri */
    f.c[0].days = 0x05;                  /* Mon, Wed */
    f.c[1].days = 0;                     /* not given: no check */
    gm__ranking *r = run(&f);
    cr_assert_eq(gm__rank_excluded(r, 0, 0), GM__RX_DAYS);
    cr_assert_str_eq(reasons(&f, r, 0, 0), "closed on Wednesday");
    cr_assert_eq(first_site(r, 0), 1);
    cr_assert_eq(gm__rank_excluded(r, 1, 0), 0);
    cr_assert_eq(first_site(r, 1), 0);
    /* Every failed rule is named, in order. */
    f.c[0].days = 0x60;                  /* Sat, Sun */
    f.c[0].service = GM_SERVICE_ONE_TO_ONE;
    f.c[0].needs = GM_NEED_DEMENTIA;
    f.s[0].needs = GM_NEED_LEARNING_DISABILITY;
    f.t[0] = INFINITY;
    gm__ranking_free(r);
    r = run(&f);
    cr_assert_eq(gm__rank_excluded(r, 0, 0), GM__RX_SERVICE | GM__RX_NEEDS | GM__RX_DAYS | GM__RX_UNREACHED);
    cr_assert_str_eq(reasons(&f, r, 0, 0),
                     "does not offer one to one; does not support dementia; closed on Saturday, Sunday; "
                     "not reached by car within the travel cut-off");
    gm__ranking_free(r);
    gm_config_free(cfg);
}

Test(rank, a_dementia_customer_has_the_stricter_goal, .init = setup, .fini = teardown)
{
    gm_config *cfg = config(NULL); /* car goal 45 min, 30 for people with dementia */
    fx f;
    fx_init(&f, cfg, 2, 1);
    minutes(&f, 0, 0, 40), minutes(&f, 1, 0, 40);
    f.c[1].needs |= GM_NEED_DEMENTIA;
    gm__ranking *r = run(&f);
    cr_assert_float_eq(r->goal_min[0], 45, 1e-12);
    cr_assert_float_eq(r->goal_min[1], 30, 1e-12);
    cr_assert(gm__rank_within_goal(r, 0));
    cr_assert_not(gm__rank_within_goal(r, 1));
    cr_assert_eq(gm__rank_assigned(r, 1), -1);
    cr_assert_eq(first_site(r, 1), 0, "still on their list: eligible, only beyond the goal");
    char why[512];
    size_t n;
    gm__rank_why(&f.in, r, 1, gm__rank_list(r, 1, &n), why, sizeof why);
    cr_assert(strstr(why, "40 min by car (beyond their 30-minute goal)") != NULL, "%s", why);
    gm__ranking_free(r);
    gm_config_free(cfg);
}

Test(rank, score_parts_add_up_and_the_reasons_read_out, .init = setup, .fini = teardown)
{
    gm_config *cfg = config(NULL);
    fx f;
    fx_init(&f, cfg, 1, 4);
    minutes(&f, 0, 0, 12), minutes(&f, 0, 1, 20), minutes(&f, 0, 2, 7), minutes(&f, 0, 3, 30);
    f.s[0].price_per_day = 55, f.s[0].status = GM_STATUS_SPOT;
    f.s[1].price_per_day = NAN, f.s[1].status = GM_STATUS_LEGACY;
    f.s[2].price_per_day = 40;
    f.s[3].price_per_day = 70;
    f.c[0].preferred_site = 0;
    f.c[0].current_site = 3;
    gm__ranking *r = run(&f);
    /* Median of 40, 55, 70 is 55.  Scores:
     *   S0: 12 + 11 + 5 - 10 = 18     S1: 20 + 11 + 5 = 36 (price assumed)
     *   S2: 7 + 8 = 15                S3: 30 + 14 - 10 = 34 */
    cr_assert_float_eq(r->median_price, 55, 1e-12);
    size_t n;
    const gm__rank_entry *e = gm__rank_list(r, 0, &n);
    cr_assert_eq(n, 4);
    static const uint32_t order[] = {2, 0, 3, 1};
    static const double score[] = {15, 18, 34, 36};
    for (size_t k = 0; k < n; k++) {
        cr_assert_eq(e[k].site, order[k], "rank %zu", k + 1);
        cr_assert_float_eq(e[k].score, score[k], 1e-9);
        cr_assert_float_eq(e[k].time_pts + e[k].price_pts + e[k].status_pts + e[k].preference_pts +
                               e[k].continuity_pts,
                           e[k].score, 1e-12);
    }
    cr_assert(e[3].price_assumed);
    char why[512];
    gm__rank_why(&f.in, r, 0, &e[1], why, sizeof why);
    cr_assert_str_eq(why, "12 min by car; spot purchase; GBP 55 a day; their stated choice; 10 places free");
    gm__rank_why(&f.in, r, 0, &e[3], why, sizeof why);
    cr_assert_str_eq(why, "20 min by car; legacy arrangement; price not given (the median, GBP 55 a day, "
                          "assumed); 10 places free");
    gm__rank_why(&f.in, r, 0, &e[2], why, sizeof why);
    cr_assert_str_eq(why, "30 min by car; framework provider; GBP 70 a day; their current site");
    gm__ranking_free(r);
    gm_config_free(cfg);

    /* Ties: same score, the shorter journey first, then the lower index. */
    cfg = config("[ranking]\nweight_price = 0\nweight_time = 0\n");
    fx_init(&f, cfg, 1, 3);
    minutes(&f, 0, 0, 20), minutes(&f, 0, 1, 10), minutes(&f, 0, 2, 10);
    r = run(&f);
    e = gm__rank_list(r, 0, &n);
    cr_assert_eq(e[0].site, 1);
    cr_assert_eq(e[1].site, 2);
    cr_assert_eq(e[2].site, 0);
    gm__ranking_free(r);
    gm_config_free(cfg);
}

Test(rank, the_list_keeps_the_top_n_and_walkers_are_judged_on_foot, .init = setup, .fini = teardown)
{
    gm_config *cfg = config("[ranking]\ntop = 2\n");
    fx f;
    fx_init(&f, cfg, 2, 4);
    f.in.computed = GM__TM_CAR | GM__TM_WALK;
    f.in.time_s[1] = f.walk;
    for (size_t s = 0; s < 4; s++) {
        minutes(&f, 0, s, 10 + 5 * (double)s);
        f.walk[1 * 4 + s] = (float)(60 * (40 - 5 * (double)s)); /* on foot, the last site is nearest */
        minutes(&f, 1, s, 10 + 5 * (double)s);
    }
    f.c[1].transport = GM_TRANSPORT_INDEPENDENT;
    gm__ranking *r = run(&f);
    size_t n;
    gm__rank_list(r, 0, &n);
    cr_assert_eq(n, 2);
    cr_assert_eq(r->neligible[0], 4);
    cr_assert_eq(r->mode[1], 1);
    cr_assert_eq(first_site(r, 1), 3);
    cr_assert_float_eq(r->goal_min[1], 20, 1e-12);
    /* On foot the nearest, S3, is 25 min: beyond the 20-minute walking goal. */
    cr_assert_eq(gm__rank_assigned(r, 1), -1);
    gm__ranking_free(r);
    gm_config_free(cfg);
}

/* ---- the assignment ---- */

typedef struct best {
    size_t placed;
    double total;
} best;

/* Every assignment of customers c.. (each to an assignable site with room,
 * or none): the most placed, then the least total score. */
static void brute(fx *f, const gm__ranking *r, size_t c, uint32_t *load, size_t placed, double total, best *b)
{
    if (c == f->in.nc) {
        if (placed > b->placed || (placed == b->placed && total < b->total - 1e-9))
            *b = (best){placed, total};
        return;
    }
    brute(f, r, c + 1, load, placed, total, b);
    for (size_t s = 0; s < f->in.ns; s++) {
        gm__rank_entry e;
        if (!gm__rank_assignable(&f->in, r, c, s) || load[s] >= r->cap[s])
            continue;
        cr_assert(gm__rank_score(&f->in, r, c, s, &e));
        load[s]++;
        brute(f, r, c + 1, load, placed + 1, total + e.score, b);
        load[s]--;
    }
}

static uint64_t rng = 2024;
static uint32_t rnd(uint32_t n)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)((rng >> 33) % n);
}

Test(rank, min_cost_places_as_many_as_brute_force_at_the_least_total_score, .init = setup, .fini = teardown)
{
    gm_config *cfg = config(NULL);
    fx f;
    for (int round = 0; round < 400; round++) {
        size_t nc = 1 + rnd(7), ns = 1 + rnd(3);
        fx_init(&f, cfg, nc, ns);
        for (size_t s = 0; s < ns; s++) {
            f.s[s].places_per_day = (int32_t)rnd(3);
            f.s[s].places_used = rnd(3) ? -1 : (int32_t)rnd(3);
            f.s[s].price_per_day = rnd(4) ? 30 + 5 * rnd(10) : NAN;
            f.s[s].status = (gm_framework_status)rnd(3);
            f.s[s].needs = rnd(4) ? (1u << GM_NEED_COUNT) - 1 : GM_NEED_LEARNING_DISABILITY;
            f.area[s] = rnd(6) != 0;
        }
        for (size_t c = 0; c < nc; c++) {
            f.c[c].needs = rnd(3) ? GM_NEED_LEARNING_DISABILITY : GM_NEED_DEMENTIA;
            f.c[c].current_site = rnd(2) ? (int32_t)rnd((uint32_t)ns) : -1;
            f.c[c].preferred_site = rnd(2) ? (int32_t)rnd((uint32_t)ns) : -1;
            for (size_t s = 0; s < ns; s++)
                if (rnd(5))
                    minutes(&f, c, s, 1 + rnd(50));
        }
        gm__ranking *r = run(&f);
        uint32_t load[MAXS] = {0};
        size_t placed = 0;
        double total = 0;
        for (size_t c = 0; c < nc; c++) {
            int32_t a = gm__rank_assigned(r, c);
            if (a < 0)
                continue;
            cr_assert(gm__rank_assignable(&f.in, r, c, (size_t)a), "round %d: C%zu at S%d", round, c, a);
            gm__rank_entry e;
            gm__rank_score(&f.in, r, c, (size_t)a, &e);
            total += e.score;
            load[a]++;
            placed++;
        }
        cr_assert_eq(placed, r->placed);
        for (size_t s = 0; s < ns; s++)
            cr_assert_leq(load[s], r->cap[s], "round %d: S%zu over its places", round, s);
        uint32_t bl[MAXS] = {0};
        best b = {0, 0};
        brute(&f, r, 0, bl, 0, 0, &b);
        cr_assert_eq(placed, b.placed, "round %d: placed %zu, brute force %zu", round, placed, b.placed);
        cr_assert_float_eq(total, b.total, 1e-6, "round %d: total score %g, brute force %g", round, total,
                           b.total);
        gm__ranking_free(r);
    }
    gm_config_free(cfg);
}

Test(rank, min_cost_moves_someone_on_rather_than_leave_a_person_out, .init = setup, .fini = teardown)
{
    gm_config *cfg = config(NULL);
    fx f;
    fx_init(&f, cfg, 2, 2);
    /* One place each.  C0 prefers S0 (10 min) to S1 (12 min); C1 can only
     * reach S0.  Both are placed: C0 at S1. */
    f.s[0].places_per_day = f.s[1].places_per_day = 1;
    minutes(&f, 0, 0, 10), minutes(&f, 0, 1, 12), minutes(&f, 1, 0, 30);
    gm__ranking *r = run(&f);
    cr_assert_eq(r->placed, 2);
    cr_assert_eq(gm__rank_assigned(r, 0), 1);
    cr_assert_eq(gm__rank_assigned(r, 1), 0);
    gm__ranking_free(r);
    gm_config_free(cfg);
}

Test(rank, need_order_serves_more_needs_then_more_days_then_file_order, .init = setup, .fini = teardown)
{
    gm_config *cfg = config("[ranking]\nassign = need_order\n");
    fx f;
    fx_init(&f, cfg, 4, 2);
    for (size_t c = 0; c < 4; c++)
        minutes(&f, c, 0, 10), minutes(&f, c, 1, 20);
    f.s[0].places_per_day = 2;
    f.s[1].places_per_day = 1;
    f.c[0].needs = GM_NEED_LEARNING_DISABILITY;                 /* 1 need */
    f.c[1].needs = GM_NEED_LEARNING_DISABILITY | GM_NEED_AUTISM; /* 2 needs, 1 day */
    f.c[1].days = 0x01;
    f.c[2].needs = GM_NEED_LEARNING_DISABILITY | GM_NEED_AUTISM; /* 2 needs, days not given: 5 */
    f.c[3].needs = GM_NEED_LEARNING_DISABILITY;                 /* 1 need, after C0 in the file */
    gm__ranking *r = run(&f);
    /* Order C2, C1, C0, C3: the first two take S0 (their best), C0 takes S1, C3 is left. */
    cr_assert_eq(gm__rank_assigned(r, 2), 0);
    cr_assert_eq(gm__rank_assigned(r, 1), 0);
    cr_assert_eq(gm__rank_assigned(r, 0), 1);
    cr_assert_eq(gm__rank_assigned(r, 3), -1);
    cr_assert_eq(r->placed, 3);
    gm__ranking_free(r);
    gm_config_free(cfg);

    cfg = config("[ranking]\nassign = none\n");
    f.in.cfg = cfg;
    r = run(&f);
    for (size_t c = 0; c < 4; c++)
        cr_assert_eq(gm__rank_assigned(r, c), -1);
    gm__ranking_free(r);
    gm_config_free(cfg);
}

Test(rank, what_the_assignment_would_change, .init = setup, .fini = teardown)
{
    gm_config *cfg = config(NULL);
    fx f;
    fx_init(&f, cfg, 2, 2);
    /* C0 is at S0 (40 min, GBP 300 a week for 5 days); S1 is 10 min at
     * GBP 50 a day.  Score at S0: 40 + 10 - 10 = 40; at S1: 10 + 10 = 20.
     * C1 is new (no current site), attends 3 days. */
    minutes(&f, 0, 0, 40), minutes(&f, 0, 1, 10);
    minutes(&f, 1, 0, 5), minutes(&f, 1, 1, 30);
    f.c[0].current_site = 0, f.c[0].weekly_cost = 300;
    f.c[1].days = 0x07, f.c[1].weekly_cost = 120;
    gm__ranking *r = run(&f);
    cr_assert_eq(gm__rank_assigned(r, 0), 1);
    cr_assert_eq(gm__rank_assigned(r, 1), 0);
    cr_assert_eq(r->time_compared, 1);
    cr_assert_float_eq(r->minutes_saved, 30, 1e-9);
    /* C0: 50 x 5 - 300 = -50; C1: 50 x 3 - 120 = 30. */
    cr_assert_eq(r->spend_compared, 2);
    cr_assert_float_eq(r->weekly_spend_change, -20, 1e-9);
    cr_assert_eq(r->spend_compared_movers, 1);
    cr_assert_float_eq(r->weekly_spend_change_movers, -50, 1e-9);
    cr_assert_eq(r->total.placements, 1);
    cr_assert_float_eq(r->total.weekly_spend, 300, 1e-9);
    gm__ranking_free(r);
    gm_config_free(cfg);
}

/* ---- outputs ---- */

static size_t lines(const char *path)
{
    char *text = gmt_slurp(path, NULL);
    cr_assert_not_null(text, "%s missing", path);
    size_t n = 0;
    for (const char *p = text; *p; p++)
        n += *p == '\n';
    free(text);
    return n;
}

static long features(const char *path)
{
    GDALAllRegister();
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    cr_assert_not_null(ds, "%s", path);
    OGRLayerH l = GDALDatasetGetLayer(ds, 0);
    cr_assert_eq(wkbFlatten(OGR_FD_GetGeomType(OGR_L_GetLayerDefn(l))), wkbLineString);
    long n = (long)OGR_L_GetFeatureCount(l, 1);
    GDALClose(ds);
    return n;
}

/* gm__rank_write as a run calls it: the default formats include gpkg, so
 * inside a GeoPackage session on dir, published when the writing succeeds. */
static gm_status write_outputs(const char *dir, const gm__rank_in *in, const gm__ranking *r)
{
    gm__gpkg *g = NULL;
    gm_status st = gm__gpkg_begin(ctx, dir, &g);
    if (st == GM_OK)
        st = gm__rank_write(ctx, dir, dir, in, r);
    if (st == GM_OK)
        return gm__gpkg_commit(g, NULL);
    gm__gpkg_abort(g);
    return st;
}

/* The table called name in an open GeoPackage. */
static OGRLayerH table(GDALDatasetH ds, const char *name)
{
    OGRLayerH l = GDALDatasetGetLayerByName(ds, name);
    cr_assert_not_null(l, "gapmap.gpkg has no table %s", name);
    return l;
}

/* 13 customers at three providers: P0 (framework) has 6 placements, P1
 * (legacy) 5, P2 (spot) 2.  P2 is withheld (under 5), and P1 with it, since
 * the total would give P2 back; the same for the statuses. */
static void spend_fixture(fx *f, gm_config *cfg)
{
    fx_init(f, cfg, 13, 3);
    for (size_t c = 0; c < 13; c++) {
        f->c[c].current_site = c < 6 ? 0 : c < 11 ? 1 : 2;
        f->c[c].weekly_cost = 100;
        for (size_t s = 0; s < 3; s++)
            minutes(f, c, s, 5 + (double)((c + s) % 7));
    }
    f->s[1].status = GM_STATUS_LEGACY;
    f->s[2].status = GM_STATUS_SPOT;
    f->s[1].places_per_day = 8;
    f->s[2].places_per_day = 4;
}

Test(rank, the_writer_gives_each_file_its_rows_and_withholds_small_counts, .init = setup, .fini = teardown)
{
    gm_config *cfg = config(NULL);
    fx f;
    spend_fixture(&f, cfg);
    gm__ranking *r = run(&f);
    const char *tmp = gmt_tmpdir("rank-write");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", tmp);
    cr_assert_eq(write_outputs(dir, &f.in, r), GM_OK, "%s", gm_ctx_errmsg(ctx));
    size_t nrank = 0;
    for (size_t c = 0; c < 13; c++)
        nrank += r->nlist[c];
    cr_assert_eq(nrank, 13 * 3);
    cr_assert_eq(lines(gmt_path(dir, "ranking.csv")), 1 + nrank);
    cr_assert_eq(lines(gmt_path(dir, "eligibility.csv")), 1 + 13 * 3);
    cr_assert_eq(lines(gmt_path(dir, "assignment.csv")), 1 + 13);
    cr_assert_eq(lines(gmt_path(dir, "spend.csv")), 1 + 3 + 3);
    cr_assert_eq(features(gmt_path(dir, "ranking.geojson")), (long)nrank);
    cr_assert_eq(features(gmt_path(dir, "ranking.shp")), (long)nrank);
    cr_assert_str_eq(gmt_listing(dir), "assignment.csv eligibility.csv gapmap.gpkg ranking.cpg ranking.csv "
                                       "ranking.dbf ranking.geojson ranking.prj ranking.qml ranking.shp "
                                       "ranking.shx spend.csv");
    /* The GeoPackage: the ranking lines, and the small tables without
     * geometry; the eligibility of every pair stays a CSV. */
    GDALDatasetH gp = GDALOpenEx(gmt_path(dir, "gapmap.gpkg"), GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL,
                                 NULL);
    cr_assert_not_null(gp);
    cr_assert_eq(GDALDatasetGetLayerCount(gp), 3);
    OGRLayerH rl = table(gp, "ranking");
    cr_assert_eq(wkbFlatten(OGR_L_GetGeomType(rl)), wkbMultiLineString);
    cr_assert_eq(OGR_L_GetFeatureCount(rl, 1), (GIntBig)nrank);
    OGRLayerH al = table(gp, "assignment"), sl = table(gp, "spend");
    cr_assert_eq(OGR_L_GetGeomType(al), wkbNone);
    cr_assert_eq(OGR_L_GetFeatureCount(al, 1), 13);
    cr_assert_eq(OGR_L_GetGeomType(sl), wkbNone);
    cr_assert_eq(OGR_L_GetFeatureCount(sl, 1), 6);
    /* withheld counts ("*" in the CSV) are nulls; the others are integers */
    OGR_L_ResetReading(sl);
    OGRFeatureH sf = OGR_L_GetNextFeature(sl);
    int fp = OGR_F_GetFieldIndex(sf, "placements"), fs = OGR_F_GetFieldIndex(sf, "weekly_spend");
    cr_assert_eq(OGR_Fld_GetType(OGR_F_GetFieldDefnRef(sf, fp)), OFTInteger64);
    cr_assert_str_eq(OGR_F_GetFieldAsString(sf, OGR_F_GetFieldIndex(sf, "key")), "Provider 0");
    cr_assert_eq(OGR_F_GetFieldAsInteger64(sf, fp), 6);
    cr_assert_float_eq(OGR_F_GetFieldAsDouble(sf, fs), 600.0, 1e-9);
    OGR_F_Destroy(sf);
    sf = OGR_L_GetNextFeature(sl);
    cr_assert_str_eq(OGR_F_GetFieldAsString(sf, OGR_F_GetFieldIndex(sf, "key")), "Provider 1");
    cr_assert(OGR_F_IsFieldNull(sf, fp) && OGR_F_IsFieldNull(sf, fs), "Provider 1's figures are withheld");
    OGR_F_Destroy(sf);
    GDALClose(gp);
    char *text = gmt_slurp(gmt_path(dir, "ranking.csv"), NULL);
    cr_assert(!strncmp(text, "customer_id,rank,site_id,site_name,provider,mode,minutes,time_pts,price_pts,"
                             "status_pts,preference_pts,continuity_pts,score,free_places,why\n",
                       strlen("customer_id,rank,site_id,site_name,provider,mode,minutes,time_pts,price_pts,"
                              "status_pts,preference_pts,continuity_pts,score,free_places,why\n")),
              "%.200s", text);
    free(text);
    text = gmt_slurp(gmt_path(dir, "spend.csv"), NULL);
    cr_assert_str_eq(text, "group_by,key,placements,weekly_spend,placements_costed\n"
                           "provider,Provider 0,6,600.00,6\n"
                           "provider,Provider 1,*,*,*\n"
                           "provider,Provider 2,*,*,*\n"
                           "status,framework,6,600.00,6\n"
                           "status,spot,*,*,*\n"
                           "status,legacy,*,*,*\n");
    free(text);
    text = gmt_slurp(gmt_path(dir, "ranking.qml"), NULL);
    cr_assert(strstr(text, "graduatedSymbol") && strstr(text, "\"rank\""), "%.300s", text);
    free(text);
    text = gmt_slurp(gmt_path(dir, "assignment.csv"), NULL);
    cr_assert(strstr(text, "customer_id,current_site,assigned_site,mode,minutes_now,minutes_assigned,"
                           "minutes_saved,weekly_cost_now,weekly_cost_assigned,within_goal,note\n") == text);
    free(text);

    /* The summary: the framework's 6 are shown, the spot site's 2 are not. */
    cJSON *doc = cJSON_CreateObject();
    cr_assert_eq(gm__rank_summary(ctx, &f.in, r, doc), GM_OK);
    cJSON *rk = cJSON_GetObjectItem(doc, "ranking");
    cJSON *bs = cJSON_GetObjectItem(cJSON_GetObjectItem(rk, "spend"), "by_status");
    cr_assert_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(bs, "framework"), "placements")->valuedouble, 6);
    cr_assert(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetObjectItem(bs, "spot"), "placements")));
    cr_assert_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(rk, "spend"), "placements")->valuedouble, 13);
    cJSON *as = cJSON_GetObjectItem(rk, "assignment");
    cr_assert_eq(cJSON_GetObjectItem(as, "placed_within_goal")->valuedouble, 13);
    cr_assert_eq(cJSON_GetObjectItem(as, "not_placed_within_goal")->valuedouble, 0);
    cJSON_Delete(doc);
    gm__ranking_free(r);
    gm_config_free(cfg);

    /* assign = none: no assignment.csv. */
    cfg = config("[ranking]\nassign = none\n");
    f.in.cfg = cfg;
    r = run(&f);
    tmp = gmt_tmpdir("rank-write-none");
    snprintf(dir, sizeof dir, "%s", tmp);
    cr_assert_eq(write_outputs(dir, &f.in, r), GM_OK, "%s", gm_ctx_errmsg(ctx));
    cr_assert_null(strstr(gmt_listing(dir), "assignment.csv"));
    gm__ranking_free(r);
    gm_config_free(cfg);
}

Test(rank, the_assignment_notes_say_why, .init = setup, .fini = teardown)
{
    gm_config *cfg = config(NULL);
    fx f;
    fx_init(&f, cfg, 3, 2);
    /* C0 stays; C1's current site does not support dementia and moves; C2
     * (dementia) finds nothing within 30 minutes. */
    minutes(&f, 0, 0, 10), minutes(&f, 0, 1, 20);
    minutes(&f, 1, 0, 10), minutes(&f, 1, 1, 20);
    minutes(&f, 2, 0, 35), minutes(&f, 2, 1, 40);
    f.c[0].current_site = 0;
    f.c[1].current_site = 0, f.c[1].needs = GM_NEED_DEMENTIA;
    f.c[2].needs = GM_NEED_DEMENTIA;
    f.s[0].needs = GM_NEED_LEARNING_DISABILITY;
    gm__ranking *r = run(&f);
    const char *dir = gmt_tmpdir("rank-notes");
    cr_assert_eq(write_outputs(dir, &f.in, r), GM_OK, "%s", gm_ctx_errmsg(ctx));
    char *text = gmt_slurp(gmt_path(dir, "assignment.csv"), NULL);
    cr_assert(strstr(text, "C0,S0,S0,car,10.0,10.0,0.0,,250.00,yes,stays at their current site\n"), "%s", text);
    cr_assert(strstr(text, "C1,S0,S1,car,10.0,20.0,-10.0,,250.00,yes,moves (current site: does not support "
                           "dementia)\n"),
              "%s", text);
    cr_assert(strstr(text, "C2,,,car,,,,,,no,not placed: no suitable site within their 30-minute goal by car "
                           "(the nearest is 40 min)\n"),
              "%s", text);
    free(text);
    gm__ranking_free(r);
    gm_config_free(cfg);
}

Test(rank, every_allocation_failure_is_a_clean_out_of_memory, .init = setup, .fini = teardown)
{
    static const char *const methods[] = {"min_cost", "need_order"};
    for (int m = 0; m < 2; m++) {
        char extra[64];
        snprintf(extra, sizeof extra, "[ranking]\nassign = %s\n", methods[m]);
        gm_config *cfg = config(extra);
        fx f;
        spend_fixture(&f, cfg);
        gm_status st = GM_E_NOMEM;
        long k;
        for (k = 0; st != GM_OK; k++) {
            gm__ranking *r = NULL;
            gm__alloc_fail_after(k);
            st = gm__rank_run(ctx, &f.in, &r);
            gm__alloc_fail_after(-1);
            cr_assert(st == GM_OK || st == GM_E_NOMEM, "allocation %ld: %s", k, gm_status_name(st));
            cr_assert((st == GM_OK) == (r != NULL));
            gm__ranking_free(r);
        }
        cr_assert_gt(k, 15);
        /* The writer too. */
        gm__ranking *r = NULL;
        cr_assert_eq(gm__rank_run(ctx, &f.in, &r), GM_OK);
        st = GM_E_NOMEM;
        char dir[4096];
        snprintf(dir, sizeof dir, "%s", gmt_tmpdir("rank-nomem"));
        for (k = 0; st != GM_OK; k++) {
            gm__alloc_fail_after(k);
            st = write_outputs(dir, &f.in, r);
            gm__alloc_fail_after(-1);
            cr_assert(st == GM_OK || st == GM_E_NOMEM, "allocation %ld: %s (%s)", k, gm_status_name(st),
                      gm_ctx_errmsg(ctx));
        }
        cr_assert_gt(k, 15);
        cr_assert_eq(strstr(gmt_listing(dir), ".tmp"), NULL, "temporary files left: %s", gmt_listing(dir));
        gm__ranking_free(r);
        gm_config_free(cfg);
    }
}
