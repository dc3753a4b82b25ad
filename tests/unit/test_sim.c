/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sim plugin: determinism, energy integration, registers, TOU rates, frozen
 * month-end register, electrical quantities.  Driven through the descriptor
 * with a fake host whose clocks the test sets.
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

#define JAN15_UTC INT64_C(1705276800)    /* 2024-01-15 00:00 UTC */
#define JAN15_LOCAL8 INT64_C(1705248000) /* 2024-01-15 00:00 at UTC+8 */
#define JUL15_LOCAL8 INT64_C(1720972800) /* 2024-07-15 00:00 at UTC+8 */
#define FEB01_LOCAL8 INT64_C(1706716800) /* 2024-02-01 00:00 at UTC+8 */
#define HOUR_MS INT64_C(3600000)

static void *new_meter(struct fake_kv *kv, const char *name)
{
        static struct mb_ctx ctx[8];
        static int next;
        void *m;
        mb_err err;

        assert_int_equal(fake_meter_new(P, &ctx[next++ % 8], kv, name, NULL, 1000, &m, &err),
                         MB_OK);
        return m;
}

static void read_ok(void *m, mb_reading *r)
{
        mb_err err;

        assert_int_equal(fake_read(P, m, r, &err), MB_OK);
}

/* A fixed pseudo-random clock step sequence (10 s .. ~17 min). */
static int64_t step_ms(uint32_t *state)
{
        *state = *state * 1664525u + 1013904223u;
        return 10000 + (int64_t)(*state % 1000000u);
}

static void run_sequence(void *m, mb_reading *out, int n)
{
        uint32_t s = 42;

        fake_reset(5000, JAN15_UTC);
        for (int i = 0; i < n; i++) {
                read_ok(m, &out[i]);
                fake_advance_ms(step_ms(&s));
        }
}

static void test_determinism(void **state)
{
        struct fake_kv kv[] = {KV_INT("seed", 7), KV_INT("phases", 3), KV_INT("speed", 5), {0}};
        struct fake_kv kv2[] = {KV_INT("seed", 8), KV_INT("phases", 3), KV_INT("speed", 5), {0}};
        static mb_reading a[200], b[200], c[200];
        void *ma = new_meter(kv, "a"), *mb = new_meter(kv, "a"), *mc = new_meter(kv2, "a");

        run_sequence(ma, a, 200);
        run_sequence(mb, b, 200);
        run_sequence(mc, c, 200);
        for (int i = 0; i < 200; i++)
                assert_memory_equal(&a[i], &b[i], sizeof(a[i]));
        assert_true(a[199].import_wh > 0);
        assert_int_not_equal(a[199].import_wh, c[199].import_wh);
        P->meter_free(ma);
        P->meter_free(mb);
        P->meter_free(mc);
}

static void assert_registers_sane(const mb_reading *prev, const mb_reading *r)
{
        int64_t sum = 0;

        for (int k = 0; k < MB_RATES; k++) {
                assert_true(r->rate_wh[k] >= prev->rate_wh[k]);
                sum += r->rate_wh[k];
        }
        assert_int_equal(sum, r->import_wh);
        assert_true(r->import_wh >= prev->import_wh);
}

static void test_monotonic_with_clock_steps(void **state)
{
        struct fake_kv kv[] = {
            KV_INT("peak_w", 9000), KV_INT("noise_pct", 50), KV_INT("start_wh", 123456), {0}};
        void *m = new_meter(kv, "mono");
        mb_reading prev, r;
        uint32_t s = 1;

        fake_reset(0, JAN15_UTC);
        read_ok(m, &prev);
        assert_int_equal(prev.import_wh, 123456);
        for (int i = 0; i < 2000; i++) {
                fake_advance_ms(step_ms(&s));
                if (i % 97 == 0)
                        fake_real_s -= 7200; /* the UTC clock is set back */
                if (i % 131 == 0)
                        fake_real_s += 86400 * 3; /* ... or forward */
                read_ok(m, &r);
                assert_registers_sane(&prev, &r);
                prev = r;
        }
        assert_true(prev.import_wh > 123456);
        P->meter_free(m);
}

static void test_exact_energy(void **state)
{
        struct fake_kv kv[] = {KV_STR("profile", "flat"),
                               KV_INT("noise_pct", 0),
                               KV_INT("base_w", 1000),
                               KV_INT("start_wh", 500),
                               {0}};
        struct fake_kv fast[] = {KV_STR("profile", "flat"),
                                 KV_INT("noise_pct", 0),
                                 KV_INT("base_w", 1000),
                                 KV_INT("speed", 10),
                                 {0}};
        void *m = new_meter(kv, "exact"), *f = new_meter(fast, "fast");
        mb_reading r;

        fake_reset(0, JAN15_UTC);
        read_ok(m, &r);
        read_ok(f, &r);
        assert_int_equal(r.import_wh, 0);
        for (int i = 0; i < 3600; i++) /* one hour in 1 s reads */
                fake_advance_ms(1000), read_ok(m, &r);
        assert_int_equal(r.import_wh, 1500);
        assert_int_equal(r.power_mw, 1000000);
        read_ok(f, &r);
        assert_int_equal(r.import_wh, 10000);
        fake_advance_ms(HOUR_MS / 2); /* 500 Wh more; 1.8 s more is 0.5 Wh */
        fake_advance_ms(1800);
        read_ok(m, &r);
        assert_int_equal(r.import_wh, 2000);
        fake_advance_ms(1800);
        read_ok(m, &r);
        assert_int_equal(r.import_wh, 2001);
        P->meter_free(m);
        P->meter_free(f);
}

