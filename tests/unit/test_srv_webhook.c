/* SPDX-License-Identifier: Apache-2.0 */
/* The pure parts of webhooks and the dashboard gate: HMAC-SHA256 against
 * RFC 4231, the webhook signature, the retry schedule, the session cookie,
 * the static-file path rules and content types, the region health rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "srv_hmac.h"
#include "srv_session.h"
#include "srv_stats.h"
#include "srv_webhook.h"
#include "srv_www.h"

static void hmac_rfc4231(void **state)
{
        char h[SRV_HMAC_HEX + 1];
        uint8_t key[20];

        /* RFC 4231 test case 2 */
        srv_hmac_sha256_hex("Jefe", 4, "what do ya want for nothing?", 28, h);
        assert_string_equal(h, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        /* test case 1 */
        memset(key, 0x0b, sizeof(key));
        srv_hmac_sha256_hex(key, sizeof(key), "Hi There", 8, h);
        assert_string_equal(h, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

static void signature(void **state)
{
        char sig[SRV_WEBHOOK_SIG_MAX];

        /* python3: hmac.new(secret, b"1795574265." + body, sha256).hexdigest() */
        srv_webhook_signature("0123456789abcdef-secret", 1795574265, "{\"event\":\"alarm1\"}", sig);
        assert_string_equal(
            sig, "sha256=174933e019adec033cd7c3fe33ed60d69efd62e095fc11e562d18dee1705a663");
        /* the timestamp is signed: another one gives another signature */
        srv_webhook_signature("0123456789abcdef-secret", 1795574266, "{\"event\":\"alarm1\"}", sig);
        assert_string_not_equal(
            sig, "sha256=174933e019adec033cd7c3fe33ed60d69efd62e095fc11e562d18dee1705a663");
}

static void backoff(void **state)
{
        assert_int_equal(srv_webhook_backoff(1, 10, 3600), 10);
        assert_int_equal(srv_webhook_backoff(2, 10, 3600), 20);
        assert_int_equal(srv_webhook_backoff(3, 10, 3600), 40);
        assert_int_equal(srv_webhook_backoff(9, 10, 3600), 2560);
        assert_int_equal(srv_webhook_backoff(10, 10, 3600), 3600);
        assert_int_equal(srv_webhook_backoff(1000, 10, 3600), 3600); /* no overflow */
        assert_int_equal(srv_webhook_backoff(1, 0, 5), 1);
        assert_int_equal(srv_webhook_backoff(1, 10, 5), 5);
        for (int a = 1; a < 64; a++)
                assert_true(srv_webhook_backoff(a + 1, 7, 86400) >=
                            srv_webhook_backoff(a, 7, 86400));
}

static void session_cookie(void **state)
{
        char c[SRV_SESSION_MAX];
        char key[65];

        memset(key, 0, sizeof(key));
        for (int i = 0; i < 32; i++)
                memcpy(key + 2 * i, "ab", 2);
        srv_session_make(key, 7, 1800000000, c);
        assert_string_equal(
            c, "mbs.7.1800000000.51d4abb08c8aa03cdf65745dc5d085239d645fc6c8088fe76c364ce140567188");
}

static void www_paths(void **state)
{
        static const char *const ok[] = {
            "/",        "/wall.html", "/vendor/uplot/uPlot.iife.min.js", "/vendor/uplot/LICENSE",
            "/a-b_c.d", NULL};
        static const char *const bad[] = {
            "",      "wall.html", "/../etc/passwd", "/a/../b", "/.hidden", "/a//b",
            "/a\\b", "/a b",      "/a%2e",          "/a/./b",  "/..",      NULL};

        for (int i = 0; ok[i]; i++)
                assert_true(srv_www_path_ok(ok[i]));
        for (int i = 0; bad[i]; i++)
                if (srv_www_path_ok(bad[i]))
                        fail_msg("accepted %s", bad[i]);
        assert_string_equal(srv_www_content_type("/a/wall.html"), "text/html; charset=utf-8");
        assert_string_equal(srv_www_content_type("/x.js"), "text/javascript; charset=utf-8");
        assert_string_equal(srv_www_content_type("/x.css"), "text/css; charset=utf-8");
        assert_string_equal(srv_www_content_type("/f.svg"), "image/svg+xml");
        assert_string_equal(srv_www_content_type("/vendor/uplot/LICENSE"),
                            "text/plain; charset=utf-8");
        assert_string_equal(srv_www_content_type("/v.d/LICENSE"), "text/plain; charset=utf-8");
        assert_string_equal(srv_www_content_type("/x.exe"), "application/octet-stream");
        assert_true(srv_www_public("/signin.html"));
        assert_true(srv_www_public("/signin.js"));
        assert_false(srv_www_public("/wall.html"));
        assert_false(srv_www_public("/common.js"));
}

static void health(void **state)
{
        assert_int_equal(srv_stats_health(0, 0, 0, 0), SRV_HEALTH_OK);
        assert_int_equal(srv_stats_health(5, 5, 100, 0), SRV_HEALTH_OK);
        assert_int_equal(srv_stats_health(5, 5, 100, 19), SRV_HEALTH_WARN);
        assert_int_equal(srv_stats_health(5, 5, 100, 20), SRV_HEALTH_BAD);
        assert_int_equal(srv_stats_health(10, 9, 100, 0), SRV_HEALTH_WARN);
        assert_int_equal(srv_stats_health(10, 8, 100, 0), SRV_HEALTH_BAD);
        assert_int_equal(srv_stats_health(1, 0, 0, 0), SRV_HEALTH_BAD);
        assert_string_equal(srv_health_name(SRV_HEALTH_WARN), "warn");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(hmac_rfc4231), cmocka_unit_test(signature),
            cmocka_unit_test(backoff),      cmocka_unit_test(session_cookie),
            cmocka_unit_test(www_paths),    cmocka_unit_test(health),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
