/*
 * GTFS loading (gtfs.h).  Files are read with gapmap's CSV tokenizer (csv.h),
 * straight from disk for a folder, or from a buffer read through GDAL's
 * /vsizip/ for a zip: gm__table's CSV path opens files with open(2), which
 * cannot see inside an archive, and OGR's CSV driver numbers features, not
 * lines.  Header names are matched case-insensitively and trimmed (the
 * Manchester feed writes "service_id, date"); values are trimmed too.
 *
 * Order of work: agency, stops, routes, calendar(+_dates), trips, stop_times
 * (rows sorted by trip and stop_sequence, then checked trip by trip),
 * frequencies; then the date's timetable (patterns, stop index, footpaths).
 * Every id map is a gm__strmap over arena strings.
 */
#include "gtfs.h"

#include "core/arena.h"
#include "io/csv.h"
#include "io/vsi.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define GM__PI 3.14159265358979323846

#define NONE32 UINT32_MAX
#define T_EMPTY INT32_MIN     /* time field left blank (not a timepoint) */
#define T_BAD (INT32_MIN + 1) /* time field that does not parse */

void gm__gtfs_opts_init(gm__gtfs_opts *opts)
{
    opts->date = 0;
    opts->transfer_max_m = 400.0f; /* ~5 min at 4.8 km/h with the detour: a typical interchange walk */
    opts->detour = 1.2f;           /* brief: straight line x 1.2 for street detours */
    opts->walk_speed_kmh = 4.8f;   /* DfT walking speed in journey time statistics */
    opts->max_issues = 10000;
}

double gm__gtfs_dist_m(double lon1, double lat1, double lon2, double lat2)
{
    const double r = 6371008.8, d2r = GM__PI / 180.0;
    double p1 = lat1 * d2r, p2 = lat2 * d2r;
    double dp = p2 - p1, dl = (lon2 - lon1) * d2r;
    double a = sin(dp / 2) * sin(dp / 2) + cos(p1) * cos(p2) * sin(dl / 2) * sin(dl / 2);
    if (a > 1.0)
        a = 1.0;
    return 2.0 * r * asin(sqrt(a));
}

/* ---- loader state ---- */

typedef struct loader {
    gm_ctx *ctx;
    const char *path;
    bool zip;
    const gm__gtfs_opts *opts;
    gm__gtfs *g;
    gm__arena arena;
    size_t issues_cap;
    gm__strmap agency_map, stop_map, route_map, service_map, trip_map;
    /* calendar_dates outcome for the date per service: 0 none, 1 added, 2 removed */
    uint8_t *svc_exc;
    size_t svc_cap, svc_exc_cap;
    size_t stop_cap, route_cap, trip_cap;
    uint32_t *trip_line; /* trips.txt line of each trip (for messages) */
    uint32_t *freq_trip;
    int32_t *freq_start, *freq_end, *freq_head;
    size_t freq_cap;
} loader;

typedef struct reader {
    gm__csv *csv;
    char *buf;          /* a zip member, read whole */
    const char *file;
    char **cols;
    size_t ncols;
    char *row;          /* current row, trimmed fields back to back */
    size_t row_cap;
    size_t *off;
    size_t off_cap;
    size_t nf;
} reader;

static gm_status issue(loader *l, const char *file, uint64_t line, const char *field, const char *fmt,
                       ...) GM__PRINTF(5, 6);

/* Record a skipped row; fails only for memory. */
static gm_status issue(loader *l, const char *file, uint64_t line, const char *field, const char *fmt, ...)
{
    gm__gtfs *g = l->g;
    g->nissues_total++;
    if (g->nissues >= l->opts->max_issues)
        return GM_OK;
    if (!gm__grow((void **)&g->issues, &l->issues_cap, g->nissues + 1, sizeof *g->issues))
        return gm__err(l->ctx, GM_E_NOMEM, "%s: out of memory listing skipped rows", l->path);
    gm__gtfs_issue *is = &g->issues[g->nissues++];
    is->file = file;
    is->line = line;
    is->field = field;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(is->reason, sizeof is->reason, fmt, ap);
    va_end(ap);
    return GM_OK;
}

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static bool streq_ci(const char *a, const char *b)
{
    while (*a && lower((unsigned char)*a) == lower((unsigned char)*b))
        a++, b++;
    return *a == 0 && *b == 0;
}

static void reader_close(reader *r)
{
    gm__csv_close(r->csv);
    gm__free(r->buf);
    for (size_t i = 0; r->cols && i < r->ncols; i++)
        gm__free(r->cols[i]);
    gm__free(r->cols);
    gm__free(r->row);
    gm__free(r->off);
    memset(r, 0, sizeof *r);
}

/* Copy the current record's fields, trimmed of spaces and tabs. */
static bool reader_copy_row(reader *r)
{
    size_t n = gm__csv_nfields(r->csv), need = 0;
    for (size_t i = 0; i < n; i++)
        need += gm__csv_field_len(r->csv, i) + 1;
    if (!gm__grow((void **)&r->row, &r->row_cap, need, 1) || !gm__grow((void **)&r->off, &r->off_cap, n, sizeof *r->off))
        return false;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        const char *s = gm__csv_field(r->csv, i);
        size_t len = gm__csv_field_len(r->csv, i);
        while (len && (*s == ' ' || *s == '\t'))
            s++, len--;
        while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
            len--;
        r->off[i] = at;
        memcpy(r->row + at, s, len);
        r->row[at + len] = 0;
        at += len + 1;
    }
    r->nf = n;
    return true;
}

/* Open file of the feed; *present false (GM_OK) when it is absent. */
static gm_status reader_open(loader *l, const char *file, reader *r, bool *present)
{
    memset(r, 0, sizeof *r);
    r->file = file;
    *present = false;
    gm_status st = GM_OK;
    char *p = l->zip ? gm__asprintf("/vsizip/%s/%s", l->path, file) : gm__asprintf("%s/%s", l->path, file);
    if (!p)
        return gm__err(l->ctx, GM_E_NOMEM, "%s: out of memory opening %s", l->path, file);
    gm__csv_opts co;
    gm__csv_opts_init(&co);
    if (l->zip) {
        size_t len = 0;
        bool absent = false;
        st = gm__vsi_slurp(l->ctx, p, file, &r->buf, &len, &absent);
        if (st != GM_OK || absent)
            goto cleanup;
        st = gm__csv_open_mem(l->ctx, p, r->buf, len, &co, &r->csv);
    } else {
        st = gm__csv_open(l->ctx, p, &co, &r->csv);
        if (st == GM_E_NOT_FOUND) {
            gm__err_clear(l->ctx);
            st = GM_OK;
            goto cleanup;
        }
    }
    if (st != GM_OK)
        goto cleanup;
    bool eof = false;
    st = gm__csv_next(r->csv, &eof);
    if (st != GM_OK)
        goto cleanup;
    if (!eof) {
        if (!reader_copy_row(r))
            goto nomem;
        r->cols = gm__calloc(r->nf ? r->nf : 1, sizeof *r->cols);
        if (!r->cols)
            goto nomem;
        r->ncols = r->nf;
        for (size_t i = 0; i < r->nf; i++)
            if (!(r->cols[i] = gm__strdup(r->row + r->off[i])))
                goto nomem;
    }
    *present = true;
    goto cleanup;
nomem:
    st = gm__err(l->ctx, GM_E_NOMEM, "%s: out of memory opening %s", l->path, file);
cleanup:
    if (st != GM_OK || !*present)
        reader_close(r);
    gm__free(p);
    return st;
}

