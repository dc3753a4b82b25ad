/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sim: meter_control.  The relay really gates consumption: while it is open
 * or armed, power is 0 and no energy accrues.  ARM leaves the relay open
 * until the simulated customer presses the button: arm_autoclose_s after the
 * ARM (0: at the next read or control).  PROTECT makes the meter refuse trips,
 * as a meter in "power guarantee" mode does.  The alarm has no effect on the
 * supply; it is logged.
 */
#include "sim.h"

static const char *const relay_names[] = {
    [MB_RELAY_UNKNOWN] = "unknown",
    [MB_RELAY_CLOSED] = "closed",
    [MB_RELAY_OPEN] = "open",
    [MB_RELAY_ARMED] = "armed",
};

/* Resolve an armed relay at mono: *closed_from receives the monotonic time
 * from which the supply is on (mono when it is off for the whole interval). */
void sim_relay_settle(struct sim_meter *m, int64_t mono, int64_t *closed_from)
{
        int64_t press;

        *closed_from = mono;
        if (m->relay == MB_RELAY_CLOSED) {
                *closed_from = m->last_mono_ms;
                return;
        }
        if (m->relay != MB_RELAY_ARMED)
                return;
        press = m->o.arm_autoclose_ms ? m->armed_mono_ms + m->o.arm_autoclose_ms : mono;
        if (press > mono)
                return;
        *closed_from = press;
        m->relay = MB_RELAY_CLOSED;
        SIM_LOG(m, MB_LOG_NOTICE, "customer pressed the button: relay closed");
}

static void set_relay(struct sim_meter *m, int state)
{
        if (m->relay == state)
                return;
        SIM_LOG(m, MB_LOG_NOTICE, "relay %s -> %s", relay_names[m->relay], relay_names[state]);
        m->relay = state;
        if (state == MB_RELAY_ARMED)
                m->armed_mono_ms = m->last_mono_ms;
}

static int relay_op(struct sim_meter *m, int op, mb_err *err)
{
        if ((op == MB_CTL_TRIP || op == MB_CTL_CLOSE || op == MB_CTL_ARM) &&
            ++m->relay_moves <= m->o.fault_relay_fail)
                return mb_err_set(err, MB_EIO,
                                  "relay driver did not respond (fault_relay_fail: %lld of %lld)",
                                  (long long)m->relay_moves, (long long)m->o.fault_relay_fail);
        switch (op) {
        case MB_CTL_QUERY:
                return MB_OK;
        case MB_CTL_TRIP:
                if (m->protect)
                        return mb_err_set(err, MB_ESTATE,
                                          "trip refused: the meter is protected (unprotect first)");
                set_relay(m, MB_RELAY_OPEN);
                return MB_OK;
        case MB_CTL_CLOSE:
                set_relay(m, MB_RELAY_CLOSED);
                return MB_OK;
        case MB_CTL_ARM:
                if (m->relay != MB_RELAY_CLOSED)
                        set_relay(m, MB_RELAY_ARMED);
                return MB_OK;
        case MB_CTL_PROTECT:
        case MB_CTL_UNPROTECT:
                m->protect = op == MB_CTL_PROTECT;
                SIM_LOG(m, MB_LOG_NOTICE, "protection %s", m->protect ? "on" : "off");
                return MB_OK;
        }
        return mb_err_set(err, MB_ENOTSUP, "unknown control operation %d", op);
}

static int is_relay_op(int op)
{
        return op != MB_CTL_ALARM && op != MB_CTL_ALARM_CLEAR;
}

int sim_control(struct sim_meter *m, int op, int *state, mb_err *err)
{
        int rc;

        *state = m->o.has_relay ? m->relay : MB_RELAY_UNKNOWN;
        if (op < MB_CTL_QUERY || op > MB_CTL_UNPROTECT)
                return mb_err_set(err, MB_ENOTSUP, "unknown control operation %d", op);
        if (is_relay_op(op) && !m->o.has_relay)
                return mb_err_set(err, MB_ENOTSUP, "this simulated meter has no relay");
        sim_advance(m);
        if (is_relay_op(op)) {
                rc = relay_op(m, op, err);
        } else {
                m->alarm = op == MB_CTL_ALARM;
                SIM_LOG(m, MB_LOG_NOTICE, "display: low-balance alarm %s", m->alarm ? "on" : "off");
                rc = MB_OK;
        }
        if (m->o.has_relay)
                *state = m->relay;
        sim_state_save(m);
        return rc;
}
