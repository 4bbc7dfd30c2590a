/*
 * The batch pipeline (see DESIGN.md, "The job, as data flowing through"):
 * postcode directory -> customers and providers located -> output folder.
 * Each stage takes plain structs and returns plain structs; only engine/io
 * writes files.  Outputs are written in a fixed order so a rerun is
 * byte-identical.
 */
#include "gapmap/run.h"

#include "../inputs/inputs_impl.h"
#include "../io/csvout.h"
#include "../io/gpkg.h"
#include "../io/manifest.h"
#include "../io/qgsproj.h"
#include "../io/vwriter.h"
#include "config.h"
#include "layers.h"
#include "travel.h"
#include "../analysis/coverage.h"
#include "../analysis/journeys.h"
#include "../analysis/rank.h"
#include "../io/jsonout.h"
#include "../io/report.h"

#include <errno.h>
#include <stdio.h>
#include <math.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

_Static_assert(GM_SUMMARY_MAX_WITHIN >= GM__TM_COUNT * GM__COVERAGE_MAX_THR,
               "the run summary holds every coverage threshold");

/* The output folder's two halves (DESIGN.md): aggregates with small counts
 * withheld, fit to share, and rows about one person, for the council's eyes. */
#define SHARE "shareable"
#define RESTR "restricted"
#define OUTNAME 96 /* "restricted/journeys_review.csv" and the like */

/* mkdir -p */
static gm_status make_dir(gm_ctx *ctx, const char *dir)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path)
        return gm__err(ctx, GM_E_IO, "output folder path is too long: %s", dir);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0777) != 0 && errno != EEXIST)
            return gm__err(ctx, GM_E_IO, "cannot create the output folder %s (%s)", path,
                           strerror(errno));
        *p = '/';
    }
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
        return gm__err(ctx, GM_E_IO, "cannot create the output folder %s (%s)", path, strerror(errno));
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return gm__err(ctx, GM_E_IO, "output path %s exists and is not a folder", path);
    return GM_OK;
}

/* The restricted folder: made owner-only (0700), and made so again when an
 * earlier run or a copy left it open, so only the council officer running
 * gapmap can list or read it. */
static gm_status make_private_dir(gm_ctx *ctx, const char *dir)
{
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return gm__err(ctx, GM_E_IO, "cannot create the output folder %s (%s)", dir, strerror(errno));
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return gm__err(ctx, GM_E_IO, "output path %s exists and is not a folder", dir);
    if (st.st_uid != geteuid())
        return gm__err(ctx, GM_E_IO,
                       "%s belongs to another user, so its personal data could not be kept private: "
                       "choose another output folder",
                       dir);
    if ((st.st_mode & 07777) != 0700 && chmod(dir, 0700) != 0)
        return gm__err(ctx, GM_E_IO, "cannot make %s owner-only (%s)", dir, strerror(errno));
    return GM_OK;
}

/* Files with a row per customer that earlier gapmaps wrote straight into the output
 * folder, before it was split: left there, they would sit unprotected beside
 * restricted/.  gapmap deletes nothing it did not write in this run, so it
 * says so instead. */
static void warn_old_layout(gm_ctx *ctx, const char *root)
{
    static const char *const old[] = {"customers.geojson", "customers.shp", "matrix.csv", "nearest.csv",
                                      "journeys.csv", "ranking.csv", "eligibility.csv", "rejects.csv",
                                      "gapmap.gpkg"};
    for (size_t k = 0; k < sizeof old / sizeof *old; k++) {
        char *p = gm__asprintf("%s/%s", root, old[k]);
        bool there = p && access(p, F_OK) == 0;
        gm__free(p);
        if (there) {
            gm__log(ctx, GM_LOG_WARN,
                    "%s holds %s and other files from an older gapmap, which wrote personal data straight "
                    "into the output folder: this run writes to %s/shareable and %s/restricted instead, so "
                    "delete the old files (or choose an empty output folder)",
                    root, old[k], root, root);
            return;
        }
    }
}

/* Every file in restricted/ owner read-write only (0600), so a copy of one
 * keeps its protection outside the folder. */
