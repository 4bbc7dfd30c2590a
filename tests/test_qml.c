/*
 * QGIS style files: the text written for every geometry and kind, checked as
 * text (no XML library is a dependency: a small tag-balance check stands in
 * for a parser), and then opened by QGIS itself, headless, through
 * tests/qgis_check.py, beside layers written by gm__vwriter.
 *
 * Fixtures:
 * - Three time bands 0-15, 15-30, 30-45 minutes with the YlGnBu ramp, and
 *   three service categories, one of whose labels holds all five XML special
 *   characters.
 * - For QGIS: "zones", three 500 m squares 100 m apart along the x axis from
 *   E 450000 N 300000 (west of Leicester) with minutes 15, 30, 45; "sites", three
 *   points on them with field "service_type", which the shapefile cuts to
 *   "service_ty" (gm__dbf_fit_names), so its style must work with both names;
 *   "links", two lines joining the squares.  Each is written as GeoJSON and
 *   shapefile, and each .qml must style every feature of both.
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <criterion/parameterized.h>
#include <gdal.h>
#include <geos_c.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/core.h"
#include "geo/geoctx.h"
#include "io/qml.h"
#include "io/vwriter.h"
#include "testutil.h"

#define PYTHON "/usr/bin/python3"

static gm_ctx *ctx;

static void setup(void)
{
    cr_assert_eq(gm_ctx_new(&ctx), GM_OK);
    GDALAllRegister();
}

static void teardown(void)
{
    gm__alloc_fail_after(-1);
    gm_ctx_free(ctx);
}

static const gm__qml_class bands[] = {
    {0, 15, NULL, "up to 15 min", "#2c7fb8"},
    {15, 30, NULL, "15 to 30 min", "#7fcdbb"},
    {30, 45, NULL, "30 to 45 min", "#edf8b1"},
};

#define SPECIAL_LABEL "Day centres <& \"hubs\"> 'n' more"
#define SPECIAL_ESCAPED "Day centres &lt;&amp; &quot;hubs&quot;&gt; &apos;n&apos; more"

static const gm__qml_class services[] = {
    {0, 0, "day centre", SPECIAL_LABEL, "#1b9e77"},
    {0, 0, "library", "Library", "#d95f02"},
    {0, 0, "gp", NULL, "#7570b3"}, /* label defaults to the value */
};

static gm__qml_style style_of(gm__gtype geom, gm__qml_kind kind)
{
    gm__qml_style st = {.geom = geom, .kind = kind, .opacity = 0.45, .outline = "#333333"};
    if (kind == GM__QML_GRADUATED) {
        st.field = "minutes";
        st.classes = bands;
        st.nclasses = 3;
    } else if (kind == GM__QML_CATEGORIZED) {
        st.field = "service";
        st.classes = services;
        st.nclasses = 3;
    } else {
        st.color = "#3182bd";
    }
    return st;
}


