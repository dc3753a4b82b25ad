/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sim plugin: injected faults behave as configured (timeouts that honour
 * timeout_ms, garbage frames, invalid readings, one register reset).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "test_sim_host.h"

extern const struct mb_plugin meterbox_plugin;
#define P (&meterbox_plugin)

#define T0 INT64_C(1705276800)
#define HOUR_MS INT64_C(3600000)

static void *new_meter(struct fake_kv *kv, int timeout_ms)
{
        static struct mb_ctx ctx;
        void *m;
        mb_err err;

        fake_reset(0, T0);
        assert_int_equal(fake_meter_new(P, &ctx, kv, "faulty", NULL, timeout_ms, &m, &err), MB_OK);
        return m;
}

static int64_t now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_timeout_every_third(void **state)
{
        struct fake_kv kv[] = {KV_INT("fault_timeout_every", 3), {0}};
        void *m = new_meter(kv, 60);
        mb_reading r;
        mb_err err;

        for (int i = 1; i <= 7; i++) {
                int64_t t = now_ms();
                int rc = fake_read(P, m, &r, &err);
                int64_t took = now_ms() - t;

                if (i % 3 == 0) {
                        assert_int_equal(rc, MB_ETIMEDOUT);
                        assert_int_equal(err.code, MB_ETIMEDOUT);
                        assert_non_null(strstr(err.msg, "within 60 ms"));
                        assert_true(took >= 59 && took < 60 + 250);
                } else {
                        assert_int_equal(rc, MB_OK);
                        assert_true(took < 50);
                }
                fake_advance_ms(60000);
        }
        P->meter_free(m);
}

static void test_garbage_frame(void **state)
{
        struct fake_kv kv[] = {KV_INT("fault_garbage_every", 2), {0}};
        void *m = new_meter(kv, 100);
        mb_reading r;
        mb_err err;

        assert_int_equal(fake_read(P, m, &r, &err), MB_OK);
        assert_int_equal(fake_read(P, m, &r, &err), MB_EPROTO);
        assert_non_null(strstr(err.msg, "garbage frame"));
        assert_true(fake_log_has("frame rx 16 bytes"));
        assert_int_equal(fake_read(P, m, &r, &err), MB_OK);
        P->meter_free(m);
}

static void test_garbage_readings(void **state)
{
        struct fake_kv kv[] = {
            KV_INT("fault_garbage_every", 1), KV_STR("fault_garbage_mode", "reading"), {0}};
        void *m = new_meter(kv, 100);
        mb_reading r[8];
        mb_err err;

        for (int i = 0; i < 8; i++) {
                assert_int_equal(fake_read(P, m, &r[i], &err), MB_OK);
                fake_advance_ms(1000);
        }
        assert_true(r[0].fields & ~MB_F_KNOWN);
        assert_null(memchr(r[1].address, '\0', sizeof(r[1].address)));
        assert_true(r[2].phases > MB_PHASES);
        assert_true(r[3].pf_milli > 1000);
        assert_true(r[4].relay > MB_RELAY_ARMED);
        assert_int_equal(r[5].quality & (1u << 30), 1u << 30);
        assert_true(r[6].import_wh < 0);
        assert_true(r[7].fields & ~MB_F_KNOWN); /* the kinds cycle */
        P->meter_free(m);
}

static void test_timeout_wins_over_garbage(void **state)
{
        struct fake_kv kv[] = {
            KV_INT("fault_timeout_every", 2), KV_INT("fault_garbage_every", 2), {0}};
        void *m = new_meter(kv, 10);
        mb_reading r;
        mb_err err;

        assert_int_equal(fake_read(P, m, &r, &err), MB_OK);
        assert_int_equal(fake_read(P, m, &r, &err), MB_ETIMEDOUT);
        P->meter_free(m);
}

