/*
 * gapmap/inputs.h: customers and provider sites, validated and located.
 *
 * Loading reads the customers and providers files named by a gm_config, checks
 * every row against the schema in docs/inputs.md, locates it (postcode lookup in
 * a gm_pcdir, or coordinates) and keeps it, or lists it in the rejects with
 * file, line, field, value and reason.  Counts reconcile: for each file,
 * rows = located + rejected.  Warnings (e.g. a current placement naming an
 * unknown site) keep the row and drop only the faulty field.
 *
 * Customer records hold the pseudonymous id only: gapmap never reads a name.
 */
#ifndef GAPMAP_INPUTS_H
#define GAPMAP_INPUTS_H

#include "gapmap/config.h"
#include "gapmap/core.h"
#include "gapmap/geocode.h"

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Needs a person has or a site supports (bit set). */
enum {
    GM_NEED_LEARNING_DISABILITY = 1u << 0,
    GM_NEED_AUTISM = 1u << 1,
    GM_NEED_DEMENTIA = 1u << 2,
    GM_NEED_PHYSICAL = 1u << 3,
    GM_NEED_SENSORY = 1u << 4,
    GM_NEED_MENTAL_HEALTH = 1u << 5,
    GM_NEED_OLDER_PEOPLE = 1u << 6,
    GM_NEED_COUNT = 7
};

/** Service types (framework lots) a person needs or a site offers (bit set). */
enum {
    GM_SERVICE_ONE_TO_ONE = 1u << 0,
    GM_SERVICE_SMALL_GROUP = 1u << 1,
    GM_SERVICE_BUILDING_BASED = 1u << 2,
    GM_SERVICE_SKILLS_TRAINING = 1u << 3,
    GM_SERVICE_COUNT = 4
};

/** Days of the week (bit set): bit 0 is Monday. */
enum { GM_DAYS_WEEKDAYS = 0x1f, GM_DAYS_ALL = 0x7f };

typedef enum gm_transport {
    GM_TRANSPORT_UNKNOWN = 0,
    GM_TRANSPORT_SPECIALIST,     /**< council-paid specialist transport */
    GM_TRANSPORT_INDEPENDENT,    /**< travels alone */
    GM_TRANSPORT_TRAVEL_TRAINED, /**< in or through travel training */
    GM_TRANSPORT_FAMILY          /**< family or carer drives */
} gm_transport;

typedef enum gm_mobility { GM_MOBILITY_STANDARD = 0, GM_MOBILITY_REDUCED } gm_mobility;

typedef enum gm_funding {
    GM_FUNDING_UNKNOWN = 0,
    GM_FUNDING_FRAMEWORK,
    GM_FUNDING_SPOT,
    GM_FUNDING_DIRECT_PAYMENT
} gm_funding;

typedef enum gm_framework_status {
    GM_STATUS_FRAMEWORK = 0,
    GM_STATUS_SPOT,
    GM_STATUS_LEGACY
} gm_framework_status;

/** How a record was located. */
typedef enum gm_located_by { GM_LOCATED_POSTCODE = 0, GM_LOCATED_COORDS } gm_located_by;

/** One customer (a person with, or waiting for, a day-opportunity placement). */
typedef struct gm_customer {
    const char *id;             /**< pseudonymous id */
    char postcode[GM_POSTCODE_COMPACT_MAX]; /**< compact form */
    double easting_m, northing_m; /**< postcode centroid, working CRS */
    const char *area;           /**< small-area code from the directory, or "" */
    uint32_t needs;             /**< GM_NEED_* bits (at least one) */
    uint32_t service;           /**< GM_SERVICE_* bits (at least one) */
    const char *age_band;       /**< e.g. "65-74", or "" */
    int32_t current_site;       /**< index into gm_inputs sites, or -1 */
    int32_t preferred_site;     /**< index into gm_inputs sites, or -1 */
    uint8_t days;               /**< days attended (bit 0 = Monday), 0 if not given */
    gm_transport transport;
    gm_mobility mobility;
    gm_funding funding;
    double weekly_cost;         /**< GBP per week, or NAN when not given */
    uint64_t line;              /**< line (or feature) in the customers file */
} gm_customer;

