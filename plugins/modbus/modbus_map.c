/* SPDX-License-Identifier: Apache-2.0 */
/*
 * modbus: register maps, built-in profiles, the read plan and the decoding of
 * a whole reading (see modbus_map.h).  Pure functions of their arguments.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <meterbox/errors.h>

#include "modbus_map.h"

/*
 * Built-in profiles.  Register addresses are the 0-based addresses on the
 * wire.  Each is documented, with its source and caveats, in
 * docs/plugins/modbus.md; check them against the vendor's manual for the
 * meter's firmware before relying on them.  The last member says the vendor
 * marks a value that is not available with its type's largest value (ABB:
 * 0xFFFF, 0x7FFF, 0xFFFFFFFF, 0x7FFFFFFF, ...); floating-point registers
 * (Chint, Eastron) use NaN, which is never a value.
 */
const struct mbm_profile mbm_profiles[] = {
    {"ddsu666", "Chint DDSU666 (single phase)",
     "voltage:0x2000:f32:3:ABCD:V; current:0x2002:f32:3:ABCD:A; power:0x2004:f32:3:ABCD:kW;"
     "pf:0x200A:f32:3:ABCD:1; freq:0x200E:f32:3:ABCD:Hz; import_wh:0x4000:f32:3:ABCD:kWh",
     0},
    {"dtsu666", "Chint DTSU666 (three phase)",
     "voltage_l1:0x2006:f32:3:ABCD:V:0.1; voltage_l2:0x2008:f32:3:ABCD:V:0.1;"
     "voltage_l3:0x200A:f32:3:ABCD:V:0.1; current_l1:0x200C:f32:3:ABCD:A:0.001;"
     "current_l2:0x200E:f32:3:ABCD:A:0.001; current_l3:0x2010:f32:3:ABCD:A:0.001;"
     "power:0x2012:f32:3:ABCD:W:0.1; pf:0x202A:f32:3:ABCD:1:0.001;"
     "freq:0x2044:f32:3:ABCD:Hz:0.01; import_wh:0x101E:f32:3:ABCD:kWh;"
     "export_wh:0x1028:f32:3:ABCD:kWh",
     0},
    {"sdm120", "Eastron SDM120 (single phase)",
     "voltage:0x0000:f32:4:ABCD:V; current:0x0006:f32:4:ABCD:A; power:0x000C:f32:4:ABCD:W;"
     "pf:0x001E:f32:4:ABCD:1; freq:0x0046:f32:4:ABCD:Hz; import_wh:0x0048:f32:4:ABCD:kWh;"
     "export_wh:0x004A:f32:4:ABCD:kWh",
     0},
    {"sdm630", "Eastron SDM630 (three phase)",
     "voltage_l1:0x0000:f32:4:ABCD:V; voltage_l2:0x0002:f32:4:ABCD:V;"
     "voltage_l3:0x0004:f32:4:ABCD:V; current_l1:0x0006:f32:4:ABCD:A;"
     "current_l2:0x0008:f32:4:ABCD:A; current_l3:0x000A:f32:4:ABCD:A;"
     "power:0x0034:f32:4:ABCD:W; pf:0x003E:f32:4:ABCD:1; freq:0x0046:f32:4:ABCD:Hz;"
     "import_wh:0x0048:f32:4:ABCD:kWh; export_wh:0x004A:f32:4:ABCD:kWh",
     0},
    {"abb_b21", "ABB B21 and other single-phase B-series",
     "import_wh:0x5000:u64:3:ABCD:kWh:0.01; export_wh:0x5004:u64:3:ABCD:kWh:0.01;"
     "voltage:0x5B00:u32:3:ABCD:V:0.1; current:0x5B0C:u32:3:ABCD:A:0.01;"
     "power:0x5B14:s32:3:ABCD:W:0.01; freq:0x5B2C:u16:3:ABCD:Hz:0.01;"
     "pf:0x5B3A:s16:3:ABCD:1:0.001",
     1},
    {"abb_b23", "ABB B23/B24 (three phase)",
     "import_wh:0x5000:u64:3:ABCD:kWh:0.01; export_wh:0x5004:u64:3:ABCD:kWh:0.01;"
     "voltage_l1:0x5B00:u32:3:ABCD:V:0.1; voltage_l2:0x5B02:u32:3:ABCD:V:0.1;"
     "voltage_l3:0x5B04:u32:3:ABCD:V:0.1; current_l1:0x5B0C:u32:3:ABCD:A:0.01;"
     "current_l2:0x5B0E:u32:3:ABCD:A:0.01; current_l3:0x5B10:u32:3:ABCD:A:0.01;"
     "power:0x5B14:s32:3:ABCD:W:0.01; freq:0x5B2C:u16:3:ABCD:Hz:0.01;"
     "pf:0x5B3A:s16:3:ABCD:1:0.001",
     1},
    {NULL, NULL, NULL, 0},
};