static gm_status reader_open_required(loader *l, const char *file, reader *r)
{
    bool present;
    gm_status st = reader_open(l, file, r, &present);
    if (st == GM_OK && !present)
        st = gm__err(l->ctx, GM_E_NOT_FOUND,
                     "%s: required GTFS file %s is missing (a feed needs agency, stops, routes, trips, "
                     "stop_times and calendar or calendar_dates)",
                     l->path, file);
    return st;
}

static int reader_col(const reader *r, const char *name)
{
    for (size_t i = 0; i < r->ncols && i < (size_t)INT_MAX; i++)
        if (streq_ci(r->cols[i], name))
            return (int)i;
    return -1;
}

static gm_status reader_need(loader *l, const reader *r, const char *name, int *col)
{
    *col = reader_col(r, name);
    if (*col < 0)
        return gm__err(l->ctx, GM_E_INPUT, "%s: %s has no %s column (required by GTFS)", l->path, r->file, name);
    return GM_OK;
}

/* Next non-blank row; *eof at the end. */
static gm_status reader_next(loader *l, reader *r, bool *eof)
{
    for (;;) {
        gm_status st = gm__csv_next(r->csv, eof);
        if (st != GM_OK || *eof)
            return st;
        if (gm__csv_is_blank(r->csv))
            continue;
        if (!reader_copy_row(r))
            return gm__err(l->ctx, GM_E_NOMEM, "%s: out of memory reading %s", l->path, r->file);
        return GM_OK;
    }
}

static const char *get(const reader *r, int col)
{
    return col >= 0 && (size_t)col < r->nf ? r->row + r->off[col] : "";
}

static uint64_t line(const reader *r)
{
    return gm__csv_line(r->csv);
}

/* ---- field parsing ---- */

static bool parse_u32(const char *s, uint32_t *out)
{
    if (!*s)
        return false;
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        v = v * 10 + (uint64_t)(*s - '0');
        if (v > UINT32_MAX)
            return false;
    }
    *out = (uint32_t)v;
    return true;
}

static bool parse_double(const char *s, double *out)
{
    if (!*s)
        return false;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*end || errno || !isfinite(v))
        return false;
    *out = v;
    return true;
}

/* H:MM:SS or HH:MM:SS, hours past 24 allowed (service-day time); blank is T_EMPTY. */
static int32_t parse_time(const char *s)
{
    if (!*s)
        return T_EMPTY;
    uint32_t h = 0, m, sec;
    int nd = 0;
    while (*s >= '0' && *s <= '9' && nd < 4)
        h = h * 10 + (uint32_t)(*s++ - '0'), nd++;
    if (nd == 0 || *s++ != ':')
        return T_BAD;
    if (s[0] < '0' || s[0] > '5' || s[1] < '0' || s[1] > '9' || s[2] != ':')
        return T_BAD;
    m = (uint32_t)(s[0] - '0') * 10 + (uint32_t)(s[1] - '0');
    s += 3;
    if (s[0] < '0' || s[0] > '5' || s[1] < '0' || s[1] > '9' || s[2])
        return T_BAD;
    sec = (uint32_t)(s[0] - '0') * 10 + (uint32_t)(s[1] - '0');
    return (int32_t)(h * 3600 + m * 60 + sec);
}

static bool valid_date(uint32_t d)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    uint32_t y = d / 10000, m = d / 100 % 100, day = d % 100;
    if (y < 1900 || y > 2999 || m < 1 || m > 12 || day < 1 || (int)day > mdays[m - 1])
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return !(m == 2 && day == 29 && !leap);
}

/* 0 = Monday (Sakamoto's method). */
static int weekday_of(uint32_t d)
{
    static const int t[] = {0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4};
    int y = (int)(d / 10000), m = (int)(d / 100 % 100), day = (int)(d % 100);
    if (m < 3)
        y--;
    int w = (y + y / 4 - y / 100 + y / 400 + t[m - 1] + day) % 7; /* 0 = Sunday */
    return (w + 6) % 7;
}

/* Reallocate the array at pp (a T **) to n elements; on failure it is left as it was. */
static bool resize(void *pp, size_t n, size_t elem)
{
    void **p = pp;
    void *q = gm__realloc(*p, n * elem);
    if (!q)
        return false;
    *p = q;
    return true;
}

static gm_status nomem(loader *l, const char *file)
{
    return gm__err(l->ctx, GM_E_NOMEM, "%s: out of memory loading %s", l->path, file);
}

static gm_status too_many(loader *l, const char *file)
{
    return gm__err(l->ctx, GM_E_INPUT, "%s: %s has more rows than 32-bit ids hold", l->path, file);
}

/* Copy an id into the arena and map it; *dup receives an earlier index or -1. */
static gm_status put_id(loader *l, gm__strmap *m, const char *file, const char *id, uint32_t idx, char **stored,
                        int32_t *dup)
{
    if (idx >= (uint32_t)INT32_MAX)
        return too_many(l, file);
    char *s = gm__arena_strdup(&l->arena, id);
    if (!s)
        return nomem(l, file);
    *dup = -1;
    if (!gm__strmap_put(m, s, (int32_t)idx, dup))
        return nomem(l, file);
    *stored = s;
    return GM_OK;
}

/* ---- the files ---- */

static gm_status load_agency(loader *l)
{
    reader r;
    gm_status st = reader_open_required(l, "agency.txt", &r);
    if (st != GM_OK)
        return st;
    int cid = reader_col(&r, "agency_id");
    bool eof;
    while ((st = reader_next(l, &r, &eof)) == GM_OK && !eof) {
        const char *id = get(&r, cid);
        if (*id) {
            char *s;
            int32_t dup;
            if ((st = put_id(l, &l->agency_map, "agency.txt", id, l->g->nagencies, &s, &dup)) != GM_OK)
                break;
            if (dup >= 0) {
                if ((st = issue(l, "agency.txt", line(&r), "agency_id", "agency_id '%s' repeats an earlier row; row skipped", id)) != GM_OK)
                    break;
                continue;
            }
        }
        l->g->nagencies++;
    }
    reader_close(&r);
    return st;
}

static gm_status load_stops(loader *l)
{
    gm__gtfs *g = l->g;
    reader r;
    const char *F = "stops.txt";
    gm_status st = reader_open_required(l, F, &r);
    if (st != GM_OK)
        return st;
    int cid, clat, clon, cname = reader_col(&r, "stop_name");
    if ((st = reader_need(l, &r, "stop_id", &cid)) != GM_OK || (st = reader_need(l, &r, "stop_lat", &clat)) != GM_OK ||
        (st = reader_need(l, &r, "stop_lon", &clon)) != GM_OK)
        goto cleanup;
    bool eof;
    while ((st = reader_next(l, &r, &eof)) == GM_OK && !eof) {
        const char *id = get(&r, cid), *slat = get(&r, clat), *slon = get(&r, clon);
        double lat, lon;
        if (!*id) {
            st = issue(l, F, line(&r), "stop_id", "stop_id is empty; row skipped");
        } else if (!parse_double(slat, &lat) || lat < -90 || lat > 90) {
            st = issue(l, F, line(&r), "stop_lat", "stop %s: stop_lat '%s' is not a latitude in degrees; row skipped", id, slat);
        } else if (!parse_double(slon, &lon) || lon < -180 || lon > 180) {
            st = issue(l, F, line(&r), "stop_lon", "stop %s: stop_lon '%s' is not a longitude in degrees; row skipped", id, slon);
        } else {
            uint32_t i = g->nstops;
            if (i >= l->stop_cap) {
                size_t cap = l->stop_cap ? 2 * l->stop_cap : 256;
                if (!resize(&g->stop_id, cap, sizeof *g->stop_id) || !resize(&g->stop_name, cap, sizeof *g->stop_name) ||
                    !resize(&g->stop_lon, cap, sizeof *g->stop_lon) || !resize(&g->stop_lat, cap, sizeof *g->stop_lat)) {
                    st = nomem(l, F);
                    break;
                }
                l->stop_cap = cap;
            }
            int32_t dup;
            if ((st = put_id(l, &l->stop_map, F, id, i, &g->stop_id[i], &dup)) != GM_OK)
                break;
            if (dup >= 0) {
                st = issue(l, F, line(&r), "stop_id", "stop_id '%s' repeats line of an earlier stop; row skipped", id);
            } else {
                if (!(g->stop_name[i] = gm__arena_strdup(&l->arena, get(&r, cname)))) {
                    st = nomem(l, F);
                    break;
                }
                g->stop_lon[i] = lon;
                g->stop_lat[i] = lat;
                g->nstops++;
            }
        }
        if (st != GM_OK)
            break;
    }
cleanup:
    reader_close(&r);
    return st;
}

