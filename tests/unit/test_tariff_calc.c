/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Charging with the example tariffs, checked against amounts computed by hand
 * (in the comments).  Prices are in 1e-4 yuan/kWh, exact amounts in 1e-7
 * yuan (price x Wh), and every line is rounded to fen once, half away from
 * zero.  TZ is Asia/Shanghai (UTC+8, no DST).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_tariff_util.h"

#define BJ 20120701 /* version dates */
#define ZJ 20120701

struct fx {
        mb_tariff *bj, *zj, *flat, *ent;
        mb_tariff_acc *acc;
        char err[512];
};

static int setup(void **state)
{
        struct fx *f = calloc(1, sizeof(*f));

        tt_tz();
        f->bj = tt_load("beijing-residential.conf");
        f->zj = tt_load("zhejiang-residential.conf");
        f->flat = tt_load("flat.conf");
        f->ent = tt_load("enterprise-tou-demand.conf");
        f->acc = mb_tariff_acc_new();
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fx *f = *state;

        mb_tariff_free(f->bj);
        mb_tariff_free(f->zj);
        mb_tariff_free(f->flat);
        mb_tariff_free(f->ent);
        mb_tariff_acc_free(f->acc);
        free(f);
        return 0;
}

static int reset(void **state)
{
        struct fx *f = *state;

        mb_tariff_acc_reset(f->acc);
        f->err[0] = '\0';
        return 0;
}

/* ---- Beijing: monthly tiers 240 / 400 kWh ------------------------------ */

static void check_bj_500(const mb_tariff_acc *acc)
{
        /* 240 kWh x 0.4883 = 117.192  -> 117.19
         * 160 kWh x 0.5383 =  86.128  ->  86.13
         * 100 kWh x 0.7883 =  78.830  ->  78.83     total 282.15 */
        assert_int_equal(mb_tariff_acc_count(acc), 3);
        tt_energy(acc, 0, BJ, 1, MB_RATE_NONE, 240000, 4883, 1171920000, 11719);
        tt_energy(acc, 1, BJ, 2, MB_RATE_NONE, 160000, 5383, 861280000, 8613);
        tt_energy(acc, 2, BJ, 3, MB_RATE_NONE, 100000, 7883, 788300000, 7883);
        assert_int_equal(tt_total(acc), 28215);
}

static void test_bj_500_kwh_one_interval(void **state)
{
        struct fx *f = *state;
        mb_tier_pos pos = {0};
        mb_tariff_reading r0 = tt_rd(tt_lt(2024, 5, 1, 0, 0), 1000000);
        mb_tariff_reading r1 = tt_rd(tt_lt(2024, 6, 1, 0, 0), 1500000);

        assert_int_equal(mb_tariff_charge(f->bj, &r0, &r1, &pos, f->acc, f->err, 512), MB_OK);
        check_bj_500(f->acc);
        assert_int_equal(pos.period_start, tt_lt(2024, 5, 1, 0, 0));
        assert_int_equal(pos.used_wh, 500000);
        assert_int_equal(mb_tariff_acc_flags(f->acc), 0);
}

static void test_bj_500_kwh_three_readings(void **state)
{
        struct fx *f = *state;
        mb_tier_pos pos = {0};
        /* 200 + 250 + 50 kWh: tier 1 fills in the second interval, tier 2 in
         * the second and third, tier 3 in the third.  Same lines. */
        mb_tariff_reading r[4] = {
            tt_rd(tt_lt(2024, 5, 1, 0, 0), 0), tt_rd(tt_lt(2024, 5, 9, 7, 13), 200000),
            tt_rd(tt_lt(2024, 5, 20, 23, 59), 450000), tt_rd(tt_lt(2024, 5, 31, 12, 0), 500000)};

        for (int i = 1; i < 4; i++)
                assert_int_equal(
                    mb_tariff_charge(f->bj, &r[i - 1], &r[i], &pos, f->acc, f->err, 512), MB_OK);
        check_bj_500(f->acc);

        mb_tariff_acc_reset(f->acc);
        pos = (mb_tier_pos){0};
        assert_int_equal(mb_tariff_charge_readings(f->bj, r, 4, &pos, f->acc, f->err, 512), MB_OK);
        check_bj_500(f->acc);
}

