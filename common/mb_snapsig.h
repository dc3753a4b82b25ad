/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Signed balance snapshots (docs/security.md, docs/wire.md).  With a
 * signing secret on the server, each entry of a readings answer's "meters"
 * array that names an account carries "signed_at" (the server's time) and
 * "sig":
 *
 *   sig = HMAC-SHA256(gateway key, "snapshot-v1\n" gateway "\n" canonical)
 *
 * under the same gateway key as commands (mb_cmdsig.h).  canonical is the
 * entry without "sig" and "commands" (each command is signed on its own and
 * their delivery state changes), written so that any two JSON texts of the
 * same values give the same bytes: objects with their members sorted by
 * name, strings with their length, numbers in decimal.  So the balance,
 * thresholds, protection, reference reading, tier use, accumulator and
 * tariff hash an agent acts on are covered, and an agent with the key
 * refuses an entry that is unsigned, altered, signed for another gateway,
 * or older (signed_at) than the snapshot it holds.
 */
#ifndef MB_SNAPSIG_H
#define MB_SNAPSIG_H

#include <json-c/json.h>

#include "mb_cmdsig.h"

/* The signature of entry for gateway under key_hex, as hex in out.
 * Returns 0, or -1 when out of memory. */
int mb_snapsig_sign(const char *key_hex, const char *gateway, json_object *entry,
                    char out[MB_CMDSIG_HEX]);
/* 1 when entry's "sig" is its signature for gateway under key_hex; 0 when it
 * is missing or differs (or out of memory). */
int mb_snapsig_verify(const char *key_hex, const char *gateway, json_object *entry);

#endif