static size_t count(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/*
 * A stand-in for an XML parser, enough for what qml.c writes: every start tag
 * is closed by the matching end tag or is self-closing, there is one root
 * element <qgis>, attribute values are quoted and hold no '<', and every '&'
 * starts one of the five entities or a numeric character reference.  Returns
 * NULL when well-formed, else what is wrong.
 */
static const char *xml_problem(const char *s)
{
    static char why[256];
    char stack[32][64];
    int depth = 0, roots = 0;
    const char *p = s;
    while (*p) {
        if (*p == '&') {
            static const char *const ents[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
            bool ok = false;
            for (size_t i = 0; i < 5; i++)
                ok = ok || strncmp(p, ents[i], strlen(ents[i])) == 0;
            if (!ok && p[1] == '#') {
                const char *q = p + 2;
                while (*q >= '0' && *q <= '9')
                    q++;
                ok = q > p + 2 && *q == ';';
            }
            if (!ok) {
                snprintf(why, sizeof why, "bare '&' at offset %td", p - s);
                return why;
            }
            p++;
            continue;
        }
        if (*p == '>') {
            snprintf(why, sizeof why, "'>' outside a tag at offset %td", p - s);
            return why;
        }
        if (*p != '<') {
            p++;
            continue;
        }
        if (strncmp(p, "<!DOCTYPE", 9) == 0) {
            if (depth || roots)
                return "DOCTYPE after the root element";
            p = strchr(p, '>');
            if (!p)
                return "unterminated DOCTYPE";
            p++;
            continue;
        }
        bool closing = p[1] == '/';
        const char *name = p + (closing ? 2 : 1), *q = name;
        while (*q && !strchr(" \t\n/>", *q))
            q++;
        size_t len = (size_t)(q - name);
        if (len == 0 || len >= 64)
            return "a tag without a proper name";
        /* attributes: name="value" pairs up to '>' or '/>' */
        bool self_closing = false;
        for (;;) {
            while (*q == ' ' || *q == '\n' || *q == '\t')
                q++;
            if (*q == '>')
                break;
            if (q[0] == '/' && q[1] == '>') {
                self_closing = true;
                q++;
                break;
            }
            if (closing)
                return "attributes in an end tag";
            const char *an = q;
            while (*q && *q != '=' && *q != '>' && *q != ' ')
                q++;
            if (q == an || *q != '=' || q[1] != '"') {
                snprintf(why, sizeof why, "attribute without =\"...\" at offset %td", an - s);
                return why;
            }
            q += 2;
            while (*q && *q != '"') {
                if (*q == '<') {
                    snprintf(why, sizeof why, "'<' in an attribute value at offset %td", q - s);
                    return why;
                }
                if (*q == '&') {
                    static const char *const ents[] = {"&amp;", "&lt;", "&gt;", "&quot;",
                                                       "&apos;", "&#"};
                    bool ok = false;
                    for (size_t i = 0; i < 6; i++)
                        ok = ok || strncmp(q, ents[i], strlen(ents[i])) == 0;
                    if (!ok) {
                        snprintf(why, sizeof why, "bare '&' in an attribute at offset %td", q - s);
                        return why;
                    }
                }
                q++;
            }
            if (!*q)
                return "unterminated attribute value";
            q++;
        }
        if (!*q)
            return "unterminated tag";
        if (closing) {
            if (depth == 0)
                return "an end tag with nothing open";
            depth--;
            if (strlen(stack[depth]) != len || strncmp(stack[depth], name, len) != 0) {
                snprintf(why, sizeof why, "</%.*s> closes <%s>", (int)len, name, stack[depth]);
                return why;
            }
        } else {
            if (depth == 0) {
                roots++;
                if (roots > 1)
                    return "more than one root element";
                if (len != 4 || strncmp(name, "qgis", 4) != 0)
                    return "the root element is not <qgis>";
            }
            if (!self_closing) {
                if (depth == 32)
                    return "nested too deep";
                memcpy(stack[depth], name, len);
                stack[depth][len] = '\0';
                depth++;
            }
        }
        p = q + 1;
    }
    if (depth) {
        snprintf(why, sizeof why, "<%s> is never closed", stack[depth - 1]);
        return why;
    }
    return roots == 1 ? NULL : "no root element";
}

static char *write_and_read(const char *dir, const char *stem, const gm__qml_style *st)
{
    cr_assert_eq(gm__qml_write(ctx, dir, stem, st), GM_OK, "%s", gm_ctx_errmsg(ctx));
    char name[256];
    snprintf(name, sizeof name, "%s.qml", stem);
    char *text = gmt_slurp(gmt_path(dir, name), NULL);
    cr_assert_not_null(text);
    return text;
}

Test(qml, tag_balance_check_catches_broken_xml)
{
    /* the checker itself, so a pass below means something */
    cr_assert_null(xml_problem("<!DOCTYPE qgis>\n<qgis a=\"1\"><b/><c x=\"&amp;\"></c></qgis>\n"));
    cr_assert_not_null(xml_problem("<qgis><b></qgis>"));
    cr_assert_not_null(xml_problem("<qgis><b></c></qgis>"));
    cr_assert_not_null(xml_problem("<qgis a=\"x<y\"/>"));
    cr_assert_not_null(xml_problem("<qgis a=\"R&D\"/>"));
    cr_assert_not_null(xml_problem("<qgis>a > b</qgis>"));
    cr_assert_not_null(xml_problem("<qgis/><qgis/>"));
    cr_assert_not_null(xml_problem("<style/>"));
}

/* ---- every geometry and kind ---------------------------------------------- */

/* Criterion copies parameters into its worker processes, where pointers into
 * this one mean nothing: the parameters are indices into file-scope tables. */
typedef struct shape_case {
    gm__gtype geom;
    gm__qml_kind kind;
    const char *symbol_type, *layer_class, *renderer, *geometry_type;
    size_t ranges, categories, symbols; /* symbols includes the source symbol */
} shape_case;

static const shape_case shape_cases[] = {
    {GM__GT_POINT, GM__QML_SINGLE, "marker", "SimpleMarker", "singleSymbol", "0", 0, 0, 1},
    {GM__GT_POINT, GM__QML_GRADUATED, "marker", "SimpleMarker", "graduatedSymbol", "0", 3, 0, 4},
    {GM__GT_POINT, GM__QML_CATEGORIZED, "marker", "SimpleMarker", "categorizedSymbol", "0", 0, 3,
     4},
    {GM__GT_LINE, GM__QML_SINGLE, "line", "SimpleLine", "singleSymbol", "1", 0, 0, 1},
    {GM__GT_LINE, GM__QML_GRADUATED, "line", "SimpleLine", "graduatedSymbol", "1", 3, 0, 4},
    {GM__GT_LINE, GM__QML_CATEGORIZED, "line", "SimpleLine", "categorizedSymbol", "1", 0, 3, 4},
    {GM__GT_POLYGON, GM__QML_SINGLE, "fill", "SimpleFill", "singleSymbol", "2", 0, 0, 1},
    {GM__GT_POLYGON, GM__QML_GRADUATED, "fill", "SimpleFill", "graduatedSymbol", "2", 3, 0, 4},
    {GM__GT_POLYGON, GM__QML_CATEGORIZED, "fill", "SimpleFill", "categorizedSymbol", "2", 0, 3, 4},
};

ParameterizedTestParameters(qml, writes_every_geometry_and_kind)
{
    static size_t idx[sizeof shape_cases / sizeof shape_cases[0]];
    for (size_t i = 0; i < sizeof idx / sizeof idx[0]; i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, sizeof idx / sizeof idx[0]);
}

ParameterizedTest(size_t *i, qml, writes_every_geometry_and_kind, .init = setup, .fini = teardown)
{
    const shape_case *c = &shape_cases[*i];
    const char *dir = gmt_tmpdir("qml-shapes");
    gm__qml_style st = style_of(c->geom, c->kind);
    st.label_field = "name";
    char *text = write_and_read(dir, "layer", &st);
    cr_assert_str_eq(gmt_listing(dir), "layer.qml", "no temporary is left");

    const char *why = xml_problem(text);
    cr_assert_null(why, "not well-formed: %s\n%s", why, text);
    cr_assert(strncmp(text, "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n<qgis "
                            "version=\"3.22.0\"", 80) == 0, "%.200s", text);
    char want[128];
    snprintf(want, sizeof want, "<renderer-v2 type=\"%s\"", c->renderer);
    cr_assert_eq(count(text, "<renderer-v2 "), 1);
    cr_assert(strstr(text, want) != NULL, "no %s in\n%s", want, text);
    cr_assert_eq(count(text, "<range "), c->ranges);
    cr_assert_eq(count(text, "<category "), c->categories);
    snprintf(want, sizeof want, "<symbol name=\"");
    cr_assert_eq(count(text, want), c->symbols);
    snprintf(want, sizeof want, "type=\"%s\" alpha=\"1\"", c->symbol_type);
    cr_assert_eq(count(text, want), c->symbols);
    snprintf(want, sizeof want, "<layer class=\"%s\"", c->layer_class);
    cr_assert_eq(count(text, want), c->symbols);
    snprintf(want, sizeof want, "<layerGeometryType>%s</layerGeometryType>", c->geometry_type);
    cr_assert(strstr(text, want) != NULL, "%s", text);
    /* properties twice: <Option> for QGIS >= 3.16 and <prop> for older */
    cr_assert_eq(count(text, "<prop k=\"color\"") + count(text, "<prop k=\"line_color\""),
                 c->symbols);
    cr_assert_eq(count(text, "<Option name=\"color\"") + count(text, "<Option name=\"line_color\""),
                 c->symbols);
    cr_assert(strstr(text, "labelsEnabled=\"1\"") != NULL);
    cr_assert(strstr(text, "<text-style fieldName=\"name\" isExpression=\"0\"") != NULL);

    if (c->kind == GM__QML_GRADUATED) {
        cr_assert(strstr(text, "attr=\"minutes\" graduatedMethod=\"GraduatedColor\"") != NULL);
        /* shortest exact numbers: "15", not "15.000000000000000" */
        cr_assert(strstr(text, "<range lower=\"15\" upper=\"30\" symbol=\"1\" label=\"15 to 30 "
                               "min\" render=\"true\"/>") != NULL, "%s", text);
    }
    if (c->kind == GM__QML_CATEGORIZED)
        cr_assert(strstr(text, "<category value=\"gp\" symbol=\"2\" label=\"gp\" "
                               "render=\"true\"/>") != NULL, "%s", text);
    if (c->geom == GM__GT_POLYGON) {
        /* 0.45 * 255 = 114.75: alpha 115 on the fill, opaque outline */
        static const char *const fill_of[] = {"49,130,189,115", "44,127,184,115",
                                              "27,158,119,115"}; /* #3182bd #2c7fb8 #1b9e77 */
        const char *fill = fill_of[c->kind];
        snprintf(want, sizeof want, "<Option name=\"color\" value=\"%s\"", fill);
        cr_assert(strstr(text, want) != NULL, "no %s in\n%s", want, text);
        cr_assert(strstr(text, "<prop k=\"outline_color\" v=\"51,51,51,255\"/>") != NULL);
    } else {
        cr_assert(strstr(text, ",115\"") == NULL, "points and lines are opaque");
    }
    free(text);
}

Test(qml, escapes_xml_specials_in_labels_values_and_fields, .init = setup, .fini = teardown)
{
    const char *dir = gmt_tmpdir("qml-escape");
    static const gm__qml_class odd[] = {
        {0, 0, "A&B <c>", SPECIAL_LABEL, "#000000"},
        {0, 0, "tab\there\nline", "two\nlines", "#ffffff"},
    };
    gm__qml_style st = {.geom = GM__GT_POINT, .kind = GM__QML_CATEGORIZED,
                        .field = "kind \"quoted\"", .classes = odd, .nclasses = 2,
                        .label_field = "it's"};
    char *text = write_and_read(dir, "odd", &st);
    const char *why = xml_problem(text);
    cr_assert_null(why, "%s\n%s", why, text);
    cr_assert(strstr(text, "label=\"" SPECIAL_ESCAPED "\"") != NULL, "%s", text);
    cr_assert(strstr(text, "value=\"A&amp;B &lt;c&gt;\"") != NULL, "%s", text);
    cr_assert(strstr(text, "attr=\"kind &quot;quoted&quot;\"") != NULL, "%s", text);
    cr_assert(strstr(text, "fieldName=\"it&apos;s\"") != NULL, "%s", text);
    /* an attribute value keeps tabs and line ends only as character references */
    cr_assert(strstr(text, "value=\"tab&#9;here&#10;line\"") != NULL, "%s", text);
    cr_assert(strstr(text, "label=\"two&#10;lines\"") != NULL, "%s", text);
    cr_assert(strstr(text, SPECIAL_LABEL) == NULL, "the raw label never appears");
    free(text);
}

Test(qml, output_is_deterministic_and_replaces_the_old_file, .init = setup, .fini = teardown)
{
    const char *dir = gmt_tmpdir("qml-determinism");
    static const gm__qml_class fine[] = {
        {0, 0.1, NULL, NULL, "#aaaaaa"},        /* 0.1: shortest form that reads back */
        {0.1, 1.0 / 3, NULL, NULL, "#bbbbbb"},  /* needs 17 digits to read back */
        {1.0 / 3, 1e6, NULL, NULL, "#cccccc"},
    };
    gm__qml_style st = {.geom = GM__GT_LINE, .kind = GM__QML_GRADUATED, .field = "t",
                        .classes = fine, .nclasses = 3, .size = 0.6};
    gmt_write(dir, "t.qml", "an older style");
    size_t la, lb;
    char *a = write_and_read(dir, "t", &st);
    la = strlen(a);
    char *b = write_and_read(dir, "t", &st);
    lb = strlen(b);
    cr_assert_eq(la, lb);
    cr_assert(memcmp(a, b, la) == 0, "two writes differ");
    cr_assert(strstr(a, "an older style") == NULL);
    cr_assert(strstr(a, "lower=\"0\" upper=\"0.1\"") != NULL, "%s", a);
    cr_assert(strstr(a, "lower=\"0.1\" upper=\"0.33333333333333331\"") != NULL, "%s", a);
    cr_assert(strstr(a, "upper=\"1000000\"") != NULL, "%s", a);
    cr_assert(strstr(a, "label=\"0 - 0.1\"") != NULL, "default range label: %s", a);
    cr_assert(strstr(a, "<prop k=\"line_width\" v=\"0.6\"/>") != NULL, "%s", a);
    cr_assert(strstr(a, "labelsEnabled=\"0\"") != NULL);
    cr_assert(strstr(a, "<labeling") == NULL);
    cr_assert_str_eq(gmt_listing(dir), "t.qml");
    free(a);
    free(b);
}

/* ---- shapefile field names ------------------------------------------------ */

static const gm__field_def zone_fields[] = {
    {"zone_name", GM__FT_STRING, 0},
    {"minutes", GM__FT_REAL, 1},
    {"travel_minutes", GM__FT_REAL, 1}, /* the shapefile calls it travel_min */
    {"travel_mode_used", GM__FT_STRING, 0}, /* travel_mod */
};
static const gm__layer_def zone_layer = {"zones", GM__GT_POLYGON, 4, zone_fields};

Test(qml, a_name_both_formats_share_is_written_plainly, .init = setup, .fini = teardown)
{
    const char *dir = gmt_tmpdir("qml-names-plain");
    gm__qml_style st = style_of(GM__GT_POLYGON, GM__QML_GRADUATED);
    st.layer = &zone_layer;
    st.label_field = "zone_name";
    char *text = write_and_read(dir, "zones", &st);
    cr_assert(strstr(text, "attr=\"minutes\"") != NULL, "%s", text);
    cr_assert(strstr(text, "fieldName=\"zone_name\" isExpression=\"0\"") != NULL, "%s", text);
    free(text);
}

Test(qml, a_name_the_shapefile_cuts_reads_either_name, .init = setup, .fini = teardown)
{
    const char *dir = gmt_tmpdir("qml-names-cut");
    gm__qml_style st = style_of(GM__GT_POLYGON, GM__QML_GRADUATED);
    st.layer = &zone_layer;
    st.field = "travel_minutes";
    st.label_field = "travel_mode_used";
    char *text = write_and_read(dir, "zones", &st);
    cr_assert_null(xml_problem(text));
    cr_assert(strstr(text, "attr=\"coalesce("
                           "attribute($currentfeature, &apos;travel_minutes&apos;), "
                           "attribute($currentfeature, &apos;travel_min&apos;))\"") != NULL,
              "%s", text);
    cr_assert(strstr(text, "fieldName=\"coalesce("
                           "attribute($currentfeature, &apos;travel_mode_used&apos;), "
                           "attribute($currentfeature, &apos;travel_mod&apos;))\" "
                           "isExpression=\"1\"") != NULL,
              "%s", text);
    free(text);
}

/* ---- bad arguments --------------------------------------------------------- */

typedef struct bad_case {
    const char *what;
    gm__qml_style st;
    const char *stem; /* NULL: "bad" */
    int no_style;     /* pass st = NULL */
    gm_status status;
    const char *needle;
} bad_case;

static const gm__qml_class one_band[] = {{0, 15, NULL, NULL, "#2c7fb8"}};
static const gm__qml_class reversed[] = {{15, 0, NULL, NULL, "#2c7fb8"}};
static const gm__qml_class overlap[] = {{0, 20, NULL, NULL, "#2c7fb8"},
                                        {15, 30, NULL, NULL, "#7fcdbb"}};
static const gm__qml_class not_a_number[] = {{0, NAN, NULL, NULL, "#2c7fb8"}};
static const gm__qml_class named_colour[] = {{0, 15, NULL, NULL, "red"}};
static const gm__qml_class short_colour[] = {{0, 15, NULL, NULL, "#12345"}};
static const gm__qml_class not_hex[] = {{0, 15, NULL, NULL, "#12345g"}};
static const gm__qml_class latin1[] = {{0, 15, NULL, "Caf\xe9", "#2c7fb8"}};
static const gm__qml_class control[] = {{0, 15, NULL, "bell\a", "#2c7fb8"}};
static const gm__qml_class surrogate[] = {{0, 0, "\xed\xa0\x80", NULL, "#2c7fb8"}};
static const gm__qml_class no_value[] = {{0, 0, NULL, "x", "#2c7fb8"}};
static const gm__qml_class twice[] = {{0, 0, "car", NULL, "#2c7fb8"},
                                      {0, 0, "car", NULL, "#7fcdbb"}};

#define GRAD(cls) {.geom = GM__GT_POLYGON, .kind = GM__QML_GRADUATED, .field = "minutes", \
                   .classes = cls, .nclasses = sizeof cls / sizeof cls[0], .opacity = 1}
#define CAT(cls) {.geom = GM__GT_POINT, .kind = GM__QML_CATEGORIZED, .field = "mode", \
                  .classes = cls, .nclasses = sizeof cls / sizeof cls[0]}
