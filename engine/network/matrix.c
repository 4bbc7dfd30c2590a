/*
 * The dense travel matrix: a gm__reach sink writing the column of each site.
 * Workers write different columns, so no two threads write the same cell.
 */
#include "matrix.h"

#include <math.h>
#include <stdio.h>

typedef struct dense {
    gm__matrix *m;
    uint64_t *reached; /* per worker */
} dense;

static void dense_sink(void *arg, size_t site, const gm__reach_cell *cells, size_t n, size_t worker)
{
    dense *d = arg;
    gm__matrix *m = d->m;
    for (size_t i = 0; i < n; i++) {
        size_t k = (size_t)cells[i].cust * m->nsites + site;
        m->time_s[k] = cells[i].time_s;
        m->dist_m[k] = cells[i].dist_m;
    }
    d->reached[worker] += n;
}

void gm__matrix_free(gm__matrix *m)
{
    if (!m)
        return;
    gm__free(m->time_s);
    gm__free(m->dist_m);
    gm__free(m);
}

gm_status gm__matrix_compute(gm_ctx *ctx, const gm__roads *roads, const gm__graph *g,
                             const gm__graph *rev, const gm__join *cjoin, size_t ncust,
                             const gm__join *sjoin, size_t nsites, const gm__matrix_opts *opts,
                             gm__matrix **out)
{
    if (nsites && ncust > SIZE_MAX / sizeof(float) / nsites)
        return gm__err(ctx, GM_E_NOMEM, "travel matrix: %zu customers x %zu sites is too large",
                       ncust, nsites);
    size_t cells = ncust * nsites, nw = gm__reach_workers(opts, nsites);
    gm__matrix *m = gm__calloc(1, sizeof *m);
    dense d = {m, gm__calloc(nw, sizeof *d.reached)};
    if (m) {
        m->mode = g->mode;
        m->ncust = ncust;
        m->nsites = nsites;
        m->time_s = gm__malloc((cells ? cells : 1) * sizeof *m->time_s);
        m->dist_m = gm__malloc((cells ? cells : 1) * sizeof *m->dist_m);
    }
    if (!m || !d.reached || !m->time_s || !m->dist_m) {
        gm__matrix_free(m);
        gm__free(d.reached);
        return gm__err(ctx, GM_E_NOMEM, "out of memory for the %s travel matrix of %zu customers x %zu sites",
                       gm__mode_name(g->mode), ncust, nsites);
    }
    for (size_t k = 0; k < cells; k++)
        m->time_s[k] = m->dist_m[k] = INFINITY;
    char label[64];
    snprintf(label, sizeof label, "Travel times (%s)", gm__mode_name(g->mode));
    gm_status st = gm__reach_run(ctx, roads, g, rev, cjoin, ncust, sjoin, nsites, opts, label, dense_sink, &d);
    for (size_t i = 0; i < nw; i++)
        m->reached += d.reached[i];
    gm__free(d.reached);
    if (st != GM_OK) {
        gm__matrix_free(m);
        return st;
    }
    *out = m;
    return GM_OK;
}