static void test_bj_round_once_per_line(void **state)
{
        struct fx *f = *state;
        mb_tier_pos pos = {0};
        mb_tariff_reading r[3] = {tt_rd(tt_lt(2024, 5, 1, 0, 0), 0),
                                  tt_rd(tt_lt(2024, 5, 1, 1, 0), 500),
                                  tt_rd(tt_lt(2024, 5, 1, 2, 0), 1000)};

        /* Two half-kWh intervals: each alone would be 0.24415 -> 0.24, but the
         * line holds 1000 Wh x 0.4883 = 0.4883 exactly and rounds once to 0.49. */
        assert_int_equal(mb_tariff_charge_readings(f->bj, r, 3, &pos, f->acc, f->err, 512), MB_OK);
        assert_int_equal(mb_tariff_acc_count(f->acc), 1);
        tt_energy(f->acc, 0, BJ, 1, MB_RATE_NONE, 1000, 4883, 4883000, 49);
        assert_int_equal(tt_total(f->acc), 49);
}

static void test_bj_month_boundary_resets_tiers(void **state)
{
        struct fx *f = *state;
        /* 235 kWh used in May; 48 kWh from May 31 12:00 to June 1 12:00, split
         * by time 24/24 kWh at midnight.  May: 5 kWh in tier 1, 19 in tier 2;
         * June starts at 0: 24 kWh in tier 1.
         *   tier 1: 29 kWh x 0.4883 = 14.1607 -> 14.16
         *   tier 2: 19 kWh x 0.5383 = 10.2277 -> 10.23       total 24.39 */
        mb_tier_pos pos = {tt_lt(2024, 5, 1, 0, 0), 235000};
        mb_tariff_reading r0 = tt_rd(tt_lt(2024, 5, 31, 12, 0), 7000000);
        mb_tariff_reading r1 = tt_rd(tt_lt(2024, 6, 1, 12, 0), 7048000);

        assert_int_equal(mb_tariff_charge(f->bj, &r0, &r1, &pos, f->acc, f->err, 512), MB_OK);
        assert_int_equal(mb_tariff_acc_count(f->acc), 2);
        tt_energy(f->acc, 0, BJ, 1, MB_RATE_NONE, 29000, 4883, 141607000, 1416);
        tt_energy(f->acc, 1, BJ, 2, MB_RATE_NONE, 19000, 5383, 102277000, 1023);
        assert_int_equal(tt_total(f->acc), 2439);
        assert_int_equal(pos.period_start, tt_lt(2024, 6, 1, 0, 0));
        assert_int_equal(pos.used_wh, 24000);
        assert_int_equal(mb_tariff_acc_flags(f->acc), MB_CHARGE_BLOCK_SPLIT);
}

/* ---- Zhejiang: annual tiers 2760 / 4800 kWh, peak 08-22, valley 22-08 ---- */

static void test_zj_tier_and_year_boundary_by_time(void **state)
{
        struct fx *f = *state;
        /* 2700 kWh used in 2023.  200 kWh from 2023-12-31 12:00 to 2024-01-01
         * 12:00, no rate registers.
         * Split at the new year by time: 100 kWh each side.
         * 2023 side (10 h peak, 2 h valley): peak 83333.3, valley 16666.7 Wh
         *   -> 83333 / 16667 (the spare Wh to the larger remainder).
         *   Tier 1 has 60 kWh left: 60000 spread 83333:16667 -> 49999.8 /
         *   10000.2 -> 50000 / 10000; tier 2 gets the rest 33333 / 6667.
         * 2024 side (8 h valley, 4 h peak), tiers reset: valley 66667, peak
         *   33333, all tier 1.
         * Lines:
         *   T1 peak   83333 Wh x 0.568 = 47.333144 -> 47.33
         *   T1 valley 76667 Wh x 0.288 = 22.080096 -> 22.08
         *   T2 peak   33333 Wh x 0.618 = 20.599794 -> 20.60
         *   T2 valley  6667 Wh x 0.338 =  2.253446 ->  2.25    total 92.26 */
        mb_tier_pos pos = {tt_lt(2023, 1, 1, 0, 0), 2700000};
        mb_tariff_reading r0 = tt_rd(tt_lt(2023, 12, 31, 12, 0), 9000000);
        mb_tariff_reading r1 = tt_rd(tt_lt(2024, 1, 1, 12, 0), 9200000);

        assert_int_equal(mb_tariff_charge(f->zj, &r0, &r1, &pos, f->acc, f->err, 512), MB_OK);
        assert_int_equal(mb_tariff_acc_count(f->acc), 4);
        tt_energy(f->acc, 0, ZJ, 1, MB_RATE_PEAK, 83333, 5680, 473331440, 4733);
        tt_energy(f->acc, 1, ZJ, 1, MB_RATE_VALLEY, 76667, 2880, 220800960, 2208);
        tt_energy(f->acc, 2, ZJ, 2, MB_RATE_PEAK, 33333, 6180, 205997940, 2060);
        tt_energy(f->acc, 3, ZJ, 2, MB_RATE_VALLEY, 6667, 3380, 22534460, 225);
        assert_int_equal(tt_total(f->acc), 9226);
        assert_int_equal(pos.period_start, tt_lt(2024, 1, 1, 0, 0));
        assert_int_equal(pos.used_wh, 100000);
        assert_int_equal(mb_tariff_acc_flags(f->acc), MB_CHARGE_TIME_SPLIT | MB_CHARGE_BLOCK_SPLIT);
}

