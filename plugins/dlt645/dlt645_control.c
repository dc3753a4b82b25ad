/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dlt645: meter_control through the remote control command 1CH
 * (DL/T 645-2007, with the commands of its 2013 amendment as smart meters
 * implement them).  The data field, 16 bytes:
 *
 *     PA P0 P1 P2   password level, password (low byte first)
 *     C0 C1 C2 C3   operator code (low byte first)
 *     N1            command: 1AH trip, 1BH close allowed, 1CH direct close,
 *                   2AH alarm, 2BH alarm release, 3AH protect, 3BH release
 *     N2            reserved, 00H
 *     N3 .. N8      validity deadline ss mm hh DD MM YY, local time
 *
 * The meter answers 9CH (no data) or DCH with an error word.  Afterwards the
 * relay is read back from run status word 3 (04000503): bit 4 the relay (1
 * open), bit 6 the last command (1 trip); open with a close command means
 * armed, waiting for the customer's button.
 *
 * MB_CTL_CLOSE sends 1CH (direct close) with option direct_close = true, else
 * 1BH (close allowed), and the read-back tells the caller the relay is armed.
 * Plaintext 1CH only: meters that insist on ESAM security authentication
 * (password level 98/99, 03H) are not supported.
 */
#include <string.h>

#include "dlt645.h"

struct command {
        uint8_t code;
        const char *name;
};

static int command_for(const struct dlt_meter *m, int op, struct command *c)
{
        switch (op) {
        case MB_CTL_TRIP:
                *c = (struct command){DLT_CTL_TRIP, "trip (1CH/1AH)"};
                return 0;
        case MB_CTL_CLOSE:
                if (m->o.direct_close)
                        *c = (struct command){DLT_CTL_CLOSE_DIRECT, "direct close (1CH/1CH)"};
                else
                        *c = (struct command){DLT_CTL_CLOSE_ALLOW, "close allowed (1CH/1BH)"};
                return 0;
        case MB_CTL_ARM:
                *c = (struct command){DLT_CTL_CLOSE_ALLOW, "close allowed (1CH/1BH)"};
                return 0;
        case MB_CTL_ALARM:
                *c = (struct command){DLT_CTL_ALARM, "alarm (1CH/2AH)"};
                return 0;
        case MB_CTL_ALARM_CLEAR:
                *c = (struct command){DLT_CTL_ALARM_CLEAR, "alarm release (1CH/2BH)"};
                return 0;
        case MB_CTL_PROTECT:
                *c = (struct command){DLT_CTL_PROTECT, "protect (1CH/3AH)"};
                return 0;
        case MB_CTL_UNPROTECT:
                *c = (struct command){DLT_CTL_PROTECT_CLEAR, "protect release (1CH/3BH)"};
                return 0;
        default:
                return -1;
        }
}

static int send_command(struct dlt_meter *m, const struct command *c, mb_err *err)
{
        uint8_t data[16];
        struct dlt_datetime until;
        struct dlt_req req = {.addr = m->addr,
                              .ctrl = DLT07_CONTROL,
                              .data = data,
                              .len = sizeof(data),
                              .what = c->name};
        struct dlt_expect e = {.func = DLT07_CONTROL};
        struct dlt_frame f;

        if (!m->o.has_password)
                return mb_err_set(err, MB_EAUTH,
                                  "%s: no password configured (option password = \"02123456\": "
                                  "level 02, password 123456)",
                                  c->name);
        memcpy(data, m->o.password, 4);
        memcpy(data + 4, m->o.operator_code, 4);
        data[8] = c->code;
        data[9] = 0;
        dlt_utc_to_local(m, m->host->realtime_s() + m->o.control_validity_s, &until);
        if (dlt_encode_datetime6(&until, data + 10) < 0)
                return mb_err_set(err, MB_ERANGE, "%s: host clock outside 2000-2099", c->name);
        memcpy(e.addr, m->addr, DLT_ADDR_LEN);
        return dlt_xact(m, &req, &e, &f, err);
}

static int expected_state(int op)
{
        switch (op) {
        case MB_CTL_TRIP:
                return MB_RELAY_OPEN;
        case MB_CTL_CLOSE:
                return MB_RELAY_CLOSED;
        default:
                return MB_RELAY_UNKNOWN;
        }
}

int dlt_control(struct dlt_meter *m, int op, int *state, mb_err *err)
{
        struct command c = {0, "query"};
        mb_err read_err = {0};
        int rc;

        *state = MB_RELAY_UNKNOWN;
        if (op != MB_CTL_QUERY && command_for(m, op, &c) < 0)
                return mb_err_set(err, MB_ENOTSUP, "unknown control operation %d", op);
        if (m->o.proto == DLT_1997)
                return mb_err_set(err, MB_ENOTSUP,
                                  "DL/T 645-1997 meters have no remote control or run status");
        dlt_begin(m);
        if (!m->have_addr && (rc = dlt_discover(m, err)) < 0)
                return rc;
        if (op != MB_CTL_QUERY) {
                if ((rc = send_command(m, &c, err)) < 0)
                        return rc;
                DLT_LOG(m, MB_LOG_NOTICE, "%s accepted", c.name);
                if (op == MB_CTL_CLOSE && !m->o.direct_close)
                        DLT_LOG(m, MB_LOG_INFO,
                                "direct_close is off: the meter closes when the customer presses "
                                "its button (or by itself, as some meters do)");
        }
        rc = dlt_read_status(m, state, &read_err);
        if (rc < 0) {
                *state = MB_RELAY_UNKNOWN;
                if (op == MB_CTL_QUERY) {
                        *err = read_err;
                        return rc;
                }
                DLT_LOG(m, MB_LOG_WARNING, "%s done, but the relay state is unknown: %s", c.name,
                        read_err.msg);
                return MB_OK;
        }
        if (expected_state(op) != MB_RELAY_UNKNOWN && *state != expected_state(op))
                DLT_LOG(m, MB_LOG_NOTICE,
                        "%s accepted but status word 3 still shows the relay %s (a delayed "
                        "trip?)",
                        c.name, *state == MB_RELAY_CLOSED ? "closed" : "open");
        return MB_OK;
}
