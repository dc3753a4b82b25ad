/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Month close: for each account, the bill of a natural month (configured
 * zone) from its meter's boundary readings, compared with earlier months,
 * posted to the ledger, and a trip queued when the balance is then below the
 * credit limit.
 *
 * Idempotent by (account, month): a settled bill is never recomputed or
 * posted again.  Each account-month settles in its own transaction, so a
 * crash in the middle of a close leaves every account either settled or not,
 * and running the close again finishes the rest.  A month with missing data
 * is held (a bill row with state "held" and its flags) and settles when the
 * data arrives (srv_settle_held, called after ingest and by the schedule).
 *
 * Boundaries: r0 is the first boundary reading at or after the month start
 * (and before the next month start), r1 the first at or after the next month
 * start (and before the one after).  Where one is missing, a reading whose
 * meter froze its register (frozen_time) in the same window stands in.
 */
#ifndef SRV_SETTLE_H
#define SRV_SETTLE_H

#include "srv.h"

struct srv_settle_summary {
        int settled, held, already, skipped, failed;
        json_object *bills; /* array of {account, state, total_fen, flags}; owned */
        int bills_omitted;  /* entries beyond the first 1,000 left out of bills */
};

/* The close of a month is a job: srv_close_job.h, around srv_settle_chunks
 * (srv_settle_impl.h). */

/* Settle account_id's months not settled yet, oldest first, up to this
 * month (a moved-out account's final bill ends at its closing register,
 * before its month ends); a held month stops it.  Outcomes into sum (may be
 * NULL). */
void srv_settle_account(struct srv *s, srv_db *db, int64_t account_id, const char *by,
                        struct srv_settle_summary *sum);

/* Settle the held months of account_id (0: of every account). */
void srv_settle_held(struct srv *s, srv_db *db, int64_t account_id);

void srv_h_bill_list(struct srv_req *rq, struct srv_resp *rs);
void srv_h_bill_show(struct srv_req *rq, struct srv_resp *rs);
void srv_h_bills_month(struct srv_req *rq, struct srv_resp *rs);

#endif
