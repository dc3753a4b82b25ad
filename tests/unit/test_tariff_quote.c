/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Runs the built `meterboxctl quote` (path in MB_CTL) on the example tariffs
 * and checks its JSON and exit status.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <json-c/json.h>
#include <sys/wait.h>

#include "test_tariff_util.h"

#ifndef MB_CTL
#error "MB_CTL must name the meterboxctl binary"
#endif

/* Run "meterboxctl ARGS", return its exit status; stdout in out. */
static int run(const char *args, char *out, size_t len)
{
        char cmd[1024];
        size_t n = 0, got;
        FILE *p;
        int st;

        snprintf(cmd, sizeof(cmd), "'%s' %s 2>/dev/null", MB_CTL, args);
        p = popen(cmd, "r");
        assert_non_null(p);
        while (n + 1 < len && (got = fread(out + n, 1, len - 1 - n, p)) > 0)
                n += got;
        out[n] = '\0';
        st = pclose(p);
        assert_true(WIFEXITED(st));
        return WEXITSTATUS(st);
}

static json_object *quote(const char *args)
{
        char a[512], out[16384];
        json_object *j;

        snprintf(a, sizeof(a), "quote %s", args);
        assert_int_equal(run(a, out, sizeof(out)), 0);
        j = json_tokener_parse(out);
        if (j == NULL)
                fail_msg("not JSON: %s", out);
        return j;
}

static json_object *get(json_object *o, const char *key)
{
        json_object *v = NULL;

        if (!json_object_object_get_ex(o, key, &v))
                fail_msg("no \"%s\" in %s", key, json_object_to_json_string(o));
        return v;
}

static const char *line_str(json_object *j, size_t i, const char *key)
{
        return json_object_get_string(get(json_object_array_get_idx(get(j, "lines"), i), key));
}

static void test_beijing_500(void **state)
{
        /* 240 x 0.4883 = 117.19, 160 x 0.5383 = 86.13, 100 x 0.7883 = 78.83. */
        json_object *j = quote("--tariff " MB_TARIFF_DIR "/beijing-residential.conf "
                               "--at 2024-05-10 --kwh 500");

        assert_int_equal(json_object_get_int64(get(j, "total_fen")), 28215);
        assert_string_equal(json_object_get_string(get(j, "total")), "282.15");
        assert_int_equal(json_object_array_length(get(j, "lines")), 3);
        assert_string_equal(line_str(j, 0, "amount"), "117.19");
        assert_string_equal(line_str(j, 0, "kwh"), "240.000");
        assert_string_equal(line_str(j, 0, "price"), "0.4883");
        assert_string_equal(line_str(j, 1, "amount"), "86.13");
        assert_string_equal(line_str(j, 2, "amount"), "78.83");
        assert_string_equal(line_str(j, 2, "rate"), "none");
        assert_string_equal(json_object_get_string(get(j, "tier_used_kwh_after")), "500.000");
        json_object_put(j);
}

static void test_decimal_kwh_and_tier_used(void **state)
{
        /* 12.345 kWh read as 12345 Wh; 230 kWh already used: 10 kWh in tier 1
         * (4.883 -> 4.88), 2.345 kWh in tier 2 (1.2623135 -> 1.26). */
        json_object *j = quote("--tariff " MB_TARIFF_DIR "/beijing-residential.conf "
                               "--at 2024-05-10 --kwh 12.345 --tier-used 230");

        assert_int_equal(json_object_get_int64(get(j, "total_fen")), 614);
        assert_string_equal(line_str(j, 1, "kwh"), "2.345");
        assert_string_equal(line_str(j, 1, "exact"), "1.2623135");
        json_object_put(j);
}

static void test_zhejiang_rates(void **state)
{
        /* As in test_tariff_calc: 2750 kWh used, peak 30 + valley 20 kWh:
         * 3.41 + 1.15 + 14.83 + 5.41 = 24.80. */
        json_object *j = quote("--tariff " MB_TARIFF_DIR "/zhejiang-residential.conf "
                               "--at 2024-06-10 --rates 0,30,0,20 --tier-used 2750");

        assert_int_equal(json_object_get_int64(get(j, "total_fen")), 2480);
        assert_int_equal(json_object_array_length(get(j, "lines")), 4);
        assert_string_equal(line_str(j, 0, "rate"), "peak");
        assert_false(json_object_get_boolean(get(j, "time_split")));
        json_object_put(j);
}

static void test_zhejiang_time_split(void **state)
{
        /* 24 kWh over a day: 14 h peak, 10 h valley -> 14 x 0.568 = 7.952
         * -> 7.95 and 10 x 0.288 = 2.88.  Total 10.83. */
        json_object *j = quote("--tariff " MB_TARIFF_DIR "/zhejiang-residential.conf "
                               "--at 2024-06-10 --kwh 24");

        assert_int_equal(json_object_get_int64(get(j, "total_fen")), 1083);
        assert_true(json_object_get_boolean(get(j, "time_split")));
        json_object_put(j);
}

static void test_enterprise_demand(void **state)
{
        /* 1200 + 3000 + 2480 + 600 (energy) + 20 (fixed) + 19000 (demand). */
        json_object *j = quote("--tariff " MB_TARIFF_DIR "/enterprise-tou-demand.conf "
                               "--at 2024-07-15 --rates 1000,3000,4000,2000 --demand-kw 500");

        assert_int_equal(json_object_get_int64(get(j, "total_fen")), 2630000);
        assert_string_equal(line_str(j, 5, "kind"), "demand");
        assert_string_equal(line_str(j, 5, "amount"), "19000.00");
        assert_string_equal(line_str(j, 4, "kind"), "fixed");
        json_object_put(j);
}

static void test_usage_and_errors(void **state)
{
        char out[8192];

        assert_int_equal(run("--help", out, sizeof(out)), 0);
        assert_non_null(strstr(out, "quote"));
        assert_int_equal(run("quote --help", out, sizeof(out)), 0);
        assert_non_null(strstr(out, "--tier-used"));
        assert_int_equal(run("", out, sizeof(out)), 2);
        assert_int_equal(run("nosuchcommand", out, sizeof(out)), 2);
        assert_int_equal(run("quote --kwh 5", out, sizeof(out)), 2);
        assert_int_equal(run("quote --tariff x --kwh 1.2345", out, sizeof(out)), 2);
        assert_int_equal(run("quote --tariff x --kwh -1", out, sizeof(out)), 2);
        assert_int_equal(run("quote --tariff x --rates 1,2,3", out, sizeof(out)), 2);
        assert_int_equal(run("quote --tariff x --kwh 1 --rates 1,2,3,4", out, sizeof(out)), 2);
        assert_int_equal(run("quote --tariff /nonexistent.conf --kwh 1", out, sizeof(out)), 1);
        assert_int_equal(run("quote --tariff " MB_TARIFF_DIR "/beijing-residential.conf "
                             "--at 2024-13-01 --kwh 1",
                             out, sizeof(out)),
                         1);
        assert_int_equal(run("quote --tariff " MB_TARIFF_DIR "/enterprise-tou-demand.conf "
                             "--at 2020-01-01 --kwh 1",
                             out, sizeof(out)),
                         1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_beijing_500),
            cmocka_unit_test(test_decimal_kwh_and_tier_used),
            cmocka_unit_test(test_zhejiang_rates),
            cmocka_unit_test(test_zhejiang_time_split),
            cmocka_unit_test(test_enterprise_demand),
            cmocka_unit_test(test_usage_and_errors),
        };

        tt_tz(); /* the child inherits TZ */
        return cmocka_run_group_tests(tests, NULL, NULL);
}
