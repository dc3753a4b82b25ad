/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The clerk's events on an account and its meter (docs/operations.md,
 * docs/api.md "Account and meter events"): move-in (开户), move-out (销户),
 * change of holder (过户), meter exchange (换表), and an operator's word on a
 * register that went backwards.  Each opens or closes supplies
 * (srv_supply.h) in one transaction with the account locked, walks what the
 * current month has charged again (srv_charge_recompute), and settles what
 * it can (a move-out's final bill; months held for what the event
 * resolves).
 */
#ifndef SRV_LIFECYCLE_H
#define SRV_LIFECYCLE_H

#include "srv.h"

void srv_h_move_in(struct srv_req *rq, struct srv_resp *rs);
void srv_h_move_out(struct srv_req *rq, struct srv_resp *rs);
void srv_h_transfer(struct srv_req *rq, struct srv_resp *rs);
void srv_h_meter_exchange(struct srv_req *rq, struct srv_resp *rs);
void srv_h_meter_fix(struct srv_req *rq, struct srv_resp *rs);

#endif
