/*
 * gapmap.h: the umbrella header.  Include this; it pulls in every public area.
 */
#ifndef GAPMAP_GAPMAP_H
#define GAPMAP_GAPMAP_H

#include "gapmap/core.h"
#include "gapmap/config.h"
#include "gapmap/geocode.h"
#include "gapmap/inputs.h"
#include "gapmap/run.h"

#endif
