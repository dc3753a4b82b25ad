/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gpio: chip and line handles.  The chip is opened and each line requested
 * at its first use, not in meter_new (no I/O there), and held until the meter
 * is freed, so an output keeps its level.  An output is requested with the
 * value the first operation wants, so requesting it never glitches the
 * relay.  Values here are logical; active_low is applied at this edge.
 */
#include <errno.h>
#include <string.h>

#include "gpio.h"

const char *gpio_role_name(int role)
{
        static const char *const names[GPIO_ROLES] = {
            [GPIO_OUT] = "line",
            [GPIO_TRIP] = "trip_line",
            [GPIO_CLOSE] = "close_line",
            [GPIO_FB] = "feedback_line",
        };

        return role >= 0 && role < GPIO_ROLES ? names[role] : "?";
}

static int code_of(int e)
{
        switch (e) {
        case ENOENT:
        case ENODEV:
        case ENXIO:
                return MB_ENOENT;
        case EBUSY:
                return MB_EBUSY;
        default:
                return MB_EIO;
        }
}

void gpio_release_all(struct gpio_meter *m)
{
        for (int i = 0; i < GPIO_ROLES; i++) {
                if (m->lines[i].handle)
                        gpio_ops->line_release(m->lines[i].handle);
                m->lines[i].handle = NULL;
        }
        if (m->chip)
                gpio_ops->chip_close(m->chip);
        m->chip = NULL;
}

/* Release everything, fill err from errno and return code (0: from errno). */
static int fail(struct gpio_meter *m, int role, int code, const char *what, mb_err *err)
{
        int e = errno ? errno : EIO;

        gpio_release_all(m);
        if (!code)
                code = code_of(e);
        if (role < 0)
                return mb_err_set(err, code, "gpio chip \"%s\": %s: %s", m->chip_name, what,
                                  strerror(e));
        return mb_err_set(err, code, "gpio chip \"%s\" %s %d: %s: %s", m->chip_name,
                          gpio_role_name(role), m->lines[role].offset, what, strerror(e));
}

static int open_chip(struct gpio_meter *m, mb_err *err)
{
        if (m->chip)
                return MB_OK;
        errno = 0;
        m->chip = gpio_ops->chip_open(m->chip_name);
        if (!m->chip) {
                if (errno == ENOENT || errno == ENODEV)
                        return fail(m, -1, MB_ENOENT,
                                    "no such chip (check the chip option and /dev/gpiochip*)", err);
                return fail(m, -1, 0, "cannot open", err);
        }
        return MB_OK;
}

/* value: the logical level an output starts with; ignored for inputs. */
int gpio_line_request(struct gpio_meter *m, int role, int value, mb_err *err)
{
        struct gpio_line *l = &m->lines[role];
        struct gpiod_line *h;
        int rc = open_chip(m, err);

        if (rc < 0 || l->handle)
                return rc;
        errno = 0;
        h = gpio_ops->chip_get_line(m->chip, (unsigned int)l->offset);
        if (!h)
                return fail(m, role, errno == EINVAL ? MB_ENOENT : 0, "no such line on this chip",
                            err);
        errno = 0;
        if (l->output)
                rc = gpio_ops->line_request_output(h, m->consumer, value ^ l->active_low);
        else
                rc = gpio_ops->line_request_input(h, m->consumer);
        if (rc < 0)
                return fail(m, role, 0, errno == EBUSY ? "in use by another consumer" : "request",
                            err);
        l->handle = h;
        return MB_OK;
}

int gpio_line_set(struct gpio_meter *m, int role, int value, mb_err *err)
{
        struct gpio_line *l = &m->lines[role];

        if (!l->handle)
                return gpio_line_request(m, role, value, err);
        errno = 0;
        if (gpio_ops->line_set_value(l->handle, value ^ l->active_low) < 0)
                return fail(m, role, 0, "set value", err);
        return MB_OK;
}

int gpio_line_get(struct gpio_meter *m, int role, int *value, mb_err *err)
{
        struct gpio_line *l = &m->lines[role];
        int rc = gpio_line_request(m, role, 0, err);
        int v;

        if (rc < 0)
                return rc;
        errno = 0;
        v = gpio_ops->line_get_value(l->handle);
        if (v < 0)
                return fail(m, role, 0, "get value", err);
        *value = (v != 0) ^ l->active_low;
        return MB_OK;
}
