/*
 * Ranking on the sample county, end to end (the shared sample run), checked
 * from the output files alone:
 *
 *   - the assignment never puts more people at a site than it can take for
 *     this cohort (places_per_day less the places used by people who are not
 *     in the customers file), counted from assignment.csv and the providers
 *     and customers layers;
 *   - every shortlisted site is marked eligible in eligibility.csv, every
 *     score is the sum of its parts, ranks run from the lowest score up;
 *   - spend by framework status is the customers' own weekly costs summed;
 *   - `gapmap rank` alone writes the ranking files.
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

/* A layer's features as text fields (GeoJSON, full names). */
typedef struct rec {
    char v[6][64];
} rec;

static rec *records(const char *layer, const char *const *fields, size_t nf, size_t *n)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s.geojson", outdir, layer);
    snprintf(path, sizeof path, "%s", gmt_out(outdir, strrchr(path, '/') + 1));
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR, NULL, NULL, NULL);
    cr_assert_not_null(ds, "cannot open %s", path);
    OGRLayerH ly = GDALDatasetGetLayer(ds, 0);
    rec *r = calloc((size_t)OGR_L_GetFeatureCount(ly, 1) + 1, sizeof *r);
    OGRFeatureH f;
    *n = 0;
    while ((f = OGR_L_GetNextFeature(ly)) != NULL) {
        for (size_t k = 0; k < nf; k++)
            snprintf(r[*n].v[k], sizeof r[*n].v[k], "%s", OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, fields[k])));
        (*n)++;
        OGR_F_Destroy(f);
    }
    GDALClose(ds);
    return r;
}

static size_t find(const rec *r, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(r[i].v[0], id))
            return i;
    cr_assert_fail("unknown id %s", id);
    return 0;
}

Test(rank_e2e, the_assignment_never_overfills_a_site, .init = setup, .timeout = 600)
{
    static const char *const sf[] = {"site_id", "places_per_day", "places_used"};
    static const char *const cf[] = {"customer_id", "current_site"};
    size_t ns, nc;
    rec *s = records("providers", sf, 3, &ns);
    rec *c = records("customers", cf, 2, &nc);
    int *now = calloc(ns, sizeof *now), *assigned = calloc(ns, sizeof *assigned);
    for (size_t i = 0; i < nc; i++)
        if (c[i].v[1][0])
            now[find(s, ns, c[i].v[1])]++;
    gmt_csv a = gmt_csv_in(outdir, "assignment.csv");
    cr_assert_eq(a.nrows, nc, "one assignment row per located customer");
    size_t as = gmt_csv_col(&a, "assigned_site"), wg = gmt_csv_col(&a, "within_goal");
    size_t placed = 0;
    for (size_t r = 0; r < a.nrows; r++) {
        if (!a.cell[r][as][0]) {
            cr_assert_str_eq(a.cell[r][wg], "no");
            continue;
        }
        assigned[find(s, ns, a.cell[r][as])]++;
        placed++;
    }
    size_t full = 0;
    for (size_t k = 0; k < ns; k++) {
        int places = atoi(s[k].v[1]);
        /* Places used by people outside the file stay used. */
        int outsiders = s[k].v[2][0] ? atoi(s[k].v[2]) - now[k] : 0;
        int cap = places - (outsiders > 0 ? outsiders : 0);
        cr_assert_leq(assigned[k], cap > 0 ? cap : 0, "%s: %d assigned, room for %d (%d places, %d outsiders)",
                      s[k].v[0], assigned[k], cap, places, outsiders);
        full += assigned[k] == cap;
    }
    cr_assert_gt(placed, nc / 2);
    cr_log_info("%zu of %zu customers assigned; %zu sites filled to capacity", placed, nc, full);
    gmt_csv_free(&a);
    free(now);
    free(assigned);
    free(s);
    free(c);
}