#define SINGLE {.geom = GM__GT_POLYGON, .kind = GM__QML_SINGLE, .color = "#3182bd", .opacity = 1}

static const bad_case bad_cases[] = {
    {"no style", SINGLE, NULL, 1, GM_E_ARG, "required"},
    {"empty stem", SINGLE, "", 0, GM_E_ARG, "stem"},
    {"stem with a slash", SINGLE, "a/b", 0, GM_E_ARG, "without '/'"},
    {"unknown geometry", {.geom = (gm__gtype)7, .kind = GM__QML_SINGLE, .color = "#000000"},
     NULL, 0, GM_E_ARG, "geometry type 7"},
    {"unknown kind", {.geom = GM__GT_POINT, .kind = (gm__qml_kind)9, .color = "#000000"},
     NULL, 0, GM_E_ARG, "kind 9"},
    {"single without colour", {.geom = GM__GT_LINE, .kind = GM__QML_SINGLE}, NULL, 0,
     GM_E_ARG, "'(null)' is not of the form #rrggbb"},
    {"named colour", GRAD(named_colour), NULL, 0, GM_E_ARG, "class 1 colour 'red'"},
    {"five digits", GRAD(short_colour), NULL, 0, GM_E_ARG, "'#12345'"},
    {"not hex", GRAD(not_hex), NULL, 0, GM_E_ARG, "'#12345g'"},
    {"bad outline", {.geom = GM__GT_POLYGON, .kind = GM__QML_SINGLE, .color = "#000000",
                     .opacity = 1, .outline = "#00"},
     NULL, 0, GM_E_ARG, "outline colour"},
    {"no classes", {.geom = GM__GT_POLYGON, .kind = GM__QML_GRADUATED, .field = "minutes",
                    .classes = one_band, .nclasses = 0, .opacity = 1},
     NULL, 0, GM_E_ARG, "no classes"},
    {"NULL classes", {.geom = GM__GT_POLYGON, .kind = GM__QML_GRADUATED, .field = "minutes",
                      .nclasses = 2, .opacity = 1},
     NULL, 0, GM_E_ARG, "no classes"},
    {"no field", {.geom = GM__GT_POLYGON, .kind = GM__QML_GRADUATED, .classes = one_band,
                  .nclasses = 1, .opacity = 1},
     NULL, 0, GM_E_ARG, "needs a field"},
    {"hi below lo", GRAD(reversed), NULL, 0, GM_E_ARG, "not a finite lo < hi"},
    {"NaN bound", GRAD(not_a_number), NULL, 0, GM_E_ARG, "not a finite lo < hi"},
    {"overlapping ranges", GRAD(overlap), NULL, 0, GM_E_ARG, "ascending order"},
    {"Latin-1 label", GRAD(latin1), NULL, 0, GM_E_ARG, "label of class 1 is not UTF-8"},
    {"control character", GRAD(control), NULL, 0, GM_E_ARG, "not UTF-8 text"},
    {"UTF-16 surrogate", CAT(surrogate), NULL, 0, GM_E_ARG, "value of class 1"},
    {"category without value", CAT(no_value), NULL, 0, GM_E_ARG, "class 1 has no value"},
    {"duplicate category", CAT(twice), NULL, 0, GM_E_ARG, "classes 1 and 2 both"},
    {"opacity above 1", {.geom = GM__GT_POLYGON, .kind = GM__QML_SINGLE, .color = "#000000",
                         .opacity = 1.5},
     NULL, 0, GM_E_ARG, "opacity 1.5"},
    {"invisible polygons", {.geom = GM__GT_POLYGON, .kind = GM__QML_SINGLE,
                            .color = "#000000"},
     NULL, 0, GM_E_ARG, "draw nothing"},
    {"negative size", {.geom = GM__GT_POINT, .kind = GM__QML_SINGLE, .color = "#000000",
                       .size = -1},
     NULL, 0, GM_E_ARG, "size -1"},
    {"empty label field", {.geom = GM__GT_POINT, .kind = GM__QML_SINGLE, .color = "#000000",
                           .label_field = ""},
     NULL, 0, GM_E_ARG, "label field is empty"},
    {"field not in layer", {.geom = GM__GT_POLYGON, .kind = GM__QML_GRADUATED,
                            .field = "minutes_", .classes = one_band, .nclasses = 1,
                            .opacity = 1, .layer = &zone_layer},
     NULL, 0, GM_E_ARG, "layer zones has no field 'minutes_'"},
    {"label field not in layer", {.geom = GM__GT_POLYGON, .kind = GM__QML_SINGLE,
                                  .color = "#000000", .opacity = 1, .label_field = "name",
                                  .layer = &zone_layer},
     NULL, 0, GM_E_ARG, "no field 'name'"},
    {"graduated by text", {.geom = GM__GT_POLYGON, .kind = GM__QML_GRADUATED,
                           .field = "zone_name", .classes = one_band, .nclasses = 1,
                           .opacity = 1, .layer = &zone_layer},
     NULL, 0, GM_E_ARG, "needs a number field"},
    {"layer of another geometry", {.geom = GM__GT_POINT, .kind = GM__QML_SINGLE,
                                   .color = "#000000", .layer = &zone_layer},
     NULL, 0, GM_E_ARG, "for points but layer zones holds polygons"},
};

