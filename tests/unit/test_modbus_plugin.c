/* SPDX-License-Identifier: Apache-2.0 */
/*
 * modbus plugin: options, errors and the connection backoff, through the
 * descriptor with the fake host of test_sim_host.c.  The readings themselves
 * are tested against a real peer (pymodbus) in tests/integration/modbus_*.sh.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "test_sim_host.h"

extern const struct mb_plugin meterbox_plugin;
static const mb_plugin *P = &meterbox_plugin;

static mb_ctx link_ctx, meter_ctx;
static mb_err err;

static mb_link_params tcp_bus(int port)
{
        mb_link_params b = {
            .name = "t", .type = "tcp", .host = "127.0.0.1", .port = port, .timeout_ms = 500};
        return b;
}

static int open_link(const mb_link_params *b, struct fake_kv *kv, void **link)
{
        link_ctx.kv = kv;
        memset(&err, 0, sizeof(err));
        *link = NULL;
        return P->link_open(&fake_host, &link_ctx, b, link, &err);
}

static int new_meter(void *link, struct fake_kv *kv, const char *address, void **meter)
{
        mb_meter_params mp = {.name = "m1", .address = address, .timeout_ms = 1000};

        meter_ctx.kv = kv;
        memset(&err, 0, sizeof(err));
        *meter = NULL;
        return P->meter_new(&fake_host, &meter_ctx, link, &mp, meter, &err);
}

/* A TCP port on loopback nobody listens on. */
static int closed_port(void)
{
        struct sockaddr_in a = {.sin_family = AF_INET};
        socklen_t len = sizeof(a);
        int s = socket(AF_INET, SOCK_STREAM, 0), port;

        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        assert_true(s >= 0);
        assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
        assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
        port = ntohs(a.sin_port);
        close(s);
        return port;
}

static int setup(void **state)
{
        fake_reset(1000000, 1700000000);
        return 0;
}

static void test_descriptor(void **state)
{
        assert_int_equal(P->abi_version, MB_PLUGIN_ABI_VERSION);
        assert_string_equal(P->name, "modbus");
        assert_int_equal(P->caps, MB_CAP_READ | MB_CAP_RELAY);
        assert_non_null(P->link_open);
        assert_non_null(P->meter_control);
}

static void test_every_option_is_known(void **state)
{
        struct fake_kv bus_kv[] = {KV_BOOL("rs485", 1),
                                   KV_STR("rts", "up"),
                                   KV_INT("reconnect_min_ms", 100),
                                   KV_INT("reconnect_max_ms", 5000),
                                   {0}};
        struct fake_kv kv[] = {KV_INT("unit", 3),
                               KV_STR("profile", "sdm630"),
                               KV_STR("map", "rate1_wh:0x100:u32:4:CDAB:kWh:0.01"),
                               KV_STR("word_order", "ABCD"),
                               KV_INT("max_gap", 4),
                               KV_INT("relay_register", 0x0200),
                               KV_INT("relay_on_value", 0x55),
                               KV_INT("relay_off_value", 0xAA),
                               KV_BOOL("relay_in_reading", 0),
                               {0}};
        mb_link_params b = {.name = "r",
                            .type = "serial",
                            .device = "/nonexistent/ttyX",
                            .baud = 9600,
                            .parity = 'E',
                            .data_bits = 8,
                            .stop_bits = 1,
                            .timeout_ms = 300};
        void *link, *meter;

        assert_int_equal(open_link(&b, bus_kv, &link), MB_OK);
        assert_int_equal(fake_unused_keys(&link_ctx), 0);
        assert_int_equal(new_meter(link, kv, "3", &meter), MB_OK);
        assert_int_equal(fake_unused_keys(&meter_ctx), 0);
        assert_int_equal(fake_cfg_errors(), 0);
        P->meter_free(meter);
        P->link_close(link);
}

static void test_bus_errors(void **state)
{
        mb_link_params none = {.name = "n", .type = "none", .timeout_ms = 100};
        mb_link_params odd = {.name = "r",
                              .type = "serial",
                              .device = "/dev/ttyS9",
                              .baud = 14400,
                              .parity = 'N',
                              .data_bits = 8,
                              .stop_bits = 1};
        mb_link_params tcp = tcp_bus(502);
        struct fake_kv rs485[] = {KV_BOOL("rs485", 1), {0}};
        struct fake_kv rts[] = {KV_STR("rts", "up"), {0}};
        void *link;

        assert_int_equal(open_link(&none, NULL, &link), MB_ECONFIG);
        assert_non_null(strstr(err.msg, "needs a bus of type \"serial\" or \"tcp\", not \"none\""));
        assert_int_equal(open_link(&odd, NULL, &link), MB_ECONFIG);
        assert_non_null(strstr(err.msg, "baud 14400"));
        assert_int_equal(open_link(&tcp, rs485, &link), MB_ECONFIG);
        assert_non_null(strstr(fake_cfg_last_error(), "rs485 applies to serial buses only"));
        odd.baud = 9600;
        assert_int_equal(open_link(&odd, rts, &link), MB_ECONFIG);
        assert_non_null(strstr(fake_cfg_last_error(), "rts needs rs485 = true"));
}