static gm_status load_routes(loader *l)
{
    gm__gtfs *g = l->g;
    reader r;
    const char *F = "routes.txt";
    gm_status st = reader_open_required(l, F, &r);
    if (st != GM_OK)
        return st;
    int cid, ctype, cag = reader_col(&r, "agency_id"), cshort = reader_col(&r, "route_short_name");
    if ((st = reader_need(l, &r, "route_id", &cid)) != GM_OK || (st = reader_need(l, &r, "route_type", &ctype)) != GM_OK)
        goto cleanup;
    bool eof;
    while ((st = reader_next(l, &r, &eof)) == GM_OK && !eof) {
        const char *id = get(&r, cid), *ag = get(&r, cag), *ty = get(&r, ctype);
        uint32_t type;
        if (!*id) {
            st = issue(l, F, line(&r), "route_id", "route_id is empty; row skipped");
        } else if (*ag && l->agency_map.n && gm__strmap_get(&l->agency_map, ag) < 0) {
            st = issue(l, F, line(&r), "agency_id", "route %s: agency_id '%s' is not in agency.txt; row skipped", id, ag);
        } else if (!parse_u32(ty, &type) || type > INT32_MAX) {
            st = issue(l, F, line(&r), "route_type", "route %s: route_type '%s' is not a whole number; row skipped", id, ty);
        } else {
            uint32_t i = g->nroutes;
            if (i >= l->route_cap) {
                size_t cap = l->route_cap ? 2 * l->route_cap : 64;
                if (!resize(&g->route_id, cap, sizeof *g->route_id) ||
                    !resize(&g->route_short_name, cap, sizeof *g->route_short_name) ||
                    !resize(&g->route_type, cap, sizeof *g->route_type)) {
                    st = nomem(l, F);
                    break;
                }
                l->route_cap = cap;
            }
            int32_t dup;
            if ((st = put_id(l, &l->route_map, F, id, i, &g->route_id[i], &dup)) != GM_OK)
                break;
            if (dup >= 0) {
                st = issue(l, F, line(&r), "route_id", "route_id '%s' repeats an earlier route; row skipped", id);
            } else {
                if (!(g->route_short_name[i] = gm__arena_strdup(&l->arena, get(&r, cshort)))) {
                    st = nomem(l, F);
                    break;
                }
                g->route_type[i] = (int32_t)type;
                g->nroutes++;
            }
        }
        if (st != GM_OK)
            break;
    }
cleanup:
    reader_close(&r);
    return st;
}

/* The service named id, added when new; *idx receives its index. */
static gm_status service_get(loader *l, const char *file, const char *id, uint32_t *idx, bool *added)
{
    gm__gtfs *g = l->g;
    int32_t v = gm__strmap_get(&l->service_map, id);
    *added = v < 0;
    if (v >= 0) {
        *idx = (uint32_t)v;
        return GM_OK;
    }
    uint32_t i = g->nservices;
    if (i >= l->svc_cap) {
        size_t cap = l->svc_cap ? 2 * l->svc_cap : 64;
        if (!resize(&g->service_id, cap, sizeof *g->service_id) || !resize(&g->service_on, cap, sizeof *g->service_on) ||
            !resize(&l->svc_exc, cap, sizeof *l->svc_exc))
            return nomem(l, file);
        l->svc_cap = cap;
    }
    int32_t dup;
    gm_status st = put_id(l, &l->service_map, file, id, i, &g->service_id[i], &dup);
    if (st != GM_OK)
        return st;
    g->service_on[i] = false;
    l->svc_exc[i] = 0;
    g->nservices++;
    *idx = i;
    return GM_OK;
}

static gm_status load_calendar(loader *l, bool *present)
{
    gm__gtfs *g = l->g;
    reader r;
    const char *F = "calendar.txt";
    static const char *const days[7] = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"};
    gm_status st = reader_open(l, F, &r, present);
    if (st != GM_OK || !*present)
        return st;
    int cid, cday[7], cstart, cend;
    if ((st = reader_need(l, &r, "service_id", &cid)) != GM_OK || (st = reader_need(l, &r, "start_date", &cstart)) != GM_OK ||
        (st = reader_need(l, &r, "end_date", &cend)) != GM_OK)
        goto cleanup;
    for (int d = 0; d < 7; d++)
        if ((st = reader_need(l, &r, days[d], &cday[d])) != GM_OK)
            goto cleanup;
    bool eof;
    while ((st = reader_next(l, &r, &eof)) == GM_OK && !eof) {
        const char *id = get(&r, cid), *s0 = get(&r, cstart), *s1 = get(&r, cend);
        uint32_t d0, d1;
        bool bad = false;
        if (!*id) {
            st = issue(l, F, line(&r), "service_id", "service_id is empty; row skipped");
            bad = true;
        } else if (!parse_u32(s0, &d0) || !valid_date(d0)) {
            st = issue(l, F, line(&r), "start_date", "service %s: start_date '%s' is not a YYYYMMDD date; row skipped", id, s0);
            bad = true;
        } else if (!parse_u32(s1, &d1) || !valid_date(d1)) {
            st = issue(l, F, line(&r), "end_date", "service %s: end_date '%s' is not a YYYYMMDD date; row skipped", id, s1);
            bad = true;
        }
        bool on[7] = {false};
        for (int d = 0; d < 7 && !bad; d++) {
            const char *v = get(&r, cday[d]);
            if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0) {
                st = issue(l, F, line(&r), days[d], "service %s: %s is '%s', not 0 or 1; row skipped", id, days[d], v);
                bad = true;
            }
            on[d] = v[0] == '1';
        }
        if (st != GM_OK)
            break;
        if (bad)
            continue;
        uint32_t i;
        bool added;
        if ((st = service_get(l, F, id, &i, &added)) != GM_OK)
            break;
        if (!added) {
            if ((st = issue(l, F, line(&r), "service_id", "service_id '%s' repeats an earlier row; row skipped", id)) != GM_OK)
                break;
            continue;
        }
        g->service_on[i] = d0 <= g->date && g->date <= d1 && on[g->weekday];
    }
cleanup:
    reader_close(&r);
    return st;
}

