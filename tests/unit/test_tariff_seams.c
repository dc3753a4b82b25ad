/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The seams of a month in the shared engine (docs/tariffs.md): a tariff plan
 * spliced into one tariff (mb_tariff_splice) and the walk's step rules
 * (mb_walk.h): clock, rollover, backwards, an operator's fix, frozen
 * registers and the month an interval belongs to.  Every amount is worked
 * out by hand from the tariffs in the comments.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mb_walk.h"
#include "test_tariff_util.h"

/* A second tiered tariff, as a clerk would load it for a new year's prices:
 * the same tier bounds as Beijing's, other prices. */
static const char bj2_text[] = "id = \"bj-2025\";\n"
                               "versions = ( { from = \"2025-03-01\";\n"
                               "  tiers = ( { upto_kwh = 240; price = \"0.5000\"; },\n"
                               "            { upto_kwh = 400; price = \"0.5500\"; },\n"
                               "            { price = \"0.8000\"; } ); } );\n";

struct fx {
        mb_tariff *bj, *bj2, *plan;
};

static int setup(void **state)
{
        static struct fx f;
        mb_tariff_plan_part parts[2];
        char err[256];

        tt_tz();
        f.bj = tt_load("beijing-residential.conf");
        f.bj2 = tt_parse(bj2_text);
        parts[0] = (mb_tariff_plan_part){f.bj, 20250101};
        parts[1] = (mb_tariff_plan_part){f.bj2, 20250315};
        if (mb_tariff_splice(parts, 2, "plan-test", "BJ then BJ 2025", &f.plan, err, sizeof(err)) !=
            MB_OK)
                fail_msg("%s", err);
        *state = &f;
        return 0;
}

static int teardown(void **state)
{
        struct fx *f = *state;

        mb_tariff_free(f->bj);
        mb_tariff_free(f->bj2);
        mb_tariff_free(f->plan);
        return 0;
}

/*
 * March 2025, readings 03-01 0 kWh, 03-10 200, 03-20 350, 04-01 500; Beijing
 * until 03-14, bj-2025 from 03-15.
 *   03-01..03-10  200 kWh Beijing tier 1 (used 0 -> 200)
 *   03-10..03-20  150 kWh cut at 03-15 00:00 by time, 5 days each side:
 *                 75 kWh Beijing: tier 1 40 (to 240), tier 2 35 (used 275)
 *                 75 kWh bj-2025 tier 2 (the position carries: 275 -> 350)
 *   03-20..04-01  150 kWh bj-2025: tier 2 50 (to 400), tier 3 100
 * Lines: Beijing t1 240 kWh x 0.4883 = 117.1920 -> 117.19
 *        Beijing t2  35 kWh x 0.5383 =  18.8405 ->  18.84
 *        bj-2025 t2 125 kWh x 0.5500 =  68.7500 ->  68.75
 *        bj-2025 t3 100 kWh x 0.8000 =  80.0000 ->  80.00
 * Total 284.78.  (Had the change given a new allowance, bj-2025 would have
 * charged tier 1 at 0.50: the carried position is what keeps it at 0.55.)
 */
static void plan_mid_month_carries_tiers(void **state)
{
        struct fx *f = *state;
        mb_tariff_reading r[] = {
            tt_rd(tt_lt(2025, 3, 1, 0, 0), 0), tt_rd(tt_lt(2025, 3, 10, 0, 0), 200000),
            tt_rd(tt_lt(2025, 3, 20, 0, 0), 350000), tt_rd(tt_lt(2025, 4, 1, 0, 0), 500000)};
        mb_tariff_acc *acc = mb_tariff_acc_new();
        mb_tier_pos pos = {0, 0};
        char err[256];

        assert_int_equal(mb_tariff_charge_readings(f->plan, r, 4, &pos, acc, err, sizeof(err)),
                         MB_OK);
        assert_int_equal(mb_tariff_acc_count(acc), 4);
        tt_energy(acc, 0, 20120701, 1, 0, 240000, 4883, 1171920000, 11719);
        tt_energy(acc, 1, 20120701, 2, 0, 35000, 5383, 188405000, 1884);
        tt_energy(acc, 2, 20250301, 2, 0, 125000, 5500, 687500000, 6875);
        tt_energy(acc, 3, 20250301, 3, 0, 100000, 8000, 800000000, 8000);
        assert_int_equal(tt_total(acc), 28478);
        assert_int_equal(pos.used_wh, 500000);
        mb_tariff_acc_free(acc);
}

