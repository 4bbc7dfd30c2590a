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

#include <errno.h>
#include <stdio.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>

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

/* The files a layer produces in the given formats, in a fixed order. */
static size_t layer_files(const char *layer, unsigned formats, char names[][64], size_t n)
{
    static const char *const shp_ext[] = {"shp", "shx", "dbf", "prj", "cpg"};
    if (formats & GM__FMT_GEOJSON)
        snprintf(names[n++], 64, "%s.geojson", layer);
    if (formats & GM__FMT_SHAPEFILE) {
        for (size_t i = 0; i < 5; i++)
            snprintf(names[n++], 64, "%s.%s", layer, shp_ext[i]);
    }
    return n;
}

/* The county boundary as a base layer, and gapmap.qgs: a QGIS project that
 * opens every layer this run wrote (those in names), styled, listed as they
 * draw, the first on top: sites and people, then areas, the outline last.
 * Layers with a row per customer are restricted personal data, so they start
 * unchecked, as do the catchments, coverage and partition, whose overlapping
 * polygons (one set per mode) hide what lies under them: the first view is
 * providers, gaps and zones on the county. */
static gm_status write_qgis_project(gm_ctx *ctx, const gm_config *cfg, char names[][64], size_t *nout)
{
    static const gm__qgs_layer all[] = {
        {"providers", "Provider sites", "Providers", true},
        {"ranking", "Ranked sites per customer (restricted)", "Providers", false},
        {"customers", "Customers (restricted)", "People", false},
        {"journeys", "Current journeys (restricted)", "People", false},
        {"gaps", "Gap areas (ranked)", "Gaps", true},
        {"zones", "Zones (underserved in red)", "Gaps", true},
        {"coverage", "Coverage by service and travel time", "Access", false},
        {"partition", "Nearest site areas", "Access", false},
        {"catchments", "Catchments (travel time bands)", "Access", false},
        {"boundary", "County boundary", "Base", true},
    };
    const size_t nall = sizeof all / sizeof *all;
    gm__qgs_layer use[sizeof all / sizeof *all];
    size_t nuse = 0;
    const char *ext = (cfg->formats & GM__FMT_GEOJSON) ? "geojson" : "shp";
    for (size_t k = 0; k + 1 < nall; k++) {
        char file[64];
        snprintf(file, sizeof file, "%s.%s", all[k].stem, ext);
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
        if ((st = gm__qgsproj_write_boundary(ctx, cfg->output, cfg->formats, cfg->area.boundary,
                                             cfg->area.boundary_layer)) != GM_OK)
            return st;
        *nout = layer_files("boundary", cfg->formats, names, *nout);
        snprintf(names[(*nout)++], 64, "boundary.qml");
        use[nuse++] = all[nall - 1];
    }
    gm__log(ctx, GM_LOG_INFO, "Writing the QGIS project %s/gapmap.qgs", cfg->output);
    if ((st = gm__qgsproj_write(ctx, cfg->output, cfg->name, use, nuse, cfg->formats)) != GM_OK)
        return st;
    snprintf(names[(*nout)++], 64, "gapmap.qgs");
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
    gm__gpkg *gpkg = NULL;
    memset(&jin, 0, sizeof jin);
    memset(&rin, 0, sizeof rin);
    gm_status st;
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
    gm__log(ctx, GM_LOG_INFO, "%llu postcodes loaded (%llu terminated), %llu rows skipped",
            (unsigned long long)sum.postcodes.loaded, (unsigned long long)sum.postcodes.terminated,
            (unsigned long long)(sum.postcodes.rows_read - sum.postcodes.loaded));

    /* 2. Providers and customers, located. */
    if ((st = gm_inputs_load(ctx, cfg, dir, &in)) != GM_OK)
        goto cleanup;
    sum.customers = gm_inputs_customer_counts(in);
    sum.sites = gm_inputs_site_counts(in);
    sum.providers = gm_inputs_provider_count(in);

    /* 3. Networks and the travel matrix. */
    bool travel_on = (stages & GM_STAGE_TRAVEL) && cfg->roads.file;
    if (travel_on && (st = gm__travel_run(ctx, cfg, in, &travel_warn, &travel)) != GM_OK)
        goto cleanup;

    /* 4. Coverage, catchments and gaps. */
    if (travel && (stages & GM_STAGE_COVERAGE) && cfg->coverage.enabled &&
        (st = gm__coverage_run(ctx, cfg, in, dir, travel, &cov)) != GM_OK)
        goto cleanup;

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
        if (want_r && (st = gm__rank_run(ctx, &rin, &rank)) != GM_OK)
            goto cleanup;
    }

    /* 6. Outputs. */
    if ((st = make_dir(ctx, cfg->output)) != GM_OK)
        goto cleanup;
    if ((cfg->formats & GM__FMT_GPKG) && (st = gm__gpkg_begin(ctx, cfg->output, &gpkg)) != GM_OK)
        goto cleanup;
    char names[128][64]; /* every file the run writes: 90 on the sample */
    size_t nout = 0;
    if (stages & GM_STAGE_LAYERS) {
        gm__log(ctx, GM_LOG_INFO, "Writing layers to %s", cfg->output);
        if ((st = gm__write_customer_layer(ctx, cfg->output, cfg->formats, in)) != GM_OK ||
            (st = gm__write_site_layer(ctx, cfg->output, cfg->formats, in)) != GM_OK)
            goto cleanup;
        nout = layer_files("customers", cfg->formats, names, nout);
        snprintf(names[nout++], 64, "customers.qml");
        nout = layer_files("providers", cfg->formats, names, nout);
        snprintf(names[nout++], 64, "providers.qml");
    }
    if (travel) {
        gm__log(ctx, GM_LOG_INFO, "Writing travel times to %s", cfg->output);
        if ((st = gm__travel_write(ctx, cfg->output, cfg, in, travel)) != GM_OK)
            goto cleanup;
        snprintf(names[nout++], 64, "matrix.csv");
        snprintf(names[nout++], 64, "nearest.csv");
        sum.modes = travel->computed;
        for (int tm = 0; tm < GM__TM_COUNT; tm++) {
            sum.matrix_pairs += travel->modes[tm].report.pairs;
            sum.matrix_reached += travel->modes[tm].report.pairs_reached;
        }
    }
    if (cov) {
        gm__log(ctx, GM_LOG_INFO, "Writing coverage, catchments and gaps to %s", cfg->output);
        if ((st = gm__coverage_write(ctx, cfg->output, cfg, in, travel, cov)) != GM_OK)
            goto cleanup;
        static const char *const cl[] = {"catchments", "partition", "coverage", "zones", "gaps"};
        for (size_t k = 0; k < 5; k++) {
            nout = layer_files(cl[k], cfg->formats, names, nout);
            snprintf(names[nout++], 64, "%s.qml", cl[k]);
            snprintf(names[nout++], 64, "%s.csv", cl[k]);
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
    }
    if (jrn && jrn->n == 0)
        gm__log(ctx, GM_LOG_INFO, "No customer has a current placement: no journeys to check");
    if (jrn && jrn->n > 0) {
        if ((st = gm__journeys_write(ctx, cfg->output, &jin, jrn)) != GM_OK)
            goto cleanup;
        nout = layer_files("journeys", cfg->formats, names, nout);
        snprintf(names[nout++], 64, "journeys.qml");
        snprintf(names[nout++], 64, "journeys.csv");
        snprintf(names[nout++], 64, "journeys_review.csv");
        snprintf(names[nout++], 64, "journeys_summary.csv");
        sum.journeys = jrn->n;
        sum.journeys_flagged = jrn->any_flag;
    }
    if (rank) {
        if ((st = gm__rank_write(ctx, cfg->output, &rin, rank)) != GM_OK)
            goto cleanup;
        nout = layer_files("ranking", cfg->formats, names, nout);
        static const char *const rf[] = {"ranking.qml", "ranking.csv", "eligibility.csv", "spend.csv"};
        for (size_t k = 0; k < 4; k++)
            snprintf(names[nout++], 64, "%s", rf[k]);
        if (cfg->ranking.assign != GM__ASSIGN_NONE)
            snprintf(names[nout++], 64, "assignment.csv");
    }
    if ((st = write_qgis_project(ctx, cfg, names, &nout)) != GM_OK)
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
        st = cov ? gm__coverage_summary(ctx, cfg, travel, cov, sdoc) : GM_OK;
        if (st == GM_OK && jrn)
            st = gm__journeys_summary(ctx, &jin, jrn, sdoc);
        if (st == GM_OK && rank)
            st = gm__rank_summary(ctx, &rin, rank, sdoc);
        if (st == GM_OK)
            st = gm__json_write(ctx, cfg->output, "summary.json", sdoc);
        cJSON_Delete(sdoc);
        if (st != GM_OK)
            goto cleanup;
        snprintf(names[nout++], 64, "summary.json");
    }
    size_t nrej;
    const gm_reject *rej = gm_inputs_rejects(in, &nrej);
    const gm_reject *lists[] = {pcskips.items, rej, travel_warn.items};
    size_t counts[] = {pcskips.n, nrej, travel_warn.n};
    if ((st = write_rejects(ctx, cfg->output, lists, counts, 3, &sum)) != GM_OK)
        goto cleanup;
    snprintf(names[nout++], 64, "rejects.csv");
    bool gpkg_out = false; /* every layer is in: publish gapmap.gpkg */
    st = gpkg ? gm__gpkg_commit(gpkg, &gpkg_out) : GM_OK;
    gpkg = NULL;
    if (st != GM_OK)
        goto cleanup;
    if (gpkg_out)
        snprintf(names[nout++], 64, "%s", GM__GPKG_NAME);
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
                                 nout, reports, nreports)) != GM_OK)
        goto cleanup;
    sum.files_written = nout + 1;
    if (summary)
        *summary = sum;

cleanup:
    gm__gpkg_abort(gpkg);
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
