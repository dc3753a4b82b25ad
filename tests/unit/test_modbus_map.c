/* SPDX-License-Identifier: Apache-2.0 */
/*
 * modbus: register maps, built-in profiles, the read plan and the decoding of
 * a whole reading (plugins/modbus/modbus_map.c), and the answer checks
 * (plugins/modbus/modbus_frame.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <meterbox/errors.h>

#include "modbus_frame.h"
#include "modbus_map.h"

static char why[400];

static int parse(struct mbm_map *m, const char *text)
{
        why[0] = '\0';
        return mbm_parse(text, strlen(text), MBD_ABCD, m, why, sizeof(why));
}

static void load_profile(struct mbm_map *m, const char *name)
{
        const struct mbm_profile *p = mbm_profile_find(name);

        assert_non_null(p);
        memset(m, 0, sizeof(*m));
        assert_int_equal(parse(m, p->map), MB_OK);
        m->na_max = p->na_max;
        assert_int_equal(mbm_plan(m, 0, why, sizeof(why)), MB_OK);
}

/* The entry for q is exactly (fc, reg, type, num/den). */
static void expect_entry(const struct mbm_map *m, int q, int fc, int reg, int type, int64_t num,
                         int64_t den)
{
        const struct mbm_entry *e = &m->q[q];

        assert_true(e->present);
        assert_int_equal(e->fc, fc);
        assert_int_equal(e->reg, reg);
        assert_int_equal(e->type, type);
        assert_int_equal(e->order, MBD_ABCD);
        assert_int_equal(e->scale.num, num);
        assert_int_equal(e->scale.den, den);
}

static void test_profile_ddsu666(void **state)
{
        struct mbm_map m;

        load_profile(&m, "ddsu666");
        expect_entry(&m, MBM_VOLTAGE_L1, 3, 0x2000, MBD_F32, 1000, 1);
        expect_entry(&m, MBM_CURRENT_L1, 3, 0x2002, MBD_F32, 1000, 1);
        expect_entry(&m, MBM_POWER, 3, 0x2004, MBD_F32, 1000000, 1); /* kW -> mW */
        expect_entry(&m, MBM_PF, 3, 0x200A, MBD_F32, 1000, 1);
        expect_entry(&m, MBM_FREQ, 3, 0x200E, MBD_F32, 1000, 1);
        expect_entry(&m, MBM_IMPORT, 3, 0x4000, MBD_F32, 1000, 1);
        assert_int_equal(m.phases, 1);
        /* 0x2000..0x2005, 0x200A, 0x200E, 0x4000 */
        assert_int_equal(m.n_blocks, 4);
        assert_int_equal(m.block[0].start, 0x2000);
        assert_int_equal(m.block[0].count, 6);
}

static void test_profile_dtsu666(void **state)
{
        struct mbm_map m;

        load_profile(&m, "dtsu666");
        expect_entry(&m, MBM_VOLTAGE_L1, 3, 0x2006, MBD_F32, 100, 1); /* 0.1 V -> mV */
        expect_entry(&m, MBM_VOLTAGE_L2, 3, 0x2008, MBD_F32, 100, 1);
        expect_entry(&m, MBM_VOLTAGE_L3, 3, 0x200A, MBD_F32, 100, 1);
        expect_entry(&m, MBM_CURRENT_L1, 3, 0x200C, MBD_F32, 1, 1); /* 0.001 A = mA */
        expect_entry(&m, MBM_CURRENT_L2, 3, 0x200E, MBD_F32, 1, 1);
        expect_entry(&m, MBM_CURRENT_L3, 3, 0x2010, MBD_F32, 1, 1);
        expect_entry(&m, MBM_POWER, 3, 0x2012, MBD_F32, 100, 1); /* 0.1 W -> mW */
        expect_entry(&m, MBM_PF, 3, 0x202A, MBD_F32, 1, 1);
        expect_entry(&m, MBM_FREQ, 3, 0x2044, MBD_F32, 10, 1); /* 0.01 Hz -> mHz */
        expect_entry(&m, MBM_IMPORT, 3, 0x101E, MBD_F32, 1000, 1);
        expect_entry(&m, MBM_EXPORT, 3, 0x1028, MBD_F32, 1000, 1);
        assert_int_equal(m.phases, 3);
        /* 0x101E, 0x1028, 0x2006..0x2013, 0x202A, 0x2044 */
        assert_int_equal(m.n_blocks, 5);
        assert_int_equal(m.block[2].start, 0x2006);
        assert_int_equal(m.block[2].count, 14);
}

