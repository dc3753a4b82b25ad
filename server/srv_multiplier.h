/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A meter's multiplier (综合倍率: CT ratio x PT ratio, docs/operations.md
 * "Multipliers"), effective from a register on (meter_multipliers).  For a
 * meter billed to an account, a change splits the account's supply at that
 * register (srv_supply_split), the month is walked again and the snapshot
 * carries the new multiplier to the agent; for any meter (an area's main
 * meter too) line loss scales its energy the same way.
 */
#ifndef SRV_MULTIPLIER_H
#define SRV_MULTIPLIER_H

#include "srv.h"

/* POST /api/v1/meters/ADDRESS/multiplier {ct, pt?, register_wh?, at?}:
 * 201 with the meter's multiplier and its history. */
void srv_h_meter_multiplier_set(struct srv_req *rq, struct srv_resp *rs);
/* GET /api/v1/meters/ADDRESS/multiplier. */
void srv_h_meter_multiplier_show(struct srv_req *rq, struct srv_resp *rs);

#endif