ParameterizedTestParameters(qml, bad_arguments_are_refused_and_leave_nothing)
{
    static size_t idx[sizeof bad_cases / sizeof bad_cases[0]];
    for (size_t i = 0; i < sizeof idx / sizeof idx[0]; i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, sizeof idx / sizeof idx[0]);
}

ParameterizedTest(size_t *i, qml, bad_arguments_are_refused_and_leave_nothing, .init = setup,
                  .fini = teardown)
{
    const bad_case *c = &bad_cases[*i];
    const char *dir = gmt_tmpdir("qml-bad");
    gm_status st = gm__qml_write(ctx, dir, c->stem ? c->stem : "bad", c->no_style ? NULL : &c->st);
    cr_assert_eq(st, c->status, "%s: %s (%s)", c->what, gm_status_name(st), gm_ctx_errmsg(ctx));
    cr_assert(strstr(gm_ctx_errmsg(ctx), c->needle) != NULL, "%s: message '%s' lacks '%s'",
              c->what, gm_ctx_errmsg(ctx), c->needle);
    cr_assert_str_eq(gmt_listing(dir), "", "%s left files", c->what);
}

Test(qml, null_dir_and_missing_folder, .init = setup, .fini = teardown)
{
    gm__qml_style st = style_of(GM__GT_POINT, GM__QML_SINGLE);
    cr_assert_eq(gm__qml_write(ctx, NULL, "x", &st), GM_E_ARG);
    cr_assert_eq(gm__qml_write(ctx, "x", NULL, &st), GM_E_ARG);
    cr_assert_eq(gm__qml_write(NULL, "/nonexistent-gapmap", "x", &st), GM_E_IO, "ctx may be NULL");
    cr_assert_eq(gm__qml_write(ctx, "/nonexistent-gapmap", "sites", &st), GM_E_IO);
    cr_assert(strstr(gm_ctx_errmsg(ctx), "/nonexistent-gapmap/sites.qml: cannot create") != NULL,
              "%s", gm_ctx_errmsg(ctx));
}

