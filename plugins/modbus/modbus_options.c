/* SPDX-License-Identifier: Apache-2.0 */
/*
 * modbus: the bus's and the meter's `options` groups.  Every key is looked up
 * even after an error, so one `meterbox-agent -t` run reports every bad key
 * and the host never reports a valid key as unknown.  Problems are reported
 * through host->cfg_error, which adds file and line (<meterbox/options.h>).
 * Here a key counts as given ("have") only with a valid value.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <modbus.h>

#include <meterbox/options.h>

#include "modbus_plugin.h"

/* ---- bus ---------------------------------------------------------------- */

int mbp_link_options(struct mbp_link *l, const mb_link_params *bus, mb_err *err)
{
        mb_opt_parser p = mb_opt_parser_init(l->host, l->ctx);
        int64_t lo, hi;
        const char *rts;
        int have_rs485;

        have_rs485 = mb_opt_bool(&p, "rs485", &l->rs485, 0) == MB_OK;
        l->rts = -1;
        mb_opt_string(&p, "rts", &rts, NULL);
        if (rts) {
                if (strcmp(rts, "up") == 0)
                        l->rts = MODBUS_RTU_RTS_UP;
                else if (strcmp(rts, "down") == 0)
                        l->rts = MODBUS_RTU_RTS_DOWN;
                else if (strcmp(rts, "none") == 0)
                        l->rts = MODBUS_RTU_RTS_NONE;
                else
                        mb_opt_error(&p, "rts",
                                     "unknown value \"%s\" (expected \"none\", \"up\", \"down\")",
                                     rts);
        }
        mb_opt_int64(&p, "reconnect_min_ms", &lo, 1000, 10, 600000);
        mb_opt_int64(&p, "reconnect_max_ms", &hi, 60000, 10, 3600000);
        if (hi < lo) {
                mb_opt_error(&p, "reconnect_max_ms",
                             "reconnect_max_ms (%" PRId64
                             ") must not be below reconnect_min_ms (%" PRId64 ")",
                             hi, lo);
                hi = lo;
        }
        l->reconnect_min_ms = (int)lo;
        l->reconnect_max_ms = (int)hi;
        if (strcmp(bus->type, "serial") != 0 && (have_rs485 || rts))
                mb_opt_error(&p, have_rs485 ? "rs485" : "rts",
                             "%s applies to serial buses only (this bus is %s)",
                             have_rs485 ? "rs485" : "rts", bus->type);
        if (l->rts >= 0 && !l->rs485)
                mb_opt_error(&p, "rts",
                             "rts needs rs485 = true (libmodbus drives RTS only in "
                             "RS-485 mode)");
        (void)err;
        return p.rc;
}

/* ---- meter -------------------------------------------------------------- */

/* The unit id: options.unit, else the meter's address, which must then be a
 * number. */
static void parse_unit(mb_opt_parser *p, struct mbp_meter *m, const mb_meter_params *params,
                       mb_err *err)
{
        int tcp = m->link->transport == MBF_TCP;
        int64_t lo = tcp ? 0 : 1, hi = tcp ? 255 : 247, unit;
        int have = mb_opt_int64(p, "unit", &unit, -1, lo, hi) == MB_OK;
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
                        mb_opt_error(p, "unit",
                                     "unit %" PRId64 " differs from the meter's address \"%s\"",
                                     unit, a);
                }
        }
        if (!have && p->rc == MB_OK)
                p->rc = mb_err_set(err, MB_ECONFIG,
                                   "no Modbus unit id: set address = \"N\" or options.unit = N "
                                   "(%" PRId64 "..%" PRId64 ")",
                                   lo, hi);
        m->unit = (int)unit;
}

