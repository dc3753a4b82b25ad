/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dlt698: one object's Data into mb_reading.
 *
 *   object  attribute 2                               scaler, unit   into
 *   0010    array: total, rate 1..4 double-long-unsigned  -2 kWh     import_wh, rate_wh[]
 *   0020    array: total, rates                       -2 kWh         export_wh
 *   2000    array per phase, long-unsigned            -1 V           voltage_mv[]
 *   2001    array per phase, double-long              -3 A           current_ma[]
 *   2004    array: total, phases, double-long         -1 W           power_mw (total)
 *   200A    array: total, phases, long                -3             pf_milli (total)
 *   200F    long-unsigned                             -2 Hz          freq_mhz
 *   4000    date_time_s, the meter's local time                      meter_time
 *   4001    octet-string, the address                                checked against the frame
 *   202C    structure {remaining money double-long-unsigned,
 *                      purchase count double-long-unsigned} -2 yuan  remain_fen
 *   202D    double-long-unsigned overdraft            -2 yuan        overdraft_fen
 *   4003    octet-string, BCD, highest digits first                 account (as digits)
 *
 * A scaled object's value is raw x 10^(scaler + k), k the step from its unit
 * to the SDK's (kWh -> Wh 3, V -> mV 3, W -> mW 3, kW -> mW 6, ...).  The
 * scaler and unit are the meter's own (attribute 3, read once) where the
 * plugin read them, else the standard's above.  A negative exponent divides
 * toward zero: a meter that counts in 0.0001 kWh gives whole Wh.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "dlt698.h"

const struct d698_object d698_objects[OBJ_COUNT] = {
    [OBJ_IMPORT] = {0x00100200, "forward active energy", 1, -2, D698_UNIT_KWH},
    [OBJ_EXPORT] = {0x00200200, "reverse active energy", 1, -2, D698_UNIT_KWH},
    [OBJ_VOLTAGE] = {0x20000200, "voltage", 1, -1, D698_UNIT_V},
    [OBJ_CURRENT] = {0x20010200, "current", 1, -3, D698_UNIT_A},
    [OBJ_POWER] = {0x20040200, "active power", 1, -1, D698_UNIT_W},
    [OBJ_PF] = {0x200A0200, "power factor", 1, -3, D698_UNIT_NONE},
    [OBJ_FREQ] = {0x200F0200, "frequency", 1, -2, D698_UNIT_HZ},
    [OBJ_CLOCK] = {0x40000200, "date-time", 0, 0, 0},
    [OBJ_ADDRESS] = {0x40010200, "communication address", 0, 0, 0},
    [OBJ_WALLET] = {0x202C0200, "wallet (remaining money, purchase count)", 0, -2, D698_UNIT_MONEY},
    [OBJ_OVERDRAFT] = {0x202D0200, "overdraft money", 0, -2, D698_UNIT_MONEY},
    [OBJ_ACCOUNT] = {0x40030200, "customer number", 0, 0, 0},
    [OBJ_RELAY] = {0x80000300, "relay output state", 0, 0, 0},
    [OBJ_RELAY_CMD] = {0x80000500, "relay command state", 0, 0, 0},
    [OBJ_FROZEN] = {0x50060200, "monthly freeze", 0, 0, 0},
};

/* The step from an object's unit to the SDK's, or -99 for a unit it cannot
 * have. */
static int unit_step(int obj, uint8_t unit)
{
        switch (obj) {
        case OBJ_IMPORT:
        case OBJ_EXPORT:
                return unit == D698_UNIT_KWH ? 3 : -99;
        case OBJ_VOLTAGE:
                return unit == D698_UNIT_V ? 3 : -99;
        case OBJ_CURRENT:
                return unit == D698_UNIT_A ? 3 : -99;
        case OBJ_POWER:
                return unit == D698_UNIT_W ? 3 : unit == D698_UNIT_KW ? 6 : -99;
        case OBJ_PF:
                return unit == D698_UNIT_NONE ? 3 : -99;
        case OBJ_FREQ:
                return unit == D698_UNIT_HZ ? 3 : -99;
        case OBJ_WALLET:
        case OBJ_OVERDRAFT:
                return unit == D698_UNIT_MONEY ? 2 : -99;
        default:
                return -99;
        }
}

