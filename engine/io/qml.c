/*
 * QGIS style files: see qml.h.
 *
 * Every argument is checked before the file is created, so an argument error
 * leaves nothing behind.  The XML follows what QGIS 3.22 itself saves with
 * "Save Style" (Symbology and Labeling only), with two differences that keep
 * it short: options QGIS defaults anyway (data-defined properties, map unit
 * scales, label shadow and background) are left out, and every special
 * character is escaped, including '>' which QGIS leaves bare.  Symbol layer
 * properties are written both as <Option> (read by QGIS >= 3.16) and as
 * <prop> (read by older 3.x), as 3.22 does, so councils still on an older
 * long-term release see the same map.
 */
#include "qml.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* QGIS's own defaults, so that size = 0 draws like a fresh QGIS layer. */
#define GM__QML_MARKER_MM 2.0
#define GM__QML_LINE_MM 0.26
#define GM__QML_OUTLINE_MM 0.26
/* A visible but thin marker outline (QGIS's 0 is a one-pixel hairline). */
#define GM__QML_MARKER_OUTLINE_MM 0.2

static const char *const gtype_word[] = {"point", "line", "polygon"};
static const char *const symbol_type[] = {"marker", "line", "fill"};
static const char *const renderer_type[] = {"singleSymbol", "graduatedSymbol",
                                            "categorizedSymbol"};

/* ---- the palette ---------------------------------------------------------- */

/* ColorBrewer YlGnBu, light to dark, one scheme per class count 3..9
 * (Cynthia Brewer, colorbrewer2.org, Apache 2.0; the same table as QGIS's
 * QgsColorBrewerPalette). */
static const char *const ylgnbu[7][9] = {
    {"#edf8b1", "#7fcdbb", "#2c7fb8"},
    {"#ffffcc", "#a1dab4", "#41b6c4", "#225ea8"},
    {"#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"},
    {"#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8", "#253494"},
    {"#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#0c2c84"},
    {"#ffffd9", "#edf8b1", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#0c2c84"},
    {"#ffffd9", "#edf8b1", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#253494",
     "#081d58"},
};

const char *gm__qml_ramp(size_t i, size_t n)
{
    if (i >= n)
        return NULL;
    size_t k = n - 1 - i; /* the tables run light to dark: k = 0 is the lightest */
    if (n == 1)
        return ylgnbu[0][2];
    if (n == 2)
        return ylgnbu[0][k ? 2 : 0];
    if (n <= 9)
        return ylgnbu[n - 3][k];
    /* round(k * 8 / (n - 1)) in integers */
    return ylgnbu[6][(k * 8 + (n - 1) / 2) / (n - 1)];
}

/* ---- checks ---------------------------------------------------------------- */

static bool parse_color(const char *s, unsigned rgb[3])
{
    if (!s || s[0] != '#' || strlen(s) != 7)
        return false;
    for (int c = 0; c < 3; c++) {
        unsigned v = 0;
        for (int k = 0; k < 2; k++) {
            char ch = s[1 + 2 * c + k];
            unsigned d;
            if (ch >= '0' && ch <= '9')
                d = (unsigned)(ch - '0');
            else if (ch >= 'a' && ch <= 'f')
                d = (unsigned)(ch - 'a' + 10);
            else if (ch >= 'A' && ch <= 'F')
                d = (unsigned)(ch - 'A' + 10);
            else
                return false;
            v = v * 16 + d;
        }
        rgb[c] = v;
    }
    return true;
}

/* Text QGIS can read back: valid UTF-8 (its XML reader stops at a bad byte) and
 * no control characters but tab and line ends (XML 1.0 cannot hold them even
 * as character references). */
static bool xml_text_ok(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p;
        size_t extra;
        unsigned min;
        if (c < 0x80) {
            if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
                return false;
            p++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            extra = 1, min = 0x80, c &= 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            extra = 2, min = 0x800, c &= 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            extra = 3, min = 0x10000, c &= 0x07;
        } else {
            return false;
        }
        for (size_t k = 1; k <= extra; k++) {
            if ((p[k] & 0xc0) != 0x80)
                return false;
            c = (c << 6) | (p[k] & 0x3fu);
        }
        if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
            return false;
        p += extra + 1;
    }
    return true;
}

