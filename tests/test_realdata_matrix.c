/*
 * The travel matrix on real data (../shared/data/rutland, skipped when
 * absent), checked against things that do not trust the code:
 *
 *   - bounds: every road distance is at least the straight line between the
 *     customer's postcode centroid (Code-Point Open's own easting/northing)
 *     and the site (its NHS Choices lon/lat put through PROJ here, checked
 *     against Code-Point's lon/lat columns first), and every time at least
 *     that line at a speed no journey can beat (130 km/h by car, 4.8 km/h on
 *     foot);
 *   - two sources: the same OSM data read as Geofabrik's .osm.pbf and as its
 *     "free" road shapefile give nearly the same matrix;
 *   - another implementation: networkx (Debian's python3-networkx, run as
 *     /usr/bin/python3) recomputes gapmap's shortest-path times on the same
 *     graph, exported by tests/graph_export.c, to within a second, and is
 *     shown to notice a wrong answer.
 *
 * Inputs (tests/rutland.c, shared with test_realdata_coverage): 300
 * customers at every 4th postcode of Rutland's Code-Point file and the 21
 * social care providers NHS Choices listed in and around Rutland in 2014; the
 * matrix has every pair whatever their needs and services.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rutland.h"
#include "testutil.h"

#define NCUST 300

/* Write customers.csv and providers.csv into a fresh folder (tests/rutland.c:
 * every 4th postcode, the first NCUST of them). */
static void make_inputs(gmr_inputs *j, const char *tag)
{
    const char *d = gmt_tmpdir(tag);
    cr_assert_not_null(d);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", d);
    gmr_make_inputs(j, dir, 4, NCUST);
    cr_log_info("inputs: %zu customers, %zu sites; PROJ vs Code-Point lon/lat: worst %.3f m over %ld postcodes",
                j->ncust, j->nsite, j->proj_worst_m, j->postcode_rows);
}

/* Run gapmap matrix on one road file; outputs in <dir>/out-<tag>. */
static void run_matrix(const gmr_inputs *j, const char *roads, const char *tag)
{
    char pcfile[4096];
    gmr_shared_or_skip(GMR_POSTCODES, pcfile, sizeof pcfile);
    char ini[8192], name[64];
    snprintf(ini, sizeof ini,
             "[run]\nname = Rutland matrix (%s)\n\n"
             "[postcodes]\nfile = %s\nformat = custom\npostcode = postcode\nx = easting\ny = northing\n\n"
             "[customers]\nfile = %s/customers.csv\n\n"
             "[providers]\nfile = %s/providers.csv\ncoords_crs = EPSG:4326\n\n"
             "[roads]\nfile = %s\n\n"
             "[travel]\nmodes = car, walk\ncutoff_minutes = 120\n",
             tag, pcfile, j->dir, j->dir, roads);
    snprintf(name, sizeof name, "%s.ini", tag);
    cr_assert_not_null(gmt_write(j->dir, name, ini));
    char cmd[16384];
    snprintf(cmd, sizeof cmd, "'%s' matrix '%s/%s.ini' --quiet -o '%s/out-%s' >'%s/%s.log' 2>&1",
             GM_TEST_GAPMAP_EXE, j->dir, tag, j->dir, tag, j->dir, tag);
    int rc = gmt_system(cmd);
    char log[4200];
    snprintf(log, sizeof log, "%s/%s.log", j->dir, tag);
    char *text = gmt_slurp(log, NULL);
    cr_assert_eq(rc, 0, "gapmap matrix on %s failed (exit %d):\n%s", roads, rc, text ? text : "");
    free(text);
}

static gmr_matrix *read_matrix(const gmr_inputs *j, const char *tag)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/out-%s/restricted/matrix.csv", j->dir, tag);
    return gmr_matrix_read(j, path);
}

/* ---- bounds ------------------------------------------------------------- */

typedef struct roadcase {
    char rel[64];  /* under ../shared/data */
    char tag[8];
} roadcase;

ParameterizedTestParameters(realdata_matrix, road_journeys_are_no_shorter_or_faster_than_the_straight_line)
{
    static roadcase cases[] = {{GMR_PBF, "pbf"}, {GMR_SHP, "shp"}};
    return cr_make_param_array(roadcase, cases, sizeof cases / sizeof *cases);
}