Test(qml, allocation_failures_are_clean, .init = setup, .fini = teardown)
{
    const char *dir = gmt_tmpdir("qml-nomem");
    gm__qml_style st = style_of(GM__GT_POLYGON, GM__QML_GRADUATED);
    st.layer = &zone_layer;
    st.field = "travel_minutes"; /* the expression path allocates too */
    st.label_field = "zone_name";
    long failures = 0;
    for (long n = 0; n < 100; n++) {
        gm__alloc_fail_after(n);
        gm_status s = gm__qml_write(ctx, dir, "zones", &st);
        gm__alloc_fail_after(-1);
        if (s == GM_OK)
            break;
        cr_assert_eq(s, GM_E_NOMEM, "allocation %ld: %s (%s)", n, gm_status_name(s),
                     gm_ctx_errmsg(ctx));
        cr_assert(strstr(gm_ctx_errmsg(ctx), "zones") != NULL, "%s", gm_ctx_errmsg(ctx));
        cr_assert_str_eq(gmt_listing(dir), "", "allocation %ld left files", n);
        failures++;
    }
    cr_assert_geq(failures, 5, "the walk covered names, fitting, expressions and paths");
    cr_assert_str_eq(gmt_listing(dir), "zones.qml");
}

/* ---- the palette ------------------------------------------------------------ */

