/* SPDX-License-Identifier: Apache-2.0 */
/* Meter identity: configured spellings, patterns and discovered addresses
 * resolved to the meter's own form (agent_identity.h). */
#define MB_LOG_MODULE "identity"
#include "agent_identity.h"

#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "mb_log.h"

/* in through the plugin's hook, or as it is without one.  MB_OK with out,
 * MB_ENOENT for "no single meter", MB_EINVAL with err. */
static int normalise(const struct agent_meter *m, const char *in, char out[MB_ADDR_LEN],
                     mb_err *err)
{
        int (*hook)(const char *, char *, size_t, mb_err *) = m->plugin->desc->normalise_address;
        int rc;

        memset(err, 0, sizeof(*err));
        if (!hook) {
                if (!*in || strlen(in) >= MB_ADDR_LEN)
                        return *in ? mb_err_set(err, MB_EINVAL, "longer than %d characters",
                                                MB_ADDR_LEN - 1)
                                   : MB_ENOENT;
                snprintf(out, MB_ADDR_LEN, "%s", in);
                return MB_OK;
        }
        out[0] = '\0';
        rc = hook(in, out, MB_ADDR_LEN, err);
        if (rc == MB_OK && (!memchr(out, 0, MB_ADDR_LEN) || !out[0]))
                return mb_err_set(err, MB_EINVAL,
                                  "the plugin's normalise_address gave no identity");
        if (rc != MB_OK && rc != MB_ENOENT && rc != MB_EINVAL)
                rc = MB_EINVAL;
        if (rc == MB_EINVAL && !err->msg[0])
                mb_err_set(err, MB_EINVAL, "not an address of this protocol");
        return rc;
}

int agent_identity_configured(struct agent_meter *m, mb_diag *d)
{
        const char *a = m->cfg->address;
        mb_err err;
        int rc;

        m->ident[0] = '\0';
        m->ident_known = 0;
        if (!a)
                return 0; /* from the readings, like "auto" */
        rc = normalise(m, a, m->ident, &err);
        if (rc == MB_EINVAL) {
                mb_diag_at(d, m->cfg->where, "meter '%s': address \"%s\": %s", m->cfg->name, a,
                           err.msg);
                return -1;
        }
        m->ident_known = rc == MB_OK;
        return 0;
}

int agent_identity_check_unique(const struct agent_devices *devs, mb_diag *d)
{
        int n = 0;

        for (int i = 0; i < devs->n_meters; i++) {
                const struct agent_meter *m = &devs->meters[i];

                for (int j = 0; m->ident_known && j < i; j++) {
                        const struct agent_meter *o = &devs->meters[j];

                        if (!o->ident_known || o->plugin != m->plugin ||
                            o->cfg->bus_index != m->cfg->bus_index ||
                            strcmp(o->ident, m->ident) != 0)
                                continue;
                        mb_diag_at(d, m->cfg->where,
                                   "meter '%s': address %s is already used by meter '%s' on bus "
                                   "'%s' (configured as \"%s\" and \"%s\")",
                                   m->cfg->name, m->ident, o->cfg->name, m->cfg->bus,
                                   m->cfg->address, o->cfg->address);
                        n++;
                        break;
                }
        }
        return n;
}

int agent_identity_of_reading(const struct agent_meter *m, const mb_reading *r,
                              char out[MB_ADDR_LEN])
{
        mb_err err;

        if (!(r->fields & MB_F_ADDRESS) || !r->address[0])
                return MB_ENOENT;
        return normalise(m, r->address, out, &err) == MB_OK ? MB_OK : MB_ENOENT;
}

/* Stored identity and an event saying where it came from. */
static int adopt(struct agent *a, struct agent_meter *m, const char *id, int64_t ts)
{
        char reason[160], data[128];
        int changed = m->ident_known;

        if (changed)
                snprintf(reason, sizeof(reason), "the meter now answers as %s, not %s: replaced?",
                         id, m->ident);
        else
                snprintf(reason, sizeof(reason), "address %s, as the meter reports it", id);
        snprintf(data, sizeof(data), "{\"from\":%s%s%s,\"to\":\"%s\"}", changed ? "\"" : "",
                 changed ? m->ident : "null", changed ? "\"" : "", id);
        if (agent_store_set_meter_address(a->store, m->store_id, id) != MB_OK)
                return MB_ESTORE;
        agent_store_add_event(a->store, m->store_id, ts,
                              changed ? "meter_address_changed" : "meter_identified", reason,
                              INT64_MIN, data);
        mb_notice("meter %s: %s", m->cfg->name, reason);
        snprintf(m->ident, sizeof(m->ident), "%s", id);
        m->ident_known = 1;
        return MB_OK;
}

/* The customer number the meter holds, reported once per start and change. */
static void account_of_reading(struct agent *a, struct agent_meter *m, const mb_reading *r,
                               int64_t ts)
{
        json_object *d;

        if (!(r->fields & MB_F_ACCOUNT) || strcmp(r->account, m->meter_account) == 0)
                return;
        d = json_object_new_object();
        json_object_object_add(d, "account", json_object_new_string(r->account));
        if (m->cfg->account)
                json_object_object_add(d, "configured", json_object_new_string(m->cfg->account));
        agent_store_add_event(a->store, m->store_id, ts, "meter_account",
                              "the customer number the meter holds", INT64_MIN,
                              json_object_to_json_string_ext(d, JSON_C_TO_STRING_PLAIN));
        json_object_put(d);
        if (m->cfg->account && strcmp(m->cfg->account, r->account) != 0)
                mb_warn("meter %s holds customer number %s; agent.conf says account %s",
                        m->cfg->name, r->account, m->cfg->account);
        snprintf(m->meter_account, sizeof(m->meter_account), "%s", r->account);
}

int agent_identity_on_reading(struct agent *a, struct agent_meter *m, const mb_reading *r,
                              int64_t ts)
{
        char id[MB_ADDR_LEN];

        account_of_reading(a, m, r, ts);

        if (agent_identity_of_reading(m, r, id) != MB_OK ||
            (m->ident_known && strcmp(id, m->ident) == 0))
                return MB_OK;
        if (!m->ident_from_reading) {
                /* A configured identity stays: the plugin checked the meter
                 * answered at that address. */
                if (!m->ident_warned)
                        mb_warn("meter %s: configured as %s but reports address %s", m->cfg->name,
                                m->ident, id);
                m->ident_warned = 1;
                return MB_OK;
        }
        return adopt(a, m, id, ts);
}
