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
#include "agent_host.h"
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

/* Loading plugins 9, 10, ... must not move the ones loaded before: links
 * and meters point to them (issue 16: a use-after-free under ASan). */
static void registry_never_moves(void **state)
{
        agent_plugins *reg = agent_plugins_new(MB_TEST_PLUGIN_DIR);
        mb_diag *d = mb_diag_new();
        const agent_plugin *first = agent_plugins_get(reg, "testmeter", NULL, d);
        const agent_plugin *all[10];
        char name[16];

        assert_non_null(first);
        all[0] = first;
        for (int i = 1; i <= 9; i++) {
                snprintf(name, sizeof(name), "many%d", i);
                all[i] = agent_plugins_get(reg, name, NULL, d);
                if (!all[i])
                        fail_msg("%s: %s", name, mb_diag_count(d) ? mb_diag_get(d, 0) : "?");
        }
        /* Every pointer handed out is still the plugin, by the same address. */
        assert_string_equal(first->desc->name, "testmeter");
        assert_ptr_equal(agent_plugins_get(reg, "testmeter", NULL, d), first);
        for (int i = 1; i <= 9; i++) {
                snprintf(name, sizeof(name), "many%d", i);
                assert_string_equal(all[i]->desc->name, name);
                assert_ptr_equal(agent_plugins_get(reg, name, NULL, d), all[i]);
        }
        assert_int_equal(mb_diag_count(d), 0);
        mb_diag_free(d);
        agent_plugins_free(reg);
}

/* A plugin built against the SDK 1.0 headers (tests/plugins/sdk-1.0) loads
 * into this agent although its descriptor is smaller than the one the agent
 * knows: what it lacks reads as NULL. */
static void loads_older_sdk_descriptor(void **state)
{
        agent_plugins *reg = agent_plugins_new(MB_TEST_PLUGIN_DIR);
        mb_diag *d = mb_diag_new();
        const agent_plugin *p = agent_plugins_load_file(reg, plugin_file("old_sdk"), d);

        if (!p)
                fail_msg("refused: %s", mb_diag_count(d) ? mb_diag_get(d, 0) : "?");
        assert_int_equal(p->size, MB_PLUGIN_SIZE_1_0);
        assert_true(p->size < sizeof(mb_plugin)); /* the SDK did grow since */
        assert_null(p->desc->normalise_address);
        assert_non_null(p->desc->meter_read);
        mb_diag_free(d);
        agent_plugins_free(reg);
}

/* cfg_* work inside the *_new call that received the ctx and refuse with
 * MB_EINVAL after it, touching neither diag nor the options. */
static void cfg_refused_after_new(void **state)
{
        config_t cf;
        mb_diag *d = mb_diag_new();
        mb_ctx ctx;
        int64_t v = 0;
        const char *str = NULL;

        config_init(&cf);
        assert_int_equal(config_read_string(&cf, "options = { n = 5; s = \"x\"; };"), CONFIG_TRUE);
        agent_ctx_init(&ctx, "meter t", "testmeter", config_lookup(&cf, "options"), d);
        assert_int_equal(agent_host()->cfg_int(&ctx, "n", &v), MB_OK);
        assert_int_equal(v, 5);
        agent_ctx_close(&ctx);
        mb_diag_free(d); /* as the agent does once every object exists */
        v = 0;
        assert_int_equal(agent_host()->cfg_int(&ctx, "n", &v), MB_EINVAL);
        assert_int_equal(agent_host()->cfg_string(&ctx, "s", &str), MB_EINVAL);
        assert_int_equal(agent_host()->cfg_int(&ctx, "typo", &v), MB_EINVAL);
        assert_int_equal(agent_host()->cfg_error(&ctx, "n", "late %d", 1), MB_EINVAL);
        assert_int_equal(v, 0);
        assert_null(str);
        agent_ctx_release(&ctx);
        config_destroy(&cf);
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
            cmocka_unit_test(registry_never_moves),
            cmocka_unit_test(loads_older_sdk_descriptor),
            cmocka_unit_test(cfg_refused_after_new),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
