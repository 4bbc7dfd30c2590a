/*
 * The configuration's private layout (public handle: gapmap/config.h).  Paths
 * held here are already resolved against the config file's folder.  Column
 * mappings are kept as the user wrote them; engine/inputs resolves them against
 * its schema, so the list of known fields lives in one place.
 */
#ifndef GM_ENGINE_RUN_CONFIG_H
#define GM_ENGINE_RUN_CONFIG_H

#include "gapmap/config.h"

#include "../core/core.h"

typedef struct gm__colmap {
    char **field;   /* schema field name (e.g. "customer_id") */
    char **column;  /* column in the file */
    size_t n, cap;
} gm__colmap;

/* A tabular input: a CSV or any OGR layer. */
typedef struct gm__source_cfg {
    char *file;      /* resolved path, NULL when the section is absent */
    char *file_raw;  /* as written in the config, for the manifest */
    char *layer;     /* OGR layer name or NULL */
    char *encoding;  /* NULL = UTF-8 */
    char *coords_crs; /* CRS of coordinate columns (providers), default EPSG:27700 */
    gm__colmap cols;
} gm__source_cfg;

/* Travel modes a run computes (bit set). */
enum {
    GM__TM_CAR = 1u << 0,
    GM__TM_WALK = 1u << 1,
    GM__TM_WALK_SLOW = 1u << 2, /* walking at the slower speed of people with reduced mobility */
    GM__TM_CYCLE = 1u << 3,
    GM__TM_BUS = 1u << 4,       /* public transport (GTFS) with walking: [transit] */
    GM__TM_COUNT = 5
};
#define GM__TM_BUS_INDEX 4

/* Mode names in GM__TM_* bit order ("car", "walk", "walk_slow", "cycle", "bus"). */
extern const char *const gm__travel_mode_names[GM__TM_COUNT];

#define GM__COVERAGE_MAX_THR 6

/* Customer groups with their own journey goals: the GM_NEED_* bits in order,
 * then people with reduced mobility. */
#define GM__NGROUPS 8
#define GM__GROUP_REDUCED_MOBILITY 7
extern const char *const gm__group_names[GM__NGROUPS];

/* How [ranking] places everyone at once. */
enum { GM__ASSIGN_NONE = 0, GM__ASSIGN_NEED_ORDER, GM__ASSIGN_MIN_COST };

/* Road classes as named in [speeds.*] sections, in gm__road_class order. */
#define GM__NCLASSES 10
extern const char *const gm__class_names[GM__NCLASSES];

struct gm_config {
    char *path;      /* the config file as given */
    char *dir;       /* its folder */
    char *name;
    char *output;    /* resolved output folder */
    unsigned formats; /* GM__FMT_* bits from engine/io/vwriter.h (GM__FMT_GPKG: gapmap.gpkg) */
    int suppress_below;

    struct {
        char *file;
        char *file_raw;
        char *format;       /* "onspd", "codepoint" or "custom" */
        bool header;
        char *col_postcode, *col_x, *col_y, *col_terminated, *col_area;
        char *crs;
        bool allow_terminated;
    } postcodes;

    gm__source_cfg customers;
    gm__source_cfg providers;

    struct {
        char *file;       /* NULL: no travel stage */
        char *file_raw;
    } roads;

    struct {
        unsigned modes;          /* GM__TM_* */
        double cutoff_min;       /* journeys longer than this are not computed */
        double join_max_m;       /* farthest a point may be from a usable road */
        double walk_kmh;         /* walking speed, also of every join leg */
        double slow_walk_kmh;    /* walk_slow mode */
        double cycle_kmh;
        int nearest;             /* sites listed per customer in nearest.csv */
        int threads;             /* 0 = all cores */
        double speed_kmh[3][GM__NCLASSES]; /* [speeds.car|walk|cycle] overrides, NAN = default */
    } travel;

    /* [transit]: the bus mode, from a GTFS timetable with walking. */
    struct {
        char *gtfs, *gtfs_raw;             /* folder or zip; NULL: no bus mode */
        uint32_t date;                     /* service date YYYYMMDD */
        double arrive_by_min;              /* session start, minutes after midnight */
        double window_min, step_min;       /* deadlines arrive_by - window .. arrive_by */
        int max_transfers;
        double access_max_m, transfer_max_m, stop_join_max_m;
        int walk_mode;                     /* GM__TM_* index of the pace walked: walk or walk_slow */
        char **ct_zones;                   /* zones served by community transport / dial-a-ride */
        size_t nct_zones;
    } transit;

    /* The area analysed: what is "in area", and the zones figures are given for. */
    struct {
        char *boundary, *boundary_raw;     /* OGR polygons; NULL: the extent of the postcodes */
        char *boundary_layer;
        char *zones, *zones_raw;           /* OGR polygons; NULL: a hexagon grid */
        char *zones_layer, *zone_id, *zone_name;
        double hex_side_m;                 /* hexagon side when there is no zones file */
    } area;

    /* [coverage]: catchments, coverage figures, access index and gaps. */
    struct {
        bool enabled;                      /* false: the stage is skipped (no [coverage] section) */
        double minutes[GM__TM_COUNT][GM__COVERAGE_MAX_THR]; /* catchment thresholds per mode */
        int nminutes[GM__TM_COUNT];
        double cell_m;                     /* catchment surface resolution */
        int gap_mode;                      /* GM__TM_* index of the mode gaps are judged by */
        double gap_minutes;                /* the threshold a gap is judged by */
        double access_ratio;               /* underserved below this share of the county median index */
        bool nhs_rounding;                 /* suppression: 1-7 withheld, others rounded to 5 */
    } coverage;

    /* [journeys]: each placement's journey against independent-travel goals. */
    struct {
        bool enabled;                      /* default yes when travel runs */
        double goal_min[GM__TM_COUNT];     /* goal per mode, minutes */
        double group_goal_min[GM__NGROUPS][GM__TM_COUNT]; /* [journeys.<group>]; NAN: none */
        unsigned independent;              /* GM__TM_* bits that count as travelling independently */
        double far_extra_min;              /* a suitable site with room this much quicker is flagged */
    } journeys;

    /* [ranking]: the suitable providers of each placement, scored. */
    struct {
        bool enabled;                      /* default yes when travel runs */
        int top;                           /* sites listed per customer */
        double w_time;                     /* points per minute of travel by the person's mode */
        double w_price;                    /* points per GBP 10 a day */
        double w_spot, w_legacy;           /* points for a spot-purchase / legacy site (framework: 0) */
        double w_preference;               /* points taken off for the customer's stated choice */
        double w_continuity;               /* points taken off for the current site */
        bool allow_out_of_area;            /* sites outside [area] boundary are eligible */
        int assign;                        /* GM__ASSIGN_* */
    } ranking;
};

/* Look up the file column mapped to a schema field, or NULL if not remapped. */
const char *gm__colmap_get(const gm__colmap *m, const char *field);

#endif
