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
 *   prepaid      00900200, 00900201 (009002FF)    -            XXXXXX.XX yuan, each
 *                                                              optional (remain alone:
 *                                                              MB_F_REMAIN)
 *   relay        04000503                         -            run status word 3
 *   account      0400040E                         -            customer number (户号),
 *                                                              NNNNNNNNNNNN, once a day
 *   demand       01010000, 01010001               -            maximum demand XX.XXXX kW
 *                                                              and when, YYMMDDhhmm: this
 *                                                              month's; last month's when
 *                                                              the month turned
 *
 * Block identifiers (FF) are used with option block = true for three phases,
 * energy with rates and the prepaid pair; a meter that answers a block with
 * an exception is read item by item from then on.
 *
 * Per-field readings (reading.h): only the import register is essential.  An
 * optional item the meter answers with an exception ("no such data") is
 * logged once and not asked for again.  Any other failure of an optional
 * item (no reply, garbage, a value that is not BCD) leaves that quantity out
 * of this reading with its reason (mb_reading_omit) and the reading goes on;
 * it is asked for again next time.  A failure of the import register fails
 * the reading.  The electrical values, clock, settlement-day register,
 * prepaid amounts and relay state are read in dlt645_items.c.
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
    [IT_REMAIN] = "remaining amount",
    [IT_OVERDRAFT] = "overdraft amount",
    [IT_STATUS] = "run status word 3",
    [IT_ACCOUNT] = "customer number",
    [IT_DEMAND] = "maximum demand",
    [IT_FROZEN_DEMAND] = "settlement-day maximum demand",
};

int dlt_has(const struct dlt_meter *m, int item)
{
        return !(m->missing & (1u << item));
}

/* An optional item's result: an exception means the meter lacks it. Returns
 * 1 (skipped), MB_OK, or the error. */
int dlt_optional(struct dlt_meter *m, int item, int rc, mb_err *err)
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
int dlt_get(struct dlt_meter *m, uint32_t di, size_t min, struct dlt_value *v, mb_err *err)
{
        char what[16];
        int rc = dlt_read_di(m, di, v->b, sizeof(v->b), &v->n, err);

        if (rc == MB_OK && v->n < min)
                return mb_err_set(err, MB_EPROTO, "%s: %zu data bytes, expected %zu",
                                  dlt_di_str(m, di, what), v->n, min);
        return rc;
}

/* A block identifier: 1 when blocks cannot be used (fall back to items). */
int dlt_get_block(struct dlt_meter *m, uint32_t di, size_t min, struct dlt_value *v, mb_err *err)
{
        char what[16];
        int rc;

        if (!m->o.block || m->no_blocks || m->o.proto == DLT_1997)
                return 1;
        rc = dlt_get(m, di, min, v, err);
        if (!dlt_is_exception(rc))
                return rc;
        m->no_blocks = 1;
        DLT_LOG(m, MB_LOG_NOTICE, "the meter refused block %s (%s): reading items one by one",
                dlt_di_str(m, di, what), err->msg);
        memset(err, 0, sizeof(*err));
        return 1;
}

int dlt_not_bcd(struct dlt_meter *m, const char *what, const uint8_t *p, size_t n, mb_err *err)
{
        char hex[3 * 9 + 1] = "";

        for (size_t i = 0; i < n && i < 9; i++)
                snprintf(hex + 3 * i, sizeof(hex) - 3 * i, "%02X ", p[i]);
        return mb_err_set(err, MB_EPROTO, "%s: not a BCD value: %s", what, hex);
}

int dlt_dec_u(struct dlt_meter *m, const char *what, const uint8_t *p, size_t n, int64_t *out,
              mb_err *err)
{
        uint64_t v;

        if (dlt_bcd_u(p, n, &v) < 0)
                return dlt_not_bcd(m, what, p, n, err);
        *out = (int64_t)v;
        return MB_OK;
}

int dlt_dec_s(struct dlt_meter *m, const char *what, const uint8_t *p, size_t n, int64_t *out,
              mb_err *err)
{
        if (dlt_bcd_s(p, n, out) < 0)
                return dlt_not_bcd(m, what, p, n, err);
        return MB_OK;
}

