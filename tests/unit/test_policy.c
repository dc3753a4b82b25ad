/* SPDX-License-Identifier: Apache-2.0 */
/* The cut-off policy's decisions, step by step. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <meterbox/plugin.h>

#include "agent_policy.h"

/* 2026-11-25 12:00 Asia/Shanghai (a Wednesday) */
#define NOON 1795579200LL

static struct agent_policy_cfg cfg;
static struct agent_policy_state st;
static struct agent_decision d[AGENT_POLICY_MAX_DECISIONS];

static int setup(void **state)
{
        setenv("TZ", "Asia/Shanghai", 1);
        tzset();
        memset(&cfg, 0, sizeof(cfg));
        memset(&st, 0, sizeof(st));
        cfg.tamper_wh = 10;
        return 0;
}

static struct agent_policy_input at(int64_t now, int64_t balance, int snap)
{
        struct agent_policy_input in = {.now = now,
                                        .have_balance = 1,
                                        .balance_fen = balance,
                                        .alarm1_fen = 2000,
                                        .alarm2_fen = 500,
                                        .credit_limit_fen = 0,
                                        .reconnect_fen = 100,
                                        .mode = AGENT_MODE_PREPAID,
                                        .new_snapshot = snap,
                                        .have_import = 1,
                                        .import_wh = 1000};
        return in;
}

static int decide(struct agent_policy_input in)
{
        return agent_policy_decide(&cfg, &st, &in, d);
}

static void falls_through_alarms_to_trip(void **state)
{
        assert_int_equal(decide(at(NOON, 5000, 1)), 0);
        assert_int_equal(decide(at(NOON, 1999, 0)), 1);
        assert_string_equal(d[0].event, "alarm1");
        assert_int_equal(d[0].control, -1);
        assert_int_equal(decide(at(NOON, 1500, 0)), 0); /* still alarm 1: no repeat */
        assert_int_equal(decide(at(NOON, 500, 0)), 1);
        assert_string_equal(d[0].event, "alarm2");
        assert_int_equal(d[0].control, MB_CTL_ALARM);
        assert_int_equal(decide(at(NOON, 1, 0)), 0);
        assert_int_equal(decide(at(NOON, 0, 0)), 1);
        assert_string_equal(d[0].event, "trip");
        assert_int_equal(d[0].control, MB_CTL_TRIP);
        assert_int_equal(st.level, AGENT_CUT);
        assert_int_equal(decide(at(NOON, -50, 0)), 0); /* cut: nothing more */
}

static void one_reading_can_cross_every_threshold(void **state)
{
        assert_int_equal(decide(at(NOON, -3, 0)), 3);
        assert_string_equal(d[0].event, "alarm1");
        assert_string_equal(d[1].event, "alarm2");
        assert_string_equal(d[2].event, "trip");
}

static void trip_waits_for_no_cut_window(void **state)
{
        cfg.n_no_cut = 1;
        cfg.no_cut[0].from_min = 11 * 60;
        cfg.no_cut[0].to_min = 13 * 60;
        assert_int_equal(decide(at(NOON, -10, 0)), 3);
        assert_string_equal(d[2].event, "trip_deferred");
        assert_int_equal(d[2].control, -1);
        assert_non_null(strstr(d[2].reason, "no-cut hours 11:00-13:00"));
        assert_int_equal(decide(at(NOON + 1800, -20, 0)), 0); /* deferred once */
        assert_int_equal(decide(at(NOON + 3600, -30, 0)), 1); /* 13:00: window over */
        assert_string_equal(d[0].event, "trip");
}

static void window_crossing_midnight(void **state)
{
        char buf[96];

        cfg.n_no_cut = 1;
        cfg.no_cut[0].from_min = 22 * 60;
        cfg.no_cut[0].to_min = 6 * 60;
        assert_null(agent_policy_no_cut(&cfg, NOON, buf, sizeof(buf)));
        assert_non_null(agent_policy_no_cut(&cfg, NOON + 11 * 3600, buf, sizeof(buf))); /* 23:00 */
        assert_non_null(agent_policy_no_cut(&cfg, NOON + 17 * 3600, buf, sizeof(buf))); /* 05:00 */
        assert_null(agent_policy_no_cut(&cfg, NOON + 18 * 3600, buf, sizeof(buf)));     /* 06:00 */
}

static void holidays_and_the_day_before(void **state)
{
        char buf[96];

        cfg.n_holidays = 1;
        cfg.holidays[0] = 20261126;
        assert_null(agent_policy_no_cut(&cfg, NOON - 86400, buf, sizeof(buf)));
        assert_non_null(agent_policy_no_cut(&cfg, NOON, buf, sizeof(buf))); /* 25th: day before */
        assert_non_null(strstr(buf, "day before holiday"));
        assert_non_null(agent_policy_no_cut(&cfg, NOON + 86400, buf, sizeof(buf)));
        assert_null(agent_policy_no_cut(&cfg, NOON + 2 * 86400, buf, sizeof(buf)));
        cfg.no_cut_weekdays = 1u << 2; /* Tuesday, the 24th */
        assert_non_null(agent_policy_no_cut(&cfg, NOON - 86400, buf, sizeof(buf)));
}

static void grace_after_alarm2(void **state)
{
        cfg.alarm2_delay_s = 600;
        assert_int_equal(decide(at(NOON, 400, 0)), 2);
        assert_int_equal(decide(at(NOON + 60, -1, 0)), 1);
        assert_string_equal(d[0].event, "trip_deferred");
        assert_non_null(strstr(d[0].reason, "grace period"));
        assert_int_equal(decide(at(NOON + 600, -2, 0)), 1);
        assert_string_equal(d[0].event, "trip");
}

