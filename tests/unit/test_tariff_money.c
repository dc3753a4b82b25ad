/* SPDX-License-Identifier: Apache-2.0 */
/* Exact money arithmetic: rounding, decimal strings, apportioning. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mb_money.h"
#include <meterbox/errors.h>

static void test_round_half_away_from_zero(void **state)
{
        /* e7 units: 100000 per fen. */
        assert_int_equal(mb_money_round_fen(0), 0);
        assert_int_equal(mb_money_round_fen(1171920000), 11719); /* 117.192 -> 117.19 */
        assert_int_equal(mb_money_round_fen(861280000), 8613);   /* 86.128 -> 86.13 */
        assert_int_equal(mb_money_round_fen(49999), 0);          /* 0.0049999 -> 0.00 */
        assert_int_equal(mb_money_round_fen(50000), 1);          /* 0.005 -> 0.01 */
        assert_int_equal(mb_money_round_fen(150000), 2);         /* 0.015 -> 0.02 */
        assert_int_equal(mb_money_round_fen(250000), 3);         /* 0.025 -> 0.03, not 0.02 */
        assert_int_equal(mb_money_round_fen(-50000), -1);        /* -0.005 -> -0.01 */
        assert_int_equal(mb_money_round_fen(-49999), 0);
        assert_int_equal(mb_money_round_fen(-250000), -3);
        assert_int_equal(mb_money_round_fen(INT64_MAX), INT64_MAX / 100000 + 1);
        assert_int_equal(mb_money_round_fen(INT64_MIN), INT64_MIN / 100000 - 1);
}

static void test_decimal_parse(void **state)
{
        int64_t v = -1;

        assert_int_equal(mb_decimal_parse("0.4883", 4, &v), MB_OK);
        assert_int_equal(v, 4883);
        assert_int_equal(mb_decimal_parse("0.538", 4, &v), MB_OK);
        assert_int_equal(v, 5380);
        assert_int_equal(mb_decimal_parse("12.345", 3, &v), MB_OK);
        assert_int_equal(v, 12345);
        assert_int_equal(mb_decimal_parse("240", 3, &v), MB_OK);
        assert_int_equal(v, 240000);
        assert_int_equal(mb_decimal_parse("1.50000", 2, &v), MB_OK); /* zeros past the scale */
        assert_int_equal(v, 150);
        assert_int_equal(mb_decimal_parse("-3.5", 1, &v), MB_OK);
        assert_int_equal(v, -35);
        assert_int_equal(mb_decimal_parse("9223372036854775807", 0, &v), MB_OK);
        assert_int_equal(v, INT64_MAX);
        assert_int_equal(mb_decimal_parse("-9223372036854775808", 0, &v), MB_OK);
        assert_int_equal(v, INT64_MIN);

        v = 7;
        assert_int_equal(mb_decimal_parse("0.48831", 4, &v), MB_EINVAL); /* too precise */
        assert_int_equal(mb_decimal_parse("", 4, &v), MB_EINVAL);
        assert_int_equal(mb_decimal_parse(".5", 4, &v), MB_EINVAL);
        assert_int_equal(mb_decimal_parse("5.", 4, &v), MB_EINVAL);
        assert_int_equal(mb_decimal_parse("+5", 4, &v), MB_EINVAL);
        assert_int_equal(mb_decimal_parse(" 5", 4, &v), MB_EINVAL);
        assert_int_equal(mb_decimal_parse("5 ", 4, &v), MB_EINVAL);
        assert_int_equal(mb_decimal_parse("1e3", 4, &v), MB_EINVAL);
        assert_int_equal(mb_decimal_parse("1,5", 4, &v), MB_EINVAL);
        assert_int_equal(mb_decimal_parse("-", 4, &v), MB_EINVAL);
        assert_int_equal(mb_decimal_parse("9223372036854775808", 0, &v), MB_ERANGE);
        assert_int_equal(mb_decimal_parse("922337203685477.5808", 4, &v), MB_ERANGE);
        assert_int_equal(v, 7); /* untouched on failure */
}

