/*
 * The postcode directory: every postcode of a CSV file (ONSPD, Code-Point Open,
 * or any file with a postcode and two coordinate columns) in an in-memory hash
 * table, with its point in the working CRS (BNG), termination date and
 * small-area code.
 *
 * Layout, for 2.6 million ONSPD rows in about 100 MB and no allocation per row:
 * - a postcode is packed into a 37-bit key: base 37, one digit per character
 *   (1..36 for 0-9A-Z, 0 for none), at most 7 characters, 37^7 < 2^37;
 * - a slot is one uint64_t, key << 27 | entry number, so a slot is never 0
 *   (keys are not) and 0 marks an empty one; the slots form an
 *   open-addressing table with linear probing, a power-of-two capacity and a
 *   load factor kept at or below 0.7 (linear probing stays at a couple of
 *   probes per look-up up to about there; Knuth, TAOCP vol. 3, 6.4);
 * - entries are numbered in load order (so at most 2^27 - 1 of them, 50 times
 *   ONSPD) and held in one flat array of {x, y, termination date, offset of
 *   the area code in a string pool}: a look-up reads one slot and one 24-byte
 *   entry, two cache misses, where parallel arrays would cost five;
 * - area codes are interned in that pool (ONSPD's 2.6 million postcodes share
 *   tens of thousands of LSOAs: 35,672 in England and Wales in 2021), offset
 *   0 being "";
 * - the line each entry came from is not stored per entry: lines rise with
 *   entry numbers, so a short list of (first entry, line - entry) runs, which
 *   only grows when a row is skipped or a record spans lines, recovers it for
 *   the "first seen on line N" message of a duplicate.
 * Invariants: rows_read = loaded + the skip counts; every loaded point lies in
 * the GB/NI box below.
 */
#include "gapmap/geocode.h"

#include "core/core.h"
#include "geo/crs.h"
#include "geo/tolerance.h"
#include "io/table.h"
#include "postcode.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Maximum load factor, as a fraction: see the file header. */
#define LOAD_NUM 7
#define LOAD_DEN 10

/* Progress every 65,536 rows: about 40 calls for the whole of ONSPD, and the
 * check costs nothing between them. */
#define PROGRESS_EVERY_ROWS ((uint64_t)1 << 16)

static const char PROGRESS_LABEL[] = "Reading postcode directory";

/* Slot packing: see the file header. */
#define ENTRY_BITS 27
#define ENTRY_MAX ((UINT64_C(1) << ENTRY_BITS) - 1)

typedef struct pc_entry {
    double x, y;  /* working CRS */
    int32_t term; /* yyyymm, 0 when live */
    uint32_t area; /* offset into pool */
} pc_entry;

/* A run of entries whose line is entry number + delta. */
typedef struct line_run {
    uint32_t first;
    uint64_t delta;
} line_run;

struct gm_pcdir {
    uint64_t *slots; /* key << ENTRY_BITS | entry; 0 = empty */
    size_t cap;      /* power of two */
    pc_entry *ent;   /* in load order */
    size_t n, ecap;
    /* interned area codes */
    char *pool;
    size_t pool_len, pool_cap;
    uint32_t *pool_slots; /* offsets into pool; 0 = empty */
    size_t pool_hcap, pool_count;
    uint32_t last_area; /* consecutive rows usually share an area */
    /* lines of entries */
    line_run *runs;
    size_t nruns, runs_cap;
    gm_pcdir_stats stats;
};

/* ---- keys and hashing ---------------------------------------------------- */

/* Pack a compact postcode: '0'..'9' -> 1..10, 'A'..'Z' -> 11..36, base 37
 * from the low end.  Returns 0 for anything that is not 1 to 7 upper-case
 * letters and digits, which never matches a stored key. */
