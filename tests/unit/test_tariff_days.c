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
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>

#include "mb_tariff_priv.h"
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

/* The tariff engine remembers midnights and the dates of days
 * (mb_tariff_time.c): every answer, asked twice, is the C library's, across
 * clock changes and a change of TZ. */
static void check_dates(int64_t from, int64_t to)
{
        for (int64_t t = from; t < to; t += 1799) {
                for (int again = 0; again < 2; again++) {
                        time_t tt = (time_t)t;
                        struct tm tm;
                        int y, m, d;
                        int64_t mid;

                        localtime_r(&tt, &tm);
                        assert_int_equal(mbt_local_date(t, &y, &m, &d), MB_OK);
                        assert_int_equal(y, tm.tm_year + 1900);
                        assert_int_equal(m, tm.tm_mon + 1);
                        assert_int_equal(d, tm.tm_mday);
                        tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
                        tm.tm_isdst = -1;
                        assert_int_equal(mbt_midnight(y, m, d, &mid), MB_OK);
                        assert_int_equal(mid, (int64_t)mktime(&tm));
                }
        }
}

static void remembered_dates(void **state)
{
        static const char *const zones[] = {"America/New_York", "Asia/Shanghai", "America/New_York",
                                            "Europe/London"};

        (void)state;
        for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
                setenv("TZ", zones[i], 1);
                tzset();
                check_dates(tt_lt(2026, 3, 6, 0, 0), tt_lt(2026, 3, 11, 0, 0));
                check_dates(tt_lt(2026, 10, 24, 0, 0), tt_lt(2026, 11, 4, 0, 0));
        }
        tt_tz();
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(midpoint_rule),
            cmocka_unit_test(day_arithmetic),
            cmocka_unit_test(clock_changes),
            cmocka_unit_test(remembered_dates),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
