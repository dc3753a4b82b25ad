/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Days in the walk (mb_walk.h): a transformer area's daily figures take a
 * meter's register at each local midnight by the month rule (the reading
 * nearest the boundary ends the day), so the day an interval belongs to is
 * decided exactly as the month is, and days are local days, 23 or 25 hours
 * long across a clock change.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mb_walk.h"
#include "test_tariff_util.h"

static void midpoint_rule(void **state)
{
        int64_t T;

        (void)state;
        tt_tz();
        T = tt_lt(2026, 11, 11, 0, 0);
        assert_int_equal(mb_walk_day_of(T - 1), 20261110);
        assert_int_equal(mb_walk_day_of(T), 20261111);
        assert_int_equal(mb_walk_day(T - 10, T + 10), 20261110); /* a tie: the later reading ends */
        assert_int_equal(mb_walk_day(T - 10, T + 9), 20261110);
        assert_int_equal(mb_walk_day(T - 9, T + 10), 20261111); /* the earlier one is nearer */
        assert_int_equal(mb_walk_day(T - 600, T), 20261110);    /* a reading at 00:00 ends it */
        assert_int_equal(mb_walk_day(T, T), 20261111);
        /* a month start is a day start, decided the same way */
        T = tt_lt(2026, 12, 1, 0, 0);
        assert_int_equal(mb_walk_day(T - 10, T + 9), 20261130);
        assert_int_equal(mb_walk_month(T - 10, T + 9), 202611);
        assert_int_equal(mb_walk_day(T - 9, T + 10), 20261201);
        assert_int_equal(mb_walk_month(T - 9, T + 10), 202612);
}

static void day_arithmetic(void **state)
{
        (void)state;
        tt_tz();
        assert_int_equal(mb_walk_day_start(20261111), tt_lt(2026, 11, 11, 0, 0));
        assert_int_equal(mb_walk_day_add(20261130, 1), 20261201);
        assert_int_equal(mb_walk_day_add(20261231, 1), 20270101);
        assert_int_equal(mb_walk_day_add(20240301, -1), 20240229);
        assert_int_equal(mb_walk_day_add(20261111, -365), 20251111);
        assert_int_equal(mb_walk_day_add(20261111, 0), 20261111);
}

/* In a zone with summer time, a day is a local day: 23 and 25 hours. */
static void clock_changes(void **state)
{
        (void)state;
        setenv("TZ", "America/New_York", 1);
        tzset();
        assert_int_equal(mb_walk_day_start(20260309) - mb_walk_day_start(20260308), 23 * 3600);
        assert_int_equal(mb_walk_day_start(20261102) - mb_walk_day_start(20261101), 25 * 3600);
        assert_int_equal(mb_walk_day_of(mb_walk_day_start(20261102) - 1), 20261101);
        tt_tz();
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(midpoint_rule),
            cmocka_unit_test(day_arithmetic),
            cmocka_unit_test(clock_changes),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