static uint64_t pack_key(const char *compact)
{
    uint64_t key = 0, scale = 1;
    for (size_t i = 0; compact[i]; i++) {
        char c = compact[i];
        uint64_t v;
        if (i >= GM_POSTCODE_COMPACT_MAX - 1)
            return 0;
        if (c >= '0' && c <= '9')
            v = (uint64_t)(c - '0') + 1;
        else if (c >= 'A' && c <= 'Z')
            v = (uint64_t)(c - 'A') + 11;
        else
            return 0;
        key += v * scale;
        scale *= 37;
    }
    return key;
}

/* MurmurHash3's 64-bit finaliser (Appleby, public domain): packed postcodes
 * differ in a few low bits per character, and this spreads them over the
 * whole word before masking. */
static uint64_t mix64(uint64_t k)
{
    k ^= k >> 33;
    k *= UINT64_C(0xff51afd7ed558ccd);
    k ^= k >> 33;
    k *= UINT64_C(0xc4ceb9fe1a85ec53);
    k ^= k >> 33;
    return k;
}

/* Slot holding key, or the empty slot where it would go. */
static size_t probe(const uint64_t *slots, size_t cap, uint64_t key)
{
    size_t mask = cap - 1;
    size_t i = (size_t)mix64(key) & mask;
    while (slots[i] != 0 && slots[i] >> ENTRY_BITS != key)
        i = (i + 1) & mask;
    return i;
}

/* Double the slot array (or make the first one) and re-insert every slot. */
static bool grow_slots(gm_pcdir *d)
{
    size_t ncap = d->cap ? d->cap * 2 : 1024;
    uint64_t *ns = gm__calloc(ncap, sizeof *ns);
    if (!ns)
        return false;
    for (size_t i = 0; i < d->cap; i++)
        if (d->slots[i])
            ns[probe(ns, ncap, d->slots[i] >> ENTRY_BITS)] = d->slots[i];
    gm__free(d->slots);
    d->slots = ns;
    d->cap = ncap;
    return true;
}

/* ---- area code pool ------------------------------------------------------ */

/* FNV-1a (Fowler, Noll, Vo), 32-bit: short ASCII codes, few of them. */
static uint32_t hash_str(const char *s, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

static size_t pool_probe(const gm_pcdir *d, const uint32_t *slots, size_t hcap, const char *s,
                         size_t len)
{
    size_t mask = hcap - 1;
    size_t i = hash_str(s, len) & mask;
    while (slots[i]) {
        const char *t = d->pool + slots[i];
        if (strncmp(t, s, len) == 0 && t[len] == '\0')
            break;
        i = (i + 1) & mask;
    }
    return i;
}

static bool pool_grow_slots(gm_pcdir *d)
{
    size_t ncap = d->pool_hcap ? d->pool_hcap * 2 : 256;
    uint32_t *ns = gm__calloc(ncap, sizeof *ns);
    if (!ns)
        return false;
    for (size_t i = 0; i < d->pool_hcap; i++) {
        uint32_t off = d->pool_slots[i];
        if (off) {
            const char *t = d->pool + off;
            ns[pool_probe(d, ns, ncap, t, strlen(t))] = off;
        }
    }
    gm__free(d->pool_slots);
    d->pool_slots = ns;
    d->pool_hcap = ncap;
    return true;
}

/* Offset of the area code s (len bytes) in the pool, adding it if new.
 * Returns false on allocation failure or a pool past 4 GB. */
static bool intern_area(gm_pcdir *d, const char *s, size_t len, uint32_t *off)
{
    if (len == 0) {
        *off = 0;
        return true;
    }
    const char *last = d->pool + d->last_area;
    if (d->last_area && strncmp(last, s, len) == 0 && last[len] == '\0') {
        *off = d->last_area;
        return true;
    }
    if ((d->pool_count + 1) * LOAD_DEN > d->pool_hcap * LOAD_NUM && !pool_grow_slots(d))
        return false;
    size_t i = pool_probe(d, d->pool_slots, d->pool_hcap, s, len);
    if (!d->pool_slots[i]) {
        if (d->pool_len + len + 1 > UINT32_MAX)
            return false;
        if (!gm__grow((void **)&d->pool, &d->pool_cap, d->pool_len + len + 1, 1))
            return false;
        memcpy(d->pool + d->pool_len, s, len);
        d->pool[d->pool_len + len] = '\0';
        d->pool_slots[i] = (uint32_t)d->pool_len;
        d->pool_len += len + 1;
        d->pool_count++;
    }
    *off = d->last_area = d->pool_slots[i];
    return true;
}

/* ---- entry lines --------------------------------------------------------- */

static bool note_line(gm_pcdir *d, uint32_t entry, uint64_t line)
{
    uint64_t delta = line - entry;
    if (d->nruns && d->runs[d->nruns - 1].delta == delta)
        return true;
    if (!gm__grow((void **)&d->runs, &d->runs_cap, d->nruns + 1, sizeof *d->runs))
        return false;
    d->runs[d->nruns].first = entry;
    d->runs[d->nruns].delta = delta;
    d->nruns++;
    return true;
}

static uint64_t entry_line(const gm_pcdir *d, uint32_t entry)
{
    size_t lo = 0, hi = d->nruns; /* find the last run with first <= entry */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->runs[mid].first <= entry)
            lo = mid;
        else
            hi = mid;
    }
    return entry + d->runs[lo].delta;
}

