/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Multipliers (common/mb_multiplier.h, docs/tariffs.md "Multipliers"): the
 * walk's pieces scaled by CT x PT before the engine charges them, exactly
 * as the agent and the server both do.  Every amount worked out by hand
 * from the example tariffs (etc/tariffs), in the comments.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mb_multiplier.h"
#include "test_tariff_util.h"

/* Charge ref -> x as one step of the walk, scaled by k, into acc. */
static void step(const mb_tariff *t, mb_tariff_reading *ref, mb_tariff_reading x, int64_t k,
                 mb_tier_pos *pos, mb_tariff_acc *acc)
{
        mb_walk_point p = {.r = x};
        mb_walk_step st;
        char err[256] = "";

        mb_walk_plan(ref, &p, 0, &st);
        assert_int_equal(mb_multiplier_step(&st, k), MB_OK);
        for (int i = 0; i < st.n; i++)
                if (mb_tariff_charge(t, &st.p[i].a, &st.p[i].b, pos, acc, err, sizeof(err)) !=
                    MB_OK)
                        fail_msg("%s", err);
        *ref = st.ref;
}

static void ratios(void **state)
{
        int64_t r = 0, k = 0;
        char err[128];

        (void)state;
        assert_int_equal(mb_ratio_parse("200/5", &r, err, sizeof(err)), MB_OK);
        assert_int_equal(r, 40);
        assert_int_equal(mb_ratio_parse("10000/100", &r, err, sizeof(err)), MB_OK);
        assert_int_equal(r, 100);
        assert_int_equal(mb_ratio_parse("1", &r, err, sizeof(err)), MB_OK);
        assert_int_equal(r, 1);
        assert_int_equal(mb_ratio_parse("12.5/5", &r, err, sizeof(err)), MB_EINVAL);
        assert_int_equal(mb_ratio_parse("25/10", &r, err, sizeof(err)), MB_EINVAL);
        assert_non_null(strstr(err, "not a whole ratio"));
        assert_int_equal(mb_ratio_parse("0/5", &r, err, sizeof(err)), MB_EINVAL);
        assert_int_equal(mb_ratio_parse("/5", &r, err, sizeof(err)), MB_EINVAL);
        assert_int_equal(mb_ratio_parse("-200/5", &r, err, sizeof(err)), MB_EINVAL);
        assert_int_equal(mb_ratio_parse("5000000/1", &r, err, sizeof(err)), MB_ERANGE);
        assert_int_equal(mb_multiplier(40, 100, &k), MB_OK);
        assert_int_equal(k, 4000);
        assert_int_equal(mb_multiplier(2000, 1000, &k), MB_ERANGE);
}

/* Flat 0.55 (flat.conf from 2024-07), CT 200/5 = 40: the register moves
 * 2.5 kWh in March, the customer used 100 kWh = 55.00. */
static void flat(void **state)
{
        mb_tariff *t = tt_load("flat.conf");
        mb_tariff_acc *acc = mb_tariff_acc_new();
        mb_tariff_reading ref = tt_rd(tt_lt(2025, 3, 1, 0, 0), 10000);
        mb_tier_pos pos = {0};

        (void)state;
        step(t, &ref, tt_rd(tt_lt(2025, 4, 1, 0, 0), 12500), 40, &pos, acc);
        tt_energy(acc, 0, 20240701, 1, MB_RATE_NONE, 100000, 5500, 550000000, 5500);
        assert_int_equal(tt_total(acc), 5500);
        assert_int_equal(ref.import_wh, 12500); /* the reference stays in register units */
        mb_tariff_acc_free(acc);
        mb_tariff_free(t);
}

/* Beijing tiers (240 / 400 kWh), CT 300/5 = 60: 8 kWh on the register is
 * 480 kWh: 240 x 0.4883 = 117.19, 160 x 0.5383 = 86.13, 80 x 0.7883 =
 * 63.064 -> 63.06; 266.38.  Without the multiplier it would bill 3.91. */
static void tiered(void **state)
{
        mb_tariff *t = tt_load("beijing-residential.conf");
        mb_tariff_acc *acc = mb_tariff_acc_new();
        mb_tariff_reading ref = tt_rd(tt_lt(2025, 3, 1, 0, 0), 0);
        mb_tier_pos pos = {0};

        (void)state;
        step(t, &ref, tt_rd(tt_lt(2025, 4, 1, 0, 0), 8000), 60, &pos, acc);
        tt_energy(acc, 0, 20120701, 1, MB_RATE_NONE, 240000, 4883, 1171920000, 11719);
        tt_energy(acc, 1, 20120701, 2, MB_RATE_NONE, 160000, 5383, 861280000, 8613);
        tt_energy(acc, 2, 20120701, 3, MB_RATE_NONE, 80000, 7883, 630640000, 6306);
        assert_int_equal(tt_total(acc), 26638);
        assert_int_equal(pos.used_wh, 480000);
        mb_tariff_acc_free(acc);
        mb_tariff_free(t);
}

/* A CT replaced in the middle of March (Beijing tiers): 200/5 = 40 from
 * 1000 to 5000 Wh on the register (160 kWh), then 300/5 = 60 from 5000 to
 * 9000 Wh (240 kWh).  400 kWh with the tier position carried across the
 * change: tier 1 240 (160 + 80) = 117.19, tier 2 160 = 86.13; 203.32.  Had
 * the new CT started a new allowance: 400 kWh in tier 1 = 195.32. */
