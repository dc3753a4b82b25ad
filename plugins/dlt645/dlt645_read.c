/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dlt645: meter_read.  Which identifiers are read, in this order:
 *
 *   item         2007 DI (block)                  1997 DI      unit on the wire
 *   import       00010000 (0001FF00 with rates)   9010         XXXXXX.XX kWh
 *     combined   00000000 (0000FF00)              -            signed
 *   rates 1..4   00010100..00010400               9011..9014   XXXXXX.XX kWh
 *   export       00020000                         9020         XXXXXX.XX kWh
 *   voltage      02010100..0300 (0201FF00)        B611..B613   XXX.X V (1997: XXX V)
 *   current      02020100..0300 (0202FF00)        B621..B623   XXX.XXX A signed (XX.XX A)
 *   power        02030000                         B630         XX.XXXX kW signed
 *   pf           02060000                         B650         X.XXX signed
 *   frequency    02800002                         -            XX.XX Hz
 *   clock        04000101 + 04000102              C010 + C011  YYMMDDWW, hhmmss
 *   frozen       00010001 (00000001), 04000B01    -            last settlement day; DDhh
 *   prepaid      00900200, 00900201 (009002FF)    -            XXXXXX.XX yuan
 *   relay        04000503                         -            run status word 3
 *
 * Block identifiers (FF) are used with option block = true for three phases,
 * energy with rates and the prepaid pair; a meter that answers a block with
 * an exception is read item by item from then on.  An optional item the meter
 * answers with an exception is logged once and not asked for again; the
 * import register is never optional.  Anything else (timeout, garbage, wrong
 * address) fails the whole reading.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "dlt645.h"

static const char *const item_names[IT_COUNT] = {
    [IT_IMPORT] = "import energy",
    [IT_RATES] = "per-rate energy",
    [IT_EXPORT] = "reverse energy",
    [IT_VOLTAGE] = "voltage",
    [IT_CURRENT] = "current",
    [IT_POWER] = "active power",
    [IT_PF] = "power factor",
    [IT_FREQ] = "frequency",
    [IT_CLOCK] = "clock",
    [IT_FROZEN] = "settlement-day energy",
    [IT_SETTLE_DAY] = "settlement day",
    [IT_PREPAID] = "remaining / overdraft amount",
    [IT_STATUS] = "run status word 3",
};

struct value {
        uint8_t b[DLT_VALUE_MAX];
        size_t n;
};

static int has(const struct dlt_meter *m, int item)
{
        return !(m->missing & (1u << item));
}

/* An optional item's result: an exception means the meter lacks it. Returns
 * 1 (skipped), MB_OK, or the error. */
static int optional(struct dlt_meter *m, int item, int rc, mb_err *err)
{
        if (!dlt_is_exception(rc))
                return rc;
        m->missing |= 1u << item;
        DLT_LOG(m, MB_LOG_NOTICE, "the meter has no %s (%s): not asked for again", item_names[item],
                err->msg);
        memset(err, 0, sizeof(*err));
        return 1;
}

/* Read di with at least min data bytes. */
static int get(struct dlt_meter *m, uint32_t di, size_t min, struct value *v, mb_err *err)
{
        char what[16];
        int rc = dlt_read_di(m, di, v->b, sizeof(v->b), &v->n, err);

        if (rc == MB_OK && v->n < min)
                return mb_err_set(err, MB_EPROTO, "%s: %zu data bytes, expected %zu",
                                  dlt_di_str(m, di, what), v->n, min);
        return rc;
}

/* A block identifier: 1 when blocks cannot be used (fall back to items). */
static int get_block(struct dlt_meter *m, uint32_t di, size_t min, struct value *v, mb_err *err)
{
        char what[16];
        int rc;

        if (!m->o.block || m->no_blocks || m->o.proto == DLT_1997)
                return 1;
        rc = get(m, di, min, v, err);
        if (!dlt_is_exception(rc))
                return rc;
        m->no_blocks = 1;
        DLT_LOG(m, MB_LOG_NOTICE, "the meter refused block %s (%s): reading items one by one",
                dlt_di_str(m, di, what), err->msg);
        memset(err, 0, sizeof(*err));
        return 1;
}

