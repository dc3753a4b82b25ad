/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dlt645: the optional items of a reading (the table is in dlt645_read.c):
 * voltage, current, power, power factor, frequency, clock, settlement-day
 * register, prepaid amounts, relay state, customer number and maximum
 * demand.  Each reader fills its field
 * and returns MB_OK, returns MB_OK without filling it when the meter has no
 * such data (dlt_optional: logged once, not asked again), or returns the
 * error, which dlt645_read.c turns into a left-out field with its reason.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "dlt645.h"

/* Per-phase values: a block (2007, 3 phases) or one item per phase.  Returns
 * MB_OK, 1 (the meter lacks them) or the error. */
static int read_phases(struct dlt_meter *m, int item, uint32_t block, uint32_t first, uint32_t step,
                       size_t size, struct dlt_value *v, mb_err *err)
{
        struct dlt_value one;
        int n = m->o.phases, rc = 1;

        if (n == 3)
                rc = dlt_get_block(m, block, (size_t)n * size, v, err);
        if (rc <= 0)
                return dlt_optional(m, item, rc, err);
        v->n = 0;
        for (int i = 0; i < n; i++) {
                rc = dlt_optional(m, item, dlt_get(m, first + (uint32_t)i * step, size, &one, err),
                                  err);
                if (rc)
                        return rc;
                memcpy(v->b + v->n, one.b, size);
                v->n += size;
        }
        return MB_OK;
}

int dlt_read_voltage(struct dlt_meter *m, mb_reading *r, int64_t *now, mb_err *err)
{
        int is97 = m->o.proto == DLT_1997;
        int32_t mv[MB_PHASES];
        struct dlt_value v;
        int64_t x;
        int rc = is97 ? read_phases(m, IT_VOLTAGE, 0, 0xB611, 1, 2, &v, err)
                      : read_phases(m, IT_VOLTAGE, 0x0201FF00, 0x02010100, 0x100, 2, &v, err);

        if (rc)
                return rc < 0 ? rc : MB_OK;
        for (int i = 0; i < m->o.phases; i++) {
                if (dlt_dec_u(m, "voltage", v.b + 2 * i, 2, &x, err) < 0)
                        return MB_EPROTO;
                mv[i] = (int32_t)(is97 ? x * 1000 : x * 100);
        }
        memcpy(r->voltage_mv, mv, sizeof(mv[0]) * (size_t)m->o.phases);
        r->fields |= MB_F_VOLTAGE;
        return MB_OK;
}

int dlt_read_current(struct dlt_meter *m, mb_reading *r, int64_t *now, mb_err *err)
{
        int is97 = m->o.proto == DLT_1997;
        size_t isz = is97 ? 2 : 3;
        int32_t ma[MB_PHASES];
        struct dlt_value v;
        int64_t x;
        int rc = is97 ? read_phases(m, IT_CURRENT, 0, 0xB621, 1, 2, &v, err)
                      : read_phases(m, IT_CURRENT, 0x0202FF00, 0x02020100, 0x100, 3, &v, err);

        if (rc)
                return rc < 0 ? rc : MB_OK;
        for (int i = 0; i < m->o.phases; i++) {
                if ((is97 ? dlt_dec_u(m, "current", v.b + isz * i, 2, &x, err)
                          : dlt_dec_s(m, "current", v.b + isz * i, 3, &x, err)) < 0)
                        return MB_EPROTO;
                ma[i] = (int32_t)(is97 ? x * 10 : x);
        }
        memcpy(r->current_ma, ma, sizeof(ma[0]) * (size_t)m->o.phases);
        r->fields |= MB_F_CURRENT;
        return MB_OK;
}

/* One signed (2007) or unsigned (1997) BCD item of size bytes into *x.
 * MB_OK, 1 (the meter lacks it) or the error. */
static int read_one(struct dlt_meter *m, int item, uint32_t di07, uint32_t di97, size_t size,
                    const char *what, int64_t *x, mb_err *err)
{
        int is97 = m->o.proto == DLT_1997;
        struct dlt_value v;
        int rc = dlt_optional(m, item, dlt_get(m, is97 ? di97 : di07, size, &v, err), err);

        if (rc)
                return rc;
        return is97 ? dlt_dec_u(m, what, v.b, size, x, err) : dlt_dec_s(m, what, v.b, size, x, err);
}

int dlt_read_power(struct dlt_meter *m, mb_reading *r, int64_t *now, mb_err *err)
{
        int64_t x;
        int rc = read_one(m, IT_POWER, 0x02030000, 0xB630, 3, "power", &x, err);

        if (rc)
                return rc < 0 ? rc : MB_OK;
        r->power_mw = x * 100; /* 0.0001 kW = 100 mW */
        r->fields |= MB_F_POWER;
        return MB_OK;
}

