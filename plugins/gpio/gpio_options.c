/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gpio: the meter's `options` group.
 *
 *   chip                 "gpiochip0"  name, path, label or number of the chip
 *   mode                 "level"      "level" or "pulse"
 *   line                 (level)      output offset, required in level mode
 *   trip_line/close_line (pulse)      output offsets, required in pulse mode
 *   active_low           false        outputs are active low
 *   pulse_ms             100          pulse mode: pulse length, 10..5000
 *   feedback_line        none         input offset reading the relay back
 *   feedback_active_low  false        the input is active low
 *   feedback_timeout_ms  200          how long the relay may take to move
 *
 * Every key is looked up and parsing goes on after an error, so that one
 * `meterbox-agent -t` run reports every mistake.  Keys that do not apply to
 * the mode are errors, not silently ignored.
 */
#include <stdio.h>

#include <meterbox/options.h>

#include "gpio.h"

#define MAX_OFFSET 65535

static const char *const mode_names[] = {"level", "pulse", NULL}; /* enum gpio_mode */

static void parse_chip(mb_opt_parser *p, struct gpio_meter *m)
{
        mb_opt_string(p, "chip", &m->chip_name, "gpiochip0");
}

static void parse_mode(mb_opt_parser *p, struct gpio_meter *m)
{
        mb_opt_enum(p, "mode", &m->mode, GPIO_LEVEL, mode_names, "\"level\" or \"pulse\"");
}

/* A line offset that the mode requires (need) or forbids (!need). */
static void parse_offset(mb_opt_parser *p, struct gpio_meter *m, int role, int need)
{
        const char *key = gpio_role_name(role);
        int present = mb_opt_int(p, key, &m->lines[role].offset, -1, 0, MAX_OFFSET) != MB_ENOENT;

        if (need && !present)
                mb_opt_error(p, key, "%s is required in %s mode", key,
                             m->mode == GPIO_PULSE ? "pulse" : "level");
        else if (!need && present)
                mb_opt_error(p, key, "%s is not used in %s mode", key,
                             m->mode == GPIO_PULSE ? "pulse" : "level");
        if (!need)
                m->lines[role].offset = -1;
}

static void parse_lines(mb_opt_parser *p, struct gpio_meter *m)
{
        int pulse = m->mode == GPIO_PULSE, active_low;

        parse_offset(p, m, GPIO_OUT, !pulse);
        parse_offset(p, m, GPIO_TRIP, pulse);
        parse_offset(p, m, GPIO_CLOSE, pulse);
        mb_opt_bool(p, "active_low", &active_low, 0);
        for (int i = GPIO_OUT; i <= GPIO_CLOSE; i++) {
                m->lines[i].output = 1;
                m->lines[i].active_low = active_low;
        }
        if (mb_opt_int(p, "pulse_ms", &m->pulse_ms, 100, 10, 5000) != MB_ENOENT && !pulse)
                mb_opt_error(p, "pulse_ms", "pulse_ms is not used in level mode");
        if (!pulse)
                m->pulse_ms = 0;
}

static void parse_feedback(mb_opt_parser *p, struct gpio_meter *m)
{
        struct gpio_line *fb = &m->lines[GPIO_FB];
        int have = mb_opt_int(p, "feedback_line", &fb->offset, -1, 0, MAX_OFFSET) != MB_ENOENT;
        int low = mb_opt_bool(p, "feedback_active_low", &fb->active_low, 0) != MB_ENOENT;
        int tmo = mb_opt_int(p, "feedback_timeout_ms", &m->feedback_timeout_ms, 200, 0, 10000) !=
                  MB_ENOENT;

        if (!have && (low || tmo))
                mb_opt_error(p, low ? "feedback_active_low" : "feedback_timeout_ms",
                             "%s needs feedback_line",
                             low ? "feedback_active_low" : "feedback_timeout_ms");
        if (!have)
                m->feedback_timeout_ms = 0;
        else if (!tmo && m->pulse_ms + m->feedback_timeout_ms > m->timeout_ms)
                m->feedback_timeout_ms =
                    m->timeout_ms > m->pulse_ms ? m->timeout_ms - m->pulse_ms : 0;
}

/* One call must fit in the meter's timeout: the pulse plus the read-back. */
static void check_budget(mb_opt_parser *p, struct gpio_meter *m)
{
        const char *key = m->lines[GPIO_FB].offset >= 0 ? "feedback_timeout_ms" : "pulse_ms";

        if (m->pulse_ms + m->feedback_timeout_ms > m->timeout_ms)
                mb_opt_error(p, key,
                             "pulse_ms (%d) + feedback_timeout_ms (%d) exceed the "
                             "meter's timeout_ms (%d)",
                             m->pulse_ms, m->feedback_timeout_ms, m->timeout_ms);
}

static void check_distinct(mb_opt_parser *p, struct gpio_meter *m)
{
        for (int i = 0; i < GPIO_ROLES; i++) {
                for (int j = i + 1; j < GPIO_ROLES; j++) {
                        if (m->lines[i].offset < 0 || m->lines[i].offset != m->lines[j].offset)
                                continue;
                        mb_opt_error(p, gpio_role_name(j), "%s and %s are the same line (%d)",
                                     gpio_role_name(i), gpio_role_name(j), m->lines[i].offset);
                }
        }
}

int gpio_options_parse(struct gpio_meter *m, const mb_meter_params *params)
{
        mb_opt_parser p = mb_opt_parser_init(m->host, m->ctx);

        m->timeout_ms = params->timeout_ms;
        parse_chip(&p, m);
        parse_mode(&p, m);
        parse_lines(&p, m);
        parse_feedback(&p, m);
        if (p.rc == MB_OK)
                check_budget(&p, m);
        if (p.rc == MB_OK)
                check_distinct(&p, m);
        snprintf(m->consumer, sizeof(m->consumer), "meterbox:%s", params->name);
        return p.rc;
}