static int not_bcd(struct dlt_meter *m, const char *what, const uint8_t *p, size_t n, mb_err *err)
{
        char hex[3 * 9 + 1] = "";

        for (size_t i = 0; i < n && i < 9; i++)
                snprintf(hex + 3 * i, sizeof(hex) - 3 * i, "%02X ", p[i]);
        return mb_err_set(err, MB_EPROTO, "%s: not a BCD value: %s", what, hex);
}

static int dec_u(struct dlt_meter *m, const char *what, const uint8_t *p, size_t n, int64_t *out,
                 mb_err *err)
{
        uint64_t v;

        if (dlt_bcd_u(p, n, &v) < 0)
                return not_bcd(m, what, p, n, err);
        *out = (int64_t)v;
        return MB_OK;
}

static int dec_s(struct dlt_meter *m, const char *what, const uint8_t *p, size_t n, int64_t *out,
                 mb_err *err)
{
        if (dlt_bcd_s(p, n, out) < 0)
                return not_bcd(m, what, p, n, err);
        return MB_OK;
}

/* XXXXXX.XX kWh to Wh: hundredths of a kWh are exactly 10 Wh. */
static int energy_wh(struct dlt_meter *m, const char *what, const uint8_t *p, int64_t *wh,
                     mb_err *err)
{
        int64_t v;
        int rc = m->o.import_reg == DLT_IMPORT_COMBINED ? dec_s(m, what, p, 4, &v, err)
                                                        : dec_u(m, what, p, 4, &v, err);

        if (rc < 0)
                return rc;
        if (v < 0)
                return mb_err_set(err, MB_ERANGE,
                                  "%s: combined active energy is negative (%" PRId64
                                  "0 Wh): check the meter's combination word or use "
                                  "import = \"forward\"",
                                  what, v);
        *wh = v * 10;
        return MB_OK;
}

static uint32_t import_base(const struct dlt_meter *m)
{
        if (m->o.proto == DLT_1997)
                return 0x9010;
        return m->o.import_reg == DLT_IMPORT_COMBINED ? 0x00000000 : 0x00010000;
}

/* Rate i (1..4) of the import register. */
static uint32_t rate_di(const struct dlt_meter *m, int i)
{
        return m->o.proto == DLT_1997 ? import_base(m) + (uint32_t)i
                                      : import_base(m) + ((uint32_t)i << 8);
}

static int read_rates_items(struct dlt_meter *m, mb_reading *r, mb_err *err)
{
        struct value v;
        char what[16];
        int64_t wh[MB_RATES];
        int rc;

        for (int i = 0; i < MB_RATES; i++) {
                rc = optional(m, IT_RATES, get(m, rate_di(m, i + 1), 4, &v, err), err);
                if (rc)
                        return rc;
                rc = energy_wh(m, dlt_di_str(m, rate_di(m, i + 1), what), v.b, &wh[i], err);
                if (rc < 0)
                        return rc;
        }
        memcpy(r->rate_wh, wh, sizeof(wh));
        r->fields |= MB_F_RATES;
        return MB_OK;
}

static int read_energy(struct dlt_meter *m, mb_reading *r, mb_err *err)
{
        uint32_t base = import_base(m);
        struct value v;
        char what[16];
        int rc = 1;

        if (m->o.rates && has(m, IT_RATES))
                rc = get_block(m, base | 0xFF00, 4, &v, err);
        if (rc < 0)
                return rc;
        if (rc == 0) {
                /* Total, then as many rates as the meter has (up to 63). */
                size_t count = v.n / 4;
                dlt_di_str(m, base | 0xFF00, what);
                if ((rc = energy_wh(m, what, v.b, &r->import_wh, err)) < 0)
                        return rc;
                for (size_t i = 1; i < count && i <= MB_RATES; i++)
                        if ((rc = energy_wh(m, what, v.b + 4 * i, &r->rate_wh[i - 1], err)) < 0)
                                return rc;
                r->fields |= MB_F_IMPORT | MB_F_RATES;
        } else {
                if ((rc = get(m, base, 4, &v, err)) < 0)
                        return rc;
                if ((rc = energy_wh(m, dlt_di_str(m, base, what), v.b, &r->import_wh, err)) < 0)
                        return rc;
                r->fields |= MB_F_IMPORT;
                if (m->o.rates && has(m, IT_RATES) && (rc = read_rates_items(m, r, err)) < 0)
                        return rc;
        }
        return MB_OK;
}