static gm_status load_calendar_dates(loader *l, bool *present)
{
    reader r;
    const char *F = "calendar_dates.txt";
    gm_status st = reader_open(l, F, &r, present);
    if (st != GM_OK || !*present)
        return st;
    int cid, cdate, cex;
    if ((st = reader_need(l, &r, "service_id", &cid)) != GM_OK || (st = reader_need(l, &r, "date", &cdate)) != GM_OK ||
        (st = reader_need(l, &r, "exception_type", &cex)) != GM_OK)
        goto cleanup;
    bool eof;
    while ((st = reader_next(l, &r, &eof)) == GM_OK && !eof) {
        const char *id = get(&r, cid), *sd = get(&r, cdate), *se = get(&r, cex);
        uint32_t d;
        if (!*id) {
            st = issue(l, F, line(&r), "service_id", "service_id is empty; row skipped");
        } else if (!parse_u32(sd, &d) || !valid_date(d)) {
            st = issue(l, F, line(&r), "date", "service %s: date '%s' is not a YYYYMMDD date; row skipped", id, sd);
        } else if (strcmp(se, "1") != 0 && strcmp(se, "2") != 0) {
            st = issue(l, F, line(&r), "exception_type", "service %s: exception_type '%s' is not 1 (added) or 2 (removed); row skipped", id, se);
        } else {
            uint32_t i;
            bool added;
            if ((st = service_get(l, F, id, &i, &added)) != GM_OK)
                break;
            if (d == l->g->date)
                l->svc_exc[i] = se[0] == '1' ? 1 : 2;
        }
        if (st != GM_OK)
            break;
    }
cleanup:
    reader_close(&r);
    return st;
}

static gm_status load_trips(loader *l)
{
    gm__gtfs *g = l->g;
    reader r;
    const char *F = "trips.txt";
    gm_status st = reader_open_required(l, F, &r);
    if (st != GM_OK)
        return st;
    int cid, croute, csvc;
    if ((st = reader_need(l, &r, "route_id", &croute)) != GM_OK || (st = reader_need(l, &r, "service_id", &csvc)) != GM_OK ||
        (st = reader_need(l, &r, "trip_id", &cid)) != GM_OK)
        goto cleanup;
    bool eof;
    while ((st = reader_next(l, &r, &eof)) == GM_OK && !eof) {
        const char *id = get(&r, cid), *rid = get(&r, croute), *sid = get(&r, csvc);
        int32_t ri = gm__strmap_get(&l->route_map, rid), si = gm__strmap_get(&l->service_map, sid);
        if (!*id) {
            st = issue(l, F, line(&r), "trip_id", "trip_id is empty; row skipped");
        } else if (ri < 0) {
            st = issue(l, F, line(&r), "route_id", "trip %s: route_id '%s' is not in routes.txt (or its row was skipped); trip skipped", id, rid);
        } else if (si < 0) {
            st = issue(l, F, line(&r), "service_id", "trip %s: service_id '%s' is in neither calendar.txt nor calendar_dates.txt; trip skipped", id, sid);
        } else {
            uint32_t i = g->ntrips;
            if (i >= l->trip_cap) {
                size_t cap = l->trip_cap ? 2 * l->trip_cap : 1024;
                if (!resize(&g->trip_id, cap, sizeof *g->trip_id) || !resize(&g->trip_route, cap, sizeof *g->trip_route) ||
                    !resize(&g->trip_service, cap, sizeof *g->trip_service) || !resize(&l->trip_line, cap, sizeof *l->trip_line)) {
                    st = nomem(l, F);
                    break;
                }
                l->trip_cap = cap;
            }
            int32_t dup;
            if ((st = put_id(l, &l->trip_map, F, id, i, &g->trip_id[i], &dup)) != GM_OK)
                break;
            if (dup >= 0) {
                st = issue(l, F, line(&r), "trip_id", "trip_id '%s' repeats an earlier trip; row skipped", id);
            } else {
                g->trip_route[i] = (uint32_t)ri;
                g->trip_service[i] = (uint32_t)si;
                l->trip_line[i] = line(&r) > UINT32_MAX ? UINT32_MAX : (uint32_t)line(&r);
                g->ntrips++;
            }
        }
        if (st != GM_OK)
            break;
    }
cleanup:
    reader_close(&r);
    return st;
}

typedef struct strow {
    uint32_t trip, seq, stop, line;
    int32_t arr, dep;
    uint8_t flags;
} strow;

static int strow_cmp(const void *a, const void *b)
{
    const strow *x = a, *y = b;
    if (x->trip != y->trip)
        return x->trip < y->trip ? -1 : 1;
    if (x->seq != y->seq)
        return x->seq < y->seq ? -1 : 1;
    return (x->line > y->line) - (x->line < y->line);
}

/* Fill blank times of rows[0..n) (one trip, in sequence order) by linear
 * interpolation over straight-line distance between the timed stops around
 * them (evenly when the stops coincide).  Returns the index of a row that
 * cannot be timed (first or last blank) or n. */
static size_t interpolate(const gm__gtfs *g, strow *rows, size_t n)
{
    if (rows[0].dep == T_EMPTY || rows[n - 1].arr == T_EMPTY)
        return rows[0].dep == T_EMPTY ? 0 : n - 1;
    size_t a = 0;
    while (a < n - 1) {
        size_t b = a + 1;
        while (rows[b].arr == T_EMPTY)
            b++;
        if (b > a + 1) {
            double total = 0, at = 0;
            for (size_t i = a; i < b; i++)
                total += gm__gtfs_dist_m(g->stop_lon[rows[i].stop], g->stop_lat[rows[i].stop], g->stop_lon[rows[i + 1].stop],
                                         g->stop_lat[rows[i + 1].stop]);
            double t0 = rows[a].dep, span = (double)rows[b].arr - t0;
            for (size_t i = a + 1; i < b; i++) {
                at += gm__gtfs_dist_m(g->stop_lon[rows[i - 1].stop], g->stop_lat[rows[i - 1].stop], g->stop_lon[rows[i].stop],
                                      g->stop_lat[rows[i].stop]);
                double f = total > 0 ? at / total : (double)(i - a) / (double)(b - a);
                rows[i].arr = rows[i].dep = (int32_t)floor(t0 + f * span);
            }
        }
        a = b;
    }
    return n;
}

