/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Exact integer arithmetic for money and energy (DESIGN.md, Units and money).
 *
 * Units used across meterbox:
 *   energy   Wh, int64_t
 *   money    fen (minor units), int64_t
 *   prices   ten-thousandths of the currency per kWh (0.4883 yuan/kWh = 4883),
 *            per kW per month for demand, per month for fixed charges
 *   exact    price x Wh = 1e-7 of the currency ("e7" units); charges are kept
 *            in this unit until a bill line is rounded, once, to fen.
 *
 * Nothing here uses floating point.  All functions are pure and thread-safe.
 */
#ifndef MB_MONEY_H
#define MB_MONEY_H

#include <stddef.h>
#include <stdint.h>

/* e7 units (1e-7 of the currency) in one fen, and in one price unit (1e-4). */
#define MB_E7_PER_FEN 100000
#define MB_E7_PER_E4 1000

/*
 * Round an exact amount in e7 units to fen, half away from zero:
 * 117.1920000 -> 117.19, 0.0050000 -> 0.01, -0.0050000 -> -0.01,
 * 0.0049999 -> 0.00.  This is the one rounding rule for every bill line.
 * Never overflows.
 */
int64_t mb_money_round_fen(int64_t e7);

/*
 * Parse a plain decimal string ("12", "0.4883", "-3.5") into an integer scaled
 * by 10^decimals ("0.4883" with decimals 4 gives 4883; "12.345" with 3 gives
 * 12345).  Digits past `decimals` are accepted only when they are zeros.  No
 * spaces, no '+', no exponent, at least one digit before any '.', at least
 * one after it.  Returns MB_OK, MB_EINVAL for bad syntax or too many
 * significant decimals, MB_ERANGE when the value does not fit in int64_t.
 * *out is written only on success.
 */
int mb_decimal_parse(const char *s, int decimals, int64_t *out);

/*
 * Write v scaled by 10^decimals as a decimal string into buf, always with
 * exactly `decimals` digits after the point (11719, 2 -> "117.19"; 5, 4 ->
 * "0.0005"; -5, 2 -> "-0.05").  decimals 0..18.  Returns MB_OK, MB_EINVAL for
 * a bad decimals, or MB_ENOSPC when len is too small (buf then holds "").
 * 32 bytes always suffice.
 */
int mb_decimal_format(int64_t v, int decimals, char *buf, size_t len);

/*
 * Apportion `total` (>= 0) over n shares in proportion to weights w[] (each
 * >= 0) by the largest-remainder method: out[i] = floor(total*w[i]/W) plus one
 * for the (total - sum of floors) shares with the largest remainders, ties to
 * the lower index.  The outputs always sum to exactly `total`, and out[i] <= w[i]
 * whenever total <= W.  Deterministic: depends only on the arguments.
 * Returns MB_OK, MB_EINVAL for negative inputs or all-zero weights with a
 * positive total, MB_ERANGE when total*w[i] or the weight sum overflows
 * int64_t.  out[] is written only on success; n may be 0 (total must be 0).
 */
int mb_apportion(int64_t total, const int64_t *w, size_t n, int64_t *out);

#endif
