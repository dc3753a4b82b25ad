/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Webhooks (docs/api.md, Notifications): events worth telling someone about
 * (alarm 1/2, cut-off, reconnect, tamper, faults, a gateway offline too
 * long, a settlement anomaly) go into the webhook_queue table in the same
 * transaction that stores them, one row per subscribed target, so nothing is
 * lost across a restart and nothing is queued twice for one event
 * (UNIQUE (target, event_key)).  One sender thread per target POSTs its due
 * rows with libcurl, outside srv->lock, so a slow or dead receiver never
 * delays ingest nor the other receivers; failures are retried with
 * exponential backoff until webhooks.max_attempts, then the row is "dead"
 * (kept for inspection).  Delivery is at least once: a receiver dedupes by
 * X-Meterbox-Delivery.
 *
 * Every POST carries
 *   X-Meterbox-Event: alarm1            X-Meterbox-Delivery: <event key>
 *   X-Meterbox-Timestamp: <UTC seconds at sending>
 *   X-Meterbox-Signature: sha256=<hex HMAC-SHA256(secret, timestamp "." body)>
 */
#ifndef SRV_WEBHOOK_H
#define SRV_WEBHOOK_H

#include <stdint.h>

#include "srv.h"
#include "srv_batch.h"

#define SRV_WEBHOOK_SIG_MAX 80

/* "sha256=" + hex HMAC-SHA256(secret, "<ts>.<body>") into out.  Pure. */
void srv_webhook_signature(const char *secret, int64_t ts, const char *body,
                           char out[SRV_WEBHOOK_SIG_MAX]);

/* Seconds to wait after the attempts-th failed attempt (attempts >= 1):
 * base * 2^(attempts-1), at most max.  Pure. */
int64_t srv_webhook_backoff(int attempts, int base_s, int max_s);

/* Make hooks the configuration the enqueue functions below use (NULL: no
 * webhooks).  Called once at start-up, before any request. */
void srv_webhook_configure(const struct srv_webhooks_config *hooks);

/* Enqueue a newly stored agent event, for every target that wants its type.
 * Runs inside the caller's (ingest) transaction.  MB_OK or a database
 * error. */
int srv_webhook_on_event(srv_db *db, int64_t gateway_id, const struct srv_event *ev);

/* Enqueue a bill saved with flags (held or settled); flags_json is its
 * flags array as stored.  Inside the caller's (settlement) transaction. */
int srv_webhook_on_bill(srv_db *db, int64_t account_id, const char *month, int settled,
                        const char *flags_json, int64_t energy_wh, int64_t total_fen);

/* Enqueue gateways unseen for webhooks.gateway_offline_after seconds (once
 * per silence).  In the caller's transaction.  MB_OK or a database error. */
int srv_webhook_scan_gateways(srv_db *db, int64_t now);

/* The sender threads.  start returns NULL when no target is configured
 * (then stop is a no-op), else a handle; stop aborts the deliveries in
 * progress (they stay pending) and joins. */
struct srv_webhook_sender;
struct srv_webhook_sender *srv_webhook_start(struct srv *s);
void srv_webhook_stop(struct srv_webhook_sender *w);

#endif
