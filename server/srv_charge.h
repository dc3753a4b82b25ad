/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Continuous deduction (docs/wire.md): per account, the month's accumulator
 * of exact charge lines, the tier position and the reference reading (all
 * energy up to it is charged).  Each ingested batch charges the intervals
 * after the reference with the shared tariff engine and, for prepaid
 * accounts, posts the change of the rounded accumulator total as one ledger
 * entry per batch per account.  Monthly accounts accrue the same figure as a
 * provisional charge and post nothing.
 *
 * An interval belongs to the month (in the configured zone) of its end
 * reading; a reading in a later month than the accumulator starts an empty
 * one.  An interval ending in a month already settled is covered by that
 * bill: the reference moves on and nothing is posted.
 */
#ifndef SRV_CHARGE_H
#define SRV_CHARGE_H

#include "mb_tariff.h"
#include "srv.h"
#include "srv_batch.h"

/* The state as stored (charge_state row). */
struct srv_charge_state {
        int exists;
        char month[8];
        mb_tariff_acc *acc;  /* owned */
        int64_t charged_fen; /* rounded total already posted (prepaid) / accrued (monthly) */
        mb_tier_pos pos;
        int64_t ref_seq;
        mb_tariff_reading ref;
};

/* Load the state of account (exists 0 when none); free with _fini. */
int srv_charge_load(srv_db *db, int64_t account_id, struct srv_charge_state *cs);
void srv_charge_fini(struct srv_charge_state *cs);

/*
 * Charge the readings rd[0..n-1] of meter_id (sorted by seq) to its account,
 * inside the caller's transaction.  Readings at or below the reference seq
 * are skipped.  Returns MB_OK or a database error.
 */
int srv_charge_readings(struct srv *s, srv_db *db, int64_t account_id, int64_t meter_id,
                        struct srv_reading *const *rd, size_t n);

#endif
