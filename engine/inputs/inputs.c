/* gm_inputs: ownership, accessors, and the helpers shared by the customer and
 * site loaders (see inputs_impl.h). */
#include "inputs_impl.h"

#include "fields.h"
#include "vocab.h"

#include <stdio.h>
#include <string.h>

gm_status gm__resolve_columns(gm_ctx *ctx, const gm__table *t, const char *file,
                              const char *section, const gm__colmap *map, const gm__field *fields,
                              size_t n, int *col)
{
    for (size_t i = 0; i < n; i++) {
        const char *mapped = gm__colmap_get(map, fields[i].name);
        const char *name = mapped ? mapped : fields[i].name;
        col[i] = gm__table_find(t, name);
        if (col[i] >= 0 || !fields[i].required)
            continue;
        char have[512];
        size_t o = 0;
        have[0] = '\0';
        for (size_t c = 0; c < gm__table_ncols(t) && o < sizeof have - 8; c++) {
            int w = snprintf(have + o, sizeof have - o, "%s%s", c ? ", " : "", gm__table_colname(t, c));
            if (w < 0)
                break;
            o += (size_t)w;
        }
        if (o >= sizeof have - 8)
            snprintf(have + sizeof have - 8, 8, ", ...");
        return gm__err(ctx, GM_E_INPUT,
                       "%s: no column '%s' (columns found: %s). Add the column, or name the "
                       "column that holds it in the config: [%s.columns] %s = <column name>",
                       file, name, have, section, fields[i].name);
    }
    for (size_t i = 0; i < map->n; i++) {
        bool known = false;
        for (size_t k = 0; k < n && !known; k++)
            known = !strcmp(map->field[i], fields[k].name);
        if (!known) {
            char list[512];
            size_t o = 0;
            for (size_t k = 0; k < n && o < sizeof list; k++) {
                int w = snprintf(list + o, sizeof list - o, "%s%s", k ? ", " : "", fields[k].name);
                if (w < 0)
                    break;
                o += (size_t)w;
            }
            return gm__err(ctx, GM_E_CONFIG, "[%s.columns] %s: no such field (fields: %s)", section,
                           map->field[i], list);
        }
    }
    return GM_OK;
}

bool gm__rejlist_add(gm__rejlist *l, const char *file, uint64_t line, const char *id,
                     const char *field, const char *value, bool warning, const char *reason)
{
    if (!gm__grow((void **)&l->items, &l->cap, l->n + 1, sizeof *l->items))
        return false;
    gm_reject *r = &l->items[l->n];
    r->file = gm__arena_strdup(&l->arena, file);
    r->line = line;
    r->record_id = gm__arena_strdup(&l->arena, id);
    r->field = gm__arena_strdup(&l->arena, field);
    r->value = gm__arena_strdup(&l->arena, value);
    r->reason = gm__arena_strdup(&l->arena, reason);
    r->warning = warning;
    if (!r->file || !r->record_id || !r->field || !r->value || !r->reason)
        return false;
    l->n++;
    return true;
}

void gm__rejlist_free(gm__rejlist *l)
{
    gm__arena_free(&l->arena);
    gm__free(l->items);
    memset(l, 0, sizeof *l);
}