static gm_status load_stop_times(loader *l)
{
    gm__gtfs *g = l->g;
    reader r;
    const char *F = "stop_times.txt";
    strow *rows = NULL;
    size_t nrows = 0, cap = 0;
    uint32_t *newidx = NULL;
    gm_status st = reader_open_required(l, F, &r);
    if (st != GM_OK)
        return st;
    int ctrip, carr, cdep, cstop, cseq, cpick = reader_col(&r, "pickup_type"), cdrop = reader_col(&r, "drop_off_type");
    if ((st = reader_need(l, &r, "trip_id", &ctrip)) != GM_OK || (st = reader_need(l, &r, "arrival_time", &carr)) != GM_OK ||
        (st = reader_need(l, &r, "departure_time", &cdep)) != GM_OK || (st = reader_need(l, &r, "stop_id", &cstop)) != GM_OK ||
        (st = reader_need(l, &r, "stop_sequence", &cseq)) != GM_OK)
        goto cleanup;
    bool eof;
    while ((st = reader_next(l, &r, &eof)) == GM_OK && !eof) {
        const char *tid = get(&r, ctrip), *sid = get(&r, cstop), *sq = get(&r, cseq);
        const char *sa = get(&r, carr), *sd = get(&r, cdep), *sp = get(&r, cpick), *so = get(&r, cdrop);
        int32_t ti = gm__strmap_get(&l->trip_map, tid), si = gm__strmap_get(&l->stop_map, sid);
        int32_t ta = parse_time(sa), td = parse_time(sd);
        uint32_t seq;
        uint64_t ln = line(&r);
        if (ti < 0)
            st = issue(l, F, ln, "trip_id", "trip_id '%s' is not in trips.txt (or its row was skipped); row skipped", tid);
        else if (si < 0)
            st = issue(l, F, ln, "stop_id", "trip %s: stop_id '%s' is not in stops.txt (or its row was skipped); row skipped", tid, sid);
        else if (!parse_u32(sq, &seq))
            st = issue(l, F, ln, "stop_sequence", "trip %s: stop_sequence '%s' is not a whole number; row skipped", tid, sq);
        else {
            if (ta == T_BAD || td == T_BAD) {
                /* keep the row, flagged, so the whole trip is dropped below: a trip
                 * missing one stop's time would otherwise run a different path */
                st = issue(l, F, ln, ta == T_BAD ? "arrival_time" : "departure_time",
                           "trip %s: time '%s' is not HH:MM:SS; trip skipped", tid, ta == T_BAD ? sa : sd);
                if (st != GM_OK)
                    break;
            }
            if (ta == T_EMPTY)
                ta = td;
            if (td == T_EMPTY)
                td = ta;
            if (nrows >= UINT32_MAX - 1) {
                st = too_many(l, F);
                break;
            }
            if (!gm__grow((void **)&rows, &cap, nrows + 1, sizeof *rows)) {
                st = nomem(l, F);
                break;
            }
            strow *w = &rows[nrows++];
            w->trip = (uint32_t)ti;
            w->seq = seq;
            w->stop = (uint32_t)si;
            w->line = ln > UINT32_MAX ? UINT32_MAX : (uint32_t)ln;
            w->arr = ta;
            w->dep = td;
            w->flags = (uint8_t)((strcmp(sp, "1") != 0 ? GM__GTFS_PICKUP : 0) | (strcmp(so, "1") != 0 ? GM__GTFS_DROPOFF : 0));
        }
        if (st != GM_OK)
            break;
    }
    if (st != GM_OK)
        goto cleanup;

    if (nrows > 1)
        qsort(rows, nrows, sizeof *rows, strow_cmp);

    /* Check trip by trip; keep the sound ones, renumbered in feed order. */
    newidx = gm__malloc((g->ntrips ? g->ntrips : 1) * sizeof *newidx);
    g->trip_first = gm__malloc(((size_t)g->ntrips + 1) * sizeof *g->trip_first);
    g->st_stop = gm__malloc((nrows ? nrows : 1) * sizeof *g->st_stop);
    g->st_arr_s = gm__malloc((nrows ? nrows : 1) * sizeof *g->st_arr_s);
    g->st_dep_s = gm__malloc((nrows ? nrows : 1) * sizeof *g->st_dep_s);
    g->st_flags = gm__malloc((nrows ? nrows : 1) * sizeof *g->st_flags);
    if (!newidx || !g->trip_first || !g->st_stop || !g->st_arr_s || !g->st_dep_s || !g->st_flags) {
        st = nomem(l, F);
        goto cleanup;
    }
    uint32_t kept = 0, nst = 0;
    size_t a = 0;
    for (uint32_t t = 0; t < g->ntrips; t++) {
        size_t b = a;
        while (b < nrows && rows[b].trip == t)
            b++;
        size_t n = b - a, bad = n;
        const char *why = NULL, *field = "";
        strow *tr = rows + a;
        for (size_t i = 0; i < n && !why; i++) {
            if (tr[i].arr == T_BAD || tr[i].dep == T_BAD)
                bad = i, why = "";
            else if (i > 0 && tr[i].seq == tr[i - 1].seq)
                bad = i, why = "stop_sequence repeats the previous row's", field = "stop_sequence";
        }
        if (!why && n < 2) {
            st = issue(l, "trips.txt", l->trip_line[t], "trip_id", "trip %s has %zu usable stop time(s), fewer than 2; trip skipped",
                       g->trip_id[t], n);
            newidx[t] = NONE32;
            a = b;
            if (st != GM_OK)
                goto cleanup;
            continue;
        }
        if (!why && (bad = interpolate(g, tr, n)) < n)
            why = "the first and last stop of a trip need times", field = bad ? "arrival_time" : "departure_time";
        for (size_t i = 0; i < n && !why; i++) {
            if (tr[i].dep < tr[i].arr)
                bad = i, why = "departure_time is before arrival_time", field = "departure_time";
            else if (i > 0 && tr[i].arr < tr[i - 1].dep)
                bad = i, why = "arrival_time is before the previous stop's departure", field = "arrival_time";
        }
        if (why) {
            if (*why)
                st = issue(l, F, tr[bad].line, field, "trip %s: %s; trip skipped", g->trip_id[t], why);
            newidx[t] = NONE32;
            a = b;
            if (st != GM_OK)
                goto cleanup;
            continue;
        }
        newidx[t] = kept;
        g->trip_id[kept] = g->trip_id[t];
        g->trip_route[kept] = g->trip_route[t];
        g->trip_service[kept] = g->trip_service[t];
        l->trip_line[kept] = l->trip_line[t];
        g->trip_first[kept] = nst;
        for (size_t i = 0; i < n; i++, nst++) {
            g->st_stop[nst] = tr[i].stop;
            g->st_arr_s[nst] = tr[i].arr;
            g->st_dep_s[nst] = tr[i].dep;
            g->st_flags[nst] = tr[i].flags;
        }
        kept++;
        a = b;
    }
    g->trip_first[kept] = nst;
    g->ntrips = kept;
    g->nstop_times = nst;
    /* the trip map now points at old indices: rebuild its values */
    for (size_t k = 0; k < l->trip_map.cap; k++)
        if (l->trip_map.keys[k])
            l->trip_map.vals[k] = newidx[l->trip_map.vals[k]] == NONE32 ? -2 : (int32_t)newidx[l->trip_map.vals[k]];
cleanup:
    gm__free(rows);
    gm__free(newidx);
    reader_close(&r);
    return st;
}

static gm_status load_frequencies(loader *l)
{
    gm__gtfs *g = l->g;
    reader r;
    bool present;
    const char *F = "frequencies.txt";
    gm_status st = reader_open(l, F, &r, &present);
    if (st != GM_OK || !present)
        return st;
    int ctrip, cs, ce, ch;
    if ((st = reader_need(l, &r, "trip_id", &ctrip)) != GM_OK || (st = reader_need(l, &r, "start_time", &cs)) != GM_OK ||
        (st = reader_need(l, &r, "end_time", &ce)) != GM_OK || (st = reader_need(l, &r, "headway_secs", &ch)) != GM_OK)
        goto cleanup;
    bool eof;
    while ((st = reader_next(l, &r, &eof)) == GM_OK && !eof) {
        const char *tid = get(&r, ctrip), *ss = get(&r, cs), *se = get(&r, ce), *sh = get(&r, ch);
        int32_t ti = gm__strmap_get(&l->trip_map, tid), t0 = parse_time(ss), t1 = parse_time(se);
        uint32_t h;
        uint64_t ln = line(&r);
        if (ti == -2)
            continue; /* the trip was skipped, and said so */
        if (ti < 0)
            st = issue(l, F, ln, "trip_id", "trip_id '%s' is not in trips.txt; row skipped", tid);
        else if (t0 < 0)
            st = issue(l, F, ln, "start_time", "trip %s: start_time '%s' is not HH:MM:SS; row skipped", tid, ss);
        else if (t1 < 0 || t1 < t0)
            st = issue(l, F, ln, "end_time", "trip %s: end_time '%s' is not HH:MM:SS at or after start_time; row skipped", tid, se);
        else if (!parse_u32(sh, &h) || h == 0 || h > 86400)
            st = issue(l, F, ln, "headway_secs", "trip %s: headway_secs '%s' is not 1..86400; row skipped", tid, sh);
        else {
            uint32_t i = g->nfrequencies;
            if (i >= l->freq_cap) {
                size_t cap = l->freq_cap ? 2 * l->freq_cap : 64;
                if (!resize(&l->freq_trip, cap, sizeof *l->freq_trip) || !resize(&l->freq_start, cap, sizeof *l->freq_start) ||
                    !resize(&l->freq_end, cap, sizeof *l->freq_end) || !resize(&l->freq_head, cap, sizeof *l->freq_head)) {
                    st = nomem(l, F);
                    break;
                }
                l->freq_cap = cap;
            }
            l->freq_trip[i] = (uint32_t)ti;
            l->freq_start[i] = t0;
            l->freq_end[i] = t1;
            l->freq_head[i] = (int32_t)h;
            g->nfrequencies++;
        }
        if (st != GM_OK)
            break;
    }
cleanup:
    reader_close(&r);
    return st;
}

