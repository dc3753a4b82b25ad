/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One measurement of one meter, as a plugin reports it.
 *
 * Units are integers throughout (DESIGN.md, Units and money): energy in
 * watt-hours as the meter's cumulative register, power in milliwatts, voltage
 * in millivolts, current in milliamperes, power factor in thousandths,
 * frequency in millihertz, money in minor units (fen).
 *
 * The host zeroes the struct and sets `size` before meter_read.  A plugin sets
 * the MB_F_* bit for every field it filled; unset fields are unknown, not
 * zero.  Fields are only ever appended (the struct grows; plugin.h,
 * "Versions and growth"), so a plugin built against an older header fills a
 * prefix, and a plugin built against a newer one must check MB_READING_HAS()
 * before writing a field, or setting a field bit, the host may not have.
 *
 * Per-field readings (since 1.1).  Only the energy register (MB_F_IMPORT) is
 * essential: meter_read fails only when it cannot give that register (or
 * cannot reach the meter at all; a meter without an energy register, such
 * as a relay-only device, fails when it can give nothing).  Any other
 * quantity that fails (no reply, an exception, a value that does not decode
 * or is out of range) or that the meter marks "not available" (a register
 * at its not-available marker, a NaN) is left out: its MB_F_* bit stays
 * clear, and the rest of the reading is kept.  Say why with
 * mb_reading_omit(): the bit goes into `missing` and "what: why" into
 * `missing_why`; the agent logs it and records an event when the set of
 * left-out fields changes.  A quantity the meter does not have at all
 * (it answers "no such data") is simply not filled, and needs no reason each
 * time.  A marker is never a value: 0xFFFF Hz is not 655.35 Hz.
 */
#ifndef MB_READING_H
#define MB_READING_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MB_PHASES 3
#define MB_RATES 4 /* time-of-use rates: 1 sharp peak, 2 peak, 3 flat, 4 valley */
#define MB_ADDR_LEN 32
#define MB_WHY_LEN 256    /* missing_why, with its NUL */
#define MB_ACCOUNT_LEN 32 /* account, with its NUL */

/* Which fields are valid. */
enum mb_field {
        MB_F_IMPORT = 1u << 0,      /* import_wh */
        MB_F_EXPORT = 1u << 1,      /* export_wh */
        MB_F_POWER = 1u << 2,       /* power_mw (total) */
        MB_F_VOLTAGE = 1u << 3,     /* voltage_mv[0..phases-1] */
        MB_F_CURRENT = 1u << 4,     /* current_ma[0..phases-1] */
        MB_F_PF = 1u << 5,          /* pf_milli */
        MB_F_FREQ = 1u << 6,        /* freq_mhz */
        MB_F_RATES = 1u << 7,       /* rate_wh[0..MB_RATES-1] import per TOU rate */
        MB_F_RELAY = 1u << 8,       /* relay */
        MB_F_ADDRESS = 1u << 9,     /* address, as the meter reports it */
        MB_F_METER_TIME = 1u << 10, /* meter_time */
        MB_F_FROZEN = 1u << 11,     /* frozen_import_wh, frozen_time */
        MB_F_PREPAID = 1u << 12,    /* remain_fen, overdraft_fen (meter-side cost control) */
        /* since 1.1: */
        MB_F_REMAIN = 1u << 13,  /* remain_fen alone (a meter without an overdraft register) */
        MB_F_ACCOUNT = 1u << 14, /* account: the customer number (户号) the meter holds */
        MB_F_DEMAND = 1u << 15,  /* demand_mw, demand_time: this billing month's maximum demand */
        MB_F_FROZEN_DEMAND = 1u << 16, /* frozen_demand_mw, frozen_demand_time */
};
/* Field bits of SDK 1.0; MB_F_KNOWN, of this header. */
#define MB_F_KNOWN_1_0 ((1u << 13) - 1)
#define MB_F_KNOWN ((1u << 17) - 1)

/* Quality flags: facts about a reading that a consumer must know. */
enum mb_quality {
        MB_Q_ESTIMATED = 1u << 0,      /* a value was estimated, not measured */
        MB_Q_CLOCK_BAD = 1u << 1,      /* the meter's clock is not trustworthy */
        MB_Q_REGISTER_RESET = 1u << 2, /* the meter reset or replaced its register */
        MB_Q_OVERFLOW = 1u << 3,       /* a register rolled over */
        MB_Q_GATEWAY_CLOCK = 1u << 4,  /* set by the host: the gateway's clock was suspect */
};