/* The spliced tariff's text parses back to the same tariff and the same
 * charges; its versions say where they came from. */
static void plan_text_round_trip(void **state)
{
        struct fx *f = *state;
        char *text = mb_tariff_to_text(f->plan), *again;
        mb_tariff *back = tt_parse(text);
        mb_tariff_version_info v;

        again = mb_tariff_to_text(back);
        assert_string_equal(text, again);
        assert_int_equal(mb_tariff_version_count(back), 2);
        assert_int_equal(mb_tariff_version(back, 0, &v), MB_OK);
        assert_int_equal(v.from, 20250101);
        assert_string_equal(v.origin_tariff, "cn-bj-residential");
        assert_int_equal(v.line_version, 20120701);
        assert_int_equal(mb_tariff_version(back, 1, &v), MB_OK);
        assert_int_equal(v.from, 20250315);
        assert_string_equal(v.origin_tariff, "bj-2025");
        assert_int_equal(v.line_version, 20250301);
        /* nothing is in force before the first part */
        assert_int_equal(mb_tariff_version_at(back, tt_lt(2024, 12, 31, 23, 59)), MB_ENOENT);
        free(text);
        free(again);
        mb_tariff_free(back);
}

static void plan_errors(void **state)
{
        struct fx *f = *state;
        mb_tariff_plan_part p[2] = {{f->bj, 20250101}, {f->bj2, 20250101}};
        mb_tariff *t = NULL;
        char err[256];

        assert_int_equal(mb_tariff_splice(p, 2, "x", NULL, &t, err, sizeof(err)), MB_EINVAL);
        p[1].from = 20250201; /* bj-2025 has nothing in force before 03-01 */
        assert_int_equal(mb_tariff_splice(p, 2, "x", NULL, &t, err, sizeof(err)), MB_ENOENT);
        assert_non_null(strstr(err, "bj-2025"));
        p[1].from = 20250401;
        assert_int_equal(mb_tariff_splice(p, 2, "bad id!", NULL, &t, err, sizeof(err)), MB_EINVAL);
        assert_int_equal(mb_tariff_splice(p, 0, "x", NULL, &t, err, sizeof(err)), MB_EINVAL);
        assert_null(t);
}

/* The reading nearest the month start closes the month: an interval belongs
 * to the month of its midpoint, a tie to the month before. */
static void walk_month_of_interval(void **state)
{
        int64_t T = tt_lt(2025, 4, 1, 0, 0);

        (void)state;
        assert_int_equal(mb_walk_month(T - 10, T + 10), 202503); /* tie */
        assert_int_equal(mb_walk_month(T - 10, T + 9), 202503);
        assert_int_equal(mb_walk_month(T - 9, T + 10), 202504);
        assert_int_equal(mb_walk_month(T - 600, T), 202503); /* a reading at 00:00 closes */
        assert_int_equal(mb_walk_month(T, T), 202504);       /* and nothing after it */
        assert_int_equal(mb_walk_month(T - 1, T - 1), 202503);
        assert_int_equal(mb_walk_month(T, T + 1), 202504);
        assert_int_equal(mb_walk_month(T - 86400 * 40, T + 60), 202503);
        assert_int_equal(mb_walk_month_add(202512, 1), 202601);
        assert_int_equal(mb_walk_month_add(202501, -1), 202412);
        assert_int_equal(mb_walk_month_start(202504), T);
}

static mb_walk_point pt(int64_t t, int64_t wh)
{
        mb_walk_point p = {.r = tt_rd(t, wh)};

        return p;
}