/** One provider site. */
typedef struct gm_site {
    const char *site_id;
    const char *site_name;      /**< or "" */
    const char *provider_id;
    const char *provider_name;
    char postcode[GM_POSTCODE_COMPACT_MAX]; /**< compact form, "" when located by coordinates */
    double easting_m, northing_m;
    gm_located_by located_by;
    uint32_t services;          /**< GM_SERVICE_* bits */
    uint32_t needs;             /**< GM_NEED_* bits supported */
    int32_t places_per_day;
    int32_t places_used;        /**< -1 when not given */
    double price_per_day;       /**< GBP, or NAN */
    gm_framework_status status;
    uint8_t open_days;          /**< bit 0 = Monday; Monday-Friday when not given */
    bool virtual_support;
    uint64_t line;
} gm_site;

/** One rejected row, or a warning about a kept row. */
typedef struct gm_reject {
    const char *file;     /**< the input file as named in the config */
    uint64_t line;        /**< line (CSV) or feature number, 0 for file-level problems */
    const char *record_id; /**< the row's id when it has one, else "" */
    const char *field;    /**< the field at fault, or "" */
    const char *value;    /**< the offending value as read, or "" */
    const char *reason;   /**< a sentence saying what is wrong and what to do */
    bool warning;         /**< true: the row was kept without this field */
} gm_reject;

/** Row counts for one input file. */
typedef struct gm_input_counts {
    uint64_t rows;       /**< data rows read */
    uint64_t located;    /**< rows kept, with a location */
    uint64_t rejected;   /**< rows listed as rejects (rows = located + rejected) */
    uint64_t warnings;   /**< kept rows with a warning */
} gm_input_counts;

/** The loaded inputs. Owns every string its records point to. */
typedef struct gm_inputs gm_inputs;

/**
 * Load and locate customers and providers.  Providers load first, so that a
 * customer's current and preferred sites can be checked.
 * @param ctx context for errors and progress.
 * @param cfg the configuration (borrowed).
 * @param dir the postcode directory (borrowed; must outlive the call only).
 * @param out receives the inputs, owned by the caller (gm_inputs_free).
 * @return GM_OK (bad rows are rejects, not errors); GM_E_NOT_FOUND/GM_E_IO for an
 *         unreadable file; GM_E_INPUT when a file is unusable as a whole (a required
 *         column is missing, broken CSV); GM_E_NOMEM; GM_E_CANCELLED.
 */
GM_API gm_status gm_inputs_load(gm_ctx *ctx, const gm_config *cfg, const gm_pcdir *dir,
                                gm_inputs **out);

/** Free loaded inputs.  NULL is a no-op. */
GM_API void gm_inputs_free(gm_inputs *in);

/** @return the customers array (owned by in) and its length in *n. */
GM_API const gm_customer *gm_inputs_customers(const gm_inputs *in, size_t *n);

/** @return the sites array (owned by in) and its length in *n. */
GM_API const gm_site *gm_inputs_sites(const gm_inputs *in, size_t *n);

/** @return the rejects and warnings, in file then line order, length in *n. */
GM_API const gm_reject *gm_inputs_rejects(const gm_inputs *in, size_t *n);

/** @return counts for the customers file. */
GM_API gm_input_counts gm_inputs_customer_counts(const gm_inputs *in);

/** @return counts for the providers file (rows are sites). */
GM_API gm_input_counts gm_inputs_site_counts(const gm_inputs *in);

/** @return the number of distinct providers among the located sites. */
GM_API size_t gm_inputs_provider_count(const gm_inputs *in);

/**
 * Text of a bit set as its codes separated by ';' ("learning_disability;autism").
 * @param kind 'n' for needs, 's' for services, 'd' for days.
 * @param out buffer; the text is cut to fit.
 */
GM_API void gm_codes_text(char kind, uint32_t bits, char *out, size_t size);

/** @return the code of an enumeration value ("specialist", "framework" ...). */
GM_API const char *gm_transport_code(gm_transport t);
GM_API const char *gm_mobility_code(gm_mobility m);
GM_API const char *gm_funding_code(gm_funding f);
GM_API const char *gm_framework_status_code(gm_framework_status s);

#ifdef __cplusplus
}
#endif
#endif
