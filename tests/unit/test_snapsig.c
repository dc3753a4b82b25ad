/* SPDX-License-Identifier: Apache-2.0 */
/* Signed balance snapshots (common/mb_snapsig.c): a signature survives any
 * JSON text of the same values (member order, spacing) and the commands
 * list, and fails for any change of a value, an added member, another
 * gateway or another key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mb_snapsig.h"

#define KEY "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define KEY2 "ff112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

static const char entry[] =
    "{\"meter\":\"000000000001\",\"account\":\"1100000001\",\"mode\":\"prepaid\","
    "\"protected\":false,\"balance_fen\":35051,\"signed_at\":1795000000,"
    "\"ref\":{\"seq\":5,\"t\":1793462400,\"import_wh\":1500000},"
    "\"tier\":{\"period_start\":1793462400,\"used_wh\":500000},"
    "\"acc\":{\"month\":\"2026-11\",\"lines\":[{\"kind\":0,\"version\":20120701,\"tier\":1,"
    "\"rate\":0,\"qty\":240000,\"price\":4883,\"exact\":1171920000}]},"
    "\"tariff\":{\"id\":\"cn-bj-residential\",\"hash\":\"ab12\"},"
    "\"thresholds\":{\"alarm1_fen\":2000,\"alarm2_fen\":500,\"credit_limit_fen\":0,"
    "\"reconnect_fen\":100},\"commands\":[]}";

/* entry (or text) parsed, signed for gw under key, and its "sig" set. */
static json_object *signed_entry(const char *text, const char *key, const char *gw)
{
        json_object *o = json_tokener_parse(text);
        char sig[MB_CMDSIG_HEX];

        assert_non_null(o);
        assert_int_equal(mb_snapsig_sign(key, gw, o, sig), 0);
        json_object_object_add(o, "sig", json_object_new_string(sig));
        return o;
}

static const char *sig_of(json_object *o)
{
        return json_object_get_string(json_object_object_get(o, "sig"));
}

static void verifies_any_text_of_the_same_values(void **state)
{
        json_object *a = signed_entry(entry, KEY, "gw-a");
        /* the same values, members in another order, other spacing */
        json_object *b = json_tokener_parse(
            "{ \"thresholds\": {\"reconnect_fen\":100, \"credit_limit_fen\":0, \"alarm2_fen\":500,"
            "\"alarm1_fen\":2000}, \"tariff\":{\"hash\":\"ab12\",\"id\":\"cn-bj-residential\"},"
            "\"acc\":{\"lines\":[{\"exact\":1171920000,\"price\":4883,\"qty\":240000,\"rate\":0,"
            "\"tier\":1,\"version\":20120701,\"kind\":0}],\"month\":\"2026-11\"},"
            "\"tier\":{\"used_wh\":500000,\"period_start\":1793462400},"
            "\"ref\":{\"import_wh\":1500000,\"t\":1793462400,\"seq\":5},\"signed_at\":1795000000,"
            "\"balance_fen\":35051,\"protected\":false,\"mode\":\"prepaid\","
            "\"account\":\"1100000001\",\"meter\":\"000000000001\","
            "\"commands\":[{\"id\":7,\"op\":\"trip\"}]}");

        assert_true(mb_snapsig_verify(KEY, "gw-a", a));
        json_object_object_add(b, "sig", json_object_new_string(sig_of(a)));
        assert_true(mb_snapsig_verify(KEY, "gw-a", b));
        json_object_put(a);
        json_object_put(b);
}

/* Replace the value at member name of the object at path (NULL: top) in a
 * signed copy of entry with v, and check the signature no longer holds. */
static void altered(const char *path, const char *name, json_object *v)
{
        json_object *o = signed_entry(entry, KEY, "gw-a"), *at = o;

        if (path)
                assert_true(json_object_object_get_ex(o, path, &at));
        if (strcmp(name, "lines0.qty") == 0)
                at = json_object_array_get_idx(json_object_object_get(at, "lines"), 0),
                name = "qty";
        json_object_object_add(at, name, v);
        assert_false(mb_snapsig_verify(KEY, "gw-a", o));
        json_object_put(o);
}

static void fails_for_any_change(void **state)
{
        altered(NULL, "balance_fen", json_object_new_int64(35052));
        altered(NULL, "protected", json_object_new_boolean(1));
        altered(NULL, "signed_at", json_object_new_int64(1795000001));
        altered(NULL, "extra", json_object_new_int(0));
        altered("thresholds", "credit_limit_fen", json_object_new_int64(-1));
        altered("ref", "import_wh", json_object_new_int64(1400000));
        altered("tariff", "hash", json_object_new_string("ab13"));
        altered("acc", "lines0.qty", json_object_new_int64(1));
        altered(NULL, "account", json_object_new_string("1100000002"));
        altered(NULL, "mode", NULL);
}

static void commands_are_not_covered(void **state)
{
        json_object *o = signed_entry(entry, KEY, "gw-a");

        json_object_object_add(o, "commands", json_object_new_array());
        json_object_array_add(json_object_object_get(o, "commands"), json_object_new_int(1));
        assert_true(mb_snapsig_verify(KEY, "gw-a", o));
        json_object_put(o);
}

static void fails_for_other_gateway_key_or_no_sig(void **state)
{
        json_object *o = signed_entry(entry, KEY, "gw-a");

        assert_false(mb_snapsig_verify(KEY, "gw-b", o));
        assert_false(mb_snapsig_verify(KEY2, "gw-a", o));
        json_object_object_add(o, "sig", json_object_new_int(5));
        assert_false(mb_snapsig_verify(KEY, "gw-a", o));
        json_object_object_del(o, "sig");
        assert_false(mb_snapsig_verify(KEY, "gw-a", o));
        json_object_put(o);
}

/* Strings carry their length: moving text from one member to the next
 * changes the signature. */
static void strings_cannot_shift(void **state)
{
        json_object *a = signed_entry("{\"x\":\"ab;\",\"y\":\"c\"}", KEY, "gw-a");
        json_object *b = signed_entry("{\"x\":\"ab\",\"y\":\";c\"}", KEY, "gw-a");

        assert_string_not_equal(sig_of(a), sig_of(b));
        json_object_put(a);
        json_object_put(b);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(verifies_any_text_of_the_same_values),
            cmocka_unit_test(fails_for_any_change),
            cmocka_unit_test(commands_are_not_covered),
            cmocka_unit_test(fails_for_other_gateway_key_or_no_sig),
            cmocka_unit_test(strings_cannot_shift),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
