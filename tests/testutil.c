#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

const char *gmt_src(const char *rel)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/%s", GM_TEST_SOURCE_DIR, rel);
    return buf;
}

const char *gmt_shared(const char *rel)
{
    static char buf[4096];
    const char *base = getenv("GAPMAP_SHARED_DATA");
    snprintf(buf, sizeof buf, "%s/%s", base && *base ? base : GM_TEST_SHARED_DATA, rel);
    struct stat st;
    return stat(buf, &st) == 0 ? buf : NULL;
}

const char *gmt_tmpdir(const char *tag)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/test-tmp/%s-%ld", GM_TEST_BINARY_DIR, tag, (long)getpid());
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", buf, buf);
    if (gmt_system(cmd) != 0)
        return NULL;
    return buf;
}

const char *gmt_write(const char *dir, const char *name, const char *text)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/%s", dir, name);
    FILE *f = fopen(buf, "wb");
    if (!f)
        return NULL;
    fputs(text, f);
    fclose(f);
    return buf;
}

char *gmt_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        s = NULL;
    }
    fclose(f);
    if (s) {
        s[n] = '\0';
        if (len)
            *len = (size_t)n;
    }
    return s;
}

int gmt_system(const char *cmd)
{
    int rc = system(cmd);
    if (rc == -1 || !WIFEXITED(rc))
        return -1;
    return WEXITSTATUS(rc);
}