static gm_status check_color(gm_ctx *ctx, const char *stem, const char *what, const char *color)
{
    unsigned rgb[3];
    if (!parse_color(color, rgb))
        return gm__err(ctx, GM_E_ARG, "style %s: %s colour '%s' is not of the form #rrggbb", stem,
                       what, color ? color : "(null)");
    return GM_OK;
}

static gm_status check_text(gm_ctx *ctx, const char *stem, const char *what, const char *s)
{
    if (!xml_text_ok(s))
        return gm__err(ctx, GM_E_ARG,
                       "style %s: %s is not UTF-8 text (a control character or a byte that is "
                       "not UTF-8: convert the input to UTF-8)",
                       stem, what);
    return GM_OK;
}

static gm_status check_classes(gm_ctx *ctx, const char *stem, const gm__qml_style *st)
{
    gm_status s;
    if (!st->field || !st->field[0])
        return gm__err(ctx, GM_E_ARG, "style %s: a %s style needs a field", stem,
                       st->kind == GM__QML_GRADUATED ? "graduated" : "categorized");
    if ((s = check_text(ctx, stem, "the field name", st->field)) != GM_OK)
        return s;
    if (!st->classes || st->nclasses == 0)
        return gm__err(ctx, GM_E_ARG, "style %s: no classes for field '%s'", stem, st->field);
    for (size_t i = 0; i < st->nclasses; i++) {
        const gm__qml_class *c = &st->classes[i];
        char what[64];
        snprintf(what, sizeof what, "class %zu", i + 1);
        if ((s = check_color(ctx, stem, what, c->color)) != GM_OK)
            return s;
        if (c->label) {
            snprintf(what, sizeof what, "the label of class %zu", i + 1);
            if ((s = check_text(ctx, stem, what, c->label)) != GM_OK)
                return s;
        }
        if (st->kind == GM__QML_GRADUATED) {
            if (!isfinite(c->lo) || !isfinite(c->hi) || !(c->lo < c->hi))
                return gm__err(ctx, GM_E_ARG,
                               "style %s: class %zu range %g..%g is not a finite lo < hi", stem,
                               i + 1, c->lo, c->hi);
            /* QGIS gives a value to the first class that holds it: out of order
             * or overlapping classes would silently take each other's features */
            if (i > 0 && c->lo < st->classes[i - 1].hi)
                return gm__err(ctx, GM_E_ARG,
                               "style %s: class %zu (%g..%g) starts below the end of class %zu "
                               "(%g): list classes in ascending order without overlaps",
                               stem, i + 1, c->lo, c->hi, i, st->classes[i - 1].hi);
        } else {
            if (!c->value)
                return gm__err(ctx, GM_E_ARG, "style %s: class %zu has no value", stem, i + 1);
            snprintf(what, sizeof what, "the value of class %zu", i + 1);
            if ((s = check_text(ctx, stem, what, c->value)) != GM_OK)
                return s;
            for (size_t j = 0; j < i; j++)
                if (strcmp(st->classes[j].value, c->value) == 0)
                    return gm__err(ctx, GM_E_ARG,
                                   "style %s: classes %zu and %zu both have the value '%s' (QGIS "
                                   "would never draw the second)",
                                   stem, j + 1, i + 1, c->value);
        }
    }
    return GM_OK;
}

