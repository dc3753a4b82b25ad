/* SPDX-License-Identifier: Apache-2.0 */
#include "srv_hmac.h"

#include <nettle/hmac.h>

void srv_hmac_sha256_hex(const void *key, size_t klen, const void *msg, size_t mlen,
                         char out[SRV_HMAC_HEX + 1])
{
        static const char hex[] = "0123456789abcdef";
        struct hmac_sha256_ctx ctx;
        uint8_t d[SHA256_DIGEST_SIZE];

        hmac_sha256_set_key(&ctx, klen, key);
        hmac_sha256_update(&ctx, mlen, msg);
        hmac_sha256_digest(&ctx, sizeof(d), d);
        for (size_t i = 0; i < sizeof(d); i++) {
                out[2 * i] = hex[d[i] >> 4];
                out[2 * i + 1] = hex[d[i] & 15];
        }
        out[SRV_HMAC_HEX] = '\0';
}
