/* The single allocation wrapper.  Fault injection (gm__alloc_fail_after) lets
 * tests walk every allocation of a call and check that each failure comes back
 * as GM_E_NOMEM without a leak.  The counters are process-wide and meant for
 * single-threaded tests only. */
#include "core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long fail_after = -1;
static unsigned long alloc_count;

void gm__alloc_fail_after(long n)
{
    fail_after = n;
}

unsigned long gm__alloc_count(void)
{
    return alloc_count;
}

static bool should_fail(void)
{
    alloc_count++;
    if (fail_after < 0)
        return false;
    if (fail_after == 0) {
        fail_after = -1; /* fail exactly one allocation, as a real failure would */
        return true;
    }
    fail_after--;
    return false;
}

void *gm__malloc(size_t size)
{
    if (should_fail())
        return NULL;
    return malloc(size ? size : 1);
}

void *gm__calloc(size_t count, size_t size)
{
    if (should_fail())
        return NULL;
    return calloc(count ? count : 1, size ? size : 1);
}

void *gm__realloc(void *ptr, size_t size)
{
    if (should_fail())
        return NULL;
    return realloc(ptr, size ? size : 1);
}

void gm__free(void *ptr)
{
    free(ptr);
}

char *gm__strndup(const char *s, size_t n)
{
    char *d = gm__malloc(n + 1);
    if (!d)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *gm__strdup(const char *s)
{
    return s ? gm__strndup(s, strlen(s)) : NULL;
}

bool gm__grow(void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return true;
    size_t ncap = *cap ? *cap : 16;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2 / elem)
            return false;
        ncap *= 2;
    }
    void *p = gm__realloc(*arr, ncap * elem);
    if (!p)
        return false;
    *arr = p;
    *cap = ncap;
    return true;
}

char *gm__asprintf(const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = NULL;
    if (n >= 0 && (s = gm__malloc((size_t)n + 1)) != NULL)
        vsnprintf(s, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return s;
}