/* ---- the date's timetable ---- */

typedef struct run {
    uint64_t hash; /* of the route and the (stop, flags) sequence */
    uint32_t route, len;
    int32_t dep0;  /* first departure, shifted */
    uint32_t trip;
    int32_t shift; /* added to the trip's times (frequency expansion) */
} run;

static int run_cmp(const void *a, const void *b)
{
    const run *x = a, *y = b;
    if (x->hash != y->hash)
        return x->hash < y->hash ? -1 : 1;
    if (x->route != y->route)
        return x->route < y->route ? -1 : 1;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    if (x->dep0 != y->dep0)
        return x->dep0 < y->dep0 ? -1 : 1;
    if (x->trip != y->trip)
        return x->trip < y->trip ? -1 : 1;
    return (x->shift > y->shift) - (x->shift < y->shift);
}

static bool same_stops(const gm__gtfs *g, uint32_t t1, uint32_t t2)
{
    uint32_t a = g->trip_first[t1], b = g->trip_first[t2], n = g->trip_first[t1 + 1] - a;
    if (n != g->trip_first[t2 + 1] - b || g->trip_route[t1] != g->trip_route[t2])
        return false;
    for (uint32_t i = 0; i < n; i++)
        if (g->st_stop[a + i] != g->st_stop[b + i] || g->st_flags[a + i] != g->st_flags[b + i])
            return false;
    return true;
}

/* Run y (later) never passes run x at any stop: RAPTOR's trip search assumes it. */
static bool fifo(const gm__gtfs *g, const run *x, const run *y)
{
    uint32_t a = g->trip_first[x->trip], b = g->trip_first[y->trip];
    for (uint32_t i = 0; i < x->len; i++)
        if ((int64_t)g->st_arr_s[b + i] + y->shift < (int64_t)g->st_arr_s[a + i] + x->shift ||
            (int64_t)g->st_dep_s[b + i] + y->shift < (int64_t)g->st_dep_s[a + i] + x->shift)
            return false;
    return true;
}

