/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The arithmetic of line loss (server/area/srv_area_calc.h): a meter's
 * register at a local midnight by the month close's rule (frozen register
 * first, else the reading nearest the boundary, the midpoint deciding a
 * tie), collected only within the window; energy across a rollover and
 * never across a register that went backwards; the loss rate rounded once
 * and the band checked on the exact ratio.  Figures worked out by hand in
 * the comments.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>

#include "srv_area_calc.h"

#define W 3600
static int64_t T; /* 2026-11-11 00:00 +08:00 */

static int setup(void **state)
{
        (void)state;
        setenv("TZ", "Asia/Shanghai", 1);
        tzset();
        T = 1794326400; /* 2026-11-10T16:00Z */
        return 0;
}

static struct srv_apoint derive(const struct srv_aread *r, size_t n, int has_f, int64_t f,
                                int later)
{
        struct srv_apoint p;

        srv_apoint_derive(T, W, r, n, has_f, f, later, &p);
        return p;
}

/* The reading nearest midnight is the day's boundary, as for a month; the
 * later one wins a tie (the interval's midpoint counts to the day before). */
static void nearest_reading(void **state)
{
        struct srv_aread r[] = {{10, T - 900, 1000}, {11, T - 300, 1100}, {12, T + 200, 1200}};
        struct srv_apoint p = derive(r, 3, 0, 0, 1);

        (void)state;
        assert_int_equal(p.state, SRV_APOINT_READING);
        assert_int_equal(p.seq, 12); /* 200 s after beats 300 s before */
        assert_int_equal(p.wh, 1200);
        r[2].ts = T + 300; /* a tie: the later one ends the day */
        p = derive(r, 3, 0, 0, 1);
        assert_int_equal(p.seq, 12);
        r[2].ts = T + 301;
        p = derive(r, 3, 0, 0, 1);
        assert_int_equal(p.seq, 11);
        assert_int_equal(p.t, T - 300);
        /* a reading at 00:00 exactly is the boundary */
        r[2].ts = T;
        p = derive(r, 3, 0, 0, 1);
        assert_int_equal(p.seq, 12);
}

/* A frozen register for T defines the boundary, whichever reading is
 * nearer; outside the registers around it, it is not believed. */
static void frozen_register(void **state)
{
        struct srv_aread r[] = {{11, T - 60, 1100}, {12, T + 60, 1200}};
        struct srv_apoint p = derive(r, 2, 1, 1150, 1);

        (void)state;
        assert_int_equal(p.state, SRV_APOINT_FROZEN);
        assert_int_equal(p.wh, 1150);
        assert_int_equal(p.t, T);
        p = derive(r, 2, 1, 1250, 1); /* beyond the reading after it */
        assert_int_equal(p.state, SRV_APOINT_READING);
        assert_int_equal(p.seq, 12);
        /* read at 03:00 only (outside the window): the freeze still counts */
        p = derive(NULL, 0, 1, 1150, 1);
        assert_int_equal(p.state, SRV_APOINT_FROZEN);
}

/* Collected only within the window; no reading after T yet is pending. */
static void window_and_pending(void **state)
{
        struct srv_aread before[] = {{11, T - 1200, 1100}};
        struct srv_aread after[] = {{12, T + W, 1200}};
        struct srv_apoint p;

        (void)state;
        p = derive(before, 1, 0, 0, 0); /* nothing after T has arrived */
        assert_int_equal(p.state, SRV_APOINT_PENDING);
        p = derive(before, 1, 0, 0, 1); /* a reading after the window did */
        assert_int_equal(p.state, SRV_APOINT_READING);
        assert_int_equal(p.seq, 11);
        p = derive(after, 1, 0, 0, 1); /* exactly the window after: still in */
        assert_int_equal(p.state, SRV_APOINT_READING);
        p = derive(NULL, 0, 0, 0, 1); /* silent around midnight, heard from after */
        assert_int_equal(p.state, SRV_APOINT_MISSING);
        p = derive(NULL, 0, 0, 0, 0);
        assert_int_equal(p.state, SRV_APOINT_PENDING);
        assert_false(srv_apoint_collected(&p));
}

/* A gateway clock stepped back: the reading is taken at the time of the
 * one before it (the walk's clock rule), so it cannot end the day early. */
static void clock_rule(void **state)
{
        struct srv_aread r[] = {{11, T - 100, 1100}, {12, T + 50, 1150}, {13, T - 3000, 1160}};
        struct srv_apoint p = derive(r, 3, 0, 0, 1);

        (void)state;
        assert_int_equal(p.seq, 12);
}