enum qclass { QC_ENERGY, QC_POWER, QC_VOLTAGE, QC_CURRENT, QC_PF, QC_FREQ };

static const char *const q_names[MBM_Q_COUNT] = {
    "import_wh",  "export_wh",  "power",      "voltage_l1", "voltage_l2", "voltage_l3",
    "current_l1", "current_l2", "current_l3", "pf",         "freq",       "rate1_wh",
    "rate2_wh",   "rate3_wh",   "rate4_wh",   "demand"};

static const uint8_t q_class[MBM_Q_COUNT] = {
    QC_ENERGY,  QC_ENERGY, QC_POWER, QC_VOLTAGE, QC_VOLTAGE, QC_VOLTAGE, QC_CURRENT, QC_CURRENT,
    QC_CURRENT, QC_PF,     QC_FREQ,  QC_ENERGY,  QC_ENERGY,  QC_ENERGY,  QC_ENERGY,  QC_POWER};

/* Units and their factor to the reading's unit (Wh, mW, mV, mA, milli, mHz);
 * the first unit of each class is its default. */
static const struct unit_def {
        uint8_t cls;
        const char *name;
        int64_t factor;
} units[] = {
    {QC_ENERGY, "Wh", 1},         {QC_ENERGY, "kWh", 1000}, {QC_ENERGY, "MWh", 1000000},
    {QC_POWER, "W", 1000},        {QC_POWER, "mW", 1},      {QC_POWER, "kW", 1000000},
    {QC_POWER, "MW", 1000000000}, {QC_VOLTAGE, "V", 1000},  {QC_VOLTAGE, "mV", 1},
    {QC_VOLTAGE, "kV", 1000000},  {QC_CURRENT, "A", 1000},  {QC_CURRENT, "mA", 1},
    {QC_CURRENT, "kA", 1000000},  {QC_PF, "1", 1000},       {QC_PF, "%", 10},
    {QC_PF, "milli", 1},          {QC_FREQ, "Hz", 1000},    {QC_FREQ, "mHz", 1},
};

#define N_UNITS (sizeof(units) / sizeof(units[0]))

const char *mbm_quantity_name(int q)
{
        return q >= 0 && q < MBM_Q_COUNT ? q_names[q] : "?";
}

const struct mbm_profile *mbm_profile_find(const char *name)
{
        for (const struct mbm_profile *p = mbm_profiles; p->name; p++)
                if (strcmp(p->name, name) == 0)
                        return p;
        return NULL;
}

void mbm_profile_list(char *buf, size_t size)
{
        size_t used = 0;

        if (!size)
                return;
        buf[0] = '\0';
        for (const struct mbm_profile *p = mbm_profiles; p->name && used < size; p++) {
                int n = snprintf(buf + used, size - used, "%s%s", used ? ", " : "", p->name);
                if (n < 0)
                        break;
                used += (size_t)n;
        }
}

static int str_eq(const char *s, size_t len, const char *lit)
{
        return strlen(lit) == len && memcmp(s, lit, len) == 0;
}

