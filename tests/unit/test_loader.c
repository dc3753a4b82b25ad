/* SPDX-License-Identifier: Apache-2.0 */
/* The plugin loader refuses every broken plugin with a message naming the file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <dlfcn.h>

#include "agent_elf.h"
#include "agent_plugin.h"

static char path[4096];

static const char *plugin_file(const char *name)
{
        snprintf(path, sizeof(path), "%s/%s.so", MB_TEST_PLUGIN_DIR, name);
        return path;
}

/* Load name and expect a refusal whose message names the file and contains want. */
static void expect_refused(const char *name, const char *want)
{
        agent_plugins *reg = agent_plugins_new(MB_TEST_PLUGIN_DIR);
        mb_diag *d = mb_diag_new();
        const char *file = plugin_file(name);

        assert_null(agent_plugins_load_file(reg, file, d));
        assert_int_equal(mb_diag_count(d), 1);
        if (!strstr(mb_diag_get(d, 0), file) || !strstr(mb_diag_get(d, 0), want))
                fail_msg("message '%s' lacks '%s' or '%s'", mb_diag_get(d, 0), file, want);
        mb_diag_free(d);
        agent_plugins_free(reg);
}

static void refuses_other_abi(void **state)
{
        expect_refused("bad_abi", "ABI version 2");
}

static void refuses_truncated_descriptor(void **state)
{
        expect_refused("truncated", "truncated");
}

static void refuses_small_descriptor(void **state)
{
        expect_refused("small_size", "expected at least");
}

static void refuses_missing_descriptor(void **state)
{
        expect_refused("nodesc", "not a meterbox plugin");
}

static void refuses_unknown_capability(void **state)
{
        expect_refused("unknown_cap", "unknown capability");
}

static void refuses_missing_file(void **state)
{
        expect_refused("no_such_plugin", "cannot load plugin");
}

static void refuses_duplicate_name(void **state)
{
        agent_plugins *reg = agent_plugins_new(MB_TEST_PLUGIN_DIR);
        mb_diag *d = mb_diag_new();
        const agent_plugin *p;

        p = agent_plugins_load_file(reg, plugin_file("testmeter"), d);
        assert_non_null(p);
        assert_string_equal(p->desc->name, "testmeter");
        assert_null(agent_plugins_load_file(reg, plugin_file("dup_testmeter"), d));
        assert_int_equal(mb_diag_count(d), 1);
        assert_non_null(strstr(mb_diag_get(d, 0), "duplicate plugin name 'testmeter'"));
        assert_non_null(strstr(mb_diag_get(d, 0), "dup_testmeter.so"));
        mb_diag_free(d);
        agent_plugins_free(reg);
}

static void finds_by_name_in_search_path(void **state)
{
        agent_plugins *reg = agent_plugins_new("/nonexistent:" MB_TEST_PLUGIN_DIR);
        mb_diag *d = mb_diag_new();
        const agent_plugin *p = agent_plugins_get(reg, "testmeter", NULL, d);

        assert_non_null(p);
        assert_ptr_equal(agent_plugins_get(reg, "testmeter", NULL, d), p);
        assert_null(agent_plugins_get(reg, "nothere", NULL, d));
        assert_non_null(strstr(mb_diag_get(d, 0), "plugin 'nothere' not found"));
        mb_diag_free(d);
        agent_plugins_free(reg);
}

static void refuses_file_whose_name_differs(void **state)
{
        agent_plugins *reg = agent_plugins_new(MB_TEST_PLUGIN_DIR);
        mb_diag *d = mb_diag_new();

        /* dup_testmeter.so declares "testmeter": asked for as dup_testmeter. */
        assert_null(agent_plugins_get(reg, "dup_testmeter", NULL, d));
        assert_non_null(strstr(mb_diag_get(d, 0), "declares plugin 'testmeter'"));
        mb_diag_free(d);
        agent_plugins_free(reg);
}

/* The descriptor's size from the symbol table, by dladdr1 (glibc) and by
 * the walk of the dynamic symbol tables that C libraries without dladdr1
 * use (musl, on OpenWrt): both must see the truncated descriptor's 16
 * bytes and a whole one's, and nothing for an address inside an object. */
static void symbol_size_both_ways(void **state)
{
        static const struct {
                const char *name;
                size_t size;
        } cases[] = {{"truncated", 8 + sizeof(void *)}, {"testmeter", sizeof(mb_plugin)}};

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                void *dl = dlopen(plugin_file(cases[i].name), RTLD_NOW | RTLD_LOCAL);
                const char *desc;

                assert_non_null(dl);
                desc = dlsym(dl, MB_PLUGIN_SYMBOL);
                assert_non_null(desc);
                assert_int_equal(agent_elf_symbol_size_walk(desc), cases[i].size);
                assert_int_equal(agent_elf_symbol_size(desc), cases[i].size);
                assert_int_equal(agent_elf_symbol_size_walk(desc + 4), 0);
                dlclose(dl);
        }
        assert_int_equal(agent_elf_symbol_size_walk(&path), 0); /* not a dynamic symbol */
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(refuses_other_abi),
            cmocka_unit_test(symbol_size_both_ways),
            cmocka_unit_test(refuses_truncated_descriptor),
            cmocka_unit_test(refuses_small_descriptor),
            cmocka_unit_test(refuses_missing_descriptor),
            cmocka_unit_test(refuses_unknown_capability),
            cmocka_unit_test(refuses_missing_file),
            cmocka_unit_test(refuses_duplicate_name),
            cmocka_unit_test(finds_by_name_in_search_path),
            cmocka_unit_test(refuses_file_whose_name_differs),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
