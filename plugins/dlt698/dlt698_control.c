/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dlt698: meter_control through ACTION-Request on the remote control object
 * 8000 and the protection object 8001, with a time tag (now, valid for
 * control_validity_s): a meter refuses a control request without one.
 *
 *   meterbox            OMD        parameter
 *   MB_CTL_TRIP         80008100   array 1 structure {relay OAD F2050201,
 *                                    alarm delay unsigned 0, trip time
 *                                    long-unsigned 0 (until closed), auto close
 *                                    bool false}  (method 129)
 *   MB_CTL_CLOSE        80008200   array 1 structure {relay OAD F2050201,
 *                                    command enum: 1 direct close with option
 *                                    direct_close, else 0 close allowed}
 *                                    (method 130)
 *   MB_CTL_ARM          80008200   the same with 0, close allowed
 *   MB_CTL_ALARM        80007F00   null (method 127)
 *   MB_CTL_ALARM_CLEAR  80008000   null (method 128)
 *   MB_CTL_PROTECT      80017F00   null (8001 method 127)
 *   MB_CTL_UNPROTECT    80018000   null (8001 method 128)
 *
 * The meter answers ACTION-Response with a DAR; anything but 0 fails the
 * call with the meter's reason (15 unauthorised: MB_EAUTH), and the agent
 * reports the command failed.  After success the relay is read back
 * (8000 attributes 3 and 5).  Without a signer (dlt698_signer.h) the request
 * goes out in plaintext; with one, the signer wraps it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "dlt698.h"

struct command {
        uint32_t omd;
        const char *name;
        uint8_t param[16];
        size_t plen;
};

/* array 1 of structure {OAD F2050201, ...} */
static size_t relay_param(uint8_t *p, int close, uint8_t cmd)
{
        static const uint8_t head[] = {D698_T_ARRAY, 1,    D698_T_STRUCT, 4,   D698_T_OAD,
                                       0xF2,         0x05, 0x02,          0x01};
        size_t k = sizeof(head);

        memcpy(p, head, sizeof(head));
        if (close) {
                p[3] = 2;
                p[k++] = D698_T_ENUM;
                p[k++] = cmd;
                return k;
        }
        p[k++] = D698_T_UNSIGNED; /* alarm delay, minutes */
        p[k++] = 0;
        p[k++] = D698_T_LONG_U; /* trip time, minutes; 0: until closed */
        p[k++] = 0;
        p[k++] = 0;
        p[k++] = D698_T_BOOL; /* close by itself afterwards */
        p[k++] = 0;
        return k;
}

static int command_for(const struct d698_meter *m, int op, struct command *c)
{
        memset(c, 0, sizeof(*c));
        c->plen = 1; /* null */
        switch (op) {
        case MB_CTL_TRIP:
                c->omd = 0x80008100;
                c->name = "trip (ACTION 80008100)";
                c->plen = relay_param(c->param, 0, 0);
                return 0;
        case MB_CTL_CLOSE:
        case MB_CTL_ARM: {
                int direct = op == MB_CTL_CLOSE && m->o.direct_close;
                c->omd = 0x80008200;
                c->name =
                    direct ? "direct close (ACTION 80008200)" : "close allowed (ACTION 80008200)";
                c->plen = relay_param(c->param, 1, (uint8_t)direct);
                return 0;
        }
        case MB_CTL_ALARM:
                c->omd = 0x80007F00;
                c->name = "alarm (ACTION 80007F00)";
                return 0;
        case MB_CTL_ALARM_CLEAR:
                c->omd = 0x80008000;
                c->name = "alarm release (ACTION 80008000)";
                return 0;
        case MB_CTL_PROTECT:
                c->omd = 0x80017F00;
                c->name = "protect (ACTION 80017F00)";
                return 0;
        case MB_CTL_UNPROTECT:
                c->omd = 0x80018000;
                c->name = "protect release (ACTION 80018000)";
                return 0;
        default:
                return -1;
        }
}

