/*
 * Journeys on the sample county, end to end (the shared sample run,
 * tests/testutil.h gmt_sample_run), checked against a recomputation from
 * matrix.csv and the customers layer that does not use the engine's code:
 *
 *   - one journey per located customer with a current site;
 *   - over_goal, long_by_car and travel_training_candidate flags follow from
 *     the goals in docs/journeys.md (walk 20, walk_slow 20, cycle 30, car 45;
 *     dementia: walk 15, car 30; reduced mobility walks at the slower pace);
 *   - the shareable summary's counts per flag equal those of the restricted
 *     table (or are withheld when small);
 *   - the review list runs from the most minutes over the goal down, and every
 *     alternative offered is quicker than the current journey.
 */
#include <criterion/criterion.h>
#include <gdal.h>
#include <math.h>
#include <ogr_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static char outdir[4096];

static void setup(void)
{
    GDALAllRegister();
    const char *o = gmt_sample_run(GM_TEST_GAPMAP_EXE);
    cr_assert_not_null(o, "gapmap run on the sample failed (log above)");
    snprintf(outdir, sizeof outdir, "%s", o);
}

/* What the test knows of a customer, from the customers layer. */
typedef struct person {
    char id[16], site[16], needs[128], transport[32], mobility[16];
} person;

static person *people(size_t *n)
{
    char path[4200];
    snprintf(path, sizeof path, "%s", gmt_out(outdir, "customers.geojson"));
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR, NULL, NULL, NULL);
    cr_assert_not_null(ds);
    OGRLayerH ly = GDALDatasetGetLayer(ds, 0);
    person *p = calloc((size_t)OGR_L_GetFeatureCount(ly, 1) + 1, sizeof *p);
    OGRFeatureH f;
    *n = 0;
    while ((f = OGR_L_GetNextFeature(ly)) != NULL) {
        person *q = &p[(*n)++];
#define GET(fld, dst) snprintf(dst, sizeof dst, "%s", OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, fld)))
        GET("customer_id", q->id);
        GET("current_site", q->site);
        GET("needs", q->needs);
        GET("transport", q->transport);
        GET("mobility", q->mobility);
#undef GET
        OGR_F_Destroy(f);
    }
    GDALClose(ds);
    return p;
}

/* Minutes from matrix.csv (customer-major, site, mode blocks). */
static double minutes(const gmt_csv *m, const char *cust, const char *site, const char *mode)
{
    static size_t block, cc, sc, mc, tc;
    if (!block) {
        cc = gmt_csv_col(m, "customer_id"), sc = gmt_csv_col(m, "site_id"), mc = gmt_csv_col(m, "mode"), tc = gmt_csv_col(m, "time_s");
        while (block < m->nrows && !strcmp(m->cell[block][cc], m->cell[0][cc]))
            block++;
    }
    for (size_t r0 = 0; r0 < m->nrows; r0 += block) {
        if (strcmp(m->cell[r0][cc], cust))
            continue;
        for (size_t r = r0; r < r0 + block; r++)
            if (!strcmp(m->cell[r][sc], site) && !strcmp(m->cell[r][mc], mode))
                return m->cell[r][tc][0] ? atof(m->cell[r][tc]) / 60 : INFINITY;
    }
    cr_assert_fail("%s -> %s by %s not in matrix.csv", cust, site, mode);
    return NAN;
}

