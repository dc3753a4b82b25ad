/* SPDX-License-Identifier: Apache-2.0 */
/* CSV for finance: RFC 4180 quoting, CRLF records, yuan from integer fen
 * (negative, small, huge), kWh from Wh, and the formula guard on free text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "srv_csv.h"

static char *quoted(const char *s)
{
        struct srv_buf b = {0};

        srv_csv_quote(&b, s);
        return srv_buf_take(&b);
}

static void quoting(void **state)
{
        static const char *const cases[][2] = {
            {"plain", "plain"},
            {"", ""},
            {"a,b", "\"a,b\""},
            {"say \"hi\"", "\"say \"\"hi\"\"\""},
            {"two\nlines", "\"two\nlines\""},
            {"cr\rhere", "\"cr\rhere\""},
            {"张三", "张三"},
            {" spaced ", " spaced "},
            {"\"", "\"\"\"\""},
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *q = quoted(cases[i][0]);

                assert_string_equal(q, cases[i][1]);
                free(q);
        }
}

static void records(void **state)
{
        struct srv_csv c = {0};
        char *t;

        srv_csv_str(&c, "account");
        srv_csv_str(&c, "total_yuan");
        srv_csv_str(&c, "total_fen");
        srv_csv_end(&c);
        srv_csv_str(&c, "1100000001");
        srv_csv_yuan(&c, 28215);
        srv_csv_i64(&c, 28215);
        srv_csv_end(&c);
        srv_csv_text(&c, "Wang, \"Wu\"");
        srv_csv_null(&c);
        srv_csv_str(&c, NULL);
        srv_csv_end(&c);
        t = srv_buf_take(&c.buf);
        assert_string_equal(t, "account,total_yuan,total_fen\r\n"
                               "1100000001,282.15,28215\r\n"
                               "\"Wang, \"\"Wu\"\"\",,\r\n");
        free(t);
}

static void money(void **state)
{
        static const struct {
                int64_t fen;
                const char *yuan;
        } cases[] = {
            {0, "0.00"},
            {5, "0.05"},
            {-5, "-0.05"},
            {100, "1.00"},
            {-12345, "-123.45"},
            {INT64_MAX, "92233720368547758.07"},
            {INT64_MIN, "-92233720368547758.08"},
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct srv_csv c = {0};
                char *t;

                srv_csv_yuan(&c, cases[i].fen);
                t = srv_buf_take(&c.buf);
                assert_string_equal(t, cases[i].yuan);
                free(t);
        }
}

static void energy(void **state)
{
        struct srv_csv c = {0};
        char *t;

        srv_csv_kwh(&c, 1234567);
        srv_csv_kwh(&c, 5);
        t = srv_buf_take(&c.buf);
        assert_string_equal(t, "1234.567,0.005");
        free(t);
}

static void formula_guard(void **state)
{
        static const char *const cases[][2] = {
            {"=1+1", "'=1+1"},          {"+86 138", "'+86 138"}, {"-x", "'-x"},
            {"@SUM(A1)", "'@SUM(A1)"},  {"\tTab", "'\tTab"},     {"=A1,B1", "\"'=A1,B1\""},
            {"Zhang San", "Zhang San"}, {"a=b", "a=b"},
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct srv_csv c = {0};
                char *t;

                /* every text column: account numbers and meter addresses too */
                srv_csv_text(&c, cases[i][0]);
                srv_csv_str(&c, cases[i][0]);
                t = srv_buf_take(&c.buf);
                assert_true(strlen(t) % 2 == 1);
                assert_memory_equal(t, cases[i][1], strlen(cases[i][1]));
                assert_string_equal(t + strlen(cases[i][1]) + 1, cases[i][1]);
                free(t);
        }
        /* amounts are never touched */
        {
                struct srv_csv c = {0};
                char *t;

                srv_csv_yuan(&c, -100);
                t = srv_buf_take(&c.buf);
                assert_string_equal(t, "-1.00");
                free(t);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(quoting), cmocka_unit_test(records),       cmocka_unit_test(money),
            cmocka_unit_test(energy),  cmocka_unit_test(formula_guard),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
