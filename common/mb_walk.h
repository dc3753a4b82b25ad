/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The walk: how one step along a meter's readings is charged, the same on
 * the agent (local balance) and on the server (continuous deduction and the
 * month close), so that both charge the same intervals into the same months
 * (docs/tariffs.md, "The seams of a month").
 *
 * A step goes from the reference (the last point charged) to the next
 * reading x.  mb_walk_plan() says what to charge:
 *
 *   - time: a reading stamped before the reference is taken at the
 *     reference's time (the offline promise is by sequence, not by clock);
 *   - registers: a register below the reference is a rollover when the
 *     meter has a range (rollover_wh) and the wrapped energy is under a
 *     hundredth of it: the step is charged across the wrap.  Any other
 *     backwards step is not charged (an operator resolves it; the server
 *     holds the month) and x becomes the reference.  An operator's fix
 *     (shift_wh) is added to x's registers for this step only;
 *   - months: an interval belongs to the month its midpoint falls in (a
 *     midpoint exactly on a month start goes to the month before, a
 *     zero-length interval to the month of its instant), which is the rule
 *     "the reading nearest the month boundary closes the month"; once a
 *     reading at or after a month start is charged, every later step
 *     belongs to a later month;
 *   - frozen registers: when x carries a frozen month-end register for a
 *     month start between the reference and x, the step is cut there: the
 *     frozen register defines the month;
 *   - the interval's charge is then the tariff engine's (mb_tariff_charge),
 *     pieces in order, the tier position carried.
 *
 * Pure functions, no allocation; local time is the process TZ.
 */
#ifndef MB_WALK_H
#define MB_WALK_H

#include <stdint.h>

#include "mb_tariff.h"

/* A reading as the walk sees it. */
typedef struct mb_walk_point {
        mb_tariff_reading r; /* as read: time and registers */
        int has_frozen;      /* r carries the meter's frozen month-end register */
        int64_t frozen_t;    /* when it froze (UTC) */
        int64_t frozen_wh;
        int64_t shift_wh; /* an operator's fix for the step into this reading */
        int fixed;        /* shift_wh is an operator's: charge the step as shifted */
} mb_walk_point;

enum mb_walk_event {
        MB_WALK_CLOCK = 1u << 0,     /* stamped before the reference: taken at its time */
        MB_WALK_ROLLOVER = 1u << 1,  /* the register wrapped at its range: charged across */
        MB_WALK_BACKWARDS = 1u << 2, /* went backwards, no rollover: not charged */
        MB_WALK_FROZEN = 1u << 3,    /* cut at a frozen month-end register */
        MB_WALK_RATES = 1u << 4,     /* a rate register went backwards: rates ignored */
        MB_WALK_FIXED = 1u << 5,     /* charged as an operator's fix says */
        MB_WALK_NO_TARIFF = 1u << 6, /* (set by callers) no tariff in force: not charged */
};

typedef struct mb_walk_piece {
        mb_tariff_reading a, b; /* charge a -> b */
        int month;              /* YYYYMM (local) it belongs to */
} mb_walk_piece;

typedef struct mb_walk_step {
        int n; /* pieces to charge, in order: 0, 1 or 2 */
        mb_walk_piece p[2];
        mb_tariff_reading ref; /* the reference after the step */
        unsigned events;       /* MB_WALK_* */
} mb_walk_step;

/* The step from ref to x for a meter whose register wraps at rollover_wh
 * (0: it never wraps). */
void mb_walk_plan(const mb_tariff_reading *ref, const mb_walk_point *x, int64_t rollover_wh,
                  mb_walk_step *out);

/* YYYYMM of the month the interval [a, b] belongs to (a <= b): that of its
 * midpoint, a midpoint on a month start counting to the month before; a
 * zero-length interval belongs to the month of its instant. */
int mb_walk_month(int64_t a, int64_t b);

/* YYYYMMDD of the local day the interval [a, b] belongs to, by the same
 * rule as months: the reading nearest a local midnight ends the day (the
 * daily figures of transformer areas, docs/operations.md). */
int mb_walk_day(int64_t a, int64_t b);
/* YYYYMMDD of the local day containing t (0 out of range); UTC start of
 * local day yyyymmdd; yyyymmdd plus delta days. */
int mb_walk_day_of(int64_t t);
int64_t mb_walk_day_start(int yyyymmdd);
int mb_walk_day_add(int yyyymmdd, int delta);

/* YYYYMM of the local month containing t; UTC start of local month yyyymm. */
int mb_walk_month_of(int64_t t);
int64_t mb_walk_month_start(int yyyymm);
/* yyyymm plus delta months. */
int mb_walk_month_add(int yyyymm, int delta);

/*
 * Charge one planned step into month accumulators: for each piece, acc_for
 * (called with the piece's month) gives the accumulator to charge into,
 * then mb_tariff_charge() from *pos.  A piece in a time with no tariff in
 * force is not charged (MB_WALK_NO_TARIFF is added to st->events).  Returns
 * MB_OK or the engine's error (the step is then partly charged: callers
 * treat the account as unbillable until it is resolved).
 */
int mb_walk_charge(const mb_tariff *t, mb_walk_step *st, mb_tier_pos *pos,
                   mb_tariff_acc *(*acc_for)(void *ctx, int month), void *ctx, char *err,
                   size_t errlen);

#endif
