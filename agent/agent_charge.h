/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The local balance, charged reading by reading from the server's snapshot
 * exactly as the server charges the same readings (docs/wire.md): the
 * month accumulator starts as the snapshot's, the tier position carries,
 * and every step from one reading to the next goes by the shared walk
 * (common/mb_walk.h: clock, rollover, backwards, frozen register, the month
 * an interval belongs to), so both sides round the same exact lines and
 * agree to the fen.
 */
#ifndef AGENT_CHARGE_H
#define AGENT_CHARGE_H

#include <meterbox/reading.h>

#include "agent_snapshot.h"
#include "mb_walk.h"

struct agent_charge {
        int64_t balance0;   /* the snapshot's balance, at its reference */
        mb_tariff_acc *acc; /* this month's lines (owned) */
        int month;          /* YYYYMM of acc */
        mb_tier_pos pos;
        mb_tariff_reading ref; /* the last charged reading */
        int64_t rollover_wh;   /* the meter's register range (0: none) */
        int64_t multiplier;    /* CT x PT the pieces are charged with (1: none) */
        int64_t base_fen;      /* rounded total of acc when charging here began */
        int64_t done_fen;      /* charged in months finished since the snapshot */
};

/* Begin from snapshot s (its accumulator is copied).  MB_OK or MB_ENOMEM. */
int agent_charge_start(struct agent_charge *c, const struct agent_snapshot *s);
/* The walk's view of reading r stamped ts: registers and frozen register. */
void agent_charge_point(const mb_reading *r, int64_t ts, mb_walk_point *p);
/* Charge the step from the last charged reading to x under tariff t
 * (mb_walk_plan): each piece into its month, a later month closing this
 * one's accumulator; a register that went backwards (no rollover) is not
 * charged and becomes the new reference; a time with no tariff in force is
 * not charged.  MB_OK, or the tariff engine's error with err filled. */
int agent_charge_add(struct agent_charge *c, const mb_tariff *t, const mb_walk_point *x, char *err,
                     size_t len);
/* The local balance: the snapshot's minus what was charged since. */
int64_t agent_charge_balance(const struct agent_charge *c);
/* Release what c owns and zero it. */
void agent_charge_clear(struct agent_charge *c);

#endif
