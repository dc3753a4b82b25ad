/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Token hashing uses nettle (Debian nettle-dev): its SHA-256 is a plain
 * init/update/digest API with no global state or library initialisation, it
 * is already in the process (GnuTLS, which libmicrohttpd uses for HTTPS, is
 * built on it), and it offers memeql_sec for constant-time comparison.
 * OpenSSL's libcrypto would do the same job with a far larger surface.
 */
#include "srv_token.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include <meterbox/errors.h>
#include <nettle/memops.h>
#include <nettle/sha2.h>

static void hex(const uint8_t *b, size_t n, char *out)
{
        static const char digits[] = "0123456789abcdef";

        for (size_t i = 0; i < n; i++) {
                out[2 * i] = digits[b[i] >> 4];
                out[2 * i + 1] = digits[b[i] & 15];
        }
        out[2 * n] = '\0';
}

void srv_sha256_hex(const void *data, size_t len, char out[SRV_TOKEN_HASH_HEX + 1])
{
        struct sha256_ctx ctx;
        uint8_t digest[SHA256_DIGEST_SIZE];

        sha256_init(&ctx);
        sha256_update(&ctx, len, data);
        sha256_digest(&ctx, sizeof(digest), digest);
        hex(digest, sizeof(digest), out);
}

int srv_token_secret(char out[SRV_TOKEN_SECRET_HEX + 1])
{
        uint8_t b[SRV_TOKEN_SECRET_HEX / 2];
        size_t got = 0;

        while (got < sizeof(b)) {
                ssize_t n = getrandom(b + got, sizeof(b) - got, 0);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return MB_EIO;
                got += (size_t)n;
        }
        hex(b, sizeof(b), out);
        return MB_OK;
}

void srv_token_format(int64_t id, const char *secret, char out[SRV_TOKEN_MAX])
{
        snprintf(out, SRV_TOKEN_MAX, "mbt_%" PRId64 "_%s", id, secret);
}

int srv_token_parse(const char *tok, int64_t *id, const char **secret)
{
        int64_t v = 0;
        const char *p;

        if (tok == NULL || strncmp(tok, "mbt_", 4) != 0)
                return MB_EAUTH;
        p = tok + 4;
        if (*p < '1' || *p > '9')
                return MB_EAUTH;
        for (; *p >= '0' && *p <= '9'; p++) {
                if (v > (INT64_MAX - 9) / 10)
                        return MB_EAUTH;
                v = v * 10 + (*p - '0');
        }
        if (*p != '_' || strlen(p + 1) != SRV_TOKEN_SECRET_HEX)
                return MB_EAUTH;
        for (const char *q = p + 1; *q; q++)
                if (!((*q >= '0' && *q <= '9') || (*q >= 'a' && *q <= 'f')))
                        return MB_EAUTH;
        *id = v;
        *secret = p + 1;
        return MB_OK;
}

int srv_token_hash_equal(const char *stored, const char *computed)
{
        if (strlen(stored) != SRV_TOKEN_HASH_HEX || strlen(computed) != SRV_TOKEN_HASH_HEX)
                return 0;
        return memeql_sec(stored, computed, SRV_TOKEN_HASH_HEX) != 0;
}
