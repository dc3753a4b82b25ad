/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A meter's balance snapshot from the server (docs/wire.md); agent_charge.h
 * turns it into the local balance.
 */
#ifndef AGENT_SNAPSHOT_H
#define AGENT_SNAPSHOT_H

#include <json-c/json.h>
#include <stdint.h>

#include "mb_tariff.h"

struct agent_snapshot {
        char account[40];
        int mode; /* enum agent_mode */
        int protected_flag;
        int hold; /* an operator's trip holds the supply off */
        int64_t balance_fen;
        /* The reference: every reading after (meter, ref_seq) is charged.
         * ref_pending: the server has no reading of the meter yet (ref
         * null), so the reference is the agent's first reading after the
         * snapshot was stored (agent_store_snapshot_after); ref and tier
         * are then zero. */
        int ref_pending;
        /* With ref_pending: the server's account begins at the meter's first
         * reading after this seq (ref_after_seq), when it says so (-1: not
         * said; the first after the snapshot was stored). */
        int64_t ref_after_seq;
        int64_t ref_seq;
        mb_tariff_reading ref;
        mb_tier_pos tier;
        int acc_month;      /* YYYYMM of acc */
        mb_tariff_acc *acc; /* owned */
        char tariff_id[64];
        char tariff_hash[72];
        int64_t alarm1_fen, alarm2_fen, credit_limit_fen, reconnect_fen;
        int64_t rollover_wh; /* the meter's register range; 0: it does not wrap */
        int64_t multiplier;  /* CT x PT: energy is the register difference times it */
};

/* Parse one entry of the response's "meters" array into s (cleared first).
 * Returns MB_OK, or MB_EPROTO with err naming the field; MB_ENOENT when there
 * is nothing to enforce yet (no account, or no tariff in force).  A null ref
 * (no reading of the meter on the server yet) sets ref_pending.  Free with
 * agent_snapshot_clear. */
int agent_snapshot_parse(json_object *o, struct agent_snapshot *s, char *err, size_t len);
/* Release what s owns and zero it. */
void agent_snapshot_clear(struct agent_snapshot *s);

/* YYYYMM of the local month containing t. */
int agent_local_month(int64_t t);

#endif