Test(journeys_e2e, flags_follow_from_the_goals_and_the_matrix, .init = setup, .timeout = 600)
{
    size_t np;
    person *p = people(&np);
    gmt_csv m = gmt_csv_in(outdir, "matrix.csv"), j = gmt_csv_in(outdir, "journeys.csv");
    size_t jc = gmt_csv_col(&j, "customer_id"), js = gmt_csv_col(&j, "site_id"), jf = gmt_csv_col(&j, "flags");
    size_t placed = 0;
    for (size_t i = 0; i < np; i++)
        placed += p[i].site[0] != '\0';
    cr_assert_eq(j.nrows, placed, "%zu journeys, %zu located customers with a current site", j.nrows, placed);
    size_t count[3] = {0}, k = 0;
    static const char *const names[3] = {"over_goal", "long_by_car", "travel_training_candidate"};
    for (size_t i = 0; i < np; i++) {
        if (!p[i].site[0])
            continue;
        char **row = j.cell[k++];
        cr_assert_str_eq(row[jc], p[i].id, "journeys.csv is in the customers' order");
        cr_assert_str_eq(row[js], p[i].site);
        bool dementia = strstr(p[i].needs, "dementia") != NULL;
        bool reduced = !strcmp(p[i].mobility, "reduced");
        double walk_goal = dementia ? 15 : 20, car_goal = dementia ? 30 : 45;
        double walk = minutes(&m, p[i].id, p[i].site, reduced ? "walk_slow" : "walk");
        double cyc = minutes(&m, p[i].id, p[i].site, "cycle");
        double car = minutes(&m, p[i].id, p[i].site, "car");
        bool meets = walk <= walk_goal || cyc <= 30;
        bool expect[3] = {!meets, !(car <= car_goal), !strcmp(p[i].transport, "specialist") && meets};
        for (int f = 0; f < 3; f++) {
            bool has = strstr(row[jf], names[f]) != NULL;
            cr_assert_eq(has, expect[f], "%s at %s: %s is %s (walk %.1f, cycle %.1f, car %.1f min; %s, %s)",
                         p[i].id, p[i].site, names[f], has ? "set" : "not set", walk, cyc, car, p[i].needs,
                         p[i].mobility);
            count[f] += expect[f];
        }
    }
    cr_assert_gt(count[0], 50);
    cr_assert_gt(count[2], 10);
    /* The shareable summary agrees. */
    gmt_csv s = gmt_csv_in(outdir, "journeys_summary.csv");
    size_t sg = gmt_csv_col(&s, "group"), sk = gmt_csv_col(&s, "key"), sp = gmt_csv_col(&s, "placements");
    for (int f = 0; f < 3; f++) {
        bool found = false;
        for (size_t r = 0; r < s.nrows; r++)
            if (!strcmp(s.cell[r][sg], "flag") && !strcmp(s.cell[r][sk], names[f])) {
                found = true;
                const char *v = s.cell[r][sp];
                cr_assert(count[f] < 5 ? !strcmp(v, "*") : atol(v) == (long)count[f], "%s: summary %s, counted %zu",
                          names[f], v, count[f]);
            }
        cr_assert(found, "no summary row for %s", names[f]);
    }
    cr_log_info("%zu journeys: over goal %zu, long by car %zu, training candidates %zu", j.nrows, count[0], count[1],
                count[2]);
    gmt_csv_free(&s);
    gmt_csv_free(&j);
    gmt_csv_free(&m);
    free(p);
}

Test(journeys_e2e, the_review_list_runs_worst_first_and_alternatives_are_quicker, .init = setup, .timeout = 600)
{
    gmt_csv r = gmt_csv_in(outdir, "journeys_review.csv"), m = gmt_csv_in(outdir, "matrix.csv");
    size_t ex = gmt_csv_col(&r, "excess_min"), al = gmt_csv_col(&r, "alternatives"), cu = gmt_csv_col(&r, "customer_id"),
           md = gmt_csv_col(&r, "mode"), mi = gmt_csv_col(&r, "minutes");
    double prev = INFINITY;
    size_t offered = 0;
    for (size_t i = 0; i < r.nrows; i++) {
        double e = atof(r.cell[i][ex]);
        cr_assert_leq(e, prev + 1e-9, "row %zu: %.1f after %.1f", i + 2, e, prev);
        prev = e;
        double now = r.cell[i][mi][0] ? atof(r.cell[i][mi]) : INFINITY;
        /* "S013 Name (12 min); S002 Name (34 min)": check each site's time. */
        char buf[512];
        snprintf(buf, sizeof buf, "%s", r.cell[i][al]);
        for (char *save = NULL, *a = strtok_r(buf, ";", &save); a; a = strtok_r(NULL, ";", &save)) {
            char site[16];
            cr_assert_eq(sscanf(a, " %15s", site), 1);
            double t = minutes(&m, r.cell[i][cu], site, r.cell[i][md]);
            cr_assert_lt(t, now + 0.05, "%s: alternative %s takes %.1f min, the current %.1f", r.cell[i][cu], site, t,
                         now);
            offered++;
        }
    }
    cr_assert_gt(offered, 20);
    gmt_csv_free(&r);
    gmt_csv_free(&m);
}
