/*
 * The gapmap command: shared pieces of the subcommands.  The CLI uses only the
 * public API (include/gapmap/), like curl's src/ over lib/.  It alone talks to
 * the terminal: progress bars, messages, exit codes.
 */
#ifndef GM_CLI_H
#define GM_CLI_H

#include "gapmap/gapmap.h"

#include <stdbool.h>

/* Exit codes (README "Exit codes"). */
enum { GM_EXIT_OK = 0, GM_EXIT_FAILURE = 1, GM_EXIT_USAGE = 2, GM_EXIT_BAD_INPUT = 3 };

/* One option of a subcommand; the table drives both parsing and --help. */
typedef struct cli_opt {
    const char *name;   /* long name without dashes */
    char short_name;    /* 0 if none */
    const char *arg;    /* argument placeholder ("DIR"), NULL for a flag */
    const char *help;
} cli_opt;

typedef struct cli_cmd {
    const char *name;
    const char *usage;  /* after "gapmap <name> " */
    const char *summary;
    const char *details; /* paragraph(s) printed by --help, may be NULL */
    const cli_opt *opts;
    size_t nopts;
    int (*run)(const struct cli_cmd *cmd, int argc, char **argv);
} cli_cmd;

/* Parse argv against the command's table.  values[i] receives the argument of
 * option i (or "1" for a flag that is present, NULL if absent); positional
 * arguments are gathered in pos (at most maxpos).  Returns -1 when --help was
 * printed, GM_EXIT_USAGE on a usage error (message printed), 0 otherwise. */
int cli_parse(const cli_cmd *cmd, int argc, char **argv, const char **values, const char **pos,
              int maxpos, int *npos);

void cli_print_help(const cli_cmd *cmd);

/* "gapmap: error: <msg>" on stderr, with the status name when it helps. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Map a gm_status to an exit code. */
int cli_exit_code(gm_status st);

/* Progress and log hooks for a context: a bar on a terminal, plain lines in a
 * log; nothing but warnings when quiet. */
typedef struct cli_progress cli_progress;
cli_progress *cli_progress_attach(gm_ctx *ctx, bool quiet);
void cli_progress_done(cli_progress *p);

int cmd_run(const cli_cmd *cmd, int argc, char **argv);
int cmd_matrix(const cli_cmd *cmd, int argc, char **argv);

/* Parse run-style options (CONFIG, --output, --quiet), run the given stages,
 * print the summary; returns the exit code. */
int cli_run_stages(const cli_cmd *cmd, int argc, char **argv, unsigned stages);
void cli_print_summary(const gm_run_summary *s, const char *out);

#endif
