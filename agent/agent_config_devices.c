/* SPDX-License-Identifier: Apache-2.0 */
/* The `buses` and `meters` lists of agent.conf. */
#include <stdlib.h>
#include <string.h>

#include "agent_config_priv.h"

static const char *const bus_keys[] = {"name",      "type",      "device", "baud", "parity",
                                       "data_bits", "stop_bits", "host",   "port", "timeout_ms",
                                       "pause_ms",  "options",   NULL};
static const char *const meter_keys[] = {"name",           "plugin",        "bus",        "address",
                                         "account",        "poll_interval", "timeout_ms", "relay",
                                         "relay_fallback", "options",       NULL};

static const config_setting_t *options_of(const config_setting_t *g, mb_diag *d)
{
        const config_setting_t *o = config_setting_get_member(g, "options");

        if (o && config_setting_type(o) != CONFIG_TYPE_GROUP) {
                mb_diag_at(d, o, "'options' must be a group { ... }");
                return NULL;
        }
        return o;
}

static void parse_serial(struct agent_bus_cfg *b, const config_setting_t *g, mb_diag *d)
{
        const char *parity = "E";

        mb_conf_need_string(g, "device", &b->device, d);
        b->baud = agent_conf_int(g, "baud", 300, 4000000, 9600, d);
        b->data_bits = agent_conf_int(g, "data_bits", 7, 8, 8, d);
        b->stop_bits = agent_conf_int(g, "stop_bits", 1, 2, 1, d);
        if (mb_conf_string(g, "parity", &parity, d) == 1 &&
            (strlen(parity) != 1 || !strchr("NEO", parity[0])))
                mb_diag_at(d, config_setting_get_member(g, "parity"),
                           "'parity' must be \"N\", \"E\" or \"O\", not \"%s\"", parity);
        b->parity = parity[0];
}

static void parse_bus(struct agent_bus_cfg *b, const config_setting_t *g, mb_diag *d)
{
        b->where = g;
        if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
                mb_diag_at(d, g, "each bus must be a group { ... }");
                return;
        }
        mb_conf_check_keys(g, bus_keys, "bus", d);
        mb_conf_need_string(g, "name", &b->name, d);
        b->type = "none";
        mb_conf_string(g, "type", &b->type, d);
        b->timeout_ms = agent_conf_int(g, "timeout_ms", 1, 600000, 1000, d);
        b->pause_ms = agent_conf_int(g, "pause_ms", 0, 60000, 0, d);
        b->options = options_of(g, d);
        if (strcmp(b->type, "serial") == 0) {
                parse_serial(b, g, d);
        } else if (strcmp(b->type, "tcp") == 0) {
                mb_conf_need_string(g, "host", &b->host, d);
                b->port = agent_conf_int(g, "port", 1, 65535, 502, d);
        } else if (strcmp(b->type, "none") != 0) {
                mb_diag_at(d, config_setting_get_member(g, "type"),
                           "bus type must be \"serial\", \"tcp\" or \"none\", not \"%s\"", b->type);
        }
}

void parse_buses(struct agent_config *c, const config_setting_t *root, mb_diag *d)
{
        const config_setting_t *list = agent_conf_list(root, "buses", &c->n_buses, d);

        if (!list)
                return;
        c->buses = calloc((size_t)c->n_buses + 1, sizeof(*c->buses));
        for (int i = 0; c->buses && i < c->n_buses; i++) {
                parse_bus(&c->buses[i], config_setting_get_elem(list, (unsigned)i), d);
                for (int j = 0; j < i && c->buses[i].name; j++)
                        if (c->buses[j].name && strcmp(c->buses[i].name, c->buses[j].name) == 0)
                                mb_diag_at(d, c->buses[i].where,
                                           "duplicate bus '%s' (first defined at line %d)",
                                           c->buses[i].name,
                                           config_setting_source_line(c->buses[j].where));
        }
}

