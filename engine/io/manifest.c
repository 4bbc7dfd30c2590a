/* manifest.json with cJSON: see manifest.h. */
#include "manifest.h"

#include "jsonout.h"

#include "../core/hash.h"
#include "vwriter.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <gdal.h>
#include <geos_c.h>
#include <proj.h>
#include <stdio.h>
#include <math.h>
#include <string.h>

static cJSON *counts_json(const gm_input_counts *c)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddNumberToObject(o, "rows", (double)c->rows);
    cJSON_AddNumberToObject(o, "located", (double)c->located);
    cJSON_AddNumberToObject(o, "rejected", (double)c->rejected);
    cJSON_AddNumberToObject(o, "warnings", (double)c->warnings);
    cJSON_AddBoolToObject(o, "reconciled", c->rows == c->located + c->rejected);
    return o;
}

static cJSON *file_json(gm_ctx *ctx, const char *role, const char *shown, const char *path,
                        gm_status *st)
{
    char hex[65];
    uint64_t size = 0;
    if ((*st = gm__sha256_file(ctx, path, hex, &size)) != GM_OK)
        return NULL;
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    if (role)
        cJSON_AddStringToObject(o, "role", role);
    cJSON_AddStringToObject(o, "path", shown);
    cJSON_AddNumberToObject(o, "bytes", (double)size);
    cJSON_AddStringToObject(o, "sha256", hex);
    return o;
}

static cJSON *settings_json(const gm_config *cfg)
{
    cJSON *s = cJSON_CreateObject();
    cJSON *run = cJSON_AddObjectToObject(s, "run");
    cJSON_AddStringToObject(run, "name", cfg->name);
    cJSON *fmts = cJSON_AddArrayToObject(run, "formats");
    if (cfg->formats & GM__FMT_GEOJSON)
        cJSON_AddItemToArray(fmts, cJSON_CreateString("geojson"));
    if (cfg->formats & GM__FMT_SHAPEFILE)
        cJSON_AddItemToArray(fmts, cJSON_CreateString("shapefile"));
    if (cfg->formats & GM__FMT_GPKG)
        cJSON_AddItemToArray(fmts, cJSON_CreateString("gpkg"));
    cJSON_AddNumberToObject(run, "suppress_below", cfg->suppress_below);
    cJSON *pc = cJSON_AddObjectToObject(s, "postcodes");
    cJSON_AddStringToObject(pc, "format", cfg->postcodes.format);
    cJSON_AddBoolToObject(pc, "header", cfg->postcodes.header);
    cJSON_AddStringToObject(pc, "postcode", cfg->postcodes.col_postcode);
    cJSON_AddStringToObject(pc, "x", cfg->postcodes.col_x);
    cJSON_AddStringToObject(pc, "y", cfg->postcodes.col_y);
    cJSON_AddStringToObject(pc, "crs", cfg->postcodes.crs);
    cJSON_AddStringToObject(pc, "terminated", cfg->postcodes.col_terminated ? cfg->postcodes.col_terminated : "");
    cJSON_AddStringToObject(pc, "area", cfg->postcodes.col_area ? cfg->postcodes.col_area : "");
    cJSON_AddBoolToObject(pc, "allow_terminated", cfg->postcodes.allow_terminated);
    const gm__source_cfg *srcs[] = {&cfg->customers, &cfg->providers};
    const char *names[] = {"customers", "providers"};
    for (int i = 0; i < 2; i++) {
        cJSON *o = cJSON_AddObjectToObject(s, names[i]);
        cJSON_AddStringToObject(o, "encoding", srcs[i]->encoding ? srcs[i]->encoding : "UTF-8");
        if (srcs[i]->layer)
            cJSON_AddStringToObject(o, "layer", srcs[i]->layer);
        if (srcs[i]->coords_crs)
            cJSON_AddStringToObject(o, "coords_crs", srcs[i]->coords_crs);
        cJSON *cols = cJSON_AddObjectToObject(o, "columns");
        for (size_t k = 0; k < srcs[i]->cols.n; k++)
            cJSON_AddStringToObject(cols, srcs[i]->cols.field[k], srcs[i]->cols.column[k]);
    }
    return s;
}