static void protected_is_never_cut(void **state)
{
        struct agent_policy_input in = at(NOON, -100000, 1);

        in.protected_flag = 1;
        assert_int_equal(decide(in), 1);
        assert_string_equal(d[0].event, "protected");
        for (int i = 0; i < 5; i++)
                assert_int_equal(decide(in), 0);
        assert_int_equal(st.level, AGENT_PROTECTED);
        in.protected_flag = 0;
        assert_int_equal(decide(in), 4);
        assert_string_equal(d[0].event, "unprotected");
        assert_string_equal(d[3].event, "trip");
}

static void protecting_a_cut_account_closes_it(void **state)
{
        struct agent_policy_input in = at(NOON, -10, 0);

        decide(in);
        assert_int_equal(st.level, AGENT_CUT);
        in.protected_flag = 1;
        assert_int_equal(decide(in), 2);
        assert_string_equal(d[0].event, "close");
        assert_int_equal(d[0].control, MB_CTL_CLOSE);
}

static void snapshot_above_reconnect_closes(void **state)
{
        decide(at(NOON, -10, 0));
        assert_int_equal(decide(at(NOON, 100, 1)), 0);  /* at the threshold: stays cut */
        assert_int_equal(decide(at(NOON, 5000, 0)), 0); /* not a snapshot: no close */
        assert_int_equal(decide(at(NOON, 101, 1)), 1);
        assert_string_equal(d[0].event, "close");
        assert_int_equal(d[0].control, MB_CTL_CLOSE);
        assert_int_equal(st.level, AGENT_NORMAL);
        /* The next reading finds it in alarm 1 and 2 again, but not cut. */
        assert_int_equal(decide(at(NOON, 100, 0)), 2);
        assert_string_equal(d[1].event, "alarm2");
}

static void reconnect_threshold_never_below_limit(void **state)
{
        struct agent_policy_input in = at(NOON, -10, 0);

        decide(in);
        in = at(NOON, 50, 1);
        in.reconnect_fen = -500; /* misconfigured: limit + 100 applies */
        assert_int_equal(decide(in), 0);
        in.balance_fen = 101;
        assert_int_equal(decide(in), 1);
}

static void arming_instead_of_closing(void **state)
{
        cfg.arm_on_close = 1;
        decide(at(NOON, -10, 0));
        assert_int_equal(decide(at(NOON, 1000, 1)), 1);
        assert_string_equal(d[0].event, "arm");
        assert_int_equal(d[0].control, MB_CTL_ARM);
}

static void energy_while_cut_is_tamper(void **state)
{
        struct agent_policy_input in = at(NOON, -10, 0);

        decide(in);
        in.import_wh = 1005; /* before the relay opened: the baseline */
        assert_int_equal(decide(in), 0);
        in.import_wh = 1015;
        assert_int_equal(decide(in), 0);
        in.import_wh = 1016;
        assert_int_equal(decide(in), 1);
        assert_string_equal(d[0].event, "tamper");
        in.import_wh = 1100;
        assert_int_equal(decide(in), 0); /* once per cut */
}

static void alarms_clear_only_on_snapshot(void **state)
{
        decide(at(NOON, 400, 0));
        assert_int_equal(st.level, AGENT_ALARM2);
        assert_int_equal(decide(at(NOON, 9000, 0)), 0);
        assert_int_equal(decide(at(NOON, 9000, 1)), 1);
        assert_string_equal(d[0].event, "alarm_clear");
        assert_int_equal(d[0].control, MB_CTL_ALARM_CLEAR);
        assert_int_equal(st.level, AGENT_NORMAL);
}

static void monthly_accounts_are_not_cut_locally(void **state)
{
        struct agent_policy_input in = at(NOON, -100000, 1);

        in.mode = AGENT_MODE_MONTHLY;
        assert_int_equal(decide(in), 0);
        in.have_balance = 0;
        in.mode = AGENT_MODE_PREPAID;
        assert_int_equal(decide(in), 0);
}

static void operator_hold_keeps_supply_off(void **state)
{
        struct agent_policy_input in = at(NOON, 90000, 1);

        in.hold = 1;
        assert_int_equal(decide(in), 1);
        assert_string_equal(d[0].event, "trip");
        assert_non_null(strstr(d[0].reason, "operator"));
        assert_int_equal(decide(in), 0); /* a rich snapshot does not close a held meter */
        in.hold = 0;
        assert_int_equal(decide(in), 1); /* released: the balance decides */
        assert_string_equal(d[0].event, "close");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup(f, setup)
        const struct CMUnitTest tests[] = {
            T(falls_through_alarms_to_trip),    T(one_reading_can_cross_every_threshold),
            T(trip_waits_for_no_cut_window),    T(window_crossing_midnight),
            T(holidays_and_the_day_before),     T(grace_after_alarm2),
            T(protected_is_never_cut),          T(protecting_a_cut_account_closes_it),
            T(snapshot_above_reconnect_closes), T(reconnect_threshold_never_below_limit),
            T(arming_instead_of_closing),       T(energy_while_cut_is_tamper),
            T(alarms_clear_only_on_snapshot),   T(monthly_accounts_are_not_cut_locally),
            T(operator_hold_keeps_supply_off),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
