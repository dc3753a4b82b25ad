/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gpio: switching the relay and reading it back.
 *
 * level mode: the output line is active while the supply is on (closed).
 * pulse mode: a latching relay; trip_line (or close_line) is made active for
 *             pulse_ms, then inactive again.  Both lines are held inactive
 *             between pulses.
 * read-back:  with feedback_line, the input is active while the relay is
 *             closed.  After switching it is polled until it agrees or
 *             feedback_timeout_ms passed; a relay that did not move is
 *             MB_EDEVICE and the state reported is the one read back.
 */
#include "gpio.h"

#define POLL_MS 5

static const char *state_name(int state)
{
        return state == MB_RELAY_CLOSED ? "closed" : "open";
}

static int pulse(struct gpio_meter *m, int role, mb_err *err)
{
        int other = role == GPIO_TRIP ? GPIO_CLOSE : GPIO_TRIP;
        int rc = gpio_line_request(m, other, 0, err);

        if (rc == MB_OK)
                rc = gpio_line_request(m, role, 0, err);
        if (rc == MB_OK)
                rc = gpio_line_set(m, role, 1, err);
        if (rc < 0)
                return rc;
        gpio_ops->sleep_ms(m->pulse_ms);
        rc = gpio_line_set(m, role, 0, err);
        if (rc < 0)
                GPIO_LOG(m, MB_LOG_ERR, "%s %d may still be active: %s", gpio_role_name(role),
                         m->lines[role].offset, err ? err->msg : "");
        return rc;
}

static int actuate(struct gpio_meter *m, int want, mb_err *err)
{
        if (m->mode == GPIO_PULSE)
                return pulse(m, want == MB_RELAY_OPEN ? GPIO_TRIP : GPIO_CLOSE, err);
        return gpio_line_set(m, GPIO_OUT, want == MB_RELAY_CLOSED, err);
}

static int read_back(struct gpio_meter *m, int *state, mb_err *err)
{
        int v;
        int rc = gpio_line_get(m, GPIO_FB, &v, err);

        if (rc == MB_OK)
                *state = v ? MB_RELAY_CLOSED : MB_RELAY_OPEN;
        return rc;
}

static int verify(struct gpio_meter *m, int want, mb_err *err)
{
        int waited = 0, step, state = MB_RELAY_UNKNOWN, rc;

        for (;;) {
                rc = read_back(m, &state, err);
                if (rc < 0)
                        return rc;
                if (state == want)
                        break;
                if (waited >= m->feedback_timeout_ms) {
                        m->state = state;
                        return mb_err_set(err, MB_EDEVICE,
                                          "relay did not %s: feedback_line %d still reads %s "
                                          "after %d ms",
                                          want == MB_RELAY_OPEN ? "open" : "close",
                                          m->lines[GPIO_FB].offset, state_name(state), waited);
                }
                step = m->feedback_timeout_ms - waited;
                if (step > POLL_MS)
                        step = POLL_MS;
                gpio_ops->sleep_ms(step);
                waited += step;
        }
        m->state = want;
        return MB_OK;
}

int gpio_switch(struct gpio_meter *m, int want, mb_err *err)
{
        int rc = actuate(m, want, err);

        if (rc < 0) {
                m->state = MB_RELAY_UNKNOWN;
                return rc;
        }
        GPIO_LOG(m, MB_LOG_INFO, "relay commanded %s", state_name(want));
        if (m->lines[GPIO_FB].offset < 0) {
                m->state = want;
                return MB_OK;
        }
        return verify(m, want, err);
}

/* Without a feedback line the state is the last one commanded (unknown
 * before the first operation: the output is not touched until then). */
int gpio_query(struct gpio_meter *m, mb_err *err)
{
        int rc;

        if (m->lines[GPIO_FB].offset < 0)
                return MB_OK;
        rc = read_back(m, &m->state, err);
        if (rc < 0)
                m->state = MB_RELAY_UNKNOWN;
        return rc;
}
