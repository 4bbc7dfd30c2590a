/*
 * The QGIS project of a run: see qgsproj.h.
 *
 * The project is built as a libxml2 tree and saved indented, so every text is
 * escaped by the library and a style copied from a .qml is re-indented with
 * the rest.  The elements are the subset of what QGIS 3.22 saves that it needs
 * to open the layers as gapmap means them: the project CRS, the layer tree,
 * the map canvas extent, one <maplayer> per layer (id, relative data source,
 * name, CRS, provider, style) and the "paths are relative" property.  QGIS
 * fills in everything else with its defaults, as it does for a project saved
 * by an older version.
 *
 * The CRS are written as QGIS writes them, led by its own srs.db id (srsid),
 * which it reads first; a GeoJSON layer is in WGS 84 (RFC 7946), a shapefile
 * in the working CRS, as gapmap writes them.  A project's <srs> overrides what
 * the provider says, so it must be right.
 */
#include "qgsproj.h"

#include "../geo/crs.h"
#include "gdalutil.h"
#include "polys.h"
#include "qml.h"
#include "vwriter.h"

#include <errno.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <math.h>
#include <ogr_srs_api.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define GM__QGS_FILE "gapmap.qgs"
/* The QGIS release whose project format this follows, as in the .qml files. */
#define GM__QGS_VERSION "3.22.0"
/* Margin around the layers' extent, per side, as a share of its size. */
#define GM__QGS_MARGIN 0.05

typedef struct crs_def {
    const char *srsid, *srid, *authid, *proj4, *description, *acronym, *ellipsoid, *geographic;
} crs_def;

/* As QGIS 3.22 writes them (QgsCoordinateReferenceSystem::writeXml, less the
 * WKT): srsid is QGIS's own id in its srs.db, unchanged since QGIS 2. */
static const crs_def CRS_BNG = {"2437",
                                "27700",
                                "EPSG:27700",
                                "+proj=tmerc +lat_0=49 +lon_0=-2 +k=0.9996012717 +x_0=400000 "
                                "+y_0=-100000 +ellps=airy +units=m +no_defs",
                                "OSGB36 / British National Grid",
                                "tmerc",
                                "EPSG:7001",
                                "false"};
static const crs_def CRS_WGS84 = {"3452",    "4326",      "EPSG:4326", "+proj=longlat +datum=WGS84 +no_defs",
                                  "WGS 84", "longlat", "EPSG:7030", "true"};

/* One layer going into the project. */
typedef struct lay {
    const gm__qgs_layer *def;
    char *source;         /* "./zones.geojson" */
    char *path;           /* dir/zones.geojson */
    char *id;             /* "gapmap_layer_zones" */
    const crs_def *crs;
    xmlDocPtr qml;        /* the parsed style, or NULL for none */
    bool has_extent;
    double ext[4];        /* xmin, ymin, xmax, ymax in EPSG:27700 */
} lay;

/* ---- checks ---------------------------------------------------------------- */

/* Text QGIS can read back: UTF-8 without control characters but tab and line
 * ends (XML 1.0 cannot hold them, even as character references). */
static bool text_ok(const char *s)
{
    if (!xmlCheckUTF8((const xmlChar *)s))
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
            return false;
    return true;
}