static void day_of_rates(int64_t start_s, int64_t expect[MB_RATES])
{
        struct fake_kv kv[] = {KV_STR("profile", "flat"),
                               KV_INT("noise_pct", 0),
                               KV_INT("base_w", 1000),
                               KV_INT("utc_offset_min", 480),
                               {0}};
        void *m = new_meter(kv, "tou");
        mb_reading r;

        fake_reset(0, start_s);
        read_ok(m, &r);
        for (int i = 0; i < 24 * 4; i++) {
                fake_advance_ms(HOUR_MS / 4);
                read_ok(m, &r);
        }
        assert_memory_equal(r.rate_wh, expect, sizeof(r.rate_wh));
        assert_true(r.fields & MB_F_RATES);
        P->meter_free(m);
}

static void test_tou_rates(void **state)
{
        /* sharp, peak (08-11, 18-23), flat (07-08, 11-18), valley (23-07) */
        int64_t winter[MB_RATES] = {0, 8000, 8000, 8000};
        int64_t summer[MB_RATES] = {2000, 6000, 8000, 8000}; /* sharp 19-21 */

        day_of_rates(JAN15_LOCAL8, winter);
        day_of_rates(JUL15_LOCAL8, summer);
}

static void test_frozen_at_month_boundary(void **state)
{
        struct fake_kv kv[] = {KV_STR("profile", "flat"),
                               KV_INT("noise_pct", 0),
                               KV_INT("base_w", 1000),
                               KV_INT("utc_offset_min", 480),
                               {0}};
        void *m = new_meter(kv, "frozen");
        mb_reading r;

        fake_reset(0, FEB01_LOCAL8 - 3600); /* 23:00 local on 31 January */
        read_ok(m, &r);
        assert_false(r.fields & MB_F_FROZEN);
        fake_advance_ms(HOUR_MS - 60000);
        read_ok(m, &r);
        assert_false(r.fields & MB_F_FROZEN);
        fake_advance_ms(HOUR_MS + 60000 + 7 * 60000); /* 01:07 local, one read */
        read_ok(m, &r);
        assert_true(r.fields & MB_F_FROZEN);
        assert_int_equal(r.frozen_time, FEB01_LOCAL8);
        assert_int_equal(r.frozen_import_wh, 1000); /* the register at midnight */
        assert_int_equal(r.import_wh, 2116);
        P->meter_free(m);
}

/* The maximum demand (option demand): the largest 15-minute block average
 * of the month so far and the end of its block; at the month boundary it
 * freezes and starts again.  1000 W flat from 23:05 local on 31 January:
 * the 23:00-23:15 block had 10 minutes of it, 666.666 W; the next a full
 * 1000 W, first seen at 23:30, which stays the time.  The interval may be
 * shorter (demand_interval_s, a divisor of 900). */
static void test_demand(void **state)
{
        struct fake_kv kv[] = {KV_STR("profile", "flat"), KV_INT("noise_pct", 0),
                               KV_INT("base_w", 1000),    KV_INT("utc_offset_min", 480),
                               KV_BOOL("demand", 1),      {0}};
        struct fake_kv bad[] = {KV_BOOL("demand", 1), KV_INT("demand_interval_s", 7), {0}};
        struct fake_kv off[] = {KV_STR("profile", "flat"), {0}};
        void *m = new_meter(kv, "demand"), *n = new_meter(off, "no-demand");
        struct mb_ctx ctx;
        mb_reading r;
        mb_err err;
        void *x;

        fake_reset(0, FEB01_LOCAL8 - 3600 + 300); /* 23:05 local */
        read_ok(m, &r);
        assert_true(r.fields & MB_F_DEMAND);
        assert_false(r.fields & MB_F_FROZEN_DEMAND);
        assert_int_equal(r.demand_mw, 0);
        fake_advance_ms(15 * 60000); /* 23:20 */
        read_ok(m, &r);
        assert_int_equal(r.demand_mw, 666666);
        assert_int_equal(r.demand_time, FEB01_LOCAL8 - 3600 + 900);
        fake_advance_ms(20 * 60000); /* 23:40 */
        read_ok(m, &r);
        assert_int_equal(r.demand_mw, 1000000);
        assert_int_equal(r.demand_time, FEB01_LOCAL8 - 3600 + 1800);
        fake_advance_ms(40 * 60000); /* 00:20 */
        read_ok(m, &r);
        assert_true(r.fields & MB_F_FROZEN_DEMAND);
        assert_int_equal(r.frozen_demand_mw, 1000000);
        assert_int_equal(r.frozen_demand_time, FEB01_LOCAL8);
        assert_int_equal(r.demand_mw, 1000000); /* 00:00-00:15, February's */
        assert_int_equal(r.demand_time, FEB01_LOCAL8 + 900);
        read_ok(n, &r);
        assert_false(r.fields & (MB_F_DEMAND | MB_F_FROZEN_DEMAND));
        assert_int_equal(fake_meter_new(P, &ctx, bad, "bad", NULL, 1000, &x, &err), MB_ECONFIG);
        P->meter_free(m);
        P->meter_free(n);
}

