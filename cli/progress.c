/* Progress on the terminal: a redrawn bar with elapsed time and an estimate on a
 * TTY; on a pipe or log, one plain line per stage per tenth, so CI logs stay
 * readable.  Log lines from the library go to stderr. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct cli_progress {
    bool tty, quiet, bar_open;
    char label[96];
    int last_tenth;
    double stage_start;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fmt_time(double s, char *buf, size_t n)
{
    int t = (int)(s + 0.5);
    snprintf(buf, n, "%d:%02d", t / 60, t % 60);
}

static int on_progress(uint64_t done, uint64_t total, const char *label, void *user)
{
    cli_progress *p = user;
    if (p->quiet)
        return 0;
    if (strcmp(label, p->label) != 0) {
        if (p->bar_open)
            fputc('\n', stderr);
        p->bar_open = false;
        snprintf(p->label, sizeof p->label, "%s", label);
        p->last_tenth = -1;
        p->stage_start = now_s();
    }
    double frac = total ? (double)done / (double)total : 1.0;
    if (frac > 1.0)
        frac = 1.0;
    double elapsed = now_s() - p->stage_start;
    if (p->tty) {
        char el[16], left[16] = "";
        fmt_time(elapsed, el, sizeof el);
        if (frac > 0.02 && frac < 1.0)
            fmt_time(elapsed / frac * (1.0 - frac), left, sizeof left);
        int width = 30, fill = (int)(frac * width);
        fprintf(stderr, "\r%-28.28s [", label);
        for (int i = 0; i < width; i++)
            fputc(i < fill ? '=' : (i == fill ? '>' : ' '), stderr);
        fprintf(stderr, "] %3d%%  %s%s%s   ", (int)(frac * 100), el, left[0] ? " elapsed, ~" : "",
                left[0] ? left : "");
        if (left[0])
            fputs(" left", stderr);
        p->bar_open = frac < 1.0;
        if (frac >= 1.0)
            fputc('\n', stderr);
        fflush(stderr);
    } else {
        int tenth = (int)(frac * 10);
        if (tenth != p->last_tenth && (tenth == 10 || tenth % 5 == 0)) {
            fprintf(stderr, "gapmap: %s: %d%%\n", label, tenth * 10);
            p->last_tenth = tenth;
        }
    }
    return 0;
}

static void on_log(gm_log_level level, const char *msg, void *user)
{
    cli_progress *p = user;
    if (level == GM_LOG_DEBUG && !getenv("GAPMAP_DEBUG"))
        return;
    if (p->quiet && level < GM_LOG_WARN)
        return;
    if (p->bar_open) {
        fputc('\n', stderr);
        p->bar_open = false;
    }
    fprintf(stderr, "gapmap: %s%s\n", level == GM_LOG_WARN ? "warning: " : "", msg);
}

cli_progress *cli_progress_attach(gm_ctx *ctx, bool quiet)
{
    cli_progress *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->tty = isatty(STDERR_FILENO) != 0;
    p->quiet = quiet;
    gm_ctx_set_progress(ctx, on_progress, p);
    gm_ctx_set_log(ctx, on_log, p);
    return p;
}

void cli_progress_done(cli_progress *p)
{
    if (!p)
        return;
    if (p->bar_open)
        fputc('\n', stderr);
    free(p);
}