ParameterizedTest(roadcase *rc, realdata_matrix, road_journeys_are_no_shorter_or_faster_than_the_straight_line,
                  .timeout = 180)
{
    char roads[4096];
    gmr_shared_or_skip(rc->rel, roads, sizeof roads);
    gmr_inputs j;
    make_inputs(&j, rc->tag);
    run_matrix(&j, roads, rc->tag);
    gmr_matrix *m = read_matrix(&j, rc->tag);
    /* Speeds no journey can beat: 130 km/h is above every car class speed
     * and posted limit in England (70 mph = 113 km/h); on foot, 4.8 km/h is the
     * walking speed itself, and every join leg is walked. */
    static const double vmax_kmh[GMR_NMODES] = {130.0, 4.8};
    for (int md = 0; md < GMR_NMODES; md++) {
        long reached = 0;
        double min_ratio = INFINITY, max_kmh = 0;
        for (size_t c = 0; c < j.ncust; c++) {
            for (size_t s = 0; s < j.nsite; s++) {
                double ts = m->time_s[gmr_mx(m, c, s, md)], dm = m->dist_m[gmr_mx(m, c, s, md)];
                if (!isfinite(ts))
                    continue;
                reached++;
                double line = hypot(j.cust[c].x - j.site[s].x, j.cust[c].y - j.site[s].y);
                cr_assert_geq(dm, line - 1.0, "%s %s -> %s (%s): road %.1f m shorter than the straight line %.1f m",
                              rc->tag, j.cust[c].id, j.site[s].id, gmr_mode_names[md], dm, line);
                /* matrix.csv rounds times to 0.1 s. */
                cr_assert_geq(ts + 0.05, line / (vmax_kmh[md] / 3.6),
                              "%s %s -> %s (%s): %.1f s for %.0f m is faster than %.1f km/h", rc->tag,
                              j.cust[c].id, j.site[s].id, gmr_mode_names[md], ts, line, vmax_kmh[md]);
                if (line > 100) {
                    min_ratio = fmin(min_ratio, dm / line);
                    max_kmh = fmax(max_kmh, line / ts * 3.6);
                }
            }
        }
        /* Enough pairs for the bounds to mean something (2 h covers all of
         * Rutland by car; on foot 9.6 km). */
        cr_assert_gt(reached, md == GMR_CAR ? 5000 : 1500, "%s %s: only %ld pairs reached", rc->tag, gmr_mode_names[md],
                     reached);
        cr_log_info("%s %s: %ld of %zu pairs reached; least road/straight distance %.3f, fastest straight-line "
                    "speed %.1f km/h (bound %.1f)",
                    rc->tag, gmr_mode_names[md], reached, j.ncust * j.nsite, min_ratio, max_kmh, vmax_kmh[md]);
    }
    gmr_matrix_free(m);
    gmr_inputs_free(&j);
}

/* ---- .osm.pbf against the Geofabrik shapefile ---------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

Test(realdata_matrix, osm_pbf_and_geofabrik_shapefile_give_nearly_the_same_matrix, .timeout = 180)
{
    /* The same OSM data (Geofabrik, a month apart), but the shapefile keeps
     * only fclass, oneway and maxspeed: it has no junction=roundabout (so a
     * roundabout without an explicit oneway tag is two-way) and no access tags
     * (so private and no-entry roads are open), and its export is a month
     * newer.  Journeys can only differ where such a road is on the fastest
     * path, so most pairs agree exactly and the shapefile reaches a little
     * more.  Walking has no one-way rules: tighter agreement. */
    char pbf[4096], shp[4096];
    gmr_shared_or_skip(GMR_PBF, pbf, sizeof pbf);
    gmr_shared_or_skip(GMR_SHP, shp, sizeof shp);
    gmr_inputs j;
    make_inputs(&j, "pbfshp");
    run_matrix(&j, pbf, "pbf");
    run_matrix(&j, shp, "shp");
    gmr_matrix *a = read_matrix(&j, "pbf"), *b = read_matrix(&j, "shp");
    static const double median_max[GMR_NMODES] = {0.02, 0.01};
    double *rel = malloc(j.ncust * j.nsite * sizeof *rel);
    cr_assert_not_null(rel);
    for (int md = 0; md < GMR_NMODES; md++) {
        long na = 0, nb = 0, n = 0, within10 = 0, same = 0;
        for (size_t c = 0; c < j.ncust; c++) {
            for (size_t s = 0; s < j.nsite; s++) {
                double ta = a->time_s[gmr_mx(a, c, s, md)], tb = b->time_s[gmr_mx(b, c, s, md)];
                na += isfinite(ta);
                nb += isfinite(tb);
                if (!isfinite(ta) || !isfinite(tb))
                    continue;
                double r = fabs(ta - tb) / fmax(ta, 1.0);
                rel[n++] = r;
                within10 += r <= 0.10;
                same += ta == tb;
            }
        }
        cr_assert_gt(n, 1000, "%s: only %ld pairs reached from both sources", gmr_mode_names[md], n);
        qsort(rel, (size_t)n, sizeof *rel, cmp_double);
        double median = n % 2 ? rel[n / 2] : (rel[n / 2 - 1] + rel[n / 2]) / 2;
        double p90 = rel[(size_t)ceil(0.9 * (double)n) - 1];
        double frac10 = (double)within10 / (double)n;
        double count_diff = fabs((double)(na - nb)) / (double)(na > nb ? na : nb);
        cr_log_info("pbf vs shp, %s: reached %ld (pbf) / %ld (shp), %ld in both, counts differ by %.2f%%; "
                    "time: %.1f%% identical, median |rel diff| %.3f%%, 90th percentile %.2f%%, "
                    "%.1f%% within 10%%, worst %.1f%%",
                    gmr_mode_names[md], na, nb, n, 100 * count_diff, 100.0 * (double)same / (double)n, 100 * median,
                    100 * p90, 100 * frac10, 100 * rel[n - 1]);
        cr_expect_lt(median, median_max[md], "%s: median relative time difference %.3f%% (limit %.0f%%)",
                     gmr_mode_names[md], 100 * median, 100 * median_max[md]);
        cr_expect_geq(frac10, 0.90, "%s: only %.1f%% of pairs within 10%%", gmr_mode_names[md], 100 * frac10);
        cr_expect_lt(count_diff, 0.02, "%s: reached pairs %ld (pbf) vs %ld (shp)", gmr_mode_names[md], na, nb);
    }
    free(rel);
    gmr_matrix_free(a);
    gmr_matrix_free(b);
    gmr_inputs_free(&j);
}

