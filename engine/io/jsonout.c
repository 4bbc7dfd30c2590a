/* JSON files written whole under a temporary name: see jsonout.h. */
#include "jsonout.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

gm_status gm__json_write(gm_ctx *ctx, const char *dir, const char *name, const cJSON *doc)
{
    char *text = cJSON_Print(doc);
    char *path = gm__asprintf("%s/%s", dir, name);
    char *tmp = gm__asprintf("%s/%s.tmp", dir, name);
    gm_status st = GM_OK;
    FILE *f = NULL;
    if (!text || !path || !tmp) {
        st = gm__err(ctx, GM_E_NOMEM, "out of memory writing %s", name);
        goto done;
    }
    if (!(f = fopen(tmp, "wb"))) {
        st = gm__err(ctx, GM_E_IO, "%s: cannot create (%s)", tmp, strerror(errno));
        goto done;
    }
    fputs(text, f);
    fputc('\n', f);
    int rc = fclose(f);
    f = NULL;
    if (rc != 0 || rename(tmp, path) != 0) {
        remove(tmp);
        st = gm__err(ctx, GM_E_IO, "%s: write failed (%s)", path, strerror(errno));
    }
done:
    if (f)
        fclose(f);
    cJSON_free(text);
    gm__free(path);
    gm__free(tmp);
    return st;
}