static void test_profile_sdm(void **state)
{
        struct mbm_map m;

        load_profile(&m, "sdm120");
        expect_entry(&m, MBM_VOLTAGE_L1, 4, 0x0000, MBD_F32, 1000, 1);
        expect_entry(&m, MBM_CURRENT_L1, 4, 0x0006, MBD_F32, 1000, 1);
        expect_entry(&m, MBM_POWER, 4, 0x000C, MBD_F32, 1000, 1);
        expect_entry(&m, MBM_PF, 4, 0x001E, MBD_F32, 1000, 1);
        expect_entry(&m, MBM_FREQ, 4, 0x0046, MBD_F32, 1000, 1);
        expect_entry(&m, MBM_IMPORT, 4, 0x0048, MBD_F32, 1000, 1);
        expect_entry(&m, MBM_EXPORT, 4, 0x004A, MBD_F32, 1000, 1);
        assert_int_equal(m.n_blocks, 5);
        assert_int_equal(m.block[4].start, 0x0046); /* freq, import, export together */
        assert_int_equal(m.block[4].count, 6);

        load_profile(&m, "sdm630");
        expect_entry(&m, MBM_VOLTAGE_L2, 4, 0x0002, MBD_F32, 1000, 1);
        expect_entry(&m, MBM_VOLTAGE_L3, 4, 0x0004, MBD_F32, 1000, 1);
        expect_entry(&m, MBM_CURRENT_L3, 4, 0x000A, MBD_F32, 1000, 1);
        expect_entry(&m, MBM_POWER, 4, 0x0034, MBD_F32, 1000, 1);
        expect_entry(&m, MBM_PF, 4, 0x003E, MBD_F32, 1000, 1);
        assert_int_equal(m.phases, 3);
        assert_int_equal(m.n_blocks, 4);
        assert_int_equal(m.block[0].count, 12); /* 3 voltages, 3 currents */
}

static void test_profile_abb(void **state)
{
        struct mbm_map m;

        load_profile(&m, "abb_b21");
        expect_entry(&m, MBM_IMPORT, 3, 0x5000, MBD_U64, 10, 1); /* 0.01 kWh -> Wh, exact */
        expect_entry(&m, MBM_EXPORT, 3, 0x5004, MBD_U64, 10, 1);
        expect_entry(&m, MBM_VOLTAGE_L1, 3, 0x5B00, MBD_U32, 100, 1);
        expect_entry(&m, MBM_CURRENT_L1, 3, 0x5B0C, MBD_U32, 10, 1);
        expect_entry(&m, MBM_POWER, 3, 0x5B14, MBD_S32, 10, 1);
        expect_entry(&m, MBM_FREQ, 3, 0x5B2C, MBD_U16, 10, 1);
        expect_entry(&m, MBM_PF, 3, 0x5B3A, MBD_S16, 1, 1);
        assert_int_equal(m.n_blocks, 6);
        assert_int_equal(m.block[0].count, 8); /* import and export u64 */

        load_profile(&m, "abb_b23");
        assert_int_equal(m.phases, 3);
        expect_entry(&m, MBM_CURRENT_L3, 3, 0x5B10, MBD_U32, 10, 1);
        assert_int_equal(m.n_blocks, 6);
}

static void test_every_profile_listed(void **state)
{
        char list[200];
        int n = 0;

        mbm_profile_list(list, sizeof(list));
        assert_string_equal(list, "ddsu666, dtsu666, sdm120, sdm630, abb_b21, abb_b23");
        for (const struct mbm_profile *p = mbm_profiles; p->name; p++, n++) {
                struct mbm_map m;
                load_profile(&m, p->name);
                assert_true(m.q[MBM_IMPORT].present);
                assert_true(m.buf_bytes <= MBM_BUF_MAX);
        }
        assert_int_equal(n, 6);
        assert_null(mbm_profile_find("sdm72"));
}