/* ---- networkx, an independent shortest-path implementation -------------- */

typedef struct nxcase {
    char rel[64];  /* road file: under ../shared/data when shared, else under the source tree */
    bool shared;
    char mode[8];
} nxcase;

ParameterizedTestParameters(realdata_matrix, networkx_finds_the_same_shortest_times)
{
    static nxcase cases[] = {
        {GMR_PBF, true, "car"},
        {GMR_PBF, true, "walk"},
        {"geodata/roads.gpkg", false, "car"},
    };
    return cr_make_param_array(nxcase, cases, sizeof cases / sizeof *cases);
}

/* Run nx_check.py; returns its exit status, output in *out (caller frees). */
static int nx_check(const char *dir, const char *arcs, const char *res, char **out)
{
    char cmd[16384], log[4200];
    snprintf(log, sizeof log, "%s/nx_check.log", dir);
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s' '%s' '%s' >'%s' 2>&1", GM_TEST_NX_CHECK, arcs, res, log);
    int rc = gmt_system(cmd);
    *out = gmt_slurp(log, NULL);
    cr_assert_not_null(*out);
    return rc;
}

/* The figures line nx_check prints last. */
static const char *last_line(char *text)
{
    size_t n = strlen(text);
    while (n > 0 && text[n - 1] == '\n')
        text[--n] = '\0';
    char *nl = strrchr(text, '\n');
    return nl ? nl + 1 : text;
}

/* Copy the results rows of the first source only, with one change:
 * what = 0 none, 1 one node's time 1.5 s later, 2 one node's row dropped. */
static void write_one_source(const char *from, const char *to, int what)
{
    FILE *in = fopen(from, "r"), *out = fopen(to, "w");
    cr_assert(in && out);
    char line[256], first[32] = "";
    long k = 0;
    while (fgets(line, sizeof line, in)) {
        if (k++ == 0) {
            fputs(line, out);
            continue;
        }
        char src[32];
        snprintf(src, sizeof src, "%.*s", (int)strcspn(line, ","), line);
        if (!first[0])
            snprintf(first, sizeof first, "%s", src);
        if (strcmp(src, first))
            break;
        if (k == 3 && what == 2)
            continue;
        if (k == 3 && what == 1) {
            unsigned s, v;
            double t;
            cr_assert_eq(sscanf(line, "%u,%u,%lf", &s, &v, &t), 3);
            fprintf(out, "%u,%u,%.9g\n", s, v, t + 1.5);
            continue;
        }
        fputs(line, out);
    }
    fclose(in);
    fclose(out);
    cr_assert_gt(k, 10, "%s: too few rows for the first source", from);
}

/* Copy the arcs with one arc of the first source's shortest-path tree made
 * half as long in time (one taking over 10 s): its head is then reachable
 * more than 5 s sooner than gapmap says, which networkx must notice. */
