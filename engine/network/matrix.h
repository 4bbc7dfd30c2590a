/*
 * The travel matrix: time and distance from every customer to every provider
 * site for one mode.  One search per site on the reversed graph (the journey
 * is customer -> site, and one-way streets matter), reaching every node within
 * the cut-off; each customer then reads its answer off the labels at its
 * join's seed nodes.  Cost grows with sites, not pairs.  Searches run on
 * worker threads (one gm__search each); results are identical whatever the
 * thread count.
 *
 * A journey's time = customer's join leg (walk) + partial link + network path +
 * partial link + site's join leg (walk).  A customer and site joined to the
 * same link also get the direct along-link path when it is allowed.
 */
#ifndef GM_ENGINE_NETWORK_MATRIX_H
#define GM_ENGINE_NETWORK_MATRIX_H

#include "snap.h"

typedef struct gm__matrix {
    gm__mode mode;
    size_t ncust, nsites;
    float *time_s;    /* ncust * nsites, row-major by customer; INFINITY when unreachable or beyond cutoff */
    float *dist_m;    /* same layout */
} gm__matrix;

typedef struct gm__matrix_opts {
    float cutoff_s;        /* INFINITY for none */
    float walk_speed_kmh;  /* for join legs (default 4.8) */
    int threads;           /* 0 = number of online CPUs */
} gm__matrix_opts;

/* Compute the matrix.  cjoin/sjoin are the joins of customers and sites (a
 * join with ok == false, or isolated, gives an all-INFINITY row/column), made
 * on g's snap index; g is the forward graph of roads and rev its
 * gm__graph_reverse.  All inputs are borrowed; the caller owns *out
 * (gm__matrix_free), untouched on error.  opts may be NULL (no cutoff,
 * 4.8 km/h, all CPUs); a NaN cutoff means none, the cutoff is inclusive.
 * Progress is reported as "Travel times (<mode>)" per site, from the calling
 * thread, and can cancel (workers finish the site in hand, then stop).
 * Errors: GM_E_ARG (g/rev not a forward graph of roads and its reverse),
 * GM_E_NOMEM, GM_E_CANCELLED. */
gm_status gm__matrix_compute(gm_ctx *ctx, const gm__roads *roads, const gm__graph *g,
                             const gm__graph *rev, const gm__join *cjoin, size_t ncust,
                             const gm__join *sjoin, size_t nsites, const gm__matrix_opts *opts,
                             gm__matrix **out);
void gm__matrix_free(gm__matrix *m);

#endif
