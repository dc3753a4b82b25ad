/* SPDX-License-Identifier: Apache-2.0 */
#define MB_LOG_MODULE "devices"
#include "agent_devices.h"

#include <stdlib.h>
#include <string.h>

#include "agent_host.h"
#include "agent_identity.h"
#include "mb_log.h"

static void link_params(mb_link_params *p, const struct agent_bus_cfg *b)
{
        memset(p, 0, sizeof(*p));
        p->size = sizeof(*p);
        p->name = b->name;
        p->type = b->type;
        p->device = b->device;
        p->baud = b->baud;
        p->parity = b->parity ? b->parity : 'N';
        p->data_bits = b->data_bits;
        p->stop_bits = b->stop_bits;
        p->host = b->host;
        p->port = b->port;
        p->timeout_ms = b->timeout_ms;
        p->pause_ms = b->pause_ms;
}

/* The link for (bus, plugin), opened on first use. */
static struct agent_link *get_link(struct agent_devices *devs, const struct agent_config *cfg,
                                   int bus, const agent_plugin *pl, mb_diag *d)
{
        const struct agent_bus_cfg *b = &cfg->buses[bus];
        struct agent_link *l;
        char label[80];
        mb_err err = {0};

        for (int i = 0; i < devs->n_links; i++)
                if (devs->links[i].bus_index == bus && devs->links[i].plugin == pl)
                        return &devs->links[i];
        l = &devs->links[devs->n_links];
        l->plugin = pl;
        l->bus_index = bus;
        link_params(&l->params, b);
        snprintf(label, sizeof(label), "bus %s", b->name);
        agent_ctx_init(&l->ctx, label, pl->desc->name, b->options, d);
        if (pl->desc->link_open &&
            pl->desc->link_open(agent_host(), &l->ctx, &l->params, &l->handle, &err) != MB_OK) {
                mb_diag_at(d, b->where, "bus '%s': plugin %s: %s", b->name, pl->desc->name,
                           err.msg[0] ? err.msg : mb_strerror(err.code));
                agent_ctx_release(&l->ctx);
                return NULL;
        }
        agent_ctx_close(&l->ctx);
        devs->n_links++;
        return l;
}

static int create_meter(struct agent_devices *devs, const struct agent_config *cfg, int i,
                        agent_plugins *reg, mb_diag *d)
{
        const struct agent_meter_cfg *mc = &cfg->meters[i];
        struct agent_meter *m = &devs->meters[i];
        mb_err err = {0};
        char label[80];
        int rc, before;

        m->cfg = mc;
        m->plugin =
            agent_plugins_get(reg, mc->plugin, config_setting_get_member(mc->where, "plugin"), d);
        if (!m->plugin || !(m->link = get_link(devs, cfg, mc->bus_index, m->plugin, d)))
                return -1;
        m->params.size = sizeof(m->params);
        m->params.name = mc->name;
        m->params.address = mc->address;
        m->params.timeout_ms = mc->timeout_ms;
        snprintf(label, sizeof(label), "meter %s", mc->name);
        agent_ctx_init(&m->ctx, label, m->plugin->desc->name, mc->options, d);
        before = mb_diag_count(d);
        rc = m->plugin->desc->meter_new(agent_host(), &m->ctx, m->link->handle, &m->params,
                                        &m->inst, &err);
        if (rc != MB_OK) {
                /* A config error the host already located needs no second line. */
                if (rc != MB_ECONFIG || err.msg[0] || mb_diag_count(d) == before)
                        mb_diag_at(d, mc->where, "meter '%s': plugin %s: %s", mc->name,
                                   m->plugin->desc->name, err.msg[0] ? err.msg : mb_strerror(rc));
                m->inst = NULL;
                agent_ctx_close(&m->ctx);
                return -1;
        }
        rc = agent_ctx_check_unused(&m->ctx) ? -1 : 0;
        agent_ctx_close(&m->ctx);
        m->caps = m->plugin->desc->caps;
        if (m->plugin->desc->meter_caps)
                m->caps &= m->plugin->desc->meter_caps(m->inst);
        m->relay_retry_op = -1;
        if (agent_identity_configured(m, d) < 0)
                rc = -1;
        m->ident_from_reading = !m->ident_known;
        return rc;
}

/* The device named name (a meter entry), reported in d when it cannot
 * switch a relay. */
static struct agent_meter *relay_device(struct agent_devices *devs, const struct agent_config *cfg,
                                        struct agent_meter *m, const char *key, const char *name,
                                        mb_diag *d)
{
        struct agent_meter *r = &devs->meters[agent_config_meter_index(cfg, name)];

        if (r->caps & MB_CAP_RELAY)
                return r;
        mb_diag_at(d, m->cfg->where, "meter '%s': %s '%s' (plugin %s) cannot switch a relay",
                   m->cfg->name, key, name, r->plugin->desc->name);
        return NULL;
}

