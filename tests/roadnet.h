/*
 * Hand-made road networks for the network tests (snap, matrix): nodes with
 * coordinates, links with their geometry (node, interior vertices, node) and
 * the length measured on it, filled into a gm__roads as the readers would.
 */
#ifndef GM_TEST_ROADNET_H
#define GM_TEST_ROADNET_H

#include "network/graph.h"

#define CAR2 (GM__RF_CAR_FWD | GM__RF_CAR_BWD)
#define CYC2 (GM__RF_CYCLE_FWD | GM__RF_CYCLE_BWD)
#define ALL (CAR2 | GM__RF_WALK | CYC2)
#define RES GM__RC_RESIDENTIAL

typedef struct net {
    size_t capn, capl, capv;
    gm__road_link *links;
    double *nx, *ny, *xy;
    gm__roads roads;
} net;

net *net_new(size_t capn, size_t capl, size_t capv);
void net_free(net *n);
uint32_t net_node(net *n, double x, double y);
/* Link a -> b through nmid interior vertices mid[2 * k], mid[2 * k + 1]. */
uint32_t net_link_v(net *n, uint32_t a, uint32_t b, uint8_t rc, uint16_t flags, const double *mid,
                    size_t nmid);
uint32_t net_link(net *n, uint32_t a, uint32_t b, uint8_t rc, uint16_t flags);
/* The mode's default profile; flat: every usable class at 36 km/h. */
void net_profile(gm__mode mode, bool flat, gm__profile *p);

#endif