static int read_export(struct dlt_meter *m, mb_reading *r, mb_err *err)
{
        uint32_t di = m->o.proto == DLT_1997 ? 0x9020 : 0x00020000;
        struct value v;
        char what[16];
        int64_t wh = 0;
        int rc = optional(m, IT_EXPORT, get(m, di, 4, &v, err), err);

        if (rc)
                return rc;
        if (dec_u(m, dlt_di_str(m, di, what), v.b, 4, &wh, err) < 0)
                return MB_EPROTO;
        r->export_wh = wh * 10;
        r->fields |= MB_F_EXPORT;
        return MB_OK;
}

/* Per-phase values: a block (2007, 3 phases) or one item per phase. */
static int read_phases(struct dlt_meter *m, int item, uint32_t block, uint32_t first, uint32_t step,
                       size_t size, struct value *v, mb_err *err)
{
        struct value one;
        int n = m->o.phases, rc = 1;

        if (n == 3)
                rc = get_block(m, block, (size_t)n * size, v, err);
        if (rc <= 0)
                return optional(m, item, rc, err);
        v->n = 0;
        for (int i = 0; i < n; i++) {
                rc = optional(m, item, get(m, first + (uint32_t)i * step, size, &one, err), err);
                if (rc)
                        return rc;
                memcpy(v->b + v->n, one.b, size);
                v->n += size;
        }
        return MB_OK;
}

static int read_voltage_current(struct dlt_meter *m, mb_reading *r, mb_err *err)
{
        int is97 = m->o.proto == DLT_1997;
        size_t isz = is97 ? 2 : 3;
        struct value v;
        int64_t x;
        int rc;

        rc = !has(m, IT_VOLTAGE) ? 1
             : is97              ? read_phases(m, IT_VOLTAGE, 0, 0xB611, 1, 2, &v, err)
                    : read_phases(m, IT_VOLTAGE, 0x0201FF00, 0x02010100, 0x100, 2, &v, err);
        if (rc < 0)
                return rc;
        for (int i = 0; rc == 0 && i < m->o.phases; i++) {
                if (dec_u(m, "voltage", v.b + 2 * i, 2, &x, err) < 0)
                        return MB_EPROTO;
                r->voltage_mv[i] = (int32_t)(is97 ? x * 1000 : x * 100);
                r->fields |= MB_F_VOLTAGE;
        }
        rc = !has(m, IT_CURRENT) ? 1
             : is97              ? read_phases(m, IT_CURRENT, 0, 0xB621, 1, 2, &v, err)
                    : read_phases(m, IT_CURRENT, 0x0202FF00, 0x02020100, 0x100, 3, &v, err);
        if (rc < 0)
                return rc;
        for (int i = 0; rc == 0 && i < m->o.phases; i++) {
                if ((is97 ? dec_u(m, "current", v.b + isz * i, 2, &x, err)
                          : dec_s(m, "current", v.b + isz * i, 3, &x, err)) < 0)
                        return MB_EPROTO;
                r->current_ma[i] = (int32_t)(is97 ? x * 10 : x);
                r->fields |= MB_F_CURRENT;
        }
        return MB_OK;
}

