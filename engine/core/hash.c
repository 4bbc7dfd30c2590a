/* SHA-256 through nettle: see hash.h. */
#include "hash.h"

#include <errno.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <string.h>

static void to_hex(const uint8_t *d, char hex[65])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < SHA256_DIGEST_SIZE; i++) {
        hex[2 * i] = digits[d[i] >> 4];
        hex[2 * i + 1] = digits[d[i] & 15];
    }
    hex[64] = '\0';
}

void gm__sha256_hex(const void *data, size_t len, char hex[65])
{
    struct sha256_ctx c;
    uint8_t d[SHA256_DIGEST_SIZE];
    sha256_init(&c);
    sha256_update(&c, len, data);
    sha256_digest(&c, sizeof d, d);
    to_hex(d, hex);
}

gm_status gm__sha256_file(gm_ctx *ctx, const char *path, char hex[65], uint64_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return gm__err(ctx, errno == ENOENT ? GM_E_NOT_FOUND : GM_E_IO, "%s: cannot read (%s)", path,
                       strerror(errno));
    struct sha256_ctx c;
    sha256_init(&c);
    uint8_t buf[1 << 16];
    uint64_t total = 0;
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        sha256_update(&c, n, buf);
        total += n;
    }
    bool err = ferror(f) != 0;
    fclose(f);
    if (err)
        return gm__err(ctx, GM_E_IO, "%s: read failed", path);
    uint8_t d[SHA256_DIGEST_SIZE];
    sha256_digest(&c, sizeof d, d);
    to_hex(d, hex);
    *size = total;
    return GM_OK;
}