Test(qml, ramp_runs_dark_near_to_light_far)
{
    /* ColorBrewer YlGnBu 5-class, reversed: nearest band darkest */
    static const char *const five[] = {"#253494", "#2c7fb8", "#41b6c4", "#a1dab4", "#ffffcc"};
    for (size_t i = 0; i < 5; i++)
        cr_assert_str_eq(gm__qml_ramp(i, 5), five[i], "colour %zu of 5", i);
    cr_assert_null(gm__qml_ramp(5, 5));
    cr_assert_null(gm__qml_ramp(0, 0));
    cr_assert_str_eq(gm__qml_ramp(0, 1), "#2c7fb8");
    cr_assert_str_eq(gm__qml_ramp(0, 2), "#2c7fb8");
    cr_assert_str_eq(gm__qml_ramp(1, 2), "#edf8b1");
    cr_assert_str_eq(gm__qml_ramp(0, 9), "#081d58");
    cr_assert_str_eq(gm__qml_ramp(8, 9), "#ffffd9");
    cr_assert_str_eq(gm__qml_ramp(0, 12), "#081d58", "beyond 9: ends stay the ramp's ends");
    cr_assert_str_eq(gm__qml_ramp(11, 12), "#ffffd9");
    /* every colour a style accepts, and darkness never increases along the ramp */
    for (size_t n = 1; n <= 20; n++) {
        int prev = -1;
        for (size_t i = 0; i < n; i++) {
            const char *c = gm__qml_ramp(i, n);
            cr_assert_not_null(c);
            gm__qml_class one = {0, 1, NULL, NULL, c};
            gm__qml_style st = {.geom = GM__GT_POINT, .kind = GM__QML_GRADUATED, .field = "t",
                                .classes = &one, .nclasses = 1};
            cr_assert_eq(gm__qml_write(NULL, "/nonexistent-gapmap", "x", &st), GM_E_IO,
                         "%s passes the colour check", c);
            unsigned r, g, b;
            cr_assert_eq(sscanf(c, "#%2x%2x%2x", &r, &g, &b), 3);
            int light = (int)(r + g + b);
            cr_assert_geq(light, prev, "n=%zu i=%zu %s is darker than the colour before", n, i, c);
            prev = light;
        }
    }
}