enum mb_relay_state {
        MB_RELAY_UNKNOWN = 0,
        MB_RELAY_CLOSED = 1, /* supply on */
        MB_RELAY_OPEN = 2,   /* supply off (tripped) */
        MB_RELAY_ARMED = 3,  /* open, customer may close it */
};

typedef struct mb_reading {
        uint32_t size;    /* set by the host: sizeof(mb_reading) of the host */
        uint32_t fields;  /* MB_F_* bits */
        uint32_t quality; /* MB_Q_* bits */
        int32_t phases;   /* 1 or 3; voltage/current arrays hold this many */

        int64_t import_wh; /* cumulative forward active energy */
        int64_t export_wh; /* cumulative reverse active energy */
        int64_t rate_wh[MB_RATES];
        int64_t power_mw; /* total active power, negative when exporting */
        int32_t voltage_mv[MB_PHASES];
        int32_t current_ma[MB_PHASES];
        int32_t pf_milli; /* -1000..1000 */
        int32_t freq_mhz; /* 50000 for 50 Hz */
        int32_t relay;    /* enum mb_relay_state */
        int32_t pad0;
        char address[MB_ADDR_LEN]; /* NUL-terminated */
        int64_t meter_time;        /* meter clock, UTC seconds */
        int64_t frozen_import_wh;  /* register frozen at the last settlement day */
        int64_t frozen_time;       /* when it froze, UTC seconds */
        int64_t remain_fen;        /* remaining amount held by the meter */
        int64_t overdraft_fen;     /* overdraft amount held by the meter */

        /* ---- since 1.1 (check MB_READING_HAS) ---- */
        uint32_t missing; /* MB_F_* bits asked for and not obtained (mb_reading_omit) */
        uint32_t pad1;
        char missing_why[MB_WHY_LEN]; /* "freq: no reply; power: not available (0x7FFFFFFF)" */
        /* The customer number (户号) the meter holds, as it reports it
         * (DL/T 645-2007 cost-control meters: 0400040E, 12 digits),
         * NUL-terminated; MB_F_ACCOUNT.  The agent reports it to the server,
         * which checks it against the account bound to the meter. */
        char account[MB_ACCOUNT_LEN];
        /* The maximum demand (最大需量) of the current billing month so far:
         * the largest average import power over the meter's demand
         * interval (typically 15 minutes) since the register was last
         * reset, at the settlement day (DL/T 645-2007: 01010000), in mW;
         * demand_time: when it occurred, UTC seconds (0: the meter does not
         * say).  MB_F_DEMAND.  The server bills a demand charge on it
         * (docs/tariffs.md, "Monthly charges"). */
        int64_t demand_mw;
        int64_t demand_time;
        /* The maximum demand of the last billing month, frozen at the
         * settlement day (DL/T 645-2007: 01010001), in mW, and
         * frozen_demand_time: when it froze, the settlement moment, UTC
         * seconds (as frozen_time).  MB_F_FROZEN_DEMAND.  Where a meter has
         * it, it defines the month's demand. */
        int64_t frozen_demand_mw;
        int64_t frozen_demand_time;
} mb_reading;

/* True when the host's struct is large enough to hold `field`. */
#define MB_READING_HAS(r, field) ((r)->size >= offsetof(mb_reading, field) + sizeof((r)->field))

/*
 * Leave the quantity `field` (one MB_F_* bit) out of r, with a printf-style
 * reason such as "freq: no reply" or "power: not available (0x7FFFFFFF)":
 * clears the bit in r->fields and, on a host of SDK 1.1 or later, sets it in
 * r->missing and appends the reason to r->missing_why ("; " between, cut at
 * the end of the buffer).  On an older host only the bit is cleared.
 */
static inline void mb_reading_omit(mb_reading *r, uint32_t field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static inline void mb_reading_omit(mb_reading *r, uint32_t field, const char *fmt, ...)
{
        const char *end;
        size_t used;
        va_list ap;

        r->fields &= ~field;
        if (!MB_READING_HAS(r, missing_why))
                return;
        r->missing |= field;
        end = (const char *)memchr(r->missing_why, 0, sizeof(r->missing_why));
        used = end ? (size_t)(end - r->missing_why) : sizeof(r->missing_why);
        if (used >= sizeof(r->missing_why) - 3)
                return;
        if (used) {
                memcpy(r->missing_why + used, "; ", 3);
                used += 2;
        }
        va_start(ap, fmt);
        vsnprintf(r->missing_why + used, sizeof(r->missing_why) - used, fmt, ap);
        va_end(ap);
}

#ifdef __cplusplus
}
#endif
#endif