static void test_zj_tier_boundary_inside_interval_registers(void **state)
{
        struct fx *f = *state;
        /* 2750 kWh used this year; one day with peak 30 kWh, valley 20 kWh
         * (registers).  10 kWh fit in tier 1, 40 kWh go to tier 2, each spread
         * 3:2 over peak and valley.
         *   T1 peak    6 kWh x 0.568 =  3.408 ->  3.41
         *   T1 valley  4 kWh x 0.288 =  1.152 ->  1.15
         *   T2 peak   24 kWh x 0.618 = 14.832 -> 14.83
         *   T2 valley 16 kWh x 0.338 =  5.408 ->  5.41      total 24.80 */
        mb_tier_pos pos = {tt_lt(2024, 1, 1, 0, 0), 2750000};
        mb_tariff_reading r0 = tt_rdr(tt_lt(2024, 6, 10, 0, 0), 0, 1000000, 0, 2000000);
        mb_tariff_reading r1 = tt_rdr(tt_lt(2024, 6, 11, 0, 0), 0, 1030000, 0, 2020000);

        assert_int_equal(mb_tariff_charge(f->zj, &r0, &r1, &pos, f->acc, f->err, 512), MB_OK);
        assert_int_equal(mb_tariff_acc_count(f->acc), 4);
        tt_energy(f->acc, 0, ZJ, 1, MB_RATE_PEAK, 6000, 5680, 34080000, 341);
        tt_energy(f->acc, 1, ZJ, 1, MB_RATE_VALLEY, 4000, 2880, 11520000, 115);
        tt_energy(f->acc, 2, ZJ, 2, MB_RATE_PEAK, 24000, 6180, 148320000, 1483);
        tt_energy(f->acc, 3, ZJ, 2, MB_RATE_VALLEY, 16000, 3380, 54080000, 541);
        assert_int_equal(tt_total(f->acc), 2480);
        assert_int_equal(pos.used_wh, 2800000);
        assert_int_equal(mb_tariff_acc_flags(f->acc), 0);
}

static void test_zj_year_boundary_registers(void **state)
{
        struct fx *f = *state;
        /* 2759 kWh used in 2023.  10 kWh valley (register) from 2023-12-31
         * 22:00 to 2024-01-01 08:00: valley seconds 2 h / 8 h -> 2 / 8 kWh.
         * 2023: 1 kWh in tier 1, 1 kWh in tier 2; 2024: 8 kWh in tier 1.
         *   T1 valley 9 kWh x 0.288 = 2.592 -> 2.59
         *   T2 valley 1 kWh x 0.338 = 0.338 -> 0.34           total 2.93 */
        mb_tier_pos pos = {tt_lt(2023, 1, 1, 0, 0), 2759000};
        mb_tariff_reading r0 = tt_rdr(tt_lt(2023, 12, 31, 22, 0), 0, 500, 0, 700);
        mb_tariff_reading r1 = tt_rdr(tt_lt(2024, 1, 1, 8, 0), 0, 500, 0, 10700);

        assert_int_equal(mb_tariff_charge(f->zj, &r0, &r1, &pos, f->acc, f->err, 512), MB_OK);
        assert_int_equal(mb_tariff_acc_count(f->acc), 2);
        tt_energy(f->acc, 0, ZJ, 1, MB_RATE_VALLEY, 9000, 2880, 25920000, 259);
        tt_energy(f->acc, 1, ZJ, 2, MB_RATE_VALLEY, 1000, 3380, 3380000, 34);
        assert_int_equal(tt_total(f->acc), 293);
        assert_int_equal(pos.period_start, tt_lt(2024, 1, 1, 0, 0));
        assert_int_equal(pos.used_wh, 8000);
        assert_int_equal(mb_tariff_acc_flags(f->acc), MB_CHARGE_BLOCK_SPLIT);
}