/* ---- QGIS itself ------------------------------------------------------------ */

static GEOSGeometry *wkt(const char *text)
{
    GEOSContextHandle_t h = gm__geos(ctx);
    GEOSWKTReader *r = GEOSWKTReader_create_r(h);
    GEOSGeometry *g = GEOSWKTReader_read_r(h, r, text);
    GEOSWKTReader_destroy_r(h, r);
    cr_assert_not_null(g, "bad fixture WKT %s", text);
    return g;
}

static void write_layer(const char *dir, const gm__layer_def *def, const gm__value *rows,
                        const char *const *wkts, size_t n)
{
    gm__vwriter *w = NULL;
    cr_assert_eq(gm__vwriter_open(ctx, dir, def, GM__FMT_GEOJSON | GM__FMT_SHAPEFILE, &w), GM_OK,
                 "%s", gm_ctx_errmsg(ctx));
    for (size_t i = 0; i < n; i++) {
        GEOSGeometry *g = wkt(wkts[i]);
        cr_assert_eq(gm__vwriter_add_geos(w, def->nfields ? rows + i * def->nfields : NULL, g),
                     GM_OK, "%s", gm_ctx_errmsg(ctx));
        GEOSGeom_destroy_r(gm__geos(ctx), g);
    }
    cr_assert_eq(gm__vwriter_close(w), GM_OK, "%s", gm_ctx_errmsg(ctx));
}

static const gm__field_def zq_fields[] = {{"minutes", GM__FT_REAL, 1}};
static const gm__layer_def zq = {"zones", GM__GT_POLYGON, 1, zq_fields};
static const gm__field_def sq_fields[] = {{"site_name", GM__FT_STRING, 0},
                                          {"service_type", GM__FT_STRING, 0}};
static const gm__layer_def sq = {"sites", GM__GT_POINT, 2, sq_fields};
static const gm__layer_def lq = {"links", GM__GT_LINE, 0, NULL};

/* The three fixture layers of the file comment, with their styles; the sites
 * style is given its layer (names that work in both formats) or not. */
static void write_fixture(const char *dir, bool sites_know_their_layer)
{
    static const char *const squares[] = {
        "POLYGON((450000 300000, 450500 300000, 450500 300500, 450000 300500, 450000 300000))",
        "POLYGON((450600 300000, 451100 300000, 451100 300500, 450600 300500, 450600 300000))",
        "POLYGON((451200 300000, 451700 300000, 451700 300500, 451200 300500, 451200 300000))",
    };
    const gm__value minutes[] = {{.d = 15}, {.d = 30}, {.d = 45}};
    write_layer(dir, &zq, minutes, squares, 3);

    static const char *const points[] = {"POINT(450250 300250)", "POINT(450850 300250)",
                                         "POINT(451450 300250)"};
    const gm__value sites[] = {
        {.s = "Oakfield <Day> Centre & Caf\xc3\xa9"}, {.s = "day centre"},
        {.s = "Central Library"}, {.s = "library"},
        {.s = "Hill Street Surgery"}, {.s = "gp"},
    };
    write_layer(dir, &sq, sites, points, 3);

    static const char *const lines[] = {"LINESTRING(450250 300250, 450850 300250)",
                                        "LINESTRING(450850 300250, 451450 300250, 451450 300700)"};
    write_layer(dir, &lq, NULL, lines, 2);

    gm__qml_class zone_bands[3];
    for (size_t i = 0; i < 3; i++) {
        zone_bands[i] = bands[i];
        zone_bands[i].color = gm__qml_ramp(i, 3);
    }
    gm__qml_style zs = {.geom = GM__GT_POLYGON, .kind = GM__QML_GRADUATED, .field = "minutes",
                        .classes = zone_bands, .nclasses = 3, .opacity = 0.45,
                        .outline = "#08306b", .layer = &zq};
    cr_assert_eq(gm__qml_write(ctx, dir, "zones", &zs), GM_OK, "%s", gm_ctx_errmsg(ctx));
    gm__qml_style ss = {.geom = GM__GT_POINT, .kind = GM__QML_CATEGORIZED,
                        .field = "service_type", .classes = services, .nclasses = 3,
                        .outline = "#ffffff", .size = 4, .label_field = "site_name",
                        .layer = sites_know_their_layer ? &sq : NULL};
    cr_assert_eq(gm__qml_write(ctx, dir, "sites", &ss), GM_OK, "%s", gm_ctx_errmsg(ctx));
    gm__qml_style ls = {.geom = GM__GT_LINE, .kind = GM__QML_SINGLE, .color = "#e6550d",
                        .size = 0.8, .layer = &lq};
    cr_assert_eq(gm__qml_write(ctx, dir, "links", &ls), GM_OK, "%s", gm_ctx_errmsg(ctx));
}

