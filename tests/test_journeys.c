/*
 * Journeys against the goals (engine/analysis/journeys.c) on hand-built
 * cases whose answers are obvious: a dementia customer's stricter goal flags
 * a walk others pass; specialist transport with a short walk is a travel
 * training candidate; a nearer suitable site with room is listed, a full or
 * unsuitable one is not; a site outside the boundary; no route at all; the
 * slower walking pace for reduced mobility.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/journeys.h"
#include "run/config.h"
#include "testutil.h"

static gm_ctx *ctx;
static gm_config *cfg;

static void setup(void)
{
    cr_assert_eq(gm_ctx_new(&ctx), GM_OK);
    const char *dir = gmt_tmpdir("journeys");
    const char *ini = gmt_write(dir, "c.ini",
                                "[postcodes]\nfile = p.csv\n[customers]\nfile = c.csv\n[providers]\nfile = s.csv\n");
    cr_assert_eq(gm_config_load(ctx, ini, &cfg), GM_OK, "%s", gm_ctx_errmsg(ctx));
}

static void teardown(void)
{
    gm__alloc_fail_after(-1);
    gm_config_free(cfg);
    gm_ctx_free(ctx);
}

#define NS 3
#define I INFINITY

static gm_site site(const char *id, int places, int used)
{
    return (gm_site){.site_id = id, .site_name = id, .provider_name = "P", .services = GM_SERVICE_BUILDING_BASED,
                     .needs = GM_NEED_LEARNING_DISABILITY | GM_NEED_DEMENTIA | GM_NEED_OLDER_PEOPLE,
                     .places_per_day = places, .places_used = used, .open_days = GM_DAYS_WEEKDAYS};
}

static gm_customer cust(const char *id, uint32_t needs, gm_transport tr, int32_t at)
{
    return (gm_customer){.id = id, .needs = needs, .service = GM_SERVICE_BUILDING_BASED, .transport = tr,
                         .current_site = at, .preferred_site = -1, .area = ""};
}

/* Run on customers cs with walk and car times (minutes) to the NS sites. */
static gm__journeys *run(const gm_customer *cs, size_t nc, const gm_site *ss, const float *car_min,
                         const float *walk_min, const float *slow_min, const bool *in_area)
{
    float *t[3];
    const float *src[3] = {car_min, walk_min, slow_min};
    gm__journeys_in in = {cfg, cs, nc, ss, NS, {NULL}, {NULL}, in_area};
    for (int m = 0; m < 3; m++) {
        if (!src[m]) {
            t[m] = NULL;
            continue;
        }
        t[m] = malloc(nc * NS * sizeof(float));
        for (size_t k = 0; k < nc * NS; k++)
            t[m][k] = src[m][k] * 60;
        in.time_s[m] = t[m];
        in.dist_m[m] = t[m];
    }
    gm__journeys *js = NULL;
    cr_assert_eq(gm__journeys_run(ctx, &in, &js), GM_OK);
    for (int m = 0; m < 3; m++)
        free(t[m]);
    return js;
}

Test(journeys, a_dementia_customers_stricter_goal_flags_a_walk_others_pass, .init = setup, .fini = teardown)
{
    gm_site ss[NS] = {site("S0", 10, 5), site("S1", 10, 5), site("S2", 10, 5)};
    gm_customer cs[2] = {cust("A", GM_NEED_LEARNING_DISABILITY, GM_TRANSPORT_INDEPENDENT, 0),
                         cust("B", GM_NEED_DEMENTIA, GM_TRANSPORT_INDEPENDENT, 0)};
    /* Both walk 18 minutes to S0: within the default 20, over the dementia 15. */
    const float car[] = {6, 30, 30, 6, 30, 30}, walk[] = {18, 90, 90, 18, 90, 90};
    gm__journeys *js = run(cs, 2, ss, car, walk, NULL, NULL);
    cr_assert_eq(js->n, 2);
    cr_assert_eq(js->j[0].flags & GM__JF_OVER_GOAL, 0u);
    cr_assert_eq(js->j[0].mode, 1, "an independent traveller is judged on foot");
    cr_assert_float_eq(js->j[0].goal_min[1], 20, 1e-6);
    cr_assert_neq(js->j[1].flags & GM__JF_OVER_GOAL, 0u);
    cr_assert_float_eq(js->j[1].goal_min[1], 15, 1e-6);
    cr_assert_float_eq(js->j[1].excess_min, 3, 1e-4);
    cr_assert_eq(js->flagged[0], 1);
    gm__journeys_free(js);
}

Test(journeys, specialist_transport_with_a_short_walk_is_a_training_candidate, .init = setup, .fini = teardown)
{
    gm_site ss[NS] = {site("S0", 10, 5), site("S1", 10, 5), site("S2", 10, 5)};
    gm_customer cs[2] = {cust("A", GM_NEED_LEARNING_DISABILITY, GM_TRANSPORT_SPECIALIST, 1),
                         cust("B", GM_NEED_LEARNING_DISABILITY, GM_TRANSPORT_INDEPENDENT, 1)};
    const float car[] = {9, 4, 9, 9, 4, 9}, walk[] = {40, 12, 40, 40, 12, 40};
    gm__journeys *js = run(cs, 2, ss, car, walk, NULL, NULL);
    cr_assert_neq(js->j[0].flags & GM__JF_TRAINING, 0u);
    cr_assert_eq(js->j[0].mode, 0, "specialist transport is judged by car");
    cr_assert_eq(js->j[1].flags & GM__JF_TRAINING, 0u, "already travels independently");
    cr_assert_eq(js->j[0].flags & ~(unsigned)GM__JF_TRAINING, 0u);
    gm__journeys_free(js);
}

