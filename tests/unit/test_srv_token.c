/* SPDX-License-Identifier: Apache-2.0 */
/* Tokens: SHA-256 (nettle) against known vectors, format and parse, and the
 * constant-time comparison. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <meterbox/errors.h>

#include "srv_token.h"

static void sha256_vectors(void **state)
{
        char h[SRV_TOKEN_HASH_HEX + 1];

        srv_sha256_hex("", 0, h);
        assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        srv_sha256_hex("abc", 3, h);
        assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void format_and_parse(void **state)
{
        char secret[SRV_TOKEN_SECRET_HEX + 1], tok[SRV_TOKEN_MAX];
        const char *s;
        int64_t id;

        assert_int_equal(srv_token_secret(secret), MB_OK);
        assert_int_equal(strlen(secret), 64);
        srv_token_format(42, secret, tok);
        assert_int_equal(srv_token_parse(tok, &id, &s), MB_OK);
        assert_int_equal(id, 42);
        assert_string_equal(s, secret);
        /* two secrets differ */
        {
                char other[SRV_TOKEN_SECRET_HEX + 1];

                assert_int_equal(srv_token_secret(other), MB_OK);
                assert_string_not_equal(other, secret);
        }
}

static void parse_rejects(void **state)
{
        const char *bad[] = {
            NULL,
            "",
            "mbt_",
            "mbt_1_",
            "xbt_1_"
            "0000000000000000000000000000000000000000000000000000000000000000",
            "mbt_0_0000000000000000000000000000000000000000000000000000000000000000",
            "mbt_01_0000000000000000000000000000000000000000000000000000000000000000",
            "mbt_1_000000000000000000000000000000000000000000000000000000000000000",
            "mbt_1_00000000000000000000000000000000000000000000000000000000000000000",
            "mbt_1_000000000000000000000000000000000000000000000000000000000000000G",
            "mbt_1_000000000000000000000000000000000000000000000000000000000000000A",
            "mbt_99999999999999999999999_"
            "0000000000000000000000000000000000000000000000000000000000000000",
            "mbt_-1_0000000000000000000000000000000000000000000000000000000000000000",
        };
        const char *s;
        int64_t id;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_int_equal(srv_token_parse(bad[i], &id, &s), MB_EAUTH);
}

static void hash_compare(void **state)
{
        char a[SRV_TOKEN_HASH_HEX + 1], b[SRV_TOKEN_HASH_HEX + 1];

        srv_sha256_hex("secret", 6, a);
        srv_sha256_hex("secret", 6, b);
        assert_true(srv_token_hash_equal(a, b));
        b[63] = b[63] == '0' ? '1' : '0';
        assert_false(srv_token_hash_equal(a, b));
        b[63] = a[63];
        b[0] = b[0] == '0' ? '1' : '0';
        assert_false(srv_token_hash_equal(a, b));
        assert_false(srv_token_hash_equal(a, ""));
        assert_false(srv_token_hash_equal("", ""));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(sha256_vectors),
            cmocka_unit_test(format_and_parse),
            cmocka_unit_test(parse_rejects),
            cmocka_unit_test(hash_compare),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
