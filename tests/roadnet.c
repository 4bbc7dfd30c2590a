/* Hand-made road networks for the network tests: see roadnet.h. */
#include "roadnet.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

net *net_new(size_t capn, size_t capl, size_t capv)
{
    net *n = calloc(1, sizeof *n);
    n->capn = capn;
    n->capl = capl;
    n->capv = capv;
    n->links = calloc(capl, sizeof *n->links);
    n->nx = calloc(capn, sizeof(double));
    n->ny = calloc(capn, sizeof(double));
    n->xy = calloc(2 * capv, sizeof(double));
    n->roads.links = n->links;
    n->roads.node_x = n->nx;
    n->roads.node_y = n->ny;
    n->roads.xy = n->xy;
    strcpy(n->roads.source, "test");
    return n;
}

void net_free(net *n)
{
    free(n->links);
    free(n->nx);
    free(n->ny);
    free(n->xy);
    free(n);
}

uint32_t net_node(net *n, double x, double y)
{
    cr_assert_lt(n->roads.nnodes, n->capn);
    n->nx[n->roads.nnodes] = x;
    n->ny[n->roads.nnodes] = y;
    return (uint32_t)n->roads.nnodes++;
}

static void vertex(net *n, double x, double y)
{
    cr_assert_lt(n->roads.nxy, n->capv);
    n->xy[2 * n->roads.nxy] = x;
    n->xy[2 * n->roads.nxy + 1] = y;
    n->roads.nxy++;
}

uint32_t net_link_v(net *n, uint32_t a, uint32_t b, uint8_t rc, uint16_t flags, const double *mid,
                       size_t nmid)
{
    cr_assert_lt(n->roads.nlinks, n->capl);
    gm__road_link *l = &n->links[n->roads.nlinks];
    l->from = a;
    l->to = b;
    l->rclass = rc;
    l->flags = flags;
    l->geom_off = (uint32_t)n->roads.nxy;
    vertex(n, n->nx[a], n->ny[a]);
    for (size_t k = 0; k < nmid; k++)
        vertex(n, mid[2 * k], mid[2 * k + 1]);
    vertex(n, n->nx[b], n->ny[b]);
    l->geom_n = (uint32_t)(nmid + 2);
    double len = 0;
    for (uint32_t k = 0; k + 1 < l->geom_n; k++) {
        const double *p = &n->xy[2 * (l->geom_off + k)];
        len += sqrt((p[2] - p[0]) * (p[2] - p[0]) + (p[3] - p[1]) * (p[3] - p[1]));
    }
    l->length_m = (float)len;
    return (uint32_t)n->roads.nlinks++;
}

uint32_t net_link(net *n, uint32_t a, uint32_t b, uint8_t rc, uint16_t flags)
{
    return net_link_v(n, a, b, rc, flags, NULL, 0);
}

void net_profile(gm__mode mode, bool flat, gm__profile *p)
{
    gm__profile_default(mode, p);
    if (flat)
        for (int c = 0; c < GM__RC_COUNT; c++)
            if (p->speed_kmh[c] > 0)
                p->speed_kmh[c] = 36.0f;
}