static gm_status check_style(gm_ctx *ctx, const char *stem, const gm__qml_style *st)
{
    gm_status s;
    if ((unsigned)st->geom > GM__GT_POLYGON)
        return gm__err(ctx, GM_E_ARG, "style %s: unknown geometry type %d", stem, (int)st->geom);
    if ((unsigned)st->kind > GM__QML_CATEGORIZED)
        return gm__err(ctx, GM_E_ARG, "style %s: unknown style kind %d", stem, (int)st->kind);
    if (st->kind == GM__QML_SINGLE) {
        if ((s = check_color(ctx, stem, "the symbol", st->color)) != GM_OK)
            return s;
    } else {
        if ((s = check_classes(ctx, stem, st)) != GM_OK)
            return s;
        if (st->color && (s = check_color(ctx, stem, "the symbol", st->color)) != GM_OK)
            return s;
    }
    if (st->outline && (s = check_color(ctx, stem, "the outline", st->outline)) != GM_OK)
        return s;
    if (!isfinite(st->opacity) || st->opacity < 0 || st->opacity > 1)
        return gm__err(ctx, GM_E_ARG, "style %s: opacity %g is not between 0 and 1", stem,
                       st->opacity);
    if (st->geom == GM__GT_POLYGON && st->opacity == 0 && !st->outline)
        return gm__err(ctx, GM_E_ARG,
                       "style %s: opacity 0 and no outline would draw nothing (set opacity, "
                       "e.g. 0.45, or an outline)",
                       stem);
    if (!isfinite(st->size) || st->size < 0)
        return gm__err(ctx, GM_E_ARG, "style %s: size %g mm is not 0 or more", stem, st->size);
    if (st->label_field) {
        if (!st->label_field[0])
            return gm__err(ctx, GM_E_ARG, "style %s: the label field is empty", stem);
        if ((s = check_text(ctx, stem, "the label field name", st->label_field)) != GM_OK)
            return s;
    }
    return GM_OK;
}

/* ---- field names in both formats ---------------------------------------- */

/* How the style names one field: a plain field name, or an expression. */
typedef struct ref {
    char *text;
    bool is_expr;
} ref;

/* Append s as a QGIS expression string literal ('' for a quote). */
static char *put_sql_string(char *out, const char *s)
{
    *out++ = '\'';
    for (; *s; s++) {
        if (*s == '\'')
            *out++ = '\'';
        *out++ = *s;
    }
    *out++ = '\'';
    return out;
}

static char *fallback_expr(const char *full, const char *fitted)
{
    /* $currentfeature, not @feature: 3.22 has no @feature variable */
    static const char a[] = "coalesce(attribute($currentfeature, ",
                      b[] = "), attribute($currentfeature, ", c[] = "))";
    /* every character may double, plus the quotes */
    size_t cap = sizeof a + sizeof b + sizeof c + 2 * strlen(full) + 2 * strlen(fitted) + 4;
    char *e = gm__malloc(cap), *p = e;
    if (!e)
        return NULL;
    memcpy(p, a, sizeof a - 1), p += sizeof a - 1;
    p = put_sql_string(p, full);
    memcpy(p, b, sizeof b - 1), p += sizeof b - 1;
    p = put_sql_string(p, fitted);
    memcpy(p, c, sizeof c); /* with its terminator */
    return e;
}

/* Resolve name against layer (may be NULL) into *r.  fitted holds the
 * layer's shapefile names. */
static gm_status resolve(gm_ctx *ctx, const char *stem, const gm__layer_def *layer,
                         char (*fitted)[11], const char *name, bool numeric, ref *r)
{
    if (!layer) {
        r->text = gm__strdup(name);
        r->is_expr = false;
        return r->text ? GM_OK : gm__err(ctx, GM_E_NOMEM, "out of memory writing style %s", stem);
    }
    size_t i = 0;
    while (i < layer->nfields && strcmp(layer->fields[i].name, name) != 0)
        i++;
    if (i == layer->nfields)
        return gm__err(ctx, GM_E_ARG,
                       "style %s: layer %s has no field '%s' (QGIS would leave it unstyled)", stem,
                       layer->name, name);
    if (numeric && layer->fields[i].type == GM__FT_STRING)
        return gm__err(ctx, GM_E_ARG,
                       "style %s: field '%s' of layer %s is text; a graduated style needs a "
                       "number field",
                       stem, name, layer->name);
    r->is_expr = strcmp(fitted[i], name) != 0;
    r->text = r->is_expr ? fallback_expr(name, fitted[i]) : gm__strdup(name);
    return r->text ? GM_OK : gm__err(ctx, GM_E_NOMEM, "out of memory writing style %s", stem);
}

