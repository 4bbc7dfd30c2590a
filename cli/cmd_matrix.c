/* gapmap matrix CONFIG: travel times and distances for every customer-site
 * pair and mode, without the map layers. */
#include "cli.h"

/* Same options, in the same order, as gapmap run: cli_run_stages reads them by position. */
static const cli_opt MATRIX_OPTS[] = {
    {"output", 'o', "DIR", "write outputs to DIR instead of the config's [run] output"},
    {"quiet", 'q', NULL, "no progress or information lines; errors and warnings only"},
};

const cli_cmd CMD_MATRIX = {
    "matrix",
    "CONFIG [--output DIR] [--quiet]",
    "Compute travel times and distances from every customer to every provider site\n"
    "for each mode in [travel] modes, on the road network named in [roads].",
    "Writes matrix.csv (customer_id, site_id, mode, time_s, dist_m, customer_join_m,\n"
    "site_join_m: every pair; time_s blank when no journey is found within\n"
    "cutoff_minutes), nearest.csv (each customer's nearest sites by mode), rejects.csv\n"
    "and manifest.json. Example: gapmap matrix geodata/examplshire.ini -o out",
    MATRIX_OPTS,
    sizeof MATRIX_OPTS / sizeof *MATRIX_OPTS,
    cmd_matrix,
};

int cmd_matrix(const cli_cmd *cmd, int argc, char **argv)
{
    return cli_run_stages(cmd, argc, argv, GM_STAGE_TRAVEL);
}
