/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The local balance, charged reading by reading from the server's snapshot
 * exactly as the server charges the same readings (docs/wire.md): the
 * month accumulator starts as the snapshot's, the tier position carries, an
 * interval belongs to the month of its end reading, and each interval is
 * cut at the same stored readings, so both sides round the same exact lines
 * and agree to the fen.
 */
#ifndef AGENT_CHARGE_H
#define AGENT_CHARGE_H

#include "agent_snapshot.h"

struct agent_charge {
        int64_t balance0;   /* the snapshot's balance, at its reference */
        mb_tariff_acc *acc; /* this month's lines (owned) */
        int month;          /* YYYYMM of acc */
        mb_tier_pos pos;
        mb_tariff_reading ref; /* the last charged reading */
        int64_t base_fen;      /* rounded total of acc when charging here began */
        int64_t done_fen;      /* charged in months finished since the snapshot */
};

/* Begin from snapshot s (its accumulator is copied).  MB_OK or MB_ENOMEM. */
int agent_charge_start(struct agent_charge *c, const struct agent_snapshot *s);
/* Charge from the last charged reading to cur under tariff t.  The interval
 * belongs to the month of cur, or to the month before when cur is a
 * boundary reading (the reading that closes that month).  A reading
 * older than the last is ignored; a register lower than the last is not
 * charged but becomes the new reference (a meter reset or replacement).
 * MB_OK, or the tariff engine's error with err filled (nothing charged). */
int agent_charge_add(struct agent_charge *c, const mb_tariff *t, const mb_tariff_reading *cur,
                     int boundary, char *err, size_t len);
/* The local balance: the snapshot's minus what was charged since. */
int64_t agent_charge_balance(const struct agent_charge *c);
/* Release what c owns and zero it. */
void agent_charge_clear(struct agent_charge *c);

#endif
