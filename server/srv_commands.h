/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Relay commands for meters: trip, close, protect, unprotect, with who asked
 * and why.  A command is pending until a sync delivers it, delivered until
 * the agent reports its result (a command_result event), then done or
 * failed.  Commands past expires_at are no longer delivered.
 */
#ifndef SRV_COMMANDS_H
#define SRV_COMMANDS_H

#include "srv.h"

/* Queue op for meter_id in the caller's transaction; *id gets the new id
 * (may be NULL).  protect/unprotect also set the account's protected flag. */
int srv_command_queue(srv_db *db, int64_t meter_id, const char *op, const char *reason,
                      const char *by, int ttl_s, int64_t *id);

/* The commands to send to gateway_id's meters now (pending or delivered,
 * not expired), in one query for the whole gateway: *out is an object
 * whose keys are meter ids in decimal, each with the wire's "commands"
 * array (meters without commands are not in it); the caller frees it.
 * Marks pending ones delivered.  The caller holds the gateway's lock
 * (SRV_LOCK_GATEWAY, taken by ingest). */
int srv_commands_for_gateway(srv_db *db, int64_t gateway_id, json_object **out);

/* Apply a command_result from gateway_id: MB_OK (also when the command is
 * unknown or not the gateway's: it is ignored) or a database error. */
int srv_command_result(srv_db *db, int64_t gateway_id, int64_t command, const char *state,
                       const char *relay);

void srv_h_command_issue(struct srv_req *rq, struct srv_resp *rs);
void srv_h_command_list_meter(struct srv_req *rq, struct srv_resp *rs);
void srv_h_command_list(struct srv_req *rq, struct srv_resp *rs);

#endif
