/*
 * Geometric tolerances and plausibility limits, in one place so that every
 * module agrees on them.  Working CRS units are metres (EPSG:27700).
 */
#ifndef GM_ENGINE_GEO_TOLERANCE_H
#define GM_ENGINE_GEO_TOLERANCE_H

#include <stdbool.h>

/* The extent of British National Grid with a margin: the OS grid covers
 * 0..700000 E, 0..1300000 N (Great Britain and its islands); points outside
 * this box are typing errors or swapped axes, not places in Britain. */
#define GM__GB_MIN_E (-10000.0)
#define GM__GB_MAX_E 800000.0
#define GM__GB_MIN_N (-10000.0)
#define GM__GB_MAX_N 1300000.0

static inline bool gm__in_gb(double e, double n)
{
    return e >= GM__GB_MIN_E && e <= GM__GB_MAX_E && n >= GM__GB_MIN_N && n <= GM__GB_MAX_N;
}

#endif