static void test_zj_whole_year(void **state)
{
        struct fx *f = *state;
        /* A year: peak 3000 kWh, valley 2000 kWh (3:2).
         *   T1 2760 kWh: peak 1656 x 0.568 = 940.608 -> 940.61
         *                valley 1104 x 0.288 = 317.952 -> 317.95
         *   T2 2040 kWh: peak 1224 x 0.618 = 756.432 -> 756.43
         *                valley 816 x 0.338 = 275.808 -> 275.81
         *   T3  200 kWh: peak  120 x 0.868 = 104.160 -> 104.16
         *                valley  80 x 0.588 =  47.040 ->  47.04
         *   total 2442.00 */
        mb_tier_pos pos = {0};
        mb_tariff_reading r0 = tt_rdr(tt_lt(2024, 1, 1, 0, 0), 0, 0, 0, 0);
        mb_tariff_reading r1 = tt_rdr(tt_lt(2025, 1, 1, 0, 0), 0, 3000000, 0, 2000000);

        assert_int_equal(mb_tariff_bill_month(f->zj, &r0, &r1, 0, &pos, f->acc, f->err, 512),
                         MB_OK);
        assert_int_equal(mb_tariff_acc_count(f->acc), 6);
        tt_energy(f->acc, 0, ZJ, 1, MB_RATE_PEAK, 1656000, 5680, 9406080000, 94061);
        tt_energy(f->acc, 1, ZJ, 1, MB_RATE_VALLEY, 1104000, 2880, 3179520000, 31795);
        tt_energy(f->acc, 2, ZJ, 2, MB_RATE_PEAK, 1224000, 6180, 7564320000, 75643);
        tt_energy(f->acc, 3, ZJ, 2, MB_RATE_VALLEY, 816000, 3380, 2758080000, 27581);
        tt_energy(f->acc, 4, ZJ, 3, MB_RATE_PEAK, 120000, 8680, 1041600000, 10416);
        tt_energy(f->acc, 5, ZJ, 3, MB_RATE_VALLEY, 80000, 5880, 470400000, 4704);
        assert_int_equal(tt_total(f->acc), 244200);
}

static void test_zj_flat_register_and_unpriced_rate(void **state)
{
        struct fx *f = *state;
        mb_tier_pos pos = {0};
        /* The flat register is priced (0.538) even though no period uses it:
         * 1 kWh flat -> 0.538 -> 0.54.  Sharp is not priced: its 3 kWh are
         * spread over the day 14 h peak : 10 h valley = 1750 / 1250 Wh. */
        mb_tariff_reading r0 = tt_rdr(tt_lt(2024, 6, 10, 0, 0), 0, 0, 0, 0);
        mb_tariff_reading r1 = tt_rdr(tt_lt(2024, 6, 11, 0, 0), 3000, 0, 1000, 0);

        assert_int_equal(mb_tariff_charge(f->zj, &r0, &r1, &pos, f->acc, f->err, 512), MB_OK);
        assert_int_equal(mb_tariff_acc_count(f->acc), 3);
        tt_energy(f->acc, 0, ZJ, 1, MB_RATE_PEAK, 1750, 5680, 9940000, 99);
        tt_energy(f->acc, 1, ZJ, 1, MB_RATE_FLAT, 1000, 5380, 5380000, 54);
        tt_energy(f->acc, 2, ZJ, 1, MB_RATE_VALLEY, 1250, 2880, 3600000, 36);
        assert_int_equal(mb_tariff_acc_flags(f->acc), MB_CHARGE_RATE_UNPRICED);
}

static void test_zj_rate_mismatch(void **state)
{
        struct fx *f = *state;
        mb_tier_pos pos = {0};
        /* Import says 10 kWh, rate registers 6 + 3 = 9 kWh: the import delta
         * is apportioned 6:3 -> 6667 / 3333 Wh. */
        mb_tariff_reading r0 = tt_rdr(tt_lt(2024, 6, 10, 0, 0), 0, 0, 0, 0);
        mb_tariff_reading r1 = tt_rdr(tt_lt(2024, 6, 11, 0, 0), 0, 6000, 0, 3000);

        r1.import_wh = 10000;
        assert_int_equal(mb_tariff_charge(f->zj, &r0, &r1, &pos, f->acc, f->err, 512), MB_OK);
        tt_energy(f->acc, 0, ZJ, 1, MB_RATE_PEAK, 6667, 5680, 6667 * 5680, 379);
        tt_energy(f->acc, 1, ZJ, 1, MB_RATE_VALLEY, 3333, 2880, 3333 * 2880, 96);
        assert_int_equal(mb_tariff_acc_flags(f->acc), MB_CHARGE_RATE_MISMATCH);
        assert_int_equal(pos.used_wh, 10000);
}

/* ---- versions, fixed and demand charges -------------------------------- */

