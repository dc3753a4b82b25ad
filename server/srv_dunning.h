/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Postpaid dunning (DESIGN.md, Balances and cut-off; docs/operations.md): a
 * monthly account's bill is issued at the month close with a due date and
 * a grace period (the account's terms, else server.conf); the close cuts
 * nothing.  An account still owing when the grace has passed gets an
 * overdue alarm (an `overdue` event for its meter), then a trip only where
 * its terms ask for one; paying cancels what is pending.  For prepaid
 * accounts a trip the server queued (settlement, dunning) and not yet
 * delivered is cancelled when money lifts the balance to the reconnect
 * threshold.  Bill states: open, paid, alarmed, tripped.
 */
#ifndef SRV_DUNNING_H
#define SRV_DUNNING_H

#include "srv.h"

/* A monthly bill issued at `issued` to an account with these terms (-1:
 * server.conf's): when it is due and when its grace ends. */
void srv_dunning_terms(const struct srv_config *cfg, int64_t issued, int due_days, int grace_days,
                       int64_t *due_at, int64_t *grace_until);

struct srv_dunning_sum {
        int alarmed, tripped, paid;
};

/*
 * One pass over the bills being dunned, each in a transaction of its own:
 * those whose account owes nothing are paid, those past their grace are
 * alarmed, alarmed ones are tripped where the account's terms say so.
 * MB_OK or a database error (the rest is left for the next pass).
 */
int srv_dunning_run(struct srv *s, srv_db *db, int64_t now, struct srv_dunning_sum *sum);

/*
 * Money came into account_id (inside the caller's transaction, after its
 * ledger entry): a monthly account that owes nothing any more has its bills
 * paid, its dunning trips not yet delivered cancelled, and a trip carried
 * out is followed by a close; a prepaid account at or above its reconnect
 * threshold has the server's trips not yet delivered cancelled.  MB_OK or a
 * database error.
 */
int srv_dunning_on_money(struct srv *s, srv_db *db, int64_t account_id);

/* POST /api/v1/dunning (admin): run a pass now (the schedule runs one every
 * minute). */
void srv_h_dunning(struct srv_req *rq, struct srv_resp *rs);

#endif
