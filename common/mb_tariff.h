/* SPDX-License-Identifier: Apache-2.0 */
/*
 * meterbox tariff engine: one implementation, linked by the agent and the
 * server, so that both compute the same charge to the fen for the same
 * readings (DESIGN.md, Units and money).  File format and rounding rules:
 * docs/tariffs.md.
 *
 * Units: energy in Wh, prices in ten-thousandths of the currency per kWh
 * (per kW per month for demand, per month for fixed charges), exact amounts in
 * e7 units (1e-7 of the currency: price x Wh), rounded amounts in fen.  No
 * floating point anywhere.  Rounding happens once per bill line, half away
 * from zero (mb_money_round_fen), never per interval.
 *
 * Local time: tariff periods, seasons, special days, version dates and tier
 * periods are in the process time zone (TZ, set by the daemons at start with
 * setenv + tzset).
 *
 * Objects
 *   mb_tariff      a parsed tariff: immutable after parsing, so one tariff may
 *                  be shared by threads.  Freed with mb_tariff_free().
 *   mb_tariff_acc  an accumulator of charge lines: continuous deduction adds
 *                  interval after interval to it, a bill rounds and totals it.
 *                  Not thread-safe; one per account (and per tariff).
 *   mb_tier_pos    the tier position (energy used so far in the current tier
 *                  period), a plain struct the caller stores and passes back.
 *
 * Errors: every function that can fail returns MB_OK or a negative MB_E* code
 * (meterbox/errors.h) and, where it takes err/errlen, writes a one-line
 * message there (err may be NULL; the message is truncated to errlen).  On
 * failure nothing the caller passed in (tier position, accumulator) is
 * changed.
 */
#ifndef MB_TARIFF_H
#define MB_TARIFF_H

#include <stddef.h>
#include <stdint.h>

#include <meterbox/errors.h>
#include <meterbox/reading.h> /* MB_RATES */

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mb_tariff mb_tariff;
typedef struct mb_tariff_acc mb_tariff_acc;

/* Time-of-use rates, numbered as meters number their rate registers. */
enum mb_rate {
        MB_RATE_NONE = 0, /* untimed: the version has no time-of-use */
        MB_RATE_SHARP = 1,
        MB_RATE_PEAK = 2,
        MB_RATE_FLAT = 3,
        MB_RATE_VALLEY = 4,
};
#define MB_TARIFF_NRATES (MB_RATES + 1) /* index by enum mb_rate */
#define MB_TARIFF_MAX_TIERS 8

enum mb_tier_period {
        MB_TIER_MONTH = 1, /* from the settlement day of each month */
        MB_TIER_YEAR = 2,  /* from settlement month/day of each year */
};

enum mb_line_kind {
        MB_LINE_ENERGY = 0, /* qty Wh at price per kWh */
        MB_LINE_FIXED = 1,  /* qty months at price per month */
        MB_LINE_DEMAND = 2, /* qty W of maximum demand at price per kW per month */
};

/* Facts about how a charge was computed, OR-ed into the accumulator. */
enum mb_charge_flag {
        /* Time-of-use energy was split across periods by time, because the
         * interval had no rate registers. */
        MB_CHARGE_TIME_SPLIT = 1u << 0,
        /* Energy was split by time at a version change or at the start of a
         * tier period (month/year) inside an interval. */
        MB_CHARGE_BLOCK_SPLIT = 1u << 1,
        /* Rate register deltas did not add up to the import delta; the import
         * delta was apportioned in their proportion (or by time when they
         * were all zero). */
        MB_CHARGE_RATE_MISMATCH = 1u << 2,
        /* A rate register held energy in a rate the version does not price;
         * that energy was split by time over the priced periods. */
        MB_CHARGE_RATE_UNPRICED = 1u << 3,
};

/* Tier position.  Zero-initialise for "nothing used yet": a period_start that
 * is not the start of the tier period being charged resets used_wh to 0. */
typedef struct mb_tier_pos {
        int64_t period_start; /* UTC start of the tier period used_wh counts in */
        int64_t used_wh;      /* energy charged so far in that period */
} mb_tier_pos;

/* One meter reading as charging needs it. */
typedef struct mb_tariff_reading {
        int64_t t;         /* UTC seconds */
        int64_t import_wh; /* cumulative import register */
        int has_rates;     /* rate_wh[] is valid */
        /* cumulative import per rate: [0] sharp, [1] peak, [2] flat, [3] valley
         * (rate r is rate_wh[r - 1]), as in mb_reading */
        int64_t rate_wh[MB_RATES];
} mb_tariff_reading;