static void test_defaults_and_amend(void **state)
{
        struct mbm_map m;

        load_profile(&m, "sdm120");
        /* replace export, add a rate; defaults: FC 3, ABCD, Wh, scale 1 */
        assert_int_equal(
            parse(&m, " export_wh : 0x0100 : u32 ; rate1_wh:0x200:u32:4:CDAB:kWh:0.01;"), MB_OK);
        expect_entry(&m, MBM_EXPORT, 3, 0x0100, MBD_U32, 1, 1);
        assert_int_equal(m.q[MBM_RATE1].order, MBD_CDAB);
        assert_int_equal(m.q[MBM_RATE1].scale.num, 10);
        assert_int_equal(m.q[MBM_VOLTAGE_L1].reg, 0); /* the profile's stays */

        memset(&m, 0, sizeof(m));
        assert_int_equal(mbm_parse("power:12:f32::::", 16, MBD_DCBA, &m, why, sizeof(why)), MB_OK);
        assert_int_equal(m.q[MBM_POWER].fc, 3);
        assert_int_equal(m.q[MBM_POWER].order, MBD_DCBA); /* the default order given */
        assert_int_equal(m.q[MBM_POWER].scale.num, 1000); /* W */
        mbm_set_order(&m, MBD_BADC);
        assert_int_equal(m.q[MBM_POWER].order, MBD_BADC);
}

/* parse fails and the message contains every needle. */
static void expect_bad(const char *text, const char *n1, const char *n2)
{
        struct mbm_map m;

        memset(&m, 0, sizeof(m));
        assert_int_equal(parse(&m, text), MB_EINVAL);
        if (!strstr(why, n1) || (n2 && !strstr(why, n2)))
                fail_msg("map \"%s\": message \"%s\" lacks \"%s\" / \"%s\"", text, why, n1,
                         n2 ? n2 : "");
}

static void test_parse_errors_name_entry_and_field(void **state)
{
        expect_bad("", "no entries", NULL);
        expect_bad(" ; ;", "no entries", NULL);
        expect_bad("power:1:f32; volts:2:f32", "entry 2 \"volts:2:f32\"", "unknown quantity");
        expect_bad("power:0x1G:f32", "entry 1", "register \"0x1G\"");
        expect_bad("power:70000:f32", "register \"70000\"", NULL);
        expect_bad("power:-1:f32", "register \"-1\"", NULL);
        expect_bad("power:1:f33", "unknown type \"f33\"", NULL);
        expect_bad("power:1", "at least quantity:register:type", NULL);
        expect_bad("power::f32", "at least quantity:register:type", NULL);
        expect_bad("power:1:f32:5", "function \"5\"", "3 (holding registers) or 4");
        expect_bad("power:1:f32:3:ABDC", "unknown order \"ABDC\"", NULL);
        expect_bad("import_wh:1:f32:3:ABCD:kW", "unit \"kW\" does not fit import_wh",
                   "\"Wh\", \"kWh\", \"MWh\"");
        expect_bad("pf:1:s16:3:ABCD:1:x", "scale \"x\"", NULL);
        expect_bad("pf:1:s16:3:ABCD:1:0", "scale \"0\"", NULL);
        expect_bad("pf:1:s16:3:ABCD:1:1:9", "too many fields", NULL);
        expect_bad("power:1:f32; power:3:f32", "entry 2", "power is already given by entry 1");
        expect_bad("voltage:1:f32; voltage_l1:3:f32", "voltage_l1 is already given", NULL);
        expect_bad("import_wh:65533:u64", "runs past register 65535", NULL);
        expect_bad("power:\x01\x02:f32", "register \"??\"", NULL);
}