static gm_status resolve_fields(gm_ctx *ctx, const char *stem, const gm__qml_style *st,
                                ref *attr, ref *label)
{
    const gm__layer_def *layer = st->layer;
    char (*fitted)[11] = NULL;
    const char **names = NULL;
    gm_status s = GM_OK;
    if (layer) {
        if (layer->geom != st->geom)
            return gm__err(ctx, GM_E_ARG, "style %s is for %ss but layer %s holds %ss", stem,
                           gtype_word[st->geom], layer->name, gtype_word[layer->geom]);
    }
    if (layer && layer->nfields > 0) {
        names = gm__malloc(layer->nfields * sizeof *names);
        fitted = gm__malloc(layer->nfields * sizeof *fitted);
        if (!names || !fitted) {
            s = gm__err(ctx, GM_E_NOMEM, "out of memory writing style %s", stem);
            goto cleanup;
        }
        for (size_t i = 0; i < layer->nfields; i++)
            names[i] = layer->fields[i].name;
        if (!gm__dbf_fit_names(names, layer->nfields, fitted)) {
            s = gm__err(ctx, GM_E_ARG, "style %s: the field names of layer %s cannot be fitted "
                                       "to a shapefile", stem, layer->name);
            goto cleanup;
        }
    }
    if (st->kind != GM__QML_SINGLE &&
        (s = resolve(ctx, stem, layer, fitted, st->field, st->kind == GM__QML_GRADUATED, attr)) !=
            GM_OK)
        goto cleanup;
    if (st->label_field &&
        (s = resolve(ctx, stem, layer, fitted, st->label_field, false, label)) != GM_OK)
        goto cleanup;
cleanup:
    gm__free(names);
    gm__free(fitted);
    return s;
}

/* ---- writing ---------------------------------------------------------------- */

/* XML attribute text: the five specials as entities, and tab and line ends as
 * character references, which an attribute would otherwise turn into spaces. */
static void put_esc(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        case '\t': fputs("&#9;", f); break;
        case '\n': fputs("&#10;", f); break;
        case '\r': fputs("&#13;", f); break;
        default: fputc(*s, f);
        }
    }
}

static void indent(FILE *f, int depth)
{
    for (int i = 0; i < depth; i++)
        fputs("  ", f);
}

/* The shortest of %.15g and %.17g that reads back to v, so 15 is "15" and a
 * boundary QGIS compares against is exactly the caller's double. */
static const char *fmt_num(char buf[32], double v)
{
    snprintf(buf, 32, "%.15g", v);
    if (strtod(buf, NULL) != v)
        snprintf(buf, 32, "%.17g", v);
    return buf;
}

/* QGIS writes colours as "r,g,b,a" with 0..255 channels. */
static const char *fmt_rgba(char buf[24], const char *hex, double opacity)
{
    unsigned rgb[3] = {0, 0, 0};
    parse_color(hex, rgb);
    snprintf(buf, 24, "%u,%u,%u,%ld", rgb[0], rgb[1], rgb[2], lround(opacity * 255));
    return buf;
}

typedef struct kv {
    const char *k, *v;
} kv;

