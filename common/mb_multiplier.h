/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Multipliers (综合倍率, docs/tariffs.md "Multipliers"): a meter behind
 * current (CT) and voltage (PT) transformers counts the secondary side's
 * energy; what the customer used is the register difference times the CT
 * ratio times the PT ratio.  Both sides (the agent's local balance, the
 * server's deduction and close) scale the same pieces of the same walk by
 * the same integer, so they agree to the fen; no rounding happens here
 * (every product is exact), only at the bill lines as always.
 *
 * A change of multiplier (a CT replaced) is a seam of the month: the
 * server closes the supply at the register where it changed and opens one
 * on the same meter with the new multiplier (srv_supply.h), so each piece
 * is scaled by what was in force for it and the tier position carries.
 *
 * Pure functions, no allocation.
 */
#ifndef MB_MULTIPLIER_H
#define MB_MULTIPLIER_H

#include <stdint.h>

#include "mb_walk.h"

/* The largest multiplier: a 35 kV PT (350) and a 2000/1 CT, with room; a
 * register of 10^12 Wh times it still fits an int64_t. */
#define MB_MULTIPLIER_MAX 1000000

/*
 * A transformer ratio written "PRIMARY/SECONDARY" ("200/5" is 40,
 * "10000/100" is 100) or as the whole ratio ("40").  The ratio must be a
 * whole number from 1 to MB_MULTIPLIER_MAX.  MB_OK and *ratio, or MB_EINVAL
 * (err says what is wrong: not a ratio, zero, not whole), MB_ERANGE.
 */
int mb_ratio_parse(const char *s, int64_t *ratio, char *err, size_t errlen);

/* ct x pt into *k: MB_OK, or MB_ERANGE above MB_MULTIPLIER_MAX (or below 1). */
int mb_multiplier(int64_t ct, int64_t pt, int64_t *k);

/* Every register of r (import and, when it has them, the rate registers)
 * times k.  MB_OK, or MB_ERANGE on overflow (r unchanged). */
int mb_multiplier_reading(mb_tariff_reading *r, int64_t k);

/*
 * Scale the pieces of a planned step (mb_walk_plan) by k before they are
 * charged: each piece's registers times k, so its energy (and each rate's)
 * is the primary side's.  The step's reference (st->ref) stays in register
 * units.  MB_OK, or MB_ERANGE on overflow (st unchanged).
 */
int mb_multiplier_step(mb_walk_step *st, int64_t k);

#endif