static void test_three_phase_must_be_whole(void **state)
{
        struct mbm_map m;

        memset(&m, 0, sizeof(m));
        assert_int_equal(parse(&m, "voltage_l1:0:f32; voltage_l3:4:f32"), MB_OK);
        assert_int_equal(mbm_plan(&m, 0, why, sizeof(why)), MB_EINVAL);
        assert_non_null(strstr(why, "voltage_l2 is missing"));
        memset(&m, 0, sizeof(m));
        assert_int_equal(parse(&m, "voltage_l1:0:f32;voltage_l2:2:f32;voltage_l3:4:f32;"
                                   "current:6:f32"),
                         MB_OK);
        assert_int_equal(mbm_plan(&m, 0, why, sizeof(why)), MB_EINVAL);
        assert_non_null(strstr(why, "current_l2 is missing"));
}

static void test_plan_limits(void **state)
{
        struct mbm_map m;

        /* 0 and 124: one request of exactly 125 registers with a gap allowed */
        memset(&m, 0, sizeof(m));
        assert_int_equal(parse(&m, "pf:0:u16; freq:124:u16"), MB_OK);
        assert_int_equal(mbm_plan(&m, 123, why, sizeof(why)), MB_OK);
        assert_int_equal(m.n_blocks, 1);
        assert_int_equal(m.block[0].count, 125);
        /* ... but never 126 */
        memset(&m, 0, sizeof(m));
        assert_int_equal(parse(&m, "pf:0:u16; freq:124:u32"), MB_OK);
        assert_int_equal(mbm_plan(&m, 124, why, sizeof(why)), MB_OK);
        assert_int_equal(m.n_blocks, 2);
        /* without max_gap only touching registers merge */
        memset(&m, 0, sizeof(m));
        assert_int_equal(parse(&m, "pf:0:u16; freq:1:u16; power:3:u16"), MB_OK);
        assert_int_equal(mbm_plan(&m, 0, why, sizeof(why)), MB_OK);
        assert_int_equal(m.n_blocks, 2);
        assert_int_equal(mbm_plan(&m, 1, why, sizeof(why)), MB_OK);
        assert_int_equal(m.n_blocks, 1);
        /* function codes never merge; overlapping entries share a read */
        memset(&m, 0, sizeof(m));
        assert_int_equal(parse(&m, "pf:0:u16:3; freq:0:u16:4; power:0:u32:4"), MB_OK);
        assert_int_equal(mbm_plan(&m, 0, why, sizeof(why)), MB_OK);
        assert_int_equal(m.n_blocks, 2);
        assert_int_equal(m.buf_bytes, 2 + 4);
        assert_int_equal(mbm_plan(&m, 125, why, sizeof(why)), MB_EINVAL);
        /* sdm120 with a generous gap: one request of 76 registers */
        load_profile(&m, "sdm120");
        assert_int_equal(mbm_plan(&m, 60, why, sizeof(why)), MB_OK);
        assert_int_equal(m.n_blocks, 1);
        assert_int_equal(m.block[0].count, 76);
        assert_int_equal(m.q[MBM_EXPORT].off, 2 * 0x4A);
}

static void put_be32(uint8_t *p, uint32_t v)
{
        p[0] = (uint8_t)(v >> 24);
        p[1] = (uint8_t)(v >> 16);
        p[2] = (uint8_t)(v >> 8);
        p[3] = (uint8_t)v;
}

static void test_fill_abb_integers(void **state)
{
        struct mbm_map m;
        uint8_t buf[MBM_BUF_MAX] = {0};
        mb_reading r;

        load_profile(&m, "abb_b21");
        /* import 123456789 (0.01 kWh) in the first block, u64 ABCD */
        uint8_t *imp = buf + m.q[MBM_IMPORT].off;
        imp[4] = 0x07, imp[5] = 0x5B, imp[6] = 0xCD, imp[7] = 0x15;
        put_be32(buf + m.q[MBM_VOLTAGE_L1].off, 2301);                    /* 230.1 V */
        put_be32(buf + m.q[MBM_CURRENT_L1].off, 512);                     /* 5.12 A */
        put_be32(buf + m.q[MBM_POWER].off, (uint32_t)-150000);            /* -1500.00 W */
        buf[m.q[MBM_FREQ].off] = 0x13, buf[m.q[MBM_FREQ].off + 1] = 0x88; /* 50.00 Hz */
        buf[m.q[MBM_PF].off] = 0xFC, buf[m.q[MBM_PF].off + 1] = 0x18;     /* -1.000 */
        memset(&r, 0, sizeof(r));
        r.size = sizeof(r);
        assert_int_equal(mbm_fill(&m, buf, (size_t)m.buf_bytes, NULL, &r, why, sizeof(why)), MB_OK);
        assert_int_equal(r.import_wh, 1234567890);
        assert_int_equal(r.export_wh, 0);
        assert_int_equal(r.voltage_mv[0], 230100);
        assert_int_equal(r.current_ma[0], 5120);
        assert_int_equal(r.power_mw, -1500000);
        assert_int_equal(r.freq_mhz, 50000);
        assert_int_equal(r.pf_milli, -1000);
        assert_int_equal(r.phases, 1);
        assert_int_equal(r.fields, MB_F_IMPORT | MB_F_EXPORT | MB_F_POWER | MB_F_VOLTAGE |
                                       MB_F_CURRENT | MB_F_PF | MB_F_FREQ);
}

