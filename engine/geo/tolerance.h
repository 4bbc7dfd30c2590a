/*
 * Geometric tolerances and plausibility limits, in one place so that every
 * module agrees on them.  Working CRS units are metres (EPSG:27700).
 */
#ifndef GM_ENGINE_GEO_TOLERANCE_H
#define GM_ENGINE_GEO_TOLERANCE_H

#include <stdbool.h>

/* Plausible working-CRS box for Great Britain and Northern Ireland in BNG
 * metres: the OS National Grid covers 0..700000 E, 0..1300000 N (OS "A guide
 * to coordinate systems in Great Britain"); the Scillies are at about 8800 N,
 * Unst at 1220000 N, and Northern Ireland's west end (8.18 W) at about -400 E
 * (cs2cs EPSG:4326 -> EPSG:27700), so the box leaves 10 km to spare.  Anything
 * outside is a wrong column mapping or a wrong CRS, not a place in Britain. */
#define GM__GB_MIN_E (-10000.0)
#define GM__GB_MAX_E 800000.0
#define GM__GB_MIN_N (-10000.0)
#define GM__GB_MAX_N 1300000.0

static inline bool gm__in_gb(double e, double n)
{
    return e >= GM__GB_MIN_E && e <= GM__GB_MAX_E && n >= GM__GB_MIN_N && n <= GM__GB_MAX_N;
}

/* Shortest length given to a road link when it becomes a routing arc, in
 * metres.  Sources carry zero-length links (OSM ways split at duplicated
 * vertices, OS links between coincident nodes); the graph promises time_s > 0
 * and dist_m > 0 on every arc so that labels never decrease along a path and a
 * zero-cost cycle cannot make a parent pointer loop.  1 cm is far below the
 * positional accuracy of any source (OS Open Roads: about 1 m), so no real
 * journey changes, yet a float distance label still grows by it up to
 * 262,144 m (2^18 m, where the float spacing becomes 3.1 cm and 1 cm rounds
 * away). */
#define GM__MIN_LINK_M 0.01

#endif