int dlt_read_pf(struct dlt_meter *m, mb_reading *r, int64_t *now, mb_err *err)
{
        int64_t x;
        int rc = read_one(m, IT_PF, 0x02060000, 0xB650, 2, "power factor", &x, err);

        if (rc)
                return rc < 0 ? rc : MB_OK;
        if (x < -1000 || x > 1000)
                return mb_err_set(err, MB_ERANGE, "%" PRId64 "/1000 is outside -1..1", x);
        r->pf_milli = (int32_t)x;
        r->fields |= MB_F_PF;
        return MB_OK;
}

int dlt_read_freq(struct dlt_meter *m, mb_reading *r, int64_t *now, mb_err *err)
{
        struct dlt_value v;
        int64_t x;
        int rc;

        if (m->o.proto == DLT_1997)
                return MB_OK; /* 1997 has no frequency item */
        rc = dlt_optional(m, IT_FREQ, dlt_get(m, 0x02800002, 2, &v, err), err);
        if (rc)
                return rc < 0 ? rc : MB_OK;
        if (dlt_dec_u(m, "frequency", v.b, 2, &x, err) < 0)
                return MB_EPROTO;
        r->freq_mhz = (int32_t)(x * 10);
        r->fields |= MB_F_FREQ;
        return MB_OK;
}

/* The meter's clock into r; *now receives it (0: not known). */
int dlt_read_clock(struct dlt_meter *m, mb_reading *r, int64_t *now, mb_err *err)
{
        int is97 = m->o.proto == DLT_1997;
        uint32_t date_di = is97 ? 0xC010 : 0x04000101, time_di = is97 ? 0xC011 : 0x04000102;
        struct dlt_datetime t = {0};
        struct dlt_value d, h;
        int64_t host_now, diff;
        int rc, bad;

        rc = dlt_optional(m, IT_CLOCK, dlt_get(m, date_di, 4, &d, err), err);
        if (rc == 0)
                rc = dlt_optional(m, IT_CLOCK, dlt_get(m, time_di, 3, &h, err), err);
        /* Just after midnight the date may be from the day before. */
        if (rc == 0 && h.b[2] == 0 && h.b[1] == 0 && h.b[0] < 0x10)
                rc = dlt_optional(m, IT_CLOCK, dlt_get(m, date_di, 4, &d, err), err);
        if (rc)
                return rc < 0 ? rc : MB_OK;
        bad = dlt_decode_date(d.b, &t) < 0 || dlt_decode_time(h.b, &t) < 0;
        if (bad) {
                DLT_LOG(m, MB_LOG_WARNING,
                        "meter clock is not a valid date and time: %02X%02X%02X %02X:%02X:%02X",
                        d.b[3], d.b[2], d.b[1], h.b[2], h.b[1], h.b[0]);
                r->quality |= MB_Q_CLOCK_BAD;
                return MB_OK;
        }
        *now = dlt_local_to_utc(m, &t);
        r->meter_time = *now;
        r->fields |= MB_F_METER_TIME;
        host_now = m->host->realtime_s();
        diff = *now - host_now;
        if (m->o.clock_tolerance_s &&
            (diff > m->o.clock_tolerance_s || -diff > m->o.clock_tolerance_s))
                r->quality |= MB_Q_CLOCK_BAD;
        return MB_OK;
}

/* The settlement day (04000B01, DDhh), read at most once a day. */
static int read_settle_day(struct dlt_meter *m, mb_err *err)
{
        int64_t now = m->host->realtime_s();
        struct dlt_value v;
        uint64_t hh, dd;
        int rc;

        if (!dlt_has(m, IT_SETTLE_DAY) ||
            (m->settle_day && now - m->settle_read_s < 86400 && now >= m->settle_read_s))
                return MB_OK;
        rc = dlt_optional(m, IT_SETTLE_DAY, dlt_get(m, 0x04000B01, 2, &v, err), err);
        if (rc < 0)
                return rc;
        if (rc == 0 && dlt_bcd_u(v.b, 1, &hh) == 0 && dlt_bcd_u(v.b + 1, 1, &dd) == 0 && dd >= 1 &&
            dd <= 28 && hh <= 23) {
                m->settle_day = (int)dd;
                m->settle_hour = (int)hh;
        } else {
                if (rc == 0)
                        DLT_LOG(m, MB_LOG_NOTICE,
                                "settlement day %02X%02X is not set or invalid: assuming the 1st "
                                "at 00:00",
                                v.b[1], v.b[0]);
                m->settle_day = 1;
                m->settle_hour = 0;
        }
        m->settle_read_s = now;
        return MB_OK;
}

