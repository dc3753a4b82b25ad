/*
 * modbus: the bus's and the meter's `options` groups.  Every key is looked up
 * even after an error, so one `meterbox-agent -t` run reports every bad key
 * and the host never reports a valid key as unknown.  Problems are reported
 * through host->cfg_error, which adds file and line.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <modbus.h>

#include "modbus_plugin.h"

struct opt_parser {
        const mb_host *host;
        mb_ctx *ctx;
        int rc; /* MB_OK, or MB_ECONFIG once any key was bad */
};

/* Returns 1 when the key is present with a valid value, else 0 (*out = def). */
static int opt_int(struct opt_parser *p, const char *key, int64_t *out, int64_t def, int64_t lo,
                   int64_t hi)
{
        int64_t v;
        int rc = p->host->cfg_int(p->ctx, key, &v);

        *out = def;
        if (rc == MB_ENOENT)
                return 0;
        if (rc != MB_OK) {
                p->rc = MB_ECONFIG;
                return 0;
        }
        if (v < lo || v > hi) {
                p->rc = p->host->cfg_error(
                    p->ctx, key, "%s must be between %" PRId64 " and %" PRId64 ", not %" PRId64,
                    key, lo, hi, v);
                return 0;
        }
        *out = v;
        return 1;
}

static int opt_bool(struct opt_parser *p, const char *key, int *out, int def)
{
        int rc = p->host->cfg_bool(p->ctx, key, out);

        if (rc == MB_OK)
                return 1;
        if (rc != MB_ENOENT)
                p->rc = MB_ECONFIG;
        *out = def;
        return 0;
}

/* A non-empty string, or NULL when absent or bad. */
static const char *opt_string(struct opt_parser *p, const char *key)
{
        const char *v = NULL;
        int rc = p->host->cfg_string(p->ctx, key, &v);

        if (rc == MB_ENOENT)
                return NULL;
        if (rc != MB_OK) {
                p->rc = MB_ECONFIG;
                return NULL;
        }
        if (!*v) {
                p->rc = p->host->cfg_error(p->ctx, key, "%s must not be empty", key);
                return NULL;
        }
        return v;
}

/* ---- bus ---------------------------------------------------------------- */

int mbp_link_options(struct mbp_link *l, const mb_link_params *bus, mb_err *err)
{
        struct opt_parser p = {.host = l->host, .ctx = l->ctx, .rc = MB_OK};
        int64_t lo, hi;
        const char *rts;
        int have_rs485;

        have_rs485 = opt_bool(&p, "rs485", &l->rs485, 0);
        l->rts = -1;
        if ((rts = opt_string(&p, "rts"))) {
                if (strcmp(rts, "up") == 0)
                        l->rts = MODBUS_RTU_RTS_UP;
                else if (strcmp(rts, "down") == 0)
                        l->rts = MODBUS_RTU_RTS_DOWN;
                else if (strcmp(rts, "none") == 0)
                        l->rts = MODBUS_RTU_RTS_NONE;
                else
                        p.rc = p.host->cfg_error(
                            p.ctx, "rts",
                            "unknown value \"%s\" (expected \"none\", \"up\", \"down\")", rts);
        }
        opt_int(&p, "reconnect_min_ms", &lo, 1000, 10, 600000);
        opt_int(&p, "reconnect_max_ms", &hi, 60000, 10, 3600000);
        if (hi < lo) {
                p.rc = p.host->cfg_error(p.ctx, "reconnect_max_ms",
                                         "reconnect_max_ms (%" PRId64
                                         ") must not be below reconnect_min_ms (%" PRId64 ")",
                                         hi, lo);
                hi = lo;
        }
        l->reconnect_min_ms = (int)lo;
        l->reconnect_max_ms = (int)hi;
        if (strcmp(bus->type, "serial") != 0 && (have_rs485 || rts))
                p.rc = p.host->cfg_error(p.ctx, have_rs485 ? "rs485" : "rts",
                                         "%s applies to serial buses only (this bus is %s)",
                                         have_rs485 ? "rs485" : "rts", bus->type);
        if (l->rts >= 0 && !l->rs485)
                p.rc = p.host->cfg_error(p.ctx, "rts",
                                         "rts needs rs485 = true (libmodbus drives RTS only in "
                                         "RS-485 mode)");
        (void)err;
        return p.rc;
}

/* ---- meter -------------------------------------------------------------- */

/* The unit id: options.unit, else the meter's address, which must then be a
 * number. */
static void parse_unit(struct opt_parser *p, struct mbp_meter *m, const mb_meter_params *params,
                       mb_err *err)
{
        int tcp = m->link->transport == MBF_TCP;
        int64_t lo = tcp ? 0 : 1, hi = tcp ? 255 : 247, unit;
        int have = opt_int(p, "unit", &unit, -1, lo, hi);
        const char *a = params->address;

        if (a && *a) {
                char *end;
                long v = strtol(a, &end, 10);
                if (*end || end == a || v < lo || v > hi) {
                        if (!have) {
                                p->rc = mb_err_set(err, MB_ECONFIG,
                                                   "address \"%s\" is not a Modbus unit id "
                                                   "(%" PRId64 "..%" PRId64
                                                   "); set the address to the unit id or set "
                                                   "options.unit",
                                                   a, lo, hi);
                                return;
                        }
                } else if (!have) {
                        unit = v;
                        have = 1;
                } else if (v != unit) {
                        p->rc = p->host->cfg_error(
                            p->ctx, "unit",
                            "unit %" PRId64 " differs from the meter's address \"%s\"", unit, a);
                }
        }
        if (!have && p->rc == MB_OK)
                p->rc = mb_err_set(err, MB_ECONFIG,
                                   "no Modbus unit id: set address = \"N\" or options.unit = N "
                                   "(%" PRId64 "..%" PRId64 ")",
                                   lo, hi);
        m->unit = (int)unit;
}

