/*
 * The travel matrix: time and distance from every customer to every provider
 * site for one mode, dense, for the customer and site counts of a county
 * (see reach.h for the searches behind it and for national-scale work, where
 * a dense matrix does not fit and a sink keeps only what is needed).
 */
#ifndef GM_ENGINE_NETWORK_MATRIX_H
#define GM_ENGINE_NETWORK_MATRIX_H

#include "reach.h"

typedef struct gm__matrix {
    gm__mode mode;
    size_t ncust, nsites;
    float *time_s;    /* ncust * nsites, row-major by customer; INFINITY when unreachable or beyond cutoff */
    float *dist_m;    /* same layout */
    uint64_t reached; /* finite cells */
} gm__matrix;

typedef gm__reach_opts gm__matrix_opts;

/* Compute the matrix with gm__reach_run (arguments and results as there; a
 * customer not reached from a site has INFINITY in that cell).  The caller
 * owns *out (gm__matrix_free), untouched on error.  Progress is reported as
 * "Travel times (<mode>)".  Errors: as gm__reach_run; GM_E_NOMEM also when
 * ncust x nsites cells do not fit in memory. */
gm_status gm__matrix_compute(gm_ctx *ctx, const gm__roads *roads, const gm__graph *g,
                             const gm__graph *rev, const gm__join *cjoin, size_t ncust,
                             const gm__join *sjoin, size_t nsites, const gm__matrix_opts *opts,
                             gm__matrix **out);
void gm__matrix_free(gm__matrix *m);

#endif
