/*
 * gapmap/run.h: the batch pipeline driven by a configuration.
 *
 * One pass: read the postcode directory, load and locate customers and
 * providers, build the travel networks and the customer x site matrix when the
 * config names roads, and write the output folder (layers, matrix.csv,
 * nearest.csv, rejects.csv, manifest.json).
 */
#ifndef GAPMAP_RUN_H
#define GAPMAP_RUN_H

#include "gapmap/config.h"
#include "gapmap/core.h"
#include "gapmap/geocode.h"
#include "gapmap/inputs.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Most coverage thresholds a summary lists: 5 modes of up to 6 thresholds. */
#define GM_SUMMARY_MAX_WITHIN 30

/** The share of customers within one catchment threshold. */
typedef struct gm_run_within {
    unsigned mode;  /**< 0 car, 1 walk, 2 walk_slow, 3 cycle, 4 bus */
    double minutes; /**< a catchment threshold of that mode */
    double pct;     /**< customers with a suitable site (any service) within it, % */
} gm_run_within;

/** What a run did, for the closing summary. */
typedef struct gm_run_summary {
    gm_pcdir_stats postcodes;   /**< postcode directory load counts */
    gm_input_counts customers;  /**< customers file */
    gm_input_counts sites;      /**< providers file (one row per site) */
    size_t providers;           /**< distinct providers among located sites */
    uint64_t reject_rows;       /**< rows of rejects.csv marked rejected */
    uint64_t warning_rows;      /**< rows of rejects.csv marked warning */
    size_t files_written;       /**< files in the output folder */
    unsigned modes;             /**< travel modes computed (bit 0 car, 1 walk, 2 walk_slow, 3 cycle) */
    uint64_t matrix_pairs;      /**< customer x site x mode pairs in matrix.csv */
    uint64_t matrix_reached;    /**< of those, journeys found within the cut-off */
    bool coverage;              /**< the coverage stage ran */
    size_t zones;               /**< zones the coverage figures are given for */
    size_t underserved_zones;   /**< of those, underserved */
    size_t gap_areas;           /**< underserved zones merged into ranked gap areas */
    double gap_minutes;         /**< the threshold gaps are judged by ... */
    unsigned gap_mode;          /**< ... in this mode (0 car, 1 walk, 2 walk_slow, 3 cycle) */
    double pct_customers_within; /**< customers with a suitable site within it, % */
    size_t nwithin;             /**< entries in within[] */
    gm_run_within within[GM_SUMMARY_MAX_WITHIN]; /**< coverage at each threshold, by mode then minutes */
    size_t journeys;            /**< placements checked against the journey goals */
    size_t journeys_flagged;    /**< of those, with at least one flag */
} gm_run_summary;

/** Stages of a run, for gm_run_stages(). */
enum {
    GM_STAGE_LAYERS = 1u << 0, /**< customers and providers layers */
    GM_STAGE_TRAVEL = 1u << 1, /**< networks and the travel matrix (needs [roads]) */
    GM_STAGE_COVERAGE = 1u << 2, /**< catchments, coverage, zones, gaps (needs [coverage] and travel) */
    GM_STAGE_JOURNEYS = 1u << 3, /**< each placement's journey against the goals (needs travel) */
    GM_STAGE_RANK = 1u << 4,     /**< ranked shortlist, assignment and spend (needs travel) */
    GM_STAGE_ALL = 0xffu
};

/**
 * Run the pipeline.  Creates the output folder if needed.  Bad rows are not
 * errors: they go to rejects.csv and the counts.
 * @param ctx context for errors, progress and log.
 * @param cfg the configuration (borrowed).
 * @param summary receives the counts (may be NULL).
 * @return GM_OK; GM_E_NOT_FOUND/GM_E_IO for unreadable inputs or an unwritable
 *         output folder; GM_E_INPUT for an unusable input file; GM_E_CONFIG;
 *         GM_E_CRS; GM_E_GDAL; GM_E_NOMEM; GM_E_CANCELLED.
 */
GM_API gm_status gm_run(gm_ctx *ctx, const gm_config *cfg, gm_run_summary *summary);

/**
 * Run some stages only (inputs are always read and rejects and the manifest
 * always written).  gm_run() is gm_run_stages(..., GM_STAGE_ALL, ...).
 * @return as gm_run(); GM_E_CONFIG when GM_STAGE_TRAVEL is asked for alone and
 *         the config has no [roads] file.
 */
GM_API gm_status gm_run_stages(gm_ctx *ctx, const gm_config *cfg, unsigned stages,
                               gm_run_summary *summary);

#ifdef __cplusplus
}
#endif
#endif
