/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sim plugin: options.  Defaults, every key looked up, each bad value
 * reported through cfg_error with the key named, all errors in one run.
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

static struct mb_ctx ctx;

static int try_new(struct fake_kv *kv, const char *address)
{
        void *m = NULL;
        mb_err err;
        int rc;

        fake_reset(0, 1705276800);
        rc = fake_meter_new(P, &ctx, kv, "opt", address, 1000, &m, &err);
        if (rc == MB_OK) {
                assert_non_null(m);
                P->meter_free(m);
        } else {
                assert_null(m);
                assert_int_equal(err.code, rc);
                assert_true(err.msg[0] != '\0');
        }
        return rc;
}

static void test_defaults(void **state)
{
        assert_int_equal(try_new(NULL, NULL), MB_OK);
        assert_int_equal(fake_cfg_errors(), 0);
}

static void test_every_option_is_looked_up(void **state)
{
        struct fake_kv kv[] = {KV_INT("seed", 1),
                               KV_STR("profile", "commercial"),
                               KV_INT("base_w", 10),
                               KV_INT("peak_w", 20),
                               KV_INT("noise_pct", 5),
                               KV_INT("start_wh", 1),
                               KV_INT("speed", 2),
                               KV_INT("phases", 3),
                               KV_INT("voltage_v", 230),
                               KV_INT("frequency_hz", 60),
                               KV_BOOL("relay", 1),
                               KV_INT("arm_autoclose_s", 5),
                               KV_INT("utc_offset_min", 480),
                               KV_INT("fault_timeout_every", 9),
                               KV_INT("fault_garbage_every", 7),
                               KV_STR("fault_garbage_mode", "reading"),
                               KV_INT("fault_reset_at", 100),
                               KV_STR("state_file", "/nonexistent/x"),
                               {0}};

        assert_int_equal(try_new(kv, NULL), MB_OK);
        assert_int_equal(fake_unused_keys(&ctx), 0);
        assert_int_equal(fake_cfg_errors(), 0);
}

static void expect_error(struct fake_kv *kv, const char *key, const char *text)
{
        char where[64];

        assert_int_equal(try_new(kv, NULL), MB_ECONFIG);
        snprintf(where, sizeof(where), ": %s: ", key);
        assert_non_null(strstr(fake_cfg_last_error(), where));
        assert_non_null(strstr(fake_cfg_last_error(), text));
        assert_int_equal(fake_unused_keys(&ctx), 0);
}

static void test_out_of_range(void **state)
{
        struct fake_kv phases[] = {KV_INT("phases", 2), {0}};
        struct fake_kv peak[] = {KV_INT("base_w", 500), KV_INT("peak_w", 400), {0}};
        struct fake_kv speed[] = {KV_INT("speed", 0), {0}};
        struct fake_kv noise[] = {KV_INT("noise_pct", 51), {0}};
        struct fake_kv offset[] = {KV_INT("utc_offset_min", 900), {0}};
        struct fake_kv hz[] = {KV_INT("frequency_hz", 55), {0}};
        struct fake_kv neg[] = {KV_INT("fault_reset_at", -1), {0}};

        expect_error(phases, "phases", "must be 1 or 3, not 2");
        expect_error(peak, "peak_w", "must not be below base_w");
        expect_error(speed, "speed", "between 1 and 100000, not 0");
        expect_error(noise, "noise_pct", "not 51");
        expect_error(offset, "utc_offset_min", "not 900");
        expect_error(hz, "frequency_hz", "50 or 60");
        expect_error(neg, "fault_reset_at", "not -1");
}

static void test_bad_values(void **state)
{
        struct fake_kv type[] = {KV_STR("speed", "fast"), {0}};
        struct fake_kv mode[] = {KV_STR("fault_garbage_mode", "bogus"), {0}};
        struct fake_kv profile[] = {KV_STR("profile", "industrial"), {0}};
        struct fake_kv relay[] = {KV_BOOL("relay", 0), KV_INT("arm_autoclose_s", 5), {0}};
        struct fake_kv empty[] = {KV_STR("state_file", ""), {0}};

        expect_error(type, "speed", "expected an integer");
        expect_error(mode, "fault_garbage_mode", "\"frame\", \"reading\"");
        expect_error(profile, "profile", "unknown value \"industrial\"");
        expect_error(relay, "arm_autoclose_s", "needs a relay");
        expect_error(empty, "state_file", "must not be empty");
}

static void test_all_errors_in_one_run(void **state)
{
        struct fake_kv kv[] = {KV_INT("phases", 2),
                               KV_INT("speed", 0),
                               KV_STR("seed", "x"),
                               KV_INT("voltage_v", 1),
                               {0}};

        assert_int_equal(try_new(kv, NULL), MB_ECONFIG);
        assert_int_equal(fake_cfg_errors(), 4);
        assert_int_equal(fake_unused_keys(&ctx), 0);
}

static void test_address(void **state)
{
        assert_int_equal(try_new(NULL, "0123456789012345678901234567890"), MB_OK);
        assert_int_equal(try_new(NULL, "01234567890123456789012345678901"), MB_ECONFIG);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_defaults),
            cmocka_unit_test(test_every_option_is_looked_up),
            cmocka_unit_test(test_out_of_range),
            cmocka_unit_test(test_bad_values),
            cmocka_unit_test(test_all_errors_in_one_run),
            cmocka_unit_test(test_address),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
