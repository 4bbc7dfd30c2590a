/*
 * Road data: choosing the reader for a file, and what every reader shares:
 * GDAL error capture, the builder that appends nodes and links to a gm__roads,
 * and the splitter that turns ways without node ids (GDAL's OSM lines layer,
 * Geofabrik shapefiles) into a node-link topology by coordinate identity.
 *
 * Invariants kept here (see roads.h): node ids are dense and given in order of
 * first use; a link's first and last vertex are copied from its nodes' points,
 * so they are equal bit for bit; a link has at least two vertices and no
 * zero-length segment.
 */
#include "roads_impl.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <math.h>
#include <ogr_srs_api.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* ---- small helpers ------------------------------------------------------ */

static int ascii_lower(int ch)
{
    return (ch >= 'A' && ch <= 'Z') ? ch - 'A' + 'a' : ch;
}

bool gm__roads_streq_ci(const char *a, const char *b)
{
    if (!a || !b)
        return false;
    while (*a && ascii_lower((unsigned char)*a) == ascii_lower((unsigned char)*b)) {
        a++;
        b++;
    }
    return *a == '\0' && *b == '\0';
}

bool gm__roads_ends_with_ci(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return k <= n && gm__roads_streq_ci(s + n - k, suffix);
}

/* ---- builder ------------------------------------------------------------ */

gm_status gm__roads_add_node(gm__roads_build *b, double x, double y, uint32_t *id)
{
    gm__roads *r = b->r;
    if (r->nnodes >= UINT32_MAX)
        return gm__err(b->ctx, GM_E_INPUT, "the road network has more than %lu nodes",
                       (unsigned long)UINT32_MAX);
    if (r->nnodes == b->node_cap) {
        size_t cap = b->node_cap ? b->node_cap * 2 : 1024;
        double *nx = gm__realloc(r->node_x, cap * sizeof *nx);
        if (!nx)
            return gm__err(b->ctx, GM_E_NOMEM, "out of memory storing road nodes");
        r->node_x = nx;
        double *ny = gm__realloc(r->node_y, cap * sizeof *ny);
        if (!ny)
            return gm__err(b->ctx, GM_E_NOMEM, "out of memory storing road nodes");
        r->node_y = ny;
        b->node_cap = cap;
    }
    r->node_x[r->nnodes] = x;
    r->node_y[r->nnodes] = y;
    *id = (uint32_t)r->nnodes++;
    return GM_OK;
}

gm_status gm__roads_add_link(gm__roads_build *b, uint32_t from, uint32_t to, const double *xy,
                             size_t n, uint8_t rclass, uint16_t flags, uint16_t maxspeed_kmh,
                             uint64_t source_id)
{
    gm__roads *r = b->r;
    if (n < 2)
        return gm__err(b->ctx, GM_E_INTERNAL, "a road link needs two vertices");
    if (r->nxy + n > UINT32_MAX || r->nlinks >= UINT32_MAX)
        return gm__err(b->ctx, GM_E_INPUT,
                       "the road network has more than %lu vertices or links (clip it to the "
                       "study area first)",
                       (unsigned long)UINT32_MAX);
    if (!gm__grow((void **)&r->xy, &b->xy_cap, 2 * (r->nxy + n), sizeof *r->xy) ||
        !gm__grow((void **)&r->links, &b->link_cap, r->nlinks + 1, sizeof *r->links))
        return gm__err(b->ctx, GM_E_NOMEM, "out of memory storing road links");

    double *g = r->xy + 2 * r->nxy;
    memcpy(g, xy, 2 * n * sizeof *g);
    g[0] = r->node_x[from];
    g[1] = r->node_y[from];
    g[2 * n - 2] = r->node_x[to];
    g[2 * n - 1] = r->node_y[to];
    double len = 0.0;
    for (size_t i = 1; i < n; i++) {
        double dx = g[2 * i] - g[2 * i - 2], dy = g[2 * i + 1] - g[2 * i - 1];
        len += sqrt(dx * dx + dy * dy);
    }

    gm__road_link *l = &r->links[r->nlinks++];
    l->from = from;
    l->to = to;
    l->length_m = (float)len;
    l->rclass = rclass;
    l->flags = flags;
    l->maxspeed_kmh = maxspeed_kmh;
    l->geom_off = (uint32_t)r->nxy;
    l->geom_n = (uint32_t)n;
    l->source_id = source_id;
    r->nxy += n;
    return GM_OK;
}

/* ---- ways split at shared coordinates ----------------------------------- */