static void ct_replaced(void **state)
{
        mb_tariff *t = tt_load("beijing-residential.conf");
        mb_tariff_acc *acc = mb_tariff_acc_new();
        mb_tariff_reading ref = tt_rd(tt_lt(2025, 3, 1, 0, 0), 1000);
        mb_tier_pos pos = {0};

        (void)state;
        step(t, &ref, tt_rd(tt_lt(2025, 3, 16, 0, 0), 5000), 40, &pos, acc); /* old CT's piece */
        assert_int_equal(pos.used_wh, 160000);
        step(t, &ref, tt_rd(tt_lt(2025, 4, 1, 0, 0), 9000), 60, &pos, acc); /* the new one's */
        tt_energy(acc, 0, 20120701, 1, MB_RATE_NONE, 240000, 4883, 1171920000, 11719);
        tt_energy(acc, 1, 20120701, 2, MB_RATE_NONE, 160000, 5383, 861280000, 8613);
        assert_int_equal(mb_tariff_acc_count(acc), 2);
        assert_int_equal(tt_total(acc), 20332);
        mb_tariff_acc_free(acc);
        mb_tariff_free(t);
}

/* Time of use (enterprise-tou-demand.conf, an ordinary March day) behind a
 * 10 kV PT (10000/100 = 100) and a 50/5 CT (10): k = 1000.  The rate
 * registers move peak 30, flat 20, valley 10 Wh: 30 kWh x 1.00 = 30.00,
 * 20 kWh x 0.62 = 12.40, 10 kWh x 0.30 = 3.00; 45.40. */
static void tou(void **state)
{
        mb_tariff *t = tt_load("enterprise-tou-demand.conf");
        mb_tariff_acc *acc = mb_tariff_acc_new();
        mb_tariff_reading ref = tt_rdr(tt_lt(2025, 3, 10, 0, 0), 0, 100, 200, 300);
        mb_tier_pos pos = {0};
        int64_t k = 0;

        (void)state;
        assert_int_equal(mb_multiplier(100, 10, &k), MB_OK);
        step(t, &ref, tt_rdr(tt_lt(2025, 3, 11, 0, 0), 0, 130, 220, 310), k, &pos, acc);
        tt_energy(acc, 0, 20240101, 1, MB_RATE_PEAK, 30000, 10000, 300000000, 3000);
        tt_energy(acc, 1, 20240101, 1, MB_RATE_FLAT, 20000, 6200, 124000000, 1240);
        tt_energy(acc, 2, 20240101, 1, MB_RATE_VALLEY, 10000, 3000, 30000000, 300);
        assert_int_equal(tt_total(acc), 4540);
        mb_tariff_acc_free(acc);
        mb_tariff_free(t);
}

/* The month's bill of the same enterprise: energy as above over March, the
 * fixed 20.00, and a demand charge on the maximum demand times the same
 * multiplier: 120 W on the meter is 120 kW, x 38.00 = 4560.00.  Total
 * 45.40 + 20.00 + 4560.00 = 4625.40. */
static void demand(void **state)
{
        mb_tariff *t = tt_load("enterprise-tou-demand.conf");
        mb_tariff_acc *acc = mb_tariff_acc_new();
        mb_tariff_reading r0 = tt_rdr(tt_lt(2025, 3, 1, 0, 0), 0, 100, 200, 300);
        mb_tariff_reading r1 = tt_rdr(tt_lt(2025, 4, 1, 0, 0), 0, 130, 220, 310);
        mb_tier_pos pos = {0};
        mb_tariff_line l;
        int64_t demand_w = 120, k = 1000;
        char err[256];

        (void)state;
        assert_int_equal(mb_multiplier_reading(&r0, k), MB_OK);
        assert_int_equal(mb_multiplier_reading(&r1, k), MB_OK);
        assert_int_equal(r1.rate_wh[1], 130000);
        assert_int_equal(mb_multiplier_reading(&(mb_tariff_reading){.import_wh = INT64_MAX / 2}, 3),
                         MB_ERANGE);
        assert_int_equal(
            mb_tariff_bill_month(t, &r0, &r1, demand_w * k, &pos, acc, err, sizeof(err)), MB_OK);
        assert_int_equal(mb_tariff_acc_count(acc), 5);
        assert_int_equal(mb_tariff_acc_line(acc, 4, &l), MB_OK);
        assert_int_equal(l.kind, MB_LINE_DEMAND);
        assert_int_equal(l.qty, 120000);
        assert_int_equal(l.price, 380000);
        assert_int_equal(l.fen, 456000);
        assert_int_equal(mb_tariff_acc_line(acc, 3, &l), MB_OK);
        assert_int_equal(l.kind, MB_LINE_FIXED);
        assert_int_equal(l.fen, 2000);
        assert_int_equal(tt_total(acc), 462540);
        mb_tariff_acc_free(acc);
        mb_tariff_free(t);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(ratios),      cmocka_unit_test(flat), cmocka_unit_test(tiered),
            cmocka_unit_test(ct_replaced), cmocka_unit_test(tou),  cmocka_unit_test(demand),
        };

        tt_tz();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
