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
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "gpio.h"

#define MAX_OFFSET 65535

struct opt_parser {
        const mb_host *host;
        mb_ctx *ctx;
        int rc;
};

/* Returns 1 when the key is present (even with a bad value), else 0. */
static int opt_int(struct opt_parser *p, const char *key, int *out, int def, int lo, int hi)
{
        int64_t v;
        int rc = p->host->cfg_int(p->ctx, key, &v);

        *out = def;
        if (rc == MB_ENOENT)
                return 0;
        if (rc != MB_OK)
                p->rc = MB_ECONFIG;
        else if (v < lo || v > hi)
                p->rc = p->host->cfg_error(
                    p->ctx, key, "%s must be between %d and %d, not %" PRId64, key, lo, hi, v);
        else
                *out = (int)v;
        return 1;
}

static int opt_bool(struct opt_parser *p, const char *key, int *out)
{
        int rc = p->host->cfg_bool(p->ctx, key, out);

        if (rc != MB_OK)
                *out = 0;
        if (rc != MB_OK && rc != MB_ENOENT)
                p->rc = MB_ECONFIG;
        return rc != MB_ENOENT;
}

static void parse_chip(struct opt_parser *p, struct gpio_meter *m)
{
        const char *s = "gpiochip0"; /* left as is when the key is absent */
        int rc = p->host->cfg_string(p->ctx, "chip", &s);

        if (rc == MB_ECONFIG)
                p->rc = MB_ECONFIG;
        else if (!*s)
                p->rc = p->host->cfg_error(p->ctx, "chip", "chip must not be empty");
        m->chip_name = s;
}

static void parse_mode(struct opt_parser *p, struct gpio_meter *m)
{
        const char *s = "level";
        int rc = p->host->cfg_string(p->ctx, "mode", &s);

        if (rc == MB_ECONFIG)
                p->rc = MB_ECONFIG;
        else if (strcmp(s, "level") == 0)
                m->mode = GPIO_LEVEL;
        else if (strcmp(s, "pulse") == 0)
                m->mode = GPIO_PULSE;
        else
                p->rc = p->host->cfg_error(p->ctx, "mode",
                                           "mode: unknown value \"%s\" (expected \"level\" or "
                                           "\"pulse\")",
                                           s);
}

/* A line offset that the mode requires (need) or forbids (!need). */
static void parse_offset(struct opt_parser *p, struct gpio_meter *m, int role, int need)
{
        const char *key = gpio_role_name(role);
        int present = opt_int(p, key, &m->lines[role].offset, -1, 0, MAX_OFFSET);

        if (need && !present)
                p->rc = p->host->cfg_error(p->ctx, key, "%s is required in %s mode", key,
                                           m->mode == GPIO_PULSE ? "pulse" : "level");
        else if (!need && present)
                p->rc = p->host->cfg_error(p->ctx, key, "%s is not used in %s mode", key,
                                           m->mode == GPIO_PULSE ? "pulse" : "level");
        if (!need)
                m->lines[role].offset = -1;
}

static void parse_lines(struct opt_parser *p, struct gpio_meter *m)
{
        int pulse = m->mode == GPIO_PULSE, active_low;

        parse_offset(p, m, GPIO_OUT, !pulse);
        parse_offset(p, m, GPIO_TRIP, pulse);
        parse_offset(p, m, GPIO_CLOSE, pulse);
        opt_bool(p, "active_low", &active_low);
        for (int i = GPIO_OUT; i <= GPIO_CLOSE; i++) {
                m->lines[i].output = 1;
                m->lines[i].active_low = active_low;
        }
        if (opt_int(p, "pulse_ms", &m->pulse_ms, 100, 10, 5000) && !pulse)
                p->rc =
                    p->host->cfg_error(p->ctx, "pulse_ms", "pulse_ms is not used in level mode");
        if (!pulse)
                m->pulse_ms = 0;
}

static void parse_feedback(struct opt_parser *p, struct gpio_meter *m)
{
        struct gpio_line *fb = &m->lines[GPIO_FB];
        int have = opt_int(p, "feedback_line", &fb->offset, -1, 0, MAX_OFFSET);
        int low = opt_bool(p, "feedback_active_low", &fb->active_low);
        int tmo = opt_int(p, "feedback_timeout_ms", &m->feedback_timeout_ms, 200, 0, 10000);

        if (!have && (low || tmo))
                p->rc = p->host->cfg_error(
                    p->ctx, low ? "feedback_active_low" : "feedback_timeout_ms",
                    "%s needs feedback_line", low ? "feedback_active_low" : "feedback_timeout_ms");
        if (!have)
                m->feedback_timeout_ms = 0;
        else if (!tmo && m->pulse_ms + m->feedback_timeout_ms > m->timeout_ms)
                m->feedback_timeout_ms =
                    m->timeout_ms > m->pulse_ms ? m->timeout_ms - m->pulse_ms : 0;
}

/* One call must fit in the meter's timeout: the pulse plus the read-back. */
static void check_budget(struct opt_parser *p, struct gpio_meter *m)
{
        const char *key = m->lines[GPIO_FB].offset >= 0 ? "feedback_timeout_ms" : "pulse_ms";

        if (m->pulse_ms + m->feedback_timeout_ms > m->timeout_ms)
                p->rc = p->host->cfg_error(p->ctx, key,
                                           "pulse_ms (%d) + feedback_timeout_ms (%d) exceed the "
                                           "meter's timeout_ms (%d)",
                                           m->pulse_ms, m->feedback_timeout_ms, m->timeout_ms);
}

static void check_distinct(struct opt_parser *p, struct gpio_meter *m)
{
        for (int i = 0; i < GPIO_ROLES; i++) {
                for (int j = i + 1; j < GPIO_ROLES; j++) {
                        if (m->lines[i].offset < 0 || m->lines[i].offset != m->lines[j].offset)
                                continue;
                        p->rc = p->host->cfg_error(
                            p->ctx, gpio_role_name(j), "%s and %s are the same line (%d)",
                            gpio_role_name(i), gpio_role_name(j), m->lines[i].offset);
                }
        }
}

int gpio_options_parse(struct gpio_meter *m, const mb_meter_params *params)
{
        struct opt_parser p = {.host = m->host, .ctx = m->ctx, .rc = MB_OK};

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