gm_status gm__rways_add(gm_ctx *ctx, gm__rways *w, const double *x, const double *y, size_t n,
                        uint8_t rclass, uint16_t flags, uint16_t maxspeed_kmh, uint64_t source_id,
                        bool *added)
{
    *added = false;
    if (!gm__grow((void **)&w->xy, &w->xy_cap, 2 * (w->nxy + n), sizeof *w->xy) ||
        !gm__grow((void **)&w->ways, &w->cap, w->n + 1, sizeof *w->ways))
        return gm__err(ctx, GM_E_NOMEM, "out of memory reading road ways");
    double *d = w->xy + 2 * w->nxy;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i]))
            return GM_OK; /* a broken coordinate: the whole way is bad geometry */
        /* -0.0 and 0.0 are the same point but not the same bits. */
        double xi = x[i] == 0.0 ? 0.0 : x[i], yi = y[i] == 0.0 ? 0.0 : y[i];
        if (k && d[2 * k - 2] == xi && d[2 * k - 1] == yi)
            continue;
        d[2 * k] = xi;
        d[2 * k + 1] = yi;
        k++;
    }
    if (k < 2)
        return GM_OK;
    gm__rway *way = &w->ways[w->n++];
    way->off = w->nxy;
    way->n = k;
    way->rclass = rclass;
    way->flags = flags;
    way->maxspeed_kmh = maxspeed_kmh;
    way->source_id = source_id;
    w->nxy += k;
    *added = true;
    return GM_OK;
}

void gm__rways_free(gm__rways *w)
{
    if (!w)
        return;
    gm__free(w->ways);
    gm__free(w->xy);
    memset(w, 0, sizeof *w);
}

