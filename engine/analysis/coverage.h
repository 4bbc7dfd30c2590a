/*
 * Coverage, catchments and gaps: where customers live against the services
 * that suit them, built on the travel stage's networks and matrices.
 *
 * Surfaces: the area is covered by a grid of cells (config cell_m); each
 * cell's centre joins each mode's network like a customer would, and its
 * time to every site is a matrix row.  A catchment (site, mode, threshold) is
 * the polygon of the cells within the threshold (GDALPolygonize through
 * engine/geo/surface): it follows the roads and leaves out land no road
 * serves (no convex hulls).  The nearest-site partition labels each reached
 * cell with its fastest site; coverage per service is the cells within the
 * threshold of at least one site offering the service.
 *
 * Demand: customers (needs, service) and every live postcode in the boundary
 * (the potential demand).  A site is suitable for a customer when it offers
 * one of the customer's services and supports all of the customer's needs.
 *
 * Zones (config polygons, or hexagons over the boundary) get the Department
 * for Transport's journey time statistics measures, a two-step floating
 * catchment access index (docs/coverage.md) and the capacity-aware unmet
 * demand; underserved zones are merged into ranked gap areas.
 */
#ifndef GM_ENGINE_ANALYSIS_COVERAGE_H
#define GM_ENGINE_ANALYSIS_COVERAGE_H

#include "../geo/surface.h"
#include "../io/vwriter.h"
#include "../run/travel.h"

#include <cjson/cJSON.h>

#define GM__DFT_NTHR 4   /* 15, 30, 45, 60 minutes */
#define GM__NSERVICE 5   /* any, then the GM_SERVICE_* bits in order */

extern const double gm__dft_minutes[GM__DFT_NTHR];
extern const char *const gm__service_names[GM__NSERVICE];

typedef struct gm__catchment {
    uint32_t site;
    int tm;              /* GM__TM_* index */
    double minutes;
    void *geom;          /* GEOSGeometry * MultiPolygon; NULL when nothing is within */
    double area_km2;
    uint32_t postcodes;  /* live postcodes inside the threshold (by their own times) */
} gm__catchment;

typedef struct gm__partpoly {
    uint32_t site;
    int tm;
    void *geom;
    double area_km2;
    uint32_t postcodes;  /* live postcodes whose fastest site this is */
} gm__partpoly;

typedef struct gm__covpoly {
    int service;         /* 0 = any, 1.. = GM_SERVICE_* bit index + 1 */
    int tm;
    double minutes;
    void *geom;          /* may be NULL (nothing covered) */
    double area_km2;
    uint32_t postcodes_in, postcodes;    /* live postcodes in the boundary covered / all */
    uint32_t customers_in, customers;    /* customers of the service with a suitable site within / all */
} gm__covpoly;

typedef struct gm__zone {
    char *id, *name;
    void *geom;
    double area_km2;
    uint32_t customers, postcodes;
    double cust_near_min[GM__TM_COUNT];  /* mean over customers of the nearest suitable site; NaN: none */
    double pc_near_min[GM__TM_COUNT];    /* mean over postcodes of the nearest site; NaN: none */
    uint32_t cust_within[GM__DFT_NTHR];  /* gap mode: customers with a suitable site within 15/30/45/60 */
    double sites_within[GM__DFT_NTHR];   /* gap mode: mean over postcodes of sites within, capped at 10 */
    double access;                       /* 2SFCA, places per 100 customers; NaN: no postcodes */
    uint32_t demand_out;                 /* demand units with no suitable site within the gap threshold */
    uint32_t unmet;                      /* customers who cannot be placed within it once places count */
    double excess_min;                   /* mean over demand of time beyond the gap threshold */
    bool underserved;
    bool community_transport;            /* [transit] community_transport_zones lists it */
    char reason[200];
    int gap;                             /* index into gaps, or -1 */
} gm__zone;

typedef struct gm__gap {
    void *geom;
    int rank;                            /* 1 = worst */
    char id[16];
    uint32_t nzones, customers, postcodes, demand_out, unmet;
    double excess_min, score;
    char zones[256];                     /* zone ids, ", " separated (truncated with "...") */
    char nearest[256];                   /* nearest existing sites (names and times) */
    char reasons[200];
} gm__gap;

typedef struct gm__coverage {
    gm__grid grid;
    void *boundary;                      /* GEOSGeometry *, working CRS */
    gm__catchment *catch;
    size_t ncatch;
    gm__partpoly *part;
    size_t npart;
    gm__covpoly *cov;
    size_t ncov;
    gm__zone *zones;
    size_t nzones;
    bool hex_zones;
    gm__gap *gaps;
    size_t ngaps;
    double median_access;
    uint32_t postcodes_in_area, customers;
    uint32_t unmet_total;                /* capacity-aware unmet demand, whole county */
    /* County DfT measures per mode, over customers and their suitable sites. */
    uint32_t county_within[GM__TM_COUNT][GM__DFT_NTHR];
    double county_mean_near_min[GM__TM_COUNT];  /* over customers with a suitable site in the cut-off */
    uint32_t county_reached[GM__TM_COUNT];      /* customers with a suitable site in the cut-off */
    uint64_t cells, cells_reached[GM__TM_COUNT];
} gm__coverage;

/* Compute everything for the modes the travel stage computed.  dir is the
 * postcode directory (potential demand).  Errors: GM_E_NOT_FOUND / GM_E_INPUT /
 * GM_E_GDAL / GM_E_CRS (boundary or zones file), GM_E_GEOMETRY, GM_E_NOMEM,
 * GM_E_CANCELLED. */
gm_status gm__coverage_run(gm_ctx *ctx, const gm_config *cfg, const gm_inputs *in, const gm_pcdir *dir,
                           const gm__travel *t, gm__coverage **out);

/* Write the catchments, partition, coverage, zones and gaps layers (with
 * .qml styles) and their CSV tables into dir; counts of people below
 * cfg->suppress_below are withheld. */
gm_status gm__coverage_write(gm_ctx *ctx, const char *dir, const gm_config *cfg, const gm_inputs *in,
                             const gm__travel *t, const gm__coverage *c);

/* Add the county figures as summary["coverage"] (small counts withheld). */
gm_status gm__coverage_summary(gm_ctx *ctx, const gm_config *cfg, const gm__travel *t, const gm__coverage *c,
                               cJSON *summary);

/* Whether a count of people may be shared (0, or at least suppress_below;
 * with NHS rounding, 8 or more, rounded to 5): *out receives what to show. */
bool gm__shareable(const gm_config *cfg, uint32_t v, int64_t *out);

/* The same count as a layer/table value: the shown integer, or null when
 * withheld. */
gm__value gm__people_value(const gm_config *cfg, uint32_t v);

void gm__coverage_free(gm_ctx *ctx, gm__coverage *c);

/* Whether site s suits customer c: it offers one of c's services and
 * supports every one of c's needs. */
bool gm__site_suits(const gm_site *s, const gm_customer *c);

#endif