static void test_register_reset_once(void **state)
{
        struct fake_kv kv[] = {KV_INT("fault_reset_at", 5), KV_INT("start_wh", 1000000),
                               KV_STR("profile", "flat"),   KV_INT("noise_pct", 0),
                               KV_INT("base_w", 3600),      {0}};
        void *m = new_meter(kv, 100);
        mb_reading r;
        mb_err err;
        int64_t prev = 0;

        for (int i = 1; i <= 5; i++) {
                assert_int_equal(fake_read(P, m, &r, &err), MB_OK);
                assert_true(r.import_wh >= prev && r.import_wh >= 1000000);
                assert_int_equal(r.quality, 0);
                prev = r.import_wh;
                fake_advance_ms(10000); /* 10 Wh */
        }
        assert_int_equal(fake_read(P, m, &r, &err), MB_OK);
        assert_int_equal(r.import_wh, 0);
        assert_int_equal(r.quality, MB_Q_REGISTER_RESET);
        assert_true(fake_log_has("register reset to 0"));
        for (int i = 0; i < 10; i++) {
                fake_advance_ms(10000);
                assert_int_equal(fake_read(P, m, &r, &err), MB_OK);
                assert_int_equal(r.quality, 0);
                assert_int_equal(r.import_wh, 10 * (i + 1));
        }
        P->meter_free(m);
}

/* A bypassed meter (fault_stop_from/_until, UTC seconds) counts nothing and
 * shows no power in its window, and counts again after it: 3600 W is 1 Wh
 * a second, so 10 s before, 20 s stopped, 10 s after make 20 Wh. */
static void test_stop_window(void **state)
{
        int64_t t0 = T0;
        struct fake_kv kv[] = {KV_STR("profile", "flat"),
                               KV_INT("noise_pct", 0),
                               KV_INT("base_w", 3600),
                               KV_INT("fault_stop_from", t0 + 10),
                               KV_INT("fault_stop_until", t0 + 30),
                               {0}};
        void *m = new_meter(kv, 1);
        mb_reading r;
        mb_err err;

        (void)state;
        assert_int_equal(fake_read(P, m, &r, &err), MB_OK);
        assert_int_equal(r.import_wh, 0);
        fake_advance_ms(10000);
        assert_int_equal(fake_read(P, m, &r, &err), MB_OK);
        assert_int_equal(r.import_wh, 10);
        fake_advance_ms(15000);
        assert_int_equal(fake_read(P, m, &r, &err), MB_OK);
        assert_int_equal(r.import_wh, 10);
        assert_int_equal(r.power_mw, 0);
        fake_advance_ms(15000);
        assert_int_equal(fake_read(P, m, &r, &err), MB_OK);
        assert_int_equal(r.import_wh, 20);
        assert_true(r.power_mw > 0);
        P->meter_free(m);
}

static void test_energy_survives_failed_reads(void **state)
{
        struct fake_kv kv[] = {KV_INT("fault_timeout_every", 2),
                               KV_STR("profile", "flat"),
                               KV_INT("noise_pct", 0),
                               KV_INT("base_w", 1000),
                               {0}};
        void *m = new_meter(kv, 1);
        mb_reading r;
        mb_err err;

        assert_int_equal(fake_read(P, m, &r, &err), MB_OK);
        fake_advance_ms(HOUR_MS);
        assert_int_equal(fake_read(P, m, &r, &err), MB_ETIMEDOUT);
        fake_advance_ms(HOUR_MS);
        assert_int_equal(fake_read(P, m, &r, &err), MB_OK);
        assert_int_equal(r.import_wh, 2000);
        P->meter_free(m);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_timeout_every_third),
            cmocka_unit_test(test_garbage_frame),
            cmocka_unit_test(test_garbage_readings),
            cmocka_unit_test(test_timeout_wins_over_garbage),
            cmocka_unit_test(test_register_reset_once),
            cmocka_unit_test(test_energy_survives_failed_reads),
            cmocka_unit_test(test_stop_window),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
