/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gpio.so as the agent loads it: the descriptor, and the real libgpiod calls
 * behind it on a chip that does not exist (this machine has no GPIO chips;
 * on one that has, the chip name below still matches none).
 */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "test_sim_host.h"

#ifndef MB_PLUGIN_BUILD_DIR
#error "MB_PLUGIN_BUILD_DIR: the directory holding the built plugins"
#endif

static void test_gpio_module(void **state)
{
        char path[512];
        struct fake_kv kv[] = {KV_STR("chip", "/dev/meterbox-test-no-such-gpiochip"),
                               KV_INT("line", 3),
                               KV_INT("feedback_line", 4),
                               {0}};
        struct mb_ctx ctx;
        const mb_plugin *p;
        void *h, *m;
        mb_err err;
        int st = -1;

        snprintf(path, sizeof(path), "%s/gpio.so", MB_PLUGIN_BUILD_DIR);
        h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!h)
                fail_msg("dlopen %s: %s", path, dlerror());
        p = dlsym(h, MB_PLUGIN_SYMBOL);
        assert_non_null(p);
        assert_int_equal(p->abi_version, MB_PLUGIN_ABI_VERSION);
        assert_int_equal(p->size, sizeof(struct mb_plugin));
        assert_string_equal(p->name, "gpio");
        assert_int_equal(p->caps, MB_CAP_RELAY);
        assert_null(p->meter_read);
        assert_null(dlsym(h, "gpio_ops")); /* the test hook stays hidden */

        fake_reset(0, 0);
        assert_int_equal(fake_meter_new(p, &ctx, kv, "real", NULL, 1000, &m, &err), MB_OK);
        assert_int_equal(p->meter_control(m, MB_CTL_TRIP, &st, &err), MB_ENOENT);
        assert_int_equal(st, MB_RELAY_UNKNOWN);
        assert_non_null(strstr(err.msg, "meterbox-test-no-such-gpiochip"));
        assert_non_null(strstr(err.msg, "no such chip"));
        assert_int_equal(p->meter_control(m, MB_CTL_QUERY, &st, &err), MB_ENOENT);
        p->meter_free(m);
        dlclose(h);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_gpio_module),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
