/*
 * OS Open Roads: road_link / road_node layers of the GeoPackage (snake_case
 * schema, 2023 on) or RoadLink / RoadNode layers and shapefiles of the older
 * camelCase schema (startNode, endNode, class, function, formOfWay).
 *
 * The topology is the product's own: every link names its start and end node
 * by id (a string), and ids map to dense node ids in order of first use.  A
 * node's point comes from road_node when that layer is there, else from the
 * first link end that names it.  Link end vertices must coincide with their
 * node's point (GM__ROADS_NODE_TOL_M); ends further away are moved onto it,
 * counted and reported, since the ids, not the coordinates, are the topology.
 *
 * OS Open Roads carries no one-way information.  The `directionality` field of
 * OS MasterMap Highways (bothDirections / inDirection / inOppositeDirection) is
 * read when present, so a council can add it to its copy.
 *
 * Sources: OS Open Roads technical specification (feature types RoadLink and
 * RoadNode; code lists RoadClassificationValue, RoadFunctionValue,
 * FormOfWayTypeValue, RoadStructureValue),
 * https://docs.os.uk/os-downloads/products/networks-portfolio/os-open-roads ;
 * OS MasterMap Highways Network, DirectionalityValue code list.
 */
#include "roads_impl.h"

#include "../core/arena.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct os_node {
    double x, y;     /* working CRS */
    bool has_point;
    uint32_t dense;  /* id in gm__roads, UINT32_MAX until a link uses it */
} os_node;

typedef struct os_reader {
    gm_ctx *ctx;
    const char *path;
    gm__roads *r;
    gm__roads_build b;
    gm__arena arena;
    gm__strmap ids;      /* node id -> index in nodes */
    os_node *nodes;
    size_t nnodes, nodes_cap;
    bool have_node_layer;
    uint64_t done, total; /* features, for progress */
    double *xy;           /* one link's vertices, working CRS */
    size_t xy_cap;
    double *gx, *gy;      /* one geometry's vertices as read */
    size_t g_cap;
    /* diagnostics */
    uint64_t nodes_without_point;
    double worst_moved_m;
    char worst_moved_link[64];
    double worst_len_diff_m;
    char worst_len_link[64];
} os_reader;

static bool truthy(const char *v)
{
    return v && (gm__roads_streq_ci(v, "1") || gm__roads_streq_ci(v, "true") ||
                 gm__roads_streq_ci(v, "yes") || gm__roads_streq_ci(v, "t") ||
                 gm__roads_streq_ci(v, "y"));
}

static const char *fstr(OGRFeatureH f, int idx)
{
    if (idx < 0 || !OGR_F_IsFieldSetAndNotNull(f, idx))
        return NULL;
    const char *s = OGR_F_GetFieldAsString(f, idx);
    return (s && *s) ? s : NULL;
}

/* First of the names that the layer has as a field (case-insensitive), or -1. */
static int field_any(OGRFeatureDefnH d, const char *a, const char *b, const char *c)
{
    const char *names[3] = {a, b, c};
    for (size_t i = 0; i < 3; i++) {
        if (!names[i])
            continue;
        int k = OGR_FD_GetFieldIndex(d, names[i]);
        if (k >= 0)
            return k;
    }
    return -1;
}

static bool is_link_layer(const char *name)
{
    return gm__roads_streq_ci(name, "road_link") || gm__roads_ends_with_ci(name, "roadlink");
}

static bool is_node_layer(const char *name)
{
    return gm__roads_streq_ci(name, "road_node") || gm__roads_ends_with_ci(name, "roadnode");
}