/* ---- field parsing ------------------------------------------------------- */

/* Trim ASCII white space: sets *start and returns the trimmed length. */
static size_t trim(const char *s, const char **start)
{
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        n--;
    *start = s;
    return n;
}

/* Parse a coordinate; false when blank, not a number, or not finite.  Plain
 * integers (every ONSPD and Code-Point easting/northing) take a fast path that
 * gives the same double as strtod, since up to 15 digits are exact in a
 * double; everything else goes to strtod (which reads the C locale's '.'). */
static bool parse_coord(const char *field, double *out)
{
    const char *s;
    size_t n = trim(field, &s);
    if (n == 0)
        return false;
    size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
    if (n > i && n - i <= 15) {
        uint64_t v = 0;
        size_t j = i;
        while (j < n && s[j] >= '0' && s[j] <= '9')
            v = v * 10 + (uint64_t)(s[j++] - '0');
        if (j == n) {
            *out = s[0] == '-' ? -(double)v : (double)v;
            return true;
        }
    }
    char buf[64];
    if (n >= sizeof buf)
        return false; /* no number is that long */
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *end;
    double v = strtod(buf, &end);
    if (end == buf || *end != '\0' || !isfinite(v))
        return false;
    *out = v;
    return true;
}

/* Parse a termination date: blank -> 0 (live); "YYYYMM" (ONSPD doterm),
 * "YYYYMMDD", "YYYY-MM" or "YYYY-MM-DD" -> year*100+month.  False otherwise. */
static bool parse_term(const char *field, int32_t *out)
{
    const char *s;
    size_t n = trim(field, &s);
    if (n == 0) {
        *out = 0;
        return true;
    }
    char d[8];
    size_t nd = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] >= '0' && s[i] <= '9') {
            if (nd == sizeof d)
                return false;
            d[nd++] = s[i];
        } else if (!(s[i] == '-' && (i == 4 || i == 7))) {
            return false;
        }
    }
    if (nd != 6 && nd != 8)
        return false;
    int year = (d[0] - '0') * 1000 + (d[1] - '0') * 100 + (d[2] - '0') * 10 + (d[3] - '0');
    int month = (d[4] - '0') * 10 + (d[5] - '0');
    if (year < 1000 || month < 1 || month > 12)
        return false;
    *out = (int32_t)(year * 100 + month);
    return true;
}

/* ---- loading ------------------------------------------------------------- */

void gm_pcdir_opts_init(gm_pcdir_opts *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->has_header = true;
    opts->crs = GM__WORKING_CRS;
}