static gm_status build_patterns(loader *l)
{
    gm__gtfs *g = l->g;
    gm_status st = GM_OK;
    run *runs = NULL;
    uint32_t *cls = NULL, *reps = NULL, *sub_last = NULL, *sub_of = NULL;
    size_t nruns = 0, cap = 0, ntimes = 0;
    uint8_t *has_freq = gm__calloc(g->ntrips ? g->ntrips : 1, 1);
    if (!has_freq)
        goto nomem;
    for (uint32_t f = 0; f < g->nfrequencies; f++)
        has_freq[l->freq_trip[f]] = 1;

    /* the runs of the date: plain trips, and frequency trips expanded */
    for (uint32_t t = 0; t < g->ntrips; t++) {
        if (!g->service_on[g->trip_service[t]] || has_freq[t])
            continue;
        if (!gm__grow((void **)&runs, &cap, nruns + 1, sizeof *runs))
            goto nomem;
        runs[nruns++] = (run){0, g->trip_route[t], 0, 0, t, 0};
    }
    for (uint32_t f = 0; f < g->nfrequencies; f++) {
        uint32_t t = l->freq_trip[f];
        if (!g->service_on[g->trip_service[t]])
            continue;
        int32_t base = g->st_dep_s[g->trip_first[t]];
        /* start_time inclusive, end_time exclusive, as OpenTripPlanner and R5 read it */
        for (int64_t x = l->freq_start[f]; x < l->freq_end[f]; x += l->freq_head[f]) {
            if (x - base + g->st_arr_s[g->trip_first[t + 1] - 1] > INT32_MAX / 2) {
                st = gm__err(l->ctx, GM_E_INPUT, "%s: frequencies.txt: trip %s runs past 2^30 seconds", l->path, g->trip_id[t]);
                goto cleanup;
            }
            if (nruns >= UINT32_MAX - 1) {
                st = too_many(l, "frequencies.txt");
                goto cleanup;
            }
            if (!gm__grow((void **)&runs, &cap, nruns + 1, sizeof *runs))
                goto nomem;
            runs[nruns++] = (run){0, g->trip_route[t], 0, 0, t, (int32_t)(x - base)};
        }
    }
    for (size_t k = 0; k < nruns; k++) {
        run *r = &runs[k];
        uint32_t a = g->trip_first[r->trip], b = g->trip_first[r->trip + 1];
        uint64_t h = 1469598103934665603u ^ r->route; /* FNV-1a */
        for (uint32_t i = a; i < b; i++) {
            h = (h ^ g->st_stop[i]) * 1099511628211u;
            h = (h ^ g->st_flags[i]) * 1099511628211u;
        }
        r->hash = h;
        r->len = b - a;
        r->dep0 = g->st_dep_s[a] + r->shift;
        ntimes += r->len;
    }
    if (ntimes > UINT32_MAX - 1) {
        st = gm__err(l->ctx, GM_E_INPUT, "%s: more stop times on %u than 32-bit ids hold", l->path, g->date);
        goto cleanup;
    }
    if (nruns > 1)
        qsort(runs, nruns, sizeof *runs, run_cmp);
    g->ntrips_day = (uint32_t)nruns;

    size_t n1 = nruns ? nruns : 1, t1 = ntimes ? ntimes : 1;
    cls = gm__malloc(n1 * sizeof *cls);
    reps = gm__malloc(n1 * sizeof *reps);
    sub_last = gm__malloc(n1 * sizeof *sub_last);
    sub_of = gm__malloc(n1 * sizeof *sub_of);
    g->pat_route = gm__malloc(n1 * sizeof *g->pat_route);
    g->pat_first_stop = gm__malloc((n1 + 1) * sizeof *g->pat_first_stop);
    g->pat_first_trip = gm__malloc((n1 + 1) * sizeof *g->pat_first_trip);
    g->pat_first_time = gm__malloc(n1 * sizeof *g->pat_first_time);
    g->pat_trip = gm__malloc(n1 * sizeof *g->pat_trip);
    g->pat_stops = gm__malloc(t1 * sizeof *g->pat_stops);
    g->pat_flags = gm__malloc(t1);
    g->arr_s = gm__malloc(t1 * sizeof *g->arr_s);
    g->dep_s = gm__malloc(t1 * sizeof *g->dep_s);
    if (!cls || !reps || !sub_last || !sub_of || !g->pat_route || !g->pat_first_stop || !g->pat_first_trip ||
        !g->pat_first_time || !g->pat_trip || !g->pat_stops || !g->pat_flags || !g->arr_s || !g->dep_s)
        goto nomem;

    uint32_t np = 0, nps = 0, npt = 0, ntm = 0;
    g->pat_first_stop[0] = 0;
    g->pat_first_trip[0] = 0;
    for (size_t a = 0; a < nruns;) {
        size_t b = a + 1;
        while (b < nruns && runs[b].hash == runs[a].hash && runs[b].route == runs[a].route && runs[b].len == runs[a].len)
            b++;
        /* exact stop sequences within the hash group (collisions split here) */
        uint32_t nreps = 0;
        for (size_t k = a; k < b; k++) {
            uint32_t c = 0;
            while (c < nreps && !same_stops(g, runs[reps[c]].trip, runs[k].trip))
                c++;
            if (c == nreps)
                reps[nreps++] = (uint32_t)k;
            cls[k] = c;
        }
        for (uint32_t c = 0; c < nreps; c++) {
            /* FIFO split: each run joins the first sub-pattern it does not overtake */
            uint32_t nsub = 0;
            for (size_t k = a; k < b; k++) {
                if (cls[k] != c)
                    continue;
                uint32_t s = 0;
                while (s < nsub && !fifo(g, &runs[sub_last[s]], &runs[k]))
                    s++;
                if (s == nsub)
                    nsub++;
                sub_last[s] = (uint32_t)k;
                sub_of[k] = s;
            }
            const run *rep = &runs[reps[c]];
            uint32_t len = rep->len, f0 = g->trip_first[rep->trip];
            for (uint32_t s = 0; s < nsub; s++) {
                g->pat_route[np] = rep->route;
                g->pat_first_time[np] = ntm;
                for (uint32_t i = 0; i < len; i++) {
                    g->pat_stops[nps + i] = g->st_stop[f0 + i];
                    g->pat_flags[nps + i] = g->st_flags[f0 + i];
                }
                nps += len;
                for (size_t k = a; k < b; k++) {
                    if (cls[k] != c || sub_of[k] != s)
                        continue;
                    uint32_t f = g->trip_first[runs[k].trip];
                    for (uint32_t i = 0; i < len; i++) {
                        g->arr_s[ntm + i] = g->st_arr_s[f + i] + runs[k].shift;
                        g->dep_s[ntm + i] = g->st_dep_s[f + i] + runs[k].shift;
                    }
                    ntm += len;
                    g->pat_trip[npt++] = runs[k].trip;
                }
                np++;
                g->pat_first_stop[np] = nps;
                g->pat_first_trip[np] = npt;
            }
        }
        a = b;
    }
    g->npatterns = np;
    /* give back the upper-bound room (a failed shrink keeps the larger block) */
    (void)resize(&g->pat_stops, nps ? nps : 1, sizeof *g->pat_stops);
    (void)resize(&g->pat_flags, nps ? nps : 1, sizeof *g->pat_flags);

    /* patterns serving each stop */
    g->stop_first_pat = gm__calloc((size_t)g->nstops + 1, sizeof *g->stop_first_pat);
    g->stop_pat = gm__malloc((nps ? nps : 1) * sizeof *g->stop_pat);
    g->stop_pat_pos = gm__malloc((nps ? nps : 1) * sizeof *g->stop_pat_pos);
    if (!g->stop_first_pat || !g->stop_pat || !g->stop_pat_pos)
        goto nomem;
    for (uint32_t i = 0; i < nps; i++)
        g->stop_first_pat[g->pat_stops[i] + 1]++;
    for (uint32_t s = 0; s < g->nstops; s++)
        g->stop_first_pat[s + 1] += g->stop_first_pat[s];
    for (uint32_t p = 0; p < np; p++)
        for (uint32_t i = g->pat_first_stop[p]; i < g->pat_first_stop[p + 1]; i++) {
            uint32_t s = g->pat_stops[i], at = g->stop_first_pat[s]++;
            g->stop_pat[at] = p;
            g->stop_pat_pos[at] = i - g->pat_first_stop[p];
        }
    for (uint32_t s = g->nstops; s > 0; s--)
        g->stop_first_pat[s] = g->stop_first_pat[s - 1];
    g->stop_first_pat[0] = 0;
    goto cleanup;
nomem:
    st = gm__err(l->ctx, GM_E_NOMEM, "%s: out of memory building the timetable of %u", l->path, g->date);
cleanup:
    gm__free(has_freq);
    gm__free(runs);
    gm__free(cls);
    gm__free(reps);
    gm__free(sub_last);
    gm__free(sub_of);
    return st;
}

typedef struct cellent {
    uint64_t key;
    uint32_t stop;
} cellent;

static int cellent_cmp(const void *a, const void *b)
{
    const cellent *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->stop > y->stop) - (x->stop < y->stop);
}

static uint64_t cellkey(int64_t cx, int64_t cy)
{
    return (uint64_t)(uint32_t)cy << 32 | (uint32_t)cx;
}

/* Footpaths: a grid of max-distance cells over an equirectangular projection
 * scaled by the smallest cos(latitude) of the feed, so projected distances
 * never exceed true ones and the 3 x 3 cells around a stop hold every stop
 * within reach; candidates are then measured on the sphere. */