/* Class from road_classification, refined by road_function for minor roads
 * (RoadClassificationValue / RoadFunctionValue code lists):
 *   Motorway -> motorway; A Road -> primary, or trunk when it is a trunk road
 *   or on the primary route network (the roads OSM tags highway=trunk in the
 *   UK: green-signed primary routes); B Road -> secondary; Classified
 *   Unnumbered ("C roads") -> tertiary; Unclassified -> unclassified;
 *   Not Classified / Unknown -> residential, or unclassified when the
 *   function is Minor Road.  Restricted Local Access Road (gated, private
 *   or time-restricted) and Secondary Access Road (service and back lanes)
 *   are service roads whatever their classification among the minor ones. */
static uint8_t os_class(const char *cls, const char *func, bool trunk_or_primary)
{
    if (gm__roads_streq_ci(cls, "Motorway"))
        return GM__RC_MOTORWAY;
    if (gm__roads_streq_ci(cls, "A Road"))
        return trunk_or_primary ? GM__RC_TRUNK : GM__RC_PRIMARY;
    if (gm__roads_streq_ci(cls, "B Road"))
        return GM__RC_SECONDARY;
    if (gm__roads_streq_ci(cls, "Classified Unnumbered"))
        return GM__RC_TERTIARY;
    if (gm__roads_streq_ci(func, "Restricted Local Access Road") ||
        gm__roads_streq_ci(func, "Secondary Access Road"))
        return GM__RC_SERVICE;
    if (gm__roads_streq_ci(cls, "Unclassified"))
        return GM__RC_UNCLASSIFIED;
    if (gm__roads_streq_ci(cls, "Not Classified") || gm__roads_streq_ci(cls, "Unknown") || !cls)
        return gm__roads_streq_ci(func, "Minor Road") ? GM__RC_UNCLASSIFIED : GM__RC_RESIDENTIAL;
    /* A classification outside the code list: go by the function. */
    if (gm__roads_streq_ci(func, "Motorway"))
        return GM__RC_MOTORWAY;
    if (gm__roads_streq_ci(func, "A Road"))
        return GM__RC_PRIMARY;
    if (gm__roads_streq_ci(func, "B Road"))
        return GM__RC_SECONDARY;
    if (gm__roads_streq_ci(func, "Minor Road"))
        return GM__RC_UNCLASSIFIED;
    return GM__RC_RESIDENTIAL;
}

/* The node of id, made if new; its index in rd->nodes goes to *idx. */
static gm_status node_slot(os_reader *rd, const char *id, size_t *idx)
{
    int32_t k = gm__strmap_get(&rd->ids, id);
    if (k >= 0) {
        *idx = (size_t)k;
        return GM_OK;
    }
    if (rd->nnodes >= (size_t)INT32_MAX)
        return gm__err(rd->ctx, GM_E_INPUT, "%s: more than %ld road nodes", rd->path,
                       (long)INT32_MAX);
    if (!gm__grow((void **)&rd->nodes, &rd->nodes_cap, rd->nnodes + 1, sizeof *rd->nodes))
        return gm__err(rd->ctx, GM_E_NOMEM, "%s: out of memory reading road nodes", rd->path);
    char *key = gm__arena_strdup(&rd->arena, id);
    if (!key || !gm__strmap_put(&rd->ids, key, (int32_t)rd->nnodes, NULL))
        return gm__err(rd->ctx, GM_E_NOMEM, "%s: out of memory reading road nodes", rd->path);
    os_node *n = &rd->nodes[rd->nnodes];
    n->x = n->y = 0.0;
    n->has_point = false;
    n->dense = UINT32_MAX;
    *idx = rd->nnodes++;
    return GM_OK;
}

static gm_status progress(os_reader *rd)
{
    rd->done++;
    if ((rd->done & 1023) != 0)
        return GM_OK;
    return gm__progress(rd->ctx, rd->total ? 999 * rd->done / rd->total : 0, 1000,
                        GM__ROADS_PROGRESS);
}

