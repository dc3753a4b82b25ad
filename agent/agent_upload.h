/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Store-and-forward to the server (docs/wire.md): batches of unacknowledged
 * readings and events, oldest first; acknowledgements, snapshots, tariffs
 * and commands from each answer; exponential backoff with jitter and
 * Retry-After; routine uploads at a per-gateway offset, month-end boundary
 * readings in the gateway's slot of the window; pruning and the size cap.
 */
#ifndef AGENT_UPLOAD_H
#define AGENT_UPLOAD_H

#include <stdint.h>

#include "agent.h"
#include "agent_http.h"

struct agent_upload_stats {
        int64_t syncs, readings_sent, events_sent;
        int failures_in_row;
        int64_t clock_skew_s; /* gateway minus server at the last answer */
};

/* Start the uploader thread for a's `server` config.  NULL when it cannot
 * (logged).  Stop with agent_upload_stop. */
struct agent_upload *agent_upload_start(struct agent *a);
/* Sync now (a new boundary reading, a test). */
void agent_upload_kick(struct agent_upload *u);
/* Finish the request under way and stop. */
void agent_upload_stop(struct agent_upload *u);

/* Fetch tariff id's text from the server when agent.db lacks hash, check the
 * server's hash header, store it.  Returns MB_OK (also when already known) or
 * an error (logged). */
int agent_upload_fetch_tariff(agent_http *http, agent_store *st, const char *id, const char *hash);

#endif
