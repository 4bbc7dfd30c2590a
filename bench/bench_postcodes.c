/*
 * bench_postcodes: how fast the postcode directory loads the whole of Great
 * Britain and answers look-ups.
 *
 * It writes a synthetic ONSPD-like CSV of 2,604,000 rows (124 real postcode
 * areas x 30 districts x 10 sectors x 70 units; ONSPD has about 2.6 million
 * live and terminated postcodes) with ONSPD's column names and formats: pcd
 * (7-character fixed), pcds, dointr, doterm (about 10% terminated), oseast1m,
 * osnrth1m, osgrdind (about 0.3% without a grid reference: blank coordinates,
 * indicator 9), lsoa21 (runs of 62 postcodes, ~42,000 codes), msoa21, lat,
 * long.  Every property of row i is a hash of i, so the look-up phase knows
 * which queries must hit.  Then it times, with CLOCK_MONOTONIC:
 *   1. gm_pcdir_load of the file (BNG columns, doterm and lsoa21 mapped);
 *   2. 1,000,000 look-ups of text as a user file would hold it, each through
 *      gm_postcode_normalise then gm_pcdir_lookup: 50% display form
 *      ("SN15 1ER"), 20% untidy forms (lower case, no-break space, quotes,
 *      fixed width), 20% well-formed postcodes that are not in the directory,
 *      10% malformed text;
 *   3. the same hits and misses again as compact keys, look-up alone.
 * and prints rows/s, seconds, look-ups/s and peak RSS (getrusage).
 *
 * Usage: bench_postcodes [csv-path] [--keep] [--reuse]
 *   csv-path  where to write the CSV (default: a new folder under $TMPDIR or
 *             /tmp, removed afterwards unless --keep).
 *   --reuse   use csv-path as it is when it exists (written by an earlier run:
 *             saves the ~5 s of writing when profiling the load).
 * Exit status 0 when every count checks out, 1 otherwise.
 */
#include "gapmap/gapmap.h"
#include "gapmap/geocode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* The 121 postcode areas of the UK (Royal Mail; 124 with the Crown dependencies GY, JE, IM), so outward codes look real. */
static const char *const AREAS[] = {
    "AB", "AL", "B",  "BA", "BB", "BD", "BH", "BL", "BN", "BR", "BS", "BT", "CA", "CB", "CF", "CH",
    "CM", "CO", "CR", "CT", "CV", "CW", "DA", "DD", "DE", "DG", "DH", "DL", "DN", "DT", "DY", "E",
    "EC", "EH", "EN", "EX", "FK", "FY", "G",  "GL", "GU", "HA", "HD", "HG", "HP", "HR", "HS", "HU",
    "HX", "IG", "IP", "IV", "KA", "KT", "KW", "KY", "L",  "LA", "LD", "LE", "LL", "LN", "LS", "LU",
    "M",  "ME", "MK", "ML", "N",  "NE", "NG", "NN", "NP", "NR", "NW", "OL", "OX", "PA", "PE", "PH",
    "PL", "PO", "PR", "RG", "RH", "RM", "S",  "SA", "SE", "SG", "SK", "SL", "SM", "SN", "SO", "SP",
    "SR", "SS", "ST", "SW", "SY", "TA", "TD", "TF", "TN", "TQ", "TR", "TS", "TW", "UB", "W",  "WA",
    "WC", "WD", "WF", "WN", "WR", "WS", "WV", "YO", "ZE",
};
#define NAREAS (sizeof AREAS / sizeof AREAS[0])
#define DISTRICTS 30
#define SECTORS 10
#define UNITS 72
#define NROWS ((uint64_t)NAREAS * DISTRICTS * SECTORS * UNITS)
#define NLOOKUPS 1000000

/* Inward-code letters: the alphabet without C, I, K, M, O, V (Royal Mail). */
static const char INWARD[] = "ABDEFGHJLNPQRSTUWXYZ";
#define NPAIRS 400 /* 20 x 20 letter pairs */