static mb_tariff_acc *only(void *ctx, int month)
{
        (void)month;
        return ctx;
}

/* A register of range 1,000,000,000 Wh (999999.99 kWh shown, then 0.00)
 * wraps from 999,990 kWh to 5 kWh: 15 kWh across the wrap, Beijing tier 1:
 * 15 x 0.4883 = 7.3245 -> 7.32.  A drop from the middle of the range is not
 * a wrap: nothing is charged and the low reading is the new reference. */
static void walk_rollover_and_backwards(void **state)
{
        struct fx *f = *state;
        int64_t t0 = tt_lt(2025, 3, 5, 0, 0);
        mb_tariff_reading ref = tt_rd(t0, 999990000);
        mb_walk_point x = pt(t0 + 3600, 5000);
        mb_tariff_acc *acc = mb_tariff_acc_new();
        mb_tier_pos pos = {0, 0};
        mb_walk_step st;
        char err[128];

        mb_walk_plan(&ref, &x, 1000000000, &st);
        assert_int_equal(st.events, MB_WALK_ROLLOVER);
        assert_int_equal(st.n, 1);
        assert_int_equal(st.p[0].b.import_wh - st.p[0].a.import_wh, 15000);
        assert_int_equal(st.ref.import_wh, 5000);
        assert_int_equal(mb_walk_charge(f->bj, &st, &pos, only, acc, err, sizeof(err)), MB_OK);
        assert_int_equal(tt_total(acc), 732);
        /* without a configured range, the same drop is backwards */
        mb_walk_plan(&ref, &x, 0, &st);
        assert_int_equal(st.events, MB_WALK_BACKWARDS);
        assert_int_equal(st.n, 0);
        assert_int_equal(st.ref.import_wh, 5000);
        /* a reset from mid-range is no wrap, even with a range */
        ref.import_wh = 500000000;
        mb_walk_plan(&ref, &x, 1000000000, &st);
        assert_int_equal(st.events, MB_WALK_BACKWARDS);
        mb_tariff_acc_free(acc);
}

/* An operator's fix: the meter was reset in place at 1,250 kWh and read 0.3
 * kWh after; from 1,200 kWh the step is 50 kWh + 0.3 kWh = 50.3 kWh. */
static void walk_operator_fix(void **state)
{
        int64_t t0 = tt_lt(2025, 3, 5, 0, 0);
        mb_tariff_reading ref = tt_rd(t0, 1200000);
        mb_walk_point x = pt(t0 + 3600, 300);
        mb_walk_step st;

        (void)state;
        x.fixed = 1;
        x.shift_wh = 1250000 - 0;
        mb_walk_plan(&ref, &x, 0, &st);
        assert_int_equal(st.events, MB_WALK_FIXED);
        assert_int_equal(st.n, 1);
        assert_int_equal(st.p[0].b.import_wh - st.p[0].a.import_wh, 50300);
        assert_int_equal(st.ref.import_wh, 300); /* the next step starts from the meter */
}

/* A reading stamped before the reference is taken at the reference's time
 * (charged by sequence, whatever the clock says). */
static void walk_clock_back(void **state)
{
        int64_t t0 = tt_lt(2025, 3, 5, 0, 0);
        mb_tariff_reading ref = tt_rd(t0, 1000);
        mb_walk_point x = pt(t0 - 7200, 3000);
        mb_walk_step st;

        (void)state;
        mb_walk_plan(&ref, &x, 0, &st);
        assert_int_equal(st.events, MB_WALK_CLOCK);
        assert_int_equal(st.n, 1);
        assert_int_equal(st.p[0].b.t, t0);
        assert_int_equal(st.ref.t, t0);
        assert_int_equal(st.p[0].month, 202503);
}

struct two {
        mb_tariff_acc *mar, *apr;
};

static mb_tariff_acc *by_month(void *ctx, int month)
{
        struct two *m = ctx;

        return month == 202503 ? m->mar : month == 202504 ? m->apr : NULL;
}