void gm_pcdir_free(gm_pcdir *d)
{
    if (!d)
        return;
    gm__free(d->slots);
    gm__free(d->ent);
    gm__free(d->pool);
    gm__free(d->pool_slots);
    gm__free(d->runs);
    gm__free(d);
}

size_t gm__pcdir_count(const gm_pcdir *d)
{
    return d->n;
}

void gm__pcdir_point(const gm_pcdir *d, size_t i, double *x, double *y, bool *live)
{
    *x = d->ent[i].x;
    *y = d->ent[i].y;
    *live = d->ent[i].term == 0;
}

const gm_pcdir_stats *gm_pcdir_get_stats(const gm_pcdir *d)
{
    return &d->stats;
}

/* Everything the row loop needs, so helpers take one pointer. */
typedef struct loader {
    gm_ctx *ctx;
    const gm_pcdir_opts *opts;
    gm__table *t;
    gm_pcdir *d;
    gm__xform *xf; /* NULL when the file is already in the working CRS */
    bool geographic;
    int col_pc, col_x, col_y, col_term, col_area;
    uint64_t bt_grid; /* Northern Ireland postcodes loaded from eastings/northings */
    gm_pcdir_skip_fn on_skip;
    void *user;
} loader;

static void skip(loader *L, uint64_t *counter, int col, const char *value, const char *reason)
{
    (*counter)++;
    if (L->on_skip)
        L->on_skip(gm__table_rowref(L->t), gm__table_colname(L->t, (size_t)col), value, reason,
                   L->user);
}

/* Column index of a mapped name, or a GM_E_INPUT naming it and listing the
 * columns there are. */
static gm_status find_col(loader *L, const char *name, const char *what, int *out)
{
    int c = gm__table_find(L->t, name);
    if (c >= 0) {
        *out = c;
        return GM_OK;
    }
    char have[512] = "";
    size_t used = 0, ncols = gm__table_ncols(L->t);
    for (size_t i = 0; i < ncols && used < sizeof have - 1; i++) {
        int k = snprintf(have + used, sizeof have - used, "%s%s", i ? ", " : "",
                         gm__table_colname(L->t, i));
        if (k < 0)
            break;
        used += (size_t)k;
    }
    if (used >= sizeof have - 1)
        memcpy(have + sizeof have - 5, "...", 4);
    if (!L->opts->has_header)
        return gm__err(L->ctx, GM_E_INPUT,
                       "%s: the %s column is set to column %s, but the file has %zu columns; "
                       "check the postcode directory column numbers",
                       L->opts->path, what, name, ncols);
    return gm__err(L->ctx, GM_E_INPUT,
                   "%s: no column named '%s' for the %s (the columns are: %s); check the "
                   "postcode directory column names or whether the file has a header row",
                   L->opts->path, name, what, have);
}

/* Ensure room for one more entry in the slot and entry arrays. */
static bool reserve_one(gm_pcdir *d)
{
    if ((d->n + 1) * LOAD_DEN > d->cap * LOAD_NUM && !grow_slots(d))
        return false;
    return gm__grow((void **)&d->ent, &d->ecap, d->n + 1, sizeof *d->ent);
}

