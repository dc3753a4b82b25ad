/* SPDX-License-Identifier: Apache-2.0 */
#include "mb_cmdsig.h"

#include <nettle/hmac.h>
#include <nettle/memops.h>
#include <stdio.h>
#include <string.h>

static void hex(const uint8_t *d, size_t n, char *out)
{
        for (size_t i = 0; i < n; i++)
                snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void hmac_hex(const uint8_t *key, size_t key_len, const void *msg, size_t len,
                     char out[MB_CMDSIG_HEX])
{
        struct hmac_sha256_ctx ctx;
        uint8_t digest[SHA256_DIGEST_SIZE];

        hmac_sha256_set_key(&ctx, key_len, key);
        hmac_sha256_update(&ctx, len, msg);
        hmac_sha256_digest(&ctx, sizeof(digest), digest);
        hex(digest, sizeof(digest), out);
}

void mb_cmdsig_hmac(const char *key_hex, const void *msg, size_t len, char out[MB_CMDSIG_HEX])
{
        hmac_hex((const uint8_t *)key_hex, strlen(key_hex), msg, len, out);
}

int mb_cmdsig_equal(const char *want, const char *sig)
{
        if (!sig || strlen(sig) != MB_CMDSIG_HEX - 1)
                return 0;
        return memeql_sec(want, sig, MB_CMDSIG_HEX - 1) != 0;
}

void mb_cmdsig_gateway_key(const uint8_t *secret, size_t secret_len, const char *gateway,
                           char out[MB_CMDSIG_HEX])
{
        char msg[256];

        snprintf(msg, sizeof(msg), "meterbox-command-key\n%s", gateway);
        hmac_hex(secret, secret_len, msg, strlen(msg), out);
}

void mb_cmdsig_sign(const char *key_hex, const char *gateway, int64_t id, const char *meter,
                    const char *op, int64_t issued_at, int64_t expires_at, char out[MB_CMDSIG_HEX])
{
        char msg[512];

        snprintf(msg, sizeof(msg), "v1\n%s\n%lld\n%s\n%s\n%lld\n%lld", gateway, (long long)id,
                 meter, op, (long long)issued_at, (long long)expires_at);
        mb_cmdsig_hmac(key_hex, msg, strlen(msg), out);
}

int mb_cmdsig_verify(const char *key_hex, const char *gateway, int64_t id, const char *meter,
                     const char *op, int64_t issued_at, int64_t expires_at, const char *sig)
{
        char want[MB_CMDSIG_HEX];

        mb_cmdsig_sign(key_hex, gateway, id, meter, op, issued_at, expires_at, want);
        return mb_cmdsig_equal(want, sig);
}