static void write_symbol(FILE *f, int depth, const char *name, const gm__qml_style *st,
                         const char *hex)
{
    char color[24], outline[24], size[32];
    kv p[16];
    size_t n = 0;
    const char *cls;
    bool has_outline = st->outline != NULL;
    if (has_outline)
        fmt_rgba(outline, st->outline, 1);
    switch (st->geom) {
    case GM__GT_POINT:
        cls = "SimpleMarker";
        fmt_rgba(color, hex, 1);
        fmt_num(size, st->size > 0 ? st->size : GM__QML_MARKER_MM);
        p[n++] = (kv){"angle", "0"};
        p[n++] = (kv){"color", color};
        p[n++] = (kv){"horizontal_anchor_point", "1"};
        p[n++] = (kv){"joinstyle", "bevel"};
        p[n++] = (kv){"name", "circle"};
        p[n++] = (kv){"offset", "0,0"};
        p[n++] = (kv){"offset_unit", "MM"};
        p[n++] = (kv){"outline_color", has_outline ? outline : "35,35,35,255"};
        p[n++] = (kv){"outline_style", has_outline ? "solid" : "no"};
        p[n++] = (kv){"outline_width", has_outline ? "0.2" : "0"};
        p[n++] = (kv){"outline_width_unit", "MM"};
        p[n++] = (kv){"scale_method", "diameter"};
        p[n++] = (kv){"size", size};
        p[n++] = (kv){"size_unit", "MM"};
        p[n++] = (kv){"vertical_anchor_point", "1"};
        break;
    case GM__GT_LINE:
        cls = "SimpleLine";
        fmt_rgba(color, hex, 1);
        fmt_num(size, st->size > 0 ? st->size : GM__QML_LINE_MM);
        /* round caps and joins: network links meet at nodes without notches */
        p[n++] = (kv){"capstyle", "round"};
        p[n++] = (kv){"customdash", "5;2"};
        p[n++] = (kv){"customdash_unit", "MM"};
        p[n++] = (kv){"draw_inside_polygon", "0"};
        p[n++] = (kv){"joinstyle", "round"};
        p[n++] = (kv){"line_color", color};
        p[n++] = (kv){"line_style", "solid"};
        p[n++] = (kv){"line_width", size};
        p[n++] = (kv){"line_width_unit", "MM"};
        p[n++] = (kv){"offset", "0"};
        p[n++] = (kv){"offset_unit", "MM"};
        p[n++] = (kv){"use_custom_dash", "0"};
        break;
    default:
        cls = "SimpleFill";
        fmt_rgba(color, hex, st->opacity);
        fmt_num(size, st->size > 0 ? st->size : GM__QML_OUTLINE_MM);
        p[n++] = (kv){"color", color};
        p[n++] = (kv){"joinstyle", "bevel"};
        p[n++] = (kv){"offset", "0,0"};
        p[n++] = (kv){"offset_unit", "MM"};
        p[n++] = (kv){"outline_color", has_outline ? outline : "35,35,35,255"};
        p[n++] = (kv){"outline_style", has_outline ? "solid" : "no"};
        p[n++] = (kv){"outline_width", size};
        p[n++] = (kv){"outline_width_unit", "MM"};
        /* opacity 0: no brush at all rather than a transparent one */
        p[n++] = (kv){"style", st->opacity > 0 ? "solid" : "no"};
        break;
    }
    indent(f, depth);
    fprintf(f,
            "<symbol name=\"%s\" type=\"%s\" alpha=\"1\" clip_to_extent=\"1\" "
            "force_rhr=\"0\">\n",
            name, symbol_type[st->geom]);
    indent(f, depth + 1);
    fprintf(f, "<layer class=\"%s\" pass=\"0\" locked=\"0\" enabled=\"1\">\n", cls);
    indent(f, depth + 2);
    fputs("<Option type=\"Map\">\n", f);
    for (size_t i = 0; i < n; i++) {
        indent(f, depth + 3);
        fprintf(f, "<Option name=\"%s\" value=\"%s\" type=\"QString\"/>\n", p[i].k, p[i].v);
    }
    indent(f, depth + 2);
    fputs("</Option>\n", f);
    for (size_t i = 0; i < n; i++) {
        indent(f, depth + 2);
        fprintf(f, "<prop k=\"%s\" v=\"%s\"/>\n", p[i].k, p[i].v);
    }
    indent(f, depth + 1);
    fputs("</layer>\n", f);
    indent(f, depth);
    fputs("</symbol>\n", f);
}