static const char *oad_name(int obj, char buf[64])
{
        snprintf(buf, 64, "%08" PRIX32 " (%s)", d698_objects[obj].oad, d698_objects[obj].name);
        return buf;
}

static int bad(int obj, mb_err *err, const char *why)
{
        char name[64];

        return mb_err_set(err, MB_EPROTO, "%s: %s", oad_name(obj, name), why);
}

int d698_decode_scaler(struct d698_meter *m, int obj, struct d698_cur *data, mb_err *err)
{
        char name[64];
        const uint8_t *p;

        if (d698_u8(data) != D698_T_SCALER_UNIT || !(p = d698_bytes(data, 2)))
                return bad(obj, err, "attribute 3 is not a Scaler_Unit");
        if (unit_step(obj, p[1]) == -99)
                return mb_err_set(err, MB_EPROTO, "%s: unit %u is not one this object can have",
                                  oad_name(obj, name), p[1]);
        m->scaler[obj] = (int8_t)p[0];
        m->unit[obj] = p[1];
        return MB_OK;
}

/* raw in the object's scaler and unit, into the SDK's unit. */
static int scaled(const struct d698_meter *m, int obj, int64_t raw, int64_t *out, mb_err *err)
{
        int exp = m->scaler[obj] + unit_step(obj, m->unit[obj]);

        if (d698_scale(raw, exp, out) != D698_OK)
                return bad(obj, err, "value out of range");
        return MB_OK;
}

/* Up to max numbers: an array (or structure) of numbers, or one number. */
static int numbers(struct d698_cur *c, int64_t *v, size_t max, size_t *n)
{
        size_t count;
        uint8_t type;

        *n = 0;
        if (d698_aggregate(c, D698_T_ARRAY, &count) != 0 &&
            d698_aggregate(c, D698_T_STRUCT, &count) != 0) {
                if (c->err || d698_number(c, &v[0], &type) != 0)
                        return -1;
                *n = 1;
                return 0;
        }
        for (size_t i = 0; i < count; i++) {
                int64_t x;
                if (d698_number(c, &x, &type) != 0)
                        return -1;
                if (i < max)
                        v[(*n)++] = x;
        }
        return 0;
}

static int energy(struct d698_meter *m, int obj, struct d698_cur *d, mb_reading *r, mb_err *err)
{
        int64_t v[1 + MB_RATES], wh[1 + MB_RATES];
        size_t n;

        if (numbers(d, v, 1 + MB_RATES, &n) < 0 || n == 0)
                return bad(obj, err, "not an array of numbers");
        for (size_t i = 0; i < n; i++) {
                if (v[i] < 0)
                        return bad(obj, err, "negative energy register");
                if (scaled(m, obj, v[i], &wh[i], err) < 0)
                        return MB_EPROTO;
        }
        if (obj == OBJ_EXPORT) {
                r->export_wh = wh[0];
                r->fields |= MB_F_EXPORT;
                return MB_OK;
        }
        r->import_wh = wh[0];
        r->fields |= MB_F_IMPORT;
        if (m->o.rates && n > 1) {
                memset(r->rate_wh, 0, sizeof(r->rate_wh));
                for (size_t i = 1; i < n; i++)
                        r->rate_wh[i - 1] = wh[i];
                r->fields |= MB_F_RATES;
        }
        return MB_OK;
}

