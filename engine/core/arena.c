/* String arena and string map: see arena.h. */
#include "arena.h"

#include <stdio.h>
#include <string.h>

#define ARENA_CHUNK 65536

struct gm__arena_chunk {
    gm__arena_chunk *next;
    size_t used, cap;
    char data[];
};

static char *arena_alloc(gm__arena *a, size_t n)
{
    gm__arena_chunk *c = a->head;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;
        gm__arena_chunk *nc = gm__malloc(sizeof *nc + cap);
        if (!nc)
            return NULL;
        nc->next = c;
        nc->used = 0;
        nc->cap = cap;
        a->head = c = nc;
    }
    char *p = c->data + c->used;
    c->used += n;
    return p;
}

char *gm__arena_strndup(gm__arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *gm__arena_strdup(gm__arena *a, const char *s)
{
    return gm__arena_strndup(a, s ? s : "", s ? strlen(s) : 0);
}

char *gm__arena_printf(gm__arena *a, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *p = n < 0 ? NULL : arena_alloc(a, (size_t)n + 1);
    if (p)
        vsnprintf(p, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return p;
}

void gm__arena_free(gm__arena *a)
{
    gm__arena_chunk *c = a->head;
    while (c) {
        gm__arena_chunk *next = c->next;
        gm__free(c);
        c = next;
    }
    a->head = NULL;
}

/* FNV-1a: short ids, good enough spread, no dependency. */
static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static bool strmap_rehash(gm__strmap *m, size_t ncap)
{
    const char **keys = gm__calloc(ncap, sizeof *keys);
    int32_t *vals = gm__calloc(ncap, sizeof *vals);
    if (!keys || !vals) {
        gm__free(keys);
        gm__free(vals);
        return false;
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->keys[i])
            continue;
        size_t j = (size_t)hash_str(m->keys[i]) & (ncap - 1);
        while (keys[j])
            j = (j + 1) & (ncap - 1);
        keys[j] = m->keys[i];
        vals[j] = m->vals[i];
    }
    gm__free(m->keys);
    gm__free(m->vals);
    m->keys = keys;
    m->vals = vals;
    m->cap = ncap;
    return true;
}

bool gm__strmap_put(gm__strmap *m, const char *key, int32_t val, int32_t *existing)
{
    if ((m->n + 1) * 10 > m->cap * 7 && !strmap_rehash(m, m->cap ? m->cap * 2 : 64))
        return false;
    size_t j = (size_t)hash_str(key) & (m->cap - 1);
    while (m->keys[j]) {
        if (!strcmp(m->keys[j], key)) {
            if (existing)
                *existing = m->vals[j];
            return true;
        }
        j = (j + 1) & (m->cap - 1);
    }
    m->keys[j] = key;
    m->vals[j] = val;
    m->n++;
    if (existing)
        *existing = -1;
    return true;
}

int32_t gm__strmap_get(const gm__strmap *m, const char *key)
{
    if (!m->cap)
        return -1;
    size_t j = (size_t)hash_str(key) & (m->cap - 1);
    while (m->keys[j]) {
        if (!strcmp(m->keys[j], key))
            return m->vals[j];
        j = (j + 1) & (m->cap - 1);
    }
    return -1;
}

void gm__strmap_free(gm__strmap *m)
{
    gm__free(m->keys);
    gm__free(m->vals);
    memset(m, 0, sizeof *m);
}