int dlt_read_frozen(struct dlt_meter *m, mb_reading *r, int64_t *now, mb_err *err)
{
        uint32_t di = m->o.import_reg == DLT_IMPORT_COMBINED ? 0x00000001 : 0x00010001;
        struct dlt_value v;
        char what[16];
        int64_t wh, at;
        int rc;

        if ((rc = read_settle_day(m, err)) < 0)
                return rc;
        rc = dlt_optional(m, IT_FROZEN, dlt_get(m, di, 4, &v, err), err);
        if (rc)
                return rc < 0 ? rc : MB_OK;
        if ((rc = dlt_energy_wh(m, dlt_di_str(m, di, what), v.b, &wh, err)) < 0)
                return rc;
        at = dlt_last_settlement(m, *now ? *now : m->host->realtime_s());
        if (at == 0)
                return MB_OK;
        r->frozen_import_wh = wh;
        r->frozen_time = at;
        r->fields |= MB_F_FROZEN;
        return MB_OK;
}

/* One amount (XXXXXX.XX yuan: hundredths are fen), or the meter lacks it. */
static int read_amount(struct dlt_meter *m, int item, uint32_t di, const char *what, int64_t *fen,
                       int *have, mb_err *err)
{
        struct dlt_value v;
        int rc;

        *have = 0;
        if (!dlt_has(m, item))
                return MB_OK;
        rc = dlt_optional(m, item, dlt_get(m, di, 4, &v, err), err);
        if (rc)
                return rc < 0 ? rc : MB_OK;
        if (dlt_dec_u(m, what, v.b, 4, fen, err) < 0)
                return MB_EPROTO;
        *have = 1;
        return MB_OK;
}

/* Remaining and overdraft amounts: both (MB_F_PREPAID), or the remaining
 * amount alone (MB_F_REMAIN, on a host that knows it) when the meter has no
 * overdraft register. */
int dlt_read_prepaid(struct dlt_meter *m, mb_reading *r, int64_t *now, mb_err *err)
{
        struct dlt_value v;
        int64_t remain = 0, over = 0;
        int have_remain = 0, have_over = 0, rc = dlt_get_block(m, 0x009002FF, 8, &v, err);

        if (rc < 0)
                return rc;
        if (rc == 0) {
                if (dlt_dec_u(m, "remaining amount (00900200)", v.b, 4, &remain, err) < 0 ||
                    dlt_dec_u(m, "overdraft amount (00900201)", v.b + 4, 4, &over, err) < 0)
                        return MB_EPROTO;
                have_remain = have_over = 1;
        } else if ((rc = read_amount(m, IT_REMAIN, 0x00900200, "remaining amount (00900200)",
                                     &remain, &have_remain, err)) < 0 ||
                   (rc = read_amount(m, IT_OVERDRAFT, 0x00900201, "overdraft amount (00900201)",
                                     &over, &have_over, err)) < 0) {
                return rc;
        }
        r->remain_fen = remain;
        r->overdraft_fen = over;
        if (have_remain && have_over)
                r->fields |= MB_F_PREPAID;
        else if (have_remain && MB_READING_HAS(r, missing))
                r->fields |= MB_F_REMAIN;
        return MB_OK;
}

int dlt_relay_state(uint16_t st3)
{
        if (!(st3 & DLT_ST3_RELAY_OPEN))
                return MB_RELAY_CLOSED;
        /* Open, but the last command allows closing: the customer may close it. */
        return (st3 & DLT_ST3_RELAY_CMD) ? MB_RELAY_OPEN : MB_RELAY_ARMED;
}

int dlt_read_status(struct dlt_meter *m, int *state, mb_err *err)
{
        struct dlt_value v;
        uint16_t st3;
        int rc = dlt_get(m, 0x04000503, 2, &v, err);

        if (rc < 0)
                return rc;
        st3 = (uint16_t)(v.b[0] | v.b[1] << 8);
        *state = dlt_relay_state(st3);
        DLT_LOG(m, MB_LOG_DEBUG, "run status word 3: %04X (relay %s, command %s%s)", st3,
                (st3 & DLT_ST3_RELAY_OPEN) ? "open" : "closed",
                (st3 & DLT_ST3_RELAY_CMD) ? "trip" : "close",
                (st3 & DLT_ST3_PROTECT) ? ", protected" : "");
        return MB_OK;
}

int dlt_read_relay(struct dlt_meter *m, mb_reading *r, int64_t *now, mb_err *err)
{
        int state, rc = dlt_optional(m, IT_STATUS, dlt_read_status(m, &state, err), err);

        if (rc)
                return rc < 0 ? rc : MB_OK;
        r->relay = state;
        r->fields |= MB_F_RELAY;
        return MB_OK;
}

/* The customer number (户号) a cost-control meter holds: DL/T 645-2007
 * 0400040E, 6 bytes BCD, 12 digits (docs/plugins/dlt645.md).  Read at the
 * first reading and once a day after; every reading in between reports the
 * value read. */
