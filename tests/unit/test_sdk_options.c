/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SDK: <meterbox/options.h>.  Every getter returns MB_OK / MB_ENOENT /
 * MB_ECONFIG, leaves the default in *out unless MB_OK, records one located
 * message per refused value and turns p.rc to MB_ECONFIG; the messages are
 * the ones the header documents.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <meterbox/options.h>

#include "test_sim_host.h"

static struct mb_ctx ctx;

static mb_opt_parser start(struct fake_kv *kv)
{
        fake_reset(0, 0);
        ctx.kv = kv;
        return mb_opt_parser_init(&fake_host, &ctx);
}

static void expect_refused(const mb_opt_parser *p, const char *key, const char *text)
{
        char where[64];

        assert_int_equal(p->rc, MB_ECONFIG);
        snprintf(where, sizeof(where), ": %s: ", key);
        assert_non_null(strstr(fake_cfg_last_error(), where));
        if (!strstr(fake_cfg_last_error(), text))
                fail_msg("no '%s' in '%s'", text, fake_cfg_last_error());
}

static void test_absent_keys_give_defaults(void **state)
{
        static const char *const names[] = {"a", "b", NULL};
        mb_opt_parser p = start(NULL);
        int64_t i64 = 0;
        int i = 0, e = 0, b = 0, k = 0;
        double d = 0;
        const char *s = "x";

        assert_int_equal(mb_opt_int64(&p, "i64", &i64, -5, -10, 10), MB_ENOENT);
        assert_int_equal(mb_opt_int(&p, "i", &i, 7, 0, 10), MB_ENOENT);
        assert_int_equal(mb_opt_int_either(&p, "e", &e, 3, 1, 3), MB_ENOENT);
        assert_int_equal(mb_opt_double(&p, "d", &d, 0.5, 0, 1), MB_ENOENT);
        assert_int_equal(mb_opt_bool(&p, "b", &b, 1), MB_ENOENT);
        assert_int_equal(mb_opt_string(&p, "s", &s, NULL), MB_ENOENT);
        assert_int_equal(mb_opt_enum(&p, "k", &k, 1, names, NULL), MB_ENOENT);
        assert_int_equal(i64, -5);
        assert_int_equal(i, 7);
        assert_int_equal(e, 3);
        assert_true(d == 0.5);
        assert_int_equal(b, 1);
        assert_null(s);
        assert_int_equal(k, 1);
        assert_int_equal(p.rc, MB_OK);
        assert_int_equal(fake_cfg_errors(), 0);
}

static void test_good_values(void **state)
{
        static const char *const names[] = {"level", "pulse", NULL};
        struct fake_kv kv[] = {KV_INT("i64", INT64_MAX), KV_INT("i", 10),      KV_INT("e", 1),
                               KV_DOUBLE("d", 0.25),     KV_INT("d2", 1),      KV_BOOL("b", 0),
                               KV_STR("s", "/tmp/x"),    KV_STR("k", "pulse"), {0}};
        mb_opt_parser p = start(kv);
        int64_t i64;
        int i, e, b, k;
        double d, d2;
        const char *s;

        assert_int_equal(mb_opt_int64(&p, "i64", &i64, 0, 0, INT64_MAX), MB_OK);
        assert_int_equal(mb_opt_int(&p, "i", &i, 0, 0, 10), MB_OK);
        assert_int_equal(mb_opt_int_either(&p, "e", &e, 3, 1, 3), MB_OK);
        assert_int_equal(mb_opt_double(&p, "d", &d, 0, 0, 1), MB_OK);
        assert_int_equal(mb_opt_double(&p, "d2", &d2, 0, 0, 1), MB_OK);
        assert_int_equal(mb_opt_bool(&p, "b", &b, 1), MB_OK);
        assert_int_equal(mb_opt_string(&p, "s", &s, NULL), MB_OK);
        assert_int_equal(mb_opt_enum(&p, "k", &k, 0, names, NULL), MB_OK);
        assert_true(i64 == INT64_MAX);
        assert_int_equal(i, 10);
        assert_int_equal(e, 1);
        assert_true(d == 0.25);
        assert_true(d2 == 1.0);
        assert_int_equal(b, 0);
        assert_string_equal(s, "/tmp/x");
        assert_int_equal(k, 1);
        assert_int_equal(p.rc, MB_OK);
        assert_int_equal(fake_unused_keys(&ctx), 0);
}

