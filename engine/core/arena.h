/*
 * A string arena: many small strings freed together (record ids, names, reject
 * reasons).  Chunks are never moved, so pointers stay valid until the arena is
 * freed.  Also a string -> int32 hash map for id lookups and duplicate checks.
 */
#ifndef GM_ENGINE_CORE_ARENA_H
#define GM_ENGINE_CORE_ARENA_H

#include "core.h"

typedef struct gm__arena_chunk gm__arena_chunk;
typedef struct gm__arena {
    gm__arena_chunk *head;
} gm__arena;

/* Copy n bytes of s plus a terminator into the arena; NULL on allocation failure. */
char *gm__arena_strndup(gm__arena *a, const char *s, size_t n);
char *gm__arena_strdup(gm__arena *a, const char *s);
char *gm__arena_printf(gm__arena *a, const char *fmt, ...) GM__PRINTF(2, 3);
void gm__arena_free(gm__arena *a);

/* Open-addressing map from borrowed NUL-terminated keys to int32 values. */
typedef struct gm__strmap {
    const char **keys;
    int32_t *vals;
    size_t cap, n;
} gm__strmap;

/* Insert key -> val.  If key exists, *existing receives its value and the map
 * is unchanged (returns true).  Returns false on allocation failure. */
bool gm__strmap_put(gm__strmap *m, const char *key, int32_t val, int32_t *existing);
/* Value for key, or -1. */
int32_t gm__strmap_get(const gm__strmap *m, const char *key);
void gm__strmap_free(gm__strmap *m);

#endif