int dlt_read_account(struct dlt_meter *m, mb_reading *r, int64_t *now, mb_err *err)
{
        int64_t host = m->host->realtime_s();
        struct dlt_value v;
        uint64_t n;
        int rc;

        if (!MB_READING_HAS(r, account))
                return MB_OK; /* an agent older than SDK 1.1: nowhere to put it */
        if (!m->account[0] || host - m->account_read_s >= 86400 || host < m->account_read_s) {
                rc = dlt_optional(m, IT_ACCOUNT, dlt_get(m, 0x0400040E, 6, &v, err), err);
                if (rc)
                        return rc < 0 ? rc : MB_OK;
                if (dlt_bcd_u(v.b, 6, &n) < 0)
                        return dlt_not_bcd(m, "customer number (0400040E)", v.b, 6, err);
                snprintf(m->account, sizeof(m->account), "%012llu", (unsigned long long)n);
                m->account_read_s = host;
        }
        snprintf(r->account, sizeof(r->account), "%s", m->account);
        r->fields |= MB_F_ACCOUNT;
        return MB_OK;
}

/* One maximum demand and when it occurred (XX.XXXX kW, then YYMMDDhhmm in
 * the meter's local time): mW (0.0001 kW is 100 mW) and UTC, 0 when the
 * meter shows none yet.  MB_OK or MB_EPROTO. */
static int demand_value(struct dlt_meter *m, const char *what, const struct dlt_value *v,
                        int64_t *mw, int64_t *at, mb_err *err)
{
        struct dlt_datetime t = {0};
        int64_t x;
        int rc;

        if (dlt_dec_u(m, what, v->b, 3, &x, err) < 0)
                return MB_EPROTO;
        rc = dlt_decode_minute(v->b + 3, &t);
        if (rc < 0)
                return mb_err_set(err, MB_EPROTO,
                                  "%s: not a time (mm hh DD MM YY): %02X %02X %02X %02X %02X", what,
                                  v->b[3], v->b[4], v->b[5], v->b[6], v->b[7]);
        *mw = x * 100;
        *at = rc ? dlt_local_to_utc(m, &t) : 0;
        return MB_OK;
}

/* Last month's maximum demand, frozen at the settlement day (01010001):
 * read when the last settlement moment is not the one it was read for, so
 * about once a month.  Fills r when known. */
static int frozen_demand(struct dlt_meter *m, mb_reading *r, int64_t now, mb_err *err)
{
        int64_t at, mw, when;
        struct dlt_value v;
        int rc;

        if (!dlt_has(m, IT_FROZEN_DEMAND))
                return MB_OK;
        if ((rc = read_settle_day(m, err)) < 0)
                return rc;
        if ((at = dlt_last_settlement(m, now)) == 0)
                return MB_OK;
        if (at != m->frozen_demand_at) {
                rc = dlt_optional(m, IT_FROZEN_DEMAND, dlt_get(m, 0x01010001, 8, &v, err), err);
                if (rc)
                        return rc < 0 ? rc : MB_OK;
                if ((rc = demand_value(m, "settlement-day maximum demand (01010001)", &v, &mw,
                                       &when, err)) < 0)
                        return rc;
                m->frozen_demand_mw = mw;
                m->frozen_demand_at = at;
        }
        r->frozen_demand_mw = m->frozen_demand_mw;
        r->frozen_demand_time = m->frozen_demand_at;
        r->fields |= MB_F_FROZEN_DEMAND;
        return MB_OK;
}

/* The maximum demand (最大需量): this month's so far (01010000) and last
 * month's frozen (docs/plugins/dlt645.md). */
int dlt_read_demand(struct dlt_meter *m, mb_reading *r, int64_t *now, mb_err *err)
{
        struct dlt_value v;
        int64_t mw, at;
        int rc;

        if (!MB_READING_HAS(r, frozen_demand_time))
                return MB_OK; /* an agent without the fields: nowhere to put them */
        rc = dlt_optional(m, IT_DEMAND, dlt_get(m, 0x01010000, 8, &v, err), err);
        if (rc < 0)
                return rc;
        if (rc == 0) {
                if ((rc = demand_value(m, "maximum demand (01010000)", &v, &mw, &at, err)) < 0)
                        return rc;
                r->demand_mw = mw;
                r->demand_time = at;
                r->fields |= MB_F_DEMAND;
        }
        /* last month's failing leaves this month's in the reading */
        if ((rc = frozen_demand(m, r, *now ? *now : m->host->realtime_s(), err)) < 0) {
                mb_reading_omit(r, MB_F_FROZEN_DEMAND, "settlement-day maximum demand: %s",
                                err->msg[0] ? err->msg : mb_strerror(rc));
                memset(err, 0, sizeof(*err));
        }
        return MB_OK;
}