static uint64_t mix64(uint64_t z)
{
    /* splitmix64's finaliser: every input bit reaches every output bit. */
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t xy_hash(double x, double y)
{
    uint64_t a, b;
    memcpy(&a, &x, sizeof a);
    memcpy(&b, &y, sizeof b);
    return mix64(a ^ mix64(b));
}

#define NO_ID UINT32_MAX

gm_status gm__rways_build(gm__roads_build *b, const gm__rways *w, const gm__xform *xf,
                          const char *path, uint64_t progress_base)
{
    gm_ctx *ctx = b->ctx;
    gm_status st = GM_OK;
    size_t nv = w->nxy;
    uint32_t *table = NULL, *occ = NULL, *cnt = NULL, *nid = NULL;
    double *ux = NULL, *uy = NULL, *buf = NULL;
    size_t buf_cap = 0;

    if (nv >= NO_ID)
        return gm__err(ctx, GM_E_INPUT, "%s: more than %lu road vertices (clip the extract first)",
                       path, (unsigned long)(NO_ID - 1));
    size_t cap = 16;
    while (cap < 2 * nv)
        cap *= 2;
    table = gm__malloc(cap * sizeof *table);
    occ = gm__malloc((nv ? nv : 1) * sizeof *occ);
    cnt = gm__malloc((nv ? nv : 1) * sizeof *cnt);
    nid = gm__malloc((nv ? nv : 1) * sizeof *nid);
    ux = gm__malloc((nv ? nv : 1) * sizeof *ux);
    uy = gm__malloc((nv ? nv : 1) * sizeof *uy);
    if (!table || !occ || !cnt || !nid || !ux || !uy) {
        st = gm__err(ctx, GM_E_NOMEM, "%s: out of memory splitting road ways", path);
        goto cleanup;
    }
    memset(table, 0xff, cap * sizeof *table);

    /* 1. Distinct vertices and how often each is used.  Shared OSM nodes give
     * bit-identical coordinates, so equality of the two doubles is the node
     * identity GDAL's lines layer does not give us. */
    size_t nu = 0, mask = cap - 1;
    for (size_t i = 0; i < nv; i++) {
        double x = w->xy[2 * i], y = w->xy[2 * i + 1];
        size_t h = (size_t)xy_hash(x, y) & mask;
        for (;;) {
            uint32_t u = table[h];
            if (u == NO_ID) {
                u = (uint32_t)nu++;
                table[h] = u;
                ux[u] = x;
                uy[u] = y;
                cnt[u] = 0;
                nid[u] = NO_ID;
            }
            if (ux[u] == x && uy[u] == y) {
                if (cnt[u] < UINT32_MAX)
                    cnt[u]++;
                occ[i] = u;
                break;
            }
            h = (h + 1) & mask;
        }
    }
    b->r->stats.distinct_vertices = nu;
    gm__free(table);
    table = NULL;

    /* 2. Ends of ways are nodes too: mark them by making their count > 1. */
    for (size_t k = 0; k < w->n; k++) {
        const gm__rway *way = &w->ways[k];
        cnt[occ[way->off]] = UINT32_MAX;
        cnt[occ[way->off + way->n - 1]] = UINT32_MAX;
    }

    /* 3. Transform each distinct vertex once. */
    for (size_t u = 0; u < nu; u++) {
        double x = ux[u], y = uy[u];
        if (!gm__xform_point(xf, &x, &y)) {
            st = gm__err(ctx, GM_E_CRS,
                         "%s: a road vertex at (%.7f, %.7f) cannot be transformed to %s (is the "
                         "file's CRS right?)",
                         path, ux[u], uy[u], b->r->crs);
            goto cleanup;
        }
        ux[u] = x;
        uy[u] = y;
    }

    /* 4. Walk each way, cutting at nodes; node ids in order of first use. */
    uint64_t span = 1000 - progress_base;
    for (size_t k = 0; k < w->n; k++) {
        const gm__rway *way = &w->ways[k];
        if ((k & 4095) == 0 &&
            (st = gm__progress(ctx, progress_base + span * k / (w->n ? w->n : 1), 1000,
                               GM__ROADS_PROGRESS)) != GM_OK)
            goto cleanup;
        if (!gm__grow((void **)&buf, &buf_cap, 2 * way->n, sizeof *buf)) {
            st = gm__err(ctx, GM_E_NOMEM, "%s: out of memory splitting road ways", path);
            goto cleanup;
        }
        size_t nb = 0;
        uint32_t from = NO_ID;
        for (size_t j = 0; j < way->n; j++) {
            uint32_t u = occ[way->off + j];
            buf[2 * nb] = ux[u];
            buf[2 * nb + 1] = uy[u];
            nb++;
            if (cnt[u] < 2)
                continue;
            if (nid[u] == NO_ID && (st = gm__roads_add_node(b, ux[u], uy[u], &nid[u])) != GM_OK)
                goto cleanup;
            if (j > 0) {
                st = gm__roads_add_link(b, from, nid[u], buf, nb, way->rclass, way->flags,
                                        way->maxspeed_kmh, way->source_id);
                if (st != GM_OK)
                    goto cleanup;
                buf[0] = ux[u];
                buf[1] = uy[u];
                nb = 1;
            }
            from = nid[u];
        }
    }

cleanup:
    gm__free(table);
    gm__free(occ);
    gm__free(cnt);
    gm__free(nid);
    gm__free(ux);
    gm__free(uy);
    gm__free(buf);
    return st;
}

/* ---- dispatch ----------------------------------------------------------- */

static bool is_osopen_link_layer(const char *name)
{
    /* road_link (GeoPackage), RoadLink, and the per-tile shapefiles SK_RoadLink. */
    return gm__roads_streq_ci(name, "road_link") || gm__roads_ends_with_ci(name, "roadlink");
}

/* The Geofabrik roads layer: by name, or any line layer with an fclass field. */
static OGRLayerH find_geofabrik_layer(GDALDatasetH ds)
{
    int n = GDALDatasetGetLayerCount(ds);
    for (int i = 0; i < n; i++) {
        OGRLayerH l = GDALDatasetGetLayer(ds, i);
        if (gm__roads_streq_ci(OGR_L_GetName(l), "gis_osm_roads_free_1"))
            return l;
    }
    for (int i = 0; i < n; i++) {
        OGRLayerH l = GDALDatasetGetLayer(ds, i);
        OGRFeatureDefnH d = OGR_L_GetLayerDefn(l);
        OGRwkbGeometryType t = wkbFlatten(OGR_L_GetGeomType(l));
        if ((t == wkbLineString || t == wkbMultiLineString) && OGR_FD_GetFieldIndex(d, "fclass") >= 0)
            return l;
    }
    return NULL;
}

static gm_status read_ogr(gm_ctx *ctx, const char *path, gm__roads *r)
{
    gm_status st = GM_OK;
    gm__gdal_capture cap;
    GDALDatasetH ds = NULL;
    char *vpath = NULL;
    const char *open_path = path;
    if (strncmp(path, "/vsi", 4) != 0 && gm__roads_ends_with_ci(path, ".zip")) {
        if (!(vpath = gm__asprintf("/vsizip/%s", path)))
            return gm__err(ctx, GM_E_NOMEM, "out of memory opening %s", path);
        open_path = vpath;
    }

    GDALAllRegister(); /* idempotent; cheap next to reading a road network */
    gm__gdal_begin(&cap, ctx, path);
    ds = GDALOpenEx(open_path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    gm__gdal_end();
    if (!ds) {
        st = gm__err(ctx, GM_E_INPUT,
                     "%s: not a road file GDAL can read (%s); roads must be OS Open Roads "
                     "(GeoPackage or RoadLink shapefiles), OpenStreetMap (.osm.pbf) or Geofabrik "
                     "shapefiles (gis_osm_roads_free_1, or the .shp.zip)",
                     path, cap.msg[0] ? cap.msg : "no driver recognises it");
        goto cleanup;
    }

    int n = GDALDatasetGetLayerCount(ds);
    for (int i = 0; i < n; i++) {
        if (is_osopen_link_layer(OGR_L_GetName(GDALDatasetGetLayer(ds, i)))) {
            snprintf(r->source, sizeof r->source, "os_open_roads");
            st = gm__roads_read_osopen(ctx, path, ds, r);
            goto cleanup;
        }
    }
    OGRLayerH gf = find_geofabrik_layer(ds);
    if (gf) {
        snprintf(r->source, sizeof r->source, "geofabrik_shp");
        st = gm__roads_read_geofabrik(ctx, path, ds, gf, r);
        goto cleanup;
    }
    char names[1024];
    gm__gdal_layer_list(ds, names, sizeof names);
    st = gm__err(ctx, GM_E_INPUT,
                 "%s: no road layer found (it has: %s); expected road_link (OS Open Roads "
                 "GeoPackage), *RoadLink (OS Open Roads shapefiles) or gis_osm_roads_free_1 "
                 "(Geofabrik shapefiles); OpenStreetMap files must end in .osm.pbf or .osm",
                 path, names[0] ? names : "no layers");

cleanup:
    if (ds) {
        gm__gdal_begin(&cap, ctx, path);
        GDALClose(ds);
        gm__gdal_end();
    }
    gm__free(vpath);
    return st;
}

gm_status gm__roads_load(gm_ctx *ctx, const char *path, gm__roads **out)
{
    return gm__roads_load_to(ctx, path, NULL, out);
}

gm_status gm__roads_load_to(gm_ctx *ctx, const char *path, const char *crs, gm__roads **out)
{
    if (crs && strlen(crs) >= sizeof((gm__roads *)0)->crs)
        return gm__err(ctx, GM_E_ARG, "road CRS name too long: %s", crs);
    if (!path || !*path || !out)
        return gm__err(ctx, GM_E_ARG, "no road file given");
    /* GDAL's virtual paths (/vsizip/...) are left for GDAL to judge. */
    struct stat sb;
    if (strncmp(path, "/vsi", 4) != 0 && stat(path, &sb) != 0)
        return gm__err(ctx, GM_E_NOT_FOUND,
                       "%s: road file not found (check the path in the config; paths are relative "
                       "to the config file)",
                       path);

    gm__roads *r = gm__calloc(1, sizeof *r);
    if (!r)
        return gm__err(ctx, GM_E_NOMEM, "out of memory reading roads");
    snprintf(r->crs, sizeof r->crs, "%s", crs ? crs : GM__WORKING_CRS);
    gm_status st = gm__progress(ctx, 0, 1000, GM__ROADS_PROGRESS);
    if (st != GM_OK)
        goto cleanup;
    if (gm__roads_ends_with_ci(path, ".pbf") || gm__roads_ends_with_ci(path, ".osm")) {
        snprintf(r->source, sizeof r->source, "%s",
                 gm__roads_ends_with_ci(path, ".pbf") ? "osm_pbf" : "osm_xml");
        st = gm__roads_read_osm(ctx, path, r);
    } else {
        st = read_ogr(ctx, path, r);
    }
    if (st != GM_OK)
        goto cleanup;
    if (r->nlinks == 0) {
        st = gm__err(ctx, GM_E_INPUT,
                     "%s: no usable roads (%llu features read, %llu not roads, %llu with bad "
                     "geometry)",
                     path, (unsigned long long)r->stats.features_read,
                     (unsigned long long)r->stats.skipped_not_road,
                     (unsigned long long)r->stats.skipped_bad_geometry);
        goto cleanup;
    }
    r->stats.links = r->nlinks;
    if ((st = gm__progress(ctx, 1000, 1000, GM__ROADS_PROGRESS)) != GM_OK)
        goto cleanup;
    gm__log(ctx, GM_LOG_INFO,
            "%s: %zu road links, %zu nodes from %llu features (%llu not roads, %llu bad geometry)",
            path, r->nlinks, r->nnodes, (unsigned long long)r->stats.features_read,
            (unsigned long long)r->stats.skipped_not_road,
            (unsigned long long)r->stats.skipped_bad_geometry);
    *out = r;
    r = NULL;

cleanup:
    gm__roads_free(r);
    return st;
}

void gm__roads_free(gm__roads *r)
{
    if (!r)
        return;
    gm__free(r->links);
    gm__free(r->node_x);
    gm__free(r->node_y);
    gm__free(r->xy);
    gm__free(r);
}
