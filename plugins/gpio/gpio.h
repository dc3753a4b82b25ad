/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gpio: a relay or contactor on GPIO lines through libgpiod v1 (internal
 * header).  See docs/plugins/gpio.md.
 *
 * Files, one job each:
 *   gpio.c          descriptor, lifecycle, meter_control
 *   gpio_options.c  the options group
 *   gpio_line.c     chip and line handles: lazy request, values, errors
 *   gpio_relay.c    switching (level or pulse) and read-back
 *   gpio_ops.c      the libgpiod boundary: the only file that calls gpiod_*
 */
#ifndef MB_GPIO_H
#define MB_GPIO_H

#include <gpiod.h>

#include <meterbox/plugin.h>

/*
 * Every libgpiod call goes through this table, so a unit test can put a test
 * double at the libgpiod boundary (tests/unit/test_gpio.c).  gpio_ops points
 * at the real functions; it is hidden in the .so (not exported).  Porting to
 * libgpiod 2 means rewriting gpio_ops.c and this table only.
 */
struct gpio_ops {
        /* name, path, label or number, as gpiod_chip_open_lookup() accepts */
        struct gpiod_chip *(*chip_open)(const char *chip);
        void (*chip_close)(struct gpiod_chip *chip);
        struct gpiod_line *(*chip_get_line)(struct gpiod_chip *chip, unsigned int offset);
        int (*line_request_output)(struct gpiod_line *line, const char *consumer, int value);
        int (*line_request_input)(struct gpiod_line *line, const char *consumer);
        int (*line_set_value)(struct gpiod_line *line, int value);
        int (*line_get_value)(struct gpiod_line *line);
        void (*line_release)(struct gpiod_line *line);
        void (*sleep_ms)(int ms);
};

extern const struct gpio_ops gpio_real_ops;
extern const struct gpio_ops *gpio_ops;

enum gpio_mode {
        GPIO_LEVEL = 0, /* one output: active = supply on */
        GPIO_PULSE = 1, /* latching relay: pulse trip_line or close_line */
};

/* The lines a meter may use. */
enum gpio_role {
        GPIO_OUT = 0,   /* level mode output */
        GPIO_TRIP = 1,  /* pulse mode: opens the relay */
        GPIO_CLOSE = 2, /* pulse mode: closes the relay */
        GPIO_FB = 3,    /* optional read-back input: active = relay closed */
        GPIO_ROLES = 4,
};

struct gpio_line {
        int offset;     /* -1: not configured */
        int output;     /* requested as output (else input) */
        int active_low; /* logical = physical XOR active_low, done here, not by the kernel */
        struct gpiod_line *handle; /* non-NULL once requested */
};

struct gpio_meter {
        const mb_host *host;
        mb_ctx *ctx;
        const char *chip_name; /* host-owned, valid as long as ctx */
        int mode;              /* enum gpio_mode */
        int pulse_ms;
        int feedback_timeout_ms;
        int timeout_ms;
        struct gpio_line lines[GPIO_ROLES];
        char consumer[32];
        struct gpiod_chip *chip; /* NULL until the first operation */
        int state;               /* enum mb_relay_state, last known */
};

#define GPIO_LOG(m, level, ...) (m)->host->log((m)->ctx, (level), __VA_ARGS__)

/* gpio_options.c */
int gpio_options_parse(struct gpio_meter *m, const mb_meter_params *params);

/* gpio_line.c: each returns MB_OK or an error code with err filled; after
 * an error every handle is released, so the next operation starts afresh. */
const char *gpio_role_name(int role);
int gpio_line_request(struct gpio_meter *m, int role, int value, mb_err *err);
int gpio_line_set(struct gpio_meter *m, int role, int value, mb_err *err);
int gpio_line_get(struct gpio_meter *m, int role, int *value, mb_err *err);
void gpio_release_all(struct gpio_meter *m);

/* gpio_relay.c */
int gpio_switch(struct gpio_meter *m, int want, mb_err *err);
int gpio_query(struct gpio_meter *m, mb_err *err);

#endif