/* Read and file one row. */
static gm_status load_row(loader *L)
{
    gm_pcdir *d = L->d;
    const char *pc_raw = gm__table_get(L->t, (size_t)L->col_pc);
    const char *xs = gm__table_get(L->t, (size_t)L->col_x);
    const char *ys = gm__table_get(L->t, (size_t)L->col_y);
    d->stats.rows_read++;

    char pc[GM_POSTCODE_COMPACT_MAX];
    gm_postcode_check check = gm_postcode_normalise(pc_raw, pc);
    if (check != GM_POSTCODE_OK) {
        skip(L, &d->stats.skipped_bad_postcode, L->col_pc, pc_raw, gm_postcode_check_str(check));
        return GM_OK;
    }

    double x, y;
    if (!parse_coord(xs, &x)) {
        skip(L, &d->stats.skipped_no_coords, L->col_x, xs,
             "no coordinates: blank or not a number (ONSPD leaves them blank for postcodes "
             "without a grid reference)");
        return GM_OK;
    }
    if (!parse_coord(ys, &y)) {
        skip(L, &d->stats.skipped_no_coords, L->col_y, ys,
             "no coordinates: blank or not a number (ONSPD leaves them blank for postcodes "
             "without a grid reference)");
        return GM_OK;
    }
    if (L->geographic && (y > 90.0 || y < -90.0)) {
        skip(L, &d->stats.skipped_no_coords, L->col_y, ys,
             "no coordinates: latitude beyond 90 degrees (ONSPD gives 99.999999 for postcodes "
             "without a grid reference)");
        return GM_OK;
    }
    if (!L->xf && x == 0.0 && y == 0.0) {
        skip(L, &d->stats.skipped_no_coords, L->col_x, xs,
             "no coordinates: easting and northing 0 (Code-Point Open's placeholder for a "
             "postcode without a position, quality indicator 90)");
        return GM_OK;
    }
    double bx = x, by = y;
    bool ok = L->xf ? gm__xform_point(L->xf, &bx, &by) : true;
    /* Longitude/latitude read as metres lands within 180 m of the grid's false
     * origin, in the Atlantic south-west of the Scillies where no postcode is:
     * say what probably happened. */
    bool lonlat = !L->xf && fabs(x) <= 180.0 && fabs(y) <= 90.0;
    if (!ok || lonlat ||
        !gm__in_gb(bx, by)) {
        char value[160];
        snprintf(value, sizeof value, "%s %s", xs, ys);
        skip(L, &d->stats.skipped_outside_gb, L->col_x, value,
             lonlat ? "coordinates outside Great Britain: these look like longitude/latitude, "
                      "so set crs to EPSG:4326"
                    : "coordinates outside Great Britain: check the coordinate columns and the "
                      "crs setting");
        return GM_OK;
    }

    int32_t term = 0;
    if (L->col_term >= 0) {
        const char *ts = gm__table_get(L->t, (size_t)L->col_term);
        if (!parse_term(ts, &term))
            return gm__err(L->ctx, GM_E_INPUT,
                           "%s %s %llu: termination date '%s' in column '%s' is not a date "
                           "as YYYYMM (ONSPD doterm) or blank for a live postcode; check that "
                           "the terminated column is mapped to the right column",
                           L->opts->path, gm__table_rowword(L->t),
                           (unsigned long long)gm__table_rowref(L->t), ts,
                           gm__table_colname(L->t, (size_t)L->col_term));
    }

    if (!reserve_one(d))
        return gm__err(L->ctx, GM_E_NOMEM, "%s: out of memory after %zu postcodes",
                       L->opts->path, d->n);
    uint64_t key = pack_key(pc);
    size_t slot = probe(d->slots, d->cap, key);
    if (d->slots[slot]) {
        char reason[96];
        snprintf(reason, sizeof reason, "duplicate postcode (first seen on %s %llu)",
                 gm__table_rowword(L->t), (unsigned long long)entry_line(d, (uint32_t)(d->slots[slot] & ENTRY_MAX)));
        skip(L, &d->stats.skipped_duplicate, L->col_pc, pc_raw, reason);
        return GM_OK;
    }

    uint32_t area = 0;
    if (L->col_area >= 0) {
        const char *as;
        size_t alen = trim(gm__table_get(L->t, (size_t)L->col_area), &as);
        if (!intern_area(d, as, alen, &area))
            return gm__err(L->ctx, GM_E_NOMEM, "%s: out of memory storing area codes",
                           L->opts->path);
    }
    if (d->n >= ENTRY_MAX)
        return gm__err(L->ctx, GM_E_INPUT,
                       "%s: more than %llu postcodes, which no postcode directory has; check "
                       "that this is the right file",
                       L->opts->path, (unsigned long long)ENTRY_MAX - 1);
    uint32_t e = (uint32_t)d->n;
    if (!note_line(d, e, gm__table_rowref(L->t)))
        return gm__err(L->ctx, GM_E_NOMEM, "%s: out of memory", L->opts->path);
    d->slots[slot] = key << ENTRY_BITS | e;
    d->ent[e] = (pc_entry){.x = bx, .y = by, .term = term, .area = area};
    d->n++;
    d->stats.loaded++;
    if (!L->xf && pc[0] == 'B' && pc[1] == 'T')
        L->bt_grid++;
    if (term)
        d->stats.terminated++;
    return GM_OK;
}