static void need_qgis(void)
{
    if (gmt_system(PYTHON " -c 'import qgis.core' >/dev/null 2>&1") != 0)
        cr_skip_test("QGIS check skipped: " PYTHON " cannot import qgis.core (install Debian's "
                     "python3-qgis: apt-get install python3-qgis)");
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Run qgis_check.py on dir; its report goes to dir/qgis_check.log. */
static int qgis_check(const char *dir, const char *png, const char *extra, double *secs)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             PYTHON " '%s' '%s' --png '%s' %s > '%s/qgis_check.log' 2>&1", GM_TEST_QGIS_CHECK,
             dir, png, extra, dir);
    double t0 = now_s();
    int rc = gmt_system(cmd);
    *secs = now_s() - t0;
    return rc;
}

Test(qml, qgis_applies_the_styles_and_renders_a_map, .init = setup, .fini = teardown,
     .timeout = 300)
{
    need_qgis();
    const char *tmp = gmt_tmpdir("qml-qgis");
    char dir[4096], png[4200];
    snprintf(dir, sizeof dir, "%s", tmp);
    snprintf(png, sizeof png, "%s/qgis_check.png", GM_TEST_BINARY_DIR);
    remove(png);
    write_fixture(dir, true);

    double secs;
    int rc = qgis_check(dir, png,
                        "--expect-style zones=graduatedSymbol "
                        "--expect-style sites=categorizedSymbol --expect-style links=singleSymbol",
                        &secs);
    char *log = gmt_slurp(gmt_path(dir, "qgis_check.log"), NULL);
    cr_assert_eq(rc, 0, "qgis_check.py failed (exit %d):\n%s", rc, log ? log : "(no log)");
    cr_log_info("QGIS check took %.1f s; map at %s\n%s", secs, png, log);
    /* the report names each layer, its count, its style and no unstyled feature */
    static const char *const lines[] = {
        "zones.geojson: valid, 3 features, EPSG:4326, style zones.qml graduatedSymbol "
        "(3 ranges), 0 unstyled",
        "zones.shp: valid, 3 features, EPSG:27700, style zones.qml graduatedSymbol "
        "(3 ranges), 0 unstyled",
        "sites.geojson: valid, 3 features, EPSG:4326, style sites.qml categorizedSymbol "
        "(3 categories), labels from site_name (3 placed alone), 0 unstyled",
        "sites.shp: valid, 3 features, EPSG:27700, style sites.qml categorizedSymbol "
        "(3 categories), labels from site_name (3 placed alone), 0 unstyled",
        "links.geojson: valid, 2 features, EPSG:4326, style links.qml singleSymbol, 0 unstyled",
        "links.shp: valid, 2 features, EPSG:27700, style links.qml singleSymbol, 0 unstyled",
        /* the legend as QGIS read it back: the escaping held */
        "  legend: " SPECIAL_LABEL "\n",
        "  legend: 15 to 30 min\n",
        "rendered 6 layers and ",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        cr_assert(strstr(log, lines[i]) != NULL, "no '%s' in\n%s", lines[i], log);
    free(log);
    char *img = gmt_slurp(png, NULL);
    cr_assert_not_null(img, "%s", png);
    cr_assert(memcmp(img, "\x89PNG", 4) == 0);
    free(img);
}

Test(qml, qgis_check_catches_a_style_whose_field_the_shapefile_lacks, .init = setup,
     .fini = teardown, .timeout = 300)
{
    need_qgis();
    const char *dir = gmt_tmpdir("qml-qgis-cut");
    /* without its layer the sites style names "service_type", which the
     * GeoJSON has and the shapefile ("service_ty") has not */
    write_fixture(dir, false);
    double secs;
    int rc = qgis_check(dir, gmt_path(dir, "map.png"), "", &secs);
    char *log = gmt_slurp(gmt_path(dir, "qgis_check.log"), NULL);
    cr_assert_eq(rc, 1, "exit %d:\n%s", rc, log ? log : "(no log)");
    cr_assert(strstr(log, "sites.geojson: valid, 3 features") != NULL, "%s", log);
    cr_assert(strstr(log, "sites.shp: 3 of 3 features match no class") != NULL, "%s", log);
    free(log);
}
