/* Option parsing and help from one table per subcommand (getopt_long built
 * from it), so --help can never drift from what is accepted. */
#include "cli.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("gapmap: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int cli_exit_code(gm_status st)
{
    switch (st) {
    case GM_OK:
        return GM_EXIT_OK;
    case GM_E_ARG:
        return GM_EXIT_USAGE;
    case GM_E_NOT_FOUND:
    case GM_E_CONFIG:
    case GM_E_INPUT:
    case GM_E_CRS:
        return GM_EXIT_BAD_INPUT;
    default:
        return GM_EXIT_FAILURE;
    }
}

void cli_print_help(const cli_cmd *cmd)
{
    printf("Usage: gapmap %s %s\n\n%s\n", cmd->name, cmd->usage, cmd->summary);
    if (cmd->details)
        printf("\n%s\n", cmd->details);
    printf("\nOptions:\n");
    for (size_t i = 0; i < cmd->nopts; i++) {
        const cli_opt *o = &cmd->opts[i];
        char left[64];
        if (o->short_name)
            snprintf(left, sizeof left, "-%c, --%s%s%s", o->short_name, o->name, o->arg ? " " : "",
                     o->arg ? o->arg : "");
        else
            snprintf(left, sizeof left, "    --%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
        printf("  %-24s %s\n", left, o->help);
    }
    printf("  %-24s %s\n", "-h, --help", "show this help and exit");
}

int cli_parse(const cli_cmd *cmd, int argc, char **argv, const char **values, const char **pos,
              int maxpos, int *npos)
{
    struct option lo[32];
    char shortopts[80];
    size_t so = 0, n = 0;
    shortopts[so++] = ':'; /* report a missing value as ':' rather than '?' */
    for (size_t i = 0; i < cmd->nopts && n < 30; i++, n++) {
        lo[n] = (struct option){cmd->opts[i].name, cmd->opts[i].arg ? required_argument : no_argument,
                                NULL, 256 + (int)i};
        values[i] = NULL;
        if (cmd->opts[i].short_name && so + 3 < sizeof shortopts) {
            shortopts[so++] = cmd->opts[i].short_name;
            if (cmd->opts[i].arg)
                shortopts[so++] = ':';
        }
    }
    lo[n++] = (struct option){"help", no_argument, NULL, 'h'};
    lo[n] = (struct option){NULL, 0, NULL, 0};
    shortopts[so++] = 'h';
    shortopts[so] = '\0';

    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, shortopts, lo, NULL)) != -1) {
        if (c == 'h') {
            cli_print_help(cmd);
            return -1;
        }
        if (c == '?' || c == ':') {
            const char *bad = argv[optind - 1];
            if (c == ':')
                cli_error("option %s needs a value — see 'gapmap %s --help'", bad, cmd->name);
            else
                cli_error("unknown option %s — see 'gapmap %s --help'", bad, cmd->name);
            return GM_EXIT_USAGE;
        }
        size_t idx;
        if (c >= 256) {
            idx = (size_t)(c - 256);
        } else {
            for (idx = 0; idx < cmd->nopts && cmd->opts[idx].short_name != c; idx++)
                ;
        }
        values[idx] = cmd->opts[idx].arg ? optarg : "1";
    }
    *npos = 0;
    for (int i = optind; i < argc; i++) {
        if (*npos >= maxpos) {
            cli_error("unexpected argument '%s' — see 'gapmap %s --help'", argv[i], cmd->name);
            return GM_EXIT_USAGE;
        }
        pos[(*npos)++] = argv[i];
    }
    return 0;
}