/* Per-field readings (issue 16): a quantity that is NaN or out of range is
 * left out with a reason naming its register; the others stay.  Only the
 * import register fails the reading. */
static void test_fill_errors_name_register(void **state)
{
        struct mbm_map m;
        uint8_t buf[MBM_BUF_MAX] = {0};
        mb_reading r;

        load_profile(&m, "sdm120");
        put_be32(buf + m.q[MBM_IMPORT].off, 0x447A0000u); /* 1000.0 kWh */
        put_be32(buf + m.q[MBM_FREQ].off, 0x7FC00000u);   /* NaN */
        memset(&r, 0, sizeof(r));
        r.size = sizeof(r);
        assert_int_equal(mbm_fill(&m, buf, (size_t)m.buf_bytes, NULL, &r, why, sizeof(why)), MB_OK);
        assert_int_equal(r.import_wh, 1000000);
        assert_true(r.fields & (MB_F_IMPORT | MB_F_VOLTAGE | MB_F_POWER));
        assert_false(r.fields & MB_F_FREQ);
        assert_int_equal(r.missing, MB_F_FREQ);
        assert_non_null(strstr(r.missing_why,
                               "freq: FC04 register 0x0046 (f32 ABCD) holds NaN: not available"));

        /* a voltage beyond int32 millivolts is left out, naming its register */
        memset(&m, 0, sizeof(m));
        assert_int_equal(parse(&m, "import_wh:4:u32; voltage:0:u32:3:ABCD:kV"), MB_OK);
        assert_int_equal(mbm_plan(&m, 0, why, sizeof(why)), MB_OK);
        memset(buf, 0, sizeof(buf));
        put_be32(buf + m.q[MBM_VOLTAGE_L1].off, 3000000);
        memset(&r, 0, sizeof(r));
        r.size = sizeof(r);
        assert_int_equal(mbm_fill(&m, buf, (size_t)m.buf_bytes, NULL, &r, why, sizeof(why)), MB_OK);
        assert_int_equal(r.fields, MB_F_IMPORT);
        assert_non_null(strstr(r.missing_why, "voltage_l1: FC03 register 0x0000"));
        /* a buffer shorter than the plan: the import register is missing */
        assert_int_equal(mbm_fill(&m, buf, 2, NULL, &r, why, sizeof(why)), MB_EINVAL);
        assert_non_null(strstr(why, "import_wh: FC03 register 0x0004"));
        /* a block that could not be read: its quantities are left out */
        {
                const char *errs[MBM_Q_COUNT] = {NULL};

                assert_int_equal(mbm_plan(&m, 2, why, sizeof(why)), MB_OK);
                assert_int_equal(m.n_blocks, 1); /* registers 0..5 in one read */
                errs[0] = "no answer within 1000 ms";
                memset(&r, 0, sizeof(r));
                r.size = sizeof(r);
                assert_int_equal(mbm_fill(&m, buf, (size_t)m.buf_bytes, errs, &r, why, sizeof(why)),
                                 MB_EIO);
                assert_non_null(strstr(why, "import_wh: no answer within 1000 ms"));
        }
}

