/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gpio: a relay or contactor switched by GPIO lines (libgpiod v1).  A
 * relay-only plugin: MB_CAP_RELAY, no meter_read.  This file holds the
 * descriptor, the lifecycle and meter_control; gpio.h lists the other files.
 */
#include <stdlib.h>

#include "gpio.h"

#ifndef MB_GPIO_VERSION
#define MB_GPIO_VERSION "0.0.0"
#endif

static void gpio_meter_free(void *meter)
{
        struct gpio_meter *m = meter;

        if (!m)
                return;
        gpio_release_all(m);
        free(m);
}

static int gpio_meter_new(const mb_host *host, mb_ctx *ctx, void *link,
                          const mb_meter_params *params, void **meter, mb_err *err)
{
        struct gpio_meter *m = calloc(1, sizeof(*m));

        if (!m)
                return mb_err_set(err, MB_ENOMEM, "out of memory");
        m->host = host;
        m->ctx = ctx;
        m->state = MB_RELAY_UNKNOWN;
        if (gpio_options_parse(m, params) < 0) {
                free(m);
                return mb_err_set(err, MB_ECONFIG, "invalid options for gpio relay %s",
                                  params->name);
        }
        *meter = m;
        return MB_OK;
}

static const char *op_name(int op)
{
        switch (op) {
        case MB_CTL_ARM:
                return "arm (no customer button on a GPIO relay)";
        case MB_CTL_ALARM:
                return "show an alarm";
        case MB_CTL_ALARM_CLEAR:
                return "clear an alarm";
        case MB_CTL_PROTECT:
                return "protect";
        case MB_CTL_UNPROTECT:
                return "unprotect";
        default:
                return "do this operation";
        }
}

static int gpio_meter_control(void *meter, int op, int *state, mb_err *err)
{
        struct gpio_meter *m = meter;
        int rc;

        switch (op) {
        case MB_CTL_QUERY:
                rc = gpio_query(m, err);
                break;
        case MB_CTL_TRIP:
                rc = gpio_switch(m, MB_RELAY_OPEN, err);
                break;
        case MB_CTL_CLOSE:
                rc = gpio_switch(m, MB_RELAY_CLOSED, err);
                break;
        default:
                rc = mb_err_set(err, MB_ENOTSUP, "a GPIO relay cannot %s (op %d)", op_name(op), op);
                break;
        }
        *state = m->state;
        return rc;
}

MB_PLUGIN_EXPORT const struct mb_plugin meterbox_plugin = {
    .abi_version = MB_PLUGIN_ABI_VERSION,
    .size = sizeof(struct mb_plugin),
    .name = "gpio",
    .version = MB_GPIO_VERSION,
    .description = "relay or contactor on GPIO lines (libgpiod), with optional read-back",
    .caps = MB_CAP_RELAY,
    .meter_new = gpio_meter_new,
    .meter_control = gpio_meter_control,
    .meter_free = gpio_meter_free,
};
