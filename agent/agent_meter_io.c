/* SPDX-License-Identifier: Apache-2.0 */
/* One call into a plugin for one meter, with the host's checks around it. */
#include <string.h>

#include "agent_bus.h"

int agent_meter_read(struct agent_meter *m, mb_reading *r, mb_err *err)
{
        const char *bad;
        int rc;

        memset(r, 0, sizeof(*r));
        r->size = sizeof(*r);
        memset(err, 0, sizeof(*err));
        if (!(m->caps & MB_CAP_READ))
                return mb_err_set(err, MB_ENOTSUP, "plugin %s cannot read", m->plugin->desc->name);
        rc = m->plugin->desc->meter_read(m->inst, r, err);
        if (rc > 0)
                return mb_err_set(err, MB_EPROTO, "plugin returned unknown code %d", rc);
        if (rc < 0) {
                if (!err->msg[0])
                        mb_err_set(err, rc, "%s", mb_strerror(rc));
                err->code = rc;
                return rc;
        }
        if ((bad = agent_reading_check(r)))
                return mb_err_set(err, MB_EPROTO, "plugin %s returned an invalid reading: %s",
                                  m->plugin->desc->name, bad);
        if (r->phases == 0)
                r->phases = 1;
        r->missing &= ~r->fields; /* a field given is not missing */
        return MB_OK;
}

static int can(const struct agent_meter *dev, uint32_t cap)
{
        return dev && (dev->caps & cap);
}

struct agent_meter *agent_meter_target(struct agent_meter *m, int op)
{
        if (op == MB_CTL_ALARM || op == MB_CTL_ALARM_CLEAR) {
                if (can(m, MB_CAP_DISPLAY))
                        return m;
                return can(m->relay_dev, MB_CAP_DISPLAY) ? m->relay_dev : NULL;
        }
        return can(m->relay_dev, MB_CAP_RELAY) ? m->relay_dev : NULL;
}

int agent_meter_control(struct agent_meter *m, int op, int *state, mb_err *err)
{
        struct agent_meter *dev = agent_meter_target(m, op);
        int rc;

        memset(err, 0, sizeof(*err));
        *state = MB_RELAY_UNKNOWN;
        if (!dev)
                return mb_err_set(err, MB_ENOTSUP, "meter %s has no device for this operation",
                                  m->cfg->name);
        rc = dev->plugin->desc->meter_control(dev->inst, op, state, err);
        if (rc != MB_OK && !err->msg[0])
                mb_err_set(err, rc, "%s", mb_strerror(rc));
        if (rc == MB_OK && (*state < MB_RELAY_UNKNOWN || *state > MB_RELAY_ARMED))
                return mb_err_set(err, MB_EPROTO, "plugin returned unknown relay state %d", *state);
        return rc;
}