/* One charge line.  Lines with equal (kind, version, tier, rate, price) are
 * merged by the accumulator. */
typedef struct mb_tariff_line {
        int kind;        /* enum mb_line_kind */
        int32_t version; /* effective-from date of the version, YYYYMMDD */
        int tier;        /* 1-based tier (energy lines), 0 otherwise */
        int rate;        /* enum mb_rate (energy lines), 0 otherwise */
        int64_t qty;     /* Wh (energy), W (demand); fixed: qty of `of` parts of a month */
        int64_t price;   /* ten-thousandths of the currency per kWh / kW-month / month */
        int64_t exact;   /* amount in e7 units: price * qty (fixed: * 1000 / of, see below) */
        int64_t fen;     /* exact rounded to fen, half away from zero */
        /* Fixed lines: what qty counts in.  1: whole months (the quote's
         * bill); the days of the month (28..31): qty days of supply, the
         * monthly charge prorated (mb_tariff_bill_fixed).  0 otherwise. */
        int32_t of;
} mb_tariff_line;

typedef struct mb_tariff_version_info {
        int32_t from;              /* effective-from local date, YYYYMMDD */
        const char *label;         /* owned by the tariff; "" when none */
        const char *origin_tariff; /* spliced plans: the tariff it came from; "" */
        int32_t line_version;      /* the version date its lines carry (its origin's) */
        int tier_period;           /* enum mb_tier_period */
        int settlement_day;        /* 1..28: tier periods start at 00:00 that day */
        int settlement_month;      /* 1..12, for MB_TIER_YEAR */
        int ntiers;                /* 1..MB_TARIFF_MAX_TIERS */
        int has_tou;               /* time-of-use periods defined */
        unsigned rates;            /* bit r set: rate r has a price (bit 0: untimed) */
        int64_t fixed_monthly;     /* ten-thousandths per month; 0: none */
        int64_t demand_price;      /* ten-thousandths per kW per month; 0: none */
} mb_tariff_version_info;

typedef struct mb_tariff_tier_info {
        int64_t upto_wh; /* tier covers usage below this in the period; -1: no limit */
        int64_t price[MB_TARIFF_NRATES]; /* by enum mb_rate; -1: not priced */
} mb_tariff_tier_info;

/* ---- parsing and lifetime ------------------------------------------- */

/*
 * Parse the libconfig tariff file at path.  On success *out is a new tariff
 * the caller frees with mb_tariff_free().  On failure *out is untouched and
 * err holds "FILE:LINE: reason" for the first problem found.  Returns MB_OK,
 * MB_EIO (cannot read), MB_ECONFIG (syntax or validation), MB_ENOMEM.
 */
int mb_tariff_parse_file(const char *path, mb_tariff **out, char *err, size_t errlen);

/*
 * Parse tariff text (e.g. an HTTP request body).  `name` stands for the file
 * name in messages ("NAME:LINE: reason"); @include is refused.  Ownership and
 * return codes as mb_tariff_parse_file (no MB_EIO).
 */
int mb_tariff_parse_string(const char *text, const char *name, mb_tariff **out, char *err,
                           size_t errlen);

/* Free a tariff and everything it owns.  NULL is a no-op. */
void mb_tariff_free(mb_tariff *t);

/*
 * Canonical text of the tariff in the file format: fixed key order, prices
 * with four decimals, TOU periods as normalised day schedules, no comments.
 * Parsing it gives an equal tariff, and equal tariffs give equal text, so it
 * can be stored, hashed and sent to agents.  Returns a malloc'd string the
 * caller frees with free(), or NULL when out of memory.
 */
char *mb_tariff_to_text(const mb_tariff *t);

/*
 * One part of a tariff plan: tariff t in force from local date `from`
 * (YYYYMMDD, 00:00 local) until the next part's date.
 */
typedef struct mb_tariff_plan_part {
        const mb_tariff *t;
        int32_t from;
} mb_tariff_plan_part;

/*
 * Splice a plan into one tariff (docs/tariffs.md, "The seams of a month"):
 * part k contributes the version of parts[k].t in force on parts[k].from,
 * re-dated to that date, and its later versions that start before
 * parts[k+1].from.  Nothing is in force before parts[0].from.  Each version
 * keeps its origin (tariff id and own date): lines are keyed by the origin
 * date, so a version re-dated by the splice gives the same lines as before.
 * Tier positions carry across the parts as across any version change.
 *
 * id and name are the new tariff's (id as in the file format).  On success
 * *out is a new tariff (mb_tariff_free).  Returns MB_OK, MB_EINVAL (n == 0,
 * dates not increasing, currencies differ, bad id), MB_ENOENT (a part's
 * tariff has no version in force on its date), MB_ENOMEM; err says which
 * part.
 */