static void parse_map(mb_opt_parser *p, struct mbp_meter *m, int *have_map)
{
        static const char *const na_names[] = {"none", "max", NULL};
        const char *profile, *map, *order_s;
        int64_t max_gap;
        int order = -1, na = -1;
        char why[300];

        mb_opt_string(p, "profile", &profile, NULL);
        mb_opt_string(p, "map", &map, NULL);
        mb_opt_string(p, "word_order", &order_s, NULL);
        mb_opt_int64(p, "max_gap", &max_gap, MBM_DEFAULT_MAX_GAP, 0, MBM_MAX_REGS_PER_READ - 1);
        mb_opt_enum(p, "not_available", &na, -1, na_names, "\"none\" or \"max\"");
        if (order_s && (order = mbd_order_parse(order_s, strlen(order_s))) < 0)
                mb_opt_error(p, "word_order",
                             "unknown value \"%s\" (expected \"ABCD\", \"CDAB\", \"BADC\", "
                             "\"DCBA\")",
                             order_s);
        memset(&m->map, 0, sizeof(m->map));
        if (profile) {
                const struct mbm_profile *pr = mbm_profile_find(profile);
                if (!pr) {
                        char list[200];
                        mbm_profile_list(list, sizeof(list));
                        mb_opt_error(p, "profile", "unknown meter \"%s\" (built in: %s)", profile,
                                     list);
                } else if (mbm_parse(pr->map, strlen(pr->map), MBD_ABCD, &m->map, why,
                                     sizeof(why)) < 0) {
                        /* A broken built-in table: the unit tests catch this. */
                        mb_opt_error(p, "profile", "built-in profile %s is broken: %s", profile,
                                     why);
                } else if (order >= 0) {
                        mbm_set_order(&m->map, order);
                }
                m->map.na_max = pr ? pr->na_max : 0;
        }
        if (na >= 0)
                m->map.na_max = na;
        if (map && mbm_parse(map, strlen(map), order >= 0 ? order : MBD_ABCD, &m->map, why,
                             sizeof(why)) < 0)
                mb_opt_error(p, "map", "%s", why);
        *have_map = profile || map;
        if (p->rc == MB_OK && mbm_plan(&m->map, (int)max_gap, why, sizeof(why)) < 0)
                mb_opt_error(p, map ? "map" : "profile", "%s", why);
        m->max_gap = (int)max_gap;
}

static void parse_relay(mb_opt_parser *p, struct mbp_meter *m)
{
        struct mbp_relay *r = &m->relay;
        int64_t coil, reg, on, off;
        int have_coil, have_reg, have_on, have_off, have_in;
        const char *coil_on;

        memset(r, 0, sizeof(*r));
        have_coil = mb_opt_int64(p, "relay_coil", &coil, -1, 0, 65535) == MB_OK;
        have_reg = mb_opt_int64(p, "relay_register", &reg, -1, 0, 65535) == MB_OK;
        have_on = mb_opt_int64(p, "relay_on_value", &on, 1, 0, 65535) == MB_OK;
        have_off = mb_opt_int64(p, "relay_off_value", &off, 0, 0, 65535) == MB_OK;
        mb_opt_string(p, "relay_coil_on", &coil_on, NULL);
        have_in = mb_opt_bool(p, "relay_in_reading", &r->in_reading, 1) == MB_OK;
        if (have_coil && have_reg) {
                mb_opt_error(p, "relay_register", "set relay_coil or relay_register, not both");
                return;
        }
        if (coil_on && strcmp(coil_on, "closed") != 0 && strcmp(coil_on, "open") != 0)
                mb_opt_error(p, "relay_coil_on",
                             "unknown value \"%s\" (expected "
                             "\"closed\": coil ON means supply on, or \"open\": "
                             "coil ON trips the relay)",
                             coil_on);
        if (coil_on && !have_coil)
                mb_opt_error(p, "relay_coil_on", "relay_coil_on needs relay_coil");
        if ((have_on || have_off) && !have_reg)
                mb_opt_error(p, have_on ? "relay_on_value" : "relay_off_value",
                             "%s needs relay_register",
                             have_on ? "relay_on_value" : "relay_off_value");
        if (have_reg && on == off)
                mb_opt_error(p, "relay_off_value",
                             "relay_on_value and relay_off_value are both %" PRId64, on);
        if (have_in && !have_coil && !have_reg)
                mb_opt_error(p, "relay_in_reading",
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
        mb_opt_parser p = mb_opt_parser_init(m->host, m->ctx);
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