static gm_status layer_xform(os_reader *rd, OGRLayerH layer, gm__xform **xf)
{
    char *crs = NULL;
    /* OS Open Roads is published in British National Grid; a layer without a
     * CRS (a .prj lost on the way) is taken to be in it. */
    gm_status st = gm__gdal_layer_crs(rd->ctx, layer, GM__WORKING_CRS, &crs);
    if (st != GM_OK)
        return st;
    st = gm__xform_new(rd->ctx, crs, rd->r->crs, xf);
    gm__free(crs);
    return st;
}

static gm_status read_nodes(os_reader *rd, OGRLayerH layer, gm__gdal_capture *cap)
{
    gm__xform *xf = NULL;
    gm_status st = layer_xform(rd, layer, &xf);
    if (st != GM_OK)
        return st;
    const char *lname = OGR_L_GetName(layer);
    int i_id = field_any(OGR_L_GetLayerDefn(layer), "id", "identifier", "toid");
    if (i_id < 0) {
        st = gm__err(rd->ctx, GM_E_INPUT, "%s: layer %s has no id field (expected id or identifier)",
                     rd->path, lname);
        goto cleanup;
    }
    rd->have_node_layer = true;
    OGR_L_ResetReading(layer);
    for (uint64_t nf = 1;; nf++) {
        OGRFeatureH f = OGR_L_GetNextFeature(layer);
        if (!f) {
            if (cap->failed)
                st = gm__err(rd->ctx, GM_E_INPUT, "%s layer %s feature %llu: cannot be read (%s)",
                             rd->path, lname, (unsigned long long)nf, cap->msg);
            break;
        }
        const char *id = fstr(f, i_id);
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        if (id && g && wkbFlatten(OGR_G_GetGeometryType(g)) == wkbPoint && !OGR_G_IsEmpty(g)) {
            double x = OGR_G_GetX(g, 0), y = OGR_G_GetY(g, 0);
            size_t k = 0;
            if (gm__xform_point(xf, &x, &y)) {
                st = node_slot(rd, id, &k);
                if (st == GM_OK && !rd->nodes[k].has_point) {
                    rd->nodes[k].x = x;
                    rd->nodes[k].y = y;
                    rd->nodes[k].has_point = true;
                }
            }
        }
        OGR_F_Destroy(f);
        if (st == GM_OK)
            st = progress(rd);
        if (st != GM_OK)
            break;
    }
cleanup:
    gm__xform_free(xf);
    return st;
}

/* The dense id of the node named id for a link end at (x, y); the point is
 * moved onto the node's and the move is measured. */
static gm_status link_end(os_reader *rd, const char *id, const char *link_id, double *x, double *y,
                          uint32_t *dense)
{
    size_t k = 0; /* set by node_slot; initialised for -O3 -Wmaybe-uninitialized */
    gm_status st = node_slot(rd, id, &k);
    if (st != GM_OK)
        return st;
    os_node *n = &rd->nodes[k];
    if (!n->has_point) {
        /* No road_node point: the first link end that names the node gives it. */
        n->x = *x;
        n->y = *y;
        n->has_point = true;
        if (rd->have_node_layer)
            rd->nodes_without_point++;
    }
    double d = hypot(*x - n->x, *y - n->y);
    if (d > GM__ROADS_NODE_TOL_M) {
        rd->r->stats.ends_moved++;
        if (d > rd->worst_moved_m) {
            rd->worst_moved_m = d;
            snprintf(rd->worst_moved_link, sizeof rd->worst_moved_link, "%s", link_id);
        }
    }
    *x = n->x;
    *y = n->y;
    if (n->dense == UINT32_MAX && (st = gm__roads_add_node(&rd->b, n->x, n->y, &n->dense)) != GM_OK)
        return st;
    *dense = n->dense;
    return GM_OK;
}

/* The vertices of a link as one line: a LineString, or a MultiLineString
 * whose parts join end to start.  Consecutive repeated vertices are dropped.
 * Returns the vertex count in rd->xy (source CRS), 0 when unusable, or
 * SIZE_MAX on allocation failure. */