static void test_flat_version_change_splits(void **state)
{
        struct fx *f = *state;
        mb_tier_pos pos = {0};
        /* 24 kWh from 2024-06-30 12:00 to 07-01 12:00: 12 kWh at 0.50 (2020
         * version) = 6.00, 12 kWh at 0.55 (2024-07 version) = 6.60. */
        mb_tariff_reading r0 = tt_rd(tt_lt(2024, 6, 30, 12, 0), 0);
        mb_tariff_reading r1 = tt_rd(tt_lt(2024, 7, 1, 12, 0), 24000);

        assert_int_equal(mb_tariff_charge(f->flat, &r0, &r1, &pos, f->acc, f->err, 512), MB_OK);
        assert_int_equal(mb_tariff_acc_count(f->acc), 2);
        tt_energy(f->acc, 0, 20200101, 1, MB_RATE_NONE, 12000, 5000, 60000000, 600);
        tt_energy(f->acc, 1, 20240701, 1, MB_RATE_NONE, 12000, 5500, 66000000, 660);
        assert_int_equal(tt_total(f->acc), 1260);
}

static void test_flat_bill_month_fixed(void **state)
{
        struct fx *f = *state;
        mb_tier_pos pos = {0};
        mb_tariff_line l;
        /* July 2024: 300 kWh x 0.55 = 165.00, plus the fixed 5.00 = 170.00. */
        mb_tariff_reading r0 = tt_rd(tt_lt(2024, 7, 1, 0, 0), 100000);
        mb_tariff_reading r1 = tt_rd(tt_lt(2024, 8, 1, 0, 0), 400000);

        assert_int_equal(mb_tariff_bill_month(f->flat, &r0, &r1, 0, &pos, f->acc, f->err, 512),
                         MB_OK);
        assert_int_equal(mb_tariff_acc_count(f->acc), 2);
        tt_energy(f->acc, 0, 20240701, 1, MB_RATE_NONE, 300000, 5500, 1650000000, 16500);
        assert_int_equal(mb_tariff_acc_line(f->acc, 1, &l), MB_OK);
        assert_int_equal(l.kind, MB_LINE_FIXED);
        assert_int_equal(l.qty, 1);
        assert_int_equal(l.price, 50000);
        assert_int_equal(l.fen, 500);
        assert_int_equal(tt_total(f->acc), 17000);
}

static void test_enterprise_bill_with_demand(void **state)
{
        struct fx *f = *state;
        mb_tier_pos pos = {0};
        mb_tariff_line l;
        /* July 2024, registers: sharp 1000 kWh x 1.20 = 1200.00, peak 3000 x 1.00
         * = 3000.00, flat 4000 x 0.62 = 2480.00, valley 2000 x 0.30 = 600.00;
         * fixed 20.00; demand 500 kW x 38.00 = 19000.00.  Total 26300.00. */
        mb_tariff_reading r0 = tt_rdr(tt_lt(2024, 7, 1, 0, 0), 0, 0, 0, 0);
        mb_tariff_reading r1 = tt_rdr(tt_lt(2024, 8, 1, 0, 0), 1000000, 3000000, 4000000, 2000000);

        assert_int_equal(mb_tariff_bill_month(f->ent, &r0, &r1, 500000, &pos, f->acc, f->err, 512),
                         MB_OK);
        assert_int_equal(mb_tariff_acc_count(f->acc), 6);
        tt_energy(f->acc, 0, 20240101, 1, MB_RATE_SHARP, 1000000, 12000, 12000000000, 120000);
        tt_energy(f->acc, 3, 20240101, 1, MB_RATE_VALLEY, 2000000, 3000, 6000000000, 60000);
        assert_int_equal(mb_tariff_acc_line(f->acc, 5, &l), MB_OK);
        assert_int_equal(l.kind, MB_LINE_DEMAND);
        assert_int_equal(l.qty, 500000);
        assert_int_equal(l.price, 380000);
        assert_int_equal(l.fen, 1900000);
        assert_int_equal(tt_total(f->acc), 2630000);
}

static void test_enterprise_periods(void **state)
{
        struct fx *f = *state;

        assert_int_equal(mb_tariff_rate_at(f->ent, tt_lt(2024, 3, 15, 10, 30)), MB_RATE_PEAK);
        assert_int_equal(mb_tariff_rate_at(f->ent, tt_lt(2024, 3, 15, 12, 0)), MB_RATE_FLAT);
        assert_int_equal(mb_tariff_rate_at(f->ent, tt_lt(2024, 3, 15, 7, 59)), MB_RATE_VALLEY);
        assert_int_equal(mb_tariff_rate_at(f->ent, tt_lt(2024, 7, 15, 10, 30)), MB_RATE_SHARP);
        assert_int_equal(mb_tariff_rate_at(f->ent, tt_lt(2024, 8, 31, 20, 0)), MB_RATE_SHARP);
        assert_int_equal(mb_tariff_rate_at(f->ent, tt_lt(2024, 9, 1, 20, 0)), MB_RATE_PEAK);
        /* Holidays: 23:00-07:00 valley, else flat, each day on its own. */
        assert_int_equal(mb_tariff_rate_at(f->ent, tt_lt(2024, 5, 1, 10, 30)), MB_RATE_FLAT);
        assert_int_equal(mb_tariff_rate_at(f->ent, tt_lt(2024, 5, 1, 6, 59)), MB_RATE_VALLEY);
        assert_int_equal(mb_tariff_rate_at(f->ent, tt_lt(2024, 5, 1, 23, 30)), MB_RATE_VALLEY);
        assert_int_equal(mb_tariff_rate_at(f->ent, tt_lt(2024, 4, 30, 23, 30)), MB_RATE_FLAT);
        assert_int_equal(mb_tariff_rate_at(f->ent, tt_lt(2025, 1, 29, 12, 0)), MB_RATE_FLAT);
        assert_int_equal(mb_tariff_rate_at(f->ent, tt_lt(2025, 1, 31, 12, 0)), MB_RATE_FLAT);
        assert_int_equal(mb_tariff_rate_at(f->ent, tt_lt(2025, 1, 31, 10, 0)), MB_RATE_PEAK);
        assert_int_equal(mb_tariff_rate_at(f->ent, tt_lt(2023, 12, 31, 12, 0)), MB_ENOENT);
}

