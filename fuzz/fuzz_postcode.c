/*
 * libFuzzer target for postcode normalisation, which reads text straight from
 * users' files.  Beyond "no crash, no overrun" it checks the contract:
 * - the result is OK exactly when the output is non-empty;
 * - an OK output is 5 to 7 upper-case letters and digits, and normalising it
 *   again, or its display form, gives it back unchanged (idempotence);
 * - every check has a sentence; display never overruns its buffer, even for
 *   text that is not a compact postcode.
 * Build with -fsanitize=fuzzer,address,undefined and link gapmap_static.
 */
#include "gapmap/geocode.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int ok)
{
    if (!ok)
        abort(); /* libFuzzer reports the input that broke the contract */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    if (size)
        memcpy(text, data, size);
    text[size] = '\0'; /* the API takes NUL-terminated text; embedded NULs end it early */

    char out[GM_POSTCODE_COMPACT_MAX];
    gm_postcode_check c = gm_postcode_normalise(text, out);
    require(gm_postcode_check_str(c) != NULL);
    require((c == GM_POSTCODE_OK) == (out[0] != '\0'));
    if (c == GM_POSTCODE_OK) {
        size_t n = strlen(out);
        require(n >= 5 && n <= 7);
        for (size_t i = 0; i < n; i++)
            require((out[i] >= 'A' && out[i] <= 'Z') || (out[i] >= '0' && out[i] <= '9'));
        char again[GM_POSTCODE_COMPACT_MAX];
        require(gm_postcode_normalise(out, again) == GM_POSTCODE_OK && strcmp(again, out) == 0);
        char disp[GM_POSTCODE_DISPLAY_MAX];
        gm_postcode_display(out, disp);
        require(strlen(disp) == n + 1 && disp[n - 3] == ' ');
        require(gm_postcode_normalise(disp, again) == GM_POSTCODE_OK && strcmp(again, out) == 0);
    }
    char disp[GM_POSTCODE_DISPLAY_MAX];
    gm_postcode_display(text, disp);
    require(strlen(disp) < GM_POSTCODE_DISPLAY_MAX);
    free(text);
    return 0;
}