/* XXXXXX.XX kWh to Wh: hundredths of a kWh are exactly 10 Wh. */
int dlt_energy_wh(struct dlt_meter *m, const char *what, const uint8_t *p, int64_t *wh, mb_err *err)
{
        int64_t v;
        int rc = m->o.import_reg == DLT_IMPORT_COMBINED ? dlt_dec_s(m, what, p, 4, &v, err)
                                                        : dlt_dec_u(m, what, p, 4, &v, err);

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
        struct dlt_value v;
        char what[16];
        int64_t wh[MB_RATES];
        int rc;

        for (int i = 0; i < MB_RATES; i++) {
                rc = dlt_optional(m, IT_RATES, dlt_get(m, rate_di(m, i + 1), 4, &v, err), err);
                if (rc)
                        return rc;
                rc = dlt_energy_wh(m, dlt_di_str(m, rate_di(m, i + 1), what), v.b, &wh[i], err);
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
        struct dlt_value v;
        char what[16];
        int rc = 1;

        if (m->o.rates && dlt_has(m, IT_RATES))
                rc = dlt_get_block(m, base | 0xFF00, 4, &v, err);
        if (rc < 0)
                return rc;
        if (rc == 0) {
                /* Total, then as many rates as the meter has (up to 63). */
                size_t count = v.n / 4;
                dlt_di_str(m, base | 0xFF00, what);
                if ((rc = dlt_energy_wh(m, what, v.b, &r->import_wh, err)) < 0)
                        return rc;
                for (size_t i = 1; i < count && i <= MB_RATES; i++)
                        if ((rc = dlt_energy_wh(m, what, v.b + 4 * i, &r->rate_wh[i - 1], err)) < 0)
                                return rc;
                r->fields |= MB_F_IMPORT | MB_F_RATES;
        } else {
                if ((rc = dlt_get(m, base, 4, &v, err)) < 0)
                        return rc;
                if ((rc = dlt_energy_wh(m, dlt_di_str(m, base, what), v.b, &r->import_wh, err)) < 0)
                        return rc;
                r->fields |= MB_F_IMPORT;
                if (m->o.rates && dlt_has(m, IT_RATES) && (rc = read_rates_items(m, r, err)) < 0) {
                        mb_reading_omit(r, MB_F_RATES, "per-rate energy: %s", err->msg);
                        memset(err, 0, sizeof(*err));
                }
        }
        return MB_OK;
}

static int read_export(struct dlt_meter *m, mb_reading *r, int64_t *now, mb_err *err)
{
        uint32_t di = m->o.proto == DLT_1997 ? 0x9020 : 0x00020000;
        struct dlt_value v;
        char what[16];
        int64_t wh = 0;
        int rc = dlt_optional(m, IT_EXPORT, dlt_get(m, di, 4, &v, err), err);

        if (rc)
                return rc < 0 ? rc : MB_OK;
        if (dlt_dec_u(m, dlt_di_str(m, di, what), v.b, 4, &wh, err) < 0)
                return MB_EPROTO;
        r->export_wh = wh * 10;
        r->fields |= MB_F_EXPORT;
        return MB_OK;
}

/* The optional items after the import register, in reading order. */
static const struct step {
        int item;       /* enum dlt_item: skipped once the meter said it lacks it */
        uint32_t field; /* MB_F_* left out when the item fails */
        const char *what;
        int (*read)(struct dlt_meter *m, mb_reading *r, int64_t *now, mb_err *err);
} steps[] = {
    {IT_EXPORT, MB_F_EXPORT, "reverse energy", read_export},
    {IT_VOLTAGE, MB_F_VOLTAGE, "voltage", dlt_read_voltage},
    {IT_CURRENT, MB_F_CURRENT, "current", dlt_read_current},
    {IT_POWER, MB_F_POWER, "active power", dlt_read_power},
    {IT_PF, MB_F_PF, "power factor", dlt_read_pf},
    {IT_FREQ, MB_F_FREQ, "frequency", dlt_read_freq},
    {IT_CLOCK, MB_F_METER_TIME, "clock", dlt_read_clock},
    {IT_FROZEN, MB_F_FROZEN, "settlement-day energy", dlt_read_frozen},
    {IT_REMAIN, MB_F_PREPAID | MB_F_REMAIN, "prepaid amounts", dlt_read_prepaid},
    {IT_STATUS, MB_F_RELAY, "relay state", dlt_read_relay},
    {IT_ACCOUNT, MB_F_ACCOUNT, "customer number", dlt_read_account},
    {IT_DEMAND, MB_F_DEMAND | MB_F_FROZEN_DEMAND, "maximum demand", dlt_read_demand},
};

/* Is the step's item asked for: by the options, and not known to be
 * missing from the meter? */
static int wanted(const struct dlt_meter *m, const struct step *s)
{
        const struct dlt_opts *o = &m->o;

        if (!dlt_has(m, s->item))
                return 0;
        switch (s->item) {
        case IT_EXPORT:
                return o->reverse;
        case IT_VOLTAGE:
        case IT_CURRENT:
        case IT_POWER:
        case IT_PF:
        case IT_FREQ:
                return o->electrical;
        case IT_CLOCK:
                return o->clock;
        case IT_FROZEN:
                return o->frozen;
        case IT_REMAIN:
                return o->prepaid && (dlt_has(m, IT_REMAIN) || dlt_has(m, IT_OVERDRAFT));
        case IT_ACCOUNT:
                return o->account;
        case IT_DEMAND:
                return o->demand;
        default: /* IT_STATUS */
                return o->relay_status;
        }
}

static int read_all(struct dlt_meter *m, mb_reading *r, mb_err *err)
{
        int64_t meter_now = 0;
        int rc;

        r->phases = m->o.phases;
        if ((rc = read_energy(m, r, err)) < 0)
                return rc;
        for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
                const struct step *s = &steps[i];

                if (!wanted(m, s) || (rc = s->read(m, r, &meter_now, err)) == MB_OK)
                        continue;
                /* Only the import register is essential (reading.h). */
                mb_reading_omit(r, s->field, "%s: %s", s->what,
                                err->msg[0] ? err->msg : mb_strerror(rc));
                DLT_LOG(m, MB_LOG_INFO, "%s left out of this reading: %s", s->what,
                        err->msg[0] ? err->msg : mb_strerror(rc));
                memset(err, 0, sizeof(*err));
        }
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