bool gm__add_reject(gm_inputs *in, const char *file, uint64_t line, const char *id,
                    const char *field, const char *value, bool warning, const char *fmt, ...)
{
    char reason[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    return gm__rejlist_add(&in->rej, file, line, id, field, value, warning, reason);
}

bool gm__locate_postcode(const gm_pcdir *dir, bool allow_terminated, const char *raw,
                         char compact[GM_POSTCODE_COMPACT_MAX], double *x, double *y,
                         const char **area, bool *warn, char *why, size_t whysz)
{
    *warn = false;
    gm_postcode_check chk = gm_postcode_normalise(raw, compact);
    char suggestion[GM_POSTCODE_COMPACT_MAX];
    char disp[GM_POSTCODE_DISPLAY_MAX];
    if (chk != GM_POSTCODE_OK) {
        if (chk != GM_POSTCODE_EMPTY && gm_pcdir_suggest(dir, raw, suggestion)) {
            gm_postcode_display(suggestion, disp);
            snprintf(why, whysz,
                     "'%s' is not a valid postcode: %s (did you mean %s? check for letter O "
                     "instead of zero, or I instead of one)",
                     raw, gm_postcode_check_str(chk), disp);
        } else {
            snprintf(why, whysz, "'%s' is not a valid postcode: %s", raw, gm_postcode_check_str(chk));
        }
        return false;
    }
    gm_postcode_entry e;
    gm_postcode_display(compact, disp);
    if (!gm_pcdir_lookup(dir, compact, &e)) {
        if (gm_pcdir_suggest(dir, raw, suggestion)) {
            char sdisp[GM_POSTCODE_DISPLAY_MAX];
            gm_postcode_display(suggestion, sdisp);
            snprintf(why, whysz,
                     "postcode %s is not in the postcode directory (did you mean %s? check for "
                     "letter O instead of zero, or I instead of one)",
                     disp, sdisp);
        } else {
            snprintf(why, whysz,
                     "postcode %s is not in the postcode directory (check it against the address; "
                     "a new-build postcode may need a newer directory edition)",
                     disp);
        }
        return false;
    }
    if (e.terminated_yyyymm) {
        int yy = e.terminated_yyyymm / 100, mm = e.terminated_yyyymm % 100;
        if (!allow_terminated) {
            snprintf(why, whysz,
                     "postcode %s was terminated in %04d-%02d: update the address, or set "
                     "allow_terminated = yes in [postcodes] to use its last known location",
                     disp, yy, mm);
            return false;
        }
        snprintf(why, whysz, "postcode %s was terminated in %04d-%02d; its last known location is used",
                 disp, yy, mm);
        *warn = true;
    }
    *x = e.easting_m;
    *y = e.northing_m;
    *area = e.area ? e.area : "";
    return true;
}

gm_status gm__rows_open(gm_ctx *ctx, const gm__source_cfg *src, const char *section,
                        const gm__field *fields, size_t n, const char *label, gm__rows *r)
{
    memset(r, 0, sizeof *r);
    if (n > GM__ROWS_MAX_FIELDS)
        return gm__err(ctx, GM_E_INTERNAL, "%s: schema has too many fields", section);
    r->nfields = n;
    r->label = label;
    gm__table_opts topts;
    gm__table_opts_init(&topts);
    topts.layer = src->layer;
    topts.encoding = src->encoding;
    gm_status st = gm__table_open(ctx, src->file, &topts, &r->t);
    if (st == GM_OK)
        st = gm__resolve_columns(ctx, r->t, src->file_raw, section, &src->cols, fields, n, r->col);
    if (st != GM_OK)
        gm__rows_close(r);
    return st;
}

gm_status gm__rows_next(gm_ctx *ctx, gm__rows *r, char (*v)[GM__FIELD_MAX], uint64_t *count,
                        bool *eof)
{
    gm_status st = gm__table_next(r->t, eof);
    if (st != GM_OK)
        return st;
    if (*eof)
        return gm__progress(ctx, 1, 1, r->label);
    (*count)++;
    if ((*count & 1023) == 0 &&
        (st = gm__progress(ctx, gm__table_progress_done(r->t), gm__table_progress_total(r->t),
                           r->label)) != GM_OK)
        return st;
    for (size_t f = 0; f < r->nfields; f++)
        gm__field_trim(r->t, r->col[f], v[f], GM__FIELD_MAX);
    return GM_OK;
}

void gm__rows_close(gm__rows *r)
{
    gm__table_close(r->t);
    r->t = NULL;
}

bool gm__rows_warned(const gm_inputs *in, size_t first)
{
    for (size_t i = first; i < in->rej.n; i++) {
        if (in->rej.items[i].warning)
            return true;
    }
    return false;
}

int gm__required_codes(const gm__row *r, int vocab, const char *field, const char *text,
                       uint32_t *bits)
{
    char bad[128];
    gm__vocab v = (gm__vocab)vocab;
    bool ok;
    if (!text[0])
        ok = GM__REJECT(r, field, "", "%s is blank (required): use %s", field, gm__vocab_codes(v));
    else if (!gm__vocab_parse(v, text, bits, bad, sizeof bad))
        ok = GM__REJECT(r, field, text, "unknown %s value '%s': use %s", field, bad, gm__vocab_codes(v));
    else if (!*bits)
        ok = GM__REJECT(r, field, text, "%s lists nothing: use %s", field, gm__vocab_codes(v));
    else
        return 1;
    return ok ? 0 : -1;
}

gm_status gm_inputs_load(gm_ctx *ctx, const gm_config *cfg, const gm_pcdir *dir, gm_inputs **out)
{
    gm__err_clear(ctx);
    if (!ctx || !cfg || !dir || !out)
        return gm__err(ctx, GM_E_ARG, "gm_inputs_load: missing argument");
    gm_inputs *in = gm__calloc(1, sizeof *in);
    if (!in)
        return gm__err(ctx, GM_E_NOMEM, "out of memory loading inputs");
    gm_status st = gm__load_sites(ctx, cfg, dir, in);
    if (st == GM_OK)
        st = gm__load_customers(ctx, cfg, dir, in);
    if (st != GM_OK) {
        gm_inputs_free(in);
        return st;
    }
    *out = in;
    return GM_OK;
}

void gm_inputs_free(gm_inputs *in)
{
    if (!in)
        return;
    gm__arena_free(&in->arena);
    gm__strmap_free(&in->site_index);
    gm__free(in->customers);
    gm__free(in->sites);
    gm__rejlist_free(&in->rej);
    gm__free(in);
}

const gm_customer *gm_inputs_customers(const gm_inputs *in, size_t *n)
{
    *n = in->ncustomers;
    return in->customers;
}

const gm_site *gm_inputs_sites(const gm_inputs *in, size_t *n)
{
    *n = in->nsites;
    return in->sites;
}

const gm_reject *gm_inputs_rejects(const gm_inputs *in, size_t *n)
{
    *n = in->rej.n;
    return in->rej.items;
}

gm_input_counts gm_inputs_customer_counts(const gm_inputs *in)
{
    return in->ccount;
}

gm_input_counts gm_inputs_site_counts(const gm_inputs *in)
{
    return in->scount;
}

size_t gm_inputs_provider_count(const gm_inputs *in)
{
    return in->nproviders;
}