static int read_power_pf_freq(struct dlt_meter *m, mb_reading *r, mb_err *err)
{
        int is97 = m->o.proto == DLT_1997;
        struct value v;
        int64_t x;
        int rc;

        if (has(m, IT_POWER)) {
                rc = optional(m, IT_POWER, get(m, is97 ? 0xB630 : 0x02030000, 3, &v, err), err);
                if (rc < 0)
                        return rc;
                if (rc == 0) {
                        if ((is97 ? dec_u(m, "power", v.b, 3, &x, err)
                                  : dec_s(m, "power", v.b, 3, &x, err)) < 0)
                                return MB_EPROTO;
                        r->power_mw = x * 100; /* 0.0001 kW = 100 mW */
                        r->fields |= MB_F_POWER;
                }
        }
        if (has(m, IT_PF)) {
                rc = optional(m, IT_PF, get(m, is97 ? 0xB650 : 0x02060000, 2, &v, err), err);
                if (rc < 0)
                        return rc;
                if (rc == 0) {
                        if ((is97 ? dec_u(m, "power factor", v.b, 2, &x, err)
                                  : dec_s(m, "power factor", v.b, 2, &x, err)) < 0)
                                return MB_EPROTO;
                        if (x < -1000 || x > 1000) {
                                DLT_LOG(m, MB_LOG_WARNING,
                                        "power factor %" PRId64 "/1000 out of range: left out", x);
                        } else {
                                r->pf_milli = (int32_t)x;
                                r->fields |= MB_F_PF;
                        }
                }
        }
        if (!is97 && has(m, IT_FREQ)) {
                rc = optional(m, IT_FREQ, get(m, 0x02800002, 2, &v, err), err);
                if (rc < 0)
                        return rc;
                if (rc == 0) {
                        if (dec_u(m, "frequency", v.b, 2, &x, err) < 0)
                                return MB_EPROTO;
                        r->freq_mhz = (int32_t)(x * 10);
                        r->fields |= MB_F_FREQ;
                }
        }
        return MB_OK;
}

static int read_electrical(struct dlt_meter *m, mb_reading *r, mb_err *err)
{
        int rc = MB_OK;

        if (has(m, IT_VOLTAGE) || has(m, IT_CURRENT))
                rc = read_voltage_current(m, r, err);
        return rc < 0 ? rc : read_power_pf_freq(m, r, err);
}

/* The meter's clock into r; *now_utc receives it (0: not known). */
static int read_clock(struct dlt_meter *m, mb_reading *r, int64_t *now_utc, mb_err *err)
{
        int is97 = m->o.proto == DLT_1997;
        uint32_t date_di = is97 ? 0xC010 : 0x04000101, time_di = is97 ? 0xC011 : 0x04000102;
        struct dlt_datetime t = {0};
        struct value d, h;
        int64_t host_now, diff;
        int rc, bad;

        rc = optional(m, IT_CLOCK, get(m, date_di, 4, &d, err), err);
        if (rc == 0)
                rc = optional(m, IT_CLOCK, get(m, time_di, 3, &h, err), err);
        /* Just after midnight the date may be from the day before. */
        if (rc == 0 && h.b[2] == 0 && h.b[1] == 0 && h.b[0] < 0x10)
                rc = optional(m, IT_CLOCK, get(m, date_di, 4, &d, err), err);
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
        *now_utc = dlt_local_to_utc(m, &t);
        r->meter_time = *now_utc;
        r->fields |= MB_F_METER_TIME;
        host_now = m->host->realtime_s();
        diff = *now_utc - host_now;
        if (m->o.clock_tolerance_s &&
            (diff > m->o.clock_tolerance_s || -diff > m->o.clock_tolerance_s))
                r->quality |= MB_Q_CLOCK_BAD;
        return MB_OK;
}

