/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Money in and out by hand: top-ups (idempotent by payment reference),
 * refunds and adjustments (each its own ledger entry with a reason; also
 * idempotent when given a reference), and the ledger listing.
 */
#ifndef SRV_TOPUP_H
#define SRV_TOPUP_H

#include "srv.h"

void srv_h_topup(struct srv_req *rq, struct srv_resp *rs);
void srv_h_refund(struct srv_req *rq, struct srv_resp *rs);
void srv_h_adjustment(struct srv_req *rq, struct srv_resp *rs);
/* GET /accounts/N/ledger (srv_ledger_view.c): as an operator reads it, the
 * continuous deduction as at most one line per day; ?detail=all every row. */
void srv_h_ledger(struct srv_req *rq, struct srv_resp *rs);

#endif
