/* gapmap run CONFIG: the whole batch job on a council's files. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>

static const cli_opt RUN_OPTS[] = {
    {"output", 'o', "DIR", "write outputs to DIR instead of the config's [run] output"},
    {"quiet", 'q', NULL, "no progress or information lines; errors and warnings only"},
};

enum { OPT_OUTPUT, OPT_QUIET, OPT_COUNT };

const cli_cmd CMD_RUN = {
    "run",
    "CONFIG [--output DIR] [--quiet]",
    "Run the whole job described by CONFIG (an INI file): read the postcode directory,\n"
    "locate customers and provider sites, build the travel networks and the travel\n"
    "matrix (when CONFIG names [roads]), map coverage, catchments and gaps (with a\n"
    "[coverage] section), check every placement's journey against the travel goals,\n"
    "rank the suitable providers of each placement, and write the output folder.",
    "Paths in CONFIG are relative to CONFIG's folder. Rows that cannot be used are\n"
    "listed with their reason in rejects.csv; manifest.json reconciles the counts.\n"
    "Example: gapmap run geodata/examplshire.ini --output out",
    RUN_OPTS,
    OPT_COUNT,
    cmd_run,
};

void cli_print_summary(const gm_run_summary *s, const char *out)
{
    printf("Customers: %llu of %llu rows located", (unsigned long long)s->customers.located,
           (unsigned long long)s->customers.rows);
    if (s->customers.rejected)
        printf(", %llu rejected", (unsigned long long)s->customers.rejected);
    if (s->customers.warnings)
        printf(", %llu with warnings", (unsigned long long)s->customers.warnings);
    printf(".\nProvider sites: %llu of %llu rows located (%zu providers)",
           (unsigned long long)s->sites.located, (unsigned long long)s->sites.rows, s->providers);
    if (s->sites.rejected)
        printf(", %llu rejected", (unsigned long long)s->sites.rejected);
    if (s->sites.warnings)
        printf(", %llu with warnings", (unsigned long long)s->sites.warnings);
    printf(".\nPostcode directory: %llu postcodes loaded.\n", (unsigned long long)s->postcodes.loaded);
    if (s->modes) {
        static const char *const names[] = {"car", "walk", "walk_slow", "cycle", "bus"};
        printf("Travel times (");
        for (int m = 0, first = 1; m < 5; m++) {
            if (s->modes & (1u << m)) {
                printf("%s%s", first ? "" : ", ", names[m]);
                first = 0;
            }
        }
        printf("): %llu of %llu customer-site journeys found within the cut-off.\n",
               (unsigned long long)s->matrix_reached, (unsigned long long)s->matrix_pairs);
    }
    static const char *const mode_names[] = {"car", "walk", "walk_slow", "cycle", "bus"};
    if (s->coverage) {
        /* one line per mode: the share of customers within each threshold */
        for (size_t i = 0; i < s->nwithin; i++) {
            unsigned m = s->within[i].mode < 5 ? s->within[i].mode : 0;
            bool first = i == 0 || s->within[i - 1].mode != s->within[i].mode;
            bool last = i + 1 == s->nwithin || s->within[i + 1].mode != s->within[i].mode;
            if (first)
                printf("Coverage by %s: customers with a suitable site within ", mode_names[m]);
            printf("%g min %.1f%%%s", s->within[i].minutes, s->within[i].pct, last ? ".\n" : ", ");
        }
        printf("Gaps: %zu of %zu zones underserved (judged at %g min by %s), merged into %zu gap area%s "
               "(ranked in shareable/gaps.csv).\n",
               s->underserved_zones, s->zones, s->gap_minutes, mode_names[s->gap_mode < 5 ? s->gap_mode : 0],
               s->gap_areas, s->gap_areas == 1 ? "" : "s");
    }
    if (s->journeys)
        printf("Journeys: %zu current placements checked against the travel goals, %zu flagged for review "
               "(restricted/journeys_review.csv).\n",
               s->journeys, s->journeys_flagged);
    printf("Outputs: %zu files in %s/: open gapmap.qgs in QGIS%s. shareable/ holds figures fit to share (small "
           "counts withheld); restricted/ holds personal data, readable by you alone.\n",
           s->files_written, out, s->coverage || s->journeys ? " and shareable/report.html in a browser" : "");
    if (s->reject_rows || s->warning_rows)
        printf("Rejected rows: %llu, with %llu warnings; each is listed with its reason in "
               "%s/restricted/rejects.csv.\n",
               (unsigned long long)s->reject_rows, (unsigned long long)s->warning_rows, out);
}

int cli_run_stages(const cli_cmd *cmd, int argc, char **argv, unsigned stages)
{
    const char *val[OPT_COUNT];
    const char *pos[1];
    int npos;
    int rc = cli_parse(cmd, argc, argv, val, pos, 1, &npos);
    if (rc)
        return rc < 0 ? GM_EXIT_OK : rc;
    if (npos != 1) {
        cli_error("no configuration file given — usage: gapmap run CONFIG (try 'gapmap run "
                  "geodata/examplshire.ini')");
        return GM_EXIT_USAGE;
    }
    gm_ctx *ctx = NULL;
    gm_config *cfg = NULL;
    cli_progress *prog = NULL;
    gm_status st = gm_ctx_new(&ctx);
    if (st != GM_OK) {
        cli_error("out of memory");
        return GM_EXIT_FAILURE;
    }
    prog = cli_progress_attach(ctx, val[OPT_QUIET] != NULL);
    if ((st = gm_config_load(ctx, pos[0], &cfg)) == GM_OK && val[OPT_OUTPUT])
        st = gm_config_set_output(ctx, cfg, val[OPT_OUTPUT]);
    gm_run_summary sum;
    if (st == GM_OK)
        st = gm_run_stages(ctx, cfg, stages, &sum);
    cli_progress_done(prog);
    if (st != GM_OK)
        cli_error("%s", gm_ctx_errmsg(ctx)[0] ? gm_ctx_errmsg(ctx) : gm_status_str(st));
    else if (!val[OPT_QUIET])
        cli_print_summary(&sum, gm_config_get_output(cfg));
    rc = cli_exit_code(st);
    gm_config_free(cfg);
    gm_ctx_free(ctx);
    return rc;
}

int cmd_run(const cli_cmd *cmd, int argc, char **argv)
{
    return cli_run_stages(cmd, argc, argv, GM_STAGE_ALL);
}
