/* SPDX-License-Identifier: Apache-2.0 */
/*
 * POST /api/v1/readings: store a gateway's batch whole or not at all,
 * idempotently by (meter, seq) and (gateway, event id), charge prepaid
 * accounts for the new intervals, and answer with every meter's snapshot
 * (docs/wire.md).
 */
#ifndef SRV_INGEST_H
#define SRV_INGEST_H

#include "srv.h"
#include "srv_batch.h"

/*
 * Ingest a parsed batch for the caller a, in one transaction.  On success
 * *resp is the 200 body (caller's).  On failure nothing is stored and *e
 * names the field: 403 (gateway or meter of another gateway), 422 (unknown
 * gateway or meter), 409 (a stored reading with other values), 5xx.
 */
int srv_ingest(struct srv *s, srv_db *db, const struct srv_auth *a, struct srv_batch *b,
               json_object **resp, struct srv_err *e);

void srv_h_readings(struct srv_req *rq, struct srv_resp *rs);

#endif
