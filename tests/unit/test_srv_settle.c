/* SPDX-License-Identifier: Apache-2.0 */
/* Settlement's pure parts: month boundaries in Asia/Shanghai, the comparison
 * flags, and the accumulator on the wire. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <meterbox/errors.h>

#include "mb_tariff_wire.h"
#include "srv_compare.h"
#include "srv_month.h"

static int shanghai(void **state)
{
        setenv("TZ", "Asia/Shanghai", 1);
        tzset();
        return 0;
}

static void month_boundaries(void **state)
{
        char m[8];
        int64_t t;

        /* 2026-11-01 00:00 +08:00 is 2026-10-31 16:00 UTC */
        assert_int_equal(srv_month_start("2026-11", &t), MB_OK);
        assert_int_equal(t, 1793462400);
        assert_int_equal(srv_month_of(t, m), MB_OK);
        assert_string_equal(m, "2026-11");
        assert_int_equal(srv_month_of(t - 1, m), MB_OK);
        assert_string_equal(m, "2026-10");
        /* a UTC evening that is already the next local month */
        assert_int_equal(srv_month_of(1793462400 + 60, m), MB_OK);
        assert_string_equal(m, "2026-11");
        assert_int_equal(srv_month_start("2025-01", &t), MB_OK);
        assert_int_equal(t, 1735660800); /* 2024-12-31 16:00 UTC */
        assert_int_equal(srv_month_add("2025-01", -1, m), MB_OK);
        assert_string_equal(m, "2024-12");
        assert_int_equal(srv_month_add("2024-12", 13, m), MB_OK);
        assert_string_equal(m, "2026-01");
        assert_int_equal(srv_month_add("2025-12", -12, m), MB_OK);
        assert_string_equal(m, "2024-12");
        assert_int_equal(srv_month_ended("2026-10", 1793462400), 1);
        assert_int_equal(srv_month_ended("2026-10", 1793462399), 0);
        assert_int_equal(srv_month_ended("2026-11", 1793462400), 0);
        assert_true(srv_month_start("2026-13", &t) < 0);
        assert_true(srv_month_start("2026-1", &t) < 0);
        assert_true(srv_month_start("26-11-01", &t) < 0);
}

static void flags(void **state)
{
        struct srv_compare_in in = {.wh = 100000, .has_prev = 1, .prev_wh = 100000};

        assert_int_equal(srv_compare_flags(&in, 3000), 0);
        in.wh = 300000; /* exactly 3x: not beyond the ratio */
        assert_int_equal(srv_compare_flags(&in, 3000), 0);
        in.wh = 300001;
        assert_int_equal(srv_compare_flags(&in, 3000), SRV_FLAG_JUMP);
        in.wh = 33333; /* under a third */
        assert_int_equal(srv_compare_flags(&in, 3000), SRV_FLAG_JUMP);
        in.wh = 0;
        assert_int_equal(srv_compare_flags(&in, 3000), SRV_FLAG_ZERO_USE | SRV_FLAG_JUMP);
        in.has_prev = 0;
        assert_int_equal(srv_compare_flags(&in, 3000), SRV_FLAG_ZERO_USE);
        in.wh = 5;
        in.has_last_year = 1;
        in.last_year_wh = 0;
        in.backwards = 1;
        assert_int_equal(srv_compare_flags(&in, 3000),
                         SRV_FLAG_JUMP_YEAR | SRV_FLAG_REGISTER_BACKWARDS);
        {
                json_object *a = srv_compare_flags_json(SRV_FLAG_JUMP | SRV_FLAG_MISSING_BOUNDARY);
                const char *txt = json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN);

                assert_string_equal(txt, "[\"jump\",\"missing_boundary\"]");
                assert_int_equal(srv_compare_flags_parse(txt),
                                 SRV_FLAG_JUMP | SRV_FLAG_MISSING_BOUNDARY);
                json_object_put(a);
        }
}

static void acc_wire(void **state)
{
        mb_tariff_acc *a = mb_tariff_acc_new(), *b = mb_tariff_acc_new();
        mb_tariff_line l = {.kind = MB_LINE_ENERGY,
                            .version = 20120701,
                            .tier = 1,
                            .qty = 183000,
                            .price = 4883,
                            .exact = 893589000};
        char month[8], err[128];
        json_object *j, *k;
        int64_t total;

        assert_int_equal(mb_tariff_acc_add_line(a, &l), MB_OK);
        assert_int_equal(mb_tariff_acc_add_line(a, &l), MB_OK); /* merged */
        assert_int_equal(mb_tariff_acc_count(a), 1);
        l.exact++;
        assert_int_equal(mb_tariff_acc_add_line(a, &l), MB_EINVAL);
        j = mb_tariff_wire_acc(a, "2026-11");
        assert_int_equal(mb_tariff_wire_acc_parse(j, b, month, err, sizeof(err)), MB_OK);
        assert_string_equal(month, "2026-11");
        assert_int_equal(mb_tariff_acc_total(b, &total), MB_OK);
        assert_int_equal(total, 17872); /* 366 kWh x 0.4883 = 178.7178 -> 178.72 */
        json_object_put(j);
        k = json_tokener_parse("{\"month\":\"2026-11\",\"lines\":[{\"kind\":0,\"version\":20120701,"
                               "\"tier\":1,\"rate\":0,\"qty\":1,\"price\":1,\"exact\":2}]}");
        assert_int_equal(mb_tariff_wire_acc_parse(k, b, month, err, sizeof(err)), MB_EINVAL);
        assert_non_null(strstr(err, "lines[0]"));
        assert_int_equal(mb_tariff_acc_count(b), 0);
        json_object_put(k);
        mb_tariff_acc_free(a);
        mb_tariff_acc_free(b);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(month_boundaries),
            cmocka_unit_test(flags),
            cmocka_unit_test(acc_wire),
        };
        return cmocka_run_group_tests(tests, shanghai, NULL);
}
