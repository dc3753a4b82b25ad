/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The built plugin modules, loaded as the agent loads them: dlopen, the one
 * exported symbol, its ABI version, size, name and capabilities, then a read
 * through the loaded code.  Covers sim.so and the example plugin.
 */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "test_sim_host.h"

#ifndef MB_PLUGIN_BUILD_DIR
#error "MB_PLUGIN_BUILD_DIR: the directory holding the built plugins"
#endif

static void *handle;

static const mb_plugin *load(const char *name)
{
        char path[512];
        const mb_plugin *p;

        snprintf(path, sizeof(path), "%s/%s.so", MB_PLUGIN_BUILD_DIR, name);
        handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!handle)
                fail_msg("dlopen %s: %s", path, dlerror());
        p = dlsym(handle, MB_PLUGIN_SYMBOL);
        assert_non_null(p);
        assert_int_equal(p->abi_version, MB_PLUGIN_ABI_VERSION);
        assert_int_equal(p->size, sizeof(struct mb_plugin));
        assert_string_equal(p->name, name);
        assert_non_null(p->version);
        assert_non_null(p->description);
        assert_int_equal(p->caps & ~MB_CAP_KNOWN, 0);
        assert_non_null(p->meter_new);
        assert_non_null(p->meter_free);
        return p;
}

static int unload(void **state)
{
        if (handle)
                dlclose(handle);
        handle = NULL;
        return 0;
}

static void test_sim_descriptor_and_read(void **state)
{
        const mb_plugin *p = load("sim");
        struct fake_kv kv[] = {KV_INT("seed", 3), {0}};
        struct mb_ctx ctx;
        mb_reading r;
        mb_err err;
        void *m;
        int st;

        assert_int_equal(p->caps, MB_CAP_READ | MB_CAP_RELAY | MB_CAP_FROZEN | MB_CAP_DISPLAY);
        assert_non_null(p->meter_read);
        assert_non_null(p->meter_control);
        /* Only the descriptor is exported; the plugin's own functions are not. */
        assert_null(dlsym(handle, "sim_advance"));
        assert_null(dlsym(handle, "sim_options_parse"));
        fake_reset(0, 1705276800);
        assert_int_equal(fake_meter_new(p, &ctx, kv, "loaded", NULL, 1000, &m, &err), MB_OK);
        assert_int_equal(fake_read(p, m, &r, &err), MB_OK);
        assert_true(r.fields & MB_F_IMPORT);
        assert_int_equal(p->meter_control(m, MB_CTL_TRIP, &st, &err), MB_OK);
        assert_int_equal(st, MB_RELAY_OPEN);
        p->meter_free(m);
}

static void test_example_plugin(void **state)
{
        const mb_plugin *p = load("example");
        char file[] = "/tmp/mb-example-XXXXXX";
        struct fake_kv kv[] = {KV_STR("file", file), KV_INT("scale", 10), {0}};
        struct fake_kv none[] = {{0}};
        struct fake_kv bad[] = {KV_STR("file", file), KV_INT("scale", 0), {0}};
        struct mb_ctx ctx;
        mb_reading r;
        mb_err err = {0};
        void *m;
        int fd = mkstemp(file);

        assert_true(fd >= 0);
        assert_int_equal(p->caps, MB_CAP_READ);
        assert_null(p->meter_control);
        fake_reset(0, 1705276800);
        assert_int_equal(p->init(&fake_host, &err), MB_OK);
        assert_int_equal(fake_meter_new(p, &ctx, none, "ex", NULL, 1000, &m, &err), MB_ECONFIG);
        assert_non_null(strstr(fake_cfg_last_error(), "file is required"));
        assert_int_equal(fake_meter_new(p, &ctx, bad, "ex", NULL, 1000, &m, &err), MB_ECONFIG);
        assert_non_null(strstr(fake_cfg_last_error(), "scale must be"));
        assert_int_equal(fake_meter_new(p, &ctx, kv, "ex", "42", 1000, &m, &err), MB_OK);
        assert_int_equal(fake_unused_keys(&ctx), 0);

        assert_int_equal(write(fd, "12345\n", 6), 6);
        assert_int_equal(fake_read(p, m, &r, &err), MB_OK);
        assert_int_equal(r.import_wh, 123450);
        assert_int_equal(r.fields, MB_F_IMPORT | MB_F_ADDRESS);
        assert_string_equal(r.address, "42");
        assert_int_equal(ftruncate(fd, 0), 0);
        assert_int_equal(pwrite(fd, "12x45", 5, 0), 5);
        assert_int_equal(fake_read(p, m, &r, &err), MB_EPROTO);
        assert_non_null(strstr(err.msg, "expected a whole number"));
        unlink(file);
        assert_int_equal(fake_read(p, m, &r, &err), MB_EIO);
        assert_non_null(strstr(err.msg, "No such file"));
        p->meter_free(m);
        p->fini();
        close(fd);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_teardown(test_sim_descriptor_and_read, unload),
            cmocka_unit_test_teardown(test_example_plugin, unload),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