/* splitmix64 (Vigna, public domain): a deterministic hash of the row number. */
static uint64_t mix(uint64_t x)
{
    x += UINT64_C(0x9e3779b97f4a7c15);
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

/* Outward and inward code of row i (or of a unit that is never written, when
 * absent is set: the unit letters come from the pairs the file skips). */
static void postcode_of(uint64_t i, bool absent, char outward[5], char inward[4])
{
    uint64_t unit = i % UNITS, sector = (i / UNITS) % SECTORS;
    uint64_t district = (i / UNITS / SECTORS) % DISTRICTS + 1;
    uint64_t area = i / UNITS / SECTORS / DISTRICTS;
    snprintf(outward, 5, "%s%u", AREAS[area], (unsigned)district);
    /* Stride 7 is coprime with 400, so the 70 units of a sector are distinct
     * pairs, and units 70..139 of the same walk are pairs never written. */
    uint64_t pair = ((unit + (absent ? UNITS : 0)) * 7 + sector * 3) % NPAIRS;
    inward[0] = (char)('0' + sector);
    inward[1] = INWARD[pair / 20];
    inward[2] = INWARD[pair % 20];
    inward[3] = '\0';
}

static bool row_has_coords(uint64_t i)
{
    return mix(i ^ 0xc00d) % 1000 >= 3; /* ~0.3% without a grid reference */
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double peak_rss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0; /* Linux reports kilobytes */
}

static int write_csv(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        return 1;
    }
    static char buf[1 << 20];
    setvbuf(f, buf, _IOFBF, sizeof buf);
    fputs("pcd,pcds,dointr,doterm,oseast1m,osnrth1m,osgrdind,lsoa21,msoa21,lat,long\n", f);
    for (uint64_t i = 0; i < NROWS; i++) {
        char out[5], in[4];
        postcode_of(i, false, out, in);
        uint64_t h = mix(i);
        uint64_t area = i / ((uint64_t)UNITS * SECTORS * DISTRICTS);
        /* Each area gets its own patch of the grid; units scatter within it. */
        long e = 100000 + (long)(area % 11) * 50000 + (long)(h % 40000);
        long n = 20000 + (long)(area / 11) * 100000 + (long)((h >> 16) % 80000);
        int intro = 1980 + (int)((h >> 32) % 44), intro_m = 1 + (int)((h >> 40) % 12);
        char term[8] = "";
        if ((h >> 48) % 10 == 0) /* ~10% terminated, as in ONSPD */
            snprintf(term, sizeof term, "%d%02d", intro + 1 + (int)((h >> 52) % 5),
                     1 + (int)((h >> 56) % 12));
        double lat = 49.766 + (double)(n + 100000) / 111320.0;
        double lon = -2.0 + (double)(e - 400000) / 70000.0;
        if (row_has_coords(i))
            fprintf(f, "%-4s%s,%s %s,%d%02d,%s,%ld,%ld,1,E01%06llu,E02%06llu,%.6f,%.6f\n", out, in,
                    out, in, intro, intro_m, term, e, n, (unsigned long long)(i / 62),
                    (unsigned long long)(i / 400), lat, lon);
        else
            fprintf(f, "%-4s%s,%s %s,%d%02d,%s,,,9,E01%06llu,E02%06llu,99.999999,0.000000\n", out,
                    in, out, in, intro, intro_m, term, (unsigned long long)(i / 62),
                    (unsigned long long)(i / 400));
    }
    if (fclose(f) != 0) {
        perror(path);
        return 1;
    }
    return 0;
}

/* One query: the text and whether it must be found. */
typedef struct query {
    char text[24];
    bool hit;
} query;

