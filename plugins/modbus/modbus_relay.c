/* SPDX-License-Identifier: Apache-2.0 */
/*
 * modbus: meter_control.  A relay is either a coil (written with FC 05, read
 * back with FC 01) or a holding register (written with FC 06, read back with
 * FC 03) with one value for closed (supply on) and one for open.  Every trip
 * or close is read back; a relay that does not follow is an error.  Arming,
 * alarms and protection have no Modbus standard: MB_ENOTSUP.
 */
#include <stdio.h>

#include "modbus_plugin.h"

static const char *op_name(int op)
{
        switch (op) {
        case MB_CTL_QUERY:
                return "query";
        case MB_CTL_TRIP:
                return "trip";
        case MB_CTL_CLOSE:
                return "close";
        case MB_CTL_ARM:
                return "arm";
        case MB_CTL_ALARM:
                return "alarm";
        case MB_CTL_ALARM_CLEAR:
                return "alarm clear";
        case MB_CTL_PROTECT:
                return "protect";
        case MB_CTL_UNPROTECT:
                return "unprotect";
        default:
                return "unknown operation";
        }
}

static const char *state_name(int state)
{
        switch (state) {
        case MB_RELAY_CLOSED:
                return "closed";
        case MB_RELAY_OPEN:
                return "open";
        default:
                return "neither closed nor open";
        }
}

/* "coil 0x0010" / "register 0x0100" */
static void relay_where(const struct mbp_relay *r, char *buf, size_t size)
{
        snprintf(buf, size, "%s 0x%04X", r->kind == MBP_RELAY_COIL ? "coil" : "register", r->addr);
}

int mbp_relay_state(struct mbp_meter *m, int *state, mb_err *err)
{
        const struct mbp_relay *r = &m->relay;
        uint8_t raw[MBF_RAW_REQ_LEN];
        const uint8_t *data;
        size_t n;
        char what[64], where[32];
        int rc;

        *state = MB_RELAY_UNKNOWN;
        relay_where(r, where, sizeof(where));
        snprintf(what, sizeof(what), "FC%02d read of relay %s", r->kind == MBP_RELAY_COIL ? 1 : 3,
                 where);
        mbf_request(raw, m->unit, r->kind == MBP_RELAY_COIL ? 1 : 3, r->addr, 1);
        if ((rc = mbp_transact(m, raw, what, &data, &n, err)) < 0)
                return rc;
        if (r->kind == MBP_RELAY_COIL) {
                int on = data[0] & 1;
                *state = on != r->coil_on_trips ? MB_RELAY_CLOSED : MB_RELAY_OPEN;
        } else {
                unsigned v = (unsigned)data[0] << 8 | data[1];
                if (v == r->on_value)
                        *state = MB_RELAY_CLOSED;
                else if (v == r->off_value)
                        *state = MB_RELAY_OPEN;
                else
                        MBP_LOG(m->host, m->ctx, MB_LOG_WARNING,
                                "unit %d: relay %s holds %u, neither relay_on_value (%u) nor "
                                "relay_off_value (%u)",
                                m->unit, where, v, r->on_value, r->off_value);
        }
        return MB_OK;
}

static int relay_write(struct mbp_meter *m, int closed, mb_err *err)
{
        const struct mbp_relay *r = &m->relay;
        uint8_t raw[MBF_RAW_REQ_LEN];
        const uint8_t *data;
        size_t n;
        char what[80], where[32];
        int value;

        relay_where(r, where, sizeof(where));
        if (r->kind == MBP_RELAY_COIL) {
                int on = closed != r->coil_on_trips;
                value = on ? 0xFF00 : 0x0000;
                mbf_request(raw, m->unit, 5, r->addr, value);
                snprintf(what, sizeof(what), "FC05 write of relay %s = %s", where,
                         on ? "ON" : "OFF");
        } else {
                value = closed ? r->on_value : r->off_value;
                mbf_request(raw, m->unit, 6, r->addr, value);
                snprintf(what, sizeof(what), "FC06 write of relay %s = %d", where, value);
        }
        return mbp_transact(m, raw, what, &data, &n, err);
}

int mbp_control(struct mbp_meter *m, int op, int *state, mb_err *err)
{
        int want, rc;
        char where[32];

        *state = MB_RELAY_UNKNOWN;
        if (m->relay.kind == MBP_RELAY_NONE)
                return mb_err_set(err, MB_ENOTSUP,
                                  "unit %d: %s: this meter has no relay configured (set "
                                  "options.relay_coil or options.relay_register)",
                                  m->unit, op_name(op));
        if (op != MB_CTL_QUERY && op != MB_CTL_TRIP && op != MB_CTL_CLOSE)
                return mb_err_set(err, MB_ENOTSUP,
                                  "unit %d: %s is not supported by Modbus meters (query, trip "
                                  "and close are)",
                                  m->unit, op_name(op));
        mbp_call_begin(m);
        if (op == MB_CTL_QUERY)
                return mbp_relay_state(m, state, err);
        want = op == MB_CTL_CLOSE ? MB_RELAY_CLOSED : MB_RELAY_OPEN;
        if ((rc = relay_write(m, want == MB_RELAY_CLOSED, err)) < 0)
                return rc;
        if ((rc = mbp_relay_state(m, state, err)) < 0)
                return rc;
        if (*state != want) {
                relay_where(&m->relay, where, sizeof(where));
                return mb_err_set(err, MB_EDEVICE,
                                  "unit %d on %s: %s: relay %s reads %s after the write", m->unit,
                                  m->link->where, op_name(op), where, state_name(*state));
        }
        MBP_LOG(m->host, m->ctx, MB_LOG_INFO, "unit %d: relay %s", m->unit, state_name(*state));
        return MB_OK;
}
