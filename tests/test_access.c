/*
 * Supply and demand measures (engine/analysis/access.c): the Gaussian decay
 * and the E2SFCA index against values worked out by hand, and the maximum
 * placement against the obvious cases (the nearest site is full, one site
 * for too many people) and against brute force over every assignment of
 * small random instances.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/access.h"

static gm_ctx *ctx;
static void setup(void) { cr_assert_eq(gm_ctx_new(&ctx), GM_OK); }
static void teardown(void)
{
    gm__alloc_fail_after(-1);
    gm_ctx_free(ctx);
}

Test(access, gaussian_decay_is_one_at_the_site_and_zero_at_the_edge, .init = setup, .fini = teardown)
{
    cr_assert_float_eq(gm__decay_gauss(0, 1800), 1.0, 1e-12);
    cr_assert_float_eq(gm__decay_gauss(1800, 1800), 0.0, 1e-12);
    cr_assert_eq(gm__decay_gauss(2000, 1800), 0.0);
    cr_assert_eq(gm__decay_gauss(INFINITY, 1800), 0.0);
    cr_assert_eq(gm__decay_gauss(NAN, 1800), 0.0);
    /* Half way: (exp(-1/8) - exp(-1/2)) / (1 - exp(-1/2)) = 0.7066... */
    cr_assert_float_eq(gm__decay_gauss(900, 1800), (exp(-0.125) - exp(-0.5)) / (1 - exp(-0.5)), 1e-12);
    double prev = 2;
    for (int t = 0; t <= 1800; t += 60) {
        double w = gm__decay_gauss(t, 1800);
        cr_assert_lt(w, prev, "not decreasing at %d s", t);
        prev = w;
    }
}

/* Two sites, three demand points, d0 = 1000 s.
 *   demand -> site:  D0: 0 s to S0, unreachable to S1
 *                    D1: 500 s to S0, 500 s to S1
 *                    D2: beyond d0 to S0, 0 s to S1
 * w(500) = (exp(-1/8) - exp(-1/2)) / (1 - exp(-1/2)) = k.
 * S0: 10 places / (1 + k) ; S1: 4 places / (k + 1).
 * Point P0 at 0 s to S0 only: A = R0; P1 at 500 s to both: k (R0 + R1). */
Test(access, e2sfca_matches_the_hand_computation, .init = setup, .fini = teardown)
{
    const float I = INFINITY;
    const float dt[] = {0, I, 500, 500, 1200, 0};
    const double cap[] = {10, 4};
    const float pt[] = {0, I, 500, 500, I, I};
    double out[3];
    cr_assert_eq(gm__e2sfca(ctx, dt, NULL, 3, cap, 2, pt, 3, 1000, out), GM_OK);
    double k = (exp(-0.125) - exp(-0.5)) / (1 - exp(-0.5));
    double r0 = 10 / (1 + k), r1 = 4 / (k + 1);
    cr_assert_float_eq(out[0], r0, 1e-9);
    cr_assert_float_eq(out[1], k * (r0 + r1), 1e-9);
    cr_assert_eq(out[2], 0.0);
    /* Demand weights: D0 counting twice doubles its share of S0. */
    const double dem[] = {2, 1, 1};
    cr_assert_eq(gm__e2sfca(ctx, dt, dem, 3, cap, 2, pt, 3, 1000, out), GM_OK);
    cr_assert_float_eq(out[0], 10 / (2 + k), 1e-9);
    cr_assert_eq(gm__e2sfca(ctx, dt, NULL, 3, cap, 2, pt, 3, 0, out), GM_E_ARG);
    gm__alloc_fail_after(0);
    cr_assert_eq(gm__e2sfca(ctx, dt, NULL, 3, cap, 2, pt, 3, 1000, out), GM_E_NOMEM);
}

/* Eligibility from a table: e[c * ns + s]. */
typedef struct tab {
    const bool *e;
    size_t ns;
} tab;

static bool tab_ok(void *arg, size_t c, size_t s)
{
    const tab *t = arg;
    return t->e[c * t->ns + s];
}