static gm_status check_opts(gm_ctx *ctx, const gm_pcdir_opts *opts, gm_pcdir **out)
{
    if (!opts || !out)
        return gm__err(ctx, GM_E_ARG, "gm_pcdir_load: opts and out are required");
    if (!opts->path || !*opts->path)
        return gm__err(ctx, GM_E_ARG, "no postcode directory file given: set its path");
    const char *missing = !opts->col_postcode || !*opts->col_postcode ? "postcode"
                          : !opts->col_x || !*opts->col_x         ? "easting (x)"
                          : !opts->col_y || !*opts->col_y         ? "northing (y)"
                                                                  : NULL;
    if (missing)
        return gm__err(ctx, GM_E_ARG,
                       "%s: no %s column given for the postcode directory: name the column",
                       opts->path, missing);
    return GM_OK;
}

gm_status gm_pcdir_load(gm_ctx *ctx, const gm_pcdir_opts *opts, gm_pcdir_skip_fn on_skip,
                        void *user, gm_pcdir **out)
{
    gm__err_clear(ctx);
    gm_status st = check_opts(ctx, opts, out);
    if (st != GM_OK)
        return st;
    loader L = {.ctx = ctx, .opts = opts, .on_skip = on_skip, .user = user,
                .col_term = -1, .col_area = -1};
    const char *crs = opts->crs && *opts->crs ? opts->crs : GM__WORKING_CRS;

    if (strcasecmp(crs, GM__WORKING_CRS) != 0) {
        if ((st = gm__crs_is_geographic(ctx, crs, &L.geographic)) != GM_OK)
            goto cleanup;
        if ((st = gm__xform_new(ctx, crs, GM__WORKING_CRS, &L.xf)) != GM_OK)
            goto cleanup;
    }

    gm__table_opts topts;
    gm__table_opts_init(&topts);
    topts.has_header = opts->has_header;
    if ((st = gm__table_open(ctx, opts->path, &topts, &L.t)) != GM_OK)
        goto cleanup;
    if ((st = find_col(&L, opts->col_postcode, "postcode", &L.col_pc)) != GM_OK ||
        (st = find_col(&L, opts->col_x, "easting/longitude (x)", &L.col_x)) != GM_OK ||
        (st = find_col(&L, opts->col_y, "northing/latitude (y)", &L.col_y)) != GM_OK)
        goto cleanup;
    if (opts->col_terminated && *opts->col_terminated &&
        (st = find_col(&L, opts->col_terminated, "termination date", &L.col_term)) != GM_OK)
        goto cleanup;
    if (opts->col_area && *opts->col_area &&
        (st = find_col(&L, opts->col_area, "area code", &L.col_area)) != GM_OK)
        goto cleanup;

    if (!(L.d = gm__calloc(1, sizeof *L.d)) || !(L.d->pool = gm__malloc(1))) {
        st = gm__err(ctx, GM_E_NOMEM, "out of memory loading %s", opts->path);
        goto cleanup;
    }
    L.d->pool[0] = '\0';
    L.d->pool_len = L.d->pool_cap = 1;
    if (!grow_slots(L.d)) {
        st = gm__err(ctx, GM_E_NOMEM, "out of memory loading %s", opts->path);
        goto cleanup;
    }

    if ((st = gm__progress(ctx, 0, gm__table_progress_total(L.t), PROGRESS_LABEL)) != GM_OK)
        goto cleanup;
    for (;;) {
        bool eof = false;
        if ((st = gm__table_next(L.t, &eof)) != GM_OK)
            goto cleanup;
        if (eof)
            break;
        if ((st = load_row(&L)) != GM_OK)
            goto cleanup;
        if (L.d->stats.rows_read % PROGRESS_EVERY_ROWS == 0 &&
            (st = gm__progress(ctx, gm__table_progress_done(L.t), gm__table_progress_total(L.t),
                               PROGRESS_LABEL)) != GM_OK)
            goto cleanup;
    }
    /* Royal Mail's and ONSPD's grid references for BT postcodes are in the
     * Irish Grid, not BNG, and would land in the wrong country without any
     * error: say so (Code-Point Open has no BT postcodes at all). */
    if (L.bt_grid)
        gm__log(ctx, GM_LOG_WARN,
                "%s: %llu Northern Ireland (BT) postcodes were read as British National Grid "
                "eastings/northings, but ONSPD gives BT grid references in the Irish Grid; if "
                "they matter, map the lat/long columns with crs EPSG:4326 instead",
                opts->path, (unsigned long long)L.bt_grid);
    uint64_t total = gm__table_progress_total(L.t);
    if ((st = gm__progress(ctx, total, total, PROGRESS_LABEL)) != GM_OK)
        goto cleanup;
    *out = L.d;
    L.d = NULL;

cleanup:
    gm_pcdir_free(L.d);
    gm__table_close(L.t);
    gm__xform_free(L.xf);
    return st;
}