/* meter_new fails with MB_ECONFIG and needle in the located error or err. */
static void expect_meter_error(struct fake_kv *kv, const char *address, const char *needle)
{
        mb_link_params b = tcp_bus(502);
        void *link, *meter;
        int rc;

        fake_reset(1000000, 1700000000);
        assert_int_equal(open_link(&b, NULL, &link), MB_OK);
        rc = new_meter(link, kv, address, &meter);
        if (rc != MB_ECONFIG ||
            (!strstr(fake_cfg_last_error(), needle) && !strstr(err.msg, needle)))
                fail_msg("want MB_ECONFIG with \"%s\", got %d: \"%s\" / \"%s\"", needle, rc,
                         fake_cfg_last_error(), err.msg);
        assert_null(meter);
        P->link_close(link);
}

static void test_meter_errors(void **state)
{
        struct fake_kv sdm[] = {KV_STR("profile", "sdm120"), {0}};
        struct fake_kv unit_sdm[] = {KV_INT("unit", 4), KV_STR("profile", "sdm120"), {0}};
        struct fake_kv unit300[] = {KV_INT("unit", 300), KV_STR("profile", "sdm120"), {0}};
        struct fake_kv bad_profile[] = {KV_INT("unit", 1), KV_STR("profile", "sdm72"), {0}};
        struct fake_kv bad_map[] = {KV_INT("unit", 1), KV_STR("map", "power:12:f32:7"), {0}};
        struct fake_kv bad_order[] = {
            KV_INT("unit", 1), KV_STR("profile", "sdm120"), KV_STR("word_order", "ACBD"), {0}};
        struct fake_kv both_relays[] = {
            KV_INT("unit", 1), KV_INT("relay_coil", 1), KV_INT("relay_register", 2), {0}};
        struct fake_kv on_without_reg[] = {
            KV_INT("unit", 1), KV_INT("relay_coil", 1), KV_INT("relay_on_value", 2), {0}};
        struct fake_kv same_values[] = {KV_INT("unit", 1),
                                        KV_INT("relay_register", 1),
                                        KV_INT("relay_on_value", 2),
                                        KV_INT("relay_off_value", 2),
                                        {0}};
        struct fake_kv coil_on[] = {
            KV_INT("unit", 1), KV_INT("relay_coil", 1), KV_STR("relay_coil_on", "yes"), {0}};
        struct fake_kv nothing[] = {KV_INT("unit", 1), {0}};
        struct fake_kv gap[] = {
            KV_INT("unit", 1), KV_STR("profile", "sdm120"), KV_INT("max_gap", 125), {0}};
        struct fake_kv phases[] = {KV_INT("unit", 1), KV_STR("map", "voltage_l2:0:f32"), {0}};

        expect_meter_error(sdm, NULL, "no Modbus unit id");
        expect_meter_error(sdm, "000000000001x", "is not a Modbus unit id");
        expect_meter_error(unit_sdm, "5", "unit 4 differs from the meter's address \"5\"");
        expect_meter_error(unit300, NULL, "unit must be between 0 and 255, not 300");
        expect_meter_error(bad_profile, NULL,
                           "unknown meter \"sdm72\" (built in: ddsu666, dtsu666, sdm120");
        expect_meter_error(bad_map, NULL, "entry 1 \"power:12:f32:7\": function \"7\"");
        expect_meter_error(bad_order, NULL, "unknown value \"ACBD\" (expected \"ABCD\"");
        expect_meter_error(both_relays, NULL, "relay_coil or relay_register, not both");
        expect_meter_error(on_without_reg, NULL, "relay_on_value needs relay_register");
        expect_meter_error(same_values, NULL, "are both 2");
        expect_meter_error(coil_on, NULL, "unknown value \"yes\" (expected \"closed\"");
        expect_meter_error(nothing, NULL, "nothing to read");
        expect_meter_error(gap, NULL, "max_gap must be between 0 and 124");
        expect_meter_error(phases, NULL, "voltage_l1 is missing");
}