/* Voltage or current, one value per phase. */
static int phases(struct d698_meter *m, int obj, struct d698_cur *d, mb_reading *r, mb_err *err)
{
        int64_t v[MB_PHASES], x;
        size_t n;
        char why[80];

        if (numbers(d, v, MB_PHASES, &n) < 0)
                return bad(obj, err, "not an array of numbers");
        if (n < (size_t)m->o.phases) {
                snprintf(why, sizeof(why), "%zu value%s for %d phases (option phases)", n,
                         n == 1 ? "" : "s", m->o.phases);
                return bad(obj, err, why);
        }
        for (int i = 0; i < m->o.phases; i++) {
                if (scaled(m, obj, v[i], &x, err) < 0)
                        return MB_EPROTO;
                if (x > INT32_MAX || x < INT32_MIN)
                        return bad(obj, err, "value out of range");
                if (obj == OBJ_VOLTAGE)
                        r->voltage_mv[i] = (int32_t)x;
                else
                        r->current_ma[i] = (int32_t)x;
        }
        r->fields |= obj == OBJ_VOLTAGE ? MB_F_VOLTAGE : MB_F_CURRENT;
        return MB_OK;
}

/* Power, power factor, frequency: the first (total) value. */
static int total(struct d698_meter *m, int obj, struct d698_cur *d, mb_reading *r, mb_err *err)
{
        int64_t v[1], x;
        size_t n;

        if (numbers(d, v, 1, &n) < 0 || n == 0)
                return bad(obj, err, "not a number or an array of numbers");
        if (scaled(m, obj, v[0], &x, err) < 0)
                return MB_EPROTO;
        switch (obj) {
        case OBJ_POWER:
                r->power_mw = x;
                r->fields |= MB_F_POWER;
                return MB_OK;
        case OBJ_PF:
                if (x < -1000 || x > 1000)
                        return bad(obj, err, "power factor outside -1..1");
                r->pf_milli = (int32_t)x;
                r->fields |= MB_F_PF;
                return MB_OK;
        default:
                if (x < 0 || x > INT32_MAX)
                        return bad(obj, err, "value out of range");
                r->freq_mhz = (int32_t)x;
                r->fields |= MB_F_FREQ;
                return MB_OK;
        }
}

static int clock_value(struct d698_meter *m, struct d698_cur *d, mb_reading *r, mb_err *err)
{
        struct d698_dt t;
        int64_t diff;

        if (d698_u8(d) != D698_T_DATE_TIME_S || d698_dt_get(d, &t) != 0)
                return bad(OBJ_CLOCK, err, "not a date_time_s");
        if (!d698_dt_valid(&t)) {
                D698_LOG(m, MB_LOG_WARNING,
                         "meter clock is not a valid time: %04d-%02d-%02d %02d:%02d:%02d", t.year,
                         t.mon, t.day, t.hour, t.min, t.sec);
                r->quality |= MB_Q_CLOCK_BAD;
                return MB_OK;
        }
        r->meter_time = d698_local_to_utc(m, &t);
        r->fields |= MB_F_METER_TIME;
        diff = r->meter_time - m->host->realtime_s();
        if (m->o.clock_tolerance_s &&
            (diff > m->o.clock_tolerance_s || -diff > m->o.clock_tolerance_s))
                r->quality |= MB_Q_CLOCK_BAD;
        return MB_OK;
}

/* 4001 holds the address highest digits first; the frame's is the truth. */
static int address(struct d698_meter *m, struct d698_cur *d, mb_err *err)
{
        struct d698_addr said = {0};
        const uint8_t *p;
        size_t n;
        char a[2 * D698_SA_MAX + 1], b[2 * D698_SA_MAX + 1];

        if (d698_u8(d) != D698_T_OCTETS || (n = d698_len(d)) == 0 || n > D698_SA_MAX ||
            !(p = d698_bytes(d, n)))
                return bad(OBJ_ADDRESS, err, "not an octet-string address");
        said.len = (uint8_t)n;
        for (size_t i = 0; i < n; i++)
                said.a[i] = p[n - 1 - i];
        if (said.len != m->from.len || memcmp(said.a, m->from.a, n) != 0)
                D698_LOG(m, MB_LOG_WARNING,
                         "the meter's 4001 says address %s, its frames come from %s",
                         d698_addr_format(&said, a, sizeof(a)),
                         d698_addr_format(&m->from, b, sizeof(b)));
        return MB_OK;
}

