/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The arithmetic of line loss (线损) and collection success (采集成功率),
 * pure functions (docs/operations.md, "Line loss and collection success").
 *
 * A meter's register at a local midnight T (its *boundary point*) follows
 * the month close's rule (docs/tariffs.md, boundary precedence; mb_walk.h):
 * the meter's frozen register for T where a reading carries one (believed
 * when it lies between the registers around it), else the reading nearest
 * T, decided by mb_walk_day exactly as mb_walk_month decides a month's end.
 * The point counts as *collected* when it is the frozen register, or a
 * reading no further than the window (areas.boundary_window) from T: a
 * meter silent around midnight has no daily reading, and a day that needs
 * it is not computable rather than guessed.
 *
 * Energy is a difference of two points, stepped by mb_walk_plan (rollover
 * at the meter's register range, a register that went backwards is not
 * energy), times the meter's multiplier.  The loss rate is an integer in
 * hundredths of a percent, rounded once, half away from zero.
 */
#ifndef SRV_AREA_CALC_H
#define SRV_AREA_CALC_H

#include <stddef.h>
#include <stdint.h>

/* A stored reading near a midnight, as the points query gives it. */
struct srv_aread {
        int64_t seq, ts, wh;
};

enum srv_apoint_state {
        SRV_APOINT_PENDING = 0, /* no reading at or after T yet: it may still come */
        SRV_APOINT_MISSING,     /* readings after T, none within the window of it */
        SRV_APOINT_READING,     /* the nearest reading, within the window */
        SRV_APOINT_FROZEN,      /* the meter's frozen register for T */
};

struct srv_apoint {
        int state;   /* enum srv_apoint_state */
        int64_t t;   /* the reading's time (T for a frozen register) */
        int64_t wh;  /* the register there */
        int64_t seq; /* the reading's (0 for a frozen register) */
};

/* Is the point a daily reading that arrived (frozen or within the window)? */
static inline int srv_apoint_collected(const struct srv_apoint *p)
{
        return p->state == SRV_APOINT_READING || p->state == SRV_APOINT_FROZEN;
}

/*
 * The boundary point at midnight T of one meter from its readings r[0..n-1]
 * in sequence order with ts within [T - window, T + window] (the clock rule
 * of the walk applied among them: a reading stamped before the one before
 * it is taken at that one's time), its frozen register for T (has_frozen,
 * frozen_wh) and whether it has any reading at or after T at all (later:
 * beyond the window too).
 */
void srv_apoint_derive(int64_t T, int64_t window, const struct srv_aread *r, size_t n,
                       int has_frozen, int64_t frozen_wh, int later, struct srv_apoint *out);

/* The result of one meter's energy between two points. */
enum srv_aenergy_result {
        SRV_AENERGY_OK = 0,
        SRV_AENERGY_ROLLOVER = 1,  /* OK, across the register's wrap */
        SRV_AENERGY_BACKWARDS = 2, /* the register went backwards: no energy can be given */
        SRV_AENERGY_RANGE = 3,     /* the product overflows */
};

/*
 * Energy from p0 to p1 (both collected) of a meter whose register wraps at
 * rollover_wh (0: never), times multiplier (>= 1), into *wh.  Returns an
 * enum srv_aenergy_result.
 */
int srv_aenergy(const struct srv_apoint *p0, const struct srv_apoint *p1, int64_t rollover_wh,
                int64_t multiplier, int64_t *wh);

/* The loss of a period and its verdict. */
enum srv_aloss_state {
        SRV_ALOSS_OK = 0,             /* rate inside the qualified band */
        SRV_ALOSS_OUT_OF_BAND = 1,    /* rate below its min or above its max */
        SRV_ALOSS_NOT_COMPUTABLE = 2, /* see the reason */
};

/*
 * loss = supply - sales; rate = loss / supply in hundredths of a percent,
 * rounded once, half away from zero (2/3 % -> 67); the band is checked on
 * the exact ratio (min_bp * supply <= loss * 10000 <= max_bp * supply), not
 * on the rounded rate.  supply 0 (or below) has no rate: returns
 * SRV_ALOSS_NOT_COMPUTABLE.  A product beyond int64 too.
 */
int srv_aloss_rate(int64_t supply_wh, int64_t sales_wh, int64_t min_bp, int64_t max_bp,
                   int64_t *loss_wh, int64_t *rate_bp);

/* How far the exact rate lies outside [min_bp, max_bp], in hundredths of a
 * percent rounded down (0 inside): the wall ranks anomalies by it. */
int64_t srv_aloss_outside_bp(int64_t supply_wh, int64_t loss_wh, int64_t min_bp, int64_t max_bp);

/* a * b / c rounded half away from zero, c > 0; MB_OK or MB_ERANGE. */
int srv_area_muldiv(int64_t a, int64_t b, int64_t c, int64_t *out);

#endif