int mb_tariff_splice(const mb_tariff_plan_part *parts, size_t n, const char *id, const char *name,
                     mb_tariff **out, char *err, size_t errlen);

/* ---- inspection ------------------------------------------------------ */

/* Tariff id, name and currency code.  Owned by the tariff, never NULL. */
const char *mb_tariff_id(const mb_tariff *t);
const char *mb_tariff_name(const mb_tariff *t);
const char *mb_tariff_currency(const mb_tariff *t);

/* Number of versions (>= 1), in effective-date order. */
size_t mb_tariff_version_count(const mb_tariff *t);

/* Describe version i.  Returns MB_OK or MB_ENOENT if i is out of range. */
int mb_tariff_version(const mb_tariff *t, size_t i, mb_tariff_version_info *out);

/* Describe tier k (0-based) of version i.  MB_OK or MB_ENOENT. */
int mb_tariff_tier(const mb_tariff *t, size_t i, int k, mb_tariff_tier_info *out);

/*
 * Index of the version in force at UTC time `at` (versions take effect at
 * local midnight of their date), or MB_ENOENT when `at` is before the first
 * version, MB_ERANGE when the time cannot be converted.
 */
int mb_tariff_version_at(const mb_tariff *t, int64_t at);

/*
 * The tier period (per the version in force at `at`) containing `at`:
 * [*start, *end) in UTC.  Use it to build an mb_tier_pos for a known usage.
 * Returns MB_OK, MB_ENOENT (no version), MB_ERANGE.
 */
int mb_tariff_tier_period(const mb_tariff *t, int64_t at, int64_t *start, int64_t *end);

/* The time-of-use rate in force at `at` (MB_RATE_NONE for a version without
 * TOU), or MB_ENOENT / MB_ERANGE. */
int mb_tariff_rate_at(const mb_tariff *t, int64_t at);

/* "none", "sharp", "peak", "flat", "valley"; "?" for anything else. */
const char *mb_tariff_rate_name(int rate);

/*
 * Parse a local date "YYYY-MM-DD" and give the UTC bounds of that local day
 * [*start, *end).  Returns MB_OK or MB_EINVAL (bad date), MB_ERANGE.
 */
int mb_tariff_local_day(const char *date, int64_t *start, int64_t *end);

/* ---- charging -------------------------------------------------------- */

/*
 * Charge the energy between readings r0 and r1 (r0->t <= r1->t) into acc,
 * starting from tier position *pos and leaving the new position there.
 *
 * Energy is r1->import_wh - r0->import_wh.  When both readings have rate
 * registers and the version has TOU, their deltas say which rate the energy
 * belongs to; otherwise TOU energy is split across periods by time
 * (MB_CHARGE_TIME_SPLIT).  The interval is cut at version changes and at
 * tier period starts; energy is split across the cuts by time.  Tier
 * boundaries crossed inside the interval split the energy exactly, and each
 * tier's energy is spread over the rates in proportion (docs/tariffs.md).
 * Every split is an exact integer apportionment that preserves the sum.
 *
 * Charging a sequence interval by interval into one accumulator gives the
 * same lines as charging it in any grouping, with *pos carried.
 *
 * Returns MB_OK; MB_EINVAL (r1 before r0, NULL argument), MB_ERANGE (a
 * register went backwards, or an amount overflows), MB_ENOENT (no version
 * in force), MB_ESTATE (*pos belongs to a later tier period), MB_ENOMEM.
 * On failure *pos and acc are unchanged.
 */
int mb_tariff_charge(const mb_tariff *t, const mb_tariff_reading *r0, const mb_tariff_reading *r1,
                     mb_tier_pos *pos, mb_tariff_acc *acc, char *err, size_t errlen);

/*
 * Charge the n-1 intervals between consecutive readings r[0..n-1] (n >= 1)
 * into acc, as repeated mb_tariff_charge() calls would.  All or nothing: on
 * failure *pos and acc are unchanged and err names the failing interval.
 * Return codes as mb_tariff_charge().
 */
int mb_tariff_charge_readings(const mb_tariff *t, const mb_tariff_reading *r, size_t n,
                              mb_tier_pos *pos, mb_tariff_acc *acc, char *err, size_t errlen);

