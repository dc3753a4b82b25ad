/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Signed relay commands (docs/security.md).  The server signs every command
 * it delivers with a key of the gateway's own; the agent refuses a command
 * that is unsigned, forged, replayed, out of order, expired or for a meter
 * it does not have.
 *
 *   gateway key = HMAC-SHA256(server secret, "meterbox-command-key\n" gateway)
 *   signature   = HMAC-SHA256(gateway key, "v1\n" gateway "\n" id "\n" meter
 *                              "\n" op "\n" issued_at "\n" expires_at)
 *
 * Keys and signatures travel as 64 lowercase hex digits.  The command id is
 * the counter: ids only grow, so an agent accepts a new command only with an
 * id above every id it has accepted.
 */
#ifndef MB_CMDSIG_H
#define MB_CMDSIG_H

#include <stddef.h>
#include <stdint.h>

#define MB_CMDSIG_HEX 65 /* 64 hex digits and a NUL */

/* The key of gateway under the server's secret (secret_len bytes), as hex in
 * out.  Never fails. */
void mb_cmdsig_gateway_key(const uint8_t *secret, size_t secret_len, const char *gateway,
                           char out[MB_CMDSIG_HEX]);
/* The signature of one command under key_hex (the gateway key), as hex in out. */
void mb_cmdsig_sign(const char *key_hex, const char *gateway, int64_t id, const char *meter,
                    const char *op, int64_t issued_at, int64_t expires_at, char out[MB_CMDSIG_HEX]);
/* HMAC-SHA256 of msg (len bytes) under key_hex (the gateway key), as hex in
 * out: the primitive of both signatures (here and mb_snapsig.h). */
void mb_cmdsig_hmac(const char *key_hex, const void *msg, size_t len, char out[MB_CMDSIG_HEX]);
/* 1 when sig (any string, NULL too) equals the hex signature want,
 * compared in constant time; 0 otherwise. */
int mb_cmdsig_equal(const char *want, const char *sig);
/* 1 when sig (any string) equals the expected signature, compared in
 * constant time; 0 otherwise. */
int mb_cmdsig_verify(const char *key_hex, const char *gateway, int64_t id, const char *meter,
                     const char *op, int64_t issued_at, int64_t expires_at, const char *sig);

#endif