/* The signer's wrapping of a request, and its opening of the reply. */
static int signed_xact(struct d698_meter *m, struct d698_req *req, mb_err *err)
{
        uint8_t wrapped[D698_FRAME_MAX], opened[D698_APDU_MAX];
        char addr[2 * D698_SA_MAX + 1];
        size_t n;
        int rc;

        d698_addr_format(&m->addr, addr, sizeof(addr));
        rc = m->signer->wrap(m->signer_ctx, addr, req->apdu, req->len, wrapped, sizeof(wrapped), &n,
                             m->deadline, err);
        if (rc < 0)
                return rc;
        req->apdu = wrapped;
        req->len = n;
        req->raw = 1;
        if ((rc = d698_xact(m, req, err)) < 0)
                return rc;
        rc = m->signer->unwrap(m->signer_ctx, addr, m->apdu, m->apdu_len, opened, sizeof(opened),
                               &n, m->deadline, err);
        if (rc < 0)
                return rc;
        memcpy(m->apdu, opened, n);
        m->apdu_len = n;
        return MB_OK;
}

static int send_command(struct d698_meter *m, const struct command *c, mb_err *err)
{
        uint8_t apdu[64], piid = d698_next_piid(m);
        struct d698_tt tt;
        struct d698_req req = {.apdu = apdu, .what = c->name};
        struct d698_resp r;
        struct d698_result_item it;
        int rc;

        d698_time_tag(m, &tt);
        if (!d698_dt_valid(&tt.sent))
                return mb_err_set(err, MB_ERANGE, "%s: host clock outside 2000-2099", c->name);
        req.len = d698_action(apdu, sizeof(apdu), piid, c->omd, c->param, c->plen, &tt);
        rc = m->signer ? signed_xact(m, &req, err) : d698_xact(m, &req, err);
        if (rc < 0)
                return rc;
        rc = d698_resp_begin(m->apdu, m->apdu_len, D698_ACTION_RESPONSE, D698_ACTION_NORMAL, piid,
                             &r);
        if (rc == 0 && r.error)
                return mb_err_set(err, MB_EDEVICE, "%s: meter answered ERROR-Response %d: %s",
                                  c->name, r.error, d698_error_str(r.error));
        if (rc == 0)
                rc = d698_action_result(&r, &it);
        if (rc == 0 && it.oad != c->omd)
                rc = D698_E_MISMATCH;
        if (rc != 0)
                return mb_err_set(err, MB_EPROTO, "%s: %s", c->name, d698_result_str(rc));
        if (it.dar != 0)
                return d698_dar_error(m, c->name, it.dar, err);
        return MB_OK;
}

static int expected_state(int op)
{
        return op == MB_CTL_TRIP ? MB_RELAY_OPEN : op == MB_CTL_CLOSE ? MB_RELAY_CLOSED : -1;
}

int d698_control(struct d698_meter *m, int op, int *state, mb_err *err)
{
        struct command c = {.name = "query"};
        mb_err read_err = {0};
        int rc;

        *state = MB_RELAY_UNKNOWN;
        if (op != MB_CTL_QUERY && command_for(m, op, &c) < 0)
                return mb_err_set(err, MB_ENOTSUP, "unknown control operation %d", op);
        d698_begin(m);
        if (!m->have_addr && (rc = d698_discover(m, err)) < 0)
                return rc;
        if (op != MB_CTL_QUERY) {
                if ((rc = send_command(m, &c, err)) < 0)
                        return rc;
                D698_LOG(m, MB_LOG_NOTICE, "%s accepted", c.name);
        }
        rc = d698_read_relay(m, state, &read_err);
        if (rc < 0) {
                *state = MB_RELAY_UNKNOWN;
                if (op == MB_CTL_QUERY) {
                        *err = read_err;
                        return rc;
                }
                D698_LOG(m, MB_LOG_WARNING, "%s done, but the relay state is unknown: %s", c.name,
                         read_err.msg);
                return MB_OK;
        }
        if (expected_state(op) >= 0 && *state != expected_state(op))
                D698_LOG(m, MB_LOG_NOTICE,
                         "%s accepted but the meter still reports the relay %s (a delayed trip, "
                         "or close allowed?)",
                         c.name, *state == MB_RELAY_CLOSED ? "closed" : "open");
        return MB_OK;
}
