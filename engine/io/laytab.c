/* One row function, a layer and a CSV: see laytab.h. */
#include "laytab.h"

#include "../geo/geoctx.h"
#include "csvout.h"

#include <geos_c.h>
#include <stdio.h>

gm_status gm__laytab_write(gm_ctx *ctx, const char *dir, unsigned formats, const gm__laytab *t)
{
    if (t->nfields > GM__LAYTAB_MAX_FIELDS)
        return gm__err(ctx, GM_E_ARG, "%s: %zu fields, at most %d", t->name, t->nfields, GM__LAYTAB_MAX_FIELDS);
    gm__layer_def def = {t->name, t->geom, t->nfields, t->fields, t->title};
    /* A CSV-only table goes into the GeoPackage, when asked, as rows alone. */
    bool rows_only = !t->layer && t->gpkg_table && (formats & GM__FMT_GPKG);
    if (rows_only)
        def.geom = GM__GT_NONE;
    gm__vwriter *vw = NULL;
    gm__csvout *cw = NULL;
    gm__value values[GM__LAYTAB_MAX_FIELDS];
    const char *cells[GM__LAYTAB_MAX_FIELDS], *head[GM__LAYTAB_MAX_FIELDS];
    char buf[GM__LAYTAB_MAX_FIELDS][48];
    GEOSContextHandle_t h = gm__geos(ctx);
    char *path = gm__asprintf("%s/%s.csv", dir, t->name);
    if (!path)
        return gm__err(ctx, GM_E_NOMEM, "out of memory writing %s", t->name);
    gm_status st = t->layer     ? gm__vwriter_open(ctx, dir, &def, formats, &vw)
                   : rows_only ? gm__vwriter_open(ctx, dir, &def, GM__FMT_GPKG, &vw)
                               : GM_OK;
    if (st == GM_OK)
        st = gm__csvout_open(ctx, path, &cw);
    gm__free(path);
    for (size_t f = 0; f < t->nfields; f++)
        head[f] = t->fields[f].name;
    if (st == GM_OK)
        st = gm__csvout_row(cw, head, t->nfields);
    for (size_t i = 0; st == GM_OK && i < t->nrows; i++) {
        void *owned = NULL;
        const void *g = NULL;
        if ((st = t->row(t->arg, i, values, &g, &owned)) != GM_OK) {
            if (owned && h)
                GEOSGeom_destroy_r(h, owned);
            break;
        }
        for (size_t f = 0; f < t->nfields; f++) {
            const gm__field_def *fd = &t->fields[f];
            if (gm__value_is_null(fd->type, &values[f]))
                cells[f] = t->people && t->people[f] ? "*" : "";
            else if (fd->type == GM__FT_STRING)
                cells[f] = values[f].s;
            else if (fd->type == GM__FT_INT)
                snprintf(buf[f], sizeof buf[f], "%lld", (long long)values[f].i), cells[f] = buf[f];
            else
                cells[f] = gm__fmt_fixed(buf[f], sizeof buf[f], values[f].d, fd->precision);
        }
        st = gm__csvout_row(cw, cells, t->nfields);
        if (st == GM_OK && vw) /* no geometry: a null one keeps the row */
            st = gm__vwriter_add_geos(vw, values, t->layer ? g : NULL);
        if (owned && h)
            GEOSGeom_destroy_r(h, owned);
    }
    if (st == GM_OK && vw) {
        st = gm__vwriter_close(vw);
        vw = NULL;
    }
    if (st == GM_OK) {
        st = gm__csvout_close(cw);
        cw = NULL;
    }
    if (st == GM_OK && t->layer && t->style) {
        gm__qml_style style = *t->style;
        style.layer = &def;
        st = gm__qml_write(ctx, dir, t->name, &style);
    }
    gm__vwriter_abort(vw);
    gm__csvout_abort(cw);
    return st;
}