/*
 * The frozen month-end register defines the month.  From 03-31 22:00 at
 * 1,000 kWh to 04-01 06:00 at 1,080 kWh, with the meter's register frozen
 * at 04-01 00:00 at 1,020 kWh: 20 kWh are March's, 60 kWh April's.  Without
 * the frozen register the reading nearest 00:00 (22:00 is 2 h before,
 * 06:00 6 h after) closes March, and all 80 kWh are April's.
 * Beijing tier 1: March 20 x 0.4883 = 9.766 -> 9.77; April 60 x 0.4883 =
 * 29.298 -> 29.30.
 */
static void walk_frozen_defines_month(void **state)
{
        struct fx *f = *state;
        int64_t T = tt_lt(2025, 4, 1, 0, 0);
        mb_tariff_reading ref = tt_rd(T - 7200, 1000000);
        mb_walk_point x = pt(T + 6 * 3600, 1080000);
        struct two m = {mb_tariff_acc_new(), mb_tariff_acc_new()};
        mb_tier_pos pos = {0, 0};
        mb_walk_step st;
        char err[128];

        mb_walk_plan(&ref, &x, 0, &st);
        assert_int_equal(st.n, 1);
        assert_int_equal(st.p[0].month, 202504);
        x.has_frozen = 1;
        x.frozen_t = T;
        x.frozen_wh = 1020000;
        mb_walk_plan(&ref, &x, 0, &st);
        assert_int_equal(st.events, MB_WALK_FROZEN);
        assert_int_equal(st.n, 2);
        assert_int_equal(st.p[0].month, 202503);
        assert_int_equal(st.p[1].month, 202504);
        assert_int_equal(mb_walk_charge(f->bj, &st, &pos, by_month, &m, err, sizeof(err)), MB_OK);
        assert_int_equal(mb_tariff_acc_energy(m.mar), 20000);
        assert_int_equal(mb_tariff_acc_energy(m.apr), 60000);
        assert_int_equal(tt_total(m.mar), 977);
        assert_int_equal(tt_total(m.apr), 2930);
        /* a frozen value outside the two registers is not believed */
        x.frozen_wh = 1090000;
        mb_walk_plan(&ref, &x, 0, &st);
        assert_int_equal(st.n, 1);
        /* nor a mid-month freeze */
        x.frozen_wh = 1020000;
        x.frozen_t = T + 2 * 86400;
        mb_walk_plan(&ref, &x, 0, &st);
        assert_int_equal(st.n, 1);
        mb_tariff_acc_free(m.mar);
        mb_tariff_acc_free(m.apr);
}

/* Before the first part of a plan nothing is in force: the step is not
 * charged and says so. */
static void walk_no_tariff(void **state)
{
        struct fx *f = *state;
        mb_tariff_reading ref = tt_rd(tt_lt(2024, 12, 30, 0, 0), 1000);
        mb_walk_point x = pt(tt_lt(2024, 12, 31, 0, 0), 5000);
        mb_tariff_acc *acc = mb_tariff_acc_new();
        mb_tier_pos pos = {0, 0};
        mb_walk_step st;
        char err[128];

        mb_walk_plan(&ref, &x, 0, &st);
        assert_int_equal(mb_walk_charge(f->plan, &st, &pos, only, acc, err, sizeof(err)), MB_OK);
        assert_true(st.events & MB_WALK_NO_TARIFF);
        assert_int_equal(mb_tariff_acc_count(acc), 0);
        mb_tariff_acc_free(acc);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(plan_mid_month_carries_tiers),
            cmocka_unit_test(plan_text_round_trip),
            cmocka_unit_test(plan_errors),
            cmocka_unit_test(walk_month_of_interval),
            cmocka_unit_test(walk_rollover_and_backwards),
            cmocka_unit_test(walk_operator_fix),
            cmocka_unit_test(walk_clock_back),
            cmocka_unit_test(walk_frozen_defines_month),
            cmocka_unit_test(walk_no_tariff),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
