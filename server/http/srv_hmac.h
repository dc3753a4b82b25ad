/* SPDX-License-Identifier: Apache-2.0 */
/* HMAC-SHA256 (nettle) as lowercase hex.  Pure and thread-safe. */
#ifndef SRV_HMAC_H
#define SRV_HMAC_H

#include <stddef.h>

#define SRV_HMAC_HEX 64

/* HMAC-SHA256(key, msg) as 64 hex digits + NUL in out[65]. */
void srv_hmac_sha256_hex(const void *key, size_t klen, const void *msg, size_t mlen,
                         char out[SRV_HMAC_HEX + 1]);

#endif