static void write_halved_arc(const char *arcs, const char *one_source, const char *to)
{
    FILE *f = fopen(one_source, "r");
    cr_assert_not_null(f);
    char line[256];
    size_t cap = 0, nt = 0;
    double *tm = NULL;
    while (fgets(line, sizeof line, f)) {
        unsigned s, v;
        double t;
        if (sscanf(line, "%u,%u,%lf", &s, &v, &t) != 3)
            continue;
        if (v >= cap) {
            size_t ncap = 2 * (size_t)v + 1024;
            tm = realloc(tm, ncap * sizeof *tm);
            cr_assert_not_null(tm);
            for (size_t i = cap; i < ncap; i++)
                tm[i] = NAN;
            cap = ncap;
        }
        tm[v] = t;
        nt++;
    }
    fclose(f);
    FILE *in = fopen(arcs, "r"), *out = fopen(to, "w");
    cr_assert(in && out);
    bool done = false;
    while (fgets(line, sizeof line, in)) {
        unsigned u, v;
        double t, d;
        if (!done && sscanf(line, "%u,%u,%lf,%lf", &u, &v, &t, &d) == 4 && u < cap && v < cap && t > 10 &&
            fabs(tm[u] + t - tm[v]) < 1e-3) {
            fprintf(out, "%u,%u,%.9g,%.9g\n", u, v, t / 2, d);
            done = true;
            continue;
        }
        fputs(line, out);
    }
    fclose(in);
    fclose(out);
    free(tm);
    cr_assert(done, "no arc over 10 s on the first source's shortest-path tree (%zu nodes)", nt);
}

ParameterizedTest(nxcase *nc, realdata_matrix, networkx_finds_the_same_shortest_times, .timeout = 180)
{
    char roads[4096];
    if (nc->shared)
        gmr_shared_or_skip(nc->rel, roads, sizeof roads);
    else
        snprintf(roads, sizeof roads, "%s", gmt_src(nc->rel));
    if (gmt_system("/usr/bin/python3 -c 'import networkx' >/dev/null 2>&1") != 0)
        cr_skip_test("/usr/bin/python3 cannot import networkx (Debian: apt-get install python3-networkx; "
                     "scripts/deps-debian installs it)");
    char tag[64];
    snprintf(tag, sizeof tag, "nx-%s", nc->mode);
    const char *d = gmt_tmpdir(tag);
    cr_assert_not_null(d);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", d);
    char arcs[4200], res[4200], cmd[16384];
    snprintf(arcs, sizeof arcs, "%s/arcs.csv", dir);
    snprintf(res, sizeof res, "%s/results.csv", dir);
    snprintf(cmd, sizeof cmd, "'%s' '%s' %s '%s' '%s' >'%s/export.log' 2>&1", GM_TEST_GRAPH_EXPORT_EXE, roads,
             nc->mode, arcs, res, dir);
    int rc = gmt_system(cmd);
    char lp[4200];
    snprintf(lp, sizeof lp, "%s/export.log", dir);
    char *elog = gmt_slurp(lp, NULL);
    cr_assert_eq(rc, 0, "graph_export failed (exit %d):\n%s", rc, elog ? elog : "");
    cr_log_info("%s", last_line(elog));
    free(elog);

    char *text;
    rc = nx_check(dir, arcs, res, &text);
    cr_assert_eq(rc, 0, "networkx disagrees with gapmap on %s (%s), exit %d:\n%s", nc->rel, nc->mode, rc, text);
    const char *fig = last_line(text);
    const char *md = strstr(fig, "max |diff| ");
    cr_assert_not_null(md, "no figures in nx_check's output: %s", fig);
    double maxdiff = atof(md + strlen("max |diff| "));
    cr_assert_lt(maxdiff, 1.0);
    cr_assert_not_null(strstr(fig, "50 sources"), "%s", fig);
    cr_log_info("%s (%s): %s", nc->rel, nc->mode, fig);
    free(text);

    /* The check has teeth: on the first source alone it passes as is, and
     * fails when gapmap's answer is 1.5 s off at one node, misses a node, or
     * the graph has one arc faster than the one gapmap searched. */
    char one[4200], bad[4200], badarcs[4200];
    snprintf(one, sizeof one, "%s/one.csv", dir);
    snprintf(bad, sizeof bad, "%s/one-bad.csv", dir);
    snprintf(badarcs, sizeof badarcs, "%s/arcs-bad.csv", dir);
    write_one_source(res, one, 0);
    cr_assert_eq(rc = nx_check(dir, arcs, one, &text), 0, "control run failed:\n%s", text);
    free(text);
    static const char *const what[] = {"", "a time 1.5 s late", "a reached node missing"};
    for (int w = 1; w <= 2; w++) {
        write_one_source(res, bad, w);
        rc = nx_check(dir, arcs, bad, &text);
        cr_assert_eq(rc, 1, "nx_check did not notice %s (exit %d):\n%s", what[w], rc, text);
        cr_assert_not_null(strstr(text, "MISMATCH"));
        free(text);
    }
    write_halved_arc(arcs, one, badarcs);
    rc = nx_check(dir, badarcs, one, &text);
    cr_assert_eq(rc, 1, "nx_check did not notice an arc at half its time (exit %d):\n%s", rc, text);
    free(text);

    /* Passed: drop the big files (several MB each). */
    remove(arcs);
    remove(res);
    remove(badarcs);
}
