/*
 * Private layout of gm_inputs and the helpers the customer and site loaders
 * share: column resolution against the schema, reject recording, postcode
 * location.  Records point into the arena, which the inputs own.
 */
#ifndef GM_ENGINE_INPUTS_IMPL_H
#define GM_ENGINE_INPUTS_IMPL_H

#include "gapmap/inputs.h"

#include "../core/arena.h"
#include "../io/table.h"
#include "../run/config.h"

/* A list of rejects and warnings; owns its strings. */
typedef struct gm__rejlist {
    gm__arena arena;
    gm_reject *items;
    size_t n, cap;
} gm__rejlist;

/* Record a reject (warning = false) or a warning; strings are copied.  Returns
 * false on allocation failure. */
bool gm__rejlist_add(gm__rejlist *l, const char *file, uint64_t line, const char *id,
                     const char *field, const char *value, bool warning, const char *reason);
void gm__rejlist_free(gm__rejlist *l);

struct gm_inputs {
    gm__arena arena;
    gm_customer *customers;
    size_t ncustomers, cap_customers;
    gm_site *sites;
    size_t nsites, cap_sites;
    gm__rejlist rej;
    gm_input_counts ccount, scount;
    size_t nproviders;
    gm__strmap site_index; /* site_id -> index in sites */
};

/* A schema field: its name (the default column name) and whether required. */
typedef struct gm__field {
    const char *name;
    bool required;
} gm__field;

#define GM__FIELD_MAX 1024
#define GM__ROWS_MAX_FIELDS 32

/* Rows of one input file read against a schema: opens the table, resolves the
 * columns, and yields each row's fields trimmed, counting rows and reporting
 * progress.  The one loop both loaders share. */
typedef struct gm__rows {
    gm__table *t;
    int col[GM__ROWS_MAX_FIELDS];
    size_t nfields;
    const char *label; /* progress label */
} gm__rows;

gm_status gm__rows_open(gm_ctx *ctx, const gm__source_cfg *src, const char *section,
                        const gm__field *fields, size_t n, const char *label, gm__rows *r);
/* Next row into v (one GM__FIELD_MAX buffer per field); bumps *count. */
gm_status gm__rows_next(gm_ctx *ctx, gm__rows *r, char (*v)[GM__FIELD_MAX], uint64_t *count,
                        bool *eof);
void gm__rows_close(gm__rows *r);

/* True when rejects from index first on include a warning (for a row's count). */
bool gm__rows_warned(const gm_inputs *in, size_t first);

/* Find each schema field's column (config mapping first, then the field's own
 * name).  col[i] = -1 for an absent optional field; a missing required one is
 * GM_E_INPUT naming the file, the column and the columns present. */
gm_status gm__resolve_columns(gm_ctx *ctx, const gm__table *t, const char *file,
                              const char *section, const gm__colmap *map, const gm__field *fields,
                              size_t n, int *col);

/* Record a reject or warning about the row, with a formatted reason. */
bool gm__add_reject(gm_inputs *in, const char *file, uint64_t line, const char *id,
                    const char *field, const char *value, bool warning, const char *fmt, ...)
    GM__PRINTF(8, 9);

/* Locate a postcode: on success fills compact, x, y, area and returns true; on
 * failure writes the reason (a full sentence) into why and returns false.
 * *warn is set when the postcode was accepted with a caveat (terminated but
 * allowed): the caveat is then in why. */
bool gm__locate_postcode(const gm_pcdir *dir, bool allow_terminated, const char *raw,
                         char compact[GM_POSTCODE_COMPACT_MAX], double *x, double *y,
                         const char **area, bool *warn, char *why, size_t whysz);

/* The row being checked, for reject and warning records. */
typedef struct gm__row {
    gm_inputs *in;
    const char *file;
    uint64_t line;
    const char *id;
} gm__row;

/* Reject the row (fatal) or warn about it (kept); false only on allocation failure. */
#define GM__REJECT(r, field, value, ...) \
    gm__add_reject((r)->in, (r)->file, (r)->line, (r)->id, field, value, false, __VA_ARGS__)
#define GM__WARN(r, field, value, ...) \
    gm__add_reject((r)->in, (r)->file, (r)->line, (r)->id, field, value, true, __VA_ARGS__)

/* Parse a required list of codes (needs, services).  Returns 1 when it holds at
 * least one known code, 0 when the row was rejected, -1 on allocation failure. */
int gm__required_codes(const gm__row *r, int vocab, const char *field, const char *text,
                       uint32_t *bits);

gm_status gm__load_sites(gm_ctx *ctx, const gm_config *cfg, const gm_pcdir *dir, gm_inputs *in);
gm_status gm__load_customers(gm_ctx *ctx, const gm_config *cfg, const gm_pcdir *dir,
                             gm_inputs *in);

#endif