static int quantity_parse(const char *s, size_t len)
{
        if (str_eq(s, len, "voltage"))
                return MBM_VOLTAGE_L1;
        if (str_eq(s, len, "current"))
                return MBM_CURRENT_L1;
        for (int q = 0; q < MBM_Q_COUNT; q++)
                if (str_eq(s, len, q_names[q]))
                        return q;
        return -1;
}

static const struct unit_def *unit_parse(int cls, const char *s, size_t len)
{
        for (size_t i = 0; i < N_UNITS; i++)
                if (units[i].cls == cls && (len == 0 || str_eq(s, len, units[i].name)))
                        return &units[i];
        return NULL;
}

/* "Wh, kWh, MWh" for the class. */
static void unit_list(int cls, char *buf, size_t size)
{
        size_t used = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < N_UNITS && used < size; i++) {
                if (units[i].cls != cls)
                        continue;
                int n =
                    snprintf(buf + used, size - used, "%s\"%s\"", used ? ", " : "", units[i].name);
                if (n < 0)
                        break;
                used += (size_t)n;
        }
}

/* Decimal or 0x-hex unsigned integer, at most max.  0 on success. */
static int parse_uint(const char *s, size_t len, unsigned long max, unsigned long *out)
{
        unsigned long v = 0;
        int base = 10;
        size_t i = 0;

        if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
                base = 16;
                i = 2;
        }
        if (i == len)
                return -1;
        for (; i < len; i++) {
                int c = (unsigned char)s[i], d;
                if (c >= '0' && c <= '9')
                        d = c - '0';
                else if (base == 16 && c >= 'a' && c <= 'f')
                        d = c - 'a' + 10;
                else if (base == 16 && c >= 'A' && c <= 'F')
                        d = c - 'A' + 10;
                else
                        return -1;
                v = v * (unsigned long)base + (unsigned long)d;
                if (v > max)
                        return -1;
        }
        *out = v;
        return 0;
}

