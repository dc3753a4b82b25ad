/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The continuous-deduction accumulator on the wire: an mb_tariff_acc as the
 * JSON "acc" object of docs/wire.md, and back.
 *
 *   {"month": "2026-11", "lines": [{"kind": 0, "version": 20240101, "tier": 1,
 *    "rate": 0, "qty": 183000, "price": 4883, "exact": 893589000}]}
 *
 * Lines are exact (e7 units), never rounded on the wire, so the agent and the
 * server round the same numbers (mb_tariff_acc_total) and agree to the fen.
 */
#ifndef MB_TARIFF_WIRE_H
#define MB_TARIFF_WIRE_H

#include <stddef.h>

#include <json-c/json.h>

#include "mb_tariff.h"

/*
 * Add one exact line to acc, merging it with a line of equal key (kind,
 * version, tier, rate, price) as charging does; line->fen is ignored.
 * Returns MB_OK, MB_EINVAL (kind out of range, negative qty, or exact not
 * equal to price x qty (x 1000 for fixed lines)), MB_ERANGE (overflow),
 * MB_ENOMEM.  On failure acc is unchanged.
 */
int mb_tariff_acc_add_line(mb_tariff_acc *acc, const mb_tariff_line *line);

/*
 * A new JSON object {"month": month, "lines": [...]} for acc.  month is
 * "YYYY-MM" (copied).  The caller owns the result (json_object_put); NULL
 * when out of memory.
 */
json_object *mb_tariff_wire_acc(const mb_tariff_acc *acc, const char *month);

/*
 * Read an "acc" object into acc (which is reset first) and its month into
 * month[8] ("YYYY-MM").  On failure err names the offending field
 * ("lines[2].exact") and acc is left empty.  Returns MB_OK, MB_EINVAL
 * (wrong shape or inconsistent line), MB_ERANGE, MB_ENOMEM.
 */
int mb_tariff_wire_acc_parse(json_object *o, mb_tariff_acc *acc, char month[8], char *err,
                             size_t errlen);

/* Is s a month "YYYY-MM" (year 1970..9999, month 01..12)?  1 or 0. */
int mb_tariff_wire_month_ok(const char *s);

#endif