static void energy(void **state)
{
        struct srv_apoint a = {SRV_APOINT_READING, T, 999999000, 1};
        struct srv_apoint b = {SRV_APOINT_READING, T + 86400, 999999500, 2};
        int64_t wh = 0;

        (void)state;
        assert_int_equal(srv_aenergy(&a, &b, 0, 1, &wh), SRV_AENERGY_OK);
        assert_int_equal(wh, 500);
        assert_int_equal(srv_aenergy(&a, &b, 0, 40, &wh), SRV_AENERGY_OK);
        assert_int_equal(wh, 20000); /* CT 200/5: 500 Wh on the register is 20 kWh */
        /* across the wrap of a 999999.99 kWh register: 1000 + 400 Wh */
        b.wh = 400;
        assert_int_equal(srv_aenergy(&a, &b, 1000000000, 1, &wh), SRV_AENERGY_ROLLOVER);
        assert_int_equal(wh, 1400);
        /* backwards without a range: no energy can be given */
        assert_int_equal(srv_aenergy(&a, &b, 0, 1, &wh), SRV_AENERGY_BACKWARDS);
        b.wh = INT64_MAX / 2;
        assert_int_equal(srv_aenergy(&a, &b, 0, 1000, &wh), SRV_AENERGY_RANGE);
}

static void rate_and_band(void **state)
{
        int64_t loss = 0, rate = 0;

        (void)state;
        /* 6400 supplied, 6000 sold: 400 / 6400 = 6.25 % */
        assert_int_equal(srv_aloss_rate(6400, 6000, 0, 1500, &loss, &rate), SRV_ALOSS_OK);
        assert_int_equal(loss, 400);
        assert_int_equal(rate, 625);
        /* 3000 sold: 3400 / 6400 = 53.125 % -> 53.13 (half away from zero) */
        assert_int_equal(srv_aloss_rate(6400, 3000, 0, 1500, &loss, &rate), SRV_ALOSS_OUT_OF_BAND);
        assert_int_equal(rate, 5313);
        assert_int_equal(srv_aloss_outside_bp(6400, 3400, 0, 1500), 3812); /* 53.125 - 15 */
        /* more sold than supplied: -1/3 % -> -33 and below a band of 0 */
        assert_int_equal(srv_aloss_rate(3000, 3010, 0, 1500, &loss, &rate), SRV_ALOSS_OUT_OF_BAND);
        assert_int_equal(rate, -33);
        /* the band is checked exactly: 15.004 % rounds to 15.00 but is out */
        assert_int_equal(srv_aloss_rate(100000, 84996, 0, 1500, &loss, &rate),
                         SRV_ALOSS_OUT_OF_BAND);
        assert_int_equal(rate, 1500);
        assert_int_equal(srv_aloss_outside_bp(100000, 15004, 0, 1500), 0); /* 0.004 down to 0 */
        assert_int_equal(srv_aloss_rate(100000, 85000, 0, 1500, &loss, &rate), SRV_ALOSS_OK);
        /* no supply, no rate */
        assert_int_equal(srv_aloss_rate(0, 10, 0, 1500, &loss, &rate), SRV_ALOSS_NOT_COMPUTABLE);
        assert_int_equal(srv_aloss_rate(INT64_MAX / 100, 0, 0, 1500, &loss, &rate),
                         SRV_ALOSS_NOT_COMPUTABLE);
}

static void muldiv(void **state)
{
        int64_t v = 0;

        (void)state;
        assert_int_equal(srv_area_muldiv(1, 10000, 3, &v), 0);
        assert_int_equal(v, 3333);
        assert_int_equal(srv_area_muldiv(2, 10000, 3, &v), 0);
        assert_int_equal(v, 6667);
        assert_int_equal(srv_area_muldiv(-2, 10000, 3, &v), 0);
        assert_int_equal(v, -6667);
        assert_int_equal(srv_area_muldiv(1, 1, 2, &v), 0); /* 0.5 -> 1 */
        assert_int_equal(v, 1);
        assert_int_equal(srv_area_muldiv(-1, 1, 2, &v), 0);
        assert_int_equal(v, -1);
        assert_int_not_equal(srv_area_muldiv(INT64_MAX, 2, 3, &v), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(nearest_reading),
            cmocka_unit_test(frozen_register),
            cmocka_unit_test(window_and_pending),
            cmocka_unit_test(clock_rule),
            cmocka_unit_test(energy),
            cmocka_unit_test(rate_and_band),
            cmocka_unit_test(muldiv),
        };

        return cmocka_run_group_tests(tests, setup, NULL);
}
