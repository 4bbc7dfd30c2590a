/* gapmap: command dispatch, --help and --version. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

extern const cli_cmd CMD_RUN;
extern const cli_cmd CMD_MATRIX;
extern const cli_cmd CMD_RANK;

static const cli_cmd *const COMMANDS[] = {&CMD_RUN, &CMD_MATRIX, &CMD_RANK};
#define NCOMMANDS (sizeof COMMANDS / sizeof *COMMANDS)

static void usage(FILE *f)
{
    fprintf(f, "gapmap %s: coverage and gap analysis for adult social care day opportunities\n\n"
               "Usage: gapmap <command> [options]\n\nCommands:\n",
            gm_version());
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-10s %s\n", COMMANDS[i]->name, COMMANDS[i]->usage);
    fprintf(f, "\nOptions:\n  -h, --help     show this help\n  -V, --version  show the version\n\n"
               "Run 'gapmap <command> --help' for a command's options.\n"
               "Exit codes: 0 success, 1 failure, 2 usage error, 3 bad input (config or data).\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return GM_EXIT_USAGE;
    }
    const char *a = argv[1];
    if (!strcmp(a, "-h") || !strcmp(a, "--help") || !strcmp(a, "help")) {
        usage(stdout);
        return GM_EXIT_OK;
    }
    if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
        printf("gapmap %s\n", gm_version());
        return GM_EXIT_OK;
    }
    for (size_t i = 0; i < NCOMMANDS; i++) {
        if (!strcmp(a, COMMANDS[i]->name))
            return COMMANDS[i]->run(COMMANDS[i], argc - 1, argv + 1);
    }
    cli_error("unknown command '%s' — run 'gapmap --help' for the list of commands", a);
    return GM_EXIT_USAGE;
}