static void write_renderer(FILE *f, const gm__qml_style *st, const ref *attr)
{
    char lo[32], hi[32], name[24];
    fprintf(f, "  <renderer-v2 type=\"%s\"", renderer_type[st->kind]);
    if (st->kind != GM__QML_SINGLE) {
        fputs(" attr=\"", f);
        put_esc(f, attr->text);
        fputc('"', f);
    }
    if (st->kind == GM__QML_GRADUATED)
        fputs(" graduatedMethod=\"GraduatedColor\"", f);
    fputs(" symbollevels=\"0\" forceraster=\"0\" enableorderby=\"0\" referencescale=\"-1\">\n", f);

    if (st->kind == GM__QML_GRADUATED) {
        fputs("    <ranges>\n", f);
        for (size_t i = 0; i < st->nclasses; i++) {
            const gm__qml_class *c = &st->classes[i];
            fprintf(f, "      <range lower=\"%s\" upper=\"%s\" symbol=\"%zu\" label=\"",
                    fmt_num(lo, c->lo), fmt_num(hi, c->hi), i);
            if (c->label)
                put_esc(f, c->label);
            else
                fprintf(f, "%s - %s", lo, hi);
            fputs("\" render=\"true\"/>\n", f);
        }
        fputs("    </ranges>\n", f);
    } else if (st->kind == GM__QML_CATEGORIZED) {
        fputs("    <categories>\n", f);
        for (size_t i = 0; i < st->nclasses; i++) {
            const gm__qml_class *c = &st->classes[i];
            fputs("      <category value=\"", f);
            put_esc(f, c->value);
            fprintf(f, "\" symbol=\"%zu\" label=\"", i);
            put_esc(f, c->label ? c->label : c->value);
            fputs("\" render=\"true\"/>\n", f);
        }
        fputs("    </categories>\n", f);
    }

    fputs("    <symbols>\n", f);
    if (st->kind == GM__QML_SINGLE) {
        write_symbol(f, 3, "0", st, st->color);
    } else {
        for (size_t i = 0; i < st->nclasses; i++) {
            snprintf(name, sizeof name, "%zu", i);
            write_symbol(f, 3, name, st, st->classes[i].color);
        }
    }
    fputs("    </symbols>\n", f);

    if (st->kind != GM__QML_SINGLE) {
        /* the symbol QGIS's "Classify" button starts from, so a planner who
         * reclassifies keeps the opacity, outline and size */
        fputs("    <source-symbol>\n", f);
        write_symbol(f, 3, "0", st, st->color ? st->color : st->classes[0].color);
        fputs("    </source-symbol>\n", f);
    }
    if (st->kind == GM__QML_GRADUATED) {
        /* "Custom": the breaks are the caller's, not a QGIS classification */
        fputs("    <classificationMethod id=\"Custom\">\n"
              "      <symmetricMode enabled=\"0\" symmetrypoint=\"0\" astride=\"0\"/>\n"
              "      <labelFormat format=\"%1 - %2\" labelprecision=\"0\" "
              "trimtrailingzeroes=\"1\"/>\n"
              "    </classificationMethod>\n",
              f);
    }
    fputs("  </renderer-v2>\n", f);
}

static void write_labeling(FILE *f, const gm__qml_style *st, const ref *label)
{
    /* QgsPalLayerSettings::Placement: 0 around a point, 1 over the centroid,
     * 2 parallel to a line; placementFlags 10 = above the line, map
     * orientation.  centroidInside keeps a concave catchment's label on it. */
    static const char *const placement[] = {
        "placement=\"0\" dist=\"1\" distUnits=\"MM\"",
        "placement=\"2\" placementFlags=\"10\" dist=\"0.5\" distUnits=\"MM\"",
        "placement=\"1\" centroidInside=\"1\" centroidWhole=\"0\"",
    };
    fputs("  <labeling type=\"simple\">\n"
          "    <settings calloutType=\"simple\">\n"
          "      <text-style fieldName=\"",
          f);
    put_esc(f, label->text);
    fprintf(f,
            "\" isExpression=\"%d\" fontSize=\"9\" fontSizeUnit=\"Point\" "
            "textColor=\"50,50,50,255\" textOpacity=\"1\">\n",
            label->is_expr ? 1 : 0);
    /* a white halo keeps labels legible over coloured fills */
    fputs("        <text-buffer bufferDraw=\"1\" bufferSize=\"0.8\" bufferSizeUnits=\"MM\" "
          "bufferColor=\"255,255,255,255\" bufferOpacity=\"1\" bufferNoFill=\"1\" "
          "bufferJoinStyle=\"128\" bufferBlendMode=\"0\"/>\n"
          "      </text-style>\n",
          f);
    fprintf(f, "      <placement %s/>\n", placement[st->geom]);
    fputs("      <rendering drawLabels=\"1\" obstacle=\"1\" obstacleType=\"1\" "
          "displayAll=\"0\" scaleVisibility=\"0\"/>\n"
          "    </settings>\n"
          "  </labeling>\n",
          f);
}