static void test_enterprise_time_split_holiday(void **state)
{
        struct fx *f = *state;
        mb_tier_pos pos = {0};
        /* 2024-04-30 20:00 to 05-01 10:00 (14 h), 14 kWh, no registers.
         * Apr 30: 20-21 peak 1 h, 21-24 flat 3 h; May 1 (holiday): 00-07
         * valley 7 h, 07-10 flat 3 h.  1 kWh per hour exactly:
         *   peak 1 kWh x 1.00 = 1.00; flat 6 kWh x 0.62 = 3.72;
         *   valley 7 kWh x 0.30 = 2.10                          total 6.82 */
        mb_tariff_reading r0 = tt_rd(tt_lt(2024, 4, 30, 20, 0), 0);
        mb_tariff_reading r1 = tt_rd(tt_lt(2024, 5, 1, 10, 0), 14000);

        assert_int_equal(mb_tariff_charge(f->ent, &r0, &r1, &pos, f->acc, f->err, 512), MB_OK);
        assert_int_equal(mb_tariff_acc_count(f->acc), 3);
        tt_energy(f->acc, 0, 20240101, 1, MB_RATE_PEAK, 1000, 10000, 10000000, 100);
        tt_energy(f->acc, 1, 20240101, 1, MB_RATE_FLAT, 6000, 6200, 37200000, 372);
        tt_energy(f->acc, 2, 20240101, 1, MB_RATE_VALLEY, 7000, 3000, 21000000, 210);
        /* April 30 and May 1 are different months: the interval is cut there. */
        assert_int_equal(mb_tariff_acc_flags(f->acc), MB_CHARGE_TIME_SPLIT | MB_CHARGE_BLOCK_SPLIT);
}

/* ---- errors leave everything unchanged --------------------------------- */

static void test_errors(void **state)
{
        struct fx *f = *state;
        mb_tier_pos pos = {tt_lt(2024, 5, 1, 0, 0), 1000}, before = pos;
        mb_tariff_reading a = tt_rd(tt_lt(2024, 5, 2, 0, 0), 5000);
        mb_tariff_reading b = tt_rd(tt_lt(2024, 5, 3, 0, 0), 4000);
        mb_tariff_reading old = tt_rd(tt_lt(2011, 5, 3, 0, 0), 0);
        mb_tariff_reading seq[3] = {a, tt_rd(tt_lt(2024, 5, 2, 12, 0), 6000), b};

        assert_int_equal(mb_tariff_charge(f->bj, &a, &b, &pos, f->acc, f->err, 512), MB_ERANGE);
        assert_non_null(strstr(f->err, "went backwards from 5000 to 4000"));
        assert_int_equal(mb_tariff_charge(f->bj, &b, &a, &pos, f->acc, f->err, 512), MB_EINVAL);
        assert_int_equal(mb_tariff_charge(f->bj, &old, &a, &pos, f->acc, f->err, 512), MB_ENOENT);
        assert_non_null(strstr(f->err, "no version in force at 2011-05-03"));
        assert_int_equal(mb_tariff_charge_readings(f->bj, seq, 3, &pos, f->acc, f->err, 512),
                         MB_ERANGE);
        assert_non_null(strstr(f->err, "readings 1..2"));
        assert_int_equal(mb_tariff_acc_count(f->acc), 0); /* the good first interval too */
        assert_memory_equal(&pos, &before, sizeof(pos));

        /* A tier position from a later month than the interval. */
        pos.period_start = tt_lt(2024, 6, 1, 0, 0);
        b.import_wh = 6000;
        assert_int_equal(mb_tariff_charge(f->bj, &a, &b, &pos, f->acc, f->err, 512), MB_ESTATE);
        assert_int_equal(mb_tariff_bill_month(f->bj, &a, &b, -1, &pos, f->acc, f->err, 512),
                         MB_EINVAL);
}