static void test_rtu_unit_range(void **state)
{
        mb_link_params b = {.name = "r",
                            .type = "serial",
                            .device = "/dev/ttyS9",
                            .baud = 9600,
                            .parity = 'N',
                            .data_bits = 8,
                            .stop_bits = 1,
                            .timeout_ms = 100};
        struct fake_kv kv[] = {KV_STR("profile", "sdm120"), {0}};
        void *link, *meter;

        assert_int_equal(open_link(&b, NULL, &link), MB_OK);
        assert_int_equal(new_meter(link, kv, "0", &meter), MB_ECONFIG); /* broadcast */
        assert_non_null(strstr(err.msg, "(1..247)"));
        assert_int_equal(new_meter(link, kv, "247", &meter), MB_OK);
        P->meter_free(meter);
        P->link_close(link);
}

static void test_control_without_relay(void **state)
{
        mb_link_params b = tcp_bus(closed_port());
        struct fake_kv kv[] = {KV_STR("profile", "sdm120"), {0}};
        struct fake_kv relay[] = {KV_STR("profile", "sdm120"), KV_INT("relay_coil", 3), {0}};
        void *link, *meter;
        int st = -1;

        assert_int_equal(open_link(&b, NULL, &link), MB_OK);
        assert_int_equal(new_meter(link, kv, "1", &meter), MB_OK);
        assert_int_equal(P->meter_control(meter, MB_CTL_TRIP, &st, &err), MB_ENOTSUP);
        assert_int_equal(st, MB_RELAY_UNKNOWN);
        assert_non_null(strstr(err.msg, "no relay configured"));
        P->meter_free(meter);
        assert_int_equal(new_meter(link, relay, "1", &meter), MB_OK);
        assert_int_equal(P->meter_control(meter, MB_CTL_ARM, &st, &err), MB_ENOTSUP);
        assert_non_null(strstr(err.msg, "arm is not supported"));
        P->meter_free(meter);
        P->link_close(link);
}

static void test_unreachable_backs_off(void **state)
{
        int port = closed_port();
        mb_link_params b = tcp_bus(port);
        struct fake_kv bus_kv[] = {
            KV_INT("reconnect_min_ms", 1000), KV_INT("reconnect_max_ms", 3000), {0}};
        struct fake_kv kv[] = {KV_STR("profile", "sdm120"), {0}};
        void *link, *meter;
        mb_reading r;
        char where[64];

        snprintf(where, sizeof(where), "tcp 127.0.0.1:%d", port);
        assert_int_equal(open_link(&b, bus_kv, &link), MB_OK);
        assert_int_equal(new_meter(link, kv, "5", &meter), MB_OK);

        assert_int_equal(fake_read(P, meter, &r, &err), MB_EIO);
        assert_non_null(strstr(err.msg, "unit 5: cannot connect to"));
        assert_non_null(strstr(err.msg, where));
        /* within the backoff: no attempt, the last reason */
        fake_advance_ms(400);
        assert_int_equal(fake_read(P, meter, &r, &err), MB_EIO);
        assert_non_null(strstr(err.msg, "is down"));
        assert_non_null(strstr(err.msg, "next connection attempt in 600 ms"));
        /* after it: a new attempt, then twice the wait, capped */
        fake_advance_ms(600);
        assert_int_equal(fake_read(P, meter, &r, &err), MB_EIO);
        assert_non_null(strstr(err.msg, "cannot connect"));
        assert_int_equal(fake_read(P, meter, &r, &err), MB_EIO);
        assert_non_null(strstr(err.msg, "next connection attempt in 2000 ms"));
        fake_advance_ms(2000);
        assert_int_equal(fake_read(P, meter, &r, &err), MB_EIO);
        fake_advance_ms(3000);
        assert_int_equal(fake_read(P, meter, &r, &err), MB_EIO);
        assert_int_equal(fake_read(P, meter, &r, &err), MB_EIO);
        assert_non_null(strstr(err.msg, "next connection attempt in 3000 ms"));
        P->meter_free(meter);
        P->link_close(link);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup(test_descriptor, setup),
            cmocka_unit_test_setup(test_every_option_is_known, setup),
            cmocka_unit_test_setup(test_bus_errors, setup),
            cmocka_unit_test_setup(test_meter_errors, setup),
            cmocka_unit_test_setup(test_rtu_unit_range, setup),
            cmocka_unit_test_setup(test_control_without_relay, setup),
            cmocka_unit_test_setup(test_unreachable_backs_off, setup),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