gm_status gm__manifest_write(gm_ctx *ctx, const char *outdir, const gm_config *cfg,
                             const gm__mf_file *inputs, size_t ninputs, const gm_run_summary *sum,
                             const char *const *outputs, size_t noutputs,
                             const gm__mode_report *modes, size_t nmodes, const gm__mf_stage *stages,
                             size_t nstages)
{
    gm_status st = GM_OK;
    cJSON *root = cJSON_CreateObject();
    if (!root)
        goto nomem;

    cJSON_AddStringToObject(root, "gapmap_version", gm_version());
    cJSON *libs = cJSON_AddObjectToObject(root, "libraries");
    cJSON_AddStringToObject(libs, "gdal", GDALVersionInfo("RELEASE_NAME"));
    cJSON_AddStringToObject(libs, "geos", GEOSversion());
    cJSON_AddStringToObject(libs, "proj", proj_info().release);
    cJSON_AddItemToObject(root, "settings", settings_json(cfg));

    cJSON *ins = cJSON_AddArrayToObject(root, "inputs");
    for (size_t i = 0; i < ninputs; i++) {
        cJSON *o = file_json(ctx, inputs[i].role, inputs[i].shown, inputs[i].path, &st);
        if (!o)
            goto cleanup;
        cJSON_AddItemToArray(ins, o);
    }

    cJSON *counts = cJSON_AddObjectToObject(root, "counts");
    cJSON *pc = cJSON_AddObjectToObject(counts, "postcode_directory");
    const gm_pcdir_stats *p = &sum->postcodes;
    cJSON_AddNumberToObject(pc, "rows", (double)p->rows_read);
    cJSON_AddNumberToObject(pc, "loaded", (double)p->loaded);
    cJSON_AddNumberToObject(pc, "terminated", (double)p->terminated);
    cJSON_AddNumberToObject(pc, "skipped_bad_postcode", (double)p->skipped_bad_postcode);
    cJSON_AddNumberToObject(pc, "skipped_no_coords", (double)p->skipped_no_coords);
    cJSON_AddNumberToObject(pc, "skipped_duplicate", (double)p->skipped_duplicate);
    cJSON_AddNumberToObject(pc, "skipped_outside_gb", (double)p->skipped_outside_gb);
    cJSON_AddBoolToObject(pc, "reconciled",
                          p->rows_read == p->loaded + p->skipped_bad_postcode + p->skipped_no_coords +
                                              p->skipped_duplicate + p->skipped_outside_gb);
    cJSON_AddItemToObject(counts, "customers", counts_json(&sum->customers));
    cJSON_AddItemToObject(counts, "sites", counts_json(&sum->sites));
    cJSON_AddNumberToObject(counts, "providers", (double)sum->providers);
    cJSON *rj = cJSON_AddObjectToObject(counts, "rejects_csv");
    cJSON_AddNumberToObject(rj, "rejected_rows", (double)sum->reject_rows);
    cJSON_AddNumberToObject(rj, "warning_rows", (double)sum->warning_rows);

    if (nmodes) {
        cJSON *tr = cJSON_AddObjectToObject(root, "travel");
        cJSON_AddNumberToObject(tr, "cutoff_minutes", cfg->travel.cutoff_min);
        cJSON_AddNumberToObject(tr, "join_max_m", cfg->travel.join_max_m);
        for (size_t i = 0; i < nmodes; i++) {
            const gm__mode_report *r = &modes[i];
            cJSON *o = cJSON_AddObjectToObject(tr, r->mode);
            cJSON_AddNumberToObject(o, "nodes_usable", r->graph.nodes_usable);
            cJSON_AddNumberToObject(o, "nodes_kept", r->graph.nodes_kept);
            cJSON_AddNumberToObject(o, "arcs_kept", r->graph.arcs_kept);
            cJSON_AddNumberToObject(o, "components", r->graph.components);
            cJSON_AddNumberToObject(o, "customers_joined", (double)r->customers_joined);
            cJSON_AddNumberToObject(o, "customers_not_joined", (double)r->customers_unjoined);
            cJSON_AddNumberToObject(o, "sites_joined", (double)r->sites_joined);
            cJSON_AddNumberToObject(o, "sites_not_joined", (double)r->sites_unjoined);
            cJSON_AddNumberToObject(o, "pairs", (double)r->pairs);
            cJSON_AddNumberToObject(o, "pairs_reached", (double)r->pairs_reached);
            if (!r->timetable)
                continue;
            /* The timetable's rows reconcile: sound rows kept + issues (rejects.csv). */
            cJSON *tt = cJSON_AddObjectToObject(o, "timetable");
            char date[16];
            snprintf(date, sizeof date, "%04u-%02u-%02u", r->date / 10000, r->date / 100 % 100, r->date % 100);
            cJSON_AddStringToObject(tt, "service_date", date);
            cJSON_AddNumberToObject(tt, "stops", r->stops);
            cJSON_AddNumberToObject(tt, "stops_on_walk_network", r->stops_used);
            cJSON_AddNumberToObject(tt, "stops_too_far_from_a_path", r->stops_far);
            cJSON_AddNumberToObject(tt, "stops_on_cut_off_paths", r->stops_isolated);
            cJSON_AddNumberToObject(tt, "routes", r->routes);
            cJSON_AddNumberToObject(tt, "trips", (double)r->trips);
            cJSON_AddNumberToObject(tt, "stop_times", (double)r->stop_times);
            cJSON_AddNumberToObject(tt, "trips_on_service_date", (double)r->trips_day);
            cJSON_AddNumberToObject(tt, "walks_between_stops", (double)r->footpaths);
            cJSON_AddNumberToObject(tt, "problems_skipped", (double)r->issues);
            cJSON_AddNumberToObject(tt, "arrive_by_minutes", cfg->transit.arrive_by_min);
            cJSON_AddNumberToObject(tt, "window_minutes", cfg->transit.window_min);
            cJSON_AddNumberToObject(tt, "step_minutes", cfg->transit.step_min);
            cJSON_AddNumberToObject(tt, "max_transfers", cfg->transit.max_transfers);
            cJSON_AddNumberToObject(tt, "access_max_m", cfg->transit.access_max_m);
            cJSON_AddNumberToObject(tt, "transfer_max_m", cfg->transit.transfer_max_m);
            cJSON_AddStringToObject(tt, "walk_pace", gm__travel_mode_names[cfg->transit.walk_mode]);
        }
    }

    /* Measured, so they differ from run to run: kept apart from the rest,
     * which a rerun reproduces byte for byte. */
    cJSON *tim = cJSON_AddObjectToObject(root, "timings");
    double wall = 0, cpu = 0;
    cJSON *sts = cJSON_AddArrayToObject(tim, "stages");
    for (size_t i = 0; i < nstages; i++) {
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(sts, o)) {
            cJSON_Delete(o);
            goto nomem;
        }
        cJSON_AddStringToObject(o, "stage", stages[i].name);
        cJSON_AddNumberToObject(o, "wall_s", round(stages[i].wall_s * 1000) / 1000);
        cJSON_AddNumberToObject(o, "cpu_s", round(stages[i].cpu_s * 1000) / 1000);
        cJSON_AddNumberToObject(o, "peak_rss_mb", round(stages[i].peak_rss_mb * 10) / 10);
        cJSON_AddNumberToObject(o, "items", (double)stages[i].items);
        cJSON_AddStringToObject(o, "items_are", stages[i].what);
        wall += stages[i].wall_s;
        cpu += stages[i].cpu_s;
    }
    cJSON_AddNumberToObject(tim, "wall_s", round(wall * 1000) / 1000);
    cJSON_AddNumberToObject(tim, "cpu_s", round(cpu * 1000) / 1000);

    cJSON *outs = cJSON_AddArrayToObject(root, "outputs");
    for (size_t i = 0; i < noutputs; i++) {
        char *op = gm__asprintf("%s/%s", outdir, outputs[i]);
        if (!op)
            goto nomem;
        cJSON *o = file_json(ctx, NULL, outputs[i], op, &st);
        gm__free(op);
        if (!o)
            goto cleanup;
        cJSON_AddItemToArray(outs, o);
    }

    st = gm__json_write(ctx, outdir, "manifest.json", root);
    goto cleanup;

nomem:
    st = gm__err(ctx, GM_E_NOMEM, "out of memory writing manifest.json");
cleanup:
    cJSON_Delete(root);
    return st;
}
