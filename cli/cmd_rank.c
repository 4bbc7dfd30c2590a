/* gapmap rank CONFIG: the ranked shortlist of suitable providers for each
 * placement, the assignment of everyone at once, and spend. */
#include "cli.h"

static int cmd_rank(const cli_cmd *cmd, int argc, char **argv);

/* Same options, in the same order, as gapmap run: cli_run_stages reads them by position. */
static const cli_opt RANK_OPTS[] = {
    {"output", 'o', "DIR", "write outputs to DIR instead of the config's [run] output"},
    {"quiet", 'q', NULL, "no progress or information lines; errors and warnings only"},
};

const cli_cmd CMD_RANK = {
    "rank",
    "CONFIG [--output DIR] [--quiet]",
    "Rank the suitable provider sites of every customer (service, needs, open days,\n"
    "free places, area, reach) by travel time, price, framework status, their choice\n"
    "and continuity, weighted by [ranking]; place everyone at once without over-filling\n"
    "any site ([ranking] assign); total placements and weekly spend.",
    "Writes ranking.csv with the ranking layer and ranking.qml (each customer's top\n"
    "sites with the score parts and the reasons), eligibility.csv (every customer x\n"
    "site, with the rules it fails), assignment.csv (unless assign = none), spend.csv\n"
    "(shareable: small counts withheld as '*'), summary.json, rejects.csv and\n"
    "manifest.json. docs/ranking.md explains the rules and weights.\n"
    "Example: gapmap rank geodata/examplshire.ini -o out",
    RANK_OPTS,
    sizeof RANK_OPTS / sizeof *RANK_OPTS,
    cmd_rank,
};

static int cmd_rank(const cli_cmd *cmd, int argc, char **argv)
{
    return cli_run_stages(cmd, argc, argv, GM_STAGE_TRAVEL | GM_STAGE_RANK);
}