static void test_zero_length_and_zero_energy(void **state)
{
        struct fx *f = *state;
        mb_tier_pos pos = {0};
        /* Energy at one instant goes to the rate in force then (23:00 valley). */
        mb_tariff_reading a = tt_rd(tt_lt(2024, 5, 31, 23, 0), 100);
        mb_tariff_reading b = tt_rd(tt_lt(2024, 5, 31, 23, 0), 600);
        mb_tariff_reading c = tt_rd(tt_lt(2024, 6, 1, 1, 0), 600);

        assert_int_equal(mb_tariff_charge(f->zj, &a, &b, &pos, f->acc, f->err, 512), MB_OK);
        tt_energy(f->acc, 0, ZJ, 1, MB_RATE_VALLEY, 500, 2880, 1440000, 14);
        /* Nothing used over a month start: no line, the position moves on. */
        pos = (mb_tier_pos){tt_lt(2024, 5, 1, 0, 0), 7};
        assert_int_equal(mb_tariff_charge(f->bj, &b, &c, &pos, f->acc, f->err, 512), MB_OK);
        assert_int_equal(mb_tariff_acc_count(f->acc), 1);
        assert_int_equal(pos.period_start, tt_lt(2024, 6, 1, 0, 0));
        assert_int_equal(pos.used_wh, 0);
}

static void test_inspection(void **state)
{
        struct fx *f = *state;
        mb_tariff_version_info vi;
        mb_tariff_tier_info ti;
        int64_t s, e;

        assert_string_equal(mb_tariff_id(f->zj), "cn-zj-residential");
        assert_string_equal(mb_tariff_currency(f->zj), "CNY");
        assert_int_equal(mb_tariff_version_count(f->flat), 2);
        assert_int_equal(mb_tariff_version(f->zj, 0, &vi), MB_OK);
        assert_int_equal(vi.from, 20120701);
        assert_int_equal(vi.tier_period, MB_TIER_YEAR);
        assert_int_equal(vi.ntiers, 3);
        assert_true(vi.has_tou);
        assert_int_equal(vi.rates,
                         (1u << MB_RATE_PEAK) | (1u << MB_RATE_FLAT) | (1u << MB_RATE_VALLEY));
        assert_int_equal(mb_tariff_tier(f->zj, 0, 1, &ti), MB_OK);
        assert_int_equal(ti.upto_wh, 4800000);
        assert_int_equal(ti.price[MB_RATE_PEAK], 6180);
        assert_int_equal(ti.price[MB_RATE_SHARP], -1);
        assert_int_equal(mb_tariff_tier(f->zj, 0, 3, &ti), MB_ENOENT);
        assert_int_equal(mb_tariff_version(f->zj, 1, &vi), MB_ENOENT);
        assert_int_equal(mb_tariff_version_at(f->flat, tt_lt(2024, 6, 30, 23, 59)), 0);
        assert_int_equal(mb_tariff_version_at(f->flat, tt_lt(2024, 7, 1, 0, 0)), 1);
        assert_int_equal(mb_tariff_tier_period(f->zj, tt_lt(2024, 6, 30, 23, 59), &s, &e), MB_OK);
        assert_int_equal(s, tt_lt(2024, 1, 1, 0, 0));
        assert_int_equal(e, tt_lt(2025, 1, 1, 0, 0));
        assert_int_equal(mb_tariff_local_day("2024-02-29", &s, &e), MB_OK);
        assert_int_equal(e - s, 86400);
        assert_int_equal(mb_tariff_local_day("2023-02-29", &s, &e), MB_EINVAL);
}

static void test_settlement_day(void **state)
{
        struct fx *f = *state;
        mb_tariff *t = NULL;
        int64_t s, e;
        const char *txt = "id = \"sd\";\n"
                          "versions = ( { from = \"2020-01-01\"; settlement_day = 15;\n"
                          "  tiers = ( { upto_kwh = 100; price = \"0.5\"; },\n"
                          "            { price = \"1\"; } ); } );\n";

        assert_int_equal(mb_tariff_parse_string(txt, "sd", &t, f->err, 512), MB_OK);
        assert_int_equal(mb_tariff_tier_period(t, tt_lt(2024, 1, 14, 23, 0), &s, &e), MB_OK);
        assert_int_equal(s, tt_lt(2023, 12, 15, 0, 0));
        assert_int_equal(e, tt_lt(2024, 1, 15, 0, 0));
        assert_int_equal(mb_tariff_tier_period(t, tt_lt(2024, 1, 15, 0, 0), &s, &e), MB_OK);
        assert_int_equal(s, tt_lt(2024, 1, 15, 0, 0));
        mb_tariff_free(t);
}