Test(journeys, a_nearer_suitable_site_with_room_is_listed_a_full_or_unsuitable_one_is_not, .init = setup,
     .fini = teardown)
{
    /* Customer at S0 (40 min by car); S1 is 10 min but full; S2 is 15 min with room. */
    gm_site ss[NS] = {site("S0", 10, 5), site("S1", 10, 10), site("S2", 10, 5)};
    gm_customer c = cust("A", GM_NEED_LEARNING_DISABILITY, GM_TRANSPORT_SPECIALIST, 0);
    const float car[] = {40, 10, 15}, walk[] = {200, 50, 75};
    gm__journeys *js = run(&c, 1, ss, car, walk, NULL, NULL);
    cr_assert_neq(js->j[0].flags & GM__JF_NEARER_ROOM, 0u);
    cr_assert_eq(js->j[0].nalt, 1);
    cr_assert_eq(js->j[0].alt[0], 2);
    cr_assert_float_eq(js->j[0].alt_s[0], 900, 1e-3);
    gm__journeys_free(js);
    /* S2 does not support sensory needs: nothing to offer a sensory customer. */
    c.needs = GM_NEED_SENSORY;
    js = run(&c, 1, ss, car, walk, NULL, NULL);
    cr_assert_eq(js->j[0].flags & GM__JF_NEARER_ROOM, 0u);
    cr_assert_eq(js->j[0].nalt, 0);
    gm__journeys_free(js);
    /* Only 5 minutes quicker: listed, but not flagged (far_extra_minutes = 10). */
    c.needs = GM_NEED_LEARNING_DISABILITY;
    const float car2[] = {20, 10, 15};
    js = run(&c, 1, ss, car2, walk, NULL, NULL);
    cr_assert_eq(js->j[0].flags & GM__JF_NEARER_ROOM, 0u);
    cr_assert_eq(js->j[0].nalt, 1);
    gm__journeys_free(js);
}

Test(journeys, out_of_area_no_route_and_the_slower_pace, .init = setup, .fini = teardown)
{
    gm_site ss[NS] = {site("S0", 10, 5), site("S1", 10, 5), site("S2", 10, 5)};
    gm_customer cs[2] = {cust("A", GM_NEED_LEARNING_DISABILITY, GM_TRANSPORT_INDEPENDENT, 2),
                         cust("B", GM_NEED_LEARNING_DISABILITY, GM_TRANSPORT_INDEPENDENT, 1)};
    cs[1].mobility = GM_MOBILITY_REDUCED;
    const bool in_area[NS] = {true, true, false};
    const float car[] = {5, 5, 50, 5, 5, 5}, walk[] = {30, 30, I, 30, 16, 30}, slow[] = {50, 50, I, 50, 26, 50};
    gm__journeys *js = run(cs, 2, ss, car, walk, slow, in_area);
    const gm__journey *a = &js->j[0], *b = &js->j[1];
    cr_assert_neq(a->flags & GM__JF_OUT_OF_AREA, 0u);
    cr_assert_neq(a->flags & GM__JF_UNREACHABLE, 0u);
    cr_assert_neq(a->flags & GM__JF_LONG_CAR, 0u, "50 min by car is over 45");
    /* No route on foot: the excess counts the whole cut-off (120) less the goal (20). */
    cr_assert_float_eq(a->excess_min, 100, 1e-4);
    /* Reduced mobility: judged at the slower pace, 26 min against 20, although the
     * standard walk (16 min) would pass. */
    cr_assert_eq(b->mode, 2);
    cr_assert_neq(b->flags & GM__JF_OVER_GOAL, 0u);
    gm__journeys_free(js);
}

Test(journeys, flags_text_and_allocation_failure, .init = setup, .fini = teardown)
{
    char buf[128];
    gm__journey_flags_text(GM__JF_OVER_GOAL | GM__JF_NEARER_ROOM, buf, sizeof buf);
    cr_assert_str_eq(buf, "over_goal;nearer_site_with_room");
    gm__journey_flags_text(0, buf, sizeof buf);
    cr_assert_str_eq(buf, "");
    gm_site ss[NS] = {site("S0", 10, 5), site("S1", 10, 5), site("S2", 10, 5)};
    gm_customer c = cust("A", GM_NEED_LEARNING_DISABILITY, GM_TRANSPORT_SPECIALIST, 0);
    float t[NS] = {600, 600, 600};
    gm__journeys_in in = {cfg, &c, 1, ss, NS, {t}, {t}, NULL};
    for (long k = 0; k < 3; k++) {
        gm__journeys *js = NULL;
        gm__alloc_fail_after(k);
        gm_status st = gm__journeys_run(ctx, &in, &js);
        gm__alloc_fail_after(-1);
        cr_assert(st == GM_OK || (st == GM_E_NOMEM && !js));
        gm__journeys_free(js);
    }
}