static size_t link_vertices(os_reader *rd, OGRGeometryH g)
{
    if (!g)
        return 0;
    OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(g));
    int parts = 1;
    if (t == wkbMultiLineString)
        parts = OGR_G_GetGeometryCount(g);
    else if (t != wkbLineString)
        return 0;
    size_t n = 0;
    for (int p = 0; p < parts; p++) {
        OGRGeometryH part = t == wkbMultiLineString ? OGR_G_GetGeometryRef(g, p) : g;
        int np = OGR_G_GetPointCount(part);
        if (np <= 0)
            continue;
        size_t m = (size_t)np;
        if (m > rd->g_cap) {
            double *gx = gm__realloc(rd->gx, m * sizeof *gx);
            if (gx)
                rd->gx = gx;
            double *gy = gx ? gm__realloc(rd->gy, m * sizeof *gy) : NULL;
            if (gy)
                rd->gy = gy;
            if (!gx || !gy)
                return SIZE_MAX;
            rd->g_cap = m;
        }
        OGR_G_GetPoints(part, rd->gx, (int)sizeof(double), rd->gy, (int)sizeof(double), NULL, 0);
        if (!gm__grow((void **)&rd->xy, &rd->xy_cap, 2 * (n + m), sizeof *rd->xy))
            return SIZE_MAX;
        for (size_t i = 0; i < m; i++) {
            double x = rd->gx[i], y = rd->gy[i];
            if (!isfinite(x) || !isfinite(y))
                return 0;
            if (n && p > 0 && i == 0) {
                /* A part must start where the previous one ended. */
                if (hypot(x - rd->xy[2 * n - 2], y - rd->xy[2 * n - 1]) > GM__ROADS_NODE_TOL_M)
                    return 0;
                continue;
            }
            if (n && rd->xy[2 * n - 2] == x && rd->xy[2 * n - 1] == y)
                continue;
            rd->xy[2 * n] = x;
            rd->xy[2 * n + 1] = y;
            n++;
        }
    }
    return n >= 2 ? n : 0;
}