static int wallet(struct d698_meter *m, struct d698_cur *d, mb_reading *r, mb_err *err)
{
        int64_t v[2], fen;
        size_t n;

        if (numbers(d, v, 2, &n) < 0 || n < 2)
                return bad(OBJ_WALLET, err, "not a structure of two numbers");
        if (scaled(m, OBJ_WALLET, v[0], &fen, err) < 0)
                return MB_EPROTO;
        r->remain_fen = fen; /* the caller sets MB_F_PREPAID or MB_F_REMAIN */
        if (m->purchases >= 0 && v[1] != m->purchases)
                D698_LOG(m, MB_LOG_NOTICE,
                         "purchase count %" PRId64 " (was %" PRId64 "): the meter took a top-up",
                         v[1], m->purchases);
        m->purchases = v[1];
        return MB_OK;
}

static int overdraft(struct d698_meter *m, struct d698_cur *d, mb_reading *r, mb_err *err)
{
        int64_t v[1], fen;
        size_t n;

        if (numbers(d, v, 1, &n) < 0 || n == 0)
                return bad(OBJ_OVERDRAFT, err, "not a number");
        if (scaled(m, OBJ_OVERDRAFT, v[0], &fen, err) < 0)
                return MB_EPROTO;
        r->overdraft_fen = fen;
        return MB_OK;
}

/* 4003: the customer number, kept in the meter (the reading takes it from
 * there).  Its octets are BCD, highest digits first, as 4001's are; a nibble
 * that is no digit makes it unusable rather than a different number. */
static int account(struct d698_meter *m, struct d698_cur *d, mb_err *err)
{
        char digits[sizeof(m->account)], why[64];
        const uint8_t *p;
        size_t n;

        if (d698_u8(d) != D698_T_OCTETS || (n = d698_len(d)) == 0 || 2 * n >= sizeof(digits) ||
            !(p = d698_bytes(d, n)))
                return bad(OBJ_ACCOUNT, err, "not an octet-string of at most 15 bytes");
        for (size_t i = 0; i < n; i++) {
                if ((p[i] >> 4) > 9 || (p[i] & 15) > 9) {
                        snprintf(why, sizeof(why), "octet %zu (%02X) is not two BCD digits", i,
                                 p[i]);
                        return bad(OBJ_ACCOUNT, err, why);
                }
                digits[2 * i] = (char)('0' + (p[i] >> 4));
                digits[2 * i + 1] = (char)('0' + (p[i] & 15));
        }
        digits[2 * n] = 0;
        memcpy(m->account, digits, sizeof(digits));
        return MB_OK;
}

int d698_decode(struct d698_meter *m, int obj, struct d698_cur *data, mb_reading *r, mb_err *err)
{
        switch (obj) {
        case OBJ_IMPORT:
        case OBJ_EXPORT:
                return energy(m, obj, data, r, err);
        case OBJ_VOLTAGE:
        case OBJ_CURRENT:
                return phases(m, obj, data, r, err);
        case OBJ_POWER:
        case OBJ_PF:
        case OBJ_FREQ:
                return total(m, obj, data, r, err);
        case OBJ_CLOCK:
                return clock_value(m, data, r, err);
        case OBJ_ADDRESS:
                return address(m, data, err);
        case OBJ_WALLET:
                return wallet(m, data, r, err);
        case OBJ_OVERDRAFT:
                return overdraft(m, data, r, err);
        case OBJ_ACCOUNT:
                return account(m, data, err);
        default:
                return bad(obj, err, "not decoded here");
        }
}

int d698_relay_state(int open, int trip_cmd)
{
        if (open < 0)
                return trip_cmd ? MB_RELAY_OPEN : MB_RELAY_CLOSED;
        if (!open)
                return MB_RELAY_CLOSED;
        /* Open, but the last command allows closing: the customer may close it. */
        return trip_cmd ? MB_RELAY_OPEN : MB_RELAY_ARMED;
}
