/*
 * Rutland, the real county the real-data tests run on (../shared/data/rutland,
 * skipped when absent): the customers and providers files they feed gapmap,
 * matrix.csv read back against them, and GDAL/GEOS readers for the layers.
 *
 * Customers sit at Code-Point Open postcodes (every stride-th row, the first
 * count of them), with needs and services varied by index; providers are the
 * 21 social care providers NHS Choices listed in and around Rutland in 2014,
 * at their own lon/lat (coords_crs = EPSG:4326), with services, needs and
 * places varied by index so that some sites do not suit some customers and
 * places run out.  The test keeps its own copy of who needs and offers what
 * (gmr_* bits below, not gapmap's), so its checks do not trust gapmap's
 * vocabulary or matching.
 *
 * Helpers fail the calling Criterion test on error; gmr_shared_or_skip skips it.
 */
#ifndef GM_TEST_RUTLAND_H
#define GM_TEST_RUTLAND_H

#include <geos_c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "io/table.h"

#define GMR_PBF "rutland/rutland-latest.osm.pbf"
#define GMR_SHP "rutland/rutland-latest-free.shp.zip"
#define GMR_POSTCODES "rutland/postcodes_codepoint2014.csv"
#define GMR_PROVIDERS "rutland/social_care_providers_2014.csv"
#define GMR_LSOA "rutland/lsoa2011.geojson"
#define GMR_MAXSITES 64

/* Needs and services as this test writes them (docs/inputs.md vocabulary). */
enum {
    GMR_N_LEARNING_DISABILITY = 1 << 0, GMR_N_AUTISM = 1 << 1, GMR_N_DEMENTIA = 1 << 2,
    GMR_N_PHYSICAL = 1 << 3, GMR_N_SENSORY = 1 << 4, GMR_N_MENTAL_HEALTH = 1 << 5,
    GMR_N_OLDER_PEOPLE = 1 << 6, GMR_N_ALL = (1 << 7) - 1
};
enum { GMR_S_ONE_TO_ONE = 1 << 0, GMR_S_SMALL_GROUP = 1 << 1, GMR_S_BUILDING_BASED = 1 << 2,
       GMR_S_SKILLS_TRAINING = 1 << 3 };

/* The modes the real-data tests compute, in matrix.csv's order. */
enum { GMR_CAR = 0, GMR_WALK = 1, GMR_NMODES = 2 };
extern const char *const gmr_mode_names[GMR_NMODES];

typedef struct gmr_point {
    char id[24];
    double x, y;         /* EPSG:27700: Code-Point's own grid reference, or the site's lon/lat put through PROJ */
    uint32_t needs;      /* GMR_N_* */
    uint32_t services;   /* GMR_S_* */
    int places;          /* sites: places_per_day */
} gmr_point;

typedef struct gmr_inputs {
    char dir[4096];      /* holds customers.csv and providers.csv */
    gmr_point *cust;     /* ncust, owned: gmr_inputs_free */
    size_t ncust;
    gmr_point site[GMR_MAXSITES];
    size_t nsite;
    double proj_worst_m; /* PROJ vs Code-Point's own lon/lat, worst over every postcode */
    long postcode_rows;
} gmr_inputs;

/* The path of a real data file (copied into buf), or skip the test naming it. */
const char *gmr_shared_or_skip(const char *rel, char *buf, size_t size);

/* Write dir/customers.csv (count customers at every stride-th postcode) and
 * dir/providers.csv, and fill in.  A file whose text is unchanged is left
 * untouched (same modification time), so gmt_run_cached can reuse a run. */
void gmr_make_inputs(gmr_inputs *in, const char *dir, size_t stride, size_t count);
void gmr_inputs_free(gmr_inputs *in);

/* Replace dir/name with text unless it already holds exactly that. */
void gmr_write_if_changed(const char *dir, const char *name, const char *text);

/* A CSV opened with gapmap's table reader (fails the test when it cannot
 * be), and the index of a column it must have. */
gm__table *gmr_csv_open(gm_ctx *ctx, const char *path);
size_t gmr_csv_col(const gm__table *t, const char *name, const char *path);

/* Whether site s suits customer c: it offers one of c's services and
 * supports every one of c's needs (docs/coverage.md). */
bool gmr_suits(const gmr_point *site, const gmr_point *cust);

/* matrix.csv read back: per customer, site and mode, in gmr_inputs order. */
typedef struct gmr_matrix {
    size_t ncust, nsite;
    double *time_s;      /* INFINITY when blank (beyond the cut-off) */
    double *dist_m;      /* NAN when the time is blank */
    double *join_m;      /* the customer's join leg; NAN when blank */
    long rows;
} gmr_matrix;

/* Read path (matrix.csv), checking it has every customer, site and mode once. */
gmr_matrix *gmr_matrix_read(const gmr_inputs *in, const char *path);
void gmr_matrix_free(gmr_matrix *m);

static inline size_t gmr_mx(const gmr_matrix *m, size_t c, size_t s, int mode)
{
    return (c * m->nsite + s) * GMR_NMODES + (size_t)mode;
}

/* ---- layers read with GDAL into GEOS ------------------------------------- */

typedef struct gmr_feature {
    char **attr;         /* the fields asked for, as text */
    GEOSGeometry *geom;  /* in the layer's CRS; NULL for a null geometry */
} gmr_feature;

/* Every feature of path's first layer with the text of nattr fields,
 * optionally transformed to EPSG:to_epsg first (0: as stored). */
gmr_feature *gmr_layer_read(GEOSContextHandle_t h, const char *path, const char *const *attr, size_t nattr,
                            int to_epsg, size_t *n);
void gmr_layer_free(GEOSContextHandle_t h, gmr_feature *f, size_t n, size_t nattr);

#endif
