/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Monthly charges (common/mb_tariff_monthly.c, docs/tariffs.md "Monthly
 * charges"): the fixed monthly charge prorated by the days of supply, one
 * line per version, each rounded once, half away from zero; the demand
 * charge at the version in force.  Amounts worked out by hand in each
 * test.  flat.conf: 0.50 until 2024-06-30, 0.55 and fixed 5.00 from
 * 2024-07-01.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_tariff_util.h"

/* Line i of acc is a fixed line of version v: days of `of`, fen. */
static void fixed(const mb_tariff_acc *acc, size_t i, int32_t v, int64_t days, int of, int64_t fen)
{
        mb_tariff_line l;

        assert_int_equal(mb_tariff_acc_line(acc, i, &l), MB_OK);
        assert_int_equal(l.kind, MB_LINE_FIXED);
        assert_int_equal(l.version, v);
        assert_int_equal(l.qty, days);
        assert_int_equal(l.of, of);
        assert_int_equal(l.fen, fen);
}

/* mb_tariff_bill_fixed from..to into acc. */
static int bill(const mb_tariff *t, int64_t from, int64_t to, mb_tariff_acc *acc)
{
        char err[256];

        return mb_tariff_bill_fixed(t, from, to, acc, err, sizeof(err));
}

/* Bills from..to into acc emptied first: exactly one line, fixed of version
 * v, days of `of`, fen; or, when days is 0, none. */
static void bills(const mb_tariff *t, int64_t from, int64_t to, mb_tariff_acc *acc, int32_t v,
                  int64_t days, int of, int64_t fen)
{
        mb_tariff_acc_reset(acc);
        assert_int_equal(bill(t, from, to, acc), MB_OK);
        assert_int_equal(mb_tariff_acc_count(acc), days ? 1 : 0);
        if (days)
                fixed(acc, 0, v, days, of, fen);
}

/* A whole month, whatever the times inside the first and last day: March
 * 2025 has 31 days, 5.00 x 31/31 = 5.00 exactly. */
static void whole_month(void **state)
{
        mb_tariff *t = tt_load("flat.conf");
        mb_tariff_acc *acc = mb_tariff_acc_new();
        mb_tariff_line l;

        (void)state;
        bills(t, tt_lt(2025, 3, 1, 0, 0), tt_lt(2025, 4, 1, 0, 0), acc, 20240701, 31, 31, 500);
        assert_int_equal(mb_tariff_acc_line(acc, 0, &l), MB_OK);
        assert_int_equal(l.exact, 50000000); /* 5.00 in e7 */
        /* a later end is the month's end: the supply goes on */
        bills(t, tt_lt(2025, 3, 1, 0, 0), tt_lt(2025, 6, 9, 0, 0), acc, 20240701, 31, 31, 500);
        mb_tariff_acc_free(acc);
        mb_tariff_free(t);
}

/* The day of a change belongs to what starts on it: from 03-10 14:00 is
 * days 10..31 (22): 5.00 x 22/31 = 3.548.. -> 3.55; to 03-20 15:00 is
 * days 1..19 (19): 3.064.. -> 3.06; a supply that opens and closes on the
 * same day has none; 02-28 (Feb 2025, 28 days) one day: 5.00/28 = 0.178..
 * -> 0.18. */
static void partial(void **state)
{
        mb_tariff *t = tt_load("flat.conf");
        mb_tariff_acc *acc = mb_tariff_acc_new();

        (void)state;
        bills(t, tt_lt(2025, 3, 10, 14, 0), tt_lt(2025, 4, 1, 0, 0), acc, 20240701, 22, 31, 355);
        bills(t, tt_lt(2025, 3, 1, 0, 0), tt_lt(2025, 3, 20, 15, 0), acc, 20240701, 19, 31, 306);
        bills(t, tt_lt(2025, 3, 5, 8, 0), tt_lt(2025, 3, 5, 18, 0), acc, 0, 0, 0, 0);
        bills(t, tt_lt(2025, 2, 28, 23, 0), tt_lt(2025, 3, 1, 0, 0), acc, 20240701, 1, 28, 18);
        /* a supply that ends before it starts is refused and adds nothing */
        assert_int_equal(bill(t, tt_lt(2025, 3, 5, 0, 0), tt_lt(2025, 3, 4, 0, 0), acc), MB_EINVAL);
        assert_int_equal(mb_tariff_acc_count(acc), 1);
        mb_tariff_acc_free(acc);
        mb_tariff_free(t);
}

/* Versions inside the month: each its own line for its days.  flat.conf
 * in June 2024 is its 0.50 version, which has no fixed charge: no line.  A plan
 * A (5.00) until 03-14, B (8.00) from 03-15, A again from 03-25: A has
 * 14 + 7 = 21 days in one line, 5.00 x 21/31 = 3.387.. -> 3.39; B 10 days,
 * 8.00 x 10/31 = 2.580.. -> 2.58. */
static void versions(void **state)
{
        mb_tariff *a = tt_load("flat.conf");
        mb_tariff *b =
            tt_parse("id = \"b\"; versions = ( { from = \"2025-01-01\"; price = \"0.55\";"
                     " fixed_monthly = \"8.00\"; } );");
        mb_tariff_plan_part parts[] = {{a, 20250101}, {b, 20250315}, {a, 20250325}};
        mb_tariff_acc *acc = mb_tariff_acc_new();
        mb_tariff *plan = NULL;
        char err[256];

        (void)state;
        bills(a, tt_lt(2024, 6, 20, 0, 0), tt_lt(2024, 7, 1, 0, 0), acc, 0, 0, 0, 0);
        assert_int_equal(mb_tariff_splice(parts, 3, "plan", NULL, &plan, err, sizeof(err)), MB_OK);
        assert_int_equal(bill(plan, tt_lt(2025, 3, 1, 0, 0), tt_lt(2025, 4, 1, 0, 0), acc), MB_OK);
        assert_int_equal(mb_tariff_acc_count(acc), 2);
        fixed(acc, 0, 20240701, 21, 31, 339);
        fixed(acc, 1, 20250101, 10, 31, 258);
        assert_int_equal(tt_total(acc), 597);
        mb_tariff_acc_free(acc);
        mb_tariff_free(plan);
        mb_tariff_free(a);
        mb_tariff_free(b);
}

/* Rounding once, half away from zero: 0.75 a month, one day of April's 30
 * is 0.025 exactly -> 0.03 (to even it would be 0.02); two days 0.05. */
static void half_away(void **state)
{
        mb_tariff *t = tt_parse("id = \"h\"; versions = ( { from = \"2025-01-01\"; price = \"0.5\";"
                                " fixed_monthly = \"0.75\"; } );");
        mb_tariff_acc *acc = mb_tariff_acc_new();

        (void)state;
        bills(t, tt_lt(2025, 4, 30, 8, 0), tt_lt(2025, 5, 3, 0, 0), acc, 20250101, 1, 30, 3);
        bills(t, tt_lt(2025, 4, 29, 8, 0), tt_lt(2025, 5, 1, 0, 0), acc, 20250101, 2, 30, 5);
        mb_tariff_acc_free(acc);
        mb_tariff_free(t);
}

/* The demand charge at the version in force: enterprise 38.00 per kW,
 * 4.8 kW = 182.40; none before the tariff, none for 0 W. */
static void demand(void **state)
{
        mb_tariff *t = tt_load("enterprise-tou-demand.conf");
        mb_tariff_acc *acc = mb_tariff_acc_new();
        mb_tariff_line l;
        char err[256];

        (void)state;
        assert_int_equal(
            mb_tariff_bill_demand(t, tt_lt(2025, 3, 31, 0, 0), 4800, acc, err, sizeof(err)), MB_OK);
        assert_int_equal(mb_tariff_acc_line(acc, 0, &l), MB_OK);
        assert_int_equal(l.kind, MB_LINE_DEMAND);
        assert_int_equal(l.qty, 4800);
        assert_int_equal(l.fen, 18240);
        assert_int_equal(
            mb_tariff_bill_demand(t, tt_lt(2025, 3, 31, 0, 0), 0, acc, err, sizeof(err)), MB_OK);
        assert_int_equal(
            mb_tariff_bill_demand(t, tt_lt(2020, 3, 31, 0, 0), 10, acc, err, sizeof(err)),
            MB_ENOENT);
        assert_int_equal(
            mb_tariff_bill_demand(t, tt_lt(2025, 3, 31, 0, 0), -1, acc, err, sizeof(err)),
            MB_EINVAL);
        assert_int_equal(mb_tariff_acc_count(acc), 1);
        mb_tariff_acc_free(acc);
        mb_tariff_free(t);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(whole_month), cmocka_unit_test(partial), cmocka_unit_test(versions),
            cmocka_unit_test(half_away),   cmocka_unit_test(demand),
        };

        tt_tz();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