/* A maximum demand register mapped as `demand` (Eastron SDM120: "Maximum
 * import system power demand", input register 0x005A, float W, the register
 * docs/plugins/modbus.md points to): into demand_mw without a time; a
 * negative one is left out; an agent without the field gets none. */
static void test_fill_demand(void **state)
{
        struct mbm_map m;
        uint8_t buf[MBM_BUF_MAX] = {0};
        mb_reading r;

        memset(&m, 0, sizeof(m));
        assert_int_equal(parse(&m, "import_wh:0x0048:f32:4:ABCD:kWh; demand:0x005A:f32:4:ABCD:W"),
                         MB_OK);
        assert_int_equal(mbm_plan(&m, MBM_DEFAULT_MAX_GAP, why, sizeof(why)), MB_OK);
        expect_entry(&m, MBM_DEMAND, 4, 0x005A, MBD_F32, 1000, 1);
        put_be32(buf + m.q[MBM_IMPORT].off, 0x447A0000u); /* 1000.0 kWh */
        put_be32(buf + m.q[MBM_DEMAND].off, 0x45960000u); /* 4800.0 W */
        memset(&r, 0, sizeof(r));
        r.size = sizeof(r);
        assert_int_equal(mbm_fill(&m, buf, (size_t)m.buf_bytes, NULL, &r, why, sizeof(why)), MB_OK);
        assert_int_equal(r.fields, MB_F_IMPORT | MB_F_DEMAND);
        assert_int_equal(r.demand_mw, 4800000);
        assert_int_equal(r.demand_time, 0);
        put_be32(buf + m.q[MBM_DEMAND].off, 0xC5960000u); /* -4800.0 W */
        memset(&r, 0, sizeof(r));
        r.size = sizeof(r);
        assert_int_equal(mbm_fill(&m, buf, (size_t)m.buf_bytes, NULL, &r, why, sizeof(why)), MB_OK);
        assert_int_equal(r.fields, MB_F_IMPORT);
        assert_non_null(strstr(r.missing_why, "demand: FC04 register 0x005A"));
        memset(&r, 0, sizeof(r));
        r.size = offsetof(mb_reading, demand_mw); /* an older agent's reading */
        assert_int_equal(mbm_fill(&m, buf, (size_t)m.buf_bytes, NULL, &r, why, sizeof(why)), MB_OK);
        assert_int_equal(r.fields, MB_F_IMPORT);
}

/* Every built-in profile reads a whole reading in at most two requests with
 * the default gap, and no request is over 125 registers (issue 16: the
 * DDSU666 made four). */
static void test_profiles_two_requests(void **state)
{
        for (const struct mbm_profile *p = mbm_profiles; p->name; p++) {
                struct mbm_map m;

                memset(&m, 0, sizeof(m));
                assert_int_equal(parse(&m, p->map), MB_OK);
                assert_int_equal(mbm_plan(&m, MBM_DEFAULT_MAX_GAP, why, sizeof(why)), MB_OK);
                if (m.n_blocks > 2)
                        fail_msg("%s: %d requests", p->name, m.n_blocks);
                for (int i = 0; i < m.n_blocks; i++)
                        assert_true(m.block[i].count <= MBM_MAX_REGS_PER_READ);
        }
}

/* Not-available markers (ABB: the type's largest value) are never values:
 * 0xFFFF is not 655.35 Hz, 0x7FFFFFFF not 21 MW.  They leave the quantity
 * out and keep the reading; on the import register they fail it. */
