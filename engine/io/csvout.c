/* CSV output with temporary-then-rename: see csvout.h. */
#include "csvout.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

struct gm__csvout {
    gm_ctx *ctx;
    FILE *f;
    char *path, *tmp;
};

gm_status gm__csvout_open(gm_ctx *ctx, const char *path, gm__csvout **out)
{
    gm__csvout *w = gm__calloc(1, sizeof *w);
    if (!w)
        return gm__err(ctx, GM_E_NOMEM, "out of memory writing %s", path);
    w->ctx = ctx;
    w->path = gm__strdup(path);
    w->tmp = gm__asprintf("%s.tmp", path);
    if (!w->path || !w->tmp) {
        gm__csvout_abort(w);
        return gm__err(ctx, GM_E_NOMEM, "out of memory writing %s", path);
    }
    if (!(w->f = fopen(w->tmp, "wb"))) {
        gm_status st = gm__err(ctx, GM_E_IO, "%s: cannot create the file (%s): check the output "
                                             "folder exists and you may write to it",
                               path, strerror(errno));
        gm__csvout_abort(w);
        return st;
    }
    *out = w;
    return GM_OK;
}

gm_status gm__csvout_row(gm__csvout *w, const char *const *fields, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *s = fields[i] ? fields[i] : "";
        size_t len = strlen(s);
        bool quote = strpbrk(s, ",\"\r\n") != NULL ||
                     (len && (s[0] == ' ' || s[len - 1] == ' '));
        if (i)
            fputc(',', w->f);
        if (!quote) {
            fputs(s, w->f);
            continue;
        }
        fputc('"', w->f);
        for (; *s; s++) {
            if (*s == '"')
                fputc('"', w->f);
            fputc(*s, w->f);
        }
        fputc('"', w->f);
    }
    fputc('\n', w->f);
    if (ferror(w->f))
        return gm__err(w->ctx, GM_E_IO, "%s: write failed (disk full?)", w->path);
    return GM_OK;
}

gm_status gm__csvout_close(gm__csvout *w)
{
    gm_status st = GM_OK;
    int rc = fclose(w->f);
    w->f = NULL;
    if (rc != 0)
        st = gm__err(w->ctx, GM_E_IO, "%s: write failed (%s)", w->path, strerror(errno));
    else if (rename(w->tmp, w->path) != 0)
        st = gm__err(w->ctx, GM_E_IO, "%s: cannot move the finished file into place (%s)", w->path,
                     strerror(errno));
    if (st != GM_OK)
        remove(w->tmp);
    gm__free(w->path);
    gm__free(w->tmp);
    gm__free(w);
    return st;
}

void gm__csvout_abort(gm__csvout *w)
{
    if (!w)
        return;
    if (w->f)
        fclose(w->f);
    if (w->tmp)
        remove(w->tmp);
    gm__free(w->path);
    gm__free(w->tmp);
    gm__free(w);
}

const char *gm__fmt_fixed(char *buf, size_t size, double v, int decimals)
{
    if (isnan(v))
        buf[0] = '\0';
    else
        snprintf(buf, size, "%.*f", decimals, v);
    return buf;
}