static void test_refused_values(void **state)
{
        static const char *const names[] = {"frame", "reading", NULL};
        struct {
                struct fake_kv kv[2];
                const char *key, *text;
        } cases[] = {
            {{KV_INT("x", 11)}, "x", "x must be between 0 and 10, not 11"},
            {{KV_INT("x", -1)}, "x", "x must be between 0 and 10, not -1"},
            {{KV_STR("x", "5")}, "x", "expected an integer"},
            {{KV_INT("e", 2)}, "e", "e must be 1 or 3, not 2"},
            {{KV_DOUBLE("d", 1.5)}, "d", "d must be between 0 and 1, not 1.5"},
            {{KV_INT("b", 1)}, "b", "expected true or false"},
            {{KV_STR("s", "")}, "s", "s must not be empty"},
            {{KV_INT("s", 1)}, "s", "expected a string"},
            {{KV_STR("k", "bogus")},
             "k",
             "k: unknown value \"bogus\" (expected one of \"frame\", \"reading\")"},
            {{KV_STR("k2", "")}, "k2", "k2: unknown value \"\" (expected \"a\" or \"b\")"},
        };

        for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
                mb_opt_parser p = start(cases[c].kv);
                const char *key = cases[c].key;
                int64_t i64 = 0;
                int v = 0;
                double d = 0;
                const char *s = "unset";
                int rc;

                if (strcmp(key, "x") == 0) {
                        rc = mb_opt_int64(&p, key, &i64, 4, 0, 10);
                        assert_int_equal(i64, 4);
                } else if (strcmp(key, "e") == 0) {
                        rc = mb_opt_int_either(&p, key, &v, 1, 1, 3);
                        assert_int_equal(v, 1);
                } else if (strcmp(key, "d") == 0) {
                        rc = mb_opt_double(&p, key, &d, 0.5, 0, 1);
                        assert_true(d == 0.5);
                } else if (strcmp(key, "b") == 0) {
                        rc = mb_opt_bool(&p, key, &v, 1);
                        assert_int_equal(v, 1);
                } else if (strcmp(key, "s") == 0) {
                        rc = mb_opt_string(&p, key, &s, "def");
                        assert_string_equal(s, "def");
                } else {
                        rc = mb_opt_enum(&p, key, &v, 1, names,
                                         strcmp(key, "k2") == 0 ? "\"a\" or \"b\"" : NULL);
                        assert_int_equal(v, 1);
                }
                assert_int_equal(rc, MB_ECONFIG);
                assert_int_equal(fake_cfg_errors(), 1);
                expect_refused(&p, key, cases[c].text);
        }
}

/* p.rc stays MB_ECONFIG once set; later good keys and mb_opt_error. */
static void test_rc_sticks_and_error(void **state)
{
        struct fake_kv kv[] = {KV_INT("a", 99), KV_INT("b", 1), {0}};
        mb_opt_parser p = start(kv);
        int a, b;

        assert_int_equal(mb_opt_int(&p, "a", &a, 0, 0, 10), MB_ECONFIG);
        assert_int_equal(mb_opt_int(&p, "b", &b, 0, 0, 10), MB_OK);
        assert_int_equal(p.rc, MB_ECONFIG);
        assert_int_equal(mb_opt_error(&p, "b", "b (%d) needs a", b), MB_ECONFIG);
        expect_refused(&p, "b", "b (1) needs a");
        assert_int_equal(fake_cfg_errors(), 2);
        assert_int_equal(fake_unused_keys(&ctx), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_absent_keys_give_defaults),
            cmocka_unit_test(test_good_values),
            cmocka_unit_test(test_refused_values),
            cmocka_unit_test(test_rc_sticks_and_error),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