static gm_status read_links(os_reader *rd, OGRLayerH layer, gm__gdal_capture *cap)
{
    gm_status st = GM_OK;
    gm__xform *xf = NULL;
    const char *lname = OGR_L_GetName(layer);
    OGRFeatureDefnH d = OGR_L_GetLayerDefn(layer);
    int i_start = field_any(d, "start_node", "startNode", NULL);
    int i_end = field_any(d, "end_node", "endNode", NULL);
    int i_class = field_any(d, "road_classification", "class", NULL);
    int i_func = field_any(d, "road_function", "function", NULL);
    int i_fow = field_any(d, "form_of_way", "formOfWay", NULL);
    int i_struct = field_any(d, "road_structure", "roadStructure", "structure");
    int i_trunk = field_any(d, "trunk_road", "trunkRoad", NULL);
    int i_prim = field_any(d, "primary_route", "primaryRoute", "primary");
    int i_len = field_any(d, "length", NULL, NULL);
    int i_dir = field_any(d, "directionality", NULL, NULL);
    int i_id = field_any(d, "id", "identifier", "toid");
    if (i_start < 0 || i_end < 0)
        return gm__err(rd->ctx, GM_E_INPUT,
                       "%s: layer %s has no %s field; OS Open Roads links need start_node and "
                       "end_node (or startNode and endNode)",
                       rd->path, lname, i_start < 0 ? "start_node/startNode" : "end_node/endNode");
    if (i_class < 0)
        return gm__err(rd->ctx, GM_E_INPUT,
                       "%s: layer %s has no road_classification (or class) field", rd->path, lname);
    if ((st = layer_xform(rd, layer, &xf)) != GM_OK)
        return st;

    gm__roads_stats *s = &rd->r->stats;
    OGR_L_ResetReading(layer);
    for (uint64_t nf = 1;; nf++) {
        OGRFeatureH f = OGR_L_GetNextFeature(layer);
        if (!f) {
            if (cap->failed)
                st = gm__err(rd->ctx, GM_E_INPUT, "%s layer %s feature %llu: cannot be read (%s)",
                             rd->path, lname, (unsigned long long)nf, cap->msg);
            break;
        }
        s->features_read++;
        const char *cls = fstr(f, i_class), *func = fstr(f, i_func), *fow = fstr(f, i_fow);
        const char *structure = fstr(f, i_struct), *dir = fstr(f, i_dir);
        const char *from_id = fstr(f, i_start), *to_id = fstr(f, i_end);
        char link_id[64];
        const char *lid = fstr(f, i_id);
        if (lid)
            snprintf(link_id, sizeof link_id, "%s", lid);
        else
            snprintf(link_id, sizeof link_id, "feature %llu of %s", (unsigned long long)nf, lname);

        /* Guided busways (FormOfWayTypeValue) carry buses only. */
        if (gm__roads_streq_ci(fow, "Guided Busway")) {
            s->skipped_not_road++;
            goto next;
        }
        size_t n = link_vertices(rd, OGR_F_GetGeometryRef(f));
        if (n == SIZE_MAX) {
            st = gm__err(rd->ctx, GM_E_NOMEM, "%s: out of memory reading road links", rd->path);
            goto next;
        }
        if (n == 0 || !from_id || !to_id) {
            s->skipped_bad_geometry++;
            goto next;
        }
        bool transformed = true;
        for (size_t i = 0; i < n && transformed; i++)
            transformed = gm__xform_point(xf, &rd->xy[2 * i], &rd->xy[2 * i + 1]);
        if (!transformed) {
            s->skipped_bad_geometry++;
            goto next;
        }

        bool tp = truthy(fstr(f, i_trunk)) || truthy(fstr(f, i_prim));
        uint8_t rc = os_class(cls, func, tp);
        bool motorway = gm__roads_streq_ci(cls, "Motorway") || gm__roads_streq_ci(func, "Motorway");
        unsigned fl = 0;
        /* No one-way data in OS Open Roads: both ways, unless the MasterMap
         * Highways directionality field is there.  One-way rules bind
         * cyclists too. */
        unsigned cyc_f = motorway ? 0u : (unsigned)GM__RF_CYCLE_FWD;
        unsigned cyc_b = motorway ? 0u : (unsigned)GM__RF_CYCLE_BWD;
        if (gm__roads_streq_ci(dir, "inDirection"))
            fl |= GM__RF_CAR_FWD | cyc_f;
        else if (gm__roads_streq_ci(dir, "inOppositeDirection"))
            fl |= GM__RF_CAR_BWD | cyc_b;
        else
            fl |= GM__RF_CAR_FWD | GM__RF_CAR_BWD | cyc_f | cyc_b;
        /* Pedestrians and cyclists are barred from motorways and their slip
         * roads (Highway Code rule 253; slip roads carry class Motorway). */
        if (!motorway)
            fl |= GM__RF_WALK;
        if (gm__roads_streq_ci(fow, "Roundabout"))
            fl |= GM__RF_ROUNDABOUT;
        if (gm__roads_streq_ci(structure, "Road On Bridge"))
            fl |= GM__RF_BRIDGE;
        if (gm__roads_streq_ci(structure, "Road In Tunnel"))
            fl |= GM__RF_TUNNEL;
        uint16_t flags = (uint16_t)fl;

        uint32_t from, to;
        if ((st = link_end(rd, from_id, link_id, &rd->xy[0], &rd->xy[1], &from)) != GM_OK ||
            (st = link_end(rd, to_id, link_id, &rd->xy[2 * n - 2], &rd->xy[2 * n - 1], &to)) !=
                GM_OK)
            goto next;
        if ((st = gm__roads_add_link(&rd->b, from, to, rd->xy, n, rc, flags, 0, 0)) != GM_OK)
            goto next;
        s->features_used++;

        /* The geometry is the length's authority; the field is a check. */
        const char *lenv = fstr(f, i_len);
        if (lenv) {
            double field_len = OGR_F_GetFieldAsDouble(f, i_len);
            double geom_len = rd->r->links[rd->r->nlinks - 1].length_m;
            double diff = fabs(field_len - geom_len);
            if (diff > 0.01 * field_len + 1.0) {
                s->length_mismatches++;
                if (diff > rd->worst_len_diff_m) {
                    rd->worst_len_diff_m = diff;
                    snprintf(rd->worst_len_link, sizeof rd->worst_len_link, "%s", link_id);
                }
            }
        }
    next:
        OGR_F_Destroy(f);
        if (st == GM_OK)
            st = progress(rd);
        if (st != GM_OK)
            break;
    }
    gm__xform_free(xf);
    return st;
}

