/* SPDX-License-Identifier: Apache-2.0 */
/* Strict JSON (srv_jwalk): duplicate keys, single quotes and bytes that are
 * not UTF-8 are refused, naming the field; the events and paths a caller
 * sees. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "srv_json.h"
#include "srv_jwalk.h"

static void refused(const char *body, int status, const char *code, const char *field)
{
        struct srv_err e = {0};
        json_object *o = NULL;

        if (srv_json_parse_object(body, strlen(body), &o, &e) == 0)
                fail_msg("accepted: %s", body);
        assert_null(o);
        if (e.status != status || strcmp(e.code, code) != 0 || strcmp(e.field, field) != 0)
                fail_msg("%s: got %d %s '%s' (%s), want %d %s '%s'", body, e.status, e.code,
                         e.field, e.message, status, code, field);
}

static void accepted(const char *body)
{
        struct srv_err e = {0};
        json_object *o = NULL;

        if (srv_json_parse_object(body, strlen(body), &o, &e) < 0)
                fail_msg("refused: %s: %s", body, e.message);
        json_object_put(o);
}

static void duplicate_keys(void **state)
{
        refused("{\"amount_fen\":1,\"amount_fen\":100000}", 400, "duplicate_key", "amount_fen");
        refused("{\"readings\":[{\"seq\":1},{\"seq\":2,\"meter\":\"a\",\"seq\":3}]}", 400,
                "duplicate_key", "readings[1].seq");
        refused("{\"a\":{\"b\":{\"c\":1,\"c\":1}}}", 400, "duplicate_key", "a.b.c");
        /* the same key in sibling objects, and many distinct keys, are fine */
        accepted("{\"r\":[{\"seq\":1},{\"seq\":2}],\"seq\":3}");
        accepted("{\"k0\":0,\"k1\":1,\"k2\":2,\"k3\":3,\"k4\":4,\"k5\":5,\"k6\":6,\"k7\":7,"
                 "\"k8\":8,\"k9\":9,\"k10\":10,\"k11\":11,\"k12\":12,\"k13\":13,\"k14\":14,"
                 "\"k15\":15,\"k16\":16,\"k17\":17,\"k18\":18,\"k19\":19,\"k20\":20}");
}

static void not_json(void **state)
{
        refused("{'amount_fen':1}", 400, "bad_json", "");
        refused("{\"a\":'x'}", 400, "bad_json", "");
        refused("{\"a\":1,}", 400, "bad_json", "");
        refused("{\"a\":1} {}", 400, "bad_json", "");
        refused("{\"a\":1 /* c */}", 400, "bad_json", "");
        refused("{\"a\":NaN}", 400, "bad_json", "");
        refused("{\"a\":", 400, "bad_json", "");
        accepted(" {\"a\":[1,2.5,true,null,\"x\"]}\r\n");
}

static void utf8(void **state)
{
        accepted("{\"holder\":\"\xe5\xbc\xa0\xe4\xb8\x89\",\"\xe6\x88\xb7\":\"\xf0\x9f\x98\x80\"}");
        refused("{\"holder\":\"\xff\"}", 422, "bad_utf8", "holder");
        refused("{\"readings\":[{},{\"meter\":\"ab\xc3\"}]}", 422, "bad_utf8", "readings[1].meter");
        refused("{\"a\":\"\xc0\xaf\"}", 422, "bad_utf8", "a");         /* overlong '/' */
        refused("{\"a\":\"\xed\xa0\x80\"}", 422, "bad_utf8", "a");     /* a surrogate */
        refused("{\"a\":\"\xf4\x90\x80\x80\"}", 422, "bad_utf8", "a"); /* past U+10FFFF */
        refused("{\"a\":{\"k\xfe\":1}}", 422, "bad_utf8", "a");
        assert_int_equal(srv_utf8_check("ab\xe2\x82", 4), 2);
        assert_int_equal(srv_utf8_check("\xe2\x82\xac", 3), 3);
}

static void deep(void **state)
{
        char body[200];
        size_t n = 0;

        for (int i = 0; i < SRV_JW_MAX_DEPTH + 1; i++)
                n += (size_t)snprintf(body + n, sizeof(body) - n, "%s", i ? "[" : "{\"a\":");
        for (int i = 1; i < SRV_JW_MAX_DEPTH + 1; i++)
                body[n++] = ']';
        body[n++] = '}';
        body[n] = '\0';
        {
                struct srv_err e = {0};
                json_object *o = NULL;

                assert_int_equal(srv_json_parse_object(body, n, &o, &e), -1);
                assert_int_equal(e.status, 400);
                assert_non_null(strstr(e.message, "nested too deeply"));
                assert_int_equal(strncmp(e.field, "a[0][0]", 7), 0);
        }
}

struct seen {
        char log[512];
        size_t n;
};

static int record(void *user, struct srv_jw *w, const struct srv_jw_value *v)
{
        static const char *const kinds[] = {"null", "bool", "int", "double", "str",
                                            "{",    "}",    "[",   "]"};
        struct seen *s = user;
        char path[64];

        s->n += (size_t)snprintf(s->log + s->n, sizeof(s->log) - s->n, "%s=%s%s%.*s ",
                                 srv_jw_path(w, path, sizeof(path)), kinds[v->kind],
                                 v->kind == SRV_JW_INT ? ":" : "", v->kind == SRV_JW_INT ? 1 : 0,
                                 v->kind == SRV_JW_INT ? (v->i == 7 ? "7" : "?") : "");
        return 0;
}

static void events_and_paths(void **state)
{
        const char *body = "{\"g\":\"x\",\"r\":[{\"s\":7},[]],\"e\":null}";
        struct seen s = {.n = 0};
        struct srv_err e = {0};

        assert_int_equal(srv_jwalk(body, strlen(body), record, &s, &e), 0);
        assert_string_equal(s.log, "={ g=str r=[ r[0]={ r[0].s=int:7 r[0]=} r[1]=[ r[1]=] r=] "
                                   "e=null =} ");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(duplicate_keys),
            cmocka_unit_test(not_json),
            cmocka_unit_test(utf8),
            cmocka_unit_test(deep),
            cmocka_unit_test(events_and_paths),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