/* ---- look-up and suggestions --------------------------------------------- */

bool gm_pcdir_lookup(const gm_pcdir *d, const char *compact, gm_postcode_entry *entry)
{
    if (!d || !compact)
        return false;
    uint64_t key = pack_key(compact);
    if (!key)
        return false;
    uint64_t slot = d->slots[probe(d->slots, d->cap, key)];
    if (!slot)
        return false;
    if (entry) {
        const pc_entry *e = &d->ent[slot & ENTRY_MAX];
        entry->easting_m = e->x;
        entry->northing_m = e->y;
        entry->terminated_yyyymm = e->term;
        entry->area = d->pool + e->area;
    }
    return true;
}

/* The slips people make between look-alike characters, tried in this order at
 * each position, left to right; the first swap giving a valid postcode that is
 * in the directory wins.  1 is tried as I before L (I is the commoner slip in
 * typed text).  A swap only yields a valid postcode where the format wants the
 * other kind of character, so "at positions where the format wants the other
 * kind" needs no separate rule. */
static const struct {
    char from, to;
} slips[] = {
    {'O', '0'}, {'0', 'O'}, {'I', '1'}, {'L', '1'}, {'1', 'I'}, {'1', 'L'},
    {'S', '5'}, {'5', 'S'}, {'B', '8'}, {'8', 'B'}, {'Z', '2'}, {'2', 'Z'},
};

bool gm_pcdir_suggest(const gm_pcdir *d, const char *raw, char out[GM_POSTCODE_COMPACT_MAX])
{
    char c[GM_POSTCODE_COMPACT_MAX];
    if (!d || gm__postcode_clean(raw, c) != GM_POSTCODE_OK)
        return false;
    size_t len = strlen(c);
    if (gm__postcode_shape_ok(c, len) && gm_pcdir_lookup(d, c, NULL)) {
        memcpy(out, c, sizeof c); /* already right once tidied */
        return true;
    }
    for (size_t i = 0; i < len; i++) {
        char orig = c[i];
        for (size_t s = 0; s < sizeof slips / sizeof slips[0]; s++) {
            if (slips[s].from != orig)
                continue;
            c[i] = slips[s].to;
            if (gm__postcode_shape_ok(c, len) && gm_pcdir_lookup(d, c, NULL)) {
                memcpy(out, c, sizeof c);
                return true;
            }
        }
        c[i] = orig;
    }
    return false;
}