static void test_fill_not_available_markers(void **state)
{
        struct mbm_map m;
        uint8_t buf[MBM_BUF_MAX] = {0};
        mb_reading r;
        uint8_t *imp;

        load_profile(&m, "abb_b21");
        assert_int_equal(m.na_max, 1);
        imp = buf + m.q[MBM_IMPORT].off;
        imp[7] = 100;                                                     /* 1.00 kWh */
        put_be32(buf + m.q[MBM_POWER].off, 0x7FFFFFFFu);                  /* s32 marker */
        buf[m.q[MBM_FREQ].off] = 0xFF, buf[m.q[MBM_FREQ].off + 1] = 0xFF; /* u16 marker */
        buf[m.q[MBM_PF].off] = 0x7F, buf[m.q[MBM_PF].off + 1] = 0xFF;     /* s16 marker */
        put_be32(buf + m.q[MBM_VOLTAGE_L1].off, 2301);
        memset(&r, 0, sizeof(r));
        r.size = sizeof(r);
        assert_int_equal(mbm_fill(&m, buf, (size_t)m.buf_bytes, NULL, &r, why, sizeof(why)), MB_OK);
        assert_int_equal(r.import_wh, 1000);
        assert_int_equal(r.voltage_mv[0], 230100);
        assert_int_equal(r.missing, MB_F_POWER | MB_F_FREQ | MB_F_PF);
        assert_false(r.fields & (MB_F_POWER | MB_F_FREQ | MB_F_PF));
        assert_non_null(strstr(r.missing_why, "freq: FC03 register 0x5B2C (u16 ABCD) holds 65535: "
                                              "not available"));
        assert_non_null(strstr(r.missing_why, "power: FC03 register 0x5B14"));
        /* Without the vendor's markers the same bits would be values. */
        m.na_max = 0;
        memset(&r, 0, sizeof(r));
        r.size = sizeof(r);
        assert_int_equal(mbm_fill(&m, buf, (size_t)m.buf_bytes, NULL, &r, why, sizeof(why)), MB_OK);
        assert_int_equal(r.freq_mhz, 655350);
        /* The energy register at its marker fails the reading. */
        m.na_max = 1;
        memset(imp, 0xFF, 8);
        assert_int_equal(mbm_fill(&m, buf, (size_t)m.buf_bytes, NULL, &r, why, sizeof(why)),
                         MB_ERANGE);
        assert_non_null(strstr(why, "import_wh: FC03 register 0x5000 (u64 ABCD)"));
}

/* ---- answers ------------------------------------------------------------ */

static int check(int transport, const uint8_t *req, const uint8_t *adu, size_t len, int *exc)
{
        const uint8_t *data;
        size_t n;

        why[0] = '\0';
        return mbf_check(transport, req, adu, len, &data, &n, exc, why, sizeof(why));
}

static size_t rtu(uint8_t *frame, size_t len)
{
        uint16_t crc = mbf_crc16(frame, len);

        frame[len] = (uint8_t)crc;
        frame[len + 1] = (uint8_t)(crc >> 8);
        return len + 2;
}

static void test_crc16_known_frame(void **state)
{
        /* 01 03 00 00 00 0A -> CRC C5 CD (on the wire) */
        static const uint8_t f[] = {0x01, 0x03, 0x00, 0x00, 0x00, 0x0A};
        uint8_t adu[16];

        assert_int_equal(mbf_crc16(f, sizeof(f)), 0xCDC5);
        assert_int_equal(mbf_adu(MBF_RTU, f, sizeof(f), adu), 8);
        assert_int_equal(adu[6], 0xC5);
        assert_int_equal(adu[7], 0xCD);
        assert_int_equal(mbf_adu(MBF_TCP, f, sizeof(f), adu), 12);
        assert_memory_equal(adu, ((uint8_t[]){0, 0, 0, 0, 0, 6, 1, 3, 0, 0, 0, 0x0A}), 12);
}

