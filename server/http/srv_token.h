/* SPDX-License-Identifier: Apache-2.0 */
/*
 * API tokens: generation, hashing (SHA-256, nettle) and constant-time
 * comparison.  Pure functions; no database.
 *
 * A token reads "mbt_<id>_<secret>": id is the tokens row (so a lookup needs
 * no comparison of secrets in SQL), secret 64 hex digits from getrandom(2).
 * Only SHA-256(secret) in hex is stored.
 */
#ifndef SRV_TOKEN_H
#define SRV_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#define SRV_TOKEN_SECRET_HEX 64
#define SRV_TOKEN_HASH_HEX 64
#define SRV_TOKEN_MAX 96 /* longest token text with its NUL */

/* SHA-256 of data as 64 lowercase hex digits plus NUL in out[65]. */
void srv_sha256_hex(const void *data, size_t len, char out[SRV_TOKEN_HASH_HEX + 1]);

/* A new random secret (64 hex digits + NUL).  MB_OK or MB_EIO. */
int srv_token_secret(char out[SRV_TOKEN_SECRET_HEX + 1]);

/* Write "mbt_<id>_<secret>" into out[SRV_TOKEN_MAX]. */
void srv_token_format(int64_t id, const char *secret, char out[SRV_TOKEN_MAX]);

/* Split a token into its id and secret (pointer into tok).  MB_OK or
 * MB_EAUTH for anything that is not a well-formed token. */
int srv_token_parse(const char *tok, int64_t *id, const char **secret);

/* 1 when the two NUL-terminated hex hashes are equal.  Time depends only on
 * the length of `stored`, never on where they differ. */
int srv_token_hash_equal(const char *stored, const char *computed);

#endif
