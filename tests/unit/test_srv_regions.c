/* SPDX-License-Identifier: Apache-2.0 */
/* Region names: the file format (code, name, optional English name after a
 * tab), comments, a BOM, CRLF, located errors for bad lines, later entries
 * replacing earlier ones, lookups. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "srv_regions.h"

static void parses_the_division_code_list(void **state)
{
        static const char text[] = "\xEF\xBB\xBF# GB/T 2260\r\n"
                                   "110000\t北京市\tBeijing\r\n"
                                   "\n"
                                   "110105  朝阳区\r\n"
                                   "  110108\t 海淀区 \t Haidian \n"
                                   "110105\t朝阳区\tChaoyang";
        struct srv_regions *r = srv_regions_new();
        mb_diag *d = mb_diag_new();
        const char *en;

        (void)state;
        assert_int_equal(srv_regions_parse(r, text, strlen(text), "r.txt", d), 4);
        assert_int_equal(mb_diag_count(d), 0);
        assert_int_equal(srv_regions_count(r), 3);
        assert_string_equal(srv_regions_name(r, "110105", &en), "朝阳区");
        assert_string_equal(en, "Chaoyang"); /* the later line replaced the first */
        assert_string_equal(srv_regions_name(r, "110108", &en), "海淀区");
        assert_string_equal(en, "Haidian");
        assert_string_equal(srv_regions_name(r, "110000", NULL), "北京市");
        assert_null(srv_regions_name(r, "110101", &en));
        assert_string_equal(en, "");
        srv_regions_free(r);
        mb_diag_free(d);
}

static void bad_lines_are_located_and_skipped(void **state)
{
        static const char text[] = "110101 东城区\n"
                                   "110102\n"
                                   "110103 \xff\xfe\n"
                                   "x/y 名\n"
                                   "110106 丰台区\tFeng\x01tai\n"
                                   "110107 石景山区\n";
        struct srv_regions *r = srv_regions_new();
        mb_diag *d = mb_diag_new();

        (void)state;
        assert_int_equal(srv_regions_parse(r, text, strlen(text), "names.txt", d), 2);
        assert_int_equal(mb_diag_count(d), 4);
        assert_non_null(strstr(mb_diag_get(d, 0), "names.txt:2:"));
        assert_non_null(strstr(mb_diag_get(d, 1), "names.txt:3:"));
        assert_non_null(strstr(mb_diag_get(d, 2), "names.txt:4:"));
        assert_non_null(strstr(mb_diag_get(d, 3), "names.txt:5:"));
        assert_string_equal(srv_regions_name(r, "110107", NULL), "石景山区");
        assert_int_equal(srv_regions_add(r, "a b", "x", NULL), MB_EINVAL);
        assert_int_equal(srv_regions_add(r, "110101", "", NULL), MB_EINVAL);
        assert_int_equal(srv_regions_add(r, "110101", "东城", "\xc0\xaf"), MB_EINVAL);
        srv_regions_free(r);
        mb_diag_free(d);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(parses_the_division_code_list),
            cmocka_unit_test(bad_lines_are_located_and_skipped),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