static int is_space(int c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void trim(const char **s, size_t *len)
{
        while (*len && is_space((unsigned char)**s)) {
                (*s)++;
                (*len)--;
        }
        while (*len && is_space((unsigned char)(*s)[*len - 1]))
                (*len)--;
}

/* Printable copy of s[0..len) for an error message: at most 48 characters,
 * control characters as '?'. */
static void quote(const char *s, size_t len, char *buf, size_t size)
{
        size_t n = 0;

        for (size_t i = 0; i < len && n + 4 < size && i < 48; i++) {
                unsigned char c = (unsigned char)s[i];
                buf[n++] = c < 0x20 || c == 0x7F ? '?' : (char)c;
        }
        if (len > 48 && n + 4 < size) {
                memcpy(buf + n, "...", 3);
                n += 3;
        }
        buf[n] = '\0';
}

#define MAX_FIELDS 7

struct field {
        const char *s;
        size_t len;
};

/* Parse one entry (already trimmed, not empty).  why gets the reason only;
 * the caller adds which entry it was. */
static int parse_entry(const char *s, size_t len, int default_order, int *quantity,
                       struct mbm_entry *e, char *why, size_t whylen)
{
        struct field f[MAX_FIELDS] = {{0}};
        int nf = 0, q, t, o = default_order;
        size_t start = 0;
        unsigned long reg, fc = 3;
        const struct unit_def *u;
        mbd_scale scale = {1, 1};
        char tmp[64], list[96];

        for (size_t i = 0; i <= len; i++) {
                if (i < len && s[i] != ':')
                        continue;
                if (nf == MAX_FIELDS) {
                        snprintf(why, whylen,
                                 "too many fields (at most quantity:register:type:function:"
                                 "order:unit:scale)");
                        return MB_EINVAL;
                }
                f[nf].s = s + start;
                f[nf].len = i - start;
                trim(&f[nf].s, &f[nf].len);
                nf++;
                start = i + 1;
        }
        if (nf < 3 || !f[1].len || !f[2].len) {
                snprintf(why, whylen, "needs at least quantity:register:type");
                return MB_EINVAL;
        }
        quote(f[0].s, f[0].len, tmp, sizeof(tmp));
        if ((q = quantity_parse(f[0].s, f[0].len)) < 0) {
                snprintf(why, whylen,
                         "unknown quantity \"%s\" (expected import_wh, export_wh, power, "
                         "voltage[_l1|_l2|_l3], current[_l1|_l2|_l3], pf, freq, "
                         "rate1_wh..rate4_wh)",
                         tmp);
                return MB_EINVAL;
        }
        quote(f[1].s, f[1].len, tmp, sizeof(tmp));
        if (parse_uint(f[1].s, f[1].len, 65535, &reg) < 0) {
                snprintf(why, whylen,
                         "register \"%s\" is not a number from 0 to 65535 (or 0x0000 "
                         "to 0xFFFF)",
                         tmp);
                return MB_EINVAL;
        }
        quote(f[2].s, f[2].len, tmp, sizeof(tmp));
        if ((t = mbd_type_parse(f[2].s, f[2].len)) < 0) {
                snprintf(why, whylen,
                         "unknown type \"%s\" (expected u16, s16, u32, s32, u64, s64, f32, f64)",
                         tmp);
                return MB_EINVAL;
        }
        if (reg + (unsigned long)mbd_type_regs(t) - 1 > 65535) {
                snprintf(why, whylen, "a %s at register %lu runs past register 65535",
                         mbd_type_name(t), reg);
                return MB_EINVAL;
        }
        if (nf > 3 && f[3].len) {
                quote(f[3].s, f[3].len, tmp, sizeof(tmp));
                if (parse_uint(f[3].s, f[3].len, 255, &fc) < 0 || (fc != 3 && fc != 4)) {
                        snprintf(why, whylen,
                                 "function \"%s\" must be 3 (holding registers) or 4 (input "
                                 "registers)",
                                 tmp);
                        return MB_EINVAL;
                }
        }
        if (nf > 4 && f[4].len && (o = mbd_order_parse(f[4].s, f[4].len)) < 0) {
                quote(f[4].s, f[4].len, tmp, sizeof(tmp));
                snprintf(why, whylen, "unknown order \"%s\" (expected ABCD, CDAB, BADC, DCBA)",
                         tmp);
                return MB_EINVAL;
        }
        u = unit_parse(q_class[q], nf > 5 ? f[5].s : NULL, nf > 5 ? f[5].len : 0);
        if (!u) {
                quote(f[5].s, f[5].len, tmp, sizeof(tmp));
                unit_list(q_class[q], list, sizeof(list));
                snprintf(why, whylen, "unit \"%s\" does not fit %s (expected one of %s)", tmp,
                         q_names[q], list);
                return MB_EINVAL;
        }
        if (nf > 6 && f[6].len) {
                int rc = mbd_scale_parse(f[6].s, f[6].len, &scale);
                if (rc < 0) {
                        quote(f[6].s, f[6].len, tmp, sizeof(tmp));
                        snprintf(why, whylen,
                                 "scale \"%s\" is not a non-zero decimal (0.01) or ratio "
                                 "(1/100)%s",
                                 tmp, rc == MB_ERANGE ? " of at most 18 digits" : "");
                        return MB_EINVAL;
                }
        }
        memset(e, 0, sizeof(*e));
        if (mbd_scale_mul(&scale, u->factor, 1, &e->scale) < 0) {
                snprintf(why, whylen, "scale times unit %s overflows", u->name);
                return MB_EINVAL;
        }
        e->present = 1;
        e->fc = (uint8_t)fc;
        e->type = (uint8_t)t;
        e->order = (uint8_t)o;
        e->reg = (uint16_t)reg;
        *quantity = q;
        return MB_OK;
}

int mbm_parse(const char *s, size_t len, int default_order, struct mbm_map *m, char *why,
              size_t whylen)
{
        int seen[MBM_Q_COUNT] = {0};
        int index = 0;
        size_t start = 0;

        for (size_t i = 0; i <= len; i++) {
                const char *es;
                size_t elen;
                struct mbm_entry e;
                char reason[200], text[64];
                int q;

                if (i < len && s[i] != ';')
                        continue;
                es = s + start;
                elen = i - start;
                start = i + 1;
                trim(&es, &elen);
                if (!elen)
                        continue;
                index++;
                quote(es, elen, text, sizeof(text));
                if (parse_entry(es, elen, default_order, &q, &e, reason, sizeof(reason)) < 0) {
                        snprintf(why, whylen, "entry %d \"%s\": %s", index, text, reason);
                        return MB_EINVAL;
                }
                if (seen[q]) {
                        snprintf(why, whylen, "entry %d \"%s\": %s is already given by entry %d",
                                 index, text, q_names[q], seen[q]);
                        return MB_EINVAL;
                }
                seen[q] = index;
                m->q[q] = e;
        }
        if (!index) {
                snprintf(why, whylen, "no entries (expected quantity:register:type...)");
                return MB_EINVAL;
        }
        return MB_OK;
}

void mbm_set_order(struct mbm_map *m, int order)
{
        for (int q = 0; q < MBM_Q_COUNT; q++)
                if (m->q[q].present)
                        m->q[q].order = (uint8_t)order;
}

/* The three phases of a three-phase quantity: all or none. */
static int check_phases(const struct mbm_map *m, int first, const char *what, char *why,
                        size_t whylen)
{
        int n = m->q[first].present + m->q[first + 1].present + m->q[first + 2].present;

        if (n == 0 || n == 3)
                return MB_OK;
        for (int i = 0; i < 3; i++)
                if (!m->q[first + i].present) {
                        snprintf(why, whylen,
                                 "a three-phase map needs %s_l1, %s_l2 and %s_l3: %s is missing",
                                 what, what, what, q_names[first + i]);
                        return MB_EINVAL;
                }
        return MB_OK;
}

int mbm_plan(struct mbm_map *m, int max_gap, char *why, size_t whylen)
{
        int order[MBM_Q_COUNT], n = 0, off = 0;

        if (max_gap < 0 || max_gap > MBM_MAX_REGS_PER_READ - 1) {
                snprintf(why, whylen, "max_gap must be 0..%d", MBM_MAX_REGS_PER_READ - 1);
                return MB_EINVAL;
        }
        m->phases = m->q[MBM_VOLTAGE_L2].present || m->q[MBM_VOLTAGE_L3].present ||
                            m->q[MBM_CURRENT_L2].present || m->q[MBM_CURRENT_L3].present
                        ? 3
                        : 1;
        if (m->phases == 3 && (check_phases(m, MBM_VOLTAGE_L1, "voltage", why, whylen) < 0 ||
                               check_phases(m, MBM_CURRENT_L1, "current", why, whylen) < 0))
                return MB_EINVAL;

        /* Entries by (function, register); insertion sort of at most 15. */
        for (int q = 0; q < MBM_Q_COUNT; q++) {
                if (!m->q[q].present)
                        continue;
                int j = n++;
                while (j > 0 && (m->q[order[j - 1]].fc > m->q[q].fc ||
                                 (m->q[order[j - 1]].fc == m->q[q].fc &&
                                  m->q[order[j - 1]].reg > m->q[q].reg))) {
                        order[j] = order[j - 1];
                        j--;
                }
                order[j] = q;
        }

        m->n_blocks = 0;
        for (int i = 0; i < n; i++) {
                struct mbm_entry *e = &m->q[order[i]];
                long end = (long)e->reg + mbd_type_regs(e->type); /* exclusive */
                struct mbm_block *b = m->n_blocks ? &m->block[m->n_blocks - 1] : NULL;

                if (b && b->fc == e->fc && (long)e->reg <= (long)b->start + b->count + max_gap &&
                    end - b->start <= MBM_MAX_REGS_PER_READ) {
                        if (end - b->start > b->count)
                                b->count = (uint16_t)(end - b->start);
                } else {
                        b = &m->block[m->n_blocks++];
                        b->fc = e->fc;
                        b->start = e->reg;
                        b->count = (uint16_t)mbd_type_regs(e->type);
                }
        }
        /* Buffer offsets, once the blocks are final. */
        for (int i = 0; i < m->n_blocks; i++) {
                m->block[i].buf_off = (uint16_t)off;
                off += 2 * m->block[i].count;
        }
        m->buf_bytes = off;
        for (int q = 0; q < MBM_Q_COUNT; q++) {
                struct mbm_entry *e = &m->q[q];
                if (!e->present)
                        continue;
                for (int i = 0; i < m->n_blocks; i++) {
                        const struct mbm_block *b = &m->block[i];
                        if (b->fc == e->fc && e->reg >= b->start &&
                            e->reg + mbd_type_regs(e->type) <= b->start + b->count) {
                                e->off = (uint16_t)(b->buf_off + 2 * (e->reg - b->start));
                                break;
                        }
                }
        }
        return MB_OK;
}

static int fits_i32(int64_t v)
{
        return v >= INT32_MIN && v <= INT32_MAX;
}

/* The reading's field of quantity q. */
static uint32_t field_of(int q)
{
        static const uint32_t f[MBM_Q_COUNT] = {
            MB_F_IMPORT,  MB_F_EXPORT,  MB_F_POWER,   MB_F_VOLTAGE, MB_F_VOLTAGE, MB_F_VOLTAGE,
            MB_F_CURRENT, MB_F_CURRENT, MB_F_CURRENT, MB_F_PF,      MB_F_FREQ,    MB_F_RATES,
            MB_F_RATES,   MB_F_RATES,   MB_F_RATES,   MB_F_DEMAND};

        return f[q];
}

/* Is raw the "not available" marker of entry e's type?  NaN and infinities
 * always are; with the map's integer markers (m->na_max: ABB), so is the
 * type's largest value (0xFFFF, 0x7FFF, 0xFFFFFFFF, 0x7FFFFFFF, ...). */
static int not_available(const struct mbm_map *m, const struct mbm_entry *e, const mbd_raw *raw)
{
        if (raw->kind == MBD_RAW_FLOAT)
                return !isfinite(raw->f);
        if (!m->na_max)
                return 0;
        switch (e->type) {
        case MBD_U16:
                return raw->i == 0xFFFF;
        case MBD_S16:
                return raw->i == 0x7FFF;
        case MBD_U32:
                return raw->i == 0xFFFFFFFFLL;
        case MBD_S32:
                return raw->i == 0x7FFFFFFFLL;
        case MBD_U64:
                return raw->u == UINT64_MAX;
        case MBD_S64:
                return raw->i == INT64_MAX;
        default:
                return 0;
        }
}

/* Where q's value came from, for messages: "freq: FC03 register 0x5B2C (u16
 * ABCD)". */
static void where_of(const struct mbm_entry *e, int q, char *buf, size_t len)
{
        snprintf(buf, len, "%s: FC%02u register 0x%04X (%s %s)", q_names[q], e->fc, e->reg,
                 mbd_type_name(e->type), mbd_order_name(e->order));
}

/* The value of q in the reading's unit, or why there is none.  The message
 * parts are formatted only on failure: this runs for every quantity of
 * every reading, and a float's %g is most of its cost. */
static int value_of(const struct mbm_map *m, int q, const uint8_t *buf, size_t len, int64_t *v,
                    char *why, size_t whylen)
{
        const struct mbm_entry *e = &m->q[q];
        char where[96], rtext[40], stext[48];
        mbd_raw raw;
        int rc;

        if ((size_t)e->off + 2u * (size_t)mbd_type_regs(e->type) > len ||
            mbd_decode(buf + e->off, len - e->off, e->type, e->order, &raw) < 0) {
                where_of(e, q, where, sizeof(where));
                snprintf(why, whylen, "%s is not in the data read", where);
                return MB_EINVAL;
        }
        if (not_available(m, e, &raw)) {
                where_of(e, q, where, sizeof(where));
                mbd_raw_format(&raw, rtext, sizeof(rtext));
                snprintf(why, whylen, "%s holds %s: not available", where, rtext);
                return MB_ENOENT;
        }
        rc = mbd_apply(&raw, &e->scale, v);
        if (rc == MB_OK && q_class[q] != QC_ENERGY && q_class[q] != QC_POWER && !fits_i32(*v))
                rc = MB_ERANGE;
        if (rc == MB_OK && q == MBM_DEMAND && *v < 0) /* a maximum is never negative */
                rc = MB_ERANGE;
        if (rc < 0) {
                where_of(e, q, where, sizeof(where));
                mbd_raw_format(&raw, rtext, sizeof(rtext));
                mbd_scale_format(&e->scale, stext, sizeof(stext));
                snprintf(why, whylen, "%s holds %s, which times %s is not a usable value", where,
                         rtext, stext);
                return MB_ERANGE;
        }
        return MB_OK;
}

static void store(mb_reading *out, int q, int64_t v)
{
        switch (q) {
        case MBM_IMPORT:
                out->import_wh = v;
                break;
        case MBM_EXPORT:
                out->export_wh = v;
                break;
        case MBM_POWER:
                out->power_mw = v;
                break;
        case MBM_VOLTAGE_L1:
        case MBM_VOLTAGE_L2:
        case MBM_VOLTAGE_L3:
                out->voltage_mv[q - MBM_VOLTAGE_L1] = (int32_t)v;
                break;
        case MBM_CURRENT_L1:
        case MBM_CURRENT_L2:
        case MBM_CURRENT_L3:
                out->current_ma[q - MBM_CURRENT_L1] = (int32_t)v;
                break;
        case MBM_PF:
                out->pf_milli = (int32_t)v;
                break;
        case MBM_FREQ:
                out->freq_mhz = (int32_t)v;
                break;
        case MBM_DEMAND: /* the meter does not say when it occurred */
                out->demand_mw = v;
                out->demand_time = 0;
                break;
        default: /* MBM_RATE1..4; rates a map leaves out read 0 */
                out->rate_wh[q - MBM_RATE1] = v;
                break;
        }
        out->fields |= field_of(q);
}

int mbm_block_of(const struct mbm_map *m, int q)
{
        const struct mbm_entry *e = q >= 0 && q < MBM_Q_COUNT ? &m->q[q] : NULL;

        for (int i = 0; e && e->present && i < m->n_blocks; i++) {
                const struct mbm_block *b = &m->block[i];
                if (b->fc == e->fc && e->reg >= b->start &&
                    e->reg + mbd_type_regs(e->type) <= b->start + b->count)
                        return i;
        }
        return -1;
}

int mbm_fill(const struct mbm_map *m, const uint8_t *buf, size_t len, const char *const *block_err,
             mb_reading *out, char *why, size_t whylen)
{
        uint32_t left_out = 0;
        char reason[300];

        for (int q = 0; q < MBM_Q_COUNT; q++) {
                const struct mbm_entry *e = &m->q[q];
                int b = mbm_block_of(m, q);
                int64_t v;
                int rc;

                if (!e->present || (field_of(q) & left_out))
                        continue;
                if (q == MBM_DEMAND && !MB_READING_HAS(out, frozen_demand_time))
                        continue; /* an agent without the field: nowhere to put it */
                if (b >= 0 && block_err && block_err[b]) {
                        snprintf(reason, sizeof(reason), "%s: %s", q_names[q], block_err[b]);
                        rc = MB_EIO;
                } else {
                        rc = value_of(m, q, buf, len, &v, reason, sizeof(reason));
                }
                if (rc == MB_OK) {
                        store(out, q, v);
                        continue;
                }
                /* Only the energy register is essential (reading.h). */
                if (q == MBM_IMPORT) {
                        snprintf(why, whylen, "%s", reason);
                        return rc == MB_ENOENT ? MB_ERANGE : rc == MB_EIO ? MB_EIO : rc;
                }
                left_out |= field_of(q);
                mb_reading_omit(out, field_of(q), "%s", reason);
        }
        out->fields &= ~left_out;
        out->phases = m->phases;
        return MB_OK;
}