static void test_electrical_and_identity(void **state)
{
        struct fake_kv kv[] = {KV_INT("phases", 3),        KV_INT("voltage_v", 230),
                               KV_INT("frequency_hz", 60), KV_STR("profile", "flat"),
                               KV_INT("base_w", 6000),     {0}};
        void *m = new_meter(kv, "three-phase"), *n = new_meter(NULL, "single");
        struct mb_ctx ctx;
        void *addr;
        mb_err err;
        mb_reading r;
        int64_t sum = 0;

        fake_reset(0, JAN15_UTC);
        fake_advance_ms(61000);
        read_ok(m, &r);
        assert_int_equal(r.phases, 3);
        assert_true(r.pf_milli >= 880 && r.pf_milli < 980);
        assert_true(r.freq_mhz >= 59950 && r.freq_mhz <= 60050);
        for (int i = 0; i < 3; i++) {
                assert_true(r.voltage_mv[i] > 230000 * 95 / 100 &&
                            r.voltage_mv[i] < 230000 * 103 / 100);
                sum += (int64_t)r.voltage_mv[i] * r.current_ma[i] / 1000 * r.pf_milli / 1000;
        }
        assert_true(sum > r.power_mw * 99 / 100 && sum <= r.power_mw); /* P = sum V I pf */
        assert_int_equal(r.meter_time, JAN15_UTC + 61);
        assert_int_equal(strlen(r.address), 12);
        assert_int_equal(r.relay, MB_RELAY_CLOSED);
        assert_int_equal(r.fields & ~(unsigned)MB_F_FROZEN,
                         MB_F_IMPORT | MB_F_RATES | MB_F_POWER | MB_F_VOLTAGE | MB_F_CURRENT |
                             MB_F_PF | MB_F_FREQ | MB_F_RELAY | MB_F_ADDRESS | MB_F_METER_TIME);
        read_ok(n, &r);
        assert_int_equal(r.phases, 1);
        assert_int_equal(fake_meter_new(P, &ctx, NULL, "x", "000000001234", 1000, &addr, &err),
                         MB_OK);
        read_ok(addr, &r);
        assert_string_equal(r.address, "000000001234");
        assert_false(r.fields & MB_F_ACCOUNT);
        P->meter_free(addr);
        /* The customer number the meter holds (option account). */
        {
                struct fake_kv akv[] = {KV_STR("account", "1100000001"), {0}};
                void *a = new_meter(akv, "with-account");

                read_ok(a, &r);
                assert_true(r.fields & MB_F_ACCOUNT);
                assert_string_equal(r.account, "1100000001");
                P->meter_free(a);
        }
        P->meter_free(m);
        P->meter_free(n);
}

static int64_t power_at_local_hour(const char *profile, int hour)
{
        struct fake_kv kv[] = {KV_STR("profile", profile),
                               KV_INT("noise_pct", 0),
                               KV_INT("base_w", 100),
                               KV_INT("peak_w", 2100),
                               {0}};
        void *m = new_meter(kv, "shape");
        mb_reading r;

        fake_reset(0, JAN15_UTC + hour * 3600);
        read_ok(m, &r);
        P->meter_free(m);
        return r.power_mw;
}

static void test_daily_shape(void **state)
{
        assert_int_equal(power_at_local_hour("residential", 19), 2100000);
        assert_int_equal(power_at_local_hour("residential", 3), 120000);
        assert_true(power_at_local_hour("residential", 7) > power_at_local_hour("residential", 14));
        assert_int_equal(power_at_local_hour("commercial", 2), 100000);
        assert_int_equal(power_at_local_hour("commercial", 11), 2100000);
        assert_int_equal(power_at_local_hour("flat", 19), 100000);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_determinism),
            cmocka_unit_test(test_monotonic_with_clock_steps),
            cmocka_unit_test(test_exact_energy),
            cmocka_unit_test(test_tou_rates),
            cmocka_unit_test(test_frozen_at_month_boundary),
            cmocka_unit_test(test_demand),
            cmocka_unit_test(test_electrical_and_identity),
            cmocka_unit_test(test_daily_shape),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