/* Seconds, integer or fractional (0.5), stored as ms; 0 means never polled. */
static int poll_interval(const config_setting_t *g, mb_diag *d)
{
        double v = 60;

        if (mb_conf_double(g, "poll_interval", &v, d) == 1 && v != 0 && (v < 0.05 || v > 86400)) {
                mb_diag_at(d, config_setting_get_member(g, "poll_interval"),
                           "'poll_interval' must be 0 (never) or 0.05..86400 seconds");
                return 60000;
        }
        return (int)(v * 1000 + 0.5);
}

static void parse_meter(struct agent_config *c, struct agent_meter_cfg *m,
                        const config_setting_t *g, mb_diag *d)
{
        m->where = g;
        m->bus_index = -1;
        if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
                mb_diag_at(d, g, "each meter must be a group { ... }");
                return;
        }
        mb_conf_check_keys(g, meter_keys, "meter", d);
        mb_conf_need_string(g, "name", &m->name, d);
        mb_conf_need_string(g, "plugin", &m->plugin, d);
        if (mb_conf_need_string(g, "bus", &m->bus, d) == 1) {
                m->bus_index = agent_config_bus_index(c, m->bus);
                if (m->bus_index < 0)
                        mb_diag_at(d, config_setting_get_member(g, "bus"),
                                   "meter '%s': no bus named '%s'", m->name ? m->name : "?",
                                   m->bus);
        }
        mb_conf_string(g, "address", &m->address, d);
        mb_conf_string(g, "account", &m->account, d);
        m->poll_interval_ms = poll_interval(g, d);
        m->timeout_ms =
            agent_conf_int(g, "timeout_ms", 1, 600000,
                           m->bus_index >= 0 ? c->buses[m->bus_index].timeout_ms : 1000, d);
        m->relay = "self";
        mb_conf_string(g, "relay", &m->relay, d);
        mb_conf_string(g, "relay_fallback", &m->relay_fallback, d);
        m->options = options_of(g, d);
}

static void check_duplicate(struct agent_config *c, int i, mb_diag *d)
{
        struct agent_meter_cfg *m = &c->meters[i];

        for (int j = 0; j < i; j++) {
                struct agent_meter_cfg *o = &c->meters[j];
                /* Two meters at one address are found by the plugins, which
                 * know how an address may be spelt (agent_identity.c). */
                if (m->name && o->name && strcmp(m->name, o->name) == 0)
                        mb_diag_at(d, m->where, "duplicate meter '%s' (first defined at line %d)",
                                   m->name, config_setting_source_line(o->where));
        }
}

static void check_relay(struct agent_config *c, int i, mb_diag *d)
{
        struct agent_meter_cfg *m = &c->meters[i];
        int r;

        if (m->relay_fallback &&
            ((r = agent_config_meter_index(c, m->relay_fallback)) < 0 || r == i))
                mb_diag_at(d, config_setting_get_member(m->where, "relay_fallback"),
                           "meter '%s': relay_fallback must be another meter's name, not \"%s\"",
                           m->name, m->relay_fallback);
        if (!m->relay || strcmp(m->relay, "self") == 0 || strcmp(m->relay, "none") == 0)
                return;
        r = agent_config_meter_index(c, m->relay);
        if (r < 0 || r == i)
                mb_diag_at(d, config_setting_get_member(m->where, "relay"),
                           "meter '%s': relay must be \"self\", \"none\" or another meter's name, "
                           "not \"%s\"",
                           m->name, m->relay);
}

void parse_meters(struct agent_config *c, const config_setting_t *root, mb_diag *d)
{
        const config_setting_t *list = agent_conf_list(root, "meters", &c->n_meters, d);

        if (!list) {
                mb_diag_at(d, root, "no 'meters' list: nothing to read");
                return;
        }
        c->meters = calloc((size_t)c->n_meters + 1, sizeof(*c->meters));
        for (int i = 0; c->meters && i < c->n_meters; i++) {
                parse_meter(c, &c->meters[i], config_setting_get_elem(list, (unsigned)i), d);
                if (c->meters[i].name && c->meters[i].plugin)
                        check_duplicate(c, i, d);
        }
        for (int i = 0; c->meters && i < c->n_meters; i++)
                check_relay(c, i, d);
}