static void make_query(uint64_t q, query *out)
{
    uint64_t h = mix(q ^ 0x5eed);
    uint64_t i = h % NROWS;
    char o[5], in[4];
    unsigned kind = (unsigned)((h >> 40) % 10);
    postcode_of(i, kind == 7 || kind == 8, o, in);
    out->hit = kind < 7 && row_has_coords(i);
    switch (kind) {
    case 0: case 1: case 2: case 3: case 4: /* 50% display form */
        snprintf(out->text, sizeof out->text, "%s %s", o, in);
        break;
    case 5: { /* lower case, no-break space */
        char t[24];
        snprintf(t, sizeof t, "%s\xC2\xA0%s", o, in);
        for (char *p = t; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
        memcpy(out->text, t, sizeof t);
        break;
    }
    case 6: /* quoted, ONSPD fixed width */
        snprintf(out->text, sizeof out->text, "'%-4s%s'.", o, in);
        break;
    case 7: case 8: /* 20% well formed but absent */
        snprintf(out->text, sizeof out->text, "%s %s", o, in);
        break;
    default: /* 10% malformed */
        snprintf(out->text, sizeof out->text, "%s-%s", o, in);
        break;
    }
}

static void no_skip(uint64_t line, const char *field, const char *value, const char *reason,
                    void *user)
{
    (void)line, (void)field, (void)value, (void)reason;
    (*(uint64_t *)user)++;
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    bool keep = false, reuse = false;
    for (int a = 1; a < argc; a++) {
        if (strcmp(argv[a], "--keep") == 0)
            keep = true;
        else if (strcmp(argv[a], "--reuse") == 0)
            reuse = true;
        else if (argv[a][0] == '-') {
            fprintf(stderr, "usage: bench_postcodes [csv-path] [--keep] [--reuse]\n");
            return 2;
        } else
            path = argv[a];
    }
    char dir[4096] = "", file[4200];
    if (!path) {
        const char *tmp = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/gapmap-bench-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(dir)) {
            perror(dir);
            return 1;
        }
        snprintf(file, sizeof file, "%s/onspd_synthetic.csv", dir);
        path = file;
    }

    int rc = 1;
    gm_ctx *ctx = NULL;
    gm_pcdir *pcdir = NULL;
    query *qs = NULL;
    double t0 = now_s();
    if (reuse && access(path, R_OK) == 0) {
        printf("reusing %s\n", path);
    } else {
        printf("writing %llu rows to %s ...\n", (unsigned long long)NROWS, path);
        if (write_csv(path) != 0)
            goto cleanup;
        printf("  written in %.2f s\n", now_s() - t0);
    }

    if (gm_ctx_new(&ctx) != GM_OK)
        goto cleanup;
    gm_pcdir_opts o;
    gm_pcdir_opts_init(&o);
    o.path = path;
    o.col_postcode = "pcd";
    o.col_x = "oseast1m";
    o.col_y = "osnrth1m";
    o.col_terminated = "doterm";
    o.col_area = "lsoa21";
    uint64_t skips = 0;
    double rss_before = peak_rss_mb();
    t0 = now_s();
    gm_status st = gm_pcdir_load(ctx, &o, no_skip, &skips, &pcdir);
    double load_s = now_s() - t0;
    if (st != GM_OK) {
        fprintf(stderr, "load failed: %s: %s\n", gm_status_name(st), gm_ctx_errmsg(ctx));
        goto cleanup;
    }
    double rss_load = peak_rss_mb();
    const gm_pcdir_stats *s = gm_pcdir_get_stats(pcdir);
    printf("load:    %.3f s  %.2f M rows/s  (%llu rows, %llu loaded, %llu terminated, %llu "
           "without coordinates)\n",
           load_s, (double)s->rows_read / load_s / 1e6, (unsigned long long)s->rows_read,
           (unsigned long long)s->loaded, (unsigned long long)s->terminated,
           (unsigned long long)s->skipped_no_coords);
    printf("         peak RSS %.1f MB after load (%.1f MB before)\n", rss_load, rss_before);

    uint64_t no_coords = 0;
    for (uint64_t i = 0; i < NROWS; i++)
        no_coords += !row_has_coords(i);
    bool ok = s->rows_read == NROWS && s->skipped_no_coords == no_coords &&
              s->loaded == NROWS - no_coords && skips == no_coords;

    qs = malloc(NLOOKUPS * sizeof *qs);
    if (!qs)
        goto cleanup;
    uint64_t want = 0;
    for (uint64_t q = 0; q < NLOOKUPS; q++) {
        make_query(q, &qs[q]);
        want += qs[q].hit;
    }
    uint64_t got = 0, wrong = 0;
    t0 = now_s();
    for (uint64_t q = 0; q < NLOOKUPS; q++) {
        char pc[GM_POSTCODE_COMPACT_MAX];
        gm_postcode_entry e;
        bool hit = gm_postcode_normalise(qs[q].text, pc) == GM_POSTCODE_OK &&
                   gm_pcdir_lookup(pcdir, pc, &e);
        got += hit;
        wrong += hit != qs[q].hit;
    }
    double look_s = now_s() - t0;
    printf("lookup:  %.3f s  %.2f M lookups/s  (normalise + look-up of %d texts, %llu hits)\n",
           look_s, NLOOKUPS / look_s / 1e6, NLOOKUPS, (unsigned long long)got);
    ok = ok && got == want && wrong == 0;

    /* The same again with compact keys prepared beforehand: the hash alone. */
    for (uint64_t q = 0; q < NLOOKUPS; q++) {
        char pc[GM_POSTCODE_COMPACT_MAX];
        if (gm_postcode_normalise(qs[q].text, pc) != GM_POSTCODE_OK)
            pc[0] = '\0';
        memcpy(qs[q].text, pc, sizeof pc);
    }
    uint64_t got2 = 0;
    t0 = now_s();
    for (uint64_t q = 0; q < NLOOKUPS; q++) {
        gm_postcode_entry e;
        got2 += gm_pcdir_lookup(pcdir, qs[q].text, &e);
    }
    double key_s = now_s() - t0;
    printf("lookup:  %.3f s  %.2f M lookups/s  (compact keys only)\n", key_s,
           NLOOKUPS / key_s / 1e6);
    ok = ok && got2 == want;

    printf("total:   %.3f s load + normalised look-ups; peak RSS %.1f MB\n", load_s + look_s,
           peak_rss_mb());
    if (!ok) {
        fprintf(stderr, "bench_postcodes: counts do not check out (hits %llu/%llu, wrong %llu)\n",
                (unsigned long long)got, (unsigned long long)want, (unsigned long long)wrong);
        goto cleanup;
    }
    rc = 0;

cleanup:
    free(qs);
    gm_pcdir_free(pcdir);
    gm_ctx_free(ctx);
    if (dir[0] && !keep) {
        unlink(file);
        rmdir(dir);
    } else {
        printf("kept %s\n", path);
    }
    return rc;
}