/*
 * The bill of one month (or any settlement period) from its two boundary
 * readings: the energy charge r0 -> r1 as mb_tariff_charge(), plus the fixed
 * monthly charge (one whole month: qty 1, of 1) and the demand charge
 * (max_demand_w, the month's maximum demand in W; 0 for none) of the
 * version in force at r0->t (meterboxctl quote; the month close prorates
 * with mb_tariff_bill_fixed).  Lines are added
 * to acc; call mb_tariff_acc_total() for the rounded bill.  Return codes and
 * atomicity as mb_tariff_charge(); MB_EINVAL for a negative demand.
 */
int mb_tariff_bill_month(const mb_tariff *t, const mb_tariff_reading *r0,
                         const mb_tariff_reading *r1, int64_t max_demand_w, mb_tier_pos *pos,
                         mb_tariff_acc *acc, char *err, size_t errlen);

/*
 * The fixed monthly charges of a supply from `from` to `to` (UTC) in the
 * local month containing `from` (docs/tariffs.md, "Monthly charges"): its
 * days are the local days from the day of `from` up to, not including,
 * the day of `to` (to the month's end when `to` is at or after it), so the
 * day of a change belongs to whatever starts on it.  Each day is charged
 * with the version in force on it; each version's charge (by its line key)
 * is fixed_monthly x days / days of the month, one line (MB_LINE_FIXED, qty
 * days, of the month's days), rounded once to the fen, half away from zero.
 * A version without a fixed charge, or a day with none in force, adds
 * nothing.  Lines go into acc.  Returns MB_OK, MB_EINVAL (NULL, to before
 * from), MB_ERANGE (time or amount out of range), MB_ENOMEM; on failure
 * acc is unchanged.
 */
int mb_tariff_bill_fixed(const mb_tariff *t, int64_t from, int64_t to, mb_tariff_acc *acc,
                         char *err, size_t errlen);

/*
 * The demand charge on demand_w (W, the month's maximum demand already
 * times the multiplier) at the demand price of the version in force at
 * `at`: one MB_LINE_DEMAND line, qty W, exact price x W.  Nothing when that
 * version has no demand price or demand_w is 0.  Returns MB_OK, MB_EINVAL
 * (NULL, negative demand), MB_ENOENT (no version at `at`), MB_ERANGE,
 * MB_ENOMEM; on failure acc is unchanged.
 */
int mb_tariff_bill_demand(const mb_tariff *t, int64_t at, int64_t demand_w, mb_tariff_acc *acc,
                          char *err, size_t errlen);

/* ---- accumulator ----------------------------------------------------- */

/* A new empty accumulator the caller frees with mb_tariff_acc_free(), or
 * NULL when out of memory. */
mb_tariff_acc *mb_tariff_acc_new(void);

/* Free an accumulator.  NULL is a no-op. */
void mb_tariff_acc_free(mb_tariff_acc *acc);

/* Empty it (lines and flags), keeping its memory. */
void mb_tariff_acc_reset(mb_tariff_acc *acc);

/* Add every line and flag of src to dst.  Returns MB_OK, MB_ERANGE
 * (overflow), MB_ENOMEM; on failure dst is unchanged. */
int mb_tariff_acc_merge(mb_tariff_acc *dst, const mb_tariff_acc *src);

/* Number of lines.  Lines are kept sorted by (kind, version, tier, rate,
 * price), so equal accumulators list equal lines in the same order. */
size_t mb_tariff_acc_count(const mb_tariff_acc *acc);

/* Copy line i, with fen filled in (rounded half away from zero).  MB_OK or
 * MB_ENOENT. */
int mb_tariff_acc_line(const mb_tariff_acc *acc, size_t i, mb_tariff_line *out);

/* MB_CHARGE_* flags of everything charged into acc. */
unsigned mb_tariff_acc_flags(const mb_tariff_acc *acc);

/* Total energy (Wh) of the energy lines. */
int64_t mb_tariff_acc_energy(const mb_tariff_acc *acc);

/*
 * Round every line to fen (once per line, half away from zero) and sum the
 * rounded lines into *total_fen.  The exact amounts are not summed first: a
 * bill shows lines, and its total is the sum of what it shows.  Returns MB_OK
 * or MB_ERANGE.
 */
int mb_tariff_acc_total(const mb_tariff_acc *acc, int64_t *total_fen);

#ifdef __cplusplus
}
#endif
#endif