static bool same_group(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static gm_status check_args(gm_ctx *ctx, const char *dir, const char *title, const gm__qgs_layer *layers, size_t n)
{
    if (!dir || !title || (n && !layers))
        return gm__err(ctx, GM_E_ARG, "gm__qgsproj_write: dir, title and layers are required");
    if (!text_ok(title))
        return gm__err(ctx, GM_E_ARG,
                       "QGIS project: the run name is not UTF-8 text (a control character or a byte that "
                       "is not UTF-8): correct [run] name in the config");
    for (size_t i = 0; i < n; i++) {
        const gm__qgs_layer *l = &layers[i];
        if (!l->stem || !l->stem[0] || l->stem[0] == '.' || strchr(l->stem, '/') || !text_ok(l->stem))
            return gm__err(ctx, GM_E_ARG, "QGIS project: layer %zu: '%s' is not a file stem (a plain name "
                                          "without '/' or a leading '.')",
                           i + 1, l->stem ? l->stem : "(null)");
        if (l->folder && (!l->folder[0] || l->folder[0] == '.' || strchr(l->folder, '/') || !text_ok(l->folder)))
            return gm__err(ctx, GM_E_ARG, "QGIS project: layer %s: '%s' is not a sub-folder name", l->stem,
                           l->folder);
        if (!l->title || !text_ok(l->title) || (l->group && !text_ok(l->group)))
            return gm__err(ctx, GM_E_ARG, "QGIS project: layer %s: its title or group is missing or not UTF-8 "
                                          "text",
                           l->stem);
        for (size_t j = 0; j < i; j++) {
            if (!strcmp(layers[j].stem, l->stem))
                return gm__err(ctx, GM_E_ARG, "QGIS project: layer %s is listed twice", l->stem);
            /* a group is one place in the tree: its layers come together */
            if (l->group && j + 1 < i && same_group(layers[j].group, l->group) &&
                !same_group(layers[i - 1].group, l->group))
                return gm__err(ctx, GM_E_ARG,
                               "QGIS project: group '%s' is listed in two places (layer %s): list a group's "
                               "layers together",
                               l->group, l->stem);
        }
    }
    return GM_OK;
}

/* ---- reading the layers ---------------------------------------------------- */

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* l->path's extent in EPSG:27700, when it has features with geometry. */
static gm_status measure(gm_ctx *ctx, lay *l)
{
    gm__gdal_capture cap;
    gm__gdal_begin(&cap, ctx, l->path);
    gm_status st = GM_OK;
    OGRSpatialReferenceH src = NULL, dst = NULL;
    OGRCoordinateTransformationH ct = NULL;
    GDALAllRegister(); /* idempotent */
    GDALDatasetH ds = GDALOpenEx(l->path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    OGRLayerH ly = ds ? GDALDatasetGetLayer(ds, 0) : NULL;
    if (!ly) {
        st = gm__err(ctx, GM_E_GDAL,
                     "%s: GDAL cannot open the layer to put it in the QGIS project (%s): the file is damaged; "
                     "run gapmap again",
                     l->path, cap.failed ? cap.msg : "no layer");
        goto done;
    }
    OGREnvelope e;
    /* An empty layer has no extent (a shapefile's header would say 0,0,0,0). */
    if (OGR_L_GetFeatureCount(ly, TRUE) <= 0 || OGR_L_GetExtent(ly, &e, TRUE) != OGRERR_NONE ||
        !isfinite(e.MinX) || !isfinite(e.MaxX) || !isfinite(e.MinY) || !isfinite(e.MaxY) || e.MinX > e.MaxX ||
        e.MinY > e.MaxY)
        goto done;
    OGRSpatialReferenceH lsrs = OGR_L_GetSpatialRef(ly);
    dst = OSRNewSpatialReference(NULL);
    if (!dst || OSRImportFromEPSG(dst, 27700) != OGRERR_NONE) {
        st = gm__err(ctx, GM_E_CRS, "cannot set up %s (is PROJ's database installed?)", GM__WORKING_CRS);
        goto done;
    }
    OSRSetAxisMappingStrategy(dst, OAMS_TRADITIONAL_GIS_ORDER);
    if (lsrs && !OSRIsSame(lsrs, dst)) {
        src = OSRClone(lsrs);
        if (src)
            OSRSetAxisMappingStrategy(src, OAMS_TRADITIONAL_GIS_ORDER);
        ct = src ? OCTNewCoordinateTransformation(src, dst) : NULL;
        double x0, y0, x1, y1;
        /* 21 points per side: the edges of a lon/lat box are curves in the grid */
        if (!ct || !OCTTransformBounds(ct, e.MinX, e.MinY, e.MaxX, e.MaxY, &x0, &y0, &x1, &y1, 21)) {
            st = gm__err(ctx, GM_E_CRS, "%s: cannot transform its extent to %s%s%s", l->path, GM__WORKING_CRS,
                         cap.failed ? ": " : "", cap.failed ? cap.msg : "");
            goto done;
        }
        e.MinX = x0, e.MinY = y0, e.MaxX = x1, e.MaxY = y1;
    }
    l->ext[0] = e.MinX, l->ext[1] = e.MinY, l->ext[2] = e.MaxX, l->ext[3] = e.MaxY;
    l->has_extent = true;
done:
    if (ct)
        OCTDestroyCoordinateTransformation(ct);
    if (src)
        OSRDestroySpatialReference(src);
    if (dst)
        OSRDestroySpatialReference(dst);
    if (ds)
        GDALClose(ds);
    gm__gdal_end();
    return st;
}

/* Parse dir/<stem>.qml into l->qml; none there leaves it NULL. */
static gm_status read_qml(gm_ctx *ctx, const char *dir, lay *l)
{
    const char *sub = l->def->folder ? l->def->folder : ".";
    char *path = gm__asprintf("%s/%s/%s.qml", dir, sub, l->def->stem);
    if (!path)
        return gm__err(ctx, GM_E_NOMEM, "out of memory writing the QGIS project");
    gm_status st = GM_OK;
    xmlParserCtxtPtr pc = NULL;
    if (!exists(path))
        goto done;
    if (!(pc = xmlNewParserCtxt())) {
        st = gm__err(ctx, GM_E_NOMEM, "out of memory reading %s", path);
        goto done;
    }
    /* NONET and no DTD or entity loading: a style file never reaches out */
    l->qml = xmlCtxtReadFile(pc, path, NULL, XML_PARSE_NOBLANKS | XML_PARSE_NONET | XML_PARSE_NOERROR |
                                               XML_PARSE_NOWARNING);
    if (!l->qml) {
        const xmlError *e = xmlCtxtGetLastError(pc);
        char why[256] = "cannot read it";
        if (e && e->message)
            snprintf(why, sizeof why, "line %d: %.*s", e->line, (int)strcspn(e->message, "\n"), e->message);
        st = gm__err(ctx, GM_E_INPUT,
                     "%s: not a readable QGIS style (%s): delete it, or run gapmap again to rewrite it", path,
                     why);
        goto done;
    }
    xmlNodePtr root = xmlDocGetRootElement(l->qml);
    if (!root || xmlStrcmp(root->name, (const xmlChar *)"qgis") != 0) {
        st = gm__err(ctx, GM_E_INPUT,
                     "%s: not a QGIS style (its root element is not <qgis>): delete it, or run gapmap again "
                     "to rewrite it",
                     path);
        xmlFreeDoc(l->qml);
        l->qml = NULL;
    }
done:
    if (pc)
        xmlFreeParserCtxt(pc);
    gm__free(path);
    return st;
}

/* ---- building the project -------------------------------------------------- */

/* The tree under construction; the first allocation failure sticks, so the
 * building code reads straight and is checked once at the end. */
typedef struct xb {
    xmlDocPtr doc;
    bool oom;
} xb;

static xmlNodePtr el(xb *b, xmlNodePtr parent, const char *name)
{
    if (b->oom || !parent)
        return NULL;
    xmlNodePtr n = xmlNewChild(parent, NULL, (const xmlChar *)name, NULL);
    b->oom = !n;
    return n;
}

/* An element holding text (escaped by libxml2). */
static xmlNodePtr tel(xb *b, xmlNodePtr parent, const char *name, const char *text)
{
    if (b->oom || !parent)
        return NULL;
    xmlNodePtr n = xmlNewTextChild(parent, NULL, (const xmlChar *)name, (const xmlChar *)text);
    b->oom = !n;
    return n;
}

static void attr(xb *b, xmlNodePtr n, const char *name, const char *value)
{
    if (b->oom || !n)
        return;
    b->oom = !xmlSetProp(n, (const xmlChar *)name, (const xmlChar *)value);
}

static void put_crs(xb *b, xmlNodePtr parent, const crs_def *c)
{
    xmlNodePtr s = el(b, parent, "spatialrefsys");
    tel(b, s, "proj4", c->proj4);
    tel(b, s, "srsid", c->srsid);
    tel(b, s, "srid", c->srid);
    tel(b, s, "authid", c->authid);
    tel(b, s, "description", c->description);
    tel(b, s, "projectionacronym", c->acronym);
    tel(b, s, "ellipsoidacronym", c->ellipsoid);
    tel(b, s, "geographicflag", c->geographic);
}

static const char *checked(bool on)
{
    return on ? "Qt::Checked" : "Qt::Unchecked";
}

/* The layer tree: groups in the order of their first layer, layers in order. */
static void put_tree(xb *b, xmlNodePtr root, const lay *ls, size_t n)
{
    xmlNodePtr tree = el(b, root, "layer-tree-group");
    el(b, tree, "customproperties");
    xmlNodePtr group = NULL;
    for (size_t i = 0; i < n; i++) {
        const gm__qgs_layer *d = ls[i].def;
        xmlNodePtr parent = tree;
        if (d->group) {
            if (i == 0 || !same_group(ls[i - 1].def->group, d->group)) {
                /* checked when any of its layers is: a planner then only ticks a layer to see it */
                bool any = false;
                for (size_t j = i; j < n && same_group(ls[j].def->group, d->group); j++)
                    any = any || ls[j].def->visible;
                group = el(b, tree, "layer-tree-group");
                attr(b, group, "name", d->group);
                attr(b, group, "checked", checked(any));
                attr(b, group, "expanded", "1");
                el(b, group, "customproperties");
            }
            parent = group;
        }
        xmlNodePtr t = el(b, parent, "layer-tree-layer");
        attr(b, t, "id", ls[i].id);
        attr(b, t, "name", d->title);
        attr(b, t, "source", ls[i].source);
        attr(b, t, "providerKey", "ogr");
        attr(b, t, "checked", checked(d->visible));
        /* the legend (classes) of the layers on show, not of every layer */
        attr(b, t, "expanded", d->visible ? "1" : "0");
        el(b, t, "customproperties");
    }
}

/* The union of the extents of the layers that start checked (or of all, when
 * none of those has one), with a margin, rounded out to whole metres. */
static bool view_extent(const lay *ls, size_t n, double out[4])
{
    for (int pass = 0; pass < 2; pass++) {
        bool any = false;
        for (size_t i = 0; i < n; i++) {
            if (!ls[i].has_extent || (pass == 0 && !ls[i].def->visible))
                continue;
            if (!any) {
                memcpy(out, ls[i].ext, sizeof ls[i].ext);
                any = true;
            } else {
                out[0] = fmin(out[0], ls[i].ext[0]), out[1] = fmin(out[1], ls[i].ext[1]);
                out[2] = fmax(out[2], ls[i].ext[2]), out[3] = fmax(out[3], ls[i].ext[3]);
            }
        }
        if (any) {
            /* a single point still gets a view: 500 m each way */
            double mx = fmax(GM__QGS_MARGIN * (out[2] - out[0]), 500),
                   my = fmax(GM__QGS_MARGIN * (out[3] - out[1]), 500);
            out[0] = floor(out[0] - mx), out[1] = floor(out[1] - my);
            out[2] = ceil(out[2] + mx), out[3] = ceil(out[3] + my);
            return true;
        }
    }
    return false;
}

static void put_extent(xb *b, xmlNodePtr root, const double e[4])
{
    static const char *const names[] = {"xmin", "ymin", "xmax", "ymax"};
    char v[4][32];
    for (int k = 0; k < 4; k++)
        snprintf(v[k], sizeof v[k], "%.0f", e[k]);
    /* What the QGIS desktop opens on (QgsMapCanvas::readProject)... */
    xmlNodePtr c = el(b, root, "mapcanvas");
    attr(b, c, "name", "theMapCanvas");
    attr(b, c, "annotationsVisible", "1");
    tel(b, c, "units", "meters");
    xmlNodePtr x = el(b, c, "extent");
    for (int k = 0; k < 4; k++)
        tel(b, x, names[k], v[k]);
    tel(b, c, "rotation", "0");
    put_crs(b, el(b, c, "destinationsrs"), &CRS_BNG);
    tel(b, c, "rendermaptile", "0");
    /* ...and the project's default view, for QGIS without a canvas (the
     * Python API, QGIS Server) and for a desktop that lacks the above. */
    xmlNodePtr pv = el(b, root, "ProjectViewSettings");
    attr(b, pv, "UseProjectScales", "0");
    attr(b, pv, "rotation", "0");
    el(b, pv, "Scales");
    xmlNodePtr dv = el(b, pv, "DefaultViewExtent");
    for (int k = 0; k < 4; k++)
        attr(b, dv, names[k], v[k]);
    put_crs(b, dv, &CRS_BNG);
}

static void put_maplayer(xb *b, xmlNodePtr parent, const lay *l)
{
    xmlNodePtr m = el(b, parent, "maplayer");
    attr(b, m, "type", "vector");
    attr(b, m, "hasScaleBasedVisibilityFlag", "0");
    xmlNodePtr q = l->qml ? xmlDocGetRootElement(l->qml) : NULL;
    if (q) {
        /* QGIS keeps the geometry type for a layer it cannot open (0, 1, 2 as
         * QgsWkbTypes::GeometryType) */
        static const char *const geom[] = {"Point", "Line", "Polygon"};
        for (xmlNodePtr c = q->children; c; c = c->next)
            if (c->type == XML_ELEMENT_NODE && !xmlStrcmp(c->name, (const xmlChar *)"layerGeometryType")) {
                xmlChar *t = xmlNodeGetContent(c);
                if (t && t[0] >= '0' && t[0] <= '2' && !t[1])
                    attr(b, m, "geometry", geom[t[0] - '0']);
                xmlFree(t);
            }
        /* the style's own attributes (labelsEnabled, scale limits...) belong to
         * the layer; version and styleCategories describe the file */
        for (xmlAttrPtr a = q->properties; a && !b->oom; a = a->next) {
            if (!xmlStrcmp(a->name, (const xmlChar *)"version") ||
                !xmlStrcmp(a->name, (const xmlChar *)"styleCategories"))
                continue;
            xmlChar *v = xmlNodeListGetString(l->qml, a->children, 1);
            attr(b, m, (const char *)a->name, v ? (const char *)v : "");
            xmlFree(v);
        }
    }
    tel(b, m, "id", l->id);
    tel(b, m, "datasource", l->source);
    tel(b, m, "layername", l->def->title);
    put_crs(b, el(b, m, "srs"), l->crs);
    attr(b, tel(b, m, "provider", "ogr"), "encoding", "UTF-8");
    for (xmlNodePtr c = q ? q->children : NULL; c && !b->oom; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        xmlNodePtr copy = xmlDocCopyNode(c, b->doc, 1);
        if (!copy || !xmlAddChild(m, copy)) {
            xmlFreeNode(copy);
            b->oom = true;
        }
    }
}

static xmlDocPtr build(xb *b, const char *title, const lay *ls, size_t n)
{
    b->doc = xmlNewDoc((const xmlChar *)"1.0");
    if (!b->doc) {
        b->oom = true;
        return NULL;
    }
    /* the doctype QGIS writes; it never fetches the DTD */
    if (!xmlCreateIntSubset(b->doc, (const xmlChar *)"qgis", (const xmlChar *)"http://mrcc.com/qgis.dtd",
                            (const xmlChar *)"SYSTEM"))
        b->oom = true;
    xmlNodePtr root = b->oom ? NULL : xmlNewDocNode(b->doc, NULL, (const xmlChar *)"qgis", NULL);
    if (!root) {
        b->oom = true;
        return b->doc;
    }
    xmlDocSetRootElement(b->doc, root);
    attr(b, root, "projectname", title);
    attr(b, root, "version", GM__QGS_VERSION);
    tel(b, root, "title", title);
    put_crs(b, el(b, root, "projectCrs"), &CRS_BNG);
    put_tree(b, root, ls, n);
    double e[4];
    bool has_view = view_extent(ls, n, e);
    xmlNodePtr pl = el(b, root, "projectlayers");
    for (size_t i = 0; i < n; i++)
        put_maplayer(b, pl, &ls[i]);
    xmlNodePtr order = el(b, root, "layerorder");
    for (size_t i = 0; i < n; i++)
        attr(b, el(b, order, "layer"), "id", ls[i].id);
    xmlNodePtr props = el(b, root, "properties");
    /* relative paths, so the folder can move; reprojection on (QGIS reads the
     * project CRS only then) */
    attr(b, tel(b, el(b, props, "Paths"), "Absolute", "false"), "type", "bool");
    attr(b, tel(b, el(b, props, "SpatialRefSys"), "ProjectionsEnabled", "1"), "type", "int");
    if (has_view)
        put_extent(b, root, e);
    return b->doc;
}

/* ---- writing --------------------------------------------------------------- */

static gm_status save(gm_ctx *ctx, const char *dir, xmlDocPtr doc)
{
    gm_status st = GM_OK;
    xmlChar *mem = NULL;
    int size = 0;
    FILE *f = NULL;
    char *path = gm__asprintf("%s/" GM__QGS_FILE, dir), *tmp = gm__asprintf("%s/." GM__QGS_FILE ".tmp", dir);
    if (!path || !tmp) {
        st = gm__err(ctx, GM_E_NOMEM, "out of memory writing the QGIS project");
        goto done;
    }
    xmlDocDumpFormatMemoryEnc(doc, &mem, &size, "UTF-8", 1);
    if (!mem || size <= 0) {
        st = gm__err(ctx, GM_E_NOMEM, "out of memory writing %s", path);
        goto done;
    }
    if (!(f = fopen(tmp, "wb"))) {
        st = gm__err(ctx, GM_E_IO,
                     "%s: cannot create the file (%s): check the output folder exists and you may write to it",
                     path, strerror(errno));
        goto done;
    }
    size_t wrote = fwrite(mem, 1, (size_t)size, f);
    int bad = ferror(f) || wrote != (size_t)size;
    int rc = fclose(f);
    if (bad || rc != 0) {
        st = gm__err(ctx, GM_E_IO, "%s: write failed (disk full?)", path);
        remove(tmp);
        goto done;
    }
    if (rename(tmp, path) != 0) {
        st = gm__err(ctx, GM_E_IO, "%s: cannot move the finished file into place (%s)", path, strerror(errno));
        remove(tmp);
    }
done:
    xmlFree(mem);
    gm__free(path);
    gm__free(tmp);
    return st;
}

gm_status gm__qgsproj_write(gm_ctx *ctx, const char *dir, const char *title, const gm__qgs_layer *layers,
                            size_t n, unsigned formats)
{
    gm_status st = check_args(ctx, dir, title, layers, n);
    if (st != GM_OK)
        return st;
    bool geojson = formats & GM__FMT_GEOJSON;
    xb b = {NULL, false};
    size_t nl = 0;
    lay *ls = gm__calloc(n ? n : 1, sizeof *ls);
    if (!ls)
        return gm__err(ctx, GM_E_NOMEM, "out of memory writing the QGIS project");
    for (size_t i = 0; i < n; i++) {
        lay *l = &ls[nl];
        l->def = &layers[i];
        l->crs = geojson ? &CRS_WGS84 : &CRS_BNG;
        const char *ext = geojson ? "geojson" : "shp";
        const char *sub = layers[i].folder ? layers[i].folder : ".";
        l->source = layers[i].folder ? gm__asprintf("./%s/%s.%s", sub, layers[i].stem, ext)
                                     : gm__asprintf("./%s.%s", layers[i].stem, ext);
        l->path = gm__asprintf("%s/%s/%s.%s", dir, sub, layers[i].stem, ext);
        /* QGIS keeps a layer id only when it is over 10 characters long
         * (QgsMapLayer::readLayerXml), and makes up a random one otherwise */
        l->id = gm__asprintf("gapmap_layer_%s", layers[i].stem);
        if (!l->source || !l->path || !l->id) {
            nl++; /* freed below */
            st = gm__err(ctx, GM_E_NOMEM, "out of memory writing the QGIS project");
            goto cleanup;
        }
        if (!exists(l->path)) {
            gm__log(ctx, GM_LOG_DEBUG, "QGIS project: no %s, layer left out", l->path);
            gm__free(l->source);
            gm__free(l->path);
            gm__free(l->id);
            memset(l, 0, sizeof *l);
            continue;
        }
        nl++;
        if ((st = read_qml(ctx, dir, l)) != GM_OK)
            goto cleanup;
    }
    /* Only the layers that count towards the view are read through: the
     * hidden ones (customers, catchments) are the biggest. */
    for (int pass = 0; pass < 2; pass++) {
        bool any = false;
        for (size_t i = 0; i < nl; i++) {
            if (ls[i].def->visible != (pass == 0))
                continue;
            if ((st = measure(ctx, &ls[i])) != GM_OK)
                goto cleanup;
            any = any || ls[i].has_extent;
        }
        if (any)
            break;
    }
    build(&b, title, ls, nl);
    if (b.oom) {
        st = gm__err(ctx, GM_E_NOMEM, "out of memory writing the QGIS project");
        goto cleanup;
    }
    st = save(ctx, dir, b.doc);
cleanup:
    if (b.doc)
        xmlFreeDoc(b.doc);
    for (size_t i = 0; i < nl; i++) {
        gm__free(ls[i].source);
        gm__free(ls[i].path);
        gm__free(ls[i].id);
        if (ls[i].qml)
            xmlFreeDoc(ls[i].qml);
    }
    gm__free(ls);
    return st;
}

/* ---- the county boundary --------------------------------------------------- */

static const gm__field_def BOUNDARY_F[] = {{"id", GM__FT_STRING, 0}, {"name", GM__FT_STRING, 0}};
static const gm__layer_def BOUNDARY = {"boundary", GM__GT_POLYGON, 2, BOUNDARY_F, "The county boundary"};

/* An ONS-style field name: letters, a two-digit year, then suffix ("CTYUA23NM"). */
static bool ons_field(const char *f, const char *suffix)
{
    size_t n = strlen(f);
    return n >= 5 && f[n - 3] >= '0' && f[n - 3] <= '9' && !strcasecmp(f + n - 2, suffix);
}

/* The boundary file's code and name fields, when it has them ("" when not,
 * or when it cannot be opened: gm__polys_read then says why). */
static void boundary_fields(gm_ctx *ctx, const char *path, const char *layer, char id[64], char name[64])
{
    gm__gdal_capture cap;
    id[0] = name[0] = '\0';
    gm__gdal_begin(&cap, ctx, path);
    GDALAllRegister();
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    OGRLayerH ly = !ds ? NULL : layer ? GDALDatasetGetLayerByName(ds, layer) : GDALDatasetGetLayer(ds, 0);
    OGRFeatureDefnH d = ly ? OGR_L_GetLayerDefn(ly) : NULL;
    for (int i = 0; d && i < OGR_FD_GetFieldCount(d); i++) {
        const char *f = OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(d, i));
        if (strlen(f) >= 64)
            continue;
        /* the plain names win over the ONS ones */
        if (!strcasecmp(f, "name") || (!name[0] && ons_field(f, "nm")))
            snprintf(name, 64, "%s", f);
        if (!strcasecmp(f, "code") || (!id[0] && ons_field(f, "cd")))
            snprintf(id, 64, "%s", f);
    }
    if (ds)
        GDALClose(ds);
    gm__gdal_end();
}

gm_status gm__qgsproj_write_boundary(gm_ctx *ctx, const char *dir, unsigned formats, const char *path,
                                     const char *layer)
{
    if (!dir || !path)
        return gm__err(ctx, GM_E_ARG, "gm__qgsproj_write_boundary: dir and path are required");
    char idf[64], nmf[64];
    boundary_fields(ctx, path, layer, idf, nmf);
    gm__poly *p = NULL;
    size_t n = 0;
    gm__vwriter *w = NULL;
    gm_status st = gm__polys_read(ctx, path, layer, idf[0] ? idf : NULL, nmf[0] ? nmf : NULL, &p, &n, NULL);
    if (st == GM_OK)
        st = gm__vwriter_open(ctx, dir, &BOUNDARY, formats, &w);
    for (size_t i = 0; st == GM_OK && i < n; i++) {
        const gm__value v[] = {{.s = p[i].id}, {.s = p[i].name}};
        st = gm__vwriter_add_geos(w, v, p[i].geom);
    }
    if (w) {
        if (st == GM_OK)
            st = gm__vwriter_close(w);
        else
            gm__vwriter_abort(w);
    }
    if (st == GM_OK) {
        /* no fill, so the base never hides what is drawn over it */
        const gm__qml_style outline = {GM__GT_POLYGON, GM__QML_SINGLE, NULL, NULL, 0, "#404040", 0,
                                       "#404040", 0.6, NULL, &BOUNDARY};
        st = gm__qml_write(ctx, dir, BOUNDARY.name, &outline);
    }
    gm__polys_free(ctx, p, n);
    return st;
}
