/*
 * Reach: for every provider site, the customers (any joined points) from which
 * the site can be reached within the cut-off, with the time and distance of
 * the journey customer -> site.  One search per site on the reversed graph
 * (one-way streets matter: the journey is towards the site); the customers are
 * then found from the nodes that search settled, through an index from graph
 * nodes to the customers seeded there, so a site costs its search plus the
 * customers it reaches, never a sweep over all customers.  That is what lets
 * the cut-off bound the work at national scale (docs/travel.md).
 *
 * A journey's time = customer's join leg (walk) + partial link + network path +
 * partial link + site's join leg (walk).  A customer and site joined to the
 * same link also get the direct along-link path when it is allowed.  The
 * result of a site is handed to a sink; what the sink keeps (a dense matrix, a
 * nearest-N list, counts) is its business.
 */
#ifndef GM_ENGINE_NETWORK_REACH_H
#define GM_ENGINE_NETWORK_REACH_H

#include "snap.h"

/* One reached customer of a site. */
typedef struct gm__reach_cell {
    uint32_t cust;  /* index into the customers' joins */
    float time_s;   /* <= cutoff, finite */
    float dist_m;   /* of the fastest journey (ties in time to the shorter) */
} gm__reach_cell;

typedef struct gm__reach_opts {
    float cutoff_s;        /* INFINITY (or NaN) for none; inclusive */
    float walk_speed_kmh;  /* for join legs (default 4.8) */
    int threads;           /* 0 = number of online CPUs */
} gm__reach_opts;

/* Called once per site, on a worker thread (several sinks run at once, for
 * different sites): cells are the reached customers in no particular order,
 * each customer at most once; they are valid for the call only.  worker is
 * 0..nworkers-1, so a sink may keep per-thread state without locks.  A sink
 * must not call the gm__ allocation functions (their fault-injection counters
 * are not thread-safe): allocate before the run. */
typedef void (*gm__reach_sink)(void *arg, size_t site, const gm__reach_cell *cells, size_t n,
                               size_t worker);

/* The number of worker threads gm__reach_run will use for opts and nsites
 * (for sinks that keep per-thread state). */
size_t gm__reach_workers(const gm__reach_opts *opts, size_t nsites);

/* Run every site.  cjoin/sjoin are the joins of customers and sites (a join
 * with ok == false, or isolated, reaches / is reached by nothing), made on g's
 * snap index; g is the forward graph of roads and rev its gm__graph_reverse.
 * All inputs are borrowed.  opts may be NULL (no cutoff, 4.8 km/h, all CPUs).
 * Results do not depend on the thread count or the order sites are taken.
 * Progress is reported under label per site, from the calling thread, and can
 * cancel (workers finish the site in hand, then stop).
 * Errors: GM_E_ARG (g/rev not a forward graph of roads and its reverse, or
 * more customers than 32-bit ids hold), GM_E_NOMEM, GM_E_CANCELLED. */
gm_status gm__reach_run(gm_ctx *ctx, const gm__roads *roads, const gm__graph *g, const gm__graph *rev,
                        const gm__join *cjoin, size_t ncust, const gm__join *sjoin, size_t nsites,
                        const gm__reach_opts *opts, const char *label, gm__reach_sink sink, void *arg);

#endif