static void parse_map(struct opt_parser *p, struct mbp_meter *m, int *have_map)
{
        const char *profile = opt_string(p, "profile");
        const char *map = opt_string(p, "map");
        const char *order_s = opt_string(p, "word_order");
        int64_t max_gap;
        int order = -1;
        char why[300];

        opt_int(p, "max_gap", &max_gap, 0, 0, MBM_MAX_REGS_PER_READ - 1);
        if (order_s && (order = mbd_order_parse(order_s, strlen(order_s))) < 0)
                p->rc = p->host->cfg_error(
                    p->ctx, "word_order",
                    "unknown value \"%s\" (expected \"ABCD\", \"CDAB\", \"BADC\", "
                    "\"DCBA\")",
                    order_s);
        memset(&m->map, 0, sizeof(m->map));
        if (profile) {
                const struct mbm_profile *pr = mbm_profile_find(profile);
                if (!pr) {
                        char list[200];
                        mbm_profile_list(list, sizeof(list));
                        p->rc = p->host->cfg_error(p->ctx, "profile",
                                                   "unknown meter \"%s\" (built in: %s)", profile,
                                                   list);
                } else if (mbm_parse(pr->map, strlen(pr->map), MBD_ABCD, &m->map, why,
                                     sizeof(why)) < 0) {
                        /* A broken built-in table: the unit tests catch this. */
                        p->rc = p->host->cfg_error(
                            p->ctx, "profile", "built-in profile %s is broken: %s", profile, why);
                } else if (order >= 0) {
                        mbm_set_order(&m->map, order);
                }
        }
        if (map && mbm_parse(map, strlen(map), order >= 0 ? order : MBD_ABCD, &m->map, why,
                             sizeof(why)) < 0)
                p->rc = p->host->cfg_error(p->ctx, "map", "%s", why);
        *have_map = profile || map;
        if (p->rc == MB_OK && mbm_plan(&m->map, (int)max_gap, why, sizeof(why)) < 0)
                p->rc = p->host->cfg_error(p->ctx, map ? "map" : "profile", "%s", why);
}

static void parse_relay(struct opt_parser *p, struct mbp_meter *m)
{
        struct mbp_relay *r = &m->relay;
        int64_t coil, reg, on, off;
        int have_coil, have_reg, have_on, have_off, have_in;
        const char *coil_on;

        memset(r, 0, sizeof(*r));
        have_coil = opt_int(p, "relay_coil", &coil, -1, 0, 65535);
        have_reg = opt_int(p, "relay_register", &reg, -1, 0, 65535);
        have_on = opt_int(p, "relay_on_value", &on, 1, 0, 65535);
        have_off = opt_int(p, "relay_off_value", &off, 0, 0, 65535);
        coil_on = opt_string(p, "relay_coil_on");
        have_in = opt_bool(p, "relay_in_reading", &r->in_reading, 1);
        if (have_coil && have_reg) {
                p->rc = p->host->cfg_error(p->ctx, "relay_register",
                                           "set relay_coil or relay_register, not both");
                return;
        }
        if (coil_on && strcmp(coil_on, "closed") != 0 && strcmp(coil_on, "open") != 0)
                p->rc = p->host->cfg_error(p->ctx, "relay_coil_on",
                                           "unknown value \"%s\" (expected "
                                           "\"closed\": coil ON means supply on, or \"open\": "
                                           "coil ON trips the relay)",
                                           coil_on);
        if (coil_on && !have_coil)
                p->rc =
                    p->host->cfg_error(p->ctx, "relay_coil_on", "relay_coil_on needs relay_coil");
        if ((have_on || have_off) && !have_reg)
                p->rc = p->host->cfg_error(p->ctx, have_on ? "relay_on_value" : "relay_off_value",
                                           "%s needs relay_register",
                                           have_on ? "relay_on_value" : "relay_off_value");
        if (have_reg && on == off)
                p->rc =
                    p->host->cfg_error(p->ctx, "relay_off_value",
                                       "relay_on_value and relay_off_value are both %" PRId64, on);
        if (have_in && !have_coil && !have_reg)
                p->rc = p->host->cfg_error(p->ctx, "relay_in_reading",
                                           "relay_in_reading needs relay_coil or relay_register");
        if (have_coil) {
                r->kind = MBP_RELAY_COIL;
                r->addr = (uint16_t)coil;
                r->coil_on_trips = coil_on && strcmp(coil_on, "open") == 0;
        } else if (have_reg) {
                r->kind = MBP_RELAY_REGISTER;
                r->addr = (uint16_t)reg;
                r->on_value = (uint16_t)on;
                r->off_value = (uint16_t)off;
        }
}

int mbp_meter_options(struct mbp_meter *m, const mb_meter_params *params, mb_err *err)
{
        struct opt_parser p = {.host = m->host, .ctx = m->ctx, .rc = MB_OK};
        int have_map;

        parse_unit(&p, m, params, err);
        parse_map(&p, m, &have_map);
        parse_relay(&p, m);
        if (p.rc == MB_OK && !have_map && m->relay.kind == MBP_RELAY_NONE)
                p.rc = mb_err_set(err, MB_ECONFIG,
                                  "nothing to read: set options.profile (a built-in meter) or "
                                  "options.map (registers), or a relay");
        return p.rc;
}
