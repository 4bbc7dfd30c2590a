/* Helpers shared by the Criterion tests: where the sources, the build and the
 * real open data are, temporary folders, and reading a file whole. */
#ifndef GM_TESTUTIL_H
#define GM_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>

/* Path under the source tree ("geodata/examplshire.ini"); static buffer. */
const char *gmt_src(const char *rel);

/* Path under ../shared/data, or NULL when that data set is absent (the caller
 * then skips with cr_skip_test and a message naming the path). Honours the
 * GAPMAP_SHARED_DATA environment variable. Static buffer. */
const char *gmt_shared(const char *rel);

/* Make a fresh empty temporary folder; static buffer. */
const char *gmt_tmpdir(const char *tag);

/* Write text to dir/name and return the path; static buffer. */
const char *gmt_write(const char *dir, const char *name, const char *text);

/* Read a whole file; caller frees; NULL if unreadable. */
char *gmt_slurp(const char *path, size_t *len);

/* dir/name in a static buffer. */
const char *gmt_path(const char *dir, const char *name);
/* A run's output file: dir/name, else dir/shareable/name, else
 * dir/restricted/name, whichever exists (dir/name when none does).  The split
 * itself is checked in test_e2e; other tests look files up by name.  Static
 * buffer. */
const char *gmt_out(const char *dir, const char *name);

/* The names in dir (at most 64), sorted, joined with spaces ("" when empty);
 * static buffer. */
const char *gmt_listing(const char *dir);

/* Run a shell command, returning its exit status (or -1). */
int gmt_system(const char *cmd);

/* Run `gapmap run ini --quiet --output out` (log in out.log) unless out
 * already holds a run of this very gapmap executable on these inputs (their
 * sizes and modification times, kept in out.stamp), so that the many tests of
 * one sample run share it.  Safe when several test programs ask at once (a
 * lock file beside out).  Returns false, with the log in *log (caller frees),
 * when gapmap fails. */
bool gmt_run_cached(const char *exe, const char *ini, const char *out, const char *const *inputs,
                    size_t ninputs, char **log);

/* The sample county's run (geodata/examplshire.ini), shared by the
 * end-to-end tests: its output folder under the build tree (static buffer);
 * fails the calling test when gapmap does. */
const char *gmt_sample_run(const char *exe);

/* A variant of geodata/examplshire.ini written to dir/name (path in ini, 4200
 * bytes): input paths made absolute, no output key, the keys named in drop
 * (NULL-terminated, may be NULL) left out, and extra appended (later keys
 * win). */
void gmt_sample_variant(char *ini, const char *dir, const char *name, const char *const *drop, const char *extra);

/* A whole CSV read with gapmap's reader: text cells by row and column. */
typedef struct gmt_csv {
    size_t nrows, ncols;
    char **head;     /* ncols column names */
    char ***cell;    /* nrows x ncols */
} gmt_csv;

/* Read path (fails the calling test when it cannot be read). */
gmt_csv gmt_csv_load(const char *path);
/* dir/name read as gmt_csv_load does. */
gmt_csv gmt_csv_in(const char *dir, const char *name);
/* The column named name (fails the test when there is none). */
size_t gmt_csv_col(const gmt_csv *c, const char *name);
void gmt_csv_free(gmt_csv *c);

/* A JSON file parsed (fails the calling test when it cannot be read or
 * parsed); caller frees with cJSON_Delete. */
struct cJSON *gmt_read_json(const char *path);

/* Features of the one layer of a vector file (GDAL), and its CRS's EPSG code
 * into epsg (16 bytes; "?" when it has none), identifying a shapefile's .prj. */
long gmt_layer_count(const char *path, char *epsg);

#endif