/* Each meter's relay: itself, another entry, or none; where that leaves it
 * without one, its relay_fallback device (kept too for a meter that refuses
 * to switch: agent_control.c). */
static void bind_relays(struct agent_devices *devs, const struct agent_config *cfg, mb_diag *d)
{
        for (int i = 0; i < devs->n_meters; i++) {
                struct agent_meter *m = &devs->meters[i];
                const char *r = m->cfg->relay, *fb = m->cfg->relay_fallback;
                struct agent_meter *fdev =
                    fb ? relay_device(devs, cfg, m, "relay_fallback", fb, d) : NULL;

                if (strcmp(r, "self") == 0)
                        m->relay_dev = (m->caps & MB_CAP_RELAY) ? m : NULL;
                else if (strcmp(r, "none") != 0)
                        m->relay_dev = relay_device(devs, cfg, m, "relay", r, d);
                m->fallback_dev = fdev;
                if (!m->relay_dev && fdev) {
                        m->relay_dev = fdev;
                        m->relay_is_fallback = 1;
                }
        }
}

struct agent_devices *agent_devices_create(const struct agent_config *cfg, agent_plugins *reg,
                                           mb_diag *d)
{
        struct agent_devices *devs = calloc(1, sizeof(*devs));
        int before = mb_diag_count(d), bad = 0;

        if (!devs)
                return NULL;
        devs->links = calloc((size_t)cfg->n_meters + 1, sizeof(*devs->links));
        devs->meters = calloc((size_t)cfg->n_meters + 1, sizeof(*devs->meters));
        devs->n_meters = cfg->n_meters;
        for (int i = 0; devs->meters && devs->links && i < cfg->n_meters; i++)
                bad |= create_meter(devs, cfg, i, reg, d) < 0;
        if (!bad)
                bad |= agent_identity_check_unique(devs, d) > 0;
        if (!bad)
                bind_relays(devs, cfg, d);
        if (!devs->meters || !devs->links || bad || mb_diag_count(d) > before) {
                agent_devices_free(devs);
                return NULL;
        }
        return devs;
}

void agent_devices_free(struct agent_devices *devs)
{
        if (!devs)
                return;
        for (int i = 0; devs->meters && i < devs->n_meters; i++) {
                struct agent_meter *m = &devs->meters[i];
                if (m->inst)
                        m->plugin->desc->meter_free(m->inst);
                free(m->snap_json);
                agent_snapshot_clear(&m->snap);
                agent_charge_clear(&m->charge);
                mb_tariff_free(m->tariff);
                if (m->plugin)
                        agent_ctx_release(&m->ctx);
        }
        for (int i = devs->n_links - 1; i >= 0; i--) {
                struct agent_link *l = &devs->links[i];
                if (l->handle && l->plugin->desc->link_close)
                        l->plugin->desc->link_close(l->handle);
                agent_ctx_release(&l->ctx);
        }
        free(devs->meters);
        free(devs->links);
        free(devs);
}

const char *agent_reading_check(const mb_reading *r)
{
        uint32_t f = r->fields;

        if (f == 0)
                return "reading has no fields";
        if (f & ~MB_F_KNOWN)
                return "reading has unknown field bits";
        if (r->phases != 0 && r->phases != 1 && r->phases != 3)
                return "phases must be 1 or 3";
        if (memchr(r->address, 0, sizeof(r->address)) == NULL)
                return "address is not NUL-terminated";
        if (((f & MB_F_IMPORT) && r->import_wh < 0) || ((f & MB_F_EXPORT) && r->export_wh < 0))
                return "negative energy register";
        for (int i = 0; (f & MB_F_RATES) && i < MB_RATES; i++)
                if (r->rate_wh[i] < 0)
                        return "negative rate register";
        if ((f & MB_F_PF) && (r->pf_milli < -1000 || r->pf_milli > 1000))
                return "power factor outside -1..1";
        if ((f & MB_F_RELAY) && (r->relay < MB_RELAY_UNKNOWN || r->relay > MB_RELAY_ARMED))
                return "unknown relay state";
        if ((f & MB_F_FREQ) && (r->freq_mhz < 0 || r->freq_mhz > 1000000))
                return "frequency out of range";
        if (((f & MB_F_DEMAND) && (r->demand_mw < 0 || r->demand_time < 0)) ||
            ((f & MB_F_FROZEN_DEMAND) && (r->frozen_demand_mw < 0 || r->frozen_demand_time < 0)))
                return "negative maximum demand or time";
        if (r->missing & ~MB_F_KNOWN)
                return "reading leaves out unknown field bits";
        if (memchr(r->missing_why, 0, sizeof(r->missing_why)) == NULL)
                return "missing_why is not NUL-terminated";
        if ((f & MB_F_ACCOUNT) &&
            (memchr(r->account, 0, sizeof(r->account)) == NULL || !r->account[0]))
                return "account is empty or not NUL-terminated";
        return NULL;
}