static void test_version_changes_tier_period(void **state)
{
        struct fx *f = *state;
        mb_tariff *t = NULL;
        /* Monthly tiers until 2024-07-01, yearly tiers from then on.  A June
         * position (100 kWh) carries up to the change; the yearly period of
         * the new version (from 2024-01-01) restarts at 0.
         * 24 kWh over the change: 12 kWh at June's tier 1 (0.50) = 6.00, then
         * 12 kWh at the new tier 1 (0.60) = 7.20. */
        const char *txt =
            "id = \"chg\";\nversions = (\n"
            "{ from = \"2020-01-01\"; tiers = ( { upto_kwh = 200; price = \"0.5\"; },"
            " { price = \"0.9\"; } ); },\n"
            "{ from = \"2024-07-01\"; tier_period = \"year\";"
            " tiers = ( { upto_kwh = 2000; price = \"0.6\"; }, { price = \"1\"; } ); } );\n";
        mb_tier_pos pos = {tt_lt(2024, 6, 1, 0, 0), 100000};
        mb_tariff_reading r0 = tt_rd(tt_lt(2024, 6, 30, 12, 0), 0);
        mb_tariff_reading r1 = tt_rd(tt_lt(2024, 7, 1, 12, 0), 24000);

        assert_int_equal(mb_tariff_parse_string(txt, "chg", &t, f->err, 512), MB_OK);
        assert_int_equal(mb_tariff_charge(t, &r0, &r1, &pos, f->acc, f->err, 512), MB_OK);
        assert_int_equal(mb_tariff_acc_count(f->acc), 2);
        tt_energy(f->acc, 0, 20200101, 1, MB_RATE_NONE, 12000, 5000, 60000000, 600);
        tt_energy(f->acc, 1, 20240701, 1, MB_RATE_NONE, 12000, 6000, 72000000, 720);
        assert_int_equal(pos.period_start, tt_lt(2024, 1, 1, 0, 0));
        assert_int_equal(pos.used_wh, 12000);
        mb_tariff_free(t);
}

/* Local midnights are remembered per thread (mb_tariff_time.c): a change of
 * TZ must not answer from what was remembered under the old zone. */
static void test_midnights_follow_tz(void **state)
{
        struct fx *f = *state;
        int64_t s8, e8, s0, e0, at = tt_lt(2026, 10, 15, 12, 0);

        assert_int_equal(mb_tariff_tier_period(f->bj, at, &s8, &e8), MB_OK);
        setenv("TZ", "UTC", 1);
        tzset();
        assert_int_equal(mb_tariff_tier_period(f->bj, at, &s0, &e0), MB_OK);
        tt_tz();
        assert_int_equal(s0 - s8, 8 * 3600);
        assert_int_equal(e0 - e8, 8 * 3600);
        assert_int_equal(mb_tariff_tier_period(f->bj, at, &s0, &e0), MB_OK);
        assert_int_equal(s0, s8);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup(test_bj_500_kwh_one_interval, reset),
            cmocka_unit_test_setup(test_midnights_follow_tz, reset),
            cmocka_unit_test_setup(test_bj_500_kwh_three_readings, reset),
            cmocka_unit_test_setup(test_bj_round_once_per_line, reset),
            cmocka_unit_test_setup(test_bj_month_boundary_resets_tiers, reset),
            cmocka_unit_test_setup(test_zj_tier_and_year_boundary_by_time, reset),
            cmocka_unit_test_setup(test_zj_tier_boundary_inside_interval_registers, reset),
            cmocka_unit_test_setup(test_zj_year_boundary_registers, reset),
            cmocka_unit_test_setup(test_zj_whole_year, reset),
            cmocka_unit_test_setup(test_zj_flat_register_and_unpriced_rate, reset),
            cmocka_unit_test_setup(test_zj_rate_mismatch, reset),
            cmocka_unit_test_setup(test_flat_version_change_splits, reset),
            cmocka_unit_test_setup(test_flat_bill_month_fixed, reset),
            cmocka_unit_test_setup(test_enterprise_bill_with_demand, reset),
            cmocka_unit_test_setup(test_enterprise_periods, reset),
            cmocka_unit_test_setup(test_enterprise_time_split_holiday, reset),
            cmocka_unit_test_setup(test_errors, reset),
            cmocka_unit_test_setup(test_zero_length_and_zero_energy, reset),
            cmocka_unit_test_setup(test_inspection, reset),
            cmocka_unit_test_setup(test_settlement_day, reset),
            cmocka_unit_test_setup(test_version_changes_tier_period, reset),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
