/* SPDX-License-Identifier: Apache-2.0 */
/* meterboxctl's text helpers: display width of UTF-8 (CJK = 2 columns,
 * combining marks 0, bad bytes 1), padding by width, and "did you mean". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ctl_errors.h"
#include "ctl_suggest.h"
#include "ctl_width.h"

static void widths(void **state)
{
        (void)state;
        assert_int_equal(ctl_text_width(""), 0);
        assert_int_equal(ctl_text_width("Zhang San"), 9);
        assert_int_equal(ctl_text_width("张三"), 4);
        assert_int_equal(ctl_text_width("欧阳娜娜"), 8);
        assert_int_equal(ctl_text_width("朝阳区 110105"), 13);
        assert_int_equal(ctl_text_width("￥12.30"), 7);          /* fullwidth yen */
        assert_int_equal(ctl_text_width("，。"), 4);             /* CJK punctuation */
        assert_int_equal(ctl_text_width("e\xcc\x81"), 1);        /* e + combining acute */
        assert_int_equal(ctl_text_width("\xff\xfe"), 2);         /* not UTF-8: 1 each */
        assert_int_equal(ctl_text_width("\xe5\xbc"), 2);         /* truncated sequence */
        assert_int_equal(ctl_text_width("\xed\xa0\x80"), 3);     /* a surrogate is no text */
        assert_int_equal(ctl_text_width("\xf0\xa0\x80\x80"), 2); /* U+20000, ext. B */
        assert_int_equal(ctl_text_width("Müller"), 6);
        assert_int_equal(ctl_cp_width(0x4E00), 2);
        assert_int_equal(ctl_cp_width(0x9FFF), 2);
        assert_int_equal(ctl_cp_width(0x00E9), 1);
        assert_int_equal(ctl_cp_width(0x200B), 0);
        assert_int_equal(ctl_cp_width('A'), 1);
}

static void padding(void **state)
{
        char buf[128];
        FILE *f = fmemopen(buf, sizeof(buf), "w");

        (void)state;
        assert_non_null(f);
        ctl_print_padded(f, "张三", 8, 0);
        fputs("|", f);
        ctl_print_padded(f, "Li Si", 8, 0);
        fputs("|", f);
        ctl_print_padded(f, "12.30", 8, 1);
        fputs("|", f);
        ctl_print_padded(f, "欧阳娜娜欧阳", 4, 0);
        fputs("|", f);
        fclose(f);
        assert_string_equal(buf, "张三    |Li Si   |   12.30|欧阳娜娜欧阳|");
}

static void suggestions(void **state)
{
        static const char *const cmds[] = {"account", "gateway", "meter",  "tariff", "topup",
                                           "refund",  "adjust",  "ledger", "bill",   "settle",
                                           "command", "export",  NULL};

        (void)state;
        assert_string_equal(ctl_suggest("acount", cmds, 0, sizeof(cmds[0])), "account");
        assert_string_equal(ctl_suggest("acc", cmds, 0, sizeof(cmds[0])), "account");
        assert_string_equal(ctl_suggest("tpoup", cmds, 0, sizeof(cmds[0])), "topup");
        assert_string_equal(ctl_suggest("bil", cmds, 0, sizeof(cmds[0])), "bill");
        assert_string_equal(ctl_suggest("comand", cmds, 0, sizeof(cmds[0])), "command");
        assert_string_equal(ctl_suggest("setle", cmds, 0, sizeof(cmds[0])), "settle");
        assert_null(ctl_suggest("frobnicate", cmds, 0, sizeof(cmds[0])));
        assert_null(ctl_suggest("x", cmds, 0, sizeof(cmds[0])));
        assert_null(ctl_suggest("", cmds, 0, sizeof(cmds[0])));
        /* "t" starts two commands: no guess */
        assert_null(ctl_suggest("t", cmds, 0, sizeof(cmds[0])));
        assert_int_equal(ctl_edit_distance("ab", "ba"), 1);
        assert_int_equal(ctl_edit_distance("kitten", "sitting"), 3);
}

static char *explain(long status, const char *body)
{
        static char buf[1024];
        FILE *f = fmemopen(buf, sizeof(buf), "w");

        ctl_explain_answer(f, "topup", status, body, "http://srv");
        fclose(f);
        return buf;
}

static void errors_in_user_terms(void **state)
{
        const char *s;

        (void)state;
        s = explain(403, "{\"error\": {\"code\": \"forbidden\", \"message\": \"a operator token "
                         "may not POST /api/v1/accounts/*/topups\"}}");
        assert_non_null(strstr(s, "may not"));
        assert_non_null(strstr(s, "admin token"));
        assert_null(strstr(s, "403"));
        assert_null(strstr(s, "/api/"));
        s = explain(400, "{\"error\": {\"code\": \"out_of_range\", \"message\": \"'amount_fen' "
                         "must be between 1 and 1000000000000\", \"field\": \"amount_fen\"}}");
        assert_string_equal(s, "meterboxctl topup: the amount must be between 1 and "
                               "1000000000000; nothing was changed\n");
        s = explain(404, "{\"error\": {\"code\": \"not_found\", \"message\": \"no account "
                         "'1100000099'\"}}");
        assert_string_equal(s, "meterboxctl topup: no account '1100000099'\n");
        s = explain(401, "{\"error\": {\"code\": \"unauthorized\"}}");
        assert_non_null(strstr(s, "--token"));
        s = explain(502, "<html>Bad gateway</html>");
        assert_non_null(strstr(s, "is --server"));
        assert_string_equal(ctl_field_words("credit_limit_fen"), "--credit-limit");
        assert_null(ctl_field_words("nonsense"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(widths),
            cmocka_unit_test(padding),
            cmocka_unit_test(suggestions),
            cmocka_unit_test(errors_in_user_terms),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
