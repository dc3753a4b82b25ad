/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Continuous deduction (docs/wire.md): per account, the month's accumulator
 * of exact charge lines, the tier position, the reference (all energy up to
 * it is charged) and where the month started.  Each ingested batch walks
 * the new readings from the reference by the shared rules (srv_walk.h,
 * common/mb_walk.h) and, for prepaid accounts, posts the change of the
 * rounded accumulator total as one ledger entry per batch per account.
 * Monthly accounts accrue the same figure as a provisional charge and post
 * nothing.
 *
 * A reading that arrives after later ones of the same month (a gap filled,
 * batches out of order) makes the month be walked again from where it
 * started over every stored reading, and the difference is posted: the
 * month's charges are then what the month close will bill, and what the
 * agent, which charges every reading in order, has charged.  A month
 * already settled is not charged (its bill covers it); the tier position
 * still moves through it.
 */
#ifndef SRV_CHARGE_H
#define SRV_CHARGE_H

#include "mb_tariff.h"
#include "srv.h"
#include "srv_batch.h"
#include "srv_walk.h"

/* The state as stored (charge_state row). */
struct srv_charge_state {
        int exists;
        char month[8];
        mb_tariff_acc *acc;  /* owned */
        int64_t charged_fen; /* rounded total already posted (prepaid) / accrued (monthly) */
        mb_tier_pos pos;
        int64_t supply_id, meter_id, ref_seq;
        mb_tariff_reading ref;
        struct srv_wpoint start; /* where the month started (have 0: unknown) */
};

/* Load the state of account (exists 0 when none); free with _fini. */
int srv_charge_load(srv_db *db, int64_t account_id, struct srv_charge_state *cs);
void srv_charge_fini(struct srv_charge_state *cs);

/*
 * Charge the readings rd[0..n-1] of meter_id (sorted by seq, newly stored)
 * to its account, inside the caller's transaction.  Readings at or below
 * the reference are late: the month is walked again.  MB_OK or a database
 * error.
 */
int srv_charge_readings(struct srv *s, srv_db *db, int64_t account_id, int64_t meter_id,
                        struct srv_reading *const *rd, size_t n);

/*
 * Walk the account's current month again from where it started over every
 * stored reading and supply, and post the difference (after a late
 * reading, an operator's fix, a tariff assigned in the past, a supply
 * opened or closed: move-in, move-out, change of holder, exchange).  Inside
 * the caller's transaction.  MB_OK (also when there is nothing to walk) or
 * an error.
 */
int srv_charge_recompute(struct srv *s, srv_db *db, int64_t account_id);

#endif
