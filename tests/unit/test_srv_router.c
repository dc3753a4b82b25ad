/* SPDX-License-Identifier: Apache-2.0 */
/* The route table: exact matches, captures, 404 versus 405, and roles. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "srv.h"
#include "srv_router.h"

static void h1(struct srv_req *rq, struct srv_resp *rs) {}
static void h2(struct srv_req *rq, struct srv_resp *rs) {}
static void h3(struct srv_req *rq, struct srv_resp *rs) {}

static const struct srv_route routes[] = {
    {"GET", "/api/v1/accounts", h1, SRV_READ},
    {"GET", "/api/v1/accounts/*", h2, SRV_READ},
    {"GET", "/api/v1/accounts/*/bills/*", h3, SRV_READ},
    {"POST", "/api/v1/accounts", h1, SRV_WRITE},
};
#define N (sizeof(routes) / sizeof(routes[0]))

static void matches(void **state)
{
        struct srv_route_params p;
        const struct srv_route *r;
        int known;

        r = srv_route_match(routes, N, "GET", "/api/v1/accounts", &p, &known);
        assert_ptr_equal(r, &routes[0]);
        assert_int_equal(p.n, 0);
        r = srv_route_match(routes, N, "GET", "/api/v1/accounts/1100000001", &p, &known);
        assert_ptr_equal(r, &routes[1]);
        assert_int_equal(p.n, 1);
        assert_string_equal(p.v[0], "1100000001");
        r = srv_route_match(routes, N, "GET", "/api/v1/accounts/X/bills/2026-11", &p, &known);
        assert_ptr_equal(r, &routes[2]);
        assert_string_equal(p.v[0], "X");
        assert_string_equal(p.v[1], "2026-11");
        r = srv_route_match(routes, N, "POST", "/api/v1/accounts", &p, &known);
        assert_ptr_equal(r, &routes[3]);
}

static void misses(void **state)
{
        const char *paths[] = {"/api/v1/accounts/",
                               "/api/v1/account",
                               "/api/v1/accounts/x/",
                               "/api/v1/accounts//bills/x",
                               "/api/v1",
                               "",
                               "/",
                               "/api/v1/accounts/x/bills",
                               "/api/v1/accounts/x/bills/y/z",
                               "api/v1/accounts"};
        struct srv_route_params p;
        int known;

        for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
                assert_null(srv_route_match(routes, N, "GET", paths[i], &p, &known));
                assert_int_equal(known, 0);
        }
}

static void method_not_allowed(void **state)
{
        struct srv_route_params p;
        int known;

        assert_null(srv_route_match(routes, N, "DELETE", "/api/v1/accounts", &p, &known));
        assert_int_equal(known, 1);
        assert_null(srv_route_match(routes, N, "POST", "/api/v1/accounts/7", &p, &known));
        assert_int_equal(known, 1);
}

static void long_segment(void **state)
{
        char path[400];
        struct srv_route_params p;
        int known;

        memset(path, 'a', sizeof(path));
        memcpy(path, "/api/v1/accounts/", 17);
        path[sizeof(path) - 1] = '\0';
        assert_null(srv_route_match(routes, N, "GET", path, &p, &known));
}

static void roles(void **state)
{
        assert_int_equal(srv_role_parse("admin"), SRV_ROLE_ADMIN);
        assert_int_equal(srv_role_parse("operator"), SRV_ROLE_OPERATOR);
        assert_int_equal(srv_role_parse("gateway"), SRV_ROLE_GATEWAY);
        assert_int_equal(srv_role_parse("display"), SRV_ROLE_DISPLAY);
        assert_int_equal(srv_role_parse("root"), 0);
        assert_string_equal(srv_role_name(SRV_ROLE_DISPLAY), "display");
        assert_string_equal(srv_role_name(SRV_ROLE_OPERATOR), "operator");
        /* operators read, only admins write, gateways only where listed */
        assert_true(SRV_READ & SRV_ROLE_OPERATOR);
        assert_false(SRV_WRITE & SRV_ROLE_OPERATOR);
        assert_false(SRV_READ & SRV_ROLE_GATEWAY);
        /* the real table: every write is admin-only, no route is open to all
         * (the dashboard's session cookie and a user's own language change
         * no data: operators too); a display (kiosk screen) writes nothing
         * and reads only the wall's aggregates */
        for (size_t i = 0; i < srv_n_routes; i++) {
                const char *pat = srv_routes[i].pattern;

                if (strcmp(srv_routes[i].method, "GET") != 0 &&
                    strcmp(pat, "/api/v1/readings") != 0 && strcmp(pat, "/api/v1/session") != 0 &&
                    strcmp(pat, "/api/v1/me") != 0)
                        assert_int_equal(srv_routes[i].roles, SRV_ROLE_ADMIN);
                if (srv_routes[i].roles & SRV_ROLE_DISPLAY)
                        assert_true(strncmp(pat, "/api/v1/stats/", 14) == 0 ||
                                    strcmp(pat, "/api/v1/events") == 0 ||
                                    strcmp(pat, "/api/v1/regions") == 0 ||
                                    strcmp(pat, "/api/v1/me") == 0 ||
                                    strcmp(pat, "/api/v1/session") == 0);
                if (strcmp(srv_routes[i].method, "GET") != 0 && strcmp(pat, "/api/v1/session") != 0)
                        assert_false(srv_routes[i].roles & SRV_ROLE_DISPLAY);
                assert_true(srv_routes[i].roles != 0);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(matches),
            cmocka_unit_test(misses),
            cmocka_unit_test(method_not_allowed),
            cmocka_unit_test(long_segment),
            cmocka_unit_test(roles),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
