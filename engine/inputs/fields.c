/* Field parsers: see fields.h. */
#include "fields.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *gm__field_trim(const gm__table *t, int col, char *buf, size_t bufsz)
{
    const char *s = col >= 0 ? gm__table_get(t, (size_t)col) : "";
    while (*s && isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    if (n >= bufsz)
        n = bufsz - 1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return buf;
}

bool gm__parse_amount(const char *s, double *out)
{
    char clean[64];
    size_t o = 0;
    if (!strncmp(s, "\xC2\xA3", 2)) /* UTF-8 pound sign */
        s += 2;
    for (; *s && o < sizeof clean - 1; s++) {
        if (*s != ',')
            clean[o++] = *s;
    }
    clean[o] = '\0';
    if (!o)
        return false;
    char *end;
    errno = 0;
    double v = strtod(clean, &end);
    if (errno || *end || !isfinite(v) || v < 0)
        return false;
    *out = v;
    return true;
}

bool gm__parse_int(const char *s, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end)
        return false;
    *out = v;
    return true;
}

bool gm__parse_coord(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v))
        return false;
    *out = v;
    return true;
}