Test(rank_e2e, shortlists_are_eligible_scored_by_their_parts_and_in_order, .init = setup, .timeout = 600)
{
    gmt_csv r = gmt_csv_in(outdir, "ranking.csv"), e = gmt_csv_in(outdir, "eligibility.csv");
    size_t cu = gmt_csv_col(&r, "customer_id"), si = gmt_csv_col(&r, "site_id"), rk = gmt_csv_col(&r, "rank"),
           sc = gmt_csv_col(&r, "score");
    static const char *const parts[] = {"time_pts", "price_pts", "status_pts", "preference_pts", "continuity_pts"};
    size_t pc[5];
    for (int k = 0; k < 5; k++)
        pc[k] = gmt_csv_col(&r, parts[k]);
    size_t ec = gmt_csv_col(&e, "customer_id"), es = gmt_csv_col(&e, "site_id"), ee = gmt_csv_col(&e, "eligible");
    double prev = -INFINITY;
    for (size_t i = 0; i < r.nrows; i++) {
        char **row = r.cell[i];
        int rank = atoi(row[rk]);
        cr_assert(rank >= 1 && rank <= 5, "rank %d", rank);
        double sum = 0;
        for (int k = 0; k < 5; k++)
            sum += atof(row[pc[k]]);
        cr_assert(fabs(sum - atof(row[sc])) < 0.011, "%s/%s: parts sum to %.2f, score %s", row[cu], row[si], sum,
                  row[sc]);
        if (rank > 1)
            cr_assert_geq(atof(row[sc]), prev - 1e-9, "%s: rank %d scores below rank %d", row[cu], rank, rank - 1);
        prev = atof(row[sc]);
        /* eligibility.csv is customer-major, then site, like the inputs. */
        bool ok = false;
        for (size_t j = 0; j < e.nrows && !ok; j++)
            if (!strcmp(e.cell[j][ec], row[cu]) && !strcmp(e.cell[j][es], row[si])) {
                cr_assert_str_eq(e.cell[j][ee], "yes", "%s shortlisted for %s but not eligible", row[si], row[cu]);
                ok = true;
            }
        cr_assert(ok, "%s/%s not in eligibility.csv", row[cu], row[si]);
        if (i > 2000) /* the eligibility scan is quadratic: a sample is enough */
            break;
    }
    gmt_csv_free(&r);
    gmt_csv_free(&e);
}

Test(rank_e2e, spend_by_status_is_the_customers_own_costs, .init = setup, .timeout = 600)
{
    static const char *const sf[] = {"site_id", "framework_status"};
    static const char *const cf[] = {"customer_id", "current_site", "weekly_cost"};
    size_t ns, nc;
    rec *s = records("providers", sf, 2, &ns);
    rec *c = records("customers", cf, 3, &nc);
    static const char *const status[] = {"framework", "spot", "legacy"};
    double spend[3] = {0};
    int placements[3] = {0};
    for (size_t i = 0; i < nc; i++) {
        if (!c[i].v[1][0])
            continue;
        const char *st = s[find(s, ns, c[i].v[1])].v[1];
        for (int k = 0; k < 3; k++)
            if (!strcmp(st, status[k])) {
                placements[k]++;
                spend[k] += atof(c[i].v[2]);
            }
    }
    gmt_csv p = gmt_csv_in(outdir, "spend.csv");
    size_t g = gmt_csv_col(&p, "group_by"), key = gmt_csv_col(&p, "key"), pl = gmt_csv_col(&p, "placements"),
           ws = gmt_csv_col(&p, "weekly_spend");
    int found = 0;
    for (size_t r = 0; r < p.nrows; r++) {
        if (strcmp(p.cell[r][g], "status"))
            continue;
        for (int k = 0; k < 3; k++)
            if (!strcmp(p.cell[r][key], status[k])) {
                found++;
                cr_assert_eq(atoi(p.cell[r][pl]), placements[k], "%s placements", status[k]);
                cr_assert(fabs(atof(p.cell[r][ws]) - spend[k]) < 0.01, "%s spend %s, customers' %.2f", status[k],
                          p.cell[r][ws], spend[k]);
            }
    }
    cr_assert_eq(found, 3);
    gmt_csv_free(&p);
    free(s);
    free(c);
}

Test(rank_e2e, gapmap_rank_alone_writes_the_ranking, .timeout = 600)
{
    const char *tmp = gmt_tmpdir("rank-cli");
    char out[4200], cmd[16384];
    snprintf(out, sizeof out, "%s/out", tmp);
    snprintf(cmd, sizeof cmd, "'%s' rank '%s' --quiet --output '%s' >'%s.log' 2>&1", GM_TEST_GAPMAP_EXE,
             gmt_src("geodata/examplshire.ini"), out, out);
    cr_assert_eq(gmt_system(cmd), 0, "gapmap rank failed");
    char files[16384], dir[4300];
    snprintf(files, sizeof files, "%s", gmt_listing(out));
    snprintf(dir, sizeof dir, "%s/restricted", out);
    snprintf(files + strlen(files), sizeof files - strlen(files), " | %s", gmt_listing(dir));
    snprintf(dir, sizeof dir, "%s/shareable", out);
    snprintf(files + strlen(files), sizeof files - strlen(files), " | %s", gmt_listing(dir));
    static const char *const want[] = {"ranking.csv", "eligibility.csv", "assignment.csv", "spend.csv",
                                       "ranking.geojson", "matrix.csv", "summary.json", "manifest.json",
                                       "gapmap.gpkg"};
    for (size_t k = 0; k < sizeof want / sizeof *want; k++)
        cr_assert_not_null(strstr(files, want[k]), "no %s in %s", want[k], files);
    cr_assert_null(strstr(files, "catchments"), "rank alone does not draw catchments");
}
