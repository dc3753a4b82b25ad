/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A meter's balance snapshot as docs/wire.md sends it to the agent: account,
 * mode, balance at the reference reading, tier position, the month's exact
 * accumulator, tariff id and hash, thresholds and commands.
 */
#ifndef SRV_SNAPSHOT_H
#define SRV_SNAPSHOT_H

#include "srv.h"

/* The snapshot of meter_id, in the caller's transaction, with cmds (the
 * wire's "commands" array, taken by the call even on error; NULL: an
 * empty one).  *out is the caller's. */
int srv_snapshot_meter(struct srv *s, srv_db *db, int64_t meter_id, json_object *cmds,
                       json_object **out);

/* Snapshots of every meter of gateway_id, as an array.  deliver: with the
 * commands to send now, which become delivered (srv_commands_for_gateway);
 * else without any (a look, not a sync).  *out is the caller's. */
int srv_snapshot_gateway(struct srv *s, srv_db *db, int64_t gateway_id, int deliver,
                         json_object **out);

#endif