static void write_qml(FILE *f, const gm__qml_style *st, const ref *attr, const ref *label)
{
    /* QGIS saves no XML declaration: the file is UTF-8 by default */
    fputs("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n", f);
    fprintf(f, "<qgis version=\"3.22.0\" styleCategories=\"Symbology|Labeling\" "
               "labelsEnabled=\"%d\">\n",
            st->label_field ? 1 : 0);
    write_renderer(f, st, attr);
    if (st->label_field)
        write_labeling(f, st, label);
    fputs("  <blendMode>0</blendMode>\n"
          "  <featureBlendMode>0</featureBlendMode>\n",
          f);
    /* QGIS refuses a style whose geometry type is not the layer's, so a point
     * style never ends up on catchment polygons.  QgsWkbTypes::GeometryType
     * numbers point, line, polygon 0, 1, 2, as gm__gtype does. */
    fprintf(f, "  <layerGeometryType>%d</layerGeometryType>\n", (int)st->geom);
    fputs("</qgis>\n", f);
}

gm_status gm__qml_write(gm_ctx *ctx, const char *dir, const char *stem, const gm__qml_style *st)
{
    gm_status s;
    char *path = NULL, *tmp = NULL;
    FILE *f = NULL;
    ref attr = {NULL, false}, label = {NULL, false};

    if (!dir || !stem || !st)
        return gm__err(ctx, GM_E_ARG, "gm__qml_write: dir, stem and style are required");
    if (!stem[0] || strchr(stem, '/'))
        return gm__err(ctx, GM_E_ARG, "style '%s': a file stem is a non-empty name without '/'",
                       stem);
    if ((s = check_style(ctx, stem, st)) != GM_OK)
        return s;
    if ((s = resolve_fields(ctx, stem, st, &attr, &label)) != GM_OK)
        goto cleanup;

    path = gm__asprintf("%s/%s.qml", dir, stem);
    tmp = gm__asprintf("%s/.%s.qml.tmp", dir, stem);
    if (!path || !tmp) {
        s = gm__err(ctx, GM_E_NOMEM, "out of memory writing style %s", stem);
        goto cleanup;
    }
    if (!(f = fopen(tmp, "wb"))) {
        s = gm__err(ctx, GM_E_IO,
                    "%s: cannot create the file (%s): check the output folder exists and you may "
                    "write to it",
                    path, strerror(errno));
        goto cleanup;
    }
    write_qml(f, st, &attr, &label);
    int bad = ferror(f);
    int rc = fclose(f);
    f = NULL;
    if (bad || rc != 0) {
        s = gm__err(ctx, GM_E_IO, "%s: write failed (disk full?)", path);
        remove(tmp);
        goto cleanup;
    }
    if (rename(tmp, path) != 0) {
        s = gm__err(ctx, GM_E_IO, "%s: cannot move the finished file into place (%s)", path,
                    strerror(errno));
        remove(tmp);
        goto cleanup;
    }
    s = GM_OK;
cleanup:
    gm__free(attr.text);
    gm__free(label.text);
    gm__free(path);
    gm__free(tmp);
    return s;
}