Test(access, a_full_nearest_site_moves_someone_on_rather_than_leave_a_person_out, .init = setup,
     .fini = teardown)
{
    /* A may go to S0 or S1, B only to S0; one place each.  Taken in order, A
     * first takes S0; B can only be placed if A moves to S1. */
    const bool e[] = {true, true, true, false};
    const uint32_t cap[] = {1, 1};
    tab t = {e, 2};
    int32_t at[2];
    size_t placed;
    cr_assert_eq(gm__place_max(ctx, 2, 2, cap, tab_ok, &t, at, &placed), GM_OK);
    cr_assert_eq(placed, 2);
    cr_assert_eq(at[0], 1);
    cr_assert_eq(at[1], 0);
    /* Three people, one site of two places: one is left out. */
    const bool e3[] = {true, true, true};
    const uint32_t cap3[] = {2};
    tab t3 = {e3, 1};
    int32_t at3[3];
    cr_assert_eq(gm__place_max(ctx, 3, 1, cap3, tab_ok, &t3, at3, &placed), GM_OK);
    cr_assert_eq(placed, 2);
    cr_assert_eq(at3[2], -1);
}

/* The most that can be placed, by trying every assignment (each customer to
 * one of its sites or none). */
static size_t brute(const bool *e, size_t nc, size_t ns, const uint32_t *cap, size_t c, uint32_t *used)
{
    if (c == nc)
        return 0;
    size_t best = brute(e, nc, ns, cap, c + 1, used);
    for (size_t s = 0; s < ns; s++) {
        if (!e[c * ns + s] || used[s] == cap[s])
            continue;
        used[s]++;
        size_t v = 1 + brute(e, nc, ns, cap, c + 1, used);
        used[s]--;
        if (v > best)
            best = v;
    }
    return best;
}

Test(access, placement_is_maximum_on_random_instances, .init = setup, .fini = teardown)
{
    uint64_t x = 12345;
    for (int round = 0; round < 300; round++) {
        size_t nc = 1 + (size_t)(round % 8), ns = 1 + (size_t)(round % 4);
        bool e[64];
        uint32_t cap[4], used[4] = {0};
        for (size_t i = 0; i < nc * ns; i++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            e[i] = (x >> 33) % 3 != 0;
        }
        for (size_t s = 0; s < ns; s++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            cap[s] = (uint32_t)((x >> 33) % 3);
        }
        tab t = {e, ns};
        int32_t at[8];
        size_t placed;
        cr_assert_eq(gm__place_max(ctx, nc, ns, cap, tab_ok, &t, at, &placed), GM_OK);
        cr_assert_eq(placed, brute(e, nc, ns, cap, 0, used), "round %d: placed %zu", round, placed);
        /* The answer itself is feasible: eligible sites, none over its places. */
        uint32_t load[4] = {0};
        size_t n = 0;
        for (size_t c = 0; c < nc; c++) {
            if (at[c] < 0)
                continue;
            cr_assert(e[c * ns + (size_t)at[c]], "round %d: customer %zu at an ineligible site", round, c);
            load[at[c]]++;
            n++;
        }
        cr_assert_eq(n, placed);
        for (size_t s = 0; s < ns; s++)
            cr_assert_leq(load[s], cap[s], "round %d: site %zu over its places", round, s);
    }
}

Test(access, placement_allocation_failures_are_clean, .init = setup, .fini = teardown)
{
    const bool e[] = {true, true, true, false};
    const uint32_t cap[] = {1, 1};
    tab t = {e, 2};
    int32_t at[2];
    size_t placed;
    gm_status st = GM_E_NOMEM;
    long k;
    for (k = 0; st != GM_OK; k++) {
        gm__alloc_fail_after(k);
        st = gm__place_max(ctx, 2, 2, cap, tab_ok, &t, at, &placed);
        gm__alloc_fail_after(-1);
        cr_assert(st == GM_OK || st == GM_E_NOMEM);
    }
    cr_assert_gt(k, 3);
}
