/* E2SFCA and maximum placement: see access.h. */
#include "access.h"

#include <math.h>

double gm__decay_gauss(double t, double d0)
{
    if (!(t < d0) || !(d0 > 0))
        return 0;
    double z = t / d0, e = exp(-0.5);
    return (exp(-0.5 * z * z) - e) / (1 - e);
}

gm_status gm__e2sfca(gm_ctx *ctx, const float *dt, const double *dem, size_t nd, const double *cap,
                     size_t ns, const float *pt, size_t np, double d0, double *out)
{
    if (!(d0 > 0))
        return gm__err(ctx, GM_E_ARG, "access index: the catchment size must be above 0 (got %g s)", d0);
    double *R = gm__calloc(ns ? ns : 1, sizeof *R);
    if (!R)
        return gm__err(ctx, GM_E_NOMEM, "out of memory computing the access index");
    for (size_t s = 0; s < ns; s++) {
        double d = 0;
        for (size_t i = 0; i < nd; i++)
            d += gm__decay_gauss(dt[i * ns + s], d0) * (dem ? dem[i] : 1.0);
        double c = cap[s] > 0 ? cap[s] : 0;
        R[s] = d > 0 ? c / d : 0;
    }
    for (size_t p = 0; p < np; p++) {
        double a = 0;
        for (size_t s = 0; s < ns; s++)
            a += gm__decay_gauss(pt[p * ns + s], d0) * R[s];
        out[p] = a;
    }
    gm__free(R);
    return GM_OK;
}

typedef struct flow {
    size_t ns;
    gm__eligible_fn ok;
    void *arg;
    int32_t *at;        /* customer -> site or -1 */
    uint32_t **holds;   /* site -> customers placed there */
    uint32_t *nheld;
    const uint32_t *cap;
    uint32_t *seen;     /* site -> round last visited */
    uint32_t round;
} flow;

/* Kuhn's augmenting path with capacities: place c at a site with room, or at
 * a full one whose occupant can move on.  The depth is bounded by the number
 * of sites, since each is visited once a round. */
static bool augment(flow *f, size_t c)
{
    for (size_t s = 0; s < f->ns; s++) {
        if (f->seen[s] == f->round || !f->ok(f->arg, c, s))
            continue;
        f->seen[s] = f->round;
        if (f->nheld[s] < f->cap[s]) {
            f->holds[s][f->nheld[s]++] = (uint32_t)c;
            f->at[c] = (int32_t)s;
            return true;
        }
        for (uint32_t k = 0; k < f->nheld[s]; k++) {
            if (augment(f, f->holds[s][k])) {
                f->holds[s][k] = (uint32_t)c; /* the occupant moved on: c takes its place */
                f->at[c] = (int32_t)s;
                return true;
            }
        }
    }
    return false;
}

gm_status gm__place_max(gm_ctx *ctx, size_t nc, size_t ns, const uint32_t *cap, gm__eligible_fn ok,
                        void *arg, int32_t *at, size_t *placed)
{
    flow f = {ns, ok, arg, at, NULL, NULL, cap, NULL, 0};
    size_t n = ns ? ns : 1;
    f.holds = gm__calloc(n, sizeof *f.holds);
    f.nheld = gm__calloc(n, sizeof *f.nheld);
    f.seen = gm__calloc(n, sizeof *f.seen);
    bool good = f.holds && f.nheld && f.seen;
    for (size_t s = 0; good && s < ns; s++)
        good = (f.holds[s] = gm__malloc((cap[s] ? cap[s] : 1) * sizeof **f.holds)) != NULL;
    *placed = 0;
    for (size_t c = 0; good && c < nc; c++) {
        at[c] = -1;
        f.round++;
        *placed += augment(&f, c);
    }
    for (size_t s = 0; f.holds && s < ns; s++)
        gm__free(f.holds[s]);
    gm__free(f.holds);
    gm__free(f.nheld);
    gm__free(f.seen);
    return good ? GM_OK : gm__err(ctx, GM_E_NOMEM, "out of memory placing %zu customers", nc);
}