static void test_check_answers(void **state)
{
        uint8_t req[MBF_RAW_REQ_LEN], a[32];
        int exc;
        size_t n;

        mbf_request(req, 7, 3, 0x2000, 2);
        /* good RTU answer */
        memcpy(a, (uint8_t[]){7, 3, 4, 0x43, 0x66, 0x80, 0x00}, 7);
        n = rtu(a, 7);
        assert_int_equal(check(MBF_RTU, req, a, n, &exc), MB_OK);
        /* CRC broken */
        a[n - 1] ^= 1;
        assert_int_equal(check(MBF_RTU, req, a, n, &exc), MB_EPROTO);
        assert_non_null(strstr(why, "CRC error"));
        /* another unit */
        a[0] = 9;
        n = rtu(a, 7);
        assert_int_equal(check(MBF_RTU, req, a, n, &exc), MB_EADDR);
        assert_int_equal(exc, 9);
        assert_string_equal(why, "answer from unit 9, not 7");
        /* exception 2 */
        memcpy(a, (uint8_t[]){7, 0x83, 2}, 3);
        n = rtu(a, 3);
        assert_int_equal(check(MBF_RTU, req, a, n, &exc), MB_EDEVICE);
        assert_int_equal(exc, 2);
        assert_string_equal(why, "exception 2 (illegal data address)");
        /* wrong byte count */
        memcpy(a, (uint8_t[]){7, 3, 2, 0, 1}, 5);
        n = rtu(a, 5);
        assert_int_equal(check(MBF_RTU, req, a, n, &exc), MB_EPROTO);
        assert_non_null(strstr(why, "byte count 2"));
        /* wrong function */
        memcpy(a, (uint8_t[]){7, 4, 4, 0, 0, 0, 0}, 7);
        n = rtu(a, 7);
        assert_int_equal(check(MBF_RTU, req, a, n, &exc), MB_EPROTO);
        /* short */
        assert_int_equal(check(MBF_RTU, req, a, 3, &exc), MB_EPROTO);

        /* TCP: transaction 0, protocol 0, length, unit */
        memcpy(a, (uint8_t[]){0, 0, 0, 0, 0, 7, 7, 3, 4, 1, 2, 3, 4}, 13);
        assert_int_equal(check(MBF_TCP, req, a, 13, &exc), MB_OK);
        a[6] = 1;
        assert_int_equal(check(MBF_TCP, req, a, 13, &exc), MB_EADDR);
        a[6] = 7;
        a[1] = 5;
        assert_int_equal(check(MBF_TCP, req, a, 13, &exc), MB_EPROTO);
        assert_non_null(strstr(why, "transaction 5"));
        a[1] = 0;
        a[5] = 8;
        assert_int_equal(check(MBF_TCP, req, a, 13, &exc), MB_EPROTO);
        assert_non_null(strstr(why, "MBAP length"));
        memcpy(a, (uint8_t[]){0, 0, 0, 0, 0, 3, 7, 0x83, 11}, 9);
        assert_int_equal(check(MBF_TCP, req, a, 9, &exc), MB_EDEVICE);
        assert_non_null(strstr(why, "gateway target device failed to respond"));
}

static void test_check_writes_and_bits(void **state)
{
        uint8_t req[MBF_RAW_REQ_LEN], a[16];
        int exc;
        size_t n;

        mbf_request(req, 1, 5, 0x0010, 0xFF00);
        memcpy(a, req, 6);
        n = rtu(a, 6);
        assert_int_equal(check(MBF_RTU, req, a, n, &exc), MB_OK);
        a[4] = 0;
        n = rtu(a, 6);
        assert_int_equal(check(MBF_RTU, req, a, n, &exc), MB_EPROTO);
        assert_non_null(strstr(why, "not what was written"));

        mbf_request(req, 1, 1, 0x0010, 1);
        memcpy(a, (uint8_t[]){1, 1, 1, 1}, 4);
        n = rtu(a, 4);
        assert_int_equal(check(MBF_RTU, req, a, n, &exc), MB_OK);
        assert_int_equal(mbf_rtu_frame_len(a, sizeof(a)), 6);
        assert_string_equal(mbf_exception_name(99), "unknown exception");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_profile_ddsu666),
            cmocka_unit_test(test_profile_dtsu666),
            cmocka_unit_test(test_profile_sdm),
            cmocka_unit_test(test_profile_abb),
            cmocka_unit_test(test_every_profile_listed),
            cmocka_unit_test(test_defaults_and_amend),
            cmocka_unit_test(test_parse_errors_name_entry_and_field),
            cmocka_unit_test(test_three_phase_must_be_whole),
            cmocka_unit_test(test_plan_limits),
            cmocka_unit_test(test_fill_abb_integers),
            cmocka_unit_test(test_fill_demand),
            cmocka_unit_test(test_fill_errors_name_register),
            cmocka_unit_test(test_fill_not_available_markers),
            cmocka_unit_test(test_profiles_two_requests),
            cmocka_unit_test(test_crc16_known_frame),
            cmocka_unit_test(test_check_answers),
            cmocka_unit_test(test_check_writes_and_bits),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
