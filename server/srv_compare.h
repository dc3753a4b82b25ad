/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Month-over-month comparison of a bill: what an operator should look at.
 * Pure integer arithmetic (ratios in thousandths), no database.
 */
#ifndef SRV_COMPARE_H
#define SRV_COMPARE_H

#include <stdint.h>

#include <json-c/json.h>

enum srv_bill_flag {
        SRV_FLAG_JUMP = 1u << 0,               /* use changed beyond the ratio vs last month */
        SRV_FLAG_ZERO_USE = 1u << 1,           /* no energy at all this month */
        SRV_FLAG_REGISTER_BACKWARDS = 1u << 2, /* a register went backwards in the month */
        SRV_FLAG_MISSING_BOUNDARY = 1u << 3,   /* a boundary reading is missing: held */
        SRV_FLAG_NO_TARIFF = 1u << 4,          /* no tariff in force: held */
        SRV_FLAG_FROZEN_FALLBACK = 1u << 5,    /* a boundary came from the frozen register */
        SRV_FLAG_JUMP_YEAR = 1u << 6,          /* use changed beyond the ratio vs a year ago */
        SRV_FLAG_PREVIOUS_HELD = 1u << 7,      /* the month before is not settled: held */
        SRV_FLAG_UNBILLABLE = 1u << 8,         /* an amount no bill can hold: held */
        SRV_FLAG_ROLLOVER = 1u << 9,           /* a register wrapped at its range */
        SRV_FLAG_FIXED = 1u << 10,             /* charged as an operator's fix says */
        SRV_FLAG_FINAL = 1u << 11,             /* the account's final bill (move-out) */
        SRV_FLAG_EXCHANGE = 1u << 12,          /* more than one meter in the month */
        SRV_FLAG_MULTIPLIER = 1u << 13,        /* a CT or PT replaced: two multipliers */
};

struct srv_compare_in {
        int64_t wh;   /* this month's energy */
        int has_prev; /* last month is settled */
        int64_t prev_wh;
        int has_last_year; /* the same month last year is settled */
        int64_t last_year_wh;
        int backwards; /* a register went backwards inside the month */
};

/*
 * Flags for a computed bill.  jump_milli is the configured ratio x 1000
 * (3000: flag when use is more than 3 times, or less than a third of, the
 * reference month's).  A reference month with zero use flags a jump when this
 * month is not zero.
 */
unsigned srv_compare_flags(const struct srv_compare_in *in, int64_t jump_milli);

/* The flags as a JSON array of names ("jump", "zero_use", ...). */
json_object *srv_compare_flags_json(unsigned flags);
/* Flags from the names in a JSON array text (as stored). */
unsigned srv_compare_flags_parse(const char *text);

#endif