static gm_status close_restricted(gm_ctx *ctx, const char *root, char names[][OUTNAME], size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strncmp(names[i], RESTR "/", sizeof RESTR))
            continue;
        char *path = gm__asprintf("%s/%s", root, names[i]);
        if (!path)
            return gm__err(ctx, GM_E_NOMEM, "out of memory protecting %s", names[i]);
        int rc = chmod(path, 0600), e = errno;
        gm_status st = rc ? gm__err(ctx, GM_E_IO, "cannot make %s owner-only (%s)", path, strerror(e)) : GM_OK;
        gm__free(path);
        if (st != GM_OK)
            return st;
    }
    return GM_OK;
}

/* names[n] = "<folder>/<file>" */
static size_t add_name(char names[][OUTNAME], size_t n, const char *folder, const char *file)
{
    snprintf(names[n], OUTNAME, "%s/%s", folder, file);
    return n + 1;
}

/* Stage timings for the manifest: wall clock and the process's CPU time. */
typedef struct clock_pair {
    struct timespec wall, cpu;
} clock_pair;

static void clock_now(clock_pair *c)
{
    clock_gettime(CLOCK_MONOTONIC, &c->wall);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c->cpu);
}

static double seconds(struct timespec a, struct timespec b)
{
    return (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
}

/* End the stage that began at *t0, which then marks the next one's start. */
static void stage_end(gm__mf_stage *sts, size_t *n, const char *name, const char *what, uint64_t items,
                      clock_pair *t0)
{
    clock_pair t1;
    clock_now(&t1);
    struct rusage ru;
    double rss_mb = getrusage(RUSAGE_SELF, &ru) == 0 ? (double)ru.ru_maxrss / 1024.0 : 0; /* KiB on Linux */
    sts[(*n)++] = (gm__mf_stage){name, seconds(t0->wall, t1.wall), seconds(t0->cpu, t1.cpu), rss_mb, what, items};
    *t0 = t1;
}

typedef struct skip_sink {
    gm__rejlist *list;
    const char *file;
    bool nomem;
} skip_sink;

static void on_pcdir_skip(uint64_t line, const char *field, const char *value, const char *reason,
                          void *user)
{
    skip_sink *s = user;
    if (!gm__rejlist_add(s->list, s->file, line, "", field, value, false, reason))
        s->nomem = true;
}

static gm_status write_rejects(gm_ctx *ctx, const char *outdir, const gm_reject *const *lists,
                               const size_t *counts, size_t nlists, gm_run_summary *sum)
{
    char *path = gm__asprintf("%s/rejects.csv", outdir);
    if (!path)
        return gm__err(ctx, GM_E_NOMEM, "out of memory writing rejects.csv");
    gm__csvout *w = NULL;
    gm_status st = gm__csvout_open(ctx, path, &w);
    gm__free(path);
    if (st != GM_OK)
        return st;
    static const char *const header[] = {"file", "line", "record_id", "field", "value", "reason",
                                         "severity"};
    st = gm__csvout_row(w, header, 7);
    for (size_t l = 0; st == GM_OK && l < nlists; l++) {
        for (size_t i = 0; st == GM_OK && i < counts[l]; i++) {
            const gm_reject *r = &lists[l][i];
            char line[24];
            snprintf(line, sizeof line, "%llu", (unsigned long long)r->line);
            const char *row[] = {r->file,  line,     r->record_id, r->field,
                                 r->value, r->reason, r->warning ? "warning" : "rejected"};
            st = gm__csvout_row(w, row, 7);
            if (r->warning)
                sum->warning_rows++;
            else
                sum->reject_rows++;
        }
    }
    if (st != GM_OK) {
        gm__csvout_abort(w);
        return st;
    }
    return gm__csvout_close(w);
}

/* The files a layer produces in folder in the given formats, in a fixed
 * order, with its style. */
static size_t layer_files(const char *folder, const char *layer, unsigned formats, char names[][OUTNAME], size_t n)
{
    static const char *const shp_ext[] = {"shp", "shx", "dbf", "prj", "cpg"};
    if (formats & GM__FMT_GEOJSON)
        snprintf(names[n++], OUTNAME, "%s/%s.geojson", folder, layer);
    if (formats & GM__FMT_SHAPEFILE) {
        for (size_t i = 0; i < 5; i++)
            snprintf(names[n++], OUTNAME, "%s/%s.%s", folder, layer, shp_ext[i]);
    }
    snprintf(names[n++], OUTNAME, "%s/%s.qml", folder, layer);
    return n;
}

/* The county boundary as a base layer, and two QGIS projects: gapmap.qgs in
 * the output folder opens every layer this run wrote (those in names) from
 * both halves, and shareable/gapmap.qgs the shareable ones alone, so that
 * folder can be handed over whole.  Layers are listed as they draw, the first
 * on top: sites and people, then areas, the outline last.  Layers with a row
 * per customer are restricted personal data, so they start unchecked, as do
 * the catchments, coverage and partition, whose overlapping polygons (one set
 * per mode) hide what lies under them: the first view is providers, gaps and
 * zones on the county. */
static gm_status write_qgis_project(gm_ctx *ctx, const gm_config *cfg, const char *share, char names[][OUTNAME],
                                    size_t *nout)
{
    static const gm__qgs_layer all[] = {
        {"providers", "Provider sites", "Providers", true, SHARE},
        {"ranking", "Ranked sites per customer (restricted)", "Providers", false, RESTR},
        {"customers", "Customers (restricted)", "People", false, RESTR},
        {"journeys", "Current journeys (restricted)", "People", false, RESTR},
        {"gaps", "Gap areas (ranked)", "Gaps", true, SHARE},
        {"zones", "Zones (underserved in red)", "Gaps", true, SHARE},
        {"coverage", "Coverage by service and travel time", "Access", false, SHARE},
        {"partition", "Nearest site areas", "Access", false, SHARE},
        {"catchments", "Catchments (travel time bands)", "Access", false, SHARE},
        {"boundary", "County boundary", "Base", true, SHARE},
    };
    const size_t nall = sizeof all / sizeof *all;
    gm__qgs_layer use[sizeof all / sizeof *all], pub[sizeof all / sizeof *all];
    size_t nuse = 0;
    const char *ext = (cfg->formats & GM__FMT_GEOJSON) ? "geojson" : "shp";
    for (size_t k = 0; k + 1 < nall; k++) {
        char file[64];
        snprintf(file, sizeof file, "%s/%s.%s", all[k].folder, all[k].stem, ext);
        for (size_t i = 0; i < *nout; i++)
            if (!strcmp(names[i], file)) {
                use[nuse++] = all[k];
                break;
            }
    }
    if (nuse == 0) /* travel tables alone: nothing to map */
        return GM_OK;
    gm_status st;
    if (cfg->area.boundary) {
        if ((st = gm__qgsproj_write_boundary(ctx, share, cfg->formats, cfg->area.boundary,
                                             cfg->area.boundary_layer)) != GM_OK)
            return st;
        *nout = layer_files(SHARE, "boundary", cfg->formats, names, *nout);
        use[nuse++] = all[nall - 1];
    }
    size_t npub = 0;
    for (size_t k = 0; k < nuse; k++)
        if (!strcmp(use[k].folder, SHARE)) {
            pub[npub] = use[k];
            pub[npub++].folder = NULL;
        }
    gm__log(ctx, GM_LOG_INFO, "Writing the QGIS projects %s/gapmap.qgs and %s/gapmap.qgs", cfg->output, share);
    if ((st = gm__qgsproj_write(ctx, cfg->output, cfg->name, use, nuse, cfg->formats)) != GM_OK)
        return st;
    snprintf(names[(*nout)++], OUTNAME, "gapmap.qgs");
    if (npub && (st = gm__qgsproj_write(ctx, share, cfg->name, pub, npub, cfg->formats)) != GM_OK)
        return st;
    if (npub)
        *nout = add_name(names, *nout, SHARE, "gapmap.qgs");
    return GM_OK;
}

gm_status gm_run(gm_ctx *ctx, const gm_config *cfg, gm_run_summary *summary)
{
    return gm_run_stages(ctx, cfg, GM_STAGE_ALL, summary);
}

/* The timetable's files as manifest inputs: a zip is one file; a folder,
 * each GTFS file present in it. */
#define GTFS_NFILES 10
static size_t gtfs_inputs(const gm_config *cfg, gm__mf_file *used, size_t n, char (*paths)[2][600])
{
    static const char *const files[GTFS_NFILES] = {"agency.txt",    "stops.txt",          "routes.txt",
                                                   "trips.txt",     "stop_times.txt",     "calendar.txt",
                                                   "calendar_dates.txt", "frequencies.txt", "feed_info.txt",
                                                   "transfers.txt"};
    struct stat sb;
    if (stat(cfg->transit.gtfs, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        used[n++] = (gm__mf_file){"gtfs", cfg->transit.gtfs_raw, cfg->transit.gtfs};
        return n;
    }
    for (size_t k = 0; k < GTFS_NFILES; k++) {
        snprintf(paths[k][0], sizeof paths[k][0], "%s/%s", cfg->transit.gtfs, files[k]);
        snprintf(paths[k][1], sizeof paths[k][1], "%s/%s", cfg->transit.gtfs_raw, files[k]);
        if (stat(paths[k][0], &sb) == 0 && S_ISREG(sb.st_mode))
            used[n++] = (gm__mf_file){"gtfs", paths[k][1], paths[k][0]};
    }
    return n;
}

gm_status gm_run_stages(gm_ctx *ctx, const gm_config *cfg, unsigned stages, gm_run_summary *summary)
{
    gm__err_clear(ctx);
    if (!ctx || !cfg)
        return gm__err(ctx, GM_E_ARG, "gm_run: missing argument");
    gm_run_summary sum;
    memset(&sum, 0, sizeof sum);
    gm_pcdir *dir = NULL;
    gm_inputs *in = NULL;
    gm__rejlist pcskips = {0};
    gm__rejlist travel_warn = {0};
    gm__travel *travel = NULL;
    gm__coverage *cov = NULL;
    gm__journeys *jrn = NULL;
    gm__journeys_in jin;
    gm__ranking *rank = NULL;
    gm__rank_in rin;
    bool *in_area = NULL;
    gm__gpkg *gpkg_share = NULL, *gpkg_restr = NULL;
    memset(&jin, 0, sizeof jin);
    memset(&rin, 0, sizeof rin);
    gm_status st;
    gm__mf_stage times[8];
    size_t ntimes = 0;
    clock_pair t0;
    clock_now(&t0);
    if ((stages & GM_STAGE_TRAVEL) && !(stages & GM_STAGE_LAYERS) && !cfg->roads.file)
        return gm__err(ctx, GM_E_CONFIG,
                       "%s: no [roads] file: travel times need a road network (OS Open Roads "
                       "GeoPackage, OpenStreetMap .osm.pbf, or Geofabrik road shapefile)",
                       cfg->path);

    /* 1. Postcode directory. */
    gm_pcdir_opts po;
    gm_pcdir_opts_init(&po);
    po.path = cfg->postcodes.file;
    po.has_header = cfg->postcodes.header;
    po.col_postcode = cfg->postcodes.col_postcode;
    po.col_x = cfg->postcodes.col_x;
    po.col_y = cfg->postcodes.col_y;
    po.col_terminated = cfg->postcodes.col_terminated;
    po.col_area = cfg->postcodes.col_area;
    po.crs = cfg->postcodes.crs;
    skip_sink sink = {&pcskips, cfg->postcodes.file_raw, false};
    gm__log(ctx, GM_LOG_INFO, "Reading postcode directory %s", cfg->postcodes.file_raw);
    if ((st = gm_pcdir_load(ctx, &po, on_pcdir_skip, &sink, &dir)) != GM_OK)
        goto cleanup;
    if (sink.nomem) {
        st = gm__err(ctx, GM_E_NOMEM, "out of memory listing skipped postcode rows");
        goto cleanup;
    }
    sum.postcodes = *gm_pcdir_get_stats(dir);
    stage_end(times, &ntimes, "postcodes", "postcodes loaded", sum.postcodes.loaded, &t0);
    gm__log(ctx, GM_LOG_INFO, "%llu postcodes loaded (%llu terminated), %llu rows skipped",
            (unsigned long long)sum.postcodes.loaded, (unsigned long long)sum.postcodes.terminated,
            (unsigned long long)(sum.postcodes.rows_read - sum.postcodes.loaded));

    /* 2. Providers and customers, located. */
    if ((st = gm_inputs_load(ctx, cfg, dir, &in)) != GM_OK)
        goto cleanup;
    sum.customers = gm_inputs_customer_counts(in);
    sum.sites = gm_inputs_site_counts(in);
    sum.providers = gm_inputs_provider_count(in);
    stage_end(times, &ntimes, "inputs", "customer and site rows read", sum.customers.rows + sum.sites.rows, &t0);

    /* 3. Networks and the travel matrix. */
    bool travel_on = (stages & GM_STAGE_TRAVEL) && cfg->roads.file;
    if (travel_on && (st = gm__travel_run(ctx, cfg, in, &travel_warn, &travel)) != GM_OK)
        goto cleanup;
    if (travel) {
        uint64_t pairs = 0;
        for (int tm = 0; tm < GM__TM_COUNT; tm++)
            pairs += travel->modes[tm].report.pairs;
        stage_end(times, &ntimes, "travel", "customer-site-mode pairs", pairs, &t0);
    }

    /* 4. Coverage, catchments and gaps. */
    if (travel && (stages & GM_STAGE_COVERAGE) && cfg->coverage.enabled &&
        (st = gm__coverage_run(ctx, cfg, in, dir, travel, &cov)) != GM_OK)
        goto cleanup;
    if (cov)
        stage_end(times, &ntimes, "coverage", "zones", cov->nzones, &t0);

    /* 5. Journeys against the independent-travel goals, and the ranked
     * providers of each placement: both judge sites by the council's area. */
    bool want_j = travel && (stages & GM_STAGE_JOURNEYS) && cfg->journeys.enabled;
    bool want_r = travel && (stages & GM_STAGE_RANK) && cfg->ranking.enabled;
    if (want_j || want_r) {
        size_t nc, ns;
        const gm_customer *cs = gm_inputs_customers(in, &nc);
        const gm_site *ss = gm_inputs_sites(in, &ns);
        if (!(in_area = gm__malloc((ns ? ns : 1) * sizeof *in_area))) {
            st = gm__err(ctx, GM_E_NOMEM, "out of memory checking journeys");
            goto cleanup;
        }
        if ((st = gm__sites_in_area(ctx, cfg, ss, ns, in_area)) != GM_OK)
            goto cleanup;
        jin = (gm__journeys_in){cfg, cs, nc, ss, ns, {NULL}, {NULL}, in_area};
        rin = (gm__rank_in){cfg, cs, nc, ss, ns, {NULL}, {NULL}, travel->computed, in_area};
        for (int tm = 0; tm < GM__TM_COUNT; tm++)
            if (travel->computed & (1u << tm)) {
                jin.time_s[tm] = rin.time_s[tm] = travel->modes[tm].m->time_s;
                jin.dist_m[tm] = rin.dist_m[tm] = travel->modes[tm].m->dist_m;
            }
        gm__log(ctx, GM_LOG_INFO, "Checking journeys and ranking providers");
        if (want_j && (st = gm__journeys_run(ctx, &jin, &jrn)) != GM_OK)
            goto cleanup;
        if (jrn)
            stage_end(times, &ntimes, "journeys", "placements checked", jrn->n, &t0);
        if (want_r && (st = gm__rank_run(ctx, &rin, &rank)) != GM_OK)
            goto cleanup;
        if (rank)
            stage_end(times, &ntimes, "ranking", "customers ranked", rank->nc, &t0);
    }

    /* 6. Outputs, in two folders (see SHARE and RESTR). */
    char share[4096], restr[4096];
    if (snprintf(share, sizeof share, "%s/" SHARE, cfg->output) >= (int)sizeof share ||
        snprintf(restr, sizeof restr, "%s/" RESTR, cfg->output) >= (int)sizeof restr) {
        st = gm__err(ctx, GM_E_IO, "output folder path is too long: %s", cfg->output);
        goto cleanup;
    }
    if ((st = make_dir(ctx, cfg->output)) != GM_OK || (st = make_dir(ctx, share)) != GM_OK ||
        (st = make_private_dir(ctx, restr)) != GM_OK)
        goto cleanup;
    warn_old_layout(ctx, cfg->output);
    if ((cfg->formats & GM__FMT_GPKG) && ((st = gm__gpkg_begin(ctx, share, &gpkg_share)) != GM_OK ||
                                          (st = gm__gpkg_begin(ctx, restr, &gpkg_restr)) != GM_OK))
        goto cleanup;
    char names[128][OUTNAME]; /* every file the run writes: 96 on the sample */
    size_t nout = 0;
    if (stages & GM_STAGE_LAYERS) {
        gm__log(ctx, GM_LOG_INFO, "Writing layers to %s", cfg->output);
        if ((st = gm__write_customer_layer(ctx, restr, cfg->formats, in)) != GM_OK ||
            (st = gm__write_site_layer(ctx, share, cfg->formats, in)) != GM_OK)
            goto cleanup;
        nout = layer_files(RESTR, "customers", cfg->formats, names, nout);
        nout = layer_files(SHARE, "providers", cfg->formats, names, nout);
    }
    if (travel) {
        gm__log(ctx, GM_LOG_INFO, "Writing travel times to %s", restr);
        if ((st = gm__travel_write(ctx, restr, cfg, in, travel)) != GM_OK)
            goto cleanup;
        nout = add_name(names, nout, RESTR, "matrix.csv");
        nout = add_name(names, nout, RESTR, "nearest.csv");
        sum.modes = travel->computed;
        for (int tm = 0; tm < GM__TM_COUNT; tm++) {
            sum.matrix_pairs += travel->modes[tm].report.pairs;
            sum.matrix_reached += travel->modes[tm].report.pairs_reached;
        }
    }
    if (cov) {
        gm__log(ctx, GM_LOG_INFO, "Writing coverage, catchments and gaps to %s", share);
        if ((st = gm__coverage_write(ctx, share, cfg, in, travel, cov)) != GM_OK)
            goto cleanup;
        static const char *const cl[] = {"catchments", "partition", "coverage", "zones", "gaps"};
        for (size_t k = 0; k < 5; k++) {
            nout = layer_files(SHARE, cl[k], cfg->formats, names, nout);
            char csv[64];
            snprintf(csv, sizeof csv, "%s.csv", cl[k]);
            nout = add_name(names, nout, SHARE, csv);
        }
        sum.coverage = true;
        sum.zones = cov->nzones;
        for (size_t z = 0; z < cov->nzones; z++)
            sum.underserved_zones += cov->zones[z].underserved;
        sum.gap_areas = cov->ngaps;
        sum.gap_minutes = cfg->coverage.gap_minutes;
        sum.gap_mode = (unsigned)cfg->coverage.gap_mode;
        /* The county share at the gap threshold when it is a catchment
         * threshold of the gap mode; coverage.csv has every threshold. */
        sum.pct_customers_within = NAN;
        for (size_t i = 0; i < cov->ncov; i++)
            if (cov->cov[i].service == 0 && cov->cov[i].tm == cfg->coverage.gap_mode &&
                cov->cov[i].minutes == cfg->coverage.gap_minutes && cov->cov[i].customers)
                sum.pct_customers_within = 100.0 * cov->cov[i].customers_in / cov->cov[i].customers;
        for (size_t i = 0; i < cov->ncov && sum.nwithin < GM_SUMMARY_MAX_WITHIN; i++)
            if (cov->cov[i].service == 0 && cov->cov[i].customers) {
                sum.within[sum.nwithin].mode = (unsigned)cov->cov[i].tm;
                sum.within[sum.nwithin].minutes = cov->cov[i].minutes;
                sum.within[sum.nwithin++].pct = 100.0 * cov->cov[i].customers_in / cov->cov[i].customers;
            }
        /* by mode, then the nearest threshold first (a few entries: insertion) */
        for (size_t i = 1; i < sum.nwithin; i++)
            for (size_t j = i; j > 0 && (sum.within[j].mode < sum.within[j - 1].mode ||
                                         (sum.within[j].mode == sum.within[j - 1].mode &&
                                          sum.within[j].minutes < sum.within[j - 1].minutes));
                 j--) {
                gm_run_within t = sum.within[j];
                sum.within[j] = sum.within[j - 1];
                sum.within[j - 1] = t;
            }
    }
    if (jrn && jrn->n == 0)
        gm__log(ctx, GM_LOG_INFO, "No customer has a current placement: no journeys to check");
    if (jrn && jrn->n > 0) {
        if ((st = gm__journeys_write(ctx, restr, share, &jin, jrn)) != GM_OK)
            goto cleanup;
        nout = layer_files(RESTR, "journeys", cfg->formats, names, nout);
        nout = add_name(names, nout, RESTR, "journeys.csv");
        nout = add_name(names, nout, RESTR, "journeys_review.csv");
        nout = add_name(names, nout, SHARE, "journeys_summary.csv");
        sum.journeys = jrn->n;
        sum.journeys_flagged = jrn->any_flag;
    }
    if (rank) {
        if ((st = gm__rank_write(ctx, restr, share, &rin, rank)) != GM_OK)
            goto cleanup;
        nout = layer_files(RESTR, "ranking", cfg->formats, names, nout);
        nout = add_name(names, nout, RESTR, "ranking.csv");
        nout = add_name(names, nout, RESTR, "eligibility.csv");
        nout = add_name(names, nout, SHARE, "spend.csv");
        if (cfg->ranking.assign != GM__ASSIGN_NONE)
            nout = add_name(names, nout, RESTR, "assignment.csv");
    }
    if ((st = write_qgis_project(ctx, cfg, share, names, &nout)) != GM_OK)
        goto cleanup;
    /* summary.json: each stage adds its figures. */
    if (cov || jrn || rank) {
        cJSON *sdoc = cJSON_CreateObject();
        if (!sdoc) {
            st = gm__err(ctx, GM_E_NOMEM, "out of memory writing summary.json");
            goto cleanup;
        }
        cJSON_AddStringToObject(sdoc, "about",
                                "The shareable figures of a gapmap run; docs/outputs.md explains each one. "
                                "Counts of people below the suppression threshold are null.");
        cJSON_AddStringToObject(sdoc, "run", cfg->name);
        cJSON_AddNumberToObject(sdoc, "suppress_below", cfg->suppress_below);
        cJSON_AddStringToObject(sdoc, "suppression", cfg->coverage.nhs_rounding ? "nhs" : "threshold");
        /* The customer file's rows, as the manifest counts them, withheld like any count of people. */
        cJSON *cf = cJSON_AddObjectToObject(sdoc, "customer_file");
        const uint64_t cfv[3] = {sum.customers.rows, sum.customers.located, sum.customers.rejected};
        static const char *const cfk[3] = {"rows", "located", "rejected"};
        for (int k = 0; cf && k < 3; k++) {
            int64_t v;
            if (gm__shareable(cfg, cfv[k] > UINT32_MAX ? UINT32_MAX : (uint32_t)cfv[k], &v))
                cJSON_AddNumberToObject(cf, cfk[k], (double)v);
            else
                cJSON_AddNullToObject(cf, cfk[k]);
        }
        st = cov ? gm__coverage_summary(ctx, cfg, travel, cov, sdoc) : GM_OK;
        if (st == GM_OK && jrn)
            st = gm__journeys_summary(ctx, &jin, jrn, sdoc);
        if (st == GM_OK && rank)
            st = gm__rank_summary(ctx, &rin, rank, sdoc);
        if (st == GM_OK)
            st = gm__json_write(ctx, share, "summary.json", sdoc);
        cJSON_Delete(sdoc);
        if (st != GM_OK)
            goto cleanup;
        nout = add_name(names, nout, SHARE, "summary.json");
        /* report.html: the commissioners' page, made from the shareable files above. */
        if ((st = gm__report_write(ctx, share, cfg->formats)) != GM_OK)
            goto cleanup;
        nout = add_name(names, nout, SHARE, "report.html");
    }
    size_t nrej;
    const gm_reject *rej = gm_inputs_rejects(in, &nrej);
    const gm_reject *lists[] = {pcskips.items, rej, travel_warn.items};
    size_t counts[] = {pcskips.n, nrej, travel_warn.n};
    if ((st = write_rejects(ctx, restr, lists, counts, 3, &sum)) != GM_OK) /* rows name customers */
        goto cleanup;
    nout = add_name(names, nout, RESTR, "rejects.csv");
    /* every layer is in: publish the GeoPackages */
    bool pub_share = false, pub_restr = false;
    st = gpkg_share ? gm__gpkg_commit(gpkg_share, &pub_share) : GM_OK;
    gpkg_share = NULL;
    if (st != GM_OK)
        goto cleanup;
    st = gpkg_restr ? gm__gpkg_commit(gpkg_restr, &pub_restr) : GM_OK;
    gpkg_restr = NULL;
    if (st != GM_OK)
        goto cleanup;
    if (pub_share)
        nout = add_name(names, nout, SHARE, GM__GPKG_NAME);
    if (pub_restr)
        nout = add_name(names, nout, RESTR, GM__GPKG_NAME);
    if ((st = close_restricted(ctx, cfg->output, names, nout)) != GM_OK)
        goto cleanup;
    stage_end(times, &ntimes, "outputs", "files written", nout, &t0);
    const char *outs[128];
    for (size_t i = 0; i < nout; i++)
        outs[i] = names[i];
    const gm__mf_file inputs[] = {
        {"config", cfg->path, cfg->path},
        {"postcodes", cfg->postcodes.file_raw, cfg->postcodes.file},
        {"providers", cfg->providers.file_raw, cfg->providers.file},
        {"customers", cfg->customers.file_raw, cfg->customers.file},
        {"roads", cfg->roads.file_raw, cfg->roads.file},
        {"boundary", cfg->area.boundary_raw, cfg->area.boundary},
        {"zones", cfg->area.zones_raw, cfg->area.zones},
    };
    size_t ninputs = cfg->roads.file ? 5 : 4;
    gm__mf_file used[7 + GTFS_NFILES];
    char gtfs_path[GTFS_NFILES][2][600];
    memcpy(used, inputs, ninputs * sizeof *used);
    for (size_t k = 5; cov && k < 7; k++)
        if (inputs[k].path && (k == 5 || !cfg->area.boundary || strcmp(inputs[k].path, cfg->area.boundary)))
            used[ninputs++] = inputs[k];
    if (travel && (travel->computed & GM__TM_BUS))
        ninputs = gtfs_inputs(cfg, used, ninputs, gtfs_path);
    gm__mode_report reports[GM__TM_COUNT];
    size_t nreports = 0;
    for (int tm = 0; travel && tm < GM__TM_COUNT; tm++) {
        if (travel->computed & (1u << tm))
            reports[nreports++] = travel->modes[tm].report;
    }
    if ((st = gm__manifest_write(ctx, cfg->output, cfg, used, ninputs, &sum, outs,
                                 nout, reports, nreports, times, ntimes)) != GM_OK)
        goto cleanup;
    sum.files_written = nout + 1;
    if (summary)
        *summary = sum;

cleanup:
    gm__gpkg_abort(gpkg_restr);
    gm__gpkg_abort(gpkg_share);
    gm__journeys_free(jrn);
    gm__ranking_free(rank);
    gm__free(in_area);
    gm__coverage_free(ctx, cov);
    gm__travel_free(travel);
    gm__rejlist_free(&travel_warn);
    gm__rejlist_free(&pcskips);
    gm_inputs_free(in);
    gm_pcdir_free(dir);
    return st;
}