gm_status gm__roads_read_osopen(gm_ctx *ctx, const char *path, GDALDatasetH ds, gm__roads *r)
{
    gm_status st = GM_OK;
    gm__gdal_capture cap;
    os_reader rd = {.ctx = ctx, .path = path, .r = r};
    rd.b.ctx = ctx;
    rd.b.r = r;

    gm__gdal_begin(&cap, ctx, path);
    int nl = GDALDatasetGetLayerCount(ds);
    for (int i = 0; i < nl; i++) {
        OGRLayerH l = GDALDatasetGetLayer(ds, i);
        const char *name = OGR_L_GetName(l);
        if (is_link_layer(name) || is_node_layer(name)) {
            GIntBig c = OGR_L_GetFeatureCount(l, FALSE);
            rd.total += c > 0 ? (uint64_t)c : 0;
        }
    }
    /* Nodes first, so that links find their points. */
    for (int i = 0; i < nl && st == GM_OK; i++) {
        OGRLayerH l = GDALDatasetGetLayer(ds, i);
        if (is_node_layer(OGR_L_GetName(l)))
            st = read_nodes(&rd, l, &cap);
    }
    for (int i = 0; i < nl && st == GM_OK; i++) {
        OGRLayerH l = GDALDatasetGetLayer(ds, i);
        if (is_link_layer(OGR_L_GetName(l)))
            st = read_links(&rd, l, &cap);
    }
    if (st != GM_OK)
        goto cleanup;

    const gm__roads_stats *s = &r->stats;
    if (s->ends_moved)
        gm__log(ctx, GM_LOG_WARN,
                "%s: %llu link ends were more than %.2f m from their node's point and were moved "
                "onto it (worst: link %s, %.2f m); check that road_link and road_node come from "
                "the same release",
                path, (unsigned long long)s->ends_moved, GM__ROADS_NODE_TOL_M,
                rd.worst_moved_link, rd.worst_moved_m);
    if (rd.nodes_without_point)
        gm__log(ctx, GM_LOG_WARN,
                "%s: %llu nodes named by links are not in road_node; their points were taken "
                "from the links",
                path, (unsigned long long)rd.nodes_without_point);
    if (s->length_mismatches) {
        /* A few differences are rounding in older releases; many mean the
         * geometry was edited or reprojected after the length was computed. */
        bool many = s->length_mismatches * 100 >= (s->features_used ? s->features_used : 1);
        gm__log(ctx, many ? GM_LOG_WARN : GM_LOG_INFO,
                "%s: on %llu of %llu links the length field differs from the geometry's length "
                "by more than 1%% + 1 m (worst: link %s, %.1f m); gapmap uses the geometry",
                path, (unsigned long long)s->length_mismatches,
                (unsigned long long)s->features_used, rd.worst_len_link, rd.worst_len_diff_m);
    }

cleanup:
    gm__gdal_end();
    gm__strmap_free(&rd.ids);
    gm__arena_free(&rd.arena);
    gm__free(rd.nodes);
    gm__free(rd.xy);
    gm__free(rd.gx);
    gm__free(rd.gy);
    return st;
}