static gm_status build_transfers(loader *l)
{
    gm__gtfs *g = l->g;
    const gm__gtfs_opts *o = l->opts;
    gm_status st = GM_OK;
    cellent *cells = NULL;
    int64_t *cx = NULL, *cy = NULL;
    size_t cap = 0, n = 0;
    g->xfer_first = gm__calloc((size_t)g->nstops + 1, sizeof *g->xfer_first);
    if (!g->xfer_first)
        goto nomem;
    if (o->transfer_max_m <= 0 || g->nstops < 2)
        goto cleanup;
    double cosmin = 1.0, lonmin = 180, latmin = 90;
    for (uint32_t s = 0; s < g->nstops; s++) {
        double c = cos(g->stop_lat[s] * GM__PI / 180.0);
        cosmin = c < cosmin ? c : cosmin;
        lonmin = g->stop_lon[s] < lonmin ? g->stop_lon[s] : lonmin;
        latmin = g->stop_lat[s] < latmin ? g->stop_lat[s] : latmin;
    }
    if (cosmin < 0.01)
        cosmin = 0.01; /* polar feeds: coarse cells, still correct */
    const double R = 6371008.8, d2r = GM__PI / 180.0, cell = o->transfer_max_m;
    const double mps = o->walk_speed_kmh / 3.6;
    cells = gm__malloc(g->nstops * sizeof *cells);
    cx = gm__malloc(g->nstops * sizeof *cx);
    cy = gm__malloc(g->nstops * sizeof *cy);
    if (!cells || !cx || !cy)
        goto nomem;
    for (uint32_t s = 0; s < g->nstops; s++) {
        cx[s] = (int64_t)floor(R * (g->stop_lon[s] - lonmin) * d2r * cosmin / cell);
        cy[s] = (int64_t)floor(R * (g->stop_lat[s] - latmin) * d2r / cell);
        cells[s] = (cellent){cellkey(cx[s], cy[s]), s};
    }
    qsort(cells, g->nstops, sizeof *cells, cellent_cmp);
    for (uint32_t s = 0; s < g->nstops; s++) {
        size_t start = n;
        for (int64_t dy = -1; dy <= 1; dy++)
            for (int64_t dx = -1; dx <= 1; dx++) {
                if (cx[s] + dx < 0 || cy[s] + dy < 0)
                    continue;
                uint64_t key = cellkey(cx[s] + dx, cy[s] + dy);
                size_t lo = 0, hi = g->nstops;
                while (lo < hi) {
                    size_t mid = lo + (hi - lo) / 2;
                    if (cells[mid].key < key)
                        lo = mid + 1;
                    else
                        hi = mid;
                }
                for (; lo < g->nstops && cells[lo].key == key; lo++) {
                    uint32_t t = cells[lo].stop;
                    if (t == s)
                        continue;
                    double d = gm__gtfs_dist_m(g->stop_lon[s], g->stop_lat[s], g->stop_lon[t], g->stop_lat[t]);
                    if (d > o->transfer_max_m)
                        continue;
                    if (n >= UINT32_MAX - 1) {
                        st = gm__err(l->ctx, GM_E_INPUT, "%s: more footpaths than 32-bit ids hold (lower transfer_max_m)", l->path);
                        goto cleanup;
                    }
                    size_t c2 = cap;
                    if (!gm__grow((void **)&g->xfer_to, &c2, n + 1, sizeof *g->xfer_to) ||
                        !gm__grow((void **)&g->xfer_s, &cap, c2, sizeof *g->xfer_s))
                        goto nomem;
                    g->xfer_to[n] = t;
                    g->xfer_s[n] = (int32_t)ceil(d * o->detour / mps);
                    n++;
                }
            }
        /* sort the stop's footpaths by target (few: insertion sort) */
        for (size_t i = start + 1; i < n; i++) {
            uint32_t t = g->xfer_to[i];
            int32_t w = g->xfer_s[i];
            size_t j = i;
            for (; j > start && g->xfer_to[j - 1] > t; j--) {
                g->xfer_to[j] = g->xfer_to[j - 1];
                g->xfer_s[j] = g->xfer_s[j - 1];
            }
            g->xfer_to[j] = t;
            g->xfer_s[j] = w;
        }
        g->xfer_first[s + 1] = (uint32_t)n;
    }
    goto cleanup;
nomem:
    st = gm__err(l->ctx, GM_E_NOMEM, "%s: out of memory building footpaths", l->path);
cleanup:
    gm__free(cells);
    gm__free(cx);
    gm__free(cy);
    return st;
}

/* ---- public ---- */

void gm__gtfs_free(gm__gtfs *g)
{
    if (!g)
        return;
    if (g->strings_) {
        gm__arena_free(g->strings_);
        gm__free(g->strings_);
    }
    void *arrays[] = {g->stop_id, g->stop_name, g->stop_lon, g->stop_lat, g->route_id, g->route_short_name,
                      g->route_type, g->service_id, g->service_on, g->trip_id, g->trip_route, g->trip_service,
                      g->trip_first, g->st_stop, g->st_arr_s, g->st_dep_s, g->st_flags, g->pat_route,
                      g->pat_first_stop, g->pat_stops, g->pat_flags, g->pat_first_trip, g->pat_trip,
                      g->pat_first_time, g->arr_s, g->dep_s, g->stop_first_pat, g->stop_pat, g->stop_pat_pos,
                      g->xfer_first, g->xfer_to, g->xfer_s, g->issues};
    for (size_t i = 0; i < sizeof arrays / sizeof *arrays; i++)
        gm__free(arrays[i]);
    gm__free(g);
}

int64_t gm__gtfs_find_stop(const gm__gtfs *g, const char *stop_id)
{
    for (uint32_t s = 0; s < g->nstops; s++)
        if (strcmp(g->stop_id[s], stop_id) == 0)
            return s;
    return -1;
}

static bool ends_with_ci(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && streq_ci(s + n - k, suffix);
}

gm_status gm__gtfs_load(gm_ctx *ctx, const char *path, const gm__gtfs_opts *opts, gm__gtfs **out)
{
    gm_status st = GM_OK;
    loader l;
    memset(&l, 0, sizeof l);
    l.ctx = ctx;
    l.path = path;
    l.opts = opts;
    if (!valid_date(opts->date))
        return gm__err(ctx, GM_E_ARG, "GTFS service date %u is not a YYYYMMDD day", opts->date);
    if (!(opts->transfer_max_m >= 0) || !isfinite(opts->transfer_max_m) || !(opts->detour >= 1) ||
        !isfinite(opts->detour) || !(opts->walk_speed_kmh > 0) || !isfinite(opts->walk_speed_kmh))
        return gm__err(ctx, GM_E_ARG,
                       "GTFS footpaths: transfer_max_m %g must be >= 0, detour %g >= 1 and walk_speed_kmh %g > 0",
                       (double)opts->transfer_max_m, (double)opts->detour, (double)opts->walk_speed_kmh);
    struct stat sb;
    if (strncmp(path, "/vsi", 4) != 0 && stat(path, &sb) != 0)
        return gm__err(ctx, GM_E_NOT_FOUND, "%s: no such GTFS folder or zip (check the path)", path);
    l.zip = strncmp(path, "/vsi", 4) == 0 || !S_ISDIR(sb.st_mode);
    if (l.zip && strncmp(path, "/vsi", 4) != 0 && !ends_with_ci(path, ".zip"))
        return gm__err(ctx, GM_E_INPUT, "%s: a GTFS feed is a folder or a .zip file", path);

    gm__gtfs *g = gm__calloc(1, sizeof *g);
    if (!g)
        return gm__err(ctx, GM_E_NOMEM, "%s: out of memory loading the feed", path);
    l.g = g;
    g->date = opts->date;
    g->weekday = weekday_of(opts->date);

    bool has_cal, has_dates;
    if ((st = load_agency(&l)) != GM_OK || (st = load_stops(&l)) != GM_OK || (st = load_routes(&l)) != GM_OK ||
        (st = load_calendar(&l, &has_cal)) != GM_OK || (st = load_calendar_dates(&l, &has_dates)) != GM_OK)
        goto cleanup;
    if (!has_cal && !has_dates) {
        st = gm__err(ctx, GM_E_NOT_FOUND,
                     "%s: required GTFS file calendar.txt is missing, and there is no calendar_dates.txt instead", path);
        goto cleanup;
    }
    for (uint32_t s = 0; s < g->nservices; s++)
        if (l.svc_exc[s])
            g->service_on[s] = l.svc_exc[s] == 1;
    if ((st = load_trips(&l)) != GM_OK || (st = load_stop_times(&l)) != GM_OK || (st = load_frequencies(&l)) != GM_OK ||
        (st = build_patterns(&l)) != GM_OK || (st = build_transfers(&l)) != GM_OK)
        goto cleanup;

    g->strings_ = gm__malloc(sizeof(gm__arena));
    if (!g->strings_) {
        st = gm__err(ctx, GM_E_NOMEM, "%s: out of memory loading the feed", path);
        goto cleanup;
    }
    memcpy(g->strings_, &l.arena, sizeof l.arena);
    memset(&l.arena, 0, sizeof l.arena);
    *out = g;
    g = NULL;
cleanup:
    gm__gtfs_free(g);
    gm__arena_free(&l.arena);
    gm__strmap_free(&l.agency_map);
    gm__strmap_free(&l.stop_map);
    gm__strmap_free(&l.route_map);
    gm__strmap_free(&l.service_map);
    gm__strmap_free(&l.trip_map);
    gm__free(l.svc_exc);
    gm__free(l.trip_line);
    gm__free(l.freq_trip);
    gm__free(l.freq_start);
    gm__free(l.freq_end);
    gm__free(l.freq_head);
    return st;
}
