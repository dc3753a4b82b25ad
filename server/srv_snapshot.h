/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A meter's balance snapshot as docs/wire.md sends it to the agent: account,
 * mode, balance at the reference reading, tier position, the month's exact
 * accumulator, tariff id and hash, thresholds and commands.
 */
#ifndef SRV_SNAPSHOT_H
#define SRV_SNAPSHOT_H

#include "srv.h"

/* The snapshot of meter_id, in the caller's transaction.  deliver: the
 * commands in it become delivered.  *out is the caller's. */
int srv_snapshot_meter(struct srv *s, srv_db *db, int64_t meter_id, int deliver, json_object **out);

/* Snapshots of every meter of gateway_id, as an array. */
int srv_snapshot_gateway(struct srv *s, srv_db *db, int64_t gateway_id, int deliver,
                         json_object **out);

#endif
