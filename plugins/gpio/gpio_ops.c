/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gpio: the libgpiod v1 boundary.  The only file that calls gpiod_*; the
 * rest of the plugin goes through gpio_ops, which a unit test may point at a
 * test double.  For libgpiod 2, see docs/plugins/gpio.md.
 */
#include <errno.h>
#include <time.h>

#include "gpio.h"

static void sleep_ms(int ms)
{
        struct timespec until;

        if (ms <= 0)
                return;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += ms / 1000;
        until.tv_nsec += (long)(ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
        }
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == EINTR)
                ;
}

const struct gpio_ops gpio_real_ops = {
    .chip_open = gpiod_chip_open_lookup,
    .chip_close = gpiod_chip_close,
    .chip_get_line = gpiod_chip_get_line,
    .line_request_output = gpiod_line_request_output,
    .line_request_input = gpiod_line_request_input,
    .line_set_value = gpiod_line_set_value,
    .line_get_value = gpiod_line_get_value,
    .line_release = gpiod_line_release,
    .sleep_ms = sleep_ms,
};

const struct gpio_ops *gpio_ops = &gpio_real_ops;
