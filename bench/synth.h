/*
 * Synthetic national-scale inputs for the benchmarks, made in memory: a road
 * grid the size of Great Britain's OS Open Roads as a gm__roads (no reader),
 * and helpers shared by the benchmark programs.  See bench/README.md.
 *
 * The grid: side x side nodes at SYNTH_SPACING_M (2000 x 2000 = 4,000,000
 * nodes, ~8,000,000 links, 480 x 480 km, about the area of Great Britain at
 * the density the national target assumes).  Every 200th grid line is a
 * motorway (car only), every 40th a primary road, every 10th a secondary
 * road; the rest are tertiary (20%), unclassified (30%) or residential (50%)
 * by a hash of the link; links are 0-24% longer than the spacing (bends); 8%
 * of local links are one-way, and 10% of residential links carry a 20 mph
 * (32 km/h) limit.  Node ids are row-major unless shuffle permutes them, as
 * ids in reader order (OSM way order) would be.  Link geometry is a straight
 * two-vertex line (the snap index and catchments need one; the graph does
 * not read it).
 */
#ifndef GM_BENCH_SYNTH_H
#define GM_BENCH_SYNTH_H

#include "network/roads.h"

#define SYNTH_SPACING_M 240.0

/* splitmix64 (Vigna, public domain): a deterministic hash. */
uint64_t synth_mix(uint64_t x);
double synth_now_s(void);   /* CLOCK_MONOTONIC */
double synth_cpu_s(void);   /* this thread's CPU time */
double synth_peak_rss_mb(void);

/* The grid; exits with a message when memory runs out. */
gm__roads *synth_roads(uint32_t side, bool shuffle);
void synth_roads_free(gm__roads *r);

#endif