/* The settlement day (04000B01, DDhh), read at most once a day. */
static int read_settle_day(struct dlt_meter *m, mb_err *err)
{
        int64_t now = m->host->realtime_s();
        struct value v;
        uint64_t hh, dd;
        int rc;

        if (!has(m, IT_SETTLE_DAY) ||
            (m->settle_day && now - m->settle_read_s < 86400 && now >= m->settle_read_s))
                return MB_OK;
        rc = optional(m, IT_SETTLE_DAY, get(m, 0x04000B01, 2, &v, err), err);
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

static int read_frozen(struct dlt_meter *m, mb_reading *r, int64_t now_utc, mb_err *err)
{
        uint32_t di = m->o.import_reg == DLT_IMPORT_COMBINED ? 0x00000001 : 0x00010001;
        struct value v;
        char what[16];
        int64_t wh, at;
        int rc;

        if ((rc = read_settle_day(m, err)) < 0)
                return rc;
        rc = optional(m, IT_FROZEN, get(m, di, 4, &v, err), err);
        if (rc)
                return rc < 0 ? rc : MB_OK;
        if ((rc = energy_wh(m, dlt_di_str(m, di, what), v.b, &wh, err)) < 0)
                return rc;
        at = dlt_last_settlement(m, now_utc ? now_utc : m->host->realtime_s());
        if (at == 0)
                return MB_OK;
        r->frozen_import_wh = wh;
        r->frozen_time = at;
        r->fields |= MB_F_FROZEN;
        return MB_OK;
}

static int read_prepaid(struct dlt_meter *m, mb_reading *r, mb_err *err)
{
        struct value v, o;
        int64_t remain = 0, over = 0;
        int rc = get_block(m, 0x009002FF, 8, &v, err);

        if (rc < 0)
                return rc;
        if (rc == 1) {
                rc = optional(m, IT_PREPAID, get(m, 0x00900200, 4, &v, err), err);
                if (rc == 0)
                        rc = optional(m, IT_PREPAID, get(m, 0x00900201, 4, &o, err), err);
                if (rc)
                        return rc < 0 ? rc : MB_OK;
                memcpy(v.b + 4, o.b, 4);
        }
        if (dec_u(m, "remaining amount (00900200)", v.b, 4, &remain, err) < 0 ||
            dec_u(m, "overdraft amount (00900201)", v.b + 4, 4, &over, err) < 0)
                return MB_EPROTO;
        r->remain_fen = remain; /* XXXXXX.XX yuan: hundredths are fen */
        r->overdraft_fen = over;
        r->fields |= MB_F_PREPAID;
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
        struct value v;
        uint16_t st3;
        int rc = get(m, 0x04000503, 2, &v, err);

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

static int read_relay(struct dlt_meter *m, mb_reading *r, mb_err *err)
{
        int state, rc = optional(m, IT_STATUS, dlt_read_status(m, &state, err), err);

        if (rc)
                return rc < 0 ? rc : MB_OK;
        r->relay = state;
        r->fields |= MB_F_RELAY;
        return MB_OK;
}

static int read_all(struct dlt_meter *m, mb_reading *r, mb_err *err)
{
        const struct dlt_opts *o = &m->o;
        int64_t meter_now = 0;
        int rc;

        r->phases = o->phases;
        if ((rc = read_energy(m, r, err)) < 0)
                return rc;
        if (o->reverse && has(m, IT_EXPORT) && (rc = read_export(m, r, err)) < 0)
                return rc;
        if (o->electrical && (rc = read_electrical(m, r, err)) < 0)
                return rc;
        if (o->clock && has(m, IT_CLOCK) && (rc = read_clock(m, r, &meter_now, err)) < 0)
                return rc;
        if (o->frozen && has(m, IT_FROZEN) && (rc = read_frozen(m, r, meter_now, err)) < 0)
                return rc;
        if (o->prepaid && has(m, IT_PREPAID) && (rc = read_prepaid(m, r, err)) < 0)
                return rc;
        if (o->relay_status && has(m, IT_STATUS) && (rc = read_relay(m, r, err)) < 0)
                return rc;
        return MB_OK;
}

int dlt_read(struct dlt_meter *m, mb_reading *r, mb_err *err)
{
        int rc;

        dlt_begin(m);
        if (!m->have_addr && (rc = dlt_discover(m, err)) < 0)
                return rc;
        rc = read_all(m, r, err);
        if (rc < 0) {
                /* A replaced meter answers nothing or from another address. */
                if (m->auto_addr && (rc == MB_ETIMEDOUT || rc == MB_EADDR))
                        m->have_addr = 0;
                if (!m->auto_addr && (rc == MB_ETIMEDOUT || rc == MB_EADDR) &&
                    memcmp(m->addr, m->cfg_addr, DLT_ADDR_LEN) != 0) {
                        /* Ask the configured pattern again. */
                        memcpy(m->addr, m->cfg_addr, DLT_ADDR_LEN);
                        m->pattern = 1;
                }
                return rc;
        }
        if (!m->pattern) {
                dlt_addr_format(m->addr, r->address);
                r->fields |= MB_F_ADDRESS;
        }
        dlt_time_sync_maybe(m);
        return MB_OK;
}