static void test_decimal_format(void **state)
{
        char buf[32];

        assert_int_equal(mb_decimal_format(11719, 2, buf, sizeof(buf)), MB_OK);
        assert_string_equal(buf, "117.19");
        mb_decimal_format(5, 4, buf, sizeof(buf));
        assert_string_equal(buf, "0.0005");
        mb_decimal_format(-5, 2, buf, sizeof(buf));
        assert_string_equal(buf, "-0.05");
        mb_decimal_format(0, 3, buf, sizeof(buf));
        assert_string_equal(buf, "0.000");
        mb_decimal_format(42, 0, buf, sizeof(buf));
        assert_string_equal(buf, "42");
        mb_decimal_format(INT64_MIN, 7, buf, sizeof(buf));
        assert_string_equal(buf, "-922337203685.4775808");
        assert_int_equal(mb_decimal_format(11719, 2, buf, 6), MB_ENOSPC);
        assert_string_equal(buf, "");
        assert_int_equal(mb_decimal_format(11719, 2, buf, 7), MB_OK);
}

static void test_apportion(void **state)
{
        int64_t w[3] = {36000, 7200, 0}, out[3];

        /* 100000 Wh over 10 h and 2 h: 83333.33 and 16666.67; the spare Wh goes
         * to the larger remainder (valley). */
        assert_int_equal(mb_apportion(100000, w, 3, out), MB_OK);
        assert_int_equal(out[0], 83333);
        assert_int_equal(out[1], 16667);
        assert_int_equal(out[2], 0);

        /* Equal remainders: ties go to the lower index. */
        int64_t eq[3] = {1, 1, 1}, o3[3];
        assert_int_equal(mb_apportion(2, eq, 3, o3), MB_OK);
        assert_int_equal(o3[0], 1);
        assert_int_equal(o3[1], 1);
        assert_int_equal(o3[2], 0);

        int64_t zero[2] = {0, 0}, o2[2] = {5, 5};
        assert_int_equal(mb_apportion(0, zero, 2, o2), MB_OK);
        assert_int_equal(o2[0] + o2[1], 0);
        assert_int_equal(mb_apportion(1, zero, 2, o2), MB_EINVAL);
        int64_t big[2] = {INT64_MAX / 2, 1};
        assert_int_equal(mb_apportion(3, big, 2, o2), MB_ERANGE);
        int64_t neg[2] = {-1, 2};
        assert_int_equal(mb_apportion(1, neg, 2, o2), MB_EINVAL);
}

/* Sum preserved and every share within one of its exact value, for many
 * pseudo-random cases. */
static void test_apportion_random(void **state)
{
        uint64_t x = 88172645463325252ull;

        for (int iter = 0; iter < 20000; iter++) {
                int64_t w[7], out[7], total, sum = 0, wsum = 0;
                size_t n;

                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                n = 1 + x % 7;
                total = (int64_t)(x >> 20) % 1000000;
                for (size_t i = 0; i < n; i++) {
                        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                        w[i] = (x % 3 == 0) ? 0 : (int64_t)(x >> 40) % 100000;
                        wsum += w[i];
                }
                if (wsum == 0)
                        continue;
                assert_int_equal(mb_apportion(total, w, n, out), MB_OK);
                for (size_t i = 0; i < n; i++) {
                        int64_t lo = total * w[i] / wsum;

                        assert_true(out[i] == lo || out[i] == lo + 1);
                        sum += out[i];
                }
                assert_int_equal(sum, total);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_round_half_away_from_zero),
            cmocka_unit_test(test_decimal_parse),
            cmocka_unit_test(test_decimal_format),
            cmocka_unit_test(test_apportion),
            cmocka_unit_test(test_apportion_random),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
