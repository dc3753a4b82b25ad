/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sim plugin: the relay gates consumption (trip, close, arm with and without
 * auto-close, protection), the display alarm, a meter without a relay.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "test_sim_host.h"

extern const struct mb_plugin meterbox_plugin;
#define P (&meterbox_plugin)

#define T0 INT64_C(1705276800) /* 2024-01-15 00:00 UTC */
#define HOUR_MS INT64_C(3600000)

static struct fake_kv flat_kw[] = {
    KV_STR("profile", "flat"), KV_INT("noise_pct", 0), KV_INT("base_w", 1000), {0}};

static void *new_meter(struct fake_kv *kv)
{
        static struct mb_ctx ctx;
        void *m;
        mb_err err;

        for (struct fake_kv *k = kv; k->type != FK_END; k++)
                k->used = 0;
        assert_int_equal(fake_meter_new(P, &ctx, kv, "relay", NULL, 1000, &m, &err), MB_OK);
        return m;
}

static int64_t read_wh(void *m, mb_reading *r)
{
        mb_err err;

        assert_int_equal(fake_read(P, m, r, &err), MB_OK);
        return r->import_wh;
}

static int control(void *m, int op)
{
        mb_err err = {0};
        int state = -1;
        int rc = P->meter_control(m, op, &state, &err);

        if (rc < 0)
                assert_int_equal(err.code, rc);
        return rc < 0 ? rc : state;
}

static void test_trip_stops_energy(void **state)
{
        void *m = new_meter(flat_kw);
        mb_reading r;

        fake_reset(0, T0);
        assert_int_equal(read_wh(m, &r), 0);
        fake_advance_ms(HOUR_MS / 2);
        assert_int_equal(control(m, MB_CTL_TRIP), MB_RELAY_OPEN); /* 500 Wh before it count */
        fake_advance_ms(3 * HOUR_MS);
        assert_int_equal(read_wh(m, &r), 500);
        assert_int_equal(r.relay, MB_RELAY_OPEN);
        assert_int_equal(r.power_mw, 0);
        assert_int_equal(r.current_ma[0], 0);
        assert_true(r.voltage_mv[0] > 200000); /* the line side still has voltage */
        assert_int_equal(control(m, MB_CTL_QUERY), MB_RELAY_OPEN);
        assert_int_equal(control(m, MB_CTL_CLOSE), MB_RELAY_CLOSED);
        fake_advance_ms(HOUR_MS);
        assert_int_equal(read_wh(m, &r), 1500);
        assert_int_equal(r.power_mw, 1000000);
        assert_true(fake_log_has("relay closed -> open"));
        P->meter_free(m);
}

static void test_arm_closes_at_next_read(void **state)
{
        void *m = new_meter(flat_kw);
        mb_reading r;

        fake_reset(0, T0);
        control(m, MB_CTL_TRIP);
        assert_int_equal(control(m, MB_CTL_ARM), MB_RELAY_ARMED);
        fake_advance_ms(HOUR_MS);
        assert_int_equal(control(m, MB_CTL_QUERY), MB_RELAY_CLOSED); /* pressed now */
        fake_advance_ms(HOUR_MS);
        assert_int_equal(read_wh(m, &r), 1000); /* only the hour after the press */
        assert_int_equal(r.relay, MB_RELAY_CLOSED);
        assert_true(fake_log_has("customer pressed"));
        P->meter_free(m);
}

static void test_arm_autoclose_delay(void **state)
{
        struct fake_kv kv[] = {KV_STR("profile", "flat"),
                               KV_INT("noise_pct", 0),
                               KV_INT("base_w", 1000),
                               KV_INT("arm_autoclose_s", 600),
                               {0}};
        void *m = new_meter(kv);
        mb_reading r;

        fake_reset(0, T0);
        control(m, MB_CTL_TRIP);
        control(m, MB_CTL_ARM);
        fake_advance_ms(5 * 60000);
        assert_int_equal(read_wh(m, &r), 0);
        assert_int_equal(r.relay, MB_RELAY_ARMED);
        assert_int_equal(r.power_mw, 0);
        fake_advance_ms(55 * 60000); /* pressed 10 min after ARM: 50 min of supply */
        assert_int_equal(read_wh(m, &r), 833);
        assert_int_equal(r.relay, MB_RELAY_CLOSED);
        /* ARM on a closed relay leaves it closed. */
        assert_int_equal(control(m, MB_CTL_ARM), MB_RELAY_CLOSED);
        P->meter_free(m);
}

static void test_protect_refuses_trip(void **state)
{
        void *m = new_meter(flat_kw);
        mb_err err = {0};
        int st;

        fake_reset(0, T0);
        assert_int_equal(control(m, MB_CTL_PROTECT), MB_RELAY_CLOSED);
        assert_int_equal(P->meter_control(m, MB_CTL_TRIP, &st, &err), MB_ESTATE);
        assert_int_equal(st, MB_RELAY_CLOSED);
        assert_non_null(strstr(err.msg, "protected"));
        assert_int_equal(control(m, MB_CTL_UNPROTECT), MB_RELAY_CLOSED);
        assert_int_equal(control(m, MB_CTL_TRIP), MB_RELAY_OPEN);
        P->meter_free(m);
}

static void test_alarm_and_unknown_ops(void **state)
{
        void *m = new_meter(flat_kw);

        fake_reset(0, T0);
        assert_int_equal(control(m, MB_CTL_ALARM), MB_RELAY_CLOSED);
        assert_true(fake_log_has("alarm on"));
        assert_int_equal(control(m, MB_CTL_ALARM_CLEAR), MB_RELAY_CLOSED);
        assert_true(fake_log_has("alarm off"));
        assert_int_equal(control(m, 42), MB_ENOTSUP);
        assert_int_equal(control(m, -1), MB_ENOTSUP);
        P->meter_free(m);
}

static void test_meter_without_relay(void **state)
{
        struct fake_kv kv[] = {KV_BOOL("relay", 0), {0}};
        void *m = new_meter(kv);
        mb_err err = {0};
        mb_reading r;
        int st = -1;

        fake_reset(0, T0);
        assert_int_equal(P->meter_control(m, MB_CTL_TRIP, &st, &err), MB_ENOTSUP);
        assert_int_equal(st, MB_RELAY_UNKNOWN);
        assert_int_equal(control(m, MB_CTL_QUERY), MB_ENOTSUP);
        assert_int_equal(control(m, MB_CTL_ALARM), MB_RELAY_UNKNOWN);
        fake_advance_ms(HOUR_MS);
        assert_true(read_wh(m, &r) > 0);
        assert_false(r.fields & MB_F_RELAY);
        P->meter_free(m);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_trip_stops_energy),
            cmocka_unit_test(test_arm_closes_at_next_read),
            cmocka_unit_test(test_arm_autoclose_delay),
            cmocka_unit_test(test_protect_refuses_trip),
            cmocka_unit_test(test_alarm_and_unknown_ops),
            cmocka_unit_test(test_meter_without_relay),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
